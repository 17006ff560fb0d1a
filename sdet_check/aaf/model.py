"""What AAF validation works on and produces: source files, requests, findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sdet_check.aaf.families import Family
from sdet_check.aaf.rules import Severity


class Op(StrEnum):
    """The three request types of an AAF file."""

    ADD = "addRequest"
    MODIFY = "modifyRequest"
    DELETE = "deleteRequest"

    @property
    def label(self) -> str:
        """French noun for messages."""
        return _OP_LABELS[self.value]


_OP_LABELS = {
    "addRequest": "ajout",
    "modifyRequest": "modification",
    "deleteRequest": "suppression",
}


class Kind(StrEnum):
    """Whether a file is part of a full export or of an incremental one."""

    COMPLET = "Complet"
    DELTA = "Delta"
    UNKNOWN = "inconnu"


@dataclass
class SourceFile:
    """One AAF file found in the folder, with what its name and its first bytes say."""

    path: Path
    name: str
    family: Family | None
    kind: Kind
    date: str | None
    chunk: int | None
    size: int
    encoding: str
    declared_encoding: str | None
    has_declaration: bool
    doctype: str | None
    internal_subset: bool
    header: dict[str, str]
    name_problem: str | None
    index: int = 0

    @property
    def version_af(self) -> str | None:
        """The ``versionAF`` header comment, when present."""
        return self.header.get("versionAF")


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found: which rule, where (file, line, record) and a French message."""

    rule: str
    severity: Severity
    file: str
    line: int | None
    record: str | None
    family: str | None
    attribute: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        """The finding as plain data."""
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "file": self.file,
            "line": self.line,
            "record": self.record,
            "family": self.family,
            "attribute": self.attribute,
            "message": self.message,
        }


@dataclass
class FileSummary:
    """What one file held once read: requests per type, findings, whether it was read to the end."""

    name: str
    family: Family | None
    kind: Kind
    encoding: str
    version_af: str | None
    size: int
    requests: dict[str, int] = field(default_factory=lambda: {op.value: 0 for op in Op})
    errors: int = 0
    warnings: int = 0
    complete: bool = True

    @property
    def records(self) -> int:
        """Requests of every type."""
        return sum(self.requests.values())

    def to_json(self) -> dict[str, Any]:
        """The summary as plain data."""
        return {
            "name": self.name,
            "family": self.family.value if self.family else None,
            "kind": self.kind.value,
            "encoding": self.encoding,
            "version_af": self.version_af,
            "bytes": self.size,
            "records": self.records,
            "requests": dict(self.requests),
            "errors": self.errors,
            "warnings": self.warnings,
            "complete": self.complete,
        }
