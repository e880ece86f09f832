"""The analytic conventions the briefings follow: ICD 203 likelihood, confidence, Admiralty, TLP 2.0."""

from __future__ import annotations

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
