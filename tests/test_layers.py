"""The package reads like the pipeline, and stays that way: a stage imports only stages below it.

Every import of a threatbrief module counts, at the top of a file or inside a function (the lazy
ones), including those only for type checkers: a newcomer reading a stage should never have to
look upward to understand it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "threatbrief"

# Lowest first. A module may import its own layer and any layer below it.
LAYERS: list[tuple[str, set[str]]] = [
    ("core", {"threatbrief", "threatbrief.model", "threatbrief.diagnostics", "threatbrief.rule_docs",
              "threatbrief.project", "threatbrief.config", "threatbrief.files", "threatbrief.limits",
              "threatbrief.atomic", "threatbrief.signing", "threatbrief.tradecraft", "threatbrief.markup",
              "threatbrief.system_deps"}),
    ("load", {"threatbrief.load"}),
    ("sources", {"threatbrief.sources"}),
    ("incidents", {"threatbrief.incidents"}),
    ("check", {"threatbrief.check"}),
    ("publish", {"threatbrief.publish"}),
    ("make", {"threatbrief.make"}),
    ("pipeline", {"threatbrief.pipeline"}),
    ("commands", {"threatbrief.serve", "threatbrief.scaffold", "threatbrief.distribution"}),
    ("cli", {"threatbrief.cli"}),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    """The layer of a module: its own entry, or its package's (the longest prefix listed)."""
    best: tuple[int, int] | None = None
    for index, (_, names) in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and (best is None or len(name) > best[0]):
                if name == "threatbrief" and module != "threatbrief":
                    continue  # the package itself is core; its modules are placed one by one
                best = (len(name), index)
    assert best is not None, f"{module} is in no layer: place it in tests/test_layers.py LAYERS"
    return best[1]


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every threatbrief module the file imports, wherever the import stands."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("threatbrief"):
            assert node.level == 0, f"{path}:{node.lineno}: a relative import; the package imports by full name"
            for alias in node.names:  # `from threatbrief.publish import charts` imports a module
                sub = f"{node.module}.{alias.name}"
                found.append((node.lineno, sub if (PACKAGE.parent / (sub.replace(".", "/") + ".py")).exists()
                              or (PACKAGE.parent / sub.replace(".", "/")).is_dir() else node.module))
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}:{node.lineno}: a relative import; the package imports by full name")
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("threatbrief")]
    return found


def package_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_has_a_layer() -> None:
    for path in package_files():
        layer_of(module_name(path))


def test_a_stage_imports_only_itself_and_the_stages_below() -> None:
    upward = []
    for path in package_files():
        here = layer_of(module_name(path))
        for line, module in imports_of(path):
            there = layer_of(module)
            if there > here:
                upward.append(f"{path.relative_to(REPO)}:{line}: {LAYERS[here][0]} imports {module} ({LAYERS[there][0]})")
    assert not upward, "\n".join(upward)


def test_publishing_never_runs_the_checker() -> None:
    """Briefings are drawn from checked model objects: a worker that renders never loads the rules' runner."""
    for path in package_files():
        if module_name(path).startswith(("threatbrief.publish", "threatbrief.make")):
            assert all(m != "threatbrief.check.checker" for _, m in imports_of(path)), path


def test_the_layer_rule_catches_an_upward_import(tmp_path: Path) -> None:
    """The check above is not vacuous: a core module importing a stage is one it reports."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from threatbrief.check.checker import check\n")
    assert layer_of(module_name(PACKAGE / "model.py")) < layer_of(imports_of(bad)[0][1])
