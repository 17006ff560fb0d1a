"""Checks across records and files: unique join keys, references, reciprocal links, deltas.

Files are read in dependency order (structures, MEF, subjects, relatives, pupils, staff), so
a reference is resolved the moment it is read, against what earlier files defined. Memory
grows with the number of identifiers, never with the size of the files: the index keeps
join keys (as integers when they are plain numbers), the classes and groups declared by
each structure, and the pupil–relative pairs a relative declared and no pupil has yet
confirmed. Those left at the end are the links no pupil returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sdet_check.aaf.checks import Facts
from sdet_check.aaf.families import Family, Part
from sdet_check.aaf.model import Op

Key = int | str
"""A join key, stored compactly: an int when it is a plain number without leading zero."""

Pair = int | tuple[str, str]

_PAIR_BASE = 10**18
_FAMILY_CODE = {family: index for index, family in enumerate(Family)}
_LISTS_PUPILS = 16  # flag on a relative that names its pupils (ENTAuxPersRelEleveEleve)


def compact(key: str) -> Key:
    """``key`` as an int when that loses nothing (plain ASCII digits, no leading zero)."""
    if key.isascii() and key.isdigit() and len(key) < 19 and (key[0] != "0" or key == "0"):
        return int(key)
    return key


def _pair(relative: str, pupil: str) -> Pair:
    r, p = compact(relative), compact(pupil)
    if isinstance(r, int) and isinstance(p, int):
        return r * _PAIR_BASE + p
    return (relative, pupil)


def _unpair(pair: Pair) -> tuple[str, str]:
    if isinstance(pair, int):
        relative, pupil = divmod(pair, _PAIR_BASE)
        return str(relative), str(pupil)
    return pair


@dataclass(frozen=True)
class Place:
    """Where a deferred finding points: file name, line and record."""

    file: str
    line: int
    record: str


CrossEmit = Callable[..., None]
"""``emit(rule_id, facts, attribute=None, **fields)`` for a finding on the current request."""
DeferredEmit = Callable[..., None]
"""``emit_at(rule_id, place, family, attribute, **fields)`` for a finding found later."""


@dataclass(frozen=True)
class Skipped:
    """A cross-file check that could not be made, and why."""

    rule: str
    reason: str

    def to_json(self) -> dict[str, str]:
        """As plain data."""
        return {"rule": self.rule, "reason": self.reason}


class CrossIndex:
    """The identifiers seen so far, and the checks that need them."""

    def __init__(self, complete: Iterable[Family], files: list[str]):
        """``complete``: families that have a full (Complet) export among the files."""
        self.complete = frozenset(complete)
        self.files = files
        self.persons: dict[Key, int] = {}
        self.others: dict[Family, set[str]] = {
            Family.ETAB: set(),
            Family.MEF: set(),
            Family.MATIERE: set(),
        }
        self.classes: dict[str, set[str]] = {}
        self.groups: dict[str, set[str]] = {}
        self.pupil_classes: set[str] = set()
        self.pending: dict[Pair, int] = {}
        self.silent_relatives = 0

    def skipped(self, present: Iterable[Family]) -> list[Skipped]:
        """The cross-file checks this set of files does not allow, with the reason."""
        present = set(present)
        missing = {f for f in Family if f not in self.complete}
        notes: list[Skipped] = []

        def absent(family: Family) -> str:
            return f"aucun fichier Complet {family} dans le jeu"

        needs = (
            ("AAF-XREF-001", Family.ETAB),
            ("AAF-XREF-002", Family.PERS_REL),
            ("AAF-XREF-003", Family.PERS_REL),
            ("AAF-XREF-004", Family.ELEVE),
            ("AAF-XREF-005", Family.ETAB),
            ("AAF-XREF-006", Family.MATIERE),
            ("AAF-XREF-007", Family.MEF),
        )
        notes.extend(Skipped(rule, absent(family)) for rule, family in needs if family in missing)
        notes.extend(
            Skipped("AAF-DELTA-001", f"{absent(family)} : Delta {family} non vérifié")
            for family in sorted(present & missing, key=list(Family).index)
        )
        return notes

    def apply(self, facts: Facts, emit: CrossEmit, location: int) -> None:
        """Index what ``facts`` defines and check what it references.

        ``location`` packs the file index and line of the request, for findings reported
        only at the end.
        """
        family, op, key = facts.family, facts.op, facts.key
        if op is Op.ADD:
            self._define(facts, emit)
        elif family in self.complete and not self._known(family, key):
            emit("AAF-DELTA-001", facts, op=op.label, key=key, family=family.value)
        seen: set[tuple[Part, str]] = set()
        for part, target, attribute in facts.references:
            if (part, target) in seen:
                continue
            seen.add((part, target))
            self._resolve(facts, part, target, attribute, emit, location)

    def _known(self, family: Family, key: str) -> bool:
        if family.is_person:
            code = self.persons.get(compact(key))
            return code is not None and code & 15 == _FAMILY_CODE[family]
        return key in self.others[family]

    def _define(self, facts: Facts, emit: CrossEmit) -> None:
        family, key = facts.family, facts.key
        if not key:
            return
        if family.is_person:
            compacted = compact(key)
            previous = self.persons.get(compacted)
            if previous is not None:
                other = list(Family)[previous & 15]
                detail = "" if other is family else f" par un enregistrement {other}"
                emit("AAF-KEY-001", facts, key=key, detail=detail)
                return
            self.persons[compacted] = _FAMILY_CODE[family]
        else:
            keys = self.others[family]
            if key in keys:
                emit("AAF-KEY-001", facts, key=key, detail="")
                return
            keys.add(key)
            if family is Family.ETAB:
                self.classes[key] = set()
                self.groups[key] = set()

    def _resolve(
        self,
        facts: Facts,
        part: Part,
        target: str,
        attribute: str,
        emit: CrossEmit,
        location: int,
    ) -> None:
        family = facts.family
        if family is Family.ETAB:
            if part is Part.CLASS:
                self.classes.setdefault(facts.key, set()).add(target)
            elif part is Part.GROUP:
                self.groups.setdefault(facts.key, set()).add(target)
            return
        complete = self.complete
        if part is Part.STRUCT:
            if Family.ETAB in complete and target not in self.others[Family.ETAB]:
                emit("AAF-XREF-001", facts, attribute=attribute, target=target)
        elif part is Part.CLASS or part is Part.GROUP:
            self._class(facts, part, target, attribute, emit)
        elif part is Part.SUBJECT:
            if Family.MATIERE in complete and target not in self.others[Family.MATIERE]:
                emit("AAF-XREF-006", facts, attribute=attribute, target=target)
        elif part is Part.MEF:
            if Family.MEF in complete and target not in self.others[Family.MEF]:
                emit("AAF-XREF-007", facts, attribute=attribute, target=target)
        elif part is Part.RELATIVE:
            self._relative(facts, target, attribute, emit)
        elif part is Part.PUPIL and facts.op is Op.ADD:
            self.pending[_pair(facts.key, target)] = location
            code = self.persons.get(compact(facts.key))
            if code is not None:
                self.persons[compact(facts.key)] = code | _LISTS_PUPILS

    def _class(
        self, facts: Facts, part: Part, target: str, attribute: str, emit: CrossEmit
    ) -> None:
        structure, _, code = target.partition("$")
        if structure not in self.others[Family.ETAB]:
            return  # the unknown structure is already reported (AAF-XREF-001)
        declared = (self.classes if part is Part.CLASS else self.groups).get(structure)
        kind = "classe" if part is Part.CLASS else "groupe"
        if declared:
            if code not in declared:
                emit(
                    "AAF-XREF-005",
                    facts,
                    attribute=attribute,
                    kind=kind,
                    target=code,
                    structure=structure,
                )
            return
        if facts.family is Family.ELEVE:
            self.pupil_classes.add(f"{part.value}${target}")
        elif Family.ELEVE in self.complete and f"{part.value}${target}" not in self.pupil_classes:
            emit(
                "AAF-XREF-005",
                facts,
                attribute=attribute,
                kind=kind,
                target=code,
                structure=f"{structure}, qui ne déclare pas ses {kind}s et où aucun élève n'y est",
            )

    def _relative(self, facts: Facts, target: str, attribute: str, emit: CrossEmit) -> None:
        if Family.PERS_REL not in self.complete:
            return
        code = self.persons.get(compact(target))
        if code is None or code & 15 != _FAMILY_CODE[Family.PERS_REL]:
            emit("AAF-XREF-002", facts, attribute=attribute, target=target)
            return
        if facts.op is not Op.ADD or not code & _LISTS_PUPILS:
            return
        if self.pending.pop(_pair(target, facts.key), None) is None:
            emit("AAF-XREF-003", facts, attribute=attribute, target=target, back=_BACK_LINKS)

    def finish(self, emit_at: DeferredEmit) -> None:
        """Report the relatives' links that no pupil returned."""
        pupils_checked = Family.ELEVE in self.complete
        eleve = _FAMILY_CODE[Family.ELEVE]
        for pair, location in sorted(self.pending.items(), key=lambda item: item[1]):
            if not pupils_checked:
                break
            relative, pupil = _unpair(pair)
            code = self.persons.get(compact(pupil))
            if code is None or code & 15 != eleve:
                detail = "absent des fichiers Eleve"
            else:
                detail = "ne cite pas ce responsable dans ENTElevePersRelEleve"
            file_index, line = divmod(location, 1 << 40)
            emit_at(
                "AAF-XREF-004",
                Place(self.files[file_index], line, relative),
                Family.PERS_REL,
                _BACK_LINKS,
                target=pupil,
                detail=detail,
            )
        self.pending.clear()


_BACK_LINKS = "ENTAuxPersRelEleveEleve"
