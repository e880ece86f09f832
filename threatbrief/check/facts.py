"""Structured facts must be supported by the quotes cited for them.

An incident's killed and wounded counts, its province, district and place, and its perpetrator
must each appear in at least one quote cited for that incident: a name as written (case and
typography aside), a figure as digits or words, and a casualty figure only in a sentence of a
quote that says what it counts — `killed` in one that reports deaths ("one worker died"),
`wounded` in one that reports injuries — so "4 vehicles were attacked; one worker died" gives
no `killed: 4`. A total of several figures is written as a sum (`killed: {total: 6, from: [5,
1]}`) whose parts are checked the same way; deaths reported without a figure (`killed: deadly`)
need the word in a quote. This catches the commonest drift between an incident record and its
sources: a number or a place typed from memory, or from the wrong part of a sentence.

Every regular expression here is linear (or bounded) in the length of a quote.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from threatbrief.diagnostics import Diagnostic
from threatbrief.load.yamlfile import YamlDoc
from threatbrief.model import Assessment, Incident
from threatbrief.sources.quotes import _SPACELESS, normalize, quote_parts

_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
# "A Chinese citizen was killed": a singular victim is a count of one. (Possessive quantifiers: no
# backtracking over a long run of spaces.)
_SINGULAR = re.compile(
    r"\b(?:a|an)\s++(?:[\w'-]++\s++){0,3}(?:was|has been|had been|is)\s++(?:\w++\s++)?"
    r"(?:killed|wounded|injured|shot|murdered|slain|hurt)\b|\bkilling of an?\b", re.IGNORECASE)
# A number written in words, taken whole: "fourteen" gives no "four", "twenty-one" no "one" and
# no "twenty", "four hundred" no "four". The longest form is tried first; a hyphen is a word
# boundary (as for digits) except inside a compound number.
_UNIT = "|".join(sorted(_UNITS, key=len, reverse=True))
_DIGIT_WORD = "|".join(_UNITS[1:10])
_SMALL = rf"(?:{'|'.join(_TENS[2:])})(?:[- ](?:{_DIGIT_WORD})\b|(?![- ](?:{_DIGIT_WORD})\b))|{_UNIT}"
_NUMBER_WORDS = re.compile(
    rf"(?<!\w)(?<!ty-)(?:(?:{_SMALL}|a)\s++hundred(?:\s++(?:and\s++)?(?:{_SMALL}))?|{_SMALL})"
    rf"(?!\w)(?!\s++(?:hundred|thousand|million|billion)\b)", re.IGNORECASE)


def number_words(n: int) -> list[str]:
    """Ways a count is written in English prose: 'four', 'twenty-one', 'a hundred'."""
    if n < 20:
        return [_UNITS[n]]
    if n < 100:
        tens, unit = divmod(n, 10)
        return [_TENS[tens]] if unit == 0 else [f"{_TENS[tens]}-{_UNITS[unit]}", f"{_TENS[tens]} {_UNITS[unit]}"]
    if n % 100 == 0 and n < 1000:
        word = _UNITS[n // 100]
        return [f"{word} hundred"] + (["a hundred"] if n == 100 else [])
    return []


def count_supported(n: int, quotes: list[str]) -> bool:
    """Whether a quote gives the figure `n` as a whole number, in digits or in words.

    "in 2015" does not give 20, "14 killed" not 4, "1,000" not 1, "2.5" not 5, "3²" not 3,
    "twenty-one" not one. Where in the quote the figure stands is not asked here: see
    `casualty_supported`.
    """
    return any(_occurrences(n, quote, _SINGULAR) for quote in quotes)


@lru_cache(maxsize=256)
def _digits(n: int) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?<!\d[.,])(?:{n:,}|{n})(?!\w)(?![.,]\d)")


@lru_cache(maxsize=256)
def _words(n: int) -> frozenset[str]:
    return frozenset(" ".join(w.replace("-", " ").split()) for w in number_words(n))


def _occurrences(n: int, text: str, singular: re.Pattern[str] | None) -> int:
    """How many times `text` gives the figure `n` (digits, words, or a single victim for 1)."""
    words = _words(n)
    found = len(_digits(n).findall(text))
    if words:
        found += sum(" ".join(m.group().lower().replace("-", " ").split()) in words for m in _NUMBER_WORDS.finditer(text))
    if n == 1 and singular is not None:
        found += len(singular.findall(text))
    return found


# What a sentence must say for a figure in it to count as deaths, or as injuries. Not
# "casualties" (killed and wounded together), "deadly" or "fatal" (no count: `killed: deadly`).
DEATH_WORDS = re.compile(
    r"\b(?:kill(?:s|ed|ing)?|dead|died|dies|dying|deaths?|fatalit(?:y|ies)|fatally|murder(?:s|ed)?|slain|"
    r"perished|beheaded|assassinated|massacred|martyred|lost\s(?:their|his|her|its)\s(?:lives|life)|"
    r"lives\s(?:were|was)\slost|(?:claimed|took)\s(?:the\s)?lives)\b", re.IGNORECASE)
INJURY_WORDS = re.compile(r"\b(?:wound(?:s|ed|ing)?|injur(?:e|es|ed|ing|y|ies)|hurt|hospitali[sz]ed|maimed)\b",
                          re.IGNORECASE)
# A single victim, bound to what happened to them: "a Chinese citizen was killed" is one killed,
# "a worker was injured" one wounded.
_SINGLE_VICTIM = (r"\b(?:a|an)\s++(?:[\w'-]++\s++){{0,3}}(?:was|has been|had been|is)\s++(?:\w++\s++(?:and\s++)?)?"
                  r"(?:{verbs})\b")
_SINGULAR_DEATH = re.compile(
    _SINGLE_VICTIM.format(verbs=r"killed|murdered|slain|shot\s++dead|assassinated|beheaded") + r"|\bkilling of an?\b",
    re.IGNORECASE)
_SINGULAR_INJURY = re.compile(_SINGLE_VICTIM.format(verbs="wounded|injured|hurt"), re.IGNORECASE)
_CASUALTY = {
    "killed": (DEATH_WORDS, _SINGULAR_DEATH, "deaths", "killed, died, dead, death toll, lost their lives, fatalities …"),
    "wounded": (INJURY_WORDS, _SINGULAR_INJURY, "injuries", "wounded, injured, hurt, injuries …"),
}

# Sentence ends: '.', '!' or '?' before a capital or a digit (not after an abbreviation or an initial),
# ';', an ellipsis, and CJK or Arabic full stops. Possessive quantifiers, no backtracking.
# A run of marks is tried from its first mark only: "!!!…!x" is not rescanned from each "!".
_SENTENCE_END = re.compile(r"\.{3,}+\s*+|(?<![.!?])[.!?]++[\"')\]]*+\s++|[;\u3002\uff01\uff1f\u061f]\s*+")
_TAIL_WORD = re.compile(r"\w+\Z")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr gen col lt maj capt cpt sgt gov sen rep st prof jr sr no nos nr vs approx est ca dept inc co corp ltd "
    "vol art fig pp ch sec para pt jan feb mar apr jun jul aug sep sept oct nov dec".split())


def sentences(text: str) -> list[str]:
    """A normalized quote cut into sentences (and at ';'), in one pass.

    "The attack took place on Nov. 18 near the border" stays one sentence; so does "the U.S.
    Embassy", and "2.5 km. then". Cutting too often only makes the check stricter, never laxer.
    """
    found, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        mark = m.group()
        if mark[0] in ".!?" and not mark.startswith("..."):
            after = text[m.end():m.end() + 2].lstrip("\"'([")
            if not after or not (after[0].isupper() or after[0].isdigit()):
                continue  # "2.5 km. then": no new sentence
            if mark[0] == "." and mark.rstrip().rstrip("\"')]") == ".":
                word = _TAIL_WORD.search(text, max(0, m.start() - 12), m.start())
                if word and (len(word.group()) == 1 or word.group().lower() in _ABBREVIATIONS):
                    continue  # "Gen. Haqqani", "U.S. Embassy", "on Nov. 18"
        found.append(text[start:m.start()].strip())
        start = m.end()
    found.append(text[start:].strip())
    return [s for s in found if s]


def _quote_sentences(quotes: list[str]) -> list[str]:
    """The sentences of raw quotes, normalized; an elision ends a sentence (what it left out may)."""
    return [sentence for quote in quotes for part in quote_parts(quote) for sentence in sentences(part)]


def casualty_supported(n: int, quotes: list[str], field: str) -> bool:
    """Whether a sentence of the quotes gives `n` and reports deaths (`field` 'killed') or
    injuries ('wounded'): "4 vehicles were attacked; one worker died" gives no killed 4."""
    words, singular, _, _ = _CASUALTY[field]
    return any(words.search(s) and _occurrences(n, s, singular) for s in _quote_sentences(quotes))


def _spaced_letter(ch: str) -> bool:
    """A letter or digit of a script written with spaces: in Chinese text ("说ISIS发动") a name
    needs no space around it."""
    return bool(ch) and (ch.isalnum() or ch == "_") and not _SPACELESS.match(ch)


def name_supported(name: str, quotes: list[str]) -> bool:
    pattern = re.compile(re.escape(normalize(name).text.strip()), re.IGNORECASE)
    return any(not _spaced_letter(quote[m.start() - 1:m.start()]) and not _spaced_letter(quote[m.end():m.end() + 1])
               for quote in quotes for m in pattern.finditer(quote))


_FIELDS = [
    ("province", "F002", "a place"), ("district", "F002", "a place"), ("place", "F002", "a place"),
    ("perpetrator", "F003", "a perpetrator"),
]


def check_facts(assessment: Assessment, doc: YamlDoc) -> list[Diagnostic]:
    problems = []
    for incident in assessment.incidents:
        if not incident.citations:
            continue  # reported as unsourced elsewhere
        if (incident.killed is None and incident.wounded is None and incident.killed_word is None
                and all(getattr(incident, field) in (None, "unknown") for field, _, _ in _FIELDS)):
            continue  # no fact to support: the quotes need not be read
        raw = [c.quote for c in incident.citations]
        quotes = [normalize(q).text for q in raw]
        split = _quote_sentences(raw)
        for field in ("killed", "wounded"):
            for message, hint in _casualty_problems(incident, field, quotes, split):
                problems.append(doc.diagnostic(incident.yaml_path + (field,), "F001", message, hint))
        for field, code, what in _FIELDS:
            value = getattr(incident, field)
            if value is None or value == "unknown":
                continue
            if not name_supported(value, quotes):
                problems.append(doc.diagnostic(
                    incident.yaml_path + (field,), code,
                    f"incident {incident.id!r}: {field} {value!r} appears in none of its {len(quotes)} quote(s)",
                    _hint(field, incident),
                ))
    return problems


def _casualty_problems(incident: Incident, field: str, quotes: list[str], split: list[str]) -> list[tuple[str, str]]:
    """F001 messages and hints for `killed` or `wounded`: a figure, a sum of figures, or 'deadly'."""
    name = f"incident {incident.id!r}: {field}"
    word = incident.killed_word if field == "killed" else None
    if word is not None:
        if re.search(rf"(?<!\w){word}(?!\w)", " ".join(quotes), re.IGNORECASE):
            return []
        return [(f"{name} {word!r}, but none of its {len(quotes)} quote(s) says {word!r}",
                 f"cite the passage that calls it {word}, or write '{field}: null' if no source says anyone died")]
    total, parts = getattr(incident, field), getattr(incident, f"{field}_parts")
    if total is None:
        return []
    words, singular, what, examples = _CASUALTY[field]
    if not parts:
        problem = _unsupported(total, 1, quotes, split, words, singular, what)
        if problem is None:
            return []
        return [(f"{name} {total} {problem[0]}", _count_hint(field, what, examples, problem[1]))]
    problems = []
    shown = " + ".join(map(str, parts))
    if sum(parts) != total:
        problems.append((f"{name} total {total} is not the sum of its parts {shown} = {sum(parts)}",
                         "correct the total, or the parts: each part is a figure a quote gives"))
    for part, needed in Counter(parts).items():
        problem = _unsupported(part, needed, quotes, split, words, singular, what)
        if problem is not None:
            problems.append((f"{name} {total} = {shown}: the part {part} {problem[0]}",
                             _count_hint(field, what, examples, problem[1])))
    return problems


def _unsupported(n: int, needed: int, quotes: list[str], split: list[str], words: re.Pattern[str],
                 singular: re.Pattern[str], what: str) -> tuple[str, str] | None:
    """Why the figure `n` (wanted `needed` times) is not supported, and what is missing: 'figure'
    (no quote gives it), 'word' (no sentence giving it reports deaths or injuries) or 'repeat'
    (a part of a sum is given fewer times than the sum names it). None when it is supported."""
    bound = sum(_occurrences(n, s, singular) for s in split if words.search(s))
    if bound >= needed:
        return None
    if bound:
        return f"is named {needed} times in the sum but given {bound} time(s) in sentences that report {what}", "repeat"
    loose = next((s for s in split if _occurrences(n, s, _SINGULAR)), None)
    if loose is None:
        return f"appears in none of its {len(quotes)} quote(s)", "figure"
    shown = loose if len(loose) <= 100 else loose[:100] + "…"
    return f"is in its quotes, but in no sentence that reports {what}: \"{shown}\"", "word"


def _count_hint(field: str, what: str, examples: str, missing: str) -> str:
    if missing == "figure":
        return (f"cite the passage that gives the figure, or write '{field}: null' if no source gives it "
                f"(a total of several figures is written '{field}: {{total: 6, from: [5, 1]}}')")
    if missing == "word":
        return (f"a figure counts only in a sentence that reports {what} ({examples}): cite the sentence that "
                f"gives it as {what}, or write '{field}: null' if no source does")
    return f"each part of the sum needs its own mention in a sentence that reports {what}: cite it, or correct the parts"


def _hint(field: str, incident: Incident) -> str:
    return f"cite a passage that names it, or write '{field}: null' if no source does"
