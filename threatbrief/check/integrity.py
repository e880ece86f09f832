"""What stands behind a judgment: independent origins, how recent, how confident, quotes in context.

Pure functions over model objects, each used by a rule and, where the briefing shows the same
thing, by the renderer too, so that the two can never disagree:

- `origins`: where a source's account comes from, following `relays` in the registry. Three
  articles rewriting one wire story are one origin (K001, K005, the briefing's source table);
- `newest_evidence`: the newest publication date among a judgment's sources (K004, the briefing);
- `confidence_support` and `ConfidencePolicy.met`: whether the declared confidence is backed by
  enough independent, well-graded origins (K005);
- `quote_cuts`: a quote that stops just before its sentence turns ("…, but …") or that starts just
  after the source distances itself from it ("officials denied that …") (K003).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from threatbrief.diagnostics import Diagnostic
from threatbrief.model import Assessment, Citation, FuzzyDate, Located, Registry
from threatbrief.project import canonical_source_path
from threatbrief.tradecraft import CONFIDENCE_LEVELS, ConfidencePolicy, JudgmentSettings, count, grade_span

if TYPE_CHECKING:  # types only: the configuration reads this module's settings without a YAML parser
    from threatbrief.load.yamlfile import YamlDoc
    from threatbrief.sources.library import SourceText

# --- Origins (K001, K005, the briefing) ------------------------------------------------------


def _relayed(path: str, registry: Registry, labels: set[str], own: set[str]) -> tuple[list[str], bool]:
    """The other registered sources `path` relays, and whether it also relays a free-text origin
    (each of which is added to `labels`). A source that lists itself adds reporting of its own:
    it is added to `own`."""
    nodes, outside = [], False
    for relay in registry.sources[path].relays:
        relay = relay.strip()
        key = canonical_source_path(relay)
        if key == path:
            own.add(path)
        elif key in registry.sources:
            nodes.append(key)
        elif relay:
            labels.add(relay)
            outside = True
    return nodes, outside


def origins(path: str, registry: Registry) -> frozenset[str]:
    """The origins of what sources/`path` reports: registered source paths and free-text labels.

    A source that relays nothing is its own origin. One that relays is not: its origins are those
    of what it relays, registered sources followed transitively, free-text labels (a wire story, a
    report outside the corpus) taken as they are written. A source that lists its own path among
    what it relays also reports on its own, and is one of its origins. A ring of sources relaying
    one another with nothing outside it is one origin, named by its first path. A path the
    registry does not list is its own origin.

    Linear in the sources reachable from `path`: Tarjan's strongly connected components with an
    explicit stack, so no relay chain, however long, can exhaust Python's recursion. An origin is
    a free-text label reached, a source reached that lists itself, or a group of sources (one, or
    a ring) that relays nothing outside itself.
    """
    if path not in registry.sources:
        return frozenset({path})
    labels: set[str] = set()
    own: set[str] = set()  # sources that report on their own as well as relaying
    successors: dict[str, list[str]] = {}
    outside: dict[str, bool] = {}  # relays a free-text origin
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    component_of: dict[str, int] = {}
    components: list[list[str]] = []

    def visit(node: str) -> Iterator[str]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        successors[node], outside[node] = _relayed(node, registry, labels, own)
        return iter(successors[node])

    work = [(path, visit(path))]
    while work:
        node, children = work[-1]
        for child in children:
            if child not in index:
                work.append((child, visit(child)))
                break
            if child in on_stack:
                low[node] = min(low[node], index[child])
        else:  # every child done: close the node
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component_of[member] = len(components)
                    members.append(member)
                    if member == node:
                        break
                components.append(members)
    found = labels | own
    for number, members in enumerate(components):
        if not any(outside[m] or m in own or any(component_of[c] != number for c in successors[m]) for m in members):
            found.add(min(members))
    return frozenset(found)


def judgment_origins(citations: Iterable[Citation], registry: Registry | None) -> dict[str, list[str]]:
    """Each origin of the cited sources -> the cited sources that carry it (sorted, both)."""
    carried: dict[str, set[str]] = {}
    for path in sorted({c.source for c in citations}):
        for origin in (origins(path, registry) if registry is not None else {path}):
            carried.setdefault(origin, set()).add(path)
    return {origin: sorted(paths) for origin, paths in sorted(carried.items())}


def origin_name(origin: str, registry: Registry | None, cited: Iterable[str] = ()) -> str:
    """`sources/x.txt` for a source file, `"label"` for a report outside the corpus."""
    if (registry is not None and origin in registry.sources) or origin in set(cited):
        return f"sources/{origin}"
    return f'"{origin}"'


def describe_origin(origin: str, via: list[str], registry: Registry | None) -> str:
    """One origin and how the cited sources carry it: `"ap-wire", relayed by sources/a.txt`."""
    name = origin_name(origin, registry, via)
    relaying = [f"sources/{p}" for p in via if p != origin]
    if not relaying:
        return name
    how = "cited directly and relayed by" if origin in via else "relayed by"
    return f"{name}, {how} {_and(relaying)}"


def relay_names(path: str, registry: Registry) -> list[str]:
    """What sources/`path` relays, as the briefing's source table shows it."""
    source = registry.sources.get(path)
    if source is None:
        return []
    names = []
    for relay in source.relays:
        key = canonical_source_path(relay.strip())
        names.append(f"sources/{key}" if key in registry.sources else relay.strip())
    return [n for n in names if n]


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# --- Newest evidence (K004, the briefing) ----------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """The newest dated source a judgment cites."""

    source: str  # its path in sources/
    published: str  # as the registry writes it
    latest: date  # the last day of the period it names ("2024-11" -> 2024-11-30)

    @property
    def label(self) -> str:
        """`2024-11`, or `2024` for a source dated only to the year."""
        return self.published[:7]


def newest_evidence(citations: Iterable[Citation], registry: Registry) -> Evidence | None:
    """The newest `published` date among the registered sources cited; None when none is dated.

    A source dated only to a month or a year counts as published at the end of that period;
    `unknown` sources do not count.
    """
    best: Evidence | None = None
    for path in sorted({c.source for c in citations}):
        source = registry.sources.get(path)
        if source is None or source.published == "unknown":
            continue
        try:
            latest = FuzzyDate.parse(source.published).latest
        except ValueError:  # a day the calendar does not have: undated
            continue
        if latest is not None and (best is None or latest > best.latest):
            best = Evidence(path, source.published, latest)
    return best


def evidence_label(citations: Iterable[Citation], registry: Registry) -> str:
    """What the briefing prints beside a judgment: `2024-11`, or `undated`."""
    evidence = newest_evidence(citations, registry)
    return evidence.label if evidence else "undated"


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the month's last day if it is shorter)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    if year < 1:
        return date.min
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def is_stale(evidence: Evidence, assessed: date, months: int) -> bool:
    """Whether the newest evidence is older than `months` before the assessment's date."""
    return evidence.latest < months_before(assessed, months)


# --- Confidence (K005) -----------------------------------------------------------------------

@dataclass(frozen=True)
class Support:
    """The independent origins behind a judgment and the grade of each (None: not graded)."""

    origins: dict[str, list[str]]  # origin -> the cited sources that carry it
    grades: dict[str, str | None]

    def graded(self, grades: str) -> int:
        return sum(1 for grade in self.grades.values() if grade is not None and grade in grades)


def confidence_support(citations: Iterable[Citation], registry: Registry) -> Support:
    """The origins of the cited sources, each graded: a registered origin by its own grade, a
    report outside the corpus by the best grade among the cited sources that relay it."""
    carried = judgment_origins(citations, registry)
    grades: dict[str, str | None] = {}
    for origin, via in carried.items():
        if origin in registry.sources:
            grades[origin] = registry.sources[origin].reliability
        else:
            relaying = sorted(registry.sources[p].reliability for p in via if p in registry.sources)
            grades[origin] = relaying[0] if relaying else None
    return Support(carried, grades)


def supported_level(support: Support, policies: dict[str, ConfidencePolicy]) -> str | None:
    """The highest confidence level the support meets (with every level below it), if any."""
    best = None
    for level in CONFIDENCE_LEVELS:
        if not policies.get(level, ConfidencePolicy()).met(support):
            break
        best = level
    return best


# --- Quotes cut from their sentence (K003) ---------------------------------------------------

CONTRAST_WORDS = ("but", "however", "although", "though", "yet", "except", "unless", "while", "only", "not")
FRAMES = (
    "denied that", "denies that", "deny that", "denying that", "it is not true that",
    "rumours that", "rumors that", "rumour that", "rumor that", "no evidence that",
    "claimed that", "claims that", "claiming that", "alleged that", "alleges that", "alleging that",
    "reportedly", "allegedly",
)
LOOK_CHARS = 400  # how far a sentence is followed, each way, from the quote
SHOWN_CHARS = 200  # of the sentence shown in the hint

_CONTRAST = re.compile(r"(?:" + "|".join(CONTRAST_WORDS) + r")\b", re.IGNORECASE)
# A sentence ends at . ! ? (and any closing quote marks) before whitespace and a capital letter or
# an opening quote mark, at a CJK full stop, or at a blank line.
_END = re.compile(r"[.!?]++[\"'”’»)\]]*+\s++|[。！？]|\n[ \t\r]*+\n")  # possessive: no backtracking
_OPENERS = "\"'“‘«(["
_LEAD = " \t\r\n\u00a0,;:–—-\"'“”‘’«»()[]…"  # what may stand between a quote and the next word
_TRAIL = " \t\r\n\u00a0,:–—-\"'“‘«([…"  # what may stand between a frame and the quote


@dataclass(frozen=True)
class Cut:
    """A quote cut from its sentence: before a contrast (`rest`) or after a frame (`frame`)."""

    kind: str  # "rest" or "frame"
    word: str  # the contrast word or the frame, lower-case
    offset: int  # in the source: where the quote stops (rest) or starts (frame)
    context: str  # the rest of the sentence, or its start up to the quote; whitespace folded, cut


def _boundaries(text: str, lo: int, hi: int) -> Iterator[tuple[int, int]]:
    """(where a sentence ends, where the next begins) for each sentence end in text[lo:hi]."""
    for match in _END.finditer(text, lo, hi):
        found = match.group()
        if found[0] in "。！？":
            yield match.end(), match.end()
        elif found[0] == "\n":
            yield match.start(), match.end()
        else:
            after = text[match.end():match.end() + 1]
            if not after or after.isupper() or after in _OPENERS or found.count("\n") > 1:
                yield match.start() + len(found.rstrip()), match.end()


def _fold(text: str) -> str:
    return " ".join(text.split())


def _cut_right(text: str, cut: bool) -> str:
    if len(text) > SHOWN_CHARS:
        text, cut = text[:SHOWN_CHARS].rsplit(" ", 1)[0], True
    return text + (" …" if cut else "")


def _cut_left(text: str, cut: bool) -> str:
    if len(text) > SHOWN_CHARS:
        text, cut = text[-SHOWN_CHARS:].split(" ", 1)[-1], True
    return ("… " if cut else "") + text


def quote_cuts(text: str, spans: list[tuple[int, int]]) -> list[Cut]:
    """Where a quote (its original-text `spans`) is cut from its sentence in a way that changes
    what it says: the sentence goes on, after the quote, with a contrast or qualification word;
    or the quote starts right after a frame that denies or distances it. Linear and bounded: the
    sentence is followed at most LOOK_CHARS each way."""
    if not spans:
        return []
    cuts = []
    start, end = spans[0][0], spans[-1][1]
    hi = min(len(text), end + LOOK_CHARS)
    stop, truncated = hi, hi < len(text)
    for sentence_end, next_start in _boundaries(text, max(spans[-1][0], end - 4), hi):
        if next_start > end:  # not a sentence end inside the quote's own last characters
            stop, truncated = max(sentence_end, end), False
            break
    rest = text[end:stop]
    if match := _CONTRAST.match(rest.lstrip(_LEAD)):
        cuts.append(Cut("rest", match.group().lower(), end, _cut_right(_fold(rest), truncated)))
    lo = max(0, start - LOOK_CHARS)
    if not _fold(text[lo:start]).rstrip(_TRAIL).lower().endswith(FRAMES):
        return cuts  # no frame ends here, whatever sentence it is (what follows sees a suffix of this)
    begin, truncated = lo, lo > 0
    for _, next_start in _boundaries(text, lo, start):
        begin, truncated = next_start, False
    before = _fold(text[begin:start])
    trimmed = before.rstrip(_TRAIL).lower()
    for frame in FRAMES:
        if trimmed.endswith(frame) and (len(trimmed) == len(frame) or not trimmed[-len(frame) - 1].isalnum()):
            cuts.append(Cut("frame", frame, start, _cut_left(before, truncated)))
            break
    return cuts


# --- The rules -------------------------------------------------------------------------------


def check_quote_cuts(assessment: Assessment, located: dict[int, Located],
                     source_of: Callable[[str], SourceText | None]) -> list[Diagnostic]:
    """K003 for every located quote of the assessment; `source_of(path)` gives a source's text."""
    problems = []
    for citation in assessment.citations:
        where = located.get(citation.number)
        source = source_of(citation.source) if where is not None else None
        if where is None or source is None:
            continue
        for cut in quote_cuts(source.text, where.spans):
            place = source.where(cut.offset)
            if cut.kind == "rest":
                message = f"quote stops where its sentence goes on with {cut.word!r} ({place})"
                hint = (f'the sentence goes on: "{cut.context}"\n'
                        "quote the qualification too, or say in the text why it does not change the claim")
            else:
                message = f"quote starts right after {cut.word!r} ({place}): the source reports the claim, it does not make it"
                hint = (f'the sentence begins: "{cut.context}"\n'
                        "quote the frame too, or attribute the claim in the text to whoever makes it")
            problems.append(Diagnostic(assessment.path, *citation.quote_mark, "K003", message, hint))
    return problems


def check_judgments(assessment: Assessment, doc: YamlDoc, registry: Registry | None,
                    settings: JudgmentSettings) -> list[Diagnostic]:
    """K004 (evidence older than the window) and K005 (confidence the citations do not support)."""
    from threatbrief.load.placeholders import in_citation

    if registry is None:
        return []
    try:
        assessed: date | None = date.fromisoformat(assessment.date)
    except ValueError:
        assessed = None
    problems = []
    months = settings.stale_after_months
    for i, kj in enumerate(assessment.key_judgments):
        if not kj.citations or any(in_citation(c) for c in kj.citations):
            continue  # C010 or P001 says what is missing
        if not {c.source for c in kj.citations} & registry.sources.keys():
            continue  # S003 says it
        evidence = newest_evidence(kj.citations, registry)
        if evidence is None:
            problems.append(doc.diagnostic(
                ("key_judgments", i, "text"), "K004",
                f"key judgment {i + 1} cites no dated source: how recent its evidence is cannot be shown",
                "record each source's publication date in the registry (published: YYYY-MM-DD, YYYY-MM or YYYY), "
                "or cite a dated source"))
        elif assessed is not None and is_stale(evidence, assessed, months):
            problems.append(doc.diagnostic(
                ("key_judgments", i, "text"), "K004",
                f"key judgment {i + 1}'s newest evidence is from {evidence.published} (sources/{evidence.source}), "
                f"more than {count(months, 'month')} before the assessment's date ({assessment.date})",
                "cite more recent reporting, or say in the judgment why the older evidence still holds "
                "(the window is stale_after_months in the [judgments] table of threatbrief.toml)"))
        policy = settings.confidence.get(kj.confidence)
        if policy is None:
            continue
        support = confidence_support(kj.citations, registry)
        if policy.met(support):
            continue
        span = grade_span(policy.grades)
        has = f"{count(len(support.origins), 'independent origin')}, {support.graded(policy.grades)} graded {span}"
        listed = "; ".join(f"{describe_origin(o, via, registry)} ({support.grades[o] or 'not graded'})"
                           for o, via in support.origins.items())
        level = supported_level(support, settings.confidence)
        advice = f"or lower the confidence to {level}" if level else "or lower the confidence"
        problems.append(doc.diagnostic(
            ("key_judgments", i, "confidence"), "K005",
            f"key judgment {i + 1} declares {kj.confidence} confidence, which needs {policy.describe()}; "
            f"its citations have {has}",
            f"origins: {listed}\ncorroborate it with independent sources graded {span}, {advice}"))
    return problems
