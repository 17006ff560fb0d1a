"""Reading an answered questionnaire back into declarations, and writing them out.

``import_questionnaire`` reads an answered questionnaire, checks it against the grid,
hashes the proof files and returns the declarations a run takes; every problem found is
reported at once, each with its sheet, row and fix. ``write_declarations`` writes the
declarations file ``run --declarations`` takes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sdet_check.declarations import Declaration
from sdet_check.grid import Grid
from sdet_check.messages import text
from sdet_check.ods import Workbook, read_ods
from sdet_check.questionnaire.checks import _check_pinning, _identity
from sdet_check.questionnaire.layout import (
    _WORDS,
)
from sdet_check.questionnaire.messages import _FRESH
from sdet_check.questionnaire.problems import _Problems
from sdet_check.questionnaire.rows import _answers


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


def write_declarations(imported: ImportedQuestionnaire, out: Path) -> None:
    """Write the declarations file a run takes (``run --declarations``)."""
    data = imported.to_yaml_data(out.parent)
    author = " ".join(imported.identity.get("author", "").split())[:200]
    head = text(
        "questionnaire.reader.write_declarations.head",
        grid=imported.grid_ref,
        sha256=imported.grid_hash,
        author=author,
        date=imported.identity.get("date", ""),
        unanswered=len(imported.unanswered),
    )
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    out.write_text(head + body, encoding="utf-8")
