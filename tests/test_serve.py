"""`threatbrief serve`: a real server process on a free port, edited through the file system as an
editor saves (a temporary file renamed over the old one), read over HTTP and server-sent events."""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import REPO, copy_root, move_incidents_to_the_dataset

from threatbrief.serve import _served_path, inject, is_loopback

BOUND = 20.0  # seconds: a save must reach the page well within this, even on a loaded machine
SERVING = re.compile(r"serving reports/ at http://([^/]+):(\d+)/")


def _ctrl_c_as_on_a_terminal() -> None:
    """A job started in the background by a non-interactive shell ignores SIGINT, and so would the
    server it starts (Python keeps an ignored SIGINT ignored): give it the terminal's Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Server:
    """`build.py -C ROOT serve --port 0 …` in its own process, its output collected as it comes."""

    def __init__(self, root: Path, *args: str) -> None:
        self.root = root
        self.proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "-C", str(root), "serve", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     preexec_fn=_ctrl_c_as_on_a_terminal)
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=lambda s=stream, l=lines: l.extend(iter(s.readline, "")), daemon=True).start()
        self.port = 0
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and self.proc.poll() is None:
            found = SERVING.search("".join(self.out))
            if found:
                self.port = int(found.group(2))
                break
            time.sleep(0.05)
        assert self.port, f"the server did not start: {''.join(self.out)}{''.join(self.err)}"

    def get(self, path: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.putrequest("GET", path, skip_host=True)
        conn.putheader("Host", host or f"127.0.0.1:{self.port}")
        conn.endheaders()
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response.status, dict(response.getheaders()), body

    def page(self, name: str) -> str:
        status, _, body = self.get(f"/{name}.html")
        assert status == 200
        return body.decode("utf-8")

    def events(self, page: str) -> "queue.Queue[str]":
        """The event stream the page's own script would open: each `data:` line, as it comes."""
        since = re.search(r'EventSource\("([^"]+)"\)', page).group(1)  # type: ignore[union-attr]
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=BOUND + 30)
        conn.request("GET", since, headers={"Host": f"127.0.0.1:{self.port}"})
        response = conn.getresponse()
        assert response.status == 200 and response.getheader("Content-Type") == "text/event-stream"
        found: queue.Queue[str] = queue.Queue()

        def read() -> None:
            try:
                for line in iter(response.readline, b""):
                    if line.startswith(b"data:"):
                        found.put(line.decode().strip())
            except OSError:
                pass

        threading.Thread(target=read, daemon=True).start()
        return found

    def stop(self) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=60)
        time.sleep(0.1)  # the reader threads take the last lines
        return code, "".join(self.err)


def save(path: Path, old: str, new: str) -> None:
    """As an editor saves: the new text into a temporary file, renamed over the old one."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    temporary = path.with_name(f".{path.name}.swp-save")
    temporary.write_text(text.replace(old, new, 1), encoding="utf-8")
    os.replace(temporary, path)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    root = copy_root("basic", tmp_path_factory.mktemp("serve"))
    move_incidents_to_the_dataset(root)  # two assessments and incidents/: the overview too
    running = Server(root)
    yield running
    running.stop()


def test_a_save_reloads_the_page_with_the_new_html(server: Server) -> None:
    page = server.page("border")
    assert "Border attack on Chinese workers" in page
    events = server.events(page)
    started = time.monotonic()
    save(server.root / "assessments" / "border.yaml", 'title: "Border attack on Chinese workers"',
         'title: "Border attack on Chinese engineers"')
    assert events.get(timeout=BOUND) == "data: reload"
    assert "Border attack on Chinese engineers" in server.page("border")
    assert time.monotonic() - started < BOUND
    assert any("rebuilt reports/border.html" in line for line in server.out)
    # the reload script is added as the page is sent: never written into reports/
    assert "EventSource" not in (server.root / "reports" / "border.html").read_text(encoding="utf-8")
    assert "EventSource" in page


def test_a_broken_quote_shows_the_diagnostics_until_it_is_fixed(server: Server) -> None:
    yaml_file = server.root / "assessments" / "border.yaml"
    events = server.events(server.page("border"))
    save(yaml_file, "Officials said one worker was killed", "Officials said two workers were killed")
    assert events.get(timeout=BOUND) == "data: reload"
    page = server.page("border")
    assert "Check failed" in page and "error[C001]" in page
    assert "assessments/border.yaml:" in page
    assert "Officials said two workers were killed" in page  # the line of the file
    assert "closest passage" in page and "one worker was killed" in page  # the source's own words
    assert "EventSource" in page  # and it reloads once fixed
    assert server.page("index") == page  # every page shows the problems, not a stale briefing
    status, headers, body = server.get("/border.pdf")
    assert status == 422 and b"error[C001]" in body and headers["Content-Type"].startswith("text/html")
    terminal = "".join(server.out)
    assert "error[C001]" in terminal and "the preview shows these problems" in terminal

    events = server.events(page)
    save(yaml_file, "Officials said two workers were killed", "Officials said one worker was killed")
    assert events.get(timeout=BOUND) == "data: reload"
    assert "Check failed" not in server.page("border")
    assert any("fixed: the preview shows the briefings again" in line for line in server.out)


def test_the_overview_is_previewed_and_the_exports_are_left_to_build(server: Server) -> None:
    reports = server.root / "reports"
    assert (reports / "overview.html").is_file() and (reports / "second.html").is_file()
    assert not any((reports / name).exists() for name in ("incidents.csv", "incidents.json", "threatbrief.stix.json"))
    assert not list(reports.glob("*.pdf")) or (reports / "border.pdf").exists()  # PDFs only on request
    events = server.events(server.page("overview"))
    save(server.root / "incidents" / "tajikistan.yaml", 'title: "Convoy attacked near gold mine"',
         'title: "Convoy ambushed near gold mine"')
    assert events.get(timeout=BOUND) == "data: reload"
    assert "Convoy ambushed near gold mine" in server.page("overview")
    assert "Convoy ambushed near gold mine" in server.page("second")  # a briefing that lists it


def test_a_pdf_is_built_on_request(server: Server) -> None:
    status, headers, body = server.get("/border.pdf")
    assert status == 200 and headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF-")
    assert (server.root / "reports" / "border.pdf").read_bytes() == body
    assert any("built reports/border.pdf" in line and "on request" in line for line in server.out)
    status, _, again = server.get("/border.pdf")  # up to date: served as it is, not rendered again
    assert status == 200 and again == body
    assert sum("built reports/border.pdf" in line for line in server.out) == 1


@pytest.mark.parametrize("path, status", [
    ("/../sources/sources.yaml", 403),
    ("/%2e%2e/sources/sources.yaml", 403),
    ("/..%2fsources/sources.yaml", 403),
    ("/.threatbrief-manifest.json", 403),
    ("/border.html%00.txt", 403),
    ("/%ff.html", 400),
    ("/sources/sources.yaml", 404),  # not under reports/
    ("/no-such-page.html", 404),
])
def test_only_files_under_reports_are_served(server: Server, path: str, status: int) -> None:
    got, _, body = server.get(path)
    assert got == status, body
    assert b"sources:" not in body


def test_a_link_out_of_reports_is_not_followed(server: Server) -> None:
    (server.root / "reports" / "outside.txt").symlink_to(server.root / "sources" / "report.txt")
    try:
        assert server.get("/outside.txt")[0] == 404
    finally:
        (server.root / "reports" / "outside.txt").unlink()


def test_a_foreign_host_name_is_refused(server: Server) -> None:
    """DNS rebinding: a web page whose name now points at 127.0.0.1 must not read the preview."""
    assert server.get("/border.html", host=f"evil.example:{server.port}")[0] == 421
    assert server.get("/border.html", host=f"localhost:{server.port}")[0] == 200


def test_root_redirects_to_the_index(server: Server) -> None:
    status, headers, _ = server.get("/")
    assert status == 302 and headers["Location"] == "/index.html"


def test_a_busy_port_is_a_clear_error(server: Server) -> None:
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "-C", str(server.root), "serve",
                             "--port", str(server.port)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"cannot serve on 127.0.0.1:{server.port}: the port is in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_other_hosts_warn_and_ctrl_c_ends_cleanly(tmp_path: Path) -> None:
    running = Server(copy_root("basic", tmp_path), "--host", "0.0.0.0", "border")
    assert running.get("/border.html", host=f"example.org:{running.port}")[0] == 200  # asked for: any name
    code, err = running.stop()
    assert code == 0
    assert "warning: serving on 0.0.0.0: anyone who can reach this machine can read these briefings" in err
    assert "stopped serving" in err and "Traceback" not in err


def test_injection_and_paths() -> None:
    assert inject("<html><body><p>x</p></body></html>", "<s>") == "<html><body><p>x</p><s></body></html>"
    assert inject("<p>no body end", "<s>") == "<p>no body end<s>"
    assert _served_path("/a/b.html") == "a/b.html"
    for bad in ("/../x", "/a/../../x", "/.hidden", "/a\\b", "/a\x00b", "/a\nb", "/", "/distribution/x/passwords/y.txt"):
        assert _served_path(bad) is None, bad
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


BROWSER_EDIT = r"""
const puppeteer = require("puppeteer-core");
const fs = require("fs");
(async () => {
  const [url, file, ...edits] = process.argv.slice(2);
  const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM, headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] });
  const page = await browser.newPage();
  await page.goto(url, { waitUntil: "load" });
  const out = { steps: [] };
  const shown = () => page.evaluate(() => ({ h1: document.querySelector("h1").textContent.trim(),
                                            text: document.body.innerText }));
  out.before = (await shown()).h1;
  for (let k = 0; k < edits.length; k += 2) {
    const reloaded = page.waitForNavigation({ waitUntil: "load", timeout: 20000 });
    const started = Date.now();
    const text = fs.readFileSync(file, "utf8");  // saved as editors do: a new file renamed over the old
    fs.writeFileSync(file + ".new", text.replace(edits[k], edits[k + 1]));
    fs.renameSync(file + ".new", file);
    await reloaded;
    out.steps.push({ ms: Date.now() - started, ...(await shown()) });
  }
  await browser.close();
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(String(e)); process.exit(2); });
"""


@pytest.mark.browser
def test_chromium_reloads_on_save_and_shows_a_broken_quote(tmp_path: Path) -> None:
    from conftest import BROWSER, NODE_MODULES

    if not BROWSER or not shutil.which("node") or not (NODE_MODULES / "puppeteer-core").is_dir():
        pytest.skip("needs Chromium, node and puppeteer-core (make test-browser installs them)")
    running = Server(copy_root("basic", tmp_path))
    try:
        script = tmp_path / "edit.cjs"
        script.write_text(BROWSER_EDIT, encoding="utf-8")
        edits = ['title: "Border attack on Chinese workers"', 'title: "Border attack, seen live"',
                 "Officials said one worker", "Officials said one engineer",
                 "Officials said one engineer", "Officials said one worker"]
        run = subprocess.run(["node", str(script), f"http://127.0.0.1:{running.port}/border.html",
                              str(running.root / "assessments" / "border.yaml"), *edits],
                             capture_output=True, text=True, timeout=180,
                             env={**os.environ, "NODE_PATH": str(NODE_MODULES), "CHROMIUM": BROWSER})
        assert run.returncode == 0, run.stderr
        result = json.loads(run.stdout)
    finally:
        running.stop()
    assert result["before"] == "Border attack on Chinese workers"
    edited, broken, fixed = result["steps"]
    assert edited["h1"] == "Border attack, seen live"
    assert broken["h1"] == "Check failed: no briefing was built" and "error[C001]" in broken["text"]
    assert "Officials said one engineer" in broken["text"] and "closest passage" in broken["text"]
    assert fixed["h1"] == "Border attack, seen live"
    assert all(step["ms"] < BOUND * 1000 for step in result["steps"])
