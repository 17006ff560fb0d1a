"""Pupils and their relatives, family by family: siblings share relatives, linked both ways."""

from __future__ import annotations

from collections.abc import Callable

from sdet_check.aaf import names
from sdet_check.aaf.families import Family
from sdet_check.aaf.generate.draws import Draws, ascii_text
from sdet_check.aaf.generate.files import Output
from sdet_check.aaf.generate.record import Record
from sdet_check.aaf.generate.structures import Structure
from sdet_check.aaf.model import Op

AGE_AT_LEVEL = {"6": 11, "5": 12, "4": 13, "3": 14, "2": 15, "1": 16, "T": 17}
"""A pupil's age at the start of the school year, by level."""

LEVEL_LABEL = {
    "6": "6EME",
    "5": "5EME",
    "4": "4EME",
    "3": "3EME",
    "2": "2NDE GENERALE ET TECHNO",
    "1": "1ERE GENERALE",
    "T": "TERMINALE GENERALE",
}
"""The label of a level, as pupils' MEF, formation and filière."""


class Families:
    """Writes the pupils and relatives of each structure; keeps the pupils the Delta changes."""

    def __init__(self, draws: Draws, output: Output):
        self.draws = draws
        self.rng = draws.rng
        self.output = output
        self.next_pupil = 2_000_000
        self.next_relative = 5_000_000
        self.delta_pupils: list[tuple[str, str, str]] = []
        """Key, structure and class of the first pupils written (the Delta changes them)."""

    def write(self, s: Structure, target: int, *, first_structure: bool) -> int:
        """Write pupils and their relatives, family by family; return the number of pupils."""
        rng = self.rng
        take = self.output.ledger.take
        classes = list(s.classes)
        written = 0
        first_family = True
        while written < target:
            children = 2 if first_family else rng.choices((1, 2, 3), (70, 24, 6))[0]
            children = min(children, max(1, target - written)) if not first_family else children
            surname = rng.choice(names.SURNAMES)
            pupils = [
                (str(self.next_pupil + i), rng.choice(classes), rng.random() < 0.5)
                for i in range(children)
            ]
            self.next_pupil += children
            parents = 1 if rng.random() < 0.15 else 2
            relatives = [str(self.next_relative + i) for i in range(parents)]
            self.next_relative += parents
            contact = None
            if rng.random() < 0.1:
                contact = str(self.next_relative)
                self.next_relative += 1
            links: dict[str, list[str]] = {r: [p[0] for p in pupils] for r in relatives}
            if contact:
                links[contact] = [p[0] for p in pupils]
            xref3 = first_family and len(pupils) > 1 and take("AAF-XREF-003")
            if xref3:
                links[relatives[0]] = [pupils[0][0]]
            for index, relative in enumerate([*relatives, *([contact] if contact else [])]):
                self._write_relative(s, relative, surname, index, links[relative])
            for pupil, class_code, girl in pupils:
                self._write_pupil(s, pupil, surname, class_code, girl, relatives, contact)
                if first_structure and len(self.delta_pupils) < 3:
                    self.delta_pupils.append((pupil, s.key, class_code))
                if xref3 and pupil == pupils[1][0]:
                    self.output.ledger.record(
                        "AAF-XREF-003",
                        self.output.writer(Family.ELEVE).current,
                        pupil,
                        f"le responsable {relatives[0]} ne cite pas l'élève",
                    )
            written += children
            first_family = False
        return written

    def _write_relative(
        self, s: Structure, key: str, surname: str, index: int, pupils: list[str]
    ) -> None:
        rng = self.rng
        draws = self.draws
        take = self.output.ledger.take
        _, first, title = draws.person(girl=index == 0)
        name = surname if index < 2 and rng.random() < 0.8 else rng.choice(names.SURNAMES)
        mail_name = f"{first}.{name}".lower().replace(" ", "-").replace("'", "")
        record = Record(
            Op.ADD, Family.PERS_REL, key,
            [("ENTPersonJointure", [key]), ("ENTPersonDateNaissance", [draws.birth(
                rng.randint(1968, 1992))]),
             ("ENTPersonNomPatro", [name]), ("sn", [name]), ("givenName", [first]),
             ("ENTPersonAutresPrenoms", [""]), ("personalTitle", [title]),
             ("homePhone", [draws.phone("0" + str(rng.randint(1, 5)))]),
             ("telephoneNumber", [""]),
             *draws.address(s),
             ("ENTPersonAdresseDiffusion", [rng.choice(("O", "N"))]),
             ("mobile", [draws.phone("06")]), ("ENTPersonMobileSMS", [draws.phone("07")]),
             ("mail", [f"{ascii_text(mail_name)}@exemple.fr"]),
             ("ENTAuxPersRelEleveEleve", pupils)],
        )  # fmt: skip
        if take("AAF-ATTR-001"):
            record.attributes.append(("ENTPersonSurnom", ["Jojo"]))
            record.note = ("AAF-ATTR-001", "attribut ENTPersonSurnom")
        elif take("AAF-XREF-004"):
            record.set("ENTAuxPersRelEleveEleve", [*pupils, "1999999"])
            record.note = ("AAF-XREF-004", "cite l'élève 1999999, absent")
        self.output.write(record)

    def _write_pupil(
        self,
        s: Structure,
        key: str,
        surname: str,
        class_code: str,
        girl: bool,
        relatives: list[str],
        contact: str | None,
    ) -> None:
        rng = self.rng
        draws = self.draws
        level, mef, subjects = s.classes[class_code]
        _, first, title = draws.person(girl)
        export_date = self.output.options.export_date
        year = export_date.year - AGE_AT_LEVEL[level]
        labels = dict(names.SUBJECTS)
        groups = [g for g, (_, classes) in s.groups.items() if class_code in classes]
        chosen_groups = [g for g in groups if rng.random() < 0.3]
        relation_values = [
            f"{r}${names.RELATIONSHIPS[i % 2]}${1 if i == 0 else 0}$1$1${1 if i == 0 else 0}"
            for i, r in enumerate(relatives)
        ]
        if contact:
            relation_values.append(f"{contact}${names.RELATIONSHIPS[2]}$0$0$1$0")
        start = export_date.replace(day=2).strftime("%d/%m/%Y")
        record = Record(
            Op.ADD, Family.ELEVE, key,
            [("ENTPersonJointure", [key]),
             ("ENTEleveINE", [f"{rng.randint(0, 10**10 - 1):010d}{rng.choice('ABCDEFGHJK')}"]),
             ("ENTEleveStructRattachId", [str(rng.randint(100000, 999999))]),
             ("ENTPersonDateNaissance", [draws.birth(year)]),
             ("ENTPersonNomPatro", [surname]), ("sn", [surname]), ("givenName", [first]),
             ("ENTPersonAutresPrenoms", [rng.choice(names.GIRLS if girl else names.BOYS)]),
             ("personalTitle", [title]),
             ("ENTElevePersRelEleve", relation_values),
             ("ENTEleveBoursier", [rng.choice("ON")]),
             ("ENTEleveRegime", [rng.choice(("EXTERNE LIBRE", "DEMI-PENSIONNAIRE DANS L'ETAB."))]),
             ("ENTEleveTransport", [rng.choice("ON")]),
             *draws.address(s),
             ("ENTEleveAdresseRel", [relatives[0]]),
             ("ENTEleveStatutEleve", ["SCOLAIRE"]),
             ("ENTEleveMEF", [mef]), ("ENTEleveLibelleMEF", [LEVEL_LABEL[level]]),
             ("ENTEleveNivFormation", [LEVEL_LABEL[level]]),
             ("ENTEleveFiliere", [LEVEL_LABEL[level]]),
             ("ENTEleveEnseignements", [labels[c] for c in subjects]),
             ("ENTEleveCodeEnseignements", list(subjects)),
             ("ENTPersonStructRattach", [s.key]),
             ("ENTEleveDateEntreeClasses", [f"{s.key}${start}${class_code}"]),
             ("ENTEleveDateSortieClasses", [""]),
             ("ENTEleveClasses", [f"{s.key}${class_code}"]),
             ("ENTEleveGroupes", [f"{s.key}${g}" for g in chosen_groups] or [""])],
        )  # fmt: skip
        record.note = pupil_defect(record, s, self.output.ledger.take)
        self.output.write(record)


def pupil_defect(
    record: Record, s: Structure, take: Callable[[str], bool]
) -> tuple[str, str] | None:
    """Spoil ``record`` with the first pupil defect still to inject; return its note, if any."""
    if take("AAF-DATE-001"):
        record.set("ENTPersonDateNaissance", ["31/02/2012"])
        return "AAF-DATE-001", "date de naissance 31/02/2012"
    if take("AAF-VAL-001"):
        record.set("ENTEleveBoursier", ["X"])
        return "AAF-VAL-001", "ENTEleveBoursier X"
    if take("AAF-INE-001"):
        record.set("ENTEleveINE", ["12345"])
        return "AAF-INE-001", "INE de 5 caractères"
    if take("AAF-DOM-002"):
        record.set("ENTPersonCodePostal", ["7501"])
        return "AAF-DOM-002", "code postal de 4 chiffres"
    if take("AAF-ATTR-004"):
        record.attributes.append(("ENTElevePere", [record.get("ENTEleveAdresseRel")[0]]))
        return "AAF-ATTR-004", "attribut obsolète ENTElevePere"
    if take("AAF-XREF-002"):
        record.set(
            "ENTElevePersRelEleve", [*record.get("ENTElevePersRelEleve"), "4999999$39$0$0$1$0"]
        )
        return "AAF-XREF-002", "responsable 4999999 absent"
    if take("AAF-XREF-005"):
        record.set("ENTEleveClasses", [f"{s.key}$ZZ9"])
        return "AAF-XREF-005", "classe ZZ9 non déclarée"
    if take("AAF-XREF-007"):
        record.set("ENTEleveMEF", ["99999999999"])
        return "AAF-XREF-007", "MEF 99999999999 absent"
    return None
