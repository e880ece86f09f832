"""Rendering in worker processes: the same bytes as in one process, largest jobs first, failures
and interruptions that write nothing and leave no worker behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import REPO, add_second_assessment, edit
from threatbrief.atomic import BuildError
from threatbrief.make import workers
from threatbrief.pipeline import build
from threatbrief.project import Project


@dataclass
class Sized:
    name: str
    size: int


def test_largest_jobs_go_first_ties_in_given_order() -> None:
    jobs = [Sized("a", 5), Sized("overview", 40), Sized("b", 5), Sized("c", 90), Sized("d", 0)]
    assert [jobs[k].name for k in workers.largest_first(jobs)] == ["c", "overview", "a", "b", "d"]


def test_size_grows_with_what_there_is_to_lay_out(shipped: Path) -> None:
    from threatbrief.pipeline import check

    result = check(Project.at(shipped))
    project, registry = Project.at(shipped), result.registry
    jobs = {c.assessment.name: workers.RenderJob(project, c, registry, {}, ("html", "pdf")) for c in result.assessments}
    for checked in result.assessments:
        job = jobs[checked.assessment.name]
        assert job.size > workers.RenderJob(project, checked, registry, {}, ("html",)).size  # a PDF is most of it
    assert len({job.size for job in jobs.values()}) == len(jobs)
    overview = workers.OverviewJob(project, result.dataset.incidents, registry, ("html", "pdf"), "2024-12-01")
    assert overview.size > workers.OverviewJob(project, result.dataset.incidents[:2], registry, ("html", "pdf"), "x").size


@pytest.fixture
def two(basic: Path) -> Path:
    return add_second_assessment(basic)


def _outputs(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "reports").iterdir()) if not p.name.startswith(".")}


def test_one_and_two_processes_write_the_same_bytes(two: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pooled = []
    real = workers._in_pool
    monkeypatch.setattr(workers, "_in_pool", lambda *a: pooled.append(a) or real(*a))
    other = tmp_path / "other"
    import shutil

    shutil.copytree(two, other)
    seen: list[str] = []
    one = build(Project.at(two), jobs=1)
    pair = build(Project.at(other), jobs=2, progress=lambda name, s, done, total: seen.append(f"{done}/{total} {name}"))
    assert one.ok and pair.ok and not one.warnings
    assert len(pooled) == 1  # -j 2 did use worker processes
    assert sorted(seen) == ["1/2 border", "2/2 second"] or sorted(seen) == ["1/2 second", "2/2 border"]
    assert [p.name for p in one.written] == [p.name for p in pair.written]  # reported in the same order
    a, b = _outputs(two), _outputs(other)
    assert sorted(a) == ["border.html", "border.pdf", "index.html", "second.html", "second.pdf"]
    assert a == b


def test_the_parent_of_a_parallel_build_imports_neither_matplotlib_nor_weasyprint(two: Path) -> None:
    script = ("import sys; from threatbrief.cli import main; code = main(['-C', sys.argv[1], 'build', '-j', '2']); "
              "print(code, sorted(m for m in ('matplotlib', 'weasyprint', 'numpy') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", script, str(two)], capture_output=True, text=True, cwd=REPO)
    assert run.stdout.splitlines()[-1] == "0 []", run.stdout + run.stderr
    assert sorted(_outputs(two)) == ["border.html", "border.pdf", "index.html", "second.html", "second.pdf"]


def test_workers_started_before_a_check_that_fails_are_stopped_at_once(two: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    started = []
    real = workers.Workers.__init__
    monkeypatch.setattr(workers.Workers, "__init__", lambda self, *a: started.append(a) or real(self, *a))
    edit(two / "assessments" / "second.yaml", "quote: \"", "quote: \"Not in the source at all, ")
    t0 = time.monotonic()
    result = build(Project.at(two), jobs=2)
    assert not result.ok and started == [(2, True)]  # started from the plan, before check() ran
    assert multiprocessing.active_children() == [] and time.monotonic() - t0 < 10
    assert not (two / "reports").exists() or not list((two / "reports").iterdir())


def test_a_library_failing_in_a_worker_is_a_build_error_and_nothing_is_written(
        two: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = workers.render_briefing

    def fail_on_second(job):  # the workers are forked from this process: they run this too
        if job.name == "second":
            raise ValueError("cairo said no")
        return real(job)

    monkeypatch.setattr(workers, "render_briefing", fail_on_second)
    with pytest.raises(BuildError, match="rendering failed: ValueError: cairo said no; no report was written"):
        build(Project.at(two), jobs=2)
    assert not (two / "reports").exists() or not list((two / "reports").iterdir())


def test_a_worker_that_dies_is_a_build_error(two: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def die(job):
        os._exit(9)

    monkeypatch.setattr(workers, "render_briefing", die)
    with pytest.raises(BuildError, match="a render worker died"):
        build(Project.at(two), jobs=2)
    assert not (two / "reports").exists() or not list((two / "reports").iterdir())


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupted_parallel_build_keeps_the_reports_and_stops_its_workers(two: Path, signum: int) -> None:
    for k in range(6):  # enough briefings that the build is still rendering when the signal comes
        (two / "assessments" / f"copy{k}.yaml").write_bytes((two / "assessments" / "border.yaml").read_bytes())
    assert build(Project.at(two), jobs=1).ok
    before = _outputs(two)
    edit(two / "assessments" / "border.yaml", "title: \"Border attack", "title: \"Edited border attack")
    edit(two / "assessments" / "second.yaml", "Gunmen attacked a convoy.", "Gunmen attacked a convoy, edited.")
    # SIGINT as a terminal gives it: a test run started in the background (`make test &`, no job
    # control) inherits SIGINT ignored, and Python then leaves Ctrl-C ignored too
    process = subprocess.Popen([sys.executable, str(REPO / "build.py"), "-C", str(two), "build", "-j", "2", "--force"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 30
    while len(_processes_mentioning(str(two))) < 3 and time.monotonic() < deadline:  # the parent and 2 workers
        time.sleep(0.05)
    assert len(_processes_mentioning(str(two))) >= 3, "the workers never started"
    process.send_signal(signum)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "interrupted: nothing more was written" in err and "Traceback" not in err
    deadline = time.monotonic() + 10
    while _processes_mentioning(str(two)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_mentioning(str(two)) == []
    assert _outputs(two) == before
    assert not [p for p in (two / "reports").iterdir() if p.name.endswith(".tmp")]
