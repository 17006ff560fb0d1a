"""Errors that sdet-check reports to a user, as data rather than tracebacks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sdet_check.messages import msg


class SdetCheckError(Exception):
    """Base of every error sdet-check reports to a user without a traceback."""


@dataclass(frozen=True)
class Place:
    """Where in an input file a problem sits: a line (1-based) and a key path."""

    line: int | None = None
    path: str = ""

    def __str__(self) -> str:
        """Render as ``ligne 12, clé requirements[3].level``."""
        parts = []
        if self.line is not None:
            parts.append(msg("core.error.line", line=self.line))
        if self.path:
            parts.append(msg("core.error.key", path=self.path))
        return ", ".join(parts)


class InputError(SdetCheckError):
    """A grid, target, declaration, waiver or run file that is wrong.

    The message names the file, the place in it, what is wrong and what to do.
    """

    def __init__(self, file: Path | str, problem: str, fix: str, place: Place | None = None):
        """Record the file, the problem, the fix and, when known, the place."""
        self.file = str(file)
        self.problem = problem
        self.fix = fix
        self.place = place or Place()
        super().__init__(self.render())

    def render(self) -> str:
        """One readable French message: ``fichier:ligne — problème. Correction : …``."""
        where = self.file
        place = str(self.place)
        if place:
            where = f"{where} ({place})"
        return msg("core.error.input", where=where, problem=self.problem, fix=self.fix)


class ProbeRegistryError(SdetCheckError):
    """A probe plugin is broken or two plugins claim the same probe kind."""


class AlteredInputError(InputError):
    """An input that was changed after sdet-check wrote it (a run whose evidence fails).

    The command line exits with 1 (altered) instead of 3 (bad input).
    """
