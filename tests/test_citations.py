"""Citation checks: confined paths, unknown files, registry integrity, quotes, markers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import edit, line_of

from threatbrief.pipeline import check
from threatbrief.project import Project

ASSESSMENT = "assessments/border.yaml"


def problems(root: Path) -> list:
    return check(Project.at(root)).diagnostics


def only(root: Path):
    found = problems(root)
    assert len(found) == 1, found
    return found[0]


def test_the_basic_project_is_clean(basic: Path) -> None:
    result = check(Project.at(basic))
    assert result.diagnostics == []
    assert len(result.assessments) == 1
    assert len(result.assessments[0].locations) == 9


def test_changed_word_is_an_error_at_the_quote_line_with_closest_passage(basic: Path) -> None:
    path = basic / ASSESSMENT
    edit(path, "quote: \"Officials said one worker was killed and four were wounded.\"",
         "quote: \"Officials said one worker was killed and five were wounded.\"")
    problem = only(basic)
    assert (problem.path, problem.code) == (ASSESSMENT, "C001")
    assert problem.line == line_of(path, "five were wounded")
    assert problem.col == 16  # the quote value, after '        quote: '
    assert "closest passage" in problem.hint and "sources/report.txt:3:" in problem.hint
    assert "'five' where the source has 'four'" in problem.hint


def test_typography_differences_are_not_errors(basic: Path) -> None:
    path = basic / ASSESSMENT
    edit(path, "The group's statement - posted online -", "The group’s  statement — posted\n          online —")
    assert problems(basic) == []


@pytest.mark.parametrize("bad_path, fragment", [
    ("../assessments/border.yaml", "contains '..'"),
    ("/etc/passwd", "is absolute"),
    ("C:/Windows/win.ini", "is absolute"),
    ("sub\\\\report.txt", "backslash"),
])
def test_paths_outside_sources_are_refused(basic: Path, bad_path: str, fragment: str) -> None:
    path = basic / ASSESSMENT
    edit(path, "      - source: second.txt\n        quote: \"claimed the attack on the convoy\"",
         f"      - source: \"{bad_path}\"\n        quote: \"claimed the attack on the convoy\"")
    problem = only(basic)
    assert problem.code == "S001" and fragment in problem.message
    assert problem.line == line_of(path, bad_path.replace("\\\\", "\\\\"))


def test_symlink_out_of_sources_is_refused(basic: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("claimed the attack on the convoy", encoding="utf-8")
    os.symlink(secret, basic / "sources" / "link.txt")
    edit(basic / ASSESSMENT, "      - source: second.txt\n        quote: \"claimed the attack on the convoy\"",
         "      - source: link.txt\n        quote: \"claimed the attack on the convoy\"")
    problem = only(basic)
    assert problem.code == "S001" and "outside sources/" in problem.message


def test_unknown_file_suggests_the_closest_name(basic: Path) -> None:
    path = basic / ASSESSMENT
    edit(path, "      - source: second.txt\n        quote: \"claimed", "      - source: secnd.txt\n        quote: \"claimed")
    problem = only(basic)
    assert problem.code == "S002" and problem.line == line_of(path, "secnd.txt")
    assert problem.hint == "did you mean 'second.txt'?"


def test_directory_is_not_a_source(basic: Path) -> None:
    (basic / "sources" / "folder").mkdir()
    edit(basic / ASSESSMENT, "      - source: second.txt\n        quote: \"claimed", "      - source: folder\n        quote: \"claimed")
    problem = only(basic)
    assert problem.code == "Y004" and "directory" in problem.message


def test_unregistered_source_is_an_error(basic: Path) -> None:
    (basic / "sources" / "third.txt").write_text("An unregistered source says the convoy was attacked.\n", encoding="utf-8")
    edit(basic / ASSESSMENT, "      - source: second.txt\n        quote: \"claimed the attack on the convoy\"",
         "      - source: third.txt\n        quote: \"says the convoy was attacked\"")
    problem = only(basic)
    assert problem.code == "S003" and "third.txt" in problem.message


def test_changed_source_is_caught_by_its_hash(basic: Path) -> None:
    with (basic / "sources" / "second.txt").open("a", encoding="utf-8") as out:
        out.write("An added line.\n")
    problem = only(basic)
    assert (problem.path, problem.code) == ("sources/sources.yaml", "S004")
    assert "update sha256" in problem.hint


def test_short_quote_is_a_warning_not_an_error(basic: Path) -> None:
    edit(basic / ASSESSMENT, "quote: \"claimed the attack on the convoy\"", "quote: \"the convoy\"")
    problem = only(basic)
    assert (problem.code, problem.severity.value) == ("C002", "warning")
    assert check(Project.at(basic)).ok


def test_unknown_marker_is_an_error_at_its_line_and_column(basic: Path) -> None:
    path = basic / ASSESSMENT
    edit(path, "ISKP claimed it [@claim].", "ISKP claimed it [@clam].")
    problem = only(basic)
    assert problem.code == "C003"
    assert (problem.line, problem.col) == (line_of(path, "[@clam]"), 19)
    assert problem.hint == "did you mean 'claim'?"


def test_duplicate_citation_id_is_an_error(basic: Path) -> None:
    edit(basic / ASSESSMENT, "- id: convoy", "- id: toll")
    codes = {p.code for p in problems(basic)}
    assert "C004" in codes


def test_duplicate_incident_id_is_an_error(basic: Path) -> None:
    edit(basic / ASSESSMENT, "- id: campaign-threat", "- id: convoy-attack")
    assert only(basic).code == "A001"


def test_every_problem_of_a_run_is_reported(basic: Path) -> None:
    path = basic / ASSESSMENT
    edit(path, "four were wounded.\"", "five were wounded.\"")
    edit(path, "source: second.txt", "source: nope.txt")
    edit(path, "[@claim]", "[@nope]")
    (basic / "sources" / "sources.yaml").write_text("sources: [", encoding="utf-8")
    codes = sorted(p.code for p in problems(basic))
    assert codes == ["C001", "C003", "S002", "Y001"]


def test_quote_found_in_another_source_names_it(basic: Path) -> None:
    edit(basic / ASSESSMENT, "- source: second.txt\n        quote: \"claimed the attack on the convoy\"",
         "- source: report.txt\n        quote: \"claimed the attack on the convoy\"")
    (problem,) = [p for p in problems(basic) if p.code == "C001"]
    assert problem.hint.startswith("the quote is in sources/second.txt:1:")
