"""Reconciliation of an AAF feed with the annuaire: what the académie sent against what is there.

:class:`Reconciliation` indexes the directory's structures and persons by join key (as a scan
delivers them) and the feed's requests (as :mod:`sdet_check.aaf.feed` reads them), then reports:
accounts of the feed missing from the directory, directory accounts the feed does not carry,
attribute drift between both, and accounts the feed deletes that are still there. Join keys
are compared by identifier (``MENESR$12`` is ``12``), structures and persons apart.

The folder may keep a history of exports. Files are applied in import order (by date, full
exports before deltas); the *current* feed of a family is its latest ``Complet`` export and
the deltas after it, and the older files only date each account's last presence. A directory
account is only expected in the feed when the current feed holds a full export of its
family; staff (``PersEducNat``) only when attached to a structure of the feed, so that local
accounts and other académies' people are not counted. Values of personal attributes never
appear in findings: only which attribute differs.

For the deletion delay of the arrêté (:func:`deletion_timeline`), each person
the feed no longer carries is dated: it was entitled on the last export that held it, and no
longer on the next full export without it (or on the delta that deleted it). Past that second
date plus the delay it is surely late; before the first date plus the delay it surely is not;
in between, the exports are too far apart to say.
"""

from __future__ import annotations

import bisect
import calendar
import contextlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from probes._ldap_audit import RuleFindings
from sdet_check.aaf.feed import FAMILIES, FeedFile, FeedRecord
from sdet_check.messages import msg
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
    absences: list[Absence] = field(default_factory=list)
    """The persons of LDAP-REC-002 and LDAP-REC-004, dated for the deletion delay."""

    def count(self, rule: str) -> int:
        """Number of findings of ``rule``."""
        return self.findings[rule].count


@dataclass(frozen=True)
class Absence:
    """A person still in the directory that the feed no longer carries, or deletes."""

    rule: str
    last_seen: date | None
    """Date of the last export that held the person (``None``: none in the folder)."""
    absent_since: date | None
    """Date of the first full export without the person after that, or of its deletion."""


@dataclass(frozen=True)
class Timeline:
    """The absences judged against a deletion delay, on a given day."""

    late: dict[str, int]
    """Persons surely kept past the delay, by rule."""
    uncertain: dict[str, int]
    """Persons that may or may not be late: the exports are too far apart to say, by rule."""
    within: dict[str, int]
    """Persons surely still within the delay, by rule."""
    next_due: date | None
    """The earliest day one of the persons within the delay or uncertain may become late."""


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def deletion_timeline(
    absences: Sequence[Absence], rules: Sequence[str], today: date, months: int
) -> Timeline:
    """Judge the ``absences`` of ``rules`` against a delay of ``months`` months on ``today``."""
    late: Counter[str] = Counter()
    uncertain: Counter[str] = Counter()
    within: Counter[str] = Counter()
    upcoming: list[date] = []
    for absence in absences:
        if absence.rule not in rules:
            continue
        if absence.absent_since is not None and add_months(absence.absent_since, months) < today:
            late[absence.rule] += 1
        elif absence.last_seen is not None and today <= add_months(absence.last_seen, months):
            within[absence.rule] += 1
            upcoming.append(add_months(absence.last_seen, months))
        else:
            uncertain[absence.rule] += 1
            if absence.absent_since is not None:
                upcoming.append(add_months(absence.absent_since, months))
    return Timeline(dict(late), dict(uncertain), dict(within), min(upcoming, default=None))


@dataclass
class _Side:
    dn: str
    kind: str
    values: dict[str, frozenset[str]]
    attached: frozenset[str] = frozenset()


class Reconciliation:
    """Indexes both sides, then compares them; see the module docstring."""

    def __init__(
        self,
        pseudonymiser: Pseudonymiser,
        examples_kept: int = 100,
        files: Sequence[FeedFile] = (),
    ) -> None:
        """Prepare empty indexes; ``examples_kept`` bounds the examples of each rule.

        ``files`` describes the feed folder (as :func:`sdet_check.aaf.feed.describe` reads
        the names); records must then be fed in :func:`~sdet_check.aaf.feed.import_order`.
        Without it, every record is current and every family a full export.
        """
        self._pseudo = pseudonymiser
        self._kept = examples_kept
        self._files = {file.path: file for file in files}
        complete: dict[str, list[date | None]] = {}
        for file in files:
            if file.complete:
                complete.setdefault(file.family, []).append(file.day)
        self._baseline = {
            family: max(days, key=_undated_first) for family, days in complete.items()
        }
        """Per family, the date of its current full export."""
        self._complete_days = {
            family: sorted(day for day in days if day is not None)
            for family, days in complete.items()
        }
        """Per family, the dates of its full exports, in order."""
        self._directory: dict[tuple[str, str], _Side] = {}
        self._feed: dict[tuple[str, str], FeedRecord] = {}
        self._last_seen: dict[tuple[str, str], date] = {}
        self._deleted_on: dict[tuple[str, str], date | None] = {}
        self._operations: Counter[str] = Counter()
        self._families: set[str] = set()
        self._findings = {
            rule: RuleFindings(rule, title) for rule, title in RECONCILE_RULES.items()
        }
        self._absences: list[Absence] = []

    def directory(self, dn: str, attributes: Mapping[str, list[str]], kind: str) -> None:
        """Index one directory entry of ``kind`` (attribute names in lower case)."""
        group = "structure" if kind == "structure" else "person"
        values = {
            name: _normalised(name, attributes.get(name.lower(), ())) for name in COMPARED[group]
        }
        attached = frozenset(
            _identifier(value) for value in attributes.get("entpersonstructrattach", ()) if value
        )
        for key in attributes.get(_JOIN_KEY[group].lower(), ()):
            if key.strip():
                self._directory[(group, _identifier(key))] = _Side(dn, kind, values, attached)

    def feed(self, record: FeedRecord) -> None:
        """Index one request of the feed; a later request for the same key wins."""
        group = "structure" if record.kind == "structure" else "person"
        file = self._files.get(record.path) if record.path is not None else None
        if not record.identifier:
            return
        key = (group, _identifier(record.identifier))
        day = file.day if file is not None else None
        if day is not None and record.operation != "delete":
            self._last_seen[key] = max(day, self._last_seen.get(key, day))
        if file is not None and not self._current(file):
            return
        self._operations[f"{record.family}/{record.operation}"] += 1
        self._families.add(record.family)
        self._feed[key] = record
        if record.operation == "delete":
            self._deleted_on[key] = day

    def older_files(self) -> list[FeedFile]:
        """The files of the folder that are not part of the current feed (history only)."""
        return [file for file in self._files.values() if not self._current(file)]

    def finish(self) -> ReconcileReport:
        """Compare both indexes."""
        for key, record in self._feed.items():
            side = self._directory.get(key)
            if record.operation == "delete":
                if side is not None:
                    self._find("LDAP-REC-004", key, side.dn, record.family)
                    self._absent("LDAP-REC-004", key, self._deleted_on.get(key))
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
        complete = self._complete_families()
        structures = {identifier for group, identifier in self._feed if group == "structure"}
        for key, side in self._directory.items():
            family = _FAMILY_OF_KIND.get(side.kind)
            if family is None or key in self._feed or family not in complete:
                continue
            if key[0] == "person" and not self._fed(side, structures):
                continue  # not the feed's to manage: local accounts, other structures
            self._find("LDAP-REC-002", key, side.dn, family)
            if key[0] == "person":
                self._absent("LDAP-REC-002", key, self._next_complete(family, key))
        return ReconcileReport(
            directory_entries=len(self._directory),
            feed_records=dict(sorted(self._operations.items())),
            families=sorted(self._families),
            complete_families=sorted(complete),
            findings=self._findings,
            absences=self._absences,
        )

    def _current(self, file: FeedFile) -> bool:
        """Whether ``file`` is part of its family's current feed."""
        if file.family not in self._baseline:
            return True  # deltas only: every one of them counts
        baseline = self._baseline[file.family]
        if file.complete:
            return file.day == baseline
        return baseline is None or file.day is None or file.day > baseline

    @staticmethod
    def _fed(side: _Side, structures: set[str]) -> bool:
        """Whether the feed manages this person: attached to one of its structures.

        Pupils and guardians without any attachment (AAF guardians come so) are the feed's too.
        """
        if side.attached:
            return not side.attached.isdisjoint(structures)
        return side.kind in ("pupil", "relative")

    def _complete_families(self) -> set[str]:
        if not self._files:
            return set(self._families)
        return {family for family in self._baseline if family in self._families}

    def _next_complete(self, family: str, key: tuple[str, str]) -> date | None:
        """The first full export of ``family`` after the person's last presence."""
        days = self._complete_days.get(family, [])
        seen = self._last_seen.get(key)
        if seen is None:
            return days[0] if days else None
        index = bisect.bisect_right(days, seen)
        return days[index] if index < len(days) else None

    def _absent(self, rule: str, key: tuple[str, str], since: date | None) -> None:
        self._absences.append(Absence(rule, self._last_seen.get(key), since))

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
                example["detail"] = msg("ldap.reconcile.personal_values_hidden")
        findings.examples.append(example)


def _undated_first(day: date | None) -> date:
    return day or date.min


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
