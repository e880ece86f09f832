"""Text of saved sources (HTML pages, PDFs): what a source's quotes are matched against.

The extraction libraries are imported only when a file is extracted, so importing this package
stays cheap for commands that never read a source.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Extracted:
    """The text a source's quotes are matched against."""

    text: str  # article text (HTML) or all pages' text (PDF); "\n" line ends only
    pages: tuple[int, ...] = ()  # PDF: offset in `text` where each page starts (pages[0] == 0)
    boilerplate: str = ""  # HTML: all visible text of the page, navigation and comments included


class NoText(ValueError):
    """The file has no text to quote (a scanned PDF, a page with no article text, a broken file).

    str(exc) is a complete, user-facing sentence saying what is wrong and what to do.
    """


_KINDS = {".html": "html", ".htm": "html", ".pdf": "pdf"}


@dataclass(frozen=True)
class Extractor:
    """Extracts one kind of file; the work is done by the module of the same name."""

    kind: str  # "html" or "pdf"

    def __post_init__(self) -> None:
        if self.kind not in ("html", "pdf"):
            raise ValueError(f"no extractor for {self.kind!r}")

    def _module(self):  # noqa: ANN202 - a module with version/extract/metadata
        return importlib.import_module(f"{__name__}.{self.kind}")

    def version(self) -> str:
        """Library versions and our rules' version: a cached extraction is stale when it changes."""
        return self._module().version()

    def extract(self, data: bytes) -> Extracted:
        """The text to match quotes against; raises NoText, and nothing else, on unusable input."""
        return self._module().extract(data)

    def metadata(self, data: bytes) -> dict[str, str]:
        """Title, author, published, url, sitename: only those found, to offer; never raises."""
        return self._module().metadata(data)


def extractor_for(suffix: str) -> Extractor | None:
    """The extractor for a file suffix (".html", ".htm", ".pdf", any case), or None."""
    kind = _KINDS.get(suffix.lower())
    return Extractor(kind) if kind else None
