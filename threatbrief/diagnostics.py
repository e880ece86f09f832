"""One Diagnostic type for every problem the tool reports, and its output formats.

Every check in threatbrief produces `Diagnostic` values instead of raising, so that one run
reports every problem (like a compiler) and the CLI decides the exit code.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from enum import Enum
from operator import attrgetter
from typing import Iterable


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    description: str


_RULES = [
    # Files and YAML
    Rule("Y001", "yaml-syntax", Severity.ERROR, "The file is not valid YAML."),
    Rule("Y002", "yaml-duplicate-key", Severity.ERROR, "A mapping repeats a key (YAML would keep only the last)."),
    Rule("Y003", "yaml-alias", Severity.ERROR, "Anchors, aliases and custom tags are refused (they enable 'billion laughs' files)."),
    Rule("Y004", "file-unreadable", Severity.ERROR, "A file cannot be read: missing, too large, not UTF-8, or not a regular file."),
    Rule("Y010", "schema", Severity.ERROR, "A value does not match the documented format (JSON Schema)."),
    # Source registry and source files
    Rule("S001", "source-path-outside", Severity.ERROR, "A source path is absolute, contains '..', or resolves outside sources/."),
    Rule("S002", "source-not-found", Severity.ERROR, "A cited or registered source file does not exist."),
    Rule("S003", "source-not-registered", Severity.ERROR, "A cited source file is missing from sources/sources.yaml."),
    Rule("S004", "source-hash-mismatch", Severity.ERROR, "A source's content no longer matches the sha256 recorded in the registry."),
    Rule("S005", "registry-duplicate", Severity.ERROR, "The registry lists one source twice: the same path, or the same content (sha256) under another name."),
    Rule("S007", "source-no-text", Severity.ERROR, "A web page or PDF source has no text to quote: no article text, no text layer (a scanned PDF: OCR is out of scope), or a damaged file."),
    Rule("S008", "extraction-changed", Severity.WARNING, "A new version of an extractor (trafilatura, pypdfium2) gives a source another text than the cached one: its quotes were checked against the new text."),
    # Citations
    Rule("C001", "quote-not-found", Severity.ERROR, "A quoted passage is not in the cited source."),
    Rule("C002", "quote-too-short", Severity.WARNING, "A quote under 12 characters (Chinese and Japanese ones count twice) is too short to verify."),
    Rule("C003", "citation-ref-unknown", Severity.ERROR, "A Markdown [@id] marker names no citation of the assessment."),
    Rule("C004", "citation-id-duplicate", Severity.ERROR, "Two citations of one assessment share an id."),
    Rule("C005", "quote-in-boilerplate", Severity.ERROR, "A quote from a web page is only in its navigation, sidebars, comments or footer, not in the article text."),
    Rule("C010", "claim-unsourced", Severity.ERROR, "A key judgment or an incident cites no passage."),
    Rule("C011", "section-unsourced", Severity.WARNING, "A narrative section has no [@id] marker and no citation."),
    # Structured facts against their quotes
    Rule("F001", "count-unsupported", Severity.ERROR, "An incident's killed or wounded figure (or a part of its sum, or 'deadly') is in no quoted sentence reporting deaths or injuries, or a sum does not add up."),
    Rule("F002", "place-unsupported", Severity.ERROR, "An incident's province, district or place appears in none of its quotes."),
    Rule("F003", "perpetrator-unsupported", Severity.ERROR, "An incident's perpetrator appears in none of its quotes."),
    # Judgments
    Rule("K001", "judgment-single-source", Severity.WARNING, "A key judgment rests on a single source."),
    Rule("K002", "judgment-weak-sources", Severity.WARNING, "A key judgment rests only on sources graded D, E or F."),
    Rule("K003", "quote-cut", Severity.WARNING, "A quote stops where its sentence goes on with a contrast or qualification, or starts right after a negating or distancing frame."),
    Rule("K004", "evidence-stale", Severity.WARNING, "The newest source a key judgment cites was published long before the assessment's date, or none of its sources is dated."),
    Rule("K005", "confidence-unsupported", Severity.WARNING, "A key judgment declares more confidence than its independent, graded sources allow."),
    # Tradecraft
    Rule("T001", "likelihood-mismatch", Severity.ERROR, "A key judgment's text uses an estimative term of another ICD 203 band than it declares."),
    Rule("T002", "hedge-without-band", Severity.WARNING, "A key judgment hedges ('may', 'could', 'possibly', 'perhaps'…) without a probability band."),
    Rule("T003", "tlp-stricter-source", Severity.ERROR, "An assessment cites a source whose TLP is stricter than its own."),
    # Assessment content
    Rule("A001", "incident-id-duplicate", Severity.ERROR, "Two incidents of one assessment share an id."),
    Rule("A003", "incident-unknown", Severity.ERROR, "An assessment lists an incident id that no file of incidents/ records."),
    Rule("A004", "incident-repeated", Severity.WARNING, "Two records (in incidents/ or in assessments) describe one event: same kind, date, place and target under two ids."),
    Rule("A002", "assessment-name", Severity.ERROR, "An assessment's file name gives no usable output name, a reserved one (index), or one another file has."),
    Rule("M001", "link-not-allowed", Severity.ERROR, "A link or image in Markdown is not http(s), mailto or an in-document #anchor."),
    Rule("L001", "limit-exceeded", Severity.ERROR, "A limit on work is exceeded: citations per assessment, the date window, Markdown size or nesting."),
    Rule("S006", "source-uncited", Severity.WARNING, "A registered source is cited by no assessment."),
    Rule("P001", "placeholder", Severity.ERROR, "A value still holds a [[TODO: …]] placeholder left by 'new' or 'add-source'."),
    # Distribution (`distribute`)
    Rule("D001", "recipient-not-allowed", Severity.ERROR, "A recipient is not on the assessment's `recipients` list, or a TLP:RED assessment has no list."),
    Rule("D002", "recipient-duplicate", Severity.ERROR, "A recipients file names one email address twice."),
    # Project configuration
    Rule("X001", "config-invalid", Severity.ERROR, "threatbrief.toml cannot be read or names an unknown rule or level."),
    Rule("X002", "suppression-invalid", Severity.WARNING, "A '# threatbrief: ignore[CODE] reason' comment has no reason, names an unknown code, or silences nothing."),
]

RULES: dict[str, Rule] = {rule.code: rule for rule in _RULES}
# Rules whose failure means a briefing cannot be built truthfully or safely: a configuration may
# not lower them (README, "Changing severities"). Demoting C001 would build nothing silently;
# demoting S005 or T003 would let a TLP:RED source into a TLP:CLEAR briefing.
LOCKED: frozenset[str] = frozenset({
    "Y001", "Y002", "Y003", "Y004", "Y010", "X001", "S001", "S002", "S003", "S004", "S005",
    "S007", "C001", "C005", "C003", "C004", "A001", "A002", "A003", "M001", "L001", "T003",
    "P001",  # a placeholder is an unwritten quote, grade or claim: never built into a briefing
    "D001", "D002",  # a copy for a reader the assessment does not allow, or two copies for one
})

# Rules that `distribute` reports about recipients, never `check` (tests/test_distribute.py fires them).
DISTRIBUTION_RULES: frozenset[str] = frozenset({"D001", "D002"})

# Control characters (C0 but newline, DEL, C1) and bidirectional overrides: a source, a file
# name or a quote could carry them into a terminal (colours, cursor moves, title changes) or
# reorder what a reviewer reads (Trojan Source). Shown escaped instead.
_CONTROLS = {c: f"\\x{c:02x}" for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)] if c != 0x0A}
_CONTROLS.update({c: f"\\u{c:04x}" for c in [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]})


def printable(text: str) -> str:
    """`text` with control characters and bidi overrides written as escapes (newlines kept)."""
    if text.isprintable() or ("\n" in text and text.replace("\n", "").isprintable()):
        return text  # the common case, tested in C: every character escaped below is unprintable
    return text.translate(_CONTROLS)


@dataclass(frozen=True)
class Diagnostic:
    """A problem at a place: `path:line:col: severity[CODE] message`, plus an optional hint.

    The severity is the rule's default unless the project's configuration changed it.
    """

    path: str
    line: int
    col: int
    code: str
    message: str
    hint: str = ""
    severity: Severity = None  # type: ignore[assignment]  # set from the rule in __post_init__

    def __post_init__(self) -> None:
        if self.severity is None:
            object.__setattr__(self, "severity", RULES[self.code].severity)

    @property
    def rule(self) -> Rule:
        return RULES[self.code]

    def sort_key(self) -> tuple[str, int, int, str]:
        return _SORT_KEY(self)


_SORT_KEY = attrgetter("path", "line", "col", "code")  # by place, then code


def has_errors(diagnostics: Iterable[Diagnostic], strict: bool = False) -> bool:
    """Whether the run fails: any error, or with `strict` (`--strict`) any warning too."""
    return any(d.severity is Severity.ERROR or strict for d in diagnostics)


def format_text(diagnostics: list[Diagnostic], color: bool = False) -> str:
    """Compiler-style lines, sorted by place, with hints indented underneath."""
    colors = {Severity.ERROR: "\033[1;31m", Severity.WARNING: "\033[1;33m"}
    lines = []
    for d in sorted(diagnostics, key=_SORT_KEY):
        severity = d.severity.value
        if color:
            severity = f"{colors[d.severity]}{severity}\033[0m"
        message = printable(d.message).replace("\n", " ")
        lines.append(f"{printable(d.path)}:{d.line}:{d.col}: {severity}[{d.code}] {message}")
        lines.extend(f"    {hint_line}" for hint_line in printable(d.hint).split("\n") if hint_line)
    return "\n".join(lines)


def summary_line(diagnostics: list[Diagnostic], checked: str, suppressed: int = 0) -> str:
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    warnings = len(diagnostics) - errors
    line = f"{checked}: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    return line + (f", {suppressed} suppressed" if suppressed else "")


def format_json(diagnostics: list[Diagnostic]) -> str:
    from threatbrief.rule_docs import help_uri  # it imports this module

    items = []
    for d in sorted(diagnostics, key=Diagnostic.sort_key):
        item = asdict(d)
        item["severity"] = d.severity.value
        item["rule"] = d.rule.name
        item["help_uri"] = help_uri(d.code)
        items.append(item)
    # JSON escapes C0 controls itself; C1 and bidi controls too, so a terminal showing the
    # output is safe, while a JSON reader still gets the exact text.
    return json.dumps(items, indent=2, ensure_ascii=False).translate(_JSON_ESCAPES)


_JSON_ESCAPES = {c: f"\\u{c:04x}" for c in _CONTROLS if c >= 0x7F}


def _github_escape(text: str, is_property: bool = False) -> str:
    # https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if is_property:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def format_github(diagnostics: list[Diagnostic]) -> str:
    """GitHub Actions workflow commands: each becomes an annotation on the YAML line."""
    lines = []
    for d in sorted(diagnostics, key=Diagnostic.sort_key):
        title = _github_escape(f"{d.code} {d.rule.name}", is_property=True)
        body = printable(d.message + (f"\n{d.hint}" if d.hint else ""))
        lines.append(
            f"::{d.severity.value} file={_github_escape(printable(d.path), True)},line={d.line},col={d.col},"
            f"title={title}::{_github_escape(body)}"
        )
    return "\n".join(lines)
