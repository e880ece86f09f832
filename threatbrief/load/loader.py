"""YAML files -> model objects. Structure is checked here (schema); content checks come later."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from threatbrief.diagnostics import Diagnostic
from threatbrief.files import NotReadable, read_regular
from threatbrief.limits import (
    MAX_CITATIONS, MAX_DATASET_BYTES, MAX_DATASET_CITATIONS, MAX_REGISTRY_BYTES, MAX_SOURCE_BYTES, YEAR_MAX, YEAR_MIN,
)
from threatbrief.load import schema
from threatbrief.load.yamlfile import JsonPath, YamlDoc, load_yaml
from threatbrief.model import Assessment, Citation, FuzzyDate, Incident, KeyJudgment, Registry, Section, Source
from threatbrief.project import PathRefused, Project, canonical_source_path, confine, slug


def load_registry(project: Project) -> tuple[Registry | None, YamlDoc | None, list[Diagnostic]]:
    """The registry, the parsed file (kept even when its schema fails: placeholders and
    suppressions are read from it, so the file is read once), and the problems."""
    display = project.display(project.registry_file)
    if not project.inside(project.registry_file):
        return None, None, [_outside(display)]
    doc, problems = load_yaml(project.registry_file, display, MAX_REGISTRY_BYTES)
    if doc is None:
        return None, None, problems
    problems = schema.validate(doc, "registry")
    if problems:
        return None, doc, [_with_sha256_hint(p, doc, project) for p in problems]
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
            relays=tuple(entry.get("relays", ())), retrieved=entry.get("retrieved"),
            archive_url=entry.get("archive_url"),
        )
        by_hash[entry["sha256"]] = sources[path]
    return Registry(display, sources), doc, problems


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
    try:
        data = read_regular(confine(project, canonical_source_path(path)), MAX_SOURCE_BYTES)
    except (PathRefused, NotReadable):
        return problem
    return replace(problem, hint=f"sources/{path} has sha256 {hashlib.sha256(data).hexdigest()}: "
                                 "paste it after re-reading the file (`sha256: …`)")


def _outside(display: str) -> Diagnostic:
    return Diagnostic(display, 1, 1, "Y004", f"{display} is a symbolic link to a file outside the project: not read",
                      "copy the file into the project, or allow its directory with [paths] allow_outside in threatbrief.toml")


def load_assessment(file: Path, project: Project) -> tuple[Assessment | None, YamlDoc | None, list[Diagnostic]]:
    """Parse and schema-check one assessment; the YamlDoc is kept for positions of later checks."""
    display = project.display(file)
    if not project.inside(file):
        return None, None, [_outside(display)]
    doc, problems = load_yaml(file, display)
    if doc is None:
        return None, None, problems
    problems = schema.validate(doc, "assessment")
    problems += _date_problems(doc, conforms=not problems) + _citation_count(doc)
    if problems:
        return None, doc, problems
    return _AssessmentBuilder(slug(file.stem), doc).build(), doc, []


def load_incidents(file: Path, project: Project) -> tuple[Assessment | None, YamlDoc | None, list[Diagnostic]]:
    """Parse and schema-check one file of the incident dataset (incidents/*.yaml)."""
    display = project.display(file)
    if not project.inside(file):
        return None, None, [_outside(display)]
    doc, problems = load_yaml(file, display, MAX_DATASET_BYTES)
    if doc is None:
        return None, None, problems
    problems = schema.validate(doc, "incidents")
    problems += _date_problems(doc, conforms=not problems) + _citation_count(doc, MAX_DATASET_CITATIONS, "file")
    if problems:
        return None, doc, problems
    return _AssessmentBuilder(slug(file.stem), doc).build_dataset(), doc, []


def _date_problems(doc: YamlDoc, conforms: bool = True) -> list[Diagnostic]:
    """Dates that match the pattern but cannot exist (2023-02-30, a range that ends first), or
    lie outside the plausible window (a year 0001 or 9999 is a typo, and would make a chart of
    ten thousand years). In a document that does not conform, only the dates of the expected form
    are read (the schema error says what is wrong with the others)."""
    problems = []
    data = doc.data if isinstance(doc.data, dict) else {}
    incidents = data.get("incidents") if isinstance(data.get("incidents"), list) else []
    places: list[JsonPath] = [("date",)] if "date" in data else []
    places += [("incidents", i, "date") for i, raw in enumerate(incidents) if isinstance(raw, dict)]
    if not conforms:
        places = [path for path in places if _well_formed_date(doc, path)]
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


def _well_formed_date(doc: YamlDoc, path: JsonPath) -> bool:
    """Whether the value at `path` exists and has the form its schema gives a date."""
    owner = doc.data if len(path) == 1 else _item(doc.data, path[0], path[1])
    if not isinstance(owner, dict) or "date" not in owner:
        return False
    where = ("properties", "date") if len(path) == 1 else ("$defs", "fuzzy_date")
    return schema.part_is_valid(owner["date"], "assessment", where)


def _item(data: Any, key: Any, index: Any) -> Any:
    items = data.get(key) if isinstance(data, dict) else None
    return items[index] if isinstance(items, list) and isinstance(index, int) and index < len(items) else None


def _raw_citations(data: Any) -> int:
    """How many citations a document holds, whatever its shape (lists of mappings are counted)."""
    count = 0
    for key in _OWNERS:
        items = data.get(key) if isinstance(data, dict) else None
        for owner in items if isinstance(items, list) else []:
            citations = owner.get("citations") if isinstance(owner, dict) else None
            count += len(citations) if isinstance(citations, list) else 0
    return count


def _citation_count(doc: YamlDoc, limit: int = MAX_CITATIONS, what: str = "assessment") -> list[Diagnostic]:
    count = _raw_citations(doc.data)
    if count <= limit:
        return []
    return [Diagnostic(doc.path, 1, 1, "L001", f"{count:,} citations; the limit is {limit:,} per {what}",
                       f"split the {what} into several")]


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
        incidents = [self._incident(i, raw) for i, raw in enumerate(data.get("incidents", [])) if isinstance(raw, dict)]
        return Assessment(
            name=self.name, path=self.doc.path, title=data["title"],
            short_title=data.get("short_title") or data["title"], date=data["date"], tlp=data["tlp"],
            authors=list(data["authors"]), scope=data["scope"], key_judgments=key_judgments,
            summary=data["summary"], sections=sections, incidents=incidents, citations=self.citations,
            incident_refs=self._refs(),
        )

    def build_dataset(self) -> Assessment:
        """An incidents/ file, as an assessment of incidents alone: every check of incidents and
        their citations applies to it unchanged."""
        incidents = [self._incident(i, raw) for i, raw in enumerate(self.doc.data["incidents"])]
        # TLP:RED: a file of incidents is not distributed itself, so no source is too strict for
        # it (T003); an assessment listing its incidents is held to their sources (dataset.resolve).
        return Assessment(name=self.name, path=self.doc.path, title="", short_title="", date="", tlp="TLP:RED",
                          authors=[], scope="", key_judgments=[], summary="", sections=[], incidents=incidents,
                          citations=self.citations)

    def _refs(self) -> list[tuple[str, tuple[int, int]]]:
        """The ids of incidents recorded in incidents/ that the assessment lists."""
        items = self.doc.data.get("incidents", [])
        return [(raw, self.doc.mark(("incidents", i))) for i, raw in enumerate(items if isinstance(items, list) else [])
                if isinstance(raw, str) and schema.part_is_valid(raw, "assessment", ("$defs", "incident_id"))]

    def _citations(self, owner: JsonPath) -> list[Citation]:
        result = []
        for i, raw in enumerate(self.doc.value(owner).get("citations", [])):
            citation = self._citation(owner + ("citations", i), raw)
            self.citations.append(citation)
            result.append(citation)
        return result

    def _citation(self, path: JsonPath, raw: dict[str, Any]) -> Citation:
        return Citation(
            number=len(self.citations) + 1, source=canonical_source_path(raw["source"]), quote=raw["quote"], id=raw.get("id"),
            credibility=raw.get("credibility"), note=raw.get("note"), translation=raw.get("translation"), yaml_path=path,
            quote_mark=self.doc.mark(path + ("quote",)), source_mark=self.doc.mark(path + ("source",)),
        )

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
            file=self.doc.path, yaml_path=("incidents", i),
        )


_OWNERS = ("key_judgments", "sections", "incidents")
_PART = {"key_judgments": "key_judgment", "sections": "section", "incidents": "incident"}
_UNKNOWN_DATE = FuzzyDate("unknown", "unknown", None, None)
_NO_CITATION = "] names no citation"


@dataclass(frozen=True)
class Salvaged:
    """What can still be checked of an assessment that does not conform to its schema as a whole.

    `assessment` keeps every list position, so that each check points at the right line: a key
    judgment, section or incident that does not conform on its own stands in it as a neutral
    stand-in (no facts, no citations), and `keep` drops every finding the checks report inside
    one — its schema error is what to fix there. The citations that conform are verified wherever
    they stand. A top-level value that does not conform is replaced by one no check can read
    anything into (no TLP stricter than TLP:RED, no date). Never built: only checked.
    """

    assessment: Assessment
    hidden: frozenset[tuple[int, int]]  # positions inside stand-ins
    unread_ids: frozenset[str]  # ids of citations that do not conform: a marker naming one is no C003

    def keep(self, problems: list[Diagnostic]) -> list[Diagnostic]:
        path = self.assessment.path
        return [p for p in problems if p.path != path or not (
            (p.line, p.col) in self.hidden
            or (p.code == "C003" and p.message.startswith("[@") and p.message.endswith(_NO_CITATION)
                and p.message[2:-len(_NO_CITATION)] in self.unread_ids))]


def salvage_assessment(file: Path, doc: YamlDoc) -> Salvaged | None:
    """The conforming parts of an assessment whose schema check failed, ready to be checked
    (None when nothing can be: not a mapping, or more citations than the limit allows)."""
    if not isinstance(doc.data, dict) or _raw_citations(doc.data) > MAX_CITATIONS:
        return None
    return _Salvager(slug(file.stem), doc).salvage()


class _Salvager(_AssessmentBuilder):
    """`_AssessmentBuilder` part by part, each part validated against its own schema ($defs)."""

    def __init__(self, name: str, doc: YamlDoc) -> None:
        super().__init__(name, doc)
        self.stand_ins: set[JsonPath] = set()  # (key, index) of parts that do not conform, or top-level keys
        self.kept_citations: set[JsonPath] = set()  # conforming citations inside stand-ins
        self.unread_ids: set[str] = set()

    def salvage(self) -> Salvaged:
        title = self._top("title", "")
        key_judgments = [
            KeyJudgment(raw["text"], raw["likelihood"], raw["confidence"], self._citations(("key_judgments", i)))
            if self._conforms("key_judgments", i, raw) else self._stand_in("key_judgments", i, raw,
                                                                          KeyJudgment("", "roughly even chance", "low", []))
            for i, raw in enumerate(self._list("key_judgments"))
        ]
        sections = [
            Section(raw["title"], raw["body"], self._citations(("sections", i)), ("sections", i))
            if self._conforms("sections", i, raw) else self._stand_in("sections", i, raw, Section("", "", [], ("sections", i)))
            for i, raw in enumerate(self._list("sections"))
        ]
        incidents = [
            self._incident(i, raw) if self._conforms("incidents", i, raw) else self._stand_in(
                "incidents", i, raw, _stand_in_incident(i, raw))
            for i, raw in enumerate(self._list("incidents"))
            if not (isinstance(raw, str) and schema.part_is_valid(raw, "assessment", ("$defs", "incident_id")))
        ]
        assessment = Assessment(
            name=self.name, path=self.doc.path, title=title, short_title=self._top("short_title", title),
            date=self._top("date", ""), tlp=self._top("tlp", "TLP:RED"), authors=list(self._top("authors", [])),
            scope=self._top("scope", ""), key_judgments=key_judgments, summary=self._top("summary", ""),
            sections=sections, incidents=incidents, citations=self.citations, incident_refs=self._refs(),
        )
        return Salvaged(assessment, self._hidden(), frozenset(self.unread_ids))

    def _top(self, key: str, neutral: Any) -> Any:
        data = self.doc.data
        if key in data and schema.part_is_valid(data[key], "assessment", ("properties", key)) and (
                key != "date" or _parses(data[key])):
            return data[key]
        self.stand_ins.add((key,))
        return neutral

    def _list(self, key: str) -> list[Any]:
        value = self.doc.data.get(key, [])
        if isinstance(value, list):
            return value
        self.stand_ins.add((key,))
        return []

    def _conforms(self, key: str, i: int, raw: Any) -> bool:
        return schema.part_is_valid(raw, "assessment", ("$defs", _PART[key])) and (
            key != "incidents" or _parses(raw["date"]))

    def _stand_in(self, key: str, i: int, raw: Any, neutral: Any) -> Any:
        """`neutral` in place of a part that does not conform; its conforming citations are still verified."""
        self.stand_ins.add((key, i))
        citations = raw.get("citations") if isinstance(raw, dict) else None
        for j, citation in enumerate(citations if isinstance(citations, list) else []):
            path = (key, i, "citations", j)
            if schema.part_is_valid(citation, "assessment", ("$defs", "citation")):
                self.kept_citations.add(path)
                self.citations.append(self._citation(path, citation))
            elif isinstance(citation, dict) and isinstance(citation.get("id"), str):
                self.unread_ids.add(citation["id"])
        return neutral

    def _hidden(self) -> frozenset[tuple[int, int]]:
        """Every position inside a stand-in, except those of the citations verified there."""
        return frozenset(
            mark for path, mark in self.doc.marks.items()
            if path and (path[:1] in self.stand_ins or path[:2] in self.stand_ins) and path[:4] not in self.kept_citations
        )


def _stand_in_incident(i: int, raw: Any) -> Incident:
    """An incident with no facts; it keeps its id when that conforms, so that a later incident
    repeating it is still reported (A001)."""
    own = raw.get("id") if isinstance(raw, dict) else None
    conforms = own is not None and schema.part_is_valid(own, "assessment", ("$defs", "incident", "properties", "id"))
    return Incident(id=own if conforms else f"<incident {i + 1}>", title="", kind="other", date=_UNKNOWN_DATE,
                    date_note=None, country="", province=None, district=None, place=None, attack_type=None,
                    target_type=None, target_nationality=None, perpetrator=None, claimed="unknown", claim_note=None,
                    killed=None, wounded=None, summary=None, citations=[], yaml_path=("incidents", i))


def _parses(text: str) -> bool:
    try:
        FuzzyDate.parse(text)
    except ValueError:
        return False
    return True


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
