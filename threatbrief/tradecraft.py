"""The analytic conventions the briefings follow: ICD 203 likelihood, confidence, Admiralty, TLP 2.0."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

# ICD 203 estimative language: each band has two equivalent terms.
LIKELIHOOD_BANDS: list[tuple[str, tuple[str, str]]] = [
    ("1–5 %", ("almost no chance", "remote")),
    ("5–20 %", ("very unlikely", "highly improbable")),
    ("20–45 %", ("unlikely", "improbable")),
    ("45–55 %", ("roughly even chance", "roughly even odds")),
    ("55–80 %", ("likely", "probable")),
    ("80–95 %", ("very likely", "highly probable")),
    ("95–99 %", ("almost certain", "nearly certain")),
]
BAND_OF_TERM: dict[str, str] = {term: band for band, terms in LIKELIHOOD_BANDS for term in terms}

RELIABILITY = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
WEAK_GRADES = {"D", "E", "F"}  # not usually reliable or worse: a judgment needs more than these alone
CREDIBILITY = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "truth cannot be judged",
}

# FIRST TLP 2.0: coloured text on a black background (https://www.first.org/tlp/).
TLP_COLOURS = {
    "TLP:CLEAR": "#FFFFFF",
    "TLP:GREEN": "#33FF00",
    "TLP:AMBER": "#FFC000",
    "TLP:AMBER+STRICT": "#FFC000",
    "TLP:RED": "#FF2B2B",
}
TLP_MEANING = {
    "TLP:CLEAR": "Disclosure is not limited.",
    "TLP:GREEN": "Limited disclosure: the recipient's community, not public channels.",
    "TLP:AMBER": "Limited disclosure: the recipient's organisation and its clients, on a need-to-know basis.",
    "TLP:AMBER+STRICT": "Limited disclosure: the recipient's organisation only.",
    "TLP:RED": "For the eyes and ears of individual recipients only, no further disclosure.",
}


def likelihood_label(term: str) -> str:
    """'very likely (80–95 %)'."""
    return f"{term} ({BAND_OF_TERM[term]})"


# --- Lints -----------------------------------------------------------------------------------
# Words that carry an estimative band in prose, beyond the ICD 203 terms themselves.
_PROSE_FORMS = {
    "almost certainly": "95–99 %", "nearly certainly": "95–99 %",
    "highly likely": "80–95 %", "very probably": "80–95 %",
    "highly unlikely": "5–20 %",
    "probably": "55–80 %",
    "even chance": "45–55 %", "even odds": "45–55 %",
}
# Longest first, so that "very likely" is read as one term and not also as "likely".
_TERMS = sorted({**BAND_OF_TERM, **_PROSE_FORMS}.items(), key=lambda item: -len(item[0]))
_BAND_OF = {term: band for term, band in _TERMS}
HEDGES = ("may", "might", "could", "possibly", "perhaps", "potentially", "conceivably")
TLP_ORDER = ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"]


def estimative_terms(text: str) -> list[tuple[str, str]]:
    """(term as written, its band) for every estimative expression in `text`."""
    return [(m.group(0), _BAND_OF[m.group(0).lower()]) for m in _patterns()[0].finditer(text)]


def hedges(text: str) -> list[str]:
    return [m.group(0) for m in _patterns()[1].finditer(text)]


@lru_cache(maxsize=None)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The estimative terms and the hedges, compiled on first use: a build's plan reads this
    module's tables but never lints."""
    terms = re.compile(r"\b(" + "|".join(re.escape(t) for t, _ in _TERMS) + r")\b", re.IGNORECASE)
    return terms, re.compile(r"\b(" + "|".join(HEDGES) + r")\b", re.IGNORECASE)


# --- Confidence: what each level needs (K005, configurable in threatbrief.toml [judgments]) ---

class Support(Protocol):
    """The independent origins behind a judgment (integrity.Support)."""

    origins: dict[str, list[str]]

    def graded(self, grades: str) -> int: ...


CONFIDENCE_LEVELS = ("low", "moderate", "high")
GRADES = "ABCDEF"


@dataclass(frozen=True)
class ConfidencePolicy:
    """What a confidence level needs: `sources` independent origins, `graded` of them graded in
    `grades`; or else (when `or_graded` is set) `or_graded` origins graded in `grades` alone."""

    sources: int = 0
    graded: int = 0
    or_graded: int = 0
    grades: str = "ABC"

    def met(self, support: Support) -> bool:
        graded = support.graded(self.grades)
        if len(support.origins) >= self.sources and graded >= self.graded:
            return True
        return self.or_graded > 0 and graded >= self.or_graded

    def describe(self) -> str:
        """`3 independent origins, 2 of them graded A–C`; `2 independent origins, or 1 graded A–B`."""
        span = grade_span(self.grades)
        if self.graded and self.graded >= self.sources:
            main = f"{count(self.graded, 'independent origin')} graded {span}"
        elif self.sources:
            main = count(self.sources, "independent origin") + (f", {self.graded} of them graded {span}" if self.graded else "")
        else:
            main = ""
        other = f"{self.or_graded} graded {span}" if self.or_graded else ""
        return f"{main}, or {other}" if main and other else main or other or "no particular sources"


DEFAULT_CONFIDENCE: dict[str, ConfidencePolicy] = {
    "low": ConfidencePolicy(),
    "moderate": ConfidencePolicy(sources=2, or_graded=1, grades="AB"),
    "high": ConfidencePolicy(sources=3, graded=2, grades="ABC"),
}


@dataclass(frozen=True)
class JudgmentSettings:
    """The `[judgments]` table of threatbrief.toml (config.py reads and validates it)."""

    stale_after_months: int = 12
    confidence: dict[str, ConfidencePolicy] = field(default_factory=lambda: dict(DEFAULT_CONFIDENCE))



def grade_span(grades: str) -> str:
    """`A–C` for "ABC", `A, C` for "AC", `B` for "B"."""
    ordered = sorted(set(grades))
    if len(ordered) > 2 and "".join(ordered) in GRADES:
        return f"{ordered[0]}–{ordered[-1]}"
    if len(ordered) == 2 and "".join(ordered) in GRADES:
        return f"{ordered[0]}–{ordered[1]}"
    return ", ".join(ordered)


def count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"
