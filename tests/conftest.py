"""Shared fixtures: mini-projects under tests/roots/ are copied to a temp dir per test."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from threatbrief.cli import main
from threatbrief.project import Project

ROOTS = Path(__file__).parent / "roots"
REPO = Path(__file__).parent.parent


@pytest.fixture(scope="session", autouse=True)
def _own_cache_key(tmp_path_factory: pytest.TempPathFactory):
    """The extraction cache's signing key lives in the user's cache folder: tests use their own."""
    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("user-cache"))
    yield
    if saved is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = saved


def copy_root(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(ROOTS / name, target, ignore=shutil.ignore_patterns("reports"))
    return target


@pytest.fixture
def basic(tmp_path: Path) -> Path:
    """A small valid project: two sources, one assessment with every kind of citation."""
    return copy_root("basic", tmp_path)


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    """A copy of this repository's own assessments and sources, safe to edit."""
    target = tmp_path / "shipped"
    for part in ("assessments", "incidents", "sources"):
        shutil.copytree(REPO / part, target / part)
    return target


@pytest.fixture(scope="session")
def shipped_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped project built once per test process, HTML and PDF (several modules read it).

    One process (-j 1): under xdist the other worker is busy too, and two render processes per
    worker would only contend for the two cores.
    """
    from threatbrief.pipeline import build

    root = tmp_path_factory.mktemp("shipped-built") / "shipped"
    for part in ("assessments", "incidents", "sources"):
        shutil.copytree(REPO / part, root / part)
    result = build(Project.at(root), jobs=1)
    assert result.ok, result.check and result.check.diagnostics
    return root


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def add_second_assessment(root: Path, date: str | None = None) -> Path:
    """A second assessment beside the basic one, citing report.txt only (optionally dated `date`)."""
    text = (root / "assessments" / "border.yaml").read_text(encoding="utf-8")
    start, end = text.index("      - source: second.txt\n        quote: \"claimed"), text.index("summary: |")
    text = text[:start] + text[end:]
    text = text.replace('title: "Border attack on Chinese workers"', 'title: "Second look at the border"')
    if date:
        text = text.replace("date: 2024-12-01", f"date: {date}")
    text = text[:text.index("summary: |")] + "summary: |\n  Gunmen attacked a convoy.\nsections: []\nincidents: []\n"
    (root / "assessments" / "second.yaml").write_text(text, encoding="utf-8")
    return root


def move_incidents_to_the_dataset(root: Path) -> None:
    """border.yaml's incidents move to incidents/tajikistan.yaml; the assessment lists their ids,
    and a second assessment lists the convoy attack too."""
    text = (root / "assessments" / "border.yaml").read_text(encoding="utf-8")
    head, records = text.split("incidents:\n", 1)
    (root / "incidents").mkdir()
    (root / "incidents" / "tajikistan.yaml").write_text("# Incidents in Tajikistan\nincidents:\n" + records, encoding="utf-8")
    (root / "assessments" / "border.yaml").write_text(head + "incidents: [convoy-attack, campaign-threat]\n", encoding="utf-8")
    second = head.replace('title: "Border attack on Chinese workers"', 'title: "Convoy attack, a second look"')
    (root / "assessments" / "second.yaml").write_text(second + "incidents:\n  - convoy-attack\n", encoding="utf-8")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def project(root: Path) -> Project:
    return Project.at(root)


# Browser tests (marked `browser`, run by `make test-browser`): Debian's Chromium driven by
# puppeteer-core from .browser-test/, opening a built page with and without scripts.
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
NODE_MODULES = Path(os.environ.get("THREATBRIEF_NODE_MODULES", REPO / ".browser-test" / "node_modules"))
PUPPETEER_START = r"""
const puppeteer = require("puppeteer-core");
const fs = require("fs");
(async () => {
  const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM, headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"] });
  const out = {};
  for (const js of [false, true]) {
    const page = await browser.newPage();
    await page.setJavaScriptEnabled(js);
    const fetched = [];
"""
PUPPETEER_END = r"""
    out[js ? "js" : "nojs"] = state;
    await page.close();
  }
  await browser.close();
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(String(e)); process.exit(2); });
"""
