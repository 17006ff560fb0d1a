"""Format versions: the header an export declares selects the rules it is judged by."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sdet_check.aaf.families import CURRENT_VERSION, LEGACY_VERSION, rule_set_version
from sdet_check.aaf.generate import FORMAT_VERSIONS, GenerationOptions, generate
from sdet_check.aaf.reader import discover
from sdet_check.aaf.validate import validate

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "aaf" / "entcore"


@pytest.mark.parametrize("version", FORMAT_VERSIONS)
def test_the_generator_writes_each_version_and_each_validates_clean(
    version: str, tmp_path: Path
) -> None:
    generate(tmp_path, GenerationOptions(structures=1, delta=False, format_version=version))
    sources = discover(tmp_path)
    assert {source.version_af for source in sources} == {version}
    assert {rule_set_version(s.version_af, s.header.get("versionSDET")) for s in sources} == {
        version
    }
    result = validate(tmp_path)
    assert result.errors == 0 and result.warnings == 0, result.by_rule


def test_an_older_form_under_a_current_header_is_judged_by_the_current_rules(
    tmp_path: Path,
) -> None:
    generate(tmp_path, GenerationOptions(structures=1, delta=False, format_version=LEGACY_VERSION))
    for file in tmp_path.glob("*.xml"):
        file.write_bytes(file.read_bytes().replace(b"AAF-VE1301", CURRENT_VERSION.encode()))
    messages: list[str] = []
    result = validate(tmp_path, on_finding=lambda finding: messages.append(finding.message))
    assert result.by_rule["AAF-COMP-001"] > 0
    assert any(f"règles de la version {CURRENT_VERSION}" in m for m in messages)


@given(st.integers(min_value=0, max_value=9999))
def test_rule_set_by_declared_version(yymm: int) -> None:
    declared = f"AAF-VE{yymm:04d}"
    expected = LEGACY_VERSION if f"{yymm:04d}" < CURRENT_VERSION[-4:] else CURRENT_VERSION
    assert rule_set_version(declared) == expected


def test_rule_set_without_version_af() -> None:
    assert rule_set_version(None) == CURRENT_VERSION
    assert rule_set_version(None, "Annexe 4bis version 6.4") == CURRENT_VERSION
    assert rule_set_version(None, "Annexe 4bis version 6.2") == LEGACY_VERSION
    assert rule_set_version("n'importe quoi") == CURRENT_VERSION


@pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"jeux ENT Core absents ({FIXTURES})")
@pytest.mark.parametrize("folder", ["2024/before", "2024/after", "2020"])
def test_entcore_fixtures_are_judged_by_their_own_version(folder: str) -> None:
    path = FIXTURES / folder
    sources = discover(path)
    versions = {rule_set_version(s.version_af, s.header.get("versionSDET")) for s in sources}
    assert versions == {CURRENT_VERSION}  # 2024: AAF-VE2407 declared; 2020: no header
    result = validate(path)
    assert result.by_rule["AAF-COMP-001"] == 0
