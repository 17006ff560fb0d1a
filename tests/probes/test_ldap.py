"""The ldap probe family against real slapd directories (conformant and broken), no mocks.

Each variant of :data:`sdet_check.demo.ldap.VARIANTS` is started once for the module. Hostile
directories (silent, slow, oversized, malformed) are small scripted TCP servers: slapd cannot
be made to misbehave that way.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from probes import _ldap_wire as wire
from probes._ldap_audit import RULES
from probes._ldap_reconcile import add_months
from probes.ldap import (
    PROBES,
    LdapAnonymousRead,
    LdapBindSecurity,
    LdapDataModel,
    LdapReconcile,
    LdapRootDse,
    LdapSchema,
    LdapTls,
    _CollectorPause,
    _name_problem,
    _paris_today,
)
from sdet_check.aaf.feed import feed_files, read_feed
from sdet_check.api import RunRequest, evaluate
from sdet_check.demo.annuaire import (
    INJECTED_DEFECTS,
    AafRecord,
    reference_population,
    write_aaf_files,
)
from sdet_check.demo.ldap import (
    VARIANTS,
    SlapdConfig,
    SlapdServer,
    slapd_available,
    write_target,
)
from sdet_check.demo.pki import create_pki
from sdet_check.messages import current_language, set_language
from sdet_check.probe import (
    BadParams,
    Evidence,
    HostileResponse,
    NotTestable,
    Outcome,
    Probe,
    ProbeContext,
    ProbeError,
    ProbeTimeout,
    Status,
    TargetUnreachable,
)
from sdet_check.registry import ProbeRegistry
from sdet_check.sdet_model import make_uai
from sdet_check.selection import Selection
from sdet_check.target import load_target

# Skipped on a machine without slapd; in CI a missing slapd must fail, not pass as skipped.
pytestmark = pytest.mark.skipif(
    not slapd_available() and not os.environ.get("CI"),
    reason="slapd absent (paquets Debian slapd et ldap-utils)",
)

PASSWORD_ENV = "SDET_TEST_LDAP_PASSWORD"
ALL_RULES = {"rules": sorted(RULES)}
DIRECTORY_REQUIREMENTS = [f"DIR-LDAP-{n:03d}" for n in range(1, 11)]
DIRECTORY_PROBES = [
    probe for probe in PROBES if probe.kind not in ("ldap.reconcile", "ldap.import_scenario")
]
"""Probes that need only the ldap section (ldap.reconcile also needs an AAF feed; the import
scenario an importer, tests/probes/test_ldap_import.py)."""


# --- fixtures and helpers ---------------------------------------------------------------


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pki")


@pytest.fixture(scope="module")
def directories(pki_dir: Path) -> Iterator[dict[str, SlapdServer]]:
    started: dict[str, SlapdServer] = {}
    try:
        for name, config in VARIANTS.items():
            server = SlapdServer(config, pki_dir)
            server.start()
            started[name] = server
        yield started
    finally:
        for server in started.values():
            server.stop()


def context_for(
    server: SlapdServer,
    folder: Path,
    *,
    timeout: float = 5,
    deadline: float = 30,
    environ: dict[str, str] | None = None,
    **section: Any,
) -> ProbeContext:
    """A context on ``server``'s target file, its ldap section patched with ``section``."""
    file = write_target(folder / "target.yaml", server, PASSWORD_ENV)
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    for key, value in section.items():
        if value is None:
            data["ldap"].pop(key, None)
        else:
            data["ldap"][key] = value
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    env = {PASSWORD_ENV: server.audit_password, **(environ or {})}
    return ProbeContext(
        target=load_target(file, env),
        network_timeout=timeout,
        deadline=time.monotonic() + deadline,
    )


def hand_context(
    folder: Path, section: dict[str, Any], *, timeout: float = 1, deadline: float = 10
) -> ProbeContext:
    """A context on a hand-written ldap section (for scripted servers)."""
    file = folder / "target.yaml"
    data = {"format": 1, "name": "annuaire de test", "ldap": section}
    file.write_text(yaml.safe_dump(data), encoding="utf-8")
    return ProbeContext(
        target=load_target(file, {PASSWORD_ENV: "motdepasse"}),
        network_timeout=timeout,
        deadline=time.monotonic() + deadline,
    )


def run(probe: type[Probe], context: ProbeContext, **params: Any) -> Outcome:
    if probe is LdapDataModel and "rules" not in params:
        params.update(ALL_RULES)
    return probe().check(params, context)


def of_kind(evidence: tuple[Evidence, ...], kind: str) -> list[Evidence]:
    return [e for e in evidence if e.kind == kind]


def dump(evidence: tuple[Evidence, ...]) -> str:
    return json.dumps([e.to_json() for e in evidence], ensure_ascii=False)


def finding(outcome: Outcome, rule: str) -> dict[str, Any]:
    for piece in of_kind(outcome.evidence, "ldap_finding"):
        if piece.data["rule"] == rule:
            return dict(piece.data)
    raise AssertionError(f"no evidence for {rule}")


def personal_values() -> set[str]:
    """Names, birth dates and e-mails of every person of the reference population."""
    values: set[str] = set()
    for record in reference_population():
        if record.category == "EtabEducNat":
            continue
        for name in ("sn", "givenName", "ENTPersonDateNaissance", "mail"):
            values.update(record.attributes.get(name, ()))
    return values


# --- the conformant directory -----------------------------------------------------------


@pytest.mark.parametrize("probe", DIRECTORY_PROBES, ids=lambda probe: probe.kind)
def test_conformant_directory_passes(
    probe: type[Probe], directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    outcome = run(probe, context_for(directories["conforme"], tmp_path))
    assert outcome.status is Status.PASS, outcome.message
    assert outcome.evidence


def test_registry_finds_the_ldap_family() -> None:
    registry = ProbeRegistry.from_entry_points()
    assert {probe.kind for probe in PROBES} <= set(registry.kinds())
    assert all(registry.get(probe.kind) is probe for probe in PROBES)


def test_tls_evidence_names_the_certificate(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    outcome = run(LdapTls, context_for(directories["conforme"], tmp_path))
    (tls,) = of_kind(outcome.evidence, "tls")
    assert tls.data["method"] == "StartTLS"
    assert tls.data["version"] in ("TLSv1.2", "TLSv1.3")
    assert "127.0.0.1" in tls.data["certificate"]["subject_alt_names"]
    (advert,) = of_kind(outcome.evidence, "ldap_root_dse")
    assert advert.data["starttls_advertised"] is True
    (clear,) = of_kind(outcome.evidence, "ldap_bind")
    assert clear.data["result"] == "confidentialityRequired"


def test_ldaps_address_is_checked_too(directories: dict[str, SlapdServer], tmp_path: Path) -> None:
    server = directories["conforme"]
    context = context_for(server, tmp_path, url=server.ldaps_url)
    outcome = run(LdapTls, context)
    assert outcome.status is Status.PASS, outcome.message
    assert of_kind(outcome.evidence, "tls")[0].data["method"] == "LDAPS"
    assert run(LdapDataModel, context).status is Status.PASS


def test_root_dse_records_versions_and_controls(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    outcome = run(LdapRootDse, context_for(directories["conforme"], tmp_path))
    (root,) = of_kind(outcome.evidence, "ldap_root_dse")
    assert root.data["supportedldapversion"] == ["3"]
    assert "1.2.840.113556.1.4.319 (Paged results)" in root.data["supportedcontrol"]
    assert "pas de vendorName" in root.summary


def test_root_dse_fails_on_a_foreign_base(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    context = context_for(directories["conforme"], tmp_path, base_dn="dc=autre,dc=test")
    outcome = run(LdapRootDse, context)
    assert outcome.status is Status.FAIL
    assert "dc=autre,dc=test" in outcome.message


def test_schema_evidence_lists_the_ent_classes(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    outcome = run(LdapSchema, context_for(directories["conforme"], tmp_path))
    (schema,) = of_kind(outcome.evidence, "ldap_schema")
    found = {entry["name"]: entry for entry in schema.data["ent_classes_found"]}
    assert found["ENTPerson"]["kind"] == "STRUCTURAL"
    assert found["ENTPerson"]["must"] == ["ENTPersonJointure"]
    assert found["ENTAuxEnseignant"]["kind"] == "AUXILIARY"
    assert found["ENTPerson"]["oid"].startswith("2.25.")


def test_schema_fails_when_a_required_name_is_unknown(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    context = context_for(directories["conforme"], tmp_path)
    outcome = run(LdapSchema, context, attributes=["ENTPersonJointure", "ENTInexistant"])
    assert outcome.status is Status.FAIL
    assert "ENTInexistant" in outcome.message


def test_data_model_reads_every_entry_in_pages(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    context = context_for(directories["conforme"], tmp_path, page_size=4)
    outcome = run(LdapDataModel, context)
    assert outcome.status is Status.PASS, outcome.message
    (scan,) = of_kind(outcome.evidence, "ldap_scan")
    records = reference_population()
    assert scan.data["entries"] == len(records)
    per_search = Counter(record.category for record in records)
    # One paged search per kind of entry: structures, pupils, relatives, staff.
    assert scan.data["pages"] == sum(max(1, -(-count // 4)) for count in per_search.values())
    assert [search["kind"] for search in scan.data["searches"]] == [
        "structure",
        "pupil",
        "relative",
        "person",
    ]
    assert scan.data["server_paged"] is True
    assert scan.data["pupils"] == sum(r.category == "Eleve" for r in records)
    assert set(scan.data["profiles"]) <= {
        "National_ELV",
        "National_TUT",
        "National_ENS",
        "National_DOC",
        "National_DIR",
        "National_EVS",
        "National_ETA",
    }
    assert all(count == 0 for count in scan.data["findings"].values())


def test_one_scan_serves_every_data_model_probe_of_a_run(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    context = context_for(directories["donnees_defectueuses"], tmp_path)
    outcomes: list[Outcome] = []
    threads = [
        threading.Thread(
            target=lambda r=rule: outcomes.append(run(LdapDataModel, context, rules=[r]))
        )
        for rule in ("AAF-UAI-001", "AAF-KEY-001", "AAF-XREF-005", "AAF-DATE-001")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert len(outcomes) == 4
    scans = {id(of_kind(outcome.evidence, "ldap_scan")[0]) for outcome in outcomes}
    assert len(scans) == 1
    assert all(outcome.status is Status.FAIL for outcome in outcomes)


def test_max_entries_bounds_the_scan(directories: dict[str, SlapdServer], tmp_path: Path) -> None:
    context = context_for(directories["conforme"], tmp_path, page_size=2, max_entries=5)
    with pytest.raises(ProbeError, match="plus de 5 entrées") as raised:
        run(LdapDataModel, context)
    assert raised.value.evidence[0].data["entries"] <= 6


def test_data_model_needs_a_service_account(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    context = context_for(directories["conforme"], tmp_path, bind_dn=None)
    with pytest.raises(NotTestable, match="compte de service"):
        run(LdapDataModel, context)


def test_wrong_service_password_cannot_decide(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    context = context_for(
        directories["conforme"], tmp_path, environ={PASSWORD_ENV: "pas-le-bon-mot-de-passe"}
    )
    with pytest.raises(ProbeError, match="invalidCredentials"):
        run(LdapDataModel, context)


@pytest.mark.parametrize(
    "params",
    [{}, {"rules": []}, {"rules": ["AAF-NOPE-001"]}, {"rules": ["AAF-UAI-001"], "extra": 1}],
)
def test_data_model_refuses_bad_params(
    params: dict[str, Any], directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    with pytest.raises(BadParams):
        LdapDataModel().check(params, context_for(directories["conforme"], tmp_path))


# --- broken variants --------------------------------------------------------------------


def test_without_tls_starttls_is_refused(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    outcome = run(LdapTls, context_for(directories["sans_tls"], tmp_path))
    assert outcome.status is Status.FAIL
    assert "StartTLS refusé" in outcome.message
    (advert,) = of_kind(outcome.evidence, "ldap_root_dse")
    assert advert.data["starttls_advertised"] is False


def test_without_tls_password_binds_are_read_in_clear(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    outcome = run(LdapBindSecurity, context_for(directories["sans_tls"], tmp_path))
    assert outcome.status is Status.FAIL
    binds = {e.data["dn"]: e.data["result"] for e in of_kind(outcome.evidence, "ldap_bind")}
    assert "invalidCredentials" in binds.values()
    assert "unwillingToPerform" in binds.values()  # the unauthenticated bind is still refused


def test_clear_binds_accepted_fail_tls_and_bind_security(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    context = context_for(directories["liaison_en_clair"], tmp_path)
    tls = run(LdapTls, context)
    assert tls.status is Status.FAIL
    assert of_kind(tls.evidence, "tls"), "TLS itself works on this variant"
    assert "en clair" in tls.message
    assert run(LdapTls, context, refuse_clear_bind=False).status is Status.PASS
    assert run(LdapBindSecurity, context).status is Status.FAIL


def test_anonymous_read_fails_with_pseudonymised_evidence(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    outcome = run(LdapAnonymousRead, context_for(directories["lecture_anonyme"], tmp_path))
    assert outcome.status is Status.FAIL
    searches = of_kind(outcome.evidence, "ldap_search")
    assert [s.data["filter"] for s in searches] == [
        "(objectClass=ENTPerson)",
        "(objectClass=person)",
    ]
    examples = [example for s in searches for example in s.data["examples"]]
    assert examples
    assert all(example["dn"].startswith("uid=pseudo:") for example in examples)
    assert any("entpersondatenaissance" in example["attributs_lisibles"] for example in examples)
    text = dump(outcome.evidence)
    assert not [value for value in personal_values() if value in text]
    (privacy,) = of_kind(outcome.evidence, "pseudonymisation")
    assert privacy.data["masked_values"]["rdn"] == len(examples)


def test_without_ent_schema(directories: dict[str, SlapdServer], tmp_path: Path) -> None:
    context = context_for(directories["sans_schema_ent"], tmp_path)
    outcome = run(LdapSchema, context)
    assert outcome.status is Status.FAIL
    (schema,) = of_kind(outcome.evidence, "ldap_schema")
    assert "ENTPerson" in schema.data["missing_object_classes"]
    assert "ENTPersonJointure" in schema.data["missing_attributes"]
    with pytest.raises(NotTestable, match="aucune entrée ENTPerson"):
        run(LdapDataModel, context)


def test_every_injected_defect_is_found(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    outcome = run(LdapDataModel, context_for(directories["donnees_defectueuses"], tmp_path))
    assert outcome.status is Status.FAIL
    counts = of_kind(outcome.evidence, "ldap_scan")[0].data["findings"]
    expected = dict.fromkeys(RULES, 0) | dict.fromkeys(INJECTED_DEFECTS, 1)
    expected["AAF-UAI-001"] = 2  # ENTStructureUAI and ENTEtablissementUAI of the same school
    assert counts == expected
    for rule in INJECTED_DEFECTS:
        assert finding(outcome, rule)["examples"], rule


def test_findings_explain_without_personal_data(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    outcome = run(LdapDataModel, context_for(directories["donnees_defectueuses"], tmp_path))
    text = dump(outcome.evidence)
    assert not [value for value in personal_values() if value in text]
    assert "31/02/2013" not in text and "1950" not in text
    date = finding(outcome, "AAF-DATE-001")["examples"][0]
    assert date["forme"] == "99/99/9999"
    assert date["detail"] == "date inexistante au calendrier"
    uai = finding(outcome, "AAF-UAI-001")["examples"][0]
    assert uai["valeur"] == "0690123A" and "J attendue" in uai["detail"]
    duplicate = finding(outcome, "AAF-KEY-001")["examples"][0]
    assert duplicate["cle"].startswith("pseudo:")
    assert duplicate["dn"] != duplicate["autre_entree"]
    klass = finding(outcome, "AAF-XREF-005")["examples"][0]
    assert klass["valeur"] == "1002$1Z9"
    (privacy,) = of_kind(outcome.evidence, "pseudonymisation")
    assert "ENTPersonDateNaissance" in privacy.data["never_copied"]
    assert privacy.data["masked_values"]["rdn"] >= len(INJECTED_DEFECTS)


def test_a_requirement_is_decided_by_its_rules_only(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    context = context_for(directories["donnees_defectueuses"], tmp_path)
    outcome = run(LdapDataModel, context, rules=["LDAP-UAI-002", "AAF-KEY-002"])
    assert outcome.status is Status.PASS
    (others,) = [e for e in outcome.evidence if e.summary.startswith("autres constats")]
    assert others.data["counts"]["AAF-UAI-001"] == 2


def test_examples_are_capped(directories: dict[str, SlapdServer], tmp_path: Path) -> None:
    context = context_for(directories["donnees_defectueuses"], tmp_path)
    outcome = run(LdapDataModel, context, rules=["AAF-UAI-001"], max_examples=1)
    data = finding(outcome, "AAF-UAI-001")
    assert data["count"] == 2 and len(data["examples"]) == 1 and data["examples_omitted"] == 1


def test_pseudonyms_follow_the_salt(directories: dict[str, SlapdServer], tmp_path: Path) -> None:
    server = directories["donnees_defectueuses"]

    def pseudonym(salt: str, folder: str) -> str:
        (tmp_path / folder).mkdir()
        context = context_for(
            server,
            tmp_path / folder,
            pseudonym_salt_env="SDET_TEST_SALT",
            environ={"SDET_TEST_SALT": salt},
        )
        outcome = run(LdapDataModel, context, rules=["AAF-DATE-001"])
        return str(finding(outcome, "AAF-DATE-001")["examples"][0]["dn"])

    assert pseudonym("sel-de-test-1", "a") == pseudonym("sel-de-test-1", "b")
    assert pseudonym("sel-de-test-1", "c") != pseudonym("sel-de-test-2", "d")


def test_pseudonymisation_can_be_turned_off(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    context = context_for(directories["donnees_defectueuses"], tmp_path, pseudonymise=False)
    outcome = run(LdapDataModel, context, rules=["AAF-DATE-001"])
    assert finding(outcome, "AAF-DATE-001")["examples"][0]["dn"].startswith("uid=eleve-2003,")
    (privacy,) = of_kind(outcome.evidence, "pseudonymisation")
    assert privacy.data["enabled"] is False and "désactivée" in privacy.summary


# --- certificates -----------------------------------------------------------------------


def test_untrusted_certificate(directories: dict[str, SlapdServer], tmp_path: Path) -> None:
    other = create_pki(tmp_path / "autre-ac")
    server = directories["conforme"]
    context = context_for(server, tmp_path, ca_file=str(other.ca_file))
    outcome = run(LdapTls, context)
    assert outcome.status is Status.FAIL
    assert "certificat refusé" in outcome.message
    with pytest.raises(TargetUnreachable, match="certificat refusé"):
        run(LdapDataModel, context)
    ldaps = context_for(server, tmp_path, url=server.ldaps_url, ca_file=str(other.ca_file))
    assert run(LdapTls, ldaps).status is Status.FAIL


def certificate_der(names: list[str], addresses: list[str]) -> bytes:
    """A self-signed certificate for the given subjectAltName values."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "annuaire")])
    now = dt.datetime.now(dt.UTC)
    alt = [x509.DNSName(n) for n in names] + [
        x509.IPAddress(ipaddress.ip_address(a)) for a in addresses
    ]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.DER)


class PeerCertificate:
    """Stands for a TLS socket in the name check: only its certificate matters."""

    def __init__(self, der: bytes) -> None:
        self.der = der

    def getpeercert(self, binary_form: bool = False) -> bytes:
        return self.der


@pytest.mark.parametrize(
    ("host", "valid"),
    [
        ("annuaire.ent.test", True),
        ("ANNUAIRE.ent.test.", True),
        ("autre.ent.test", True),  # *.ent.test
        ("ent.test", False),
        ("a.b.ent.test", False),
        ("10.0.0.1", True),
        ("127.0.0.1", False),
    ],
)
def test_certificate_names_are_checked(host: str, valid: bool) -> None:
    der = certificate_der(["annuaire.ent.test", "*.ent.test"], ["10.0.0.1"])
    problem = _name_problem(PeerCertificate(der), host)
    assert (problem is None) is valid, problem


def test_unverified_tls_cannot_decide(directories: dict[str, SlapdServer], tmp_path: Path) -> None:
    context = context_for(directories["conforme"], tmp_path)
    raw = dict(context.target.raw)
    raw["tls"] = {"verify": False}
    file = tmp_path / "noverify.yaml"
    file.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    target = load_target(file, {PASSWORD_ENV: directories["conforme"].audit_password})
    unverified = ProbeContext(target=target, network_timeout=5, deadline=time.monotonic() + 30)
    with pytest.raises(ProbeError, match=r"tls\.verify"):
        run(LdapTls, unverified)


# --- unreachable and hostile directories ------------------------------------------------


@contextlib.contextmanager
def refusing_port() -> Iterator[int]:
    """A port bound but not listening: connections are refused, and nobody else can take it.

    (A port freed after binding may be taken by another test's server meanwhile; then
    something answers and the probe rightly reports a hostile answer, not a refusal.)
    """
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield holder.getsockname()[1]


def section(port: int) -> dict[str, Any]:
    return {
        "url": f"ldap://127.0.0.1:{port}",
        "base_dn": "dc=ent,dc=test",
        "bind_dn": "cn=audit,dc=ent,dc=test",
        "password_env": PASSWORD_ENV,
        "starttls": False,
    }


@pytest.mark.parametrize("probe", DIRECTORY_PROBES, ids=lambda probe: probe.kind)
def test_unreachable_port_is_an_error(probe: type[Probe], tmp_path: Path) -> None:
    with refusing_port() as port:
        context = hand_context(tmp_path, section(port))
        with pytest.raises(TargetUnreachable, match="refusée"):
            run(probe, context)


class Scripted:
    """A loopback TCP server that plays ``script`` with each client (in a thread)."""

    def __init__(self, script: Callable[[socket.socket], None]) -> None:
        self.script = script
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.listener.settimeout(0.2)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            with client, contextlib.suppress(OSError):
                self.script(client)

    def __enter__(self) -> Scripted:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.listener.close()


def read_request(client: socket.socket) -> tuple[int, int]:
    """Read one LDAP message; return its message id and operation tag."""
    head = client.recv(2)
    if len(head) < 2:
        raise OSError("client gone")
    size = head[1]
    if size & 0x80:
        size = int.from_bytes(client.recv(size & 0x7F), "big")
    body = b""
    while len(body) < size:
        body += client.recv(size - len(body))
    id_size = body[1]
    message_id = int.from_bytes(body[2 : 2 + id_size], "big")
    return message_id, body[2 + id_size]


def message(message_id: int, operation: bytes) -> bytes:
    return wire._message(message_id, operation)


def bind_ok(message_id: int) -> bytes:
    return message(message_id, wire._tlv(0x61, wire._integer(0, 0x0A) + b"\x04\x00\x04\x00"))


def entry(dn: str, attributes: dict[str, list[str]]) -> bytes:
    body = wire._octets(dn) + wire._tlv(
        0x30,
        b"".join(
            wire._tlv(
                0x30,
                wire._octets(name) + wire._tlv(0x31, b"".join(wire._octets(v) for v in values)),
            )
            for name, values in attributes.items()
        ),
    )
    return wire._tlv(0x64, body)


def done(code: int = 0) -> bytes:
    return wire._tlv(0x65, wire._integer(code, 0x0A) + b"\x04\x00\x04\x00")


def serve_search(answer: Callable[[int], bytes]) -> Callable[[socket.socket], None]:
    """Accept the bind, answer the first search with ``answer``, the next ones with nothing."""

    def script(client: socket.socket) -> None:
        message_id, _tag = read_request(client)
        client.sendall(bind_ok(message_id))
        message_id, _tag = read_request(client)
        client.sendall(answer(message_id))
        client.settimeout(2)
        while True:
            message_id, tag = read_request(client)
            if tag == 0x63:  # another search of the scan: no entries
                client.sendall(message(message_id, done()))

    return script


def test_silent_server_times_out(tmp_path: Path) -> None:
    with Scripted(lambda client: time.sleep(3)) as server:
        context = hand_context(tmp_path, section(server.port), timeout=0.5)
        started = time.monotonic()
        with pytest.raises(ProbeTimeout):
            run(LdapDataModel, context)
        assert time.monotonic() - started < 2.5


def test_slow_drip_is_bounded_by_the_deadline(tmp_path: Path) -> None:
    def script(client: socket.socket) -> None:
        message_id, _tag = read_request(client)
        client.sendall(bind_ok(message_id))
        message_id, _tag = read_request(client)
        payload = message(message_id, entry("uid=x,dc=ent,dc=test", {"sn": ["x" * 400]}))
        for byte in payload:
            client.sendall(bytes((byte,)))
            time.sleep(0.05)

    with Scripted(script) as server:
        context = hand_context(tmp_path, section(server.port), timeout=1, deadline=1.5)
        started = time.monotonic()
        with pytest.raises(ProbeTimeout):
            run(LdapDataModel, context)
        assert time.monotonic() - started < 3


def test_oversized_entry_is_refused_before_it_arrives(tmp_path: Path) -> None:
    def announce(message_id: int) -> bytes:
        # A message announcing 64 MiB: refused on its header, nothing buffered.
        return b"\x30\x84" + (64 * 1024 * 1024).to_bytes(4, "big") + b"\x02\x01\x02"

    with Scripted(serve_search(announce)) as server:
        context = hand_context(tmp_path, section(server.port))
        with pytest.raises(HostileResponse, match="octets"):
            run(LdapDataModel, context)


def test_indefinite_length_is_refused(tmp_path: Path) -> None:
    with Scripted(serve_search(lambda message_id: b"\x30\x80\x02\x01\x02\x00\x00")) as server:
        context = hand_context(tmp_path, section(server.port))
        with pytest.raises(HostileResponse, match="indéfinie"):
            run(LdapDataModel, context)


def test_overrunning_inner_length_is_refused(tmp_path: Path) -> None:
    def lying(message_id: int) -> bytes:
        good = message(message_id, entry("uid=x,dc=ent,dc=test", {"sn": ["abc"]}))
        broken = bytearray(good)
        broken[-4] = 0x7F  # the value claims 127 bytes inside a 3-byte container
        return bytes(broken) + message(message_id, done())

    with Scripted(serve_search(lying)) as server:
        context = hand_context(tmp_path, section(server.port))
        with pytest.raises(HostileResponse):
            run(LdapDataModel, context)


def test_large_values_and_long_lengths_are_read(tmp_path: Path) -> None:
    big = "v" * 200_000  # three-byte BER lengths, many recv calls

    def answer(message_id: int) -> bytes:
        # The first search of a scan asks for structures.
        school = {
            "ENTStructureJointure": ["1"],
            "ENTStructureUAI": ["0750680G"],
            "ENTStructureClasses": [f"6A${big}"],
        }
        return message(message_id, entry("ou=1,dc=ent,dc=test", school)) + message(
            message_id, done()
        )

    with Scripted(serve_search(answer)) as server:
        context = hand_context(tmp_path, section(server.port))
        outcome = run(LdapDataModel, context, rules=["AAF-UAI-001"])
    assert outcome.status is Status.PASS
    scan = of_kind(outcome.evidence, "ldap_scan")[0].data
    assert scan["structures"] == 1 and scan["bytes_read"] > 200_000


def test_notice_of_disconnection(tmp_path: Path) -> None:
    notice = message(0, wire._tlv(0x78, wire._integer(52, 0x0A) + b"\x04\x00\x04\x04bye!"))

    with Scripted(serve_search(lambda message_id: notice)) as server:
        context = hand_context(tmp_path, section(server.port))
        with pytest.raises(TargetUnreachable, match="déconnexion"):
            run(LdapDataModel, context)


def test_server_refusing_the_search(tmp_path: Path) -> None:
    with Scripted(serve_search(lambda message_id: message(message_id, done(50)))) as server:
        context = hand_context(tmp_path, section(server.port))
        with pytest.raises(ProbeError, match="insufficientAccessRights"):
            run(LdapDataModel, context)


def paged_done(message_id: int, cookie: bytes) -> bytes:
    return message(message_id, done() + wire._paged_control(0, cookie))


def test_no_page_is_asked_for_past_max_entries(tmp_path: Path) -> None:
    requests: list[int] = []

    def script(client: socket.socket) -> None:
        message_id, _tag = read_request(client)
        client.sendall(bind_ok(message_id))
        client.settimeout(2)
        while True:  # every page full, always a next one: only the bound ends the scan
            message_id, tag = read_request(client)
            requests.append(tag)
            if tag == 0x63:
                school = {"ENTStructureJointure": [str(len(requests))]}
                client.sendall(
                    message(message_id, entry(f"ou={len(requests)},dc=ent,dc=test", school)) * 2
                    + paged_done(message_id, b"la suite")
                )

    with Scripted(script) as server:
        context = hand_context(tmp_path, {**section(server.port), "page_size": 2, "max_entries": 5})
        with pytest.raises(ProbeError, match="plus de 5 entrées") as raised:
            run(LdapDataModel, context)
        deadline = time.monotonic() + 2
        while 0x42 not in requests and time.monotonic() < deadline:
            time.sleep(0.01)
    assert raised.value.evidence[0].data["entries"] == 6
    # Three pages asked for (2, 4, 6 entries), none after the bound, so none to abandon.
    assert requests == [0x63, 0x63, 0x63, 0x42]
    assert gc.isenabled()


def test_a_server_that_does_not_page_is_read_in_bounded_pieces(tmp_path: Path) -> None:
    def answer(message_id: int) -> bytes:
        schools = [
            {"ENTStructureJointure": [str(n)], "ENTStructureUAI": [make_uai(n)]} for n in range(40)
        ]
        # One answer of 40 entries, no paged results control, sent in one go.
        return b"".join(
            message(message_id, entry(f"ou={n},dc=ent,dc=test", school))
            for n, school in enumerate(schools)
        ) + message(message_id, done())

    with Scripted(serve_search(answer)) as server:
        bounded = {**section(server.port), "page_size": 5, "max_entries": 12}
        with pytest.raises(ProbeError, match="plus de 12 entrées") as raised:
            run(LdapDataModel, hand_context(tmp_path, bounded))
        # Pieces of six entries (one more than a page): the bound holds at the second.
        assert raised.value.evidence[0].data["entries"] == 18
        outcome = run(
            LdapDataModel,
            hand_context(tmp_path, {**section(server.port), "page_size": 5}),
            rules=["LDAP-UAI-002"],
        )
    scan = of_kind(outcome.evidence, "ldap_scan")[0].data
    assert (scan["structures"], scan["pages"], scan["server_paged"]) == (40, 4, False)


def test_reader_keeps_entries_whole_across_buffer_moves() -> None:
    # Entries of a few bytes to several buffers long, over pages: the receive buffer is
    # compacted and grown many times; every entry must come out as it was sent.
    sizes = [3, 200, 5_000, 70_000, 300_000, 40, 90_000]
    pages = [
        [
            (f"uid={p}-{n},dc=t", {"sn": ["é" * (sizes[(p + n) % 7] // 2)], "cn": [str(n), "x"]})
            for n in range(60)
        ]
        for p in range(4)
    ]
    ours, theirs = socket.socketpair()

    def play() -> None:
        with theirs:
            for number, page in enumerate(pages):
                message_id, _tag = read_request(theirs)
                cookie = b"" if number == len(pages) - 1 else b"c"
                theirs.sendall(
                    b"".join(message(message_id, entry(dn, attributes)) for dn, attributes in page)
                    + paged_done(message_id, cookie)
                )
            read_request(theirs)

    player = threading.Thread(target=play)
    player.start()
    with ours:
        client = wire.WireConnection(
            ours, deadline=time.monotonic() + 20, network_timeout=5, max_message_bytes=1 << 20
        )
        stats = wire.SearchStats()
        read = list(
            client.paged_search(
                "dc=t", wire.present("objectClass"), ["sn"], page_size=60, stats=stats
            )
        )
        client.unbind()
    player.join(5)
    assert read == pages
    assert (stats.pages, stats.entries, stats.server_paged) == (4, 240, True)


def test_the_collector_is_paused_while_scans_run_and_only_then() -> None:
    pause = _CollectorPause()
    assert gc.isenabled()
    with pause.paused():
        assert not gc.isenabled()
        with pause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # an overlapping scan still runs
    assert gc.isenabled()
    gc.disable()
    try:
        with pause.paused():
            pass
        assert not gc.isenabled()  # off before: stays off
    finally:
        gc.enable()
    with pytest.raises(RuntimeError), pause.paused():
        raise RuntimeError
    assert gc.isenabled()


# --- reconciliation with an AAF feed ---------------------------------------------------


def feed_context(
    server: SlapdServer, folder: Path, feed: Path, date: str | None = None
) -> ProbeContext:
    context = context_for(server, folder)
    data = dict(context.target.raw)
    data["aaf"] = {"path": str(feed)} if date is None else {"path": str(feed), "date": date}
    file = folder / "cible-aaf.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return ProbeContext(
        target=load_target(file, {PASSWORD_ENV: server.audit_password}),
        network_timeout=5,
        deadline=time.monotonic() + 30,
    )


REC_RULES = ["LDAP-REC-001", "LDAP-REC-002", "LDAP-REC-003", "LDAP-REC-004"]


def test_directory_matches_its_feed(directories: dict[str, SlapdServer], tmp_path: Path) -> None:
    feed = tmp_path / "aaf"
    write_aaf_files(reference_population(), feed, encoding="ISO-8859-15")
    context = feed_context(directories["conforme"], tmp_path, feed)
    outcome = run(LdapReconcile, context, rules=REC_RULES)
    assert outcome.status is Status.PASS, outcome.message
    (summary,) = of_kind(outcome.evidence, "aaf_feed")
    assert summary.data["requests"]["Eleve/add"] == 8
    assert summary.data["families"] == ["Eleve", "EtabEducNat", "PersEducNat", "PersRelEleve"]


def test_reconciliation_finds_every_gap(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    records = {record.identifier: record for record in reference_population()}
    del records["2002"]  # in the directory, not in the feed
    records["2999"] = records["2001"].with_values(ENTPersonJointure=("2999",))  # feed only
    records["2999"] = AafRecord("Eleve", "2999", records["2999"].attributes)
    records["2003"] = records["2003"].with_values(sn=("AUTRENOM",))  # personal drift
    records["1001"] = records["1001"].with_values(ENTStructureUAI=("0750680G",))  # drift
    feed = tmp_path / "aaf"
    write_aaf_files(records.values(), feed)
    (feed / "ENT_Complet_20250901_PersRelEleve_0001.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">\n'
        "<ficAlimMENESR><deleteRequest><identifier><id>3001</id></identifier>"
        "</deleteRequest></ficAlimMENESR>\n",
        encoding="utf-8",
    )
    context = feed_context(directories["conforme"], tmp_path, feed)
    outcome = run(LdapReconcile, context, rules=REC_RULES)
    assert outcome.status is Status.FAIL
    counts = {rule: finding(outcome, rule)["count"] for rule in REC_RULES}
    assert counts == {"LDAP-REC-001": 1, "LDAP-REC-002": 1, "LDAP-REC-003": 2, "LDAP-REC-004": 1}
    drift = {e["attribut"]: e for e in finding(outcome, "LDAP-REC-003")["examples"]}
    assert drift["ENTStructureUAI"]["flux"] == ["0750680g"]
    assert drift["ENTStructureUAI"]["annuaire"] == [make_uai(750001).casefold()]
    assert "flux" not in drift["sn"] and "AUTRENOM" not in dump(outcome.evidence)
    assert drift["sn"]["dn"].startswith("uid=pseudo:")
    assert not [value for value in personal_values() if value in dump(outcome.evidence)]


_FRENCH = re.compile(r"[éèêàùçôîûÉÈÀ«»]|\b(des|du|une|aucune|fichiers?|datés|valeurs)\b")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_reconciliation_speaks_the_language_of_the_run(
    directories: dict[str, SlapdServer], tmp_path: Path, lang: str
) -> None:
    """Rule titles, the feed's dates and the hidden-values note follow --lang (French as before)."""
    records = {record.identifier: record for record in reference_population()}
    records["2003"] = records["2003"].with_values(sn=("AUTRENOM",))  # personal drift
    del records["2002"]
    feed = tmp_path / "aaf"
    write_aaf_files(records.values(), feed)
    context = feed_context(directories["conforme"], tmp_path, feed)
    before = current_language()
    set_language(lang)
    try:
        outcome = run(LdapReconcile, context, rules=REC_RULES)
    finally:
        set_language(before)
    assert outcome.status is Status.FAIL
    summaries = [str(e.summary) for e in outcome.evidence]
    drift = {e["attribut"]: e for e in finding(outcome, "LDAP-REC-003")["examples"]}
    shown = " ".join([outcome.message, *summaries, drift["sn"]["detail"]])
    if lang == "en":
        assert "attribute differing between the AAF feed and the directory" in outcome.message
        assert drift["sn"]["detail"] == "different values (personal data not shown)"
        assert " dated from " in shown
        assert _FRENCH.findall(shown) == []
    else:
        assert "attribut différent entre le flux AAF et l'annuaire" in outcome.message
        assert drift["sn"]["detail"] == "valeurs différentes (données personnelles non montrées)"
        assert " datés du " in shown


def test_reconciliation_refuses_a_hostile_feed(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    feed = tmp_path / "aaf"
    feed.mkdir()
    (feed / "X_Complet_20250901_Eleve_0000.xml").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE ficAlimMENESR [<!ENTITY a "aaaaaaaaaa">]>\n'
        "<ficAlimMENESR>&a;</ficAlimMENESR>\n",
        encoding="utf-8",
    )
    context = feed_context(directories["conforme"], tmp_path, feed)
    with pytest.raises(HostileResponse, match="entité"):
        run(LdapReconcile, context, rules=REC_RULES)
    (feed / "X_Complet_20250901_Eleve_0000.xml").write_text("<ficAlimMENESR><addRequest>")
    with pytest.raises(HostileResponse, match="mal formé"):
        run(LdapReconcile, context, rules=REC_RULES)


def test_reconciliation_needs_feed_files(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    (tmp_path / "vide").mkdir()
    context = feed_context(directories["conforme"], tmp_path, tmp_path / "vide")
    with pytest.raises(NotTestable, match="aucun fichier AAF"):
        run(LdapReconcile, context, rules=REC_RULES)


TODAY = _paris_today()
DELETION = ["LDAP-REC-002", "LDAP-REC-004"]


def export(
    folder: Path,
    days_ago: int,
    *,
    without: tuple[str, ...] = (),
    deletes: tuple[str, ...] = (),
    kind: str = "Complet",
) -> None:
    """Write one export of the reference population, dated ``days_ago`` days before today."""
    prefix = f"ENT_{kind}_{TODAY - timedelta(days=days_ago):%Y%m%d}"
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "Complet":
        records = [r for r in reference_population() if r.identifier not in without]
        write_aaf_files(records, folder, prefix=prefix)
    if deletes:
        (folder / f"{prefix}_PersRelEleve_0001.xml").write_text(
            "<ficAlimMENESR>"
            + "".join(
                f"<deleteRequest><identifier><id>{identifier}</id></identifier></deleteRequest>"
                for identifier in deletes
            )
            + "</ficAlimMENESR>\n",
            encoding="utf-8",
        )


def judge(
    directories: dict[str, SlapdServer], tmp_path: Path, rules: list[str], **params: Any
) -> Outcome:
    context = feed_context(directories["conforme"], tmp_path, tmp_path / "aaf")
    return run(LdapReconcile, context, rules=rules, **params)


def delay(outcome: Outcome) -> dict[str, Any]:
    (evidence,) = of_kind(outcome.evidence, "deletion_delay")
    return dict(evidence.data)


def test_a_person_kept_past_the_delay_fails(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    feed = tmp_path / "aaf"
    export(feed, 200)
    export(feed, 150, without=("2002",))  # first export without the pupil: 5 months ago
    export(feed, 2, without=("2002",))
    outcome = judge(directories, tmp_path, DELETION, grace_months=3)
    assert outcome.status is Status.FAIL
    assert "LDAP-REC-002\u00a0: 1 personne(s) conservée(s) au-delà de 3 mois" in outcome.message
    assert delay(outcome)["late"] == {"LDAP-REC-002": 1}
    (summary,) = of_kind(outcome.evidence, "aaf_feed")
    current = [f["name"] for f in summary.data["files"] if f["current"]]
    assert len(current) == 4 and all(f"{TODAY - timedelta(days=2):%Y%m%d}" in n for n in current)


def test_a_pupil_enrolled_again_is_not_flagged(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    feed = tmp_path / "aaf"
    export(feed, 200, without=("2002",))
    export(feed, 2)  # the latest export carries the pupil again
    outcome = judge(directories, tmp_path, DELETION, grace_months=3)
    assert outcome.status is Status.PASS, outcome.message
    assert finding(outcome, "LDAP-REC-002")["count"] == 0


def test_a_recent_departure_is_within_the_delay(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    feed = tmp_path / "aaf"
    export(feed, 40)  # still entitled 40 days ago: cannot be late before 3 months after
    export(feed, 2, without=("2002",))
    outcome = judge(directories, tmp_path, DELETION, grace_months=3)
    assert outcome.status is Status.PASS, outcome.message
    assert "aucune personne conservée au-delà de 3 mois" in outcome.message
    assert delay(outcome)["within"] == {"LDAP-REC-002": 1}
    assert delay(outcome)["next_due"] == add_months(TODAY - timedelta(days=40), 3).isoformat()
    # Without the delay, the same gap is a plain finding.
    assert judge(directories, tmp_path, DELETION).status is Status.FAIL


def test_exports_too_far_apart_cannot_date_a_departure(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    feed = tmp_path / "aaf"
    export(feed, 100)  # present 100 days ago…
    export(feed, 80, without=("2002",))  # …absent 80 days ago: left in between
    export(feed, 2, without=("2002",))
    with pytest.raises(ProbeError, match="exports complets intermédiaires") as raised:
        judge(directories, tmp_path, DELETION, grace_months=3)
    assert type(raised.value) is ProbeError  # cannot_decide, not a target failure
    (evidence,) = of_kind(raised.value.evidence, "deletion_delay")
    assert evidence.data["uncertain"] == {"LDAP-REC-002": 1}


def test_a_deletion_received_long_ago_fails(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    feed = tmp_path / "aaf"
    export(feed, 200)
    export(feed, 120, deletes=("3001",), kind="Delta")  # applied after the full export
    outcome = judge(directories, tmp_path, ["LDAP-REC-004"], grace_months=3)
    assert outcome.status is Status.FAIL
    assert delay(outcome)["late"] == {"LDAP-REC-004": 1}
    export(feed, 1)  # a newer full export that carries the guardian again
    assert judge(directories, tmp_path, DELETION, grace_months=3).status is Status.PASS


def test_only_persons_of_the_feed_are_judged(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    lycee = {"1002", "2005", "2006", "2007", "2008", "3005", "3006", "3007", "4003", "4006", "4007"}
    export(tmp_path / "aaf", 2, without=tuple(lycee))  # the feed of the collège only
    outcome = judge(directories, tmp_path, ["LDAP-REC-002"])
    # Absent from the feed: the lycée and the guardians of its pupils (guardians carry no
    # structure of their own). Its pupils and staff belong to a structure the feed does not
    # carry: not the feed's to judge.
    assert finding(outcome, "LDAP-REC-002")["count"] == 4
    # The delay is about personal data: only the three guardians are dated, and one export
    # cannot tell since when they are absent.
    with pytest.raises(ProbeError) as raised:
        judge(directories, tmp_path, ["LDAP-REC-002"], grace_months=3)
    (evidence,) = of_kind(raised.value.evidence, "deletion_delay")
    assert evidence.data["uncertain"] == {"LDAP-REC-002": 3}


def test_absences_need_a_full_export(directories: dict[str, SlapdServer], tmp_path: Path) -> None:
    export(tmp_path / "aaf", 3, deletes=("3001",), kind="Delta")
    with pytest.raises(NotTestable, match="export complet"):
        judge(directories, tmp_path, DELETION, grace_months=3)
    outcome = judge(directories, tmp_path, ["LDAP-REC-004"])
    assert finding(outcome, "LDAP-REC-004")["count"] == 1  # a delta still deletes


def test_undated_files_take_the_declared_date(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    feed = tmp_path / "aaf"
    write_aaf_files(reference_population(), feed, prefix="ENT_Complet_SANSDATE")
    (feed / "ENT_Complet_SANSDATE_Eleve_0000.xml").unlink()  # no pupil in the feed
    dated = feed_context(directories["conforme"], tmp_path, feed, date="2020-01-31")
    outcome = run(LdapReconcile, dated, rules=["LDAP-REC-002"], grace_months=3)
    (summary,) = of_kind(outcome.evidence, "aaf_feed")
    assert {f["date"] for f in summary.data["files"]} == {"2020-01-31"}
    wrong = feed_context(directories["conforme"], tmp_path, feed, date="2020-02-31")
    with pytest.raises(BadParams, match="2020-02-31"):
        run(LdapReconcile, wrong, rules=DELETION, grace_months=3)


def test_a_feed_from_the_future_or_with_a_missing_chunk_is_refused(
    directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    feed = tmp_path / "aaf"
    export(feed, -3)  # dated in three days: the delay could never be counted
    with pytest.raises(ProbeError, match="daté d'après aujourd'hui"):
        judge(directories, tmp_path, DELETION, grace_months=3)
    for path in feed.iterdir():
        path.unlink()
    export(feed, 2)
    chunk = next(feed.glob("*_Eleve_0000.xml"))
    chunk.rename(chunk.with_name(chunk.name.replace("_0000.xml", "_0001.xml")))
    with pytest.raises(ProbeError, match="Eleve : fichier\\(s\\) 0000 absent"):
        judge(directories, tmp_path, DELETION)
    assert judge(directories, tmp_path, ["LDAP-REC-001"]).status is Status.PASS


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 6, 30), 3, date(2026, 9, 30)),  # not 28/09, as 90 days would say
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2023, 11, 30), 3, date(2024, 2, 29)),
        (date(2026, 1, 15), 12, date(2027, 1, 15)),
    ],
)
def test_months_are_calendar_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_reader_takes_real_aaf_files() -> None:
    fixtures = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "aaf" / "entcore"
    if not fixtures.is_dir():
        pytest.skip("../shared/fixtures absent")
    wanted = frozenset({"sn", "ENTStructureUAI", "ENTEleveClasses"})
    records = list(
        read_feed(
            feed_files(fixtures / "2020"), wanted, max_records=10, deadline=time.monotonic() + 5
        )
    )
    assert [(r.family, r.identifier) for r in records] == [
        ("Eleve", "2000000"),
        ("EtabEducNat", "1"),
    ]
    assert records[0].attributes["ENTEleveClasses"] == ["3000$1AQUA"]
    assert records[1].attributes["ENTStructureUAI"] == ["0000000V"]  # ISO-8859-15 file


# --- the reference directory itself -----------------------------------------------------


def test_bulk_loading_gives_the_same_directory(pki_dir: Path, tmp_path: Path) -> None:
    with SlapdServer(SlapdConfig(data="defects"), pki_dir, bulk=True) as server:
        assert server.loaded == 27
        outcome = run(LdapDataModel, context_for(server, tmp_path))
    counts = of_kind(outcome.evidence, "ldap_scan")[0].data["findings"]
    assert counts["AAF-XREF-003"] == 1 and counts["AAF-UAI-001"] == 2


def test_stop_ends_the_process_and_removes_the_folder(pki_dir: Path) -> None:
    server = SlapdServer(SlapdConfig(data="empty"), pki_dir)
    server.start()
    folder = server.folder
    assert folder is not None and (folder / "slapd.pid").is_file()
    pid = int((folder / "slapd.pid").read_text())
    server.stop()
    assert not folder.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_server_repr_hides_its_passwords() -> None:
    server = SlapdServer(SlapdConfig(data="empty"))
    shown = repr(server)
    assert server.audit_password not in shown and server.admin_password not in shown


def test_variants_cannot_contradict_themselves() -> None:
    with pytest.raises(ValueError):
        SlapdConfig(ent_schema=False, data="conformant")
    with pytest.raises(ValueError):
        SlapdConfig(data="random")


# --- the grid, end to end ---------------------------------------------------------------

EXPECTED = {
    # variant: requirement -> status (every DIR-LDAP requirement not listed passes)
    "conforme": {},
    "lecture_anonyme": {"DIR-LDAP-002": "fail"},
    "sans_tls": {"DIR-LDAP-001": "fail", "DIR-LDAP-003": "fail"},
    "liaison_en_clair": {"DIR-LDAP-001": "fail", "DIR-LDAP-003": "fail"},
    "sans_schema_ent": {"DIR-LDAP-004": "fail"}
    | {f"DIR-LDAP-{n:03d}": "not_tested" for n in range(5, 11)},
    "donnees_defectueuses": {f"DIR-LDAP-{n:03d}": "fail" for n in range(5, 11)},
}


@pytest.mark.parametrize("variant", list(EXPECTED))
def test_grid_verdicts_per_variant(
    variant: str, directories: dict[str, SlapdServer], tmp_path: Path
) -> None:
    server = directories[variant]
    file = write_target(tmp_path / "cible.yaml", server, PASSWORD_ENV)
    record = evaluate(
        RunRequest(target=file, grid="sdet/6.4", selection=Selection(only=("DIR-LDAP-*",))),
        environ={PASSWORD_ENV: server.audit_password},
    )
    statuses = {r["requirement"]: r["status"] for r in record["results"]}
    expected = {rid: EXPECTED[variant].get(rid, "pass") for rid in DIRECTORY_REQUIREMENTS}
    assert {rid: statuses[rid] for rid in DIRECTORY_REQUIREMENTS} == expected
    assert server.audit_password not in json.dumps(record, ensure_ascii=False)
    for result in record["results"]:
        if result["status"] == "fail":
            assert result["evidence"], result["requirement"]
