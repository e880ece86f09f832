"""Time `check` over saved web pages and PDFs, with a cold and a warm extraction cache, each paired with
checking the same corpus as plain text.

    .venv/bin/python benchmarks/check_real_sources.py [--pdfs 100] [--pages 100] [--assessments 20]
        [--citations 400] [--out /tmp/threatbrief-bench-real] [--seed 1] [--runs 5] [--warmup 1] [--readme]

1. Generates under --out, deterministically from --seed (news-like prose from check_scale.py):
   - real/: a project whose sources/ holds --pdfs multi-page A4 reports made by WeasyPrint (3-8 pages,
     justified, `hyphens: auto`, a running header and "Page n of m") and --pages saved web pages of
     5-30 KB (navigation, "Most read", comments, footer around the article; a few in Chinese and in
     Pashto), a registry with the sha256 of each, and assessments whose citations quote 40-200
     characters of a paragraph, cut at word boundaries (Chinese: at sentence ends), every source cited.
     A third of the PDF quotes hold a word the typesetter hyphenated across lines (the extractor joins it).
   - text/: the same corpus as plain text (each source's extracted text as .txt), same quotes.
   PDFs are rendered two at a time and kept in .gen/ by the hash of their HTML, so a rerun reuses them.
   Each quote is checked against the extracted text, whitespace folded and line breaks after "/" or "-"
   taken as no space (as the matcher does); a quote not found so is a generator bug and stops the run.
   Quotes across such a break ("RFE/\nRL", "Gorno-\nBadakhshan") are counted.
2. Times with benchmarks/paired.py, each run in a fresh process with XDG_CACHE_HOME=OUT/xdg (the
   cache's signing key stays across runs), two series of A B A B ... pairs (--warmup uncounted pairs
   first, then --runs counted ones), each against the same anchor, `build.py -C OUT/text check`:
     cold  `build.py -C OUT/real check` after `rm -rf OUT/real/.threatbrief/cache` (every source extracted);
     warm  the same right after the cold series, nothing changed (no source extracted: asserted).
   Every run must exit 0. The figure is the median of the pairs' ratios (check / anchor).
3. Prints the corpus, a Markdown table (medians, the paired ratio and its range, peak RSS of each
   side), whether .pyc files existed, and the commands; with --readme, writes that table into
   README.md between <!-- benchmark:check_real_sources --> and <!-- /benchmark:check_real_sources -->.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import os
import random
import re
import shlex
import shutil
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]
from check_scale import STRAIGHT, TITLE, Prose, assessment_yaml, yq  # noqa: E402
from paired import TABLE_HEAD, Command, _slug, paired, publish, pyc_note, table_row  # noqa: E402

MARKER = ".threatbrief-bench-real"  # a non-empty --out is replaced only if it holds this file
LAYOUT_BREAK = re.compile(r"(?<=[-/])\n")  # line breaks the matcher reads as no space
HEADINGS = ("Summary|Background|Recent incidents|Threat actors|Security forces|Economic interests|Cross-border "
            "movement|Outlook|Local reactions|Methodology|Key locations|Casualties|Claims of responsibility").split("|")
NAV = "Home|World|Asia|Afghanistan|Tajikistan|Pakistan|Politics|Business|Security|Opinion|Video|Sport|Culture".split("|")
# A few pages in other scripts: templates whose {slots} are filled from these lists.
OTHER = {
    "zh": ({"p": "塔哈尔省|昆都士省|巴达赫尚省|喀布尔省|巴尔赫省|赫拉特省|楠格哈尔省|坎大哈省", "v": "达什特卡拉|古尔巴格|米尔阿巴德|沙赫尔巴扎尔|汗阿巴德|卡拉伊|阿布丹",
            "w": "中国公民|中国工程师|矿工|外国游客|边防人员|卡车司机", "t": "矿区|酒店|检查站|车队|市场|建筑工地",
            "g": "伊斯兰国呼罗珊分支|不明身份的武装分子|巴基斯坦塔利班|一伙蒙面枪手", "o": "新华社|环球时报|凤凰网|人民日报",
            "s": "警方发言人|省政府发言人|使馆官员|当地长老|医院院长", "n": "2|3|4|5|7|9|12|15|21|35"},
           ["{d}，{p}{v}发生一起针对{w}的袭击事件，造成{n}人死亡、{n2}人受伤。", "{p}{s}表示，{g}已宣称对此次袭击负责。",
            "据{o}报道，袭击发生在{p}{v}附近的{t}。", "中国驻阿富汗使馆提醒在阿{w}密切关注当地安全形势，加强安全防范。",
            "{p}警方发言人说，{n}名嫌疑人已在{v}被逮捕。", "{s}称，{v}的{t}此前已多次收到威胁。"], "{w}在{v}遇袭"),
    "ps": ({"p": "تخار|کندز|بدخشان|کابل|بلخ|هرات|ننګرهار|کندهار", "v": "قلعه خېل|ده باغ|چهار دره|سر کوټ|پل آباد|شاه ولي کوټ",
            "w": "چینایي انجنیرانو|کارګرو|پولیسو|سوداګرو|زده کوونکو|موټر چلوونکو", "t": "کان|هوټل|پوستې|بازار|جومات|سړک",
            "g": "داعش خراسان|نامعلومو وسله والو|پاکستاني طالبانو|قاچاقبرانو", "o": "طلوع نیوز|آزادي راډیو|پژواک|بي بي سي پښتو",
            "s": "د ولایتي پولیسو ویاند|د ولسوالۍ مشر|یو محلي چارواکی|د روغتون رییس", "n": "۲|۳|۴|۵|۷|۹|۱۲|۱۵|۲۱"},
           ["د {p} ولایت په {v} کې پر {w} برید وشو.", "په دې برید کې {n} کسان ووژل شول او {n2} نور ټپیان شول.",
            "د {g} ډلې د دې برید مسؤلیت ومانه.", "{s} وویل چې {n} شکمن کسان په {v} کې نیول شوي دي.",
            "د {o} د راپور له مخې، برید د {t} ته نږدې وشو.", "{s} وايي چې د {v} {t} ته مخکې هم ګواښونه شوي وو."],
           "په {v} کې پر {w} برید"),
}


def other_fill(rng: random.Random, lang: str, template: str) -> str:
    words, _, _ = OTHER[lang]
    slots = {k: rng.choice(v.split("|")) for k, v in words.items()} | {"d": f"{rng.randint(2020, 2025)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"}
    return template.format(**slots, n2=rng.choice(words["n"].split("|")))


class Writer:
    """Sentences, titles and paragraphs in one language, from one seeded generator."""

    def __init__(self, rng: random.Random, lang: str) -> None:
        self.rng, self.lang, self.prose = rng, lang, Prose(rng)

    def sentence(self) -> str:
        return self.prose.sentence() if self.lang == "en" else other_fill(self.rng, self.lang, self.rng.choice(OTHER[self.lang][1]))

    def title(self) -> str:
        return self.prose.fill(TITLE) if self.lang == "en" else other_fill(self.rng, self.lang, OTHER[self.lang][2])

    def paragraph(self) -> str:
        return ("" if self.lang == "zh" else " ").join(self.sentence() for _ in range(2 + self.rng.randrange(4)))


def report_html(w: Writer, title: str, paragraphs: list[list[str]]) -> str:
    """A report for WeasyPrint: A4, a running header, page numbers, sections of justified hyphenated text."""
    css = (f"@page {{ size: A4; margin: 2.4cm 2.2cm; @top-center {{ content: {yq('Northern Security Review — ' + title[:50])};"
           " font: 8pt 'DejaVu Sans'; color: #555 } @bottom-right { content: 'Page ' counter(page) ' of ' counter(pages);"
           " font: 8pt 'DejaVu Sans' } } body { font: 10.5pt/1.45 'DejaVu Serif'; hyphens: auto; text-align: justify }"
           " h1 { font: bold 18pt 'DejaVu Sans' } h2 { font: bold 12pt 'DejaVu Sans'; margin-top: 1.2em }")
    body = [f"<h1>{html.escape(title)}</h1><p class='meta'>Prepared by the regional desk, {w.prose.fill('{day} {month} {year}')}</p>"]
    for heading, section in zip(w.rng.sample(HEADINGS, len(paragraphs)), paragraphs):
        body += [f"<h2>{heading}</h2>", *(f"<p>{html.escape(p)}</p>" for p in section)]
    return f"<html lang='en'><head><title>{html.escape(title)}</title><style>{css}</style></head><body>{''.join(body)}</body></html>"


def page_html(w: Writer, title: str, paragraphs: list[str]) -> str:
    """A saved news page: head with scripts and styles, navigation, article, comments, sidebar, footer."""
    rng, e = w.rng, html.escape
    links = lambda items: "".join(f"<li><a href='/{i}/{rng.randrange(10**6)}'>{e(t)}</a></li>" for i, t in enumerate(items))  # noqa: E731
    style = "".join(f".c{i} {{ margin: {i % 7}px; color: #{rng.randrange(16**6):06x} }}\n" for i in range(rng.randint(20, 150)))
    comments = "".join(f"<div class='comment'><p class='author'>reader{rng.randrange(999)}</p><p>{e(w.sentence())}</p></div>"
                       for _ in range(rng.randint(0, 10)))
    return (f"<!DOCTYPE html>\n<html lang='{w.lang}'><head><meta charset='utf-8'><title>{e(title)} | Frontier Daily</title>"
            f"<meta property='og:site_name' content='Frontier Daily'><style>{style}</style>"
            f"<script>window.dataLayer = [{{'page': 'article', 'id': {rng.randrange(10**8)}}}];</script></head><body>\n"
            f"<header><nav><ul>{links(NAV)}</ul></nav></header><div class='layout'><main><article>\n"
            f"<h1>{e(title)}</h1><p class='byline'>By Staff reporter</p>\n"
            + "\n".join(f"<p>{e(p)}</p>" for p in paragraphs)
            + f"\n</article><section class='comments'><h2>Comments</h2>{comments}</section></main>\n"
            f"<aside class='sidebar'><h2>Most read</h2><ol>{links(w.title() for _ in range(rng.randint(5, 10)))}</ol></aside></div>\n"
            f"<footer><ul>{links(NAV)}</ul><p>© 2024 Frontier Daily. All rights reserved.</p></footer></body></html>\n")


def render(html_text: str, cached: Path) -> bool:
    """Write the PDF of `html_text` to `cached` unless there; whether it was rendered."""
    if cached.exists():
        return False
    from weasyprint import HTML

    part = cached.with_suffix(".part")
    part.write_bytes(HTML(string=html_text).write_pdf())
    part.rename(cached)
    return True


def extract(path: Path) -> tuple[str, set[str], int]:
    """The extracted text; for a PDF, the words hyphenated across lines (joined) and the page count."""
    from threatbrief.sources.extract import extractor_for

    data = path.read_bytes()
    text = extractor_for(path.suffix).extract(data).text
    if path.suffix != ".pdf":
        return text, set(), 0
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    raw = "".join(pdf[i].get_textpage().get_text_bounded() for i in range(len(pdf)))
    pages = len(pdf)
    pdf.close()
    return text, {a + b for a, b in re.findall(r"(\w+)\u2010\r?\n(\w+)", raw)}, pages


def flat(text: str) -> str:
    return " ".join(text.split())


def pick_quote(rng: random.Random, tokens: list[str], joiner: str, must: int | None = None) -> str | None:
    """40-200 characters of whole tokens (words, or Chinese sentences), holding tokens[must] if given."""
    for _ in range(50):
        first = rng.randint(max(0, must - 20), must) if must is not None else rng.randrange(len(tokens))
        want, last = rng.randint(40, 200), first + 1
        while last < len(tokens) and (len(joiner.join(tokens[first:last])) < want or (must is not None and last <= must)):
            last += 1
        quote = joiner.join(tokens[first:last])
        if 40 <= len(quote) <= 200 and (must is None or first <= must < last):
            return quote
    return None


def generate(out: Path, args: argparse.Namespace, pool: ProcessPoolExecutor) -> dict:
    """Write OUT/real and OUT/text; returns figures of the corpus and of its quotes."""
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        sys.exit(f"{out} is not empty and was not made by this script; choose another --out")
    for child in (out.iterdir() if out.exists() else []):
        if child.name != ".gen":  # rendered PDFs are kept, by content
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    for folder in ("real/sources", "real/assessments", "text/sources", "text/assessments", ".gen", "xdg", "runs"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("made by benchmarks/check_real_sources.py; replaced on the next run (.gen/ is kept)\n")
    rng = random.Random(args.seed)
    from weasyprint import __version__ as weasyprint_version

    docs, renders = [], []  # docs: (name, language, title, paragraphs, PDF in .gen/ or page bytes)
    for i in range(args.pdfs):
        w = Writer(rng, "en")
        title, target, sections, size = w.title(), rng.randint(3, 8) * 2700 - 1600, [[]], 0  # ~2,700 characters a page
        while size < target:
            sections += [[]] if len(sections[-1]) >= rng.randint(3, 7) else []
            sections[-1].append(w.paragraph())
            size += len(sections[-1][-1])
        page = report_html(w, title, sections)
        cached = out / ".gen" / f"{hashlib.sha256(f'weasyprint {weasyprint_version}|{page}'.encode()).hexdigest()[:32]}.pdf"
        renders.append(pool.submit(render, page, cached))
        docs.append((f"report-{i:03d}.pdf", "en", title, [p for s in sections for p in s], cached))
    for i in range(args.pages):
        w = Writer(rng, "zh" if i % 20 == 7 else "ps" if i % 20 == 13 else "en")
        title, paragraphs = w.title(), [w.paragraph() for _ in range(rng.randint(3, 45))]
        docs.append((f"page-{i:03d}.html", w.lang, title, paragraphs, page_html(w, title, paragraphs).encode()))
    started = time.perf_counter()
    rendered = sum(f.result() for f in renders)
    render_seconds = time.perf_counter() - started
    for name, _, _, _, content in docs:
        target = out / "real" / "sources" / name
        shutil.copyfile(content, target) if isinstance(content, Path) else target.write_bytes(content)
    extracted = list(pool.map(extract, [out / "real" / "sources" / d[0] for d in docs], chunksize=4))

    qrng, cites, stats = random.Random(f"{args.seed} quotes"), [], {"hyphen": 0, "layout": 0}
    order = qrng.sample(range(len(docs)), len(docs))  # every source cited once before any twice
    for k in range(args.citations):
        index = order[k] if k < len(docs) else qrng.randrange(len(docs))
        (name, lang, _, paragraphs, _), (text, hyphenated, _) = docs[index], extracted[index]
        joiner = "" if lang == "zh" else " "
        tokenized = [re.findall(r"[^。]+。", p) if lang == "zh" else p.split() for p in paragraphs]
        cores = [(p, t, re.sub(r"^\W+|\W+$", "", token)) for p, tokens in enumerate(tokenized) for t, token in enumerate(tokens)]
        counts = Counter(core for _, _, core in cores)  # a word hyphenated once and used once: its quote crosses the break
        spans = [(p, t) for p, t, core in cores if core in hyphenated and counts[core] == 1]
        while True:
            must = qrng.choice(spans) if spans and qrng.random() < 0.33 else None
            p = must[0] if must else qrng.randrange(len(paragraphs))
            quote = pick_quote(qrng, tokenized[p], joiner, must[1] if must else None)
            if quote is None:
                continue
            if flat(quote) not in flat(LAYOUT_BREAK.sub("", text)):
                sys.exit(f"generator bug: quote {quote!r} of {name} is not in its extracted text")
            stats["layout"] += flat(quote) not in flat(re.sub(r"(?<=-)\n(?=[a-z])", "", text))
            break
        stats["hyphen"] += must is not None
        cites.append((name, quote.translate(STRAIGHT) if lang == "en" and qrng.random() < 0.3 else quote))

    for project, suffix in (("real", None), ("text", ".txt")):
        per = [cites[a::args.assessments] for a in range(args.assessments)]
        for a, group in enumerate(per):
            group = [(n if suffix is None else Path(n).with_suffix(suffix).name, q) for n, q in group]
            body = assessment_yaml(random.Random(f"{args.seed} {a}"), a, group).replace("check_scale.py", "check_real_sources.py")
            body = re.sub(r"confidence: \w+", "confidence: low", body)  # graded C and undated: no more than low
            (out / project / "assessments" / f"a{a:03d}.yaml").write_text(body, encoding="utf-8")
        entries = []
        for (name, lang, title, _, _), (text, _, _) in zip(docs, extracted):
            path = out / project / "sources" / (name if suffix is None else Path(name).with_suffix(suffix).name)
            if suffix is not None:
                path.write_text(text + "\n", encoding="utf-8")
            entries.append(f"- {{path: {path.name}, title: {yq(title)}, published: unknown, language: {lang}, reliability: C, "
                           f"rationale: Synthetic, sha256: {hashlib.sha256(path.read_bytes()).hexdigest()}}}\n")
        (out / project / "sources" / "sources.yaml").write_text("sources:\n" + "".join(entries), encoding="utf-8")
    sizes = [(out / "real" / "sources" / d[0]).stat().st_size for d in docs]
    return {"rendered": rendered, "render_seconds": render_seconds, "pages": [e[2] for e in extracted[:args.pdfs]],
            "pdf_kb": sizes[:args.pdfs], "html_kb": sizes[args.pdfs:], "text_mb": sum(len(e[0].encode()) for e in extracted) / 1e6,
            **stats}


def spread(values: list[float], unit: str = "") -> str:
    return f"{min(values):g}-{max(values):g}{unit} (median {statistics.median(values):g})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pdfs", type=int, default=100)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--assessments", type=int, default=20)
    parser.add_argument("--citations", type=int, default=400)
    parser.add_argument("--out", type=Path, default=Path("/tmp/threatbrief-bench-real"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5, help="counted pairs in each series (median of their ratios)")
    parser.add_argument("--warmup", type=int, default=1, help="uncounted pairs first (the first also fails early)")
    parser.add_argument("--readme", action="store_true", help="write the table into README.md's block")
    args = parser.parse_args()
    n_sources = args.pdfs + args.pages
    if n_sources < 1 or not 1 <= args.assessments <= args.citations or args.citations < n_sources or args.runs < 1 \
            or args.warmup < 0:
        parser.error("need 1 <= --assessments <= --citations, --citations >= --pdfs + --pages >= 1, --runs >= 1, "
                     "--warmup >= 0")
    out: Path = args.out.resolve()

    started = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        corpus = generate(out, args, pool)
    generation = time.perf_counter() - started
    print(f"generated {out} in {generation:.1f} s ({corpus['rendered']} of {args.pdfs} PDFs rendered, "
          f"{corpus['render_seconds']:.1f} s; the others reused from .gen/)", flush=True)

    env = {**os.environ, "XDG_CACHE_HOME": str(out / "xdg")}
    # --no-cache: the check cache (findings, quote places) is left out of every run, so that the
    # rows compare extraction (cold) or the extraction cache (warm) with reading .txt files
    check = lambda project: [sys.executable, str(REPO / "build.py"), "-C", str(out / project), "check",  # noqa: E731
                             "--no-cache"]
    cache = out / "real" / ".threatbrief" / "cache"
    entries = lambda: {p.name: p.stat().st_mtime_ns for p in (cache / "extract").glob("*.json")}  # noqa: E731
    logs = out / "runs"
    text = Command(check("text"), "`check`, the same corpus as .txt", env=env)
    cold = Command(check("real"), "`check`, cold cache", env=env, before=lambda: shutil.rmtree(cache, ignore_errors=True))
    warm = Command(check("real"), "`check`, warm cache", env=env)

    print(f"cold series: {args.warmup} + {args.runs} pairs", flush=True)
    cold_result = paired(cold, text, args.runs, args.warmup, logs)
    cold_written = len(entries())  # the cache was emptied before the last cold run: all of these are its own
    before = entries()
    print(f"warm series: {args.warmup} + {args.runs} pairs", flush=True)
    warm_result = paired(warm, text, args.runs, args.warmup, logs)
    warm_written = sum(before.get(name) != mtime for name, mtime in entries().items())
    if warm_written:
        sys.exit(f"a warm check extracted {warm_written} sources again: the cache was not used")

    def summary(command: Command) -> str:
        log = logs / f"{_slug(command.name)}.log"
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.exists() else []
        return next((line for line in reversed(lines) if line.startswith("checked ")), "?")

    corpus_table = (
        "| sources | PDF pages | PDF KB | HTML KB | extracted text MB | assessments | citations | "
        "quotes across a hyphenated line break | quotes across a '/' or '-' + capital line break |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
        f"| {args.pdfs} PDF + {args.pages} HTML | {spread(corpus['pages']) if args.pdfs else '-'} | "
        f"{spread([round(s / 1024) for s in corpus['pdf_kb']]) if args.pdfs else '-'} | "
        f"{spread([round(s / 1024) for s in corpus['html_kb']]) if args.pages else '-'} | {corpus['text_mb']:.1f} | "
        f"{args.assessments} | {args.citations} | {corpus['hyphen']} | {corpus['layout']} |")
    flags = shlex.join(a for a in sys.argv[1:] if a != "--readme")
    block = "\n".join([
        f"`.venv/bin/python benchmarks/check_real_sources.py{' ' + flags if flags else ''}` — {pyc_note()}; "
        f"{args.warmup} + {args.runs} pairs a row, each run a fresh process:",
        "",
        TABLE_HEAD,
        table_row(f"`check`, cold cache: {cold_written} extractions", cold_result),
        table_row(f"`check`, warm cache: {warm_written} extractions", warm_result),
        "",
        f"Both anchors: `check` over the same corpus as `.txt` files ({summary(text)}). Cold and warm: {summary(cold)}.",
        "",
        corpus_table,
    ])
    print()
    publish("check_real_sources", block, args.readme)
    print("\ncommands (environment: XDG_CACHE_HOME=" + str(out / "xdg") + "; outputs in " + str(logs) + "):",
          f"  cold: rm -rf {shlex.quote(str(cache))} && {shlex.join(check('real'))}",
          f"  warm: {shlex.join(check('real'))}", f"  text: {shlex.join(check('text'))}", sep="\n")


if __name__ == "__main__":
    main()
