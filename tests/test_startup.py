"""Start-up cost (issue 17): the commands run most import only what they use.

A no-op build is mostly Python starting, and `check` of a valid project needs neither the
renderers nor jsonschema (which only explains invalid files) nor a schema compiled at run time
(schema_gates.py is generated ahead of time and kept current here). README, "Speed".
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from threatbrief.load import schema
from threatbrief.pipeline import build
from threatbrief.project import Project

REPO = Path(__file__).parent.parent
RENDERING = ("matplotlib", "weasyprint", "jinja2")
# A no-op build reads the manifest and stats files: no YAML, no checker, no model.
NOT_ON_NO_OP = (*RENDERING, "threatbrief.sources.quotes", "threatbrief.check.checker", "threatbrief.model",
                "threatbrief.load.schema", "jsonschema", "fastjsonschema", "yaml", "markdown", "concurrent.futures",
                "threatbrief.sources.registry_edit", "threatbrief.scaffold", "threatbrief.diagnostics")
NOT_ON_CHECK = (*RENDERING, "jsonschema", "fastjsonschema", "threatbrief.sources.registry_edit", "threatbrief.scaffold")


def imported(project: Path, *args: str) -> tuple[str, list[str]]:
    """What `build.py -C project ARGS` printed, and every module it imported, in a fresh process."""
    code = ("import json, sys; from threatbrief.cli import main; rc = main(['-C', sys.argv[1], *sys.argv[2:]]); "
            "print(json.dumps([rc, sorted(sys.modules)]))")
    run = subprocess.run([sys.executable, "-c", code, str(project), *args], capture_output=True, text=True,
                         timeout=120, cwd=REPO)
    *output, last = run.stdout.strip().splitlines()
    code_, modules = json.loads(last)
    assert code_ == 0, run.stdout + run.stderr
    return "\n".join(output), modules


def test_a_no_op_build_imports_only_the_plan(basic: Path) -> None:
    assert build(Project.at(basic), jobs=1).ok
    output, modules = imported(basic, "build")
    assert "everything up to date" in output
    assert [name for name in NOT_ON_NO_OP if name in modules] == []


def test_a_no_op_build_reads_the_registry_only_when_it_changed(basic: Path) -> None:
    assert build(Project.at(basic), formats=("html",), jobs=1).ok
    registry = basic / "sources" / "sources.yaml"
    registry.write_text(registry.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    output, modules = imported(basic, "html")
    assert "everything up to date" in output  # a comment changes no entry: nothing to rebuild
    assert "yaml" in modules and "threatbrief.sources.quotes" not in modules
    output, modules = imported(basic, "html")
    assert "everything up to date" in output and "yaml" not in modules  # the registry's new digest was kept


@pytest.mark.parametrize("cache", ["cold", "warm"])
def test_check_of_valid_files_imports_no_renderer_and_no_schema_compiler(basic: Path, cache: str) -> None:
    if cache == "warm":
        imported(basic, "check")
    output, modules = imported(basic, "check")
    assert "0 errors" in output
    assert [name for name in NOT_ON_CHECK if name in modules] == []


def test_check_of_an_invalid_file_still_explains_it_with_jsonschema(basic: Path) -> None:
    path = basic / "assessments" / "border.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('tlp: "TLP:AMBER"', 'tlp: "TLP:BLUE"', 1), encoding="utf-8")
    code = ("import sys; from threatbrief.cli import main; rc = main(['-C', sys.argv[1], 'check']); "
            "print(rc, 'jsonschema' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code, str(basic)], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert "Y010" in run.stdout and run.stdout.strip().endswith("1 True")


def test_the_generated_schema_gates_are_current() -> None:
    """schema_gates.py is what gates_source() makes of the schemas now. If this fails after an
    edit of threatbrief/data/schemas/*.json (or an upgrade of fastjsonschema), regenerate it:
    python -c "from threatbrief.load.schema import write_schema_gates as w; w()"."""
    assert schema.GATES_MODULE.read_text(encoding="utf-8") == schema.gates_source()


def test_a_stale_gate_is_never_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """A schema edited after the gates were generated is compiled at run time instead."""
    from threatbrief.load import schema_gates

    schema._gate.cache_clear()
    try:
        monkeypatch.setitem(schema_gates.SCHEMA_SHA256, "registry", "0" * 64)
        gate = schema._gate("registry")
        assert not any(cell.cell_contents is schema_gates.JsonSchemaValueException for cell in gate.__closure__)
        assert gate({"sources": []}) and not gate({"sources": [{"path": 1}]})
    finally:
        schema._gate.cache_clear()


def test_the_generated_gates_agree_with_compiling_the_schema_now(shipped: Path) -> None:
    import fastjsonschema

    from threatbrief.load.yamlfile import load_yaml

    cases = [("assessment", f) for f in sorted((shipped / "assessments").glob("*.yaml"))]
    cases += [("incidents", f) for f in sorted((shipped / "incidents").glob("*.yaml"))]
    cases += [("registry", shipped / "sources" / "sources.yaml")]
    for name, file in cases:
        doc, _ = load_yaml(file, file.name, 10**8)
        assert doc is not None
        compiled = fastjsonschema.compile(schema._gate_definition(name))
        variants = [doc.data, {**doc.data, "unknown": 1}, {k: v for k, v in list(doc.data.items())[1:]}]
        for data in variants:
            try:
                compiled(data)
                expected = True
            except fastjsonschema.JsonSchemaException:
                expected = False
            assert schema.is_valid(data, name) == expected, (file, data)
    for text in ("kabul-2024-03-22", "Kabul", "-x", "a" * 64, "a" * 65, "x\n", ""):
        assert schema.part_is_valid(text, "assessment", ("$defs", "incident_id")) == \
            schema._part_validator("assessment", ("$defs", "incident_id")).is_valid(text)
