"""Where a project's inputs and outputs live, and the fence around them. No global state.

Everything the tool reads must resolve inside the project (or inside a directory the project's
`threatbrief.toml` explicitly allows, `[paths] allow_outside`), and everything it writes goes
into `reports/`, which must be a real directory of the project, never a symbolic link.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from threatbrief.files import NotReadable, read_regular

PDF_VARIANT = "pdf/ua-1"  # tagged PDF for screen readers; see README, "PDF/UA-1, not PDF/A"
# Templates, CSS and schemas ship inside the package (pyproject.toml, package-data), beside this
# module, so an installed wheel has them as an editable install does. (This is the folder
# `importlib.resources.files("threatbrief")` names for a package on disk, without importing
# importlib.resources and zipfile on every run.)
DATA = Path(__file__).parent / "data"
BUILTIN_TEMPLATES = DATA / "templates"
BUILTIN_SCHEMAS = DATA / "schemas"
CONFIG_FILE = "threatbrief.toml"
# Output names that the tool itself uses in reports/: an assessment may not take them.
RESERVED_NAMES = frozenset({"index", "overview"})
MAX_NAME_CHARS = 100
_UNSAFE_NAME = re.compile(r"[^\w-]+")  # anything but letters, digits, '_' and '-' (any script)


class UnsafePath(ValueError):
    """A path the project may not use: a link out of the project, a symlinked reports/ …"""


def slug(stem: str) -> str:
    """The output name for an assessment file stem: safe as a file name and as a relative href.

    `javascript:alert(1)` becomes `javascript-alert-1`: no scheme, no slash, no dot, lower case
    (so two names differing only in case collide here, not on a case-insensitive disk).
    """
    return _UNSAFE_NAME.sub("-", stem.lower()).strip("-_")[:MAX_NAME_CHARS].strip("-_")


def canonical_source_path(relative: str) -> str:
    """`./x.txt`, `x.txt` and `sub//x.txt` name one file: the registry and citations use one spelling.

    Paths that would leave sources/ ('..', absolute, NUL, backslash) are returned unchanged, so
    that the check reporting them quotes what the author wrote.
    """
    if not relative or "\\" in relative or "\x00" in relative or relative != relative.strip():
        return relative
    if "/" not in relative and relative not in (".", ".."):
        return relative  # a file directly in sources/: most are
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts:
        return relative
    return pure.as_posix()


def _allowed_outside(root: Path) -> tuple[Path, ...]:
    """Directories outside the project that the project opts in to (`[paths] allow_outside`).

    Read leniently here: a malformed file is reported by `config.load_config`, and means no opt-in.
    """
    config = root / CONFIG_FILE
    if not config.is_file() or not config.resolve().is_relative_to(root):
        return ()
    import tomllib  # only a project with a threatbrief.toml pays for it

    try:
        data = tomllib.loads(read_regular(config, 1024 * 1024).decode("utf-8"))
        listed = data.get("paths", {}).get("allow_outside", [])
    except (NotReadable, UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError, RecursionError):
        return ()
    if not isinstance(listed, list):
        return ()
    return tuple((root / item).resolve() for item in listed if isinstance(item, str) and item.strip())


@dataclass(frozen=True)
class Project:
    root: Path
    allowed_outside: tuple[Path, ...] = field(default=())

    @classmethod
    def at(cls, root: Path | str) -> "Project":
        resolved = Path(root).resolve()
        return cls(resolved, _allowed_outside(resolved))

    @property
    def _root_slash(self) -> str:
        return str(self.root).rstrip("/") + "/"

    @property
    def assessments_dir(self) -> Path:
        return self.root / "assessments"

    @property
    def sources_dir(self) -> Path:
        return self.root / "sources"

    @property
    def registry_file(self) -> Path:
        return self.sources_dir / "sources.yaml"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    def inside(self, path: Path) -> bool:
        """Whether `path`, links resolved, lies in the project (or in a directory it opted in to)."""
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError):  # a symlink loop
            return False
        return resolved.is_relative_to(self.root) or any(resolved.is_relative_to(d) for d in self.allowed_outside)

    def output_dir(self) -> Path:
        """reports/, checked before anything is written to it or deleted from it.

        A `reports` that is a symbolic link (or resolves outside the project) is refused: writing
        or cleaning through it would touch files the project does not own.
        """
        reports = self.reports_dir
        if reports.is_symlink():
            raise UnsafePath(f"reports/ is a symbolic link (to {_readlink(reports)}); threatbrief writes only "
                             "inside the project: replace the link with a directory")
        if reports.exists() and not reports.is_dir():
            raise UnsafePath("reports/ is not a directory: cannot write to it; remove the file or move it away")
        if reports.exists() and not reports.resolve().is_relative_to(self.root):
            raise UnsafePath(f"reports/ resolves outside the project ({reports.resolve()}): refusing to write there")
        return reports

    def cache_dir(self) -> Path | None:
        """`.threatbrief/cache/`, or None when it (or `.threatbrief/`) is a link or leads out of the
        project: the cache is only a speed-up, so an unsafe one is not used rather than refused."""
        state = self.root / ".threatbrief"
        cache = state / "cache"
        for folder in (state, cache):
            if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
                return None
        if cache.exists() and not cache.resolve().is_relative_to(self.root):
            return None
        return cache

    def key(self, path: Path) -> str:
        """How the build manifest names a file: its path in the project, links not followed.

        Outside the project it is the absolute path, which the manifest never reads.
        """
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def display(self, path: Path) -> str:
        """A path as shown to the user: relative to the project when inside it."""
        text, root = str(path), self._root_slash
        if text.startswith(root) and "/." not in text and "//" not in text:
            return text[len(root):]  # what `relative_to` gives, without parsing the path again
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    @property
    def incidents_dir(self) -> Path:
        return self.root / "incidents"

    def incident_files(self) -> list[Path]:
        """incidents/**/*.yaml, the project's incident dataset, in a stable order (links are read
        only if they stay inside the project: see loader.load_incidents)."""
        folder = self.incidents_dir
        if not folder.is_dir() or folder.is_symlink():
            return []
        return sorted(folder.rglob("*.yaml"))

    def assessment_files(self, names: list[str] | None = None) -> list[Path]:
        """assessments/*.yaml (all, or those whose stem or output name is in `names`)."""
        files = sorted(self.assessments_dir.glob("*.yaml")) if self.assessments_dir.is_dir() else []
        if names is not None:
            wanted = set(names)
            files = [f for f in files if f.stem in wanted or slug(f.stem) in wanted]
        return files


# --- The fence around sources/ ------------------------------------------------------------------

class PathRefused(ValueError):
    """A source path that is not a plain relative path inside sources/."""


def confine(project: Project, relative: str, base: str | None = None) -> Path:
    """Resolve `relative` inside sources/, refusing anything that could leave it.

    A symbolic link may point elsewhere inside sources/, or into a directory the project opted
    in to (`[paths] allow_outside`); a `sources/` that is itself a link out of the project is
    refused like any other link out. `base`: sources/ resolved, when the caller already knows it.
    """
    return Path(confined(project, relative, base))


def confined(project: Project, relative: str, base: str | None = None) -> str:
    """`confine` as a string, for the many calls that only open the file."""
    parts = source_parts(relative)
    base = base or os.path.realpath(project.sources_dir)
    simple = os.path.join(base, *parts)
    if not _has_link(base, parts):  # the common case: a string, one lstat a part
        if not is_under(base, str(project.root)) and not any(is_under(simple, str(d)) for d in project.allowed_outside):
            raise PathRefused("resolves outside the project (sources/ is a symbolic link)")
        return simple
    resolved_base = project.sources_dir.resolve()
    try:
        resolved = (resolved_base / PurePosixPath(*parts)).resolve()
    except (OSError, RuntimeError):
        raise PathRefused("is a loop of symbolic links") from None
    if any(resolved.is_relative_to(d) for d in project.allowed_outside):
        return str(resolved)
    if not resolved.is_relative_to(resolved_base):
        raise PathRefused("resolves outside sources/ (through a symbolic link)")
    if not resolved.is_relative_to(project.root):
        raise PathRefused("resolves outside the project (sources/ is a symbolic link)")
    return str(resolved)


def source_parts(relative: str) -> tuple[str, ...]:
    """The parts of a source path as written, refusing what could leave sources/ by its spelling."""
    if not relative or relative != relative.strip():
        raise PathRefused("is empty or has surrounding spaces")
    if "\\" in relative or "\x00" in relative:
        raise PathRefused("contains a backslash or NUL byte")
    if len(relative) > 1 and relative[1] == ":":
        raise PathRefused("is absolute; write it relative to sources/")
    if "/" not in relative and relative not in (".", ".."):
        parts: tuple[str, ...] = (relative,)  # a file directly in sources/: most are
    else:
        parts = PurePosixPath(relative).parts
        if relative.startswith("/"):
            raise PathRefused("is absolute; write it relative to sources/")
        if ".." in parts:
            raise PathRefused("contains '..'; write it relative to sources/")
    return parts


def _has_link(base: str, parts: tuple[str, ...]) -> bool:
    path = base
    for part in parts:
        path = os.path.join(path, part)
        if os.path.islink(path):
            return True
    return False


def is_under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _readlink(path: Path) -> str:
    try:
        return str(path.readlink())
    except OSError:
        return "?"
