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
from sdet_check.aaf.english import attribute_en, finding_message, reason
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


def rules_json(rule_ids: list[str] | None = None, lang: str = "fr") -> list[dict[str, Any]]:
    """The catalogue (or the rules named) as plain data; ``title_en`` and ``fix_en`` in English."""
    rules = [RULES[r] for r in (rule_ids or list(RULES))]
    if lang != "en":
        return [rule.to_json() for rule in rules]
    return [rule.to_json() | {"title_en": rule.title_en, "fix_en": rule.fix_en} for rule in rules]


class JsonReportWriter:
    """Writes the JSON report to ``stream`` while validation runs."""

    def __init__(
        self,
        stream: TextIO,
        path: Path,
        max_per_rule: int | None = MAX_FINDINGS_PER_RULE,
        lang: str = "fr",
    ):
        """Open the JSON document and its ``findings`` array.

        At most ``max_per_rule`` findings of each rule are written (None or 0: all); the
        others are counted in ``left_out``, and ``summary.by_rule`` keeps the exact counts.
        With ``lang="en"`` the French fields stay and English ones are added beside them
        (``message_en``, ``reason_en``, ``title_en``, ``fix_en``).
        """
        self.stream = stream
        self.lang = lang
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
        data = finding.to_json()
        if self.lang == "en":
            data["message_en"] = finding_message(finding, "en")
        self.stream.write(json.dumps(data, ensure_ascii=False))
        self.first = False

    def close(self, result: ValidationResult) -> None:
        """Close ``findings`` and write DTD, files, summary, checks not made and rules."""
        tail = {
            "dtd": {"origin": result.dtd.origin.value, "path": str(result.dtd.path)},
            "values_masked": not result.show_values,
            "files": [f.to_json() for f in result.files],
            "summary": result.summary_json(),
            "skipped": [self._skipped(s.to_json()) for s in result.skipped],
            "left_out": {
                "max_per_rule": self.cap.limit,
                "by_rule": dict(sorted(self.cap.left_out.items())),
            },
            "rules": rules_json(lang=self.lang),
        }
        body = json.dumps(tail, ensure_ascii=False, indent=1)
        self.stream.write("\n ],\n" + body[2:] + "\n")

    def _skipped(self, note: dict[str, str]) -> dict[str, str]:
        if self.lang == "en":
            note["reason_en"] = reason(note["reason"], "en")
        return note


_CSV_HEADER = {
    "fr": ["règle", "sévérité", "fichier", "ligne", "enregistrement", "famille", "attribut",
           "message", "exigences"],
    "en": ["rule", "severity", "file", "line", "record", "family", "attribute", "message",
           "requirements"],
}  # fmt: skip

_CSV_LEFT_OUT = {
    "fr": "… {count} constat(s) de plus non écrits (limite de {limit} par règle ; "
    "--max-findings 0 pour tout écrire)",
    "en": "… {count} more finding(s) not written (limit of {limit} per rule; "
    "--max-findings 0 to write them all)",
}


class CsvReportWriter:
    """Writes one CSV row per finding (UTF-8 with BOM so spreadsheets read the accents)."""

    def __init__(
        self, stream: TextIO, max_per_rule: int | None = MAX_FINDINGS_PER_RULE, lang: str = "fr"
    ):
        """Write the BOM and the header row; at most ``max_per_rule`` rows per rule.

        ``lang`` (``fr`` or ``en``) is the language of the header, severities and messages.
        """
        self.cap = _PerRuleCap(max_per_rule)
        self.lang = lang
        stream.write("\ufeff")
        self.writer = csv.writer(stream, lineterminator="\n")
        self.writer.writerow(_CSV_HEADER[lang])

    def __call__(self, finding: Finding) -> None:
        """Append one row (counted only, past the cap of its rule)."""
        if not self.cap.admit(finding):
            return
        self.writer.writerow(
            spreadsheet_cell(cell)
            for cell in [
                finding.rule,
                finding.severity.label(self.lang),
                finding.file,
                finding.line if finding.line is not None else "",
                finding.record or "",
                finding.family or "",
                self._attribute(finding.attribute),
                finding_message(finding, self.lang),
                " ".join(RULES[finding.rule].requirements),
            ]
        )

    def _attribute(self, name: str | None) -> str:
        if not name:
            return ""
        return attribute_en(name) if self.lang == "en" else name

    def close(self) -> None:
        """One row per capped rule, saying how many findings were left out."""
        for rule_id, count in sorted(self.cap.left_out.items()):
            rule = RULES[rule_id]
            self.writer.writerow(
                [rule_id, rule.severity.label(self.lang), "", "", "", "", "",
                 _CSV_LEFT_OUT[self.lang].format(count=count, limit=self.cap.limit),
                 " ".join(rule.requirements)]
            )  # fmt: skip
