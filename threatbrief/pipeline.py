"""The build, top to bottom: load -> check -> chart -> render -> write.

`check()` collects every problem of every file before anything is decided; `build()` writes
nothing unless `check()` found no error, and writes each output through a temporary file that is
renamed into place, so a failed or interrupted build leaves the previous reports as they were.
"""

from __future__ import annotations

import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from .citations import check_assessment
from .config import load_config
from .coverage import check_uncited, check_coverage
from .facts import check_facts
from .diagnostics import Diagnostic, has_errors
from .loader import load_assessment, load_registry
from .model import CheckedAssessment, Registry
from .project import Project
from .sources import SourceLibrary, check_registry
from .tradecraft import check_tradecraft


@dataclass
class CheckResult:
    registry: Registry | None
    assessments: list[CheckedAssessment]
    diagnostics: list[Diagnostic]
    library: SourceLibrary
    files: int
    verified: int  # citations whose quote was found in its source

    strict: bool = False  # warnings fail the run too (--strict)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics, self.strict)


@dataclass
class BuildResult:
    check: CheckResult
    written: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


class BuildError(Exception):
    """An output could not be written (disk full, read-only reports/): reported, never a traceback."""


def check(project: Project, names: list[str] | None = None, strict: bool = False) -> CheckResult:
    """Every problem of the registry and of the assessments (all, or those named), in one run."""
    config, diagnostics = load_config(project)
    library = SourceLibrary(project)
    registry, problems = load_registry(project)
    diagnostics += problems
    if registry is not None:
        diagnostics += check_registry(registry, library)
    files = project.assessment_files(names)
    checked = []
    loaded = []
    verified = 0
    for file in files:
        assessment, doc, problems = load_assessment(file, project)
        diagnostics += problems
        if assessment is None or doc is None:
            continue
        problems, locations = check_assessment(assessment, doc, registry, library)
        diagnostics += problems + check_facts(assessment, doc) + check_coverage(assessment, doc, registry)
        diagnostics += check_tradecraft(assessment, doc, registry)
        loaded.append(assessment)
        verified += len(locations)
        if len(locations) == len(assessment.citations):
            checked.append(CheckedAssessment(assessment, locations))
    if names:
        missing = sorted(set(names) - {f.stem for f in files})
        for name in missing:
            diagnostics.append(Diagnostic(f"assessments/{name}.yaml", 1, 1, "Y004",
                                          f"no assessment named {name!r} (assessments/{name}.yaml)"))
    if registry is not None and not names and len(loaded) == len(files):
        diagnostics += check_uncited(registry, loaded)
    return CheckResult(registry, checked, config.apply(diagnostics), library, len(files) + 1, verified, strict)


@dataclass(frozen=True)
class RenderJob:
    """Everything one briefing needs, so it can be rendered in a worker process."""

    project: Project
    checked: CheckedAssessment
    registry: Registry
    texts: dict[str, str]  # cited source path -> text
    formats: tuple[str, ...]


@dataclass(frozen=True)
class Rendered:
    outputs: list[tuple[Path, bytes]]
    warnings: list[str]


def render_briefing(job: RenderJob) -> Rendered:
    """Charts, HTML and PDF of one assessment, in memory: nothing is written here."""
    from .charts import build_charts
    from .render import briefing_html, environment

    assessment = job.checked.assessment
    reports = job.project.reports_dir
    html = briefing_html(environment(job.project), job.checked, job.registry, build_charts(assessment.incidents), job.texts)
    outputs, warnings = [], []
    if "html" in job.formats:
        outputs.append((reports / f"{assessment.name}.html", html.encode("utf-8")))
    if "pdf" in job.formats:
        from .pdf import render_pdf

        pdf, refused = render_pdf(html, job.project.root, assessment.date)
        warnings += [f"{assessment.path}: refused to load {url}" for url in refused]
        outputs.append((reports / f"{assessment.name}.pdf", pdf))
    return Rendered(outputs, warnings)


def build(
    project: Project, names: list[str] | None = None, formats: tuple[str, ...] = ("html", "pdf"), jobs: int = 1,
    strict: bool = False,
) -> BuildResult:
    """Check everything; if clean, render each briefing (in `jobs` processes) and write them all."""
    started = time.perf_counter()
    result = BuildResult(check(project, names, strict))
    registry = result.check.registry
    if not result.check.ok or registry is None:
        return result
    render_jobs = []
    for checked in result.check.assessments:
        texts = {}
        for path in checked.assessment.cited_sources():
            source, _, _ = result.check.library.get(path)
            assert source is not None  # every citation resolved, or check() would have failed
            texts[path] = source.text
        render_jobs.append(RenderJob(project, checked, registry, texts, formats))
    try:
        if jobs > 1 and len(render_jobs) > 1:
            with ProcessPoolExecutor(max_workers=min(jobs, len(render_jobs))) as pool:
                rendered = list(pool.map(render_briefing, render_jobs))
        else:
            rendered = [render_briefing(job) for job in render_jobs]
    except BrokenProcessPool as exc:
        raise BuildError(f"a render worker died ({exc}); no report was written") from None
    outputs = [output for r in rendered for output in r.outputs]
    result.warnings = [w for r in rendered for w in r.warnings]
    if "html" in formats and not names:
        from .render import environment, index_html

        index = index_html(environment(project), result.check.assessments)
        outputs.append((project.reports_dir / "index.html", index.encode("utf-8")))
    for path, data in outputs:
        write_atomic(path, data)
        result.written.append(path)
    result.seconds = time.perf_counter() - started
    return result


def write_atomic(path: Path, data: bytes) -> None:
    """Write beside the target, then rename over it: readers see the old file or the new, never half."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise BuildError(f"cannot write to {path.parent}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise BuildError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
