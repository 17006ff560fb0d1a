"""The portal as each profile uses it: entry point, services per profile, logout, access.

FUNC-DEF-001 (one entry point to the user's services, opened without signing in again),
FUNC-PROF-001 (the service menu of each profile against the catalogue the target declares),
FUNC-LOGOUT-001 (a logout control on every visited page that really ends the session, SSO
included) and LEG-ACL-001 (each account's private pages refused to every other account).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from probes.portal.common import PortalSection
from probes.portal.visit import Visit, shared_visit
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
        problems = []
        evidence = []
        for record in visit.accounts:
            who = record.account.profile
            if not record.menu:
                problems.append(f"{who} : aucun menu de services ({section.services_menu})")
            for page in record.pages:
                if page.password_form or (page.status is not None and page.status >= 400):
                    problems.append(
                        f"{who} : {page.url} demande une nouvelle connexion ou est refusée "
                        f"(statut {page.status}, {page.final_url})"
                    )
                    evidence.append(Evidence("page", f"{page.url} ({who})", page.summary()))
            evidence.append(
                Evidence(
                    "note",
                    f"{who} : connecté depuis {section.login_url}, {len(record.menu)} service(s), "
                    f"{len(record.pages)} page(s) ouverte(s)",
                    {"menu": record.menu, "pages": [p.final_url for p in record.pages]},
                )
            )
        if problems:
            return Outcome.failed(" ; ".join(problems), *evidence)
        return Outcome.passed(
            f"une connexion depuis {section.login_url} mène au portail des services de chaque "
            f"profil ({', '.join(r.account.profile for r in visit.accounts)}), ouverts sans "
            "nouvelle authentification",
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
            raise NotTestable(
                "la cible ne déclare pas de catalogue de services par profil "
                "(portal.profiles.<profil>.services)"
            )
        problems = []
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
            summary = f"{profile} : menu {', '.join(shown) or 'vide'}"
            if missing or extra:
                details = []
                if missing:
                    details.append(f"manquent {', '.join(missing)}")
                if extra:
                    details.append(f"non déclarés {', '.join(extra)}")
                problems.append(f"{profile} : {' ; '.join(details)}")
                summary += f" ({' ; '.join(details)})"
            evidence.append(Evidence("page", summary, data))
        if not menus:
            raise NotTestable("aucun compte de test d'un profil dont le catalogue est déclaré")
        if problems:
            return Outcome.failed(
                "services différents du catalogue déclaré : " + " | ".join(problems), *evidence
            )
        distinct = len(set(menus.values()))
        return Outcome.passed(
            f"chaque profil voit exactement son catalogue ({len(menus)} profil(s), "
            f"{distinct} catalogue(s) distinct(s))",
            *evidence,
        )


class Logout(UsageProbe):
    """FUNC-LOGOUT-001: a logout control on every page, ending the portal and SSO sessions."""

    kind: ClassVar[str] = "portal.logout"
    title: ClassVar[str] = "Déconnexion depuis chaque page, fin de session du portail et du SSO"

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Logout control on each visited page; after use, the session and SSO are over."""
        _section, visit = self.prepare(params, context)
        problems = []
        evidence = []
        for record in visit.accounts:
            who = record.account.profile
            for page in record.pages:
                if page.status is not None and page.status < 400 and not page.logout:
                    problems.append(f"{who} : pas de commande de déconnexion sur {page.url}")
                    evidence.append(
                        Evidence("page", f"{page.url} sans déconnexion ({who})", page.summary())
                    )
            logout = record.logout
            if not logout.get("control"):
                problems.append(f"{who} : pas de déconnexion sur {logout.get('page')}")
                continue
            again = logout.get("protected_again") or {}
            if again.get("readable"):
                problems.append(
                    f"{who} : après déconnexion, {again.get('url')} s'ouvre encore "
                    f"(statut {again.get('status')})"
                )
            sso = logout.get("sso")
            if sso is not None and not sso.get("asks_credentials"):
                problems.append(f"{who} : la session SSO reste ouverte ({sso.get('url')})")
            evidence.append(
                Evidence("note", f"{who} : déconnexion depuis {logout.get('page')}", logout)
            )
        if problems:
            return Outcome.failed(" ; ".join(problems), *evidence)
        return Outcome.passed(
            "commande de déconnexion sur chaque page visitée ; après usage la page protégée "
            "redemande une connexion"
            + (" et le SSO aussi" if any("sso" in r.logout for r in visit.accounts) else ""),
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
            raise NotTestable(
                "la cible ne déclare pas de pages privées par compte (portal.private_pages)"
            )
        evidence = []
        for record in visit.accounts:
            for own in record.own:
                if not own["readable"]:
                    raise ProbeError(
                        f"le compte {record.account.login} n'ouvre pas sa propre page "
                        f"{own['url']} (statut {own['status']}, {own['final_url']}) : le refus "
                        "aux autres comptes ne prouverait rien",
                        Evidence("page", f"{own['url']} refusée à son titulaire", own),
                    )
        leaks = [
            (record.account, answer)
            for record in visit.accounts
            for answer in record.foreign
            if answer["readable"]
        ]
        tried = sum(len(r.foreign) for r in visit.accounts)
        if tried == 0:
            raise NotTestable("aucun autre compte de test pour demander les pages privées")
        for account, answer in leaks:
            evidence.append(
                Evidence(
                    "page",
                    f"{answer['url']} (page de {answer['owner']}) lisible par {account.profile} "
                    f"{account.login} : statut {answer['status']}",
                    answer,
                )
            )
        if leaks:
            return Outcome.failed(
                f"{len(leaks)} page(s) privée(s) lisible(s) par un autre compte : "
                + ", ".join(sorted({a["url"] for _, a in leaks})),
                *evidence,
            )
        refused = [a for r in visit.accounts for a in r.foreign]
        return Outcome.passed(
            f"{tried} demande(s) croisée(s) refusée(s) : chaque page privée ne s'ouvre qu'à "
            "son titulaire",
            Evidence("note", "demandes croisées", {"answers": refused[:12]}),
        )
