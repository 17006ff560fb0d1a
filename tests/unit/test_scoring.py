"""Scoring: verdict rules, rates beside coverage, and the two notes."""

from __future__ import annotations

import pytest

from sdet_check.probe import Status
from sdet_check.scoring import ExitCode, ScoreItem, Verdict, score, verdict_of


def item(rid: str, level: str, status: Status, **kw: object) -> ScoreItem:
    return ScoreItem(rid, str(kw.pop("axis", "technique")), level, status, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([Status.PASS, Status.PASS], Verdict.CONFORME),
        ([Status.PASS, Status.NOT_APPLICABLE], Verdict.CONFORME),
        ([Status.PASS, Status.FAIL], Verdict.NON_CONFORME),
        ([Status.PASS, Status.ERROR], Verdict.INCOMPLETE),
        ([Status.PASS, Status.MANUAL], Verdict.INCOMPLETE),
        ([Status.PASS, Status.NOT_TESTED], Verdict.INCOMPLETE),
        ([Status.FAIL, Status.ERROR], Verdict.NON_CONFORME),  # a proven failure outweighs
    ],
)
def test_must_verdicts(statuses: list[Status], expected: Verdict) -> None:
    items = [item(f"R-{i:03d}", "MUST", s) for i, s in enumerate(statuses)]
    assert verdict_of(items) is expected


def test_waivers_give_conforme_avec_reserves_only_when_all_failures_are_covered() -> None:
    covered = [item("A-001", "MUST", Status.FAIL, waived=True), item("A-002", "MUST", Status.PASS)]
    assert verdict_of(covered) is Verdict.CONFORME_AVEC_RESERVES
    partly = [*covered, item("A-003", "MUST", Status.FAIL)]
    assert verdict_of(partly) is Verdict.NON_CONFORME


def test_should_items_never_change_the_verdict() -> None:
    items = [
        item("A-001", "MUST", Status.PASS),
        item("A-002", "SHOULD", Status.FAIL),
        item("A-003", "SHOULD", Status.ERROR),
    ]
    assert verdict_of(items) is Verdict.CONFORME


def test_rates_coverage_and_notes() -> None:
    items = [
        item("A-001", "MUST", Status.PASS, declared="conforme"),
        item("A-002", "MUST", Status.FAIL, declared="conforme"),
        item("A-003", "MUST", Status.ERROR, declared="non_conforme"),
        item("A-004", "MUST", Status.NOT_APPLICABLE, declared="conforme"),
        item("A-005", "SHOULD", Status.PASS),
        item("A-006", "SHOULD", Status.PASS, axis="juridique"),
    ]
    card = score(items, ["technique", "juridique"])
    technique = card.axes[0]
    assert technique.axis == "technique"
    assert technique.must.rate == 50.0  # 1 pass over 2 decided
    assert technique.must.coverage == pytest.approx(66.7)  # 2 decided over 3 applicable
    assert technique.must.counts["error"] == 1
    assert technique.should.rate == 100.0
    assert technique.note_pratique == pytest.approx(66.7)  # 2 of 3 decided pass
    assert technique.note_theorique == pytest.approx(66.7)  # 2 of 3 applicable declared conforme
    assert technique.declared == 3
    assert card.axes[1].verdict is Verdict.CONFORME
    assert card.overall.verdict is Verdict.NON_CONFORME
    assert card.overall.must.applicable == 3


def test_nothing_to_rate_gives_none() -> None:
    card = score([item("A-001", "MUST", Status.MANUAL)], ["technique"])
    assert card.overall.must.rate is None and card.overall.note_theorique is None


def test_exit_codes() -> None:
    assert ExitCode.for_verdict(Verdict.CONFORME) == 0
    assert ExitCode.for_verdict(Verdict.CONFORME_AVEC_RESERVES) == 0
    assert ExitCode.for_verdict(Verdict.NON_CONFORME) == 1
    assert ExitCode.for_verdict(Verdict.INCOMPLETE) == 2
