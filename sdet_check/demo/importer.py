r"""The reference ENT's AAF importer: Complet and Delta files applied to the demo annuaire.

It does what an ENT's feeder does with the académie's export: it recognises the files by
their name (``<prefix>_(Complet|Delta)_<yyyymmdd>_<Family>_<NNNN>.xml``), refuses a file
declaring a format version it does not know or breaking the DTD (none of its requests is
applied), reads each file in the encoding its declaration gives, applies ``addRequest``,
``modifyRequest`` (``replace``) and ``deleteRequest``, takes a ``Complet`` family as the
reference state (what it imported before and the Complet no longer carries is removed),
refuses a structure whose UAI check letter is wrong, drops a date that does not exist,
derives the national profile of staff from their function code, the guardians' list of
pupils from the pupils' composite links and the pupils' MEF label from the MEF file, and
maps first-degree names (``ENTPersonNom``, ``ENTPersonPrenom``). Entries are written with
:func:`sdet_check.demo.ldap.to_entry`, as the demo's population is.

What it imported is kept in a state file (the feeder's own database), so that a later
Complet knows what to remove and a modification what to change; entries it did not import
are never touched. :data:`FLAWS` are the broken importers, each wrong on one point and
failing exactly the requirements it lists.

Command line (what a target's ``aaf.import.command`` runs)::

    python -m sdet_check.demo.importer --url ldap://127.0.0.1:PORT --bind-dn DN \\
        --password-env VAR [--ca-file CA] [--no-starttls] --state DIR [--flaw NAME] FOLDER
"""

from __future__ import annotations

import argparse
import json
import os
import re
import ssl
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ldap3
from lxml import etree

from sdet_check.aaf.dtd import BUILTIN_DTD, DtdOrigin, load_dtd
from sdet_check.aaf.families import PROCESSING_ORDER, Family
from sdet_check.demo.annuaire import CATEGORIES, AafRecord
from sdet_check.demo.ldap import ADMIN_DN, BASE_DN, SlapdServer, to_entry
from sdet_check.sdet_model import parse_date, uai_problem

FLAWS: dict[str, tuple[str, frozenset[str]]] = {
    "ignore_suppressions": (
        "ignore les suppressions (deleteRequest et absents d'un Complet)",
        frozenset({"DIR-AAF-002", "DIR-AAF-015"}),
    ),
    "iso_lu_en_utf8": (
        "lit les fichiers ISO-8859-15 comme de l'UTF-8",
        frozenset({"DIR-AAF-011"}),
    ),
    "uai_invalide_acceptee": (
        "accepte une structure dont la lettre clé de l'UAI est fausse",
        frozenset({"DIR-AAF-013"}),
    ),
    "jointure_perdue": (
        "recrée le compte sous une nouvelle clé quand le nom change",
        frozenset({"DIR-AAF-004"}),
    ),
    "sans_profil_par_fonction": (
        "ne déduit pas le profil du code de fonction (enseignant ou non, rien d'autre)",
        frozenset({"DIR-PROF-002"}),
    ),
    "fichier_mal_nomme_ignore": (
        "ignore en silence un fichier dont le nom n'est pas celui d'un fichier AAF",
        frozenset({"DIR-AAF-010"}),
    ),
    "delta_comme_complet": (
        "traite un Delta comme un Complet (retire ce que le Delta ne cite pas)",
        frozenset({"DIR-AAF-015"}),
    ),
}
"""Broken importers: name → (French description, requirements the scenario must fail)."""

SUPPORTED_VERSIONS = frozenset(f"Annexe 4bis version 6.{minor}" for minor in range(5))
"""``versionSDET`` values the importer knows (6.0 to 6.4)."""

STATE_FILE = "etat-import.json"
"""The importer's own database in its state folder."""

_NAME = re.compile(
    r"^(?P<prefix>[A-Za-z0-9]+)_(?P<kind>Complet|Delta)_(?P<day>[0-9]{8})_"
    r"(?P<family>[A-Za-z]+)_(?P<chunk>[0-9]{4})\.xml$"
)
_VERSION = re.compile(r'versionSDET="([^"]*)"')
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_OPERATIONS = {"addRequest": "add", "modifyRequest": "modify", "deleteRequest": "delete"}
_ENTRY_FAMILIES = frozenset(CATEGORIES)


class ImportFailed(RuntimeError):
    """The import could not run (annuaire unreachable, state unreadable)."""


@dataclass
class ImportReport:
    """What one import did: counts and the French lines an operator reads."""

    applied: int = 0
    lines: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        """Add a line to the report."""
        self.lines.append(line)


@dataclass(frozen=True)
class _Request:
    operation: str
    key: str
    attributes: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class _File:
    path: Path
    kind: str
    family: Family


class AafImporter:
    """Applies AAF folders to an annuaire through a bound ldap3 connection with write access."""

    def __init__(
        self,
        connection: ldap3.Connection,
        state_dir: Path,
        *,
        flaw: str | None = None,
        base_dn: str = BASE_DN,
    ) -> None:
        """Use ``connection``; keep the feeder's state in ``state_dir``; behave as ``flaw``."""
        if flaw is not None and flaw not in FLAWS:
            raise ValueError(f"défaut inconnu {flaw!r} (connus : {', '.join(FLAWS)})")
        self.connection = connection
        self.state_file = state_dir / STATE_FILE
        self.flaw = flaw
        self.base_dn = base_dn
        self._dtd = load_dtd(BUILTIN_DTD, DtdOrigin.BUILTIN).dtd

    # --- state ----------------------------------------------------------------------------

    def _load(self) -> dict[str, dict[str, dict[str, tuple[str, ...]]]]:
        if not self.state_file.is_file():
            return {family.value: {} for family in Family}
        try:
            raw = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ImportFailed(f"état d'import illisible ({self.state_file}) : {exc}") from exc
        return {
            family.value: {
                key: {name: tuple(values) for name, values in attributes.items()}
                for key, attributes in raw.get(family.value, {}).items()
            }
            for family in Family
        }

    def _save(self, state: Mapping[str, Mapping[str, Mapping[str, tuple[str, ...]]]]) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        serialisable = {
            family: {key: {n: list(v) for n, v in attrs.items()} for key, attrs in records.items()}
            for family, records in state.items()
        }
        self.state_file.write_text(
            json.dumps(serialisable, ensure_ascii=False, indent=1), encoding="utf-8"
        )

    # --- import ---------------------------------------------------------------------------

    def import_folder(self, folder: Path) -> ImportReport:
        """Import every AAF file of ``folder``; return what was done."""
        report = ImportReport()
        files = self._files(folder, report)
        before = self._load()
        state = {family: dict(records) for family, records in before.items()}
        complete: dict[Family, set[str]] = {}
        spoiled: set[Family] = set()
        for file in files:
            requests = self._read(file.path, report)
            if requests is None:
                spoiled.add(file.family)
                continue
            records = state[file.family.value]
            seen = complete.setdefault(file.family, set()) if file.kind == "Complet" else None
            for request in requests:
                key = self._apply(file, request, records, report)
                if seen is not None and key is not None:
                    seen.add(key)
        for family, seen in complete.items():
            if family in spoiled:
                report.say(f"{family.value} : export complet incomplet, aucun absent retiré")
                continue
            gone = sorted(set(state[family.value]) - seen)
            if gone and self.flaw == "ignore_suppressions":
                continue
            for key in gone:
                del state[family.value][key]
                report.say(f"{family.value} {key} : absent de l'export complet, retiré")
        self._synchronise(before, state, report)
        self._save(state)
        return report

    def _files(self, folder: Path, report: ImportReport) -> list[_File]:
        files = []
        for path in sorted(folder.glob("*.xml")):
            found = _NAME.match(path.name)
            family = found and next(
                (family for family in Family if family.value == found["family"]), None
            )
            if not found or family is None:
                if self.flaw != "fichier_mal_nomme_ignore":
                    report.say(f"{path.name} : nom de fichier AAF non reconnu, fichier non traité")
                continue
            kind = "Complet" if self.flaw == "delta_comme_complet" else found["kind"]
            files.append(_File(path, kind, family))
        order = {family: index for index, family in enumerate(PROCESSING_ORDER)}
        return sorted(files, key=lambda file: (order[file.family], file.path.name))

    def _read(self, path: Path, report: ImportReport) -> list[_Request] | None:
        """The requests of one file, or ``None`` when the file is refused as a whole."""
        data = path.read_bytes()
        head = data[:4096].decode("latin-1")
        version = _VERSION.search(head)
        if version and version.group(1) not in SUPPORTED_VERSIONS:
            report.say(f"{path.name} : version de format « {version.group(1)} » non prise en "
                       "charge, fichier refusé")  # fmt: skip
            return None
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
        )
        try:
            if self.flaw == "iso_lu_en_utf8":
                text = _DECLARATION.sub("", data.decode("utf-8", errors="replace"), count=1)
                root = etree.fromstring(text, parser)
            else:
                root = etree.fromstring(data, parser)
        except etree.XMLSyntaxError as exc:
            report.say(f"{path.name} : XML illisible ({exc}), fichier refusé")
            return None
        if not self._dtd.validate(root):
            first = next(iter(self._dtd.error_log), None)  # type: ignore[call-overload]
            report.say(f"{path.name} : contraire à la DTD ({first}), fichier refusé")
            return None
        requests = []
        for element in root:
            if not isinstance(element.tag, str):
                continue
            key = (element.findtext("identifier/id") or "").strip()
            holder = "attributes/attr" if element.tag == "addRequest" else "modifications/*"
            attributes = {
                str(attr.get("name")): tuple(value.text or "" for value in attr.iter("value"))
                for attr in element.iterfind(holder)
            }
            requests.append(_Request(_OPERATIONS[element.tag], key, attributes))
        return requests

    def _apply(
        self,
        file: _File,
        request: _Request,
        records: dict[str, dict[str, tuple[str, ...]]],
        report: ImportReport,
    ) -> str | None:
        """Apply one request to the state; return the key it leaves in the state, if any."""
        where = f"{file.path.name}, {request.key}"
        if request.operation == "delete":
            if self.flaw == "ignore_suppressions":
                return request.key if request.key in records else None
            if records.pop(request.key, None) is None:
                report.say(f"{where} : suppression d'un enregistrement inconnu")
            report.applied += 1
            return None
        attributes = self._cleaned(file.family, request.attributes, where, report)
        if attributes is None:
            return None
        if request.operation == "add":
            records[request.key] = attributes
            report.applied += 1
            return request.key
        current = records.get(request.key)
        if current is None:
            report.say(f"{where} : modification d'un enregistrement inconnu, ignorée")
            return None
        renamed = "sn" in attributes and attributes["sn"] != current.get("sn")
        updated = {**current, **attributes}
        report.applied += 1
        if renamed and self.flaw == "jointure_perdue" and file.family.is_person:
            del records[request.key]
            new_key = f"N{request.key}"
            records[new_key] = {**updated, "ENTPersonJointure": (new_key,)}
            return new_key
        records[request.key] = updated
        return request.key

    def _cleaned(
        self,
        family: Family,
        attributes: Mapping[str, tuple[str, ...]],
        where: str,
        report: ImportReport,
    ) -> dict[str, tuple[str, ...]] | None:
        """The attributes to keep; ``None`` when the record is refused."""
        kept = dict(attributes)
        if family is Family.ETAB and self.flaw != "uai_invalide_acceptee":
            for uai in kept.get("ENTStructureUAI", ()):
                if problem := uai_problem(uai):
                    report.say(f"{where} : UAI refusée ({problem}), structure non importée")
                    return None
        for name in ("ENTPersonDateNaissance",):
            for value in kept.get(name, ()):
                try:
                    parse_date(value)
                except ValueError as exc:
                    report.say(f"{where} : {name} rejetée ({exc})")
                    kept.pop(name)
                    break
        return kept

    # --- the annuaire ---------------------------------------------------------------------

    def _entries(
        self, state: Mapping[str, Mapping[str, Mapping[str, tuple[str, ...]]]]
    ) -> dict[str, tuple[str, dict[str, list[str]]]]:
        """The directory entry of every imported structure and person, by family and key."""
        mef = {
            key: attributes.get("ENTLibelleMef", ("",))[0]
            for key, attributes in state[Family.MEF.value].items()
        }
        children: dict[str, list[str]] = {}
        for pupil, attributes in state[Family.ELEVE.value].items():
            for link in attributes.get("ENTElevePersRelEleve", ()):
                relative = link.split("$", 1)[0]
                if relative:
                    children.setdefault(relative, []).append(pupil)
        entries = {}
        for family_name, records in state.items():
            if family_name not in _ENTRY_FAMILIES:
                continue
            for key, attributes in records.items():
                values = dict(attributes)
                if family_name == Family.ELEVE.value:
                    labels = [mef[code] for code in values.get("ENTEleveMEF", ()) if mef.get(code)]
                    if labels:
                        values["ENTEleveLibelleMEF"] = tuple(labels)
                if family_name == Family.PERS_REL.value:
                    values["ENTAuxPersRelEleveEleve"] = tuple(children.get(key, ()))
                if family_name != Family.ETAB.value:
                    values.setdefault("sn", values.get("ENTPersonNom", ()))
                    values.setdefault("givenName", values.get("ENTPersonPrenom", ()))
                if (
                    family_name == Family.PERS_EDUC.value
                    and self.flaw == "sans_profil_par_fonction"
                ):
                    teacher = values.get("ENTPersonCategorieEnseignant", ("N",))[0] == "O"
                    values["ENTPersonProfils"] = ("National_ENS" if teacher else "National_ETA",)
                record = AafRecord(family_name, key, values)
                entries[f"{family_name}/{key}"] = to_entry(record, self.base_dn)
        return entries

    def _synchronise(
        self,
        before: Mapping[str, Mapping[str, Mapping[str, tuple[str, ...]]]],
        after: Mapping[str, Mapping[str, Mapping[str, tuple[str, ...]]]],
        report: ImportReport,
    ) -> None:
        old, new = self._entries(before), self._entries(after)
        connection = self.connection
        # Structures first when adding, last when deleting.
        for name in sorted(set(old) - set(new), key=lambda n: n.startswith("EtabEducNat")):
            if not connection.delete(old[name][0]):
                report.say(f"{name} : suppression refusée par l'annuaire ({connection.result})")
        for name in sorted(new, key=lambda n: not n.startswith("EtabEducNat")):
            dn, attributes = new[name]
            previous = old.get(name)
            if previous is not None and previous[0] != dn:
                connection.delete(previous[0])
                previous = None
            if previous is None:
                if not connection.add(dn, attributes=attributes) and not self._replace(
                    dn, {}, attributes
                ):
                    report.say(f"{name} : ajout refusé par l'annuaire ({connection.result})")
                continue
            if previous[1] != attributes and not self._replace(dn, previous[1], attributes):
                report.say(f"{name} : modification refusée par l'annuaire ({connection.result})")

    def _replace(
        self, dn: str, old: Mapping[str, Sequence[str]], new: Mapping[str, Sequence[str]]
    ) -> bool:
        changes: dict[str, list[tuple[Any, list[str]]]] = {}
        for name, values in new.items():
            if name != "objectClass" and list(old.get(name, ())) != list(values):
                changes[name] = [(ldap3.MODIFY_REPLACE, list(values))]
        for name in old:
            if name not in new:
                changes[name] = [(ldap3.MODIFY_REPLACE, [])]
        return not changes or bool(self.connection.modify(dn, changes))


# --- the target's view ----------------------------------------------------------------------


PACKAGE_ROOT = Path(__file__).resolve().parents[2]
"""The folder holding the ``sdet_check`` package this importer belongs to."""


def import_section(
    server: SlapdServer,
    state_dir: Path,
    *,
    admin_password_env: str,
    audit_password_env: str,
    flaw: str | None = None,
) -> dict[str, Any]:
    """The ``aaf.import`` section of a target whose ENT imports into ``server`` with this importer.

    The command runs this module with the current interpreter, from :data:`PACKAGE_ROOT` (so
    that it is this copy of the package that runs), as the directory manager whose password
    the command finds in ``admin_password_env``; the scenario reads the annuaire back with
    the audit account (``audit_password_env``).
    """
    command = [
        sys.executable, "-m", "sdet_check.demo.importer", "--url", server.ldap_url,
        "--bind-dn", ADMIN_DN, "--password-env", admin_password_env,
        "--state", str(state_dir.resolve()),
    ]  # fmt: skip
    if server.ca_file is not None:
        command += ["--ca-file", str(server.ca_file.resolve())]
    else:
        command.append("--no-starttls")
    if flaw is not None:
        command += ["--flaw", flaw]
    command.append("{folder}")
    return {
        "command": command,
        "workdir": str(PACKAGE_ROOT),
        "password_env": admin_password_env,
        "timeout_s": 60,
        "ldap": server.target_section(audit_password_env),
    }


# --- command line --------------------------------------------------------------------------


def _connection(arguments: argparse.Namespace) -> ldap3.Connection:
    password = os.environ.get(arguments.password_env, "")
    if not password:
        raise ImportFailed(f"variable d'environnement {arguments.password_env} absente")
    tls = None
    if arguments.ca_file:
        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=arguments.ca_file)
    server = ldap3.Server(arguments.url, get_info=ldap3.NONE, tls=tls, connect_timeout=10)
    connection = ldap3.Connection(
        server, user=arguments.bind_dn, password=password, receive_timeout=30
    )
    try:
        connection.open()
        if arguments.starttls:
            connection.start_tls()
        if not connection.bind():
            raise ImportFailed(f"liaison refusée : {connection.result}")
    except ldap3.core.exceptions.LDAPException as exc:
        raise ImportFailed(f"annuaire injoignable ({arguments.url}) : {exc}") from exc
    return connection


def main(argv: Iterable[str] | None = None) -> int:
    """Import one folder; print the report; 0 when done, 2 when the import could not run."""
    parser = argparse.ArgumentParser(
        prog="python -m sdet_check.demo.importer", description="Importeur AAF de l'ENT de démo"
    )
    parser.add_argument("folder", type=Path)
    parser.add_argument("--url", required=True)
    parser.add_argument("--bind-dn", required=True)
    parser.add_argument("--password-env", required=True)
    parser.add_argument("--ca-file")
    parser.add_argument("--no-starttls", dest="starttls", action="store_false")
    parser.add_argument("--base-dn", default=BASE_DN)
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--flaw", choices=sorted(FLAWS))
    arguments = parser.parse_args(None if argv is None else list(argv))
    try:
        connection = _connection(arguments)
        try:
            importer = AafImporter(
                connection, arguments.state, flaw=arguments.flaw, base_dn=arguments.base_dn
            )
            report = importer.import_folder(arguments.folder)
        finally:
            connection.unbind()
    except ImportFailed as exc:
        print(f"import impossible : {exc}", file=sys.stderr)
        return 2
    print(f"{report.applied} requête(s) appliquée(s)")
    for line in report.lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
