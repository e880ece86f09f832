"""Shared by the quote tests: a slow reference for joining lines, and what each tier finds."""

from __future__ import annotations

import re

from threatbrief.sources.quotes import _DROP, _FOLD, find, find_typographic, find_verbatim, locate, normalize

LINE_BREAKS = "\n\r\f\v\x1c\x1d\x1e\x85\u2028\u2029"  # where str.splitlines breaks


def rejoin(text: str) -> str:
    """Lines joined where a line break is no space: a word hyphenated across lines ("cam-\npaign",
    a lowercase letter after the line break) loses the hyphen and the whitespace; a slash or a
    dash after a non-space, with a line break straight after it ("RFE/\nRL", "Asia-\nPlus"), loses
    the whitespace (and invisible characters) after it. Decided on the original text."""
    def join(m: re.Match[str]) -> str:
        before, (mark, gap), after = text[m.start() - 1:m.start()], m.groups(), text[m.end():m.end() + 1]
        if mark == "-" and before.isalpha() and re.fullmatch(r"[ \t]*\r?\n\s*", gap) and "a" <= after <= "z":
            return ""
        if before and not before.isspace() and gap and gap[0] in LINE_BREAKS:
            return mark
        return m.group()

    dashes = "".join(k for k, v in _FOLD.items() if v == "-")
    return re.sub(f"([/{re.escape(dashes)}-])([\\s{''.join(_DROP)}]*)", join, text)


def tiers(quote: str, source: str) -> dict[str, object]:
    """What each matching tier, and `locate`, makes of `quote` in `source`."""
    return {
        "verbatim": find_verbatim(quote, source),
        "typographic": find_typographic(quote, source),
        "normalized": find(quote, normalize(source)),
        "locate": locate(quote, source, lambda: normalize(source)),
    }
