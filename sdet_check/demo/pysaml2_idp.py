"""A second real SAML 2.0 identity provider on loopback: pysaml2, not SimpleSAMLphp's code base.

:class:`Pysaml2Idp` runs :mod:`sdet_check.demo.pysaml2_wsgi` in a subprocess: a
``saml2.server.Server`` (pysaml2, Apache-2.0) behind our own thin WSGI glue, on
``https://127.0.0.1:<ephemeral>/`` with the project's test PKI (or plain HTTP for the
``http_en_clair`` variant). pysaml2 parses and verifies the HTTP-Redirect AuthnRequest
(signature by the test SP key), builds and signs (xmlsec1) the Response and its Assertion,
writes the HTTP-POST form, generates the metadata and its enveloped signature (a separate
metadata signing key). The glue serves a French login form (username + password) between the
request and the response, and injects the deliberate faults of the broken variants.

Its public interface mirrors :class:`sdet_check.demo.saml.SamlIdp` (``base_url``,
``metadata_url``, ``entity_id``, ``ca_file``, ``sp_key_file``, ``metadata_anchor_file``,
``signing_cert_file``, ``password``) and :func:`add_pysaml2_idp_to_target` writes the same
``saml`` target section as :func:`sdet_check.demo.saml.add_to_target`: same demo users, same
agreed attributes, same test SP and GAR-like SP, so one target layout fits both IdPs.

What a probe sees, pysaml2 7.5.5 (this peer, ``conforme``) against SimpleSAMLphp 1.19
(``sdet_check.demo.saml``, ``conforme``), observed by ``tests/demo/test_pysaml2_idp_peer.py``
and by hand, read against saml-core/bindings/profiles/metadata-2.0-os:

======================  =====================================  =====================================
What                    pysaml2 peer                           SimpleSAMLphp peer
======================  =====================================  =====================================
entityID                ``<base>/metadata``, also the          ``<base>/saml2/idp/metadata.php``,
                        metadata URL                           also the metadata URL
metadata root           ``validUntil`` (now + 24 h),           ``ID`` (``_`` + 64 hex) only:
attributes              ``cacheDuration="PT1H"``, ``ID``       SSO-SAML-002 fails
                        (``id-`` + 17 chars)
namespace prefixes      ``ns0`` (md), ``ns1`` (ds), ``ns2``    ``md``, ``ds``
                        (alg): never match on prefixes
root children, in       ``ds:Signature``, ``md:Extensions``    ``ds:Signature``,
order                   (alg:DigestMethod and                  ``md:IDPSSODescriptor``,
                        alg:SigningMethod, md5 and SHA-1       ``md:ContactPerson``
                        listed among them),
                        ``md:IDPSSODescriptor``,
                        ``md:Organization``,
                        ``md:ContactPerson``
metadata signature      enveloped, reference ``#ID``,          same
                        exc-c14n, rsa-sha256 and sha256,
                        KeyInfo = the metadata certificate
IDPSSODescriptor        ``WantAuthnRequestsSigned="true"``     protocolSupportEnumeration only
KeyDescriptor           one, ``use="signing"``                 ``use="signing"`` and
                                                               ``use="encryption"``
SingleLogoutService     none                                   HTTP-Redirect
SingleSignOnService     HTTP-Redirect                          HTTP-Redirect
NameIDFormat declared   transient                              transient
Response children       Issuer, Signature, Status, Assertion   same
Issuer of Response and  ``Format="...:nameid-format:entity"``  no Format
Assertion
Assertion children      Issuer, Signature, Subject,            same
                        Conditions, AuthnStatement,
                        AttributeStatement
message IDs             ``id-`` + 17 letters and digits        ``_`` + 42 hex
NameID                  transient, 64 hex, ``NameQualifier``   transient, ``_`` + 42 hex,
                        (the IdP) and ``SPNameQualifier``      ``SPNameQualifier`` only
Conditions NotBefore    = IssueInstant                         IssueInstant - 30 s
AuthnStatement          PasswordProtectedTransport,            PasswordProtectedTransport,
                        AuthenticatingAuthority, no            ``SessionNotOnOrAfter``
                        ``SessionNotOnOrAfter``
Attribute               ``Name`` = SDET name, NameFormat       ``Name`` = SDET name, NameFormat
                        basic, ``FriendlyName`` = the name     basic, no FriendlyName
                        (pysaml2's own maps, variant
                        carte_attributs_par_defaut:
                        NameFormat uri everywhere, OID names
                        for the names it knows, e.g. uid;
                        other names kept though not URIs,
                        core §8.2.2)
unknown SP              HTTP 403 page, no SAML message, no     HTTP 200 error page
                        login form                             (METADATANOTFOUND), no login form
undeclared ACS          HTTP 403 page, no SAML message         falls back: after login, Success
requested                                                      posted to the declared ACS
no ACS in the request   Success to the metadata's default ACS  same
unsigned or badly       HTTP 400 page                          HTTP 200 error page
signed AuthnRequest                                            (UNHANDLEDEXCEPTION)
(signature required)
NameIDPolicy Format     before any login, a signed error       ignored: login, then Success with a
not declared            Response posted to the ACS:            transient NameID
(persistent,            StatusCode Responder /
emailAddress)           InvalidNameIDPolicy (pysaml2 always
                        puts Responder on top, core §3.2.2.2)
NameIDPolicy Format     transient NameID                       transient NameID
unspecified
HTTP-Redirect           verified over the parameters           same refusal
signature               re-encoded by the IdP: an SP that
                        percent-encodes in lower case is
                        refused
======================  =====================================  =====================================

Two pysaml2 7.5.5 behaviours the glue works around: ``Server.verify_assertion_consumer_service``
raises on the dictionaries its own metadata store returns (``AttributeError``), so the glue
checks the ACS itself; and pysaml2 honours any NameIDPolicy Format asked for (a persistent or
unspecified NameID though only transient is declared; emailAddress without a ``mail``
attribute raises), so the glue refuses formats its metadata does not declare.

Nothing here is fit for production: keys are unencrypted, users and passwords are made up.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import secrets
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sdet_check.demo.peer import ChildServer, Peer, child_environment
from sdet_check.demo.pki import PkiFiles, ensure_pki
from sdet_check.demo.pysaml2_wsgi import (
    LOGIN_PATH,
    LOGIN_STEP_ONE_PATH,
    METADATA_PATH,
    PASSWORD_VARIABLE,
    SSO_REDIRECT_PATH,
)
from sdet_check.demo.saml import (
    DEMO_USERS,
    GAR_SP_ACS_URL,
    GAR_SP_ENTITY_ID,
    NAMEID_EMAIL,
    NAMEID_TRANSIENT,
    SP_ACS_URL,
    SP_ATTRIBUTES,
    SP_ENTITY_ID,
    UNDECLARED_ACS_URL,
    SamlIdpUnavailable,
    SamlKeys,
    write_saml_keys,
)
from sdet_check.messages import msg, text

__all__ = [
    "APT_PACKAGES",
    "DEMO_USERS",
    "FOREIGN_FORM_ACTION",
    "GAR_ATTRIBUTES",
    "LOGIN_PATH",
    "LOGIN_STEP_ONE_PATH",
    "SSO_REDIRECT_PATH",
    "VARIANTS",
    "WRONG_AUDIENCE",
    "WRONG_RECIPIENT",
    "Pysaml2Config",
    "Pysaml2Idp",
    "Pysaml2IdpUnavailable",
    "add_pysaml2_idp_to_target",
    "missing_requirements",
]

APT_PACKAGES = ("xmlsec1",)
"""Debian packages the IdP needs (pysaml2 signs and verifies through the xmlsec1 binary)."""

INSTALL_HINT = text("demo.pysaml2.install_hint", "fr")
"""How to install what the peer needs, in French (``demo.pysaml2.install_hint``)."""

GAR_ATTRIBUTES = ("idEnt", "GARPersonIdentifiant")
"""Attributes released to the GAR-like SP (the same as the SimpleSAMLphp peer's)."""

FOREIGN_FORM_ACTION = "https://collecte.sdet-check.invalid/identifiants"
"""Default ``form_action`` of ``formulaire_etranger``; tests replace it with their capture URL."""

WRONG_AUDIENCE = "https://autre-sp.sdet-check.example/sp"
"""Audience of ``audience_erronee``: a real-looking SP that is not the requester."""

WRONG_RECIPIENT = "https://autre-sp.sdet-check.example/acs"
"""Recipient of ``destinataire_errone``."""

LOGIN_FORMS = ("simple", "renamed", "two_steps")

_READY_TIMEOUT_S = 30.0


class Pysaml2IdpUnavailable(SamlIdpUnavailable):
    """pysaml2 or xmlsec1 is missing, or the subprocess did not start: the message says why.

    A ``SamlIdpUnavailable``, so code written for either IdP catches one exception.
    """


def missing_requirements() -> str | None:
    """Say what is missing to run the IdP, or ``None`` when pysaml2 and xmlsec1 are there."""
    problems = []
    if importlib.util.find_spec("saml2") is None:
        problems.append(msg("demo.pysaml2.missing.pysaml2"))
    if shutil.which("xmlsec1") is None:
        problems.append(msg("demo.pysaml2.missing.xmlsec1"))
    if not problems:
        return None
    return msg("demo.pysaml2.unavailable", problems=problems, hint=msg("demo.pysaml2.install_hint"))


@dataclass(frozen=True)
class Pysaml2Config:
    """What the pysaml2 IdP does, one field per behaviour a probe observes."""

    https: bool = True
    """Serve over TLS with the test PKI; else plain HTTP (every endpoint ``http://``)."""
    login_form: str = "simple"
    """``simple`` (username/password), ``renamed`` (identifiant/secret + CSRF token),
    ``two_steps`` (login on one page, password on the next)."""
    form_action: str | None = None
    """Where the login form posts; ``None`` is the IdP itself (a foreign URL steals it)."""
    certificate_expired: bool = False
    """The IdP signing certificate expired yesterday (pysaml2 signs with it anyway)."""
    key_bits: int = 2048
    """Size of the IdP's RSA key."""
    sha1: bool = False
    """SHA-1 in the certificate's own signature and in the XML signatures (rsa-sha1)."""
    sign_assertion: bool = True
    """The Assertion carries its own signature."""
    sign_response: bool = True
    """The Response carries a signature."""
    withheld_attributes: tuple[str, ...] = ()
    """Agreed attributes the IdP does not release to the test SP."""
    extra_attributes: tuple[str, ...] = ()
    """Attributes released to the test SP beyond the agreed list."""
    nameid_email: bool = False
    """NameID in emailAddress format carrying the user's e-mail (else transient)."""
    assertion_lifetime_s: int = 300
    """Assertion lifetime; a negative value issues assertions already expired."""
    metadata_signature: str = "valid"
    """``valid`` (signed, anchor given), ``none`` (unsigned), ``foreign`` (signed, wrong anchor)."""
    metadata_valid_hours: int = 24
    """``validUntil`` = now + this many hours; 0 leaves ``validUntil`` out."""
    metadata_cache_duration: str = "PT1H"
    """``cacheDuration`` of the metadata root; empty leaves it out."""
    extra_acs_urls: tuple[str, ...] = ()
    """ACS addresses the IdP trusts for the test SP beyond the declared one."""
    require_signed_requests: bool = True
    """AuthnRequests must carry a valid HTTP-Redirect signature by the SP key."""
    audience: str | None = None
    """Audience written in the assertion instead of the requesting SP's entityID."""
    recipient: str | None = None
    """Bearer ``Recipient`` written instead of the ACS address."""
    in_response_to: bool = True
    """Response and SubjectConfirmationData carry ``InResponseTo``."""
    signature_wrapping: bool = False
    """An unsigned forged assertion precedes the signed one (Response itself unsigned)."""
    sdet_attribute_map: bool = True
    """Attributes named as in the SDET (basic NameFormat); else pysaml2's own maps."""
    accept_unknown_sp: bool = False
    """An SP missing from the IdP's metadata is trusted on first use at the ACS it asks for
    (it gets a Success response with a NameID, no attribute)."""

    def __post_init__(self) -> None:
        """Refuse values the IdP cannot be set to."""
        if self.metadata_signature not in ("valid", "none", "foreign"):
            raise ValueError("metadata_signature must be valid, none or foreign")
        if self.login_form not in LOGIN_FORMS:
            raise ValueError("login_form must be one of " + ", ".join(LOGIN_FORMS))
        if self.key_bits < 1024:
            raise ValueError("key_bits must be at least 1024")
        if self.form_action is not None and not self.form_action.startswith(
            ("http://", "https://")
        ):
            raise ValueError("form_action must be an absolute http(s) URL")

    @classmethod
    def conformant(cls) -> Pysaml2Config:
        """Build the IdP that passes every ``saml`` probe."""
        return cls()

    def with_form_action(self, url: str) -> Pysaml2Config:
        """The same configuration whose login form posts to ``url``."""
        return dataclasses.replace(self, form_action=url)


VARIANTS: Mapping[str, Pysaml2Config] = {
    "conforme": Pysaml2Config(),
    "champs_renommes": Pysaml2Config(login_form="renamed"),
    "connexion_en_deux_etapes": Pysaml2Config(login_form="two_steps"),
    "formulaire_etranger": Pysaml2Config(form_action=FOREIGN_FORM_ACTION),
    "http_en_clair": Pysaml2Config(https=False),
    "certificat_expire": Pysaml2Config(certificate_expired=True),
    "cles_faibles_sha1": Pysaml2Config(key_bits=1024, sha1=True),
    "assertion_non_signee": Pysaml2Config(sign_assertion=False, sign_response=False),
    "attribut_non_publie": Pysaml2Config(withheld_attributes=("ENTPersonProfils",)),
    "nameid_courriel": Pysaml2Config(nameid_email=True, extra_attributes=("mail",)),
    "assertion_echue": Pysaml2Config(assertion_lifetime_s=-600),
    "metadonnees_non_signees": Pysaml2Config(metadata_signature="none"),
    "metadonnees_signature_etrangere": Pysaml2Config(metadata_signature="foreign"),
    "acs_non_declaree_acceptee": Pysaml2Config(extra_acs_urls=(UNDECLARED_ACS_URL,)),
    # Faults SimpleSAMLphp cannot be configured into:
    "audience_erronee": Pysaml2Config(audience=WRONG_AUDIENCE),
    "destinataire_errone": Pysaml2Config(recipient=WRONG_RECIPIENT),
    "sans_inresponseto": Pysaml2Config(in_response_to=False),
    "metadonnees_sans_validite": Pysaml2Config(metadata_valid_hours=0, metadata_cache_duration=""),
    "signature_detournee": Pysaml2Config(signature_wrapping=True),
    "carte_attributs_par_defaut": Pysaml2Config(sdet_attribute_map=False),
    "sp_inconnu_accepte": Pysaml2Config(accept_unknown_sp=True, require_signed_requests=False),
}
"""Named configurations: the conformant IdP, login-form variations and broken ones."""


class Pysaml2Idp(Peer):
    """pysaml2 on ``127.0.0.1``, files in ``folder``; same interface as ``SamlIdp``.

    Usage::

    with Pysaml2Idp(VARIANTS["conforme"], tmp_path) as idp:
        idp.metadata_url, idp.password, add_pysaml2_idp_to_target(target_data, idp)
    """

    def __init__(
        self, config: Pysaml2Config, folder: Path | None = None, pki_dir: Path | None = None
    ) -> None:
        """Prepare an IdP; ``pki_dir`` holds the test PKI of the TLS server (reused or made).

        Without ``folder`` a temporary one is made and removed on stop.
        """
        self.config = config
        self._own_folder = folder is None
        self.folder = (folder or Path(tempfile.mkdtemp(prefix="sdet-pysaml2-"))).resolve()
        self.pki_dir = (pki_dir or self.folder / "pki").resolve()
        self.password = secrets.token_urlsafe(12)
        """The demo users' password (fresh for each IdP)."""
        self._child = ChildServer(
            "le fournisseur d'identité pysaml2",
            unavailable=Pysaml2IdpUnavailable,
            ready_timeout_s=_READY_TIMEOUT_S,
        )
        self._pki: PkiFiles | None = None
        self._keys: SamlKeys | None = None
        self._base_url = ""
        self.start_seconds: float | None = None
        """How long the last start took (subprocess up and metadata signed)."""

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Write keys and spec, start the subprocess, return once it serves."""
        if self._child.running:
            raise RuntimeError("IdP already started")
        problem = missing_requirements()
        if problem:
            raise Pysaml2IdpUnavailable(problem)
        began = time.monotonic()
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.config.https:
            self._pki = ensure_pki(self.pki_dir)
        self._keys = self._write_keys()
        spec = self._write_spec(self._keys)
        environment = child_environment(**{PASSWORD_VARIABLE: self.password})
        try:
            port = self._child.start(
                "sdet_check.demo.pysaml2_wsgi", spec, cwd=self.folder, env=environment
            )
        except BaseException:
            self.stop()
            raise
        scheme = "https" if self.config.https else "http"
        self._base_url = f"{scheme}://127.0.0.1:{port}/"
        self.start_seconds = time.monotonic() - began

    def stop(self) -> None:
        """Stop the subprocess by closing its standard input (then by signal if need be)."""
        self._child.stop()
        if self._own_folder and self._keys is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self._keys = None
            self._pki = None

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
        return self.base_url + METADATA_PATH

    @property
    def entity_id(self) -> str:
        """The IdP entityID (the metadata address, as SimpleSAMLphp does)."""
        return self.metadata_url

    @property
    def sso_url(self) -> str:
        """The SingleSignOnService address (HTTP-Redirect binding)."""
        return self.base_url + SSO_REDIRECT_PATH

    @property
    def ca_file(self) -> Path | None:
        """The test CA a client trusts (``None`` over plain HTTP)."""
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

    def output(self) -> str:
        """What the subprocess printed so far (for a test's failure message)."""
        return "\n".join(self._child.output)

    def _key_files(self) -> SamlKeys:
        if self._keys is None:
            raise RuntimeError("IdP not started")
        return self._keys

    # --- files ------------------------------------------------------------------------------

    def _write_keys(self) -> SamlKeys:
        config = self.config
        return write_saml_keys(
            self.folder / "cert",
            "idp-pysaml2.sdet-check.example",
            key_bits=config.key_bits,
            sha1=config.sha1,
            certificate_expired=config.certificate_expired,
            foreign_metadata_signer=config.metadata_signature == "foreign",
        )

    def _write_spec(self, keys: SamlKeys) -> Path:
        config = self.config
        maps = self.folder / "attributemaps"
        maps.mkdir(exist_ok=True)
        names = sorted(
            {name for user in DEMO_USERS for name in user.attributes} | {"mail"}, key=str.lower
        )
        # pysaml2 reads attribute maps as Python modules defining MAP.
        (maps / "sdet.py").write_text(
            "MAP = "
            + repr(
                {
                    "identifier": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
                    "fro": {name: name for name in names},
                    "to": {name: name for name in names},
                }
            )
            + "\n",
            encoding="utf-8",
        )
        released = [a for a in SP_ATTRIBUTES if a not in config.withheld_attributes]
        released += [a for a in config.extra_attributes if a not in released]
        users = []
        for user in DEMO_USERS:
            attributes = {name: list(values) for name, values in user.attributes.items()}
            if config.nameid_email:
                attributes.setdefault("mail", [f"{user.login}@ent-demo.example"])
            users.append({"login": user.login, "attributes": attributes})
        variant = dataclasses.asdict(config)
        name_id_formats = [NAMEID_EMAIL] if config.nameid_email else [NAMEID_TRANSIENT]
        spec: dict[str, Any] = {
            "tls": None
            if self._pki is None
            else {"cert_file": str(self._pki.cert_file), "key_file": str(self._pki.key_file)},
            "xmlsec1": shutil.which("xmlsec1"),
            "keys": {
                "idp_key": str(keys.idp_key),
                "idp_cert": str(keys.idp_cert),
                "metadata_key": str(keys.metadata_key),
                "metadata_cert": str(keys.metadata_cert),
            },
            "attribute_map_dir": str(maps),
            "service_providers": [
                {
                    "entity_id": SP_ENTITY_ID,
                    "acs_urls": [SP_ACS_URL, *config.extra_acs_urls],
                    "cert_file": str(keys.sp_cert),
                    "name_id_formats": name_id_formats,
                },
                {
                    "entity_id": GAR_SP_ENTITY_ID,
                    "acs_urls": [GAR_SP_ACS_URL],
                    "cert_file": str(keys.sp_cert),
                    "name_id_formats": [NAMEID_TRANSIENT],
                },
            ],
            "released_attributes": {
                SP_ENTITY_ID: released,
                GAR_SP_ENTITY_ID: list(GAR_ATTRIBUTES),
            },
            "users": users,
            "variant": variant,
        }
        path = self.folder / "idp.json"
        path.write_text(json.dumps(spec, ensure_ascii=False, indent=1), encoding="utf-8")
        return path


def add_pysaml2_idp_to_target(data: dict[str, Any], idp: Pysaml2Idp) -> dict[str, str]:
    """Describe the running pysaml2 ``idp`` in the target dict ``data`` (changed in place).

    The same ``saml`` section, accounts and test CA as
    :func:`sdet_check.demo.saml.add_to_target`; returns the environment variables the
    target's secrets need (the demo users' password).
    """
    from sdet_check.demo.saml import add_to_target

    return add_to_target(data, idp)
