"""Safe YAML reading that remembers where every value stands in the file.

Why not `yaml.safe_load`: it keeps the last of duplicate keys silently, expands aliases (the
"billion laughs" bomb), and forgets positions. Here libyaml only composes the node tree; we build
plain Python data ourselves, refusing aliases, custom tags and duplicate keys, and record the
line and column of every value so that any later check can point at `file:line:col`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from threatbrief.diagnostics import Diagnostic
from threatbrief.files import NotReadable, read_regular
from threatbrief.limits import MAX_ASSESSMENT_BYTES as MAX_BYTES
from threatbrief.limits import MAX_YAML_DEPTH as MAX_DEPTH

JsonPath = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_SCALAR_TAGS = {
    _STR,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",  # kept as written: dates stay ISO strings
}


class Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """Safe loading with a fast path in tag resolution, which PyYAML runs in Python per scalar."""

    _MAYBE_TYPED = frozenset("0123456789+-.~nNtTfFyYoO<=")

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:  # quoted: always a string
                return _STR
            if value and value[0] not in self._MAYBE_TYPED:  # cannot be a number, bool, null, date
                return _STR
        return super().resolve(kind, value, implicit)


@dataclass
class YamlDoc:
    """Parsed data plus the 1-based (line, col) of each value and each mapping key, by path."""

    path: str
    data: Any
    marks: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)
    literal_blocks: set[JsonPath] = field(default_factory=set)
    lines: list[str] = field(default_factory=list)
    has_floats: bool = False  # the schema gate cannot tell 1.0 from 1: see schema.validate

    def mark(self, path: JsonPath) -> tuple[int, int]:
        """Position of the value at `path`, or of its nearest enclosing value."""
        while path not in self.marks and path:
            path = path[:-1]
        return self.marks.get(path, (1, 1))

    def offset_mark(self, path: JsonPath, offset: int) -> tuple[int, int]:
        """Position of character `offset` inside the string at `path`.

        Exact for literal blocks (`key: |`), whose lines stand unchanged in the file; for other
        string styles it falls back to the start of the value.
        """
        line, col = self.mark(path)
        if path not in self.literal_blocks:
            return line, col
        value = self.value(path)
        k = value.count("\n", 0, offset)
        in_line = offset - (value.rfind("\n", 0, offset) + 1)
        file_line = line + 1 + k
        text = self.lines[file_line - 1] if 0 < file_line <= len(self.lines) else ""
        indent = len(text) - len(text.lstrip(" "))
        return file_line, indent + in_line + 1

    def value(self, path: JsonPath) -> Any:
        value = self.data
        for part in path:
            value = value[part]
        return value

    def key_mark(self, path: JsonPath) -> tuple[int, int]:
        return self.key_marks.get(path) or self.mark(path)

    def diagnostic(self, path: JsonPath, code: str, message: str, hint: str = "") -> Diagnostic:
        line, col = self.mark(path)
        return Diagnostic(self.path, line, col, code, message, hint)


class _Refused(Exception):
    def __init__(self, mark: Any, code: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.mark, self.code, self.message, self.hint = mark, code, message, hint


def read_bytes(file: Path, display: str, max_bytes: int = MAX_BYTES) -> tuple[bytes | None, list[Diagnostic]]:
    """Read a regular file of bounded size; devices, FIFOs, directories and missing files are refused."""
    try:
        return read_regular(file, max_bytes), []
    except NotReadable as exc:
        return None, [unreadable(display, exc)]


def unreadable(display: str, exc: NotReadable) -> Diagnostic:
    """Why a file could not be read, said of the file."""
    reason = str(exc)
    if reason[0].isdigit() or reason.startswith("more than"):
        return Diagnostic(display, 1, 1, "Y004", f"{display} is {reason}")
    return Diagnostic(display, 1, 1, "Y004", f"cannot read {display}: {reason}")


def decode(raw: bytes, display: str) -> tuple[str | None, list[Diagnostic]]:
    """UTF-8 (a BOM is allowed); an undecodable byte is reported at its line and column."""
    bom = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        return (raw[bom:] if bom else raw).decode("utf-8"), []  # one C call ("utf-8-sig" wraps it in Python)
    except UnicodeDecodeError as exc:
        at = exc.start + bom
        line = raw.count(b"\n", 0, at) + 1
        col = at - (raw.rfind(b"\n", 0, at) + 1) + 1
        return None, [
            Diagnostic(display, line, col, "Y004", f"{display} is not valid UTF-8 (byte 0x{raw[at]:02x})",
                       "save the file as UTF-8")
        ]


def parse_yaml(text: str, display: str) -> tuple[YamlDoc | None, list[Diagnostic]]:
    """Parse one YAML document into plain data with positions; never raises for bad input."""
    if "\x00" in text:
        return None, [Diagnostic(display, 1, 1, "Y004", f"{display} contains NUL bytes: not a text file")]
    doc = YamlDoc(display, None, lines=text.splitlines())
    loader = Loader(text)
    try:
        doc.data = _EventBuilder(loader, doc).run()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        return None, [Diagnostic(display, line, col, "Y001", f"{problem}{context}",
                                 "check indentation, and quote strings that contain ': ' or start with a symbol")]
    except yaml.YAMLError as exc:
        return None, [Diagnostic(display, 1, 1, "Y001", f"invalid YAML: {exc}")]
    except _Refused as refused:
        mark = refused.mark
        return None, [Diagnostic(display, mark.line + 1, mark.column + 1, refused.code, refused.message, refused.hint)]
    finally:
        loader.dispose()
    return doc, []


def load_yaml(file: Path, display: str, max_bytes: int = MAX_BYTES) -> tuple[YamlDoc | None, list[Diagnostic]]:
    raw, problems = read_bytes(file, display, max_bytes)
    text, problems = decode(raw, display) if raw is not None else (None, problems)
    if text is None:
        return None, problems
    return parse_yaml(text, display)


_constructor = yaml.constructor.SafeConstructor()
_CONSTRUCT = {
    "tag:yaml.org,2002:int": _constructor.construct_yaml_int,
    "tag:yaml.org,2002:float": _constructor.construct_yaml_float,
    "tag:yaml.org,2002:bool": _constructor.construct_yaml_bool,
    "tag:yaml.org,2002:null": _constructor.construct_yaml_null,
}


class _EventBuilder:
    """Builds data from libyaml's event stream with an explicit stack, never recursion.

    PyYAML's composer recurses once per nesting level and crashes the interpreter on a file of
    100,000 opening brackets; here depth is just the stack's length, checked at every level.
    Aliases are refused where they stand, before anything could expand them.
    """

    def __init__(self, loader: Any, doc: YamlDoc) -> None:
        self.loader, self.doc = loader, doc
        # Each frame: [container, path, pending key or None]
        self.stack: list[list[Any]] = []
        self.root: Any = None
        self.documents = 0

    def run(self) -> Any:
        # One loop with the common events (scalars, then ends and starts of collections) handled
        # inline: it runs once per value of every file, some 750,000 times in a large project.
        get_event, marks, key_marks, stack = self.loader.get_event, self.doc.marks, self.doc.key_marks, self.stack
        scalar_event, end_events = yaml.ScalarEvent, (yaml.SequenceEndEvent, yaml.MappingEndEvent)
        sequence_start, start_events = yaml.SequenceStartEvent, (yaml.SequenceStartEvent, yaml.MappingStartEvent)
        maybe_typed = Loader._MAYBE_TYPED
        resolvers = Loader.yaml_implicit_resolvers.get
        inline = None not in Loader.yaml_implicit_resolvers  # no resolver for every value: the first character decides
        while True:
            event = get_event()
            kind = event.__class__
            if kind is scalar_event and event.anchor is None and len(stack) < MAX_DEPTH:
                tag = event.tag
                if tag is None or tag == "!":
                    value = event.value
                    if not event.implicit[0] or (value and value[0] not in maybe_typed):
                        tag = _STR
                    elif inline and tag is None and value:  # "5f3a…", "00001.txt": begins like a number
                        for _, regexp in resolvers(value[0], ()):
                            if regexp.match(value):
                                break  # typed: `_node` resolves it
                        else:
                            tag = _STR  # none of the types (as Loader.resolve would find)
                if tag == _STR and event.style != "|" and stack:
                    frame = stack[-1]
                    container, parent_path, key = frame
                    mark = event.start_mark
                    if container.__class__ is list:
                        marks[parent_path + (len(container),)] = (mark.line + 1, mark.column + 1)
                        container.append(event.value)
                        continue
                    if key is not None:
                        marks[parent_path + (key,)] = (mark.line + 1, mark.column + 1)
                        container[key] = event.value
                        frame[2] = None
                        continue
                    key = event.value
                    if key != "<<" and key not in container:  # a new key (else _node says what is wrong)
                        key_marks[parent_path + (key,)] = (mark.line + 1, mark.column + 1)
                        frame[2] = key
                        continue
                self._node(event)  # a key, a typed value, a literal block, the root
            elif kind in end_events:
                container, path, _ = stack.pop()
                self._attach(container, path, None, event)
            elif kind in start_events and event.anchor is None and event.tag is None and stack and len(stack) < MAX_DEPTH:
                frame = stack[-1]  # a list or mapping inside another: its place, then a new frame
                container, parent_path, key = frame
                if container.__class__ is list:
                    path = parent_path + (len(container),)
                elif key is not None:
                    path = parent_path + (key,)
                else:
                    self._node(event)  # a collection as a mapping key: refused there
                    continue
                mark = event.start_mark
                marks[path] = (mark.line + 1, mark.column + 1)
                stack.append([[] if kind is sequence_start else {}, path, None])
            elif isinstance(event, yaml.StreamEndEvent):
                return self.root
            elif isinstance(event, yaml.DocumentStartEvent):
                self.documents += 1
                if self.documents > 1:
                    raise _Refused(event.start_mark, "Y001", "a file holds one YAML document; remove the '---'")
            elif isinstance(event, yaml.AliasEvent):
                raise _Refused(event.start_mark, "Y003", f"aliases are not allowed (*{event.anchor})",
                               "write the value out in full where it is used")
            elif isinstance(event, (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                self._node(event)

    def _node(self, event: Any) -> None:
        if event.anchor is not None:
            raise _Refused(event.start_mark, "Y003", f"anchors are not allowed (&{event.anchor})",
                           "write the value out in full where it is used")
        if len(self.stack) >= MAX_DEPTH:
            raise _Refused(event.start_mark, "Y003", f"nesting deeper than {MAX_DEPTH} levels")
        path = self._path_of_next()
        if isinstance(event, yaml.ScalarEvent):
            tag = event.tag
            if tag in (None, "!"):
                tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
            if tag not in _SCALAR_TAGS:
                raise _Refused(event.start_mark, "Y003", f"the tag {tag!r} is not allowed", "remove the '!' tag")
            if tag in (_STR, "tag:yaml.org,2002:timestamp"):
                value: Any = event.value  # dates stay as written
            else:
                try:
                    value = _CONSTRUCT[tag](yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark))
                except ValueError:  # Python refuses to convert integers of more than 4,300 digits
                    raise _Refused(event.start_mark, "Y001", f"a number of {len(event.value):,} digits is too large",
                                   "write a plausible figure, or quote it to make it text") from None
                if isinstance(value, float):
                    self.doc.has_floats = True
            if event.style == "|" and isinstance(value, str):
                self.doc.literal_blocks.add(path)
            self._attach(value, path, event, event)
            return
        expected = "tag:yaml.org,2002:seq" if isinstance(event, yaml.SequenceStartEvent) else "tag:yaml.org,2002:map"
        if event.tag not in (None, "!", expected):
            raise _Refused(event.start_mark, "Y003", f"the tag {event.tag!r} is not allowed")
        if self.stack and isinstance(self.stack[-1][0], dict) and self.stack[-1][2] is None:
            raise _Refused(event.start_mark, "Y001", "mapping keys must be plain words")
        self.doc.marks[path] = (event.start_mark.line + 1, event.start_mark.column + 1)
        self.stack.append([[] if isinstance(event, yaml.SequenceStartEvent) else {}, path, None])

    def _path_of_next(self) -> JsonPath:
        if not self.stack:
            return ()
        container, path, key = self.stack[-1]
        if isinstance(container, list):
            return path + (len(container),)
        return path + (key,) if key is not None else path

    def _attach(self, value: Any, path: JsonPath, scalar: Any, event: Any) -> None:
        """Put a finished value into its parent (or make it the root)."""
        if not self.stack:
            self.root = value
            if scalar is not None:
                self.doc.marks[path] = (event.start_mark.line + 1, event.start_mark.column + 1)
            return
        frame = self.stack[-1]
        container, parent_path, key = frame
        if isinstance(container, list):
            container.append(value)
        elif key is None:  # this scalar is a key
            if scalar is None:
                raise _Refused(event.start_mark, "Y001", "mapping keys must be plain words")
            key = str(scalar.value)
            if key == "<<" and scalar.implicit[0]:
                raise _Refused(scalar.start_mark, "Y003", "merge keys ('<<') are not allowed")
            if key in container:
                first = self.doc.key_marks[parent_path + (key,)]
                raise _Refused(scalar.start_mark, "Y002", f"duplicate key {key!r} (first at line {first[0]})",
                               "remove one of them: YAML would silently keep only the last")
            self.doc.key_marks[parent_path + (key,)] = (scalar.start_mark.line + 1, scalar.start_mark.column + 1)
            frame[2] = key
            return
        else:
            container[key] = value
            frame[2] = None
        if scalar is not None:
            self.doc.marks[path] = (event.start_mark.line + 1, event.start_mark.column + 1)
