"""What the ``http`` probes share: the portal section, logging in, following redirects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from sdet_check.evidence import http_chain, http_exchange, note
from sdet_check.login import CredentialsRule, LoginFormOverrides, describe_page, log_in_across
from sdet_check.messages import msg
from sdet_check.probe import (
    HostileResponse,
    NotTestable,
    Outcome,
    ProbeContext,
    ProbeError,
    TargetUnreachable,
)
from sdet_check.transport import get as _get
from sdet_check.transport import send as _send

MAX_REDIRECTS = 10
"""Longest redirect chain a probe follows."""

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
"""HTTP statuses that redirect with a ``Location`` header."""

HSTS_HEADER = "Strict-Transport-Security"
"""The HSTS response header (RFC 6797)."""

_NO_PARAMS: Mapping[str, Any] = {"type": "object", "additionalProperties": False, "properties": {}}


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
