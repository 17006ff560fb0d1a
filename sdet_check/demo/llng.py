r"""LemonLDAP::NG (Debian package) as a real CAS server and SAML 2.0 IdP on loopback.

A second implementation beside django-cas-server and SimpleSAMLphp, of a wholly different
code base (Perl, Lasso), widely used by French académies. :class:`LlngServer` writes into a
temporary folder a ``lemonldap-ng.ini`` (named by ``LLNG_DEFAULTCONFFILE``), a File
configuration ``conf/lmConf-1.json``, its own session, cache and key folders, two small Perl
modules that log the demo accounts (:data:`sdet_check.demo.cas.ACCOUNTS`) in through
LemonLDAP::NG's ``customAuth``/``customUserDB`` hooks, and an ``app.psgi``. It serves the
portal with Starman (preforking PSGI server, 4 workers each loading the app) on an ephemeral
port of 127.0.0.1; TLS ends in a small front before it (the one of
:mod:`sdet_check.demo.saml`, with the project's test PKI), as nginx or Apache does before a
real portal (``http_en_clair``: Starman answers in plain HTTP). Nothing is read from or
written to ``/etc`` or ``/var/lib/lemonldap-ng``. A small Perl guard stops Starman when its
standard input closes: on :meth:`stop`, or when the Python process dies. Start: about 1.5 s.
Two CAS applications are registered (:data:`SERVICE_APPS`, prefix match,
``casStrictMatching``), and the test SP of :mod:`sdet_check.demo.saml` (its own key here).
The demo accounts' attributes reach the portal as UTF-8 byte strings, as Net::LDAP gives
them.

Serving choices, observed while building this peer: Plack's single-process
``HTTP::Server::PSGI`` froze for everyone on one idle TCP connection; Starman's
``--preload-app`` makes the workers share the ``__DATA__`` handle the metadata template is
read from, so that concurrent metadata requests fail with HTTP 500 (HTML::Template syntax
error); LemonLDAP::NG puts Perl character strings in PSGI bodies and counts
``Content-Length`` in characters, so that through Starman's own TLS (``IO::Socket::SSL``)
UTF-8 attribute values went out double-encoded (``LÃ©a``) and the body was cut short by one
byte per extra byte (``</cas:serviceResponse`` without its ``>``: ill-formed XML). Over a
plain socket the strings go out byte for byte; non-ASCII configuration strings
(``samlOrganizationDisplayName``) then go out in Latin-1, so that the metadata stops being
well-formed UTF-8: the organisation name here is ASCII.

What LemonLDAP::NG 2.16.1 does, observed with plain ``requests`` (``tests/demo/
test_llng_peer.py`` pins the starred rows). ``<C>`` is :attr:`LlngServer.url` (``…/cas``).

CAS (``issuerDBCASActivation``, ``casAccessControlPolicy=error``):

=====================================  ===================================================
request                                answer
=====================================  ===================================================
GET <C>/login?service=S (no session)*  200 HTML; ``<form id="lform" action="#" method=
                                       "post">``; inputs ``user``, ``password``, ``token``
                                       (one-time, required), ``url`` (base64 of ``<C>``),
                                       ``timezone``, ``skin``; **no** ``service``/``lt``/
                                       ``execution`` input: the service stays in the query
                                       string and in a ``lemonldappdata`` cookie (JSON)
POST the form to the same URL*         302 ``S?ticket=ST-<64 hex>`` (67 chars); sets
                                       ``lemonldap=<64 hex>; domain=.127.0.0.1; path=/;
                                       HttpOnly=1; SameSite=None; secure``. Works with no
                                       cookie at all when the query (or a ``service`` body
                                       field) carries the service; ``username`` instead of
                                       ``user`` → the form again
GET login (no service) first, then   the jar keeps a ``lemonldappdata`` cookie: the later
login?service=S in the same jar*       POST lands on 302 ``<C>`` → 302 portal root, **no
                                       ticket**; a new GET login?service=S then gives one
bad password / no token / reused token 200 HTML, ``trmsg`` 5 / 81 / 82 (every portal error
                                       page is HTTP 200 with ``<span trmsg="N">``)
GET login?service=S with session*      302 with a new ST (SSO)
renew=true, session < 5 s old          302 with a ticket at once: a login younger than
                                       ``portalForceAuthnInterval`` (5 s) counts as fresh
renew=true, session older              200 "askToRenew" page, form ``upgrd`` posting
                                       ``confirm``, ``forceUpgrade``, ``url`` to
                                       ``/renewsession`` → login form (+ ``upgrading``) →
                                       302 to ``https://host//cas/login`` → 302 ``S?ticket``
gateway=true, no session*              302 to S without ticket; with session: 302 with ST;
                                       unknown service: 200 HTML trmsg 107
unregistered service*                  with session: 200 HTML trmsg 107 (PE_UNKNOWNPARTNER);
                                       without: the login form first, 107 after login;
                                       ``http://`` twin of S: 107; ``S/sub?x=1``: ticket
                                       (prefix match); ``service_ouvert``: any URL gets one
GET <C>/validate*                      ``yes\nuser\n`` (``application/soap+xml``) or
                                       ``no\n\n`` (no Content-Type); ``ST-`` or ``ST-0``
                                       (Perl-false id) → HTTP 500 ``Internal Server Error``
GET /serviceValidate, /p3/…*           200 ``application/soap+xml``, no XML declaration,
                                       namespace ``http://www.yale.edu/tp/cas``; attributes
                                       on **both** CAS 2 and 3 paths (values not escaped);
                                       one-time tickets; ST lifetime ``casTicketExpiration``
                                       (300 s here; 0 = the SSO session's 2 h)
  missing service or ticket*           ``INVALID_REQUEST``
  wrong prefix (``XX-``, a PT, a PGT)* ``INVALID_TICKET`` (never ``INVALID_TICKET_SPEC``)
  unknown / replayed / expired*        ``INVALID_TICKET`` ("Ticket not found"/"expired")
  other registered service*            ``INVALID_SERVICE`` and the ticket is burnt; a
                                       trailing ``/`` differs too
  renew=true, ticket not from a fresh  ``no\n\n`` (a CAS 1 body on the CAS 2/3 path, a bug)
  login
  with the browser's SSO cookie*       302 to the portal root, ticket **not** consumed
  POST                                 200 HTML portal page (routes are GET only)
/proxyValidate, /p3/proxyValidate*     accept ST and PT; PT: ``cas:proxies`` listed, but
                                       ``cas:attributes`` empty (PT sessions have no app)
pgtUrl*                                any URL, not registered, **plain http accepted**;
                                       called by GET ``?pgtIou=PGTIOU-…&pgtId=PGT-…`` with
                                       certificate checks (``lwpSslOpts`` = test CA); call
                                       failed → success without ``proxyGrantingTicket``
GET <C>/proxy?pgt&targetService*       ``proxySuccess`` ``PT-<64 hex>``; targetService
                                       not checked (unregistered accepted); missing pgt
                                       or targetService → ``proxySuccess`` all the same;
                                       unknown or non-``PGT-`` pgt → HTTP 500 text/plain
                                       (2.16.1 forgets ``return`` after its errors)
<C>/samlValidate*                      not implemented: 200 HTML portal page
GET <C>/logout?service=S*              302 to S (registered); unknown S: 200 trmsg 108;
                                       no service: 302 to the portal; ``url=``: 200 page
                                       with a link; SSO cookie cleared, tickets deleted
=====================================  ===================================================

SAML 2.0 IdP (``issuerDBSAMLActivation``):

=====================================  ===================================================
what                                   observed
=====================================  ===================================================
metadata* ``…/saml/metadata``          200 ``application/xml``, no Cache-Control; entityID
                                       = its URL; no ``validUntil``, no ``cacheDuration``,
                                       **unsigned**; ``IDPSSODescriptor``
                                       ``WantAuthnRequestsSigned="true"``; SSO bindings
                                       HTTP-Redirect and HTTP-POST (``/saml/singleSignOn``)
                                       and HTTP-Artifact; SLO SOAP/Redirect/POST;
                                       NameIDFormat emailAddress, X509SubjectName,
                                       WindowsDomainQualifiedName, kerberos, entity,
                                       transient (no persistent, no unspecified); the same
                                       document also carries an ``SPSSODescriptor`` and an
                                       ``AttributeAuthorityDescriptor``; signing and
                                       encryption KeyDescriptors with X509Certificate
signed AuthnRequest, no session*       200 login form (same fields as CAS, trmsg 9); after
                                       login 200 HTML ``<form id="form" action=ACS
                                       method="post">`` with ``SAMLResponse``, ``RelayState``
                                       (echoed); with a session: that form at once
Response*                              ``Issuer, Signature, Status, Assertion``; Assertion
                                       ``Issuer, Signature, Subject, Conditions,
                                       AuthnStatement, AttributeStatement``; both signed
                                       rsa-sha256, exc-c14n, sha256 digest; **KeyInfo holds
                                       a KeyValue (RSA modulus), no X509Data**;
                                       ``reponse_saml_non_signee``: Response unsigned,
                                       Assertion still signed (Lasso always signs it)
assertion content                      NameID transient (``_<32 hex>``), or what the request
                                       asks (emailAddress → the mail) whatever the SP
                                       option; bearer SubjectConfirmationData with
                                       Recipient, InResponseTo, NotOnOrAfter +300 s;
                                       Conditions NotBefore −60 s, NotOnOrAfter +360 s,
                                       Audience = SP entityID; AuthnContextClassRef
                                       ``Password``; SessionNotOnOrAfter +2 h; attributes
                                       basic NameFormat, FriendlyName = Name, multi-valued
                                       split on ``;``
unsigned / badly signed request        no session: login form first; with session: 200
                                       HTML trmsg 57 (PE_SAML_SIGNATURE_ERROR)
unknown SP*                            no session: login form first; then 200 HTML trmsg
                                       107; no SAML error Response to anyone
undeclared ACS URL                     200 HTML trmsg 51 (PE_SAML_SSO_ERROR)
=====================================  ===================================================

Portal HTML pages carry a CSP and ``X-Frame-Options: DENY``, no HSTS.

Against the CAS protocol (3.0, and 2.0 where it is the same), in short: the login form has no
``username`` nor ``lt`` field (§2.1.3/§2.2.2: ``user`` and a one-time ``token`` instead);
``/proxy`` issues PTs for any ``targetService``, even without ``pgt``, and answers HTTP 500
instead of ``proxyFailure`` for a bad PGT (§2.7); ``pgtUrl`` over plain HTTP is called and a
PGT issued (§2.5.4 wants HTTPS); ``INVALID_TICKET_SPEC`` and ``INVALID_PROXY_CALLBACK`` are
never used; ``renew`` is refused on ``/serviceValidate`` with the CAS 1 ``no`` body;
``/samlValidate`` is absent (optional, §4). What it does right: one-time tickets bound to
their service, ``INVALID_SERVICE``, ``/serviceValidate`` refuses PTs, ``/proxyValidate``
lists proxies, gateway, renew at ``/login`` (after 5 s), logout redirect only to registered
services, unregistered services refused.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sdet_check.demo import llng_perl
from sdet_check.demo.cas import (
    ACCOUNTS,
    OTHER_SERVICE,
    SERVICE,
    DemoAccount,
    account_entries,
    cas_section,
)
from sdet_check.demo.peer import (
    Peer,
    TlsFront,
    end_process,
    free_port,
    wait_for_metadata,
    write_private,
    write_self_signed,
)
from sdet_check.demo.pki import PkiFiles, ensure_pki
from sdet_check.demo.saml import (
    BINDING_POST,
    NAMEID_TRANSIENT,
    SP_ACS_URL,
    SP_ENTITY_ID,
)

APT_PACKAGES = (
    "liblemonldap-ng-portal-perl",
    "libplack-perl",
    "liblasso-perl",
    "libxml-simple-perl",
    "libio-string-perl",
    "starman",
)
"""Debian packages the peer needs: the portal, Plack, its SAML modules, the PSGI server."""

PORTAL_MODULE = Path("/usr/share/perl5/Lemonldap/NG/Portal/Main.pm")
"""A file of the installed portal, to tell whether LemonLDAP::NG is there."""

PERL_MODULES = {
    "Lasso": "liblasso-perl",
    "XML::Simple": "libxml-simple-perl",
    "IO::String": "libio-string-perl",
    "Plack::Builder": "libplack-perl",
    "IO::Socket::SSL": "libio-socket-ssl-perl",
}
"""Perl modules the portal loads beyond its own Depends, and the Debian package of each."""

TEMPLATE_DIR = Path("/usr/share/lemonldap-ng/portal/templates")
"""The portal's HTML templates."""

CAS_PATH = "cas"
"""Path of the CAS issuer under the portal (``issuerDBCASPath`` ``^/cas/``)."""

SAML_METADATA_PATH = "saml/metadata"
"""Path of the IdP metadata under the portal (also its entityID)."""

COOKIE_NAME = "lemonldap"
"""Name of the SSO cookie."""

SERVICE_APPS = {"cahier-de-textes": SERVICE, "messagerie": OTHER_SERVICE}
"""CAS applications registered on the server, by configuration key."""

RELEASED_ATTRIBUTES = (
    "uid",
    "ENTPersonJointure",
    "ENTPersonProfils",
    "ENTPersonStructRattach",
    "ENTPersonStructRattachRNE",
    "ENTEleveClasses",
    "ENTEleveNivFormation",
    "ENTAuxEnsClasses",
    "sn",
    "givenName",
    "mail",
)
"""Attributes released to the CAS applications and to the test SP."""

STARMAN = "/usr/bin/starman"
"""Starman, the preforking PSGI server that serves the portal (Debian package ``starman``)."""

_WORKERS = 4
_READY_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 5.0
_SP_KEY = "sp-test"


class LlngUnavailable(RuntimeError):
    """LemonLDAP::NG, Plack or Lasso is not installed: the message names the Debian packages."""


def missing_requirements() -> str | None:
    """Say what is missing to run the peer, or ``None`` when everything is installed."""
    problems = []
    if shutil.which("perl") is None:
        problems.append("perl introuvable")
    if not Path(STARMAN).is_file():
        problems.append("starman absent")
    if not PORTAL_MODULE.is_file():
        problems.append("portail LemonLDAP::NG absent")
    if not problems:
        check = subprocess.run(
            ["perl", "-e", 'for (@ARGV) { eval "require $_; 1" or print "$_\\n" }', *PERL_MODULES],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        problems += [
            f"module Perl {name} absent ({PERL_MODULES[name]})"
            for name in check.stdout.split()
            if name in PERL_MODULES
        ]
    if not problems:
        return None
    packages = " ".join(APT_PACKAGES)
    return (
        "pair LemonLDAP::NG indisponible (" + ", ".join(problems) + ") : installer les paquets "
        f"Debian {packages} (apt-get install -y --no-install-recommends {packages})"
    )


@dataclass(frozen=True)
class LlngConfig:
    """What the LemonLDAP::NG peer does, one field per behaviour a probe observes."""

    https: bool = True
    """Serve HTTPS with the test PKI; else plain HTTP (cookie then not ``Secure``)."""
    access_control: str = "error"
    """``casAccessControlPolicy``: ``error`` refuses unregistered services, ``none`` serves all."""
    sign_sso: bool = True
    """``samlSPMetaDataOptionsSignSSOMessage`` for the test SP."""
    withheld_attributes: tuple[str, ...] = ()
    """Attributes neither released to CAS applications nor to the test SP."""
    ticket_lifetime_s: int = 300
    """``casTicketExpiration``; 0 is LemonLDAP::NG's default: a ticket lives as long as the
    SSO session (``timeout``, here 2 h)."""

    def __post_init__(self) -> None:
        """Refuse values LemonLDAP::NG cannot be set to."""
        if self.access_control not in ("error", "none", "faketicket"):
            raise ValueError("access_control must be error, none or faketicket")
        if self.ticket_lifetime_s < 0:
            raise ValueError("ticket_lifetime_s must be 0 (session lifetime) or positive")


VARIANTS: Mapping[str, LlngConfig] = {
    "conforme": LlngConfig(),
    "http_en_clair": LlngConfig(https=False),
    "service_ouvert": LlngConfig(access_control="none"),
    "reponse_saml_non_signee": LlngConfig(sign_sso=False),
    "attribut_non_publie": LlngConfig(withheld_attributes=("ENTPersonProfils",)),
}
"""Named configurations: the best LemonLDAP::NG can do, and deliberately broken ones."""


class LlngServer(Peer):
    """The LemonLDAP::NG portal on ``127.0.0.1:<ephemeral>``, configured in a temporary folder.

    ::

        with LlngServer(VARIANTS["conforme"], pki_dir) as llng:
            llng.url, llng.metadata_url, llng.ca_file, llng.environ()
    """

    def __init__(self, config: LlngConfig, pki_dir: Path) -> None:
        """Prepare a server; the test PKI of ``pki_dir`` is reused or created on start."""
        self.config = config
        self.pki_dir = pki_dir
        self._passwords = {account.password_env: secrets.token_urlsafe(12) for account in ACCOUNTS}
        self._pki: PkiFiles | None = None
        self._folder: Path | None = None
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self._output: list[str] = []
        self._base_url = ""
        self._front: TlsFront | None = None

    # --- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Write the configuration, start the portal, return once its metadata answers."""
        if self._process is not None:
            raise RuntimeError("LemonLDAP::NG already started")
        problem = missing_requirements()
        if problem:
            raise LlngUnavailable(problem)
        self._pki = ensure_pki(self.pki_dir.resolve())
        folder = Path(tempfile.mkdtemp(prefix="sdet-llng-"))
        self._folder = folder
        backend_port = free_port()
        if self.config.https:
            # TLS ends in front of Starman, as nginx or Apache does before a real portal:
            # Starman's own (experimental) TLS writes Perl's internal form of character
            # strings, which LemonLDAP::NG then sends double-encoded and cut short.
            self._front = TlsFront(self._pki, backend_port)
            self._base_url = f"https://127.0.0.1:{self._front.port}/"
        else:
            self._base_url = f"http://127.0.0.1:{backend_port}/"
        self._write_files(folder)
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "LLNG_DEFAULTCONFFILE": str(folder / "lemonldap-ng.ini"),
            "PERL5LIB": str(folder / "lib"),
            "SDET_LLNG_USERS": str(folder / "users.json"),
        }
        self._process = subprocess.Popen(
            [
                "perl",
                str(folder / "guard.pl"),
                STARMAN,
                "--listen",
                f"127.0.0.1:{backend_port}",
                "--workers",
                str(_WORKERS),
                "--disable-proctitle",
                str(folder / "app.psgi"),
            ],
            stdin=subprocess.PIPE,  # closed by stop(), or by the OS if this process dies
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=folder,
            env=environment,
            start_new_session=True,
        )
        self._reader = threading.Thread(
            target=self._read_output, args=(self._process,), name="llng-output", daemon=True
        )
        self._reader.start()
        if self._front is not None:
            self._front.start()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the portal (stdin closed, then its process group), remove the folder; idempotent."""
        process, self._process = self._process, None
        if process is not None:
            end_process(process, group=True)  # closing stdin makes the guard stop Starman
        if self._reader is not None:
            self._reader.join(_STOP_TIMEOUT_S)
            self._reader = None
        if process is not None and process.stdout is not None:
            process.stdout.close()
        front, self._front = self._front, None
        if front is not None:
            front.stop()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    # --- what a target needs ----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The portal address, e.g. ``https://127.0.0.1:40123/``."""
        if not self._base_url:
            raise RuntimeError("LemonLDAP::NG not started")
        return self._base_url

    @property
    def url(self) -> str:
        """The CAS prefix, e.g. ``https://127.0.0.1:40123/cas``."""
        return self.base_url + CAS_PATH

    @property
    def metadata_url(self) -> str:
        """The SAML IdP metadata address (also its entityID)."""
        return self.base_url + SAML_METADATA_PATH

    @property
    def entity_id(self) -> str:
        """The IdP entityID (``#PORTAL#/saml/metadata``)."""
        return self.metadata_url

    @property
    def pki(self) -> PkiFiles:
        """The test PKI (the portal's certificate; it also serves the probes' callbacks)."""
        if self._pki is None:
            raise RuntimeError("LemonLDAP::NG not started")
        return self._pki

    @property
    def ca_file(self) -> Path:
        """The test CA certificate a client trusts."""
        return self.pki.ca_file

    @property
    def accounts(self) -> tuple[DemoAccount, ...]:
        """The accounts that can log in (:data:`sdet_check.demo.cas.ACCOUNTS`)."""
        return ACCOUNTS

    @property
    def sp_key_file(self) -> Path:
        """The test SP's private key (signs AuthnRequests)."""
        return self._file("sp.key")

    @property
    def signing_cert_file(self) -> Path:
        """The IdP's signing certificate (PEM)."""
        return self._file("idp.crt")

    def environ(self) -> dict[str, str]:
        """The environment variables holding the demo accounts' passwords."""
        return dict(self._passwords)

    @property
    def log(self) -> str:
        """What the portal printed so far (warnings and errors of LemonLDAP::NG)."""
        return "\n".join(self._output)

    def _file(self, name: str) -> Path:
        if self._folder is None:
            raise RuntimeError("LemonLDAP::NG not started")
        return self._folder / "keys" / name

    # --- files ------------------------------------------------------------------------------

    def _write_files(self, folder: Path) -> None:
        """Write the ini, the File configuration, the Perl modules, the accounts and the keys."""
        for sub in ("conf", "cache", "sessions/lock", "psessions/lock", "cas", "cas/lock", "keys"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        lib = folder / "lib" / "SdetDemo"
        lib.mkdir(parents=True)
        (lib / "Users.pm").write_text(llng_perl.USERS_MODULE_PM, encoding="utf-8")
        (lib / "Auth.pm").write_text(llng_perl.AUTH_PM, encoding="utf-8")
        (lib / "UserDB.pm").write_text(llng_perl.USERDB_PM, encoding="utf-8")
        (lib / "NoCaptcha.pm").write_text(llng_perl.CAPTCHA_PM, encoding="utf-8")
        (folder / "app.psgi").write_text(llng_perl.APP_PSGI, encoding="utf-8")
        (folder / "guard.pl").write_text(llng_perl.GUARD_PL, encoding="utf-8")
        users = {
            account.login: {
                "password": self._passwords[account.password_env],
                "attributes": dict(account.attributes),
            }
            for account in ACCOUNTS
        }
        write_private(folder / "users.json", json.dumps(users, ensure_ascii=False))
        keys = folder / "keys"
        write_self_signed(keys / "idp.key", keys / "idp.crt", "IdP LemonLDAP::NG (démonstration)")
        write_self_signed(keys / "sp.key", keys / "sp.crt", "SP de test sdet-check")
        (folder / "lemonldap-ng.ini").write_text(_ini(folder), encoding="utf-8")
        conf = self._configuration(folder)
        write_private(folder / "conf" / "lmConf-1.json", json.dumps(conf, indent=1))

    def _configuration(self, folder: Path) -> dict[str, Any]:
        """The portal configuration (``lmConf-1.json``)."""
        config = self.config
        keys = folder / "keys"
        released = [name for name in RELEASED_ATTRIBUTES if name not in config.withheld_attributes]
        storage = {
            "Directory": str(folder / "sessions"),
            "LockDirectory": str(folder / "sessions" / "lock"),
            "generateModule": "Lemonldap::NG::Common::Apache::Session::Generate::SHA256",
        }
        return {
            "cfgNum": 1,
            "cfgAuthor": "sdet-check",
            "cfgDate": int(time.time()),
            "cfgVersion": "2.16.1",
            "portal": self.base_url,
            "domain": "127.0.0.1",
            "cookieName": COOKIE_NAME,
            "securedCookie": 1 if config.https else 0,
            "httpOnly": 1,
            "timeout": 7200,
            "globalStorage": "Apache::Session::File",
            "globalStorageOptions": storage,
            "persistentStorage": "Apache::Session::File",
            "persistentStorageOptions": {
                "Directory": str(folder / "psessions"),
                "LockDirectory": str(folder / "psessions" / "lock"),
            },
            "localSessionStorage": "Cache::FileCache",
            "localSessionStorageOptions": {
                "cache_root": str(folder / "cache"),
                "namespace": "lemonldap-ng-sessions",
                "default_expires_in": 600,
                "directory_umask": "077",
                "cache_depth": 3,
            },
            "notification": 0,
            "loginHistoryEnabled": 0,
            "portalCheckLogins": 0,
            "checkUpdate": 0,
            "authentication": "Custom",
            "userDB": "Custom",
            "passwordDB": "Null",
            "registerDB": "Null",
            "customAuth": llng_perl.AUTH_MODULE,
            "customUserDB": llng_perl.USERDB_MODULE,
            "captcha": llng_perl.CAPTCHA_MODULE,
            "captcha_mail_enabled": 0,
            "captcha_register_enabled": 0,
            "captcha_login_enabled": 0,
            "whatToTrace": "uid",
            "macros": {},
            "groups": {},
            "exportedVars": {},
            "locationRules": {},
            "lwpSslOpts": {"SSL_ca_file": str(self.pki.ca_file)},
            "trustedDomains": "",
            # CAS server
            "issuerDBCASActivation": 1,
            "casAttr": "uid",
            "casAccessControlPolicy": config.access_control,
            "casStrictMatching": 1,
            "casTicketExpiration": config.ticket_lifetime_s,
            "casAttributes": {},
            "casAppMetaDataOptions": {
                key: {"casAppMetaDataOptionsService": url} for key, url in SERVICE_APPS.items()
            },
            "casAppMetaDataExportedVars": {
                key: {name: name for name in released} for key in SERVICE_APPS
            },
            # SAML IdP
            "issuerDBSAMLActivation": 1,
            "samlServicePrivateKeySig": (keys / "idp.key").read_text(encoding="ascii"),
            "samlServicePrivateKeySigPwd": "",
            "samlServicePublicKeySig": (keys / "idp.crt").read_text(encoding="ascii"),
            # ASCII: LemonLDAP::NG writes configuration strings into the metadata as characters,
            # which a byte-oriented server sends in Latin-1 (ill-formed UTF-8 XML).
            "samlOrganizationDisplayName": "ENT de demonstration",
            "samlOrganizationName": "sdet-check",
            "samlOrganizationURL": self.base_url,
            "samlSPMetaDataXML": {
                _SP_KEY: {"samlSPMetaDataXML": _sp_metadata(keys / "sp.crt")},
            },
            "samlSPMetaDataExportedAttributes": {
                _SP_KEY: {
                    name: f"0;{name};urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
                    for name in released
                }
            },
            "samlSPMetaDataOptions": {
                _SP_KEY: {
                    "samlSPMetaDataOptionsNameIDFormat": "transient",
                    "samlSPMetaDataOptionsSignSSOMessage": 1 if config.sign_sso else 0,
                    "samlSPMetaDataOptionsCheckSSOMessageSignature": 1,
                    "samlSPMetaDataOptionsSignSLOMessage": 1,
                    "samlSPMetaDataOptionsCheckSLOMessageSignature": 1,
                    "samlSPMetaDataOptionsEncryptionMode": "none",
                    "samlSPMetaDataOptionsNotOnOrAfterTimeout": 300,
                    "samlSPMetaDataOptionsOneTimeUse": 0,
                    "samlSPMetaDataOptionsForceUTF8": 1,
                }
            },
        }

    # --- process ----------------------------------------------------------------------------

    def _read_output(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self._output.append(line.rstrip("\n"))
            del self._output[:-500]

    def _wait_ready(self) -> None:
        def stopped() -> str | None:
            if self._process is None or self._process.poll() is None:
                return None
            return (
                f"le portail LemonLDAP::NG s'est arrêté (code {self._process.returncode}) :\n"
                + "\n".join(self._output[-20:])
            )

        wait_for_metadata(
            self.metadata_url,
            str(self.pki.ca_file) if self.config.https else False,
            _READY_TIMEOUT_S,
            stopped,
            LlngUnavailable,
            "le portail LemonLDAP::NG",
        )


def add_llng_to_target(target: dict[str, Any], server: LlngServer) -> dict[str, Any]:
    """Fill the target's ``cas`` and ``saml`` sections, accounts and CA for ``server``.

    Passwords stay out of the dict: each account names an environment variable whose value
    :meth:`LlngServer.environ` gives. Returns ``target``.
    """
    target["cas"] = cas_section(server)
    target["accounts"] = account_entries(server.accounts)
    target["saml"] = {
        "metadata_url": server.metadata_url,
        "sp_entity_id": SP_ENTITY_ID,
        "sp_acs_url": SP_ACS_URL,
        "sp_key_file": str(server.sp_key_file.resolve()),
        "accounts": [account.login for account in server.accounts],
        "agreed_attributes": [
            name for name in RELEASED_ATTRIBUTES if name not in server.config.withheld_attributes
        ],
    }
    if server.config.https:
        tls = target.setdefault("tls", {})
        existing = tls.get("ca_file")
        if existing and Path(existing).resolve() != server.ca_file.resolve():
            raise ValueError("the target already trusts another CA: start with the same pki_dir")
        tls["ca_file"] = str(server.ca_file.resolve())
    return target


# --- helpers ------------------------------------------------------------------------------


def _ini(folder: Path) -> str:
    """The ``lemonldap-ng.ini`` that points every component at ``folder``."""
    return (
        "[all]\n"
        "logLevel = warn\n"
        "checkTime = 1\n"
        "[configuration]\n"
        "type = File\n"
        f"dirName = {folder / 'conf'}\n"
        "[portal]\n"
        "staticPrefix = /static\n"
        f"templateDir = {TEMPLATE_DIR}\n"
        "languages = fr, en\n"
    )


def _sp_metadata(cert_file: Path) -> str:
    """SAML metadata of the test SP: its signing certificate and its HTTP-POST ACS."""
    body = "".join(
        line
        for line in cert_file.read_text(encoding="ascii").splitlines()
        if not line.startswith("-----")
    )
    return (
        '<?xml version="1.0"?>\n'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{SP_ENTITY_ID}">'
        '<md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>'
        f"<ds:X509Certificate>{body}</ds:X509Certificate>"
        "</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        f"<md:NameIDFormat>{NAMEID_TRANSIENT}</md:NameIDFormat>"
        f'<md:AssertionConsumerService Binding="{BINDING_POST}" Location="{SP_ACS_URL}" '
        'index="0" isDefault="true"/>'
        "</md:SPSSODescriptor></md:EntityDescriptor>"
    )


__all__ = [
    "APT_PACKAGES",
    "VARIANTS",
    "LlngConfig",
    "LlngServer",
    "LlngUnavailable",
    "add_llng_to_target",
    "missing_requirements",
]
