"""What the reader sees: tables that survive print, and an index that stays true and scales.

Tables: dates, figures, note numbers and file names never break inside (a source table once
printed "2024-11-2" / "7"); header cells carry their scope, in the HTML and as /Scope in the
PDF's structure tree, so PDF/UA checkers (pdfua, veraPDF) can tell which header a cell belongs to.
Index: any build that changes a briefing refreshes reports/index.html; it lists the built
briefings newest first, grouped by year, with TLP and date, and a filter box that needs nothing
from outside the page (and is hidden when scripts do not run: then everything is listed).
"""

from __future__ import annotations

import html as htmllib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BROWSER, NODE_MODULES, PUPPETEER_END, PUPPETEER_START, add_second_assessment, edit
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from threatbrief.pipeline import build
from threatbrief.project import Project

SHIPPED = ("iskp-afghan-tajik-border", "iskp-chinese-nationals-afghanistan", "iskp-threat-diplomatic-missions-kabul")


# --- Tables ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped_reports(shipped_built: Path) -> Path:
    """The shipped assessments built once per test process (conftest.shipped_built)."""
    return shipped_built / "reports"


def _table(html: str, css_class: str) -> list[str]:
    return re.findall(rf'<table class="{css_class}[^"]*">.*?</table>', html, re.DOTALL)


def test_incident_and_source_tables_mark_their_tokens_and_scopes(shipped_reports: Path) -> None:
    for name in SHIPPED:
        page = (shipped_reports / f"{name}.html").read_text(encoding="utf-8")
        incidents, (sources,) = _table(page, "incidents"), _table(page, "sources")
        assert incidents
        for table in incidents + [sources]:
            assert 'class="incidents tbl"' in table or 'class="sources tbl"' in table
            headers = re.findall(r"<th\b[^>]*>", table)
            assert headers and all(re.search(r'scope="(col|row)"', th) for th in headers), headers
            assert re.findall(r'<tbody>.*<th scope="row"', table, re.DOTALL)  # each row names what it is about
            assert "style=\"width" not in table  # columns are sized to their content
        for table in incidents:
            for cell in re.findall(r'<td class="date">(.*?)</td>', table, re.DOTALL):
                assert "date unknown" in cell or '<span class="token">' in cell, cell
        published = re.findall(r'<td class="token">([^<]*)</td>', sources)
        assert published and all(re.fullmatch(r"\d{4}(-\d\d){0,2}|unknown", p) for p in published), published
        files = re.findall(r'<span class="note token file">(.*?)</span>', sources)
        assert files and all(f.startswith("sources/<wbr>") and "_<wbr>" in f and "<wbr>.txt" in f for f in files), files
        assert 'class="label">Grade rationale:' in sources  # long text in a full-width row, not a narrow column


def _tokens_in_sources_table(page: str) -> list[str]:
    (table,) = _table(page, "sources")
    published = [p for p in re.findall(r'<td class="token">([^<]*)</td>', table) if p != "unknown"]
    files = [re.sub(r"<[^>]+>", "", f) for f in re.findall(r'<span class="note token file">(.*?)</span>', table)]
    notes = re.findall(r'<a href="#cite-\d+">(\[\d+\])</a>', table)
    return [htmllib.unescape(t) for t in published + files + notes]


def test_no_date_file_name_or_note_number_breaks_inside_in_the_printed_tables(shipped_reports: Path) -> None:
    for name in SHIPPED:
        page = (shipped_reports / f"{name}.html").read_text(encoding="utf-8")
        text = "\n".join(p.extract_text() for p in PdfReader(shipped_reports / f"{name}.pdf").pages)
        assert not re.search(r"\d{4}-\d{2}-\d{0,1}\n\d|\d{4}-\d{0,1}\n\d|\[\d*\n\d*\]", text), name
        # A file name may break only at its <wbr>: after '/' or '_', or before its extension.
        joined = re.sub(r"(?<=[/_])\n|\n(?=\.)", "", text)
        for token in _tokens_in_sources_table(page):
            assert token in (joined if token.startswith("sources/") else text), (name, token)
        for date in re.findall(r'<span class="token">([^<]+)</span>', "".join(_table(page, "incidents"))):
            assert htmllib.unescape(date) in text, (name, date)


def _struct_elements(node: object, seen: set[int] | None = None):
    """Every structure element under `node` (a pypdf object), depth first."""
    seen = set() if seen is None else seen
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, ArrayObject):
        for kid in node:
            yield from _struct_elements(kid, seen)
    elif isinstance(node, DictionaryObject) and id(node) not in seen:
        seen.add(id(node))
        if "/S" in node:
            yield node
        if "/K" in node:
            yield from _struct_elements(node["/K"], seen)


def test_every_pdf_header_cell_has_a_scope(shipped_reports: Path) -> None:
    """Checked with pypdf alone (the fallback when pdfua is not installed)."""
    for name in SHIPPED:
        reader = PdfReader(shipped_reports / f"{name}.pdf")
        elements = list(_struct_elements(reader.trailer["/Root"]["/StructTreeRoot"]))
        headers = [e for e in elements if e["/S"] == "/TH"]
        assert len(headers) > 20, name
        scopes = [e["/A"].get_object().get("/Scope") for e in headers]
        assert set(scopes) == {"/Column", "/Row"}, (name, set(scopes))
        rows = [e for e in elements if e["/S"] == "/TR"]
        assert rows and all(e["/A"].get_object()["/O"] == "/Table" for e in headers)


def test_pdfua_finds_nothing_in_the_shipped_briefings(shipped_reports: Path) -> None:
    pytest.importorskip("pdfua", reason="pdfua is in the test extras: pip install -e '.[test]'")
    for name in SHIPPED:
        run = subprocess.run([sys.executable, "-m", "pdfua", "check", "--format", "json", str(shipped_reports / f"{name}.pdf")],
                             capture_output=True, text=True, timeout=120)
        report = json.loads(run.stdout)
        assert report["findings"] == [] and run.returncode == 0, (name, report["findings"])
        assert report["summary"]["rules_run"] >= 10  # the table rule (UA-15-003) among them


def test_briefing_pages_stay_script_free(shipped_reports: Path) -> None:
    for name in SHIPPED:
        assert "<script" not in (shipped_reports / f"{name}.html").read_text(encoding="utf-8")


# --- The index -------------------------------------------------------------------------------


@pytest.fixture
def two(basic: Path) -> Path:
    """The basic project plus a second, dated earlier, that cites report.txt only."""
    return add_second_assessment(basic, "2023-06-01")


def _written(root: Path, names: list[str] | None = None, formats: tuple[str, ...] = ("html",)) -> list[str]:
    result = build(Project.at(root), names, formats)
    assert result.ok, result.check and result.check.diagnostics
    return sorted(p.name for p in result.written)


def _index(root: Path) -> str:
    return (root / "reports" / "index.html").read_text(encoding="utf-8")


def test_building_one_named_briefing_refreshes_the_index(two: Path) -> None:
    assert _written(two) == ["border.html", "index.html", "second.html"]
    edit(two / "assessments" / "second.yaml", "Second look at the border", "A retitled second look")
    assert _written(two, ["second"]) == ["index.html", "second.html"]
    index = _index(two)
    assert "A retitled second look" in index and "Second look at the border" not in index
    assert "Border attack on Chinese workers" in index  # the briefing not named stays listed
    assert build(Project.at(two)).check is None or _written(two) == []  # nothing left stale


def test_a_pdf_only_build_refreshes_the_index_too(two: Path) -> None:
    _written(two)
    edit(two / "assessments" / "border.yaml", 'title: "Border attack on Chinese workers"', 'title: "Convoy attack"')
    assert _written(two, ["border"], ("pdf",)) == ["border.pdf", "index.html"]
    index = _index(two)
    assert ">Convoy attack<" in index and 'href="border.pdf"' in index


def test_what_the_index_does_not_show_does_not_rebuild_it(two: Path) -> None:
    _written(two)
    source = two / "sources" / "sources.yaml"
    edit(source, "reliability: B", "reliability: C")  # both briefings show the grade; the index does not
    assert _written(two, ["second"]) == ["second.html"]
    assert _written(two) == ["border.html"]


def test_the_index_lists_only_what_is_built_and_links_only_built_formats(two: Path) -> None:
    assert _written(two, ["border"]) == ["border.html"]  # a named build refreshes an index, never starts one
    assert _written(two) == ["index.html", "second.html"]
    assert 'href="second.html"' in _index(two) and ".pdf" not in _index(two)  # no PDF built: none linked
    assert _written(two, ["border"], ("pdf",)) == ["border.pdf", "index.html"]
    assert 'href="border.pdf"' in _index(two) and "second.pdf" not in _index(two)
    (two / "assessments" / "third.yaml").write_text(
        (two / "assessments" / "second.yaml").read_text(encoding="utf-8").replace("Second look", "Third look"), encoding="utf-8")
    edit(two / "assessments" / "border.yaml", 'title: "Border attack on Chinese workers"', 'title: "Convoy attack"')
    assert _written(two, ["border"]) == ["border.html", "index.html"]
    assert ">Convoy attack<" in _index(two) and "third.html" not in _index(two)  # third was never built
    assert _written(two) == ["index.html", "third.html"]
    assert 'href="third.html"' in _index(two)


def test_the_index_follows_a_removed_assessment(two: Path) -> None:
    _written(two)
    (two / "assessments" / "second.yaml").unlink()
    assert _written(two) == ["index.html"]
    assert "second.html" not in _index(two)


def test_forged_entries_in_the_index_record_are_not_shown(two: Path) -> None:
    _written(two)
    manifest = two / "reports" / ".threatbrief-manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["targets"]["reports/index.html"]["extra"]["entries"]["border"].update(
        title="<script>alert(1)</script>", tlp="TLP:PURPLE")
    data["targets"]["reports/index.html"]["extra"]["entries"]["javascript:x"] = {"name": "javascript:x"}
    manifest.write_text(json.dumps(data), encoding="utf-8")
    edit(two / "assessments" / "second.yaml", "Second look at the border", "A retitled second look")
    assert _written(two, ["second"]) == ["index.html", "second.html"]
    index = _index(two)
    assert "<script>alert" not in index and "PURPLE" not in index and "javascript:" not in index
    assert "Border attack on Chinese workers" in index and "A retitled second look" in index


def _entries(count: int) -> list[dict]:
    tlps = ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"]
    return [{"name": f"b{i:03d}", "title": f"Briefing {i}", "date": f"{2026 - i % 8}-{1 + i % 12:02d}-{1 + i % 28:02d}",
             "tlp": tlps[i % 5], "authors": [f"Desk {i % 7}"], "formats": ["html", "pdf"],
             "key_judgments": [{"text": f"Judgment {i} on <Kabul> & more", "likelihood": "likely", "confidence": "low"}]}
            for i in range(count)]


def _render_index(tmp_path: Path, entries: list[dict]) -> str:
    from threatbrief.publish.render import environment, index_html

    return index_html(environment(Project.at(tmp_path)), entries)


def test_hundreds_of_briefings_are_grouped_by_year_newest_first(tmp_path: Path) -> None:
    page = _render_index(tmp_path, _entries(300))
    years = re.findall(r'<section class="year" id="year-(\d{4})"', page)
    assert years == [str(y) for y in range(2026, 2018, -1)]
    assert re.findall(r'<li><a href="#year-(\d{4})">', page) == years  # a jump list of the years
    dates = re.findall(r'<time datetime="([\d-]+)">', page)
    assert len(dates) == 300 and dates == sorted(dates, reverse=True)
    for section in re.split(r'<section class="year"', page)[1:]:
        year = re.match(r' id="year-(\d{4})"', section)[1]
        assert all(d.startswith(year) for d in re.findall(r'<time datetime="([\d-]+)">', section))
    assert page.count('<span class="badge"') == 300 and "TLP:AMBER+STRICT" in page
    assert "<details>" in page and "<details open>" not in page  # judgments fold away when there are many
    assert "Judgment 1 on &lt;Kabul&gt; &amp; more" in page


def test_the_index_is_self_contained_and_its_filter_degrades(tmp_path: Path) -> None:
    page = _render_index(tmp_path, _entries(12))
    assert re.search(r'<form class="filter" id="filter-form" role="search" hidden>', page)  # shown by the script only
    assert '<label for="filter">' in page and 'id="filter"' in page
    assert page.count("<script") == 1 and "<script>" in page and " src=" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:|data:)""", page)
    assert set(re.findall(r'href="([^"#]*)', page)) <= {f"b{i:03d}.{f}" for i in range(12) for f in ("html", "pdf")} | {""}
    assert "<link" not in page and "@import" not in page and not re.search(r"""url\(\s*(?!['"]?data:)""", page)
    for selector in (".title", ".authors", ".kj-text"):  # what the filter reads
        assert f'class="{selector[1:]}"' in page


FILTER_CHECK = PUPPETEER_START + r"""
    page.on("request", (r) => { if (r.url() !== "file://" + process.argv[2]) fetched.push(r.url()); });
    await page.goto("file://" + process.argv[2], { waitUntil: "load" });
    const shown = () => page.evaluate(() => [...document.querySelectorAll("article.briefing")]
      .filter((a) => a.offsetParent !== null).map((a) => a.querySelector(".title").textContent));
    const state = { fetched, form: await page.evaluate(() => !document.getElementById("filter-form").hidden),
                    all: await shown() };
    if (js) {
      for (const q of process.argv.slice(3)) {
        await page.$eval("#filter", (el, q) => { el.value = q; el.dispatchEvent(new Event("input")); }, q);
        state[q] = { shown: await shown(), years: await page.evaluate(() => [...document.querySelectorAll("section.year")]
          .filter((s) => !s.hidden).map((s) => s.id)) };
      }
    }
""" + PUPPETEER_END


@pytest.mark.browser
def test_the_filter_matches_title_authors_and_judgments_in_a_browser(tmp_path: Path) -> None:
    if not BROWSER or not shutil.which("node") or not (NODE_MODULES / "puppeteer-core").is_dir():
        pytest.skip("needs Chromium, node and puppeteer-core (make test-browser installs it)")
    entries = _entries(30)
    entries[3]["authors"] = ["Ana Ortiz"]
    entries[17]["key_judgments"][0]["text"] = "ISKP will likely target the SERENA hotel."
    page = tmp_path / "index.html"
    page.write_text(_render_index(tmp_path, entries), encoding="utf-8")
    script = tmp_path / "filter_check.cjs"
    script.write_text(FILTER_CHECK, encoding="utf-8")
    run = subprocess.run(["node", str(script), str(page), "briefing 17", "ORTIZ", "serena hotel", "no such thing", ""],
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "NODE_PATH": str(NODE_MODULES), "CHROMIUM": BROWSER})
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert not result["nojs"]["form"] and len(result["nojs"]["all"]) == 30  # no script: no box, everything listed
    js = result["js"]
    assert js["form"] and js["fetched"] == [] and result["nojs"]["fetched"] == []
    assert js["briefing 17"]["shown"] == ["Briefing 17"]  # every word must match
    assert js["ORTIZ"]["shown"] == ["Briefing 3"]  # authors, case-insensitive
    assert js["serena hotel"]["shown"] == ["Briefing 17"]  # judgment text
    assert js["serena hotel"]["years"] == [f"year-{entries[17]['date'][:4]}"]  # empty years are hidden
    assert js["no such thing"]["shown"] == [] and len(js[""]["shown"]) == 30
