"""The largest assessment the limits allow checks and builds within a budget (issue 11, item 9).

Limits exist so that no assessment can make a build run for hours or exhaust memory (49,500
citations once took 8.8 GB). This builds one at every limit at once, HTML and PDF, in a fresh
process, and holds it to a time and memory budget about three times what it needs here.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

from conftest import REPO

from threatbrief.limits import MAX_ASSESSMENT_BYTES, MAX_CITATIONS
from threatbrief.load.loader import load_assessment
from threatbrief.project import Project

QUOTES = [("report.txt", "gunmen attacked a convoy carrying Chinese workers"),
          ("report.txt", "Officials said one worker was killed and four were wounded."),
          ("second.txt", "the Islamic State Khorasan Province (ISKP) claimed the attack on the convoy")]
BUDGET_SECONDS = 60
BUDGET_MB = 1024


def _citations(n: int, indent: str, start: int) -> list[str]:
    lines = [f"{indent}citations:"]
    for k in range(n):
        source, quote = QUOTES[(start + k) % len(QUOTES)]
        lines += [f"{indent}  - source: {source}", f'{indent}    quote: "{quote}"']
    return lines


def largest_assessment() -> str:
    """Every limit at once: 300 citations, 20 judgments, 50 sections, 100 incidents, ~128 KiB."""
    lines = ['title: "The largest assessment the limits allow"', "date: 2024-12-01", 'tlp: "TLP:CLEAR"',
             'authors: ["Test desk"]', 'scope: "Every limit at once."', "key_judgments:"]
    for k in range(20):
        lines += [f'  - text: "Judgment {k}: attacks on the convoy route are likely to continue."',
                  "    likelihood: likely", "    confidence: low", *_citations(5, "    ", k)]
    lines += ["incidents:"]
    for k in range(100):
        lines += [f"  - id: attack-{k}", f'    title: "Attack {k} on a convoy"', "    kind: attack",
                  f'    date: "{2000 + k % 25}-11-18"', "    country: Tajikistan", "    province: Khatlon",
                  "    target_type: business", "    target_nationality: Chinese", "    killed: 1", "    wounded: 4",
                  "    citations:", "      - source: report.txt",
                  '        quote: "Khatlon province. Officials said one worker was killed and four were wounded."']
    head = "\n".join(lines) + "\n"
    summary = "summary: |\n  " + "A summary sentence about convoys on the border road. " * 150 + "\n"
    paragraph = "      " + "Convoys on the border road carry workers, fuel and equipment; each is a target. " * 4
    used = len(head.encode()) + len(summary.encode()) + 1600
    sections = []
    for k in range(50):
        budget = min(19_000, (MAX_ASSESSMENT_BYTES - used) // (50 - k) - 300)
        body = "\n\n".join([paragraph] * max(1, budget // (len(paragraph) + 2)))
        block = "\n".join([f'  - title: "Section {k}"', "    body: |", body, *_citations(2, "    ", k)]) + "\n"
        used += len(block.encode())
        sections.append(block)
    return head.replace("incidents:\n", summary + "sections:\n" + "".join(sections) + "incidents:\n", 1)


def test_the_largest_allowed_assessment_builds_within_budget(basic: Path) -> None:
    text = largest_assessment()
    path = basic / "assessments" / "border.yaml"
    path.write_text(text, encoding="utf-8")
    size = len(text.encode())
    assert MAX_ASSESSMENT_BYTES - 4096 < size <= MAX_ASSESSMENT_BYTES  # it really is at the limit
    assessment, _, problems = load_assessment(path, Project.at(basic))
    assert problems == [] and assessment is not None and len(assessment.citations) == MAX_CITATIONS
    started = time.perf_counter()
    run = subprocess.run([sys.executable, str(REPO / "build.py"), "-C", str(basic), "build", "-j", "1"],
                         capture_output=True, text=True, timeout=BUDGET_SECONDS * 2)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert run.returncode == 0, run.stdout + run.stderr
    assert (basic / "reports" / "border.pdf").stat().st_size > 100_000
    assert seconds < BUDGET_SECONDS, f"{seconds:.1f} s"
    assert peak_mb < BUDGET_MB, f"{peak_mb:.0f} MB"
