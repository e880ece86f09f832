"""Text of a PDF as its reader sees it: page by page, running headers and footers dropped, words
the typesetter hyphenated across lines joined, pages separated by form feeds."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from functools import lru_cache
from importlib.metadata import version as _dist_version
from typing import Any

from threatbrief.limits import MAX_PDF_PAGES
from threatbrief.sources.extract import Extracted, NoText

RULES = 1  # bump when the post-processing here changes: cached extractions are then redone

# pdfium reports a "-" that ends a line as \x02 (U+FFFE from get_text_range) and drops the line
# break: put both back, so the matcher decides whether "state-\nsponsored" is one word or two.
_LINE_END_DASH = re.compile("[\x02\ufffe]\n?")
# A typesetter's hyphen (U+2010 from WeasyPrint's `hyphens: auto`, or a soft hyphen) between letters
# across a line break is not part of the word.
_SOFT_BREAK = re.compile(r"(?<=[^\W\d_])[\u2010\u00ad][ \t]*\n[ \t]*(?=[^\W\d_])")
_SOFT_AT_END = re.compile(r"(?<=[^\W\d_])[\u2010\u00ad]\s*\Z")
_WORD_AT_START = re.compile(r"\s*([^\W\d_]\S*)\s*")
_EDGE = 3  # lines at each end of a page where running headers and footers are looked for


@lru_cache(maxsize=1)
def version() -> str:
    """From the installed distribution, without loading PDFium: a warm check never needs it.
    Each pypdfium2 release bundles one PDFium build, so its version names both."""
    return f"pypdfium2 {_dist_version('pypdfium2')}, rules {RULES}"


def _open(data: bytes) -> Any:
    """The pdfium document, or NoText saying why the file cannot be opened."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    try:
        return pdfium.PdfDocument(data)
    except Exception as exc:
        if getattr(exc, "err_code", None) == raw.FPDF_ERR_PASSWORD:
            raise NoText(f"the PDF is password-protected (pdfium: {exc}): cite an unprotected copy") from exc
        raise NoText(f"not a readable PDF (pdfium: {exc}): save the file again, or cite another copy") from exc


def _page_texts(pdf: Any) -> tuple[list[str], int]:
    """Each page's text in logical order with newline line ends, and the number of characters seen."""
    texts, chars = [], 0
    for index in range(len(pdf)):
        page = pdf[index]
        try:
            textpage = page.get_textpage()
            try:
                chars += textpage.count_chars()
                text = textpage.get_text_bounded()  # full Unicode (get_text_range is UCS-2 only)
            finally:
                textpage.close()
        finally:
            page.close()
        texts.append(_LINE_END_DASH.sub("-\n", text.replace("\r\n", "\n").replace("\r", "\n")))
    return texts, chars


def _drop_running_lines(pages: list[list[str]]) -> None:
    """Remove headers and footers: edge lines that, digits masked, recur on half the pages or more.

    Both pages of two; at least three pages of more, so body text that merely repeats once stays.
    """
    if len(pages) < 2:
        return

    def edges(lines: list[str]) -> set[int]:
        filled = [i for i, line in enumerate(lines) if line.strip()]
        return set(filled[:_EDGE] + filled[-_EDGE:])

    def key(line: str) -> str:
        return re.sub(r"\d+", "#", " ".join(line.split()))

    counts = Counter(k for lines in pages for k in {key(lines[i]) for i in edges(lines)})
    needed = 2 if len(pages) == 2 else max(3, (len(pages) + 1) // 2)
    for lines in pages:
        drop = {i for i in edges(lines) if counts[key(lines[i])] >= needed}
        lines[:] = [line for i, line in enumerate(lines) if i not in drop]


def extract(data: bytes) -> Extracted:
    pdf = _open(data)
    if len(pdf) > MAX_PDF_PAGES:
        pages = len(pdf)
        pdf.close()
        raise NoText(f"the PDF has {pages:,} pages; threatbrief reads at most {MAX_PDF_PAGES:,}: "
                     "cite the part you quote, saved as its own PDF")
    try:
        texts, chars = _page_texts(pdf)
    except Exception as exc:
        raise NoText(f"not a readable PDF (pdfium: {exc}): save the file again, or cite another copy") from exc
    finally:
        pdf.close()
    if not chars or not any(text.strip() for text in texts):
        raise NoText("the PDF has no text layer (a scanned document?): threatbrief cannot quote it; "
                     "OCR is out of scope — cite a text version or an OCRed copy")
    return _assemble(texts)


def _assemble(texts: list[str]) -> Extracted:
    """The pages' texts, running lines and typesetters' hyphens removed, joined by form feeds."""
    pages = [text.split("\n") for text in texts]
    _drop_running_lines(pages)
    texts = [_SOFT_BREAK.sub("", "\n".join(lines).strip("\n")) for lines in pages]
    for i in range(1, len(texts)):  # a word hyphenated across pages goes whole to the first
        if _SOFT_AT_END.search(texts[i - 1]) and (word := _WORD_AT_START.match(texts[i])):
            texts[i - 1] = _SOFT_AT_END.sub("", texts[i - 1]) + word.group(1)
            texts[i] = texts[i][word.end():]
    starts, offset = [], 0
    for text in texts:
        starts.append(offset)
        offset += len(text) + 1
    return Extracted(text="\f".join(texts), pages=tuple(starts))


def _published(raw_date: str) -> str | None:
    """The date of a PDF date string: D:20240115093000+01'00' -> 2024-01-15 (or 2024-01, 2024)."""
    match = re.match(r"\s*(?:D:)?(\d{4})(\d{2})?(\d{2})?", raw_date)
    if not match:
        return None
    year, month, day = match.groups()
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return None
    return "-".join(part for part in (year, month, day) if part)


def metadata(data: bytes) -> dict[str, str]:
    try:
        pdf = _open(data)
        try:
            meta = pdf.get_metadata_dict(skip_empty=True)
        finally:
            pdf.close()
        found = {"title": meta.get("Title"), "author": meta.get("Author"),
                 "published": _published(meta.get("CreationDate") or "")}
        return {key: " ".join(value.split()) for key, value in found.items() if value and value.strip()}
    except Exception:  # only an offer to the user: nothing found is a fine answer
        return {}
