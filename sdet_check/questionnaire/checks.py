"""Checks on the sheets around the answers: the hidden sheet pinning the grid, the identity."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from sdet_check.grid import Grid
from sdet_check.ods import Workbook
from sdet_check.questionnaire.layout import (
    HIDDEN_SHEET,
    IDENTITY_FIELDS,
    META_PREFIX,
    QUESTIONNAIRE_FORMAT,
    _cell,
    _sheet,
)
from sdet_check.questionnaire.problems import _Problems


def _check_pinning(workbook: Workbook, grid: Grid, problems: _Problems) -> dict[str, str]:
    sheet = workbook.sheets.get(HIDDEN_SHEET)
    if sheet is None:
        problems.add(HIDDEN_SHEET, None, "no_hidden")
        return {}
    pinned = {row[0]: row[1] if len(row) > 1 else "" for row in sheet if row}
    from_meta = {
        key[len(META_PREFIX) :]: value
        for key, value in workbook.metadata.items()
        if key.startswith(META_PREFIX)
    }
    for key in ("format", "grid", "grid_hash", "lang", "rows"):
        if key not in pinned:
            problems.add(HIDDEN_SHEET, None, "pin_missing", key=key)
        elif from_meta and from_meta.get(key) != pinned[key]:
            row = next(i for i, r in enumerate(sheet, 1) if r and r[0] == key)
            problems.add(
                HIDDEN_SHEET,
                row,
                "pin_edited",
                key=key,
                value=pinned[key][:80],
                meta=str(from_meta.get(key))[:80],
            )
    if problems.items:
        return pinned
    if pinned["format"] != QUESTIONNAIRE_FORMAT:
        problems.add(
            HIDDEN_SHEET,
            None,
            "format",
            found=pinned["format"][:20],
            expected=QUESTIONNAIRE_FORMAT,
        )
    elif pinned["grid"] != grid.ref:
        problems.add(
            HIDDEN_SHEET,
            None,
            "other_grid",
            found=pinned["grid"][:40],
            ref=grid.ref,
            hash=grid.content_hash[:16],
        )
    elif pinned["grid_hash"] != grid.content_hash:
        problems.add(
            HIDDEN_SHEET,
            None,
            "other_content",
            found=pinned["grid_hash"][:16],
            ref=grid.ref,
            hash=grid.content_hash[:16],
        )
    return pinned


def _identity(workbook: Workbook, words: Mapping[str, Any], problems: _Problems) -> dict[str, str]:
    name = words["identity_sheet"]
    rows = _sheet(workbook, words, "identity_sheet")
    if rows is None:
        problems.add(name, None, "sheet_missing")
        return {}
    identity: dict[str, str] = {}
    found: dict[str, int] = {}
    for number, row in enumerate(rows, 1):
        key = _cell(row, 0)
        if key in IDENTITY_FIELDS:
            found[key] = number
            identity[key] = _cell(row, 2)
    column = words["identity_columns"][2]
    for key in IDENTITY_FIELDS:
        label = words["identity"][key][0]
        if key not in found:
            problems.add(name, None, "field_gone", label=label)
        elif not identity[key]:
            problems.add(name, found[key], "field_empty", column, label=label, column=column)
    if identity.get("date"):
        parsed = _parse_date(identity["date"])
        if parsed is None:
            problems.add(name, found["date"], "bad_date", column, value=identity["date"][:40])
        else:
            identity["date"] = parsed
    return identity


def _parse_date(value: str) -> str | None:
    value = value.strip()
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
    if match:
        value = f"{match.group(3)}-{int(match.group(2)):02d}-{int(match.group(1)):02d}"
    try:
        return date.fromisoformat(value[:10]).isoformat() if len(value) in (10, 19) else None
    except ValueError:
        return None
