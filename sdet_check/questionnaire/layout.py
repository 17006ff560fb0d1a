"""The questionnaire's layout, shared by its writer and its reader.

Format version, pinning keys, answer values per language, sheet and column wording,
column positions, the requirements it asks about, the row seal, and cell access.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from sdet_check.grid import Grid, Method, Requirement
from sdet_check.ods import Workbook

QUESTIONNAIRE_FORMAT = "1"
"""Layout version of the questionnaire; another version is refused on import."""

META_PREFIX = "sdet-check-"
"""Prefix of the custom document properties the questionnaire carries."""

HIDDEN_SHEET = "sdet-check"
"""Name of the hidden sheet pinning the grid (same in both languages)."""

ANSWERS: dict[str, dict[str, str | None]] = {
    "fr": {
        "conforme": "conforme",
        "non conforme": "non_conforme",
        "non applicable": "non_applicable",
        "sans réponse": None,
    },
    "en": {
        "compliant": "conforme",
        "not compliant": "non_conforme",
        "not applicable": "non_applicable",
        "no answer": None,
    },
}
"""Values of the answer column, per language, and the declaration status each gives
(``None``: the row is explicitly left without an answer, no declaration is written)."""

IDENTITY_FIELDS = ("editor", "solution", "solution_version", "author", "date")
"""Keys of the identity sheet, in order; all are required on import."""

_WORDS: dict[str, dict[str, Any]] = {
    "fr": {
        "identity_sheet": "Identité",
        "answers_sheet": "Déclarations",
        "identity_columns": ("clé", "rubrique", "réponse du candidat", "aide"),
        "identity": {
            "editor": ("Éditeur", "Raison sociale de l'éditeur de la solution."),
            "solution": ("Solution", "Nom commercial de la solution proposée."),
            "solution_version": (
                "Version de la solution",
                "Version exacte sur laquelle portent les déclarations (par ex. 5.2.0).",
            ),
            "author": (
                "Répondant (nom, fonction)",
                "Personne qui engage l'éditeur sur ces déclarations.",
            ),
            "date": ("Date de la réponse", "Au format AAAA-MM-JJ (par ex. 2026-09-15)."),
        },
        "columns": (
            "clé", "sceau", "identifiant", "axe", "niveau", "titre", "énoncé",
            "preuve attendue", "réponse", "fichiers de preuve", "titres des preuves",
            "sha256 des preuves", "déclaration ou commentaire",
        ),
        "preamble": (
            "Questionnaire de déclarations — {title} ({ref})",
            "1. Pour chaque ligne, choisir une réponse dans la liste ; « sans réponse » laisse "
            "la ligne explicitement sans réponse.",
            "2. Nommer les fichiers de preuve (séparés par « ; »), relatifs au dossier des "
            "preuves remis avec le questionnaire ; titres et sha256 sont facultatifs.",
            "3. Décrire ce qui est déclaré. Une réponse « conforme » demande une preuve, "
            "« non applicable » une justification.",
            "4. Remplir la feuille « Identité ». Ne pas modifier les autres colonnes.",
        ),
        "validation_title": "Réponse",
        "validation_message": "Choisir une valeur de la liste : {values}.",
        "title": "Questionnaire de déclarations SDET",
        "levels": {"MUST": "exigence (MUST)", "SHOULD": "recommandation (SHOULD)"},
    },
    "en": {
        "identity_sheet": "Identity",
        "answers_sheet": "Declarations",
        "identity_columns": ("key", "field", "bidder's answer", "help"),
        "identity": {
            "editor": ("Editor", "Legal name of the solution's editor."),
            "solution": ("Solution", "Trade name of the proposed solution."),
            "solution_version": (
                "Solution version",
                "Exact version the declarations are about (e.g. 5.2.0).",
            ),
            "author": (
                "Respondent (name, role)",
                "Person committing the editor to these declarations.",
            ),
            "date": ("Date of the answer", "As YYYY-MM-DD (e.g. 2026-09-15)."),
        },
        "columns": (
            "key", "seal", "id", "axis", "level", "title", "statement", "expected proof",
            "answer", "proof files", "proof titles", "proof sha256", "declaration or comment",
        ),
        "preamble": (
            "Declaration questionnaire — {title} ({ref})",
            "1. For each row, choose an answer from the list; \"no answer\" leaves the row "
            "explicitly unanswered.",
            "2. Name the proof files (separated by \";\"), relative to the proof folder handed "
            "in with the questionnaire; titles and sha256 are optional.",
            "3. Describe what is declared. A \"compliant\" answer needs a proof, \"not "
            "applicable\" a justification.",
            "4. Fill in the \"Identity\" sheet. Leave the other columns as they are.",
        ),
        "validation_title": "Answer",
        "validation_message": "Choose a value from the list: {values}.",
        "title": "SDET declaration questionnaire",
        "levels": {"MUST": "requirement (MUST)", "SHOULD": "recommendation (SHOULD)"},
    },
}  # fmt: skip

_KEY, _SEAL, _ID, _AXIS, _LEVEL, _TITLE, _STATEMENT, _EXPECTED = range(8)
_ANSWER, _FILES, _TITLES, _HASHES, _COMMENT = range(8, 13)
_WIDTHS = (2.5, 3.0, 3.2, 2.6, 4.0, 5.0, 9.0, 8.0, 3.6, 5.5, 5.0, 5.0, 9.0)
_EDITABLE = frozenset({_ANSWER, _FILES, _TITLES, _HASHES, _COMMENT})


def declaration_items(grid: Grid) -> list[Requirement]:
    """The requirements of ``grid`` verified by the editor's declaration, in grid order."""
    return [r for r in grid.requirements if r.verification.method is Method.DECLARATION]


def row_seal(grid_hash: str, requirement_id: str) -> str:
    """The seal of a row: binds its requirement id to the grid's content hash.

    It detects edits made by mistake or by hand in the hidden columns; it is not a
    signature (anyone running sdet-check can compute it). Rows may be sorted: the seal
    does not depend on their position.
    """
    digest = hashlib.sha256(f"{grid_hash}\n{requirement_id}".encode())
    return digest.hexdigest()[:24]


def _sheet(workbook: Workbook, words: Mapping[str, Any], key: str) -> list[list[str]] | None:
    # A questionnaire keeps the sheet names of its language; the other language's are
    # accepted too.
    for candidate in (words[key], _WORDS["fr"][key], _WORDS["en"][key]):
        if candidate in workbook.sheets:
            return workbook.sheets[candidate]
    return None


def _cell(row: Sequence[str], index: int) -> str:
    return row[index].strip() if index < len(row) else ""
