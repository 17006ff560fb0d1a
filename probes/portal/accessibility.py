"""Automatable accessibility criteria, by axe-core run in the real page.

axe-core (MPL-2.0, the npm package pinned in ``vendor/axe/package.json`` and installed by
the project's setup with ``npm ci``) is read from a local file and evaluated in each public
page; nothing is fetched at run time. Its rules are mapped to the RGAA 4.1 criteria they
support. These are **automatable criteria** only: a rule that finds nothing does not make a
page conformant to the RGAA criterion, which a person still audits (A11Y-RGAA-001).

A11Y-SCHEMA-001 is read from the published accessibility pages themselves (no browser
needed): the « Accessibilité » page must link the multi-year plan and this year's action
plan, both served, the plan covering the current year over three years at most.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import lxml.html
import requests

from probes.portal.common import VISIT_ENDS_SESSIONS, PortalSection
from sdet_check.evidence import http_exchange, note
from sdet_check.login import parse_html
from sdet_check.messages import clauses, msg
from sdet_check.probe import (
    Evidence,
    NotTestable,
    Outcome,
    Probe,
    ProbeContext,
    ProbeTimeout,
    TargetUnreachable,
    validated_params,
)

AXE_ENV = "SDET_CHECK_AXE"
"""Environment variable naming another ``axe.min.js``."""

AXE_DEFAULT = Path(__file__).resolve().parents[2] / "vendor/axe/node_modules/axe-core/axe.min.js"
"""Where the project's setup installs axe-core (``cd vendor/axe && npm ci``)."""

RGAA_CRITERIA: Mapping[str, tuple[str, ...]] = {
    "html-has-lang": ("8.3",),
    "html-lang-valid": ("8.3", "8.4"),
    "valid-lang": ("8.7",),
    "document-title": ("8.5",),
    "image-alt": ("1.1",),
    "input-image-alt": ("1.1",),
    "area-alt": ("1.1",),
    "role-img-alt": ("1.1",),
    "svg-img-alt": ("1.1",),
    "object-alt": ("1.1",),
    "label": ("11.1",),
    "select-name": ("11.1",),
}
"""axe-core rule → RGAA 4.1 criteria it supports (a part of each criterion, not all of it)."""

AXE_RULES = tuple(RGAA_CRITERIA)
"""The only axe-core rules the family runs."""


def axe_path() -> Path:
    """The ``axe.min.js`` file the family injects."""
    given = os.environ.get(AXE_ENV)
    return Path(given) if given else AXE_DEFAULT


def axe_script() -> str:
    """axe-core's source; :class:`NotTestable` with the install command when it is absent."""
    path = axe_path()
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        raise NotTestable(
            msg("portal.accessibility.axe_script.untestable", path=path, axe_env=AXE_ENV)
        ) from None


class AxeCriteria(Probe):
    """Base of the accessibility probes: some axe rules on every public page."""

    rules: ClassVar[tuple[str, ...]]
    what: ClassVar[str]
    needs: ClassVar[tuple[str, ...]] = ("portal",)
    ends_sessions: ClassVar[str | None] = VISIT_ENDS_SESSIONS

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Judge the public pages of the shared visit with this probe's rules."""
        from probes.portal.visit import shared_visit

        validated_params(self, params)
        visit = shared_visit(context)
        if visit.axe_missing is not None:
            raise NotTestable(visit.axe_missing)
        criteria = sorted({c for rule in self.rules for c in RGAA_CRITERIA[rule]})
        scope = msg(
            "portal.accessibility.scope", criteria=", ".join(criteria), rules=", ".join(self.rules)
        )
        evidence: list[Evidence] = []
        failing: list[str] = []
        ran = False
        for page in visit.public:
            violations = [v for v in page.axe if v["id"] in self.rules]
            ran = ran or bool(violations) or any(r in page.axe_passes for r in self.rules)
            for violation in violations:
                failing.append(page.url)
                evidence.append(
                    Evidence(
                        "axe",
                        msg(
                            "portal.accessibility.ev.axe_criteria.evidence",
                            url=page.url,
                            id_=violation["id"],
                            rgaa_criteria=", ".join(RGAA_CRITERIA[violation["id"]]),
                            help=violation["help"],
                        ),
                        {
                            "page": page.url,
                            "rule": violation["id"],
                            "impact": violation.get("impact"),
                            "rgaa": list(RGAA_CRITERIA[violation["id"]]),
                            "nodes": violation["nodes"],
                        },
                    )
                )
        pages = [p.url for p in visit.public]
        evidence.append(Evidence("note", scope, {"pages": pages, "rules": list(self.rules)}))
        if failing:
            return Outcome.failed(
                msg(
                    "portal.accessibility.axe_criteria.fail",
                    what=msg("portal.accessibility.what." + type(self).__name__),
                    count=len(set(failing)),
                    sorted=", ".join(sorted(set(failing))),
                    scope=scope,
                ),
                *evidence,
            )
        if not ran:
            return Outcome.not_applicable(
                msg("portal.accessibility.axe_criteria.na", scope=scope), *evidence
            )
        return Outcome.passed(
            msg(
                "portal.accessibility.axe_criteria.pass",
                what=msg("portal.accessibility.what." + type(self).__name__),
                count=len(pages),
                scope=scope,
            ),
            *evidence,
        )


class Language(AxeCriteria):
    """A11Y-LANG-001: the default language of each public page."""

    kind: ClassVar[str] = "portal.a11y_lang"
    title: ClassVar[str] = "Langue par défaut des pages publiques (axe-core, RGAA 8.3/8.4)"
    rules = ("html-has-lang", "html-lang-valid")
    what = "langue par défaut"


class PageTitle(AxeCriteria):
    """A11Y-TITLE-001: a title on each public page."""

    kind: ClassVar[str] = "portal.a11y_title"
    title: ClassVar[str] = "Titre des pages publiques (axe-core, RGAA 8.5)"
    rules = ("document-title",)
    what = "titre de page"


class Images(AxeCriteria):
    """A11Y-IMG-001: a text alternative for each image of the public pages."""

    kind: ClassVar[str] = "portal.a11y_images"
    title: ClassVar[str] = "Alternatives textuelles des images (axe-core, RGAA 1.1)"
    rules = ("image-alt", "input-image-alt", "area-alt", "role-img-alt", "svg-img-alt")
    what = "alternative textuelle des images"


class FormLabels(AxeCriteria):
    """A11Y-FORM-001: a label for each form field of the public pages."""

    kind: ClassVar[str] = "portal.a11y_forms"
    title: ClassVar[str] = "Étiquettes des champs de formulaire (axe-core, RGAA 11.1)"
    rules = ("label", "select-name")
    what = "étiquette des champs de formulaire"


MAX_PAGE_BYTES = 2_000_000
"""Most of a page the schema probe reads."""

_SCHEMA_LINK = re.compile(r"sch[ée]ma\s+pluri-?\s*annuel", re.IGNORECASE)
_PLAN_LINK = re.compile(r"plan\s+(d['’]\s*actions?|annuel)", re.IGNORECASE)
_PERIOD = re.compile(r"\b(20\d\d)\s*(?:-|–|—|/|à|au)\s*(20\d\d)\b")
_YEAR = re.compile(r"\b(20\d\d)\b")


class AccessibilitySchema(Probe):
    """A11Y-SCHEMA-001: the multi-year plan and this year's action plan, linked and served."""

    kind: ClassVar[str] = "portal.a11y_schema"
    title: ClassVar[str] = (
        "Schéma pluriannuel (3 ans au plus, période en cours) et plan d'action de l'année, "
        "liés depuis la page Accessibilité"
    )
    needs: ClassVar[tuple[str, ...]] = ("portal",)

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Read the accessibility page, follow both links, judge the periods."""
        validated_params(self, params)
        section = PortalSection.of(context.target)
        pages = context.target.section("portal").get("pages") or {}
        page_url = urljoin(section.url, str(pages.get("accessibilite") or "accessibilite"))
        session = context.http_session()
        answer, document = _read(session, page_url, context)
        if answer.status_code >= 400 or document is None:
            return Outcome.failed(
                msg(
                    "portal.accessibility.accessibility_schema.fail",
                    page_url=page_url,
                    status_code=answer.status_code,
                ),
                http_exchange(answer),
            )
        links = [
            (" ".join(a.text_content().split()), urljoin(answer.url, a.get("href") or ""))
            for a in document.iter("a")
            if a.get("href")
        ]
        year = datetime.now(UTC).year
        problems: list[str] = []
        evidence: list[Evidence] = []
        for label, pattern, judge in (
            ("schéma pluriannuel", _SCHEMA_LINK, _period_problem),
            ("plan d'action", _PLAN_LINK, _plan_problem),
        ):
            found = [(text, href) for text, href in links if pattern.search(text)]
            if not found:
                problems.append(
                    msg(
                        "portal.accessibility.accessibility_schema.append",
                        label=label,
                        url=answer.url,
                    )
                )
                evidence.append(
                    Evidence(
                        "page",
                        msg(
                            "portal.accessibility.ev.accessibility_schema.evidence", url=answer.url
                        ),
                        {"links": links[:30]},
                    )
                )
                continue
            text, href = found[0]
            words = text
            if urlsplit(href).hostname in section.hosts:
                linked, linked_document = _read(session, href, context)
                evidence.append(http_exchange(linked, f"{label} : GET {href}"))
                if linked.status_code >= 400:
                    problems.append(
                        msg(
                            "portal.accessibility.accessibility_schema.append_2",
                            label=label,
                            href=href,
                            status_code=linked.status_code,
                        )
                    )
                    continue
                if linked_document is not None:
                    title = linked_document.findtext(".//title") or ""
                    heading = linked_document.findtext(".//h1") or ""
                    words = f"{text} {title} {heading}"
            else:
                evidence.append(
                    note(
                        msg(
                            "portal.accessibility.ev.accessibility_schema.note",
                            label=label,
                            href=href,
                        ),
                        link=href,
                    )
                )
            problem = judge(words, year)
            if problem is not None:
                problems.append(
                    msg(
                        "portal.accessibility.accessibility_schema.append_3",
                        label=label,
                        text=text,
                        problem=problem,
                    )
                )
        if problems:
            return Outcome.failed(clauses(problems), *evidence)
        return Outcome.passed(
            msg("portal.accessibility.accessibility_schema.pass", year=year, url=answer.url),
            *evidence,
        )


def _period_problem(text: str, year: int) -> str | None:
    periods = [(int(a), int(b)) for a, b in _PERIOD.findall(text)]
    if not periods:
        return "période non indiquée (années de début et de fin)"
    start, end = periods[0]
    if end - start + 1 > 3 or end < start:
        return f"période {start}-{end} de plus de trois ans"
    if not start <= year <= end:
        return f"période {start}-{end} qui ne couvre pas {year}"
    return None


def _plan_problem(text: str, year: int) -> str | None:
    years = {int(y) for y in _YEAR.findall(text)}
    if year in years:
        return None
    return f"pas le plan de {year} (années lues : {', '.join(map(str, sorted(years))) or 'aucune'})"


def _read(
    session: requests.Session, url: str, context: ProbeContext
) -> tuple[requests.Response, lxml.html.HtmlElement | None]:
    try:
        answer = session.get(url, timeout=context.call_timeout(), allow_redirects=True, stream=True)
        body = answer.raw.read(MAX_PAGE_BYTES, decode_content=True)
        answer._content = body
        answer.close()
    except requests.Timeout as failed:
        raise ProbeTimeout(msg("portal.accessibility.read.timeout", url=url)) from failed
    except requests.RequestException as failed:
        raise TargetUnreachable(
            msg("portal.accessibility.read.unreachable", url=url, failed=failed)
        ) from failed
    return answer, parse_html(answer)
