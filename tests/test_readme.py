"""Every output the README quotes is what the tool prints (issue 12: the README tells the truth)."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

from conftest import REPO, edit

README = (REPO / "README.md").read_text(encoding="utf-8")


def _block_after(marker: str) -> str:
    """The fenced block that follows `marker` in the README, dedented."""
    at = README.index(marker)
    match = re.compile(r"```[a-z]*\n(.*?)\n\s*```", re.S).search(README, at)
    assert match, marker
    return textwrap.dedent(match.group(1))


def test_the_quote_miss_example_is_real_output(tmp_path: Path, cli) -> None:
    root = tmp_path / "copy"
    for part in ("assessments", "sources"):
        shutil.copytree(REPO / part, root / part)
    edit(root / "assessments" / "iskp-afghan-tajik-border.yaml",
         "one Chinese worker was killed and four wounded; according", "one Chinese worker was killed and five wounded; according")
    code, out, _ = cli("-C", str(root), "check")
    assert code == 1
    assert out.strip() == _block_after("A miss looks like this").strip()
