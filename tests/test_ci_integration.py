"""The pre-commit hook and the GitHub Action that teams add to their own repositories."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent


def _hooks() -> list[dict]:
    return yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))


def test_the_hooks_run_on_the_files_a_check_reads() -> None:
    hooks = {hook["id"]: hook for hook in _hooks()}
    assert set(hooks) == {"threatbrief-check", "threatbrief-check-strict"}
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        assert hook["entry"].startswith("threatbrief check")
        files = re.compile(hook["files"])
        for path in ("assessments/border.yaml", "sources/sources.yaml", "sources/report.txt", "incidents/tj.yaml",
                     "threatbrief.toml"):
            assert files.search(path), path
        for path in ("README.md", "reports/border.pdf", "docs/assessments/x.yaml"):
            assert not files.search(path), path


def test_the_action_is_composite_and_safe_from_script_injection() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    uses = [step.get("uses", "") for step in steps]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    declared = set(action["inputs"])
    for step in steps:
        if "run" in step:
            assert step.get("shell") == "bash", step
            assert "${{" not in step["run"], f"an expression inside a script: {step['run']}"  # env: only
        text = yaml.safe_dump(step)
        assert set(re.findall(r"inputs\.([\w-]+)", text)) <= declared
    run = "\n".join(step.get("run", "") for step in steps)
    assert "--format github" in run and "--format sarif" in run


@pytest.mark.skipif(not (REPO / ".git").exists() or shutil.which("git") is None, reason="needs a git checkout")
def test_the_hook_passes_a_good_project_and_blocks_a_misquote(basic: Path, tmp_path: Path) -> None:
    """pre-commit installs this checkout's committed hook (as a team's `.pre-commit-config.yaml`
    names it) and runs it in a project's repository.

    So that the test takes seconds, the hook's environment gets threatbrief without its
    dependencies (PIP_NO_DEPS), which it imports from this virtualenv (PYTHONPATH)."""
    pytest.importorskip("pre_commit")
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    (basic / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {REPO.as_posix()}\n    rev: {rev}\n    hooks:\n      - id: threatbrief-check\n",
        encoding="utf-8")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit"), "PIP_NO_DEPS": "1",
           "PYTHONPATH": os.pathsep.join(p for p in sys.path if p.endswith("site-packages"))}
    git = ["git", "-c", "user.email=test@example.org", "-c", "user.name=test"]
    subprocess.run([*git, "init", "-q"], cwd=basic, check=True)
    subprocess.run([*git, "add", "-A"], cwd=basic, check=True)
    subprocess.run([*git, "commit", "-qm", "sample"], cwd=basic, check=True)
    hook = [sys.executable, "-m", "pre_commit", "run", "threatbrief-check", "--all-files"]
    good = subprocess.run(hook, cwd=basic, env=env, capture_output=True, text=True, timeout=300)
    assert good.returncode == 0, good.stdout + good.stderr
    assert re.search(r"threatbrief check\.+Passed", good.stdout)
    border = basic / "assessments" / "border.yaml"
    border.write_text(border.read_text(encoding="utf-8").replace("four were wounded", "five were wounded"),
                      encoding="utf-8")
    bad = subprocess.run(hook, cwd=basic, env=env, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert re.search(r"threatbrief check\.+Failed", bad.stdout) and "error[C001]" in bad.stdout
