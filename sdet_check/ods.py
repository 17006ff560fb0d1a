"""OpenDocument spreadsheets (ODS), the format French public buyers work in (RGI).

Writing goes through odfpy: sheets with typed text cells (never formulas), hidden columns
and sheets, lists of allowed values (content validations), protected sheets whose answer
cells stay editable, an autofilter, and user-defined document metadata.

Reading does not: a spreadsheet comes back from a bidder, so it is treated as hostile
input. The ZIP is read with size bounds, ``content.xml`` and ``meta.xml`` go through the
project's safe XML parser (no DTD, no entity, no network, bounded depth), and repeated
rows and columns are expanded only up to fixed limits. Anything wrong is one
:class:`~sdet_check.errors.InputError` naming the file and the fix.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from sdet_check.errors import InputError
from sdet_check.messages import Message, msg
from sdet_check.probe import HostileResponse
from sdet_check.xmlsafe import parse_hostile_xml

ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"

MAX_ODS_BYTES = 20 * 1024 * 1024
"""Largest spreadsheet file read."""
MAX_XML_BYTES = 32 * 1024 * 1024
"""Largest uncompressed ``content.xml`` read (a ZIP bomb stops here)."""
MAX_ROWS = 5000
"""Most rows read per sheet (trailing empty rows are not counted)."""
MAX_COLUMNS = 64
"""Most columns read per row (cells beyond are ignored)."""

_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
}
_OFFICE = "{" + _NS["office"] + "}"
_TABLE = "{" + _NS["table"] + "}"
_TEXT = "{" + _NS["text"] + "}"
_META = "{" + _NS["meta"] + "}"


def _fix_format() -> Message:
    """The fix of any unreadable workbook (built when raised: in the language of that moment)."""
    return msg("input.ods.fix_format")


# --- writing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its header, width, and whether people see and edit it."""

    header: str
    width_cm: float = 3.0
    hidden: bool = False
    editable: bool = False
    validation: str | None = None
    """Name of the :class:`ListValidation` its cells are checked against."""


@dataclass(frozen=True)
class ListValidation:
    """A list of allowed values offered as a drop-down; anything else is refused on entry."""

    name: str
    values: Sequence[str]
    title: str
    message: str


@dataclass(frozen=True)
class Sheet:
    """A sheet: a header row, then rows of text cells."""

    name: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[str]]
    hidden: bool = False
    protected: bool = False
    """Only the cells of editable columns can be changed (no password: it guards mistakes)."""
    autofilter: bool = False
    preamble: Sequence[str] = ()
    """Lines of text above the header row (title, instructions), one per row."""


@dataclass
class _Styles:
    header: Any
    wrap: Any
    editable: Any
    title: Any
    hidden_table: Any
    columns: dict[tuple[float, bool], Any] = field(default_factory=dict)


def write_ods(
    sheets: Sequence[Sheet],
    *,
    title: str,
    language: str,
    validations: Sequence[ListValidation] = (),
    metadata: Mapping[str, str] | None = None,
) -> bytes:
    """The bytes of an ODS workbook holding ``sheets``.

    ``metadata`` becomes user-defined document properties (File > Properties > Custom
    properties in LibreOffice), which survive when the file is saved again.
    """
    # Imported here: only the commands writing spreadsheets need odfpy.
    from odf import dc, meta, style, table, text
    from odf.opendocument import OpenDocumentSpreadsheet

    doc = OpenDocumentSpreadsheet()
    doc.meta.addElement(dc.Title(text=title))
    doc.meta.addElement(dc.Language(text=language))
    for name, value in (metadata or {}).items():
        doc.meta.addElement(meta.UserDefined(name=name, valuetype="string", text=value))
    styles = _make_styles(doc, style)

    if validations:
        holder = table.ContentValidations()
        for validation in validations:
            quoted = ";".join('"' + v.replace('"', '""') + '"' for v in validation.values)
            element = table.ContentValidation(
                name=validation.name,
                condition=f"of:cell-content-is-in-list({quoted})",
                allowemptycell="true",
                displaylist="unsorted",
            )
            error = table.ErrorMessage(title=validation.title, display="true", messagetype="stop")
            error.addElement(text.P(text=validation.message))
            element.addElement(error)
            holder.addElement(element)
        doc.spreadsheet.addElement(holder)

    ranges: list[Any] = []
    for sheet in sheets:
        attributes: dict[str, Any] = {"name": sheet.name}
        if sheet.hidden:
            attributes["stylename"] = styles.hidden_table
        if sheet.protected:
            attributes["protected"] = "true"
        element = table.Table(**attributes)
        for column in sheet.columns:
            element.addElement(
                table.TableColumn(
                    stylename=_column_style(doc, style, styles, column.width_cm, column.hidden),
                    visibility="collapse" if column.hidden else "visible",
                )
            )
        # Preamble lines start in the first visible column and overflow to the right (no
        # wrapping): in a hidden or narrow column a wrapped text would be unreadable.
        leading = next((i for i, c in enumerate(sheet.columns) if not c.hidden), 0)
        for line in sheet.preamble:
            row = table.TableRow()
            for _ in range(leading):
                row.addElement(_cell(table, text, "", styles.wrap))
            row.addElement(_cell(table, text, line, styles.title))
            element.addElement(row)
        header = table.TableRow()
        for column in sheet.columns:
            header.addElement(_cell(table, text, column.header, styles.header))
        element.addElement(header)
        for values in sheet.rows:
            row = table.TableRow()
            for column, value in zip(sheet.columns, values, strict=True):
                cell = _cell(
                    table, text, value, styles.editable if column.editable else styles.wrap
                )
                if column.validation:
                    cell.setAttribute("contentvalidationname", column.validation)
                row.addElement(cell)
            element.addElement(row)
        doc.spreadsheet.addElement(element)
        if sheet.autofilter and sheet.rows:
            first = len(sheet.preamble) + 1
            last = first + len(sheet.rows)
            ranges.append(
                table.DatabaseRange(
                    name=f"__Anonymous_Sheet_DB__{len(ranges)}",
                    targetrangeaddress=(
                        f"'{sheet.name}'.A{first}:'{sheet.name}'."
                        f"{_column_letter(len(sheet.columns))}{last}"
                    ),
                    displayfilterbuttons="true",
                )
            )
    if ranges:
        holder = table.DatabaseRanges()
        for database_range in ranges:
            holder.addElement(database_range)
        doc.spreadsheet.addElement(holder)

    buffer = io.BytesIO()
    doc.write(buffer)
    return buffer.getvalue()


def _make_styles(doc: Any, style: Any) -> _Styles:
    def cell_style(
        name: str, bold: bool, editable: bool, colour: str | None, wrap: bool = True
    ) -> Any:
        element = style.Style(name=name, family="table-cell")
        properties = {"wrapoption": "wrap" if wrap else "no-wrap", "verticalalign": "top"}
        properties["cellprotect"] = "none" if editable else "protected"
        if colour:
            properties["backgroundcolor"] = colour
        element.addElement(style.TableCellProperties(**properties))
        if bold:
            element.addElement(style.TextProperties(fontweight="bold"))
        doc.automaticstyles.addElement(element)
        return element

    hidden = style.Style(name="hiddentable", family="table")
    hidden.addElement(style.TableProperties(display="false"))
    doc.automaticstyles.addElement(hidden)
    return _Styles(
        header=cell_style("header", True, False, "#dde3ec"),
        wrap=cell_style("wrap", False, False, None),
        editable=cell_style("answer", False, True, "#fff8d6"),
        title=cell_style("title", True, False, None, wrap=False),
        hidden_table=hidden,
    )


def _column_style(doc: Any, style: Any, styles: _Styles, width: float, hidden: bool) -> Any:
    key = (width, hidden)
    if key not in styles.columns:
        element = style.Style(name=f"col{len(styles.columns)}", family="table-column")
        element.addElement(style.TableColumnProperties(columnwidth=f"{width}cm"))
        doc.automaticstyles.addElement(element)
        styles.columns[key] = element
    return styles.columns[key]


def _cell(table: Any, text: Any, value: str, cell_style: Any) -> Any:
    # Always a string cell: a spreadsheet never evaluates it as a formula.
    cell = table.TableCell(valuetype="string", stylename=cell_style)
    for line in value.split("\n") if value else []:
        cell.addElement(text.P(text=line))
    return cell


def _column_letter(number: int) -> str:
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workbook:
    """What a spreadsheet holds: every sheet's cells as text, and its custom properties.

    Rows and cells are as the sheet shows them, trailing empty cells and rows removed;
    a date cell reads as its ISO date, a number as its value.
    """

    sheets: dict[str, list[list[str]]]
    metadata: dict[str, str]


def read_ods(file: Path) -> Workbook:
    """Read ``file``; any problem is an :class:`InputError` naming the file and the fix."""
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise InputError(
            file,
            msg("input.ods.read_ods.unreadable", error=exc.strerror),
            msg("input.ods.read_ods.unreadable_fix"),
        ) from None
    if size > MAX_ODS_BYTES:
        raise InputError(
            file,
            msg("input.ods.read_ods.too_large", size=size, limit=MAX_ODS_BYTES),
            msg("input.ods.read_ods.too_large_fix"),
        )
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InputError(
            file,
            msg("input.ods.read_ods.unreadable", error=exc.strerror),
            msg("input.ods.read_ods.unreadable_fix"),
        ) from None
    return read_ods_bytes(data, file)


def read_ods_bytes(data: bytes, file: Path | str = "<classeur>") -> Workbook:
    """Read an ODS workbook from its bytes (``file`` only names it in messages)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            mimetype = _member(archive, "mimetype", 1024, file, required=False)
            if mimetype is not None and mimetype.strip() != ODS_MIMETYPE.encode():
                raise InputError(
                    file,
                    msg(
                        "input.ods.read_ods_bytes.mimetype",
                        mimetype=mimetype[:80].decode("ascii", "replace"),
                    ),
                    _fix_format(),
                )
            content = _member(archive, "content.xml", MAX_XML_BYTES, file, required=True)
            meta = _member(archive, "meta.xml", MAX_XML_BYTES, file, required=False)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, OSError) as exc:
        raise InputError(
            file,
            msg("input.ods.read_ods_bytes.not_zip", error_type=type(exc).__name__),
            _fix_format(),
        ) from None
    except (RuntimeError, NotImplementedError, ValueError) as exc:
        # Encrypted members, unknown compression methods, broken headers.
        raise InputError(
            file, msg("input.ods.read_ods_bytes.bad_archive", error=str(exc)[:200]), _fix_format()
        ) from None
    assert content is not None
    root = _parse(content, file, "content.xml")
    sheets: dict[str, list[list[str]]] = {}
    for element in root.iter(f"{_TABLE}table"):
        name = element.get(f"{_TABLE}name") or f"Feuille{len(sheets) + 1}"
        sheets.setdefault(name, _rows(element, file, name))
    metadata: dict[str, str] = {}
    if meta is not None:
        for element in _parse(meta, file, "meta.xml").iter(f"{_META}user-defined"):
            key = element.get(f"{_META}name")
            if key:
                metadata[key] = _text(element)
    return Workbook(sheets=sheets, metadata=metadata)


def _member(
    archive: zipfile.ZipFile, name: str, limit: int, file: Path | str, *, required: bool
) -> bytes | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        if required:
            raise InputError(
                file, msg("input.ods.member.missing", name=name), _fix_format()
            ) from None
        return None
    if info.file_size > limit:
        raise InputError(
            file, msg("input.ods.member.too_large", name=name, limit=limit), _fix_format()
        )
    with archive.open(info) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise InputError(
            file, msg("input.ods.member.too_large", name=name, limit=limit), _fix_format()
        )
    return data


def _parse(data: bytes, file: Path | str, part: str) -> etree._Element:
    try:
        return parse_hostile_xml(data, what=part, max_bytes=MAX_XML_BYTES)
    except HostileResponse as exc:
        raise InputError(
            file, msg("input.ods.parse.refused", part=part, error=str(exc)[:300]), _fix_format()
        ) from None


def _repeat(element: etree._Element, attribute: str, file: Path | str, sheet: str) -> int:
    raw = element.get(f"{_TABLE}{attribute}", "1")
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise InputError(
            file, msg("input.ods.repeat.invalid", sheet=sheet, raw=raw[:40]), _fix_format()
        )
    return value


def _rows(element: etree._Element, file: Path | str, sheet: str) -> list[list[str]]:
    rows: list[list[str]] = []
    pending_empty = 0
    for row in element.iter(f"{_TABLE}table-row"):
        repeat = _repeat(row, "number-rows-repeated", file, sheet)
        cells: list[str] = []
        for cell in row:
            if cell.tag not in (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"):
                continue
            count = _repeat(cell, "number-columns-repeated", file, sheet)
            value = _cell_value(cell)
            room = MAX_COLUMNS - len(cells)
            if room <= 0:
                break
            cells.extend([value] * min(count, room))
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            pending_empty += repeat
            continue
        if len(rows) + pending_empty + repeat > MAX_ROWS:
            raise InputError(
                file,
                msg("input.ods.rows.too_many", sheet=sheet, limit=MAX_ROWS),
                msg("input.ods.rows.too_many_fix"),
            )
        rows.extend([] for _ in range(pending_empty))
        pending_empty = 0
        rows.extend(list(cells) for _ in range(repeat))
    return rows


def _cell_value(cell: etree._Element) -> str:
    kind = cell.get(f"{_OFFICE}value-type")
    if kind == "date":
        return cell.get(f"{_OFFICE}date-value", "")[:10]
    if kind in ("float", "percentage", "currency"):
        value = cell.get(f"{_OFFICE}value", "")
        return value[:-2] if value.endswith(".0") else value
    if kind == "boolean":
        return cell.get(f"{_OFFICE}boolean-value", "")
    return "\n".join(_text(p) for p in cell if p.tag in (f"{_TEXT}p", f"{_TEXT}h"))


def _text(element: etree._Element) -> str:
    parts = [element.text or ""]
    for child in element:
        if child.tag == f"{_TEXT}s":
            try:
                count = int(child.get(f"{_TEXT}c", "1"))
            except ValueError:
                count = 1
            parts.append(" " * max(0, min(count, 1000)))
        elif child.tag == f"{_TEXT}tab":
            parts.append("\t")
        elif child.tag == f"{_TEXT}line-break":
            parts.append("\n")
        elif isinstance(child.tag, str) and not child.tag.startswith(_OFFICE):
            parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(parts)
