"""Every bound on the work one project can ask of the tool, in one place (README, "Limits").

Assessments come from many hands: without bounds, one file could make a build take hours or
exhaust memory. Each limit is an error in `check` that names the limit; the schemas hold the
per-field ones (lengths, counts, figures) and say the same in editors.
"""

from __future__ import annotations

# Files
MAX_ASSESSMENT_BYTES = 128 * 1024  # 3.5x the largest shipped one (36 KB, 17 pages); ~70 pages at most
MAX_REGISTRY_BYTES = 64 * 1024 * 1024  # one registry lists every source: ~400 bytes an entry
MAX_SOURCE_BYTES = 16 * 1024 * 1024
MAX_YAML_DEPTH = 64
MAX_PDF_PAGES = 2000  # a UN Monitoring Team report is ~60 pages; 2,000 extract in about 7 s (3.5 ms a page)

# One file of the incident dataset (incidents/*.yaml): a year of a busy country, say
MAX_DATASET_BYTES = 16 * 1024 * 1024
MAX_DATASET_CITATIONS = 30_000

# One assessment (per-field lengths and counts are in the JSON Schemas)
MAX_CITATIONS = 300  # per assessment, across key judgments, sections and incidents

# Dates: event datasets start in 1970 (GTD); a year outside this window is a typo
YEAR_MIN = 1900
YEAR_MAX = 2100

# Markdown (summary and section bodies): Python-Markdown's link and HTML parsing is quadratic
# in unmatched '[' and '<' (10,000 '[' took 34 s), and recursive in nesting (200 '>' crashed it)
MAX_MARKDOWN_BRACKETS = 300  # '[' per text, [@id] markers not counted
MAX_MARKDOWN_ANGLES = 300  # '<' per text
MAX_MARKDOWN_NESTING = 16  # block quotes and lists inside one another
