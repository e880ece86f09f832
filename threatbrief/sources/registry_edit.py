"""`add-source`: copy a document into sources/, hash it, register it; `--rehash`: record an edit.

The registry is edited as text, never re-dumped: the team's comments, order and spacing stay as
they wrote them. Every edit is parsed back before it is written and must change exactly what was
meant, so a registry is never left half-written or quietly different. Nothing is guessed: a
grade, a rationale or a language not given becomes a `[[TODO: …]]` placeholder that `check`
reports (P001) until an analyst writes it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from threatbrief.atomic import BuildError, write_atomic
from threatbrief.files import NotReadable, read_regular
from threatbrief.limits import MAX_REGISTRY_BYTES, MAX_SOURCE_BYTES
from threatbrief.load.placeholders import placeholder
from threatbrief.load.yamlfile import YamlDoc, parse_yaml
from threatbrief.project import Project, canonical_source_path
from threatbrief.project import PathRefused, confine
from threatbrief.sources.extract import NoText, extractor_for
from threatbrief.sources.extract.cache import ExtractionCache
from threatbrief.tradecraft import TLP_ORDER


class Refused(Exception):
    """A request that is not carried out, with the one-line reason; nothing was written."""


GRADES = "ABCDEF"
KINDS = ("news", "blog", "report", "official", "other")
TITLE_CHARS = 200  # a suggested title is cut here (the registry allows 500)

# The registry `init` writes: the comments are the documentation of an entry, next to the entries.
REGISTRY_TEMPLATE = """\
# yaml-language-server: $schema=../.threatbrief/schemas/registry.schema.json
# Source registry: one entry per document in sources/. `threatbrief add-source FILE` copies the
# document here, hashes it and appends its entry at the end of this file, keeping these comments.
#
# An entry, and how add-source fills each field:
#   - path: "example.txt"    # file name inside sources/: the file's own name
#     title: "…"             # as the document shows it: --title, else a web page's or PDF's
#                            # metadata, else its first non-empty line
#     publisher: null        # organisation, or null when the text does not show it: --publisher
#     author: null           # person, or null when the text does not show it: --author
#     published: unknown     # YYYY-MM-DD, YYYY-MM, YYYY or unknown: --published (default unknown)
#     language: "en"         # BCP 47 code of the text: --language, else a placeholder
#     kind: news             # optional: news | blog | report | official | other: --kind
#     url: "https://…"       # optional: where it was found: --url
#     retrieved: 2024-11-21  # optional: when it was retrieved from the url: --retrieved
#     archive_url: "https://web.archive.org/…"  # optional: an archived copy: --archive-url
#     reliability: C         # Admiralty grade: --grade; never guessed, a placeholder until you grade it
#     tlp: "TLP:CLEAR"       # optional: the source's own handling; citing assessments may not be less strict: --tlp
#     rationale: "…"         # one line: why this grade: --rationale, else a placeholder
#     sha256: 7bb4e838…      # of the file's bytes, computed; `add-source --rehash FILE` records an edit
#
# Grades: A completely reliable, B usually reliable, C fairly reliable, D not usually reliable,
# E unreliable, F reliability cannot be judged. `threatbrief check` reports every placeholder
# left (P001) and every file whose content no longer matches its sha256 (S004).
sources: []
"""

# --- values given on the command line: each check raises ValueError with the one-line reason ---

_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
_PUBLISHED = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+")


def text(limit: int) -> Any:
    """A one-line text of at most `limit` characters (title, publisher, author, rationale)."""

    def check(value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        if "\n" in value or "\r" in value:
            raise ValueError("must be one line")
        if len(value) > limit:
            raise ValueError(f"{len(value):,} characters; the limit is {limit:,}")
        return value

    return check


def grade(value: str) -> str:
    if value.strip().upper() not in GRADES or len(value.strip()) != 1:
        raise ValueError(f"{value!r} is not an Admiralty grade: A (completely reliable) to F (cannot be judged)")
    return value.strip().upper()


def language(value: str) -> str:
    if not _LANGUAGE.fullmatch(value):
        raise ValueError(f"{value!r} is not a BCP 47 language code such as en, ru or pt-BR")
    return value


def published(value: str) -> str:
    if value == "unknown":
        return value
    if _PUBLISHED.fullmatch(value):
        parts = [int(p) for p in value.split("-")] + [1, 1]
        try:
            date(*parts[:3])
            return value
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not YYYY-MM-DD, YYYY-MM, YYYY or unknown")


def day(value: str) -> str:
    try:
        if _DAY.fullmatch(value):
            return date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise ValueError(f"{value!r} is not a date YYYY-MM-DD")


def url(value: str) -> str:
    if not _URL.fullmatch(value) or len(value) > 2000:
        raise ValueError(f"{value[:80]!r} is not an http(s) address")
    return value


def tlp(value: str) -> str:
    label = value.strip().upper()
    label = label if label.startswith("TLP:") else f"TLP:{label}"
    if label not in TLP_ORDER:
        raise ValueError(f"{value!r} is not a TLP label: {', '.join(TLP_ORDER)}")
    return label


# --- writing YAML as text ---

# Characters YAML may not hold raw (or would read as line breaks): written as escapes.
_UNPRINTABLE = {c: f"\\u{c:04x}" for c in [*range(0x7F, 0xA0), 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF]}


def yaml_quote(value: str) -> str:
    """A double-quoted YAML scalar that reads back as exactly `value` (JSON's string syntax is YAML's)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("is not valid text (it holds undecodable bytes)") from None
    return json.dumps(value, ensure_ascii=False).translate(_UNPRINTABLE)


@dataclass
class Metadata:
    """What the analyst said about a source; None: not given."""

    title: str | None = None
    publisher: str | None = None
    author: str | None = None
    published: str = "unknown"
    language: str | None = None
    url: str | None = None
    retrieved: str | None = None
    archive_url: str | None = None
    kind: str | None = None
    grade: str | None = None
    rationale: str | None = None
    tlp: str | None = None


@dataclass
class Added:
    path: str  # relative to sources/
    copied_from: Path | None  # None: registered where it was
    sha256: str
    line: int  # of the entry in sources/sources.yaml
    title: str
    title_suggested: bool
    todo: list[str] = field(default_factory=list)  # fields left as placeholders
    offered: list[tuple[str, str]] = field(default_factory=list)  # (field, value) taken from the file's metadata


@dataclass
class Rehashed:
    path: str
    old: str
    new: str
    line: int


def _read_source(file: Path, shown: str) -> bytes:
    try:
        data = read_regular(file, MAX_SOURCE_BYTES)
    except NotReadable as exc:
        reason = str(exc)
        if reason == "missing":
            raise Refused(f"{shown}: no such file") from None
        if reason == "a directory":
            raise Refused(f"{shown} is a directory: give the document's file") from None
        raise Refused(f"{shown} cannot be read: {reason}") from None
    if extractor_for(file.suffix) is not None:
        return data  # a web page or a PDF: judged by its extractor
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise Refused(f"{shown} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}): convert it first, "
                      "e.g. iconv -f WINDOWS-1252 -t UTF-8; web pages (.html, .htm) and PDFs (.pdf) are read as such") from None
    return data


# What a web page's or PDF's own metadata may offer for the registry entry.
_OFFERED = ("title", "author", "published", "url", "publisher", "language")
_CHECK = {"published": "from its metadata: check it (a page without a date tag can yield an event's date)"}


def _offer(project: Project, file: Path, shown: str, data: bytes, digest: str,
           meta: Metadata) -> tuple[Metadata, list[tuple[str, str]], str]:
    """For a web page or PDF: refuse one with no text to quote, warm the extraction cache, and fill
    what the analyst did not give from the file's metadata (title, author, date, canonical URL).
    Also the text quotes will be matched against (for a title suggestion)."""
    extractor = extractor_for(file.suffix)
    if extractor is None:
        return meta, [], data.decode("utf-8-sig")
    valid = {"published": published, "url": url, "language": language}
    try:
        text = ExtractionCache.for_project(project.cache_dir()).get(extractor, digest, data).extracted.text
    except NoText as exc:
        raise Refused(f"{shown}: {exc}; nothing was added") from None
    found = extractor.metadata(data)
    found.setdefault("publisher", found.get("sitename", ""))  # a news site's name is its publisher
    offered = []
    for key in _OFFERED:
        value = " ".join(str(found.get(key) or "").split())[:TITLE_CHARS if key == "title" else 500]
        current = getattr(meta, key)
        if not value or (current is not None and current != "unknown"):
            continue  # not found, or the analyst gave it
        try:
            value = valid.get(key, str)(value)
        except ValueError:
            continue
        if value != "unknown":
            meta = replace(meta, **{key: value})
            offered.append((key, value))
    return meta, offered, text


def _registry(project: Project) -> tuple[str, YamlDoc]:
    """The registry's text and its parse; refused when it cannot be edited safely."""
    file = project.registry_file
    if file.is_symlink() or not project.inside(file.parent) or (file.exists() and not project.inside(file)):
        raise Refused("sources/sources.yaml or sources/ is a symbolic link: threatbrief edits only real files "
                      "of the project")
    if not file.exists():
        text = REGISTRY_TEMPLATE
    else:
        try:
            raw = read_regular(file, MAX_REGISTRY_BYTES)
            text = raw.decode("utf-8")
        except (NotReadable, UnicodeDecodeError) as exc:
            raise Refused(f"sources/sources.yaml cannot be read ({exc}): fix it first ('threatbrief check' says how)") from None
    doc, problems = parse_yaml(text, "sources/sources.yaml")
    if doc is None:
        first = problems[0]
        raise Refused(f"sources/sources.yaml is not valid YAML (line {first.line}: {first.message}): "
                      "fix it first ('threatbrief check' says how)")
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise Refused("sources/sources.yaml has no 'sources:' list: fix it first ('threatbrief check' says how)")
    return text, doc


def _entries(doc: YamlDoc) -> list[tuple[int, dict[str, Any]]]:
    return [(i, e) for i, e in enumerate(doc.data["sources"]) if isinstance(e, dict)]


def _in_sources(project: Project, file: Path) -> str | None:
    """`file`'s path relative to sources/ when it lies there (by its folder: it may be a link), else None."""
    base = project.sources_dir.resolve()
    try:
        folder = file.parent.resolve()
    except (OSError, RuntimeError):
        return None
    if folder != base and not folder.is_relative_to(base):
        return None
    return (folder / file.name).relative_to(base).as_posix()


def _usable_name(name: str) -> None:
    if name == "sources.yaml":
        raise Refused("sources/sources.yaml is the registry itself, not a source")
    if name != name.strip() or "\\" in name or len(name) > 255:
        raise Refused(f"{name!r} is not a usable file name in sources/ (surrounding spaces, a backslash, or over "
                      "255 characters): rename the file first")


def add_source(project: Project, file: Path, meta: Metadata) -> Added:
    """Copy `file` into sources/ (unless it is there) and append its entry to the registry."""
    shown = str(file)
    if not project.sources_dir.is_dir() or not project.inside(project.sources_dir):
        raise Refused("the project has no sources/ folder of its own: run 'threatbrief init' first")
    data = _read_source(file, shown)
    digest = hashlib.sha256(data).hexdigest()
    relative = _in_sources(project, file.absolute())
    copy = relative is None
    if copy:
        relative = file.name
        _usable_name(relative)
        target = project.sources_dir / relative
        if target.is_symlink() or (target.exists() and _differs(target, data)):
            raise Refused(f"sources/{relative} already exists with other content: rename your file, or register "
                          f"the one in sources/ with 'threatbrief add-source sources/{relative}'")
        copy = not target.exists()
    else:
        _usable_name(Path(relative).name)
    assert relative is not None
    try:
        confine(project, relative)
    except PathRefused as exc:
        raise Refused(f"sources/{relative} {exc}") from None

    text, doc = _registry(project)
    for i, entry in _entries(doc):
        line = doc.mark(("sources", i))[0]
        if isinstance(entry.get("path"), str) and canonical_source_path(entry["path"]) == relative:
            raise Refused(f"sources/{relative} is already registered (sources/sources.yaml:{line}); after editing the "
                          f"file, record its new content with 'threatbrief add-source --rehash sources/{relative}'")
        if entry.get("sha256") == digest:
            raise Refused(f"{shown} has the same content as sources/{entry.get('path')}, registered at "
                          f"sources/sources.yaml:{line}: one document, one entry (nothing was added)")

    meta, offered, source_text = _offer(project, file, shown, data, digest, meta)
    title, suggested = meta.title, False
    if title is None:
        title = _suggest_title(source_text)
        suggested = title is not None
    fields, todo = _entry_fields(relative, title, digest, meta, {k for k, _ in offered})
    new_text, line = _append(text, doc, fields)

    if copy:
        try:
            write_atomic(project.sources_dir / relative, data)
        except BuildError as exc:
            raise Refused(str(exc)) from None
    try:
        write_atomic(project.registry_file, new_text.encode("utf-8"))
    except BuildError as exc:
        if copy:
            (project.sources_dir / relative).unlink(missing_ok=True)
        raise Refused(f"{exc}; nothing was added") from None
    return Added(relative, file if copy else None, digest, line, title or "", suggested, todo, offered)


def _differs(target: Path, data: bytes) -> bool:
    try:
        return read_regular(target, MAX_SOURCE_BYTES) != data
    except NotReadable:
        return True


def _suggest_title(text: str) -> str | None:
    """The first non-empty line of the text, stripped and cut: what most documents start with."""
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            return line[:TITLE_CHARS].rstrip()
    return None


def _entry_fields(relative: str, title: str | None, digest: str, meta: Metadata,
                  offered: set[str] = frozenset()) -> tuple[list[tuple[str, Any, str]], list[str]]:  # type: ignore[assignment]
    """(key, value, trailing comment) in the documented order, and the keys left as placeholders.
    A value taken from the file's metadata says so in its comment."""
    todo = []

    def note(key: str) -> str:
        return _CHECK.get(key, "from its metadata") if key in offered else ""

    def given(key: str, value: str | None, ask: str) -> str:
        if value is None:
            todo.append(key)
            return placeholder(ask)
        return value

    fields: list[tuple[str, Any, str]] = [
        ("path", relative, ""),
        ("title", given("title", title, "the document's title, as it shows it"), note("title")),
        ("publisher", meta.publisher, note("publisher")),
        ("author", meta.author, note("author")),
        ("published", meta.published, note("published")),
        ("language", given("language", meta.language, "BCP 47 code of the text, e.g. en"), note("language")),
    ]
    if meta.kind:
        fields.append(("kind", meta.kind, ""))
    if meta.url:
        fields.append(("url", meta.url, note("url")))
    if meta.retrieved:
        fields.append(("retrieved", meta.retrieved, ""))
    if meta.archive_url:
        fields.append(("archive_url", meta.archive_url, ""))
    fields.append(("reliability", given("reliability", meta.grade, "Admiralty grade A-F"), ""))
    if meta.tlp:
        fields.append(("tlp", meta.tlp, ""))
    fields.append(("rationale", given("rationale", meta.rationale, "one line: why this grade"), ""))
    fields.append(("sha256", digest, ""))
    return fields, todo


_PLAIN = re.compile(r"[A-F]|unknown|news|blog|report|official|other|[0-9a-f]{64}")


def _scalar(value: str | None) -> str:
    if value is None:
        return "null"
    return value if _PLAIN.fullmatch(value) else yaml_quote(value)


def _append(text: str, doc: YamlDoc, fields: list[tuple[str, Any, str]]) -> tuple[str, int]:
    """The registry text with the entry appended to `sources:`, and the entry's line.

    Parsed back before it is returned: the result must hold every old entry unchanged and the
    new one exactly, or nothing is written.
    """
    cr = "\r" if "\r\n" in text else ""  # a CRLF file stays CRLF
    lines = text.split("\n")  # not splitlines(): it would also break at form feeds and U+2028
    items = doc.data["sources"]
    seq_line, seq_col = doc.mark(("sources",))
    dash, gap, blank = "  ", " ", False
    if items:
        if doc.lines[seq_line - 1][seq_col - 1:seq_col] == "[":
            raise Refused("sources/sources.yaml writes its list in flow style ([…]): add-source appends '- path: …' "
                          "entries; rewrite the list in that style first")
        first = re.match(r"( *)-( +)", doc.lines[doc.mark(("sources", 0))[0] - 1])
        if first:
            dash, gap = first[1], first[2]
        # Entries separated by blank lines stay so (the first one added gets one).
        blank = len(items) == 1 or doc.lines[doc.mark(("sources", 1))[0] - 2].strip() == ""
        while lines and not lines[-1].strip():
            lines.pop()
        insert_at = len(lines)
    else:
        flow = re.match(r"\[[ \t]*\]", doc.lines[seq_line - 1][seq_col - 1:])
        if flow is None:
            raise Refused("sources/sources.yaml: cannot find where its 'sources:' list starts: add the entry by hand")
        line = lines[seq_line - 1].rstrip("\r")
        rest = line[seq_col - 1 + flow.end():].strip()  # a comment after '[]' stays
        lines[seq_line - 1] = line[:seq_col - 1].rstrip() + (f" {rest}" if rest else "") + cr
        insert_at = seq_line
    indent = " " * (len(dash) + 1 + len(gap))
    entry = []
    for n, (key, value, comment) in enumerate(fields):
        prefix = f"{dash}-{gap}" if n == 0 else indent
        entry.append(f"{prefix}{key}: {_scalar(value)}" + (f"  # {comment}" if comment else "") + cr)
    if insert_at == len(lines):
        lines.append("")  # the file's last newline
    new_lines = lines[:insert_at] + ([cr] if blank else []) + entry + lines[insert_at:]
    new_text = "\n".join(new_lines)
    entry_line = insert_at + (2 if blank else 1)
    expected = [*items, {key: value for key, value, _ in fields}]
    check, _ = parse_yaml(new_text, "sources/sources.yaml")
    if check is None or not isinstance(check.data, dict) or check.data.get("sources") != expected:
        raise Refused("sources/sources.yaml is laid out in a way add-source cannot append to safely: add the entry "
                      "by hand (see the comments at the top of a new project's registry)")
    if len(new_text.encode("utf-8")) > MAX_REGISTRY_BYTES:
        raise Refused(f"sources/sources.yaml would exceed {MAX_REGISTRY_BYTES:,} bytes: split the corpus")
    return new_text, entry_line


def rehash(project: Project, given: Path, base: Path) -> Rehashed:
    """Record the new sha256 of a registered source that was edited, in place on its `sha256:` line."""
    relative = _registered_name(project, given, base)
    text, doc = _registry(project)
    matches = [(i, e) for i, e in _entries(doc)
               if isinstance(e.get("path"), str) and canonical_source_path(e["path"]) == relative]
    if not matches:
        raise Refused(f"sources/{relative} is not registered in sources/sources.yaml: register it with "
                      f"'threatbrief add-source sources/{relative}'")
    i, entry = matches[0]
    try:
        data = read_regular(confine(project, relative), MAX_SOURCE_BYTES)
    except PathRefused as exc:
        raise Refused(f"sources/{relative} {exc}") from None
    except NotReadable as exc:
        raise Refused(f"sources/{relative} cannot be read: {exc}") from None
    new = hashlib.sha256(data).hexdigest()
    old = entry.get("sha256")
    line = doc.mark(("sources", i))[0]
    if old == new:
        return Rehashed(relative, new, new, line)
    for j, other in _entries(doc):
        if j != i and other.get("sha256") == new:
            raise Refused(f"sources/{relative} now has the same content as sources/{other.get('path')} "
                          f"(sources/sources.yaml:{doc.mark(('sources', j))[0]}): one document, one entry")
    if "sha256" not in entry:
        raise Refused(f"the entry of sources/{relative} (sources/sources.yaml:{line}) has no sha256: add "
                      f"'sha256: {new}' to it")
    value_line, value_col = doc.mark(("sources", i, "sha256"))
    lines = text.split("\n")
    original = lines[value_line - 1]
    body = original.rstrip("\r")
    start = value_col - 1
    end = _scalar_end(body, start)
    if end is None:
        raise Refused(f"cannot find the sha256 of sources/{relative} on sources/sources.yaml:{value_line}: "
                      f"write {new} there by hand")
    lines[value_line - 1] = body[:start] + new + body[end:] + original[len(body):]
    new_text = "\n".join(lines)
    check, _ = parse_yaml(new_text, "sources/sources.yaml")
    expected = [dict(e, sha256=new) if j == i else e for j, e in enumerate(doc.data["sources"])]
    if check is None or not isinstance(check.data, dict) or check.data.get("sources") != expected:
        raise Refused(f"cannot edit sources/sources.yaml:{value_line} safely: write {new} there by hand")
    try:
        write_atomic(project.registry_file, new_text.encode("utf-8"))
    except BuildError as exc:
        raise Refused(str(exc)) from None
    return Rehashed(relative, str(old), new, value_line)


def _scalar_end(line: str, start: int) -> int | None:
    """Where the one-line scalar starting at `start` ends (quoted, or plain up to a comment)."""
    if start >= len(line):
        return None
    quote = line[start]
    if quote in "\"'":
        end = line.find(quote, start + 1)
        return None if end == -1 else end + 1
    comment = line.find(" #", start)
    return len(line[:comment].rstrip()) if comment != -1 else len(line.rstrip())


def _registered_name(project: Project, given: Path, base: Path) -> str:
    """A source named as a file (`sources/x.txt`, a path from here) or as the registry writes it (`x.txt`)."""
    file = given if given.is_absolute() else base / given
    if file.exists():
        inside = _in_sources(project, file.absolute())
        if inside is None:
            raise Refused(f"{given} is not in sources/: --rehash records the new content of a registered source")
        return inside
    name = given.as_posix()
    return canonical_source_path(name.removeprefix("./").removeprefix("sources/"))
