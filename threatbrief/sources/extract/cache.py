"""The extraction cache: a source's text is extracted once per file content and extractor version.

Entries live in `.threatbrief/cache/extract/<sha256>.json` inside the project, a folder that
git-ignores itself. The entry's key is the original file's sha256 (the registry's hash); the
extractor's version is stored in it, so an upgrade re-extracts and says whether the text changed.

A cache inside the repository could be committed by anyone who can open a pull request, and a
forged entry would make a fabricated quote pass. So each entry is signed with a per-user key kept
outside the project (threatbrief/signing.py, shared with the chart cache); an entry without a
valid signature is ignored and replaced. Without a usable key nothing is cached: every check
extracts again, which is slower but never wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from threatbrief.signing import read_sealed, signing_key, write_sealed
from threatbrief.sources.extract import Extracted, Extractor

__all__ = ["ExtractionCache", "Result", "signing_key"]  # signing_key: where other caches first found it

FORMAT = 1
MAX_ENTRY_BYTES = 64 * 1024 * 1024  # the text of a 16 MB source, with its boilerplate, in JSON
PURPOSE = "extract"


@dataclass(frozen=True)
class Result:
    extracted: Extracted
    changed_from: str = ""  # the previous extractor's version, when an upgrade changed the text


class ExtractionCache:
    """Extracted texts by content hash; a cache that cannot be read or written is only slower."""

    def __init__(self, folder: Path | None, key: bytes | None) -> None:
        self.folder = folder if key else None
        self.key = key or b""
        self.extracted = 0  # extractions this run (a warm check of an unchanged corpus does none)

    @classmethod
    def for_project(cls, cache_dir: Path | None) -> "ExtractionCache":
        return cls(cache_dir / "extract" if cache_dir else None, signing_key() if cache_dir else None)

    def get(self, extractor: Extractor, sha256: str, data: bytes) -> Result:
        """The extracted text of `data` (whose hash is `sha256`); raises extract.NoText."""
        version = extractor.version()
        entry = self._load(sha256)
        if entry is not None and entry["extractor"] == version and entry["kind"] == extractor.kind:
            return Result(Extracted(entry["text"], tuple(entry["pages"]), entry["boilerplate"]))
        extracted = extractor.extract(data)
        self.extracted += 1
        self.put(sha256, extractor, version, extracted)
        if entry is not None and entry["kind"] == extractor.kind and entry["text"] != extracted.text:
            return Result(extracted, changed_from=entry["extractor"])
        return Result(extracted)

    def _path(self, sha256: str) -> Path | None:
        return self.folder / f"{sha256}.json" if self.folder else None

    def _load(self, sha256: str) -> dict | None:
        """A well-formed entry with a valid signature, or None (missing, foreign, damaged)."""
        path = self._path(sha256)
        if path is None:
            return None
        body = read_sealed(path, self.key, PURPOSE, MAX_ENTRY_BYTES)
        if body is None:
            return None
        try:
            entry = json.loads(body)
        except (ValueError, RecursionError):
            return None
        if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("sha256") != sha256:
            return None
        text, pages = entry.get("text"), entry.get("pages")
        if not (isinstance(text, str) and isinstance(entry.get("boilerplate"), str)
                and isinstance(entry.get("extractor"), str) and isinstance(entry.get("kind"), str)
                and isinstance(pages, list) and all(type(p) is int and 0 <= p <= len(text) for p in pages)):
            return None
        return entry

    def put(self, sha256: str, extractor: Extractor, version: str, extracted: Extracted) -> None:
        """Record `extracted` as what `extractor` at `version` made of the content `sha256`."""
        path = self._path(sha256)
        if path is None:
            return
        body = json.dumps({
            "format": FORMAT, "sha256": sha256, "kind": extractor.kind, "extractor": version,
            "text": extracted.text, "pages": list(extracted.pages), "boilerplate": extracted.boilerplate,
        }, ensure_ascii=False, sort_keys=True).encode("utf-8")
        write_sealed(path, self.key, PURPOSE, body)  # False on a read-only checkout: the next run extracts again
