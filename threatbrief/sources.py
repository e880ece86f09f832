"""Source documents: confined path resolution, reading, hashing and the registry's integrity."""

from __future__ import annotations

import difflib
import hashlib
import os
from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath

from .diagnostics import Diagnostic
from .extract import Extractor, NoText, extractor_for
from .extract.cache import ExtractionCache
from .limits import MAX_SOURCE_BYTES
from .model import Located, Registry
from .project import Project
from .quotes import Normalized, line_col, normalize
from .yamlfile import decode, read_bytes


@dataclass
class SourceText:
    """A source's text as quotes are matched against it: the file itself, a web page's article
    text, or a PDF's pages (`pages`: where each starts). `boilerplate` is all of a web page's text,
    navigation and comments included, to tell a quote from those apart from one not there."""

    path: str  # relative to sources/
    text: str
    sha256: str
    kind: str = "text"  # "text", "html" or "pdf"
    pages: tuple[int, ...] = ()
    boilerplate: str = ""
    _normalized: Normalized | None = None

    @property
    def normalized(self) -> Normalized:
        """Computed on first need: most quotes are found verbatim, without it."""
        if self._normalized is None:
            self._normalized = normalize(self.text)
        return self._normalized

    def page_of(self, offset: int) -> int:
        return max(bisect_right(self.pages, offset), 1)

    def where(self, offset: int) -> str:
        """How a reader finds `offset` in the original: `sources/a.txt:3:12`, `sources/b.pdf p. 4`,
        `sources/c.html (article text, para. 2)`."""
        if self.kind == "pdf":
            return f"sources/{self.path} p. {self.page_of(offset)}"
        line, col = line_col(self.text, offset)
        if self.kind == "html":
            return f"sources/{self.path} (article text, para. {line})"
        return f"sources/{self.path}:{line}:{col}"

    def located(self, spans: list[tuple[int, int]]) -> Located:
        if self.kind == "pdf":
            first, last = self.page_of(spans[0][0]), self.page_of(max(spans[-1][1] - 1, spans[-1][0]))
            return Located(spans, first, 1, last, "page")
        line, col = line_col(self.text, spans[0][0])
        end_line, _ = line_col(self.text, spans[-1][1])
        return Located(spans, line, col, end_line, "paragraph" if self.kind == "html" else "line")

    @property
    def context_text(self) -> str:
        """The text as the appendix shows a passage in its context: a PDF's lines run on within a
        page (its line breaks are layout) and stop at the page's end. Offsets are unchanged."""
        if self.kind != "pdf":
            return self.text
        return self.text.replace("\n", " ").replace("\f", "\n")


class PathRefused(ValueError):
    """A source path that is not a plain relative path inside sources/."""


def confine(project: Project, relative: str) -> Path:
    """Resolve `relative` inside sources/, refusing anything that could leave it.

    A symbolic link may point elsewhere inside sources/, or into a directory the project opted
    in to (`[paths] allow_outside`); a `sources/` that is itself a link out of the project is
    refused like any other link out.
    """
    sources_dir = project.sources_dir
    if not relative or relative != relative.strip():
        raise PathRefused("is empty or has surrounding spaces")
    if "\\" in relative or "\x00" in relative:
        raise PathRefused("contains a backslash or NUL byte")
    pure = PurePosixPath(relative)
    if pure.is_absolute() or (len(relative) > 1 and relative[1] == ":"):
        raise PathRefused("is absolute; write it relative to sources/")
    if ".." in pure.parts:
        raise PathRefused("contains '..'; write it relative to sources/")
    base = sources_dir.resolve()
    try:
        resolved = (base / pure).resolve()
    except (OSError, RuntimeError):
        raise PathRefused("is a loop of symbolic links") from None
    if any(resolved.is_relative_to(d) for d in project.allowed_outside):
        return resolved
    if not resolved.is_relative_to(base):
        raise PathRefused("resolves outside sources/ (through a symbolic link)")
    if not resolved.is_relative_to(project.root):
        raise PathRefused("resolves outside the project (sources/ is a symbolic link)")
    return resolved


class SourceLibrary:
    """Reads each source once per run; every problem becomes a Diagnostic at the citing place."""

    def __init__(self, project: Project, cache: ExtractionCache | None = None) -> None:
        self.project = project
        self.cache = cache or ExtractionCache.for_project(project.cache_dir())
        self._texts: dict[str, SourceText | None] = {}
        self._problems: dict[str, tuple[str, str]] = {}
        self.upgraded: dict[str, tuple[str, str]] = {}  # path -> (old, new) extractor, where an upgrade changed its text

    def get(self, relative: str) -> tuple[SourceText | None, str, str]:
        """(text, problem code, problem message); the code is '' when the source was read."""
        if relative not in self._texts:
            self._texts[relative] = self._read(relative)
        text = self._texts[relative]
        if text is None:
            return None, *self._problems[relative]
        return text, "", ""

    def _read(self, relative: str) -> SourceText | None:
        try:
            file = confine(self.project, relative)
        except PathRefused as exc:
            self._problems[relative] = ("S001", f"source path {relative!r} {exc}")
            return None
        if not file.exists():
            self._problems[relative] = ("S002", f"source file sources/{relative} does not exist")
            return None
        raw, problems = read_bytes(file, f"sources/{relative}", MAX_SOURCE_BYTES)
        extractor = extractor_for(file.suffix)
        if raw is not None and extractor is not None:
            return self._extract(relative, raw, extractor)
        text, problems = decode(raw, f"sources/{relative}") if raw is not None else (None, problems)
        if raw is None or text is None:
            self._problems[relative] = ("Y004", problems[0].message)
            return None
        return SourceText(relative, text, hashlib.sha256(raw).hexdigest())

    def _extract(self, relative: str, raw: bytes, extractor: Extractor) -> SourceText | None:
        """A web page's article text or a PDF's pages, from the cache when this content and this
        extractor version were seen before."""
        sha256 = hashlib.sha256(raw).hexdigest()
        try:
            result = self.cache.get(extractor, sha256, raw)
        except NoText as exc:
            self._problems[relative] = ("S007", f"sources/{relative}: {exc}")
            return None
        if result.changed_from:
            self.upgraded[relative] = (result.changed_from, extractor.version())
        found = result.extracted
        return SourceText(relative, found.text, sha256, extractor.kind, found.pages, found.boilerplate)

    @cached_property
    def _listing(self) -> list[str]:
        """Files under sources/, links not followed (a link loop must not hang a hint)."""
        base = self.project.sources_dir
        if not base.is_dir() or base.is_symlink():
            return []
        found = []
        for folder, _, names in os.walk(base):
            found += [Path(folder, n).relative_to(base).as_posix() for n in names if not n.endswith(".yaml")]
        return sorted(found)

    def available(self) -> list[str]:
        """Every file under sources/ (relative paths), for 'did you mean' hints; listed once a run."""
        return self._listing


def did_you_mean(wanted: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(wanted, candidates, n=1, cutoff=0.5)
    return f"did you mean {close[0]!r}?" if close else ""


def check_registry(registry: Registry, library: SourceLibrary, only: set[str] | None = None) -> list[Diagnostic]:
    """Each registered file (or each of `only`) must exist in sources/ and still hash to its sha256."""
    problems = []
    for source in registry.sources.values():
        if only is not None and source.path not in only:
            continue
        line, col = source.mark
        text, code, message = library.get(source.path)
        if text is None:
            hint = did_you_mean(source.path, library.available()) if code == "S002" else ""
            problems.append(Diagnostic(registry.path, line, col, code, message, hint))
        elif source.path in library.upgraded:
            problems.append(Diagnostic(
                registry.path, line, col, "S008",
                f"the text extracted from sources/{source.path} changed with the extractor "
                "({} → {})".format(*library.upgraded[source.path]),
                "its quotes were checked against the new text; look over the briefings citing it",
            ))
        if text is not None and text.sha256 != source.sha256:
            problems.append(Diagnostic(
                registry.path, line, col, "S004",
                f"sources/{source.path} changed since it was registered (sha256 {text.sha256[:12]}…, "
                f"registry says {source.sha256[:12]}…)",
                "re-verify every quote citing it, then update sha256 in the registry to " + text.sha256,
            ))
    return problems
