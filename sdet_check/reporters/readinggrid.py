"""The reading grid for tenders: a grid's requirements as a document to annex to a CCTP.

Each requirement with its level, its SDET source and how it will be verified (an automated
check, the bidder's declaration with the proof expected, or the auditor's review), grouped
by axis. The same view gives the HTML page, the PDF (laid out by WeasyPrint in a child
process, like the reports) and the ODS workbook (one filterable row per requirement).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from sdet_check.grid import Grid, Method, Requirement
from sdet_check.labels import LEVEL_LABELS
from sdet_check.reporters.document import html_to_pdf, render_template

DEGREES = {
    "fr": {"1d": "1er degré", "2d": "2nd degré"},
    "en": {"1d": "primary", "2d": "secondary"},
}
SCOPES = {
    "fr": {
        "solution": "solution",
        "exploitation": "exploitation",
        "service_tiers": "service tiers",
    },
    "en": {"solution": "solution", "exploitation": "operation", "service_tiers": "third-party"},
}

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "kicker": "Grille de lecture pour appel d'offres",
        "title": "Grille de lecture du SDET",
        "sub": "Exigences et recommandations à annexer au cahier des clauses techniques "
               "particulières (CCTP), avec la manière dont chacune sera vérifiée.",
        "grid": "Grille", "published": "publiée le", "hash": "Empreinte sha256",
        "selection": "Sélection", "all": "grille complète",
        "count": "Exigences",
        "count_value": "{n} ({must} exigences MUST, {should} recommandations SHOULD)",
        "verification": "Vérification",
        "verification_value": "{probe} contrôle(s) automatisé(s), {declaration} déclaration(s) "
                              "du candidat, {review} revue(s) par l'auditeur",
        "how": "Comment lire cette grille",
        "how_level": "Niveau : une exigence (MUST) est obligatoire ; une recommandation (SHOULD) "
                     "est attendue sauf justification. Un astérisque signale un niveau déduit "
                     "du texte du SDET, qui ne l'énonce pas explicitement.",
        "how_probe": "Contrôle automatisé : sdet-check observe la plateforme (protocoles, "
                     "annuaire, pages) et conserve la preuve de ce qu'il a vu.",
        "how_declaration": "Déclaration du candidat : le candidat répond au questionnaire "
                           "(commande sdet-check questionnaire) et joint la preuve attendue ; ses "
                           "réponses forment la note théorique.",
        "how_review": "Revue par l'auditeur : une personne juge sur pièces ou sur la plateforme.",
        "id": "Identifiant", "level": "Niveau", "requirement": "Exigence", "source": "Source",
        "applicability": "Applicabilité", "method": "Vérification",
        "method_probe": "contrôle automatisé", "method_declaration": "déclaration du candidat",
        "method_review": "revue par l'auditeur",
        "probe": "sonde", "proofs": "preuve attendue", "guidance": "conduite de la revue",
        "condition": "Condition", "inferred": "niveau déduit",
        "none": "Aucune exigence ne correspond à la sélection.",
        "footer": "Produit par sdet-check {version} depuis la grille {ref} (sha256 {hash}).",
        "hash_label": "grille sha256",
        "axis_count": "{n} exigence(s)",
        "about": "À propos", "legend": "Légende",
        "filters_axis": "axe", "filters_level": "niveau", "filters_tag": "étiquette",
        "filters_degree": "degré", "filters_scope": "périmètre",
    },
    "en": {
        "kicker": "Reading grid for tenders",
        "title": "SDET reading grid",
        "sub": "Requirements and recommendations to annex to the technical specifications of "
               "a tender, with how each one will be verified.",
        "grid": "Grid", "published": "published", "hash": "sha256 fingerprint",
        "selection": "Selection", "all": "whole grid",
        "count": "Requirements",
        "count_value": "{n} ({must} MUST requirements, {should} SHOULD recommendations)",
        "verification": "Verification",
        "verification_value": "{probe} automated check(s), {declaration} bidder declaration(s), "
                              "{review} auditor review(s)",
        "how": "How to read this grid",
        "how_level": "Level: a requirement (MUST) is mandatory; a recommendation (SHOULD) is "
                     "expected unless justified. An asterisk marks a level inferred from the "
                     "SDET's text, which does not state it explicitly.",
        "how_probe": "Automated check: sdet-check observes the platform (protocols, directory, "
                     "pages) and keeps the evidence of what it saw.",
        "how_declaration": "Bidder's declaration: the bidder answers the questionnaire "
                           "(command sdet-check questionnaire) and attaches the expected proof; "
                           "the answers make the declared score.",
        "how_review": "Auditor's review: a person judges on documents or on the platform.",
        "id": "Id", "level": "Level", "requirement": "Requirement", "source": "Source",
        "applicability": "Applicability", "method": "Verification",
        "method_probe": "automated check", "method_declaration": "bidder's declaration",
        "method_review": "auditor's review",
        "probe": "probe", "proofs": "expected proof", "guidance": "how to review",
        "condition": "Condition", "inferred": "inferred level",
        "none": "No requirement matches the selection.",
        "footer": "Produced by sdet-check {version} from grid {ref} (sha256 {hash}).",
        "hash_label": "grid sha256",
        "axis_count": "{n} requirement(s)",
        "about": "About", "legend": "Legend",
        "filters_axis": "axis", "filters_level": "level", "filters_tag": "tag",
        "filters_degree": "degree", "filters_scope": "scope",
    },
}  # fmt: skip


def method_label(requirement: Requirement, lang: str) -> str:
    """``contrôle automatisé``, ``déclaration du candidat`` or ``revue par l'auditeur``."""
    return WORDS[lang][f"method_{requirement.verification.method.value}"]


def method_detail(requirement: Requirement, lang: str) -> str:
    """What the method needs: the probe, the proof expected, or how the review is led."""
    words = WORDS[lang]
    verification = requirement.verification
    if verification.method is Method.PROBE:
        return f"{words['probe']} {verification.probe}"
    text = guidance_text(requirement, lang)
    if not text:
        return ""
    use_proofs = verification.proofs is not None and (
        verification.method is Method.DECLARATION or verification.guidance is None
    )
    label = words["proofs"] if use_proofs else words["guidance"]
    return f"{label}{' : ' if lang == 'fr' else ': '}{text}"


def guidance_text(requirement: Requirement, lang: str) -> str:
    """The proof expected of a declaration, or how a review is led (empty for probes)."""
    verification = requirement.verification
    if verification.method is Method.PROBE:
        return ""
    if verification.method is Method.DECLARATION and verification.proofs:
        return verification.proofs.get(lang)
    if verification.guidance:
        return verification.guidance.get(lang)
    return verification.proofs.get(lang) if verification.proofs else ""


def _labelled(labels: Mapping[str, str], codes: frozenset[str]) -> str:
    """``codes`` sorted, each by its label when it has one, joined by commas."""
    return ", ".join(labels.get(code, code) for code in sorted(codes))


def degrees_text(requirement: Requirement, lang: str) -> str:
    """``1er degré, 2nd degré`` in the reader's language."""
    return _labelled(DEGREES[lang], requirement.degrees)


def scopes_text(requirement: Requirement, lang: str) -> str:
    """``solution, exploitation`` in the reader's language."""
    return _labelled(SCOPES[lang], requirement.scopes)


def applicability(requirement: Requirement, lang: str) -> str:
    """``1er degré, 2nd degré · solution`` in the reader's language."""
    return f"{degrees_text(requirement, lang)} · {scopes_text(requirement, lang)}"


def _star(requirement: Requirement) -> str:
    """The asterisk marking a level inferred from the SDET's text, which does not state it."""
    return "" if requirement.level_basis == "stated" else "*"


def level_code(requirement: Requirement) -> str:
    """``MUST``, with an asterisk when the level is inferred."""
    return requirement.level.value + _star(requirement)


def level_text(requirement: Requirement, lang: str) -> str:
    """``exigence (MUST)``, with an asterisk when the level is inferred."""
    value = requirement.level.value
    return f"{LEVEL_LABELS[lang][value]} ({value}){_star(requirement)}"


def selection_text(filters: Mapping[str, Sequence[str]], lang: str) -> str:
    """The filters in force, ``axe securite ; niveau MUST``, or ``grille complète``."""
    words = WORDS[lang]
    parts = [
        f"{words['filters_' + key]} {', '.join(values)}"
        for key, values in filters.items()
        if values
    ]
    return " ; ".join(parts) if parts else words["all"]


def reading_grid_view(
    grid: Grid,
    requirements: Sequence[Requirement],
    lang: str = "fr",
    filters: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """Everything the reading grid shows (HTML, PDF), computed from the grid."""
    from sdet_check import __version__

    words = WORDS[lang]
    levels = Counter(r.level.value for r in requirements)
    methods = Counter(r.verification.method.value for r in requirements)
    axes = []
    for axis in grid.axes:
        rows = [
            {
                "id": r.id,
                "level": level_text(r, lang),
                "level_code": level_code(r),
                "level_label": LEVEL_LABELS[lang][r.level.value],
                "must": r.level.value == "MUST",
                "title": r.title.get(lang),
                "statement": r.statement.get(lang),
                "condition": r.condition.get(lang) if r.condition else None,
                "source": r.source.label(),
                "wording": r.source.wording,
                "applicability": applicability(r, lang),
                "method": method_label(r, lang),
                "method_key": r.verification.method.value,
                "detail": method_detail(r, lang),
            }
            for r in requirements
            if r.axis == axis.id
        ]
        if rows:
            axes.append(
                {
                    "id": axis.id,
                    "label": axis.label.get(lang),
                    "count": words["axis_count"].format(n=len(rows)),
                    "rows": rows,
                }
            )
    return {
        "lang": lang,
        "w": words,
        "title": f"{words['title']} — {grid.ref}",
        "grid": {
            "ref": grid.ref,
            "title": grid.title.get(lang),
            "published": grid.published,
            "hash": grid.content_hash,
        },
        "selection": selection_text(filters or {}, lang),
        "count": words["count_value"].format(
            n=len(requirements), must=levels["MUST"], should=levels["SHOULD"]
        ),
        "verification": words["verification_value"].format(
            probe=methods["probe"], declaration=methods["declaration"], review=methods["review"]
        ),
        "axes": axes,
        "footer": words["footer"].format(version=__version__, ref=grid.ref, hash=grid.content_hash),
    }


def render_reading_grid_html(
    grid: Grid,
    requirements: Sequence[Requirement],
    lang: str = "fr",
    filters: Mapping[str, Sequence[str]] | None = None,
) -> bytes:
    """The reading grid as one self-contained HTML file."""
    view = reading_grid_view(grid, requirements, lang, filters)
    return render_template("readinggrid.html.j2", view).encode("utf-8")


def render_reading_grid_pdf(
    grid: Grid,
    requirements: Sequence[Requirement],
    lang: str = "fr",
    filters: Mapping[str, Sequence[str]] | None = None,
) -> bytes:
    """The reading grid as an archival PDF (A4 landscape), laid out like the reports."""
    html = render_reading_grid_html(grid, requirements, lang, filters).decode("utf-8")
    return html_to_pdf(html, identifier=grid.content_hash[:32])
