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
          "Helmand", "Baghlan", "Panjshir", "Dushanbe", "Khorog", "Shamsiddin Shohin", "Jalalabad", "Mazar-i-Sharif"]
PEOPLE = ["Chinese workers", "engineers", "guards", "civilians", "police officers", "border guards", "worshippers",
          "students", "traders", "aid workers", "drivers", "miners", "diplomats", "shopkeepers"]
TARGETS = ["convoy", "mining camp", "hotel", "checkpoint", "embassy compound", "market", "guesthouse", "bus",
           "mosque", "customs post", "road crew", "bank branch", "district office", "fuel depot"]
ACTORS = ["Officials", "Police", "The interior ministry", "A provincial spokesman", "Security sources",
          "Witnesses", "Local elders", "A hospital director", "Diplomats", "The governor’s office", "Residents"]
GROUPS = ["Islamic State Khorasan Province (ISKP)", "the Taliban’s intelligence service", "unidentified gunmen",
          "a local militia", "the border force", "smugglers", "the provincial police", "a splinter faction"]
OUTLETS = ["Reuters", "the BBC", "Tolo News", "Asia-Plus", "AFP", "Amu TV", "Kabul Now", "a local radio station"]
VERBS = ["attacked", "ambushed", "stormed", "fired on", "bombed", "targeted", "raided", "surrounded"]
ADJS = ["cowardly", "senseless", "deliberate", "well planned", "unprecedented", "brutal", "isolated", "serious"]
NOUNS = ["security", "investment", "the mining contracts", "the border crossing", "the new road", "trade",
         "the power line", "local jobs", "the peace talks", "the customs revenue", "the water project"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
SPEECH = ["We will not allow anyone to threaten {n}", "They came at night and nobody was ready",
          "The situation in {p} is under control", "We don’t know who they were or what they wanted",
          "This is an attack on {n} and on our guests", "Our people are afraid to go to work",
          "The investigation is continuing and more arrests are expected", "We had warned them … twice"]
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
        r = self.rng
        c = r.choice
        p, t, g, a = c(PLACES), c(TARGETS), c(GROUPS), c(ACTORS)
        templates = [
            lambda: f"{a} said {r.randint(2, 19)} {c(PEOPLE)} were killed or wounded when {g} {c(VERBS)} a {t} in {p} on {self.date()}.",
            lambda: f"“{c(SPEECH).format(n=c(NOUNS), p=p)},” {a.lower() if a != 'Police' else a} told {c(OUTLETS)}.",
            lambda: f"The group’s statement — posted on {self.date()} — called the {t} in {p} a legitimate target.",
            lambda: f"{p} has seen {r.randint(3, 60)} such incidents since {r.randint(2015, 2023)}, according to {c(OUTLETS)}.",
            lambda: f"More than {self.number()} people have left {p} since the attack on the {t}, {a.lower()} said.",
            lambda: f"It was not immediately clear whether {g} had been warned about {c(NOUNS)} before {self.date()}.",
            lambda: f"{a} described the attack as “{c(ADJS)} and {c(ADJS)}” and called for better protection of {c(PEOPLE)}.",
            lambda: f"The {t} near {p} had been guarded by about {self.number()} men — fewer than promised, {a.lower()} said.",
            lambda: f"Neither {g} nor {c(OUTLETS)} could confirm the account … which could not be independently verified.",
            lambda: f"In {c(MONTHS)}, {g} said it would spend ${self.number()} million on {c(NOUNS)} in {p} and nearby districts.",
            lambda: f"{a} said the {c(PEOPLE)} had been moved from the {t} to {c(PLACES)} after threats against {c(NOUNS)}.",
        ]
        return c(templates)()

    def headline(self) -> str:
        c = self.rng.choice
        return f"{c(PEOPLE).capitalize()} {c(['targeted', 'attacked', 'killed', 'threatened'])} in {c(PLACES)} as {c(NOUNS)} stalls"

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


def assessment_yaml(rng: random.Random, number: int, cites: list[tuple[str, str]]) -> str:
    """A schema-valid assessment carrying every (source, quote) of `cites`."""
    def block(items: list[tuple[str, str]], pad: str, ids: list[str] | None = None) -> list[str]:
        out = [f"{pad}citations:"]
        for k, (source, quote) in enumerate(items):
            out += ([f"{pad}  - id: {ids[k]}", f"{pad}    source: {source}"] if ids else [f"{pad}  - source: {source}"])
            out.append(f"{pad}    quote: {yq(quote)}")
        return out

    n_kj = max(1, len(cites) // 8)
    kj, sec, rest = cites[:n_kj], cites[n_kj:n_kj + 2], cites[n_kj + 2:]
    place = rng.choice(PLACES)
    lines = [f"title: {yq(f'Synthetic assessment {number:04d}: threats in {place}')}",
             f"date: 2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
             f"tlp: {yq(rng.choice(TLPS))}", 'authors: ["benchmark desk"]',
             f"scope: {yq(f'Generated by benchmarks/check_scale.py: {len(cites)} citations around {place}.')}",
             "key_judgments:"]
    groups = min(3, len(kj))
    for g in range(groups):
        lines += [f"  - text: {yq(f'Attacks on {rng.choice(PEOPLE)} in {place} will continue ({g + 1}).')}",
                  f"    likelihood: {rng.choice(LIKELIHOODS)}",
                  f"    confidence: {rng.choice(['low', 'moderate', 'high'])}"]
        lines += block(kj[g::groups], "    ")
    ids = [f"c{k + 1}" for k in range(len(sec))]
    markers = " ".join(f"[@{i}]" for i in ids)
    lines += ["summary: |", f"  Attacks around {place} continue {markers}.".replace("  .", "."), ""]
    if sec:
        lines += ["sections:", '  - title: "Background"', "    body: |",
                  f"      The sources describe repeated attacks {markers}.", ""]
        lines += block(sec, "    ", ids)
    if rest:
        lines.append("incidents:")
    k = 0
    while k < len(rest):
        take = rng.randint(1, 4)
        lines += [f"  - id: incident-{k:03d}", f"    title: {yq(f'{rng.choice(TARGETS).capitalize()} attacked near {place}')}",
                  f"    kind: {rng.choice(KINDS)}",
                  f"    date: {yq(rng.choice([f'2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}', '2023-05', '2022', 'unknown']))}",
                  f"    country: {rng.choice(['Afghanistan', 'Tajikistan'])}",
                  f"    target_type: {rng.choice(['business', 'diplomatic', 'civilians', 'security forces'])}"]
        lines += block(rest[k:k + take], "    ")
        k += take
    return "\n".join(lines) + "\n"


def generate(out: Path, n_sources: int, n_assessments: int, n_citations: int, seed: int) -> dict[str, int]:
    """Write the project; returns corpus figures (bytes, quotes findable verbatim)."""
    if out.exists():
        if any(out.iterdir()) and not (out / MARKER).exists():
            sys.exit(f"{out} is not empty and was not made by this script; choose another --out")
        shutil.rmtree(out)
    for part in ("sources", "assessments"):
        (out / part).mkdir(parents=True)
    (out / MARKER).write_text("made by benchmarks/check_scale.py; deleted on the next run\n")
    rng = random.Random(seed)
    prose = Prose(rng)
    texts: list[tuple[str, str, list[tuple[int, int]]]] = []
    registry = ["sources:"]
    total_bytes = 0
    for i in range(n_sources):
        text, spans = prose.source(rng.randint(4500, 5400))
        raw = text.encode()
        digest = hashlib.sha256(raw).hexdigest()
        name = f"{i:05d}_{digest[:8]}.txt"
        (out / "sources" / name).write_bytes(raw)
        total_bytes += len(raw)
        texts.append((name, text, spans))
        registry += [f"  - path: {name}", f"    title: {yq(text.split(chr(10), 1)[0])}", "    published: unknown",
                     "    language: en", f"    reliability: {rng.choice('ABCDEF')}", '    rationale: "Synthetic."',
                     f"    sha256: {digest}"]
    (out / "sources" / "sources.yaml").write_text("\n".join(registry) + "\n")
    quotes, verbatim = [], 0
    for a in range(n_assessments):
        count = n_citations // n_assessments + (a < n_citations % n_assessments)
        cites = []
        for _ in range(count):
            name, text, spans = rng.choice(texts)
            quote = quote_from(rng, text, spans)
            if rng.random() < 0.35:
                quote = quote.translate(STRAIGHT)
            verbatim += quote in text
            cites.append((name, quote))
            quotes.append(quote)
        (out / "assessments" / f"a{a:04d}.yaml").write_text(assessment_yaml(rng, a, cites))
    (out / "quotes.txt").write_text("\n".join(quotes) + "\n")
    registry_bytes = (out / "sources" / "sources.yaml").stat().st_size
    return {"bytes": total_bytes, "verbatim": verbatim, "registry_bytes": registry_bytes}


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
    print("| corpus | files | MB | citations | quotes verbatim in source (grep's ceiling) |")
    print("|---|---|---|---|---|")
    print(f"| {args.sources:,} sources, {args.assessments:,} assessments | {args.sources + args.assessments + 1:,}"
          f" | {corpus['bytes'] / 1e6:.1f} | {args.citations:,} | {corpus['verbatim']:,} |\n")
    print("| run | median s | peak MB | result |")
    print("|---|---|---|---|")
    for name, (seconds, peak, summary) in results.items():
        print(f"| `{name}` | {seconds:.2f} | {peak:.0f} | {summary} |")
    ratio = results["check"][0] / max(results["grep -F -c"][0], 1e-9)
    print(f"\ncheck / grep -F -c: {ratio:.1f}x the time")
    print("commands:", *(f"  {'LC_ALL=C ' if n != 'check' else ''}{shlex.join(c)}" for n, (c, _) in cases.items()), sep="\n")


if __name__ == "__main__":
    main()
