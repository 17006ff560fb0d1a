"""The cas family against a second CAS code base (django-mama-cas), hostile forms, plain HTTP.

tests/probes/test_cas.py runs the matrix against django-cas-server; this module runs the very
same probes, with no per-server branch, against django-mama-cas in each of its
configurations, and asserts the exact status of every CAS requirement. It also proves the
credentials rule: a login form that posts to a foreign host or drops to plain HTTP receives
no password (a capture server says what reached it), and a plain-HTTP platform gets a
password only with ``--allow-cleartext-credentials``.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from probes.cas.answers import validate
from probes.cas.common import Recorder, cas_section, login_accounts
from probes.cas.flow import log_in
from sdet_check.api import open_grid
from sdet_check.demo.mama_cas import (
    MamaCasConfig,
    MamaCasServer,
    add_mama_cas_to_target,
    mama_cas_available,
)
from sdet_check.demo.pki import ensure_pki
from sdet_check.grid import Grid, Method
from sdet_check.labels import CLEARTEXT_OPTION
from sdet_check.probe import ProbeContext
from sdet_check.registry import ProbeRegistry
from sdet_check.reporters.html import HtmlReporter, Signature
from sdet_check.run import RunInputs, build_run, utc_now
from sdet_check.runner import RunLimits, Runner
from sdet_check.selection import Selection
from sdet_check.target import load_target
from tests.capture import CaptureServer

pytestmark = pytest.mark.skipif(
    not mama_cas_available() and not os.environ.get("CI"),
    reason='django-mama-cas absent (pip install -e ".[test]")',
)

REGISTRY = ProbeRegistry.from_entry_points()

NEED_NO_PASSWORD = {"SSO-CAS-010", "SSO-CAS-016"}
"""CAS requirements decided without logging in (the login page, gateway)."""

ATTRIBUTE_REQUIREMENTS = ("SSO-PROP-001", "SSO-CAS-005", "SSO-CAS-020", "SSO-CAS-021",
                          "SSO-CAS-022", "SSO-CAS-023")  # fmt: skip

EXPECTED: Mapping[str, Mapping[str, str]] = {
    # mama-cas 2.5.0 passes every CAS requirement of the grid once configured as an ENT would.
    "conformant": {},
    # Other field names, hidden execution/_eventId: found as a browser finds them.
    "champs_renommes": {},
    # The login asked first, the password on the next page.
    "connexion_en_deux_etapes": {},
    # No cas:attributes at all (mama-cas' default): every attribute requirement, /p3 with
    # require_attributes, and /samlValidate's AttributeStatement fail.
    "attributs_non_publies": dict.fromkeys(
        (*ATTRIBUTE_REQUIREMENTS, "SSO-CAS-012", "SSO-CAS-003"), "fail"
    ),
    "cookie_persistant": {"SSO-CAS-029": "fail"},
    "renew_ignore": {"SSO-CAS-017": "fail"},
    # As installed, mama-cas answers every /samlValidate POST with a 403 page (Django CSRF).
    "saml_validate_bloque": {"SSO-CAS-003": "fail"},
}
"""Non-pass statuses of the CAS requirements, per mama-cas configuration."""


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pki")
    ensure_pki(folder)
    return folder


@pytest.fixture(scope="module")
def grid() -> Grid:
    return open_grid("sdet/6.4", REGISTRY)


def cas_ids(grid: Grid) -> set[str]:
    return {
        r.id
        for r in grid.requirements
        if r.verification.method is Method.PROBE and (r.verification.probe or "").startswith("cas.")
    }


def evaluate(
    grid: Grid, server: MamaCasServer, *, cleartext: bool = False, **cas: Any
) -> dict[str, dict[str, Any]]:
    """Run every CAS requirement against ``server``; results by requirement id."""
    data = add_mama_cas_to_target({"format": 1, "name": "CAS mama de test"}, server)
    data["cas"].update(cas)
    folder = Path(tempfile.mkdtemp(prefix="sdet-cas-peer-"))
    file = folder / "cible.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    target = load_target(file, server.environ())
    runner = Runner(REGISTRY, allow_cleartext_credentials=cleartext)
    results = runner.run(grid, target, Selection(tags=frozenset({"cas"})))
    return {
        r.requirement_id: r.to_json()
        for r in results
        if (r.to_json().get("probe") or "").startswith("cas.")
    }


@pytest.fixture(scope="module")
def servers(pki_dir: Path) -> Iterator[Callable[[str], MamaCasServer]]:
    with ExitStack() as stack:
        started: dict[str, MamaCasServer] = {}

        def get(variant: str) -> MamaCasServer:
            if variant not in started:
                config = getattr(MamaCasConfig, variant)()
                started[variant] = stack.enter_context(MamaCasServer(config, pki_dir))
            return started[variant]

        yield get


@pytest.mark.parametrize("variant", list(EXPECTED))
def test_every_cas_requirement_gets_its_expected_status(
    variant: str, servers: Callable[[str], MamaCasServer], grid: Grid
) -> None:
    server = servers(variant)
    results = evaluate(grid, server)
    assert set(results) == cas_ids(grid)
    found = {rid: entry["status"] for rid, entry in results.items() if entry["status"] != "pass"}
    assert found == EXPECTED[variant], {rid: results[rid]["message"] for rid in found}
    text = json.dumps(results, ensure_ascii=False)
    for password in server.environ().values():
        assert password not in text


def test_a_refused_login_says_what_the_page_showed(
    servers: Callable[[str], MamaCasServer], grid: Grid
) -> None:
    server = servers("champs_renommes")
    # Naming the wrong fields on purpose: the login page shows its form again.
    results = evaluate(
        grid, server, login_form={"user_field": "identifiant", "password_field": "absent"}
    )
    entry = results["SSO-CAS-011"]
    assert entry["status"] == "error"
    assert "identifiant (text)" in entry["message"] and "motdepasse (password)" in entry["message"]
    assert "statut 200" in entry["message"]


@pytest.mark.parametrize("where", ["foreign_host", "plain_http"])
def test_a_form_posting_elsewhere_receives_no_password(
    where: str, pki_dir: Path, grid: Grid
) -> None:
    pki = ensure_pki(pki_dir)
    https = where == "foreign_host"
    with ExitStack() as stack:
        capture = stack.enter_context(
            CaptureServer(pki.cert_file, pki.key_file) if https else CaptureServer()
        )
        # localhost is the same machine under another name: a foreign host for the rule.
        action = capture.url("localhost") if https else capture.url("127.0.0.1")
        server = stack.enter_context(
            MamaCasServer(MamaCasConfig.formulaire_etranger(action), pki_dir)
        )
        results = evaluate(grid, server)
        assert capture.requests == []
        # The capture server does receive what is sent to it: the assertion above can fail.
        requests.get(capture.url("127.0.0.1"), verify=str(pki.ca_file) if https else True)
        assert len(capture.requests) == 1
    login_form = results["SSO-CAS-010"]
    assert login_form["status"] == "fail"
    assert action.split("/capture")[0] in login_form["message"]
    for rid in cas_ids(grid) - NEED_NO_PASSWORD:
        assert results[rid]["status"] == "error", rid
        assert "rien n'est envoyé" in results[rid]["message"], rid


def plain_login_page(action: str) -> bytes:
    return (
        "<!doctype html><html><head><title>CAS en clair</title></head><body>"
        f'<form method="post" action="{action}"><input name="username">'
        '<input type="password" name="password"><input type="submit" value="OK"></form>'
        "</body></html>"
    ).encode()


def test_a_plain_http_platform_gets_no_password_without_the_opt_in(grid: Grid) -> None:
    with CaptureServer(login_page=plain_login_page("/cas/login")) as capture:
        data = {
            "format": 1,
            "name": "Plateforme de test en HTTP",
            "cas": {"url": capture.url(path="/cas"), "service": "https://svc.example.invalid/"},
            "accounts": [{"profile": "eleve", "login": "eleve", "password_env": "SDET_PWD"}],
        }
        folder = Path(tempfile.mkdtemp(prefix="sdet-cas-http-"))
        file = folder / "cible.yaml"
        file.write_text(yaml.safe_dump(data), encoding="utf-8")
        target = load_target(file, {"SDET_PWD": "mot-de-passe-de-test-42"})
        selection = Selection(tags=frozenset({"cas"}))
        started = utc_now()
        results = Runner(REGISTRY).run(grid, target, selection)
        assert capture.posts() == [] and capture.requests  # the pages were read, nothing posted
    record = build_run(grid, target, results, RunInputs(selection, RunLimits()), started, utc_now())
    by_id = {r["requirement"]: r for r in record["results"]}
    # This fake platform has no /proxy (its page answers): not offered, judged without a login.
    assert by_id["SSO-CAS-014"]["status"] == "not_applicable"
    needing = cas_ids(grid) - NEED_NO_PASSWORD - {"SSO-CAS-014"}
    assert {by_id[rid]["status"] for rid in needing} == {"not_tested"}
    withheld = [rid for rid in needing if CLEARTEXT_OPTION in by_id[rid]["message"]]
    # Two need more than a password (a second service, a callback): they say so instead.
    assert needing - set(withheld) == {"SSO-CAS-019", "SSO-CAS-030"}
    assert len({by_id[rid]["message"] for rid in withheld}) == 1
    assert by_id["SSO-CAS-010"]["status"] == "fail"
    assert record["allow_cleartext_credentials"] is False
    cover = HtmlReporter(Signature()).render(record, "fr").decode("utf-8")
    assert f'id="cover-cleartext">{len(withheld)} exigences non testées' in cover


def test_a_plain_http_platform_is_evaluated_with_the_opt_in(
    servers: Callable[[str], MamaCasServer], grid: Grid
) -> None:
    results = evaluate(grid, servers("http_en_clair"), cleartext=True)
    statuses = {rid: entry["status"] for rid, entry in results.items() if entry["status"] != "pass"}
    # Only transport fails: the login page over HTTP, the SSO cookie without Secure.
    assert statuses == {"SSO-CAS-010": "fail", "SSO-CAS-007": "fail"}
    assert "sans HTTPS" in results["SSO-CAS-010"]["message"]
    assert "Secure absent" in results["SSO-CAS-007"]["message"]


def test_a_logout_spends_the_tickets_another_session_of_the_account_holds(
    servers: Callable[[str], MamaCasServer], tmp_path: Path
) -> None:
    """M23, the reason ``cas.logout`` and the portal visit run apart from the other probes.

    Two browsers log the same account in; the second logs out; the ticket the first holds,
    never validated, is then refused. A probe between its login and its validation while
    another logs out would fail for a fault of the run, not of the server.
    """
    server = servers("conformant")
    data = add_mama_cas_to_target({"format": 1, "name": "CAS mama de test"}, server)
    file = tmp_path / "cible.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    context = ProbeContext(
        target=load_target(file, server.environ()),
        network_timeout=10,
        deadline=time.monotonic() + 60,
    )
    cas = cas_section(context)
    account = login_accounts(context, None)[0]
    with Recorder(context) as recorder:
        held = log_in(recorder.browser(), cas, account, cas.service).ticket
        other = recorder.browser()
        log_in(other, cas, account, cas.service)
        other.follow_on_cas(cas, cas.logout_url)
        answer = validate(recorder, cas, "serviceValidate", cas.service, held)
        assert not answer.succeeded
        assert answer.code == "INVALID_TICKET" and "already been used" in answer.describe()
        # Without the logout, a ticket of the same account validates (the check above can fail).
        fresh = log_in(recorder.browser(), cas, account, cas.service).ticket
        assert validate(recorder, cas, "serviceValidate", cas.service, fresh).succeeded
    # Hence the declaration the runner reads: these probes never run beside the others.
    assert REGISTRY.get("cas.logout").ends_sessions is not None
    enders = {kind for kind in REGISTRY.kinds() if REGISTRY.get(kind).ends_sessions}
    assert "portal.logout" in enders and "cas.sso" not in enders
