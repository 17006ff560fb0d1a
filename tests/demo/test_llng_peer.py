"""The LemonLDAP::NG peer starts, logs in through CAS and SAML, and behaves as documented.

Plain ``requests`` only (not the project's probes): these tests pin the facts the module
docstring of :mod:`sdet_check.demo.llng` states, which the probe matrix relies on.
"""

from __future__ import annotations

import base64
import concurrent.futures
import datetime as dt
import http.server
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree
from signxml.verifier import XMLVerifier

from sdet_check.demo.cas import OTHER_SERVICE, SERVICE, UNREGISTERED_SERVICE
from sdet_check.demo.llng import (
    APT_PACKAGES,
    VARIANTS,
    LlngServer,
    add_llng_to_target,
    missing_requirements,
)
from sdet_check.demo.saml import BINDING_POST, NAMEID_TRANSIENT, SP_ACS_URL, SP_ENTITY_ID
from sdet_check.target import load_target

# On a developer machine without the packages the module is skipped; in CI (which installs
# them) a missing package must fail loudly instead.
pytestmark = pytest.mark.skipif(
    missing_requirements() is not None and not os.environ.get("CI"),
    reason="LemonLDAP::NG absent (apt-get install " + " ".join(APT_PACKAGES) + ")",
)

CAS_NS = {"cas": "http://www.yale.edu/tp/cas"}
SAML_NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
}


# --- fixtures and helpers -----------------------------------------------------------------


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pki")


@pytest.fixture(scope="module")
def llng(pki_dir: Path) -> Iterator[LlngServer]:
    with LlngServer(VARIANTS["conforme"], pki_dir) as server:
        yield server


class Client:
    """A cookie jar of its own, the peer's CA, no proxy or CA bundle from the environment."""

    def __init__(self, server: LlngServer) -> None:
        self.server = server
        self.session = requests.Session()
        # REQUESTS_CA_BUNDLE would otherwise override the session's verify.
        self.session.trust_env = False
        self.verify: str | bool = str(server.ca_file) if server.config.https else False

    def get(self, url: str, **params: str) -> requests.Response:
        return self.session.get(
            url, params=params, allow_redirects=False, verify=self.verify, timeout=30
        )

    def post(self, url: str, data: dict[str, str]) -> requests.Response:
        return self.session.post(
            url, data=data, allow_redirects=False, verify=self.verify, timeout=30
        )

    def password(self, login: str) -> str:
        account = next(a for a in self.server.accounts if a.login == login)
        return self.server.environ()[account.password_env]


def inputs(html: str) -> dict[str, str]:
    """Name and value of every ``<input>`` of a page."""
    found = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            found[name.group(1)] = value.group(1) if value else ""
    return found


def portal_error(html: str) -> list[str]:
    """The portal's message numbers (``trmsg``) shown on a page."""
    return re.findall(r'trmsg="(\d+)"', html)


def cas_login(client: Client, service: str = SERVICE, login: str = "lea.martin") -> str:
    """Fill the login form for ``service``; return the ``Location`` of the answer."""
    form_page = client.get(client.server.url + "/login", service=service)
    assert form_page.status_code == 200
    fields = inputs(form_page.text)
    fields.update(user=login, password=client.password(login))
    answer = client.post(form_page.url, fields)
    assert answer.status_code == 302, portal_error(answer.text)
    return answer.headers["Location"]


def ticket_of(location: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["ticket"][0]


def cas_xml(answer: requests.Response) -> etree._Element:
    assert answer.headers["Content-Type"] == "application/soap+xml"
    return etree.fromstring(answer.content)


# --- CAS ----------------------------------------------------------------------------------


def test_cas_login_form_and_fresh_session_validation(llng: LlngServer) -> None:
    browser = Client(llng)
    form_page = browser.get(llng.url + "/login", service=SERVICE)
    fields = inputs(form_page.text)
    assert {"user", "password", "token", "url"} <= set(fields)
    assert "service" not in fields  # kept in the lemonldappdata cookie and the query string
    assert re.search(r'<form id="lform" action="#" method="post"', form_page.text)

    location = cas_login(browser)
    assert location.startswith(SERVICE + "?ticket=ST-")
    ticket = ticket_of(location)
    assert re.fullmatch(r"ST-[0-9a-f]{64}", ticket)
    sso_cookie = next(c for c in browser.session.cookies if c.name == "lemonldap")
    assert sso_cookie.secure and sso_cookie.domain == ".127.0.0.1"

    backend = Client(llng)  # the service's own back-channel: no browser cookie
    answer = backend.get(llng.url + "/p3/serviceValidate", service=SERVICE, ticket=ticket)
    root = cas_xml(answer)
    assert root.findtext("cas:authenticationSuccess/cas:user", namespaces=CAS_NS) == "lea.martin"
    attributes = root.find("cas:authenticationSuccess/cas:attributes", CAS_NS)
    assert attributes is not None
    released = {etree.QName(e).localname: e.text for e in attributes}
    assert released["ENTPersonProfils"] == "National_ELV"
    assert released["ENTPersonStructRattachRNE"] == "0751234J"
    assert released["ENTPersonJointure"] == "AAF$4821037"
    assert released["ENTEleveClasses"] == "0751234J$4A"
    assert released["uid"] == "lea.martin"

    assert released["givenName"] == "Léa"  # UTF-8 on the wire, whole (Content-Length right)
    assert int(answer.headers["Content-Length"]) == len(answer.content)
    assert answer.content.endswith(b"</cas:serviceResponse>\n")

    teacher = ticket_of(cas_login(Client(llng), login="claire.dubois"))
    answer = backend.get(llng.url + "/serviceValidate", service=SERVICE, ticket=teacher)
    classes = cas_xml(answer).findall(
        "cas:authenticationSuccess/cas:attributes/cas:ENTAuxEnsClasses", CAS_NS
    )
    assert sorted(c.text or "" for c in classes) == ["0751234J$3B", "0751234J$4A"]

    replay = cas_xml(backend.get(llng.url + "/p3/serviceValidate", service=SERVICE, ticket=ticket))
    failure = replay.find("cas:authenticationFailure", CAS_NS)
    assert failure is not None and failure.get("code") == "INVALID_TICKET"


def test_cas_sso_cas1_and_error_codes(llng: LlngServer) -> None:
    browser, backend = Client(llng), Client(llng)
    cas_login(browser)
    again = browser.get(llng.url + "/login", service=SERVICE)
    assert again.status_code == 302 and "ticket=ST-" in again.headers["Location"]

    cas1 = backend.get(
        llng.url + "/validate", service=SERVICE, ticket=ticket_of(again.headers["Location"])
    )
    assert cas1.text == "yes\nlea.martin\n"
    refused = backend.get(llng.url + "/validate", service=SERVICE, ticket="ST-1")
    assert refused.text == "no\n\n"
    # A ticket whose id is Perl-false ("ST-", "ST-0") opens a new empty CAS session: HTTP 500.
    assert backend.get(llng.url + "/validate", service=SERVICE, ticket="ST-0").status_code == 500

    def code(**params: str) -> str | None:
        root = cas_xml(backend.get(llng.url + "/serviceValidate", **params))
        failure = root.find("cas:authenticationFailure", CAS_NS)
        return None if failure is None else failure.get("code")

    assert code(service=SERVICE) == "INVALID_REQUEST"
    assert code(service=SERVICE, ticket="XX-1") == "INVALID_TICKET"  # not INVALID_TICKET_SPEC
    ticket = ticket_of(browser.get(llng.url + "/login", service=SERVICE).headers["Location"])
    assert code(service=OTHER_SERVICE, ticket=ticket) == "INVALID_SERVICE"
    assert code(service=SERVICE, ticket=ticket) == "INVALID_TICKET"  # burnt by the mismatch


def test_a_stale_pdata_cookie_loses_the_service(llng: LlngServer) -> None:
    browser = Client(llng)
    assert browser.get(llng.url + "/login").status_code == 200  # no service: pdata cookie set
    assert cas_login(browser) == llng.url  # the service of the second form is forgotten
    again = browser.get(llng.url + "/login", service=SERVICE)
    assert again.status_code == 302 and again.headers["Location"].startswith(SERVICE + "?ticket=")


def test_an_idle_connection_does_not_freeze_the_portal(llng: LlngServer) -> None:
    port = int(urllib.parse.urlsplit(llng.base_url).port or 0)
    with socket.create_connection(("127.0.0.1", port)):
        answer = Client(llng).session.get(llng.metadata_url, verify=str(llng.ca_file), timeout=10)
    assert answer.status_code == 200


def test_concurrent_metadata_requests_all_succeed(llng: LlngServer) -> None:
    def fetch(_: int) -> int:
        return Client(llng).get(llng.metadata_url).status_code

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        assert list(pool.map(fetch, range(48))) == [200] * 48


def test_the_portal_does_not_outlive_its_parent(pki_dir: Path) -> None:
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from sdet_check.demo.llng import VARIANTS, LlngServer\n"
        "server = LlngServer(VARIANTS['http_en_clair'], Path(sys.argv[1]))\n"
        "server.start()\n"
        "print(server.base_url, server._folder, flush=True)\n"
        "os._exit(0)\n"
    )
    started = subprocess.run(
        [sys.executable, "-c", script, str(pki_dir)],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    base_url, folder = started.stdout.split()
    port = urllib.parse.urlsplit(base_url).port
    assert port is not None
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                return  # nobody listens any more
            time.sleep(0.2)
        pytest.fail(f"LemonLDAP::NG still listens on {port} after its parent died")
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # its parent died before removing it


def test_validation_through_the_browser_session_is_not_xml(llng: LlngServer) -> None:
    browser = Client(llng)
    ticket = ticket_of(cas_login(browser))
    with_cookie = browser.get(llng.url + "/p3/serviceValidate", service=SERVICE, ticket=ticket)
    assert with_cookie.status_code == 302
    assert with_cookie.headers["Location"] == llng.base_url
    # The ticket was not consumed: the back channel still validates it.
    fresh = cas_xml(
        Client(llng).get(llng.url + "/p3/serviceValidate", service=SERVICE, ticket=ticket)
    )
    assert fresh.find("cas:authenticationSuccess", CAS_NS) is not None


def test_unknown_service_gateway_samlvalidate_logout(llng: LlngServer) -> None:
    browser = Client(llng)
    cas_login(browser)
    unknown = browser.get(llng.url + "/login", service=UNREGISTERED_SERVICE)
    assert unknown.status_code == 200 and portal_error(unknown.text) == ["107"]
    gateway = Client(llng).get(llng.url + "/login", service=SERVICE, gateway="true")
    assert gateway.status_code == 302 and gateway.headers["Location"] == SERVICE
    saml_validate = Client(llng).session.post(
        llng.url + "/samlValidate", params={"TARGET": SERVICE}, data="<x/>",
        verify=str(llng.ca_file), timeout=30,
    )  # fmt: skip
    assert saml_validate.status_code == 200
    assert saml_validate.headers["Content-Type"].startswith("text/html")
    logout = browser.get(llng.url + "/logout", service=SERVICE)
    assert logout.status_code == 302 and logout.headers["Location"] == SERVICE
    assert browser.get(llng.url + "/login", service=SERVICE).status_code == 200  # SSO gone


def test_proxy_tickets_and_the_missing_return_bug(llng: LlngServer) -> None:
    received: list[str] = []

    class Callback(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            received.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    listener = http.server.HTTPServer(("127.0.0.1", 0), Callback)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(llng.pki.cert_file, llng.pki.key_file)
    listener.socket = context.wrap_socket(listener.socket, server_side=True)
    thread = threading.Thread(target=listener.serve_forever, daemon=True)
    thread.start()
    try:
        browser, backend = Client(llng), Client(llng)
        ticket = ticket_of(cas_login(browser))
        callback = f"https://127.0.0.1:{listener.server_address[1]}/sdet-check/pgt"
        root = cas_xml(
            backend.get(
                llng.url + "/serviceValidate", service=SERVICE, ticket=ticket, pgtUrl=callback
            )
        )
        iou = root.findtext("cas:authenticationSuccess/cas:proxyGrantingTicket", namespaces=CAS_NS)
        assert iou is not None and iou.startswith("PGTIOU-")
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(received[-1]).query)
        assert query["pgtIou"] == [iou]
        pgt = query["pgtId"][0]
        proxy = cas_xml(backend.get(llng.url + "/proxy", pgt=pgt, targetService=OTHER_SERVICE))
        pt = proxy.findtext("cas:proxySuccess/cas:proxyTicket", namespaces=CAS_NS)
        assert pt is not None and pt.startswith("PT-")
        validated = cas_xml(
            backend.get(llng.url + "/p3/proxyValidate", service=OTHER_SERVICE, ticket=pt)
        )
        proxies = validated.findall("cas:authenticationSuccess/cas:proxies/cas:proxy", CAS_NS)
        assert [p.text for p in proxies] == [callback]
        # LemonLDAP::NG 2.16.1 forgets to return on /proxy errors: no pgt still yields a PT,
        # an unknown PGT dies with an HTTP 500.
        no_pgt = cas_xml(backend.get(llng.url + "/proxy", targetService=OTHER_SERVICE))
        assert no_pgt.find("cas:proxySuccess", CAS_NS) is not None
        unknown = backend.get(llng.url + "/proxy", pgt="PGT-inconnu", targetService=OTHER_SERVICE)
        assert unknown.status_code == 500
    finally:
        listener.shutdown()
        listener.server_close()


# --- SAML ---------------------------------------------------------------------------------


def authn_request_url(sso_url: str, key_file: Path, relay_state: str) -> str:
    """A signed HTTP-Redirect AuthnRequest of the test SP (rsa-sha256)."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    request = (
        '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="_{secrets.token_hex(16)}" Version="2.0" IssueInstant="{now}" '
        f'Destination="{sso_url}" AssertionConsumerServiceURL="{SP_ACS_URL}" '
        f'ProtocolBinding="{BINDING_POST}"><saml:Issuer>{SP_ENTITY_ID}</saml:Issuer>'
        f'<samlp:NameIDPolicy Format="{NAMEID_TRANSIENT}" AllowCreate="true"/>'
        "</samlp:AuthnRequest>"
    )
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = deflate.compress(request.encode()) + deflate.flush()
    signed = urllib.parse.urlencode(
        {
            "SAMLRequest": base64.b64encode(raw).decode(),
            "RelayState": relay_state,
            "SigAlg": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        },
        quote_via=urllib.parse.quote,
    )
    key = serialization.load_pem_private_key(key_file.read_bytes(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    signature = key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{sso_url}?{signed}&Signature=" + urllib.parse.quote(
        base64.b64encode(signature).decode(), safe=""
    )


def test_saml_metadata(llng: LlngServer) -> None:
    answer = Client(llng).get(llng.metadata_url)
    assert answer.headers["Content-Type"] == "application/xml"
    root = etree.fromstring(answer.content)
    assert root.get("entityID") == llng.entity_id
    assert root.get("validUntil") is None and root.get("cacheDuration") is None
    assert root.find("ds:Signature", SAML_NS) is None
    idp = root.find("md:IDPSSODescriptor", SAML_NS)
    assert idp is not None and idp.get("WantAuthnRequestsSigned") == "true"
    bindings = {
        e.get("Binding", "").rsplit(":", 1)[-1]
        for e in idp.findall("md:SingleSignOnService", SAML_NS)
    }
    assert bindings == {"HTTP-Redirect", "HTTP-POST", "HTTP-Artifact"}
    formats = [e.text for e in idp.findall("md:NameIDFormat", SAML_NS)]
    assert NAMEID_TRANSIENT in formats
    assert "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" not in formats
    # The portal publishes its SP role in the same document.
    assert root.find("md:SPSSODescriptor", SAML_NS) is not None


def test_saml_login_signed_response_and_assertion(llng: LlngServer) -> None:
    browser = Client(llng)
    sso = llng.base_url + "saml/singleSignOn"
    form_page = browser.get(authn_request_url(sso, llng.sp_key_file, "etat-42"))
    fields = inputs(form_page.text)
    assert {"user", "password", "token"} <= set(fields)
    fields.update(user="lea.martin", password=browser.password("lea.martin"))
    answer = browser.post(form_page.url, fields)
    assert answer.status_code == 200
    assert re.search(
        rf'<form id="form" action="{re.escape(SP_ACS_URL)}" method="post"', answer.text
    )
    posted = inputs(answer.text)
    assert posted["RelayState"] == "etat-42"
    response = etree.fromstring(base64.b64decode(posted["SAMLResponse"]))
    assert [etree.QName(c).localname for c in response] == [
        "Issuer",
        "Signature",
        "Status",
        "Assertion",
    ]
    assertion = response.find("saml:Assertion", SAML_NS)
    assert assertion is not None
    assert [etree.QName(c).localname for c in assertion][:2] == ["Issuer", "Signature"]
    key_info = response.find("ds:Signature/ds:KeyInfo", SAML_NS)
    assert key_info is not None and [etree.QName(c).localname for c in key_info] == ["KeyValue"]
    certificate = llng.signing_cert_file.read_text(encoding="ascii")
    verified = XMLVerifier().verify(
        etree.tostring(response), x509_cert=certificate, expect_references=1
    )
    assert verified.signed_xml is not None
    name_id = assertion.find("saml:Subject/saml:NameID", SAML_NS)
    assert name_id is not None and name_id.get("Format") == NAMEID_TRANSIENT
    values = {
        a.get("Name"): [v.text for v in a.findall("saml:AttributeValue", SAML_NS)]
        for a in assertion.iterfind("saml:AttributeStatement/saml:Attribute", SAML_NS)
    }
    assert values["ENTPersonProfils"] == ["National_ELV"]
    assert values["ENTPersonStructRattachRNE"] == ["0751234J"]

    # An AuthnRequest from an unknown SP is refused only once the user is logged in: before,
    # the login form comes first.
    request = (
        f'<samlp:AuthnRequest xmlns:samlp="{SAML_NS["samlp"]}" xmlns:saml="{SAML_NS["saml"]}" '
        'ID="_x" Version="2.0" IssueInstant="2026-01-01T00:00:00Z">'
        "<saml:Issuer>https://inconnu.example.invalid/sp</saml:Issuer></samlp:AuthnRequest>"
    )
    encoded = base64.b64encode(zlib.compress(request.encode())[2:-4]).decode()
    unknown = browser.get(sso, SAMLRequest=encoded)
    assert unknown.status_code == 200 and portal_error(unknown.text) == ["107"]
    before_login = Client(llng).get(sso, SAMLRequest=encoded)
    assert "user" in inputs(before_login.text) and portal_error(before_login.text) == ["9"]


# --- variants and the target file ---------------------------------------------------------


@pytest.mark.parametrize("variant", ["http_en_clair", "service_ouvert", "attribut_non_publie"])
def test_broken_variants(variant: str, pki_dir: Path) -> None:
    with LlngServer(VARIANTS[variant], pki_dir) as server:
        browser = Client(server)
        location = cas_login(browser)
        assert location.startswith(SERVICE + "?ticket=ST-")
        if variant == "attribut_non_publie":
            answer = Client(server).get(
                server.url + "/p3/serviceValidate", service=SERVICE, ticket=ticket_of(location)
            )
            attributes = cas_xml(answer).find("cas:authenticationSuccess/cas:attributes", CAS_NS)
            assert attributes is not None
            names = {etree.QName(e).localname for e in attributes}
            assert "ENTPersonProfils" not in names and "ENTPersonStructRattachRNE" in names
        elif variant == "http_en_clair":
            assert server.url.startswith("http://127.0.0.1:")
            assert not next(c for c in browser.session.cookies if c.name == "lemonldap").secure
        else:
            unknown = browser.get(server.url + "/login", service=UNREGISTERED_SERVICE)
            assert unknown.status_code == 302
            assert unknown.headers["Location"].startswith(UNREGISTERED_SERVICE + "?ticket=ST-")


def test_add_llng_to_target_gives_a_valid_target(llng: LlngServer, tmp_path: Path) -> None:
    data: dict[str, Any] = {"format": 1, "name": "LemonLDAP::NG de test"}
    add_llng_to_target(data, llng)
    assert data["cas"]["url"] == llng.url and data["saml"]["metadata_url"] == llng.metadata_url
    file = tmp_path / "cible.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    target = load_target(file, llng.environ())
    assert target.section("cas")["service"] == SERVICE
    assert target.section("saml")["sp_entity_id"] == SP_ENTITY_ID
