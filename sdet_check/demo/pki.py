"""A throw-away test PKI: one CA and one server certificate for ``127.0.0.1`` and ``localhost``.

The local reference portal serves HTTPS with these files and a target file trusts ``ca.pem``.
Nothing here is fit for production: keys are written unencrypted and live a few days.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY_DAYS = 3
"""How long the generated certificates are valid."""

_RENEW_BEFORE = dt.timedelta(hours=12)


@dataclass(frozen=True)
class PkiFiles:
    """Where the PEM files of a test PKI are."""

    folder: Path
    ca_file: Path
    """The CA certificate (``ca.pem``): what a client trusts."""
    cert_file: Path
    """The server certificate (``server.pem``)."""
    key_file: Path
    """The server private key (``server-key.pem``), unencrypted."""

    @classmethod
    def in_folder(cls, folder: Path) -> PkiFiles:
        """Describe the PKI files of ``folder`` (they may not exist yet)."""
        return cls(
            folder=folder,
            ca_file=folder / "ca.pem",
            cert_file=folder / "server.pem",
            key_file=folder / "server-key.pem",
        )

    def exists(self) -> bool:
        """Tell whether the three files are there and the server certificate is still valid."""
        if not (self.ca_file.is_file() and self.cert_file.is_file() and self.key_file.is_file()):
            return False
        certificate = x509.load_pem_x509_certificate(self.cert_file.read_bytes())
        return certificate.not_valid_after_utc - _now() > _RENEW_BEFORE


def create_pki(folder: Path, days: int = VALIDITY_DAYS) -> PkiFiles:
    """Generate a new test CA and a server certificate for ``127.0.0.1``/``localhost``."""
    folder.mkdir(parents=True, exist_ok=True)
    pki = PkiFiles.in_folder(folder)
    now = _now()
    not_before = now - dt.timedelta(minutes=5)
    not_after = now + dt.timedelta(days=days)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sdet-check"),
            x509.NameAttribute(NameOID.COMMON_NAME, "sdet-check AC de test (jetable)"),
        ]
    )
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )

    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sdet-check"),
                    x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
                ]
            )
        )
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.DNSName("localhost"),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )

    pki.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    pki.cert_file.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    key_pem = server_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # The key is a throw-away, but it is still a private key: not world-readable.
    descriptor = os.open(pki.key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as key_out:
        key_out.write(key_pem)
    return pki


def ensure_pki(folder: Path) -> PkiFiles:
    """Reuse the test PKI of ``folder`` while it is valid, else create a new one.

    Reuse matters: a target file written for one portal keeps trusting the same CA when a
    second portal starts from the same folder.
    """
    pki = PkiFiles.in_folder(folder)
    return pki if pki.exists() else create_pki(folder)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
