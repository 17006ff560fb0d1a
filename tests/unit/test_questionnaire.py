"""The questionnaire bidders answer: export, fill as a spreadsheet would, import, refusals."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from sdet_check.api import open_grid
from sdet_check.cli import main
from sdet_check.declarations import load_declarations
from sdet_check.grid import Grid
from sdet_check.ods import read_ods_bytes
from sdet_check.questionnaire import (
    HIDDEN_SHEET,
    QuestionnaireError,
    declaration_items,
    import_questionnaire,
    write_declarations,
    write_questionnaire,
)
from tests.office import fill_cells, replace_member, resave_as_ods, sheets_as_csv

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SHIPPED = EXAMPLES / "questionnaire-ent-exemple.ods"
HEADER_ROW = 5  # five preamble lines, then the header (0-based rows of the file)
ANSWER, FILES, TITLES, HASHES, COMMENT = 8, 9, 10, 11, 12
IDENTITY = {
    "editor": "Éditeur Exemple",
    "solution": "ENT Collèges de l'Exemple",
    "solution_version": "5.2.0",
    "author": "Jeanne Martin, DPO",
    "date": "2026-09-15",
}


@pytest.fixture(scope="module")
def grid() -> Grid:
    return open_grid("sdet/6.4")


@pytest.fixture(scope="module")
def blank(grid: Grid) -> bytes:
    return write_questionnaire(grid, "fr")


def row_of(ods: bytes, requirement: str) -> int:
    """0-based row of ``requirement`` in the declarations sheet (read by its hidden key)."""
    rows = read_ods_bytes(ods).sheets["Déclarations"]
    return next(i for i, row in enumerate(rows) if row and row[0] == requirement)


def fill(
    ods: bytes,
    answers: dict[str, tuple[str, str, str, str, str]],
    identity: dict[str, str] | None = None,
    rest: str = "sans réponse",
) -> bytes:
    """Answer every row: ``answers`` by id (answer, files, titles, hashes, comment)."""
    rows = read_ods_bytes(ods).sheets["Déclarations"]
    cells: dict[tuple[int, int], str] = {}
    for index, row in enumerate(rows[HEADER_ROW + 1 :], HEADER_ROW + 1):
        values = answers.get(row[0], (rest, "", "", "", ""))
        for column, value in zip((ANSWER, FILES, TITLES, HASHES, COMMENT), values, strict=True):
            if value:
                cells[(index, column)] = value
    ods = fill_cells(ods, "Déclarations", cells)
    people = IDENTITY if identity is None else identity
    keys = ["editor", "solution", "solution_version", "author", "date"]
    return fill_cells(
        ods, "Identité", {(1 + i, 2): people[key] for i, key in enumerate(keys) if people.get(key)}
    )


def example_answers() -> dict[str, tuple[str, str, str, str, str]]:
    declarations, _ = load_declarations(EXAMPLES / "declarations.yaml")
    return {
        d.requirement: (
            d.status.replace("_", " "),
            "; ".join(Path(doc.path or "").name for doc in d.documents),
            "; ".join(doc.title for doc in d.documents),
            "; ".join(doc.sha256 for doc in d.documents),
            d.text,
        )
        for d in declarations
    }


def comparable(declarations: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (
            d.requirement, d.status, d.text, d.author, str(d.date),
            tuple((doc.title, doc.sha256) for doc in d.documents),
        )
        for d in declarations
    )  # fmt: skip


def write(tmp_path: Path, ods: bytes, name: str = "q.ods") -> Path:
    path = tmp_path / name
    path.write_bytes(ods)
    return path


def refusal(tmp_path: Path, ods: bytes, grid: Grid, proofs: Path | None = None) -> Any:
    with pytest.raises(QuestionnaireError) as caught:
        import_questionnaire(write(tmp_path, ods), proofs or EXAMPLES / "preuves", grid)
    message = str(caught.value)
    assert "feuille « " in message and "À faire" in message
    return caught.value


# --- export -----------------------------------------------------------------------------------


def test_questionnaire_lists_every_declaration_item_with_its_expected_proof(
    grid: Grid, blank: bytes
) -> None:
    workbook = read_ods_bytes(blank)
    assert list(workbook.sheets) == ["Identité", "Déclarations", HIDDEN_SHEET]
    rows = workbook.sheets["Déclarations"][HEADER_ROW + 1 :]
    items = declaration_items(grid)
    assert [row[2] for row in rows] == [r.id for r in items]
    assert len(items) == 26
    for row, requirement in zip(rows, items, strict=True):
        assert row[6] == requirement.statement.fr
        assert requirement.verification.proofs is not None
        assert row[7] == requirement.verification.proofs.fr
    assert workbook.metadata["sdet-check-grid_hash"] == grid.content_hash
    pinned = dict(row[:2] for row in workbook.sheets[HIDDEN_SHEET] if len(row) == 2)
    assert pinned["grid"] == "sdet/6.4"
    assert pinned["grid_hash"] == grid.content_hash


def test_answer_column_offers_a_list_of_allowed_values_and_hides_its_key_columns(
    blank: bytes,
) -> None:
    import zipfile

    content = zipfile.ZipFile(io.BytesIO(blank)).read("content.xml").decode()
    assert 'of:cell-content-is-in-list("conforme";"non conforme";"non applicable";' in content
    assert 'table:content-validation-name="answers"' in content
    assert content.count('table:visibility="collapse"') >= 2
    assert 'table:display="false"' in content  # the pinning sheet is hidden


def test_english_questionnaire_has_english_sheets_and_values(grid: Grid) -> None:
    workbook = read_ods_bytes(write_questionnaire(grid, "en"))
    assert "Declarations" in workbook.sheets and "Identity" in workbook.sheets
    assert workbook.sheets["Declarations"][HEADER_ROW][8] == "answer"


# --- round trip --------------------------------------------------------------------------------


def test_round_trip_gives_declarations_equal_to_the_answers(
    tmp_path: Path, grid: Grid, blank: bytes
) -> None:
    answers = example_answers()
    answers["ARCH-SOC-001"] = ("non conforme", "", "", "", "Le socle n'est pas encore migré.")
    answers["ARCH-SOC-002"] = ("non applicable", "", "", "", "Pas d'hébergement propre.")
    filled = fill(blank, answers)
    imported = import_questionnaire(write(tmp_path, filled), EXAMPLES / "preuves", grid)

    expected, _ = load_declarations(EXAMPLES / "declarations.yaml")
    assert comparable(imported.declarations) == sorted(
        [
            *comparable(expected),
            ("ARCH-SOC-001", "non_conforme", "Le socle n'est pas encore migré.",
             "Jeanne Martin, DPO", "2026-09-15", ()),
            ("ARCH-SOC-002", "non_applicable", "Pas d'hébergement propre.",
             "Jeanne Martin, DPO", "2026-09-15", ()),
        ]
    )  # fmt: skip
    assert len(imported.unanswered) == 26 - 4
    assert imported.identity == IDENTITY

    out = tmp_path / "sortie" / "declarations.yaml"
    out.parent.mkdir()
    write_declarations(imported, out)
    loaded, _ = load_declarations(out, [r.id for r in grid.requirements])
    assert comparable(loaded) == comparable(imported.declarations)
    assert all(doc.check == "ok" for d in loaded for doc in d.documents)
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert (data["editor"], data["solution_version"]) == ("Éditeur Exemple", "5.2.0")


def test_command_line_imports_and_refuses_with_exit_code_3(
    tmp_path: Path, blank: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path, fill(blank, example_answers()))
    out = tmp_path / "declarations.yaml"
    code = main(["questionnaire", "import", str(good), "--proofs", str(EXAMPLES / "preuves"),
                 "--out", str(out), "--grid", "sdet/6.4"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert len(load_declarations(out)[0]) == 2
    bad = write(tmp_path, fill(blank, {}, rest="peut-être"), "bad.ods")
    code = main(["questionnaire", "import", str(bad), "--out", str(tmp_path / "x.yaml")])
    err = capsys.readouterr().err
    assert code == 3
    assert "feuille « Déclarations », ligne 7, colonne « réponse »" in " ".join(err.split())
    assert not (tmp_path / "x.yaml").exists()


def test_command_line_export_defaults_to_the_export_subcommand(tmp_path: Path) -> None:
    out = tmp_path / "q.ods"
    assert main(["questionnaire", "sdet/6.2", "--out", str(out)]) == 0
    rows = read_ods_bytes(out.read_bytes()).sheets["Déclarations"]
    assert len(rows) - HEADER_ROW - 1 == len(declaration_items(open_grid("sdet/6.2")))


# --- refusals ------------------------------------------------------------------------------------


def test_questionnaire_of_another_grid_version_is_refused(tmp_path: Path, grid: Grid) -> None:
    other = write_questionnaire(open_grid("sdet/6.2"), "fr")
    error = refusal(tmp_path, fill(other, {}), grid)
    [problem] = error.problems
    assert problem.sheet == HIDDEN_SHEET
    assert "sdet/6.2" in problem.problem and "sdet/6.4" in problem.problem
    assert "sdet-check questionnaire sdet/6.4" in problem.fix


def test_missing_proof_is_refused_with_sheet_row_and_fix(
    tmp_path: Path, grid: Grid, blank: bytes
) -> None:
    proofs = tmp_path / "preuves"
    shutil.copytree(EXAMPLES / "preuves", proofs)
    (proofs / "aipd.txt").unlink()
    filled = fill(blank, example_answers())
    error = refusal(tmp_path, filled, grid, proofs)
    [problem] = error.problems
    assert (problem.sheet, problem.row) == ("Déclarations", row_of(filled, "LEG-RGPD-001") + 1)
    assert "aipd.txt" in problem.problem and "introuvable" in problem.problem
    assert "joindre ce fichier" in problem.fix


def test_changed_proof_is_refused(tmp_path: Path, grid: Grid, blank: bytes) -> None:
    proofs = tmp_path / "preuves"
    shutil.copytree(EXAMPLES / "preuves", proofs)
    with (proofs / "registre-traitements.txt").open("a", encoding="utf-8") as handle:
        handle.write("ligne ajoutée après la remise\n")
    filled = fill(blank, example_answers())
    [problem] = refusal(tmp_path, filled, grid, proofs).problems
    assert (problem.sheet, problem.row) == ("Déclarations", row_of(filled, "LEG-REG-001") + 1)
    assert problem.column == "sha256 des preuves"
    assert "a changé" in problem.problem


def test_unknown_value_is_refused(tmp_path: Path, grid: Grid, blank: bytes) -> None:
    answers = example_answers()
    answers["ARCH-SOC-001"] = ("oui", "", "", "", "")
    filled = fill(blank, answers)
    [problem] = refusal(tmp_path, filled, grid).problems
    assert (problem.sheet, problem.row) == ("Déclarations", row_of(filled, "ARCH-SOC-001") + 1)
    assert "« oui » inconnue" in problem.problem
    assert "« sans réponse »" in problem.fix


@pytest.mark.parametrize("column", [0, 1], ids=["key", "seal"])
def test_edited_hidden_column_is_refused(
    tmp_path: Path, grid: Grid, blank: bytes, column: int
) -> None:
    filled = fill(blank, example_answers())
    row = row_of(filled, "ARCH-SOC-002")
    edited = fill_cells(filled, "Déclarations", {(row, column): "ARCH-SOC-001"})
    problems = refusal(tmp_path, edited, grid).problems
    assert ("Déclarations", row + 1) in {(p.sheet, p.row) for p in problems}
    hidden = next(p for p in problems if p.row == row + 1)
    assert "colonne masquée" in hidden.problem
    assert "questionnaire d'origine" in hidden.fix


def test_edited_hidden_sheet_is_refused(tmp_path: Path, grid: Grid, blank: bytes) -> None:
    filled = fill(blank, example_answers())
    rows = read_ods_bytes(filled).sheets[HIDDEN_SHEET]
    at = next(i for i, row in enumerate(rows) if row[0] == "grid_hash")
    edited = fill_cells(filled, HIDDEN_SHEET, {(at, 1): "0" * 64})
    [problem] = refusal(tmp_path, edited, grid).problems
    assert (problem.sheet, problem.row) == (HIDDEN_SHEET, at + 1)
    assert "modifiée" in problem.problem


def test_unanswered_row_and_missing_identity_are_each_named(
    tmp_path: Path, grid: Grid, blank: bytes
) -> None:
    answers = example_answers()
    filled = fill(blank, answers, identity={**IDENTITY, "solution_version": ""})
    row = row_of(filled, "ARCH-SOC-001")
    emptied = fill_cells(filled, "Déclarations", {(row, ANSWER): ""})
    problems = refusal(tmp_path, emptied, grid).problems
    where = {(p.sheet, p.row, p.column) for p in problems}
    assert ("Identité", 4, "réponse du candidat") in where
    assert ("Déclarations", row + 1, "réponse") in where
    assert len(problems) == 2


def test_proof_names_cannot_leave_the_proof_folder(
    tmp_path: Path, grid: Grid, blank: bytes
) -> None:
    answers = example_answers()
    answers["LEG-REG-001"] = ("conforme", "../declarations.yaml", "", "", "")
    [problem] = refusal(tmp_path, fill(blank, answers), grid).problems
    assert "hors du dossier des preuves" in problem.problem


def test_not_a_spreadsheet_is_one_input_error(tmp_path: Path, grid: Grid, blank: bytes) -> None:
    from sdet_check.errors import InputError

    for data in (b"PK\x03\x04 pas un zip", replace_member(blank, "mimetype", b"text/plain")):
        path = write(tmp_path, data, "x.ods")
        with pytest.raises(InputError) as caught:
            import_questionnaire(path, EXAMPLES / "preuves", grid)
        assert "OpenDocument" in str(caught.value) or "ODS" in str(caught.value)


# --- the shipped example -----------------------------------------------------------------------


def test_shipped_example_imports_into_the_example_declarations(tmp_path: Path, grid: Grid) -> None:
    imported = import_questionnaire(SHIPPED, EXAMPLES / "preuves", grid)
    expected, _ = load_declarations(EXAMPLES / "declarations.yaml")
    assert comparable(imported.declarations) == comparable(expected)
    assert imported.identity == IDENTITY


def test_shipped_example_is_what_the_command_generates(tmp_path: Path) -> None:
    out = tmp_path / "q.ods"
    assert main(["questionnaire", "sdet/6.4", "--from", str(EXAMPLES / "declarations.yaml"),
                 "--rest-unanswered", "--out", str(out)]) == 0  # fmt: skip
    fresh = read_ods_bytes(out.read_bytes())
    shipped = read_ods_bytes(SHIPPED.read_bytes())
    assert fresh == shipped, (
        "examples/questionnaire-ent-exemple.ods est périmé : le régénérer (voir README)"
    )


# --- LibreOffice ---------------------------------------------------------------------------------


def test_questionnaire_opens_in_libreoffice_with_the_expected_rows(
    tmp_path: Path, grid: Grid
) -> None:
    path = tmp_path / "questionnaire.ods"
    shutil.copy(SHIPPED, path)
    sheets = sheets_as_csv(path, tmp_path)
    rows = list(csv.reader(io.StringIO(sheets["Déclarations"])))
    header = next(i for i, row in enumerate(rows) if row[:3] == ["clé", "sceau", "identifiant"])
    body = [row for row in rows[header + 1 :] if any(row)]
    assert [row[2] for row in body] == [r.id for r in declaration_items(grid)]
    answered = {row[2]: row[8] for row in body}
    assert answered["LEG-REG-001"] == "conforme"
    assert list(answered.values()).count("sans réponse") == 24
    identity = list(csv.reader(io.StringIO(sheets["Identité"])))
    assert identity[3][:3] == ["solution_version", "Version de la solution", "5.2.0"]


def test_questionnaire_saved_again_by_libreoffice_still_imports(tmp_path: Path, grid: Grid) -> None:
    path = tmp_path / "questionnaire.ods"
    shutil.copy(SHIPPED, path)
    resaved = resave_as_ods(path, tmp_path)
    assert resaved.read_bytes() != SHIPPED.read_bytes()
    imported = import_questionnaire(resaved, EXAMPLES / "preuves", grid)
    expected, _ = load_declarations(EXAMPLES / "declarations.yaml")
    assert comparable(imported.declarations) == comparable(expected)


# --- the note théorique of a run ------------------------------------------------------------------


def test_terminal_shows_the_percentage_of_declared_conformity(
    tmp_path: Path, registry: Any, target_file: Path, environ: dict[str, str]
) -> None:
    from sdet_check.api import RunRequest, evaluate
    from sdet_check.reporters import reporter_for

    from .conftest import DEMO_GRID

    declarations = tmp_path / "declarations.yaml"
    declarations.write_text(
        "format: 1\ndeclarations:\n"
        "  - {requirement: J-DECL-001, status: conforme, statement: Registre tenu.,"
        " author: DPO, date: 2026-09-01}\n",
        encoding="utf-8",
    )
    record = evaluate(
        RunRequest(target=target_file, grid=str(DEMO_GRID), declarations=declarations),
        registry=registry,
        environ=environ,
    )
    french = reporter_for("terminal").render(record, "fr").decode()
    assert "Note théorique : 100 % de conformité déclarée (1 déclarée(s) conforme(s) sur 1" in (
        " ".join(french.split())
    )
    english = " ".join(reporter_for("terminal").render(record, "en").decode().split())
    assert "Declared score: 100 % declared conformity (1 declared compliant out of 1" in english


def test_refusals_are_worded_in_english_with_lang_en(
    tmp_path: Path, grid: Grid, blank: bytes
) -> None:
    answers = example_answers()
    answers["ARCH-SOC-001"] = ("yes", "", "", "", "")
    filled = fill(blank, answers)
    with pytest.raises(QuestionnaireError) as caught:
        import_questionnaire(write(tmp_path, filled), EXAMPLES / "preuves", grid, "en")
    message = " ".join(str(caught.value).split())
    row = row_of(filled, "ARCH-SOC-001") + 1
    assert f'sheet "Déclarations", row {row}, column "réponse": unknown answer "yes"' in message
    assert 'To do: choose a value among "compliant", "not compliant"' in message
    assert "À faire" not in message


@pytest.mark.parametrize(
    ("lang", "statement", "head", "absent"),
    [
        ("fr", "Déclaré non conforme dans le questionnaire.",
         "# Déclarations importées d'un questionnaire sdet-check (grille sdet/6.4", "Declared"),
        ("en", "Declared non-compliant in the questionnaire.",
         "# Declarations imported from an sdet-check questionnaire (grid sdet/6.4", "Déclar"),
    ],
)  # fmt: skip
def test_default_statement_and_file_header_follow_the_language(
    tmp_path: Path, grid: Grid, blank: bytes, lang: str, statement: str, head: str, absent: str
) -> None:
    """An answer without a comment gets a statement in the import's language; so does the head."""
    answers = example_answers()
    answers["ARCH-SOC-001"] = ("non conforme", "", "", "", "")
    imported = import_questionnaire(write(tmp_path, fill(blank, answers)), EXAMPLES / "preuves",
                                    grid, lang)  # fmt: skip
    by_id = {d.requirement: d for d in imported.declarations}
    assert by_id["ARCH-SOC-001"].text == statement
    out = tmp_path / "declarations.yaml"
    from sdet_check.messages import current_language, set_language

    before = current_language()
    set_language(lang)
    try:
        write_declarations(imported, out)
    finally:
        set_language(before)
    written = out.read_text(encoding="utf-8")
    assert written.startswith(head)
    assert absent not in written.split("declarations:")[0]
    assert statement in " ".join(written.split())
