"""The ledger of a run's defects: those still to inject and those injected, for the manifest."""

from __future__ import annotations

from typing import Any


class DefectLedger:
    """Which rules are still to inject, once each, and where every injected defect went."""

    def __init__(self, wanted: frozenset[str]):
        self.pending = set(wanted)
        self.injected: list[dict[str, Any]] = []

    def take(self, rule_id: str) -> bool:
        """True once when ``rule_id`` is to be injected and has not been yet."""
        if rule_id in self.pending:
            self.pending.discard(rule_id)
            return True
        return False

    def record(self, rule_id: str, file: str, record: str | None, note: str) -> None:
        """Record an injected defect in the manifest."""
        self.injected.append({"rule": rule_id, "file": file, "record": record, "note": note})
