"""JSON Schema validation of YAML documents, reported at the line of the offending value.

The schemas in `threatbrief/data/schemas/` (a project's editors read the copies `init` writes to
`.threatbrief/schemas/`) are the single description of the file formats: `check`
uses them, and editors can use them for completion (README, "Editor support").
"""

from __future__ import annotations

import difflib
import json
from functools import lru_cache
from typing import Any

from .diagnostics import Diagnostic
from .project import BUILTIN_SCHEMAS
from .yamlfile import JsonPath, YamlDoc

SCHEMA_DIR = BUILTIN_SCHEMAS


@lru_cache(maxsize=None)
def _schema(name: str) -> dict[str, Any]:
    return _python_patterns(json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8")))


def _python_patterns(node: Any) -> Any:
    r"""Patterns as Python must read them: `$` also matches before a final newline in Python
    (so "2024-01-01\n" would pass `^...$`), `\Z` only at the very end. The files keep the
    ECMA-262 `$` that editors expect."""
    if isinstance(node, dict):
        return {k: (v[:-1] + r"\Z" if k == "pattern" and isinstance(v, str) and v.endswith("$") else _python_patterns(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_python_patterns(v) for v in node]
    return node


@lru_cache(maxsize=None)
def _validator(name: str) -> Any:
    """jsonschema: slower, but reports every error with its path: used only on invalid files.

    An integer is an int here, never a float such as 1.0 (JSON Schema would accept it, and a
    count of 1.0 is a typo, not a count).
    """
    import jsonschema

    def is_integer(checker: Any, value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    checker = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", is_integer)
    strict = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=checker)
    return strict(_schema(name))


@lru_cache(maxsize=None)
def _gate(name: str) -> Any:
    """fastjsonschema compiles the schema to Python: ~20x faster on the common, valid case.

    Our schemas use only keywords that mean the same in draft 7, which fastjsonschema supports.
    """
    import fastjsonschema

    return fastjsonschema.compile({**_schema(name), "$schema": "http://json-schema.org/draft-07/schema#"})


def is_valid(data: Any, name: str) -> bool:
    import fastjsonschema

    try:
        _gate(name)(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


@lru_cache(maxsize=None)
def _part_validator(name: str, where: tuple[str, ...]) -> Any:
    """The strict validator of one part of a format: `("$defs", "citation")`, `("properties", "tlp")`.

    A reference into the format's own schema, resolved in a registry that holds that schema and
    nothing else: no reference can be fetched from anywhere.
    """
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    root = _schema(name)
    uri = root.get("$id") or f"urn:threatbrief:{name}"
    registry = Registry().with_resource(uri, DRAFT202012.create_resource(root))
    return type(_validator(name))({"$ref": f"{uri}#/{'/'.join(where)}"}, registry=registry)


def part_is_valid(data: Any, name: str, where: tuple[str, ...]) -> bool:
    """Whether `data` conforms to one part of the format on its own (used to check what can still
    be checked in a document that does not conform as a whole)."""
    return _part_validator(name, where).is_valid(data)


def dotted(path: JsonPath) -> str:
    """`key_judgments[0].likelihood` — how a path reads in a message."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the document"


def validate(doc: YamlDoc, name: str) -> list[Diagnostic]:
    """Every schema violation in `doc`, each at its own line; empty when the document conforms.

    The fast gate counts 1.0 as an integer, so a document holding any float takes the strict path.
    """
    if not doc.has_floats and is_valid(doc.data, name):
        return []
    validator = _validator(name)
    problems: list[Diagnostic] = []
    seen: set[tuple[JsonPath, str]] = set()
    for error in sorted(validator.iter_errors(doc.data), key=lambda e: [str(p) for p in e.absolute_path]):
        path: JsonPath = tuple(error.absolute_path)
        message, hint, at_key = _explain(error, path)
        if (path, message) in seen:
            continue
        seen.add((path, message))
        line, col = doc.key_mark(path + (at_key,)) if at_key else doc.mark(path)
        problems.append(Diagnostic(doc.path, line, col, "Y010", message, hint))
    return problems


def _explain(error: Any, path: JsonPath) -> tuple[str, str, str | None]:
    """A message an analyst understands, a hint, and the key to point at (if any)."""
    where = dotted(path)
    validator, value, schema = error.validator, error.instance, error.schema
    if validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(set(value) - set(allowed)) if isinstance(value, dict) else []
        if extra:
            key = extra[0]
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
            return f"{where}: unknown key {_short(key)!r}", hint, key
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        return f"{where}: missing required key {missing!r}", "see docs/format.md for the format", None
    if validator == "type" and isinstance(value, float) and "integer" in str(error.validator_value):
        return f"{where}: expected a whole number, found {_short(repr(value))}", "write the figure without a decimal point", None
    if validator == "enum":
        options = [str(o).lower() if isinstance(o, bool) else str(o) for o in error.validator_value]
        close = difflib.get_close_matches(_short(str(value)), options, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(options)}"
        return f"{where}: {_short(value)!r} is not an allowed value", hint, None
    if validator == "type":
        wanted = error.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        return f"{where}: expected {wanted}, found {_type_name(value)}", _type_hint(wanted), None
    if validator == "pattern":
        return f"{where}: {_short(value)!r} is not in the expected form", schema.get("description", ""), None
    if validator == "minItems":
        return f"{where}: needs at least {error.validator_value} item(s)", "every claim needs a citation" if "citations" in where else "", None
    if validator == "maxLength":
        return (f"{where}: {len(value):,} characters; the limit is {error.validator_value:,}",
                "shorten it (see 'Limits' in the README)", None)
    if validator == "maxItems":
        return (f"{where}: {len(value):,} items; the limit is {error.validator_value:,}",
                "split the assessment (see 'Limits' in the README)", None)
    if validator == "maximum":
        return f"{where}: {value:,} is more than the limit of {error.validator_value:,}", "check the figure", None
    if validator == "minLength":
        return f"{where}: must not be empty", "", None
    return f"{where}: {_short(error.message)}", "", None


def _short(value: Any, limit: int = 80) -> Any:
    """A value as a message may quote it: long texts cut, so one error never floods the terminal."""
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "…"
    return value


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)


def _type_hint(wanted: str) -> str:
    if "string" in wanted:
        return "put the value in double quotes"
    if wanted == "array":
        return "write a list: one '- item' per line"
    return ""
