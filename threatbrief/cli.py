"""Command line: parse arguments, call the pipeline, print diagnostics, choose the exit code.

Exit codes: 0 success, 1 problems found (or the build failed), 2 usage error.
"""

from __future__ import annotations

import argparse
import difflib
import os
import signal
import sys

from . import __version__
from .diagnostics import RULES, format_github, format_json, format_text, printable, summary_line
from .pipeline import BuildError, CheckResult, build, check, clean
from .project import CONFIG_FILE, Project, slug


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="build.py",
        description="Check sourced threat assessments and build their HTML and PDF briefings.",
    )
    parser.add_argument("--version", action="version", version=f"threatbrief {__version__}")
    parser.add_argument("-C", "--project", default=".", metavar="DIR", help="project directory (default: .)")
    sub = parser.add_subparsers(dest="command")

    p_build = sub.add_parser("build", help="check, then write reports/<name>.html, .pdf and index.html (default)")
    p_build.add_argument("targets", nargs="*", metavar="[html|pdf] NAME",
                         help="'html' or 'pdf' to build one format; assessment names to build only those")
    p_build.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                         help="render N briefings in parallel processes (default: number of cores)")
    p_build.add_argument("--force", action="store_true", help="rebuild everything, stale or not")
    p_build.add_argument("--explain", action="store_true", help="say why each output is rebuilt")
    p_check = sub.add_parser("check", help="validate assessments, registry and every citation; write nothing")
    p_check.add_argument("names", nargs="*", metavar="NAME", help="assessment names (default: all)")
    p_check.add_argument("--format", choices=["text", "json", "github"], default="text",
                         help="text (default), json, or github (GitHub Actions annotations)")
    for p in (p_build, p_check):
        p.add_argument("--strict", action="store_true", help="warnings fail the run too (exit 1)")
    sub.add_parser("clean", help="remove what the build wrote to reports/ (and nothing else)")
    sub.add_parser("rules", help="list the rule codes")
    return parser


COMMANDS = ("build", "check", "clean", "rules")


def _default_to_build(argv: list[str]) -> list[str]:
    """`build.py html NAME` means `build.py build html NAME`: build is the default command."""
    head = []
    while len(argv) > 1 and argv[0] in ("-C", "--project"):
        head, argv = head + argv[:2], argv[2:]
    if not argv or argv[0] not in (*COMMANDS, "-h", "--help", "--version"):
        argv = ["build", *argv]
    return head + argv


class Interrupted(Exception):
    """SIGTERM, turned into an exception so that temporary files are removed on the way out."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Interrupted()


def main(argv: list[str] | None = None) -> int:
    """Run a command; Ctrl-C and SIGTERM end it cleanly, leaving the previous reports in place."""
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if argv is None else None
    try:
        return _main(argv)
    except (KeyboardInterrupt, Interrupted):
        print("interrupted: nothing more was written; the previous reports are intact", file=sys.stderr)
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(_default_to_build(list(sys.argv[1:] if argv is None else argv)))
    command = args.command
    if command == "rules":
        for rule in RULES.values():
            print(f"{rule.code}  {rule.severity.value:<7}  {rule.name:<24} {rule.description}")
        return 0
    if not os.path.isdir(args.project):
        print(f"error: -C {printable(args.project)}: no such directory", file=sys.stderr)
        return 2
    project = Project.at(args.project)
    if not _is_project(project):
        print(f"error: {printable(str(project.root))} is not a threatbrief project (it has no assessments/, "
              f"sources/ or threatbrief.toml): run 'threatbrief init {printable(args.project)}' to start one",
              file=sys.stderr)
        return 1
    if command == "check":
        names = [_as_name(n) for n in args.names]
        return _unknown_names(project, names) or _check(project, names, args.format, args.strict)
    if command == "clean":
        return _clean(project)
    targets = args.targets
    formats = tuple(t for t in targets if t in ("html", "pdf")) or ("html", "pdf")
    names = [_as_name(t) for t in targets if t not in ("html", "pdf")]
    if args.jobs < 1:
        _parser().error("-j/--jobs must be at least 1")
    return _unknown_names(project, names) or _build(project, names, formats, args)


def _is_project(project: Project) -> bool:
    return any(p.exists() for p in (project.assessments_dir, project.sources_dir, project.root / CONFIG_FILE))


def _as_name(target: str) -> str:
    """`NAME`, `NAME.yaml` and `assessments/NAME.yaml` all name one assessment."""
    name = target.removeprefix("./").removeprefix("assessments/")
    return name.removesuffix(".yaml")


def _unknown_names(project: Project, names: list[str]) -> int:
    """Exit code 1 (and a did-you-mean) when a NAME matches no assessment; 0 when all exist."""
    files = project.assessment_files()
    known = {f.stem for f in files} | {slug(f.stem) for f in files}
    unknown = [n for n in names if n not in known]
    for name in unknown:
        close = difflib.get_close_matches(name, sorted(known), n=1)
        hint = f": did you mean {close[0]!r}?" if close else f" ({len(files)} assessment(s) in assessments/)"
        print(f"error: no assessment named {printable(name)!r} (assessments/{printable(name)}.yaml){hint}",
              file=sys.stderr)
    return 1 if unknown else 0


def _print_diagnostics(result: CheckResult, fmt: str = "text") -> None:
    diagnostics = result.diagnostics
    if fmt == "json":
        print(format_json(diagnostics))
        return
    if fmt == "github":
        if diagnostics:
            print(format_github(diagnostics))
        print(summary_line(diagnostics, f"checked {result.files} files"), file=sys.stderr)
        return
    if diagnostics:
        print(format_text(diagnostics, color=sys.stdout.isatty()))
    print(summary_line(diagnostics, f"checked {result.files} files, {result.verified} citations verified"))


def _check(project: Project, names: list[str], fmt: str, strict: bool) -> int:
    result = check(project, names or None, strict)
    _print_diagnostics(result, fmt)
    return 0 if result.ok else 1


def _build(project: Project, names: list[str], formats: tuple[str, ...], args: argparse.Namespace) -> int:
    def progress(name: str, seconds: float, done: int, total: int) -> None:
        # One plain line per briefing as it completes: readable on a terminal and in CI logs.
        print(f"  [{done}/{total}] built {name} in {seconds:.1f} s", flush=True)

    try:
        result = build(project, names or None, formats, args.jobs, args.strict, args.force, progress)
    except BuildError as exc:
        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return 1
    if result.notice:
        print(f"notice: {result.notice}", file=sys.stderr)
    if args.explain:
        for output, reasons in sorted(result.reasons.items()):
            print(printable(f"{output}: {'; '.join(reasons)}"))
    if result.check is None:
        print(f"everything up to date ({len(result.up_to_date)} outputs) in {result.seconds:.2f} s")
        return 0
    if not result.check.ok:
        _print_diagnostics(result.check)
        print("build stopped: fix the problems above; no report was written", file=sys.stderr)
        return 1
    if result.check.diagnostics:
        print(format_text(result.check.diagnostics, color=sys.stdout.isatty()))
    for warning in result.warnings:
        print(f"warning: {printable(warning)}", file=sys.stderr)
    for path in result.written:
        print(f"wrote {printable(project.display(path))}")
    print(f"built {len(result.written)} output(s), {len(result.up_to_date)} up to date, 0 failed, "
          f"in {result.seconds:.1f} s")
    return 0


def _clean(project: Project) -> int:
    try:
        result = clean(project)
    except BuildError as exc:
        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return 1
    if result.notice:
        print(f"notice: {result.notice}", file=sys.stderr)
    for path, why in result.kept:
        print(f"kept {printable(path)}: {why}", file=sys.stderr)
    print(f"removed {len(result.removed)} file(s) that threatbrief wrote to reports/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
