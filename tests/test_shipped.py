"""The shipped assessments: valid, and their quotes really are held to every word and number."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REPO

from threatbrief.load.loader import load_assessment
from threatbrief.pipeline import check
from threatbrief.project import Project
from threatbrief.sources.quotes import find, normalize

ASSESSMENTS = sorted((REPO / "assessments").glob("*.yaml"))
TOKEN = re.compile(r"[A-Za-z]{3,}|\d+")


def citations_of(file: Path):
    assessment, _, problems = load_assessment(file, Project.at(file.parent.parent))
    assert assessment is not None, problems
    return assessment.citations


def test_shipped_project_checks_clean() -> None:
    result = check(Project.at(REPO))
    assert result.diagnostics == []
    assert len(result.assessments) >= 2
    registry = result.registry
    assert registry is not None
    assert set(registry.sources) == {p.name for p in (REPO / "sources").glob("*.txt")}
    cited = {c.source for checked in result.assessments for c in checked.assessment.citations}
    assert cited == set(registry.sources), "every registered source is cited somewhere"


@pytest.mark.parametrize("file", ASSESSMENTS, ids=lambda f: f.stem)
def test_changing_any_word_or_number_of_any_quote_is_caught(file: Path) -> None:
    sources = {p.name: normalize(p.read_text(encoding="utf-8")) for p in (REPO / "sources").glob("*.txt")}
    for citation in citations_of(file):
        for token in TOKEN.finditer(citation.quote):
            word = token.group(0)
            changed = str(int(word) + 1) if word.isdigit() else word[:-1] + ("x" if word[-1] != "x" else "y")
            mutated = citation.quote[: token.start()] + changed + citation.quote[token.end():]
            assert find(mutated, sources[citation.source]) is None, (file.name, citation.quote_mark, word)


@pytest.mark.parametrize("file", ASSESSMENTS, ids=lambda f: f.stem)
def test_check_reports_each_mutated_quote_at_its_yaml_line(shipped: Path, file: Path) -> None:
    """Mutate one word in every quote of the file at once: one C001 per quote, at the quote's line."""
    target = shipped / "assessments" / file.name
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    expected = set()
    for citation in citations_of(target):
        line, col = citation.quote_mark
        text = lines[line - 1]
        token = TOKEN.search(text, col)
        assert token, (line, text)
        lines[line - 1] = text[: token.start()] + token.group(0).swapcase() + "q" + text[token.end():]
        expected.add(line)
    target.write_text("".join(lines), encoding="utf-8")
    found = {d.line for d in check(Project.at(shipped), [file.stem]).diagnostics
             if d.code == "C001" and d.path == f"assessments/{file.name}"}
    assert found == expected


def test_swapping_straight_and_curly_quote_marks_is_not_an_error(shipped: Path) -> None:
    swap = str.maketrans({"'": "’", "’": "'", "“": '\\"', "”": '\\"'})
    changed = 0
    for target in (shipped / "assessments").glob("*.yaml"):
        lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
        for citation in citations_of(target):
            line, col = citation.quote_mark
            text = lines[line - 1]
            if text[col - 1] == '"':  # double-quoted YAML scalar: swapping inside stays valid YAML
                swapped = text[:col] + text[col:].rstrip("\n")[:-1].translate(swap) + '"\n'
                changed += swapped != text
                lines[line - 1] = swapped
        target.write_text("".join(lines), encoding="utf-8")
    assert changed >= 20
    result = check(Project.at(shipped))
    assert result.diagnostics == []


def test_the_sample_projects_schema_copies_are_the_packages() -> None:
    """The `$schema` lines point at .threatbrief/schemas/: those copies must not drift from the tool's."""
    from threatbrief.project import BUILTIN_SCHEMAS

    for schema in BUILTIN_SCHEMAS.glob("*.schema.json"):
        assert (REPO / ".threatbrief" / "schemas" / schema.name).read_bytes() == schema.read_bytes(), schema.name
