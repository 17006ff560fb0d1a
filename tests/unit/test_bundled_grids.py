"""The bundled SDET grids: coverage, structure and the documented changes between versions."""

from __future__ import annotations

from collections import Counter

import pytest

from sdet_check.api import open_grid
from sdet_check.grid import Grid, Method, grid_folders, load_grid
from sdet_check.griddiff import ChangeKind, diff_grids
from sdet_check.registry import ProbeRegistry


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
