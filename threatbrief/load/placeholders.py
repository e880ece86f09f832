"""Placeholders (`[[TODO: what to write]]`) that `new` and `add-source` leave for the analyst.

Each one left in an assessment or in the registry is an error, P001, at its line. A placeholder
also makes other rules meaningless where it stands (a quote "[[TODO: …]]" is of course not in any
source, a judgment citing it rests on no known source), so those are dropped here: the analyst
sees one error per thing to write, not three.
"""

from __future__ import annotations

from typing import Any

from threatbrief.diagnostics import Diagnostic
from threatbrief.load.schema import dotted
from threatbrief.load.yamlfile import JsonPath, YamlDoc
from threatbrief.model import Assessment, Citation

MARK = "[[TODO"
_SHOWN = 120  # characters of a placeholder quoted in a message

# Rules that read an incident's facts against its quotes (facts.py): field -> code.
_FACT_CODES = {"killed": "F001", "wounded": "F001", "province": "F002", "district": "F002", "place": "F002",
               "perpetrator": "F003"}


def placeholder(what: str) -> str:
    """The placeholder asking for `what`: `[[TODO: what]]`."""
    return f"{MARK}: {what}]]"


def in_citation(citation: Citation) -> bool:
    """Whether a citation's source or quote is still to be written (it is not verified then)."""
    return MARK in citation.source or MARK in citation.quote


def texts(value: str) -> list[str]:
    """Each placeholder in `value`, as written (cut when it has no closing ']]' nearby).

    Plain string search, no regex: it runs on every string of every file an author wrote.
    """
    found, start = [], value.find(MARK)
    while start != -1:
        end = value.find("]]", start + len(MARK), start + 2 * _SHOWN)
        if end == -1:
            found.append(value[start:start + _SHOWN] + "…")
            start = value.find(MARK, start + len(MARK))
        else:
            found.append(value[start:end + 2])
            start = value.find(MARK, end + 2)
    return found


def _strings(data: Any) -> list[tuple[JsonPath, str]]:
    """Every string value holding a placeholder, with its path (an explicit stack, no recursion)."""
    if not _any_mark(data):
        return []  # most files: no path need be built
    found, stack = [], [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if MARK in value:
                found.append((path, value))
        elif isinstance(value, dict):
            stack.extend((path + (key,), item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((path + (i,), item) for i, item in enumerate(value))
    return sorted(found, key=lambda item: [str(part) for part in item[0]])


def _any_mark(data: Any) -> bool:
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if MARK in value:
                return True
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def find(doc: YamlDoc, label: Any = None) -> list[Diagnostic]:
    """P001 for every string value of `doc` that holds a placeholder, at the placeholder's line.

    `label(path)` may add words naming what the path is about (the registry names the file).
    """
    problems = []
    for path, value in _strings(doc.data):
        shown = texts(value)
        line, col = doc.offset_mark(path, value.find(MARK))
        more = f" (and {len(shown) - 1} more)" if len(shown) > 1 else ""
        about = label(path) if label else ""
        problems.append(Diagnostic(doc.path, line, col, "P001",
                                   f"{dotted(path)}{about}: replace the placeholder \"{shown[0]}\"{more}"))
    return problems


def _explained_schema_errors(problems: list[Diagnostic], doc: YamlDoc) -> list[Diagnostic]:
    """Schema errors (Y010) about a value that is a placeholder: '[[TODO: A-F]]' is not a grade, but
    the one thing to say is that the grade is still to be written (P001)."""
    where = {dotted(path) for path, _ in _strings(doc.data)}
    return [p for p in problems
            if not (p.code == "Y010" and p.path == doc.path and p.message.split(": ", 1)[0] in where)]


def in_assessment(doc: YamlDoc | None, problems: list[Diagnostic]) -> list[Diagnostic]:
    """The loading problems of an assessment, placeholders first reported as P001."""
    if doc is None:
        return problems
    found = find(doc)
    return found + _explained_schema_errors(problems, doc)


def in_registry(doc: YamlDoc | None, problems: list[Diagnostic]) -> list[Diagnostic]:
    """The loading problems of sources/sources.yaml, placeholders reported as P001."""
    if doc is None or not any(MARK in line for line in doc.lines):
        return problems
    data = doc.data

    def label(path: JsonPath) -> str:
        if len(path) > 2 and path[0] == "sources" and isinstance(data, dict) and isinstance(data.get("sources"), list):
            entry = data["sources"][path[1]]
            if isinstance(entry, dict) and isinstance(entry.get("path"), str) and MARK not in entry["path"]:
                return f" (sources/{entry['path']})"
        return ""

    found = find(doc, label)
    return found + _explained_schema_errors(problems, doc)


def quiet(problems: list[Diagnostic], assessment: Assessment, doc: YamlDoc) -> list[Diagnostic]:
    """`problems` without those a placeholder explains: facts, coverage and wording read against a
    value or a quote that is not written yet. Each such problem is dropped at its own place only."""
    explained: set[tuple[str, int, int]] = set()
    for i, kj in enumerate(assessment.key_judgments):
        line, col = doc.mark(("key_judgments", i, "text"))
        if any(in_citation(c) for c in kj.citations):
            explained |= {("K001", line, col), ("K002", line, col)}
        if MARK in kj.text:
            explained |= {("T001", line, col), ("T002", line, col)}
    for i, section in enumerate(assessment.sections):
        if MARK in section.body:
            explained.add(("C011", *doc.mark(("sections", i, "title"))))
    for incident in assessment.incidents:
        unwritten_quote = any(in_citation(c) for c in incident.citations)
        for field, code in _FACT_CODES.items():
            value = getattr(incident, field)
            if unwritten_quote or (isinstance(value, str) and MARK in value):
                explained.add((code, *doc.mark(incident.yaml_path + (field,))))
    return [p for p in problems if (p.code, p.line, p.col) not in explained]
