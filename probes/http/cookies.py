"""The session cookie's flags (Secure, HttpOnly, SameSite), read from ``Set-Cookie``."""

from __future__ import annotations

import email.utils
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from probes.http.common import _follow, _log_in, _portal
from sdet_check.evidence import http_exchange
from sdet_check.messages import clauses, msg
from sdet_check.probe import (
    Evidence,
    NotTestable,
    Outcome,
    Probe,
    ProbeContext,
    validated_params,
)
from sdet_check.transport import header_values as _header_values


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
