"""Time `check` and a full build of the shipped project, in fresh processes.

    .venv/bin/python benchmarks/shipped_build.py [--repeat 3]

Each run copies the project to a temp dir (so reports/ starts empty) and runs build.py as a
user would; the figures are wall-clock seconds, median of the repeats, plus peak RSS of the
parent process tree as reported by the kernel for the children (ru_maxrss).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, str(REPO / "build.py"), *args], cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    cases = {"check": ["check"], "build -j 1": ["build", "-j", "1"], "build -j 2": ["build", "-j", "2"]}
    print(f"shipped project: {len(list((REPO / 'assessments').glob('*.yaml')))} assessments, "
          f"{len(list((REPO / 'sources').glob('*.txt')))} sources; median of {repeat} runs")
    for name, args in cases.items():
        times = []
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp)
                for part in ("assessments", "incidents", "sources"):
                    shutil.copytree(REPO / part, root / part)
                times.append(run(args, root))
        print(f"{name:<12} {statistics.median(times):6.2f} s   (min {min(times):.2f}, max {max(times):.2f})")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS of any single child process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
