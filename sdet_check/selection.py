"""Which requirements of a grid a run evaluates (``--axis``, ``--level``, ``--tag``...)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import Any

from sdet_check.grid import Grid, Requirement
from sdet_check.messages import msg, text


@dataclass(frozen=True)
class Selection:
    """Filters on requirements; empty filters select everything.

    ``only`` and ``skip`` take requirement ids or shell patterns (``SSO-CAS-*``).
    """

    axes: frozenset[str] = frozenset()
    levels: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()

    def reason_to_skip(self, requirement: Requirement) -> str | None:
        """Return why ``requirement`` is not selected, or ``None`` when it is."""
        if self.axes and requirement.axis not in self.axes:
            return msg("runner.skip.axis", axis=requirement.axis)
        if self.levels and requirement.level.value not in self.levels:
            return msg("runner.skip.level", level=requirement.level.value)
        if self.tags and not self.tags.intersection(requirement.tags):
            return msg("runner.skip.tag")
        if self.only and not _matches(requirement.id, self.only):
            return msg("runner.skip.only")
        if self.skip and _matches(requirement.id, self.skip):
            return msg("runner.skip.skip")
        return None

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Selection:
        """The selection a run record holds (``selection`` of run.json)."""
        data = data or {}
        return cls(
            axes=frozenset(data.get("axes", ())),
            levels=frozenset(data.get("levels", ())),
            tags=frozenset(data.get("tags", ())),
            only=tuple(data.get("only", ())),
            skip=tuple(data.get("skip", ())),
        )

    def selects(self, requirement: Mapping[str, Any]) -> bool:
        """True when a requirement of a run record (``grid.requirements[]``) is selected."""
        if self.axes and requirement["axis"] not in self.axes:
            return False
        if self.levels and requirement["level"] not in self.levels:
            return False
        if self.tags and not self.tags.intersection(requirement.get("tags", ())):
            return False
        if self.only and not _matches(requirement["id"], self.only):
            return False
        return not (self.skip and _matches(requirement["id"], self.skip))

    def resolved(self, grid: Grid) -> Selection:
        """The same selection with each axis given by its label replaced by its id.

        ``--axis Security`` (the label shown under ``--lang en``) then selects ``securite``;
        a name no axis answers to is kept, for :meth:`unknown_names` to name it.
        """
        return replace(self, axes=frozenset(grid.axis_id(name) for name in self.axes))

    def unknown_names(self, grid: Grid) -> list[str]:
        """Axes, tags and id patterns that match nothing in ``grid`` (likely typos)."""
        axes = {x.id for x in grid.axes}
        unknown = [text("input.selection.axis", name=a) for a in sorted(self.axes) if a not in axes]
        unknown += [
            text("input.selection.level", name=lv)
            for lv in sorted(self.levels)
            if lv not in ("MUST", "SHOULD")
        ]
        unknown += [
            text("input.selection.tag", name=t) for t in sorted(self.tags) if t not in grid.tags()
        ]
        ids = [r.id for r in grid.requirements]
        for pattern in (*self.only, *self.skip):
            if not any(fnmatchcase(i, pattern) for i in ids):
                unknown.append(text("input.selection.requirement", name=pattern))
        return unknown

    def to_json(self) -> dict[str, Any]:
        """Serialise for the run record."""
        return {
            "axes": sorted(self.axes),
            "levels": sorted(self.levels),
            "tags": sorted(self.tags),
            "only": list(self.only),
            "skip": list(self.skip),
        }


def _matches(requirement_id: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatchcase(requirement_id, pattern) for pattern in patterns)
