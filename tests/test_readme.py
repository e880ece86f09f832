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
    for part in ("assessments", "incidents", "sources"):
        shutil.copytree(REPO / part, root / part)
    edit(root / "assessments" / "iskp-afghan-tajik-border.yaml",
         "one Chinese worker was killed and four wounded; according", "one Chinese worker was killed and five wounded; according")
    code, out, _ = cli("-C", str(root), "check")
    assert code == 1
    assert out.strip() == _block_after("A miss looks like this").strip()


TAJIK_REPORT = ("Tajik officials: Chinese worker killed in border attack\n\n"
                "    DUSHANBE, 20 November 2024 - According to Tajik officials, one Chinese worker was killed and four wounded\n"
                "when gunmen attacked a convoy near the border with Afghanistan.\n")


def test_the_start_your_own_project_session_is_real_output(tmp_path: Path, cli, monkeypatch) -> None:
    """Runs each `$ threatbrief …` line of the README's session and compares what it prints."""
    import shlex

    session = _block_after("What they print")
    (tmp_path / "tajik-report.txt").write_text(TAJIK_REPORT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    steps = re.split(r"^\$ ", session, flags=re.M)[1:]
    assert len(steps) == 5
    for step in steps:
        command, _, expected = step.partition("\n")
        words = shlex.split(command)
        if words[0] == "cd":
            monkeypatch.chdir(words[1])
            continue
        tail = int(words.pop()[1:]) if "|" in words and words[-2] == "tail" else None
        if tail:
            words = words[:words.index("|")]
        assert words[0] == "threatbrief"
        _, out, err = cli(*words[1:])
        printed = (out + err).replace(str(tmp_path), "/home/analyst").rstrip("\n").split("\n")
        if tail:
            printed = printed[-tail:]
        assert printed == expected.rstrip("\n").split("\n"), command


def test_the_build_lines_the_readme_quotes_are_real(basic: Path, cli) -> None:
    """The progress, 'wrote' and summary lines, with names and figures as placeholders."""
    sentence = README[README.index("Each briefing prints one line"):README.index("0 failed, in 3.9 s`") + 20]
    quoted = re.findall(r"`([^`]+)`", sentence)
    assert len(quoted) == 3
    _, out, _ = cli("-C", str(basic), "html")
    printed = out.splitlines()
    for line in quoted:
        pattern = re.escape(line).replace("NAME", r"[\w-]+")
        pattern = re.sub(r"\d+", r"\\d+", pattern).replace(r"\d+\.\d+", r"\d+\.\d+")
        assert any(re.fullmatch(pattern, real) for real in printed), (line, printed)
