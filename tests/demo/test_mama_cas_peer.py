"""The second real CAS peer, django-mama-cas, checked with plain ``requests`` (no probe).

Each variant keeps the promise its constructor states: a login yields ``ST-…`` that a
service validates from a fresh session without cookies, the renamed fields, the two steps,
the foreign form action, plain HTTP, and the broken behaviours. A last group pins the facts
of the module docstring's table (mama-cas' own deviations) that the probe matrix relies on.
"""

from __future__ import annotations

import os
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
import yaml
from lxml import etree

from sdet_check.demo.cas import (
    ACCOUNTS,
    OTHER_SERVICE,
    SERVICE,
    UNREGISTERED_SERVICE,
    DemoAccount,
    add_cas_to_target,
)
from sdet_check.demo.mama_cas import (
    VARIANTS,
    MamaCasConfig,
    MamaCasServer,
    MamaCasUnavailableError,
    add_mama_cas_to_target,
    mama_cas_available,
)
from sdet_check.demo.pki import PkiFiles, ensure_pki
from sdet_check.target import load_target

CAS_NS = "http://www.yale.edu/tp/cas"
NS = {"cas": CAS_NS}
TICKET = re.compile(r"^ST-[0-9]{10}-[A-Za-z0-9]{32}$")

if not mama_cas_available() and not os.environ.get("CI"):
    pytest.skip("django-mama-cas absent (pip install -e '.[test]')", allow_module_level=True)


# --- helpers ------------------------------------------------------------------------------


@dataclass
class Form:
    action: str | None
    method: str
    inputs: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.forms.append(Form(values.get("action"), (values.get("method") or "get").lower()))
        elif tag == "input" and self.forms and values.get("name"):
            name = values["name"] or ""
            self.forms[-1].inputs[name] = values.get("value") or ""
            self.forms[-1].types[name] = values.get("type") or "text"


def only_form(html: str) -> Form:
    reader = _FormReader()
    reader.feed(html)
    assert len(reader.forms) == 1, reader.forms
    return reader.forms[0]


def client(server: MamaCasServer) -> requests.Session:
    """A browser-like session; REQUESTS_CA_BUNDLE must not override the test CA."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(server.ca_file)
    return session


def password(server: MamaCasServer, account: DemoAccount) -> str:
    return server.environ()[account.password_env]


def submit(session: requests.Session, page: requests.Response, **fields: str) -> requests.Response:
    """Post the page's single form as a browser would (hidden fields kept, Referer sent)."""
    form = only_form(page.text)
    assert form.method == "post"
    data = {**form.inputs, **fields}
    target = urljoin(page.url, form.action) if form.action else page.url
    return session.post(target, data=data, allow_redirects=False, headers={"Referer": page.url})


def ticket_of(response: requests.Response, service: str = SERVICE) -> str:
    assert response.status_code == 302, (response.status_code, response.text[:300])
    location = response.headers["Location"]
    assert location.startswith(service + "?"), location
    tickets = parse_qs(urlsplit(location).query)["ticket"]
    assert len(tickets) == 1
    return tickets[0]


def login(
    server: MamaCasServer,
    session: requests.Session | None = None,
    account: DemoAccount = ACCOUNTS[0],
    service: str = SERVICE,
) -> tuple[requests.Session, str]:
    """A full login through mama-cas' own form; the session and the service ticket."""
    session = session or client(server)
    page = session.get(f"{server.url}/login", params={"service": service})
    assert page.status_code == 200
    answer = submit(session, page, username=account.login, password=password(server, account))
    return session, ticket_of(answer, service)


def validate(
    server: MamaCasServer, ticket: str, endpoint: str = "p3/serviceValidate", **params: str
) -> etree._Element:
    """Validate as a service does: a fresh connection, no cookie."""
    answer = requests.get(
        f"{server.url}/{endpoint}",
        params={"service": SERVICE, "ticket": ticket, **params},
        verify=str(server.ca_file),
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/xml")
    root: etree._Element = etree.fromstring(answer.content, etree.XMLParser(resolve_entities=False))
    return root


def attributes(root: etree._Element) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for element in root.findall("cas:authenticationSuccess/cas:attributes/*", NS):
        found.setdefault(etree.QName(element).localname, []).append(element.text or "")
    return found


def failure_code(root: etree._Element, element: str = "authenticationFailure") -> str:
    failure = root.find(f"cas:{element}", NS)
    assert failure is not None, etree.tostring(root)
    return failure.get("code", "")


def sso_cookie(session: requests.Session) -> Any:
    cookies = [cookie for cookie in session.cookies if cookie.name == "TGC-ENT"]
    assert len(cookies) == 1, [cookie.name for cookie in session.cookies]
    return cookies[0]


class _Capture(BaseHTTPRequestHandler):
    received: list[tuple[str, str]]

    def do_GET(self) -> None:
        self.received.append(("GET", self.path))
        self._ok()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.received.append(("POST", self.rfile.read(length).decode()))
        self._ok()

    def _ok(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def capture() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """A plain-HTTP capture server on loopback: what a hostile form action would collect."""
    received: list[tuple[str, str]] = []
    handler = type("Handler", (_Capture,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/vol", received
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def callback(pki_dir: Path) -> Iterator[tuple[str, list[str]]]:
    """The probes' kind of proxy callback: HTTPS on loopback with the test PKI."""
    pki = PkiFiles.in_folder(pki_dir)
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            received.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(pki.cert_file, pki.key_file)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/sdet-check/rappel", received
    finally:
        server.shutdown()
        server.server_close()


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pki")
    ensure_pki(folder)
    return folder


@pytest.fixture(scope="module")
def start_times() -> dict[str, float]:
    return {}


@pytest.fixture(scope="module")
def servers(pki_dir: Path, start_times: dict[str, float]) -> Iterator[Callable[..., MamaCasServer]]:
    """Start each variant once, on first use; stop them all at the end of the module."""
    with ExitStack() as stack:
        started: dict[str, MamaCasServer] = {}

        def get(variant: str, config: MamaCasConfig | None = None) -> MamaCasServer:
            if variant not in started:
                begin = time.monotonic()
                server = MamaCasServer(config or getattr(MamaCasConfig, variant)(), pki_dir)
                started[variant] = stack.enter_context(server)
                start_times[variant] = time.monotonic() - begin
            return started[variant]

        yield get


@pytest.fixture(scope="module")
def conformant(servers: Callable[..., MamaCasServer]) -> MamaCasServer:
    return servers("conformant")


# --- the conformant variant ---------------------------------------------------------------


def test_login_gives_a_service_ticket_a_fresh_service_validates(conformant: MamaCasServer) -> None:
    assert re.fullmatch(r"https://127\.0\.0\.1:[0-9]+/cas", conformant.url)
    for account in ACCOUNTS:
        session, ticket = login(conformant, account=account)
        assert TICKET.match(ticket), ticket
        root = validate(conformant, ticket)
        user = root.find("cas:authenticationSuccess/cas:user", NS)
        assert user is not None and user.text == account.login
        released = attributes(root)
        for name, expected in account.expect.items():
            assert released[name] == (expected if isinstance(expected, list) else [expected])
        # SSO: the session alone gets a second ticket, for another service.
        again = session.get(
            f"{conformant.url}/login", params={"service": OTHER_SERVICE}, allow_redirects=False
        )
        assert TICKET.match(ticket_of(again, OTHER_SERVICE))


def test_pupil_attributes_are_the_sdet_ones_in_the_cas3_layout(conformant: MamaCasServer) -> None:
    pupil, teacher = ACCOUNTS[0], ACCOUNTS[2]
    released = attributes(validate(conformant, login(conformant, account=pupil)[1]))
    assert released["ENTPersonProfils"] == ["National_ELV"]
    assert released["ENTPersonStructRattachRNE"] == ["0751234J"]
    assert released["ENTPersonJointure"] == ["AAF$4821037"]
    assert released["ENTEleveClasses"] == ["0751234J$4A"]
    assert released["givenName"] == ["Léa"]  # UTF-8 bytes, though Content-Type has no charset
    multi = attributes(
        validate(conformant, login(conformant, account=teacher)[1], "serviceValidate")
    )
    assert multi["ENTAuxEnsClasses"] == ["0751234J$4A", "0751234J$3B"]  # one element per value


def test_sso_cookie_is_secure_httponly_restricted_and_session_only(
    conformant: MamaCasServer,
) -> None:
    session, _ = login(conformant)
    cookie = sso_cookie(session)
    assert cookie.secure and cookie.has_nonstandard_attr("HttpOnly")
    assert cookie.path == "/cas" and cookie.expires is None
    assert re.fullmatch(r"[a-z0-9]{32}", cookie.value)


def test_unregistered_service_never_gets_a_ticket(conformant: MamaCasServer) -> None:
    session, _ = login(conformant)
    refused = session.get(
        f"{conformant.url}/login", params={"service": UNREGISTERED_SERVICE}, allow_redirects=False
    )
    assert refused.status_code == 403 and "Location" not in refused.headers


def test_login_form_is_mama_cas_own(conformant: MamaCasServer) -> None:
    page = client(conformant).get(f"{conformant.url}/login", params={"service": SERVICE})
    form = only_form(page.text)
    assert form.action is None and set(form.inputs) == {
        "csrfmiddlewaretoken",
        "username",
        "password",
    }
    assert form.types["password"] == "password"


def test_proxy_tickets_through_the_https_callback(
    conformant: MamaCasServer, callback: tuple[str, list[str]]
) -> None:
    url, received = callback
    _, ticket = login(conformant)
    root = validate(conformant, ticket, pgtUrl=url)
    iou = root.findtext("cas:authenticationSuccess/cas:proxyGrantingTicket", namespaces=NS)
    assert iou and iou.startswith("PGTIOU-")
    assert received[0] == urlsplit(url).path  # a bare GET first: mama-cas checks the certificate
    delivered = parse_qs(urlsplit(received[1]).query)
    assert delivered["pgtIou"] == [iou]
    proxy = requests.get(
        f"{conformant.url}/proxy",
        verify=str(conformant.ca_file),
        params={"pgt": delivered["pgtId"][0], "targetService": OTHER_SERVICE},
    )
    answer = etree.fromstring(proxy.content)
    proxy_ticket = answer.findtext("cas:proxySuccess/cas:proxyTicket", namespaces=NS)
    assert proxy_ticket and proxy_ticket.startswith("PT-")
    checked = validate(conformant, proxy_ticket, "proxyValidate", service=OTHER_SERVICE)
    assert checked.findtext("cas:authenticationSuccess/cas:user", namespaces=NS) == "lea.martin"
    # mama-cas lists the proxy ticket's own service as the proxy, not the pgtUrl.
    proxies = checked.findall("cas:authenticationSuccess/cas:proxies/cas:proxy", NS)
    assert [proxy.text for proxy in proxies] == [OTHER_SERVICE]
    unknown = requests.get(
        f"{conformant.url}/proxy",
        verify=str(conformant.ca_file),
        params={"pgt": delivered["pgtId"][0], "targetService": UNREGISTERED_SERVICE},
    )
    assert failure_code(etree.fromstring(unknown.content), "proxyFailure") == "INVALID_SERVICE"
    # An http:// pgtUrl is never called; the validation succeeds without a PGT.
    received.clear()
    _, ticket = login(conformant)
    plain = validate(conformant, ticket, pgtUrl=url.replace("https://", "http://"))
    assert plain.find("cas:authenticationSuccess/cas:user", NS) is not None
    assert plain.find("cas:authenticationSuccess/cas:proxyGrantingTicket", NS) is None
    assert received == []


def test_saml_validate_answers_in_the_conformant_variant(conformant: MamaCasServer) -> None:
    _, ticket = login(conformant)
    answer = post_saml(conformant, ticket)
    assert answer.status_code == 200
    assert b'Value="samlp:Success"' in answer.content and b"National_ELV" in answer.content


def post_saml(server: MamaCasServer, ticket: str) -> requests.Response:
    body = (
        '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
        "<SOAP-ENV:Header/><SOAP-ENV:Body>"
        '<samlp:Request xmlns:samlp="urn:oasis:names:tc:SAML:1.0:protocol" MajorVersion="1" '
        'MinorVersion="1" RequestID="_sdet1" IssueInstant="2026-01-01T00:00:00Z">'
        f"<samlp:AssertionArtifact>{ticket}</samlp:AssertionArtifact>"
        "</samlp:Request></SOAP-ENV:Body></SOAP-ENV:Envelope>"
    )
    return requests.post(
        f"{server.url}/samlValidate",
        params={"TARGET": SERVICE},
        data=body,
        headers={"Content-Type": "text/xml"},
        verify=str(server.ca_file),
    )


def test_target_section_has_the_shape_of_django_cas_server_one(
    conformant: MamaCasServer, tmp_path: Path
) -> None:
    data = add_mama_cas_to_target({"format": 1, "name": "CAS mama"}, conformant)
    reference = add_cas_to_target({"format": 1, "name": "CAS mama"}, conformant)
    assert data == reference
    assert data["cas"]["url"] == conformant.url
    assert set(data["cas"]) >= {
        "url",
        "service",
        "other_service",
        "unregistered_service",
        "accounts",
        "callback",
    }
    file = tmp_path / "cible.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    target = load_target(file, conformant.environ())
    assert target is not None


# --- the login page variants ---------------------------------------------------------------


def test_renamed_fields_with_hidden_execution_token(servers: Callable[..., MamaCasServer]) -> None:
    server = servers("champs_renommes")
    account = ACCOUNTS[1]
    session = client(server)
    page = session.get(f"{server.url}/login", params={"service": SERVICE})
    form = only_form(page.text)
    assert {"identifiant", "motdepasse", "execution", "csrfmiddlewaretoken"} <= set(form.inputs)
    assert "username" not in form.inputs and "password" not in form.inputs
    assert form.types["motdepasse"] == "password" and form.types["execution"] == "hidden"
    # The CAS field names are not understood: the form comes back, no ticket.
    wrong = submit(session, page, username=account.login, password=password(server, account))
    assert wrong.status_code == 200 and "Location" not in wrong.headers
    # Without the execution token, neither.
    page = session.get(f"{server.url}/login", params={"service": SERVICE})
    stale = submit(
        session,
        page,
        execution="x",
        identifiant=account.login,
        motdepasse=password(server, account),
    )
    assert stale.status_code == 200 and "expirée" in stale.text
    page = session.get(f"{server.url}/login", params={"service": SERVICE})
    answer = submit(session, page, identifiant=account.login, motdepasse=password(server, account))
    root = validate(server, ticket_of(answer))
    assert attributes(root)["ENTPersonProfils"] == ["National_TUT"]


def test_two_step_login(servers: Callable[..., MamaCasServer]) -> None:
    server = servers("connexion_en_deux_etapes")
    account = ACCOUNTS[2]
    session = client(server)
    first = session.get(f"{server.url}/login", params={"service": SERVICE})
    form = only_form(first.text)
    assert "username" in form.inputs and "password" not in form.inputs
    second = submit(session, first, username=account.login)
    assert second.status_code == 200
    form = only_form(second.text)
    assert "password" in form.inputs and "username" not in form.inputs
    assert form.types["login_token"] == "hidden"
    answer = submit(session, second, password=password(server, account))
    root = validate(server, ticket_of(answer))
    assert root.findtext("cas:authenticationSuccess/cas:user", namespaces=NS) == account.login
    # A wrong password at the second step gives the second page back.
    other = client(server)
    first = other.get(f"{server.url}/login", params={"service": SERVICE})
    second = submit(other, first, username=account.login)
    again = submit(other, second, password="faux")
    assert again.status_code == 200 and "password" in only_form(again.text).inputs


def test_foreign_form_action_sends_the_password_elsewhere(
    pki_dir: Path, capture: tuple[str, list[tuple[str, str]]]
) -> None:
    action, received = capture
    account = ACCOUNTS[0]
    with MamaCasServer(MamaCasConfig.formulaire_etranger(action), pki_dir) as server:
        session = client(server)
        page = session.get(f"{server.url}/login", params={"service": SERVICE})
        assert only_form(page.text).action == action
        submit(session, page, username=account.login, password=password(server, account))
        assert received and received[0][0] == "POST"
        assert f"password={password(server, account)}" in received[0][1]


def test_plain_http_platform(servers: Callable[..., MamaCasServer]) -> None:
    server = servers("http_en_clair")
    assert server.url.startswith("http://127.0.0.1:")
    session = requests.Session()
    session.trust_env = False
    page = session.get(f"{server.url}/login", params={"service": SERVICE})
    answer = submit(
        session, page, username=ACCOUNTS[0].login, password=password(server, ACCOUNTS[0])
    )
    ticket = ticket_of(answer)
    assert not sso_cookie(session).secure
    text = requests.get(
        f"{server.url}/validate", params={"service": SERVICE, "ticket": ticket}
    ).text
    assert text == "yes\nlea.martin\n"


# --- the broken variants -----------------------------------------------------------------


def test_attributes_not_released(servers: Callable[..., MamaCasServer]) -> None:
    server = servers("attributs_non_publies")
    root = validate(server, login(server)[1])
    assert root.find("cas:authenticationSuccess/cas:user", NS) is not None
    assert root.find("cas:authenticationSuccess/cas:attributes", NS) is None


def test_persistent_sso_cookie(servers: Callable[..., MamaCasServer]) -> None:
    session, _ = login(servers("cookie_persistant"))
    cookie = sso_cookie(session)
    assert cookie.expires is not None and cookie.expires > time.time() + 7 * 86400


@pytest.mark.parametrize("variant", ["conformant", "renew_ignore"])
def test_renew_prompts_again_unless_dropped(
    servers: Callable[..., MamaCasServer], variant: str
) -> None:
    server = servers(variant)
    session, _ = login(server)
    renew = session.get(
        f"{server.url}/login", params={"service": SERVICE, "renew": "true"}, allow_redirects=False
    )
    if variant == "conformant":
        assert renew.status_code == 200 and "password" in only_form(renew.text).inputs
    else:
        sso_ticket = ticket_of(renew)
        # The ticket came from the SSO session: a renew validation refuses it.
        root = validate(server, sso_ticket, renew="true")
        assert failure_code(root) == "INVALID_TICKET"


def test_saml_validate_blocked_by_csrf(servers: Callable[..., MamaCasServer]) -> None:
    server = servers("saml_validate_bloque")
    answer = post_saml(server, login(server)[1])
    assert answer.status_code == 403 and b"CSRF" in answer.content


def test_every_variant_name_builds_a_config() -> None:
    configs = {name: getattr(MamaCasConfig, name)() for name in VARIANTS}
    assert len(set(configs.values())) == len(VARIANTS)
    assert configs["conformant"] == MamaCasConfig()
    with pytest.raises(ValueError, match="URL absolue"):
        MamaCasConfig.formulaire_etranger("/ailleurs")


# --- mama-cas' own behaviour: the facts of the module docstring ----------------------------


def test_facts_of_validation(conformant: MamaCasServer) -> None:
    ca = str(conformant.ca_file)
    _, ticket = login(conformant)
    assert len(ticket) == 46
    # INVALID_SERVICE consumes the ticket.
    assert failure_code(validate(conformant, ticket, service=OTHER_SERVICE)) == "INVALID_SERVICE"
    assert failure_code(validate(conformant, ticket)) == "INVALID_TICKET"
    # A ticket checked without service is consumed too (INVALID_REQUEST).
    _, ticket = login(conformant)
    root = etree.fromstring(
        requests.get(
            f"{conformant.url}/serviceValidate", params={"ticket": ticket}, verify=ca
        ).content
    )
    assert failure_code(root) == "INVALID_REQUEST"
    assert failure_code(validate(conformant, ticket)) == "INVALID_TICKET"
    # The service URL's query string is ignored by the comparison.
    _, ticket = login(conformant)
    assert (
        validate(conformant, ticket, service=SERVICE + "?x=1").find("cas:authenticationSuccess", NS)
        is not None
    )
    # No authenticationDate / isFromNewLogin in cas:attributes.
    released = attributes(validate(conformant, login(conformant)[1]))
    assert "authenticationDate" not in released and "isFromNewLogin" not in released
    # /validate: two line feeds after "no".
    answer = requests.get(
        f"{conformant.url}/validate", params={"service": SERVICE, "ticket": "ST-0"}, verify=ca
    )
    assert answer.text == "no\n\n"
    # /proxy errors are cas:proxyFailure.
    root = etree.fromstring(requests.get(f"{conformant.url}/proxy", verify=ca).content)
    assert failure_code(root, "proxyFailure") == "INVALID_REQUEST"


def test_facts_of_login_parameters(conformant: MamaCasServer) -> None:
    session, _ = login(conformant)
    for value in ("true", "1", "false", "any"):
        renew = session.get(
            f"{conformant.url}/login",
            params={"service": SERVICE, "renew": value},
            allow_redirects=False,
        )
        assert renew.status_code == 200, value  # any non-blank value means renew
    anonymous = client(conformant)
    for value in ("true", "false"):
        gateway = anonymous.get(
            f"{conformant.url}/login",
            params={"service": SERVICE, "gateway": value},
            allow_redirects=False,
        )
        assert gateway.headers["Location"] == SERVICE, value
    # Unregistered service without session: the password is asked, then 403.
    page = anonymous.get(f"{conformant.url}/login", params={"service": UNREGISTERED_SERVICE})
    assert page.status_code == 200
    answer = submit(
        anonymous, page, username=ACCOUNTS[0].login, password=password(conformant, ACCOUNTS[0])
    )
    assert answer.status_code == 403
    # ... yet the SSO session is open: the next registered service gets a ticket at once.
    sso = anonymous.get(
        f"{conformant.url}/login", params={"service": SERVICE}, allow_redirects=False
    )
    assert TICKET.match(ticket_of(sso))
    # Django's CSRF check wants a Referer on an HTTPS POST.
    page = client(conformant).get(f"{conformant.url}/login", params={"service": SERVICE})
    no_referer = requests.post(
        page.url,
        data=only_form(page.text).inputs,
        verify=str(conformant.ca_file),
        allow_redirects=False,
    )
    assert no_referer.status_code == 403


def test_facts_of_logout(conformant: MamaCasServer) -> None:
    session, _ = login(conformant)
    answer = session.get(f"{conformant.url}/logout", params={"url": SERVICE}, allow_redirects=False)
    assert answer.headers["Location"] == SERVICE  # the CAS 2.0 url parameter is followed
    again = session.get(
        f"{conformant.url}/login", params={"service": SERVICE}, allow_redirects=False
    )
    assert again.status_code == 200  # the SSO session is over
    session, _ = login(conformant)
    refused = session.get(
        f"{conformant.url}/logout", params={"service": UNREGISTERED_SERVICE}, allow_redirects=False
    )
    assert refused.status_code == 403
    plain = session.get(f"{conformant.url}/logout", allow_redirects=False)
    assert plain.status_code == 302 and plain.headers["Location"] == "/cas/login"


def test_start_is_fast(
    servers: Callable[..., MamaCasServer],
    start_times: dict[str, float],
    pki_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    servers("conformant")
    begin = time.monotonic()
    with MamaCasServer(MamaCasConfig.conformant(), pki_dir) as server:
        assert client(server).get(f"{server.url}/login").status_code == 200
        warm = time.monotonic() - begin
    with capsys.disabled():
        shown = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in start_times.items())
        print(f"\n[mama-cas] démarrages : {shown} ; démarrage à chaud + arrêt {warm:.2f} s")
    assert warm < 10


def test_missing_package_gives_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, pki_dir: Path
) -> None:
    monkeypatch.setattr("sdet_check.demo.mama_cas.mama_cas_available", lambda: False)
    with pytest.raises(MamaCasUnavailableError, match=r"sdet-check\[demo\]"):
        MamaCasServer(MamaCasConfig.conformant(), pki_dir).start()
