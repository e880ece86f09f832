"""Markdown in assessments (summary, section bodies) -> sanitized HTML, and what `check` asks of it.

One module for both sides, so that what `check` accepts is exactly what the renderer can render:

- **links**: only `http(s)://…`, `mailto:` and in-document `#anchors`. Anything else (`file:`,
  `javascript:`, `//host/…`, relative paths, which WeasyPrint would resolve on the build
  machine's disk) is an error in `check` (M001) and dropped by the sanitizer as well;
- **limits**: Python-Markdown's link and raw-HTML parsing is quadratic in unmatched `[` and `<`,
  and recursive in nested block quotes and lists, so both are bounded (L001);
- **citation markers** `[@id]` become tokens carrying a per-render random nonce before Markdown
  runs, and our own link markup only after sanitizing: a `⟦cite:N⟧` typed in a text stays text.

`markdown` and `nh3` are imported on first use: `check` needs them only for texts with links.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Callable

from threatbrief.limits import MAX_MARKDOWN_ANGLES, MAX_MARKDOWN_BRACKETS, MAX_MARKDOWN_NESTING

MARKER = re.compile(r"\[@([A-Za-z0-9][A-Za-z0-9_.-]*)\]")

ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "b", "i", "u", "s", "sup", "sub", "code", "pre", "blockquote",
    "ul", "ol", "li", "dl", "dt", "dd", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th",
    "td", "a", "abbr", "span",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}
_LIST_ITEM = re.compile(r"(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")


def link_allowed(url: str) -> bool:
    """http(s) with a host, mailto, or an in-document #anchor; nothing relative, nothing else.

    Any control character or space refuses the URL: browsers drop tabs and newlines inside a
    scheme, so `java\tscript:` would be `javascript:` to them.
    """
    if not url or any(ord(c) <= 0x20 or 0x7F <= ord(c) <= 0x9F for c in url):
        return False
    if url.startswith("#"):
        return True
    scheme, colon, rest = url.partition(":")
    if not colon:
        return False
    scheme = scheme.lower()
    if scheme in ("http", "https"):
        return rest.startswith("//") and len(rest) > 2 and rest[2] not in "/\\"
    return scheme == "mailto" and bool(rest)


def sanitize(html: str) -> str:
    """Allow-list sanitizing (nh3): no scripts, handlers, iframes, forms, images or other links."""
    import nh3

    def only_allowed_links(tag: str, attribute: str, value: str) -> str | None:
        return value if attribute != "href" or link_allowed(value) else None

    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer",
                     attribute_filter=only_allowed_links)


def _markdown(text: str) -> str:
    import markdown

    return markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")


def _hug_markers(text: str, token: str) -> str:
    """Remove spaces, tabs and at most one line break before each marker, so it hugs its word.

    Done with string methods (linear): the regex `[ \\t]*\\n?[ \\t]*(?=token)` it replaces
    backtracked cubically on long runs of spaces (4,000 spaces hung the build).
    """
    parts = text.split(token)
    for k in range(len(parts) - 1):
        before = parts[k].rstrip(" \t")
        if before.endswith("\n"):
            before = before[:-1].rstrip(" \t")
        parts[k] = before
    return token.join(parts)


def to_html(text: str, numbers: dict[str, int], cite: Callable[[int], str], shift_headings: int = 2,
            cite_run: Callable[[list[int]], str] | None = None) -> str:
    """Markdown with [@id] markers -> sanitized HTML, each marker replaced by `cite(number)`.

    With `cite_run`, a run of adjacent markers (`[@a][@b]`, `[@a] [@b]`: the spaces between them
    are gone once they hug their word) is replaced as one, by `cite_run([number, …])`.
    """
    token = f"\u27e6{secrets.token_hex(8)}:"  # never in an author's text, never in the output
    tokenized = MARKER.sub(lambda m: f"{token}{numbers[m[1]]}\u27e7" if m[1] in numbers else m[0], text)
    html = _markdown(_hug_markers(tokenized, token))
    for level in range(6 - shift_headings, 0, -1):
        html = re.sub(rf"<(/?)h{level}\b", rf"<\1h{level + shift_headings}", html)
    one = re.escape(token) + r"(\d+)\u27e7"
    if cite_run is None:
        return re.sub(one, lambda m: cite(int(m[1])), sanitize(html))
    return re.sub(f"(?:{one})+", lambda m: cite_run([int(n) for n in re.findall(one, m[0])]), sanitize(html))


@dataclass(frozen=True)
class Problem:
    """Something `check` reports about one Markdown text, at a character offset in it."""

    offset: int
    code: str
    message: str
    hint: str = ""


def problems(text: str) -> list[Problem]:
    """Limits first (a text past them is never handed to Markdown), then links and images."""
    found = _limit_problems(text)
    if found:
        return found
    if "](" in text or "]:" in text or "<" in text:  # no link or image can exist without one
        found += _link_problems(text)
    return found


def _limit_problems(text: str) -> list[Problem]:
    found = []
    unmarked = MARKER.sub(lambda m: "\x00" * len(m[0]), text)  # markers are not Markdown brackets
    for char, limit, what in (("[", MAX_MARKDOWN_BRACKETS, "'[' characters"), ("<", MAX_MARKDOWN_ANGLES, "'<' characters")):
        if unmarked.count(char) > limit:
            at = _nth(unmarked, char, limit + 1)
            found.append(Problem(at, "L001", f"more than {limit} {what} in one text; the limit is {limit}",
                                 "split the text into sections, or write fewer brackets"))
    depth, at = _deepest_nesting(text)
    if depth > MAX_MARKDOWN_NESTING:
        found.append(Problem(at, "L001", f"block quotes and lists nested {depth} levels deep; the limit is "
                             f"{MAX_MARKDOWN_NESTING}", "flatten the structure"))
    return found


def _nth(text: str, char: str, n: int) -> int:
    at = -1
    for _ in range(n):
        at = text.find(char, at + 1)
    return max(at, 0)


def _deepest_nesting(text: str) -> tuple[int, int]:
    """(deepest nesting of '>' quotes and indented list items on any line, offset of that line)."""
    deepest, where, offset = 0, 0, 0
    for line in text.split("\n"):
        depth, i = 0, 0
        while True:
            j = i
            while j < len(line) and line[j] in " \t":
                j += 1
            if j < len(line) and line[j] == ">":
                depth, i = depth + 1, j + 1
                continue
            break
        rest = line[i:]
        stripped = rest.lstrip(" \t")
        if _LIST_ITEM.match(stripped):
            indent = rest[: len(rest) - len(stripped)].expandtabs(4)
            depth += len(indent) // 4 + 1
        if depth > deepest:
            deepest, where = depth, offset
        offset += len(line) + 1
    return deepest, where


class _Links(HTMLParser):
    """Every href and src in rendered HTML, decoded as a browser would read them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str]] = []  # (tag, attribute, value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.found.append((tag, name, value))


def _link_problems(text: str) -> list[Problem]:
    tokenized = MARKER.sub(lambda m: "\u27e7" * len(m[0]), text)  # as rendered: markers are not links
    parser = _Links()
    parser.feed(_markdown(tokenized))
    parser.close()
    found = []
    for tag, attribute, url in parser.found:
        at = max(text.find(url), 0) if url else max(text.find("]("), 0)
        shown = url if len(url) <= 80 else url[:80] + "…"
        if attribute == "src" or tag == "img":
            what = "image" if tag == "img" else f"<{tag}> source"
            found.append(Problem(at, "M001", f"{what} {shown!r}: a briefing embeds nothing from its text",
                                 "remove it; charts come from the incidents, a logo from templates/logo.svg"))
        elif not link_allowed(url):
            found.append(Problem(at, "M001", f"link {shown!r} is not allowed: only http(s)://, mailto: and #anchors",
                                 "link to a web page by its full https:// address, or cite the file in sources/"))
    return found
