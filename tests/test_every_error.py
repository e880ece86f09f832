"""One run, every error: a schema error does not hide the problems of the parts that conform.

When an assessment does not conform to its schema, `check` still reads each key judgment,
section, incident and citation that conforms on its own (its sub-schema in `$defs`), verifies
the citations and runs the checks those parts allow; a part that does not conform is reported by
its schema error only. Such an assessment is never built.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import edit, line_of

from threatbrief.pipeline import build, check
from threatbrief.project import Project

A = Path("assessments") / "border.yaml"
MISQUOTE = ('quote: "Officials said one worker was killed and four were wounded."',
            'quote: "Officials said one worker was killed and five were wounded."')


def found(root: Path) -> list[tuple[str, int]]:
    return sorted((d.code, d.line) for d in check(Project.at(root)).diagnostics)


def test_a_purple_tlp_and_a_misquote_are_both_reported_in_one_run(basic: Path) -> None:
    path = basic / A
    edit(path, 'tlp: "TLP:AMBER"', 'tlp: "TLP:PURPLE"')
    edit(path, *MISQUOTE)  # the section's citation 'toll'
    codes = found(basic)
    assert ("Y010", line_of(path, "TLP:PURPLE")) in codes
    assert ("C001", line_of(path, "five were wounded")) in codes
    assert not check(Project.at(basic)).ok


def test_the_cli_lists_both_and_fails_once(basic: Path, cli) -> None:
    path = basic / A
    edit(path, 'tlp: "TLP:AMBER"', 'tlp: "TLP:PURPLE"')
    edit(path, *MISQUOTE)
    code, out, _ = cli("-C", str(basic), "check", "--format", "json")
    reported = {(d["code"], d["line"]) for d in json.loads(out)}
    assert code == 1
    assert {("Y010", line_of(path, "TLP:PURPLE")), ("C001", line_of(path, "five were wounded"))} <= reported


def test_a_schema_error_never_lets_the_assessment_be_built(basic: Path) -> None:
    edit(basic / A, 'tlp: "TLP:AMBER"', 'tlp: "TLP:PURPLE"')  # every citation is right
    result = build(Project.at(basic), formats=("html",))
    assert not result.ok and result.written == []
    assert [d.code for d in result.check.diagnostics] == ["Y010"]
    assert not (basic / "reports" / "border.html").exists()


def test_a_part_that_does_not_conform_is_reported_by_its_schema_error_alone(basic: Path) -> None:
    """The incident's killed figure is malformed: its other facts are not checked (they would be noise),
    but its quotes are verified, and the conforming parts are checked in full."""
    path = basic / A
    edit(path, "killed: 1\n", "killed: one\n")
    edit(path, "wounded: 4\n", "wounded: 40\n")  # F001 if the incident were read: it is not
    edit(path, "Officials said one worker was killed and four were wounded.\"\n      - source: second.txt",
         "Officials said one worker was killed and fourteen were wounded.\"\n      - source: second.txt")
    edit(path, "text: \"Attacks on Chinese workers near the border are likely to continue.\"",
         "text: \"Attacks on Chinese workers near the border are very likely to continue.\"")  # T001: a conforming judgment
    codes = found(basic)
    assert ("Y010", line_of(path, "killed: one")) in codes
    assert ("C001", line_of(path, "fourteen were wounded")) in codes  # a quote of the malformed incident
    assert ("T001", line_of(path, "very likely to continue")) in codes
    assert not [c for c, line in codes if c.startswith("F")], codes


def test_checks_still_run_on_later_parts_after_a_malformed_one(basic: Path) -> None:
    """List positions are kept: a finding on the second incident is reported at its own line."""
    path = basic / A
    edit(path, "kind: attack", "kind: assault")  # the first incident does not conform
    edit(path, "    perpetrator: null\n", "    perpetrator: Daesh\n")  # F003 on the second incident
    codes = found(basic)
    assert ("Y010", line_of(path, "kind: assault")) in codes
    assert ("F003", line_of(path, "perpetrator: Daesh")) in codes


def test_an_impossible_date_does_not_hide_a_misquote(basic: Path) -> None:
    path = basic / A
    edit(path, 'date: "2024-11-18"', 'date: "2024-02-30"')
    edit(path, *MISQUOTE)
    codes = found(basic)
    assert ("Y010", line_of(path, "2024-02-30")) in codes
    assert ("C001", line_of(path, "five were wounded")) in codes


def test_a_marker_naming_a_malformed_citation_is_not_unknown(basic: Path) -> None:
    """[@convoy] names a citation that has a schema error: the schema error is reported, not C003."""
    path = basic / A
    edit(path, "      - id: convoy\n        source: report.txt", "      - id: convoy\n        sorce: report.txt")
    codes = [c for c, _ in found(basic)]
    assert "Y010" in codes and "C003" not in codes


def test_a_malformed_citation_leaves_its_neighbours_verified(basic: Path) -> None:
    path = basic / A
    edit(path, "      - id: convoy\n        source: report.txt", "      - id: convoy\n        source: 7")
    edit(path, "quote: \"the Islamic State Khorasan Province (ISKP) claimed the attack\"\n"
               "incidents:", "quote: \"the Islamic State Khorasan Province (ISKP) claimed it\"\nincidents:")
    codes = found(basic)
    assert ("Y010", line_of(path, "source: 7")) in codes
    assert ("C001", line_of(path, "(ISKP) claimed it\"")) in codes


def test_structural_garbage_reports_what_it_can_and_never_crashes(basic: Path) -> None:
    path = basic / A
    text = path.read_text(encoding="utf-8")
    start, end = text.index("sections:\n"), text.index("incidents:\n")
    path.write_text(text[:start] + "sections: a string\n" + text[end:], encoding="utf-8")
    edit(path, "authors: [\"Test desk\"]", "authors: 5")
    edit(path, 'quote: "gunmen attacked a convoy carrying Chinese workers near the \\"gold mine\\" in Khatlon province"',
         'quote: "gunmen attacked a bus carrying Chinese workers near the \\"gold mine\\" in Khatlon province"')
    result = check(Project.at(basic))
    codes = {(d.code, d.line) for d in result.diagnostics}
    assert ("Y010", line_of(path, "sections: a string")) in codes
    assert ("Y010", line_of(path, "authors: 5")) in codes
    assert ("C001", line_of(path, "attacked a bus")) in codes
    assert not result.ok


def test_more_citations_than_the_limit_are_not_verified(basic: Path) -> None:
    """The citation limit bounds work: past it, nothing is verified, schema error or not."""
    cite = '      - source: report.txt\n        quote: "Officials said one worker was killed and five were wounded."\n'
    judgment = "  - text: \"Attacks are likely.\"\n    likelihood: likely\n    confidence: low\n    citations:\n" + cite * 100
    edit(basic / A, "key_judgments:\n", "key_judgments:\n" + judgment * 3)
    edit(basic / A, 'tlp: "TLP:AMBER"', 'tlp: "TLP:PURPLE"')
    result = check(Project.at(basic))
    assert {d.code for d in result.diagnostics} == {"Y010", "L001"} and result.verified == 0


def test_suppressions_in_a_malformed_file_are_not_reported_unused(basic: Path) -> None:
    """Not every rule ran on the file, so an unused suppression there is not an error yet."""
    path = basic / A
    edit(path, 'tlp: "TLP:AMBER"', 'tlp: "TLP:PURPLE"')
    edit(path, "confidence: low", "confidence: low  # threatbrief: ignore[K002] the blog is corroborated")
    assert [c for c, _ in found(basic)] == ["Y010"]
