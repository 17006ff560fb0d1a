"""The import scenario's files and the judgement of one expectation (no annuaire needed)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from probes._ldap_import import judge
from sdet_check.aaf.families import Family
from sdet_check.aaf.scenario import (
    COVERED,
    MISNAMED,
    SCENARIO_MANIFEST,
    Expectation,
    build_scenario,
    write_scenario,
)
from sdet_check.demo.importer import _NAME, SUPPORTED_VERSIONS

values = st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=4, unique=True)


def test_written_scenario_is_what_an_importer_recognises(tmp_path: Path) -> None:
    manifest = json.loads(write_scenario(tmp_path).read_text(encoding="utf-8"))
    assert manifest["covers"] == COVERED
    assert [step["kind"] for step in manifest["steps"]] == ["Complet", "Delta", "Complet", "Delta"]
    for step in manifest["steps"]:
        for name in step["files"]:
            if name == MISNAMED:
                assert not _NAME.match(name)  # the file an importer must report, not apply
                continue
            assert _NAME.match(name), name
            path = tmp_path / step["folder"] / name
            parser = etree.XMLParser(resolve_entities=False, no_network=True)
            if "Delta_20250915_Eleve_0001" in name:
                continue  # the file that breaks the DTD on purpose
            assert etree.parse(str(path), parser).getroot().tag == "ficAlimMENESR"
    first = tmp_path / manifest["steps"][0]["folder"]
    eleves = (first / "ENT2DSCN_Complet_20250901_Eleve_0000.xml").read_bytes()
    assert b'encoding="ISO-8859-15"' in eleves and "ŒUVRARD".encode("iso-8859-15") in eleves
    assert (tmp_path / SCENARIO_MANIFEST).is_file()


def test_one_file_declares_a_version_no_importer_knows() -> None:
    versions = {file.version_sdet for step in build_scenario() for file in step.files}
    assert len(versions - SUPPORTED_VERSIONS) == 1


def test_aaf_validate_finds_the_defects_the_first_step_carries(tmp_path: Path) -> None:
    write_scenario(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "sdet_check", "aaf", "validate", "--format", "json",
         str(tmp_path / "01-complet-initial")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    report = json.loads(done.stdout)
    errors = {f["rule"] for f in report["findings"] if f["severity"] == "error"}
    assert errors == {"AAF-DATE-001", "AAF-UAI-001"}


def test_cli_writes_the_scenario_and_refuses_a_full_folder(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "sdet_check", "aaf", "scenario", str(tmp_path / "s")]
    first = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert first.returncode == 0 and "20 exigences" in first.stderr
    again = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode == 3 and "--force" in again.stderr


@given(values, values)
def test_present_entry_meets_values_it_holds(expected: list[str], extra: list[str]) -> None:
    e = Expectation("DIR-AAF-002", "1", Family.ELEVE, "x", values={"sn": tuple(expected)})
    assert judge(e, {"sn": expected + extra, "entpersonjointure": ["1"]}) is None


@given(values, st.text(min_size=1, max_size=8))
def test_a_missing_value_is_reported(expected: list[str], other: str) -> None:
    e = Expectation("DIR-AAF-002", "1", Family.ELEVE, "x", values={"sn": tuple(expected)})
    observed = [value for value in [other] if value not in expected]
    assert judge(e, {"sn": observed}) is not None


@given(values)
def test_forbidden_and_absence(forbidden: list[str]) -> None:
    gone = Expectation("DIR-AAF-002", "1", Family.ELEVE, "x", present=False)
    assert judge(gone, None) is None and judge(gone, {}) is not None
    either = Expectation(
        "DIR-AAF-013", "1", Family.ETAB, "x", present=None, forbidden={"uai": tuple(forbidden)}
    )
    assert judge(either, None) is None
    assert judge(either, {"uai": forbidden[:1]}) is not None
    assert judge(either, {"uai": []}) is None
    needed = Expectation("DIR-PROF-001", "1", Family.ELEVE, "x", required=("ENTPersonProfils",))
    assert judge(needed, {"entpersonprofils": forbidden}) is None
    assert judge(needed, {"entpersonprofils": []}) is not None


@given(
    st.from_regex(r"[A-Za-z0-9]{1,12}", fullmatch=True),
    st.sampled_from(["Complet", "Delta"]),
    st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)),
    st.sampled_from([family.value for family in Family]),
    st.integers(min_value=0, max_value=9999),
)
def test_importer_recognises_every_well_formed_name(
    prefix: str, kind: str, day: date, family: str, chunk: int
) -> None:
    name = f"{prefix}_{kind}_{day:%Y%m%d}_{family}_{chunk:04d}.xml"
    found = _NAME.match(name)
    assert found and found["family"] == family and found["kind"] == kind


@given(st.text(max_size=40))
def test_importer_names_never_match_without_the_date_and_chunk(text: str) -> None:
    found = _NAME.match(text)
    assert found is None or (len(found["day"]) == 8 and len(found["chunk"]) == 4)
