"""The structures of a set: a collège or lycée, its UAI, classes and groups, and its record."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from stdnum import luhn

from sdet_check.aaf import names
from sdet_check.aaf.families import Family
from sdet_check.aaf.generate.draws import Draws
from sdet_check.aaf.generate.files import Output
from sdet_check.aaf.generate.record import Record
from sdet_check.aaf.model import Op
from sdet_check.aaf.nomenclature import uai_letter


@dataclass
class Structure:
    """A structure: join key, UAI, kind (``college``/``lycee``), town, name, classes, groups.

    ``classes`` maps a class code to its level, MEF and subjects; ``groups`` a group code to
    its subject and classes.
    """

    key: str
    uai: str
    kind: str
    town: tuple[str, str, str, str]
    name: str
    classes: dict[str, tuple[str, str, tuple[str, ...]]] = field(default_factory=dict)
    groups: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)


def plan_structure(rng: random.Random, index: int, target: int) -> Structure:
    """The ``index``-th structure, with enough classes for about ``target`` pupils."""
    kind = "college" if index % 3 != 2 else "lycee"
    town = rng.choice(names.TOWNS)
    key = str(10_000 + index * 7 + rng.randint(0, 6))
    department = town[1][:2]
    digits = f"{int(department):03d}{(index * 37 + rng.randint(0, 36)) % 10_000:04d}"
    uai = digits + uai_letter(digits)
    school = rng.choice(names.SCHOOL_NAMES)
    structure = Structure(key, uai, kind, town, school)
    levels = names.LEVELS[kind]
    per_class = 25
    classes_per_level = max(1, round(target / (len(levels) * per_class)))
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for prefix, mef, _label, subjects in levels:
        for n in range(classes_per_level):
            code = f"{prefix}{letters[n % 26]}{n // 26 or ''}"
            structure.classes[code] = (prefix, mef, subjects)
        codes = [c for c in structure.classes if structure.classes[c][0] == prefix]
        structure.groups[f"{prefix}LAT"] = ("021500", tuple(codes))
        structure.groups[f"{prefix}ESP"] = ("030602", tuple(codes))
    return structure


def write_structure(s: Structure, draws: Draws, output: Output) -> None:
    """Write the structure's record, with its defects (UAI key, bassin, SIRET) if wanted."""
    rng = draws.rng
    take = output.ledger.take
    abbreviation, type_label, type_code = names.STRUCTURE_TYPES[s.kind]
    town, postcode, academy, academy_code = s.town
    record = Record(
        Op.ADD, Family.ETAB, s.key,
        [("ENTStructureJointure", [s.key]), ("ENTStructureUAI", [s.uai]),
         ("ENTEtablissementUAI", [s.uai]),
         ("ENTStructureSIREN", [_siret(s.uai, rng.randint(10000, 99999))]),
         ("ENTStructureNomCourant", [f"{abbreviation}${abbreviation} {s.name}${town}"]),
         ("ENTStructureTypeStruct", [type_label]),
         ("ENTStructureCodeTypeStruct", [type_code]),
         ("ENTEtablissementMinistereTutelle", ["MINISTERE DE L'EDUCATION NATIONALE"]),
         ("ENTEtablissementCodeMinistereTutelle", ["06"]),
         ("ENTEtablissementContrat", ["PU"]), ("postOfficeBox", [""]),
         ("street", [f"{rng.randint(1, 120)} {rng.choice(names.STREETS)}"]),
         ("postalCode", [postcode]), ("l", [town]),
         ("telephoneNumber", [draws.phone("0" + str(rng.randint(1, 5)))]),
         ("facsimileTelephoneNumber", [draws.phone("0" + str(rng.randint(1, 5)))]),
         ("ENTStructureMailSI", [f"ce.{s.uai.lower()}@ac-{academy.lower()}.fr"]),
         ("ENTEtablissementStructRattachFctl", [""]),
         ("ENTEtablissementBassin", [f"{postcode[:2]}{rng.randint(100, 999)}$BASSIN "
                                     f"{town}"]),
         ("ENTServAcAcademie", [academy]), ("ENTServAcCodeAcademie", [f"0{academy_code}"]),
         ("ENTStructureClasses", list(s.classes)),
         ("ENTStructureGroupes", [f"{code}$0${'$'.join(classes)}"
                                  for code, (_, classes) in s.groups.items()])],
    )  # fmt: skip
    if take("AAF-UAI-001"):
        wrong = s.uai[:7] + next(c for c in "ABCDEFGHJK" if c != s.uai[7])
        record.set("ENTStructureUAI", [wrong])
        record.note = ("AAF-UAI-001", f"lettre clé fausse ({wrong})")
    elif take("AAF-COMP-001"):
        record.set("ENTEtablissementBassin", [f"{postcode[:2]}123"])
        record.note = ("AAF-COMP-001", "ENTEtablissementBassin sans libellé")
    wrong_siret = take("AAF-DOM-001")
    if wrong_siret:
        siret = record.get("ENTStructureSIREN")[0]
        record.set("ENTStructureSIREN", [siret[:-1] + str((int(siret[-1]) + 1) % 10)])
    file = output.write(record)
    if wrong_siret:
        output.ledger.record("AAF-DOM-001", file, s.key, "SIRET au chiffre de contrôle faux")


def _siret(uai: str, draw: int) -> str:
    """A SIRET with valid check digits (SIREN then establishment number), from a UAI."""
    siren = f"19{uai[:6]}"
    siren += str(luhn.calc_check_digit(siren))
    nic = f"{siren}{draw % 10000:04d}"
    return nic + str(luhn.calc_check_digit(nic))
