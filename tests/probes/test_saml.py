"""The saml probe family against the real SimpleSAMLphp (Debian package), no mocks.

Each IdP configuration (conformant and every deliberately broken one) is started once per
module and evaluated through the real engine with the bundled grid, so the params tested
are the grid's. Hostile peers are a tiny local server written here.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import os
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from probes.saml import (
    PROBES,
    Attributes,
    Login,
    MetadataSignature,
    SamlMetadata,
    Signature,
)
from probes.saml.assertions import read_attributes
from probes.saml.common import NS, SamlSection
from probes.saml.login import build_authn_request, redirect_url, sso_login
from probes.saml.metadata import IdpMetadata, fetch_metadata
from probes.saml.signatures import judge_signatures, verify_response
from sdet_check.api import open_grid
from sdet_check.demo import saml as demo
from sdet_check.demo.peer import write_self_signed
from sdet_check.demo.saml import VARIANTS, SamlIdp, add_to_target
from sdet_check.grid import Method
from sdet_check.probe import (
    HostileResponse,
    NotTestable,
    ProbeContext,
    ProbeError,
    ProbeTimeout,
    Status,
)
from sdet_check.registry import ProbeRegistry
from sdet_check.run import RunInputs, build_run, utc_now, validate_run
from sdet_check.runner import RunLimits, Runner
from sdet_check.selection import Selection
from sdet_check.target import Target, load_target

# On a developer machine without the packages the module is skipped; in CI (which installs
# them) a missing package must fail loudly instead.
pytestmark = pytest.mark.skipif(
    demo.missing_requirements() is not None and not os.environ.get("CI"),
    reason="SimpleSAMLphp absent (apt-get install " + " ".join(demo.APT_PACKAGES) + ")",
)

SAML_IDS = (
    "SSO-SAML-001", "SSO-SAML-002", "SSO-SAML-003", "SSO-SAML-004", "SSO-SAML-005",
    "SSO-SAML-006", "SSO-SAML-007", "SSO-SAML-008", "SSO-SAML-009", "SSO-SAML-010",
    "SSO-SAML-011", "SSO-SAML-012", "SSO-SAML-013", "SSO-GAR-001",
)  # fmt: skip

CONFORMANT = dict.fromkeys(SAML_IDS, "pass") | {"SSO-SAML-002": "fail"}
"""SimpleSAMLphp 1.19 cannot put validUntil/cacheDuration on its metadata: a real deviation."""

_NEED_LOGIN = (
    "SSO-SAML-005", "SSO-SAML-006", "SSO-SAML-007", "SSO-SAML-008", "SSO-SAML-009",
    "SSO-SAML-010", "SSO-SAML-011", "SSO-SAML-012", "SSO-GAR-001",
)  # fmt: skip
"""The SAML requirements decided by logging in (the others read the metadata only)."""

_CONTENT_UNJUDGEABLE = dict.fromkeys(("SSO-SAML-007", "SSO-SAML-010", "SSO-SAML-011"), "error")

EXPECTED: dict[str, dict[str, str]] = {
    "conforme": {},
    "certificat_expire": {"SSO-SAML-004": "fail"},
    "assertion_non_signee": {"SSO-SAML-009": "fail", "SSO-GAR-001": "error"} | _CONTENT_UNJUDGEABLE,
    "attribut_non_publie": {"SSO-SAML-011": "fail"},
    "cles_faibles_sha1": {"SSO-SAML-005": "fail"},
    # Without --allow-cleartext-credentials no password is sent: every requirement that
    # needs a login is not tested, with one reason; the metadata ones are still decided.
    "http_en_clair": {"SSO-SAML-013": "fail"} | dict.fromkeys(_NEED_LOGIN, "not_tested"),
    "http_en_clair+clair_autorise": {"SSO-SAML-013": "fail"},
    "nameid_courriel": {"SSO-SAML-007": "fail", "SSO-SAML-011": "fail"},
    "assertion_echue": {"SSO-SAML-010": "fail"},
    "metadonnees_signature_etrangere": {"SSO-SAML-003": "fail"},
    "metadonnees_non_signees": {"SSO-SAML-003": "not_applicable"},
    "acs_non_declaree_acceptee": {"SSO-SAML-012": "fail"},
}
"""Status of each SAML requirement per IdP configuration (differences from conformant)."""

EVIDENCE_NAMES: dict[tuple[str, str], tuple[str, ...]] = {
    ("conforme", "SSO-SAML-002"): ("validUntil=absent", "cacheDuration=absent"),
    ("certificat_expire", "SSO-SAML-004"): ("expiré", "notAfter", "idp.sdet-check.example"),
    ("assertion_non_signee", "SSO-SAML-009"): ("aucune signature", "sans signature vérifiée"),
    ("attribut_non_publie", "SSO-SAML-011"): ("ENTPersonProfils absent", '"missing"'),
    ("cles_faibles_sha1", "SSO-SAML-005"): ("1024 bits", "SHA1", "rsa-sha1"),
    ("http_en_clair", "SSO-SAML-013"): ("http://127.0.0.1", "SingleSignOnService"),
    ("nameid_courriel", "SSO-SAML-007"): ("emailAddress", "adresse électronique"),
    ("nameid_courriel", "SSO-SAML-011"): ("hors de la liste convenue\u00a0: mail",),
    ("assertion_echue", "SSO-SAML-010"): ("NotOnOrAfter", "échu"),
    ("metadonnees_signature_etrangere", "SSO-SAML-003"): ("Signature verification failed",),
    ("acs_non_declaree_acceptee", "SSO-SAML-012"): (demo.UNDECLARED_ACS_URL, "Success"),
}
"""What the evidence of each failure must name."""


# --- fixtures ---------------------------------------------------------------------------


def write_probe_target(idp: SamlIdp, folder: Path) -> tuple[Path, dict[str, str]]:
    data: dict[str, Any] = {"format": 1, "name": "IdP SimpleSAMLphp de test"}
    environ = add_to_target(data, idp)
    file = folder / "cible.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return file, environ


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict[str, Any], str, float]]:
    """Each configuration evaluated once by the real runner with the bundled grid.

    Values: (run record, the users' password, seconds the SAML requirements took).
    """
    registry = ProbeRegistry.from_entry_points()
    grid = open_grid("sdet/6.4", registry)
    selection = Selection(only=SAML_IDS)
    pki = tmp_path_factory.mktemp("pki")
    found = {}
    for name, config in VARIANTS.items():
        folder = tmp_path_factory.mktemp(name)
        with SamlIdp(config, folder / "idp", pki_dir=pki) as idp:
            file, environ = write_probe_target(idp, folder)
            target = load_target(file, environ)
            opt_ins = (False, True) if not config.https else (False,)
            for cleartext in opt_ins:
                started, clock = utc_now(), time.monotonic()
                runner = Runner(registry, allow_cleartext_credentials=cleartext)
                results = runner.run(grid, target, selection)
                seconds = time.monotonic() - clock
                inputs = RunInputs(selection, RunLimits(), allow_cleartext_credentials=cleartext)
                record = build_run(grid, target, results, inputs, started, utc_now())
                key = f"{name}+clair_autorise" if cleartext else name
                found[key] = (record, idp.password, seconds)
    return found


@pytest.fixture(scope="module")
def conformant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamlIdp]:
    folder = tmp_path_factory.mktemp("idp-direct")
    with SamlIdp(VARIANTS["conforme"], folder / "idp") as idp:
        yield idp


@pytest.fixture(scope="module")
def target(conformant: SamlIdp, tmp_path_factory: pytest.TempPathFactory) -> Target:
    file, environ = write_probe_target(conformant, tmp_path_factory.mktemp("target"))
    return load_target(file, environ)


def context(target: Target, timeout: float = 5.0) -> ProbeContext:
    return ProbeContext(target=target, network_timeout=timeout, deadline=time.monotonic() + 30)


def results(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["requirement"]: entry for entry in record["results"]}


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# --- the matrix: every SAML requirement x every IdP configuration -----------------------


def test_grid_decides_the_saml_requirements_with_the_saml_probes() -> None:
    grid = open_grid("sdet/6.4")
    by_id = {r.id: r for r in grid.requirements}
    for rid in SAML_IDS:
        verification = by_id[rid].verification
        assert verification.method is Method.PROBE, rid
        assert (verification.probe or "").startswith("saml."), rid
    used = {by_id[rid].verification.probe for rid in SAML_IDS}
    assert used == {probe.kind for probe in PROBES}


@pytest.mark.parametrize("variant", list(EXPECTED))
def test_each_configuration_gets_the_expected_statuses(
    runs: dict[str, tuple[dict[str, Any], str, float]], variant: str
) -> None:
    record, _, _ = runs[variant]
    validate_run(record)
    found = {rid: entry["status"] for rid, entry in results(record).items() if rid in SAML_IDS}
    assert found == CONFORMANT | EXPECTED[variant]


@pytest.mark.parametrize(("variant", "requirement"), list(EVIDENCE_NAMES))
def test_failures_carry_evidence_naming_what_is_wrong(
    runs: dict[str, tuple[dict[str, Any], str, float]], variant: str, requirement: str
) -> None:
    entry = results(runs[variant][0])[requirement]
    assert entry["status"] == "fail"
    text = dump(entry["message"]) + dump(entry["evidence"])
    for expected in EVIDENCE_NAMES[(variant, requirement)]:
        assert expected in text, (variant, requirement, expected)


def test_every_decided_result_has_evidence(
    runs: dict[str, tuple[dict[str, Any], str, float]],
) -> None:
    for variant, (record, _, _) in runs.items():
        for rid, entry in results(record).items():
            if entry["status"] in ("pass", "fail", "error"):
                assert entry["evidence"], (variant, rid)


def test_unverifiable_content_is_an_error_that_points_to_the_signature(
    runs: dict[str, tuple[dict[str, Any], str, float]],
) -> None:
    entry = results(runs["assertion_non_signee"][0])["SSO-SAML-010"]
    assert entry["error_reason"] == "cannot_decide"
    assert "signature vérifiée" in entry["message"] and "saml.signature" in entry["message"]


def test_no_password_reaches_any_evidence(
    runs: dict[str, tuple[dict[str, Any], str, float]],
) -> None:
    for variant, (record, password, _) in runs.items():
        assert password not in dump(record), variant
        # Nothing had to be masked: the probes never put the secret anywhere.
        assert record["privacy"]["secrets_masked"] == 0, variant
    login_posts = [
        evidence
        for evidence in results(runs["conforme"][0])["SSO-SAML-008"]["evidence"]
        if evidence["kind"] == "http_exchange" and "formulaire de connexion" in evidence["summary"]
    ]
    assert login_posts and all("password=***" in e["summary"] for e in login_posts)


def test_personal_values_are_pseudonymised_in_evidence(
    runs: dict[str, tuple[dict[str, Any], str, float]],
) -> None:
    record = runs["nameid_courriel"][0]
    text = dump(record)
    assert "Camille" not in text and "Dominique" not in text  # first names in FrEduVecteur
    assert "prof.demo@ent-demo.example" not in text  # e-mail NameID and attribute
    assert "C…" in text and "p…@ent-demo.example" in text
    attributes = [
        e["data"]
        for e in results(record)["SSO-SAML-011"]["evidence"]
        if e["kind"] == "saml_attributes"
    ]
    assert any("FrEduVecteur" in a["pseudonymised"] for a in attributes)
    # The auto-post page's body (the base64 SAMLResponse) is not kept as such.
    assert "PHNhbWxwOlJlc3BvbnNl" not in text


def test_the_saml_family_is_fast_against_the_local_peer(
    runs: dict[str, tuple[dict[str, Any], str, float]],
) -> None:
    _, _, seconds = runs["conforme"]
    print(f"\nfamille saml (14 exigences, IdP conforme) : {seconds:.2f} s")
    # The budget is 20 s for CAS and SAML together.
    assert seconds < 10


# --- probes called directly against the conformant IdP ----------------------------------


def test_login_evidence_shows_the_request_and_the_response(target: Target) -> None:
    outcome = Login().check({}, context(target))
    assert outcome.status is Status.PASS
    messages = [e for e in outcome.evidence if e.kind == "saml_message"]
    request, response = messages[0], messages[-1]
    assert "AuthnRequest" in request.data["xml"] and request.data["signed"] is True
    assert response.data["status"] == "urn:oasis:names:tc:SAML:2.0:status:Success"
    assert response.data["in_response_to"] in request.data["xml"]
    assert "…" in response.data["xml_excerpt"]  # signature values cut


def test_gar_requirement_not_applicable_when_the_ent_is_not_connected(
    conformant: SamlIdp, tmp_path: Path
) -> None:
    file, environ = write_probe_target(conformant, tmp_path)
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    data["saml"]["gar"] = {"connected": False}
    file.write_text(yaml.safe_dump(data), encoding="utf-8")
    outcome = Attributes().check(
        {"sp": "gar", "required": ["idEnt"]}, context(load_target(file, environ))
    )
    assert outcome.status is Status.NOT_APPLICABLE
    del data["saml"]["gar"]
    file.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(NotTestable, match=r"saml\.gar"):
        Attributes().check({"sp": "gar"}, context(load_target(file, environ)))


def test_refused_credentials_are_an_error_without_the_password(
    conformant: SamlIdp, tmp_path: Path
) -> None:
    file, _ = write_probe_target(conformant, tmp_path)
    wrong = "mauvais-" + conformant.password[:6]
    with pytest.raises(ProbeError, match="refuse les identifiants") as refused:
        Login().check({}, context(load_target(file, {demo.PASSWORD_ENV: wrong})))
    evidence = dump([e.to_json() for e in refused.value.evidence])
    assert wrong not in evidence and conformant.password not in evidence
    assert "password=***" in evidence


def test_metadata_signed_by_an_unpublished_key_needs_the_anchor(
    conformant: SamlIdp, tmp_path: Path
) -> None:
    file, environ = write_probe_target(conformant, tmp_path)
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    del data["saml"]["metadata_signing_cert"]
    file.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(NotTestable, match="metadata_signing_cert"):
        MetadataSignature().check({}, context(load_target(file, environ)))


def test_no_account_means_not_tested(conformant: SamlIdp, tmp_path: Path) -> None:
    file, _ = write_probe_target(conformant, tmp_path)
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    data.pop("accounts")
    data["saml"].pop("accounts")
    file.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(NotTestable, match="aucun compte"):
        Signature().check({}, context(load_target(file, {})))


def test_authn_request_redirect_encoding_and_signature(conformant: SamlIdp) -> None:
    request = build_authn_request("_abc", "https://idp.example/sso", "urn:sp", "https://sp/acs")
    url = redirect_url("https://idp.example/sso", request, "etat", conformant.sp_key_file)
    query = parse_qs(urlsplit(url).query)
    inflated = zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15)
    assert inflated == request
    assert query["RelayState"] == ["etat"]
    signed_part = urlsplit(url).query.split("&Signature=")[0].encode("ascii")
    certificate = x509.load_pem_x509_certificate(
        (conformant.sp_key_file.parent / "sp.crt").read_bytes()
    )
    certificate.public_key().verify(  # type: ignore[call-arg, union-attr]
        base64.b64decode(query["Signature"][0]), signed_part, padding.PKCS1v15(), hashes.SHA256()
    )
    root = etree.fromstring(request)
    assert root.get("ID") == "_abc" and root.get("AssertionConsumerServiceURL") == "https://sp/acs"


# --- signature wrapping and trust: only verified content counts -------------------------


@pytest.fixture(scope="module")
def real_response(target: Target) -> tuple[etree._Element, IdpMetadata]:
    """A real signed Response from SimpleSAMLphp, and the metadata it must verify against."""
    probe_context = context(target)
    section = _section_of(target)
    with probe_context.http_session() as session:
        metadata = fetch_metadata(session, section, probe_context)
        login = sso_login(session, probe_context, section, metadata, target.accounts[0])
    return login.response, metadata


def _section_of(target: Target) -> SamlSection:
    raw = target.section("saml")
    return SamlSection(
        metadata_url=raw["metadata_url"],
        sp_entity_id=raw["sp_entity_id"],
        sp_acs_url=raw["sp_acs_url"],
        sp_key_file=target.path(raw["sp_key_file"]),
    )


def test_the_genuine_response_verifies(real_response: tuple[etree._Element, IdpMetadata]) -> None:
    response, metadata = real_response
    assert judge_signatures(response, metadata).status is Status.PASS
    checked = verify_response(response, metadata.signing_certificates())
    assert checked.response is not None and checked.response.valid
    assert not checked.unprotected and len(checked.verified_assertions) == 1


def test_an_unsigned_assertion_beside_a_signed_one_does_not_pass(
    real_response: tuple[etree._Element, IdpMetadata],
) -> None:
    response, metadata = real_response
    wrapped = copy.deepcopy(response)
    genuine = wrapped.find("saml:Assertion", NS)
    assert genuine is not None
    evil = copy.deepcopy(genuine)
    evil.remove(evil.find("ds:Signature", NS))
    evil.set("ID", "_evil")
    for value in evil.iter(f"{{{NS['saml']}}}AttributeValue"):
        value.text = "National_DIR"
    genuine.addprevious(evil)
    outcome = judge_signatures(wrapped, metadata)
    assert outcome.status is Status.FAIL
    assert "_evil" in outcome.message and "Response invalide" in outcome.message
    checked = verify_response(wrapped, metadata.signing_certificates())
    assert checked.unprotected == ("_evil",)
    (verified,) = checked.verified_assertions
    assert verified.get("ID") == genuine.get("ID")
    released = read_attributes(verified)
    assert "National_DIR" not in released["ENTPersonProfils"].values


def test_a_moved_signed_assertion_does_not_lend_its_signature(
    real_response: tuple[etree._Element, IdpMetadata],
) -> None:
    """XSW: the signed assertion hidden in Extensions, a forged one with its ID in its place."""
    response, metadata = real_response
    wrapped = copy.deepcopy(response)
    genuine = wrapped.find("saml:Assertion", NS)
    assert genuine is not None
    forged = copy.deepcopy(genuine)
    for value in forged.iter(f"{{{NS['saml']}}}AttributeValue"):
        value.text = "forge"
    extensions = etree.Element(f"{{{NS['samlp']}}}Extensions")
    genuine.addprevious(extensions)
    extensions.append(genuine)
    extensions.addnext(forged)
    wrapped.remove(wrapped.find("ds:Signature", NS))
    outcome = judge_signatures(wrapped, metadata)
    assert outcome.status is Status.FAIL
    checked = verify_response(wrapped, metadata.signing_certificates())
    assert not checked.verified_assertions
    assert "forge" not in dump([e.to_json() for e in outcome.evidence if e.kind == "signature"])


def test_the_certificate_inside_the_message_is_never_trusted(
    real_response: tuple[etree._Element, IdpMetadata], tmp_path: Path
) -> None:
    response, _ = real_response
    other = tmp_path / "cert"
    other.mkdir()
    write_self_signed(
        other / "k.pem", other / "c.pem", "autre", 2048, False,
        *_validity(),
    )  # fmt: skip
    foreign = x509.load_pem_x509_certificate((other / "c.pem").read_bytes())
    checked = verify_response(response, [foreign])
    assert not checked.verified_assertions
    assert checked.response is not None and not checked.response.valid
    assert checked.response.embedded_sha256  # the message does carry the right certificate


def _validity() -> tuple[dt.datetime, dt.datetime]:
    now = dt.datetime.now(dt.UTC)
    return now - dt.timedelta(minutes=1), now + dt.timedelta(days=1)


# --- hostile peers ----------------------------------------------------------------------


Route = Callable[[BaseHTTPRequestHandler], None]

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&lol3;"/>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&xxe;"/>"""


class HostileIdp:
    """A local server: routes by path; ``{base}`` in a body becomes its own address."""

    def __init__(self, routes: Mapping[str, Route]) -> None:
        self.routes = routes
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _HostileHandler)
        self.server.daemon_threads = True
        self.server.routes = routes  # type: ignore[attr-defined]
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HostileIdp:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class _HostileHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        route = self.server.routes.get(self.path.split("?")[0])  # type: ignore[attr-defined]
        if route is None:
            self.send_error(404)
            return
        route(self)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def body(content: bytes, content_type: str = "application/samlmetadata+xml") -> Route:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        port = handler.server.server_address[1]
        data = content.replace(b"{base}", f"http://127.0.0.1:{port}".encode())
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    return answer


def hang(seconds: float) -> Route:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)

    return answer


def huge(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/samlmetadata+xml")
    handler.end_headers()
    chunk = b"<x>" + b"a" * 65536 + b"</x>"
    try:
        for _ in range(60):
            handler.wfile.write(chunk)
    except OSError:
        pass  # the probe hung up, as it should


def metadata_for(certificate_pem: bytes) -> bytes:
    """Valid IdP metadata whose SSO endpoint is the hostile server itself."""
    der = x509.load_pem_x509_certificate(certificate_pem).public_bytes(Encoding.DER)
    cert = base64.b64encode(der)
    return (
        b'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        b'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{base}/idp" '
        b'cacheDuration="PT1H"><md:IDPSSODescriptor '
        b'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        b'<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        + cert
        + b"</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        b"<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>"
        b'<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        b'Location="{base}/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>'
    )


def response_form(saml_response: bytes) -> bytes:
    encoded = base64.b64encode(saml_response)
    return (
        b'<html><body><form method="post" action="https://sp-test.sdet-check.example/acs">'
        b'<input type="hidden" name="SAMLResponse" value="' + encoded + b'"/>'
        b"</form></body></html>"
    )


def hostile_target(server: HostileIdp, folder: Path, idp: SamlIdp) -> Target:
    file, environ = write_probe_target(idp, folder)
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    data["saml"]["metadata_url"] = server.base + "/metadata"
    data["saml"].pop("metadata_signing_cert", None)
    file.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_target(file, environ)


@pytest.mark.parametrize(
    ("route", "error", "words"),
    [
        (body(BOMB), HostileResponse, "DOCTYPE"),
        (body(EXTERNAL_ENTITY), HostileResponse, "DOCTYPE"),
        (huge, HostileResponse, "octets"),
        (hang(3), ProbeTimeout, "délai"),
    ],
    ids=["bombe-xml", "entite-externe", "corps-enorme", "serveur-muet"],
)
def test_hostile_metadata_is_refused_never_expanded(
    conformant: SamlIdp,
    tmp_path: Path,
    route: Route,
    error: type[ProbeError],
    words: str,
) -> None:
    with HostileIdp({"/metadata": route}) as server:
        hostile = hostile_target(server, tmp_path, conformant)
        with pytest.raises(error, match=words) as refused:
            SamlMetadata().check({"check": "validity"}, context(hostile, timeout=1))
    assert "root:" not in dump([e.to_json() for e in refused.value.evidence])  # no file read


def test_malformed_metadata_fails_the_wellformedness_requirement(
    conformant: SamlIdp, tmp_path: Path
) -> None:
    with HostileIdp({"/metadata": body(b"<html><p>maintenance", "text/html")}) as server:
        outcome = SamlMetadata().check(
            {"check": "wellformed"}, context(hostile_target(server, tmp_path, conformant))
        )
    assert outcome.status is Status.FAIL and "mal formée" in outcome.message


@pytest.mark.parametrize(
    ("sso", "error", "words"),
    [
        (body(response_form(BOMB.replace(b"md:EntityDescriptor", b"samlp:Response")), "text/html"),
         HostileResponse, "DOCTYPE"),
        (body(response_form(EXTERNAL_ENTITY), "text/html"), HostileResponse, "DOCTYPE"),
        (hang(3), ProbeTimeout, "délai"),
    ],
    ids=["reponse-bombe-xml", "reponse-entite-externe", "sso-muet"],
)  # fmt: skip
def test_hostile_responses_are_refused(
    conformant: SamlIdp,
    tmp_path: Path,
    sso: Route,
    error: type[ProbeError],
    words: str,
) -> None:
    routes = {
        "/metadata": body(metadata_for(conformant.signing_cert_file.read_bytes())),
        "/sso": sso,
    }
    with HostileIdp(routes) as server:
        hostile = hostile_target(server, tmp_path, conformant)
        with pytest.raises(error, match=words):
            Signature().check({}, context(hostile, timeout=1))


def test_the_idp_reports_missing_packages(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    problem = demo.missing_requirements()
    assert problem is not None and "php-cli" in problem and "simplesamlphp" in problem
    with pytest.raises(demo.SamlIdpUnavailable, match="apt-get install"):
        SamlIdp(VARIANTS["conforme"], tmp_path / "idp").start()


def test_every_saml_probe_declares_needs_and_a_strict_schema() -> None:
    for probe in PROBES:
        assert probe.kind.startswith("saml.") and "saml" in probe.needs
        assert probe.params_schema.get("additionalProperties") is False
        assert probe.__doc__ and probe.title
