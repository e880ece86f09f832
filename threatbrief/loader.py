"""YAML files -> model objects. Structure is checked here (schema); content checks come later."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
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
from .files import NotReadable, read_regular
from .limits import MAX_CITATIONS, MAX_REGISTRY_BYTES, MAX_SOURCE_BYTES, YEAR_MAX, YEAR_MIN
from .project import RESERVED_NAMES, Project, canonical_source_path, slug
from .yamlfile import JsonPath, YamlDoc, load_yaml


def load_registry(project: Project) -> tuple[Registry | None, list[Diagnostic]]:
    display = project.display(project.registry_file)
    if not project.inside(project.registry_file):
        return None, [_outside(display)]
    doc, problems = load_yaml(project.registry_file, display, MAX_REGISTRY_BYTES)
    if doc is None:
        return None, problems
    problems = schema.validate(doc, "registry")
    if problems:
        return None, [_with_sha256_hint(p, doc, project) for p in problems]
    sources: dict[str, Source] = {}
    by_hash: dict[str, Source] = {}
    for i, entry in enumerate(doc.data["sources"]):
        # `./x.txt` and `x.txt` are one file; so is any second name with the same content (a
        # symlink, a hard link, another letter case, a copy): one entry, one grade, one TLP.
        path = canonical_source_path(entry["path"])
        if path in sources:
            first = sources[path].mark[0]
            problems.append(doc.diagnostic(("sources", i, "path"), "S005",
                                           f"{path} is already listed (line {first})", "keep one entry per source"))
            continue
        if entry["sha256"] in by_hash:
            first_entry = by_hash[entry["sha256"]]
            problems.append(doc.diagnostic(
                ("sources", i, "sha256"), "S005",
                f"{path} has the same content (sha256) as {first_entry.path}, listed at line {first_entry.mark[0]}",
                "one document, one entry: keep one (a second place it was published can go in its rationale)"))
            continue
        sources[path] = Source(
            path=path, title=entry["title"], publisher=entry.get("publisher"), author=entry.get("author"),
            published=entry["published"], language=entry["language"], kind=entry.get("kind"),
            url=entry.get("url"), reliability=entry["reliability"], rationale=entry["rationale"],
            sha256=entry["sha256"], mark=doc.mark(("sources", i, "path")), tlp=entry.get("tlp"),
            relays=tuple(entry.get("relays", ())),
        )
        by_hash[entry["sha256"]] = sources[path]
    return Registry(display, sources), problems


_ENTRY = re.compile(r"sources\[(\d+)\]")


def _with_sha256_hint(problem: Diagnostic, doc: YamlDoc, project: Project) -> Diagnostic:
    """A missing or malformed sha256 comes with the file's real one, ready to paste."""
    entry = _ENTRY.match(problem.message)
    if "sha256" not in problem.message or entry is None:
        return problem
    raw = doc.data["sources"][int(entry[1])]
    path = raw.get("path") if isinstance(raw, dict) else None
    if not isinstance(path, str):
        return problem
    from .sources import PathRefused, confine

    try:
        data = read_regular(confine(project, canonical_source_path(path)), MAX_SOURCE_BYTES)
    except (PathRefused, NotReadable):
        return problem
    return replace(problem, hint=f"sources/{path} has sha256 {hashlib.sha256(data).hexdigest()}: "
                                 "paste it after re-reading the file (`sha256: …`)")


def _outside(display: str) -> Diagnostic:
    return Diagnostic(display, 1, 1, "Y004", f"{display} is a symbolic link to a file outside the project: not read",
                      "copy the file into the project, or allow its directory with [paths] allow_outside in threatbrief.toml")


def check_names(files: list[Path], project: Project) -> list[Diagnostic]:
    """Output names (slugs) must be non-empty, not reserved, and one per assessment.

    The name becomes reports/<name>.html and a link in the index, so it is derived from the
    file name by `project.slug`, never used raw.
    """
    everyone: dict[str, list[Path]] = {}
    for file in project.assessment_files():
        everyone.setdefault(slug(file.stem), []).append(file)
    problems = []
    for file in files:
        name, display = slug(file.stem), project.display(file)
        if not name:
            problems.append(Diagnostic(display, 1, 1, "A002", f"{file.name!r} gives no usable output name",
                                       "name the file with letters or digits, e.g. 'kabul-2025.yaml'"))
        elif name in RESERVED_NAMES:
            problems.append(Diagnostic(display, 1, 1, "A002",
                                       f"the output name {name!r} is reserved (reports/{name}.html is the tool's own)",
                                       "rename the file"))
        elif len(everyone.get(name, [])) > 1:
            others = ", ".join(project.display(f) for f in everyone[name] if f != file)
            problems.append(Diagnostic(display, 1, 1, "A002",
                                       f"output name {name!r} (reports/{name}.html) is also the name of {others}",
                                       "rename one of the files: names that differ only in case or punctuation collide"))
    return problems


def load_assessment(file: Path, project: Project) -> tuple[Assessment | None, YamlDoc | None, list[Diagnostic]]:
    """Parse and schema-check one assessment; the YamlDoc is kept for positions of later checks."""
    display = project.display(file)
    if not project.inside(file):
        return None, None, [_outside(display)]
    doc, problems = load_yaml(file, display)
    if doc is None:
        return None, None, problems
    problems = schema.validate(doc, "assessment") or _date_problems(doc) + _citation_count(doc)
    if problems:
        return None, doc, problems
    return _AssessmentBuilder(slug(file.stem), doc).build(), doc, []


def _date_problems(doc: YamlDoc) -> list[Diagnostic]:
    """Dates that match the pattern but cannot exist (2023-02-30, a range that ends first), or
    lie outside the plausible window (a year 0001 or 9999 is a typo, and would make a chart of
    ten thousand years)."""
    problems = []
    places: list[JsonPath] = [("date",)] + [("incidents", i, "date") for i in range(len(doc.data.get("incidents", [])))]
    for path in places:
        try:
            parsed = FuzzyDate.parse(doc.value(path))
        except ValueError as exc:
            problems.append(doc.diagnostic(path, "Y010", f"{schema.dotted(path)}: {exc}", "write a date that exists"))
            continue
        years = [d.year for d in (parsed.earliest, parsed.latest) if d is not None]
        if any(not YEAR_MIN <= year <= YEAR_MAX for year in years):
            problems.append(doc.diagnostic(path, "L001", f"{schema.dotted(path)}: {parsed.text!r} lies outside "
                                           f"{YEAR_MIN}–{YEAR_MAX}, the window of plausible dates",
                                           "check the year; write 'unknown' if no source gives it"))
    return problems


def _citation_count(doc: YamlDoc) -> list[Diagnostic]:
    data = doc.data
    owners = [*data["key_judgments"], *data.get("sections", []), *data.get("incidents", [])]
    count = sum(len(owner.get("citations", [])) for owner in owners)
    if count <= MAX_CITATIONS:
        return []
    return [Diagnostic(doc.path, 1, 1, "L001", f"{count:,} citations; the limit is {MAX_CITATIONS:,} per assessment",
                       "split the assessment into several")]


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
                number=len(self.citations) + 1, source=canonical_source_path(raw["source"]), quote=raw["quote"], id=raw.get("id"),
                credibility=raw.get("credibility"), note=raw.get("note"), yaml_path=path,
                quote_mark=self.doc.mark(path + ("quote",)), source_mark=self.doc.mark(path + ("source",)),
            )
            self.citations.append(citation)
            result.append(citation)
        return result

    def _incident(self, i: int, raw: dict[str, Any]) -> Incident:
        killed, killed_parts, killed_word = _casualties(raw.get("killed"))
        wounded, wounded_parts, _ = _casualties(raw.get("wounded"))
        return Incident(
            id=raw["id"], title=raw["title"], kind=raw["kind"], date=FuzzyDate.parse(raw["date"]),
            date_note=raw.get("date_note"), country=raw["country"], province=raw.get("province"),
            district=raw.get("district"), place=raw.get("place"), attack_type=raw.get("attack_type"),
            target_type=raw.get("target_type"), target_nationality=raw.get("target_nationality"),
            perpetrator=raw.get("perpetrator"), claimed=raw.get("claimed", "unknown"), claim_note=raw.get("claim_note"),
            killed=killed, wounded=wounded, summary=raw.get("summary"),
            citations=self._citations(("incidents", i)),
            killed_parts=killed_parts, wounded_parts=wounded_parts, killed_word=killed_word,
        )


def _casualties(value: Any) -> tuple[int | None, tuple[int, ...], str | None]:
    """A schema-valid `killed` or `wounded`: (total, parts of a sum, word for deaths without a figure).

    `4` -> (4, (), None); `{total: 6, from: [5, 1]}` -> (6, (5, 1), None); `deadly` -> (None, (),
    'deadly'): unknown in charts and totals; null -> (None, (), None).
    """
    if isinstance(value, dict):
        return value["total"], tuple(value["from"]), None
    if isinstance(value, str):
        return None, (), value
    return value, (), None
