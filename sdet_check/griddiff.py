"""Compare two grid versions requirement by requirement (by stable id)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sdet_check.grid import Grid, Requirement, Text


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
        changes.append(Change(ChangeKind.REWORDED, rid, *_shown(_wording_views(before, after))))
    if before.axis != after.axis:
        changes.append(Change(ChangeKind.MOVED, rid, before.axis, after.axis))
    if _source_key(before) != _source_key(after):
        changes.append(Change(ChangeKind.SOURCE, rid, *_shown(_source_views(before, after))))
    if _verification_key(before) != _verification_key(after):
        changes.append(
            Change(ChangeKind.VERIFICATION, rid, *_shown(_verification_views(before, after)))
        )
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


def _shown(views: list[tuple[str, str]]) -> tuple[str, str]:
    """The first (old, new) view that tells the two apart, from the headline to the details.

    A change is listed because some field differs; showing a field that did not change would
    read ``declaration → declaration``.
    """
    return next(((old, new) for old, new in views if old != new), views[0])


def _texts(name: str, before: Text | None, after: Text | None) -> list[tuple[str, str]]:
    old = before or Text("", "")
    new = after or Text("", "")
    return [
        (f"{name}{old.fr}", f"{name}{new.fr}"),
        (f"{name}(en) {old.en}", f"{name}(en) {new.en}"),
    ]


def _wording_views(before: Requirement, after: Requirement) -> list[tuple[str, str]]:
    statement = _texts("", before.statement, after.statement)
    return [statement[0], *_texts("titre : ", before.title, after.title), statement[1]]


def _source_key(requirement: Requirement) -> tuple[object, ...]:
    """What a source says, with an absent and an empty wording or link alike."""
    source = requirement.source
    also = tuple(sorted(str(sorted(document.items())) for document in source.also))
    return (
        source.document,
        source.version,
        source.section,
        source.wording or None,
        source.url or None,
        also,
    )


def _source_views(before: Requirement, after: Requirement) -> list[tuple[str, str]]:
    old, new = before.source, after.source
    fields = (
        ("document", old.document, new.document),
        ("version", old.version, new.version),
        ("section", old.section, new.section),
        ("texte", old.wording or "—", new.wording or "—"),
        ("lien", old.url or "—", new.url or "—"),
        ("voir aussi", _also(old.also), _also(new.also)),
    )
    views = [(old.label(), new.label())]
    views.extend((f"{old.label()} — {n} : {o}", f"{new.label()} — {n} : {v}") for n, o, v in fields)
    return views


def _also(documents: tuple[Mapping[str, str], ...]) -> str:
    shown = sorted(", ".join(str(v) for _, v in sorted(d.items())) for d in documents)
    return " ; ".join(shown) or "—"


def _verification_key(requirement: Requirement) -> tuple[object, ...]:
    """What a verification says, with absent params and empty params alike."""
    verification = requirement.verification
    params = sorted((verification.params or {}).items(), key=lambda item: str(item[0]))
    return (
        verification.method,
        verification.probe,
        repr(params),
        _text_key(verification.proofs),
        _text_key(verification.guidance),
    )


def _text_key(text: Text | None) -> Text | None:
    """An absent text and an empty one alike."""
    return text if text is not None and (text.fr or text.en) else None


def _verification_views(before: Requirement, after: Requirement) -> list[tuple[str, str]]:
    old, new = _verification_label(before), _verification_label(after)
    views = [(old, new)]
    for name, attribute in (("pièces attendues", "proofs"), ("conduite", "guidance")):
        details = _texts(
            f" — {name} : ",
            getattr(before.verification, attribute),
            getattr(after.verification, attribute),
        )
        views.extend((old + o, new + n) for o, n in details)
    return views


def _verification_label(requirement: Requirement) -> str:
    verification = requirement.verification
    if verification.probe:
        return (
            f"{verification.method.value}: {verification.probe} {dict(verification.params or {})}"
        )
    return verification.method.value


_VERIFICATION_TEXTS = (("proofs", "preuves attendues"), ("guidance", "conseils"))


def _gist(text: Any) -> str:
    if text is None:
        return "(aucun)"
    words = str(getattr(text, "fr", text))
    return words if len(words) <= 60 else words[:59] + "…"


def _applicability_label(requirement: Requirement) -> str:
    return f"{','.join(sorted(requirement.degrees))} / {','.join(sorted(requirement.scopes))}"
