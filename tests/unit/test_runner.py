"""The runner: statuses for every situation, bounds, and nothing escaping a probe."""

from __future__ import annotations

import time
from pathlib import Path

from sdet_check.grid import load_grid
from sdet_check.probe import ErrorReason, Status
from sdet_check.registry import ProbeRegistry
from sdet_check.results import RequirementResult
from sdet_check.runner import RunLimits, Runner
from sdet_check.selection import Selection
from sdet_check.target import load_target

from .conftest import DEMO_GRID, copy_probe_grid


def by_id(results: list[RequirementResult]) -> dict[str, RequirementResult]:
    return {r.requirement_id: r for r in results}


def test_statuses_for_each_kind_of_requirement(
    registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> None:
    grid = load_grid(DEMO_GRID, registry)
    target = load_target(target_file, environ)
    results = by_id(Runner(registry).run(grid, target, Selection()))
    assert list(results) == [r.id for r in grid.requirements]  # grid order
    assert results["T-PASS-001"].status is Status.PASS
    assert results["T-PASS-001"].evidence[0].summary == "observé"
    assert results["T-FAIL-001"].status is Status.FAIL
    assert results["T-FAIL-001"].message == "Échec volontaire."
    assert results["J-DECL-001"].status is Status.MANUAL
    assert results["J-1D-001"].status is Status.NOT_APPLICABLE
    assert "premier degré" in results["J-1D-001"].message
    assert results["T-PASS-001"].duration_ms is not None


def test_selection_gives_not_tested_with_reason(
    registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> None:
    grid = load_grid(DEMO_GRID, registry)
    target = load_target(target_file, environ)
    results = by_id(
        Runner(registry).run(grid, target, Selection(levels=frozenset({"MUST"}), skip=("T-S*",)))
    )
    assert results["T-FAIL-001"].status is Status.NOT_TESTED
    assert "--level" in results["T-FAIL-001"].message
    assert results["T-SECRET-001"].status is Status.NOT_TESTED
    assert "--skip" in results["T-SECRET-001"].message
    assert results["T-PASS-001"].status is Status.PASS


def test_hanging_raising_and_unreachable_probes_become_errors(
    tmp_path: Path, registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> None:
    grid = load_grid(
        copy_probe_grid(tmp_path, ["fake.hang", "fake.raise", "fake.unreachable", "fake.pass"]),
        registry,
    )
    target = load_target(target_file, environ)
    started = time.monotonic()
    results = Runner(registry, limits=RunLimits(probe_timeout_s=0.5)).run(grid, target, Selection())
    elapsed = time.monotonic() - started
    assert elapsed < 5, "a hanging probe must not hold the run"
    hang, bug, unreachable, passing = results
    assert (hang.status, hang.error_reason) == (Status.ERROR, ErrorReason.TIMEOUT)
    assert "abandonnée" in hang.message
    assert (bug.status, bug.error_reason) == (Status.ERROR, ErrorReason.PROBE_BUG)
    assert bug.trace is not None and "KeyError" in bug.trace
    assert "KeyError" in bug.message
    assert (unreachable.status, unreachable.error_reason) == (
        Status.ERROR,
        ErrorReason.UNREACHABLE,
    )
    assert "127.0.0.1:9" in unreachable.message
    assert passing.status is Status.PASS  # every other result is kept


def test_whole_run_bound(
    tmp_path: Path, registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> None:
    grid = load_grid(copy_probe_grid(tmp_path, ["fake.hang"] * 3 + ["fake.pass"]), registry)
    target = load_target(target_file, environ)
    limits = RunLimits(max_workers=1, probe_timeout_s=30, run_timeout_s=0.6)
    started = time.monotonic()
    results = Runner(registry, limits=limits).run(grid, target, Selection())
    assert time.monotonic() - started < 5
    reasons = [r.error_reason for r in results]
    assert reasons == [ErrorReason.RUN_TIMEOUT] * 4
    assert "avant le lancement" in results[-1].message


def test_probes_run_concurrently(
    tmp_path: Path, registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> None:
    grid = load_grid(copy_probe_grid(tmp_path, ["fake.slow"] * 8), registry)
    target = load_target(target_file, environ)
    started = time.monotonic()
    results = Runner(registry, limits=RunLimits(max_workers=8)).run(grid, target, Selection())
    assert all(r.status is Status.PASS for r in results)
    assert time.monotonic() - started < 8 * 0.3 * 0.6  # well under serial time


def test_missing_target_section_gives_not_tested(
    tmp_path: Path, registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> None:
    grid = load_grid(copy_probe_grid(tmp_path, ["fake.cas"]), registry)
    target = load_target(target_file, environ)
    (result,) = Runner(registry).run(grid, target, Selection())
    assert result.status is Status.NOT_TESTED
    assert "« cas »" in result.message


def test_observer_sees_every_requirement(
    registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> None:
    seen: list[str] = []
    totals: list[int] = []

    class Recorder:
        def run_started(self, total: int) -> None:
            totals.append(total)

        def requirement_finished(self, result: RequirementResult) -> None:
            seen.append(result.requirement_id)

    grid = load_grid(DEMO_GRID, registry)
    Runner(registry, observer=Recorder()).run(grid, load_target(target_file, environ), Selection())
    assert totals == [5]
    assert sorted(seen) == sorted(r.id for r in grid.requirements)
