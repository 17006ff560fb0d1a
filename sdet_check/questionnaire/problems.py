"""Problems found in an answered questionnaire, and the error listing them all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sdet_check.errors import InputError
from sdet_check.questionnaire.messages import _FRAME, _MESSAGES


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
