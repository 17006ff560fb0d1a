"""The target's ``portal`` section as the browser family reads it, and shared helpers."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from sdet_check.login import CredentialsRule, LoginFormOverrides
from sdet_check.messages import msg
from sdet_check.probe import NotTestable, ProbeContext
from sdet_check.target import Account, Target

DEFAULT_LOGOUT_TEXT = r"d[ée]connexion|se d[ée]connecter|d[ée]connecter|logout|log out|sign out"
"""What a logout control's text (or label) reads like, when the target does not say."""

VISIT_ENDS_SESSIONS = "portal.visit"
"""``Probe.ends_sessions`` of the probes sharing the visit: it logs every account out."""

DEFAULT_SERVICES_MENU = 'nav[aria-label*="ervice" i] a'
"""CSS selector of the service menu's links, when the target does not say."""

DEFAULT_VISITOR_KEYS = ("an", "at", "xtidc", "idclient", "visitor")
"""Hit parameters that carry the visitor identifier in the public tag implementations."""

LEGAL_DEFAULTS = ("mentions-legales", "donnees-personnelles", "accessibilite")

MASK = "███"
"""What replaces personal data in screenshots and evidence."""


@dataclass(frozen=True)
class ProfilePlan:
    """What the target declares for one profile: pages, service catalogue, connectors."""

    pages: tuple[str, ...]
    services: tuple[str, ...] | None
    tiers: tuple[str, ...]


@dataclass(frozen=True)
class PortalSection:
    """The ``portal`` section, resolved against the portal's address."""

    url: str
    login_url: str
    public_pages: tuple[str, ...]
    profiles: Mapping[str, ProfilePlan]
    private_pages: Mapping[str, tuple[str, ...]]
    """Login of the owner → absolute URLs only that account may read."""
    services_menu: str
    logout_text: str
    collector: str | None
    site: str | None
    uai: str | None
    visitor_keys: tuple[str, ...]
    login_form: LoginFormOverrides
    sso_login_url: str | None
    """The CAS login page, when the target has one (to check that logout ends SSO)."""
    hosts: frozenset[str]
    """Every host the browser may reach: the portal's, the CAS server's, the IdP's."""
    logins: tuple[str, ...] | None = None
    """The accounts that sign in on the portal (``portal.accounts``); all when ``None``."""

    @classmethod
    def of(cls, target: Target) -> PortalSection:
        """Read the section; :class:`NotTestable` when the target has no portal."""
        raw = target.section("portal")
        if not raw.get("url"):
            raise NotTestable(msg("portal.common.portal_section.untestable"))
        url = str(raw["url"])
        absolute = _absolute(url)
        login_url = absolute(str(raw.get("login_url") or url))
        public = raw.get("public_pages")
        if isinstance(public, list) and public:
            public_pages = tuple(absolute(str(p)) for p in public)
        else:
            legal = raw.get("pages") if isinstance(raw.get("pages"), Mapping) else {}
            paths = [str(v) for v in legal.values()] if legal else list(LEGAL_DEFAULTS)
            public_pages = tuple(dict.fromkeys([url, login_url, *map(absolute, paths)]))
        profiles = {
            str(name): ProfilePlan(
                pages=tuple(absolute(str(p)) for p in plan.get("pages", [])),
                services=tuple(plan["services"]) if "services" in plan else None,
                tiers=tuple(plan.get("tiers", [])),
            )
            for name, plan in (raw.get("profiles") or {}).items()
        }
        private = {
            str(entry["login"]): tuple(absolute(str(u)) for u in entry["urls"])
            for entry in raw.get("private_pages") or []
        }
        given = raw.get("audience")
        audience: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
        cas = target.section("cas")
        sso = str(cas["url"]).rstrip("/") + "/login" if cas.get("url") else None
        hosts = {urlsplit(u).hostname for u in (url, login_url, sso) if u}
        saml = target.section("saml")
        for key in ("url", "sso_url", "metadata_url"):
            if isinstance(saml.get(key), str):
                hosts.add(urlsplit(saml[key]).hostname)
        overrides = LoginFormOverrides.from_section(raw)
        return cls(
            url=url,
            login_url=login_url,
            public_pages=public_pages,
            profiles=profiles,
            private_pages=private,
            services_menu=str(raw.get("services_menu") or DEFAULT_SERVICES_MENU),
            logout_text=str(raw.get("logout_text") or DEFAULT_LOGOUT_TEXT),
            collector=str(audience["collector"]) if audience.get("collector") else None,
            site=str(audience["site"]) if audience.get("site") else None,
            uai=str(audience["uai"]) if audience.get("uai") else None,
            visitor_keys=tuple(audience.get("visitor_keys") or DEFAULT_VISITOR_KEYS),
            login_form=overrides,
            sso_login_url=sso,
            hosts=frozenset(h.lower() for h in hosts if h) | {h.lower() for h in overrides.hosts},
            logins=tuple(raw["accounts"]) if isinstance(raw.get("accounts"), list) else None,
        )

    def credentials_rule(self, context: ProbeContext) -> CredentialsRule:
        """Where the test password may go: the portal's host and its SSO server's, HTTPS."""
        also = [self.sso_login_url] if self.sso_login_url else []
        return CredentialsRule.for_server(
            self.login_url,
            context,
            what=msg("core.what.portal"),
            also=[self.url, *also],
            hosts=self.login_form.hosts,
        )

    def accounts(self, target: Target) -> tuple[Account, ...]:
        """The test accounts that sign in: planned profile, listed in ``portal.accounts``."""
        return tuple(
            a
            for a in target.accounts
            if a.profile in self.profiles and (self.logins is None or a.login in self.logins)
        )

    def require_accounts(self, target: Target) -> tuple[Account, ...]:
        """:meth:`accounts`, or :class:`NotTestable` naming what the target lacks."""
        if not self.profiles:
            raise NotTestable(msg("portal.common.portal_section.untestable_2"))
        accounts = self.accounts(target)
        if not accounts:
            raise NotTestable(
                msg(
                    "portal.common.portal_section.untestable_3",
                    sorted=", ".join(sorted(self.profiles)),
                )
            )
        return accounts


def expected_uai(account: Account, section: PortalSection) -> str | None:
    """The UAI the account's hits must carry: its ``expect``, else the section's."""
    for key in ("uai", "UAI", "ENTPersonStructRattachRNE"):
        value = account.expect.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, list) and value:
            return str(value[0])
    return section.uai


def identifiers(account: Account) -> tuple[str, ...]:
    """Values that identify the account's person: login, uid, join key (for pseudonymity)."""
    values = [account.login]
    for key in ("uid", "ENTPersonJointure", "ENTPersonLogin", "mail"):
        value = account.expect.get(key)
        if isinstance(value, str) and value:
            values.append(value)
    return tuple(dict.fromkeys(values))


def personal_strings(account: Account) -> tuple[str, ...]:
    """Strings masked in screenshots and evidence: identifiers and ``expect`` values."""
    values = list(identifiers(account))
    for value in account.expect.values():
        items: Sequence[Any] = value if isinstance(value, list) else [value]
        values += [str(v) for v in items if isinstance(v, str) and len(v) >= 3]
    return tuple(dict.fromkeys(values))


def mask(text: str, secrets: Sequence[str]) -> str:
    """``text`` with each of ``secrets`` replaced by :data:`MASK` (longest first)."""
    for value in sorted(set(secrets), key=len, reverse=True):
        if value:
            text = re.sub(re.escape(value), MASK, text, flags=re.IGNORECASE)
    return text


def same_path(url: str, other: str) -> bool:
    """Whether two addresses name the same page (host, port and path; query ignored)."""
    a, b = urlsplit(url), urlsplit(other)
    return (a.hostname, a.port, a.path.rstrip("/")) == (b.hostname, b.port, b.path.rstrip("/"))


def _absolute(base: str) -> Any:
    def resolve(value: str) -> str:
        return urljoin(base, value)

    return resolve
