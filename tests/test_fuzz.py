"""Property-based tests: random and malformed inputs give a clean error or a clean result.

Each test runs a fixed, derandomized set of examples so CI is reproducible; the counts add up to
more than 10,000 inputs (README, "Security defaults").
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOTS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from threatbrief.diagnostics import RULES, Diagnostic
from threatbrief.load.yamlfile import parse_yaml
from threatbrief.pipeline import check
from threatbrief.project import Project
from threatbrief.publish.render import CiteLinks

FUZZ = settings(derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
YAMLISH = st.text(alphabet=st.sampled_from(list("ab1 :-[]{}!&*|>'\"#%@`,?\n\t\\") + ["\u00e9", "\u2019", "\u0000", "\ufeff"]),
                  max_size=120)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**12), st.floats(allow_nan=True),
                    st.text(max_size=40), st.sampled_from(["TLP:RED", "likely", "unknown", "2024-02-30", "../x", "/etc/passwd"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=8)


def valid(diagnostics: list[Diagnostic]) -> bool:
    """Every diagnostic is well formed: a known rule, a place, a message."""
    return all(d.code in RULES and d.line >= 1 and d.col >= 1 and d.message for d in diagnostics)


@settings(FUZZ, max_examples=2000)
@given(YAMLISH)
def test_any_text_parses_or_is_a_clean_yaml_error(text: str) -> None:
    doc, problems = parse_yaml(text, "fuzz.yaml")
    assert (doc is None) == bool(problems)
    assert valid(problems)


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out += _paths(value, prefix + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += _paths(value, prefix + (i,))
    return out


def _replace(data: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[head] = _replace(copy[head], rest, value)
    return copy


BASE_ASSESSMENT = yaml.safe_load((ROOTS / "basic" / "assessments" / "border.yaml").read_text(encoding="utf-8"))
BASE_REGISTRY = yaml.safe_load((ROOTS / "basic" / "sources" / "sources.yaml").read_text(encoding="utf-8"))
ASSESSMENT_PATHS = _paths(BASE_ASSESSMENT)
REGISTRY_PATHS = _paths(BASE_REGISTRY)


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A project per kind of mutation, reused across examples (each example rewrites one file)."""
    made = {}
    for kind in ("assessment", "registry"):
        made[kind] = tmp_path_factory.mktemp(kind) / "basic"
        shutil.copytree(ROOTS / "basic", made[kind])
    return made


def _mutate(base: Any, mutations: list[tuple[tuple, Any]]) -> Any:
    document = base
    for path, value in mutations:
        try:
            document = _replace(document, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed the path
    return document


@settings(FUZZ, max_examples=400)
@given(st.lists(st.tuples(st.sampled_from(ASSESSMENT_PATHS), VALUES), min_size=1, max_size=3), st.booleans())
def test_mutated_assessments_check_cleanly(roots: dict[str, Path], mutations: list, unicode: bool) -> None:
    root = roots["assessment"]
    text = yaml.safe_dump(_mutate(BASE_ASSESSMENT, mutations), allow_unicode=unicode)
    (root / "assessments" / "border.yaml").write_text(text, encoding="utf-8")
    result = check(Project.at(root))
    assert valid(result.diagnostics)
    assert result.ok == (not any(d.severity.value == "error" for d in result.diagnostics))


@settings(FUZZ, max_examples=300)
@given(st.lists(st.tuples(st.sampled_from(REGISTRY_PATHS), VALUES), min_size=1, max_size=3))
def test_mutated_registries_check_cleanly(roots: dict[str, Path], mutations: list) -> None:
    root = roots["registry"]
    (root / "sources" / "sources.yaml").write_text(yaml.safe_dump(_mutate(BASE_REGISTRY, mutations)), encoding="utf-8")
    assert valid(check(Project.at(root)).diagnostics)


MARKUP = st.lists(st.sampled_from(
    ["<", ">", "/", "=", '"', "'", " ", "\n", "a", "script", "img", "src", "on", "error", "javascript:", "iframe",
     "style", "url(", "http://x", "[", "]", "(", ")", "!", "*", "#", "`", "&", ";", "[@a]", "<!--", "-->", "svg"]),
    max_size=40).map("".join)
ALLOWED_TAGS = {"p", "br", "hr", "em", "strong", "b", "i", "u", "s", "sup", "sub", "code", "pre", "blockquote",
                "ul", "ol", "li", "dl", "dt", "dd", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th",
                "td", "a", "abbr", "span"}
ALLOWED_ATTRIBUTES = {"href", "title", "align", "rel", "id", "role", "class"}  # class: our own endnote markup


@settings(FUZZ, max_examples=1200)
@given(MARKUP)
def test_any_markdown_renders_without_dangerous_markup(text: str) -> None:
    """Every tag in the output is on the allow-list, with allowed attributes and safe links only."""
    html = str(CiteLinks().markdown(text, {"a": 1}))
    for tag in re.findall(r"<[^>]*>", html):
        name = re.match(r"</?\s*([a-zA-Z0-9]+)", tag)
        assert name and name.group(1).lower() in ALLOWED_TAGS, (tag, text)
        attributes = re.findall(r"\s([a-zA-Z-]+)\s*=", tag)
        assert set(a.lower() for a in attributes) <= ALLOWED_ATTRIBUTES, (tag, text)
        for href in re.findall(r'href="([^"]*)"', tag):
            assert href.startswith(("#", "http://", "https://", "mailto:")) or ":" not in href.split("/")[0], (tag, text)
