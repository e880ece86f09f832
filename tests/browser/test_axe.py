"""The HTML pages pass axe-core (WCAG 2.1 A/AA and best practice) in headless Chromium.

Runs in `make test-browser` (which installs axe-core and puppeteer-core from npm into
.browser-test/), not in `make test`; skipped, saying why, where Chromium, node or those
packages are absent.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = Path(os.environ.get("THREATBRIEF_NODE_MODULES", REPO / ".browser-test" / "node_modules"))
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.browser


def _missing() -> str:
    if not CHROMIUM:
        return "Chromium is not installed (Debian: apt-get install chromium)"
    if not shutil.which("node"):
        return "node is not installed"
    if not (NODE_MODULES / "axe-core").is_dir() or not (NODE_MODULES / "puppeteer-core").is_dir():
        return f"axe-core and puppeteer-core are not in {NODE_MODULES} (make test-browser installs them)"
    return ""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if _missing():
        pytest.skip(_missing())
    root = tmp_path_factory.mktemp("axe") / "project"
    for part in ("assessments", "incidents", "sources", ".threatbrief"):
        shutil.copytree(REPO / part, root / part)
    from threatbrief.pipeline import build
    from threatbrief.project import Project

    assert build(Project.at(root), formats=("html",)).ok
    return root / "reports"


def test_every_html_page_passes_axe(built: Path) -> None:
    pages = sorted(str(p) for p in built.glob("*.html"))
    assert len(pages) >= 4  # three briefings and the index
    run = subprocess.run(["node", str(Path(__file__).with_name("axe_check.cjs")), *pages], capture_output=True,
                         text=True, timeout=300, env={**os.environ, "NODE_PATH": str(NODE_MODULES), "CHROMIUM": CHROMIUM})
    assert run.returncode == 0, run.stderr
    violations = {Path(page).name: found for page, found in json.loads(run.stdout).items() if found}
    assert violations == {}, json.dumps(violations, indent=1)
