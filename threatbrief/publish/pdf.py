"""HTML -> PDF with WeasyPrint, which may read nothing but the project's own files.

Imported only when a PDF is actually rendered: `import weasyprint` costs about half a second.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator
from urllib.request import url2pathname

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from threatbrief.project import PDF_VARIANT

_DATA_IMAGES = ("data:image/svg+xml", "data:image/png", "data:image/jpeg")


class ProjectFetcher(URLFetcher):
    """Serves files inside the project and inline images; refuses everything else, and says so."""

    def __init__(self, root: Path) -> None:
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)
        self.root = root.resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if url.startswith(_DATA_IMAGES):
            return super().fetch(url, headers)
        if url.startswith("file:"):
            path = Path(url2pathname(url.split("?", 1)[0].removeprefix("file:"))).resolve()
            if path.is_relative_to(self.root) and path.is_file():
                return URLFetcherResponse(url, path.read_bytes())
        self.refused.append(url[:200])
        raise ValueError(f"threatbrief refused to load {url[:200]!r}: only the project's own files may be used")


@contextmanager
def _source_date_epoch(day: str) -> Iterator[None]:
    """Pin the timestamps fontTools writes into subset fonts, so rebuilds are byte-identical."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    if previous is None:
        moment = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)


def _header_scopes(document: Any, pdf: Any) -> None:
    """PDF/UA: each header cell (/TH) gets the /Scope its HTML `scope` gives (row, else column).

    WeasyPrint tags <th> as /TH and lists header IDs on data cells, but writes no /Scope
    (Kozea/WeasyPrint#2508), and checkers that read /Scope find such tables undeterminable.
    Runs as WeasyPrint's finisher, on the structure elements it made (`box.mark`, WeasyPrint 70;
    tests/test_tables_index.py fails if a later version stores them elsewhere).
    """
    for page in document.pages:
        root = getattr(page, "_page_box", None)
        for box in root.descendants() if root is not None else ():
            element = getattr(box, "mark", None)
            if element is not None and box.element_tag == "th" and "A" in element:
                row = box.element.get("scope") in ("row", "rowgroup")
                element["A"]["Scope"] = "/Row" if row else "/Column"


def render_pdf(html: str, root: Path, day: str) -> tuple[bytes, list[str]]:
    """The PDF bytes and the URLs that were refused (to be reported as warnings)."""
    fetcher = ProjectFetcher(root)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    with _source_date_epoch(day):
        document = HTML(string=html, base_url=str(root) + os.sep, url_fetcher=fetcher)
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT, finisher=_header_scopes)
    return pdf, fetcher.refused
