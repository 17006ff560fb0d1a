"""What every ``cas`` probe shares: the target's ``cas`` section, evidence, browsers.

A :class:`Recorder` holds the evidence of one check, in order, and the non-conformities
found so far; :class:`Browser` sessions send through it. The front channel is a browser
with its cookie jar; the **back channel** (:meth:`Recorder.back_channel`) is how a service
validates a ticket: a fresh request with no cookie at all, as a real service's server
sends it. :class:`CasProbe` is the base of every probe of the family: once a
non-conformity is recorded with its evidence, a later broken or hostile answer adds
evidence and never turns the result into ``error``.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import requests

from sdet_check.evidence import http_exchange, note
from sdet_check.login import CredentialsRule, LoginFormOverrides, looks_like_html, origin_of
from sdet_check.messages import Message, clauses, msg
from sdet_check.probe import (
    Evidence,
    HostileResponse,
    NotTestable,
    Outcome,
    Probe,
    ProbeContext,
    ProbeError,
    validated_params,
)
from sdet_check.sdet_model import uai_problem
from sdet_check.target import Account
from sdet_check.transport import MAX_BODY_BYTES as MAX_BODY_BYTES  # the bound, for readers
from sdet_check.transport import header_values, send

CAS_NS = "http://www.yale.edu/tp/cas"
"""Namespace of CAS 2.0/3.0 service responses (spec, appendix A)."""

SAML1_PROTOCOL_NS = "urn:oasis:names:tc:SAML:1.0:protocol"
"""Namespace of SAML 1.x protocol messages (``samlValidate``)."""

SAML1_ASSERTION_NS = "urn:oasis:names:tc:SAML:1.0:assertion"
"""Namespace of SAML 1.x assertions (``samlValidate``)."""

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
"""Namespace of SOAP 1.1 envelopes."""


MAX_REDIRECTS = 10
"""Longest redirect chain followed on the CAS server during a login."""

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
"""HTTP statuses that redirect with a ``Location`` header."""

NOT_OFFERED_STATUSES = frozenset({404, 405, 410, 501})
"""Statuses that say an endpoint does not exist on the server."""

TICKET_CHARSET = re.compile(r"^[A-Za-z0-9-]+$")
"""Characters allowed in tickets and in the ticket-granting cookie value (spec §3.7)."""

DEFAULT_UNREGISTERED_SERVICE = "https://service-non-enregistre.sdet-check.invalid/"
"""Service URL of the refusal test when the target names none (``.invalid`` never resolves)."""

PROFILE_CODES: Mapping[str, str] = {
    "eleve": "National_ELV",
    "parent": "National_TUT",
    "enseignant": "National_ENS",
    "direction": "National_DIR",
    "vie_scolaire": "National_EVS",
    "documentaliste": "National_DOC",
    "personnel": "National_ETA",
    "collectivite": "National_COL",
    "academie": "National_ACA",
}
"""The national profile code each target account profile must carry."""

PROTOCOL_ATTRIBUTES = frozenset(
    {"authenticationDate", "longTermAuthenticationRequestTokenUsed", "isFromNewLogin"}
)
"""Attributes the protocol itself puts in ``cas:attributes`` (appendix A), not user data."""

PERSONAL_ATTRIBUTES = frozenset(
    name.casefold()
    for name in (
        "sn",
        "givenName",
        "cn",
        "displayName",
        "mail",
        "email",
        "firstName",
        "lastName",
        "birthDate",
        "personalTitle",
        "telephoneNumber",
        "mobile",
        "homePhone",
        "postalAddress",
        "ENTPersonNom",
        "ENTPersonPrenom",
        "ENTPersonNomPatro",
        "ENTPersonAutresPrenoms",
        "ENTPersonNomAffichage",
        "ENTPersonDateNaissance",
        "ENTPersonMail",
        "ENTPersonMailAca",
        "ENTPersonAdresse",
        "ENTPersonCodePostal",
        "ENTPersonVille",
        "ENTPersonTelPerso",
        "ENTPersonCivilite",
    )
)
"""Attributes whose values are personal data: masked in every piece of evidence."""

MASKED = "‹masqué›"
"""What replaces a personal value in evidence."""

PROFILES_PARAM: Mapping[str, Any] = {
    "type": "array",
    "items": {"enum": sorted(PROFILE_CODES)},
    "uniqueItems": True,
    "minItems": 1,
}
NO_PARAMS: Mapping[str, Any] = {"type": "object", "additionalProperties": False, "properties": {}}
OPTIONAL_PARAM: Mapping[str, Any] = {
    "type": "boolean",
    "default": False,
    "description": (
        "The endpoint is optional for this requirement: when the server does not offer it "
        "(404/405/410/501) the result is not_applicable; otherwise that is a failure."
    ),
}


# --- UAI, profiles, tickets ---------------------------------------------------------------


def is_valid_uai(value: str) -> bool:
    """Tell whether ``value`` is 7 digits followed by their check letter (any case)."""
    return uai_problem(value.strip().upper()) is None


_TICKET = re.compile(r"\b(PGTIOU|PGT|TGT|ST|PT|LT)-([A-Za-z0-9-]{4})[A-Za-z0-9._-]{4,}")
_ALREADY_CUT = r"(?![A-Z]{2,6}-[A-Za-z0-9-]{4}…)"
_TICKET_PARAM = re.compile(
    rf"""([?&;](?:ticket|pgt|pgtId|pgtIou)=){_ALREADY_CUT}([^&\s"'<>]{{4}})[^&\s"'<>]{{2,}}"""
)
_TICKET_ELEMENT = re.compile(
    rf"(<(?:[\w-]+:)?(?:proxyGrantingTicket|proxyTicket)\b[^>]*>){_ALREADY_CUT}([^<]{{4}})[^<]{{2,}}(</)"
)


def truncate_tickets(text: str) -> str:
    """Cut every CAS ticket in ``text`` to its prefix and four characters: ``ST-1a2b…``.

    Tickets of any shape are cut where they stand as a ticket: a ``ticket``, ``pgt``,
    ``pgtId`` or ``pgtIou`` parameter, a ``proxyGrantingTicket`` or ``proxyTicket`` element.
    """
    text = _TICKET.sub(lambda match: f"{match[1]}-{match[2]}…", text)
    text = _TICKET_PARAM.sub(lambda match: f"{match[1]}{match[2]}…", text)
    return _TICKET_ELEMENT.sub(lambda match: f"{match[1]}{match[2]}…{match[3]}", text)


def cut(ticket: str) -> str:
    """A ticket shown in a message: cut like evidence, and never empty."""
    shortened = truncate_tickets(ticket)
    if shortened != ticket:
        return shortened
    return ticket[:7] + "…" if len(ticket) > 8 else ticket


# --- the target's cas section -------------------------------------------------------------


@dataclass(frozen=True)
class Callback:
    """Where the CAS server can reach this machine (``cas.callback``)."""

    host: str
    cert_file: Path | None
    key_file: Path | None


@dataclass(frozen=True)
class CasSection:
    """The ``cas`` section of the target, with defaults applied."""

    url: str
    service: str
    other_service: str | None
    unregistered_service: str
    sso_cookie: str | None
    callback: Callback | None
    login_form: LoginFormOverrides

    @property
    def login_url(self) -> str:
        """``{cas}/login``."""
        return self.endpoint("login")

    @property
    def logout_url(self) -> str:
        """``{cas}/logout``."""
        return self.endpoint("logout")

    def endpoint(self, name: str) -> str:
        """Absolute address of an endpoint given relative to the CAS prefix."""
        return f"{self.url}/{name}"

    @property
    def prefix_path(self) -> str:
        """Path of the CAS prefix (``/cas``), ``/`` for a server at the root."""
        return urlsplit(self.url).path.rstrip("/") or "/"

    def credentials_rule(self, context: ProbeContext) -> CredentialsRule:
        """Where the test passwords may go: this server's host, over HTTPS (or the opt-in).

        A plain-HTTP server without ``--allow-cleartext-credentials`` raises
        :class:`NotTestable`: the probe sends no password and says why.
        """
        return CredentialsRule.for_server(
            self.url, context, what=msg("core.what.cas_server"), hosts=self.login_form.hosts
        )

    def on_host(self, url: str) -> bool:
        """Tell whether ``url`` is on the CAS server: its host and port, or a declared host.

        Any path counts (a server may hand the login to its portal); an ambiguous or
        malformed address never does (:func:`sdet_check.login.origin_of`).
        """
        origin = origin_of(url)
        if origin is None:
            return False
        mine = origin_of(self.url)
        if mine is not None and (origin[1], origin[2]) == (mine[1], mine[2]):
            return True
        for name in self.login_form.hosts:
            host, _, port = name.partition(":")
            if origin[1] == host.lower().rstrip(".") and port in ("", str(origin[2])):
                return True
        return False

    def on_server(self, url: str) -> bool:
        """Tell whether ``url`` is on the CAS server (same origin, under the prefix)."""
        mine, other = origin_of(self.url), origin_of(url)
        if mine is None or other is None or mine != other:
            return False
        prefix = self.prefix_path.rstrip("/") + "/"
        return (urlsplit(url).path + "/").startswith(prefix)


def cas_section(context: ProbeContext) -> CasSection:
    """Read the target's ``cas`` section; :class:`NotTestable` when it cannot serve."""
    section = context.target.section("cas")
    url = section.get("url")
    if not isinstance(url, str) or not url:
        raise NotTestable(msg("cas.common.cas_section.untestable"))
    service = section.get("service")
    if not isinstance(service, str) or not service:
        raise NotTestable(msg("cas.common.cas_section.untestable_2"))
    callback = section.get("callback")
    return CasSection(
        url=url.rstrip("/"),
        service=service,
        other_service=section.get("other_service") or None,
        unregistered_service=section.get("unregistered_service") or DEFAULT_UNREGISTERED_SERVICE,
        sso_cookie=section.get("sso_cookie") or None,
        login_form=LoginFormOverrides.from_section(section),
        callback=(
            Callback(
                host=callback["host"],
                cert_file=context.target.path(callback["cert_file"])
                if callback.get("cert_file")
                else None,
                key_file=context.target.path(callback["key_file"])
                if callback.get("key_file")
                else None,
            )
            if isinstance(callback, Mapping) and callback.get("host")
            else None
        ),
    )


def login_accounts(context: ProbeContext, profiles: Sequence[str] | None) -> list[Account]:
    """The accounts the CAS probes log in with (``cas.accounts``, restricted to ``profiles``)."""
    accounts = list(context.target.accounts)
    # The target may name the accounts the CAS server knows (others may belong to another IdP).
    logins = context.target.section("cas").get("accounts")
    if logins:
        accounts = [account for account in accounts if account.login in logins]
    if profiles:
        accounts = [account for account in accounts if account.profile in profiles]
    if not accounts:
        wanted = msg("cas.accounts.of_profile", profiles=", ".join(profiles)) if profiles else ""
        raise NotTestable(msg("cas.common.login_accounts.untestable", wanted=wanted))
    return accounts


def who(account: Account) -> str:
    """An account as messages name it: ``login (profil)``."""
    return f"{account.login} ({account.profile})"


# --- evidence: recorder, scrubbing ---------------------------------------------------------


_PERSONAL_NAMES = "|".join(sorted((re.escape(n) for n in PERSONAL_ATTRIBUTES), key=len)[::-1])
_PERSONAL_ELEMENT = re.compile(
    rf"(<(?:[\w-]+:)?(?:{_PERSONAL_NAMES})\b[^>]*>)([^<]+)(</)", re.IGNORECASE
)
_PERSONAL_PAIR = re.compile(
    rf"""(\bname=["'](?:{_PERSONAL_NAMES})["']\s+value=["'])([^"']*)(["'])""", re.IGNORECASE
)
_PERSONAL_PAIR_REVERSED = re.compile(
    rf"""(\bvalue=["'])([^"']*)(["']\s+name=["'](?:{_PERSONAL_NAMES})["'])""", re.IGNORECASE
)
_PERSONAL_BLOCK = re.compile(
    rf"(<(?:[\w-]+:)?({_PERSONAL_NAMES})\b[^>]*>)(.*?)(</(?:[\w-]+:)?\2\s*>)",
    re.IGNORECASE | re.DOTALL,
)
_CDATA = re.compile(r"<!\[CDATA\[.*?\]\]>", re.DOTALL)
_TEXT_NODE = re.compile(r"(^|>)([^<]+)")


def _mask_inner(inner: str) -> str:
    """Every text node and CDATA section inside a personal attribute's element, masked."""
    inner = _CDATA.sub(MASKED, inner)
    return _TEXT_NODE.sub(lambda m: m[1] + (MASKED if m[2].strip() else m[2]), inner)


_PERSONAL_SAML = re.compile(
    rf"""(<(?:[\w-]+:)?Attribute\b[^>]*AttributeName=["'](?:{_PERSONAL_NAMES})["'][^>]*>)(.*?)"""
    r"(</(?:[\w-]+:)?Attribute>)",
    re.IGNORECASE | re.DOTALL,
)
_SAML_VALUE = re.compile(r"(<(?:[\w-]+:)?AttributeValue\b[^>]*>)([^<]*)(</)")
_CSRF_VALUE = re.compile(
    r"""(name=["']csrfmiddlewaretoken["']\s+value=["'])([^"']{6})[^"']*""", re.IGNORECASE
)


class Scrubber:
    """Cuts tickets, masks personal values and any test password in evidence."""

    def __init__(self, context: ProbeContext) -> None:
        """Collect the test passwords of ``context``'s target."""
        self._secrets = sorted(
            {account.password.reveal() for account in context.target.accounts} - {""},
            key=len,
            reverse=True,
        )

    def text(self, value: str) -> str:
        """``value`` with passwords masked, tickets cut, personal values masked."""
        if isinstance(value, Message):
            return value.map_text(self.text)
        for secret in self._secrets:
            value = value.replace(secret, "***")
        value = truncate_tickets(value)
        value = _PERSONAL_ELEMENT.sub(lambda m: f"{m[1]}{MASKED}{m[3]}", value)
        value = _PERSONAL_BLOCK.sub(lambda m: m[1] + _mask_inner(m[3]) + m[4], value)
        value = _PERSONAL_PAIR.sub(lambda m: f"{m[1]}{MASKED}{m[3]}", value)
        value = _PERSONAL_PAIR_REVERSED.sub(lambda m: f"{m[1]}{MASKED}{m[3]}", value)
        value = _PERSONAL_SAML.sub(
            lambda m: m[1] + _SAML_VALUE.sub(lambda v: f"{v[1]}{MASKED}{v[3]}", m[2]) + m[3],
            value,
        )
        return _CSRF_VALUE.sub(lambda m: f"{m[1]}{m[2]}…", value)

    def data(self, value: Any) -> Any:
        """Scrub every string in a JSON-like value."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {str(k): self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value

    def evidence(self, piece: Evidence) -> Evidence:
        """A scrubbed copy of ``piece``."""
        return Evidence(
            kind=piece.kind, summary=self.text(piece.summary), data=self.data(dict(piece.data))
        )


class Recorder:
    """The evidence of one check, in order, the non-conformities found, the browsers used.

    On leaving, browser sessions are closed; a :class:`ProbeError` leaving the block gets the
    evidence gathered so far (scrubbed), so that an ``error`` result shows what was seen.
    """

    def __init__(self, context: ProbeContext) -> None:
        """Start an empty record for one check against ``context``'s target."""
        self.context = context
        self.scrubber = Scrubber(context)
        self.evidence: list[Evidence] = []
        self.problems: list[str] = []
        """Non-conformities recorded so far, each with its evidence already added."""
        self._browsers: list[Browser] = []

    def __enter__(self) -> Recorder:
        """Use as a context manager."""
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        """Close the sessions; give a leaving ProbeError the evidence gathered so far."""
        for browser in self._browsers:
            browser.session.close()
        if isinstance(exc, ProbeError):
            own = [self.scrubber.evidence(piece) for piece in exc.evidence]
            exc.evidence = (*self.evidence, *own)
            exc.args = (self.scrubber.text(str(exc)),)
            exc.message = self.scrubber.text(exc.message)

    def browser(self) -> Browser:
        """A new browser session (front channel) with its own cookie jar."""
        browser = Browser(self)
        self._browsers.append(browser)
        return browser

    def back_channel(self) -> Browser:
        """A service's back channel: every request fresh, no cookie ever sent."""
        browser = Browser(self, keep_cookies=False)
        self._browsers.append(browser)
        return browser

    def add(self, piece: Evidence) -> None:
        """Add one piece of evidence (scrubbed)."""
        self.evidence.append(self.scrubber.evidence(piece))

    def note(self, summary: str, **data: object) -> None:
        """Add a note as evidence."""
        self.add(note(summary, **data))

    def problem(self, text: str) -> None:
        """Record a non-conformity; it stands whatever the rest of the check meets."""
        self.problems.append(text)

    def passed(self, message: str) -> Outcome:
        """A pass with every piece of evidence."""
        return Outcome.passed(self.scrubber.text(message), *self.evidence)

    def failed(self, message: str) -> Outcome:
        """A failure with every piece of evidence."""
        return Outcome.failed(self.scrubber.text(message), *self.evidence)

    def verdict(self, failure: str, success: str) -> Outcome:
        """Fail with ``failure`` and the recorded problems when there are any, else pass."""
        if self.problems:
            return self.failed(
                msg(
                    "cas.common.recorder.failed",
                    failure=failure,
                    problems=clauses(self.problems),
                )
            )
        return self.passed(success)

    def failed_after(self, exc: ProbeError) -> Outcome:
        """The recorded problems, with what went wrong afterwards kept as evidence."""
        for piece in exc.evidence:
            self.add(piece)
        self.note(msg("cas.common.ev.recorder.note", exc=exc))
        after = self.scrubber.text(exc.message)
        problems = clauses(self.problems)
        return self.failed(msg("cas.common.recorder.failed_2", problems=problems, after=after))

    def not_offered(self, endpoint: str, response: requests.Response, optional: bool) -> Outcome:
        """An endpoint the server does not offer: not applicable when optional, else a failure."""
        message = msg("cas.not_offered", endpoint=endpoint, why=offer_refusal(response))
        if optional and not self.problems:
            return Outcome.not_applicable(
                self.scrubber.text(msg("cas.not_offered.optional", message=message)),
                *self.evidence,
            )
        if optional:
            return self.failed(clauses(self.problems))
        self.problem(msg("cas.common.recorder.problem", message=message))
        return self.failed(clauses(self.problems))


class Browser:
    """One browser-like session, every exchange recorded.

    With ``keep_cookies=False`` it plays a service's back channel: the jar is emptied before
    each request, so no cookie is ever sent.
    """

    def __init__(self, recorder: Recorder, *, keep_cookies: bool = True) -> None:
        """Open a session for ``recorder``'s target."""
        self.recorder = recorder
        self.session = recorder.context.http_session()
        self.keep_cookies = keep_cookies
        self.set_cookies: list[tuple[str, str]] = []
        """Every ``Set-Cookie`` received, with the address that sent it, in order."""

    def get(self, url: str, params: Mapping[str, str] | None = None) -> requests.Response:
        """GET without following redirects; recorded."""
        return self.send("GET", url, params=params)

    def send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send one request, read the bounded body, record the exchange."""
        if not self.keep_cookies:
            self.session.cookies.clear()
        response = send(self.session, method, url, self.recorder.context, **kwargs)
        for header in header_values(response, "Set-Cookie"):
            self.set_cookies.append((response.url, header))
        self.recorder.add(http_exchange(response))
        return response

    def follow_on_cas(
        self, cas: CasSection, url: str, params: Mapping[str, str] | None = None
    ) -> list[requests.Response]:
        """GET ``url`` and follow redirects while they stay on the CAS server.

        A redirect to the requested service (``params["service"]``), or carrying a ticket,
        ends the chain even when the service shares the server's host: it is the answer.
        """
        service = (params or {}).get("service")
        chain = [self.get(url, params)]
        while (target := location(chain[-1])) is not None and cas.on_host(target):
            if "ticket=" in target or (service is not None and same_resource(target, service)):
                break
            if len(chain) > MAX_REDIRECTS:
                raise HostileResponse(
                    msg("cas.common.browser.hostile", max_redirects=MAX_REDIRECTS, url=url)
                )
            chain.append(self.get(target))
        return chain


class NotOffered(ProbeError):
    """The endpoint does not exist on the server (status, redirect or web page)."""

    def __init__(self, endpoint: str, response: requests.Response) -> None:
        """Keep the answer that shows it."""
        super().__init__(
            f"le point d'accès /{endpoint} n'est pas proposé ({offer_refusal(response)})"
        )
        self.endpoint = endpoint
        self.response = response


def offered(response: requests.Response) -> bool:
    """Whether an answer comes from a protocol endpoint.

    Not offered: a 404, 405, 410 or 501, a redirect, or a successful web page where a
    protocol answer was expected. A 403 or a 5xx page is the endpoint failing, not absent.
    """
    if response.status_code in NOT_OFFERED_STATUSES or location(response) is not None:
        return False
    return not (200 <= response.status_code < 300 and looks_like_html(response))


class CasProbe(Probe):
    """Base of the family: validated params, the ``cas`` section, a recorder, failures kept.

    Subclasses implement :meth:`decide`. A :class:`ProbeError` raised after a problem was
    recorded gives a failure with every piece of evidence, the error among them.
    """

    needs: ClassVar[tuple[str, ...]] = ("cas", "accounts")

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Validate ``params``, read the ``cas`` section, decide with a recorder."""
        params = validated_params(self, params)
        cas = cas_section(context)
        self.prepare(params, cas, context)
        with Recorder(context) as recorder:
            try:
                return self.decide(params, cas, recorder)
            except NotOffered as exc:
                return recorder.not_offered(exc.endpoint, exc.response, optional=False)
            except NotTestable:
                if recorder.problems:  # what was seen before the login stands
                    return recorder.failed(clauses(recorder.problems))
                raise
            except ProbeError as exc:
                if recorder.problems:
                    return recorder.failed_after(exc)
                raise

    def prepare(self, params: Mapping[str, Any], cas: CasSection, context: ProbeContext) -> None:
        """Refuse early (``NotTestable``) what the target lacks; nothing by default."""

    @abstractmethod
    def decide(self, params: Mapping[str, Any], cas: CasSection, recorder: Recorder) -> Outcome:
        """Observe the CAS server through ``recorder`` and decide."""


# --- redirects ------------------------------------------------------------------------------


def location(response: requests.Response) -> str | None:
    """The absolute redirect target of a 3xx answer, else ``None``; a malformed one is hostile."""
    target = response.headers.get("Location")
    if response.status_code in REDIRECT_STATUSES and target:
        try:
            return urljoin(response.url, target)
        except ValueError as exc:
            raise HostileResponse(
                msg("cas.common.location.hostile", target=f"{target[:200]!r}")
            ) from exc
    return None


def same_resource(url: str, service: str) -> bool:
    """Tell whether ``url`` points at ``service`` (origin and path), query aside."""
    a, b = origin_of(url), origin_of(service)
    return (
        a is not None and a == b and (urlsplit(url).path or "/") == (urlsplit(service).path or "/")
    )


def offer_refusal(response: requests.Response) -> str:
    """How an answer says its endpoint is not offered, in French (status, page, redirect)."""
    target = location(response)
    if target is not None:
        return msg("cas.refusal.redirect", status=response.status_code, target=target.split("?")[0])
    if response.status_code in NOT_OFFERED_STATUSES:
        return msg("core.page.status", status=response.status_code)
    return msg("cas.refusal.html", status=response.status_code)
