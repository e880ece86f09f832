"""Project configuration: `threatbrief.toml` beside assessments/ (optional).

    [rules]
    C002 = "error"             # by code …
    judgment-single-source = "off"   # … or by name; levels: error, warning, off
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace

from .diagnostics import RULES, Diagnostic, Severity
from .project import Project

CONFIG_FILE = "threatbrief.toml"
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
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        return Config(), [Diagnostic(CONFIG_FILE, 1, 1, "X001", f"cannot read {CONFIG_FILE}: {exc}")]
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"line (\d+), column (\d+)", str(exc))
        line, col = (int(where[1]), int(where[2])) if where else (1, 1)
        return Config(), [Diagnostic(CONFIG_FILE, line, col, "X001", f"invalid TOML: {str(exc).split(' (at')[0]}")]
    problems = []
    by_name = {rule.name: code for code, rule in RULES.items()}
    levels: dict[str, Severity | None] = {}
    unknown_tables = sorted(set(data) - {"rules"})
    for table in unknown_tables:
        problems.append(Diagnostic(CONFIG_FILE, _line_of(text, table), 1, "X001", f"unknown table [{table}]",
                                   "the only table is [rules]"))
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
        elif code == "X001" or (RULES[code].code.startswith("Y") and value != "error"):
            problems.append(Diagnostic(CONFIG_FILE, _line_of(text, key), 1, "X001",
                                       f"{key} cannot be changed: a file that cannot be read is always an error"))
        else:
            levels[code] = _LEVELS[value]
    return Config(levels), problems


def _line_of(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(rf"\s*\[?\s*[\"']?{re.escape(key)}[\"']?\s*[=\]]", line):
            return number
    return 1
