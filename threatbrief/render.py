"""Assessment + charts -> one self-contained HTML page (Jinja2, Markdown sanitized with nh3).

The same HTML serves the browser and WeasyPrint: print CSS (`@page`) lays out the PDF.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import jinja2
from markupsafe import Markup, escape

from . import __version__, markup, tradecraft
from .charts import Chart
from .coverage import WEAK_GRADES
from .integrity import evidence_label, relay_names
from .model import Assessment, CheckedAssessment, Citation, Located, Registry, Source
from .files import NotReadable, read_regular
from .project import BUILTIN_TEMPLATES, Project, UnsafePath

CONTEXT_CHARS = 160
MAX_LOGO_BYTES = 512 * 1024


class _ProjectTemplates(jinja2.FileSystemLoader):
    """A project's templates/, refusing a template that links out of the project.

    Refused loudly rather than skipped: falling back to the built-in template would hide the
    project's override without a word.
    """

    def __init__(self, project: Project) -> None:
        super().__init__(str(project.templates_dir))
        self.project = project

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        found = super().get_source(environment, template)
        if not self.project.inside(Path(found[1])):
            raise UnsafePath(f"templates/{template} is a symbolic link out of the project: not read")
        return found


def environment(project: Project) -> jinja2.Environment:
    """The one Jinja2 environment: a project's own templates/ first, then the built-in ones."""
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([
            _ProjectTemplates(project),
            jinja2.FileSystemLoader(str(BUILTIN_TEMPLATES)),
        ]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(tradecraft=tradecraft, version=__version__)
    return env


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

    def markdown(self, text: str, numbers: dict[str, int]) -> Markup:
        """Markdown with [@id] markers -> sanitized HTML with endnote links (see markup.py)."""
        try:
            return Markup(markup.to_html(text, numbers, self.link))
        except RecursionError:  # check bounds nesting (L001); this is the last line of defence
            raise ValueError("a Markdown text is nested too deeply to render") from None


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
                if not path.is_file():
                    continue
                if isinstance(loader, _ProjectTemplates) and not loader.project.inside(path):
                    raise UnsafePath(f"templates/{name} is a symbolic link out of the project: not read")
                try:
                    data = read_regular(path, MAX_LOGO_BYTES)
                except NotReadable:
                    continue
                return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")
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
    evidence = [evidence_label(kj.citations, registry) for kj in assessment.key_judgments]  # as K004 reads it
    relays = {path: relay_names(path, registry) for path in assessment.cited_sources()}
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
        newest_evidence=evidence,
        relays=relays,
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
