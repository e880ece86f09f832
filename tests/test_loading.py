"""Bad YAML and schema violations: every problem reported at its file:line:col, never a traceback."""

from __future__ import annotations

from pathlib import Path

from conftest import edit, line_of

from threatbrief.load.yamlfile import parse_yaml
from threatbrief.pipeline import check
from threatbrief.project import Project


def codes_at(root: Path) -> list[tuple[str, int, str]]:
    return [(d.path, d.line, d.code) for d in check(Project.at(root)).diagnostics]


def test_syntax_error_reported_at_its_line() -> None:
    doc, problems = parse_yaml("title: ok\nkey: [unclosed\nother: 1\n", "a.yaml")
    assert doc is None
    assert [(p.code, p.line) for p in problems] == [("Y001", 3)]


def test_duplicate_key_is_an_error_naming_the_first() -> None:
    doc, problems = parse_yaml("title: a\nscope: b\ntitle: c\n", "a.yaml")
    assert doc is None
    (problem,) = problems
    assert (problem.code, problem.line, problem.col) == ("Y002", 3, 1)
    assert "line 1" in problem.message


def test_aliases_are_refused() -> None:
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"
    doc, problems = parse_yaml(bomb, "a.yaml")
    assert doc is None and problems[0].code == "Y003"


def test_custom_tags_are_refused() -> None:
    doc, problems = parse_yaml("a: !!python/object:os.system x\n", "a.yaml")
    assert doc is None and problems[0].code == "Y003"


def test_dates_stay_as_written_and_positions_are_kept() -> None:
    doc, problems = parse_yaml("date: 2024-11-18\nlist:\n  - name: x\n", "a.yaml")
    assert not problems and doc is not None
    assert doc.data == {"date": "2024-11-18", "list": [{"name": "x"}]}
    assert doc.mark(("list", 0, "name")) == (3, 11)


def test_literal_block_offsets_map_to_file_lines() -> None:
    doc, _ = parse_yaml("body: |\n  first line\n  second [@x] line\n", "a.yaml")
    assert doc is not None
    offset = doc.data["body"].index("[@x]")
    assert doc.offset_mark(("body",), offset) == (3, 10)


def test_non_utf8_file_names_file_and_line(basic: Path) -> None:
    path = basic / "assessments" / "border.yaml"
    path.write_bytes(path.read_bytes().replace(b"Test desk", b"Test d\xe9sk"))
    [(file, line, code)] = codes_at(basic)
    assert (file, code) == ("assessments/border.yaml", "Y004")
    assert line == 5  # authors: ["Test d\xe9sk"]


def test_schema_errors_are_all_reported_at_their_lines(basic: Path) -> None:
    path = basic / "assessments" / "border.yaml"
    edit(path, "likelihood: likely", "likelihood: probably")
    edit(path, "confidence: low", "confidense: low")
    edit(path, "killed: 1", "killed: one")
    found = {(line, code) for _, line, code in codes_at(basic)}
    assert (line_of(path, "likelihood: probably"), "Y010") in found
    assert (line_of(path, "confidense"), "Y010") in found
    assert (line_of(path, "killed: one"), "Y010") in found


def test_schema_messages_say_how_to_fix(basic: Path) -> None:
    path = basic / "assessments" / "border.yaml"
    edit(path, "likelihood: likely", "likelihood: very likley")
    edit(path, "confidence: low", "confidense: low")
    by_message = {d.message: d.hint for d in check(Project.at(basic)).diagnostics}
    assert by_message["key_judgments[0].likelihood: 'very likley' is not an allowed value"] == "did you mean 'very likely'?"
    assert "did you mean 'confidence'?" in by_message["key_judgments[0]: unknown key 'confidense'"]


def test_impossible_date_is_an_error(basic: Path) -> None:
    path = basic / "assessments" / "border.yaml"
    edit(path, 'date: "2024-11-18"', 'date: "2023-02-30"')
    [(file, line, code)] = codes_at(basic)
    assert (code, line) == ("Y010", line_of(path, "2023-02-30"))


def test_registry_is_validated_too(basic: Path) -> None:
    path = basic / "sources" / "sources.yaml"
    edit(path, "reliability: B", "reliability: Z")
    [(file, line, code)] = codes_at(basic)
    assert (file, code, line) == ("sources/sources.yaml", "Y010", line_of(path, "reliability: Z"))


def test_fast_schema_gate_agrees_with_the_full_validator(basic: Path) -> None:
    """The compiled draft-7 gate must accept exactly what the 2020-12 validator accepts."""
    from threatbrief.load import schema
    from threatbrief.load.yamlfile import load_yaml

    doc, _ = load_yaml(basic / "assessments" / "border.yaml", "a.yaml")
    assert doc is not None
    variants = [doc.data, {**doc.data, "tlp": "TLP:WHITE"}, {**doc.data, "extra": 1},
                {**doc.data, "incidents": [{**doc.data["incidents"][0], "killed": -1}]},
                {**doc.data, "incidents": [{**doc.data["incidents"][0], "date": "2024-13"}]},
                {**doc.data, "key_judgments": []}, {k: v for k, v in doc.data.items() if k != "title"}]
    for data in variants:
        full = not any(True for _ in schema._validator("assessment").iter_errors(data))
        assert schema.is_valid(data, "assessment") == full, data
