"""Assessment + charts -> one self-contained HTML page (Jinja2, Markdown sanitized with nh3).

The same HTML serves the browser and WeasyPrint: print CSS (`@page`) lays out the PDF.
"""

from __future__ import annotations

import base64
import itertools
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import jinja2
from markupsafe import Markup, escape

from threatbrief import __version__, markup, tradecraft
from threatbrief.check.integrity import evidence_label, relay_names
from threatbrief.files import NotReadable, read_regular
from threatbrief.model import Assessment, CheckedAssessment, Citation, Located, Registry, Source
from threatbrief.project import BUILTIN_TEMPLATES, Project, UnsafePath
from threatbrief.publish.charts import Chart
from threatbrief.tradecraft import WEAK_GRADES

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


_ENVIRONMENTS: dict[tuple[str, tuple[tuple[str, int, int, int, bool], ...]], jinja2.Environment] = {}  # per-process memo


def _templates_state(folder: Path) -> tuple[tuple[str, int, int, int, bool], ...]:
    """Every entry under a project's templates/ with its inode, size, mtime and whether it is a link."""
    state = []
    for top, dirs, files in os.walk(folder):
        for name in sorted(dirs + files):
            path = os.path.join(top, name)
            try:
                info = os.lstat(path)
            except OSError:
                continue
            state.append((os.path.relpath(path, folder), info.st_ino, info.st_size, info.st_mtime_ns,
                          os.path.islink(path)))
    return tuple(sorted(state))


def environment(project: Project) -> jinja2.Environment:
    """The one Jinja2 environment: a project's own templates/ first, then the built-in ones.

    Kept per process while the project's templates/ is unchanged (a template added, removed,
    edited or replaced by a link means a new one), so that a worker compiles each template once
    for all the briefings it renders rather than once per briefing.
    """
    key = (str(project.root), _templates_state(project.templates_dir))
    env = _ENVIRONMENTS.get(key)
    if env is None:
        if len(_ENVIRONMENTS) >= 8:
            _ENVIRONMENTS.pop(next(iter(_ENVIRONMENTS)))
        env = _ENVIRONMENTS[key] = _new_environment(project)
    return env


def _new_environment(project: Project) -> jinja2.Environment:
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
    env.globals.update(tradecraft=tradecraft, version=__version__, script_attrs=script_attrs)
    return env


WORD_JOINER = "\u2060"  # no line break on either side: a citation never starts a line


def number_runs(numbers: Iterable[int]) -> list[tuple[int, int]]:
    """Distinct numbers, sorted, as runs of consecutive ones: 1 2 4 5 6 -> (1, 2), (4, 6)."""
    runs: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


class CiteLinks:
    """Endnote links, compressed as citation styles do: [1][2][4] -> [1, 2, 4], [41]…[45] -> [41–45].

    Every number shown links to its note (a range links its two ends). The first mention of each
    note carries the id the appendix links back to, `ref-N`; for the inside of a range, an empty span.
    A word joiner ties the group to the word before it, and `.cite` does not wrap inside.
    """

    def __init__(self) -> None:
        self.anchored: set[int] = set()

    def _anchor(self, number: int) -> str:
        if number in self.anchored:
            return ""
        self.anchored.add(number)
        return f' id="ref-{number}"'

    def _link(self, number: int) -> str:
        return f'<a href="#cite-{number}"{self._anchor(number)} role="doc-noteref">{number}</a>'

    def group(self, numbers: Iterable[int]) -> str:
        parts = []
        for first, last in number_runs(numbers):
            if last - first < 2:
                parts += [self._link(n) for n in range(first, last + 1)]
                continue
            start = self._link(first)  # the inside of a range: empty anchors before its dash (not nested)
            inside = "".join(f"<span{anchor}></span>" for n in range(first + 1, last) if (anchor := self._anchor(n)))
            parts.append(f"{start}{inside}\u2013{self._link(last)}")
        return f'{WORD_JOINER}<sup class="cite">[{", ".join(parts)}]</sup>' if parts else ""

    def link(self, number: int) -> str:
        return self.group([number])

    def links(self, citations: list[Citation]) -> Markup:
        return Markup(self.group(c.number for c in citations))

    def markdown(self, text: str, numbers: dict[str, int]) -> Markup:
        """Markdown with [@id] markers -> sanitized HTML with endnote links (see markup.py)."""
        try:
            return Markup(markup.to_html(text, numbers, self.link, cite_run=self.group))
        except RecursionError:  # check bounds nesting (L001); this is the last line of defence
            raise ValueError("a Markdown text is nested too deeply to render") from None


@dataclass(frozen=True)
class Passage:
    """One distinct cited passage (a source, a span) in its context, with every citation of it.

    `segments` are plain and highlighted (quoted) text; the context is about one sentence either
    side (see _context_start), at most CONTEXT_CHARS, cut at a word with "…" where it is cut short.
    """

    citations: tuple[Citation, ...]  # in endnote order
    source: Source | None
    located: Located
    segments: list[tuple[str, bool]]
    truncated_before: bool
    truncated_after: bool

    @property
    def citation(self) -> Citation:
        return self.citations[0]

    @property
    def credibility(self) -> int | None:
        """The information credibility all its citations give, or None (none, or they differ)."""
        grades = {c.credibility for c in self.citations}
        return grades.pop() if len(grades) == 1 else None

    @property
    def credibility_differs(self) -> bool:
        return len({c.credibility for c in self.citations}) > 1

    @property
    def lang(self) -> str:
        """The source's language (BCP 47), so browsers, screen readers and the PDF's fonts treat
        the passage as what it is; '' when the source is not registered."""
        return self.source.language if self.source else ""

    @property
    def direction(self) -> str:
        """'rtl' for a passage in Arabic script (Pashto, Dari, Urdu…) or Hebrew, else 'ltr'."""
        return text_direction("".join(text for text, _ in self.segments))

    @property
    def translations(self) -> list[tuple[Citation, str]]:
        """The analyst's translations of the passage, each once, with the citation giving it."""
        seen: dict[str, Citation] = {}
        for c in self.citations:
            if c.translation and c.translation not in seen:
                seen[c.translation] = c
        return [(c, text) for text, c in seen.items()]


def script_attrs(text: str, lang: str) -> Markup:
    """` lang=".." dir="rtl"` for a text in a non-Latin script (a source's own title in Chinese or
    Pashto), so it gets the right font and direction; nothing for a Latin one, which may well be
    the analyst's English description of a source in another language."""
    if not any(ch.isalpha() and ch > "\u024f" for ch in text):
        return Markup("")
    rtl = ' dir="rtl"' if text_direction(text) == "rtl" else ""
    return Markup(f' lang="{escape(lang)}"{rtl}')


def text_direction(text: str) -> str:
    """The direction of the first strongly directional character: how the Unicode bidi algorithm
    would lay out a paragraph of it (its P2 rule)."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s)")  # the end of a sentence: . ! ? … and closing marks
_SPACE = re.compile(r"\s+")


def _context_start(text: str, start: int) -> tuple[int, bool]:
    """Where the context before `start` begins, and whether it is cut short there.

    One sentence: the beginning of the quote's own sentence, or the sentence before it when the
    quote begins one; never before the start of the line, never more than CONTEXT_CHARS back. Past
    those, it begins at the first word inside the CONTEXT_CHARS, and is cut short.
    """
    window = max(0, start - CONTEXT_CHARS)
    line = text.rfind("\n", window, start)
    if line >= 0:
        window = line + 1
    starts = []
    for sentence in _SENTENCE_END.finditer(text, window, start):
        space = _SPACE.match(text, sentence.end(), start)
        starts.append(space.end() if space else sentence.end())
    if starts and starts[-1] >= start:  # the quote begins a sentence: show the one before
        starts.pop()
    if starts:
        return starts[-1], False
    if line >= 0 or window == 0:
        return window, False
    if text[window - 1].isspace():
        return window, True
    space = _SPACE.search(text, window, start)
    return (space.end() if space else window), True


def _context_end(text: str, end: int) -> tuple[int, bool]:
    """Where the context after `end` stops, and whether it is cut short there.

    One sentence: the rest of the quote's own sentence, or the sentence after it when the quote
    ends one; within the line and CONTEXT_CHARS, else cut short at the last word inside them.
    """
    window = min(len(text), end + CONTEXT_CHARS)
    line = text.find("\n", end, window)
    if line >= 0:
        window = line
    ends = [sentence.end() for sentence in _SENTENCE_END.finditer(text, max(0, end - 4), min(len(text), window + 1))
            if end <= sentence.end() <= window]  # from end - 4: the quote may end with its sentence's full stop
    if ends and ends[0] == end:  # the quote ends a sentence: show the one after
        ends.pop(0)
    if ends:
        return ends[0], False
    if line >= 0 or window == len(text):
        return window, False
    if text[window].isspace():
        return window, True
    spaces = [m.start() for m in _SPACE.finditer(text, end, window)]
    return (spaces[-1] if spaces else window), True


def passage(citations: list[Citation], located: Located, text: str, source: Source | None) -> Passage:
    start, end = located.spans[0][0], located.spans[-1][1]
    lo, cut_before = _context_start(text, start)
    hi, cut_after = _context_end(text, end)
    segments: list[tuple[str, bool]] = []
    cursor = lo
    for span_start, span_end in located.spans:
        segments.append((text[cursor:span_start], False))
        segments.append((text[span_start:span_end], True))
        cursor = span_end
    segments.append((text[cursor:hi], False))
    return Passage(tuple(citations), source, located, _close_cjk_gaps([s for s in segments if s[0]]),
                   cut_before, cut_after)


def _close_cjk_gaps(segments: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """Line breaks and spaces that extraction left between Chinese (or Japanese) characters, which
    the matcher ignores, taken out of the passage as shown: a reader sees "中国公民", not "中国公 民"."""
    from threatbrief.sources.quotes import is_cjk

    def gap(text: str, start: int, end: int) -> bool:
        return 0 < start and end < len(text) and is_cjk(text[start - 1]) and is_cjk(text[end])

    joined = "".join(text for text, _ in segments)
    if not any(is_cjk(ch) for ch in joined):
        return segments
    keep = [True] * len(joined)
    for match in re.finditer(r"\s+", joined):
        if gap(joined, *match.span()):
            keep[match.start():match.end()] = [False] * (match.end() - match.start())
    result, offset = [], 0
    for text, hit in segments:
        shown = "".join(ch for ch, kept in zip(text, keep[offset:offset + len(text)]) if kept)
        offset += len(text)
        if shown:
            result.append((shown, hit))
    return result


@dataclass(frozen=True)
class AppendixSource:
    """The appendix part of one cited source: its distinct passages, in the order they stand in it."""

    path: str
    source: Source | None
    passages: list[Passage]


def appendix(checked: CheckedAssessment, registry: Registry, source_texts: dict[str, str]) -> list[AppendixSource]:
    """Cited passages grouped by source (registry order), each distinct span once with all its citations."""
    by_source: dict[str, dict[tuple[tuple[int, int], ...], list[tuple[Citation, Located]]]] = {}
    for c, located in checked.iter_citations():
        span = tuple((a, b) for a, b in located.spans)
        by_source.setdefault(c.source, {}).setdefault(span, []).append((c, located))
    order = [path for path in registry.sources if path in by_source] + sorted(set(by_source) - set(registry.sources))
    groups = []
    for path in order:
        source = registry.sources.get(path)
        passages = [passage([c for c, _ in cites], cites[0][1], source_texts[path], source)
                    for _, cites in sorted(by_source[path].items())]
        groups.append(AppendixSource(path, source, passages))
    return groups


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
    passages = [  # one per citation, as project templates written before the grouped appendix read it
        passage([c], located, source_texts[c.source], registry.sources.get(c.source))
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
        appendix=appendix(checked, registry, source_texts),
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
    incident = next(i for i in assessment.incidents if any(c.number == citation.number for c in i.citations))
    return f"Incident: {incident.title}"


def index_html(env: jinja2.Environment, entries: list[dict[str, Any]], dataset: tuple[str, ...] = ()) -> str:
    """The list of briefings, newest first and grouped by year, from each one's index entry
    (`plan.index_entry`, with the formats built: `formats`), and links to the overview and the
    exports of incidents/ that were built (`dataset`: their file names)."""
    items = sorted(sorted(entries, key=lambda e: e["title"]), key=lambda e: e["date"], reverse=True)
    years = [(year, list(group)) for year, group in itertools.groupby(items, key=lambda e: e["date"][:4])]
    return env.get_template("index.html.j2").render(assessments=items, years=years, dataset=dataset)
