"""What makes `check` fast at corpus scale must never change what it says: parallel workers,
the verification cache and the folded source give the same findings as a plain run."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from threatbrief.check.checker import check
from threatbrief.diagnostics import format_json
from threatbrief.project import Project
from threatbrief.signing import seal, signing_key, unseal
from threatbrief.sources.quotes import _translate, find, fold, normalize
from threatbrief.sources.verify_cache import FILE_NAME, matcher_version


def _many(shipped: Path, copies: int = 6) -> Path:
    """The shipped project with each assessment copied under other names (A001/A004 across files,
    suppressions, listed incidents) and one broken quote and one changed source: every kind of
    finding, from enough files for the check to fork workers."""
    folder = shipped / "assessments"
    originals = sorted(folder.glob("*.yaml"))
    for k in range(copies):
        for path in originals:
            (folder / f"{path.stem}-copy{k}.yaml").write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    record = (shipped / "incidents" / "tajikistan.yaml").read_text(encoding="utf-8").split("incidents:\n", 1)[1]
    for k in (1, 2):  # the same event recorded inline under other ids: A004 across files
        path = folder / f"iskp-afghan-tajik-border-copy{k}.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("  - tajikistan-gold-mine-attack\n", record.replace(
            "id: tajikistan-gold-mine-attack", f"id: tajik-inline-{k}")), encoding="utf-8")
    broken = folder / f"{originals[0].stem}-copy3.yaml"
    text = broken.read_text(encoding="utf-8")
    quote = re.search(r'quote: "([^"]{20,})"', text)
    assert quote is not None
    broken.write_text(text.replace(quote.group(1), quote.group(1).replace(" ", " never ", 1), 1), encoding="utf-8")
    source = sorted((shipped / "sources").glob("*.txt"))[0]
    source.write_text(source.read_text(encoding="utf-8") + "\nAppended after registration.\n", encoding="utf-8")
    return shipped


def _findings(root: Path, jobs: int) -> tuple[str, int, int]:
    result = check(Project.at(root), None, False, jobs)
    return format_json(result.diagnostics), result.verified, len(result.assessments)


def test_parallel_check_says_exactly_what_one_process_says(shipped: Path) -> None:
    root = _many(shipped)
    one = _findings(root, 1)
    cache = root / ".threatbrief" / "cache" / "check" / FILE_NAME
    cache.unlink()  # the second run must verify again, in the workers
    two = _findings(root, 2)
    assert one == two
    codes = {d["code"] for d in json.loads(one[0])}
    assert {"C001", "S004", "A004"} <= codes  # the findings that span files came through


def test_check_cli_output_is_the_same_for_any_jobs(shipped: Path, cli) -> None:
    root = _many(shipped, copies=4)
    outputs = [cli("-C", str(root), "check", "-j", jobs)[:2] for jobs in ("1", "2", "2")]  # the last: warm cache
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0][0] == 1
    assert cli("-C", str(root), "check", "-j", "0")[0] == 2


def test_a_recheck_verifies_only_what_changed(shipped: Path) -> None:
    project = Project.at(shipped)
    first = check(project)
    assert first.library.verified.hits < first.verified  # only quotes cited twice were known
    second = check(project)
    assert second.library.verified.hits == second.verified == first.verified  # nothing matched again
    assessment = sorted((shipped / "assessments").glob("*.yaml"))[0]
    text = assessment.read_text(encoding="utf-8")
    quote = re.search(r'quote: "([^"]{20,})"', text)
    assert quote is not None
    assessment.write_text(text.replace(quote.group(1), quote.group(1) + " and more", 1), encoding="utf-8")
    third = check(project)
    assert third.library.verified.hits == third.verified == first.verified - 1  # the rest, from the cache…
    assert [d.code for d in third.diagnostics if d.severity.value == "error"] == ["C001"]  # …the edit, afresh


def _cache_file(root: Path) -> Path:
    return root / ".threatbrief" / "cache" / "check" / FILE_NAME


def _fabricate(root: Path, sign: bool, version: str | None = None) -> None:
    """Make the cache say that every quote, even a fabricated one, is at the start of its source:
    signed with another key than the user's, or not signed at all."""
    path = _cache_file(root)
    body = unseal(signing_key() or b"", "check/verified.json", path.read_bytes())
    assert body is not None
    header, _, payload = body.partition(b"\n")
    forged = json.dumps({key: [[0, 12]] for key in json.loads(payload)}).encode("ascii")
    meta = json.loads(header)
    meta["version"] = version or meta["version"]
    body = json.dumps(meta).encode("ascii") + b"\n" + forged
    key = b"not the user's key, but a key all the same" if sign and version is None else (signing_key() or b"")
    path.write_bytes(seal(key, "check/verified.json", body) if sign else b"0" * 64 + b"\n" + body)


@pytest.mark.parametrize("damage", ["unsigned", "foreign key", "other version", "corrupt", "not json"])
def test_a_forged_or_damaged_cache_is_ignored_never_trusted(shipped: Path, damage: str) -> None:
    project = Project.at(shipped)
    assert check(project).ok
    path = _cache_file(shipped)
    if damage == "unsigned":
        _fabricate(shipped, sign=False)
    elif damage == "foreign key":
        _fabricate(shipped, sign=True)
    elif damage == "other version":
        _fabricate(shipped, sign=True, version="0.0.0:forged")
    elif damage == "corrupt":
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    else:
        path.write_bytes(b"\x00\xff" * 100)
    # a fabricated quote: were the cache trusted, it would pass
    assessment = sorted((shipped / "assessments").glob("*.yaml"))[0]
    text = assessment.read_text(encoding="utf-8")
    quote = re.search(r'quote: "([^"]{20,})"', text)
    assert quote is not None
    assessment.write_text(text.replace(quote.group(1), "The ministry denied every report of the attack", 1), encoding="utf-8")
    result = check(project)
    assert result.library.verified.hits < result.verified  # only quotes cited twice in this run
    located = [w for c in result.assessments for w in c.locations.values()] + list(result.dataset.located.values())
    assert located and all(where.spans != [(0, 12)] for where in located)
    assert [d.code for d in result.diagnostics if d.severity.value == "error"] == ["C001"]


def test_the_cache_is_keyed_by_the_matcher_version() -> None:
    assert matcher_version().count(":") == 2  # tool version, matching code, Unicode version


def test_a_linked_cache_folder_is_not_used(shipped: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (shipped / ".threatbrief" / "cache").mkdir(parents=True)
    (shipped / ".threatbrief" / "cache" / "check").symlink_to(elsewhere, target_is_directory=True)
    assert check(Project.at(shipped)).ok
    assert not any(elsewhere.iterdir())


_PIECES = ["a", "b", "Kabul", "1,000", "’", "“", "—", " ", "  ", "\n", "\n    ", "\t", "\u00a0", "-", "/", "é"]


def test_the_folded_source_maps_every_offset_back() -> None:
    rng = random.Random(7)
    for _ in range(300):
        original = "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 60)))
        folded = fold(original)
        assert folded.text == re.sub("  +", " ", _translate(original))
        for start in range(len(folded.text)):
            for end in range(start + 1, len(folded.text) + 1):
                if " " in (folded.text[start], folded.text[end - 1]):
                    continue
                o_start, o_end = folded.span(start, end)
                assert re.sub("  +", " ", _translate(original[o_start:o_end])) == folded.text[start:end]


_WORDS = ["Kabul", "Kabul’s", "the", "Taliban", "1,000", "pro-Taliban", "said", "cam-", "paign", "“", "”", "—",
          "-", "'", '"', "RFE/", "RL", "é", "a", "…"]
_GAPS = [" ", " ", " ", "  ", "\n", "\n    ", "\t", "\u00a0", "", "-\n"]


def test_the_anchored_search_finds_what_the_folded_source_gives() -> None:
    """`_find_anchored` folds only windows around each hit of a part's anchor: the same spans as
    searching the whole folded source, or no answer where a part has no anchor."""
    from threatbrief.sources.quotes import _find_anchored, _find_folded, _NO_ANCHOR

    rng = random.Random(11)
    compared = 0
    for _ in range(3000):
        words = [rng.choice(_WORDS) + rng.choice(_GAPS) for _ in range(rng.randint(3, 40))]
        original = "".join(words)
        first = rng.randrange(len(words))
        length = rng.randint(1, 8)
        quote = "".join(words[first:first + length])
        if rng.random() < 0.4:  # an elision, the second part near or overlapping the first
            second = max(0, first + rng.randint(-3, length + 3))
            quote += "…" + "".join(words[second:second + rng.randint(1, 4)])
        quote = quote.translate(str.maketrans({"’": "'", "“": '"', "”": '"', "—": "-"})) if rng.random() < 0.5 else quote
        quote = re.sub(r"\s+", " ", quote) if rng.random() < 0.5 else quote
        parts = [p for p in (part.strip() for part in re.split("…", quote)) if p]
        if not parts:
            continue
        anchored = _find_anchored(parts, original)
        if anchored is not _NO_ANCHOR:
            compared += 1
            assert anchored == _find_folded(parts, original, fold(original)), (quote, original)
    assert compared > 1000
    # a part may not begin inside the one before, even where a run of spaces makes its head long
    assert _find_anchored(["xxxx yyyy", "yyyy zzzzz"], "xxxx yyyy      zzzzz") is None


def test_folded_and_full_tiers_agree_on_the_shipped_sources() -> None:
    """Every quote of the shipped project found by the folded tier is found at the same place by
    the full normalization (the tiers' contract), on real text."""
    from threatbrief.sources.quotes import find_typographic

    repo = Path(__file__).parent.parent
    quotes = re.findall(r'quote: "((?:[^"\\]|\\.){12,})"', "".join(
        p.read_text(encoding="utf-8") for p in sorted((repo / "incidents").glob("*.yaml"))))
    texts = [p.read_text(encoding="utf-8") for p in sorted((repo / "sources").glob("*.txt"))]
    found = 0
    for quote in quotes:
        quote = quote.replace('\\"', '"')
        for text in texts:
            spans = find_typographic(quote, text)
            if spans:
                found += 1
                assert find(quote, normalize(text)) == spans
    assert found >= len(quotes) // 2


def _same_as_fresh(root: Path) -> int:
    """Check with the results cache and without any cache: the same findings, always. Returns how
    many files the cached run reused."""
    project = Project.at(root)
    cached = check(project, findings_only=True)
    fresh = check(project, findings_only=True, cache=False)
    assert format_json(cached.diagnostics) == format_json(fresh.diagnostics)
    assert (cached.verified, cached.files, len(cached.suppressed)) == (fresh.verified, fresh.files, len(fresh.suppressed))
    return cached.reused


def test_reused_findings_are_those_a_fresh_check_gives_after_every_kind_of_change(shipped: Path, tmp_path: Path) -> None:
    root = _many(shipped, copies=4)
    assessments = sorted((root / "assessments").glob("*.yaml"))
    assert _same_as_fresh(root) == 0  # first run: nothing to reuse
    # the files with a missing quote (C001) or listing a changed source are checked every time
    every_time = _same_as_fresh(root)
    assert 0 < every_time < len(assessments)
    edited = assessments[-1]
    edited.write_text(edited.read_text(encoding="utf-8") + "# an edit\n", encoding="utf-8")
    assert _same_as_fresh(root) == every_time - 1  # only the edited file again
    source = sorted((root / "sources").glob("*.txt"))[-1]
    source.touch()  # same content, new stamp: hashed again, nothing else
    assert _same_as_fresh(root) == every_time
    import os

    stat = source.stat()
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace(" the ", " teh ", 1), encoding="utf-8")  # same size…
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # …and mtime: ctime still moves
    assert _same_as_fresh(root) < every_time
    assert any(d.code == "S004" for d in check(Project.at(root), findings_only=True).diagnostics)
    source.write_text(text, encoding="utf-8")
    assert _same_as_fresh(root) <= every_time
    source.write_text(source.read_text(encoding="utf-8").replace("the", "a"), encoding="utf-8")  # quotes lost
    assert _same_as_fresh(root) < every_time
    registry = root / "sources" / "sources.yaml"
    registry.write_text(registry.read_text(encoding="utf-8").replace("reliability: B", "reliability: C", 1),
                        encoding="utf-8")
    assert _same_as_fresh(root) == 0  # another registry: every file again
    config = root / "threatbrief.toml"
    config.write_text('[rules]\nK004 = "error"\n', encoding="utf-8")
    assert _same_as_fresh(root) == 0
    incident = root / "incidents" / "tajikistan.yaml"
    incident.write_text(incident.read_text(encoding="utf-8").replace("killed: 1", "killed: 2"), encoding="utf-8")
    assert _same_as_fresh(root) == 0
    gone = sorted((root / "sources").glob("*.txt"))[0]
    outside = tmp_path / "outside.txt"
    outside.write_bytes(gone.read_bytes())
    gone.unlink()
    gone.symlink_to(outside)  # the same text, through a link out of the project: refused (S001)
    _same_as_fresh(root)
    gone.unlink()  # and then missing (S002)
    _same_as_fresh(root)


def test_a_forged_results_file_is_ignored(shipped: Path) -> None:
    project = Project.at(shipped)
    check(project, findings_only=True)
    assert check(project, findings_only=True).reused == 3
    path = shipped / ".threatbrief" / "cache" / "check" / "results.json"
    body = unseal(signing_key() or b"", "check/results.json", path.read_bytes())
    assert body is not None
    path.write_bytes(seal(b"someone else's key, 32 bytes or more", "check/results.json", body))
    assert check(project, findings_only=True).reused == 0


def test_workers_that_drop_every_text_say_the_same(shipped: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker keeps a bounded amount of source text; a source cited again is read again."""
    import threatbrief.check.checker

    root = _many(shipped, copies=4)
    one = _findings(root, 1)
    monkeypatch.setattr(threatbrief.check.checker, "WORKER_TEXT_CHARS", 1)
    assert _findings(root, 2) == one


def test_the_ascii_shortcut_of_word_boundaries_agrees_with_the_full_rule() -> None:
    from threatbrief.sources.quotes import _splits_normalized_word, _splits_word

    alphabet = ["a", "Z", "7", " ", "  ", "\n", "\t", "-", "/", "'", ".", ",", "_", ")", "“", "中", "\u00ad",
                "\u0301", "é", "-\n", "/\n", "\u200b", "，", "。", "１", "＇"]
    rng = random.Random(11)
    for _ in range(600):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(2, 12)))
        for i in range(len(text) + 1):
            assert _splits_word(text, i) == _splits_normalized_word(text, i), (text, i)


def test_the_plain_ascii_shortcut_of_quote_normalization_changes_nothing() -> None:
    from threatbrief.sources.quotes import _normalized_quote

    rng = random.Random(5)
    alphabet = ["a", "B", "7", " ", "  ", "-", "- ", "`", "'", "...", "\t", "\n", "\x1c", "x-y", ".", "\u00e9",
                "’", "“", "—", "\u00a0", "\u2028", "/\n", "-\nb", "\u00ad", "٣", "ي", "…", "e\u0301", "中 文"]
    for _ in range(2000):
        quote = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 10)))
        assert _normalized_quote(quote) == normalize(quote).text.strip(), quote


def test_a_key_given_by_ci_signs_the_caches(shipped: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With THREATBRIEF_CACHE_KEY set (a CI secret), a cache restored on another runner is used;
    with another key, or a key too short to be one, it is not."""
    monkeypatch.setenv("THREATBRIEF_CACHE_KEY", "k" * 40)
    project = Project.at(shipped)
    check(project, findings_only=True)
    assert check(project, findings_only=True).reused == 3
    monkeypatch.setenv("THREATBRIEF_CACHE_KEY", "x" * 40)
    assert check(project, findings_only=True).reused == 0
    monkeypatch.setenv("THREATBRIEF_CACHE_KEY", "short")  # ignored: the user's own key is used
    check(project, findings_only=True)
    assert check(project, findings_only=True).reused == 3
