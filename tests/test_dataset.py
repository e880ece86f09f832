"""The project's incident dataset: each event recorded once in incidents/, listed by id in the
assessments that discuss it, checked once, and built into the overview and the exports."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import edit, line_of, move_incidents_to_the_dataset

from threatbrief.pipeline import build, check
from threatbrief.project import Project

A = "assessments/border.yaml"
D = "incidents/tajikistan.yaml"
HTML = ("html",)


@pytest.fixture
def desk(basic: Path) -> Path:
    move_incidents_to_the_dataset(basic)
    return basic


def _diagnostics(root: Path) -> list[tuple[str, str, int, str]]:
    return [(d.code, d.path, d.line, d.message) for d in check(Project.at(root)).diagnostics]


def test_incidents_recorded_once_are_checked_once_and_shown_in_every_briefing_listing_them(desk: Path) -> None:
    result = check(Project.at(desk))
    assert result.diagnostics == []
    assert result.files == 4  # two assessments, one file of incidents, the registry
    by_name = {c.assessment.name: c.assessment for c in result.assessments}
    assert [i.id for i in by_name["border"].incidents] == ["convoy-attack", "campaign-threat"]
    assert [i.id for i in by_name["second"].incidents] == ["convoy-attack"]
    # the incident's citations follow the assessment's own, numbered as endnotes
    second = by_name["second"]
    assert [c.number for c in second.citations] == list(range(1, len(second.citations) + 1))
    assert build(Project.at(desk), formats=HTML).ok
    for name in ("border", "second"):
        page = (desk / "reports" / f"{name}.html").read_text(encoding="utf-8")
        assert "Convoy attacked near gold mine" in page and "Officials said one worker was killed" in page


def test_an_unknown_incident_id_is_an_error_at_its_line(desk: Path) -> None:
    edit(desk / "assessments" / "second.yaml", "  - convoy-attack", "  - convoy-atack")
    [problem] = check(Project.at(desk)).diagnostics
    assert (problem.code, problem.path, problem.line) == ("A003", "assessments/second.yaml",
                                                          line_of(desk / "assessments" / "second.yaml", "convoy-atack"))
    assert problem.hint == "did you mean 'convoy-attack'?"
    assert not build(Project.at(desk), formats=HTML).ok


def test_one_event_recorded_twice_is_reported_with_both_places(desk: Path) -> None:
    text = (desk / D).read_text(encoding="utf-8")
    record = text[text.index("  - id: convoy-attack"):text.index("  - id: campaign-threat")]
    (desk / "incidents" / "more.yaml").write_text(
        "incidents:\n" + record.replace("id: convoy-attack", "id: khatlon-convoy"), encoding="utf-8")
    problems = [p for p in _diagnostics(desk) if p[0] == "A004"]
    assert problems == [("A004", "incidents/tajikistan.yaml", 3,  # files are read in name order
                         "incident 'convoy-attack' looks like 'khatlon-convoy' (incidents/more.yaml:2): same date "
                         "(2024-11-18), place (Khatlon, Tajikistan) and target")]


def test_an_id_recorded_in_two_files_is_an_error(desk: Path) -> None:
    text = (desk / D).read_text(encoding="utf-8")
    record = text[text.index("  - id: convoy-attack"):text.index("  - id: campaign-threat")]
    (desk / "incidents" / "more.yaml").write_text("incidents:\n" + record.replace('"2024-11-18"', '"2024-11"'),
                                                  encoding="utf-8")
    assert ("A001", "incidents/tajikistan.yaml", 3,
            "incident id 'convoy-attack' is already used in incidents/more.yaml:2") in _diagnostics(desk)


def test_facts_of_a_recorded_incident_are_checked_where_it_is_recorded(desk: Path) -> None:
    edit(desk / D, "wounded: 4", "wounded: 5")
    problems = [(code, path, line) for code, path, line, _ in _diagnostics(desk)]
    assert problems == [("F001", D, line_of(desk / D, "wounded: 5"))]  # once, not once per assessment listing it


def test_an_incident_listed_by_two_assessments_is_once_in_the_overview_and_the_exports(desk: Path) -> None:
    assert build(Project.at(desk), formats=HTML).ok
    reports = desk / "reports"
    overview = (reports / "overview.html").read_text(encoding="utf-8")
    assert overview.count("Convoy attacked near gold mine") == 1 or overview.count('id="incident-convoy-attack"') == 1
    rows = list(csv.DictReader(io.StringIO((reports / "incidents.csv").read_text(encoding="utf-8"))))
    assert [row["event_id"] for row in rows].count("convoy-attack") == 1
    data = json.loads((reports / "incidents.json").read_text(encoding="utf-8"))
    assert [i["id"] for i in data["incidents"]].count("convoy-attack") == 1
    bundle = json.loads((reports / "threatbrief.stix.json").read_text(encoding="utf-8"))
    incidents = [o for o in bundle["objects"] if o["type"] == "incident"]
    reports_stix = [o for o in bundle["objects"] if o["type"] == "report"]
    assert len(incidents) == 2 and len(reports_stix) == 2
    convoy = next(o["id"] for o in incidents if o["name"] == "Convoy attacked near gold mine")
    assert all(convoy in r["object_refs"] for r in reports_stix)


def test_editing_an_assessment_does_not_rebuild_the_overview_or_the_exports(desk: Path) -> None:
    assert build(Project.at(desk), formats=HTML).ok
    edit(desk / "assessments" / "second.yaml", "scope: \"A test assessment.\"", "scope: \"A second test assessment.\"")
    result = build(Project.at(desk), formats=HTML)
    rebuilt = sorted(Path(key).name for key in result.reasons)
    assert rebuilt == ["index.html", "second.html", "threatbrief.stix.json"]  # the bundle holds a report per assessment


def test_editing_the_dataset_rebuilds_the_overview_exports_and_the_briefings_listing_it(desk: Path) -> None:
    assert build(Project.at(desk), formats=HTML).ok
    edit(desk / D, 'title: "Convoy attacked near gold mine"', 'title: "Convoy attacked near the gold mine"')
    result = build(Project.at(desk), formats=HTML)
    assert result.ok
    rebuilt = sorted(Path(key).name for key in result.reasons)
    assert rebuilt == ["border.html", "incidents.csv", "incidents.json", "overview.html", "second.html",
                       "threatbrief.stix.json"]
    assert build(Project.at(desk), formats=HTML).reasons == {}  # and then nothing is left to do


def test_a_listed_incident_may_not_carry_a_stricter_source_into_a_briefing(desk: Path) -> None:
    """The dataset itself may cite any source; an assessment listing the incident is held to it."""
    edit(desk / "sources" / "sources.yaml", "reliability: D", "reliability: D\n    tlp: \"TLP:RED\"")
    problems = [(code, path, message) for code, path, _, message in _diagnostics(desk) if code == "T003"]
    assert problems and all(path.startswith("assessments/") for _, path, _ in problems)
    assert ("T003", "assessments/second.yaml",
            "incident 'convoy-attack' cites sources/second.txt, TLP:RED, stricter than this assessment's TLP:AMBER") in problems


def test_a_file_of_incidents_linked_out_of_the_project_is_not_read(desk: Path) -> None:
    import os

    os.symlink("/etc/hostname", desk / "incidents" / "outside.yaml")
    os.symlink("..", desk / "incidents" / "loop")  # a folder link: not followed, no endless walk
    problems = [(d.code, d.path) for d in check(Project.at(desk)).diagnostics]
    assert problems == [("Y004", "incidents/outside.yaml")]
