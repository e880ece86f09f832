"""What the reader sees: unknown is never zero, uncertain dates drawn as they are, a form that suits the data."""

from __future__ import annotations

import random
import re
import shutil
import time
from datetime import date
from pathlib import Path

import pytest

from threatbrief.model import FuzzyDate, Incident
from threatbrief.publish.charts import (
    LEGEND_MAX,
    SPANS_YEARS,
    STACK_MAX,
    TIMELINE_MAX,
    UNDATED,
    build_charts,
    casualties_table,
    choose_form,
    frequency_chart,
    frequency_table,
    render,
    targets_table,
    timeline_chart,
    timeline_marks,
)


def event(id: str, title: str, when: str, kind: str = "attack", killed: int | None = None, wounded: int | None = None,
          killed_word: str | None = None, target: str | None = "business", nationality: str | None = "Chinese",
          country: str = "Afghanistan", province: str | None = None) -> Incident:
    return Incident(
        id=id, title=title, kind=kind, date=FuzzyDate.parse(when), date_note=None, country=country, province=province,
        district=None, place=None, attack_type="armed assault" if kind == "attack" else None, target_type=target,
        target_nationality=nationality, perpetrator="ISKP", claimed="unknown", claim_note=None, killed=killed,
        wounded=wounded, summary=None, citations=[], killed_word=killed_word)


# The shipped Afghan–Tajik briefing's two attacks, and what the other briefings add.
TAKHAR = event("takhar-chinese-national-killed", "Chinese national shot dead in Takhar", "2022/2026-11-22",
               killed=1, wounded=None, province="Takhar")
TAJIK = event("tajikistan-gold-mine-attack", "Attack on Chinese workers near the Afghan–Tajik border",
              "2024-11-18", killed=1, wounded=4, country="Tajikistan")
LONGAN = event("kabul-longan-hotel-attack", "Attack on the Longan Hotel in Kabul", "2022", killed=None,
               killed_word="deadly", province="Kabul")
HAQQANI = event("kabul-haqqani-suicide-bombing", "Suicide bombing kills the minister of refugees", "2024-12",
                target="government", nationality="Afghan", province="Kabul")
PLOT = event("etim-isilk-plot", "ETIM and ISIL-K plot against Chinese targets", "unknown", kind="plot", target=None)
THREAT = event("embassy-threat", "Threat to the Chinese, Indian and Iranian embassies", "2023-03", kind="threat",
               target="diplomatic")


def synthetic(n: int, seed: int = 7, precise: bool = True, types: int = 11) -> list[Incident]:
    """`n` events over ten years, mostly attacks, with every kind of date and of missing figure."""
    rnd = random.Random(seed)
    kinds = ["business", "diplomatic", "government", "religious", "civilians", "security forces", "education",
             "health", "media", "NGO", "transport"][:types]
    out = []
    for k in range(n):
        y, m, d, r = rnd.randint(2015, 2024), rnd.randint(1, 12), rnd.randint(1, 28), rnd.random()
        if precise:
            when = (f"{y}-{m:02d}-{d:02d}" if r < .8 else f"{y}-{m:02d}" if r < .93 else f"{y}" if r < .96
                    else f"{y}-{m:02d}/{y + 1}-02" if r < .98 else "unknown")
        else:
            when = f"{y}" if r < .6 else f"{y}-{m:02d}" if r < .75 else f"{y}/{y + 1}" if r < .95 else "unknown"
        out.append(event(
            f"e{k}", f"Synthetic event number {k} with a title long enough to need cutting", when,
            kind="attack" if rnd.random() < .85 else rnd.choice(["plot", "threat", "other"]),
            killed=rnd.choice([None, 0, 1, 2, 5]), wounded=rnd.choice([None, 0, 3]), target=rnd.choice(kinds),
            nationality=rnd.choice(["Chinese", "Afghan", "Pakistani", "Russian", "Iranian", "Indian", "Tajik", "Uzbek",
                                    "Turkish", "Uyghur"]),
            country=rnd.choice(["Afghanistan", "Pakistan", "Tajikistan"]),
            province=rnd.choice(["Kabul", "Balkh", "Takhar", "Nangarhar", "Kunduz", "Herat", "Khost", None])))
    return out


def charts_by_slug(incidents: list[Incident]) -> dict:
    return {c.slug: c for c in build_charts(incidents)}


def cells(table) -> dict[tuple[str, str], str]:
    head = table.head()
    return {(row, head[k + 1]): cell.text for row, row_cells in table.body() for k, cell in enumerate(row_cells)}


# 1. Unknown is never zero -----------------------------------------------------------------------

def test_takhar_wounded_figure_is_unknown_not_zero() -> None:
    """Was `date unknown | 1 | 0` in the Afghan–Tajik briefing: the wounded figure is in no source."""
    table = casualties_table([TAJIK, TAKHAR])
    shown = cells(table)
    assert table.rows == ["2024", SPANS_YEARS]  # Takhar's date spans 2022 to 2026: no single year
    assert (shown[(SPANS_YEARS, "killed")], shown[(SPANS_YEARS, "wounded")], shown[(SPANS_YEARS, "Total")]) == \
        ("1", "unknown", "≥ 1")
    assert (shown[("2024", "killed")], shown[("2024", "wounded")], shown[("2024", "Total")]) == ("1", "4", "5")
    assert table.total_cell().text == "≥ 6"


def test_no_cell_with_an_unknown_figure_reads_zero() -> None:
    table = casualties_table(synthetic(300))
    for row, row_cells in table.body():
        for column, cell in zip(table.columns + ["Total"], row_cells):
            unknown = table.unknown_in(row, None if column == "Total" else column)
            if unknown:
                assert cell.text == "unknown" or cell.text.startswith("≥ "), (row, column, cell)
            else:
                assert not cell.unknown and not cell.text.startswith("≥")


def test_a_sum_over_known_and_unknown_figures_is_a_lower_bound_with_a_note() -> None:
    incidents = [event("a", "Attack A", "2024-03-01", killed=3, wounded=0), event("b", "Attack B", "2024-05", killed=None,
                                                                               wounded=2), TAJIK]
    table = casualties_table(incidents)
    assert cells(table)[("2024", "killed")] == "≥ 4" and cells(table)[("2024", "wounded")] == "6"
    assert cells(table)[("2024", "Total")] == "≥ 10"
    chart = charts_by_slug(incidents)["casualties"]
    assert "1 of 3 attack(s) lack a killed or wounded figure in the sources (1 with no killed figure)." in chart.note
    assert "A sum that leaves them out is marked “≥” (at least)" in chart.note
    assert chart.alt.startswith("Bar chart of people killed and wounded per year, at least 10 people in all. "
                                "2024: at least 10 (at least 4 killed, 6 wounded).")


def test_deadly_is_an_unknown_figure() -> None:
    table = casualties_table([LONGAN])
    assert cells(table)[("2022", "killed")] == "unknown" and table.unknown_in("2022", "killed") == 1
    chart = charts_by_slug([LONGAN, TAJIK])["casualties"]
    assert "1 with no killed figure, 1 of them reported only as “deadly”" in chart.note
    assert "2022: unknown (killed unknown, wounded unknown)" in chart.alt


def test_a_known_zero_stays_zero() -> None:
    table = casualties_table([event("a", "Attack A", "2024", killed=0, wounded=0)])
    assert cells(table)[("2024", "killed")] == "0" and cells(table)[("2024", "Total")] == "0"


def test_each_chart_says_what_it_could_not_place_or_count() -> None:
    charts = charts_by_slug([TAKHAR, TAJIK, PLOT, THREAT])
    assert "Not drawn: 1 event with no usable date, listed in the table." in charts["timeline"].note
    assert "Every attack is counted (2 attacks)." in charts["targets"].note
    assert "Every attack is counted (2 attacks); 1 with no province given under “province unknown”." in \
        charts["places"].note
    assert "Every attack is counted: 1 attack whose date spans more than one year is under “year uncertain”." in \
        charts["casualties"].note


# 2. Uncertain dates drawn as they are -----------------------------------------------------------

def test_timeline_marks_a_day_as_a_dot_and_a_coarser_date_as_a_bar_over_all_its_days() -> None:
    marks = {m.title: m for m in timeline_marks([TAJIK, TAKHAR, LONGAN, HAQQANI, PLOT])}
    takhar, tajik, longan, haqqani, plot = (marks[i.title] for i in (TAKHAR, TAJIK, LONGAN, HAQQANI, PLOT))
    assert tajik.shape == "point" and tajik.x1 - tajik.x0 == 1
    assert takhar.shape == "bar" and (takhar.x0, takhar.x1) == (date(2022, 1, 1).toordinal(), date(2026, 11, 23).toordinal())
    assert longan.shape == "bar" and longan.x1 - longan.x0 == 365
    assert haqqani.shape == "bar" and haqqani.x1 - haqqani.x0 == 31
    assert plot.shape == "none" and not plot.placed
    assert [m.title for m in timeline_marks([PLOT, TAJIK, TAKHAR, LONGAN])] == [LONGAN.title, TAKHAR.title, TAJIK.title,
                                                                                 PLOT.title]


def test_timeline_table_gives_each_event_its_date_as_given_and_precision() -> None:
    chart = timeline_chart([TAJIK, TAKHAR, HAQQANI, PLOT])
    assert chart.table.head() == ["Event", "Kind", "Date as given", "Precision"]
    rows = {title: [c.text for c in row] for title, row in chart.table.body()}
    assert rows[TAKHAR.title] == ["attack", "between 2022 and 22 Nov 2026", "range of about 4.9 years"]
    assert rows[TAJIK.title] == ["attack", "18 Nov 2024", "day"]
    assert rows[HAQQANI.title] == ["attack", "Dec 2024", "month"]
    assert rows[PLOT.title] == ["plot", "date unknown", "unknown: not drawn"]


def _path_x(svg: str, gid: str) -> list[float]:
    group = re.search(rf'<g id="{gid}">(.*?)</g>', svg, re.S)
    assert group, gid
    if "<use " in group.group(1):
        return [float(re.search(r'<use [^>]*x="([\d.]+)"', group.group(1)).group(1))]
    return [float(x) for x in re.findall(r"[ML] ([\d.]+) [\d.]+", group.group(1))]


def test_svg_draws_the_range_bar_across_the_whole_range() -> None:
    """Parse the SVG: the dot of 18 Nov 2024 sits where it falls inside Takhar's 2022–22 Nov 2026 bar."""
    chart = timeline_chart([TAKHAR, TAJIK, THREAT, PLOT])
    svg = chart.svg
    # rows, earliest first: Takhar (2022 to 2026), the threat (March 2023), the Tajik attack (a day)
    assert 'id="timeline-bar-0"' in svg and 'id="timeline-bar-1"' in svg and 'id="timeline-dot-2"' in svg
    assert 'id="timeline-bar-3"' not in svg and 'id="timeline-dot-3"' not in svg  # the undated plot
    bar = _path_x(svg, "timeline-bar-0")
    (dot,) = _path_x(svg, "timeline-dot-2")
    start, end = min(bar), max(bar)
    expected = (date(2024, 11, 18).toordinal() + 0.5 - date(2022, 1, 1).toordinal()) / \
        (date(2026, 11, 23).toordinal() - date(2022, 1, 1).toordinal())
    assert (dot - start) / (end - start) == pytest.approx(expected, abs=0.002)
    month = _path_x(svg, "timeline-bar-1")  # the threat of March 2023: 31 of Takhar's 1,787 days
    assert (max(month) - min(month)) / (end - start) == pytest.approx(31 / 1787, rel=0.02)
    assert "Not drawn: 1 event with no usable date" in svg
    for label in ("attack", "plot", "threat"):  # kinds told apart in the legend (the plot is not drawn)
        assert (f">{label}<" in svg) == (label != "plot")


def test_frequency_counts_an_event_only_in_a_period_that_holds_its_whole_range() -> None:
    incidents = [TAKHAR, TAJIK, LONGAN, HAQQANI, event("r", "Spring attack", "2024-01/2024-03"),
                 event("u", "Undated attack", "unknown"), event("m", "Attack over new year", "2023-12/2024-01")]
    yearly = frequency_table(incidents, "year")
    assert yearly.rows == ["2022", "2023", "2024"]
    assert [yearly.row_total(r) for r in yearly.rows] == [1, 0, 3]  # a month lies inside its year
    assert yearly.left_out == (("date spans more than one year", 2), ("no usable date", 1))
    monthly = frequency_table(incidents, "month")
    assert monthly.total == 2 and monthly.rows[0] == "Nov 2024" and monthly.rows[-1] == "Dec 2024"
    assert monthly.left_out == (("date spans more than a month", 4), ("no usable date", 1))
    chart = frequency_chart(incidents)
    assert ("An attack is counted in a year only when its whole date range lies inside that year. Not counted: "
            "2 whose date spans more than one year, 1 with no usable date; 4 of 7 attacks counted.") in chart.note


# 3. The form follows the data -------------------------------------------------------------------

def test_two_events_get_the_timeline_and_its_table() -> None:
    form = choose_form([TAKHAR, TAJIK])
    assert form.timeline and form.frequency is None
    charts = build_charts([TAKHAR, TAJIK])
    assert [c.slug for c in charts] == ["timeline", "targets", "casualties", "places"]
    assert charts[0].svg and charts[0].table.total == 2
    assert "a count of attacks per year would say less, so there is none" in charts[0].note


def test_a_few_dozen_events_get_a_yearly_count_then_the_timeline() -> None:
    incidents = synthetic(30, types=3)
    form = choose_form(incidents)
    assert (form.timeline, form.frequency, form.small_multiples) == (True, "year", False)
    assert [c.slug for c in build_charts(incidents)][:2] == ["attack-frequency", "timeline"]


def test_two_thousand_events_get_a_monthly_count_in_small_multiples_fast() -> None:
    incidents = synthetic(2000)
    form = choose_form(incidents)
    assert (form.timeline, form.frequency, form.split, form.small_multiples) == (False, "month", "target_type", True)
    started = time.perf_counter()
    charts = charts_by_slug(incidents)
    elapsed = time.perf_counter() - started
    assert elapsed < 5, f"{elapsed:.1f} s for the charts of 2,000 events"
    assert list(charts) == ["attack-frequency", "targets", "casualties", "places"]
    frequency = charts["attack-frequency"]
    assert frequency.title == "Attacks per month by target type"
    assert len(frequency.table.columns) <= 9 and frequency.table.merged == ("others (3 types)",)
    assert "too many for a timeline with one row each" in frequency.note
    assert frequency.svg.count('<g id="axes_') == 9  # nine panels, one per target type and one for the others
    assert len(frequency.alt) < 600  # per year and the busiest month, not 120 months read out
    for chart in charts.values():  # legends and rows capped
        assert len(chart.table.rows) <= 130 and len(chart.table.columns) <= 9


def test_coarse_dates_get_a_yearly_count_and_few_target_types_a_stacked_one() -> None:
    assert choose_form(synthetic(2000, precise=False)).frequency == "year"
    form = choose_form(synthetic(2000, types=3))
    assert (form.frequency, form.small_multiples) == ("month", False)
    one_type = [event(f"x{k}", f"Attack {k}", f"2024-{k % 12 + 1:02d}", country=c)
                for k, c in enumerate(["Afghanistan", "Pakistan", "Tajikistan"] * 6)]
    assert choose_form(one_type).split == "country"
    assert choose_form(synthetic(TIMELINE_MAX)).timeline
    assert not choose_form(synthetic(TIMELINE_MAX + 1)).timeline


def test_legends_are_capped_and_unknown_categories_kept_apart() -> None:
    incidents = [event(f"n{k}", f"Attack {k}", "2024", nationality=f"Nationality {k % 20}") for k in range(60)]
    incidents += [event("none", "Attack on someone", "2024", nationality=None)]
    table = targets_table(incidents)
    assert len(table.columns) == LEGEND_MAX and "unspecified" in table.columns
    assert table.columns[-1] == "others (16 nationalities)" and table.total == 61
    stacked = frequency_table(synthetic(200), "year", categories_max=STACK_MAX + 1)
    assert len(stacked.columns) == STACK_MAX + 1


# 4. Reproducible, plain, no surprises ------------------------------------------------------------

def test_identical_data_give_byte_identical_svg_and_png() -> None:
    incidents = [TAKHAR, TAJIK, LONGAN, HAQQANI, PLOT, THREAT]
    first, second = build_charts(incidents), build_charts(list(incidents))
    assert [c.svg for c in first] == [c.svg for c in second]
    assert all(c.svg.startswith("<?xml") and "<dc:date>" not in c.svg for c in first if c.svg)
    timeline = first[0]
    assert render(timeline.plot, "png") == render(timeline_chart(incidents).plot, "png")


def test_titles_are_plain_text_in_the_timeline() -> None:
    odd = event("odd", "_hidden $\\frac{a}{b}$ title", "2024-05-01")
    svg = timeline_chart([odd]).svg
    assert "_hidden" in svg and "\\frac{a}{b}" in svg


def test_shipped_afghan_tajik_briefing_shows_the_takhar_wounded_figure_as_unknown(tmp_path: Path) -> None:
    from conftest import REPO

    from threatbrief.pipeline import build
    from threatbrief.project import Project

    root = tmp_path / "shipped"
    for part in ("assessments", "incidents", "sources"):
        shutil.copytree(REPO / part, root / part)
    result = build(Project.at(root), names=["iskp-afghan-tajik-border"], formats=("html",))
    assert result.check.ok, result.check.diagnostics
    html = (root / "reports" / "iskp-afghan-tajik-border.html").read_text(encoding="utf-8")
    charts = html[html.index('<section id="charts"'):html.index("</section>", html.index('<section id="charts"'))]
    assert ('<tr><th scope="row">year uncertain</th><td class="num">1</td>'
            '<td class="num"><span class="unknown">unknown</span></td><td class="num">≥ 1</td></tr>') in charts
    assert not re.search(r'<th scope="row">(year uncertain|date unknown)</th><td class="num">1</td><td class="num">0</td>',
                         charts)
    assert '<figure class="chart" id="chart-timeline">' in charts and "range of about 4.9 years" in charts
    assert UNDATED not in re.findall(r'<th scope="row">([^<]+)</th>', charts)
