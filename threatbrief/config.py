"""Project configuration: `threatbrief.toml` beside assessments/ (optional).

    [rules]
    C002 = "error"             # by code …
    judgment-single-source = "off"   # … or by name; levels: error, warning, off

    [paths]
    allow_outside = ["../shared-corpus"]  # directories symbolic links may point into

The rules in `diagnostics.LOCKED` stay errors whatever the file says. `[paths]` is read by
`Project.at` (it decides what may be read at all); here it is only validated.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace

from .files import NotReadable, read_regular
from .diagnostics import LOCKED, RULES, Diagnostic, Severity
from .project import CONFIG_FILE, Project

_TABLES = ("rules", "paths")
MAX_CONFIG_BYTES = 1024 * 1024
_LEVELS = {"error": Severity.ERROR, "warning": Severity.WARNING, "off": None}


@dataclass(frozen=True)
class Config:
    levels: dict[str, Severity | None] = field(default_factory=dict)  # rule code -> level (None: off)

    def apply(self, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
        """Diagnostics at the configured levels; rules turned off are dropped."""
        result = []
        for d in diagnostics:
            if d.code not in self.levels:
                result.append(d)
            elif (level := self.levels[d.code]) is not None:
                result.append(replace(d, severity=level))
        return result


def load_config(project: Project) -> tuple[Config, list[Diagnostic]]:
    path = project.root / CONFIG_FILE
    if not path.is_file():
        return Config(), []
    if not project.inside(path):
        return Config(), [Diagnostic(CONFIG_FILE, 1, 1, "X001", f"{CONFIG_FILE} is a symbolic link out of the project: not read")]
    try:
        text = read_regular(path, MAX_CONFIG_BYTES).decode("utf-8")
        data = tomllib.loads(text)
    except NotReadable as exc:
        return Config(), [Diagnostic(CONFIG_FILE, 1, 1, "X001", f"cannot read {CONFIG_FILE}: {exc}")]
    except UnicodeDecodeError:
        return Config(), [Diagnostic(CONFIG_FILE, 1, 1, "X001", f"{CONFIG_FILE} is not valid UTF-8")]
    except RecursionError:  # tomllib recurses once per nested array
        return Config(), [Diagnostic(CONFIG_FILE, 1, 1, "X001", f"{CONFIG_FILE} nests too deeply")]
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"line (\d+), column (\d+)", str(exc))
        line, col = (int(where[1]), int(where[2])) if where else (1, 1)
        return Config(), [Diagnostic(CONFIG_FILE, line, col, "X001", f"invalid TOML: {str(exc).split(' (at')[0]}")]
    problems = []
    by_name = {rule.name: code for code, rule in RULES.items()}
    levels: dict[str, Severity | None] = {}
    unknown_tables = sorted(set(data) - set(_TABLES))
    for table in unknown_tables:
        problems.append(Diagnostic(CONFIG_FILE, _line_of(text, table), 1, "X001", f"unknown table [{table}]",
                                   "the tables are [rules] and [paths]"))
    problems += _paths_problems(data.get("paths", {}), text)
    rules = data.get("rules", {})
    if not isinstance(rules, dict):
        rules = {}
        problems.append(Diagnostic(CONFIG_FILE, _line_of(text, "rules"), 1, "X001", "'rules' must be a table"))
    for key, value in rules.items():
        code = key if key in RULES else by_name.get(key)
        if code is None:
            problems.append(Diagnostic(CONFIG_FILE, _line_of(text, key), 1, "X001", f"unknown rule {key!r}",
                                       "run 'python build.py rules' for the codes and names"))
        elif value not in _LEVELS:
            problems.append(Diagnostic(CONFIG_FILE, _line_of(text, key), 1, "X001", f"{key}: unknown level {value!r}",
                                       "use error, warning or off"))
        elif code in LOCKED and value != "error":
            problems.append(Diagnostic(CONFIG_FILE, _line_of(text, key), 1, "X001",
                                       f"{key} ({RULES[code].name}) cannot be lowered: without it a briefing would be "
                                       "built from unverified or unsafe input",
                                       "fix what it reports instead; the rules that stay errors are listed in the README"))
        else:
            levels[code] = _LEVELS[value]
    return Config(levels), problems


def _paths_problems(paths: object, text: str) -> list[Diagnostic]:
    if not isinstance(paths, dict):
        return [Diagnostic(CONFIG_FILE, _line_of(text, "paths"), 1, "X001", "'paths' must be a table")]
    problems = []
    for key, value in paths.items():
        if key != "allow_outside":
            problems.append(Diagnostic(CONFIG_FILE, _line_of(text, key), 1, "X001", f"unknown setting paths.{key}",
                                       "the only setting is allow_outside"))
        elif not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            problems.append(Diagnostic(CONFIG_FILE, _line_of(text, key), 1, "X001",
                                       "paths.allow_outside must be a list of directory paths",
                                       'for example: allow_outside = ["../shared-corpus"]'))
    return problems


def _line_of(text: str, key: str) -> int:
    # Leading whitespace is stripped before matching: `\s*\[?\s*` on a long run of spaces
    # backtracks quadratically.
    pattern = re.compile(rf"\[?[ \t]*[\"']?{re.escape(key)}[\"']?[ \t]*[=\]]")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line.lstrip()):
            return number
    return 1
