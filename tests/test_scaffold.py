"""`init`, `new` and `add-source`: a team starts a project, an analyst an assessment and a source."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

import pytest
from conftest import edit, line_of

from threatbrief.pipeline import check
from threatbrief.project import BUILTIN_SCHEMAS, Project

REPORT = ("\n  Attack near the border  \n\nGunmen attacked a convoy carrying Chinese workers in Khatlon province. "
          "Officials said one worker was killed and four were wounded. The Islamic State Khorasan Province (ISKP) "
          "claimed the attack.\n")


@pytest.fixture
def started(tmp_path: Path, cli) -> Path:
    """A project fresh from `init`, and a source document outside it."""
    assert cli("init", str(tmp_path / "proj"))[0] == 0
    (tmp_path / "report.txt").write_text(REPORT, encoding="utf-8")
    return tmp_path / "proj"


def _codes(root: Path) -> list[tuple[str, int]]:
    return sorted((d.code, d.line) for d in check(Project.at(root)).diagnostics)


def _todo_lines(path: Path) -> list[int]:
    return [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if "[[TODO" in line and not line.startswith("#")]


def test_init_makes_a_project_that_passes_check(tmp_path: Path, cli) -> None:
    code, out, err = cli("-C", str(tmp_path), "init", "new-desk")
    root = tmp_path / "new-desk"  # DIR is created, relative to -C
    assert code == 0 and err == ""
    for path in ("assessments/.gitkeep", "sources/sources.yaml", "reports/README.md", "templates/README.md",
                 "threatbrief.toml", ".gitignore", ".github/workflows/threatbrief.yml"):
        assert (root / path).is_file(), path
        assert f"wrote {path}" in out
    assert "threatbrief add-source" in out and "threatbrief new" in out and "threatbrief check" in out
    for schema in BUILTIN_SCHEMAS.glob("*.schema.json"):  # the $schema lines resolve on the user's machine
        assert (root / ".threatbrief/schemas" / schema.name).read_bytes() == schema.read_bytes()
    first = (root / "sources/sources.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert (root / "sources" / first.split("$schema=")[1]).resolve().is_file()
    assert "threatbrief check --format github --strict" in (root / ".github/workflows/threatbrief.yml").read_text()
    assert "reports/*\n!reports/README.md\n" in (root / ".gitignore").read_text()
    assert check(Project.at(root)).diagnostics == []
    code, out, _ = cli("-C", str(root), "check", "--strict")
    assert code == 0 and out.strip().endswith("0 errors, 0 warnings")


def test_init_settings_are_commented_out_and_each_example_is_valid(started: Path) -> None:
    toml = started / "threatbrief.toml"
    text = toml.read_text(encoding="utf-8")
    examples = [line for line in text.splitlines() if re.match(r"# [\w-]+ = ", line)]
    assert len(examples) == 5  # three rule levels, stale_after_months and allow_outside
    assert not [line for line in text.splitlines() if re.match(r"[\w-]+ = ", line)]
    (started.parent / "shared-corpus").mkdir()
    for line in examples:
        toml.write_text(text.replace(line, line[2:]), encoding="utf-8")
        assert [d for d in check(Project.at(started)).diagnostics if d.code == "X001"] == [], line


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path, cli) -> None:
    (tmp_path / ".gitignore").write_text("mine\n", encoding="utf-8")
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    code, out, err = cli("-C", str(tmp_path), "init")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and ".gitignore, sources/sources.yaml already exist" in err
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        ".gitignore", "sources", "sources/sources.yaml"]
    assert (tmp_path / ".gitignore").read_text() == "mine\n"


def test_new_assessment_is_reported_only_as_placeholders_at_their_lines(started: Path, cli) -> None:
    code, out, _ = cli("-C", str(started), "new", "kabul-2025", "--title", "Threat to foreign workers in Kabul")
    path = started / "assessments" / "kabul-2025.yaml"
    assert code == 0 and "wrote assessments/kabul-2025.yaml" in out
    assert 'title: "Threat to foreign workers in Kabul"' in path.read_text(encoding="utf-8")
    # One P001 per placeholder, and nothing else: no S002/C001/C002 for the placeholder
    # citations, no F003 for the perpetrator, no K001 for the judgment.
    assert _codes(started) == [("P001", line) for line in _todo_lines(path)]
    assert len(_todo_lines(path)) >= 12
    code, out, _ = cli("-C", str(started), "check")
    assert code == 1
    line = line_of(path, "quote: \"[[TODO")
    assert (f'assessments/kabul-2025.yaml:{line}:16: error[P001] key_judgments[0].citations[0].quote: replace the '
            'placeholder "[[TODO: copy the exact passage from the source]]"') in out


def test_new_assessment_filled_in_passes_check_and_builds(started: Path, cli) -> None:
    (started.parent / "claim.txt").write_text("The Islamic State Khorasan Province (ISKP) claimed the attack.\n",
                                              encoding="utf-8")
    for file, grade in (("report.txt", "B"), ("claim.txt", "D")):
        assert cli("-C", str(started), "add-source", f"../{file}", "--grade", grade, "--language", "en",
                   "--rationale", "Test grade.", "--published", date.today().isoformat())[0] == 0
    assert cli("-C", str(started), "new", "border")[0] == 0
    path = started / "assessments" / "border.yaml"
    text = path.read_text(encoding="utf-8").replace('"[[TODO: file name in sources/]]"', "report.txt")
    text = text.replace('"[[TODO: copy the exact passage from the source]]"\n',  # each claim: two sources
                        '"Officials said one worker was killed and four were wounded."\n'
                        "      - source: claim.txt\n"
                        '        quote: "The Islamic State Khorasan Province (ISKP) claimed the attack."\n')
    text = text.replace("[[TODO: as a quote names it, or null]]", "ISKP").replace("killed: null ", "killed: 1 ")
    text = text.replace("[[TODO: your name or team]]", "Test desk")
    text = re.sub(r"\[\[TODO: [^\]]*\]\]", "Convoy attacked near the border", text)
    path.write_text(text, encoding="utf-8")
    code, out, _ = cli("-C", str(started), "check")
    assert code == 0 and "0 errors, 0 warnings" in out, out
    code, out, _ = cli("-C", str(started), "build", "html", "-j", "1")
    assert code == 0, out
    assert "Officials said one worker was killed" in (started / "reports" / "border.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("name, message", [
    ("a b", "'a b' is not a usable assessment name"),
    ("../escape", "'../escape' is not a usable assessment name"),
    ("_-_", "'_-_' is not a usable assessment name"),  # no letter or digit: no output name
    ("Index", "'Index' is reserved"),
    ("overview", "'overview' is reserved"),
])
def test_new_refuses_unusable_names(started: Path, cli, name: str, message: str) -> None:
    code, out, err = cli("-C", str(started), "new", name)
    assert code == 1 and out == "" and err.startswith(f"error: {message}") and err.count("\n") == 1
    assert not list((started / "assessments").glob("*.yaml"))


def test_new_refuses_to_overwrite_or_collide(started: Path, cli) -> None:
    assert cli("-C", str(started), "new", "kabul")[0] == 0
    path = started / "assessments" / "kabul.yaml"
    path.write_text("# the analyst's work\n", encoding="utf-8")
    code, _, err = cli("-C", str(started), "new", "kabul.yaml")
    assert code == 1 and "assessments/kabul.yaml already exists" in err
    code, _, err = cli("-C", str(started), "new", "Kabul")
    assert code == 1 and "reports/kabul.html is already the output of assessments/kabul.yaml" in err
    assert path.read_text(encoding="utf-8") == "# the analyst's work\n"


def test_add_source_copies_hashes_and_appends_keeping_comments(started: Path, cli) -> None:
    registry = started / "sources" / "sources.yaml"
    before = registry.read_text(encoding="utf-8")
    code, out, _ = cli("-C", str(started), "add-source", "../report.txt", "--grade", "b", "--language", "en",
                       "--rationale", "Names officials.", "--publisher", "Example \"News\"", "--kind", "news",
                       "--published", "2024-11-20", "--url", "https://example.org/a", "--retrieved", "2024-11-21",
                       "--tlp", "amber")
    assert code == 0, out
    digest = hashlib.sha256(REPORT.encode("utf-8")).hexdigest()
    assert (started / "sources" / "report.txt").read_bytes() == REPORT.encode("utf-8")
    after = registry.read_text(encoding="utf-8")
    assert after.startswith(before.replace("sources: []\n", "sources:\n"))  # comments kept, nothing re-dumped
    entry = after[len(before) - len(" []"):]
    assert entry == ('  - path: "report.txt"\n    title: "Attack near the border"\n    publisher: "Example \\"News\\""\n'
                     '    author: null\n    published: "2024-11-20"\n    language: "en"\n    kind: news\n'
                     '    url: "https://example.org/a"\n    retrieved: "2024-11-21"\n    reliability: B\n'
                     '    tlp: "TLP:AMBER"\n    rationale: "Names officials."\n'
                     f'    sha256: {digest}\n')
    assert f"registered sources/report.txt at sources/sources.yaml:{line_of(registry, 'report.txt')}" in out
    (started.parent / "second.txt").write_text("Second report\n", encoding="utf-8")
    assert cli("-C", str(started), "add-source", "../second.txt", "--grade", "D", "--language", "en",
               "--rationale", "Anonymous.")[0] == 0
    text = registry.read_text(encoding="utf-8")
    assert text.startswith(after) and text.index("report.txt") < text.index("second.txt")
    assert [d.code for d in check(Project.at(started)).diagnostics] == ["S006", "S006"]  # registered, not cited yet


def test_add_source_refuses_a_second_copy_of_the_same_content(started: Path, cli) -> None:
    assert cli("-C", str(started), "add-source", "../report.txt", "--grade", "B")[0] == 0
    registry = started / "sources" / "sources.yaml"
    before = registry.read_text(encoding="utf-8")
    (started.parent / "copy.txt").write_text(REPORT, encoding="utf-8")
    code, out, err = cli("-C", str(started), "add-source", "../copy.txt")
    line = line_of(registry, 'path: "report.txt"')
    assert code == 1 and out == ""
    assert f"has the same content as sources/report.txt, registered at sources/sources.yaml:{line}" in err
    assert registry.read_text(encoding="utf-8") == before and not (started / "sources" / "copy.txt").exists()
    code, _, err = cli("-C", str(started), "add-source", "../report.txt")  # the same file again
    assert code == 1 and "sources/report.txt is already registered" in err and "--rehash" in err


def test_add_source_suggests_the_title_from_the_first_line(started: Path, cli) -> None:
    code, out, _ = cli("-C", str(started), "add-source", "../report.txt")
    assert code == 0 and 'title taken from its first line: "Attack near the border"' in out
    long = started.parent / "long.txt"
    long.write_text("\n\n" + "word " * 100 + "\nbody\n", encoding="utf-8")
    assert cli("-C", str(started), "add-source", str(long))[0] == 0
    registry = (started / "sources" / "sources.yaml").read_text(encoding="utf-8")
    assert 'title: "Attack near the border"' in registry
    titles = re.findall(r'title: "(word[^"]*)"', registry)
    assert titles == [("word " * 40).strip()] and len(titles[0]) <= 200


def test_add_source_without_grade_leaves_placeholders_that_check_reports(started: Path, cli) -> None:
    code, out, _ = cli("-C", str(started), "add-source", "../report.txt")
    assert code == 0 and "to do: language, reliability, rationale" in out
    registry = started / "sources" / "sources.yaml"
    text = registry.read_text(encoding="utf-8")
    assert 'reliability: "[[TODO: Admiralty grade A-F]]"' in text and "published: unknown" in text
    # P001 at each placeholder, and not also a schema error for '[[TODO…' not being a grade
    assert _codes(started) == [("P001", line) for line in _todo_lines(registry)]
    code, out, _ = cli("-C", str(started), "check")
    assert code == 1 and "sources[0].reliability (sources/report.txt): replace the placeholder" in out
    edit(registry, '"[[TODO: Admiralty grade A-F]]"', "C")
    edit(registry, '"[[TODO: one line: why this grade]]"', '"Names officials."')
    edit(registry, '"[[TODO: BCP 47 code of the text, e.g. en]]"', "en")
    assert _codes(started) == [("S006", line_of(registry, 'path: "report.txt"'))]


def test_add_source_registers_a_file_in_sources_in_place(started: Path, cli) -> None:
    (started / "sources" / "report.txt").write_text(REPORT, encoding="utf-8")
    code, out, _ = cli("-C", str(started), "add-source", "sources/report.txt", "--grade", "B")
    assert code == 0 and "copied" not in out and "registered sources/report.txt" in out
    (started.parent / "report.txt").write_text("Another text under the same name\n", encoding="utf-8")
    code, _, err = cli("-C", str(started), "add-source", "../report.txt")
    assert code == 1 and "sources/report.txt already exists with other content" in err
    assert (started / "sources" / "report.txt").read_text(encoding="utf-8") == REPORT


def test_rehash_records_the_new_hash_of_an_edited_source(started: Path, cli) -> None:
    assert cli("-C", str(started), "add-source", "../report.txt", "--grade", "B", "--language", "en",
               "--rationale", "Names officials.")[0] == 0
    registry = started / "sources" / "sources.yaml"
    before = registry.read_text(encoding="utf-8")
    source = started / "sources" / "report.txt"
    source.write_text(REPORT + "Updated on 21 November.\n", encoding="utf-8")
    assert [c for c, _ in _codes(started)] == ["S004", "S006"]
    old, new = hashlib.sha256(REPORT.encode()).hexdigest(), hashlib.sha256(source.read_bytes()).hexdigest()
    code, out, _ = cli("-C", str(started), "add-source", "--rehash", "sources/report.txt")
    assert code == 0 and f"old sha256 {old}" in out and f"new sha256 {new}" in out
    assert registry.read_text(encoding="utf-8") == before.replace(old, new)  # that line only
    assert [c for c, _ in _codes(started)] == ["S006"]
    code, out, _ = cli("-C", str(started), "add-source", "--rehash", "report.txt")  # as the registry names it
    assert code == 0 and "unchanged" in out


@pytest.mark.parametrize("args, exit_code, message", [
    (["add-source", "../missing.txt"], 1, "../missing.txt: no such file"),
    (["add-source"], 2, "add-source needs FILE"),
    (["add-source", "../report.txt", "--grade", "G"], 2, "'G' is not an Admiralty grade"),
    (["add-source", "../report.txt", "--published", "2024-13"], 2, "'2024-13' is not YYYY-MM-DD"),
    (["add-source", "../report.txt", "--language", "English"], 2, "'English' is not a BCP 47 language code"),
    (["add-source", "../report.txt", "--url", "javascript:alert(1)"], 2, "is not an http(s) address"),
    (["add-source", "--rehash", "report.txt", "--grade", "A"], 2, "takes no FILE and no metadata"),
    (["add-source", "--rehash", "report.txt"], 1, "sources/report.txt is not registered"),
    (["add-source", "sources/sources.yaml"], 1, "is the registry itself"),
    (["add-source", "../binary.txt"], 1, "is not UTF-8 text (byte 0xff on line 1)"),
    (["new", "bad name"], 1, "'bad name' is not a usable assessment name"),
    (["new"], 2, "the following arguments are required: NAME"),
    (["new", "kabul", "--title", "ab"], 2, "a title needs at least 3 characters"),
])
def test_bad_inputs_are_clear_errors(started: Path, cli, args: list[str], exit_code: int, message: str) -> None:
    (started.parent / "binary.txt").write_bytes(b"\xff\xfe text")
    registry = (started / "sources" / "sources.yaml").read_bytes()
    code, out, err = cli("-C", str(started), *args)
    assert code == exit_code and message in err and "Traceback" not in err + out
    assert err.strip().splitlines()[-1].count("error") == 1
    assert (started / "sources" / "sources.yaml").read_bytes() == registry
    assert sorted(p.name for p in (started / "sources").iterdir()) == ["sources.yaml"]


def test_new_and_add_source_need_a_project(tmp_path: Path, cli) -> None:
    for args in (["new", "kabul"], ["add-source", "x.txt"]):
        code, _, err = cli("-C", str(tmp_path), *args)
        assert code == 1 and "is not a threatbrief project" in err and "threatbrief init" in err
    assert list(tmp_path.iterdir()) == []


def test_a_placeholder_silences_only_its_own_citation(basic: Path) -> None:
    """Other problems of the same assessment are still reported."""
    path = basic / "assessments" / "border.yaml"
    edit(path, 'quote: "claimed the attack on the convoy"', 'quote: "[[TODO: the claim]]"')
    edit(path, "four were wounded.\"", "five were wounded.\"")
    assert _codes(basic) == sorted([("P001", line_of(path, "[[TODO: the claim]]")),
                                    ("C001", line_of(path, "five were wounded"))])
