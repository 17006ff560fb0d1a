"""``http.cookie_flags`` logs in to the portal under the credentials rule of every family.

A small HTTPS portal written here sets its session cookie only after a login (as ENT portals
do); a hostile one posts its login form to a foreign host or to plain HTTP, and a capture
server shows that it received nothing.
"""

from __future__ import annotations

import json
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import yaml

from probes.http import CookieFlags
from sdet_check.demo.pki import PkiFiles, ensure_pki
from sdet_check.probe import Outcome, ProbeContext, ProbeError, Status
from sdet_check.target import load_target
from tests.capture import CaptureServer

PASSWORD = "mot-de-passe-du-portail-42"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiFiles:
    return ensure_pki(tmp_path_factory.mktemp("pki"))


@contextmanager
def login_portal(
    pki: PkiFiles, *, action: str = "/connexion", httponly: bool = True
) -> Iterator[str]:
    """An HTTPS portal: a login form, then a session cookie once the password is right."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/accueil"):
                self.reply(b"<!doctype html><title>Accueil</title><p>Bienvenue</p>")
                return
            body = (
                "<!doctype html><html><head><title>ENT</title></head><body>"
                f'<form method="post" action="{action}"><input type="hidden" name="jeton" '
                'value="j1"><label>Identifiant <input name="identifiant"></label>'
                '<input type="password" name="secret"><button name="ok" value="1">OK</button>'
                "</form></body></html>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Set-Cookie", "PREAUTH=x; Path=/; Secure; HttpOnly")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def reply(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode())
            self.send_response(303)
            if form.get("secret") == [PASSWORD] and form.get("jeton") == ["j1"]:
                flags = "; Secure; HttpOnly" if httponly else "; Secure"
                self.send_header("Set-Cookie", f"ENTSESSION=abc{time.time_ns()}; Path=/{flags}")
                self.send_header("Location", "/accueil")
            else:
                self.send_header("Location", "/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Silent."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(pki.cert_file, pki.key_file)
    httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def check(pki: PkiFiles, url: str, password: str = PASSWORD, **portal: Any) -> Outcome:
    data = {
        "format": 1,
        "name": "Portail de test",
        "tls": {"ca_file": str(pki.ca_file)},
        "portal": {"url": url, "login": {"account": "eleve"}, **portal},
        "accounts": [{"profile": "eleve", "login": "eleve", "password_env": "SDET_PORTAIL_PWD"}],
    }
    file = Path(tempfile.mkdtemp(prefix="sdet-portal-")) / "cible.yaml"
    file.write_text(yaml.safe_dump(data), encoding="utf-8")
    context = ProbeContext(
        target=load_target(file, {"SDET_PORTAIL_PWD": password}),
        network_timeout=5,
        deadline=time.monotonic() + 30,
    )
    return CookieFlags().check({"require": ["secure", "httponly"]}, context)


def test_the_session_cookie_set_after_the_login_is_judged(pki: PkiFiles) -> None:
    with login_portal(pki) as url:
        outcome = check(pki, url)
    assert outcome.status is Status.PASS, outcome.message
    assert "ENTSESSION" in outcome.message
    assert PASSWORD not in json.dumps([e.to_json() for e in outcome.evidence])
    with login_portal(pki, httponly=False) as url:
        outcome = check(pki, url)
    assert outcome.status is Status.FAIL and "ENTSESSION\u00a0: HttpOnly" in outcome.message


def test_refused_credentials_say_what_the_page_showed(pki: PkiFiles) -> None:
    with login_portal(pki) as url, pytest.raises(ProbeError, match="refuse les identifiants") as e:
        check(pki, url, password="un-autre-mot-de-passe")
    assert "identifiant (text), secret (password)" in str(e.value)


@pytest.mark.parametrize("where", ["foreign_host", "plain_http"])
def test_a_portal_form_posting_elsewhere_receives_no_password(where: str, pki: PkiFiles) -> None:
    https = where == "foreign_host"
    capture = CaptureServer(pki.cert_file, pki.key_file) if https else CaptureServer()
    with capture:
        action = capture.url("localhost") if https else capture.url("127.0.0.1")
        with login_portal(pki, action=action) as url, pytest.raises(ProbeError) as refused:
            check(pki, url)
        assert capture.requests == []
        requests.get(capture.url("127.0.0.1"), verify=str(pki.ca_file) if https else True)
        assert len(capture.requests) == 1
    assert "rien n'est envoyé" in str(refused.value)


def test_a_plain_http_portal_fails_the_https_requirements(tmp_path: Path) -> None:
    from probes.http import Hsts, HttpsRedirect, TlsFloor

    with CaptureServer(login_page=b"<!doctype html><title>ENT en clair</title>") as portal:
        file = tmp_path / "cible.yaml"
        url = portal.url(path="/")
        file.write_text(yaml.safe_dump({"format": 1, "name": "ENT", "portal": {"url": url}}))
        context = ProbeContext(
            target=load_target(file, {}), network_timeout=5, deadline=time.monotonic() + 30
        )
        outcomes = {
            probe.kind: probe().check({}, context) for probe in (HttpsRedirect, Hsts, TlsFloor)
        }
    assert {kind: o.status for kind, o in outcomes.items()} == dict.fromkeys(outcomes, Status.FAIL)
    assert url in outcomes["http.https_redirect"].message
    assert "http://" in outcomes["http.tls_floor"].message
