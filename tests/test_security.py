"""Issue 11: each attack from the break-in attempt, reproduced, and shown to fail now.

Numbers in the test names are the items of the issue. Quote boundaries, typography folding
and the closest-passage bounds (items 3, 11, 15) are in test_security_quotes.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, edit, line_of

from threatbrief import markup
from threatbrief.pipeline import BuildError, build, check
from threatbrief.project import Project

A = "assessments/border.yaml"


def codes(root: Path) -> list[str]:
    return [d.code for d in check(Project.at(root)).diagnostics]


# 1. A symlinked reports/ --------------------------------------------------------------------

def test_01_clean_and_build_refuse_a_symlinked_reports(basic: Path, tmp_path: Path, cli) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "thesis.html").write_text("years of work", encoding="utf-8")
    (basic / "reports").symlink_to(victim)
    code, out, err = cli("-C", str(basic), "clean")
    assert code == 1 and "reports/ is a symbolic link" in err
    code, out, err = cli("-C", str(basic), "html")
    assert code == 1 and "reports/ is a symbolic link" in err
    assert sorted(p.name for p in victim.iterdir()) == ["thesis.html"]


def test_01_clean_removes_only_unchanged_outputs_it_wrote(basic: Path, tmp_path: Path, cli) -> None:
    assert cli("-C", str(basic), "html")[0] == 0
    reports = basic / "reports"
    outside = tmp_path / "precious.html"
    outside.write_text("not ours", encoding="utf-8")
    (reports / "border.html").unlink()
    (reports / "border.html").symlink_to(outside)  # a link where an output was: never followed
    (reports / "index.html").write_text("edited by hand", encoding="utf-8")
    (reports / "mine.pdf").write_text("the team's own file", encoding="utf-8")
    code, out, err = cli("-C", str(basic), "clean")
    assert code == 0
    assert "kept reports/border.html: a symbolic link" in err
    assert "kept reports/index.html: changed since threatbrief wrote it" in err
    assert outside.read_text(encoding="utf-8") == "not ours"
    assert sorted(p.name for p in reports.iterdir()) == ["border.html", "index.html", "mine.pdf"]


def test_01_a_forged_manifest_cannot_make_clean_delete_outside_reports(basic: Path, cli) -> None:
    assert cli("-C", str(basic), "html")[0] == 0
    manifest = basic / "reports" / ".threatbrief-manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    secret = basic / "sources" / "report.txt"
    digest = __import__("hashlib").sha256(secret.read_bytes()).hexdigest()
    data["targets"]["reports/../sources/report.txt"] = {"inputs": {}, "output": digest, "extra": {}}
    manifest.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = cli("-C", str(basic), "clean")
    assert code == 0 and "corrupt" in err and "removed 0 file(s)" in out
    assert secret.exists()


# 2. The cubic regex before citation markers ----------------------------------------------------

def test_02_long_runs_of_spaces_before_a_marker_render_in_linear_time() -> None:
    # Spaces NOT followed by a marker are what made the old regex backtrack at every position.
    text = "Attack" + " " * 100_000 + "on a convoy" + "\t " * 50_000 + "\n" + " " * 1000 + "[@toll] and [@toll]"
    started = time.perf_counter()
    html = markup.to_html(text, {"toll": 1}, lambda n: f"<sup>{n}</sup>")
    assert time.perf_counter() - started < 1
    assert "convoy<sup>1</sup> and<sup>1</sup>" in html


def test_02_a_narrative_of_spaces_checks_and_builds_fast(basic: Path) -> None:
    edit(basic / A, "One worker was killed and four were wounded [@toll].",
         "One worker was killed" + " " * 15_000 + "and four were wounded [@toll].")  # 4,000 hung it
    started = time.perf_counter()
    result = build(Project.at(basic), formats=("html",))
    assert result.ok and time.perf_counter() - started < 3


def test_02_config_line_lookup_is_linear(basic: Path) -> None:
    (basic / "threatbrief.toml").write_text("[rules]\n" + " " * 100_000 + "\nC999 = 'off'\n", encoding="utf-8")
    started = time.perf_counter()
    found = check(Project.at(basic)).diagnostics
    assert time.perf_counter() - started < 1
    assert [(d.code, d.line) for d in found] == [("X001", 3)]


# 4. One file registered twice --------------------------------------------------------------

def _duplicate_entry(root: Path, new_path: str, tlp: str = "TLP:CLEAR") -> None:
    registry = root / "sources" / "sources.yaml"
    text = registry.read_text(encoding="utf-8")
    entry = text[text.index("  - path: report.txt"):text.index("  - path: second.txt")]
    registry.write_text(text + entry.replace("path: report.txt", f"path: {new_path}")
                        .replace("reliability: B", f"reliability: B\n    tlp: \"{tlp}\""), encoding="utf-8")


@pytest.mark.parametrize("alias", ["./report.txt", "sub/../report.txt", "Report.txt", "copy.txt"])
def test_04_one_file_registered_twice_is_reported(basic: Path, alias: str) -> None:
    if alias == "Report.txt":
        (basic / "sources" / "Report.txt").symlink_to("report.txt")  # as a case-insensitive disk sees it
    if alias == "copy.txt":
        (basic / "sources" / "copy.txt").write_bytes((basic / "sources" / "report.txt").read_bytes())
    _duplicate_entry(basic, alias)
    found = [d for d in check(Project.at(basic)).diagnostics if d.code in ("S005", "S001")]
    assert found, f"{alias} registered beside report.txt was not reported"


def test_04_a_second_entry_cannot_launder_a_red_source(basic: Path) -> None:
    _duplicate_entry(basic, "./report.txt")  # the second entry says TLP:CLEAR …
    edit(basic / "sources" / "sources.yaml", "reliability: B", "reliability: B\n    tlp: \"TLP:RED\"")  # … the first RED
    edit(basic / A, "- source: report.txt\n        quote: \"Officials said", "- source: ./report.txt\n        quote: \"Officials said")
    found = codes(basic)
    assert "S005" in found and "T003" in found


# 5, 19. File names become links; an assessment named index -----------------------------------

def test_05_output_names_and_links_come_from_a_safe_slug(basic: Path) -> None:
    (basic / A).rename(basic / "assessments" / "javascript:alert(1).yaml")
    result = build(Project.at(basic), formats=("html",))
    assert result.ok, result.check and result.check.diagnostics
    index = (basic / "reports" / "index.html").read_text(encoding="utf-8")
    assert 'href="javascript-alert-1.html"' in index and "javascript:" not in index
    assert (basic / "reports" / "javascript-alert-1.html").exists()


@pytest.mark.parametrize("names, message", [
    (["index.yaml"], "reserved"),
    (["Border.yaml", "border.yaml"], "is also the name of"),
    (["border.yaml", "border!.yaml"], "is also the name of"),
    (["---.yaml"], "no usable output name"),
])
def test_05_19_reserved_empty_and_colliding_names_are_errors(basic: Path, names: list[str], message: str) -> None:
    text = (basic / A).read_text(encoding="utf-8")
    (basic / A).unlink()
    for name in names:
        (basic / "assessments" / name).write_text(text, encoding="utf-8")
    found = [d for d in check(Project.at(basic)).diagnostics if d.code == "A002"]
    assert found and all(message in d.message for d in found)
    result = build(Project.at(basic), formats=("html",))
    assert not result.ok and not (basic / "reports" / "index.html").exists()


# 6. Links in Markdown ----------------------------------------------------------------------

@pytest.mark.parametrize("link", ["file:///etc/passwd", "javascript:alert(1)", "//evil.example/x", "../../etc/passwd",
                                  "notes.html", "JaVaScRiPt:alert(1)", "data:text/html,x", "java\tscript:x",
                                  "https:evil.example", "https:///etc/passwd"])
def test_06_links_other_than_http_mailto_and_anchors_are_check_errors_at_their_line(basic: Path, link: str) -> None:
    edit(basic / A, "[@toll].", f"[@toll], as [the log]({link}) shows.")
    found = [d for d in check(Project.at(basic)).diagnostics if d.code == "M001"]
    assert len(found) == 1 and found[0].line == line_of(basic / A, "as [the log]")


@pytest.mark.parametrize("text", ["[site](https://example.org/a?b=1)", "<mailto:desk@example.org>", "[below](#cite-1)",
                                  "[ref][r]\n\n      [r]: http://example.org", '<a href="https://example.org">x</a>'])
def test_06_allowed_links_pass_and_reach_the_page(basic: Path, text: str) -> None:
    edit(basic / A, "[@toll].", f"[@toll]. See {text}.")
    assert codes(basic) == []


def test_06_the_renderer_drops_disallowed_links_even_without_check(tmp_path: Path) -> None:
    from threatbrief.publish.pdf import render_pdf

    html = markup.to_html("[a](file:///etc/passwd) [b](//evil.example/) [c](notes.html) [d](https://ok.example/)", {}, str)
    assert html.count("href=") == 1 and 'href="https://ok.example/"' in html
    pdf, refused = render_pdf(f'<html lang="en"><head><title>t</title></head><body>{html}</body></html>', tmp_path, "2024-12-01")
    assert b"file:" not in pdf and refused == []


# 7. A forged manifest ----------------------------------------------------------------------

def test_07_manifest_paths_are_confined_and_nothing_odd_is_read(basic: Path) -> None:
    assert build(Project.at(basic), formats=("html",)).ok
    manifest = basic / "reports" / ".threatbrief-manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    for target in data["targets"].values():
        target["inputs"]["registry:../../../../dev/zero"] = ""
    manifest.write_text(json.dumps(data), encoding="utf-8")
    started = time.perf_counter()
    result = build(Project.at(basic), formats=("html",))
    assert result.ok and time.perf_counter() - started < 5
    assert "corrupt" in result.notice


def test_07_a_manifest_that_is_a_device_or_link_is_not_read(basic: Path) -> None:
    (basic / "reports").mkdir()
    (basic / "reports" / ".threatbrief-manifest.json").symlink_to("/dev/zero")
    started = time.perf_counter()
    result = build(Project.at(basic), formats=("html",))
    assert result.ok and time.perf_counter() - started < 5
    assert "not a regular file" in result.notice


def test_07_inputs_that_turn_into_devices_are_not_read(basic: Path) -> None:
    from threatbrief.make import manifest

    fingerprints = manifest.Fingerprints(Project.at(basic), {})
    os.symlink("/dev/zero", basic / "sources" / "zero.txt")
    os.mkfifo(basic / "sources" / "pipe.txt")
    for key in ("sources/zero.txt", "sources/pipe.txt", "/dev/zero", "../etc/passwd", "sources/../../x"):
        assert fingerprints.digest(key) == ""


# 8. Files linked in from outside the project -----------------------------------------------

def test_08_assessments_and_sources_linked_from_outside_are_refused(basic: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (basic / A).rename(outside / "border.yaml")
    (basic / A).symlink_to(outside / "border.yaml")
    found = check(Project.at(basic)).diagnostics
    assert [(d.code, "outside the project" in d.message) for d in found] == [("Y004", True)]


def test_08_a_sources_folder_linked_from_outside_is_refused(basic: Path, tmp_path: Path) -> None:
    (basic / "sources").rename(tmp_path / "corpus")
    (basic / "sources").symlink_to(tmp_path / "corpus")
    found = codes(basic)
    assert "S001" in found or "Y004" in found


def test_08_a_project_may_opt_in_to_a_shared_corpus(basic: Path, tmp_path: Path) -> None:
    (basic / "sources").rename(tmp_path / "corpus")
    (basic / "sources").symlink_to(tmp_path / "corpus")
    (basic / "threatbrief.toml").write_text(f'[paths]\nallow_outside = ["{tmp_path / "corpus"}"]\n', encoding="utf-8")
    assert codes(basic) == []


def test_08_templates_linked_from_outside_are_refused(basic: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.css").write_text("/* SECRET */", encoding="utf-8")
    (basic / "templates").mkdir()
    (basic / "templates" / "briefing.css").symlink_to(tmp_path / "secret.css")
    with pytest.raises(BuildError, match="symbolic link out of the project"):
        build(Project.at(basic), formats=("html",))
    assert not (basic / "reports" / "border.html").exists()


# 9, 12. Limits on work; tracebacks instead of errors ------------------------------------------

def test_09_ten_thousand_brackets_are_a_limit_error_in_a_moment(basic: Path) -> None:
    edit(basic / A, "[@toll].", "[@toll]. " + "[" * 10_000)
    started = time.perf_counter()
    found = check(Project.at(basic)).diagnostics
    assert time.perf_counter() - started < 1
    assert [d.code for d in found] == ["L001"] and "the limit is 300" in found[0].message


@pytest.mark.parametrize("date", ["0001-11-18", "9999", "1899-12-31/2024-01-01"])
def test_09_dates_outside_the_window_are_errors(basic: Path, date: str) -> None:
    edit(basic / A, 'date: "2024-11-18"', f'date: "{date}"')
    found = check(Project.at(basic)).diagnostics
    assert [d.code for d in found] == ["L001"] and "1900–2100" in found[0].message


def test_09_too_many_citations_is_an_error_naming_the_limit(basic: Path) -> None:
    cite = '      - source: report.txt\n        quote: "Officials said one worker was killed and four were wounded."\n'
    judgment = "  - text: \"Attacks are likely.\"\n    likelihood: likely\n    confidence: low\n    citations:\n" + cite * 100
    edit(basic / A, "key_judgments:\n", "key_judgments:\n" + judgment * 3)  # 300 more than the 9 there were
    found = check(Project.at(basic)).diagnostics
    assert [d.code for d in found] == ["L001"] and "the limit is 300" in found[0].message


@pytest.mark.parametrize("value, code, words", [
    ("1.0", "Y010", "whole number"), ("9" * 5000, "Y001", "too large"), ("1.0e+400", "Y010", "whole number"),
    ("-1", "Y010", ""), ("10000000", "Y010", "limit"),
])
def test_12_odd_numbers_are_errors_not_tracebacks(basic: Path, value: str, code: str, words: str) -> None:
    edit(basic / A, "killed: 1\n", f"killed: {value}\n")
    found = check(Project.at(basic)).diagnostics
    assert {d.code for d in found} == {code} and words in found[0].message


@pytest.mark.parametrize("old, new", [('date: "2024-11-18"', 'date: "2024-11-18\\n"'), ("date: 2024-12-01", 'date: "2024-12-01\\n"')])
def test_12_a_date_with_a_newline_is_an_error(basic: Path, old: str, new: str) -> None:
    edit(basic / A, old, new)
    assert set(codes(basic)) == {"Y010"}


def test_12_deeply_nested_markdown_is_a_check_error_not_a_crash(basic: Path) -> None:
    edit(basic / A, "[@toll].", "[@toll].\n\n      " + "> " * 200 + "deep")
    found = check(Project.at(basic)).diagnostics
    assert [d.code for d in found] == ["L001"] and "nested 200 levels" in found[0].message
    list_bomb = "".join("      " + "    " * i + "- x\n" for i in range(40))
    edit(basic / A, "> " * 200 + "deep", "list:\n\n" + list_bomb)
    assert codes(basic) == ["L001"]


def test_12_what_passes_check_builds(basic: Path) -> None:
    """Markdown just inside every limit renders (and quickly): check and build agree."""
    body = ("> " * 15 + "deep\n\n" + "[" * 150 + "](x" * 0 + " " + "<" * 300 + "\n\n"
            + "".join("    " * i + "- item\n" for i in range(14)))
    assert markup.problems(body) == []
    started = time.perf_counter()
    markup.to_html(body, {}, str)
    assert time.perf_counter() - started < 2


# 10, 18. Chart labels are plain text, all kept ---------------------------------------------------

def test_10_18_chart_labels_are_plain_text_and_all_kept(basic: Path) -> None:
    from threatbrief.load.loader import load_assessment
    from threatbrief.publish.charts import build_charts

    edit(basic / A, "target_type: business", 'target_type: "$\\\\frac{a}{b$ business"')
    edit(basic / A, "target_nationality: Chinese", "target_nationality: _hidden")
    assessment, _, problems = load_assessment(basic / A, Project.at(basic))
    assert assessment is not None and problems == []
    charts = {c.slug: c for c in build_charts(assessment.incidents)}
    svg = charts["targets"].svg
    assert "_hidden" in svg and "\\frac{a}{b" in svg


# 11. Interrupting check -------------------------------------------------------------------

def test_11_sigterm_stops_a_long_check_at_once(basic: Path) -> None:
    """Long near misses in a large source: the closest-passage search must give way to SIGTERM.

    Before it was bounded, each miss was one rapidfuzz call of seconds, in C, deaf to signals.
    """
    from test_security_quotes import prose

    text = prose(16_000_000, seed=4)  # the largest source allowed
    (basic / "sources" / "big.txt").write_text(text, encoding="utf-8")
    digest = hashlib.sha256((basic / "sources" / "big.txt").read_bytes()).hexdigest()
    registry = basic / "sources" / "sources.yaml"
    entry = registry.read_text(encoding="utf-8").split("  - path: second.txt")[1]
    registry.write_text(registry.read_text(encoding="utf-8") + "  - path: big.txt" + entry.replace(
        re.search(r"sha256: (\w+)", entry)[1], digest), encoding="utf-8")
    tail = prose(1_500, seed=5)

    def near_miss(k: int) -> str:
        at = text.index(" ", 20_000 * k + 1) + 1
        return text[at:text.index(" ", at + 150)] + " Exactly " + tail

    assessment = (basic / A).read_text(encoding="utf-8")
    for n in range(8):  # 8 assessments of 69 long near misses each, every one within the limits
        judgments = "".join(
            '  - text: "Attacks are likely."\n    likelihood: likely\n    confidence: low\n    citations:\n'
            + "".join(f'      - source: big.txt\n        quote: "{near_miss(n * 100 + j * 30 + k)}"\n' for k in range(23))
            for j in range(3))
        (basic / "assessments" / f"misses-{n}.yaml").write_text(
            assessment.replace("key_judgments:\n", "key_judgments:\n" + judgments), encoding="utf-8")
    process = subprocess.Popen([sys.executable, str(REPO / "build.py"), "-C", str(basic), "check"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    assert process.poll() is None, "check finished before it could be interrupted: make the workload larger"
    sent = time.perf_counter()
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert time.perf_counter() - sent < 0.5
    assert process.returncode == 130 and "interrupted" in err and "Traceback" not in err


# 13. A typed token cannot forge an endnote -------------------------------------------------

def test_13_a_literal_internal_token_stays_text() -> None:
    html = markup.to_html("Forged ⟦cite:1⟧ and real [@toll]", {"toll": 7}, lambda n: f'<a href="#cite-{n}">{n}</a>')
    assert "⟦cite:1⟧" in html and html.count("<a ") == 1 and 'href="#cite-7"' in html


# 14. Terminal escapes from sources -----------------------------------------------------------

def test_14_control_characters_in_diagnostics_are_escaped(basic: Path, cli) -> None:
    source = basic / "sources" / "report.txt"
    source.write_text(source.read_text(encoding="utf-8").replace("four were wounded", "four\x1b]0;pwned\x07\x1b[2J were wounded"),
                      encoding="utf-8")
    code, out, _ = cli("-C", str(basic), "check")
    assert code == 1 and "\x1b" not in out and "\x07" not in out and "\\x1b[2J" in out
    code, out, _ = cli("-C", str(basic), "check", "--format", "json")
    assert "\x1b" not in out and json.loads(out)


# 16. Index entries from the manifest ---------------------------------------------------------

def test_16_forged_index_entries_are_not_rendered(basic: Path) -> None:
    assert build(Project.at(basic), formats=("html",)).ok
    manifest = basic / "reports" / ".threatbrief-manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["targets"]["reports/border.html"]["extra"]["index"].update(
        name="javascript:alert(1)", title="<script>alert(1)</script>", tlp="TLP:PURPLE")
    manifest.write_text(json.dumps(data), encoding="utf-8")
    (basic / "reports" / "index.html").unlink()
    assert build(Project.at(basic), formats=("html",)).ok
    index = (basic / "reports" / "index.html").read_text(encoding="utf-8")
    assert "javascript:" not in index and "<script>alert" not in index and "PURPLE" not in index
    assert "Border attack on Chinese workers" in index


# 17. Integrity rules cannot be demoted ---------------------------------------------------------

@pytest.mark.parametrize("rule", ["C001", "quote-not-found", "S005", "T003", "M001"])
def test_17_integrity_rules_cannot_be_demoted(basic: Path, rule: str) -> None:
    edit(basic / A, "four were wounded.\"", "five were wounded.\"")
    (basic / "threatbrief.toml").write_text(f'[rules]\n{rule} = "warning"\n', encoding="utf-8")
    result = check(Project.at(basic))
    assert not result.ok
    assert "X001" in [d.code for d in result.diagnostics] and "cannot be lowered" in str(result.diagnostics)
    assert not build(Project.at(basic)).ok and not (basic / "reports" / "border.html").exists()


def test_no_control_or_bidi_character_reaches_the_terminal_whatever_surrounds_it() -> None:
    """The fast path of `printable` (text already printable) never lets an escaped character by."""
    from threatbrief.diagnostics import _CONTROLS, printable

    for code in _CONTROLS:
        for text in (chr(code), f"a{chr(code)}b", f"line\n{chr(code)}\nline", f"“{chr(code)}” é\n"):
            shown = printable(text)
            assert not any(ord(c) in _CONTROLS for c in shown), (hex(code), text)
    assert printable("two\nlines “quoted”") == "two\nlines “quoted”"
