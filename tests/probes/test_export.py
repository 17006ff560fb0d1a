"""The export probe family against the reference ENT's exports, conformant and broken.

The exports are the demo's (:mod:`sdet_check.demo.exports`), written in a temporary folder
with the AAF feed of the reference population beside them; every broken variant must fail
exactly the requirement it was made for, with evidence naming the file, the place and the
rule.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from probes.export import (
    ArchiveExport,
    CalendarExport,
    ContactsExport,
    GarFilesProbe,
    ServiceExports,
    TableExport,
)
from sdet_check.demo.annuaire import reference_population, write_aaf_files
from sdet_check.demo.exports import EXPORT_VARIANTS, write_exports
from sdet_check.probe import Outcome, Probe, ProbeContext, ProbeError, Status
from sdet_check.target import load_target

REQUIREMENT_PROBES: dict[str, type[Probe]] = {
    "EXP-FMT-001": CalendarExport,
    "EXP-FMT-002": ContactsExport,
    "EXP-FMT-003": TableExport,
    "EXP-ARCH-001": ArchiveExport,
    "INT-IMPEX-001": ServiceExports,
    "SSO-GAR-002": GarFilesProbe,
}


def demo_context(folder: Path, variant: str | None = None, **extra: Any) -> ProbeContext:
    records = reference_population()
    write_aaf_files(records, folder / "aaf", prefix="ENT_Complet_20270101")
    section = write_exports(folder / "exports", records, variant=variant)
    section.update(extra)
    data = {"format": 1, "name": "exports de test", "export": section, "aaf": {"path": "aaf"}}
    file = folder / "cible.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return ProbeContext(target=load_target(file), network_timeout=5, deadline=time.monotonic() + 60)


def decide(probe: type[Probe], context: ProbeContext) -> Outcome | ProbeError:
    try:
        return probe().check({}, context)
    except ProbeError as exc:
        return exc


def test_conformant_exports_pass_every_requirement(tmp_path: Path) -> None:
    context = demo_context(tmp_path)
    for requirement, probe in REQUIREMENT_PROBES.items():
        outcome = decide(probe, context)
        assert isinstance(outcome, Outcome), (requirement, outcome)
        assert outcome.status is Status.PASS, (requirement, outcome.message)


@pytest.mark.parametrize("variant", sorted(EXPORT_VARIANTS))
def test_each_broken_variant_fails_exactly_its_requirement(tmp_path: Path, variant: str) -> None:
    expected, _what = EXPORT_VARIANTS[variant]
    context = demo_context(tmp_path, variant)
    statuses = {}
    for requirement, probe in REQUIREMENT_PROBES.items():
        outcome = decide(probe, context)
        statuses[requirement] = outcome.status if isinstance(outcome, Outcome) else "error"
        if requirement == expected:
            assert isinstance(outcome, Outcome)
            findings = [e for e in outcome.evidence if e.kind == "export_finding"]
            assert findings, outcome.message
            first = findings[0].data
            assert first["file"] and first["place"] and first["rule"]
    assert statuses == {
        requirement: Status.FAIL if requirement == expected else Status.PASS
        for requirement in REQUIREMENT_PROBES
    }
