"""Tender comparison: MUST gates, weighted SHOULD items, ranking, differences, refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sdet_check.compare import (
    Standing,
    Weights,
    check_comparable,
    compare_runs,
    load_weights,
)
from sdet_check.errors import InputError
from sdet_check.reporters.comparison import render_comparison_csv

from ..records import all_pass, synthetic, with_results

# The demo grid: T-PASS-001 MUST, T-FAIL-001 SHOULD (tag beta), T-SECRET-001 MUST (tag
# alpha), J-DECL-001 MUST, J-1D-001 SHOULD; axes technique and juridique.


def solution(name: str, changes: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    record = all_pass(synthetic("demo", name=name))
    return with_results(record, changes or {})


def test_a_must_failure_without_waiver_eliminates_and_is_not_ranked() -> None:
    good = solution("A")
    bad = solution("B", {"T-SECRET-001": {"status": "fail"}})
    comparison = compare_runs([good, bad])
    a, b = comparison.solutions
    assert a.standing is Standing.RECEVABLE and a.rank == 1
    assert b.standing is Standing.ELIMINEE and b.rank is None
    assert b.gate_failures == ("T-SECRET-001",)
    assert [s.label for s in comparison.ranking()] == ["A", "B"]
    row = next(r for r in comparison.rows if r.requirement_id == "T-SECRET-001")
    assert row.gate_failures == (1,) and row.differs


def test_a_waived_must_failure_keeps_the_solution_in_and_an_undecided_one_needs_completing() -> (
    None
):
    waived = solution("W", {"T-SECRET-001": {"status": "fail", "waived": True}})
    undecided = solution("U", {"J-DECL-001": {"status": "manual"}})
    comparison = compare_runs([waived, undecided])
    w, u = comparison.solutions
    assert w.standing is Standing.RECEVABLE and w.waived_musts == ("T-SECRET-001",)
    assert u.standing is Standing.A_COMPLETER and u.gates_open == ("J-DECL-001",)
    assert (w.rank, u.rank) == (1, 2)  # recevable before à compléter, whatever the scores


def test_should_score_uses_weights_and_counts_undecided_items_as_unearned() -> None:
    weights = Weights(requirements={"J-1D-001": 3.0})
    full = solution("Full")
    failing = solution("Fail", {"T-FAIL-001": {"status": "fail", "waived": True}})
    undecided = solution("Open", {"J-1D-001": {"status": "not_tested"}})
    not_applicable = solution("NA", {"J-1D-001": {"status": "not_applicable"}})
    comparison = compare_runs([full, failing, undecided, not_applicable], weights)
    scores = {
        s.label: (s.should_points, s.should_max, s.should_score) for s in comparison.solutions
    }
    assert scores["Full"] == (4.0, 4.0, 100.0)
    assert scores["Fail"] == (3.0, 4.0, 75.0)  # a waived failure earns nothing
    assert scores["Open"] == (1.0, 4.0, 25.0)  # not shown, not scored
    assert scores["NA"] == (1.0, 1.0, 100.0)  # not applicable leaves the total
    ranks = {s.label: s.rank for s in comparison.solutions}
    assert ranks == {"Full": 1, "NA": 1, "Fail": 3, "Open": 4}  # ties share a rank


def test_weight_precedence_id_then_largest_tag_then_axis_then_default() -> None:
    weights = Weights(
        default=0.5,
        requirements={"T-FAIL-001": 7.0},
        tags={"beta": 2.0, "gamma": 4.0},
        axes={"juridique": 3.0},
    )
    assert weights.weight({"id": "T-FAIL-001", "axis": "technique", "tags": ["beta"]}) == (
        7.0,
        "id",
    )
    assert weights.weight({"id": "X-1", "axis": "juridique", "tags": ["beta", "gamma"]}) == (
        4.0,
        "tag:gamma",
    )
    assert weights.weight({"id": "X-2", "axis": "juridique", "tags": []}) == (3.0, "axis:juridique")
    assert weights.weight({"id": "X-3", "axis": "technique", "tags": []}) == (0.5, "default")


def test_rows_that_differ_are_flagged() -> None:
    a = solution("A")
    b = solution("B", {"T-FAIL-001": {"status": "fail"}})
    comparison = compare_runs([a, b])
    assert [r.requirement_id for r in comparison.differing()] == ["T-FAIL-001"]
    same = compare_runs([a, solution("C")])
    assert same.differing() == []


def test_runs_on_different_grid_versions_are_refused_unless_allowed() -> None:
    current = synthetic("sdet/6.4", seed=1)
    older = synthetic("sdet/6.2", seed=2)
    with pytest.raises(InputError) as refused:
        check_comparable([current, older], ["a.json", "b.json"])
    message = str(refused.value)
    assert message.startswith("b.json") and "sdet/6.2" in message and "sdet/6.4" in message
    assert "--allow-mixed-versions" in message
    check_comparable([current, older], ["a.json", "b.json"], allow_mixed=True)
    comparison = compare_runs([current, older])
    assert comparison.mixed
    added = next(r for r in comparison.rows if r.requirement_id == "A11Y-KBD-001")
    assert added.cells[1].status is None  # absent from the 6.2 grid
    csv_text = render_comparison_csv(comparison).decode("utf-8")
    assert "A11Y-KBD-001" in csv_text and ",absente," in csv_text


def test_same_version_with_another_content_is_refused() -> None:
    a = solution("A")
    b = solution("B")
    b["grid"]["content_hash"] = "0" * 64
    with pytest.raises(InputError, match="a été modifiée"):
        check_comparable([a, b], ["a.json", "b.json"])


def test_the_same_run_twice_is_refused() -> None:
    a = solution("A")
    with pytest.raises(InputError, match="déjà donné"):
        check_comparable([a, a], ["a.json", "copie.json"])


def test_duplicate_target_names_get_distinct_labels() -> None:
    comparison = compare_runs([solution("ENT"), solution("ENT")])
    labels = [s.label for s in comparison.solutions]
    assert len(set(labels)) == 2


def test_every_run_of_a_duplicated_name_gets_its_number() -> None:
    # Found by trial: with three runs of the same target the last one had no number.
    comparison = compare_runs([solution("ENT"), solution("ENT"), solution("ENT"), solution("B")])
    assert [s.label for s in comparison.solutions] == [
        "ENT (1.0) #1",
        "ENT (1.0) #2",
        "ENT (1.0) #3",
        "B",
    ]


def test_a_name_that_looks_numbered_does_not_clash_with_a_numbered_label() -> None:
    # The records carry solution_version 1.0, so the duplicates read "ENT (1.0) #n".
    comparison = compare_runs([solution("ENT"), solution("ENT"), solution("ENT (1.0) #2")])
    labels = [s.label for s in comparison.solutions]
    assert len(set(labels)) == 3
    assert labels[0] == "ENT (1.0) #1"


def test_csv_matrix_has_one_column_per_solution() -> None:
    comparison = compare_runs(
        [solution("A"), solution("B", {"T-SECRET-001": {"status": "fail", "waived": True}})],
        Weights(tags={"beta": 2.0}),
    )
    lines = render_comparison_csv(comparison).decode("utf-8").lstrip("\ufeff").splitlines()
    assert lines[0] == "identifiant,axe,niveau,titre,poids,A,B,Diffère"
    rows = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    assert rows["T-SECRET-001"][5:] == ["C", "NC*", "oui"]
    assert rows["T-FAIL-001"][4] == "2"  # weighted by its tag
    assert rows["T-PASS-001"][4] == ""  # MUST items carry no weight


REQUIREMENTS = synthetic("demo")["grid"]["requirements"]


def weights_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "poids.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_weights_file_loads_and_is_pinned(tmp_path: Path) -> None:
    path = weights_file(
        tmp_path,
        "format: 1\ntitle: Marché\ndefault: 2\nrequirements: {T-FAIL-001: 5}\n"
        "tags: {beta: 3}\naxes: {juridique: 0.5}\n",
    )
    weights = load_weights(path, REQUIREMENTS)
    assert weights.default == 2.0 and weights.requirements == {"T-FAIL-001": 5.0}
    assert weights.tags == {"beta": 3.0} and weights.axes == {"juridique": 0.5}
    assert weights.title == "Marché" and weights.sha256 and len(weights.sha256) == 64


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("format: 1\nrequirements:\n  T-FAIL-002: 2\n", 3, ["T-FAIL-002", "T-FAIL-001"]),
        ("format: 1\nrequirements:\n  T-PASS-001: 2\n", 3, ["MUST", "barrière"]),
        ("format: 1\ntags:\n  betta: 2\n", 3, ["betta", "beta"]),
        ("format: 1\naxes:\n  securite: 2\n", 3, ["securite", "technique"]),
        ("format: 1\ndefault: -1\n", 2, ["hors limites", "supérieure ou égale à 0"]),
        ("format: 1\nweights: {}\n", 2, ["clé inconnue", "weights"]),
        ("format: 1\ntags:\n  beta: beaucoup\n", 3, ["beaucoup", "nombre"]),
    ],
)
def test_weights_errors_name_the_line_and_the_fix(
    tmp_path: Path, text: str, line: int, words: list[str]
) -> None:
    with pytest.raises(InputError) as error:
        load_weights(weights_file(tmp_path, text), REQUIREMENTS)
    message = str(error.value)
    assert f"ligne {line}" in message, message
    assert "À faire" in message
    for word in words:
        assert word in message, message
