"""Checks across records and files: unique join keys, references, reciprocal links, deltas.

Files are read in dependency order (structures, MEF, subjects, relatives, pupils, staff), so
a reference is resolved the moment it is read, against what earlier files defined. Memory
grows with the number of identifiers, never with the size of the files: the index keeps
join keys (as integers when they are plain numbers), the classes and groups declared by
each structure, and the pupil–relative pairs a relative declared and no pupil has yet
confirmed. Those left at the end are the links no pupil returns. Numeric keys and pairs
of them, the usual case, are kept in :class:`~sdet_check.aaf.intmap.IntMap` (9 bytes a
person, 16 a pending link, against about 100 in a ``dict``), so that memory stays nearly
flat whatever the number of persons.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

from sdet_check.aaf.checks import Facts, Reference
from sdet_check.aaf.families import Family, Part
from sdet_check.aaf.intmap import IntMap
from sdet_check.aaf.model import Op

Key = int | str
"""A join key, stored compactly: an int when it is a plain number without leading zero."""

Pair = int | tuple[str, str]

_PAIR_SHIFT = 32
_PAIR_LIMIT = 1 << _PAIR_SHIFT


def compact(key: str) -> Key:
    """``key`` as an int when that loses nothing (plain ASCII digits, no leading zero)."""
    if key.isascii() and key.isdigit() and len(key) < 19 and (key[0] != "0" or key == "0"):
        return int(key)
    return key


def _pair(relative: Key, pupil: Key | str) -> Pair:
    p = compact(pupil) if isinstance(pupil, str) else pupil
    if isinstance(relative, int) and isinstance(p, int) and relative < _PAIR_LIMIT > p:
        return relative << _PAIR_SHIFT | p
    return (str(relative), str(p))


def _unpair(pair: Pair) -> tuple[str, str]:
    if isinstance(pair, int):
        relative, pupil = divmod(pair, _PAIR_LIMIT)
        return str(relative), str(pupil)
    return pair


_K = TypeVar("_K", Key, Pair)


class _KeyMap(Generic[_K]):
    """Join key (or pair of join keys) → int: numeric ones compact, the others in a dict."""

    def __init__(self, value_bits: int = 64) -> None:
        self.numbers = IntMap(value_bits=value_bits)
        self.largest = self.numbers.largest
        self.others: dict[_K, int] = {}

    def get(self, key: _K) -> int | None:
        if type(key) is int:
            value = self.numbers.get(key)
            if value is not None or not self.others:
                return value
        return self.others.get(key)

    def __setitem__(self, key: _K, value: int) -> None:
        # A key lives in one store only: a value too wide for the numbers moves it out.
        if type(key) is int:
            if value < self.largest:
                if self.others:
                    self.others.pop(key, None)
                self.numbers[key] = value
                return
            self.numbers.pop(key)
        self.others[key] = value

    def add(self, key: _K, value: int) -> None:
        """Set the value of ``key``, known to be absent."""
        if type(key) is int and value < self.largest:
            self.numbers.add(key, value)
        else:
            self.others[key] = value

    def pop(self, key: _K) -> int | None:
        if type(key) is int:
            value = self.numbers.pop(key)
            if value is not None or not self.others:
                return value
        return self.others.pop(key, None)

    def items(self) -> Iterator[tuple[_K, int]]:
        for key, value in self.numbers.items():
            yield cast(_K, key), value
        yield from self.others.items()

    def values(self) -> Iterator[int]:
        yield from self.numbers.values()
        yield from self.others.values()

    def clear(self) -> None:
        self.numbers.clear()
        self.others.clear()


@dataclass(frozen=True)
class Place:
    """Where a deferred finding points: file name, line and record."""

    file: str
    line: int
    record: str


CrossEmit = Callable[..., None]
"""``emit(rule_id, facts, attribute=None, line=None, **fields)``: a finding on a request."""
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
        self.persons: _KeyMap[Key] = _KeyMap(value_bits=8)
        """Join key → family code (and the flag of a relative that names its pupils)."""
        self.structures: set[str] = set()
        self.mefs: set[str] = set()
        self.subjects: set[str] = set()
        self.classes: dict[str, set[str]] = {}
        self.groups: dict[str, set[str]] = {}
        self.pupil_classes: set[str] = set()
        self.pending: _KeyMap[Pair] = _KeyMap()
        """Pair → location << 8 | rank of the pupil in the request (the findings' order)."""
        self._check_structures = Family.ETAB in self.complete
        self._check_mefs = Family.MEF in self.complete
        self._check_subjects = Family.MATIERE in self.complete
        self._check_relatives = Family.PERS_REL in self.complete
        self._pupils_known = Family.ELEVE in self.complete

    def unreadable(self, family: Family, file: str) -> list[Skipped]:
        """A file of ``family`` could not be read to the end: stop checking references to it.

        Its missing records would otherwise show as dangling references everywhere; the
        reading error itself is reported once. Returns the notes to add to the report.
        """
        rules = {
            Family.ETAB: ("AAF-XREF-001", "AAF-XREF-005"),
            Family.MEF: ("AAF-XREF-007",),
            Family.MATIERE: ("AAF-XREF-006",),
            Family.PERS_REL: ("AAF-XREF-002", "AAF-XREF-003"),
            Family.ELEVE: ("AAF-XREF-004",),
            Family.PERS_EDUC: (),
        }[family]
        if family is Family.ETAB:
            self._check_structures = False
        elif family is Family.MEF:
            self._check_mefs = False
        elif family is Family.MATIERE:
            self._check_subjects = False
        elif family is Family.PERS_REL:
            self._check_relatives = False
        elif family is Family.ELEVE:
            self._pupils_known = False
        self.complete = self.complete - {family}
        reason = f"{file} n'a pas pu être lu jusqu'au bout : références vers {family} non vérifiées"
        return [Skipped(rule, reason) for rule in rules]

    def skipped(self, present: Iterable[Family]) -> list[Skipped]:
        """The cross-file checks this set of files does not allow, with the reason."""
        missing = {f for f in Family if f not in self.complete}

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
        notes = [Skipped(rule, absent(family)) for rule, family in needs if family in missing]
        notes.extend(
            Skipped("AAF-DELTA-001", f"{absent(family)} : Delta {family} non vérifié")
            for family in sorted(set(present) & missing, key=list(Family).index)
        )
        return notes

    def apply(self, facts: Facts, emit: CrossEmit, location: int) -> None:
        """Index what ``facts`` defines and check what it references.

        ``location`` packs the file index and line of the request, for findings reported
        only at the end.
        """
        family, op, key = facts.family, facts.op, facts.key
        person = _PERSON_CODES.get(family)
        compacted = compact(key) if person is not None and key else key
        if op is Op.ADD:
            self._define(facts, person, compacted, emit)
        elif family in self.complete and not self._known(family, person, compacted):
            emit("AAF-DELTA-001", facts, op=op.label, key=key, family=family.value)
        references = facts.references
        if not references:
            return
        if family is Family.ETAB:
            self._declare(key, references)
            return
        seen: set[tuple[int, str]] = set()
        rank = 0
        for part, target, attribute, line in references:
            reference = (part, target)
            if reference in seen:
                continue
            seen.add(reference)
            if part == Part.STRUCT:
                if self._check_structures and target not in self.structures:
                    emit("AAF-XREF-001", facts, attribute=attribute, line=line, target=target)
            elif part == Part.CLASS or part == Part.GROUP:
                self._class(facts, part, target, attribute, line, emit)
            elif part == Part.SUBJECT:
                if self._check_subjects and target not in self.subjects:
                    emit("AAF-XREF-006", facts, attribute=attribute, line=line, target=target)
            elif part == Part.MEF:
                if self._check_mefs and target not in self.mefs:
                    emit("AAF-XREF-007", facts, attribute=attribute, line=line, target=target)
            elif part == Part.RELATIVE:
                if self._check_relatives:
                    self._relative(facts, compacted, target, attribute, line, emit)
            elif part == Part.PUPIL and op is Op.ADD:
                self.pending[_pair(compacted, target)] = location << 8 | rank
                rank += rank < 255
                code = self.persons.get(compacted)
                if code is not None:
                    self.persons[compacted] = code | _LISTS_PUPILS

    def _known(self, family: Family, person: int | None, key: Key) -> bool:
        if person is not None:
            code = self.persons.get(key)
            return code is not None and code & _CODE_MASK == person
        return key in self._keys(family)

    def _keys(self, family: Family) -> set[str]:
        if family is Family.ETAB:
            return self.structures
        return self.mefs if family is Family.MEF else self.subjects

    def _define(self, facts: Facts, person: int | None, compacted: Key, emit: CrossEmit) -> None:
        key = facts.key
        if not key:
            return
        if person is not None:
            previous = self.persons.get(compacted)
            if previous is not None:
                other = _PERSON_FAMILIES[previous & _CODE_MASK]
                detail = "" if other is facts.family else f" par un enregistrement {other}"
                emit("AAF-KEY-001", facts, key=key, detail=detail)
                return
            self.persons.add(compacted, person)
            return
        keys = self._keys(facts.family)
        if key in keys:
            emit("AAF-KEY-001", facts, key=key, detail="")
            return
        keys.add(key)

    def _declare(self, structure: str, references: list[Reference]) -> None:
        for part, target, _, _ in references:
            if part == Part.CLASS:
                self.classes.setdefault(structure, set()).add(target)
            elif part == Part.GROUP:
                self.groups.setdefault(structure, set()).add(target)

    def _class(
        self, facts: Facts, part: int, target: str, attribute: str, line: int, emit: CrossEmit
    ) -> None:
        structure, _, code = target.partition("$")
        if not self._check_structures or structure not in self.structures:
            return  # the unknown structure is already reported (AAF-XREF-001)
        declared = (self.classes if part == Part.CLASS else self.groups).get(structure)
        kind = "classe" if part == Part.CLASS else "groupe"
        if declared:
            if code not in declared:
                emit(
                    "AAF-XREF-005",
                    facts,
                    attribute=attribute,
                    line=line,
                    kind=kind,
                    target=code,
                    structure=structure,
                )
            return
        seen = f"{part}${target}"
        if facts.family is Family.ELEVE:
            self.pupil_classes.add(seen)
        elif self._pupils_known and seen not in self.pupil_classes:
            emit(
                "AAF-XREF-005",
                facts,
                attribute=attribute,
                line=line,
                kind=kind,
                target=code,
                structure=f"{structure}, qui ne déclare pas ses {kind}s et où aucun élève n'y est",
            )

    def _relative(
        self, facts: Facts, pupil: Key, target: str, attribute: str, line: int, emit: CrossEmit
    ) -> None:
        relative = compact(target)
        code = self.persons.get(relative)
        if code is None or code & _CODE_MASK != _RELATIVE:
            emit("AAF-XREF-002", facts, attribute=attribute, line=line, target=target)
            return
        if facts.op is not Op.ADD or not code & _LISTS_PUPILS:
            return
        if self.pending.pop(_pair(relative, pupil)) is None:
            emit(
                "AAF-XREF-003",
                facts,
                attribute=attribute,
                line=line,
                target=target,
                back=_BACK_LINKS,
            )

    def relatives_without_pupils(self) -> int:
        """Relatives that name no pupil: their links could not be checked both ways."""
        return sum(1 for code in self.persons.values() if code == _RELATIVE)

    def finish(self, emit_at: DeferredEmit) -> None:
        """Report the relatives' links that no pupil returned."""
        if not self._pupils_known:
            self.pending.clear()
            return
        for pair, order in sorted(self.pending.items(), key=lambda item: item[1]):
            relative, pupil = _unpair(pair)
            location = order >> 8
            code = self.persons.get(compact(pupil))
            if code is None or code & _CODE_MASK != _PUPIL:
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


_PERSON_FAMILIES = (Family.PERS_REL, Family.ELEVE, Family.PERS_EDUC)
_PERSON_CODES = {family: code for code, family in enumerate(_PERSON_FAMILIES)}
_RELATIVE, _PUPIL = _PERSON_CODES[Family.PERS_REL], _PERSON_CODES[Family.ELEVE]
_CODE_MASK = 3
_LISTS_PUPILS = 4  # flag on a relative that names its pupils (ENTAuxPersRelEleveEleve)
_BACK_LINKS = "ENTAuxPersRelEleveEleve"
