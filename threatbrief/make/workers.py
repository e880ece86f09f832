"""Rendering briefings and the overview: charts, HTML and PDF, in memory, never written here.

With `-j 1` (or one job) everything is rendered in this process. With more, in long-lived worker
processes: each imports matplotlib and WeasyPrint once (`_warm`, the pool's initializer) and
renders many jobs, so a build pays those imports once per worker rather than once per briefing,
and the parent, which only checks, plans and writes, never imports them. The workers are started
before `check()` runs (`prestart`, from the plan alone), so that their imports overlap the check
instead of following it. Jobs go out largest first (`largest_first`): the long ones start early
and the short ones fill in the gaps at the end.

Results come back in the order the jobs were given, whatever order they finished in, so the
outputs (and the lines that report them) are the same with -j 1 and -j 2. A worker that dies, or
a rendering library that fails, is a `BuildError` before anything is written; Ctrl-C or SIGTERM in
the parent stops the workers too (they ignore SIGINT themselves, so only the parent reports it).
"""

from __future__ import annotations

import signal
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Union

from threatbrief.atomic import BuildError
from threatbrief.model import CheckedAssessment, Incident, Registry
from threatbrief.project import Project

if TYPE_CHECKING:
    from threatbrief.make.plan import BuildPlan

Progress = Callable[[str, float, int, int], None]  # (job name, seconds, done, total)

# Rough characters of laid-out text each part of a page stands for: only their ratios matter.
CHART_UNITS = 6000
CITATION_UNITS = 700  # the quote with its context in the appendix, and its endnote
INCIDENT_UNITS = 500  # a row of the incidents table (with its summary)


@dataclass(frozen=True)
class Rendered:
    outputs: list[tuple[Path, bytes]]
    warnings: list[str]


@dataclass(frozen=True)
class RenderJob:
    """Everything one briefing needs, so it can be rendered in a worker process."""

    project: Project
    checked: CheckedAssessment
    registry: Registry
    texts: dict[str, str]  # cited source path -> text
    formats: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.checked.assessment.name

    @property
    def size(self) -> int:
        """About how much there is to lay out: its text, citations, incidents and charts."""
        a = self.checked.assessment
        text = len(a.summary) + len(a.scope) + sum(len(kj.text) for kj in a.key_judgments)
        text += sum(len(s.title) + len(s.body) for s in a.sections)
        charts = 4 if a.incidents else 0
        return _weighted(text, len(a.citations), len(a.incidents), charts, self.formats)

    def render(self) -> Rendered:
        return render_briefing(self)


@dataclass(frozen=True)
class OverviewJob:
    """The overview of incidents/, rendered in a worker like a briefing."""

    project: Project
    incidents: list[Incident]
    registry: Registry
    formats: tuple[str, ...]  # of "html", "pdf"
    day: str  # YYYY-MM-DD the page says it was built on (from the data: builds are reproducible)
    name: str = "overview"
    texts: dict[str, str] = field(default_factory=dict)  # no passages are shown: no source texts

    @property
    def size(self) -> int:
        citations = sum(len(i.citations) for i in self.incidents)
        text = sum(len(i.title) + len(i.summary or "") for i in self.incidents)
        return _weighted(text, citations // 4, len(self.incidents), 5 if self.incidents else 0, self.formats)

    def render(self) -> Rendered:
        from threatbrief.publish.charts import ChartCache
        from threatbrief.publish.overview import overview_charts, overview_html
        from threatbrief.publish.render import environment

        charts = overview_charts(self.incidents, ChartCache.for_project(self.project.cache_dir()))
        html = overview_html(environment(self.project), self.incidents, self.registry, charts, self.day)
        reports = self.project.reports_dir
        outputs, warnings = [], []
        if "html" in self.formats:
            outputs.append((reports / "overview.html", html.encode("utf-8")))
        if "pdf" in self.formats:
            from threatbrief.publish.pdf import render_pdf

            pdf, refused = render_pdf(html, self.project.root, self.day)
            warnings += [f"overview: refused to load {url}" for url in refused]
            outputs.append((reports / "overview.pdf", pdf))
        return Rendered(outputs, warnings)


Job = Union[RenderJob, OverviewJob]


def _weighted(text: int, citations: int, incidents: int, charts: int, formats: tuple[str, ...]) -> int:
    units = text + citations * CITATION_UNITS + incidents * INCIDENT_UNITS + charts * CHART_UNITS
    return units * (5 if "pdf" in formats else 1)  # laying out pages is most of the work


def render_briefing(job: RenderJob) -> Rendered:
    """Charts, HTML and PDF of one assessment, in memory: nothing is written here."""
    from threatbrief.publish.charts import ChartCache, build_charts
    from threatbrief.publish.render import briefing_html, environment

    assessment = job.checked.assessment
    reports = job.project.reports_dir
    charts = build_charts(assessment.incidents, ChartCache.for_project(job.project.cache_dir()))
    html = briefing_html(environment(job.project), job.checked, job.registry, charts, job.texts)
    outputs, warnings = [], []
    if "html" in job.formats:
        outputs.append((reports / f"{assessment.name}.html", html.encode("utf-8")))
    if "pdf" in job.formats:
        from threatbrief.publish.pdf import render_pdf

        pdf, refused = render_pdf(html, job.project.root, assessment.date)
        warnings += [f"{assessment.path}: refused to load {url}" for url in refused]
        outputs.append((reports / f"{assessment.name}.pdf", pdf))
    return Rendered(outputs, warnings)


def largest_first(jobs: list[Job]) -> list[int]:
    """The jobs' indexes, largest estimated job first (ties in the given order)."""
    return sorted(range(len(jobs)), key=lambda k: -jobs[k].size)


def _warm(pdf: bool) -> None:
    """A worker's start: import the heavy libraries once for all the jobs it will render (WeasyPrint
    only if a PDF is wanted); leave Ctrl-C to the parent (which stops the workers) and die quietly
    on SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    import matplotlib.backends.backend_agg  # noqa: F401  (what charts.draw uses)
    import matplotlib.backends.backend_svg  # noqa: F401
    import matplotlib.figure  # noqa: F401
    import matplotlib.layout_engine  # noqa: F401

    from threatbrief.publish import charts, overview, render  # noqa: F401
    if pdf:
        from threatbrief.publish import pdf as _  # noqa: F401  (imports WeasyPrint)


def _render(job: Job) -> tuple[Rendered, float]:
    started = time.perf_counter()
    rendered = job.render()
    return rendered, time.perf_counter() - started


def _ready() -> None:
    """A first task, so that the pool starts its workers at once."""


def _stop(pool: Any, processes: list[Any]) -> None:
    """Stop a pool's workers now: they may be importing, or half-way through a long PDF."""
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.kill()  # nothing to clean up: they write nothing but signed cache entries
    for process in processes:
        process.join(5)


class Workers:
    """Render processes started ahead of their jobs, each importing the heavy libraries once.

    Used by one `_render_all`, which shuts them down when it is done; stopped at once if the
    build fails, is interrupted, or never gets to rendering (when this object is dropped).
    """

    def __init__(self, count: int, pdf: bool = True) -> None:
        from concurrent.futures import ProcessPoolExecutor

        self.pool = ProcessPoolExecutor(max_workers=count, initializer=_warm, initargs=(pdf,))
        for _ in range(count):
            self.pool.submit(_ready)
        self.processes = list((getattr(self.pool, "_processes", None) or {}).values())
        self._finalizer = weakref.finalize(self, _stop, self.pool, self.processes)

    def stop(self) -> None:
        self._finalizer()

    def close(self) -> None:
        """Let the workers finish and exit (after all jobs are done)."""
        self._finalizer.detach()
        self.pool.shutdown(wait=True)


def render_targets(plan: BuildPlan, reports_key: str) -> set[tuple[str, str]]:
    """(name, format) of the briefings (and the overview) the plan will render: their stale
    .html and .pdf in reports/."""
    targets = set()
    for key in plan.reasons:
        folder, _, file = key.rpartition("/")
        stem, _, ext = file.rpartition(".")
        if folder == reports_key and ext in ("html", "pdf") and stem != "index":
            targets.add((stem, ext))
    return targets


def prestart(project: Project, plan: BuildPlan, jobs: int) -> Workers | None:
    """Worker processes for the build about to check, when it will render more than one job in
    parallel; None otherwise. Dropping the result without rendering stops them."""
    targets = render_targets(plan, project.key(project.reports_dir))
    count = min(jobs, len({name for name, _ in targets}))
    return Workers(count, any(fmt == "pdf" for _, fmt in targets)) if count > 1 else None


def _render_all(jobs: list[Job], workers: int, progress: Progress | None = None,
                started: Workers | None = None) -> list[Rendered]:
    """Render every job (in `workers` processes when there is more than one job, in the ones
    `started` early if given), largest first; the results in the order of `jobs`. Raises
    BuildError when rendering fails."""
    order = largest_first(jobs)
    results: dict[int, Rendered] = {}

    def report(k: int, seconds: float) -> None:
        if progress:
            progress(jobs[k].name, seconds, len(results), len(jobs))

    if started is None and workers > 1 and len(jobs) > 1:
        started = Workers(min(workers, len(jobs)), any("pdf" in job.formats for job in jobs))
    if started is None:  # in this process: no pool, nothing of multiprocessing imported
        try:
            for k in order:
                results[k], seconds = _render(jobs[k])
                report(k, seconds)
        except (OSError, ValueError, RuntimeError) as exc:
            raise _failed(exc) from None
        return [results[k] for k in range(len(jobs))]
    from concurrent.futures.process import BrokenProcessPool

    try:
        _in_pool(jobs, order, started, results, report)
    except BrokenProcessPool as exc:
        raise BuildError(f"a render worker died ({exc}); no report was written") from None
    except (OSError, ValueError, RuntimeError) as exc:
        raise _failed(exc) from None
    finally:
        started.stop()  # at once on failure or Ctrl-C; a no-op once the pool was closed
    return [results[k] for k in range(len(jobs))]


def _failed(exc: Exception) -> BuildError:
    """A rendering library that failed on valid input: reported, never a traceback."""
    return BuildError(f"rendering failed: {type(exc).__name__}: {exc}; no report was written")


def _in_pool(jobs: list[Job], order: list[int], workers: Workers, results: dict[int, Rendered],
             report: Callable[[int, float], None]) -> None:
    """All jobs submitted at once, largest first: the pool hands them out in that order."""
    from concurrent.futures import FIRST_COMPLETED, wait

    pending = {workers.pool.submit(_render, jobs[k]): k for k in order}
    while pending:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in sorted(done, key=lambda f: order.index(pending[f])):
            k = pending.pop(future)
            results[k], seconds = future.result()
            report(k, seconds)
    workers.close()
