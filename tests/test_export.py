"""The dataset exports: CSV for spreadsheets and pandas, JSON, and a STIX 2.1 bundle (docs/exports.md)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from datetime import datetime, timezone

import pytest

from threatbrief.model import Assessment, Citation, FuzzyDate, Incident, KeyJudgment, Registry, Source
from threatbrief.publish.export import (
    CSV_COLUMNS,
    TLP2_MARKINGS,
    country_code,
    incidents_csv,
    incidents_json,
    stix_bundle,
    time_precision,
)

QUOTE = 'He said, "they came at night",\nthen left;\r\nno one\'s sure — 兩人死亡'


def cite(source: str, quote: str, credibility: int | None = 2, translation: str | None = None) -> Citation:
    return Citation(number=1, source=source, quote=quote, id=None, credibility=credibility, note=None,
                    yaml_path=(), quote_mark=(1, 1), source_mark=(1, 1), translation=translation)


def source(path: str, title: str, url: str | None = None, tlp: str | None = "TLP:CLEAR",
           archive_url: str | None = None, published: str = "2024-11-27") -> Source:
    return Source(path=path, title=title, publisher="Example News", author=None, published=published, language="en",
                  kind="news", url=url, reliability="C", rationale="r", sha256="ab" * 32, mark=(1, 1), tlp=tlp,
                  archive_url=archive_url, retrieved="2024-11-28" if url else None)


REGISTRY = Registry("sources/sources.yaml", {
    "a.txt": source("a.txt", "Attack; on workers", url="https://example.org/a",
                    archive_url="https://web.archive.org/web/2024/https://example.org/a"),
    "b.txt": source("b.txt", "=HYPERLINK(\"http://evil\")", tlp="TLP:AMBER"),
    "c.txt": source("c.txt", "Quiet report", url="https://example.org/c", tlp=None),
})


def event(id: str, when: str, **fields) -> Incident:
    base = dict(
        id=id, title=f"Title of {id}", kind="attack", date=FuzzyDate.parse(when), date_note=None, country="Afghanistan",
        province=None, district=None, place=None, attack_type="armed assault", target_type="business",
        target_nationality="Chinese", perpetrator="ISKP", claimed=True, claim_note=None, killed=None, wounded=None,
        summary=None, citations=[cite("a.txt", "A Chinese worker was killed near the border.")],
        file="incidents/afghanistan.yaml")
    base.update(fields)
    return Incident(**base)


SHARED = event("takhar-attack", "2024-11-18", province="Takhar", district="Khwaja Bahauddin", place="Katkajar",
               killed=6, killed_parts=(5, 1), wounded=0, summary=QUOTE, claim_note="statement on Telegram",
               date_note="The source gives 'Nov. 18'.",
               citations=[cite("a.txt", QUOTE), cite("b.txt", "six killed", credibility=3),
                          cite("a.txt", "a second passage", translation="its English")])
DEADLY = event("kabul-hotel", "2022", province="Kabul", place="Longan Hotel", killed_word="deadly",
               claimed="unknown", perpetrator="Daesh", citations=[cite("c.txt", "deadly attacks on a hotel")])
WEEK = event("week-range", "2024-03-01/2024-03-07", country="Tajikistan", perpetrator="Islamic State", claimed=False)
MONTH = event("month-date", "2024-12", country="Pakistan", perpetrator=None, kind="threat", attack_type=None)
UNDATED = event("undated-plot", "unknown", kind="plot", perpetrator="unknown", country="Kosovo")
HOSTILE = event("hostile-cells", "2023-05-02",
                title="=1+2", summary="+SUM(A1:A9)", claim_note="-2+3", place="@cmd", district="\tTabbed",
                province="\rReturn", target_type=" =padded", attack_type="－1", perpetrator="ISKP", killed=0,
                wounded=3)
INCIDENTS = [MONTH, SHARED, DEADLY, WEEK, UNDATED, HOSTILE]


def assessment(name: str, tlp: str, refs: list[str], incidents: list[Incident] | None = None) -> Assessment:
    return Assessment(
        name=name, path=f"assessments/{name}.yaml", title=f"Assessment {name}", short_title=name, date="2024-12-01",
        tlp=tlp, authors=["An Analyst"], scope="Afghanistan",
        key_judgments=[KeyJudgment("ISKP will likely attack again [@x].", "likely", "moderate", [])],
        summary="It attacked\nworkers [@a] [@b].\n\nSecond paragraph.", sections=[], incidents=incidents or [],
        incident_refs=[(ref, (1, 1)) for ref in refs])


OWN = event("own-record", "2024-06-01", country="Pakistan", perpetrator="TTP", file="assessments/third.yaml")
ASSESSMENTS = [
    assessment("first", "TLP:AMBER+STRICT", ["takhar-attack", "kabul-hotel"]),
    assessment("second", "TLP:CLEAR", ["takhar-attack", "week-range"]),
    assessment("third", "TLP:RED", [], incidents=[OWN]),  # records an incident of its own
    assessment("no-incidents", "TLP:GREEN", []),
]


def rows() -> list[dict[str, str]]:
    data = incidents_csv(INCIDENTS, REGISTRY).decode("utf-8")
    return list(csv.DictReader(io.StringIO(data, newline="")))


def bundle() -> dict:
    return json.loads(stix_bundle(INCIDENTS, REGISTRY, ASSESSMENTS))


def of_type(data: dict, kind: str) -> list[dict]:
    return [o for o in data["objects"] if o["type"] == kind]


# --- CSV ------------------------------------------------------------------------------------


def test_csv_round_trips_every_field_as_written() -> None:
    raw = incidents_csv(INCIDENTS, REGISTRY)
    assert raw.startswith(b"event_id,event_date,") and b"\r\n" in raw and not raw.startswith(b"\xef\xbb\xbf")
    table = rows()
    assert tuple(table[0]) == CSV_COLUMNS
    assert [r["event_id"] for r in table] == ["kabul-hotel", "hostile-cells", "week-range", "takhar-attack",
                                              "month-date", "undated-plot"]  # by date (earliest day), then id
    takhar = next(r for r in table if r["event_id"] == "takhar-attack")
    assert takhar == {
        "event_id": "takhar-attack", "event_date": "2024-11-18", "year": "2024", "time_precision": "1",
        "date_earliest": "2024-11-18", "date_latest": "2024-11-18", "event_type": "attack",
        "sub_event_type": "armed assault", "actor1": "ISKP", "target_type": "business", "target_nationality": "Chinese",
        "country": "Afghanistan", "admin1": "Takhar", "admin2": "Khwaja Bahauddin", "location": "Katkajar",
        "fatalities": "6", "fatalities_word": "", "fatalities_parts": "5 + 1", "wounded": "0", "wounded_parts": "",
        "claimed": "true", "claim_note": "statement on Telegram", "title": "Title of takhar-attack", "notes": QUOTE,
        "date_note": "The source gives 'Nov. 18'.", "tlp": "TLP:AMBER",
        "source": "Attack; on workers; =HYPERLINK(\"http://evil\")", "source_paths": "a.txt; b.txt",
        "source_urls": "https://example.org/a", "citations": "3",
    }


def test_csv_unknown_is_empty_never_zero_and_deadly_is_said() -> None:
    by_id = {r["event_id"]: r for r in rows()}
    hotel = by_id["kabul-hotel"]
    assert (hotel["fatalities"], hotel["fatalities_word"], hotel["wounded"]) == ("", "deadly", "")
    assert (hotel["event_date"], hotel["year"], hotel["time_precision"]) == ("2022", "2022", "3")
    assert (hotel["claimed"], hotel["tlp"], hotel["source_urls"]) == ("unknown", "", "https://example.org/c")
    undated = by_id["undated-plot"]
    assert [undated[c] for c in ("event_date", "year", "time_precision", "date_earliest")] == ["", "", "", ""]
    assert by_id["week-range"]["event_date"] == "2024-03-01/2024-03-07" and by_id["week-range"]["claimed"] == "false"
    assert by_id["hostile-cells"]["fatalities"] == "0" and by_id["month-date"]["actor1"] == ""


@pytest.mark.parametrize(("when", "code"), [
    ("2024-11-18", 1), ("2024-11-18/2024-11-18", 1), ("2024-03-01/2024-03-02", 2), ("2024-03-01/2024-03-07", 2),
    ("2024-03-01/2024-03-08", 3), ("2024-02", 3), ("2024", 3), ("2022/2026-11-22", 3), ("unknown", None),
])
def test_time_precision_follows_acled(when: str, code: int | None) -> None:
    assert time_precision(FuzzyDate.parse(when)) == code


def test_csv_neutralises_formulas_in_text_but_not_numbers() -> None:
    hostile = next(r for r in rows() if r["event_id"] == "hostile-cells")
    assert hostile["title"] == "'=1+2"
    assert hostile["notes"] == "'+SUM(A1:A9)"
    assert hostile["claim_note"] == "'-2+3"
    assert hostile["location"] == "'@cmd"
    assert hostile["admin2"] == "'\tTabbed"
    assert hostile["admin1"] == "'\rReturn"
    assert hostile["target_type"] == "' =padded"  # after leading spaces too
    assert hostile["sub_event_type"] == "'－1"  # full-width minus
    assert (hostile["fatalities"], hostile["wounded"], hostile["citations"]) == ("0", "3", "1")  # numbers as they are
    assert hostile["event_date"] == "2023-05-02" and hostile["actor1"] == "ISKP"  # nothing to neutralise


# --- JSON -----------------------------------------------------------------------------------


def test_json_lists_every_incident_once_with_its_sources() -> None:
    raw = incidents_json(INCIDENTS + [SHARED], REGISTRY)
    assert raw.endswith(b"}\n") and "兩人死亡".encode() in raw  # ensure_ascii=False
    data = json.loads(raw)
    assert (data["format"], data["version"]) == ("threatbrief-incidents", 1)
    ids = [i["id"] for i in data["incidents"]]
    assert sorted(ids) == sorted(i.id for i in INCIDENTS) and len(ids) == len(set(ids))
    takhar = next(i for i in data["incidents"] if i["id"] == "takhar-attack")
    assert takhar["date"] == {"text": "2024-11-18", "precision": "day", "earliest": "2024-11-18",
                              "latest": "2024-11-18", "label": "18 Nov 2024", "time_precision": 1}
    assert takhar["killed"] == {"total": 6, "parts": [5, 1], "word": None}
    assert takhar["wounded"] == {"total": 0, "parts": []}
    assert takhar["summary"] == QUOTE and takhar["tlp"] == "TLP:AMBER"
    assert takhar["citations"][2] == {"source": "a.txt", "quote": "a second passage", "translation": "its English",
                                      "credibility": 2, "note": None, "id": None}
    hotel = next(i for i in data["incidents"] if i["id"] == "kabul-hotel")
    assert hotel["killed"] == {"total": None, "parts": [], "word": "deadly"} and hotel["claimed"] == "unknown"
    assert set(data["sources"]) == {"a.txt", "b.txt", "c.txt"}
    assert data["sources"]["a.txt"]["archive_url"] == "https://web.archive.org/web/2024/https://example.org/a"
    assert data["sources"]["b.txt"]["tlp"] == "TLP:AMBER" and data["sources"]["c.txt"]["sha256"] == "ab" * 32
    assert list(data) == sorted(data) and list(takhar) == sorted(takhar)


# --- one record, two assessments ------------------------------------------------------------


def test_an_incident_two_assessments_list_is_exported_once() -> None:
    assert [r["event_id"] for r in rows()].count("takhar-attack") == 1
    assert [i["id"] for i in json.loads(incidents_json(INCIDENTS, REGISTRY))["incidents"]].count("takhar-attack") == 1
    data = bundle()
    takhar = [o for o in of_type(data, "incident") if o["name"] == "Title of takhar-attack"]
    assert len(takhar) == 1
    reports = {r["name"]: r for r in of_type(data, "report")}
    assert takhar[0]["id"] in reports["Assessment first"]["object_refs"]
    assert takhar[0]["id"] in reports["Assessment second"]["object_refs"]
    ids = [o["id"] for o in data["objects"]]
    assert len(ids) == len(set(ids))


# --- STIX -----------------------------------------------------------------------------------


def test_stix_maps_reports_actors_places_and_tlp() -> None:
    data = bundle()
    objects = {o["id"]: o for o in data["objects"]}
    reports = {r["name"]: r for r in of_type(data, "report")}
    assert set(reports) == {"Assessment first", "Assessment second", "Assessment third"}  # none without incidents
    first = reports["Assessment first"]
    assert first["object_marking_refs"] == [TLP2_MARKINGS["TLP:AMBER+STRICT"]]
    assert first["published"] == "2024-12-01T00:00:00Z" and first["report_types"] == ["threat-report"]
    assert first["description"].startswith("It attacked workers.\n\nSecond paragraph.\n\nKey judgments:\n- ISKP will")
    refs = {objects[r]["type"] for r in first["object_refs"]}
    assert refs == {"incident", "threat-actor", "location", "relationship"}
    assert all(r in objects for r in first["object_refs"])
    # the TLP 2.0 marking definitions used are in the bundle, as OASIS publishes them
    markings = {o["name"]: o for o in of_type(data, "marking-definition")}
    assert set(markings) == {"TLP:CLEAR", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"}
    assert markings["TLP:AMBER+STRICT"]["id"] == "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
    # an incident is marked with the strictest TLP of its sources; one an assessment records, with its own too
    incidents = {o["name"]: o for o in of_type(data, "incident")}
    assert incidents["Title of takhar-attack"]["object_marking_refs"] == [TLP2_MARKINGS["TLP:AMBER"]]
    assert "object_marking_refs" not in incidents["Title of kabul-hotel"]
    assert incidents["Title of own-record"]["object_marking_refs"] == [TLP2_MARKINGS["TLP:RED"]]
    # facts in the property extension, sources as external references with their hashes
    extension = next(o for o in data["objects"] if o["type"] == "extension-definition")
    facts = incidents["Title of takhar-attack"]["extensions"][extension["id"]]
    assert facts["extension_type"] == "property-extension"
    assert (facts["killed"], facts["killed_parts"], facts["wounded"], facts["date_precision"]) == (6, [5, 1], 0, "day")
    assert "killed" not in incidents["Title of kabul-hotel"]["extensions"][extension["id"]]
    references = incidents["Title of takhar-attack"]["external_references"]
    assert references[0] == {"source_name": "threatbrief", "external_id": "takhar-attack",
                             "description": "recorded in incidents/afghanistan.yaml"}
    a = next(r for r in references if r["external_id"] == "a.txt" and "hashes" in r)
    assert a["url"] == "https://example.org/a" and a["hashes"] == {"SHA-256": "ab" * 32}
    assert QUOTE in a["description"]
    assert "Archived copy: https://web.archive.org/web/2024/https://example.org/a" in a["description"]
    # one threat-actor per perpetrator ("unknown" is none), attributed-to from the incident
    actors = {o["name"] for o in of_type(data, "threat-actor")}
    assert actors == {"ISKP", "Daesh", "Islamic State", "TTP"}
    links = {(objects[r["source_ref"]]["name"], r["relationship_type"], objects[r["target_ref"]]["name"])
             for r in of_type(data, "relationship")}
    assert ("Title of takhar-attack", "attributed-to", "ISKP") in links
    assert ("Title of takhar-attack", "located-at", "Afghanistan") in links
    assert ("Title of takhar-attack", "located-at", "Katkajar, Khwaja Bahauddin, Takhar, Afghanistan") in links
    places = {o["name"]: o for o in of_type(data, "location")}
    assert places["Afghanistan"]["country"] == "AF" and places["Tajikistan"]["country"] == "TJ"
    assert places["Katkajar, Khwaja Bahauddin, Takhar, Afghanistan"]["administrative_area"] == "Takhar"
    assert places["Kosovo"]["country"] == "Kosovo"  # no ISO 3166-1 code: the name as recorded


def test_every_stix_object_is_what_stix2_makes_of_it() -> None:
    import stix2

    raw = stix_bundle(INCIDENTS, REGISTRY, ASSESSMENTS)
    parsed = stix2.parse(raw.decode("utf-8"), allow_custom=False)
    assert len(parsed.objects) == len(json.loads(raw)["objects"])
    # The bundle is written without stix2 (export._stix): each object is what stix2 would make of
    # it, no property added, dropped or reformatted, with timestamps to the second and below.
    for stamp in (None, datetime(2025, 3, 4, 5, 6, 7, 891234, tzinfo=timezone.utc),
                  datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=timezone.utc)):
        for made in json.loads(stix_bundle(INCIDENTS, REGISTRY, ASSESSMENTS, timestamp=stamp))["objects"]:
            assert json.loads(stix2.parse(made, allow_custom=False).serialize()) == made, made["id"]


def test_the_oasis_validator_finds_no_error() -> None:
    raw = stix_bundle(INCIDENTS, REGISTRY, ASSESSMENTS)
    try:
        from stix2validator import ValidationOptions, validate_string
    except ImportError:  # the `validate` extra installs it
        pytest.skip("stix2-validator is not installed: `pip install -e '.[validate]'` to validate the bundle (README, 'Incidents')")
    results = validate_string(raw.decode("utf-8"), ValidationOptions(version="2.1"))
    results = results if isinstance(results, list) else [results]
    errors = [str(e) for r in results for e in r.errors]
    assert not errors, errors
    assert all(r.is_valid for r in results)
    warnings = [str(w) for r in results for w in r.warnings]
    # Documented choices (docs/exports.md): uuid5 ids, not random v4 ({103}); an incident as the source
    # of attributed-to and located-at, which STIX permits but does not suggest ({202}); and a country
    # with no ISO 3166-1 code, kept as recorded ("Kosovo").
    kosovo = next(o["id"] for o in json.loads(raw)["objects"] if o.get("name") == "Kosovo")
    unexpected = [w for w in warnings if not re.search(r"\{103\}|\{202\}", w)
                  and not (w.startswith(kosovo) and "ISO 3166-1" in w)]
    assert not unexpected, unexpected


# --- determinism ----------------------------------------------------------------------------


def test_the_same_data_gives_the_same_bytes_in_any_order() -> None:
    shuffled = list(reversed(INCIDENTS)) + [SHARED]
    assert incidents_csv(INCIDENTS, REGISTRY) == incidents_csv(shuffled, REGISTRY)
    assert incidents_json(INCIDENTS, REGISTRY) == incidents_json(shuffled, REGISTRY)
    first = stix_bundle(INCIDENTS, REGISTRY, ASSESSMENTS)
    assert first == stix_bundle(INCIDENTS, REGISTRY, ASSESSMENTS) == stix_bundle(shuffled, REGISTRY, ASSESSMENTS)
    data = json.loads(first)
    # no clock: created/modified is the latest day in the data (source retrieved 2024-11-28 < assessment 2024-12-01)
    assert {o["modified"] for o in of_type(data, "incident")} == {"2024-12-01T00:00:00.000Z"}
    later = stix_bundle(INCIDENTS, REGISTRY, ASSESSMENTS, timestamp=datetime(2025, 1, 2, tzinfo=timezone.utc))
    assert {o["modified"] for o in of_type(json.loads(later), "incident")} == {"2025-01-02T00:00:00.000Z"}
    assert json.loads(later)["id"] != data["id"]  # the bundle id follows its content
    ids = {o["id"] for o in of_type(data, "incident")}
    edited = [dataclasses.replace(SHARED, summary="edited")] + [i for i in INCIDENTS if i is not SHARED]
    assert {o["id"] for o in of_type(json.loads(stix_bundle(edited, REGISTRY, ASSESSMENTS)), "incident")} == ids


def test_empty_data_still_exports() -> None:
    assert incidents_csv([], REGISTRY) == (",".join(CSV_COLUMNS) + "\r\n").encode()
    assert json.loads(incidents_json([], REGISTRY))["incidents"] == []
    data = json.loads(stix_bundle([], REGISTRY, []))
    assert {o["type"] for o in data["objects"]} == {"identity", "extension-definition"}


@pytest.mark.parametrize(("name", "code"), [
    ("Afghanistan", "AF"), ("afghanistan ", "AF"), ("Iran", "IR"), ("Russia", "RU"), ("Türkiye", "TR"),
    ("Turkey", "TR"), ("Côte d’Ivoire", "CI"), ("the United Kingdom", "GB"), ("PK", "PK"), ("Atlantis", None),
])
def test_country_codes(name: str, code: str | None) -> None:
    assert country_code(name) == code


def test_the_docs_describe_every_column_and_the_extension() -> None:
    from pathlib import Path

    docs = (Path(__file__).parent.parent / "docs" / "exports.md").read_text(encoding="utf-8")
    table = [line for line in docs.splitlines() if line.startswith("| `")]
    for column in CSV_COLUMNS:
        assert any(line.startswith(f"| `{column}` |") for line in table), column
    extension = next(o for o in bundle()["objects"] if o["type"] == "extension-definition")
    assert extension["id"] in docs
    for marking in TLP2_MARKINGS.values():
        assert marking in docs
