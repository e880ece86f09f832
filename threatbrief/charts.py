"""Charts of the incidents: pure tables first (tested), then matplotlib SVG (imported only here).

Only incidents of kind `attack` are counted; plots and threats are listed, not charted. An attack
whose date is not known to the year is counted in an explicit "date unknown" column rather than
dropped or guessed.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass

from .model import Incident

UNDATED = "date unknown"
UNSPECIFIED = "unspecified"
# Okabe–Ito: distinguishable with the common colour-vision deficiencies, and in greyscale print.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


@dataclass(frozen=True)
class Table:
    """A chart's data: row labels x column labels -> counts. Also shown beside the chart in HTML."""

    row_title: str
    rows: list[str]
    columns: list[str]
    counts: dict[tuple[str, str], int]

    def count(self, row: str, column: str) -> int:
        return self.counts.get((row, column), 0)

    def row_total(self, row: str) -> int:
        return sum(self.count(row, c) for c in self.columns)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    alt: str
    table: Table
    svg: str  # empty when there is nothing to plot
    note: str = ""


def attacks(incidents: list[Incident]) -> list[Incident]:
    return [i for i in incidents if i.kind == "attack"]


def _table(row_title: str, pairs: list[tuple[str, str]], row_order: list[str] | None = None) -> Table:
    counts = Counter(pairs)
    rows = row_order or sorted({r for r, _ in pairs}, key=lambda r: (-sum(n for (rr, _), n in counts.items() if rr == r), r))
    columns = sorted({c for _, c in pairs}, key=lambda c: (-sum(n for (_, cc), n in counts.items() if cc == c), c))
    return Table(row_title, rows, columns, dict(counts))


def frequency_table(incidents: list[Incident]) -> Table:
    """Attacks per year, split by target type; years with no attack inside the span show as 0."""
    pairs = []
    for incident in attacks(incidents):
        year = incident.date.year
        pairs.append((str(year) if year else UNDATED, incident.target_type or UNSPECIFIED))
    years = sorted(int(r) for r, _ in pairs if r != UNDATED)
    rows = [str(y) for y in range(years[0], years[-1] + 1)] if years else []
    if any(r == UNDATED for r, _ in pairs):
        rows.append(UNDATED)
    return _table("Year", pairs, rows)


def targets_table(incidents: list[Incident]) -> Table:
    """Attacks by target type, split by the targets' nationality."""
    pairs = [(i.target_type or UNSPECIFIED, i.target_nationality or UNSPECIFIED) for i in attacks(incidents)]
    return _table("Target type", pairs)


def _describe(table: Table, what: str) -> str:
    if not table.total:
        return f"No attacks are recorded, so there is no chart of {what}."
    parts = []
    for row in table.rows:
        split = ", ".join(f"{table.count(row, c)} {c}" for c in table.columns if table.count(row, c))
        parts.append(f"{row}: {table.row_total(row)}" + (f" ({split})" if split else ""))
    return f"Bar chart of {what}, {table.total} attack{'s' * (table.total != 1)} in all. " + "; ".join(parts) + "."


def build_charts(incidents: list[Incident]) -> list[Chart]:
    frequency = frequency_table(incidents)
    targets = targets_table(incidents)
    charts = []
    for slug, title, table, what, horizontal, legend in (
        ("attack-frequency", "Attacks per year by target type", frequency, "attacks per year by target type", False, "Target type"),
        ("targets", "Attacks by target type and nationality", targets, "attacks by target type and target nationality", True, "Target nationality"),
    ):
        note = "" if table.total else "Too little data to plot: no attacks recorded."
        if UNDATED in table.rows:
            note = "Attacks whose year no source gives are counted under “date unknown”."
        svg = render_svg(table, horizontal, legend) if table.total else ""
        charts.append(Chart(slug, title, _describe(table, what), table, svg, note))
    return charts


def render_svg(table: Table, horizontal: bool, legend_title: str) -> str:
    """A stacked bar chart as SVG text, byte-identical for identical tables."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({
        "svg.hashsalt": "threatbrief",
        "svg.fonttype": "none",
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }):
        height = max(2.4, 0.45 * len(table.rows) + 1.2) if horizontal else 2.8
        fig, ax = plt.subplots(figsize=(6.4, height))
        try:
            base = [0] * len(table.rows)
            positions = list(range(len(table.rows)))
            for k, column in enumerate(table.columns):
                values = [table.count(row, column) for row in table.rows]
                color = PALETTE[k % len(PALETTE)]
                if horizontal:
                    ax.barh(positions, values, left=base, color=color, label=column, height=0.6)
                else:
                    ax.bar(positions, values, bottom=base, color=color, label=column, width=0.6)
                base = [b + v for b, v in zip(base, values)]
            pad = max(0.0, (4 - len(positions)) / 2)  # keep few bars slim and centred
            (ax.set_ylim if horizontal else ax.set_xlim)(-0.5 - pad, len(positions) - 0.5 + pad)
            ticks_axis, count_axis = (ax.yaxis, ax.xaxis) if horizontal else (ax.xaxis, ax.yaxis)
            ticks_axis.set_ticks(positions, labels=table.rows)
            count_axis.get_major_locator().set_params(integer=True)
            (ax.set_xlabel if horizontal else ax.set_ylabel)("Attacks")
            if horizontal:
                ax.invert_yaxis()
            ax.legend(title=legend_title, frameon=False, fontsize=8, title_fontsize=8,
                      loc="upper left", bbox_to_anchor=(1.01, 1.0))
            fig.tight_layout()
            out = io.StringIO()
            fig.savefig(out, format="svg", metadata={"Date": None})
            return out.getvalue()
        finally:
            plt.close(fig)
