"""`check --format sarif` and `--format gitlab`: the findings as code-scanning tools read them.

SARIF 2.1.0 is what GitHub code scanning (and most editors' SARIF viewers) take; GitLab's merge
request widget takes its Code Quality report (a Code Climate subset). Both want a fingerprint
that stays the same while unrelated edits move a finding's line, so that a finding fixed, a new
one and one that merely moved are told apart: here the rule, the file, the text of the finding's
line (its words, not its number) and, for findings alike in all three, their order.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Iterable

from threatbrief import __version__
from threatbrief.check.suppress import Suppressed
from threatbrief.diagnostics import _JSON_ESCAPES, RULES, Diagnostic, Severity
from threatbrief.files import NotReadable, read_regular
from threatbrief.limits import MAX_ASSESSMENT_BYTES
from threatbrief.rule_docs import DOCS, help_uri

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT = "threatbrief/v1"  # the partialFingerprints key; a new rule for them gets a new key


def line_reader(root: Path) -> Callable[[str, int], str]:
    """(display path, line) -> that line of the file, stripped ('' when it cannot be read); each
    file read once, within the project and its size limit."""
    lines: dict[str, list[str]] = {}

    def read(path: str, line: int) -> str:
        if path not in lines:
            try:
                file = (root / path).resolve()
                if not file.is_relative_to(root.resolve()):
                    raise NotReadable("outside the project")
                lines[path] = read_regular(file, MAX_ASSESSMENT_BYTES).decode("utf-8", "replace").splitlines()
            except (NotReadable, OSError, ValueError):
                lines[path] = []
        text = lines[path]
        return text[line - 1].strip() if 0 < line <= len(text) else ""

    return read


def fingerprints(diagnostics: list[Diagnostic], line_text: Callable[[str, int], str]) -> list[str]:
    """One fingerprint per diagnostic, in the given order (see the module docstring)."""
    seen: dict[str, int] = {}
    found = []
    for d in diagnostics:
        base = "\x00".join((d.code, d.path, " ".join(line_text(d.path, d.line).split())))
        seen[base] = seen.get(base, 0) + 1
        found.append(hashlib.sha256(f"{base}\x00{seen[base]}".encode("utf-8", "surrogatepass")).hexdigest()[:32])
    return found


def _in_order(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=Diagnostic.sort_key)


def _uri(path: str, root: Path, cwd: Path) -> str:
    """The finding's file relative to the working directory (the repository's root in CI), so
    that `check -C sub/project` still points at `sub/project/assessments/…`."""
    try:
        return Path(os.path.relpath(root / path, cwd)).as_posix() if (root / path).is_relative_to(cwd) else path
    except ValueError:
        return path


def _text(d: Diagnostic) -> str:
    return d.message + (f"\n{d.hint}" if d.hint else "")


def format_sarif(diagnostics: list[Diagnostic], suppressed: list[Suppressed], root: Path,
                 cwd: Path | None = None) -> str:
    """One SARIF 2.1.0 run: every rule, then every finding; silenced ones carry their reason."""
    cwd = cwd or Path.cwd()
    codes = list(RULES)
    rules = [{
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.description},
        "fullDescription": {"text": _full_description(rule.code)},
        "defaultConfiguration": {"level": rule.severity.value},
        "helpUri": help_uri(rule.code),
        "help": {"text": f"{rule.description} See {help_uri(rule.code)}"},
        "properties": {"tags": [_family(rule.code)]},
    } for rule in RULES.values()]
    read = line_reader(root)
    shown = _in_order(diagnostics)
    silenced = sorted(suppressed, key=lambda s: s.diagnostic.sort_key())
    every = shown + [s.diagnostic for s in silenced]
    prints = fingerprints(every, read)
    results = []
    for k, d in enumerate(every):
        result = {
            "ruleId": d.code,
            "ruleIndex": codes.index(d.code),
            "level": "error" if d.severity is Severity.ERROR else "warning",
            "message": {"text": _text(d)},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": _uri(d.path, root, cwd), "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": max(d.line, 1), "startColumn": max(d.col, 1)},
            }}],
            "partialFingerprints": {FINGERPRINT: prints[k]},
            "properties": {"helpUri": help_uri(d.code)},
        }
        if k >= len(shown):
            s = silenced[k - len(shown)]
            result["suppressions"] = [{"kind": "inSource", "justification": s.reason}]
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "threatbrief", "version": __version__,
                                "informationUri": help_uri("").split("#")[0], "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False).translate(_JSON_ESCAPES)


def format_gitlab(diagnostics: list[Diagnostic], root: Path, cwd: Path | None = None) -> str:
    """GitLab Code Quality: errors as major issues, warnings as minor (silenced ones are left out)."""
    cwd = cwd or Path.cwd()
    shown = _in_order(diagnostics)
    prints = fingerprints(shown, line_reader(root))
    issues = [{
        "type": "issue",
        "check_name": d.code,
        "description": f"{d.code} {d.rule.name}: {d.message}",
        "content": {"body": f"{d.hint}\n\n{help_uri(d.code)}" if d.hint else help_uri(d.code)},
        "categories": ["Bug Risk" if d.severity is Severity.ERROR else "Style"],
        "severity": "major" if d.severity is Severity.ERROR else "minor",
        "fingerprint": prints[k],
        "location": {"path": _uri(d.path, root, cwd), "lines": {"begin": max(d.line, 1)}},
    } for k, d in enumerate(shown)]
    return json.dumps(issues, indent=2, ensure_ascii=False).translate(_JSON_ESCAPES)


_FAMILIES = {"Y": "files", "S": "sources", "C": "citations", "F": "facts", "K": "judgments", "T": "tradecraft",
             "A": "assessments", "M": "markdown", "L": "limits", "P": "placeholders", "X": "configuration"}


def _family(code: str) -> str:
    return _FAMILIES.get(code[:1], "other")


def _full_description(code: str) -> str:
    doc = DOCS.get(code)
    return doc.why if doc else RULES[code].description
