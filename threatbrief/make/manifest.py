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
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from threatbrief.files import NotReadable, read_regular

VERSION = 2  # 2: outputs named by slug, every path confined to the project
FILE_NAME = ".threatbrief-manifest.json"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
MAX_INPUT_BYTES = 64 * 1024 * 1024  # the largest file the manifest will hash (registry limit)
_PSEUDO_INPUTS = ("<tool>", "<settings>", "<dataset>")  # inputs that are not files
_HEX = frozenset("0123456789abcdef")


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


def safe_key(key: object) -> bool:
    """A project-relative POSIX path with nothing that could leave the project."""
    if not isinstance(key, str) or not key or len(key) > 4096 or "\\" in key or "\x00" in key:
        return False
    pure = PurePosixPath(key)
    return not pure.is_absolute() and ".." not in pure.parts and pure.as_posix() == key


def _digest(value: object) -> bool:
    return isinstance(value, str) and (value == "" or (len(value) == 64 and set(value) <= _HEX))


def _input_key(key: object) -> bool:
    if key in _PSEUDO_INPUTS:
        return True
    return isinstance(key, str) and safe_key(key.removeprefix("registry:"))


def load(path: Path) -> tuple[Manifest, str]:
    """The manifest, and a notice when it had to be ignored ('' when it was fine or absent).

    The manifest is untrusted input (anyone with commit rights, or a tampered checkout, can
    write it): it must be a regular file of bounded size whose every path stays inside the
    project. Anything odd means "rebuild everything", never "read what it names".
    """
    corrupt = f"{path.name} is unreadable or corrupt: rebuilding everything"
    try:
        info = path.lstat()
    except FileNotFoundError:
        return Manifest(), ""
    except OSError:
        return Manifest(), corrupt
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_MANIFEST_BYTES:
        return Manifest(), f"{path.name} is not a regular file of at most {MAX_MANIFEST_BYTES:,} bytes: rebuilding everything"
    try:
        data = json.loads(read_regular(path, MAX_MANIFEST_BYTES).decode("utf-8"))
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return Manifest(), f"{path.name} is from another version of threatbrief: rebuilding everything"
        files = {p: (int(s[0]), int(s[1]), str(s[2])) for p, s in data["files"].items()}
        targets = {p: Target(dict(t["inputs"]), str(t["output"]), dict(t.get("extra", {})))
                   for p, t in data["targets"].items()}
        registry = data.get("registry", {})
        entries = {str(k): str(v) for k, v in registry.get("entries", {}).items()}
        manifest = Manifest(str(data.get("tool", "")), files, targets, str(registry.get("digest", "")), entries)
    except (NotReadable, OSError, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError):
        return Manifest(), corrupt
    return (manifest, "") if _well_formed(manifest) else (Manifest(), corrupt)


def _well_formed(m: Manifest) -> bool:
    """Every path confined to the project, every digest a sha256, every output in reports/."""
    return (
        all(safe_key(p) and _digest(s[2]) and s[0] >= 0 and s[1] >= 0 for p, s in m.files.items())
        and all(safe_key(p) and p.startswith("reports/") and _digest(t.output)
                and all(_input_key(k) and isinstance(v, str) for k, v in t.inputs.items())
                for p, t in m.targets.items())
        and _digest(m.registry_digest)
        and all(safe_key(k) and _digest(v) for k, v in m.registry_entries.items())
    )


class Fingerprints:
    """sha256 of project files, read only when their mtime or size moved since the last build.

    Only regular files inside the project (or a directory it opted in to) of bounded size are
    read; for anything else the digest is '', which makes whatever depends on it stale, so the
    checks that run before a rebuild report the problem.
    """

    def __init__(self, project: Any, previous: dict[str, tuple[int, int, str]]) -> None:
        self.project = project
        self.previous = previous
        self.current: dict[str, tuple[int, int, str]] = {}

    def digest(self, relative: str) -> str:
        """The file's sha256, or '' when it does not exist or may not be read."""
        if relative in self.current:
            return self.current[relative][2]
        path = self.project.root / relative
        if not safe_key(relative) or not self.project.inside(path):
            return ""
        try:
            info = path.stat()
        except OSError:
            return ""
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_INPUT_BYTES:
            return ""
        before = self.previous.get(relative)
        if before and before[0] == info.st_mtime_ns and before[1] == info.st_size:
            digest = before[2]
        else:
            try:
                digest = hashlib.sha256(read_regular(path, MAX_INPUT_BYTES)).hexdigest()
            except NotReadable:
                return ""
        self.current[relative] = (info.st_mtime_ns, info.st_size, digest)
        return digest


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
