"""Command line: parse arguments, call the pipeline, print diagnostics, choose the exit code.

Exit codes: 0 success, 1 problems found (or the build failed), 2 usage error.

Each command imports what it uses, inside the function that runs it: a build with nothing to do
is mostly Python starting, so it must not pay for the checker, the editors of `init`, `new` and
`add-source`, or the diagnostics' formats (README, "Speed"; tests/test_startup.py).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from threatbrief import __version__
from threatbrief.project import CONFIG_FILE, Project, slug

if TYPE_CHECKING:
    from threatbrief.check.checker import CheckResult


def printable(text: str) -> str:
    """diagnostics.printable, imported when something is printed that needs it."""
    from threatbrief.diagnostics import printable as escaped

    return escaped(text)


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; the arguments of `init`, `new` and `add-source` only when `command`
    is one of them (or None): they import the editors that check their values."""
    parser = argparse.ArgumentParser(
        description="Check sourced threat assessments and build their HTML and PDF briefings.",
    )
    parser.add_argument("--version", action="version", version=f"threatbrief {__version__}")
    parser.add_argument("-C", "--project", default=".", metavar="DIR", help="project directory (default: .)")
    # prog as argparse would work it out, without the help formatter (which imports shutil)
    sub = parser.add_subparsers(dest="command", prog=parser.prog)

    p_build = sub.add_parser("build", help="check, then write reports/<name>.html, .pdf and index.html (default)")
    p_build.add_argument("targets", nargs="*", metavar="[html|pdf] NAME",
                         help="'html' or 'pdf' to build one format; assessment names to build only those")
    p_build.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                         help="render N briefings in parallel processes (default: number of cores)")
    p_build.add_argument("--force", action="store_true", help="rebuild everything, stale or not")
    p_build.add_argument("--explain", action="store_true", help="say why each output is rebuilt")
    p_check = sub.add_parser("check", help="validate assessments, registry and every citation; write nothing")
    p_check.add_argument("names", nargs="*", metavar="NAME", help="assessment names (default: all)")
    p_check.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                         help="check assessments in N parallel processes (default: number of cores); "
                              "the output is the same for any N")
    p_check.add_argument("--no-cache", action="store_true",
                         help="verify everything again: neither read nor write .threatbrief/cache/check/")
    p_check.add_argument("--format", choices=["text", "json", "github", "sarif", "gitlab"], default="text",
                         help="text (default), json, github (GitHub Actions annotations), sarif (SARIF 2.1.0, "
                              "for code scanning) or gitlab (GitLab Code Quality)")
    for p in (p_build, p_check):
        p.add_argument("--strict", action="store_true", help="warnings fail the run too (exit 1)")
    p_serve = sub.add_parser("serve", help="live preview: serve reports/, rebuild the HTML on every save, reload the page")
    p_serve.add_argument("names", nargs="*", metavar="NAME", help="assessment names (default: all)")
    p_serve.add_argument("--host", default="127.0.0.1",
                         help="address to listen on (default: 127.0.0.1, this computer only)")
    p_serve.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0: any free port)")
    p_dist = sub.add_parser("distribute", help="a stamped (encrypted, signed) copy of a briefing's PDF per recipient")
    p_dist.add_argument("name", metavar="NAME", help="the assessment")
    p_dist.add_argument("--to", metavar="RECIPIENTS.yaml", help="the readers (recipients: a list of name, organisation, "
                                                              "email); a TLP:CLEAR briefing may go without one")
    p_dist.add_argument("--sign", action="store_true", help="sign each copy (PAdES): key and certificate from --key/--cert "
                                                           "or [distribution] in threatbrief.toml")
    p_dist.add_argument("--key", metavar="KEY.pem", help="the signing key (unencrypted PEM)")
    p_dist.add_argument("--cert", metavar="CERT.pem", help="the signing certificate (PEM)")
    p_verify = sub.add_parser("verify", help="whether a distributed copy's signature is intact, who signed it, whose copy it is")
    p_verify.add_argument("files", nargs="+", metavar="FILE.pdf")
    p_verify.add_argument("--cert", metavar="CERT.pem", help="the certificate to trust (default: [distribution] cert in "
                                                            "threatbrief.toml, if any)")
    p_verify.add_argument("--password-file", metavar="FILE", help="the password of an encrypted copy (the file distribute wrote)")
    sub.add_parser("clean", help="remove what the build wrote to reports/ (and nothing else)")
    p_rules = sub.add_parser("rules", help="list the rule codes, or explain one: rules C001")
    p_rules.add_argument("rule", nargs="?", metavar="CODE", help="a rule's code or name: its explanation and examples")
    _add_start_commands(sub, command)
    return parser


COMMANDS = ("build", "check", "serve", "distribute", "verify", "clean", "rules", "init", "new", "add-source")


def _default_to_build(argv: list[str]) -> list[str]:
    """`build.py html NAME` means `build.py build html NAME`: build is the default command."""
    head = []
    while len(argv) > 1 and argv[0] in ("-C", "--project"):
        head, argv = head + argv[:2], argv[2:]
    if not argv or argv[0] not in (*COMMANDS, "-h", "--help", "--version"):
        argv = ["build", *argv]
    return head + argv


def _command_word(words: list[str]) -> str | None:
    """The command `_default_to_build` left in front (after any `-C DIR`), if it is one."""
    while len(words) > 1 and words[0] in ("-C", "--project"):
        words = words[2:]
    return words[0] if words and words[0] in COMMANDS else None


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
    words = _default_to_build(list(sys.argv[1:] if argv is None else argv))
    args = _parser(_command_word(words)).parse_args(words)
    command = args.command
    if command == "rules":
        from threatbrief.diagnostics import RULES

        if args.rule:
            from threatbrief.rule_docs import explain

            page = explain(args.rule)
            if page is None:
                print(f"error: no rule {printable(args.rule)!r}: `threatbrief rules` lists them", file=sys.stderr)
                return 2
            print(page)
            return 0
        for rule in RULES.values():
            print(f"{rule.code}  {rule.severity.value:<7}  {rule.name:<24} {rule.description}")
        return 0
    if command == "init":  # the one command for a folder that is not a project yet
        return _init(args)
    if command == "verify":  # a reader checks a copy anywhere: a project only lends its certificate
        return _verify(Project.at(args.project) if os.path.isdir(args.project) else None, args)
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
        if args.jobs < 1:
            _parser().error("-j/--jobs must be at least 1")
        names = [_as_name(n) for n in args.names]
        return _unknown_names(project, names) or _check(project, names, args.format, args.strict, args.jobs, not args.no_cache)
    if command == "serve":
        names = [_as_name(n) for n in args.names]
        if not 0 <= args.port <= 65535:
            _parser().error("--port must be between 0 and 65535")
        return _unknown_names(project, names) or _serve(project, names, args.host, args.port)
    if command == "distribute":
        name = _as_name(args.name)
        return _unknown_names(project, [name]) or _distribute(project, name, args)
    if command == "clean":
        return _clean(project)
    if command == "new":
        return _new(project, args)
    if command == "add-source":
        return _add_source(project, args)
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
        import difflib

        close = difflib.get_close_matches(name, sorted(known), n=1)
        hint = f": did you mean {close[0]!r}?" if close else f" ({len(files)} assessment(s) in assessments/)"
        print(f"error: no assessment named {printable(name)!r} (assessments/{printable(name)}.yaml){hint}",
              file=sys.stderr)
    return 1 if unknown else 0


def _print_diagnostics(result: CheckResult, fmt: str = "text") -> None:
    from threatbrief.check import suppress
    from threatbrief.diagnostics import format_github, format_json, format_text, summary_line

    diagnostics, suppressed = result.diagnostics, len(result.suppressed)
    if fmt in ("sarif", "gitlab"):  # a report for a tool: the summary goes to stderr
        from threatbrief.check.ci_formats import format_gitlab, format_sarif

        root = result.library.project.root
        print(format_sarif(diagnostics, result.suppressed, root) if fmt == "sarif" else format_gitlab(diagnostics, root))
        print(summary_line(diagnostics, f"checked {result.files} files", suppressed), file=sys.stderr)
        return
    if fmt == "json":  # silenced findings follow, with severity "suppressed" (see suppress.format_json)
        print(suppress.format_json(diagnostics, result.suppressed) if suppressed else format_json(diagnostics))
        return
    if fmt == "github":
        if diagnostics:
            print(format_github(diagnostics))
        print(summary_line(diagnostics, f"checked {result.files} files", suppressed), file=sys.stderr)
        return
    if diagnostics:
        print(format_text(diagnostics, color=sys.stdout.isatty()))
    print(summary_line(diagnostics, f"checked {result.files} files, {result.verified} citations verified", suppressed))


def _check(project: Project, names: list[str], fmt: str, strict: bool, jobs: int = 1, cache: bool = True) -> int:
    from threatbrief.pipeline import check

    result = check(project, names or None, strict, max(jobs, 1), findings_only=True, cache=cache)
    _print_diagnostics(result, fmt)
    return 0 if result.ok else 1


def _build(project: Project, names: list[str], formats: tuple[str, ...], args: argparse.Namespace) -> int:
    def progress(name: str, seconds: float, done: int, total: int) -> None:
        # One plain line per briefing as it completes: readable on a terminal and in CI logs.
        print(f"  [{done}/{total}] built {name} in {seconds:.1f} s", flush=True)

    from threatbrief.pipeline import BuildError, build

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
        from threatbrief.diagnostics import format_text

        print(format_text(result.check.diagnostics, color=sys.stdout.isatty()))
    for warning in result.warnings:
        print(f"warning: {printable(warning)}", file=sys.stderr)
    for path in result.written:
        print(f"wrote {printable(project.display(path))}")
    print(f"built {len(result.written)} output(s), {len(result.up_to_date)} up to date, 0 failed, "
          f"in {result.seconds:.1f} s")
    return 0


def _serve(project: Project, names: list[str], host: str, port: int) -> int:
    from threatbrief.serve import serve

    try:
        return serve(project, names or None, host, port)
    except (KeyboardInterrupt, Interrupted):
        print("\nstopped serving; reports/ holds the HTML built so far", file=sys.stderr)
        return 0


def _distribute(project: Project, name: str, args: argparse.Namespace) -> int:
    from threatbrief.diagnostics import format_text
    from threatbrief.distribution.distribute import DistributionError, distribute

    def path(value: str | None) -> Path | None:
        return Path(value).expanduser() if value else None

    try:
        result = distribute(project, name, path(args.to), args.sign, path(args.key), path(args.cert))
    except DistributionError as exc:
        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return 1
    if result.diagnostics:
        print(format_text(result.diagnostics, color=sys.stdout.isatty()))
        print("distribute stopped: fix the problems above; no copy was made", file=sys.stderr)
        return 1
    for copy in result.copies:
        how = ", ".join(w for w, on in (("encrypted", copy.encrypted), ("signed", copy.signed)) if on) or "not encrypted"
        print(f"copy {copy.number} {copy.copy_id} for {printable(copy.recipient.for_whom)}: "
              f"{printable(project.display(copy.path))} ({how})")
        if copy.password_file is not None:
            print(f"    password: {printable(project.display(copy.password_file))} (send it by another channel)")
    print(f"{len(result.copies)} cop{'y' if len(result.copies) == 1 else 'ies'} of {name} ({result.tlp}) in "
          f"{result.seconds:.1f} s, logged in {printable(project.display(result.log))}" if result.log else "")
    return 0


def _verify(project: Project | None, args: argparse.Namespace) -> int:
    from threatbrief.distribution.pdf_sign import NeedsPassword, SigningError, certificate, verify
    from threatbrief.files import NotReadable, read_regular

    trust = Path(args.cert).expanduser() if args.cert else None
    if trust is None and project is not None and (project.root / CONFIG_FILE).is_file():
        from threatbrief.config import load_config
        from threatbrief.distribution.distribute import configured_path

        configured = load_config(project)[0].signing.cert
        trust = configured_path(project, configured) if configured else None
    password = None
    if args.password_file:
        from threatbrief.distribution.distribute import password_from

        try:
            password = password_from(read_regular(Path(args.password_file).expanduser(), 64 * 1024).decode("utf-8"))
        except (NotReadable, UnicodeDecodeError) as exc:
            print(f"error: cannot read the password file {printable(args.password_file)}: {exc}", file=sys.stderr)
            return 2
    try:
        trusted = certificate(trust) if trust is not None else None
    except SigningError as exc:
        print(f"error: {printable(str(exc))}", file=sys.stderr)
        return 2
    failed = 0
    for name in args.files:
        shown = printable(name)
        try:
            data = read_regular(name, MAX_VERIFIED_BYTES)
        except NotReadable as exc:
            print(f"{shown}: cannot read: {exc}")
            failed += 1
            continue
        try:
            verdict = verify(data, password, trusted)
        except NeedsPassword as exc:
            print(f"{shown}: {exc}")
            failed += 1
            continue
        failed += not verdict.valid
        print(f"{shown}: {_verdict_line(verdict, trust)}")
        ident = verdict.identity
        if ident:
            print(f"    copy {printable(ident.get('copy', '?'))} ({printable(ident.get('copy_id', '?'))}) of "
                  f"{printable(ident.get('assessment', '?'))}, {printable(ident.get('tlp', '?'))}, prepared for "
                  f"{printable(ident.get('recipient', '?'))} <{printable(ident.get('email', ''))}>"
                  + (" (as signed)" if verdict.signed else " (unsigned: as the file says)"))
        if verdict.signed and verdict.current.get("copy_id") != ident.get("copy_id"):
            print(f"    the file now claims copy {printable(verdict.current.get('copy_id', '?'))}: "
                  "it was changed after it was signed")
    return 1 if failed else 0


MAX_VERIFIED_BYTES = 1024 * 1024 * 1024  # a briefing is a few MB; a file this large is no copy of ours


def _verdict_line(verdict: Any, trust: Path | None) -> str:
    if verdict.problem and not verdict.signed:
        return f"NOT VALID: {printable(verdict.problem)}"
    if not verdict.signed:
        return "NOT SIGNED: nothing shows whether this copy was changed"
    if not verdict.intact:
        return f"NOT VALID: the copy was changed after it was signed{': ' + printable(verdict.problem) if verdict.problem else ''}"
    if not verdict.whole_file:
        return "NOT VALID: something was added to the copy after it was signed (an incremental update)"
    if verdict.problem:
        return f"NOT VALID: {printable(verdict.problem)}"
    if verdict.trusted is False:
        return f"NOT VALID: intact, but signed by {printable(verdict.signer)}, not by the trusted certificate {printable(str(trust))}"
    who = f"signed by {printable(verdict.signer)}" + (f" on {verdict.signed_at}" if verdict.signed_at else "")
    if verdict.trusted is None:
        return f"intact, {who} (give --cert CERT.pem to check who that is)"
    return f"valid: intact, {who}, the trusted certificate"


def _clean(project: Project) -> int:
    from threatbrief.pipeline import BuildError, clean

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


def _value(validate: Callable[[str], str]) -> Callable[[str], str]:
    """An argparse type from a check raising ValueError: a bad value is a usage error (exit 2)."""

    def parse(text: str) -> str:
        try:
            return validate(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def _add_start_commands(sub: Any, command: str | None = None) -> None:
    """`init`, `new` and `add-source`: starting a project, an assessment, a source. Their
    arguments are added when `command` is one of them (None: all), as only they need them."""
    p_init = sub.add_parser("init", help="start a project in DIR (default: .): folders, registry, settings, CI workflow")
    p_new = sub.add_parser("new", help="write assessments/NAME.yaml, the smallest valid assessment, with [[TODO]] placeholders")
    p_add = sub.add_parser("add-source", help="copy FILE into sources/, hash it and register it in sources/sources.yaml")
    if command in (None, "init"):
        p_init.add_argument("dir", nargs="?", default=".", metavar="DIR", help="created if missing (relative to -C DIR)")
    if command in (None, "new"):
        from threatbrief import scaffold

        p_new.add_argument("name", metavar="NAME", help="file stem: letters, digits, '-' and '_'")
        p_new.add_argument("--title", type=_value(scaffold.title), help="the assessment's title (default: a placeholder)")
    if command in (None, "add-source"):
        _add_source_arguments(p_add)


def _add_source_arguments(p_add: argparse.ArgumentParser) -> None:
    from threatbrief.sources import registry_edit

    p_add.add_argument("file", nargs="?", metavar="FILE",
                       help="a UTF-8 text, a saved web page (.html) or a PDF (relative to -C DIR); registered "
                            "in place if it is in sources/ already")
    p_add.add_argument("--rehash", metavar="PATH", help="record the new sha256 of a registered source that was edited")
    one_line = _value(registry_edit.text(500))
    p_add.add_argument("--title", type=one_line,
                       help="default: a web page's or PDF's metadata, else the text's first non-empty line")
    p_add.add_argument("--publisher", type=one_line, help="organisation (default: null, not shown by the text)")
    p_add.add_argument("--author", type=one_line, help="person (default: null, not shown by the text)")
    p_add.add_argument("--published", type=_value(registry_edit.published), default="unknown",
                       metavar="DATE", help="YYYY-MM-DD, YYYY-MM, YYYY or unknown (default)")
    p_add.add_argument("--language", type=_value(registry_edit.language), metavar="CODE",
                       help="BCP 47 code of the text, e.g. en (default: a placeholder)")
    p_add.add_argument("--url", type=_value(registry_edit.url), help="where it was found (http or https)")
    p_add.add_argument("--retrieved", type=_value(registry_edit.day), metavar="YYYY-MM-DD",
                       help="when it was retrieved from the url")
    p_add.add_argument("--archive-url", type=_value(registry_edit.url), metavar="URL",
                       help="an archived copy (Wayback Machine, archive.today)")
    p_add.add_argument("--kind", choices=registry_edit.KINDS)
    p_add.add_argument("--grade", type=_value(registry_edit.grade), metavar="A-F",
                       help="Admiralty reliability (default: a placeholder; never guessed)")
    p_add.add_argument("--rationale", type=_value(registry_edit.text(2000)),
                       help="one line: why this grade (default: a placeholder)")
    p_add.add_argument("--tlp", type=_value(registry_edit.tlp), help="the source's own handling, e.g. TLP:AMBER")


def _refused(exc: Exception) -> int:
    print(f"error: {printable(str(exc))}", file=sys.stderr)
    return 1


def _init(args: argparse.Namespace) -> int:
    import shlex

    from threatbrief import scaffold
    from threatbrief.sources import registry_edit

    if not os.path.isdir(args.project):
        print(f"error: -C {printable(args.project)}: no such directory", file=sys.stderr)
        return 2
    root = Path(args.project, args.dir)
    try:
        written = scaffold.init(root)
    except registry_edit.Refused as exc:
        return _refused(exc)
    print(f"started a threatbrief project in {printable(str(root.resolve()))}:")
    for path in written:
        print(f"  wrote {path}")
    print("next:")
    if root.resolve() != Path.cwd().resolve():
        print(f"  cd {printable(shlex.quote(str(root)))}")
    for command, why in (('threatbrief add-source ~/report.txt --grade B --rationale "…"', "copy, hash, register a source"),
                         ('threatbrief new NAME --title "…"', "start assessments/NAME.yaml"),
                         ("threatbrief check", "verify every quote")):
        print(f"  {command:<62} # {why}")
    return 0


def _new(project: Project, args: argparse.Namespace) -> int:
    from threatbrief import scaffold
    from threatbrief.sources import registry_edit

    try:
        created = scaffold.new_assessment(project, _as_name(args.name), args.title)
    except registry_edit.Refused as exc:
        return _refused(exc)
    shown = printable(project.display(created.path))
    print(f"wrote {shown}: {created.placeholders} placeholders [[TODO: …]] to replace")
    print(f"next: register its sources (threatbrief add-source FILE), quote them in {shown}, then run threatbrief check")
    return 0


def _add_source(project: Project, args: argparse.Namespace) -> int:
    from threatbrief.sources import registry_edit

    base = Path(args.project)
    given = [args.title, args.publisher, args.author, args.language, args.url, args.retrieved, args.archive_url,
             args.kind, args.grade, args.rationale, args.tlp]
    if args.rehash is not None:
        if args.file is not None or any(v is not None for v in given) or args.published != "unknown":
            print("error: add-source --rehash PATH takes no FILE and no metadata: it records the new sha256 only",
                  file=sys.stderr)
            return 2
        return _rehash(project, base, args.rehash)
    if args.file is None:
        print("error: add-source needs FILE, the document to register (or --rehash PATH)", file=sys.stderr)
        return 2
    file = Path(args.file)
    meta = registry_edit.Metadata(
        title=args.title, publisher=args.publisher, author=args.author, published=args.published,
        language=args.language, url=args.url, retrieved=args.retrieved, archive_url=args.archive_url,
        kind=args.kind, grade=args.grade,
        rationale=args.rationale, tlp=args.tlp)
    try:
        added = registry_edit.add_source(project, file if file.is_absolute() else base / file, meta)
    except registry_edit.Refused as exc:
        return _refused(exc)
    where = f"sources/sources.yaml:{added.line}"
    if added.copied_from is not None:
        print(printable(f"copied {args.file} to sources/{added.path}"))
    print(printable(f"registered sources/{added.path} at {where} (sha256 {added.sha256})"))
    for key, value in added.offered:
        print(printable(f"{key} from the file's metadata: {value!r} (check it in {where})"))
    if added.title_suggested:
        print(printable(f'title taken from its first line: "{added.title}" (correct it in {where} if it is not the title)'))
    if added.todo:
        print(f"to do: {', '.join(added.todo)} left as [[TODO: …]] placeholders at {where}; "
              "threatbrief check reports each (P001) until it is written")
    return 0


def _rehash(project: Project, base: Path, path: str) -> int:
    from threatbrief.sources import registry_edit

    try:
        result = registry_edit.rehash(project, Path(path), base)
    except registry_edit.Refused as exc:
        return _refused(exc)
    if result.old == result.new:
        print(printable(f"sources/{result.path} is unchanged (sha256 {result.new}): nothing to record"))
        return 0
    print(printable(f"sources/{result.path} (sources/sources.yaml:{result.line})"))
    print(printable(f"  old sha256 {result.old}"))
    print(f"  new sha256 {result.new}")
    print("recorded the new sha256: run threatbrief check to re-verify every quote citing it against the new text")
    return 0


if __name__ == "__main__":
    sys.exit(main())
