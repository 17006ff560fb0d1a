"""Browser-side security headers on every page the visit opened (SEC-HDR-001 to -003).

The headers are those of the document responses the browser received (public pages, login
page, signed-in pages), after redirects. The criteria are the grid's, from ANSSI-PA-009:
a CSP with ``default-src`` (no ``*``) and no ``'unsafe-inline'``, ``'unsafe-eval'`` nor
``data:`` for scripts; ``frame-ancestors`` and ``X-Frame-Options``; an explicit
``Referrer-Policy`` other than ``unsafe-url``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from probes.portal.common import VISIT_ENDS_SESSIONS
from probes.portal.visit import PageRecord, Visit, shared_visit
from sdet_check.messages import clauses, msg
from sdet_check.probe import Evidence, Outcome, Probe, ProbeContext, ProbeError, validated_params

REFERRER_POLICIES = frozenset(
    {
        "no-referrer",
        "no-referrer-when-downgrade",
        "origin",
        "origin-when-cross-origin",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
        "unsafe-url",
    }
)


def csp_directives(header: str) -> dict[str, list[str]]:
    """A CSP header's directives (first policy wins per directive), names lower-cased."""
    directives: dict[str, list[str]] = {}
    for policy in header.split(","):
        for part in policy.split(";"):
            tokens = part.split()
            if tokens:
                directives.setdefault(tokens[0].lower(), [t.lower() for t in tokens[1:]])
    return directives


def csp_problem(header: str | None) -> str | None:
    """What is wrong with a CSP for SEC-HDR-001, in French; ``None`` when it is right."""
    if not header:
        return "pas d'en-tête Content-Security-Policy"
    directives = csp_directives(header)
    default = directives.get("default-src")
    if default is None:
        return "CSP sans default-src"
    if "*" in default:
        return "default-src autorise « * »"
    scripts = directives.get("script-src", default)
    bad = [t for t in scripts if t in ("'unsafe-inline'", "'unsafe-eval'", "data:")]
    if bad:
        return f"les scripts autorisent {', '.join(bad)}"
    return None


def framing_problem(headers: Mapping[str, str]) -> str | None:
    """What is wrong with framing protection (SEC-HDR-002); ``None`` when it is right."""
    problems: list[str] = []
    ancestors = csp_directives(headers.get("content-security-policy", "")).get("frame-ancestors")
    if ancestors is None:
        problems.append(msg("portal.headers.framing_problem.append"))
    elif not ancestors or "*" in ancestors or any(a in ("http:", "https:") for a in ancestors):
        problems.append(
            msg(
                "portal.headers.framing_problem.append_2",
                value=" ".join(ancestors) or msg("core.empty"),
            )
        )
    frame = headers.get("x-frame-options", "").strip().upper()
    if frame not in ("DENY", "SAMEORIGIN"):
        problems.append(
            msg("portal.headers.framing_problem.append_3", value=frame or msg("core.absent"))
        )
    return clauses(problems) or None


def referrer_problem(headers: Mapping[str, str], meta: str) -> str | None:
    """What is wrong with the referrer policy (SEC-HDR-003); ``None`` when it is right."""
    given = headers.get("referrer-policy") or meta
    tokens = [t.strip().lower() for t in given.split(",") if t.strip().lower() in REFERRER_POLICIES]
    if not tokens:
        return "pas de Referrer-Policy explicite (en-tête ou balise meta)"
    if tokens[-1] == "unsafe-url":
        return "Referrer-Policy unsafe-url"
    return None


def visited_pages(visit: Visit) -> list[PageRecord]:
    """Every document the visit opened and received an answer for."""
    pages = list(visit.public)
    for record in visit.accounts:
        pages += record.pages
    return [p for p in pages if p.status is not None]


class HeaderProbe(Probe):
    """Base: one criterion on the headers of every visited page."""

    needs: ClassVar[tuple[str, ...]] = ("portal",)
    header_names: ClassVar[tuple[str, ...]]
    ends_sessions: ClassVar[str | None] = VISIT_ENDS_SESSIONS
    label: ClassVar[str]

    def problem(self, page: PageRecord) -> str | None:
        """What is wrong on ``page``; ``None`` when it is right."""
        raise NotImplementedError

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Judge every visited page; evidence: the header (or its absence) and the URL."""
        validated_params(self, params)
        pages = visited_pages(shared_visit(context))
        if not pages:
            raise ProbeError(msg("portal.headers.header_probe.error"))
        judge: Callable[[PageRecord], str | None] = self.problem
        failing = [(page, problem) for page in pages if (problem := judge(page)) is not None]
        evidence = [
            Evidence(
                "header",
                msg(
                    "portal.headers.ev.header_probe.evidence",
                    value=page.final_url or page.url,
                    problem=problem,
                ),
                {"url": page.final_url or page.url, "headers": self._shown(page)},
            )
            for page, problem in failing[:10]
        ]
        if failing:
            return Outcome.failed(
                msg(
                    "portal.headers.header_probe.fail",
                    label=msg("portal.headers.label." + type(self).__name__),
                    count=len(failing),
                    count2=len(pages),
                    sorted=", ".join(sorted({p.final_url or p.url for p, _ in failing})[:6]),
                ),
                *evidence,
            )
        sample = pages[0]
        return Outcome.passed(
            msg(
                "portal.headers.header_probe.pass",
                label=msg("portal.headers.label." + type(self).__name__),
                count=len(pages),
            ),
            Evidence(
                "header",
                msg(
                    "portal.headers.ev.header_probe.evidence_2",
                    value=sample.final_url or sample.url,
                ),
                {"url": sample.final_url, "headers": self._shown(sample)},
            ),
        )

    def _shown(self, page: PageRecord) -> dict[str, str | None]:
        return {name: page.headers.get(name) for name in self.header_names}


class ContentSecurityPolicy(HeaderProbe):
    """SEC-HDR-001: a strict enough Content-Security-Policy on every page."""

    kind: ClassVar[str] = "portal.csp"
    title: ClassVar[str] = "En-tête Content-Security-Policy sur chaque page visitée"
    header_names = ("content-security-policy",)
    label = "politique CSP"

    def problem(self, page: PageRecord) -> str | None:
        """The CSP criterion on one page."""
        return csp_problem(page.headers.get("content-security-policy"))


class Framing(HeaderProbe):
    """SEC-HDR-002: frame-ancestors and X-Frame-Options on every page."""

    kind: ClassVar[str] = "portal.framing"
    title: ClassVar[str] = "Protection contre l'inclusion en cadre sur chaque page visitée"
    header_names = ("content-security-policy", "x-frame-options")
    label = "protection contre l'inclusion en cadre"

    def problem(self, page: PageRecord) -> str | None:
        """The framing criterion on one page."""
        return framing_problem(page.headers)


class ReferrerPolicy(HeaderProbe):
    """SEC-HDR-003: an explicit Referrer-Policy other than unsafe-url on every page."""

    kind: ClassVar[str] = "portal.referrer_policy"
    title: ClassVar[str] = "Politique Referrer-Policy explicite sur chaque page visitée"
    header_names = ("referrer-policy",)
    label = "politique de référent"

    def problem(self, page: PageRecord) -> str | None:
        """The referrer criterion on one page."""
        return referrer_problem(page.headers, page.meta_referrer)
