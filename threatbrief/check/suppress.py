"""Suppressions: `# threatbrief: ignore[CODE] reason`, a YAML comment that silences one finding.

A comment at the end of a line silences the findings of that code at that line; a comment on a
line of its own silences them at the next line that is not a comment (so several suppressions
can stand one above the other). `ignore[K001,T002]` names several codes (or rule names). Every
suppression needs a reason, and the rules that guard a briefing's integrity
(`diagnostics.LOCKED`) can never be silenced. A suppression that has no reason, names an unknown
or locked code, silences nothing, or is not understood is itself reported (X002) at its line, and
does not silence anything.

Comments are read from the raw lines of a file, in one linear pass: a `#` is a comment only at
the start of a line or after a space, outside a quoted scalar ('…' or "…", which may run over
several lines), and never inside a block scalar (`key: |` or `key: >`), whose lines are text.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from threatbrief.diagnostics import _JSON_ESCAPES, LOCKED, RULES, Diagnostic
from threatbrief.diagnostics import format_json as _format_json

if TYPE_CHECKING:  # the type only: reading cached findings needs no YAML parser
    from threatbrief.load.yamlfile import YamlDoc

MARKER = "threatbrief:"
_COMMENT = re.compile(r"#[ \t]*+threatbrief:")
_IGNORE = re.compile(r"[ \t]*+ignore\[([^\]]*+)\](.*+)")
_BLOCK_HEADER = re.compile(r"(?:^|[ \t:\-])[|>](?:[+-]?[1-9]?|[1-9][+-])\Z")
_UNSUPPRESSIBLE = LOCKED | {"X002"}
_EXAMPLE = "# threatbrief: ignore[CODE] why this finding does not apply here"


@dataclass(frozen=True)
class Comment:
    """One `# threatbrief:` comment: where it stands, what it names, and the line it covers."""

    path: str
    line: int
    col: int
    text: str  # the whole comment, for messages
    codes: tuple[str, ...] | None  # None: not an `ignore[…]` comment
    reason: str
    target: int | None  # the line it silences (None: an own-line comment at the end of the file)


@dataclass(frozen=True)
class Suppressed:
    """A finding silenced by a comment, kept so that `check` can count and list it."""

    diagnostic: Diagnostic
    reason: str
    line: int  # the comment's line


class _Config(Protocol):
    def apply(self, diagnostics: list[Diagnostic]) -> list[Diagnostic]: ...


def comments(path: str, lines: list[str]) -> list[Comment]:
    """Every `# threatbrief:` comment of a YAML file, in one pass over its lines."""
    found: list[Comment] = []
    pending: list[tuple[int, int, str]] = []  # own-line comments waiting for the line they cover
    quote: str | None = None  # a quoted scalar still open at the end of the previous line
    block: int | None = None  # indentation of the line that opened a block scalar
    for number, line in enumerate(lines, 1):
        if block is not None:
            indent = len(line) - len(line.lstrip(" "))
            if not line.strip() or indent > block:
                continue  # text of a block scalar
            block = None
        started_in_quote = quote is not None
        at, quote = _comment_start(line, quote)
        content = line if at < 0 else line[:at]
        own_line = at >= 0 and not started_in_quote and not content.strip()
        if not own_line:
            for line_of, col, text in pending:
                found.append(_comment(path, line_of, col, text, number))
            pending = []
        if at >= 0 and _COMMENT.match(line, at):
            if own_line:
                pending.append((number, at + 1, line[at:]))
            else:
                found.append(_comment(path, number, at + 1, line[at:], number))
        if quote is None and _BLOCK_HEADER.search(content.rstrip()):
            block = _owner_indent(line)
    found += [_comment(path, line_of, col, text, None) for line_of, col, text in pending]
    return found


def _owner_indent(line: str) -> int:
    """The indentation a block scalar's text must exceed: that of the key owning it (`  - body: |`
    -> 4), or of the list item (`  - |` -> 2)."""
    rest = line.lstrip(" ")
    indent = len(line) - len(rest)
    while rest.startswith("-") and rest[1:2] in (" ", "\t"):
        after = rest[1:].lstrip(" \t")
        if after[:1] in ("|", ">"):
            break
        indent, rest = indent + len(rest) - len(after), after
    return indent


def _comment_start(line: str, quote: str | None) -> tuple[int, str | None]:
    """The index of the `#` that starts a comment on `line` (-1: none), and the quote still open
    at its end. A quote mark opens a quoted scalar only where a value can start: after `: `,
    `- ` at the head of the line, `[`, `{`, `,`, `? `, or at the start of the line."""
    if quote is None and "#" not in line and "'" not in line and '"' not in line:
        return -1, None
    i, n = 0, len(line)
    head = quote is None  # only indentation and '- ' seen so far
    prev, spaced = "", True  # last character outside quotes (and blanks), and whether a blank followed it
    while i < n:
        ch = line[i]
        if quote == '"':
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                quote, prev, spaced, head = None, '"', False, False
        elif quote == "'":
            if ch == "'":
                if line.startswith("'", i + 1):
                    i += 2
                    continue
                quote, prev, spaced, head = None, "'", False, False
        elif ch in " \t":
            spaced = True
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return i, None
        else:
            if ch in "'\"" and (prev == "" or prev in "[{," or (prev in ":?" and spaced) or (prev == "-" and spaced and head)):
                quote = ch
            elif ch != "-":
                head = False
            prev, spaced = ch, False
        i += 1
    return -1, quote


def _comment(path: str, line: int, col: int, text: str, target: int | None) -> Comment:
    body = text[_COMMENT.match(text).end():]  # type: ignore[union-attr]
    parsed = _IGNORE.fullmatch(body.rstrip())
    if parsed is None:
        return Comment(path, line, col, text.rstrip(), None, "", target)
    codes = tuple(c.strip() for c in parsed[1].split(",") if c.strip())
    return Comment(path, line, col, text.rstrip(), codes, parsed[2].strip(), target)


@dataclass
class Suppressions:
    """The `# threatbrief:` comments of the files a check read, applied in one place."""

    found: list[Comment] = field(default_factory=list)
    complete: set[str] = field(default_factory=set)  # files every rule ran on: unused comments are reported

    def add(self, doc: YamlDoc, complete: bool) -> None:
        """The comments of a parsed file; `complete` when every rule ran on it."""
        self._add(doc.path, doc.lines, complete)

    def _add(self, path: str, lines: list[str], complete: bool) -> None:
        self.add_comments(path, comments(path, lines) if self.marked(lines) else [], complete)

    def add_comments(self, path: str, found: list[Comment], complete: bool) -> None:
        """The comments of a file read elsewhere (a check worker)."""
        self.found += found
        if complete:
            self.complete.add(path)

    @staticmethod
    def marked(lines: list[str]) -> bool:
        """Whether a file may hold a suppression at all (most do not: no pass over them is needed)."""
        return any(MARKER in line for line in lines)

    def apply(self, diagnostics: list[Diagnostic]) -> tuple[list[Diagnostic], list[Suppressed]]:
        """The diagnostics left, with an X002 for each bad or unused comment, and those silenced."""
        if not self.found:
            return diagnostics, []
        at: dict[tuple[str, int], list[int]] = {}
        for k, d in enumerate(diagnostics):
            at.setdefault((d.path, d.line), []).append(k)
        by_name = {rule.name: code for code, rule in RULES.items()}
        silenced: dict[int, Suppressed] = {}
        problems = []
        for comment in self.found:
            problems += self._one(comment, diagnostics, at, by_name, silenced)
        kept = [d for k, d in enumerate(diagnostics) if k not in silenced]
        return kept + problems, [silenced[k] for k in sorted(silenced)]

    def _one(self, comment: Comment, diagnostics: list[Diagnostic], at: dict[tuple[str, int], list[int]],
             by_name: dict[str, str], silenced: dict[int, Suppressed]) -> list[Diagnostic]:
        def problem(message: str, hint: str) -> Diagnostic:
            return Diagnostic(comment.path, comment.line, comment.col, "X002", message, hint)

        if comment.codes is None:
            return [problem(f"{_short(comment.text)!r} is not a suppression", f"write '{_EXAMPLE}'")]
        if not comment.codes:
            return [problem(f"{_short(comment.text)!r} names no rule", f"write '{_EXAMPLE}'")]
        problems, valid = [], []
        for name in comment.codes:
            code = name.upper() if name.upper() in RULES else by_name.get(name)
            if code is None:
                close = difflib.get_close_matches(name.upper(), list(RULES), n=1) or difflib.get_close_matches(name, list(by_name), n=1)
                problems.append(problem(f"ignore[{_short(name)}]: unknown rule code {_short(name)!r}",
                                        f"did you mean {close[0]!r}?" if close else "run 'threatbrief rules' for the codes"))
            elif code in _UNSUPPRESSIBLE:
                problems.append(problem(
                    f"ignore[{name}]: {code} ({RULES[code].name}) cannot be suppressed: the finding stays",
                    "fix what it reports: without this rule a briefing would be built from unverified or unsafe input"
                    if code != "X002" else "correct or remove the suppression it reports"))
            else:
                valid.append(code)
        if not comment.reason or not any(ch.isalnum() for ch in comment.reason):
            return problems + [problem(f"{_short(comment.text)!r} has no reason: it silences nothing",
                                       "say after the brackets why the finding does not apply here, "
                                       f"e.g. '# threatbrief: ignore[{(valid or ['CODE'])[0]}] the source gives the figure in Dari'")]
        for code in valid:
            hits = [k for k in at.get((comment.path, comment.target), []) if diagnostics[k].code == code] \
                if comment.target is not None else []
            for k in hits:
                silenced.setdefault(k, Suppressed(diagnostics[k], comment.reason, comment.line))
            if not hits and comment.path in self.complete:
                where = f"line {comment.target}" if comment.target is not None else "the end of the file"
                problems.append(problem(f"ignore[{code}] silences nothing: no {code} finding at {where}",
                                        "remove the comment, or put it at the end of the finding's line or on the line "
                                        "directly above it"))
        return problems


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def configured(suppressed: list[Suppressed], config: _Config) -> list[Suppressed]:
    """The silenced findings at their configured levels; those of rules turned off are not counted."""
    return [replace(s, diagnostic=d) for s in suppressed for d in config.apply([s.diagnostic])]


def format_json(diagnostics: list[Diagnostic], suppressed: list[Suppressed]) -> str:
    """`diagnostics.format_json`, then each silenced finding as one more object of the list, with
    severity "suppressed" and a `suppressed` object: its own severity, the reason, the comment's line."""
    text = _format_json(diagnostics)
    if not suppressed:
        return text
    items = json.loads(text)
    for s in sorted(suppressed, key=lambda s: s.diagnostic.sort_key()):
        (item,) = json.loads(_format_json([s.diagnostic]))
        item["suppressed"] = {"severity": item["severity"], "reason": s.reason, "line": s.line}
        item["severity"] = "suppressed"
        items.append(item)
    return json.dumps(items, indent=2, ensure_ascii=False).translate(_JSON_ESCAPES)
