"""End to end: HTML and PDF written, self-contained, sanitized; errors write nothing."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import ROOTS, edit
from pypdf import PdfReader

from threatbrief.pipeline import build
from threatbrief.project import Project


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The basic project, built once for the module (a PDF costs about a second)."""
    root = tmp_path_factory.mktemp("built") / "basic"
    shutil.copytree(ROOTS / "basic", root, ignore=shutil.ignore_patterns("reports"))
    path = root / "assessments" / "border.yaml"
    edit(path, "One worker was killed and four were wounded [@toll].",
         "One worker was killed and four were wounded [@toll].\n\n      "
         "<script>alert(1)</script><b onmouseover=\"alert(2)\">hover</b>"
         "<iframe></iframe><style>@import url(evil.example)</style>\n\n      "
         "**bold** text")  # links and images are check errors now (M001): see test_security.py
    result = build(Project.at(root))
    assert result.check.ok, result.check.diagnostics
    return root


def test_outputs_are_written(built: Path) -> None:
    names = sorted(p.name for p in (built / "reports").iterdir() if not p.name.startswith("."))
    assert names == ["border.html", "border.pdf", "index.html"]


def test_pdf_parses_with_title_metadata_quote_and_tlp(built: Path) -> None:
    reader = PdfReader(built / "reports" / "border.pdf")
    assert reader.metadata.title == "Border attack on Chinese workers"
    assert reader.metadata.author == "Test desk"
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 3
    text = " ".join(" ".join(pages).split())
    assert "Officials said one worker was killed and four were wounded." in text
    assert all("TLP:AMBER" in page for page in pages)
    assert re.search(r"Page 1 of \d+", pages[0])
    assert "/etc/passwd" not in text and "root:x:0:0" not in text
    assert not any("/EmbeddedFiles" in str(reader.trailer["/Root"]) for _ in [0])


def test_html_is_self_contained(built: Path) -> None:
    html = (built / "reports" / "border.html").read_text(encoding="utf-8")
    # Nothing that a browser would fetch: no src/href to another origin, no stylesheet links.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", html)
    assert "<link" not in html and "@import" not in html
    assert not re.search(r"""url\(\s*(?!['"]?data:)""", html)  # CSS may only use inline data
    assert not re.search(r"<(script|iframe|object|embed|video|audio|source)\b", html)
    assert re.findall(r'<img src="data:image/svg\+xml;base64,', html)


def test_markdown_is_sanitized(built: Path) -> None:
    html = (built / "reports" / "border.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<iframe" not in html and "onmouseover" not in html
    assert "javascript:" not in html
    assert "evil.example" not in html
    assert "<strong>bold</strong>" in html


def test_citation_markers_link_to_highlighted_passages(built: Path) -> None:
    html = (built / "reports" / "border.html").read_text(encoding="utf-8")
    ref = re.search(r'One worker was killed and four were wounded\u2060<sup class="cite">\[<a href="#cite-(\d+)"', html)
    assert ref, "marker [@toll] was not turned into a link"
    entry = re.search(rf'<li>(?:(?!</li>).)*?<a id="cite-{ref.group(1)}".*?</li>', html, re.S)
    assert entry and "<mark>Officials said one worker was killed and four were wounded.</mark>" in entry.group(0)


def test_charts_have_alt_text_and_a_data_table(built: Path) -> None:
    html = (built / "reports" / "border.html").read_text(encoding="utf-8")
    alts = re.findall(r'<img src="data:image/svg\+xml[^"]*" alt="([^"]+)"', html)
    assert len(alts) == 4
    assert sum("1 attack in all" in alt for alt in alts) == 3
    assert any("5 people in all. 2024: 5 (1 killed, 4 wounded)" in alt for alt in alts)
    assert html.count('<table class="chart-data">') == 4


def test_index_lists_every_briefing(built: Path) -> None:
    index = (built / "reports" / "index.html").read_text(encoding="utf-8")
    assert 'href="border.html"' in index and 'href="border.pdf"' in index and "TLP:AMBER" in index


def test_errors_stop_the_build_and_keep_previous_reports(built: Path, tmp_path: Path) -> None:
    root = tmp_path / "again"
    shutil.copytree(built, root)
    before = {p.name: p.read_bytes() for p in (root / "reports").iterdir()}
    edit(root / "assessments" / "border.yaml", "four were wounded.\"", "five were wounded.\"")
    result = build(Project.at(root))
    assert not result.check.ok and result.written == []
    after = {p.name: p.read_bytes() for p in (root / "reports").iterdir()}
    assert after == before


def test_judgment_on_weak_sources_is_flagged_in_the_briefing(built: Path, tmp_path: Path) -> None:
    assert "rests only on sources graded D–F" not in (built / "reports" / "border.html").read_text(encoding="utf-8")
    root = tmp_path / "weak"
    shutil.copytree(built, root)
    edit(root / "sources" / "sources.yaml", "reliability: B", "reliability: E")
    result = build(Project.at(root), formats=("html",))
    assert result.check.ok and [d.code for d in result.check.diagnostics] == ["K002"]
    html = (root / "reports" / "border.html").read_text(encoding="utf-8")
    assert html.count("rests only on sources graded D–F") == 1


def test_shipped_briefings_show_likelihood_band_confidence_and_grades(tmp_path: Path) -> None:
    from conftest import REPO

    from threatbrief.tradecraft import likelihood_label

    root = tmp_path / "shipped"
    for part in ("assessments", "incidents", "sources"):
        shutil.copytree(REPO / part, root / part)
    result = build(Project.at(root), formats=("html",))
    assert result.check.ok
    for checked in result.check.assessments:
        a = checked.assessment
        html = (root / "reports" / f"{a.name}.html").read_text(encoding="utf-8")
        for kj in a.key_judgments:
            assert f'<span class="likelihood">{likelihood_label(kj.likelihood)}</span>' in html
            assert f'<span class="confidence">{kj.confidence} confidence</span>' in html
        grades = re.findall(r'<td class="grade"><abbr title="[^"]+">([A-F])</abbr>', html)
        assert len(grades) == len(a.cited_sources())
        assert '<div class="tlp-running" aria-hidden="true" style="color: ' in html


def test_every_endnote_link_has_a_target_and_links_back(built: Path) -> None:
    html = (built / "reports" / "border.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'id="([^"]+)"', html))
    targets = set(re.findall(r'href="#([^"]+)"', html))
    assert targets <= ids, targets - ids
    notes = re.findall(r'<a id="cite-(\d+)" href="#ref-\1" role="doc-backlink"', html)
    assert notes and all(f'href="#ref-{n}"' in html and f'id="ref-{n}"' in html for n in notes)


def test_pdf_outline_follows_the_headings(built: Path) -> None:
    reader = PdfReader(built / "reports" / "border.pdf")

    def titles(items) -> list[str]:
        out = []
        for item in items:
            out.extend(titles(item) if isinstance(item, list) else [item.title])
        return out

    outline = titles(reader.outline)
    for heading in ("Border attack on Chinese workers", "Key judgments", "Summary", "What happened", "Incidents",
                    "Charts", "Assessment of sources", "Appendix: cited passages"):
        assert heading in outline, outline
    assert reader.metadata.subject == "A test assessment."
    assert reader.metadata["/CreationDate"].startswith("D:20241201")


def test_two_clean_builds_are_byte_identical(built: Path, tmp_path: Path) -> None:
    again = tmp_path / "elsewhere" / "basic"
    shutil.copytree(built, again, ignore=shutil.ignore_patterns("reports"))
    result = build(Project.at(again))
    assert result.check.ok
    for name in ("border.html", "border.pdf", "index.html"):
        assert (again / "reports" / name).read_bytes() == (built / "reports" / name).read_bytes(), name


def test_project_templates_and_logo_take_precedence(built: Path, tmp_path: Path) -> None:
    root = tmp_path / "themed"
    shutil.copytree(built, root, ignore=shutil.ignore_patterns("reports"))
    (root / "templates").mkdir()
    (root / "templates" / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', encoding="utf-8")
    (root / "templates" / "index.html.j2").write_text("<html lang=en><title>Ours</title>{{ assessments | length }}</html>", encoding="utf-8")
    assert build(Project.at(root), formats=("html",)).check.ok
    assert (root / "reports" / "index.html").read_text(encoding="utf-8") == "<html lang=en><title>Ours</title>1</html>"
    assert '<img class="logo" src="data:image/svg+xml;base64,' in (root / "reports" / "border.html").read_text(encoding="utf-8")
