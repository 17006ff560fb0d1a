"""Problems found in an answered questionnaire, and the error listing them all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sdet_check.errors import InputError
from sdet_check.questionnaire.messages import frame_text, problem_text


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
        where = frame_text(self.lang, "sheet", sheet=self.sheet)
        if self.row is not None:
            where += frame_text(self.lang, "row", row=self.row)
        if self.column:
            where += frame_text(self.lang, "column", column=self.column)
        return frame_text(self.lang, "line", where=where, problem=self.problem, fix=self.fix)


class QuestionnaireError(InputError):
    """An answered questionnaire that cannot be imported, with every problem found."""

    def __init__(self, file: Path | str, problems: Sequence[Problem], lang: str = "fr"):
        """Keep every problem; the message lists them, the first ones in full."""
        self.problems = list(problems)
        self.lang = lang
        self.shown = "\n".join(f"  - {p.render()}" for p in self.problems[:25])
        if len(self.problems) > 25:
            self.shown += frame_text(lang, "more", n=len(self.problems) - 25)
        super().__init__(
            file, frame_text(lang, "summary", n=len(self.problems)), frame_text(lang, "fix")
        )

    def render(self) -> str:
        """The file, the count, then one line per problem (sheet, row, column, fix)."""
        return frame_text(self.lang, "head", file=self.file, problem=self.problem, shown=self.shown)


class _Problems:
    """Problems found so far, worded in the language of the import."""

    def __init__(self, lang: str, fresh: str) -> None:
        self.lang = lang if lang == "en" else "fr"
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
        params = {"fresh": self.fresh, **params}
        problem, fix = problem_text(self.lang, message, **params)
        self.items.append(Problem(sheet, row, problem, fix, column, self.lang))

    def error(self, file: Path | str) -> QuestionnaireError:
        return QuestionnaireError(file, self.items, self.lang)
