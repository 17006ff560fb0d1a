"""``export.gar``: the five GAR-ENT provisioning files, against an XSD and the AAF feed.

The link records (a person in a group, a MEF, a subject) must name persons and groups the
files declare. The files (``export.gar.path``, a folder) are recognised by their root element
(``GAR-ENT-Etab``, ``-Eleve``, ``-Enseignant``, ``-Groupe``, ``-RespAff``; several files of a
kind are allowed, as when an ENT splits them), parsed as hostile XML and validated with lxml
against ``export.gar.xsd`` when the target passes the GAR's published schema, else against
the schema sdet-check writes from the public description (``schemas/gar-ent.xsd``, loaded
with the namespace of each file: second or first degree). Mandatory fields must also be
filled (not blank).

Then the cross-check with the AAF feed the annuaire is loaded from (the target's ``aaf``
section): every UAI the files name is a structure of the feed; every pupil, teacher and
resource manager is a person of the feed (matched on surname and first name), attached to
the same establishment (``GARPersonEtab``), with the same national profile; and the GAR
identifier is not the AAF join key (the GAR expects the ENT's own opaque identifier).
Persons are cited by their GAR identifier and rank, never by name.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from lxml import etree

from probes.export.common import Findings, export_section
from sdet_check.aaf import feed
from sdet_check.messages import msg
from sdet_check.probe import (
    BadParams,
    NotTestable,
    Outcome,
    Probe,
    ProbeContext,
    ProbeError,
    validated_params,
)
from sdet_check.sdet_model import FUNCTION_PROFILES, national_profile
from sdet_check.xmlsafe import parse_hostile_xml

_MASK_VALUE = re.compile(r"The value '[^']*'")
"""XSD messages quote the offending value (a name, a date): evidence shows the rule only."""

NS_2D = "http://data.education.fr/ns/gar"
"""Namespace of second-degree GAR files."""

NS_1D = "http://data.education.fr/ns/gar/1d"
"""Namespace of first-degree GAR files."""

FILE_KINDS = ("Etab", "Eleve", "Enseignant", "Groupe", "RespAff")
"""The five GAR-ENT files, by the suffix of their root element."""

MAX_GAR_FILE_BYTES = 256 * 1024 * 1024
"""Largest GAR file read (ENTs split theirs every few thousand records)."""

FILLED = (
    "GARPersonIdentifiant",
    "GARPersonNom",
    "GARPersonPrenom",
    "GARPersonProfil",
    "GARStructureUAI",
    "GARStructureNomCourant",
    "GARGroupeCode",
    "GARGroupeLibelle",
    "GARGroupeStatut",
)
"""Mandatory fields that must hold a value, not only be present."""

PERSON_RECORDS: Mapping[str, tuple[str, ...]] = {
    "GAREleve": ("Eleve",),
    "GAREnseignant": ("PersEducNat",),
    "GARRespAff": ("PersEducNat",),
}
"""GAR person records → the AAF families their persons come from."""


def own_schema(namespace: str) -> etree.XMLSchema:
    """The schema sdet-check ships, for the files of ``namespace`` (second or first degree)."""
    text = resources.files("probes.export").joinpath("schemas/gar-ent.xsd").read_bytes()
    if namespace == NS_1D:
        text = text.replace(f'{NS_2D}"'.encode(), f'{NS_1D}"'.encode())
    return etree.XMLSchema(etree.fromstring(text, _schema_parser()))


def load_schema(path: Path) -> etree.XMLSchema:
    """An XSD the user passes; :class:`BadParams` when it is not a usable schema."""
    try:
        return etree.XMLSchema(etree.parse(str(path), _schema_parser()))
    except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise BadParams(msg("export.gar.load_schema.bad_params", path=path, exc=exc)) from exc


def _schema_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@dataclass
class GarFiles:
    """The GAR files of a folder, parsed, by kind."""

    documents: dict[str, list[tuple[Path, etree._Element]]] = field(default_factory=dict)

    def records(self, local: str) -> Iterable[tuple[Path, int, etree._Element]]:
        """Every record element named ``local`` (any namespace): file, rank, element."""
        for files in self.documents.values():
            for path, root in files:
                rank = 0
                for child in root:
                    if isinstance(child.tag, str) and etree.QName(child).localname == local:
                        rank += 1
                        yield path, rank, child


def read_gar_files(folder: Path, findings: Findings) -> GarFiles:
    """Parse every ``*.xml`` of ``folder`` whose root is a GAR-ENT file."""
    if not folder.is_dir():
        raise NotTestable(msg("export.gar.read_gar_files.untestable", folder=folder))
    found = GarFiles()
    for path in sorted(folder.glob("*.xml")):
        root = parse_hostile_xml(
            findings.read(path, "fichier GAR", MAX_GAR_FILE_BYTES),
            what=msg("core.what.gar_file", name=path.name),
            max_bytes=MAX_GAR_FILE_BYTES,
        )
        name = etree.QName(root).localname
        if name.startswith("GAR-ENT-") and name[8:] in FILE_KINDS:
            found.documents.setdefault(name[8:], []).append((path, root))
    for kind in FILE_KINDS:
        if kind not in found.documents:
            findings.problem(
                folder.name or str(folder),
                "dossier",
                "GAR-FILES",
                msg("export.gar.read_gar_files.problem", kind=kind),
            )
    return found


def schema_findings(
    files: GarFiles, findings: Findings, user_schema: etree.XMLSchema | None
) -> None:
    """Validate each file against the user's schema or the project's, and filled fields."""
    own: dict[str, etree.XMLSchema] = {}
    for documents in files.documents.values():
        for path, root in documents:
            namespace = etree.QName(root).namespace or ""
            schema = user_schema
            if schema is None:
                if namespace not in (NS_2D, NS_1D):
                    findings.problem(
                        path,
                        "racine",
                        "GAR-XSD",
                        msg("export.gar.schema_findings.problem", namespace=f"{namespace!r}"),
                    )
                    continue
                schema = own.setdefault(namespace, own_schema(namespace))
            if not schema.validate(etree.ElementTree(root)):
                log: Iterable[Any] = schema.error_log  # type: ignore[assignment]
                for error in itertools.islice(log, 10):
                    message = _MASK_VALUE.sub("The value (masquée)", error.message)
                    findings.problem(path, f"ligne {error.line}", "GAR-XSD", message[:200])
            for element in root.iter(etree.Element):
                local = etree.QName(element).localname
                if local in FILLED and not (element.text or "").strip():
                    findings.problem(
                        path,
                        f"ligne {element.sourceline}",
                        "GAR-FILLED",
                        msg("export.gar.schema_findings.problem_2", local=local),
                    )


LINK_RECORDS = (
    "GARPersonGroupe",
    "GAREnsGroupeMatiere",
    "GAREnsClasseMatiere",
    "GARPersonMEF",
    "GARPersonMEFSTAT4",
    "GAREleveEnseignement",
)
"""Records linking a person (and maybe a group) of the files: both must be declared."""


def link_findings(files: GarFiles, findings: Findings) -> None:
    """Every person and group a link record names is declared in the files."""
    persons = {
        _child_text(record, "GARPersonIdentifiant")
        for local in ("GAREleve", "GAREnseignant")
        for _path, _rank, record in files.records(local)
    }
    groups = {
        (_child_text(record, "GARGroupeCode"), _child_text(record, "GARStructureUAI"))
        for _path, _rank, record in files.records("GARGroupe")
    }
    for local in LINK_RECORDS:
        for path, rank, record in files.records(local):
            place = f"{local} n° {rank}"
            if _child_text(record, "GARPersonIdentifiant") not in persons:
                findings.problem(
                    path, place, "GAR-XREF-LINK", msg("export.gar.link_findings.problem")
                )
            code = _child_text(record, "GARGroupeCode")
            if code and (code, _child_text(record, "GARStructureUAI")) not in groups:
                findings.problem(
                    path,
                    place,
                    "GAR-XREF-LINK",
                    msg("export.gar.link_findings.problem_2", code=code),
                )


def _child_text(record: etree._Element, name: str) -> str:
    found = record.find(f"{{{etree.QName(record).namespace}}}{name}")
    return (found.text or "").strip() if found is not None else ""


@dataclass(frozen=True)
class FeedPerson:
    """A person of the AAF feed: join key, family, UAIs of attachment, national profiles."""

    key: str
    family: str
    uais: frozenset[str]
    profiles: frozenset[str]


def feed_people(aaf_folder: Path) -> tuple[set[str], dict[tuple[str, str], list[FeedPerson]]]:
    """The UAIs of the feed's structures and its persons by (surname, first name)."""
    try:
        records = list(
            feed.read_feed(
                feed.feed_files(aaf_folder), None, max_records=5_000_000, deadline=math.inf
            )
        )
    except (feed.FeedError, feed.FeedBoundReached, OSError) as exc:
        raise ProbeError(
            msg("export.gar.feed_people.error", aaf_folder=aaf_folder, exc=exc)
        ) from exc
    uai_of: dict[str, str] = {}
    for record in records:
        if record.family == "EtabEducNat" and record.operation == "add":
            uai = next(iter(record.attributes.get("ENTStructureUAI", ())), "")
            if uai:
                uai_of[record.identifier] = uai
    people: dict[tuple[str, str], list[FeedPerson]] = {}
    for record in records:
        if record.family == "EtabEducNat" or record.operation != "add":
            continue
        values = record.attributes
        name = (_fold(_first(values, "sn")), _fold(_first(values, "givenName")))
        uais = frozenset(
            uai_of[ident] for ident in values.get("ENTPersonStructRattach", ()) if ident in uai_of
        )
        profiles = _profiles(record.family, values)
        person = FeedPerson(record.identifier, record.family, uais, profiles)
        people.setdefault(name, []).append(person)
    return set(uai_of.values()), people


def _first(values: Mapping[str, Any], name: str) -> str:
    return str(next(iter(values.get(name, ())), ""))


def _fold(text: str) -> str:
    bare = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(bare.upper().split())


def _profiles(family: str, values: Mapping[str, Any]) -> frozenset[str]:
    given = [national_profile(value) for value in values.get("ENTPersonProfils", ()) if value]
    if any(given):
        return frozenset(code for code in given if code)
    if family == "Eleve":
        return frozenset({"National_ELV"})
    if family == "PersRelEleve":
        return frozenset({"National_TUT"})
    codes = set()
    for function in values.get("ENTPersonFonctions", ()):
        parts = str(function).split("$")
        if len(parts) > 1 and parts[1] in FUNCTION_PROFILES:
            codes.add(FUNCTION_PROFILES[parts[1]])
    return frozenset(codes)


def cross_findings(files: GarFiles, aaf_folder: Path, findings: Findings) -> None:
    """Cross-check the GAR files with the AAF feed in ``aaf_folder``."""
    uais, people = feed_people(aaf_folder)
    for local in ("GARStructureUAI", "GARPersonEtab", "GARRespAffEtab"):
        for documents in files.documents.values():
            for path, root in documents:
                for element in root.iter(f"{{{etree.QName(root).namespace}}}{local}"):
                    value = (element.text or "").strip()
                    if value and value not in uais:
                        findings.problem(
                            path,
                            f"ligne {element.sourceline}",
                            "GAR-XREF-UAI",
                            msg("export.gar.cross_findings.problem", value=value),
                        )
    checked = 0
    for local, families in PERSON_RECORDS.items():
        for path, rank, record in files.records(local):
            checked += 1
            _cross_person(path, rank, local, record, families, people, findings)
    findings.observe(
        msg(
            "export.gar.cross_findings.observe",
            name=aaf_folder.name,
            checked=checked,
            count=len(uais),
        ),
        persons=checked,
        structures=len(uais),
    )


def _cross_person(
    path: Path,
    rank: int,
    local: str,
    record: etree._Element,
    families: tuple[str, ...],
    people: Mapping[tuple[str, str], list[FeedPerson]],
    findings: Findings,
) -> None:
    def text(name: str) -> str:
        found = record.find(f"{{{etree.QName(record).namespace}}}{name}")
        return (found.text or "").strip() if found is not None else ""

    def values(name: str) -> list[etree._Element]:
        return record.findall(f"{{{etree.QName(record).namespace}}}{name}")

    identifier = text("GARPersonIdentifiant")
    place = f"{local} n° {rank} (identifiant {identifier[:64]})"
    candidates = [
        person
        for person in people.get((_fold(text("GARPersonNom")), _fold(text("GARPersonPrenom"))), [])
        if person.family in families
    ]
    if not candidates:
        findings.problem(path, place, "GAR-XREF-PERSON", msg("export.gar.cross_person.problem"))
        return
    etabs = {(element.text or "").strip() for element in values("GARPersonEtab")}
    etabs |= {(element.text or "").strip() for element in values("GARRespAffEtab")}
    person = next((p for p in candidates if etabs <= p.uais or not p.uais), candidates[0])
    if any(identifier == p.key for p in candidates):
        findings.problem(
            path,
            place,
            "GAR-ID",
            msg("export.gar.cross_person.problem_2"),
        )
    if person.uais and not etabs <= person.uais:
        findings.problem(path, place, "GAR-XREF-ETAB", msg("export.gar.cross_person.problem_3"))
    for profiles in values("GARPersonProfils"):
        code = "".join(
            (child.text or "").strip()
            for child in profiles
            if isinstance(child.tag, str) and etree.QName(child).localname == "GARPersonProfil"
        )
        national = national_profile(code)
        if person.profiles and national not in person.profiles:
            findings.problem(
                path,
                place,
                "GAR-XREF-PROFILE",
                msg(
                    "export.gar.cross_person.problem_4",
                    code=code,
                    sorted=", ".join(sorted(person.profiles)),
                ),
            )


class GarFilesProbe(Probe):
    """The five GAR-ENT files validate, are filled, and agree with the annuaire's feed."""

    kind: ClassVar[str] = "export.gar"
    title: ClassVar[str] = "Fichiers d'alimentation du GAR : XSD, champs obligatoires, annuaire"
    needs: ClassVar[tuple[str, ...]] = ("export",)

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Validate and cross-check the GAR files; see the module docstring."""
        validated_params(self, params)
        gar_sso = context.target.section("saml").get("gar")
        if isinstance(gar_sso, Mapping) and gar_sso.get("connected") is False:
            return Outcome.not_applicable(msg("export.gar.gar_files_probe.na"))
        section = export_section(context)
        if not section.gar.get("path"):
            raise NotTestable(msg("export.gar.gar_files_probe.untestable"))
        folder = section.folder / str(section.gar["path"])
        user_xsd = section.gar.get("xsd")
        schema = load_schema(section.folder / str(user_xsd)) if user_xsd else None
        findings = Findings()
        files = read_gar_files(folder, findings)
        schema_findings(files, findings, schema)
        link_findings(files, findings)
        findings.observe(
            msg(
                "export.gar.gar_files_probe.observe",
                value=str(user_xsd) if user_xsd else msg("export.gar.own_schema"),
            ),
            xsd=str(user_xsd or "probes/export/schemas/gar-ent.xsd"),
        )
        aaf = context.target.section("aaf").get("path")
        if aaf:
            cross_findings(files, context.target.path(str(aaf)), findings)
        else:
            findings.observe(msg("export.gar.gar_files_probe.observe_2"))
        return findings.outcome(
            msg("export.gar.gar_files_probe.outcome"),
            msg("export.gar.gar_files_probe.outcome_2"),
        )
