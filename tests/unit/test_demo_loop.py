"""The audit loop of ``sdet-check demo``, step by step, without starting the stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdet_check.api import open_grid
from sdet_check.declarations import load_declarations, load_reviews
from sdet_check.demo import loop
from sdet_check.grid import Grid, Method
from sdet_check.ods import read_ods_bytes
from sdet_check.resources import reference_ent_dir
from tests.records import synthetic, with_results


@pytest.fixture(scope="module")
def grid() -> Grid:
    return open_grid("sdet/6.4")


def test_the_kit_is_the_examples_folder() -> None:
    kit = reference_ent_dir()
    assert kit == Path(__file__).resolve().parents[2] / "examples" / "ent-reference"
    assert {loop.QUESTIONNAIRE, loop.ANSWERS, loop.PROOFS} <= {p.name for p in kit.iterdir()}


def test_questionnaire_handed_in_then_imported_into_the_demo_folder(
    tmp_path: Path, grid: Grid
) -> None:
    blank, handed = loop.hand_in_questionnaire(grid, tmp_path, "en")
    assert blank == tmp_path / "questionnaire-vierge.ods"
    assert "Declarations" in read_ods_bytes(blank.read_bytes()).sheets  # the bidder's language
    assert handed.questionnaire == tmp_path / "questionnaire.ods"
    assert sorted(p.name for p in handed.proofs.iterdir()) == sorted(
        p.name for p in (reference_ent_dir() / "preuves").iterdir()
    )
    declarations, imported = loop.import_answers(grid, handed, tmp_path)
    assert loop.declared_counts(imported) == {
        "conforme": 4,
        "non_conforme": 9,
        "non_applicable": 13,
    }
    loaded, _ = load_declarations(declarations, [r.id for r in grid.requirements])
    assert len(loaded) == 26
    # The folder moves as a whole: the declarations name their proofs beside them.
    assert {doc.path for d in loaded for doc in d.documents} <= {
        f"preuves/{p.name}" for p in handed.proofs.iterdir()
    }
    assert all(doc.check == "ok" for d in loaded for doc in d.documents)


def test_review_step_writes_the_reviews_beside_the_run_and_rescores(
    tmp_path: Path, grid: Grid
) -> None:
    _blank, handed = loop.hand_in_questionnaire(grid, tmp_path)
    waiting = [r.id for r in grid.requirements if r.verification.method is not Method.PROBE]
    record = with_results(
        synthetic("sdet/6.4"), {rid: {"status": "manual", "waived": False} for rid in waiting}
    )
    assert loop.status_counts(record)["manual"] == 48
    reviewed = loop.review_run(record, tmp_path / "run.json", handed.answers)
    assert reviewed.file == tmp_path / "revues.yaml" and reviewed.answered == 48
    counts = loop.status_counts(reviewed.record)
    assert counts["manual"] == 0 and sum(counts.values()) == len(grid.requirements)
    reviews, _ = load_reviews(reviewed.file, [r.id for r in grid.requirements])
    assert {r.requirement for r in reviews} == set(waiting)
    documents = [d for r in reviews for d in r.documents]
    assert documents and all(d.path and d.path.startswith("preuves/") for d in documents)
    assert all(d.check == "ok" for d in documents)


def test_step_lines_in_both_languages() -> None:
    counts = {"pass": 1, "fail": 2, "not_applicable": 3, "not_tested": 4, "error": 0, "manual": 5}
    french = loop.step_line("fr", "run", file="run.json", counts=counts, note="30,8 %")
    assert french == (
        "4/6 Évaluation avec ces déclarations : run.json (C 1 · NC 2 · NA 3 · NT 4 · erreur 0 · "
        "à examiner 5 ; note théorique 30,8 %)"
    )
    english = loop.step_line("en", "run", file="run.json", counts=counts, note="30.8%")
    assert english == (
        "4/6 Run with these declarations: run.json (pass 1 · fail 2 · n/a 3 · not tested 4 · "
        "error 0 · manual 5; declared score 30.8%)"
    )
    assert loop.percent(30.769, "fr") == "30,8 %" and loop.percent(None) == "—"
    assert loop.percent(30.769, "en") == "30.8%"


def test_the_kit_answers_the_grid_the_demo_runs() -> None:
    """A new grid version makes the demo run it: the kit must then be answered again."""
    from sdet_check.grid import current_grid_ref
    from sdet_check.questionnaire import import_questionnaire
    from sdet_check.review import read_answers

    current = open_grid(current_grid_ref())
    kit = reference_ent_dir()
    imported = import_questionnaire(kit / loop.QUESTIONNAIRE, kit / loop.PROOFS, current)
    assert not imported.unanswered
    waiting = {r.id for r in current.requirements if r.verification.method is not Method.PROBE}
    answers = read_answers(kit / loop.ANSWERS)
    assert {a.requirement for a in answers.answers} == waiting, (
        f"examples/ent-reference/ ne répond pas à la grille {current.ref} que joue la démo : "
        "régénérer le questionnaire et compléter reponses-revue.yaml"
    )
