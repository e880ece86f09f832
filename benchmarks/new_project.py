"""A new team's first hour, timed: install the wheel, start a project, cite a source, build a PDF.

    .venv/bin/python benchmarks/new_project.py [--out DIR] [--with-deps] [--runs 5] [--warmup 1] [--readme]

1. The session, once, checked step by step:
   a. builds a wheel of this repository (`pip wheel --no-deps --no-build-isolation`);
   b. installs it into a fresh virtual environment under --out, outside the repository. The
      dependencies (WeasyPrint, matplotlib, ...) are borrowed from the running environment through a
      `.pth` file, so the step needs no network; `--with-deps` installs them from the package index
      instead, as a team would (the session only: the timed runs below always borrow them);
   c. in an empty directory (no templates/ of its own), with the installed `threatbrief` command:
      `init`, `add-source` (a short news text), `new`, then fills the placeholders `new` wrote,
      `check` (must be clean) and `build` (the PDF's text must contain the new quote).
   Exits non-zero, naming the step, if any step fails; `tests/test_install.py` runs this script.
   The project is saved as it stood before each `threatbrief` step.
2. Times with benchmarks/paired.py, A B A B ... in fresh processes (--warmup uncounted pairs, then
   --runs counted; the figure is the median of the pairs' ratios A / B), each step from the state the
   session had before it (the saved project restored, a fresh output folder or virtual environment):
     each `threatbrief` step, and creating the virtual environment, against `python -c pass` (the
     interpreter starting and stopping: what any command costs at the least);
     building the wheel and installing it, against `python -m pip --version` (pip starting);
     the whole session from nothing (a shell script: the eight commands above, the placeholders
     filled by copying the session's filled file) against a shell script running `python -c pass`
     eight times.
   --runs 0 runs the session only.
3. Prints a Markdown table (medians, the paired ratio and its range, peak RSS of each side) and
   whether .pyc files existed; with --readme, writes it into README.md between
   <!-- benchmark:new_project --> and <!-- /benchmark:new_project -->.
"""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from paired import TABLE_HEAD, Command, paired, publish, pyc_note, table_row  # noqa: E402

SOURCE_TEXT = """Gunmen attack Chinese mining camp in Badakhshan

    KABUL, 3 March 2025 - Gunmen attacked a camp of Chinese mining workers in Badakhshan province
on Monday, police said. One Chinese worker was killed and two were wounded, according to the
provincial police spokesman. No group has claimed the attack.
"""
QUOTE = "One Chinese worker was killed and two were wounded"
# What an analyst writes in place of each placeholder `new` leaves, by the placeholder's text.
FILL = {
    "file name in sources/": "badakhshan-camp.txt",
    "copy the exact passage from the source": QUOTE,
    "what it covers: place, period, population, and the sources used":
        "Chinese mining operations in Badakhshan province, Afghanistan, from one news report.",
    "one judgment in one sentence, in the words of its likelihood":
        "Further attacks on Chinese mining camps in Badakhshan are likely.",
    "the bottom line in two or three sentences of Markdown": "One attack on a Chinese mining camp is recorded [@evidence].",
    "a heading, e.g. Background": "The attack",
    "Markdown paragraphs; put a marker after each claim a citation supports, like this":
        "Gunmen attacked a Chinese mining camp in Badakhshan province.",
    "what happened, in a few words": "Attack on a Chinese mining camp",
    "country": "Afghanistan",
    "one or two sentences": "Gunmen attacked the camp; one Chinese worker was killed and two were wounded.",
}
NULLS = {"as a quote names it, or null"}  # the source names no perpetrator


class StepFailed(Exception):
    pass


def run(step: str, command: list[str], cwd: Path, steps: list[str]) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise StepFailed(f"{step} failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    steps.append(step)
    print(f"ok  {step}", flush=True)
    return done.stdout + done.stderr


def fill_placeholders(path: Path) -> None:
    """Replace each `[[TODO: …]]` with what an analyst would write there; an unknown one fails."""
    def value(match: re.Match[str]) -> str:
        todo = match.group(2)
        if todo == "…":  # the header comment that explains placeholders
            return match.group(0)
        if todo in NULLS:
            return "null"
        if todo not in FILL:
            raise StepFailed(f"no value for the placeholder [[TODO: {todo}]] in {path.name}")
        return f"{match.group(1)}{FILL[todo]}{match.group(1)}"

    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r'("?)\[\[TODO: ([^\]]*)\]\]\1', value, text), encoding="utf-8")


ADD_SOURCE = ["--publisher", "Example News", "--published", "2025-03-03", "--language", "en", "--kind", "news",
              "--grade", "B", "--rationale", "Names the police spokesman and gives figures."]
NEW = ["new", "badakhshan", "--title", "Threat to Chinese mining camps"]


def wheel_command(dist: Path) -> list[str]:
    return [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(dist), str(REPO)]


def install_command(python: Path, wheel: Path) -> list[str]:
    return [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)]


def borrow_dependencies(venv: Path) -> None:
    """A fresh environment (no pip) that sees this one's packages through a .pth file."""
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (site_packages(venv) / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n",
                                                                   encoding="utf-8")


def site_packages(venv: Path) -> Path:
    return Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())


def session(out: Path, with_deps: bool) -> tuple[Path, Path, dict[str, Path]]:
    """The session, once; (the wheel, the environment, the saved project before each threatbrief step)."""
    shutil.rmtree(out, ignore_errors=True)
    (out / "work").mkdir(parents=True)
    saved = out / "saved"
    steps: list[str] = []
    run("build the wheel", wheel_command(out / "dist"), out, steps)
    wheel = next((out / "dist").glob("threatbrief-*.whl"))
    venv = out / "venv"
    run("create a fresh virtual environment", [sys.executable, "-m", "venv", *([] if with_deps else ["--without-pip"]),
                                               str(venv)], out, steps)
    python = venv / "bin" / "python"
    if with_deps:
        run("install the wheel and its dependencies", [str(python), "-m", "pip", "install", "-q", str(wheel)], out, steps)
    else:
        (site_packages(venv) / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n",
                                                                       encoding="utf-8")
        run("install the wheel", install_command(python, wheel), out, steps)
    tool = str(venv / "bin" / "threatbrief")
    where = run("locate the installed package", [str(python), "-c", "import threatbrief; print(threatbrief.__file__)"],
                out / "work", steps)
    if not where.strip().startswith(str(venv)):
        raise StepFailed(f"threatbrief was imported from {where.strip()}, not from the fresh environment")
    work = out / "work"
    project = work / "project"
    snapshots: dict[str, Path] = {}

    def step(name: str, command: list[str]) -> None:
        snapshots[name] = saved / name.replace(" ", "-")
        if project.exists():
            shutil.copytree(project, snapshots[name], symlinks=True)
        run(f"threatbrief {name}", command, work, steps)

    step("init", [tool, "init", "project"])
    (work / "badakhshan-camp.txt").write_text(SOURCE_TEXT, encoding="utf-8")
    step("add-source", [tool, "-C", str(project), "add-source", str(work / "badakhshan-camp.txt"), *ADD_SOURCE])
    step("new", [tool, "-C", str(project), *NEW])
    fill_placeholders(project / "assessments" / "badakhshan.yaml")
    step("check", [tool, "-C", str(project), "check"])
    step("build", [tool, "-C", str(project), "build"])
    pdf = project / "reports" / "badakhshan.pdf"
    from pypdf import PdfReader

    text = " ".join(" ".join(page.extract_text() for page in PdfReader(pdf).pages).split())
    if QUOTE not in text:
        raise StepFailed(f"the PDF does not contain the quote {QUOTE!r}")
    if (project / "templates").exists() and any(p.suffix != ".md" for p in (project / "templates").iterdir()):
        raise StepFailed("the project has templates of its own: the built-in ones were not what was used")
    print(f"the session's PDF: {pdf} ({pdf.stat().st_size:,} bytes)", flush=True)
    return wheel, venv, snapshots


def restore(snapshot: Path, project: Path) -> None:
    """The project as it stood before a step (no project at all before `init`)."""
    shutil.rmtree(project, ignore_errors=True)
    if snapshot.exists():
        shutil.copytree(snapshot, project, symlinks=True)


def session_script(out: Path, root: Path, filled: Path) -> str:
    """The whole session from nothing, as one shell script under `root`: eight commands."""
    q = shlex.quote
    venv, work = root / "venv", root / "work"
    tool = q(str(venv / "bin" / "threatbrief"))
    site = f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"
    return "\n".join([
        "set -e",
        f"mkdir -p {q(str(work))}",
        shlex.join(wheel_command(root / "dist")),
        shlex.join([sys.executable, "-m", "venv", "--without-pip", str(venv)]),
        f"printf '%s\\n' {q(sysconfig.get_paths()['purelib'])} > {q(str(venv / site / 'borrowed-dependencies.pth'))}",
        shlex.join(install_command(venv / "bin" / "python", Path("WHEEL"))).replace("WHEEL", f"{q(str(root / 'dist'))}/threatbrief-*.whl"),
        f"cd {q(str(work))}",
        f"{tool} init project",
        f"cp {q(str(out / 'work' / 'badakhshan-camp.txt'))} .",
        f"{tool} -C project add-source {q(str(work / 'badakhshan-camp.txt'))} {shlex.join(ADD_SOURCE)}",
        f"{tool} -C project {shlex.join(NEW)}",
        f"cp {q(str(filled))} project/assessments/badakhshan.yaml",
        f"{tool} -C project check",
        f"{tool} -C project build",
        "test -s project/reports/badakhshan.pdf",
    ]) + "\n"


def timings(out: Path, wheel: Path, venv: Path, snapshots: dict[str, Path], runs: int, warmup: int):
    """The paired series: (label, result) per row."""
    logs, scratch = out / "runs", out / "scratch"
    python = str(venv / "bin" / "python")
    project = out / "work" / "project"
    start = Command([python, "-c", "pass"], "`python -c pass`")
    pip = Command([sys.executable, "-m", "pip", "--version"], "`pip --version`")
    tool = str(venv / "bin" / "threatbrief")
    rows = []

    def row(label: str, command: Command, anchor: Command) -> None:
        print(f"{label} vs {anchor.name}: {warmup} + {runs} pairs", flush=True)
        rows.append((label, paired(command, anchor, runs, warmup, logs)))

    fresh = lambda path: lambda: shutil.rmtree(path, ignore_errors=True)  # noqa: E731
    row("build the wheel", Command(wheel_command(scratch / "dist"), "pip wheel", before=fresh(scratch / "dist")), pip)
    row("create a fresh virtual environment",
        Command([sys.executable, "-m", "venv", "--without-pip", str(scratch / "venv")], "python -m venv",
                before=fresh(scratch / "venv")), start)
    row("install the wheel (`--no-deps`)", Command(install_command(scratch / "venv" / "bin" / "python", wheel), "pip install",
                                                  before=lambda: borrow_dependencies(scratch / "venv")), pip)
    work = out / "work"
    for name, argv in [("init", ["init", "project"]),
                       ("add-source", ["-C", str(project), "add-source", str(work / "badakhshan-camp.txt"), *ADD_SOURCE]),
                       ("new", ["-C", str(project), *NEW]), ("check", ["-C", str(project), "check"]),
                       ("build", ["-C", str(project), "build"])]:
        snapshot = snapshots[name]
        row(f"`threatbrief {name}`", Command([tool, *argv], f"threatbrief {name}", cwd=work,
                                              before=lambda s=snapshot: restore(s, project)), start)
    shutil.copytree(snapshots["build"], out / "filled-project", dirs_exist_ok=True)
    root = scratch / "session"
    script = out / "session.sh"
    script.write_text(session_script(out, root, out / "filled-project" / "assessments" / "badakhshan.yaml"), encoding="utf-8")
    eight = out / "python-c-pass-x8.sh"
    eight.write_text("set -e\n" + f"{shlex.join([python, '-c', 'pass'])}\n" * 8, encoding="utf-8")
    row("the whole session, from nothing", Command(["sh", str(script)], "session.sh", before=fresh(root)),
        Command(["sh", str(eight)], "`python -c pass` ×8"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="working directory (default: a new temp dir)")
    parser.add_argument("--with-deps", action="store_true",
                        help="the session installs the dependencies from the package index")
    parser.add_argument("--runs", type=int, default=5, help="counted pairs a row (0: the session only, no timing)")
    parser.add_argument("--warmup", type=int, default=1, help="uncounted pairs before each row")
    parser.add_argument("--readme", action="store_true", help="write the table into README.md's block")
    args = parser.parse_args()
    if args.runs < 0 or args.warmup < 0:
        parser.error("need --runs >= 0 and --warmup >= 0")
    out = (args.out or Path(tempfile.mkdtemp(prefix="threatbrief-new-project-"))).resolve()
    try:
        wheel, venv, snapshots = session(out, args.with_deps)
    except (StepFailed, StopIteration, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not args.runs:
        return 0
    rows = timings(out, wheel, venv, snapshots, args.runs, args.warmup)
    installed = list(site_packages(venv).glob("threatbrief/**/__pycache__/*.pyc"))
    flags = shlex.join(a for a in sys.argv[1:] if a != "--readme" and not a.startswith("--out") and a != str(args.out))
    block = "\n".join([
        f"`.venv/bin/python benchmarks/new_project.py{' ' + flags if flags else ''}` — {pyc_note()}; the installed "
        f"package {'with' if installed else 'without'} .pyc files ({len(installed)}, written by pip); "
        f"{args.warmup} + {args.runs} pairs a row, each run a fresh process:",
        "",
        TABLE_HEAD,
        *(table_row(label, result) for label, result in rows),
    ])
    print()
    publish("new_project", block, args.readme)
    print(f"\noutputs in {out / 'runs'}; the whole session's script: {out / 'session.sh'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
