"""Logging in to a CAS server as a browser does, and reading the ticket it hands out.

The forms are found and filled by :mod:`sdet_check.login` (any field names, hidden inputs,
multi-step logins), under its credentials rule: the password goes over HTTPS to the CAS
server's host only. After a form is posted, redirects are followed with GET (never
re-posting the body) while they stay on the CAS server's host; a redirect to the service
ends the login.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import requests

from probes.cas.common import (
    MAX_REDIRECTS,
    Browser,
    CasSection,
    location,
    same_resource,
    who,
)
from sdet_check.login import LoginForm, describe_page, fill_login_forms, find_login_form
from sdet_check.messages import msg
from sdet_check.probe import HostileResponse, ProbeError
from sdet_check.target import Account

_JS_REDIRECT = re.compile(r"""(https?://[^"'\s<>]*[?&]ticket=[A-Za-z0-9-]+)""")


@dataclass(frozen=True)
class LoginResult:
    """What a login gave: the service ticket and the answer that carried it."""

    ticket: str
    response: requests.Response


def log_in(browser: Browser, cas: CasSection, account: Account, service: str) -> LoginResult:
    """Log ``account`` in for ``service`` in ``browser``; return the service ticket.

    A session that already has SSO gets its ticket from the first GET. A login that ends
    without a ticket says what the last page showed (status, title, form fields, message).
    A plain-HTTP server without the opt-in stops here, before any request (``NotTestable``).
    """
    cas.credentials_rule(browser.recorder.context)
    chain = browser.follow_on_cas(cas, cas.login_url, {"service": service})
    page = chain[-1]
    ticket = redirect_ticket(page, service)
    if ticket is not None:
        return LoginResult(ticket, page)
    if find_login_form(page, cas.login_form) is None:
        raise ProbeError(
            msg("cas.flow.log_in.error", url=page.url, describe_page=describe_page(page))
        )
    answer, refused = submit_login(browser, cas, page, account, service)
    ticket = redirect_ticket(answer, service)
    if ticket is None:
        why = (
            "identifiants refusés (le formulaire est présenté de nouveau) : vérifier le compte "
            "de test et son mot de passe"
            if refused
            else "parcours de connexion non reconnu"
        )
        raise ProbeError(
            msg(
                "cas.flow.log_in.error_2",
                who=who(account),
                service=service,
                why=why,
                describe_page=describe_page(answer),
            )
        )
    return LoginResult(ticket, answer)


def submit_login(
    browser: Browser, cas: CasSection, page: requests.Response, account: Account, service: str
) -> tuple[requests.Response, bool]:
    """Fill the login forms from ``page`` on; return the last answer and whether refused."""
    rule = cas.credentials_rule(browser.recorder.context)

    def submit(form: LoginForm, data: dict[str, str]) -> requests.Response:
        return post_form(browser, cas, form, data)

    steps = fill_login_forms(
        page,
        login=account.login,
        password=account.password.reveal(),
        rule=rule,
        submit=submit,
        done=lambda answer: redirect_ticket(answer, service) is not None,
        overrides=cas.login_form,
        record=browser.recorder.add,
    )
    return steps.final, steps.refused


def post_form(
    browser: Browser, cas: CasSection, form: LoginForm, data: Mapping[str, str]
) -> requests.Response:
    """Post a login form, then follow redirects with GET while they stay on the server."""
    page = urlsplit(form.page_url)
    headers = {"Referer": form.page_url, "Origin": f"{page.scheme}://{page.netloc}"}
    answer = browser.send(form.method, form.action, data=dict(data), headers=headers)
    hops = 0
    while (target := location(answer)) is not None and cas.on_host(target):
        if "ticket" in parse_qs(urlsplit(target).query):
            break
        hops += 1
        if hops > MAX_REDIRECTS:
            raise HostileResponse(msg("cas.flow.post_form.hostile", max_redirects=MAX_REDIRECTS))
        answer = browser.get(target)
    return answer


def sso_ticket(browser: Browser, cas: CasSection, service: str) -> str:
    """Ask ``/login`` for ``service`` in a session that has SSO; return the ticket."""
    chain = browser.follow_on_cas(cas, cas.login_url, {"service": service})
    ticket = redirect_ticket(chain[-1], service)
    if ticket is None:
        raise ProbeError(
            msg(
                "cas.flow.sso_ticket.error", service=service, describe_page=describe_page(chain[-1])
            )
        )
    return ticket


def redirect_ticket(response: requests.Response, service: str) -> str | None:
    """The ``ticket`` a login answer hands to ``service``, by HTTP redirect or by script."""
    targets = []
    target = location(response)
    if target is not None:
        targets.append(target)
    elif response.status_code == 200 and "ticket=" in response.text:
        # Spec appendix B: a server may redirect with a page script instead of a 3xx.
        text = html.unescape(response.text).replace("\\/", "/")
        targets += _JS_REDIRECT.findall(text)
    for url in targets:
        if same_resource(url, service):
            values = parse_qs(urlsplit(url).query).get("ticket")
            if values:
                return values[-1]
    return None
