"""Remarks on a run record: what a reader must know before trusting a result it holds.

- **Stale evidence**: a declaration or an auditor review dated before the run by more than
  the grid allows (``max_evidence_age_days`` of the grid manifest, recorded in the run's
  grid summary; :data:`DEFAULT_MAX_EVIDENCE_AGE_DAYS` when the grid says nothing). Such a
  piece still counts (the rules of the grid decide conformity), but it is flagged in
  run.json, on the run report and in the tender comparison.
- **Solution mismatch**: the declarations file names another editor or solution version
  than the target file: the declarations may speak for another release.

Everything here is a pure function of the run record, so a record edited after the run
(reviews added later, say) gets the remarks of its current content.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

DEFAULT_MAX_EVIDENCE_AGE_DAYS = 90
"""How old (in days before the run) a declaration or review may be when the grid says nothing."""

STALE_KINDS = {"declarations": "stale_declaration", "reviews": "stale_review"}
"""Remark kind of a stale piece, by the run record list it comes from."""


def max_evidence_age(record: Mapping[str, Any]) -> int:
    """The age limit in days of declarations and reviews for this run (its grid's, or default)."""
    value = record["grid"].get("max_evidence_age_days")
    return int(value) if isinstance(value, int) and value >= 0 else DEFAULT_MAX_EVIDENCE_AGE_DAYS


def run_remarks(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every remark on ``record``: stale declarations and reviews, then solution mismatches."""
    return [*stale_evidence(record), *solution_mismatches(record)]


def stale_evidence(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Declarations and reviews dated before the run by more than :func:`max_evidence_age`.

    Each remark holds its kind, the requirement, the piece's date, its author, its age in
    days and the limit; the order is the record's (declarations, then reviews).
    """
    started = _day(record.get("started_at"))
    if started is None:
        return []
    limit = max_evidence_age(record)
    remarks = []
    for key, kind in STALE_KINDS.items():
        for piece in record.get(key) or []:
            if not isinstance(piece, Mapping):
                continue
            dated = _day(piece.get("date"))
            if dated is None or (started - dated).days <= limit:
                continue
            remarks.append(
                {
                    "kind": kind,
                    "requirement": str(piece.get("requirement", "")),
                    "date": dated.isoformat(),
                    "author": str(piece.get("author", "")),
                    "age_days": (started - dated).days,
                    "limit_days": limit,
                }
            )
    return remarks


def solution_mismatches(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Fields where the declarations file and the target file name different solutions."""
    declared = record.get("declared_solution")
    target = record.get("target")
    if not isinstance(declared, Mapping) or not isinstance(target, Mapping):
        return []
    remarks = []
    for field in ("editor", "solution_version"):
        said, observed = declared.get(field), target.get(field)
        if isinstance(said, str) and isinstance(observed, str) and said.strip() != observed.strip():
            remarks.append(
                {"kind": "solution_mismatch", "field": field, "declared": said, "target": observed}
            )
    return remarks


def solution_identity(record: Mapping[str, Any], field: str) -> str | None:
    """The editor or solution version of a run: the target file's, else the declarations'."""
    for source in (record.get("target"), record.get("declared_solution")):
        if isinstance(source, Mapping):
            value = source.get(field)
            if isinstance(value, str) and value.strip():
                return value
    return None


def _day(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
