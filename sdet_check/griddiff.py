"""Compare two grid versions requirement by requirement (by stable id)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sdet_check.grid import Grid, Requirement


class ChangeKind(StrEnum):
    """What happened to a requirement between two grid versions."""

    ADDED = "added"
    REMOVED = "removed"
    RELEVELLED = "relevelled"
    REWORDED = "reworded"
    MOVED = "moved"
    SOURCE = "source"
    VERIFICATION = "verification"
    APPLICABILITY = "applicability"


@dataclass(frozen=True)
class Change:
    """One change of one requirement, with its old and new values where that helps."""

    kind: ChangeKind
    requirement_id: str
    old: str | None = None
    new: str | None = None


@dataclass(frozen=True)
class GridDiff:
    """Every change from ``old`` to ``new``, grouped by requirement id."""

    old_ref: str
    new_ref: str
    changes: tuple[Change, ...] = field(default_factory=tuple)

    def of_kind(self, kind: ChangeKind) -> list[Change]:
        """The changes of one kind, in id order."""
        return [change for change in self.changes if change.kind is kind]


def diff_grids(old: Grid, new: Grid) -> GridDiff:
    """List what was added, removed, re-levelled, reworded, moved or re-sourced."""
    old_by_id = {r.id: r for r in old.requirements}
    new_by_id = {r.id: r for r in new.requirements}
    changes: list[Change] = []
    for requirement_id in sorted(old_by_id.keys() | new_by_id.keys()):
        before = old_by_id.get(requirement_id)
        after = new_by_id.get(requirement_id)
        if before is None and after is not None:
            changes.append(Change(ChangeKind.ADDED, requirement_id, new=_headline(after)))
        elif after is None and before is not None:
            changes.append(Change(ChangeKind.REMOVED, requirement_id, old=_headline(before)))
        elif before is not None and after is not None:
            changes.extend(_compare(before, after))
    return GridDiff(old.ref, new.ref, tuple(changes))


def _headline(requirement: Requirement) -> str:
    return f"[{requirement.level.value}] {requirement.title.fr}"


def _compare(before: Requirement, after: Requirement) -> list[Change]:
    rid = after.id
    changes = []
    if before.level is not after.level:
        changes.append(Change(ChangeKind.RELEVELLED, rid, before.level.value, after.level.value))
    if (before.title, before.statement) != (after.title, after.statement):
        changes.append(Change(ChangeKind.REWORDED, rid, before.statement.fr, after.statement.fr))
    if before.axis != after.axis:
        changes.append(Change(ChangeKind.MOVED, rid, before.axis, after.axis))
    if before.source != after.source:
        changes.append(Change(ChangeKind.SOURCE, rid, before.source.label(), after.source.label()))
    if before.verification != after.verification:
        old_label, new_label = _verification_label(before), _verification_label(after)
        if old_label == new_label:  # same method: say which of its texts changed
            old_label, new_label = _verification_texts(before, after)
        changes.append(Change(ChangeKind.VERIFICATION, rid, old_label, new_label))
    if (before.degrees, before.scopes) != (after.degrees, after.scopes):
        changes.append(
            Change(
                ChangeKind.APPLICABILITY,
                rid,
                _applicability_label(before),
                _applicability_label(after),
            )
        )
    return changes


def _verification_label(requirement: Requirement) -> str:
    verification = requirement.verification
    if verification.probe:
        return (
            f"{verification.method.value}: {verification.probe} {dict(verification.params or {})}"
        )
    return verification.method.value


_VERIFICATION_TEXTS = (("proofs", "preuves attendues"), ("guidance", "conseils"))


def _verification_texts(before: Requirement, after: Requirement) -> tuple[str, str]:
    """``declaration · conseils : …`` on both sides, for the texts that differ."""
    method = _verification_label(before)
    sides: tuple[list[str], list[str]] = ([method], [method])
    for name, label in _VERIFICATION_TEXTS:
        old, new = getattr(before.verification, name), getattr(after.verification, name)
        if old != new:
            sides[0].append(f"{label} : {_gist(old)}")
            sides[1].append(f"{label} : {_gist(new)}")
    return " · ".join(sides[0]), " · ".join(sides[1])


def _gist(text: Any) -> str:
    if text is None:
        return "(aucun)"
    words = str(getattr(text, "fr", text))
    return words if len(words) <= 60 else words[:59] + "…"


def _applicability_label(requirement: Requirement) -> str:
    return f"{','.join(sorted(requirement.degrees))} / {','.join(sorted(requirement.scopes))}"
