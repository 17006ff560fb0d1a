"""The local reference portal: a small French ENT home page served over HTTPS on loopback.

It plays the target of the ``http`` and ``portal`` probe families in tests and in
``sdet-check demo``. A :class:`PortalConfig` chooses each observable behaviour (HTTP
redirect, HSTS, TLS floor, cookie flags, legal links, accessibility mention; and, through
:class:`~sdet_check.demo.portal_site.SiteFlaws`, the signed-in pages, the audience tag and
the browser-side headers), so that one portal can be made conformant and another
non-conformant on exactly the points the probes check. :func:`add_portal_browsing` lets the
target's accounts sign in and describes the pages per profile in the target.
"""

from __future__ import annotations

import re
import secrets
import ssl
import threading
import warnings
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from sdet_check.demo.peer import Peer
from sdet_check.demo.pki import PkiFiles, ensure_pki
from sdet_check.demo.portal_site import (
    COLLECTOR,
    LOOPING_PATH,
    PRIVATE_PAGES,
    SCHEMA_LINKS,
    SCHEMA_PATHS,
    SECURITY_HEADERS,
    SERVICES,
    SITE_ID,
    STALLED_PATH,
    YEAR,
    Reply,
    Site,
    SiteAccount,
    SiteFlaws,
    stall_forever,
)
from sdet_check.demo.wsgi_serve import TlsInRequestThread

SESSION_COOKIE = "ENTSESSION"
"""Name of the session cookie the portal sets on ``/login``."""

LOGIN_PATH = "/login"
"""The page that sets the session cookie."""

LEGAL_PATHS = {
    "mentions_legales": "/mentions-legales",
    "donnees_personnelles": "/donnees-personnelles",
    "accessibilite": "/accessibilite",
    "arrete_2006": "/arrete-2006",
}
"""Where the portal serves each legal page (keys are the ``http.legal_page`` page names)."""

_TLS_VERSIONS = {
    "1.0": ssl.TLSVersion.TLSv1,
    "1.1": ssl.TLSVersion.TLSv1_1,
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}
_SOCKET_TIMEOUT_S = 10.0
_JOIN_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class PortalConfig:
    """What the reference portal does, one field per behaviour a probe observes."""

    redirect_http: bool = True
    """Plain HTTP answers 301 to the HTTPS address (else it serves the pages in clear)."""
    hsts: str | None = "max-age=63072000; includeSubDomains"
    """``Strict-Transport-Security`` value sent on HTTPS responses, or no header."""
    tls_min_version: str = "1.2"
    """Lowest TLS version accepted: ``"1.0"``, ``"1.1"``, ``"1.2"`` or ``"1.3"``."""
    cookie_flags: tuple[str, ...] = ("Secure", "HttpOnly", "SameSite=Lax")
    """Attributes appended to the session cookie, as written in ``Set-Cookie``."""
    legal_links: bool = True
    """The footer links the legal pages, and the portal serves them."""
    accessibility_mention: bool = True
    """The home page states « Accessibilité : partiellement conforme »."""
    site: SiteFlaws = field(default_factory=SiteFlaws)
    """The broken variants of the signed-in pages, the tag and the browser-side headers."""

    def __post_init__(self) -> None:
        """Refuse a TLS version the portal cannot set."""
        if self.tls_min_version not in _TLS_VERSIONS:
            allowed = ", ".join(_TLS_VERSIONS)
            raise ValueError(f"tls_min_version must be one of {allowed}")

    @classmethod
    def conformant(cls) -> PortalConfig:
        """Build the portal that passes every ``http`` probe."""
        return cls()

    @classmethod
    def non_conformant(cls) -> PortalConfig:
        """Build the portal that fails every ``http`` probe."""
        return cls(
            redirect_http=False,
            hsts=None,
            tls_min_version="1.0",
            cookie_flags=(),
            legal_links=False,
            accessibility_mention=False,
        )


class PortalServer(Peer):
    """The reference portal on ``127.0.0.1``: an HTTPS listener and a plain-HTTP listener.

    Both use ephemeral ports and run in daemon threads::

        with PortalServer(PortalConfig.conformant(), pki_dir) as portal:
            portal.https_url, portal.http_url, portal.ca_file
    """

    def __init__(self, config: PortalConfig, pki_dir: Path) -> None:
        """Prepare a portal; the test PKI of ``pki_dir`` is reused or created on start."""
        self.config = config
        self.pki_dir = pki_dir
        self._pki: PkiFiles | None = None
        self.site = Site(config.site)
        """Accounts, sessions and tag of the signed-in pages (:meth:`add_account`)."""
        self._servers: list[_PortalHTTPServer] = []
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Open both listeners and serve in background threads."""
        if self._servers:
            raise RuntimeError("portal already started")
        self._pki = ensure_pki(self.pki_dir)
        self.site.stop.clear()
        https = _PortalHTTPServer(self.config, _server_tls(self.config, self._pki), self.site)
        plain = _PortalHTTPServer(self.config, None, self.site)
        plain.https_base = https.base_url
        https.https_base = https.base_url
        self._servers = [https, plain]
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"portal-{server.base_url}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop serving and close both listeners."""
        self.site.stop.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(_JOIN_TIMEOUT_S)
        self._servers = []
        self._threads = []

    def add_account(self, account: SiteAccount) -> None:
        """Let ``account`` sign in on the portal's login form."""
        self.site.add(account)

    @property
    def https_url(self) -> str:
        """Home page over HTTPS, e.g. ``https://127.0.0.1:40123/``."""
        return self._server(0).base_url

    @property
    def http_url(self) -> str:
        """Home page over plain HTTP, e.g. ``http://127.0.0.1:40124/``."""
        return self._server(1).base_url

    @property
    def session_url(self) -> str:
        """The login page, which sets the session cookie."""
        return self.https_url.rstrip("/") + LOGIN_PATH

    @property
    def ca_file(self) -> Path:
        """The test CA certificate a client must trust."""
        if self._pki is None:
            raise RuntimeError("portal not started")
        return self._pki.ca_file

    def _server(self, index: int) -> _PortalHTTPServer:
        if not self._servers:
            raise RuntimeError("portal not started")
        return self._servers[index]


def write_target(path: Path, portal: PortalServer, name: str = "ENT de démonstration") -> Path:
    """Write a target file (format 1) describing a running ``portal``; return ``path``."""
    data: dict[str, Any] = {
        "format": 1,
        "name": name,
        "description": "Portail de référence local de sdet-check (serveur de démonstration).",
        "portal": {
            "url": portal.https_url,
            "http_url": portal.http_url,
            "session_url": portal.session_url,
            "session_cookies": [SESSION_COOKIE],
        },
        "tls": {"ca_file": str(portal.ca_file.resolve())},
        # The portal family's shared visit (Chromium through every page for each profile,
        # axe-core on each) runs within the deadline of the probe that starts it: a minute,
        # the default, is not always enough on a busy machine, and the demo must not report
        # its own stack's slowness as errors.
        "timeouts": {"probe_s": 180},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def add_portal_browsing(
    data: dict[str, Any], portal: PortalServer, environ: dict[str, str], uai: str
) -> None:
    """Describe the signed-in portal in target ``data`` and let its accounts sign in.

    The accounts are the target's (``data["accounts"]``, passwords from ``environ``); a
    target without accounts gets the demo's three (pupil, guardian, teacher) with fresh
    passwords added to ``environ``. Adds ``portal.login_url``, ``profiles`` (pages, service
    catalogue, third-party connectors), ``private_pages`` and ``audience``.
    """
    if not data.get("accounts"):
        data["accounts"] = []
        for profile, login in (
            ("eleve", "lea.martin"),
            ("parent", "paul.martin"),
            ("enseignant", "claire.dubois"),
        ):
            env = f"SDET_DEMO_PORTAL_{profile.upper()}_PASSWORD"
            environ[env] = secrets.token_urlsafe(12)
            entry = {"profile": profile, "login": login, "password_env": env}
            data["accounts"].append({**entry, "expect": {"ENTPersonStructRattachRNE": uai}})
    profiles: dict[str, Any] = {}
    private = []
    for entry in data["accounts"]:
        profile, login = entry["profile"], entry["login"]
        if profile not in SERVICES or profile in profiles:
            continue  # one account per profile: the first (the CAS server's)
        expect = entry.get("expect") or {}
        school = expect.get("ENTPersonStructRattachRNE") or uai
        school = school[0] if isinstance(school, list) and school else school
        name = " ".join(part.capitalize() for part in login.replace("_", ".").split("."))
        portal.add_account(
            SiteAccount(profile, login, environ[entry["password_env"]], str(school), name)
        )
        services = SERVICES[profile]
        pages = ["/espace"] + [f"/services/{s.slug}" for s in services if s.outil is None]
        if profile == "eleve" and portal.config.site.stalled_page:
            pages.append(STALLED_PATH)
        if profile == "eleve" and portal.config.site.looping_script:
            pages.append(LOOPING_PATH)
        profiles[profile] = {
            "pages": pages,
            "services": [s.label for s in services],
            "tiers": [s.label for s in services if s.outil is not None],
        }
        if profile in PRIVATE_PAGES:
            private.append({"login": login, "urls": [PRIVATE_PAGES[profile].format(login=login)]})
    section = data.setdefault("portal", {})
    section["login_url"] = portal.session_url
    section["accounts"] = [a.login for a in portal.site.accounts.values()]
    section["profiles"] = profiles
    section["private_pages"] = private
    section["audience"] = {"collector": COLLECTOR, "site": SITE_ID, "uai": uai}


def _server_tls(config: PortalConfig, pki: PkiFiles) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.cert_file, pki.key_file)
    minimum = _TLS_VERSIONS[config.tls_min_version]
    if minimum < ssl.TLSVersion.TLSv1_2:
        # OpenSSL 3 only negotiates TLS 1.0/1.1 at security level 0; the non-conformant
        # portal exists precisely to accept them. Python flags the old versions as deprecated.
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = minimum
    else:
        context.minimum_version = minimum
    return context


class _PortalHTTPServer(TlsInRequestThread, ThreadingHTTPServer):
    """One listener; TLS handshakes happen in the request thread, never in the accept loop."""

    daemon_threads = True
    socket_timeout_s = _SOCKET_TIMEOUT_S

    def __init__(self, config: PortalConfig, tls: ssl.SSLContext | None, site: Site) -> None:
        self.config = config
        self.tls = tls
        self.site = site
        self.https_base = ""
        super().__init__(("127.0.0.1", 0), _PortalHandler)
        scheme = "https" if tls is not None else "http"
        self.base_url = f"{scheme}://127.0.0.1:{self.server_address[1]}/"


class _PortalHandler(BaseHTTPRequestHandler):
    server: _PortalHTTPServer
    timeout = _SOCKET_TIMEOUT_S

    def version_string(self) -> str:
        return "ENT-demo/1.0"

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_POST(self) -> None:
        length = min(int(self.headers.get("Content-Length") or 0), 65536)
        body = self.rfile.read(length)
        if self.path.split("?", 1)[0] != LOGIN_PATH or self.server.tls is None:
            self._reply(Reply(405, body=b""), send_body=True)
            return
        signed = self.server.site.sign_in(body)
        if signed is None:
            page = _with_flaws(self.server.config, _LOGIN_REFUSED).encode("utf-8")
            self._reply(Reply(200, (("Content-Type", _HTML),), page), send_body=True)
            return
        token, _account = signed
        cookie = "; ".join(
            [f"{SESSION_COOKIE}={token}", "Path=/", *self.server.config.cookie_flags]
        )
        self._reply(Reply(303, (("Location", "/espace"), ("Set-Cookie", cookie))), True)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test and demo output clean."""

    def _answer(self, send_body: bool) -> None:
        config = self.server.config
        secure = self.server.tls is not None
        if not secure and config.redirect_http:
            self.send_response(301)
            self.send_header("Location", self.server.https_base.rstrip("/") + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path = self.path.split("?", 1)[0]
        site = self.server.site
        cookies = self.headers.get("Cookie", "")
        if path == "/logout":
            site.sign_out(cookies, SESSION_COOKIE)
            self._reply(Reply(303, (("Location", "/"),)), send_body)
            return
        signed_in = site.page(path, site.session_account(cookies, SESSION_COOKIE))
        if signed_in is not None:
            self._reply(signed_in, send_body)
            return
        page = _page(config, path)
        status = 200 if page is not None else 404
        body = (page if page is not None else _NOT_FOUND).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self._security_headers()
        if path == LOGIN_PATH:
            cookie = "; ".join(
                [f"{SESSION_COOKIE}={secrets.token_hex(16)}", "Path=/", *config.cookie_flags]
            )
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _security_headers(self) -> None:
        config = self.server.config
        if self.server.tls is None:
            return
        if config.hsts is not None:
            self.send_header("Strict-Transport-Security", config.hsts)
        if not config.site.no_csp:
            for name, value in SECURITY_HEADERS:
                self.send_header(name, value)

    def _reply(self, reply: Reply, send_body: bool) -> None:
        """Send a signed-in page (or a redirect) with the portal's headers."""
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        if not reply.stall:
            self.send_header("Content-Length", str(len(reply.body)))
        self._security_headers()
        self.end_headers()
        if not send_body:
            return
        self.wfile.write(reply.body)
        if reply.stall:
            self.wfile.flush()
            stall_forever(self._write_flush, self.server.site)

    def _write_flush(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()


_HTML = "text/html; charset=utf-8"


def _with_flaws(config: PortalConfig, page: str) -> str:
    """Apply the public pages' accessibility flaws (no ``lang``, no labels, no ``alt``)."""
    if config.site.no_lang:
        page = page.replace('<html lang="fr">', "<html>")
    if config.site.no_labels:
        page = re.sub(r"<label [^>]*>[^<]*</label>", "", page)
    if config.site.no_accessibility_schema:
        page = page.replace(SCHEMA_LINKS, "")
    if config.site.image_without_alt:
        page = page.replace(' alt="ENT des collèges"', "")
    return page


def _page(config: PortalConfig, path: str) -> str | None:
    page = _public_page(config, path)
    return None if page is None else _with_flaws(config, page)


def _public_page(config: PortalConfig, path: str) -> str | None:
    if path in ("/", "/index.html"):
        return _home(config)
    if path == LOGIN_PATH:
        return _LOGIN
    legal = {
        LEGAL_PATHS["mentions_legales"]: _MENTIONS,
        LEGAL_PATHS["donnees_personnelles"]: _DONNEES,
        LEGAL_PATHS["accessibilite"]: _ACCESSIBILITE,
        LEGAL_PATHS["arrete_2006"]: _ARRETE,
    }
    legal[SCHEMA_PATHS[0]] = _SCHEMA
    legal[SCHEMA_PATHS[1]] = _PLAN
    if config.legal_links and path in legal:
        return legal[path]
    return None


def _layout(title: str, main: str, footer: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — ENT des collèges de démonstration</title>
</head>
<body>
<header>
<p><a href="/"><img src="/static/logo.svg" width="32" height="32" alt="ENT des collèges">
ENT des collèges de démonstration</a></p>
<nav aria-label="Menu principal"><a href="{LOGIN_PATH}">Se connecter</a></nav>
</header>
<main>
{main}
</main>
<footer>
{footer}
<p>© Département de démonstration — espace numérique de travail</p>
</footer>
</body>
</html>
"""


def _home(config: PortalConfig) -> str:
    main = """<h1>Bienvenue sur votre espace numérique de travail</h1>
<p>Élèves, parents, enseignants et personnels : connectez-vous avec votre compte ÉduConnect
ou votre compte ENT pour retrouver le cahier de textes, la messagerie, la vie scolaire et
les ressources numériques de votre établissement.</p>
<p><a href="/login">Accéder à mon ENT</a></p>"""
    links = []
    mention = "Accessibilité : partiellement conforme"
    if config.legal_links:
        accessibility = mention if config.accessibility_mention else "Accessibilité"
        links = [
            f'<li><a href="{LEGAL_PATHS["mentions_legales"]}">Mentions légales</a></li>',
            f'<li><a href="{LEGAL_PATHS["donnees_personnelles"]}">Données personnelles</a></li>',
            f'<li><a href="{LEGAL_PATHS["accessibilite"]}">{accessibility}</a></li>',
            f'<li><a href="{LEGAL_PATHS["arrete_2006"]}" '
            'title="Arrêté du 30 novembre 2006 relatif aux espaces numériques de travail">'
            "Arrêté du 30 novembre 2006</a></li>",
        ]
    elif config.accessibility_mention:
        links = [f"<li>{mention}</li>"]
    footer = '<ul class="liens-legaux">\n' + "\n".join(links) + "\n</ul>" if links else ""
    return _layout("Accueil", main, footer)


_LOGIN = _layout(
    "Connexion",
    """<h1>Connexion</h1>
<form method="post" action="/login">
<p><label for="login">Identifiant</label>
<input id="login" name="login" autocomplete="username"></p>
<p><label for="password">Mot de passe</label>
<input id="password" name="password" type="password" autocomplete="current-password"></p>
<p><button type="submit">Se connecter</button></p>
</form>""",
)

_LOGIN_REFUSED = _LOGIN.replace(
    "<h1>Connexion</h1>",
    '<h1>Connexion</h1>\n<p class="erreur" role="alert">Identifiant ou mot de passe incorrect.</p>',
)

_MENTIONS = _layout(
    "Mentions légales",
    """<h1>Mentions légales</h1>
<h2>Éditeur du service</h2>
<p>Le présent espace numérique de travail est mis à disposition des établissements par le
Département de démonstration, en partenariat avec l'académie de démonstration.</p>
<h2>Directeur de la publication</h2>
<p>Le chef d'établissement de chaque collège, responsable du traitement au sens de l'arrêté
du 30 novembre 2006.</p>
<h2>Hébergement</h2>
<p>Hébergeur de démonstration, 1 rue de l'Exemple, 00000 Ville-Exemple.</p>""",
)

_DONNEES = _layout(
    "Données personnelles",
    """<h1>Données personnelles</h1>
<p>Les données à caractère personnel traitées par l'ENT sont celles prévues par l'arrêté du
30 novembre 2006 : identité, coordonnées, données de scolarité, situation professionnelle.
Elles proviennent des systèmes d'information de l'Éducation nationale et de la collectivité,
ou des utilisateurs eux-mêmes.</p>
<p>Elles sont effacées dans un délai de trois mois après la fin du droit d'accès à l'ENT.</p>
<h2>Vos droits</h2>
<p>Vous pouvez exercer vos droits d'accès, de rectification et d'opposition auprès du chef
d'établissement, par courrier ou par voie électronique auprès du délégué à la protection des
données : <a href="mailto:dpo@ent.example">dpo@ent.example</a>.</p>""",
)

_ACCESSIBILITE = _layout(
    "Déclaration d'accessibilité",
    """<h1>Déclaration d'accessibilité</h1>
<p>Le Département de démonstration s'engage à rendre son espace numérique de travail
accessible conformément à l'article 47 de la loi n° 2005-102 du 11 février 2005.</p>
<h2>État de conformité</h2>
<p>L'ENT est partiellement conforme avec le référentiel général d'amélioration de
l'accessibilité (RGAA), version 4.1.</p>
<h2>Voies de recours</h2>
<p>Si vous constatez un défaut d'accessibilité, vous pouvez écrire à
<a href="mailto:accessibilite@ent.example">accessibilite@ent.example</a> ou saisir le
Défenseur des droits.</p>
<!-- schema -->"""
    + SCHEMA_LINKS,
)

_SCHEMA = _layout(
    "Schéma pluriannuel de mise en accessibilité",
    f"""<h1>Schéma pluriannuel de mise en accessibilité {YEAR - 1}-{YEAR + 1}</h1>
<p>Le Département de démonstration met son ENT en accessibilité sur trois ans, de
{YEAR - 1} à {YEAR + 1} : audits, formation des équipes, corrections par ordre de priorité.</p>""",
)

_PLAN = _layout(
    "Plan d'action",
    f"""<h1>Plan d'action {YEAR}</h1>
<p>Actions de l'année {YEAR} : corriger les formulaires de la messagerie, sous-titrer les
vidéos du portail, former les rédacteurs.</p>""",
)

_ARRETE = _layout(
    "Arrêté du 30 novembre 2006",
    """<h1>Arrêté du 30 novembre 2006 portant création, au sein du ministère de l'éducation
nationale, d'un traitement de données à caractère personnel relatif aux espaces numériques de
travail (ENT)</h1>
<p>NOR : MENT0602397A</p>
<p>Article 1 : Il est créé au sein des établissements d'enseignement un traitement de données
à caractère personnel dénommé « espace numérique de travail » (ENT)…</p>
<p>Article 8 : Le présent arrêté est consultable par tous les utilisateurs depuis la page
d'accueil de l'ENT.</p>""",
)

_NOT_FOUND = _layout("Page introuvable", "<h1>Page introuvable</h1>")
