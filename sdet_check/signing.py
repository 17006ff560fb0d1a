"""Signatures of runs and reports: who vouches for a run.json or a PDF, and checking them.

What is signed
--------------
- ``run.json``: its exact bytes (the canonical form of the run, see :mod:`sdet_check.run`),
  by a detached signature written beside it as ``run.json.sig``. The same kind of file
  signs an HTML report (``rapport.html.sig``) or a comparison.
- The PDF report: a PAdES signature (ETSI.CAdES.detached, the profile ordinary PDF readers
  show in their signature panel) added by pyHanko as an incremental update once the PDF is
  rendered (:func:`sign_pdf` takes PDF bytes and returns signed bytes).

Format of a ``.sig`` file
-------------------------
A CMS ``SignedData`` (RFC 5652, the format of S/MIME and of PAdES' inner signature), DER
encoded, detached (the signed file is not inside), over the file's bytes taken as binary,
SHA-256, with the signer's certificate (and any chain given in the certificate file) and
the signing time as a signed attribute. It was chosen over a JSON signature format so that
an auditor checks it with a common tool and no sdet-check::

    openssl cms -verify -binary -inform DER -in run.json.sig -content run.json
        -CAfile AC-de-confiance.pem -out /dev/null  (one line)

Certificates
------------
The signer's certificate is the auditor's, or the trusted third party's that signs on the
tool's behalf. A key given without a certificate is refused (for every file, not only the
PDF): a self-signed certificate made up on the spot would show a name nobody vouches for,
and a reader of the report could take it for an attested identity. For a test, make a
certificate with ``openssl req -x509``.

The private key file may be encrypted; its password is then read from the environment
variable :data:`KEY_PASSWORD_ENV`, never from the command line.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from sdet_check.errors import InputError
from sdet_check.messages import Message, clauses, msg
from sdet_check.redaction import visible_one_line

KEY_PASSWORD_ENV = "SDET_CHECK_SIGN_KEY_PASSWORD"
"""Environment variable holding the password of an encrypted signing key."""

SIGNATURE_SUFFIX = ".sig"
"""A detached signature sits beside its file: ``run.json`` → ``run.json.sig``."""

PDF_FIELD = "Signature-sdet-check"
"""Name of the PDF signature field sdet-check adds."""

MAX_ATTACHMENT_BYTES = 128 * 1024 * 1024
"""Largest attachment read from a PDF (the size of the largest run.json read)."""

MAX_ATTACHMENTS = 100
"""Most name-tree entries read from a PDF (sdet-check attaches one run, or one per bidder)."""

MAX_ATTACHMENTS_TOTAL_BYTES = 512 * 1024 * 1024
"""Most decoded bytes read from all the attachments of one PDF together."""

MAX_PDF_SIGNATURES = 16
"""Most PDF signatures checked (each one hashes up to the whole file; sdet-check adds one)."""

MAX_SIGNATURE_BYTES = 1024 * 1024
"""Largest ``.sig`` file read (a CMS signature with a long chain is a few kilobytes)."""


@dataclass(frozen=True)
class SigningIdentity:
    """A private key with its certificate (and the rest of its chain, if given)."""

    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def subject(self) -> str:
        """The certificate's subject, as RFC 4514 text (``CN=Alice Auditrice,O=Cabinet``)."""
        return self.certificate.subject.rfc4514_string()


def signature_path(path: Path) -> Path:
    """Where the detached signature of ``path`` is written (``run.json.sig``)."""
    return path.with_name(path.name + SIGNATURE_SUFFIX)


def load_identity(key_file: Path, cert_file: Path | None) -> SigningIdentity:
    """Read a PEM private key and its PEM certificate; :class:`InputError` on any problem.

    Checked before any work starts: the certificate is present, matches the key, is
    currently valid, and the key is RSA or ECDSA (what both CMS and PAdES signers accept).
    """
    if cert_file is None:
        raise InputError(
            key_file,
            msg("input.signing.load_identity.no_certificate"),
            msg("input.signing.load_identity.no_certificate_fix"),
        )
    key_bytes = _read(key_file, msg("input.signing.what.key"))
    password = os.environ.get(KEY_PASSWORD_ENV)
    try:
        key = serialization.load_pem_private_key(
            key_bytes, password.encode("utf-8") if password else None
        )
    except TypeError:
        raise InputError(
            key_file,
            msg("input.signing.load_identity.no_password")
            if not password
            else msg("input.signing.load_identity.needless_password"),
            msg("input.signing.load_identity.no_password_fix", env=KEY_PASSWORD_ENV)
            if not password
            else msg("input.signing.load_identity.needless_password_fix", env=KEY_PASSWORD_ENV),
        ) from None
    except ValueError as exc:
        raise InputError(
            key_file,
            msg("input.signing.load_identity.unreadable_key", error=str(exc)),
            msg("input.signing.load_identity.unreadable_key_fix", env=KEY_PASSWORD_ENV),
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise InputError(
            key_file,
            msg("input.signing.load_identity.key_type", key_type=type(key).__name__),
            msg("input.signing.load_identity.key_type_fix"),
        )
    certificates = _load_certificates(cert_file)
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    matching = [
        c
        for c in certificates
        if c.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        == public
    ]
    if not matching:
        raise InputError(
            cert_file,
            msg("input.signing.load_identity.no_matching_certificate"),
            msg("input.signing.load_identity.no_matching_certificate_fix"),
        )
    certificate = matching[0]
    now = datetime.now(UTC)
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise InputError(
            cert_file,
            msg(
                "input.signing.load_identity.expired",
                not_before=f"{certificate.not_valid_before_utc:%Y-%m-%d}",
                not_after=f"{certificate.not_valid_after_utc:%Y-%m-%d}",
            ),
            msg("input.signing.load_identity.expired_fix"),
        )
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is None or not usage.content_commitment:
        # pyHanko, like PAdES readers, wants nonRepudiation on a signer's certificate, and
        # a certificate without key usage has none: every signature made with it would be
        # reported untrusted by verify --trust.
        raise InputError(
            cert_file,
            msg("input.signing.no_non_repudiation"),
            msg("input.signing.no_non_repudiation_fix"),
        )
    chain = tuple(c for c in certificates if c is not certificate)
    return SigningIdentity(key, certificate, chain)


def sign_detached(data: bytes, identity: SigningIdentity) -> bytes:
    """A detached CMS signature (DER) of ``data`` taken as binary, SHA-256, signing time."""
    builder = pkcs7.PKCS7SignatureBuilder().set_data(data)
    builder = builder.add_signer(identity.certificate, identity.key, hashes.SHA256())
    for extra in identity.chain:
        builder = builder.add_certificate(extra)
    return builder.sign(
        serialization.Encoding.DER,
        [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
    )


def write_signature(path: Path, identity: SigningIdentity) -> Path:
    """Sign the file at ``path`` as it is on disk; return the ``.sig`` written beside it."""
    target = signature_path(path)
    target.write_bytes(sign_detached(path.read_bytes(), identity))
    return target


def sign_pdf(pdf: bytes, identity: SigningIdentity, *, reason: str, location: str = "") -> bytes:
    """Add a PAdES signature to ``pdf`` (an incremental update: the rendered bytes stay)."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    der = serialization.Encoding.DER
    certificate = asn1_x509.Certificate.load(identity.certificate.public_bytes(der))
    key = asn1_keys.PrivateKeyInfo.load(
        identity.key.private_bytes(
            der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    chain = [asn1_x509.Certificate.load(c.public_bytes(der)) for c in identity.chain]
    signer = signers.SimpleSigner(
        signing_cert=certificate,
        signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs([certificate, *chain]),  # type: ignore[no-untyped-call]
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=PDF_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location or None,
        name=identity.certificate.subject.rfc4514_string(),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    output = signers.sign_pdf(writer, metadata, signer=signer)
    return bytes(output.getvalue())


# --- checking ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureCheck:
    """The outcome of checking one signature."""

    intact: bool
    """The signed bytes are unchanged and the signature is cryptographically sound."""
    signer: str = ""
    signed_at: datetime | None = None
    trusted: bool | None = None
    """Chains to a given trust anchor (``None``: no anchor was given, trust not checked)."""
    problems: list[str] = field(default_factory=list)
    """What is wrong: ``changed`` (signed bytes differ), ``mismatch`` (signature does not
    match the certificate), ``appended`` (PDF updated after signing), ``untrusted`` (no
    chain to a given anchor), ``unreadable`` or ``not_cms``."""
    fingerprint: str = ""
    """SHA-256 of the signer's certificate (``AB:CD:…``, as ``openssl x509 -fingerprint``
    prints it): a name can be copied by anyone, this cannot."""
    distrust: tuple[Message, ...] = ()
    """Why no given anchor vouches for the signer when ``trusted`` is false (see
    :func:`why_untrusted`); empty otherwise."""


def load_trust(files: Sequence[Path]) -> list[Any]:
    """Trust anchors (asn1crypto certificates) from PEM files; :class:`InputError` on error."""
    from asn1crypto import x509 as asn1_x509

    anchors = []
    for file in files:
        for certificate in _load_certificates(file):
            der = certificate.public_bytes(serialization.Encoding.DER)
            anchors.append(asn1_x509.Certificate.load(der))
    return anchors


def describe_anchor(anchor: Any) -> str:
    """A trust anchor of :func:`load_trust` as ``subject (SHA-256 AB:CD:…)``."""
    return f"{_subject(anchor) or '?'} (SHA-256 {_fingerprint(anchor)})"


def check_detached(data: bytes, signature: bytes, trust: Sequence[Any] = ()) -> SignatureCheck:
    """Check a detached CMS signature of ``data``; never raises on malformed input."""
    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
    from pyhanko_certvalidator import ValidationContext

    try:
        content = cms.ContentInfo.load(signature, strict=True)
        if content["content_type"].native != "signed_data":
            return SignatureCheck(False, problems=["not_cms"])
        signed_data = content["content"]
        context = ValidationContext(trust_roots=list(trust))  # never the system store
        with _quiet_pyhanko():
            status = asyncio.run(async_validate_detached_cms(data, signed_data, context))
    except Exception:  # a malformed signature is a finding, never a crash
        return SignatureCheck(False, problems=["unreadable"])
    signer = _subject(status.signing_cert)
    signed_at = status.signer_reported_dt
    problems = []
    if signer is None:
        # The signature holds but the certificate carried beside it no longer reads: it was
        # changed after signing (a detached CMS does not bind it).
        problems.append("unreadable")
    elif not status.intact:
        problems.append("changed")
    elif not status.valid:
        problems.append("mismatch")
    intact = not problems
    trusted, distrust = _trust(status, trust, intact, _carried(signed_data))
    if trusted is False:
        problems.append("untrusted")
    fingerprint = _fingerprint(status.signing_cert)
    return SignatureCheck(intact, signer or "", signed_at, trusted, problems, fingerprint, distrust)


@dataclass(frozen=True)
class PdfContent:
    """What a PDF carries that :func:`check_pdf` reads: signatures, attachments, identifier."""

    signatures: list[SignatureCheck]
    attachments: dict[str, bytes]
    identifier: str
    """The first element of the trailer's ``/ID`` (sdet-check writes the run hash there)."""
    repeated: list[str] = field(default_factory=list)
    """Attachment names found more than once (only the first is in ``attachments``)."""
    signature_count: int = 0
    """Signatures in the PDF; past :data:`MAX_PDF_SIGNATURES` only the first are checked."""


class UnreadablePdf(Exception):
    """A file that pyHanko cannot read as a PDF."""


def check_pdf(pdf: bytes, trust: Sequence[Any] = ()) -> PdfContent:
    """Check every signature of ``pdf`` and read its attachments; :class:`UnreadablePdf`."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        with _quiet_pyhanko():
            reader = PdfFileReader(io.BytesIO(pdf), strict=False)
            identifier = _identifier(reader)
            attachments, repeated = _attachments(reader)
            embedded = list(reader.embedded_signatures)
    except Exception as exc:
        raise UnreadablePdf(f"{type(exc).__name__}: {exc}") from None
    checks = [_check_embedded(s, trust) for s in embedded[:MAX_PDF_SIGNATURES]]
    return PdfContent(checks, attachments, identifier, repeated, len(embedded))


def _check_embedded(embedded: Any, trust: Sequence[Any]) -> SignatureCheck:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    context = ValidationContext(trust_roots=list(trust))  # never the system store
    try:
        with _quiet_pyhanko():
            status = validate_pdf_signature(embedded, context)
    except Exception:  # a malformed signature is a finding, never a crash
        return SignatureCheck(False, problems=["unreadable"])
    signer = _subject(status.signing_cert)
    problems = []
    if signer is None:
        problems.append("unreadable")
    elif not status.intact:
        problems.append("changed")
    elif not status.valid:
        problems.append("mismatch")
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        problems.append("appended")
    intact = not problems
    trusted, distrust = _trust(status, trust, intact, _carried(embedded.signed_data))
    if trusted is False:
        problems.append("untrusted")
    return SignatureCheck(
        intact,
        signer or "",
        status.signer_reported_dt,
        trusted,
        problems,
        _fingerprint(status.signing_cert),
        distrust,
    )


def _trust(
    status: Any, trust: Sequence[Any], intact: bool, carried: Sequence[Any] = ()
) -> tuple[bool | None, tuple[Message, ...]]:
    """Whether a given anchor vouches for the signer, and why not.

    Nothing is said (``None``) when no anchor was given, or when the signature does not hold
    over the file: a signature taken from another file vouches for nothing here, and
    pyHanko's ``trusted`` is false for any content that changed, whoever signed it.
    ``carried``: the certificates the signature carries (asn1crypto), for the reason.
    """
    if not trust or not intact:
        return None, ()
    if status.trusted:
        return True, ()
    return False, why_untrusted(status, trust, carried)


MAX_CHAIN_STEPS = 8
"""Most issuers followed from the signer's certificate when telling why it is not trusted."""


def why_untrusted(
    status: Any, anchors: Sequence[Any] = (), carried: Sequence[Any] = ()
) -> tuple[Message, ...]:
    """Why none of ``anchors`` vouches for the signer of a pyHanko signature ``status``.

    Classified at the time of the verification, from the signer's certificate, the
    certificates the signature carries (``carried``) and the anchors (asn1crypto
    certificates all): the chain does not lead to a given authority (checked by signature,
    not by name: an authority of the same name with another key is said so), the
    certificate has expired or is not valid yet, its key usage lacks nonRepudiation, it was
    revoked; else pyHanko's AdES subindication. Names taken from a certificate are shown on
    one line with their control characters visible.
    """
    from pyhanko.sign.ades.report import AdESIndeterminate

    indication = status.trust_problem_indic
    certificate = _cryptography_certificate(status.signing_cert)
    if certificate is None:
        return (msg("signatures.trust.other", indication=_indication_name(indication)),)
    reasons: list[Message] = []
    top = _chain_top(certificate, _readable(anchors), _readable(carried))
    if top is not None:
        issuer = visible_one_line(top.issuer.rfc4514_string())
        if any(anchor.subject == top.issuer for anchor in _readable(anchors)):
            reasons.append(msg("signatures.trust.same_name", issuer=issuer))
        elif top is certificate and certificate.issuer == certificate.subject:
            reasons.append(msg("signatures.trust.self_signed", issuer=issuer))
        else:
            reasons.append(msg("signatures.trust.no_chain", issuer=issuer))
    moment = status.validation_time or datetime.now(UTC)
    if moment > certificate.not_valid_after_utc:
        reasons.append(
            msg("signatures.trust.expired", date=f"{certificate.not_valid_after_utc:%Y-%m-%d}")
        )
    elif moment < certificate.not_valid_before_utc:
        reasons.append(
            msg(
                "signatures.trust.not_yet_valid",
                date=f"{certificate.not_valid_before_utc:%Y-%m-%d}",
            )
        )
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        reasons.append(msg("signatures.trust.no_key_usage"))
    else:
        if not usage.content_commitment:
            reasons.append(msg("signatures.trust.key_usage"))
    if status.revocation_details is not None or indication in (
        AdESIndeterminate.REVOKED_NO_POE,
        AdESIndeterminate.REVOKED_CA_NO_POE,
    ):
        reasons.append(msg("signatures.trust.revoked"))
    if not reasons:
        reasons.append(msg("signatures.trust.other", indication=_indication_name(indication)))
    return tuple(reasons)


def _chain_top(
    certificate: x509.Certificate,
    anchors: Sequence[x509.Certificate],
    carried: Sequence[x509.Certificate],
) -> x509.Certificate | None:
    """Where the chain of ``certificate`` stops short of every anchor (``None``: it does not).

    ``None`` when an anchor signed the certificate or an issuer above it among ``carried``;
    else the last certificate reached, whose issuer is neither given nor carried.
    """
    current = certificate
    for _ in range(MAX_CHAIN_STEPS):
        if any(_issued_by(current, anchor) for anchor in anchors):
            return None
        issuer = next(
            (c for c in carried if c != current and _issued_by(current, c)),
            None,
        )
        if issuer is None:
            return current
        current = issuer
    return current


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether ``issuer``'s key signed ``certificate`` (names alone prove nothing)."""
    try:
        certificate.verify_directly_issued_by(issuer)
    except Exception:  # wrong name, wrong signature, unsupported key: not issued by it
        return False
    return True


def _readable(certificates: Sequence[Any]) -> list[x509.Certificate]:
    """asn1crypto certificates as ``cryptography`` ones, leaving out those that do not read."""
    found = (_cryptography_certificate(c) for c in certificates)
    return [c for c in found if c is not None]


def _cryptography_certificate(certificate: Any) -> x509.Certificate | None:
    try:
        return x509.load_der_x509_certificate(certificate.dump())
    except (AttributeError, ValueError):
        return None


def _carried(signed_data: Any) -> list[Any]:
    """The certificates a CMS ``SignedData`` carries (asn1crypto), none if unreadable."""
    try:
        return [
            choice.chosen
            for choice in signed_data["certificates"] or []
            if choice.name == "certificate"
        ]
    except Exception:  # a malformed certificate set only makes the reason less precise
        return []


def _indication_name(indication: Any) -> str:
    """An AdES subindication as pyHanko names it (``CHAIN_CONSTRAINTS_FAILURE``)."""
    name = getattr(indication, "name", None)
    return name if isinstance(name, str) else "?"


def distrust_clauses(reasons: Sequence[Message]) -> Message:
    """The reasons of :func:`why_untrusted` as one message (``a ; b``), never empty."""
    return clauses(reasons or [msg("signatures.trust.unexplained")])


def _identifier(reader: Any) -> str:
    try:
        ids = reader.trailer["/ID"]
    except KeyError:
        return ""
    if not ids:
        return ""
    first = ids[0]
    if isinstance(first, bytes):
        return first.decode("ascii", "replace")
    return str(first)


def _attachments(reader: Any) -> tuple[dict[str, bytes], list[str]]:
    """Embedded files by name (``/Names /EmbeddedFiles`` name tree), and repeated names.

    Bounded whatever the PDF says: each node is visited once (a ``/Kids`` loop ends), at
    most :data:`MAX_ATTACHMENTS` entries are read, and their decoded bytes add up to at
    most :data:`MAX_ATTACHMENTS_TOTAL_BYTES` (a ``ValueError`` past it).
    """
    found: dict[str, bytes] = {}
    repeated: list[str] = []
    names = _deref(reader.root.get("/Names"))
    tree = (
        names.raw_get("/EmbeddedFiles") if names is not None and "/EmbeddedFiles" in names else None
    )
    nodes: list[Any] = [tree] if tree is not None else []
    visited: set[Any] = set()
    entries = total = 0
    while nodes and entries < MAX_ATTACHMENTS:
        reference = nodes.pop()
        key = _object_key(reference)
        if key in visited:
            continue
        visited.add(key)
        node = _deref(reference)
        pairs = _deref(node.get("/Names")) or []
        for position in range(0, len(pairs) - 1, 2):
            entries += 1
            if entries > MAX_ATTACHMENTS:
                break
            name, spec = str(pairs[position]), pairs[position + 1]
            files = _deref(_deref(spec)["/EF"])
            stream = _deref(files.get("/UF") or files["/F"])
            data = _stream_bytes(stream, MAX_ATTACHMENT_BYTES)
            total += len(data)
            if total > MAX_ATTACHMENTS_TOTAL_BYTES:
                raise ValueError(
                    f"pièces jointes de plus de {MAX_ATTACHMENTS_TOTAL_BYTES // 1024 // 1024} Mo "
                    "au total"
                )
            if name in found:
                repeated.append(name)
                continue  # the first one is what pdfdetach and readers show
            found[name] = data
        nodes.extend(_deref(node.get("/Kids")) or [])
    return found, repeated


def _object_key(reference: Any) -> Any:
    """What identifies a PDF object: its number for a reference, else the Python object."""
    number = getattr(reference, "idnum", None)
    if number is not None:
        return (number, getattr(reference, "generation", 0))
    return id(reference)


def _stream_bytes(stream: Any, limit: int) -> bytes:
    """A stream's decoded bytes, inflated at most to ``limit`` + 1 bytes (no zip bomb).

    sdet-check's attachments are stored plain or deflated; any other filter chain is
    refused rather than decoded without a bound.
    """
    filters = _deref(stream.get("/Filter"))
    if filters is None:
        return bytes(stream.encoded_data[: limit + 1])
    if isinstance(filters, list) and len(filters) == 1:
        filters = _deref(filters[0])
    parameters = _deref(stream.get("/DecodeParms"))
    if isinstance(parameters, list) and len(parameters) == 1:
        parameters = _deref(parameters[0])
    if str(filters) == "/FlateDecode" and not parameters:
        inflater = zlib.decompressobj()
        return inflater.decompress(bytes(stream.encoded_data), limit + 1)
    raise ValueError(f"pièce jointe codée avec un filtre non pris en charge ({filters})")


def _deref(value: Any) -> Any:
    """The object behind a PDF indirect reference (the value itself otherwise)."""
    return value.get_object() if hasattr(value, "get_object") else value


def _fingerprint(certificate: Any) -> str:
    if certificate is None:
        return ""
    return hashlib.sha256(certificate.dump()).digest().hex(":").upper()


def _subject(certificate: Any) -> str | None:
    """The signer's name (``""`` without a certificate, ``None`` when it does not read)."""
    if certificate is None:
        return ""
    try:
        # Strict DER: asn1crypto reads lazily, so a certificate changed after signing may
        # still give a name there; it is then reported unreadable, not shown as a signer.
        return x509.load_der_x509_certificate(certificate.dump()).subject.rfc4514_string()
    except ValueError:
        return None


class _quiet_pyhanko:
    """pyHanko logs a full trace for an untrusted certificate; the check reports it instead."""

    def __enter__(self) -> None:
        self._loggers = [logging.getLogger(n) for n in ("pyhanko", "pyhanko_certvalidator")]
        self._levels = [logger.level for logger in self._loggers]
        for logger in self._loggers:
            logger.setLevel(logging.CRITICAL + 1)

    def __exit__(self, *exc: object) -> None:
        for logger, level in zip(self._loggers, self._levels, strict=True):
            logger.setLevel(level)


def _read(file: Path, what: Message) -> bytes:
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise InputError(
            file,
            msg("input.signing.read.missing", what=what),
            msg("input.signing.read.missing_fix"),
        ) from None
    except OSError as exc:
        raise InputError(
            file,
            msg("input.signing.read.unreadable", what=what, error=exc.strerror),
            msg("input.signing.read.unreadable_fix"),
        ) from None
    if len(data) > MAX_SIGNATURE_BYTES:
        raise InputError(
            file,
            msg("input.signing.read.too_large", what=what),
            msg("input.signing.read.too_large_fix"),
        )
    return data


def _load_certificates(file: Path) -> list[x509.Certificate]:
    data = _read(file, msg("input.signing.what.certificate"))
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        try:
            certificates = [x509.load_der_x509_certificate(data)]
        except ValueError:
            raise InputError(
                file,
                msg("input.signing.load_certificates.unreadable"),
                msg("input.signing.load_certificates.unreadable_fix"),
            ) from None
    return certificates
