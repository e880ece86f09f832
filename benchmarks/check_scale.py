"""Time `check` on a large synthetic project, against `grep -F` over the same quotes.

    .venv/bin/python benchmarks/check_scale.py [--sources 10000] [--assessments 500]
        [--citations 20000] [--out /tmp/threatbrief-bench] [--seed 1] [--runs 3] [--readme]

1. Generates under --out, deterministically from --seed with the standard library only, ~5 KB
   news-like sources (curly quotes and apostrophes, em dashes, indented and hard-wrapped paragraphs,
   numbers like 1,000, dates like 18 November 2024, an occasional "…", a MOST READ footer), a
   sources/sources.yaml with the sha256 of each, and assessments whose citations quote 40-200
   characters of a source, cut at word boundaries. About a third of the quotes have straight quotes
   and hyphens where the source is curly, and quotes from hard-wrapped sources are on one line, so
   `check` must match modulo typography and whitespace. quotes.txt: every quote (unescaped), one a line.
2. Times, in paired runs (benchmarks/paired.py: A and its anchor in turn, each in a fresh process,
   the ratio taken pair by pair), on the machine's cores:
   - cold `check --no-cache` (no cache read or written) against `LC_ALL=C grep -F -c -f quotes.txt
     -r sources`. grep matches bytes exactly, so it finds only the quotes verbatim in their source
     ("grep's ceiling"); it counts lines with a hit in any file, not verified citations;
   - `check` after an edit of one assessment (the caches of the previous check warm), against
     `python -c pass`;
   - cold `check --no-cache -j 1` against the same with `-j 2` (whose output must be identical).
   Peak memory is that of the largest process of the command (its workers included).
3. Prints a Markdown table (and with --readme writes it into README.md, block check_scale_<N>k).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import random
import re
import shutil
import string
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MARKER = ".threatbrief-bench"  # a non-empty --out is replaced only if it holds this file
STRAIGHT = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "—": "-"})
LIKELIHOODS = ["remote", "very unlikely", "unlikely", "roughly even chance", "likely", "very likely", "almost certain"]
TLPS = ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"]


def bar(words: str) -> list[str]:
    return words.split("|")


# Word lists. Names of villages and people are built from syllables, so that most 40-character
# passages occur once in the whole corpus, as in real news (grep then finds each quote once).
_PRE = bar("Qala|Deh|Char|Sar|Pul|Kohna|Nav|Bala|Shahr|Khwaja|Chashma|Ab|Sang|Dasht|Gul|Mir|Khan|Sher|Tal|Kor|Zar|Jar|"
           "Ali|Bagh|Rud|Shor|Ghor|Tash|Kuh|Nur")
_SUF = bar("abad|bagh|dara|kot|khel|qala|gah|zar|sar|chi|dasht|tepa|kul|ghar|rud|band|qul|shahr|gul|kan|mor|pur|ak|"
           "istan|bek|dor|yar|jan|ob|pai")
PICKS: dict[str, list[str]] = {key: bar(words) for key, words in {
    "province": "Takhar|Kunduz|Badakhshan|Khatlon|Kabul|Herat|Balkh|Nangarhar|Kandahar|Helmand|Baghlan|Panjshir|"
                "Khost|Paktia|Ghazni|Bamyan|Samangan|Gorno-Badakhshan|Sughd|Jowzjan|Faryab|Logar|Wardak|Kapisa",
    "first": "Abdul|Ahmad|Mohammad|Gul|Farida|Zarina|Sherali|Dilshod|Rahmatullah|Najib|Li|Wang|Zhang|Chen|Liu|"
             "Nilufar|Bakhtiyor|Farhod|Hamid|Khalid|Mansur|Nasrin|Parwiz|Qadir|Rustam|Saida|Timur|Wahid|Yusuf",
    "role": "the provincial police chief|a ministry spokesman|the deputy governor|an embassy spokeswoman|"
            "a local commander|an intelligence official|the district chief|a company manager|a village elder|"
            "a hospital director|a border guard commander|a spokesman for the governor|the mining director",
    "people": "Chinese workers|engineers|guards|civilians|police officers|border guards|teachers|worshippers|"
              "students|traders|aid workers|drivers|miners|diplomats|pilgrims|construction workers|truck drivers",
    "target": "convoy|mining camp|hotel|checkpoint|embassy compound|market|guesthouse|bus|mosque|customs post|"
              "road crew|bank branch|district office|fuel depot|school|gold mine|power substation|restaurant|"
              "wedding hall|consulate",
    "group": "Islamic State Khorasan Province (ISKP)|the Taliban’s intelligence service|unidentified gunmen|"
             "smugglers|a local militia|the border force|the provincial police|a splinter faction|Jamaat Ansarullah|"
             "the Pakistani Taliban (TTP)|armed men on motorcycles|a suicide bomber|drug traffickers|masked men",
    "outlet": "Reuters|the BBC|Tolo News|Asia-Plus|AFP|Amu TV|Kabul Now|a local radio station|Xinhua|RFE/RL’s Ozodi|"
              "the Associated Press|Ariana News|Pajhwok|Khaama Press|the Global Times|Avesta",
    "verb": "attacked|ambushed|stormed|fired on|bombed|targeted|raided|surrounded|shelled|set fire to|looted",
    "hurt": "killed|wounded|killed or wounded|injured|abducted|taken hostage|hurt|detained|missing",
    "adj": "cowardly|senseless|deliberate|well planned|unprecedented|brutal|isolated|serious|coordinated|criminal|"
           "shameful|worrying|predictable|desperate|calculated|alarming",
    "noun": "security|investment|the mining contracts|the border crossing|the new road|trade|the power line|"
            "local jobs|the peace talks|the customs revenue|the water project|the copper deposit|the railway plan|"
            "the gas pipeline|the lithium survey|the cement plant|foreign staff|the bridge repairs|the school fees",
    "said": "said|told reporters|confirmed|added|claimed|insisted|wrote on X|told local media|said in a statement",
    "fled": "left|fled|abandoned|moved out of|returned to|been evacuated from|been stranded in",
    "warned": "had been warned about threats to|had complained about|had been asked to protect|had negotiated over|"
              "had demanded payment for|had threatened to disrupt|had been paid to guard",
    "attack": "attack|ambush|raid|bombing|shooting|assault|kidnapping|blast",
    "month": "January|February|March|April|May|June|July|August|September|October|November|December",
    "weekday": "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday",
    "ordinal": "second|third|fourth|fifth|latest|first", "ampm": "a.m.|p.m.",
}.items()}
PICKS |= {"village": [a + b for a in _PRE for b in _SUF], "last": [a + b + c for a in _PRE for b in _SUF
                                                                   for c in bar("ov|zoda|zai|i|yar|ullah")],
          "day": [str(d) for d in range(1, 29)], "year": [str(y) for y in range(2015, 2026)],
          "hour": [str(h) for h in range(1, 13)], "n": [str(n) for n in range(2, 99)],
          "big": [f"{n:,}" for n in range(1000, 160000, 37)]}
for _key in ("village", "adj", "noun", "n", "first", "last", "role", "said", "province", "day", "month"):
    PICKS[_key + "2"] = PICKS[_key + "3"] = PICKS[_key]
WHO = "{first} {last}, {role} in {village3},"
DATE = "{day} {month} {year}"
TITLE = "{people} targeted in {village} as {noun} stalls"
CORES = [
    "{n} {people} were {hurt} when {group} {verb} the {target} in {village}, {province}",
    "{group} {verb} the {target} near {village} at about {hour} {ampm} on " + DATE,
    WHO + " {said} that {n} {people} had {fled} {village} since {day2} {month2}",
    "{village} has seen {n} attacks on {people} since {month} {year}, {first} {last} {said}",
    "more than {big} {people} have {fled} {village} since the {attack} on the {target} at {village2}",
    "{group} {warned} {noun} in {village} before " + DATE,
    "the {target} at {village} was guarded by {n}0 men — fewer than the {n2}0 {first} {last} had promised",
    "{group} {said} it would spend ${n} million on {noun} in {village} and {village2}",
    "{n} {people} were moved from the {target} at {village} to {village2} after {first} {last} {said} they were"
    " at risk",
    WHO + " described the {attack} in {village} as “{adj} and {adj2}”",
    "the {ordinal} {attack} on {people} in {province} this year came {n} days after {first} {last} visited {village}",
]
LEADS = ["", "", "On " + DATE + ", ", "Late on {weekday}, ", "In {month} {year}, ", "According to {outlet}, ",
         WHO + " {said2} that ", "{first2} {last2}, {role2} in {province2}, {said2} "]
TAILS = ["", "", ", {first3} {last3}, {role3} in {province3}, {said3}", ", according to {outlet}",
         ", {n2} km from {village2}", " — {first3} {last3} called it {adj3}",
         ", {first3} {last3} of {province2} {said3}"]
SPEECH = ["Nobody will threaten {noun} in {village}", "They came at night and nobody in {village} was ready",
          "In {village} we don’t know what {group} wanted", "This is an attack on {noun} in {village}",
          "Our {people} in {village} are afraid to go to work", "We are investigating the {attack} at {village}",
          "We had warned {first} {last} about {noun} … twice", "{n} {people} are being treated in {village}",
          "Nobody told us the {target} at {village} was a target"]


def yq(text: str) -> str:
    """A single-line double-quoted YAML string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@functools.lru_cache(maxsize=None)
def slots(template: str) -> tuple[tuple[str, list[str], int], ...]:
    """The slots of a template, each once: a slot used twice in a sentence keeps its value."""
    names = dict.fromkeys(name for _, name, _, _ in string.Formatter().parse(template) if name)
    return tuple((name, PICKS[name], len(PICKS[name])) for name in names)


class Prose:
    """News-like English from the word lists, drawn from one seeded random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rnd = rng.random

    def pick(self, items: list[str]) -> str:
        return items[int(self.rnd() * len(items))]

    def fill(self, template: str) -> str:
        rnd = self.rnd
        text = template.format_map({name: pick[int(rnd() * n)] for name, pick, n in slots(template)})
        return text[0].upper() + text[1:]

    def sentence(self) -> str:
        if self.rnd() < 0.2:
            who = self.pick([WHO, "{first2} {last2} of {province2}"])
            return self.fill(f"“{self.pick(SPEECH)},” {who} told {{outlet}} on {{weekday}}.")
        return self.fill(self.pick(LEADS) + self.pick(CORES) + self.pick(TAILS) + ".")

    def source(self, target_chars: int) -> tuple[str, list[tuple[int, int]]]:
        """A whole source file, and the (start, end) offsets of its body paragraphs."""
        rnd = self.rnd
        indent = "    " if rnd() < 0.5 else ""
        width = self.pick([0, 0, 72, 80, 96])  # 0: one line per paragraph
        parts = [self.fill(TITLE), "\n\nBy ", self.pick(["Staff reporter", "Our correspondent", "Zahra Ahmadi"]),
                 " — ", self.fill(DATE), "\n\n"]
        length = sum(map(len, parts))
        spans = []
        while length < target_chars:
            para = indent + " ".join(self.sentence() for _ in range(2 + int(rnd() * 3)))
            if width:  # greedy hard wrap
                para = "\n".join(re.findall(rf"(.{{1,{width}}})(?: +|$)", para))
            spans.append((length, length + len(para)))
            parts += [para, "\n\n" if rnd() < 0.8 else "\n"]
            length += len(para) + len(parts[-1])
        footer = "\n".join(self.fill(TITLE) for _ in range(3 + int(rnd() * 3)))
        return "".join(parts) + f"\nMOST READ\n{footer}\n", spans


def quote_from(rng: random.Random, text: str, spans: list[tuple[int, int]]) -> str:
    """A passage of a paragraph, 40-200 characters cut at word boundaries, whitespace folded to one space."""
    while True:
        words = text[slice(*rng.choice(spans))].split()
        first, want = rng.randrange(len(words)), rng.randint(40, 200)
        best, best_length, length = 0, 0, -1
        for count, word in enumerate(words[first:], 1):
            length += len(word) + 1
            if length > 200:
                break
            if length >= 40 and (not best or abs(length - want) < abs(best_length - want)):
                best, best_length = count, length
        if best:
            return " ".join(words[first:first + best])


def key_count(count: int) -> int:
    """How many of an assessment's citations its key judgments get; the rest go to a section and incidents."""
    return max(1, count // 8)


def assessment_yaml(rng: random.Random, number: int, cites: list[tuple[str, str]]) -> str:
    """A schema-valid assessment carrying every (source, quote) of `cites`."""
    def block(items: list[tuple[str, str]], ids: list[str] | None = None) -> list[str]:
        out = ["    citations:"]
        for k, (source, quote) in enumerate(items):
            out += [f"      - id: {ids[k]}", f"        source: {source}"] if ids else [f"      - source: {source}"]
            out.append(f"        quote: {yq(quote)}")
        return out

    n_kj = key_count(len(cites))
    kj, sec, rest = cites[:n_kj], cites[n_kj:n_kj + 2], cites[n_kj + 2:]
    place, people = rng.choice(PICKS["province"]), rng.choice(PICKS["people"])
    lines = [f"title: {yq(f'Synthetic assessment {number:04d}: threats in {place}')}",
             f"date: 2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
             f"tlp: {yq(rng.choice(TLPS))}", 'authors: ["benchmark desk"]',
             f"scope: {yq(f'Generated by benchmarks/check_scale.py: {len(cites)} citations around {place}.')}",
             "key_judgments:"]
    groups = max(1, min(3, len(kj) // 2))  # two citations or more each, so none rests on a single source
    for g in range(groups):
        lines += [f"  - text: {yq(f'Attacks on {people} in {place} will continue ({g + 1}).')}",
                  f"    likelihood: {rng.choice(LIKELIHOODS)}",
                  f"    confidence: {rng.choice(['low', 'moderate', 'high'])}"]
        lines += block(kj[g::groups])
    ids = [f"c{k + 1}" for k in range(len(sec))]
    markers = "".join(f" [@{i}]" for i in ids)
    lines += ["summary: |", f"  Attacks around {place} continue{markers}.", ""]
    if sec:
        lines += ["sections:", '  - title: "Background"', "    body: |",
                  f"      The sources describe attacks{markers}.", ""]
        lines += block(sec, ids)
    lines += ["incidents:"] if rest else []
    k = 0
    while k < len(rest):  # no killed/wounded/province/place/perpetrator: they would have to be in the quotes
        take, day = rng.randint(1, 4), f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        lines += [f"  - id: incident-{k:03d}",
                  f"    title: {yq(rng.choice(PICKS['target']).capitalize() + ' attacked')}",
                  f"    kind: {rng.choice(['attack', 'attack', 'plot', 'threat', 'other'])}",
                  f"    date: {yq(rng.choice([day, '2023-05', '2022', 'unknown']))}",
                  f"    country: {rng.choice(['Afghanistan', 'Tajikistan'])}",
                  f"    target_type: {rng.choice(['business', 'diplomatic', 'civilians', 'security forces'])}"]
        lines += block(rest[k:k + take])
        k += take
    return "\n".join(lines) + "\n"


def generate(out: Path, n_sources: int, n_assessments: int, n_citations: int, seed: int) -> dict[str, int]:
    """Write the project; returns the bytes of the sources and of the registry, and the verbatim quotes."""
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        sys.exit(f"{out} is not empty and was not made by this script; choose another --out")
    rng = random.Random(seed)
    prose = Prose(rng)
    texts: list[tuple[str, str, list[tuple[int, int]], str]] = []  # name, text, paragraph spans, sha256
    quotes: list[str] = []
    verbatim = 0  # quotes byte-identical to a passage of their source: all that grep -F can find
    strong: set[int] = set()  # cited by key judgments: graded A-C, so no judgment rests on D-F sources only
    with ThreadPoolExecutor(4) as pool:  # the file system work overlaps the generation
        pending = []
        if out.exists():
            old = out.rename(out.with_name(f"{out.name}.old-{os.getpid()}"))
            pending.append(pool.submit(shutil.rmtree, old))
        for part in ("sources", "assessments"):
            (out / part).mkdir(parents=True)
        (out / MARKER).write_text("made by benchmarks/check_scale.py; replaced on the next run\n")
        for i in range(n_sources):
            text, spans = prose.source(rng.randint(4500, 5400))
            raw = text.encode()
            pending.append(pool.submit((out / "sources" / f"{i:05d}.txt").write_bytes, raw))
            texts.append((f"{i:05d}.txt", text, spans, hashlib.sha256(raw).hexdigest()))
        order = rng.sample(range(n_sources), n_sources)  # every source is cited once before any is cited twice
        for a in range(n_assessments):
            count = n_citations // n_assessments + (a < n_citations % n_assessments)
            cites = []
            for k in range(count):
                index = order[len(quotes)] if len(quotes) < n_sources else rng.randrange(n_sources)
                if k < key_count(count):
                    strong.add(index)
                name, text, spans, _ = texts[index]
                quote = quote_from(rng, text, spans)
                quote = quote.translate(STRAIGHT) if rng.random() < 0.35 else quote
                verbatim += quote in text
                cites.append((name, quote))
                quotes.append(quote)
            yaml_bytes = assessment_yaml(rng, a, cites).encode()
            pending.append(pool.submit((out / "assessments" / f"a{a:04d}.yaml").write_bytes, yaml_bytes))
        for future in pending:
            future.result()  # re-raises a failed write
    (out / "quotes.txt").write_text("\n".join(quotes) + "\n", encoding="utf-8")
    # One flow mapping a line, required fields only: about 200 bytes an entry.
    villages, targets = PICKS["village"], PICKS["target"]
    registry = "sources:\n" + "".join(
        f"- {{path: {name}, title: {yq(f'{rng.choice(villages)}: {rng.choice(targets)} attacked')}, "
        f"published: unknown, language: en, reliability: {rng.choice('ABC' if i in strong else 'ABCDEF')}, "
        f"rationale: Synthetic, sha256: {digest}}}\n" for i, (name, _, _, digest) in enumerate(texts))
    (out / "sources" / "sources.yaml").write_text(registry, encoding="utf-8")
    return {"source_bytes": sum(len(t[1].encode()) for t in texts), "verbatim": verbatim,
            "registry_bytes": len(registry.encode())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=10000)
    parser.add_argument("--assessments", type=int, default=500)
    parser.add_argument("--citations", type=int, default=20000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/threatbrief-bench"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3, help="counted pairs per row (after one warm-up pair)")
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    args = parser.parse_args()
    if args.sources < 1 or not 1 <= args.assessments <= args.citations or args.runs < 1:
        parser.error("need --sources >= 1, 1 <= --assessments <= --citations and --runs >= 1")
    out: Path = args.out.resolve()
    sys.path.insert(0, str(Path(__file__).parent))
    from paired import TABLE_HEAD, Command, paired, publish, pyc_note, table_row

    started = time.perf_counter()
    corpus = generate(out, args.sources, args.assessments, args.citations, args.seed)
    print(f"generated {out} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    logs = out / "runs"
    build = [sys.executable, str(REPO / "build.py"), "-C", str(out), "check"]
    grep = Command(["grep", "-F", "-c", "-f", str(out / "quotes.txt"), "-r", str(out / "sources")],
                   "`grep -F -c -f quotes.txt -r sources`", env={**os.environ, "LC_ALL": "C"}, ok_codes=(0, 1))
    python = Command([sys.executable, "-c", "pass"], "`python -c pass`")
    edited = out / "assessments" / "a0000.yaml"
    edits = iter(range(1_000_000))

    def edit() -> None:  # one more comment line: the file changes, its findings do not
        with edited.open("a", encoding="utf-8") as f:
            f.write(f"# edit {next(edits)}\n")

    rows = []
    cold = paired(Command(build + ["--no-cache"], "cold `check --no-cache`"), grep, args.runs, 1, logs)
    rows.append(table_row("`check`, cold (no cache)", cold, "≤ 1.0×"))
    subprocess.run(build, capture_output=True)  # fill the caches once
    warm = paired(Command(build, "`check` after editing one assessment", before=edit), python, args.runs, 1, logs)
    rows.append(table_row("`check` after editing one assessment, caches warm (target ≤ 0.5 s)", warm))
    one = Command(build + ["--no-cache", "-j", "1"], "cold `check --no-cache -j 1`")
    two = Command(build + ["--no-cache", "-j", "2"], "cold `check --no-cache -j 2`")
    scaling = paired(one, two, args.runs, 0, logs)
    rows.append(table_row("cold `check -j 1`: the ratio is the speed-up of `-j 2`", scaling))
    outputs = {}
    for jobs in ("1", "2"):
        done = subprocess.run(build + ["--no-cache", "-j", jobs], capture_output=True, text=True)
        outputs[jobs] = done.stdout
    if outputs["1"] != outputs["2"]:
        sys.exit("`check -j 1` and `check -j 2` printed different findings")
    summary = next((line for line in reversed(outputs["1"].splitlines()) if line.startswith("checked ")), "?")
    text = "\n".join([
        f"{args.sources:,} sources ({corpus['source_bytes'] / 1e6:.1f} MB), {args.assessments:,} assessments, "
        f"{args.citations:,} citations, {corpus['verbatim']:,} of them verbatim in their source (all that grep "
        f"can find); `check` printed: `{summary}` (the same with -j 1 and -j 2). {pyc_note()}; "
        f"{args.runs} counted pairs a row.", "",
        f"`{' '.join(['.venv/bin/python', 'benchmarks/check_scale.py', *sys.argv[1:]])}`", "",
        TABLE_HEAD, *rows,
        "", f"Peak memory: `check` {cold.peak_a:.0f} MB (largest process), grep {cold.peak_b:.0f} MB.",
    ])
    publish(f"check_scale_{args.sources // 1000}k", text, args.readme)


if __name__ == "__main__":
    main()
