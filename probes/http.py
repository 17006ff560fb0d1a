"""The ``http`` probe family: what a visitor's browser sees of the ENT portal.

HTTPS redirect, HSTS, TLS protocol floor, session cookie flags, legal pages and the
accessibility mention. Every probe is read-only (GET only), bounds each network call by
``context.call_timeout()``, reads at most :data:`MAX_BODY_BYTES` of any body, and turns
``requests``/``ssl`` exceptions into :class:`~sdet_check.probe.ProbeError` subclasses at the
boundary (:func:`_get`, :func:`_handshake`).
"""

from __future__ import annotations

import email.utils
import re
import socket
import ssl
import unicodedata
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import unquote, urljoin, urlsplit

import lxml.etree
import lxml.html
import requests
from cryptography import x509

from sdet_check.evidence import http_chain, http_exchange, note
from sdet_check.login import CredentialsRule, LoginFormOverrides, describe_page, log_in_across
from sdet_check.messages import clauses, msg
from sdet_check.probe import (
    BadParams,
    Evidence,
    HostileResponse,
    NotTestable,
    Outcome,
    Probe,
    ProbeContext,
    ProbeError,
    ProbeTimeout,
    TargetUnreachable,
    validated_params,
)
from sdet_check.transport import MAX_BODY_BYTES as MAX_BODY_BYTES  # the bound, for readers
from sdet_check.transport import get as _get
from sdet_check.transport import header_values as _header_values
from sdet_check.transport import send as _send

MAX_REDIRECTS = 10
"""Longest redirect chain a probe follows."""

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
"""HTTP statuses that redirect with a ``Location`` header."""

HSTS_HEADER = "Strict-Transport-Security"
"""The HSTS response header (RFC 6797)."""

_NO_PARAMS: Mapping[str, Any] = {"type": "object", "additionalProperties": False, "properties": {}}


# --- probes -----------------------------------------------------------------------------


class HttpsRedirect(Probe):
    """Plain HTTP redirects to HTTPS.

    Pass: the plain-HTTP address answers 301/302/303/307/308 with a ``Location`` on
    ``https://`` and the chain (followed, bounded) stays on HTTPS. Pass as well when nothing
    listens on the HTTP port (connection refused or reset) while the portal answers over HTTPS: no
    content is served in clear, and both observations are recorded. Fail: content served over
    HTTP, a redirect to a non-HTTPS address, a redirect without ``Location``. A timeout on the
    HTTP port stays an error: a filtered port and a slow server cannot be told apart.

    The plain-HTTP address is ``portal.http_url``, else the portal URL with ``http://`` on the
    default port.
    """

    kind = "http.https_redirect"
    title = "L'adresse HTTP du portail redirige vers HTTPS"
    needs = ("portal",)
    params_schema = _NO_PARAMS

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """GET the plain-HTTP address without following redirects, then judge."""
        validated_params(self, params)
        portal = _portal(context)
        with context.http_session() as session:
            try:
                first = _get(session, portal.http_url, context)
            except TargetUnreachable as refused:
                if not isinstance(refused.__cause__, requests.exceptions.ConnectionError):
                    raise  # the port answered, then broke off: that is no proof of anything
                return _https_only(session, portal, context, refused)

            location = first.headers.get("Location")
            if first.status_code not in REDIRECT_STATUSES:
                return Outcome.failed(
                    msg(
                        "http.https_redirect.fail",
                        http_url=portal.http_url,
                        status_code=first.status_code,
                    ),
                    http_exchange(first),
                )
            if not location:
                return Outcome.failed(
                    msg(
                        "http.https_redirect.fail_2",
                        http_url=portal.http_url,
                        status_code=first.status_code,
                    ),
                    http_exchange(first),
                )
            next_url = _join(first, location)
            if urlsplit(next_url).scheme != "https":
                return Outcome.failed(
                    msg("http.https_redirect.fail_3", http_url=portal.http_url, next_url=next_url),
                    http_exchange(first),
                )
            chain = [first, *_follow(session, next_url, context)]
            in_clear = [r.url for r in chain[1:] if urlsplit(r.url).scheme != "https"]
            if in_clear:
                return Outcome.failed(
                    msg(
                        "http.https_redirect.fail_4",
                        http_url=portal.http_url,
                        in_clear=", ".join(in_clear),
                    ),
                    *http_chain(chain),
                )
            landing = chain[-1]
            return Outcome.passed(
                msg(
                    "http.https_redirect.pass",
                    http_url=portal.http_url,
                    status_code=first.status_code,
                    next_url=next_url,
                    url=landing.url,
                    status_code2=landing.status_code,
                ),
                *http_chain(chain),
            )


class Hsts(Probe):
    """``Strict-Transport-Security`` on the HTTPS home page (RFC 6797).

    The header is looked for on the home page and on the HTTPS hops of its redirect chain;
    the first response carrying it is judged, and only its first header (RFC 6797 §8.1).
    Pass: a valid header with ``max-age`` ≥ ``min_max_age`` and, when ``include_subdomains``
    is true, the ``includeSubDomains`` directive. Fail otherwise, naming the header and what
    is wrong.
    """

    kind = "http.hsts"
    title = "En-tête HSTS (Strict-Transport-Security) sur la page d'accueil HTTPS"
    needs = ("portal",)
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "min_max_age": {
                "type": "integer",
                "minimum": 0,
                "default": 31536000,
                "description": "Smallest acceptable max-age, in seconds (default one year).",
            },
            "include_subdomains": {
                "type": "boolean",
                "default": False,
                "description": "Require the includeSubDomains directive.",
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Read the header and compare it with the params."""
        params = validated_params(self, params)
        min_max_age: int = params.get("min_max_age", 31536000)
        want_subdomains: bool = params.get("include_subdomains", False)
        portal = _portal(context)
        with context.http_session() as session:
            chain = _follow(session, portal.url, context)
        exchanges = http_chain(chain)
        carrier = next(
            (
                response
                for response in chain
                if urlsplit(response.url).scheme == "https"
                and _header_values(response, HSTS_HEADER)
            ),
            None,
        )
        if carrier is None:
            return Outcome.failed(
                msg("http.hsts.fail", hsts_header=HSTS_HEADER, url=portal.url),
                Evidence(
                    kind="header",
                    summary=msg("http.http.ev.hsts.evidence", hsts_header=HSTS_HEADER),
                    data={"name": HSTS_HEADER, "value": None, "url": portal.url},
                ),
                *exchanges,
            )
        values = _header_values(carrier, HSTS_HEADER)
        value = values[0]
        header = Evidence(
            kind="header",
            summary=msg("http.http.ev.hsts.evidence_2", hsts_header=HSTS_HEADER, value=value),
            data={"name": HSTS_HEADER, "value": value, "url": carrier.url, "ignored": values[1:]},
        )
        try:
            directives = parse_hsts(value)
        except ValueError as invalid:
            return Outcome.failed(
                msg("http.hsts.fail_2", hsts_header=HSTS_HEADER, invalid=invalid),
                header,
                *exchanges,
            )
        max_age = int((directives["max-age"] or "0").lstrip("0") or "0")
        problems = []
        if max_age < min_max_age:
            problems.append(msg("http.hsts.max_age_low", max_age=max_age, min_max_age=min_max_age))
        if want_subdomains and "includesubdomains" not in directives:
            problems.append(msg("http.hsts.no_subdomains"))
        if problems:
            return Outcome.failed(
                msg("http.hsts.fail_3", hsts_header=HSTS_HEADER, problems=clauses(problems)),
                header,
                *exchanges,
            )
        return Outcome.passed(
            msg("http.hsts.pass", hsts_header=HSTS_HEADER, value=value),
            header,
            *exchanges,
        )


class TlsFloor(Probe):
    """No TLS version below the floor is accepted.

    Each version below ``min_version`` (TLS 1.0, 1.1, and 1.2 when the floor is 1.3) is
    offered alone. Fail: the server accepts one (evidence: version and cipher). Pass: all
    are refused and a handshake at or above the floor succeeds, with certificate checking as
    the target asks (evidence: version, cipher, certificate subject, issuer, notAfter).
    A version the local OpenSSL cannot offer is recorded as not tried, never as refused;
    when no version below the floor can be tried at all, the probe cannot decide.
    """

    kind = "http.tls_floor"
    title = "Le serveur HTTPS refuse les versions de TLS inférieures au plancher"
    needs = ("portal",)
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "min_version": {
                "enum": ["1.2", "1.3"],
                "default": "1.2",
                "description": "Lowest TLS version the server may accept.",
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Offer each old version alone, then one handshake at the floor."""
        params = validated_params(self, params)
        floor_label: str = params.get("min_version", "1.2")
        floor = _TLS_BY_LABEL[floor_label]
        portal = _portal(context)
        parts = urlsplit(portal.url)
        if parts.scheme != "https":
            return Outcome.failed(
                msg("http.tls_floor.fail", scheme=parts.scheme, url=portal.url),
                note(msg("http.http.ev.tls_floor.note"), url=portal.url),
            )
        host = parts.hostname or ""
        port = parts.port or 443

        evidence: list[Evidence] = []
        tried: list[_Handshake] = []
        untried: list[str] = []
        for version in (v for v in _OLD_VERSIONS if v < floor):
            label = _tls_label(version)
            if not _can_offer(version):
                untried.append(label)
                evidence.append(
                    note(
                        msg(
                            "http.http.ev.tls_floor.note_2",
                            label=label,
                            openssl_version=ssl.OPENSSL_VERSION,
                        ),
                        version=label,
                        tried=False,
                    )
                )
                continue
            result = _handshake(host, port, context, version, version)
            tried.append(result)
            evidence.append(result.evidence())

        if not tried:
            raise ProbeError(
                msg("http.tls_floor.error", floor_label=floor_label, untried=", ".join(untried)),
                *evidence,
            )
        accepted = [result for result in tried if result.accepted]
        if accepted:
            listed = ", ".join(f"{r.offered} ({r.cipher})" for r in accepted)
            return Outcome.failed(
                msg(
                    "http.tls_floor.fail_2",
                    host=host,
                    port=port,
                    listed=listed,
                    floor_label=floor_label,
                ),
                *evidence,
            )

        modern = _handshake(host, port, context, floor, None)
        if not modern.accepted:
            raise TargetUnreachable(
                msg(
                    "http.tls_floor.unreachable",
                    floor_label=floor_label,
                    host=host,
                    port=port,
                    error=modern.error,
                ),
                *evidence,
                modern.evidence(),
            )
        evidence.append(modern.evidence())
        refused = ", ".join(r.offered for r in tried)
        message = msg(
            "http.tls_floor.pass",
            refused=refused,
            host=host,
            port=port,
            version=_tls_label_of(modern),
            cipher=modern.cipher,
        )
        if untried:
            message = msg("http.tls_floor.pass_untried", passed=message, untried=untried)
        return Outcome.passed(message, *evidence)


class CookieFlags(Probe):
    """Session cookies carry the required attributes.

    Collects the ``Set-Cookie`` headers of the home page, of ``portal.session_url`` and of
    their redirect chains, and, with ``portal.login``, of a login as that account (the
    authenticated session is the one that matters; the password goes only over HTTPS to the
    portal's host or its CAS server's, :mod:`sdet_check.login`); keeps the
    ``portal.session_cookies`` names when given, else every cookie; deletions (``Max-Age``
    ≤ 0 or an expiry in the past) are ignored. Fail: a cookie
    lacks one of ``require`` (``SameSite=None`` without ``Secure`` fails ``samesite``).
    Not tested: no cookie at all. Evidence names cookies and attributes, never values.
    """

    kind = "http.cookie_flags"
    title = "Les cookies de session portent les attributs Secure, HttpOnly, SameSite"
    needs = ("portal",)
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "require": {
                "type": "array",
                "items": {"enum": ["secure", "httponly", "samesite"]},
                "uniqueItems": True,
                "minItems": 1,
                "default": ["secure", "httponly"],
                "description": "Attributes every checked cookie must carry.",
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Collect the cookies, keep the session ones, judge each."""
        params = validated_params(self, params)
        require: list[str] = params.get("require", ["secure", "httponly"])
        portal = _portal(context)
        visited = [portal.url]
        with context.http_session() as session:
            responses = _follow(session, portal.url, context)
            if portal.session_url and portal.session_url != portal.url:
                visited.append(portal.session_url)
                responses += _follow(session, portal.session_url, context)
            if portal.login is not None:
                responses += _log_in(session, portal, context)

        setters = [r for r in responses if _header_values(r, "Set-Cookie")]
        cookies = [
            _parse_set_cookie(header, response.url)
            for response in setters
            for header in _header_values(response, "Set-Cookie")
        ]
        live = [cookie for cookie in cookies if not cookie.is_deletion()]
        if not live:
            raise NotTestable(msg("http.cookie_flags.untestable", visited=", ".join(visited)))
        if portal.session_cookies:
            checked = [cookie for cookie in live if cookie.name in portal.session_cookies]
            if not checked:
                seen = ", ".join(sorted({cookie.name for cookie in live}))
                raise NotTestable(
                    msg(
                        "http.cookie_flags.untestable_2",
                        session_cookies=", ".join(portal.session_cookies),
                        seen=seen,
                    )
                )
        else:
            checked = live

        verdicts = [(cookie, cookie.missing(require)) for cookie in checked]
        evidence = [cookie.evidence(missing) for cookie, missing in verdicts]
        evidence += [http_exchange(response) for response in setters]
        faulty = [(cookie, missing) for cookie, missing in verdicts if missing]
        if faulty:
            listed = clauses(
                msg("http.cookie_flags.cookie_missing", name=c.name, missing=missing)
                for c, missing in faulty
            )
            return Outcome.failed(msg("http.cookie_flags.fail", listed=listed), *evidence)
        names = ", ".join(sorted({cookie.name for cookie in checked}))
        wanted = ", ".join(_ATTRIBUTE_NAMES[name] for name in require)
        return Outcome.passed(msg("http.cookie_flags.pass", names=names, wanted=wanted), *evidence)


class LegalPage(Probe):
    """A legal page is linked from the home page and answers 200.

    The page is ``portal.pages[page]`` when the target gives it; otherwise the home page's
    links are searched (text, ``title``, ``aria-label`` first, then the address) with the
    page's French wording. Pass: the page answers 200 and every ``require_text`` regex
    (case-insensitive) matches its visible text or one of its link addresses. For
    ``arrete_2006``, a link to Légifrance naming the arrêté is enough without fetching it
    (the page is external; the message says so), unless ``require_text`` asks for text.
    A page answering 200 must also be readable: HTML with visible text that, without
    ``require_text``, names the page; noise, an XML document or an empty page fail.
    """

    kind = "http.legal_page"
    title = "Page légale accessible depuis la page d'accueil"
    needs = ("portal",)
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["page"],
        "properties": {
            "page": {
                "enum": [
                    "mentions_legales",
                    "donnees_personnelles",
                    "accessibilite",
                    "arrete_2006",
                ],
                "description": "Which legal page.",
            },
            "require_text": {
                "type": "array",
                "items": {"type": "string", "minLength": 1, "format": "regex"},
                "description": "Regular expressions (case-insensitive) the page must contain.",
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Find the page, fetch it, look for the required text."""
        params = validated_params(self, params)
        kind = _LEGAL_KINDS[params["page"]]
        patterns = _compile_all(params.get("require_text", []))
        portal = _portal(context)
        with context.http_session() as session:
            located = _locate_legal_page(kind, portal, session, context)
            if isinstance(located, Outcome):
                return located
            page_url, evidence = located
            if kind.page == "arrete_2006" and _is_legifrance(page_url) and not patterns:
                return Outcome.passed(
                    msg("http.legal_page.pass", page_url=page_url),
                    *evidence,
                )
            chain = _follow(session, page_url, context)

        page = chain[-1]
        evidence += http_chain(chain)
        external = urlsplit(page_url).hostname != urlsplit(portal.url).hostname
        where = msg("http.legal_page.external" if external else "http.legal_page.on_portal")
        if page.status_code != 200:
            return Outcome.failed(
                msg(
                    "http.legal_page.fail",
                    label=msg("http.legal_kind." + kind.page),
                    page_url=page_url,
                    where=where,
                    status_code=page.status_code,
                ),
                *evidence,
            )
        unreadable = _unreadable(page, kind, patterns)
        if unreadable:
            return Outcome.failed(
                msg(
                    "http.legal_page.fail_2",
                    label=msg("http.legal_kind." + kind.page),
                    url=page.url,
                    where=where,
                    unreadable=unreadable,
                ),
                note(
                    msg("http.http.ev.legal_page.note", label=kind.label),
                    url=page.url,
                    content_type=page.headers.get("Content-Type"),
                    size=len(page.content),
                    problem=unreadable,
                ),
                *evidence,
            )
        text = _searchable_text(page)
        missing = [pattern.pattern for pattern in patterns if not pattern.search(text)]
        if missing:
            return Outcome.failed(
                msg(
                    "http.legal_page.fail_3",
                    label=msg("http.legal_kind." + kind.page),
                    url=page.url,
                    missing=", ".join(missing),
                ),
                note(
                    msg("http.http.ev.legal_page.note_2", label=kind.label),
                    url=page.url,
                    missing=missing,
                ),
                *evidence,
            )
        checked = msg("http.legal_page.text_found", patterns=[p.pattern for p in patterns])
        return Outcome.passed(
            msg(
                "http.legal_page.pass_2",
                label=msg("http.legal_kind." + kind.page),
                url=page.url,
                where=where,
                value=checked if patterns else "",
            ),
            *evidence,
        )


class AccessibilityMention(Probe):
    """The home page states its accessibility compliance (décret n° 2019-768).

    Pass: the visible text says « Accessibilité : non conforme », « partiellement conforme »
    or « totalement conforme » (spacing, accents and case tolerated); the evidence quotes
    it. Fail: no such statement.
    """

    kind = "http.accessibility_mention"
    title = "La page d'accueil indique l'état de conformité à l'accessibilité"
    needs = ("portal",)
    params_schema = _NO_PARAMS

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Search the home page's visible text for the statement."""
        validated_params(self, params)
        portal = _portal(context)
        with context.http_session() as session:
            home = _home_page(session, portal, context)
        text = _visible_text(home)
        found = _A11Y_MENTION.search(text)
        if found:
            quote = found.group(0)
            return Outcome.passed(
                msg("http.accessibility_mention.pass", quote=quote),
                Evidence(
                    kind="page",
                    summary=msg("http.http.ev.accessibility_mention.evidence", quote=quote),
                    data={"url": home.url, "quote": quote, "level": found.group(1).lower()},
                ),
                http_exchange(home),
            )
        nearby = [text[max(0, m.start() - 40) : m.end() + 60] for m in _A11Y_WORD.finditer(text)]
        return Outcome.failed(
            msg("http.accessibility_mention.fail"),
            note(
                msg("http.http.ev.accessibility_mention.note"),
                url=home.url,
                occurrences_of_accessibilite=nearby[:5],
            ),
            http_exchange(home),
        )


PROBES: tuple[type[Probe], ...] = (
    HttpsRedirect,
    Hsts,
    TlsFloor,
    CookieFlags,
    LegalPage,
    AccessibilityMention,
)
"""The probes of the ``http`` family, registered through the ``sdet_check.probes`` group."""


# --- HSTS -------------------------------------------------------------------------------

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_DIRECTIVE = re.compile(rf'\s*({_TOKEN})\s*(?:=\s*({_TOKEN}|"(?:[^"\\]|\\.)*"))?\s*')


MAX_AGE_DIGITS = 18
"""Most significant digits of an HSTS ``max-age`` taken as a number (a signed 64-bit value)."""


def parse_hsts(value: str) -> dict[str, str | None]:
    """Parse a ``Strict-Transport-Security`` value (RFC 6797 §6.1) into its directives.

    Names are lower-cased; quoted values are unquoted. Raises :class:`ValueError` (French
    message) when the header is invalid: bad syntax, a repeated directive, ``max-age``
    missing, not a number, or longer than :data:`MAX_AGE_DIGITS` digits (no browser keeps it).
    """
    directives: dict[str, str | None] = {}
    position = 0
    while position < len(value):
        if value[position] in " \t;":
            position += 1
            continue
        match = _DIRECTIVE.match(value, position)
        if match is None:
            raise ValueError(msg("http.hsts.bad_syntax", rest=value[position:]))
        name = match.group(1).lower()
        raw = match.group(2)
        if raw is not None and raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        if name in directives:
            raise ValueError(msg("http.hsts.repeated", directive=match.group(1)))
        directives[name] = raw
        position = match.end()
        if position < len(value) and value[position] != ";":
            raise ValueError(msg("http.hsts.bad_syntax", rest=value[position:]))
    max_age = directives.get("max-age")
    if max_age is None:
        raise ValueError(msg("http.hsts.no_max_age"))
    if not max_age.isascii() or not max_age.isdigit():
        raise ValueError(msg("http.hsts.max_age_not_number", max_age=max_age[:40]))
    if len(max_age.lstrip("0")) > MAX_AGE_DIGITS:
        raise ValueError(msg("http.hsts.max_age_too_long", digits=len(max_age)))
    return directives


# --- TLS --------------------------------------------------------------------------------

_OLD_VERSIONS = (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1_2)
_TLS_BY_LABEL = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}
_TLS_NAMES = {"TLSv1": "TLS 1.0", "TLSv1.1": "TLS 1.1", "TLSv1.2": "TLS 1.2", "TLSv1.3": "TLS 1.3"}
# Needed by OpenSSL 3 to put any TLS 1.0/1.1 cipher suite in a ClientHello.
_ALL_CIPHERS = "DEFAULT:@SECLEVEL=0"


@dataclass(frozen=True)
class _Handshake:
    """One TLS handshake attempt and what came of it."""

    offered: str
    accepted: bool
    version: str | None = None
    cipher: str | None = None
    error: str | None = None
    certificate: Mapping[str, str] = field(default_factory=dict)

    def evidence(self) -> Evidence:
        if self.accepted:
            summary = msg(
                "http.tls.accepted", offered=self.offered, version=self.version, cipher=self.cipher
            )
        else:
            summary = msg("http.tls.refused", offered=self.offered, error=self.error)
        data: dict[str, Any] = {
            "offered": self.offered,
            "accepted": self.accepted,
            "negotiated": self.version,
            "cipher": self.cipher,
            "error": self.error,
        }
        if self.certificate:
            data["certificate"] = dict(self.certificate)
        return Evidence(kind="tls", summary=summary, data=data)


def _tls_label(version: ssl.TLSVersion) -> str:
    return {
        ssl.TLSVersion.TLSv1: "TLS 1.0",
        ssl.TLSVersion.TLSv1_1: "TLS 1.1",
        ssl.TLSVersion.TLSv1_2: "TLS 1.2",
        ssl.TLSVersion.TLSv1_3: "TLS 1.3",
    }[version]


def _tls_label_of(result: _Handshake) -> str:
    return _TLS_NAMES.get(result.version or "", result.version or "?")


def _client_context(low: ssl.TLSVersion, high: ssl.TLSVersion | None) -> ssl.SSLContext:
    """Build a client context offering ``low``..``high`` only, certificates not checked."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers(_ALL_CIPHERS)
    with warnings.catch_warnings():
        # Python deprecates TLS 1.0/1.1; offering them is the whole point here.
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = low
        if high is not None:
            context.maximum_version = high
    return context


def _can_offer(version: ssl.TLSVersion) -> bool:
    """Tell whether the local OpenSSL can write a ClientHello offering only ``version``."""
    outgoing = ssl.MemoryBIO()
    try:
        tls = _client_context(version, version).wrap_bio(ssl.MemoryBIO(), outgoing)
        tls.do_handshake()
    except ssl.SSLWantReadError:
        return outgoing.pending > 0  # a ClientHello was written, waiting for the server
    except (ssl.SSLError, ValueError):
        return False
    return False


def _floor_context(target_verify: bool | str, floor: ssl.TLSVersion) -> ssl.SSLContext:
    """Build a context at or above ``floor`` checking the certificate as the target asks."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if target_verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif isinstance(target_verify, str):
        context.load_verify_locations(cafile=target_verify)
    else:
        context.load_default_certs()
    context.minimum_version = floor
    return context


def _handshake(
    host: str,
    port: int,
    context: ProbeContext,
    low: ssl.TLSVersion,
    high: ssl.TLSVersion | None,
) -> _Handshake:
    """Connect and handshake offering ``low``..``high``; a refusal is a result, not an error."""
    probing_old = high is not None
    offered = _tls_label(low) if probing_old else f"TLS ≥ {_tls_label(low)[4:]}"
    tls_context = (
        _client_context(low, high)
        if probing_old
        else _floor_context(context.target.tls_verify, low)
    )
    try:
        raw = socket.create_connection((host, port), timeout=context.call_timeout())
    except TimeoutError as exc:
        raise ProbeTimeout(msg("http.handshake.timeout", host=host, port=port)) from exc
    except OSError as exc:
        raise TargetUnreachable(
            msg("http.handshake.unreachable", host=host, port=port, exc=exc)
        ) from exc
    try:
        with context.bounded() as exchange:
            exchange.use(raw)  # a server dripping its handshake is cut at the network bound
            try:
                tls = tls_context.wrap_socket(raw, server_hostname=host)
            except OSError as exc:
                if exchange.expired:
                    raise TimeoutError("négociation TLS trop lente") from exc
                raise
        with tls:
            cipher = tls.cipher()
            der = tls.getpeercert(binary_form=True)
            return _Handshake(
                offered=offered,
                accepted=True,
                version=tls.version(),
                cipher=cipher[0] if cipher else None,
                certificate=_certificate_summary(der) if der else {},
            )
    except ssl.SSLCertVerificationError as exc:
        raise TargetUnreachable(
            msg(
                "http.handshake.unreachable_2",
                host=host,
                port=port,
                value=exc.verify_message or exc,
            )
        ) from exc
    except TimeoutError as exc:
        raise ProbeTimeout(
            msg("http.handshake.timeout_2", host=host, port=port, offered=offered)
        ) from exc
    except ssl.SSLError as exc:
        return _Handshake(offered=offered, accepted=False, error=exc.reason or str(exc))
    except OSError as exc:
        # The server hung up on the ClientHello: a refusal, as far as the client can tell.
        return _Handshake(offered=offered, accepted=False, error=f"connexion fermée ({exc})")
    finally:
        raw.close()


def _certificate_summary(der: bytes) -> dict[str, str]:
    try:
        certificate = x509.load_der_x509_certificate(der)
    except ValueError as exc:
        return {"error": f"certificat illisible : {str(exc)[:200]}"}
    return {
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "not_after": certificate.not_valid_after_utc.isoformat(),
    }


# --- cookies ----------------------------------------------------------------------------

_ATTRIBUTE_NAMES = {
    "secure": "Secure",
    "httponly": "HttpOnly",
    "samesite": "SameSite",
    "path": "Path",
    "domain": "Domain",
    "max-age": "Max-Age",
    "expires": "Expires",
    "partitioned": "Partitioned",
}


@dataclass(frozen=True)
class _SetCookie:
    """One ``Set-Cookie`` header, without its value."""

    name: str
    set_by: str
    attributes: Mapping[str, str | None]
    """Lower-cased attribute names with their values (``None`` for flags)."""

    def is_deletion(self) -> bool:
        max_age = self.attributes.get("max-age")
        if max_age is not None and re.fullmatch(r"-?[0-9]{1,18}", max_age.strip()):
            return int(max_age) <= 0
        if max_age is not None and re.fullmatch(r"-[0-9]+", max_age.strip()):
            return True  # a negative number of any length deletes the cookie
        expires = self.attributes.get("expires")
        if expires:
            try:
                when = email.utils.parsedate_to_datetime(expires)
            except (TypeError, ValueError, IndexError, OverflowError):
                return False
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return when < datetime.now(UTC)
        return False

    def missing(self, require: Sequence[str]) -> list[str]:
        """Name the required attributes this cookie lacks, in French-readable form."""
        missing = []
        secure = "secure" in self.attributes
        if "secure" in require and not secure:
            missing.append("Secure")
        if "httponly" in require and "httponly" not in self.attributes:
            missing.append("HttpOnly")
        if "samesite" in require:
            same_site = self.attributes.get("samesite")
            if same_site is None:
                missing.append("SameSite")
            elif same_site.lower() not in ("strict", "lax", "none"):
                missing.append(msg("http.cookie_flags.same_site_invalid", same_site=same_site))
            elif same_site.lower() == "none" and not secure:
                missing.append(msg("http.cookie_flags.same_site_none"))
        return missing

    def evidence(self, missing: Sequence[str]) -> Evidence:
        shown = "; ".join(
            _ATTRIBUTE_NAMES.get(name, name) + ("" if value is None else f"={value}")
            for name, value in self.attributes.items()
        )
        verdict = (
            msg("http.cookie.lacks", missing=missing) if missing else msg("http.cookie.complete")
        )
        return Evidence(
            kind="cookie",
            summary=msg(
                "http.http.ev.set_cookie.evidence",
                name=self.name,
                set_by=self.set_by,
                verdict=verdict,
                shown=shown,
            ),
            data={
                "name": self.name,
                "set_by": self.set_by,
                "attributes": dict(self.attributes),
                "missing": list(missing),
            },
        )


def _parse_set_cookie(header: str, set_by: str) -> _SetCookie:
    """Parse a ``Set-Cookie`` value (RFC 6265 §5.2), dropping the cookie's value."""
    head, _, rest = header.partition(";")
    name = head.partition("=")[0].strip()
    attributes: dict[str, str | None] = {}
    for part in rest.split(";"):
        key, eq, value = part.partition("=")
        key = key.strip().lower()
        if key:
            attributes[key] = value.strip() if eq else None
    return _SetCookie(name=name, set_by=set_by, attributes=attributes)


# --- legal pages and page text ----------------------------------------------------------


@dataclass(frozen=True)
class _LegalKind:
    """How one legal page is recognised among the home page's links."""

    page: str
    label: str
    text: re.Pattern[str]
    """Matched against the folded link text, title and aria-label."""
    href: re.Pattern[str]
    """Matched against the folded, unquoted link address."""


_LEGAL_KINDS = {
    kind.page: kind
    for kind in (
        _LegalKind(
            "mentions_legales",
            "mentions légales",
            re.compile(r"mentions? legales?|informations? legales?"),
            re.compile(r"mentions?[-_]?legales?|legal[-_]?notice"),
        ),
        _LegalKind(
            "donnees_personnelles",
            "données personnelles",
            re.compile(
                r"donnees (a caractere )?personnelles|vie privee|confidentialite|rgpd"
                r"|protection des donnees"
            ),
            re.compile(
                r"donnees[-_]?personnelles|vie[-_]?privee|confidentialite|rgpd|privacy"
                r"|protection[-_]des[-_]donnees"
            ),
        ),
        _LegalKind(
            "accessibilite",
            "accessibilité",
            re.compile(r"accessibilite"),
            re.compile(r"accessibilite|accessibility"),
        ),
        _LegalKind(
            "arrete_2006",
            "arrêté du 30 novembre 2006",
            re.compile(r"arrete du 30 novembre 2006|ment0602397a"),
            re.compile(r"ment0602397a|arrete[-_]?(du[-_]?)?(30[-_]?novembre[-_]?)?2006"),
        ),
    )
}

_A11Y_MENTION = re.compile(
    r"accessibilit[eé]\s*[:：]?\s*(non|partiellement|totalement)\s+conformes?\b",
    re.IGNORECASE,
)
_A11Y_WORD = re.compile(r"accessibilit[eé]", re.IGNORECASE)
_UNFOLLOWABLE = ("#", "javascript:", "mailto:", "tel:", "data:")


@dataclass(frozen=True)
class _Link:
    """A link of the home page that names a legal page."""

    text: str
    href: str
    url: str
    matched_on: str

    def evidence(self, kind: _LegalKind) -> Evidence:
        return Evidence(
            kind="page",
            summary=msg(
                "http.http.ev.link.evidence", label=kind.label, text=self.text, href=self.href
            ),
            data={
                "page": kind.page,
                "text": self.text,
                "href": self.href,
                "url": self.url,
                "matched_on": self.matched_on,
            },
        )


def _locate_legal_page(
    kind: _LegalKind, portal: _Portal, session: requests.Session, context: ProbeContext
) -> tuple[str, list[Evidence]] | Outcome:
    """Return the page address with the evidence of how it was found, or a failed outcome."""
    given = portal.pages.get(kind.page)
    if given:
        page_url = urljoin(portal.url, given)
        return page_url, [
            note(
                msg("http.http.ev.locate_legal_page.note", page=kind.page, page_url=page_url),
                url=page_url,
            )
        ]
    home = _home_page(session, portal, context)
    link = _find_link(home, kind)
    if link is None:
        return Outcome.failed(
            msg(
                "http.locate_legal_page.fail",
                label=msg("http.legal_kind." + kind.page),
                url=home.url,
            ),
            note(
                msg("http.http.ev.locate_legal_page.note_2", label=kind.label),
                page=kind.page,
                text_pattern=kind.text.pattern,
                href_pattern=kind.href.pattern,
            ),
            http_exchange(home),
        )
    return link.url, [link.evidence(kind)]


def _find_link(home: requests.Response, kind: _LegalKind) -> _Link | None:
    """Return the first link naming ``kind`` by its text, else the first by its address."""
    document = _parse_html(home)
    if document is None:
        return None
    by_address: _Link | None = None
    for anchor in document.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.lower().startswith(_UNFOLLOWABLE):
            continue
        text = _squash(anchor.text_content())
        labels = " ".join([text, anchor.get("title") or "", anchor.get("aria-label") or ""])
        if kind.text.search(_fold(labels)):
            return _link(home, text, href, "texte du lien")
        if by_address is None and kind.href.search(_fold(unquote(href))):
            by_address = _link(home, text, href, "adresse du lien")
    return by_address


MAX_LINK_CHARS = 4096
"""Longest link address taken for a legal page; beyond it the home page is hostile."""

_LINK_TEXT_CHARS = 200


def _link(home: requests.Response, text: str, href: str, matched_on: str) -> _Link:
    """A link naming a legal page, its text cut for the evidence; an absurd address refused."""
    if len(href) > MAX_LINK_CHARS:
        raise HostileResponse(
            msg(
                "http.link.hostile",
                url=home.url,
                text=text[:60],
                count=len(href),
                max_link_chars=MAX_LINK_CHARS,
            ),
            http_exchange(home),
        )
    try:
        url = urljoin(home.url, href)
    except ValueError as exc:
        raise HostileResponse(
            msg("http.link.hostile_2", url=home.url, text=text[:60], href=href[:120], exc=exc),
            http_exchange(home),
        ) from exc
    if len(text) > _LINK_TEXT_CHARS:
        text = text[:_LINK_TEXT_CHARS] + "…"
    return _Link(text=text, href=href, url=url, matched_on=matched_on)


def _is_legifrance(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "legifrance.gouv.fr" or host.endswith(".legifrance.gouv.fr")


def _parse_html(response: requests.Response) -> lxml.html.HtmlElement | None:
    """Parse a (bounded) body as HTML without any network access; ``None`` if not HTML."""
    parser = lxml.html.HTMLParser(no_network=True, huge_tree=False, remove_pis=True)
    body = response.content
    if not body.strip():
        return None
    try:
        if response.encoding:
            text = body.decode(response.encoding, errors="replace")
            try:
                return lxml.html.document_fromstring(text, parser=parser)
            except ValueError:
                pass  # lxml refuses str with an encoding declaration: give it bytes
        return lxml.html.document_fromstring(body, parser=parser)
    except (lxml.etree.LxmlError, ValueError, LookupError):
        return None


_HTML_TYPES = ("text/html", "application/xhtml+xml")


def _unreadable(
    page: requests.Response, kind: _LegalKind, patterns: Sequence[re.Pattern[str]]
) -> str | None:
    """Say why a page answering 200 cannot be the legal page a reader looks for, if so.

    The page must be HTML (by its ``Content-Type``) with visible text; without required text
    in the grid, that text must name the page (« mentions légales », « arrêté du 30 novembre
    2006 »...), so that an error page, noise or an XML document answering 200 does not pass.
    """
    content_type = page.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type and content_type not in _HTML_TYPES:
        return msg("http.unreadable.not_html", content_type=content_type[:80])
    text = _visible_text(page)
    if not text:
        return msg("http.unreadable.no_text")
    if patterns:
        return None
    if not kind.text.search(_fold(text)):
        return msg("http.unreadable.unnamed", label=msg("http.legal_kind." + kind.page))
    return None


def _visible_text(response: requests.Response) -> str:
    """Return the text a reader sees in the body, whitespace collapsed, in NFC."""
    document = _parse_html(response)
    if document is None:
        return ""
    for hidden in document.xpath("//script|//style|//noscript|//template|//head"):
        hidden.drop_tree()
    return _squash(document.text_content())


def _searchable_text(response: requests.Response) -> str:
    """Return visible text plus link addresses, so that ``mailto:dpo@…`` counts."""
    document = _parse_html(response)
    hrefs = [] if document is None else [a.get("href") or "" for a in document.iter("a")]
    return " ".join([_visible_text(response), *hrefs])


def _squash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _fold(text: str) -> str:
    """Fold for matching: ``Données  Personnelles`` → ``donnees personnelles``."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.casefold().split())


def _compile_all(patterns: Sequence[str]) -> list[re.Pattern[str]]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise BadParams(
                msg("http.compile_all.bad_params", pattern=f"{pattern!r}", exc=exc)
            ) from exc
    return compiled


# --- shared plumbing --------------------------------------------------------------------


@dataclass(frozen=True)
class _Portal:
    """The ``portal`` section of the target, with defaults applied."""

    url: str
    http_url: str
    session_url: str | None
    session_cookies: tuple[str, ...]
    pages: Mapping[str, str]
    login: Mapping[str, str] | None = None
    login_form: LoginFormOverrides = field(default_factory=LoginFormOverrides)


def _portal(context: ProbeContext) -> _Portal:
    section = context.target.section("portal")
    url = section.get("url")
    if not isinstance(url, str) or not url:
        raise NotTestable(msg("http.portal.untestable"))
    return _Portal(
        url=url,
        # A plain-HTTP platform is its own plain-HTTP address.
        http_url=section.get("http_url")
        or (url if url.startswith("http://") else _default_http_url(url)),
        session_url=section.get("session_url"),
        session_cookies=tuple(section.get("session_cookies", ())),
        pages=dict(section.get("pages", {})),
        login=section.get("login"),
        login_form=LoginFormOverrides.from_section(section),
    )


def _log_in(
    session: requests.Session, portal: _Portal, context: ProbeContext
) -> list[requests.Response]:
    """Log in to the portal as ``portal.login.account``; every answer of the way, in order.

    The credentials rule of every family holds: the password goes only over HTTPS to the
    portal's host, its CAS server's or a host ``portal.login_form.hosts`` declares.
    """
    assert portal.login is not None
    login = portal.login["account"]
    account = next((a for a in context.target.accounts if a.login == login), None)
    if account is None:
        raise NotTestable(msg("http.log_in.untestable", login=login))
    cas_url = context.target.section("cas").get("url")
    rule = CredentialsRule.for_server(
        portal.url,
        context,
        what=msg("core.what.portal"),
        also=[cas_url] if isinstance(cas_url, str) else [],
        hosts=portal.login_form.hosts,
    )
    answers = _follow(session, portal.login.get("url") or portal.session_url or portal.url, context)

    def fetch(method: str, url: str, data: Mapping[str, str] | None) -> requests.Response:
        answer = _send(session, method, url, context, data=data)
        answers.append(answer)
        return answer

    steps = log_in_across(
        answers[-1],
        login=account.login,
        password=account.password.reveal(),
        rule=rule,
        fetch=fetch,
        overrides=portal.login_form,
    )
    if not steps.forms:
        raise ProbeError(
            msg("http.log_in.error", describe_page=describe_page(answers[-1])),
            *http_chain(answers),
        )
    if steps.refused:
        raise ProbeError(
            msg(
                "http.log_in.error_2", login=account.login, describe_page=describe_page(steps.final)
            ),
            *http_chain(answers),
        )
    return answers


def _default_http_url(url: str) -> str:
    """``https://host:8443/x`` → ``http://host/x``: the address a browser tries first."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return parts._replace(scheme="http", netloc=host).geturl()


def _https_only(
    session: requests.Session,
    portal: _Portal,
    context: ProbeContext,
    refused: TargetUnreachable,
) -> Outcome:
    """Nothing answers on plain HTTP: a pass if, and only if, HTTPS answers."""
    chain = _follow(session, portal.url, context)
    if urlsplit(chain[-1].url).scheme != "https":
        return Outcome.failed(
            msg("http.https_only.fail", url=chain[-1].url),
            *http_chain(chain),
        )
    return Outcome.passed(
        msg("http.https_only.pass", http_url=portal.http_url, status_code=chain[-1].status_code),
        note(
            msg("http.http.ev.https_only.note", http_url=portal.http_url),
            url=portal.http_url,
            error=str(refused),
        ),
        *http_chain(chain),
    )


def _home_page(
    session: requests.Session, portal: _Portal, context: ProbeContext
) -> requests.Response:
    """Fetch the home page through its redirects; a non-200 answer cannot be judged."""
    chain = _follow(session, portal.url, context)
    home = chain[-1]
    if home.status_code != 200:
        raise ProbeError(
            msg("http.home_page.error", url=portal.url, status_code=home.status_code),
            *http_chain(chain),
        )
    return home


def _follow(session: requests.Session, url: str, context: ProbeContext) -> list[requests.Response]:
    """GET ``url`` and its redirects, each hop bounded; the chain in order.

    A redirect to anything but ``http(s)://`` ends the chain on that redirect.
    """
    chain = [_get(session, url, context)]
    while chain[-1].status_code in REDIRECT_STATUSES and chain[-1].headers.get("Location"):
        next_url = _join(chain[-1], chain[-1].headers["Location"])
        if urlsplit(next_url).scheme not in ("http", "https"):
            break
        if len(chain) > MAX_REDIRECTS:
            raise HostileResponse(
                msg("http.follow.hostile", max_redirects=MAX_REDIRECTS, url=url), *http_chain(chain)
            )
        chain.append(_get(session, next_url, context))
    return chain


def _join(response: requests.Response, location: str) -> str:
    """The address a ``Location`` leads to; a malformed one is a hostile answer."""
    try:
        joined = urljoin(response.url, location)
        urlsplit(joined).port  # noqa: B018 - raises on an impossible port
    except ValueError as exc:
        raise HostileResponse(
            msg("http.join.hostile", url=response.url, location=location[:120], exc=exc),
            http_exchange(response),
        ) from exc
    return joined
