"""`check`: every problem of the registry, the incident dataset and the assessments, in one run.

The work that depends on one assessment file alone (parse, schema, citations, facts, tradecraft,
cut quotes, judgments, the incidents it lists) is `_check_file`; with `jobs` > 1 it runs in
forked worker processes, which inherit the loaded registry, configuration and dataset. Results
come back in file order and the rules that span files run after, in this process, so the output
is the same whatever `jobs` is.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from threatbrief.check.check_cache import DatasetFindings, FileFindings, ResultsCache, context_digest
from threatbrief.check.suppress import Comment, Suppressed, Suppressions, comments, configured
from threatbrief.config import Config, load_config
from threatbrief.diagnostics import Diagnostic, has_errors
from threatbrief.files import NotReadable, read_regular
from threatbrief.incidents.dataset import Dataset, EventRecord, duplicate_events, event_record
from threatbrief.limits import MAX_DATASET_BYTES, MAX_REGISTRY_BYTES
from threatbrief.model import CheckedAssessment, Registry
from threatbrief.project import RESERVED_NAMES, Project, slug
from threatbrief.sources.library import SourceLibrary, SourceRecord, check_registry, check_uncited
from threatbrief.sources.verify_cache import VerificationCache

if TYPE_CHECKING:
    from threatbrief.check.forked import Forked
    from threatbrief.load.yamlfile import YamlDoc
    from threatbrief.model import Assessment, Located

# The rules themselves (citations, facts, integrity, coverage, tradecraft), the loader and the
# YAML parser are imported where a file is checked: a check whose findings are all reused from
# the results cache needs none of them.

# Below this many assessment files, forking workers costs more than it saves.
MIN_FILES_PER_WORKER = 8
# Below this many assessment files to check again, their quotes are verified without the
# verification cache (verify_cache.VerificationCache.forgo).
FEW_FILES = 8
# From this size on (some 2,000 sources), the registry is parsed in a forked process (forked.py).
FORK_REGISTRY_BYTES = 400_000
# Source text a check process keeps between files when only findings are wanted (characters; a
# source cited again after it was dropped is read again): bounds memory whatever the corpus size.
WORKER_TEXT_CHARS = 16_000_000


@dataclass
class CheckResult:
    registry: Registry | None
    assessments: list[CheckedAssessment]
    diagnostics: list[Diagnostic]
    library: SourceLibrary
    files: int
    verified: int  # citations whose quote was found in its source

    strict: bool = False  # warnings fail the run too (--strict)
    suppressed: list[Suppressed] = field(default_factory=list)  # findings silenced by '# threatbrief: ignore[…]'
    dataset: Dataset = field(default_factory=Dataset)  # incidents/, checked
    reused: int = 0  # assessment files whose findings came from the results cache

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics, self.strict)


@dataclass
class FileResult:
    """Checking one assessment file: its findings, and the checked objects when the caller
    builds from them (a worker sends them only then: they are large)."""

    findings: FileFindings
    checked: CheckedAssessment | None = None  # conforming, and every citation found: may be built
    sources: dict[str, SourceRecord] = field(default_factory=dict)  # what a worker learnt of each source it read
    found: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # a worker's new verification cache entries


@dataclass(frozen=True)
class _Context:
    """What every file's check reads: loaded once, inherited by forked workers."""

    project: Project
    registry: Registry | None
    config: Config
    incidents: _Incidents
    objects: bool  # keep the checked assessments (a build renders them)
    parsed: dict[Path, Any] = field(default_factory=dict)  # files parsed ahead (`_RegistryParse.meanwhile`)


def check(project: Project, names: list[str] | None = None, strict: bool = False, jobs: int = 1, *,
          findings_only: bool = False, cache: bool = True) -> CheckResult:
    """Every problem of the registry, the incident dataset and the assessments (all, or those
    named), in one run; the assessments in `jobs` processes.

    `findings_only`: the caller wants the findings, not the checked assessments (a build renders
    those): the findings of files unchanged since an earlier check are then reused (README,
    "Checking at scale"), and source texts are not kept past their use. `cache=False` neither
    reads nor writes `.threatbrief/cache/check/`: every quote is verified again.
    """
    config, diagnostics = load_config(project)
    cache_dir = project.cache_dir() if cache else None
    results = ResultsCache.for_project(cache_dir) if findings_only and cache_dir else ResultsCache.disabled()
    quotes = VerificationCache.for_project(cache_dir) if cache_dir else VerificationCache.disabled()
    library = SourceLibrary(project, verified=quotes, stamps=results)
    if findings_only:
        library.max_chars = WORKER_TEXT_CHARS
    registry_sha = _registry_sha(project)
    parsing = _RegistryParse(project, results, registry_sha, jobs)
    suppressions = Suppressions()
    files = project.assessment_files(names)
    name_problems = _check_names(files, project)
    results.set_context(_context(project, registry_sha))
    identities = _Identities(library)
    done, pending = _reusable(project, files, results, identities)
    parsed = parsing.meanwhile(project, [file for _, file, _ in pending])
    registry, problems, registry_comments, registry_path = parsing.result()
    diagnostics += problems + name_problems
    incidents = _Incidents(project, registry, library, config, results, identities)
    view = incidents.findings()
    diagnostics += view.diagnostics
    for path, found, complete in view.comments:
        suppressions.add_comments(path, found, complete)
    verified = view.verified
    done = _file_results(_Context(project, registry, config, incidents, not findings_only, parsed), done, pending,
                         library, results, identities, jobs)
    loaded_names: list[str] = []
    cited: set[str] = set(view.cited)
    own_records: list[EventRecord] = list(view.records)
    for summary in (r.findings for r in done):
        diagnostics += summary.diagnostics
        if summary.doc_path:
            suppressions.add_comments(summary.doc_path, summary.comments, summary.complete)
        verified += summary.verified
        loaded_names += [summary.name] if summary.name else []
        cited.update(summary.cited)
        own_records += summary.records
    checked = [r.checked for r in done if r.checked is not None]
    diagnostics += duplicate_events(own_records)
    if names:
        missing = sorted(set(names) - {f.stem for f in files} - set(loaded_names))
        for name in missing:
            diagnostics.append(Diagnostic(f"assessments/{name}.yaml", 1, 1, "Y004",
                                          f"no assessment named {name!r} (assessments/{name}.yaml)"))
    if registry is not None:
        # Checking a subset (an incremental build) verifies the hashes of the sources it cites only.
        diagnostics += check_registry(registry, library, None if names is None else cited)
    everything = names is None and len(loaded_names) == len(files)
    if registry is not None and everything:
        diagnostics += check_uncited(registry, cited)
    # Suppressions first, then the configured levels: a finding is silenced where it stands.
    if registry_path:
        suppressions.add_comments(registry_path, registry_comments, complete=registry is not None and everything)
    diagnostics, suppressed = suppressions.apply(diagnostics)
    if names is None:
        results.forget_others({project.display(f) for f in files})
    library.verified.save()
    results.save()
    return CheckResult(registry, checked, config.apply(diagnostics), library,
                       len(files) + len(project.incident_files()) + 1, verified, strict,
                       configured(suppressed, config), incidents.dataset or Dataset(), results.reused)


def _registry_sha(project: Project) -> str:
    """The registry file's sha256 ('' if it cannot be read, or lies outside the project)."""
    if not project.inside(project.registry_file):
        return ""
    try:
        return hashlib.sha256(read_regular(project.registry_file, MAX_REGISTRY_BYTES)).hexdigest()
    except NotReadable:
        return ""


_Parsed = tuple["Registry | None", list[Diagnostic], list[Comment], str]  # registry, findings, comments, path


class _RegistryParse:
    """The registry: as parsed before when the file is unchanged (the results cache keeps it),
    else parsed, in a forked process when it is large and other cores will check assessments
    (forked.py), while this one parses assessment files (`meanwhile`)."""

    def __init__(self, project: Project, results: ResultsCache, sha: str, jobs: int) -> None:
        self.project, self.results, self.sha = project, results, sha
        self.snapshot = results.parsed_registry(sha) if sha else None
        self.forked: "Forked[_Parsed] | None" = None
        if self.snapshot is None and jobs > 1 and _size(project.registry_file) >= FORK_REGISTRY_BYTES:
            from threatbrief.check.forked import Forked, can_fork

            if can_fork():
                self.forked = Forked(lambda: _parse_registry(project))

    def meanwhile(self, project: Project, files: list[Path]) -> dict[Path, Any]:
        """Parse assessment files until the forked parse is done: each as `load_assessment` gives it."""
        parsed: dict[Path, Any] = {}
        if self.forked is None:
            return parsed
        from threatbrief.load.loader import load_assessment

        for file in files:
            if self.forked.ready():
                break
            parsed[file] = load_assessment(file, project)
        return parsed

    def result(self) -> _Parsed:
        display = self.project.display(self.project.registry_file)
        if self.snapshot is not None:
            registry, problems, found = self.snapshot
            return registry, problems, found, display
        parsed = self.forked.result() if self.forked is not None else _parse_registry(self.project)
        registry, problems, found, _ = parsed
        if registry is not None and self.sha:
            self.results.remember_registry(self.sha, registry, problems, found)
        return parsed


def _parse_registry(project: Project) -> _Parsed:
    from threatbrief.load import placeholders
    from threatbrief.load.loader import load_registry

    registry, doc, problems = load_registry(project)
    problems = placeholders.in_registry(doc, problems)
    found = comments(doc.path, doc.lines) if doc is not None and Suppressions.marked(doc.lines) else []
    return registry, problems, found, doc.path if doc is not None else ""


def _size(file: Path) -> int:
    try:
        return os.stat(file).st_size
    except OSError:
        return 0


def _context(project: Project, registry_sha: str) -> str:
    """What every file's findings depend on besides the file and the sources it cites: the
    registry, the configuration and incidents/ (the sources those cite are checked apart)."""
    from threatbrief.project import CONFIG_FILE

    parts: list[bytes | str] = [registry_sha, repr(project.allowed_outside)]
    for path in [project.root / CONFIG_FILE, *project.incident_files()]:
        try:
            parts += [project.display(path), hashlib.sha256(read_regular(path, MAX_DATASET_BYTES)).hexdigest()]
        except NotReadable:
            parts += [project.display(path), ""]
    return context_digest(*parts)


class _Incidents:
    """incidents/: its findings (reused when nothing changed), and the dataset itself, loaded
    only when an assessment is checked again (it resolves the incidents it lists)."""

    def __init__(self, project: Project, registry: Registry | None, library: SourceLibrary, config: Config,
                 results: ResultsCache, identities: "_Identities") -> None:
        self.project, self.registry, self.library, self.config = project, registry, library, config
        self.results, self.identities = results, identities
        self.dataset: Dataset | None = None

    def findings(self) -> DatasetFindings:
        found = self.results.dataset_findings(self.identities)
        if found is None:
            found = self.load()
            self.results.remember_dataset(found, {path: self.identities.get(path) for path in found.cited})
        return found

    def load(self) -> DatasetFindings:
        """Check every file of incidents/ (once a run), keeping the dataset."""
        self.dataset, found = _check_dataset(self.project, self.registry, self.library, self.config)
        return found

    def loaded(self) -> Dataset:
        if self.dataset is None:
            self.load()
        assert self.dataset is not None
        return self.dataset


def _reusable(project: Project, files: list[Path], results: ResultsCache, identities: "_Identities"
              ) -> tuple[list[FileResult | None], list[tuple[int, Path, str]]]:
    """Each file's findings where an earlier check's can be reused (else None), and the files to
    check again: (index, file, sha256)."""
    done: list[FileResult | None] = []
    pending: list[tuple[int, Path, str]] = []
    for file in files:
        display, sha = project.display(file), _sha_of(file) if results.folder is not None else ""
        reused = results.findings(display, sha, identities) if sha else None
        if reused is None:
            pending.append((len(done), file, sha))
        done.append(FileResult(reused) if reused else None)
    return done, pending


def _file_results(context: _Context, done: list[FileResult | None], pending: list[tuple[int, Path, str]],
                  library: SourceLibrary, results: ResultsCache, identities: "_Identities", jobs: int
                  ) -> list[FileResult]:
    """Each file's result, in file order: its findings reused where nothing it read changed, else checked."""
    if len(pending) < FEW_FILES:
        library.verified.forgo()
    if pending:
        context.incidents.loaded()  # before forking: workers inherit it
    fresh = _check_files(context, [file for _, file, _ in pending], library, jobs)
    for (index, file, sha), result in zip(pending, fresh):
        done[index] = result
        library.learn(result.sources)
        if sha:
            sources = {path: identities.get(path) for path in result.findings.cited}
            results.remember_findings(context.project.display(file), sha, sources, result.findings)
    return [r for r in done if r is not None]


class _Identities:
    """Each source's identity now (see SourceText.identity), worked out once, on demand."""

    def __init__(self, library: SourceLibrary) -> None:
        self.library = library
        self.known: dict[str, str] | None = None

    def get(self, path: str) -> str:
        if self.known is None:
            self.known = self.library.known_identities()  # most of them, in one pass
        if path not in self.known:
            self.known[path] = self.library.identity(path)
        return self.known[path]


def _sha_of(file: Path) -> str:
    from threatbrief.limits import MAX_ASSESSMENT_BYTES

    try:
        return hashlib.sha256(read_regular(file, MAX_ASSESSMENT_BYTES)).hexdigest()
    except NotReadable:
        return ""


def _check_files(context: _Context, files: list[Path], library: SourceLibrary, jobs: int) -> list[FileResult]:
    """Each file's result, in file order: here, or in `jobs` forked workers for many files."""
    workers = min(jobs, len(files) // MIN_FILES_PER_WORKER)
    if workers < 2 or "fork" not in _start_methods():
        return [_check_file(context, file, library) for file in files]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from threatbrief.atomic import BuildError

    global _WORKER  # noqa: PLW0603 - set before forking: each worker inherits its own copy
    _WORKER = (context, library.verified)
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            results = list(pool.map(_worker_check, files, chunksize=max(1, len(files) // (workers * 8))))
    except BrokenProcessPool as exc:
        raise BuildError(f"a check worker died ({exc}); nothing was decided") from None
    finally:
        _WORKER = None
    for result in results:
        library.verified.merge(result.found)
    return results


_WORKER: tuple[_Context, VerificationCache] | None = None


def _worker_check(file: Path) -> FileResult:
    """In a worker: one file, with this process's own source library (texts read once per worker)."""
    global _LIBRARY  # noqa: PLW0603 - one per worker process
    assert _WORKER is not None
    context, verified = _WORKER
    if _LIBRARY is None or _LIBRARY.project is not context.project:
        _LIBRARY = SourceLibrary(context.project, verified=verified)
        _LIBRARY.max_chars = WORKER_TEXT_CHARS
    result = _check_file(context, file, _LIBRARY)
    result.sources = _LIBRARY.take_records()
    result.found = verified.take_new()
    return result


_LIBRARY: SourceLibrary | None = None


def _start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods() if os.name == "posix" else []


def _check_file(context: _Context, file: Path, library: SourceLibrary) -> FileResult:
    """Every rule that reads this one assessment file."""
    from threatbrief.incidents.dataset import resolve
    from threatbrief.load import placeholders
    from threatbrief.load.loader import load_assessment, salvage_assessment

    assessment, doc, problems = context.parsed.get(file) or load_assessment(file, context.project)
    found = FileFindings(placeholders.in_assessment(doc, problems))
    result = FileResult(found)
    if doc is not None:
        found.doc_path, found.complete = doc.path, assessment is not None
        found.comments = comments(doc.path, doc.lines) if Suppressions.marked(doc.lines) else []
    # Collect, then fail once: a schema error does not hide the problems of the other parts.
    partial = salvage_assessment(file, doc) if assessment is None and doc is not None else None
    subject = assessment or (partial.assessment if partial else None)
    if subject is None or doc is None:
        return result
    problems, locations = _check_document(subject, doc, context.registry, library, context.config)
    found.verified = len(locations)
    subject, locations, unknown = resolve(subject, locations, context.incidents.loaded(), context.registry)
    problems += unknown
    found.diagnostics += partial.keep(problems) if partial else problems
    found.cited = sorted({c.source for c in subject.citations})
    if partial:
        found.salvaged = True  # never built: its schema errors stand
        return result
    found.name = subject.name
    found.records = [event_record(incident, doc.path, doc.mark(incident.yaml_path + ("id",)))
                     for incident in subject.incidents if incident.file == subject.path]
    if context.objects and len(locations) == len(subject.citations) and not unknown:
        result.checked = CheckedAssessment(subject, locations)
    return result


def _check_document(subject: Assessment, doc: YamlDoc, registry: Registry | None, library: SourceLibrary,
                    config: Config) -> tuple[list[Diagnostic], dict[int, Located]]:
    """Every rule on one assessment, or one file of incidents: citations, facts, coverage,
    tradecraft, cut quotes, judgments; placeholders quiet what they make meaningless."""
    from threatbrief.check.citations import check_assessment
    from threatbrief.check.conventions import check_tradecraft
    from threatbrief.check.coverage import check_coverage
    from threatbrief.check.facts import check_facts
    from threatbrief.check.integrity import check_judgments, check_quote_cuts
    from threatbrief.load import placeholders

    problems, locations = check_assessment(subject, doc, registry, library)
    problems += check_facts(subject, doc) + check_coverage(subject, doc, registry)
    problems += check_tradecraft(subject, doc, registry)
    problems += check_quote_cuts(subject, locations, lambda path: library.get(path)[0])
    problems += check_judgments(subject, doc, registry, config.judgments)
    return placeholders.quiet(problems, subject, doc), locations


def _check_dataset(project: Project, registry: Registry | None, library: SourceLibrary,
                   config: Config) -> tuple[Dataset, DatasetFindings]:
    """Each file of incidents/ loaded and checked once, whichever assessments are checked."""
    from threatbrief.incidents.dataset import repeated_ids
    from threatbrief.load import placeholders
    from threatbrief.load.loader import load_incidents

    dataset, found = Dataset(), DatasetFindings()
    for file in project.incident_files():
        subject, doc, problems = load_incidents(file, project)
        found.diagnostics += placeholders.in_assessment(doc, problems)
        if doc is not None:
            found.comments.append((doc.path, comments(doc.path, doc.lines) if Suppressions.marked(doc.lines) else [],
                                   subject is not None))
        if subject is None or doc is None:
            dataset.complete = False
            continue
        problems, locations = _check_document(subject, doc, registry, library, config)
        found.diagnostics += problems
        found.verified += len(locations)
        dataset.files.append(subject)
        dataset.docs[subject.path] = doc
        dataset.located.update({(subject.path, number): where for number, where in locations.items()})
        dataset.complete &= len(locations) == len(subject.citations)
    found.diagnostics += repeated_ids(dataset)
    found.records = [event_record(incident, dataset.docs[incident.file].path,
                                  dataset.docs[incident.file].mark(incident.yaml_path + ("id",)))
                     for f in dataset.files for incident in f.incidents]
    found.cited = sorted({c.source for f in dataset.files for c in f.citations})
    found.complete = dataset.complete
    return dataset, found


def _check_names(files: list[Path], project: Project) -> list[Diagnostic]:
    """Output names (slugs) must be non-empty, not reserved, and one per assessment.

    The name becomes reports/<name>.html and a link in the index, so it is derived from the
    file name by `project.slug`, never used raw.
    """
    everyone: dict[str, list[Path]] = {}
    for file in project.assessment_files():
        everyone.setdefault(slug(file.stem), []).append(file)
    problems = []
    for file in files:
        name, display = slug(file.stem), project.display(file)
        if not name:
            problems.append(Diagnostic(display, 1, 1, "A002", f"{file.name!r} gives no usable output name",
                                       "name the file with letters or digits, e.g. 'kabul-2025.yaml'"))
        elif name in RESERVED_NAMES:
            problems.append(Diagnostic(display, 1, 1, "A002",
                                       f"the output name {name!r} is reserved (reports/{name}.html is the tool's own)",
                                       "rename the file"))
        elif len(everyone.get(name, [])) > 1:
            others = ", ".join(project.display(f) for f in everyone[name] if f != file)
            problems.append(Diagnostic(display, 1, 1, "A002",
                                       f"output name {name!r} (reports/{name}.html) is also the name of {others}",
                                       "rename one of the files: names that differ only in case or punctuation collide"))
    return problems
