"""``export.table``: tabular exports as documented CSV, judged with ``frictionless``.

A tabular export is a CSV file (RFC 4180) in UTF-8 with a header line, and its columns are
documented by a Table Schema (Frictionless Data, JSON) the export hands in beside it: the
target names both (``table`` and ``table_schema``). The file must decode as UTF-8 (the
first bad byte is named by its line), the schema must be a valid Table Schema whose every
field has a ``description``, and ``frictionless`` validates the table against it: header
labels, field types and constraints, the same number of cells on every row (every error is
named by its row and field). Cell values are then compared with the account's known rows
and with the other accounts' (completeness, no leak).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from frictionless import FrictionlessException, Schema
from frictionless.resources import TableResource

from probes.export.common import (
    AccountExports,
    ExportSection,
    Findings,
    accounts_for,
    check_completeness,
    export_section,
    logins,
    read_bounded,
    service_offered,
)
from probes.export.download import fetched
from sdet_check.messages import msg
from sdet_check.probe import Outcome, Probe, ProbeContext, validated_params

MAX_SCHEMA_BYTES = 1024 * 1024
"""Largest Table Schema read."""

MAX_TABLE_ERRORS = 200
"""Most validation errors frictionless collects per table."""


def load_schema(path: Path | None, table: Path, findings: Findings) -> Schema | None:
    """The Table Schema at ``path``, or ``None`` with the reason in ``findings``."""
    if path is None:
        findings.problem(table, "document", "EXP-FMT-003", msg("export.tables.load_schema.problem"))
        return None
    try:
        descriptor = json.loads(read_bounded(path, "schéma de table", MAX_SCHEMA_BYTES))
        schema = Schema.from_descriptor(descriptor)
    except (ValueError, FrictionlessException) as exc:
        findings.problem(
            path,
            "document",
            "Table Schema",
            msg("export.tables.load_schema.problem_2", detail=str(exc)[:160]),
        )
        return None
    for rank, schema_field in enumerate(schema.fields, start=1):
        if not (schema_field.description or "").strip():
            findings.problem(
                path,
                f"champ n° {rank} « {schema_field.name} »",
                "EXP-FMT-003",
                msg("export.tables.load_schema.problem_3"),
            )
    return schema


def table_findings(file: Path, schema_path: Path | None, findings: Findings) -> list[str]:
    """Judge one CSV export against its schema; return every cell value read."""
    data = findings.read(file, "export tabulaire")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        findings.problem(
            file, f"ligne {line}", "RFC4180/UTF-8", msg("export.tables.table_findings.problem")
        )
        return []
    schema = load_schema(schema_path, file, findings)
    if schema is None:
        return []
    resource = TableResource(
        path=file.name, basepath=str(file.parent), schema=schema, encoding="utf-8", format="csv"
    )
    report = resource.validate(limit_errors=MAX_TABLE_ERRORS)
    # The error's note, not its message: messages quote the cell, often personal data.
    for row, field_name, error_type, message in report.flatten(
        ["rowNumber", "fieldName", "type", "note"]
    ):
        place = f"ligne {row}" if row else "en-tête"
        if field_name:
            place += f", colonne « {field_name} »"
        findings.problem(file, place, f"Table Schema {error_type}", str(message)[:200])
    if not report.valid:
        return []
    cells: list[str] = []
    reader = TableResource(
        path=file.name, basepath=str(file.parent), encoding="utf-8", format="csv"
    )
    for row_cells in reader.read_cells():
        cells.extend(str(cell) for cell in row_cells if cell is not None)
    findings.observe(
        msg("export.tables.table_findings.observe", name=file.name, count=len(schema.fields)),
        file=file.name,
        columns=[schema_field.name for schema_field in schema.fields],
    )
    return cells


class TableExport(Probe):
    """Every account's tabular export is a documented UTF-8 CSV holding exactly its own rows."""

    kind: ClassVar[str] = "export.table"
    title: ClassVar[str] = "Exports tabulaires en CSV UTF-8 documenté (Table Schema), sans fuite"
    needs: ClassVar[tuple[str, ...]] = ("export",)

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Judge each account's CSV export; see the module docstring."""
        validated_params(self, params)
        section = export_section(context)
        if not service_offered(section, "listes"):
            return Outcome.not_applicable(msg("export.tables.table_export.na"))
        accounts = accounts_for(section, "table", "listes")
        findings = Findings()
        with fetched(section, context, ("table",), findings.evidence) as live:
            for account in live.with_kind("table"):
                judge_table(live, account, findings)
        return findings.outcome(
            msg("export.tables.table_export.outcome", logins=logins(accounts)),
            msg("export.tables.table_export.outcome_2"),
        )


def judge_table(section: ExportSection, account: AccountExports, findings: Findings) -> None:
    """Judge one account's CSV export into ``findings``."""
    file = account.files["table"]
    cells = table_findings(file, account.table_schema, findings)
    if cells:
        check_completeness(findings, section, account, "table", cells, file)
