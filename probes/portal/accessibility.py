"""Automatable accessibility criteria, by axe-core run in the real page.

axe-core (MPL-2.0, the npm package pinned in ``vendor/axe/package.json`` and installed by
the project's setup with ``npm ci``) is read from a local file and evaluated in each public
page; nothing is fetched at run time. Its rules are mapped to the RGAA 4.1 criteria they
support. These are **automatable criteria** only: a rule that finds nothing does not make a
page conformant to the RGAA criterion, which a person still audits (A11Y-RGAA-001).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from sdet_check.probe import Evidence, NotTestable, Outcome, Probe, ProbeContext, validated_params

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
            f"axe-core absent ({path}) : l'installer avec « npm ci --prefix vendor/axe » "
            f"(ou nommer le fichier axe.min.js dans {AXE_ENV})"
        ) from None


class AxeCriteria(Probe):
    """Base of the accessibility probes: some axe rules on every public page."""

    rules: ClassVar[tuple[str, ...]]
    what: ClassVar[str]
    needs: ClassVar[tuple[str, ...]] = ("portal",)

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Judge the public pages of the shared visit with this probe's rules."""
        from probes.portal.visit import shared_visit

        validated_params(self, params)
        visit = shared_visit(context)
        criteria = sorted({c for rule in self.rules for c in RGAA_CRITERIA[rule]})
        scope = (
            f"critères automatisables RGAA {', '.join(criteria)} (axe-core, règles "
            f"{', '.join(self.rules)}) ; pas un audit RGAA complet"
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
                        f"{page.url} : règle axe {violation['id']} (RGAA "
                        f"{', '.join(RGAA_CRITERIA[violation['id']])}) — {violation['help']}",
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
                f"{self.what} : défaut sur {len(set(failing))} page(s) publique(s) "
                f"({', '.join(sorted(set(failing)))}) — {scope}",
                *evidence,
            )
        if not ran:
            return Outcome.not_applicable(
                f"aucun élément concerné sur les pages publiques ({scope})", *evidence
            )
        return Outcome.passed(
            f"{self.what} : aucun défaut sur {len(pages)} page(s) publique(s) — {scope}",
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
