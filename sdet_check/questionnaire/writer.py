"""Writing the questionnaire: the grid's declaration items as an ODS spreadsheet.

``write_questionnaire`` lays out one row per requirement verified by a declaration (its
statement, the proof expected, an answer chosen from a list, proof file names, a comment),
a sheet for the bidder's identity, and a hidden sheet pinning the grid (reference and
content hash), also kept in the document's custom properties. ``answers_from`` pre-fills
it from a declarations file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sdet_check.declarations import Declaration
from sdet_check.grid import Grid
from sdet_check.ods import Column, ListValidation, Sheet, write_ods
from sdet_check.questionnaire.layout import (
    _ANSWER,
    _EDITABLE,
    _KEY,
    _SEAL,
    _WIDTHS,
    _WORDS,
    ANSWERS,
    HIDDEN_SHEET,
    IDENTITY_FIELDS,
    META_PREFIX,
    QUESTIONNAIRE_FORMAT,
    declaration_items,
    row_seal,
)


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
