"""Finding a quoted passage in a source: tolerant of typography, strict on words and numbers.

Both texts are normalized the same way and then compared exactly, so case, every letter and
every digit must match. Normalization folds typography, never content:

- one kind of quote mark and one kind of dash; any Unicode space to a space, runs to one;
- the ellipsis character to "...";
- Latin and Armenian ligatures (ﬁ), full-width and half-width forms (１８, Ｎｏｖ, ｶﾀｶﾅ) and Arabic
  presentation forms to the characters they stand for;
- invisible characters (soft hyphen, zero-width characters, bidi controls) dropped, and a word
  hyphenated across a line break joined;
- canonical composition (NFC): "e" + U+0301 is "é".

The other compatibility mappings of NFKC are never applied: superscripts, fractions, circled or
Roman numerals and the like change what a text says ("3²" is not "32", "½" not "1/2").

A quote, and each part of an elided quote, must also begin and end on word boundaries of the
source (see `_bounded`): "provin" is no quote of "province", "4 wounded" none of "14 wounded".

The normalized source keeps a map back to the original offsets so that a match can be located and
highlighted in the real file.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import Callable, Iterable, Iterator

MIN_QUOTE_CHARS = 12

_FOLD = {
    **dict.fromkeys("‘’‚‛′‵`´ʼ", "'"),
    **dict.fromkeys("“”„‟″‶〝〞«»", '"'),
    **dict.fromkeys("‐‑‒–—―−⁃", "-"),
}
# Invisible, so dropped: soft hyphen, zero-width characters, word joiner, byte order mark, the
# directional marks (LRM, RLM, ALM), and the
# bidi embedding, override and isolate controls (which make a text display other than it reads).
_DROP = frozenset("\u00ad\u061c\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Compatibility characters that are typography, not content: folded as NFKC folds them.
_TYPOGRAPHIC_FORMS = (
    (0xFB00, 0xFB17),  # Latin and Armenian ligatures
    (0xFB50, 0xFDFF), (0xFE70, 0xFEFF),  # Arabic presentation forms
    (0xFF00, 0xFFEF),  # full-width and half-width forms
)
# Only the marker: a `\s*` around it would backtrack quadratically over a long run of spaces.
ELISION = re.compile(r"\[(?:\.\.\.|…)\]|…")


def _fold_char(ch: str) -> str:
    """One character with its typography folded (before canonical composition)."""
    if ch in _DROP:
        return ""
    if ch == "…":
        return "..."
    if "\ufb00" <= ch <= "\uffef" and any(low <= ord(ch) <= high for low, high in _TYPOGRAPHIC_FORMS):
        return "".join(" " if c.isspace() else _FOLD.get(c, c) for c in unicodedata.normalize("NFKC", ch))
    return " " if ch.isspace() else _FOLD.get(ch, ch)


def _composers() -> frozenset[str]:
    """Characters NFC merges into the one before them that are not combining marks: Hangul vowels
    and finals, Indic length marks, and what folds to a mark (half-width ﾞ and ﾟ)."""
    found = {chr(c) for c in (*range(0x1161, 0x1176), *range(0x11A8, 0x11C3))}
    for c in range(0x20000):
        pair = unicodedata.decomposition(chr(c)).split()
        if len(pair) == 2 and not pair[0].startswith("<"):
            first, second = chr(int(pair[0], 16)), chr(int(pair[1], 16))
            if unicodedata.normalize("NFC", first + second) != first + second:
                found.add(second)
    for low, high in _TYPOGRAPHIC_FORMS:
        found.update(chr(c) for c in range(low, high + 1) if unicodedata.combining(_fold_char(chr(c))[:1] or " "))
    return frozenset(ch for ch in found if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def _composer_set() -> frozenset[str]:
    """From the generated tables when they match this Python's Unicode version, else computed
    (a scan of 131,072 code points, about 0.1 s)."""
    from . import unicode_tables

    if unicode_tables.UNIDATA_VERSION == unicodedata.unidata_version:
        return frozenset(unicode_tables.COMPOSERS)
    return _composers()


def _attaches(ch: str) -> bool:
    """Whether canonical composition may merge `ch` into the character before it."""
    if ch < "\u0300":  # nothing below the combining diacritics composes
        return False
    return unicodedata.combining(ch) != 0 or ch in _composer_set()


# Normalizing in two passes keeps it fast (about 100 MB/s): first `str.translate` maps, one for
# one and in C, the quote marks, dashes and whitespace characters that need no more than that;
# then one regex finds what changes length: runs of spaces, words hyphenated across a line break,
# and the few characters that folding or composition changes, or that are dropped.
def _unstable_class() -> str:
    """A regex class of every character that folding or NFC changes or composes, or that is dropped.

    Read from the generated tables when they match this Python's Unicode version (computing it
    scans the BMP: about 0.1 s on every run).
    """
    from . import unicode_tables

    if unicode_tables.UNIDATA_VERSION == unicodedata.unidata_version:
        return unicode_tables.UNSTABLE_CLASS
    return _compute_unstable_class()


def _compute_unstable_class() -> str:
    points = [c for c in range(0x80, 0x10000)
              if c not in _TRANSLATE and ((ch := chr(c)) in _DROP or _attaches(ch) or _fold_char(ch) != ch
                                          or unicodedata.normalize("NFC", ch) != ch)]
    ranges = []
    for c in points:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    body = "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return f"[{body}\U00010000-\U0010ffff]"


def _spaces() -> str:
    """Every whitespace character of the BMP (from the generated tables when they are current)."""
    from . import unicode_tables

    if unicode_tables.UNIDATA_VERSION == unicodedata.unidata_version:
        return unicode_tables.SPACES
    return "".join(chr(c) for c in range(0x10000) if chr(c).isspace())


_TRANSLATE = {ord(k): v for k, v in _FOLD.items()} | {ord(c): " " for c in _spaces()}
# str.translate with a large table runs a dict lookup per character; a regex substitution per
# target character scans at C speed and touches only what it replaces (about 2x faster here).
_ONE_FOR_ONE = [
    (re.compile("[" + re.escape("".join(chr(c) for c, v in _TRANSLATE.items() if v == target and chr(c) != target)) + "]"), target)
    for target in sorted(set(_TRANSLATE.values()))
]


def _translate(text: str) -> str:
    for pattern, target in _ONE_FOR_ONE:
        text = pattern.sub(target, text)
    return text
# Possessive quantifiers throughout: on a long run of spaces, backtracking would make these quadratic.
_D = "[" + "".join(sorted(_DROP)) + "]"  # invisible characters, dropped; inside a run of spaces too
_INVISIBLE = re.compile(_D)


def write_unicode_tables() -> None:
    """Regenerate threatbrief/unicode_tables.py for this Python's Unicode version (see its docstring)."""
    from pathlib import Path

    composers = "".join(sorted(_composers()))
    text = (
        '"""Generated by `python -c "from threatbrief.quotes import write_unicode_tables as w; w()"`: do not edit.\n\n'
        "Tables that quotes.py would otherwise compute on every run by scanning the code points.\n"
        "Used only when UNIDATA_VERSION is this Python's `unicodedata.unidata_version`; a test keeps\n"
        'them equal to what quotes.py computes.\n"""\n\n'
        f"UNIDATA_VERSION = {unicodedata.unidata_version!r}\n"
        f"COMPOSERS = {ascii(composers)}\n"
        f"SPACES = {ascii(''.join(chr(c) for c in range(0x10000) if chr(c).isspace()))}\n"
        f"UNSTABLE_CLASS = {ascii(_compute_unstable_class())}\n"
    )
    (Path(__file__).parent / "unicode_tables.py").write_text(text, encoding="ascii")


@lru_cache(maxsize=1)
def _edits() -> re.Pattern[str]:
    """Compiled on first need: the class of unstable characters takes a scan of the BMP."""
    return re.compile(rf"(?P<space>[ {_D[1:-1]}]{{2,}})|(?P<hyphen>- ++)(?=[a-z])|(?P<other>{_unstable_class()}+)")
_LINE_BREAK_HYPHEN = re.compile(r"-[ \t]*+\r?\n")
_HYPHEN_BREAK = re.compile(r"-[ \t]*+\r?\n\s*+[a-z]")  # a hyphenated word that normalization joins
_INNER_HYPHEN = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")


@lru_cache(maxsize=8192)
def _fold_groups(run: str) -> tuple[tuple[int, str], ...]:
    """`run` cut into characters, each with what attaches to it: (length, folded and composed).

    A character composes only with those that attach to it directly: an invisible character
    between them is a group of its own (folded to nothing) and keeps them apart.
    """
    groups = []
    i = 0
    while i < len(run):
        j = i + 1
        while run[i] not in _DROP and j < len(run) and _attaches(run[j]):
            j += 1
        composed = unicodedata.normalize("NFC", "".join(_fold_char(ch) for ch in run[i:j]))
        groups.append((j - i, "".join(_FOLD.get(ch, ch) for ch in composed)))  # NFC makes "`" of U+1FEF
        i = j
    return tuple(groups)


def _fold(run: str) -> str:
    """Typography folded and canonical composition, for a run of characters that need it."""
    return "".join(folded for _, folded in _fold_groups(run))


@dataclass(frozen=True)
class Normalized:
    """Normalized text, and how its offsets map back to the original.

    Offsets shift only where an edit changed the length; `anchors` holds, for each such edit, the
    (normalized, original) offsets where it starts and where it ends. Between anchors the mapping
    is one to one.
    """

    text: str
    anchors_norm: array
    anchors_orig: array
    hyphenation: frozenset[int]  # normalized offsets where a line-break hyphen was removed

    def to_original(self, position: int) -> int:
        k = bisect_right(self.anchors_norm, position) - 1
        if k < 0:
            return position
        original = self.anchors_orig[k] + (position - self.anchors_norm[k])
        if k + 1 < len(self.anchors_norm) and position < self.anchors_norm[k + 1]:
            original = min(original, self.anchors_orig[k + 1] - 1)  # inside an edit that grew
        return original

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of the normalized slice [start, end)."""
        if end <= start:
            return self.to_original(start), self.to_original(start)
        k = bisect_left(self.anchors_norm, end)
        while k < len(self.anchors_norm) and self.anchors_norm[k] == end:
            if k % 2 and self.anchors_norm[k - 1] < end:  # an edit ends here ("e" + U+0301): all of it
                return self.to_original(start), self.anchors_orig[k]
            k += 1
        return self.to_original(start), self.to_original(end - 1) + 1


def normalize(original: str) -> Normalized:
    hyphen_breaks = {m.start() for m in _LINE_BREAK_HYPHEN.finditer(original)
                     if m.start() and original[m.start() - 1].isalpha()}
    text = _translate(original)
    pieces: list[str] = []
    anchors_norm, anchors_orig = array("q"), array("q")
    hyphenation = []
    position = last = 0  # position: length of the normalized text so far; last: original offset

    def edit(start: int, end: int, replacement: str) -> None:
        """Write `replacement` for original[start:end], anchoring the offsets if the length changes."""
        nonlocal position
        if len(replacement) != end - start:
            anchors_norm.extend((position, position + len(replacement)))
            anchors_orig.extend((start, end))
        pieces.append(replacement)
        position += len(replacement)

    for match in _edits().finditer(text):
        start, end = match.span()
        kind = match.lastgroup
        if kind == "other" and _attaches(original[start]) and last < start:
            start -= 1  # a mark (or Hangul vowel…) composes with the character before it
        pieces.append(text[last:start])
        position += start - last
        if kind == "hyphen":
            if start in hyphen_breaks:  # "cam-\npaign": one word, broken across lines
                hyphenation.append(position)
                edit(start, end, "")
            else:
                edit(start, end, "- ")
        elif kind == "space":  # spaces and invisible characters: one space, or nothing if no space
            edit(start, end, " " if " " in match.group() else "")
        else:  # edited a character at a time, so that every character boundary maps back exactly
            for length, replacement in _fold_groups(original[start:end]):
                if replacement.startswith(" ") and position and next(p for p in reversed(pieces) if p)[-1] == " ":
                    replacement = replacement.lstrip(" ")
                edit(start, start + length, replacement)
                start += length
        last = end
    pieces.append(text[last:])
    return Normalized("".join(pieces), anchors_norm, anchors_orig, frozenset(hyphenation))


def quote_parts(quote: str) -> list[str]:
    """The parts of an elided quote (`a [...] b`, `a … b`), each normalized and stripped."""
    return [p for p in (normalize(part).text.strip() for part in ELISION.split(quote)) if p]


# Word boundaries. Scripts written without spaces between words (Han, Hiragana, Katakana, Thai,
# Lao, Khmer, Myanmar) have none to check: any character boundary may be a word boundary there.
_SPACELESS = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u19e0-\u19ff\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029"
    "\u3038-\u303b\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua9e0-\ua9ff\uaa60-\uaa7f"
    "\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003ffff]"
)


def _is_mark(ch: str) -> bool:
    """A character that belongs to the one before it: a mark, or one that composes with it."""
    return _attaches(ch) or unicodedata.category(ch)[0] == "M"


def _rejoined(text: str, hyphen: int) -> int:
    """Where the word resumes if text[hyphen] breaks it across lines (normalization joins the
    two halves); -1 if it does not."""
    if 0 < hyphen and text[hyphen - 1].isalpha() and (match := _HYPHEN_BREAK.match(text, hyphen)):
        return match.end() - 1
    return -1


def _line_break(text: str, i: int) -> tuple[int, int] | None:
    """The (hyphen, resume) offsets of a word broken across lines, if offset `i` falls within
    what normalization removes to rejoin it (or just after it); else None."""
    hyphen = i
    while hyphen > 0 and text[hyphen - 1].isspace():
        hyphen -= 1
    if hyphen > 0 and text[hyphen - 1] == "-" and not text.startswith("-", hyphen):
        hyphen -= 1  # `i` is just after the hyphen, or among the spaces after it
    resume = _rejoined(text, hyphen)
    return (hyphen, resume) if resume >= i else None


def _before(text: str, i: int) -> str:
    """The two characters before offset `i` as normalization leaves them, marks aside: invisible
    characters skipped, typography folded, a word broken across lines rejoined. Nearest last."""
    if (broken := _line_break(text, i)) and i > broken[0]:
        i = broken[0]
    chars = ""
    while i > 0 and len(chars) < 2:
        i -= 1
        if not _is_mark(text[i]):
            chars = "".join(c for c in _fold(text[i]) if not _is_mark(c)) + chars
    return chars[-2:].rjust(2)


def _after(text: str, i: int) -> str:
    """The two characters from offset `i` as normalization leaves them: invisible characters
    skipped, typography folded, a word broken across lines rejoined."""
    if broken := _line_break(text, i):
        i = broken[1]
    chars = ""
    while i < len(text) and len(chars) < 2:
        chars += _fold(text[i])
        i += 1
    return chars[:2].ljust(2)


def _splits_word(text: str, i: int) -> bool:
    """Whether offset `i` of `text` falls inside a word, a number or a character."""
    (far_left, left), (right, far_right) = _before(text, i), _after(text, i)
    if _is_mark(right):
        return True  # "e" out of "e" + U+0301
    if any(_SPACELESS.match(c) and not c.isdecimal() for c in (left, right)):
        return False
    if (left.isalnum() or left == "_") and (right.isalnum() or right == "_"):
        return True
    if left.isdigit() and right in ".," and far_right.isdigit() or left in ".," and far_left.isdigit() and right.isdigit():
        return True  # "1,000" and "2.5" are one number each
    return (left.isalpha() and right == "'" and far_right.isalpha()  # "minister's" is one word
            or left == "'" and far_left.isalpha() and right.isalpha())


def _bounded(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] begins and ends on word boundaries of `text`.

    A quote cut out of a word or a number is no quote of it: "provin" of "province", "Nov. 1" of
    "Nov. 18", "1" of "1,000", "s office" of "minister's office", "cam-" of "cam-\npaign". A
    hyphen is a boundary ("Taliban" of "pro-Taliban"); in scripts written without spaces every
    character boundary is one.

    The one test of all three tiers: on an original text it sees the neighbours that normalization
    would leave, so it answers as it would on the normalized text.
    """
    return not (_splits_word(text, start) or _splits_word(text, end))


def _crosses_line_break(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] holds a word broken across lines, which normalization rejoins:
    whether a quote wrote it the same way, only the normalized text can tell."""
    hyphen = text.find("-", start, end)
    while hyphen >= 0:
        if _rejoined(text, hyphen) >= 0:
            return True
        hyphen = text.find("-", hyphen + 1, end)
    return False


Span = tuple[int, int]


def _first_bounded(text: str, occurrences: Iterable[Span]) -> Span | None:
    """The first of `occurrences` (in order) that stands on word boundaries of `text`."""
    return next((span for span in occurrences if _bounded(text, *span)), None)


def _occurrences(text: str, part: str, position: int) -> Iterator[Span]:
    at = text.find(part, position)
    while at >= 0:
        yield at, at + len(part)
        at = text.find(part, at + 1)


def _find_part(part: str, source: Normalized, position: int) -> Span | None:
    """Normalized span of `part` in the source from `position`, on word boundaries; None if absent.

    A hyphen the quote writes inside a word ("cam-paign") also matches where the source breaks
    that word across lines with a hyphen, but only there.
    """
    found = _first_bounded(source.text, _occurrences(source.text, part, position))
    if found or not source.hyphenation or "-" not in part:
        return found
    removed = [m.start() - k for k, m in enumerate(_INNER_HYPHEN.finditer(part))]
    if not removed:
        return None
    joined = _INNER_HYPHEN.sub("", part)
    return _first_bounded(source.text, (span for span in _occurrences(source.text, joined, position)
                                        if all(span[0] + k in source.hyphenation for k in removed)))


def _in_order(parts: list[str], search: Callable[[str, int], Span | None]) -> list[Span] | None:
    """Find each part after the previous one; None when any is missing (or there are none)."""
    spans = []
    position = 0
    for part in parts:
        found = search(part, position)
        if found is None:
            return None
        spans.append(found)
        position = found[1]
    return spans or None


def _raw_parts(quote: str) -> list[str]:
    """The parts of an elided quote as written, for the cheap tiers; none if the quote holds an
    invisible character, which only the normalized text can judge."""
    if _INVISIBLE.search(quote):
        return []
    return [p for p in (part.strip() for part in ELISION.split(quote)) if p]


def find_verbatim(quote: str, text: str) -> list[Span] | None:
    """Spans of the parts of `quote` copied character for character: the common, cheap case."""
    return _in_order(_raw_parts(quote), lambda part, position: _first_bounded(text, _occurrences(text, part, position)))


_VARIANTS = {ch: "[" + re.escape(target + "".join(k for k, v in _FOLD.items() if v == target)) + "]"
             for target in set(_FOLD.values()) for ch in [target, *(k for k, v in _FOLD.items() if v == target)]}


@lru_cache(maxsize=4096)
def _typographic_pattern(part: str) -> re.Pattern[str]:
    """A regex for `part` with any quote mark or dash variant and any run of whitespace."""
    pieces = []
    for token in re.split(r"(\s++)", part):
        if token and token[0].isspace():
            pieces.append(r"\s++")
        else:
            pieces.extend(_VARIANTS.get(ch) or re.escape(ch) for ch in token)
    return re.compile("".join(pieces))


def find_typographic(quote: str, text: str) -> list[Span] | None:
    """Like `find_verbatim`, tolerating quote marks, dashes and whitespace: no normalized copy of
    the source is needed, which spares most sources the (slower) full normalization."""
    def matches(part: str, position: int) -> Iterator[Span]:
        pattern = _typographic_pattern(part)
        match = pattern.search(text, position)
        while match:
            if not _crosses_line_break(text, *match.span()):
                yield match.span()
            match = pattern.search(text, match.start() + 1)

    return _in_order(_raw_parts(quote), lambda part, position: _first_bounded(text, matches(part, position)))


def locate(quote: str, text: str, normalized: Callable[[], Normalized]) -> list[tuple[int, int]] | None:
    """Where `quote` stands in `text`: the cheapest test that can find it, the full one last.

    Each tier accepts only what the next would also accept (word boundaries included), so
    whether a quote is found never depends on which tier found it.
    """
    return find_verbatim(quote, text) or find_typographic(quote, text) or find(quote, normalized())


def find(quote: str, source: Normalized) -> list[Span] | None:
    """Original-text spans of every part of `quote`, in order; None when any part is missing.

    Positions are searched in the normalized text and mapped back to the original at the end.
    """
    found = _in_order(quote_parts(quote), lambda part, position: _find_part(part, source, position))
    return None if found is None else [source.span(start, end) for start, end in found]


@dataclass(frozen=True)
class NearMiss:
    """The passage of a source most like a quote that was not found in it."""

    part: str  # the (normalized) part of the quote that was not found
    start: int  # original offsets of the closest passage
    end: int
    similarity: float  # 0-100
    passage: str  # the closest passage, whitespace folded
    differences: list[str]  # "'five' -> 'four'", "missing 'Chinese'", …


# Bounds on explaining a miss, whatever the size of the quote and of the source.
_NEEDLE_CHARS = 250  # of the missing part, aligned with the source
_CHUNK_CHARS = 64 * 1024  # of the source per call into rapidfuzz: a few milliseconds each
_WIDEN_CHARS = 100  # at most, each way, to widen the passage found to whole words
_DIFF_WORDS = 300  # of the quote and of the passage, compared word by word


def closest(quote: str, source: Normalized, original: str) -> NearMiss:
    """Explain a miss: the first part not found, the closest passage to it and how it differs.

    The work is bounded: only the first ~250 characters of the missing part are aligned, over
    64 KB chunks of the source that overlap by that length, keeping the best. Each call into
    rapidfuzz's C code (which does not check for signals) then lasts milliseconds, and Ctrl-C or
    SIGTERM is handled between calls. On a source shorter than a chunk, that is one call.
    """
    from rapidfuzz import fuzz

    position = 0
    parts = quote_parts(quote) or [normalize(quote).text.strip()]
    part = parts[0]
    for part in parts:
        found = _find_part(part, source, position)
        if found is None:
            break
        position = found[1]
    if position >= len(source.text):
        position = 0
    window = source.text[position:]
    needle = _needle(part)
    best = None
    for offset in range(0, max(len(window) - len(needle), 1), _CHUNK_CHARS):
        chunk = window[offset:offset + _CHUNK_CHARS + len(needle)]
        alignment = fuzz.partial_ratio_alignment(needle, chunk, score_cutoff=best[0] if best else 0)
        if alignment is not None and (best is None or alignment.score > best[0]):
            best = (alignment.score, offset + alignment.dest_start, offset + alignment.dest_end)
    if best is None:
        return NearMiss(part, 0, 0, 0.0, "", [])
    score, start, end = best
    start, end = _widen_to_words(window, start, end)
    passage = window[start:end]
    orig_start, orig_end = source.span(position + start, position + end)
    return NearMiss(part, orig_start, orig_end, round(score, 1), passage, word_differences(needle, passage))


def _needle(part: str) -> str:
    """The start of `part` that `closest` aligns: at most _NEEDLE_CHARS, cut between words."""
    if len(part) <= _NEEDLE_CHARS:
        return part
    cut = part.rfind(" ", 0, _NEEDLE_CHARS + 1)
    return part[:cut] if cut > 0 else part[:_NEEDLE_CHARS]


def _widen_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) widened to whole words, by at most _WIDEN_CHARS each way."""
    low, high = max(start - _WIDEN_CHARS, 0), min(end + _WIDEN_CHARS, len(text))
    while start > low and not text[start - 1].isspace():
        start -= 1
    while end < high and not text[end].isspace():
        end += 1
    return start, end


_WORD = re.compile(r"\w++(?:[-'.,]\w++)*+|[^\w\s]")


def word_differences(quote: str, passage: str, limit: int = 5) -> list[str]:
    """What the analyst must change in the quote to match the passage, word by word.

    Only the first 300 words of each are compared: difflib's matching is quadratic.
    """
    a, b = _words(quote), _words(passage)
    changes = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        quoted, found = " ".join(a[i1:i2]), " ".join(b[j1:j2])
        if tag == "replace" and quoted.lower() == found.lower():
            changes.append(f"letter case differs: quote has {quoted!r} where the source has {found!r}")
        elif tag == "replace":
            changes.append(f"quote has {quoted!r} where the source has {found!r}")
        elif tag == "delete":
            changes.append(f"quote adds {quoted!r}")
        elif tag == "insert" and 0 < i1 < len(a):
            changes.append(f"quote leaves out {found!r}")
    return changes[:limit]


def _words(text: str) -> list[str]:
    return [match.group() for match in islice(_WORD.finditer(text), _DIFF_WORDS)]


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of an offset in a text."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
