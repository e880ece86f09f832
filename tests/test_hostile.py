"""The hostile-input corpus (tests/hostile/) and the faults a build must survive."""

from __future__ import annotations

import errno
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from conftest import edit

from threatbrief import atomic, markup
from threatbrief.pipeline import BuildError, build, check
from threatbrief.project import Project

HOSTILE = Path(__file__).parent / "hostile"
DANGEROUS = re.compile(
    r"<script|<iframe|<object|<embed|<form|<input|<img(?![^>]*src=\"data:image/svg\+xml)|<link|<style(?![^>]*>\s*/\* threatbrief)"
    r"|<meta http-equiv|<base |\son\w+\s*=|javascript:|data:text|evil\.example|file:///|/etc/passwd",
    re.IGNORECASE,
)


def expected(path: Path) -> str:
    first = path.read_text(encoding="utf-8", errors="replace").splitlines()[0]
    match = re.search(r"expect: (\S+)", first)
    assert match, f"{path} lacks an 'expect:' line"
    return match.group(1)


def codes(root: Path) -> list[str]:
    return [d.code for d in check(Project.at(root)).diagnostics]


@pytest.mark.parametrize("attack", sorted((HOSTILE / "assessments").glob("*.yaml")), ids=lambda p: p.stem)
def test_hostile_assessment(basic: Path, attack: Path) -> None:
    shutil.copy(attack, basic / "assessments" / "border.yaml")
    started = time.perf_counter()
    found = codes(basic)
    assert time.perf_counter() - started < 2
    want = expected(attack)
    if want == "clean":
        assert found == []
        result = build(Project.at(basic), formats=("html",))
        html = (basic / "reports" / "border.html").read_text(encoding="utf-8")
        assert result.ok and "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    else:
        assert want in found, found
    assert not Path("/tmp/threatbrief-pwned").exists()


@pytest.mark.parametrize("attack", sorted((HOSTILE / "registries").glob("*.yaml")), ids=lambda p: p.stem)
def test_hostile_registry(basic: Path, attack: Path) -> None:
    shutil.copy(attack, basic / "sources" / "sources.yaml")
    assert expected(attack) in codes(basic)


def _markdown_attacks() -> list[str]:
    return [a.read_text(encoding="utf-8") for a in sorted((HOSTILE / "markdown").glob("*.md"))
            if not a.read_text(encoding="utf-8").startswith("<!-- expect")]  # those expect an error instead


def test_hostile_markdown_fails_check_or_builds_clean(basic: Path) -> None:
    """Links and images are check errors (M001); whatever passes check builds with nothing dangerous."""
    passing = []
    for attack in _markdown_attacks():
        if markup.problems(attack):
            assert {p.code for p in markup.problems(attack)} == {"M001"}, attack
        else:
            passing.append(attack)
    assert len(passing) >= 5
    body = "\n\n".join(passing).replace("\n", "\n      ")
    edit(basic / "assessments" / "border.yaml", "One worker was killed and four were wounded [@toll].",
         f"One worker was killed and four were wounded [@toll].\n\n      {body}")
    result = build(Project.at(basic))
    assert result.ok, result.check and result.check.diagnostics
    html = (basic / "reports" / "border.html").read_text(encoding="utf-8")
    briefing_css_removed = re.sub(r"<style>.*?</style>", "", html, count=1, flags=re.S)
    assert not DANGEROUS.search(briefing_css_removed), DANGEROUS.search(briefing_css_removed)
    assert result.warnings == []  # the sanitizer left the PDF renderer nothing to refuse


def test_hostile_markdown_is_dropped_by_the_renderer_even_past_check(tmp_path: Path) -> None:
    """Defence in depth: rendered without check, no attack reaches the HTML or the PDF."""
    from threatbrief.publish.pdf import render_pdf

    html = markup.to_html("\n\n".join(_markdown_attacks()), {}, lambda n: "")
    assert not DANGEROUS.search(html), DANGEROUS.search(html)
    pdf, refused = render_pdf(f'<html lang="en"><head><title>t</title></head><body>{html}</body></html>',
                              tmp_path, "2024-12-01")
    assert refused == []
    assert b"/EmbeddedFile" not in pdf and b"root:x:0:0" not in pdf and b"/URI (file:" not in pdf


def test_markdown_with_expected_error(basic: Path) -> None:
    attack = HOSTILE / "markdown" / "bad-marker.md"
    edit(basic / "assessments" / "border.yaml", "One worker was killed and four were wounded [@toll].",
         "One worker was killed and four were wounded [@toll]. " + attack.read_text(encoding="utf-8").splitlines()[1])
    assert expected(attack) in codes(basic)


def test_pdf_fetcher_refuses_everything_outside_the_project(tmp_path: Path) -> None:
    from threatbrief.publish.pdf import render_pdf

    (tmp_path / "inside.css").write_text("p { color: red }", encoding="utf-8")
    html = ('<html lang="en"><head><title>t</title>'
            '<link rel="stylesheet" href="inside.css">'
            '<link rel="attachment" href="file:///etc/passwd">'
            '<style>@import url("http://127.0.0.1:9/x.css");</style></head><body><p>x</p>'
            '<img src="file:///etc/hostname"><img src="https://example.invalid/x.png">'
            '<img src="data:text/html;base64,PHA+">'
            '<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==">'
            '</body></html>')
    started = time.perf_counter()
    pdf, refused = render_pdf(html, tmp_path, "2024-12-01")
    assert time.perf_counter() - started < 20  # no network wait
    assert pdf.startswith(b"%PDF")
    assert "file:///etc/passwd" in refused and "file:///etc/hostname" in refused
    assert any(u.startswith("http://127.0.0.1") for u in refused) and any(u.startswith("https://") for u in refused)
    assert any(u.startswith("data:text/html") for u in refused)
    assert not any("inside.css" in u or u.startswith("data:image/png") for u in refused)
    assert b"/EmbeddedFile" not in pdf


def test_symlinked_device_and_fifo_sources_are_refused(basic: Path) -> None:
    os.symlink("/dev/zero", basic / "sources" / "zero.txt")
    os.mkfifo(basic / "sources" / "pipe.txt")
    path = basic / "assessments" / "border.yaml"
    edit(path, "- source: second.txt\n        quote: \"claimed", "- source: zero.txt\n        quote: \"claimed")
    edit(path, "- source: report.txt\n        quote: \"Officials said", "- source: pipe.txt\n        quote: \"Officials said")
    started = time.perf_counter()
    found = check(Project.at(basic)).diagnostics
    assert time.perf_counter() - started < 2  # the FIFO was not opened (it would block)
    by_code = sorted(d.code for d in found if d.code in ("S001", "Y004"))
    assert by_code == ["S001", "Y004"], found


def test_oversized_and_binary_files_get_clear_errors(basic: Path) -> None:
    path = basic / "assessments" / "border.yaml"
    path.write_bytes(b"title: x\n" + b"#" * (3 * 1024 * 1024))
    (basic / "assessments" / "binary.yaml").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))
    found = check(Project.at(basic)).diagnostics
    messages = {d.path: d.message for d in found}
    assert "the limit is" in messages["assessments/border.yaml"]
    assert "not valid UTF-8" in messages["assessments/binary.yaml"] or "NUL" in messages["assessments/binary.yaml"]


def test_a_very_deep_file_is_refused_quickly(basic: Path) -> None:
    (basic / "assessments" / "border.yaml").write_text("title: " + "[" * 60_000 + "]" * 60_000, encoding="utf-8")
    started = time.perf_counter()
    assert "Y003" in codes(basic)
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize("failure", [(errno.ENOSPC, "No space left on device"), (errno.EROFS, "Read-only file system"),
                                     (errno.EACCES, "Permission denied")])
def test_unwritable_reports_is_a_clear_error_and_keeps_old_reports(
    basic: Path, monkeypatch: pytest.MonkeyPatch, cli, failure: tuple[int, str]
) -> None:
    assert build(Project.at(basic), formats=("html",)).ok
    before = (basic / "reports" / "border.html").read_bytes()
    edit(basic / "assessments" / "border.yaml", "Gunmen attacked", "Armed men attacked")

    def fail(*args, **kwargs):  # as root, chmod cannot make a folder unwritable: simulate the OS refusing
        raise OSError(*failure)

    monkeypatch.setattr(atomic.os, "replace", fail)
    code, out, err = cli("-C", str(basic), "html")
    assert code == 1 and failure[1] in err and "Traceback" not in err
    assert (basic / "reports" / "border.html").read_bytes() == before
    assert not [p for p in (basic / "reports").iterdir() if p.name.endswith(".tmp")]


def test_reports_that_is_a_file_is_a_clear_error(basic: Path, cli) -> None:
    (basic / "reports").write_text("not a folder", encoding="utf-8")
    code, _, err = cli("-C", str(basic), "html")
    assert code == 1 and "error: reports/ is not a directory" in err


def test_a_source_edited_during_the_build_is_detected(basic: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from threatbrief.make import workers

    real = workers.render_briefing

    def render_then_edit(job):
        rendered = real(job)
        with (basic / "sources" / "report.txt").open("a", encoding="utf-8") as out:
            out.write("Edited mid-build.\n")
        return rendered

    monkeypatch.setattr(workers, "render_briefing", render_then_edit)
    with pytest.raises(BuildError, match="changed while the build was running"):
        build(Project.at(basic), formats=("html",), jobs=1)
    assert not (basic / "reports" / "border.html").exists()
