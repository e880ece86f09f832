"""Make-style builds: only what changed is rebuilt; a build with nothing to do does nothing."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, add_second_assessment, edit

from threatbrief.pipeline import build
from threatbrief.project import Project

HTML = ("html",)


@pytest.fixture
def two(basic: Path) -> Path:
    """The basic project plus a second assessment that cites report.txt only."""
    return add_second_assessment(basic)


def rebuilt(root: Path, formats: tuple[str, ...] = HTML, **kwargs) -> list[str]:
    result = build(Project.at(root), formats=formats, **kwargs)
    assert result.ok, result.check and result.check.diagnostics
    return sorted(p.name for p in result.written)


def test_second_build_does_nothing_and_parses_nothing(two: Path) -> None:
    assert rebuilt(two) == ["border.html", "index.html", "second.html"]
    result = build(Project.at(two), formats=HTML)
    assert result.check is None and result.written == []  # check is None: no YAML was read
    assert sorted(result.up_to_date) == ["reports/border.html", "reports/index.html", "reports/second.html"]


def test_touching_without_changing_rebuilds_nothing(two: Path) -> None:
    rebuilt(two)
    os.utime(two / "assessments" / "border.yaml", (time.time() + 5, time.time() + 5))
    assert rebuilt(two) == []


def test_editing_one_assessment_rebuilds_its_outputs_and_the_index(two: Path) -> None:
    rebuilt(two)
    edit(two / "assessments" / "second.yaml", "Gunmen attacked a convoy.", "Gunmen attacked a convoy of trucks.")
    assert rebuilt(two) == ["index.html", "second.html"]


def test_editing_a_source_rebuilds_exactly_the_briefings_citing_it(two: Path) -> None:
    rebuilt(two)
    source = two / "sources" / "second.txt"
    old = hashlib.sha256(source.read_bytes()).hexdigest()
    source.write_text(source.read_text(encoding="utf-8") + "A later correction.\n", encoding="utf-8")
    edit(two / "sources" / "sources.yaml", old, hashlib.sha256(source.read_bytes()).hexdigest())
    assert rebuilt(two) == ["border.html"]  # second.yaml does not cite second.txt; the index is unchanged


def test_regrading_a_source_rebuilds_the_briefings_citing_it(two: Path) -> None:
    rebuilt(two)
    edit(two / "sources" / "sources.yaml", "reliability: B", "reliability: C")  # report.txt: cited by both
    assert rebuilt(two) == ["border.html", "second.html"]


def test_editing_a_template_rebuilds_everything(two: Path) -> None:
    rebuilt(two)
    (two / "templates").mkdir()
    css = (REPO / "threatbrief" / "data" / "templates" / "briefing.css").read_text(encoding="utf-8")
    (two / "templates" / "briefing.css").write_text(css.replace("#0b4f8a", "#8a0b4f"), encoding="utf-8")
    assert rebuilt(two) == ["border.html", "index.html", "second.html"]


def test_deleted_or_edited_output_is_rebuilt(two: Path) -> None:
    rebuilt(two)
    (two / "reports" / "second.html").unlink()
    (two / "reports" / "index.html").write_text("vandalised", encoding="utf-8")
    assert rebuilt(two) == ["index.html", "second.html"]


def test_force_rebuilds_everything(two: Path) -> None:
    rebuilt(two)
    assert rebuilt(two, force=True) == ["border.html", "index.html", "second.html"]


@pytest.mark.parametrize("damage", ["{not json", '{"version": 0}', ""])
def test_corrupt_or_old_manifest_means_a_clean_rebuild_with_a_notice(two: Path, damage: str) -> None:
    rebuilt(two)
    (two / "reports" / ".threatbrief-manifest.json").write_text(damage, encoding="utf-8")
    result = build(Project.at(two), formats=HTML)
    assert sorted(p.name for p in result.written) == ["border.html", "index.html", "second.html"]
    assert "rebuilding everything" in result.notice


def test_an_error_in_an_edited_assessment_stops_the_build(two: Path) -> None:
    rebuilt(two)
    before = (two / "reports" / "second.html").read_bytes()
    edit(two / "assessments" / "second.yaml", "quote: \"gunmen attacked", "quote: \"gunmen ambushed")
    result = build(Project.at(two), formats=HTML)
    assert not result.ok and result.written == []
    assert (two / "reports" / "second.html").read_bytes() == before
    assert not build(Project.at(two), formats=HTML).ok  # still stale: the next build checks it again


def test_no_op_build_imports_neither_matplotlib_nor_weasyprint(two: Path) -> None:
    rebuilt(two)
    code = ("import sys; from threatbrief.cli import main; rc = main(['-C', sys.argv[1], 'html']); "
            "print(rc, 'matplotlib' in sys.modules, 'weasyprint' in sys.modules, 'jsonschema' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code, str(two)], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert "everything up to date" in run.stdout
    assert run.stdout.strip().endswith("0 False False False")


def test_a_killed_build_leaves_previous_reports_intact_and_the_next_build_correct(two: Path) -> None:
    rebuilt(two, formats=("html", "pdf"))
    before = {p.name: p.read_bytes() for p in (two / "reports").iterdir()}
    edit(two / "assessments" / "border.yaml", "Gunmen attacked a convoy of Chinese workers",
         "Gunmen attacked a convoy of Chinese workers, as reported")
    for delay in (0.3, 0.9, 1.6):
        proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "-C", str(two), "-j", "1"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for path in (two / "reports").iterdir():
            if path.name.startswith(".") and path.name.endswith(".tmp"):
                continue  # a temporary file the kill left behind: never read as a report
            data = path.read_bytes()
            if path.name in before and data != before[path.name]:
                assert path.suffix != ".pdf" or data.rstrip().endswith(b"%%EOF"), "a half-written PDF"
    assert rebuilt(two, formats=("html", "pdf")) in ([], ["border.html", "border.pdf", "index.html"])
    html = (two / "reports" / "border.html").read_text(encoding="utf-8")
    assert "as reported" in html
    assert rebuilt(two, formats=("html", "pdf")) == []
