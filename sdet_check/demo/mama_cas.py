r"""A second real CAS peer: django-mama-cas 2.5.0, another code base than django-cas-server.

:class:`MamaCasServer` mirrors :class:`sdet_check.demo.cas.CasServer` (``url``, ``ca_file``,
``pki``, ``accounts``, ``environ()``) so that a test swaps one for the other, and
:func:`add_mama_cas_to_target` writes the same target ``cas`` section as
:func:`~sdet_check.demo.cas.add_cas_to_target`. The server runs the Django project of
:mod:`sdet_check.demo.mama_cas_site` in a subprocess (:mod:`sdet_check.demo.mama_cas_wsgi`),
over HTTPS with the demo test PKI on ``https://127.0.0.1:<ephemeral>/cas``, or in plain HTTP
for the ``http_en_clair`` test platform. The accounts are :data:`~sdet_check.demo.cas.ACCOUNTS`
with the same SDET attributes as the conformant django-cas-server, released in mama-cas'
CAS 3.0 layout (``<cas:attributes><cas:ENTPersonProfils>National_ELV</cas:ENTPersonProfils>``,
one element per value of a multi-valued attribute). A :class:`MamaCasConfig` names each
variant (:data:`VARIANTS`).

django-mama-cas is BSD-licensed; like django-cas-server it is a test and demo peer only
(``demo`` and ``test`` extras), never a runtime dependency. It runs unchanged on Django 5.2:
no shim was needed (its ``/samlValidate`` needs ``defusedxml``, in the same extras).

Variants (:data:`VARIANTS`, each a :class:`MamaCasConfig` constructor):

``conformant``
    SSO cookie ``TGC-ENT`` Secure, HttpOnly, path ``/cas``, session-only; only
    ``https://*.ent-demo.invalid/`` registered, SDET attributes released, proxy callbacks
    ``https://127.0.0.1:*/sdet-check/``; ``/samlValidate`` exempted from the CSRF check (M22).
``champs_renommes``
    Form fields ``identifiant`` and ``motdepasse``, hidden ``execution`` (signed, 10 min) and
    ``_eventId``, CSRF token; a post with ``username``/``password`` gets the form back.
``connexion_en_deux_etapes``
    Page 1: ``username`` only; page 2: ``password`` with a hidden signed ``login_token`` (same
    URL, CSRF cookie and token on both posts).
``formulaire_etranger``
    The form's ``action`` is the URL given (default :data:`FOREIGN_ACTION`): the password
    goes there.
``http_en_clair``
    The whole server in plain HTTP, cookies without ``Secure``.
``attributs_non_publies``
    No attribute callback (mama-cas' default): no ``cas:attributes`` at all.
``cookie_persistant``
    Django's default expiry: ``TGC-ENT`` with a two-week ``Max-Age``.
``renew_ignore``
    A front middleware drops ``renew`` from ``/login``: the SSO session gives a ticket at once.
``saml_validate_bloque``
    mama-cas as installed: every ``/samlValidate`` POST answers 403 (CSRF).

How mama-cas 2.5.0 answers, observed with ``requests`` against this peer (conformant variant
unless said) and read in its code; "spec" is the CAS Protocol 3.0 Specification, "dcs"
django-cas-server 3.1.0 as :mod:`sdet_check.demo.cas` configures it:

Facts M1...M26 ("ECART": a deviation from the CAS 3.0.3 specification):

M1  Login form (GET ``/login?service=S``): 200, one ``<form method="post">`` *without*
    ``action`` (posts to the page URL, ``service`` stays in the query string); fields
    ``csrfmiddlewaretoken`` (hidden), ``username``, ``password``; no ``lt``, no hidden
    ``service``, no ``warn``. ECART 2.1.3 (``lt`` and ``service`` MUST be in the form).
    dcs: ``csrfmiddlewaretoken service lt renew gateway method username password warn``.
M2  Login POST: Django CSRF (cookie ``csrf-ent`` path ``/cas``, Secure, HttpOnly, Max-Age one
    year, plus the form token); over HTTPS a POST without a matching ``Referer``/``Origin``
    gets 403 (dcs too). Success: 302 (not 303) to ``S?ticket=ST-...``. Bad password: 200, form
    again, "The username or password is not correct". Labels half English ("Username").
M3  Unregistered service: without session, the form is shown (200) and the password accepted;
    the answer is Django's bare "403 Forbidden" (no Location) *and the SSO session is open*
    (the next registered service gets a ticket without credentials). With a session: 403 at
    once; with ``gateway``: 403. ECART 2.2.1 (MUST deny with a meaningful message). dcs: 200
    page "service ... not allowed", no ticket.
M4  ``http://`` twin of a registered service: 403 (the registry pattern is HTTPS only).
M5  ``/login`` without service, with a session: 200, "You are logged in as <login>".
M6  ``/cas/login/`` (trailing slash) is served as ``/cas/login`` (all mama-cas routes); dcs 404.
M7  Tickets: ``ST-<issue time, 10 digits>-<32 [A-Za-z0-9]>`` (46 characters), ``PT-`` the
    same (46), ``PGT-`` 47, ``PGTIOU-`` 50. Charset ``A-Z a-z 0-9 -`` (3.7). The issue time is
    readable in every ticket; ST longer than the 32 characters services MUST accept (3.1.1,
    256 RECOMMENDED). dcs: 64 random characters.
M8  ST lifetime 90 s (``MAMA_CAS_TICKET_EXPIRE``); PGT lifetime ``SESSION_COOKIE_AGE``.
M9  SSO cookie = Django's session cookie, value ``[a-z0-9]{32}``; flags from the settings. Other
    cookies: ``csrf-ent`` (above) and, after a logout, ``messages`` (path ``/``): a probe that
    finds the SSO cookie by experiment must not take them for it.
M10 XML answers: ``Content-Type: text/xml`` *without charset*, no XML declaration, UTF-8 body,
    no whitespace: ``requests``' ``.text`` decodes it as ISO-8859-1 ("LÃ©a"); parse the bytes.
    dcs: ``text/xml; charset=utf-8``, indented.
M11 ``/serviceValidate``, ``/proxyValidate``, ``/p3/serviceValidate``, ``/p3/proxyValidate``
    are the same views: all return ``cas:attributes`` (``<cas:NAME>`` per value, repeated
    for multi-valued ones). No ``authenticationDate``, ``longTermAuthenticationRequestTokenUsed``,
    ``isFromNewLogin``: ECART Appendix A (minOccurs 1). dcs has them.
M12 ``/validate``: ``yes\n<login>\n`` / ``no\n\n`` (CAS 1.0 forms; 3.0.3 writes ``yes<LF>`` /
    ``no<LF>``): read the first line only. dcs: ``no\n``. A PT gives ``no\n\n``.
M13 ``/serviceValidate`` errors, always HTTP 200 and ``cas:authenticationFailure``:
    no parameter or no ticket: INVALID_REQUEST; ticket but no service: INVALID_TICKET when the
    ticket is malformed or unknown (the ticket is checked first; ECART 2.5.3, a missing
    parameter is INVALID_REQUEST), INVALID_REQUEST when it is valid, and the ticket is then
    consumed (3.1.1; dcs keeps it valid); unknown or malformed ticket, replay: INVALID_TICKET;
    another registered service: INVALID_SERVICE and the ticket is dead (next try
    INVALID_TICKET, 2.5.3); unregistered service: INVALID_SERVICE, consumed; PT:
    INVALID_TICKET_SPEC "Proxy tickets cannot be validated with /serviceValidate" (dcs
    INVALID_TICKET). Messages quote whole tickets: mama-cas tickets hold an inner hyphen, a
    mask ``ST-[A-Za-z0-9]+`` hides only the time part.
M14 Service matching compares scheme, host, port and path only: a ticket for ``S`` validates
    for ``S?x=1``. ECART 3.1.1 (valid only for the identifier given to /login); dcs refuses.
M15 ``renew``: any non-blank value (``true``, ``1``, ``false``, ``0``, ``any``) shows the form
    despite SSO; blank: SSO. At validation, an SSO ticket with ``renew`` (any value):
    INVALID_TICKET "was not issued via primary credentials"; a form login's ticket passes.
    Same as dcs.
M16 ``gateway`` (any non-blank value, ``false`` included): no session, 302 to the service
    without ticket; session, ticket; ``renew`` wins. Unregistered service: 403 (dcs 200).
M17 pgtUrl: HTTPS and matching the service's ``PROXY_PATTERN``, trusted through
    ``REQUESTS_CA_BUNDLE``; mama-cas GETs it *twice*: bare first (certificate check), then with
    ``pgtId`` and ``pgtIou`` (query kept) and needs a 2xx. dcs calls it once.
M18 pgtUrl refused (``http://``, not in ``PROXY_PATTERN``, unreachable, non-2xx): the
    validation *succeeds* without ``cas:proxyGrantingTicket`` and without error code; an
    ``http://`` pgtUrl is never contacted. ECART 2.5.4 (3.0.3: proxy authentication MUST fail
    with an error code); dcs: authenticationFailure INVALID_PROXY_CALLBACK.
M19 ``/proxy``: ``cas:proxySuccess/cas:proxyTicket``; failures in ``cas:proxyFailure`` as the
    spec wants (dcs: authenticationFailure, its SSO-CAS-014 deviation). No parameter or no
    ``targetService``: INVALID_REQUEST; unknown or malformed pgt: INVALID_TICKET (dcs too);
    unregistered ``targetService``: INVALID_SERVICE, ECART 2.7.3 (UNAUTHORIZED_SERVICE; dcs
    UNAUTHORIZED_SERVICE).
M20 PGT reusable (3.3.1); dead after the user's logout (INVALID_TICKET).
M21 ``/proxyValidate`` of a PT: ``cas:proxies/cas:proxy`` is the PT's own target service, not
    the proxying service's pgtUrl. ECART 2.6.2.
M22 ``/samlValidate``: mama-cas leaves it under Django's CSRF middleware, so a service's SOAP
    POST gets 403 "CSRF verification failed" unless the deployer exempts the view (done in
    ``conformant``, not in ``saml_validate_bloque``). GET: 405. Exempted: SAML 1.1 Response
    as the spec's example (``Issuer="localhost"``, ``Recipient`` = service, Audience,
    NameIdentifier, attributes in ``http://www.ja-sig.org/products/cas/``, one AttributeValue
    per value); ``TARGET`` must be HTTPS; ``AuthenticationInstant`` is the validation time,
    not the login's. Failure: HTTP 200, ``samlp:RequestDenied``, ``Recipient="UNKNOWN"``,
    StatusMessage quoting the ticket; a DTD in the request: RequestDenied. dcs: works as is.
M23 ``/logout``: ends the session (``TGC-ENT`` deleted, the user's tickets and PGTs consumed);
    registered ``service``: 302 there; unregistered: 403 (session already ended); CAS 2.0
    ``url`` followed like ``service``: ECART 2.3.1 (MUST ignore ``url``; dcs follows it too,
    and redirects to unregistered services); no parameter: 302 to ``/cas/login``, which says
    "You have been successfully logged out" (dcs: 200 page).
M24 Single logout not configured (``LOGOUT_ALLOW`` False).
M25 Validation endpoints answer GET only; a POST gets 403 (CSRF), like dcs.
M26 Cache headers ``Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private``
    and ``Expires`` now; no ``Pragma`` (Appendix B lists it).

Start: about 0.8 s for the first server of a process (migrations, once: the migrated
database is kept as a template in a temporary folder), 0.35 to 0.5 s for the next ones.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from sdet_check.demo.cas import (
    ACCOUNTS,
    ANY_URL_PATTERN,
    ATTRIBUTES,
    CALLBACK_PATTERN,
    CAS_PREFIX,
    CONFORMANT_PATTERN,
    DEMO_UAI,
    OTHER_SERVICE,
    SERVICE,
    UNREGISTERED_SERVICE,
    DemoAccount,
    add_cas_to_target,
)
from sdet_check.demo.peer import ChildServer, Peer, child_environment, write_private
from sdet_check.demo.pki import PkiFiles, ensure_pki

__all__ = [
    "ANY_URL_PATTERN",
    "FOREIGN_ACTION",
    "OTHER_SERVICE",
    "SERVICE",
    "UNREGISTERED_SERVICE",
    "VARIANTS",
    "MamaCasConfig",
    "MamaCasServer",
    "MamaCasUnavailableError",
    "add_mama_cas_to_target",
    "mama_cas_available",
]

MAMA_CAS_INSTALL_HINT = 'pip install "sdet-check[demo]"'
"""How to install the mama-cas peer (django-mama-cas and defusedxml come with the extra)."""

FOREIGN_ACTION = "https://collecte-identifiants.example.invalid/connexion"
"""Default ``action`` of the ``formulaire_etranger`` login form: a host outside the ENT."""

LoginPage = Literal["mama_cas", "champs_renommes", "deux_etapes"]
"""Which login page the server shows."""

ATTRIBUTE_CALLBACK = "sdet_check.demo.mama_cas_site.site.release_attributes"
"""mama-cas attribute callback releasing the accounts' SDET attributes."""

_READY_TIMEOUT_S = 60.0


class MamaCasUnavailableError(RuntimeError):
    """django-mama-cas (or defusedxml) is not installed: the peer cannot start."""


@dataclass(frozen=True)
class MamaCasConfig:
    """What the mama-cas peer does: real settings, templates and thin views of the project."""

    service_pattern: str = CONFORMANT_PATTERN
    """Regular expression of the registered services (``MAMA_CAS_SERVICES``)."""
    callback_pattern: str = CALLBACK_PATTERN
    """Proxy callbacks (pgtUrl) the registered services may use (``PROXY_PATTERN``)."""
    proxy: bool = True
    """Registered services may ask for proxy-granting tickets (``PROXY_ALLOW``)."""
    withheld_attributes: tuple[str, ...] = ()
    """Attributes not released; with all of them withheld, no callback is configured at all."""
    uai: str = DEMO_UAI
    """UAI released in ``ENTPersonStructRattachRNE``."""
    cookie_name: str = "TGC-ENT"
    """Name of the SSO cookie (Django's session cookie)."""
    cookie_path: str = CAS_PREFIX
    """Path of the SSO cookie (and of the CSRF cookie)."""
    cookie_secure: bool = True
    """The SSO and CSRF cookies carry ``Secure``."""
    cookie_httponly: bool = True
    """The SSO cookie carries ``HttpOnly``."""
    session_only: bool = True
    """The SSO cookie has no expiry (``SESSION_EXPIRE_AT_BROWSER_CLOSE``)."""
    login_page: LoginPage = "mama_cas"
    """mama-cas' own page, renamed fields, or a two-step login."""
    form_action: str | None = None
    """``action`` of the login form; ``None``: no ``action`` (the form posts to the page)."""
    tls: bool = True
    """Serve HTTPS with the test PKI; ``False``: plain HTTP."""
    dropped_login_params: tuple[str, ...] = ()
    """Query parameters of ``/login`` a front middleware drops before mama-cas sees them."""
    saml_csrf_exempt: bool = True
    """``/samlValidate`` exempt from Django's CSRF check; ``False``: mama-cas as installed (403)."""

    @classmethod
    def conformant(cls) -> MamaCasConfig:
        """As conformant as mama-cas can be: only its built-in deviations remain.

        SSO cookie ``TGC-ENT``, Secure, HttpOnly, path ``/cas``, session-only; only the ENT
        domain's HTTPS services registered, with attributes and proxy callbacks on loopback.
        """
        return cls()

    @classmethod
    def champs_renommes(cls) -> MamaCasConfig:
        """Login form fields ``identifiant``/``motdepasse``, hidden ``execution`` and CSRF token."""
        return cls(login_page="champs_renommes")

    @classmethod
    def connexion_en_deux_etapes(cls) -> MamaCasConfig:
        """Two-step login: ``username`` on a first page, ``password`` on a second one."""
        return cls(login_page="deux_etapes")

    @classmethod
    def formulaire_etranger(cls, action: str = FOREIGN_ACTION) -> MamaCasConfig:
        """A hostile server: the login form posts the password to ``action``."""
        if urlsplit(action).scheme not in ("http", "https") or not urlsplit(action).netloc:
            raise ValueError(
                f"formulaire_etranger : action {action!r} invalide, il faut une URL absolue "
                "http:// ou https:// (par exemple celle d'un serveur de capture de test)"
            )
        return cls(form_action=action)

    @classmethod
    def http_en_clair(cls) -> MamaCasConfig:
        """The whole server in plain HTTP (a test platform); cookies cannot then be Secure."""
        return cls(tls=False, cookie_secure=False)

    @classmethod
    def attributs_non_publies(cls) -> MamaCasConfig:
        """mama-cas' default: no attribute callback, so no ``cas:attributes`` at all."""
        return cls(withheld_attributes=ATTRIBUTES)

    @classmethod
    def cookie_persistant(cls) -> MamaCasConfig:
        """Django's default session expiry: the SSO cookie lives two weeks (``Max-Age``)."""
        return cls(session_only=False)

    @classmethod
    def renew_ignore(cls) -> MamaCasConfig:
        """A front middleware drops ``renew`` from ``/login``: SSO tickets come without a prompt."""
        return cls(dropped_login_params=("renew",))

    @classmethod
    def saml_validate_bloque(cls) -> MamaCasConfig:
        """mama-cas as installed: Django's CSRF check answers 403 to every ``/samlValidate``."""
        return cls(saml_csrf_exempt=False)


VARIANTS = (
    "conformant",
    "champs_renommes",
    "connexion_en_deux_etapes",
    "formulaire_etranger",
    "http_en_clair",
    "attributs_non_publies",
    "cookie_persistant",
    "renew_ignore",
    "saml_validate_bloque",
)
"""Names of the :class:`MamaCasConfig` constructors, each callable without argument."""


def mama_cas_available() -> bool:
    """Tell whether django-mama-cas and defusedxml can be imported."""
    return all(importlib.util.find_spec(name) is not None for name in ("mama_cas", "defusedxml"))


class MamaCasServer(Peer):
    """django-mama-cas on ``https://127.0.0.1:<ephemeral>/cas`` (or ``http://``), in a subprocess.

    ::

        with MamaCasServer(MamaCasConfig.conformant(), pki_dir) as cas:
            cas.url, cas.ca_file, cas.environ()
    """

    def __init__(self, config: MamaCasConfig, pki_dir: Path) -> None:
        """Prepare a server; the test PKI of ``pki_dir`` is reused or created on start."""
        self.config = config
        self.pki_dir = pki_dir
        self._pki: PkiFiles | None = None
        self._folder: Path | None = None
        self._child = ChildServer("le serveur mama-cas de test", ready_timeout_s=_READY_TIMEOUT_S)
        self._port: int | None = None
        self._passwords = {account.password_env: secrets.token_urlsafe(12) for account in ACCOUNTS}

    def start(self) -> None:
        """Write the spec, copy (or make) the database and serve; return once it answers."""
        if self._child.running:
            raise RuntimeError("mama-cas server already started")
        if not mama_cas_available():
            raise MamaCasUnavailableError(
                "django-mama-cas n'est pas installé : le second serveur CAS de test ne peut pas "
                f"démarrer (installer le pair de test : {MAMA_CAS_INSTALL_HINT})"
            )
        self._pki = ensure_pki(self.pki_dir.resolve())
        self._folder = Path(tempfile.mkdtemp(prefix="sdet-mama-cas-"))
        spec = self._write_spec(self._folder, self._pki)
        # mama-cas' proxy callbacks trust the test CA through REQUESTS_CA_BUNDLE, the only
        # way mama-cas offers.
        environment = child_environment(
            drop_prefix="DJANGO_", REQUESTS_CA_BUNDLE=str(self._pki.ca_file)
        )
        try:
            self._port = self._child.start(
                "sdet_check.demo.mama_cas_wsgi", spec, cwd=self._folder, env=environment
            )
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the subprocess and remove the project folder; safe to call twice."""
        self._child.stop()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
        self._port = None

    @property
    def url(self) -> str:
        """The CAS prefix, e.g. ``https://127.0.0.1:40123/cas``."""
        if self._port is None:
            raise RuntimeError("mama-cas server not started")
        scheme = "https" if self.config.tls else "http"
        return f"{scheme}://127.0.0.1:{self._port}{CAS_PREFIX}"

    @property
    def ca_file(self) -> Path:
        """The test CA certificate a client must trust (also for the probes' callbacks)."""
        return self.pki.ca_file

    @property
    def pki(self) -> PkiFiles:
        """The test PKI the server uses (its certificate also serves the probes' callbacks)."""
        if self._pki is None:
            raise RuntimeError("mama-cas server not started")
        return self._pki

    @property
    def accounts(self) -> tuple[DemoAccount, ...]:
        """The accounts that can log in: :data:`~sdet_check.demo.cas.ACCOUNTS`."""
        return ACCOUNTS

    def environ(self) -> dict[str, str]:
        """The environment variables holding the demo accounts' passwords."""
        return dict(self._passwords)

    def _write_spec(self, folder: Path, pki: PkiFiles) -> Path:
        """Write the accounts (private) and the spec the settings and the runner read."""
        config = self.config
        released = [name for name in ATTRIBUTES if name not in config.withheld_attributes]
        users = {}
        for account in ACCOUNTS:
            attributes = dict(account.attributes)
            attributes["ENTPersonStructRattachRNE"] = config.uai
            users[account.login] = {
                "password": self._passwords[account.password_env],
                "attributes": {k: v for k, v in attributes.items() if k in released},
            }
        users_file = folder / "users.json"
        write_private(users_file, json.dumps(users, ensure_ascii=False))
        service: dict[str, Any] = {
            "SERVICE": config.service_pattern,
            "PROXY_ALLOW": config.proxy,
            "PROXY_PATTERN": config.callback_pattern,
            "LOGOUT_ALLOW": False,
        }
        if released:
            service["CALLBACKS"] = [ATTRIBUTE_CALLBACK]
        spec = {
            "project": str(folder),
            "database": str(folder / "cas.sqlite3"),
            "template_database": str(_template_database()),
            "tls": config.tls,
            "cert_file": str(pki.cert_file),
            "key_file": str(pki.key_file),
            "secret_key": secrets.token_urlsafe(40),
            "users_file": str(users_file),
            "cookie": {
                "name": config.cookie_name,
                "path": config.cookie_path,
                "secure": config.cookie_secure,
                "httponly": config.cookie_httponly,
                "session_only": config.session_only,
            },
            "services": [service],
            "login_form": config.login_page,
            "form_action": config.form_action,
            "dropped_login_params": list(config.dropped_login_params),
            "saml_csrf_exempt": config.saml_csrf_exempt,
        }
        spec_file = folder / "serve.json"
        write_private(spec_file, json.dumps(spec))  # it holds the Django secret key
        return spec_file


def add_mama_cas_to_target(target: dict[str, Any], server: MamaCasServer) -> dict[str, Any]:
    """Add the ``cas`` section and the demo ``accounts`` to a target dict; return it.

    The same shape as :func:`~sdet_check.demo.cas.add_cas_to_target` (``url``, ``service``,
    ``other_service``, ``unregistered_service``, ``accounts``, ``callback``), passwords
    named by environment variable (:meth:`MamaCasServer.environ`).
    """
    return add_cas_to_target(target, server)


_template_folder: list[Path] = []


def _template_database() -> Path:
    """Where this process keeps the migrated database its servers copy (removed at exit)."""
    if not _template_folder:
        folder = Path(tempfile.mkdtemp(prefix="sdet-mama-cas-db-"))
        atexit.register(shutil.rmtree, folder, True)
        _template_folder.append(folder)
    return _template_folder[0] / "migrated.sqlite3"
