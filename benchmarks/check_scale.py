"""Time `check` on a large synthetic project, against `grep -F` over the same quotes.

    .venv/bin/python benchmarks/check_scale.py [--sources 10000] [--assessments 500]
        [--citations 20000] [--out /tmp/threatbrief-bench] [--seed 1] [--repeat 3]

Step 1 writes a project under --out, deterministically from --seed (pure stdlib): news-like
source texts (~5 KB each, with curly quotes, apostrophes, em dashes, indented and hard-wrapped
paragraphs, numbers, dates, an occasional "…" and a MOST READ footer), sources/sources.yaml
with the sha256 of every file, and assessments whose citations each quote an exact 40-200
character passage of a random source. About a third of the quotes use straight quotes and hyphens
where the source is curly, and quotes from hard-wrapped sources are on one line, so `check` has to
match them modulo typography and whitespace. quotes.txt holds every quote, one a line.

Step 2 runs, each in a fresh process, `build.py -C OUT check` (it must exit 0), then
`grep -F -c -f quotes.txt -r OUT/sources` and `grep -F -o …` as baselines. grep matches bytes
exactly, so it finds only the quotes that are verbatim in their source: its hit count is lower.
Wall time and peak RSS come from /usr/bin/time -v when present, else from getrusage(RUSAGE_CHILDREN)
in a fresh helper process per run. Step 3 prints a Markdown table of the medians.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MARKER = ".threatbrief-bench"  # only a directory holding this file is ever deleted
TIME_V = Path("/usr/bin/time")
STRAIGHT = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "—": "-"})

PLACES = ["Takhar", "Kunduz", "Badakhshan", "Khatlon", "Kabul", "Herat", "Balkh", "Nangarhar", "Kandahar",
          "Helmand", "Baghlan", "Panjshir", "Dushanbe", "Khorog", "Shamsiddin Shohin", "Jalalabad", "Mazar-i-Sharif",
          "Faizabad", "Kulob", "Darwaz", "Ishkashim", "Khost", "Paktia", "Ghazni", "Bamyan", "Samangan", "Sheberghan"]
PEOPLE = ["Chinese workers", "engineers", "guards", "civilians", "police officers", "border guards", "worshippers",
          "students", "traders", "aid workers", "drivers", "miners", "diplomats", "shopkeepers", "teachers",
          "construction workers", "pilgrims", "truck drivers", "contractors", "journalists"]
TARGETS = ["convoy", "mining camp", "hotel", "checkpoint", "embassy compound", "market", "guesthouse", "bus",
           "mosque", "customs post", "road crew", "bank branch", "district office", "fuel depot", "school",
           "gold mine", "power substation", "restaurant", "wedding hall", "consulate"]
ACTORS = ["Officials", "Police", "The interior ministry", "A provincial spokesman", "Security sources",
          "Witnesses", "Local elders", "A hospital director", "Diplomats", "The governor’s office", "Residents",
          "A company representative", "The foreign ministry", "Two local journalists", "A border official"]
NAMES = ["Abdul Matin Qani", "Zabihullah Mujahid", "Li Wei", "Gulnora Saidova", "Rahmatullah Nabil", "Wang Jun",
         "Sherali Rizoev", "Najibullah Hotak", "Farida Akbari", "Zhang Ming", "Muhammad Yousaf", "Dilshod Nazarov"]
ROLES = ["the provincial police chief", "a ministry spokesman", "the deputy governor", "an embassy spokeswoman",
         "a local commander", "the district chief", "a company manager", "a senior intelligence official"]
GROUPS = ["Islamic State Khorasan Province (ISKP)", "the Taliban’s intelligence service", "unidentified gunmen",
          "a local militia", "the border force", "smugglers", "the provincial police", "a splinter faction",
          "Jamaat Ansarullah", "the Pakistani Taliban (TTP)", "armed men on motorcycles", "a suicide bomber"]
OUTLETS = ["Reuters", "the BBC", "Tolo News", "Asia-Plus", "AFP", "Amu TV", "Kabul Now", "a local radio station",
           "Xinhua", "RFE/RL’s Ozodi", "the Associated Press", "Ariana News"]
VERBS = ["attacked", "ambushed", "stormed", "fired on", "bombed", "targeted", "raided", "surrounded", "shelled"]
ADJS = ["cowardly", "senseless", "deliberate", "well planned", "unprecedented", "brutal", "isolated", "serious",
        "coordinated", "criminal", "shameful", "worrying"]
NOUNS = ["security", "investment", "the mining contracts", "the border crossing", "the new road", "trade",
         "the power line", "local jobs", "the peace talks", "the customs revenue", "the water project",
         "the copper deposit", "the railway plan", "visa rules", "the gas pipeline", "foreign staff"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
SPEECH = ["We will not allow anyone to threaten {n}", "They came at night and nobody in {p} was ready",
          "The situation in {p} is under control", "We don’t know who they were or what they wanted in {p}",
          "This is an attack on {n} and on our guests", "Our {w} are afraid to go to work",
          "The investigation into {n} is continuing and more arrests are expected",
          "We had warned them about {n} … twice", "Nobody told us the {t} was a target",
          "The {w} who survived are being treated in {p}"]
LIKELIHOODS = ["remote", "very unlikely", "unlikely", "roughly even chance", "likely", "probable", "very likely",
               "almost certain"]
KINDS = ["attack", "attack", "attack", "plot", "threat", "other"]
TLPS = ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"]


def yq(text: str) -> str:
    """A single-line double-quoted YAML string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Prose:
    """News-like English from word lists, drawn from one seeded random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def date(self) -> str:
        return f"{self.rng.randint(1, 28)} {self.rng.choice(MONTHS)} {self.rng.randint(2019, 2025)}"

    def number(self) -> str:
        return f"{self.rng.choice([1, 2, 3, 5, 12, 40, 150]) * self.rng.choice([10, 100, 1000]) + self.rng.randint(0, 9):,}"

    def sentence(self) -> str:
        """One sentence: a core clause with a random slot every few words, an optional lead and tail."""
        r, c = self.rng, self.rng.choice
        p, t, g, a, w = c(PLACES), c(TARGETS), c(GROUPS), c(ACTORS), c(PEOPLE)
        who = f"{c(NAMES)}, {c(ROLES)},"
        core = c([
            lambda: f"{r.randint(2, 19)} {w} were killed or wounded when {g} {c(VERBS)} the {t} in {p}",
            lambda: f"{g} {c(VERBS)} the {t} in {p} shortly after {r.randint(1, 12)} {c(['a.m.', 'p.m.'])}",
            lambda: f"{p} has seen {r.randint(3, 60)} attacks on {w} since {r.randint(2015, 2023)}",
            lambda: f"more than {self.number()} {w} have left {p} since the attack on the {t}",
            lambda: f"{g} had been warned about threats to {c(NOUNS)} before {self.date()}",
            lambda: f"the {t} near {p} was guarded by about {self.number()} men — fewer than the {r.randint(2, 9)},000 promised",
            lambda: f"{g} said it would spend ${self.number()} million on {c(NOUNS)} in {p}",
            lambda: f"the {w} were moved from the {t} to {c(PLACES)} after threats against {c(NOUNS)}",
            lambda: f"{who} described the attack in {p} as “{c(ADJS)} and {c(ADJS)}”",
            lambda: f"the {c(['second', 'third', 'fourth', 'latest'])} attack on {w} in {p} this year came {r.randint(2, 11)} days after {c(NOUNS)} was discussed in {c(PLACES)}",
        ])()
        if r.random() < 0.2:
            speech = c(SPEECH).format(n=c(NOUNS), p=p, t=t, w=w)
            return f"“{speech},” {c([who, a.lower()])} told {c(OUTLETS)} on {c(WEEKDAYS)}."
        lead = c(["", "", f"On {self.date()}, ", f"Late on {c(WEEKDAYS)}, ", f"In {c(MONTHS)} {r.randint(2019, 2025)}, ",
                  f"According to {c(OUTLETS)}, ", f"{a} said that ", f"{who} said "])
        tail = c(["", "", f", {a.lower()} said", f", according to {c(OUTLETS)}", f" — the group’s {c(ADJS)} claim was posted on {c(WEEKDAYS)}",
                  f", {r.randint(3, 40)} km from {c(PLACES)}"])
        text = lead + core + tail + "."
        return text[0].upper() + text[1:]

    def headline(self) -> str:
        c = self.rng.choice
        return f"{c(PEOPLE).capitalize()} {c(['targeted', 'attacked', 'killed', 'threatened'])} in {c(PLACES)} as {c(NOUNS)} stalls"

    def short_title(self) -> str:
        return f"{self.rng.choice(PLACES)}: {self.rng.choice(TARGETS)} attacked"

    def source(self, target_chars: int) -> tuple[str, list[tuple[int, int]]]:
        """A whole source file, and the (start, end) offsets of its body paragraphs."""
        r = self.rng
        indent = "    " if r.random() < 0.5 else ""
        width = r.choice([0, 0, 72, 80, 96])  # 0: one line per paragraph
        text = f"{self.headline()}\n\nBy {r.choice(['Staff reporter', 'Our correspondent', 'Zahra Ahmadi', 'Farid Karimov'])}" \
               f" — {self.date()}\n\n"
        spans = []
        while len(text) < target_chars:
            para = " ".join(self.sentence() for _ in range(r.randint(2, 4)))
            if width:
                para = textwrap.fill(para, width, initial_indent=indent, break_long_words=False, break_on_hyphens=False)
            else:
                para = indent + para
            spans.append((len(text), len(text) + len(para)))
            text += para + "\n" + ("\n" if r.random() < 0.8 else "")
        footer = "\n".join(self.headline() for _ in range(r.randint(3, 5)))
        return text + f"\nMOST READ\n{footer}\n", spans


def quote_from(rng: random.Random, text: str, spans: list[tuple[int, int]]) -> str:
    """An exact passage of 40-200 characters cut at word boundaries, whitespace folded to single spaces."""
    while True:
        start, end = rng.choice(spans)
        words = [m.group() for m in re.finditer(r"\S+", text[start:end])]
        first = rng.randrange(len(words))
        want = rng.randint(40, 200)
        best: list[str] = []
        for last in range(first, len(words)):
            passage = words[first:last + 1]
            length = sum(map(len, passage)) + len(passage) - 1
            if length > 200:
                break
            if length >= 40 and (not best or abs(length - want) < abs(len(" ".join(best)) - want)):
                best = passage
        if best:
            return " ".join(best)


def key_count(count: int) -> int:
    """How many of an assessment's citations go to its key judgments (the rest: a section, incidents)."""
    return max(1, count // 8)


def assessment_yaml(rng: random.Random, number: int, cites: list[tuple[str, str]]) -> str:
    """A schema-valid assessment carrying every (source, quote) of `cites`, the first key_count() in key judgments."""
    def block(items: list[tuple[str, str]], ids: list[str] | None = None) -> list[str]:
        out = ["    citations:"]
        for k, (source, quote) in enumerate(items):
            out += [f"      - id: {ids[k]}", f"        source: {source}"] if ids else [f"      - source: {source}"]
            out.append(f"        quote: {yq(quote)}")
        return out

    n_kj = key_count(len(cites))
    kj, sec, rest = cites[:n_kj], cites[n_kj:n_kj + 2], cites[n_kj + 2:]
    place = rng.choice(PLACES)
    lines = [f"title: {yq(f'Synthetic assessment {number:04d}: threats in {place}')}",
             f"date: 2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
             f"tlp: {yq(rng.choice(TLPS))}", 'authors: ["benchmark desk"]',
             f"scope: {yq(f'Generated by benchmarks/check_scale.py: {len(cites)} citations around {place}.')}",
             "key_judgments:"]
    groups = max(1, min(3, len(kj) // 2))  # two citations or more each, so none rests on a single source
    for g in range(groups):
        lines += [f"  - text: {yq(f'Attacks on {rng.choice(PEOPLE)} in {place} will continue ({g + 1}).')}",
                  f"    likelihood: {rng.choice(LIKELIHOODS)}", f"    confidence: {rng.choice(['low', 'moderate', 'high'])}"]
        lines += block(kj[g::groups])
    ids = [f"c{k + 1}" for k in range(len(sec))]
    markers = "".join(f" [@{i}]" for i in ids)
    lines += ["summary: |", f"  Attacks around {place} continue{markers}.", ""]
    if sec:
        lines += ["sections:", '  - title: "Background"', "    body: |", f"      The sources describe attacks{markers}.", ""]
        lines += block(sec, ids)
    lines += ["incidents:"] if rest else []
    k = 0
    while k < len(rest):  # no killed/wounded/place/perpetrator: those must appear in the quotes (F001-F003)
        take = rng.randint(1, 4)
        day = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        lines += [f"  - id: incident-{k:03d}", f"    title: {yq(f'{rng.choice(TARGETS).capitalize()} attacked near {place}')}",
                  f"    kind: {rng.choice(KINDS)}", f"    date: {yq(rng.choice([day, '2023-05', '2022', 'unknown']))}",
                  f"    country: {rng.choice(['Afghanistan', 'Tajikistan'])}",
                  f"    target_type: {rng.choice(['business', 'diplomatic', 'civilians', 'security forces'])}"]
        lines += block(rest[k:k + take])
        k += take
    return "\n".join(lines) + "\n"


def generate(out: Path, n_sources: int, n_assessments: int, n_citations: int, seed: int) -> dict[str, int]:
    """Write the project; returns corpus figures (source bytes, quotes verbatim in their source, registry bytes)."""
    if out.exists():
        if any(out.iterdir()) and not (out / MARKER).exists():
            sys.exit(f"{out} is not empty and was not made by this script; choose another --out")
        shutil.rmtree(out)
    for part in ("sources", "assessments"):
        (out / part).mkdir(parents=True)
    (out / MARKER).write_text("made by benchmarks/check_scale.py; deleted on the next run\n")
    rng = random.Random(seed)
    prose = Prose(rng)
    texts: list[tuple[str, str, list[tuple[int, int]], str]] = []
    for i in range(n_sources):
        text, spans = prose.source(rng.randint(4500, 5400))
        raw = text.encode()
        (out / "sources" / f"{i:05d}.txt").write_bytes(raw)
        texts.append((f"{i:05d}.txt", text, spans, hashlib.sha256(raw).hexdigest()))
    # Every source is cited once before any twice (no "uncited source" warnings when citations >= sources).
    order = rng.sample(range(n_sources), n_sources)
    quotes: list[str] = []
    verbatim = 0  # quotes byte-identical to a passage of their source: all that grep -F can find
    strong: set[int] = set()  # sources cited by key judgments: graded A-C, so none rests on weak sources only
    for a in range(n_assessments):
        count = n_citations // n_assessments + (a < n_citations % n_assessments)
        cites = []
        for k in range(count):
            index = order[len(quotes)] if len(quotes) < n_sources else rng.randrange(n_sources)
            strong.update([index] if k < key_count(count) else [])
            name, text, spans, _ = texts[index]
            quote = quote_from(rng, text, spans)
            quote = quote.translate(STRAIGHT) if rng.random() < 0.35 else quote
            verbatim += quote in text
            cites.append((name, quote))
            quotes.append(quote)
        (out / "assessments" / f"a{a:04d}.yaml").write_text(assessment_yaml(rng, a, cites))
    (out / "quotes.txt").write_text("\n".join(quotes) + "\n")
    # One flow mapping a line, required fields only: ~200 bytes an entry keeps 10,000 sources under
    # the tool's 2 MiB limit on YAML files (block style with every field would be ~4 MB).
    registry = ["sources:"] + [
        f"- {{path: {name}, title: {yq(prose.short_title())}, published: unknown, language: en, "
        f"reliability: {rng.choice('ABC' if i in strong else 'ABCDEF')}, rationale: Synthetic, sha256: {digest}}}"
        for i, (name, _, _, digest) in enumerate(texts)]
    (out / "sources" / "sources.yaml").write_text("\n".join(registry) + "\n")
    return {"bytes": sum(len(t[1].encode()) for t in texts), "verbatim": verbatim,
            "registry_bytes": (out / "sources" / "sources.yaml").stat().st_size}


HELPER = """import resource, subprocess, sys, time
t = time.perf_counter(); rc = subprocess.call(sys.argv[2:]); t = time.perf_counter() - t
open(sys.argv[1], "w").write(f"{t} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
sys.exit(rc)"""


def measure(cmd: list[str], output: Path, env: dict[str, str], use_time_v: bool) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MB, exit code) of `cmd` in a fresh process; its stdout+stderr go to `output`."""
    with tempfile.TemporaryDirectory() as tmp, output.open("wb") as sink:
        report = Path(tmp) / "report"
        if use_time_v:
            started = time.perf_counter()
            rc = subprocess.call([str(TIME_V), "-v", "-o", str(report), *cmd], stdout=sink, stderr=sink, env=env)
            seconds = time.perf_counter() - started
            found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report.read_text())
            kbytes = int(found.group(1)) if found else 0
        else:
            rc = subprocess.call([sys.executable, "-c", HELPER, str(report), *cmd], stdout=sink, stderr=sink, env=env)
            seconds_text, kbytes_text = report.read_text().split()
            seconds, kbytes = float(seconds_text), int(kbytes_text)
    return seconds, kbytes / 1024, rc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=10000)
    parser.add_argument("--assessments", type=int, default=500)
    parser.add_argument("--citations", type=int, default=20000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/threatbrief-bench"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rusage", action="store_true", help="measure with getrusage even if /usr/bin/time exists")
    args = parser.parse_args()
    if not 1 <= args.assessments <= args.citations or args.sources < 1:
        parser.error("need --sources >= 1 and 1 <= --assessments <= --citations")
    out: Path = args.out.resolve()

    started = time.perf_counter()
    corpus = generate(out, args.sources, args.assessments, args.citations, args.seed)
    generation = time.perf_counter() - started
    print(f"generated {out} in {generation:.1f} s")
    if corpus["registry_bytes"] > 2 * 1024 * 1024:
        print(f"note: sources.yaml is {corpus['registry_bytes']:,} bytes, over the 2 MiB limit on YAML files")

    use_time_v = TIME_V.exists() and not args.rusage
    runs_dir = out / "runs"
    runs_dir.mkdir()
    grep_env = {**os.environ, "LC_ALL": "C"}
    grep = ["grep", "-F", "-f", str(out / "quotes.txt"), "-r", str(out / "sources")]
    cases = {
        "check": ([sys.executable, str(REPO / "build.py"), "-C", str(out), "check"], dict(os.environ)),
        "grep -F -c": (grep[:2] + ["-c"] + grep[2:], grep_env),
        "grep -F -o": (grep[:2] + ["-o"] + grep[2:], grep_env),
    }
    results: dict[str, tuple[float, float, str]] = {}
    for name, (cmd, env) in cases.items():
        times, peaks = [], []
        for _ in range(args.repeat):
            output = runs_dir / (name.replace(" ", "_") + ".out")
            seconds, peak, rc = measure(cmd, output, env, use_time_v)
            text = output.read_text(errors="replace")
            if name == "check" and rc != 0:
                print(f"`check` exited {rc}; first 20 lines of its output:", *text.splitlines()[:20], sep="\n")
                sys.exit(1)
            if name != "check" and rc > 1:
                sys.exit(f"`{shlex.join(cmd)}` exited {rc}: {text[:500]}")
            times.append(seconds)
            peaks.append(peak)
        if name == "check":
            summary = next((line for line in reversed(text.splitlines()) if line.startswith("checked ")), "?")
        elif name == "grep -F -c":
            lines = sum(int(line.rsplit(":", 1)[1]) for line in text.splitlines() if ":" in line)
            summary = f"{lines:,} lines with a hit (grep counts lines, not quotes)"
        else:
            summary = f"{len(text.splitlines()):,} exact matches printed"
        results[name] = (statistics.median(times), statistics.median(peaks), summary)

    print(f"\n`{shlex.join([Path(sys.executable).name, *sys.argv])}`"
          f" (median of {args.repeat} runs, {'/usr/bin/time -v' if use_time_v else 'getrusage'})\n")
    print("| source files | source MB | assessments | citations | quotes verbatim in their source (grep's ceiling) |")
    print("|---|---|---|---|---|")
    print(f"| {args.sources:,} | {corpus['bytes'] / 1e6:.1f} | {args.assessments:,} | {args.citations:,}"
          f" | {corpus['verbatim']:,} |\n")
    print("| run | median s | peak MB | result |")
    print("|---|---|---|---|")
    for name, (seconds, peak, summary) in results.items():
        print(f"| `{name}` | {seconds:.2f} | {peak:.0f} | {summary} |")
    ratio = results["check"][0] / max(results["grep -F -c"][0], 1e-9)
    print(f"\ncheck / grep -F -c: {ratio:.1f}x the time")
    print("commands:", *(f"  {'LC_ALL=C ' if n != 'check' else ''}{shlex.join(c)}" for n, (c, _) in cases.items()), sep="\n")


if __name__ == "__main__":
    main()
