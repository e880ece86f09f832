"""Real sources: a saved web page, a PDF report, a Chinese notice and a Pashto report, each
registered with `add-source`, cited, checked (hits and misses) and built into a PDF briefing whose
text holds every quote in its own script."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import edit

from threatbrief.cli import main
from threatbrief.pipeline import build, check
from threatbrief.project import Project
from threatbrief.sources.extract import Extractor

ARTICLE = [
    "Gunmen opened fire on a vehicle carrying Chinese engineers near the Dasht-e-Qala bridge on Tuesday evening, "
    "provincial officials said.",
    "Police spokesman Abdul Rahman said two engineers were wounded and their Afghan driver was killed in the attack.",
    "Islamic State Khorasan Province claimed responsibility in a statement on its Amaq channel the next morning.",
    "The engineers work for a company building a road between Taloqan and the Tajik border, the officials added.",
]

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Chinese engineers attacked in Takhar - Frontier Daily</title>
<meta name="author" content="Sara Ahmadi">
<meta property="article:published_time" content="2024-03-12T08:30:00Z">
<meta property="og:site_name" content="Frontier Daily">
<link rel="canonical" href="https://frontier-daily.example/2024/03/takhar-engineers">
</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li><li><a href="/sport">Sport</a></li>
<li><a href="/opinion">Opinion</a></li></ul></nav></header>
<div class="layout">
<main><article>
<h1>Chinese engineers attacked in Takhar</h1>
<p class="byline">By Sara Ahmadi, 12 March 2024</p>
{paragraphs}
</article>
<section class="comments"><h2>Comments</h2>
<div class="comment"><p>Reader99: Everyone knows the Taliban staged the whole attack on the engineers themselves.</p></div>
<div class="comment"><p>Observer: This road will never be finished, mark my words.</p></div>
</section></main>
<aside class="sidebar"><h2>Most read</h2><ol>
<li><a href="/a">Three Chinese miners kidnapped in Badakhshan province overnight</a></li>
<li><a href="/b">Currency falls again as markets react</a></li>
<li><a href="/c">Floods cut the Salang highway for a week</a></li></ol></aside>
</div>
<footer><p>Copyright 2024 Frontier Daily. All rights reserved.</p><p>Contact | Privacy | Advertise</p></footer>
</body></html>
"""

REPORT_PAGES = [
    ["Security situation in northern Afghanistan", "This report reviews attacks on foreign nationals in the northern "
     "provinces between January and March 2024, drawing on provincial police statements and local media."],
    ["Takhar province", "In Takhar province, an attack on a vehicle carrying Chinese engineers on 12 March 2024 "
     "wounded two engineers and killed their driver. The attack took place near the Dasht-e-Qala bridge, on a road "
     "under construction towards the Tajik border. Responsibility was claimed by the Islamic State Khorasan Province "
     "through its Amaq channel."],
    ["Outlook", "Further attacks on Chinese nationals in the northern provinces remain likely while construction "
     "continues, particularly on roads leading towards the Tajik border."],
]

CHINESE = ("中国驻阿富汗使馆提醒在阿中国公民注意安全。近期阿富汗北部安全形势复杂，塔哈尔省发生针对外国公民的袭击事件，"
           "造成２名中国公民受伤。使馆提醒在阿中国公民和机构密切关注当地安全形势，加强安全防范，避免前往偏远地区。")
PASHTO = ("د تخار ولایت کې پر چینایي انجنیرانو برید وشو. په دې برید کې دوه چینایي انجنیران ټپیان شول او "
          "افغان موټر چلوونکی یې ووژل شو. د داعش خراسان ډلې د دې برید مسؤلیت ومانه.")

ASSESSMENT = """\
title: "Attacks on Chinese engineers in Takhar"
date: 2024-04-01
tlp: "TLP:CLEAR"
authors: ["Test desk"]
scope: "Northern Afghanistan, Q1 2024."
key_judgments:
  - text: "Further attacks on Chinese nationals in northern Afghanistan are likely."
    likelihood: likely
    confidence: moderate
    citations:
      - source: takhar-engineers.html
        quote: "Islamic State Khorasan Province claimed responsibility in a statement on its Amaq channel"
      - source: north-report.pdf
        quote: "Further attacks on Chinese nationals in the northern provinces remain likely while construction continues"
summary: |
  Gunmen attacked Chinese engineers in Takhar [@web]; the embassy warned its citizens [@zh].
sections:
  - title: "Local reporting"
    body: |
      Pashto-language media reported the attack [@ps].
    citations:
      - id: web
        source: takhar-engineers.html
        quote: "Gunmen opened fire on a vehicle carrying Chinese engineers"
      - id: zh
        source: embassy-notice.html
        quote: "塔哈尔省发生针对外国公民的袭击事件, 造成2名中国公民受伤"
        translation: "an attack on foreign citizens took place in Takhar province, injuring two Chinese citizens"
      - id: ps
        source: pashto-report.pdf
        quote: "په دې برید کې دوه چینايي انجنیران ټپیان شول"
        translation: "two Chinese engineers were wounded in this attack"
incidents:
  - id: takhar-engineers
    title: "Engineers' vehicle attacked near Dasht-e-Qala"
    kind: attack
    date: "2024-03-12"
    country: Afghanistan
    province: Takhar
    perpetrator: Islamic State Khorasan Province
    claimed: true
    wounded: 2
    citations:
      - source: north-report.pdf
        quote: "In Takhar province, an attack on a vehicle carrying Chinese engineers on 12 March 2024 wounded two engineers and killed their driver"
      - source: north-report.pdf
        quote: "Responsibility was claimed by the Islamic State Khorasan Province"
"""


def _pdf(body: str, lang: str = "en", font: str = "DejaVu Sans", running: bool = True) -> bytes:
    """A PDF made by WeasyPrint: A5 pages with a running header and page numbers, hyphenated."""
    from weasyprint import HTML

    margins = "@top-center { content: 'Northern Review'; } @bottom-center { content: 'Page ' counter(page); }"
    css = (f"@page {{ size: A5; margin: 2cm 1.5cm; {margins if running else ''} }} body {{ font-family: '{font}'; }} "
           "section { break-after: page; } p { hyphens: auto; }")
    return HTML(string=f"<html lang='{lang}'><head><style>{css}</style></head><body>{body}</body></html>").write_pdf()


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four documents, as an analyst saved them (outside the project)."""
    folder = tmp_path_factory.mktemp("downloads")
    (folder / "takhar-engineers.html").write_text(
        PAGE.format(paragraphs="\n".join(f"<p>{p}</p>" for p in ARTICLE)), encoding="utf-8")
    (folder / "embassy-notice.html").write_text(
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>提醒在阿中国公民注意安全</title></head>"
        "<body><nav><a href='/'>首页</a> <a href='/news'>使馆新闻</a></nav><article><h1>提醒在阿中国公民注意安全</h1>"
        f"<p>{CHINESE[:60]}\n{CHINESE[60:]}</p></article><footer>中华人民共和国驻阿富汗伊斯兰共和国大使馆</footer></body></html>",
        encoding="utf-8")
    (folder / "north-report.pdf").write_bytes(_pdf("".join(
        f"<section><h2>{title}</h2><p>{text}</p></section>" for title, text in REPORT_PAGES)))
    (folder / "pashto-report.pdf").write_bytes(_pdf(f"<p dir='rtl'>{PASHTO}</p>", "ps", "Noto Naskh Arabic"))
    return folder


@pytest.fixture(scope="module")
def registered(documents: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A project from `init` with the four documents registered by `add-source`, and what it printed."""
    root = tmp_path_factory.mktemp("desk") / "proj"
    assert main(["init", str(root)]) == 0
    printed = {}
    languages = {"takhar-engineers.html": "en", "embassy-notice.html": "zh-Hans", "north-report.pdf": "en",
                 "pashto-report.pdf": "ps"}
    import contextlib
    import io

    for name, language in languages.items():
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["-C", str(root), "add-source", str(documents / name), "--grade", "B", "--language", language,
                         "--rationale", "test source", "--published", "2024-03-12" if name.endswith(".pdf") else "unknown"])
        assert code == 0, out.getvalue()
        printed[name] = out.getvalue()
    (root / "assessments" / "takhar.yaml").write_text(ASSESSMENT, encoding="utf-8")
    return root, printed


@pytest.fixture
def desk(registered: tuple[Path, dict[str, str]], tmp_path: Path) -> Path:
    """A copy of the registered project to edit."""
    target = tmp_path / "proj"
    shutil.copytree(registered[0], target)
    return target


def _problems(root: Path) -> list[tuple[str, str, str]]:
    return [(d.code, d.message, d.hint) for d in check(Project.at(root)).diagnostics if d.severity == "error"]


def test_add_source_offers_the_page_metadata_and_records_it_as_such(registered: tuple[Path, dict[str, str]]) -> None:
    root, printed = registered
    registry = (root / "sources" / "sources.yaml").read_text(encoding="utf-8")
    assert "title from the file's metadata" in printed["takhar-engineers.html"]
    entry = registry[registry.index('path: "takhar-engineers.html"'):].split("sha256:")[0]
    assert "Chinese engineers attacked in Takhar" in entry
    assert 'author: "Sara Ahmadi"  # from its metadata' in entry
    assert "url: \"https://frontier-daily.example/2024/03/takhar-engineers\"  # from its metadata" in entry
    assert 'published: "2024-03-12"  # from its metadata: check it' in entry
    assert 'publisher: "Frontier Daily"  # from its metadata' in entry
    assert "title taken from its first line: \"Security situation in northern" in printed["north-report.pdf"]
    assert (root / "sources" / "north-report.pdf").is_file()


def test_every_kind_of_source_checks_clean(registered: tuple[Path, dict[str, str]]) -> None:
    result = check(Project.at(registered[0]))
    assert [(d.code, d.message) for d in result.diagnostics if d.severity == "error"] == []
    assert result.verified == 7


def test_an_unchanged_corpus_is_never_extracted_twice(desk: Path) -> None:
    first = check(Project.at(desk))
    again = check(Project.at(desk))
    assert first.ok and again.ok
    assert again.library.cache.extracted == 0  # add-source warmed the cache; check read it
    assert sorted(p.name for p in (desk / ".threatbrief" / "cache" / "extract").iterdir()) == sorted(
        f"{s['sha256']}.json" for s in _registry_entries(desk))
    assert (desk / ".threatbrief" / "cache" / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"


def _registry_entries(root: Path) -> list[dict]:
    import yaml

    return yaml.safe_load((root / "sources" / "sources.yaml").read_text(encoding="utf-8"))["sources"]


def test_a_forged_cache_entry_is_not_trusted(desk: Path) -> None:
    """A cache entry committed by someone else (or edited) cannot make a fabricated quote pass."""
    sha256 = next(s["sha256"] for s in _registry_entries(desk) if s["path"] == "takhar-engineers.html")
    entry = desk / ".threatbrief" / "cache" / "extract" / f"{sha256}.json"
    signature, body = entry.read_bytes().split(b"\n", 1)
    data = json.loads(body)
    data["text"] += "\nThe embassy confirmed that ten engineers were killed."
    entry.write_bytes(signature + b"\n" + json.dumps(data).encode())
    edit(desk / "assessments" / "takhar.yaml", "Gunmen opened fire on a vehicle carrying Chinese engineers",
         "The embassy confirmed that ten engineers were killed.")
    result = check(Project.at(desk))
    assert [d.code for d in result.diagnostics if d.severity == "error"] == ["C001"]
    assert result.library.cache.extracted == 1  # the forged entry was replaced by a real extraction


def test_a_cache_folder_linked_out_of_the_project_is_not_used(desk: Path, tmp_path: Path) -> None:
    import os

    shutil.rmtree(desk / ".threatbrief" / "cache")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, desk / ".threatbrief" / "cache")
    result = check(Project.at(desk))
    assert result.ok and result.library.cache.extracted == 4  # every file extracted, nothing cached
    assert list(elsewhere.iterdir()) == []


def test_an_extractor_upgrade_that_changes_the_text_is_reported(desk: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_version, real_extract = Extractor.version, Extractor.extract

    def upgraded(self: Extractor, data: bytes):
        found = real_extract(self, data)
        return type(found)(found.text + "\nA line the new version finds.", found.pages, found.boilerplate)

    monkeypatch.setattr(Extractor, "version", lambda self: real_version(self) + " (upgraded)")
    monkeypatch.setattr(Extractor, "extract", lambda self, data: upgraded(self, data) if self.kind == "pdf" else real_extract(self, data))
    result = check(Project.at(desk))
    warnings = sorted((d.code, d.message) for d in result.diagnostics if d.code == "S008")
    assert [m.split(" changed")[0] for _, m in warnings] == [
        "the text extracted from sources/north-report.pdf", "the text extracted from sources/pashto-report.pdf"]
    assert "(upgraded)" in warnings[0][1]
    assert not [d for d in check(Project.at(desk)).diagnostics if d.code == "S008"]  # once: the cache holds the new text


def test_a_quote_from_the_boilerplate_is_an_error_that_says_so(desk: Path) -> None:
    yaml_file = desk / "assessments" / "takhar.yaml"
    edit(yaml_file, "quote: \"Gunmen opened fire on a vehicle carrying Chinese engineers\"",
         "quote: \"Three Chinese miners kidnapped in Badakhshan province overnight\"")
    [(code, message, _)] = _problems(desk)
    assert code == "C005"
    assert "navigation, sidebars, comments or footer of sources/takhar-engineers.html" in message
    edit(yaml_file, "Three Chinese miners kidnapped in Badakhshan province overnight",
         "Everyone knows the Taliban staged the whole attack")
    assert [c for c, _, _ in _problems(desk)] == ["C005"]  # a reader's comment is not the reporting either


def test_a_miss_in_a_pdf_names_the_page_of_the_closest_passage(desk: Path) -> None:
    edit(desk / "assessments" / "takhar.yaml", "wounded two engineers and killed their driver",
         "wounded three engineers and killed their driver")
    problems = _problems(desk)
    assert [c for c, _, _ in problems] == ["C001", "F001"]
    assert "at sources/north-report.pdf p. 2:" in problems[0][2]
    assert "quote has 'three' where the source has 'two'" in problems[0][2]


@pytest.mark.parametrize("wrong, right", [
    ("造成2名中国公民受伤", "造成2名中国公民死亡"),  # "injured" -> "killed"  # one character changes what it says
    ("په دې برید کې دوه چینايي انجنیران ټپیان شول", "په دې برید کې درې چینايي انجنیران ټپیان شول"),  # two -> three
])
def test_a_changed_word_in_chinese_or_pashto_is_not_found(desk: Path, wrong: str, right: str) -> None:
    edit(desk / "assessments" / "takhar.yaml", wrong, right)
    [(code, message, hint)] = _problems(desk)
    assert code == "C001" and "closest passage" in hint


def test_a_scanned_pdf_is_refused_with_a_clear_reason(desk: Path, tmp_path: Path, cli) -> None:
    import base64
    import zlib
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 40, 20, 8, 0, 0, 0, 0)) + chunk(
        b"IDAT", zlib.compress(b"".join(b"\x00" + bytes(range(40)) for _ in range(20)))) + chunk(b"IEND", b"")
    uri = "data:image/png;base64," + base64.b64encode(png).decode()
    (tmp_path / "scan.pdf").write_bytes(_pdf(f"<img src='{uri}' style='width: 100%'>", running=False))
    code, out, err = cli("-C", str(desk), "add-source", str(tmp_path / "scan.pdf"), "--language", "en")
    assert code == 1 and "no text layer" in err and "OCR" in err and "nothing was added" in err
    assert not (desk / "sources" / "scan.pdf").exists()


@pytest.fixture(scope="module")
def built(registered: tuple[Path, dict[str, str]]) -> Path:
    root = registered[0]
    result = build(Project.at(root), jobs=1)
    assert result.ok, result.check and result.check.diagnostics
    return root


def test_the_briefing_marks_each_quote_with_its_language_and_direction(built: Path) -> None:
    html = (built / "reports" / "takhar.html").read_text(encoding="utf-8")
    assert re.search(r'<blockquote lang="ps" dir="rtl">[^<]*<mark>په دې برید کې دوه چینایي انجنیران ټپیان شول', html)
    assert re.search(r'<blockquote lang="zh-Hans">', html) and "造成２名中国公民受伤</mark>" in html
    assert "Analyst’s translation:</span> an attack on foreign citizens took place in Takhar" in html
    assert '<span class="line">p. 2' in html and '<span class="line">para. 4' in html  # the headline is para. 1
    assert '<a href="https://frontier-daily.example/2024/03/takhar-engineers">' in html


def test_the_pdf_holds_every_quote_in_its_script_with_no_missing_glyph(built: Path) -> None:
    import pypdfium2

    document = pypdfium2.PdfDocument(str(built / "reports" / "takhar.pdf"))
    try:
        text = "".join(page.get_textpage().get_text_bounded() for page in document)
    finally:
        document.close()
    flat = re.sub(r"\s+", "", text)
    for quote in ("袭击事件，造成２名中国公民受伤", "په دې برید کې دوه چینایي انجنیران ټپیان شول", "injuring two Chinese citizens",
                  "Gunmen opened fire on a vehicle carrying Chinese engineers"):
        assert re.sub(r"\s+", "", quote) in flat, quote
    assert "\ufffd" not in text and "\x00" not in text  # a missing glyph comes back as neither
    fonts = {font.replace("-", "") for page in _pdf_fonts(built / "reports" / "takhar.pdf") for font in page}
    assert any("NotoSansCJK" in f for f in fonts) and any("NotoNaskhArabic" in f for f in fonts)


def _pdf_fonts(path: Path) -> list[set[str]]:
    from pypdf import PdfReader

    pages = []
    for page in PdfReader(path).pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        pages.append({str(f.get_object().get("/BaseFont")) for f in fonts.values()})
    return pages
