"""The AAF import scenario: dated AAF sets an ENT imports, and the annuaire each one implies.

An ENT is judged here on how it *consumes* the feed (DIR-AAF-001…016, DIR-FMT-001,
DIR-PROF-001/-002, DIR-FEED-001), not on the feed itself. :func:`build_scenario` returns a
fixed sequence of :class:`Step` values, written as AAF files by :func:`write_scenario` with
the generator's request writer (:class:`sdet_check.aaf.generate.Record`):

1. ``complet-initial`` — a ``Complet`` export: structures split over two numbered files, one
   of them with a UAI whose check letter is wrong; MEF and subject nomenclatures; pupils and
   guardians in ISO-8859-15 (names holding ``Œ``, a letter ISO-8859-1 lacks), staff in UTF-8;
   composite ``$`` values (classes, guardian links with responsibility level and priority
   contact, functions); a pupil born on a date that does not exist; a first-degree file.
2. ``delta`` — a ``Delta``: a pupil changes class (``modifyRequest``), another changes name
   (the join key must stay), a third moves school, a pupil is added, a staff member deleted
   (``deleteRequest``); a file that breaks the DTD (none of its requests may be applied), a
   file declaring an unknown format version, and a file whose name is not an AAF file name
   (not applied, and named in the import's report: the output of the import command).
3. ``complet-suivant`` — a second ``Complet`` where one staff member no longer appears: the
   ENT must take it as the reference state and remove that person.
4. ``nettoyage`` — a ``Delta`` deleting every record of the scenario, so that the annuaire is
   left as it was (no expectation).

Each step carries :class:`Expectation` values: which record (join key) the annuaire must hold
or not after the step, with which values, and the requirement the observation decides. Every
name, date and identifier is invented.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from sdet_check.aaf.dtd import DTD_NAME
from sdet_check.aaf.families import Family
from sdet_check.aaf.generate import Record
from sdet_check.aaf.model import Kind, Op
from sdet_check.messages import catalogue, msg
from sdet_check.sdet_model import make_uai

SCENARIO_MANIFEST = "scenario.json"
"""The description of the steps and their expectations, beside the step folders."""

SUPPORTED_VERSION = "Annexe 4bis version 6.4"
"""The format version the scenario's files declare (``versionSDET``)."""

UNKNOWN_VERSION = "Annexe 4bis version 9.9"
"""A version no ENT knows: the file declaring it must not be applied."""

PREFIX = "ENT2DSCN"
"""Prefix of the second-degree files (the académie export's name)."""

PREFIX_1D = "ENT1DSCN"
"""Prefix of the first-degree file."""

COVERED: dict[str, str] = {
    "DIR-FEED-001": "le jeu complet déposé est importé sans ressaisie : toutes ses structures "
    "et personnes sont dans l'annuaire",
    "DIR-AAF-001": "un fichier qui enfreint la DTD n'est pas appliqué, pas même en partie",
    "DIR-AAF-002": "addRequest, modifyRequest (replace) et deleteRequest d'un Delta appliqués",
    "DIR-AAF-003": "les six familles, dont une découpée en deux fichiers numérotés, traitées",
    "DIR-AAF-004": "la clé de jointure est conservée lors d'un changement de nom",
    "DIR-AAF-005": "l'établissement est identifié par son UAI (ENTStructureUAI)",
    "DIR-AAF-006": "les liens élève–responsable gardent le niveau de responsabilité",
    "DIR-AAF-007": "les coordonnées des responsables et le contact prioritaire sont conservés",
    "DIR-AAF-008": "l'INE de l'élève est conservé",
    "DIR-AAF-009": "un fichier du premier degré (ENTPersonNom, ENTPersonPrenom…) est importé",
    "DIR-AAF-010": "un fichier mal nommé n'est pas appliqué et le compte rendu de l'import "
    "(sortie de la commande d'import) le nomme",
    "DIR-FMT-001": "les valeurs composées « $ » sont décomposées (lien inverse responsable → "
    "élèves construit depuis ENTElevePersRelEleve)",
    "DIR-AAF-011": "les accents d'un fichier ISO-8859-15 (dont « Œ ») et UTF-8 sont intacts",
    "DIR-AAF-012": "une date jj/mm/aaaa est lue, une date inexistante n'est pas enregistrée",
    "DIR-AAF-013": "une structure dont l'UAI porte une lettre clé fausse n'est pas enregistrée "
    "telle quelle",
    "DIR-AAF-014": "une référence entre fichiers est résolue (libellé du MEF de l'élève tiré "
    "du fichier MefEducNat)",
    "DIR-AAF-015": "un Delta ne retire que ce qu'il supprime ; un Complet retire l'absent",
    "DIR-AAF-016": "un fichier « Annexe 4bis version 6.4 » est appliqué, un fichier d'une "
    "version inconnue ne l'est pas",
    "DIR-PROF-001": "chaque compte importé porte un profil national",
    "DIR-PROF-002": "le profil d'un personnel est déduit de son code de fonction",
}
"""The requirements the scenario decides, and what it shows of each (French)."""


@dataclass(frozen=True)
class Expectation:
    """What the annuaire must show of one record after a step, for one requirement.

    ``present``: ``True`` (an entry with this join key exists), ``False`` (none does) or
    ``None`` (either, the values decide). Every value of ``values`` must be among the
    entry's values of that attribute; no value of ``forbidden`` may be; every attribute of
    ``required`` must carry a value. An expectation with ``reported`` (a file name) is judged
    on the import's report instead of the annuaire: the report must name that file.
    """

    requirement: str
    record: str
    family: Family
    what: str
    present: bool | None = True
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    forbidden: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    reported: str | None = None

    @property
    def join_attribute(self) -> str:
        """The directory attribute holding the join key of the record's entry."""
        return "ENTStructureJointure" if self.family is Family.ETAB else "ENTPersonJointure"

    def attributes(self) -> set[str]:
        """Every directory attribute this expectation looks at."""
        return {self.join_attribute, *self.values, *self.forbidden, *self.required}

    def to_json(self) -> dict[str, Any]:
        """Serialise for the scenario manifest."""
        return {
            "requirement": self.requirement,
            "record": self.record,
            "family": self.family.value,
            "what": self.what,
            "present": self.present,
            "values": {name: list(values) for name, values in self.values.items()},
            "forbidden": {name: list(values) for name, values in self.forbidden.items()},
            "required": list(self.required),
            "reported": self.reported,
        }


@dataclass(frozen=True)
class ScenarioFile:
    """One AAF file of a step: its name, encoding, header and requests."""

    name: str
    records: tuple[Record, ...]
    encoding: str = "UTF-8"
    version_sdet: str = SUPPORTED_VERSION
    version_af: str = "AAF-VE2407"
    degree: str = "2D"
    misnamed: bool = False
    """A name that is not an AAF file name: the ENT must leave the file and report it."""

    def content(self, day: date) -> bytes:
        """The file's bytes: declaration, DOCTYPE, header comments, requests."""
        head = [
            f'<?xml version="1.0" encoding="{self.encoding}"?>',
            f'<!DOCTYPE ficAlimMENESR SYSTEM "{DTD_NAME}">',
            "<ficAlimMENESR>",
            f'<!-- versionAF="{self.version_af}" -->',
            f'<!-- versionSDET="{self.version_sdet}" -->',
            f'<!-- degre="{self.degree}" -->',
            f'<!-- dateGenerationExport="{day:%d/%m/%Y}" -->',
        ]
        body = "".join(record.xml() for record in self.records)
        return ("\n".join(head) + "\n" + body + "</ficAlimMENESR>\n").encode(self.encoding)


@dataclass(frozen=True)
class Step:
    """One dated AAF set handed to the ENT, and what the annuaire must show afterwards."""

    name: str
    day: date
    kind: Kind
    files: tuple[ScenarioFile, ...]
    expectations: tuple[Expectation, ...] = ()
    cleanup: bool = False
    """A step that only puts the annuaire back as it was (nothing is judged after it)."""

    def folder_name(self, index: int) -> str:
        """The step's folder in a written scenario (``01-complet-initial``)."""
        return f"{index + 1:02d}-{self.name}"


# --- the population ------------------------------------------------------------------------

_S1, _S2, _S3, _S4 = "9101", "9102", "9103", "9104"
_UAI = {_S1: make_uai(779101), _S3: make_uai(779103), _S4: make_uai(779104)}
_BAD_UAI_DIGITS = "0779102"
_BAD_UAI = _BAD_UAI_DIGITS + ("A" if make_uai(779102)[-1] != "A" else "B")
_MEF_CODE, _MEF_LABEL = "10010012110", "6EME"
_INVALID_DATE = "31/02/2012"


def _structure(key: str, name: str, kind: str, classes: Sequence[str], uai: str) -> Record:
    return Record(
        Op.ADD,
        Family.ETAB,
        key,
        [
            ("ENTStructureJointure", [key]),
            ("ENTStructureUAI", [uai]),
            ("ENTEtablissementUAI", [uai]),
            ("ENTStructureNomCourant", [name]),
            ("ENTStructureTypeStruct", [kind]),
            ("ENTStructureClasses", [f"{code}${code}" for code in classes]),
            ("postalCode", ["77000"]),
            ("l", ["MELUN"]),
        ],
    )


def _pupil(
    key: str,
    sn: str,
    given: str,
    born: str,
    structure: str,
    klass: str,
    links: Sequence[str],
) -> Record:
    return Record(
        Op.ADD,
        Family.ELEVE,
        key,
        [
            ("ENTPersonJointure", [key]),
            ("sn", [sn]),
            ("givenName", [given]),
            ("ENTPersonDateNaissance", [born]),
            ("ENTPersonStructRattach", [structure]),
            ("ENTEleveClasses", [f"{structure}${klass}"]),
            ("ENTElevePersRelEleve", list(links)),
            ("ENTEleveMEF", [_MEF_CODE]),
            ("ENTEleveINE", [f"{key}00000KX"]),
        ],
    )


def _relative(key: str, sn: str, given: str, mail: str) -> Record:
    return Record(
        Op.ADD,
        Family.PERS_REL,
        key,
        [
            ("ENTPersonJointure", [key]),
            ("sn", [sn]),
            ("givenName", [given]),
            ("mail", [mail]),
            ("mobile", ["+33 6 00 00 00 01"]),
            ("ENTPersonMobileSMS", ["+33 6 00 00 00 01"]),
        ],
    )


def _staff(key: str, sn: str, given: str, function: str, teacher: bool) -> Record:
    return Record(
        Op.ADD,
        Family.PERS_EDUC,
        key,
        [
            ("ENTPersonJointure", [key]),
            ("sn", [sn]),
            ("givenName", [given]),
            ("ENTPersonDateNaissance", ["12/05/1980"]),
            ("ENTPersonStructRattach", [_S1]),
            ("ENTPersonFonctions", [f"{_S1}${function}$$"]),
            ("ENTPersonCategorieEnseignant", ["O" if teacher else "N"]),
        ],
    )


_P1_LINKS = ("9301$10$1$1$1$1", "9302$20$0$1$0$0")
_STRUCTURES_A = (
    _structure(_S1, "CLG$COLLEGE DES TILLEULS$MELUN", "CLG", ("6A", "6B", "5A"), _UAI[_S1]),
    _structure(_S2, "CLG$COLLEGE DES ORMES$MELUN", "CLG", ("6A",), _BAD_UAI),
)
_STRUCTURES_B = (
    _structure(_S3, "LYC$LYCEE DES CEDRES$MELUN", "LYC", ("2NDE1", "TG1"), _UAI[_S3]),
    _structure(_S4, "ECOLE ELEMENTAIRE DES SAULES", "ECOLE", ("CP-A",), _UAI[_S4]),
)
_MEF = Record(
    Op.ADD,
    Family.MEF,
    _MEF_CODE,
    [("ENTMefJointure", [_MEF_CODE]), ("ENTLibelleMef", [_MEF_LABEL])],
)
_SUBJECT = Record(
    Op.ADD,
    Family.MATIERE,
    "030201",
    [("ENTMatJointure", ["030201"]), ("ENTLibelleMatiere", ["ANGLAIS LV1"])],
)
_PUPILS = {
    "9201": _pupil("9201", "ŒUVRARD", "Zoé", "14/03/2014", _S1, "6A", _P1_LINKS),
    "9202": _pupil("9202", "MARCHAND", "Théo", "02/11/2013", _S1, "5A", ("9301$10$1$1$1$1",)),
    "9203": _pupil("9203", "LEBLANC", "Inès", "21/06/2014", _S1, "6A", ("9302$10$1$1$1$1",)),
    "9205": _pupil("9205", "FERRAND", "Noé", _INVALID_DATE, _S1, "6B", ("9302$20$0$1$0$0",)),
    "9206": _pupil("9206", "GAUTIER", "Lou", "05/12/2008", _S3, "TG1", ("9302$20$0$1$0$0",)),
}
_PUPIL_1D = Record(
    Op.ADD,
    Family.ELEVE,
    "9207",
    [
        ("ENTPersonJointure", ["9207"]),
        ("ENTPersonNom", ["BÉRANGER"]),
        ("ENTPersonPrenom", ["Maël"]),
        ("ENTPersonCivilite", ["M."]),
        ("ENTPersonDateNaissance", ["03/04/2019"]),
        ("ENTPersonStructRattach", [_S4]),
        ("ENTEleveClasses", [f"{_S4}$CP-A"]),
        ("ENTEleveNiveau", ["CP"]),
        ("ENTEleveCycle", ["CYCLE 2"]),
    ],
)
_RELATIVES = {
    "9301": _relative("9301", "ŒUVRARD", "Sophie", "s.oeuvrard@courriel.invalid"),
    "9302": _relative("9302", "LEBLANC", "Karim", "k.leblanc@courriel.invalid"),
}
_STAFF = {
    "9401": _staff("9401", "DURAND", "Hélène", "ENS$ENSEIGNEMENT", True),
    "9402": _staff("9402", "PERRIN", "Émile", "DOC$DOCUMENTATION", True),
    "9403": _staff("9403", "ROUX", "Kévin", "EDU$EDUCATION", False),
    "9404": _staff("9404", "FAURE", "Agnès", "DIR$DIRECTION", False),
}
_EXPECTED_PROFILES = {
    "9401": "National_ENS",
    "9402": "National_DOC",
    "9403": "National_EVS",
    "9404": "National_DIR",
}


def _function_code(key: str) -> str:
    return _STAFF[key].get("ENTPersonFonctions")[0].split("$")[1]


def _file(
    kind: Kind,
    day: date,
    family: Family,
    chunk: int,
    *records: Record,
    prefix: str = PREFIX,
    encoding: str = "UTF-8",
    version_sdet: str = SUPPORTED_VERSION,
    version_af: str = "AAF-VE2407",
    degree: str = "2D",
) -> ScenarioFile:
    name = f"{prefix}_{kind.value}_{day:%Y%m%d}_{family.value}_{chunk:04d}.xml"
    return ScenarioFile(name, tuple(records), encoding, version_sdet, version_af, degree)


def _modify(family: Family, key: str, **values: list[str]) -> Record:
    return Record(Op.MODIFY, family, key, list(values.items()))


# --- the steps -----------------------------------------------------------------------------


def _first_step() -> Step:
    day = date(2025, 9, 1)
    c = Kind.COMPLET
    files = (
        _file(c, day, Family.ETAB, 0, *_STRUCTURES_A, encoding="ISO-8859-15"),
        _file(c, day, Family.ETAB, 1, *_STRUCTURES_B, encoding="ISO-8859-15"),
        _file(c, day, Family.MEF, 0, _MEF),
        _file(c, day, Family.MATIERE, 0, _SUBJECT, encoding="ISO-8859-15"),
        _file(c, day, Family.ELEVE, 0, *_PUPILS.values(), encoding="ISO-8859-15"),
        _file(c, day, Family.ELEVE, 0, _PUPIL_1D, prefix=PREFIX_1D, degree="1D"),
        _file(c, day, Family.PERS_REL, 0, *_RELATIVES.values(), encoding="ISO-8859-15"),
        _file(c, day, Family.PERS_EDUC, 0, *_STAFF.values()),
    )
    E, P, S, R = Expectation, Family.ELEVE, Family.ETAB, Family.PERS_REL
    T = Family.PERS_EDUC
    expectations = [
        E("DIR-FEED-001", key, family, "enregistrement du Complet présent dans l'annuaire")
        for key, family in (
            (_S1, S),
            (_S3, S),
            (_S4, S),
            *((key, P) for key in ("9201", "9202", "9203", "9206", "9207")),
            *((key, R) for key in _RELATIVES),
            *((key, T) for key in _STAFF),
        )
    ]
    expectations += [
        E("DIR-AAF-003", _S3, S, "structure du second fichier numéroté (…_0001) importée"),
        E("DIR-AAF-003", "9301", R, "responsable (famille PersRelEleve) importé"),
        E("DIR-AAF-003", "9401", T, "personnel (famille PersEducNat) importé"),
        E(
            "DIR-AAF-005",
            _S1,
            S,
            "structure identifiée par son UAI",
            values={"ENTStructureUAI": (_UAI[_S1],)},
        ),
        E(
            "DIR-AAF-006",
            "9201",
            P,
            "liens élève–responsable avec leur niveau de responsabilité",
            values={"ENTElevePersRelEleve": _P1_LINKS},
        ),
        E(
            "DIR-AAF-007",
            "9301",
            R,
            "coordonnées du représentant légal (courriel, mobile, mobile SMS)",
            values={
                "mail": ("s.oeuvrard@courriel.invalid",),
                "mobile": ("+33 6 00 00 00 01",),
                "ENTPersonMobileSMS": ("+33 6 00 00 00 01",),
            },
        ),
        E("DIR-AAF-008", "9201", P, "INE conservé", values={"ENTEleveINE": ("920100000KX",)}),
        E(
            "DIR-AAF-009",
            "9207",
            P,
            "élève d'un fichier du premier degré : nom et prénom (ENTPersonNom, ENTPersonPrenom)",
            values={"sn": ("BÉRANGER",), "givenName": ("Maël",)},
        ),
        E(
            "DIR-FMT-001",
            "9301",
            R,
            "lien inverse responsable → élèves tiré des valeurs composées des élèves",
            values={"ENTAuxPersRelEleveEleve": ("9201", "9202")},
        ),
        E(
            "DIR-FMT-001",
            "9201",
            P,
            "valeur composée de classe conservée (structure$classe)",
            values={"ENTEleveClasses": (f"{_S1}$6A",)},
        ),
        E(
            "DIR-AAF-011",
            "9201",
            P,
            "nom et prénom d'un fichier ISO-8859-15 (« Œ », « é ») intacts",
            values={"sn": ("ŒUVRARD",), "givenName": ("Zoé",)},
        ),
        E(
            "DIR-AAF-011",
            "9401",
            T,
            "prénom d'un fichier UTF-8 intact",
            values={"givenName": ("Hélène",)},
        ),
        E(
            "DIR-AAF-012",
            "9201",
            P,
            "date de naissance jj/mm/aaaa lue",
            values={"ENTPersonDateNaissance": ("14/03/2014",)},
        ),
        E(
            "DIR-AAF-012",
            "9205",
            P,
            "date de naissance inexistante (31 février) non enregistrée",
            present=None,
            forbidden={"ENTPersonDateNaissance": (_INVALID_DATE,)},
        ),
        E(
            "DIR-AAF-013",
            _S2,
            S,
            "structure à la lettre clé d'UAI fausse non enregistrée telle quelle",
            present=None,
            forbidden={"ENTStructureUAI": (_BAD_UAI,)},
        ),
        E(
            "DIR-AAF-014",
            "9201",
            P,
            "libellé du MEF de l'élève résolu depuis le fichier MefEducNat",
            values={"ENTEleveLibelleMEF": (_MEF_LABEL,)},
        ),
        E(
            "DIR-AAF-016",
            "9401",
            T,
            f"enregistrement d'un fichier « {SUPPORTED_VERSION} » appliqué",
        ),
    ]
    expectations += [
        E("DIR-PROF-001", key, family, "profil national présent", required=("ENTPersonProfils",))
        for key, family in (
            *((key, P) for key in ("9201", "9202", "9203", "9206", "9207")),
            *((key, R) for key in _RELATIVES),
            *((key, T) for key in _STAFF),
        )
    ]
    expectations += [
        E(
            "DIR-PROF-002",
            key,
            T,
            f"profil déduit de la fonction {_function_code(key)}",
            values={"ENTPersonProfils": (profile,)},
        )
        for key, profile in _EXPECTED_PROFILES.items()
    ]
    return Step("complet-initial", day, c, files, tuple(expectations))


_RENAMED = ("MARCHAND-ROYER", "Théodore")
_P4 = _pupil("9204", "NICOLAS", "Jade", "08/08/2013", _S1, "5A", ("9302$20$0$1$0$0",))
_P9 = _pupil("9209", "MASSON", "Éva", "01/01/2014", _S1, "6B", ())
_T5 = _staff("9405", "BLANC", "Yves", "ENS$ENSEIGNEMENT", True)
_P11 = _pupil("9211", "GIRARD", "Léna", "02/02/2014", _S1, "6A", ())
MISNAMED = f"{PREFIX}_Delta_2025-09-15_Eleve.xml"
"""The file of the second step whose name is not an AAF file name (dashed date, no number)."""


def _second_step() -> Step:
    day = date(2025, 9, 15)
    d = Kind.DELTA
    bad = Record(Op.ADD, Family.ELEVE, "9210", list(_P9.attributes), extra_xml="<inconnu/>")
    files = (
        _file(
            d,
            day,
            Family.ELEVE,
            0,
            _modify(Family.ELEVE, "9201", ENTEleveClasses=[f"{_S1}$6B"]),
            _modify(Family.ELEVE, "9202", sn=[_RENAMED[0]], givenName=[_RENAMED[1]]),
            _modify(
                Family.ELEVE,
                "9203",
                ENTPersonStructRattach=[_S3],
                ENTEleveClasses=[f"{_S3}$2NDE1"],
            ),
            _P4,
        ),
        _file(d, day, Family.ELEVE, 1, _P9, bad),
        _file(
            d,
            day,
            Family.PERS_REL,
            0,
            _modify(Family.PERS_REL, "9302", mobile=["+33 6 00 00 00 02"]),
        ),
        _file(d, day, Family.PERS_EDUC, 0, Record(Op.DELETE, Family.PERS_EDUC, "9403", [])),
        _file(
            d,
            day,
            Family.PERS_EDUC,
            1,
            _T5,
            version_sdet=UNKNOWN_VERSION,
            version_af="AAF-VE9999",
        ),
        ScenarioFile(MISNAMED, (_P11,), misnamed=True),
    )
    E, P, T = Expectation, Family.ELEVE, Family.PERS_EDUC
    expectations = (
        E("DIR-AAF-002", "9204", P, "élève ajouté (addRequest) présent"),
        E(
            "DIR-AAF-002",
            "9201",
            P,
            "classe remplacée (modifyRequest replace)",
            values={"ENTEleveClasses": (f"{_S1}$6B",)},
            forbidden={"ENTEleveClasses": (f"{_S1}$6A",)},
        ),
        E(
            "DIR-AAF-002",
            "9203",
            P,
            "élève changeant d'établissement rattaché au nouveau",
            values={"ENTPersonStructRattach": (_S3,)},
            forbidden={"ENTPersonStructRattach": (_S1,)},
        ),
        E("DIR-AAF-002", "9403", T, "personnel supprimé (deleteRequest) absent", present=False),
        E(
            "DIR-AAF-004",
            "9202",
            P,
            "changement de nom : même clé de jointure, nouveau nom",
            values={"sn": (_RENAMED[0],), "givenName": (_RENAMED[1],)},
        ),
        E(
            "DIR-AAF-001",
            "9209",
            P,
            "requête valide d'un fichier contraire à la DTD non appliquée",
            present=False,
        ),
        E(
            "DIR-AAF-016",
            "9405",
            T,
            f"fichier déclarant « {UNKNOWN_VERSION} » non appliqué",
            present=False,
        ),
        E("DIR-AAF-015", "9401", T, "personnel absent du Delta conservé"),
        E("DIR-AAF-015", "9206", P, "élève absent du Delta conservé"),
        E("DIR-AAF-015", "9301", Family.PERS_REL, "responsable absent du Delta conservé"),
        E("DIR-AAF-010", "9211", P, "requête d'un fichier mal nommé non appliquée", present=False),
        E(
            "DIR-AAF-010",
            "9211",
            P,
            f"fichier mal nommé « {MISNAMED} » signalé dans le compte rendu de l'import",
            present=None,
            reported=MISNAMED,
        ),
    )
    return Step("delta", day, d, files, expectations)


def _third_state() -> dict[Family, list[Record]]:
    """Every record still exported after the Delta, the DOC staff member left out."""
    pupils = dict(_PUPILS)
    pupils["9201"] = _changed(_PUPILS["9201"], ENTEleveClasses=[f"{_S1}$6B"])
    pupils["9202"] = _changed(_PUPILS["9202"], sn=[_RENAMED[0]], givenName=[_RENAMED[1]])
    pupils["9203"] = _changed(
        _PUPILS["9203"], ENTPersonStructRattach=[_S3], ENTEleveClasses=[f"{_S3}$2NDE1"]
    )
    pupils["9204"] = _P4
    staff = [record for key, record in _STAFF.items() if key not in ("9402", "9403")]
    return {
        Family.ETAB: [*_STRUCTURES_A, *_STRUCTURES_B],
        Family.MEF: [_MEF],
        Family.MATIERE: [_SUBJECT],
        Family.ELEVE: list(pupils.values()),
        Family.PERS_REL: list(_RELATIVES.values()),
        Family.PERS_EDUC: staff,
    }


def _changed(record: Record, **values: list[str]) -> Record:
    copy = Record(record.op, record.family, record.key, list(record.attributes))
    for name, value in values.items():
        copy.set(name, value)
    return copy


def _third_step() -> Step:
    day = date(2025, 10, 1)
    c = Kind.COMPLET
    files = [
        _file(c, day, family, 0, *records)
        for family, records in _third_state().items()
        if family is not Family.ELEVE
    ]
    files.append(_file(c, day, Family.ELEVE, 0, *_third_state()[Family.ELEVE]))
    files.append(_file(c, day, Family.ELEVE, 0, _PUPIL_1D, prefix=PREFIX_1D, degree="1D"))
    expectations = (
        Expectation(
            "DIR-AAF-015",
            "9402",
            Family.PERS_EDUC,
            "personnel absent du nouveau Complet retiré de l'annuaire",
            present=False,
        ),
    )
    return Step("complet-suivant", day, c, tuple(files), expectations)


def _cleanup_step() -> Step:
    day = date(2025, 10, 2)
    d = Kind.DELTA
    state = _third_state()
    state[Family.ELEVE] += [_PUPIL_1D, _P9, _P11]
    state[Family.PERS_EDUC] += [_T5, _STAFF["9402"], _STAFF["9403"]]
    files = tuple(
        _file(d, day, family, 0, *(Record(Op.DELETE, family, r.key, []) for r in records))
        for family, records in state.items()
    )
    return Step("nettoyage", day, d, files, cleanup=True)


def build_scenario() -> list[Step]:
    """The steps of the import scenario, in the order the ENT must import them."""
    return [_first_step(), _second_step(), _third_step(), _cleanup_step()]


def requirements_shown(steps: Iterable[Step]) -> list[str]:
    """The requirements the steps' expectations decide, in :data:`COVERED` order."""
    shown = {e.requirement for step in steps for e in step.expectations}
    return [requirement for requirement in COVERED if requirement in shown]


def write_step(step: Step, folder: Path) -> list[Path]:
    """Write the AAF files of ``step`` into ``folder`` (created); return them."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for file in step.files:
        path = folder / file.name
        path.write_bytes(file.content(step.day))
        written.append(path)
    return written


def write_scenario(out: Path, steps: Sequence[Step] | None = None) -> Path:
    """Write every step into ``out/<NN>-<name>/`` and the manifest; return the manifest."""
    steps = list(steps) if steps is not None else build_scenario()
    out.mkdir(parents=True, exist_ok=True)
    described = []
    for index, step in enumerate(steps):
        paths = write_step(step, out / step.folder_name(index))
        described.append(
            {
                "folder": step.folder_name(index),
                "name": step.name,
                "date": step.day.isoformat(),
                "kind": step.kind.value,
                "cleanup": step.cleanup,
                "files": [path.name for path in paths],
                "expectations": [e.to_json() for e in step.expectations],
            }
        )
    manifest = out / SCENARIO_MANIFEST
    manifest.write_text(
        json.dumps({"covers": COVERED, "steps": described}, ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )
    return manifest


_CHECKED = "ldap.import.checked."


@cache
def _checked_ids() -> dict[str, str]:
    """The catalogue id of each scenario text, by its French (``ldap.import.checked.*``)."""
    return {
        texts["fr"]: message_id
        for message_id, texts in catalogue().items()
        if message_id.startswith(_CHECKED)
    }


def checked_text(what: str) -> str:
    """What an expectation checks (:attr:`Expectation.what`) in the current language.

    The scenario keeps its French text (it is written into the manifest); the catalogue
    holds its translation, found by that French text. An unknown text is shown as it is.
    """
    message_id = _checked_ids().get(what)
    return what if message_id is None else msg(message_id)
