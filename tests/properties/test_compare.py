"""Properties of the tender comparison (sdet_check/compare.py): gates, ranks, SHOULD scores.

For any set of runs of one grid: a solution is eliminated exactly when an applicable MUST
fails without a valid waiver, and then gets no rank; recevables rank before solutions to
complete; ties share a rank; SHOULD scores are percentages of the weighted SHOULD points;
a row differs exactly when its cells do not all agree.
"""

from __future__ import annotations

import csv
import io
import itertools
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from sdet_check.compare import Standing, Weights, compare_runs
from sdet_check.reporters.comparison import render_comparison_csv
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
        same = (better.standing, better.should_score or 0.0) == (
            worse.standing,
            worse.should_score or 0.0,
        )
        assert (better.rank == worse.rank) == same
        if better.standing is Standing.A_COMPLETER:
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
