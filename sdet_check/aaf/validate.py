"""Validate a set of AAF files: the library entry point behind ``sdet-check aaf validate``.

Findings are handed to a callback as they are found, so that a caller can write them out
while the files are read: nothing grows with the size of the set but the identifier index.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sdet_check.aaf.checks import Facts, RecordChecker
from sdet_check.aaf.crossref import CrossIndex, Place, Skipped
from sdet_check.aaf.dtd import DTD_NAME, ROOT, RequestValidator, choose_dtd
from sdet_check.aaf.families import PROCESSING_ORDER, Family
from sdet_check.aaf.model import FileSummary, Finding, Kind, SourceFile
from sdet_check.aaf.nomenclature import version_problem
from sdet_check.aaf.reader import Request, RequestStream, discover
from sdet_check.aaf.rules import RULES, Severity

OnFinding = Callable[[Finding], None]
OnProgress = Callable[[SourceFile, int], None]
"""``progress(file, bytes_done_in_set)`` after each file."""


@dataclass
class FamilyCounts:
    """Per-family totals."""

    files: int = 0
    records: int = 0
    errors: int = 0
    warnings: int = 0

    def to_json(self) -> dict[str, int]:
        """As plain data."""
        return {
            "files": self.files,
            "records": self.records,
            "errors": self.errors,
            "warnings": self.warnings,
        }


@dataclass
class ValidationResult:
    """Everything but the findings themselves: files, counts, checks not made, DTD, timing."""

    path: Path
    dtd: RequestValidator
    show_values: bool
    files: list[FileSummary] = field(default_factory=list)
    by_rule: Counter[str] = field(default_factory=Counter)
    by_family: dict[str, FamilyCounts] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    errors: int = 0
    warnings: int = 0
    seconds: float = 0.0

    @property
    def records(self) -> int:
        """Requests read in every file."""
        return sum(f.records for f in self.files)

    @property
    def size(self) -> int:
        """Bytes of every file."""
        return sum(f.size for f in self.files)

    @property
    def ok(self) -> bool:
        """True when no error-level finding was made (warnings allowed)."""
        return self.errors == 0

    def summary_json(self) -> dict[str, Any]:
        """The result as plain data (the report's ``summary``, ``files`` and ``skipped``)."""
        return {
            "files": len(self.files),
            "records": self.records,
            "bytes": self.size,
            "errors": self.errors,
            "warnings": self.warnings,
            "seconds": round(self.seconds, 3),
            "by_rule": dict(sorted(self.by_rule.items())),
            "by_family": {name: counts.to_json() for name, counts in self.by_family.items()},
        }


def validate(
    path: Path,
    *,
    dtd: Path | None = None,
    show_values: bool = False,
    on_finding: OnFinding | None = None,
    on_progress: OnProgress | None = None,
) -> ValidationResult:
    """Validate the AAF files at ``path`` (a folder or one file).

    Raises :class:`~sdet_check.errors.InputError` before reading any request when the path,
    a file or the DTD is not usable (missing, not AAF at all, unsafe DTD). Otherwise every
    problem becomes a :class:`Finding` passed to ``on_finding``.
    """
    started = time.perf_counter()
    sources = discover(path)
    folder = path if path.is_dir() else path.parent
    validator = choose_dtd(folder, dtd)
    run = _Run(path, validator, show_values, on_finding or (lambda _: None))
    ordered = sorted(sources, key=_order)
    complete = {s.family for s in sources if s.family and s.kind is not Kind.DELTA}
    present = {s.family for s in sources if s.family}
    index = CrossIndex(complete, [s.name for s in sources])
    run.result.skipped = index.skipped(present)
    done = 0
    for source in ordered:
        run.file(source, index)
        done += source.size
        if on_progress is not None:
            on_progress(source, done)
    index.finish(run.deferred)
    silent = sum(1 for code in index.persons.values() if code == _RELATIVE_CODE)
    if silent and Family.ELEVE in complete:
        run.result.skipped.append(
            Skipped(
                "AAF-XREF-003",
                f"{silent} responsable(s) sans ENTAuxPersRelEleveEleve : réciprocité non "
                "vérifiée pour eux",
            )
        )
    run.result.seconds = time.perf_counter() - started
    return run.result


_RELATIVE_CODE = list(Family).index(Family.PERS_REL)
_KIND_ORDER = {Kind.COMPLET: 0, Kind.UNKNOWN: 1, Kind.DELTA: 2}


def _order(source: SourceFile) -> tuple[int, int, str, int, str]:
    family = PROCESSING_ORDER.index(source.family) if source.family else len(PROCESSING_ORDER)
    return (family, _KIND_ORDER[source.kind], source.date or "", source.chunk or 0, source.name)


class _Run:
    """The state of one validation: current file, counters, the finding callback."""

    def __init__(
        self, path: Path, validator: RequestValidator, show_values: bool, on_finding: OnFinding
    ):
        self.result = ValidationResult(path, validator, show_values)
        self.validator = validator
        self.on_finding = on_finding
        self.checker = RecordChecker(self.emit, show_values=show_values)
        self.source: SourceFile | None = None
        self.summary: FileSummary | None = None

    def file(self, source: SourceFile, index: CrossIndex) -> None:
        self.source = source
        summary = self.summary = FileSummary(
            source.name, source.family, source.kind, source.encoding, source.version_af, source.size
        )
        self.result.files.append(summary)
        family = self._family_counts(source.family)
        family.files += 1
        self._file_checks(source)
        stream = RequestStream(source, self.validator, self.file_issue)
        location_base = source.index << 40
        requests = summary.requests
        checker = self.checker
        for request in stream:
            requests[request.op.value] += 1
            facts = checker.check(source, request)
            if facts is not None:
                self._request = request
                index.apply(facts, self.cross, location_base + request.line)
        summary.complete = stream.complete
        family.records += summary.records

    def _file_checks(self, source: SourceFile) -> None:
        if source.name_problem is not None:
            self.file_issue(
                "AAF-NAME-001", line=None, name=source.path.name, detail=source.name_problem
            )
        if source.declared_encoding is None:
            self.file_issue("AAF-ENC-002", line=1, encoding=source.encoding)
        if source.doctype is None:
            self.file_issue("AAF-DTD-002", line=1, detail="déclaration DOCTYPE absente")
        else:
            root, _, system = source.doctype.partition(" ")
            if root != ROOT or not system.endswith(DTD_NAME):
                self.file_issue(
                    "AAF-DTD-002",
                    line=1,
                    detail=f"DOCTYPE « {source.doctype} » : {ROOT} et {DTD_NAME} attendus",
                )
        if source.internal_subset:
            self.file_issue(
                "AAF-DTD-002",
                line=1,
                detail="sous-ensemble interne de DTD ignoré (ses entités ne sont pas développées)",
            )
        version = source.version_af
        if version is not None:
            problem = version_problem(version)
            if problem:
                self.file_issue("AAF-VER-001", line=None, value=version, detail=problem)

    def emit(
        self,
        rule_id: str,
        request: Request,
        *,
        line: int | None = None,
        attribute: str | None = None,
        **fields: Any,
    ) -> None:
        """A finding on ``request`` of the current file (from the record checks)."""
        if line is None:
            line = request.line_of(attribute) if attribute in request.attributes else request.line
        self._add(rule_id, line, request.key, attribute, fields)

    def cross(
        self, rule_id: str, facts: Facts, *, attribute: str | None = None, **fields: Any
    ) -> None:
        """A finding on the current request from the cross-file checks."""
        request = self._request
        line = request.line_of(attribute) if attribute in request.attributes else facts.line
        self._add(rule_id, line, facts.key, attribute, fields)

    def file_issue(self, rule_id: str, *, line: int | None, **fields: Any) -> None:
        """A finding on the current file as a whole."""
        self._add(rule_id, line, None, None, fields)

    def deferred(
        self, rule_id: str, place: Place, family: Family, attribute: str, **fields: Any
    ) -> None:
        """A finding reported after every file was read (links no pupil returned)."""
        summary = next((f for f in self.result.files if f.name == place.file), None)
        self._emit(
            rule_id, place.file, family.value, place.line, place.record, attribute, fields, summary
        )

    def _add(
        self,
        rule_id: str,
        line: int | None,
        record: str | None,
        attribute: str | None,
        fields: dict[str, Any],
    ) -> None:
        source = self.source
        assert source is not None
        family = source.family.value if source.family else None
        self._emit(rule_id, source.name, family, line, record, attribute, fields, self.summary)

    def _emit(
        self,
        rule_id: str,
        file: str,
        family: str | None,
        line: int | None,
        record: str | None,
        attribute: str | None,
        fields: dict[str, Any],
        summary: FileSummary | None,
    ) -> None:
        rule = RULES[rule_id]
        message = rule.render(attribute=attribute, **fields)
        finding = Finding(rule_id, rule.severity, file, line, record, family, attribute, message)
        result = self.result
        result.by_rule[rule_id] += 1
        counts = self._family_counts_by_name(family)
        if rule.severity is Severity.ERROR:
            result.errors += 1
            counts.errors += 1
            if summary is not None:
                summary.errors += 1
        else:
            result.warnings += 1
            counts.warnings += 1
            if summary is not None:
                summary.warnings += 1
        self.on_finding(finding)

    def _family_counts(self, family: Family | None) -> FamilyCounts:
        return self._family_counts_by_name(family.value if family else None)

    def _family_counts_by_name(self, name: str | None) -> FamilyCounts:
        key = name or "inconnue"
        counts = self.result.by_family.get(key)
        if counts is None:
            counts = self.result.by_family[key] = FamilyCounts()
        return counts
