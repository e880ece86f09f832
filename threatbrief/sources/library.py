"""Source documents: reading each once, hashing, and the registry's integrity (the fence that keeps
their paths inside sources/ is `project.confine`)."""

from __future__ import annotations

import difflib
import hashlib
import os
import stat
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from threatbrief.diagnostics import Diagnostic
from threatbrief.files import IsLink, NotReadable, Stamp, read_regular_stat, stamp_of
from threatbrief.limits import MAX_SOURCE_BYTES
from threatbrief.model import Located, Registry
from threatbrief.project import PathRefused, Project, confined, is_under, source_parts
from threatbrief.sources.extract import Extractor, NoText, extractor_for
from threatbrief.sources.extract.cache import ExtractionCache
from threatbrief.sources.verify_cache import VerificationCache

if TYPE_CHECKING:  # imported where used: a check whose findings are all reused matches no quote
    from threatbrief.sources.quotes import Folded, Normalized


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
    extractor: str = ""  # the version of the extractor that made the text of a web page or PDF
    _normalized: Normalized | None = None
    _folded: Folded | None = None

    @property
    def normalized(self) -> Normalized:
        """Computed on first need: most quotes are found verbatim or folded, without it."""
        if self._normalized is None:
            from threatbrief.sources.quotes import normalize

            self._normalized = normalize(self.text)
        return self._normalized

    @property
    def folded(self) -> Folded:
        """Computed on first need: a quote found verbatim needs no folded copy."""
        if self._folded is None:
            from threatbrief.sources.quotes import fold

            self._folded = fold(self.text)
        return self._folded

    @property
    def identity(self) -> str:
        """What the text quotes are matched against depends on: the file, and its extractor."""
        return f"{self.sha256}:{self.extractor}" if self.extractor else self.sha256

    def page_of(self, offset: int) -> int:
        return max(bisect_right(self.pages, offset), 1)

    def where(self, offset: int) -> str:
        """How a reader finds `offset` in the original: `sources/a.txt:3:12`, `sources/b.pdf p. 4`,
        `sources/c.html (article text, para. 2)`."""
        from threatbrief.sources.quotes import line_col

        if self.kind == "pdf":
            return f"sources/{self.path} p. {self.page_of(offset)}"
        line, col = line_col(self.text, offset)
        if self.kind == "html":
            return f"sources/{self.path} (article text, para. {line})"
        return f"sources/{self.path}:{line}:{col}"

    def located(self, spans: list[tuple[int, int]]) -> Located:
        from threatbrief.sources.quotes import line_col

        if self.kind == "pdf":
            first, last = self.page_of(spans[0][0]), self.page_of(max(spans[-1][1] - 1, spans[-1][0]))
            return Located(spans, first, 1, last, "page")
        line, col = line_col(self.text, spans[0][0])
        end_line = line + self.text.count("\n", spans[0][0], spans[-1][1])  # line_col of the end, from here
        return Located(spans, line, col, end_line, "paragraph" if self.kind == "html" else "line")

    @property
    def context_text(self) -> str:
        """The text as the appendix shows a passage in its context: a PDF's lines run on within a
        page (its line breaks are layout) and stop at the page's end. Offsets are unchanged."""
        if self.kind != "pdf":
            return self.text
        return self.text.replace("\n", " ").replace("\f", "\n")


@dataclass(frozen=True)
class SourceRecord:
    """What the registry's integrity check needs of a source, once it was read: its sha256 (''
    if it could not be read, with the problem's code and message) and an extractor upgrade that
    changed its text. Small and picklable: a worker sends one for each source it read."""

    sha256: str
    code: str = ""
    message: str = ""
    upgraded: tuple[str, str] | None = None
    stamp: tuple[int, int, int, int] | None = None  # of the file when it was read (files.stamp_of)


class SourceStamps(Protocol):
    """Each source's sha256 while the stamp of its file holds: what the library asks of the
    results cache (check_cache.ResultsCache), so that a re-check need not read unchanged sources."""

    folder: Path | None  # None: nothing is remembered
    stamps: dict[str, list[Any]]  # source path -> [*stamp, sha256]

    def sha_if_unchanged(self, relative: str, stamp: Stamp) -> str | None: ...

    def remember_source(self, relative: str, stamp: Stamp, sha256: str) -> None: ...


class _NoStamps:
    """No results cache: every source is read."""

    folder = None
    stamps: dict[str, list[Any]] = {}

    def sha_if_unchanged(self, relative: str, stamp: Stamp) -> str | None:
        return None

    def remember_source(self, relative: str, stamp: Stamp, sha256: str) -> None:
        pass


class SourceLibrary:
    """Reads each source once per run; every problem becomes a Diagnostic at the citing place."""

    def __init__(self, project: Project, cache: ExtractionCache | None = None,
                 verified: VerificationCache | None = None, stamps: SourceStamps | None = None) -> None:
        self.project = project
        self.cache = cache or ExtractionCache.for_project(project.cache_dir())
        self.verified = verified or VerificationCache.disabled()  # where quotes were found before
        self.stamps: SourceStamps = stamps or _NoStamps()  # sources' hashes while their stamps hold
        self._stamps: dict[str, tuple[int, int, int, int]] = {}  # of the sources read here
        self._unread: dict[str, SourceRecord | None] = {}  # known by their stamps, not read
        self.max_chars: int | None = None  # keep at most this much source text (None: all)
        self._held: OrderedDict[str, int] = OrderedDict()  # texts kept, oldest first, with their sizes
        self._held_chars = 0
        self._forgotten: dict[str, SourceRecord] = {}  # read, then dropped for memory
        self._texts: dict[str, SourceText | None] = {}
        self._problems: dict[str, tuple[str, str]] = {}
        self.upgraded: dict[str, tuple[str, str]] = {}  # path -> (old, new) extractor, where an upgrade changed its text
        self._learnt: dict[str, SourceRecord] = {}  # read by a worker process: no text here
        self._untaken: list[str] = []  # read since `take_records`

    def record(self, relative: str) -> SourceRecord:
        """The source's hash (or problem): read here unless a worker already did, or its stamp
        says it is the file an earlier check hashed."""
        if relative in self._learnt and relative not in self._texts:
            return self._learnt[relative]
        if relative in self._forgotten and relative not in self._texts:
            return self._forgotten[relative]
        if relative not in self._texts and (known := self._unchanged(relative)) is not None:
            return known
        text, code, message = self.get(relative)
        return SourceRecord(text.sha256 if text else "", code, message, self.upgraded.get(relative),
                            self._stamps.get(relative))

    def identity(self, relative: str) -> str:
        """What its text depends on (SourceText.identity), without reading it when its stamp holds;
        '' if it cannot be read."""
        record = self.record(relative)
        if record.code:
            return ""
        extractor = extractor_for(os.path.splitext(relative)[1])
        return f"{record.sha256}:{extractor.version()}" if extractor else record.sha256

    def known_identities(self) -> dict[str, str]:
        """`identity` of each source the results cache has a stamp of, where that stamp still
        holds, in one pass: a check that reuses findings looks at every source, and one `stat`
        relative to sources/ each is most of what that costs. Sources it leaves out (moved, a
        link, in a subfolder) are judged one by one by `identity`."""
        known: dict[str, str] = {}
        if self.stamps.folder is None or not self._base_inside or not hasattr(os, "O_DIRECTORY"):
            return known
        try:
            folder = os.open(self._base, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return known
        versions: dict[str, str] = {}
        try:
            for relative, entry in self.stamps.stamps.items():
                if "/" in relative or relative in self._texts or relative in self._learnt or relative in self._unread:
                    continue
                try:
                    found = os.stat(relative, dir_fd=folder, follow_symlinks=False)
                    source_parts(relative)
                except (OSError, ValueError):
                    continue
                if stat.S_ISLNK(found.st_mode) or not isinstance(entry, list) or len(entry) != 5 \
                        or entry[:4] != [found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns]:
                    continue  # a link, or moved since: judged by `identity`, one by one
                sha = entry[4]
                if not sha or not isinstance(sha, str):
                    continue
                self._unread[relative] = SourceRecord(sha, stamp=stamp_of(found))
                suffix = ".txt" if relative.endswith(".txt") else os.path.splitext(relative)[1]  # most, quickly
                if suffix not in versions:
                    extractor = extractor_for(suffix)
                    versions[suffix] = f":{extractor.version()}" if extractor else ""
                known[relative] = sha + versions[suffix]
        finally:
            os.close(folder)
        return known

    def _unchanged(self, relative: str) -> SourceRecord | None:
        if self.stamps.folder is None:
            return None
        if relative in self._unread:
            return self._unread[relative]
        try:
            stamp = self._stamp(relative)
        except (PathRefused, OSError):
            return None
        sha = self.stamps.sha_if_unchanged(relative, stamp)
        self._unread[relative] = SourceRecord(sha, stamp=stamp) if sha else None
        return self._unread[relative]

    def _stamp(self, relative: str) -> tuple[int, int, int, int]:
        """The stamp of a source's file: one `lstat` for a plain file directly in sources/ (most),
        else confined like any source, then `stat`."""
        if "/" not in relative and relative == relative.strip() and relative not in ("", ".", "..") \
                and "\\" not in relative and "\x00" not in relative and relative[1:2] != ":" and self._base_inside:
            found = os.lstat(os.path.join(self._base, relative))
            if not stat.S_ISLNK(found.st_mode):
                return stamp_of(found)
        return stamp_of(os.stat(confined(self.project, relative, self._base)))

    @cached_property
    def _base_inside(self) -> bool:
        """Whether sources/, resolved, lies in the project (else every path goes through `confine`)."""
        return is_under(self._base, str(self.project.root))

    @cached_property
    def _base(self) -> str:
        """sources/, resolved once a run."""
        return os.path.realpath(self.project.sources_dir)

    def take_records(self) -> dict[str, SourceRecord]:
        """The records of the sources read since the last call (a worker sends them to the parent)."""
        taken, self._untaken = self._untaken, []
        return {path: self.record(path) for path in taken}

    def learn(self, records: dict[str, SourceRecord]) -> None:
        """What a worker read: the registry check then needs not read those sources again."""
        for path, record in records.items():
            self._learnt.setdefault(path, record)
            if record.stamp and record.sha256:
                self.stamps.remember_source(path, record.stamp, record.sha256)

    def get(self, relative: str) -> tuple[SourceText | None, str, str]:
        """(text, problem code, problem message); the code is '' when the source was read."""
        if relative not in self._texts:
            self._texts[relative] = text = self._read(relative)
            self._untaken.append(relative)
            if text is not None and self.max_chars is not None:
                self._held[relative] = len(text.text) + len(text.boilerplate)
                self._held_chars += self._held[relative]
                self._forget_oldest(relative)
        elif relative in self._held:
            self._held.move_to_end(relative)
        text = self._texts[relative]
        if text is None:
            return None, *self._problems[relative]
        return text, "", ""

    def _forget_oldest(self, keep: str) -> None:
        """Drop the texts read longest ago beyond `max_chars` (their hashes are kept): a check
        worker reads thousands of sources, most cited once."""
        while self._held_chars > (self.max_chars or 0) and len(self._held) > 1:
            oldest, chars = next(iter(self._held.items()))
            if oldest == keep:
                break
            del self._held[oldest]
            self._held_chars -= chars
            self._forgotten[oldest] = self.record(oldest)
            del self._texts[oldest]

    def _read(self, relative: str) -> SourceText | None:
        from threatbrief.load.yamlfile import decode, unreadable

        try:
            try:  # a file directly in sources/, itself no link (most): opened without a look first
                if "/" in relative or not self._base_inside:
                    raise IsLink
                file = os.path.join(self._base, *source_parts(relative))
                raw, status = read_regular_stat(file, MAX_SOURCE_BYTES, follow=False)
            except IsLink:  # resolved, and judged where it leads
                file = confined(self.project, relative, self._base)
                raw, status = read_regular_stat(file, MAX_SOURCE_BYTES)
        except PathRefused as exc:
            self._problems[relative] = ("S001", f"source path {relative!r} {exc}")
            return None
        except NotReadable as exc:
            if str(exc) == "missing":
                self._problems[relative] = ("S002", f"source file sources/{relative} does not exist")
            else:
                self._problems[relative] = ("Y004", unreadable(f"sources/{relative}", exc).message)
            return None
        sha256 = hashlib.sha256(raw).hexdigest()
        self._stamps[relative] = stamp = stamp_of(status)
        self.stamps.remember_source(relative, stamp, sha256)
        extractor = extractor_for(os.path.splitext(file)[1])
        if extractor is not None:
            return self._extract(relative, raw, sha256, extractor)
        text, problems = decode(raw, f"sources/{relative}")
        if text is None:
            self._problems[relative] = ("Y004", problems[0].message)
            return None
        return SourceText(relative, text, sha256)

    def _extract(self, relative: str, raw: bytes, sha256: str, extractor: Extractor) -> SourceText | None:
        """A web page's article text or a PDF's pages, from the cache when this content and this
        extractor version were seen before."""
        try:
            result = self.cache.get(extractor, sha256, raw)
        except NoText as exc:
            self._problems[relative] = ("S007", f"sources/{relative}: {exc}")
            return None
        if result.changed_from:
            self.upgraded[relative] = (result.changed_from, extractor.version())
        found = result.extracted
        return SourceText(relative, found.text, sha256, extractor.kind, found.pages, found.boilerplate,
                          extractor.version())

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
        record = library.record(source.path)
        if record.code:
            hint = did_you_mean(source.path, library.available()) if record.code == "S002" else ""
            problems.append(Diagnostic(registry.path, line, col, record.code, record.message, hint))
        elif record.upgraded:
            problems.append(Diagnostic(
                registry.path, line, col, "S008",
                f"the text extracted from sources/{source.path} changed with the extractor "
                "({} → {})".format(*record.upgraded),
                "its quotes were checked against the new text; look over the briefings citing it",
            ))
        if not record.code and record.sha256 != source.sha256:
            problems.append(Diagnostic(
                registry.path, line, col, "S004",
                f"sources/{source.path} changed since it was registered (sha256 {record.sha256[:12]}…, "
                f"registry says {source.sha256[:12]}…)",
                "re-verify every quote citing it, then update sha256 in the registry to " + record.sha256,
            ))
    return problems


def check_uncited(registry: Registry, cited: set[str]) -> list[Diagnostic]:
    """Registered sources that no assessment cites (only meaningful when all were checked)."""
    return [
        Diagnostic(registry.path, source.mark[0], source.mark[1], "S006",
                   f"sources/{path} is registered but cited by no assessment", "cite it, or remove it from the registry")
        for path, source in sorted(registry.sources.items()) if path not in cited
    ]
