"""`distribute` and `verify`: a stamped copy per recipient, encrypted and signed as the TLP asks,
logged; a signed copy that was changed in any way fails `verify`.

The mini-project is built once per module (three assessments: TLP:AMBER, TLP:RED with a list of
readers, TLP:CLEAR); each test works on a copy of it, so no test renders a briefing again.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pikepdf
import pytest
from conftest import copy_root
from pypdf import PdfReader

from threatbrief.distribution.distribute import password_from
from threatbrief.pipeline import build
from threatbrief.project import Project

READERS = [("Li Wei", "Example Corp", "li.wei@example.com"), ("张伟", "中国石油", "zhang.wei@cnpc.example"),
           ("Ana Lima", "Duty of Care Ltd", "ana@doc.example")]


def _recipients(path: Path, readers: list[tuple[str, str, str]] = READERS) -> Path:
    path.write_text("recipients:\n" + "".join(f'  - name: "{n}"\n    organisation: "{o}"\n    email: {e}\n'
                                              for n, o, e in readers), encoding="utf-8")
    return path


def _key_and_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate, as `openssl req -x509 -nodes` would write it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())  # quicker to make than RSA; openssl's default RSA works the same
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Threat desk"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Security")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return folder / "key.pem", folder / "cert.pem"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_root("basic", tmp_path_factory.mktemp("distribute"))
    border = (root / "assessments" / "border.yaml").read_text(encoding="utf-8")
    red = border.replace('tlp: "TLP:AMBER"', 'tlp: "TLP:RED"').replace(
        "authors:", "recipients: [li.wei@example.com, ana@doc.example]\nauthors:", 1)
    (root / "assessments" / "red.yaml").write_text(red, encoding="utf-8")
    sources = root / "sources" / "sources.yaml"  # the sources carry no TLP of their own: a CLEAR briefing may cite them
    assert "tlp:" not in sources.read_text(encoding="utf-8")
    (root / "assessments" / "open.yaml").write_text(border.replace('tlp: "TLP:AMBER"', 'tlp: "TLP:CLEAR"'), encoding="utf-8")
    assert build(Project.at(root), formats=("pdf",), jobs=1).ok
    return root


@pytest.fixture
def project(built: Path, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(built, root)
    return root


@pytest.fixture(scope="module")
def signing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _key_and_certificate(tmp_path_factory.mktemp("keys"))


@pytest.fixture
def run(cli):
    """The command line, in this process (the same code as `threatbrief …`, without a start-up each time)."""

    def go(root: Path, *args: str) -> SimpleNamespace:
        code, out, err = cli("-C", str(root), *args)
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return go


def _log(root: Path, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((root / "reports" / "distribution" / name / "log.csv").read_text(encoding="utf-8"))))


def test_three_signed_copies_each_stamped_on_every_page_logged_and_verified(run, project: Path, signing: tuple[Path, Path]) -> None:
    key, cert = signing
    done = run(project, "distribute", "border", "--to", str(_recipients(project / "readers.yaml")), "--sign",
               "--key", str(key), "--cert", str(cert))
    assert done.returncode == 0, done.stdout + done.stderr
    rows = _log(project, "border")
    assert [r["copy"] for r in rows] == ["1", "2", "3"] and [r["email"] for r in rows] == [e for *_, e in READERS]
    assert all(r["signed"] == "yes" and r["encrypted"] == "no" and r["tlp"] == "TLP:AMBER" for r in rows)
    assert len({r["copy_id"] for r in rows}) == 3
    pages = len(PdfReader(project / "reports" / "border.pdf").pages)
    for row, (name, organisation, email) in zip(rows, READERS):
        copy = project / row["file"]
        data = copy.read_bytes()
        assert __import__("hashlib").sha256(data).hexdigest() == row["sha256"]
        reader = PdfReader(copy)
        assert len(reader.pages) == pages  # the briefing itself, not rendered again
        line = f"Prepared for {name}, {organisation} — copy {row['copy']} · {row['copy_id']}"
        assert all(line in page.extract_text() for page in reader.pages)
        assert reader.metadata["/ThreatbriefCopyId"] == row["copy_id"]
        assert reader.metadata["/ThreatbriefRecipientEmail"] == email
        with pikepdf.open(copy) as pdf:  # the copy id in the XMP too, the structure tree kept
            assert row["copy_id"] in str(pdf.open_metadata())
            assert "/StructTreeRoot" in pdf.Root and pdf.Root.MarkInfo.Marked
        checked = run(project, "verify", str(copy), "--cert", str(cert))
        assert checked.returncode == 0, checked.stdout
        assert "valid: intact, signed by Organization: Example Security, Common Name: Threat desk" in checked.stdout
        assert f"copy {row['copy']} ({row['copy_id']}) of border, TLP:AMBER, prepared for {name}, {organisation} <{email}>" \
            in checked.stdout


def test_a_changed_byte_or_an_appended_update_fails_verify(run, project: Path, signing: tuple[Path, Path]) -> None:
    key, cert = signing
    assert run(project, "distribute", "border", "--to", str(_recipients(project / "r.yaml", READERS[:1])), "--sign",
               "--key", str(key), "--cert", str(cert)).returncode == 0
    copy = project / _log(project, "border")[0]["file"]
    original = copy.read_bytes()
    changed = project / "changed.pdf"
    for at in (len(original) // 3, original.index(b"Prepared for") if b"Prepared for" in original else len(original) // 2):
        data = bytearray(original)
        data[at] ^= 0x01
        changed.write_bytes(bytes(data))
        checked = run(project, "verify", str(changed), "--cert", str(cert))
        assert checked.returncode == 1 and "NOT VALID" in checked.stdout, (at, checked.stdout)
    # an incremental update that re-attributes the copy: the signature still covers its revision
    from pyhanko.pdf_utils.generic import NameObject, TextStringObject
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(original))
    info = writer.trailer["/Info"]
    info[NameObject("/ThreatbriefCopyId")] = TextStringObject("TB-FRAMED000000")
    info[NameObject("/ThreatbriefRecipient")] = TextStringObject("Someone Else, Elsewhere")
    writer.update_container(info)
    out = io.BytesIO()
    writer.write(out)
    changed.write_bytes(out.getvalue())
    checked = run(project, "verify", str(changed), "--cert", str(cert))
    assert checked.returncode == 1
    assert "NOT VALID: something was added to the copy after it was signed" in checked.stdout
    row = _log(project, "border")[0]
    assert f"({row['copy_id']})" in checked.stdout and "Li Wei, Example Corp" in checked.stdout  # as signed
    assert "the file now claims copy TB-FRAMED000000" in checked.stdout
    # another signer's certificate is not the trusted one
    _, other = _key_and_certificate(project / "other")
    checked = run(project, "verify", str(copy), "--cert", str(other))
    assert checked.returncode == 1 and "not by the trusted certificate" in checked.stdout
    assert "Traceback" not in checked.stderr


def test_red_copies_go_only_to_listed_readers_encrypted_with_their_own_passwords(run, project: Path) -> None:
    refused = run(project, "distribute", "red", "--to", str(_recipients(project / "all.yaml")))
    assert refused.returncode == 1
    assert "all.yaml:5:5: error[D001] zhang.wei@cnpc.example is not on the recipients list of assessments/red.yaml (TLP:RED)" \
        in refused.stdout
    assert not (project / "reports" / "distribution").exists() or not list((project / "reports" / "distribution").rglob("*.pdf"))
    done = run(project, "distribute", "red", "--to", str(_recipients(project / "listed.yaml", [READERS[0], READERS[2]])))
    assert done.returncode == 0, done.stdout + done.stderr
    rows = _log(project, "red")
    assert [r["encrypted"] for r in rows] == ["yes", "yes"]
    log_text = (project / "reports" / "distribution" / "red" / "log.csv").read_text(encoding="utf-8")
    passwords = []
    for row in rows:
        copy = project / row["file"]
        secret = copy.parent / "passwords" / f"{copy.stem}.txt"
        assert secret.stat().st_mode & 0o777 == 0o600 and secret.parent.stat().st_mode & 0o777 == 0o700
        password = password_from(secret.read_text(encoding="utf-8"))
        passwords.append(password)
        assert password not in log_text and password not in done.stdout
        reader = PdfReader(copy)
        assert reader.is_encrypted and reader.decrypt("wrong").name == "NOT_DECRYPTED"
        reader = PdfReader(copy)
        assert reader.decrypt(password).name in ("USER_PASSWORD", "OWNER_PASSWORD")
        assert all(f"copy {row['copy']} · {row['copy_id']}" in page.extract_text() for page in reader.pages)
        with pikepdf.open(copy, password=password) as pdf:
            assert pdf.encryption.R == 6 and pdf.encryption.bits == 256 and pdf.encryption.stream_method.name == "aesv3"  # AES-256
    assert len(set(passwords)) == 2
    # unsigned: verify says so, and who the copy is for (as the file says)
    checked = run(project, "verify", str(project / rows[0]["file"]), "--password-file",
                  str(project / rows[0]["file"]).replace(".pdf", ".txt").replace("/red/red-", "/red/passwords/red-"))
    assert checked.returncode == 1 and "NOT SIGNED" in checked.stdout and "prepared for Li Wei" in checked.stdout
    no_password = run(project, "verify", str(project / rows[0]["file"]))
    assert no_password.returncode == 1 and "encrypted: give its password" in no_password.stdout


def test_a_red_assessment_without_a_list_refuses_everyone(run, project: Path) -> None:
    red = project / "assessments" / "red.yaml"
    red.write_text(red.read_text(encoding="utf-8").replace("recipients: [li.wei@example.com, ana@doc.example]\n", ""),
                   encoding="utf-8")
    refused = run(project, "distribute", "red", "--to", str(_recipients(project / "r.yaml", READERS[:1])))
    assert refused.returncode == 1
    assert "assessments/red.yaml:4:6: error[D001] TLP:RED: the assessment lists no recipients" in refused.stdout
    assert "no copy was made" in refused.stderr


def test_clear_needs_no_list_and_other_tlps_do(run, project: Path) -> None:
    done = run(project, "distribute", "open")
    assert done.returncode == 0, done.stderr
    row = _log(project, "open")[0]
    assert row["recipient"] == "general release" and row["encrypted"] == "no"
    assert all("General release — copy 1" in p.extract_text() for p in PdfReader(project / row["file"]).pages)
    refused = run(project, "distribute", "border")
    assert refused.returncode == 1 and "TLP:AMBER: name its readers with --to" in refused.stderr


def test_strict_tlps_are_encrypted() -> None:
    from threatbrief.distribution.recipients import encrypted

    assert [encrypted(t) for t in ("TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")] == \
        [False, False, False, True, True]


def test_the_log_is_appended_never_rewritten(run, project: Path) -> None:
    readers = _recipients(project / "r.yaml", READERS[:2])
    assert run(project, "distribute", "border", "--to", str(readers)).returncode == 0
    log = project / "reports" / "distribution" / "border" / "log.csv"
    first = log.read_bytes()
    assert run(project, "distribute", "border", "--to", str(readers)).returncode == 0
    second = log.read_bytes()
    assert second.startswith(first) and second.count(b"\r\n") == 5  # one header, four rows
    assert [r["copy"] for r in _log(project, "border")] == ["1", "2", "3", "4"]


@pytest.mark.parametrize("text, expected", [
    ("recipients:\n  - name: A\n    organisation: B\n", "r.yaml:2:5: error[Y010] recipients[0]: missing required key 'email'"),
    ("recipients:\n  - {name: A, organisation: B, email: not-an-address}\n", "r.yaml:2:39: error[Y010] recipients[0].email"),
    ("recipients:\n  - {name: A, organisation: B, email: a@b.example}\n  - {name: C, organisation: D, email: A@b.example}\n",
     "r.yaml:3:39: error[D002] A@b.example is named twice (first at line 2)"),
    ("recipients: [\n", "r.yaml:2:1: error[Y001]"),
    ('recipients:\n  - {name: "Li \u202eieW", organisation: B, email: a@b.example}\n',
     "r.yaml:2:12: error[Y010] recipients[0].name holds control characters or bidirectional overrides: Li \\u202eieW"),
])
def test_a_bad_recipients_file_is_an_error_at_its_line(run, project: Path, text: str, expected: str) -> None:
    (project / "r.yaml").write_text(text, encoding="utf-8")
    refused = run(project, "distribute", "border", "--to", str(project / "r.yaml"))
    assert refused.returncode == 1 and expected in refused.stdout, refused.stdout
    assert not (project / "reports" / "distribution").exists()


def test_a_failing_check_or_a_missing_key_makes_no_copy(run, project: Path, signing: tuple[Path, Path]) -> None:
    readers = str(_recipients(project / "r.yaml", READERS[:1]))
    no_key = run(project, "distribute", "border", "--to", readers, "--sign")
    assert no_key.returncode == 1 and "--sign needs a key and a certificate" in no_key.stderr
    (project / "bad.pem").write_text("not a key", encoding="utf-8")
    bad_key = run(project, "distribute", "border", "--to", readers, "--sign", "--key", str(project / "bad.pem"),
                  "--cert", str(signing[1]))
    assert bad_key.returncode == 1 and "cannot load the signing key" in bad_key.stderr and "Traceback" not in bad_key.stderr
    border = project / "assessments" / "border.yaml"
    border.write_text(border.read_text(encoding="utf-8").replace("one worker was killed", "two workers were killed"),
                      encoding="utf-8")
    failed = run(project, "distribute", "border", "--to", readers)
    assert failed.returncode == 1 and "error[C001]" in failed.stdout
    assert not list(project.glob("reports/distribution/**/*.pdf"))


def test_the_signing_key_can_come_from_the_configuration(run, project: Path, signing: tuple[Path, Path]) -> None:
    key, cert = signing
    (project / "threatbrief.toml").write_text(f'[distribution]\nkey = "{key}"\ncert = "{cert}"\n', encoding="utf-8")
    done = run(project, "distribute", "border", "--to", str(_recipients(project / "r.yaml", READERS[:1])), "--sign")
    assert done.returncode == 0, done.stderr
    copy = project / _log(project, "border")[0]["file"]
    checked = run(project, "verify", str(copy))  # the configured certificate is the trusted one
    assert checked.returncode == 0 and "the trusted certificate" in checked.stdout


def test_a_signed_copy_is_still_pdf_ua(run, project: Path, signing: tuple[Path, Path]) -> None:
    pytest.importorskip("pdfua", reason="pdfua is in the test extras: pip install -e '.[test]'")
    key, cert = signing
    assert run(project, "distribute", "border", "--to", str(_recipients(project / "r.yaml", READERS[1:2])), "--sign",
               "--key", str(key), "--cert", str(cert)).returncode == 0
    copy = project / _log(project, "border")[0]["file"]
    report = subprocess.run([sys.executable, "-m", "pdfua", "check", "--format", "json", str(copy)],
                            capture_output=True, text=True, timeout=120)
    assert json.loads(report.stdout)["findings"] == [], report.stdout
    assert os.path.getsize(copy) < 3 * os.path.getsize(project / "reports" / "border.pdf") + 200_000


def test_keys_pdfs_and_logs_are_read_only_from_regular_files(run, project: Path) -> None:
    """threatbrief.toml is the project's word: a key named /dev/zero is refused, not read forever."""
    readers = str(_recipients(project / "r.yaml", READERS[:1]))
    (project / "threatbrief.toml").write_text('[distribution]\nkey = "/dev/zero"\ncert = "/dev/zero"\n', encoding="utf-8")
    refused = run(project, "distribute", "border", "--to", readers, "--sign")
    assert refused.returncode == 1 and "cannot read the signing key /dev/zero" in refused.stderr
    (project / "threatbrief.toml").unlink()
    fifo = project / "copy.pdf"
    os.mkfifo(fifo)
    unread = run(project, "verify", str(fifo))
    assert unread.returncode == 1 and "cannot read" in unread.stdout
    folder = project / "reports" / "distribution" / "border"
    folder.mkdir(parents=True)
    (folder / "log.csv").symlink_to(project / "elsewhere.csv")
    linked = run(project, "distribute", "border", "--to", readers)
    assert linked.returncode == 1 and "cannot open" in linked.stderr
    assert not (project / "elsewhere.csv").exists() and not list(folder.glob("*.pdf"))
