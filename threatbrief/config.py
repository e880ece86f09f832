"""Project configuration: `threatbrief.toml` beside assessments/ (optional).

    [rules]
    C002 = "error"             # by code …
    judgment-single-source = "off"   # … or by name; levels: error, warning, off

    [paths]
    allow_outside = ["../shared-corpus"]  # directories symbolic links may point into

    [judgments]
    stale_after_months = 12          # K004: newest evidence older than this before the date

    [judgments.confidence.high]      # K005: what a confidence level needs (a table replaces
    sources = 3                      # that level's default; keys left out require nothing)
    graded = 2
    grades = "ABC"

    [distribution]                   # `distribute --sign`: PEM files, kept outside the project
    key = "~/.config/threatbrief/signing-key.pem"
    cert = "~/.config/threatbrief/signing-cert.pem"

The rules in `diagnostics.LOCKED` stay errors whatever the file says. `[paths]` is read by
`Project.at` (it decides what may be read at all); here it is only validated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from threatbrief.diagnostics import LOCKED, RULES, Diagnostic, Severity
from threatbrief.files import NotReadable, read_regular
from threatbrief.project import CONFIG_FILE, Project
from threatbrief.tradecraft import CONFIDENCE_LEVELS, DEFAULT_CONFIDENCE, GRADES, ConfidencePolicy, JudgmentSettings

_TABLES = ("rules", "paths", "judgments", "distribution")
MAX_CONFIG_BYTES = 1024 * 1024
_LEVELS = {"error": Severity.ERROR, "warning": Severity.WARNING, "off": None}


@dataclass(frozen=True)
class Signing:
    """`[distribution]`: the signing key and certificate `distribute --sign` uses (paths as written)."""

    key: str | None = None
    cert: str | None = None


@dataclass(frozen=True)
class Config:
    levels: dict[str, Severity | None] = field(default_factory=dict)  # rule code -> level (None: off)
    judgments: JudgmentSettings = field(default_factory=JudgmentSettings)  # [judgments]: K004, K005
    signing: Signing = field(default_factory=Signing)  # [distribution]

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
    import tomllib  # only a project with a threatbrief.toml pays for it

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
                                   "the tables are [rules], [paths], [judgments] and [distribution]"))
    problems += _paths_problems(data.get("paths", {}), text)
    signing, signing_problems = _signing(data.get("distribution", {}), text)
    problems += signing_problems
    judgments, judgment_problems = _judgment_settings(data.get("judgments", {}), text)
    problems += judgment_problems
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
    return Config(levels, judgments, signing), problems


def _signing(table: object, text: str) -> tuple[Signing, list[Diagnostic]]:
    if not isinstance(table, dict):
        return Signing(), [Diagnostic(CONFIG_FILE, _line_of(text, "distribution"), 1, "X001", "'distribution' must be a table")]
    problems = []
    for key, value in table.items():
        if key not in ("key", "cert"):
            problems.append(Diagnostic(CONFIG_FILE, _line_of(text, key), 1, "X001", f"unknown setting distribution.{key}",
                                       "the settings are key and cert (PEM files for `distribute --sign`)"))
        elif not isinstance(value, str) or not value.strip():
            problems.append(Diagnostic(CONFIG_FILE, _line_of(text, key), 1, "X001", f"distribution.{key} must be a file path",
                                       f'for example: {key} = "~/.config/threatbrief/signing-{key}.pem"'))
    if problems:
        return Signing(), problems
    return Signing(table.get("key"), table.get("cert")), []


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


_POLICY_KEYS = ("sources", "graded", "or_graded", "grades")
MAX_MONTHS = 1200
MAX_REQUIRED = 100


def _judgment_settings(table: object, text: str) -> tuple[JudgmentSettings, list[Diagnostic]]:
    """`[judgments]`: the K004 window and the K005 confidence policy; defaults where absent or invalid."""
    if not isinstance(table, dict):
        return JudgmentSettings(), [Diagnostic(CONFIG_FILE, _line_of(text, "judgments"), 1, "X001",
                                               "'judgments' must be a table")]
    problems = []
    months = JudgmentSettings().stale_after_months
    confidence = dict(DEFAULT_CONFIDENCE)
    unknown = [key for key in table if key not in ("stale_after_months", "confidence")]
    if unknown:  # one problem for all of them: each line lookup scans the file
        problems.append(Diagnostic(CONFIG_FILE, _line_of(text, unknown[0]), 1, "X001",
                                   f"unknown setting {_names('judgments', unknown)}",
                                   "the settings are stale_after_months and the tables "
                                   "[judgments.confidence.low], [judgments.confidence.moderate], [judgments.confidence.high]"))
    for key, value in table.items():
        if key == "stale_after_months":
            if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_MONTHS:
                months = value
            else:
                problems.append(Diagnostic(CONFIG_FILE, _line_of(text, key), 1, "X001",
                                           f"judgments.stale_after_months must be a whole number of months, 1 to {MAX_MONTHS}",
                                           "for example: stale_after_months = 12"))
        elif key == "confidence" and isinstance(value, dict):
            levels = [level for level in value if level not in CONFIDENCE_LEVELS]
            if levels:
                header = f"judgments.confidence.{levels[0]}"
                problems.append(Diagnostic(CONFIG_FILE, _line_in_table(text, header, None), 1, "X001",
                                           f"unknown confidence level {_names('judgments.confidence', levels)}",
                                           f"the levels are {', '.join(CONFIDENCE_LEVELS)}"))
            for level in CONFIDENCE_LEVELS:
                if level in value:
                    policy, level_problems = _confidence_policy(level, value[level], text)
                    problems += level_problems
                    if policy is not None:
                        confidence[level] = policy
        elif key == "confidence":
            problems.append(Diagnostic(CONFIG_FILE, _line_of(text, key), 1, "X001",
                                       "judgments.confidence must hold one table per level",
                                       "for example: [judgments.confidence.high] with sources = 3"))
    return JudgmentSettings(months, confidence), problems


def _names(prefix: str, keys: list[str]) -> str:
    """`judgments.a`, or `judgments.a, judgments.b and 3 more`."""
    shown = [f"{prefix}.{key}" for key in keys[:2]]
    return ", ".join(shown) + (f" and {len(keys) - 2} more" if len(keys) > 2 else "")


def _confidence_policy(level: str, spec: object, text: str) -> tuple[ConfidencePolicy | None, list[Diagnostic]]:
    """One `[judgments.confidence.LEVEL]` table: it replaces that level's default; keys left out
    require nothing (`grades` defaults to "ABC"). None, with the problems, when it is invalid."""
    header = f"judgments.confidence.{level}"
    if not isinstance(spec, dict):
        return None, [Diagnostic(CONFIG_FILE, _line_in_table(text, header, None), 1, "X001", f"{header} must be a table",
                                 f"for example: [{header}] with sources = 2")]
    problems = []
    unknown = [key for key in spec if key not in _POLICY_KEYS]
    if unknown:
        problems.append(Diagnostic(CONFIG_FILE, _line_in_table(text, header, unknown[0]), 1, "X001",
                                   f"unknown setting {_names(header, unknown)}",
                                   f"the settings are {', '.join(_POLICY_KEYS)}"))
    values: dict[str, object] = {}
    for key in _POLICY_KEYS:
        if key not in spec:
            continue
        value, line = spec[key], _line_in_table(text, header, key)
        if key == "grades":
            if isinstance(value, str) and value and set(value) <= set(GRADES) and len(set(value)) == len(value):
                values[key] = "".join(sorted(value))
            else:
                problems.append(Diagnostic(CONFIG_FILE, line, 1, "X001",
                                           f"{header}.grades must be Admiralty grades, each once, like \"ABC\"",
                                           "the grades are A, B, C, D, E and F (upper case)"))
        elif isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_REQUIRED:
            values[key] = value
        else:
            problems.append(Diagnostic(CONFIG_FILE, line, 1, "X001",
                                       f"{header}.{key} must be a whole number of sources, 0 to {MAX_REQUIRED}",
                                       f"for example: {key} = 2"))
    if problems:
        return None, problems
    return ConfidencePolicy(**values), []  # type: ignore[arg-type]


def _line_in_table(text: str, header: str, key: str | None) -> int:
    """The line of `key` inside the `[header]` table (of the header itself when key is None);
    falls back to the first line naming the key (dotted keys, inline tables)."""
    parts = [re.escape(part) for part in header.split(".")]
    opening = re.compile(r"\[[ \t]*" + r"[ \t]*\.[ \t]*".join(parts) + r"[ \t]*\]")
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if opening.match(line.lstrip()):
            if key is None:
                return number
            pattern = re.compile(rf"[\"']?{re.escape(key)}[\"']?[ \t]*=")
            for offset, inner in enumerate(lines[number:], number + 1):
                if inner.lstrip().startswith("["):
                    break
                if pattern.match(inner.lstrip()):
                    return offset
            break
    return _line_of(text, key if key is not None else header.rsplit(".", 1)[-1])


def _line_of(text: str, key: str) -> int:
    # Leading whitespace is stripped before matching: `\s*\[?\s*` on a long run of spaces
    # backtracks quadratically.
    pattern = re.compile(rf"\[?[ \t]*[\"']?{re.escape(key)}[\"']?[ \t]*[=\]]")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line.lstrip()):
            return number
    return 1
