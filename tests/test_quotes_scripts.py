"""Quote matching in Chinese and in Arabic-script languages (Pashto, Dari/Persian, Urdu).

Chinese: no spaces between words, and extraction breaks lines inside sentences; full-width forms
are typography. Arabic script: the Arabic and the Persian code point for one letter or digit are
one, the tatweel is typography, and words are still separated by spaces.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from threatbrief.sources.quotes import find, find_typographic, find_verbatim, locate, normalize
from quote_reference import rejoin, tiers

CHINESE = "据塔吉克斯坦官员称，一名中国\n公民于 2024 年 11 月在塔哈尔省遇袭身亡（另有２人受伤）。"
PERSIAN = "به گفته مقام‌های تاجیکستان، یک کارگر چینی در ولایت تخار کشته و ۱۴ زخمی شدند. این حمله در ۱۸ نوامبر ۲۰۲۴ رخ داد."
PASHTO = "په تخار ولایت کې یو چینایي انجنیر ټپي شو او دوه کسان ووژل شول."
URDU = "تخار صوبے میں ایک چینی انجینئر زخمی ہوا اور پولیس نے کہا کہ حملہ آور فرار ہو گئے۔"

TIERS = ("verbatim", "typographic", "normalized", "locate")


def found(quote: str, source: str) -> list[str]:
    """The original passages `locate` finds, after checking that the cheap tiers agree with it."""
    spans = find(quote, normalize(source))
    assert spans is not None, quote
    for tier in (find_verbatim(quote, source), find_typographic(quote, source)):
        assert tier is None or tier == spans
    assert locate(quote, source, lambda: normalize(source)) == spans
    return [source[a:b] for a, b in spans]


def arabic_letters(text: str) -> str:
    """The same text typed on an Arabic keyboard: ي for ی and ك for ک."""
    return text.translate(str.maketrans("یک", "يك"))


# Chinese ---------------------------------------------------------------------------------------

def test_whitespace_inside_a_chinese_sentence_is_removed() -> None:
    assert normalize("中国\n公民").text == normalize("中国公民").text == "中国公民"
    assert normalize("于 2024 年").text == "于2024年"
    assert normalize("中国\r\n  \u200b公民").text == "中国公民"
    assert normalize("塔哈尔省。 The attack").text == "塔哈尔省。The attack"  # CJK punctuation too
    assert normalize("事件，\n“我们").text == '事件,"我们'  # full-width punctuation too
    assert normalize("Takhar province  and Kabul").text == "Takhar province and Kabul"  # elsewhere, as before
    assert normalize("１ ２ ＡＢＣ ＤＥＦ").text == "1 2 ABC DEF"  # full-width letters and digits keep theirs


def test_a_chinese_quote_matches_across_a_line_break_and_spaces_and_maps_back() -> None:
    quote = "一名中国公民于2024年11月在塔哈尔省遇袭身亡"
    [passage] = found(quote, CHINESE)
    assert passage == "一名中国\n公民于 2024 年 11 月在塔哈尔省遇袭身亡"
    start, end = locate(quote, CHINESE, lambda: normalize(CHINESE))[0]
    assert CHINESE[start] == "一" and CHINESE[end - 1] == "亡" and CHINESE[end] == "（"


def test_a_quote_broken_where_the_source_is_not_still_matches() -> None:
    assert found("中国 公民于2024年", CHINESE) == ["中国\n公民于 2024 年"]
    assert found("中国公民 [...] 塔哈尔省", CHINESE) == ["中国\n公民", "塔哈尔省"]


@pytest.mark.parametrize("quote, source, expected", [
    ("受伤（另有2人受伤）", "遇袭身亡（另有２人受伤）。", None),  # wrong word first: not found
    ("身亡(另有2人受伤)", "遇袭身亡（另有２人受伤）。", "身亡（另有２人受伤）"),
    ("身亡（另有２人受伤）", "遇袭身亡(另有2人受伤)。", "身亡(另有2人受伤)"),
    ("官员称,一名中国公民", "据官员称，一名中国公民", "官员称，一名中国公民"),
    ("官员称，一名中国公民", "据官员称,一名中国公民", "官员称,一名中国公民"),
    ("于2024年", "于２０２４年", "于２０２４年"),
    ("于２０２４年", "于 2024 年", "于 2024 年"),
    ("事件，“我们", "事件，\n“我们”", "事件，\n“我们"),
    ("于2024年", "于１２０２４年", None),  # a number is still a whole number
])
def test_full_width_and_half_width_forms_match_both_ways(quote: str, source: str, expected: str | None) -> None:
    if expected is None:
        assert tiers(quote, source) == dict.fromkeys(TIERS)
    else:
        assert found(quote, source) == [expected]


def test_the_ideographic_full_stop_is_not_a_period() -> None:
    assert normalize("身亡。").text != normalize("身亡.").text
    assert normalize("身亡｡").text == "身亡。"  # its half-width form is the same character
    assert tiers("遇袭身亡.", "在塔哈尔省遇袭身亡。") == dict.fromkeys(TIERS)


@pytest.mark.parametrize("quote", [
    "一名中国公民于2024年11月在塔哈尔省遇袭死亡",  # one character changed: "died" for "killed in an attack"
    "一名中国公民于2025年",
    "一名美国公民",
    "中国公民于 2024 年 12 月",
])
def test_a_chinese_quote_with_one_wrong_character_is_not_found(quote: str) -> None:
    assert tiers(quote, CHINESE) == dict.fromkeys(TIERS)


# Arabic script ---------------------------------------------------------------------------------

@pytest.mark.parametrize("source", [PERSIAN, PASHTO, URDU])
def test_arabic_and_persian_yeh_and_kaf_are_one_letter_both_ways(source: str) -> None:
    sentence = source[:40].rsplit(" ", 1)[0]
    assert ("ی" in sentence or "ي" in sentence) and "ک" in sentence
    assert found(arabic_letters(sentence), source) == [sentence]
    typed = arabic_letters(source)
    assert found(sentence, typed) == [arabic_letters(sentence)]
    # without normalizing the whole source: the typographic tier knows the variants
    assert find_typographic(arabic_letters(sentence), source) == [(0, len(sentence))]


@pytest.mark.parametrize("quote", [
    "۱۸ نوامبر ۲۰۲۴",  # Persian digits, as in the source
    "١٨ نوامبر ٢٠٢٤",  # Arabic-Indic digits
    "18 نوامبر 2024",
    "۱8 نوامبر ٢٠24",
])
def test_persian_arabic_indic_and_ascii_digits_are_the_same_numbers(quote: str) -> None:
    assert found(quote, PERSIAN) == ["۱۸ نوامبر ۲۰۲۴"]
    assert found("۱۸ نوامبر ۲۰۲۴", PERSIAN.replace("۱۸ نوامبر ۲۰۲۴", quote)) == [quote]


@pytest.mark.parametrize("quote, source", [
    ("۱۹ نوامبر ۲۰۲۴", PERSIAN),  # a wrong digit
    ("18 نوامبر 2025", PERSIAN),
    ("۴ زخمی", PERSIAN),  # "4 wounded" out of "14 wounded"
    ("4 زخمی", PERSIAN),
    ("٤ زخمی", PERSIAN),
    ("۱ زخمی", "۱٬۰۰۰ زخمی"),
    ("در ولای", PERSIAN),  # a partial word: "provin" of "province"
    ("لایت تخار", PERSIAN),
    ("کارگر چین", PERSIAN),
    ("کارگر چینی در ولایت تخار کشته و", PERSIAN.replace("کشته و", "کشته‌اند و")),  # ZWNJ joins the word
    ("تخار ولایت ک", PASHTO),
    ("ایک چینی انجینئر زخمی ہو", URDU),
])
def test_arabic_script_keeps_words_and_numbers_whole(quote: str, source: str) -> None:
    assert tiers(quote, source) == dict.fromkeys(TIERS)


def test_arabic_script_words_are_separated_by_spaces() -> None:
    """Not a script without spaces: a line break is a space, and stays one."""
    assert normalize("در ولایت\nتخار").text == "در ولایت تخار"
    assert tiers("در ولایتتخار", "در ولایت\nتخار") == dict.fromkeys(TIERS)
    assert found("یو چینایی انجنیر", PASHTO) == ["یو چینایي انجنیر"]  # whole words, ي as ی


def test_letters_that_differ_do_not_fold() -> None:
    assert normalize("على").text != normalize("علی").text  # alef maksura is not yeh
    assert normalize("ه").text != normalize("ہ").text != normalize("ە").text
    assert normalize("کَتَب").text == "کَتَب" != normalize("کتب").text  # vowel marks stay
    assert tiers("کتب", "کَتَب") == dict.fromkeys(TIERS)


def test_tatweel_is_dropped_in_the_source_and_in_the_quote() -> None:
    source = "گزارش‌های غیررسمی حاکی از آن است که شمار کـــشته‌ها بسیار بیشتر است"
    assert normalize("کـــشته").text == "کشته"
    quote = "شمار کشته‌ها بسیار بیشتر"
    assert find_verbatim(quote, source) is None  # not copied exactly…
    assert found(quote, source) == ["شمار کـــشته‌ها بسیار بیشتر"]
    assert find_typographic(quote, source) == [(source.index("شمار"), source.index(" است", 50))]  # …but no matter
    # a quote with a tatweel goes to the normalized text, like one with any invisible character
    stretched = "حاکی از آن است که شـمار"
    assert find_verbatim(stretched, source) is None and find_typographic(stretched, source) is None
    assert found(stretched, source) == ["حاکی از آن است که شمار"]
    assert tiers("شمار کـشته", source) == dict.fromkeys(TIERS)  # "کشته‌ها" is one word (ZWNJ)


def test_zwnj_missing_in_the_quote_still_matches() -> None:
    assert found("به گفته مقامهای تاجیکستان", PERSIAN) == ["به گفته مقام‌های تاجیکستان"]
    assert found("به گفته مقام‌های تاجیکستان", PERSIAN.replace("\u200c", "")) == ["به گفته مقامهای تاجیکستان"]


def test_bidi_controls_in_right_to_left_text_are_dropped() -> None:
    source = "\u202bدر ولایت \u200fتخار\u202c رخ داد"
    assert found("در ولایت تخار", source) == ["در ولایت \u200fتخار"]


def test_yeh_with_hamza_still_composes() -> None:
    """ي + hamza above is canonically ئ; ی + hamza above is not: no tier may equate them."""
    assert normalize("ي\u0654").text == normalize("ئ").text == "ئ"
    assert normalize("ی\u0654").text != "ئ"
    source = "د ي\u0654و کس وژل شوی"
    assert tiers("د ی\u0654و کس", source) == dict.fromkeys(TIERS)
    assert found("د ئو کس", source) == ["د ي\u0654و کس"]


# Every tier agrees -----------------------------------------------------------------------------

@pytest.mark.parametrize("quote, source", [
    ("一名中国公民于2024年", CHINESE),
    ("中国\n公民于 2024 年", CHINESE),
    ("中国 公民", CHINESE),
    ("国公民", CHINESE),
    ("2024 年 11 月", CHINESE),
    ("024年", CHINESE),
    ("人受伤）。", CHINESE),
    ("另有2人受伤", CHINESE),
    (arabic_letters("یک کارگر چینی"), PERSIAN),
    ("یک کارگر چینی", arabic_letters(PERSIAN)),
    ("۱۴ زخمی", PERSIAN),
    ("14 زخمی", PERSIAN),
    ("4 زخمی", PERSIAN),
    ("کشته و ۱۴", PERSIAN),
    ("ولایت تخار", PERSIAN),
    ("ولای", PERSIAN),
    ("دوه کسان ووژل شول.", PASHTO),
    ("زخمی ہوا اور", URDU),
    ("中国 ABC", "据称中国\nABC 公司"),
    ("ABC 公司", "据称中国 ABC\n公司"),
    ("ABC公司", "据称中国 ABC\n公司"),
    ("称中国A", "据称中国 ABC"),
])
def test_cheap_tiers_agree_with_full_matching(quote: str, source: str) -> None:
    full = find(quote, normalize(source))
    for tier in (find_verbatim(quote, source), find_typographic(quote, source)):
        assert tier is None or tier == full
    assert locate(quote, source, lambda: normalize(source)) == full


# Line breaks after a slash or a dash ------------------------------------------------------------
# PDF and hard-wrapped text break lines after a slash or a hyphen with no space: the line break is
# layout, not a space ("RFE/\nRL" is "RFE/RL"). A lowercase letter after a hyphen is still a word
# hyphenated across lines ("cam-\npaign" is "campaign").

RFE = "Officials told RFE/\nRL’s Ozodi on Tuesday that the convoy was hit."


@pytest.mark.parametrize("source, quote, expected", [
    (RFE, "told RFE/RL’s Ozodi on Tuesday", "told RFE/\nRL’s Ozodi on Tuesday"),
    (RFE, "RFE/RL's Ozodi", "RFE/\nRL’s Ozodi"),
    (RFE, "RFE/\nRL’s Ozodi", "RFE/\nRL’s Ozodi"),  # copied with the line break
    (RFE, "RFE/", "RFE/"),  # the slash is a word boundary, and the line break is not in the span
    (RFE, "RL’s Ozodi on", "RL’s Ozodi on"),
    ("clashes in Gorno-\nBadakhshan province", "Gorno-Badakhshan province", "Gorno-\nBadakhshan province"),
    ("clashes in Gorno-\nBadakhshan province", "Gorno-", "Gorno-"),
    ("clashes in Gorno-\nBadakhshan province", "Badakhshan", "Badakhshan"),
    ("as reported by Asia-\nPlus on Monday", "reported by Asia-Plus", "reported by Asia-\nPlus"),
    ("new Covid-\n19 cases were reported", "new Covid-19 cases", "new Covid-\n19 cases"),
    ("killed and/\nor wounded", "killed and/or wounded", "killed and/\nor wounded"),
    ("see https://example.org/\npath for details", "https://example.org/path for",
     "https://example.org/\npath for"),
    ("killed and/\r\nor wounded", "and/or wounded", "and/\r\nor wounded"),  # CRLF
    ("killed and/\n    or wounded", "and/or wounded", "and/\n    or wounded"),  # indented
    ("told RFE/\fRL on Tuesday", "told RFE/RL on", "told RFE/\fRL on"),  # a page break
    ("in Gorno\u2010\nBadakhshan province", "Gorno-Badakhshan", "Gorno\u2010\nBadakhshan"),  # U+2010
    ("in Gorno\u2011\nBadakhshan province", "Gorno‑Badakhshan", "Gorno\u2011\nBadakhshan"),  # U+2011
    ("the 2023–\n2024 campaign", "2023–2024 campaign", "2023–\n2024 campaign"),  # an en dash
    ("a 2-\nfold rise", "a 2-fold rise", "a 2-\nfold rise"),  # a digit before: no hyphenated word
    ("its cam-\npaign", "its campaign", "its cam-\npaign"),  # a hyphenated word, as before
    ("its cam-\npaign", "its cam-paign", "its cam-\npaign"),
])
def test_a_line_break_after_a_slash_or_a_hyphen_is_no_space(source: str, quote: str, expected: str) -> None:
    assert found(quote, source) == [expected]


@pytest.mark.parametrize("source, quote", [
    (RFE, "RFE/ RL’s Ozodi"),  # the line break is no space: a quote with one is not found
    (RFE, "RFE/ RL"),
    (RFE, "/\nRL’s Ozodi"),  # normalized, the quote is "/ RL's": the source's is "/RL's"
    (RFE, "FE/RL’s"),  # still whole words
    (RFE, "RFE/R"),
    ("clashes in Gorno-\nBadakhshan province", "Gorno- Badakhshan"),
    ("clashes in Gorno-\nBadakhshan province", "GornoBadakhshan"),
    ("new Covid-\n19 cases", "Covid- 19"),
    ("new Covid-\n19 cases", "Covid-1"),
    ("killed and/\nor wounded", "and/ or wounded"),
    ("its cam-\npaign", "its cam- paign"),  # a hyphenated word, as before
])
def test_a_space_where_the_line_broke_after_a_slash_or_a_hyphen_is_not_found(source: str, quote: str) -> None:
    assert tiers(quote, source) == dict.fromkeys(TIERS)


def test_a_space_before_the_line_break_or_before_the_dash_is_a_space() -> None:
    assert normalize("a / \nb").text == normalize("a / b").text == "a / b"
    assert normalize("x - \nY").text == "x - Y"
    assert normalize("RFE/ \nRL").text == "RFE/ RL"  # the space after the slash is the text's
    assert normalize("said -\nThe").text == "said - The"  # a spaced dash, not a hyphen
    assert normalize("said —\nThe").text == "said - The"
    assert normalize("/\nRL").text == "/ RL"  # nothing before the slash
    assert normalize("cam-\npaign and cam-\r\n  paign").text == "campaign and campaign"  # as before
    assert normalize("RFE/\n\u200b RL").text == "RFE/RL"  # invisible characters in the gap too
    assert found("a / b", "see a / \nb") == ["a / \nb"]
    assert found("said - The", "he said -\nThe") == ["said -\nThe"]


def test_a_line_break_after_a_slash_maps_back_exactly() -> None:
    normalized = normalize(RFE)
    at = normalized.text.index("RFE/RL")
    assert normalized.text[at:at + 8] == "RFE/RL's"
    start, end = normalized.span(at, at + 8)
    assert RFE[start:end] == "RFE/\nRL’s"
    assert normalized.span(at, at + 4) == (RFE.index("RFE/"), RFE.index("RFE/") + 4)  # "RFE/": no "\n"
    assert normalized.to_original(at + 4) == RFE.index("RL’s")


def test_line_breaks_after_a_slash_beside_chinese() -> None:
    assert normalize("中国/\n公民").text == "中国/公民"
    assert normalize("ABC/ 公民").text == "ABC/公民"  # beside a CJK character, as before
    assert found("中国/公民", "据称中国/\n公民") == ["中国/\n公民"]


# The 12-character minimum ---------------------------------------------------------------------

def test_verifiable_length_counts_chinese_characters_twice() -> None:
    from threatbrief.sources.quotes import verifiable_length

    assert verifiable_length("造成2名中国公民受伤") == 2 * 9 + 1
    assert verifiable_length("the convoy") == 10
    assert verifiable_length("  the\n   convoy ") == 10  # normalized and stripped
    assert verifiable_length("中国\n公民") == 8
    assert verifiable_length("") == 0


# Properties ------------------------------------------------------------------------------------

MIXED_ALPHABET = "中国 \n\t\u3000，,。（ｶﾞ１1a-/“\u200bی ي\u0654ک٤۴ـ\u200c\u0301\u3099ﹰ"


def is_cjk(ch: str) -> bool:
    """Beside this character (as normalized), whitespace goes: a script without spaces, or CJK punctuation."""
    return bool(re.match(r"[\u3001-\u303f\u3040-\u30ff\u4e00-\u9fff]", ch))


def _full_width_punctuation(ch: str) -> bool:
    return ("\uff01" <= ch <= "\uff60" or "\uffe0" <= ch <= "\uffe6") and not unicodedata.normalize("NFKC", ch).isalnum()


def reference(text: str) -> str:
    """Slow and plain: lines rejoined (`rejoin`), typography folded a character at a time (Arabic
    letters and digits after composition), whitespace collapsed, then removed where a CJK
    character (or full-width punctuation) stands beside it, unless a mark follows."""
    from threatbrief.sources.quotes import _DROP, _FOLD, _SCRIPT_FOLD, _attaches

    def fold(c: str) -> str:
        if c in _DROP:
            return ""
        if c == "…":
            return "..."
        if "\ufb00" <= c <= "\uffef":
            return "".join("" if k in _DROP else " " if k.isspace() else _FOLD.get(k, k) for k in unicodedata.normalize("NFKC", c))
        return " " if c.isspace() else _FOLD.get(c, c)

    text = rejoin(text)
    out: list[tuple[str, str, str]] = []  # a character, and the first and last original it came from
    i = 0
    while i < len(text):
        if text[i] in _DROP:
            i += 1
            continue
        j = i + 1
        while j < len(text) and _attaches(text[j]):
            j += 1
        for c in unicodedata.normalize("NFC", "".join(fold(c) for c in text[i:j])):
            c = " " if c.isspace() else _FOLD.get(c, _SCRIPT_FOLD.get(c, c))
            if not (c == " " and out and out[-1][0] == " "):
                out.append((c, text[i], text[j - 1]))
        i = j
    kept = []
    for k, (c, _, _) in enumerate(out):
        if c == " ":
            left, right = (out[k - 1] if k else None), (out[k + 1] if k + 1 < len(out) else None)
            if not (right and _attaches(right[0])) and (
                    left and (is_cjk(left[0]) or _full_width_punctuation(left[2]))
                    or right and (is_cjk(right[0]) or _full_width_punctuation(right[1]))):
                continue
        kept.append(c)
    return "".join(kept)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=MIXED_ALPHABET, max_size=30))
def test_normalization_agrees_with_the_reference(text: str) -> None:
    normalized = normalize(text)
    assert normalized.text == reference(text)
    offsets = [normalized.to_original(i) for i in range(len(normalized.text))]
    assert offsets == sorted(offsets) and all(0 <= o < max(len(text), 1) for o in offsets)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=MIXED_ALPHABET, max_size=24), st.data())
def test_cheap_tiers_never_accept_what_full_matching_refuses(source: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(source)))
    end = data.draw(st.integers(start, len(source)))
    quote = data.draw(st.sampled_from([source[start:end], source[start:end].translate(str.maketrans("یک4", "يك۴"))]))
    if not quote.strip():
        return
    full = find(quote, normalize(source))
    for tier in (find_verbatim(quote, source), find_typographic(quote, source)):
        assert tier is None or (full is not None and full[0][0] <= tier[0][0])


LATIN_ALPHABET = "aZ1 -/\n\r\f\t‐—.’\u200b\u0301"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=LATIN_ALPHABET, max_size=30))
def test_line_breaks_after_slashes_and_dashes_agree_with_the_reference(text: str) -> None:
    normalized = normalize(text)
    assert normalized.text == reference(text)
    offsets = [normalized.to_original(i) for i in range(len(normalized.text))]
    assert offsets == sorted(offsets) and all(0 <= o < max(len(text), 1) for o in offsets)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=LATIN_ALPHABET, max_size=24), st.data())
def test_tiers_agree_on_line_breaks_after_slashes_and_dashes(source: str, data: st.DataObject) -> None:
    """Whether a quote is found never depends on the tier that found it: a cheap tier finds only
    what the normalized text also holds, and no earlier than it."""
    start = data.draw(st.integers(0, len(source)))
    end = data.draw(st.integers(start, len(source)))
    cut = source[start:end]
    quote = data.draw(st.sampled_from([cut, cut.replace("\n", " "), cut.replace("\n", ""),
                                       re.sub(r"\s+", " ", cut), cut.replace("-", "‐").replace("—", "-")]))
    if not quote.strip():
        return
    full = find(quote, normalize(source))
    for tier in (find_verbatim(quote, source), find_typographic(quote, source)):
        assert tier is None or (full is not None and full[0][0] <= tier[0][0])
    assert (locate(quote, source, lambda: normalize(source)) is None) == (full is None)


def test_generated_cjk_class_matches_what_quotes_computes() -> None:
    from threatbrief.sources import quotes, unicode_tables

    if unicode_tables.UNIDATA_VERSION != unicodedata.unidata_version:
        pytest.skip("tables generated for another Unicode version: quotes.py computes them itself")
    assert unicode_tables.CJK_CLASS == quotes._compute_cjk_class()
    # what the first pass translates one for one is never a CJK character, before or after
    assert not any(quotes.is_cjk(chr(c)) or quotes.is_cjk(v) for c, v in quotes._TRANSLATE.items())
