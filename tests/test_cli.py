"""Exit codes and output formats that CI relies on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, edit, line_of


def test_check_clean_project_exits_0(basic: Path, cli) -> None:
    code, out, _ = cli("-C", str(basic), "check")
    assert code == 0
    assert out.strip().endswith("0 errors, 0 warnings")


def test_check_with_error_exits_1_with_compiler_style_line(basic: Path, cli) -> None:
    path = basic / "assessments" / "border.yaml"
    edit(path, "four were wounded.\"", "five were wounded.\"")
    code, out, _ = cli("-C", str(basic), "check")
    assert code == 1
    line = line_of(path, "five were wounded")
    assert f"assessments/border.yaml:{line}:16: error[C001] quote not found in sources/report.txt" in out
    assert "1 error, 0 warnings" in out


def test_warnings_alone_exit_0(basic: Path, cli) -> None:
    edit(basic / "assessments" / "border.yaml", "quote: \"claimed the attack on the convoy\"", "quote: \"the convoy\"")
    code, out, _ = cli("-C", str(basic), "check")
    assert code == 0 and "warning[C002]" in out


def test_usage_error_exits_2(cli) -> None:
    code, _, err = cli("check", "--format", "xml")
    assert code == 2 and "invalid choice" in err


def test_json_format(basic: Path, cli) -> None:
    edit(basic / "assessments" / "border.yaml", "four were wounded.\"", "five were wounded.\"")
    code, out, _ = cli("-C", str(basic), "check", "--format", "json")
    assert code == 1
    (item,) = json.loads(out)
    assert item["code"] == "C001" and item["severity"] == "error" and item["path"] == "assessments/border.yaml"
    assert item["rule"] == "quote-not-found" and "closest passage" in item["hint"]


def test_github_format_is_a_workflow_annotation(basic: Path, cli) -> None:
    path = basic / "assessments" / "border.yaml"
    edit(path, "four were wounded.\"", "five were wounded.\"")
    code, out, _ = cli("-C", str(basic), "check", "--format", "github")
    assert code == 1
    line = line_of(path, "five were wounded")
    assert out.startswith(f"::error file=assessments/border.yaml,line={line},col=16,title=C001 quote-not-found::")
    assert "\n" not in out.strip()  # one annotation per line; newlines inside are %0A-escaped
    assert "%0A" in out


def test_build_with_errors_exits_1_and_says_nothing_was_written(basic: Path, cli) -> None:
    edit(basic / "assessments" / "border.yaml", "source: second.txt", "source: ../second.txt")
    code, out, err = cli("-C", str(basic))
    assert code == 1 and "error[S001]" in out and "no report was written" in err
    assert not (basic / "reports").exists()


def test_build_html_only_for_one_assessment(basic: Path, cli) -> None:
    code, out, _ = cli("-C", str(basic), "build", "html", "border")
    assert code == 0
    assert sorted(p.name for p in (basic / "reports").iterdir() if not p.name.startswith(".")) == ["border.html"]


def test_unknown_assessment_name_is_an_error_with_a_suggestion(basic: Path, cli) -> None:
    for command in ("check", "build", "html"):
        code, _, err = cli("-C", str(basic), command, "bordr")
        assert code == 1 and "no assessment named 'bordr'" in err and "did you mean 'border'?" in err


def test_a_file_name_is_accepted_as_a_name(basic: Path, cli) -> None:
    for name in ("border.yaml", "assessments/border.yaml", "./assessments/border.yaml"):
        assert cli("-C", str(basic), "check", name)[0] == 0


def test_a_folder_that_is_no_project_names_init(tmp_path: Path, cli) -> None:
    code, _, err = cli("-C", str(tmp_path), "check")
    assert code == 1 and "is not a threatbrief project" in err and "threatbrief init" in err
    code, _, err = cli("-C", str(tmp_path / "missing"), "check")
    assert code == 2 and "no such directory" in err


def test_build_py_without_its_dependencies_says_to_run_make(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-S", str(REPO / "build.py"), "check"], capture_output=True, text=True,
                         timeout=60, cwd=tmp_path)  # -S: no site-packages, so no yaml, jinja2, …
    assert run.returncode == 1 and "run 'make' first" in run.stderr and "Traceback" not in run.stderr


def test_clean_removes_what_the_build_wrote_and_nothing_else(basic: Path, cli) -> None:
    reports = basic / "reports"
    reports.mkdir()
    (reports / "README.md").write_text("keep", encoding="utf-8")
    (reports / "notes.html").write_text("the team's own file", encoding="utf-8")
    assert cli("-C", str(basic), "html")[0] == 0
    code, out, _ = cli("-C", str(basic), "clean")
    assert code == 0 and "removed 3 file(s)" in out  # border.html, index.html, the manifest
    assert sorted(p.name for p in reports.iterdir()) == ["README.md", "notes.html"]


def test_build_py_runs_as_a_script_without_traceback(basic: Path) -> None:
    (basic / "assessments" / "border.yaml").write_text("title: [\n", encoding="utf-8")
    run = subprocess.run([sys.executable, str(REPO / "build.py"), "-C", str(basic), "check"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr + run.stdout
    assert "assessments/border.yaml:2:1: error[Y001]" in run.stdout


def test_readme_documents_every_rule() -> None:
    from threatbrief.diagnostics import RULES

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for rule in RULES.values():
        row = f'| <a id="rule-{rule.code.lower()}"></a>{rule.code} | {rule.severity.value} | {rule.name} |'
        assert row in readme, rule.code  # the anchor is what the JSON, SARIF and GitLab outputs link to


def test_a_case_only_mismatch_says_letter_case_differs(basic: Path, cli) -> None:
    edit(basic / "assessments" / "border.yaml", "quote: \"Officials said one worker", "quote: \"officials said one worker")
    code, out, _ = cli("-C", str(basic), "check")
    assert code == 1 and "letter case differs: quote has 'officials' where the source has 'Officials'" in out


@pytest.mark.parametrize("sha_line", ["    sha256: TODO\n", ""])
def test_a_missing_or_placeholder_sha256_prints_the_real_one(basic: Path, cli, sha_line: str) -> None:
    import hashlib

    registry = basic / "sources" / "sources.yaml"
    real = hashlib.sha256((basic / "sources" / "report.txt").read_bytes()).hexdigest()
    edit(registry, f"    sha256: {real}\n", sha_line)
    code, out, _ = cli("-C", str(basic), "check")
    assert code == 1 and f"sources/report.txt has sha256 {real}" in out
