"""The verification cache: where each quote was found in its source, so that a re-check
verifies only the quotes, and the sources, that changed.

An entry's key is a hash of the quote and of the source's identity (its sha256, and for a web
page or PDF the version of the extractor that made its text); the file holds the matcher's
version (this tool's version, the matching code and the Unicode tables), and a file of another
version is ignored whole. Only quotes that were found are kept: a miss is worked out again (with
its closest passage) every time.

The file (`.threatbrief/cache/check/verified.json`, in a folder that git-ignores itself) could be
committed by anyone who can open a pull request, and a forged entry would make a fabricated quote
pass. So it is signed (HMAC-SHA256) with the same per-user key as the extraction cache, kept
outside the project: a file without a valid signature, corrupt, or from another version is
ignored, never trusted. CI keeps it between runs with its cache action (README, "Speed").
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from functools import lru_cache
from pathlib import Path

from threatbrief import __version__
from threatbrief.files import NotReadable, read_regular
from threatbrief.signing import read_sealed, write_sealed

FORMAT = 1
FILE_NAME = "verified.json"
MAX_FILE_BYTES = 256 * 1024 * 1024

Spans = list[tuple[int, int]]


@lru_cache(maxsize=1)
def matcher_version() -> str:
    """This tool's version, a hash of the code that decides whether a quote is found, and the
    Unicode version it folds by: an upgrade of any of them verifies every quote again."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in ("quotes.py", "unicode_tables.py"):
        try:
            digest.update(read_regular(here / name, 4 * 1024 * 1024))
        except NotReadable:
            digest.update(name.encode())
    return f"{__version__}:{digest.hexdigest()[:16]}:{unicodedata.unidata_version}"


def entry_key(quote: str, identity: str) -> str:
    return hashlib.sha256(f"{identity}\x00{quote}".encode("utf-8", "surrogatepass")).hexdigest()[:40]


class VerificationCache:
    """Found quotes by (quote, source identity); a cache that cannot be read or written is only slower."""

    def __init__(self, folder: Path | None, key: bytes | None) -> None:
        self.folder = folder if key else None
        self.key = key or b""
        self._entries: dict[str, Spans] | None = None  # read on first need: a run may need none
        self.new: dict[str, Spans] = {}  # found this run, not in the file
        self.hits = 0

    @property
    def entries(self) -> dict[str, Spans]:
        if self._entries is None:
            self._entries = {}
            self._load()
        return self._entries

    @classmethod
    def for_project(cls, cache_dir: Path | None) -> "VerificationCache":
        from threatbrief.signing import signing_key

        return cls(cache_dir / "check" if cache_dir else None, signing_key() if cache_dir else None)

    @classmethod
    def disabled(cls) -> "VerificationCache":
        return cls(None, None)

    def forgo(self) -> None:
        """Neither read nor write the file this run, unless it was read already: a few files' quotes
        are verified again faster than a large corpus's file is read and written."""
        if self._entries is None:
            self.folder = None

    def get(self, quote: str, identity: str) -> Spans | None:
        if self.folder is None:
            return None
        spans = self.entries.get(entry_key(quote, identity))
        if spans is None or not _well_formed(spans):  # checked when used: most entries are not
            return None
        self.hits += 1
        return [tuple(span) for span in spans]  # type: ignore[misc]

    def put(self, quote: str, identity: str, spans: Spans) -> None:
        if self.folder is None:
            return
        key = entry_key(quote, identity)
        if key not in self.entries:
            self.entries[key] = self.new[key] = [list(span) for span in spans]  # type: ignore[misc]

    def take_new(self) -> dict[str, Spans]:
        """What this process found since the last call (a worker sends it to the parent)."""
        new, self.new = self.new, {}
        return new

    def merge(self, entries: dict[str, Spans]) -> None:
        for key, spans in entries.items():
            if key not in self.entries:
                self.entries[key] = self.new[key] = spans

    def _load(self) -> None:
        entries = read_signed(self.folder, FILE_NAME, self.key, matcher_version())
        if isinstance(entries, dict):
            self._entries = entries

    def save(self) -> None:
        """Write the file again if this run found anything new (temp file, then rename)."""
        if self.new and write_signed(self.folder, FILE_NAME, self.key, matcher_version(), self.entries):
            self.new = {}


def read_signed(folder: Path | None, name: str, key: bytes, version: str) -> object:
    """The payload of a signed cache file, or None if it is missing, corrupt, of another format
    or version, or not signed with this user's key (signing.py)."""
    if folder is None:
        return None
    body = read_sealed(folder / name, key, f"check/{name}", MAX_FILE_BYTES)
    if body is None:
        return None
    header, _, payload = body.partition(b"\n")
    try:
        meta = json.loads(header)
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("version") != version:
            return None
        return json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def write_signed(folder: Path | None, name: str, key: bytes, version: str, payload: object) -> bool:
    """Write a signed cache file (temporary file, then rename); False if it cannot be written."""
    if folder is None or folder.is_symlink() or folder.parent.is_symlink():
        return False
    header = json.dumps({"format": FORMAT, "version": version}).encode("ascii")
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return write_sealed(folder / name, key, f"check/{name}", header + b"\n" + body)


def _well_formed(spans: object) -> bool:
    return (isinstance(spans, list) and bool(spans) and all(
        isinstance(s, list) and len(s) == 2 and all(type(x) is int and x >= 0 for x in s) and s[0] <= s[1]
        for s in spans))
