"""Reading certificates and XML signatures: decoding, anchors, fingerprints, algorithms."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from lxml import etree

from probes.saml.common import NS
from sdet_check.messages import msg
from sdet_check.probe import (
    BadParams,
    ProbeError,
)
from sdet_check.transport import MAX_BODY_BYTES as MAX_BODY_BYTES  # the bound, for readers


def decode_certificate(text: str | None) -> x509.Certificate:
    """Decode a base64 DER certificate from metadata; a ProbeError when unreadable."""
    compact = "".join((text or "").split())
    try:
        return x509.load_der_x509_certificate(base64.b64decode(compact, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise ProbeError(msg("saml.keys.decode_certificate.error", exc=exc)) from exc


def load_anchor(path: Path) -> x509.Certificate:
    """Load a PEM certificate the target gives as a trust anchor."""
    data = path.read_bytes()
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        try:
            return x509.load_der_x509_certificate(data)
        except ValueError as exc:
            raise BadParams(msg("saml.keys.load_anchor.bad_params", path=path, exc=exc)) from exc


def fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 fingerprint of a certificate, in hexadecimal."""
    return certificate.fingerprint(hashes.SHA256()).hex(":")


def signature_algorithms(signature: etree._Element) -> dict[str, Any]:
    """Signature and digest algorithms named by an XML signature."""
    method = signature.find("ds:SignedInfo/ds:SignatureMethod", NS)
    c14n = signature.find("ds:SignedInfo/ds:CanonicalizationMethod", NS)
    digests = signature.findall("ds:SignedInfo/ds:Reference/ds:DigestMethod", NS)
    references = signature.findall("ds:SignedInfo/ds:Reference", NS)
    return {
        "signature_method": None if method is None else method.get("Algorithm"),
        "canonicalization": None if c14n is None else c14n.get("Algorithm"),
        "digest_methods": [d.get("Algorithm") for d in digests],
        "references": [r.get("URI") for r in references],
    }


def embedded_fingerprints(signature: etree._Element) -> list[str]:
    """Fingerprints of the certificates an XML signature carries in its KeyInfo."""
    found: list[str] = []
    for text in signature.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS):
        try:
            found.append(fingerprint(decode_certificate(text.text)))
        except ProbeError:
            found.append(msg("saml.keys.embedded_fingerprints.append"))
    return found
