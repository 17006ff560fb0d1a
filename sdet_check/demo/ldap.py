"""The local reference annuaire: OpenLDAP slapd with the project's ENT schema, on loopback.

It plays the target of the ``ldap`` probe family in tests, in the benchmark and in
``sdet-check demo``. :class:`SlapdServer` writes a throw-away old-style ``slapd.conf`` in a
temporary folder (the Debian schemas ``core``, ``cosine``, ``inetorgperson``, ``nis`` and the
project's own ``schema/ent.schema``), an ``mdb`` database for ``dc=ent,dc=test``, TLS from the
test PKI, listens on ephemeral ports of 127.0.0.1 (``ldap://`` and ``ldaps://``), loads its
population, and stops by the pid in its pidfile. :class:`SlapdConfig` chooses the access
rules and the data, so that one directory is conformant and others are broken on exactly the
points the probes check (:data:`VARIANTS`).

Population goes through :func:`populate` (ldap3, online) or :func:`write_ldif` + ``slapadd``
(offline, for large sets); both take :class:`~sdet_check.demo.annuaire.AafRecord` values,
so that AAF files can feed the directory later.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import ldap3
import yaml
from ldap3.utils.dn import escape_rdn

from sdet_check.demo.annuaire import AafRecord, defective_population, reference_population
from sdet_check.demo.peer import Peer, free_port
from sdet_check.demo.pki import ensure_pki
from sdet_check.messages import msg, text
from sdet_check.sdet_model import FUNCTION_PROFILES

SLAPD = Path("/usr/sbin/slapd")
"""The Debian ``slapd`` binary."""
SLAPADD = Path("/usr/sbin/slapadd")
"""The Debian ``slapadd`` binary (offline loading)."""
SYSTEM_SCHEMA_DIR = Path("/etc/ldap/schema")
"""Where Debian installs the standard schemas."""
MODULE_DIR = Path("/usr/lib/ldap")
"""Where Debian installs slapd's backend modules."""
ENT_SCHEMA = Path(__file__).resolve().parent / "schema" / "ent.schema"
"""The project's own minimal annuaire ENT schema (OIDs under a UUID arc, ITU-T X.667)."""

BASE_DN = "dc=ent,dc=test"
"""Suffix of the reference directory."""
PEOPLE_DN = f"ou=people,{BASE_DN}"
"""Where persons live."""
STRUCTURES_DN = f"ou=structures,{BASE_DN}"
"""Where structures (schools) live."""
AUDIT_DN = f"cn=audit,ou=services,{BASE_DN}"
"""The read-only service account an audit binds with."""
ADMIN_DN = f"cn=admin,{BASE_DN}"
"""The directory manager (``rootdn``), used only to load data."""

_STANDARD_SCHEMAS = ("core", "cosine", "inetorgperson", "nis")
_START_TIMEOUT_S = 15.0
_STOP_TIMEOUT_S = 10.0
_DATA_VARIANTS = ("conformant", "defects", "empty")


def slapd_available() -> bool:
    """Tell whether the Debian slapd, slapadd and standard schemas are installed."""
    return (
        SLAPD.is_file()
        and SLAPADD.is_file()
        and all((SYSTEM_SCHEMA_DIR / f"{name}.schema").is_file() for name in _STANDARD_SCHEMAS)
    )


@dataclass(frozen=True)
class SlapdConfig:
    """What the reference directory does, one field per behaviour a probe observes."""

    anonymous_read: bool = False
    """An anonymous connection may read every entry, people included (else: nothing)."""
    tls: bool = True
    """TLS configured: a ``ldaps://`` listener and StartTLS on ``ldap://``."""
    clear_bind: bool = False
    """Simple binds accepted without TLS (else ``security simple_bind=128``)."""
    ent_schema: bool = True
    """The ENT schema is loaded (without it, only the empty tree can be loaded)."""
    data: str = "conformant"
    """Population: ``conformant``, ``defects`` (one of each data defect) or ``empty``."""

    def __post_init__(self) -> None:
        """Refuse combinations the directory cannot hold."""
        if self.data not in _DATA_VARIANTS:
            raise ValueError(f"data must be one of {', '.join(_DATA_VARIANTS)}")
        if not self.ent_schema and self.data != "empty":
            raise ValueError("without the ENT schema the directory can only be empty")

    def records(self) -> list[AafRecord]:
        """The population this configuration loads."""
        if self.data == "conformant":
            return reference_population()
        if self.data == "defects":
            return defective_population()[0]
        return []


VARIANTS: dict[str, SlapdConfig] = {
    "conforme": SlapdConfig(),
    "lecture_anonyme": SlapdConfig(anonymous_read=True),
    "sans_tls": SlapdConfig(tls=False),
    "liaison_en_clair": SlapdConfig(clear_bind=True),
    "sans_schema_ent": SlapdConfig(ent_schema=False, data="empty"),
    "donnees_defectueuses": SlapdConfig(data="defects"),
}
"""The conformant directory and each broken variant, by French name."""


class SlapdError(RuntimeError):
    """slapd could not be configured, started, loaded or stopped."""


@dataclass
class SlapdServer(Peer):
    """A throw-away slapd on 127.0.0.1, configured and loaded as the module docstring says.

    Example::

        with SlapdServer(SlapdConfig(), pki_dir) as directory:
            directory.ldap_url, directory.ldaps_url, directory.audit_password
    """

    config: SlapdConfig = field(default_factory=SlapdConfig)
    pki_dir: Path | None = None
    """Folder of the test PKI (reused or created); a private one when ``None``."""
    records: Sequence[AafRecord] | None = field(default=None, repr=False)
    """Population to load instead of the configuration's."""
    bulk: bool = False
    """Load with ``slapadd`` before starting (fast, for large sets) instead of ldap3."""
    logins: Mapping[str, str] = field(default_factory=dict, repr=False)
    """AAF identifiers of the persons who can log in (bind) with their password (see
    :func:`with_logins`)."""

    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(18), repr=False)
    """Password of the directory manager (random per server)."""
    audit_password: str = field(default_factory=lambda: secrets.token_urlsafe(18), repr=False)
    """Password of the read-only audit account (random per server)."""
    folder: Path | None = field(default=None, init=False)
    port: int = field(default=0, init=False)
    tls_port: int | None = field(default=None, init=False)
    ca_file: Path | None = field(default=None, init=False)
    loaded: int = field(default=0, init=False)
    """Number of population entries loaded."""
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    # --- addresses ------------------------------------------------------------------------

    @property
    def ldap_url(self) -> str:
        """``ldap://127.0.0.1:<port>`` (StartTLS offered when TLS is configured)."""
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str | None:
        """``ldaps://127.0.0.1:<port>``, or ``None`` without TLS."""
        return f"ldaps://127.0.0.1:{self.tls_port}" if self.tls_port else None

    @property
    def base_dn(self) -> str:
        """The directory suffix."""
        return BASE_DN

    # --- life cycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Write the configuration, load the data, start slapd and wait until it answers."""
        if self._process is not None:
            raise SlapdError("slapd already started")
        if not slapd_available():
            raise SlapdError(msg("demo.slapd.not_found", path=SLAPD))
        self.folder = Path(tempfile.mkdtemp(prefix="sdet-slapd-"))
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        assert self.folder is not None
        (self.folder / "db").mkdir()
        if self.config.tls:
            pki = ensure_pki(self.pki_dir or self.folder / "pki")
            self.ca_file = pki.ca_file
            tls_files = (pki.cert_file, pki.key_file, pki.ca_file)
        else:
            tls_files = None
        conf = self.folder / "slapd.conf"
        conf.write_text(_slapd_conf(self.config, self.folder, tls_files, self), encoding="utf-8")

        records = list(self.config.records() if self.records is None else self.records)
        if self.logins:
            records = with_logins(records, self.logins)
        skeleton = self.folder / "skeleton.ldif"
        write_ldif(skeleton, _skeleton_entries(self.audit_password))
        self._slapadd(conf, skeleton)
        if self.bulk and records:
            bulk = self.folder / "population.ldif"
            self.loaded = write_ldif(bulk, iter_entries(records))
            self._slapadd(conf, bulk)
            bulk.unlink()

        self.port = free_port()
        urls = [self.ldap_url + "/"]
        if self.config.tls:
            self.tls_port = free_port()
            urls.append(f"ldaps://127.0.0.1:{self.tls_port}/")
        log = (self.folder / "slapd.log").open("wb")
        # In the foreground (-d 0) so that startup errors reach the log and the process is ours.
        self._process = subprocess.Popen(
            [str(SLAPD), "-f", str(conf), "-h", " ".join(urls), "-d", "0"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        self._wait_ready()
        if records and not self.bulk:
            with self.admin_connection() as connection:
                self.loaded = populate(connection, records)

    def _slapadd(self, conf: Path, ldif: Path) -> None:
        failures = []
        # NOTE: one retry; a rare, not yet explained slapadd failure was seen once under a
        # heavily loaded full test run. Both messages are kept if the retry fails too.
        for _attempt in range(2):
            done = subprocess.run(
                [str(SLAPADD), "-q", "-f", str(conf), "-l", str(ldif)],
                capture_output=True,
                check=False,
                timeout=600,
            )
            if done.returncode == 0:
                return
            failures.append(
                f"({done.returncode}) " + done.stderr.decode("utf-8", "replace")[-2000:]
            )
            time.sleep(0.5)
        then = text("demo.slapd.then")
        raise SlapdError(msg("demo.slapd.slapadd_failed", failures=then.join(failures)))

    def _wait_ready(self) -> None:
        assert self._process is not None and self.folder is not None
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log = (self.folder / "slapd.log").read_text("utf-8", "replace")[-2000:]
                raise SlapdError(msg("demo.slapd.stopped", log=log))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    if (self.folder / "slapd.pid").is_file():
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise SlapdError(msg("demo.slapd.no_answer", seconds=f"{_START_TIMEOUT_S:g}"))

    def stop(self) -> None:
        """Stop slapd (SIGTERM to the pid of its pidfile, SIGKILL if it lingers), clean up."""
        process, self._process = self._process, None
        if process is not None:
            pid = self._pid()
            if pid != process.pid:  # the pidfile must name our child: never signal another
                pid = process.pid
            if process.poll() is None:
                os.kill(pid, signal.SIGTERM)
                try:
                    process.wait(_STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    os.kill(pid, signal.SIGKILL)
                    process.wait(_STOP_TIMEOUT_S)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def _pid(self) -> int | None:
        if self.folder is None:
            return None
        try:
            return int((self.folder / "slapd.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    # --- clients --------------------------------------------------------------------------

    def tls_settings(self) -> ldap3.Tls | None:
        """ldap3 TLS settings trusting the test CA, or ``None`` without TLS."""
        if self.ca_file is None:
            return None
        return ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(self.ca_file))

    def admin_connection(self) -> ldap3.Connection:
        """A bound ldap3 connection as the directory manager (over StartTLS when available)."""
        server = ldap3.Server(self.ldap_url, get_info=ldap3.NONE, tls=self.tls_settings())
        connection = ldap3.Connection(
            server,
            user=ADMIN_DN,
            password=self.admin_password,
            receive_timeout=30,
            raise_exceptions=True,
        )
        connection.open()
        if self.config.tls:
            connection.start_tls()
        connection.bind()
        return connection

    def target_section(self, password_env: str) -> dict[str, Any]:
        """The ``ldap`` section of a target file describing this directory."""
        section: dict[str, Any] = {
            "url": self.ldap_url,
            "base_dn": BASE_DN,
            "bind_dn": AUDIT_DN,
            "password_env": password_env,
            "starttls": self.config.tls,
        }
        if self.ca_file is not None:
            section["ca_file"] = str(self.ca_file.resolve())
        return section


def write_target(
    path: Path, server: SlapdServer, password_env: str, name: str = "Annuaire de démonstration"
) -> Path:
    """Write a target file (format 1) whose ``ldap`` section describes ``server``."""
    data = {
        "format": 1,
        "name": name,
        "description": "Annuaire ENT de référence local de sdet-check (slapd, données fictives).",
        "ldap": server.target_section(password_env),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# --- configuration -------------------------------------------------------------------------


def _slapd_conf(
    config: SlapdConfig,
    folder: Path,
    tls_files: tuple[Path, Path, Path] | None,
    server: SlapdServer,
) -> str:
    schemas = [SYSTEM_SCHEMA_DIR / f"{name}.schema" for name in _STANDARD_SCHEMAS]
    if config.ent_schema:
        schemas.append(ENT_SCHEMA)
    lines = [f'include "{schema}"' for schema in schemas]
    lines += [
        f'pidfile "{folder / "slapd.pid"}"',
        f'argsfile "{folder / "slapd.args"}"',
        f'modulepath "{MODULE_DIR}"',
        "moduleload back_mdb",
    ]
    if tls_files is not None:
        cert, key, ca = tls_files
        lines += [
            f'TLSCertificateFile "{cert}"',
            f'TLSCertificateKeyFile "{key}"',
            f'TLSCACertificateFile "{ca}"',
        ]
        if not config.clear_bind:
            lines.append("security simple_bind=128")
    people_readers = "by * read" if config.anonymous_read else f'by dn.exact="{AUDIT_DN}" read'
    other_readers = "by * read" if config.anonymous_read else "by users read"
    lines += [
        'access to dn.base="" by * read',
        'access to dn.base="cn=Subschema" by * read',
        # A user may change its password, never read its hash (a CAS bound as the user would).
        "access to attrs=userPassword by self =wx by anonymous auth by * none",
        f'access to dn.subtree="{PEOPLE_DN}" {people_readers} by self read by * none',
        f"access to * {other_readers} by * none",
        "database mdb",
        f'suffix "{BASE_DN}"',
        f'rootdn "{ADMIN_DN}"',
        f"rootpw {ssha(server.admin_password)}",
        f'directory "{folder / "db"}"',
        # The audit account must see the whole tree: no size limit on its paged searches.
        f'limits dn.exact="{AUDIT_DN}" size=unlimited time=unlimited',
        "maxsize 1073741824",
        "index objectClass eq",
    ]
    if config.ent_schema:
        lines.append("index ENTPersonJointure,ENTStructureJointure,ENTStructureUAI eq")
    return "\n".join(lines) + "\n"


def ssha(password: str) -> str:
    """``{SSHA}`` hash of ``password`` (salted SHA-1, the form slapd reads in ``rootpw``)."""
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode("utf-8") + salt, usedforsecurity=False).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode("ascii")


def _skeleton_entries(audit_password: str) -> list[tuple[str, dict[str, list[str]]]]:
    return [
        (BASE_DN, {"objectClass": ["dcObject", "organization"], "dc": ["ent"], "o": ["ENT"]}),
        (PEOPLE_DN, {"objectClass": ["organizationalUnit"], "ou": ["people"]}),
        (STRUCTURES_DN, {"objectClass": ["organizationalUnit"], "ou": ["structures"]}),
        (f"ou=services,{BASE_DN}", {"objectClass": ["organizationalUnit"], "ou": ["services"]}),
        (
            AUDIT_DN,
            {
                "objectClass": ["applicationProcess", "simpleSecurityObject"],
                "cn": ["audit"],
                "userPassword": [ssha(audit_password)],
            },
        ),
    ]


# --- records → entries ---------------------------------------------------------------------


_PERSON_STANDARD = frozenset(
    {
        "sn", "givenName", "cn", "uid", "mail", "homePhone", "mobile", "telephoneNumber",
        "facsimileTelephoneNumber", "title", "displayName", "street", "postalCode", "l",
        "postOfficeBox", "userPassword",
    }
)  # fmt: skip
_STRUCTURE_STANDARD = frozenset(
    {"ou", "street", "postalCode", "l", "postOfficeBox", "telephoneNumber",
     "facsimileTelephoneNumber", "description"}
)  # fmt: skip
_RDN_PREFIX = {"Eleve": "eleve-", "PersRelEleve": "resp-", "PersEducNat": "pers-"}


@cache
def _schema_attributes() -> dict[str, frozenset[str]]:
    """MUST and MAY attributes of each object class of the project's ENT schema."""
    text = ENT_SCHEMA.read_text(encoding="utf-8")
    classes: dict[str, frozenset[str]] = {}
    for block in re.findall(r"^objectclass \((.*?)\)\s*\)\s*$", text, re.M | re.S):
        name = re.search(r"NAME '(\w+)'", block)
        if not name:
            continue
        names: set[str] = set()
        for part in re.findall(r"(?:MUST|MAY) \(([^)]*)", block):
            names.update(item.strip() for item in part.split("$") if item.strip())
        classes[name.group(1)] = frozenset(names)
    return classes


def _allowed(object_classes: Iterable[str], standard: frozenset[str]) -> dict[str, str]:
    """Allowed attribute names, by lower-case name."""
    schema = _schema_attributes()
    names = set(standard)
    for object_class in object_classes:
        names |= schema.get(object_class, frozenset())
    return {name.lower(): name for name in names}


def with_logins(records: Sequence[AafRecord], passwords: Mapping[str, str]) -> list[AafRecord]:
    """``records`` where the persons named in ``passwords`` (by AAF identifier) can log in.

    Such a person gets a ``userPassword`` (salted hash) and, as an ENT derives them when it
    imports the feed, its structures (a guardian's: its pupils') in ``ENTPersonStructRattach``
    and their UAI in ``ENTPersonStructRattachRNE``: what a CAS server bound to the directory
    releases to services. Unknown identifiers are refused.
    """
    uai = {
        record.identifier: record.first("ENTStructureUAI")
        for record in records
        if record.category == "EtabEducNat"
    }
    persons = {record.identifier: record for record in records if record.category != "EtabEducNat"}
    unknown = sorted(set(passwords) - set(persons))
    if unknown:
        raise SlapdError(msg("demo.slapd.unknown_accounts", accounts=unknown))
    enriched = []
    for record in records:
        password = passwords.get(record.identifier) if record.category != "EtabEducNat" else None
        if password is not None:
            attached = list(record.attributes.get("ENTPersonStructRattach", ()))
            # A guardian belongs to the schools of the pupils it is responsible for.
            for child in record.attributes.get("ENTAuxPersRelEleveEleve", ()):
                if child in persons:
                    attached += persons[child].attributes.get("ENTPersonStructRattach", ())
            structures = tuple(dict.fromkeys(attached))
            codes = tuple(code for key in structures if (code := uai.get(key)))
            record = record.with_values(
                userPassword=(ssha(password),),
                ENTPersonStructRattach=structures,
                ENTPersonStructRattachRNE=codes,
            )
        enriched.append(record)
    return enriched


def profiles_of(record: AafRecord) -> tuple[str, ...]:
    """National profiles of a person record: given, or derived from its category and functions."""
    if "ENTPersonProfils" in record.attributes:
        return tuple(value for value in record.attributes["ENTPersonProfils"] if value)
    if record.category == "Eleve":
        return ("National_ELV",)
    if record.category == "PersRelEleve":
        return ("National_TUT",)
    profiles: list[str] = []
    for function in record.attributes.get("ENTPersonFonctions", ()):
        fields = function.split("$")
        profile = FUNCTION_PROFILES.get(fields[1]) if len(fields) > 1 else None
        if profile and profile not in profiles:
            profiles.append(profile)
    if not profiles:
        teacher = record.first("ENTPersonCategorieEnseignant") == "O"
        profiles.append("National_ENS" if teacher else "National_ETA")
    return tuple(profiles)


def to_entry(record: AafRecord, base_dn: str = BASE_DN) -> tuple[str, dict[str, list[str]]]:
    """The directory entry (DN, attributes) of one AAF record.

    Object classes follow the category and profile; attributes the schema does not allow
    for these classes, and empty AAF values, are left out.
    """
    if record.category == "EtabEducNat":
        rdn = record.rdn or record.identifier
        classes = ["top", "organizationalUnit", "ENTStructure", "ENTEtablissement"]
        allowed = _allowed(classes, _STRUCTURE_STANDARD)
        attributes = _kept(record, allowed)
        attributes["ou"] = [rdn]
        attributes.setdefault("ENTStructureJointure", [record.identifier])
        return f"ou={escape_rdn(rdn)},ou=structures,{base_dn}", {
            "objectClass": classes,
            **attributes,
        }

    profiles = profiles_of(record)
    classes = ["top", "person", "organizationalPerson", "inetOrgPerson", "ENTPerson"]
    if record.category == "Eleve":
        classes.append("ENTEleve")
    elif record.category == "PersRelEleve":
        classes.append("ENTAuxPersRelEleve")
    elif {"National_ENS", "National_DOC"} & set(profiles):
        classes.append("ENTAuxEnseignant")
    else:
        classes.append("ENTAuxNonEnsEtab")
    rdn = record.rdn or _RDN_PREFIX[record.category] + record.identifier
    allowed = _allowed(classes, _PERSON_STANDARD)
    attributes = _kept(record, allowed)
    attributes.setdefault("ENTPersonJointure", [record.identifier])
    attributes.setdefault("sn", [record.identifier])
    given = attributes.get("givenName", [""])[0]
    attributes["cn"] = [f"{given} {attributes['sn'][0]}".strip()]
    attributes["uid"] = [rdn]
    attributes["ENTPersonLogin"] = [rdn]
    if profiles:
        attributes["ENTPersonProfils"] = list(profiles)
    else:
        attributes.pop("ENTPersonProfils", None)
    return f"uid={escape_rdn(rdn)},ou=people,{base_dn}", {"objectClass": classes, **attributes}


def _kept(record: AafRecord, allowed: dict[str, str]) -> dict[str, list[str]]:
    kept: dict[str, list[str]] = {}
    for name, values in record.attributes.items():
        canonical = allowed.get(name.lower())
        present = [value for value in values if value.strip()]
        if canonical and present:
            kept[canonical] = present
    return kept


def populate(connection: ldap3.Connection, records: Iterable[AafRecord]) -> int:
    """Add the entries of ``records`` through a bound ldap3 ``connection``; return how many.

    The connection needs write access (the directory manager). Structures are added
    before persons whatever the order of ``records``.
    """
    ordered = sorted(records, key=lambda record: record.category != "EtabEducNat")
    count = 0
    for record in ordered:
        dn, attributes = to_entry(record)
        if not connection.add(dn, attributes=attributes):
            raise SlapdError(msg("demo.slapd.add_refused", dn=dn, result=connection.result))
        count += 1
    return count


_SAFE_LDIF = re.compile(
    r"[\x01-\x09\x0b\x0c\x0e-\x1f\x21-\x39\x3b\x3d-\x7f][\x01-\x09\x0b\x0c\x0e-\x7f]*"
)


def write_ldif(path: Path, entries: Iterable[tuple[str, dict[str, list[str]]]]) -> int:
    """Write ``entries`` as LDIF (RFC 2849; base64 where a value needs it); return the count."""
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for dn, attributes in entries:
            out.write(_ldif_line("dn", dn))
            for name, values in attributes.items():
                for value in values:
                    out.write(_ldif_line(name, value))
            out.write("\n")
            count += 1
    return count


def _ldif_line(name: str, value: str) -> str:
    if value == "" or (_SAFE_LDIF.fullmatch(value) and not value.endswith(" ")):
        return f"{name}: {value}\n"
    return f"{name}:: {base64.b64encode(value.encode('utf-8')).decode('ascii')}\n"


def iter_entries(records: Iterable[AafRecord]) -> Iterator[tuple[str, dict[str, list[str]]]]:
    """The entries of ``records``, structures first (for LDIF files and ``slapadd``)."""
    ordered = sorted(records, key=lambda record: record.category != "EtabEducNat")
    return (to_entry(record) for record in ordered)
