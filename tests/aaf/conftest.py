"""Small hand-built AAF sets: a consistent base, and helpers to break it one rule at a time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sdet_check.aaf import Finding, validate
from sdet_check.aaf.families import Family
from sdet_check.aaf.generate import ENCODINGS, Record
from sdet_check.aaf.model import Op
from sdet_check.aaf.validate import ValidationResult

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures"
ENTCORE = SHARED / "aaf" / "entcore"

needs_shared = pytest.mark.skipif(
    not ENTCORE.is_dir(),
    reason=f"données publiques absentes : {ENTCORE} (dépôt partagé ../shared non monté)",
)

PREFIX = "ENT-TEST"
DAY = "20240916"
HEADER = (
    '<!-- versionAF="AAF-VE2407" -->\n'
    '<!-- versionSDET="Annexe 4bis version 6.4" -->\n'
    '<!-- degre="2D" -->\n'
)


def add(family: Family, key: str, *attributes: tuple[str, list[str]]) -> Record:
    return Record(Op.ADD, family, key, list(attributes))


def base_records() -> dict[Family, list[Record]]:
    """One structure, one MEF, one subject, a relative, a pupil and a teacher, all consistent."""
    return {
        Family.ETAB: [
            add(Family.ETAB, "100",
                ("ENTStructureJointure", ["100"]), ("ENTStructureUAI", ["0750654D"]),
                ("ENTEtablissementUAI", ["0750654D"]),
                ("ENTStructureNomCourant", ["CLG$CLG VICTOR HUGO$PARIS"]),
                ("ENTEtablissementBassin", ["75001$PARIS CENTRE"]),
                ("ENTStructureClasses", ["6A", "6B"]),
                ("ENTStructureGroupes", ["6LAT$0$6A$6B"])),
        ],
        Family.MEF: [
            add(Family.MEF, "10010012110",
                ("ENTMefJointure", ["10010012110"]), ("ENTLibelleMef", ["6EME"])),
        ],
        Family.MATIERE: [
            add(Family.MATIERE, "020700",
                ("ENTMatJointure", ["020700"]), ("ENTLibelleMatiere", ["FRANCAIS"])),
        ],
        Family.PERS_REL: [
            add(Family.PERS_REL, "300",
                ("ENTPersonJointure", ["300"]), ("sn", ["LEFÈVRE"]), ("givenName", ["Hélène"]),
                ("personalTitle", ["Mme"]), ("ENTPersonDateNaissance", ["14/07/1980"]),
                ("ENTPersonAdresseDiffusion", ["N"]), ("ENTAuxPersRelEleveEleve", ["200"])),
        ],
        Family.ELEVE: [
            add(Family.ELEVE, "200",
                ("ENTPersonJointure", ["200"]), ("sn", ["LEFÈVRE"]), ("givenName", ["Zoé"]),
                ("personalTitle", ["Mme"]), ("ENTPersonDateNaissance", ["29/02/2012"]),
                ("ENTEleveINE", ["1234567890A"]), ("ENTPersonStructRattach", ["100"]),
                ("ENTElevePersRelEleve", ["300$10$1$1$1$1"]), ("ENTEleveMEF", ["10010012110"]),
                ("ENTEleveClasses", ["100$6A"]), ("ENTEleveGroupes", ["100$6LAT"]),
                ("ENTEleveCodeEnseignements", ["020700"]), ("ENTEleveBoursier", ["N"]),
                ("ENTEleveDateEntreeClasses", ["100$02/09/2024$6A"])),
        ],
        Family.PERS_EDUC: [
            add(Family.PERS_EDUC, "400",
                ("ENTPersonJointure", ["400"]), ("sn", ["MOREAU"]), ("givenName", ["Loïc"]),
                ("personalTitle", ["M."]), ("ENTPersonStructRattach", ["100"]),
                ("ENTPersonFonctions", ["100$ENS$ENSEIGNEMENT$L0202$LETTRES MODERNES"]),
                ("ENTAuxEnsClassesMatieres", ["100$6A$020700"]),
                ("ENTAuxEnsGroupesMatieres", ["100$6LAT$020700"]),
                ("ENTAuxEnsMEF", ["100$10010012110"]),
                ("PersEducNatPresenceDevantEleves", ["O"])),
        ],
    }  # fmt: skip


def file_name(family: Family, kind: str = "Complet", chunk: int = 0, day: str = DAY) -> str:
    return f"{PREFIX}_{kind}_{day}_{family}_{chunk:04d}.xml"


def write_file(
    path: Path,
    records: Iterable[Record],
    *,
    encoding: str = "UTF-8",
    declaration: bool = True,
    doctype: str | None = '<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">',
    header: str = HEADER,
    tail: str = "",
) -> Path:
    """Write an AAF file; ``tail`` is raw text put before the closing root tag."""
    parts = []
    if declaration:
        parts.append(f'<?xml version="1.0" encoding="{encoding}"?>\n')
    if doctype:
        parts.append(doctype + "\n")
    parts.append("<ficAlimMENESR>\n" + header)
    parts.extend(record.xml() for record in records)
    parts.append(tail + "</ficAlimMENESR>\n")
    path.write_bytes("".join(parts).encode(encoding, errors="strict"))
    return path


@dataclass
class AafSet:
    """A folder of AAF files built from records, one file per family.

    ``options`` gives per-family arguments of :func:`write_file`; ``names`` per-family file
    names; ``deltas`` the records of Delta files of the next day.
    """

    folder: Path
    records: dict[Family, list[Record]] = field(default_factory=base_records)
    deltas: dict[Family, list[Record]] = field(default_factory=dict)
    options: dict[Family, dict[str, Any]] = field(default_factory=dict)
    names: dict[Family, str] = field(default_factory=dict)

    def write(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        for family, records in self.records.items():
            options = {"encoding": ENCODINGS[family], **self.options.get(family, {})}
            name = self.names.get(family, file_name(family))
            write_file(self.folder / name, records, **options)
        for family, records in self.deltas.items():
            write_file(self.folder / file_name(family, "Delta", day="20240917"), records)
        return self.folder

    def path(self, family: Family) -> Path:
        return self.folder / self.names.get(family, file_name(family))

    def record(self, family: Family, key: str | None = None) -> Record:
        records = self.records[family]
        return records[0] if key is None else next(r for r in records if r.key == key)


@pytest.fixture
def aaf_set(tmp_path: Path) -> AafSet:
    return AafSet(tmp_path / "aaf")


def run(
    path: Path, *, jobs: int = 1, show_values: bool = False, dtd: Path | None = None
) -> tuple[ValidationResult, list[Finding]]:
    findings: list[Finding] = []
    result = validate(path, dtd=dtd, show_values=show_values, jobs=jobs, on_finding=findings.append)
    return result, findings


def rules_of(findings: Iterable[Finding]) -> list[str]:
    return sorted(f.rule for f in findings)
