"""Properties of scoring (sdet_check/scoring.py): counts, rates, notes and verdicts.

For any mix of results: counts add up, rates, coverage and notes are percentages in
[0, 100] (``None`` exactly when there is nothing to rate), and the verdict follows the rules
of the README, "What a run decides", whatever the SHOULD items say.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sdet_check.probe import Status
from sdet_check.scoring import ExitCode, LevelScore, ScoreItem, Verdict, score, verdict_of
from tests.strategies import budget

AXES = ("fonctionnel", "technique", "securite", "juridique")


def score_items() -> st.SearchStrategy[ScoreItem]:
    """One requirement's scoring facts; only a failure can be waived."""
    return st.builds(
        lambda axis, level, status, waived, declared: ScoreItem(
            f"{axis[:3].upper()}-{level}",
            axis,
            level,
            status,
            waived and status is Status.FAIL,
            declared,
        ),
        st.sampled_from(AXES),
        st.sampled_from(["MUST", "SHOULD"]),
        st.sampled_from(list(Status)),
        st.booleans(),
        st.sampled_from([None, "conforme", "non_conforme", "non_applicable"]),
    )


items_lists = st.lists(score_items(), max_size=30)


def _rule_verdict(items: list[ScoreItem]) -> Verdict:
    """The README's rules, written from its text."""
    musts = [i for i in items if i.level == "MUST" and i.status is not Status.NOT_APPLICABLE]
    if any(i.status is Status.FAIL and not i.waived for i in musts):
        return Verdict.NON_CONFORME
    if any(i.status in (Status.ERROR, Status.NOT_TESTED, Status.MANUAL) for i in musts):
        return Verdict.INCOMPLETE
    if any(i.status is Status.FAIL for i in musts):
        return Verdict.CONFORME_AVEC_RESERVES
    return Verdict.CONFORME


def _check_level(level: LevelScore, items: list[ScoreItem]) -> None:
    assert sum(level.counts.values()) == len(items)
    assert level.counts == {s.value: sum(i.status is s for i in items) for s in Status}
    assert level.applicable == len(items) - level.counts["not_applicable"]
    assert level.decided == level.counts["pass"] + level.counts["fail"] <= level.applicable
    assert level.waived == sum(i.waived for i in items) <= level.counts["fail"]
    for value, whole in ((level.rate, level.decided), (level.coverage, level.applicable)):
        assert (value is None) == (whole == 0)
        assert value is None or 0.0 <= value <= 100.0


@budget(ci=1500)
@given(items_lists)
def test_counts_rates_and_notes_are_consistent_percentages(items: list[ScoreItem]) -> None:
    card = score(items, AXES)
    assert [axis.axis for axis in card.axes] == list(AXES)
    groups = [(axis, [i for i in items if i.axis == axis.axis]) for axis in card.axes]
    for axis_score, group in [*groups, (card.overall, items)]:
        _check_level(axis_score.must, [i for i in group if i.level == "MUST"])
        _check_level(axis_score.should, [i for i in group if i.level == "SHOULD"])
        for note in (axis_score.note_pratique, axis_score.note_theorique):
            assert note is None or 0.0 <= note <= 100.0
        decided = [i for i in group if i.status in (Status.PASS, Status.FAIL)]
        assert (axis_score.note_pratique is None) == (not decided)
        assert (axis_score.note_theorique is None) == (axis_score.declared == 0)
    assert sum(a.must.counts["pass"] + a.should.counts["pass"] for a in card.axes) == sum(
        i.status is Status.PASS for i in items
    )


@budget(ci=1500)
@given(items_lists)
def test_verdicts_follow_the_readme_rules(items: list[ScoreItem]) -> None:
    card = score(items, AXES)
    assert card.overall.verdict is _rule_verdict(items)
    for axis in card.axes:
        assert axis.verdict is _rule_verdict([i for i in items if i.axis == axis.axis])
    # One axis non conforme makes the whole non conforme; every axis conforme, the whole too.
    verdicts = {axis.verdict for axis in card.axes}
    if Verdict.NON_CONFORME in verdicts:
        assert card.overall.verdict is Verdict.NON_CONFORME
    if verdicts <= {Verdict.CONFORME}:
        assert card.overall.verdict is Verdict.CONFORME


@budget(ci=800)
@given(items_lists, st.lists(score_items(), max_size=10))
def test_should_items_never_change_a_verdict(
    items: list[ScoreItem], shoulds: list[ScoreItem]
) -> None:
    extra = [ScoreItem(i.requirement_id, i.axis, "SHOULD", i.status, i.waived) for i in shoulds]
    assert verdict_of(items + extra) is verdict_of(items)


@budget(ci=800)
@given(items_lists, st.sampled_from(list(Status)))
def test_an_unwaived_must_failure_is_enough_for_non_conforme(
    items: list[ScoreItem], status: Status
) -> None:
    failing = ScoreItem("ZZ-999", "securite", "MUST", Status.FAIL)
    assert verdict_of([*items, failing]) is Verdict.NON_CONFORME
    assert ExitCode.for_verdict(verdict_of([*items, failing])) == ExitCode.NON_CONFORME


@budget(ci=800)
@given(items_lists)
def test_errors_lower_the_coverage_never_the_rate(items: list[ScoreItem]) -> None:
    before = score(items, AXES).overall.must
    errors = [ScoreItem(f"ER-{n:03d}", "technique", "MUST", Status.ERROR) for n in range(3)]
    after = score([*items, *errors], AXES).overall.must
    assert after.rate == before.rate
    assert after.coverage is not None and after.coverage <= (before.coverage or 100.0)
    assert score([*items, *errors], AXES).overall.verdict in (
        Verdict.NON_CONFORME,
        Verdict.INCOMPLETE,
    )


@budget(ci=600)
@given(items_lists, st.randoms(use_true_random=False))
def test_scores_do_not_depend_on_result_order(items: list[ScoreItem], rng: object) -> None:
    shuffled = list(items)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    assert score(shuffled, AXES) == score(items, AXES)
