"""Cold builds of the shipped project, each paired run by run with an anchor.

    .venv/bin/python benchmarks/shipped_build.py [--runs 5] [--warmup 1] [--out /tmp/threatbrief-shipped-bench] [--readme]

The shipped assessments/, incidents/ and sources/ are copied into --out (as a user's checkout
would be). Then, with benchmarks/paired.py (A B A B … in fresh processes; the figure is the
median of the pairs' ratios A / B):

  cold -j 1   `build.py -C COPY build --force -j 1`, the copy's reports/ and .threatbrief/ (the chart
              cache) removed before each run: every chart drawn, every HTML and PDF rendered, the
              exports and the index written; against its anchor, a bare script that imports the
              matplotlib modules the charts use and WeasyPrint, and renders with WeasyPrint the very
              HTML files that build wrote (reports/*.html, pdf_variant="pdf/ua-1", the same base_url):
              what a build cannot avoid doing;
  cold -j 2   the same build with `-j 2` (worker processes), against `-j 1`: how well two cores are used.

Before timing, one build writes the reports the anchor renders; after, every timed build's outputs
are checked to be byte-identical to it (so both sides did the same work). With --readme the Markdown
is also written into README.md between <!-- benchmark:shipped_build --> and its end marker.
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

PARTS = ("assessments", "incidents", "sources")

ANCHOR = """import os, sys
from pathlib import Path
import matplotlib.backends.backend_agg, matplotlib.backends.backend_svg, matplotlib.figure, matplotlib.layout_engine
from weasyprint import HTML
root = Path(sys.argv[1])
for name in sys.argv[2:]:
    HTML(filename=str(root / "reports" / name), base_url=str(root) + os.sep).write_pdf(pdf_variant="pdf/ua-1")
"""


def fresh_copy(target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    for part in PARTS:
        shutil.copytree(REPO / part, target / part)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("/tmp/threatbrief-shipped-bench"))
    parser.add_argument("--readme", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    out: Path = args.out
    claim_out(out)
    python, build = sys.executable, str(REPO / "build.py")
    reference, one, two = out / "reference", out / "j1", out / "j2"
    for root in (reference, one, two):
        fresh_copy(root)
    subprocess.run([python, build, "-C", str(reference), "build", "--force", "-j", "1"], check=True, capture_output=True)
    expected = outputs(reference)
    pages = sorted(p for p in expected if p.endswith(".html") and p[:-5] + ".pdf" in expected)  # not index.html
    logs = out / "logs"

    def build_cmd(root: Path, jobs: int) -> Command:
        return Command([python, build, "-C", str(root), "build", "--force", "-j", str(jobs)],
                       f"`build --force -j {jobs}` (cold)", before=lambda: cold(root))

    anchor = Command([python, "-c", ANCHOR, str(reference), *pages],
                     f"bare WeasyPrint on the same {len(pages)} HTML files + matplotlib imported")
    first = paired(build_cmd(one, 1), anchor, args.runs, args.warmup, logs)
    second = paired(build_cmd(two, 2), build_cmd(one, 1), args.runs, args.warmup, logs)
    for root in (one, two):
        if outputs(root) != expected:
            sys.exit(f"{root}: the build's outputs differ from the reference build's")

    assessments = len(list((REPO / "assessments").glob("*.yaml")))
    flags = " ".join(f"--{k} {v}" for k, v in (("runs", args.runs), ("warmup", args.warmup))
                     if v != parser.get_default(k))
    block = [
        f"`.venv/bin/python benchmarks/shipped_build.py{' ' + flags if flags else ''}` — {pyc_note()}; "
        f"{args.warmup} + {args.runs} pairs a row, each run a fresh process:",
        "",
        load_note(load_before),
        "",
        TABLE_HEAD,
        table_row(f"cold full build, `-j 1` ({assessments} briefings + the overview, HTML and PDF, exports, index)",
                  first, "≤ 1.08×"),
        table_row("cold full build, `-j 2`", second),
        "",
        f"The anchor renders {', '.join(f'`{p}`' for p in pages)} — what the build wrote, byte for byte — with "
        "`weasyprint.HTML(filename=…, base_url=PROJECT/).write_pdf(pdf_variant=\"pdf/ua-1\")` in one process that has "
        "also imported the matplotlib modules the charts use (`matplotlib.figure`, the Agg and SVG backends). Every "
        "timed build wrote the same bytes as the reference build.",
    ]
    publish("shipped_build", "\n".join(block), args.readme)


if __name__ == "__main__":
    main()
