"""`threatbrief rules CODE`: every rule explained, with examples that really do what they say."""

from __future__ import annotations

from pathlib import Path

import pytest

from threatbrief.check.checker import check
from threatbrief.diagnostics import RULES
from threatbrief.project import Project
from threatbrief.rule_docs import DOCS, explain, help_uri


def test_every_rule_has_its_page() -> None:
    assert set(DOCS) == set(RULES)
    for code, doc in DOCS.items():
        assert doc.why and doc.bad and doc.good and doc.fix, code
        page = explain(code)
        assert page is not None and page.startswith(f"{code} {RULES[code].name} ({RULES[code].severity.value})")
        assert "\nBad:\n" in page and "\nGood:\n" in page and page.endswith(help_uri(code))


def test_a_rule_is_found_by_code_in_any_case_or_by_name() -> None:
    assert explain("C001") == explain("c001") == explain("quote-not-found")
    assert explain("Z999") is None and explain("no-such-rule") is None


def _codes_with_judgments(root: Path, block: str) -> set[str]:
    file = root / "assessments" / "border.yaml"
    text = file.read_text(encoding="utf-8")
    start, end = text.index("key_judgments:"), text.index("summary:")
    file.write_text(text[:start] + block.rstrip() + "\n" + text[end:], encoding="utf-8")
    return {d.code for d in check(Project.at(root), jobs=1, cache=False).diagnostics}


@pytest.mark.parametrize("code", ["C010", "T001", "K001", "K005", "C001", "C002"])
def test_the_bad_example_triggers_its_rule_and_the_good_one_does_not(basic: Path, tmp_path: Path, code: str) -> None:
    import shutil

    other = tmp_path / "good"
    shutil.copytree(basic, other)
    assert code in _codes_with_judgments(basic, DOCS[code].bad)
    assert code not in _codes_with_judgments(other, DOCS[code].good)


def test_the_cli_prints_a_page_or_says_there_is_no_such_rule(cli) -> None:
    code, out, _ = cli("rules", "t001")
    assert code == 0 and out.startswith("T001 likelihood-mismatch (error)") and "Fix:" in out
    code, _, err = cli("rules", "Q123")
    assert code == 2 and "no rule" in err
    code, out, _ = cli("rules")
    assert code == 0 and len(out.strip().splitlines()) == len(RULES)
