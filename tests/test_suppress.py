"""Suppressions: '# threatbrief: ignore[CODE] reason' silences one finding, and is itself checked (X002)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from conftest import edit, line_of

from threatbrief.check.suppress import comments
from threatbrief.pipeline import check
from threatbrief.project import Project

A = "assessments/border.yaml"
R = "sources/sources.yaml"
KJ = "  - text: \"Attacks on Chinese workers near the border are likely to continue.\""
KJ_SECOND = "      - source: second.txt\n        quote: \"claimed the attack on the convoy\"\n"
REASON = "the second outlet only repeats the first"


def single_source(root: Path) -> None:
    """Key judgment 1 rests on one source: K001 (a warning) at its text's line."""
    edit(root / A, KJ_SECOND, "")


def diagnostics(root: Path, names: list[str] | None = None):
    result = check(Project.at(root), names)
    return [(d.code, d.line) for d in result.diagnostics], result


# 1. Reading the comments ------------------------------------------------------------------------

def _found(text: str) -> list[tuple[int, tuple[str, ...] | None, str, int | None]]:
    return [(c.line, c.codes, c.reason, c.target) for c in comments("f.yaml", text.splitlines())]


@pytest.mark.parametrize("text, expected", [
    ("a: 1  # threatbrief: ignore[K001] why\n", [(1, ("K001",), "why", 1)]),
    ("# threatbrief: ignore[K001,T002] why\na: 1\n", [(1, ("K001", "T002"), "why", 2)]),
    ("  # threatbrief: ignore[K001] one\n  # threatbrief: ignore[T002] two\n  a: 1\n",
     [(1, ("K001",), "one", 3), (2, ("T002",), "two", 3)]),                         # stacked above one line
    ("# threatbrief: ignore[K001] why\n\na: 1\n", [(1, ("K001",), "why", 2)]),       # a blank line: not directly above
    ("a: 1\n# threatbrief: ignore[K001] why\n", [(2, ("K001",), "why", None)]),     # nothing below it
    ("a: \"x # threatbrief: ignore[K001] why\"\n", []),                              # inside a double-quoted string
    ("a: 'it''s # threatbrief: ignore[K001] why'\n", []),                           # '' inside a single-quoted one
    ("a: it's fine  # threatbrief: ignore[K001] why\n", [(1, ("K001",), "why", 1)]),  # an apostrophe opens nothing
    ("a: \"two\n  lines # threatbrief: ignore[K001] why\"\nb: 1\n", []),           # a string over two lines
    ("a: x#threatbrief: ignore[K001] why\n", []),                                    # '#' inside a word
    ("  - 'x # threatbrief: ignore[K001] why'\n", []),                               # a quoted list item
    ("a: [\"x\", 'y # threatbrief: ignore[K001] why']\n", []),                       # inside a flow list
    ("a: \"x \\\" # threatbrief: ignore[K001] why\"\n", []),                        # an escaped quote
    ("body: |\n  # threatbrief: ignore[K001] why\n  text\nb: 1  # threatbrief: ignore[T002] ok\n",
     [(4, ("T002",), "ok", 4)]),                                                     # a block scalar is text
    ("- body: >-\n    # threatbrief: ignore[K001] why\n  title: x  # threatbrief: ignore[T002] ok\n",
     [(3, ("T002",), "ok", 3)]),                                                     # the block ends at its key's level
    ("a: 1  # threatbrief: ignre[K001] why\n", [(1, None, "", 1)]),                 # not understood: reported
    ("a: 1  # threatbrief reads this file\n", []),                                   # not a directive at all
])
def test_comments(text: str, expected: list) -> None:
    assert _found(text) == expected


def test_reading_comments_is_linear_time() -> None:
    lines = ["a: " + "'\"" * 50_000 + " # threatbrief: ignore[K001] why", "b: |", *["  '" * 30_000] * 3,
             "c: " + "- '" * 30_000, "d: " + "# " * 50_000]
    started = time.perf_counter()
    comments("f.yaml", lines)
    assert time.perf_counter() - started < 1


# 2. Silencing a finding -------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["above", "end"])
def test_a_suppression_with_a_reason_silences_the_finding_at_its_line(basic: Path, cli, where: str) -> None:
    single_source(basic)
    if where == "above":
        edit(basic / A, KJ, f"  # threatbrief: ignore[K001] {REASON}\n{KJ}")
    else:
        edit(basic / A, KJ, f"{KJ}  # threatbrief: ignore[judgment-single-source] {REASON}")
    found, result = diagnostics(basic)
    assert found == []
    (silenced,) = result.suppressed
    assert silenced.diagnostic.code == "K001" and silenced.reason == REASON
    assert silenced.line == line_of(basic / A, "# threatbrief:")
    code, out, _ = cli("-C", str(basic), "check")
    assert code == 0 and out.strip().endswith(": 0 errors, 0 warnings, 1 suppressed")


def test_an_error_can_be_suppressed_and_then_passes(basic: Path, cli) -> None:
    edit(basic / A, "    wounded: 4\n", "    # threatbrief: ignore[F001] the report's second paragraph gives five\n"
                                       "    wounded: 5\n")
    code, out, _ = cli("-C", str(basic), "check")
    assert code == 0 and "0 errors, 0 warnings, 1 suppressed" in out


def test_json_lists_the_suppressed_finding_after_the_others(basic: Path, cli) -> None:
    single_source(basic)
    edit(basic / A, KJ, f"{KJ}  # threatbrief: ignore[K001] {REASON}")
    edit(basic / A, "confidence: low", "confidence: low  # threatbrief: ignore[T002]")
    code, out, _ = cli("-C", str(basic), "check", "--format", "json")
    assert code == 0
    items = json.loads(out)
    assert [(i["code"], i["severity"]) for i in items] == [("X002", "warning"), ("K001", "suppressed")]
    assert items[1]["suppressed"] == {"severity": "warning", "reason": REASON, "line": line_of(basic / A, KJ.strip())}
    assert items[1]["rule"] == "judgment-single-source" and items[1]["line"] == line_of(basic / A, KJ.strip())


def test_github_format_counts_suppressed_findings(basic: Path, cli) -> None:
    single_source(basic)
    edit(basic / A, KJ, f"{KJ}  # threatbrief: ignore[K001] {REASON}")
    code, out, err = cli("-C", str(basic), "check", "--format", "github")
    assert code == 0 and out == "" and err.strip().endswith("0 errors, 0 warnings, 1 suppressed")


def test_without_suppressions_the_summary_line_is_unchanged(basic: Path, cli) -> None:
    single_source(basic)
    _, out, _ = cli("-C", str(basic), "check")
    assert out.strip().endswith(": 0 errors, 1 warning")


def test_several_codes_in_one_comment(basic: Path) -> None:
    single_source(basic)
    edit(basic / A, "are likely to continue.", "are likely to continue and may spread.")  # T002 too
    edit(basic / A, KJ.replace("continue.", "continue and may spread."),
         KJ.replace("continue.", "continue and may spread.") + f"  # threatbrief: ignore[K001, T002] {REASON}")
    found, result = diagnostics(basic)
    assert found == [] and sorted(s.diagnostic.code for s in result.suppressed) == ["K001", "T002"]


def test_a_registry_comment_silences_a_registry_finding(basic: Path) -> None:
    (basic / "sources" / "third.txt").write_text("A third report.\n", encoding="utf-8")
    import hashlib

    digest = hashlib.sha256((basic / "sources" / "third.txt").read_bytes()).hexdigest()
    with (basic / R).open("a", encoding="utf-8") as registry:
        registry.write("  # threatbrief: ignore[S006] kept for the next assessment of the convoy\n"
                       "  - path: third.txt\n    title: \"Third\"\n    publisher: null\n    author: null\n"
                       "    published: unknown\n    language: en\n    kind: news\n    reliability: C\n"
                       f"    rationale: \"A report.\"\n    sha256: {digest}\n")
    found, result = diagnostics(basic)
    assert found == [] and [s.diagnostic.code for s in result.suppressed] == ["S006"]
    # Checking one assessment does not check S006: the comment is not reported as unused then.
    assert diagnostics(basic, ["border"])[0] == []


# 3. X002: a suppression that is wrong is reported, and silences nothing -------------------------

def test_a_suppression_without_a_reason_silences_nothing(basic: Path) -> None:
    single_source(basic)
    edit(basic / A, KJ, f"{KJ}  # threatbrief: ignore[K001]")
    found, result = diagnostics(basic)
    line = line_of(basic / A, KJ.strip())
    assert sorted(found) == [("K001", line), ("X002", line)] and result.suppressed == []
    x002 = next(d for d in result.diagnostics if d.code == "X002")
    assert "has no reason" in x002.message and x002.col == len(KJ) + 3


def test_an_unknown_code_is_reported_with_a_suggestion(basic: Path) -> None:
    single_source(basic)
    edit(basic / A, KJ, f"{KJ}  # threatbrief: ignore[K01] {REASON}")
    found, result = diagnostics(basic)
    x002 = next(d for d in result.diagnostics if d.code == "X002")
    assert "unknown rule code 'K01'" in x002.message and "did you mean" in x002.hint
    assert ("K001", line_of(basic / A, KJ.strip())) in found


@pytest.mark.parametrize("code", ["C001", "P001", "S004", "Y010", "X002"])
def test_locked_rules_cannot_be_suppressed(basic: Path, code: str) -> None:
    edit(basic / A, "four were wounded.\"", f"five were wounded.\"  # threatbrief: ignore[{code}] I checked it by hand")
    found, result = diagnostics(basic)
    line = line_of(basic / A, "five were wounded")
    assert ("C001", line) in found and ("X002", line) in found and result.suppressed == []
    x002 = next(d for d in result.diagnostics if d.code == "X002")
    assert f"ignore[{code}]: {code}" in x002.message and "cannot be suppressed" in x002.message


def test_a_suppression_that_silences_nothing_is_reported(basic: Path) -> None:
    edit(basic / A, KJ, f"{KJ}  # threatbrief: ignore[K001] {REASON}")  # two sources: no K001 here
    found, _ = diagnostics(basic)
    assert found == [("X002", line_of(basic / A, KJ.strip()))]


def test_a_comment_one_line_too_far_silences_nothing(basic: Path) -> None:
    single_source(basic)
    edit(basic / A, KJ, f"  # threatbrief: ignore[K001] {REASON}\n\n{KJ}")
    found, _ = diagnostics(basic)
    assert sorted(c for c, _ in found) == ["K001", "X002"]


def test_an_unreadable_directive_is_reported(basic: Path) -> None:
    edit(basic / A, "confidence: low", "confidence: low  # threatbrief: ignore K001 because")
    found, result = diagnostics(basic)
    assert [c for c, _ in found] == ["X002"] and "is not a suppression" in result.diagnostics[0].message


def test_an_invalid_assessment_reports_no_unused_suppression(basic: Path) -> None:
    """The rules did not run on a file with a schema error: its comments are not 'unused'."""
    edit(basic / A, "confidence: low", "confidence: lowish")
    edit(basic / A, KJ, f"{KJ}  # threatbrief: ignore[K001] {REASON}")
    assert [c for c, _ in diagnostics(basic)[0]] == ["Y010"]


def test_config_levels_apply_after_suppressions(basic: Path) -> None:
    single_source(basic)
    edit(basic / A, KJ, f"{KJ}  # threatbrief: ignore[K001] {REASON}")
    edit(basic / A, "confidence: low", "confidence: low  # threatbrief: ignore[T002]")
    (basic / "threatbrief.toml").write_text('[rules]\nsuppression-invalid = "error"\nK001 = "off"\n', encoding="utf-8")
    result = check(Project.at(basic))
    assert [(d.code, d.severity.value) for d in result.diagnostics] == [("X002", "error")]
    assert result.suppressed == []  # K001 is off: nothing that would have been shown was silenced
