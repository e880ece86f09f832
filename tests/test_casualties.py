"""Casualty figures (F001): bound to a sentence that says what they count, sums, and 'deadly'."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from conftest import edit, line_of

from threatbrief.check.facts import casualty_supported, count_supported, sentences
from threatbrief.load.loader import load_assessment
from threatbrief.model import FuzzyDate, Incident
from threatbrief.pipeline import build, check
from threatbrief.project import Project
from threatbrief.publish.charts import build_charts, casualties_table

A = "assessments/border.yaml"
R = "sources/sources.yaml"

# A wire report as such sources read: figures of several kinds, sentence by sentence.
WIRE = (
    "Besham attack\n\n"
    "Gunmen attacked four vehicles of a Chinese company on the road to the Dasu dam; one worker died at the scene.\n"
    "Five Chinese nationals and one Pakistani were killed when a suicide bomber rammed their convoy, police said. "
    "Two others were injured. Police said 12 people were detained.\n"
    "The group was behind a deadly attack on the convoy, officials said on Nov. 18 after Gen. Khan visited the site.\n"
)


def _add_wire(root: Path) -> None:
    """Register sources/wire.txt in the basic project."""
    path = root / "sources" / "wire.txt"
    path.write_text(WIRE, encoding="utf-8")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with (root / R).open("a", encoding="utf-8") as registry:
        registry.write(
            "  - path: wire.txt\n    title: \"Besham attack\"\n    publisher: null\n    author: null\n"
            "    published: unknown\n    language: en\n    kind: news\n    reliability: C\n"
            f"    rationale: \"A wire report.\"\n    sha256: {digest}\n")


def _incident(root: Path, killed: str, wounded: str, *quotes: str) -> None:
    """A second attack, citing wire.txt with `quotes`, with these killed and wounded values."""
    _add_wire(root)
    cites = "".join(f"      - source: wire.txt\n        quote: \"{q}\"\n" for q in quotes)
    edit(root / A, "  - id: campaign-threat",
         "  - id: besham-convoy\n    title: \"Convoy attacked\"\n    kind: attack\n    date: \"2024-03\"\n"
         f"    country: Pakistan\n    killed: {killed}\n    wounded: {wounded}\n    citations:\n{cites}"
         "  - id: campaign-threat")


def f001(root: Path) -> list:
    return [d for d in check(Project.at(root)).diagnostics if d.code == "F001"]


def codes(root: Path) -> list[str]:
    return [d.code for d in check(Project.at(root)).diagnostics]


VEHICLES = "Gunmen attacked four vehicles of a Chinese company on the road to the Dasu dam; one worker died at the scene."
CONVOY = "Five Chinese nationals and one Pakistani were killed when a suicide bomber rammed their convoy"
INJURED = "Two others were injured."
DETAINED = "Police said 12 people were detained."
DEADLY = "The group was behind a deadly attack on the convoy"


# 1. A figure counts only in a sentence that reports deaths, or injuries ------------------------

@pytest.mark.parametrize("killed, wounded, quotes", [
    ("1", "null", [VEHICLES]),                                  # "one worker died"
    ("{total: 6, from: [5, 1]}", "2", [CONVOY, INJURED]),       # a sum of figures, each found
    ("{total: 6, from: [1, 5]}", "null", [CONVOY]),             # in any order
    ("deadly", "null", [DEADLY]),                               # deaths without a figure
    ("null", "2", [f"{CONVOY} [...] {INJURED}"]),
])
def test_casualty_figures_bound_to_casualty_words_pass(basic: Path, killed: str, wounded: str, quotes: list[str]) -> None:
    _incident(basic, killed, wounded, *quotes)
    assert codes(basic) == []


@pytest.mark.parametrize("killed, wounded, quotes, words", [
    ("4", "null", [VEHICLES], 'in no sentence that reports deaths: "Gunmen attacked four vehicles'),
    ("12", "null", [DETAINED], "in no sentence that reports deaths"),
    ("null", "12", [DETAINED, INJURED], "in no sentence that reports injuries"),
    ("2", "null", [INJURED], "in no sentence that reports deaths"),          # injured is not killed
    ("null", "5", [CONVOY], "in no sentence that reports injuries"),         # killed is not wounded
    ("6", "null", [CONVOY], "killed 6 appears in none of its 1 quote(s)"),   # the total is not written
    ("{total: 7, from: [5, 1]}", "null", [CONVOY], "killed total 7 is not the sum of its parts 5 + 1 = 6"),
    ("{total: 9, from: [5, 4]}", "null", [CONVOY, VEHICLES], "the part 4 is in its quotes, but in no sentence that reports deaths"),
    ("{total: 2, from: [1, 1]}", "null", [CONVOY], "the part 1 is named 2 times in the sum but given 1 time(s)"),
    ("deadly", "null", [CONVOY], "killed 'deadly', but none of its 1 quote(s) says 'deadly'"),
    ("fatal", "null", [DEADLY], "says 'fatal'"),
    ("4", "null", ["Gunmen attacked four vehicles of a Chinese company [...] one worker died at the scene."],
     "in no sentence that reports deaths"),                                # an elision ends a sentence
])
def test_casualty_figures_away_from_their_words_fire(basic: Path, killed: str, wounded: str, quotes: list[str],
                                                     words: str) -> None:
    _incident(basic, killed, wounded, *quotes)
    found = f001(basic)
    assert found and all(d.path == A for d in found)
    assert any(words in d.message for d in found), [d.message for d in found]
    field = "wounded" if killed == "null" else "killed"
    assert {d.line for d in found} == {line_of(basic / A, f"{field}: {killed if field == 'killed' else wounded}")}


def test_messages_and_hints_say_what_is_missing(basic: Path) -> None:
    _incident(basic, "4", "null", VEHICLES)
    (word,) = f001(basic)
    assert "cite the sentence that gives it as deaths" in word.hint and "killed, died" in word.hint
    edit(basic / A, "killed: 4", "killed: 6")
    edit(basic / A, f'quote: "{VEHICLES}"', f'quote: "{CONVOY}"')
    (figure,) = f001(basic)
    assert "cite the passage that gives the figure" in figure.hint and "{total: 6, from: [5, 1]}" in figure.hint


@pytest.mark.parametrize("n, quote, field, supported", [
    (1, "A Chinese citizen was killed on Tuesday", "killed", True),
    (1, "a Chinese citizen was attacked and killed by unknown armed men", "killed", True),
    (1, "A Chinese worker was wounded on Tuesday", "killed", False),
    (1, "A Chinese worker was wounded on Tuesday", "wounded", True),
    (1, "one Chinese worker was killed and four wounded; according to unofficial reports", "killed", True),
    (4, "one Chinese worker was killed and four wounded; according to unofficial reports", "wounded", True),
    (4, "4 vehicles were attacked; one worker died", "killed", False),
    (3, "The death toll rose to 3.", "killed", True),
    (3, "3 guards lost their lives", "killed", True),
    (12, "Fatalities: 12. Officials said 30 were hospitalised", "killed", True),
    (30, "Fatalities: 12. Officials said 30 were hospitalised", "killed", False),
    (30, "Fatalities: 12. Officials said 30 were hospitalised", "wounded", True),
    (7, "7 casualties were reported", "killed", False),              # killed and wounded together: neither
    (7, "7 casualties were reported", "wounded", False),
    (2, "two people were shot dead", "killed", True),
    (18, "The attack on Nov. 18 killed a guard", "killed", True),     # one sentence; the check is per sentence
    (18, "The attack came on Nov. 18. A guard was killed", "killed", False),
])
def test_casualty_supported(n: int, quote: str, field: str, supported: bool) -> None:
    assert casualty_supported(n, [quote], field) is supported


@pytest.mark.parametrize("text, expected", [
    ("4 vehicles were attacked; one worker died", ["4 vehicles were attacked", "one worker died"]),
    ("The attack took place on Nov. 18 near the border. Two died.", ["The attack took place on Nov. 18 near the border", "Two died."]),
    ("Gen. Khan said 3 were killed. U.S. Embassy staff were hurt", ["Gen. Khan said 3 were killed", "U.S. Embassy staff were hurt"]),
    ("2.5 km away. Then \"Three died.\" (Four were hurt.)", ["2.5 km away", "Then \"Three died", "(Four were hurt.)"]),
    ("one died... two were hurt", ["one died", "two were hurt"]),
    ("Two were killed in 2024. 5 vehicles burned", ["Two were killed in 2024", "5 vehicles burned"]),
    ("on Nov. 18 at 9 a.m. 3 died; No. 4 was hurt", ["on Nov. 18 at 9 a.m. 3 died", "No. 4 was hurt"]),
    ("袭击造成3人死亡。5人受伤", ["袭击造成3人死亡", "5人受伤"]),
])
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_figures_elsewhere_are_still_found_by_count_supported() -> None:
    """The figure finder itself is unchanged: sentence binding is a separate, stricter step."""
    assert count_supported(4, ["4 vehicles were attacked; one worker died"])


def test_casualty_checks_are_linear_time() -> None:
    """Quotes are at most 2,000 characters; these are 25 times that, built to make a regex backtrack."""
    started = time.perf_counter()
    for quote in (". " * 25_000, "a. B" * 12_500, ";" * 50_000, " " * 50_000 + "killed", "1 " * 25_000,
                  "a " * 25_000 + "was killed", "Mr. " * 12_500, "." * 50_000 + "A", "!" * 50_000 + "x",
                  '!"' * 25_000, "! " * 25_000 + "A"):
        sentences(quote)
        casualty_supported(1, [quote], "killed")
        casualty_supported(2, [quote], "wounded")
    assert time.perf_counter() - started < 2


# 2. The forms in the file: schema, model, charts, briefing --------------------------------------

@pytest.mark.parametrize("value", ["lethal", "Deadly", "-1", "{total: 6}", "{total: 6, from: [6]}",
                                   "{total: 6, from: [5, 1], note: x}", "{total: 6, from: [5, -1]}", "[5, 1]"])
def test_malformed_casualty_values_are_schema_errors_at_their_line(basic: Path, value: str) -> None:
    edit(basic / A, "killed: 1\n", f"killed: {value}\n")
    found = check(Project.at(basic)).diagnostics
    assert {d.code for d in found} == {"Y010"}, found
    assert {d.line for d in found} == {line_of(basic / A, f"killed: {value}")}


def test_wounded_has_no_deadly_form(basic: Path) -> None:
    edit(basic / A, "wounded: 4\n", "wounded: deadly\n")
    assert codes(basic) == ["Y010"]


def test_the_model_keeps_the_total_and_the_parts(basic: Path) -> None:
    _incident(basic, "{total: 6, from: [5, 1]}", "deadly", CONVOY)  # wounded: deadly is refused …
    assert codes(basic) == ["Y010"]
    edit(basic / A, "wounded: deadly", "wounded: {total: 2, from: [1, 1]}")  # … and unsupported parts fire
    edit(basic / A, "killed: {total: 6, from: [5, 1]}", "killed: deadly")
    assessment, _, problems = load_assessment(basic / A, Project.at(basic))
    assert assessment is not None, problems
    incident = assessment.incidents[1]
    assert (incident.killed, incident.killed_parts, incident.killed_word) == (None, (), "deadly")
    assert (incident.wounded, incident.wounded_parts) == (2, (1, 1))
    first = assessment.incidents[0]
    assert (first.killed, first.killed_parts, first.killed_word) == (1, (), None)


def _attack(killed: int | None, word: str | None = None, parts: tuple[int, ...] = ()) -> Incident:
    return Incident(
        id="a", title="t", kind="attack", date=FuzzyDate.parse("2024"), date_note=None, country="Pakistan",
        province=None, district=None, place=None, attack_type=None, target_type=None, target_nationality=None,
        perpetrator=None, claimed="unknown", claim_note=None, killed=killed, wounded=None, summary=None,
        citations=[], killed_parts=parts, killed_word=word)


def test_deadly_counts_as_unknown_in_charts_and_a_sum_as_its_total() -> None:
    incidents = [_attack(None, "deadly"), _attack(6, parts=(5, 1))]
    table = casualties_table(incidents)
    assert table.count("2024", "killed") == 6
    chart = next(c for c in build_charts(incidents) if c.slug == "casualties")
    assert "2 of 2 attack(s) lack a killed or wounded figure" in chart.note


def test_the_briefing_shows_deadly_as_unknown_and_a_sum_with_its_parts(basic: Path) -> None:
    _incident(basic, "deadly", "null", DEADLY)
    result = build(Project.at(basic), formats=("html",), jobs=1)
    assert result.check is not None and result.check.ok, result.check.diagnostics
    html = (basic / "reports" / "border.html").read_text(encoding="utf-8")
    row = html[html.index('id="incident-besham-convoy"'):]
    row = row[:row.index("</tr>")]
    assert '<span class="unknown">unknown (deadly)</span>' in row
    assert "“Unknown (deadly)”: a source reports deaths but gives no figure." in html
    edit(basic / A, "killed: deadly", "killed: {total: 6, from: [5, 1]}")
    edit(basic / A, f'quote: "{DEADLY}"', f'quote: "{CONVOY}"')
    result = build(Project.at(basic), formats=("html",), jobs=1)
    assert result.check is not None and result.check.ok, result.check.diagnostics
    html = (basic / "reports" / "border.html").read_text(encoding="utf-8")
    row = html[html.index('id="incident-besham-convoy"'):]
    assert '<td class="num">6<span class="note">5 + 1</span></td>' in row[:row.index("</tr>")]
    assert "Unknown (deadly)" not in html
