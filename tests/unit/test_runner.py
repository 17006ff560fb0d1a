"""The runner: statuses for every situation, bounds, and nothing escaping a probe."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sdet_check.demo.pki import ensure_pki
from sdet_check.grid import load_grid
from sdet_check.probe import ErrorReason, Outcome, Probe, ProbeContext, Status
from sdet_check.registry import ProbeRegistry
from sdet_check.results import RequirementResult
from sdet_check.runner import RunLimits, Runner
from sdet_check.selection import Selection
from sdet_check.target import load_target
from sdet_check.transport import get
from tests.hostile import HostileServer, portal_target, server_tls, slow_drip

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


class _StalledReadProbe(Probe):
    """Reads the portal's answer, however slowly it comes."""

    kind = "fake.stalled_read"
    title = "lecture bloquée"

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        url = context.target.section("portal")["url"]
        with context.http_session() as session:
            get(session, url, context)
        raise AssertionError("a silent port cannot answer")


def test_an_abandoned_probe_frees_its_slot_and_its_thread(
    tmp_path: Path, registry: ProbeRegistry, environ: dict[str, str]
) -> None:
    registry.add(_StalledReadProbe)
    pki = ensure_pki(tmp_path / "pki")
    # One byte every 0.2 s: never idle long enough for a read timeout to fire.
    with HostileServer(slow_drip(0.2), tls=server_tls(pki)) as drip:
        target_file = portal_target(tmp_path, drip.url, pki.ca_file)
        grid = load_grid(
            copy_probe_grid(tmp_path, ["fake.stalled_read"] * 3 + ["fake.pass"]), registry
        )
        limits = RunLimits(max_workers=2, probe_timeout_s=0.6, run_timeout_s=30)
        before = set(threading.enumerate())
        started = time.monotonic()
        results = Runner(registry, limits=limits).run(
            grid, load_target(target_file, environ), Selection()
        )
        elapsed = time.monotonic() - started
        time.sleep(0.3)
        alive = [t.name for t in set(threading.enumerate()) - before if t.name.startswith("probe-")]
    assert [r.error_reason for r in results[:3]] == [ErrorReason.TIMEOUT] * 3
    assert results[3].status is Status.PASS
    assert elapsed < 3, "two slots: the three stalled probes take two rounds of 0.6 s"
    assert not alive, f"abandoned probes still hold threads (and slots): {alive}"


def test_stalls_of_one_endpoint_spare_the_rest_of_the_run(
    tmp_path: Path, registry: ProbeRegistry, environ: dict[str, str]
) -> None:
    registry.add(_StalledReadProbe)
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        target_file = tmp_path / "cible.yaml"
        target_file.write_text(
            f"format: 1\nname: ENT muet\nportal:\n  url: https://127.0.0.1:{port}/\n",
            encoding="utf-8",
        )
        grid = load_grid(copy_probe_grid(tmp_path, ["fake.stalled_read"] * 8), registry)
        limits = RunLimits(
            max_workers=1, probe_timeout_s=30, run_timeout_s=30, network_timeout_s=0.4
        )
        started = time.monotonic()
        results = Runner(registry, limits=limits).run(
            grid, load_target(target_file, environ), Selection()
        )
        elapsed = time.monotonic() - started
    assert all(r.error_reason is ErrorReason.TIMEOUT for r in results)
    assert sum("pas demandé à nouveau" in r.message for r in results) == 6
    assert elapsed < 8 * 0.4, "after two stalls the endpoint is not waited for again"


_SPANS: dict[str, list[tuple[str, float, float]]] = {}
"""(kind, start, end) of each run of the session probes below, per test."""


class _TicketHolder(Probe):
    """Stands for a probe between its login and its ticket's validation."""

    kind = "fake.ticket_holder"
    title = "ticket détenu"

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        started = time.monotonic()
        time.sleep(0.15)
        _SPANS.setdefault(context.target.name, []).append((self.kind, started, time.monotonic()))
        return Outcome(Status.PASS, "ticket validé")


class _LogsOut(_TicketHolder):
    """Stands for cas.logout: its logout would spend the others' tickets."""

    kind = "fake.logs_out"
    ends_sessions = "fake.logout"


class _SharedVisit(_TicketHolder):
    """Stands for the portal probes: one visit, which logs every account out."""

    kind = "fake.shared_visit"
    ends_sessions = "fake.visit"


def test_probes_that_end_sessions_run_apart_from_every_other_probe(
    tmp_path: Path, registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> None:
    for probe in (_TicketHolder, _LogsOut, _SharedVisit):
        registry.add(probe)
    kinds = ["fake.shared_visit", "fake.ticket_holder", "fake.logs_out"] * 2
    kinds += ["fake.ticket_holder"] * 4
    grid = load_grid(copy_probe_grid(tmp_path, kinds), registry)
    target = load_target(target_file, environ)
    results = Runner(registry, limits=RunLimits(max_workers=8)).run(grid, target, Selection())
    assert [r.probe for r in results] == kinds  # results in grid order, whatever ran first
    assert [r.status for r in results] == [Status.PASS] * len(kinds)
    spans = _SPANS.pop(target.name)
    assert len(spans) == len(kinds)
    # The enders ran after every other probe had finished, not merely beside none.
    last_holder = max(end for kind, _, end in spans if kind == "fake.ticket_holder")
    assert all(start >= last_holder for kind, start, _ in spans if kind != "fake.ticket_holder")
    for kind, start, end in spans:
        for other, other_start, other_end in spans:
            overlap = start < other_end and other_start < end
            if overlap and kind != other:
                raise AssertionError(f"{kind} ran alongside {other}")
    # Probes of one group run together (the portal probes share their visit), and the
    # others still run concurrently: well under serial time.
    visits = [(start, end) for kind, start, end in spans if kind == "fake.shared_visit"]
    assert visits[0][0] < visits[1][1] and visits[1][0] < visits[0][1]
    first = min(start for _, start, _ in spans)
    last = max(end for _, _, end in spans)
    assert last - first < len(kinds) * 0.15 * 0.7
