"""Charts of the incidents: pure tables and geometry first (tested), then matplotlib (imported only in `render`).

Three rules run through this module:

- **Unknown is never zero.** A figure no source gives (`killed: null`, `killed: deadly`) is counted as
  unknown: a cell whose figures are all unknown reads "unknown", a sum over known and unknown figures
  reads "≥ n" (a lower bound), and the chart's note says how many attacks lack a figure.
- **Dates are drawn as they are.** The timeline draws a day as a dot and a month, a year or a range
  as a bar across every day it could be. A count per period takes an event only when its whole range
  lies inside the period; the note says how many were left out, and why.
- **The form follows the data** (`choose_form`): a handful of events get a timeline and its table; many
  get a count per month (when dates are precise enough) or per year, in small multiples when there
  are many categories. Legends, rows and labels are capped so that nothing becomes unreadable.

Only incidents of kind `attack` are counted; the timeline shows every kind, distinguished.

Each distinct chart is drawn once (`render`): images are kept by a key that hashes the chart's
data, this module's code and matplotlib's version, in a per-process memo and, for a project, in
`.threatbrief/cache/charts/` (`ChartCache`, signed: see signing.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import sys
import textwrap
from collections import Counter, OrderedDict
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, NamedTuple

from threatbrief.files import NotReadable, read_regular
from threatbrief.model import FuzzyDate, Incident

UNDATED = "date unknown"
SPANS_YEARS = "year uncertain"  # casualty rows: a date range across more than one year
UNSPECIFIED = "unspecified"
PROVINCE_UNKNOWN = "province unknown"
# Okabe–Ito: distinguishable with the common colour-vision deficiencies, and in greyscale print.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
OTHER_COLOUR = "#9A9A9A"
KIND_STYLE = {  # kind -> (colour, marker): colour and shape both tell kinds apart
    "attack": (PALETTE[0], "o"), "plot": (PALETTE[1], "D"), "threat": (PALETTE[3], "^"), "other": (PALETTE[2], "s"),
}

# How the form is chosen (see choose_form and the README).
HANDFUL = 12  # at most this many events: a timeline and its table, no count per period
TIMELINE_MAX = 40  # more events than this: no timeline (one labelled row per event would not fit a page)
TIMELINE_WRAP = 16  # up to this many rows, long titles wrap onto two lines; beyond, they are cut
TIMELINE_HEIGHT = 7.0  # inches for the rows at most, so that a timeline of TIMELINE_MAX rows fits a page
MONTHLY_SHARE = 0.8  # count per month when this share of dated attacks lie within one month …
MONTHS_MAX = 180  # … the months spanned are at most this many, and no more than the attacks counted
STACK_MAX = 5  # more categories than this: small multiples, one panel per category
PANELS_MAX = 9  # at most this many panels, the least frequent categories merged into the last
LEGEND_MAX = 6  # series in a stacked bar chart's legend, the rest merged into one
ROWS_MAX = 12  # bars in a horizontal bar chart, the rest merged into one
LABEL_CHARS = 34  # longer labels are cut (with "…") in the images; the data tables keep them whole
BARS_MAX = 60  # more periods than this are drawn as a filled step line rather than bars


class Cell(NamedTuple):
    text: str
    num: bool = True  # right-aligned figure
    unknown: bool = False  # no source gives it


@dataclass(frozen=True)
class Table:
    """A chart's data: row labels x column labels -> counts, shown beside the chart in HTML.

    For a table of figures (casualties) `known` and `unknown` say how many attacks add a known
    figure to a cell and how many add a figure no source gives; a count table leaves both empty.
    """

    row_title: str
    rows: list[str]
    columns: list[str]
    counts: dict[tuple[str, str], int]
    unknown: dict[tuple[str, str], int] = field(default_factory=dict)
    known: dict[tuple[str, str], int] = field(default_factory=dict)
    left_out: tuple[tuple[str, int], ...] = ()  # (why, how many attacks) not counted in any row
    merged: tuple[str, ...] = ()  # labels that stand for several categories ("others (3 provinces)")

    def count(self, row: str, column: str) -> int:
        """The known part: the sum of the figures a source gives (a lower bound if unknown_in > 0)."""
        return self.counts.get((row, column), 0)

    def row_total(self, row: str) -> int:
        return sum(self.count(row, c) for c in self.columns)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def unknown_in(self, row: str | None = None, column: str | None = None) -> int:
        return sum(n for (r, c), n in self.unknown.items() if row in (None, r) and column in (None, c))

    def known_in(self, row: str | None = None, column: str | None = None) -> int:
        return sum(n for (r, c), n in self.known.items() if row in (None, r) and column in (None, c))

    def _text(self, value: int, known: int, unknown: int) -> Cell:
        if not unknown:
            return Cell(f"{value:,}")
        if not known:
            return Cell("unknown", unknown=True)
        return Cell(f"≥ {value:,}")

    def cell(self, row: str, column: str) -> Cell:
        return self._text(self.count(row, column), self.known_in(row, column), self.unknown_in(row, column))

    def row_total_cell(self, row: str) -> Cell:
        return self._text(self.row_total(row), self.known_in(row), self.unknown_in(row))

    def total_cell(self) -> Cell:
        return self._text(self.total, self.known_in(), self.unknown_in())

    def head(self) -> list[str]:
        return [self.row_title, *self.columns, "Total"]

    def body(self) -> list[tuple[str, list[Cell]]]:
        return [(row, [self.cell(row, c) for c in self.columns] + [self.row_total_cell(row)]) for row in self.rows]


@dataclass(frozen=True)
class TimelineMark:
    """One event on the timeline: a dot for a day, a bar over every day a coarser date could be."""

    title: str
    kind: str
    date: FuzzyDate

    @property
    def placed(self) -> bool:
        return self.date.earliest is not None

    @property
    def shape(self) -> str:
        if not self.placed:
            return "none"
        return "point" if self.date.precision == "day" else "bar"

    @property
    def x0(self) -> int:
        """Start, in days (proleptic ordinal): the first day the event could have happened."""
        assert self.date.earliest
        return self.date.earliest.toordinal()

    @property
    def x1(self) -> int:
        """End, exclusive: the day after the last day the event could have happened."""
        assert self.date.latest
        return self.date.latest.toordinal() + 1

    @property
    def precision(self) -> str:
        d = self.date
        if d.precision == "unknown" or not (d.earliest and d.latest):
            return "unknown: not drawn"
        if d.precision != "range":
            return d.precision
        days = (d.latest - d.earliest).days + 1
        if days < 62:
            return f"range of {days} days"
        if days < 730:
            return f"range of about {round(days / 30.44)} months"
        return f"range of about {days / 365.25:.1f} years"


@dataclass(frozen=True)
class EventTable:
    """The timeline's data: every event, drawn or not, with its date as given and its precision."""

    row_title: str
    marks: list[TimelineMark]

    @property
    def total(self) -> int:
        return len(self.marks)

    @property
    def rows(self) -> list[str]:
        return [m.title for m in self.marks]

    def head(self) -> list[str]:
        return [self.row_title, "Kind", "Date as given", "Precision"]

    def body(self) -> list[tuple[str, list[Cell]]]:
        return [(m.title, [Cell(m.kind, num=False), Cell(m.date.label, num=False, unknown=not m.placed),
                           Cell(m.precision, num=False, unknown=not m.placed)]) for m in self.marks]


@dataclass(frozen=True)
class Plot:
    """What to draw: `draw(fig, *args)` on a figure of `size` inches. Rendered by `render`."""

    draw: Callable[..., None]
    size: tuple[float, float]
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    alt: str
    table: Table | EventTable
    svg: str  # empty when there is nothing to plot
    note: str = ""
    plot: Plot | None = None  # to draw it again, e.g. as PNG: render(chart.plot, "png")


@dataclass(frozen=True)
class Form:
    """Which charts of time suit the data (see choose_form)."""

    timeline: bool
    frequency: str | None  # "month", "year" or None (no count per period)
    split: str  # "target_type" or "country": what the count per period is split by
    small_multiples: bool  # one panel per category instead of stacked bars


def attacks(incidents: list[Incident]) -> list[Incident]:
    return [i for i in incidents if i.kind == "attack"]


def _n(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def _cut(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def wrap_label(label: str, width: int = 30, lines: int = 2) -> str:
    """A long event title on at most `lines` lines of `width` characters, cut with "…" beyond."""
    wrapped = textwrap.wrap(label, width, break_long_words=True) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[: lines - 1] + [_cut(" ".join(wrapped[lines - 1:]), width)]
    return "\n".join(wrapped)


# Periods ------------------------------------------------------------------------------------------

def month_of(d: FuzzyDate) -> tuple[int, int] | None:
    """The month whose days hold the whole of the date, if one does."""
    if d.earliest and d.latest and (d.earliest.year, d.earliest.month) == (d.latest.year, d.latest.month):
        return (d.earliest.year, d.earliest.month)
    return None


def period_of(d: FuzzyDate, period: str) -> tuple[int, int] | None:
    """(year, month) or (year, 0): the period that holds the whole date range, or None if none does."""
    if period == "month":
        return month_of(d)
    return (d.year, 0) if d.year else None


def _period_label(key: tuple[int, int]) -> str:
    return str(key[0]) if not key[1] else date(key[0], key[1], 1).strftime("%b %Y")


def _periods_between(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    if not first[1]:
        return [(y, 0) for y in range(first[0], last[0] + 1)]
    out, (y, m) = [], first
    while (y, m) <= last:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def period_ticks(rows: list[str], monthly: bool, most: int = 10) -> list[tuple[int, str]]:
    """At most `most` (index, label) ticks for a row of periods; months are labelled at each January."""
    if not rows:
        return []
    if monthly and len(rows) > 24:
        januaries = [(k, r[-4:]) for k, r in enumerate(rows) if r.startswith("Jan ")]
        step = math.ceil(len(januaries) / most) or 1
        return januaries[::step]
    step = math.ceil(len(rows) / most)
    return [(k, r) for k, r in enumerate(rows)][::step]


# Tables -----------------------------------------------------------------------------------------

def _capped(counts: Counter[str], most: int, noun: str, keep: tuple[str, ...] = ()) -> dict[str, str]:
    """Label -> label shown: the `most - 1` most frequent kept, the rest merged as "others (N <noun>)".

    Labels in `keep` ("unspecified", "province unknown") are never merged: an unknown stays visible.
    """
    ranked = sorted(counts, key=lambda k: (-counts[k], k))
    if len(ranked) <= most:
        return {k: k for k in ranked}
    kept = [k for k in ranked if k in keep]
    kept += [k for k in ranked if k not in keep][: max(1, most - 1 - len(kept))]
    merged = [k for k in ranked if k not in kept]
    other = f"others ({len(merged)} {noun})"
    return {k: (k if k in kept else other) for k in ranked}


def _table(row_title: str, pairs: list[tuple[str, str]], row_order: list[str] | None = None,
           rows_max: int | None = None, columns_max: int | None = None, nouns: tuple[str, str] = ("", ""),
           keep: tuple[str, ...] = (), left_out: tuple[tuple[str, int], ...] = ()) -> Table:
    merged: set[str] = set()
    if rows_max and not row_order:
        rename = _capped(Counter(r for r, _ in pairs), rows_max, nouns[0], keep)
        merged |= {new for old, new in rename.items() if new != old}
        pairs = [(rename[r], c) for r, c in pairs]
    if columns_max:
        rename = _capped(Counter(c for _, c in pairs), columns_max, nouns[1], keep)
        merged |= {new for old, new in rename.items() if new != old}
        pairs = [(r, rename[c]) for r, c in pairs]
    counts = Counter(pairs)

    def merged_last(label: str) -> bool:
        return label in merged

    rows = row_order if row_order is not None else sorted(
        {r for r, _ in pairs}, key=lambda r: (merged_last(r), -sum(n for (rr, _), n in counts.items() if rr == r), r))
    columns = sorted({c for _, c in pairs},
                     key=lambda c: (merged_last(c), -sum(n for (_, cc), n in counts.items() if cc == c), c))
    return Table(row_title, rows, columns, dict(counts), left_out=left_out, merged=tuple(sorted(merged)))


def _category(incident: Incident, split: str) -> str:
    if split == "country":
        return incident.country
    return incident.target_type or UNSPECIFIED


def frequency_table(incidents: list[Incident], period: str = "year", split: str = "target_type",
                    categories_max: int = PANELS_MAX) -> Table:
    """Attacks per period, split by target type (or country).

    An attack is counted in a period only when its whole date range lies inside it: a month inside
    its year, "2024-01/2024-03" inside 2024, but "2022/2026-11-22" in no single year. Those, and the
    attacks with no usable date, are in `left_out`, not in any row. Periods between the first and
    the last with no attack show as 0: a real count of the attacks recorded.
    """
    placed: list[tuple[tuple[int, int], str]] = []
    spanning = undated = 0
    for incident in attacks(incidents):
        key = period_of(incident.date, period)
        if key:
            placed.append((key, _category(incident, split)))
        elif incident.date.earliest:
            spanning += 1
        else:
            undated += 1
    keys = sorted({k for k, _ in placed})
    rows = [_period_label(k) for k in _periods_between(keys[0], keys[-1])] if keys else []
    unit = "a month" if period == "month" else "one year"
    left_out = tuple((why, n) for why, n in ((f"date spans more than {unit}", spanning),
                                             ("no usable date", undated)) if n)
    noun = "countries" if split == "country" else "types"
    return _table(
        "Month" if period == "month" else "Year", [(_period_label(k), c) for k, c in placed], rows,
        columns_max=categories_max, nouns=("", noun), keep=(UNSPECIFIED,), left_out=left_out)


def targets_table(incidents: list[Incident]) -> Table:
    """Attacks by target type, split by the targets' nationality."""
    pairs = [(i.target_type or UNSPECIFIED, i.target_nationality or UNSPECIFIED) for i in attacks(incidents)]
    return _table("Target type", pairs, rows_max=ROWS_MAX, columns_max=LEGEND_MAX,
                  nouns=("types", "nationalities"), keep=(UNSPECIFIED,))


def places_table(incidents: list[Incident]) -> Table:
    """Attacks by country, split by province."""
    pairs = [(i.country, i.province or PROVINCE_UNKNOWN) for i in attacks(incidents)]
    return _table("Country", pairs, rows_max=ROWS_MAX, columns_max=LEGEND_MAX,
                  nouns=("countries", "provinces"), keep=(PROVINCE_UNKNOWN,))


def casualties_table(incidents: list[Incident]) -> Table:
    """People killed and wounded per year in the attacks; a figure no source gives is unknown, not 0.

    Rows are the years that hold at least one attack, then "year uncertain" (a date range across
    years) and "date unknown". A cell adds up the figures the sources give (`count`) and counts the
    attacks whose figure none gives (`unknown_in`); `killed: deadly` is one of those.
    """
    found = attacks(incidents)
    counts: dict[tuple[str, str], int] = {}
    known: Counter[tuple[str, str]] = Counter()
    unknown: Counter[tuple[str, str]] = Counter()
    used: set[str] = set()
    for incident in found:
        year = incident.date.year
        row = str(year) if year else SPANS_YEARS if incident.date.earliest else UNDATED
        used.add(row)
        for column, value in (("killed", incident.killed), ("wounded", incident.wounded)):
            if value is None:
                unknown[(row, column)] += 1
            else:
                known[(row, column)] += 1
                counts[(row, column)] = counts.get((row, column), 0) + value
    rows = sorted(r for r in used if r.isdigit()) + [r for r in (SPANS_YEARS, UNDATED) if r in used]
    return Table("Year", rows, ["killed", "wounded"] if found else [], counts, dict(unknown), dict(known))


def timeline_marks(incidents: list[Incident]) -> list[TimelineMark]:
    """Every event, earliest first; those with no usable date last (listed, not drawn)."""
    ordered = sorted(incidents, key=lambda i: (i.date.sort_key(), i.date.latest or date.max, i.title, i.id))
    return [TimelineMark(i.title, i.kind, i.date) for i in ordered]


def choose_form(incidents: list[Incident]) -> Form:
    """The charts of time that suit the data.

    - At most HANDFUL events: the timeline (one row per event) and its table; a count per period of
      a few events says less than the events themselves.
    - More than HANDFUL and at most TIMELINE_MAX: a count per period, then the timeline.
    - More than TIMELINE_MAX: a count per period only.
    The count is per month when most dated attacks (MONTHLY_SHARE) lie within one month and there
    are at least as many attacks counted as months spanned (at most MONTHS_MAX), per year otherwise.
    It is split by target type, or by country when all attacks share one target type; with more than
    STACK_MAX categories it is drawn as small multiples, one panel per category.
    """
    found = attacks(incidents)
    frequency = None
    if len(incidents) > HANDFUL:
        frequency = "year"
        dated = [a for a in found if a.date.earliest]
        months = sorted(k for k in (month_of(a.date) for a in dated) if k)
        if dated and months and len(months) >= MONTHLY_SHARE * len(dated):
            spanned = (months[-1][0] - months[0][0]) * 12 + months[-1][1] - months[0][1] + 1
            if spanned <= min(MONTHS_MAX, len(months)):
                frequency = "month"
    types = {_category(a, "target_type") for a in found}
    countries = {a.country for a in found}
    split = "country" if len(types) < 2 <= len(countries) else "target_type"
    return Form(timeline=len(incidents) <= TIMELINE_MAX, frequency=frequency, split=split,
                small_multiples=len(types if split == "target_type" else countries) > STACK_MAX)


# Words: alt text and notes ----------------------------------------------------------------------

def _figure_words(cell: Cell) -> str:
    return "unknown" if cell.unknown else cell.text.replace("≥ ", "at least ")


def _describe(table: Table, what: str, unit: str, any_attack: bool) -> str:
    if not table.total:
        missing = "No source gives a figure" if any_attack else "No attacks are recorded"
        return f"{missing}, so there is no chart of {what}."
    total = table.total_cell()
    noun = unit if table.total != 1 else unit.rstrip("s").replace("peopl", "person")
    return f"Bar chart of {what}, {_figure_words(total)} {noun} in all. {_row_words(table)}."


def _row_words(table: Table) -> str:
    """Each row's total, split by column: "2024: 5 (1 killed, 4 wounded)"."""
    figures = bool(table.known or table.unknown)
    parts = []
    for row in table.rows:
        cells = [(c, table.cell(row, c)) for c in table.columns]
        if figures:
            split = ", ".join(f"{c} unknown" if cell.unknown else f"{_figure_words(cell)} {c}"
                              for c, cell in cells if table.unknown_in(row, c) or table.known_in(row, c))
        else:
            split = ", ".join(f"{cell.text} {c}" for c, cell in cells if table.count(row, c))
        parts.append(f"{row}: {_figure_words(table.row_total_cell(row))}" + (f" ({split})" if split else ""))
    return "; ".join(parts)


def _describe_frequency(table: Table, what: str, monthly: bool, counted: int, of: int, small_multiples: bool) -> str:
    if not table.total:
        period = "month" if monthly else "year"
        return f"No attack could be placed in a single {period}, so there is no chart of {what}."
    head = f"Bar chart of {what}, {counted:,} of {_n(of, 'attack')} counted."
    if small_multiples:
        head = f"Bar charts of {what.replace(' by ', ', one per ')}; {counted:,} of {_n(of, 'attack')} counted."
    if len(table.rows) <= 24:
        return f"{head} {_row_words(table)}."
    years: Counter[str] = Counter()
    for row in table.rows:
        years[row[-4:]] += table.row_total(row)
    busiest = max(table.rows, key=table.row_total)  # the first of the busiest
    return (f"{head} Per year: " + "; ".join(f"{y}: {n:,}" for y, n in sorted(years.items()))
            + f". Busiest {'month' if monthly else 'year'}: {busiest}, {_n(table.row_total(busiest), 'attack')}.")


def _describe_timeline(marks: list[TimelineMark]) -> str:
    found = [m for m in marks if m.kind == "attack"]
    others = [m for m in marks if m.kind != "attack"]
    kinds = sorted({m.kind for m in others})
    if not marks:
        return "No events are recorded, so there is no timeline."
    if found:
        head = f"Timeline of {_n(len(found), 'attack')} in all"
    else:
        head = f"Timeline of {_n(len(others), 'event')}, none an attack"
    if found and others:
        head += f", with {_n(len(others), 'other event')} ({', '.join(kinds)}) not counted as attacks"
    drawn = [m for m in marks if m.placed]
    if not drawn:
        return head + ". No event has a usable date, so nothing is drawn."
    shown = "; ".join(
        f"{m.title} ({m.kind}): {m.date.label}, " + ("a dot (known to the day)" if m.shape == "point"
                                                     else f"a bar over the whole {m.date.precision}")
        for m in drawn)
    rest = [m for m in marks if not m.placed]
    tail = f" Not drawn, no usable date: {'; '.join(f'{m.title} ({m.kind})' for m in rest)}." if rest else ""
    return f"{head}. {shown}.{tail}"


def _left_out_words(left_out: tuple[tuple[str, int], ...]) -> str:
    return ", ".join(f"{n:,} whose {why}" if why.startswith("date") else f"{n:,} with {why}" for why, n in left_out)


def _merged_note(table: Table) -> str:
    if not table.merged:
        return ""
    return " So that the chart stays readable, the least frequent categories are merged: " + ", ".join(
        f"“{m}”" for m in table.merged) + " (the incidents table lists each)."


# Charts -----------------------------------------------------------------------------------------

def build_charts(incidents: list[Incident], cache: ChartCache | None = None) -> list[Chart]:
    """The briefing's charts, each with its data table, alt text and a note on what is missing."""
    found = attacks(incidents)
    form = choose_form(incidents)
    charts: list[Chart] = []
    if form.frequency:
        charts.append(frequency_chart(incidents, form, cache))
    if form.timeline:
        charts.append(timeline_chart(incidents, form, cache))
    for slug, title, table, what, unit in (
        ("targets", "Attacks by target type and nationality", targets_table(incidents),
         "attacks by target type and target nationality", "attacks"),
        ("casualties", "People killed and wounded per year", casualties_table(incidents),
         "people killed and wounded per year", "people"),
        ("places", "Attacks by country and province", places_table(incidents),
         "attacks by country and province", "attacks"),
    ):
        notes = []
        if not table.total:
            notes.append("Too little data to plot: "
                         + ("no attacks recorded." if not found else "no source gives a figure."))
        if slug == "casualties":
            notes.append(_casualty_note(table, found))
            plot = Plot(_draw_casualties, (6.4, 2.8), (table,)) if table.total else None
        else:
            if found:
                unspecified = [c for c in (UNSPECIFIED, PROVINCE_UNKNOWN) if c in table.rows + table.columns]
                none_given = sum(1 for i in found if (i.target_type if slug == "targets" else i.province) is None)
                notes.append(f"Every attack is counted ({_n(len(found), 'attack')})"
                             + (f"; {none_given:,} with no {'target type' if slug == 'targets' else 'province'} given "
                                f"under “{unspecified[0]}”." if none_given and unspecified else ".")
                             + _merged_note(table))
            height = max(2.4, 0.45 * len(table.rows) + 1.2)
            legend = "Target nationality" if slug == "targets" else "Province"
            plot = Plot(_draw_bars, (6.4, height), (table, True, legend, "Attacks")) if table.total else None
        svg = render(plot, cache=cache).decode("utf-8") if plot else ""
        charts.append(Chart(slug, title, _describe(table, what, unit, bool(found)), table, svg, " ".join(notes), plot))
    return charts


def _casualty_note(table: Table, found: list[Incident]) -> str:
    if not found:
        return ""
    lacking = sum(1 for i in found if i.killed is None or i.wounded is None)
    notes = []
    spanning = sum(1 for i in found if not i.date.year and i.date.earliest)
    undated = sum(1 for i in found if not i.date.earliest)
    rows = [f"{_n(spanning, 'attack')} whose date spans more than one year {'is' if spanning == 1 else 'are'} "
            f"under “{SPANS_YEARS}”" if spanning else "",
            f"{_n(undated, 'attack')} with no usable date {'is' if undated == 1 else 'are'} under “{UNDATED}”"
            if undated else ""]
    if any(rows):
        notes.append(f"Every attack is counted: {' and '.join(r for r in rows if r)}.")
    if lacking:
        no_killed = sum(1 for i in found if i.killed is None)
        deadly = sum(1 for i in found if i.killed is None and i.killed_word)
        no_wounded = sum(1 for i in found if i.wounded is None)
        detail = [
            f"{no_killed:,} with no killed figure" + (f", {deadly:,} of them reported only as “deadly”" if deadly else "")
            if no_killed else "",
            f"{no_wounded:,} with no wounded figure" if no_wounded else ""]
        notes.append(f"{lacking:,} of {len(found):,} attack(s) lack a killed or wounded figure in the sources "
                     f"({'; '.join(d for d in detail if d)}). A sum that leaves them out is marked “≥” (at least); "
                     "a cell none of whose figures is known reads “unknown”, never 0.")
    else:
        notes.append("Every attack has a killed and a wounded figure in the sources.")
    return " ".join(notes)


def frequency_chart(incidents: list[Incident], form: Form | None = None, cache: ChartCache | None = None) -> Chart:
    """Attacks per month or year (the form's, else per year), stacked or in small multiples."""
    form = form or choose_form(incidents)
    if not form.frequency:
        form = replace(form, frequency="year")
    found = attacks(incidents)
    monthly = form.frequency == "month"
    unit = "month" if monthly else "year"
    by = "country" if form.split == "country" else "target type"
    table = frequency_table(incidents, unit, form.split, PANELS_MAX if form.small_multiples else STACK_MAX + 1)
    counted = table.total
    what = f"attacks per {unit} by {by}"
    notes = [f"An attack is counted in a {unit} only when its whole date range lies inside that {unit}."]
    if table.left_out:
        notes.append(f"Not counted: {_left_out_words(table.left_out)}; "
                     f"{counted:,} of {_n(len(found), 'attack')} counted.")
    elif found:
        notes.append(f"Every attack is counted ({_n(len(found), 'attack')}).")
    if form.small_multiples:
        notes.append(f"One panel per {by}, on the same scale.")
    notes.append(_merged_note(table).strip())
    if not form.timeline:
        notes.append(f"{_n(len(incidents), 'event')} are too many for a timeline with one row each; "
                     "the incidents table gives every date as the sources do.")
    if not counted:
        notes.insert(0, "Too little data to plot: "
                     + ("no attacks recorded." if not found else f"no attack lies within one {unit}."))
    plot = None
    if counted:
        ticks = tuple(period_ticks(table.rows, monthly, 6 if form.small_multiples else 10))
        if form.small_multiples:
            panels = len(table.columns)
            plot = Plot(_draw_small_multiples, (6.4, 1.45 * math.ceil(panels / 3) + 0.5), (table, ticks))
        else:
            plot = Plot(_draw_bars, (6.4, 2.8), (table, False, by.capitalize(), "Attacks", ticks))
    svg = render(plot, cache=cache).decode("utf-8") if plot else ""
    title = f"Attacks per {unit} by {by}"
    alt = _describe_frequency(table, what, monthly, counted, len(found), form.small_multiples)
    return Chart("attack-frequency", title, alt, table, svg, " ".join(n for n in notes if n), plot)


def timeline_chart(incidents: list[Incident], form: Form | None = None, cache: ChartCache | None = None) -> Chart:
    """One row per event, a dot for a day and a bar across a coarser date, with the events' table."""
    form = form or choose_form(incidents)
    marks = timeline_marks(incidents)
    drawn = [m for m in marks if m.placed]
    notes = ["A dot marks a date known to the day; "
             "a bar spans every day the date could be (a month, a year or a range)."]
    rest = len(marks) - len(drawn)
    if not marks:
        notes = ["Too little data to plot: no events recorded."]
    elif rest:
        notes.append(f"Not drawn: {_n(rest, 'event')} with no usable date, listed in the table.")
    else:
        notes.append("Every event is drawn.")
    if not form.frequency and attacks(incidents):
        notes.append(f"With {_n(len(incidents), 'event')}, the timeline shows each one; a count of attacks per year "
                     "would say less, so there is none.")
    wrap = len(drawn) <= TIMELINE_WRAP and any("\n" in wrap_label(m.title) for m in drawn)
    row_height = min(0.42 if wrap else 0.3, TIMELINE_HEIGHT / max(1, len(drawn)))
    plot = Plot(_draw_timeline, (6.4, row_height * len(drawn) + 1.4), (tuple(drawn), rest, wrap)) if drawn else None
    svg = render(plot, cache=cache).decode("utf-8") if plot else ""
    return Chart("timeline", "Timeline of the events", _describe_timeline(marks), EventTable("Event", marks), svg,
                 " ".join(notes), plot)


# Drawing (matplotlib is imported only in `render`) ----------------------------------------------

RC = {
    "text.parse_math": False,  # labels are authors' text: "$…$" is a price, not TeX
    "text.usetex": False,
    "svg.hashsalt": "threatbrief",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "hatch.linewidth": 0.6,
}


def render(plot: Plot, fmt: str = "svg", dpi: int = 150, cache: ChartCache | None = None) -> bytes:
    """`plot` as SVG (or PNG), drawn once per distinct data: from this process's memo, else from
    the project's signed cache, else drawn (and kept in both). Byte-identical for identical data."""
    key = chart_key(plot, fmt, dpi)
    if key is None:  # data this module cannot hash (never in a build): drawn every time
        return draw(plot, fmt, dpi)
    image = _memo.get(key)
    if image is None and cache is not None:
        image = cache.get(key, fmt)
    if image is None:
        image = draw(plot, fmt, dpi)
        if cache is not None:
            cache.put(key, fmt, image)
    _remember(key, image)
    return image


def draw(plot: Plot, fmt: str = "svg", dpi: int = 150) -> bytes:
    """Draw `plot` with matplotlib, no cache: no date, fixed hash salt, so the bytes are reproducible.

    A bare `Figure` (no pyplot: nothing to register or close), and the tight layout applied once
    by its engine rather than `fig.tight_layout()`, which leaves a placeholder engine that makes
    `savefig` lay the figure out a second time; the bytes are the same (tests/test_charts.py).
    """
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import TightLayoutEngine

    with matplotlib.rc_context(RC):
        fig = Figure(figsize=plot.size)
        plot.draw(fig, *plot.args)
        TightLayoutEngine().execute(fig)
        out = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None} if fmt == "png" else {}
        fig.savefig(out, format=fmt, metadata=metadata, dpi=dpi)
        return out.getvalue()


# The chart cache ----------------------------------------------------------------------------------

CACHE_FORMAT = 1
CACHE_PURPOSE = "chart"
MAX_IMAGE_BYTES = 32 * 1024 * 1024
MEMO_BYTES = 64 * 1024 * 1024  # images this process keeps; the oldest go first
_memo: OrderedDict[str, bytes] = OrderedDict()  # the per-process memo: chart key -> image


def _remember(key: str, image: bytes) -> None:
    _memo[key] = image
    _memo.move_to_end(key)
    total = sum(len(v) for v in _memo.values())
    while total > MEMO_BYTES and len(_memo) > 1:
        total -= len(_memo.popitem(last=False)[1])


def _canonical(value: Any) -> Any:
    """A chart's data as plain JSON, the same for equal data; TypeError for what it cannot say."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        pairs = [[_canonical(k), _canonical(v)] for k, v in value.items()]
        return {"dict": sorted(pairs, key=lambda kv: json.dumps(kv[0], sort_keys=True))}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {type(value).__qualname__: {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    raise TypeError(f"cannot key chart data of type {type(value).__name__}")


@lru_cache(maxsize=None)
def code_version(module: str) -> str:
    """A digest of this module and of the one holding the draw function: changed code, new key."""
    digest = hashlib.sha256()
    for name in dict.fromkeys((__name__, module)):
        try:
            digest.update(read_regular(Path(sys.modules[name].__file__ or ""), 16 * 1024 * 1024))
        except (KeyError, NotReadable):
            digest.update(f"unreadable:{name}".encode())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def matplotlib_version() -> str:
    """From the installed package's metadata: no need to import matplotlib to know a cached image."""
    if "matplotlib" in sys.modules:
        return str(sys.modules["matplotlib"].__version__)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("matplotlib")
    except PackageNotFoundError:
        return "unknown"


def chart_key(plot: Plot, fmt: str = "svg", dpi: int = 150) -> str | None:
    """sha256 of what decides the image's bytes: the data, the code, matplotlib, the settings."""
    try:
        data = _canonical([plot.draw.__module__, plot.draw.__qualname__, plot.size, plot.args])
    except TypeError:
        return None
    spec = [CACHE_FORMAT, code_version(plot.draw.__module__), matplotlib_version(), fmt, dpi, sorted(RC.items()), data]
    return hashlib.sha256(json.dumps(spec, sort_keys=True, ensure_ascii=True).encode("ascii")).hexdigest()


class ChartCache:
    """Rendered charts of one project by key, in `.threatbrief/cache/charts/<key>.<fmt>`.

    Each entry is signed with this user's key (signing.py), and names its key inside the signed
    part: an image injected into the cache, copied under another key, damaged or cut short is
    ignored (and replaced). Without a key or a safe folder it keeps nothing: slower, never wrong.
    """

    def __init__(self, folder: Path | None, key: bytes | None) -> None:
        self.folder = folder if key else None
        self.key = key or b""
        self.hits = 0
        self.misses = 0

    @classmethod
    def for_project(cls, cache_dir: Path | None) -> "ChartCache":
        from threatbrief.signing import signing_key

        return cls(cache_dir / "charts" if cache_dir else None, signing_key() if cache_dir else None)

    def _path(self, key: str, fmt: str) -> Path | None:
        return self.folder / f"{key}.{fmt}" if self.folder else None

    def get(self, key: str, fmt: str) -> bytes | None:
        from threatbrief.signing import read_sealed

        path = self._path(key, fmt)
        body = read_sealed(path, self.key, CACHE_PURPOSE, MAX_IMAGE_BYTES + 4096) if path else None
        head, newline, image = body.partition(b"\n") if body else (b"", b"", b"")
        try:
            meta = json.loads(head) if newline else None
        except ValueError:
            meta = None
        if not (isinstance(meta, dict) and meta.get("format") == CACHE_FORMAT and meta.get("key") == key
                and meta.get("fmt") == fmt and meta.get("bytes") == len(image)):
            self.misses += 1
            return None
        self.hits += 1
        return image

    def put(self, key: str, fmt: str, image: bytes) -> None:
        from threatbrief.signing import write_sealed

        path = self._path(key, fmt)
        if path is None or len(image) > MAX_IMAGE_BYTES:
            return
        head = json.dumps({"format": CACHE_FORMAT, "key": key, "fmt": fmt, "bytes": len(image)}, sort_keys=True)
        write_sealed(path, self.key, CACHE_PURPOSE, head.encode("ascii") + b"\n" + image)


def render_svg(table: Table, horizontal: bool, legend_title: str, axis_label: str = "Attacks") -> str:
    """A stacked bar chart as SVG text, byte-identical for identical tables."""
    height = max(2.4, 0.45 * len(table.rows) + 1.2) if horizontal else 2.8
    return render(Plot(_draw_bars, (6.4, height), (table, horizontal, legend_title, axis_label))).decode("utf-8")


def _colours(labels: list[str], merged: tuple[str, ...] = ()) -> list[str]:
    colours, k = [], 0
    for label in labels:
        if label in merged:
            colours.append(OTHER_COLOUR)
        else:
            colours.append(PALETTE[k % len(PALETTE)])
            k += 1
    return colours


def _draw_bars(fig: Any, table: Table, horizontal: bool, legend_title: str, axis_label: str,
               ticks: tuple[tuple[int, str], ...] | None = None) -> None:
    """Stacked bars (or, for many periods, stacked filled steps), legend beside the plot."""
    from matplotlib.patches import Patch

    ax = fig.subplots()
    positions = list(range(len(table.rows)))
    steps = not horizontal and len(positions) > BARS_MAX
    base = [0] * len(table.rows)
    handles = []
    for column, colour in zip(table.columns, _colours(table.columns, table.merged)):
        values = [table.count(row, column) for row in table.rows]
        top = [b + v for b, v in zip(base, values)]
        if steps:
            ax.stairs(top, [p - 0.5 for p in positions] + [positions[-1] + 0.5], baseline=base, fill=True,
                      color=colour, linewidth=0)
        elif horizontal:
            ax.barh(positions, values, left=base, color=colour, height=0.6)
        else:
            ax.bar(positions, values, bottom=base, color=colour, width=0.6)
        handles.append(Patch(facecolor=colour))
        base = top
    pad = max(0.0, (4 - len(positions)) / 2)  # keep few bars slim and centred
    (ax.set_ylim if horizontal else ax.set_xlim)(-0.5 - pad, len(positions) - 0.5 + pad)
    ticks_axis, count_axis = (ax.yaxis, ax.xaxis) if horizontal else (ax.xaxis, ax.yaxis)
    shown = list(ticks) if ticks is not None else list(enumerate(table.rows))
    ticks_axis.set_ticks([k for k, _ in shown], labels=[_cut(label) for _, label in shown])
    count_axis.get_major_locator().set_params(integer=True)
    (ax.set_xlabel if horizontal else ax.set_ylabel)(axis_label)
    if horizontal:
        ax.invert_yaxis()
    # Handles and labels given explicitly: matplotlib silently drops a label passed as
    # `label=` when it starts with "_" (its convention for "hide this artist").
    ax.legend(handles, [_cut(c, 26) for c in table.columns], title=legend_title, frameon=False, fontsize=8,
              title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def _draw_small_multiples(fig: Any, table: Table, ticks: tuple[tuple[int, str], ...]) -> None:
    """One panel per category, same scales, so that many categories stay legible."""
    panels = len(table.columns)
    ncols = min(3, panels)
    nrows = math.ceil(panels / ncols)
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
    positions = list(range(len(table.rows)))
    edges = [p - 0.5 for p in positions] + [positions[-1] + 0.5]
    for k, (column, colour) in enumerate(zip(table.columns, _colours(table.columns, table.merged))):
        ax = axes[k // ncols][k % ncols]
        values = [table.count(row, column) for row in table.rows]
        if len(positions) > BARS_MAX:
            ax.stairs(values, edges, fill=True, color=colour, linewidth=0)
        else:
            ax.bar(positions, values, color=colour, width=0.7)
        ax.set_title(f"{_cut(column, 24)} ({sum(values):,})", fontsize=8, loc="left")
        ax.tick_params(labelsize=7)
    for k in range(panels, nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    first = axes[0][0]
    first.set_xlim(-0.5 - max(0.0, (4 - len(positions)) / 2), len(positions) - 0.5 + max(0.0, (4 - len(positions)) / 2))
    first.xaxis.set_ticks([k for k, _ in ticks], labels=[label for _, label in ticks])
    first.yaxis.get_major_locator().set_params(integer=True)
    for k in range(panels):
        ax = axes[k // ncols][k % ncols]
        ax.tick_params(axis="x", labelbottom=k + ncols >= panels, labelrotation=0)
    fig.supylabel("Attacks", fontsize=8)


def _draw_casualties(fig: Any, table: Table) -> None:
    """Grouped bars of the known figures; "≥" over a lower bound, "unknown" where nothing is known."""
    from matplotlib.patches import Patch

    ax = fig.subplots()
    positions = list(range(len(table.rows)))
    width = 0.36
    labelled = len(positions) <= 6  # figures over the bars while they fit; "?" marks unknown beyond
    handles, labels = [], []
    bounded = False
    top = max([table.count(r, c) for r in table.rows for c in table.columns] + [1])
    for k, (column, colour) in enumerate(zip(table.columns, (PALETTE[5], PALETTE[0]))):
        xs = [p + (k - 0.5) * width for p in positions]
        cells = [table.cell(row, column) for row in table.rows]
        values = [table.count(row, column) for row in table.rows]
        hatches = ["////" if c.text.startswith("≥") else None for c in cells]
        bounded = bounded or any(hatches)
        for x, v, h, c in zip(xs, values, hatches, cells):
            if v:
                ax.bar(x, v, width=width * 0.92, color=colour, hatch=h, edgecolor="white" if h else colour, linewidth=0)
            label = "?" if c.unknown and not labelled else c.text
            if labelled or c.unknown:
                ax.text(x, v + top * 0.02, label, ha="center", va="bottom", fontsize=7,
                        rotation=90 if c.unknown and labelled else 0,  # upright "unknown"s would collide
                        color="#5b6470" if c.unknown else "#222222", fontstyle="italic" if c.unknown else "normal")
        handles.append(Patch(facecolor=colour))
        labels.append(column)
    if bounded:
        handles.append(Patch(facecolor="#cccccc", hatch="////", edgecolor="white"))
        labels.append("at least (≥): some figures unknown")
    ax.set_ylim(0, top * (1.45 if labelled and any(table.unknown.values()) else 1.18))
    pad = max(0.0, (4 - len(positions)) / 2)
    ax.set_xlim(-0.5 - pad, len(positions) - 0.5 + pad)
    ax.xaxis.set_ticks(positions, labels=[wrap_label(r, 10) if len(positions) <= 8 else _cut(r) for r in table.rows])
    if len(positions) > 8:
        ax.tick_params(axis="x", labelsize=7, labelrotation=35)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("People")
    ax.legend(handles, labels, frameon=False, fontsize=8, loc="lower left", bbox_to_anchor=(0.0, 1.0),
              ncol=len(handles), borderaxespad=0.2, handletextpad=0.4, columnspacing=1.2)


def date_ticks(lo: date, hi: date, most: int = 6) -> list[tuple[int, str]]:
    """(ordinal, label) ticks between two dates: years when the span is long, months otherwise."""
    if (hi - lo).days > 3 * 366:
        years = [y for y in range(lo.year, hi.year + 1) if lo <= date(y, 1, 1) <= hi]
        step = math.ceil(len(years) / most) or 1
        return [(date(y, 1, 1).toordinal(), str(y)) for y in years[::step]]
    months = []
    y, m = lo.year, lo.month
    while date(y, m, 1) <= hi:
        if date(y, m, 1) >= lo:
            months.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    step = next((s for s in (1, 2, 3, 6, 12) if math.ceil(len(months) / s) <= most), 12)
    if step == 12:
        months = [d for d in months if d.month == 1] or months[:1]
    else:
        months = [d for d in months if (d.month - 1) % step == 0]
    return [(d.toordinal(), d.strftime("%b %Y")) for d in months]


def _draw_timeline(fig: Any, marks: tuple[TimelineMark, ...], undrawn: int = 0, wrap: bool = True) -> None:
    """One row per event, earliest at the top: a dot for a day, a bar across a coarser date's days."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    ax = fig.subplots()
    for row, mark in enumerate(marks):
        colour, marker = KIND_STYLE.get(mark.kind, KIND_STYLE["other"])
        if mark.shape == "point":  # at noon of its day
            ax.plot([mark.x0 + 0.5], [row], marker=marker, color=colour, markersize=6, linestyle="none",
                    gid=f"timeline-dot-{row}")
        else:  # from the first moment of its first day to the last of its last day
            ax.barh(row, mark.x1 - mark.x0, left=mark.x0, height=0.5, color=colour, alpha=0.35, edgecolor=colour,
                    linewidth=1, gid=f"timeline-bar-{row}")
    lo = min(m.x0 for m in marks)
    hi = max(m.x1 for m in marks)
    if hi - lo < 120:
        middle = (lo + hi) // 2
        lo, hi = middle - 60, middle + 60
    pad = (hi - lo) * 0.03
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(len(marks) - 0.5, -0.5)
    ticks = date_ticks(date.fromordinal(int(lo - pad) + 1), date.fromordinal(int(hi + pad) - 1))
    ax.xaxis.set_ticks([t for t, _ in ticks], labels=[label for _, label in ticks])
    ax.yaxis.set_ticks(list(range(len(marks))), labels=[wrap_label(m.title) if wrap else _cut(m.title) for m in marks])
    if undrawn:
        ax.set_xlabel(f"Not drawn: {_n(undrawn, 'event')} with no usable date", fontsize=8, color="#5b6470",
                      loc="left")
    ax.tick_params(axis="y", length=0, labelsize=8 if len(marks) <= 24 else 7)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.spines["left"].set_visible(False)
    # Two legends above the plot, each on one line: the kinds (colour and shape), then what a dot
    # and a bar mean. Handles and labels explicit, so no label is dropped or read as markup.
    kinds = [k for k in KIND_STYLE if any(m.kind == k for m in marks)] + sorted({m.kind for m in marks} - set(KIND_STYLE))
    kind_handles = [Line2D([], [], marker=KIND_STYLE.get(k, KIND_STYLE["other"])[1], linestyle="none", markersize=6,
                           color=KIND_STYLE.get(k, KIND_STYLE["other"])[0]) for k in kinds]
    shapes: list[tuple[Any, str]] = []
    if any(m.shape == "point" for m in marks):
        shapes.append((Line2D([], [], marker="o", color="#555555", linestyle="none", markersize=5), "known to the day"))
    if any(m.shape == "bar" for m in marks):
        shapes.append((Patch(facecolor="#555555", alpha=0.35, edgecolor="#555555"), "some day in this span"))
    style = dict(frameon=False, fontsize=8, borderaxespad=0.2, handletextpad=0.4, columnspacing=1.0)
    first = ax.legend(kind_handles, [_cut(k, 16) for k in kinds], loc="lower left", bbox_to_anchor=(0.0, 1.0),
                      ncol=len(kinds), **style)
    if shapes:
        ax.add_artist(first)
        ax.legend([h for h, _ in shapes], [label for _, label in shapes], loc="lower right",
                  bbox_to_anchor=(1.0, 1.0), ncol=len(shapes), **style)

