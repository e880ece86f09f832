"""Paired whole-process timings, and README blocks written from them.

Every benchmark here times a command (A) against its anchor (B: `python -c pass`, grep, bare
WeasyPrint, the same command with -j 1, …) in one process tree, A B A B …, and takes the ratio
pair by pair: the machine's speed drifts over a long run, a pair's two runs see the same drift.
The median of the pairs' ratios is the figure; the medians of each side are printed beside it.

Each run is timed inside a small helper process that starts the command, waits for it and reads
`getrusage(RUSAGE_CHILDREN)`: wall seconds from start to exit, and the peak RSS of the largest
single process the command waited for (its workers included). The helper's own start-up is not
in the figure.

`readme_block(name, text)` puts a benchmark's Markdown between
`<!-- benchmark:NAME -->` and `<!-- /benchmark:NAME -->` in README.md, so that the README shows
what the script printed, never a hand-copied figure.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"

_HELPER = """import json, resource, subprocess, sys, time
cmd, cwd, env, out, log = json.loads(sys.argv[1])
with open(log, "ab") as sink:
    t = time.perf_counter()
    rc = subprocess.call(cmd, cwd=cwd, env=env, stdout=sink, stderr=sink, stdin=subprocess.DEVNULL)
    t = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
open(out, "w").write(json.dumps([t, peak, rc]))"""


@dataclass
class Command:
    """One side of a pair: what to run, where, with which environment; `before` runs before
    each timed run of it (clearing a cache for a cold run, touching a file for an edit)."""

    argv: Sequence[str]
    label: str = ""
    cwd: Path | None = None
    env: dict[str, str] | None = None
    before: Callable[[], None] | None = None
    ok_codes: tuple[int, ...] = (0,)

    @property
    def name(self) -> str:
        return self.label or shlex.join(self.argv)


@dataclass
class Run:
    seconds: float
    peak_mb: float
    code: int


@dataclass
class Paired:
    a: Command
    b: Command
    runs_a: list[Run] = field(default_factory=list)
    runs_b: list[Run] = field(default_factory=list)

    @property
    def seconds_a(self) -> float:
        return statistics.median(r.seconds for r in self.runs_a)

    @property
    def seconds_b(self) -> float:
        return statistics.median(r.seconds for r in self.runs_b)

    @property
    def peak_a(self) -> float:
        return statistics.median(r.peak_mb for r in self.runs_a)

    @property
    def peak_b(self) -> float:
        return statistics.median(r.peak_mb for r in self.runs_b)

    @property
    def ratio(self) -> float:
        """Median of the pair-by-pair ratios A/B."""
        return statistics.median(a.seconds / max(b.seconds, 1e-9) for a, b in zip(self.runs_a, self.runs_b))

    @property
    def spread(self) -> str:
        ratios = sorted(a.seconds / max(b.seconds, 1e-9) for a, b in zip(self.runs_a, self.runs_b))
        return f"{ratios[0]:.2f}–{ratios[-1]:.2f}"


def run_once(command: Command, log: Path) -> Run:
    """One timed run of `command` in a fresh process; its output is appended to `log`."""
    if command.before:
        command.before()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        env = command.env if command.env is not None else dict(os.environ)
        spec = json.dumps([list(command.argv), str(command.cwd) if command.cwd else None, env, str(out), str(log)])
        subprocess.run([sys.executable, "-c", _HELPER, spec], check=True)
        seconds, kbytes, code = json.loads(out.read_text())
    if code not in command.ok_codes:
        tail = log.read_text(errors="replace").splitlines()[-20:]
        sys.exit(f"`{command.name}` exited {code}; the end of its output ({log}):\n" + "\n".join(tail))
    return Run(seconds, kbytes / 1024, code)


def paired(a: Command, b: Command, runs: int = 5, warmup: int = 1, log_dir: Path | None = None) -> Paired:
    """Run A and B in turn, `warmup` uncounted pairs first, then `runs` counted pairs."""
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="threatbrief-bench-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    slug_a, slug_b = _slug(a.name), _slug(b.name)
    result = Paired(a, b)
    for k in range(warmup + runs):
        run_a = run_once(a, log_dir / f"{slug_a}.log")
        run_b = run_once(b, log_dir / f"{slug_b}.log")
        if k >= warmup:
            result.runs_a.append(run_a)
            result.runs_b.append(run_b)
    return result


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text)[:60].strip("_") or "command"


TABLE_HEAD = ("| measure | median s | anchor | anchor median s | ratio (pairs' median, range) | peak MB (anchor) |\n"
              "|---|---|---|---|---|---|")


def table_row(measure: str, result: Paired, target: str = "") -> str:
    """One Markdown row: the measure, its anchor, both medians, the paired ratio and peaks."""
    goal = f" (target {target})" if target else ""
    return (f"| {measure} | {result.seconds_a:.3f} | {result.b.name} | {result.seconds_b:.3f} | "
            f"**{result.ratio:.2f}×**{goal}, {result.spread} | {result.peak_a:.0f} ({result.peak_b:.0f}) |")


def pyc_note() -> str:
    """Whether the package's modules had compiled bytecode for this run (it changes start-up)."""
    cached = list((REPO / "threatbrief").glob("**/__pycache__/*.pyc"))
    state = f"with .pyc files ({len(cached)} under threatbrief/)" if cached else "without .pyc files"
    dont = " PYTHONDONTWRITEBYTECODE=1," if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""
    return f"{os.cpu_count()} cores,{dont} package {state}"


def readme_block(name: str, text: str, readme: Path = README) -> bool:
    """Replace the README's block for `name` with `text`; False if the README has no such block."""
    start, end = f"<!-- benchmark:{name} -->", f"<!-- /benchmark:{name} -->"
    content = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(content):
        return False
    new = pattern.sub(lambda _: f"{start}\n{text.strip()}\n{end}", content, count=1)
    readme.write_text(new, encoding="utf-8")
    return True


def publish(name: str, text: str, to_readme: bool) -> None:
    """Print the benchmark's Markdown; with --readme, also write it into README.md's block."""
    print(text)
    if to_readme:
        if readme_block(name, text):
            print(f"\n(README.md: block '{name}' updated)")
        else:
            print(f"\n(README.md has no <!-- benchmark:{name} --> block: nothing written)", file=sys.stderr)


# Helpers the build benchmarks share ------------------------------------------------------------

MARKER = ".threatbrief-bench"  # a non-empty --out is used only if this script family made it


def claim_out(out: Path, empty: bool = True) -> None:
    """Make `out` this benchmark's folder: refuse one that holds other files, else empty it (or
    keep what a previous run made, with `empty=False`)."""
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        sys.exit(f"{out} is not empty and was not made by this script: choose another --out")
    if empty:
        import shutil

        shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).touch()


def cold(root: Path) -> None:
    """Before a cold build: no reports, no caches (charts, extraction, check)."""
    import shutil

    shutil.rmtree(root / "reports", ignore_errors=True)
    shutil.rmtree(root / ".threatbrief", ignore_errors=True)


def outputs(root: Path) -> dict[str, str]:
    """sha256 of each file the build wrote to reports/ (its own hidden files aside)."""
    import hashlib

    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((root / "reports").iterdir())
            if not p.name.startswith(".")}


def load_note(before: float) -> str:
    """What other work on the machine may have done to a `-j 2` figure."""
    return (f"Other work on the machine: load average (1 min) {before:.1f} at the start, {os.getloadavg()[0]:.1f} at the "
            "end (these runs themselves add 1 to 2): on 2 cores, other work leaves `-j 2` less than a second core, so "
            "its speed-up is then a lower bound.")
