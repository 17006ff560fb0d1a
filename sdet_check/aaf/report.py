"""Outputs of ``aaf validate``: a capped collector, and JSON and CSV writers that stream.

The JSON and CSV writers write each finding the moment it is found, so a report of any
size never sits in memory; the JSON document is closed with the summary once every file is
read. Its schema is ``grids/schemas/aaf-report.schema.json``.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sdet_check import __version__
from sdet_check.aaf.model import Finding
from sdet_check.aaf.rules import RULES
from sdet_check.aaf.validate import ValidationResult
from sdet_check.redaction import spreadsheet_cell

REPORT_FORMAT = 1

MAX_FINDINGS_PER_RULE = 10_000
"""Findings written per rule in the JSON and CSV reports (counts stay exact beyond)."""


class _PerRuleCap:
    """Counts findings per rule and says whether one more may be written."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit or None
        self.written: Counter[str] = Counter()
        self.left_out: Counter[str] = Counter()

    def admit(self, finding: Finding) -> bool:
        if self.limit is not None and self.written[finding.rule] >= self.limit:
            self.left_out[finding.rule] += 1
            return False
        self.written[finding.rule] += 1
        return True


class FindingCollector:
    """Keeps the first ``limit`` findings of each rule (all of them when ``limit`` is None)."""

    def __init__(self, limit: int | None = None):
        """Collect at most ``limit`` findings per rule."""
        self.limit = limit
        self.kept: dict[str, list[Finding]] = defaultdict(list)
        self.counts: Counter[str] = Counter()

    def __call__(self, finding: Finding) -> None:
        """Receive one finding."""
        self.counts[finding.rule] += 1
        kept = self.kept[finding.rule]
        if self.limit is None or len(kept) < self.limit:
            kept.append(finding)

    @property
    def findings(self) -> list[Finding]:
        """Every kept finding, rule by rule in catalogue order."""
        order = list(RULES)
        return [f for rule in sorted(self.kept, key=order.index) for f in self.kept[rule]]


def rules_json(rule_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """The catalogue (or the rules named) as plain data."""
    return [RULES[r].to_json() for r in (rule_ids or list(RULES))]


class JsonReportWriter:
    """Writes the JSON report to ``stream`` while validation runs."""

    def __init__(
        self, stream: TextIO, path: Path, max_per_rule: int | None = MAX_FINDINGS_PER_RULE
    ):
        """Open the JSON document and its ``findings`` array.

        At most ``max_per_rule`` findings of each rule are written (None or 0: all); the
        others are counted in ``left_out``, and ``summary.by_rule`` keeps the exact counts.
        """
        self.stream = stream
        self.first = True
        self.cap = _PerRuleCap(max_per_rule)
        head = {
            "format": REPORT_FORMAT,
            "tool": {"name": "sdet-check", "version": __version__},
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "path": str(path),
        }
        stream.write(json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ",\n")
        stream.write(' "findings": [')

    def __call__(self, finding: Finding) -> None:
        """Append one finding (counted only, past the cap of its rule)."""
        if not self.cap.admit(finding):
            return
        self.stream.write("\n  " if self.first else ",\n  ")
        self.stream.write(json.dumps(finding.to_json(), ensure_ascii=False))
        self.first = False

    def close(self, result: ValidationResult) -> None:
        """Close ``findings`` and write DTD, files, summary, checks not made and rules."""
        tail = {
            "dtd": {"origin": result.dtd.origin.value, "path": str(result.dtd.path)},
            "values_masked": not result.show_values,
            "files": [f.to_json() for f in result.files],
            "summary": result.summary_json(),
            "skipped": [s.to_json() for s in result.skipped],
            "left_out": {
                "max_per_rule": self.cap.limit,
                "by_rule": dict(sorted(self.cap.left_out.items())),
            },
            "rules": rules_json(),
        }
        body = json.dumps(tail, ensure_ascii=False, indent=1)
        self.stream.write("\n ],\n" + body[2:] + "\n")


_CSV_HEADER = ["règle", "sévérité", "fichier", "ligne", "enregistrement", "famille", "attribut",
               "message", "exigences"]  # fmt: skip


class CsvReportWriter:
    """Writes one CSV row per finding (UTF-8 with BOM so spreadsheets read the accents)."""

    def __init__(self, stream: TextIO, max_per_rule: int | None = MAX_FINDINGS_PER_RULE):
        """Write the BOM and the header row; at most ``max_per_rule`` rows per rule."""
        self.cap = _PerRuleCap(max_per_rule)
        stream.write("\ufeff")
        self.writer = csv.writer(stream, lineterminator="\n")
        self.writer.writerow(_CSV_HEADER)

    def __call__(self, finding: Finding) -> None:
        """Append one row (counted only, past the cap of its rule)."""
        if not self.cap.admit(finding):
            return
        self.writer.writerow(
            spreadsheet_cell(cell)
            for cell in [
                finding.rule,
                finding.severity.label(),
                finding.file,
                finding.line if finding.line is not None else "",
                finding.record or "",
                finding.family or "",
                finding.attribute or "",
                finding.message,
                " ".join(RULES[finding.rule].requirements),
            ]
        )

    def close(self) -> None:
        """One row per capped rule, saying how many findings were left out."""
        for rule_id, count in sorted(self.cap.left_out.items()):
            rule = RULES[rule_id]
            self.writer.writerow(
                [rule_id, rule.severity.label(), "", "", "", "", "",
                 f"… {count} constat(s) de plus non écrits (limite de {self.cap.limit} par "
                 "règle ; --max-findings 0 pour tout écrire)",
                 " ".join(rule.requirements)]
            )  # fmt: skip
