"""The build, top to bottom: load -> check -> chart -> render -> write.

`check()` collects every problem of every file before anything is decided; `build()` writes
nothing unless `check()` found no error, and writes each output through a temporary file that is
renamed into place, so a failed or interrupted build leaves the previous reports as they were.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from . import manifest

from .citations import check_assessment
from .config import load_config
from .coverage import check_uncited, check_coverage
from .facts import check_facts
from .diagnostics import Diagnostic, has_errors
from .loader import load_assessment, load_registry
from .model import Assessment, CheckedAssessment, Registry
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


class BuildError(Exception):
    """An output could not be written (disk full, read-only reports/): reported, never a traceback."""


def check(project: Project, names: list[str] | None = None, strict: bool = False) -> CheckResult:
    """Every problem of the registry and of the assessments (all, or those named), in one run."""
    config, diagnostics = load_config(project)
    library = SourceLibrary(project)
    registry, problems = load_registry(project)
    diagnostics += problems
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
    if registry is not None:
        # Checking a subset (an incremental build) verifies the hashes of the sources it cites only.
        cited = None if names is None else {c.source for a in loaded for c in a.citations}
        diagnostics += check_registry(registry, library, cited)
    if registry is not None and names is None and len(loaded) == len(files):
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
    strict: bool = False, force: bool = False, progress: Callable[[str, float, int, int], None] | None = None,
) -> BuildResult:
    """Rebuild what is stale (everything with `force`), in `jobs` processes; write nothing on errors.

    Staleness comes from the manifest alone, so a build with nothing to do parses no YAML and
    imports neither matplotlib nor WeasyPrint.
    """
    started = time.perf_counter()
    plan = BuildPlan.make(project, names, formats, force)
    result = BuildResult(None, up_to_date=plan.fresh, reasons=plan.reasons, notice=plan.notice)
    if not plan.reasons:
        plan.save([], {})  # remember new stat stamps of touched-but-unchanged files
        result.seconds = time.perf_counter() - started
        return result
    result.check = check(project, plan.to_check, strict)
    registry = result.check.registry
    if not result.check.ok or registry is None:
        return result
    render_jobs = []
    for checked in result.check.assessments:
        wanted = tuple(f for f in formats if f"{project.key(project.reports_dir)}/{checked.assessment.name}.{f}" in plan.reasons)
        if not wanted:
            continue
        texts = {}
        for path in checked.assessment.cited_sources():
            source, _, _ = result.check.library.get(path)
            assert source is not None  # every citation resolved, or check() would have failed
            texts[path] = source.text
        render_jobs.append(RenderJob(project, checked, registry, texts, wanted))
    rendered = _render_all(render_jobs, jobs, progress)
    _sources_unchanged(result.check, render_jobs)
    outputs = [output for r in rendered for output in r.outputs]
    result.warnings = [w for r in rendered for w in r.warnings]
    entries = plan.index_entries({c.assessment.name: index_entry(c.assessment) for c in result.check.assessments})
    if plan.index_key in plan.reasons:
        from .render import environment, index_html

        outputs.append((project.reports_dir / "index.html", index_html(environment(project), entries).encode("utf-8")))
    for path, data in outputs:
        write_atomic(path, data)
        result.written.append(path)
    plan.save(outputs, {c.assessment.name: c for c in result.check.assessments})
    result.seconds = time.perf_counter() - started
    return result


def _render_all(
    render_jobs: list[RenderJob], jobs: int, progress: Callable[[str, float, int, int], None] | None
) -> list[Rendered]:
    """Render in worker processes (WeasyPrint is CPU-bound and not thread-friendly)."""
    rendered: list[Rendered] = []

    def report(job: RenderJob, seconds: float) -> None:
        if progress:
            progress(job.checked.assessment.name, seconds, len(rendered), len(render_jobs))

    try:
        if jobs > 1 and len(render_jobs) > 1:
            with ProcessPoolExecutor(max_workers=min(jobs, len(render_jobs))) as pool:
                started = {pool.submit(render_briefing, job): (job, time.perf_counter()) for job in render_jobs}
                for future in as_completed(started):
                    job, t0 = started[future]
                    rendered.append(future.result())
                    report(job, time.perf_counter() - t0)
        else:
            for job in render_jobs:
                t0 = time.perf_counter()
                rendered.append(render_briefing(job))
                report(job, time.perf_counter() - t0)
    except BrokenProcessPool as exc:
        raise BuildError(f"a render worker died ({exc}); no report was written") from None
    except (OSError, ValueError, RuntimeError) as exc:  # a rendering library failed on valid input
        raise BuildError(f"rendering failed: {type(exc).__name__}: {exc}; no report was written") from None
    return rendered


def _sources_unchanged(checked: CheckResult, render_jobs: list[RenderJob]) -> None:
    """A source edited while the build ran would make its briefings quote a text that is gone."""
    for path in sorted({p for job in render_jobs for p in job.texts}):
        source, _, _ = checked.library.get(path)
        file = checked.library.project.sources_dir / path
        try:
            now = manifest.sha256_bytes(file.read_bytes())
        except OSError:
            now = ""
        if source is None or now != source.sha256:
            raise BuildError(f"sources/{path} changed while the build was running; nothing was written: run it again")


def index_entry(assessment: Assessment) -> dict[str, Any]:
    """What the index shows of a briefing, kept in the manifest so the index needs no YAML."""
    return {
        "name": assessment.name, "title": assessment.title, "date": assessment.date, "tlp": assessment.tlp,
        "authors": assessment.authors,
        "key_judgments": [{"text": kj.text, "likelihood": kj.likelihood, "confidence": kj.confidence}
                          for kj in assessment.key_judgments],
    }


@dataclass
class BuildPlan:
    """Which outputs are stale and why, from the manifest and file stamps alone."""

    project: Project
    manifest_path: Path
    previous: manifest.Manifest
    fingerprints: manifest.Fingerprints
    common: dict[str, str]  # inputs of every output: registry, config, templates, tool, settings
    inputs: dict[str, dict[str, str]]  # output key -> its current inputs
    reasons: dict[str, list[str]]
    fresh: list[str]
    to_check: list[str]  # assessment names to load and check
    index_key: str
    names: list[str]  # every assessment selected
    registry_digest: str
    registry_entries: dict[str, str]  # source path -> digest of its registry entry
    notice: str = ""

    def _source_inputs(self, paths: Iterable[str]) -> dict[str, str]:
        """A cited source's inputs: its file and its registry entry (grade, title, …)."""
        inputs = {}
        for path in paths:
            inputs[f"sources/{path}"] = self.fingerprints.digest(self.project.key(self.project.sources_dir / path))
            inputs[f"registry:{path}"] = self.registry_entries.get(path, "")
        return inputs

    @classmethod
    def make(cls, project: Project, names: list[str] | None, formats: tuple[str, ...], force: bool) -> "BuildPlan":
        from . import __version__
        from .project import PDF_VARIANT

        manifest_path = project.reports_dir / manifest.FILE_NAME
        previous, notice = manifest.load(manifest_path)
        fp = manifest.Fingerprints(project.root, previous.files)
        common = {
            "<tool>": f"{__version__}:{manifest.tree_digest(Path(__file__).parent)}",
            "<settings>": f"pdf_variant={PDF_VARIANT}",
        }
        for path in [project.root / "threatbrief.toml", *_template_files(project)]:
            common[project.key(path)] = fp.digest(project.key(path))
        registry_digest = fp.digest(project.key(project.registry_file))
        if registry_digest and registry_digest == previous.registry_digest:
            entries = previous.registry_entries
        else:
            entries = _registry_entry_digests(project)
        files = project.assessment_files(names)
        reports = project.key(project.reports_dir)
        plan = cls(project, manifest_path, previous, fp, common, {}, {}, [], [], f"{reports}/index.html",
                   [f.stem for f in files], registry_digest, entries, notice)
        for file in files:
            own = {project.key(file): fp.digest(project.key(file))}
            for fmt in formats:
                key = f"{reports}/{file.stem}.{fmt}"
                record = previous.targets.get(key)
                cited = plan._source_inputs(p.removeprefix("registry:") for p in (record.inputs if record else {})
                                            if p.startswith("registry:"))
                plan._judge(key, {**common, **own, **cited}, force)
            if any(f"{reports}/{file.stem}.{fmt}" in plan.reasons for fmt in formats):
                plan.to_check.append(file.stem)
        if "html" in formats and not names:
            index_inputs = {**common, **{project.key(f): fp.digest(project.key(f)) for f in files}}
            plan._judge(plan.index_key, index_inputs, force)
            for name in plan.names:  # the index needs each briefing's entry; re-read any we lack
                if name not in plan.to_check and not plan._entry(name) and plan.index_key in plan.reasons:
                    plan.to_check.append(name)
        return plan

    def _judge(self, key: str, inputs: dict[str, str], force: bool) -> None:
        self.inputs[key] = inputs
        reasons = ["forced (--force)"] if force else manifest.stale_reasons(
            self.previous.targets.get(key), inputs, self.fingerprints.digest(key))
        if reasons:
            self.reasons[key] = reasons
        else:
            self.fresh.append(key)

    def _entry(self, name: str) -> dict[str, Any] | None:
        for fmt in ("html", "pdf"):
            record = self.previous.targets.get(f"{self.project.key(self.project.reports_dir)}/{name}.{fmt}")
            if record and record.extra.get("index"):
                return record.extra["index"]
        return None

    def index_entries(self, fresh: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        entries = [fresh.get(name) or self._entry(name) for name in self.names]
        return [e for e in entries if e]

    def save(self, outputs: list[tuple[Path, bytes]], checked: dict[str, CheckedAssessment]) -> None:
        """Record what was built, from which inputs; kept consistent with the files on disk."""
        targets = dict(self.previous.targets)
        for path, data in outputs:
            key = self.project.key(path)
            inputs = dict(self.inputs[key])
            extra: dict[str, Any] = {}
            built = checked.get(path.stem)
            if built is not None and key != self.index_key:
                inputs.update(self._source_inputs(built.assessment.cited_sources()))
                extra["index"] = index_entry(built.assessment)
            targets[key] = manifest.Target(inputs, manifest.sha256_bytes(data), extra)
            self.fingerprints.current[key] = _stamp(path, data)
        files = {**self.previous.files, **self.fingerprints.current}
        state = manifest.Manifest(self.common["<tool>"], files, targets, self.registry_digest, self.registry_entries)
        if outputs or files != self.previous.files or state.registry_digest != self.previous.registry_digest:
            write_atomic(self.manifest_path, state.to_json().encode("utf-8"))


def _registry_entry_digests(project: Project) -> dict[str, str]:
    """sha256 of each registry entry; {} when the registry cannot be read (check will say why)."""
    from .yamlfile import load_yaml

    doc, _ = load_yaml(project.registry_file, project.display(project.registry_file))
    entries = doc.data.get("sources") if doc is not None and isinstance(doc.data, dict) else None
    if not isinstance(entries, list):
        return {}
    return {str(e["path"]): manifest.sha256_bytes(json.dumps(e, sort_keys=True, default=str).encode())
            for e in entries if isinstance(e, dict) and "path" in e}


def _stamp(path: Path, data: bytes) -> tuple[int, int, str]:
    stat = path.stat()
    return (stat.st_mtime_ns, stat.st_size, manifest.sha256_bytes(data))


def _template_files(project: Project) -> list[Path]:
    from .project import BUILTIN_TEMPLATES

    found: dict[str, Path] = {}
    for folder in (project.templates_dir, BUILTIN_TEMPLATES):  # the project's own first
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.is_file():
                    found.setdefault(path.name, path)
    return [found[name] for name in sorted(found)]


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
