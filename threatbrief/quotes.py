"""Finding a quoted passage in a source: tolerant of typography, strict on words and numbers.

Both texts are normalized the same way (NFKC, one kind of quote mark, one kind of dash, no soft
hyphens, whitespace runs folded to one space) and then compared exactly, so case, every letter and
every digit must match. The normalized source keeps a map back to the original offsets so that a
match can be located and highlighted in the real file.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

MIN_QUOTE_CHARS = 12

_FOLD = {
    **dict.fromkeys("‘’‚‛′‵`´ʼ", "'"),
    **dict.fromkeys("“”„‟″‶〝〞«»", '"'),
    **dict.fromkeys("‐‑‒–—―−⁃", "-"),
}
_DROP = set("\u00ad\u200b\u200c\u200d\u2060\ufeff")
ELISION = re.compile(r"\s*(?:\[(?:\.\.\.|…)\]|…)\s*")
# Normalizing in two passes keeps it fast (about 100 MB/s): first `str.translate` maps, one for
# one and in C, the quote marks, dashes and whitespace characters that need no more than that;
# then one regex finds what changes length: runs of spaces, words hyphenated across a line break,
# and the few characters that NFKC changes or that are dropped.
def _unstable_class() -> str:
    """A regex class of every character NFKC changes (or composes), or that normalization drops."""
    points = [c for c in range(0x80, 0x10000)
              if c not in _TRANSLATE and ((ch := chr(c)) in _DROP or unicodedata.combining(ch)
                                          or unicodedata.normalize("NFKC", ch) != ch)]
    ranges = []
    for c in points:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    body = "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return f"[{body}\U00010000-\U0010ffff]"


_TRANSLATE = {ord(k): v for k, v in _FOLD.items()} | {c: " " for c in range(0x10000) if chr(c).isspace()}
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
_D = "[" + "".join(sorted(_DROP)) + "]"  # invisible characters, dropped; inside a run of spaces too
_EDITS = re.compile(rf"(?P<space>[ {_D[1:-1]}]{{2,}})|(?P<hyphen>- +)(?=[a-z])|(?P<other>{_unstable_class()}+)")
_LINE_BREAK_HYPHEN = re.compile(r"-[ \t]*\r?\n")
_INNER_HYPHEN = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")


@lru_cache(maxsize=8192)
def _fold(run: str) -> str:
    """NFKC, one kind of quote mark and dash, no invisible characters, for a non-ASCII run."""
    chars = []
    i = 0
    while i < len(run):
        if run[i] in _DROP:
            i += 1
            continue
        j = i + 1
        while j < len(run) and unicodedata.combining(run[j]):
            j += 1
        for ch in unicodedata.normalize("NFKC", run[i:j]):
            chars.append(" " if ch.isspace() else _FOLD.get(ch, ch))
        i = j
    return "".join(chars)


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
        return self.to_original(start), self.to_original(end - 1) + 1


def normalize(original: str) -> Normalized:
    hyphen_breaks = {m.start() for m in _LINE_BREAK_HYPHEN.finditer(original)
                     if m.start() and original[m.start() - 1].isalpha()}
    text = _translate(original)
    pieces: list[str] = []
    anchors_norm, anchors_orig = array("q"), array("q")
    hyphenation = []
    position = last = 0  # position: length of the normalized text so far; last: original offset
    for match in _EDITS.finditer(text):
        start, end = match.span()
        kind = match.lastgroup
        if kind == "other" and unicodedata.combining(original[start]) and last < start:
            start -= 1  # a combining mark composes with the letter before it
        pieces.append(text[last:start])
        position += start - last
        if kind == "hyphen":
            if start in hyphen_breaks:  # "cam-\npaign": one word, broken across lines
                replacement = ""
                hyphenation.append(position)
            else:
                replacement = "- "
        elif kind == "space":  # spaces and invisible characters: one space, or nothing if no space
            replacement = " " if " " in match.group() else ""
        else:
            replacement = _fold(original[start:end])
            if replacement.startswith(" ") and pieces and pieces[-1].endswith(" "):
                replacement = replacement.lstrip(" ")
        if len(replacement) != end - start:
            anchors_norm.extend((position, position + len(replacement)))
            anchors_orig.extend((start, end))
        pieces.append(replacement)
        position += len(replacement)
        last = end
    pieces.append(text[last:])
    return Normalized("".join(pieces), anchors_norm, anchors_orig, frozenset(hyphenation))


def quote_parts(quote: str) -> list[str]:
    """The parts of an elided quote (`a [...] b`, `a … b`), each normalized and stripped."""
    return [p for p in (normalize(part).text.strip() for part in ELISION.split(quote)) if p]


def _find_part(part: str, source: Normalized, position: int) -> tuple[int, int]:
    """(start, length) of `part` in the normalized source from `position`; start -1 if absent.

    A hyphen the quote writes inside a word ("cam-paign") also matches where the source breaks
    that word across lines with a hyphen, but only there.
    """
    at = source.text.find(part, position)
    if at >= 0 or not source.hyphenation or "-" not in part:
        return at, len(part)
    removed = [m.start() - k for k, m in enumerate(_INNER_HYPHEN.finditer(part))]
    if not removed:
        return -1, len(part)
    joined = _INNER_HYPHEN.sub("", part)
    at = source.text.find(joined, position)
    while at >= 0:
        if all(at + k in source.hyphenation for k in removed):
            return at, len(joined)
        at = source.text.find(joined, at + 1)
    return -1, len(part)


Span = tuple[int, int]


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
    return [p for p in (part.strip() for part in ELISION.split(quote)) if p]


def find_verbatim(quote: str, text: str) -> list[Span] | None:
    """Spans of the parts of `quote` copied character for character: the common, cheap case."""
    def search(part: str, position: int) -> Span | None:
        at = text.find(part, position)
        return None if at < 0 else (at, at + len(part))

    return _in_order(_raw_parts(quote), search)


_VARIANTS = {ch: "[" + re.escape(target + "".join(k for k, v in _FOLD.items() if v == target)) + "]"
             for target in set(_FOLD.values()) for ch in [target, *(k for k, v in _FOLD.items() if v == target)]}


@lru_cache(maxsize=4096)
def _typographic_pattern(part: str) -> re.Pattern[str]:
    """A regex for `part` with any quote mark or dash variant and any run of whitespace."""
    pieces = []
    for token in re.split(r"(\s+)", part):
        if token and token[0].isspace():
            pieces.append(r"\s+")
        else:
            pieces.extend(_VARIANTS.get(ch) or re.escape(ch) for ch in token)
    return re.compile("".join(pieces))


def find_typographic(quote: str, text: str) -> list[Span] | None:
    """Like `find_verbatim`, tolerating quote marks, dashes and whitespace: no normalized copy of
    the source is needed, which spares most sources the (slower) full normalization."""
    def search(part: str, position: int) -> Span | None:
        match = _typographic_pattern(part).search(text, position)
        return None if match is None else match.span()

    return _in_order(_raw_parts(quote), search)


def locate(quote: str, text: str, normalized: Callable[[], Normalized]) -> list[tuple[int, int]] | None:
    """Where `quote` stands in `text`: the cheapest test that can find it, the full one last.

    Each tier accepts only what the next would also accept, so the result never depends on
    which tier found it.
    """
    return find_verbatim(quote, text) or find_typographic(quote, text) or find(quote, normalized())


def find(quote: str, source: Normalized) -> list[Span] | None:
    """Original-text spans of every part of `quote`, in order; None when any part is missing.

    Positions are searched in the normalized text and mapped back to the original at the end.
    """
    def search(part: str, position: int) -> Span | None:
        at, length = _find_part(part, source, position)
        return None if at < 0 else (at, at + length)

    found = _in_order(quote_parts(quote), search)
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


def closest(quote: str, source: Normalized, original: str) -> NearMiss:
    """Explain a miss: the first part not found, the closest passage to it and how it differs."""
    from rapidfuzz import fuzz

    position = 0
    parts = quote_parts(quote) or [normalize(quote).text.strip()]
    part = parts[0]
    for part in parts:
        at, length = _find_part(part, source, position)
        if at < 0:
            break
        position = at + length
    window = source.text[position:] or source.text
    alignment = fuzz.partial_ratio_alignment(part, window, score_cutoff=0)
    if alignment is None:  # only for empty input
        return NearMiss(part, 0, 0, 0.0, "", [])
    start, end = _widen_to_words(window, alignment.dest_start, alignment.dest_end)
    passage = window[start:end]
    orig_start, orig_end = source.span(position + start, position + end)
    return NearMiss(part, orig_start, orig_end, round(alignment.score, 1), passage, word_differences(part, passage))


def _widen_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return start, end


_WORD = re.compile(r"\w+(?:[-'.,]\w+)*|[^\w\s]")


def word_differences(quote: str, passage: str, limit: int = 5) -> list[str]:
    """What the analyst must change in the quote to match the passage, word by word."""
    a, b = _WORD.findall(quote), _WORD.findall(passage)
    changes = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        quoted, found = " ".join(a[i1:i2]), " ".join(b[j1:j2])
        if tag == "replace":
            changes.append(f"quote has {quoted!r} where the source has {found!r}")
        elif tag == "delete":
            changes.append(f"quote adds {quoted!r}")
        elif tag == "insert" and 0 < i1 < len(a):
            changes.append(f"quote leaves out {found!r}")
    return changes[:limit]


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of an offset in a text."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
