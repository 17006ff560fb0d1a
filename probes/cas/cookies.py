"""The SSO (ticket-granting) cookie: found by experiment, judged on its Set-Cookie (spec §3.6)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

from probes.cas.common import (
    Browser,
    CasProbe,
    CasSection,
    Recorder,
    login_accounts,
)
from probes.cas.flow import log_in, redirect_ticket
from sdet_check.messages import clauses, msg
from sdet_check.probe import Evidence, Outcome, ProbeError


class SsoCookie(CasProbe):
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

    def decide(self, params: Mapping[str, Any], cas: CasSection, recorder: Recorder) -> Outcome:
        """Log in, find the SSO cookie, judge its Set-Cookie."""
        require: list[str] = params["require"]
        account = login_accounts(recorder.context, None)[0]
        browser = recorder.browser()
        log_in(browser, cas, account, cas.service)
        cookies = identify_sso_cookies(recorder, browser, cas)
        for cookie in cookies:
            problems = cookie.problems(require, cas)
            recorder.add(cookie.evidence(problems))
            if problems:
                recorder.problem(
                    msg(
                        "cas.cookies.sso_cookie.problem",
                        name=cookie.name,
                        problems=clauses(problems),
                    )
                )
        shown = ", ".join(f"{cookie.name} ({cookie.describe()})" for cookie in cookies)
        return recorder.verdict(
            msg("cas.cookies.sso_cookie.verdict"),
            msg(
                "cas.cookies.sso_cookie.verdict_2",
                shown=shown,
                items=[msg("cas.cookie.check." + r) for r in require],
            ),
        )


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
        return "; ".join(shown) or msg("cas.cookie.no_attribute")

    def problems(self, require: Sequence[str], cas: CasSection) -> list[str]:
        problems: list[str] = []
        if "secure" in require and "secure" not in self.attributes:
            problems.append(msg("cas.cookies.sso_cookie.append"))
        if "httponly" in require and "httponly" not in self.attributes:
            problems.append(msg("cas.cookies.sso_cookie.append_2"))
        if "path" in require:
            prefix = cas.prefix_path
            if not (prefix == "/" or self.path == prefix or self.path.startswith(prefix + "/")):
                problems.append(
                    msg("cas.cookies.sso_cookie.append_3", path=self.path, prefix=prefix)
                )
        if "tgc_name" in require and not self.name.startswith("TGC-"):
            problems.append(msg("cas.cookies.sso_cookie.append_4", name=self.name))
        if "session_only" in require:
            lasting = [k for k in ("expires", "max-age") if k in self.attributes]
            if lasting:
                problems.append(
                    msg(
                        "cas.cookies.sso_cookie.append_5",
                        items=", ".join(f"{k}={self.attributes[k]}" for k in lasting),
                    )
                )
        return problems

    def evidence(self, problems: Sequence[str]) -> Evidence:
        verdict = (
            msg("core.noncompliant", problems=clauses(problems))
            if problems
            else msg("core.compliant")
        )
        return Evidence(
            kind="cookie",
            summary=(
                msg(
                    "cas.cookies.ev.sso_cookie.evidence",
                    name=self.name,
                    set_by=self.set_by,
                    verdict=verdict,
                    describe=self.describe(),
                )
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


def identify_sso_cookies(recorder: Recorder, browser: Browser, cas: CasSection) -> list[_SsoCookie]:
    """The SSO cookies of a logged-in ``browser``: named by the target, or found by experiment.

    Every cookie without which the session no longer gets a ticket counts (a load balancer's
    affinity cookie may carry the session as much as the ticket-granting cookie does).
    """
    jar = browser.session.cookies
    candidates = sorted({c.name for c in jar})
    if cas.sso_cookie:
        if cas.sso_cookie not in candidates:
            raise ProbeError(
                msg(
                    "cas.cookies.identify_sso_cookies.error",
                    sso_cookie=cas.sso_cookie,
                    value=", ".join(candidates) or msg("cas.none"),
                )
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
            response = trial.follow_on_cas(cas, cas.login_url, {"service": cas.service})[-1]
            if redirect_ticket(response, cas.service) is None:
                names.append(name)
        how = "identifié par essai : sans lui, /login ne délivre plus de ticket"
        recorder.note(
            msg(
                "cas.cookies.ev.identify_sso_cookies.note",
                value=f"indispensable(s) : {', '.join(names)}" if names else "aucun",
            ),
            candidates=candidates,
            sso_cookies=names,
        )
        if not names:
            raise ProbeError(
                msg(
                    "cas.cookies.identify_sso_cookies.error_2",
                    value=", ".join(candidates) or msg("cas.none"),
                )
            )
    found = []
    for name in names:
        value = next(c.value or "" for c in jar if c.name == name)
        headers = [(u, h) for u, h in browser.set_cookies if _cookie_name(h) == name]
        if not headers:
            raise ProbeError(msg("cas.cookies.identify_sso_cookies.error_3", name=name))
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
