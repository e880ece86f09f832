"""Save-to-reload latency of `threatbrief serve` on the shipped project.

    .venv/bin/python benchmarks/serve_latency.py [--edits 20] [--out /tmp/threatbrief-serve-bench] [--readme]

The shipped assessments/, incidents/ and sources/ are copied into --out, and `build.py -C COPY serve
--port 0` is started (it builds the HTML once). Then, --edits times, the title of the largest
assessment is changed as an editor saves (a new file renamed over the old one) and the script
measures, from the rename:

  event     until the page's event stream (the one its reload script opens) says `reload`;
  new HTML  until a GET of the page returns the new title: what a browser shows after reloading.

Where node, puppeteer-core (`make test-browser` installs it) and Chromium are present, the same
edits are made under a headless Chromium page and timed to the reloaded page's `load` event.

For comparison, the way without `serve`: after each of --edits edits, `build.py -C COPY build
html NAME` in a fresh process (the server stopped), which a user would then follow by reloading
by hand. With --readme the Markdown goes into README.md between <!-- benchmark:serve_latency -->
and its end marker.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from paired import claim_out, publish, pyc_note  # noqa: E402

NAME = "iskp-chinese-nationals-afghanistan"  # the largest shipped briefing
NODE_MODULES = REPO / ".browser-test" / "node_modules"


def save(path: Path, old: str, new: str) -> float:
    """Save as an editor does; the time of the rename."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    temporary = path.with_name(f".{path.name}.bench")
    temporary.write_text(text.replace(old, new, 1), encoding="utf-8")
    os.replace(temporary, path)
    return time.perf_counter()


def get(port: int, path: str) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path)
    body = conn.getresponse().read()
    conn.close()
    return body


def title_of(path: Path) -> str:
    found = re.search(r'^title: "?(.*?)"?$', path.read_text(encoding="utf-8"), re.MULTILINE)
    assert found, path
    return found.group(1)


def serve_edits(root: Path, edits: int) -> tuple[list[float], list[float], list[float], str]:
    """(save -> event, save -> new HTML, Chromium save -> load) in seconds, and the server's first build line."""
    proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "-C", str(root), "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()  # type: ignore[union-attr]
    port = 0
    for _ in range(1200):
        found = re.search(r"serving reports/ at http://[^:]+:(\d+)/", "".join(lines))
        if found:
            port = int(found.group(1))
            break
        time.sleep(0.05)
    if not port:
        proc.kill()
        sys.exit("the server did not start:\n" + "".join(lines))
    yaml_file = root / "assessments" / f"{NAME}.yaml"
    title = title_of(yaml_file)
    to_event, to_html = [], []
    try:
        for k in range(edits + 1):  # the first edit warms up (its charts come from the memo after it)
            page = get(port, f"/{NAME}.html").decode("utf-8")
            since = re.search(r'EventSource\("([^"]+)"\)', page).group(1)  # type: ignore[union-attr]
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", since)
            stream = conn.getresponse()
            current, new = title_of(yaml_file), f"{title} (revision {k})"
            saved = save(yaml_file, f'title: "{current}"', f'title: "{new}"')
            while not stream.readline().startswith(b"data: reload"):
                pass
            event = time.perf_counter()
            conn.close()
            assert new.encode() in get(port, f"/{NAME}.html")
            shown = time.perf_counter()
            if k:
                to_event.append(event - saved)
                to_html.append(shown - saved)
        browser = chromium_edits(port, yaml_file, edits)
    finally:
        proc.send_signal(signal.SIGTERM)  # what Ctrl-C does too; SIGINT may be ignored in a background job
        proc.wait(timeout=60)
    first = next((line.strip() for line in lines if line.startswith("rebuilt")), "")
    return to_event, to_html, browser, first


BROWSER_SCRIPT = r"""
const puppeteer = require("puppeteer-core");
const fs = require("fs");
(async () => {
  const [url, file, count] = process.argv.slice(2);
  const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM, headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] });
  const page = await browser.newPage();
  await page.goto(url, { waitUntil: "load" });
  const ms = [];
  for (let k = 0; k <= Number(count); k++) {
    const text = fs.readFileSync(file, "utf8");
    const title = /^title: "?(.*?)"?$/m.exec(text)[1];
    const next = title.replace(/ \(browser \d+\)$/, "") + ` (browser ${k})`;
    const reloaded = page.waitForNavigation({ waitUntil: "load", timeout: 30000 });
    fs.writeFileSync(file + ".new", text.replace(/^title: .*$/m, `title: "${next}"`));
    const started = performance.now();
    fs.renameSync(file + ".new", file);
    await reloaded;
    const h1 = await page.evaluate(() => document.querySelector("h1").textContent.trim());
    if (h1 !== next) throw new Error(`page shows ${h1}, not ${next}`);
    if (k) ms.push(performance.now() - started);
  }
  await browser.close();
  console.log(JSON.stringify(ms));
})().catch((e) => { console.error(String(e)); process.exit(2); });
"""


def chromium_edits(port: int, yaml_file: Path, edits: int) -> list[float]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium or not shutil.which("node") or not (NODE_MODULES / "puppeteer-core").is_dir():
        return []
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "reload.cjs"
        script.write_text(BROWSER_SCRIPT, encoding="utf-8")
        run = subprocess.run(["node", str(script), f"http://127.0.0.1:{port}/{NAME}.html", str(yaml_file), str(edits)],
                             capture_output=True, text=True, timeout=600,
                             env={**os.environ, "NODE_PATH": str(NODE_MODULES), "CHROMIUM": chromium})
    if run.returncode != 0:
        sys.exit(f"the Chromium run failed: {run.stderr}")
    return [ms / 1000 for ms in json.loads(run.stdout)]


def fresh_builds(root: Path, edits: int) -> list[float]:
    """The way without serve: edit, then `build.py build html NAME` in a new process."""
    yaml_file = root / "assessments" / f"{NAME}.yaml"
    base = re.sub(r" \((revision|browser) \d+\)$", "", title_of(yaml_file))
    seconds = []
    for k in range(edits + 1):
        save(yaml_file, f'title: "{title_of(yaml_file)}"', f'title: "{base} (fresh {k})"')
        started = time.perf_counter()
        subprocess.run([sys.executable, str(REPO / "build.py"), "-C", str(root), "build", "html", NAME],
                       check=True, capture_output=True)
        if k:
            seconds.append(time.perf_counter() - started)
    return seconds


def row(measure: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return f"| {measure} | {statistics.median(ms):.0f} | {min(ms):.0f} | {max(ms):.0f} | {len(ms)} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("/tmp/threatbrief-serve-bench"))
    parser.add_argument("--readme", action="store_true")
    args = parser.parse_args()
    claim_out(args.out)
    root = args.out / "project"
    for part in ("assessments", "incidents", "sources"):
        shutil.copytree(REPO / part, root / part)
    to_event, to_html, browser, first = serve_edits(root, args.edits)
    fresh = fresh_builds(root, args.edits)
    flags = f" --edits {args.edits}" if args.edits != parser.get_default("edits") else ""
    block = [
        f"`.venv/bin/python benchmarks/serve_latency.py{flags}` — {pyc_note()}; the title of `{NAME}` "
        f"(the largest briefing) edited {args.edits} times after one warm-up edit, each saved as an editor saves:",
        "",
        "| from the save to … | median ms | min ms | max ms | edits |",
        "|---|---|---|---|---|",
        row("the page's event stream says `reload` (`serve`)", to_event),
        row("the new HTML served (`serve`)", to_html),
    ]
    if browser:
        block.append(row("headless Chromium has reloaded the page (`serve`)", browser))
    block.append(row(f"without `serve`: `build.py build html {NAME}` in a new process, done", fresh))
    block += ["", f"The server's first build, as it printed it: `{first}`."]
    if not browser:
        block.append("Chromium was not timed (it needs chromium, node and puppeteer-core: `make test-browser`).")
    publish("serve_latency", "\n".join(block), args.readme)


if __name__ == "__main__":
    main()
