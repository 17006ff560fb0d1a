"""The http probe family against the real local reference portal (no mocks)."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from probes.http import (
    MAX_BODY_BYTES,
    PROBES,
    AccessibilityMention,
    CookieFlags,
    Hsts,
    HttpsRedirect,
    LegalPage,
    TlsFloor,
    parse_hsts,
)
from sdet_check.demo.pki import ensure_pki
from sdet_check.demo.portal import SESSION_COOKIE, PortalConfig, PortalServer, write_target
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
from sdet_check.target import load_target

LEGAL_PAGES = ("mentions_legales", "donnees_personnelles", "accessibilite", "arrete_2006")


# --- fixtures and helpers ---------------------------------------------------------------


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pki")


@pytest.fixture(scope="module")
def conformant(pki_dir: Path) -> Iterator[PortalServer]:
    with PortalServer(PortalConfig.conformant(), pki_dir) as portal:
        yield portal


@pytest.fixture(scope="module")
def non_conformant(pki_dir: Path) -> Iterator[PortalServer]:
    with PortalServer(PortalConfig.non_conformant(), pki_dir) as portal:
        yield portal


def context_for(
    portal: PortalServer, folder: Path, timeout: float = 5, **overrides: Any
) -> ProbeContext:
    """Write the portal's target file, patch its portal section, load it."""
    file = write_target(folder / "target.yaml", portal)
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    for key, value in overrides.items():
        if value is None:
            data["portal"].pop(key, None)
        else:
            data["portal"][key] = value
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return make_context(file, timeout)


def context_from(
    portal: Mapping[str, Any], folder: Path, ca_file: Path, timeout: float = 5
) -> ProbeContext:
    """A target with a hand-written portal section."""
    file = folder / "target.yaml"
    data = {"format": 1, "name": "cible de test", "portal": dict(portal)}
    data["tls"] = {"ca_file": str(ca_file)}
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return make_context(file, timeout)


def make_context(file: Path, timeout: float) -> ProbeContext:
    return ProbeContext(
        target=load_target(file), network_timeout=timeout, deadline=time.monotonic() + 30
    )


def run(probe: type[Probe], context: ProbeContext, **params: Any) -> Outcome:
    return probe().check(params, context)


def of_kind(outcome: Outcome | ProbeError, kind: str) -> list[Evidence]:
    return [e for e in outcome.evidence if e.kind == kind]


def dump(evidence: tuple[Evidence, ...]) -> str:
    return json.dumps([e.to_json() for e in evidence], ensure_ascii=False)


@contextlib.contextmanager
def refusing_port() -> Iterator[int]:
    """A port bound but not listening: refused, and no other test's server can take it."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield holder.getsockname()[1]


Route = Callable[[BaseHTTPRequestHandler], None]


class StaticServer:
    """A tiny loopback server with hand-written routes, over HTTP or HTTPS."""

    def __init__(self, routes: Mapping[str, Route], tls: ssl.SSLContext | None = None):
        handler = type("Handler", (_RouteHandler,), {"routes": dict(routes)})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> StaticServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _RouteHandler(BaseHTTPRequestHandler):
    routes: dict[str, Route]

    def do_GET(self) -> None:
        route = self.routes.get(self.path)
        if route is None:
            self.send_error(404)
        else:
            route(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def html(body: str, status: int = 200, **headers: str) -> Route:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        data = body.encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.end_headers()
        handler.wfile.write(data)

    return answer


def huge(declare_length: bool) -> Route:
    total = MAX_BODY_BYTES + 512 * 1024

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        if declare_length:
            handler.send_header("Content-Length", str(total))
        else:
            handler.send_header("Connection", "close")
        handler.end_headers()
        chunk = b"<p>" + b"x" * 65533
        sent = 0
        try:
            while sent < total:
                handler.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the probe hung up, as it should

    return answer


@pytest.fixture(scope="module")
def server_tls(pki_dir: Path) -> ssl.SSLContext:
    pki = ensure_pki(pki_dir)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.cert_file, pki.key_file)
    return context


# --- conformant portal: every probe passes ----------------------------------------------

CONFORMANT_CASES = [
    (HttpsRedirect, {}),
    (Hsts, {}),
    (Hsts, {"min_max_age": 31536000, "include_subdomains": True}),
    (TlsFloor, {}),
    (TlsFloor, {"min_version": "1.2"}),
    (CookieFlags, {}),
    (CookieFlags, {"require": ["secure", "httponly", "samesite"]}),
    (LegalPage, {"page": "mentions_legales"}),
    (LegalPage, {"page": "donnees_personnelles", "require_text": [r"dpo@", "droits"]}),
    (LegalPage, {"page": "accessibilite", "require_text": ["partiellement conforme"]}),
    (LegalPage, {"page": "arrete_2006", "require_text": ["MENT0602397A"]}),
    (AccessibilityMention, {}),
]


@pytest.mark.parametrize(("probe", "params"), CONFORMANT_CASES)
def test_conformant_portal_passes(
    probe: type[Probe], params: dict[str, Any], conformant: PortalServer, tmp_path: Path
) -> None:
    outcome = run(probe, context_for(conformant, tmp_path), **params)
    assert outcome.status is Status.PASS, outcome.message
    assert outcome.evidence
    assert all(e.summary for e in outcome.evidence)


def test_redirect_evidence_shows_the_chain(conformant: PortalServer, tmp_path: Path) -> None:
    outcome = run(HttpsRedirect, context_for(conformant, tmp_path))
    hops = [e.data for e in of_kind(outcome, "http_exchange")]
    assert hops[0]["request"]["url"] == conformant.http_url
    assert hops[0]["response"]["status"] == 301
    assert hops[-1]["request"]["url"] == conformant.https_url
    assert hops[-1]["response"]["status"] == 200
    assert conformant.https_url in outcome.message


def test_hsts_evidence_names_header_and_value(conformant: PortalServer, tmp_path: Path) -> None:
    outcome = run(Hsts, context_for(conformant, tmp_path), include_subdomains=True)
    (header,) = of_kind(outcome, "header")
    assert header.data["name"] == "Strict-Transport-Security"
    assert header.data["value"] == "max-age=63072000; includeSubDomains"


def test_tls_floor_evidence_has_refusals_and_certificate(
    conformant: PortalServer, tmp_path: Path
) -> None:
    outcome = run(TlsFloor, context_for(conformant, tmp_path))
    attempts = {e.data["offered"]: e.data for e in of_kind(outcome, "tls")}
    assert attempts["TLS 1.0"]["accepted"] is False
    assert attempts["TLS 1.1"]["accepted"] is False
    modern = attempts["TLS ≥ 1.2"]
    assert modern["accepted"] is True
    assert modern["negotiated"] in ("TLSv1.2", "TLSv1.3")
    assert modern["cipher"]
    assert "CN=localhost" in modern["certificate"]["subject"]
    assert "sdet-check" in modern["certificate"]["issuer"]
    assert modern["certificate"]["not_after"]


def test_tls_floor_13_fails_when_tls12_is_accepted(
    conformant: PortalServer, tmp_path: Path
) -> None:
    outcome = run(TlsFloor, context_for(conformant, tmp_path), min_version="1.3")
    assert outcome.status is Status.FAIL
    attempts = {e.data["offered"]: e.data for e in of_kind(outcome, "tls")}
    assert attempts["TLS 1.2"]["accepted"] is True
    assert attempts["TLS 1.2"]["negotiated"] == "TLSv1.2"
    assert "TLS 1.2" in outcome.message


def test_cookie_evidence_names_cookie_never_its_value(
    conformant: PortalServer, tmp_path: Path
) -> None:
    outcome = run(
        CookieFlags, context_for(conformant, tmp_path), require=["secure", "httponly", "samesite"]
    )
    (cookie,) = of_kind(outcome, "cookie")
    assert cookie.data["name"] == SESSION_COOKIE
    assert cookie.data["missing"] == []
    assert cookie.data["attributes"]["samesite"] == "Lax"
    assert not re.search(rf"{SESSION_COOKIE}=[0-9a-f]{{5,}}", dump(outcome.evidence))


def test_arrete_local_page_is_said_local(conformant: PortalServer, tmp_path: Path) -> None:
    outcome = run(LegalPage, context_for(conformant, tmp_path), page="arrete_2006")
    assert outcome.status is Status.PASS
    assert "page du portail" in outcome.message
    (link,) = of_kind(outcome, "page")
    assert link.data["href"] == "/arrete-2006"
    assert link.data["text"] == "Arrêté du 30 novembre 2006"


def test_accessibility_mention_is_quoted(conformant: PortalServer, tmp_path: Path) -> None:
    outcome = run(AccessibilityMention, context_for(conformant, tmp_path))
    (page,) = of_kind(outcome, "page")
    assert page.data["quote"] == "Accessibilité : partiellement conforme"
    assert page.data["level"] == "partiellement"


# --- non-conformant portal: every probe fails, evidence names the fault ------------------


def test_http_served_in_clear_fails(non_conformant: PortalServer, tmp_path: Path) -> None:
    outcome = run(HttpsRedirect, context_for(non_conformant, tmp_path))
    assert outcome.status is Status.FAIL
    assert "sans rediriger" in outcome.message
    (exchange,) = of_kind(outcome, "http_exchange")
    assert exchange.data["request"]["url"] == non_conformant.http_url
    assert exchange.data["response"]["status"] == 200
    assert "<html" in exchange.data["response"]["body_excerpt"]


def test_missing_hsts_fails_naming_header(non_conformant: PortalServer, tmp_path: Path) -> None:
    outcome = run(Hsts, context_for(non_conformant, tmp_path))
    assert outcome.status is Status.FAIL
    (header,) = of_kind(outcome, "header")
    assert header.data == {
        "name": "Strict-Transport-Security",
        "value": None,
        "url": non_conformant.https_url,
    }


def test_old_tls_accepted_fails_naming_versions(
    non_conformant: PortalServer, tmp_path: Path
) -> None:
    outcome = run(TlsFloor, context_for(non_conformant, tmp_path))
    assert outcome.status is Status.FAIL
    attempts = {e.data["offered"]: e.data for e in of_kind(outcome, "tls")}
    assert attempts["TLS 1.0"] == {
        "offered": "TLS 1.0",
        "accepted": True,
        "negotiated": "TLSv1",
        "cipher": attempts["TLS 1.0"]["cipher"],
        "error": None,
        "certificate": attempts["TLS 1.0"]["certificate"],
    }
    assert attempts["TLS 1.0"]["cipher"]
    assert attempts["TLS 1.1"]["negotiated"] == "TLSv1.1"
    assert "TLS 1.0" in outcome.message
    assert "TLS 1.1" in outcome.message


def test_cookie_without_flags_fails_naming_cookie(
    non_conformant: PortalServer, tmp_path: Path
) -> None:
    outcome = run(
        CookieFlags,
        context_for(non_conformant, tmp_path),
        require=["secure", "httponly", "samesite"],
    )
    assert outcome.status is Status.FAIL
    (cookie,) = of_kind(outcome, "cookie")
    assert cookie.data["name"] == SESSION_COOKIE
    assert cookie.data["missing"] == ["Secure", "HttpOnly", "SameSite"]
    assert cookie.data["set_by"] == non_conformant.session_url
    assert f"{SESSION_COOKIE}\u00a0: Secure, HttpOnly, SameSite" in outcome.message
    assert not re.search(rf"{SESSION_COOKIE}=[0-9a-f]{{5,}}", dump(outcome.evidence))


@pytest.mark.parametrize("page", LEGAL_PAGES)
def test_missing_legal_link_fails_naming_page(
    page: str, non_conformant: PortalServer, tmp_path: Path
) -> None:
    outcome = run(LegalPage, context_for(non_conformant, tmp_path), page=page)
    assert outcome.status is Status.FAIL
    assert "aucun lien" in outcome.message
    (missing,) = of_kind(outcome, "note")
    assert missing.data["page"] == page
    assert of_kind(outcome, "http_exchange")[0].data["request"]["url"] == non_conformant.https_url


def test_legal_page_given_by_target_but_absent_fails_with_404(
    non_conformant: PortalServer, tmp_path: Path
) -> None:
    context = context_for(non_conformant, tmp_path, pages={"mentions_legales": "/mentions-legales"})
    outcome = run(LegalPage, context, page="mentions_legales")
    assert outcome.status is Status.FAIL
    assert "répond 404" in outcome.message
    assert of_kind(outcome, "http_exchange")[-1].data["response"]["status"] == 404


def test_missing_accessibility_mention_fails(non_conformant: PortalServer, tmp_path: Path) -> None:
    outcome = run(AccessibilityMention, context_for(non_conformant, tmp_path))
    assert outcome.status is Status.FAIL
    assert "2019-768" in outcome.message
    (missing,) = of_kind(outcome, "note")
    assert missing.data["url"] == non_conformant.https_url


# --- variants of the portal -------------------------------------------------------------


def test_weak_hsts_fails_naming_max_age(pki_dir: Path, tmp_path: Path) -> None:
    config = replace(PortalConfig.conformant(), hsts="max-age=60")
    with PortalServer(config, pki_dir) as portal:
        outcome = run(Hsts, context_for(portal, tmp_path))
    assert outcome.status is Status.FAIL
    assert "max-age=60" in outcome.message
    (header,) = of_kind(outcome, "header")
    assert header.data["value"] == "max-age=60"


def test_hsts_without_subdomains_fails_when_required(pki_dir: Path, tmp_path: Path) -> None:
    config = replace(PortalConfig.conformant(), hsts='MAX-AGE="31536000"')
    with PortalServer(config, pki_dir) as portal:
        context = context_for(portal, tmp_path)
        assert run(Hsts, context).status is Status.PASS
        outcome = run(Hsts, context, include_subdomains=True)
    assert outcome.status is Status.FAIL
    assert "includeSubDomains" in outcome.message


def test_samesite_none_without_secure_fails(pki_dir: Path, tmp_path: Path) -> None:
    config = replace(PortalConfig.conformant(), cookie_flags=("HttpOnly", "SameSite=None"))
    with PortalServer(config, pki_dir) as portal:
        outcome = run(CookieFlags, context_for(portal, tmp_path), require=["samesite"])
    assert outcome.status is Status.FAIL
    (cookie,) = of_kind(outcome, "cookie")
    assert cookie.data["missing"] == ["SameSite=None sans Secure"]
    assert "SameSite=None sans Secure" in outcome.message


def test_no_cookie_at_all_is_not_testable(conformant: PortalServer, tmp_path: Path) -> None:
    # Without session_url only the home page is read, and it sets no cookie.
    context = context_for(conformant, tmp_path, session_url=None)
    with pytest.raises(NotTestable, match="aucun cookie"):
        run(CookieFlags, context)


def test_expected_session_cookie_absent_is_not_testable(
    conformant: PortalServer, tmp_path: Path
) -> None:
    context = context_for(conformant, tmp_path, session_cookies=["JSESSIONID"])
    with pytest.raises(NotTestable, match=f"cookies vus\u00a0: {SESSION_COOKIE}"):
        run(CookieFlags, context)


def test_nothing_on_http_port_passes_when_https_answers(
    conformant: PortalServer, tmp_path: Path
) -> None:
    with refusing_port() as port:
        closed = f"http://127.0.0.1:{port}/"
        outcome = run(HttpsRedirect, context_for(conformant, tmp_path, http_url=closed))
    assert outcome.status is Status.PASS
    assert "aucun service HTTP" in outcome.message
    (refused,) = of_kind(outcome, "note")
    assert refused.data["url"] == closed
    assert of_kind(outcome, "http_exchange")[-1].data["response"]["status"] == 200


def test_redirect_to_plain_http_fails(pki_dir: Path, tmp_path: Path) -> None:
    routes = {"/": html("", status=302, Location="http://ent.example/accueil")}
    with StaticServer(routes) as plain:
        context = context_from(
            {"url": "https://127.0.0.1:1/", "http_url": plain.url},
            tmp_path,
            ensure_pki(pki_dir).ca_file,
        )
        outcome = run(HttpsRedirect, context)
    assert outcome.status is Status.FAIL
    assert "http://ent.example/accueil" in outcome.message
    assert "pas une adresse HTTPS" in outcome.message


# --- pages written by hand --------------------------------------------------------------


def test_legifrance_link_counts_without_fetching(
    server_tls: ssl.SSLContext, pki_dir: Path, tmp_path: Path
) -> None:
    legifrance = "https://www.legifrance.gouv.fr/loda/id/JORFTEXT000000000000"
    home = f"""<html lang="fr"><body><footer>
        <a href="{legifrance}" title="Arrêté du 30 novembre 2006 (NOR MENT0602397A)">Textes</a>
        </footer></body></html>"""
    with StaticServer({"/": html(home)}, tls=server_tls) as portal:
        context = context_from({"url": portal.url}, tmp_path, ensure_pki(pki_dir).ca_file)
        outcome = run(LegalPage, context, page="arrete_2006")
    # The test runs offline: a pass proves the external page was not fetched.
    assert outcome.status is Status.PASS
    assert "Légifrance" in outcome.message
    assert "non consultée" in outcome.message
    (link,) = of_kind(outcome, "page")
    assert link.data["href"] == legifrance
    assert link.data["text"] == "Textes"


def test_accessibility_mention_tolerates_case_spacing_and_accents(
    server_tls: ssl.SSLContext, pki_dir: Path, tmp_path: Path
) -> None:
    home = "<html><body><p>ACCESSIBILITE&nbsp;:   Non\n conforme</p></body></html>"
    with StaticServer({"/": html(home)}, tls=server_tls) as portal:
        context = context_from({"url": portal.url}, tmp_path, ensure_pki(pki_dir).ca_file)
        outcome = run(AccessibilityMention, context)
    assert outcome.status is Status.PASS
    (page,) = of_kind(outcome, "page")
    assert page.data["level"] == "non"
    assert page.data["quote"] == "ACCESSIBILITE : Non conforme"


def test_accessibility_mention_hidden_in_script_does_not_count(
    server_tls: ssl.SSLContext, pki_dir: Path, tmp_path: Path
) -> None:
    home = (
        "<html><body><script>var s = 'Accessibilité : totalement conforme';</script>"
        "<p>Accessibilité</p></body></html>"
    )
    with StaticServer({"/": html(home)}, tls=server_tls) as portal:
        context = context_from({"url": portal.url}, tmp_path, ensure_pki(pki_dir).ca_file)
        outcome = run(AccessibilityMention, context)
    assert outcome.status is Status.FAIL


def test_privacy_link_found_by_synonym_and_required_text_checked(
    server_tls: ssl.SSLContext, pki_dir: Path, tmp_path: Path
) -> None:
    home = (
        '<html><body><a href="/rgpd" aria-label="Politique de confidentialité">i</a></body></html>'
    )
    privacy = "<html><body><h1>Vie privée</h1><p>Contact : délégué.</p></body></html>"
    routes = {"/": html(home), "/rgpd": html(privacy)}
    with StaticServer(routes, tls=server_tls) as portal:
        context = context_from({"url": portal.url}, tmp_path, ensure_pki(pki_dir).ca_file)
        outcome = run(LegalPage, context, page="donnees_personnelles", require_text=["dpo@"])
    assert outcome.status is Status.FAIL
    assert "dpo@" in outcome.message
    assert of_kind(outcome, "page")[0].data["href"] == "/rgpd"


# --- errors: unreachable, timeout, hostile ----------------------------------------------


def test_refused_connection_is_unreachable(pki_dir: Path, tmp_path: Path) -> None:
    with refusing_port() as port:
        context = context_from(
            {"url": f"https://127.0.0.1:{port}/", "http_url": f"http://127.0.0.1:{port}/"},
            tmp_path,
            ensure_pki(pki_dir).ca_file,
        )
        for probe in (Hsts, HttpsRedirect, TlsFloor, AccessibilityMention):
            with pytest.raises(TargetUnreachable, match=re.escape(f"127.0.0.1:{port}")):
                run(probe, context)


def test_silent_server_times_out_within_bound(pki_dir: Path, tmp_path: Path) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes connections; nobody ever answers
        port = silent.getsockname()[1]
        context = context_from(
            {"url": f"https://127.0.0.1:{port}/", "http_url": f"http://127.0.0.1:{port}/"},
            tmp_path,
            ensure_pki(pki_dir).ca_file,
            timeout=1,
        )
        for probe in (Hsts, HttpsRedirect, TlsFloor):
            started = time.monotonic()
            with pytest.raises(ProbeTimeout):
                run(probe, context)
            assert time.monotonic() - started < 3


@pytest.mark.parametrize("declare_length", [True, False], ids=["declared", "streamed"])
def test_huge_body_is_hostile(
    declare_length: bool, conformant: PortalServer, tmp_path: Path
) -> None:
    with StaticServer({"/huge": huge(declare_length)}) as big:
        context = context_for(
            conformant,
            tmp_path,
            http_url=big.url + "huge",
            pages={"mentions_legales": big.url + "huge"},
        )
        with pytest.raises(HostileResponse, match=str(MAX_BODY_BYTES)) as raised:
            run(LegalPage, context, page="mentions_legales")
        assert raised.value.evidence
        with pytest.raises(HostileResponse):
            run(HttpsRedirect, context)


# --- params ------------------------------------------------------------------------------

GOOD_PARAMS = [
    (HttpsRedirect, {}),
    (Hsts, {"min_max_age": 0}),
    (Hsts, {"include_subdomains": True}),
    (TlsFloor, {"min_version": "1.3"}),
    (CookieFlags, {"require": ["samesite"]}),
    (LegalPage, {"page": "accessibilite", "require_text": ["déclaration"]}),
    (AccessibilityMention, {}),
]

BAD_PARAMS = [
    (HttpsRedirect, {"follow": True}),
    (Hsts, {"min_max_age": -1}),
    (Hsts, {"min_max_age": "1 an"}),
    (Hsts, {"max_age": 31536000}),
    (TlsFloor, {"min_version": "1.1"}),
    (TlsFloor, {"min_version": 1.2}),
    (CookieFlags, {"require": ["domain"]}),
    (CookieFlags, {"require": ["secure", "secure"]}),
    (CookieFlags, {"require": []}),
    (LegalPage, {}),
    (LegalPage, {"page": "cgu"}),
    (LegalPage, {"page": "accessibilite", "require_text": "déclaration"}),
    (AccessibilityMention, {"levels": ["non"]}),
]


def test_every_kind_is_exported_once() -> None:
    assert ProbeRegistry(PROBES).kinds() == [
        "http.accessibility_mention",
        "http.cookie_flags",
        "http.hsts",
        "http.https_redirect",
        "http.legal_page",
        "http.tls_floor",
    ]
    for probe in PROBES:
        jsonschema.Draft202012Validator.check_schema(probe.params_schema)
        assert probe.needs == ("portal",)
        assert probe.title


@pytest.mark.parametrize(("probe", "params"), GOOD_PARAMS)
def test_schema_accepts_good_params(probe: type[Probe], params: dict[str, Any]) -> None:
    jsonschema.validate(params, probe.params_schema)


@pytest.mark.parametrize(("probe", "params"), BAD_PARAMS)
def test_schema_rejects_bad_params(
    probe: type[Probe], params: dict[str, Any], conformant: PortalServer, tmp_path: Path
) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(params, probe.params_schema)
    with pytest.raises(BadParams):
        probe().check(params, context_for(conformant, tmp_path))


def test_invalid_regex_is_bad_params(conformant: PortalServer, tmp_path: Path) -> None:
    with pytest.raises(BadParams, match="require_text"):
        run(LegalPage, context_for(conformant, tmp_path), page="accessibilite", require_text=["("])


# --- the HSTS parser ---------------------------------------------------------------------


def test_parse_hsts_reads_rfc_6797_syntax() -> None:
    assert parse_hsts('Max-Age="31536000" ; INCLUDESUBDOMAINS; preload') == {
        "max-age": "31536000",
        "includesubdomains": None,
        "preload": None,
    }
    assert parse_hsts("max-age=0") == {"max-age": "0"}
    assert parse_hsts('max-age=10; ext="a;b"')["ext"] == "a;b"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("includeSubDomains", "max-age absente"),
        ("max-age=1; max-age=2", "répétée"),
        ("max-age=abc", "nombre"),
        ("max-age=1 includeSubDomains", "syntaxe"),
        ("max-age=1; =x", "syntaxe"),
    ],
)
def test_parse_hsts_refuses_invalid_headers(value: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_hsts(value)


# --- a local OpenSSL that cannot offer old versions -------------------------------------
# The only stand-in in this file: the machine's OpenSSL can offer TLS 1.0/1.1, so the
# "cannot offer" branch is reached by replacing the capability check, not the server.


def test_untried_versions_are_said_and_never_counted_as_refused(
    conformant: PortalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "probes.http.transport._can_offer", lambda version: version != ssl.TLSVersion.TLSv1
    )
    outcome = run(TlsFloor, context_for(conformant, tmp_path))
    assert outcome.status is Status.PASS
    assert "non essayé(s) faute de support local\u00a0: TLS 1.0" in outcome.message
    (untried,) = of_kind(outcome, "note")
    assert untried.data == {"version": "TLS 1.0", "tried": False}
    offered = [e.data["offered"] for e in of_kind(outcome, "tls")]
    assert offered == ["TLS 1.1", "TLS ≥ 1.2"]


def test_no_old_version_offerable_cannot_decide(
    conformant: PortalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("probes.http.transport._can_offer", lambda version: False)
    with pytest.raises(ProbeError, match="impossible de décider") as raised:
        run(TlsFloor, context_for(conformant, tmp_path))
    assert type(raised.value) is ProbeError
    assert len(raised.value.evidence) == 2
