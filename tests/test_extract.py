"""Text extraction from HTML and PDF sources, on pages and PDFs made here (WeasyPrint for PDFs)."""

from __future__ import annotations

import base64
import io
import re
import struct
import subprocess
import sys
import zlib
from importlib.metadata import version

import pytest

from threatbrief.sources.extract import Extracted, NoText, extractor_for

HTML = extractor_for(".html")
PDF = extractor_for(".pdf")


def flat(text: str) -> str:
    return " ".join(text.split())


# --- HTML -------------------------------------------------------------------------------------

ARTICLE = [
    "Armed militants seized a border post in the eastern province early on Monday, according to two "
    "local officials who spoke on condition of anonymity.",
    "The officials said at least 35 attackers took part in the assault, which began shortly before&nbsp;dawn "
    "and lasted several hours before reinforcements arrived.",
    "A spokesman for the interior ministry declined to give casualty figures, citing an ongoing "
    "counter&shy;insurgency operation in the district.",
    "Residents reported heavy gunfire throughout the morning, and several families fled toward the "
    "provincial capital, according to a local aid worker.",
    "The province has seen a sharp rise in attacks since last spring, with analysts pointing to the "
    "group's growing ability to operate across the frontier.",
]
SIDEBAR = "Flood waters recede as capital counts the cost of record rains"
COMMENT = "This is the third such attack this month and nobody seems to care."
FOOTER = "© 2024 The Daily Ledger Media Group. All rights reserved."

NEWS_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Militants seize border post, officials say | The Daily Ledger</title>
<link rel="canonical" href="https://ledger.example.com/world/militants-seize-border-post">
<meta property="og:site_name" content="The Daily Ledger">
<meta name="author" content="Amina Rahimi">
<meta property="article:published_time" content="2024-01-15T08:30:00Z">
<script>window.analytics = {{"page": "article", "tags": ["world", "security"]}};</script>
</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/politics">Politics</a></li><li><a href="/sport">Sport</a></li></ul></nav></header>
<div class="layout"><main><article>
<h1>Militants seize border post, officials say</h1>
<p class="byline">By Amina Rahimi</p>
{"".join(f"<p>{p}</p>" for p in ARTICLE)}
</article>
<section class="comments" id="comments"><h2>Comments</h2>
<div class="comment"><p class="comment-author">reader42</p><p>{COMMENT}</p></div>
<div class="comment"><p class="comment-author">skeptic</p><p>Where are the official casualty numbers?</p></div>
</section></main>
<aside class="sidebar"><h2>Most read</h2><ol><li><a href="/a">{SIDEBAR}</a></li>
<li><a href="/b">Central bank holds rates steady for a fourth month</a></li></ol></aside></div>
<footer><p>{FOOTER}</p><p><a href="/privacy">Privacy policy</a></p></footer>
</body></html>""".encode()


def plain(paragraph: str) -> str:
    """A paragraph as trafilatura gives it: nbsp made a space, soft hyphens dropped."""
    return paragraph.replace("&nbsp;", " ").replace("&shy;", "")


def test_html_article_apart_from_boilerplate() -> None:
    result = HTML.extract(NEWS_PAGE)
    positions = [result.text.find(plain(p)) for p in ARTICLE]
    assert -1 not in positions and positions == sorted(positions), result.text
    assert result.pages == () and "\r" not in result.text
    for other in (SIDEBAR, COMMENT, FOOTER, "Politics"):
        assert other not in result.text
        assert other in result.boilerplate
    assert ARTICLE[0] in result.boilerplate  # all visible text, the article's too


def test_html_metadata() -> None:
    assert HTML.metadata(NEWS_PAGE) == {
        "title": "Militants seize border post, officials say",
        "author": "Amina Rahimi",
        "published": "2024-01-15",
        "url": "https://ledger.example.com/world/militants-seize-border-post",
        "sitename": "The Daily Ledger",
    }


def test_html_metadata_offers_no_date_guessed_from_text() -> None:
    page = ("<html><head><title>Raid on 12 March 2023 kills five</title></head><body><article>"
            "<h1>Raid on 12 March 2023 kills five</h1><p>Posted 14 March 2023. "
            + "Security forces raided a compound in the north of the district. " * 5
            + "</p></article></body></html>").encode()
    assert "published" not in HTML.metadata(page)
    assert HTML.metadata(b"") == {} and HTML.metadata(b"\x00\xff" * 50) == {}


ZH = ["中国外交部发言人表示，双方将继续加强在反恐领域的合作。这一声明（全文见附件）发布于２０２４年１月。",
      "据报道，边境地区发生了三起袭击事件，造成至少１２人死亡。当地官员称，调查仍在进行中。",
      "分析人士认为，该组织的活动范围正在扩大，对地区安全构成严重威胁。"]
PS = ["د افغانستان په شمال کې په ۱۴۰۲ کال کې ۳۵ پیښې ثبت شوې، چې په کې لږ تر لږه ۱۲ کسان ووژل شول.",
      "دا راپور د ملګرو ملتونو له خوا خپور شو او په کې د ولایتونو د امنیتي وضعې په اړه معلومات شته.",
      "سیمه ییزو چارواکو ویلي چې د پیښو په اړه څېړنې روانې دي او پایلې به یې ژر اعلان شي."]


@pytest.mark.parametrize("lang, direction, paragraphs, encoding", [
    ("zh", "ltr", ZH, "utf-8"), ("zh", "ltr", ZH, "gb18030"), ("ps", "rtl", PS, "utf-8")])
def test_html_other_scripts(lang: str, direction: str, paragraphs: list[str], encoding: str) -> None:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    page = (f'<html lang="{lang}" dir="{direction}"><head><meta charset="{encoding}"><title>{paragraphs[0][:10]}'
            f"</title></head><body><nav><a href='/'>⌂</a></nav><article><h1>{paragraphs[0][:12]}</h1>{body}"
            "</article></body></html>").encode(encoding)
    text = HTML.extract(page).text
    for paragraph in paragraphs:
        assert paragraph in text


@pytest.mark.parametrize("data", [b"", b"\x00\x01\xff\xfe" * 64, b"<html></html>", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3"])
def test_html_without_article_text(data: bytes) -> None:
    with pytest.raises(NoText, match="no article text"):
        HTML.extract(data)


# --- PDF --------------------------------------------------------------------------------------

PAGE_TWO = "The second section concerns"  # on page 2, in no line break
SECTIONS = [  # one page each (break-before: page); long words so that `hyphens: auto` breaks some
    ["Counterintelligence responsibilities complicate organizational accountability in the "
     "northeastern provinces, where administrative arrangements remain fundamentally unsettled.",
     "Intergovernmental coordination mechanisms were reconstituted following the parliamentary "
     "investigation into unauthorized procurement irregularities."],
    [PAGE_TWO + " telecommunications infrastructure vulnerabilities.",
     "Internationalization of reconnaissance capabilities accelerated considerably; representatives "
     "acknowledged extraordinary difficulties characterizing the insurgency's decentralization."],
    ["Notwithstanding comprehensive countermeasures, disproportionate consequences materialized "
     "unexpectedly throughout the southernmost administrative districts.",
     "Correspondingly, humanitarian organizations documented unprecedented displacement."],
]
PDF_ZH = "中国外交部发言人表示，双方将继续加强合作。这一声明（全文见附件）发布于２０２４年１月。"
PDF_AR = ["د افغانستان په شمال کې ۱۴۰۲ کال کې ۳۵ پیښې ثبت شوې.",
          "اقوام متحدہ کی رپورٹ کے مطابق 2024 میں 35 واقعات ریکارڈ کیے گئے۔"]


def png(width: int = 24, height: int = 24) -> bytes:
    """A grey PNG, made by hand: the picture of a scanned page."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


IMAGE = f'<img src="data:image/png;base64,{base64.b64encode(png()).decode()}" style="width: 4cm">'


@pytest.fixture(scope="module")
def pdfs() -> dict[str, bytes]:
    """The PDFs of these tests, made once (WeasyPrint takes a few tenths of a second each)."""
    import weasyprint

    def pdf(body: str, css: str = "", lang: str = "en", direction: str = "ltr") -> bytes:
        return weasyprint.HTML(string=f'<html lang="{lang}" dir="{direction}"><head><title>Brief</title>'
                               f'<meta name="author" content="J. Analyst"><style>{css}</style></head>'
                               f"<body>{body}</body></html>").write_pdf()

    paged = """@page { size: A5; margin: 2cm;
        @top-center { content: "Running Header Co." } @bottom-center { content: "Page " counter(page) } }
        body { width: 5cm; font: 10pt "DejaVu Serif"; hyphens: auto; text-align: justify }
        section + section { break-before: page }"""
    sections = "".join(f"<section><h2>Key findings</h2>{''.join(f'<p>{p}</p>' for p in s)}</section>"
                       if i else f"<section>{''.join(f'<p>{p}</p>' for p in s)}</section>"
                       for i, s in enumerate(SECTIONS))
    return {
        "paged": pdf(sections + f"<section>{IMAGE}</section>", paged),
        "zh": pdf(f"<p>{PDF_ZH}</p>", 'body { font-family: "Noto Sans CJK SC"; width: 6cm }', "zh"),
        "ar": pdf("".join(f"<p>{p}</p>" for p in PDF_AR), 'body { font-family: "Noto Naskh Arabic"; width: 6cm }',
                  "ps", "rtl"),
        "scanned": pdf(IMAGE),
        "dash": pdf("<p>the state-sponsored networks</p>", "body { width: 3cm; hyphens: manual }"),
    }


def test_pdf_pages_hyphenation_running_lines(pdfs: dict[str, bytes]) -> None:
    import pypdfium2

    raw = pypdfium2.PdfDocument(pdfs["paged"])
    assert "\u2010\r\n" in raw[0].get_textpage().get_text_bounded()  # WeasyPrint did hyphenate
    raw.close()
    result = PDF.extract(pdfs["paged"])
    text = result.text
    assert len(result.pages) == 4 and result.pages[0] == 0 and text.count("\f") == 3
    assert all(text[start - 1] == "\f" for start in result.pages[1:])
    for paragraph in (p for section in SECTIONS for p in section):
        assert paragraph in flat(text)
    assert "\u2010" not in text and "\r" not in text
    assert "Running Header" not in text and not re.search(r"Page \d", text)
    assert result.pages[1] <= text.index(PAGE_TWO) < result.pages[2]
    assert text.count("Key findings") == 2  # body text on two pages of four is no running header
    assert text[result.pages[3]:] == ""  # the image-only page: there, empty


def test_pdf_other_scripts(pdfs: dict[str, bytes]) -> None:
    assert PDF_ZH in re.sub(r"\s+", "", PDF.extract(pdfs["zh"]).text)
    arabic = flat(PDF.extract(pdfs["ar"]).text)
    for paragraph in PDF_AR:  # logical order, Arabic-Indic and European digits intact
        assert paragraph in arabic


def test_pdf_ascii_hyphen_at_line_end_kept(pdfs: dict[str, bytes]) -> None:
    # pdfium gives "state\x02sponsored" (the "-" ending a line, the line break dropped): restored
    # as "-\n", whose ambiguity (one word or two) the quote matcher resolves
    assert "state-\nsponsored" in PDF.extract(pdfs["dash"]).text


def test_pdf_running_lines_and_page_breaks() -> None:
    from threatbrief.sources.extract.pdf import _assemble

    two = _assemble(["Report 2024\nFirst page ends with a hyphen\u2010\nated\nword; long\u2010", "ish text\nReport 2024"])
    assert two.text == "First page ends with a hyphenated\nword; longish\ftext" and two.pages == (0, 48)
    assert _assemble(["Report 2024\nonly page"]).text == "Report 2024\nonly page"
    body = ["Intro\nSame line\nbody a", "Other\nbody b\nSame line", "Third\nbody c", "Fourth\nbody d"]
    assert _assemble(body).text.count("Same line") == 2  # on 2 pages of 4: body text, kept
    numbers = [f"Page {n} of 5\n{word}" for n, word in enumerate(["one", "two", "three", "four", "five"])]
    assert _assemble(numbers).text == "one\ftwo\fthree\ffour\ffive"


def test_pdf_without_text_layer(pdfs: dict[str, bytes]) -> None:
    with pytest.raises(NoText, match="OCR"):
        PDF.extract(pdfs["scanned"])


def test_pdf_metadata(pdfs: dict[str, bytes]) -> None:
    meta = PDF.metadata(pdfs["zh"])
    assert meta["title"] == "Brief" and meta["author"] == "J. Analyst"
    assert set(meta) <= {"title", "author", "published"}
    assert PDF.metadata(b"not a pdf") == {}


def test_pdf_creation_date() -> None:
    from threatbrief.sources.extract.pdf import _published

    assert _published("D:20240115093000+01'00'") == "2024-01-15"
    assert _published("D:202401") == "2024-01" and _published("2024") == "2024"
    assert _published("D:20241345") is None and _published("yesterday") is None


@pytest.mark.parametrize("data", [b"", b"garbage" * 100, b"%PDF-1.4\n1 0 obj << /Type /Catalog"])
def test_pdf_unreadable(data: bytes) -> None:
    with pytest.raises(NoText, match=r"not a readable PDF \(pdfium: "):
        PDF.extract(data)


def test_pdf_password_protected(pdfs: dict[str, bytes]) -> None:
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(pdfs["zh"]))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(NoText, match="password"):
        PDF.extract(out.getvalue())


# --- the interface ----------------------------------------------------------------------------

def test_extractor_for() -> None:
    assert extractor_for(".txt") is None and extractor_for("") is None
    assert extractor_for(".PDF").kind == "pdf" and extractor_for(".Htm").kind == "html"


def test_deterministic_and_versioned(pdfs: dict[str, bytes]) -> None:
    assert HTML.extract(NEWS_PAGE) == HTML.extract(NEWS_PAGE)
    assert PDF.extract(pdfs["paged"]) == PDF.extract(pdfs["paged"])
    assert isinstance(PDF.extract(pdfs["zh"]), Extracted)
    assert f"trafilatura {version('trafilatura')}" in HTML.version()
    assert f"resiliparse {version('resiliparse')}" in HTML.version()
    assert re.fullmatch(rf"pypdfium2 {re.escape(version('pypdfium2'))}, rules \d+", PDF.version())


def test_import_is_cheap() -> None:
    code = ("import sys, threatbrief.sources.extract as e; e.extractor_for('.pdf'); e.extractor_for('.html').kind; "
            "print(sorted({'trafilatura', 'resiliparse', 'pypdfium2', 'lxml'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_pdf_over_the_page_limit(pdfs: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    """A PDF of more pages than MAX_PDF_PAGES is refused before any page is read."""
    import threatbrief.sources.extract.pdf as pdf_module

    monkeypatch.setattr(pdf_module, "MAX_PDF_PAGES", 3)
    with pytest.raises(NoText, match=r"has 4 pages; threatbrief reads at most 3"):
        PDF.extract(pdfs["paged"])
