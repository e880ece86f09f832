"""T001–T003: key judgments speak the estimative language they declare, and cite sources releasable
at the assessment's TLP (the conventions themselves are in tradecraft.py)."""

from __future__ import annotations

from threatbrief.diagnostics import Diagnostic
from threatbrief.load.yamlfile import YamlDoc
from threatbrief.model import Assessment, Registry
from threatbrief.tradecraft import BAND_OF_TERM, TLP_ORDER, estimative_terms, hedges, likelihood_label


def check_tradecraft(assessment: Assessment, doc: YamlDoc, registry: Registry | None) -> list[Diagnostic]:
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
