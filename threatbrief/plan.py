"""Which outputs are stale and why: the make-style half of the build, from the manifest alone.

Nothing here parses an assessment unless its inputs changed, and nothing imports the renderers,
so a build with nothing to do costs a manifest read and one stat per input.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from . import manifest
from .atomic import write_atomic
from .model import Assessment, CheckedAssessment
from .project import Project, slug

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
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
    names: list[str]  # every assessment selected
    registry_digest: str
    registry_entries: dict[str, str]  # source path -> digest of its registry entry
    notice: str = ""

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

    @classmethod
    def make(cls, project: Project, names: list[str] | None, formats: tuple[str, ...], force: bool) -> "BuildPlan":
        from . import __version__
        from .project import CONFIG_FILE, PDF_VARIANT

        manifest_path = project.output_dir() / manifest.FILE_NAME  # refuses a symlinked reports/
        previous, notice = manifest.load(manifest_path)
        fp = manifest.Fingerprints(project, previous.files)
        common = {
            "<tool>": f"{__version__}:{manifest.tree_digest(Path(__file__).parent)}",
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
        reports = project.key(project.reports_dir)
        plan = cls(project, manifest_path, previous, fp, common, {}, {}, [], [], f"{reports}/index.html",
                   [slug(f.stem) for f in files], registry_digest, entries, notice)
        for file in files:
            name = slug(file.stem)
            own = {project.key(file): fp.digest(project.key(file))}
            for fmt in formats:
                key = f"{reports}/{name}.{fmt}"
                record = previous.targets.get(key)
                cited = plan._source_inputs(p.removeprefix("registry:") for p in (record.inputs if record else {})
                                            if p.startswith("registry:"))
                plan._judge(key, {**common, **own, **cited}, force)
            if any(f"{reports}/{name}.{fmt}" in plan.reasons for fmt in formats):
                plan.to_check.append(file.stem)
        if "html" in formats and not names:
            index_inputs = {**common, **{project.key(f): fp.digest(project.key(f)) for f in files}}
            plan._judge(plan.index_key, index_inputs, force)
            for file in files:  # the index needs each briefing's entry; re-read any we lack
                if file.stem not in plan.to_check and not plan._entry(slug(file.stem)) and plan.index_key in plan.reasons:
                    plan.to_check.append(file.stem)
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
        """The briefing's index entry as the last build recorded it, if it is well formed.

        The manifest is untrusted: an entry is used only when every field has the shape a
        checked assessment gives it, and its name is the briefing's own; otherwise the
        assessment is read and checked again.
        """
        for fmt in ("html", "pdf"):
            record = self.previous.targets.get(f"{self.project.key(self.project.reports_dir)}/{name}.{fmt}")
            if record and valid_index_entry(record.extra.get("index"), name):
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


def valid_index_entry(entry: Any, name: str) -> bool:
    """Whether a recorded index entry looks exactly like one `index_entry` makes for `name`."""
    from .tradecraft import BAND_OF_TERM, TLP_ORDER

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
    from .yamlfile import load_yaml

    doc, _ = load_yaml(project.registry_file, project.display(project.registry_file))
    entries = doc.data.get("sources") if doc is not None and isinstance(doc.data, dict) else None
    if not isinstance(entries, list):
        return {}
    from .project import canonical_source_path

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
