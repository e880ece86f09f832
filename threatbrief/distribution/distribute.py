"""`threatbrief distribute NAME --to recipients.yaml [--sign]`: a copy of the briefing per reader.

Each copy is the built PDF (`reports/NAME.pdf`, built first if stale: checked like any build),
never rendered again: the line "Prepared for NAME, ORG — copy N · ID" is drawn once by WeasyPrint
as a page of its own, then laid on every page with pikepdf as a pagination artifact (so the
tagged structure that makes the PDF accessible is untouched), and the copy's identity goes into
the document information and XMP. Then, in one save, the copy is encrypted (AES-256, its own
password) when its TLP demands it; then, with `--sign`, signed with pyHanko as an incremental
update (pdf_sign.py). Copies go to `reports/distribution/NAME/`, passwords to files of their own
beside them (mode 600, never in the log), and one row per copy is appended to `log.csv`, under
a lock, in one write, after every copy was written: the log is never rewritten.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import html
import io
import os
import secrets
import stat
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from threatbrief.atomic import BuildError, write_atomic
from threatbrief.diagnostics import Diagnostic
from threatbrief.distribution.recipients import (
    GENERAL_RELEASE, PUBLIC, Recipient, encrypted, load_recipients, not_allowed,
)
from threatbrief.files import NotReadable, read_regular
from threatbrief.project import Project, slug

LOG_NAME = "log.csv"
LOG_COLUMNS = ("date", "assessment", "copy", "copy_id", "recipient", "organisation", "email", "file", "sha256",
               "tlp", "encrypted", "signed", "signer")
MAX_LOG_BYTES = 64 * 1024 * 1024
MAX_BRIEFING_BYTES = 512 * 1024 * 1024
XMP_NS = "https://threatbrief.example/ns/distribution/1.0/"
_PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over a phone
STAMP_CSS = """@page { size: %(w).2fpt %(h).2fpt; margin: 0 } body { margin: 0 }
.stamp { position: absolute; left: 18mm; right: 18mm; bottom: 9mm; text-align: center;
  font: 7.5pt/1.25 "DejaVu Sans", "Noto Sans CJK SC", "Noto Naskh Arabic", sans-serif; color: #5b6470; }"""


class DistributionError(Exception):
    """Why no copy was made (the message says how to fix it)."""


@dataclass(frozen=True)
class Copy:
    recipient: Recipient
    number: int
    copy_id: str
    path: Path
    sha256: str
    encrypted: bool
    signed: bool
    password_file: Path | None


@dataclass
class Distribution:
    copies: list[Copy] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)  # what stopped it (check, recipients)
    log: Path | None = None
    tlp: str = ""
    seconds: float = 0.0


def distribute(project: Project, name: str, to: Path | None, sign: bool = False, key: Path | None = None,
               cert: Path | None = None) -> Distribution:
    """Make and log one copy per recipient; nothing is written unless every copy could be made."""
    from threatbrief.load.yamlfile import load_yaml
    from threatbrief.pipeline import build, check

    started = time.perf_counter()
    files = project.assessment_files([name])
    if not files:
        raise DistributionError(f"no assessment named {name!r}")
    file = files[0]
    checked = check(project, [file.stem])
    if not checked.ok:
        return Distribution(diagnostics=checked.diagnostics)
    doc, problems = load_yaml(file, project.display(file))
    if doc is None:
        return Distribution(diagnostics=problems)
    tlp, listed, title = doc.data["tlp"], doc.data.get("recipients"), doc.data["title"]
    if to is None:
        if tlp != PUBLIC:
            raise DistributionError(f"{project.display(file)} is {tlp}: name its readers with --to RECIPIENTS.yaml "
                                    "(only a TLP:CLEAR briefing may go out without a list)")
        recipients = [GENERAL_RELEASE]
    else:
        display = project.display(to) if project.inside(to) else str(to)
        recipients, problems = load_recipients(to, display)
        problems = problems or not_allowed(recipients, tlp, listed, display, doc)
        if problems:
            return Distribution(diagnostics=problems, tlp=tlp)
    signer = _signer(project, key, cert) if sign else None
    try:
        built = build(project, [file.stem], ("pdf",), jobs=1)
    except BuildError as exc:
        raise DistributionError(str(exc)) from None
    if not built.ok:
        return Distribution(diagnostics=built.check.diagnostics if built.check else [])
    out_name = slug(file.stem)
    try:
        briefing = read_regular(project.reports_dir / f"{out_name}.pdf", MAX_BRIEFING_BYTES)
    except NotReadable as exc:
        raise DistributionError(f"cannot read reports/{out_name}.pdf: {exc}") from None
    folder = _folder(project, out_name)
    log = folder / LOG_NAME
    result = Distribution(log=log, tlp=tlp)
    with _locked(log) as fd:
        first = _next_number(fd, log)
        made = []
        for k, recipient in enumerate(recipients):
            number, copy_id = first + k, f"TB-{secrets.token_hex(6).upper()}"
            password = _password() if encrypted(tlp) else None
            data = stamped(briefing, recipient, number, copy_id, tlp, out_name, title, password)
            if signer is not None:
                from threatbrief.distribution.pdf_sign import sign as sign_pdf

                data = sign_pdf(data, signer, password, f"Copy {number} ({copy_id}) for {recipient.for_whom}")
            stem = f"{out_name}-copy-{number:03d}" + (f"-{slug(recipient.name)}" if slug(recipient.name) else "")
            made.append((recipient, number, copy_id, folder / f"{stem}.pdf", data, password))
        if any(password for *_, password in made):
            (folder / "passwords").mkdir(mode=0o700, exist_ok=True)
            if (folder / "passwords").is_symlink():
                raise DistributionError(f"{project.display(folder / 'passwords')} is a link: no password is written through it")
        for recipient, number, copy_id, path, data, password in made:  # every copy made: now write them
            write_atomic(path, data)
            secret = None
            if password is not None:
                secret = folder / "passwords" / f"{path.stem}.txt"
                write_atomic(secret, _password_note(project, path, recipient, number, copy_id, password).encode(), mode=0o600)
            result.copies.append(Copy(recipient, number, copy_id, path, hashlib.sha256(data).hexdigest(),
                                      password is not None, signer is not None, secret))
        _append(fd, [_row(project, c, out_name, tlp, signer.subject if signer else "") for c in result.copies])
    result.seconds = time.perf_counter() - started
    return result


def stamped(pdf: bytes, recipient: Recipient, number: int, copy_id: str, tlp: str, name: str, title: str,
            password: str | None) -> bytes:
    """The briefing with the recipient line on every page and the copy's identity in its metadata,
    encrypted with `password` (AES-256) when one is given."""
    import pikepdf
    from weasyprint import HTML

    from threatbrief.distribution.pdf_sign import COPY_FIELDS

    who = "General release" if recipient is GENERAL_RELEASE else f"Prepared for <bdi>{html.escape(recipient.name)}</bdi>, " \
          f"<bdi>{html.escape(recipient.organisation)}</bdi>"
    line = f"{who} — copy {number} · {html.escape(copy_id)}"
    document = pikepdf.open(io.BytesIO(pdf))
    stamps: dict[tuple[float, float], pikepdf.Object] = {}
    for page in document.pages:
        box = [float(v) for v in page.mediabox]
        size = (round(box[2] - box[0], 2), round(box[3] - box[1], 2))
        if size not in stamps:
            css = STAMP_CSS % {"w": size[0], "h": size[1]}
            one = pikepdf.open(io.BytesIO(HTML(string=f'<style>{css}</style><div class="stamp">{line}</div>').write_pdf()))
            stamps[size] = document.copy_foreign(one.pages[0].as_form_xobject())
        resource = page.add_resource(stamps[size], pikepdf.Name.XObject, prefix="TBStamp")
        # WeasyPrint's content starts with a transformation it never restores: the page's own
        # content is wrapped in q … Q, and the stamp marked as a pagination artifact (PDF/UA)
        page.contents_add(pikepdf.Stream(document, b"q\n"), prepend=True)
        page.contents_add(pikepdf.Stream(document, b"\nQ\n/Artifact <</Type /Pagination /Subtype /Footer>> BDC q "
                                         + str(resource).encode() + b" Do Q EMC\n"))
    identity = {"copy_id": copy_id, "copy": str(number), "recipient": recipient.for_whom, "email": recipient.email,
                "assessment": name, "tlp": tlp}
    for key, value in identity.items():
        document.docinfo[pikepdf.Name(COPY_FIELDS[key])] = value
    pikepdf.models.metadata.PdfMetadata.register_xml_namespace(XMP_NS, "threatbrief")
    with document.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        for key, value in identity.items():
            meta[f"{{{XMP_NS}}}{key}"] = value
    out = io.BytesIO()
    encryption = pikepdf.Encryption(user=password, owner=secrets.token_urlsafe(24), R=6) if password else False
    # no object streams: pyHanko parses a whole object stream again for each object it reads from
    # one, which made checking a signature 2 s instead of 0.1 s
    document.save(out, encryption=encryption, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    return out.getvalue()


def _signer(project: Project, key: Path | None, cert: Path | None):  # -> pdf_sign.Signer
    from threatbrief.config import load_config
    from threatbrief.distribution.pdf_sign import SigningError, load_signer

    if key is None or cert is None:
        settings = load_config(project)[0].signing
        key = key or (configured_path(project, settings.key) if settings.key else None)
        cert = cert or (configured_path(project, settings.cert) if settings.cert else None)
    if key is None or cert is None:
        raise DistributionError("--sign needs a key and a certificate: --key KEY.pem --cert CERT.pem, or key and cert "
                                "under [distribution] in threatbrief.toml")
    try:
        return load_signer(key, cert)
    except SigningError as exc:
        raise DistributionError(str(exc)) from None


def configured_path(project: Project, path: str) -> Path:
    """A path from threatbrief.toml: `~` expanded, relative ones from the project."""
    expanded = Path(path).expanduser()
    return expanded if expanded.is_absolute() else project.root / expanded


def _folder(project: Project, name: str) -> Path:
    reports = project.output_dir()  # refuses a reports/ that is a link or leads out
    folder = reports / "distribution" / name
    for part in (reports / "distribution", folder):
        if part.is_symlink() or (part.exists() and not part.is_dir()):
            raise DistributionError(f"{project.display(part)} is not a folder of this project's own: not written to")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class _locked:
    """The log, opened for appending (never following a link) and locked for the whole run, so
    two distributions at once never share a copy number."""

    def __init__(self, log: Path) -> None:
        self.log = log

    def __enter__(self) -> int:
        try:
            self.fd = os.open(self.log, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
        except OSError as exc:
            raise DistributionError(f"cannot open {self.log}: {exc.strerror or exc}") from None
        if not stat.S_ISREG(os.fstat(self.fd).st_mode):
            os.close(self.fd)
            raise DistributionError(f"{self.log} is not a regular file: not written to")
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self.fd

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def _next_number(fd: int, log: Path) -> int:
    info = os.fstat(fd)
    if info.st_size > MAX_LOG_BYTES:
        raise DistributionError(f"{log} is larger than {MAX_LOG_BYTES // (1024 * 1024)} MiB: start a new log")
    text = os.pread(fd, info.st_size, 0).decode("utf-8", "replace")
    rows = list(csv.DictReader(io.StringIO(text)))
    numbers = [int(r["copy"]) for r in rows if (r.get("copy") or "").isdigit()]
    if text and len(numbers) != len(rows):
        raise DistributionError(f"{log} has rows without a copy number: it was edited; restore it from version control")
    return max(numbers, default=0) + 1


def _row(project: Project, copy: Copy, name: str, tlp: str, signer: str) -> list[str]:
    from threatbrief.publish.export import neutralise  # a name like "=HYPERLINK(…)" stays text in a spreadsheet

    when = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    r = copy.recipient
    cells = [when, name, str(copy.number), copy.copy_id, r.name, r.organisation, r.email, project.display(copy.path),
             copy.sha256, tlp, "yes" if copy.encrypted else "no", "yes" if copy.signed else "no", signer]
    return [neutralise(cell) for cell in cells]


def _append(fd: int, rows: list[list[str]]) -> None:
    """The rows in one write at the end of the log (with the header if the log is new)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if os.fstat(fd).st_size == 0:
        writer.writerow(LOG_COLUMNS)
    writer.writerows(rows)
    data = out.getvalue().encode("utf-8")
    written = os.write(fd, data)
    if written != len(data):
        raise DistributionError("the distribution log could not be written whole: check the disk")
    os.fsync(fd)


def _password() -> str:
    return "-".join("".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(6))


def _password_note(project: Project, path: Path, recipient: Recipient, number: int, copy_id: str, password: str) -> str:
    return (f"Copy: {project.display(path)}\nRecipient: {recipient.for_whom} <{recipient.email}>\n"
            f"Copy number: {number} ({copy_id})\nPassword: {password}\n\n"
            "Send this password by another channel than the PDF, then delete this file.\n")


def password_from(text: str) -> str:
    """The password in a file `distribute` wrote (its `Password:` line), or the file's one line."""
    for line in text.splitlines():
        if line.startswith("Password: "):
            return line.removeprefix("Password: ").strip()
    return text.strip()
