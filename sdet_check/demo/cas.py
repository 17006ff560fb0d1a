"""The local reference CAS server: django-cas-server over HTTPS on loopback.

It plays the target of the ``cas`` probe family in tests and in ``sdet-check demo``. A
:class:`CasServer` writes a small Django project into a temporary folder (settings, URLs, an
authentication backend reading the demo accounts), then runs it in a subprocess
(:mod:`sdet_check.demo.cas_wsgi`) so that Django's global settings never leak into the
caller. A :class:`CasConfig` chooses what the server does, so that one server is conformant
and others break exactly one point the probes check.

django-cas-server (GPLv3) is a test and demo peer only, never a runtime dependency: it comes
with the ``demo`` extra (``pip install "sdet-check[demo]"``).
"""

from __future__ import annotations

import importlib.util
import json
import secrets
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sdet_check.demo.peer import ChildServer, Peer, child_environment, write_private
from sdet_check.demo.pki import PkiFiles, ensure_pki

CAS_PREFIX = "/cas"
"""Path under which the server mounts django-cas-server."""

SERVICE = "https://cahier-de-textes.ent-demo.invalid/connexion"
"""The registered service the probes log in to (never contacted: tickets stay with the probe)."""

OTHER_SERVICE = "https://messagerie.ent-demo.invalid/connexion"
"""A second registered service, to test that a ticket is bound to its service."""

UNREGISTERED_SERVICE = "https://service-inconnu.example.invalid/"
"""A service URL the conformant server refuses."""

CONFORMANT_PATTERN = r"^https://[a-z0-9-]+\.ent-demo\.invalid/"
"""Service pattern of the conformant server: HTTPS services of the ENT's own domain only."""

ANY_URL_PATTERN = r"^.*$"
"""Service pattern of the open server: every URL, HTTP included (a deliberate fault)."""

CALLBACK_PATTERN = r"^https://127\.0\.0\.1:[0-9]+/sdet-check/"
"""Proxy callbacks the server accepts: the probes' HTTPS listener on loopback."""

ATTRIBUTES = (
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
"""Attributes the conformant server releases to registered services."""

INSTALL_HINT = 'pip install "sdet-check[demo]"'
"""How to install the demo peer."""

_READY_TIMEOUT_S = 60.0


class CasUnavailableError(RuntimeError):
    """django-cas-server is not installed: the CAS peer cannot start."""


@dataclass(frozen=True)
class DemoAccount:
    """One demo account: profile, login, the environment variable of its password, attributes."""

    profile: str
    login: str
    password_env: str
    attributes: Mapping[str, str | list[str]]
    expect: Mapping[str, str | list[str]]
    """What a target file says the server must release for this account."""


def demo_account(
    profile: str, login: str, attributes: Mapping[str, str | list[str]]
) -> DemoAccount:
    """A demo account whose ``expect`` is its SDET profile, structure UAI, join key and classes."""
    expected = ("ENTPersonProfils", "ENTPersonStructRattachRNE", "ENTPersonJointure")
    expect = {
        name: attributes[name] for name in (*expected, "ENTEleveClasses") if name in attributes
    }
    return DemoAccount(
        profile=profile,
        login=login,
        password_env=f"SDET_DEMO_{profile.upper()}_PASSWORD",
        attributes=attributes,
        expect=expect,
    )


DEMO_UAI = "0751234J"
"""UAI of the demo collège (7 digits, check letter J = 751234 mod 23 in the UAI alphabet)."""

BAD_UAI = "0751234A"
"""The same UAI with a wrong check letter."""

ACCOUNTS = (
    demo_account(
        "eleve",
        "lea.martin",
        {
            "uid": "lea.martin",
            "ENTPersonJointure": "AAF$4821037",
            "ENTPersonProfils": "National_ELV",
            "ENTPersonStructRattach": "ENTStructure$0751234J",
            "ENTPersonStructRattachRNE": DEMO_UAI,
            "ENTEleveClasses": ["0751234J$4A"],
            "ENTEleveNivFormation": "4EME",
            "sn": "Martin",
            "givenName": "Léa",
            "mail": "lea.martin@ent-demo.invalid",
        },
    ),
    demo_account(
        "parent",
        "paul.martin",
        {
            "uid": "paul.martin",
            "ENTPersonJointure": "AAF$9930142",
            "ENTPersonProfils": "National_TUT",
            "ENTPersonStructRattach": "ENTStructure$0751234J",
            "ENTPersonStructRattachRNE": DEMO_UAI,
            "sn": "Martin",
            "givenName": "Paul",
        },
    ),
    demo_account(
        "enseignant",
        "claire.dubois",
        {
            "uid": "claire.dubois",
            "ENTPersonJointure": "AAF$1177065",
            "ENTPersonProfils": "National_ENS",
            "ENTPersonStructRattach": "ENTStructure$0751234J",
            "ENTPersonStructRattachRNE": DEMO_UAI,
            "ENTAuxEnsClasses": ["0751234J$4A", "0751234J$3B"],
            "sn": "Dubois",
            "givenName": "Claire",
            "mail": "claire.dubois@ent-demo.invalid",
        },
    ),
)
"""The demo accounts, one per profile (pupil, guardian, teacher)."""


@dataclass(frozen=True)
class DirectoryLink:
    """An annuaire the CAS server authenticates against, and the accounts that can log in.

    django-cas-server's own LDAP backend finds the account (``uid``) as ``bind_dn``, then binds
    as the account with the password typed in the form, and reads the account's attributes
    with that connection: the annuaire is the only place passwords and attributes live.
    """

    url: str
    """``ldaps://`` address of the annuaire (the password travels over TLS only)."""
    ca_file: Path
    """CA certificate the CAS server trusts for the annuaire."""
    people_dn: str
    """Subtree searched for accounts."""
    bind_dn: str
    """Service account used to find accounts."""
    bind_password: str = field(repr=False)
    """Password of ``bind_dn``."""
    accounts: tuple[DemoAccount, ...]
    """Accounts of the annuaire that log in through CAS."""
    passwords: Mapping[str, str] = field(repr=False)
    """Password of each account, by the environment variable it names."""


@dataclass(frozen=True)
class CasConfig:
    """What the reference CAS server does, one field per behaviour a probe observes."""

    service_pattern: str = CONFORMANT_PATTERN
    """Regular expression of the registered services (the open server accepts any URL)."""
    withheld_attributes: tuple[str, ...] = ()
    """Attributes the server keeps to itself (not released to services)."""
    uai: str = DEMO_UAI
    """UAI released in ``ENTPersonStructRattachRNE`` for every account."""
    cookie_name: str = "TGC-ENT"
    """Name of the SSO cookie (Django's session cookie)."""
    cookie_path: str = CAS_PREFIX
    """Path of the SSO cookie."""
    cookie_secure: bool = True
    """The SSO cookie carries ``Secure``."""
    cookie_httponly: bool = True
    """The SSO cookie carries ``HttpOnly``."""
    proxy: bool = True
    """Registered services may ask for proxy-granting tickets and proxy tickets."""
    callback_pattern: str = CALLBACK_PATTERN
    """Proxy callback addresses (pgtUrl) the server calls."""

    @classmethod
    def conformant(cls) -> CasConfig:
        """The best configuration of django-cas-server: only its built-in deviations remain."""
        return cls()

    @classmethod
    def django_defaults(cls) -> CasConfig:
        """The SSO cookie as Django sets it by default: ``sessionid``, path ``/``, not Secure."""
        return cls(cookie_name="sessionid", cookie_path="/", cookie_secure=False)

    @classmethod
    def open_service(cls) -> CasConfig:
        """A service pattern that accepts any URL, plain HTTP included."""
        return cls(service_pattern=ANY_URL_PATTERN)

    @classmethod
    def profile_withheld(cls) -> CasConfig:
        """The national profile (``ENTPersonProfils``) and the pupil's classes are not released."""
        return cls(withheld_attributes=("ENTPersonProfils", "ENTEleveClasses"))

    @classmethod
    def bad_uai(cls) -> CasConfig:
        """The released UAI has a wrong check letter."""
        return cls(uai=BAD_UAI)

    @classmethod
    def cookie_exposed(cls) -> CasConfig:
        """The SSO cookie lacks ``Secure`` and ``HttpOnly``."""
        return cls(cookie_secure=False, cookie_httponly=False)


def cas_available() -> bool:
    """Tell whether django-cas-server can be imported."""
    return importlib.util.find_spec("cas_server") is not None


class CasServer(Peer):
    """django-cas-server on ``https://127.0.0.1:<ephemeral>/cas``, in a subprocess.

    ::

        with CasServer(CasConfig.conformant(), pki_dir) as cas:
            cas.url, cas.ca_file, cas.environ()
    """

    def __init__(
        self, config: CasConfig, pki_dir: Path, directory: DirectoryLink | None = None
    ) -> None:
        """Prepare a server; the test PKI of ``pki_dir`` is reused or created on start.

        With ``directory``, accounts, passwords and attributes come from that annuaire (the
        configuration's ``uai`` cannot then be changed); otherwise from :data:`ACCOUNTS`.
        """
        if directory is not None and config.uai != DEMO_UAI:
            raise ValueError("the UAI of a directory-backed server comes from the directory")
        self.config = config
        self.pki_dir = pki_dir
        self.directory = directory
        self._pki: PkiFiles | None = None
        self._folder: Path | None = None
        self._child = ChildServer(
            "le serveur CAS de démonstration", ready_timeout_s=_READY_TIMEOUT_S
        )
        self._port: int | None = None
        self._passwords = (
            dict(directory.passwords)
            if directory is not None
            else {account.password_env: secrets.token_urlsafe(12) for account in ACCOUNTS}
        )

    def start(self) -> None:
        """Write the project, run migrations and serve; return once the server answers."""
        if self._child.running:
            raise RuntimeError("CAS server already started")
        if not cas_available():
            raise CasUnavailableError(
                "django-cas-server n'est pas installé : le serveur CAS de démonstration ne peut "
                f"pas démarrer (installer le pair de test : {INSTALL_HINT})"
            )
        self._pki = ensure_pki(self.pki_dir.resolve())
        self._folder = Path(tempfile.mkdtemp(prefix="sdet-cas-"))
        spec = self._write_project(self._folder, self._pki)
        try:
            self._port = self._child.start(
                "sdet_check.demo.cas_wsgi",
                spec,
                cwd=self._folder,
                env=child_environment(drop_prefix="DJANGO_"),
            )
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the subprocess and remove the project folder."""
        self._child.stop()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
        self._port = None

    @property
    def url(self) -> str:
        """The CAS prefix, e.g. ``https://127.0.0.1:40123/cas``."""
        if self._port is None:
            raise RuntimeError("CAS server not started")
        return f"https://127.0.0.1:{self._port}{CAS_PREFIX}"

    @property
    def ca_file(self) -> Path:
        """The test CA certificate a client must trust."""
        return self.pki.ca_file

    @property
    def pki(self) -> PkiFiles:
        """The test PKI the server uses (its certificate also serves the probes' callbacks)."""
        if self._pki is None:
            raise RuntimeError("CAS server not started")
        return self._pki

    @property
    def accounts(self) -> tuple[DemoAccount, ...]:
        """The accounts that can log in: the annuaire's, or :data:`ACCOUNTS`."""
        return self.directory.accounts if self.directory is not None else ACCOUNTS

    def environ(self) -> dict[str, str]:
        """The environment variables holding the demo accounts' passwords."""
        return dict(self._passwords)

    def _write_project(self, folder: Path, pki: PkiFiles) -> Path:
        """Write settings, URLs, the auth backend, the accounts and the serving spec."""
        config = self.config
        users = {}
        for account in () if self.directory is not None else ACCOUNTS:
            attributes = dict(account.attributes)
            attributes["ENTPersonStructRattachRNE"] = config.uai
            users[account.login] = {
                "password": self._passwords[account.password_env],
                "attributes": attributes,
            }
        write_private(folder / "users.json", json.dumps(users, ensure_ascii=False))
        backend = _USERS_BACKEND
        if self.directory is not None:
            link = self.directory
            write_private(folder / "annuaire.secret", link.bind_password)
            backend = _LDAP_BACKEND.format(
                url=link.url,
                ca_file=str(link.ca_file),
                people_dn=link.people_dn,
                bind_dn=link.bind_dn,
            )
        (folder / "sdet_demo_settings.py").write_text(
            backend
            + _SETTINGS.format(
                secret_key=secrets.token_urlsafe(40),
                cookie_name=config.cookie_name,
                cookie_path=config.cookie_path,
                cookie_secure=config.cookie_secure,
                cookie_httponly=config.cookie_httponly,
                ca_file=str(pki.ca_file),
            ),
            encoding="utf-8",
        )
        (folder / "sdet_demo_urls.py").write_text(_URLS, encoding="utf-8")
        (folder / "sdet_demo_auth.py").write_text(_AUTH, encoding="utf-8")
        released = [name for name in ATTRIBUTES if name not in config.withheld_attributes]
        spec = folder / "serve.json"
        spec.write_text(
            json.dumps(
                {
                    "project": str(folder),
                    "cert_file": str(pki.cert_file),
                    "key_file": str(pki.key_file),
                    "patterns": [
                        {
                            "name": "Services de l'ENT de démonstration",
                            "pattern": config.service_pattern,
                            "proxy": config.proxy,
                            "proxy_callback": config.proxy,
                            "attributes": released,
                        },
                        {
                            "name": "Rappels de proxy (banc de test sdet-check)",
                            "pattern": config.callback_pattern,
                            "proxy": False,
                            "proxy_callback": True,
                            "attributes": [],
                        },
                    ],
                }
            ),
            encoding="utf-8",
        )
        return spec


class CasPeer(Protocol):
    """What a target needs of a running CAS peer: :class:`CasServer` or ``MamaCasServer``."""

    @property
    def url(self) -> str:
        """The CAS prefix."""

    @property
    def ca_file(self) -> Path:
        """The test CA certificate a client must trust."""

    @property
    def pki(self) -> PkiFiles:
        """The test PKI (its certificate also serves the probes' callbacks)."""

    @property
    def accounts(self) -> tuple[DemoAccount, ...]:
        """The accounts that can log in."""

    def environ(self) -> dict[str, str]:
        """The environment variables holding the accounts' passwords."""


def cas_section(server: CasPeer) -> dict[str, Any]:
    """The target's ``cas`` section for a running peer.

    Its URL, the demo services, the accounts to log in with and the test PKI serving the
    probes' proxy callbacks.
    """
    pki = server.pki
    return {
        "url": server.url,
        "service": SERVICE,
        "other_service": OTHER_SERVICE,
        "unregistered_service": UNREGISTERED_SERVICE,
        "accounts": [account.login for account in server.accounts],
        "callback": {
            "host": "127.0.0.1",
            "cert_file": str(pki.cert_file.resolve()),
            "key_file": str(pki.key_file.resolve()),
        },
    }


def account_entries(accounts: Sequence[DemoAccount]) -> list[dict[str, Any]]:
    """The target's ``accounts``: profile, login, password variable and expected attributes."""
    return [
        {
            "profile": account.profile,
            "login": account.login,
            "password_env": account.password_env,
            "expect": {
                name: list(value) if isinstance(value, list) else value
                for name, value in account.expect.items()
            },
        }
        for account in accounts
    ]


def add_cas_to_target(target: dict[str, Any], server: CasPeer) -> dict[str, Any]:
    """Add the ``cas`` section and the demo ``accounts`` to a target dict; return it.

    Passwords stay out of the dict: each account names an environment variable, whose
    value :meth:`CasServer.environ` (or :func:`demo_environ`) gives. ``server`` may be any
    :class:`CasPeer`, e.g. a django-mama-cas ``MamaCasServer``.
    """
    target["cas"] = cas_section(server)
    target["accounts"] = account_entries(server.accounts)
    tls = target.setdefault("tls", {})
    tls.setdefault("ca_file", str(server.ca_file.resolve()))
    return target


def demo_environ(server: CasPeer) -> dict[str, str]:
    """The environment a run needs to log in with the demo accounts of ``server``."""
    return server.environ()


_SETTINGS = """
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = {secret_key!r}
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "cas_server",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "sdet_demo_urls"
TEMPLATES = [
    {{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {{
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.messages.context_processors.messages",
            ],
        }},
    }}
]
DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "cas.sqlite3",
        "OPTIONS": {{"timeout": 30}},
    }}
}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
LANGUAGE_CODE = "fr"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Paris"
STATIC_URL = "/static/"
SESSION_COOKIE_NAME = {cookie_name!r}
SESSION_COOKIE_PATH = {cookie_path!r}
SESSION_COOKIE_SECURE = {cookie_secure!r}
SESSION_COOKIE_HTTPONLY = {cookie_httponly!r}
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_PATH = {cookie_path!r}
CAS_NEW_VERSION_HTML_WARNING = False
CAS_NEW_VERSION_EMAIL_WARNING = False
CAS_SHOW_POWERED = False
CAS_PROXY_CA_CERTIFICATE_PATH = {ca_file!r}
SDET_DEMO_USERS_FILE = BASE_DIR / "users.json"
LOGGING = {{"version": 1, "disable_existing_loggers": True, "root": {{"level": "CRITICAL"}}}}
"""

_USERS_BACKEND = '''"""Django settings of the sdet-check demo CAS server (generated, throw-away)."""
CAS_AUTH_CLASS = "sdet_demo_auth.DemoAuthUser"
'''

_LDAP_BACKEND = '''"""Django settings of the sdet-check demo CAS server (generated, throw-away).

Accounts live in the demo annuaire: django-cas-server's LDAP backend binds as the account.
"""
import ssl
from pathlib import Path

import ldap3

# ldap3's restartable strategy would retry a silent annuaire 30 times, 2 s apart, per login.
ldap3.set_config_parameter("RESTARTABLE_TRIES", 1)
ldap3.set_config_parameter("RESTARTABLE_SLEEPTIME", 0)
CAS_AUTH_CLASS = "cas_server.auth.LdapAuthUser"
CAS_LDAP_SERVER = ldap3.Server(
    {url!r},
    get_info=ldap3.NONE,
    tls=ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file={ca_file!r}),
    connect_timeout=3,
)
CAS_LDAP_USER = {bind_dn!r}
CAS_LDAP_PASSWORD = (Path(__file__).resolve().parent / "annuaire.secret").read_text("utf-8")
CAS_LDAP_BASE_DN = {people_dn!r}
CAS_LDAP_USER_QUERY = "(&(objectClass=ENTPerson)(uid=%(username)s))"
CAS_LDAP_USERNAME_ATTR = "uid"
CAS_LDAP_PASSWORD_CHECK = "bind"
CAS_LDAP_ATTRS_VIEW = 0
'''

_URLS = '''"""URLs of the sdet-check demo CAS server (generated)."""
from django.urls import include, path

urlpatterns = [path("cas/", include("cas_server.urls", namespace="cas_server"))]
'''

_AUTH = '''"""Authentication of the demo accounts: passwords and SDET attributes from users.json."""
import hmac
import json

from django.conf import settings
from cas_server.auth import AuthUser

with open(settings.SDET_DEMO_USERS_FILE, encoding="utf-8") as users_file:
    USERS = json.load(users_file)


class DemoAuthUser(AuthUser):
    """One demo account of users.json."""

    def test_password(self, password):
        """Compare in constant time with the account's password."""
        user = USERS.get(self.username)
        return user is not None and hmac.compare_digest(user["password"], password)

    def attributs(self):
        """The account's SDET attributes."""
        return dict(USERS.get(self.username, {}).get("attributes", {}))
'''

__all__ = [
    "ACCOUNTS",
    "CasConfig",
    "CasPeer",
    "CasServer",
    "CasUnavailableError",
    "DemoAccount",
    "add_cas_to_target",
    "cas_available",
    "demo_environ",
]
