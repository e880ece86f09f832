"""`threatbrief serve`: a live preview that rebuilds on save and reloads the open page.

One process keeps its modules imported: a watcher thread (watchfiles) sees a save under
assessments/, sources/, incidents/ or templates/ (or threatbrief.toml), runs the ordinary
make-style `build` for HTML only, and bumps a generation counter; each open page holds a
server-sent-events connection that is told to reload when the counter moves. PDFs are built on
request (`/NAME.pdf`), by the same build, so what is served is what `make` would write.

The reload script is added to pages as they are sent, never to the files in reports/. While
`check` fails, every page is replaced by the diagnostics (as the terminal prints them), until a
save fixes them.

Safe by default: loopback unless `--host` says otherwise; only regular files under reports/ are
served (no dot files, no `..`, no link out); the Host header must name the address served, so a
web page cannot reach the preview through DNS rebinding; one build at a time.
"""

from __future__ import annotations

import html
import ipaddress
import os
import re
import secrets
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, Iterable
from urllib.parse import parse_qs, unquote, urlsplit

from threatbrief.atomic import BuildError
from threatbrief.diagnostics import Diagnostic, format_text, has_errors, printable, summary_line
from threatbrief.files import NotReadable, read_regular
from threatbrief.project import CONFIG_FILE, Project, slug

EVENTS = "/__threatbrief__/events"
WATCHED = ("assessments", "sources", "incidents", "templates")  # folders of inputs (recursively)
MAX_SERVED_BYTES = 512 * 1024 * 1024
KEEP_ALIVE_SECONDS = 15.0  # a comment line on idle event streams, so closed pages are noticed
WATCH_STEP_MS = 10  # how long the watcher waits for more changes before a rebuild
POLL_MS = 500  # how often the watcher looks at threatbrief.toml and for new input folders
_MIME = {".html": "text/html; charset=utf-8", ".pdf": "application/pdf", ".css": "text/css; charset=utf-8",
         ".json": "application/json", ".csv": "text/csv; charset=utf-8", ".svg": "image/svg+xml",
         ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".txt": "text/plain; charset=utf-8"}
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class Outcome:
    """What the last rebuild left: the findings that stop it, or what it wrote."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: str = ""  # a build that stopped for another reason (BuildError)
    written: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return bool(self.error) or has_errors(self.diagnostics)


class Preview:
    """The state the watcher and the request handlers share: one build at a time (`lock`), and
    a generation that open pages wait on (`changed`)."""

    def __init__(self, project: Project, names: list[str] | None, out: IO[str], err: IO[str]) -> None:
        self.project = project
        self.names = names
        self.out, self.err = out, err
        self.lock = threading.Lock()
        self.changed = threading.Condition()
        self.instance = secrets.token_hex(4)  # a page from an earlier server reloads from this one
        self.generation = 0
        self.closing = False
        self.outcome = Outcome()

    # Building ---------------------------------------------------------------------------------

    def _build(self, names: list[str] | None, formats: tuple[str, ...], dataset: tuple[str, ...]) -> Outcome:
        from threatbrief.pipeline import build

        started = time.perf_counter()
        try:
            result = build(self.project, names, formats, jobs=1, dataset=dataset)
        except BuildError as exc:
            return Outcome(error=str(exc), seconds=time.perf_counter() - started)
        diagnostics = list(result.check.diagnostics) if result.check is not None else []
        if result.check is not None and not result.check.ok:
            return Outcome(diagnostics, seconds=result.seconds)
        written = [self.project.display(p) for p in result.written]
        return Outcome(diagnostics, written=written, seconds=result.seconds)

    def rebuild(self, changed: Iterable[str] = ()) -> Outcome:
        """Build the HTML that is stale; tell the open pages when anything they show changed."""
        with self.lock:
            was = self.outcome
            outcome = self.outcome = self._build(self.names, ("html",), ("overview.html",) if self.names is None else ())
        self._report(list(changed), outcome, fixed=was.failed and not outcome.failed)
        if outcome.written or outcome.failed != was.failed or (outcome.failed and _shown(outcome) != _shown(was)):
            self.bump()
        return outcome

    def pdf(self, name: str) -> tuple[Path | None, Outcome]:
        """reports/NAME.pdf, built first if it is stale (the overview's too)."""
        overview = name == "overview"
        with self.lock:
            outcome = self._build([] if overview else [name], ("pdf",), ("overview.pdf",) if overview else ())
        if outcome.written:
            print(f"built {', '.join(outcome.written)} on request in {outcome.seconds:.1f} s", file=self.out, flush=True)
            if any(path.endswith(".html") for path in outcome.written):
                self.bump()  # the index now links the PDF
        if outcome.failed:
            self._report([], outcome)
            return None, outcome
        return self.project.reports_dir / f"{name}.pdf", outcome

    def bump(self) -> None:
        with self.changed:
            self.generation += 1
            self.changed.notify_all()

    def close(self) -> None:
        with self.changed:
            self.closing = True
            self.changed.notify_all()

    def wait(self, since: int, timeout: float) -> int | None:
        """The generation once it is past `since` (or the current one after `timeout`); None when closing."""
        with self.changed:
            self.changed.wait_for(lambda: self.generation > since or self.closing, timeout)
            return None if self.closing else self.generation

    def _report(self, changed: list[str], outcome: Outcome, fixed: bool = False) -> None:
        """The terminal's account of a rebuild: the same diagnostics as `check` prints."""
        lines = []
        if changed:
            lines.append("changed: " + ", ".join(printable(c) for c in changed[:5]) + (" …" if len(changed) > 5 else ""))
        if outcome.error:
            lines.append(f"error: {printable(outcome.error)}")
        if outcome.diagnostics:
            lines.append(format_text(outcome.diagnostics, color=self.out.isatty()))
        if outcome.failed:
            if outcome.diagnostics:
                lines.append(summary_line(outcome.diagnostics, "check"))
            lines.append("the preview shows these problems until they are fixed")
        elif outcome.written:
            lines.append(f"rebuilt {', '.join(outcome.written)} in {outcome.seconds:.2f} s")
        if fixed:
            lines.append("fixed: the preview shows the briefings again")
        if lines:
            print("\n".join(lines), file=self.out, flush=True)

    # Pages --------------------------------------------------------------------------------------

    def reload_script(self) -> str:
        since = f"{self.instance}-{self.generation}"
        return (f'<script>/* added by threatbrief serve; not in the built file */\n'
                f'new EventSource("{EVENTS}?since={since}").onmessage = () => location.reload();\n</script>\n')

    def failure_page(self, outcome: Outcome | None = None) -> str:
        return failure_page(outcome or self.outcome, self.project, self.reload_script())


def _shown(outcome: Outcome) -> list[tuple[str, int, int, str, str]]:
    return [(d.path, d.line, d.col, d.code, d.message) for d in outcome.diagnostics] + [("", 0, 0, "", outcome.error)]


def inject(page: str, script: str) -> str:
    """The page with `script` before its last </body> (at the end when it has none)."""
    ends = list(_BODY_END.finditer(page))
    if not ends:
        return page + script
    at = ends[-1].start()
    return page[:at] + script + page[at:]


def failure_page(outcome: Outcome, project: Project, script: str = "") -> str:
    """The diagnostics in place of a briefing: where, what, the line of the file, the hint (for
    a misquote, the closest passage of the source)."""
    from threatbrief.check.ci_formats import line_reader

    line_of = line_reader(project.root)
    esc = html.escape
    items = []
    for d in sorted(outcome.diagnostics, key=Diagnostic.sort_key):
        text = line_of(d.path, d.line)
        items.append(
            f'<li class="{esc(d.severity.value)}"><p class="where"><code>{esc(printable(d.path))}:{d.line}:{d.col}</code> '
            f'<strong>{esc(d.severity.value)}[{esc(d.code)}]</strong> {esc(printable(d.message))}</p>'
            + (f'<pre class="line"><span class="n">{d.line}</span> {esc(printable(text))}</pre>' if text else "")
            + (f'<pre class="hint">{esc(printable(d.hint))}</pre>' if d.hint else "") + "</li>")
    if outcome.error:
        items.append(f'<li class="error"><p class="where"><strong>error</strong> {esc(printable(outcome.error))}</p></li>')
    count = summary_line(outcome.diagnostics, "check") if outcome.diagnostics else "the build stopped"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>check failed: threatbrief preview</title>
<style>
body {{ font: 15px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1d2733; }}
h1 {{ font-size: 1.4rem; color: #a4161a; }}
ol {{ padding-left: 1.2rem; }} li {{ margin-bottom: 1.2rem; }}
li.warning strong {{ color: #8a5a00; }} li.error strong {{ color: #a4161a; }}
pre {{ white-space: pre-wrap; background: #f4f5f7; padding: .5rem .7rem; margin: .3rem 0; font-size: 13px; }}
pre.line .n {{ color: #6b7480; }}
</style>
</head>
<body>
<h1 id="check-failed">Check failed: no briefing was built</h1>
<p>{esc(count)}. Fix the problems below and save: this page goes back to the briefing by itself.</p>
<ol id="diagnostics">
{chr(10).join(items)}
</ol>
{script}</body>
</html>
"""


# HTTP ---------------------------------------------------------------------------------------------


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], preview: Preview, check_host: bool) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.preview = preview
        self.check_host = check_host
        super().__init__(address, Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line on the terminal, not a traceback; the server goes on."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, (BrokenPipeError, ConnectionResetError)):
            print(f"error: a request failed: {printable(repr(exc))}", file=self.preview.err, flush=True)


class Handler(BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "threatbrief-serve"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # the terminal is for rebuilds and diagnostics, not for every request

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def do_GET(self) -> None:
        self._respond(head=False)

    def _respond(self, head: bool) -> None:
        preview = self.server.preview
        if self.server.check_host and not self._host_allowed():
            return self._send(421, b"refused: this preview answers only to its own address\n", "text/plain; charset=utf-8", head)
        url = urlsplit(self.path)
        if url.path == EVENTS:
            return self._events(parse_qs(url.query).get("since", [""])[0])
        try:
            path = unquote(url.path, errors="strict")
        except UnicodeDecodeError:
            return self._send(400, b"bad request: the path is not UTF-8\n", "text/plain; charset=utf-8", head)
        if path == "/":
            first = preview.names[0] if preview.names and len(preview.names) == 1 else None
            target = f"/{slug(first)}.html" if first else "/index.html"
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        rel = _served_path(path)
        if rel is None:
            return self._send(403, b"refused: only files under reports/ are served\n", "text/plain; charset=utf-8", head)
        if rel.endswith(".pdf") and "/" not in rel and self._is_briefing(rel[:-4]):
            file, outcome = preview.pdf(rel[:-4])
            if file is None:
                return self._send(422, preview.failure_page(outcome).encode("utf-8"), _MIME[".html"], head)
        html_page = rel.endswith(".html")
        script = preview.reload_script()  # before the file is read: a rebuild after this reloads the page
        if html_page and preview.outcome.failed:
            return self._send(200, preview.failure_page().encode("utf-8"), _MIME[".html"], head)
        data = _read_report(preview.project, rel)
        if data is None:
            return self._send(404, f"not found: reports/{rel}\n".encode("utf-8", "replace"), "text/plain; charset=utf-8", head)
        if html_page:
            data = inject(data.decode("utf-8", "replace"), script).encode("utf-8")
        suffix = os.path.splitext(rel)[1].lower()
        return self._send(200, data, _MIME.get(suffix, "application/octet-stream"), head)

    def _is_briefing(self, name: str) -> bool:
        preview = self.server.preview
        if name == "overview":
            return preview.names is None and bool(preview.project.incident_files())
        wanted = preview.names
        return any(slug(f.stem) == name and (wanted is None or f.stem in wanted or slug(f.stem) in wanted)
                   for f in preview.project.assessment_files())

    def _host_allowed(self) -> bool:
        host = (self.headers.get("Host") or "").strip().lower()
        port = self.server.port
        return host in {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}

    def _send(self, status: int, body: bytes, mime: str, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", mime)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.end_headers()
        if not head:
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    def _events(self, since: str) -> None:
        """A server-sent-events stream: `reload` once the generation passes the page's."""
        preview = self.server.preview
        instance, _, number = since.partition("-")
        seen = int(number) if instance == preview.instance and number.isdigit() else -1  # other server: reload
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            self.wfile.write(b"retry: 500\n\n")
            self.wfile.flush()
            while True:
                now = preview.wait(seen, KEEP_ALIVE_SECONDS)
                if now is None:
                    return
                self.wfile.write(f"id: {preview.instance}-{now}\ndata: reload\n\n".encode() if now > seen else b": idle\n\n")
                self.wfile.flush()
                seen = now
        except (BrokenPipeError, ConnectionResetError, OSError):
            return


def _served_path(path: str) -> str | None:
    """The URL path as a path under reports/, or None for anything that could leave it: `..`,
    dot files (the build's manifest), backslashes, NUL, control characters; and the copies
    `distribute` made (reports/distribution/)."""
    if any(ch in path for ch in "\\\x00") or any(ord(ch) < 32 for ch in path):
        return None
    parts = [p for p in path.split("/") if p]
    if not parts or any(p.startswith(".") for p in parts) or parts[0] == "distribution":
        return None  # reports/distribution/ holds readers' copies and their passwords: not a preview's
    return "/".join(parts)


def _read_report(project: Project, rel: str) -> bytes | None:
    reports = project.reports_dir
    try:
        if reports.is_symlink():
            return None
        file = (reports / rel).resolve()
        if not file.is_relative_to(reports.resolve()):
            return None
        return read_regular(file, MAX_SERVED_BYTES)
    except (NotReadable, OSError, ValueError):
        return None


# Watching -----------------------------------------------------------------------------------------


def _watched(project: Project) -> list[Path]:
    return [project.root / name for name in WATCHED if (project.root / name).is_dir()]


def _config_stamp(project: Project) -> tuple[int, int] | None:
    try:
        info = os.stat(project.root / CONFIG_FILE)
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size)


def _described(project: Project, paths: set[str]) -> list[str]:
    """The changed files to name on the terminal: those that exist (an editor's save also creates
    and removes temporary files), or the removed ones when nothing else changed."""
    there = sorted(project.display(Path(p)) for p in paths if os.path.lexists(p))
    return there or sorted(project.display(Path(p)) for p in paths)


def watch(preview: Preview, stop: threading.Event, ready: threading.Event | None = None) -> None:
    """Rebuild on every batch of changes until `stop` is set. The folders are watched (an editor
    saves by writing a new file and renaming it over the old one); threatbrief.toml and folders
    that appear later are looked at every POLL_MS.

    A save made before the watches were in place would be missed: so the first batch (at the
    latest the first POLL_MS timeout, once watching) always rebuilds — a no-op unless something
    changed since the first build — and only then is `ready` set."""
    from watchfiles import watch as changes_in

    project = preview.project
    config = _config_stamp(project)
    catch_up = True
    while not stop.is_set():
        folders = _watched(project)
        if not folders:
            stop.wait(POLL_MS / 1000)
        batches: Iterable[set[tuple[Any, str]]] = changes_in(
            *folders, stop_event=stop, step=WATCH_STEP_MS, rust_timeout=POLL_MS, yield_on_timeout=True,
            ignore_permission_denied=True, raise_interrupt=False) if folders else [set()]
        for batch in batches:
            changed = _described(project, {path for _, path in batch})
            now = _config_stamp(project)
            if now != config:
                config = now
                changed.append(CONFIG_FILE)
            if changed or catch_up:
                preview.rebuild(changed)
            if catch_up and ready is not None:
                ready.set()
            catch_up = False
            if stop.is_set() or _watched(project) != folders:
                break  # a folder appeared or went: watch the new set


# The command --------------------------------------------------------------------------------------


def serve(project: Project, names: list[str] | None, host: str = "127.0.0.1", port: int = 8000,
          out: IO[str] = sys.stdout, err: IO[str] = sys.stderr) -> int:
    """Build the HTML, then serve reports/ and rebuild on every save until Ctrl-C (or SIGTERM)."""
    preview = Preview(project, names, out, err)
    try:
        server = PreviewServer((host, port), preview, check_host=is_loopback(host))
    except OSError as exc:
        reason = "the port is in use: choose another with --port" if exc.errno in (98, 48) else printable(exc.strerror or str(exc))
        print(f"error: cannot serve on {printable(host)}:{port}: {reason}", file=err)
        return 1
    stop, watching = threading.Event(), threading.Event()
    watcher = threading.Thread(target=watch, args=(preview, stop, watching), name="threatbrief-watch", daemon=True)
    try:
        if not is_loopback(host):
            print(f"warning: serving on {printable(host)}: anyone who can reach this machine can read these "
                  f"briefings, whatever their TLP; the default, 127.0.0.1, keeps them to this computer", file=err)
        outcome = preview.rebuild()
        if not outcome.failed and not outcome.written:
            print(f"the HTML is up to date ({outcome.seconds:.2f} s)", file=out)
        watcher.start()
        watching.wait(timeout=30)  # the watches are in place before anyone is told to edit
        shown = host if ":" not in host else f"[{host}]"
        folders = ", ".join(f"{p.name}/" for p in _watched(project)) or "nothing yet"
        print(f"serving reports/ at http://{shown}:{server.port}/ (watching {folders} and {CONFIG_FILE}; "
              f"Ctrl-C to stop)", file=out, flush=True)
        server.serve_forever(poll_interval=0.2)
    finally:
        stop.set()
        preview.close()
        server.server_close()
        if watcher.is_alive():
            watcher.join(timeout=60)  # a rebuild under way finishes: its files are written whole
    return 0
