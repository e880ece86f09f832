"""Quote matching: tolerant of typography, strict on words, numbers and case."""

from __future__ import annotations

import pytest

from threatbrief.sources.quotes import closest, find, normalize, word_differences

SOURCE = (
    "ISIS Targets Chinese Citizen.\n"
    "    The victim’s vehicle was targeted — officials said — near the “gold mine”.\n"
    "According to Tajik officials, one Chinese worker was killed and four wounded; "
    "unofficial reports said the numbers were far higher.\n"
    "The group con\u00adtinued its cam-\npaign in Takhar province.\n"
    "ﬁve ﬁghters and Café owners\n"
)


@pytest.mark.parametrize("quote", [
    "The victim's vehicle was targeted - officials said - near the \"gold mine\"",  # straight for curly
    "The victim’s vehicle was targeted — officials said — near the “gold mine”",   # exact
    "The victim's  vehicle\n   was targeted",                                      # whitespace, line break
    "The victim's vehicle was targeted – officials said",                           # en dash for em dash
    "one Chinese worker was killed and four wounded",
    "Chinese Citizen. The victim's vehicle",                                         # across a line break
    "The group continued its",                                                      # soft hyphen in source
    "five fighters and Café owners",                                                # NFKC ligatures
    "Cafe\u0301 owners",                                                            # combining accent
    "one Chinese worker [...] far higher",                                          # elision
    "According to Tajik officials […] unofficial reports",                          # elision, ellipsis char
    "According to Tajik officials … unofficial reports",                            # bare ellipsis elides
    "its campaign in Takhar province",                                              # hyphenated line break
    "its cam-paign in Takhar province",                                             # … quoted with its hyphen
])
def test_matches(quote: str) -> None:
    assert find(quote, normalize(SOURCE)) is not None


@pytest.mark.parametrize("quote", [
    "one Chinese worker was killed and five wounded",        # number changed
    "one Chinese worker was killed and 4 wounded",           # digit for word is a change of words
    "two Chinese workers were killed",                       # words changed
    "One Chinese worker was killed",                         # case
    "the victim's vehicle was targeted",                     # case
    "far higher [...] one Chinese worker",                   # elided parts out of order
    "one Chinese worker was killed and four wounded [...] in Kabul",  # a part missing
    "The group con-tinued its",                              # a soft hyphen is not a written hyphen
    "one Chi-nese worker",                                   # no line break there: a hyphen is a change
    "officials said near the",                               # words dropped
])
def test_misses(quote: str) -> None:
    assert find(quote, normalize(SOURCE)) is None


def test_match_is_located_in_the_original_text() -> None:
    spans = find("one Chinese worker [...] far higher", normalize(SOURCE))
    assert spans is not None
    assert [SOURCE[a:b] for a, b in spans] == ["one Chinese worker", "far higher"]


def test_span_covers_original_typography() -> None:
    spans = find("victim's vehicle was targeted - officials", normalize(SOURCE))
    assert spans is not None
    (a, b), = spans
    assert SOURCE[a:b] == "victim’s vehicle was targeted — officials"


def test_locations_survive_edits_that_change_length() -> None:
    text = "Tab\t\t  here … and   “there”\nnext cam-\n   paign e\u0301t\u00e9 end"
    for quote, expected in [("here ... and", "here … and"), ("there\" next", "there”\nnext"),
                            ("campaign", "cam-\n   paign"), ("été end", "e\u0301t\u00e9 end"), ("Tab here", "Tab\t\t  here")]:
        spans = find(quote, normalize(text))
        assert spans is not None, quote
        assert [text[a:b] for a, b in spans] == [expected]


def test_closest_passage_explains_a_changed_number() -> None:
    quote = "one Chinese worker was killed and five wounded"
    miss = closest(quote, normalize(SOURCE), SOURCE)
    assert "one Chinese worker was killed and four wounded" in miss.passage
    assert 80 <= miss.similarity < 100
    assert any("'five'" in d and "'four'" in d for d in miss.differences)
    assert SOURCE[miss.start:miss.end].startswith("one Chinese worker")


def test_word_differences_names_missing_and_added_words() -> None:
    assert word_differences("the big red car", "the red car") == ["quote adds 'big'"]
    assert word_differences("the car", "the red car") == ["quote leaves out 'red'"]


# A slow, obviously correct normalizer to hold the fast one to.
import re as _re  # noqa: E402
import unicodedata as _ud  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from threatbrief.sources.quotes import _DROP, _FOLD, _SPACELESS, _attaches  # noqa: E402
from quote_reference import rejoin  # noqa: E402

# Compatibility forms that are typography: ligatures, Arabic presentation forms, full/half width.
TYPOGRAPHIC_FORMS = [(0xFB00, 0xFB17), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF), (0xFF00, 0xFFEF)]


def fold(c: str) -> str:
    """The rule for one character: typography folds, what a character says never does (no NFKC
    for "²", "½", "①"…)."""
    if c in _DROP:
        return ""
    if c == "…":
        return "..."
    if any(low <= ord(c) <= high for low, high in TYPOGRAPHIC_FORMS):
        return "".join(" " if k.isspace() else _FOLD.get(k, k) for k in _ud.normalize("NFKC", c))
    return " " if c.isspace() else _FOLD.get(c, c)





def reference(text: str) -> str:
    text = rejoin(text)
    out = []
    i = 0
    while i < len(text):
        if text[i] in _DROP:  # dropped on its own: a mark after it stays
            i += 1
            continue
        j = i + 1
        while j < len(text) and _attaches(text[j]):
            j += 1
        composed = _ud.normalize("NFC", "".join(fold(c) for c in text[i:j]))  # canonical composition only
        out.extend(" " if c.isspace() else _FOLD.get(c, c) for c in composed)
        i = j
    text = _re.sub(r" {2,}", " ", "".join(out))
    # no space beside a CJK character ("中国\n公民" is "中国公民"), unless a mark follows it
    return "".join(c for k, c in enumerate(text) if not (
        c == " " and not (k + 1 < len(text) and _attaches(text[k + 1]))
        and (k and is_cjk(text[k - 1]) or k + 1 < len(text) and is_cjk(text[k + 1]))))


def is_cjk(c: str) -> bool:
    return bool(_SPACELESS.match(c)) and not c.isdecimal() or "\u3001" <= c <= "\u303f"


ALPHABET = "ab Z-/\n\t\r\f’“”—–‐…ﬁé\u0301\u00ad\u00a0\u200b\u202e１²½ｶﾞﹰ\u1fef"


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_fast_normalizer_agrees_with_the_reference(text: str) -> None:
    normalized = normalize(text)
    assert normalized.text == reference(text)
    offsets = [normalized.to_original(i) for i in range(len(normalized.text))]
    assert offsets == sorted(offsets) and all(0 <= o < max(len(text), 1) for o in offsets)


@pytest.mark.parametrize("quote", [
    "The victim's vehicle was targeted - officials said - near the \"gold mine\"",
    "Chinese Citizen. The victim's vehicle",
    "one Chinese worker [...] far higher",
    "one Chinese worker was killed and five wounded",
    "One Chinese worker was killed",
    # word boundaries: each tier refuses a quote cut out of a word, and accepts one that is not
    "ne Chinese worker was killed",
    "one Chinese worker was kill",
    "one Chinese worker [...] ar higher",
    "The victim",
    "s vehicle was targeted",
    "its cam",
    "its cam-",
    "paign in Takhar province",
    "its cam-\npaign in Takhar",  # copied with the line break: found verbatim, and found in full
    "its cam- paign in Takhar",  # a hyphen and a space are not a word broken across lines
    "The group con",
    "tinued its",
    "ve fighters",
    "Caf",
    "the “gold mine”.",
    "Takhar province.",
])
def test_cheap_tiers_agree_with_full_matching(quote: str) -> None:
    from threatbrief.sources.quotes import find_typographic, find_verbatim, locate

    full = find(quote, normalize(SOURCE))
    for tier in (find_verbatim(quote, SOURCE), find_typographic(quote, SOURCE)):
        assert tier is None or tier == full
    assert locate(quote, SOURCE, lambda: normalize(SOURCE)) == full


def test_generated_unicode_tables_match_what_quotes_computes() -> None:
    """threatbrief/sources/unicode_tables.py spares every run a scan of the code points; it must stay true."""
    import unicodedata

    from threatbrief.sources import quotes, unicode_tables

    if unicode_tables.UNIDATA_VERSION != unicodedata.unidata_version:
        pytest.skip("tables generated for another Unicode version: quotes.py computes them itself")
    assert frozenset(unicode_tables.COMPOSERS) == quotes._composers()
    assert unicode_tables.UNSTABLE_CLASS == quotes._compute_unstable_class()
    assert unicode_tables.SPACES == "".join(chr(c) for c in range(0x10000) if chr(c).isspace())
