"""Plain data passed between the stages: load -> check -> chart -> render -> write."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Iterator, Literal

Precision = Literal["day", "month", "year", "range", "unknown"]
Mark = tuple[int, int]  # 1-based line, column in the YAML file
_POINT = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")


@dataclass(frozen=True)
class FuzzyDate:
    """A date known only to some precision, as event datasets (ACLED, GTD) record it."""

    text: str
    precision: Precision
    earliest: date | None
    latest: date | None

    @classmethod
    def parse(cls, text: str) -> "FuzzyDate":
        """Parse a schema-valid date string; raises ValueError for impossible days (2023-02-30)."""
        if text == "unknown":
            return cls(text, "unknown", None, None)
        if text.count("/") > 1 or not all(_POINT.fullmatch(part) for part in text.split("/")):
            raise ValueError(f"{text[:40]!r} is not a date (YYYY-MM-DD, YYYY-MM, YYYY, START/END or 'unknown')")
        if "/" in text:
            start, end = text.split("/")
            first, last = cls.parse(start), cls.parse(end)
            assert first.earliest and last.latest
            if last.latest < first.earliest:
                raise ValueError(f"the range {text!r} ends before it starts")
            return cls(text, "range", first.earliest, last.latest)
        parts = [int(p) for p in text.split("-")]
        if len(parts) == 3:
            day = date(*parts)
            return cls(text, "day", day, day)
        if len(parts) == 2:
            year, month = parts
            return cls(text, "month", date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))
        return cls(text, "year", date(parts[0], 1, 1), date(parts[0], 12, 31))

    @property
    def year(self) -> int | None:
        """The year, when the date is known at least that well."""
        if self.earliest and self.latest and self.earliest.year == self.latest.year:
            return self.earliest.year
        return None

    @property
    def label(self) -> str:
        if self.precision == "unknown":
            return "date unknown"
        if self.precision == "day":
            assert self.earliest
            return self.earliest.strftime("%-d %b %Y")
        if self.precision == "month":
            assert self.earliest
            return self.earliest.strftime("%b %Y")
        if self.precision == "year":
            return self.text
        assert self.earliest and self.latest
        return f"between {FuzzyDate.parse(self.text.split('/')[0]).label} and {FuzzyDate.parse(self.text.split('/')[1]).label}"

    def sort_key(self) -> tuple[int, date]:
        return (1, date.max) if self.earliest is None else (0, self.earliest)


@dataclass(frozen=True)
class Citation:
    """A quoted passage of a source. `number` is its endnote number within the assessment."""

    number: int
    source: str
    quote: str
    id: str | None
    credibility: int | None
    note: str | None
    yaml_path: tuple[str | int, ...]
    quote_mark: Mark
    source_mark: Mark
    translation: str | None = None  # the analyst's English rendering; the quote stays in the original


@dataclass(frozen=True)
class KeyJudgment:
    text: str
    likelihood: str
    confidence: str
    citations: list[Citation]


@dataclass(frozen=True)
class Section:
    title: str
    body: str
    citations: list[Citation]
    yaml_path: tuple[str | int, ...]


@dataclass(frozen=True)
class Incident:
    id: str
    title: str
    kind: str
    date: FuzzyDate
    date_note: str | None
    country: str
    province: str | None
    district: str | None
    place: str | None
    attack_type: str | None
    target_type: str | None
    target_nationality: str | None
    perpetrator: str | None
    claimed: bool | str
    claim_note: str | None  # how it was claimed: "statement on Telegram"
    killed: int | None  # the total; None when unknown, also when a source says only "deadly"
    wounded: int | None
    summary: str | None
    citations: list[Citation]
    # `killed: {total: 6, from: [5, 1]}`: the figures a total adds up (empty for a plain figure)
    killed_parts: tuple[int, ...] = ()
    wounded_parts: tuple[int, ...] = ()
    killed_word: str | None = None  # `killed: deadly` (or `fatal`): deaths reported, no figure
    file: str = ""  # where it is recorded: incidents/<file>.yaml, or the assessment that records it
    yaml_path: tuple[str | int, ...] = ()  # its place in that file: ("incidents", 3)

    @property
    def location(self) -> str:
        return ", ".join(p for p in (self.place, self.district, self.province, self.country) if p)


@dataclass(frozen=True)
class Assessment:
    name: str  # file stem: reports/<name>.html
    path: str  # as shown in diagnostics, relative to the project
    title: str
    short_title: str
    date: str
    tlp: str
    authors: list[str]
    scope: str
    key_judgments: list[KeyJudgment]
    summary: str
    sections: list[Section]
    incidents: list[Incident]
    citations: list[Citation] = field(default_factory=list)  # all, in endnote order
    # `incidents: [takhar-2024-03-12]`: ids of incidents recorded in incidents/, with their place
    incident_refs: list[tuple[str, Mark]] = field(default_factory=list)
    incident_files: tuple[str, ...] = ()  # the incidents/ files its referenced incidents come from

    def cited_sources(self) -> list[str]:
        return sorted({c.source for c in self.citations})


@dataclass(frozen=True)
class Source:
    path: str  # relative to sources/
    title: str
    publisher: str | None
    author: str | None
    published: str
    language: str
    kind: str | None
    url: str | None
    reliability: str
    rationale: str
    sha256: str
    mark: Mark
    tlp: str | None = None  # a source may itself carry a handling restriction
    relays: tuple[str, ...] = ()  # what it repeats: registered source paths or free-text origins
    retrieved: str | None = None  # when it was taken from `url` (YYYY-MM-DD)
    archive_url: str | None = None  # an archived copy (Wayback Machine, archive.today)


@dataclass(frozen=True)
class Registry:
    path: str
    sources: dict[str, Source]


@dataclass(frozen=True)
class Located:
    """Where a quote was found: character offsets into the source's text, per part.

    `line`..`end_line` count lines of a text source, paragraphs of a web page's article text, or
    pages of a PDF (`unit` says which), so a reader can find the passage in the original.
    """

    spans: list[tuple[int, int]]
    line: int
    col: int
    end_line: int
    unit: str = "line"  # "line", "paragraph" or "page"

    @property
    def label(self) -> str:
        """"line 3", "lines 3–4", "para. 2", "p. 12", "pp. 12–13"."""
        first, last = self.line, self.end_line
        if self.unit == "page":
            return f"p. {first}" if first == last else f"pp. {first}–{last}"
        name = {"paragraph": "para."}.get(self.unit, "line")
        return f"{name} {first}" if first == last else f"{name} {first}–{last}"


@dataclass
class CheckedAssessment:
    """An assessment whose citations all resolved, with the place of each quote in its source."""

    assessment: Assessment
    locations: dict[int, Located]  # by citation number

    def iter_citations(self) -> Iterator[tuple[Citation, Located]]:
        for citation in self.assessment.citations:
            yield citation, self.locations[citation.number]
