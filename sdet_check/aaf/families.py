"""The six AAF file families and what each may carry: the attribute inventory of the format.

The inventory is written from the public description of the AAF files (SDET annuaire annex
as digested in the project's reference notes): for each family, every attribute an importer
is expected to understand, whether it is single-valued, mandatory in an ``addRequest``,
deprecated, made of ``$``-separated parts, and what kind of value each part holds. Second
degree (AAF) and first degree (AAF1D) spellings live side by side: a file of either degree
validates against the same family.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Family(StrEnum):
    """An AAF file family, named as in file names (``…_Eleve_0000.xml``)."""

    ETAB = "EtabEducNat"
    MEF = "MefEducNat"
    MATIERE = "MatiereEducNat"
    PERS_REL = "PersRelEleve"
    ELEVE = "Eleve"
    PERS_EDUC = "PersEducNat"

    @property
    def label(self) -> str:
        """French label for reports."""
        return _FAMILY_LABELS[self]

    @property
    def is_person(self) -> bool:
        """Whether records of this family are persons (one join-key space for all three)."""
        return self in (Family.ELEVE, Family.PERS_REL, Family.PERS_EDUC)


_FAMILY_LABELS = {
    Family.ETAB: "structures",
    Family.MEF: "MEF",
    Family.MATIERE: "matières",
    Family.PERS_REL: "responsables",
    Family.ELEVE: "élèves",
    Family.PERS_EDUC: "personnels",
}

PROCESSING_ORDER: tuple[Family, ...] = tuple(Family)
"""Referenced families first, so that references are resolved while streaming."""


@dataclass(frozen=True)
class Category:
    """The operational attribute that names a record's category, and its accepted values."""

    attribute: str
    values: tuple[str, ...]


CATEGORIES: dict[Family, Category] = {
    Family.ETAB: Category("categorieStructure", ("EtabEducNat",)),
    Family.MEF: Category("categorieMef", ("MefEducNat", "Mef")),
    Family.MATIERE: Category("categorieMatiere", ("MatiereEducNat", "MatEducNat", "Matiere")),
    Family.PERS_REL: Category("categoriePersonne", ("PersRelEleve",)),
    Family.ELEVE: Category("categoriePersonne", ("Eleve",)),
    Family.PERS_EDUC: Category("categoriePersonne", ("PersEducNat",)),
}

_BY_CATEGORY: dict[tuple[str, str], Family] = {
    (category.attribute, value): family
    for family, category in CATEGORIES.items()
    for value in category.values
}


def family_of_category(attribute: str | None, value: str | None) -> Family | None:
    """The family a record's operational attribute designates, or ``None`` if it names none."""
    if attribute is None or value is None:
        return None
    return _BY_CATEGORY.get((attribute, value))


class Part:
    """What one ``$``-separated part of a value holds (or the whole value, for simple ones).

    Plain integers rather than an Enum: they are compared and hashed millions of times on a
    large set, and Enum hashing runs in Python.
    """

    TEXT = 0
    STRUCT = 1  # join key of a structure (EtabEducNat)
    CLASS = 2  # class code, inside the structure named by the preceding STRUCT part
    GROUP = 3  # group code, same
    SUBJECT = 4  # join key of a MatiereEducNat record
    MEF = 5  # join key of a MefEducNat record
    RELATIVE = 6  # join key of a PersRelEleve record
    PUPIL = 7  # join key of an Eleve record
    DATE = 8  # dd/mm/yyyy
    UAI = 9  # 7 digits and a check letter
    INE = 10  # national pupil identifier
    YES_NO = 11  # O or N
    TITLE = 12  # civilité: M., Mme (Mlle in older exports)
    FLAG = 13  # 0 or 1
    RESPONSIBILITY = 14  # 0, 1 (legal representative) or 2 (person in charge)
    CODE = 15  # digits (relationship code)
    FUNCTION = 16  # AAF function code (ENS, DOC, EDU…)
    PROFILE = 17  # national profile code (National_ELV…)
    POSTAL = 18  # French postal code: five digits
    PHONE = 19  # telephone number: French national or international (E.164) form
    EMAIL = 20  # e-mail address
    SIREN = 21  # SIREN (9 digits) or SIRET (14 digits), with their Luhn check digit
    CONTRACT = 22  # sector of a school: PU (public) or PR (private)
    TYPE_CODE = 23  # national code of a structure type: three digits (340: collège)
    MINISTRY_CODE = 24  # national code of the supervising ministry: two digits (06)


REFERENCE_PARTS = frozenset(
    {Part.STRUCT, Part.CLASS, Part.GROUP, Part.SUBJECT, Part.MEF, Part.RELATIVE, Part.PUPIL}
)
"""Parts that point at a record of another family: resolved by the cross-file checks."""


@dataclass(frozen=True)
class AttrSpec:
    """One attribute of a family.

    ``parts`` describes a composite value (several parts joined with ``$``); a simple value
    has one part. ``extra`` allows a variable tail of further parts of that kind.
    """

    name: str
    single: bool = False
    mandatory: bool = False
    deprecated: bool = False
    personal: bool = False
    parts: tuple[int, ...] = (Part.TEXT,)
    extra: int | None = None
    composite: bool = field(init=False)
    """Whether values are ``$``-separated parts that must be counted."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "composite", len(self.parts) > 1 or self.extra is not None)


def _one(
    name: str, part: int = Part.TEXT, *, mandatory: bool = False, personal: bool = False
) -> AttrSpec:
    return AttrSpec(name, single=True, mandatory=mandatory, personal=personal, parts=(part,))


def _many(
    name: str,
    *parts: int,
    extra: int | None = None,
    mandatory: bool = False,
    personal: bool = False,
) -> AttrSpec:
    return AttrSpec(
        name, mandatory=mandatory, personal=personal, parts=parts or (Part.TEXT,), extra=extra
    )


def _old(name: str) -> AttrSpec:
    return AttrSpec(name, deprecated=True)


S, C, G, T = Part.STRUCT, Part.CLASS, Part.GROUP, Part.TEXT
_FLAGS = (Part.FLAG, Part.RESPONSIBILITY, Part.FLAG, Part.FLAG)

# Identity attributes shared by the three person families (2nd degree, then 1st degree).
_PERSON = (
    _one("ENTPersonJointure", mandatory=True),
    _one("ENTPersonDateNaissance", Part.DATE, personal=True),
    _one("sn", personal=True),
    _one("givenName", personal=True),
    _many("ENTPersonAutresPrenoms", personal=True),
    _one("ENTPersonNomPatro", personal=True),
    _one("personalTitle", Part.TITLE),
    _one("mail", Part.EMAIL, personal=True),
    _many("ENTPersonProfils", Part.PROFILE),
    _one("ENTPersonNom", personal=True),
    _one("ENTPersonPrenom", personal=True),
    _one("ENTPersonCivilite", Part.TITLE),
    _one("ENTPersonMail", Part.EMAIL, personal=True),
)
_ADDRESS = (
    _one("ENTPersonAdresse", personal=True),
    _one("ENTPersonCodePostal", Part.POSTAL, personal=True),
    _one("ENTPersonVille", personal=True),
    _one("ENTPersonPays"),
    _one("homePhone", Part.PHONE, personal=True),
)

_INVENTORY: dict[Family, tuple[AttrSpec, ...]] = {
    Family.ETAB: (
        _one("ENTStructureJointure", mandatory=True),
        _one("ENTStructureUAI", Part.UAI, mandatory=True),
        _one("ENTEtablissementUAI", Part.UAI),
        _one("ENTStructureSIREN", Part.SIREN),
        _one("ENTStructureNomCourant", mandatory=True),
        _one("ENTStructureTypeStruct"),
        _one("ENTStructureCodeTypeStruct", Part.TYPE_CODE),
        _one("ENTEtablissementMinistereTutelle"),
        _one("ENTEtablissementCodeMinistereTutelle", Part.MINISTRY_CODE),
        _one("ENTEtablissementContrat", Part.CONTRACT),
        _one("postOfficeBox"),
        _one("street"),
        _one("postalCode", Part.POSTAL),
        _one("l"),
        _one("telephoneNumber", Part.PHONE),
        _one("facsimileTelephoneNumber", Part.PHONE),
        _one("ENTStructureMailSI", Part.EMAIL),
        _many("ENTEtablissementStructRattachFctl"),
        AttrSpec("ENTEtablissementBassin", single=True, parts=(T, T)),
        _one("ENTServAcAcademie"),
        _one("ENTServAcCodeAcademie"),
        _one("ENTServCodeAcAcademie"),
        _many("ENTStructureClasses", Part.CLASS, extra=T),
        _many("ENTStructureGroupes", Part.GROUP, extra=T),
        # first degree
        _one("ENTEcoleMinistereTutelle"),
        _one("ENTEcoleCodeMinistereTutelle"),
        _one("ENTStructureBoitePostale"),
        _one("ENTStructureAdresse"),
        _one("ENTStructureCodePostal", Part.POSTAL),
        _one("ENTStructureVille"),
        _one("ENTStructureTelephone", Part.PHONE),
        _one("ENTStructureFax", Part.PHONE),
        _one("ENTStructureEmail", Part.EMAIL),
        _one("ENTEcoleSecteur"),
        _one("ENTEcoleCirconscription"),
        _one("ENTEcoleCommune"),
        _one("ENTEcoleRPI"),
    ),
    Family.MEF: (
        _one("ENTMefJointure", mandatory=True),
        _one("ENTLibelleMef", mandatory=True),
        _one("ENTMEFRattach"),
        _one("ENTMEFSTAT11"),
        _one("ENTNivFormation"),
        _one("ENTFiliere"),
    ),
    Family.MATIERE: (
        _one("ENTMatJointure", mandatory=True),
        _one("ENTLibelleMatiere", mandatory=True),
        _one("ENTMatiereRattach"),
    ),
    Family.PERS_REL: (
        *_PERSON,
        *_ADDRESS,
        _one("telephoneNumber", Part.PHONE, personal=True),
        _many("mobile", Part.PHONE, personal=True),
        _one("ENTPersonMobileSMS", Part.PHONE, personal=True),
        _one("ENTPersonAdresseDiffusion", Part.YES_NO),
        _many("ENTAuxPersRelEleveEleve", Part.PUPIL),
        # first degree
        _one("ENTPersonTelPerso", Part.PHONE, personal=True),
        _one("ENTPersRelEleveTelPro", Part.PHONE, personal=True),
        _one("ENTPersRelEleveTelMobile", Part.PHONE, personal=True),
        _many("ENTPersRelEleveEleve", Part.PUPIL),
    ),
    Family.ELEVE: (
        *_PERSON,
        *_ADDRESS,
        _one("ENTEleveINE", Part.INE, personal=True),
        # relative$relationship$financial$responsibility level$contact$payer
        _many("ENTElevePersRelEleve", Part.RELATIVE, Part.CODE, *_FLAGS),
        _many("ENTPersonStructRattach", S, mandatory=True),
        _one("ENTEleveRegime"),
        _one("ENTEleveMEF", Part.MEF),
        _one("ENTEleveLibelleMEF"),
        _many("ENTEleveClasses", S, C),
        _many("ENTEleveGroupes", S, G),
        _one("ENTEleveNivFormation"),
        _one("ENTEleveFiliere"),
        _one("ENTEleveBoursier", Part.YES_NO),
        _one("ENTEleveTransport", Part.YES_NO),
        _one("ENTEleveStatutEleve"),
        _one("ENTEleveStructRattachId"),
        _one("ENTEleveStructureRattachIdMEN"),
        _many("ENTEleveCodeEnseignements", Part.SUBJECT),
        _many("ENTEleveEnseignements"),
        _many("ENTEleveAdresseRel"),
        _many("ENTEleveDateEntreeClasses", S, Part.DATE, C),
        _many("ENTEleveDateSortieClasses", S, Part.DATE, C),
        _one("ENTEleveDateEntreeStructRattach"),
        _one("ENTEleveDateSortieStructRattach"),
        # Current in first-degree files, superseded by ENTElevePersRelEleve in the second.
        _many("ENTEleveAutoriteParentale"),
        _old("ENTEleveParents"),
        _old("ENTElevePere"),
        _old("ENTEleveMere"),
        _old("ENTElevePersRelEleve1"),
        _old("ENTEleveQualitePersRelEleve1"),
        _old("ENTElevePersRelEleve2"),
        _old("ENTEleveQualitePersRelEleve2"),
        _old("ENTEleveEnseignementsEtablissementsAccueil"),
        # first degree
        _many("ENTPersonClasses", S, C),
        _many("ENTPersonGroupes", S, G),
        _one("ENTEleveNiveau"),
        _one("ENTEleveCycle"),
        _one("ENTEleveTypeClasse"),
        _one("ENTEleveRestaurantScolaire", Part.YES_NO),
        _one("ENTEleveGarderieMatin", Part.YES_NO),
        _one("ENTEleveGarderieSoir", Part.YES_NO),
        _one("ENTEleveEtudesSurveillees", Part.YES_NO),
    ),
    Family.PERS_EDUC: (
        *_PERSON,
        _many("ENTPersonStructRattach", S, mandatory=True),
        _many("ENTAuxEnsCategoDiscipline", T, T),
        _many("ENTAuxEnsMEF", S, Part.MEF),
        _many("ENTAuxEnsMatiereEnseignEtab", S, Part.SUBJECT),
        _many("ENTAuxEnsClasses", S, C),
        _many("ENTAuxEnsGroupes", S, G),
        _many("ENTAuxEnsClassesMatieres", S, C, Part.SUBJECT),
        _many("ENTAuxEnsGroupesMatieres", S, G, Part.SUBJECT),
        _many("ENTAuxEnsClassesPrincipal", S, C),
        _many("ENTEnsFonctionDir"),
        _many("ENTPersonFonctions", S, Part.FUNCTION, T, T, T),
        _one("PersEducNatPresenceDevantEleves", Part.YES_NO),
        _one("ENTPersonCategorieEnseignant", Part.YES_NO),
        # Dated variants: current in first-degree files.
        _many("ENTPersonStructRattachDate"),
        _many("ENTPersonFonctionsDate"),
        _many("ENTEnsFonctionDirDate"),
        _one("ENTPersonCategorieEnseignantDate"),
        _old("ENTAuxEnsDisciplinesPoste"),
        _old("ENTPersonSTSId"),
        _old("ENTAuxEnsCategoDisciplineDate"),
        _old("ENTAuxEnsMEFDate"),
        _old("ENTAuxEnsClassesMatieresDate"),
        _old("ENTAuxEnsGroupesMatieresDate"),
        _old("ENTAuxEnsClassesPrincipalDate"),
        _old("ENTEnsSpecialites"),
    ),
}

JOIN_KEYS: dict[Family, str] = {
    Family.ETAB: "ENTStructureJointure",
    Family.MEF: "ENTMefJointure",
    Family.MATIERE: "ENTMatJointure",
    Family.PERS_REL: "ENTPersonJointure",
    Family.ELEVE: "ENTPersonJointure",
    Family.PERS_EDUC: "ENTPersonJointure",
}
"""The attribute that repeats ``identifier/id`` in an ``addRequest``."""

# A person needs a name: the 2nd-degree attribute or its 1st-degree spelling.
_NAME_ALTERNATIVES = (("sn", "ENTPersonNom"), ("givenName", "ENTPersonPrenom"))
_EXTRA_MANDATORY: dict[Family, tuple[tuple[str, ...], ...]] = {
    Family.ELEVE: (*_NAME_ALTERNATIVES, ("ENTPersonDateNaissance",)),
    Family.PERS_REL: _NAME_ALTERNATIVES,
    Family.PERS_EDUC: _NAME_ALTERNATIVES,
}


@dataclass(frozen=True)
class FamilySpec:
    """Everything the checks need to know about one family, precomputed."""

    family: Family
    attributes: dict[str, AttrSpec]
    mandatory: tuple[tuple[str, ...], ...]
    known: frozenset[str] = field(init=False)
    singles: frozenset[str] = field(init=False)
    deprecated: frozenset[str] = field(init=False)
    checked: tuple[AttrSpec, ...] = field(init=False)
    needed: frozenset[str] = field(init=False)
    located: frozenset[str] = field(init=False)
    """Attributes whose values reference other records: their line is kept for later."""
    by_lower: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        specs = self.attributes.values()
        object.__setattr__(self, "known", frozenset(self.attributes))
        object.__setattr__(self, "singles", frozenset(s.name for s in specs if s.single))
        object.__setattr__(self, "deprecated", frozenset(s.name for s in specs if s.deprecated))
        object.__setattr__(
            self,
            "checked",
            tuple(s for s in specs if s.composite or s.parts != (Part.TEXT,)),
        )
        needed = {s.name for s in self.checked} | {JOIN_KEYS[self.family]}
        needed.update(name for names in self.mandatory for name in names)
        object.__setattr__(self, "needed", frozenset(needed))
        located = {s.name for s in specs if REFERENCE_PARTS.intersection(s.parts)}
        located.update(s.name for s in specs if s.extra in REFERENCE_PARTS)
        object.__setattr__(self, "located", frozenset(located))
        object.__setattr__(self, "by_lower", {name.lower(): name for name in self.attributes})

    @property
    def join_key(self) -> str:
        """The join-key attribute of the family."""
        return JOIN_KEYS[self.family]


def _spec(family: Family, attributes: Iterable[AttrSpec]) -> FamilySpec:
    table: dict[str, AttrSpec] = {}
    for attribute in attributes:
        if attribute.name in table:
            raise ValueError(f"{family}: attribut {attribute.name} décrit deux fois")
        table[attribute.name] = attribute
    mandatory = tuple((s.name,) for s in table.values() if s.mandatory)
    return FamilySpec(family, table, mandatory + _EXTRA_MANDATORY.get(family, ()))


SPECS: dict[Family, FamilySpec] = {f: _spec(f, _INVENTORY[f]) for f in Family}
"""The inventory of every family (the current format version)."""

CURRENT_VERSION = "AAF-VE2407"
"""The format version of the inventory above (``versionSDET`` « Annexe 4bis version 6.4 »)."""

LEGACY_VERSION = "AAF-VE1301"
"""The oldest format version known: the 2013 exports (ENT Core's and the ministry's
anonymised test sets), where ``ENTAuxEnsMEF`` is ``structure$MEF code$MEF label``."""

_LEGACY_CHANGES: dict[Family, tuple[AttrSpec, ...]] = {
    Family.PERS_EDUC: (_many("ENTAuxEnsMEF", Part.STRUCT, Part.MEF, Part.TEXT),),
}

RULE_SETS: dict[str, dict[Family, FamilySpec]] = {
    CURRENT_VERSION: SPECS,
    LEGACY_VERSION: {
        family: _spec(
            family,
            [
                next((new for new in _LEGACY_CHANGES.get(family, ()) if new.name == a.name), a)
                for a in _INVENTORY[family]
            ],
        )
        for family in Family
    },
}
"""The inventory each known format version is judged by."""

_VERSION_AF = re.compile(r"AAF-VE([0-9]{4})")
_VERSION_SDET = re.compile(r"Annexe 4bis version ([0-9]+)\.([0-9]+)")


def rule_set_version(version_af: str | None, version_sdet: str | None = None) -> str:
    """The known version whose rules judge an export declaring these header values.

    ``versionAF`` ``AAF-VEaamm`` decides: before the current version, the 2013 rule set (no
    version between them has been observed, so the older rules are the better guess); an
    export declaring only ``versionSDET`` « Annexe 4bis version 6.4 » or later, or nothing,
    is judged by the current rules.
    """
    found = _VERSION_AF.fullmatch(version_af or "")
    if found:
        return LEGACY_VERSION if found.group(1) < CURRENT_VERSION[-4:] else CURRENT_VERSION
    sdet = _VERSION_SDET.search(version_sdet or "")
    if sdet and (int(sdet.group(1)), int(sdet.group(2))) < (6, 4):
        return LEGACY_VERSION
    return CURRENT_VERSION


FILE_NAME = re.compile(
    r"(?P<prefix>.+?)_(?P<kind>Complet|Delta)_(?P<date>\d{8})_"
    r"(?P<family>EtabEducNat|MefEducNat|MatiereEducNat|PersRelEleve|Eleve|PersEducNat)_"
    r"(?P<chunk>\d{4})\.xml"
)
"""The name of an export chunk: ``<prefix>_<Complet|Delta>_<yyyymmdd>_<Family>_<NNNN>.xml``."""

FAMILY_IN_NAME = re.compile(
    r"_(EtabEducNat|MefEducNat|MatiereEducNat|PersRelEleve|Eleve|PersEducNat)_\d{4}\.xml$",
    re.IGNORECASE,
)
"""The looser pattern importers select files with (``.*?_Eleve_[0-9]{4}\\.xml``)."""
