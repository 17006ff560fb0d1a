"""The error raised on bad input to the review, worded in the user's language."""

from __future__ import annotations

from pathlib import Path

from sdet_check.errors import InputError, Place


class ReviewInputError(InputError):
    """Bad input to the review (answers file, reviews file), worded in the user's language."""

    def __init__(
        self, file: Path | str, problem: str, fix: str, place: Place | None = None, lang: str = "fr"
    ):
        """Record where and what, as :class:`InputError`, and the language of the message."""
        self.lang = lang
        super().__init__(file, problem, fix, place)

    def render(self) -> str:
        """``file (line 3, key answers[0].verdict): problem. To do: fix`` in English."""
        if self.lang != "en":
            return super().render()
        parts = []
        if self.place.line is not None:
            parts.append(f"line {self.place.line}")
        if self.place.path:
            parts.append(f"key {self.place.path}")
        where = f"{self.file} ({', '.join(parts)})" if parts else self.file
        return f"{where}: {self.problem}. To do: {self.fix}"
