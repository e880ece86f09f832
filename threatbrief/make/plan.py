"""Which outputs are stale and why: the make-style half of the build, from the manifest alone.

Nothing here parses an assessment unless its inputs changed, and nothing imports the renderers,
so a build with nothing to do costs a manifest read and one stat per input.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from threatbrief.atomic import write_atomic
from threatbrief.make import manifest
from threatbrief.project import Project, slug

if TYPE_CHECKING:  # the model's dataclasses are needed only once an assessment is read
    from threatbrief.model import Assessment, CheckedAssessment

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# What a full build makes of incidents/ (README, "Incidents"), in reports/
DATASET_OUTPUTS = ("overview.html", "overview.pdf", "incidents.csv", "incidents.json", "threatbrief.stix.json")
_CONFIDENCE = ("low", "moderate", "high")


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
    names: list[str]  # every assessment of the project: the index lists each one that is built
    registry_digest: str
    registry_entries: dict[str, str]  # source path -> digest of its registry entry
    notice: str = ""
    index_files: dict[str, str] = field(default_factory=dict)  # every assessment file -> digest
    index_pending: bool = False  # the index depends on entries known only once stale briefings are read
    index_shown: list[dict[str, Any]] = field(default_factory=list)  # what the index shows, once judged
    dataset_keys: list[str] = field(default_factory=list)  # overview and exports this build judged
    dataset_sources: list[str] = field(default_factory=list)  # sources the dataset cites, once checked

    def _source_inputs(self, paths: Iterable[str]) -> dict[str, str]:
        """A cited source's inputs: its file and its registry entry (grade, title, …).

        Paths come from the manifest (untrusted) or from checked citations; one that could leave
        the project is dropped, which makes the output stale ("no longer an input").
        """
        inputs = {}
        for path in paths:
            if not manifest.safe_key(f"sources/{path}"):
                continue
            inputs[f"sources/{path}"] = self.fingerprints.digest(f"sources/{path}")
            inputs[f"registry:{path}"] = self.registry_entries.get(path, "")
        return inputs

    def _incident_inputs(self, keys: Iterable[str]) -> dict[str, str]:
        """The files of incidents/ whose incidents a briefing lists (from the manifest, or from
        the checked assessment); a key that could leave the project is dropped."""
        return {key: self.fingerprints.digest(key) for key in keys if manifest.safe_key(key)}

    @classmethod
    def make(cls, project: Project, names: list[str] | None, formats: tuple[str, ...], force: bool,
             dataset: tuple[str, ...] | None = None) -> "BuildPlan":
        """`dataset`: which of DATASET_OUTPUTS to judge (default: those of `formats` and the exports
        when every assessment is built, none when `names` picks some)."""
        from threatbrief import __version__
        from threatbrief.files import code_digest
        from threatbrief.project import CONFIG_FILE, PDF_VARIANT

        manifest_path = project.output_dir() / manifest.FILE_NAME  # refuses a symlinked reports/
        previous, notice = manifest.load(manifest_path)
        fp = manifest.Fingerprints(project, previous.files)
        common = {
            "<tool>": f"{__version__}:{code_digest()}",
            "<settings>": f"pdf_variant={PDF_VARIANT}",
        }
        for path in [project.root / CONFIG_FILE, *_template_files(project)]:
            common[project.key(path)] = fp.digest(project.key(path))
        registry_digest = fp.digest(project.key(project.registry_file))
        if registry_digest and registry_digest == previous.registry_digest:
            entries = previous.registry_entries
        else:
            entries = _registry_entry_digests(project)
        files = project.assessment_files(names)
        everyone = project.assessment_files() if names is not None else files
        reports = project.key(project.reports_dir)
        plan = cls(project, manifest_path, previous, fp, common, {}, {}, [], [], f"{reports}/index.html",
                   list(dict.fromkeys(slug(f.stem) for f in everyone)), registry_digest, entries, notice)
        for file in files:
            name = slug(file.stem)
            own = {project.key(file): fp.digest(project.key(file))}
            for fmt in formats:
                key = f"{reports}/{name}.{fmt}"
                record = previous.targets.get(key)
                recorded = record.inputs if record else {}
                cited = plan._source_inputs(p.removeprefix("registry:") for p in recorded if p.startswith("registry:"))
                listed = plan._incident_inputs(p for p in recorded if p.startswith("incidents/"))
                plan._judge(key, {**common, **own, **cited, **listed}, force)
            if any(f"{reports}/{name}.{fmt}" in plan.reasons for fmt in formats):
                plan.to_check.append(file.stem)
        wanted = dataset if dataset is not None else DATASET_OUTPUTS if names is None else ()
        if wanted:
            plan._judge_dataset(formats, force, wanted)
        # A build of every assessment's HTML writes the index; any other build refreshes the index
        # a previous build wrote, so that it never shows what a briefing no longer says.
        if ("html" in formats and names is None) or plan.index_key in previous.targets:
            for file in files:  # built, but its index entry is unknown (or malformed): read it again
                name = slug(file.stem)
                if file.stem not in plan.to_check and plan._entry(name) is None and any(
                        f"{reports}/{name}.{fmt}" in previous.targets for fmt in ("html", "pdf")):
                    plan.to_check.append(file.stem)
            plan.index_files = {project.key(f): fp.digest(project.key(f)) for f in everyone}
            plan.index_pending = bool(plan.to_check)
            if not plan.index_pending:
                plan.judge_index({}, [], force)
        return plan

    def _judge_dataset(self, formats: tuple[str, ...], force: bool, wanted: tuple[str, ...]) -> None:
        """The overview and the exports, built by a full build from incidents/ and the registry
        alone (the STIX bundle also holds a report per assessment, so every assessment file is an
        input of it). When the bundle is stale, every assessment is checked: it needs them all."""
        incident_files = self.project.incident_files()
        reports = self.project.key(self.project.reports_dir)
        targets = [f"{reports}/{name}" for name in DATASET_OUTPUTS
                   if name in wanted and (not name.startswith("overview.") or name.rsplit(".", 1)[1] in formats)]
        if not incident_files and not any(key in self.previous.targets for key in targets):
            return  # a project without a dataset: nothing to build
        files = {self.project.key(f): self.fingerprints.digest(self.project.key(f)) for f in incident_files}
        assessments = {self.project.key(f): self.fingerprints.digest(self.project.key(f))
                       for f in self.project.assessment_files()}
        for key in targets:
            record = self.previous.targets.get(key)
            recorded = record.inputs if record else {}
            cited = self._source_inputs(p.removeprefix("registry:") for p in recorded if p.startswith("registry:"))
            inputs = {**self.common, **files, **cited, **(assessments if key.endswith(".stix.json") else {})}
            self._judge(key, inputs, force)
            self.dataset_keys.append(key)
        if any(key in self.reasons for key in self.dataset_keys if key.endswith(".stix.json")):
            self.to_check[:] = list(dict.fromkeys(self.to_check + [f.stem for f in self.project.assessment_files()]))

    def judge_index(self, fresh: dict[str, dict[str, Any]], written: list[str], force: bool) -> bool:
        """Whether reports/index.html must be written, from what it would show: each built
        briefing's entry (`fresh` for those read in this run, else as the last build recorded it)
        and the formats built (`written`: outputs of this run). Its inputs are what it shows, the
        assessment files and everything common to all outputs; a briefing never built is not listed.
        """
        reports = self.project.key(self.project.reports_dir)
        built = set(self.previous.targets) | set(written)
        shown = []
        for name in self.names:
            entry = fresh.get(name) or self._entry(name)
            formats = [fmt for fmt in ("html", "pdf") if f"{reports}/{name}.{fmt}" in built]
            if entry is not None and formats:
                shown.append({**entry, "formats": formats})
        inputs = {**self.common, **self.index_files,
                  "<dataset>": manifest.sha256_bytes(",".join(self.dataset_built(written)).encode())}
        inputs.update({f"briefing:{e['name']}": manifest.sha256_bytes(json.dumps(e, sort_keys=True).encode())
                       for e in shown})
        self._judge(self.index_key, inputs, force)
        self.index_shown = shown
        return self.index_key in self.reasons

    def dataset_built(self, written: list[str] = ()) -> tuple[str, ...]:  # type: ignore[assignment]
        """The overview and exports that exist after this build (file names), for the index's links."""
        reports = self.project.key(self.project.reports_dir)
        built = set(self.previous.targets) | set(written) | set(self.dataset_keys)
        return tuple(name for name in DATASET_OUTPUTS if f"{reports}/{name}" in built)

    def _judge(self, key: str, inputs: dict[str, str], force: bool) -> None:
        self.inputs[key] = inputs
        reasons = ["forced (--force)"] if force else manifest.stale_reasons(
            self.previous.targets.get(key), inputs, self.fingerprints.digest(key))
        if reasons:
            self.reasons[key] = reasons
        else:
            self.fresh.append(key)

    def _entry(self, name: str) -> dict[str, Any] | None:
        """The briefing's index entry as the last build recorded it, if it is well formed: the one
        the index shows, else the one recorded with its HTML or PDF.

        The manifest is untrusted: an entry is used only when every field has the shape a
        checked assessment gives it, and its name is the briefing's own; otherwise the
        assessment is read and checked again.
        """
        index = self.previous.targets.get(self.index_key)
        shown = index.extra.get("entries") if index else None
        if isinstance(shown, dict) and valid_index_entry(shown.get(name), name):
            return shown[name]
        for fmt in ("html", "pdf"):
            record = self.previous.targets.get(f"{self.project.key(self.project.reports_dir)}/{name}.{fmt}")
            if record and valid_index_entry(record.extra.get("index"), name):
                return record.extra["index"]
        return None

    def save(self, outputs: list[tuple[Path, bytes]], checked: dict[str, CheckedAssessment]) -> None:
        """Record what was built, from which inputs; kept consistent with the files on disk."""
        targets = dict(self.previous.targets)
        for path, data in outputs:
            key = self.project.key(path)
            inputs = dict(self.inputs[key])
            extra: dict[str, Any] = {}
            built = checked.get(path.stem)
            if key == self.index_key:
                extra["entries"] = {e["name"]: {k: v for k, v in e.items() if k != "formats"} for e in self.index_shown}
            elif key in self.dataset_keys:
                inputs.update(self._source_inputs(self.dataset_sources))
            elif built is not None:
                inputs.update(self._source_inputs(built.assessment.cited_sources()))
                inputs.update(self._incident_inputs(built.assessment.incident_files))
                extra["index"] = index_entry(built.assessment)
            targets[key] = manifest.Target(inputs, manifest.sha256_bytes(data), extra)
            self.fingerprints.current[key] = _stamp(path, data)
        files = {**self.previous.files, **self.fingerprints.current}
        state = manifest.Manifest(self.common["<tool>"], files, targets, self.registry_digest, self.registry_entries)
        if outputs or files != self.previous.files or state.registry_digest != self.previous.registry_digest:
            write_atomic(self.manifest_path, state.to_json().encode("utf-8"))


def valid_index_entry(entry: Any, name: str) -> bool:
    """Whether a recorded index entry looks exactly like one `index_entry` makes for `name`."""
    from threatbrief.tradecraft import BAND_OF_TERM, TLP_ORDER

    def text(value: Any) -> bool:
        return isinstance(value, str) and len(value) <= 100_000

    if not isinstance(entry, dict) or set(entry) != {"name", "title", "date", "tlp", "authors", "key_judgments"}:
        return False
    judgments = entry["key_judgments"]
    return (
        entry["name"] == name and text(entry["title"]) and isinstance(entry["date"], str)
        and bool(_DAY.fullmatch(entry["date"])) and entry["tlp"] in TLP_ORDER
        and isinstance(entry["authors"], list) and all(text(a) for a in entry["authors"])
        and isinstance(judgments, list)
        and all(isinstance(kj, dict) and set(kj) == {"text", "likelihood", "confidence"} and text(kj["text"])
                and kj["likelihood"] in BAND_OF_TERM and kj["confidence"] in _CONFIDENCE for kj in judgments)
    )


def _registry_entry_digests(project: Project) -> dict[str, str]:
    """sha256 of each registry entry; {} when the registry cannot be read (check will say why)."""
    from threatbrief.load.yamlfile import load_yaml

    doc, _ = load_yaml(project.registry_file, project.display(project.registry_file))
    entries = doc.data.get("sources") if doc is not None and isinstance(doc.data, dict) else None
    if not isinstance(entries, list):
        return {}
    from threatbrief.project import canonical_source_path

    return {canonical_source_path(str(e["path"])): manifest.sha256_bytes(json.dumps(e, sort_keys=True, default=str).encode())
            for e in entries if isinstance(e, dict) and "path" in e}


def _stamp(path: Path, data: bytes) -> tuple[int, int, str]:
    stat = path.stat()
    return (stat.st_mtime_ns, stat.st_size, manifest.sha256_bytes(data))


def _template_files(project: Project) -> list[Path]:
    """The project's own templates (the built-in ones are part of the tool's digest)."""
    folder = project.templates_dir
    if not folder.is_dir() or folder.is_symlink():
        return []
    return sorted(path for path in folder.iterdir() if path.is_file() or path.is_symlink())
