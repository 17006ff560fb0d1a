"""The pysaml2 identity provider peer: each variant does what it promises, seen by a plain client.

No project probe is used: a small test SP (tests/demo/saml_client.py: requests, lxml, signxml)
logs in and reads what comes back, so the peer is checked independently of the probes that
will be run against it.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
import threading
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import pytest
import requests
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree
from signxml.exceptions import InvalidCertificate, InvalidSignature

from sdet_check.demo import pysaml2_idp as peer
from sdet_check.demo.pysaml2_idp import (
    VARIANTS,
    Pysaml2Config,
    Pysaml2Idp,
    add_pysaml2_idp_to_target,
)
from sdet_check.demo.saml import (
    DEMO_USERS,
    GAR_SP_ACS_URL,
    GAR_SP_ENTITY_ID,
    PASSWORD_ENV,
    SP_ACS_URL,
    SP_ATTRIBUTES,
    SP_ENTITY_ID,
    UNDECLARED_ACS_URL,
)
from sdet_check.target import load_target
from tests.demo import saml_client as client
from tests.demo.saml_client import NS, SUCCESS

pytestmark = pytest.mark.skipif(
    peer.missing_requirements() is not None and not os.environ.get("CI"),
    reason=peer.missing_requirements() or "",
)

TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
RESPONDER = "urn:oasis:names:tc:SAML:2.0:status:Responder"
INVALID_NAMEID_POLICY = "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy"
BASIC = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
URI = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
STUDENT = DEMO_USERS[0]

StartPeer = Callable[..., Pysaml2Idp]


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def start_peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartPeer]:
    """Start each configuration at most once per module; stop them all at the end."""
    pki = tmp_path_factory.mktemp("pki")
    running: dict[str, Pysaml2Idp] = {}

    def start(name: str, config: Pysaml2Config | None = None) -> Pysaml2Idp:
        if name not in running:
            folder = tmp_path_factory.mktemp("idp" if config else name)
            idp = Pysaml2Idp(config or VARIANTS[name], folder, pki)
            idp.start()
            running[name] = idp
        return running[name]

    yield start
    # Stopped side by side: each waits for its server loop to notice.
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda idp: idp.stop(), running.values()))


def session_for(idp: Pysaml2Idp) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override session.verify
    session.verify = str(idp.ca_file) if idp.ca_file else True
    return session


def credentials(idp: Pysaml2Idp, login: str = STUDENT.login) -> dict[str, str]:
    return {
        "username": login,
        "password": idp.password,
        "identifiant": login,
        "secret": idp.password,
    }


def log_in(
    idp: Pysaml2Idp,
    login: str = STUDENT.login,
    sp: str = SP_ENTITY_ID,
    acs: str | None = SP_ACS_URL,
    signed: bool = True,
) -> client.Login:
    return client.login(
        session_for(idp),
        idp.sso_url,
        sp,
        acs,
        credentials(idp, login),
        idp.sp_key_file if signed else None,
    )


def metadata(idp: Pysaml2Idp) -> etree._Element:
    answer = session_for(idp).get(idp.metadata_url, timeout=10)
    assert answer.status_code == 200
    return client.parse_xml(answer.content)


def assertion_of(response: etree._Element) -> etree._Element:
    found = response.findall("saml:Assertion", NS)
    assert len(found) == 1, etree.tostring(response)[:500]
    return found[0]


def attributes(assertion: etree._Element) -> dict[str, etree._Element]:
    return {a.get("Name"): a for a in assertion.iter(f"{{{NS['saml']}}}Attribute")}


def values(attribute: etree._Element) -> list[str]:
    return [v.text or "" for v in attribute.findall("saml:AttributeValue", NS)]


def instant(text: str | None) -> dt.datetime:
    assert text, "missing instant"
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def certificate(pem_file: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem_file.read_bytes())


def metadata_certificate(document: etree._Element) -> x509.Certificate:
    text = document.findtext(
        "md:IDPSSODescriptor/md:KeyDescriptor/ds:KeyInfo/ds:X509Data/ds:X509Certificate",
        namespaces=NS,
    )
    assert text
    return x509.load_der_x509_certificate(base64.b64decode("".join(text.split())))


# --- conformant -------------------------------------------------------------------------


def test_conformant_metadata_is_signed_dated_and_https(start_peer: StartPeer) -> None:
    idp = start_peer("conforme")
    document = metadata(idp)
    assert document.tag == f"{{{NS['md']}}}EntityDescriptor"
    assert document.get("entityID") == idp.entity_id == idp.metadata_url
    now = dt.datetime.now(dt.UTC)
    valid_until = instant(document.get("validUntil"))
    assert now + dt.timedelta(hours=23) < valid_until < now + dt.timedelta(hours=25)
    assert document.get("cacheDuration") == "PT1H"
    descriptor = document.find("md:IDPSSODescriptor", NS)
    assert descriptor is not None
    assert descriptor.get("protocolSupportEnumeration") == "urn:oasis:names:tc:SAML:2.0:protocol"
    assert descriptor.get("WantAuthnRequestsSigned") == "true"
    services = [
        (s.get("Binding"), s.get("Location"))
        for s in descriptor.findall("md:SingleSignOnService", NS)
    ]
    assert services == [(client.BINDING_REDIRECT, idp.sso_url)]
    assert idp.sso_url.startswith("https://127.0.0.1:")
    assert [n.text for n in descriptor.findall("md:NameIDFormat", NS)] == [TRANSIENT]
    keys = descriptor.findall("md:KeyDescriptor", NS)
    assert [k.get("use") for k in keys] == ["signing"]
    assert metadata_certificate(document) == certificate(idp.signing_cert_file)
    # The enveloped signature covers the whole EntityDescriptor, verified with the anchor.
    assert idp.metadata_anchor_file is not None
    verified = client.verified_subtrees(etree.tostring(document), idp.metadata_anchor_file)
    assert [v.get("entityID") for v in verified] == [idp.entity_id]
    assert document[0].tag == f"{{{NS['ds']}}}Signature"


def test_metadata_signature_breaks_when_a_byte_changes(start_peer: StartPeer) -> None:
    idp = start_peer("conforme")
    assert idp.metadata_anchor_file is not None
    tampered = etree.tostring(metadata(idp)).replace(b"PT1H", b"PT9H")
    with pytest.raises(InvalidSignature):
        client.verified_subtrees(tampered, idp.metadata_anchor_file)


@pytest.mark.parametrize("user", DEMO_USERS, ids=lambda u: u.profile)
def test_conformant_login_gives_a_signed_response_to_the_test_sp(
    start_peer: StartPeer, user: Any
) -> None:
    idp = start_peer("conforme")
    attempt = log_in(idp, user.login)
    # One login form (username + password), then the HTTP-POST auto-submit form.
    assert len(attempt.login_forms) == 1
    names = {i.get("name"): (i.get("type") or "text") for i in attempt.login_forms[0].inputs}
    assert names.get("username") == "text" and names.get("password") == "password"
    assert attempt.response_action == SP_ACS_URL
    assert attempt.relay_state_returned == attempt.relay_state
    response = attempt.response
    assert response.get("Destination") == SP_ACS_URL
    assert response.get("InResponseTo") == attempt.request_id
    assert response.findtext("saml:Issuer", namespaces=NS) == idp.entity_id
    status = response.find("samlp:Status/samlp:StatusCode", NS)
    assert status is not None and status.get("Value") == SUCCESS
    # Response and Assertion each signed (rsa-sha256), right after their Issuer.
    assert attempt.response_xml is not None
    verified = client.verified_subtrees(attempt.response_xml, idp.signing_cert_file)
    assert [etree.QName(v).localname for v in verified] == ["Response", "Assertion"]
    assertion = assertion_of(response)
    for signed in (response, assertion):
        signature = signed.find("ds:Signature", NS)
        assert signature is not None
        assert signature.getprevious() is not None
        assert signature.getprevious().tag == f"{{{NS['saml']}}}Issuer"
        method = signature.find("ds:SignedInfo/ds:SignatureMethod", NS)
        assert method is not None and method.get("Algorithm") == RSA_SHA256
    # Conditions and bearer confirmation.
    now = dt.datetime.now(dt.UTC)
    conditions = assertion.find("saml:Conditions", NS)
    assert conditions is not None
    assert instant(conditions.get("NotBefore")) <= now + dt.timedelta(seconds=1)
    assert now < instant(conditions.get("NotOnOrAfter")) <= now + dt.timedelta(minutes=6)
    assert conditions.findtext("saml:AudienceRestriction/saml:Audience", namespaces=NS) == (
        SP_ENTITY_ID
    )
    confirmation = assertion.find("saml:Subject/saml:SubjectConfirmation", NS)
    assert confirmation is not None and confirmation.get("Method") == BEARER
    data = confirmation.find("saml:SubjectConfirmationData", NS)
    assert data is not None
    assert data.get("Recipient") == SP_ACS_URL
    assert data.get("InResponseTo") == attempt.request_id
    assert instant(data.get("NotOnOrAfter")) > now
    assert assertion.find("saml:AuthnStatement", NS) is not None
    name_id = assertion.find("saml:Subject/saml:NameID", NS)
    assert name_id is not None and name_id.get("Format") == TRANSIENT
    assert name_id.get("SPNameQualifier") == SP_ENTITY_ID
    assert user.login not in (name_id.text or "") and "@" not in (name_id.text or "")
    # Exactly the agreed attributes this user has, SDET names, basic NameFormat.
    released = attributes(assertion)
    assert set(released) == {a for a in SP_ATTRIBUTES if a in user.attributes}
    for name, attribute in released.items():
        assert attribute.get("NameFormat") == BASIC
        assert values(attribute) == list(user.attributes[name])


def test_gar_sp_receives_only_the_gar_attributes(start_peer: StartPeer) -> None:
    idp = start_peer("conforme")
    attempt = log_in(idp, sp=GAR_SP_ENTITY_ID, acs=GAR_SP_ACS_URL)
    assert attempt.response_action == GAR_SP_ACS_URL
    released = attributes(assertion_of(attempt.response))
    assert {n: values(a) for n, a in released.items()} == {
        "idEnt": ["ENT-DEMO"],
        "GARPersonIdentifiant": list(STUDENT.attributes["GARPersonIdentifiant"]),
    }


def test_request_without_acs_is_answered_at_the_declared_acs(start_peer: StartPeer) -> None:
    attempt = log_in(start_peer("conforme"), acs=None)
    assert attempt.response_action == SP_ACS_URL
    assert attempt.response.get("Destination") == SP_ACS_URL


@pytest.mark.parametrize(
    ("case", "sp", "acs", "signed", "status"),
    [
        ("sp_inconnu", "urn:sdet-check:sp-inconnu:1", UNDECLARED_ACS_URL, False, 403),
        ("sp_inconnu_signe", "urn:sdet-check:sp-inconnu:2", SP_ACS_URL, True, 403),
        ("acs_non_declaree", SP_ENTITY_ID, UNDECLARED_ACS_URL, True, 403),
        ("requete_non_signee", SP_ENTITY_ID, SP_ACS_URL, False, 400),
    ],
)
def test_conformant_refuses_before_any_login_form(
    start_peer: StartPeer, case: str, sp: str, acs: str, signed: bool, status: int
) -> None:
    attempt = log_in(start_peer("conforme"), sp=sp, acs=acs, signed=signed)
    assert attempt.response_xml is None
    assert attempt.login_forms == []
    assert attempt.last.status_code == status
    assert "Requête refusée" in attempt.last.text
    assert "SAMLResponse" not in attempt.last.text


def test_redirect_signature_is_checked_on_re_encoded_parameters(start_peer: StartPeer) -> None:
    """A valid signature over lower-case percent-escapes is refused (pysaml2 re-encodes)."""
    idp = start_peer("conforme")

    def escaped(text: str) -> str:
        return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(text, safe=""))

    message = client.authn_request("_bas-de-casse", idp.sso_url, SP_ENTITY_ID, SP_ACS_URL)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = compressor.compress(message) + compressor.flush()
    query = (
        "SAMLRequest=" + escaped(base64.b64encode(deflated).decode())
        + "&RelayState=" + escaped("etat/1")
        + "&SigAlg=" + escaped(RSA_SHA256)
    )  # fmt: skip
    key = serialization.load_pem_private_key(idp.sp_key_file.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    signature = key.sign(query.encode(), padding.PKCS1v15(), hashes.SHA256())
    signed = query + "&Signature=" + quote(base64.b64encode(signature).decode(), safe="")
    refused = session_for(idp).get(idp.sso_url + "?" + signed, timeout=10)
    assert refused.status_code == 400 and "IncorrectlySigned" in refused.text
    # The same request with upper-case escapes (as urlencode writes them) is accepted.
    upper = client.redirect_url(idp.sso_url, message, "etat/1", idp.sp_key_file)
    accepted = session_for(idp).get(upper, timeout=10)
    assert accepted.status_code == 200 and client.form_with(accepted, "password") is not None


@pytest.mark.parametrize("wanted", [PERSISTENT, EMAIL])
def test_undeclared_name_id_format_gets_an_error_response(
    start_peer: StartPeer, wanted: str
) -> None:
    idp = start_peer("conforme")
    attempt = client.login(
        session_for(idp), idp.sso_url, SP_ENTITY_ID, SP_ACS_URL, credentials(idp),
        idp.sp_key_file, name_id_format=wanted,
    )  # fmt: skip
    assert attempt.login_forms == []  # refused before any login
    assert attempt.response_action == SP_ACS_URL
    response = attempt.response
    assert response.get("InResponseTo") == attempt.request_id
    assert response.get("Destination") == SP_ACS_URL
    codes = [c.get("Value") for c in response.iter(f"{{{NS['samlp']}}}StatusCode")]
    # pysaml2 always puts Responder on top, even for the requester's fault (core §3.2.2.2).
    assert codes == [RESPONDER, INVALID_NAMEID_POLICY]
    assert response.find("saml:Assertion", NS) is None
    assert attempt.response_xml is not None
    verified = client.verified_subtrees(attempt.response_xml, idp.signing_cert_file)
    assert [etree.QName(v).localname for v in verified] == ["Response"]


def test_unspecified_name_id_format_gets_the_declared_one(start_peer: StartPeer) -> None:
    idp = start_peer("conforme")
    attempt = client.login(
        session_for(idp), idp.sso_url, SP_ENTITY_ID, SP_ACS_URL, credentials(idp),
        idp.sp_key_file, name_id_format=UNSPECIFIED,
    )  # fmt: skip
    name_id = assertion_of(attempt.response).find("saml:Subject/saml:NameID", NS)
    assert name_id is not None and name_id.get("Format") == TRANSIENT


def test_wrong_password_shows_the_form_again(start_peer: StartPeer) -> None:
    idp = start_peer("conforme")
    session = session_for(idp)
    attempt = client.login(
        session,
        idp.sso_url,
        SP_ENTITY_ID,
        SP_ACS_URL,
        {"username": STUDENT.login, "password": "pas-le-bon"},
        idp.sp_key_file,
        max_steps=2,
    )
    assert attempt.response_xml is None
    assert len(attempt.login_forms) == 2
    assert "identifiant ou mot de passe incorrect" in attempt.last.text


def test_login_state_is_single_use(start_peer: StartPeer) -> None:
    idp = start_peer("conforme")
    attempt = log_in(idp)
    assert attempt.response_xml is not None
    form = attempt.login_forms[0]
    fields = client.form_fields(form) | {"username": STUDENT.login, "password": idp.password}
    replay = session_for(idp).post(idp.base_url + peer.LOGIN_PATH, data=fields, timeout=10)
    assert replay.status_code == 400
    assert "SAMLResponse" not in replay.text


# --- login page variations --------------------------------------------------------------


def test_renamed_fields_and_csrf_token(start_peer: StartPeer) -> None:
    idp = start_peer("champs_renommes")
    attempt = log_in(idp)
    assert attempt.response_action == SP_ACS_URL
    form = attempt.login_forms[0]
    kinds = {i.get("name"): (i.get("type") or "text") for i in form.inputs if i.get("name")}
    assert kinds == {
        "demande": "hidden",
        "jeton_csrf": "hidden",
        "identifiant": "text",
        "secret": "password",
    }
    # Without the CSRF token the same login is refused.
    session = session_for(idp)
    page = session.get(
        client.redirect_url(
            idp.sso_url,
            client.authn_request("_csrf", idp.sso_url, SP_ENTITY_ID, SP_ACS_URL),
            "rs",
            idp.sp_key_file,
        ),
        timeout=10,
    )
    fields = client.form_fields(client.form_with(page, "secret"))  # type: ignore[arg-type]
    fields.update({"identifiant": STUDENT.login, "secret": idp.password, "jeton_csrf": "faux"})
    refused = session.post(idp.base_url + peer.LOGIN_PATH, data=fields, timeout=10)
    assert refused.status_code == 403
    assert "SAMLResponse" not in refused.text


def test_two_step_login_asks_the_password_on_a_second_page(start_peer: StartPeer) -> None:
    idp = start_peer("connexion_en_deux_etapes")
    attempt = log_in(idp)
    assert attempt.response_action == SP_ACS_URL
    first, second = attempt.login_forms
    assert not first.xpath(".//input[@type='password']")
    assert first.xpath(".//input[@name='username']")
    assert second.xpath(".//input[@type='password' and @name='password']")
    assert not second.xpath(".//input[@name='username']")
    assert STUDENT.login in etree.tostring(second, encoding="unicode")
    released = attributes(assertion_of(attempt.response))
    assert values(released["uid"]) == [STUDENT.login]


class _Capture(BaseHTTPRequestHandler):
    bodies: list[dict[str, list[str]]]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.bodies.append(parse_qs(self.rfile.read(length).decode()))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"merci")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def capture() -> Iterator[tuple[str, list[dict[str, list[str]]]]]:
    bodies: list[dict[str, list[str]]] = []
    handler = type("Handler", (_Capture,), {"bodies": bodies})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/capture", bodies
    server.shutdown()
    server.server_close()


def test_foreign_form_sends_the_password_elsewhere(
    start_peer: StartPeer, capture: tuple[str, list[dict[str, list[str]]]]
) -> None:
    url, bodies = capture
    config = VARIANTS["formulaire_etranger"].with_form_action(url)
    idp = start_peer("formulaire_etranger-" + url, config)
    attempt = log_in(idp)
    assert attempt.login_forms[0].get("action") == url
    assert attempt.response_xml is None
    assert attempt.last.url == url and attempt.last.text == "merci"
    assert len(bodies) == 1
    assert bodies[0]["username"] == [STUDENT.login]
    assert bodies[0]["password"] == [idp.password]


def test_plain_http_variant(start_peer: StartPeer) -> None:
    idp = start_peer("http_en_clair")
    assert idp.base_url.startswith("http://127.0.0.1:")
    assert idp.ca_file is None
    document = metadata(idp)
    locations = [s.get("Location") for s in document.iter(f"{{{NS['md']}}}SingleSignOnService")]
    assert locations == [idp.base_url + "sso/redirect"]
    attempt = log_in(idp)
    assert attempt.last.url.startswith("http://")
    assert attempt.response.find("samlp:Status/samlp:StatusCode", NS).get("Value") == SUCCESS  # type: ignore[union-attr]


# --- broken variants --------------------------------------------------------------------


def test_expired_certificate_still_signs(start_peer: StartPeer) -> None:
    idp = start_peer("certificat_expire")
    published = metadata_certificate(metadata(idp))
    assert published.not_valid_after_utc < dt.datetime.now(dt.UTC)
    attempt = log_in(idp)
    assert attempt.response_xml is not None
    with pytest.raises(InvalidCertificate):
        client.verified_subtrees(attempt.response_xml, idp.signing_cert_file)
    within = published.not_valid_after_utc - dt.timedelta(hours=1)
    verified = client.verified_subtrees(attempt.response_xml, idp.signing_cert_file, at=within)
    assert len(verified) == 2


def test_weak_keys_and_sha1(start_peer: StartPeer) -> None:
    idp = start_peer("cles_faibles_sha1")
    key = metadata_certificate(metadata(idp)).public_key()
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 1024
    attempt = log_in(idp)
    methods = {m.get("Algorithm") for m in attempt.response.iter(f"{{{NS['ds']}}}SignatureMethod")}
    assert methods == {RSA_SHA1}


def test_unsigned_assertion(start_peer: StartPeer) -> None:
    attempt = log_in(start_peer("assertion_non_signee"))
    response = attempt.response
    assert response.find("samlp:Status/samlp:StatusCode", NS).get("Value") == SUCCESS  # type: ignore[union-attr]
    assert list(response.iter(f"{{{NS['ds']}}}Signature")) == []
    assert assertion_of(response) is not None


def test_withheld_attribute(start_peer: StartPeer) -> None:
    released = attributes(assertion_of(log_in(start_peer("attribut_non_publie")).response))
    assert "ENTPersonProfils" not in released
    assert "uid" in released and "ENTPersonStructRattachRNE" in released


def test_email_name_id(start_peer: StartPeer) -> None:
    idp = start_peer("nameid_courriel")
    formats = [n.text for n in metadata(idp).iter(f"{{{NS['md']}}}NameIDFormat")]
    assert formats == [EMAIL]
    assertion = assertion_of(log_in(idp).response)
    name_id = assertion.find("saml:Subject/saml:NameID", NS)
    assert name_id is not None and name_id.get("Format") == EMAIL
    assert name_id.text == f"{STUDENT.login}@ent-demo.example"
    assert "mail" in attributes(assertion)


def test_expired_assertion(start_peer: StartPeer) -> None:
    assertion = assertion_of(log_in(start_peer("assertion_echue")).response)
    now = dt.datetime.now(dt.UTC)
    conditions = assertion.find("saml:Conditions", NS)
    assert conditions is not None
    assert instant(conditions.get("NotOnOrAfter")) < now - dt.timedelta(minutes=5)
    data = assertion.find(".//saml:SubjectConfirmationData", NS)
    assert data is not None and instant(data.get("NotOnOrAfter")) < now


def test_unsigned_metadata(start_peer: StartPeer) -> None:
    idp = start_peer("metadonnees_non_signees")
    assert idp.metadata_anchor_file is None
    document = metadata(idp)
    assert document.find("ds:Signature", NS) is None
    assert document.get("validUntil") and document.get("cacheDuration") == "PT1H"


def test_metadata_signed_by_another_key_than_the_anchor(start_peer: StartPeer) -> None:
    idp = start_peer("metadonnees_signature_etrangere")
    assert idp.metadata_anchor_file is not None
    document = etree.tostring(metadata(idp))
    with pytest.raises(InvalidSignature):
        client.verified_subtrees(document, idp.metadata_anchor_file)
    # The signature itself is sound: it verifies with the certificate it carries.
    embedded = client.parse_xml(document).findtext(".//ds:X509Certificate", namespaces=NS)
    assert embedded
    pem = idp.folder / "embedded.pem"
    pem.write_text(
        "-----BEGIN CERTIFICATE-----\n" + embedded.strip() + "\n-----END CERTIFICATE-----\n"
    )
    assert len(client.verified_subtrees(document, pem)) == 1


def test_undeclared_acs_accepted(start_peer: StartPeer) -> None:
    attempt = log_in(start_peer("acs_non_declaree_acceptee"), acs=UNDECLARED_ACS_URL)
    assert attempt.response_action == UNDECLARED_ACS_URL
    assert attempt.response.get("Destination") == UNDECLARED_ACS_URL
    assert attempt.response.find("samlp:Status/samlp:StatusCode", NS).get("Value") == SUCCESS  # type: ignore[union-attr]


def test_wrong_audience_signed_all_the_same(start_peer: StartPeer) -> None:
    idp = start_peer("audience_erronee")
    attempt = log_in(idp)
    assert attempt.response_xml is not None
    verified = client.verified_subtrees(attempt.response_xml, idp.signing_cert_file)
    assert len(verified) == 2
    audiences = [a.text for a in verified[1].iter(f"{{{NS['saml']}}}Audience")]
    assert audiences == [peer.WRONG_AUDIENCE]


def test_wrong_recipient(start_peer: StartPeer) -> None:
    attempt = log_in(start_peer("destinataire_errone"))
    data = assertion_of(attempt.response).find(".//saml:SubjectConfirmationData", NS)
    assert data is not None
    assert data.get("Recipient") == peer.WRONG_RECIPIENT
    assert data.get("InResponseTo") == attempt.request_id
    assert attempt.response.get("Destination") == SP_ACS_URL


def test_no_in_response_to(start_peer: StartPeer) -> None:
    attempt = log_in(start_peer("sans_inresponseto"))
    response = attempt.response
    assert response.get("InResponseTo") is None
    data = assertion_of(response).find(".//saml:SubjectConfirmationData", NS)
    assert data is not None and data.get("InResponseTo") is None
    assert data.get("Recipient") == SP_ACS_URL


def test_metadata_without_validity(start_peer: StartPeer) -> None:
    idp = start_peer("metadonnees_sans_validite")
    document = metadata(idp)
    assert document.get("validUntil") is None and document.get("cacheDuration") is None
    assert idp.metadata_anchor_file is not None
    assert len(client.verified_subtrees(etree.tostring(document), idp.metadata_anchor_file)) == 1


def test_signature_wrapping(start_peer: StartPeer) -> None:
    idp = start_peer("signature_detournee")
    attempt = log_in(idp)
    response = attempt.response
    assert response.find("ds:Signature", NS) is None
    first, second = response.findall("saml:Assertion", NS)
    assert first.find("ds:Signature", NS) is None and second.find("ds:Signature", NS) is not None
    assert attempt.response_xml is not None
    verified = client.verified_subtrees(attempt.response_xml, idp.signing_cert_file)
    assert [v.get("ID") for v in verified] == [second.get("ID")]
    assert values(attributes(first)["ENTPersonProfils"]) == ["National_DIR"]
    assert values(attributes(verified[0])["ENTPersonProfils"]) == ["National_ELV"]


def test_pysaml2_default_attribute_maps(start_peer: StartPeer) -> None:
    released = attributes(assertion_of(log_in(start_peer("carte_attributs_par_defaut")).response))
    uid = released["urn:oid:0.9.2342.19200300.100.1.1"]
    assert uid.get("NameFormat") == URI and uid.get("FriendlyName") == "uid"
    assert values(uid) == [STUDENT.login]
    assert "uid" not in released
    # Names pysaml2 does not know keep their SDET name, labelled URI though they are not URIs
    # (core §8.2.2).
    profiles = released["ENTPersonProfils"]
    assert profiles.get("NameFormat") == URI and profiles.get("FriendlyName") is None
    assert values(profiles) == ["National_ELV"]


def test_unknown_sp_trusted_on_first_use(start_peer: StartPeer) -> None:
    idp = start_peer("sp_inconnu_accepte")
    stranger = "urn:sdet-check:sp-inconnu:tofu"
    attempt = log_in(idp, sp=stranger, acs=UNDECLARED_ACS_URL, signed=False)
    assert len(attempt.login_forms) == 1
    assert attempt.response_action == UNDECLARED_ACS_URL
    response = attempt.response
    assert response.find("samlp:Status/samlp:StatusCode", NS).get("Value") == SUCCESS  # type: ignore[union-attr]
    assertion = assertion_of(response)
    assert assertion.findtext(".//saml:Audience", namespaces=NS) == stranger
    assert attributes(assertion) == {}
    # The declared SP is served as usual.
    assert log_in(idp).response_action == SP_ACS_URL


# --- the target file and the life cycle ----------------------------------------------------


def test_target_section_matches_the_simplesamlphp_layout(
    start_peer: StartPeer, tmp_path: Path
) -> None:
    idp = start_peer("conforme")
    data: dict[str, Any] = {"format": 1, "name": "IdP pysaml2 de test"}
    environ = add_pysaml2_idp_to_target(data, idp)
    assert environ == {PASSWORD_ENV: idp.password}
    assert idp.metadata_anchor_file is not None and idp.ca_file is not None
    assert data["saml"] == {
        "metadata_url": idp.metadata_url,
        "sp_entity_id": SP_ENTITY_ID,
        "sp_acs_url": SP_ACS_URL,
        "sp_key_file": str(idp.sp_key_file.resolve()),
        "accounts": [u.login for u in DEMO_USERS],
        "agreed_attributes": list(SP_ATTRIBUTES),
        "gar": {"connected": True, "sp_entity_id": GAR_SP_ENTITY_ID, "sp_acs_url": GAR_SP_ACS_URL},
        "metadata_signing_cert": str(idp.metadata_anchor_file.resolve()),
    }
    assert data["tls"] == {"ca_file": str(idp.ca_file.resolve())}
    assert [a["login"] for a in data["accounts"]] == [u.login for u in DEMO_USERS]
    file = tmp_path / "cible.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    target = load_target(file, environ)
    assert target is not None


def test_start_is_fast_and_stop_cleans_up(tmp_path: Path) -> None:
    idp = Pysaml2Idp(VARIANTS["conforme"], pki_dir=tmp_path / "pki")
    with idp:
        assert idp.start_seconds is not None and idp.start_seconds < 15
        folder = idp.folder
        assert folder.is_dir()
        url = idp.metadata_url
        assert session_for(idp).get(url, timeout=10).status_code == 200
        with pytest.raises(RuntimeError):
            idp.start()
    assert not folder.exists()
    with pytest.raises(requests.ConnectionError):
        requests.get(url, verify=False, timeout=2)
    idp.stop()  # twice is fine


def test_bad_configurations_are_refused() -> None:
    with pytest.raises(ValueError, match="login_form"):
        Pysaml2Config(login_form="trois_etapes")
    with pytest.raises(ValueError, match="metadata_signature"):
        Pysaml2Config(metadata_signature="peut-etre")
    with pytest.raises(ValueError, match="form_action"):
        Pysaml2Config(form_action="ftp://ailleurs")
    with pytest.raises(ValueError, match="key_bits"):
        Pysaml2Config(key_bits=512)


def test_every_variant_is_covered_by_a_test() -> None:
    tested = {
        "conforme", "champs_renommes", "connexion_en_deux_etapes", "formulaire_etranger",
        "http_en_clair", "certificat_expire", "cles_faibles_sha1", "assertion_non_signee",
        "attribut_non_publie", "nameid_courriel", "assertion_echue", "metadonnees_non_signees",
        "metadonnees_signature_etrangere", "acs_non_declaree_acceptee", "audience_erronee",
        "destinataire_errone", "sans_inresponseto", "metadonnees_sans_validite",
        "signature_detournee", "carte_attributs_par_defaut", "sp_inconnu_accepte",
    }  # fmt: skip
    assert set(VARIANTS) == tested
