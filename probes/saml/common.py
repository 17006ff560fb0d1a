"""What every ``saml`` probe shares: the target's ``saml`` section, constants, small helpers.

The section knows its credentials rule (:meth:`SamlSection.credentials_rule`): a test
password goes only to the IdP's host over HTTPS, unless ``--allow-cleartext-credentials``
allows plain HTTP to that same host.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureMethod

from sdet_check.login import CredentialsRule, LoginFormOverrides
from sdet_check.messages import msg
from sdet_check.probe import (
    HostileResponse,
    NotTestable,
    ProbeContext,
)
from sdet_check.target import Account
from sdet_check.transport import MAX_BODY_BYTES as MAX_BODY_BYTES  # the bound, for readers
from sdet_check.transport import send

MAX_REDIRECTS = 10
"""Longest redirect chain a probe follows."""

MAX_LOGIN_STEPS = 6
"""Most pages (after the redirects) a login may take before the SAMLResponse form."""

DEFAULT_SKEW_S = 180
"""Clock skew allowed when judging SAML timestamps (3 minutes)."""

NS = {
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
}
"""XML namespaces of SAML 2.0 and XML-DSig."""

PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
CM_BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
NAMEID_TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
NAMEID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

PERSONAL_ATTRIBUTES = frozenset(
    {
        "sn", "givenName", "cn", "displayName", "mail", "ctemail", "telephoneNumber", "mobile",
        "homePhone", "postalAddress", "ENTPersonNom", "ENTPersonPrenom", "ENTPersonNomPatro",
        "ENTPersonAutresPrenoms", "ENTPersonDateNaissance", "ENTPersonAdresse",
        "ENTPersonMailPerso", "GARPersonNom", "GARPersonPrenom", "GARPersonNomPatro",
        "GARPersonAutresPrenoms", "GARPersonDateNaissance", "GARPersonMail",
    }
)  # fmt: skip
"""Attributes whose values are pseudonymised in evidence (names, birth dates, contacts)."""

_UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_UAI = re.compile(r"^(\d{7})([A-Z])$")
_UAI_ATTRIBUTES = frozenset({"ENTPersonStructRattachRNE", "ENTPersonStructRattachUAI"})
_FREDU_VECTOR = re.compile(r"^([1-4])\|([^|]+)\|([^|]+)\|([^|]*)\|([^|]+)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DURATION = re.compile(
    r"^-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)
EXCERPT_CHARS = 4000
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ALL_SIGNATURE_METHODS = frozenset(SignatureMethod)
ALL_DIGESTS = frozenset(DigestAlgorithm)
WEAK_ALGORITHM = re.compile(r"sha1\b|#sha1$|md5", re.IGNORECASE)


@dataclass(frozen=True)
class SamlSection:
    """The ``saml`` section of the target, paths resolved."""

    metadata_url: str
    metadata_signing_cert: Path | None = None
    sso_url: str | None = None
    sp_entity_id: str | None = None
    sp_acs_url: str | None = None
    sp_key_file: Path | None = None
    accounts: tuple[str, ...] = ()
    agreed_attributes: tuple[str, ...] | None = None
    login_form: LoginFormOverrides = field(default_factory=LoginFormOverrides)
    gar: Mapping[str, Any] | None = None

    def credentials_rule(self, context: ProbeContext) -> CredentialsRule:
        """Where test passwords may go: the IdP as the target names it, over HTTPS.

        The hosts come from the target only (``metadata_url``, ``sso_url``,
        ``login_form.hosts``), never from the metadata the IdP serves. A plain-HTTP IdP
        without ``--allow-cleartext-credentials`` raises :class:`NotTestable`.
        """
        return CredentialsRule.for_server(
            self.metadata_url,
            context,
            what=msg("core.what.saml_idp"),
            also=[self.sso_url] if self.sso_url else [],
            hosts=self.login_form.hosts,
        )


def saml_section(context: ProbeContext) -> SamlSection:
    """Read the target's ``saml`` section; :class:`NotTestable` when it cannot serve."""
    target = context.target
    raw = target.section("saml")
    url = raw.get("metadata_url")
    if not isinstance(url, str) or not url:
        raise NotTestable(msg("saml.common.saml_section.untestable"))
    agreed = raw.get("agreed_attributes")
    return SamlSection(
        metadata_url=url,
        metadata_signing_cert=target_file(context, raw.get("metadata_signing_cert")),
        sso_url=raw.get("sso_url"),
        sp_entity_id=raw.get("sp_entity_id"),
        sp_acs_url=raw.get("sp_acs_url"),
        sp_key_file=target_file(context, raw.get("sp_key_file")),
        accounts=tuple(raw.get("accounts", ())),
        agreed_attributes=None if agreed is None else tuple(agreed),
        login_form=LoginFormOverrides.from_section(raw),
        gar=raw.get("gar"),
    )


def gar_section(section: SamlSection) -> SamlSection:
    """The section seen by the GAR-like test SP of ``saml.gar``."""
    gar = section.gar
    if gar is None:
        raise NotTestable(msg("saml.common.gar_section.untestable"))
    if not gar.get("connected", False):
        raise NotApplicableHere("la cible déclare que l'ENT n'est pas relié au GAR")
    entity_id, acs = gar.get("sp_entity_id"), gar.get("sp_acs_url")
    if not entity_id or not acs:
        raise NotTestable(msg("saml.common.gar_section.untestable_2"))
    return SamlSection(
        metadata_url=section.metadata_url,
        metadata_signing_cert=section.metadata_signing_cert,
        sso_url=section.sso_url,
        sp_entity_id=entity_id,
        sp_acs_url=acs,
        sp_key_file=section.sp_key_file,
        accounts=section.accounts,
        agreed_attributes=tuple(gar["agreed_attributes"]) if "agreed_attributes" in gar else None,
        login_form=section.login_form,
        gar=gar,
    )


class NotApplicableHere(Exception):
    """Raised inside a probe when the requirement does not apply; turned into an outcome."""


def target_file(context: ProbeContext, value: Any) -> Path | None:
    """A file the section names, resolved against the target file; it must exist."""
    if not isinstance(value, str) or not value:
        return None
    path = context.target.path(value)
    if not path.is_file():
        raise NotTestable(msg("saml.common.target_file.untestable", path=path))
    return path


def required_key(value: str | None, key: str) -> str:
    """A value of the section the probe needs; :class:`NotTestable` when missing."""
    if not value:
        raise NotTestable(msg("saml.common.required_key.untestable", key=key))
    return value


def saml_accounts(
    context: ProbeContext, section: SamlSection, *, required: bool = True
) -> list[Account]:
    """The accounts that log in through the IdP (``saml.accounts``, else every account)."""
    accounts = list(context.target.accounts)
    if section.accounts:
        by_login = {account.login: account for account in accounts}
        unknown = [login for login in section.accounts if login not in by_login]
        if unknown:
            raise NotTestable(
                msg("saml.common.saml_accounts.untestable", unknown=", ".join(unknown))
            )
        accounts = [by_login[login] for login in section.accounts]
    if not accounts and required:
        raise NotTestable(msg("saml.common.saml_accounts.untestable_2"))
    return accounts


# --- HTTP plumbing ----------------------------------------------------------------------


def fetch(session: requests.Session, url: str, context: ProbeContext) -> requests.Response:
    """GET ``url`` following at most :data:`MAX_REDIRECTS` redirects."""
    response = send(session, "GET", url, context)
    hops = 0
    while response.status_code in REDIRECT_STATUSES and response.headers.get("Location"):
        hops += 1
        if hops > MAX_REDIRECTS:
            raise HostileResponse(
                msg("saml.common.fetch.hostile", max_redirects=MAX_REDIRECTS, url=url)
            )
        response = send(
            session, "GET", urljoin(response.url, response.headers["Location"]), context
        )
    return response


# --- small helpers ----------------------------------------------------------------------


def parse_instant(value: str) -> dt.datetime | None:
    """Parse an xs:dateTime (UTC when no zone is given); ``None`` when invalid."""
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def iso(moment: dt.datetime) -> str:
    """An instant as xs:dateTime in UTC, seconds precision."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def text_of(element: etree._Element | None) -> str | None:
    """The stripped text of an element, ``None`` for no element or no text."""
    if element is None or element.text is None:
        return None
    return element.text.strip()


def without_query(url: str) -> str:
    """A URL with its query and fragment hidden (they may carry messages)."""
    parts = urlsplit(url)
    return parts._replace(query="…" if parts.query else "", fragment="").geturl()


def short(text: str, limit: int = 300) -> str:
    """Text on one line, cut to ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def mask_value(value: str, name: str | None = None) -> str:
    """Pseudonymise personal data kept in evidence (DESIGN §6: evidence about minors).

    E-mail addresses keep their first letter and domain, names and birth dates their first
    character, ``FrEduVecteur`` its type, identifier and UAI; other values are kept.
    """
    if _EMAIL.match(value):
        local, _, domain = value.partition("@")
        return f"{local[:1]}…@{domain}"
    if name in PERSONAL_ATTRIBUTES and value:
        return value[:1] + "…"
    if name == "FrEduVecteur":
        parts = value.split("|")
        if len(parts) == 5:
            parts[1], parts[2] = parts[1][:1] + "…", parts[2][:1] + "…"
            return "|".join(parts)
    return value
