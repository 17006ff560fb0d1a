"""The reading grid for tenders: HTML, PDF and ODS exports of a grid, filtered."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from lxml import html as lxml_html

from sdet_check.api import open_grid
from sdet_check.cli import main
from sdet_check.grid import Grid, Requirement
from sdet_check.gridexport import export_ods
from sdet_check.ods import read_ods_bytes
from sdet_check.reporters.readinggrid import (
    render_reading_grid_html,
    render_reading_grid_pdf,
)
from tests.documents import pdf_pages, pdf_text
from tests.office import sheets_as_csv


@pytest.fixture(scope="module")
def grid() -> Grid:
    return open_grid("sdet/6.4")


def test_html_lists_every_requirement_with_level_source_and_verification(grid: Grid) -> None:
    page = lxml_html.fromstring(render_reading_grid_html(grid, grid.requirements, "fr"))
    rows = page.xpath("//table[contains(@class, 'reading')]/tbody/tr")
    assert [row.get("id") for row in rows] == [f"req-{r.id}" for r in _grid_order(grid)]
    declaration = next(r for r in grid.requirements if r.verification.method.value == "declaration")
    row = page.get_element_by_id(f"req-{declaration.id}")
    text = " ".join(row.text_content().split())
    assert "déclaration du candidat" in text
    assert declaration.verification.proofs is not None
    assert " ".join(declaration.verification.proofs.fr.split())[:40] in text
    assert declaration.source.label()[:30] in text
    probe = next(r for r in grid.requirements if r.verification.probe)
    assert (
        f"sonde {probe.verification.probe}"
        in page.get_element_by_id(f"req-{probe.id}").text_content()
    )
    assert grid.content_hash in page.text_content()


def _grid_order(grid: Grid) -> list[Requirement]:
    return [r for axis in grid.axes for r in grid.requirements if r.axis == axis.id]


def test_filters_by_axis_level_degree_and_scope_from_the_command_line(
    tmp_path: Path, grid: Grid
) -> None:
    out = tmp_path / "grille.html"
    code = main(["grid", "export", "sdet/6.4", "--format", "html", "--axis", "juridique",
                 "--level", "must", "--degree", "1d", "--scope", "exploitation",
                 "--out", str(out)])  # fmt: skip
    assert code == 0
    page = lxml_html.fromstring(out.read_bytes())
    shown = {row.get("id")[4:] for row in page.xpath("//tbody/tr[starts-with(@id, 'req-')]")}
    expected = {
        r.id for r in grid.requirements
        if r.axis == "juridique" and r.level.value == "MUST" and "1d" in r.degrees
        and "exploitation" in r.scopes
    }  # fmt: skip
    assert shown == expected and expected
    assert "axe juridique ; niveau MUST ; degré 1d ; périmètre exploitation" in " ".join(
        page.get_element_by_id("selection").text_content().split()
    )


def test_unknown_filter_and_binary_format_on_stdout_are_refused(tmp_path: Path) -> None:
    assert main(["grid", "export", "sdet/6.4", "--format", "ods", "--scope", "lycée"]) == 3
    assert main(["grid", "export", "sdet/6.4", "--format", "pdf"]) == 3


def test_english_reading_grid(grid: Grid) -> None:
    text = render_reading_grid_html(grid, grid.requirements, "en").decode()
    assert "SDET reading grid" in text and "bidder&#39;s declaration" in text
    assert "expected proof: " in text
    assert "déclaration du candidat" not in text


def test_pdf_reading_grid_is_landscape_and_holds_every_requirement(
    tmp_path: Path, grid: Grid
) -> None:
    securite = [r for r in grid.requirements if r.axis == "securite"]
    path = tmp_path / "grille.pdf"
    path.write_bytes(render_reading_grid_pdf(grid, securite, "fr", {"axis": ["securite"]}))
    assert pdf_pages(path) >= 2
    text = pdf_text(path)
    assert "Grille de lecture du SDET" in text
    for requirement in securite:
        assert requirement.id in text
    assert "grille sha256 " + grid.content_hash[:20] in text  # running footer


def test_ods_reading_grid_has_one_filterable_row_per_requirement(grid: Grid) -> None:
    data = export_ods(grid, grid.requirements, "fr")
    workbook = read_ods_bytes(data)
    rows = workbook.sheets["Grille"]
    assert rows[1][:3] == ["identifiant", "axe", "niveau"]
    assert [row[0] for row in rows[2:]] == [r.id for r in grid.requirements]
    assert workbook.metadata["sdet-check-grid_hash"] == grid.content_hash
    assert b"table:display-filter-buttons" in _content(data)
    about = dict(tuple(row[:2]) for row in workbook.sheets["À propos"] if len(row) >= 2)
    assert about["Empreinte sha256"] == grid.content_hash


def _content(data: bytes) -> bytes:
    import zipfile

    return zipfile.ZipFile(io.BytesIO(data)).read("content.xml")


def test_ods_reading_grid_opens_in_libreoffice_with_the_expected_rows(
    tmp_path: Path, grid: Grid
) -> None:
    path = tmp_path / "grille.ods"
    assert main(["grid", "export", "sdet/6.4", "--format", "ods", "--level", "MUST",
                 "--out", str(path)]) == 0  # fmt: skip
    sheets = sheets_as_csv(path, tmp_path)
    rows = [row for row in csv.reader(io.StringIO(sheets["Grille"])) if any(row)]
    musts = [r for r in grid.requirements if r.level.value == "MUST"]
    assert rows[1][0] == "identifiant"
    assert [row[0] for row in rows[2:]] == [r.id for r in musts]
    assert all(row[2] == "exigence (MUST)" for row in rows[2:])
