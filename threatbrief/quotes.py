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
from dataclasses import dataclass

MIN_QUOTE_CHARS = 12

_FOLD = {
    **dict.fromkeys("‘’‚‛′‵`´ʼ", "'"),
    **dict.fromkeys("“”„‟″‶〝〞«»", '"'),
    **dict.fromkeys("‐‑‒–—―−⁃", "-"),
}
_DROP = set("\u00ad\u200b\u200c\u200d\u2060\ufeff")
ELISION = re.compile(r"\s*\[(?:\.\.\.|…)\]\s*")


@dataclass(frozen=True)
class Normalized:
    """Normalized text plus, for each of its characters, the offset it came from in the original."""

    text: str
    origin: tuple[int, ...]  # len(text) + 1 entries; the last is len(original)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of the normalized slice [start, end)."""
        if end <= start:
            return self.origin[start], self.origin[start]
        return self.origin[start], self.origin[end - 1] + 1


def normalize(original: str) -> Normalized:
    chars: list[str] = []
    origin: list[int] = []
    i, n = 0, len(original)
    while i < n:
        # A base character and the combining marks after it are normalized together.
        j = i + 1
        while j < n and unicodedata.combining(original[j]):
            j += 1
        cluster = original[i:j]
        if cluster[0] in _DROP:
            i = j
            continue
        for ch in unicodedata.normalize("NFKC", cluster):
            ch = _FOLD.get(ch, ch)
            if ch.isspace():
                if chars and chars[-1] != " ":
                    chars.append(" ")
                    origin.append(i)
                continue
            chars.append(ch)
            origin.append(i)
        i = j
    origin.append(n)
    return Normalized("".join(chars), tuple(origin))


def quote_parts(quote: str) -> list[str]:
    """The parts of an elided quote (`a [...] b`), each normalized and stripped."""
    return [p for p in (normalize(part).text.strip() for part in ELISION.split(quote)) if p]


def find(quote: str, source: Normalized) -> list[tuple[int, int]] | None:
    """Original-text spans of every part of `quote`, in order; None when any part is missing."""
    spans = []
    position = 0
    for part in quote_parts(quote):
        at = source.text.find(part, position)
        if at < 0:
            return None
        spans.append(source.span(at, at + len(part)))
        position = at + len(part)
    return spans or None


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
        at = source.text.find(part, position)
        if at < 0:
            break
        position = at + len(part)
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
