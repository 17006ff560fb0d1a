"""The signed-in side of the reference portal: accounts, pages per profile, the national tag.

:mod:`sdet_check.demo.portal` serves the public pages; this module answers what a signed-in
person sees: the login form's POST, a home page and a service menu per profile, service
pages, each account's private page, a third-party connector, logout. Every signed-in page
carries the national audience tag (an external script, ``/static/marqueur.js``, that sends
one hit per page view and one click hit per third-party connector, as the public SmartTag
implementations do) and the browser-side security headers.

:class:`SiteFlaws` lists the broken variants the ``portal`` probe family must catch: a tag
property missing, a wrong PROFIL, the visitor identifier in clear, char-coded or hashed
without salt, a connector not marked TIERS, an image without alternative, fields without
labels, no ``lang``, no CSP, a private page another profile can read, a page without logout,
a page that never finishes loading and a script that loops.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from urllib.parse import parse_qs

COLLECTOR = "https://hits.audience.example/hit.xiti"
"""Where the demo tag sends its hits (a reserved name: the probes answer it themselves)."""

SITE_ID = "999001"
"""The demo collectivité's site identifier in the tag."""

TIERS_URL = "https://manuels.tiers.example/bibliotheque"
"""The third-party service the connector opens."""

PROFIL_CODES = {"eleve": "ELEVE", "parent": "PARENT", "enseignant": "ENSEIGNANT"}

SECURITY_HEADERS = (
    (
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; img-src 'self' https://hits.audience.example; "
        "style-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    ),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)
"""Headers the conformant portal sends on every HTTPS page."""


@dataclass(frozen=True)
class Service:
    """One entry of a profile's service menu."""

    slug: str
    label: str
    code: str
    """The SERVICE value of the tag (national list, upper case)."""
    outil: str | None = None
    """Third-party tool name: the entry is a connector to :data:`TIERS_URL`."""


SERVICES: Mapping[str, tuple[Service, ...]] = {
    "eleve": (
        Service("cahier-de-textes", "Cahier de textes", "CAHIER_TEXTES"),
        Service("messagerie", "Messagerie", "COURRIER_ELECTRONIQUE"),
        Service("notes", "Notes", "NOTES"),
        Service("manuels", "Manuels numériques", "MANUEL_NUMERIQUE", "MANUELS_DEMO"),
    ),
    "parent": (
        Service("cahier-de-textes", "Cahier de textes", "CAHIER_TEXTES"),
        Service("messagerie", "Messagerie", "COURRIER_ELECTRONIQUE"),
        Service("absences", "Absences", "ABSENCES"),
    ),
    "enseignant": (
        Service("cahier-de-textes", "Cahier de textes", "CAHIER_TEXTES"),
        Service("messagerie", "Messagerie", "COURRIER_ELECTRONIQUE"),
        Service("notes", "Notes", "NOTES"),
        Service("reservation", "Réservation de salles", "RESERVATION_SALLES_MATERIELS"),
        Service("manuels", "Manuels numériques", "MANUEL_NUMERIQUE", "MANUELS_DEMO"),
    ),
}
"""The service menu of each profile (what the target declares as its catalogue)."""

PRIVATE_PAGES = {"eleve": "/eleve/{login}/donnees", "parent": "/parent/{login}/enfants"}
"""Each account's own page, by profile: only its owner may read it."""

STALLED_PATH = "/services/lent"
"""A page whose body never ends (flaw ``stalled_page``)."""

LOOPING_PATH = "/services/boucle"
"""A page whose script never returns (flaw ``looping_script``)."""

VISITOR_IDS = ("salted", "clear", "charcodes", "md5")

YEAR = datetime.now(UTC).year
"""The current year: the accessibility plan covers it."""

SCHEMA_PATHS = ("/accessibilite/schema-pluriannuel", "/accessibilite/plan-action")
"""The multi-year accessibility plan and this year's action plan (A11Y-SCHEMA-001)."""

SCHEMA_LINKS = f"""
<h2>Schéma pluriannuel et plan d'action</h2>
<ul class="schema">
<li><a href="{SCHEMA_PATHS[0]}">Schéma pluriannuel de mise en accessibilité
{YEAR - 1}-{YEAR + 1}</a></li>
<li><a href="{SCHEMA_PATHS[1]}">Plan d'action {YEAR}</a></li>
</ul>"""
"""The accessibility page's links to them (left out by the flaw ``no_accessibility_schema``)."""


@dataclass(frozen=True)
class SiteFlaws:
    """The broken variants of the signed-in portal (all false: the conformant portal)."""

    tag_missing: str | None = None
    """A tag property left out of every hit (``EXPLOITANT``...)."""
    wrong_profil: bool = False
    """PROFIL says ELEVE whatever the account's profile."""
    visitor_id: str = "salted"
    """``salted`` (HMAC with a secret), ``clear`` (the uid), ``charcodes``, ``md5`` (unsalted)."""
    tiers_not_marked: bool = False
    """The connector's click hit says TYPE=NATIF."""
    image_without_alt: bool = False
    no_labels: bool = False
    no_lang: bool = False
    no_csp: bool = False
    """No Content-Security-Policy, X-Frame-Options nor Referrer-Policy."""
    open_private_pages: bool = False
    """A private page answers any signed-in account."""
    page_without_logout: bool = False
    """The messagerie page has no logout control."""
    stalled_page: bool = False
    looping_script: bool = False
    no_accessibility_schema: bool = False
    """The accessibility page links neither the multi-year plan nor the action plan."""

    def __post_init__(self) -> None:
        """Refuse an unknown visitor identifier scheme."""
        if self.visitor_id not in VISITOR_IDS:
            raise ValueError(f"visitor_id must be one of {', '.join(VISITOR_IDS)}")


@dataclass(frozen=True)
class SiteAccount:
    """An account the portal authenticates."""

    profile: str
    login: str
    password: str
    uai: str
    display_name: str


@dataclass(frozen=True)
class Reply:
    """A response: status, headers, body."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    stall: bool = False
    """Send the headers and the start of the body, then never finish (flaw)."""


@dataclass
class Site:
    """The signed-in portal's state: accounts, sessions, the tag's secret salt."""

    flaws: SiteFlaws = field(default_factory=SiteFlaws)
    accounts: dict[str, SiteAccount] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)
    salt: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    stop: threading.Event = field(default_factory=threading.Event)

    def add(self, account: SiteAccount) -> None:
        """Let ``account`` sign in."""
        self.accounts[account.login] = account

    def session_account(self, cookie_header: str, cookie_name: str) -> SiteAccount | None:
        """The account signed in with the request's session cookie, if any."""
        for part in cookie_header.split(";"):
            name, _, value = part.strip().partition("=")
            if name == cookie_name and value in self.sessions:
                return self.accounts.get(self.sessions[value])
        return None

    def sign_in(self, body: bytes) -> tuple[str, SiteAccount] | None:
        """Check a posted login form; a new session token and the account, or ``None``."""
        form = parse_qs(body.decode("utf-8", "replace"))
        login = (form.get("login") or [""])[0]
        password = (form.get("password") or [""])[0]
        account = self.accounts.get(login)
        if account is None or not hmac.compare_digest(account.password, password):
            return None
        token = secrets.token_hex(16)
        self.sessions[token] = login
        return token, account

    def sign_out(self, cookie_header: str, cookie_name: str) -> None:
        """End the session the request carries."""
        for part in cookie_header.split(";"):
            name, _, value = part.strip().partition("=")
            if name == cookie_name:
                self.sessions.pop(value, None)

    def visitor(self, account: SiteAccount) -> str:
        """The identifier the tag sends for ``account`` (pseudonymised or not, per flaw)."""
        scheme = self.flaws.visitor_id
        if scheme == "clear":
            return account.login
        if scheme == "charcodes":
            return "".join(str(ord(c)) for c in account.login)
        if scheme == "md5":
            return hashlib.md5(account.login.encode()).hexdigest()
        return hmac.new(self.salt, account.login.encode(), hashlib.sha256).hexdigest()

    def page(self, path: str, account: SiteAccount | None) -> Reply | None:
        """The signed-in page at ``path`` for ``account``; ``None`` when not one of them."""
        static = {
            "/static/marqueur.js": ("text/javascript", _TAG_SCRIPT.encode()),
            "/static/boucle.js": ("text/javascript", LOOP_SCRIPT),
            "/static/logo.svg": ("image/svg+xml", LOGO_SVG),
        }
        if path in static:
            kind, body = static[path]
            return Reply(200, (("Content-Type", kind),), body)
        signed_in_paths = ("/espace", "/services/", "/eleve/", "/parent/")
        if not path.startswith(signed_in_paths):
            return None
        if account is None:
            return Reply(303, (("Location", "/login"),))
        services = {s.slug: s for s in SERVICES.get(account.profile, ())}
        if path == "/espace":
            return self._html(account, "Mon espace", _menu(services.values()), "ACCUEIL")
        if path == STALLED_PATH and self.flaws.stalled_page:
            return Reply(200, (("Content-Type", "text/html; charset=utf-8"),), b"<!DOCTYPE html>",
                         stall=True)  # fmt: skip
        if path == LOOPING_PATH and self.flaws.looping_script:
            main = '<h1>Boucle</h1><script src="/static/boucle.js"></script>'
            return self._html(account, "Boucle", main, "ACCUEIL")
        if path.startswith("/services/"):
            service = services.get(path.removeprefix("/services/"))
            if service is None or service.outil is not None:
                return self._html(account, "Accès refusé", "<h1>Accès refusé</h1>", None, 403)
            main = f"<h1>{escape(service.label)}</h1><p>Service {escape(service.label)}.</p>"
            logout = not (self.flaws.page_without_logout and service.slug == "messagerie")
            return self._html(account, service.label, main, service.code, logout=logout)
        for profile, pattern in PRIVATE_PAGES.items():
            prefix, suffix = pattern.split("{login}")
            if path.startswith(prefix) and path.endswith(suffix):
                owner = self.accounts.get(path[len(prefix) : len(path) - len(suffix)])
                if owner is None or owner.profile != profile:
                    return None
                if owner.login != account.login and not self.flaws.open_private_pages:
                    return self._html(account, "Accès refusé", "<h1>Accès refusé</h1>", None, 403)
                main = f"<h1>Informations personnelles</h1><p>{escape(owner.display_name)}</p>"
                return self._html(account, "Mes informations", main, "SERVICES_VIE_SCOLAIRE")
        return None

    def wait_or_stop(self, seconds: float) -> None:
        """Sleep up to ``seconds``, less when the portal stops (the stalled page)."""
        self.stop.wait(seconds)

    def _html(
        self,
        account: SiteAccount,
        title: str,
        main: str,
        service: str | None,
        status: int = 200,
        *,
        logout: bool = True,
    ) -> Reply:
        tag = ""
        if service is not None:
            tag = _tag_config(self._properties(account, service), self.flaws, account)
        body = _signed_in_layout(self.flaws, account, title, main, tag, logout=logout)
        return Reply(status, (("Content-Type", "text/html; charset=utf-8"),), body.encode())

    def _properties(self, account: SiteAccount, service: str) -> dict[str, str]:
        properties = {
            "SERVICE": service,
            "TYPE": "NATIF",
            "OUTIL": "",
            "UAI": account.uai,
            "PROJET": "ENT-DEMO",
            "EXPLOITANT": "EXPLOITANT-DEMO",
            "PLATEFORME": "PRODUCTION",
            "PROFIL": "ELEVE" if self.flaws.wrong_profil else PROFIL_CODES[account.profile],
        }
        properties["visitor"] = self.visitor(account)
        return properties


def _tag_config(properties: dict[str, str], flaws: SiteFlaws, account: SiteAccount) -> str:
    visitor = properties.pop("visitor")
    if flaws.tag_missing is not None:
        properties.pop(flaws.tag_missing, None)
    config = {
        "collector": COLLECTOR,
        "site": SITE_ID,
        "level2": account.uai,
        "visitor": visitor,
        "category": properties.get("PROFIL", ""),
        "properties": properties,
        "tiersType": "NATIF" if flaws.tiers_not_marked else "TIERS",
    }
    text = json.dumps(config).replace("<", "\\u003c")
    return f'<script id="marqueur-config" type="application/json">{text}</script>'


def _menu(services: Iterable[Service]) -> str:
    items = []
    for service in services:
        if service.outil is None:
            items.append(f'<li><a href="/services/{service.slug}">{escape(service.label)}</a></li>')
        else:
            items.append(
                f'<li><a href="{TIERS_URL}" data-outil="{service.outil}" '
                f'data-service="{service.code}">{escape(service.label)}</a></li>'
            )
    return (
        "<h1>Mon espace</h1>\n"
        '<nav aria-label="Mes services"><ul>\n' + "\n".join(items) + "\n</ul></nav>"
    )


def _signed_in_layout(
    flaws: SiteFlaws, account: SiteAccount, title: str, main: str, tag: str, *, logout: bool
) -> str:
    lang = "" if flaws.no_lang else ' lang="fr"'
    image = (
        '<img src="/static/logo.svg" width="32" height="32">'
        if flaws.image_without_alt
        else '<img src="/static/logo.svg" width="32" height="32" alt="ENT des collèges">'
    )
    out = '<a href="/logout">Se déconnecter</a>' if logout else ""
    return f"""<!DOCTYPE html>
<html{lang}>
<head>
<meta charset="utf-8">
<title>{escape(title)} — ENT des collèges de démonstration</title>
{tag}
<script src="/static/marqueur.js" defer></script>
</head>
<body>
<header>
<p><a href="/espace">{image} ENT des collèges de démonstration</a></p>
<p class="utilisateur">{escape(account.display_name)}</p>
<nav aria-label="Compte">{out}</nav>
</header>
<main>
{main}
</main>
</body>
</html>
"""


LOGO_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32">'
    b'<rect width="32" height="32" fill="#000091"/></svg>'
)
"""The portal's logo (served at ``/static/logo.svg``)."""

LOOP_SCRIPT = b"for (;;) {}\n"
"""A script that never returns (flaw ``looping_script``)."""

_TAG_SCRIPT = """// Demo national audience tag: one hit per page view, one click hit per connector.
(function () {
  var node = document.getElementById("marqueur-config");
  if (!node) { return; }
  var tag = JSON.parse(node.textContent);
  function send(properties, kind) {
    var query = new URLSearchParams({
      s: tag.site, s2: tag.level2, p: properties.SERVICE || "", an: tag.visitor,
      ac: tag.category, type: kind, stc: JSON.stringify(properties)
    });
    var image = new Image();
    image.src = tag.collector + "?" + query.toString();
    return image;
  }
  send(tag.properties, "page");
  document.querySelectorAll("a[data-outil]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var properties = Object.assign({}, tag.properties, {
        SERVICE: link.dataset.service, TYPE: tag.tiersType, OUTIL: link.dataset.outil
      });
      var image = send(properties, "click");
      var go = function () { window.location.href = link.href; };
      image.onload = go; image.onerror = go; setTimeout(go, 500);
    });
  });
})();
"""


def stall_forever(write: Callable[[bytes], object], site: Site) -> None:
    """Keep a stalled response open until the portal stops (a page that never finishes)."""
    deadline = time.monotonic() + 600
    while not site.stop.is_set() and time.monotonic() < deadline:
        try:
            write(b" ")
        except OSError:
            return
        site.wait_or_stop(1.0)
