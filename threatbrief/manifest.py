"""What the last build read and wrote, so the next one redoes only what changed (like doit).

The manifest is a versioned JSON file in reports/. For every file the build looked at it keeps
(mtime, size, sha256): a file whose mtime and size have not moved is not read again, and one that
moved is hashed, so touching a file without changing it rebuilds nothing. For every output it
keeps the digests of the inputs it was built from. A missing, corrupt or older manifest means a
clean rebuild, with a notice, never a crash.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VERSION = 1
FILE_NAME = ".threatbrief-manifest.json"


@dataclass
class Target:
    inputs: dict[str, str]  # input path (relative to the project) -> sha256
    output: str  # sha256 of the output as written
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. the briefing's entry in the index


@dataclass
class Manifest:
    tool: str = ""
    files: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # path -> (mtime_ns, size, sha256)
    targets: dict[str, Target] = field(default_factory=dict)  # output path -> record
    # Digest of each registry entry, and of the registry file they were read from: a briefing
    # depends on the entries of the sources it cites, not on the whole registry.
    registry_digest: str = ""
    registry_entries: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        data = {
            "version": VERSION,
            "tool": self.tool,
            "files": {path: list(stamp) for path, stamp in sorted(self.files.items())},
            "targets": {path: {"inputs": dict(sorted(t.inputs.items())), "output": t.output, "extra": t.extra}
                        for path, t in sorted(self.targets.items())},
            "registry": {"digest": self.registry_digest, "entries": dict(sorted(self.registry_entries.items()))},
        }
        return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


def load(path: Path) -> tuple[Manifest, str]:
    """The manifest, and a notice when it had to be ignored ('' when it was fine or absent)."""
    if not path.exists():
        return Manifest(), ""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return Manifest(), f"{path.name} is from another version of threatbrief: rebuilding everything"
        files = {p: (int(s[0]), int(s[1]), str(s[2])) for p, s in data["files"].items()}
        targets = {p: Target(dict(t["inputs"]), str(t["output"]), dict(t.get("extra", {})))
                   for p, t in data["targets"].items()}
        registry = data.get("registry", {})
        return Manifest(str(data.get("tool", "")), files, targets, str(registry.get("digest", "")),
                        {str(k): str(v) for k, v in registry.get("entries", {}).items()}), ""
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return Manifest(), f"{path.name} is unreadable or corrupt: rebuilding everything"


class Fingerprints:
    """sha256 of project files, read only when their mtime or size moved since the last build."""

    def __init__(self, root: Path, previous: dict[str, tuple[int, int, str]]) -> None:
        self.root = root
        self.previous = previous
        self.current: dict[str, tuple[int, int, str]] = {}

    def digest(self, relative: str) -> str:
        """The file's sha256, or '' when it does not exist."""
        if relative in self.current:
            return self.current[relative][2]
        try:
            stat = (self.root / relative).stat()
        except OSError:
            return ""
        before = self.previous.get(relative)
        if before and before[0] == stat.st_mtime_ns and before[1] == stat.st_size:
            digest = before[2]
        else:
            try:
                digest = hashlib.sha256((self.root / relative).read_bytes()).hexdigest()
            except OSError:
                return ""
        self.current[relative] = (stat.st_mtime_ns, stat.st_size, digest)
        return digest


def tree_digest(folder: Path) -> str:
    """One digest for the tool's own code and schemas: a change to either rebuilds everything."""
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.suffix in (".py", ".json") and "__pycache__" not in path.parts:
            h.update(path.relative_to(folder).as_posix().encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def stale_reasons(target: Target | None, inputs: dict[str, str], output_digest: str) -> list[str]:
    """Why an output must be rebuilt; empty when it is up to date."""
    if target is None:
        return ["never built"]
    if not output_digest:
        return ["output missing"]
    if output_digest != target.output:
        return ["output changed since it was written"]
    reasons = []
    for path, digest in sorted(inputs.items()):
        if path not in target.inputs:
            reasons.append(f"new input {path}")
        elif target.inputs[path] != digest:
            reasons.append(f"{path} {'was removed' if not digest else 'changed'}")
    reasons += [f"{path} no longer an input" for path in sorted(set(target.inputs) - set(inputs))]
    return reasons


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
