"""The reference ENT's exports: what each demo account can take away, and its GAR files.

:func:`write_exports` writes, for three accounts of the reference population (two pupils
of different classes and a teacher), the files an ENT's export feature hands out — a
calendar (iCalendar), an address book (vCard 4.0), a table with its Table Schema (CSV,
UTF-8) and a full archive (ZIP) holding them with a few documents and a ``manifest.json``
of SHA-256 checksums — and the five GAR-ENT files of the annuaire (:func:`write_gar_files`).
It returns the target's ``export`` section, with the items each account is known to hold,
so that the ``export`` probes check completeness and the absence of other accounts' data.

Every file is built from the population of :mod:`sdet_check.demo.annuaire`; everything is
invented. ``variant`` injects one defect of :data:`EXPORT_VARIANTS`, each meant to fail
exactly one requirement.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from sdet_check.demo.annuaire import AafRecord
from sdet_check.demo.ldap import profiles_of

EXPORT_VARIANTS: dict[str, tuple[str, str]] = {
    "ical_invalide": ("EXP-FMT-001", "événement sans DTSTAMP et à la date illisible"),
    "fuite_autre_eleve": ("EXP-FMT-001", "l'agenda d'un élève contient un événement d'un autre"),
    "vcard_sans_fn": ("EXP-FMT-002", "fiche vCard sans FN"),
    "csv_sans_schema": ("EXP-FMT-003", "CSV livré sans son Table Schema"),
    "csv_latin1": ("EXP-FMT-003", "CSV encodé en ISO-8859-1"),
    "archive_sans_manifeste": ("EXP-ARCH-001", "archive sans manifest.json"),
    "archive_chemin_hostile": ("EXP-ARCH-001", "membre « ../ » dans l'archive"),
    "service_sans_export": ("INT-IMPEX-001", "un compte sans export de contacts"),
    "gar_champ_manquant": ("SSO-GAR-002", "élève GAR sans GARPersonNom"),
    "gar_uai_inconnue": ("SSO-GAR-002", "établissement GAR d'une UAI inconnue de l'annuaire"),
    "gar_profil_divergent": ("SSO-GAR-002", "enseignant GAR au profil élève"),
}
"""Broken variants: name → (the requirement it fails, what is injected)."""

GAR_NS = {"2d": "http://data.education.fr/ns/gar", "1d": "http://data.education.fr/ns/gar/1d"}
"""GAR namespaces by degree."""

_GAR_VERSION = {"2d": "1.7", "1d": "1.4"}
_GAR_PROFILE = {
    "National_ELV": "National_elv",
    "National_ENS": "National_ens",
    "National_DOC": "National_doc",
    "National_DIR": "National_dir",
    "National_EVS": "National_evs",
    "National_ETA": "National_eta",
}

EXPORT_ACCOUNTS = ("2001", "2003", "4001")
"""AAF identifiers of the accounts whose exports the demo writes (two pupils, a teacher)."""


@dataclass(frozen=True)
class AccountData:
    """What one account holds in the reference ENT."""

    login: str
    events: tuple[tuple[str, str, str], ...]
    """(title, start, rule): start ``YYYYMMDD`` (all day) or ``YYYYMMDDTHHMMSSZ``."""
    contacts: tuple[tuple[str, str, str], ...]
    """(surname, first name, e-mail)."""
    rows: tuple[tuple[str, str, str], ...]
    """(date, subject, title) of the account's table."""
    documents: tuple[str, ...]


def account_data(records: Sequence[AafRecord]) -> list[AccountData]:
    """The data of each account of :data:`EXPORT_ACCOUNTS`, from the population."""
    by_id = {record.identifier: record for record in records}
    data = []
    for login in EXPORT_ACCOUNTS:
        person = by_id[login]
        given, surname = person.first("givenName") or "", person.first("sn") or ""
        events: tuple[tuple[str, str, str], ...]
        rows: tuple[tuple[str, str, str], ...]
        documents: tuple[str, ...]
        if person.category == "Eleve":
            klass = (person.first("ENTEleveClasses") or "$").split("$")[1]
            relatives = [
                by_id[link.split("$")[0]] for link in person.attributes["ENTElevePersRelEleve"]
            ]
            contacts = tuple(
                (r.first("sn") or "", r.first("givenName") or "", r.first("mail") or "")
                for r in relatives
            )
            events = (
                (f"Sortie au musée ({given} {klass})", "20270115T083000Z", ""),
                (f"Club lecture de {given}", "20270112T150000Z", "FREQ=WEEKLY;COUNT=10"),
                (f"Journée portes ouvertes {klass}", "20270320", ""),
            )
            rows = (
                ("2027-01-11", "Mathématiques", f"Contrôle de {given} : les fractions"),
                ("2027-01-18", "Histoire", f"Exposé de {given} : les volcans"),
            )
            documents = (f"expose-{login}.txt", f"carnet-{login}.txt")
        else:
            staff = [
                r
                for r in records
                if r.category == "PersEducNat" and r.identifier != login and r.first("mail")
            ]
            contacts = tuple(
                (r.first("sn") or "", r.first("givenName") or "", r.first("mail") or "")
                for r in staff[:3]
            )
            events = (
                (f"Conseil pédagogique ({surname})", "20270114T160000Z", ""),
                ("Réunion parents-professeurs 6A", "20270121T170000Z", ""),
            )
            rows = (("2027-01-11", "6A", "Séance 12 : la Révolution française"),)
            documents = (f"progression-{login}.txt",)
        data.append(AccountData(login, events, contacts, rows, documents))
    return data


def calendar_text(account: AccountData, *, broken: bool = False) -> str:
    """The account's calendar, iCalendar 2.0 (CRLF lines)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//sdet-check//ENT de demonstration//FR"]
    for rank, (title, start, rule) in enumerate(account.events, start=1):
        lines += ["BEGIN:VEVENT", f"UID:{account.login}-{rank}@ent-demo.invalid"]
        if not (broken and rank == 1):
            lines.append("DTSTAMP:20261201T080000Z")
        if broken and rank == 1:
            lines.append("DTSTART:lundi prochain")
        elif len(start) == 8:
            lines.append(f"DTSTART;VALUE=DATE:{start}")
        else:
            lines.append(f"DTSTART:{start}")
        if rule:
            lines.append(f"RRULE:{rule}")
        lines += [f"SUMMARY:{_escape(title)}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def vcard_text(account: AccountData, *, broken: bool = False) -> str:
    """The account's contacts, vCard 4.0."""
    cards = []
    for rank, (surname, given, mail) in enumerate(account.contacts, start=1):
        lines = ["BEGIN:VCARD", "VERSION:4.0"]
        if not (broken and rank == len(account.contacts)):
            lines.append(f"FN:{_escape(given)} {_escape(surname)}")
        lines += [f"N:{_escape(surname)};{_escape(given)};;;", f"EMAIL:{mail}", "END:VCARD"]
        cards.append("\r\n".join(lines))
    return "\r\n".join(cards) + "\r\n"


TABLE_SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "date", "type": "date", "description": "Date de la séance ou de l'évaluation"},
        {"name": "rubrique", "type": "string", "description": "Matière ou classe"},
        {"name": "intitule", "type": "string", "description": "Intitulé"},
    ],
    "primaryKey": ["date", "intitule"],
}
"""Table Schema of the demo's tabular exports."""


def table_text(account: AccountData) -> str:
    """The account's table, CSV with a header line."""
    lines = ["date,rubrique,intitule"]
    lines += [",".join(_csv(cell) for cell in row) for row in account.rows]
    return "\r\n".join(lines) + "\r\n"


def _csv(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\r\n') else cell


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")


def archive_bytes(members: Mapping[str, bytes], *, manifest: bool = True) -> bytes:
    """A ZIP of ``members`` with a ``manifest.json`` listing each with format and SHA-256."""
    formats = {
        ".ics": "text/calendar",
        ".vcf": "text/vcard",
        ".csv": "text/csv",
        ".json": "application/schema+json",
        ".txt": "text/plain",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        entries = []
        for name, content in members.items():
            archive.writestr(name, content)
            suffix = name[name.rfind(".") :]
            entries.append(
                {
                    "path": name,
                    "format": formats.get(suffix, "application/octet-stream"),
                    "sha256": hashlib.sha256(content).hexdigest(),
                    "size": len(content),
                }
            )
        if manifest:
            document = {"format": "sdet-check-export/1", "files": entries}
            archive.writestr("manifest.json", json.dumps(document, indent=2))
    return buffer.getvalue()


def write_exports(
    folder: Path,
    records: Sequence[AafRecord],
    *,
    variant: str | None = None,
    gar_degree: str = "2d",
) -> dict[str, Any]:
    """Write every account's exports and the GAR files in ``folder``; return ``export``.

    Paths in the returned section are relative to ``folder``'s parent (where the demo
    writes its target file).
    """
    if variant is not None and variant not in EXPORT_VARIANTS:
        raise ValueError(f"unknown export variant {variant!r}")
    folder.mkdir(parents=True, exist_ok=True)
    accounts = account_data(records)
    if variant == "fuite_autre_eleve":
        stolen = accounts[1].events[0]
        accounts[0] = AccountData(
            accounts[0].login,
            (*accounts[0].events, stolen),
            accounts[0].contacts,
            accounts[0].rows,
            accounts[0].documents,
        )
    entries = []
    for rank, account in enumerate(accounts):
        first = rank == 0
        home = folder / account.login
        home.mkdir(exist_ok=True)
        calendar = calendar_text(account, broken=first and variant == "ical_invalide")
        contacts = vcard_text(account, broken=first and variant == "vcard_sans_fn")
        table = table_text(account)
        encoding = "iso-8859-1" if first and variant == "csv_latin1" else "utf-8"
        files = {
            "agenda.ics": calendar.encode(),
            "contacts.vcf": contacts.encode(),
            "tableau.csv": table.encode(encoding),
            "tableau.schema.json": json.dumps(TABLE_SCHEMA, ensure_ascii=False).encode(),
        }
        for name, content in files.items():
            (home / name).write_bytes(content)
        members = {**files}
        for document in account.documents:
            members[f"documents/{document}"] = f"Document {document}\n".encode()
        if first and variant == "archive_chemin_hostile":
            members["../../hors-archive.txt"] = b"ecrit hors du dossier d'extraction\n"
        (home / "archive.zip").write_bytes(
            archive_bytes(members, manifest=not (first and variant == "archive_sans_manifeste"))
        )
        entry: dict[str, Any] = {
            "login": account.login,
            "calendar": f"{account.login}/agenda.ics",
            "contacts": f"{account.login}/contacts.vcf",
            "table": f"{account.login}/tableau.csv",
            "table_schema": f"{account.login}/tableau.schema.json",
            "archive": f"{account.login}/archive.zip",
            "known": {
                "events": [account.events[0][0]],
                "contacts": [f"{account.contacts[0][1]} {account.contacts[0][0]}"],
                "rows": [account.rows[0][2]],
                "documents": [account.documents[0]],
            },
        }
        if first and variant == "csv_sans_schema":
            del entry["table_schema"]
        if rank == 2 and variant == "service_sans_export":
            del entry["contacts"]
        entries.append(entry)
    write_gar_files(records, folder / "gar", variant=variant, degree=gar_degree)
    return {
        "path": folder.name,
        "services": ["agenda", "contacts", "listes", "documents"],
        "accounts": entries,
        "gar": {"path": "gar"},
    }


def gar_identifier(record: AafRecord) -> str:
    """The opaque identifier the ENT gives a person towards the GAR (never the join key)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://ent-demo.invalid/{record.identifier}"))


def write_gar_files(
    records: Sequence[AafRecord], folder: Path, *, variant: str | None = None, degree: str = "2d"
) -> list[Path]:
    """The five GAR-ENT files of the population, in ``folder``; returns them."""
    ns = GAR_NS[degree]
    folder.mkdir(parents=True, exist_ok=True)
    uai_of = {
        r.identifier: r.first("ENTStructureUAI") or ""
        for r in records
        if r.category == "EtabEducNat"
    }
    roots = {kind: _root(ns, kind, degree) for kind in ("Etab", "Eleve", "Enseignant", "Groupe")}
    roots["RespAff"] = _root(ns, "RespAff", degree)
    for record in records:
        if record.category == "EtabEducNat":
            etab = _sub(ns, roots["Etab"], "GAREtab")
            _text(ns, etab, "GARStructureUAI", uai_of[record.identifier])
            name = (record.first("ENTStructureNomCourant") or "$").split("$")[1]
            _text(ns, etab, "GARStructureNomCourant", name)
    if variant == "gar_uai_inconnue":
        etab = _sub(ns, roots["Etab"], "GAREtab")
        _text(ns, etab, "GARStructureUAI", "0999999Z")
        _text(ns, etab, "GARStructureNomCourant", "ECOLE INCONNUE")
    groups: set[tuple[str, str]] = set()
    members: list[tuple[str, str, str]] = []
    missing_name_done = False
    for record in records:
        if record.category not in ("Eleve", "PersEducNat"):
            continue
        uai = uai_of.get(record.first("ENTPersonStructRattach") or "", "")
        profiles = profiles_of(record)
        if record.category == "Eleve":
            person = _sub(ns, roots["Eleve"], "GAREleve")
            codes = ["National_elv"]
            drop_name = variant == "gar_champ_manquant" and not missing_name_done
            missing_name_done = True
        elif "National_DIR" in profiles:
            manager = _sub(ns, roots["RespAff"], "GARRespAff")
            _text(ns, manager, "GARPersonIdentifiant", gar_identifier(record))
            _text(ns, manager, "GARPersonNom", record.first("sn") or "")
            _text(ns, manager, "GARPersonPrenom", record.first("givenName") or "")
            _text(ns, manager, "GARPersonMail", record.first("mail") or "")
            _text(ns, manager, "GARRespAffEtab", uai)
            continue
        elif {"National_ENS", "National_DOC"} & set(profiles):
            person = _sub(ns, roots["Enseignant"], "GAREnseignant")
            codes = [_GAR_PROFILE[p] for p in profiles if p in _GAR_PROFILE]
            if variant == "gar_profil_divergent" and record.identifier == "4001":
                codes = ["National_elv"]
            drop_name = False
        else:
            continue
        _text(ns, person, "GARPersonIdentifiant", gar_identifier(record))
        for code in codes:
            held = _sub(ns, person, "GARPersonProfils")
            _text(ns, held, "GARStructureUAI", uai)
            _text(ns, held, "GARPersonProfil", code)
        if not drop_name:
            _text(ns, person, "GARPersonNom", record.first("sn") or "")
        _text(ns, person, "GARPersonPrenom", record.first("givenName") or "")
        _text(ns, person, "GARPersonAutresPrenoms", record.first("givenName") or "")
        _text(ns, person, "GARPersonEtab", uai)
        classes = record.attributes.get("ENTEleveClasses") or record.attributes.get(
            "ENTAuxEnsClasses", ()
        )
        for value in classes:
            structure, _, klass = value.partition("$")
            groups.add((uai_of.get(structure, uai), klass))
            if record.category == "Eleve":
                members.append((uai_of.get(structure, uai), gar_identifier(record), klass))
    for uai, klass in sorted(groups):
        group = _sub(ns, roots["Groupe"], "GARGroupe")
        _text(ns, group, "GARGroupeCode", klass)
        _text(ns, group, "GARStructureUAI", uai)
        _text(ns, group, "GARGroupeLibelle", f"Classe {klass}")
        _text(ns, group, "GARGroupeStatut", "DIVISION")
    for uai, member, klass in members:
        link = _sub(ns, roots["Groupe"], "GARPersonGroupe")
        _text(ns, link, "GARStructureUAI", uai)
        _text(ns, link, "GARPersonIdentifiant", member)
        _text(ns, link, "GARGroupeCode", klass)
    written = []
    for kind, root in roots.items():
        path = folder / f"ENTDEMO_GAR-ENT_Complet_20270101_000000_{kind}_0000.xml"
        path.write_bytes(
            etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        )
        written.append(path)
    return written


def _root(ns: str, kind: str, degree: str) -> etree._Element:
    root = etree.Element(f"{{{ns}}}GAR-ENT-{kind}", nsmap={"men": ns})
    root.set("Version", _GAR_VERSION[degree])
    return root


def _sub(ns: str, parent: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{ns}}}{name}")


def _text(ns: str, parent: etree._Element, name: str, value: str) -> None:
    _sub(ns, parent, name).text = value
