"""Properties of the tender comparison (sdet_check/compare.py): gates, ranks, SHOULD scores.

For any set of runs of one grid: a solution is eliminated exactly when an applicable MUST
fails without a valid waiver, and then gets no rank; complete runs rank before partial ones
(which are flagged), recevables before solutions to complete; ties share a rank; SHOULD
scores are percentages of the weighted SHOULD points and lie in their range; the ranking
does not depend on the order of the runs; a row differs exactly when its cells do not all
agree.
"""

from __future__ import annotations

import csv
import io
import itertools
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st
from lxml import html as lxml_html

from sdet_check.compare import Standing, Weights, compare_runs
from sdet_check.reporters.comparison import render_comparison_csv, render_comparison_html
from sdet_check.run import evidence_manifest, rescore
from tests.strategies import _base_record, budget, clean_text, runs, with_text

solutions = st.lists(
    runs(clean_text(), max_extra=2, max_evidence=0, complete=True), min_size=1, max_size=4
)
weights = st.builds(
    Weights,
    default=st.sampled_from([0.0, 0.5, 1.0, 3.0]),
    requirements=st.dictionaries(
        st.sampled_from(["T-FAIL-001", "J-1D-001"]), st.sampled_from([0.0, 2.0, 7.5]), max_size=2
    ),
    tags=st.dictionaries(
        st.sampled_from(["alpha", "beta"]), st.sampled_from([1.0, 4.0]), max_size=2
    ),
)


@budget(ci=100)
@given(solutions, weights)
def test_gates_ranks_and_scores(records: list[dict[str, Any]], weighting: Weights) -> None:
    comparison = compare_runs(records, weighting)
    assert len(comparison.solutions) == len(records)
    for solution in comparison.solutions:
        eliminated = solution.standing is Standing.ELIMINEE
        assert eliminated == bool(solution.gate_failures)
        assert (solution.rank is None) == eliminated
        if solution.standing is Standing.A_COMPLETER:
            assert solution.gates_open and not solution.gate_failures
        if solution.standing is Standing.RECEVABLE:
            assert not solution.gates_open
        score = solution.should_score
        assert score is None or 0.0 <= score <= 100.0
        assert 0.0 <= solution.should_points <= solution.should_max
    ranked = [s for s in comparison.ranking() if s.rank is not None]
    assert [s.rank for s in ranked] == sorted(s.rank for s in ranked)
    for better, worse in itertools.pairwise(ranked):
        assert (better.rank == worse.rank) == (better.rank_key == worse.rank_key)
        if better.standing is Standing.A_COMPLETER and better.partial == worse.partial:
            assert worse.standing is Standing.A_COMPLETER
    assert min((s.rank for s in ranked), default=1) == 1
    for row in comparison.rows:
        assert row.differs == (len({c.key for c in row.cells}) > 1)
        assert all(n < len(records) for n in row.gate_failures)


@budget(ci=40)
@given(solutions)
def test_comparison_does_not_depend_on_the_order_of_the_runs(records: list[dict[str, Any]]) -> None:
    forward = compare_runs(records)
    backward = compare_runs(list(reversed(records)))
    key = lambda c: sorted((s.run_hash, s.standing, s.rank, s.should_score) for s in c.solutions)  # noqa: E731
    assert key(forward) == key(backward)


def _csv_rows(records: list[dict[str, Any]]) -> list[list[str]]:
    text = render_comparison_csv(compare_runs(records)).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


@budget(ci=100)
@given(solutions)
def test_comparison_csv_is_a_rectangle(records: list[dict[str, Any]]) -> None:
    rows = _csv_rows(records)
    assert len({len(row) for row in rows}) == 1
    assert len(rows) == 1 + len({r["id"] for rec in records for r in rec["grid"]["requirements"]})


@budget(ci=30)
@given(solutions)
@example([with_text(_base_record(), "name", "ENT\rB")])
def test_comparison_csv_rows_survive_carriage_returns(records: list[dict[str, Any]]) -> None:
    rows = _csv_rows(records)
    assert len({len(row) for row in rows}) == 1


@st.composite
def bidder(draw: st.DrawFn) -> dict[str, Any]:
    """A run of the demo grid, sometimes narrowed as ``--skip``/``--level``/``--axis`` would,
    sometimes with results missing (a run edited by hand)."""
    record = draw(runs(clean_text(max_pieces=1), max_extra=2, max_evidence=0, complete=True))
    ids = [r["id"] for r in record["grid"]["requirements"]]
    how = draw(st.sampled_from(["complete", "skip", "level", "axis", "missing"]))
    left_out: set[str] = set()
    if how == "skip":
        skip = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True))
        record["selection"]["skip"] = skip
        left_out = set(skip)
    elif how == "level":
        level = draw(st.sampled_from(["MUST", "SHOULD"]))
        record["selection"]["levels"] = [level]
        left_out = {r["id"] for r in record["grid"]["requirements"] if r["level"] != level}
    elif how == "axis":
        axis = draw(st.sampled_from([a["id"] for a in record["grid"]["axes"]]))
        record["selection"]["axes"] = [axis]
        left_out = {r["id"] for r in record["grid"]["requirements"] if r["axis"] != axis}
    for entry in record["results"]:
        if entry["requirement"] in left_out:
            entry.update(status="not_tested", waived=False, message="Non sélectionnée.")
            entry.pop("error_reason", None)
            entry.pop("waiver_state", None)
    if how == "missing":
        gone = draw(st.sampled_from(ids))
        record["results"] = [e for e in record["results"] if e["requirement"] != gone]
    record["evidence_manifest"] = evidence_manifest(record["results"])
    record["score"] = rescore(record).to_json()
    return record


bidders = st.lists(bidder(), min_size=1, max_size=4)


@budget(ci=100)
@given(bidders, weights)
def test_a_partial_run_never_outranks_a_complete_one(
    records: list[dict[str, Any]], weighting: Weights
) -> None:
    comparison = compare_runs(records, weighting)
    ranked = [s for s in comparison.solutions if s.rank is not None]
    for complete in (s for s in ranked if not s.partial):
        for partial in (s for s in ranked if s.partial):
            assert complete.rank is not None and partial.rank is not None
            assert complete.rank < partial.rank
    order = comparison.ranking()
    seen_partial = False
    for solution in order:
        if solution.rank is None:
            break
        seen_partial = seen_partial or solution.partial
        assert solution.partial or not seen_partial
    for solution, record in zip(comparison.solutions, records, strict=True):
        skipped = any(record["selection"][k] for k in ("skip", "levels", "axes"))
        missing = len(record["results"]) < len(record["grid"]["requirements"])
        assert solution.partial == bool(solution.unselected or solution.missing)
        assert solution.partial <= (skipped or missing)


@budget(ci=40)
@given(bidders)
def test_every_partial_run_is_flagged_on_the_ranking(records: list[dict[str, Any]]) -> None:
    comparison = compare_runs(records)
    page = lxml_html.fromstring(render_comparison_html(comparison).decode("utf-8"))
    for solution in comparison.solutions:
        cell = page.get_element_by_id(f"rank-{solution.index}").xpath("tr[1]/td[1]")[0]
        assert ("partiel" in cell.text_content()) == solution.partial


@budget(ci=100)
@given(bidders, weights)
def test_the_score_range_contains_the_score(
    records: list[dict[str, Any]], weighting: Weights
) -> None:
    for solution in compare_runs(records, weighting).solutions:
        low_high = solution.should_range
        if solution.should_score is None:
            assert low_high is None
            continue
        assert low_high is not None
        low, high = low_high
        assert 0.0 <= low == solution.should_score <= high <= 100.0
        undecided = solution.should_applicable - solution.should_decided
        assert (high > low) <= (undecided > 0)
        assert 0 <= solution.must_decided <= solution.must_applicable


@budget(ci=60)
@given(bidders, st.randoms(use_true_random=False))
def test_the_order_of_the_bidders_does_not_change_the_ranking(
    records: list[dict[str, Any]], rng: Any
) -> None:
    shuffled = list(records)
    rng.shuffle(shuffled)
    key = lambda c: sorted(  # noqa: E731
        (s.run_hash, s.rank, s.partial, s.standing, s.should_range, s.waivers) for s in c.solutions
    )
    forward, other = compare_runs(records), compare_runs(shuffled)
    assert key(forward) == key(other)
    assert forward.fingerprint == other.fingerprint
