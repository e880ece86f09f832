"""The overview of the whole incident dataset (incidents/): key figures, charts, every incident.

`reports/overview.html` and `reports/overview.pdf` come from one page, as briefings do. The pipeline
gives the dataset's incidents (each once) and the registry:

    charts = overview_charts(incidents)
    html = overview_html(environment(project), incidents, registry, charts, built_on)

The rules of the briefings hold here too: an unknown figure is never zero (a sum over known and
unknown figures is a lower bound, and says how many are missing), an incident with no usable date
is counted and named apart, never dropped, and the page is handled at the strictest TLP of the
sources its incidents cite. The incident table is sorted and filtered by an inline script in a
browser; without scripts (and in the PDF) it is complete, in date order.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date

import jinja2

from threatbrief.model import FuzzyDate, Incident, Registry, Source
from threatbrief.publish import charts as ch
from threatbrief.publish.charts import Chart, Plot, Table
from threatbrief.publish.render import chart_data_uri, logo_data_uri
from threatbrief.tradecraft import TLP_ORDER

UNATTRIBUTED = "unattributed"  # perpetrator not named: kept apart like "unspecified", never merged
CLAIMS = ("claimed", "not claimed", "claim unknown")  # the briefing's words, in this order
CHART_ORDER = ("attack-frequency", "timeline", "places", "targets", "perpetrators", "casualties")
UNDATED_NAMED = 5  # incidents with no usable date named on the first page; the table lists all


def claim_label(incident: Incident) -> str:
    if incident.claimed is True:
        return "claimed"
    if incident.claimed is False:
        return "not claimed"
    return "claim unknown"


def _start_label(d: FuzzyDate) -> str:
    """How the first day a date could be is written: its own label, or a range's start."""
    return FuzzyDate.parse(d.text.split("/")[0]).label if d.precision == "range" else d.label


def _end_label(d: FuzzyDate) -> str:
    return FuzzyDate.parse(d.text.split("/")[1]).label if d.precision == "range" else d.label


def date_order(incidents: list[Incident]) -> list[Incident]:
    """Earliest first (a coarser date by its first possible day), undated last; then by id."""
    return sorted(incidents, key=lambda i: (i.date.sort_key(), i.date.latest or date.max, i.id))


@dataclass(frozen=True)
class Figure:
    """A sum of killed (or wounded) over the attacks: `total` of the `known` figures, `unknown`
    attacks with none (of them `deadly` reported only as deadly, fatal…)."""

    total: int
    known: int
    unknown: int
    deadly: int = 0

    @property
    def text(self) -> str:
        if not self.unknown:
            return f"{self.total:,}"
        if not self.known:
            return "unknown"
        return f"≥ {self.total:,}"


def _figure(attacks: list[Incident], what: str) -> Figure:
    values = [getattr(i, what) for i in attacks]
    known = [v for v in values if v is not None]
    deadly = sum(1 for i in attacks if what == "killed" and i.killed is None and i.killed_word)
    return Figure(sum(known), len(known), len(values) - len(known), deadly)


@dataclass(frozen=True)
class SourceUse:
    """A source the incidents cite: the registry's entry (None if it is not registered)."""

    path: str
    source: Source | None
    incidents: int  # how many incidents cite it
    citations: int

    @property
    def tlp(self) -> str:
        return source_tlp(self.source)


@dataclass(frozen=True)
class Row:
    """One incident as the table shows it, with what the script sorts and filters by."""

    incident: Incident
    sources: int  # distinct sources its citations quote
    claim: str

    @property
    def date_key(self) -> str:
        """ISO first and last possible day, so that text order is date order; '' when undated."""
        d = self.incident.date
        return f"{d.earliest.isoformat()}/{d.latest.isoformat()}" if d.earliest and d.latest else ""


@dataclass(frozen=True)
class Overview:
    """What the overview page shows."""

    title: str
    subtitle: str
    tlp: str
    built_on: str
    incidents: int
    attacks: int
    others: tuple[tuple[str, int], ...]  # kind -> count, for incidents that are not attacks
    first: str  # the earliest known date, as written ("3 Jan 2022"); '' when nothing is dated
    last: str
    undated: tuple[Incident, ...]  # no usable date: counted and named apart
    coarse: tuple[Incident, ...]  # dated only to a year or a span, outside first..last's reckoning
    range_precise: bool  # first..last are of dates known to the day or month (else only rough ones exist)
    countries: tuple[tuple[str, int, int], ...]  # country, incidents, attacks; most incidents first
    nationalities: tuple[tuple[str, int], ...]  # target nationality of the attacks (unspecified last)
    killed: Figure
    wounded: Figure
    perpetrators: tuple[tuple[str, int], ...]  # the most frequent named perpetrator(s), ties together
    unattributed: int  # attacks with no perpetrator named
    target_types: tuple[tuple[str, int], ...]  # the most frequent target type(s)
    untyped: int  # attacks with no target type given
    charts: tuple[Chart, ...]
    rows: tuple[Row, ...]  # every incident, in date order
    kinds: tuple[str, ...]  # for the table's filter
    sources: tuple[SourceUse, ...]
    citations: int

    @property
    def other_count(self) -> int:
        return sum(n for _, n in self.others)

    @property
    def dated(self) -> int:
        return self.incidents - len(self.undated)

    @property
    def undated_named(self) -> tuple[Incident, ...]:
        return self.undated[:UNDATED_NAMED]

    @property
    def coarse_dates(self) -> tuple[str, ...]:
        """The distinct coarse dates, as written, earliest first."""
        return tuple(dict.fromkeys(i.date.label for i in self.coarse))


def source_tlp(source: Source | None) -> str:
    """A source's handling: its `tlp`, TLP:CLEAR when it sets none. A value this version does not
    know (not in TLP_ORDER) counts as TLP:RED: a restriction is never relaxed by a misreading."""
    if source is None or not source.tlp:
        return "TLP:CLEAR"
    return source.tlp if source.tlp in TLP_ORDER else "TLP:RED"


def overview_tlp(incidents: list[Incident], registry: Registry) -> str:
    """The strictest TLP among the sources the incidents' citations quote; TLP:CLEAR if none."""
    levels = [source_tlp(registry.sources.get(c.source)) for i in incidents for c in i.citations]
    return max(levels, key=TLP_ORDER.index, default="TLP:CLEAR")


def _most(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
    """The most frequent label(s): every label tied at the top, alphabetical."""
    if not counts:
        return ()
    top = max(counts.values())
    return tuple((label, n) for label, n in sorted(counts.items()) if n == top)


def perpetrators_table(incidents: list[Incident]) -> Table:
    """Attacks by perpetrator ("unattributed" when none is named), split by whether it was claimed."""
    pairs = [(i.perpetrator or UNATTRIBUTED, claim_label(i)) for i in ch.attacks(incidents)]
    table = ch._table("Perpetrator", pairs, rows_max=ch.ROWS_MAX, nouns=("perpetrators", ""), keep=(UNATTRIBUTED,))
    return replace(table, columns=[c for c in CLAIMS if c in table.columns])


def perpetrators_chart(incidents: list[Incident], cache: ch.ChartCache | None = None) -> Chart:
    """Horizontal stacked bars: attacks per perpetrator, coloured by claim, with the data table."""
    found = ch.attacks(incidents)
    table = perpetrators_table(incidents)
    notes = []
    if not table.total:
        notes.append("Too little data to plot: no attacks recorded.")
    else:
        unnamed = sum(1 for i in found if not i.perpetrator)
        notes.append(f"Every attack is counted ({ch._n(len(found), 'attack')})"
                     + (f"; {unnamed:,} with no perpetrator named under “{UNATTRIBUTED}”." if unnamed else ".")
                     + " A perpetrator is as the sources attribute it; “claimed” means someone claimed the attack."
                     + ch._merged_note(table))
    height = max(2.4, 0.45 * len(table.rows) + 1.2)
    plot = Plot(ch._draw_bars, (6.4, height), (table, True, "Claim", "Attacks")) if table.total else None
    svg = ch.render(plot, cache=cache).decode("utf-8") if plot else ""
    alt = ch._describe(table, "attacks by perpetrator and claim", "attacks", bool(found))
    return Chart("perpetrators", "Attacks by perpetrator", alt, table, svg, " ".join(notes), plot)


def overview_charts(incidents: list[Incident], cache: ch.ChartCache | None = None) -> list[Chart]:
    """The briefing's charts of the whole dataset, and attacks by perpetrator, in reading order:
    time, places, targets, perpetrators, casualties."""
    charts = ch.build_charts(incidents, cache) + [perpetrators_chart(incidents, cache)]
    rank = {slug: k for k, slug in enumerate(CHART_ORDER)}
    return sorted(charts, key=lambda c: rank.get(c.slug, len(rank)))  # stable: unknown slugs keep their order


def _sources(incidents: list[Incident], registry: Registry) -> tuple[SourceUse, ...]:
    cited_by: dict[str, set[str]] = {}
    citations: Counter[str] = Counter()
    for incident in incidents:
        for c in incident.citations:
            cited_by.setdefault(c.source, set()).add(incident.id)
            citations[c.source] += 1
    order = [p for p in registry.sources if p in cited_by] + sorted(set(cited_by) - set(registry.sources))
    return tuple(SourceUse(p, registry.sources.get(p), len(cited_by[p]), citations[p]) for p in order)


def _subtitle(incidents: list[Incident], attacks: int, first: str, last: str,
              nationalities: tuple[tuple[str, int], ...]) -> str:
    """"13 incidents, 12 of them attacks, 5 Jan 2024 to 2 Jun 2024. Targets’ nationality: Chinese (12 attacks)." """
    head = ch._n(len(incidents), "incident")
    if incidents:
        if not attacks:
            head += ", no attacks"
        elif attacks == len(incidents):
            head += ", all attacks" if attacks > 1 else ", an attack"
        else:
            head += f", {attacks:,} of them attack{'s' if attacks > 1 else ''}"
    if first:
        head += f", {first} to {last}" if first != last else f", {first}"
    named = [(n, k) for n, k in nationalities if n != ch.UNSPECIFIED]
    if not named:
        return head + "."
    shown = ", ".join(f"{n} ({ch._n(k, 'attack') if j == 0 else f'{k:,}'})" for j, (n, k) in enumerate(named[:3]))
    return f"{head}. Targets’ nationality: {shown}{', …' if len(named) > 3 else ''}."


def overview(incidents: list[Incident], registry: Registry, charts: list[Chart], built_on: str) -> Overview:
    """The page's content, computed once (the template only lays it out)."""
    found = ch.attacks(incidents)
    dated = [i for i in date_order(incidents) if i.date.earliest and i.date.latest]
    undated = tuple(i for i in date_order(incidents) if not (i.date.earliest and i.date.latest))
    # The range runs over the dates known to the day or month; dates known only to a year or a
    # span are named beside it (one "2024" would otherwise stretch the range to 1 Jan–31 Dec).
    precise = [i for i in dated if i.date.precision in ("day", "month")] or dated
    precise_ids = {id(i) for i in precise}  # by identity: comparing whole records was quadratic
    coarse = tuple(i for i in dated if id(i) not in precise_ids)
    first = min(precise, key=lambda i: (i.date.earliest, i.id)) if precise else None
    last = max(precise, key=lambda i: (i.date.latest, i.id)) if precise else None
    per_country = Counter(i.country for i in incidents)
    attacks_in = Counter(i.country for i in found)
    countries = tuple((c, n, attacks_in[c]) for c, n in sorted(per_country.items(), key=lambda kv: (-kv[1], kv[0])))
    nat = Counter(i.target_nationality or ch.UNSPECIFIED for i in found)
    nationalities = tuple(sorted(nat.items(), key=lambda kv: (kv[0] == ch.UNSPECIFIED, -kv[1], kv[0])))
    others = Counter(i.kind for i in incidents if i.kind != "attack")
    rows = tuple(Row(i, len({c.source for c in i.citations}), claim_label(i)) for i in date_order(incidents))
    first_label = _start_label(first.date) if first else ""
    last_label = _end_label(last.date) if last else ""
    return Overview(
        title="Incident overview",
        subtitle=_subtitle(incidents, len(found), first_label, last_label, nationalities),
        tlp=overview_tlp(incidents, registry),
        built_on=built_on,
        incidents=len(incidents),
        attacks=len(found),
        others=tuple(sorted(others.items(), key=lambda kv: (-kv[1], kv[0]))),
        first=first_label,
        last=last_label,
        undated=undated,
        coarse=coarse,
        range_precise=any(i.date.precision in ("day", "month") for i in dated),
        countries=countries,
        nationalities=nationalities,
        killed=_figure(found, "killed"),
        wounded=_figure(found, "wounded"),
        perpetrators=_most(Counter(i.perpetrator for i in found if i.perpetrator)),
        unattributed=sum(1 for i in found if not i.perpetrator),
        target_types=_most(Counter(i.target_type for i in found if i.target_type)),
        untyped=sum(1 for i in found if not i.target_type),
        charts=tuple(charts),
        rows=rows,
        kinds=tuple(sorted({i.kind for i in incidents}, key=lambda k: (k != "attack", k))),
        sources=_sources(incidents, registry),
        citations=sum(len(i.citations) for i in incidents),
    )


def overview_html(env: jinja2.Environment, incidents: list[Incident], registry: Registry, charts: list[Chart],
                  built_on: str) -> str:
    """The overview page: one self-contained HTML file for the browser and for WeasyPrint."""
    return env.get_template("overview.html.j2").render(
        o=overview(incidents, registry, charts, built_on), chart_uri=chart_data_uri, logo=logo_data_uri(env),
    )
