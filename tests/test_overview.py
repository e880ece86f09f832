"""The overview of the incident dataset: key figures, charts with their data, every incident once,
a filter that needs nothing from the network, and the strictest TLP of the cited sources on every page.

Built from model objects (no YAML, no source files); one PDF render for the whole module.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import BROWSER, NODE_MODULES, PUPPETEER_END, PUPPETEER_START

from threatbrief.model import Citation, FuzzyDate, Incident, Registry, Source
from threatbrief.project import Project
from threatbrief.publish.overview import UNATTRIBUTED, overview, overview_charts, overview_html, overview_tlp
from threatbrief.publish.render import environment

OPEN = "open/report.txt"
AMBER = "partner/cable.txt"
BUILT_ON = "2026-11-23"


def _source(path: str, tlp: str | None) -> Source:
    return Source(path=path, title=f"Title of {path}", publisher="Desk", author=None, published="2024-07-01",
                  language="en", kind="news", url=None, reliability="B", rationale="test", sha256="0" * 64,
                  mark=(1, 1), tlp=tlp)


REGISTRY = Registry("sources/sources.yaml", {OPEN: _source(OPEN, None), AMBER: _source(AMBER, "TLP:AMBER")})


def _incident(n: int, day: str, country: str = "Pakistan", kind: str = "attack", killed: int | None = 1,
              wounded: int | None = 2, perpetrator: str | None = "TTP", target: str | None = "business",
              sources: tuple[str, ...] = (OPEN,), province: str | None = "Sindh", **more) -> Incident:
    citations = [Citation(k + 1, path, "a quote long enough", None, None, None, ("incidents", n, "citations", k),
                          (1, 1), (1, 1)) for k, path in enumerate(sources)]
    fields = dict(
        id=f"inc-{n:02d}", title=f"Event number {n}", kind=kind, date=FuzzyDate.parse(day), date_note=None,
        country=country, province=province, district=None, place=None, attack_type="shooting" if kind == "attack" else None,
        target_type=target, target_nationality="Chinese", perpetrator=perpetrator, claimed="unknown", claim_note=None,
        killed=killed, wounded=wounded, summary=None, citations=citations, file="incidents/test.yaml",
        yaml_path=("incidents", n))
    fields.update(more)
    return Incident(**fields)


# 12 attacks in 2 countries over Jan–Jun 2024 (one year-only, one undated, one killed unknown), one threat.
INCIDENTS = [
    _incident(1, "2024-01-05", perpetrator="BLA", claimed=True, claim_note="statement on Telegram"),
    _incident(2, "2024-01-20", country="Afghanistan", province="Kabul", perpetrator="ISKP", killed=3),
    _incident(3, "2024-02-11", sources=(OPEN, AMBER), perpetrator="BLA", claimed=True),
    _incident(4, "2024-02-28", country="Afghanistan", province="Takhar", killed=None, wounded=4, perpetrator=None),
    _incident(5, "2024-03-03", target="diplomatic", killed=0),
    _incident(6, "2024-03-26", perpetrator="BLA", wounded=None),
    _incident(7, "2024-04-09", country="Afghanistan", province=None, perpetrator=None),
    _incident(8, "2024-04-30"),
    _incident(9, "2024-05-15", perpetrator="BLA", target=None),
    _incident(10, "2024-06-02", country="Afghanistan", province="Kabul", perpetrator="ISKP", killed=5, wounded=0),
    _incident(11, "2024", perpetrator="BLA"),  # year only: in no month
    _incident(12, "unknown", country="Afghanistan", province="Kabul", perpetrator=None),  # undated
    _incident(13, "2024-05", kind="threat", killed=None, wounded=None, perpetrator="ISKP"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list, str]:
    root = tmp_path_factory.mktemp("overview")
    charts = overview_charts(INCIDENTS)
    html = overview_html(environment(Project.at(root)), INCIDENTS, REGISTRY, charts, BUILT_ON)
    return root, charts, html


@pytest.fixture(scope="module")
def pdf_pages(built: tuple[Path, list, str]) -> list[str]:
    import pypdfium2

    from threatbrief.publish.pdf import render_pdf

    root, _, html = built
    pdf, refused = render_pdf(html, root, BUILT_ON)
    assert refused == []
    (root / "overview.pdf").write_bytes(pdf)
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_bounded() for page in document]
    finally:
        document.close()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _table_body(html: str) -> str:
    start = html.index('<table class="incidents tbl overview-incidents"')
    return html[start:html.index("</table>", start)]


def test_tlp_is_the_strictest_of_the_cited_sources() -> None:
    assert overview_tlp(INCIDENTS, REGISTRY) == "TLP:AMBER"
    assert overview_tlp([i for i in INCIDENTS if AMBER not in {c.source for c in i.citations}], REGISTRY) == "TLP:CLEAR"
    assert overview_tlp([], REGISTRY) == "TLP:CLEAR"
    unregistered = _incident(99, "2024", sources=("not/registered.txt",))
    assert overview_tlp([unregistered], REGISTRY) == "TLP:CLEAR"


def test_key_figures(built: tuple[Path, list, str]) -> None:
    _, charts, html = built
    o = overview(INCIDENTS, REGISTRY, charts, BUILT_ON)
    assert (o.incidents, o.attacks, o.others) == (13, 12, (("threat", 1),))
    assert (o.first, o.last) == ("5 Jan 2024", "2 Jun 2024") and [i.id for i in o.coarse] == ["inc-11"]
    assert [i.id for i in o.undated] == ["inc-12"]
    assert o.countries == (("Pakistan", 8, 7), ("Afghanistan", 5, 5))
    assert (o.killed.total, o.killed.known, o.killed.unknown, o.killed.text) == (16, 11, 1, "≥ 16")
    assert (o.wounded.total, o.wounded.unknown, o.wounded.text) == (22, 1, "≥ 22")
    assert o.perpetrators == (("BLA", 5),) and o.unattributed == 3
    assert o.target_types == (("business", 10),) and o.untyped == 1
    text = _text(html)
    assert re.search(r'id="fig-attacks">12<', html) and re.search(r'id="fig-others">1<', html)
    assert "1 threat; not counted as attacks" in text
    assert "5 Jan 2024 – 2 Jun 2024 11 incidents dated to the day or month; 1 more dated only roughly: 2024" in text
    assert "1 incident with no known date, listed last in the table: Event number 12 (inc-12)" in text
    assert "Pakistan: 8 incidents, 7 attacks; Afghanistan: 5 incidents" in text
    assert "≥ 16 at least: 11 attacks with a figure; 1 has none (unknown, not zero)" in text
    assert "BLA 5 attacks; 3 attacks unattributed" in text
    assert "13 incidents, 12 of them attacks, 5 Jan 2024 to 2 Jun 2024. Targets’ nationality: Chinese (12 attacks)." in text
    assert "TLP:AMBER — Limited disclosure" in text


def test_every_incident_is_in_the_table_once_in_date_order(built: tuple[Path, list, str]) -> None:
    _, _, html = built
    table = _table_body(html)
    ids = re.findall(r'<tr id="incident-([^"]+)"', table)
    # by the first day a date could be: "2024" first, "2024-05" before 15 May 2024, undated last
    assert ids == [f"inc-{n:02d}" for n in (11, 1, 2, 3, 4, 5, 6, 7, 8, 13, 9, 10, 12)]
    for incident in INCIDENTS:
        assert table.count(f'<span class="token">{incident.id}</span>') == 1
    undated = table[table.index('id="incident-inc-12"'):]
    assert '<span class="unknown">date unknown</span>' in undated[:undated.index("</tr>")]
    row = table[table.index('id="incident-inc-04"'):]
    row = row[:row.index("</tr>")]
    assert '<span class="unknown">unknown</span>' in row and 'data-kind="attack"' in html
    three = table[table.index('id="incident-inc-03"'):]
    assert '<td class="num" data-key="2">2</td>' in three[:three.index("</tr>")]  # two distinct sources
    assert 'aria-sort="ascending">Date</th>' in table and table.count('scope="col"') == 10
    assert table.count('<th scope="row"') == 13


def test_the_perpetrator_chart_and_its_data_table(built: tuple[Path, list, str]) -> None:
    _, charts, html = built
    slugs = [c.slug for c in charts]
    assert slugs == ["attack-frequency", "timeline", "places", "targets", "perpetrators", "casualties"]
    chart = charts[slugs.index("perpetrators")]
    assert chart.svg and chart.table.rows[0] == "BLA" and UNATTRIBUTED in chart.table.rows
    assert chart.table.columns == ["claimed", "claim unknown"]
    assert chart.table.count("BLA", "claimed") == 2 and chart.table.row_total(UNATTRIBUTED) == 3
    figure = html[html.index('id="chart-perpetrators"'):]
    figure = figure[:figure.index("</figure>")]
    assert '<img src="data:image/svg+xml;base64,' in figure
    assert "<caption>Data: attacks by perpetrator</caption>" in figure
    assert '<tr><th scope="row">BLA</th><td class="num">2</td><td class="num">3</td><td class="num">5</td></tr>' in figure
    assert "3 with no perpetrator named under “unattributed”" in figure
    frequency = charts[0]
    assert frequency.table.row_title == "Month" and frequency.table.rows[0] == "Jan 2024"


def test_many_perpetrators_are_capped_and_unattributed_stays_apart() -> None:
    from threatbrief.publish.charts import ROWS_MAX
    from threatbrief.publish.overview import perpetrators_table

    many = [_incident(n, "2024-01-05", perpetrator=f"Group {n:02d}") for n in range(20)]
    many += [_incident(20 + n, "2024-01-05", perpetrator=None) for n in range(2)]
    table = perpetrators_table(many)
    assert len(table.rows) == ROWS_MAX and UNATTRIBUTED in table.rows and table.total == 22
    assert table.rows[-1] == table.merged[0] and table.merged[0].startswith("others (")


def test_an_empty_dataset_still_makes_a_page(tmp_path: Path) -> None:
    page = overview_html(environment(Project.at(tmp_path)), [], REGISTRY, overview_charts([]), BUILT_ON)
    text = _text(page)
    assert "0 incidents." in text and "TLP:CLEAR — Disclosure is not limited." in text and "none known" in text


def test_the_page_is_self_contained_with_an_inline_script(built: tuple[Path, list, str]) -> None:
    _, _, html = built
    assert html.count("<script") == 1 and "<script>" in html and " src=" not in html.replace('<img src="data:', "")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", html)
    assert "<link" not in html and "@import" not in html and not re.search(r"""url\(\s*(?!['"]?data:)""", html)
    assert re.search(r'<form class="filter" id="filter-form" role="search" hidden>', html)  # shown by the script
    assert '<label for="filter">' in html and '<label for="filter-kind">' in html and '<label for="filter-country">' in html


def test_author_text_is_escaped(tmp_path: Path) -> None:
    hostile = _incident(1, "2024-01-05", perpetrator="<script>alert(1)</script>", title="<img src=x onerror=alert(1)>")
    page = overview_html(environment(Project.at(tmp_path)), [hostile], REGISTRY, [], BUILT_ON)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_every_pdf_page_carries_the_tlp(pdf_pages: list[str]) -> None:
    assert len(pdf_pages) >= 3
    for number, text in enumerate(pdf_pages, 1):
        assert "TLP:AMBER" in text, number


def test_the_pdf_holds_the_charts_data_and_every_incident(pdf_pages: list[str]) -> None:
    flat = re.sub(r"\s+", " ", " ".join(pdf_pages))
    assert "Data: attacks by perpetrator" in flat and "Data: attacks per month by target type" in flat
    assert re.search(r"BLA 2 3 5", flat)  # the perpetrator table's row: claimed, claim unknown, total
    assert re.search(r"Mar 2024 1 1 0 2", flat)  # attacks per month: business, diplomatic, unspecified, total
    for incident in INCIDENTS:
        assert incident.id in flat
    assert "date unknown" in flat


TABLE_CHECK = PUPPETEER_START + r"""
    page.on("request", (r) => {  // the charts' data: URIs are the page's own
      if (r.url() !== "file://" + process.argv[2] && !r.url().startsWith("data:")) { fetched.push(r.url()); } });
    await page.goto("file://" + process.argv[2], { waitUntil: "load" });
    const shown = () => page.evaluate(() => [...document.querySelectorAll("#incident-table tbody tr")]
      .filter((r) => r.offsetParent !== null).map((r) => r.id.replace("incident-", "")));
    const sorted = () => page.evaluate(() => [...document.querySelectorAll("#incident-table thead th")]
      .filter((th) => th.hasAttribute("aria-sort")).map((th) => th.textContent.trim() + ":" + th.getAttribute("aria-sort")));
    const state = { fetched, form: await page.evaluate(() => !document.getElementById("filter-form").hidden),
                    all: await shown(), sorted: await sorted() };
    if (js) {
      const click = async (n) => { await page.evaluate((n) => document.querySelectorAll("#incident-table thead th")[n]
        .querySelector("button").click(), n); return { rows: await shown(), sorted: await sorted() }; };
      state.killed = await click(6);
      state.killedDown = await click(6);
      state.date = await click(1);
      const filter = async (q, kind, country) => {
        await page.evaluate((q, kind, country) => {
          const input = document.getElementById("filter");
          input.value = q; input.dispatchEvent(new Event("input"));
          for (const [id, v] of [["filter-kind", kind], ["filter-country", country]]) {
            const el = document.getElementById(id); el.value = v; el.dispatchEvent(new Event("change"));
          }
        }, q, kind, country);
        return { rows: await shown(), count: await page.evaluate(() => document.getElementById("filter-count").textContent),
                 none: await page.evaluate(() => !document.getElementById("filter-none").hidden) };
      };
      state.kabul = await filter("kabul iskp", "", "");
      state.threat = await filter("", "threat", "");
      state.afghanistan = await filter("", "attack", "Afghanistan");
      state.nothing = await filter("no such thing", "", "");
      state.cleared = await filter("", "", "");
      await page.evaluate(fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8"));
      const report = await page.evaluate(async () => await axe.run(document, { runOnly: { type: "tag",
        values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } }));
      state.axe = report.violations.map((v) => v.id + ": " + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "));
    }
""" + PUPPETEER_END


@pytest.mark.browser
def test_the_table_sorts_and_filters_in_a_browser_and_is_complete_without_scripts(
        built: tuple[Path, list, str], tmp_path: Path) -> None:
    if not BROWSER or not shutil.which("node") or not (NODE_MODULES / "puppeteer-core").is_dir() \
            or not (NODE_MODULES / "axe-core").is_dir():
        pytest.skip("needs Chromium, node, puppeteer-core and axe-core (make test-browser installs them)")
    page = tmp_path / "overview.html"
    page.write_text(built[2], encoding="utf-8")
    script = tmp_path / "table_check.cjs"
    script.write_text(TABLE_CHECK, encoding="utf-8")
    run = subprocess.run(["node", str(script), str(page)], capture_output=True, text=True, timeout=180,
                         env={**os.environ, "NODE_PATH": str(NODE_MODULES), "CHROMIUM": BROWSER})
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    in_date_order = [f"inc-{n:02d}" for n in (11, 1, 2, 3, 4, 5, 6, 7, 8, 13, 9, 10, 12)]
    nojs, js = result["nojs"], result["js"]
    assert not nojs["form"] and nojs["all"] == in_date_order and nojs["sorted"] == ["Date:ascending"]
    assert js["form"] and js["all"] == in_date_order and js["fetched"] == [] and nojs["fetched"] == []
    # Killed: 0 (inc-05), then the 1s in date order, 3, 5; unknown last whichever the direction
    assert js["killed"]["rows"][:2] == ["inc-05", "inc-11"] and js["killed"]["rows"][-3:] == ["inc-10", "inc-04", "inc-13"]
    assert js["killed"]["sorted"] == ["Killed:ascending"]
    assert js["killedDown"]["rows"][:2] == ["inc-10", "inc-02"] and js["killedDown"]["rows"][-2:] == ["inc-04", "inc-13"]
    assert js["killedDown"]["sorted"] == ["Killed:descending"]
    assert js["date"]["rows"] == in_date_order and js["date"]["sorted"] == ["Date:ascending"]
    assert js["kabul"]["rows"] == ["inc-02", "inc-10"] and js["kabul"]["count"] == "2 of 13 shown"
    assert js["threat"]["rows"] == ["inc-13"]
    assert js["afghanistan"]["rows"] == ["inc-02", "inc-04", "inc-07", "inc-10", "inc-12"]
    assert js["nothing"]["rows"] == [] and js["nothing"]["none"]
    assert js["cleared"]["rows"] == in_date_order and js["cleared"]["count"] == "" and not js["cleared"]["none"]
    assert js["axe"] == []
