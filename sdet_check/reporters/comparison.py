"""Render a tender comparison (:mod:`sdet_check.compare`) as HTML, PDF or CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from sdet_check.compare import Cell, Comparison, Row, Solution, Standing
from sdet_check.labels import STATUS_LABELS, status_short
from sdet_check.messages import text
from sdet_check.redaction import spreadsheet_cell
from sdet_check.reporters.charts import BAR_WIDTH, LABEL_WIDTH, ROW_HEIGHT
from sdet_check.reporters.document import (
    STATUSES,
    PdfAttachment,
    html_to_pdf,
    localized_percent,
    long_date,
    render_template,
)
from sdet_check.reporters.wording import WORDS
from sdet_check.run import dump_run
from sdet_check.signing import SIGNATURE_SUFFIX, distrust_clauses
from sdet_check.verify import RunSignature, signature_problem_texts

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
        "solutions": "Solutions comparées",
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
        "non applicable sort du total ; la fourchette donne le score avec les recommandations "
        "non décidées comptées en échec, puis en succès. Un run est partiel quand sa sélection "
        "(--only, --skip, --axis, --level, --tag) a écarté des exigences de sa grille ou qu'il "
        "lui manque des résultats : il est jugé sur moins que les autres. Classement : runs "
        "complets d'abord, puis runs partiels (rang marqué « partiel ») ; dans chaque groupe, "
        "solutions recevables, puis à compléter, chacune par score SHOULD ; à clé égale, même "
        "rang. Les réserves sur des exigences sont listées avec leur justification, leur "
        "approbateur et leur échéance ; les déclarations et revues plus anciennes que la grille "
        "ne le permet sont signalées.",
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
        "produced": "Produite le",
        "fingerprint": "Empreinte de la comparaison (sha256)",
        "fingerprint_note": 'sha256 du JSON {"runs": [empreintes des runs, triées], '
        '"weights": {default, requirements, tags, axes}} (clés triées, sans espace, UTF-8).',
        "fingerprint_note_signed": 'sha256 du JSON {"runs": [empreintes des runs, triées], '
        '"weights": {default, requirements, tags, axes}, "signatures": [[empreinte du run, '
        "état, empreinte SHA-256 du certificat du signataire, reconnu (true, false ou null)], "
        'triées], "trust": [autorités données, triées]} (clés triées, sans espace, UTF-8).',
        "footer_hash": "comparaison sha256",
        "visa": "Visa",
        "visa_name": "Nom et qualité",
        "visa_date": "Date",
        "visa_sign": "Signature",
        "must_col": "Exigences (MUST)",
        "should_col": "Recommandations (SHOULD)",
        "gates_none": "aucune",
        "gates_waived": "levée(s) par réserve :",
        "gates_undecided": "non décidées :",
        "coverage": "décidées :",
        "score_range": "fourchette :",
        "score_range_note": "non décidées comptées en échec, puis en succès",
        "reviews_pending": "revues ou déclarations à examiner :",
        "reviews_pending_must": "dont MUST :",
        "partial": "partiel",
        "eliminated_short": "éliminée",
        "colon": "\u00a0:",
        "semicolon": "\u00a0;",
        "quote_open": "«\u00a0",
        "quote_close": "\u00a0»",
        "partial_long": "run partiel : classé après les runs complets",
        "partial_warning": "Runs partiels ({count}) : {labels}. Leur sélection a écarté des "
        "exigences de la grille ou des résultats leur manquent ; ils sont classés après les runs "
        "complets, avec la mention « partiel ».",
        "selection": "Sélection",
        "selection_all": "grille entière",
        "unselected": "{count} exigence(s) hors sélection, non évaluée(s) :",
        "missing": "{count} exigence(s) de la grille sans résultat dans le run :",
        "waivers": "Réserves sur des exigences (MUST)",
        "waiver_justification": "justification",
        "waiver_author": "auteur",
        "waiver_approved": "approuvée par",
        "waiver_granted": "accordée le",
        "waiver_expires": "expire le",
        "waiver_not_given": "non renseigné",
        "waiver_expired": "réserve expirée à la date du run : l'échec reste éliminatoire",
        "waiver_lapsed": "réserve expirée à la date de la comparaison",
        "stale": "Pièces anciennes (datées de plus de {limit} jours avant le run)",
        "stale_declaration": "déclaration",
        "stale_review": "revue",
        "stale_item": "{kind} {id} du {date} ({age} jours, {author})",
        "stale_more": "et {count} autre(s), voir le run",
        "mismatch": "Les déclarations désignent {field} « {declared} », la cible « {target} »",
        "field_editor": "l'éditeur",
        "field_solution_version": "la version",
        "attachment": "Run joint au PDF",
        "flags": "Points d'attention",
        "none_flag": "aucun",
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
        "solutions": "Compared solutions",
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
        "total; the range gives the score with undecided recommendations counted as failed, "
        "then as passed. A run is partial when its selection (--only, --skip, --axis, --level, "
        "--tag) left out requirements of its grid or results are missing from it: it is judged "
        "on less than the others. Ranking: complete runs first, then partial runs (rank marked "
        "“partial”); within each group, admissible solutions, then those to be completed, each "
        "by SHOULD score; equal keys share a rank. Waivers on requirements are listed with "
        "their justification, approver and expiry; declarations and reviews older than the "
        "grid allows are flagged.",
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
        "produced": "Produced on",
        "fingerprint": "Comparison fingerprint (sha256)",
        "fingerprint_note": 'sha256 of the JSON {"runs": [run fingerprints, sorted], '
        '"weights": {default, requirements, tags, axes}} (sorted keys, no spaces, UTF-8).',
        "fingerprint_note_signed": 'sha256 of the JSON {"runs": [run fingerprints, sorted], '
        '"weights": {default, requirements, tags, axes}, "signatures": [[run fingerprint, '
        "state, SHA-256 of the signer's certificate, vouched for (true, false or null)], "
        'sorted], "trust": [given authorities, sorted]} (sorted keys, no spaces, UTF-8).',
        "footer_hash": "comparison sha256",
        "visa": "Approval",
        "visa_name": "Name and position",
        "visa_date": "Date",
        "visa_sign": "Signature",
        "must_col": "Requirements (MUST)",
        "should_col": "Recommendations (SHOULD)",
        "gates_none": "none",
        "gates_waived": "lifted by a waiver:",
        "gates_undecided": "undecided:",
        "coverage": "decided:",
        "score_range": "range:",
        "score_range_note": "undecided counted as failed, then as passed",
        "reviews_pending": "reviews or declarations to examine:",
        "reviews_pending_must": "of which MUST:",
        "partial": "partial",
        "eliminated_short": "eliminated",
        "colon": ":",
        "semicolon": ";",
        "quote_open": "“",
        "quote_close": "”",
        "partial_long": "partial run: ranked after the complete runs",
        "partial_warning": "Partial runs ({count}): {labels}. Their selection left out "
        "requirements of the grid or results are missing from them; they are ranked after the "
        "complete runs, marked “partial”.",
        "selection": "Selection",
        "selection_all": "whole grid",
        "unselected": "{count} requirement(s) outside the selection, not assessed:",
        "missing": "{count} requirement(s) of the grid without a result in the run:",
        "waivers": "Waivers on requirements (MUST)",
        "waiver_justification": "justification",
        "waiver_author": "author",
        "waiver_approved": "approved by",
        "waiver_granted": "granted",
        "waiver_expires": "expires",
        "waiver_not_given": "not given",
        "waiver_expired": "waiver expired on the run date: the failure still eliminates",
        "waiver_lapsed": "waiver expired by the date of the comparison",
        "stale": "Old evidence (dated more than {limit} days before the run)",
        "stale_declaration": "declaration",
        "stale_review": "review",
        "stale_item": "{kind} {id} of {date} ({age} days, {author})",
        "stale_more": "and {count} more, see the run",
        "mismatch": "The declarations name {field} “{declared}”, the target “{target}”",
        "field_editor": "the editor",
        "field_solution_version": "the version",
        "attachment": "Run attached to the PDF",
        "flags": "Points of attention",
        "none_flag": "none",
    },
}
"""Words of the comparison report, per language."""

_CSV_HEAD = {
    "fr": ["identifiant", "axe", "niveau", "titre", "poids"],
    "en": ["id", "axis", "level", "title", "weight"],
}


MAX_LISTED_IDS = 12
"""Requirement ids listed in a ranking note before « et N autres »."""

_SELECTION_OPTIONS = {
    "axes": "--axis",
    "levels": "--level",
    "tags": "--tag",
    "only": "--only",
    "skip": "--skip",
}


def comparison_view(
    comparison: Comparison, lang: str, medium: str, visa: str | None = None
) -> dict[str, Any]:
    """Everything the comparison template shows (``visa``: the name in the approval block)."""
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
        "produced_at": comparison.produced_at,
        "fingerprint": comparison.fingerprint,
        "visa": visa,
        "author": visa or "",
        "subject": words["sub"],
        "chart": _score_chart(ranking, lang),
        "must_groups": _groups(comparison, "MUST", lang, axes_order),
        "should_groups": _groups(comparison, "SHOULD", lang, axes_order),
        "differing": len(comparison.differing()),
        "total": len(comparison.rows),
        "status_legend": [
            {"code": status_short(s, lang=lang), "label": STATUS_LABELS[lang][s], "status": s}
            for s in STATUSES
        ],
        "signatures_checked": comparison.signatures_checked,
        "trust_anchors": list(comparison.trust_anchors),
        "sw": {
            key: text(f"signatures.compare.{key}", lang)
            for key in ("label", "signer", "fingerprint", "anchors", "anchors_none")
        },
        "signature_warnings": _signature_warnings(comparison, lang),
    }


def signature_view(signature: RunSignature | None, lang: str) -> dict[str, str] | None:
    """A run's signature as the comparison shows it (``None``: not checked).

    ``status`` (short), ``summary`` (one line: signer, date, whether a given authority
    vouches for the signer), ``signer``, ``fingerprint``, and ``kind`` (``vouched``,
    ``not_vouched``, ``unchecked``, ``unsigned``, ``invalid``) for styling.
    """
    if signature is None:
        return None
    if signature.state == "unsigned":
        kind = "unsigned"
        summary = text("signatures.compare.unsigned", lang, sig=signature.file)
    elif signature.state == "invalid":
        kind = "invalid"
        problems = "; ".join(signature_problem_texts(signature, lang))
        summary = text("signatures.compare.invalid", lang, sig=signature.file, problems=problems)
    else:
        kind = {True: "vouched", False: "not_vouched", None: "unchecked"}[signature.trusted]
        signed = (
            text(
                "signatures.compare.signed_by",
                lang,
                signer=signature.signer,
                when=signature.signed_at.strftime("%Y-%m-%d %H:%M:%S %Z").strip(),
            )
            if signature.signed_at
            else text("signatures.compare.signed_by_undated", lang, signer=signature.signer)
        )
        # An unvouched signer comes with why: no chain to a given authority, expired...
        trust = text(
            f"signatures.compare.{kind}", lang, reasons=distrust_clauses(signature.distrust)
        )
        summary = text("signatures.compare.signed", lang, signed=signed, trust=trust)
    return {
        "kind": kind,
        "status": text(f"signatures.compare.short_{kind}", lang),
        "summary": summary,
        "signer": signature.signer,
        "fingerprint": signature.fingerprint,
    }


def _signature_warnings(comparison: Comparison, lang: str) -> list[dict[str, str]]:
    """Cover warnings: runs nothing vouches for, then signers no given authority vouches for."""
    kinds: dict[str, list[str]] = {"unsigned": [], "not_vouched": []}
    for solution in comparison.solutions:
        view = signature_view(solution.signature, lang)
        if view is None:
            continue
        if view["kind"] in ("unsigned", "invalid"):
            kinds["unsigned"].append(solution.label)
        elif view["kind"] == "not_vouched" and solution.signature is not None:
            why = distrust_clauses(solution.signature.distrust)
            kinds["not_vouched"].append(
                text("signatures.compare.label_why", lang, label=solution.label, reasons=why)
            )
    warnings = []
    for kind, element_id, message in (
        ("unsigned", "unsigned-warning", "signatures.compare.unsigned_warning"),
        ("not_vouched", "untrusted-warning", "signatures.compare.untrusted_warning"),
    ):
        labels = kinds[kind]
        if labels:
            warning = text(message, lang, count=len(labels), labels=", ".join(labels))
            warnings.append({"id": element_id, "text": warning})
    return warnings


def render_comparison_html(
    comparison: Comparison, lang: str = "fr", visa: str | None = None
) -> bytes:
    """The comparison as one self-contained HTML file."""
    view = comparison_view(comparison, lang, "screen", visa)
    return render_template("compare.html.j2", view).encode("utf-8")


def render_comparison_pdf(
    comparison: Comparison, lang: str = "fr", visa: str | None = None
) -> bytes:
    """The comparison as an archival PDF/A-3u: same template, print layout, runs attached.

    Every compared run is embedded (``AFRelationship /Source``: the data the comparison
    was made from) under the name given in its section, so the PDF alone lets a reader
    re-score every bidder; the PDF identifier is the comparison's fingerprint. A run whose
    signature verified it comes with that signature (``run-N-<hash>.json.sig``,
    ``/Supplement``), so that ``sdet-check verify --trust`` re-checks its signer from the
    PDF alone.
    """
    html = render_template("compare.html.j2", comparison_view(comparison, lang, "print", visa))
    attachments = []
    for solution, record in zip(comparison.solutions, comparison.records, strict=True):
        name = attachment_name(solution)
        attachments.append(
            PdfAttachment(
                name=name,
                content=dump_run(record).encode("utf-8"),
                description=f"Run {solution.index + 1} ({solution.run_id}) — sdet-check",
                relationship="Source",
            )
        )
        signature = solution.signature
        # Only a signature over the very bytes attached: one made over a run.json laid out
        # otherwise than sdet-check writes it would not verify the attached copy.
        if (
            signature is not None
            and signature.state == "signed"
            and signature.content
            and signature.signed_hash == solution.run_hash
        ):
            attachments.append(
                PdfAttachment(
                    name=name + SIGNATURE_SUFFIX,
                    content=signature.content,
                    description=f"CMS signature — run {solution.index + 1} ({solution.run_id})",
                    relationship="Supplement",
                    media_type="application/pkcs7-signature",  # CMS, RFC 5751
                )
            )
    return html_to_pdf(html, identifier=comparison.fingerprint, attachments=attachments)


def attachment_name(solution: Solution) -> str:
    """File name of a solution's run inside the comparison PDF (``run-1-<hash>.json``)."""
    return f"run-{solution.index + 1}-{solution.run_hash[:12]}.json"


def render_comparison_csv(
    comparison: Comparison, lang: str = "fr", visa: str | None = None
) -> bytes:
    """The matrix as CSV: one row per requirement, one column per solution (UTF-8 with BOM).

    When the runs' signatures were checked, a last row (id ``signature``) gives each
    solution's: status, signer and certificate fingerprint.

    ``visa`` is accepted like the other formats' and unused: a CSV has no approval block.
    """
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
    if comparison.signatures_checked:
        # One more row, after the requirements: who signed each column's run.
        writer.writerow(
            spreadsheet_cell(cell)
            for cell in [
                text("signatures.compare.csv_id", lang),
                "",
                "",
                text("signatures.compare.label", lang),
                "",
                *(_signature_cell(s.signature, lang) for s in comparison.solutions),
                "",
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _signature_cell(signature: RunSignature | None, lang: str) -> str:
    view = signature_view(signature, lang)
    if view is None:
        return ""
    if view["kind"] in ("unsigned", "invalid"):
        return view["status"]
    status = view["status"]
    if view["kind"] == "not_vouched" and signature is not None:
        # Not " ; ": the cell already separates status, signer and fingerprint with it.
        reasons = " / ".join(clause.render(lang) for clause in signature.distrust) or text(
            "signatures.trust.unexplained", lang
        )
        status = text("signatures.compare.label_why", lang, label=status, reasons=reasons)
    return text(
        "signatures.compare.csv_cell",
        lang,
        status=status,
        signer=view["signer"],
        fingerprint=view["fingerprint"],
    )


COMPARISON_FORMATS: dict[str, tuple[str, Callable[[Comparison, str, str | None], bytes]]] = {
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
    words = COMPARE_WORDS[lang]
    low_high = solution.should_range
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
        "partial": solution.partial,
        "range": low_high,
        "must_decided": solution.must_decided,
        "must_applicable": solution.must_applicable,
        "reviews_pending": solution.reviews_pending,
        "must_reviews_pending": solution.must_reviews_pending,
        "selection": _selection_text(solution, lang),
        "selection_options": bool(solution.selection),
        "unselected": _id_list(solution.unselected, lang),
        "missing": _id_list(solution.missing, lang),
        "unselected_count": len(solution.unselected),
        "missing_count": len(solution.missing),
        "waived_valid": [g.requirement_id for g in solution.waivers if g.state == "valid"],
        "waivers": [
            {
                "id": gate.requirement_id,
                "valid": gate.state == "valid",
                "lapsed": gate.lapsed,
                "justification": gate.justification or words["waiver_not_given"],
                "author": gate.author or words["waiver_not_given"],
                "approved_by": gate.approved_by or words["waiver_not_given"],
                "granted": long_date(gate.granted, lang) if gate.granted else None,
                "expires": long_date(gate.expires, lang)
                if gate.expires
                else words["waiver_not_given"],
            }
            for gate in solution.waivers
        ],
        "stale_limit": solution.stale[0].limit_days if solution.stale else None,
        "stale": [
            words["stale_item"].format(
                kind=words[f"stale_{item.kind}"],
                id=item.requirement_id,
                date=long_date(item.date, lang),
                age=item.age_days,
                author=item.author,
            )
            for item in solution.stale[:MAX_LISTED_IDS]
        ],
        "stale_more": max(0, len(solution.stale) - MAX_LISTED_IDS),
        "mismatches": [
            words["mismatch"].format(field=words[f"field_{f}"], declared=d, target=t)
            for f, d, t in solution.mismatches
        ],
        "attachment": attachment_name(solution),
        "signature": signature_view(solution.signature, lang),
    }


def _selection_text(solution: Solution, lang: str) -> str:
    """The run's selection as the options that made it, or « grille entière »."""
    parts = [
        f"{_SELECTION_OPTIONS.get(key, key)} {value}"
        for key, values in solution.selection.items()
        for value in values
    ]
    return " ".join(parts) if parts else COMPARE_WORDS[lang]["selection_all"]


def _id_list(ids: tuple[str, ...], lang: str) -> dict[str, Any]:
    """At most :data:`MAX_LISTED_IDS` ids and how many more there are."""
    return {"ids": list(ids[:MAX_LISTED_IDS]), "more": max(0, len(ids) - MAX_LISTED_IDS)}


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


CHART_LABEL_CHARS = 22
"""Characters of a solution's label that fit left of its bar (150 px at 11 px DejaVu Sans)."""


def _chart_label(label: str) -> str:
    """``label`` cut in the middle to fit: its end (``#2``, the version) tells runs apart."""
    if len(label) <= CHART_LABEL_CHARS:
        return label
    tail = CHART_LABEL_CHARS // 2 - 1
    return label[: CHART_LABEL_CHARS - tail - 1].rstrip() + "…" + label[-tail:].lstrip()


def _score_chart(ranking: list[Solution], lang: str) -> dict[str, Any]:
    """Bars of the weighted SHOULD score; éliminées drawn hatched and labelled as such."""
    bars = []
    y = 4.0
    for solution in ranking:
        score = solution.should_score
        low_high = solution.should_range
        text = localized_percent(score, lang)
        if low_high and low_high[1] > low_high[0]:
            low = localized_percent(low_high[0], lang).removesuffix("%").rstrip()
            text += f" ({low}–{localized_percent(low_high[1], lang)})"
        if solution.standing is Standing.ELIMINEE:
            text += f" ✗ {COMPARE_WORDS[lang]['eliminated_short']}"
        elif solution.partial:
            text += f" · {COMPARE_WORDS[lang]['partial']}"
        bars.append(
            {
                "label": solution.label,
                "short": _chart_label(solution.label),
                "y": y,
                "width": round(BAR_WIDTH * (score or 0.0) / 100.0, 2),
                "high": round(BAR_WIDTH * (low_high[1] if low_high else 0.0) / 100.0, 2),
                "text": text,
                "eliminated": solution.standing is Standing.ELIMINEE,
            }
        )
        y += ROW_HEIGHT
    return {"height": y + 6, "bars": bars, "label_width": LABEL_WIDTH}
