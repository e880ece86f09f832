"""Every rule code, shown firing on a small edit of a clean project and not firing without it."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Callable

import pytest
from conftest import edit, line_of

from threatbrief.diagnostics import DISTRIBUTION_RULES, RULES
from threatbrief.pipeline import check
from threatbrief.project import Project

A = "assessments/border.yaml"
R = "sources/sources.yaml"
KJ_SECOND = "      - source: second.txt\n        quote: \"claimed the attack on the convoy\"\n"


def _replace(rel: str, old: str, new: str) -> Callable[[Path], None]:
    return lambda root: edit(root / rel, old, new)


def _write(rel: str, text: str) -> Callable[[Path], None]:
    return lambda root: (root / rel).write_text(text, encoding="utf-8")


def _symlink_out(root: Path) -> None:
    os.symlink("/etc/hostname", root / "sources" / "out.txt")
    edit(root / A, "- source: second.txt\n        quote: \"claimed", "- source: out.txt\n        quote: \"claimed")


def _unregistered(root: Path) -> None:
    (root / "sources" / "third.txt").write_text("A third account of the attack on the convoy.\n", encoding="utf-8")
    edit(root / A, "- source: second.txt\n        quote: \"claimed the attack on the convoy\"",
         "- source: third.txt\n        quote: \"third account of the attack\"")


def _second_report_says(sentence_end: str) -> Callable[[Path], None]:
    """second.txt's claim sentence ends differently (its registered sha256 follows the edit)."""
    def change(root: Path) -> None:
        import hashlib

        path = root / "sources" / "second.txt"
        old = hashlib.sha256(path.read_bytes()).hexdigest()
        edit(path, "claimed the attack on the convoy.", "claimed the attack on the convoy" + sentence_end)
        edit(root / R, old, hashlib.sha256(path.read_bytes()).hexdigest())
    return change


def _registry_duplicate(root: Path) -> None:
    text = (root / R).read_text(encoding="utf-8")
    entry = text[text.index("  - path: second.txt"):]
    (root / R).write_text(text + entry, encoding="utf-8")


def _second_as(name: str, content: bytes | Callable[[], bytes]) -> Callable[[Path], None]:
    """second.txt is replaced by `name` (a web page, a PDF), registered with its sha256 and cited."""
    def change(root: Path) -> None:
        import hashlib

        data = content if isinstance(content, bytes) else content()
        old = root / "sources" / "second.txt"
        edit(root / R, hashlib.sha256(old.read_bytes()).hexdigest(), hashlib.sha256(data).hexdigest())
        old.unlink()
        (root / "sources" / name).write_bytes(data)
        for rel in (A, R):
            text = (root / rel).read_text(encoding="utf-8")
            (root / rel).write_text(text.replace("second.txt", name), encoding="utf-8")
    return change


SECOND_PAGE = (b"<html><body><nav><a href='/'>Home</a></nav><article><h1>Second report</h1><p>A second report says "
               b"the Islamic State Khorasan Province (ISKP) claimed the attack on the convoy.</p></article><aside>"
               b"<h2>Most read</h2><ul><li>Markets fall as the currency slides again</li></ul></aside></body></html>")


@functools.cache
def _second_pdf() -> bytes:
    from weasyprint import HTML

    return HTML(string="<p>A second report says the Islamic State Khorasan Province (ISKP) claimed the attack "
                       "on the convoy.</p>").write_pdf()



def _quote_from_the_sidebar(root: Path) -> None:
    _second_as("second.html", SECOND_PAGE)(root)
    edit(root / A, "quote: \"claimed the attack on the convoy\"", "quote: \"Markets fall as the currency slides again\"")


def _extracted_by_an_older_version(root: Path) -> None:
    """The cache holds what an older extractor made of the page: another text."""
    import hashlib

    from threatbrief.sources.extract import Extracted, extractor_for
    from threatbrief.sources.extract.cache import ExtractionCache

    _second_as("second.html", SECOND_PAGE)(root)
    cache = ExtractionCache.for_project(Project.at(root).cache_dir())
    cache.put(hashlib.sha256(SECOND_PAGE).hexdigest(), extractor_for(".html"), "trafilatura 1.0, rules 0",
              Extracted("Second report\nA second report says the Islamic State Khorasan Province (ISKP) claimed "
                        "the attack on the convoy. Home"))


def _record_again(root: Path, incident: str, new_id: str) -> None:
    """The incident recorded a second time, under another id, at the end of the assessment."""
    text = (root / A).read_text(encoding="utf-8")
    start = text.index(f"  - id: {incident}\n")
    end = text.find("\n  - id: ", start + 1)
    record = text[start:end + 1 if end >= 0 else len(text)]
    (root / A).write_text(text.rstrip("\n") + "\n" + record.replace(f"id: {incident}", f"id: {new_id}"), encoding="utf-8")


FIRING: dict[str, Callable[[Path], None]] = {
    "Y001": _replace(A, "title: \"Border", "title: [\"Border"),
    "Y002": _replace(A, "scope: \"A test assessment.\"", "scope: \"A test assessment.\"\nscope: again"),
    "Y003": _replace(A, "authors: [\"Test desk\"]", "authors: &a [\"Test desk\"]\nx: *a"),
    "Y004": lambda root: (root / A).write_bytes(b"title: \"\xff\"\n"),
    "Y010": _replace(A, "confidence: low", "confidence: lowish"),
    "S001": _symlink_out,
    "S002": _replace(A, "- source: second.txt\n        quote: \"claimed", "- source: gone.txt\n        quote: \"claimed"),
    "S003": _unregistered,
    "S004": lambda root: (root / "sources" / "second.txt").write_text("Changed.\n", encoding="utf-8"),
    "S005": _registry_duplicate,
    "S006": lambda root: _stop_citing_second(root),
    "S007": _second_as("second.pdf", b"%PDF-1.7\n% a damaged download\n"),
    "S008": _extracted_by_an_older_version,
    "C001": _replace(A, "four were wounded.\"", "five were wounded.\""),
    "C002": _replace(A, "quote: \"claimed the attack on the convoy\"", "quote: \"the convoy\""),
    "C003": _replace(A, "[@claim]", "[@claims]"),
    "C004": _replace(A, "- id: convoy", "- id: toll"),
    "C005": _quote_from_the_sidebar,
    "C010": lambda root: _drop_incident_citations(root),
    "C011": lambda root: _move_section_citations(root),
    "F001": _replace(A, "wounded: 4", "wounded: 5"),
    "F002": _replace(A, "province: Khatlon", "province: Takhar"),
    "F003": _replace(A, "perpetrator: ISKP", "perpetrator: ISIS-K"),
    "K001": _replace(A, KJ_SECOND, ""),
    "K002": _replace(R, "reliability: B", "reliability: E"),
    # The judgment quotes the claim; the source's sentence goes on to doubt it.
    "K003": _second_report_says(", but Tajik officials blamed a local gang."),
    # Assessed in 2026 on a report of November 2024.
    "K004": _replace(A, "date: 2024-12-01", "date: 2026-01-15"),
    # Two independent sources, one graded B: not the three high confidence needs.
    "K005": _replace(A, "confidence: low", "confidence: high"),
    "T001": _replace(A, "are likely to continue.", "will almost certainly continue."),
    "T002": _replace(A, "are likely to continue.", "are likely to continue and may spread."),
    "T003": _replace(R, "reliability: B", "reliability: B\n    tlp: \"TLP:RED\""),
    "A001": _replace(A, "- id: campaign-threat", "- id: convoy-attack"),
    "A002": lambda root: (root / A).rename(root / "assessments" / "Index.yaml"),
    "A003": _replace(A, "incidents:\n  - id: convoy-attack", "incidents:\n  - convoy-atack\n  - id: convoy-attack"),
    "A004": lambda root: _record_again(root, "convoy-attack", "khatlon-convoy"),
    "M001": _replace(A, "[@toll].", "[@toll], as [the log](file:///etc/passwd) shows."),
    "L001": _replace(A, "date: \"2024-11-18\"", "date: \"0001-11-18\""),
    "P001": _replace(A, "scope: \"A test assessment.\"", "scope: \"[[TODO: what it covers]]\""),
    "X001": _write("threatbrief.toml", "[rules]\nC999 = \"off\"\n"),
    "X002": _replace(A, "confidence: low", "confidence: low  # threatbrief: ignore[K001]"),  # no reason
}


def _stop_citing_second(root: Path) -> None:
    """No assessment cites second.txt any more (its claims re-sourced or dropped)."""
    edit(root / A, KJ_SECOND, "")
    edit(root / A, "      - id: claim\n        source: second.txt\n"
                   "        quote: \"the Islamic State Khorasan Province (ISKP) claimed the attack\"\n", "")
    edit(root / A, "ISKP claimed it [@claim].", "ISKP claimed it.")
    edit(root / A, "      - source: second.txt\n        quote: \"the Islamic State Khorasan Province (ISKP) claimed the attack\"\n", "")
    edit(root / A, "perpetrator: ISKP", "perpetrator: null")


def _drop_incident_citations(root: Path) -> None:
    path = root / A
    text = path.read_text(encoding="utf-8")
    start = text.index("    citations:\n", text.index("- id: campaign-threat"))
    path.write_text(text[:start], encoding="utf-8")


def _move_section_citations(root: Path) -> None:
    """The section keeps no marker and no citation of its own: they move to a key judgment."""
    edit(root / A, "One worker was killed and four were wounded [@toll].", "One worker was killed.")
    path = root / A
    text = path.read_text(encoding="utf-8")
    start, end = text.index("    citations:\n      - id: toll"), text.index("incidents:")
    block = text[start:end]
    text = text[:start] + text[end:]
    kj_end = text.index("summary: |")
    path.write_text(text[:kj_end].rstrip("\n") + "\n" + block.replace("    citations:\n", "", 1) + text[kj_end:], encoding="utf-8")


def test_every_rule_has_a_firing_case() -> None:
    assert set(FIRING) == set(RULES) - DISTRIBUTION_RULES  # those fire in tests/test_distribute.py


def test_the_clean_project_fires_no_rule(basic: Path) -> None:
    assert check(Project.at(basic)).diagnostics == []


@pytest.mark.parametrize("code", sorted(FIRING))
def test_rule_fires(basic: Path, code: str) -> None:
    FIRING[code](basic)
    codes = [d.code for d in check(Project.at(basic)).diagnostics]
    assert code in codes, codes


# Near misses: inputs that look like a rule's target but are fine.
NOT_FIRING: dict[str, Callable[[Path], None]] = {
    "C001": _replace(A, "The group's statement - posted online -", "The group’s  statement — posted\n          online —"),
    "C002": _replace(A, "quote: \"claimed the attack on the convoy\"", "quote: \"n the convoy\""),  # exactly 12
    "C005": _second_as("second.html", SECOND_PAGE),  # the same quotes from a web page's article
    "S007": _second_as("second.pdf", _second_pdf),  # a PDF with a text layer
    "F001": _replace(A, "killed: 1", "killed: 1\n    # one is written as a word in the quote"),
    "F002": _replace(A, "province: Khatlon", "province: khatlon"),
    "F003": _replace(A, "perpetrator: ISKP", "perpetrator: Islamic State Khorasan Province"),
    "K002": _replace(R, "reliability: D", "reliability: E"),  # the other source is still graded B
    "K003": _second_report_says(". But Tajik officials blamed a local gang."),  # the doubt is the next sentence
    "K004": _replace(A, "date: 2024-12-01", "date: 2025-11-20"),  # the report is exactly 12 months old
    "K005": _replace(A, "confidence: low", "confidence: moderate"),  # two independent sources suffice
    "T001": _replace(A, "are likely to continue.", "are likely to continue; the likelihood of a lull is low."),
    "T002": _replace(A, "are likely to continue.", "are likely to continue, the mayor said."),
    "T003": _replace(R, "reliability: B", "reliability: B\n    tlp: \"TLP:AMBER\""),  # same as the assessment
    # A suppression with a reason that silences a finding at the line below it is no problem.
    "X002": lambda root: (_replace(A, KJ_SECOND, "")(root), _replace(
        A, "  - text: \"Attacks on Chinese workers", "  # threatbrief: ignore[K001] the second report repeats the first\n"
                                                 "  - text: \"Attacks on Chinese workers")(root)),
}


@pytest.mark.parametrize("code", sorted(NOT_FIRING))
def test_rule_does_not_fire_on_a_near_miss(basic: Path, code: str) -> None:
    NOT_FIRING[code](basic)
    codes = [d.code for d in check(Project.at(basic)).diagnostics]
    assert code not in codes, codes


def test_config_changes_levels_and_turns_rules_off(basic: Path) -> None:
    FIRING["C002"](basic)
    FIRING["K002"](basic)
    (basic / "threatbrief.toml").write_text('[rules]\nC002 = "error"\njudgment-weak-sources = "off"\n', encoding="utf-8")
    result = check(Project.at(basic))
    assert [(d.code, d.severity.value) for d in result.diagnostics] == [("C002", "error")]
    assert not result.ok


def test_config_errors_point_at_the_line(basic: Path) -> None:
    (basic / "threatbrief.toml").write_text('[rules]\nC002 = "error"\nC001 = "loud"\n', encoding="utf-8")
    (problem,) = check(Project.at(basic)).diagnostics
    assert (problem.path, problem.line, problem.code) == ("threatbrief.toml", 3, "X001")
    assert "loud" in problem.message


def test_strict_makes_warnings_fail(basic: Path, cli) -> None:
    FIRING["K001"](basic)
    assert cli("-C", str(basic), "check")[0] == 0
    code, out, _ = cli("-C", str(basic), "check", "--strict")
    assert code == 1 and "warning[K001]" in out


def test_fact_errors_name_the_field_at_its_line(basic: Path) -> None:
    FIRING["F001"](basic)
    (problem,) = check(Project.at(basic)).diagnostics
    assert problem.line == line_of(basic / A, "wounded: 5")
    assert "wounded 5" in problem.message and "convoy-attack" in problem.message


@pytest.mark.parametrize("declared, text, fires", [
    ("likely", "ISKP will likely attack again.", False),
    ("likely", "ISKP will probably attack again.", False),            # same band, prose form
    ("probable", "An attack is likely.", False),                       # the band's other term
    ("likely", "ISKP will very likely attack again.", True),           # 'very likely' is one term, 80-95 %
    ("very likely", "ISKP will highly likely attack again.", False),
    ("unlikely", "A lull is unlikely.", False),
    ("likely", "A lull is unlikely.", True),
    ("roughly even chance", "There is an even chance of an attack.", False),
    ("almost certain", "ISKP will Almost Certainly attack.", False),   # case does not matter
    ("remote", "An attack is highly unlikely.", True),
])
def test_estimative_terms_are_held_to_the_declared_band(declared: str, text: str, fires: bool) -> None:
    from threatbrief.tradecraft import BAND_OF_TERM, estimative_terms

    mismatched = [t for t, band in estimative_terms(text) if band != BAND_OF_TERM[declared]]
    assert bool(mismatched) == fires, mismatched
