"""The incident dataset for other tools: CSV (ACLED-like columns), JSON, and a STIX 2.1 bundle.

Pure functions: model objects in, bytes out. The same input gives byte-identical output, whatever
the order of the incidents given: rows and objects are sorted, keys are sorted, STIX ids are
uuid5 of our ids and STIX timestamps come from the data, never from the clock. docs/exports.md
documents every column, the JSON shape and the STIX mapping.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import uuid
from datetime import date, datetime, timezone
from typing import Any, Iterable

from threatbrief.model import Assessment, FuzzyDate, Incident, Registry, Source
from threatbrief.tradecraft import TLP_ORDER

CSV_COLUMNS: tuple[str, ...] = (
    "event_id",
    "event_date",
    "year",
    "time_precision",
    "date_earliest",
    "date_latest",
    "event_type",
    "sub_event_type",
    "actor1",
    "target_type",
    "target_nationality",
    "country",
    "admin1",
    "admin2",
    "location",
    "fatalities",
    "fatalities_word",
    "fatalities_parts",
    "wounded",
    "wounded_parts",
    "claimed",
    "claim_note",
    "title",
    "notes",
    "date_note",
    "tlp",
    "source",
    "source_paths",
    "source_urls",
    "citations",
)
CSV_LINETERMINATOR = "\r\n"  # RFC 4180; line breaks inside a quoted field stay as the data has them
JSON_FORMAT, JSON_VERSION = "threatbrief-incidents", 1

# A spreadsheet reads a cell that starts with one of these as a formula (OWASP "CSV injection"),
# also after leading spaces; the full-width forms too in some locales.
_FORMULA_START = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


# ---------------------------------------------------------------------------------------------
# Shared helpers


def _records(incidents: Iterable[Incident]) -> list[Incident]:
    """Each incident once (the first record of an id, as the dataset keeps it), by date then id."""
    seen: dict[str, Incident] = {}
    for incident in incidents:
        seen.setdefault(incident.id, incident)
    return sorted(seen.values(), key=lambda i: (i.date.sort_key(), i.id))


def _cited_paths(incident: Incident) -> list[str]:
    """The sources an incident cites, each once, in the order of its first citation."""
    return list(dict.fromkeys(c.source for c in incident.citations))


def _strictest(labels: Iterable[str | None]) -> str | None:
    known = [TLP_ORDER.index(label) for label in labels if label in TLP_ORDER]
    return TLP_ORDER[max(known)] if known else None


def _source_tlp(incident: Incident, registry: Registry) -> str | None:
    """The strictest TLP among the sources an incident cites; None when none carries one."""
    return _strictest(registry.sources[p].tlp for p in _cited_paths(incident) if p in registry.sources)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def time_precision(when: FuzzyDate) -> int | None:
    """ACLED's time_precision: 1 the day is known, 2 the week (a range of 2 to 7 days), 3 the
    month or coarser (a month, a year, a longer range); None when the date is unknown."""
    if when.earliest is None or when.latest is None:
        return None
    days = (when.latest - when.earliest).days + 1
    return 1 if days == 1 else 2 if days <= 7 else 3


def _event_date(when: FuzzyDate) -> str:
    """The day (YYYY-MM-DD) when it is known; else the date as recorded (2024-12, 2022,
    2022/2026-11-22); empty when unknown."""
    if when.precision == "unknown":
        return ""
    if when.earliest is not None and when.earliest == when.latest:
        return when.earliest.isoformat()
    return when.text


def _parts(parts: tuple[int, ...]) -> str:
    return " + ".join(str(p) for p in parts)


def _claimed(value: bool | str) -> str:
    return "true" if value is True else "false" if value is False else str(value)


def neutralise(cell: str) -> str:
    """A text cell a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    return "'" + cell if cell.lstrip(" \u00a0")[:1] in _FORMULA_START else cell


# ---------------------------------------------------------------------------------------------
# CSV


def _csv_row(incident: Incident, registry: Registry) -> dict[str, str | int | None]:
    paths = _cited_paths(incident)
    sources = [registry.sources.get(p) for p in paths]
    when = incident.date
    return {
        "event_id": incident.id,
        "event_date": _event_date(when),
        "year": when.year,
        "time_precision": time_precision(when),
        "date_earliest": _iso(when.earliest),
        "date_latest": _iso(when.latest),
        "event_type": incident.kind,
        "sub_event_type": incident.attack_type,
        "actor1": incident.perpetrator,
        "target_type": incident.target_type,
        "target_nationality": incident.target_nationality,
        "country": incident.country,
        "admin1": incident.province,
        "admin2": incident.district,
        "location": incident.place,
        "fatalities": incident.killed,
        "fatalities_word": incident.killed_word,
        "fatalities_parts": _parts(incident.killed_parts),
        "wounded": incident.wounded,
        "wounded_parts": _parts(incident.wounded_parts),
        "claimed": _claimed(incident.claimed),
        "claim_note": incident.claim_note,
        "title": incident.title,
        "notes": incident.summary,
        "date_note": incident.date_note,
        "tlp": _source_tlp(incident, registry),
        "source": "; ".join(s.title if s else p for p, s in zip(paths, sources)),
        "source_paths": "; ".join(paths),
        "source_urls": "; ".join(dict.fromkeys(s.url for s in sources if s and s.url)),
        "citations": len(incident.citations),
    }


def _cell(value: str | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int):  # a count or a figure: never prefixed, read as a number
        return str(value)
    return neutralise(value)


def incidents_csv(incidents: list[Incident], registry: Registry) -> bytes:
    """One row per incident, by date then id: UTF-8 (no BOM), a header, RFC 4180 with CRLF."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=CSV_LINETERMINATOR, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    for incident in _records(incidents):
        row = _csv_row(incident, registry)
        writer.writerow([_cell(row[column]) for column in CSV_COLUMNS])
    return out.getvalue().encode("utf-8")


# ---------------------------------------------------------------------------------------------
# JSON


def _where_and_who(incident: Incident) -> dict[str, Any]:
    """The fields the JSON export and the STIX extension both carry as recorded."""
    return {
        "country": incident.country,
        "province": incident.province,
        "district": incident.district,
        "place": incident.place,
        "attack_type": incident.attack_type,
        "target_type": incident.target_type,
        "target_nationality": incident.target_nationality,
        "perpetrator": incident.perpetrator,
        "claimed": incident.claimed,
        "claim_note": incident.claim_note,
    }


def _json_incident(incident: Incident, registry: Registry) -> dict[str, Any]:
    when = incident.date
    return {
        "id": incident.id,
        "title": incident.title,
        "kind": incident.kind,
        "date": {"text": when.text, "precision": when.precision, "earliest": _iso(when.earliest),
                 "latest": _iso(when.latest), "label": when.label, "time_precision": time_precision(when)},
        "date_note": incident.date_note,
        **_where_and_who(incident),
        "killed": {"total": incident.killed, "parts": list(incident.killed_parts), "word": incident.killed_word},
        "wounded": {"total": incident.wounded, "parts": list(incident.wounded_parts)},
        "summary": incident.summary,
        "tlp": _source_tlp(incident, registry),
        "file": incident.file or None,
        "citations": [
            {"source": c.source, "quote": c.quote, "translation": c.translation, "credibility": c.credibility,
             "note": c.note, "id": c.id}
            for c in incident.citations
        ],
    }


def _json_source(source: Source) -> dict[str, Any]:
    return {
        "title": source.title,
        "publisher": source.publisher,
        "author": source.author,
        "published": source.published,
        "language": source.language,
        "kind": source.kind,
        "url": source.url,
        "archive_url": source.archive_url,
        "retrieved": source.retrieved,
        "reliability": source.reliability,
        "tlp": source.tlp,
        "sha256": source.sha256,
    }


def _dumps(data: Any) -> bytes:
    return (json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def incidents_json(incidents: list[Incident], registry: Registry) -> bytes:
    """`{"format": "threatbrief-incidents", "version": 1, "incidents": [...], "sources": {...}}`."""
    records = _records(incidents)
    cited = sorted({p for incident in records for p in _cited_paths(incident)})
    return _dumps({
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "incidents": [_json_incident(incident, registry) for incident in records],
        "sources": {p: _json_source(registry.sources[p]) for p in cited if p in registry.sources},
    })


# ---------------------------------------------------------------------------------------------
# STIX 2.1

# Ids are uuid5 of this namespace and "<kind>:<our key>": the same incident, actor or place gets
# the same STIX id in every build and in every project.
# uuid5(NAMESPACE_URL, "https://threatbrief.invalid/stix")
STIX_NAMESPACE = uuid.UUID("b4a0245c-236f-5b3d-b120-cad926896e26")
# When the data gives no date at all (no assessment, no dated incident or source).
STIX_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
# The producer identity and the extension definition are fixed: version 1.0.0 of the schema.
_DEFINED = datetime(2026, 11, 23, tzinfo=timezone.utc)
_EXTENSION_VERSION = "1.0.0"

# TLP 2.0 as OASIS publishes it (cti-stix-common-objects, extension-definition-specifications/
# tlp-2.0): five marking definitions that declare themselves through one property extension.
TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_MARKINGS = {
    "TLP:CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "TLP:GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "TLP:AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "TLP:AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "TLP:RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
_TLP2_CREATED = "2022-10-01T00:00:00.000Z"

_EXTENSION_SCHEMA = (
    "threatbrief incident, a property extension of STIX 2.1 incident (docs/exports.md of threatbrief). "
    "Properties, each omitted when unknown: event_id (the threatbrief id), kind (attack, plot, threat, other), "
    "date (as recorded: YYYY-MM-DD, YYYY-MM, YYYY, START/END or unknown), date_precision (day, month, year, "
    "range, unknown), date_earliest and date_latest (YYYY-MM-DD), date_label, date_note, time_precision "
    "(ACLED: 1 day, 2 week, 3 month or coarser), country, province, district, place, attack_type, target_type, "
    "target_nationality, perpetrator (as recorded), claimed (true, false or \"unknown\"), claim_note, killed "
    "and wounded (integers, absent when no source gives a figure), killed_parts and wounded_parts (the figures "
    "a total adds up), killed_word (\"deadly\" or \"fatal\": deaths reported, no figure), recorded_in (the "
    "file that records it), citations (list of {source, quote, translation, credibility, note}: source is a "
    "path in the project's sources/, credibility the Admiralty 1-6 grade)."
)


def _stix_id(kind: str, key: str) -> str:
    return f"{kind}--{uuid.uuid5(STIX_NAMESPACE, f'{kind}:{key}')}"


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _day(text: str | None) -> date | None:
    """A date's first day, for a schema-valid date text; None for 'unknown' or anything else."""
    if not text:
        return None
    try:
        return FuzzyDate.parse(text).earliest
    except (ValueError, AssertionError):
        return None


def as_of(incidents: Iterable[Incident], registry: Registry, assessments: Iterable[Assessment]) -> datetime:
    """The STIX objects' `created`/`modified`: the latest day the data names (an assessment's date,
    the first day of an incident's date, a cited source's publication or retrieval), at 00:00 UTC."""
    days: list[date] = []
    cited: set[str] = set()
    for incident in incidents:  # its first possible day: "2026-11" would otherwise give a future date
        if incident.date.earliest:
            days.append(incident.date.earliest)
        cited.update(_cited_paths(incident))
    for assessment in assessments:
        days += [d for d in (_day(assessment.date),) if d]
        cited.update(c.source for c in assessment.citations)
    for path in cited:
        source = registry.sources.get(path)
        if source:
            days += [d for d in (_day(source.published), _day(source.retrieved)) if d]
    if not days:
        return STIX_EPOCH
    latest = max(days)
    return datetime(latest.year, latest.month, latest.day, tzinfo=timezone.utc)


def country_code(name: str) -> str | None:
    """ISO 3166-1 alpha-2 of a country name ("Afghanistan" -> "AF"); None for a name not known."""
    if re.fullmatch(r"[A-Za-z]{2}", name.strip()) and name.strip().upper() in _country_codes():
        return name.strip().upper()
    return _country_codes().get(_country_key(name))


def _country_key(name: str) -> str:
    name = _key(name.replace("\u2019", "'"))
    return name[4:] if name.startswith("the ") else name


_COUNTRIES_CACHE: dict[str, str] = {}


def _country_codes() -> dict[str, str]:
    """Name (folded) or code -> code, built on first use."""
    if not _COUNTRIES_CACHE:
        for line in _COUNTRY_TABLE.strip().splitlines():
            code, names = line.split(" ", 1)
            _COUNTRIES_CACHE[code] = code
            for name in names.split("|"):
                _COUNTRIES_CACHE[_country_key(name)] = code
    return _COUNTRIES_CACHE


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None and v != [] and v != ""}


def _extension(incident: Incident) -> dict[str, Any]:
    when = incident.date
    return _drop_empty({
        "extension_type": "property-extension",
        "event_id": incident.id,
        "kind": incident.kind,
        "date": when.text,
        "date_precision": when.precision,
        "date_earliest": _iso(when.earliest),
        "date_latest": _iso(when.latest),
        "date_label": when.label,
        "date_note": incident.date_note,
        "time_precision": time_precision(when),
        **_where_and_who(incident),
        "killed": incident.killed,
        "killed_parts": list(incident.killed_parts),
        "killed_word": incident.killed_word,
        "wounded": incident.wounded,
        "wounded_parts": list(incident.wounded_parts),
        "recorded_in": incident.file,
        "citations": [_drop_empty({"source": c.source, "quote": c.quote, "translation": c.translation,
                                   "credibility": c.credibility, "note": c.note}) for c in incident.citations],
    })


def _references(incident: Incident, registry: Registry) -> list[dict[str, Any]]:
    """Our own record first, then each cited source once: its title, path, url and SHA-256 (of the
    project's copy), the passages quoted from it and the address of its archived copy."""
    own = _drop_empty({"source_name": "threatbrief", "external_id": incident.id,
                       "description": f"recorded in {incident.file}" if incident.file else None})
    references = [own]
    for path in _cited_paths(incident):
        source = registry.sources.get(path)
        quotes = list(dict.fromkeys(c.quote for c in incident.citations if c.source == path))
        if source and source.archive_url:  # in the text: the SHA-256 is not of the archive's page
            quotes.append(f"Archived copy: {source.archive_url}")
        references.append(_drop_empty({
            "source_name": source.title if source else path,
            "external_id": path,
            "url": source.url if source else None,
            "description": "\n\n".join(quotes),
            "hashes": {"SHA-256": source.sha256.lower()} if source and source.sha256 else None,
        }))
    return references


def _published(assessment: Assessment, fallback: datetime) -> datetime:
    day = _day(assessment.date)
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc) if day else fallback


_MARKER = re.compile(r"\s*\[@[A-Za-z0-9][A-Za-z0-9_.-]*\]")


def _plain(markdown: str) -> str:
    """A summary as plain text: without its citation markers ([@id]), each paragraph on one line."""
    paragraphs = (_MARKER.sub("", " ".join(p.split())).strip() for p in re.split(r"\n\s*\n", markdown))
    return "\n\n".join(p for p in paragraphs if p)


def _report_description(assessment: Assessment) -> str | None:
    parts = [_plain(assessment.summary)] if assessment.summary and assessment.summary.strip() else []
    if assessment.key_judgments:
        parts.append("Key judgments:\n" + "\n".join(
            f"- {_plain(kj.text)} ({kj.likelihood}; {kj.confidence} confidence)" for kj in assessment.key_judgments))
    return "\n\n".join(parts) or None


def _marking(label: str | None) -> list[str] | None:
    return [TLP2_MARKINGS[label]] if label in TLP2_MARKINGS else None


def _least_strict(labels: list[str | None]) -> str | None:
    """The marking of what several incidents reveal (an actor, a place): the least strict of
    theirs, none when one of them carries none."""
    if not labels or any(label not in TLP_ORDER for label in labels):
        return None
    return TLP_ORDER[min(TLP_ORDER.index(label) for label in labels)]  # type: ignore[arg-type]


def _stix(kind: str, stix_id: str, **properties: Any) -> dict[str, Any]:
    """A STIX 2.1 object as the stix2 library serializes it — `spec_version`, timestamps with the
    fraction of a second they have (`created` and `modified` at least to the millisecond),
    absent values left out —
    without importing it (~0.2 s, paid by every build that writes the bundle).
    tests/test_export.py parses every object with stix2 (no custom content allowed) and checks
    that it serializes back to the same JSON."""
    made: dict[str, Any] = {"type": kind, "spec_version": "2.1", "id": stix_id}
    for name, value in properties.items():
        if value is None:
            continue
        if isinstance(value, datetime):
            value = value.astimezone(timezone.utc)
            digits = f"{value.microsecond:06d}".rstrip("0")
            if name in ("created", "modified"):  # at least to the millisecond
                digits = digits.ljust(3, "0")
            value = value.strftime("%Y-%m-%dT%H:%M:%S") + (f".{digits}" if digits else "") + "Z"
        made[name] = value
    return json.loads(json.dumps(made))  # tuples as lists, as JSON will have them


_ORDER = ("marking-definition", "identity", "extension-definition", "report", "incident", "threat-actor",
          "location", "relationship")


def stix_bundle(incidents: list[Incident], registry: Registry, assessments: list[Assessment], *,
                timestamp: datetime | None = None) -> bytes:
    """A STIX 2.1 bundle: a report per assessment that discusses an incident, an incident per
    incident (its facts in the threatbrief property extension), a threat-actor per perpetrator and
    a location per country and per place, joined by attributed-to and located-at relationships.
    TLP as the OASIS TLP 2.0 marking definitions. `timestamp` overrides `created`/`modified`
    (default: `as_of`, the latest day in the data)."""
    records = _records(incidents)
    known = {incident.id: incident for incident in records}
    tlp_of = {incident.id: _source_tlp(incident, registry) for incident in records}
    in_dataset = set(known)
    for assessment in assessments:  # incidents an assessment records itself, not in incidents/
        for incident in assessment.incidents:
            if incident.id in in_dataset:
                continue  # the dataset's record (a resolved assessment holds a copy of it)
            if incident.id not in known:
                known[incident.id] = incident
                tlp_of[incident.id] = _source_tlp(incident, registry)
            tlp_of[incident.id] = _strictest([tlp_of[incident.id], assessment.tlp])  # recorded at its TLP
    everything = sorted(known.values(), key=lambda i: (i.date.sort_key(), i.id))
    when = timestamp.astimezone(timezone.utc) if timestamp else as_of(everything, registry, assessments)
    stamp = {"created": when, "modified": when}

    producer = _stix(
        "identity", _stix_id("identity", "threatbrief"), created=_DEFINED, modified=_DEFINED, name="threatbrief",
        identity_class="system", description="threatbrief: sourced threat assessments in YAML, with checked citations.")
    extension_id = _stix_id("extension-definition", "incident")
    extension = _stix(
        "extension-definition", extension_id, created=_DEFINED, modified=_DEFINED, created_by_ref=producer["id"],
        name="threatbrief incident", version=_EXTENSION_VERSION, extension_types=["property-extension"],
        description="The facts of a threatbrief incident: its date and how well it is known, place, target, "
                    "perpetrator, claim, casualties and the quoted passages that support them.",
        schema=_EXTENSION_SCHEMA)
    objects: dict[str, dict[str, Any]] = {producer["id"]: producer, extension_id: extension}
    used_tlp: set[str] = set()

    def marked(label: str | None) -> dict[str, Any]:
        refs = _marking(label)
        if refs:
            used_tlp.add(label)  # type: ignore[arg-type]
            return {"object_marking_refs": refs}
        return {}

    involved: dict[str, list[str]] = {}  # incident id -> STIX ids of it and what it involves
    actor_incidents: dict[str, list[str]] = {}
    place_incidents: dict[str, list[str]] = {}
    actors: dict[str, tuple[str, str]] = {}  # actor id -> (name, key)
    places: dict[str, dict[str, Any]] = {}
    links: list[tuple[str, str, str, str]] = []  # (relationship id, type, incident id, target id)
    for incident in everything:
        incident_id = _stix_id("incident", incident.id)
        objects[incident_id] = _stix(
            "incident", incident_id, name=incident.title or incident.id,
            description=incident.summary or None, external_references=_references(incident, registry),
            extensions={extension_id: _extension(incident)}, **stamp, **marked(tlp_of[incident.id]))
        refs = [incident_id]
        targets: list[tuple[str, str]] = []
        if incident.perpetrator and _key(incident.perpetrator) not in ("", "unknown"):
            key = _key(incident.perpetrator)
            actor_id = _stix_id("threat-actor", key)
            actors.setdefault(actor_id, (" ".join(incident.perpetrator.split()), key))
            actor_incidents.setdefault(actor_id, []).append(incident.id)
            targets.append(("attributed-to", actor_id))
        code = country_code(incident.country)
        country = {"name": incident.country.strip(), "country": code or incident.country.strip()}
        country_key = code or _key(incident.country)  # "Afghanistan" and "AF" are one place
        country_id = _stix_id("location", "country:" + country_key)
        places.setdefault(country_id, country)
        place_incidents.setdefault(country_id, []).append(incident.id)
        targets.append(("located-at", country_id))
        if incident.province or incident.district or incident.place:
            parts = [_key(p or "") for p in (incident.place, incident.district, incident.province)]
            place_id = _stix_id("location", "place:" + "|".join(parts + [country_key]))
            described = "; ".join(f"{label}: {value}" for label, value in
                                  (("place", incident.place), ("district", incident.district),
                                   ("province", incident.province), ("country", incident.country)) if value)
            places.setdefault(place_id, _drop_empty({
                **country, "name": incident.location, "administrative_area": incident.province,
                "description": described}))
            place_incidents.setdefault(place_id, []).append(incident.id)
            targets.append(("located-at", place_id))
        for kind, target in targets:
            relationship_id = _stix_id("relationship", f"{kind}:{incident.id}:{target}")
            links.append((relationship_id, kind, incident.id, target))
            refs += [target, relationship_id]
        involved[incident.id] = refs

    for actor_id, (name, _) in actors.items():
        label = _least_strict([tlp_of[i] for i in actor_incidents[actor_id]])
        objects[actor_id] = _stix("threat-actor", actor_id, name=name, **stamp, **marked(label))
    for place_id, fields in places.items():
        label = _least_strict([tlp_of[i] for i in place_incidents[place_id]])
        objects[place_id] = _stix("location", place_id, **fields, **stamp, **marked(label))
    for relationship_id, kind, incident, target in links:
        objects[relationship_id] = _stix(
            "relationship", relationship_id, relationship_type=kind, source_ref=_stix_id("incident", incident),
            target_ref=target, **stamp, **marked(tlp_of[incident]))

    for assessment in assessments:
        listed = [ref for ref, _ in assessment.incident_refs] + [i.id for i in assessment.incidents]
        refs = sorted({ref for incident_id in dict.fromkeys(listed) if incident_id in involved
                       for ref in involved[incident_id]})
        if not refs:
            continue  # STIX requires a report to refer to something: one without incidents is left out
        report_id = _stix_id("report", assessment.name)
        if report_id in objects:
            continue  # two assessments of one name: the first one
        objects[report_id] = _stix(
            "report", report_id, name=assessment.title or assessment.name, description=_report_description(assessment),
            published=_published(assessment, when), report_types=["threat-report"], object_refs=refs,
            external_references=[_drop_empty({"source_name": "threatbrief", "external_id": assessment.name,
                                              "description": assessment.path or None})],
            **stamp, **marked(assessment.tlp))

    for label in used_tlp:
        level = label.removeprefix("TLP:").lower()
        objects[TLP2_MARKINGS[label]] = _stix(
            "marking-definition", TLP2_MARKINGS[label], created=_TLP2_CREATED, name=label,
            extensions={TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level}})

    serialized = sorted(objects.values(), key=lambda o: (_ORDER.index(o["type"]), o["id"]))
    # The bundle is a plain envelope (STIX 2.1 gives it no properties beyond type, id and objects).
    # Its id follows the content: the same objects, the same bundle id.
    digest = hashlib.sha256(json.dumps(serialized, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    bundle: dict[str, Any] = {"type": "bundle", "id": _stix_id("bundle", digest)}
    if serialized:
        bundle["objects"] = serialized
    return _dumps(bundle)


# ISO 3166-1 alpha-2 codes with their English short names (then other names in use), from the
# iso-codes tables; STIX wants the code in `location.country`.
_COUNTRY_TABLE = """
AD Andorra|Principality of Andorra
AE United Arab Emirates|UAE
AF Afghanistan|Islamic Republic of Afghanistan
AG Antigua and Barbuda
AI Anguilla
AL Albania|Republic of Albania
AM Armenia|Republic of Armenia
AO Angola|Republic of Angola
AQ Antarctica
AR Argentina|Argentine Republic
AS American Samoa
AT Austria|Republic of Austria
AU Australia
AW Aruba
AX Åland Islands
AZ Azerbaijan|Republic of Azerbaijan
BA Bosnia and Herzegovina|Republic of Bosnia and Herzegovina
BB Barbados
BD Bangladesh|People's Republic of Bangladesh
BE Belgium|Kingdom of Belgium
BF Burkina Faso
BG Bulgaria|Republic of Bulgaria
BH Bahrain|Kingdom of Bahrain
BI Burundi|Republic of Burundi
BJ Benin|Republic of Benin
BL Saint Barthélemy
BM Bermuda
BN Brunei Darussalam|Brunei
BO Bolivia|Bolivia, Plurinational State of|Plurinational State of Bolivia
BQ Bonaire, Sint Eustatius and Saba
BR Brazil|Federative Republic of Brazil
BS Bahamas|Commonwealth of the Bahamas
BT Bhutan|Kingdom of Bhutan
BV Bouvet Island
BW Botswana|Republic of Botswana
BY Belarus|Republic of Belarus
BZ Belize
CA Canada
CC Cocos (Keeling) Islands
CD Congo, The Democratic Republic of the|Democratic Republic of the Congo|Democratic Republic of Congo|DR Congo|DRC
CF Central African Republic
CG Congo|Republic of the Congo|Republic of Congo
CH Switzerland|Swiss Confederation
CI Côte d'Ivoire|Republic of Côte d'Ivoire|Ivory Coast
CK Cook Islands
CL Chile|Republic of Chile
CM Cameroon|Republic of Cameroon
CN China|People's Republic of China
CO Colombia|Republic of Colombia
CR Costa Rica|Republic of Costa Rica
CU Cuba|Republic of Cuba
CV Cabo Verde|Republic of Cabo Verde|Cape Verde
CW Curaçao
CX Christmas Island
CY Cyprus|Republic of Cyprus
CZ Czechia|Czech Republic
DE Germany|Federal Republic of Germany
DJ Djibouti|Republic of Djibouti
DK Denmark|Kingdom of Denmark
DM Dominica|Commonwealth of Dominica
DO Dominican Republic
DZ Algeria|People's Democratic Republic of Algeria
EC Ecuador|Republic of Ecuador
EE Estonia|Republic of Estonia
EG Egypt|Arab Republic of Egypt
EH Western Sahara
ER Eritrea|the State of Eritrea
ES Spain|Kingdom of Spain
ET Ethiopia|Federal Democratic Republic of Ethiopia
FI Finland|Republic of Finland
FJ Fiji|Republic of Fiji
FK Falkland Islands (Malvinas)
FM Micronesia, Federated States of|Federated States of Micronesia|Micronesia
FO Faroe Islands
FR France|French Republic
GA Gabon|Gabonese Republic
GB United Kingdom|United Kingdom of Great Britain and Northern Ireland|UK|Great Britain|Britain
GD Grenada
GE Georgia
GF French Guiana
GG Guernsey
GH Ghana|Republic of Ghana
GI Gibraltar
GL Greenland
GM Gambia|Republic of the Gambia
GN Guinea|Republic of Guinea
GP Guadeloupe
GQ Equatorial Guinea|Republic of Equatorial Guinea
GR Greece|Hellenic Republic
GS South Georgia and the South Sandwich Islands
GT Guatemala|Republic of Guatemala
GU Guam
GW Guinea-Bissau|Republic of Guinea-Bissau
GY Guyana|Republic of Guyana
HK Hong Kong|Hong Kong Special Administrative Region of China
HM Heard Island and McDonald Islands
HN Honduras|Republic of Honduras
HR Croatia|Republic of Croatia
HT Haiti|Republic of Haiti
HU Hungary
ID Indonesia|Republic of Indonesia
IE Ireland
IL Israel|State of Israel
IM Isle of Man
IN India|Republic of India
IO British Indian Ocean Territory
IQ Iraq|Republic of Iraq
IR Iran|Iran, Islamic Republic of|Islamic Republic of Iran
IS Iceland|Republic of Iceland
IT Italy|Italian Republic
JE Jersey
JM Jamaica
JO Jordan|Hashemite Kingdom of Jordan
JP Japan
KE Kenya|Republic of Kenya
KG Kyrgyzstan|Kyrgyz Republic
KH Cambodia|Kingdom of Cambodia
KI Kiribati|Republic of Kiribati
KM Comoros|Union of the Comoros
KN Saint Kitts and Nevis
KP North Korea|Korea, Democratic People's Republic of|Democratic People's Republic of Korea|DPRK
KR South Korea|Korea, Republic of|Republic of Korea
KW Kuwait|State of Kuwait
KY Cayman Islands
KZ Kazakhstan|Republic of Kazakhstan
LA Laos|Lao People's Democratic Republic
LB Lebanon|Lebanese Republic
LC Saint Lucia
LI Liechtenstein|Principality of Liechtenstein
LK Sri Lanka|Democratic Socialist Republic of Sri Lanka
LR Liberia|Republic of Liberia
LS Lesotho|Kingdom of Lesotho
LT Lithuania|Republic of Lithuania
LU Luxembourg|Grand Duchy of Luxembourg
LV Latvia|Republic of Latvia
LY Libya
MA Morocco|Kingdom of Morocco
MC Monaco|Principality of Monaco
MD Moldova|Moldova, Republic of|Republic of Moldova
ME Montenegro
MF Saint Martin (French part)
MG Madagascar|Republic of Madagascar
MH Marshall Islands|Republic of the Marshall Islands
MK North Macedonia|Republic of North Macedonia|Macedonia
ML Mali|Republic of Mali
MM Myanmar|Republic of Myanmar|Burma
MN Mongolia
MO Macao|Macao Special Administrative Region of China
MP Northern Mariana Islands|Commonwealth of the Northern Mariana Islands
MQ Martinique
MR Mauritania|Islamic Republic of Mauritania
MS Montserrat
MT Malta|Republic of Malta
MU Mauritius|Republic of Mauritius
MV Maldives|Republic of Maldives
MW Malawi|Republic of Malawi
MX Mexico|United Mexican States
MY Malaysia
MZ Mozambique|Republic of Mozambique
NA Namibia|Republic of Namibia
NC New Caledonia
NE Niger|Republic of the Niger
NF Norfolk Island
NG Nigeria|Federal Republic of Nigeria
NI Nicaragua|Republic of Nicaragua
NL Netherlands|Kingdom of the Netherlands
NO Norway|Kingdom of Norway
NP Nepal|Federal Democratic Republic of Nepal
NR Nauru|Republic of Nauru
NU Niue
NZ New Zealand
OM Oman|Sultanate of Oman
PA Panama|Republic of Panama
PE Peru|Republic of Peru
PF French Polynesia
PG Papua New Guinea|Independent State of Papua New Guinea
PH Philippines|Republic of the Philippines
PK Pakistan|Islamic Republic of Pakistan
PL Poland|Republic of Poland
PM Saint Pierre and Miquelon
PN Pitcairn
PR Puerto Rico
PS Palestine, State of|the State of Palestine|Palestine|Palestinian Territories
PT Portugal|Portuguese Republic
PW Palau|Republic of Palau
PY Paraguay|Republic of Paraguay
QA Qatar|State of Qatar
RE Réunion
RO Romania
RS Serbia|Republic of Serbia
RU Russian Federation|Russia
RW Rwanda|Rwandese Republic
SA Saudi Arabia|Kingdom of Saudi Arabia
SB Solomon Islands
SC Seychelles|Republic of Seychelles
SD Sudan|Republic of the Sudan
SE Sweden|Kingdom of Sweden
SG Singapore|Republic of Singapore
SH Saint Helena, Ascension and Tristan da Cunha
SI Slovenia|Republic of Slovenia
SJ Svalbard and Jan Mayen
SK Slovakia|Slovak Republic
SL Sierra Leone|Republic of Sierra Leone
SM San Marino|Republic of San Marino
SN Senegal|Republic of Senegal
SO Somalia|Federal Republic of Somalia
SR Suriname|Republic of Suriname
SS South Sudan|Republic of South Sudan
ST Sao Tome and Principe|Democratic Republic of Sao Tome and Principe
SV El Salvador|Republic of El Salvador
SX Sint Maarten (Dutch part)
SY Syria|Syrian Arab Republic
SZ Eswatini|Kingdom of Eswatini|Swaziland|eSwatini
TC Turks and Caicos Islands
TD Chad|Republic of Chad
TF French Southern Territories
TG Togo|Togolese Republic
TH Thailand|Kingdom of Thailand
TJ Tajikistan|Republic of Tajikistan
TK Tokelau
TL Timor-Leste|Democratic Republic of Timor-Leste|East Timor
TM Turkmenistan
TN Tunisia|Republic of Tunisia
TO Tonga|Kingdom of Tonga
TR Türkiye|Republic of Türkiye|Turkey
TT Trinidad and Tobago|Republic of Trinidad and Tobago
TV Tuvalu
TW Taiwan|Taiwan, Province of China
TZ Tanzania|Tanzania, United Republic of|United Republic of Tanzania
UA Ukraine
UG Uganda|Republic of Uganda
UM United States Minor Outlying Islands
US United States|United States of America|USA
UY Uruguay|Eastern Republic of Uruguay
UZ Uzbekistan|Republic of Uzbekistan
VA Holy See (Vatican City State)|Vatican|Vatican City
VC Saint Vincent and the Grenadines
VE Venezuela|Venezuela, Bolivarian Republic of|Bolivarian Republic of Venezuela
VG Virgin Islands, British|British Virgin Islands
VI Virgin Islands, U.S.|Virgin Islands of the United States
VN Vietnam|Viet Nam|Socialist Republic of Viet Nam
VU Vanuatu|Republic of Vanuatu
WF Wallis and Futuna
WS Samoa|Independent State of Samoa
YE Yemen|Republic of Yemen
YT Mayotte
ZA South Africa|Republic of South Africa
ZM Zambia|Republic of Zambia
ZW Zimbabwe|Republic of Zimbabwe
"""
