"""A small, deterministic annuaire ENT population, as plain AAF-shaped records.

The records say what an académie export (AAF) would say about each structure and person:
the category (``EtabEducNat``, ``Eleve``, ``PersRelEleve``, ``PersEducNat``), the identifier
(the join key) and the AAF attributes with their values. :func:`sdet_check.demo.ldap.populate`
turns them into directory entries.

Two populations, and any AAF set:

* :func:`reference_population` — two schools, pupils in classes, relatives linked both ways,
  teachers and staff with national profiles: conformant in every respect the ``ldap`` probes
  check.
* :func:`defective_population` — the same with one of each data defect injected, and the
  list of what was injected (rule id → description).
* :func:`read_aaf_records` — the structures and persons of real AAF files, or of a set made
  by the AAF generator (:mod:`sdet_check.aaf.generate`) at any size, for the benchmark and the
  agreement test of the validator and the directory audit.

Every name here is invented; birth dates are fixed, so that ages stay plausible for years.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from lxml import etree

from sdet_check.aaf import feed
from sdet_check.sdet_model import make_uai

CATEGORIES = ("EtabEducNat", "Eleve", "PersRelEleve", "PersEducNat")
"""AAF record categories handled (structures, pupils, relatives, national-education staff)."""


@dataclass(frozen=True)
class AafRecord:
    """One structure or person as an AAF export describes it.

    ``attributes`` maps AAF attribute names to their values (empty values allowed, as in
    AAF files, and dropped when loaded). ``rdn`` overrides the directory RDN value (by default
    derived from the category and identifier).
    """

    category: str
    identifier: str
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rdn: str | None = None

    def __post_init__(self) -> None:
        """Refuse an unknown category."""
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown AAF category {self.category!r}")

    def first(self, name: str) -> str | None:
        """The first value of attribute ``name``, if any."""
        values = self.attributes.get(name, ())
        return values[0] if values else None

    def with_values(self, **values: tuple[str, ...]) -> AafRecord:
        """A copy with some attributes replaced (names as keyword arguments)."""
        return replace(self, attributes={**self.attributes, **values})


# --- reference population ------------------------------------------------------------------

_COLLEGE = "1001"
_LYCEE = "1002"
_STRUCTURES = {
    _COLLEGE: (
        750001,
        "CLG$COLLEGE JEAN MOULIN$PARIS",
        "COLLEGE",
        "340",
        ("6A", "6B", "5A", "3A"),
    ),
    _LYCEE: (690123, "LYC$LYCEE LUMIERE$LYON", "LYCEE", "300", ("2NDE1", "1G1", "TG1")),
}

_PUPILS = (
    # id, sn, givenName, birth, title, structure, class, relatives ("id/link code", spaced)
    ("2001", "MARTINET", "Léa", "14/03/2013", "Mme", _COLLEGE, "6A", "3001/10 3002/20"),
    ("2002", "MARTINET", "Hugo", "02/11/2011", "M.", _COLLEGE, "5A", "3001/10 3002/20"),
    ("2003", "BERNARDIN", "Inès", "21/06/2013", "Mme", _COLLEGE, "6B", "3003/20"),
    ("2004", "LEFEBURE", "Nolan", "09/01/2011", "M.", _COLLEGE, "3A", "3004/10"),
    ("2005", "ROUSSELIN", "Chloé", "30/09/2009", "Mme", _LYCEE, "2NDE1", "3005/20"),
    ("2006", "GARNIERE", "Yanis", "17/05/2008", "M.", _LYCEE, "1G1", "3006/10"),
    ("2007", "FAUVELLE", "Manon", "05/12/2008", "Mme", _LYCEE, "TG1", "3006/10"),
    ("2008", "PERRAULTIN", "Sacha", "11/08/2009", "M.", _LYCEE, "2NDE1", "3007/20"),
)

_RELATIVES = (
    # id, sn, givenName, birth, title
    ("3001", "MARTINET", "Sophie", "12/02/1982", "Mme"),
    ("3002", "MARTINET", "Julien", "28/07/1980", "M."),
    ("3003", "BERNARDIN", "Karima", "03/10/1985", "Mme"),
    ("3004", "LEFEBURE", "Olivier", "19/04/1978", "M."),
    ("3005", "ROUSSELIN", "Nathalie", "07/01/1976", "Mme"),
    ("3006", "GARNIERE", "Pascal", "25/11/1974", "M."),
    ("3007", "PERRAULTIN", "Aurélie", "14/06/1983", "Mme"),
)

_STAFF = (
    # id, sn, givenName, birth, title, structure, function code and label, classes taught
    ("4001", "DUMONTEL", "Claire", "08/05/1979", "Mme", _COLLEGE, "ENS$ENSEIGNEMENT", "6A 5A"),
    ("4002", "ROCHEFORTE", "Marc", "22/09/1971", "M.", _COLLEGE, "ENS$ENSEIGNEMENT", "6B 3A"),
    ("4003", "VALLIERE", "Anne", "15/12/1986", "Mme", _LYCEE, "ENS$ENSEIGNEMENT", "2NDE1 TG1"),
    ("4004", "BRUNETEAU", "Émile", "01/03/1969", "M.", _COLLEGE, "DOC$DOCUMENTATION", ""),
    ("4005", "CHAPELAIN", "Isabelle", "10/10/1968", "Mme", _COLLEGE, "DIR$DIRECTION", ""),
    ("4006", "MOREAUX", "Kevin", "18/02/1995", "M.", _LYCEE, "EDU$EDUCATION", ""),
    ("4007", "TESSIERE", "Brigitte", "29/08/1972", "Mme", _LYCEE, "ADF$ADMINISTRATION", ""),
)


def _mail(given: str, surname: str, domain: str) -> str:
    """An invented address, ASCII only (``mail`` is an IA5 string)."""
    local = f"{given[:3]}.{surname}".lower()
    bare = unicodedata.normalize("NFKD", local).encode("ascii", "ignore").decode("ascii")
    return f"{bare}@{domain}"


def _structure(identifier: str) -> AafRecord:
    number, name, kind, kind_code, classes = _STRUCTURES[identifier]
    uai = make_uai(number)
    return AafRecord(
        "EtabEducNat",
        identifier,
        {
            "ENTStructureJointure": (identifier,),
            "ENTStructureUAI": (uai,),
            "ENTEtablissementUAI": (uai,),
            "ENTStructureNomCourant": (name,),
            "ENTStructureTypeStruct": (kind,),
            "ENTStructureCodeTypeStruct": (kind_code,),
            "ENTEtablissementContrat": ("PU",),
            "ENTEtablissementMinistereTutelle": ("MINISTERE DE L'EDUCATION NATIONALE",),
            "ENTStructureClasses": tuple(f"{code}${code} (classe)" for code in classes),
            "ENTStructureGroupes": (),
            "street": ("1 place de l'Ecole",),
            "postalCode": (f"{number // 10000:02d}000",),  # 0751234 → 75000
            "l": (name.split("$")[-1],),
        },
    )


def _level(class_code: str) -> str:
    """The training level (``ENTEleveNivFormation``) of a class of the reference schools."""
    if class_code.startswith("2NDE"):
        return "2NDE"
    return {"1": "1ERE", "T": "TLE"}.get(class_code[0], f"{class_code[0]}EME")


def reference_population() -> list[AafRecord]:
    """The conformant population: structures first, then pupils, relatives and staff."""
    records = [_structure(identifier) for identifier in _STRUCTURES]
    children: dict[str, list[str]] = {}
    for ident, sn, given, born, title, structure, klass, links in _PUPILS:
        relatives = [link.split("/") for link in links.split()]
        for relative, _code in relatives:
            children.setdefault(relative, []).append(ident)
        records.append(
            AafRecord(
                "Eleve",
                ident,
                {
                    "ENTPersonJointure": (ident,),
                    "sn": (sn,),
                    "givenName": (given,),
                    "ENTPersonNomPatro": (sn,),
                    "personalTitle": (title,),
                    "ENTPersonDateNaissance": (born,),
                    "ENTPersonStructRattach": (structure,),
                    "ENTEleveClasses": (f"{structure}${klass}",),
                    "ENTEleveDateEntreeClasses": (f"{structure}$01/09/2025${klass}",),
                    "ENTElevePersRelEleve": tuple(
                        f"{relative}${code}$1$1$1$1" for relative, code in relatives
                    ),
                    "ENTEleveNivFormation": (_level(klass),),
                    "ENTEleveINE": (f"{ident}00000AB",),
                    "ENTEleveStatutEleve": ("SCOLAIRE",),
                    "ENTPersonAdresse": (f"{int(ident) % 90 + 1} rue des Tilleuls$$$",),
                    "ENTPersonCodePostal": ("75011",),
                    "ENTPersonVille": ("PARIS",),
                    "ENTPersonPays": ("FRANCE",),
                },
            )
        )
    for ident, sn, given, born, title in _RELATIVES:
        records.append(
            AafRecord(
                "PersRelEleve",
                ident,
                {
                    "ENTPersonJointure": (ident,),
                    "sn": (sn,),
                    "givenName": (given,),
                    "personalTitle": (title,),
                    "ENTPersonDateNaissance": (born,),
                    "mail": (_mail(given, sn, "courriel.invalid"),),
                    "mobile": ("+33 6 00 00 00 00",),
                    "ENTAuxPersRelEleveEleve": tuple(children.get(ident, ())),
                    "ENTPersonAdresseDiffusion": ("N",),
                },
            )
        )
    for ident, sn, given, born, title, structure, function, taught in _STAFF:
        code = function.split("$")[0]
        teaching = code in ("ENS", "DOC")
        records.append(
            AafRecord(
                "PersEducNat",
                ident,
                {
                    "ENTPersonJointure": (ident,),
                    "sn": (sn,),
                    "givenName": (given,),
                    "personalTitle": (title,),
                    "ENTPersonDateNaissance": (born,),
                    "mail": (_mail(given, sn, "ac-demo.invalid"),),
                    "ENTPersonStructRattach": (structure,),
                    "ENTPersonFonctions": (f"{structure}${function}$$",),
                    "ENTAuxEnsClasses": tuple(f"{structure}${klass}" for klass in taught.split()),
                    "ENTPersonCategorieEnseignant": ("O" if teaching else "N",),
                    "PersEducNatPresenceDevantEleves": ("O" if teaching else "N",),
                },
            )
        )
    return records


# --- the defects variant -------------------------------------------------------------------

INJECTED_DEFECTS: dict[str, str] = {
    "AAF-UAI-001": "lycée dont l'UAI porte une lettre clé fausse",
    "AAF-KEY-001": "enseignant en double : deux entrées pour la même clé de jointure",
    "AAF-DATE-001": "élève né un 31 février",
    "AAF-XREF-002": "élève dont un responsable n'existe pas dans l'annuaire",
    "AAF-XREF-003": "élève dont le responsable ne le cite pas en retour",
    "AAF-XREF-005": "élève dans une classe que sa structure ne déclare pas",
    "AAF-XREF-001": "personnel rattaché à une structure inexistante",
    "AAF-PROF-001": "personnel au code de profil inconnu (National_XXX)",
    "AAF-COMP-001": "élève dont la classe n'est pas de la forme structure$classe",
    "AAF-XREF-004": "responsable citant un élève qui n'existe pas dans l'annuaire",
    "LDAP-DATE-001": "élève né en 1950",
    "LDAP-UAI-001": "structure sans UAI",
    "LDAP-DUP-001": "élève inscrit deux fois sous deux clés différentes",
}
"""What :func:`defective_population` injects: one defect per rule of the ``ldap`` audit, but
``AAF-KEY-002`` (an entry without join key, which the ENT schema does not allow to load)."""


def defective_population() -> tuple[list[AafRecord], dict[str, str]]:
    """The reference population with one of each data defect; returns what was injected."""
    records = {record.identifier: record for record in reference_population()}

    def change(identifier: str, **values: tuple[str, ...]) -> None:
        records[identifier] = records[identifier].with_values(**values)

    uai = records[_LYCEE].first("ENTStructureUAI") or ""
    wrong = "A" if uai[-1] != "A" else "B"
    change(_LYCEE, ENTStructureUAI=(uai[:-1] + wrong,), ENTEtablissementUAI=(uai[:-1] + wrong,))
    change("2003", ENTPersonDateNaissance=("31/02/2013",))
    change("2004", ENTElevePersRelEleve=("3004$10$1$1$1$1", "3999$20$0$1$0$0"))
    change("3005", ENTAuxPersRelEleveEleve=())  # 2005 names 3005, 3005 does not name 2005
    change("2006", ENTEleveClasses=(f"{_LYCEE}$1Z9",))
    change("2008", ENTPersonDateNaissance=("04/04/1950",))
    change("4007", ENTPersonStructRattach=("9999",))
    change("4006", ENTPersonProfils=("National_XXX",))
    change("2007", ENTEleveClasses=("TG1",))
    change("3007", ENTAuxPersRelEleveEleve=("2008", "2999"))
    extra = [
        AafRecord(
            "PersEducNat",
            "4001",
            {**records["4001"].attributes, "givenName": ("Claire-Marie",)},
            rdn="pers-4001-bis",
        ),
        AafRecord(
            "Eleve",
            "2901",
            {
                **records["2001"].attributes,
                "ENTPersonJointure": ("2901",),
                "ENTElevePersRelEleve": (),
            },
        ),
        AafRecord(
            "EtabEducNat",
            "1003",
            {
                "ENTStructureJointure": ("1003",),
                "ENTStructureNomCourant": ("CIO$CENTRE D'INFORMATION$LYON",),
                "ENTStructureTypeStruct": ("CIO",),
            },
        ),
    ]
    return [*records.values(), *extra], dict(INJECTED_DEFECTS)


# --- AAF files -----------------------------------------------------------------------------


def read_aaf_records(folder: Path, *, max_records: int = 5_000_000) -> list[AafRecord]:
    """The structures and persons an AAF export in ``folder`` adds, ready to load.

    Reads every ``addRequest`` of the structure and person families (all attributes) with
    the streaming reader of :mod:`sdet_check.aaf.feed`; modify and delete requests, and the
    nomenclature families, are not directory entries and are left out.
    """
    requests = feed.read_feed(
        feed.feed_files(folder), None, max_records=max_records, deadline=math.inf
    )
    return [
        AafRecord(
            request.family,
            request.identifier,
            {name: tuple(values) for name, values in request.attributes.items()},
        )
        for request in requests
        if request.operation == "add" and request.identifier
    ]


AAF_DOCTYPE = '<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">'
"""The document type line every AAF file carries (the DTD itself is not needed to read)."""


def write_aaf_files(
    records: Iterable[AafRecord],
    folder: Path,
    *,
    prefix: str = "ENT_Complet_20250901",
    encoding: str = "UTF-8",
) -> list[Path]:
    """Write ``records`` as a full AAF export: one ``<prefix>_<Family>_0000.xml`` per family.

    Each record becomes an ``addRequest`` (``categorieStructure`` or ``categoriePersonne``,
    ``identifier/id``, ``attributes/attr/value``). Returns the files written, in name order.
    """
    folder.mkdir(parents=True, exist_ok=True)
    roots: dict[str, etree._Element] = {}
    for record in records:
        root = roots.setdefault(record.category, etree.Element("ficAlimMENESR"))
        request = etree.SubElement(root, "addRequest")
        operational = etree.SubElement(request, "operationalAttributes")
        category = "categorieStructure" if record.category == "EtabEducNat" else "categoriePersonne"
        kind = etree.SubElement(operational, "attr", name=category)
        etree.SubElement(kind, "value").text = record.category
        etree.SubElement(etree.SubElement(request, "identifier"), "id").text = record.identifier
        attributes = etree.SubElement(request, "attributes")
        for name, values in record.attributes.items():
            holder = etree.SubElement(attributes, "attr", name=name)
            for value in values or ("",):
                etree.SubElement(holder, "value").text = value
    written = []
    for category, root in sorted(roots.items()):
        path = folder / f"{prefix}_{category}_0000.xml"
        document = etree.tostring(
            root, xml_declaration=True, encoding=encoding, doctype=AAF_DOCTYPE, pretty_print=True
        )
        path.write_bytes(document if isinstance(document, bytes) else document.encode(encoding))
        written.append(path)
    return written
