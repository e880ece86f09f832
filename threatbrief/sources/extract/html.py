"""Text of a saved web page: its article (where a quote should come from) and all its visible text
(to tell a quote from the page's navigation, sidebars or comments from one not on the page)."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import version as _dist_version

from threatbrief.sources.extract import Extracted, NoText

RULES = 1  # bump when the post-processing here changes: cached extractions are then redone

# Markup that states a date outright (meta tags, JSON-LD, microdata, <time datetime>). Without
# it, htmldate may take a date from the title or the text, which we would rather not offer.
_DATE_MARKUP = (
    "//meta[re:test(concat(@property, @name, @itemprop, @http-equiv), 'date|time|published|issued', 'i')]"
    "|//*[@itemprop][re:test(@itemprop, 'date', 'i')]|//time[@datetime]"
    "|//script[@type='application/ld+json'][contains(., 'datePublished') or contains(., 'dateCreated')]"
)
_REGEX_NS = {"re": "http://exslt.org/regular-expressions"}


@lru_cache(maxsize=1)
def version() -> str:
    return f"trafilatura {_dist_version('trafilatura')}, resiliparse {_dist_version('resiliparse')}, rules {RULES}"


def _decode(data: bytes) -> str:
    """One decoding (meta charset, else detected) for both extractors, so they agree on every character."""
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    return bytes_to_str(data, detect_encoding(data, from_html_meta=True), errors="replace")


def _lines(text: str) -> str:
    """Newline line ends only, no blank lines, no spaces around lines: one paragraph a line."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def extract(data: bytes) -> Extracted:
    import trafilatura
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    try:
        page = _decode(data)
        article = trafilatura.extract(
            page, output_format="txt", include_comments=False, include_tables=True, include_images=False,
            include_links=False, include_formatting=False, deduplicate=False, with_metadata=False,
        )
        everything = extract_plain_text(
            HTMLTree.parse(page), preserve_formatting=True, main_content=False, list_bullets=False,
            alt_texts=False, links=False, form_fields=False, noscript=False, comments=True,
        ) if article else ""
    except Exception as exc:  # the libraries' errors on malformed input are many and undocumented
        raise NoText(f"the page could not be read as HTML ({type(exc).__name__}: {exc}): "
                     "save the article page again, or save it as text") from exc
    text = _lines(article or "")
    if not text:
        raise NoText("no article text found in the page: save the article page itself, or save it as text")
    return Extracted(text=text, boilerplate=_lines(everything))


def metadata(data: bytes) -> dict[str, str]:
    try:
        import trafilatura

        tree = trafilatura.load_html(_decode(data))
        if tree is None:
            return {}
        explicit_date = bool(tree.xpath(_DATE_MARKUP, namespaces=_REGEX_NS))
        doc = trafilatura.extract_metadata(tree, extensive=False)
        found = {"title": doc.title, "author": doc.author, "published": doc.date if explicit_date else None,
                 "url": doc.url, "sitename": doc.sitename}
        return {key: " ".join(value.split()) for key, value in found.items() if isinstance(value, str) and value.strip()}
    except Exception:  # only an offer to the user: nothing found is a fine answer
        return {}
