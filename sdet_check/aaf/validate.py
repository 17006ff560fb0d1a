"""Validate a set of AAF files: the library entry point behind ``sdet-check aaf validate``.

Findings are handed to a callback as they are found, so that a caller can write them out
while the files are read: nothing grows with the size of the set but the identifier index.
With ``jobs`` > 1 the files are read by worker processes; the findings and their order are
the same.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sdet_check.aaf.checks import Facts
from sdet_check.aaf.crossref import CrossIndex, Place, Skipped
from sdet_check.aaf.dtd import RequestValidator, choose_dtd
from sdet_check.aaf.families import PROCESSING_ORDER, Family
from sdet_check.aaf.model import FileSummary, Finding, Kind, SourceFile
from sdet_check.aaf.parallel import FileDone, ParallelScan, usable_jobs
from sdet_check.aaf.reader import discover
from sdet_check.aaf.rules import RULES, Severity
from sdet_check.aaf.scan import Event, FileScan

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
    jobs: int = 1
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
        """The totals as plain data (the report's ``summary``)."""
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
    jobs: int = 1,
    on_finding: OnFinding | None = None,
    on_progress: OnProgress | None = None,
) -> ValidationResult:
    """Validate the AAF files at ``path`` (a folder or one file).

    Raises :class:`~sdet_check.errors.InputError` before reading any request when the path,
    a file or the DTD is not usable (missing, not AAF at all, unsafe DTD). Otherwise every
    problem becomes a :class:`Finding` passed to ``on_finding``. ``jobs`` > 1 reads files in
    up to that many worker processes (fewer when there are fewer processors or files, none
    for a small set: see :func:`~sdet_check.aaf.parallel.usable_jobs`).
    """
    started = time.perf_counter()
    sources = discover(path)
    folder = path if path.is_dir() else path.parent
    validator = choose_dtd(folder, dtd)
    ordered = sorted(sources, key=_order)
    complete = {s.family for s in sources if s.family and s.kind is not Kind.DELTA}
    index = CrossIndex(complete, [s.name for s in sources])
    run = _Run(ValidationResult(path, validator, show_values), index, on_finding)
    run.result.skipped = index.skipped(s.family for s in sources if s.family)
    done = 0
    workers = usable_jobs(jobs, ordered)
    parallel = (
        ParallelScan(ordered, workers, validator.path, validator.origin, show_values)
        if workers > 1
        else None
    )
    run.result.jobs = parallel.jobs if parallel else 1
    try:
        for position, source in enumerate(ordered):
            if parallel is not None:
                run.file(source, parallel.events(position))
            else:
                scan = FileScan(source, validator, show_values, locate=False)
                run.locate = scan.line_of
                run.file(source, _with_end(scan))
            done += source.size
            if on_progress is not None:
                on_progress(source, done)
    finally:
        if parallel is not None:
            parallel.close()
    index.finish(run.deferred)
    silent = index.relatives_without_pupils()
    if silent and Family.ELEVE in complete:
        reason = (
            f"{silent} responsable(s) sans ENTAuxPersRelEleveEleve : réciprocité non vérifiée "
            "pour eux"
        )
        run.result.skipped.append(Skipped("AAF-XREF-003", reason))
    run.result.seconds = time.perf_counter() - started
    return run.result


def _with_end(scan: FileScan) -> Iterable[Event | FileDone]:
    yield from scan
    yield FileDone(scan.requests, scan.complete)


_KIND_ORDER = {Kind.COMPLET: 0, Kind.UNKNOWN: 1, Kind.DELTA: 2}


def _order(source: SourceFile) -> tuple[int, int, str, int, str]:
    family = PROCESSING_ORDER.index(source.family) if source.family else len(PROCESSING_ORDER)
    return (family, _KIND_ORDER[source.kind], source.date or "", source.chunk or 0, source.name)


class _Run:
    """The state of one validation: counters, the identifier index, the finding callback."""

    def __init__(self, result: ValidationResult, index: CrossIndex, on_finding: OnFinding | None):
        self.result = result
        self.index = index
        self.on_finding = on_finding
        self.source: SourceFile | None = None
        self.summary: FileSummary | None = None
        self.summaries: dict[str, FileSummary] = {}
        self.locate: Callable[[str | None], int | None] | None = None
        """Finds a reference's line left at 0 in the facts being applied (one process)."""

    def file(self, source: SourceFile, events: Iterable[Event | FileDone]) -> None:
        """Consume the events of one file, in order."""
        self.source = source
        summary = self.summary = FileSummary(
            source.name, source.family, source.kind, source.encoding, source.version_af, source.size
        )
        self.summaries[source.name] = summary
        self.result.files.append(summary)
        family = self._family_counts(source.family.value if source.family else None)
        family.files += 1
        base = source.index << 40
        apply = self.index.apply
        cross = self.cross
        found = self.found
        for event in events:
            if type(event) is Facts:
                apply(event, cross, base + event.line)
            elif type(event) is Finding:
                found(event, summary)
            elif isinstance(event, FileDone):
                summary.requests = event.requests
                summary.complete = event.complete
                if not event.complete and source.family is not None:
                    notes = self.index.unreadable(source.family, source.name)
                    self.result.skipped.extend(notes)
        family.records += summary.records

    def cross(
        self,
        rule_id: str,
        facts: Facts,
        *,
        attribute: str | None = None,
        line: int | None = None,
        **fields: Any,
    ) -> None:
        """A finding on the request ``facts`` came from (cross-file checks)."""
        source = self.source
        assert source is not None
        rule = RULES[rule_id]
        message = rule.render(attribute=attribute, **fields)
        family = source.family.value if source.family else None
        if not line and attribute is not None and self.locate is not None:
            line = self.locate(attribute)
        finding = Finding(
            rule_id, rule.severity, source.name, line or facts.line, facts.key, family,
            attribute, message,
        )  # fmt: skip
        self.found(finding, self.summary)

    def deferred(
        self, rule_id: str, place: Place, family: Family, attribute: str, **fields: Any
    ) -> None:
        """A finding reported after every file was read (links no pupil returned)."""
        rule = RULES[rule_id]
        message = rule.render(attribute=attribute, **fields)
        finding = Finding(
            rule_id, rule.severity, place.file, place.line, place.record, family.value,
            attribute, message,
        )  # fmt: skip
        self.found(finding, self.summaries.get(place.file))

    def found(self, finding: Finding, summary: FileSummary | None) -> None:
        """Count ``finding`` and pass it on."""
        result = self.result
        result.by_rule[finding.rule] += 1
        counts = self._family_counts(finding.family)
        if finding.severity is Severity.ERROR:
            result.errors += 1
            counts.errors += 1
            if summary is not None:
                summary.errors += 1
        else:
            result.warnings += 1
            counts.warnings += 1
            if summary is not None:
                summary.warnings += 1
        if self.on_finding is not None:
            self.on_finding(finding)

    def _family_counts(self, name: str | None) -> FamilyCounts:
        key = name or "inconnue"
        counts = self.result.by_family.get(key)
        if counts is None:
            counts = self.result.by_family[key] = FamilyCounts()
        return counts
