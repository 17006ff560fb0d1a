"""The files in examples/ load against the current grid: a newcomer can copy them as is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sdet_check.api import open_grid
from sdet_check.declarations import load_declarations, load_reviews, load_waivers
from sdet_check.target import load_target

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_example_target_loads_with_its_secrets_set() -> None:
    environ = {"SDET_ELEVE_PASSWORD": "mot-de-passe-x", "SDET_LDAP_PASSWORD": "mot-de-passe-y"}
    target = load_target(EXAMPLES / "cible-ent.yaml", environ)
    assert target.has("portal") and target.has("cas") and target.has("accounts")
    assert {s.env for s in target.secrets} == set(environ)


def test_example_declarations_waivers_reviews_match_the_grid() -> None:
    ids = [r.id for r in open_grid("sdet/6.4").requirements]
    declarations, pinned = load_declarations(EXAMPLES / "declarations.yaml", ids)
    assert declarations and all(d.documents[0].check == "ok" for d in declarations)
    assert pinned.header["editor"] == "Éditeur Exemple"  # carried into run.json
    assert pinned.header["solution_version"] == "5.2.0"
    waivers, _ = load_waivers(EXAMPLES / "reserves.yaml", ids)
    assert waivers[0].requirement == "SEC-TLS-002"
    reviews, _ = load_reviews(EXAMPLES / "revues.yaml", ids)
    assert reviews[0].documents[0].check == "ok"


# --- the reference ENT's answered kit (examples/ent-reference/), what `sdet-check demo` plays ---

REFERENCE = EXAMPLES / "ent-reference"
VERDICT_OF_DECLARATION = {
    "conforme": "pass",
    "non_conforme": "fail",
    "non_applicable": "not_applicable",
}


def test_reference_questionnaire_is_what_the_command_generates(tmp_path: Path) -> None:
    from sdet_check.cli import main
    from sdet_check.ods import read_ods_bytes

    out = tmp_path / "q.ods"
    source = REFERENCE / "declarations.yaml"
    assert main(["questionnaire", "sdet/6.4", "--from", str(source), "--out", str(out)]) == 0
    assert read_ods_bytes(out.read_bytes()) == read_ods_bytes(
        (REFERENCE / "questionnaire.ods").read_bytes()
    ), (
        "examples/ent-reference/questionnaire.ods est périmé : le régénérer avec "
        "sdet-check questionnaire sdet/6.4 --from examples/ent-reference/declarations.yaml "
        "--out examples/ent-reference/questionnaire.ods"
    )


def test_reference_questionnaire_answers_every_row_and_imports_back(tmp_path: Path) -> None:
    from sdet_check.questionnaire import (
        declaration_items,
        import_questionnaire,
        write_declarations,
    )

    grid = open_grid("sdet/6.4")
    imported = import_questionnaire(REFERENCE / "questionnaire.ods", REFERENCE / "preuves", grid)
    assert imported.unanswered == []
    assert [d.requirement for d in imported.declarations] == [r.id for r in declaration_items(grid)]
    expected, pinned = load_declarations(REFERENCE / "declarations.yaml")
    assert pinned.header["editor"] == imported.identity["editor"] == "sdet-check (exemple)"

    def comparable(declarations: list[Any]) -> list[tuple[Any, ...]]:
        return sorted(
            (d.requirement, d.status, d.text, d.author, str(d.date),
             tuple((doc.title, doc.sha256) for doc in d.documents))
            for d in declarations
        )  # fmt: skip

    assert comparable(imported.declarations) == comparable(expected)
    assert all(doc.check == "ok" for d in expected for doc in d.documents)
    # What the demo does next: the file the import writes is one a run reads.
    out = tmp_path / "declarations.yaml"
    write_declarations(imported, out)
    again, _ = load_declarations(out, [r.id for r in grid.requirements])
    assert comparable(again) == comparable(expected)
    # Every proof text says it is an example, not a real ENT's document.
    for proof in (REFERENCE / "preuves").iterdir():
        assert proof.read_text(encoding="utf-8").startswith("EXEMPLE — "), proof.name


def test_reference_review_answers_decide_every_item_waiting_for_a_person(
    tmp_path: Path,
) -> None:
    from sdet_check.grid import Method
    from sdet_check.review import ReviewBook, apply_reviews_file, read_answers, record_answers
    from tests.records import synthetic, with_results

    grid = open_grid("sdet/6.4")
    waiting = [r.id for r in grid.requirements if r.verification.method is not Method.PROBE]
    answers = read_answers(REFERENCE / "reponses-revue.yaml")
    assert sorted(a.requirement for a in answers.answers) == sorted(waiting)
    assert len(waiting) == 48
    # The auditor of the example confirms each declaration: same verdict as declared.
    declared, _ = load_declarations(REFERENCE / "declarations.yaml")
    verdicts = {a.requirement: a.verdict for a in answers.answers}
    assert {d.requirement: VERDICT_OF_DECLARATION[d.status] for d in declared} == {
        d.requirement: verdicts[d.requirement] for d in declared
    }
    record = with_results(
        synthetic("sdet/6.4"), {rid: {"status": "manual", "waived": False} for rid in waiting}
    )
    book = ReviewBook.open(tmp_path / "revues.yaml", [r.id for r in grid.requirements])
    assert record_answers(book, answers, record) == 48
    reviewed = apply_reviews_file(record, tmp_path / "revues.yaml").record
    statuses = {e["requirement"]: e["status"] for e in reviewed["results"]}
    assert {rid: statuses[rid] for rid in waiting} == verdicts
    proofs = [d for r in reviewed["reviews"] for d in r.get("documents", [])]
    assert len(proofs) == sum(len(a.proofs) for a in answers.answers) > 0
    assert all(d["check"] == "ok" for d in proofs)
