"""The AAF validator and the directory audit speak of the same defects with the same rule ids.

A set made by the AAF generator, with injected defects, is validated by ``aaf validate``,
loaded into the reference slapd as an ENT would import it, then audited by
``ldap.data_model``. Every injected defect the directory can still show (on a structure or
a person, for a rule both catalogues hold) is found by both sides, under the same rule id
and on the same record; a clean generated set gives no finding on either side.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from probes._ldap_audit import RULES as AUDIT_RULES
from probes.ldap import LdapDataModel
from sdet_check.aaf import RULES as AAF_RULES
from sdet_check.aaf import validate
from sdet_check.aaf.generate import GenerationOptions, generate
from sdet_check.demo.annuaire import read_aaf_records
from sdet_check.demo.ldap import SlapdConfig, SlapdServer, slapd_available
from sdet_check.probe import ProbeContext
from sdet_check.target import load_target

pytestmark = pytest.mark.skipif(
    not slapd_available() and not os.environ.get("CI"),
    reason="slapd absent (paquets Debian slapd et ldap-utils)",
)

SHARED = sorted(set(AAF_RULES) & set(AUDIT_RULES))
"""Rules of both catalogues: the defects a feed and a directory can both show."""

PASSWORD_ENV = "SDET_TEST_LDAP_PASSWORD"

LOST_ON_IMPORT = {
    "AAF-KEY-002": "identifier and join key differ: the directory keeps the key",
    "AAF-PROF-001": "staff without function: the loader derives a profile, as an ENT does",
    "AAF-COMP-001": "injected in ENTEtablissementBassin, which the directory audit does not read",
}
"""Injected defects the generator puts where a loaded directory cannot show them, and why."""


def audit(folder: Path, work: Path) -> dict[str, Any]:
    """Load the AAF set of ``folder`` into a fresh slapd and audit it; findings by rule."""
    records = read_aaf_records(folder)
    with SlapdServer(SlapdConfig(), work / "pki", records=records, bulk=True) as server:
        target = work / "cible.yaml"
        section = {**server.target_section(PASSWORD_ENV), "pseudonymise": False}
        target.write_text(
            yaml.safe_dump({"format": 1, "name": "Annuaire généré", "ldap": section}), "utf-8"
        )
        context = ProbeContext(
            target=load_target(target, {PASSWORD_ENV: server.audit_password}),
            network_timeout=10,
            deadline=time.monotonic() + 120,
        )
        outcome = LdapDataModel().check({"rules": sorted(AUDIT_RULES)}, context)
    return {e.data["rule"]: e.data for e in outcome.evidence if e.kind == "ldap_finding"}


def record_of(example: dict[str, Any]) -> str:
    """The AAF identifier of the entry an audit example names (``uid=eleve-2000001,…``)."""
    rdn = example["dn"].split(",", 1)[0].split("=", 1)[1]
    return rdn.rsplit("-", 1)[-1]


@pytest.fixture(scope="module")
def defective(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("defauts")
    manifest = generate(
        work / "aaf",
        GenerationOptions(structures=2, seed=7, delta=False, defects=frozenset(SHARED)),
    )
    yield {
        "manifest": manifest,
        "validation": validate(work / "aaf"),
        "audit": audit(work / "aaf", work),
        "records": {record.identifier: record for record in read_aaf_records(work / "aaf")},
    }


def test_the_catalogues_share_the_rules_a_directory_can_show() -> None:
    assert set(SHARED) >= {
        "AAF-KEY-001", "AAF-KEY-002", "AAF-UAI-001", "AAF-PROF-001", "AAF-DATE-001",
        "AAF-COMP-001", "AAF-XREF-001", "AAF-XREF-002", "AAF-XREF-003", "AAF-XREF-004",
        "AAF-XREF-005",
    }  # fmt: skip


def test_every_defect_the_directory_shows_is_found_by_both(defective: dict[str, Any]) -> None:
    loaded = defective["records"]
    visible = [
        defect
        for defect in defective["manifest"]["defects"]
        if defect["rule"] in SHARED
        and defect["rule"] not in LOST_ON_IMPORT
        and defect.get("record") in loaded
    ]
    assert {defect["rule"] for defect in visible} >= {
        "AAF-UAI-001", "AAF-DATE-001", "AAF-XREF-001", "AAF-XREF-002", "AAF-XREF-003",
        "AAF-XREF-004", "AAF-XREF-005",
    }  # fmt: skip
    for defect in visible:
        rule, record = defect["rule"], defect["record"]
        assert defective["validation"].by_rule[rule] >= 1, rule
        found = defective["audit"][rule]
        assert found["count"] >= 1, (rule, record)
        assert record in {record_of(example) for example in found["examples"]}, (rule, record)


def test_the_audit_finds_nothing_the_feed_does_not_carry(defective: dict[str, Any]) -> None:
    injected = {defect["rule"] for defect in defective["manifest"]["defects"]}
    extra = {
        rule: data["count"]
        for rule, data in defective["audit"].items()
        if data["count"] and rule in SHARED and rule not in injected
    }
    assert extra == {}


def test_a_clean_set_is_clean_on_both_sides(tmp_path: Path) -> None:
    generate(tmp_path / "aaf", GenerationOptions(structures=2, seed=11, delta=False))
    assert validate(tmp_path / "aaf").errors == 0
    findings = audit(tmp_path / "aaf", tmp_path)
    assert {rule: data["count"] for rule, data in findings.items() if data["count"]} == {}
