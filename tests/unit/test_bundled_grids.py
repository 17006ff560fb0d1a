"""The bundled SDET grids: coverage, structure and the documented changes between versions."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import yaml

from sdet_check.api import open_grid
from sdet_check.grid import (
    SOURCE_FAMILIES,
    Grid,
    Method,
    derive_family,
    grid_folders,
    load_grid,
    source_label,
)
from sdet_check.griddiff import ChangeKind, diff_grids
from sdet_check.registry import ProbeRegistry
from sdet_check.resources import grids_dir
from sdet_check.yamlfile import schema


@pytest.fixture(scope="module")
def current() -> Grid:
    return open_grid("sdet/6.4")


def test_every_bundled_grid_validates_against_the_installed_probes() -> None:
    registry = ProbeRegistry.from_entry_points()
    folders = list(grid_folders())
    assert {f"{f.parent.name}/{f.name}" for f in folders} >= {"sdet/6.2", "sdet/6.4"}
    for folder in folders:
        load_grid(folder, registry)


def test_current_grid_covers_the_four_axes_with_both_levels(current: Grid) -> None:
    assert len(current.requirements) >= 80
    assert [axis.id for axis in current.axes] == [
        "fonctionnel",
        "technique",
        "securite",
        "juridique",
    ]
    levels = Counter((r.axis, r.level.value) for r in current.requirements)
    for axis in current.axes:
        assert levels[(axis.id, "MUST")] > 0 and levels[(axis.id, "SHOULD")] > 0, axis.id


def test_every_requirement_is_sourced_and_verifiable(current: Grid) -> None:
    for r in current.requirements:
        assert r.source.document and r.source.section, r.id
        if r.verification.method is Method.PROBE:
            assert r.verification.probe, r.id
        elif r.verification.method is Method.DECLARATION:
            assert r.verification.proofs is not None, r.id
        else:
            assert r.verification.guidance is not None, r.id
        if r.level_basis == "inferred":
            continue
        assert r.level_basis == "stated", r.id


def test_digest_ids_are_kept(current: Grid) -> None:
    ids = {r.id for r in current.requirements}
    for rid in ("LEG-CONF-001", "LEG-CONF-002", "SSO-CAS-004", "DIR-AAF-004", "AUD-TAG-002",
                "SEC-TLS-001", "A11Y-DECL-001", "INT-IMPEX-001"):  # fmt: skip
        assert rid in ids
    assert "DIR-ID-001" not in ids  # dropped after SDET v2.0


def test_diff_62_64_shows_the_documented_changes() -> None:
    diff = diff_grids(open_grid("sdet/6.2"), open_grid("sdet/6.4"))
    relevelled = {(c.requirement_id, c.old, c.new) for c in diff.of_kind(ChangeKind.RELEVELLED)}
    assert ("INT-IMPEX-001", "SHOULD", "MUST") in relevelled
    assert ("INT-FMT-001", "SHOULD", "MUST") in relevelled
    added = {c.requirement_id for c in diff.of_kind(ChangeKind.ADDED)}
    assert {"SSO-EDU-002", "SSO-AGRI-001", "INT-LSU-001", "DIR-AAF-006", "DIR-AAF-007"} <= added
    assert "LEG-RGPD-001" in {c.requirement_id for c in diff.of_kind(ChangeKind.REWORDED)}
    assert not diff.of_kind(ChangeKind.REMOVED)
    # EduConnect and the RGPD came with 6.2: they are not new in 6.4.
    assert "SSO-EDU-001" not in added and "LEG-RGPD-001" not in added


# --- remediation, source families, publication dates (issue 11, point 5) -------------------

SHIPPED = ("sdet/6.2", "sdet/6.4")
_FRENCH_WORDS = re.compile(r"\b(les|des|une|pour|dans|avec|sans|est|sont|aux|du|au|qui|chaque)\b")
_QUOTED = re.compile(r"\"[^\"]*\"|«[^»]*»")


@pytest.mark.parametrize("ref", SHIPPED)
def test_every_probe_decided_requirement_says_how_to_fix_it_in_french_and_english(
    ref: str,
) -> None:
    grid = open_grid(ref)
    assert grid.manifest.get("requires_remediation") is True
    decided = [r for r in grid.requirements if r.verification.method is Method.PROBE]
    assert len(decided) >= 90
    for r in decided:
        assert r.remediation is not None, r.id
        fr, en = r.remediation.fr, r.remediation.en
        assert fr.strip() and en.strip() and fr != en, r.id
        assert len(fr) <= 450 and len(en) <= 450, r.id  # 1 to 3 sentences, not an essay
        # Real English: no French function words outside quoted names and labels.
        assert not _FRENCH_WORDS.search(_QUOTED.sub("", en)), (r.id, en)
        assert _FRENCH_WORDS.search(_QUOTED.sub("", fr)), (r.id, fr)
        assert r.to_json()["remediation"] == {"fr": fr, "en": en}
    for r in grid.requirements:
        if r.remediation is None:
            assert "remediation" not in r.to_json(), r.id


@pytest.mark.parametrize("ref", SHIPPED)
def test_every_source_names_its_family_and_no_label_is_generic(ref: str) -> None:
    grid = open_grid(ref)
    for r in grid.requirements:
        source = r.to_json()["source"]
        family = r.source.family
        assert family is not None and family in SOURCE_FAMILIES, r.id
        # The family can be found again from the title alone (runs written before it).
        assert derive_family(r.source.document) == r.source.family, r.id
        for lang in ("fr", "en"):
            label = source_label(source, grid.version, lang)
            name = SOURCE_FAMILIES[family].get(lang)
            assert label != "Source" and name in label, (r.id, label)
        if r.source.family != "SDET":
            assert source_label(source, grid.version, "fr") == f"Source {r.source.family}"


def test_a_source_from_another_sdet_version_says_so() -> None:
    grid = open_grid("sdet/6.4")
    versions = Counter(r.source.sdet_version for r in grid.requirements if r.source.sdet_version)
    assert versions["6.4"] and versions["6.3"], versions
    for r in grid.requirements:
        if not r.source.sdet_version:
            continue
        label = source_label(r.to_json()["source"], grid.version, "fr")
        english = source_label(r.to_json()["source"], grid.version, "en")
        assert label.startswith(f"Source SDET {r.source.sdet_version}"), label
        other = r.source.sdet_version != grid.version
        assert ("autre que celle de la grille, 6.4" in label) is other, label
        assert ("another SDET version than the grid's, 6.4" in english) is other, english


def test_no_quotation_is_reduced_to_an_ellipsis() -> None:
    for ref in SHIPPED:
        for r in open_grid(ref).requirements:
            wording = (r.source.wording or "").strip()
            assert not re.fullmatch(r"[^:]*:\s*\[(\.\.\.|…)\]", wording), (ref, r.id, wording)


def test_publication_dates_are_the_sdet_versions_dates_recorded_in_one_place() -> None:
    recorded = yaml.safe_load((grids_dir() / "sdet" / "sdet-versions.yaml").read_text())
    versions = recorded["versions"]
    for folder in grid_folders():
        if folder.parent.name != "sdet":
            continue
        grid = load_grid(folder)
        assert grid.version in versions, f"date of SDET {grid.version} not recorded"
        entry = versions[grid.version]
        assert grid.published == entry["date"], grid.ref
        assert entry["precision"] in ("day", "month") and entry["bound"] in ("exact", "not_after")
        assert len(entry["date"]) == (10 if entry["precision"] == "day" else 7)
        assert entry["source"].strip()
        note = grid.manifest["published_note"]
        assert note["fr"] != note["en"]
        if entry["bound"] == "not_after":
            assert "au plus tard" in note["fr"].lower() and "at the latest" in note["en"].lower()
    # The dates the sources give (reference digest): 6.2 in force from February 2019; 6.4
    # only seen in AAF exports dated 16/09/2024, hence "September 2024 at the latest".
    assert versions["6.2"]["date"] == "2019-02" and versions["6.4"]["date"] == "2024-09"
    assert versions["6.4"]["bound"] == "not_after"


def test_the_schema_and_the_labels_know_the_same_source_families() -> None:
    source = schema("grid-axis")["$defs"]["source"]["properties"]
    assert source["family"]["enum"] == list(SOURCE_FAMILIES)
    for family, name in SOURCE_FAMILIES.items():
        assert name.fr and name.en, family
