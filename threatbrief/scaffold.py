"""`init` and `new`: the files a team starts a project, and an analyst an assessment, with.

Both write only files that do not exist yet (and `init` nothing at all if any does), so running
one in the wrong folder never costs anyone their work. What they write passes `check` at once:
`new` leaves `[[TODO: …]]` placeholders, which `check` reports (P001) until they are replaced.
"""

from __future__ import annotations

import os
import re
import subprocess
import textwrap
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from threatbrief import __version__
from threatbrief.diagnostics import LOCKED
from threatbrief.load.placeholders import MARK, placeholder
from threatbrief.project import BUILTIN_SCHEMAS, CONFIG_FILE, MAX_NAME_CHARS, RESERVED_NAMES, Project, slug
from threatbrief.sources.registry_edit import REGISTRY_TEMPLATE, Refused, text, yaml_quote

_ASSESSMENT_SCHEMA_LINE = "# yaml-language-server: $schema=../.threatbrief/schemas/assessment.schema.json"

_CONFIG = f"""\
# threatbrief settings for this project. Every setting is optional: remove a '#' to use one.
# `threatbrief rules` lists every rule with its code, name and default level.

[rules]
# A rule's level, by code or by name: "error", "warning" or "off".
# C002 = "error"                       # quote-too-short: a short quote fails the check
# judgment-single-source = "warning"   # K001, at its default level
# S006 = "off"                         # source-uncited: keep sources no assessment cites yet
# These cannot be lowered (a file that tries is an error, X001): without them a briefing would be
# built from unverified or unsafe input:
{textwrap.fill(", ".join(sorted(LOCKED)) + ".", 96, initial_indent="#   ", subsequent_indent="#   ")}

[judgments]
# K004 warns when the newest source a key judgment cites is older than this, counted back from
# the assessment's date:
# stale_after_months = 12
# K005's confidence policy: a [judgments.confidence.high] or [judgments.confidence.moderate] table
# (keys sources, graded, or_graded, grades) replaces that level's default; see the README,
# "Changing severities".

[paths]
# Directories outside the project that symbolic links in sources/ may point into (by default
# threatbrief reads nothing outside the project):
# allow_outside = ["../shared-corpus"]
"""

_GITIGNORE = """\
# Briefings are rebuilt from the YAML by `threatbrief build`: only the folder's README is kept.
reports/*
!reports/README.md
.venv/
__pycache__/
"""

_REPORTS_README = """\
# Reports

Built briefings land here: `threatbrief build` writes `<name>.html` and `<name>.pdf` for each
assessment in `assessments/`, and `index.html`, the list of them. They are rebuilt from the YAML
whenever it changes, so they are not committed (see `.gitignore`); `threatbrief clean` removes
what the build wrote and nothing else.
"""

_TEMPLATES_README = """\
# Overriding the look

threatbrief ships its templates inside the package (`threatbrief/data/templates/`). A file in this
folder with the same name as a built-in one takes precedence over it; anything not here comes from
the package, so a new project looks like every other until you add a file.

| file | what it is |
|---|---|
| `briefing.css` | the whole look: screen, print and the PDF's `@page` margins and running header/footer |
| `briefing.html.j2` | the briefing page (Jinja2) |
| `index.html.j2` | the list of briefings |
| `logo.svg` or `logo.png` | your logo, inlined on the cover (at most 512 KB) |

To change the accent colour, copy `briefing.css` from the package into this folder and edit
`--accent`; this prints where the built-in files are:

    python -c "import threatbrief, pathlib; print(pathlib.Path(threatbrief.__file__).parent / 'data/templates')"

Templates must be regular files inside the project: a symbolic link out of it is refused. Every
briefing is rebuilt when a template changes.
"""

_WORKFLOW = f"""\
# Check every citation on each push and pull request; problems appear as annotations on the
# offending lines of the YAML files.
name: threatbrief
on: [push, pull_request]
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      # To check with the version the team uses on its machines, pin it: "threatbrief=={__version__}"
      # (`threatbrief --version` prints yours).
      - run: pip install threatbrief
      - run: threatbrief check --format github --strict
"""


_INCIDENTS_README = """\
# Incidents

The project's incident dataset: each event recorded once, in a file of its own choosing here
(one per country, or per year), as `incidents: [ … ]` records with the passages that report them
(the format of an assessment's incidents; schema: `.threatbrief/schemas/incidents.schema.json`).
An assessment lists the ids of the incidents it discusses: `incidents: [takhar-2024-03-12]`.
`threatbrief build` makes `reports/overview.html` and `.pdf`, and the exports `incidents.csv`,
`incidents.json` and `threatbrief.stix.json`, from these files.
"""


def _project_files() -> dict[str, bytes]:
    """Every file `init` writes, by path in the project."""
    text = {
        "assessments/.gitkeep": "",
        "incidents/README.md": _INCIDENTS_README,
        "sources/sources.yaml": REGISTRY_TEMPLATE,
        "reports/README.md": _REPORTS_README,
        "templates/README.md": _TEMPLATES_README,
        CONFIG_FILE: _CONFIG,
        ".gitignore": _GITIGNORE,
        ".github/workflows/threatbrief.yml": _WORKFLOW,
    }
    files = {path: content.encode("utf-8") for path, content in text.items()}
    for schema in sorted(BUILTIN_SCHEMAS.glob("*.schema.json")):
        files[f".threatbrief/schemas/{schema.name}"] = schema.read_bytes()
    return dict(sorted(files.items()))


def init(root: Path) -> list[str]:
    """Write a new project into `root` (created if missing); the paths written, in order.

    Refused, with nothing written, when any of the files exists already, or a folder it would
    write into is a symbolic link or a file.
    """
    if root.exists() and not root.is_dir():
        raise Refused(f"{root} exists and is not a directory")
    files = _project_files()
    existing = [path for path in files if os.path.lexists(root / path)]
    if existing:
        raise Refused(f"{', '.join(existing)} already exist{'s' * (len(existing) == 1)} in {root.resolve()}: nothing was written "
                      "(move them away, or start the project in another directory)")
    folders = sorted({parent for path in files for parent in Path(path).parents if parent != Path(".")})
    for folder in folders:
        place = root / folder
        if place.is_symlink() or (place.exists() and not place.is_dir()):
            raise Refused(f"{place} is a symbolic link or a file, not a folder: nothing was written")
    written: list[Path] = []
    made: list[Path] = []
    try:
        for folder in [Path("."), *folders]:
            if not (root / folder).exists():
                (root / folder).mkdir(parents=True)
                made.append(root / folder)
        for path, content in files.items():
            with open(root / path, "xb") as out:  # 'x': never over a file (or link) that appeared meanwhile
                written.append(root / path)
                out.write(content)
    except OSError as exc:
        for file in reversed(written):
            file.unlink(missing_ok=True)
        for folder in reversed(made):
            try:
                folder.rmdir()
            except OSError:
                pass
        raise Refused(f"cannot write in {root}: {exc.strerror or exc}; nothing was kept") from None
    return list(files)


# --- new ---

_NAME = re.compile(r"[\w-]+")


@dataclass
class NewAssessment:
    path: Path
    placeholders: int


def check_name(name: str, project: Project) -> str:
    """The output name of a new assessment NAME; refused when unusable, reserved or taken."""
    output = slug(name)
    if not _NAME.fullmatch(name) or not output:
        raise Refused(f"{name!r} is not a usable assessment name: use letters, digits, '-' and '_' "
                      "(it becomes assessments/NAME.yaml and reports/NAME.html), e.g. 'kabul-2025'")
    if len(name) > MAX_NAME_CHARS:
        raise Refused(f"the name has {len(name)} characters; the limit is {MAX_NAME_CHARS}")
    if output in RESERVED_NAMES:
        raise Refused(f"{name!r} is reserved: reports/{output}.html is the tool's own page; choose another name")
    existing = project.assessments_dir / f"{name}.yaml"
    if os.path.lexists(existing):
        raise Refused(f"assessments/{name}.yaml already exists: nothing was written (edit it, or choose another name)")
    for other in project.assessment_files():
        if slug(other.stem) == output:
            raise Refused(f"reports/{output}.html is already the output of {project.display(other)}: "
                          "choose another name (names differing only in case or punctuation collide)")
    return output


def title(value: str) -> str:
    """An assessment title as the format allows it: one line of 3 to 200 characters."""
    value = text(200)(value)
    if len(value) < 3:
        raise ValueError("a title needs at least 3 characters")
    return value


def _git_user(root: Path) -> str | None:
    """`git config user.name`, when git is installed and a name is set; None otherwise."""
    try:
        run = subprocess.run(["git", "config", "user.name"], cwd=root, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
        return None
    name = run.stdout.strip()
    return name[:200] if run.returncode == 0 and name and "\n" not in name else None


def assessment_text(title: str | None, author: str | None, today: date) -> str:
    """The smallest valid assessment: one key judgment, one section, one incident, one citation each."""
    todo = placeholder
    citation = (f'source: {yaml_quote(todo("file name in sources/"))}\n'
                f'{{indent}}quote: {yaml_quote(todo("copy the exact passage from the source"))}')

    def cite(indent: int) -> str:
        return citation.replace("{indent}", " " * indent)

    return f"""\
{_ASSESSMENT_SCHEMA_LINE}
# Replace every [[TODO: …]] with what it asks for: `threatbrief check` lists those left (P001),
# then verifies every quote against its source. Register sources first: `threatbrief add-source FILE`.
title: {yaml_quote(title or todo("what the assessment is about, e.g. ISKP threat to foreign workers in Kabul"))}
date: {today.isoformat()}                 # the date of the assessment
tlp: "TLP:AMBER"                 # TLP:CLEAR | TLP:GREEN | TLP:AMBER | TLP:AMBER+STRICT | TLP:RED
authors: [{yaml_quote(author or todo("your name or team"))}]
scope: {yaml_quote(todo("what it covers: place, period, population, and the sources used"))}

key_judgments:
  - text: {yaml_quote(todo("one judgment in one sentence, in the words of its likelihood"))}
    likelihood: likely           # remote | very unlikely | unlikely | roughly even chance | likely | very likely | almost certain
    confidence: low              # low | moderate | high
    citations:
      - {cite(8)}

summary: |
  {todo("the bottom line in two or three sentences of Markdown")}

sections:
  - title: {yaml_quote(todo("a heading, e.g. Background"))}
    body: |
      {todo("Markdown paragraphs; put a marker after each claim a citation supports, like this")} [@evidence]
    citations:
      - id: evidence             # cited in Markdown as [@evidence]
        {cite(8)}

incidents:
  - id: incident-1               # a slug, unique in this file
    title: {yaml_quote(todo("what happened, in a few words"))}
    kind: attack                 # attack | plot | threat | other (only attacks are charted)
    date: unknown                # YYYY-MM-DD, YYYY-MM, YYYY, START/END or unknown: only as precise as the sources
    country: {yaml_quote(todo("country"))}
    province: null               # null when no source gives it; otherwise as a quote writes it
    district: null
    place: null
    perpetrator: {yaml_quote(todo("as a quote names it, or null"))}
    claimed: unknown             # true | false | unknown
    killed: null                 # null means unknown, never 0; otherwise a figure a quote gives
    wounded: null
    summary: {yaml_quote(todo("one or two sentences"))}
    citations:
      - {cite(8)}
"""


def new_assessment(project: Project, name: str, title: str | None, today: date | None = None) -> NewAssessment:
    """Write assessments/NAME.yaml; refused when the name is unusable or the file exists."""
    check_name(name, project)
    folder = project.assessments_dir
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise Refused("assessments/ is a symbolic link or a file: threatbrief writes only into the project's own folders")
    text = assessment_text(title, _git_user(project.root), today or date.today())
    path = folder / f"{name}.yaml"
    try:
        folder.mkdir(exist_ok=True)
        with open(path, "x", encoding="utf-8") as out:
            out.write(text)
    except FileExistsError:
        raise Refused(f"assessments/{name}.yaml already exists: nothing was written") from None
    except OSError as exc:
        raise Refused(f"cannot write assessments/{name}.yaml: {exc.strerror or exc}") from None
    return NewAssessment(path, sum(line.count(MARK) for line in text.splitlines() if not line.startswith("#")))
