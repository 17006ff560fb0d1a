"""The saml family against a second IdP code base (pysaml2), hostile forms, plain HTTP.

tests/probes/test_saml.py runs the matrix against SimpleSAMLphp; this module runs the same
probes, with no per-IdP branch, against an IdP built on pysaml2 in each of its
configurations (login pages of other shapes included) and asserts the exact status of every
SAML requirement. It also proves the credentials rule for SAML: a login form posting to a
foreign host or to plain HTTP receives no password (a capture server says what reached it).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from sdet_check.api import open_grid
from sdet_check.demo.pki import ensure_pki
from sdet_check.demo.pysaml2_idp import (
    VARIANTS,
    Pysaml2Idp,
    add_pysaml2_idp_to_target,
    missing_requirements,
)
from sdet_check.grid import Grid
from sdet_check.labels import CLEARTEXT_OPTION
from sdet_check.registry import ProbeRegistry
from sdet_check.runner import Runner
from sdet_check.selection import Selection
from sdet_check.target import load_target
from tests.capture import CaptureServer

pytestmark = pytest.mark.skipif(
    missing_requirements() is not None and not os.environ.get("CI"),
    reason=str(missing_requirements()),
)

REGISTRY = ProbeRegistry.from_entry_points()

NEED_LOGIN = ("SSO-SAML-005", "SSO-SAML-006", "SSO-SAML-007", "SSO-SAML-008", "SSO-SAML-009",
              "SSO-SAML-010", "SSO-SAML-011", "SSO-SAML-012", "SSO-GAR-001")  # fmt: skip
"""SAML requirements decided by logging in; the others read the metadata only."""

UNJUDGEABLE = dict.fromkeys(
    ("SSO-SAML-007", "SSO-SAML-010", "SSO-SAML-011", "SSO-GAR-001"), "error"
)
"""Without a verified signature, what an assertion says cannot be judged: error, not fail."""

EXPECTED: Mapping[str, Mapping[str, str]] = {
    # pysaml2 passes every SAML requirement, SSO-SAML-002 included (SimpleSAMLphp cannot).
    "conforme": {},
    "champs_renommes": {},
    "connexion_en_deux_etapes": {},
    "certificat_expire": {"SSO-SAML-004": "fail"},
    "cles_faibles_sha1": {"SSO-SAML-005": "fail"},
    "assertion_non_signee": {"SSO-SAML-009": "fail"} | UNJUDGEABLE,
    "attribut_non_publie": {"SSO-SAML-011": "fail"},
    "nameid_courriel": {"SSO-SAML-007": "fail", "SSO-SAML-011": "fail"},
    "assertion_echue": {"SSO-SAML-010": "fail"},
    "metadonnees_non_signees": {"SSO-SAML-003": "not_applicable"},
    "metadonnees_signature_etrangere": {"SSO-SAML-003": "fail"},
    "acs_non_declaree_acceptee": {"SSO-SAML-012": "fail"},
    "audience_erronee": {"SSO-SAML-010": "fail"},
    "destinataire_errone": {"SSO-SAML-010": "fail"},
    "sans_inresponseto": {"SSO-SAML-008": "fail", "SSO-SAML-010": "fail"},
    "metadonnees_sans_validite": {"SSO-SAML-002": "fail"},
    # A forged unsigned assertion before the signed one: refused, and only the signed one read.
    "signature_detournee": {"SSO-SAML-009": "fail"},
    "carte_attributs_par_defaut": {"SSO-SAML-011": "fail"},
    "sp_inconnu_accepte": {"SSO-SAML-012": "fail"},
    # Without the opt-in: no password in clear, one reason; metadata still judged.
    "http_en_clair": {"SSO-SAML-013": "fail"} | dict.fromkeys(NEED_LOGIN, "not_tested"),
    "http_en_clair+clair_autorise": {"SSO-SAML-013": "fail"},
}
"""Non-pass statuses of the SAML requirements, per pysaml2 configuration."""


@pytest.fixture(scope="module")
def grid() -> Grid:
    return open_grid("sdet/6.4", REGISTRY)


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pki")
    ensure_pki(folder)
    return folder


def saml_ids(grid: Grid) -> frozenset[str]:
    return frozenset(
        r.id for r in grid.requirements if (r.verification.probe or "").startswith("saml.")
    )


def evaluate(grid: Grid, idp: Pysaml2Idp, *, cleartext: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"format": 1, "name": "IdP pysaml2 de test"}
    environ = add_pysaml2_idp_to_target(data, idp)
    file = Path(tempfile.mkdtemp(prefix="sdet-saml-peer-")) / "cible.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    runner = Runner(REGISTRY, allow_cleartext_credentials=cleartext)
    results = runner.run(grid, load_target(file, environ), Selection(only=saml_ids(grid)))
    return {r.requirement_id: r.to_json() for r in results if r.requirement_id in saml_ids(grid)}


@pytest.mark.parametrize("variant", list(EXPECTED))
def test_every_saml_requirement_gets_its_expected_status(
    variant: str, grid: Grid, pki_dir: Path
) -> None:
    name, _, opt_in = variant.partition("+")
    with Pysaml2Idp(VARIANTS[name], pki_dir=pki_dir) as idp:
        results = evaluate(grid, idp, cleartext=bool(opt_in))
    assert set(results) == saml_ids(grid)
    found = {rid: entry["status"] for rid, entry in results.items() if entry["status"] != "pass"}
    assert found == EXPECTED[variant], {rid: results[rid]["message"] for rid in found}
    text = json.dumps(results, ensure_ascii=False)
    assert idp.password not in text
    if name == "http_en_clair" and not opt_in:
        reasons = {results[rid]["message"] for rid in NEED_LOGIN}
        assert len(reasons) == 1 and CLEARTEXT_OPTION in reasons.pop()


@pytest.mark.parametrize("where", ["foreign_host", "plain_http"])
def test_a_login_form_posting_elsewhere_receives_no_password(
    where: str, grid: Grid, pki_dir: Path
) -> None:
    pki = ensure_pki(pki_dir)
    https = where == "foreign_host"
    with ExitStack() as stack:
        capture = stack.enter_context(
            CaptureServer(pki.cert_file, pki.key_file) if https else CaptureServer()
        )
        action = capture.url("localhost") if https else capture.url("127.0.0.1")
        config = VARIANTS["formulaire_etranger"].with_form_action(action)
        idp = stack.enter_context(Pysaml2Idp(config, pki_dir=pki_dir))
        results = evaluate(grid, idp)
        assert capture.requests == []
        requests.get(capture.url("127.0.0.1"), verify=str(pki.ca_file) if https else True)
        assert len(capture.requests) == 1  # the capture server does record what comes
    for rid in NEED_LOGIN:
        assert results[rid]["status"] == "error", rid
        assert "rien n'est envoyé" in results[rid]["message"], rid
    assert idp.password not in json.dumps(results, ensure_ascii=False)
