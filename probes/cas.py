"""The ``cas`` probe family: the ENT's CAS server, as a service and a browser see it.

Login form, full login with each test account, ticket validation (``serviceValidate``,
``p3/serviceValidate``, ``proxyValidate``, ``validate``, ``samlValidate``), the SDET
attributes released per profile, the protocol's error codes, ``renew``, ``gateway``, logout,
refusal of unregistered services, the SSO cookie, proxy tickets and the proxy callback
(CAS Protocol 3.0 Specification, v3.0.3).

Every probe is read-only apart from logging in with the target's test accounts. Each
network call is bounded by ``context.call_timeout()``; each body is read up to
:data:`MAX_BODY_BYTES`; every XML the server sends goes through
:func:`~sdet_check.xmlsafe.parse_hostile_xml`; ``requests`` exceptions become
:class:`~sdet_check.probe.ProbeError` subclasses at one boundary (:func:`_send`).

Evidence hygiene: every exchange is recorded, but tickets are cut (``ST-1a2b…``), form
posts are never recorded (the password is sent, never shown), request cookies are masked,
cookie values are cut, and the values of personal attributes (names, e-mail, birth date,
address…) are masked — the evidence says so. A last pass masks any test password wherever
it might appear.
"""

from __future__ import annotations

import re
import secrets
import ssl
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urljoin, urlsplit

import lxml.etree
import lxml.html
import requests

from sdet_check.evidence import http_exchange, note
from sdet_check.probe import (
    BadParams,
    Evidence,
    HostileResponse,
    NotTestable,
    Outcome,
    Probe,
    ProbeContext,
    ProbeError,
    validated_params,
)
from sdet_check.sdet_model import NATIONAL_PROFILES, uai_problem
from sdet_check.target import Account
from sdet_check.transport import MAX_BODY_BYTES as MAX_BODY_BYTES  # the bound, for readers
from sdet_check.transport import header_values as _header_values
from sdet_check.transport import send as _send
from sdet_check.xmlsafe import parse_hostile_xml

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

_PROFILES_PARAM: Mapping[str, Any] = {
    "type": "array",
    "items": {"enum": sorted(PROFILE_CODES)},
    "uniqueItems": True,
    "minItems": 1,
}
_NO_PARAMS: Mapping[str, Any] = {"type": "object", "additionalProperties": False, "properties": {}}
_OPTIONAL_PARAM: Mapping[str, Any] = {
    "type": "boolean",
    "default": False,
    "description": (
        "The endpoint is optional for this requirement: when the server does not offer it "
        "(404/405/410/501) the result is not_applicable; otherwise that is a failure."
    ),
}


# --- probes -----------------------------------------------------------------------------


class LoginForm(Probe):
    """``/login`` presents, over HTTPS, a credentials form for a registered service.

    Pass: ``GET {cas}/login?service=<service>`` without a session is served over HTTPS
    (redirects on the CAS server followed) with status 200 and an HTML form that has a
    ``username`` field and a ``password`` field of type password, is submitted by POST to
    ``/login`` over HTTPS on the CAS server, and carries the service (a ``service`` field with
    the requested value, or the service in the action's query) — spec §2.1.3. The login
    ticket ``lt`` is recorded; it is required only with ``require_lt``. Fail otherwise,
    naming each missing point.
    """

    kind = "cas.login_form"
    title = "La mire CAS est servie en HTTPS et présente un formulaire d'identifiants"
    needs = ("cas",)
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "require_lt": {
                "type": "boolean",
                "default": False,
                "description": "Also require the login ticket field lt (spec §2.1.3).",
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Fetch the login page without a session and inspect its form."""
        params = validated_params(self, params)
        cas = _cas(context)
        with _Recorder(context) as recorder:
            browser = recorder.browser()
            chain = browser.follow_on_cas(cas, cas.login_url, {"service": cas.service})
            page = chain[-1]
            problems: list[str] = []
            in_clear = [r.url for r in chain if urlsplit(r.url).scheme != "https"]
            if in_clear:
                problems.append("page servie sans HTTPS : " + ", ".join(in_clear))
            if page.status_code != 200:
                return recorder.failed(
                    f"{cas.login_url}?service=… répond {page.status_code} au lieu d'une mire "
                    "d'authentification (200)"
                )
            form = _find_login_form(page)
            if form is None:
                return recorder.failed(
                    f"aucun formulaire avec un champ de mot de passe sur {page.url}"
                )
            recorder.add(form.evidence())
            problems += form.problems(cas, require_lt=params.get("require_lt", False))
            if problems:
                return recorder.failed("mire CAS non conforme : " + " ; ".join(problems))
            return recorder.passed(
                f"mire servie en HTTPS ({page.url.split('?')[0]}), formulaire POST vers "
                f"{form.action.split('?')[0]} avec username, password et le service"
                + (" ; ticket de connexion lt présent" if "lt" in form.fields else "")
            )


class Login(Probe):
    """A full login with each test account yields a service ticket starting ``ST-``.

    For each account (``profiles`` restricts them): a fresh session, ``GET /login`` for the
    service, POST of the form with the account's credentials, then the redirect to the
    service must carry ``ticket=ST-…`` (spec §2.2.4, §3.1.1). With ``charset``, every ticket
    and the SSO cookie's value must only use ``A-Z a-z 0-9 -`` (spec §3.7). An account whose
    credentials are refused makes the probe unable to decide (an ``error``).
    """

    kind = "cas.login"
    title = "Connexion complète de chaque compte de test : ticket de service ST-"
    needs = ("cas", "accounts")
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "profiles": {
                **_PROFILES_PARAM,
                "description": "Account profiles to log in with (default: every account).",
            },
            "charset": {
                "type": "boolean",
                "default": False,
                "description": (
                    "Also check that tickets and the SSO cookie value only use A-Z a-z 0-9 -."
                ),
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Log in with each account; judge each ticket (and the SSO cookie)."""
        params = validated_params(self, params)
        cas = _cas(context)
        accounts = _accounts(context, params.get("profiles"))
        want_charset: bool = params.get("charset", False)
        problems: list[str] = []
        seen: list[str] = []
        with _Recorder(context) as recorder:
            for account in accounts:
                browser = recorder.browser()
                login = _login(browser, cas, account, cas.service)
                tickets = [login.ticket]
                who = _who(account)
                if not login.ticket.startswith("ST-"):
                    problems.append(f"{who} : ticket {_cut(login.ticket)} sans préfixe ST-")
                if want_charset:
                    tickets.append(_sso_ticket(browser, cas, cas.service))
                    bad = [t for t in tickets if not TICKET_CHARSET.match(t)]
                    problems += [f"{who} : ticket {_cut(t)} hors du jeu A-Z a-z 0-9 -" for t in bad]
                    if account is accounts[0]:
                        for cookie in _identify_sso_cookies(recorder, browser, cas):
                            fits = bool(TICKET_CHARSET.match(cookie.value))
                            if not fits:
                                problems.append(
                                    f"valeur du cookie SSO {cookie.name} hors du jeu A-Z a-z 0-9 -"
                                )
                            recorder.note(
                                f"cookie SSO {cookie.name} : valeur de {len(cookie.value)} "
                                "caractères, "
                                + ("jeu A-Z a-z 0-9 - respecté" if fits else "hors du jeu"),
                                cookie=cookie.name,
                                length=len(cookie.value),
                                charset_ok=fits,
                            )
                seen.append(f"{who} → {_cut(login.ticket)} ({len(login.ticket)} caractères)")
            if problems:
                return recorder.failed("tickets non conformes : " + " ; ".join(problems))
            message = "ticket de service ST- obtenu pour chaque compte : " + ", ".join(seen)
            if want_charset:
                message += " ; tickets et cookie SSO dans le jeu A-Z a-z 0-9 -"
            return recorder.passed(message)


class SingleSignOn(Probe):
    """A user logged in once gets a ticket for another service without credentials.

    Log in for ``cas.service``, then ``GET /login?service=<other_service>`` (or the same
    service when the target names no other) in the same session: pass when the answer
    redirects to the service with ``ticket=ST-…`` without showing a form, and that ticket
    validates at ``serviceValidate`` for the same user.
    """

    kind = "cas.sso"
    title = "Authentification unique : un second service obtient un ticket sans ressaisie"
    needs = ("cas", "accounts")
    params_schema = _NO_PARAMS

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Log in once, ask for a second service, validate its ticket."""
        validated_params(self, params)
        cas = _cas(context)
        account = _accounts(context, None)[0]
        second = cas.other_service or cas.service
        with _Recorder(context) as recorder:
            browser = recorder.browser()
            first = _login(browser, cas, account, cas.service)
            first_answer = _validate(browser, cas, "serviceValidate", cas.service, first.ticket)
            response = browser.get(cas.login_url, {"service": second})
            ticket = _redirect_ticket(response, second)
            if ticket is None:
                shown = "un formulaire d'identifiants" if _find_login_form(response) else "autre"
                return recorder.failed(
                    f"après connexion, /login?service={second} ne délivre pas de ticket sans "
                    f"ressaisie (statut {response.status_code}, {shown})"
                )
            answer = _validate(browser, cas, "serviceValidate", second, ticket)
            if answer.outcome != "authenticationSuccess":
                return recorder.failed(
                    f"le ticket {_cut(ticket)} obtenu par SSO n'est pas validé "
                    f"({answer.describe()})"
                )
            if first_answer.user and answer.user != first_answer.user:
                return recorder.failed(
                    f"le ticket obtenu par SSO désigne {answer.user!r} au lieu de "
                    f"{first_answer.user!r}"
                )
            return recorder.passed(
                f"après une connexion pour {cas.service}, {second} obtient {_cut(ticket)} sans "
                f"ressaisie ; validé pour l'utilisateur {answer.user!r}"
            )


class ServiceValidate(Probe):
    """A CAS validation endpoint answers in the CAS namespace with ``authenticationSuccess``.

    A ticket obtained by logging in with the first account is validated at ``endpoint``.
    Pass: status 200, well-formed XML whose root is ``{http://www.yale.edu/tp/cas}serviceResponse``
    with an ``authenticationSuccess`` holding a non-empty ``user`` (spec §2.5.2, appendix A);
    with ``require_attributes``, ``cas:attributes`` must also hold user attributes (spec §2.8).
    An endpoint the server does not offer (404/405/410/501) is ``not_applicable`` when
    ``optional``, a failure otherwise.
    """

    kind = "cas.service_validate"
    title = "Validation de ticket CAS 2.0/3.0 (réponse XML dans l'espace de noms CAS)"
    needs = ("cas", "accounts")
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "endpoint": {
                "enum": [
                    "serviceValidate",
                    "proxyValidate",
                    "p3/serviceValidate",
                    "p3/proxyValidate",
                ],
                "default": "serviceValidate",
                "description": "Validation endpoint, relative to the CAS prefix.",
            },
            "optional": _OPTIONAL_PARAM,
            "require_attributes": {
                "type": "boolean",
                "default": False,
                "description": "Also require user attributes in cas:attributes (CAS 3.0).",
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Log in, validate the ticket at the endpoint, judge the answer."""
        params = validated_params(self, params)
        endpoint: str = params.get("endpoint", "serviceValidate")
        optional: bool = params.get("optional", False)
        cas = _cas(context)
        account = _accounts(context, None)[0]
        with _Recorder(context) as recorder:
            browser = recorder.browser()
            login = _login(browser, cas, account, cas.service)
            response = browser.get(
                cas.endpoint(endpoint), {"service": cas.service, "ticket": login.ticket}
            )
            if response.status_code in NOT_OFFERED_STATUSES:
                return recorder.not_offered(endpoint, response, optional)
            if response.status_code != 200:
                return recorder.failed(
                    f"/{endpoint} répond {response.status_code} à la validation d'un ticket valide"
                )
            answer = _parse_cas(response, f"réponse {endpoint}")
            if not answer.in_cas_namespace:
                return recorder.failed(
                    f"/{endpoint} ne répond pas par un document cas:serviceResponse dans "
                    f"l'espace de noms {CAS_NS} (racine reçue : {answer.root})"
                )
            if answer.outcome != "authenticationSuccess" or not answer.user:
                return recorder.failed(
                    f"/{endpoint} refuse un ticket valide tout juste émis ({answer.describe()})"
                )
            recorder.add(answer.evidence(f"réponse de /{endpoint} pour {_who(account)}"))
            if params.get("require_attributes", False) and not answer.attributes:
                return recorder.failed(
                    f"/{endpoint} valide le ticket (utilisateur {answer.user!r}) mais ne renvoie "
                    "aucun attribut utilisateur dans cas:attributes"
                )
            names = ", ".join(sorted(answer.attributes)) or "aucun"
            return recorder.passed(
                f"/{endpoint} : cas:serviceResponse ({CAS_NS}) avec authenticationSuccess, "
                f"utilisateur {answer.user!r} ; attributs : {names}"
            )


class Attributes(Probe):
    """The SDET attributes are released for each profile, with valid values.

    For each test account (``profiles`` restricts them), a ticket is validated at
    ``p3/serviceValidate`` (``serviceValidate`` when ``p3`` is not offered, unless
    ``endpoint`` forces one). Each entry of ``required`` is an attribute name, or a list of
    equivalent names of which one must be present. ``formats`` checks every value of an
    attribute: ``national_profile`` (``National_ELV|TUT|ENS|DIR|EVS|ETA|ACA|DOC|COL`` and the
    code of the account's profile among the values), ``uai`` (7 digits and the check letter).
    Values the target expects (``accounts[].expect``) are compared for the attributes in
    ``required`` and ``formats`` (``expect: all`` compares every expected value, ``none``
    none). Values of personal attributes are masked in evidence.
    """

    kind = "cas.attributes"
    title = "Attributs SDET transmis aux services pour chaque profil"
    needs = ("cas", "accounts")
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "required": {
                "type": "array",
                "items": {
                    "oneOf": [
                        {"type": "string", "minLength": 1},
                        {
                            "type": "array",
                            "items": {"type": "string", "minLength": 1},
                            "minItems": 1,
                        },
                    ]
                },
                "default": [],
                "description": "Attributes to release; a list gives equivalent names.",
            },
            "formats": {
                "type": "object",
                "additionalProperties": {"enum": ["national_profile", "uai"]},
                "default": {},
                "description": "Value format checked for each named attribute.",
            },
            "profiles": {
                **_PROFILES_PARAM,
                "description": "Account profiles checked (default: every account).",
            },
            "endpoint": {
                "enum": ["serviceValidate", "p3/serviceValidate"],
                "description": "Force one validation endpoint (default: p3, else CAS 2.0).",
            },
            "expect": {
                "enum": ["checked", "all", "none"],
                "default": "checked",
                "description": "Which accounts[].expect values are compared.",
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Validate a ticket per account and check the released attributes."""
        params = validated_params(self, params)
        required = [_alternatives(entry) for entry in params.get("required", [])]
        formats: Mapping[str, str] = params.get("formats", {})
        if not required and not formats:
            raise BadParams(f"la sonde {self.kind} attend required ou formats")
        compare: str = params.get("expect", "checked")
        cas = _cas(context)
        accounts = _accounts(context, params.get("profiles"))
        checked_names = {name for names in required for name in names} | set(formats)
        problems: list[str] = []
        summaries: list[str] = []
        with _Recorder(context) as recorder:
            endpoint = params.get("endpoint")
            for account in accounts:
                browser = recorder.browser()
                login = _login(browser, cas, account, cas.service)
                answer, endpoint = _validate_with_attributes(
                    browser, recorder, cas, login.ticket, endpoint
                )
                who = _who(account)
                if answer.outcome != "authenticationSuccess":
                    return recorder.failed(
                        f"{who} : le ticket n'est pas validé ({answer.describe()})"
                    )
                recorder.add(answer.evidence(f"attributs reçus pour {who} (/{endpoint})"))
                found = answer.attributes
                problems += [
                    f"{who} : attribut {' ou '.join(names)} absent"
                    for names in required
                    if not any(found.get(name) for name in names)
                ]
                for name, kind in formats.items():
                    group = next((names for names in required if name in names), None)
                    if not found.get(name) and group is not None:
                        continue  # absent: reported by required, or an equivalent is present
                    problems += [
                        f"{who} : {p}" for p in _format_problems(name, kind, found, account)
                    ]
                problems += [
                    f"{who} : {p}" for p in _expect_problems(account, found, compare, checked_names)
                ]
                summaries.append(who)
            if problems:
                return recorder.failed("attributs non conformes : " + " ; ".join(problems))
            wanted = ", ".join(" ou ".join(names) for names in required) or "—"
            checks = ", ".join(f"{name} ({kind})" for name, kind in formats.items()) or "—"
            return recorder.passed(
                f"attributs présents pour {', '.join(summaries)} : {wanted} ; formats vérifiés : "
                f"{checks} ; valeurs attendues par la cible retrouvées"
            )


class TicketErrors(Probe):
    """The protocol's validation errors: single use, service binding, missing parameter.

    ``case``: ``replay`` — a ticket validated once is refused at the second attempt with
    ``INVALID_TICKET`` (spec §3.1.1); ``other_service`` — a ticket presented for
    ``cas.other_service`` is refused with ``INVALID_SERVICE`` and is then dead for its own
    service (spec §2.5.3); ``missing_param`` — a validation without ``ticket``, then without
    ``service``, fails with ``INVALID_REQUEST`` (spec §2.5.3).
    """

    kind = "cas.ticket_errors"
    title = "Codes d'erreur de validation : rejeu, autre service, paramètre manquant"
    needs = ("cas", "accounts")
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["case"],
        "properties": {
            "case": {"enum": ["replay", "other_service", "missing_param"]},
            "endpoint": {
                "enum": ["serviceValidate", "p3/serviceValidate"],
                "default": "serviceValidate",
                "description": "Validation endpoint used.",
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Run the chosen error case."""
        params = validated_params(self, params)
        case: str = params["case"]
        endpoint: str = params.get("endpoint", "serviceValidate")
        cas = _cas(context)
        if case == "other_service" and not cas.other_service:
            raise NotTestable(
                "la cible ne nomme pas de second service enregistré (cas.other_service) : "
                "impossible de présenter un ticket à un autre service"
            )
        account = _accounts(context, None)[0]
        with _Recorder(context) as recorder:
            browser = recorder.browser()
            ticket = _login(browser, cas, account, cas.service).ticket
            if case == "replay":
                return _replay(recorder, browser, cas, endpoint, ticket)
            if case == "other_service":
                return _other_service(recorder, browser, cas, endpoint, ticket)
            return _missing_param(recorder, browser, cas, endpoint, ticket)


class Renew(Probe):
    """``renew=true`` forces credentials, and SSO tickets fail a ``renew`` validation.

    With an SSO session: ``GET /login?service=…&renew=true`` must present the credentials
    form, not a ticket (spec §2.1.1); a ticket then obtained through SSO and validated with
    ``renew=true`` must fail with ``INVALID_TICKET`` (spec §2.5.1, §2.5.3).
    """

    kind = "cas.renew"
    title = "renew=true impose une nouvelle saisie des identifiants"
    needs = ("cas", "accounts")
    params_schema = _NO_PARAMS

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Log in, ask with renew, then validate an SSO ticket with renew."""
        validated_params(self, params)
        cas = _cas(context)
        account = _accounts(context, None)[0]
        with _Recorder(context) as recorder:
            browser = recorder.browser()
            _login(browser, cas, account, cas.service)
            renewed = browser.get(cas.login_url, {"service": cas.service, "renew": "true"})
            ticket = _redirect_ticket(renewed, cas.service)
            if ticket is not None:
                return recorder.failed(
                    f"avec une session SSO, /login?renew=true délivre {_cut(ticket)} sans "
                    "redemander les identifiants"
                )
            if _find_login_form(renewed) is None:
                return recorder.failed(
                    f"/login?renew=true ne présente pas le formulaire d'identifiants "
                    f"(statut {renewed.status_code})"
                )
            sso_ticket = _sso_ticket(browser, cas, cas.service)
            answer = _validate(browser, cas, "serviceValidate", cas.service, sso_ticket, renew=True)
            if answer.outcome == "authenticationSuccess":
                return recorder.failed(
                    f"le ticket {_cut(sso_ticket)} émis par la session SSO est validé malgré "
                    "renew=true"
                )
            if answer.code != "INVALID_TICKET":
                return recorder.failed(
                    f"validation avec renew=true d'un ticket SSO : {answer.describe()} au lieu "
                    "du code INVALID_TICKET"
                )
            return recorder.passed(
                "avec une session SSO, renew=true présente le formulaire d'identifiants ; un "
                "ticket SSO validé avec renew=true est refusé (INVALID_TICKET)"
            )


class Gateway(Probe):
    """``gateway=true`` without a session returns to the service without a ticket.

    Without any cookie, ``GET /login?service=…&gateway=true`` must redirect to the service
    with no ``ticket`` parameter and without asking for credentials (spec §2.1.1).
    """

    kind = "cas.gateway"
    title = "gateway=true sans session : retour au service sans ticket"
    needs = ("cas",)
    params_schema = _NO_PARAMS

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Ask with gateway and no session; judge the redirect."""
        validated_params(self, params)
        cas = _cas(context)
        with _Recorder(context) as recorder:
            browser = recorder.browser()
            response = browser.get(cas.login_url, {"service": cas.service, "gateway": "true"})
            location = _location(response)
            if location is None:
                shown = "un formulaire d'identifiants" if _find_login_form(response) else "une page"
                return recorder.failed(
                    f"gateway=true sans session : statut {response.status_code} et {shown} au "
                    "lieu d'une redirection vers le service"
                )
            if "ticket" in parse_qs(urlsplit(location).query):
                return recorder.failed(
                    f"gateway=true sans session : redirection portant un ticket ({location})"
                )
            if not _same_resource(location, cas.service):
                return recorder.failed(
                    f"gateway=true sans session redirige vers {location}, pas vers le service "
                    f"{cas.service}"
                )
            return recorder.passed(
                f"gateway=true sans session : redirection {response.status_code} vers "
                f"{location} sans ticket ni formulaire"
            )


class Logout(Probe):
    """``/logout`` ends the SSO session, on the server side.

    Log in, check that SSO works (a ticket without credentials), call ``/logout``, put the
    old cookies back (as a thief of the cookie would), then ``GET /login?service=…`` must
    ask for credentials again and issue no ticket (spec §2.3).
    """

    kind = "cas.logout"
    title = "La déconnexion met fin à la session SSO"
    needs = ("cas", "accounts")
    params_schema = _NO_PARAMS

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Log in, log out, replay the old cookies."""
        validated_params(self, params)
        cas = _cas(context)
        account = _accounts(context, None)[0]
        with _Recorder(context) as recorder:
            browser = recorder.browser()
            _login(browser, cas, account, cas.service)
            _sso_ticket(browser, cas, cas.service)
            old_cookies = browser.session.cookies.copy()
            logout = browser.get(cas.logout_url)
            if logout.status_code in NOT_OFFERED_STATUSES:
                return recorder.failed(f"{cas.logout_url} n'existe pas ({logout.status_code})")
            browser.session.cookies = old_cookies
            recorder.note(
                "après /logout, les cookies d'avant la déconnexion sont présentés de nouveau",
                cookies=sorted({cookie.name for cookie in old_cookies}),
            )
            again = browser.get(cas.login_url, {"service": cas.service})
            ticket = _redirect_ticket(again, cas.service)
            if ticket is not None:
                return recorder.failed(
                    f"après /logout, l'ancien cookie obtient encore un ticket ({_cut(ticket)}) : "
                    "la session SSO n'est pas détruite côté serveur"
                )
            if _find_login_form(again) is None:
                return recorder.failed(
                    f"après /logout, /login?service=… ne présente pas le formulaire "
                    f"d'identifiants (statut {again.status_code})"
                )
            return recorder.passed(
                f"après /logout ({logout.status_code}), l'ancien cookie n'obtient plus de ticket : "
                "le formulaire d'identifiants est présenté"
            )


class UnregisteredService(Probe):
    """The server issues no ticket to a service it does not know.

    Refusal is recognised by what matters and what every server can be judged on: no
    redirect carrying a ticket, neither after submitting credentials for the unknown service
    nor with an SSO session, and a page for the user (a message) instead. The HTTP status of
    that page is recorded; with ``error_status`` a status below 400 also fails (the spec asks
    for a meaningful message, not for a status code). The service is
    ``cas.unregistered_service``, else a ``.invalid`` address.
    """

    kind = "cas.unregistered_service"
    title = "Un service non enregistré n'obtient pas de ticket"
    needs = ("cas", "accounts")
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "error_status": {
                "type": "boolean",
                "default": False,
                "description": "Also require an HTTP error status (4xx/5xx) on the refusal.",
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Ask for the unknown service with and without a session."""
        params = validated_params(self, params)
        cas = _cas(context)
        unknown = cas.unregistered_service
        account = _accounts(context, None)[0]
        with _Recorder(context) as recorder:
            browser = recorder.browser()
            first = browser.get(cas.login_url, {"service": unknown})
            ticket = _redirect_ticket(first, unknown)
            answers = [first]
            if ticket is None and (form := _find_login_form(first)) is not None:
                posted = _submit_credentials(browser, cas, form, account)
                answers.append(posted)
                ticket = _redirect_ticket(posted, unknown)
            if ticket is not None:
                return recorder.failed(
                    f"le service non enregistré {unknown} obtient un ticket ({_cut(ticket)})"
                )
            _login(browser, cas, account, cas.service)
            with_session = browser.get(cas.login_url, {"service": unknown})
            answers.append(with_session)
            ticket = _redirect_ticket(with_session, unknown)
            if ticket is not None:
                return recorder.failed(
                    f"avec une session SSO, le service non enregistré {unknown} obtient un "
                    f"ticket ({_cut(ticket)})"
                )
            redirected = [a for a in answers if _location(a) is not None]
            statuses = sorted({a.status_code for a in answers})
            shown = ", ".join(str(s) for s in statuses)
            if params.get("error_status", False) and any(s < 400 for s in statuses):
                return recorder.failed(
                    f"refus de {unknown} sans statut d'erreur HTTP (statuts {shown})"
                )
            if all(s < 400 for s in statuses) and not redirected:
                recorder.note(
                    f"refus signalé par une page HTTP {shown} : aucun statut d'erreur ni code "
                    "exploitable par une machine (seul le texte de la page l'indique)",
                    statuses=statuses,
                )
            return recorder.passed(
                f"aucun ticket pour le service non enregistré {unknown}, sans session (après "
                f"saisie des identifiants) comme avec une session SSO ; statuts {shown}"
            )


class SsoCookie(Probe):
    """The SSO (ticket-granting) cookie has the properties the spec asks for.

    The SSO cookie is ``cas.sso_cookie`` when the target names it; otherwise it is found by
    experiment: after a login, each cookie of the session is withheld in turn, and the
    cookies without which ``/login`` no longer issues a ticket are the SSO cookies. The
    ``Set-Cookie`` that last set it during the login is judged against ``require``:
    ``secure`` and ``httponly`` (the attributes), ``path`` (the CAS prefix or deeper, spec
    §3.6.1), ``tgc_name`` (name beginning ``TGC-``, spec §3.6.1), ``session_only`` (no
    ``Expires``/``Max-Age``: it ends with the browser session, spec §3.6.1). Evidence names
    the cookie and its attributes, never its value.
    """

    kind = "cas.sso_cookie"
    title = "Cookie de session SSO (ticket-granting cookie) : attributs, chemin, nom, durée"
    needs = ("cas", "accounts")
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["require"],
        "properties": {
            "require": {
                "type": "array",
                "items": {"enum": ["secure", "httponly", "path", "tgc_name", "session_only"]},
                "uniqueItems": True,
                "minItems": 1,
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Log in, find the SSO cookie, judge its Set-Cookie."""
        params = validated_params(self, params)
        require: list[str] = params["require"]
        cas = _cas(context)
        account = _accounts(context, None)[0]
        with _Recorder(context) as recorder:
            browser = recorder.browser()
            _login(browser, cas, account, cas.service)
            cookies = _identify_sso_cookies(recorder, browser, cas)
            failures = []
            for cookie in cookies:
                problems = cookie.problems(require, cas)
                recorder.add(cookie.evidence(problems))
                if problems:
                    failures.append(f"cookie SSO {cookie.name} : " + " ; ".join(problems))
            if failures:
                return recorder.failed(" ; ".join(failures))
            shown = ", ".join(f"{cookie.name} ({cookie.describe()})" for cookie in cookies)
            return recorder.passed(
                f"cookie SSO {shown} conforme : " + ", ".join(_COOKIE_CHECKS[r] for r in require)
            )


class Endpoint(Probe):
    """The CAS 1.0 ``/validate`` and the SAML 1.1 ``/samlValidate`` endpoints.

    ``validate``: a fresh ticket gives a body beginning ``yes`` + LF, the same ticket again
    ``no`` + LF (spec §2.4.2). ``samlValidate``: a SOAP ``samlp:Request`` carrying a fresh
    ticket (POST, ``TARGET`` = the service) gives a SAML 1.1 ``Response`` with a ``Success``
    status, an assertion whose ``Audience`` is the service, a ``NameIdentifier`` and at least
    one attribute (spec §4.2). An endpoint not offered is ``not_applicable`` when
    ``optional``, a failure otherwise.
    """

    kind = "cas.endpoint"
    title = "Points d'accès /validate (CAS 1.0) et /samlValidate (SAML 1.1)"
    needs = ("cas", "accounts")
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["endpoint"],
        "properties": {
            "endpoint": {"enum": ["validate", "samlValidate"]},
            "optional": _OPTIONAL_PARAM,
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Log in, then exercise the endpoint with the ticket."""
        params = validated_params(self, params)
        endpoint: str = params["endpoint"]
        optional: bool = params.get("optional", False)
        cas = _cas(context)
        account = _accounts(context, None)[0]
        with _Recorder(context) as recorder:
            browser = recorder.browser()
            ticket = _login(browser, cas, account, cas.service).ticket
            if endpoint == "validate":
                return _validate_v1(recorder, browser, cas, ticket, optional)
            return _saml_validate(recorder, browser, cas, ticket, optional)


class Proxy(Probe):
    """CAS proxying: proxy tickets, ``/proxy`` errors, and the proxy callback over HTTPS only.

    ``check: tickets`` — ``/proxy`` without parameters answers ``cas:proxyFailure`` with
    ``INVALID_REQUEST`` and an unknown PGT gets a ``cas:proxyFailure`` (spec §2.7.2, §2.7.3);
    when the target describes a callback (``cas.callback`` with ``host``, ``cert_file``,
    ``key_file``), the probe also listens over HTTPS, validates a ticket with that
    ``pgtUrl``, receives the PGT, asks ``/proxy`` for a ticket for the other service and
    requires ``PT-…`` that ``proxyValidate`` accepts (spec §2.5.4, §2.7, §3.2.1).
    ``check: https_callback`` — the probe listens over plain HTTP on ``cas.callback.host``
    and validates a ticket with that ``http://`` ``pgtUrl``: the server must neither call it
    nor return a PGT IOU (spec §2.5.4: the pgtUrl MUST be HTTPS).
    ``/proxy`` absent (404/405/410/501) is ``not_applicable`` when ``optional``.
    """

    kind = "cas.proxy"
    title = "Délégation CAS (proxy) : tickets PT-, erreurs de /proxy, rappel pgtUrl en HTTPS"
    needs = ("cas", "accounts")
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["check"],
        "properties": {
            "check": {"enum": ["tickets", "https_callback"]},
            "optional": _OPTIONAL_PARAM,
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Run the chosen proxy check."""
        params = validated_params(self, params)
        cas = _cas(context)
        account = _accounts(context, None)[0]
        if params["check"] == "https_callback":
            return _http_callback(context, cas, account)
        return _proxy_tickets(context, cas, account, params.get("optional", False))


PROBES: tuple[type[Probe], ...] = (
    LoginForm,
    Login,
    SingleSignOn,
    ServiceValidate,
    Attributes,
    TicketErrors,
    Renew,
    Gateway,
    Logout,
    UnregisteredService,
    SsoCookie,
    Endpoint,
    Proxy,
)
"""Every probe of the family, for the ``sdet_check.probes`` entry point."""


# --- UAI, profiles, tickets ---------------------------------------------------------------


def is_valid_uai(value: str) -> bool:
    """Tell whether ``value`` is 7 digits followed by their check letter (any case)."""
    return uai_problem(value.strip().upper()) is None


_TICKET = re.compile(r"\b(PGTIOU|PGT|TGT|ST|PT|LT)-([A-Za-z0-9]{4})[A-Za-z0-9-]{4,}")


def truncate_tickets(text: str) -> str:
    """Cut every CAS ticket in ``text`` to its prefix and four characters: ``ST-1a2b…``."""
    return _TICKET.sub(lambda match: f"{match[1]}-{match[2]}…", text)


def _cut(ticket: str) -> str:
    """A ticket shown in a message: cut like evidence, and never empty."""
    cut = truncate_tickets(ticket)
    return cut if cut != ticket else (ticket[:7] + "…" if len(ticket) > 8 else ticket)


# --- the target's cas section -------------------------------------------------------------


@dataclass(frozen=True)
class _Callback:
    """Where the CAS server can reach this machine (``cas.callback``)."""

    host: str
    cert_file: Path | None
    key_file: Path | None


@dataclass(frozen=True)
class _Cas:
    """The ``cas`` section of the target, with defaults applied."""

    url: str
    service: str
    other_service: str | None
    unregistered_service: str
    sso_cookie: str | None
    callback: _Callback | None

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

    def on_server(self, url: str) -> bool:
        """Tell whether ``url`` is on the CAS server (same origin, under the prefix)."""
        mine, other = urlsplit(self.url), urlsplit(url)
        same_origin = (mine.scheme, mine.hostname, mine.port) == (
            other.scheme,
            other.hostname,
            other.port,
        )
        prefix = self.prefix_path.rstrip("/") + "/"
        return same_origin and (other.path + "/").startswith(prefix)


def _cas(context: ProbeContext) -> _Cas:
    section = context.target.section("cas")
    url = section.get("url")
    if not isinstance(url, str) or not url:
        raise NotTestable("la cible ne décrit pas de serveur CAS (section cas, clé url)")
    service = section.get("service")
    if not isinstance(service, str) or not service:
        raise NotTestable(
            "la cible ne nomme pas de service enregistré sur le serveur CAS (cas.service) : "
            "impossible de demander un ticket"
        )
    callback = section.get("callback")
    return _Cas(
        url=url.rstrip("/"),
        service=service,
        other_service=section.get("other_service") or None,
        unregistered_service=section.get("unregistered_service") or DEFAULT_UNREGISTERED_SERVICE,
        sso_cookie=section.get("sso_cookie") or None,
        callback=(
            _Callback(
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


def _accounts(context: ProbeContext, profiles: Sequence[str] | None) -> list[Account]:
    accounts = list(context.target.accounts)
    # The target may name the accounts the CAS server knows (others may belong to another IdP).
    logins = context.target.section("cas").get("accounts")
    if logins:
        accounts = [account for account in accounts if account.login in logins]
    if profiles:
        accounts = [account for account in accounts if account.profile in profiles]
    if not accounts:
        wanted = f" de profil {', '.join(profiles)}" if profiles else ""
        raise NotTestable(f"la cible ne décrit aucun compte de test{wanted} (accounts)")
    return accounts


def _who(account: Account) -> str:
    return f"{account.login} ({account.profile})"


# --- evidence: recorder, scrubbing ---------------------------------------------------------


_PERSONAL_NAMES = "|".join(sorted((re.escape(n) for n in PERSONAL_ATTRIBUTES), key=len)[::-1])
_PERSONAL_ELEMENT = re.compile(
    rf"(<(?:[\w-]+:)?(?:{_PERSONAL_NAMES})\b[^>]*>)([^<]+)(</)", re.IGNORECASE
)
_PERSONAL_PAIR = re.compile(
    rf"""(\bname=["'](?:{_PERSONAL_NAMES})["']\s+value=["'])([^"']*)(["'])""", re.IGNORECASE
)
_PERSONAL_SAML = re.compile(
    rf"""(<(?:[\w-]+:)?Attribute\b[^>]*AttributeName=["'](?:{_PERSONAL_NAMES})["'][^>]*>)(.*?)"""
    r"(</(?:[\w-]+:)?Attribute>)",
    re.IGNORECASE | re.DOTALL,
)
_SAML_VALUE = re.compile(r"(<(?:[\w-]+:)?AttributeValue\b[^>]*>)([^<]*)(</)")
_CSRF_VALUE = re.compile(
    r"""(name=["']csrfmiddlewaretoken["']\s+value=["'])([^"']{6})[^"']*""", re.IGNORECASE
)


class _Scrubber:
    """Cuts tickets, masks personal values and any test password in evidence."""

    def __init__(self, context: ProbeContext) -> None:
        self._secrets = sorted(
            {account.password.reveal() for account in context.target.accounts} - {""},
            key=len,
            reverse=True,
        )

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, "***")
        value = truncate_tickets(value)
        value = _PERSONAL_ELEMENT.sub(lambda m: f"{m[1]}{MASKED}{m[3]}", value)
        value = _PERSONAL_PAIR.sub(lambda m: f"{m[1]}{MASKED}{m[3]}", value)
        value = _PERSONAL_SAML.sub(
            lambda m: m[1] + _SAML_VALUE.sub(lambda v: f"{v[1]}{MASKED}{v[3]}", m[2]) + m[3],
            value,
        )
        return _CSRF_VALUE.sub(lambda m: f"{m[1]}{m[2]}…", value)

    def data(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {str(k): self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value

    def evidence(self, piece: Evidence) -> Evidence:
        return Evidence(
            kind=piece.kind, summary=self.text(piece.summary), data=self.data(dict(piece.data))
        )


class _Recorder:
    """The evidence of one check, in order, shared by its browser sessions.

    On leaving, browser sessions are closed; a :class:`ProbeError` leaving the block gets the
    evidence gathered so far (scrubbed), so that an ``error`` result shows what was seen.
    """

    def __init__(self, context: ProbeContext) -> None:
        self.context = context
        self.scrubber = _Scrubber(context)
        self.evidence: list[Evidence] = []
        self._browsers: list[_Browser] = []

    def __enter__(self) -> _Recorder:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        for browser in self._browsers:
            browser.session.close()
        if isinstance(exc, ProbeError):
            own = [self.scrubber.evidence(piece) for piece in exc.evidence]
            exc.evidence = (*self.evidence, *own)
            exc.args = (self.scrubber.text(str(exc)),)

    def browser(self) -> _Browser:
        browser = _Browser(self)
        self._browsers.append(browser)
        return browser

    def add(self, piece: Evidence) -> None:
        self.evidence.append(self.scrubber.evidence(piece))

    def note(self, summary: str, **data: object) -> None:
        self.add(note(summary, **data))

    def passed(self, message: str) -> Outcome:
        return Outcome.passed(self.scrubber.text(message), *self.evidence)

    def failed(self, message: str) -> Outcome:
        return Outcome.failed(self.scrubber.text(message), *self.evidence)

    def not_offered(self, endpoint: str, response: requests.Response, optional: bool) -> Outcome:
        message = f"point d'accès /{endpoint} non proposé (statut {response.status_code})"
        if optional:
            return Outcome.not_applicable(
                self.scrubber.text(f"{message} : facultatif, exigence hors champ"),
                *self.evidence,
            )
        return self.failed(f"{message} alors que l'exigence le demande")


class _Browser:
    """One browser-like session: its own cookie jar, every exchange recorded."""

    def __init__(self, recorder: _Recorder) -> None:
        self.recorder = recorder
        self.session = recorder.context.http_session()
        self.set_cookies: list[tuple[str, str]] = []
        """Every ``Set-Cookie`` received, with the address that sent it, in order."""

    def get(self, url: str, params: Mapping[str, str] | None = None) -> requests.Response:
        """GET without following redirects; recorded."""
        return self.send("GET", url, params=params)

    def send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send one request, read the bounded body, record the exchange."""
        response = _send(self.session, method, url, self.recorder.context, **kwargs)
        for header in _header_values(response, "Set-Cookie"):
            self.set_cookies.append((response.url, header))
        self.recorder.add(http_exchange(response))
        return response

    def follow_on_cas(
        self, cas: _Cas, url: str, params: Mapping[str, str] | None = None
    ) -> list[requests.Response]:
        """GET ``url`` and follow redirects while they stay on the CAS server."""
        chain = [self.get(url, params)]
        while (location := _location(chain[-1])) is not None and cas.on_server(location):
            if len(chain) > MAX_REDIRECTS:
                raise HostileResponse(f"plus de {MAX_REDIRECTS} redirections depuis {url}")
            chain.append(self.get(location))
        return chain


# --- login -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Form:
    """A login form found in a page: where it goes and the fields a browser would send."""

    page_url: str
    action: str
    method: str
    fields: Mapping[str, str]
    field_types: Mapping[str, str]

    def problems(self, cas: _Cas, *, require_lt: bool) -> list[str]:
        problems = []
        if self.method != "POST":
            problems.append(f"formulaire envoyé en {self.method} au lieu de POST")
        if urlsplit(self.action).scheme != "https":
            problems.append(f"formulaire soumis hors HTTPS ({self.action})")
        if not (cas.on_server(self.action) and urlsplit(self.action).path.endswith("/login")):
            problems.append(f"formulaire soumis à {self.action} au lieu de {cas.login_url}")
        if "username" not in self.fields:
            problems.append("champ username absent")
        if self.field_types.get("password") != "password":
            problems.append("champ password absent ou non masqué (type password)")
        action_service = parse_qs(urlsplit(self.action).query).get("service", [None])[0]
        if cas.service not in (self.fields.get("service"), action_service):
            problems.append("le service demandé n'est pas reporté dans le formulaire")
        if require_lt and not self.fields.get("lt"):
            problems.append("ticket de connexion lt absent")
        return problems

    def evidence(self) -> Evidence:
        return Evidence(
            kind="form",
            summary=f"formulaire de connexion : {self.method} {self.action}",
            data={
                "page": self.page_url,
                "action": self.action,
                "method": self.method,
                "fields": {name: self.field_types.get(name, "") for name in self.fields},
                "service": self.fields.get("service"),
                "lt": self.fields.get("lt"),
            },
        )


def _find_login_form(response: requests.Response) -> _Form | None:
    """Return the first HTML form with a password field, as a browser would submit it."""
    document = _parse_html(response)
    if document is None:
        return None
    for form in document.iter("form"):
        inputs = [i for i in form.iter("input", "select", "textarea") if i.get("name")]
        if not any((i.get("type") or "").lower() == "password" for i in inputs) and not any(
            i.get("name") == "password" for i in inputs
        ):
            continue
        fields: dict[str, str] = {}
        types: dict[str, str] = {}
        for element in inputs:
            name = element.get("name") or ""
            kind = (element.get("type") or element.tag).lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                continue
            if kind in ("checkbox", "radio") and element.get("checked") is None:
                continue
            if element.tag == "select":
                options = element.xpath(".//option[@selected]") or element.xpath(".//option")
                value = (options[0].get("value") or options[0].text or "") if options else ""
            elif element.tag == "textarea":
                value = element.text or ""
            else:
                value = element.get("value") or ""
            fields[name] = value
            types[name] = kind
        action = urljoin(response.url, form.get("action") or response.url)
        return _Form(
            page_url=response.url,
            action=action,
            method=(form.get("method") or "GET").upper(),
            fields=fields,
            field_types=types,
        )
    return None


@dataclass(frozen=True)
class _Login:
    """What a login gave: the service ticket and the answer that carried it."""

    ticket: str
    response: requests.Response


def _login(browser: _Browser, cas: _Cas, account: Account, service: str) -> _Login:
    """Log ``account`` in for ``service`` in ``browser``; return the service ticket.

    A session that already has SSO gets its ticket from the first GET.
    """
    chain = browser.follow_on_cas(cas, cas.login_url, {"service": service})
    page = chain[-1]
    ticket = _redirect_ticket(page, service)
    if ticket is not None:
        return _Login(ticket, page)
    form = _find_login_form(page)
    if form is None:
        raise ProbeError(
            f"impossible de se connecter : aucun formulaire d'identifiants sur {page.url} "
            f"(statut {page.status_code})"
        )
    answer = _submit_credentials(browser, cas, form, account)
    ticket = _redirect_ticket(answer, service)
    if ticket is None:
        raise ProbeError(
            f"la connexion du compte {_who(account)} n'aboutit pas à un ticket pour {service} "
            f"(statut {answer.status_code}) : identifiants refusés ou parcours de connexion "
            "non reconnu ; vérifier le compte de test et son mot de passe"
        )
    return _Login(ticket, answer)


def _submit_credentials(
    browser: _Browser, cas: _Cas, form: _Form, account: Account
) -> requests.Response:
    """POST the form with the account's credentials, then follow redirects on the CAS server.

    The password is sent only to an HTTPS address on the CAS server.
    """
    if urlsplit(form.action).scheme != "https" or not cas.on_server(form.action):
        raise ProbeError(
            f"le formulaire de connexion est soumis à {form.action} : le mot de passe de test "
            "n'est envoyé qu'en HTTPS au serveur CAS de la cible"
        )
    data = dict(form.fields)
    data["username"] = account.login
    data["password"] = account.password.reveal()
    page = urlsplit(form.page_url)
    headers = {"Referer": form.page_url, "Origin": f"{page.scheme}://{page.netloc}"}
    browser.recorder.note(
        f"formulaire soumis pour {_who(account)} (mot de passe masqué)",
        action=form.action,
        fields={name: _shown_field(name, value) for name, value in data.items()},
    )
    answer = browser.send(form.method, form.action, data=data, headers=headers)
    hops = 0
    while (location := _location(answer)) is not None and cas.on_server(location):
        if "ticket" in parse_qs(urlsplit(location).query):
            break
        hops += 1
        if hops > MAX_REDIRECTS:
            raise HostileResponse(f"plus de {MAX_REDIRECTS} redirections après la connexion")
        answer = browser.get(location)
    return answer


def _shown_field(name: str, value: str) -> str:
    """A submitted field as evidence shows it: no password, long opaque tokens cut."""
    if name == "password":
        return "***"
    if name in ("service", "username") or len(value) <= 16:
        return value
    return value[:6] + "…"


def _sso_ticket(browser: _Browser, cas: _Cas, service: str) -> str:
    """Ask ``/login`` for ``service`` in a session that has SSO; return the ticket."""
    response = browser.get(cas.login_url, {"service": service})
    ticket = _redirect_ticket(response, service)
    if ticket is None:
        raise ProbeError(
            f"la session ouverte n'obtient pas de ticket sans ressaisie pour {service} "
            f"(statut {response.status_code}) : impossible de poursuivre"
        )
    return ticket


def _location(response: requests.Response) -> str | None:
    """The absolute redirect target of a 3xx answer, else ``None``."""
    location = response.headers.get("Location")
    if response.status_code in REDIRECT_STATUSES and location:
        return urljoin(response.url, location)
    return None


_JS_REDIRECT = re.compile(r"""(https?://[^"'\s<>]*[?&]ticket=[A-Za-z0-9-]+)""")


def _redirect_ticket(response: requests.Response, service: str) -> str | None:
    """The ``ticket`` a login answer hands to ``service``, by HTTP redirect or by script."""
    targets = []
    location = _location(response)
    if location is not None:
        targets.append(location)
    elif response.status_code == 200 and "ticket=" in response.text:
        # Spec appendix B: a server may redirect with a page script instead of a 3xx.
        targets += _JS_REDIRECT.findall(response.text)
    for target in targets:
        if _same_resource(target, service):
            values = parse_qs(urlsplit(target).query).get("ticket")
            if values:
                return values[-1]
    return None


def _same_resource(url: str, service: str) -> bool:
    """Tell whether ``url`` points at ``service`` (scheme, host, port, path), query aside."""
    a, b = urlsplit(url), urlsplit(service)
    return (a.scheme, a.hostname, a.port, a.path or "/") == (
        b.scheme,
        b.hostname,
        b.port,
        b.path or "/",
    )


# --- validation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _CasAnswer:
    """A CAS service response, parsed."""

    root: str
    in_cas_namespace: bool
    outcome: str
    """Local name of the root's element child (``authenticationSuccess``…), or empty."""
    user: str | None = None
    code: str | None = None
    message: str = ""
    attributes: Mapping[str, list[str]] = field(default_factory=dict)
    protocol_attributes: Mapping[str, list[str]] = field(default_factory=dict)
    proxy_granting_ticket: str | None = None
    proxy_ticket: str | None = None
    proxies: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.outcome in ("authenticationFailure", "proxyFailure"):
            return f"cas:{self.outcome} code={self.code or '—'} « {self.message[:120]} »"
        if self.outcome:
            return f"cas:{self.outcome}"
        return f"réponse sans élément CAS reconnu (racine {self.root})"

    def evidence(self, summary: str) -> Evidence:
        return Evidence(
            kind="cas_response",
            summary=summary,
            data={
                "root": self.root,
                "outcome": self.outcome,
                "user": self.user,
                "code": self.code,
                "attributes": _masked_attributes(self.attributes),
                "protocol_attributes": dict(self.protocol_attributes),
                "masked": sorted(n for n in self.attributes if n.casefold() in PERSONAL_ATTRIBUTES),
            },
        )


def _masked_attributes(attributes: Mapping[str, list[str]]) -> dict[str, list[str]]:
    return {
        name: ([MASKED] * len(values) if name.casefold() in PERSONAL_ATTRIBUTES else list(values))
        for name, values in attributes.items()
    }


def _local(element: lxml.etree._Element) -> str:
    return lxml.etree.QName(element).localname


def _parse_cas(response: requests.Response, what: str) -> _CasAnswer:
    """Parse a CAS 2.0/3.0 service response (hostile XML rules apply)."""
    root = parse_hostile_xml(response.content, what=what)
    qname = lxml.etree.QName(root)
    shown = f"{{{qname.namespace}}}{qname.localname}" if qname.namespace else qname.localname
    if qname.namespace != CAS_NS or qname.localname != "serviceResponse":
        return _CasAnswer(root=shown, in_cas_namespace=False, outcome="")
    children = list(root.iterchildren(lxml.etree.Element))
    if not children:
        return _CasAnswer(root=shown, in_cas_namespace=True, outcome="")
    node = children[0]
    outcome = _local(node) if lxml.etree.QName(node).namespace == CAS_NS else ""
    if outcome in ("authenticationFailure", "proxyFailure"):
        return _CasAnswer(
            root=shown,
            in_cas_namespace=True,
            outcome=outcome,
            code=(node.get("code") or "").strip() or None,
            message=" ".join((node.text or "").split()),
        )
    if outcome == "proxySuccess":
        ticket = node.find(f"{{{CAS_NS}}}proxyTicket")
        return _CasAnswer(
            root=shown,
            in_cas_namespace=True,
            outcome=outcome,
            proxy_ticket=(ticket.text or "").strip() if ticket is not None else None,
        )
    if outcome != "authenticationSuccess":
        return _CasAnswer(root=shown, in_cas_namespace=True, outcome=outcome)
    user = node.find(f"{{{CAS_NS}}}user")
    pgt = node.find(f"{{{CAS_NS}}}proxyGrantingTicket")
    attributes, protocol = _success_attributes(node)
    return _CasAnswer(
        root=shown,
        in_cas_namespace=True,
        outcome=outcome,
        user=(user.text or "").strip() or None if user is not None else None,
        attributes=attributes,
        protocol_attributes=protocol,
        proxy_granting_ticket=(pgt.text or "").strip() or None if pgt is not None else None,
        proxies=tuple(
            (p.text or "").strip() for p in node.iterfind(f"{{{CAS_NS}}}proxies/{{{CAS_NS}}}proxy")
        ),
    )


def _success_attributes(
    success: lxml.etree._Element,
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """User and protocol attributes of ``authenticationSuccess``, in every usual layout.

    ``<cas:attributes><cas:NAME>v</cas:NAME>…`` (spec appendix A), nested values
    (``<cas:ENTPersonProfils><cas:ENTPersonProfil>…``), ``<cas:attribute name= value=>``,
    and attributes placed directly under ``authenticationSuccess`` (CAS 2.0 extensions).
    """
    found: dict[str, list[str]] = {}

    def add(name: str, value: str | None) -> None:
        value = (value or "").strip()
        values = found.setdefault(name, [])
        if value and value not in values:
            values.append(value)

    def take(element: lxml.etree._Element) -> None:
        name = _local(element)
        if name == "attribute" and element.get("name"):
            add(element.get("name") or "", element.get("value"))
            return
        nested = list(element.iterchildren(lxml.etree.Element))
        if nested:
            for child in nested:
                add(name, child.text)
        else:
            add(name, element.text)

    for child in success.iterchildren(lxml.etree.Element):
        name = _local(child)
        if name in ("user", "proxyGrantingTicket", "proxies"):
            continue
        if name == "attributes":
            for attribute in child.iterchildren(lxml.etree.Element):
                take(attribute)
        else:
            take(child)
    user = {n: v for n, v in found.items() if n not in PROTOCOL_ATTRIBUTES and v}
    protocol = {n: v for n, v in found.items() if n in PROTOCOL_ATTRIBUTES}
    return user, protocol


def _validate(
    browser: _Browser,
    cas: _Cas,
    endpoint: str,
    service: str | None,
    ticket: str | None,
    *,
    renew: bool = False,
    pgt_url: str | None = None,
) -> _CasAnswer:
    """Validate at ``endpoint``; a missing endpoint or a non-XML answer cannot be judged."""
    params: dict[str, str] = {}
    if service is not None:
        params["service"] = service
    if ticket is not None:
        params["ticket"] = ticket
    if renew:
        params["renew"] = "true"
    if pgt_url is not None:
        params["pgtUrl"] = pgt_url
    response = browser.get(cas.endpoint(endpoint), params)
    if response.status_code in NOT_OFFERED_STATUSES:
        raise ProbeError(f"le point d'accès /{endpoint} n'existe pas ({response.status_code})")
    return _parse_cas(response, f"réponse {endpoint}")


def _validate_with_attributes(
    browser: _Browser, recorder: _Recorder, cas: _Cas, ticket: str, endpoint: str | None
) -> tuple[_CasAnswer, str]:
    """Validate at ``endpoint``, or at ``p3/serviceValidate`` falling back to CAS 2.0."""
    if endpoint is not None:
        return _validate(browser, cas, endpoint, cas.service, ticket), endpoint
    response = browser.get(
        cas.endpoint("p3/serviceValidate"), {"service": cas.service, "ticket": ticket}
    )
    if response.status_code not in NOT_OFFERED_STATUSES:
        return _parse_cas(response, "réponse p3/serviceValidate"), "p3/serviceValidate"
    recorder.note(
        f"/p3/serviceValidate non proposé ({response.status_code}) : attributs lus sur "
        "/serviceValidate"
    )
    # The ticket was presented once already; a conformant server has invalidated it.
    fresh = _sso_ticket(browser, cas, cas.service)
    return _validate(browser, cas, "serviceValidate", cas.service, fresh), "serviceValidate"


def _alternatives(entry: str | Sequence[str]) -> list[str]:
    return [entry] if isinstance(entry, str) else list(entry)


def _format_problems(
    name: str, kind: str, found: Mapping[str, list[str]], account: Account
) -> list[str]:
    values = found.get(name, [])
    if not values:
        return [f"attribut {name} absent (format {kind} non vérifiable)"]
    if kind == "uai":
        bad = [v for v in values if not is_valid_uai(v)]
        return [f"{name} = {v!r} n'est pas un UAI valide (7 chiffres et lettre clé)" for v in bad]
    problems = [
        f"{name} = {v!r} n'est pas un code de profil national (National_XXX)"
        for v in values
        if v not in NATIONAL_PROFILES
    ]
    code = PROFILE_CODES.get(account.profile)
    if code is not None and code not in values:
        problems.append(f"{name} ne contient pas {code} attendu pour le profil {account.profile}")
    return problems


def _expect_problems(
    account: Account, found: Mapping[str, list[str]], compare: str, checked: set[str]
) -> list[str]:
    if compare == "none":
        return []
    problems = []
    for name, expected in account.expect.items():
        if compare == "checked" and name not in checked:
            continue
        wanted = {expected.strip()} if isinstance(expected, str) else {v.strip() for v in expected}
        got = set(found.get(name, []))
        if not got:
            if name not in checked:  # a checked attribute's absence is already reported
                problems.append(f"attribut {name} attendu par la cible absent")
            continue
        if got != wanted:
            shown = MASKED if name.casefold() in PERSONAL_ATTRIBUTES else sorted(got)
            expected_shown = MASKED if name.casefold() in PERSONAL_ATTRIBUTES else sorted(wanted)
            problems.append(f"{name} = {shown} au lieu de {expected_shown} (accounts[].expect)")
    return problems


def _replay(
    recorder: _Recorder, browser: _Browser, cas: _Cas, endpoint: str, ticket: str
) -> Outcome:
    first = _validate(browser, cas, endpoint, cas.service, ticket)
    if first.outcome != "authenticationSuccess":
        raise ProbeError(
            f"la première validation du ticket échoue ({first.describe()}) : rejeu non jugeable"
        )
    second = _validate(browser, cas, endpoint, cas.service, ticket)
    if second.outcome == "authenticationSuccess":
        return recorder.failed(
            f"le ticket {_cut(ticket)} est validé deux fois : il n'est pas à usage unique"
        )
    if second.code != "INVALID_TICKET":
        return recorder.failed(
            f"rejeu du ticket {_cut(ticket)} : {second.describe()} au lieu du code INVALID_TICKET"
        )
    return recorder.passed(
        f"le ticket {_cut(ticket)} est validé une fois puis refusé au rejeu (INVALID_TICKET)"
    )


def _other_service(
    recorder: _Recorder, browser: _Browser, cas: _Cas, endpoint: str, ticket: str
) -> Outcome:
    assert cas.other_service is not None
    wrong = _validate(browser, cas, endpoint, cas.other_service, ticket)
    if wrong.outcome == "authenticationSuccess":
        return recorder.failed(
            f"le ticket émis pour {cas.service} est accepté pour {cas.other_service}"
        )
    if wrong.code != "INVALID_SERVICE":
        return recorder.failed(
            f"ticket présenté à un autre service : {wrong.describe()} au lieu du code "
            "INVALID_SERVICE"
        )
    after = _validate(browser, cas, endpoint, cas.service, ticket)
    if after.outcome == "authenticationSuccess":
        return recorder.failed(
            f"refusé pour {cas.other_service} (INVALID_SERVICE), le ticket reste valable pour "
            f"{cas.service} : il n'a pas été invalidé"
        )
    return recorder.passed(
        f"ticket émis pour {cas.service} refusé pour {cas.other_service} (INVALID_SERVICE), puis "
        f"invalidé ({after.code or after.outcome})"
    )


def _missing_param(
    recorder: _Recorder, browser: _Browser, cas: _Cas, endpoint: str, ticket: str
) -> Outcome:
    problems = []
    for missing, service, value in (
        ("ticket", cas.service, None),
        ("service", None, ticket),
    ):
        answer = _validate(browser, cas, endpoint, service, value)
        if answer.code != "INVALID_REQUEST":
            problems.append(f"sans {missing} : {answer.describe()}")
    if problems:
        return recorder.failed(
            "paramètre obligatoire manquant non signalé par INVALID_REQUEST : "
            + " ; ".join(problems)
        )
    return recorder.passed(
        f"/{endpoint} sans ticket puis sans service : authenticationFailure code=INVALID_REQUEST"
    )


def _validate_v1(
    recorder: _Recorder, browser: _Browser, cas: _Cas, ticket: str, optional: bool
) -> Outcome:
    params = {"service": cas.service, "ticket": ticket}
    first = browser.get(cas.endpoint("validate"), params)
    if first.status_code in NOT_OFFERED_STATUSES:
        return recorder.not_offered("validate", first, optional)
    second = browser.get(cas.endpoint("validate"), params)
    problems = []
    if first.status_code != 200 or not first.content.startswith(b"yes\n"):
        problems.append(f"ticket valide : statut {first.status_code}, corps {first.text[:40]!r}")
    if second.status_code != 200 or not second.content.startswith(b"no\n"):
        problems.append(
            f"ticket déjà utilisé : statut {second.status_code}, corps {second.text[:40]!r}"
        )
    recorder.note(
        "le refus des tickets de proxy par /validate (spec §2.4) n'est pas vérifié : il faudrait "
        "un ticket de proxy"
    )
    if problems:
        return recorder.failed("/validate non conforme : " + " ; ".join(problems))
    return recorder.passed(
        "/validate répond « yes » + saut de ligne pour un ticket valide, « no » + saut de ligne "
        "pour le même ticket rejoué"
    )


_SAML_REQUEST = """<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">
<SOAP-ENV:Header/>
<SOAP-ENV:Body>
<samlp:Request xmlns:samlp="urn:oasis:names:tc:SAML:1.0:protocol" MajorVersion="1" \
MinorVersion="1" RequestID="{request_id}" IssueInstant="{instant}">
<samlp:AssertionArtifact>{ticket}</samlp:AssertionArtifact>
</samlp:Request>
</SOAP-ENV:Body>
</SOAP-ENV:Envelope>"""


def _saml_validate(
    recorder: _Recorder, browser: _Browser, cas: _Cas, ticket: str, optional: bool
) -> Outcome:
    body = _SAML_REQUEST.format(
        request_id=f"_{uuid.uuid4().hex}",
        instant=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        ticket=ticket,
    )
    response = browser.send(
        "POST",
        cas.endpoint("samlValidate"),
        params={"TARGET": cas.service},
        data=body.encode("utf-8"),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": ""},
    )
    if response.status_code in NOT_OFFERED_STATUSES:
        return recorder.not_offered("samlValidate", response, optional)
    if response.status_code != 200:
        return recorder.failed(f"/samlValidate répond {response.status_code}")
    root = parse_hostile_xml(response.content, what="réponse samlValidate")
    saml_response = next(root.iter(f"{{{SAML1_PROTOCOL_NS}}}Response"), None)
    if saml_response is None:
        return recorder.failed(
            "la réponse de /samlValidate ne contient pas de samlp:Response SAML 1.1"
        )
    status = next(saml_response.iter(f"{{{SAML1_PROTOCOL_NS}}}StatusCode"), None)
    status_value = (status.get("Value") or "") if status is not None else ""
    problems = []
    if status_value.split(":")[-1] != "Success":
        problems.append(f"StatusCode {status_value or 'absent'} au lieu de samlp:Success")
    audiences = [
        (a.text or "").strip() for a in saml_response.iter(f"{{{SAML1_ASSERTION_NS}}}Audience")
    ]
    if cas.service not in audiences:
        problems.append(f"Audience {audiences or 'absente'} ne désigne pas le service")
    names = [
        (n.text or "").strip()
        for n in saml_response.iter(f"{{{SAML1_ASSERTION_NS}}}NameIdentifier")
    ]
    if not any(names):
        problems.append("NameIdentifier absent")
    attributes = sorted(
        {
            a.get("AttributeName") or ""
            for a in saml_response.iter(f"{{{SAML1_ASSERTION_NS}}}Attribute")
        }
        - {""}
        - PROTOCOL_ATTRIBUTES
    )
    if not attributes:
        problems.append("aucun attribut dans l'AttributeStatement")
    recorder.note(
        "assertion SAML 1.1 reçue",
        status=status_value,
        audiences=audiences,
        attributes=attributes,
    )
    if problems:
        return recorder.failed("/samlValidate non conforme : " + " ; ".join(problems))
    return recorder.passed(
        f"/samlValidate : StatusCode Success, Audience = {cas.service}, NameIdentifier présent, "
        f"attributs : {', '.join(attributes)}"
    )


# --- the SSO cookie -------------------------------------------------------------------------


_COOKIE_CHECKS = {
    "secure": "Secure",
    "httponly": "HttpOnly",
    "path": "chemin restreint au préfixe CAS",
    "tgc_name": "nom commençant par TGC-",
    "session_only": "cookie de session (ni Expires ni Max-Age)",
}


@dataclass(frozen=True)
class _SsoCookie:
    """The SSO cookie: its name, its value (never shown), and the Set-Cookie that set it."""

    name: str
    value: str
    set_by: str
    attributes: Mapping[str, str | None]
    how: str

    @property
    def path(self) -> str:
        explicit = self.attributes.get("path")
        if explicit and explicit.startswith("/"):
            return explicit
        # RFC 6265 §5.1.4: the default path is the directory of the request URI.
        request_path = urlsplit(self.set_by).path or "/"
        return request_path.rsplit("/", 1)[0] or "/"

    def describe(self) -> str:
        shown = [f"{k}={v}" if v is not None else k for k, v in self.attributes.items()]
        return "; ".join(shown) or "sans attribut"

    def problems(self, require: Sequence[str], cas: _Cas) -> list[str]:
        problems = []
        if "secure" in require and "secure" not in self.attributes:
            problems.append("attribut Secure absent")
        if "httponly" in require and "httponly" not in self.attributes:
            problems.append("attribut HttpOnly absent")
        if "path" in require:
            prefix = cas.prefix_path
            if not (prefix == "/" or self.path == prefix or self.path.startswith(prefix + "/")):
                problems.append(f"chemin {self.path} plus large que le préfixe CAS {prefix}")
        if "tgc_name" in require and not self.name.startswith("TGC-"):
            problems.append(f"nom {self.name} ne commençant pas par TGC-")
        if "session_only" in require:
            lasting = [k for k in ("expires", "max-age") if k in self.attributes]
            if lasting:
                problems.append(
                    "cookie persistant ("
                    + ", ".join(f"{k}={self.attributes[k]}" for k in lasting)
                    + ") au lieu d'un cookie de session"
                )
        return problems

    def evidence(self, problems: Sequence[str]) -> Evidence:
        verdict = "non conforme : " + " ; ".join(problems) if problems else "conforme"
        return Evidence(
            kind="cookie",
            summary=(
                f"cookie SSO {self.name} posé par {self.set_by} : {verdict} [{self.describe()}]"
            ),
            data={
                "name": self.name,
                "set_by": self.set_by,
                "attributes": dict(self.attributes),
                "path": self.path,
                "identified_by": self.how,
                "value_length": len(self.value),
                "problems": list(problems),
            },
        )


def _identify_sso_cookies(recorder: _Recorder, browser: _Browser, cas: _Cas) -> list[_SsoCookie]:
    """The SSO cookies of a logged-in ``browser``: named by the target, or found by experiment.

    Every cookie without which the session no longer gets a ticket counts (a load balancer's
    affinity cookie may carry the session as much as the ticket-granting cookie does).
    """
    jar = browser.session.cookies
    candidates = sorted({c.name for c in jar})
    if cas.sso_cookie:
        if cas.sso_cookie not in candidates:
            raise ProbeError(
                f"le cookie SSO {cas.sso_cookie} nommé par la cible (cas.sso_cookie) n'est pas "
                f"posé par la connexion (cookies reçus : {', '.join(candidates) or 'aucun'})"
            )
        names = [cas.sso_cookie]
        how = "nommé par la cible (cas.sso_cookie)"
    else:
        names = []
        for name in candidates:
            trial = recorder.browser()
            for cookie in jar:
                if cookie.name != name:
                    trial.session.cookies.set_cookie(cookie)
            response = trial.get(cas.login_url, {"service": cas.service})
            if _redirect_ticket(response, cas.service) is None:
                names.append(name)
        how = "identifié par essai : sans lui, /login ne délivre plus de ticket"
        recorder.note(
            "identification du cookie SSO : chaque cookie de la session est retiré à tour de "
            "rôle ; " + (f"indispensable(s) : {', '.join(names)}" if names else "aucun"),
            candidates=candidates,
            sso_cookies=names,
        )
        if not names:
            raise ProbeError(
                "aucun cookie n'est indispensable à la session SSO (cookies : "
                f"{', '.join(candidates) or 'aucun'}) : cookie SSO introuvable ; le nommer dans "
                "la cible (cas.sso_cookie)"
            )
    found = []
    for name in names:
        value = next(c.value or "" for c in jar if c.name == name)
        headers = [(u, h) for u, h in browser.set_cookies if _cookie_name(h) == name]
        if not headers:
            raise ProbeError(f"aucun Set-Cookie reçu pour le cookie SSO {name}")
        set_by, header = headers[-1]  # the last one set it for the established session
        found.append(
            _SsoCookie(
                name=name,
                value=value,
                set_by=set_by,
                attributes=_cookie_attributes(header),
                how=how,
            )
        )
    return found


def _cookie_name(header: str) -> str:
    return header.partition(";")[0].partition("=")[0].strip()


def _cookie_attributes(header: str) -> dict[str, str | None]:
    """Attributes of a ``Set-Cookie`` value (RFC 6265 §5.2), lower-cased names, value dropped."""
    attributes: dict[str, str | None] = {}
    for part in header.split(";")[1:]:
        key, eq, value = part.partition("=")
        key = key.strip().lower()
        if key:
            attributes[key] = value.strip() if eq else None
    return attributes


# --- proxying -------------------------------------------------------------------------------


class _CallbackServer:
    """A loopback-or-LAN listener that plays a proxy callback (``pgtUrl``) and records calls."""

    def __init__(self, host: str, tls: ssl.SSLContext | None) -> None:
        calls: list[dict[str, list[str]]] = []
        self.calls = calls

        class Handler(BaseHTTPRequestHandler):
            timeout = 10

            def do_GET(self) -> None:
                calls.append(parse_qs(urlsplit(self.path).query))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Silent."""

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        shown = f"[{host}]" if ":" in host else host
        self.url = f"{scheme}://{shown}:{self.httpd.server_address[1]}/sdet-check/pgt-callback"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> _CallbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def received(self, name: str) -> list[str]:
        return [value for call in self.calls for value in call.get(name, [])]


@contextmanager
def _listening(cas: _Cas, *, https: bool) -> Iterator[_CallbackServer]:
    callback = cas.callback
    assert callback is not None
    tls = None
    if https:
        if callback.cert_file is None or callback.key_file is None:
            raise NotTestable(
                "la cible ne donne pas de certificat pour l'adresse de rappel "
                "(cas.callback.cert_file, cas.callback.key_file)"
            )
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(callback.cert_file, callback.key_file)
    try:
        server = _CallbackServer(callback.host, tls)
    except OSError as exc:
        raise ProbeError(
            f"impossible d'écouter sur {callback.host} pour le rappel : {exc}"
        ) from exc
    with server:
        yield server


def _proxy_tickets(context: ProbeContext, cas: _Cas, account: Account, optional: bool) -> Outcome:
    with _Recorder(context) as recorder:
        browser = recorder.browser()
        bare = browser.get(cas.endpoint("proxy"))
        if bare.status_code in NOT_OFFERED_STATUSES:
            return recorder.not_offered("proxy", bare, optional)
        problems = []
        answer = _parse_cas(bare, "réponse proxy")
        if answer.outcome != "proxyFailure" or answer.code != "INVALID_REQUEST":
            problems.append(
                f"/proxy sans paramètre : {answer.describe()} au lieu de cas:proxyFailure "
                "code=INVALID_REQUEST"
            )
        unknown_pgt = f"PGT-{secrets.token_hex(16)}"
        target = cas.other_service or cas.service
        unknown = _parse_cas(
            browser.get(cas.endpoint("proxy"), {"pgt": unknown_pgt, "targetService": target}),
            "réponse proxy",
        )
        if unknown.outcome != "proxyFailure":
            problems.append(
                f"/proxy avec un PGT inconnu : {unknown.describe()} au lieu de cas:proxyFailure"
            )
        if unknown.proxy_ticket:
            problems.append("/proxy délivre un ticket pour un PGT inconnu")
        issued = ""
        if cas.callback is None:
            recorder.note(
                "délivrance d'un ticket PT- non essayée : la cible ne décrit pas d'adresse de "
                "rappel joignable par le serveur CAS (cas.callback)"
            )
        else:
            issue_problems, issued = _issue_proxy_ticket(recorder, browser, cas, account, target)
            problems += issue_problems
        if problems:
            return recorder.failed("délégation CAS non conforme : " + " ; ".join(problems))
        if cas.callback is None:
            raise NotTestable(
                "erreurs de /proxy conformes, mais la délivrance d'un ticket PT- n'est vérifiable "
                "qu'avec une adresse de rappel HTTPS joignable par le serveur (cas.callback)"
            )
        return recorder.passed(
            f"/proxy : PGT reçu sur le rappel HTTPS, ticket {issued} délivré et validé par "
            "/proxyValidate ; erreurs en cas:proxyFailure (INVALID_REQUEST)"
        )


def _issue_proxy_ticket(
    recorder: _Recorder, browser: _Browser, cas: _Cas, account: Account, target: str
) -> tuple[list[str], str]:
    """Obtain a PGT through an HTTPS callback, then a PT; return problems and the PT (cut)."""
    with _listening(cas, https=True) as callback:
        ticket = _login(browser, cas, account, cas.service).ticket
        answer = _validate(
            browser, cas, "serviceValidate", cas.service, ticket, pgt_url=callback.url
        )
        pgt_ids = callback.received("pgtId")
        ious = callback.received("pgtIou")
    if answer.outcome != "authenticationSuccess" or not answer.proxy_granting_ticket:
        raise ProbeError(
            f"aucun ticket d'octroi de proxy délivré au rappel HTTPS {callback.url} "
            f"({answer.describe()}) : ce rappel est-il autorisé pour le service de test ?"
        )
    if answer.proxy_granting_ticket not in ious or not pgt_ids:
        return ["le PGTIOU de la réponse ne correspond à aucun appel reçu sur le rappel"], ""
    recorder.note(
        "appel du rappel HTTPS reçu avec pgtId et pgtIou",
        pgtIou=_cut(answer.proxy_granting_ticket),
        pgtId=_cut(pgt_ids[-1]),
    )
    proxied = _parse_cas(
        browser.get(cas.endpoint("proxy"), {"pgt": pgt_ids[-1], "targetService": target}),
        "réponse proxy",
    )
    if proxied.outcome != "proxySuccess" or not proxied.proxy_ticket:
        return [f"/proxy avec un PGT valide : {proxied.describe()} au lieu de proxySuccess"], ""
    problems = []
    if not proxied.proxy_ticket.startswith("PT-"):
        problems.append(f"ticket de proxy {_cut(proxied.proxy_ticket)} sans préfixe PT-")
    checked = _validate(browser, cas, "proxyValidate", target, proxied.proxy_ticket)
    if checked.outcome != "authenticationSuccess":
        problems.append(f"/proxyValidate refuse le ticket de proxy ({checked.describe()})")
    return problems, _cut(proxied.proxy_ticket)


def _http_callback(context: ProbeContext, cas: _Cas, account: Account) -> Outcome:
    if cas.callback is None:
        raise NotTestable(
            "la cible ne décrit pas d'adresse de rappel joignable par le serveur CAS "
            "(cas.callback.host) : impossible d'observer l'usage d'un pgtUrl en http://"
        )
    with _Recorder(context) as recorder:
        browser = recorder.browser()
        with _listening(cas, https=False) as callback:
            ticket = _login(browser, cas, account, cas.service).ticket
            answer = _validate(
                browser, cas, "serviceValidate", cas.service, ticket, pgt_url=callback.url
            )
            pgt_ids = callback.received("pgtId")
        recorder.note(
            f"rappel en clair {callback.url} : {len(callback.calls)} appel(s) reçu(s)",
            url=callback.url,
            calls=len(callback.calls),
            pgtId=[_cut(p) for p in pgt_ids],
        )
        problems = []
        if pgt_ids:
            problems.append(
                f"le serveur a transmis un ticket d'octroi de proxy en clair à {callback.url}"
            )
        if answer.proxy_granting_ticket:
            problems.append("la réponse de validation porte un PGTIOU pour un pgtUrl en http://")
        if problems:
            return recorder.failed("pgtUrl en http:// accepté : " + " ; ".join(problems))
        return recorder.passed(
            f"pgtUrl en http:// ({callback.url}) non appelé et sans PGTIOU ({answer.describe()})"
        )


# --- HTTP plumbing --------------------------------------------------------------------------


def _parse_html(response: requests.Response) -> lxml.html.HtmlElement | None:
    """Parse a (bounded) body as HTML without any network access; ``None`` if not HTML."""
    body = response.content
    if not body.strip() or b"<" not in body[:4096]:
        return None
    parser = lxml.html.HTMLParser(no_network=True, huge_tree=False, remove_pis=True)
    try:
        return lxml.html.document_fromstring(body, parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None
