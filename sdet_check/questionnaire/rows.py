"""Checks on the answer rows, giving the declarations a run takes.

Each row's hidden key and seal, its answer, justification and proof files (found under the
proof folder, hashed, compared with the fingerprints given).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sdet_check.declarations import Declaration, ProofDocument, sha256_file
from sdet_check.grid import Grid, Requirement
from sdet_check.messages import text
from sdet_check.ods import Workbook
from sdet_check.questionnaire.layout import (
    _ANSWER,
    _COMMENT,
    _FILES,
    _HASHES,
    _ID,
    _KEY,
    _SEAL,
    _TITLES,
    ANSWERS,
    _cell,
    _sheet,
    declaration_items,
    row_seal,
)
from sdet_check.questionnaire.problems import _Problems

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


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
        digest = sha256_file(path)
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
        text=comment or _default_statement(status, problems.lang),
        author=identity.get("author", ""),
        date=identity.get("date", ""),
        documents=tuple(documents),
    )


def _default_statement(status: str, lang: str) -> str:
    """The statement of an answer given without a comment, in the language of the import."""
    declared = text(f"runner.declared_status.{status}", lang)
    return text("questionnaire.rows.default_statement", lang, status=declared)


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
