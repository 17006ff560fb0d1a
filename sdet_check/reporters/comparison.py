"""Render a tender comparison (:mod:`sdet_check.compare`) as HTML, PDF or CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from sdet_check.compare import Cell, Comparison, Row, Solution, Standing
from sdet_check.labels import STATUS_LABELS, status_short
from sdet_check.redaction import spreadsheet_cell
from sdet_check.reporters.base import percent
from sdet_check.reporters.charts import BAR_WIDTH, LABEL_WIDTH, ROW_HEIGHT
from sdet_check.reporters.document import STATUSES, html_to_pdf, render_template
from sdet_check.reporters.wording import WORDS

COMPARE_WORDS = {
    "fr": {
        "kind": "Comparaison de solutions",
        "sub": "Analyse des offres au regard du SDET : exigences éliminatoires et "
        "recommandations pondérées",
        "grid": "Grille",
        "grids_mixed": "Attention : les runs ne suivent pas tous la même grille ({refs}). Les "
        "exigences absentes de la grille d'une solution sont marquées « absente ».",
        "weights": "Pondérations",
        "weights_default": "poids 1 pour chaque recommandation (aucun fichier de pondérations)",
        "ranking": "Classement",
        "rank": "Rang",
        "solution": "Solution",
        "standing": "Recevabilité",
        "verdict": "Verdict",
        "gates": "MUST éliminatoires",
        "gates_open": "MUST non décidées",
        "should_score": "Score SHOULD pondéré",
        "should_coverage": "SHOULD décidées",
        "points": "points",
        "none": "aucune",
        "not_ranked": "non classée",
        "chart": "Score SHOULD pondéré par solution",
        "rules": "Règles",
        "rules_text": "Les exigences (MUST) sont des barrières : une solution qui échoue à une "
        "exigence applicable sans réserve valide est éliminée (non conforme) ; une exigence "
        "en erreur, non testée ou en attente d'examen la laisse « à compléter ». Les "
        "recommandations (SHOULD) sont notées avec les poids de l'acheteur : une "
        "recommandation conforme rapporte son poids, une non-conformité (même couverte par "
        "une réserve) ou une recommandation non décidée ne rapporte rien, une recommandation "
        "non applicable sort du total. Classement : solutions recevables, puis à compléter, "
        "chacune par score SHOULD ; à score égal, même rang.",
        "differences": "Différences entre les solutions",
        "differences_text": "{count} exigences sur {total} n'ont pas le même résultat pour "
        "toutes les solutions ; elles sont marquées ≠ dans les matrices.",
        "differences_none": "Toutes les solutions ont le même résultat sur chaque exigence.",
        "must_matrix": "Exigences (MUST) : barrières éliminatoires",
        "should_matrix": "Recommandations (SHOULD) : pondérées",
        "id": "Identifiant",
        "title": "Intitulé",
        "weight": "Poids",
        "differs": "Diffère",
        "absent": "absente",
        "absent_label": "absente de la grille de cette solution",
        "runs": "Runs comparés",
        "target": "Cible",
        "run_file": "Fichier",
        "run_id": "Identifiant du run",
        "run_hash": "Empreinte du run (sha256)",
        "grid_hash": "Empreinte de la grille (sha256)",
        "started": "Évaluée le",
        "weights_file": "Fichier de pondérations",
        "weights_by": "Poids explicites",
        "weight_key": "Clé",
        "weight_default": "Poids par défaut",
        "basis_id": "exigence",
        "basis_tag": "étiquette",
        "basis_axis": "axe",
        "yes": "oui",
        "no": "non",
    },
    "en": {
        "kind": "Solution comparison",
        "sub": "Bids assessed against the SDET: eliminating requirements and weighted "
        "recommendations",
        "grid": "Grid",
        "grids_mixed": "Warning: the runs do not all follow the same grid ({refs}). "
        "Requirements missing from a solution's grid are marked “absent”.",
        "weights": "Weights",
        "weights_default": "weight 1 for every recommendation (no weights file)",
        "ranking": "Ranking",
        "rank": "Rank",
        "solution": "Solution",
        "standing": "Admissibility",
        "verdict": "Verdict",
        "gates": "Eliminating MUST",
        "gates_open": "Undecided MUST",
        "should_score": "Weighted SHOULD score",
        "should_coverage": "SHOULD decided",
        "points": "points",
        "none": "none",
        "not_ranked": "not ranked",
        "chart": "Weighted SHOULD score per solution",
        "rules": "Rules",
        "rules_text": "Requirements (MUST) are gates: a solution failing an applicable "
        "requirement without a valid waiver is eliminated (not compliant); a requirement in "
        "error, not tested or waiting for review leaves it “to be completed”. Recommendations "
        "(SHOULD) are scored with the buyer's weights: a pass earns its weight, a failure "
        "(even waived) or an undecided item earns nothing, a not applicable item leaves the "
        "total. Ranking: admissible solutions, then those to be completed, each by SHOULD "
        "score; equal scores share a rank.",
        "differences": "Differences between solutions",
        "differences_text": "{count} requirements out of {total} do not have the same result "
        "for every solution; they are marked ≠ in the matrices.",
        "differences_none": "Every solution has the same result on every requirement.",
        "must_matrix": "Requirements (MUST): eliminating gates",
        "should_matrix": "Recommendations (SHOULD): weighted",
        "id": "Id",
        "title": "Title",
        "weight": "Weight",
        "differs": "Differs",
        "absent": "absent",
        "absent_label": "not in this solution's grid",
        "runs": "Compared runs",
        "target": "Target",
        "run_file": "File",
        "run_id": "Run id",
        "run_hash": "Run fingerprint (sha256)",
        "grid_hash": "Grid fingerprint (sha256)",
        "started": "Assessed",
        "weights_file": "Weights file",
        "weights_by": "Explicit weights",
        "weight_key": "Key",
        "weight_default": "Default weight",
        "basis_id": "requirement",
        "basis_tag": "tag",
        "basis_axis": "axis",
        "yes": "yes",
        "no": "no",
    },
}
"""Words of the comparison report, per language."""

_CSV_HEAD = {
    "fr": ["identifiant", "axe", "niveau", "titre", "poids"],
    "en": ["id", "axis", "level", "title", "weight"],
}


def comparison_view(comparison: Comparison, lang: str, medium: str) -> dict[str, Any]:
    """Everything the comparison template shows."""
    words = COMPARE_WORDS[lang]
    ranking = comparison.ranking()
    axes_order: dict[str, int] = {}
    for row in comparison.rows:
        axes_order.setdefault(row.axis, len(axes_order))
    return {
        "lang": lang,
        "w": words,
        "rw": WORDS[lang],
        "medium": medium,
        "title": f"{words['kind']} — {', '.join(s.label for s in comparison.solutions)}",
        "grid_refs": sorted(set(comparison.grid_refs)),
        "grid_hashes": sorted(set(comparison.grid_hashes)),
        "mixed": comparison.mixed,
        "weights": comparison.weights,
        "solutions": [_solution_view(s, lang) for s in comparison.solutions],
        "ranking": [_solution_view(s, lang) for s in ranking],
        "chart": _score_chart(ranking, lang),
        "must_groups": _groups(comparison, "MUST", lang, axes_order),
        "should_groups": _groups(comparison, "SHOULD", lang, axes_order),
        "differing": len(comparison.differing()),
        "total": len(comparison.rows),
        "status_legend": [
            {"code": status_short(s, lang=lang), "label": STATUS_LABELS[lang][s], "status": s}
            for s in STATUSES
        ],
    }


def render_comparison_html(comparison: Comparison, lang: str = "fr") -> bytes:
    """The comparison as one self-contained HTML file."""
    return render_template("compare.html.j2", comparison_view(comparison, lang, "screen")).encode(
        "utf-8"
    )


def render_comparison_pdf(comparison: Comparison, lang: str = "fr") -> bytes:
    """The comparison as an archival PDF (same template, print layout)."""
    html = render_template("compare.html.j2", comparison_view(comparison, lang, "print"))
    identifier = "-".join(s.run_hash[:8] for s in comparison.solutions)
    return html_to_pdf(html, identifier=identifier)


def render_comparison_csv(comparison: Comparison, lang: str = "fr") -> bytes:
    """The matrix as CSV: one row per requirement, one column per solution (UTF-8 with BOM)."""
    words = COMPARE_WORDS[lang]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    head = [*_CSV_HEAD[lang], *(s.label for s in comparison.solutions), words["differs"]]
    writer.writerow(spreadsheet_cell(cell) for cell in head)
    for row in comparison.rows:
        writer.writerow(
            spreadsheet_cell(cell)
            for cell in [
                row.requirement_id,
                row.axis,
                row.level,
                row.title.get(lang, row.title.get("fr", "")),
                "" if row.weight is None else f"{row.weight:g}",
                *(_code(cell, lang) for cell in row.cells),
                words["yes"] if row.differs else words["no"],
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


COMPARISON_FORMATS: dict[str, tuple[str, Callable[[Comparison, str], bytes]]] = {
    "html": ("comparaison.html", render_comparison_html),
    "pdf": ("comparaison.pdf", render_comparison_pdf),
    "csv": ("comparaison.csv", render_comparison_csv),
}
"""Output formats of ``sdet-check compare``: file name and renderer."""


def _code(cell: Cell, lang: str) -> str:
    if cell.status is None:
        return COMPARE_WORDS[lang]["absent"]
    return status_short(cell.status, cell.waived, lang)


def _solution_view(solution: Solution, lang: str) -> dict[str, Any]:
    return {
        "index": solution.index,
        "label": solution.label,
        "source": solution.source,
        "target_name": solution.target_name,
        "editor": solution.editor,
        "solution_version": solution.solution_version,
        "run_id": solution.run_id,
        "run_hash": solution.run_hash,
        "started_at": solution.started_at,
        "grid_ref": solution.grid_ref,
        "grid_hash": solution.grid_hash,
        "verdict": solution.verdict.value,
        "standing": solution.standing.value,
        "standing_label": solution.standing.label(lang),
        "eliminated": solution.standing is Standing.ELIMINEE,
        "gate_failures": solution.gate_failures,
        "gates_open": solution.gates_open,
        "waived_musts": solution.waived_musts,
        "score": solution.should_score,
        "points": solution.should_points,
        "max": solution.should_max,
        "decided": solution.should_decided,
        "applicable": solution.should_applicable,
        "rank": solution.rank,
    }


def _groups(
    comparison: Comparison, level: str, lang: str, axes_order: dict[str, int]
) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in comparison.rows:
        if row.level == level:
            groups.setdefault(row.axis, []).append(_row_view(row, lang))
    labels = comparison.axis_labels
    return [
        {"axis": labels[axis][lang] if axis in labels else axis, "rows": rows}
        for axis, rows in sorted(groups.items(), key=lambda item: axes_order[item[0]])
    ]


def _row_view(row: Row, lang: str) -> dict[str, Any]:
    words = COMPARE_WORDS[lang]
    basis = row.weight_basis or ""
    kind, _, name = basis.partition(":")
    return {
        "id": row.requirement_id,
        "title": row.title.get(lang, row.title.get("fr", "")),
        "weight": row.weight,
        "weight_basis": f"{words['basis_' + kind]} {name}".strip()
        if kind in ("id", "tag", "axis")
        else "",
        "differs": row.differs,
        "cells": [
            {
                "code": _code(cell, lang),
                "badge": "absent"
                if cell.status is None
                else ("waived" if cell.waived else cell.status),
                "label": words["absent_label"]
                if cell.status is None
                else STATUS_LABELS[lang][cell.status],
                "gate": n in row.gate_failures,
            }
            for n, cell in enumerate(row.cells)
        ],
    }


def _score_chart(ranking: list[Solution], lang: str) -> dict[str, Any]:
    """Bars of the weighted SHOULD score; éliminées drawn hatched and labelled as such."""
    bars = []
    y = 4.0
    for solution in ranking:
        score = solution.should_score
        text = percent(score)
        if solution.standing is Standing.ELIMINEE:
            text += f" — {solution.standing.label(lang)}"
        bars.append(
            {
                "label": solution.label,
                "y": y,
                "width": round(BAR_WIDTH * (score or 0.0) / 100.0, 2),
                "text": text,
                "eliminated": solution.standing is Standing.ELIMINEE,
            }
        )
        y += ROW_HEIGHT
    return {"height": y + 6, "bars": bars, "label_width": LABEL_WIDTH}
