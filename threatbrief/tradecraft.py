"""The analytic conventions the briefings follow: ICD 203 likelihood, confidence, Admiralty, TLP 2.0."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the tables are read by every build's plan; only check needs the rest
    from .diagnostics import Diagnostic
    from .model import Assessment, Registry
    from .yamlfile import YamlDoc

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


def check_tradecraft(assessment: Assessment, doc: YamlDoc, registry: Registry | None) -> list[Diagnostic]:
    from .diagnostics import Diagnostic

    problems = []
    for i, kj in enumerate(assessment.key_judgments):
        band = BAND_OF_TERM[kj.likelihood]
        for term, other in estimative_terms(kj.text):
            if other != band:
                problems.append(doc.diagnostic(
                    ("key_judgments", i, "text"), "T001",
                    f"key judgment {i + 1} declares {likelihood_label(kj.likelihood)} but its text says {term!r} ({other})",
                    "use the declared term, or change 'likelihood' to the band the text means"))
        for word in hedges(kj.text):
            problems.append(doc.diagnostic(
                ("key_judgments", i, "text"), "T002",
                f"key judgment {i + 1} hedges with {word!r}, which has no probability band",
                f"state the likelihood with the declared term ({kj.likelihood})"))
    if registry is not None:
        level = TLP_ORDER.index(assessment.tlp)
        for citation in assessment.citations:
            source = registry.sources.get(citation.source)
            if source is not None and source.tlp and TLP_ORDER.index(source.tlp) > level:
                problems.append(Diagnostic(
                    assessment.path, *citation.source_mark, "T003",
                    f"sources/{citation.source} is {source.tlp}, stricter than this assessment's {assessment.tlp}",
                    f"raise the assessment to {source.tlp}, or cite a source releasable at {assessment.tlp}"))
    return problems
