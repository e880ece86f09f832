"""Chart data: what is counted, and SVG output that is reproducible."""

from __future__ import annotations

from threatbrief.model import FuzzyDate, Incident
from threatbrief.publish.charts import (
    UNDATED,
    build_charts,
    casualties_table,
    frequency_chart,
    frequency_table,
    places_table,
    render_svg,
    targets_table,
)


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


# The chart cache: each distinct chart drawn once; a forged, foreign or damaged entry never used --


def _plot():
    from threatbrief.publish.charts import Plot, _draw_bars

    table = frequency_table([incident("2022"), incident("2024"), incident("2024", target="hotel")])
    return Plot(_draw_bars, (6.4, 2.8), (table, False, "Target type", "Attacks"))


def _fresh_cache(tmp_path, monkeypatch):
    from threatbrief.publish import charts
    from threatbrief.publish.charts import ChartCache

    monkeypatch.setattr(charts, "_memo", type(charts._memo)())  # this test's own per-process memo
    drawn = []
    real = charts.draw
    monkeypatch.setattr(charts, "draw", lambda plot, fmt="svg", dpi=150: drawn.append(plot) or real(plot, fmt, dpi))
    return ChartCache.for_project(tmp_path / ".threatbrief" / "cache"), drawn


def test_a_chart_is_drawn_once_then_read_from_memo_and_disk(tmp_path, monkeypatch) -> None:
    from threatbrief.publish import charts
    from threatbrief.publish.charts import ChartCache, chart_key, draw, render

    cache, drawn = _fresh_cache(tmp_path, monkeypatch)
    plot = _plot()
    first = render(plot, cache=cache)
    assert len(drawn) == 1 and cache.misses == 1
    assert render(plot, cache=cache) == first and len(drawn) == 1  # the memo
    assert first == draw(plot)  # the same bytes as a plain draw
    entries = list((tmp_path / ".threatbrief" / "cache" / "charts").iterdir())
    assert [e.name for e in entries] == [f"{chart_key(plot)}.svg"]
    assert (tmp_path / ".threatbrief" / "cache" / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    monkeypatch.setattr(charts, "_memo", type(charts._memo)())  # a new process: the disk cache answers
    again = ChartCache.for_project(tmp_path / ".threatbrief" / "cache")
    assert render(plot, cache=again) == first and again.hits == 1 and len(drawn) == 1


def test_other_data_code_or_settings_make_another_key() -> None:
    from dataclasses import replace

    from threatbrief.publish.charts import chart_key

    plot = _plot()
    table = plot.args[0]
    other = replace(plot, args=(replace(table, counts={**table.counts, ("2024", "hotel"): 2}), *plot.args[1:]))
    assert chart_key(plot) == chart_key(_plot())
    assert len({chart_key(plot), chart_key(other), chart_key(plot, "png"), chart_key(plot, dpi=100),
                chart_key(replace(plot, size=(6.4, 3.0)))}) == 5


def test_a_forged_chart_in_the_cache_never_reaches_a_briefing(tmp_path, monkeypatch) -> None:
    """An image committed into .threatbrief/cache/charts/ without this user's key is ignored and replaced."""
    from threatbrief.publish import charts
    from threatbrief.publish.charts import chart_key, render

    cache, drawn = _fresh_cache(tmp_path, monkeypatch)
    plot = _plot()
    real = render(plot, cache=cache)
    entry = tmp_path / ".threatbrief" / "cache" / "charts" / f"{chart_key(plot)}.svg"
    mac, head, image = entry.read_bytes().split(b"\n", 2)
    forged = image.replace(b"</svg>", b"<text>forged</text></svg>")
    head = head.replace(str(len(image)).encode(), str(len(forged)).encode())
    entry.write_bytes(mac + b"\n" + head + b"\n" + forged)  # the old signature over a new body
    monkeypatch.setattr(charts, "_memo", type(charts._memo)())
    assert render(plot, cache=cache) == real and len(drawn) == 2 and cache.hits == 0
    assert b"forged" not in entry.read_bytes()  # replaced by the real image

    import hashlib
    import hmac

    body = head + b"\n" + forged  # signed with some other key (another user's, or a guess)
    entry.write_bytes(hmac.new(b"k" * 64, b"chart\0" + body, hashlib.sha256).hexdigest().encode() + b"\n" + body)
    monkeypatch.setattr(charts, "_memo", type(charts._memo)())
    assert render(plot, cache=cache) == real and len(drawn) == 3


def test_a_valid_entry_under_another_key_or_damaged_is_ignored(tmp_path, monkeypatch) -> None:
    from dataclasses import replace

    from threatbrief.publish import charts
    from threatbrief.publish.charts import chart_key, render

    cache, drawn = _fresh_cache(tmp_path, monkeypatch)
    plot, other = _plot(), replace(_plot(), size=(6.4, 3.2))
    folder = tmp_path / ".threatbrief" / "cache" / "charts"
    render(plot, cache=cache), render(other, cache=cache)
    assert len(drawn) == 2
    # A genuine, signed entry copied under another chart's name: its signed key says otherwise.
    (folder / f"{chart_key(plot)}.svg").write_bytes((folder / f"{chart_key(other)}.svg").read_bytes())
    monkeypatch.setattr(charts, "_memo", type(charts._memo)())
    assert render(plot, cache=cache) == charts.draw(plot) and cache.hits == 0
    # Cut short, emptied, or not a file at all.
    for damage in (lambda p: p.write_bytes(p.read_bytes()[:-100]), lambda p: p.write_bytes(b""),
                   lambda p: (p.unlink(), p.mkdir())):
        path = folder / f"{chart_key(other)}.svg"
        damage(path)
        monkeypatch.setattr(charts, "_memo", type(charts._memo)())
        assert render(other, cache=cache) == charts.draw(other)
        if path.is_dir():
            path.rmdir()
    assert cache.hits == 0


def test_no_key_no_disk_cache(tmp_path, monkeypatch) -> None:
    from threatbrief.publish.charts import ChartCache, render

    cache = ChartCache(tmp_path / "charts", None)  # the user's key could not be made
    render(_plot(), cache=cache)
    assert not (tmp_path / "charts").exists()


def test_the_memo_is_bounded(monkeypatch) -> None:
    from threatbrief.publish import charts

    monkeypatch.setattr(charts, "_memo", type(charts._memo)())
    monkeypatch.setattr(charts, "MEMO_BYTES", 10)
    for k in range(5):
        charts._remember(str(k), b"12345")
    assert list(charts._memo) == ["3", "4"]


def test_drawing_without_pyplot_gives_the_bytes_pyplot_and_tight_layout_gave() -> None:
    """charts.draw skips pyplot and the second layout pass `fig.tight_layout()` leads savefig into:
    the images must not change (a cheaper setting is only taken if the pages look the same)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from threatbrief.publish.charts import RC, draw

    def pyplot_draw(plot, fmt="svg") -> bytes:
        with matplotlib.rc_context(RC):
            fig = plt.figure(figsize=plot.size)
            try:
                plot.draw(fig, *plot.args)
                fig.tight_layout()
                out = io.BytesIO()
                fig.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else {"Software": None}, dpi=150)
                return out.getvalue()
            finally:
                plt.close(fig)

    many = [incident(f"20{y:02d}-{m:02d}", target=t, killed=m if m % 3 else None, wounded=2, province=p)
            for y in range(18, 25) for m in range(1, 13, 2) for t, p in (("hotel", "Kabul"), (f"type {m}", None))]
    plots = [c.plot for c in build_charts(many) + build_charts(many[:5]) if c.plot]
    assert {p.draw.__name__ for p in plots} >= {"_draw_bars", "_draw_small_multiples", "_draw_timeline", "_draw_casualties"}
    for plot in plots:
        assert draw(plot) == pyplot_draw(plot), plot.draw.__name__
    assert draw(plots[0], "png") == pyplot_draw(plots[0], "png")


def test_a_rebuild_whose_charts_are_cached_does_not_import_matplotlib(basic, tmp_path) -> None:
    import subprocess
    import sys

    from conftest import REPO, edit

    script = ("import sys; from threatbrief.cli import main; code = main(['-C', sys.argv[1], 'build', '-j', '1', 'html']); "
              "print(code, 'matplotlib' in sys.modules)")

    def build() -> str:
        run = subprocess.run([sys.executable, "-c", script, str(basic)], capture_output=True, text=True, cwd=REPO)
        return run.stdout.splitlines()[-1] if run.stdout else run.stderr

    assert build() == "0 True"  # cold: every chart drawn
    edit(basic / "assessments" / "border.yaml", "summary: |\n", "summary: |\n  Edited.\n")
    assert build() == "0 False"  # the summary changed, the charts did not: all from .threatbrief/cache/charts/
    assert "Edited." in (basic / "reports" / "border.html").read_text(encoding="utf-8")
