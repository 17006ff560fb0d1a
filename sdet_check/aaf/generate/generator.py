"""Generate realistic AAF sets, optionally with one injected defect per rule.

A set holds N structures (collèges and lycées with valid UAIs), their classes and groups,
pupils in families (siblings share their relatives, linked both ways), teachers and other
staff with function codes, the MEF and subject nomenclatures, split into numbered chunk
files like real exports, plus a Delta set of the next day. The same options and seed give
the same bytes. ``manifest.json`` lists the files, the counts and every injected defect
(rule id, file, record) so that a validation can be scored against it.

The generator streams: only one structure's people are in memory at a time.
"""

from __future__ import annotations

import json
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from stdnum import luhn

from sdet_check import __version__
from sdet_check.aaf import names
from sdet_check.aaf.dtd import BUILTIN_DTD, DTD_NAME
from sdet_check.aaf.families import Family
from sdet_check.aaf.generate.options import GenerationOptions
from sdet_check.aaf.generate.record import Record
from sdet_check.aaf.generate.versions import teacher_mef, version_comments
from sdet_check.aaf.model import Kind, Op
from sdet_check.aaf.nomenclature import uai_letter
from sdet_check.errors import InputError
from sdet_check.messages import msg

MANIFEST = "manifest.json"

ENCODINGS = {
    Family.ETAB: "ISO-8859-15",
    Family.MEF: "UTF-8",
    Family.MATIERE: "ISO-8859-15",
    Family.PERS_REL: "ISO-8859-15",
    Family.ELEVE: "UTF-8",
    Family.PERS_EDUC: "UTF-8",
}
"""Both encodings real exports use, so that every set exercises both."""

_BYTES_PER_PUPIL = 4200  # first guess for --size-mb, corrected after the first structure
_MIN_PUPILS = 48
_DEFAULT_PUPILS = 220


def generate(out: Path, options: GenerationOptions, *, overwrite: bool = False) -> dict[str, Any]:
    """Write a set into ``out`` and return its manifest (also written as ``manifest.json``).

    ``out`` must be empty unless ``overwrite``: then the files of an earlier generated set
    (same prefix, manifest, DTD) are removed first; nothing else is touched.
    """
    if out.exists() and not out.is_dir():
        raise InputError(
            out,
            msg("input.aaf_generate.generate.input_error"),
            msg("input.aaf_generate.generate.input_error_3"),
        )
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise InputError(
                out,
                msg("input.aaf_generate.generate.input_error_2"),
                msg("input.aaf_generate.generate.input_error_4"),
            )
        # Only what an earlier run wrote goes: stale chunks would mix with the new set.
        for old in [*out.glob(f"{options.prefix}_*.xml"), out / MANIFEST, out / DTD_NAME]:
            old.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    generator = _Generator(out, options)
    manifest = generator.run()
    (out / DTD_NAME).write_bytes(BUILTIN_DTD.read_bytes())
    (out / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return manifest


@dataclass
class _FileDefects:
    """File-level defects to apply to one writer's files."""

    no_declaration: bool = False
    no_doctype: bool = False
    version: str | None = None
    bad_name: bool = False
    truncated_end: bool = False
    invalid_bytes_end: bool = False


class _ChunkWriter:
    """Writes the requests of one family and kind into numbered chunk files."""

    def __init__(self, gen: _Generator, family: Family, kind: Kind, day: date):
        self.gen = gen
        self.family = family
        self.kind = kind
        self.day = day
        self.encoding = ENCODINGS[family]
        self.defects = _FileDefects()
        self.files: list[dict[str, Any]] = []
        self.stream: Any = None
        self.count = 0

    @property
    def current(self) -> str:
        return str(self.files[-1]["name"])

    def write(self, record: Record) -> str:
        """Write ``record``; return the name of the file it went to."""
        if self.stream is None or self.count >= self.gen.options.chunk_records:
            self._open()
        self._put(record.xml().encode(self.encoding, errors="xmlcharrefreplace"))
        self.count += 1
        self.files[-1]["records"] += 1
        return self.current

    def _put(self, data: bytes) -> None:
        self.stream.write(data)
        self.files[-1]["bytes"] += len(data)
        self.gen.bytes += len(data)

    def _open(self) -> None:
        self._close_file(last=False)
        chunk = len(self.files)
        stamp = self.day.strftime("%Y%m%d")
        name = f"{self.gen.options.prefix}_{self.kind.value}_{stamp}_{self.family}_{chunk:04d}.xml"
        defects = self.defects if chunk == 0 else _FileDefects()
        if defects.bad_name:
            name = name.replace(f"_{stamp}_", f"_{stamp[:4]}_")
        self.files.append(
            {"name": name, "family": self.family.value, "kind": self.kind.value,
             "encoding": self.encoding, "records": 0, "bytes": 0}
        )  # fmt: skip
        self.stream = (self.gen.out / name).open("wb")
        self.count = 0
        head = []
        if not defects.no_declaration:
            head.append(f'<?xml version="1.0" encoding="{self.encoding}"?>')
        if not defects.no_doctype:
            head.append(f'<!DOCTYPE ficAlimMENESR SYSTEM "{DTD_NAME}">')
        head.append("<ficAlimMENESR>")
        head += version_comments(self.gen.options.format_version, defects.version)
        head += [
            f'<!-- codeAcademieExport="{self.gen.academy_code}" -->',
            '<!-- degre="2D" -->',
            f'<!-- dateGenerationExport="{self.day.strftime("%d/%m/%Y")}" -->',
            "",
        ]
        self._put("\n".join(head).encode(self.encoding) + b"\n")
        for rule_id, applied, note in (
            ("AAF-ENC-002", defects.no_declaration, "fichier sans déclaration XML"),
            ("AAF-DTD-002", defects.no_doctype, "fichier sans DOCTYPE"),
            ("AAF-VER-001", defects.version is not None, f"versionAF {defects.version}"),
            ("AAF-NAME-001", defects.bad_name, "date de 4 chiffres dans le nom"),
        ):
            if applied:
                self.gen.defect(rule_id, name, None, note)

    def _close_file(self, *, last: bool) -> None:
        if self.stream is None:
            return
        if last and self.defects.invalid_bytes_end:
            record = self.gen.staff_record_for_encoding_defect()
            text = record.xml().encode(self.encoding)
            self._put(text.replace(b"<value>ENCODAGE</value>", b"<value>ENCOD\xff\xfeAGE</value>"))
            self.gen.defect("AAF-ENC-001", self.current, None, "octets invalides en UTF-8")
        if last and self.defects.truncated_end:
            self._put(b"<addRequest>\n<operationalAttributes>\n")
            self.gen.defect("AAF-XML-001", self.current, None, "requête tronquée en fin de fichier")
        self._put(b"</ficAlimMENESR>\n")
        self.stream.close()
        self.stream = None

    def close(self) -> None:
        self._close_file(last=True)


@dataclass
class _Structure:
    key: str
    uai: str
    kind: str
    town: tuple[str, str, str, str]
    name: str
    classes: dict[str, tuple[str, str, tuple[str, ...]]] = field(default_factory=dict)
    groups: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)


class _Generator:
    """One generation run."""

    def __init__(self, out: Path, options: GenerationOptions):
        self.out = out
        self.options = options
        self.rng = random.Random(options.seed)
        self.bytes = 0
        self.pending = set(options.defects)
        self.defects: list[dict[str, Any]] = []
        self.counts = {family.value: 0 for family in Family}
        self.academy_code = "01"
        self.next_pupil = 2_000_000
        self.next_relative = 5_000_000
        self.next_staff = 8_000_000
        self.writers: dict[tuple[Family, Kind], _ChunkWriter] = {}
        self.delta_pupils: list[tuple[str, str, str]] = []
        self.delta_staff: list[str] = []
        self.last_structure: _Structure | None = None
        self.structures: list[_Structure] = []
        self.bytes_per_pupil: float | None = None

    # -- bookkeeping --------------------------------------------------------------------

    def take(self, rule_id: str) -> bool:
        """True once when ``rule_id`` is to be injected and has not been yet."""
        if rule_id in self.pending:
            self.pending.discard(rule_id)
            return True
        return False

    def defect(self, rule_id: str, file: str, record: str | None, note: str) -> None:
        """Record an injected defect in the manifest."""
        self.defects.append({"rule": rule_id, "file": file, "record": record, "note": note})

    def writer(self, family: Family, kind: Kind = Kind.COMPLET) -> _ChunkWriter:
        key = (family, kind)
        if key not in self.writers:
            day = self.options.export_date + timedelta(days=1 if kind is Kind.DELTA else 0)
            self.writers[key] = _ChunkWriter(self, family, kind, day)
        return self.writers[key]

    def write(self, record: Record, kind: Kind = Kind.COMPLET) -> str:
        """Write ``record``; record its defect, if it carries one; return its file name."""
        if record.op is Op.ADD and kind is Kind.COMPLET:
            self.counts[record.family.value] += 1
        file = self.writer(record.family, kind).write(record)
        if record.note is not None:
            self.defect(record.note[0], file, record.key, record.note[1])
        return file

    # -- the run ------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        options = self.options
        self.academy_code = self.rng.choice(names.TOWNS)[3]
        self._plan_file_defects()
        self._subjects()
        self._mefs()
        structures = options.structures
        for index in range(structures):
            pupils = self._pupil_target(index, structures)
            self._structure(index, pupils)
        if (
            options.delta
            or self.writers.get((Family.PERS_EDUC, Kind.DELTA))
            or ("AAF-DELTA-001" in self.pending)
        ):
            self._delta()
        for writer in self.writers.values():
            writer.close()
        files = [f for w in self.writers.values() for f in w.files]
        return {
            "generator": f"sdet-check {__version__}",
            "seed": options.seed,
            "structures": options.structures,
            "size_mb": options.size_mb,
            "chunk_records": options.chunk_records,
            "delta": options.delta,
            "export_date": options.export_date.isoformat(),
            "files": sorted(files, key=lambda f: str(f["name"])),
            "bytes": self.bytes,
            "counts": self.counts,
            "defects": self.defects,
            "not_injected": sorted(self.pending),
        }

    def _plan_file_defects(self) -> None:
        if self.take("AAF-ENC-002"):
            self.writer(Family.MEF).defects.no_declaration = True
        if self.take("AAF-DTD-002"):
            self.writer(Family.ETAB).defects.no_doctype = True
        if self.take("AAF-VER-001"):
            self.writer(Family.PERS_REL).defects.version = "AAF-VE2413"
        if self.take("AAF-NAME-001"):
            self.writer(Family.MATIERE).defects.bad_name = True
        # Fatal errors go where no other file points: a lost record would hide nothing.
        if self.take("AAF-XML-001"):
            self.writer(Family.PERS_EDUC, Kind.DELTA).defects.truncated_end = True
        if self.take("AAF-ENC-001"):
            self.writer(Family.PERS_EDUC).defects.invalid_bytes_end = True

    # -- nomenclatures ------------------------------------------------------------------

    def _subjects(self) -> None:
        records = [
            Record(Op.ADD, Family.MATIERE, code,
                    [("ENTMatJointure", [code]), ("ENTLibelleMatiere", [label])])
            for code, label in names.SUBJECTS
        ]  # fmt: skip
        if self.take("AAF-OPATTR-001"):
            records[1].category_name = "categorieMatier"
            records[1].note = ("AAF-OPATTR-001", "catégorie « categorieMatier »")
        for record in records:
            self.write(record)
        if self.take("AAF-OP-001"):
            code = names.SUBJECTS[-1][0]
            file = self.writer(Family.MATIERE).write(Record(Op.DELETE, Family.MATIERE, code, []))
            self.defect("AAF-OP-001", file, code, "deleteRequest dans un fichier Complet")

    def _mefs(self) -> None:
        seen: list[Record] = []
        for kind in ("college", "lycee"):
            for _, mef, label, _subjects in names.LEVELS[kind]:
                record = Record(
                    Op.ADD, Family.MEF, mef,
                    [("ENTMefJointure", [mef]), ("ENTLibelleMef", [label]),
                     ("ENTMEFRattach", [mef]), ("ENTMEFSTAT11", [mef[:1] + "1" + mef[1:10]])],
                )  # fmt: skip
                if len(seen) == 1 and self.take("AAF-DTD-001"):
                    record.extra_xml = "<commentaire>MEF de test</commentaire>\n"
                    record.note = ("AAF-DTD-001", "élément <commentaire> dans attributes")
                self.write(record)
                seen.append(record)
        if self.take("AAF-KEY-001"):
            duplicate = seen[0]
            file = self.write(Record(Op.ADD, Family.MEF, duplicate.key, duplicate.attributes))
            self.defect("AAF-KEY-001", file, duplicate.key, "MEF ajouté deux fois")

    # -- structures ---------------------------------------------------------------------

    def _pupil_target(self, index: int, structures: int) -> int:
        rng = self.rng
        factor = rng.uniform(0.7, 1.3)
        size_mb = self.options.size_mb
        if size_mb is None:
            return max(_MIN_PUPILS, int(_DEFAULT_PUPILS * factor))
        remaining_bytes = size_mb * 1_000_000 - self.bytes
        per_pupil = self.bytes_per_pupil or _BYTES_PER_PUPIL
        left = structures - index
        return max(_MIN_PUPILS, int(remaining_bytes / per_pupil / left * factor))

    def _structure(self, index: int, target: int) -> None:
        rng = self.rng
        kind = "college" if index % 3 != 2 else "lycee"
        town = rng.choice(names.TOWNS)
        key = str(10_000 + index * 7 + rng.randint(0, 6))
        department = town[1][:2]
        digits = f"{int(department):03d}{(index * 37 + rng.randint(0, 36)) % 10_000:04d}"
        uai = digits + uai_letter(digits)
        school = rng.choice(names.SCHOOL_NAMES)
        structure = _Structure(key, uai, kind, town, school)
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
        self.structures.append(structure)
        before = self.bytes
        self._write_structure(structure)
        staff = self._staff(structure)
        pupils = self._families(structure, target)
        self._write_staff(structure, staff)
        if self.bytes_per_pupil is None and pupils:
            self.bytes_per_pupil = (self.bytes - before) / pupils
        self.last_structure = structure

    def _write_structure(self, s: _Structure) -> None:
        abbreviation, type_label, type_code = names.STRUCTURE_TYPES[s.kind]
        town, postcode, academy, academy_code = s.town
        record = Record(
            Op.ADD, Family.ETAB, s.key,
            [("ENTStructureJointure", [s.key]), ("ENTStructureUAI", [s.uai]),
             ("ENTEtablissementUAI", [s.uai]),
             ("ENTStructureSIREN", [_siret(s.uai, self.rng.randint(10000, 99999))]),
             ("ENTStructureNomCourant", [f"{abbreviation}${abbreviation} {s.name}${town}"]),
             ("ENTStructureTypeStruct", [type_label]),
             ("ENTStructureCodeTypeStruct", [type_code]),
             ("ENTEtablissementMinistereTutelle", ["MINISTERE DE L'EDUCATION NATIONALE"]),
             ("ENTEtablissementCodeMinistereTutelle", ["06"]),
             ("ENTEtablissementContrat", ["PU"]), ("postOfficeBox", [""]),
             ("street", [f"{self.rng.randint(1, 120)} {self.rng.choice(names.STREETS)}"]),
             ("postalCode", [postcode]), ("l", [town]),
             ("telephoneNumber", [self._phone("0" + str(self.rng.randint(1, 5)))]),
             ("facsimileTelephoneNumber", [self._phone("0" + str(self.rng.randint(1, 5)))]),
             ("ENTStructureMailSI", [f"ce.{s.uai.lower()}@ac-{academy.lower()}.fr"]),
             ("ENTEtablissementStructRattachFctl", [""]),
             ("ENTEtablissementBassin", [f"{postcode[:2]}{self.rng.randint(100, 999)}$BASSIN "
                                         f"{town}"]),
             ("ENTServAcAcademie", [academy]), ("ENTServAcCodeAcademie", [f"0{academy_code}"]),
             ("ENTStructureClasses", list(s.classes)),
             ("ENTStructureGroupes", [f"{code}$0${'$'.join(classes)}"
                                      for code, (_, classes) in s.groups.items()])],
        )  # fmt: skip
        if self.take("AAF-UAI-001"):
            wrong = s.uai[:7] + next(c for c in "ABCDEFGHJK" if c != s.uai[7])
            record.set("ENTStructureUAI", [wrong])
            record.note = ("AAF-UAI-001", f"lettre clé fausse ({wrong})")
        elif self.take("AAF-COMP-001"):
            record.set("ENTEtablissementBassin", [f"{postcode[:2]}123"])
            record.note = ("AAF-COMP-001", "ENTEtablissementBassin sans libellé")
        wrong_siret = self.take("AAF-DOM-001")
        if wrong_siret:
            siret = record.get("ENTStructureSIREN")[0]
            record.set("ENTStructureSIREN", [siret[:-1] + str((int(siret[-1]) + 1) % 10)])
        file = self.write(record)
        if wrong_siret:
            self.defect("AAF-DOM-001", file, s.key, "SIRET au chiffre de contrôle faux")

    # -- people ---------------------------------------------------------------------------

    def _person(self, girl: bool | None = None) -> tuple[str, str, str]:
        rng = self.rng
        if girl is None:
            girl = rng.random() < 0.5
        first = rng.choice(names.GIRLS if girl else names.BOYS)
        return rng.choice(names.SURNAMES), first, "Mme" if girl else "M."

    def _phone(self, prefix: str) -> str:
        return prefix + "".join(str(self.rng.randint(0, 9)) for _ in range(8))

    def _address(self, s: _Structure) -> list[tuple[str, list[str]]]:
        town, postcode, _, _ = s.town
        street = f"{self.rng.randint(1, 150)} {self.rng.choice(names.STREETS).upper()}"
        return [
            ("ENTPersonAdresse", [f"{street}$$$"]),
            ("ENTPersonCodePostal", [postcode]),
            ("ENTPersonVille", [town]),
            ("ENTPersonPays", ["FRANCE"]),
        ]

    def _birth(self, year: int) -> str:
        day = date(year, 1, 1) + timedelta(days=self.rng.randint(0, 364))
        return day.strftime("%d/%m/%Y")

    def _families(self, s: _Structure, target: int) -> int:
        """Write pupils and their relatives, family by family; return the number of pupils."""
        rng = self.rng
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
            xref3 = first_family and len(pupils) > 1 and self.take("AAF-XREF-003")
            if xref3:
                links[relatives[0]] = [pupils[0][0]]
            for index, relative in enumerate([*relatives, *([contact] if contact else [])]):
                self._write_relative(s, relative, surname, index, links[relative])
            for pupil, class_code, girl in pupils:
                self._write_pupil(s, pupil, surname, class_code, girl, relatives, contact)
                if xref3 and pupil == pupils[1][0]:
                    self.defect(
                        "AAF-XREF-003",
                        self.writer(Family.ELEVE).current,
                        pupil,
                        f"le responsable {relatives[0]} ne cite pas l'élève",
                    )
            written += children
            first_family = False
        return written

    def _write_relative(
        self, s: _Structure, key: str, surname: str, index: int, pupils: list[str]
    ) -> None:
        rng = self.rng
        _, first, title = self._person(girl=index == 0)
        name = surname if index < 2 and rng.random() < 0.8 else rng.choice(names.SURNAMES)
        mail_name = f"{first}.{name}".lower().replace(" ", "-").replace("'", "")
        record = Record(
            Op.ADD, Family.PERS_REL, key,
            [("ENTPersonJointure", [key]), ("ENTPersonDateNaissance", [self._birth(
                rng.randint(1968, 1992))]),
             ("ENTPersonNomPatro", [name]), ("sn", [name]), ("givenName", [first]),
             ("ENTPersonAutresPrenoms", [""]), ("personalTitle", [title]),
             ("homePhone", [self._phone("0" + str(rng.randint(1, 5)))]),
             ("telephoneNumber", [""]),
             *self._address(s),
             ("ENTPersonAdresseDiffusion", [rng.choice(("O", "N"))]),
             ("mobile", [self._phone("06")]), ("ENTPersonMobileSMS", [self._phone("07")]),
             ("mail", [f"{_ascii(mail_name)}@exemple.fr"]),
             ("ENTAuxPersRelEleveEleve", pupils)],
        )  # fmt: skip
        if self.take("AAF-ATTR-001"):
            record.attributes.append(("ENTPersonSurnom", ["Jojo"]))
            record.note = ("AAF-ATTR-001", "attribut ENTPersonSurnom")
        elif self.take("AAF-XREF-004"):
            record.set("ENTAuxPersRelEleveEleve", [*pupils, "1999999"])
            record.note = ("AAF-XREF-004", "cite l'élève 1999999, absent")
        self.write(record)

    def _write_pupil(
        self,
        s: _Structure,
        key: str,
        surname: str,
        class_code: str,
        girl: bool,
        relatives: list[str],
        contact: str | None,
    ) -> None:
        rng = self.rng
        level, mef, subjects = s.classes[class_code]
        _, first, title = self._person(girl)
        year = self.options.export_date.year - _AGE_AT_LEVEL[level]
        labels = dict(names.SUBJECTS)
        groups = [g for g, (_, classes) in s.groups.items() if class_code in classes]
        chosen_groups = [g for g in groups if rng.random() < 0.3]
        relation_values = [
            f"{r}${names.RELATIONSHIPS[i % 2]}${1 if i == 0 else 0}$1$1${1 if i == 0 else 0}"
            for i, r in enumerate(relatives)
        ]
        if contact:
            relation_values.append(f"{contact}${names.RELATIONSHIPS[2]}$0$0$1$0")
        start = self.options.export_date.replace(day=2).strftime("%d/%m/%Y")
        record = Record(
            Op.ADD, Family.ELEVE, key,
            [("ENTPersonJointure", [key]),
             ("ENTEleveINE", [f"{rng.randint(0, 10**10 - 1):010d}{rng.choice('ABCDEFGHJK')}"]),
             ("ENTEleveStructRattachId", [str(rng.randint(100000, 999999))]),
             ("ENTPersonDateNaissance", [self._birth(year)]),
             ("ENTPersonNomPatro", [surname]), ("sn", [surname]), ("givenName", [first]),
             ("ENTPersonAutresPrenoms", [rng.choice(names.GIRLS if girl else names.BOYS)]),
             ("personalTitle", [title]),
             ("ENTElevePersRelEleve", relation_values),
             ("ENTEleveBoursier", [rng.choice("ON")]),
             ("ENTEleveRegime", [rng.choice(("EXTERNE LIBRE", "DEMI-PENSIONNAIRE DANS L'ETAB."))]),
             ("ENTEleveTransport", [rng.choice("ON")]),
             *self._address(s),
             ("ENTEleveAdresseRel", [relatives[0]]),
             ("ENTEleveStatutEleve", ["SCOLAIRE"]),
             ("ENTEleveMEF", [mef]), ("ENTEleveLibelleMEF", [_LEVEL_LABEL[level]]),
             ("ENTEleveNivFormation", [_LEVEL_LABEL[level]]),
             ("ENTEleveFiliere", [_LEVEL_LABEL[level]]),
             ("ENTEleveEnseignements", [labels[c] for c in subjects]),
             ("ENTEleveCodeEnseignements", list(subjects)),
             ("ENTPersonStructRattach", [s.key]),
             ("ENTEleveDateEntreeClasses", [f"{s.key}${start}${class_code}"]),
             ("ENTEleveDateSortieClasses", [""]),
             ("ENTEleveClasses", [f"{s.key}${class_code}"]),
             ("ENTEleveGroupes", [f"{s.key}${g}" for g in chosen_groups] or [""])],
        )  # fmt: skip
        record.note = self._pupil_defect(record, s)
        self.write(record)
        if len(self.delta_pupils) < 3 and s is self.structures[0]:
            self.delta_pupils.append((key, s.key, class_code))

    def _pupil_defect(self, record: Record, s: _Structure) -> tuple[str, str] | None:
        if self.take("AAF-DATE-001"):
            record.set("ENTPersonDateNaissance", ["31/02/2012"])
            return "AAF-DATE-001", "date de naissance 31/02/2012"
        if self.take("AAF-VAL-001"):
            record.set("ENTEleveBoursier", ["X"])
            return "AAF-VAL-001", "ENTEleveBoursier X"
        if self.take("AAF-INE-001"):
            record.set("ENTEleveINE", ["12345"])
            return "AAF-INE-001", "INE de 5 caractères"
        if self.take("AAF-DOM-002"):
            record.set("ENTPersonCodePostal", ["7501"])
            return "AAF-DOM-002", "code postal de 4 chiffres"
        if self.take("AAF-ATTR-004"):
            record.attributes.append(("ENTElevePere", [record.get("ENTEleveAdresseRel")[0]]))
            return "AAF-ATTR-004", "attribut obsolète ENTElevePere"
        if self.take("AAF-XREF-002"):
            record.set(
                "ENTElevePersRelEleve", [*record.get("ENTElevePersRelEleve"), "4999999$39$0$0$1$0"]
            )
            return "AAF-XREF-002", "responsable 4999999 absent"
        if self.take("AAF-XREF-005"):
            record.set("ENTEleveClasses", [f"{s.key}$ZZ9"])
            return "AAF-XREF-005", "classe ZZ9 non déclarée"
        if self.take("AAF-XREF-007"):
            record.set("ENTEleveMEF", ["99999999999"])
            return "AAF-XREF-007", "MEF 99999999999 absent"
        return None

    def _staff(self, s: _Structure) -> list[Record]:
        """Teachers for every subject taught, and the other staff of the structure."""
        rng = self.rng
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

    def _staff_identity(self, s: _Structure) -> tuple[str, list[tuple[str, list[str]]]]:
        rng = self.rng
        key = str(self.next_staff)
        self.next_staff += 1
        surname, first, title = self._person()
        mail = f"{_ascii(first)}.{_ascii(surname)}".lower().replace(" ", "-").replace("'", "")
        town_academy = s.town[2].lower()
        return key, [
            ("ENTPersonJointure", [key]),
            ("ENTPersonDateNaissance", [self._birth(rng.randint(1962, 1998))]),
            ("ENTPersonNomPatro", [surname]),
            ("sn", [surname]),
            ("givenName", [first]),
            ("ENTPersonAutresPrenoms", [""]),
            ("personalTitle", [title]),
            ("mail", [f"{mail}@ac-{town_academy}.fr"]),
            ("ENTPersonStructRattach", [s.key]),
        ]

    def _teacher(
        self, s: _Structure, subject: str, classes: list[str], rng: random.Random
    ) -> Record:
        key, identity = self._staff_identity(s)
        discipline, label = names.DISCIPLINES.get(subject, ("L9999", "AUTRE"))
        mefs = sorted({s.classes[c][1] for c in classes})
        groups = [g for g, (gs, gclasses) in s.groups.items()
                  if gs == subject and set(gclasses) & set(classes)]  # fmt: skip
        main = [c for c in classes if rng.random() < 0.2][:1]
        return Record(
            Op.ADD, Family.PERS_EDUC, key,
            [*identity,
             ("ENTAuxEnsCategoDiscipline", [f"{discipline}${label}"]),
             ("ENTAuxEnsMEF", [teacher_mef(self.options.format_version, s.key, m) for m in mefs]),
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

    def _other_staff(self, s: _Structure, function: tuple[str, str, str, str]) -> Record:
        key, identity = self._staff_identity(s)
        code, label, position, position_label = function
        return Record(
            Op.ADD, Family.PERS_EDUC, key,
            [*identity,
             ("ENTPersonFonctions", [f"{s.key}${code}${label}${position}${position_label}"]),
             ("ENTPersonCategorieEnseignant", ["N"]),
             ("PersEducNatPresenceDevantEleves", ["N"])],
        )  # fmt: skip

    def _write_staff(self, s: _Structure, staff: list[Record]) -> None:
        """Write the staff; teachers after the first carry the staff defects, one each."""
        defects = self._staff_defects(s)
        for position, record in enumerate(staff):
            teacher = record.get("ENTPersonCategorieEnseignant") == ["O"]
            if teacher and position > 0:
                for rule_id, apply in defects:
                    if self.take(rule_id):
                        record.note = (rule_id, apply(record))
                        break
            self.write(record)
            if not self.delta_staff and s is self.structures[0] and record.note is None:
                self.delta_staff.append(record.key)

    def _staff_defects(self, s: _Structure) -> tuple[tuple[str, Callable[[Record], str]], ...]:
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

    def staff_record_for_encoding_defect(self) -> Record:
        """A staff member whose name carries bytes invalid in UTF-8 (AAF-ENC-001)."""
        s = self.last_structure
        assert s is not None
        key, identity = self._staff_identity(s)
        record = Record(Op.ADD, Family.PERS_EDUC, key, identity)
        record.set("sn", ["ENCODAGE"])
        record.set("ENTPersonFonctions", [f"{s.key}$ADF$ADMINISTRATION$A0010$GESTIONNAIRE"])
        return record

    # -- delta ----------------------------------------------------------------------------

    def _delta(self) -> None:
        """Next day: two pupils change regime, one leaves, a staff member's mail changes."""
        for key, structure, class_code in self.delta_pupils[:2]:
            record = Record(
                Op.MODIFY, Family.ELEVE, key,
                [("ENTEleveClasses", [f"{structure}${class_code}"]),
                 ("ENTEleveRegime", ["DEMI-PENSIONNAIRE DANS L'ETAB."])],
            )  # fmt: skip
            self.write(record, Kind.DELTA)
        for key, _, _ in self.delta_pupils[2:3]:
            self.write(Record(Op.DELETE, Family.ELEVE, key, []), Kind.DELTA)
        for key in self.delta_staff[:1]:
            record = Record(Op.MODIFY, Family.PERS_EDUC, key, [("mail", [f"{key}@exemple.fr"])])
            self.write(record, Kind.DELTA)
        if self.take("AAF-DELTA-001"):
            record = Record(Op.MODIFY, Family.ELEVE, "1999998", [("ENTEleveRegime", ["INTERNE"])])
            file = self.write(record, Kind.DELTA)
            self.defect("AAF-DELTA-001", file, "1999998", "modification d'un élève inconnu")


_AGE_AT_LEVEL = {"6": 11, "5": 12, "4": 13, "3": 14, "2": 15, "1": 16, "T": 17}
_LEVEL_LABEL = {
    "6": "6EME",
    "5": "5EME",
    "4": "4EME",
    "3": "3EME",
    "2": "2NDE GENERALE ET TECHNO",
    "1": "1ERE GENERALE",
    "T": "TERMINALE GENERALE",
}


def _siret(uai: str, draw: int) -> str:
    """A SIRET with valid check digits (SIREN then establishment number), from a UAI."""
    siren = f"19{uai[:6]}"
    siren += str(luhn.calc_check_digit(siren))
    nic = f"{siren}{draw % 10000:04d}"
    return nic + str(luhn.calc_check_digit(nic))


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("Œ", "OE").replace("œ", "oe"))
    return "".join(c for c in decomposed if c.isascii())
