"""K003 quote-cut, K004 evidence-stale, K005 confidence-unsupported, and independence by origin.

The pure functions of integrity.py on small texts and registries, then the rules through `check`
on the basic project, their settings in threatbrief.toml, and what the briefing shows.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
from conftest import REPO, edit, line_of

from threatbrief.check.integrity import (
    SHOWN_CHARS,
    confidence_support,
    evidence_label,
    judgment_origins,
    months_before,
    newest_evidence,
    origins,
    quote_cuts,
)
from threatbrief.diagnostics import format_text
from threatbrief.model import Citation, Registry, Source
from threatbrief.pipeline import build, check
from threatbrief.project import Project
from threatbrief.sources.quotes import locate, normalize
from threatbrief.tradecraft import DEFAULT_CONFIDENCE, ConfidencePolicy

A = "assessments/border.yaml"
R = "sources/sources.yaml"


# --- Origins ---------------------------------------------------------------------------------


def _registry(*entries: tuple[str, str, tuple[str, ...]], published: dict[str, str] | None = None) -> Registry:
    """Sources (path, grade, relays), dated as `published` says (unknown otherwise)."""
    published = published or {}
    return Registry("sources/sources.yaml", {
        path: Source(path=path, title=path, publisher=None, author=None, published=published.get(path, "unknown"),
                     language="en", kind="news", url=None, reliability=grade, rationale="test", sha256="0" * 64,
                     mark=(1, 1), relays=relays)
        for path, grade, relays in entries
    })


def _cite(*paths: str) -> list[Citation]:
    return [Citation(n, path, "a quote long enough", None, None, None, ("key_judgments", 0, "citations", n), (1, 1), (1, 1))
            for n, path in enumerate(paths)]


def test_a_source_that_relays_nothing_is_its_own_origin() -> None:
    registry = _registry(("a.txt", "B", ()))
    assert origins("a.txt", registry) == {"a.txt"}
    assert origins("unregistered.txt", registry) == {"unregistered.txt"}


def test_three_articles_relaying_one_wire_story_are_one_origin() -> None:
    wire = "AP wire, 2024-11-18"
    registry = _registry(("a.txt", "B", (wire,)), ("b.txt", "C", (wire,)), ("c.txt", "D", (wire,)))
    assert judgment_origins(_cite("a.txt", "b.txt", "c.txt"), registry) == {wire: ["a.txt", "b.txt", "c.txt"]}
    support = confidence_support(_cite("a.txt", "b.txt", "c.txt"), registry)
    assert support.grades == {wire: "B"}  # a report outside the corpus: the best grade of those relaying it
    assert not DEFAULT_CONFIDENCE["high"].met(support)
    assert DEFAULT_CONFIDENCE["moderate"].met(support)  # one origin graded A-B


def test_relays_are_followed_through_registered_sources_in_any_spelling() -> None:
    registry = _registry(("a.txt", "C", ("./b.txt",)), ("b.txt", "B", ("c.txt", "UN report S/2023/95")),
                         ("c.txt", "A", ()))
    assert origins("a.txt", registry) == {"c.txt", "UN report S/2023/95"}
    assert origins("b.txt", registry) == {"c.txt", "UN report S/2023/95"}
    assert confidence_support(_cite("a.txt"), registry).grades == {"c.txt": "A", "UN report S/2023/95": "C"}


def test_a_source_listing_itself_also_reports_on_its_own() -> None:
    registry = _registry(("a.txt", "C", ("a.txt", "UN report")), ("b.txt", "B", ("UN report",)))
    assert origins("a.txt", registry) == {"a.txt", "UN report"}
    assert judgment_origins(_cite("a.txt", "b.txt"), registry) == {"UN report": ["a.txt", "b.txt"], "a.txt": ["a.txt"]}


def test_a_ring_of_relays_is_one_origin_and_a_ring_with_a_way_out_is_not() -> None:
    ring = _registry(("a.txt", "C", ("b.txt",)), ("b.txt", "C", ("c.txt",)), ("c.txt", "C", ("a.txt",)))
    assert origins("a.txt", ring) == origins("b.txt", ring) == origins("c.txt", ring) == {"a.txt"}
    out = _registry(("a.txt", "C", ("b.txt",)), ("b.txt", "C", ("a.txt", "AFP")), ("c.txt", "B", ("a.txt",)))
    assert origins("a.txt", out) == origins("c.txt", out) == {"AFP"}
    assert origins("a.txt", _registry(("a.txt", "C", ("a.txt",)))) == {"a.txt"}


def test_a_long_relay_chain_is_followed_without_recursion() -> None:
    n = 20_000
    registry = _registry(*((f"{i}.txt", "C", (f"{i + 1}.txt",)) for i in range(n)), (f"{n}.txt", "B", ("the first report",)))
    assert origins("0.txt", registry) == {"the first report"}


def test_k001_and_k005_count_origins_not_files(basic: Path) -> None:
    """Both sources of the judgment repeat one wire story: it rests on one origin."""
    for grade in ("B", "D"):
        edit(basic / R, f"reliability: {grade}\n", f"reliability: {grade}\n    relays: [\"AP wire, 18 Nov 2024\"]\n")
    edit(basic / A, "confidence: low", "confidence: high")
    problems = {d.code: d for d in check(Project.at(basic)).diagnostics}
    assert sorted(problems) == ["K001", "K005"]
    assert problems["K001"].message == ('key judgment 1 rests on one origin, "AP wire, 18 Nov 2024", '
                                        "relayed by sources/report.txt and sources/second.txt")
    assert problems["K005"].message == ("key judgment 1 declares high confidence, which needs 3 independent origins, "
                                        "2 of them graded A–C; its citations have 1 independent origin, 1 graded A–C")
    assert problems["K005"].line == line_of(basic / A, "confidence: high")
    assert 'origins: "AP wire, 18 Nov 2024", relayed by sources/report.txt and sources/second.txt (B)' in problems["K005"].hint
    assert "lower the confidence to moderate" in problems["K005"].hint


def test_k001_names_the_source_relayed_by_another_cited_one(basic: Path) -> None:
    edit(basic / R, "reliability: D\n", "reliability: D\n    relays: [report.txt]\n")
    (problem,) = check(Project.at(basic)).diagnostics
    assert problem.code == "K001"
    assert problem.message == ("key judgment 1 rests on one origin, sources/report.txt, "
                               "cited directly and relayed by sources/second.txt")


@pytest.mark.parametrize("relays", ['[""]', '"report.txt"', "[" + ", ".join(f'"r{i}"' for i in range(21)) + "]",
                                    '["' + "x" * 301 + '"]', '["a", "a"]', '["   "]'])
def test_relays_must_be_a_short_list_of_names(basic: Path, relays: str) -> None:
    edit(basic / R, "reliability: D\n", f"reliability: D\n    relays: {relays}\n")
    codes = [d.code for d in check(Project.at(basic)).diagnostics]
    assert "Y010" in codes, codes


def test_the_briefing_shows_what_a_source_relays_and_the_newest_evidence(basic: Path) -> None:
    edit(basic / R, "reliability: D\n", "reliability: D\n    relays: [report.txt, \"AFP, 18 Nov 2024\"]\n")
    result = build(Project.at(basic), formats=("html",))
    assert result.check.ok, result.check.diagnostics
    html = (basic / "reports" / "border.html").read_text(encoding="utf-8")
    assert '<span class="note relays">relays: sources/report.txt, AFP, 18 Nov 2024</span>' in html
    assert html.count("relays:") == 1  # report.txt relays nothing
    assert '<span class="evidence">newest evidence: 2024-11</span>' in html


def test_the_briefing_says_undated_when_no_cited_source_is(basic: Path) -> None:
    edit(basic / R, 'published: "2024-11-20"', "published: unknown")
    result = build(Project.at(basic), formats=("html",))
    assert [d.code for d in result.check.diagnostics] == ["K004"]
    html = (basic / "reports" / "border.html").read_text(encoding="utf-8")
    assert '<span class="evidence">newest evidence: undated</span>' in html


# --- Newest evidence (K004) ------------------------------------------------------------------


def test_a_source_dated_to_a_month_or_a_year_counts_as_the_end_of_it() -> None:
    registry = _registry(("a.txt", "C", ()), ("b.txt", "C", ()), ("c.txt", "C", ()), ("d.txt", "C", ()),
                         published={"a.txt": "2024-02", "b.txt": "2023", "c.txt": "2024-02-10", "d.txt": "2023-02-30"})
    newest = newest_evidence(_cite("a.txt", "c.txt"), registry)
    assert newest is not None and (newest.source, newest.latest, newest.label) == ("a.txt", date(2024, 2, 29), "2024-02")
    year = newest_evidence(_cite("b.txt", "d.txt"), registry)  # 2023-02-30 is no day: undated
    assert year is not None and (year.latest, year.label) == (date(2023, 12, 31), "2023")
    assert newest_evidence(_cite("d.txt", "gone.txt"), registry) is None
    assert evidence_label(_cite("d.txt"), registry) == "undated"


@pytest.mark.parametrize("day, months, expected", [
    (date(2026, 11, 22), 12, date(2025, 11, 22)),
    (date(2024, 3, 31), 1, date(2024, 2, 29)),
    (date(2024, 1, 15), 13, date(2022, 12, 15)),
    (date(1, 3, 1), 24, date.min),
])
def test_months_before(day: date, months: int, expected: date) -> None:
    assert months_before(day, months) == expected


def test_k004_says_how_old_the_newest_evidence_is(basic: Path) -> None:
    edit(basic / A, "date: 2024-12-01", "date: 2026-01-15")
    (problem,) = check(Project.at(basic)).diagnostics
    assert (problem.code, problem.line) == ("K004", line_of(basic / A, "- text: "))
    assert problem.message == ("key judgment 1's newest evidence is from 2024-11-20 (sources/report.txt), "
                               "more than 12 months before the assessment's date (2026-01-15)")


def test_k004_window_is_configurable(basic: Path) -> None:
    edit(basic / A, "date: 2024-12-01", "date: 2025-06-01")
    assert check(Project.at(basic)).diagnostics == []
    (basic / "threatbrief.toml").write_text("[judgments]\nstale_after_months = 6\n", encoding="utf-8")
    (problem,) = check(Project.at(basic)).diagnostics
    assert problem.code == "K004" and "more than 6 months before" in problem.message


def test_k004_without_a_dated_source(basic: Path) -> None:
    edit(basic / R, 'published: "2024-11-20"', "published: unknown")
    (problem,) = check(Project.at(basic)).diagnostics
    assert problem.code == "K004"
    assert problem.message == "key judgment 1 cites no dated source: how recent its evidence is cannot be shown"


# --- Confidence (K005) -----------------------------------------------------------------------


def test_the_default_policy_in_words() -> None:
    assert DEFAULT_CONFIDENCE["high"].describe() == "3 independent origins, 2 of them graded A–C"
    assert DEFAULT_CONFIDENCE["moderate"].describe() == "2 independent origins, or 1 graded A–B"
    assert ConfidencePolicy(graded=2, grades="AC").describe() == "2 independent origins graded A, C"


@pytest.mark.parametrize("grades, level", [
    ("DDD", "moderate"),  # three origins, none graded A-C: not high
    ("CCD", "high"),
    ("E", "low"),         # one origin, not graded A-B
    ("B", "moderate"),    # one origin graded A-B
    ("DE", "moderate"),   # two independent origins
])
def test_the_default_policy(grades: str, level: str) -> None:
    from threatbrief.check.integrity import supported_level

    paths = [f"{i}.txt" for i in range(len(grades))]
    registry = _registry(*((p, g, ()) for p, g in zip(paths, grades)))
    assert supported_level(confidence_support(_cite(*paths), registry), DEFAULT_CONFIDENCE) == level


def test_the_confidence_policy_is_configurable(basic: Path) -> None:
    edit(basic / A, "confidence: low", "confidence: high")
    assert [d.code for d in check(Project.at(basic)).diagnostics] == ["K005"]
    (basic / "threatbrief.toml").write_text('[judgments.confidence.high]\nsources = 2\ngraded = 1\ngrades = "AB"\n',
                                            encoding="utf-8")
    assert check(Project.at(basic)).diagnostics == []
    (basic / "threatbrief.toml").write_text('[judgments.confidence.moderate]\nsources = 3\n', encoding="utf-8")
    edit(basic / A, "confidence: high", "confidence: moderate")
    (problem,) = check(Project.at(basic)).diagnostics
    assert problem.message == ("key judgment 1 declares moderate confidence, which needs 3 independent origins; "
                               "its citations have 2 independent origins, 1 graded A–C")


@pytest.mark.parametrize("toml, line, words", [
    ("[judgments]\nstale_after_months = 0\n", 2, "stale_after_months must be a whole number"),
    ("[judgments]\nstale_after_months = \"12\"\n", 2, "stale_after_months must be a whole number"),
    ("[judgments]\nstale_after_months = true\n", 2, "stale_after_months must be a whole number"),
    ("[judgments]\nstale_after = 12\n", 2, "unknown setting judgments.stale_after"),
    ("[judgments]\nconfidence = 3\n", 2, "judgments.confidence must hold one table per level"),
    ("judgments = 3\n", 1, "'judgments' must be a table"),
    ("[judgments.confidence.extreme]\nsources = 4\n", 1, "unknown confidence level judgments.confidence.extreme"),
    ("[judgments.confidence.high]\nsources = 3\n\n[judgments.confidence.moderate]\nsources = -1\n", 5,
     "judgments.confidence.moderate.sources must be a whole number of sources"),
    ("[judgments.confidence.high]\ngrades = \"XYZ\"\n", 2, "grades must be Admiralty grades"),
    ("[judgments.confidence.high]\ngrades = \"AAB\"\n", 2, "grades must be Admiralty grades"),
    ("[judgments.confidence.high]\nindependent = 3\n", 2, "unknown setting judgments.confidence.high.independent"),
])
def test_judgment_settings_are_validated_at_their_line(basic: Path, toml: str, line: int, words: str) -> None:
    (basic / "threatbrief.toml").write_text(toml, encoding="utf-8")
    (problem,) = check(Project.at(basic)).diagnostics
    assert (problem.code, problem.line) == ("X001", line), problem
    assert words in problem.message


def test_many_unknown_settings_are_one_problem(basic: Path) -> None:
    """Each problem looks its line up in the file: thousands of them must not make that quadratic."""
    tables = "".join(f"[judgments.confidence.level{i}]\nsources = 1\n" for i in range(10_000))
    (basic / "threatbrief.toml").write_text("[judgments]\n" + "".join(f"s{i} = 1\n" for i in range(10_000)) + tables,
                                            encoding="utf-8")
    problems = check(Project.at(basic)).diagnostics
    assert [(d.code, d.line) for d in problems] == [("X001", 2), ("X001", 10_002)]
    assert problems[0].message == "unknown setting judgments.s0, judgments.s1 and 9998 more"


def test_an_invalid_level_keeps_its_default(basic: Path) -> None:
    edit(basic / A, "confidence: low", "confidence: high")
    (basic / "threatbrief.toml").write_text('[judgments.confidence.high]\nsources = 1\ngrades = "G"\n', encoding="utf-8")
    assert sorted(d.code for d in check(Project.at(basic)).diagnostics) == ["K005", "X001"]


# --- Quotes cut from their sentence (K003) ---------------------------------------------------


def _cuts(text: str, quote: str) -> list[tuple[str, str]]:
    spans = locate(quote, text, lambda: normalize(text))
    assert spans, quote
    return [(cut.kind, cut.word) for cut in quote_cuts(text, spans)]


def test_the_shipped_security_lapse_quote_is_cut_before_its_but() -> None:
    """The Taliban official concedes a lapse, and in the same sentence says much was done since."""
    text = (REPO / "sources" / "004_1119ade7bae576e5.txt").read_text(encoding="utf-8")
    quote = "In the past we have seen attacks claimed by Daesh, and we also agree on a security lapse"
    (cut,) = quote_cuts(text, locate(quote, text, lambda: normalize(text)) or [])
    assert (cut.kind, cut.word) == ("rest", "but")
    assert cut.context.startswith(", but since the last attack in front of foreign ministry, plenty of steps")
    assert _cuts(text, quote + ", but since the last attack in front of foreign ministry") == []  # "plenty of steps"


@pytest.mark.parametrize("text, quote, expected", [
    ("Police said the attack was the work of ISKP; however, no group has claimed it.", "the attack was the work of ISKP",
     [("rest", "however")]),
    ("The convoy was attacked near the mine, although officials dispute the location.", "The convoy was attacked near the mine",
     [("rest", "although")]),
    ("Four workers were wounded, only one of them seriously.", "Four workers were wounded", [("rest", "only")]),
    ("The group's claim is credible\n  — except for the figures it gives.", "The group's claim is credible", [("rest", "except")]),
    ("ISKP claimed the attack on the convoy. But Tajik officials blamed a local gang.", "ISKP claimed the attack on the convoy", []),
    ("ISKP claimed the attack on the convoy.” But officials doubt it.", "ISKP claimed the attack on the convoy", []),
    ("ISKP claimed the attack on the convoy, butchering four.", "ISKP claimed the attack on the convoy", []),
    ("ISKP claimed the attack on the convoy, notably in Pashto.", "ISKP claimed the attack on the convoy", []),
    ("ISKP claimed the attack\n\nbut the statement was later deleted.", "ISKP claimed the attack", []),  # a blank line
    ("Officials denied that ISKP carried out the attack.", "ISKP carried out the attack", [("frame", "denied that")]),
    ("The minister denies that “foreign fighters are in the valley”.", "foreign fighters are in the valley",
     [("frame", "denies that")]),
    ("It is not true that the embassy was closed, a spokesman said.", "the embassy was closed", [("frame", "it is not true that")]),
    ("There are rumours that the embassy was closed.", "the embassy was closed", [("frame", "rumours that")]),
    ("We have seen no evidence that the group has fighters in Kunduz.", "the group has fighters in Kunduz",
     [("frame", "no evidence that")]),
    ("The group claimed that 20 soldiers were killed.", "20 soldiers were killed", [("frame", "claimed that")]),
    ("The ministry alleged that new recruits are transferred through Karachi.", "new recruits are transferred through Karachi",
     [("frame", "alleged that")]),
    ("The attack reportedly took place in the Katkajar area.", "took place in the Katkajar area", [("frame", "reportedly")]),
    ("The attack reportedly took place in the Katkajar area.", "The attack reportedly took place", []),  # the frame is quoted
    ("Officials denied that. ISKP carried out the attack.", "ISKP carried out the attack", []),  # another sentence
    ("Officials denied that the ministry said ISKP carried out the attack.", "ISKP carried out the attack", []),
    ("The victim was unreportedly moved.", "moved. And then", None),
])
def test_quote_cuts(text: str, quote: str, expected: list[tuple[str, str]] | None) -> None:
    if expected is None:  # the quote is not in the text: nothing to judge
        assert locate(quote, text, lambda: normalize(text)) is None
        return
    assert _cuts(text, quote) == expected


def test_an_elided_quote_is_judged_by_its_first_start_and_last_end() -> None:
    text = "Officials said one worker was killed, but four were wounded in the attack on the convoy."
    assert _cuts(text, "Officials said one worker was killed [...] four were wounded") == []
    assert _cuts(text, "Officials said [...] one worker was killed") == [("rest", "but")]


def test_the_hint_is_folded_cut_and_bounded() -> None:
    text = "ISKP claimed the attack, but " + "the   statement\n  was " * 200 + "deleted."
    (cut,) = quote_cuts(text, [(0, len("ISKP claimed the attack"))])
    assert "  " not in cut.context and "\n" not in cut.context
    assert len(cut.context) <= SHOWN_CHARS + 2 and cut.context.endswith("…")
    frame = "Officials, " + "speaking at length " * 100 + "denied that ISKP carried out the attack."
    start = frame.index("ISKP")
    (cut,) = quote_cuts(frame, [(start, start + len("ISKP carried out the attack"))])
    assert cut.kind == "frame" and cut.context.startswith("… ") and cut.context.endswith("denied that")


def test_k003_through_check_points_at_the_quote_and_the_source(basic: Path) -> None:
    path = basic / "sources" / "second.txt"
    old = hashlib.sha256(path.read_bytes()).hexdigest()
    edit(path, "A second report says the Islamic", "A second report says officials denied that the Islamic")
    edit(basic / R, old, hashlib.sha256(path.read_bytes()).hexdigest())
    problems = check(Project.at(basic)).diagnostics
    assert {d.code for d in problems} == {"K003"}
    quote = '"the Islamic State Khorasan Province (ISKP) claimed the attack"'
    lines = [n for n, line in enumerate((basic / A).read_text(encoding="utf-8").splitlines(), 1) if quote in line]
    assert sorted(d.line for d in problems) == lines and len(lines) == 2
    assert problems[0].message == ("quote starts right after 'denied that' (sources/second.txt:1:44): "
                                   "the source reports the claim, it does not make it")
    assert 'the sentence begins: "A second report says officials denied that"' in format_text(problems)


def test_k003_can_be_turned_off(basic: Path) -> None:
    path = basic / "sources" / "second.txt"
    old = hashlib.sha256(path.read_bytes()).hexdigest()
    edit(path, "on the convoy.", "on the convoy, but Tajik officials blamed a local gang.")
    edit(basic / R, old, hashlib.sha256(path.read_bytes()).hexdigest())
    assert [d.code for d in check(Project.at(basic)).diagnostics] == ["K003"]
    (basic / "threatbrief.toml").write_text('[rules]\nquote-cut = "off"\n', encoding="utf-8")
    assert check(Project.at(basic)).diagnostics == []
