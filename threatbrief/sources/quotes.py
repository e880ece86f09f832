"""Finding a quoted passage in a source: tolerant of typography, strict on words and numbers.

Both texts are normalized the same way and then compared exactly, so case, every letter and
every digit must match. Normalization folds typography, never content:

- one kind of quote mark and one kind of dash; any Unicode space to a space, runs to one;
- the ellipsis character to "...";
- Latin and Armenian ligatures (ﬁ), full-width and half-width forms (１８, Ｎｏｖ, ｶﾀｶﾅ) and Arabic
  presentation forms to the characters they stand for;
- invisible characters (soft hyphen, zero-width characters, bidi controls) and the Arabic tatweel
  (kashida, a stretched joint) dropped, and a word hyphenated across a line break joined;
- a line break straight after a slash or a dash that follows no space ("RFE/\nRL", "and/\nor",
  "Gorno-\nBadakhshan", "Covid-\n19") removed, with the whitespace after it: PDF and hard-wrapped
  text break lines there without a space (a lowercase letter after a hyphen after a letter makes
  a hyphenated word, joined as above);
- canonical composition (NFC): "e" + U+0301 is "é";
- the Arabic and the Persian forms of the same letter as one (ي as ی, ك as ک), and Arabic-Indic
  and Persian digits as ASCII digits ("۲۰۲۴" and "٢٠٢٤" are "2024");
- whitespace next to Chinese or Japanese (or another script written without spaces between words),
  CJK punctuation or full-width punctuation removed: PDF and web extraction break lines inside
  such sentences ("中国\n公民" is "中国公民", "于 2024 年" is "于2024年").

The other compatibility mappings of NFKC are never applied: superscripts, fractions, circled or
Roman numerals and the like change what a text says ("3²" is not "32", "½" not "1/2"). Nor are
letters that differ in content: alef maksura ى is not yeh, ه not ہ, and vowel marks (harakat) stay.
Right-to-left text needs nothing more: it is stored in logical order.

A quote, and each part of an elided quote, must also begin and end on word boundaries of the
source (see `_bounded`): "provin" is no quote of "province", "4 wounded" none of "14 wounded"
("۴ زخمی" none of "۱۴ زخمی"; Arabic script separates words with spaces, as Latin does).

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
# The Arabic and Persian code points for the same letter or digit, folded one for one. Applied
# after canonical composition, like every fold: ي + hamza above (U+0654) composes to ئ first.
# Not folded, because they are other letters: alef maksura ى (U+0649), ه/ہ/ە, the vowel marks.
_SCRIPT_FOLD = {
    "\u064a": "\u06cc",  # ARABIC LETTER YEH as FARSI YEH
    "\u0643": "\u06a9",  # ARABIC LETTER KAF as KEHEH
    **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
    **{chr(0x06F0 + d): str(d) for d in range(10)},  # Extended Arabic-Indic (Persian, Urdu) digits
}
# Invisible, so dropped: soft hyphen, zero-width characters (ZWNJ too: Persian writes it inside
# words, but not always), word joiner, byte order mark, the directional marks (LRM, RLM, ALM), the
# bidi embedding, override and isolate controls (which make a text display other than it reads),
# and the Arabic tatweel, which only stretches a joint between letters ("بـــر" is "بر").
_DROP = frozenset("\u00ad\u061c\u0640\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
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
        return "".join("" if c in _DROP else " " if c.isspace() else _FOLD.get(c, c)  # "ﹱ" is tatweel + mark
                       for c in unicodedata.normalize("NFKC", ch))
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
    from threatbrief.sources import unicode_tables

    if unicode_tables.UNIDATA_VERSION == unicodedata.unidata_version:
        return frozenset(unicode_tables.COMPOSERS)
    return _composers()


@lru_cache(maxsize=8192)  # called for every character around an edit: the cache runs in C
def _attaches(ch: str) -> bool:
    """Whether canonical composition may merge `ch` into the character before it."""
    if ch < "\u0300":  # nothing below the combining diacritics composes
        return False
    return unicodedata.combining(ch) != 0 or ch in _composer_set()


# Scripts written without spaces between words (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar).
_SPACELESS = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u19e0-\u19ff\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029"
    "\u3038-\u303b\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua9e0-\ua9ff\uaa60-\uaa7f"
    "\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003ffff]"
)
# Full-width punctuation and symbols: they fold to ASCII ("，" to ","), but whitespace beside them
# is still whitespace beside a CJK character. Not full-width letters and digits: "１ ２" is "1 2".
_FULL_WIDTH = ((0xFF01, 0xFF60), (0xFFE0, 0xFFE6))


def _compute_cjk_class() -> str:
    """A regex class of the characters beside which whitespace is removed: those that fold to a
    character of a script written without spaces (digits aside) or to CJK punctuation (U+3001 to
    U+303F), and full-width punctuation. Not 〝 and 〞, which fold to '"'."""
    def cjk(folded: str) -> bool:
        return bool(folded) and all((_SPACELESS.match(c) and not c.isdecimal()) or "\u3001" <= c <= "\u303f"
                                    for c in (folded[0], folded[-1]))

    full_width = {c for low, high in _FULL_WIDTH for c in range(low, high + 1) if not _fold(chr(c)).isalnum()}
    points = [c for c in range(0x80, 0x10000)
              if not (ch := chr(c)).isspace() and ch not in _DROP and (c in full_width or cjk(_fold(ch)))]
    return f"[{_ranges(points)}\U00020000-\U0003ffff]"


@lru_cache(maxsize=1)
def _cjk_class() -> str:
    """From the generated tables when they match this Python's Unicode version, else computed."""
    from threatbrief.sources import unicode_tables

    if unicode_tables.UNIDATA_VERSION == unicodedata.unidata_version:
        return unicode_tables.CJK_CLASS
    return _compute_cjk_class()


@lru_cache(maxsize=1)
def _cjk_pattern() -> re.Pattern[str]:
    return re.compile(_cjk_class())


@lru_cache(maxsize=8192)
def is_cjk(ch: str) -> bool:
    """Whether whitespace beside `ch` is removed (see `_compute_cjk_class`)."""
    return ch >= "\u0e00" and _cjk_pattern().match(ch) is not None


def _removes_gap(text: str, start: int, end: int) -> bool:
    """Whether normalization removes text[start:end], a whole run of whitespace and invisible
    characters, for the CJK character beside it: the character that normalization makes of what
    precedes it (a mark composes, or is reordered), or the one that follows it, unless that one is
    a mark (which would then attach to the character before)."""
    if end < len(text):
        if _attaches(after := text[end]):
            return False
        if is_cjk(after):
            return True
    if start == 0:
        return False
    if not _attaches(before := text[start - 1]):
        return is_cjk(before)
    base = start - 1
    while base > 0 and _attaches(text[base]):
        base -= 1
    return is_cjk(_fold(text[base:start])[-1:] or " ")


def _has_cjk(text: str) -> bool:
    """Whether `text` (translated) holds a character beside which whitespace is removed."""
    return not text.isascii() and _cjk_pattern().search(text) is not None


def _ranges(points: list[int]) -> str:
    """The body of a regex class of the (sorted) code points."""
    ranges: list[list[int]] = []
    for c in points:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


# Normalizing in two passes keeps it fast (some 25 MB/s of Latin text, 15 MB/s of Chinese with
# line breaks, on a slow machine): first `str.replace` maps, one for one and in C, the quote marks,
# dashes, whitespace characters, Arabic letters and digits that need no more than that; then one
# regex finds what changes length: runs of spaces (and whitespace beside CJK characters, in a text
# that has any), words hyphenated across a line break, and the few characters that folding or
# composition changes, or that are dropped.
def _unstable_class() -> str:
    """A regex class of every character that folding or NFC changes or composes (not those that
    are dropped: `_D`).

    Read from the generated tables when they match this Python's Unicode version (computing it
    scans the BMP: about 0.1 s on every run).
    """
    from threatbrief.sources import unicode_tables

    if unicode_tables.UNIDATA_VERSION == unicodedata.unidata_version:
        return unicode_tables.UNSTABLE_CLASS
    return _compute_unstable_class()


def _compute_unstable_class() -> str:
    points = [c for c in range(0x80, 0x10000)
              if c not in _TRANSLATE and (ch := chr(c)) not in _DROP
              and (_attaches(ch) or _fold_char(ch) != ch or unicodedata.normalize("NFC", ch) != ch)]
    return f"[{_ranges(points)}\U00010000-\U0010ffff]"


def _spaces() -> str:
    """Every whitespace character of the BMP (from the generated tables when they are current)."""
    from threatbrief.sources import unicode_tables

    if unicode_tables.UNIDATA_VERSION == unicodedata.unidata_version:
        return unicode_tables.SPACES
    return "".join(chr(c) for c in range(0x10000) if chr(c).isspace())


_POST_FOLD = _FOLD | _SCRIPT_FOLD  # what is folded after canonical composition
_TRANSLATE = {ord(k): v for k, v in _POST_FOLD.items()} | {ord(c): " " for c in _spaces()}
# str.translate with a large table runs a dict lookup per character, and a regex substitution per
# target character tests a class at every character; `str.replace` of one character by another
# scans at memchr speed (and returns at once if the text cannot hold it): ten times faster here.
_ONE_FOR_ONE = tuple((chr(c), v) for c, v in _TRANSLATE.items() if chr(c) != v)


_TRANSLATE_TABLE = {ord(k): v for k, v in _ONE_FOR_ONE}


_FOLDABLE = re.compile("[" + re.escape("".join(c for c, _ in _ONE_FOR_ONE)) + "]")


def _translate(text: str) -> str:
    """`str.replace` of each folded character a short text holds (a quote, a window of a source:
    found by one regex scan; `str.translate` looks each character up in a dict), of each one for
    a long text (a source: each call scans at memchr speed)."""
    if len(text) < 2048:
        if text.isascii():
            return text.translate(_TRANSLATE_TABLE)  # CPython caches an ASCII text's lookups
        for character in set(_FOLDABLE.findall(text)):
            text = text.replace(character, _TRANSLATE_TABLE[ord(character)])
        return text
    for character, replacement in _ONE_FOR_ONE:
        text = text.replace(character, replacement)
    return text
# Possessive quantifiers throughout: on a long run of spaces, backtracking would make these quadratic.
_D = "[" + "".join(sorted(_DROP)) + "]"  # invisible characters, dropped; inside a run of spaces too
_INVISIBLE = re.compile(_D)
_GAP_RUN = re.compile(f"[\\s{_D[1:-1]}]*+")  # whitespace and invisible characters
_GAP_CHARS = "".join(sorted(set(_spaces()) | _DROP))
_WHITESPACE = re.compile(r"\s")


def write_unicode_tables() -> None:
    """Regenerate threatbrief/sources/unicode_tables.py for this Python's Unicode version (see its docstring)."""
    from pathlib import Path

    composers = "".join(sorted(_composers()))
    text = (
        '"""Generated by `python -c "from threatbrief.sources.quotes import write_unicode_tables as w; w()"`: do not edit.\n\n'
        "Tables that quotes.py would otherwise compute on every run by scanning the code points.\n"
        "Used only when UNIDATA_VERSION is this Python's `unicodedata.unidata_version`; a test keeps\n"
        'them equal to what quotes.py computes.\n"""\n\n'
        f"UNIDATA_VERSION = {unicodedata.unidata_version!r}\n"
        f"COMPOSERS = {ascii(composers)}\n"
        f"SPACES = {ascii(''.join(chr(c) for c in range(0x10000) if chr(c).isspace()))}\n"
        f"UNSTABLE_CLASS = {ascii(_compute_unstable_class())}\n"
        f"CJK_CLASS = {ascii(_compute_cjk_class())}\n"
    )
    (Path(__file__).parent / "unicode_tables.py").write_text(text, encoding="ascii")


# Each pattern begins with one class of every character a match can begin with: `re` then skips
# the other characters in a tight loop instead of trying each alternative at every position
# (2.5 times faster). The named group of each alternative says what was matched.
#
# A line break after a slash or a dash (`_JOINT_BREAK`) is removed apart: `normalize` runs these
# between such line breaks. (An alternative for it would be tried at every space: 7% slower.)
@lru_cache(maxsize=1)
def _edits() -> re.Pattern[str]:
    """Compiled on first need: the class of unstable characters takes a scan of the BMP."""
    d, u = _D[1:-1], _unstable_class()[1:-1]
    return re.compile(rf"[ {d}\-{u}](?:(?<=[ {d}])(?P<space>[ {d}]++)|(?<=-)(?P<hyphen> ++)(?=[a-z])"
                      rf"|(?<=[{d}{u}])(?P<other>[{d}{u}]*+))")


@lru_cache(maxsize=1)
def _edits_cjk() -> re.Pattern[str]:
    """`_edits` for a text with CJK characters: also a run of spaces (or a single one) that may
    have one beside it (`_removes_gap` decides: after a mark, it depends on what the mark composes
    with), and invisible characters matched apart from the other unstable ones, so that a run of
    whitespace and invisible characters is always matched whole."""
    d, u, cjk = _D[1:-1], _unstable_class()[1:-1], _cjk_class()
    before = f"{cjk[:-1]}{u}]"  # a mark is unstable
    return re.compile(rf"[ {d}\-{u}](?:(?<={before}[ {d}])(?P<cjk>[ {d}]*+)|(?<=[ {d}])(?P<cjk_next>[ {d}]*+)(?={cjk})"
                      rf"|(?<=[ {d}])(?P<space>[ {d}]++)|(?<=[{d}])(?P<drop>)|(?<=-)(?P<hyphen> ++)(?=[a-z])"
                      rf"|(?<=[{u}])(?P<other>[{u}]*+))")


# A slash or a dash (any character that folds to "-") after something other than whitespace, and
# directly after it a line break (or a page break: any character that `str.splitlines` breaks at).
# Normalization removes the whitespace after it, unless it hyphenates a word (`_rejoined`), which
# it joins: "RFE/\nRL" is "RFE/RL", "Asia-\nPlus" "Asia-Plus", "cam-\npaign" "campaign"; but
# "a / \nb" is "a / b" and "said -\nThe" "said - The" (a space before the line break, or before
# the dash, is a space).
_JOINTS = "/-" + "".join(k for k, v in _FOLD.items() if v == "-")
_LINE_BREAKS = "\n\r\f\v\x1c\x1d\x1e\x85\u2028\u2029"
_JOINT_BREAK = re.compile(f"(?<=\\S)[{re.escape(_JOINTS)}](?=[{re.escape(_LINE_BREAKS)}])")
# In a quote: a slash or dash, then a line break, whatever stands before (so the cheap tiers leave
# such a quote to the normalized text, which alone can tell what the line break is: `find_verbatim`)
_QUOTED_BREAK = re.compile(f"[{re.escape(_JOINTS)}][ \t]*+[{re.escape(_LINE_BREAKS)}]")
# Where `normalize` looks for those (and for hyphenated words): in the translated text, where every
# dash is "-" and every whitespace character a space, a slash or a dash after a non-space and a
# space after it. A literal first, for `re` to find it fast (0.3 ms a megabyte each).
_DASH_SPACE = re.compile("-(?<=[^ ]-) ")
_SLASH_SPACE = re.compile("/(?<=[^ ]/) ")
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
        groups.append((j - i, "".join(_POST_FOLD.get(ch, ch) for ch in composed)))  # NFC makes "`" of U+1FEF
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
    text = _translate(original)
    hyphen_breaks = set()  # the hyphens of words broken across lines ("cam-\npaign"): removed
    joint_breaks = []  # where a line break after a slash or a dash begins ("RFE/\nRL"): removed
    for match in _DASH_SPACE.finditer(text):
        if _rejoined(original, match.start()) >= 0:
            hyphen_breaks.add(match.start())
        elif original[match.start() + 1] in _LINE_BREAKS:
            joint_breaks.append(match.start() + 1)
    joint_breaks.extend(match.start() + 1 for match in _SLASH_SPACE.finditer(text)
                        if original[match.start() + 1] in _LINE_BREAKS)
    # `_edits` runs between those line breaks, removed apart (each is a whole run of whitespace
    # and invisible characters): cut off there, it never sees the slash or dash with its gap
    gaps = [(start, _GAP_RUN.match(original, start).end()) for start in sorted(joint_breaks)]
    gaps.append((len(text), len(text)))
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

    edits = _edits_cjk() if _has_cjk(text) else _edits()
    segment = 0
    for gap_start, gap_end in gaps:
        for match in edits.finditer(text, segment, gap_start):
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
            elif kind in ("cjk", "cjk_next") and _removes_gap(original, start, end):
                edit(start, end, "")  # whitespace beside a CJK character
            elif kind != "other":  # spaces and invisible characters: one space, or nothing if no space
                edit(start, end, " " if " " in match.group() else "")
            else:  # edited a character at a time, so that every character boundary maps back exactly
                for length, replacement in _fold_groups(original[start:end]):
                    if replacement.startswith(" ") and position and next(p for p in reversed(pieces) if p)[-1] == " ":
                        replacement = replacement.lstrip(" ")
                    edit(start, start + length, replacement)
                    start += length
            last = end
        if gap_start < gap_end:  # "RFE/\nRL", "Asia-\nPlus": a line break, not a space
            pieces.append(text[last:gap_start])
            position += gap_start - last
            edit(gap_start, gap_end, "")
            last = gap_end
        segment = gap_end
    pieces.append(text[last:])
    return Normalized("".join(pieces), anchors_norm, anchors_orig, frozenset(hyphenation))


@lru_cache(maxsize=4096)
def _normalized_quote(text: str) -> str:
    """A quote's text normalized and stripped: a quote is read by several rules."""
    folded = _translate(text)  # one for one: quote marks, dashes, whitespace, Arabic forms
    if folded.isascii() and "  " not in folded and not _LINE_BREAK.search(text):
        return folded.strip()  # nothing else to fold: most quotes
    return normalize(text).text.strip()


_LINE_BREAK = re.compile(f"[{re.escape(_LINE_BREAKS)}]")  # what hyphenated and joined line breaks start at


def quote_parts(quote: str) -> list[str]:
    """The parts of an elided quote (`a [...] b`, `a … b`), each normalized and stripped."""
    return [p for p in (_normalized_quote(part) for part in ELISION.split(quote)) if p]


def verifiable_length(quote: str) -> int:
    """Characters a quote has to be verified by, for the 12-character minimum (C002): each CJK
    (spaceless-script, see _SPACELESS/is_cjk) character counts twice, since six characters of
    Chinese say as much as a short English clause.

    Counted on the normalized, stripped quote; a digit counts once in any script ("造成2名中国公民受伤"
    is 19, "the convoy" 10).
    """
    text = _normalized_quote(quote)
    return len(text) + sum(1 for ch in _SPACELESS.findall(text) if not ch.isdecimal())


# Word boundaries. Scripts written without spaces between words (`_SPACELESS`) have none to
# check: any character boundary may be a word boundary there.


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


def _gap_start(text: str, i: int) -> int:
    """Where the run of whitespace and invisible characters that ends at offset `i` begins."""
    while i > 0:
        chunk = text[max(i - 256, 0):i]
        kept = len(chunk.rstrip(_GAP_CHARS))
        if kept:
            return i - len(chunk) + kept
        i -= len(chunk)
    return 0


def _gap(text: str, start: int, end: int) -> str:
    """What normalization leaves of text[start:end], a whole run of whitespace and invisible
    characters: one space, or nothing if it holds no whitespace, is a line break after a slash or
    a dash (`_joint_break`) or `_removes_gap`."""
    if _joint_break(text, start):
        return ""
    return " " if _WHITESPACE.search(text, start, end) and not _removes_gap(text, start, end) else ""


def _joint_break(text: str, start: int) -> bool:
    """Whether the run of whitespace at offset `start` is a line break after a slash or a dash,
    which normalization removes ("RFE/\nRL" is "RFE/RL"): not one that hyphenates a word, which
    normalization removes with the hyphen."""
    return start > 0 and _JOINT_BREAK.match(text, start - 1) is not None and _rejoined(text, start - 1) < 0


def _before(text: str, i: int) -> str:
    """The two characters before offset `i` as normalization leaves them, marks aside: invisible
    characters skipped, whitespace collapsed or removed, typography folded, a word broken across
    lines rejoined. Nearest last."""
    if (broken := _line_break(text, i)) and i > broken[0]:
        i = broken[0]
    chars = ""
    while i > 0 and len(chars) < 2:
        if _is_gap(text[i - 1]):
            start = _gap_start(text, i)
            chars = _gap(text, start, _GAP_RUN.match(text, i).end()) + chars
            i = start
            continue
        i -= 1
        if not _is_mark(text[i]):
            chars = "".join(c for c in _fold(text[i]) if not _is_mark(c)) + chars
    return chars[-2:].rjust(2)


def _after(text: str, i: int) -> str:
    """The two characters from offset `i` as normalization leaves them: invisible characters
    skipped, whitespace collapsed or removed, typography folded, a word broken across lines
    rejoined."""
    if broken := _line_break(text, i):
        i = broken[1]
    chars = ""
    while i < len(text) and len(chars) < 2:
        if _is_gap(text[i]):
            end = _GAP_RUN.match(text, i).end()
            chars += _gap(text, _gap_start(text, i), end)
            i = end
            continue
        chars += _fold(text[i])
        i += 1
    return chars[:2].ljust(2)


def _is_gap(ch: str) -> bool:
    return ch.isspace() or ch in _DROP


# ASCII characters beside which the rules below look one character further (numbers, apostrophes)
_NUMBER_OR_WORD = frozenset("'.,_")


def _splits_word(text: str, i: int) -> bool:
    """Whether offset `i` of `text` falls inside a word, a number or a character."""
    if 1 < i < len(text):  # the common cases first: ASCII on both sides, nothing to normalize
        left, right = text[i - 1], text[i]
        if left.isascii() and right.isascii() and left not in "-/" and right not in "-/":
            if right.isspace():
                after = text[i + 1:i + 2]  # one space, then ASCII: no CJK character beside it to close it up
                if not left.isspace() and (not after or (after.isascii() and not after.isspace())):
                    return False  # a word ends here
            elif left.isspace():
                before = text[i - 2]  # after one space, and no line break that joins words across it
                if before.isascii() and not before.isspace() and before not in "-/":
                    return False
            elif left not in _NUMBER_OR_WORD and right not in _NUMBER_OR_WORD:
                return left.isalnum() and right.isalnum()
    return _splits_normalized_word(text, i)


def _splits_normalized_word(text: str, i: int) -> bool:
    """`_splits_word` from the characters normalization leaves on each side of `i`."""
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
    would leave, so it answers as it would on the normalized text. Nor may it end on the hyphen
    of a word broken across lines, which normalization removes: "中-" of "中-\nabc" (after a
    character of a script without spaces, "中" is no word it would cut).
    """
    if (broken := _line_break(text, end)) and broken[0] < end:
        return False
    return not (_splits_word(text, start) or _splits_word(text, end))


def _crosses_line_break(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] holds a word broken across lines, which normalization rejoins, or
    a line break after a slash or a dash, which it removes ("RFE/\nRL"): whether a quote wrote it
    the same way ("RFE/ RL" does not), only the normalized text can tell."""
    hyphen = text.find("-", start, end)
    while hyphen >= 0:
        if _rejoined(text, hyphen) >= 0:
            return True
        hyphen = text.find("-", hyphen + 1, end)
    return _JOINT_BREAK.search(text, start, end) is not None


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


# A zero-width non-joiner inside a word: Persian writes one inside many words ("مقام‌ها").
_ZWNJ_IN_WORD = re.compile(r"(?<=[^\W\d_])\u200c(?=[^\W\d_])")


def _raw_parts(quote: str) -> list[str]:
    """The parts of an elided quote as written, for the cheap tiers; none if the quote holds an
    invisible character, which only the normalized text can judge (a ZWNJ between two letters
    aside: it changes nothing at the ends of a part)."""
    if _INVISIBLE.search(_ZWNJ_IN_WORD.sub("", quote) if "\u200c" in quote else quote):
        return []
    parts = [p for p in (part.strip() for part in ELISION.split(quote)) if p]
    if any(_fold(p[0]).startswith(" ") for p in parts):
        return []  # "ﹰ" is a space and a mark: normalized, the part would begin with the mark
    return parts


def find_verbatim(quote: str, text: str) -> list[Span] | None:
    """Spans of the parts of `quote` copied character for character: the common, cheap case.

    Not of a part that begins with a slash or a dash and a line break ("/\nRL"): whether the
    source removes that line break depends on what stands before the part (`_JOINT_BREAK`).
    """
    parts = _raw_parts(quote)
    if any(_QUOTED_BREAK.match(part) for part in parts):
        return None
    return _in_order(parts, lambda part, position: _first_bounded(text, _occurrences(text, part, position)))


def _variant_classes(folds: dict[str, str]) -> dict[str, str]:
    return {ch: "[" + re.escape(target + "".join(k for k, v in folds.items() if v == target)) + "]"
            for target in set(folds.values()) for ch in [target, *(k for k, v in folds.items() if v == target)]}


@lru_cache(maxsize=1)
def _variants() -> dict[str, str]:
    """Each folded character's regex class of its variants (Arabic-script and CJK quotes only)."""
    return _variant_classes(_POST_FOLD)


_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")


_ARABIC_LETTER = re.compile(r"[\u0620-\u063f\u0641-\u064a\u066e\u066f\u0671-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06fc\u06ff\u0750-\u077f\u08a0-\u08c8]")


def _closes(left: str, right: str) -> bool:
    """Whether normalization removes whitespace between `left` and `right` (`_removes_gap`);
    never said of a mark, which depends on the character before it."""
    return not _attaches(left) and not _attaches(right) and (is_cjk(left) or is_cjk(right))


@lru_cache(maxsize=4096)
def _typographic_pattern(part: str) -> re.Pattern[str]:
    """A regex for `part` with any variant of a quote mark, a dash, an Arabic letter or a digit,
    and any run of whitespace; beside a CJK character, whitespace or none.

    Between two Arabic-script letters, any ZWNJ and tatweel, which normalization drops. A variant
    only where no mark follows: ي + hamza above composes to ئ, ی + hamza above does not.
    """
    pieces = []
    # `part` is stripped, and holds a ZWNJ only between two letters (`_raw_parts`)
    tokens = re.findall(r"\s++|.", part.replace("\u200c", ""), re.DOTALL)
    for k, token in enumerate(tokens):
        if token[0].isspace():
            pieces.append(r"\s*+" if _closes(tokens[k - 1], tokens[k + 1]) else r"\s++")
            continue
        if k and not tokens[k - 1][0].isspace():
            if _closes(tokens[k - 1], token):
                pieces.append(r"\s*+")
            elif _ARABIC_LETTER.match(tokens[k - 1]) and _ARABIC_LETTER.match(token):
                pieces.append("[\u200c\u0640]*+")
        variants = _variants().get(token)
        if variants and (k + 1 == len(tokens) or not _attaches(tokens[k + 1][0])):
            pieces.append(variants)
        else:
            pieces.append(re.escape(token))
    return re.compile("".join(pieces))


def find_typographic(quote: str, text: str, folded: Callable[[], Folded] | None = None) -> list[Span] | None:
    """Like `find_verbatim`, tolerating quote marks, dashes, Arabic and Persian letter and digit
    forms and whitespace: no normalized copy of the source is needed, which spares most sources
    the (slower) full normalization.

    A quote in Latin script (most) is searched with `str.find` in the source folded once
    (`fold`: the same folds, one character for one, and runs of whitespace made one): no regular
    expression per quote. A quote with Arabic-script or CJK characters, whose whitespace and
    joiners need more than that, by a pattern of its own (`_typographic_pattern`).

    Not of a quote with a line break after a slash or a dash: normalized, the quote's "RFE/\nRL"
    is "RFE/RL" and its "cam-\npaign" "campaign", which no run of whitespace stands for.
    """
    parts = _raw_parts(quote)
    if any(_QUOTED_BREAK.search(part) for part in parts):
        return None
    if all(_is_latin(part) for part in parts):
        anchored = _find_anchored(parts, text)
        if anchored is not _NO_ANCHOR:
            return anchored
        return _find_folded(parts, text, folded() if folded else fold(text))

    def matches(part: str, position: int) -> Iterator[Span]:
        pattern = _typographic_pattern(part)
        match = pattern.search(text, position)
        while match:
            if not _crosses_line_break(text, *match.span()):
                yield match.span()
            match = pattern.search(text, match.start() + 1)

    return _in_order(parts, lambda part, position: _first_bounded(text, matches(part, position)))


def _is_latin(part: str) -> bool:
    """A part with no Arabic-script and no CJK character: `fold` is all it needs."""
    return part.isascii() or (not _ARABIC_SCRIPT.search(part) and not _has_cjk(part))


@dataclass(frozen=True)
class Folded:
    """A source with `_translate`'s one-for-one folds applied and each run of whitespace made one
    space: what a Latin quote is searched in. Offsets shift only after a run; for each run,
    `at` holds the folded offset of the space kept and `removed` the characters removed up to
    and including it."""

    text: str
    at: array
    removed: array

    def to_original(self, position: int) -> int:
        k = bisect_left(self.at, position) - 1  # runs whose kept space lies before `position`
        return position if k < 0 else position + self.removed[k]

    def span(self, start: int, end: int) -> Span:
        """Original offsets of the folded slice [start, end), which neither starts nor ends on a space."""
        return self.to_original(start), self.to_original(end - 1) + 1


_SPACE_RUN = re.compile("  ++")


def fold(original: str) -> Folded:
    """The source as the typographic tier reads it (see `Folded`): one pass of `str.replace` per
    folded character and one regex over the result, some 70 MB/s."""
    text = _translate(original)
    at, removed = array("q"), array("q")
    total = 0
    for match in _SPACE_RUN.finditer(text):
        start, end = match.span()
        at.append(start - total)
        total += end - start - 1
        removed.append(total)
    return Folded(_SPACE_RUN.sub(" ", text) if total else text, at, removed)


@lru_cache(maxsize=4096)
def _folded_part(part: str) -> str:
    return _SPACE_RUN.sub(" ", _translate(part))


def _find_folded(parts: list[str], original: str, folded: Folded) -> list[Span] | None:
    """Each part, folded, found after the previous one in the folded source, on word boundaries
    of the original and not across a line break that normalization would remove."""
    spans = []
    position = 0
    for part in parts:
        needle = _folded_part(part)
        at = folded.text.find(needle, position)
        while at >= 0:
            span = folded.span(at, at + len(needle))
            if not _crosses_line_break(original, *span) and _bounded(original, *span):
                break
            at = folded.text.find(needle, at + 1)
        else:
            return None
        spans.append(span)
        position = at + len(needle)
    return spans or None


# Characters `fold` neither changes nor produces, and no whitespace: a run of them in a folded
# quote stands unchanged in the source, wherever the whole quote stands in the folded source.
_STABLE_RUN = re.compile("[^\\s" + re.escape("".join(sorted({c for c, _ in _ONE_FOR_ONE} | {v for _, v in _ONE_FOR_ONE})))
                         + "]{4,}+")
_NO_ANCHOR: list[Span] = []


@lru_cache(maxsize=4096)
def _anchored_part(part: str) -> tuple[str, str, int, str]:
    """A folded part as (needle, anchor, the anchor's offset in it, the rest after the anchor);
    the anchor is the longest run of four or more characters `fold` leaves alone ('' if none)."""
    needle = _folded_part(part)
    best = max(_STABLE_RUN.finditer(needle), key=lambda m: m.end() - m.start(), default=None)
    if best is None:
        return needle, "", 0, ""
    return needle, best.group(), best.start(), needle[best.end():]


def _fold_around(original: str, start: int, end: int, want: int, before: bool) -> tuple[Folded, int] | None:
    """The source folded from `start` (before=True: backwards from `end`) until it holds `want`
    folded characters, and where that window begins; None if the text runs out first.

    A window's fold is a piece of the whole source's fold: runs of whitespace never cross the
    anchor's ends, and a run cut at the window's far edge still folds to one space there."""
    margin = want + want // 2 + 16
    while True:
        a, b = (max(0, end - margin), end) if before else (start, min(len(original), start + margin))
        window = fold(original[a:b])
        edge = (a == 0) if before else (b == len(original))
        if len(window.text) > want or (edge and len(window.text) >= want):
            return window, a
        if edge:
            return None
        margin *= 4


def _find_anchored(parts: list[str], original: str) -> list[Span] | None:
    """`_find_folded` without folding the source: each part's anchor is found with `str.find` in
    the original, and only a window around each hit is folded and compared.

    The same spans in the same order as `_find_folded` (a property test holds them equal): an
    anchor's characters are ones `fold` keeps and no other folds into, so its hits in the source
    are exactly its hits in the folded source, and the windows' folds are pieces of that.
    `_NO_ANCHOR` when some part has no anchor long enough: fold the source then."""
    anchored = [_anchored_part(part) for part in parts]
    if any(not anchor for _, anchor, _, _ in anchored):
        return _NO_ANCHOR
    spans: list[Span] = []
    position = 0
    for needle, anchor, offset, tail in anchored:
        head = needle[:offset]
        hit = original.find(anchor, position + offset)
        while hit >= 0:
            span = _anchored_span(original, hit, anchor, head, tail)
            if span is not None and span[0] >= position and not _crosses_line_break(original, *span) \
                    and _bounded(original, *span):
                break
            hit = original.find(anchor, hit + 1)
        else:
            return None
        spans.append(span)
        position = span[1]
    return spans or None


def _anchored_span(original: str, hit: int, anchor: str, head: str, tail: str) -> Span | None:
    """The original span of the folded needle `head + anchor + tail` whose anchor stands at `hit`,
    if the source around it folds to the needle."""
    start, end = hit, hit + len(anchor)
    if head and original.startswith(head, hit - len(head)) and hit >= len(head):
        start, head = hit - len(head), ""  # written as folded: it folds to itself, one for one
    if tail and original.startswith(tail, end):
        end, tail = end + len(tail), ""
    if head:
        around = _fold_around(original, 0, hit, len(head), before=True)
        if around is None or not around[0].text.endswith(head):
            return None
        window, a = around
        start = a + window.to_original(len(window.text) - len(head))
    if tail:
        around = _fold_around(original, end, 0, len(tail), before=False)
        if around is None or not around[0].text.startswith(tail):
            return None
        window, a = around
        end = a + window.to_original(len(tail) - 1) + 1
    return start, end


def locate(quote: str, text: str, normalized: Callable[[], Normalized],
           folded: Callable[[], Folded] | None = None) -> list[tuple[int, int]] | None:
    """Where `quote` stands in `text`: the cheapest test that can find it, the full one last.

    Each tier accepts only what the next would also accept (word boundaries included), so
    whether a quote is found never depends on which tier found it.
    """
    return find_verbatim(quote, text) or find_typographic(quote, text, folded) or find(quote, normalized())


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
