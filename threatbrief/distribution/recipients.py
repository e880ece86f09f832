"""Who gets a copy: the recipients file, and what an assessment's TLP allows.

A recipients file is YAML like every other input (`recipients:`, a list of `{name,
organisation, email}`), read with the same limits and validated against
`data/schemas/recipients.schema.json`, each problem at its line. The TLP rules (README,
"Distribution"):

- TLP:CLEAR needs no list: without `--to`, one copy "for general release";
- every other TLP needs `--to`;
- TLP:RED goes only to the readers the assessment lists under `recipients` (D001), and to nobody
  when it lists none; at other TLPs a list, when the assessment gives one, is enforced too;
- TLP:RED and TLP:AMBER+STRICT copies are encrypted, each with its own password.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from threatbrief.diagnostics import Diagnostic, printable
from threatbrief.load.yamlfile import YamlDoc, load_yaml

ENCRYPTED_TLPS = ("TLP:RED", "TLP:AMBER+STRICT")
LISTED_ONLY = "TLP:RED"
PUBLIC = "TLP:CLEAR"


@dataclass(frozen=True)
class Recipient:
    name: str
    organisation: str
    email: str
    line: int = 0  # where the recipients file names them
    col: int = 0

    @property
    def for_whom(self) -> str:
        return f"{self.name}, {self.organisation}" if self.organisation else self.name


GENERAL_RELEASE = Recipient("general release", "", "")  # the one copy of a TLP:CLEAR briefing without --to


def encrypted(tlp: str) -> bool:
    """Whether copies at this TLP are encrypted, each with its own password."""
    return tlp in ENCRYPTED_TLPS


def load_recipients(file: Path, display: str) -> tuple[list[Recipient], list[Diagnostic]]:
    """The recipients in file order, or the problems that stop a distribution (with their lines)."""
    from threatbrief.load.schema import validate

    doc, problems = load_yaml(file, display)  # bounded, regular files only; Y001–Y004 at their lines
    if doc is None or problems:
        return [], problems
    problems = validate(doc, "recipients")
    if problems:
        return [], problems
    recipients, seen = [], {}
    for k, entry in enumerate(doc.data["recipients"]):
        line, col = doc.mark(("recipients", k))
        for key in ("name", "organisation", "email"):
            if printable(entry[key]) != entry[key]:  # a bidi override would make the stamp read otherwise
                problems.append(doc.diagnostic(("recipients", k, key), "Y010",
                                               f"recipients[{k}].{key} holds control characters or bidirectional "
                                               f"overrides: {printable(entry[key])}",
                                               "retype it: the stamp must show what the file says"))
        email = entry["email"].strip()
        recipient = Recipient(" ".join(entry["name"].split()), " ".join(entry["organisation"].split()), email, line, col)
        first = seen.setdefault(email.lower(), recipient)
        if first is not recipient:
            eline, ecol = doc.mark(("recipients", k, "email"))
            problems.append(Diagnostic(display, eline, ecol, "D002", f"{email} is named twice (first at line {first.line})",
                                       "keep one entry per reader: each copy must lead back to one person"))
        recipients.append(recipient)
    return recipients, problems


def not_allowed(recipients: list[Recipient], tlp: str, listed: list[str] | None, display: str,
                assessment: YamlDoc) -> list[Diagnostic]:
    """D001 for every recipient the assessment does not allow (see the module docstring)."""
    if listed is None and tlp != LISTED_ONLY:
        return []
    if listed is None:
        line, col = assessment.mark(("tlp",))
        return [Diagnostic(assessment.path, line, col, "D001",
                           "TLP:RED: the assessment lists no recipients, so no copy may be made",
                           "add `recipients: [reader@example.org, …]` to the assessment: the readers who may see it")]
    allowed = {email.strip().lower() for email in listed}
    return [Diagnostic(display, r.line, r.col, "D001",
                       f"{r.email} is not on the recipients list of {assessment.path} ({tlp})",
                       "add them to the assessment's `recipients` if they may see it; otherwise leave them out")
            for r in recipients if r.email.lower() not in allowed]
