"""A new team's first hour, timed: install the wheel, start a project, cite a source, build a PDF.

    .venv/bin/python benchmarks/new_project.py [--out DIR] [--with-deps]

1. builds a wheel of this repository (`pip wheel --no-deps --no-build-isolation`);
2. installs it into a fresh virtual environment under --out, outside the repository. The
   dependencies (WeasyPrint, matplotlib, …) are borrowed from the running environment through a
   `.pth` file, so the step needs no network; `--with-deps` installs them from the package index
   instead, as a team would;
3. in an empty directory (no templates/ of its own), with the installed `threatbrief` command:
   `init`, `add-source` (a short news text), `new`, then fills the placeholders `new` wrote,
   `check` (must be clean) and `build` (the PDF's text must contain the new quote).

Prints each step's wall time. Exits non-zero, naming the step, if any step fails; the test
`tests/test_install.py` runs this script.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
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


def run(step: str, command: list[str], cwd: Path, timings: list[tuple[str, float]]) -> str:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    timings.append((step, time.perf_counter() - started))
    print(f"{timings[-1][1]:7.2f} s  {step}", flush=True)
    if done.returncode != 0:
        raise StepFailed(f"{step} failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="working directory (default: a new temp dir)")
    parser.add_argument("--with-deps", action="store_true", help="install the dependencies from the package index")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="threatbrief-new-project-"))
    shutil.rmtree(out, ignore_errors=True)
    (out / "work").mkdir(parents=True)
    timings: list[tuple[str, float]] = []
    try:
        run("build the wheel", [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                                "-w", str(out / "dist"), str(REPO)], out, timings)
        wheel = next((out / "dist").glob("threatbrief-*.whl"))
        venv = out / "venv"
        run("create a fresh virtual environment", [sys.executable, "-m", "venv", *([] if args.with_deps else ["--without-pip"]),
                                                   str(venv)], out, timings)
        python = venv / "bin" / "python"
        if args.with_deps:
            run("install the wheel and its dependencies", [str(python), "-m", "pip", "install", "-q", str(wheel)], out, timings)
        else:
            site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip()
            (Path(site) / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
            run("install the wheel", [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                                      "--no-index", str(wheel)], out, timings)
        tool = str(venv / "bin" / "threatbrief")
        where = run("locate the installed package", [str(python), "-c", "import threatbrief; print(threatbrief.__file__)"],
                    out / "work", timings)
        if not where.strip().startswith(str(venv)):
            raise StepFailed(f"threatbrief was imported from {where.strip()}, not from the fresh environment")
        work = out / "work"
        run("threatbrief init", [tool, "init", "project"], work, timings)
        project = work / "project"
        (work / "badakhshan-camp.txt").write_text(SOURCE_TEXT, encoding="utf-8")
        run("threatbrief add-source", [tool, "-C", str(project), "add-source", str(work / "badakhshan-camp.txt"),
                                       "--publisher", "Example News", "--published", "2025-03-03", "--language", "en",
                                       "--kind", "news", "--grade", "B",
                                       "--rationale", "Names the police spokesman and gives figures."], work, timings)
        run("threatbrief new", [tool, "-C", str(project), "new", "badakhshan", "--title", "Threat to Chinese mining camps"],
            work, timings)
        fill_placeholders(project / "assessments" / "badakhshan.yaml")
        run("threatbrief check", [tool, "-C", str(project), "check"], work, timings)
        run("threatbrief build", [tool, "-C", str(project), "build"], work, timings)
        pdf = project / "reports" / "badakhshan.pdf"
        from pypdf import PdfReader

        text = " ".join(" ".join(page.extract_text() for page in PdfReader(pdf).pages).split())
        if QUOTE not in text:
            raise StepFailed(f"the PDF does not contain the quote {QUOTE!r}")
        if (project / "templates").exists() and any(p.suffix != ".md" for p in (project / "templates").iterdir()):
            raise StepFailed("the project has templates of its own: the built-in ones were not what was used")
    except (StepFailed, StopIteration, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{sum(t for _, t in timings):7.2f} s  in all; PDF: {pdf} ({pdf.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
