"""The results cache: what `check` found in each assessment file, reused while nothing it read
changed, so that re-checking a large corpus after one edit checks that one file.

Three signed files in `.threatbrief/cache/check/` (see verify_cache.py for why they are signed,
and by which key), made void by any change to this tool's code, each written only when what it
holds changed (an edit to one assessment rewrites the first only):

- results.json: each assessment file's findings, by its sha256, valid only in the same context
  (the same configuration, registry and incidents/) and while every source it cites has the
  identity it had; and incidents/'s findings. Findings that depend on other files than these are
  never kept: a missing quote (C001: its hint searches every source) and a missing source (S002:
  its hint lists sources/);
- registry.json: the registry as parsed, by the registry file's sha256;
- stamps.json: each source's stamp (inode, size, mtime and ctime, as make and doit judge a file)
  with its sha256: the registry's integrity check (S004) hashes only the sources whose stamp
  moved (ctime cannot be set back by a user, so an edited file with its mtime restored still moves).
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from threatbrief.check.suppress import Comment
from threatbrief.diagnostics import Diagnostic, Severity
from threatbrief.files import Stamp, code_digest
from threatbrief.incidents.dataset import EventRecord
from threatbrief.model import Registry, Source
from threatbrief.sources.verify_cache import read_signed, write_signed

FILE_NAME = "results.json"
REGISTRY_FILE = "registry.json"
STAMPS_FILE = "stamps.json"
_SOURCE_FIELDS = tuple(f.name for f in fields(Source))  # `asdict` copies deeply: 50 times slower here
_NOT_KEPT = frozenset({"C001", "S002"})

@lru_cache(maxsize=1)
def tool_version() -> str:
    """This tool's code, schemas and templates, and the Python running it: a change voids the file."""
    from threatbrief import __version__

    return f"{__version__}:{code_digest()}:{sys.version_info[:3]}"


@dataclass
class FileFindings:
    """What checking one assessment file found, as the run needs it: what a worker sends back
    and the results cache keeps."""

    diagnostics: list[Diagnostic]
    comments: list[Comment] = field(default_factory=list)  # its `# threatbrief:` comments
    doc_path: str = ""  # '' when the file could not be parsed
    complete: bool = False  # every rule ran on it (unused suppressions are then reported)
    verified: int = 0
    name: str = ""  # the assessment's name when it loaded (conforming), else ''
    cited: list[str] = field(default_factory=list)  # the sources its citations name (S006, the registry check)
    records: list[EventRecord] = field(default_factory=list)  # its own incident records, for A004
    salvaged: bool = False


@dataclass
class DatasetFindings:
    """What checking incidents/ found, as the run needs it when no assessment is checked again."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    comments: list[tuple[str, list[Comment], bool]] = field(default_factory=list)  # per file: path, comments, complete
    verified: int = 0
    records: list[EventRecord] = field(default_factory=list)  # every incident, for A004
    cited: list[str] = field(default_factory=list)
    complete: bool = True


@dataclass
class ResultsCache:
    """Findings, registry and source stamps from earlier checks; `disabled()` remembers nothing."""

    folder: Path | None
    key: bytes
    context: str = ""
    stamps: dict[str, list[Any]] = field(default_factory=dict)  # source path -> [*stamp, sha256]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    registry: dict[str, Any] | None = None
    dataset: dict[str, Any] | None = None  # incidents/'s findings, in `context`
    changed: set[str] = field(default_factory=set)  # the files to write again
    reused: int = 0  # files whose findings were reused this run

    @classmethod
    def for_project(cls, cache_dir: Path | None) -> "ResultsCache":
        from threatbrief.signing import signing_key

        key = signing_key() if cache_dir else None
        cache = cls(cache_dir / "check" if cache_dir and key else None, key or b"")
        cache._load()
        return cache

    @classmethod
    def disabled(cls) -> "ResultsCache":
        return cls(None, b"")

    def _load(self) -> None:
        data = self._read(FILE_NAME)
        files, dataset, context = (data.get(k) for k in ("files", "dataset", "context"))
        self.files = files if isinstance(files, dict) else {}
        self.dataset = dataset if isinstance(dataset, dict) else None
        self.context = context if isinstance(context, str) else ""
        stamps = self._read(STAMPS_FILE).get("stamps")
        self.stamps = stamps if isinstance(stamps, dict) else {}
        registry = self._read(REGISTRY_FILE).get("registry")
        self.registry = registry if isinstance(registry, dict) else None

    def _read(self, name: str) -> dict[str, Any]:
        data = read_signed(self.folder, name, self.key, tool_version())
        return data if isinstance(data, dict) else {}

    def save(self) -> None:
        if self.folder is None:
            return
        payloads = {FILE_NAME: lambda: {"context": self.context, "files": self.files, "dataset": self.dataset},
                    STAMPS_FILE: lambda: {"stamps": self.stamps}, REGISTRY_FILE: lambda: {"registry": self.registry}}
        for name in sorted(self.changed):
            write_signed(self.folder, name, self.key, tool_version(), payloads[name]())
        self.changed = set()

    # Sources ---------------------------------------------------------------------------------

    def sha_if_unchanged(self, relative: str, stamp: Stamp) -> str | None:
        entry = self.stamps.get(relative)
        if self.folder is None or not isinstance(entry, list) or len(entry) != 5 or tuple(entry[:4]) != stamp:
            return None
        return entry[4] if isinstance(entry[4], str) else None

    def remember_source(self, relative: str, stamp: Stamp, sha256: str) -> None:
        if self.folder is not None and self.stamps.get(relative) != [*stamp, sha256]:
            self.stamps[relative] = [*stamp, sha256]
            self.changed.add(STAMPS_FILE)

    # The registry ----------------------------------------------------------------------------

    def parsed_registry(self, sha256: str) -> tuple[Registry, list[Diagnostic], list[Comment]] | None:
        """The registry parsed from a file with this content, with its findings and comments."""
        snapshot = self.registry
        if self.folder is None or not snapshot or snapshot.get("sha256") != sha256:
            return None
        try:
            sources = {}
            path, mark, relays = (_SOURCE_FIELDS.index(name) for name in ("path", "mark", "relays"))
            for row in snapshot["sources"]:
                if len(row) != len(_SOURCE_FIELDS):
                    return None
                row[mark], row[relays] = tuple(row[mark]), tuple(row[relays])
                sources[row[path]] = Source(*row)
            registry = Registry(snapshot["path"], sources)
            return registry, _diagnostics(snapshot["diagnostics"]), _comments(snapshot["comments"])
        except (KeyError, TypeError, ValueError):
            return None

    def remember_registry(self, sha256: str, registry: Registry, diagnostics: list[Diagnostic],
                          comments: list[Comment]) -> None:
        if self.folder is None:
            return
        self.registry = {"sha256": sha256, "path": registry.path,
                         "sources": [[getattr(source, name) for name in _SOURCE_FIELDS]  # a row, in field order
                                     for source in registry.sources.values()],
                         "diagnostics": [_diagnostic_fields(d) for d in diagnostics],
                         "comments": [asdict(c) for c in comments]}
        self.changed.add(REGISTRY_FILE)

    # Assessment files ------------------------------------------------------------------------

    def set_context(self, context: str) -> None:
        """Findings made in another context (configuration, registry, incidents/) are dropped."""
        if context != self.context:
            self.context, self.files, self.dataset = context, {}, None
            self.changed.add(FILE_NAME)

    def findings(self, display: str, sha256: str, identities: dict[str, str]) -> FileFindings | None:
        """The file's findings if its content and every source it cites are as when they were made;
        `identities` is filled, on demand, with each source's current identity."""
        entry = self.files.get(display)
        if self.folder is None or not isinstance(entry, dict) or entry.get("sha256") != sha256:
            return None
        try:
            r = entry["result"]
            if entry["sources"] != _sources_digest((path, identities.get(path)) for path in r["cited"]):
                return None
            cached = FileFindings(_diagnostics(r["diagnostics"]), _comments(r["comments"]), r["doc_path"],
                                bool(r["complete"]), int(r["verified"]), r["name"], list(r["cited"]),
                                [EventRecord(tuple(k) if k is not None else None, *rest) for k, *rest in r["records"]],
                                bool(r["salvaged"]))
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        self.reused += 1
        return cached

    def remember_findings(self, display: str, sha256: str, sources: dict[str, str], cached: FileFindings) -> None:
        if self.folder is None or any(d.code in _NOT_KEPT for d in cached.diagnostics):
            return
        self.files[display] = {"sha256": sha256, "sources": _sources_digest(sources.items()), "result": {
            "diagnostics": [_diagnostic_fields(d) for d in cached.diagnostics],
            "comments": [asdict(c) for c in cached.comments], "doc_path": cached.doc_path,
            "complete": cached.complete, "verified": cached.verified, "name": cached.name, "cited": cached.cited,
            "records": [list(r) for r in cached.records], "salvaged": cached.salvaged}}
        self.changed.add(FILE_NAME)

    def dataset_findings(self, identities: Any) -> DatasetFindings | None:
        """incidents/'s findings, if made in this context and every source they cite is as it was."""
        entry = self.dataset
        if self.folder is None or not isinstance(entry, dict):
            return None
        try:
            if any(identities.get(path) != identity for path, identity in entry["sources"].items()):
                return None
            r = entry["findings"]
            found = DatasetFindings(
                _diagnostics(r["diagnostics"]), [(path, _comments(rows), bool(complete)) for path, rows, complete in r["comments"]],
                int(r["verified"]), [EventRecord(tuple(k) if k is not None else None, *rest) for k, *rest in r["records"]],
                list(r["cited"]), bool(r["complete"]))
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        return found

    def remember_dataset(self, found: DatasetFindings, sources: dict[str, str]) -> None:
        if self.folder is None or any(d.code in _NOT_KEPT for d in found.diagnostics):
            return
        self.dataset = {"sources": sources, "findings": {
            "diagnostics": [_diagnostic_fields(d) for d in found.diagnostics],
            "comments": [[path, [asdict(c) for c in rows], complete] for path, rows, complete in found.comments],
            "verified": found.verified, "records": [list(r) for r in found.records], "cited": found.cited,
            "complete": found.complete}}
        self.changed.add(FILE_NAME)

    def forget_others(self, displays: set[str]) -> None:
        """Drop the findings of files that are gone (a full check saw every file)."""
        gone = set(self.files) - displays
        for display in gone:
            del self.files[display]
        if gone:
            self.changed.add(FILE_NAME)


def _sources_digest(pairs: Iterable[tuple[str, str]]) -> str:
    """One digest of the identities of the sources a file cites: one per file keeps the cache small."""
    return context_digest(*(f"{path}\x00{identity}" for path, identity in sorted(pairs)))


def context_digest(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part)
        digest.update(b"\x00")
    return digest.hexdigest()


def _diagnostic_fields(d: Diagnostic) -> list[Any]:
    return [d.path, d.line, d.col, d.code, d.message, d.hint, d.severity.value]


def _diagnostics(rows: list[list[Any]]) -> list[Diagnostic]:
    return [Diagnostic(path, int(line), int(col), code, message, hint, Severity(severity))
            for path, line, col, code, message, hint, severity in rows]


def _comments(rows: list[dict[str, Any]]) -> list[Comment]:
    return [Comment(**dict(row, codes=tuple(row["codes"]) if row["codes"] is not None else None)) for row in rows]
