"""Time `check`, a cold full build, its overview PDF, a no-op build and an assessment edit on a large
incident dataset, each paired run by run with an anchor.

    .venv/bin/python benchmarks/overview_scale.py [--incidents 100] [--out /tmp/threatbrief-overview-bench]
        [--seed 1] [--runs 5] [--cold-runs 3] [--warmup 1] [--restricted 0] [--breakdown] [--readme]

1. Generates under --out, deterministically from --seed with the standard library only, a project
   whose incidents/ holds --incidents synthetic incidents, one file per country (six countries, 3-10
   provinces each, syllable-built district and place names), dated 2015-2025 at mixed precision
   (about 50 % to the day, 20 % the month, 12 % the year, 10 % a range, 8 % unknown); kinds 80 %
   attack, 10 % threat, 8 % plot, 2 % other; target types and nationalities, attack types,
   perpetrators (a quarter unattributed), claims, killed and wounded (figures, sums of parts,
   'deadly', unknown). About one incident in four cites its source of record only; the others a
   second passage elsewhere. Each incident's facts are written into a sentence of a plain-text,
   news-like source (about six incidents and some filler an article) and that whole sentence is
   quoted, so the quotes are in their sources and F001-F003 hold: the killed figure stands in a
   sentence reporting deaths ("..., killing 12 people and wounding 4, ... said."), the province,
   district, place and perpetrator are named in the quote. sources/sources.yaml registers every
   source with its sha256 (every source is cited); assessments/brief.yaml is one small assessment
   (two key judgments, a section) listing six incident ids, so that a build has a briefing to make.
   No two records share kind, date, place and target, so A004 stays quiet. No source carries a TLP
   unless --restricted FRACTION marks that share TLP:GREEN (the overview's TLP is then TLP:GREEN; an
   assessment listing an incident that cites one must be TLP:GREEN or stricter, or `check` says T003).
2. Times with benchmarks/paired.py: A B A B ... in fresh processes (--warmup uncounted pairs first, then
   --runs counted pairs, --cold-runs for the two rows that render the overview PDF); the figure is the
   median of the pairs' ratios A / B. Each A must exit 0 and do what it should (asserted from its output):
     check     `build.py -C OUT check` (warnings allowed), against a fresh process that loads the same
               YAML files with PyYAML's C loader and reads and hashes (sha256) every source: reading the
               data, no checking;
     cold      `build.py -C OUT build --force -j 1`: the briefing's HTML and PDF, the index, the
               overview's HTML and PDF and the three exports (each must be written), against bare
               WeasyPrint rendering the reports/overview.html it wrote, in a fresh process
               (`weasyprint.HTML(filename=..., base_url=OUT/).write_pdf(pdf_variant="pdf/ua-1")`);
     overview  threatbrief's own PDF step (`threatbrief.publish.pdf.render_pdf`, as the build calls it) on the
     PDF       same reports/overview.html in a fresh process, against the same bare WeasyPrint run;
     no-op     `build.py -C OUT build -j 1` right after: nothing to do ("everything up to date"),
               against `python -c pass`;
     edit      the assessment's summary text changed, then `build -j 1`: its HTML and PDF (and the STIX
               bundle, which holds its report) are rebuilt; the overview, the CSV and the JSON must not
               be (asserted from the build's "wrote ..." lines), against the no-op build right after it.
3. With --breakdown, one more fresh process (threatbrief imported in-process) times check(), then the
   overview's charts, its HTML (charts included), its PDF, and the CSV, JSON and STIX exports, each
   with perf_counter and the process's peak RSS after it; imports are timed apart. Each output is
   compared with what the build wrote. One run, for finding where time goes: each step is shown as a
   share of the whole process, its anchor; no paired ratio, and not in the README block.
4. Prints the dataset, a Markdown table (medians, the paired ratio and its range, peak RSS of each
   side), whether .pyc files existed, the outputs' sizes, and the commands; with --readme, writes
   them into README.md between <!-- benchmark:overview_scale --> and <!-- /benchmark:overview_scale -->.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from paired import TABLE_HEAD, Command, _slug, paired, publish, pyc_note, table_row  # noqa: E402

MARKER = ".threatbrief-bench"  # a non-empty --out is replaced only if it holds this file
ASSESSMENT = "brief"
DATASET_OUTPUTS = ("overview.html", "overview.pdf", "incidents.csv", "incidents.json", "threatbrief.stix.json")
NOT_ON_EDIT = ("overview.html", "overview.pdf", "incidents.csv", "incidents.json")  # README, "Incidents"


def bar(words: str) -> list[str]:
    return words.split("|")


# Country -> (share of the incidents, provinces). Provinces are named in the quotes as written here.
COUNTRIES: dict[str, tuple[float, list[str]]] = {
    "Afghanistan": (0.35, bar("Kabul|Takhar|Badakhshan|Kunduz|Nangarhar|Kandahar|Helmand|Balkh|Herat|Khost")),
    "Pakistan": (0.30, bar("Khyber Pakhtunkhwa|Balochistan|Sindh|Punjab|Gilgit-Baltistan")),
    "Tajikistan": (0.12, bar("Khatlon|Gorno-Badakhshan|Sughd|Districts of Republican Subordination")),
    "Iran": (0.10, bar("Sistan and Baluchestan|Razavi Khorasan|Kerman")),
    "Kyrgyzstan": (0.07, bar("Osh|Batken|Jalal-Abad|Chuy")),
    "Uzbekistan": (0.06, bar("Surkhandarya|Tashkent|Fergana")),
}
_PRE = bar("Qala|Deh|Char|Sar|Pul|Kohna|Nav|Bala|Shahr|Khwaja|Chashma|Ab|Sang|Dasht|Gul|Mir|Khan|Sher|Tal|Kor|Zar|"
           "Jar|Ali|Bagh|Rud|Shor|Ghor|Tash|Kuh|Nur")
_SUF = bar("abad|bagh|dara|kot|khel|qala|gah|zar|sar|chi|dasht|tepa|kul|ghar|rud|band|qul|shahr|gul|kan|mor|pur|"
           "ak|istan|bek|dor|yar|jan|ob|pai")
NAMES = [a + b for a in _PRE for b in _SUF]  # 900 village and district names
PERPETRATORS = bar("ISKP|TTP|Jamaat Ansarullah|Balochistan Liberation Army|Jaish al-Adl|Lashkar-e-Jhangvi|"
                   "Hafiz Gul Bahadur Group|Tehreek-e-Jihad Pakistan|ETIM|Islamic Jihad Union|Jundallah|"
                   "Ansar al-Furqan")
PERPETRATOR_WEIGHTS = [30, 25, 6, 12, 6, 4, 3, 3, 3, 2, 2, 1]
NATIONALITIES = bar("Chinese|Pakistani|Afghan|Tajik|Russian|Iranian|Uzbek|Turkish|American")
NATIONALITY_WEIGHTS = [30, 18, 14, 6, 6, 5, 3, 2, 1]
ATTACK_TYPES = {  # attack_type -> the verb phrase of the quote
    "armed assault": "attacked", "bombing": "bombed", "suicide bombing": "sent a suicide bomber against",
    "kidnapping": "abducted staff from", "IED": "detonated a roadside bomb beside", "rocket attack": "fired rockets at",
    "arson": "set fire to", "unknown": "struck",
}
ATTACK_WEIGHTS = [30, 20, 8, 6, 14, 6, 4, 12]
TARGETS: dict[str, list[str]] = {  # target_type -> noun phrases ({nat}: the target's nationality)
    "business": bar("a {nat}-run mining camp|a hotel used by {nat} engineers|the compound of a {nat} construction "
                    "company|a convoy carrying {nat} workers|a {nat}-owned cement plant"),
    "diplomatic": bar("the {nat} consulate|a {nat} embassy vehicle|the residence of a {nat} diplomat"),
    "civilians": bar("a crowded market|a bus carrying {nat} traders|a wedding party|a group of {nat} pilgrims"),
    "security forces": bar("a police checkpoint|a border post|an army convoy|a {nat} security detail"),
    "religious": bar("a Shia mosque|a Sufi shrine|a religious school"),
    "infrastructure": bar("a power substation|a bridge on the main highway|a gas pipeline|a {nat}-built dam"),
    "government": bar("a district office|the office of the provincial governor|a customs post"),
    "aid workers": bar("an aid convoy|the office of a {nat} charity|a vaccination team"),
    "transport": bar("a fuel tanker convoy|a bus station|a {nat} cargo truck"),
    "education": bar("a girls' school|a university hostel"),
}
TARGET_WEIGHTS = [22, 6, 20, 18, 8, 8, 6, 4, 5, 3]
PLOT_VERBS = bar("bomb|attack|storm|kidnap staff from")
FIRST = bar("Abdul|Ahmad|Mohammad|Gul|Farida|Zarina|Sherali|Dilshod|Najib|Nilufar|Bakhtiyor|Hamid|Khalid|Mansur|"
            "Nasrin|Parwiz|Qadir|Rustam|Saida|Timur|Wahid|Yusuf|Imran|Shazia|Bilal|Reza|Maryam")
ROLES = bar("a police spokesman|the district chief|a provincial government spokesman|a hospital director|"
            "an interior ministry spokeswoman|a local elder|a security official|a border guard commander")
OUTLETS = bar("Reuters|the BBC|Tolo News|Asia-Plus|AFP|Amu TV|Dawn|Kabul Now|Xinhua|RFE/RL|the Associated Press|"
              "Ariana News|Pajhwok|Khaama Press|Express Tribune|IRNA|24.kg|Kun.uz")
MONTHS = bar("January|February|March|April|May|June|July|August|September|October|November|December")
WEEKDAYS = bar("Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday")
FILLER = [
    "Traffic on the road to {place} resumed on {weekday} after repairs, {first} {last}, {role}, said.",
    "Prices of flour and cooking oil in the markets of {province} rose again this month.",
    "Officials in {province} said talks with elders from {place} would continue next week.",
    "The provincial council met in {place} to discuss water shortages and the state of the roads.",
    "Schools in {place} reopened after the winter break with fewer teachers than last year.",
    "{first} {last}, {role}, said the new checkpoint on the road to {place} would stay in place.",
    "Trade across the border fell by a fifth compared with the same period last year, traders said.",
    "Local radio in {province} reported heavy snowfall on the passes north of {place}.",
    "A delegation from the capital visited {place} to inspect the new clinic.",
    "Residents of {place} complained about power cuts that last most of the evening.",
]
UNITS = bar("zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
            "sixteen|seventeen|eighteen|nineteen")


def yq(text: str) -> str:
    """A single-line double-quoted YAML string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def figure(rng: random.Random, n: int) -> str:
    """A count as prose writes it: small ones often in words."""
    return UNITS[n] if n < 20 and rng.random() < 0.4 else f"{n:,}"


def people(rng: random.Random, n: int) -> str:
    return f"{figure(rng, n)} {'person' if n == 1 else 'people'}"


def count(rng: random.Random, heavy: bool = False) -> int:
    """A casualty count: mostly small, a long tail."""
    n = int(rng.paretovariate(1.1 if heavy else 1.4))
    return min(n, 400)


@dataclass
class Record:
    """One synthetic incident: its YAML fields, the sentences quoted for it and where they stand."""

    id: str
    fields: list[tuple[str, str]]  # (key, YAML scalar or flow value), in schema order
    sentences: list[str]  # the quoted sentences: [0] in the source of record, [1] in another
    sources: list[int] = field(default_factory=list)
    latest: date | None = None


def fuzzy_date(rng: random.Random) -> tuple[str, str, date | None]:
    """(the YAML date, how the quote says when, the latest day it could be)."""
    year = rng.choices(range(2015, 2026), weights=[4, 5, 6, 6, 7, 7, 8, 9, 10, 12, 13])[0]
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    roll = rng.random()
    if roll < 0.50:
        d = date(year, month, day)
        return d.isoformat(), f"on {day} {MONTHS[month - 1]} {year}", d
    if roll < 0.70:
        last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1))
        return f"{year}-{month:02d}", f"in {MONTHS[month - 1]} {year}", last
    if roll < 0.82:
        return str(year), f"in {year}", date(year, 12, 31)
    if roll < 0.92:
        if rng.random() < 0.5:  # a span of days
            start = date(year, month, day)
            end = start + timedelta(days=rng.randint(1, 20))
            return (f"{start.isoformat()}/{end.isoformat()}",
                    f"between {start.day} {MONTHS[start.month - 1]} {start.year} and "
                    f"{end.day} {MONTHS[end.month - 1]} {end.year}", end)
        end_month = min(12, month + rng.randint(1, 5))  # a span of months
        last = date(year + end_month // 12, end_month % 12 + 1, 1) - timedelta(days=1)
        return (f"{year}-{month:02d}/{year}-{end_month:02d}",
                f"between {MONTHS[month - 1]} and {MONTHS[end_month - 1]} {year}", last)
    return "unknown", "", None


def make_record(rng: random.Random, number: int, country: str, provinces: list[str], used: set[tuple]) -> Record:
    """An incident whose quoted sentences give every fact it records."""
    while True:  # no two records of one event (A004): same kind, date, place and target
        kind = rng.choices(["attack", "threat", "plot", "other"], weights=[80, 10, 8, 2])[0]
        when, said_when, latest = fuzzy_date(rng)
        province = rng.choice(provinces) if rng.random() < 0.95 else None
        district = rng.choice(NAMES) if province and rng.random() < 0.6 else None
        place = rng.choice(NAMES) if rng.random() < 0.85 else None
        target_type = rng.choices(list(TARGETS), weights=TARGET_WEIGHTS)[0] if rng.random() < 0.92 else None
        nat = rng.choices(NATIONALITIES, weights=NATIONALITY_WEIGHTS)[0] if rng.random() < 0.7 else None
        key = (kind, when, province, district, place, target_type, nat)
        if when == "unknown" or key not in used:
            used.add(key)
            break
    perp = rng.choices(PERPETRATORS, weights=PERPETRATOR_WEIGHTS)[0] if rng.random() < 0.75 else None
    nouns = [t for t in TARGETS[target_type or "civilians"] if ("{nat}" in t) == bool(nat)] or \
        [t for t in TARGETS[target_type or "civilians"] if "{nat}" not in t] or ["a group of {nat} travellers"]
    target = re.sub(r"\ba (?=[AEIOU])", "an ", rng.choice(nouns).format(nat=nat or "foreign"))
    where = ", ".join(filter(None, [place, f"{district} district" if district else None,
                                    f"{province} province" if province else None, country]))
    who = (rng.choice(["Fighters of {p}", "Militants of {p}", "Gunmen loyal to {p}", "A cell of {p}"]).format(p=perp)
           if perp else rng.choice(["Unidentified gunmen", "Unknown attackers", "Masked men on motorcycles"]))
    speaker = f"{rng.choice(FIRST)} {rng.choice(NAMES)}ov, {rng.choice(ROLES)},"
    fields: list[tuple[str, str]] = []
    claimed = "unknown"
    killed = wounded = None
    attack_type = None
    if kind == "attack":
        attack_type = rng.choices(list(ATTACK_TYPES), weights=ATTACK_WEIGHTS)[0] if rng.random() < 0.9 else None
        verb = ATTACK_TYPES[attack_type or "unknown"]
        roll = rng.random()
        if roll < 0.55:  # killed and wounded
            killed, wounded = count(rng, heavy=True), count(rng)
            casualties = rng.choice([f", killing {people(rng, killed)} and wounding {figure(rng, wounded)}",
                                     f", leaving {figure(rng, killed)} dead and {figure(rng, wounded)} injured"])
        elif roll < 0.67:
            killed = count(rng, heavy=True)
            casualties = f", killing {people(rng, killed)}"
        elif roll < 0.74:
            wounded = count(rng)
            casualties = f", wounding {people(rng, wounded)}"
        elif roll < 0.79:  # a sum: parts given apart
            a, b = count(rng), count(rng)
            killed = f"{{total: {a + b}, from: [{a}, {b}]}}"
            casualties = f", killing {figure(rng, a)} {nat or 'foreign'} workers and {figure(rng, b)} local guards"
        elif roll < 0.87:
            killed = "deadly"
            casualties = " in a deadly attack"
        else:  # no figures known
            casualties = ""
        sentence = f"{who} {verb} {target} in {where}{' ' + said_when if said_when else ''}{casualties}, {speaker} said."
        claimed = rng.choices(["true", "false", "unknown"], weights=[45, 15, 40])[0] if perp else "false"
    elif kind == "plot":
        sentence = (f"Security services said they had foiled a plot by {perp or 'an unnamed cell'} to "
                    f"{rng.choice(PLOT_VERBS)} {target} in {where}{' ' + said_when if said_when else ''}.")
    elif kind == "threat":
        sentence = (f"{perp or 'An unnamed group'} threatened{' ' + said_when if said_when else ''} to attack "
                    f"{target} in {where}, {speaker} said.")
    else:
        watchers = f"men linked to {perp}" if perp else "unidentified men"
        sentence = (f"{speaker[:-1]} said {watchers} had been watching {target} in {where}"
                    f"{' ' + said_when if said_when else ''}.")
    sentences = [sentence]
    if rng.random() < 0.75:  # a second account, in another source
        spot = place or district or province or country
        noun = {"attack": "attack", "plot": "plot", "threat": "threat"}.get(kind, "incident")
        if kind == "attack" and claimed == "true":
            second = f"{perp} claimed the {noun} in {spot} in a statement on Telegram."
        elif kind == "attack" and isinstance(killed, int) and rng.random() < 0.5:
            second = f"The death toll from the {noun} in {spot} rose to {figure(rng, killed)}, hospital officials said."
        else:
            such = "such an" if noun[0] in "ai" else "such a"
            second = f"Residents of {spot} told {rng.choice(OUTLETS)} they had feared {such} {noun} for months."
        sentences.append(second)
    kind_word = attack_type if attack_type not in (None, "unknown") else "attack"
    title = {"attack": f"{kind_word[0].upper() + kind_word[1:]} on {target} in {place or province or country}",
             "plot": f"Plot against {target} in {place or province or country}",
             "threat": f"Threat to {target} in {place or province or country}",
             "other": f"Surveillance of {target} in {place or province or country}"}[kind]
    title = title[0].upper() + title[1:]
    year = when[:4] if when != "unknown" else "undated"
    rid = f"{slug(country)}-{year}-{number:05d}"
    fields = [("id", rid), ("title", yq(title)), ("kind", kind), ("date", yq(when))]
    if when != "unknown" and rng.random() < 0.05 or when == "unknown" and rng.random() < 0.5:
        fields.append(("date_note", yq("As the sources give it; no report gives a closer date.")))
    fields += [("country", country), ("province", yq(province) if province else "null"),
               ("district", yq(district) if district else "null"), ("place", yq(place) if place else "null")]
    if kind == "attack":
        fields.append(("attack_type", yq(attack_type) if attack_type else "null"))
    fields += [("target_type", yq(target_type) if target_type else "null"),
               ("target_nationality", yq(nat) if nat else "null"),
               ("perpetrator", yq(perp) if perp else "null"), ("claimed", claimed)]
    if claimed == "true" and len(sentences) > 1 and "Telegram" in sentences[1]:
        fields.append(("claim_note", yq("statement on Telegram")))
    if kind == "attack":
        fields += [("killed", "null" if killed is None else str(killed)),
                   ("wounded", "null" if wounded is None else str(wounded))]
    if rng.random() < 0.3:
        fields.append(("summary", yq(f"{title}, as {len(sentences)} source(s) report it.")))
    return Record(rid, fields, sentences, latest=latest)


def record_yaml(record: Record, names: list[str]) -> str:
    lines = [f"  - {record.fields[0][0]}: {record.fields[0][1]}"]
    lines += [f"    {key}: {value}" for key, value in record.fields[1:]]
    lines.append("    citations:")
    for sentence, source in zip(record.sentences, record.sources):
        lines += [f"      - source: {names[source]}", f"        quote: {yq(sentence)}"]
    return "\n".join(lines) + "\n"


def filler(rng: random.Random, country: str) -> str:
    province = rng.choice(COUNTRIES[country][1])
    return rng.choice(FILLER).format(place=rng.choice(NAMES), province=province, weekday=rng.choice(WEEKDAYS),
                                     first=rng.choice(FIRST), last=rng.choice(NAMES) + "ov", role=rng.choice(ROLES))


def source_text(rng: random.Random, number: int, country: str, sentences: list[str], published: str) -> str:
    """A news-like article: headline, byline, paragraphs mixing the quoted sentences and filler;
    a quarter are hard-wrapped (the quotes, on one line, still match)."""
    body = list(sentences)
    body += [filler(rng, country) for _ in range(max(3, len(sentences)))]
    head, rest = body[:1], body[1:]
    rng.shuffle(rest)
    body = head + rest
    paragraphs, k = [], 0
    while k < len(body):
        take = rng.randint(1, 3)
        paragraphs.append(" ".join(body[k:k + take]))
        k += take
    width = rng.choice([0, 0, 0, 78])
    if width:
        paragraphs = ["\n".join(re.findall(rf"(.{{1,{width}}})(?: +|$)", p)) for p in paragraphs]
    headline = f"Security round-up {number:05d}: {country}"
    return (f"{headline}\n\nBy {rng.choice(OUTLETS)} staff, {published}\n\n" + "\n\n".join(paragraphs)
            + "\n\nMOST READ\nPrices rise again\nTalks to resume next week\n")


def assessment_yaml(records: list[Record], names: list[str], revision: int = 0) -> str:
    """A schema-valid assessment listing a few incidents by id; its key judgments cite recent,
    well-graded sources (no K001, K002, K004)."""
    ids = ", ".join(r.id for r in records)
    a, b = records[0], records[1]
    kj_quotes = [(names[r.sources[0]], r.sentences[0]) for r in records]
    cites = "\n".join(f"      - source: {s}\n        quote: {yq(q)}" for s, q in kj_quotes[:2])
    cites2 = "\n".join(f"      - source: {s}\n        quote: {yq(q)}" for s, q in kj_quotes[2:4])
    return f"""title: "Synthetic briefing: attacks on foreign workers across the region"
date: 2026-01-15
tlp: "TLP:GREEN"
authors: ["benchmark desk"]
scope: "Generated by benchmarks/overview_scale.py: one assessment over a large incident dataset."
key_judgments:
  - text: "Attacks on foreign workers across the region are likely to continue in 2026."
    likelihood: likely
    confidence: low
    citations:
{cites}
  - text: "Militant groups will likely keep planning attacks on foreign targets."
    likelihood: likely
    confidence: low
    citations:
{cites2}
summary: |
  Attacks on foreign workers continued through 2025 [@c1] (revision {revision}).
sections:
  - title: "Background"
    body: |
      The incidents below are drawn from the project's dataset [@c1] [@c2].
    citations:
      - id: c1
        source: {names[a.sources[0]]}
        quote: {yq(a.sentences[0])}
      - id: c2
        source: {names[b.sources[0]]}
        quote: {yq(b.sentences[0])}
incidents: [{ids}]
"""


@dataclass
class Generated:
    incidents: int
    files: int
    sources: int
    source_bytes: int
    incident_bytes: int
    citations: int
    kinds: Counter
    precision: Counter
    listed: list[str]


def generate(out: Path, n_incidents: int, seed: int, restricted: float = 0.0) -> Generated:
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        sys.exit(f"{out} is not empty and was not made by this script; choose another --out")
    rng = random.Random(seed)
    if out.exists():
        old = out.rename(out.with_name(f"{out.name}.old-{os.getpid()}"))
        shutil.rmtree(old)
    for part in ("sources", "assessments", "incidents"):
        (out / part).mkdir(parents=True)
    (out / MARKER).write_text("made by benchmarks/overview_scale.py; replaced on the next run\n")
    (out / "threatbrief.toml").write_text("# generated by benchmarks/overview_scale.py\n", encoding="utf-8")

    used: set[tuple] = set()
    countries = list(COUNTRIES)
    by_country: dict[str, list[Record]] = {c: [] for c in countries}
    records: list[Record] = []
    for number in range(n_incidents):
        country = rng.choices(countries, weights=[COUNTRIES[c][0] for c in countries])[0]
        record = make_record(rng, number, country, COUNTRIES[country][1], used)
        by_country[country].append(record)
        records.append(record)

    # Sources: about six sentences each, of one country; every source holds at least one
    # incident's sentence of record, so every registered source is cited (no S006).
    n_sources = max(1, round(sum(len(r.sentences) for r in records) / 6))
    per_country = {c: max(1, round(n_sources * len(rs) / max(1, len(records)))) for c, rs in by_country.items() if rs}
    names: list[str] = []
    contents: list[list[str]] = []
    latest: list[date | None] = []
    country_of: list[str] = []
    for country, n in per_country.items():
        first = len(names)
        rs = by_country[country]
        n = min(n, len(rs))
        for k in range(n):
            names.append(f"{slug(country)}-{k:05d}.txt")
            contents.append([])
            latest.append(None)
            country_of.append(country)
        order = list(range(first, first + n))
        for j, record in enumerate(rs):
            home = order[j] if j < n else rng.choice(order)
            record.sources = [home]
            if len(record.sentences) > 1:
                other = rng.choice(order) if n > 1 else home
                while other == home and n > 1:
                    other = rng.choice(order)
                record.sources.append(other)
            for sentence, s in zip(record.sentences, record.sources):
                contents[s].append(sentence)
                if record.latest and (latest[s] is None or record.latest > latest[s]):
                    latest[s] = record.latest
    registry_lines = ["sources:"]
    source_bytes = 0
    published_of: list[str] = []
    for s, name in enumerate(names):
        day = latest[s] + timedelta(days=rng.randint(0, 20)) if latest[s] else date(rng.randint(2015, 2025), 6, 1)
        day = min(day, date(2025, 12, 31))
        published = day.isoformat()
        published_of.append(published)
        text = source_text(rng, s, country_of[s], contents[s], f"{day.day} {MONTHS[day.month - 1]} {day.year}")
        raw = text.encode()
        source_bytes += len(raw)
        (out / "sources" / name).write_bytes(raw)
        grade = rng.choices("ABCDEF", weights=[5, 30, 35, 15, 5, 10])[0]
        tlp = ", tlp: \"TLP:GREEN\"" if rng.random() < restricted else ""
        registry_lines.append(
            f"- {{path: {name}, title: {yq(text.split(chr(10), 1)[0])}, published: {published}, language: en, "
            f"kind: news, reliability: {grade}{tlp}, rationale: Synthetic, sha256: {hashlib.sha256(raw).hexdigest()}}}")
    (out / "sources" / "sources.yaml").write_text("\n".join(registry_lines) + "\n", encoding="utf-8")

    incident_bytes = 0
    for country, rs in by_country.items():
        if not rs:
            continue
        text = ("# yaml-language-server: $schema=../.threatbrief/schemas/incidents.schema.json\n"
                f"# {len(rs)} synthetic incidents in {country}, generated by benchmarks/overview_scale.py\n"
                "incidents:\n" + "".join(record_yaml(r, names) for r in rs))
        incident_bytes += len(text.encode())
        (out / "incidents" / f"{slug(country)}.yaml").write_text(text, encoding="utf-8")

    # The assessment: six incidents of several kinds, each cited through a recent source
    # graded A-C (its key judgments cite the same sentences).
    strong = {s for s, line in enumerate(registry_lines[1:]) if re.search(r"reliability: [ABC]\b", line)
              and "TLP:GREEN" not in line and published_of[s] >= "2025-03-01"}
    chosen: list[Record] = []
    for wanted in ("attack", "attack", "attack", "attack", "plot", "threat"):
        for r in records:
            if r not in chosen and dict(r.fields)["kind"] == wanted and r.sources[0] in strong \
                    and all(r.sources[0] != c.sources[0] for c in chosen):
                chosen.append(r)
                break
    if len(chosen) < 4:  # a tiny --incidents: take any
        chosen += [r for r in records if r not in chosen][:6 - len(chosen)]
    (out / "assessments" / f"{ASSESSMENT}.yaml").write_text(assessment_yaml(chosen, names), encoding="utf-8")
    return Generated(len(records), sum(1 for rs in by_country.values() if rs), len(names), source_bytes,
                     incident_bytes, sum(len(r.sentences) for r in records),
                     Counter(dict(r.fields)["kind"] for r in records),
                     Counter(_precision(dict(r.fields)["date"].strip('"')) for r in records), [r.id for r in chosen])


def _precision(when: str) -> str:
    if when == "unknown":
        return "unknown"
    if "/" in when:
        return "range"
    return {1: "year", 2: "month", 3: "day"}[len(when.split("-"))]


def edit_assessment(out: Path, revision: int) -> None:
    """Change the assessment's text only (its summary): no incident, no source."""
    path = out / "assessments" / f"{ASSESSMENT}.yaml"
    text = path.read_text(encoding="utf-8")
    new = re.sub(r"\(revision \d+\)", f"(revision {revision})", text)
    assert new != text, "the edit changed nothing"
    path.write_text(new, encoding="utf-8")


# The anchors and the overview PDF step, each run as `python -c CODE ARGS...` in a fresh process.
READ_DATA = r"""import hashlib, pathlib, sys, yaml
root = pathlib.Path(sys.argv[1])
for path in sorted([*root.glob("incidents/*.yaml"), *root.glob("assessments/*.yaml"), root / "sources" / "sources.yaml"]):
    yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
for path in sorted(root.glob("sources/*.txt")):
    hashlib.sha256(path.read_bytes()).hexdigest()"""
BARE_WEASYPRINT = r"""import sys, weasyprint
weasyprint.HTML(filename=sys.argv[1], base_url=sys.argv[2]).write_pdf(sys.argv[3], pdf_variant="pdf/ua-1")"""
THREATBRIEF_PDF = r"""import pathlib, sys
from threatbrief.publish.pdf import render_pdf
pdf, refused = render_pdf(pathlib.Path(sys.argv[1]).read_text(encoding="utf-8"), pathlib.Path(sys.argv[2]), "2025-12-31")
pathlib.Path(sys.argv[3]).write_bytes(pdf)"""


# The breakdown: run in a fresh process with the project's Python; prints one JSON object.
BREAKDOWN = r'''
import hashlib, io, json, resource, sys, time
root, out = sys.argv[1], sys.argv[2]
steps = []
def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
def step(name, fn):
    t = time.perf_counter(); value = fn(); seconds = time.perf_counter() - t
    steps.append({"step": name, "seconds": seconds, "peak_mb": peak()})
    return value
def imports():
    import threatbrief.pipeline, threatbrief.publish.overview, threatbrief.publish.charts, threatbrief.publish.render
    import threatbrief.publish.export
    import threatbrief.publish.pdf, stix2, matplotlib.pyplot
step("imports (threatbrief, matplotlib, WeasyPrint, stix2)", imports)
from threatbrief.pipeline import check, _dataset_day
from threatbrief.project import Project
from threatbrief.publish import export
from threatbrief.publish.overview import overview_charts, overview_html
from threatbrief.publish.pdf import render_pdf
from threatbrief.publish.render import environment
project = Project.at(root)
result = step("check() (registry, incidents/, assessment)", lambda: check(project))
assert result.ok, [str(d) for d in result.diagnostics if d.severity.value == "error"][:5]
incidents, registry = result.dataset.incidents, result.registry
assessments = [c.assessment for c in result.assessments]
day = _dataset_day(incidents)
charts = step("overview charts (matplotlib, SVG)", lambda: overview_charts(incidents))
env = environment(project)
html = step("overview HTML (template; charts above)", lambda: overview_html(env, incidents, registry, charts, day))
pdf = step("overview PDF (WeasyPrint)", lambda: render_pdf(html, project.root, day)[0])
csv = step("incidents.csv", lambda: export.incidents_csv(incidents, registry))
js = step("incidents.json", lambda: export.incidents_json(incidents, registry))
stix = step("threatbrief.stix.json", lambda: export.stix_bundle(incidents, registry, assessments))
digests = {name: hashlib.sha256(data).hexdigest() for name, data in
           [("overview.html", html.encode("utf-8")), ("overview.pdf", pdf), ("incidents.csv", csv),
            ("incidents.json", js), ("threatbrief.stix.json", stix)]}
sizes = {name: len(data) for name, data in [("overview.html", html.encode("utf-8")), ("overview.pdf", pdf),
         ("incidents.csv", csv), ("incidents.json", js), ("threatbrief.stix.json", stix)]}
json.dump({"steps": steps, "digests": digests, "sizes": sizes, "charts": [c.slug for c in charts],
           "incidents": len(incidents)}, open(out, "w"))
'''


def pdf_pages(path: Path) -> int:
    try:
        from pypdf import PdfReader
    except ImportError:  # a rough count without pypdf
        return len(re.findall(rb"/Type\s*/Page(?![s\w])", path.read_bytes()))
    return len(PdfReader(str(path)).pages)


def written(output: str) -> list[str]:
    """The file names the build's 'wrote reports/…' lines name."""
    return [line.split(" ", 1)[1].rsplit("/", 1)[-1] for line in output.splitlines() if line.startswith("wrote ")]


def fail(message: str, output: str) -> None:
    print(f"\nFAILED: {message}\n(a change to threatbrief's own code while this runs makes the next build rebuild "
          "everything)\nthe output (last 40 lines):", *output.splitlines()[-40:], sep="\n")
    sys.exit(1)


RUN_MARK = "=== overview_scale.py: next run ===\n"


class Logged:
    """Marks each run's start in the log paired.py appends a command's output to, so that each
    run's output can be checked after the series."""

    def __init__(self, logs: Path, label: str, then=None) -> None:
        self.path, self.then = logs / f"{_slug(label)}.log", then

    def __call__(self) -> None:
        if self.then:
            self.then()
        with self.path.open("a", encoding="utf-8") as log:
            log.write(RUN_MARK)

    def outputs(self) -> list[str]:
        """Each marked run's output, oldest first."""
        return self.path.read_text(encoding="utf-8", errors="replace").split(RUN_MARK)[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path("/tmp/threatbrief-overview-bench"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5, help="counted pairs of check, no-op and edit")
    parser.add_argument("--cold-runs", type=int, default=3, help="counted pairs of the cold build and the overview PDF")
    parser.add_argument("--warmup", type=int, default=1, help="uncounted pairs before each series")
    parser.add_argument("--restricted", type=float, default=0.0, metavar="FRACTION",
                        help="share of sources marked TLP:GREEN (default 0: a file of incidents/ is checked as a "
                             "TLP:CLEAR assessment, so citing one is a T003 error)")
    parser.add_argument("--breakdown", action="store_true", help="also time the overview's steps in one process")
    parser.add_argument("--readme", action="store_true", help="write the tables into README.md's block")
    args = parser.parse_args()
    if args.incidents < 6 or args.runs < 1 or args.cold_runs < 1 or args.warmup < 0:
        parser.error("need --incidents >= 6, --runs >= 1, --cold-runs >= 1 and --warmup >= 0")
    out: Path = args.out.resolve()

    started = time.perf_counter()
    made = generate(out, args.incidents, args.seed, args.restricted)
    print(f"generated {out} in {time.perf_counter() - started:.1f} s", flush=True)

    logs, anchors = out / "runs", out / "anchors"
    logs.mkdir()
    anchors.mkdir()
    reports = out / "reports"
    python = sys.executable
    tool = [python, str(REPO / "build.py"), "-C", str(out)]
    commands = {
        "check": tool + ["check", "--no-cache"],  # the checking itself, not the check cache's reuse
        "read": [python, "-c", READ_DATA, str(out)],
        "cold": tool + ["build", "--force", "-j", "1"],
        "weasyprint": [python, "-c", BARE_WEASYPRINT, str(reports / "overview.html"), f"{out}{os.sep}",
                       str(anchors / "weasyprint.pdf")],
        "overview PDF": [python, "-c", THREATBRIEF_PDF, str(reports / "overview.html"), str(out),
                         str(anchors / "threatbrief.publish.pdf")],
        "no-op": tool + ["build", "-j", "1"],
        "pass": [python, "-c", "pass"],
    }
    labels = {
        "check": "`check --no-cache`", "read": "load the YAML (libyaml), sha256 the sources",
        "cold": "cold build", "weasyprint": "bare WeasyPrint, reports/overview.html",
        "overview PDF": "threatbrief's PDF step, reports/overview.html", "no-op": "no-op build",
        "pass": "`python -c pass`", "edit": "build after an edit",
    }
    revision = iter(range(1, 10**6))
    marks = {name: Logged(logs, label) for name, label in labels.items()}
    marks["edit"] = Logged(logs, labels["edit"], lambda: edit_assessment(out, next(revision)))
    command = {name: Command(commands.get(name, commands["no-op"]), labels[name], before=marks[name]) for name in labels}

    def series(name: str, anchor: str, runs: int):
        print(f"{labels[name]} vs {labels[anchor]}: {args.warmup} + {runs} pairs", flush=True)
        return paired(command[name], command[anchor], runs, args.warmup, logs)

    results, notes = {}, {}
    results["check"] = series("check", "read", args.runs)
    output = marks["check"].outputs()[-1]
    summary = next((line for line in reversed(output.splitlines()) if line.startswith("checked ")), "?")
    codes = Counter(re.findall(r"^\S+:\d+:\d+: (?:warning|error) ([A-Z]\d{3})", output, re.M))
    notes["check"] = summary + (f" ({', '.join(f'{c} ×{n}' for c, n in sorted(codes.items()))})" if codes else "")

    results["cold"] = series("cold", "weasyprint", args.cold_runs)
    expected = (*DATASET_OUTPUTS, f"{ASSESSMENT}.html", f"{ASSESSMENT}.pdf", "index.html")
    for output in marks["cold"].outputs():
        missing = [n for n in expected if n not in written(output)]
        if missing:
            fail(f"a cold build did not write {', '.join(missing)}", output)
    cold_outputs = written(marks["cold"].outputs()[-1])
    sizes = {name: (reports / name).stat().st_size for name in cold_outputs}
    built = {name: hashlib.sha256((reports / name).read_bytes()).hexdigest() for name in DATASET_OUTPUTS}
    pages = pdf_pages(reports / "overview.pdf")
    anchor_pages = pdf_pages(anchors / "weasyprint.pdf")
    results["overview PDF"] = series("overview PDF", "weasyprint", args.cold_runs)
    step_pages = pdf_pages(anchors / "threatbrief.publish.pdf")
    if len({pages, anchor_pages, step_pages}) != 1:
        print(f"note: the overview PDF has {pages} pages as built, {step_pages} from threatbrief's PDF step and "
              f"{anchor_pages} from bare WeasyPrint", flush=True)
    notes["cold"] = f"{len(cold_outputs)} outputs, overview PDF {pages} pages; anchor's PDF {anchor_pages} pages"
    notes["overview PDF"] = f"{step_pages} pages; anchor's {anchor_pages}"

    breakdown = run_breakdown(out, logs) if args.breakdown else None

    # The build the no-op follows (the overview PDF series wrote nothing to reports/; this one has nothing to do
    # unless threatbrief's own code changed since the cold build, which rebuilds everything).
    subprocess.run(commands["no-op"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    results["no-op"] = series("no-op", "pass", args.runs)
    results["edit"] = series("edit", "no-op", args.runs)
    for output in marks["no-op"].outputs():
        if written(output) or "everything up to date" not in output:
            fail("a no-op build (after the cold build, or right after an edit) did something", output)
    notes["no-op"] = next(line for line in marks["no-op"].outputs()[-1].splitlines() if "everything up to date" in line)
    for output in marks["edit"].outputs():
        names = written(output)
        wrong = [n for n in NOT_ON_EDIT if n in names]
        if wrong:
            fail(f"editing the assessment's text rebuilt {', '.join(wrong)} (README: it must not)", output)
        if f"{ASSESSMENT}.html" not in names or f"{ASSESSMENT}.pdf" not in names:
            fail("editing the assessment did not rebuild its briefing", output)
    notes["edit"] = "wrote " + ", ".join(written(marks["edit"].outputs()[-1])) + "; not the overview, CSV or JSON"

    # --- Tables
    flags = shlex.join(a for a in sys.argv[1:] if a != "--readme")
    kinds = ", ".join(f"{k} {n:,}" for k, n in made.kinds.most_common())
    precision = ", ".join(f"{k} {n:,}" for k, n in made.precision.most_common())
    rows = {"check": "`check --no-cache`", "cold": "cold build (`build --force -j 1`)", "overview PDF": "the overview PDF alone",
            "no-op": "no-op build", "edit": "edit the assessment's text, then `build -j 1`"}
    block = [
        f"`.venv/bin/python benchmarks/overview_scale.py{' ' + flags if flags else ''}` — {pyc_note()}; "
        f"{args.warmup} + {args.runs} pairs a row ({args.warmup} + {args.cold_runs} for the two rows that render "
        "the overview PDF), each run a fresh process:",
        "",
        TABLE_HEAD,
        *(table_row(measure, results[name]) for name, measure in rows.items()),
        "",
        "| row | what the last run did |",
        "|---|---|",
        *(f"| {measure} | {notes[name]} |" for name, measure in rows.items()),
        "",
        "| incidents | files | sources | source MB | incidents/ MB | citations | kinds | date precision |",
        "|---|---|---|---|---|---|---|---|",
        f"| {made.incidents:,} | {made.files} | {made.sources:,} | {made.source_bytes / 1e6:.1f} | "
        f"{made.incident_bytes / 1e6:.1f} | {made.citations:,} | {kinds} | {precision} |",
        "",
        "| output | bytes |",
        "|---|---|",
        *(f"| {name} | {sizes.get(name, 0):,} |" for name in expected),
    ]
    print()
    publish("overview_scale", "\n".join(block), args.readme)
    if breakdown:
        print_breakdown(breakdown, built)
    print(f"\nthe assessment lists: {', '.join(made.listed)}")
    print(f"commands (outputs in {logs}):", *(f"  {labels[k]}: {shlex.join(c)}" for k, c in commands.items()),
          f"  {labels['edit']}: edit assessments/{ASSESSMENT}.yaml, then {shlex.join(commands['no-op'])}", sep="\n")


def run_breakdown(out: Path, logs: Path) -> dict:
    """The overview's steps timed in one fresh process (--breakdown); stops the script if it fails."""
    report, log = logs / "breakdown.json", logs / "breakdown.out"
    print("breakdown: 1 run", flush=True)
    started = time.perf_counter()
    with log.open("wb") as sink:
        code = subprocess.call([sys.executable, "-c", BREAKDOWN, str(out), str(report)], stdout=sink, stderr=sink)
    wall = time.perf_counter() - started
    if code != 0:
        fail("the breakdown failed", log.read_text(encoding="utf-8", errors="replace"))
    return json.loads(report.read_text()) | {"wall": wall}


def print_breakdown(data: dict, built: dict[str, str]) -> None:
    """The breakdown's table; its outputs compared with the last cold build's (`built`: sha256 by name)."""
    print("\nBreakdown, one run in one fresh process, right after the cold builds (not paired: each step's "
          "share of the whole process; the peak RSS the process had reached after it):\n")
    print("| step | s | share of the process | peak MB after | output bytes | same bytes as the build |")
    print("|---|---|---|---|---|---|")
    output_of = {"overview HTML": "overview.html", "overview PDF": "overview.pdf", "incidents.csv": "incidents.csv",
                 "incidents.json": "incidents.json", "threatbrief.stix.json": "threatbrief.stix.json"}
    for step in data["steps"]:
        name = next((v for key, v in output_of.items() if step["step"].startswith(key)), None)
        same = ""
        if name:
            same = "yes" if data["digests"][name] == built[name] else "**no**"
        size = f"{data['sizes'][name]:,}" if name else ""
        print(f"| {step['step']} | {step['seconds']:.2f} | {step['seconds'] / data['wall']:.0%} | {step['peak_mb']:.0f} | "
              f"{size} | {same} |")
    print(f"| (the whole process) | {data['wall']:.2f} | 100% | | | |")


if __name__ == "__main__":
    main()
