"""The browser side of CAS: the login page, full logins, SSO, renew, gateway, logout, refusals.

``renew`` and ``gateway`` count by their presence alone (spec §2.1.1: "if this parameter is
set"), so each is tried with more than one value (:data:`PRESENCE_VALUES`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

import requests

from probes.cas.answers import validate
from probes.cas.common import (
    NO_PARAMS,
    NOT_OFFERED_STATUSES,
    PROFILES_PARAM,
    TICKET_CHARSET,
    CasProbe,
    CasSection,
    Recorder,
    cut,
    location,
    login_accounts,
    same_resource,
    who,
)
from probes.cas.cookies import identify_sso_cookies
from probes.cas.flow import log_in, redirect_ticket, sso_ticket, submit_login
from sdet_check.login import LoginForm as HtmlLoginForm
from sdet_check.login import describe_page, find_login_form
from sdet_check.messages import clauses, msg
from sdet_check.probe import NotTestable, Outcome

PRESENCE_VALUES = ("true", "1")
"""Values tried for ``renew`` and ``gateway``: the recommended one, and another."""


class LoginForm(CasProbe):
    """``/login`` presents, over HTTPS, a credentials form for a registered service.

    Pass: ``GET {cas}/login?service=<service>`` without a session is served over HTTPS
    (redirects on the CAS server's host followed) with status 200 and a login form — a login
    field and a password field of type password, in one page or in two steps — submitted by
    POST over HTTPS to the CAS server's host, which carries the service: a field or the
    action's query holding it (as such or encoded), or, when the target has an account, a
    login that ends with a ticket for that very service (spec §2.1.3, §2.2). Field names
    other than ``username``/``password`` and an action other than ``/login`` are recorded,
    not failed (the statement asks for a form, the spec's names are for its credential
    acceptor). The login ticket ``lt`` is required only with ``require_lt``.
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

    def decide(self, params: Mapping[str, Any], cas: CasSection, recorder: Recorder) -> Outcome:
        """Fetch the login page without a session and inspect its form."""
        browser = recorder.browser()
        chain = browser.follow_on_cas(cas, cas.login_url, {"service": cas.service})
        page = chain[-1]
        in_clear = [r.url for r in chain if urlsplit(r.url).scheme != "https"]
        if in_clear:
            recorder.problem(msg("cas.login.login_form.problem", in_clear=", ".join(in_clear)))
        form = find_login_form(page, cas.login_form) if page.status_code == 200 else None
        if form is None:
            recorder.problem(
                msg(
                    "cas.login.login_form.problem_2",
                    login_url=cas.login_url,
                    describe_page=describe_page(page),
                )
            )
            return recorder.failed(
                msg("cas.login.login_form.failed", problems=clauses(recorder.problems))
            )
        recorder.add(form.evidence(service=form.fields.get("service"), lt=form.fields.get("lt")))
        _judge_form(recorder, cas, form, require_lt=params.get("require_lt", False))
        if not _carries_service(form, cas.service):
            _service_through_login(recorder, cas, page)
        return recorder.verdict(
            msg("cas.login.login_form.verdict"),
            msg(
                "cas.login.login_form.verdict_2",
                split=page.url.split("?")[0],
                split2=form.action.split("?")[0],
                describe=form.describe(),
                value=msg("cas.login.lt_present") if "lt" in form.fields else "",
            ),
        )


class Login(CasProbe):
    """A full login with each test account yields a service ticket starting ``ST-``.

    For each account (``profiles`` restricts them): a fresh session, ``GET /login`` for the
    service, the login forms filled as a browser does, then the redirect to the service must
    carry ``ticket=ST-…`` (spec §2.2.4, §3.1.1). With ``charset``, every ticket and the SSO
    cookie's value must only use ``A-Z a-z 0-9 -`` (spec §3.7). An account whose
    credentials are refused makes the probe unable to decide (an ``error``).
    """

    kind = "cas.login"
    title = "Connexion complète de chaque compte de test : ticket de service ST-"
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "profiles": {
                **PROFILES_PARAM,
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

    def decide(self, params: Mapping[str, Any], cas: CasSection, recorder: Recorder) -> Outcome:
        """Log in with each account; judge each ticket (and the SSO cookie)."""
        accounts = login_accounts(recorder.context, params.get("profiles"))
        want_charset: bool = params.get("charset", False)
        seen: list[str] = []
        for account in accounts:
            browser = recorder.browser()
            login = log_in(browser, cas, account, cas.service)
            tickets = [login.ticket]
            name = who(account)
            if not login.ticket.startswith("ST-"):
                recorder.problem(msg("cas.login.login.problem", name=name, cut=cut(login.ticket)))
            seen.append(
                msg(
                    "cas.login.login.append",
                    name=name,
                    cut=cut(login.ticket),
                    count=len(login.ticket),
                )
            )
            if not want_charset:
                continue
            tickets.append(sso_ticket(browser, cas, cas.service))
            for ticket in tickets:
                if not TICKET_CHARSET.match(ticket):
                    recorder.problem(msg("cas.login.login.problem_2", name=name, cut=cut(ticket)))
            if account is accounts[0]:
                for cookie in identify_sso_cookies(recorder, browser, cas):
                    fits = bool(TICKET_CHARSET.match(cookie.value))
                    if not fits:
                        recorder.problem(msg("cas.login.login.problem_3", name=cookie.name))
                    recorder.note(
                        msg(
                            "cas.login.ev.login.note",
                            name=cookie.name,
                            count=len(cookie.value),
                            value=msg("cas.login.cookie_charset_ok")
                            if fits
                            else msg("cas.login.cookie_charset_off"),
                        ),
                        cookie=cookie.name,
                        length=len(cookie.value),
                        charset_ok=fits,
                    )
        message = msg("cas.login.login.passed", seen=seen)
        if want_charset:
            message = msg("cas.login.login.passed_charset", passed=message)
        return recorder.verdict(msg("cas.login.login.verdict"), message)


class SingleSignOn(CasProbe):
    """A user logged in once gets a ticket for another service without credentials.

    Log in for ``cas.service``, then ``GET /login?service=<other_service>`` (or the same
    service when the target names no other) in the same session: pass when the answer
    redirects to the service with a ticket without showing a form, and that ticket
    validates (back channel) for the same user.
    """

    kind = "cas.sso"
    title = "Authentification unique : un second service obtient un ticket sans ressaisie"
    params_schema = NO_PARAMS

    def decide(self, params: Mapping[str, Any], cas: CasSection, recorder: Recorder) -> Outcome:
        """Log in once, ask for a second service, validate its ticket."""
        account = login_accounts(recorder.context, None)[0]
        second = cas.other_service or cas.service
        browser = recorder.browser()
        first = log_in(browser, cas, account, cas.service)
        first_answer = validate(recorder, cas, "serviceValidate", cas.service, first.ticket)
        response = browser.follow_on_cas(cas, cas.login_url, {"service": second})[-1]
        ticket = redirect_ticket(response, second)
        if ticket is None:
            return recorder.failed(
                msg(
                    "cas.login.single_sign_on.failed",
                    second=second,
                    describe_page=describe_page(response),
                )
            )
        answer = validate(recorder, cas, "serviceValidate", second, ticket)
        if not answer.succeeded:
            return recorder.failed(
                msg(
                    "cas.login.single_sign_on.failed_2", cut=cut(ticket), describe=answer.describe()
                )
            )
        if first_answer.user and answer.user != first_answer.user:
            return recorder.failed(
                msg(
                    "cas.login.single_sign_on.failed_3",
                    user=f"{answer.user!r}",
                    user2=f"{first_answer.user!r}",
                )
            )
        return recorder.passed(
            msg(
                "cas.login.single_sign_on.passed",
                service=cas.service,
                second=second,
                cut=cut(ticket),
                user=f"{answer.user!r}",
            )
        )


class Renew(CasProbe):
    """``renew`` forces credentials, and SSO tickets fail a ``renew`` validation.

    With an SSO session: ``GET /login?service=…&renew=<v>`` must present the credentials
    form, not a ticket (spec §2.1.1); a ticket then obtained through SSO and validated with
    ``renew=<v>`` must fail with ``INVALID_TICKET`` (spec §2.5.1, §2.5.3). The parameter
    counts by its presence, so each value of :data:`PRESENCE_VALUES` is tried.
    """

    kind = "cas.renew"
    title = "renew impose une nouvelle saisie des identifiants"
    params_schema = NO_PARAMS

    def decide(self, params: Mapping[str, Any], cas: CasSection, recorder: Recorder) -> Outcome:
        """Log in, ask with renew, then validate an SSO ticket with renew."""
        account = login_accounts(recorder.context, None)[0]
        browser = recorder.browser()
        log_in(browser, cas, account, cas.service)
        for value in PRESENCE_VALUES:
            params_sent = {"service": cas.service, "renew": value}
            renewed = browser.follow_on_cas(cas, cas.login_url, params_sent)[-1]
            ticket = redirect_ticket(renewed, cas.service)
            if ticket is not None:
                recorder.problem(msg("cas.login.renew.problem", value=value, cut=cut(ticket)))
            elif find_login_form(renewed, cas.login_form) is None:
                recorder.problem(
                    msg(
                        "cas.login.renew.problem_2",
                        value=value,
                        describe_page=describe_page(renewed),
                    )
                )
            sso = sso_ticket(browser, cas, cas.service)
            answer = validate(recorder, cas, "serviceValidate", cas.service, sso, renew=value)
            if answer.succeeded:
                recorder.problem(msg("cas.login.renew.problem_3", cut=cut(sso), value=value))
            elif answer.code != "INVALID_TICKET":
                recorder.problem(
                    msg("cas.login.renew.problem_4", value=value, describe=answer.describe())
                )
        shown = ", ".join(f"renew={v}" for v in PRESENCE_VALUES)
        return recorder.verdict(
            msg("cas.login.renew.verdict"),
            msg("cas.login.renew.verdict_2", shown=shown),
        )


class Gateway(CasProbe):
    """``gateway`` without a session returns to the service without a ticket.

    Without any cookie, ``GET /login?service=…&gateway=<v>`` must redirect to the service
    with no ``ticket`` parameter and without asking for credentials (spec §2.1.1); each
    value of :data:`PRESENCE_VALUES` is tried.
    """

    kind = "cas.gateway"
    title = "gateway sans session : retour au service sans ticket"
    needs = ("cas",)
    params_schema = NO_PARAMS

    def decide(self, params: Mapping[str, Any], cas: CasSection, recorder: Recorder) -> Outcome:
        """Ask with gateway and no session; judge the redirect."""
        seen = []
        for value in PRESENCE_VALUES:
            browser = recorder.browser()
            chain = browser.follow_on_cas(
                cas, cas.login_url, {"service": cas.service, "gateway": value}
            )
            response = chain[-1]
            target = location(response)
            if target is None:
                recorder.problem(
                    msg(
                        "cas.login.gateway.problem",
                        value=value,
                        describe_page=describe_page(response),
                    )
                )
            elif "ticket" in parse_qs(urlsplit(target).query):
                recorder.problem(msg("cas.login.gateway.problem_2", value=value, target=target))
            elif not same_resource(target, cas.service):
                recorder.problem(
                    msg(
                        "cas.login.gateway.problem_3",
                        value=value,
                        target=target,
                        service=cas.service,
                    )
                )
            else:
                seen.append(
                    msg(
                        "cas.login.gateway.append",
                        value=value,
                        status_code=response.status_code,
                        target=target,
                    )
                )
        return recorder.verdict(
            msg("cas.login.gateway.verdict"),
            msg("cas.login.gateway.verdict_2", seen=clauses(seen)),
        )


class Logout(CasProbe):
    """``/logout`` ends the SSO session, on the server side.

    Log in, check that SSO works (a ticket without credentials), call ``/logout``, put the
    old cookies back (as a thief of the cookie would), then ``GET /login?service=…`` must
    ask for credentials again and issue no ticket (spec §2.3).
    """

    kind = "cas.logout"
    title = "La déconnexion met fin à la session SSO"
    params_schema = NO_PARAMS
    ends_sessions = "cas.logout"

    def decide(self, params: Mapping[str, Any], cas: CasSection, recorder: Recorder) -> Outcome:
        """Log in, log out, replay the old cookies."""
        account = login_accounts(recorder.context, None)[0]
        browser = recorder.browser()
        log_in(browser, cas, account, cas.service)
        sso_ticket(browser, cas, cas.service)
        old_cookies = browser.session.cookies.copy()
        logout = browser.follow_on_cas(cas, cas.logout_url)
        if logout[0].status_code in NOT_OFFERED_STATUSES:
            return recorder.failed(
                msg(
                    "cas.login.logout.failed",
                    logout_url=cas.logout_url,
                    status_code=logout[0].status_code,
                )
            )
        browser.session.cookies = old_cookies
        recorder.note(
            msg("cas.login.ev.logout.note"),
            cookies=sorted({cookie.name for cookie in old_cookies}),
        )
        again = browser.follow_on_cas(cas, cas.login_url, {"service": cas.service})[-1]
        ticket = redirect_ticket(again, cas.service)
        if ticket is not None:
            return recorder.failed(msg("cas.login.logout.failed_2", cut=cut(ticket)))
        if find_login_form(again, cas.login_form) is None:
            return recorder.failed(
                msg("cas.login.logout.failed_3", describe_page=describe_page(again))
            )
        return recorder.passed(msg("cas.login.logout.passed", status_code=logout[0].status_code))


class UnregisteredService(CasProbe):
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

    def decide(self, params: Mapping[str, Any], cas: CasSection, recorder: Recorder) -> Outcome:
        """Ask for the unknown service with and without a session."""
        unknown = cas.unregistered_service
        account = login_accounts(recorder.context, None)[0]
        browser = recorder.browser()
        first = browser.follow_on_cas(cas, cas.login_url, {"service": unknown})[-1]
        ticket = redirect_ticket(first, unknown)
        answers = [first]
        if ticket is None and find_login_form(first, cas.login_form) is not None:
            posted, _ = submit_login(browser, cas, first, account, unknown)
            answers.append(posted)
            ticket = redirect_ticket(posted, unknown)
        if ticket is not None:
            return recorder.failed(
                msg("cas.login.unregistered_service.failed", unknown=unknown, cut=cut(ticket))
            )
        log_in(browser, cas, account, cas.service)
        with_session = browser.follow_on_cas(cas, cas.login_url, {"service": unknown})[-1]
        answers.append(with_session)
        ticket = redirect_ticket(with_session, unknown)
        if ticket is not None:
            return recorder.failed(
                msg("cas.login.unregistered_service.failed_2", unknown=unknown, cut=cut(ticket))
            )
        return _judge_refusal(recorder, unknown, answers, params.get("error_status", False))


# --- helpers ----------------------------------------------------------------------------------


def _judge_form(
    recorder: Recorder, cas: CasSection, form: HtmlLoginForm, *, require_lt: bool
) -> None:
    if form.method != "POST":
        recorder.problem(msg("cas.login.judge_form.problem", method=form.method))
    if urlsplit(form.action).scheme != "https":
        recorder.problem(msg("cas.login.judge_form.problem_2", action=form.action))
    if not cas.on_host(form.action):
        recorder.problem(msg("cas.login.judge_form.problem_3", action=form.action, url=cas.url))
    elif not urlsplit(form.action).path.endswith("/login"):
        recorder.note(
            msg("cas.login.ev.judge_form.note", action=form.action, login_url=cas.login_url)
        )
    if form.user_field is None:
        recorder.problem(msg("cas.login.judge_form.problem_4"))
    if form.asks_password and form.field_types.get(form.password_field or "") != "password":
        recorder.problem(msg("cas.login.judge_form.problem_5"))
    if form.user_field != "username" or form.password_field not in (None, "password"):
        recorder.note(
            msg(
                "cas.login.ev.judge_form.note_2",
                user_field=form.user_field,
                value=form.password_field or "(étape suivante)",
            )
        )
    if not form.asks_password:
        recorder.note(msg("cas.login.ev.judge_form.note_3"))
    if require_lt and not form.fields.get("lt"):
        recorder.problem(msg("cas.login.judge_form.problem_6"))


def _carries_service(form: HtmlLoginForm, service: str) -> bool:
    """Whether the form itself carries the service: a field, the action, encoded or not."""
    query = parse_qs(urlsplit(form.action).query)
    values = [*form.fields.values(), *(v for vs in query.values() for v in vs)]
    for value in values:
        if service in (value, unquote(value)):
            return True
        try:
            decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=False)
        except (binascii.Error, ValueError):
            continue
        if service.encode() in decoded:
            return True
    return False


def _service_through_login(recorder: Recorder, cas: CasSection, page: requests.Response) -> None:
    """Check by a real login that the service survives the form (kept in the session)."""
    try:
        account = login_accounts(recorder.context, None)[0]
    except NotTestable:
        recorder.problem(msg("cas.login.service_through_login.problem"))
        return
    browser = recorder.browser()
    answer, _ = submit_login(browser, cas, page, account, cas.service)
    if redirect_ticket(answer, cas.service) is None:
        recorder.problem(
            msg("cas.login.service_through_login.problem_2", describe_page=describe_page(answer))
        )
    else:
        recorder.note(msg("cas.login.ev.service_through_login.note"))


def _judge_refusal(
    recorder: Recorder, unknown: str, answers: list[requests.Response], error_status: bool
) -> Outcome:
    redirected = [a for a in answers if location(a) is not None]
    statuses = sorted({a.status_code for a in answers})
    shown = ", ".join(str(s) for s in statuses)
    if error_status and any(s < 400 for s in statuses):
        return recorder.failed(msg("cas.login.judge_refusal.failed", unknown=unknown, shown=shown))
    if all(s < 400 for s in statuses) and not redirected:
        recorder.note(
            msg("cas.login.ev.judge_refusal.note", shown=shown),
            statuses=statuses,
        )
    return recorder.passed(msg("cas.login.judge_refusal.passed", unknown=unknown, shown=shown))
