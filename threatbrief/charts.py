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


def places_table(incidents: list[Incident]) -> Table:
    """Attacks by country, split by province."""
    pairs = [(i.country, i.province or "province unknown") for i in attacks(incidents)]
    return _table("Country", pairs)


def casualties_table(incidents: list[Incident]) -> Table:
    """People killed and wounded per year, summed over the attacks whose figures a source gives.

    An attack with no figure adds nothing: the chart's note says how many such attacks there are,
    so a reader does not take a missing count for zero.
    """
    counts: dict[tuple[str, str], int] = {}
    rows: list[str] = []
    years = sorted({i.date.year for i in attacks(incidents) if i.date.year})
    rows = [str(y) for y in range(years[0], years[-1] + 1)] if years else []
    for incident in attacks(incidents):
        row = str(incident.date.year) if incident.date.year else UNDATED
        if row not in rows:
            rows.append(row)
        for column, value in (("killed", incident.killed), ("wounded", incident.wounded)):
            if value:
                counts[(row, column)] = counts.get((row, column), 0) + value
    columns = [c for c in ("killed", "wounded") if any(k[1] == c for k in counts)]
    return Table("Year", rows if counts else [], columns, counts)


def _describe(table: Table, what: str, unit: str, any_attack: bool) -> str:
    if not table.total:
        missing = "No source gives a figure" if any_attack else "No attacks are recorded"
        return f"{missing}, so there is no chart of {what}."
    parts = []
    for row in table.rows:
        split = ", ".join(f"{table.count(row, c)} {c}" for c in table.columns if table.count(row, c))
        parts.append(f"{row}: {table.row_total(row)}" + (f" ({split})" if split else ""))
    noun = unit if table.total != 1 else unit.rstrip("s").replace("peopl", "person")
    return f"Bar chart of {what}, {table.total} {noun} in all. " + "; ".join(parts) + "."


def build_charts(incidents: list[Incident]) -> list[Chart]:
    """The briefing's charts, each with its data table, alt text and a note on what is missing."""
    found = attacks(incidents)
    unknown_toll = sum(1 for i in found if i.killed is None or i.wounded is None)
    specs = [
        ("attack-frequency", "Attacks per year by target type", frequency_table(incidents),
         "attacks per year by target type", "attacks", False, "Target type"),
        ("targets", "Attacks by target type and nationality", targets_table(incidents),
         "attacks by target type and target nationality", "attacks", True, "Target nationality"),
        ("casualties", "People killed and wounded per year", casualties_table(incidents),
         "people killed and wounded per year", "people", False, "Casualties"),
        ("places", "Attacks by country and province", places_table(incidents),
         "attacks by country and province", "attacks", True, "Province"),
    ]
    charts = []
    for slug, title, table, what, unit, horizontal, legend in specs:
        notes = []
        if not table.total:
            notes.append("Too little data to plot: " + ("no attacks recorded." if not found else "no source gives a figure."))
        if UNDATED in table.rows:
            notes.append("Attacks whose year no source gives are counted under “date unknown”.")
        if slug == "casualties" and unknown_toll:
            notes.append(f"{unknown_toll} of {len(found)} attack(s) lack a killed or wounded figure in the sources; "
                         "they add nothing here, which is not the same as no casualties.")
        svg = render_svg(table, horizontal, legend, unit.capitalize()) if table.total else ""
        charts.append(Chart(slug, title, _describe(table, what, unit, bool(found)), table, svg, " ".join(notes)))
    return charts


def render_svg(table: Table, horizontal: bool, legend_title: str, axis_label: str = "Attacks") -> str:
    """A stacked bar chart as SVG text, byte-identical for identical tables."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({
        "text.parse_math": False,  # labels are authors' text: "$…$" is a price, not TeX
        "text.usetex": False,
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
            handles = []
            for k, column in enumerate(table.columns):
                values = [table.count(row, column) for row in table.rows]
                color = PALETTE[k % len(PALETTE)]
                if horizontal:
                    bars = ax.barh(positions, values, left=base, color=color, height=0.6)
                else:
                    bars = ax.bar(positions, values, bottom=base, color=color, width=0.6)
                handles.append(bars)
                base = [b + v for b, v in zip(base, values)]
            pad = max(0.0, (4 - len(positions)) / 2)  # keep few bars slim and centred
            (ax.set_ylim if horizontal else ax.set_xlim)(-0.5 - pad, len(positions) - 0.5 + pad)
            ticks_axis, count_axis = (ax.yaxis, ax.xaxis) if horizontal else (ax.xaxis, ax.yaxis)
            ticks_axis.set_ticks(positions, labels=table.rows)
            count_axis.get_major_locator().set_params(integer=True)
            (ax.set_xlabel if horizontal else ax.set_ylabel)(axis_label)
            if horizontal:
                ax.invert_yaxis()
            # Handles and labels given explicitly: matplotlib silently drops a label passed as
            # `label=` when it starts with "_" (its convention for "hide this artist").
            ax.legend(handles, table.columns, title=legend_title, frameon=False, fontsize=8, title_fontsize=8,
                      loc="upper left", bbox_to_anchor=(1.01, 1.0))
            fig.tight_layout()
            out = io.StringIO()
            fig.savefig(out, format="svg", metadata={"Date": None})
            return out.getvalue()
        finally:
            plt.close(fig)
