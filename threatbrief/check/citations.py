"""Verify every citation of an assessment against the registry and the source texts."""

from __future__ import annotations

import re
import textwrap

from threatbrief import markup
from threatbrief.diagnostics import Diagnostic
from threatbrief.load.placeholders import in_citation
from threatbrief.load.yamlfile import YamlDoc
from threatbrief.markup import MARKER
from threatbrief.model import Assessment, Citation, Located, Registry
from threatbrief.sources.library import SourceLibrary, SourceText, did_you_mean
from threatbrief.sources.quotes import MIN_QUOTE_CHARS, closest, locate, normalize, verifiable_length


def check_assessment(
    assessment: Assessment, doc: YamlDoc, registry: Registry | None, library: SourceLibrary
) -> tuple[list[Diagnostic], dict[int, Located]]:
    """All citation problems of one assessment, and where each good quote stands in its source."""
    problems = _check_ids(assessment, doc)
    problems += _check_markers(assessment, doc)
    problems += _check_markdown(assessment, doc)
    locations: dict[int, Located] = {}
    for citation in assessment.citations:
        if in_citation(citation):
            continue  # "[[TODO: …]]" is reported once, as P001; verifying it would only add noise
        located, citation_problems = _check_citation(citation, assessment.path, registry, library)
        problems += citation_problems
        if located:
            locations[citation.number] = located
    return problems, locations


def _at(path: str, mark: tuple[int, int], code: str, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic(path, mark[0], mark[1], code, message, hint)


def _check_citation(
    citation: Citation, path: str, registry: Registry | None, library: SourceLibrary
) -> tuple[Located | None, list[Diagnostic]]:
    source, code, message = library.get(citation.source)
    if source is None:
        hint = did_you_mean(citation.source, library.available()) if code == "S002" else ""
        return None, [_at(path, citation.source_mark, code, message, hint)]
    problems = []
    if registry is not None and citation.source not in registry.sources:
        problems.append(_at(path, citation.source_mark, "S003", f"sources/{citation.source} is not in the source registry",
                            f"add an entry for it to {registry.path}"))
    if verifiable_length(citation.quote) < MIN_QUOTE_CHARS:
        problems.append(_at(path, citation.quote_mark, "C002",
                            f"quote {citation.quote!r} is too short to verify (under {MIN_QUOTE_CHARS} characters)",
                            "quote the whole clause that supports the claim"))
    spans = library.verified.get(citation.quote, source.identity)
    if spans is None or spans[-1][1] > len(source.text):
        spans = locate(citation.quote, source.text, lambda: source.normalized, lambda: source.folded)
        if spans is not None:
            library.verified.put(citation.quote, source.identity, spans)
    if spans is None:
        problems.append(_not_found(citation, path, source, registry, library))
        return None, problems
    return source.located(spans), problems


def _not_found(citation: Citation, path: str, source: SourceText, registry: Registry | None,
               library: SourceLibrary) -> Diagnostic:
    """C001 with the closest passage and how it differs; C005 for a web page's boilerplate."""
    if source.boilerplate and locate(citation.quote, source.boilerplate, lambda: normalize(source.boilerplate)):
        return _at(path, citation.quote_mark, "C005",
                   f"quote is in the navigation, sidebars, comments or footer of sources/{source.path}, "
                   "not in its article text",
                   "cite what the article itself reports: a comment or a 'most read' headline is not the source's "
                   "reporting (threatbrief reads the article with trafilatura)")
    miss = closest(citation.quote, source.normalized, source.text)
    hint = [f"closest passage ({miss.similarity:g} % similar) at {source.where(miss.start)}:",
            *textwrap.wrap(f'"{miss.passage}"', 96, initial_indent="  ", subsequent_indent="   ")]
    hint += miss.differences
    elsewhere = _found_elsewhere(citation, registry, library)
    if elsewhere:
        hint.insert(0, f"the quote is in {elsewhere}: did you cite the wrong file?")
    return _at(path, citation.quote_mark, "C001", f"quote not found in sources/{source.path}", "\n".join(hint))


def _found_elsewhere(citation: Citation, registry: Registry | None, library: SourceLibrary) -> str:
    """`sources/x.txt:3:12` where another registered source holds the quote, or ''."""
    if registry is None:
        return ""
    words = sorted(re.findall(r"[A-Za-z0-9]{4,}", citation.quote), key=len, reverse=True)
    for path in sorted(registry.sources):
        if path == citation.source:
            continue
        other, _, _ = library.get(path)
        if other is None or (words and words[0] not in other.text):  # cheap filter before matching
            continue
        spans = locate(citation.quote, other.text, lambda: other.normalized, lambda: other.folded)
        if spans:
            return other.where(spans[0][0])
    return ""


def _check_ids(assessment: Assessment, doc: YamlDoc) -> list[Diagnostic]:
    problems = []
    seen: dict[str, Citation] = {}
    for citation in assessment.citations:
        if citation.id is None:
            continue
        if citation.id in seen:
            first = seen[citation.id].quote_mark[0]
            problems.append(doc.diagnostic(citation.yaml_path + ("id",), "C004",
                                           f"citation id {citation.id!r} is already used (line {first})",
                                           "give each citation its own id"))
        else:
            seen[citation.id] = citation
    incident_ids: dict[str, int] = {}
    for incident in assessment.incidents:
        if incident.id in incident_ids:
            problems.append(doc.diagnostic(incident.yaml_path + ("id",), "A001",
                                           f"incident id {incident.id!r} is already used by incident {incident_ids[incident.id] + 1}",
                                           "one incident is one record: merge the two, citing every source"))
        incident_ids.setdefault(incident.id, int(incident.yaml_path[1]))
    return problems


def _markdown_texts(assessment: Assessment) -> list[tuple[tuple[str | int, ...], str]]:
    return [(("summary",), assessment.summary)] + [(s.yaml_path + ("body",), s.body) for s in assessment.sections]


def _check_markdown(assessment: Assessment, doc: YamlDoc) -> list[Diagnostic]:
    """Links, images and limits of the Markdown texts, each at its line (see markup.py)."""
    problems = []
    for path, text in _markdown_texts(assessment):
        for problem in markup.problems(text):
            line, col = doc.offset_mark(path, problem.offset)
            problems.append(Diagnostic(doc.path, line, col, problem.code, problem.message, problem.hint))
    return problems


def _check_markers(assessment: Assessment, doc: YamlDoc) -> list[Diagnostic]:
    known = {c.id for c in assessment.citations if c.id}
    problems = []
    for path, text in _markdown_texts(assessment):
        for match in MARKER.finditer(text):
            if match.group(1) not in known:
                line, col = doc.offset_mark(path, match.start())
                hint = did_you_mean(match.group(1), sorted(known)) or "define it with 'id:' on a citation"
                problems.append(Diagnostic(doc.path, line, col, "C003", f"[@{match.group(1)}] names no citation", hint))
    return problems
