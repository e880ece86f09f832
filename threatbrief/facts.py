"""Structured facts must be supported by the quotes cited for them.

An incident's killed and wounded counts, its province, district and place, and its perpetrator
must each appear in at least one quote cited for that incident: a figure as digits or words, a
name as written (case and typography aside). This catches the commonest drift between an
incident record and its sources: a number or a place typed from memory.
"""

from __future__ import annotations

import re

from .diagnostics import Diagnostic
from .model import Assessment, Incident
from .quotes import normalize
from .yamlfile import YamlDoc

_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
# "A Chinese citizen was killed": a singular victim is a count of one. (Possessive quantifiers: no
# backtracking over a long run of spaces.)
_SINGULAR = re.compile(
    r"\b(?:a|an)\s++(?:[\w'-]++\s++){0,3}(?:was|has been|had been|is)\s++(?:\w++\s++)?"
    r"(?:killed|wounded|injured|shot|murdered|slain|hurt)\b|\bkilling of an?\b", re.IGNORECASE)
# A number written in words, taken whole: "fourteen" gives no "four", "twenty-one" no "one" and
# no "twenty", "four hundred" no "four". The longest form is tried first; a hyphen is a word
# boundary (as for digits) except inside a compound number.
_UNIT = "|".join(sorted(_UNITS, key=len, reverse=True))
_DIGIT_WORD = "|".join(_UNITS[1:10])
_SMALL = rf"(?:{'|'.join(_TENS[2:])})(?:[- ](?:{_DIGIT_WORD})\b|(?![- ](?:{_DIGIT_WORD})\b))|{_UNIT}"
_NUMBER_WORDS = re.compile(
    rf"(?<!\w)(?<!ty-)(?:(?:{_SMALL}|a)\s++hundred(?:\s++(?:and\s++)?(?:{_SMALL}))?|{_SMALL})"
    rf"(?!\w)(?!\s++(?:hundred|thousand|million|billion)\b)", re.IGNORECASE)


def number_words(n: int) -> list[str]:
    """Ways a count is written in English prose: 'four', 'twenty-one', 'a hundred'."""
    if n < 20:
        return [_UNITS[n]]
    if n < 100:
        tens, unit = divmod(n, 10)
        return [_TENS[tens]] if unit == 0 else [f"{_TENS[tens]}-{_UNITS[unit]}", f"{_TENS[tens]} {_UNITS[unit]}"]
    if n % 100 == 0 and n < 1000:
        word = _UNITS[n // 100]
        return [f"{word} hundred"] + (["a hundred"] if n == 100 else [])
    return []


def count_supported(n: int, quotes: list[str]) -> bool:
    """Whether a quote gives the figure `n` as a whole number, in digits or in words.

    "in 2015" does not give 20, "14 killed" not 4, "1,000" not 1, "2.5" not 5, "3²" not 3,
    "twenty-one" not one.
    """
    digits = re.compile(rf"(?<!\w)(?<!\d[.,])(?:{n:,}|{n})(?!\w)(?![.,]\d)")
    words = {" ".join(w.replace("-", " ").split()) for w in number_words(n)}
    for quote in quotes:
        if digits.search(quote):
            return True
        if any(" ".join(m.group().lower().replace("-", " ").split()) in words for m in _NUMBER_WORDS.finditer(quote)):
            return True
        if n == 1 and _SINGULAR.search(quote):
            return True
    return False


def name_supported(name: str, quotes: list[str]) -> bool:
    pattern = re.compile(rf"(?<!\w){re.escape(normalize(name).text.strip())}(?!\w)", re.IGNORECASE)
    return any(pattern.search(quote) for quote in quotes)


_FIELDS = [
    ("killed", "F001", "a figure"), ("wounded", "F001", "a figure"),
    ("province", "F002", "a place"), ("district", "F002", "a place"), ("place", "F002", "a place"),
    ("perpetrator", "F003", "a perpetrator"),
]


def check_facts(assessment: Assessment, doc: YamlDoc) -> list[Diagnostic]:
    problems = []
    for i, incident in enumerate(assessment.incidents):
        if not incident.citations:
            continue  # reported as unsourced elsewhere
        quotes = [normalize(c.quote).text for c in incident.citations]
        for field, code, what in _FIELDS:
            value = getattr(incident, field)
            if value is None or value == "unknown":
                continue
            supported = count_supported(value, quotes) if isinstance(value, int) else name_supported(value, quotes)
            if not supported:
                problems.append(doc.diagnostic(
                    ("incidents", i, field), code,
                    f"incident {incident.id!r}: {field} {value!r} appears in none of its {len(quotes)} quote(s)",
                    _hint(field, incident),
                ))
    return problems


def _hint(field: str, incident: Incident) -> str:
    if field in ("killed", "wounded"):
        return f"cite the passage that gives the figure, or write '{field}: null' if no source gives it"
    return f"cite a passage that names it, or write '{field}: null' if no source does"
