"""A real SAML 2.0 identity provider on loopback: SimpleSAMLphp (Debian package) under ``php -S``.

:class:`SamlIdp` writes a throw-away SimpleSAMLphp configuration (``config.php``,
``authsources.php`` with one test user per profile carrying SDET attributes, the hosted IdP
and the two service providers the probes play: a test SP and a GAR-like SP), generates the
IdP's keys with ``cryptography``, starts PHP's built-in web server on an ephemeral port of
127.0.0.1 with ``SIMPLESAMLPHP_CONFIG_DIR`` pointing at that folder, and, unless told
otherwise, puts a small TLS front end (the project's test PKI) before it so that every SAML
endpoint is ``https://``. :class:`SamlConfig` chooses the behaviour: conformant, or broken
on purpose (expired signing certificate, unsigned assertions, an attribute withheld…).

Nothing here is fit for production: keys are unencrypted, users and passwords are made up.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sdet_check.demo.peer import (
    Peer,
    TlsFront,
    end_process,
    free_port,
    wait_for_metadata,
    write_self_signed,
)
from sdet_check.demo.pki import PkiFiles, ensure_pki
from sdet_check.messages import msg

APT_PACKAGES = ("simplesamlphp", "php-cli", "php-xml", "php-mbstring")
"""Debian packages the IdP needs (``xmlsec1`` is not needed: the probes use signxml)."""

SIMPLESAMLPHP_ROOT = Path("/usr/share/simplesamlphp")
"""Where the Debian package installs SimpleSAMLphp."""

PASSWORD_ENV = "SDET_DEMO_SAML_PASSWORD"
"""Environment variable that carries the demo users' password into a target file."""

SP_ENTITY_ID = "https://sp-test.sdet-check.example/sp"
"""entityID of the test service provider the probes play."""

SP_ACS_URL = "https://sp-test.sdet-check.example/acs"
"""Its AssertionConsumerService (HTTP-POST); the probes read the response, never post it there."""

GAR_SP_ENTITY_ID = "https://sp-gar.sdet-check.example/sp"
"""entityID of the GAR-like SP (released attributes ``idEnt``, ``GARPersonIdentifiant``)."""

GAR_SP_ACS_URL = "https://sp-gar.sdet-check.example/acs"
"""Its AssertionConsumerService."""

UNDECLARED_ACS_URL = "https://acs-non-declaree.sdet-check.invalid/acs"
"""An ACS address no target declares; the ``open_acs`` variant accepts it all the same."""

BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
NAMEID_TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

_START_TIMEOUT_S = 20.0
_STOP_TIMEOUT_S = 5.0
_GAR_ATTRIBUTES = ("idEnt", "GARPersonIdentifiant")


class SamlIdpUnavailable(RuntimeError):
    """PHP or SimpleSAMLphp is not installed: the message names the Debian packages."""


def missing_requirements() -> str | None:
    """Say what is missing to run the IdP, or ``None`` when php and SimpleSAMLphp are there."""
    problems = []
    if shutil.which("php") is None:
        problems.append(msg("demo.saml.missing.php"))
    if not (SIMPLESAMLPHP_ROOT / "www" / "saml2" / "idp" / "metadata.php").is_file():
        problems.append(msg("demo.saml.missing.simplesamlphp", root=SIMPLESAMLPHP_ROOT))
    if not problems:
        return None
    return msg("demo.saml.unavailable", problems=problems, packages=" ".join(APT_PACKAGES))


@dataclass(frozen=True)
class DemoUser:
    """A test user of the demo IdP: one per profile, with SDET attributes."""

    profile: str
    """Target-file profile (``eleve``, ``enseignant``, ``parent``)."""
    login: str
    attributes: Mapping[str, tuple[str, ...]]


_UAI = "0751234J"
"""A made-up UAI with a correct check letter."""

DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "eleve",
        "eleve.demo",
        {
            "uid": ("eleve.demo",),
            "ENTPersonJointure": ("AC-PARIS$1234567",),
            "ENTPersonProfils": ("National_ELV",),
            "ENTPersonStructRattach": ("ETAB-0751234J",),
            "ENTPersonStructRattachRNE": (_UAI,),
            "ENTEleveClasses": ("ETAB-0751234J$4A",),
            "ENTEleveNivFormation": ("4EME",),
            "FrEduVecteur": (f"4|ELEVE|Camille|1234567|{_UAI}",),
            "idEnt": ("ENT-DEMO",),
            "GARPersonIdentifiant": ("gar-7f3c9e1a",),
        },
    ),
    DemoUser(
        "enseignant",
        "prof.demo",
        {
            "uid": ("prof.demo",),
            "ENTPersonJointure": ("AC-PARIS$7654321",),
            "ENTPersonProfils": ("National_ENS",),
            "ENTPersonStructRattach": ("ETAB-0751234J",),
            "ENTPersonStructRattachRNE": (_UAI,),
            "mail": ("prof.demo@ac-demo.example",),
            "idEnt": ("ENT-DEMO",),
            "GARPersonIdentifiant": ("gar-2b8d04c6",),
        },
    ),
    DemoUser(
        "parent",
        "parent.demo",
        {
            "uid": ("parent.demo",),
            "ENTPersonJointure": ("AC-PARIS$2345678",),
            "ENTPersonProfils": ("National_TUT",),
            "ENTPersonStructRattach": ("ETAB-0751234J",),
            "ENTPersonStructRattachRNE": (_UAI,),
            "FrEduVecteur": (f"2|ELEVE|Dominique|1234567|{_UAI}",),
            "idEnt": ("ENT-DEMO",),
            "GARPersonIdentifiant": ("gar-91e5a7d3",),
        },
    ),
)
"""The demo users; all share one password, generated per IdP and given by environment."""

SP_ATTRIBUTES = (
    "uid",
    "ENTPersonJointure",
    "ENTPersonProfils",
    "ENTPersonStructRattach",
    "ENTPersonStructRattachRNE",
    "ENTEleveClasses",
    "ENTEleveNivFormation",
    "FrEduVecteur",
)
"""Attributes agreed with the test SP: the IdP releases these and nothing else."""


@dataclass(frozen=True)
class SamlConfig:
    """What the demo IdP does, one field per behaviour a probe observes."""

    https: bool = True
    """Serve through a TLS front end (every endpoint ``https://``); else plain HTTP."""
    certificate_expired: bool = False
    """The IdP signing certificate expired yesterday (SimpleSAMLphp signs with it anyway)."""
    key_bits: int = 2048
    """Size of the IdP's RSA key."""
    sha1: bool = False
    """SHA-1 for the certificate's own signature and for the XML signatures (rsa-sha1)."""
    sign_assertion: bool = True
    """``saml20.sign.assertion``."""
    sign_response: bool = True
    """``saml20.sign.response``."""
    withheld_attributes: tuple[str, ...] = ()
    """Agreed attributes the IdP does not release to the test SP."""
    extra_attributes: tuple[str, ...] = ()
    """Attributes released to the test SP beyond the agreed list."""
    nameid_email: bool = False
    """NameID in emailAddress format carrying the user's e-mail (else transient)."""
    assertion_lifetime_s: int = 300
    """``assertion.lifetime``; a negative value issues assertions already expired."""
    metadata_signature: str = "valid"
    """``valid`` (signed, anchor given), ``none`` (unsigned), ``foreign`` (signed, wrong anchor)."""
    extra_acs_urls: tuple[str, ...] = ()
    """ACS addresses the IdP accepts for the test SP beyond the declared one."""
    require_signed_requests: bool = True
    """``validate.authnrequest``: AuthnRequests must be signed by the SP key."""

    def __post_init__(self) -> None:
        """Refuse values the IdP cannot be set to."""
        if self.metadata_signature not in ("valid", "none", "foreign"):
            raise ValueError("metadata_signature must be valid, none or foreign")
        if self.key_bits < 1024:
            raise ValueError("key_bits must be at least 1024")

    @classmethod
    def conformant(cls) -> SamlConfig:
        """Build the IdP that passes every ``saml`` probe SimpleSAMLphp can pass."""
        return cls()


VARIANTS: Mapping[str, SamlConfig] = {
    "conforme": SamlConfig(),
    "certificat_expire": SamlConfig(certificate_expired=True),
    "assertion_non_signee": SamlConfig(sign_assertion=False, sign_response=False),
    "attribut_non_publie": SamlConfig(withheld_attributes=("ENTPersonProfils",)),
    "cles_faibles_sha1": SamlConfig(key_bits=1024, sha1=True),
    "http_en_clair": SamlConfig(https=False),
    "nameid_courriel": SamlConfig(nameid_email=True, extra_attributes=("mail",)),
    "assertion_echue": SamlConfig(assertion_lifetime_s=-600),
    "metadonnees_signature_etrangere": SamlConfig(metadata_signature="foreign"),
    "metadonnees_non_signees": SamlConfig(metadata_signature="none"),
    "acs_non_declaree_acceptee": SamlConfig(extra_acs_urls=(UNDECLARED_ACS_URL,)),
}
"""Named configurations: the conformant IdP and each deliberately broken one."""


@dataclass
class SamlKeys:
    """The key pairs of a demo IdP: its signing key, the metadata signer and the test SP's."""

    idp_key: Path
    idp_cert: Path
    metadata_key: Path
    metadata_cert: Path
    metadata_anchor: Path
    """The certificate the probes are told to trust for metadata (a foreign one on purpose
    in the ``foreign`` variants)."""
    sp_key: Path
    sp_cert: Path


def write_saml_keys(
    certs: Path,
    idp_common_name: str,
    *,
    key_bits: int,
    sha1: bool,
    certificate_expired: bool,
    foreign_metadata_signer: bool,
) -> SamlKeys:
    """Write the key pairs of a demo IdP in ``certs`` (the IdP's own as its variant says)."""
    certs.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    if certificate_expired:
        not_before, not_after = now - dt.timedelta(days=30), now - dt.timedelta(days=1)
    else:
        not_before, not_after = now - dt.timedelta(minutes=5), now + dt.timedelta(days=365)
    keys = SamlKeys(
        idp_key=certs / "idp.key",
        idp_cert=certs / "idp.crt",
        metadata_key=certs / "metadata.key",
        metadata_cert=certs / "metadata.crt",
        metadata_anchor=certs / "metadata-anchor.crt",
        sp_key=certs / "sp.key",
        sp_cert=certs / "sp.crt",
    )
    write_self_signed(
        keys.idp_key, keys.idp_cert, idp_common_name, key_bits, sha1, not_before, not_after
    )
    write_self_signed(keys.metadata_key, keys.metadata_cert, "metadonnees.sdet-check.example")
    if foreign_metadata_signer:
        write_self_signed(
            certs / "foreign.key", keys.metadata_anchor, "metadonnees.sdet-check.example"
        )
    else:
        shutil.copyfile(keys.metadata_cert, keys.metadata_anchor)
    write_self_signed(keys.sp_key, keys.sp_cert, "sp-test.sdet-check.example")
    return keys


class SamlIdp(Peer):
    """SimpleSAMLphp on ``127.0.0.1``, configured in ``folder``.

    Usage::

    with SamlIdp(SamlConfig.conformant(), tmp_path) as idp:
        idp.metadata_url, idp.password, add_to_target(target_data, idp)
    """

    def __init__(self, config: SamlConfig, folder: Path, pki_dir: Path | None = None) -> None:
        """Prepare an IdP; ``pki_dir`` holds the test PKI of the TLS front (reused or made)."""
        self.config = config
        # Absolute: PHP runs in this folder and reads the paths written in its configuration.
        self.folder = folder.resolve()
        self.pki_dir = (pki_dir or folder / "pki").resolve()
        self.password = secrets.token_urlsafe(12)
        """The demo users' password (fresh for each IdP)."""
        self._process: subprocess.Popen[bytes] | None = None
        self._front: TlsFront | None = None
        self._pki: PkiFiles | None = None
        self._keys: SamlKeys | None = None
        self._base_url = ""

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Write the configuration, start PHP (and the TLS front), wait until metadata answers."""
        if self._process is not None:
            raise RuntimeError("IdP already started")
        problem = missing_requirements()
        if problem:
            raise SamlIdpUnavailable(problem)
        self.folder.mkdir(parents=True, exist_ok=True)
        backend_port = free_port()
        if self.config.https:
            self._pki = ensure_pki(self.pki_dir)
            self._front = TlsFront(self._pki, backend_port)
            self._base_url = f"https://127.0.0.1:{self._front.port}/"
        else:
            self._base_url = f"http://127.0.0.1:{backend_port}/"
        self._keys = self._write_keys()
        self._write_config(self._keys)
        log = (self.folder / "php-server.log").open("wb")
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "SIMPLESAMLPHP_CONFIG_DIR": str(self.folder / "config"),
            # Several workers: the runner sends probes concurrently.
            "PHP_CLI_SERVER_WORKERS": "4",
        }
        self._process = subprocess.Popen(
            ["php", "-S", f"127.0.0.1:{backend_port}", "-t", str(SIMPLESAMLPHP_ROOT / "www")],
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.folder,
            start_new_session=True,
        )
        log.close()
        if self._front is not None:
            self._front.start()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop PHP by its PID, then the TLS front."""
        process, self._process = self._process, None
        if process is not None:
            # php -S forks its workers into the session it leads: the group is signalled.
            end_process(process, group=True)
        front, self._front = self._front, None
        if front is not None:
            front.stop()

    # --- what a target file needs ---------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Base address, e.g. ``https://127.0.0.1:40123/``."""
        if not self._base_url:
            raise RuntimeError("IdP not started")
        return self._base_url

    @property
    def metadata_url(self) -> str:
        """The IdP metadata address (also its entityID)."""
        return self.base_url + "saml2/idp/metadata.php"

    @property
    def entity_id(self) -> str:
        """The IdP entityID (SimpleSAMLphp uses the metadata address)."""
        return self.metadata_url

    @property
    def ca_file(self) -> Path | None:
        """The test CA a client trusts for the TLS front (``None`` over plain HTTP)."""
        return None if self._pki is None else self._pki.ca_file

    @property
    def sp_key_file(self) -> Path:
        """The test SP's private key (signs AuthnRequests)."""
        return self._key_files().sp_key

    @property
    def metadata_anchor_file(self) -> Path | None:
        """The certificate a target declares as the metadata signer (``None`` if unsigned)."""
        if self.config.metadata_signature == "none":
            return None
        return self._key_files().metadata_anchor

    @property
    def signing_cert_file(self) -> Path:
        """The IdP's signing certificate (PEM)."""
        return self._key_files().idp_cert

    def _key_files(self) -> SamlKeys:
        if self._keys is None:
            raise RuntimeError("IdP not started")
        return self._keys

    # --- configuration files --------------------------------------------------------------

    def _write_keys(self) -> SamlKeys:
        config = self.config
        return write_saml_keys(
            self.folder / "cert",
            "idp.sdet-check.example",
            key_bits=config.key_bits,
            sha1=config.sha1,
            certificate_expired=config.certificate_expired,
            foreign_metadata_signer=config.metadata_signature == "foreign",
        )

    def _write_config(self, keys: SamlKeys) -> None:
        config = self.config
        root = self.folder
        conf = root / "config"
        metadata = root / "metadata"
        for folder in (conf, metadata, root / "log", root / "data", root / "tmp"):
            folder.mkdir(parents=True, exist_ok=True)
        signature_algorithm = RSA_SHA1 if config.sha1 else RSA_SHA256
        settings: dict[str, Any] = {
            "baseurlpath": self.base_url,
            "certdir": str(keys.idp_key.parent) + "/",
            "loggingdir": str(root / "log") + "/",
            "datadir": str(root / "data") + "/",
            "tempdir": str(root / "tmp"),
            "metadatadir": str(metadata) + "/",
            "metadata.sources": [{"type": "flatfile", "directory": str(metadata)}],
            "secretsalt": secrets.token_hex(16),
            "auth.adminpassword": secrets.token_hex(16),
            "admin.protectindexpage": True,
            "admin.protectmetadata": False,
            "technicalcontact_name": "Équipe sdet-check",
            "technicalcontact_email": "technique@sdet-check.example",
            "timezone": "UTC",
            "logging.handler": "file",
            "logging.logfile": "simplesamlphp.log",
            "enable.saml20-idp": True,
            "module.enable": {"exampleauth": True, "core": True, "saml": True, "admin": True},
            # Enforces each SP's "attributes" list: nothing beyond what was agreed is released.
            "authproc.idp": {50: "core:AttributeLimit"},
            "store.type": "phpsession",
            "session.cookie.secure": config.https,
            "session.phpsession.savepath": str(root / "tmp"),
            "language.default": "fr",
            "metadata.sign.enable": config.metadata_signature != "none",
            "metadata.sign.privatekey": keys.metadata_key.name,
            "metadata.sign.certificate": keys.metadata_cert.name,
            "metadata.sign.algorithm": RSA_SHA256,
        }
        users = {
            f"{user.login}:{self.password}": {k: list(v) for k, v in user.attributes.items()}
            for user in DEMO_USERS
        }
        if config.nameid_email:
            for user in DEMO_USERS:
                users[f"{user.login}:{self.password}"].setdefault(
                    "mail", [f"{user.login}@ent-demo.example"]
                )
        # An authsource is one PHP array: its module at index 0, then "login:password" keys.
        authsources: dict[str, Any] = {
            "admin": ["core:AdminPassword"],
            "ent-demo": {0: "exampleauth:UserPass", **users},
        }
        idp_hosted: dict[str, Any] = {
            "host": "__DEFAULT__",
            "privatekey": keys.idp_key.name,
            "certificate": keys.idp_cert.name,
            "auth": "ent-demo",
            "NameIDFormat": NAMEID_EMAIL if config.nameid_email else NAMEID_TRANSIENT,
            "signature.algorithm": signature_algorithm,
            "saml20.sign.assertion": config.sign_assertion,
            "saml20.sign.response": config.sign_response,
            "assertion.lifetime": config.assertion_lifetime_s,
            "attributes.NameFormat": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
        }
        if config.nameid_email:
            idp_hosted["simplesaml.nameidattribute"] = "mail"
        released = [a for a in SP_ATTRIBUTES if a not in config.withheld_attributes]
        released += [a for a in config.extra_attributes if a not in released]
        sp_cert_body = _pem_body(keys.sp_cert)
        acs = [{"Binding": BINDING_POST, "Location": SP_ACS_URL, "index": 0, "isDefault": True}]
        acs += [
            {"Binding": BINDING_POST, "Location": url, "index": number}
            for number, url in enumerate(config.extra_acs_urls, start=1)
        ]
        sp_remote = {
            SP_ENTITY_ID: {
                "AssertionConsumerService": acs,
                "attributes": released,
                "certData": sp_cert_body,
                "validate.authnrequest": config.require_signed_requests,
                "NameIDFormat": NAMEID_EMAIL if config.nameid_email else NAMEID_TRANSIENT,
            },
            GAR_SP_ENTITY_ID: {
                "AssertionConsumerService": [
                    {"Binding": BINDING_POST, "Location": GAR_SP_ACS_URL, "index": 0}
                ],
                "attributes": list(_GAR_ATTRIBUTES),
                "certData": sp_cert_body,
                "validate.authnrequest": config.require_signed_requests,
            },
        }
        _write_php(conf / "config.php", "config", settings)
        _write_php(conf / "authsources.php", "config", authsources)
        _write_php(metadata / "saml20-idp-hosted.php", "metadata", {"__DYNAMIC:1__": idp_hosted})
        _write_php(metadata / "saml20-sp-remote.php", "metadata", sp_remote)

    def _wait_ready(self) -> None:
        def stopped() -> str | None:
            if self._process is None or self._process.poll() is None:
                return None
            log = self.folder / "php-server.log"
            return f"php -S s'est arrêté (code {self._process.returncode}) ; journal : {log}"

        wait_for_metadata(
            self.metadata_url,
            str(self.ca_file) if self.ca_file else False,
            _START_TIMEOUT_S,
            stopped,
            SamlIdpUnavailable,
            "SimpleSAMLphp",
        )


class TargetIdp(Protocol):
    """What :func:`add_to_target` reads from a running IdP (``SamlIdp``, ``Pysaml2Idp``)."""

    password: str

    @property
    def metadata_url(self) -> str:
        """The IdP metadata address."""

    @property
    def sp_key_file(self) -> Path:
        """The test SP's private key."""

    @property
    def metadata_anchor_file(self) -> Path | None:
        """The metadata signer's certificate, ``None`` if unsigned."""

    @property
    def ca_file(self) -> Path | None:
        """The test CA, ``None`` over plain HTTP."""


def add_to_target(data: dict[str, Any], idp: TargetIdp) -> dict[str, str]:
    """Describe the running ``idp`` in the target dict ``data`` (changed in place).

    Adds the ``saml`` section (metadata, metadata signer, test SP, its key, GAR-like SP, the
    accounts to use and the agreed attributes), one account per demo user whose password
    comes from :data:`PASSWORD_ENV`, and the test CA. Returns the environment variables the
    target's secrets need: pass them to the loader, never write them in the file.
    """
    accounts = data.setdefault("accounts", [])
    known = {account["login"] for account in accounts}
    for user in DEMO_USERS:
        if user.login in known:
            continue
        expect = {
            "ENTPersonProfils": list(user.attributes["ENTPersonProfils"]),
            "ENTPersonStructRattachRNE": list(user.attributes["ENTPersonStructRattachRNE"]),
        }
        accounts.append(
            {
                "profile": user.profile,
                "login": user.login,
                "password_env": PASSWORD_ENV,
                "expect": expect,
            }
        )
    section: dict[str, Any] = {
        "metadata_url": idp.metadata_url,
        "sp_entity_id": SP_ENTITY_ID,
        "sp_acs_url": SP_ACS_URL,
        "sp_key_file": str(idp.sp_key_file.resolve()),
        "accounts": [user.login for user in DEMO_USERS],
        "agreed_attributes": list(SP_ATTRIBUTES),
        "gar": {"connected": True, "sp_entity_id": GAR_SP_ENTITY_ID, "sp_acs_url": GAR_SP_ACS_URL},
    }
    anchor = idp.metadata_anchor_file
    if anchor is not None:
        section["metadata_signing_cert"] = str(anchor.resolve())
    data["saml"] = section
    if idp.ca_file is not None:
        tls = data.setdefault("tls", {})
        existing = tls.get("ca_file")
        if existing and Path(existing).resolve() != idp.ca_file.resolve():
            raise ValueError(
                "the target already trusts another CA: start the IdP with the same pki_dir"
            )
        tls["ca_file"] = str(idp.ca_file.resolve())
    return {PASSWORD_ENV: idp.password}


# --- keys and PHP files -----------------------------------------------------------------


def _pem_body(cert_file: Path) -> str:
    lines = cert_file.read_text(encoding="ascii").strip().splitlines()
    return "".join(line for line in lines if not line.startswith("-----"))


def _write_php(path: Path, variable: str, value: Mapping[str, Any]) -> None:
    """Write ``$variable = [...]`` (one array per key for metadata files)."""
    if variable == "metadata":
        body = "".join(f"$metadata[{_php(key)}] = {_php(entry)};\n" for key, entry in value.items())
    else:
        body = f"${variable} = {_php(value)};\n"
    path.write_text("<?php\n" + body, encoding="utf-8")


def _php(value: Any) -> str:
    """Render a JSON-like Python value as a PHP literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, Mapping):
        items = ", ".join(f"{_php(k)} => {_php(v)}" for k, v in value.items())
        return f"[{items}]"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_php(v) for v in value) + "]"
    raise TypeError(f"cannot render {type(value).__name__} in PHP")
