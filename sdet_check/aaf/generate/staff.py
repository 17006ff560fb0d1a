"""The staff of each structure: teachers of every subject taught and the other functions."""

from __future__ import annotations

import random
from collections.abc import Callable

from sdet_check.aaf import names
from sdet_check.aaf.families import Family
from sdet_check.aaf.generate.draws import Draws, ascii_text
from sdet_check.aaf.generate.files import Output
from sdet_check.aaf.generate.record import Record
from sdet_check.aaf.generate.structures import Structure
from sdet_check.aaf.generate.versions import teacher_mef
from sdet_check.aaf.model import Op


class Staff:
    """Builds and writes the staff records; keeps the staff member the Delta changes."""

    def __init__(self, draws: Draws, output: Output):
        self.draws = draws
        self.output = output
        self.next_staff = 8_000_000
        self.delta_staff: list[str] = []
        """Key of the first staff member written without a defect (the Delta changes it)."""
        self.last_structure: Structure | None = None

    def plan(self, s: Structure) -> list[Record]:
        """Teachers for every subject taught, and the other staff of the structure."""
        rng = self.draws.rng
        subjects_classes: dict[str, list[str]] = {}
        for code, (_, _, subjects) in s.classes.items():
            for subject in subjects:
                subjects_classes.setdefault(subject, []).append(code)
        staff: list[Record] = []
        for subject, classes in subjects_classes.items():
            teachers = max(1, round(len(classes) / 5))
            for t in range(teachers):
                mine = classes[t::teachers]
                staff.append(self._teacher(s, subject, mine, rng))
        staff.extend(self._other_staff(s, function) for function in names.STAFF_FUNCTIONS)
        return staff

    def write(self, s: Structure, staff: list[Record], *, first_structure: bool) -> None:
        """Write the staff; teachers after the first carry the staff defects, one each."""
        take = self.output.ledger.take
        defects = staff_defects(s)
        for position, record in enumerate(staff):
            teacher = record.get("ENTPersonCategorieEnseignant") == ["O"]
            if teacher and position > 0:
                for rule_id, apply in defects:
                    if take(rule_id):
                        record.note = (rule_id, apply(record))
                        break
            self.output.write(record)
            if not self.delta_staff and first_structure and record.note is None:
                self.delta_staff.append(record.key)
        self.last_structure = s

    def encoding_defect_record(self) -> Record:
        """A staff member whose name carries bytes invalid in UTF-8 (AAF-ENC-001)."""
        s = self.last_structure
        assert s is not None
        key, identity = self._identity(s)
        record = Record(Op.ADD, Family.PERS_EDUC, key, identity)
        record.set("sn", ["ENCODAGE"])
        record.set("ENTPersonFonctions", [f"{s.key}$ADF$ADMINISTRATION$A0010$GESTIONNAIRE"])
        return record

    def _identity(self, s: Structure) -> tuple[str, list[tuple[str, list[str]]]]:
        draws = self.draws
        key = str(self.next_staff)
        self.next_staff += 1
        surname, first, title = draws.person()
        mail = (
            f"{ascii_text(first)}.{ascii_text(surname)}".lower().replace(" ", "-").replace("'", "")
        )
        town_academy = s.town[2].lower()
        return key, [
            ("ENTPersonJointure", [key]),
            ("ENTPersonDateNaissance", [draws.birth(draws.rng.randint(1962, 1998))]),
            ("ENTPersonNomPatro", [surname]),
            ("sn", [surname]),
            ("givenName", [first]),
            ("ENTPersonAutresPrenoms", [""]),
            ("personalTitle", [title]),
            ("mail", [f"{mail}@ac-{town_academy}.fr"]),
            ("ENTPersonStructRattach", [s.key]),
        ]

    def _teacher(
        self, s: Structure, subject: str, classes: list[str], rng: random.Random
    ) -> Record:
        key, identity = self._identity(s)
        discipline, label = names.DISCIPLINES.get(subject, ("L9999", "AUTRE"))
        mefs = sorted({s.classes[c][1] for c in classes})
        version = self.output.options.format_version
        groups = [g for g, (gs, gclasses) in s.groups.items()
                  if gs == subject and set(gclasses) & set(classes)]  # fmt: skip
        main = [c for c in classes if rng.random() < 0.2][:1]
        return Record(
            Op.ADD, Family.PERS_EDUC, key,
            [*identity,
             ("ENTAuxEnsCategoDiscipline", [f"{discipline}${label}"]),
             ("ENTAuxEnsMEF", [teacher_mef(version, s.key, m) for m in mefs]),
             ("ENTAuxEnsMatiereEnseignEtab", [f"{s.key}${subject}"]),
             ("ENTAuxEnsClasses", [f"{s.key}${c}" for c in classes]),
             ("ENTAuxEnsGroupes", [f"{s.key}${g}" for g in groups] or [""]),
             ("ENTAuxEnsClassesMatieres", [f"{s.key}${c}${subject}" for c in classes]),
             ("ENTAuxEnsGroupesMatieres", [f"{s.key}${g}${subject}" for g in groups] or [""]),
             ("ENTAuxEnsClassesPrincipal", [f"{s.key}${c}" for c in main] or [""]),
             ("ENTPersonFonctions", [f"{s.key}$ENS$ENSEIGNEMENT${discipline}${label}"]),
             ("ENTPersonCategorieEnseignant", ["O"]),
             ("PersEducNatPresenceDevantEleves", ["O"])],
        )  # fmt: skip

    def _other_staff(self, s: Structure, function: tuple[str, str, str, str]) -> Record:
        key, identity = self._identity(s)
        code, label, position, position_label = function
        return Record(
            Op.ADD, Family.PERS_EDUC, key,
            [*identity,
             ("ENTPersonFonctions", [f"{s.key}${code}${label}${position}${position_label}"]),
             ("ENTPersonCategorieEnseignant", ["N"]),
             ("PersEducNatPresenceDevantEleves", ["N"])],
        )  # fmt: skip


def staff_defects(s: Structure) -> tuple[tuple[str, Callable[[Record], str]], ...]:
    """The staff defects, in injection order: rule id and how it spoils a teacher's record."""

    def no_given_name(r: Record) -> str:
        r.remove("givenName")
        return "givenName retiré"

    def two_names(r: Record) -> str:
        r.set("sn", [*r.get("sn"), "AUTRE"])
        return "sn à deux valeurs"

    def other_key(r: Record) -> str:
        r.set("ENTPersonJointure", [str(int(r.key) + 500_000)])
        return "ENTPersonJointure différent de identifier/id"

    def no_function(r: Record) -> str:
        r.remove("ENTPersonFonctions")
        return "ENTPersonFonctions retiré"

    def unknown_function(r: Record) -> str:
        r.set(
            "ENTPersonFonctions",
            [*r.get("ENTPersonFonctions"), f"{s.key}$ZZZ$AUTRE$Z0000$AUTRE"],
        )
        return "code de fonction ZZZ"

    def unknown_structure(r: Record) -> str:
        r.set("ENTPersonStructRattach", ["99999"])
        return "structure 99999 absente"

    def unknown_subject(r: Record) -> str:
        first = r.get("ENTAuxEnsClassesMatieres")[0]
        r.set(
            "ENTAuxEnsClassesMatieres",
            [*r.get("ENTAuxEnsClassesMatieres"), first.rsplit("$", 1)[0] + "$999999"],
        )
        return "matière 999999 absente"

    return (
        ("AAF-ATTR-002", no_given_name),
        ("AAF-ATTR-003", two_names),
        ("AAF-KEY-002", other_key),
        ("AAF-PROF-001", no_function),
        ("AAF-PROF-002", unknown_function),
        ("AAF-XREF-001", unknown_structure),
        ("AAF-XREF-006", unknown_subject),
    )
