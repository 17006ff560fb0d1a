"""Reconciliation of an AAF feed with the annuaire: what the académie sent against what is there.

:class:`Reconciliation` indexes the directory's structures and persons by join key (as a scan
delivers them) and the feed's requests (as :mod:`probes._aaf_feed` reads them), then reports:
accounts of the feed missing from the directory, directory accounts the feed does not carry,
attribute drift between both, and accounts the feed deletes that are still there. Join keys
are compared by identifier (``MENESR$12`` is ``12``), structures and persons apart.

A directory account is only expected in the feed when the feed carries its family (a feed
without ``PersEducNat`` files says nothing about staff). Values of personal attributes never
appear in findings: only which attribute differs.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from probes._aaf_feed import FAMILIES, FeedRecord
from probes._ldap_audit import RuleFindings
from sdet_check.pseudonym import Pseudonymiser
from sdet_check.sdet_model import join_key_id, parse_date

RECONCILE_RULES: dict[str, str] = {
    "LDAP-REC-001": "compte ou structure du flux AAF absent de l'annuaire",
    "LDAP-REC-002": "compte ou structure de l'annuaire absent du flux AAF",
    "LDAP-REC-003": "attribut différent entre le flux AAF et l'annuaire",
    "LDAP-REC-004": "compte ou structure supprimé par le flux AAF mais encore présent",
}
"""The reconciliation rules and their French titles."""

COMPARED: dict[str, tuple[str, ...]] = {
    "structure": ("ENTStructureUAI", "ENTStructureClasses"),
    "person": (
        "sn",
        "givenName",
        "ENTPersonDateNaissance",
        "ENTPersonStructRattach",
        "ENTEleveClasses",
    ),
}
"""Attributes compared between the feed and the directory, for structures and persons."""

PERSONAL = frozenset({"sn", "givenName", "ENTPersonDateNaissance"})
"""Compared attributes whose values are personal data: findings name them, never show them."""

_JOIN_KEY = {"structure": "ENTStructureJointure", "person": "ENTPersonJointure"}
_FAMILY_OF_KIND = {kind: family for family, kind in FAMILIES.items()}


@dataclass
class ReconcileReport:
    """What the reconciliation found."""

    directory_entries: int
    feed_records: dict[str, int]
    """Requests read, by ``family/operation``."""
    families: list[str]
    """Families present in the feed."""
    complete_families: list[str]
    """Families whose every account the feed lists (only those are judged by LDAP-REC-002)."""
    findings: dict[str, RuleFindings]

    def count(self, rule: str) -> int:
        """Number of findings of ``rule``."""
        return self.findings[rule].count


@dataclass
class _Side:
    dn: str
    kind: str
    values: dict[str, frozenset[str]]


class Reconciliation:
    """Indexes both sides, then compares them; see the module docstring."""

    def __init__(
        self,
        pseudonymiser: Pseudonymiser,
        examples_kept: int = 100,
        complete_families: frozenset[str] | None = None,
    ) -> None:
        """Prepare empty indexes; ``examples_kept`` bounds the examples of each rule.

        ``complete_families``: the families of which the feed lists every account (a full
        export); only their directory accounts can be missing from the feed. ``None``: every
        family the feed carries.
        """
        self._complete = complete_families
        self._pseudo = pseudonymiser
        self._kept = examples_kept
        self._directory: dict[tuple[str, str], _Side] = {}
        self._feed: dict[tuple[str, str], FeedRecord] = {}
        self._operations: Counter[str] = Counter()
        self._families: set[str] = set()
        self._findings = {
            rule: RuleFindings(rule, title) for rule, title in RECONCILE_RULES.items()
        }

    def directory(self, dn: str, attributes: Mapping[str, list[str]], kind: str) -> None:
        """Index one directory entry of ``kind`` (attribute names in lower case)."""
        group = "structure" if kind == "structure" else "person"
        values = {
            name: _normalised(name, attributes.get(name.lower(), ())) for name in COMPARED[group]
        }
        for key in attributes.get(_JOIN_KEY[group].lower(), ()):
            if key.strip():
                self._directory[(group, _identifier(key))] = _Side(dn, kind, values)

    def feed(self, record: FeedRecord) -> None:
        """Index one request of the feed; a later request for the same key wins."""
        group = "structure" if record.kind == "structure" else "person"
        self._operations[f"{record.family}/{record.operation}"] += 1
        self._families.add(record.family)
        if record.identifier:
            self._feed[(group, _identifier(record.identifier))] = record

    def finish(self) -> ReconcileReport:
        """Compare both indexes."""
        for key, record in self._feed.items():
            side = self._directory.get(key)
            if record.operation == "delete":
                if side is not None:
                    self._find("LDAP-REC-004", key, side.dn, record.family)
                continue
            if side is None:
                self._find("LDAP-REC-001", key, None, record.family)
                continue
            group = key[0]
            for name in COMPARED[group]:
                sent = record.attributes.get(name)
                if sent is None:
                    continue
                if _normalised(name, sent) != side.values[name]:
                    self._find("LDAP-REC-003", key, side.dn, record.family, name, sent, side)
        complete = self._families if self._complete is None else self._complete
        for key, side in self._directory.items():
            family = _FAMILY_OF_KIND.get(side.kind)
            if family is not None and key not in self._feed and family in complete:
                self._find("LDAP-REC-002", key, side.dn, family)
        return ReconcileReport(
            directory_entries=len(self._directory),
            feed_records=dict(sorted(self._operations.items())),
            families=sorted(self._families),
            complete_families=sorted(complete),
            findings=self._findings,
        )

    def _find(
        self,
        rule: str,
        key: tuple[str, str],
        dn: str | None,
        family: str,
        attribute: str | None = None,
        sent: list[str] | None = None,
        side: _Side | None = None,
    ) -> None:
        findings = self._findings[rule]
        findings.count += 1
        if len(findings.examples) >= self._kept:
            return
        group, identifier = key
        person = group == "person"
        example: dict[str, Any] = {
            "famille": family,
            "cle": self._pseudo.value(identifier, _JOIN_KEY[group]) if person else identifier,
        }
        if dn is not None:
            example["dn"] = self._pseudo.dn(dn) if person else dn
        if attribute is not None:
            example["attribut"] = attribute
            if attribute not in PERSONAL and side is not None and sent is not None:
                example["flux"] = sorted(_normalised(attribute, sent))
                example["annuaire"] = sorted(side.values[attribute])
            else:
                example["detail"] = "valeurs différentes (données personnelles non montrées)"
        findings.examples.append(example)


def _identifier(key: str) -> str:
    return join_key_id(key.strip()).casefold()


def _normalised(name: str, values: list[str] | tuple[str, ...]) -> frozenset[str]:
    """Values as compared: trimmed, case folded; class codes only; dates as ISO dates."""
    kept: set[str] = set()
    for value in values:
        value = value.strip()
        if not value:
            continue
        if name == "ENTStructureClasses":
            value = value.split("$", 1)[0].strip()
        elif name == "ENTPersonDateNaissance":
            with contextlib.suppress(ValueError):  # an invalid date is compared as written
                value = parse_date(value).isoformat()
        kept.add(value.casefold())
    return frozenset(kept)
