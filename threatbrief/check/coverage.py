"""Every claim sourced, and judgments that do not rest on one weak source or on one origin."""

from __future__ import annotations

from threatbrief.check.integrity import describe_origin, judgment_origins
from threatbrief.diagnostics import Diagnostic
from threatbrief.load.yamlfile import YamlDoc
from threatbrief.markup import MARKER
from threatbrief.model import Assessment, Registry
from threatbrief.tradecraft import WEAK_GRADES


def check_coverage(assessment: Assessment, doc: YamlDoc, registry: Registry | None) -> list[Diagnostic]:
    problems = []
    for i, kj in enumerate(assessment.key_judgments):
        path = ("key_judgments", i)
        sources = {c.source for c in kj.citations}
        if not sources:
            problems.append(doc.diagnostic(path + ("text",), "C010", f"key judgment {i + 1} cites no source",
                                           "add citations: the passages the judgment rests on"))
            continue
        # Independence counts origins, not files: three articles relaying one wire story are one.
        carried = judgment_origins(kj.citations, registry)
        if len(carried) == 1:
            (origin, via), = carried.items()
            problems.append(doc.diagnostic(path + ("text",), "K001",
                                           f"key judgment {i + 1} rests on one origin, {describe_origin(origin, via, registry)}",
                                           "corroborate it with an independent source (not one relaying the same report), "
                                           "or lower the confidence and say why"))
        if registry is not None:
            grades = {registry.sources[s].reliability for s in sources if s in registry.sources}
            if grades and grades <= WEAK_GRADES:
                problems.append(doc.diagnostic(path + ("text",), "K002",
                                               f"key judgment {i + 1} rests only on sources graded {', '.join(sorted(grades))}",
                                               "find a source graded A-C, or lower the confidence and say why"))
    for incident in assessment.incidents:
        if not incident.citations:
            problems.append(doc.diagnostic(incident.yaml_path + ("id",), "C010", f"incident {incident.id!r} cites no source",
                                           "add citations: the passages that report it"))
    for i, section in enumerate(assessment.sections):
        if not section.citations and not MARKER.search(section.body):
            problems.append(doc.diagnostic(("sections", i, "title"), "C011",
                                           f"section {section.title!r} cites no source",
                                           "put [@id] markers after its claims, or add citations"))
    return problems
