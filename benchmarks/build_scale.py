"""Cold, no-op and one-edit builds at 1, 10 and 100 assessments, with -j 1 and -j 2.

    .venv/bin/python benchmarks/build_scale.py [--sizes 1 10 100] [--jobs 1 2] [--out /tmp/threatbrief-build-bench]

Each size gets a generated project: the five shipped sources and registry, and N copies of a
small assessment (three key judgments, a section, two incidents, 12 citations; a 6-page PDF).
For each -j it runs, in fresh processes, `build.py build -j J` three ways:
  cold   reports/ emptied first: every HTML and PDF is rendered;
  no-op  nothing changed since the last build;
  edit   one assessment's summary changed: its HTML and PDF and the index are rebuilt.
Prints wall-clock seconds per run as a Markdown table (one run each: the cold runs are long).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = '''title: "Synthetic briefing {n}"
date: 2026-11-22
tlp: "TLP:CLEAR"
authors: ["benchmark"]
scope: "Generated for benchmarks/build_scale.py."
key_judgments:
  - text: "ISKP will likely attempt further attacks on Chinese nationals in Afghanistan."
    likelihood: likely
    confidence: low
    citations:
      - source: 001_e83d1325de68595b.txt
        quote: "This marks the second instance of Chinese nationals being targeted by ISKP"
      - source: 004_1119ade7bae576e5.txt
        quote: "planned joint operations, such as the ETIM sending members to join the operational unit of ISIL-K"
  - text: "Attacks on Chinese workers near the Afghan–Tajik border are likely to continue."
    likelihood: likely
    confidence: low
    citations:
      - source: 003_7f3640db71bdb217.txt
        quote: "The attack took place on Nov. 18 near the Afghan-Tajik border"
      - source: 000_6070f551f45e9564.txt
        quote: "traveling near the Tajikistan border in Takhar province"
  - text: "ISKP very likely seeks to undermine the Taliban's foreign partnerships."
    likelihood: very likely
    confidence: moderate
    citations:
      - source: 004_1119ade7bae576e5.txt
        quote: "aimed at isolating the Taliban from a handful of countries it counts as diplomatic allies"
      - source: 002_5155f62ce3a85988.txt
        quote: "the Taliban government is trying to present a better security image to encourage investment from Beijing"
summary: |
  Summary {n}: ISKP claimed the killing of a Chinese national in Takhar [@claim].
sections:
  - title: "Background"
    body: |
      Tajik officials reported one worker killed and four wounded [@toll].
    citations:
      - id: claim
        source: 001_e83d1325de68595b.txt
        quote: "The Islamic State Khorasan Province (ISKP) released a statement claiming responsibility for the killing"
      - id: toll
        source: 003_7f3640db71bdb217.txt
        quote: "According to Tajik officials, one Chinese worker was killed and four wounded"
incidents:
  - id: takhar
    title: "Chinese national killed in Takhar"
    kind: attack
    date: unknown
    country: Afghanistan
    province: Takhar
    perpetrator: ISKP
    claimed: true
    killed: 1
    citations:
      - source: 001_e83d1325de68595b.txt
        quote: "A Chinese citizen was killed on Tuesday in Afghanistan’s northern Takhar province in an attack claimed by the Islamic State Khorasan Province (ISKP)."
  - id: tajik
    title: "Attack on Chinese workers in Tajikistan"
    kind: attack
    date: "2024-11-18"
    country: Tajikistan
    killed: 1
    wounded: 4
    citations:
      - source: 003_7f3640db71bdb217.txt
        quote: "According to Tajik officials, one Chinese worker was killed and four wounded"
'''


def make_project(root: Path, size: int) -> None:
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(REPO / "sources", root / "sources")
    (root / "assessments").mkdir(parents=True)
    for n in range(size):
        (root / "assessments" / f"brief-{n:03d}.yaml").write_text(TEMPLATE.format(n=n), encoding="utf-8")
    (root / "threatbrief.toml").write_text('[rules]\nsource-uncited = "off"\n', encoding="utf-8")


def timed_build(root: Path, jobs: int) -> float:
    started = time.perf_counter()
    run = subprocess.run([sys.executable, str(REPO / "build.py"), "-C", str(root), "build", "-j", str(jobs)],
                         capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        sys.exit(f"build failed in {root}:\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", type=Path, default=Path("/tmp/threatbrief-build-bench"))
    args = parser.parse_args()
    print(f"`{' '.join([Path(sys.executable).name, *sys.argv])}`\n")
    print("| assessments | -j | cold | no-op | one edit |")
    print("|---|---|---|---|---|")
    for size in args.sizes:
        root = args.out / f"n{size}"
        for jobs in args.jobs:
            make_project(root, size)
            cold = timed_build(root, jobs)
            noop = timed_build(root, jobs)
            first = root / "assessments" / "brief-000.yaml"
            first.write_text(first.read_text(encoding="utf-8").replace("Summary 0:", "Summary 0, edited:"), encoding="utf-8")
            edit = timed_build(root, jobs)
            print(f"| {size} | {jobs} | {cold:.2f} s | {noop:.2f} s | {edit:.2f} s |", flush=True)


if __name__ == "__main__":
    main()
