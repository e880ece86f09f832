"""`check --format sarif | gitlab | json`: what code scanning, GitLab and scripts read.

Golden files (tests/golden/) hold the exact bytes for tests/roots/every_rule, a project with a
finding of every rule (with tests/roots/uncited for S006, and an extraction cache entry made by
the test for S008): a change of output is a change of format, made on purpose with
`UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_ci_formats.py` and reviewed in the diff.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import copy_root, edit, line_of

from threatbrief.check.checker import check
from threatbrief.check.ci_formats import FINGERPRINT, format_gitlab, format_sarif
from threatbrief.diagnostics import DISTRIBUTION_RULES, RULES, format_json
from threatbrief.project import Project
from threatbrief.rule_docs import help_uri

GOLDEN = Path(__file__).parent / "golden"
SARIF_SCHEMA = Path(__file__).parent / "schemas" / "sarif-2.1.0.json"
A = Path("assessments") / "border.yaml"
MISQUOTE = ("one worker was killed and four were wounded", "one worker was killed and five were wounded")


def _sarif_errors(text: str) -> list[str]:
    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(json.loads(text))]


OLD_EXTRACTOR = "an older extractor 0.0"


def _as_upgraded(root: Path, name: str) -> str:
    """A cached extraction of sources/`name` by an older extractor version, with another text: the
    next check extracts it again and reports the upgrade (S008). The entry is signed with this
    test run's key, which is why it cannot be part of the committed project. Returns the
    extractor's real version, which the outputs then show as `<extractor version>`."""
    import hashlib

    from threatbrief.sources.extract import Extracted, extractor_for
    from threatbrief.sources.extract.cache import ExtractionCache

    data = (root / "sources" / name).read_bytes()
    extractor = extractor_for(Path(name).suffix)
    assert extractor is not None
    cache = ExtractionCache.for_project(Project.at(root).cache_dir())
    cache.put(hashlib.sha256(data).hexdigest(), extractor, OLD_EXTRACTOR, Extracted("The text an older version saw.", (), ""))
    return extractor.version()


def _outputs(root: Path, name: str) -> dict[str, str]:
    version = _as_upgraded(root, "page.html") if name == "every_rule" else None
    result = check(Project.at(root), jobs=1, findings_only=True, cache=False)
    if version:  # the golden files hold no library version
        result.diagnostics[:] = [replace(d, message=d.message.replace(version, "<extractor version>"))
                                 for d in result.diagnostics]
    return {
        f"{name}.sarif.json": format_sarif(result.diagnostics, result.suppressed, root, cwd=root),
        f"{name}.gitlab.json": format_gitlab(result.diagnostics, root, cwd=root),
        f"{name}.json": format_json(result.diagnostics),
    }


@pytest.fixture(scope="module")
def every_rule(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The outputs for tests/roots/every_rule, and for tests/roots/uncited (S006, which needs a
    project whose every assessment loads)."""
    outputs = {}
    for name in ("every_rule", "uncited"):
        outputs.update(_outputs(copy_root(name, tmp_path_factory.mktemp(name)), name))
    return outputs


@pytest.mark.parametrize("name", [f"{project}.{kind}" for project in ("every_rule", "uncited")
                                  for kind in ("sarif.json", "gitlab.json", "json")])
def test_each_format_gives_the_golden_bytes_for_a_finding_of_every_rule(every_rule: dict[str, str], name: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(every_rule[name] + "\n", encoding="utf-8")
    assert every_rule[name] + "\n" == golden.read_text(encoding="utf-8")


def test_the_golden_project_has_findings_of_many_rules(every_rule: dict[str, str]) -> None:
    codes = {item["code"] for name in ("every_rule.json", "uncited.json") for item in json.loads(every_rule[name])}
    assert codes == set(RULES) - DISTRIBUTION_RULES  # `distribute` reports those, not `check`


def test_the_sarif_log_is_valid_sarif_2_1_0_with_the_rule_table(every_rule: dict[str, str]) -> None:
    text = every_rule["every_rule.sarif.json"]
    assert _sarif_errors(text) == []
    run = json.loads(text)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(RULES)
    for rule in rules:
        assert rule["name"] == RULES[rule["id"]].name and rule["helpUri"] == help_uri(rule["id"])
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning")
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert not result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("/")
    prints = [r["partialFingerprints"][FINGERPRINT] for r in run["results"]]
    assert len(set(prints)) == len(prints)


def test_gitlab_code_quality_has_its_required_fields_and_unique_fingerprints(every_rule: dict[str, str]) -> None:
    issues = json.loads(every_rule["every_rule.gitlab.json"])
    assert issues
    for issue in issues:
        assert issue["description"] and issue["check_name"] in RULES
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert issue["location"]["path"] and not issue["location"]["path"].startswith("/")
        assert isinstance(issue["location"]["lines"]["begin"], int) and issue["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_every_json_finding_carries_its_doc_link(every_rule: dict[str, str]) -> None:
    for item in json.loads(every_rule["every_rule.json"]):
        assert item["help_uri"] == help_uri(item["code"]) and item["help_uri"].endswith(f"#rule-{item['code'].lower()}")


def _fingerprints(root: Path) -> dict[tuple[str, str], tuple[str, int]]:
    result = check(Project.at(root), jobs=1, findings_only=True, cache=False)
    run = json.loads(format_sarif(result.diagnostics, result.suppressed, root, cwd=root))["runs"][0]
    return {(r["ruleId"], r["message"]["text"].split("\n")[0]): (r["partialFingerprints"][FINGERPRINT],
            r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"]}


def test_a_fingerprint_stays_while_unrelated_edits_move_the_finding(basic: Path) -> None:
    path = basic / A
    edit(path, *MISQUOTE)
    before = _fingerprints(basic)
    text = path.read_text(encoding="utf-8")
    path.write_text("# a comment\n# and another, unrelated\n" + text, encoding="utf-8")
    after = _fingerprints(basic)
    (key,) = [k for k in before if k[0] == "C001"]
    assert after[key][1] == before[key][1] + 2  # it moved two lines down
    assert after[key][0] == before[key][0]  # and is the same finding
    edit(path, "five were wounded", "six were wounded")  # another misquote on that line: a new finding
    changed = {k: v for k, v in _fingerprints(basic).items() if k[0] == "C001"}
    assert all(v[0] != before[key][0] for v in changed.values())


def test_the_cli_writes_sarif_and_gitlab_with_paths_from_the_working_directory(basic: Path, cli, monkeypatch) -> None:
    edit(basic / A, *MISQUOTE)
    monkeypatch.chdir(basic.parent)
    code, out, err = cli("-C", basic.name, "check", "--format", "sarif")
    assert code == 1 and _sarif_errors(out) == [] and "checked" in err
    (c001,) = [r for r in json.loads(out)["runs"][0]["results"] if r["ruleId"] == "C001"]
    location = c001["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == f"{basic.name}/assessments/border.yaml"
    assert location["region"]["startLine"] == line_of(basic / A, "five were wounded")
    code, out, _ = cli("-C", basic.name, "check", "--format", "gitlab")
    (issue,) = [i for i in json.loads(out) if i["check_name"] == "C001"]
    assert code == 1 and issue["location"]["path"] == f"{basic.name}/assessments/border.yaml"


def test_a_silenced_finding_is_in_sarif_as_suppressed_and_not_in_gitlab(basic: Path, cli, monkeypatch) -> None:
    path = basic / A
    edit(path, '      - source: second.txt\n        quote: "claimed the attack on the convoy"\n', "")  # K001
    edit(path, "  - text: \"Attacks on Chinese workers",
         "  # threatbrief: ignore[K001] a second report is expected from the embassy\n  - text: \"Attacks on Chinese workers")
    monkeypatch.chdir(basic)
    code, out, _ = cli("check", "--format", "sarif")
    assert code == 0 and _sarif_errors(out) == []
    (k001,) = [r for r in json.loads(out)["runs"][0]["results"] if r["ruleId"] == "K001"]
    assert k001["suppressions"] == [{"kind": "inSource", "justification": "a second report is expected from the embassy"}]
    code, out, _ = cli("check", "--format", "gitlab")
    assert code == 0 and json.loads(out) == []
