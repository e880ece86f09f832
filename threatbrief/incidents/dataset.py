"""The project's incident dataset: `incidents/**/*.yaml`, each event recorded once.

An assessment lists the ids of the incidents it discusses (`incidents: [takhar-2024-03-12]`);
the incidents, their citations and their facts are checked once, where they are recorded, and
a briefing shows them as if the assessment recorded them itself. An assessment may still record
an incident of its own (a mapping in its `incidents:` list); the overview and the exports read the
dataset only.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from threatbrief.diagnostics import Diagnostic
from threatbrief.model import Assessment, Citation, Incident, Located, Registry

if TYPE_CHECKING:  # the type only: reading cached findings needs no YAML parser
    from threatbrief.load.yamlfile import YamlDoc


@dataclass
class Dataset:
    """Every incident of incidents/, checked; `complete` when every file loaded and every citation
    of every incident was found (only then can briefings and the overview be built from it)."""

    files: list[Assessment] = field(default_factory=list)  # one per file, as an assessment of incidents
    docs: dict[str, YamlDoc] = field(default_factory=dict)  # file path -> its parse, for positions
    located: dict[tuple[str, int], Located] = field(default_factory=dict)  # (file, citation number)
    complete: bool = True

    @property
    def incidents(self) -> list[Incident]:
        """Each incident once: the first record of an id (a second is an error, A001)."""
        seen: dict[str, Incident] = {}
        for file in self.files:
            for incident in file.incidents:
                seen.setdefault(incident.id, incident)
        return list(seen.values())

    def by_id(self) -> dict[str, Incident]:
        return {incident.id: incident for incident in self.incidents}

    def locations(self, incident: Incident) -> list[Located | None]:
        return [self.located.get((incident.file, c.number)) for c in incident.citations]


def repeated_ids(dataset: Dataset) -> list[Diagnostic]:
    """A001 for an id recorded in two files of the dataset (within one file, citations.py says it)."""
    first: dict[str, Incident] = {}
    problems = []
    for file in dataset.files:
        for incident in file.incidents:
            earlier = first.setdefault(incident.id, incident)
            if earlier is not incident and earlier.file != incident.file:
                line, col = dataset.docs[incident.file].mark(incident.yaml_path + ("id",))
                where = dataset.docs[earlier.file].mark(earlier.yaml_path + ("id",))[0]
                problems.append(Diagnostic(incident.file, line, col, "A001",
                                           f"incident id {incident.id!r} is already used in {earlier.file}:{where}",
                                           "one incident is one record: merge the two, citing every source"))
    return problems


def resolve(assessment: Assessment, locations: dict[int, Located], dataset: Dataset,
            registry: Registry | None = None) -> tuple[Assessment, dict[int, Located], list[Diagnostic]]:
    """The assessment with the incidents it lists by id, as if it recorded them itself: their
    citations numbered after its own, with the places their quotes were found. A003 for an id
    the dataset does not hold; T003 where a listed incident cites a source stricter than the
    assessment's TLP (its briefing would carry that source's passage)."""
    if not assessment.incident_refs:
        return assessment, locations, []
    known = dataset.by_id()
    problems = []
    incidents = list(assessment.incidents)
    citations = list(assessment.citations)
    locations = dict(locations)
    files = []
    for incident_id, (line, col) in assessment.incident_refs:
        incident = known.get(incident_id)
        if incident is None:
            close = difflib.get_close_matches(incident_id, sorted(known), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else "record it in a file of incidents/ (see README, 'Incidents')"
            problems.append(Diagnostic(assessment.path, line, col, "A003",
                                       f"incidents/ records no incident {incident_id!r}", hint))
            continue
        if any(i.id == incident_id for i in incidents):
            continue  # listed twice, or recorded here too (A001 or A004 says so)
        problems += _stricter_sources(assessment, incident, registry, (line, col))
        own = []
        for citation, where in zip(incident.citations, dataset.locations(incident)):
            copy = dataclasses.replace(citation, number=len(citations) + 1)
            citations.append(copy)
            own.append(copy)
            if where is not None:
                locations[copy.number] = where
        incidents.append(dataclasses.replace(incident, citations=own))
        files.append(incident.file)
    resolved = dataclasses.replace(assessment, incidents=incidents, citations=citations,
                                   incident_files=tuple(sorted(set(files))))
    return resolved, locations, problems


def _stricter_sources(assessment: Assessment, incident: Incident, registry: Registry | None,
                      mark: tuple[int, int]) -> list[Diagnostic]:
    from threatbrief.tradecraft import TLP_ORDER

    if registry is None or assessment.tlp not in TLP_ORDER:
        return []
    level = TLP_ORDER.index(assessment.tlp)
    problems = []
    for path in sorted({c.source for c in incident.citations}):
        source = registry.sources.get(path)
        if source is not None and source.tlp in TLP_ORDER and TLP_ORDER.index(source.tlp) > level:
            problems.append(Diagnostic(
                assessment.path, *mark, "T003",
                f"incident {incident.id!r} cites sources/{path}, {source.tlp}, stricter than this assessment's "
                f"{assessment.tlp}", f"raise the assessment's tlp to {source.tlp}, or do not list the incident"))
    return problems


def _event_key(incident: Incident) -> tuple[str, ...] | None:
    """What makes two records one event: the same day (or month, year…), place and target.
    None for an undated one, which cannot be told apart from another by its date."""
    if incident.date.precision == "unknown":
        return None
    place = [(v or "").casefold().strip() for v in (incident.country, incident.province, incident.district, incident.place)]
    target = [(v or "").casefold().strip() for v in (incident.target_type, incident.target_nationality)]
    return (incident.kind, incident.date.text, *place, *target)


class EventRecord(NamedTuple):
    """What A004 compares of one incident record, and where its id stands: plain values, so a
    check worker can send it and the check cache can keep it."""

    key: tuple[str, ...] | None  # `_event_key`
    id: str
    path: str
    line: int
    col: int
    date: str
    location: str


def event_record(incident: Incident, path: str, mark: tuple[int, int]) -> EventRecord:
    return EventRecord(_event_key(incident), incident.id, path, mark[0], mark[1], incident.date.text, incident.location)


def duplicate_events(records: list[EventRecord]) -> list[Diagnostic]:
    """A004 where two records (in incidents/ or in assessments) describe one event under two ids."""
    first: dict[tuple[str, ...], EventRecord] = {}
    problems = []
    for record in records:
        if record.key is None:
            continue
        earlier = first.setdefault(record.key, record)
        if earlier is record or earlier.id == record.id:
            continue
        problems.append(Diagnostic(
            record.path, record.line, record.col, "A004",
            f"incident {record.id!r} looks like {earlier.id!r} ({earlier.path}:{earlier.line}): same date "
            f"({record.date}), place ({record.location}) and target",
            "one event is one record: merge them, citing every source, and list the one id; "
            "if they are two events, tell them apart (place, target) or say so in a suppression"))
    return problems


def quotes_of(dataset: Dataset) -> list[Citation]:
    return [c for file in dataset.files for c in file.citations]
