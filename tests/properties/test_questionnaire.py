"""Properties of the ODS reader and the questionnaire import.

Whatever a bidder's spreadsheet holds (any text in any cell, typed cells with odd values,
odd repetition counts, a truncated archive), the import gives either declarations or the
documented InputError (sheet, row, fix), never another exception.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from functools import cache
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from sdet_check.api import open_grid
from sdet_check.declarations import load_declarations
from sdet_check.errors import InputError
from sdet_check.grid import Grid
from sdet_check.ods import read_ods_bytes
from sdet_check.questionnaire import ImportedQuestionnaire, check_workbook, write_declarations
from tests.office import OFFICE, TABLE, fill_cells, replace_member
from tests.strategies import budget

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SHIPPED = (EXAMPLES / "questionnaire-ent-exemple.ods").read_bytes()
SHEETS = ("Identité", "Déclarations", "sdet-check")

# Text an XML document can carry (lxml refuses the other control characters).
cell_text = st.text(
    st.characters(exclude_categories=("Cs", "Cc")) | st.sampled_from("\t\n"), max_size=80
) | st.sampled_from(
    ["", "conforme", "CONFORME", "non_conforme", "sans réponse", "no answer", "aipd.txt",
     "../x", "/etc/passwd", "a; b; c", "2026-02-30", "15/09/2026", "=HYPERLINK(\"x\")",
     "0" * 64, "sdet/6.2", "1", "LEG-REG-001", "clé", " ", "\u2028", "\x85", "\ufeff",
     "a: b", "- x", "'", '"', "#", "\\", "&x", "*y", "!!python/object x"]
)  # fmt: skip


@cache
def grid() -> Grid:
    return open_grid("sdet/6.4")


def imported(data: bytes) -> ImportedQuestionnaire | None:
    try:
        return check_workbook(read_ods_bytes(data), "q.ods", EXAMPLES / "preuves", grid())
    except InputError as exc:
        assert str(exc)
        return None


@budget(ci=300)
@given(
    st.lists(
        st.tuples(st.sampled_from(SHEETS), st.integers(0, 30), st.integers(0, 13), cell_text),
        min_size=1,
        max_size=6,
    )
)
def test_any_cell_text_gives_declarations_or_input_error(
    edits: list[tuple[str, int, int, str]],
) -> None:
    data = SHIPPED
    sheets = read_ods_bytes(data).sheets
    for sheet, row, column, text in edits:
        rows = sheets[sheet]
        width = 4 if sheet == "Identité" else 13 if sheet == "Déclarations" else 2
        data = fill_cells(data, sheet, {(row % len(rows), column % width): text})
    result = imported(data)
    if result is not None:
        # Every declaration a questionnaire gives is about a declaration item of the grid,
        # and the file written from it is one a run loads, whatever text the cells held.
        assert {d.requirement for d in result.declarations} <= {r.id for r in grid().requirements}
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "declarations.yaml"
            write_declarations(result, out)
            loaded, _ = load_declarations(out, [r.id for r in grid().requirements])
        assert [(d.requirement, d.text, d.author) for d in loaded] == [
            (d.requirement, d.text, d.author) for d in result.declarations
        ]


@budget(ci=200)
@given(
    st.integers(0, 200),
    st.sampled_from(["date", "float", "boolean", "percentage", "currency", "time", "bogus"]),
    cell_text,
    st.sampled_from(["number-columns-repeated", "number-rows-repeated", None]),
    st.sampled_from(["0", "-1", "x", "1048576", "3", "99999999999999999999", ""]),
)
def test_typed_cells_and_repetitions_never_crash_the_reader(
    index: int, kind: str, value: str, repeat: str | None, count: str
) -> None:
    with zipfile.ZipFile(io.BytesIO(SHIPPED)) as archive:
        root = etree.fromstring(archive.read("content.xml"))
    cells = list(root.iter(f"{{{TABLE}}}table-cell"))
    cell = cells[index % len(cells)]
    cell.set(f"{{{OFFICE}}}value-type", kind)
    for attribute in ("value", "date-value", "boolean-value", "time-value"):
        cell.set(f"{{{OFFICE}}}{attribute}", value)
    if repeat == "number-columns-repeated":
        cell.set(f"{{{TABLE}}}{repeat}", count)
    elif repeat is not None:
        row = cell.getparent()
        assert row is not None
        row.set(f"{{{TABLE}}}{repeat}", count)
    imported(replace_member(SHIPPED, "content.xml", etree.tostring(root)))


@budget(ci=200)
@given(st.integers(0, len(SHIPPED) - 1), st.binary(max_size=16))
def test_damaged_archive_gives_input_error(at: int, junk: bytes) -> None:
    damaged = SHIPPED[:at] + junk + SHIPPED[at + len(junk) :]
    result = imported(damaged)
    if result is not None:
        assert result.identity["editor"] == "Éditeur Exemple"


@budget(ci=150)
@given(cell_text, cell_text)
def test_any_declaration_text_and_author_round_trip_through_the_declarations_file(
    comment: str, author: str
) -> None:
    rows = read_ods_bytes(SHIPPED).sheets["Déclarations"]
    at = next(i for i, row in enumerate(rows) if row and row[0] == "LEG-REG-001")
    data = fill_cells(SHIPPED, "Déclarations", {(at, 12): comment})
    data = fill_cells(data, "Identité", {(4, 2): author})
    result = imported(data)
    if not author.strip():
        assert result is None  # the respondent is required
        return
    assert result is not None
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "declarations.yaml"
        write_declarations(result, out)
        loaded, _ = load_declarations(out)
    declared = {d.requirement: d for d in loaded}
    assert declared["LEG-REG-001"].author == author.strip()
    expected = comment.strip() or "Déclaré conforme dans le questionnaire."
    assert declared["LEG-REG-001"].text == expected
