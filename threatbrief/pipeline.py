"""The build, top to bottom: load -> check -> chart -> render -> write.

`check()` collects every problem of every file before anything is decided; `build()` writes
nothing unless `check()` found no error, and writes each output through a temporary file that is
renamed into place, so a failed or interrupted build leaves the previous reports as they were.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from threatbrief.atomic import BuildError, write_atomic
from threatbrief.files import NotReadable, read_regular
from threatbrief.limits import MAX_SOURCE_BYTES
from threatbrief.make import manifest
from threatbrief.make.plan import BuildPlan, index_entry
from threatbrief.project import Project, UnsafePath, slug

# Imported where they are used, after a build found work to do: a build with nothing to do
# imports neither the checker nor the model nor the render workers (tests/test_startup.py).
if TYPE_CHECKING:
    from threatbrief.check.checker import CheckResult
    from threatbrief.make.workers import OverviewJob, Rendered, RenderJob
    from threatbrief.model import CheckedAssessment, Incident, Registry


def check(project: Project, names: list[str] | None = None, strict: bool = False, jobs: int = 1, *,
          findings_only: bool = False, cache: bool = True) -> "CheckResult":
    """checker.check, imported on first use: a build with nothing to do needs none of it."""
    from threatbrief.check.checker import check as run

    return run(project, names, strict, jobs, findings_only=findings_only, cache=cache)


@dataclass
class BuildResult:
    check: CheckResult | None  # None when everything was up to date: nothing was parsed
    written: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    up_to_date: list[str] = field(default_factory=list)  # outputs that needed no work
    reasons: dict[str, list[str]] = field(default_factory=dict)  # output -> why it was (re)built
    notice: str = ""  # e.g. the manifest was unreadable

    @property
    def ok(self) -> bool:
        return self.check is None or self.check.ok


# Rendering (charts, HTML, PDF; worker processes) is workers.py's job; its names are still
# `pipeline.X`, imported on first use (see __getattr__).
_FROM_WORKERS = ("OverviewJob", "Rendered", "RenderJob", "_render_all", "render_briefing")


def __getattr__(name: str) -> Any:
    if name in _FROM_WORKERS:
        from threatbrief.make import workers

        return getattr(workers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def build(
    project: Project, names: list[str] | None = None, formats: tuple[str, ...] = ("html", "pdf"), jobs: int = 1,
    strict: bool = False, force: bool = False, progress: Callable[[str, float, int, int], None] | None = None,
    dataset: tuple[str, ...] | None = None,
) -> BuildResult:
    """Rebuild what is stale (everything with `force`), in `jobs` processes; write nothing on errors.

    `dataset` names the outputs of incidents/ to consider (plan.DATASET_OUTPUTS; by default all
    of them when every assessment is built): `serve` previews the overview's HTML, not the exports.

    Staleness comes from the manifest alone, so a build with nothing to do parses no YAML and
    imports neither matplotlib nor WeasyPrint.
    """
    started = time.perf_counter()
    try:
        plan = BuildPlan.make(project, names, formats, force, dataset)  # refuses a symlinked reports/
    except UnsafePath as exc:
        raise BuildError(str(exc)) from None
    result = BuildResult(None, up_to_date=plan.fresh, reasons=plan.reasons, notice=plan.notice)
    if not plan.reasons and not plan.to_check:
        plan.save([], {})  # remember new stat stamps of touched-but-unchanged files
        result.seconds = time.perf_counter() - started
        return result
    from threatbrief.make.workers import RenderJob, _render_all, prestart

    early = prestart(project, plan, jobs)  # workers import matplotlib and WeasyPrint while check() runs
    result.check = check(project, plan.to_check, strict)
    registry = result.check.registry
    if not result.check.ok or registry is None:
        return result
    _nothing_skipped(result.check, plan)
    render_jobs = []
    for checked in result.check.assessments:
        wanted = tuple(f for f in formats if f"{project.key(project.reports_dir)}/{checked.assessment.name}.{f}" in plan.reasons)
        if not wanted:
            continue
        texts = {}
        for path in checked.assessment.cited_sources():
            source, _, _ = result.check.library.get(path)
            assert source is not None  # every citation resolved, or check() would have failed
            texts[path] = source.context_text
        render_jobs.append(RenderJob(project, checked, registry, texts, wanted))
    exports, overview = _dataset_outputs(project, plan, result.check, registry)
    rendered = _render_all([*([overview] if overview else []), *render_jobs], jobs, progress, early)
    _sources_unchanged(result.check, render_jobs)
    outputs = [output for r in rendered for output in r.outputs] + exports
    result.warnings = [w for r in rendered for w in r.warnings]
    if plan.index_pending:  # now that the briefings read in this run have their entries
        fresh = {c.assessment.name: index_entry(c.assessment) for c in result.check.assessments}
        plan.judge_index(fresh, [project.key(path) for path, _ in outputs], force)
    if plan.index_key in plan.reasons:
        from threatbrief.publish.render import environment, index_html

        index = index_html(environment(project), plan.index_shown, plan.dataset_built(written=[]))
        outputs.append((project.reports_dir / "index.html", index.encode("utf-8")))
    for path, data in outputs:
        write_atomic(path, data)
        result.written.append(path)
    plan.save(outputs, {c.assessment.name: c for c in result.check.assessments})
    result.seconds = time.perf_counter() - started
    return result


def _dataset_outputs(project: Project, plan: BuildPlan, checked: CheckResult,
                     registry: Registry) -> tuple[list[tuple[Path, bytes]], OverviewJob | None]:
    """The exports of incidents/ that are stale (made here: they are quick), and the overview's
    render job when the overview is stale."""
    stale = {key.rsplit("/", 1)[1] for key in plan.dataset_keys if key in plan.reasons}
    incidents = checked.dataset.incidents
    plan.dataset_sources = sorted({c.source for i in incidents for c in i.citations})
    reports = project.reports_dir
    exports: list[tuple[Path, bytes]] = []
    if stale & {"incidents.csv", "incidents.json", "threatbrief.stix.json"}:
        from threatbrief.publish import export

        if "incidents.csv" in stale:
            exports.append((reports / "incidents.csv", export.incidents_csv(incidents, registry)))
        if "incidents.json" in stale:
            exports.append((reports / "incidents.json", export.incidents_json(incidents, registry)))
        if "threatbrief.stix.json" in stale:
            assessments = [c.assessment for c in checked.assessments]
            exports.append((reports / "threatbrief.stix.json", export.stix_bundle(incidents, registry, assessments)))
    formats = tuple(fmt for fmt in ("html", "pdf") if f"overview.{fmt}" in stale)
    from threatbrief.make.workers import OverviewJob

    overview = OverviewJob(project, incidents, registry, formats, _dataset_day(incidents)) if formats else None
    return exports, overview


def _dataset_day(incidents: list[Incident]) -> str:
    """The latest day the dataset's dates reach: the overview's date, the same on every build."""
    days = [i.date.latest for i in incidents if i.date.latest]
    return max(days).isoformat() if days else "1970-01-01"


def _nothing_skipped(checked: CheckResult, plan: BuildPlan) -> None:
    """An assessment that passed check but could not be fully verified is never left out quietly."""
    built = {c.assessment.name for c in checked.assessments}
    skipped = sorted(stem for stem in plan.to_check if slug(stem) not in built)
    if skipped:
        raise BuildError(f"not built: {', '.join(skipped)} (some citations could not be verified); nothing was written")


def _sources_unchanged(checked: CheckResult, render_jobs: list[RenderJob]) -> None:
    """A source edited while the build ran would make its briefings quote a text that is gone."""
    for path in sorted({p for job in render_jobs for p in job.texts}):
        source, _, _ = checked.library.get(path)
        file = checked.library.project.sources_dir / path
        try:
            now = manifest.sha256_bytes(read_regular(file, MAX_SOURCE_BYTES))
        except NotReadable:
            now = ""
        if source is None or now != source.sha256:
            raise BuildError(f"sources/{path} changed while the build was running; nothing was written: run it again")


@dataclass
class CleanResult:
    removed: list[str] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)  # (path, why it was left alone)
    notice: str = ""


_TEMP_FILE = re.compile(r"\.[\w.-]+\.[\w]+\.tmp")  # what write_atomic names its temporary files


def clean(project: Project) -> CleanResult:
    """Remove exactly what the build wrote: the outputs the manifest lists, unchanged, and it.

    Never through a symbolic link, never a file the tool did not make (or that was changed
    since), so `clean` on a project whose reports/ was tampered with deletes nothing it should not.
    """
    try:
        reports = project.output_dir()
    except UnsafePath as exc:
        raise BuildError(str(exc)) from None
    result = CleanResult()
    manifest_path = reports / manifest.FILE_NAME
    recorded, notice = manifest.load(manifest_path)
    if notice or not manifest_path.exists():
        result.notice = notice or "no build manifest: nothing is known to have been written by threatbrief"
        return result
    for key, target in sorted(recorded.targets.items()):
        path = project.root / key
        if path.parent != reports:
            result.kept.append((key, "not directly in reports/"))
            continue
        if path.is_symlink():
            result.kept.append((key, "a symbolic link, not written by threatbrief"))
            continue
        if not path.exists():
            continue
        try:
            data = read_regular(path, manifest.MAX_INPUT_BYTES * 4)
        except NotReadable as exc:
            result.kept.append((key, f"not a file threatbrief wrote ({exc})"))
            continue
        if manifest.sha256_bytes(data) != target.output:
            result.kept.append((key, "changed since threatbrief wrote it"))
        else:
            path.unlink()
            result.removed.append(key)
    for path in sorted(reports.iterdir()):
        if _TEMP_FILE.fullmatch(path.name) and not path.is_symlink() and path.is_file():
            path.unlink()  # left behind by a build that was killed
            result.removed.append(project.key(path))
    manifest_path.unlink()
    result.removed.append(project.key(manifest_path))
    return result
