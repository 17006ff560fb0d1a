"""The questionnaire bidders answer: the grid's declaration items as an ODS spreadsheet.

``write_questionnaire`` lays out one row per requirement verified by a declaration (its
statement, the proof expected, an answer chosen from a list, proof file names, a comment),
a sheet for the bidder's identity, and a hidden sheet pinning the grid (reference and
content hash), also kept in the document's custom properties. Every row carries, in two
hidden columns, its requirement id and a seal binding that id to the grid hash, so that an
edited hidden column is found on import.

``import_questionnaire`` reads an answered questionnaire back, checks it against the grid,
hashes the proof files and returns the declarations a run takes; every problem found is
reported at once, each with its sheet, row and fix.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from sdet_check.declarations import Declaration, ProofDocument
from sdet_check.errors import InputError
from sdet_check.grid import Grid, Method, Requirement
from sdet_check.ods import Column, ListValidation, Sheet, Workbook, read_ods, write_ods

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
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


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


@dataclass(frozen=True)
class Answer:
    """A bidder's answer to one row, as a questionnaire is pre-filled with it."""

    status: str | None
    """``conforme``, ``non_conforme``, ``non_applicable``, or None for "sans réponse"."""
    comment: str = ""
    files: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    hashes: tuple[str, ...] = ()


def write_questionnaire(
    grid: Grid,
    lang: str = "fr",
    *,
    identity: Mapping[str, str] | None = None,
    answers: Mapping[str, Answer] | None = None,
    rest_unanswered: bool = False,
) -> bytes:
    """The questionnaire of ``grid`` as ODS bytes, optionally pre-filled.

    ``identity`` fills the identity sheet (keys of :data:`IDENTITY_FIELDS`); ``answers``
    fills rows by requirement id (a previous declarations file, see :func:`answers_from`);
    with ``rest_unanswered``, the other rows read "sans réponse" instead of staying empty.
    """
    words = _WORDS[lang]
    identity = identity or {}
    answers = answers or {}
    labels = {status: label for label, status in ANSWERS[lang].items()}
    identity_rows = [
        [key, words["identity"][key][0], identity.get(key, ""), words["identity"][key][1]]
        for key in IDENTITY_FIELDS
    ]
    rows = []
    for requirement in declaration_items(grid):
        answer = answers.get(requirement.id, Answer(None) if rest_unanswered else None)
        proofs = requirement.verification.proofs
        rows.append(
            [
                requirement.id,
                row_seal(grid.content_hash, requirement.id),
                requirement.id,
                grid.axis(requirement.axis).label.get(lang).split(" (")[0],
                words["levels"][requirement.level.value],
                requirement.title.get(lang),
                requirement.statement.get(lang),
                proofs.get(lang) if proofs else "",
                labels[answer.status] if answer else "",
                "; ".join(answer.files) if answer else "",
                "; ".join(answer.titles) if answer else "",
                "; ".join(answer.hashes) if answer else "",
                answer.comment if answer else "",
            ]
        )
    pinned = _pinned(grid, lang, len(rows))
    identity_columns = [
        Column(words["identity_columns"][0], 2.5, hidden=True),
        Column(words["identity_columns"][1], 6.0),
        Column(words["identity_columns"][2], 9.0, editable=True),
        Column(words["identity_columns"][3], 11.0),
    ]
    answer_columns = [
        Column(
            header,
            _WIDTHS[index],
            hidden=index in (_KEY, _SEAL),
            editable=index in _EDITABLE,
            validation="answers" if index == _ANSWER else None,
        )
        for index, header in enumerate(words["columns"])
    ]
    values = list(ANSWERS[lang])
    return write_ods(
        [
            Sheet(words["identity_sheet"], identity_columns, identity_rows, protected=True),
            Sheet(
                words["answers_sheet"],
                answer_columns,
                rows,
                protected=True,
                autofilter=True,
                preamble=[
                    words["preamble"][0].format(title=grid.title.get(lang), ref=grid.ref),
                    *words["preamble"][1:],
                ],
            ),
            Sheet(
                HIDDEN_SHEET,
                [Column("clé", 4.0), Column("valeur", 12.0)],
                [[key, value] for key, value in pinned.items()],
                hidden=True,
                protected=True,
            ),
        ],
        title=f"{words['title']} — {grid.ref}",
        language=lang,
        validations=[
            ListValidation(
                "answers",
                values,
                words["validation_title"],
                words["validation_message"].format(values=", ".join(values)),
            )
        ],
        metadata={META_PREFIX + key: value for key, value in pinned.items()},
    )


def _pinned(grid: Grid, lang: str, count: int) -> dict[str, str]:
    return {
        "format": QUESTIONNAIRE_FORMAT,
        "grid": grid.ref,
        "grid_hash": grid.content_hash,
        "lang": lang,
        "rows": str(count),
    }


def answers_from(declarations: Sequence[Declaration]) -> dict[str, Answer]:
    """Answers pre-filling a questionnaire from a declarations file (last year's, an example)."""
    return {
        d.requirement: Answer(
            status=d.status,
            comment=d.text,
            files=tuple(Path(doc.path).name for doc in d.documents if doc.path),
            titles=tuple(doc.title for doc in d.documents if doc.path),
            hashes=tuple(doc.sha256 for doc in d.documents if doc.path),
        )
        for d in declarations
    }


# --- import ------------------------------------------------------------------------------------

_FRESH = "`sdet-check questionnaire {ref} --out questionnaire.ods`"

_MESSAGES: dict[str, dict[str, tuple[str, str]]] = {
    "fr": {
        "no_hidden": (
            "feuille masquée absente : ce classeur n'est pas un questionnaire sdet-check, ou la "
            "feuille a été supprimée",
            "repartir d'un questionnaire produit par {fresh} et y recopier les réponses",
        ),
        "pin_missing": (
            "la valeur « {key} » manque dans la feuille masquée",
            "repartir d'un questionnaire produit par {fresh}",
        ),
        "pin_edited": (
            "la feuille masquée a été modifiée : « {key} » vaut « {value} » alors que les "
            "propriétés du document indiquent « {meta} »",
            "repartir d'un questionnaire produit par {fresh} et y recopier les réponses",
        ),
        "format": (
            "questionnaire de format {found}, cette version de sdet-check lit le format {expected}",
            "repartir d'un questionnaire produit par {fresh}",
        ),
        "other_grid": (
            "questionnaire établi pour la grille {found}, alors que l'import attend {ref} "
            "(sha256 {hash}…)",
            "faire remplir le questionnaire de {ref} ({fresh}), ou importer avec --grid {found} "
            "si c'est bien la grille de l'appel d'offres",
        ),
        "other_content": (
            "questionnaire établi pour une autre version du contenu de {ref} (sha256 {found}…), "
            "alors que l'import attend sha256 {hash}…",
            "faire remplir le questionnaire produit par {fresh} avec la grille installée",
        ),
        "sheet_missing": (
            "feuille absente",
            "remettre la feuille du questionnaire d'origine",
        ),
        "field_gone": (
            "la rubrique « {label} » a disparu (colonne masquée modifiée ?)",
            "repartir de la feuille d'identité du questionnaire d'origine",
        ),
        "field_empty": (
            "« {label} » n'est pas renseigné",
            "écrire cette information dans la colonne « {column} »",
        ),
        "bad_date": (
            "date « {value} » illisible",
            "écrire la date au format AAAA-MM-JJ (par ex. 2026-09-15)",
        ),
        "header": (
            "la ligne d'en-tête a changé (colonne ajoutée, supprimée ou renommée)",
            "remettre les colonnes du questionnaire d'origine dans leur ordre",
        ),
        "added_row": (
            "ligne ajoutée au questionnaire (colonnes masquées vides)",
            "supprimer cette ligne : le questionnaire n'accepte que ses propres lignes",
        ),
        "hidden_edited": (
            "une colonne masquée (« {key} » ou « {seal} ») a été modifiée",
            "repartir du questionnaire d'origine et y recopier les réponses, sans modifier les "
            "colonnes masquées",
        ),
        "duplicate": (
            "deuxième ligne pour {rid} (ligne copiée)",
            "supprimer la copie : une seule ligne par exigence",
        ),
        "id_edited": (
            "l'identifiant affiché « {shown} » ne correspond pas à la ligne ({rid})",
            "remettre {rid} dans la colonne « {column} »",
        ),
        "rows_gone": (
            "{count} ligne(s) du questionnaire ont disparu : {ids}",
            "remettre ces lignes (repartir du questionnaire d'origine)",
        ),
        "no_answer": (
            "{rid} n'a pas de réponse",
            "choisir une valeur parmi {values} (« {blank} » laisse la ligne explicitement sans "
            "réponse)",
        ),
        "unknown_answer": (
            "réponse « {value} » inconnue pour {rid}",
            "choisir une valeur parmi {values}",
        ),
        "blank_with_proofs": (
            "{rid} est « {blank} » mais nomme des preuves",
            "choisir une réponse, ou vider la colonne des fichiers de preuve",
        ),
        "no_proof": (
            "{rid} est déclaré conforme sans preuve",
            "nommer le ou les fichiers de preuve remis (preuve attendue : {expected})",
        ),
        "no_justification": (
            "{rid} est déclaré non applicable sans justification",
            "expliquer pourquoi dans la colonne « {column} »",
        ),
        "titles_count": (
            "{titles} titre(s) pour {files} fichier(s) de preuve",
            "donner un titre par fichier, dans le même ordre, séparés par « ; » (ou aucun)",
        ),
        "hashes_count": (
            "{hashes} empreinte(s) sha256 pour {files} fichier(s) de preuve",
            "donner une empreinte par fichier, dans le même ordre (ou aucune)",
        ),
        "outside": (
            "nom de preuve « {name} » hors du dossier des preuves",
            "donner un nom de fichier relatif au dossier des preuves (sans « .. » ni chemin "
            "absolu)",
        ),
        "missing_file": (
            "preuve « {name} » introuvable dans {folder}",
            "joindre ce fichier au dossier des preuves, ou corriger son nom",
        ),
        "bad_hash": (
            "empreinte « {value} » illisible",
            "écrire l'empreinte sha256 en 64 caractères hexadécimaux (sha256sum FICHIER), ou "
            "vider la cellule",
        ),
        "changed": (
            "la preuve « {name} » a changé : son sha256 est {found}…, le questionnaire annonce "
            "{given}…",
            "joindre la version du document sur laquelle porte la réponse, ou corriger "
            "l'empreinte si le document a été remplacé à bon escient",
        ),
    },
    "en": {
        "no_hidden": (
            "hidden sheet missing: this workbook is not an sdet-check questionnaire, or the "
            "sheet was deleted",
            "start again from a questionnaire made by {fresh} and copy the answers into it",
        ),
        "pin_missing": (
            'the value "{key}" is missing from the hidden sheet',
            "start again from a questionnaire made by {fresh}",
        ),
        "pin_edited": (
            'the hidden sheet was edited: "{key}" reads "{value}" while the document '
            'properties say "{meta}"',
            "start again from a questionnaire made by {fresh} and copy the answers into it",
        ),
        "format": (
            "questionnaire of format {found}; this version of sdet-check reads format {expected}",
            "start again from a questionnaire made by {fresh}",
        ),
        "other_grid": (
            "questionnaire made for grid {found}, while the import expects {ref} (sha256 {hash}…)",
            "have the questionnaire of {ref} answered ({fresh}), or import with --grid {found} "
            "if that is the tender's grid",
        ),
        "other_content": (
            "questionnaire made for another content of {ref} (sha256 {found}…), while the "
            "import expects sha256 {hash}…",
            "have the questionnaire made by {fresh} with the installed grid answered",
        ),
        "sheet_missing": (
            "sheet missing",
            "put back the sheet of the original questionnaire",
        ),
        "field_gone": (
            'the field "{label}" is gone (hidden column edited?)',
            "start again from the identity sheet of the original questionnaire",
        ),
        "field_empty": (
            '"{label}" is empty',
            'write it in the column "{column}"',
        ),
        "bad_date": (
            'unreadable date "{value}"',
            "write the date as YYYY-MM-DD (e.g. 2026-09-15)",
        ),
        "header": (
            "the header row changed (column added, removed or renamed)",
            "put back the columns of the original questionnaire, in their order",
        ),
        "added_row": (
            "row added to the questionnaire (hidden columns empty)",
            "delete this row: the questionnaire only takes its own rows",
        ),
        "hidden_edited": (
            'a hidden column ("{key}" or "{seal}") was edited',
            "start again from the original questionnaire and copy the answers into it, "
            "leaving the hidden columns alone",
        ),
        "duplicate": (
            "second row for {rid} (copied row)",
            "delete the copy: one row per requirement",
        ),
        "id_edited": (
            'the displayed id "{shown}" does not match the row ({rid})',
            'put {rid} back in the column "{column}"',
        ),
        "rows_gone": (
            "{count} row(s) of the questionnaire are gone: {ids}",
            "put these rows back (start again from the original questionnaire)",
        ),
        "no_answer": (
            "{rid} has no answer",
            'choose a value among {values} ("{blank}" leaves the row explicitly unanswered)',
        ),
        "unknown_answer": (
            'unknown answer "{value}" for {rid}',
            "choose a value among {values}",
        ),
        "blank_with_proofs": (
            '{rid} reads "{blank}" but names proofs',
            "choose an answer, or empty the proof files column",
        ),
        "no_proof": (
            "{rid} is declared compliant without a proof",
            "name the proof file(s) handed in (expected proof: {expected})",
        ),
        "no_justification": (
            "{rid} is declared not applicable without a justification",
            'explain why in the column "{column}"',
        ),
        "titles_count": (
            "{titles} title(s) for {files} proof file(s)",
            'give one title per file, in the same order, separated by ";" (or none)',
        ),
        "hashes_count": (
            "{hashes} sha256 fingerprint(s) for {files} proof file(s)",
            "give one fingerprint per file, in the same order (or none)",
        ),
        "outside": (
            'proof name "{name}" outside the proof folder',
            'give a file name relative to the proof folder (no "..", no absolute path)',
        ),
        "missing_file": (
            'proof "{name}" not found in {folder}',
            "add this file to the proof folder, or correct its name",
        ),
        "bad_hash": (
            'unreadable fingerprint "{value}"',
            "write the sha256 fingerprint as 64 hexadecimal characters (sha256sum FILE), or "
            "empty the cell",
        ),
        "changed": (
            'the proof "{name}" changed: its sha256 is {found}…, the questionnaire says {given}…',
            "hand in the version of the document the answer is about, or correct the "
            "fingerprint if the document was rightly replaced",
        ),
    },
}
"""Every problem an import can find, with its fix, in French and English."""

_FRAME = {
    "fr": {
        "sheet": "feuille « {sheet} »", "row": ", ligne {row}", "column": ", colonne « {column} »",
        "line": "{where} : {problem}. À faire : {fix}",
        "summary": "questionnaire refusé, {n} problème(s)",
        "head": "{file} : {problem} ; les corriger, puis relancer l'import :\n{shown}",
        "more": "\n  … et {n} autre(s)",
        "fix": "corriger le questionnaire à ces endroits, puis relancer l'import",
    },
    "en": {
        "sheet": "sheet \"{sheet}\"", "row": ", row {row}", "column": ", column \"{column}\"",
        "line": "{where}: {problem}. To do: {fix}",
        "summary": "questionnaire refused, {n} problem(s)",
        "head": "{file}: {problem}; correct them, then import again:\n{shown}",
        "more": "\n  … and {n} more",
        "fix": "correct the questionnaire at these places, then import it again",
    },
}  # fmt: skip


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an answered questionnaire: where, what, and what to do."""

    sheet: str
    row: int | None
    """1-based row number as the spreadsheet shows it, or None for the whole sheet/file."""
    problem: str
    fix: str
    column: str | None = None
    lang: str = "fr"

    def render(self) -> str:
        """``feuille « Déclarations », ligne 7, colonne « réponse » : … À faire : …``."""
        frame = _FRAME[self.lang]
        where = frame["sheet"].format(sheet=self.sheet)
        if self.row is not None:
            where += frame["row"].format(row=self.row)
        if self.column:
            where += frame["column"].format(column=self.column)
        return frame["line"].format(where=where, problem=self.problem, fix=self.fix)


class QuestionnaireError(InputError):
    """An answered questionnaire that cannot be imported, with every problem found."""

    def __init__(self, file: Path | str, problems: Sequence[Problem], lang: str = "fr"):
        """Keep every problem; the message lists them, the first ones in full."""
        self.problems = list(problems)
        self.lang = lang
        frame = _FRAME[lang]
        self.shown = "\n".join(f"  - {p.render()}" for p in self.problems[:25])
        if len(self.problems) > 25:
            self.shown += frame["more"].format(n=len(self.problems) - 25)
        super().__init__(file, frame["summary"].format(n=len(self.problems)), frame["fix"])

    def render(self) -> str:
        """The file, the count, then one line per problem (sheet, row, column, fix)."""
        frame = _FRAME[self.lang]
        return frame["head"].format(file=self.file, problem=self.problem, shown=self.shown)


class _Problems:
    """Problems found so far, worded in the language of the import."""

    def __init__(self, lang: str, fresh: str) -> None:
        self.lang = lang if lang in _MESSAGES else "fr"
        self.fresh = fresh
        self.items: list[Problem] = []

    def add(
        self,
        sheet: str,
        row: int | None,
        message: str,
        column: str | None = None,
        /,
        **params: Any,
    ) -> None:
        """Record the problem ``message`` (a key of the message table) at this place."""
        problem, fix = _MESSAGES[self.lang][message]
        params = {"fresh": self.fresh, **params}
        self.items.append(
            Problem(sheet, row, problem.format(**params), fix.format(**params), column, self.lang)
        )

    def error(self, file: Path | str) -> QuestionnaireError:
        return QuestionnaireError(file, self.items, self.lang)


@dataclass
class ImportedQuestionnaire:
    """What an answered questionnaire gives: the bidder's identity and the declarations."""

    grid_ref: str
    grid_hash: str
    identity: dict[str, str]
    declarations: list[Declaration]
    unanswered: list[str] = field(default_factory=list)
    """Requirements explicitly left "sans réponse"."""

    def to_yaml_data(self, out_dir: Path) -> dict[str, Any]:
        """The declarations file's content; proof paths relative to ``out_dir``."""
        entries = []
        for declaration in self.declarations:
            entry = declaration.to_json()
            entry["documents"] = [
                {
                    "title": document.title,
                    "path": _relative(Path(document.path or ""), out_dir),
                    "sha256": document.sha256,
                }
                for document in declaration.documents
            ]
            if not entry["documents"]:
                del entry["documents"]
            entries.append(entry)
        return {
            "format": 1,
            "editor": self.identity["editor"],
            "solution": self.identity["solution"],
            "solution_version": self.identity["solution_version"],
            "declarations": entries,
        }


def _relative(path: Path, base: Path) -> str:
    try:
        return Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()
    except ValueError:  # another drive (Windows)
        return path.resolve().as_posix()


def import_questionnaire(
    file: Path, proofs: Path, grid: Grid, lang: str = "fr"
) -> ImportedQuestionnaire:
    """Read an answered questionnaire of ``grid``; proof files are looked for under ``proofs``.

    Raises :class:`QuestionnaireError` listing every problem (sheet, row, fix) in ``lang``,
    or :class:`InputError` when the file is not a readable questionnaire at all.
    """
    workbook = read_ods(file)
    return check_workbook(workbook, file, proofs, grid, lang)


def check_workbook(
    workbook: Workbook, file: Path | str, proofs: Path, grid: Grid, lang: str = "fr"
) -> ImportedQuestionnaire:
    """Validate an already-read workbook (see :func:`import_questionnaire`)."""
    problems = _Problems(lang, _FRESH.format(ref=grid.ref))
    pinned = _check_pinning(workbook, grid, problems)
    if problems.items:
        raise problems.error(file)
    words = _WORDS[pinned["lang"] if pinned["lang"] in _WORDS else "fr"]
    identity = _identity(workbook, words, problems)
    declarations, unanswered = _answers(workbook, words, grid, proofs, identity, problems)
    if problems.items:
        raise problems.error(file)
    return ImportedQuestionnaire(
        grid_ref=pinned["grid"],
        grid_hash=pinned["grid_hash"],
        identity=identity,
        declarations=declarations,
        unanswered=unanswered,
    )


def _check_pinning(workbook: Workbook, grid: Grid, problems: _Problems) -> dict[str, str]:
    sheet = workbook.sheets.get(HIDDEN_SHEET)
    if sheet is None:
        problems.add(HIDDEN_SHEET, None, "no_hidden")
        return {}
    pinned = {row[0]: row[1] if len(row) > 1 else "" for row in sheet if row}
    from_meta = {
        key[len(META_PREFIX) :]: value
        for key, value in workbook.metadata.items()
        if key.startswith(META_PREFIX)
    }
    for key in ("format", "grid", "grid_hash", "lang", "rows"):
        if key not in pinned:
            problems.add(HIDDEN_SHEET, None, "pin_missing", key=key)
        elif from_meta and from_meta.get(key) != pinned[key]:
            row = next(i for i, r in enumerate(sheet, 1) if r and r[0] == key)
            problems.add(
                HIDDEN_SHEET,
                row,
                "pin_edited",
                key=key,
                value=pinned[key][:80],
                meta=str(from_meta.get(key))[:80],
            )
    if problems.items:
        return pinned
    if pinned["format"] != QUESTIONNAIRE_FORMAT:
        problems.add(
            HIDDEN_SHEET,
            None,
            "format",
            found=pinned["format"][:20],
            expected=QUESTIONNAIRE_FORMAT,
        )
    elif pinned["grid"] != grid.ref:
        problems.add(
            HIDDEN_SHEET,
            None,
            "other_grid",
            found=pinned["grid"][:40],
            ref=grid.ref,
            hash=grid.content_hash[:16],
        )
    elif pinned["grid_hash"] != grid.content_hash:
        problems.add(
            HIDDEN_SHEET,
            None,
            "other_content",
            found=pinned["grid_hash"][:16],
            ref=grid.ref,
            hash=grid.content_hash[:16],
        )
    return pinned


def _sheet(workbook: Workbook, words: Mapping[str, Any], key: str) -> list[list[str]] | None:
    # A questionnaire keeps the sheet names of its language; the other language's are
    # accepted too.
    for candidate in (words[key], _WORDS["fr"][key], _WORDS["en"][key]):
        if candidate in workbook.sheets:
            return workbook.sheets[candidate]
    return None


def _cell(row: Sequence[str], index: int) -> str:
    return row[index].strip() if index < len(row) else ""


def _identity(workbook: Workbook, words: Mapping[str, Any], problems: _Problems) -> dict[str, str]:
    name = words["identity_sheet"]
    rows = _sheet(workbook, words, "identity_sheet")
    if rows is None:
        problems.add(name, None, "sheet_missing")
        return {}
    identity: dict[str, str] = {}
    found: dict[str, int] = {}
    for number, row in enumerate(rows, 1):
        key = _cell(row, 0)
        if key in IDENTITY_FIELDS:
            found[key] = number
            identity[key] = _cell(row, 2)
    column = words["identity_columns"][2]
    for key in IDENTITY_FIELDS:
        label = words["identity"][key][0]
        if key not in found:
            problems.add(name, None, "field_gone", label=label)
        elif not identity[key]:
            problems.add(name, found[key], "field_empty", column, label=label, column=column)
    if identity.get("date"):
        parsed = _parse_date(identity["date"])
        if parsed is None:
            problems.add(name, found["date"], "bad_date", column, value=identity["date"][:40])
        else:
            identity["date"] = parsed
    return identity


def _parse_date(value: str) -> str | None:
    value = value.strip()
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
    if match:
        value = f"{match.group(3)}-{int(match.group(2)):02d}-{int(match.group(1)):02d}"
    try:
        return date.fromisoformat(value[:10]).isoformat() if len(value) in (10, 19) else None
    except ValueError:
        return None


def _normalised(value: str) -> str:
    return " ".join(value.replace("_", " ").split()).casefold()


def _split(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;\n]", value) if part.strip()]


_ALLOWED = {
    _normalised(label): status for table in ANSWERS.values() for label, status in table.items()
}
"""Every accepted answer, in either language, normalised, with the status it gives."""


def _answers(
    workbook: Workbook,
    words: Mapping[str, Any],
    grid: Grid,
    proofs: Path,
    identity: Mapping[str, str],
    problems: _Problems,
) -> tuple[list[Declaration], list[str]]:
    name = words["answers_sheet"]
    rows = _sheet(workbook, words, "answers_sheet")
    if rows is None:
        problems.add(name, None, "sheet_missing")
        return [], []
    columns = words["columns"]
    header_at = next(
        (i for i, row in enumerate(rows) if row[:1] == [columns[0]] and len(row) > 1), None
    )
    if header_at is None or [_cell(rows[header_at], i) for i in range(13)] != list(columns):
        problems.add(name, None if header_at is None else header_at + 1, "header")
        return [], []
    items = declaration_items(grid)
    by_id = {r.id: r for r in items}
    seen: set[str] = set()
    declarations: list[Declaration] = []
    unanswered: list[str] = []
    hidden_edits = False
    for number, row in enumerate(rows[header_at + 1 :], header_at + 2):
        if not any(cell.strip() for cell in row):
            continue
        key, seal = _cell(row, _KEY), _cell(row, _SEAL)
        if not key and not seal:
            problems.add(name, number, "added_row")
            continue
        if key not in by_id or seal != row_seal(grid.content_hash, key):
            hidden_edits = True
            problems.add(
                name, number, "hidden_edited", columns[_KEY], key=columns[_KEY], seal=columns[_SEAL]
            )
            continue
        if key in seen:
            problems.add(name, number, "duplicate", rid=key)
            continue
        seen.add(key)
        if _cell(row, _ID) != key:
            problems.add(
                name, number, "id_edited", columns[_ID], shown=_cell(row, _ID)[:40], rid=key,
                column=columns[_ID],
            )  # fmt: skip
        answer = _row_declaration(
            row, number, name, columns, by_id[key], proofs, identity, problems
        )
        if isinstance(answer, Declaration):
            declarations.append(answer)
        elif answer == "unanswered":
            unanswered.append(key)
    missing = [r.id for r in items if r.id not in seen]
    if missing and not hidden_edits:
        problems.add(name, None, "rows_gone", count=len(missing), ids=", ".join(missing[:10]))
    return declarations, unanswered


def _row_declaration(
    row: Sequence[str],
    number: int,
    sheet: str,
    columns: Sequence[str],
    requirement: Requirement,
    proofs: Path,
    identity: Mapping[str, str],
    problems: _Problems,
) -> Declaration | str | None:
    """The row's declaration, ``"unanswered"`` for "sans réponse", None when refused."""
    lang = problems.lang
    values = ", ".join(f"« {v} »" if lang == "fr" else f'"{v}"' for v in ANSWERS[lang])
    blank = next(label for label, status in ANSWERS[lang].items() if status is None)
    raw = _cell(row, _ANSWER)
    rid = requirement.id
    if not raw:
        problems.add(
            sheet, number, "no_answer", columns[_ANSWER], rid=rid, values=values, blank=blank
        )
        return None
    normalised = _normalised(raw)
    if normalised not in _ALLOWED:
        problems.add(
            sheet, number, "unknown_answer", columns[_ANSWER], value=raw[:60], rid=rid,
            values=values,
        )  # fmt: skip
        return None
    status = _ALLOWED[normalised]
    files = _split(_cell(row, _FILES))
    titles = _split(_cell(row, _TITLES))
    hashes = _split(_cell(row, _HASHES).lower())
    comment = _cell(row, _COMMENT)
    before = len(problems.items)
    if status is None:
        if files:
            problems.add(sheet, number, "blank_with_proofs", columns[_FILES], rid=rid, blank=blank)
            return None
        return "unanswered"
    if status == "conforme" and not files:
        expected = requirement.verification.proofs
        problems.add(
            sheet, number, "no_proof", columns[_FILES], rid=rid,
            expected=expected.get(lang) if expected else "—",
        )  # fmt: skip
    if status == "non_applicable" and not comment:
        problems.add(
            sheet, number, "no_justification", columns[_COMMENT], rid=rid, column=columns[_COMMENT]
        )
    if titles and len(titles) != len(files):
        problems.add(
            sheet, number, "titles_count", columns[_TITLES], titles=len(titles), files=len(files)
        )
    if hashes and len(hashes) != len(files):
        problems.add(
            sheet, number, "hashes_count", columns[_HASHES], hashes=len(hashes), files=len(files)
        )
        hashes = []
    documents = []
    for index, name in enumerate(files):
        path = _proof_path(proofs, name)
        if path is None:
            problems.add(sheet, number, "outside", columns[_FILES], name=name[:80])
            continue
        if not path.is_file():
            problems.add(
                sheet, number, "missing_file", columns[_FILES], name=name[:80], folder=proofs
            )
            continue
        digest = _sha256(path)
        if hashes:
            given = hashes[index]
            if not _SHA256.match(given):
                problems.add(sheet, number, "bad_hash", columns[_HASHES], value=given[:70])
            elif given != digest:
                problems.add(
                    sheet, number, "changed", columns[_HASHES], name=name[:80],
                    found=digest[:16], given=given[:16],
                )  # fmt: skip
        title = titles[index] if titles else path.name
        documents.append(ProofDocument(title=title, sha256=digest, path=str(path), check="ok"))
    if len(problems.items) > before:
        return None
    return Declaration(
        requirement=rid,
        status=status,
        text=comment or _default_statement(status),
        author=identity.get("author", ""),
        date=identity.get("date", ""),
        documents=tuple(documents),
    )


def _default_statement(status: str) -> str:
    return f"Déclaré {status.replace('_', ' ')} dans le questionnaire."


def _proof_path(proofs: Path, name: str) -> Path | None:
    candidate = Path(name.replace("\\", "/"))
    if candidate.is_absolute() or ".." in candidate.parts or not candidate.parts:
        return None
    path = proofs / candidate
    try:
        path.resolve().relative_to(proofs.resolve())
    except (ValueError, OSError):
        return None
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def write_declarations(imported: ImportedQuestionnaire, out: Path) -> None:
    """Write the declarations file a run takes (``run --declarations``)."""
    data = imported.to_yaml_data(out.parent)
    author = " ".join(imported.identity.get("author", "").split())[:200]
    head = (
        "# Déclarations importées d'un questionnaire sdet-check "
        f"(grille {imported.grid_ref}, sha256 {imported.grid_hash}).\n"
        f"# Répondant : {author}, le {imported.identity.get('date', '')}. "
        f"Lignes laissées sans réponse : {len(imported.unanswered)}.\n"
    )
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    out.write_text(head + body, encoding="utf-8")
