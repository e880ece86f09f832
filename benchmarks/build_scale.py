"""Cold, no-op and one-edit builds at 1, 10 and 100 assessments, each paired run by run with an anchor.

    .venv/bin/python benchmarks/build_scale.py [--sizes 1 10] [--runs 5] [--cold-runs 3] [--warmup 1]
        [--out /tmp/threatbrief-build-bench] [--readme]

Each size gets a generated project: the five shipped sources and registry, and N copies of a
small assessment (three key judgments, a section, two incidents, 12 citations; a 6-page PDF). With
benchmarks/paired.py (A B A B … in fresh processes; the figure is the median of the pairs' ratios
A / B), per size:

  cold    `build.py build --force -j 2` against `-j 1`, reports/ and .threatbrief/ (the chart cache)
          removed before each run: every chart drawn, every HTML and PDF rendered. The ratio is
          -j 2's time over -j 1's; its inverse, the speed-up, is in the row's name;
  no-op   `build -j 2` with nothing changed since the last build, against `python -c pass`;
  edit    one assessment's summary changed before each run, then `build -j 2` (its HTML and PDF and
          the index are rebuilt; its charts come from the chart cache, so matplotlib is not even
          imported), against what it cannot avoid: a fresh process that imports WeasyPrint and
          renders that briefing's HTML as the build wrote it (`pdf_variant="pdf/ua-1"`, the same
          base_url).

At sizes up to 10, one more cold build with each -j checks that both wrote the same bytes. With
--readme the Markdown is also written into README.md between <!-- benchmark:build_scale --> and
its end marker.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from paired import TABLE_HEAD, Command, claim_out, cold, load_note, outputs, paired, publish, pyc_note, table_row  # noqa: E402

ANCHOR = """import os, sys
from pathlib import Path
from weasyprint import HTML
root = Path(sys.argv[1])
HTML(filename=str(root / "reports" / sys.argv[2]), base_url=str(root) + os.sep).write_pdf(pdf_variant="pdf/ua-1")
"""

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


class Editor:
    """Changes the first assessment's summary before each run, so that every run has an edit to build."""

    def __init__(self, root: Path) -> None:
        self.path = root / "assessments" / "brief-000.yaml"
        self.count = 0

    def __call__(self) -> None:
        self.count += 1
        text = TEMPLATE.format(n=0).replace("Summary 0:", f"Summary 0, edit {self.count}:")
        self.path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--runs", type=int, default=5, help="counted pairs for the no-op and edit rows")
    parser.add_argument("--cold-runs", type=int, default=3, help="counted pairs for the cold rows")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("/tmp/threatbrief-build-bench"))
    parser.add_argument("--readme", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    out: Path = args.out
    claim_out(out, empty=False)
    python, build = sys.executable, str(REPO / "build.py")
    rows: list[str] = []
    for size in args.sizes:
        root = out / f"n{size}"
        make_project(root, size)
        logs = out / "logs" / f"n{size}"

        def cmd(jobs: int, force: bool = True, before=None, label: str = "") -> Command:
            argv = [python, build, "-C", str(root), "build", *(["--force"] if force else []), "-j", str(jobs)]
            return Command(argv, label, before=before)

        cold_j2 = cmd(2, before=lambda: cold(root), label="`build --force -j 2` (cold)")
        cold_j1 = cmd(1, before=lambda: cold(root), label="`build --force -j 1` (cold)")
        scaling = paired(cold_j2, cold_j1, args.cold_runs, args.warmup, logs)
        if size <= 10:
            same = []
            for command in (cold_j2, cold_j1):
                cold(root)
                subprocess.run(command.argv, check=True, capture_output=True)
                same.append(outputs(root))
            if same[0] != same[1]:
                sys.exit(f"n={size}: -j 2 and -j 1 wrote different bytes")
        noop = paired(cmd(2, force=False, label="`build -j 2`, nothing to do"),
                      Command([python, "-c", "pass"], "`python -c pass`"), args.runs, args.warmup, logs)
        edit = paired(cmd(2, force=False, before=Editor(root), label="`build -j 2` after editing one assessment"),
                      Command([python, "-c", ANCHOR, str(root), "brief-000.html"],
                              "bare WeasyPrint on that briefing's HTML"),
                      args.runs, args.warmup, logs)
        rows += [table_row(f"{size} assessment{'s' if size > 1 else ''}: cold, `-j 2` against `-j 1` "
                           f"(speed-up {1 / scaling.ratio:.2f}×)", scaling, "≤ 0.53×, a speed-up ≥ 1.9×" if size == 10 else ""),
                 table_row(f"{size}: no-op build", noop),
                 table_row(f"{size}: one assessment edited", edit)]
        print(rows[-3], rows[-2], rows[-1], sep="\n", flush=True)
    flags = " ".join(f"--{k.replace('_', '-')} {' '.join(map(str, v)) if isinstance(v, list) else v}"
                     for k, v in vars(args).items() if k not in ("out", "readme") and v != parser.get_default(k))
    block = [
        f"`.venv/bin/python benchmarks/build_scale.py{' ' + flags if flags else ''}` — {pyc_note()}; "
        f"{args.warmup} + {args.cold_runs} pairs a cold row, {args.warmup} + {args.runs} the others, each run a fresh process:",
        "",
        load_note(load_before),
        "",
        TABLE_HEAD,
        *rows,
        "",
        "Each assessment: three key judgments, a section, two incidents, 12 citations, a 6-page PDF; the ten (or "
        "hundred) share their incidents, so their charts are drawn once per process. Cold runs start with no "
        "reports/ and no chart cache; -j 2 and -j 1 wrote the same bytes.",
    ]
    publish("build_scale", "\n".join(block), args.readme)


if __name__ == "__main__":
    main()
