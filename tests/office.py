"""Spreadsheets as a bidder handles them: cells filled by editing the ODS's own XML, and
LibreOffice (headless) to open, convert and re-save them."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pytest
from lxml import etree

OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def fill_cells(ods: bytes, sheet: str, cells: Mapping[tuple[int, int], str]) -> bytes:
    """``ods`` with the text of some cells of ``sheet`` replaced.

    ``cells`` maps (row, column), both 0-based as the file lays them out, to the new text.
    This goes through the document's XML, not through sdet-check's writer, as a spreadsheet
    program would.
    """
    with zipfile.ZipFile(io.BytesIO(ods)) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    content = next(data for info, data in members if info.filename == "content.xml")
    root = etree.fromstring(content)
    table = root.find(f".//{{{TABLE}}}table[@{{{TABLE}}}name='{sheet}']")
    assert table is not None, sheet
    rows = table.findall(f".//{{{TABLE}}}table-row")
    for (row, column), value in cells.items():
        existing = rows[row].findall(f"{{{TABLE}}}table-cell")
        while len(existing) <= column:
            existing.append(etree.SubElement(rows[row], f"{{{TABLE}}}table-cell"))
        cell = existing[column]
        for child in list(cell):
            cell.remove(child)
        for attribute in list(cell.attrib):
            if attribute.startswith(f"{{{OFFICE}}}"):
                del cell.attrib[attribute]
        cell.set(f"{{{OFFICE}}}value-type", "string")
        for line in value.split("\n"):
            etree.SubElement(cell, f"{{{TEXT}}}p").text = line
    return replace_member(ods, "content.xml", etree.tostring(root, xml_declaration=True))


def replace_member(ods: bytes, name: str, data: bytes) -> bytes:
    """``ods`` with one archive member replaced (``mimetype`` stays first, stored)."""
    with zipfile.ZipFile(io.BytesIO(ods)) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info, content in members:
            compress = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(
                info.filename, data if info.filename == name else content, compress_type=compress
            )
    return out.getvalue()


def need_soffice() -> str:
    """LibreOffice's ``soffice``; skipped with its reason outside CI, a failure in CI."""
    found = shutil.which("soffice")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("soffice absent en CI : .ci/run doit installer libreoffice-calc-nogui")
        pytest.skip("soffice absent (apt-get install libreoffice-calc-nogui)")
    return found


def soffice(args: list[str], work: Path) -> None:
    """Run LibreOffice headless with a throw-away profile in ``work``."""
    profile = work / "lo-profile"
    done = subprocess.run(
        [
            need_soffice(),
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=work,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def sheets_as_csv(ods: Path, work: Path) -> dict[str, str]:
    """Every sheet of ``ods`` as CSV text, converted by LibreOffice, keyed by sheet name."""
    out = work / "csv"
    out.mkdir(exist_ok=True)
    # Filter options: comma, double quote, UTF-8, from line 1, ..., -1 = every sheet.
    soffice(
        [
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir",
            str(out),
            str(ods),
        ],
        work,
    )
    prefix = ods.stem + "-"
    return {
        path.stem[len(prefix) :]: path.read_text(encoding="utf-8")
        for path in out.glob(f"{ods.stem}-*.csv")
    }


def resave_as_ods(ods: Path, work: Path) -> Path:
    """``ods`` opened and saved again by LibreOffice (what a bidder's save does)."""
    out = work / "resaved"
    out.mkdir(exist_ok=True)
    soffice(["--convert-to", "ods", "--outdir", str(out), str(ods)], work)
    return out / ods.name
