"""What each rule checks, why it matters, and an example that triggers it: `threatbrief rules CODE`.

Like `ruff rule`, one page per rule: its one-line description (diagnostics.RULES), why an analyst or
a reviewer cares, a bad and a good example, and the fix. The README's rule table holds an anchor
per rule (`#rule-c001`), which JSON, SARIF and GitLab outputs link every finding to.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from threatbrief.diagnostics import RULES

DOCS_URL = "https://github.com/threatbrief/threatbrief/blob/main/README.md"


def help_uri(code: str) -> str:
    """The rule's anchor in the README (the table of rules)."""
    return f"{DOCS_URL}#rule-{code.lower()}" if code else DOCS_URL


@dataclass(frozen=True)
class RuleDoc:
    why: str
    bad: str
    good: str
    fix: str


_KJ = "key_judgments:\n  - text: \"{text}\"\n    likelihood: {likelihood}\n    confidence: {confidence}\n    citations:\n"
_CITE = "      - source: {source}\n        quote: \"{quote}\"\n"


def _kj(text: str, likelihood: str = "likely", confidence: str = "low",
        cites: tuple[tuple[str, str], ...] = (("report.txt", "gunmen attacked a convoy"),
                                               ("second.txt", "claimed the attack on the convoy"))) -> str:
    return _KJ.format(text=text, likelihood=likelihood, confidence=confidence) + "".join(
        _CITE.format(source=s, quote=q) for s, q in cites)


DOCS: dict[str, RuleDoc] = {
    "Y001": RuleDoc(
        "The file cannot be parsed as YAML, so nothing in it can be checked. The message gives the line "
        "and column where the parser gave up, which is often just after the real mistake: a missing "
        "quote, a tab, or a value holding ': ' without quotes.",
        'title: Attacks: what we know\nkey_judgments:\n\t- text: "..."',
        'title: "Attacks: what we know"\nkey_judgments:\n  - text: "..."',
        "Quote strings that hold ': ' or start with a symbol, and indent with spaces."),
    "Y002": RuleDoc(
        "A mapping names the same key twice. YAML keeps only the last value silently, so a figure or a "
        "quote the author wrote would vanish from the briefing without a word.",
        "incidents:\n  - id: convoy-attack\n    killed: 1\n    killed: 3",
        "incidents:\n  - id: convoy-attack\n    killed: 3",
        "Keep one of the two keys."),
    "Y003": RuleDoc(
        "Anchors, aliases, merge keys and custom tags are refused. Aliases let a tiny file expand into "
        "gigabytes (the 'billion laughs' attack) and hide where a value really comes from; a reviewer "
        "must see every value where it is used.",
        "defaults: &d {confidence: low}\nkey_judgments:\n  - <<: *d\n    text: \"...\"",
        "key_judgments:\n  - text: \"...\"\n    confidence: low",
        "Write the value out in full where it is used."),
    "Y004": RuleDoc(
        "A file the project needs cannot be read: it is missing, larger than the limit, not UTF-8, or "
        "not a regular file (a directory, a device, a FIFO). Reading is bounded and never blocks, so a "
        "hostile file cannot hang the build.",
        "sources/report.txt saved as Windows-1252 (byte 0x93 for a curly quote)",
        "sources/report.txt saved as UTF-8",
        "Save the file as UTF-8, keep it under the size limit, and make it a regular file."),
    "Y010": RuleDoc(
        "A value does not match the documented format (the JSON Schema in threatbrief/data/schemas/). "
        "The rest of the file is still checked: each part that conforms on its own is verified, and the "
        "assessment is never built until the value is fixed.",
        'tlp: "TLP:PURPLE"',
        'tlp: "TLP:AMBER"',
        "Use one of the values the message lists; editors with yaml-language-server offer them as you type."),
    "S001": RuleDoc(
        "A source path is absolute, contains '..', or resolves (through a symbolic link) outside "
        "sources/. A citation may only point at documents kept in the project, so that every quote can "
        "be verified by anyone with the checkout, and no file of the machine can be read into a briefing.",
        _kj("...", cites=(("../../etc/passwd", "root:x:0:0"),)).rstrip(),
        _kj("...", cites=(("report.txt", "gunmen attacked a convoy"),)).rstrip(),
        "Copy the document into sources/ (`threatbrief add-source FILE`) and cite it by its path there."),
    "S002": RuleDoc(
        "A cited or registered source file does not exist in sources/. The hint lists the files that "
        "are there, closest name first.",
        _kj("...", cites=(("reprot.txt", "gunmen attacked a convoy"),)).rstrip(),
        _kj("...", cites=(("report.txt", "gunmen attacked a convoy"),)).rstrip(),
        "Correct the path, or add the document with `threatbrief add-source FILE`."),
    "S003": RuleDoc(
        "A cited file is in sources/ but not in sources/sources.yaml. Without an entry it has no "
        "reliability grade, no publisher and no recorded sha256, so neither the reader nor the checks "
        "can weigh it.",
        "# sources/sources.yaml lists report.txt only\n" + _kj("...", cites=(("notes.txt", "an unregistered note"),)).rstrip(),
        "threatbrief add-source sources/notes.txt --grade C --rationale \"...\"",
        "Register the file: `threatbrief add-source FILE` writes its entry with its sha256."),
    "S004": RuleDoc(
        "A source's content no longer matches the sha256 recorded in the registry: the document was "
        "edited (or replaced) after its quotes were checked. Quotes may now be verified against words the "
        "publisher never wrote.",
        "sources:\n  - path: report.txt\n    sha256: 7bb4e838…   # the file changed since",
        "sources:\n  - path: report.txt\n    sha256: <the new sha256 the hint prints>",
        "Re-read the quotes that cite the file, then `threatbrief add-source --rehash sources/FILE`."),
    "S005": RuleDoc(
        "The registry lists one source twice: the same path (`./x.txt` and `x.txt` are one), or the same "
        "content under another name. Two entries could give one document two grades or a laxer TLP.",
        "sources:\n  - path: report.txt\n    reliability: B\n  - path: ./report.txt\n    reliability: A",
        "sources:\n  - path: report.txt\n    reliability: B",
        "Keep one entry per document; mention other places it was published in its rationale."),
    "S006": RuleDoc(
        "A registered source is cited by no assessment. Either it is dead weight in the corpus, or an "
        "assessment forgot to cite what it relies on. Checked only when every assessment is checked.",
        "sources:\n  - path: old-report.txt   # cited nowhere",
        "sources:\n  # threatbrief: ignore[S006] kept for the next quarterly assessment\n  - path: old-report.txt",
        "Cite it, remove it from the registry, or say why it stays with a suppression comment."),
    "S007": RuleDoc(
        "A web page or PDF source has no text to quote: no article text, no text layer (a scanned PDF; "
        "OCR is out of scope), or a damaged file. Its quotes cannot be verified.",
        "sources/scan.pdf: a scanned page, no text layer",
        "sources/scan.txt: the text, transcribed and registered, the PDF kept as its archive_url",
        "Save the page with its article text, or register a text transcription of the document."),
    "S008": RuleDoc(
        "A new version of an extractor (trafilatura, pypdfium2) gives a source another text than the one "
        "cached before. Its quotes were checked against the new text; a warning, because a quote that "
        "still verifies is fine, and one that does not is reported as C001 anyway.",
        "sources/page.html extracted again after upgrading trafilatura",
        "the same, once reviewed: the warning does not repeat on the next check",
        "Review the quotes citing the source; nothing to change if they still verify."),
    "C001": RuleDoc(
        "The quoted passage is not in the cited source. Matching is tolerant of typography (curly or "
        "straight quotes, dashes, line breaks, soft hyphens) and strict on words and numbers. The hint "
        "shows the closest passage, how similar it is and which words differ, or the other registered "
        "source the quote is in.",
        _kj("...", cites=(("report.txt", "one worker was killed and five were wounded"),)).rstrip(),
        _kj("...", cites=(("report.txt", "one worker was killed and four were wounded"),)).rstrip(),
        "Copy the passage from the source; mark left-out words with [...] rather than rewording."),
    "C002": RuleDoc(
        "A quote under 12 characters (Chinese and Japanese characters count twice) matches too many "
        "places to prove anything: 'was killed' is in every report.",
        _kj("...", cites=(("report.txt", "attacked"),)).rstrip(),
        _kj("...", cites=(("report.txt", "gunmen attacked a convoy carrying Chinese workers"),)).rstrip(),
        "Quote enough of the sentence to say something only this source says."),
    "C003": RuleDoc(
        "A Markdown [@id] marker in the summary or a section names no citation of the assessment, so the "
        "footnote would point nowhere.",
        "summary: |\n  Gunmen attacked a convoy [@convoi].\nsections:\n  - title: \"What happened\"\n    body: \"...\"\n"
        "    citations:\n      - id: convoy\n        source: report.txt\n        quote: \"gunmen attacked a convoy\"",
        "summary: |\n  Gunmen attacked a convoy [@convoy].",
        "Use the id of one of the assessment's citations."),
    "C004": RuleDoc(
        "Two citations of one assessment share an id, so a [@id] marker could mean either.",
        "    citations:\n      - id: toll\n        source: report.txt\n        quote: \"...\"\n"
        "      - id: toll\n        source: second.txt\n        quote: \"...\"",
        "    citations:\n      - id: toll\n        ...\n      - id: claim\n        ...",
        "Give each citation its own id."),
    "C005": RuleDoc(
        "The quote is on the saved web page, but only in its navigation, sidebars, comments or footer, "
        "not in the article text: a 'most read' headline or a reader's comment is not what the "
        "publisher reported.",
        _kj("...", cites=(("page.html", "Readers' comments: the mine is a front"),)).rstrip(),
        _kj("...", cites=(("page.html", "a passage of the article itself"),)).rstrip(),
        "Quote the article text, or cite the page the headline links to."),
    "C010": RuleDoc(
        "A key judgment or an incident cites no passage. Every claim in a briefing must rest on a quoted "
        "source; an unsourced judgment is an opinion.",
        'key_judgments:\n  - text: "Attacks on Chinese workers are likely to continue."\n'
        "    likelihood: likely\n    confidence: low\n    citations: []",
        _kj("Attacks on Chinese workers are likely to continue.").rstrip(),
        "Cite the passages the judgment rests on."),
    "C011": RuleDoc(
        "A narrative section has no [@id] marker and no citation. A warning: background prose may be "
        "common knowledge, but a reader cannot tell which sentence rests on what.",
        'sections:\n  - title: "Background"\n    body: |\n      ISKP has attacked foreigners before.',
        'sections:\n  - title: "Background"\n    body: |\n      ISKP has attacked foreigners before [@claim].\n'
        '    citations:\n      - id: claim\n        source: second.txt\n        quote: "claimed the attack on the convoy"',
        "Mark the sentences with [@id] and cite the passages."),
    "F001": RuleDoc(
        "An incident's killed or wounded figure must stand in a quoted sentence that reports deaths or "
        "injuries: '4 vehicles were attacked; one worker died' gives no killed: 4. A sum must add up, "
        "and 'deadly' needs a quote that says so.",
        "incidents:\n  - id: convoy-attack\n    killed: 4\n    citations:\n      - source: report.txt\n"
        "        quote: \"Officials said one worker was killed and four were wounded.\"",
        "incidents:\n  - id: convoy-attack\n    killed: 1\n    wounded: 4\n    citations:\n      - source: report.txt\n"
        "        quote: \"Officials said one worker was killed and four were wounded.\"",
        "Record what the quotes say, cite the sentence that gives the figure, or write null if none does."),
    "F002": RuleDoc(
        "An incident's province, district or place appears in none of its quotes, so the map and the "
        "tables would place the event where no source puts it.",
        "incidents:\n  - id: convoy-attack\n    province: Kunduz\n    citations:\n      - source: report.txt\n"
        "        quote: \"gunmen attacked a convoy near the gold mine in Khatlon province\"",
        "incidents:\n  - id: convoy-attack\n    province: Khatlon\n    citations: …",
        "Cite a passage that names the place, or write null."),
    "F003": RuleDoc(
        "An incident's perpetrator appears in none of its quotes. Attribution is the judgment readers "
        "act on; it must be sourced like any other.",
        "incidents:\n  - id: convoy-attack\n    perpetrator: ISKP\n    citations:\n      - source: report.txt\n"
        "        quote: \"gunmen attacked a convoy\"",
        "incidents:\n  - id: convoy-attack\n    perpetrator: ISKP\n    citations:\n      - source: second.txt\n"
        "        quote: \"the Islamic State Khorasan Province (ISKP) claimed the attack\"",
        "Cite the passage that attributes the attack, or write null."),
    "K001": RuleDoc(
        "A key judgment rests on a single source (or on several that relay one report). One report can "
        "be wrong, planted or misread; a judgment should survive the loss of any one source.",
        _kj("Attacks are likely to continue.", cites=(("report.txt", "gunmen attacked a convoy"),)).rstrip(),
        _kj("Attacks are likely to continue.").rstrip(),
        "Cite an independent second source, or lower the judgment's confidence and say why."),
    "K002": RuleDoc(
        "A key judgment rests only on sources graded D, E or F (Admiralty reliability: not usually "
        "reliable, unreliable, cannot be judged).",
        "# both cited sources graded E in the registry\n" + _kj("Attacks are likely to continue.").rstrip(),
        "# at least one cited source graded A, B or C\n" + _kj("Attacks are likely to continue.").rstrip(),
        "Find a more reliable source, or present the claim as reported rather than judged."),
    "K003": RuleDoc(
        "The quote stops where its sentence goes on with but, however, unless, only, not…, or starts "
        "right after 'denied that', 'claimed that', 'rumours that'. Cut there, a quote says the opposite "
        "of its source, or turns a report of a claim into the claim.",
        _kj("...", cites=(("report.txt", "we also agree on a security lapse"),)).rstrip()
        + "   # the source goes on: \", but since the last attack plenty of steps have been taken\"",
        _kj("...", cites=(("report.txt", "we also agree on a security lapse, but since the last attack plenty of steps have been taken"),)).rstrip(),
        "Quote the qualification or the frame too, or say in the text why it does not change the claim."),
    "K004": RuleDoc(
        "The newest source a key judgment cites was published long before the assessment's date "
        "(default: 12 months, `stale_after_months` in threatbrief.toml), or none is dated. Old evidence "
        "may no longer describe the threat.",
        "date: 2025-12-01\n# the cited sources were published in 2023\n" + _kj("Attacks are likely to continue.").rstrip(),
        "date: 2025-12-01\n# a cited source published 2025-10-14\n" + _kj("Attacks are likely to continue.").rstrip(),
        "Cite recent reporting, or lower the confidence and say the evidence is old."),
    "K005": RuleDoc(
        "A key judgment declares more confidence than its independent, graded sources allow: by default "
        "high needs three independent origins, two graded A-C; moderate needs two, or one graded A-B.",
        _kj("Attacks are likely to continue.", confidence="high").rstrip(),
        _kj("Attacks are likely to continue.", confidence="moderate").rstrip(),
        "Lower the confidence, or cite the independent, well-graded sources the level needs."),
    "T001": RuleDoc(
        "The judgment's text uses an estimative term (ICD 203) of another band than its declared "
        "likelihood: 'almost certainly' with likelihood 'likely' tells the reader two probabilities.",
        _kj("Attacks will almost certainly continue.", likelihood="likely").rstrip(),
        _kj("Attacks will almost certainly continue.", likelihood="almost certain").rstrip(),
        "Make the words and the declared likelihood the same band."),
    "T002": RuleDoc(
        "The judgment hedges ('may', 'could', 'possibly', 'perhaps'…) without a probability band. Such "
        "words cover anything from 5 % to 95 %; readers read their own number into them.",
        'key_judgments:\n  - text: "Attacks may continue."\n    confidence: low\n    citations: …',
        'key_judgments:\n  - text: "Attacks are likely to continue."\n    likelihood: likely\n    confidence: low\n    citations: …',
        "State an ICD 203 likelihood, in the text and in `likelihood`."),
    "T003": RuleDoc(
        "The assessment cites a source whose TLP is stricter than its own (CLEAR < GREEN < AMBER < "
        "AMBER+STRICT < RED): the briefing would pass the source's words to readers it may not reach.",
        'tlp: "TLP:CLEAR"\n# cites a source registered with tlp: "TLP:AMBER"',
        'tlp: "TLP:AMBER"',
        "Raise the assessment's TLP, or cite a source that may be shared that widely."),
    "D001": RuleDoc(
        "TLP:RED is for named readers only: `distribute` makes copies only for the readers the "
        "assessment lists under `recipients` (by email), and refuses everyone when a TLP:RED "
        "assessment lists nobody. At other TLPs a list, when given, is enforced the same way.",
        'tlp: "TLP:RED"\n# recipients.yaml names ops@partner.example, whom the assessment does not list',
        'tlp: "TLP:RED"\nrecipients: [ops@partner.example]',
        "Add the reader to the assessment's `recipients` (after deciding they may see it), or take "
        "them off the recipients file."),
    "D002": RuleDoc(
        "Two entries of a recipients file share an email address: one reader would get two copies, "
        "and a leaked copy could not be told apart from the other.",
        "recipients:\n  - {name: Li Wei, organisation: Desk, email: li@desk.example}\n"
        "  - {name: Wei Li, organisation: Desk, email: li@desk.example}",
        "recipients:\n  - {name: Li Wei, organisation: Desk, email: li@desk.example}",
        "Keep one entry per reader."),
    "A001": RuleDoc(
        "Two incidents of one assessment share an id, so tables, charts and links cannot tell them apart.",
        "incidents:\n  - id: convoy-attack\n    ...\n  - id: convoy-attack\n    ...",
        "incidents:\n  - id: convoy-attack\n    ...\n  - id: mine-raid\n    ...",
        "Give each incident its own id."),
    "A002": RuleDoc(
        "An assessment's file name gives no usable output name (only symbols), a reserved one (index, "
        "overview), or the same name as another file (Border.yaml and border.yaml).",
        "assessments/index.yaml",
        "assessments/border-attacks.yaml",
        "Rename the file: letters, digits, '-' and '_'."),
    "A003": RuleDoc(
        "An assessment lists an incident id that no file of incidents/ records, so it would show an "
        "event that the dataset does not have.",
        "incidents:\n  - convoy-atack",
        "incidents:\n  - convoy-attack",
        "Use the id of a record in incidents/, or add the record there."),
    "A004": RuleDoc(
        "Two records (in incidents/ or in assessments) describe one event: the same kind, date, place "
        "and target under two ids. Counted twice, it inflates the charts and the totals.",
        "- id: convoy-attack\n  kind: attack\n  date: \"2024-11-18\"\n  province: Khatlon\n  target_type: business\n"
        "- id: khatlon-convoy\n  kind: attack\n  date: \"2024-11-18\"\n  province: Khatlon\n  target_type: business",
        "- id: convoy-attack\n  kind: attack\n  date: \"2024-11-18\"\n  province: Khatlon\n  target_type: business",
        "Keep one record and cite all its sources there, or suppress with the reason they differ."),
    "M001": RuleDoc(
        "A link or image in Markdown is not http(s), mailto or an in-document #anchor. A javascript: or "
        "file: link in a briefing is an attack on its readers, and an image would be fetched from elsewhere.",
        "summary: |\n  See [the report](javascript:alert(1)).",
        "summary: |\n  See [the report](https://example.org/report).",
        "Link to an https address, or cite the source instead."),
    "L001": RuleDoc(
        "A limit on work is exceeded: citations per assessment, the date window, Markdown size or "
        "nesting. Limits keep a hostile or broken file from making the build run for hours.",
        'date: "2999-01-01"',
        "date: 2025-12-01",
        "Stay within the limit the message names (threatbrief/limits.py lists them)."),
    "P001": RuleDoc(
        "A value still holds a [[TODO: …]] placeholder left by `threatbrief new` or `add-source`: an "
        "unwritten claim, quote or grade must never reach a briefing.",
        'key_judgments:\n  - text: "[[TODO: the judgment, in one sentence]]"',
        'key_judgments:\n  - text: "Attacks on Chinese workers are likely to continue."',
        "Replace every placeholder with the real value."),
    "X001": RuleDoc(
        "threatbrief.toml cannot be read, is not valid TOML, or names an unknown rule, level or setting. "
        "A configuration that is silently ignored would let errors pass.",
        "[rules]\nK001 = \"ignore\"",
        "[rules]\nK001 = \"off\"",
        "Use a known rule code or name and a level: error, warning or off."),
    "X002": RuleDoc(
        "A '# threatbrief: ignore[CODE] reason' comment has no reason, names an unknown code, or silences "
        "nothing (any more). A suppression is a reviewed decision; without a reason it is not one.",
        "  # threatbrief: ignore[K001]\n  - text: \"...\"",
        "  # threatbrief: ignore[K001] the only report so far; a second is expected from the embassy\n  - text: \"...\"",
        "Give the reason after the code, or remove the comment if the finding is gone."),
}


def explain(code_or_name: str) -> str | None:
    """The rule's page (code, name, severity, description, why, bad, good, fix, link); None if unknown."""
    wanted = code_or_name.strip()
    rule = RULES.get(wanted.upper()) or next((r for r in RULES.values() if r.name == wanted.lower()), None)
    if rule is None:
        return None
    doc = DOCS[rule.code]
    indent = lambda text: textwrap.indent(text, "    ")  # noqa: E731
    return "\n".join([
        f"{rule.code} {rule.name} ({rule.severity.value})", "", rule.description, "",
        textwrap.fill(doc.why, 100), "", "Bad:", indent(doc.bad), "", "Good:", indent(doc.good), "",
        f"Fix: {doc.fix}", f"Docs: {help_uri(rule.code)}",
    ])
