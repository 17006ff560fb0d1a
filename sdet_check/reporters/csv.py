"""The CSV reporter: one row per requirement, for spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from sdet_check.labels import status_code, status_label
from sdet_check.messages import message_text
from sdet_check.redaction import spreadsheet_cell
from sdet_check.reporters.base import Reporter, rows
from sdet_check.reporters.integrity import unverified_notice

_HEADER = {
    "fr": ["identifiant", "axe", "niveau", "statut", "code", "réserve", "déclaration",
           "titre", "message", "sonde", "preuves", "durée (ms)"],
    "en": ["id", "axis", "level", "status", "code", "waiver", "declaration",
           "title", "message", "probe", "evidence", "duration (ms)"],
}  # fmt: skip


class CsvReporter(Reporter):
    """One row per requirement with status, waiver, declaration and message."""

    format = "csv"
    filename = "results.csv"

    def render(self, record: Mapping[str, Any], lang: str = "fr") -> bytes:
        """CSV text with a header row, UTF-8 with a BOM so spreadsheets read accents.

        Cells a spreadsheet would evaluate (``=``, ``+``, ``-``, ``@``…) are kept as text.
        """
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        notice = unverified_notice(lang)
        if notice is not None:  # rendered with --allow-unverified: said before any figure
            writer.writerow([spreadsheet_cell(f"{notice['mark']} — {notice['text']}")])
        writer.writerow(_HEADER[lang])
        for requirement, result in rows(record):
            writer.writerow(
                spreadsheet_cell(cell)
                for cell in [
                    requirement["id"],
                    requirement["axis"],
                    requirement["level"],
                    status_label(result["status"], lang),
                    status_code(result["status"], result.get("waived", False)),
                    result.get("waiver_state", ""),
                    result.get("declared", ""),
                    requirement["title"][lang],
                    message_text(result, lang),
                    result.get("probe", ""),
                    len(result["evidence"]),
                    result.get("duration_ms", ""),
                ]
            )
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
