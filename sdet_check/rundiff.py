"""Follow-up audit: what changed between two runs of one ENT (a year apart, say).

- **regressions**: requirements that fail now and did not before (the old status is kept,
  so a reader sees whether it passed or was simply not decided);
- **fixes**: requirements that failed and now pass;
- **other changes**: any other status change (decided → undecided, pass → not applicable…);
- **grid changes**: requirements new in the grid, removed, or re-levelled, when the new run
  follows a newer grid version;
- **waivers expired since**: réserves valid at the old run that no longer hold at the new
  one (expired in the new run, or past their date by then);
- **scores**: verdict and rates per axis, before and after.

A pure function of two run records; rendering is the reporters' job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sdet_check.run import run_hash
from sdet_check.selection import Selection

SELECTION_OPTIONS = {
    "axes": "--axis",
    "levels": "--level",
    "tags": "--tag",
    "only": "--only",
    "skip": "--skip",
}
"""The command-line option behind each key of a run's ``selection``."""


@dataclass(frozen=True)
class RunSide:
    """One of the two runs, as the follow-up report names it."""

    run_id: str
    run_hash: str
    target_name: str
    started_at: str
    grid_ref: str
    grid_hash: str
    verdict: str
    selection: str = ""
    """The options that narrowed the run (``--axis juridique --skip X``), empty for all."""
    unselected: int = 0
    """Requirements of its grid the selection left out: a partial run when not zero."""


@dataclass(frozen=True)
class StatusChange:
    """A requirement whose result changed between the runs."""

    requirement_id: str
    axis: str
    level: str
    title: Mapping[str, str]
    old_status: str
    old_waived: bool
    new_status: str
    new_waived: bool
    message: str
    """The new run's message."""


@dataclass(frozen=True)
class GridChange:
    """A requirement added, removed or re-levelled between the runs' grids."""

    requirement_id: str
    axis: str
    title: Mapping[str, str]
    old_level: str | None
    new_level: str | None
    new_status: str | None
    """Its result in the new run (None when removed)."""


@dataclass(frozen=True)
class ExpiredWaiver:
    """A réserve valid at the old run that no longer covers its requirement."""

    requirement_id: str
    expires: str
    justification: str
    author: str
    new_status: str | None


@dataclass(frozen=True)
class ScoreDelta:
    """Verdict, rates and notes of one axis (or ``global``) in both runs."""

    axis: str
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None


@dataclass(frozen=True)
class RunDiff:
    """Everything that changed from ``old`` to ``new``."""

    old: RunSide
    new: RunSide
    regressions: tuple[StatusChange, ...]
    fixes: tuple[StatusChange, ...]
    other_changes: tuple[StatusChange, ...]
    added: tuple[GridChange, ...]
    removed: tuple[GridChange, ...]
    relevelled: tuple[GridChange, ...]
    expired_waivers: tuple[ExpiredWaiver, ...]
    scores: tuple[ScoreDelta, ...]
    axis_labels: Mapping[str, Mapping[str, str]]

    @property
    def same_target(self) -> bool:
        """False when the two runs name different targets (the report warns)."""
        return self.old.target_name == self.new.target_name

    @property
    def same_grid(self) -> bool:
        """True when both runs used the same grid content."""
        return self.old.grid_hash == self.new.grid_hash

    @property
    def chronological(self) -> bool:
        """False when the « old » run started after the « new » one."""
        return datetime.fromisoformat(self.old.started_at) <= datetime.fromisoformat(
            self.new.started_at
        )

    @property
    def unchanged(self) -> bool:
        """True when nothing at all changed."""
        return not (
            self.regressions
            or self.fixes
            or self.other_changes
            or self.added
            or self.removed
            or self.relevelled
            or self.expired_waivers
        )


def diff_runs(old: Mapping[str, Any], new: Mapping[str, Any]) -> RunDiff:
    """Compare two run records requirement by requirement (by stable id)."""
    old_requirements = {r["id"]: r for r in old["grid"]["requirements"]}
    new_requirements = {r["id"]: r for r in new["grid"]["requirements"]}
    old_results = {e["requirement"]: e for e in old["results"]}
    new_results = {e["requirement"]: e for e in new["results"]}
    regressions: list[StatusChange] = []
    fixes: list[StatusChange] = []
    others: list[StatusChange] = []
    for requirement_id, requirement in new_requirements.items():
        before = old_results.get(requirement_id)
        after = new_results.get(requirement_id)
        if before is None or after is None or requirement_id not in old_requirements:
            continue
        change = _change(requirement, before, after)
        if change is None:
            continue
        if change.new_status == "fail" and change.old_status != "fail":
            regressions.append(change)
        elif change.old_status == "fail" and change.new_status == "pass":
            fixes.append(change)
        else:
            others.append(change)
    added = [
        _grid_change(r, None, r["level"], new_results)
        for rid, r in new_requirements.items()
        if rid not in old_requirements
    ]
    removed = [
        _grid_change(r, r["level"], None, {})
        for rid, r in old_requirements.items()
        if rid not in new_requirements
    ]
    relevelled = [
        _grid_change(r, old_requirements[rid]["level"], r["level"], new_results)
        for rid, r in new_requirements.items()
        if rid in old_requirements and old_requirements[rid]["level"] != r["level"]
    ]
    axis_labels = {a["id"]: a["label"] for record in (old, new) for a in record["grid"]["axes"]}
    return RunDiff(
        old=_side(old),
        new=_side(new),
        regressions=tuple(regressions),
        fixes=tuple(fixes),
        other_changes=tuple(others),
        added=tuple(added),
        removed=tuple(removed),
        relevelled=tuple(relevelled),
        expired_waivers=tuple(_expired_waivers(old, new, new_results)),
        scores=tuple(_scores(old, new)),
        axis_labels=axis_labels,
    )


def _change(
    requirement: Mapping[str, Any], before: Mapping[str, Any], after: Mapping[str, Any]
) -> StatusChange | None:
    old_key = (before["status"], bool(before.get("waived")))
    new_key = (after["status"], bool(after.get("waived")))
    if old_key == new_key:
        return None
    return StatusChange(
        requirement_id=requirement["id"],
        axis=requirement["axis"],
        level=requirement["level"],
        title=requirement["title"],
        old_status=old_key[0],
        old_waived=old_key[1],
        new_status=new_key[0],
        new_waived=new_key[1],
        message=after.get("message", ""),
    )


def _grid_change(
    requirement: Mapping[str, Any],
    old_level: str | None,
    new_level: str | None,
    new_results: Mapping[str, Mapping[str, Any]],
) -> GridChange:
    result = new_results.get(requirement["id"])
    return GridChange(
        requirement_id=requirement["id"],
        axis=requirement["axis"],
        title=requirement["title"],
        old_level=old_level,
        new_level=new_level,
        new_status=result["status"] if result else None,
    )


def _expired_waivers(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    new_results: Mapping[str, Mapping[str, Any]],
) -> list[ExpiredWaiver]:
    new_day = _day(new["started_at"])
    new_states = {w["requirement"]: w["state"] for w in new["waivers"]}
    expired = []
    for waiver in old["waivers"]:
        if waiver["state"] != "valid":
            continue
        requirement_id = waiver["requirement"]
        lapsed = date.fromisoformat(waiver["expires"]) < new_day
        if new_states.get(requirement_id) == "expired" or lapsed:
            result = new_results.get(requirement_id)
            expired.append(
                ExpiredWaiver(
                    requirement_id=requirement_id,
                    expires=waiver["expires"],
                    justification=waiver["justification"],
                    author=waiver["author"],
                    new_status=result["status"] if result else None,
                )
            )
    return expired


def _scores(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[ScoreDelta]:
    old_axes = {a["axis"]: a for a in old["score"]["axes"]}
    new_axes = {a["axis"]: a for a in new["score"]["axes"]}
    order = list(dict.fromkeys([*new_axes, *old_axes]))
    deltas = [ScoreDelta(axis, old_axes.get(axis), new_axes.get(axis)) for axis in order]
    deltas.append(ScoreDelta("global", old["score"]["overall"], new["score"]["overall"]))
    return deltas


def _side(record: Mapping[str, Any]) -> RunSide:
    grid = record["grid"]
    return RunSide(
        run_id=record["run_id"],
        run_hash=run_hash(record),
        target_name=record["target"]["name"],
        started_at=record["started_at"],
        grid_ref=f"{grid['id']}/{grid['version']}",
        grid_hash=grid["content_hash"],
        verdict=record["score"]["overall"]["verdict"],
        selection=" ".join(
            f"{SELECTION_OPTIONS.get(key, key)} {value}"
            for key, values in (record.get("selection") or {}).items()
            for value in values or ()
        ),
        unselected=sum(
            not Selection.from_json(record.get("selection")).selects(requirement)
            for requirement in grid["requirements"]
        ),
    )


def _day(value: str) -> date:
    return datetime.fromisoformat(value).date()
