"""The portal as each profile uses it: entry point, services per profile, logout, access.

FUNC-DEF-001 (one entry point to the user's services, opened without signing in again),
FUNC-PROF-001 (the service menu of each profile against the catalogue the target declares),
FUNC-LOGOUT-001 (a logout control on every visited page that really ends the session, SSO
included) and LEG-ACL-001 (each account's private pages refused to every other account).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from probes.portal.common import VISIT_ENDS_SESSIONS, PortalSection
from probes.portal.visit import Visit, shared_visit
from sdet_check.messages import clauses, msg
from sdet_check.probe import (
    Evidence,
    NotTestable,
    Outcome,
    Probe,
    ProbeContext,
    ProbeError,
    validated_params,
)


class UsageProbe(Probe):
    """Base: the section (with accounts) and the shared visit."""

    needs: ClassVar[tuple[str, ...]] = ("portal", "accounts")
    ends_sessions: ClassVar[str | None] = VISIT_ENDS_SESSIONS

    def prepare(
        self, params: Mapping[str, Any], context: ProbeContext
    ) -> tuple[PortalSection, Visit]:
        """Validate params, require planned accounts, get the visit."""
        validated_params(self, params)
        section = PortalSection.of(context.target)
        section.require_accounts(context.target)
        visit = shared_visit(context)
        visit.require_accounts()
        return section, visit


class EntryPoint(UsageProbe):
    """FUNC-DEF-001: one sign-in leads to the user's services, opened without signing in again."""

    kind: ClassVar[str] = "portal.entry_point"
    title: ClassVar[str] = "Point d'entrée unique : une connexion, puis les services sans ressaisie"

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Each account has a service menu and no visited page asks for credentials."""
        section, visit = self.prepare(params, context)
        problems: list[str] = []
        evidence = []
        for record in visit.accounts:
            who = record.account.profile
            if not record.menu:
                problems.append(
                    msg(
                        "portal.usage.entry_point.append",
                        who=who,
                        services_menu=section.services_menu,
                    )
                )
            for page in record.pages:
                if page.password_form or (page.status is not None and page.status >= 400):
                    problems.append(
                        msg(
                            "portal.usage.entry_point.append_2",
                            who=who,
                            url=page.url,
                            status=page.status,
                            final_url=page.final_url,
                        )
                    )
                    evidence.append(
                        Evidence(
                            "page",
                            msg("portal.usage.ev.entry_point.evidence", url=page.url, who=who),
                            page.summary(),
                        )
                    )
            evidence.append(
                Evidence(
                    "note",
                    msg(
                        "portal.usage.ev.entry_point.evidence_2",
                        who=who,
                        login_url=section.login_url,
                        count=len(record.menu),
                        count2=len(record.pages),
                    ),
                    {"menu": record.menu, "pages": [p.final_url for p in record.pages]},
                )
            )
        if problems:
            return Outcome.failed(clauses(problems), *evidence)
        return Outcome.passed(
            msg(
                "portal.usage.entry_point.pass",
                login_url=section.login_url,
                items=", ".join(r.account.profile for r in visit.accounts),
            ),
            *evidence,
        )


class ServicesByProfile(UsageProbe):
    """FUNC-PROF-001: each profile's service menu is its declared catalogue."""

    kind: ClassVar[str] = "portal.services_by_profile"
    title: ClassVar[str] = "Services proposés selon le profil, contre le catalogue déclaré"

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Compare each account's menu with its profile's declared catalogue."""
        section, visit = self.prepare(params, context)
        declared = {p: plan.services for p, plan in section.profiles.items() if plan.services}
        if not declared:
            raise NotTestable(msg("portal.usage.services_by_profile.untestable"))
        problems: list[str] = []
        evidence = []
        menus: dict[str, tuple[str, ...]] = {}
        for record in visit.accounts:
            profile = record.account.profile
            expected = declared.get(profile)
            if expected is None:
                continue
            shown = tuple(record.menu)
            menus[profile] = shown
            missing = [s for s in expected if s not in shown]
            extra = [s for s in shown if s not in expected]
            data: dict[str, Any] = {"profile": profile, "menu": list(shown)}
            data["declared"] = list(expected)
            if record.screenshot:
                data["screenshot_jpeg_base64"] = record.screenshot
                data["masked"] = "données personnelles masquées avant la capture"
            summary = msg(
                "portal.usage.menu", profile=profile, shown=", ".join(shown) or msg("core.empty")
            )
            if missing or extra:
                details: list[str] = []
                if missing:
                    details.append(
                        msg("portal.usage.services_by_profile.append", missing=", ".join(missing))
                    )
                if extra:
                    details.append(
                        msg("portal.usage.services_by_profile.append_2", extra=", ".join(extra))
                    )
                problems.append(
                    msg(
                        "portal.usage.services_by_profile.append_3",
                        profile=profile,
                        details=clauses(details),
                    )
                )
                summary = msg("core.labelled_paren", label=summary, text=clauses(details))
            evidence.append(Evidence("page", summary, data))
        if not menus:
            raise NotTestable(msg("portal.usage.services_by_profile.untestable_2"))
        if problems:
            return Outcome.failed(
                msg("portal.usage.services_by_profile.fail", problems=" | ".join(problems)),
                *evidence,
            )
        distinct = len(set(menus.values()))
        return Outcome.passed(
            msg("portal.usage.services_by_profile.pass", count=len(menus), distinct=distinct),
            *evidence,
        )


class Logout(UsageProbe):
    """FUNC-LOGOUT-001: a logout control on every page, ending the portal and SSO sessions."""

    kind: ClassVar[str] = "portal.logout"
    title: ClassVar[str] = "Déconnexion depuis chaque page, fin de session du portail et du SSO"

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Logout control on each visited page; after use, the session and SSO are over."""
        _section, visit = self.prepare(params, context)
        problems: list[str] = []
        evidence = []
        for record in visit.accounts:
            who = record.account.profile
            for page in record.pages:
                if page.status is not None and page.status < 400 and not page.logout:
                    problems.append(msg("portal.usage.logout.append", who=who, url=page.url))
                    evidence.append(
                        Evidence(
                            "page",
                            msg("portal.usage.ev.logout.evidence", url=page.url, who=who),
                            page.summary(),
                        )
                    )
            logout = record.logout
            if not logout.get("control"):
                problems.append(
                    msg("portal.usage.logout.append_2", who=who, get=logout.get("page"))
                )
                continue
            again = logout.get("protected_again") or {}
            if again.get("readable"):
                problems.append(
                    msg(
                        "portal.usage.logout.append_3",
                        who=who,
                        get=again.get("url"),
                        get2=again.get("status"),
                    )
                )
            sso = logout.get("sso")
            if sso is not None and not sso.get("asks_credentials"):
                problems.append(msg("portal.usage.logout.append_4", who=who, get=sso.get("url")))
            evidence.append(
                Evidence(
                    "note",
                    msg("portal.usage.ev.logout.evidence_2", who=who, get=logout.get("page")),
                    logout,
                )
            )
        if problems:
            return Outcome.failed(clauses(problems), *evidence)
        return Outcome.passed(
            msg(
                "portal.usage.logout.pass",
                value=msg("portal.usage.sso_too")
                if any("sso" in r.logout for r in visit.accounts)
                else "",
            ),
            *evidence,
        )


class OwnDataOnly(UsageProbe):
    """LEG-ACL-001: an account's private pages are refused to every other account."""

    kind: ClassVar[str] = "portal.private_pages"
    title: ClassVar[str] = "Chaque compte n'accède qu'à ses informations (pages privées croisées)"

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Owner reads its pages; every other test account is refused."""
        section, visit = self.prepare(params, context)
        if not section.private_pages:
            raise NotTestable(msg("portal.usage.own_data_only.untestable"))
        evidence = []
        for record in visit.accounts:
            for own in record.own:
                if not own["readable"]:
                    raise ProbeError(
                        msg(
                            "portal.usage.own_data_only.error",
                            login=record.account.login,
                            url=own["url"],
                            status=own["status"],
                            final_url=own["final_url"],
                        ),
                        Evidence(
                            "page",
                            msg("portal.usage.ev.own_data_only.evidence", url=own["url"]),
                            own,
                        ),
                    )
        leaks = [
            (record.account, answer)
            for record in visit.accounts
            for answer in record.foreign
            if answer["readable"]
        ]
        tried = sum(len(r.foreign) for r in visit.accounts)
        if tried == 0:
            raise NotTestable(msg("portal.usage.own_data_only.untestable_2"))
        for account, answer in leaks:
            evidence.append(
                Evidence(
                    "page",
                    msg(
                        "portal.usage.ev.own_data_only.evidence_2",
                        url=answer["url"],
                        owner=answer["owner"],
                        profile=account.profile,
                        login=account.login,
                        status=answer["status"],
                    ),
                    answer,
                )
            )
        if leaks:
            return Outcome.failed(
                msg(
                    "portal.usage.own_data_only.fail",
                    count=len(leaks),
                    sorted=", ".join(sorted({a["url"] for _, a in leaks})),
                ),
                *evidence,
            )
        refused = [a for r in visit.accounts for a in r.foreign]
        return Outcome.passed(
            msg("portal.usage.own_data_only.pass", tried=tried),
            Evidence(
                "note", msg("portal.usage.ev.own_data_only.evidence_3"), {"answers": refused[:12]}
            ),
        )
