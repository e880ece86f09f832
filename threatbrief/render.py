"""Assessment + charts -> one self-contained HTML page (Jinja2, Markdown sanitized with nh3).

The same HTML serves the browser and WeasyPrint: print CSS (`@page`) lays out the PDF.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import markdown
import nh3
from markupsafe import Markup, escape

from . import __version__, tradecraft
from .charts import Chart
from .citations import MARKER
from .coverage import WEAK_GRADES
from .model import Assessment, CheckedAssessment, Citation, Located, Registry, Source
from .project import BUILTIN_TEMPLATES, Project

CONTEXT_CHARS = 160

_ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "b", "i", "u", "s", "sup", "sub", "code", "pre", "blockquote",
    "ul", "ol", "li", "dl", "dt", "dd", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th",
    "td", "a", "abbr", "span",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}
_TOKEN = re.compile(r"⟦cite:(\d+)⟧")


def environment(project: Project) -> jinja2.Environment:
    """The one Jinja2 environment: a project's own templates/ first, then the built-in ones."""
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([
            jinja2.FileSystemLoader(str(project.templates_dir)),
            jinja2.FileSystemLoader(str(BUILTIN_TEMPLATES)),
        ]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(tradecraft=tradecraft, version=__version__)
    return env


def sanitize(html: str) -> str:
    """Allow-list sanitizing: no scripts, handlers, iframes, forms, images or remote resources."""
    return nh3.clean(html, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")


class CiteLinks:
    """Endnote links; the first link to each note gets the id the appendix links back to."""

    def __init__(self) -> None:
        self.anchored: set[int] = set()

    def link(self, number: int) -> str:
        anchor = ""
        if number not in self.anchored:
            self.anchored.add(number)
            anchor = f' id="ref-{number}"'
        return f'<sup class="cite"><a href="#cite-{number}"{anchor} role="doc-noteref">[{number}]</a></sup>'

    def links(self, citations: list[Citation]) -> Markup:
        return Markup("".join(self.link(c.number) for c in citations))

    def markdown(self, text: str, numbers: dict[str, int], shift_headings: int = 2) -> Markup:
        """Markdown with [@id] markers -> sanitized HTML with endnote links.

        Markers become tokens that Markdown and the sanitizer leave alone, and only then our own
        trusted link markup, so no author text reaches the page unsanitized.
        """
        tokenized = MARKER.sub(lambda m: f"⟦cite:{numbers[m.group(1)]}⟧" if m.group(1) in numbers else m.group(0), text)
        tokenized = re.sub(r"[ \t]*\n?[ \t]*(?=⟦cite:)", "", tokenized)  # markers hug the word they source
        html = markdown.markdown(tokenized, extensions=["tables", "sane_lists"], output_format="html")
        for level in range(6 - shift_headings, 0, -1):
            html = re.sub(rf"<(/?)h{level}\b", rf"<\1h{level + shift_headings}", html)
        return Markup(_TOKEN.sub(lambda m: self.link(int(m.group(1))), sanitize(html)))


@dataclass(frozen=True)
class Passage:
    """A cited passage in its source context, split into plain and highlighted segments."""

    citation: Citation
    source: Source | None
    located: Located
    segments: list[tuple[str, bool]]
    truncated_before: bool
    truncated_after: bool


def passage(citation: Citation, located: Located, text: str, source: Source | None) -> Passage:
    start, end = located.spans[0][0], located.spans[-1][1]
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    lo = max(line_start, start - CONTEXT_CHARS)
    hi = min(line_end, end + CONTEXT_CHARS)
    segments: list[tuple[str, bool]] = []
    cursor = lo
    for span_start, span_end in located.spans:
        segments.append((text[cursor:span_start], False))
        segments.append((text[span_start:span_end], True))
        cursor = span_end
    segments.append((text[cursor:hi], False))
    return Passage(citation, source, located, [s for s in segments if s[0]], lo > line_start, hi < line_end)


def logo_data_uri(env: jinja2.Environment) -> str:
    """A project's `templates/logo.svg` (or .png), inlined for the cover; '' when there is none."""
    for name, mime in (("logo.svg", "image/svg+xml"), ("logo.png", "image/png")):
        for loader in env.loader.loaders:  # type: ignore[union-attr]
            for folder in loader.searchpath:
                path = Path(folder) / name
                if path.is_file() and path.stat().st_size <= 512 * 1024:
                    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")
    return ""


def chart_data_uri(chart: Chart) -> str:
    """Charts go in as data: URIs, so ids and <style> of several SVGs cannot collide on one page."""
    return "data:image/svg+xml;base64," + base64.b64encode(chart.svg.encode("utf-8")).decode("ascii")


def briefing_html(
    env: jinja2.Environment, checked: CheckedAssessment, registry: Registry, charts: list[Chart],
    source_texts: dict[str, str],
) -> str:
    assessment = checked.assessment
    numbers = {c.id: c.number for c in assessment.citations if c.id}
    passages = [
        passage(c, located, source_texts[c.source], registry.sources.get(c.source))
        for c, located in checked.iter_citations()
    ]
    cited_for: dict[str, dict[str, list[int]]] = {}  # source -> what it supports -> endnote numbers
    for c in assessment.citations:
        cited_for.setdefault(c.source, {}).setdefault(_owner(assessment, c), []).append(c.number)
    sources = [(registry.sources[path], cited_for[path]) for path in assessment.cited_sources() if path in registry.sources]
    weak = {i for i, kj in enumerate(assessment.key_judgments)
            if kj.citations and {registry.sources[c.source].reliability for c in kj.citations
                                 if c.source in registry.sources} <= WEAK_GRADES}
    attacks = sorted((i for i in assessment.incidents if i.kind == "attack"), key=lambda i: i.date.sort_key())
    others = sorted((i for i in assessment.incidents if i.kind != "attack"), key=lambda i: i.date.sort_key())
    cites = CiteLinks()
    return env.get_template("briefing.html.j2").render(
        a=assessment,
        md=lambda text: cites.markdown(text, numbers),
        cite_links=cites.links,
        logo=logo_data_uri(env),
        sections_unreferenced=lambda s: [c for c in s.citations if not c.id or f"[@{c.id}]" not in s.body],
        attacks=attacks,
        other_incidents=others,
        charts=charts,
        chart_uri=chart_data_uri,
        passages=passages,
        sources=sources,
        weak_judgments=weak,
        escape=escape,
    )


def _owner(assessment: Assessment, citation: Citation) -> str:
    """What a citation supports, as the source table names it."""
    kind, index = citation.yaml_path[0], citation.yaml_path[1]
    assert isinstance(index, int)
    if kind == "key_judgments":
        return f"Key judgment {index + 1}"
    if kind == "sections":
        return assessment.sections[index].title
    return f"Incident: {assessment.incidents[index].title}"


def index_html(env: jinja2.Environment, entries: list[dict[str, Any]]) -> str:
    """The list of briefings, newest first, from each one's index entry (see pipeline.index_entry)."""
    items = sorted(sorted(entries, key=lambda e: e["title"]), key=lambda e: e["date"], reverse=True)
    return env.get_template("index.html.j2").render(assessments=items)
