"""Draw the shipped project's timeline and frequency charts as PNG, for the README.

    .venv/bin/python benchmarks/chart_images.py [--out docs/images]

Loads the shipped assessments as the build does, pools their incidents (an incident shared by
several assessments, same id, counted once) and draws them with the build's own code
(threatbrief.publish.charts): the timeline as the briefings draw it, and the count of attacks per year,
which the shipped briefings, each with a handful of events, leave out in favour of the timeline.
Writes timeline.png and frequency.png, prints each chart's note, and how long the charts took.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from threatbrief.model import Incident  # noqa: E402
from threatbrief.pipeline import check  # noqa: E402
from threatbrief.project import Project  # noqa: E402
from threatbrief.publish.charts import draw, frequency_chart, timeline_chart  # noqa: E402


def shipped_incidents() -> list[Incident]:
    """The incidents the shipped assessments list (from incidents/ or their own), each once."""
    result = check(Project.at(REPO))
    if not result.ok:
        raise SystemExit("the shipped project does not check clean: run `build.py check`")
    pooled: dict[str, Incident] = {}
    for checked in result.assessments:
        for incident in checked.assessment.incidents:
            pooled.setdefault(incident.id, incident)
    return list(pooled.values())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    incidents = shipped_incidents()
    started = time.perf_counter()
    charts = {"timeline": timeline_chart(incidents), "frequency": frequency_chart(incidents)}
    elapsed = time.perf_counter() - started
    print(f"{len(incidents)} incidents from the shipped assessments; charts built in {elapsed:.2f} s")
    for name, chart in charts.items():
        if chart.plot is None:
            print(f"{name}: nothing to draw ({chart.note})")
            continue
        target = out / f"{name}.png"
        target.write_bytes(draw(chart.plot, "png", dpi=110))
        print(f"wrote {target.relative_to(REPO) if target.is_relative_to(REPO) else target}\n  {chart.title}. {chart.note}")


if __name__ == "__main__":
    main()
