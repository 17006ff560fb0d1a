"""The shared scan of the whole tree, audited once per run.

Paged searches of every person and structure, read by the first data-model probe that
needs them and shared with the others.
"""

from __future__ import annotations

import gc
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from probes import _ldap_wire as wire
from probes._ldap_audit import (
    PERSON_ATTRIBUTES,
    RULES,
    STRUCTURE_ATTRIBUTES,
    AuditReport,
    DirectoryAudit,
    RuleFindings,
)
from probes.ldap.connection import _Access, _pseudonymisation_evidence, _Session
from sdet_check.messages import catalogue, msg
from sdet_check.probe import (
    Evidence,
    ProbeContext,
    ProbeError,
    ProbeTimeout,
)


def _rules_params(rules: Mapping[str, str]) -> Mapping[str, Any]:
    """Params of a probe decided by some of its ``rules``: which ones, how many examples."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["rules"],
        "properties": {
            "rules": {
                "type": "array",
                "items": {"enum": sorted(rules)},
                "minItems": 1,
                "uniqueItems": True,
                "description": "Rules whose findings decide the requirement.",
            },
            "max_examples": {
                "type": "integer",
                "minimum": 0,
                "maximum": 100,
                "default": 20,
                "description": "Examples kept in the evidence for each rule.",
            },
        },
    }


# --- the shared directory scan ----------------------------------------------------------


@dataclass(frozen=True)
class _Scan:
    """One read of the whole tree, audited."""

    report: AuditReport
    evidence: Evidence
    privacy: Evidence


class _ScanSlot:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.scan: _Scan | None = None
        self.error: ProbeError | None = None


_SCANS: dict[int, _ScanSlot] = {}
_SCANS_LOCK = threading.Lock()


def _shared_scan(access: _Access, context: ProbeContext) -> _Scan:
    """The scan of this run's target: made by the first probe asking, reused by the others."""
    target = context.target
    key = id(target)
    with _SCANS_LOCK:
        slot = _SCANS.get(key)
        if slot is None:
            slot = _SCANS[key] = _ScanSlot()
            # The run's target object lives as long as the run: so does its scan.
            weakref.finalize(target, _SCANS.pop, key, None)
    if not slot.lock.acquire(timeout=max(0.0, context.remaining())):
        raise ProbeTimeout(msg("ldap.ldap.shared_scan.timeout"))
    try:
        if slot.scan is None and slot.error is None:
            try:
                slot.scan = _scan(access, context)
            except ProbeError as error:
                slot.error = error
        if slot.error is not None:
            raise type(slot.error)(str(slot.error), *slot.error.evidence)
        assert slot.scan is not None
        return slot.scan
    finally:
        slot.lock.release()


@dataclass(frozen=True)
class _Search:
    """One of the searches of a scan: the filter says what its entries are."""

    kind: str
    text: str
    ber: bytes
    attributes: tuple[str, ...]


def _searches() -> tuple[_Search, ...]:
    person = wire.equal("objectClass", "ENTPerson")
    pupil = wire.equal("objectClass", "ENTEleve")
    relative = wire.equal("objectClass", "ENTAuxPersRelEleve")
    structure = wire.equal("objectClass", "ENTStructure")
    return (
        _Search(
            "structure",
            "(&(objectClass=ENTStructure)(!(objectClass=ENTPerson)))",
            wire.all_of(structure, wire.negate(person)),
            STRUCTURE_ATTRIBUTES,
        ),
        _Search(
            "pupil",
            "(&(objectClass=ENTPerson)(objectClass=ENTEleve))",
            wire.all_of(person, pupil),
            PERSON_ATTRIBUTES,
        ),
        _Search(
            "relative",
            "(&(objectClass=ENTPerson)(objectClass=ENTAuxPersRelEleve)(!(objectClass=ENTEleve)))",
            wire.all_of(person, relative, wire.negate(pupil)),
            PERSON_ATTRIBUTES,
        ),
        _Search(
            "person",
            "(&(objectClass=ENTPerson)(!(objectClass=ENTEleve))(!(objectClass=ENTAuxPersRelEleve)))",
            wire.all_of(person, wire.negate(pupil), wire.negate(relative)),
            PERSON_ATTRIBUTES,
        ),
    )


SCAN_SEARCHES = _searches()
"""The paged searches of a scan, one per kind of entry (no objectClass values are read)."""


def _scan(access: _Access, context: ProbeContext) -> _Scan:
    """Read every person and structure with paged searches and audit them."""
    # The audit's records are gone (freed by reference counting) when the collector comes
    # back: it then has nothing left over to walk.
    with _COLLECTOR.paused():
        return _audited_scan(access, context)


def _audited_scan(access: _Access, context: ProbeContext) -> _Scan:
    pseudo = access.pseudonymiser()
    audit = DirectoryAudit(pseudo, date.today())
    stats, started = _read_directory(access, context, audit.add)
    report = audit.finish()
    return _Scan(
        report=report,
        evidence=_scan_evidence(access, stats, started, report),
        privacy=_pseudonymisation_evidence(pseudo),
    )


def _read_directory(
    access: _Access,
    context: ProbeContext,
    consume: Callable[[str, dict[str, list[str]], str], None],
) -> tuple[wire.SearchStats, float]:
    """Give ``consume(dn, attributes, kind)`` every entry of :data:`SCAN_SEARCHES`.

    Bounded by the probe's deadline and ``ldap.max_entries``; a refused search raises.
    Returns the search statistics and the ``time.monotonic()`` start, for the evidence.
    """
    stats = wire.SearchStats()
    started = time.monotonic()
    with _COLLECTOR.paused(), _Session(access, context, protect=access.tls_wanted) as session:
        session.bind_service_or_anonymous()
        client = session.wire_client()
        for search in SCAN_SEARCHES:
            pages = client.paged_search(
                access.base_dn,
                search.ber,
                search.attributes,
                page_size=access.page_size,
                stats=stats,
                stop_after=access.max_entries,
            )
            for page in pages:
                for dn, attributes in page:
                    consume(dn, attributes, search.kind)
                if stats.entries > access.max_entries:
                    raise ProbeError(
                        msg(
                            "ldap.ldap.read_directory.error",
                            max_entries=access.max_entries,
                            base_dn=access.base_dn,
                        ),
                        _scan_evidence(access, stats, started, None),
                    )
            result = stats.result
            if result is None or not result.ok:
                _scan_refused(access, stats, started, result)
    return stats, started


class _CollectorPause:
    """Keeps Python's cyclic garbage collector off while at least one scan runs.

    A scan makes millions of small lists, dicts and strings that live for a page, and keeps a
    record of every person for the checks between entries. None of them is part of a cycle
    (reference counting frees them), but each automatic collection walks every one still
    alive: on a directory of 100,000 persons that is about a third of the scan's time. Scans
    of concurrent probes share the pause; the collector comes back when the last one ends, if
    it was on when the first began.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scans = 0
        self._resume = False

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Pause the collector for the ``with`` block."""
        with self._lock:
            if self._scans == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._scans += 1
        try:
            yield
        finally:
            with self._lock:
                self._scans -= 1
                if self._scans == 0 and self._resume:
                    gc.enable()


_COLLECTOR = _CollectorPause()


def _scan_refused(
    access: _Access, stats: wire.SearchStats, started: float, result: wire.LdapResult | None
) -> None:
    evidence = _scan_evidence(access, stats, started, None)
    answer = result.describe() if result else msg("ldap.guard.no_answer")
    if result is not None and result.code == 3:
        raise ProbeTimeout(msg("ldap.ldap.scan_refused.timeout", answer=answer), evidence)
    if result is not None and result.code in (4, 11):
        raise ProbeError(
            msg("ldap.ldap.scan_refused.error", answer=answer, entries=stats.entries),
            evidence,
        )
    raise ProbeError(
        msg("ldap.ldap.scan_refused.error_2", base_dn=access.base_dn, answer=answer), evidence
    )


def _scan_evidence(
    access: _Access, stats: wire.SearchStats, started: float, report: AuditReport | None
) -> Evidence:
    duration = round(time.monotonic() - started, 3)
    data: dict[str, Any] = {
        "base": access.base_dn,
        "searches": [
            {"kind": search.kind, "filter": search.text, "attributes": list(search.attributes)}
            for search in SCAN_SEARCHES
        ],
        "bind_dn": access.bind_dn,
        "page_size": access.page_size,
        "pages": stats.pages,
        "entries": stats.entries,
        "references": stats.references,
        "server_paged": stats.server_paged,
        "bytes_read": stats.bytes_read,
        "duration_s": duration,
        "result": stats.result.describe() if stats.result else None,
        "read_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if report is None:
        return Evidence(
            kind="ldap_scan",
            summary=msg(
                "ldap.ldap.ev.scan_evidence.evidence",
                base_dn=access.base_dn,
                entries=stats.entries,
                pages=stats.pages,
            ),
            data=data,
        )
    data.update(
        persons=report.persons,
        structures=report.structures,
        pupils=report.pupils,
        relatives=report.relatives,
        profiles=report.profiles,
        findings={rule: report.count(rule) for rule in RULES},
    )
    return Evidence(
        kind="ldap_scan",
        summary=msg(
            "ldap.ldap.ev.scan_evidence.evidence_2",
            base_dn=access.base_dn,
            persons=report.persons,
            pupils=report.pupils,
            structures=report.structures,
            pages=stats.pages,
            page_size=access.page_size,
            duration=f"{duration:g}",
        ),
        data=data,
    )


def rule_title(rule: str, title: str) -> str:
    """The title of an audit or reconciliation rule in the current language (``title``: French)."""
    message_id = f"ldap.rule_title.{rule}"
    return msg(message_id) if message_id in catalogue() else title


def _rule_evidence(findings: RuleFindings, kept: int) -> Evidence:
    rule = findings.rule
    examples = findings.examples[:kept]
    if not findings.count:
        summary = msg("ldap.rule_none", rule=rule, title=rule_title(rule, findings.title))
    else:
        summary = msg(
            "ldap.rule_count",
            rule=rule,
            title=rule_title(rule, findings.title),
            count=findings.count,
        )
        if findings.count > len(examples):
            summary = msg("ldap.rule_examples", finding=summary, shown=len(examples))
    return Evidence(
        kind="ldap_finding",
        summary=summary,
        data={
            "rule": rule,
            "title": findings.title,
            "count": findings.count,
            "examples": examples,
            "examples_omitted": findings.count - len(examples),
        },
    )
