"""Scores and verdicts: a pure function of the grid's requirements and the run's results.

- **verdict** per axis and overall: ``conforme`` (every applicable MUST passes),
  ``conforme_avec_reserves`` (MUST failures all covered by valid waivers), ``non_conforme``
  (a MUST fails without a valid waiver), ``evaluation_incomplete`` (no unwaived MUST failure,
  but a MUST is in error, not tested or waits for a manual decision). A failure outweighs
  an incomplete evaluation: one proven MUST failure is enough to say non conforme.
- **rates**: for MUST and for SHOULD, passes over decided items (pass + fail), beside the
  **coverage**: decided items over applicable ones. Errors and untested items lower the
  coverage, never the rate, so a flaky network cannot pass for a failing platform.
- **note pratique**: the share of decided applicable requirements that pass (probes and
  reviews); **note théorique**: the share of declared applicable requirements the editor
  declares conforme. Both are percentages, MUST and SHOULD counted alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sdet_check.probe import Status


class Verdict(StrEnum):
    """Verdict on an axis or on the whole evaluation."""

    CONFORME = "conforme"
    CONFORME_AVEC_RESERVES = "conforme_avec_reserves"
    NON_CONFORME = "non_conforme"
    INCOMPLETE = "evaluation_incomplete"

    def label(self, lang: str = "fr") -> str:
        """Human label in French (default) or English."""
        return _VERDICT_LABELS[lang][self]


_VERDICT_LABELS = {
    "fr": {
        Verdict.CONFORME: "conforme",
        Verdict.CONFORME_AVEC_RESERVES: "conforme avec réserves",
        Verdict.NON_CONFORME: "non conforme",
        Verdict.INCOMPLETE: "évaluation incomplète",
    },
    "en": {
        Verdict.CONFORME: "compliant",
        Verdict.CONFORME_AVEC_RESERVES: "compliant with reservations",
        Verdict.NON_CONFORME: "not compliant",
        Verdict.INCOMPLETE: "incomplete evaluation",
    },
}

_UNDECIDED = frozenset({Status.ERROR, Status.NOT_TESTED, Status.MANUAL})


@dataclass(frozen=True)
class ScoreItem:
    """What scoring needs to know about one requirement of a run."""

    requirement_id: str
    axis: str
    level: str
    status: Status
    waived: bool = False
    """The requirement failed and a valid waiver covers it."""
    declared: str | None = None
    """The editor's declaration: ``conforme``, ``non_conforme``, ``non_applicable`` or None."""


@dataclass(frozen=True)
class LevelScore:
    """Counts and rates for the MUST or the SHOULD items of one axis."""

    counts: dict[str, int]
    waived: int
    applicable: int
    decided: int
    rate: float | None
    coverage: float | None

    def to_json(self) -> dict[str, Any]:
        """Serialise for the run record."""
        return {
            "counts": self.counts,
            "waived": self.waived,
            "applicable": self.applicable,
            "decided": self.decided,
            "rate": self.rate,
            "coverage": self.coverage,
        }


@dataclass(frozen=True)
class AxisScore:
    """Verdict, MUST/SHOULD scores and the two notes of one axis (or of the whole run)."""

    axis: str
    verdict: Verdict
    must: LevelScore
    should: LevelScore
    note_pratique: float | None
    note_theorique: float | None
    declared: int

    def to_json(self) -> dict[str, Any]:
        """Serialise for the run record."""
        return {
            "axis": self.axis,
            "verdict": self.verdict.value,
            "must": self.must.to_json(),
            "should": self.should.to_json(),
            "note_pratique": self.note_pratique,
            "note_theorique": self.note_theorique,
            "declared": self.declared,
        }


@dataclass(frozen=True)
class Scorecard:
    """Scores of every axis, in grid order, and of the whole evaluation."""

    axes: tuple[AxisScore, ...]
    overall: AxisScore

    def to_json(self) -> dict[str, Any]:
        """Serialise for the run record."""
        return {"overall": self.overall.to_json(), "axes": [a.to_json() for a in self.axes]}


def score(items: Sequence[ScoreItem], axes: Iterable[str]) -> Scorecard:
    """Score ``items`` per axis (in the order of ``axes``) and overall."""
    per_axis = tuple(
        _score_group(axis, [item for item in items if item.axis == axis]) for axis in axes
    )
    return Scorecard(axes=per_axis, overall=_score_group("global", list(items)))


def verdict_of(items: Sequence[ScoreItem]) -> Verdict:
    """The verdict of a group of items, per the rules in the module docstring."""
    musts = [i for i in items if i.level == "MUST" and i.status is not Status.NOT_APPLICABLE]
    if any(i.status is Status.FAIL and not i.waived for i in musts):
        return Verdict.NON_CONFORME
    if any(i.status in _UNDECIDED for i in musts):
        return Verdict.INCOMPLETE
    if any(i.status is Status.FAIL and i.waived for i in musts):
        return Verdict.CONFORME_AVEC_RESERVES
    return Verdict.CONFORME


def _score_group(axis: str, items: list[ScoreItem]) -> AxisScore:
    applicable = [i for i in items if i.status is not Status.NOT_APPLICABLE]
    decided = [i for i in applicable if i.status in (Status.PASS, Status.FAIL)]
    declared = [i for i in items if i.declared in ("conforme", "non_conforme") and i in applicable]
    return AxisScore(
        axis=axis,
        verdict=verdict_of(items),
        must=_level_score([i for i in items if i.level == "MUST"]),
        should=_level_score([i for i in items if i.level == "SHOULD"]),
        note_pratique=_percent(sum(i.status is Status.PASS for i in decided), len(decided)),
        note_theorique=_percent(sum(i.declared == "conforme" for i in declared), len(declared)),
        declared=len(declared),
    )


def _level_score(items: list[ScoreItem]) -> LevelScore:
    counts = {status.value: 0 for status in Status}
    for item in items:
        counts[item.status.value] += 1
    applicable = len(items) - counts[Status.NOT_APPLICABLE.value]
    decided = counts[Status.PASS.value] + counts[Status.FAIL.value]
    return LevelScore(
        counts=counts,
        waived=sum(item.waived for item in items),
        applicable=applicable,
        decided=decided,
        rate=_percent(counts[Status.PASS.value], decided),
        coverage=_percent(decided, applicable),
    )


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


class ExitCode:
    """Documented, stable exit codes of the command line."""

    CONFORME = 0
    NON_CONFORME = 1
    INCOMPLETE = 2
    BAD_INPUT = 3
    INTERNAL = 4

    @staticmethod
    def for_verdict(verdict: Verdict) -> int:
        """0 for conforme (with or without réserves), 1 non conforme, 2 incomplete."""
        if verdict in (Verdict.CONFORME, Verdict.CONFORME_AVEC_RESERVES):
            return ExitCode.CONFORME
        if verdict is Verdict.NON_CONFORME:
            return ExitCode.NON_CONFORME
        return ExitCode.INCOMPLETE
