"""Signing in with a real browser, under the project's credentials rule.

The login forms are found and filled by :mod:`sdet_check.login` (the page's HTML is read as
the ``requests`` flows read it), so one rule protects every family: the password goes over
HTTPS to the portal's or its SSO server's host only. A browser adds two ways to break it,
both closed here: the page's scripts may change the form's action after it was read (the
live action and the page's address are checked in the page just before typing the password),
and a script may send the password itself (the browser's route,
:class:`~probes.portal.browser.Guard`, aborts any request carrying it to a refused place).
Before the password leaves, the receiving server's certificate is checked against the
target's trust anchor, since the browser itself is told to accept the test CA.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from probes.portal.browser import remaining_ms
from probes.portal.certificates import certificate_problem
from probes.portal.common import PortalSection
from sdet_check.evidence import note
from sdet_check.login import (
    CredentialsRule,
    LoginForm,
    UnsafeCredentialsDestination,
    describe_page,
    fill_login_forms,
    find_login_form,
)
from sdet_check.messages import msg
from sdet_check.probe import Evidence, ProbeContext, ProbeError
from sdet_check.target import Account

_LIVE_ACTION = """(names) => {
  for (const form of document.forms) {
    for (const name of names) {
      if (name && form.elements.namedItem(name)) {
        return {action: form.action, method: (form.method || "get").toUpperCase()};
      }
    }
  }
  return null;
}"""


def as_response(page: Any, status: int = 200) -> requests.Response:
    """The browser's current page as a ``requests`` answer (for :mod:`sdet_check.login`)."""
    response = requests.Response()
    response.status_code = status
    response.url = page.url
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response._content = page.content().encode("utf-8")
    response.encoding = "utf-8"
    return response


def sign_in(
    page: Any,
    section: PortalSection,
    account: Account,
    context: ProbeContext,
    deadline: float,
    record: Callable[[Evidence], None],
) -> None:
    """Sign ``account`` in from the portal's login page; raise when it cannot.

    :class:`UnsafeCredentialsDestination` when a form (as written, or as the page's scripts
    left it) would send the password elsewhere than the rule allows; :class:`ProbeError`
    when the credentials are refused or no login form is found.
    """
    rule = section.credentials_rule(context)
    page.goto(section.login_url, wait_until="load", timeout=remaining_ms(deadline))
    first = as_response(page)
    if find_login_form(first, section.login_form) is None:
        raise ProbeError(
            msg("portal.signin.sign_in.error", url=page.url, describe_page=describe_page(first))
        )

    def submit(form: LoginForm, data: dict[str, str]) -> requests.Response:
        _check_live_form(page, form, rule)
        if form.asks_password:
            _check_certificate(form.action, context)
        for name in (form.user_field, form.password_field):
            if name is not None:
                page.locator(f'[name="{_css(name)}"]').first.fill(
                    data[name], timeout=remaining_ms(deadline)
                )
        trigger = form.password_field or form.user_field
        with page.expect_navigation(wait_until="load", timeout=remaining_ms(deadline)):
            page.locator(f'[name="{_css(trigger or "")}"]').first.evaluate(
                "(field) => field.form.requestSubmit ? field.form.requestSubmit() "
                ": field.form.submit()"
            )
        return as_response(page)

    steps = fill_login_forms(
        first,
        login=account.login,
        password=account.password.reveal(),
        rule=rule,
        submit=submit,
        done=lambda _answer: False,
        overrides=section.login_form,
        record=record,
    )
    if steps.refused:
        raise ProbeError(
            msg(
                "portal.signin.sign_in.error_2",
                profile=account.profile,
                login=account.login,
                describe_page=describe_page(steps.final),
            )
        )
    if not steps.password_sent:
        raise ProbeError(
            msg(
                "portal.signin.sign_in.error_3",
                profile=account.profile,
                describe_page=describe_page(steps.final),
            )
        )
    record(
        note(
            msg("portal.signin.ev.sign_in.note", profile=account.profile, url=page.url),
            url=page.url,
        )
    )


def _check_live_form(page: Any, form: LoginForm, rule: CredentialsRule) -> None:
    """Read the form's action in the page as scripts left it; check it and the page URL."""
    live = page.evaluate(_LIVE_ACTION, [form.password_field, form.user_field])
    action = str(live["action"]) if live else form.action
    method = str(live["method"]) if live else form.method
    evidence = form.evidence(live_action=action, page_url=page.url)
    for where in (page.url, action):
        reason = rule.refusal(where)
        if reason is not None:
            raise UnsafeCredentialsDestination(reason, evidence)
    if method != "POST":
        raise UnsafeCredentialsDestination(
            msg("portal.signin.check_live_form.error", url=page.url, method=method),
            evidence,
        )


def _check_certificate(url: str, context: ProbeContext) -> None:
    if urlsplit(url).scheme != "https" or context.target.tls_verify is False:
        return
    problem = certificate_problem(url, context)
    if problem is not None:
        raise UnsafeCredentialsDestination(
            msg(
                "portal.signin.check_certificate.error",
                hostname=urlsplit(url).hostname,
                problem=problem,
            )
        )


def _css(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', '\\"')
