"""YAML files -> model objects. Structure is checked here (schema); content checks come later."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import schema
from .diagnostics import Diagnostic
from .model import (
    Assessment,
    Citation,
    FuzzyDate,
    Incident,
    KeyJudgment,
    Registry,
    Section,
    Source,
)
from .project import Project
from .yamlfile import JsonPath, YamlDoc, load_yaml

REGISTRY_MAX_BYTES = 64 * 1024 * 1024  # one registry lists every source: ~400 bytes an entry


def load_registry(project: Project) -> tuple[Registry | None, list[Diagnostic]]:
    display = project.display(project.registry_file)
    doc, problems = load_yaml(project.registry_file, display, REGISTRY_MAX_BYTES)
    if doc is None:
        return None, problems
    problems = schema.validate(doc, "registry")
    if problems:
        return None, problems
    sources: dict[str, Source] = {}
    for i, entry in enumerate(doc.data["sources"]):
        path = entry["path"]
        if path in sources:
            first = sources[path].mark[0]
            problems.append(doc.diagnostic(("sources", i, "path"), "S005",
                                           f"{path} is already listed (line {first})", "keep one entry per source"))
            continue
        sources[path] = Source(
            path=path, title=entry["title"], publisher=entry.get("publisher"), author=entry.get("author"),
            published=entry["published"], language=entry["language"], kind=entry.get("kind"),
            url=entry.get("url"), reliability=entry["reliability"], rationale=entry["rationale"],
            sha256=entry["sha256"], mark=doc.mark(("sources", i, "path")), tlp=entry.get("tlp"),
        )
    return Registry(display, sources), problems


def load_assessment(file: Path, project: Project) -> tuple[Assessment | None, YamlDoc | None, list[Diagnostic]]:
    """Parse and schema-check one assessment; the YamlDoc is kept for positions of later checks."""
    display = project.display(file)
    doc, problems = load_yaml(file, display)
    if doc is None:
        return None, None, problems
    problems = schema.validate(doc, "assessment") or _date_problems(doc)
    if problems:
        return None, doc, problems
    return _AssessmentBuilder(file.stem, doc).build(), doc, []


def _date_problems(doc: YamlDoc) -> list[Diagnostic]:
    """Dates that match the pattern but cannot exist (2023-02-30, a range that ends first)."""
    problems = []
    places: list[JsonPath] = [("date",)] + [("incidents", i, "date") for i in range(len(doc.data.get("incidents", [])))]
    for path in places:
        try:
            FuzzyDate.parse(doc.value(path))
        except ValueError as exc:
            problems.append(doc.diagnostic(path, "Y010", f"{schema.dotted(path)}: {exc}", "write a date that exists"))
    return problems


class _AssessmentBuilder:
    """Numbers citations in reading order (key judgments, sections, incidents) as they are built."""

    def __init__(self, name: str, doc: YamlDoc) -> None:
        self.name, self.doc = name, doc
        self.citations: list[Citation] = []

    def build(self) -> Assessment:
        data = self.doc.data
        key_judgments = [
            KeyJudgment(kj["text"], kj["likelihood"], kj["confidence"], self._citations(("key_judgments", i)))
            for i, kj in enumerate(data["key_judgments"])
        ]
        sections = [
            Section(s["title"], s["body"], self._citations(("sections", i)), ("sections", i))
            for i, s in enumerate(data.get("sections", []))
        ]
        incidents = [self._incident(i, raw) for i, raw in enumerate(data.get("incidents", []))]
        return Assessment(
            name=self.name, path=self.doc.path, title=data["title"],
            short_title=data.get("short_title") or data["title"], date=data["date"], tlp=data["tlp"],
            authors=list(data["authors"]), scope=data["scope"], key_judgments=key_judgments,
            summary=data["summary"], sections=sections, incidents=incidents, citations=self.citations,
        )

    def _citations(self, owner: JsonPath) -> list[Citation]:
        result = []
        for i, raw in enumerate(self.doc.value(owner).get("citations", [])):
            path = owner + ("citations", i)
            citation = Citation(
                number=len(self.citations) + 1, source=raw["source"], quote=raw["quote"], id=raw.get("id"),
                credibility=raw.get("credibility"), note=raw.get("note"), yaml_path=path,
                quote_mark=self.doc.mark(path + ("quote",)), source_mark=self.doc.mark(path + ("source",)),
            )
            self.citations.append(citation)
            result.append(citation)
        return result

    def _incident(self, i: int, raw: dict[str, Any]) -> Incident:
        return Incident(
            id=raw["id"], title=raw["title"], kind=raw["kind"], date=FuzzyDate.parse(raw["date"]),
            date_note=raw.get("date_note"), country=raw["country"], province=raw.get("province"),
            district=raw.get("district"), place=raw.get("place"), attack_type=raw.get("attack_type"),
            target_type=raw.get("target_type"), target_nationality=raw.get("target_nationality"),
            perpetrator=raw.get("perpetrator"), claimed=raw.get("claimed", "unknown"), claim_note=raw.get("claim_note"),
            killed=raw.get("killed"), wounded=raw.get("wounded"), summary=raw.get("summary"),
            citations=self._citations(("incidents", i)),
        )
