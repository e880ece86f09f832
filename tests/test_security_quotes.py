"""Regressions for a break-in attempt on quote verification: each test names the finding it holds.

1. Quotes starting or ending inside a word or number passed as verbatim.
2. NFKC folded content, not just typography ("3²" became "32").
3. The elision regex (and others) backtracked quadratically on long runs of whitespace.
4. Explaining a miss (`closest`) was quadratic and could not be interrupted.
"""

from __future__ import annotations

import random
import signal
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quote_reference import tiers

from threatbrief.check.facts import count_supported
from threatbrief.sources.quotes import (
    closest,
    find,
    find_typographic,
    find_verbatim,
    locate,
    normalize,
    quote_parts,
    word_differences,
)


# 1. Word boundaries ----------------------------------------------------------------------------

@pytest.mark.parametrize("quote, source", [
    ("provin", "in Takhar province"),
    ("harmed", "he was unharmed"),
    ("harmed", "he was harmedly"),
    ("Nov. 1", "attack of Nov. 18"),
    ("4 wounded", "14 wounded"),
    ("000 killed", "1,000 killed"),
    ("5 killed", "1.5 killed"),
    ("5 killed", "2.5 killed"),
    ("killed 1", "killed 1,000"),
    ("killed 1", "killed 1.5 percent"),
    ("killed 1.", "killed 1.5 percent"),
    (",000 killed", "1,000 killed"),
    ("s office", "the minister's office"),
    ("s office", "the minister’s office"),  # curly apostrophe folds to a straight one
    ("the minister", "the minister's office"),
    ("the minister", "the minister’s office"),
    ("'s office", "the minister’s office"),
    ("killed 3", "killed 3² times"),  # a superscript is part of the number
    ("one Chinese [...] ar higher", "one Chinese worker, far higher"),  # every fragment
    ("ne Chinese [...] far higher", "one Chinese worker, far higher"),
    ("one Chinese … far hig", "one Chinese worker, far higher"),
    ("Chinese work", "one Chinese worker"),
    ("harmed", "he was un\u00adharmed"),  # a soft hyphen is invisible: still one word
    ("harmed", "he was un\u200bharmed"),
    ("harmed", "he was un\u202eharmed"),
    ("\u200bharmed", "he was un\u200bharmed"),
    ("harmed", "he was une\u0301harmed"),  # the accent belongs to the letter before
    ("cafe", "the cafe\u0301 owner"),  # the match would end inside "é"
    ("paign in Takhar", "its cam-\npaign in Takhar"),  # a word broken across lines is one word
    ("its cam", "its cam-\npaign in Takhar"),
    ("Ｎｏｖ. 1", "Nov. 18"),  # full-width forms fold before the boundary is checked
    ("Nov. 1", "Ｎｏｖ. １８"),
    ("killed 1", "killed １，０００"),
])
def test_quote_cut_out_of_a_word_or_number_is_not_found(quote: str, source: str) -> None:
    assert tiers(quote, source) == dict.fromkeys(["verbatim", "typographic", "normalized", "locate"])


@pytest.mark.parametrize("quote, source, expected", [
    ("Taliban fighters", "pro-Taliban fighters", "Taliban fighters"),  # a hyphen is a boundary
    ("pro-Taliban", "pro-Taliban fighters", "pro-Taliban"),
    ("the ministers", "the ministers' office", "the ministers"),
    ("killed 1,000", "killed 1,000, wounded 4", "killed 1,000"),
    ("killed 1", "killed 1, wounded 4", "killed 1"),
    ("wounded 4.", "killed 1, wounded 4. Then", "wounded 4."),
    ("“gold mine”", "near the “gold mine”.", "“gold mine”"),
    ("中国公民", "一名中国公民被杀", "中国公民"),  # Han: any character boundary will do
    ("カタカナ", "ひらがなカタカナ漢字", "カタカナ"),
    ("ภาษาไทย", "เขียนภาษาไทยได้", "ภาษาไทย"),
    ("Takhar", "the 中Takhar province", "Takhar"),
])
def test_quote_on_word_boundaries_is_found(quote: str, source: str, expected: str) -> None:
    for tier, spans in tiers(quote, source).items():
        assert spans is not None, tier
        assert [source[a:b] for a, b in spans] == [expected], tier


def test_a_later_occurrence_on_word_boundaries_still_counts() -> None:
    source = "he was unharmed; later he was harmed"
    for tier, spans in tiers("harmed", source).items():
        assert spans == [(source.rindex("harmed"), len(source))], tier


def test_each_fragment_of_an_elided_quote_is_on_word_boundaries() -> None:
    source = "Nov. 18 was calm. On Nov. 1 the attack came"
    for tier, spans in tiers("Nov. 1 [...] came", source).items():
        assert spans is not None, tier
        assert source[spans[0][0]:spans[0][1]] == "Nov. 1" and spans[0][0] == source.rindex("Nov. 1"), tier


BOUNDARY_ALPHABET = "ab1 ,.'’-\n\u00ad\u200b中é\u0301１，"


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=BOUNDARY_ALPHABET, max_size=24), st.data())
def test_cheap_tiers_never_accept_what_full_matching_refuses(source: str, data: st.DataObject) -> None:
    """`locate` tries the cheap tiers first: their word-boundary test must agree with the full one."""
    start = data.draw(st.integers(0, len(source)))
    end = data.draw(st.integers(start, len(source)))
    quote = source[start:end]
    if not quote.strip():
        return
    full = find(quote, normalize(source))
    for tier in (find_verbatim(quote, source), find_typographic(quote, source)):
        assert tier is None or full is not None


@pytest.mark.parametrize("n, quote", [
    (20, "the attack in 2015 left many dead"),
    (4, "14 killed"),
    (1, "1,000 killed"),
    (1, "1.5 million displaced"),
    (5, "2.5 percent"),
    (3, "3² killed"),
    (1, "on the A1 road"),
    (5, "the 5th attack"),
    (4, "fourteen killed"),
    (1, "twenty-one killed"),
    (20, "twenty-one killed"),
    (4, "forty-four killed"),
    (4, "four hundred killed"),
    (4, "four thousand displaced"),
    (1, "one hundred killed"),
    (100, "a hundred and five killed"),
])
def test_figures_must_be_whole_numbers(n: int, quote: str) -> None:
    assert not count_supported(n, [quote])


@pytest.mark.parametrize("n, quote", [
    (4, "4 killed"), (4, "killed 4."), (4, "four wounded"), (4, "Four wounded"), (21, "twenty-one killed"),
    (21, "twenty one killed"), (1000, "1,000 killed"), (1000, "1000 killed"), (400, "four hundred killed"),
    (100, "a hundred killed"), (20, "twenty killed"), (1, "one killed, twenty-one wounded"),
    (1, "A Chinese citizen was killed"), (4, "a 4-year-old"), (1, "one two-year-old was killed"),
    (20, "twenty killed, twenty-one wounded"),
])
def test_whole_figures_are_still_supported(n: int, quote: str) -> None:
    assert count_supported(n, [quote])


# 2. Typography folds, content does not -------------------------------------------------------

@pytest.mark.parametrize("quote, source", [
    ("32 killed", "3² killed"),
    ("1/2 of them", "½ of them"),
    ("1\u20442 of them", "½ of them"),
    ("H2O supply", "H₂O supply"),
    ("1 killed", "① killed"),
    ("IV battalion", "Ⅳ battalion"),
    ("km away", "㎞ away"),
])
def test_compatibility_forms_that_change_content_do_not_fold(quote: str, source: str) -> None:
    assert tiers(quote, source) == dict.fromkeys(["verbatim", "typographic", "normalized", "locate"])


@pytest.mark.parametrize("quote, source", [
    ("18 killed", "１８ killed"),
    ("Nov. 18", "Ｎｏｖ. １８"),
    ("five fighters", "ﬁve ﬁghters"),
    ("café owners", "cafe\u0301 owners"),
    ("le café", "le cafe\u0301"),  # the span ends past the accent
    ("カタカナ", "ｶﾀｶﾅ"),
    ("ガソリン", "ｶﾞｿﾘﾝ"),  # a half-width sound mark composes with its kana
    ("한국 가요", "한국 \u1100\u1161요"),  # Hangul jamo compose (NFC)
    ("لا إله", "ﻻ إله"),  # Arabic presentation form
    ("the victim", "the vic\u202etim"),  # bidi controls are invisible
    ("the victim", "the vic\u2066tim\u2069"),
])
def test_typographic_forms_fold(quote: str, source: str) -> None:
    spans = find(quote, normalize(source))
    assert spans is not None
    assert locate(quote, source, lambda: normalize(source)) == spans
    (a, b), = spans
    assert normalize(source[a:b]).text == normalize(quote).text


def test_folded_full_width_digits_map_back_to_the_original() -> None:
    source = "on Nov. １８, ３ killed"
    spans = find("18, 3 killed", normalize(source))
    assert spans is not None
    assert [source[a:b] for a, b in spans] == ["１８, ３ killed"]


# 3. Linear-time regular expressions ----------------------------------------------------------

def test_long_runs_of_whitespace_are_processed_in_linear_time() -> None:
    quote = "a" + " " * 100_000 + "b"
    source = " " * 100_000
    started = time.perf_counter()
    assert quote_parts(quote) == ["a b"]
    assert find(quote, normalize(source)) is None
    assert locate(quote, source, lambda: normalize(source)) is None
    other = "a" + " " * 100_000 + "c"
    assert locate("a" + "\t \n" * 30_000 + "[...] b", other, lambda: normalize(other)) is None
    assert not count_supported(1, ["a" + " " * 100_000 + "x"])
    assert time.perf_counter() - started < 1


# 4. Explaining a miss: bounded and interruptible ---------------------------------------------

WORDS = ("the of and to in a is was were killed wounded province attack officials said group border "
         "chinese worker workers mine gold convoy police district reported claimed").split()


def prose(size: int, seed: int) -> str:
    rng = random.Random(seed)
    words = []
    length = 0
    while length < size:
        word = rng.choice(WORDS)
        words.append(word)
        length += len(word) + 1
    return " ".join(words)


def test_closest_is_fast_on_a_large_source_and_a_long_quote() -> None:
    """A 2,000-character quote whose start is in the source and whose rest is not: aligning all
    of it took seconds (the longer the quote, the worse); the first ~250 characters suffice."""
    source = prose(5_000_000, seed=1)
    at = source.index(" ", 3_000_000) + 1
    quote = source[at:source.rindex(" ", at, at + 200)] + " Exactly " + prose(1_800, seed=9)
    assert len(quote) > 2_000
    normalized = normalize(source)
    started = time.perf_counter()
    miss = closest(quote, normalized, source)
    assert time.perf_counter() - started < 1
    assert miss.similarity > 80
    assert at - 20 <= miss.start <= at + 20
    assert len(miss.passage) < 500


def test_closest_gives_way_to_a_signal_between_chunks() -> None:
    """rapidfuzz runs in C without checking signals: one long call would hold off Ctrl-C."""
    source = prose(8_000_000, seed=2)
    quote = "Exactly " + prose(200, seed=3)
    normalized = normalize(source)
    started = time.perf_counter()
    closest(quote, normalized, source)
    full = time.perf_counter() - started

    class Interrupted(Exception):
        pass

    def interrupt(signum: int, frame: object) -> None:
        raise Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, full / 20)
        started = time.perf_counter()
        with pytest.raises(Interrupted):
            closest(quote, normalized, source)
        waited = time.perf_counter() - started
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert waited < full / 2


def test_closest_passage_stays_short_in_a_source_without_spaces() -> None:
    source = "x" * 1_000_000
    miss = closest("a quote that is not there at all", normalize(source), source)
    assert len(miss.passage) < 1_000


def test_word_differences_is_bounded() -> None:
    quote, passage = prose(60_000, seed=4), prose(60_000, seed=5)
    started = time.perf_counter()
    word_differences(quote, passage)
    assert time.perf_counter() - started < 1
