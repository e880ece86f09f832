"""Start-up cost of the commands run most: a no-op build and `check` of the shipped project, each
paired run by run with `python -c pass` (the interpreter starting: the least any command costs).

    .venv/bin/python benchmarks/startup.py [--runs 7] [--warmup 1] [--compile] [--readme]

1. Copies assessments/, incidents/ and sources/ to a temp dir (like benchmarks/shipped_build.py) and
   builds it once, so that the next build has nothing to do.
2. Times with benchmarks/paired.py, A B A B ... in fresh processes, against `.venv/bin/python -c pass`:
     no-op build  `build.py build`: "everything up to date" (asserted from its output; before each
                  run an untimed build makes sure, as anyone editing the tool's code meanwhile
                  makes the next build a full one);
     check, cold  `build.py check` with .threatbrief/cache/check/ removed before each run;
     check, warm  `build.py check` with that folder kept from the run before.
   The figure is the median of the pairs' ratios; the targets (issue 17) are ≤ 3× for the no-op
   build and ≤ 4× for check.
3. `--compile` byte-compiles the package first (`python -m compileall -q threatbrief`, as `make`
   does); the header says whether the package had .pyc files. With --readme, writes the table into
   README.md between <!-- benchmark:startup --> and <!-- /benchmark:startup --> (with .pyc files)
   or <!-- benchmark:startup_nopyc --> and its end (without).
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from paired import TABLE_HEAD, Command, paired, publish, pyc_note, table_row  # noqa: E402

PROJECT_PARTS = ("assessments", "incidents", "sources")


def prepare(root: Path) -> None:
    """A copy of the shipped project, built once: the next build has nothing to do."""
    for part in PROJECT_PARTS:
        shutil.copytree(REPO / part, root / part)
    settle(root)


def settle(root: Path) -> None:
    """Build until nothing is left to do (untimed): an edit of the tool's own code, by anyone working
    on it while this runs, makes the next build rebuild everything, and that is not a no-op."""
    for _ in range(3):  # a build after an edit of the tool's code rebuilds everything: try again
        run = subprocess.run([sys.executable, str(REPO / "build.py"), "build"], cwd=root, check=True,
                             capture_output=True, text=True)
        if "everything up to date" in run.stdout:
            return
    sys.exit(f"the build never became a no-op:\n{run.stdout}{run.stderr}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="counted pairs a row")
    parser.add_argument("--warmup", type=int, default=1, help="uncounted pairs before each row")
    parser.add_argument("--compile", action="store_true", help="byte-compile the package first, as `make` does")
    parser.add_argument("--readme", action="store_true", help="write the table into README.md's block")
    args = parser.parse_args()
    if args.runs < 1 or args.warmup < 0:
        parser.error("need --runs >= 1 and --warmup >= 0")
    if args.compile:
        subprocess.run([sys.executable, "-m", "compileall", "-q", "threatbrief"], cwd=REPO, check=True)
    python, build = sys.executable, str(REPO / "build.py")
    with tempfile.TemporaryDirectory(prefix="threatbrief-startup-") as tmp:
        root = Path(tmp)
        prepare(root)
        cache = root / ".threatbrief" / "cache" / "check"
        anchor = Command([python, "-c", "pass"], label="`python -c pass`")
        rows = [
            ("no-op `build.py build`", "≤ 3×", Command([python, build, "build"], cwd=root, before=lambda: settle(root))),
            ("`build.py check`, cold (no .threatbrief/cache/check/)", "≤ 4×",
             Command([python, build, "check"], cwd=root, before=lambda: shutil.rmtree(cache, ignore_errors=True))),
            ("`build.py check`, warm (cache kept)", "≤ 4×", Command([python, build, "check"], cwd=root)),
        ]
        results = [(label, target, paired(command, anchor, args.runs, args.warmup)) for label, target, command in rows]
        settle(root)
        noop = subprocess.run([python, build, "build"], cwd=root, capture_output=True, text=True).stdout.strip()
        checked = subprocess.run([python, build, "check"], cwd=root, capture_output=True, text=True).stdout.strip()
    if "everything up to date" not in noop:
        sys.exit(f"the no-op build did work: {noop}")
    flags = shlex.join(a for a in sys.argv[1:] if a != "--readme")
    block = "\n".join([
        f"`.venv/bin/python benchmarks/startup.py{' ' + flags if flags else ''}` — {pyc_note()}; "
        f"{args.warmup} + {args.runs} pairs a row, each run a fresh process:",
        "",
        TABLE_HEAD,
        *(table_row(label, result, target) for label, target, result in results),
        "",
        f"The no-op build: {noop.splitlines()[-1]}. `check`: {checked.splitlines()[-1]}.",
    ])
    compiled = any((REPO / "threatbrief").glob("**/__pycache__/*.pyc"))
    publish("startup" if compiled else "startup_nopyc", block, args.readme)
    return 0


if __name__ == "__main__":
    sys.exit(main())
