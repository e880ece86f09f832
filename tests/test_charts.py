"""Chart data: what is counted, and SVG output that is reproducible."""

from __future__ import annotations

from threatbrief.charts import (
    UNDATED,
    build_charts,
    casualties_table,
    frequency_chart,
    frequency_table,
    places_table,
    render_svg,
    targets_table,
)
from threatbrief.model import FuzzyDate, Incident


def incident(date: str, kind: str = "attack", target: str | None = "business", nationality: str | None = "Chinese",
             killed: int | None = None, wounded: int | None = None, country: str = "Afghanistan",
             province: str | None = None) -> Incident:
    return Incident(
        id=f"i-{date}-{kind}", title="t", kind=kind, date=FuzzyDate.parse(date), date_note=None, country=country,
        province=province, district=None, place=None, attack_type=None, target_type=target,
        target_nationality=nationality, perpetrator=None, claimed="unknown", claim_note=None, killed=killed,
        wounded=wounded, summary=None, citations=[],
    )


def test_frequency_counts_attacks_per_year_and_fills_gaps() -> None:
    table = frequency_table([
        incident("2022-12-12", target="hotel"), incident("2024-11"), incident("2024"),
        incident("2023", kind="plot"), incident("2023", kind="threat"),
    ])
    assert table.rows == ["2022", "2023", "2024"]
    assert table.count("2022", "hotel") == 1
    assert table.count("2024", "business") == 2
    assert table.row_total("2023") == 0  # plots and threats are not attacks
    assert table.total == 3


def test_dates_not_inside_one_year_are_left_out_and_said_not_guessed() -> None:
    table = frequency_table([incident("unknown"), incident("2022-12/2025-01"), incident("2024-01/2024-03")])
    assert table.rows == ["2024"] and table.total == 1
    assert table.left_out == (("date spans more than one year", 1), ("no usable date", 1))


def test_targets_by_type_and_nationality() -> None:
    table = targets_table([
        incident("2024", target="diplomatic", nationality="Russian"),
        incident("2024", target="diplomatic", nationality="Pakistani"),
        incident("2024", target="business", nationality="Chinese"),
        incident("2024", target=None, nationality=None),
    ])
    assert table.rows[0] == "diplomatic" and table.row_total("diplomatic") == 2
    assert table.count("unspecified", "unspecified") == 1


def test_no_attacks_means_no_plot_and_a_note() -> None:
    charts = {c.slug: c for c in build_charts([incident("2024", kind="threat")])}
    assert all(c.svg == "" and "Too little data" in c.note for slug, c in charts.items() if slug != "timeline")
    assert "No attacks" in charts["targets"].alt
    assert charts["timeline"].svg and charts["timeline"].alt.startswith("Timeline of 1 event, none an attack.")


def test_alt_text_states_the_figures() -> None:
    chart = frequency_chart([incident("2022"), incident("2024"), incident("2024", target="hotel")])
    assert chart.alt.startswith("Bar chart of attacks per year by target type, 3 of 3 attacks counted.")
    assert "2024: 2 (1 business, 1 hotel)" in chart.alt


def test_svg_is_reproducible_and_has_no_date() -> None:
    table = frequency_table([incident("2022"), incident("2024")])
    first, second = render_svg(table, False, "Target type"), render_svg(table, False, "Target type")
    assert first == second
    assert first.startswith("<?xml") and "<dc:date>" not in first


def test_casualties_sum_known_figures_and_note_the_unknown() -> None:
    incidents = [incident("2024", killed=1, wounded=4), incident("2024", killed=2), incident("2022"),
                 incident("unknown", killed=3), incident("2023", kind="plot", killed=9)]
    table = casualties_table(incidents)
    assert table.rows == ["2022", "2024", UNDATED]  # the plot of 2023 is not an attack
    assert (table.count("2024", "killed"), table.count("2024", "wounded")) == (3, 4)
    assert table.cell("2024", "wounded").text == "≥ 4"  # one 2024 attack has no wounded figure
    assert table.cell("2022", "killed").text == "unknown" and table.row_total_cell("2022").text == "unknown"
    assert table.count(UNDATED, "killed") == 3 and table.cell(UNDATED, "wounded").unknown
    chart = next(c for c in build_charts(incidents) if c.slug == "casualties")
    assert "3 of 4 attack(s) lack a killed or wounded figure" in chart.note


def test_no_figure_at_all_is_not_a_chart_of_zeros() -> None:
    chart = next(c for c in build_charts([incident("2024")]) if c.slug == "casualties")
    assert chart.svg == "" and "no source gives a figure" in chart.note
    assert [cell.text for _, cells in chart.table.body() for cell in cells] == ["unknown"] * 3


def test_places_by_country_and_province() -> None:
    table = places_table([incident("2024", country="Tajikistan"), incident("2024", province="Takhar"),
                          incident("2024", province="Kabul"), incident("2023", province="Kabul")])
    assert table.rows == ["Afghanistan", "Tajikistan"]
    assert table.count("Afghanistan", "Kabul") == 2 and table.count("Tajikistan", "province unknown") == 1
