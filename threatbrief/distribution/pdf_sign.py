"""PAdES signatures on distributed copies (pyHanko), and checking them: `threatbrief verify`.

A copy is signed last, as an incremental update, so the signature covers every byte before it.
Checking trusts nothing it is not shown: the signature must be intact and valid, and cover the
*entire* file — pyHanko's `bottom_line` stays true when an update is appended after signing (one
that rewrites the copy id, say, to pin a leak on someone else), so `coverage == ENTIRE_FILE` is
required, any exception means "not valid", and the copy's identity is read from the revision
that was signed, not from whatever the file says now. Imported only by `distribute --sign` and
`verify`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The copy's identity, in the PDF's document information (and XMP, written by distribute.py).
COPY_FIELDS = {
    "copy_id": "/ThreatbriefCopyId",
    "copy": "/ThreatbriefCopy",
    "recipient": "/ThreatbriefRecipient",
    "email": "/ThreatbriefRecipientEmail",
    "assessment": "/ThreatbriefAssessment",
    "tlp": "/ThreatbriefTLP",
}
SIGNATURE_FIELD = "threatbrief-distribution"


class SigningError(Exception):
    """The key or certificate cannot be used; the message says which file and why."""


@dataclass(frozen=True)
class Signer:
    signer: Any  # pyhanko.sign.signers.SimpleSigner
    subject: str


def _quiet() -> None:
    """pyHanko logs a traceback for each key it cannot load and each check that fails: the
    message (or the verdict) says it once, without one."""
    import logging

    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


MAX_PEM_BYTES = 1024 * 1024


def read_pem(path: Path, label: str) -> bytes:
    """A key or certificate file: a regular file of at most 1 MiB (a path in threatbrief.toml is
    the project's word, so /dev/zero or a FIFO is refused rather than read)."""
    from threatbrief.files import NotReadable, read_regular

    try:
        return read_regular(path, MAX_PEM_BYTES)
    except NotReadable as exc:
        raise SigningError(f"cannot read the {label} {path}: {exc}") from None


def certificate(path: Path) -> Any:
    """The certificate in a PEM (or DER) file, as pyHanko wants it."""
    from pyhanko.keys import load_certs_from_pemder_data

    data = read_pem(path, "certificate")
    try:
        certificates = list(load_certs_from_pemder_data(data))
    except Exception as exc:
        raise SigningError(f"{path} holds no certificate pyHanko can read: {exc or type(exc).__name__}") from None
    if len(certificates) != 1:
        raise SigningError(f"{path} holds {len(certificates)} certificates: give the signer's own, alone")
    return certificates[0]


def load_signer(key: Path, cert: Path) -> Signer:
    """An unencrypted PEM key and its certificate (as `openssl req -x509 -nodes` writes them)."""
    from pyhanko.keys import load_private_key_from_pemder_data
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    _quiet()
    data = read_pem(key, "signing key")
    signing_cert = certificate(cert)
    try:
        signing_key = load_private_key_from_pemder_data(data, passphrase=None)
    except Exception as exc:  # pyHanko and cryptography raise several kinds for a bad or encrypted PEM
        raise SigningError(f"cannot load the signing key {key}: {exc or type(exc).__name__} "
                           "(an unencrypted PEM key is needed)") from None
    signer = signers.SimpleSigner(signing_cert=signing_cert, signing_key=signing_key,
                                  cert_registry=SimpleCertificateStore())
    return Signer(signer, signing_cert.subject.human_friendly)


def sign(data: bytes, signer: Signer, password: str | None, reason: str) -> bytes:
    """`data` with a PAdES signature appended (an encrypted file is opened with its password)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    if password is not None:
        writer.encrypt(password)
    meta = signers.PdfSignatureMetadata(field_name=SIGNATURE_FIELD, subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256", reason=reason)
    out = io.BytesIO()
    signers.sign_pdf(writer, meta, signer=signer.signer, output=out)
    return out.getvalue()


@dataclass
class Verdict:
    """What `verify` found. `valid`: signed, intact, nothing appended, and trusted when a
    certificate to trust was given."""

    signed: bool = False
    intact: bool = False  # the signed bytes are unchanged and the signature is the signer's
    whole_file: bool = False  # nothing was added after signing
    trusted: bool | None = None  # the signer is the given certificate (None: none was given)
    signer: str = ""
    signed_at: str = ""
    identity: dict[str, str] = field(default_factory=dict)  # from the signed revision (or the file, unsigned)
    current: dict[str, str] = field(default_factory=dict)  # what the file says now
    problem: str = ""

    @property
    def valid(self) -> bool:
        return self.signed and self.intact and self.whole_file and self.trusted is not False and not self.problem


class NeedsPassword(Exception):
    """The copy is encrypted and no password (or a wrong one) was given."""


def verify(data: bytes, password: str | None = None, trust: Any = None) -> Verdict:
    """`trust`: the certificate (pdf_sign.certificate) the signer must be; None: report who signed."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    _quiet()

    verdict = Verdict()
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            if password is None:
                raise NeedsPassword("the copy is encrypted: give its password (--password-file FILE)")
            result = reader.decrypt(password)
            if not result or getattr(result, "status", None) is not None and result.status.name == "FAILED":
                raise NeedsPassword("the password does not open this copy")
        verdict.current = _current_identity(reader.trailer_view)
        signatures = reader.embedded_signatures
    except NeedsPassword:
        raise
    except Exception as exc:
        verdict.problem = f"the file cannot be read as a PDF: {exc or type(exc).__name__}"
        return verdict
    if not signatures:
        verdict.identity = verdict.current
        return verdict
    verdict.signed = True
    try:
        verdict.identity = _signed_identity(reader, signatures[-1])
    except Exception:
        verdict.identity = {}
    try:
        _check(verdict, signatures[-1], trust)
    except Exception as exc:
        verdict.intact = False
        verdict.problem = f"the signature cannot be validated: {exc or type(exc).__name__}"
    if len(signatures) > 1 and not verdict.problem:
        verdict.problem = f"the file carries {len(signatures)} signatures; a distributed copy carries one"
    return verdict


def _check(verdict: Verdict, signature: Any, trust: Any) -> None:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    signer_cert = signature.signer_cert
    verdict.signer = signer_cert.subject.human_friendly
    roots = [trust] if trust is not None else [signer_cert]
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=roots, allow_fetching=False))
    verdict.intact = bool(status.intact and status.valid)
    verdict.whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    if trust is not None:
        verdict.trusted = bool(status.trusted) and signer_cert.dump() == roots[0].dump()
    when = status.signer_reported_dt
    verdict.signed_at = when.strftime("%Y-%m-%d %H:%M:%S UTC") if when else ""


def _signed_identity(reader: Any, signature: Any) -> dict[str, str]:
    """The identity as the signed revision has it: the /Info reference resolved in that revision
    (resolving it through the file would give the latest version of the object)."""
    revision = reader.get_historical_resolver(signature.signed_revision)
    reference = revision.trailer_view.raw_get("/Info") if "/Info" in revision.trailer_view else None
    return _identity(revision(reference.reference)) if hasattr(reference, "reference") else {}


def _current_identity(trailer: Any) -> dict[str, str]:
    return _identity(trailer["/Info"]) if "/Info" in trailer else {}


def _identity(info: Any) -> dict[str, str]:
    found = {}
    for key, name in COPY_FIELDS.items():
        if name in info:
            found[key] = str(info[name])
    return found
