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
            "Pour chaque ligne : choisir une réponse dans la liste (« sans réponse » pour "
            "laisser la ligne explicitement sans réponse), nommer les fichiers de preuve "
            "(séparés par « ; », relatifs au dossier des preuves remis avec le questionnaire), "
            "et décrire ce qui est déclaré. Une réponse « conforme » demande une preuve ; "
            "« non applicable » demande une justification. Ne pas modifier les autres colonnes.",
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
            "For each row: choose an answer from the list (\"no answer\" leaves the row "
            "explicitly unanswered), name the proof files (separated by \";\", relative to the "
            "proof folder handed in with the questionnaire) and describe what is declared. A "
            "\"compliant\" answer needs a proof; \"not applicable\" needs a justification. "
            "Leave the other columns as they are.",
        ),
        "validation_title": "Answer",
        "validation_message": "Choose a value from the list: {values}.",
        "title": "SDET declaration questionnaire",
        "levels": {"MUST": "requirement (MUST)", "SHOULD": "recommendation (SHOULD)"},
    },
}  # fmt: skip

_KEY, _SEAL, _ID, _AXIS, _LEVEL, _TITLE, _STATEMENT, _EXPECTED = range(8)
_ANSWER, _FILES, _TITLES, _HASHES, _COMMENT = range(8, 13)
_WIDTHS = (2.5, 3.0, 3.2, 2.6, 3.0, 5.0, 9.0, 8.0, 3.6, 5.5, 5.0, 5.0, 9.0)
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
                    words["preamble"][1],
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


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an answered questionnaire: where, what, and what to do."""

    sheet: str
    row: int | None
    """1-based row number as the spreadsheet shows it, or None for the whole sheet/file."""
    problem: str
    fix: str
    column: str | None = None

    def render(self) -> str:
        """``feuille « Déclarations », ligne 7, colonne « réponse » : … À faire : …``."""
        where = f"feuille « {self.sheet} »"
        if self.row is not None:
            where += f", ligne {self.row}"
        if self.column:
            where += f", colonne « {self.column} »"
        return f"{where} : {self.problem}. À faire : {self.fix}"


class QuestionnaireError(InputError):
    """An answered questionnaire that cannot be imported, with every problem found."""

    def __init__(self, file: Path | str, problems: Sequence[Problem]):
        """Keep every problem; the message lists them, the first ones in full."""
        self.problems = list(problems)
        shown = "\n".join(f"  - {p.render()}" for p in self.problems[:25])
        more = len(self.problems) - 25
        if more > 0:
            shown += f"\n  … et {more} autre(s)"
        super().__init__(
            file,
            f"questionnaire refusé, {len(self.problems)} problème(s) :\n{shown}\n",
            "corriger le questionnaire à ces endroits, puis relancer l'import",
        )


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


def import_questionnaire(file: Path, proofs: Path, grid: Grid) -> ImportedQuestionnaire:
    """Read an answered questionnaire of ``grid``; proof files are looked for under ``proofs``.

    Raises :class:`QuestionnaireError` listing every problem (sheet, row, fix), or
    :class:`InputError` when the file is not a readable questionnaire at all.
    """
    workbook = read_ods(file)
    return check_workbook(workbook, file, proofs, grid)


def check_workbook(
    workbook: Workbook, file: Path | str, proofs: Path, grid: Grid
) -> ImportedQuestionnaire:
    """Validate an already-read workbook (see :func:`import_questionnaire`)."""
    pinned, lang = _check_pinning(workbook, file, grid)
    words = _WORDS[lang]
    problems: list[Problem] = []
    identity = _identity(workbook, words, problems)
    declarations, unanswered = _answers(workbook, words, lang, grid, proofs, identity, problems)
    if problems:
        raise QuestionnaireError(file, problems)
    return ImportedQuestionnaire(
        grid_ref=pinned["grid"],
        grid_hash=pinned["grid_hash"],
        identity=identity,
        declarations=declarations,
        unanswered=unanswered,
    )


def _check_pinning(workbook: Workbook, file: Path | str, grid: Grid) -> tuple[dict[str, str], str]:
    fresh = f"`sdet-check questionnaire {grid.ref} --out questionnaire.ods`"
    sheet = workbook.sheets.get(HIDDEN_SHEET)
    if sheet is None:
        raise QuestionnaireError(
            file,
            [
                Problem(
                    HIDDEN_SHEET,
                    None,
                    "feuille masquée absente : ce classeur n'est pas un questionnaire sdet-check, "
                    "ou la feuille a été supprimée",
                    f"repartir d'un questionnaire produit par {fresh} et y recopier les réponses",
                )
            ],
        )
    pinned = {row[0]: row[1] if len(row) > 1 else "" for row in sheet if row}
    from_meta = {
        key[len(META_PREFIX) :]: value
        for key, value in workbook.metadata.items()
        if key.startswith(META_PREFIX)
    }
    problems = []
    for key in ("format", "grid", "grid_hash", "lang", "rows"):
        if key not in pinned:
            problems.append(
                Problem(
                    HIDDEN_SHEET,
                    None,
                    f"la valeur « {key} » manque dans la feuille masquée",
                    f"repartir d'un questionnaire produit par {fresh}",
                )
            )
        elif from_meta and from_meta.get(key) != pinned[key]:
            row = next(i for i, r in enumerate(sheet, 1) if r and r[0] == key)
            problems.append(
                Problem(
                    HIDDEN_SHEET,
                    row,
                    f"la feuille masquée a été modifiée : « {key} » vaut « {pinned[key][:80]} » "
                    f"alors que les propriétés du document indiquent « {from_meta.get(key)} »",
                    f"repartir d'un questionnaire produit par {fresh} et y recopier les réponses",
                )
            )
    if problems:
        raise QuestionnaireError(file, problems)
    if pinned["format"] != QUESTIONNAIRE_FORMAT:
        raise QuestionnaireError(
            file,
            [
                Problem(
                    HIDDEN_SHEET,
                    None,
                    f"questionnaire de format {pinned['format'][:20]}, cette version de "
                    f"sdet-check lit le format {QUESTIONNAIRE_FORMAT}",
                    f"repartir d'un questionnaire produit par {fresh}",
                )
            ],
        )
    if pinned["grid"] != grid.ref or pinned["grid_hash"] != grid.content_hash:
        what = (
            f"questionnaire établi pour la grille {pinned['grid'][:40]}"
            if pinned["grid"] != grid.ref
            else f"questionnaire établi pour une autre version du contenu de {grid.ref} "
            f"(sha256 {pinned['grid_hash'][:16]}…)"
        )
        raise QuestionnaireError(
            file,
            [
                Problem(
                    HIDDEN_SHEET,
                    None,
                    f"{what}, alors que l'import attend {grid.ref} "
                    f"(sha256 {grid.content_hash[:16]}…)",
                    f"faire remplir le questionnaire de {grid.ref} ({fresh}), ou importer avec "
                    f"--grid {pinned['grid'][:40]} si c'est bien la grille de l'appel d'offres",
                )
            ],
        )
    lang = pinned["lang"] if pinned["lang"] in _WORDS else "fr"
    return pinned, lang


def _sheet(workbook: Workbook, words: Mapping[str, Any], key: str) -> list[list[str]] | None:
    # A questionnaire keeps the sheet names of its language; the other language's are
    # accepted too, for a buyer who renamed nothing but exported in English.
    for candidate in (words[key], _WORDS["fr"][key], _WORDS["en"][key]):
        if candidate in workbook.sheets:
            return workbook.sheets[candidate]
    return None


def _cell(row: Sequence[str], index: int) -> str:
    return row[index].strip() if index < len(row) else ""


def _identity(
    workbook: Workbook, words: Mapping[str, Any], problems: list[Problem]
) -> dict[str, str]:
    name = words["identity_sheet"]
    rows = _sheet(workbook, words, "identity_sheet")
    if rows is None:
        problems.append(
            Problem(
                name,
                None,
                "feuille absente",
                "remettre la feuille d'identité du questionnaire d'origine",
            )
        )
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
            problems.append(
                Problem(
                    name,
                    None,
                    f"la rubrique « {label} » a disparu (colonne masquée modifiée ?)",
                    "repartir de la feuille d'identité du questionnaire d'origine",
                )
            )
        elif not identity[key]:
            problems.append(
                Problem(
                    name,
                    found[key],
                    f"« {label} » n'est pas renseigné",
                    f"écrire {label.lower()} dans la colonne « {column} »",
                    column,
                )
            )
    if identity.get("date"):
        parsed = _parse_date(identity["date"])
        if parsed is None:
            problems.append(
                Problem(
                    name,
                    found["date"],
                    f"date « {identity['date'][:40]} » illisible",
                    "écrire la date au format AAAA-MM-JJ (par ex. 2026-09-15)",
                    column,
                )
            )
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


def _answers(
    workbook: Workbook,
    words: Mapping[str, Any],
    lang: str,
    grid: Grid,
    proofs: Path,
    identity: Mapping[str, str],
    problems: list[Problem],
) -> tuple[list[Declaration], list[str]]:
    name = words["answers_sheet"]
    rows = _sheet(workbook, words, "answers_sheet")
    if rows is None:
        problems.append(
            Problem(name, None, "feuille absente", "remettre la feuille du questionnaire d'origine")
        )
        return [], []
    columns = words["columns"]
    header_at = next(
        (i for i, row in enumerate(rows) if row[:1] == [columns[0]] and len(row) > 1), None
    )
    if header_at is None or [_cell(rows[header_at], i) for i in range(13)] != list(columns):
        problems.append(
            Problem(
                name,
                None if header_at is None else header_at + 1,
                "la ligne d'en-tête a changé (colonne ajoutée, supprimée ou renommée)",
                "remettre les colonnes du questionnaire d'origine dans leur ordre",
            )
        )
        return [], []
    items = declaration_items(grid)
    by_id = {r.id: r for r in items}
    allowed = {
        _normalised(label): status for table in ANSWERS.values() for label, status in table.items()
    }
    values = ", ".join(f"« {v} »" for v in ANSWERS[lang])
    seen: set[str] = set()
    declarations: list[Declaration] = []
    unanswered: list[str] = []
    body = [(number, row) for number, row in enumerate(rows, 1) if number > header_at + 1]
    for number, row in body:
        if not any(cell.strip() for cell in row):
            continue
        key, seal = _cell(row, _KEY), _cell(row, _SEAL)
        expected = row_seal(grid.content_hash, key) if key in by_id else None
        if not key and not seal:
            problems.append(
                Problem(
                    name,
                    number,
                    "ligne ajoutée au questionnaire (colonnes masquées vides)",
                    "supprimer cette ligne : le questionnaire n'accepte que ses propres lignes",
                )
            )
            continue
        if expected is None or seal != expected:
            problems.append(
                Problem(
                    name,
                    number,
                    "une colonne masquée (« clé » ou « sceau ») a été modifiée",
                    "repartir du questionnaire d'origine et y recopier les réponses, sans "
                    "modifier les colonnes masquées",
                    columns[_KEY],
                )
            )
            continue
        if key in seen:
            problems.append(
                Problem(
                    name,
                    number,
                    f"deuxième ligne pour {key} (ligne copiée)",
                    "supprimer la copie : une seule ligne par exigence",
                )
            )
            continue
        seen.add(key)
        requirement = by_id[key]
        if _cell(row, _ID) != key:
            problems.append(
                Problem(
                    name,
                    number,
                    f"l'identifiant affiché « {_cell(row, _ID)[:40]} » ne correspond pas à la "
                    f"ligne ({key})",
                    f"remettre {key} dans la colonne « {columns[_ID]} »",
                    columns[_ID],
                )
            )
        declaration = _row_declaration(
            row, number, name, columns, requirement, allowed, values, proofs, identity, problems
        )
        if declaration is None:
            if _normalised(_cell(row, _ANSWER)) in allowed:
                unanswered.append(key)
            continue
        declarations.append(declaration)
    missing = [r.id for r in items if r.id not in seen]
    if missing and not any(p.sheet == name and "masquée" in p.problem for p in problems):
        problems.append(
            Problem(
                name,
                None,
                f"{len(missing)} ligne(s) du questionnaire ont disparu : {', '.join(missing[:10])}",
                "remettre ces lignes (repartir du questionnaire d'origine)",
            )
        )
    return declarations, unanswered


def _row_declaration(
    row: Sequence[str],
    number: int,
    sheet: str,
    columns: Sequence[str],
    requirement: Requirement,
    allowed: Mapping[str, str | None],
    values: str,
    proofs: Path,
    identity: Mapping[str, str],
    problems: list[Problem],
) -> Declaration | None:
    raw = _cell(row, _ANSWER)
    rid = requirement.id
    if not raw:
        problems.append(
            Problem(
                sheet,
                number,
                f"{rid} n'a pas de réponse",
                f"choisir une valeur parmi {values} (« sans réponse » laisse la ligne "
                "explicitement sans réponse)",
                columns[_ANSWER],
            )
        )
        return None
    normalised = _normalised(raw)
    if normalised not in allowed:
        problems.append(
            Problem(
                sheet,
                number,
                f"réponse « {raw[:60]} » inconnue pour {rid}",
                f"choisir une valeur parmi {values}",
                columns[_ANSWER],
            )
        )
        return None
    status = allowed[normalised]
    files, titles, hashes = (
        _split(_cell(row, _FILES)),
        _split(_cell(row, _TITLES)),
        _split(_cell(row, _HASHES).lower()),
    )
    comment = _cell(row, _COMMENT)
    before = len(problems)
    if status is None:
        if files:
            problems.append(
                Problem(
                    sheet,
                    number,
                    f"{rid} est « sans réponse » mais nomme des preuves",
                    "choisir une réponse, ou vider la colonne des fichiers de preuve",
                    columns[_FILES],
                )
            )
        return None
    if status == "conforme" and not files:
        expected = requirement.verification.proofs
        problems.append(
            Problem(
                sheet,
                number,
                f"{rid} est déclaré conforme sans preuve",
                "nommer le ou les fichiers de preuve remis"
                + (f" (preuve attendue : {expected.fr})" if expected else ""),
                columns[_FILES],
            )
        )
    if status == "non_applicable" and not comment:
        problems.append(
            Problem(
                sheet,
                number,
                f"{rid} est déclaré non applicable sans justification",
                "expliquer pourquoi dans la colonne « " + columns[_COMMENT] + " »",
                columns[_COMMENT],
            )
        )
    if titles and len(titles) != len(files):
        problems.append(
            Problem(
                sheet,
                number,
                f"{len(titles)} titre(s) pour {len(files)} fichier(s) de preuve",
                "donner un titre par fichier, dans le même ordre, séparés par « ; » (ou aucun)",
                columns[_TITLES],
            )
        )
    if hashes and len(hashes) != len(files):
        problems.append(
            Problem(
                sheet,
                number,
                f"{len(hashes)} empreinte(s) sha256 pour {len(files)} fichier(s) de preuve",
                "donner une empreinte par fichier, dans le même ordre (ou aucune)",
                columns[_HASHES],
            )
        )
        hashes = []
    documents = []
    for index, name in enumerate(files):
        path = _proof_path(proofs, name)
        if path is None:
            problems.append(
                Problem(
                    sheet,
                    number,
                    f"nom de preuve « {name[:80]} » hors du dossier des preuves",
                    "donner un nom de fichier relatif au dossier des preuves (sans « .. » ni "
                    "chemin absolu)",
                    columns[_FILES],
                )
            )
            continue
        if not path.is_file():
            problems.append(
                Problem(
                    sheet,
                    number,
                    f"preuve « {name[:80]} » introuvable dans {proofs}",
                    "joindre ce fichier au dossier des preuves, ou corriger son nom",
                    columns[_FILES],
                )
            )
            continue
        digest = _sha256(path)
        if hashes:
            given = hashes[index]
            if not _SHA256.match(given):
                problems.append(
                    Problem(
                        sheet,
                        number,
                        f"empreinte « {given[:70]} » illisible",
                        "écrire l'empreinte sha256 en 64 caractères hexadécimaux "
                        "(sha256sum FICHIER), ou vider la cellule",
                        columns[_HASHES],
                    )
                )
            elif given != digest:
                problems.append(
                    Problem(
                        sheet,
                        number,
                        f"la preuve « {name[:80]} » a changé : son sha256 est {digest[:16]}…, "
                        f"le questionnaire annonce {given[:16]}…",
                        "joindre la version du document sur laquelle porte la réponse, ou "
                        "corriger l'empreinte si le document a été remplacé à bon escient",
                        columns[_HASHES],
                    )
                )
        title = titles[index] if titles else path.name
        documents.append(ProofDocument(title=title, sha256=digest, path=str(path), check="ok"))
    if len(problems) > before:
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
