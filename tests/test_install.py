"""The tool as a new team gets it: a wheel, installed outside the repository, starting a project.

Runs benchmarks/new_project.py: build a wheel, install it into a fresh virtual environment (the
dependencies borrowed from this one, so no network), then `init`, `add-source`, `new`, fill the
placeholders, `check` (clean) and `build` (a PDF containing the new quote), all in a temporary
directory with no templates/ of its own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO


def test_an_installed_wheel_starts_a_project_and_builds_a_pdf(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, str(REPO / "benchmarks" / "new_project.py"), "--out", str(tmp_path / "np"),
                          "--runs", "0"],  # the session, checked; not the timings
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    for step in ("install the wheel", "threatbrief init", "threatbrief add-source", "threatbrief new",
                 "threatbrief check", "threatbrief build"):
        assert step in run.stdout
    assert (tmp_path / "np" / "work" / "project" / "reports" / "badakhshan.pdf").stat().st_size > 10_000
    assert not str(tmp_path).startswith(str(REPO))
