"""What the reader sees of citations: compact markers that never start a line, an appendix that
prints each distinct passage once per source with every note citing it, and stays short."""

from __future__ import annotations

import re
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import REPO
from pypdf import PdfReader

from threatbrief.model import Located
from threatbrief.pipeline import check
from threatbrief.project import Project
from threatbrief.publish.render import CONTEXT_CHARS, CiteLinks, number_runs, passage

GROUP = re.compile(r"^\[\d+(?:–\d+)?(?:, \d+(?:–\d+)?)*\]$")  # [3], [1, 2, 4], [41–45], [1–3, 7]
MAX_APPENDIX_SHARE = 0.40


# A small HTML tree (the standard library's parser), enough to read the built briefing.

class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def iter(self, tag: str | None = None, cls: str | None = None):
        for child in self.children:
            if isinstance(child, Node):
                if (tag is None or child.tag == tag) and (cls is None or cls in (child.attrs.get("class") or "").split()):
                    yield child
                yield from child.iter(tag, cls)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def find_id(self, ident: str) -> Node | None:
        return next((n for n in self.iter() if n.attrs.get("id") == ident), None)


class _Tree(HTMLParser):
    VOID = {"meta", "img", "br", "hr", "link", "input", "col", "area", "base", "source", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("#root", {}, None)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in self.VOID:
            self.current = node

    def handle_endtag(self, tag: str) -> None:
        node = self.current
        while node.parent is not None and node.tag != tag:
            node = node.parent
        if node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str) -> Node:
    tree = _Tree()
    tree.feed(html)
    tree.close()
    return tree.root


def cite_groups(root: Node) -> list[Node]:
    return list(root.iter("sup", "cite"))


def shown_numbers(group: Node) -> list[int]:
    """The numbers a compressed group stands for: [1–3, 7] -> 1 2 3 7."""
    numbers = []
    for part in group.text().strip("[]").split(", "):
        first, _, last = part.partition("–")
        numbers += range(int(first), int(last or first) + 1)
    return numbers


# Compression, on CiteLinks directly

NUMBERS = {name: number for number, name in enumerate("abcdefgh", 41)}  # a=41 … h=48


def test_number_runs_sort_deduplicate_and_join_consecutive() -> None:
    assert number_runs([4, 1, 2, 2]) == [(1, 2), (4, 4)]
    assert number_runs([45, 41, 43, 42, 44]) == [(41, 45)]
    assert number_runs([]) == []


def test_a_run_of_five_markers_becomes_a_linked_range_with_every_back_anchor() -> None:
    root = parse(str(CiteLinks().markdown("Five reports agree [@a][@b][@c][@d][@e].", NUMBERS)))
    [group] = cite_groups(root)
    assert group.text() == "[41–45]"
    assert [a.attrs["href"] for a in group.iter("a")] == ["#cite-41", "#cite-45"]
    assert all(a.attrs["role"] == "doc-noteref" for a in group.iter("a"))
    assert {n.attrs["id"] for n in group.iter() if "id" in n.attrs} == {f"ref-{n}" for n in range(41, 46)}
    assert "agree\u2060<sup" in str(CiteLinks().markdown("agree [@a][@b][@c][@d][@e].", NUMBERS))
    many = str(CiteLinks().markdown("".join(f"[@n{i}]" for i in range(300)), {f"n{i}": i + 1 for i in range(300)}))
    assert [g.text() for g in cite_groups(parse(many))] == ["[1–300]"]
    assert many.count('<span id="ref-') == 298 and "</span></span>" not in many  # flat, however long the run


@pytest.mark.parametrize("text", ["x [@a][@b][@d].", "x [@a] [@b] [@d].", "x [@a]\n[@b]  [@d].", "x [@d][@a][@b][@a]."])
def test_adjacent_markers_with_or_without_spaces_become_one_list(text: str) -> None:
    root = parse(str(CiteLinks().markdown(text, NUMBERS)))
    [group] = cite_groups(root)
    assert group.text() == "[41, 42, 44]"
    assert [a.attrs["href"] for a in group.iter("a")] == ["#cite-41", "#cite-42", "#cite-44"]


def test_markers_apart_stay_apart_and_each_number_is_anchored_once() -> None:
    cites = CiteLinks()
    html = str(cites.markdown("One [@a], then [@b][@c][@d] and [@a][@b][@c][@d][@f].", NUMBERS))
    assert [g.text() for g in cite_groups(parse(html))] == ["[41]", "[42–44]", "[41–44, 46]"]
    assert sorted(re.findall(r'id="ref-(\d+)"', html)) == ["41", "42", "43", "44", "46"]


def test_citation_lists_after_judgments_and_incidents_are_compressed() -> None:
    cites = CiteLinks()
    listed = str(cites.links([SimpleNamespace(number=n) for n in (7, 8, 9, 12, 13)]))
    assert listed.startswith("\u2060") and [g.text() for g in cite_groups(parse(listed))] == ["[7–9, 12, 13]"]
    assert str(cites.links([])) == ""


def test_a_group_does_not_wrap_inside() -> None:
    css = (REPO / "threatbrief" / "data" / "templates" / "briefing.css").read_text(encoding="utf-8")
    assert re.search(r"^\.cite \{ white-space: nowrap; \}", css, re.M)


# Context of a passage

SOURCE = ("Intro line without a full stop\n"
          "First sentence here. The police said that gunmen attacked a convoy near the mine on Tuesday. "
          "Nobody claimed it at first. " + " ".join(["word"] * 60) + " the quoted bit " + " ".join(["tail"] * 60) + "."
          "\nNext line.")


def _passage(quote: str):
    start = SOURCE.index(quote)
    return passage([SimpleNamespace(number=1)], Located([(start, start + len(quote))], 2, 1, 2), SOURCE, None)


def _context(p) -> tuple[str, str]:
    texts = [text for text, _ in p.segments]
    hits = [hit for _, hit in p.segments]
    before = "".join(texts[:hits.index(True)])
    after = "".join(texts[len(hits) - hits[::-1].index(True):])
    return before, after


def test_context_is_the_rest_of_the_quotes_sentence() -> None:
    p = _passage("gunmen attacked a convoy")
    assert _context(p) == ("The police said that ", " near the mine on Tuesday.")
    assert not p.truncated_before and not p.truncated_after


def test_a_whole_quoted_sentence_gets_the_sentence_before_and_after() -> None:
    p = _passage("The police said that gunmen attacked a convoy near the mine on Tuesday.")
    assert _context(p) == ("First sentence here. ", " Nobody claimed it at first.")


def test_long_context_is_cut_at_a_word_with_an_ellipsis() -> None:
    p = _passage("the quoted bit")
    before, after = _context(p)
    assert 0 < len(before) <= CONTEXT_CHARS and 0 < len(after) <= CONTEXT_CHARS
    assert before.startswith("word ") and after.rstrip().endswith("tail")
    assert p.truncated_before and p.truncated_after


# The shipped briefings, built once

def _briefings(root: Path) -> list[str]:
    names = sorted(p.stem for p in (root / "reports").glob("*.pdf") if p.stem != "overview")
    assert len(names) == 3, names
    return names


@pytest.fixture(scope="session")
def pdfs(shipped_built: Path) -> dict[str, SimpleNamespace]:
    """Each shipped PDF read once: its reader, the page of each heading, the text of each page
    but those inside the table of sources ('' there: no test reads them, and pypdf is slow)."""
    read = {}
    for name in _briefings(shipped_built):
        reader = PdfReader(shipped_built / "reports" / f"{name}.pdf")
        headings = _heading_pages(reader)
        skip = range(headings["Assessment of sources"] + 1, headings["Appendix: cited passages"])
        texts = ["" if number in skip else page.extract_text() for number, page in enumerate(reader.pages)]
        read[name] = SimpleNamespace(reader=reader, texts=texts, headings=headings)
    return read


def _heading_pages(reader: PdfReader) -> dict[str, int]:
    pages = {}

    def walk(items) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                pages.setdefault(item.title, reader.get_destination_page_number(item))

    walk(reader.outline)
    return pages


def test_shipped_appendix_is_at_most_40_percent_of_the_pages(pdfs: dict[str, SimpleNamespace]) -> None:
    shares = {}
    for name, pdf in pdfs.items():
        start = pdf.headings["Appendix: cited passages"]
        assert "Appendix: cited passages" in pdf.texts[start]
        shares[name] = (len(pdf.texts) - start, len(pdf.texts))  # (appendix pages, all pages)
    assert all(appendix / total <= MAX_APPENDIX_SHARE for appendix, total in shares.values()), shares


def test_no_pdf_line_starts_with_a_citation_marker(pdfs: dict[str, SimpleNamespace]) -> None:
    """Checked from the cover to the table of sources and through the appendix (the source
    table's "Cited for" column lists its own links)."""
    starts = []
    for name, pdf in pdfs.items():
        table, appendix = pdf.headings["Assessment of sources"], pdf.headings["Appendix: cited passages"]
        texts = list(pdf.texts)
        texts[table] = texts[table].split("Assessment of sources")[0]
        for number, text in enumerate(texts):
            if table < number < appendix:
                continue
            starts += [(name, number + 1, line) for line in text.split("\n") if re.match(r"\s*\[\d", line)]
    assert not starts, starts[:10]


def test_shipped_citations_are_compressed_and_every_number_links_both_ways(
    shipped_built: Path, pdfs: dict[str, SimpleNamespace],
) -> None:
    ranges = 0
    for name, pdf in pdfs.items():
        html = (shipped_built / "reports" / f"{name}.html").read_text(encoding="utf-8")
        root = parse(html)
        for group in cite_groups(root):
            assert GROUP.match(group.text()), group.text()
            numbers = shown_numbers(group)
            assert numbers == sorted(set(numbers))
            runs = [(n[0], n[-1]) for n in (list(map(int, part.split("–"))) for part in group.text().strip("[]").split(", "))]
            assert all(last - first >= 2 for first, last in runs if last != first), group.text()  # [1–2] is "1, 2"
            singles = [first for first, last in runs if first == last]
            assert not any(b == a + 1 and c == b + 1 for a, b, c in zip(singles, singles[1:], singles[2:])), group.text()
            assert {int(a.attrs["href"].removeprefix("#cite-")) for a in group.iter("a")} <= set(numbers)
            ranges += "–" in group.text()
        assert "</sup>\u2060<sup class=\"cite\">" not in html  # adjacent groups would have been one
        notes = [int(n) for n in re.findall(r'<a id="cite-(\d+)" href="#ref-\1" role="doc-backlink"', html)]
        assert sorted(notes) == list(range(1, len(notes) + 1))
        assert all(root.find_id(f"ref-{n}") is not None for n in notes)
        names = set(pdf.reader.named_destinations)
        dests = [annot.get_object().get("/Dest") for page in pdf.reader.pages for annot in page.get("/Annots") or []]
        internal = [str(d) for d in dests if d is not None]
        assert {f"cite-{n}" for n in notes} | {f"ref-{n}" for n in notes} <= set(internal)
        assert set(internal) <= names, set(internal) - names
    assert ranges >= 3


def test_endnotes_are_numbered_once(shipped_built: Path, pdfs: dict[str, SimpleNamespace]) -> None:
    for name, pdf in pdfs.items():
        root = parse((shipped_built / "reports" / f"{name}.html").read_text(encoding="utf-8"))
        appendix = root.find_id("appendix")
        assert appendix is not None and not list(appendix.iter("ol"))  # no list numbers beside the notes'
        assert not re.search(r"\[\d", appendix.text())
        text = "\n".join(pdf.texts[pdf.headings["Appendix: cited passages"]:])
        assert not re.search(r"^\s*\d+\.\s*(\[\d|Notes? )", text, re.M)
        assert not re.search(r"\[\d+\]", text)
        assert len(re.findall(r"^Notes? \d", text, re.M)) == len(list(appendix.iter("li")))


def test_each_distinct_passage_is_printed_once_per_source_with_all_its_numbers(shipped_built: Path) -> None:
    result = check(Project.at(shipped_built))
    registry_order = list(result.registry.sources)
    for checked in result.assessments:
        expected: dict[str, set[frozenset[int]]] = defaultdict(set)
        spans: dict[tuple, set[int]] = defaultdict(set)
        for c, located in checked.iter_citations():
            spans[(c.source, tuple(map(tuple, located.spans)))].add(c.number)
        for (source, _), numbers in spans.items():
            expected[source].add(frozenset(numbers))
        root = parse((shipped_built / "reports" / f"{checked.assessment.name}.html").read_text(encoding="utf-8"))
        groups = list(root.find_id("appendix").iter("section", "appendix-source"))
        shown_sources = [re.search(r"sources/(\S+?),? ", next(g.iter("p", "where")).text() + " ")[1] for g in groups]
        assert shown_sources == [path for path in registry_order if path in expected]
        for source, group in zip(shown_sources, groups):
            items = list(group.iter("li"))
            numbers = [frozenset(int(a.attrs["id"].removeprefix("cite-")) for a in li.iter("a") if "id" in a.attrs)
                       for li in items]
            assert len(numbers) == len(set(numbers)) and set(numbers) == expected[source], source
            for li in items:
                assert len(list(li.iter("blockquote"))) == 1 and list(li.iter("mark"))
                for a in li.iter("a"):
                    assert a.attrs["href"] == "#ref-" + a.attrs["id"].removeprefix("cite-")
