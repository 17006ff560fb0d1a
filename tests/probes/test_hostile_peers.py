"""Every hostile class against the probes: exact status, bounded time, bounded memory.

Each case runs its probe in a fresh interpreter (``tests.hostile.measured``) so that its peak
memory is its own; ``python -m tests.hostile`` prints the same table for a person.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from probes.http import PROBES as HTTP_PROBES
from probes.ldap import PROBES as LDAP_PROBES
from sdet_check.api import open_grid
from sdet_check.demo.pki import PkiFiles, ensure_pki
from sdet_check.grid import load_grid
from sdet_check.probe import ErrorReason, ProbeContext, ProbeTimeout, Status
from sdet_check.registry import ProbeRegistry
from sdet_check.runner import RunLimits, Runner
from sdet_check.selection import Selection
from sdet_check.target import load_target
from sdet_check.transport import get
from tests.hostile import (
    HOSTILE_CASES,
    SECRETS,
    HostileCase,
    HostileServer,
    play,
    portal_target,
    random_drip,
    server_tls,
    serving,
    silent,
    slow_drip,
    slow_ent_target,
)
from tests.unit.conftest import copy_probe_grid

PEAK_MB = 150
"""Peak resident memory allowed to one probe's interpreter (about 60 MB at rest)."""


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiFiles:
    return ensure_pki(tmp_path_factory.mktemp("pki"))


@pytest.mark.parametrize("case", HOSTILE_CASES, ids=lambda case: f"{case.kind}-{case.name}")
def test_hostile_class_gets_its_status_in_bounded_time_and_memory(
    case: HostileCase, pki: PkiFiles, tmp_path: Path
) -> None:
    measure = play(case, tmp_path, pki)
    result = measure.result
    assert (result["status"], result["reason"]) == (case.status, case.reason), result["message"]
    assert result["probe_s"] < case.within_s, result
    assert measure.peak_mb < PEAK_MB, measure


# --- the deadlines, in the process ------------------------------------------------------


def context_on(target: Path, *, network: float, probe_s: float) -> ProbeContext:
    return ProbeContext(
        target=load_target(target), network_timeout=network, deadline=time.monotonic() + probe_s
    )


def test_a_drip_is_cut_at_the_network_bound_not_at_the_probe_deadline(
    pki: PkiFiles, tmp_path: Path
) -> None:
    with HostileServer(slow_drip(0.5), tls=server_tls(pki)) as server:
        context = context_on(
            portal_target(tmp_path, server.url, pki.ca_file), network=1.0, probe_s=30
        )
        with context.http_session() as session:
            started = time.monotonic()
            with pytest.raises(ProbeTimeout, match="au total"):
                get(session, server.url, context)
            assert time.monotonic() - started < 2.0


def test_an_abandoned_probe_ends_its_blocked_read(pki: PkiFiles, tmp_path: Path) -> None:
    with HostileServer(silent(), tls=server_tls(pki)) as server:
        context = context_on(
            portal_target(tmp_path, server.url, pki.ca_file), network=60, probe_s=60
        )
        raised: list[BaseException] = []

        def blocked_read() -> None:
            with context.http_session() as session:
                try:
                    get(session, server.url, context)
                except BaseException as exc:
                    raised.append(exc)

        worker = threading.Thread(target=blocked_read, daemon=True)
        worker.start()
        time.sleep(0.5)
        assert worker.is_alive()  # blocked in a read that would last 60 s
        context.abandon()
        worker.join(timeout=2)
        assert not worker.is_alive(), "the abandoned read must end at once"
        assert isinstance(raised[0], ProbeTimeout)


@pytest.fixture
def drip_portal(pki: PkiFiles) -> Iterator[HostileServer]:
    with HostileServer(slow_drip(0.5), tls=server_tls(pki)) as server:
        yield server


STALLED = [
    "http.hsts",
    "http.cookie_flags",
    "http.accessibility_mention",
    "http.hsts",
    "http.cookie_flags",
    "http.accessibility_mention",
    "http.hsts",
    "http.cookie_flags",
]


def test_a_stalled_portal_neither_holds_the_run_nor_the_probes_that_do_not_read_it(
    drip_portal: HostileServer, pki: PkiFiles, tmp_path: Path
) -> None:
    registry = ProbeRegistry(HTTP_PROBES + LDAP_PROBES)
    grid = load_grid(copy_probe_grid(tmp_path, [*STALLED, "http.tls_floor"]), registry)
    target = load_target(portal_target(tmp_path, drip_portal.url, pki.ca_file))
    limits = RunLimits(max_workers=2, network_timeout_s=1.0, probe_timeout_s=30, run_timeout_s=10)
    started = time.monotonic()
    results = Runner(registry, limits=limits).run(grid, target, Selection())
    elapsed = time.monotonic() - started
    assert elapsed < 10, "the run must end well within its bound"
    *stalled, floor = results
    assert floor.status is Status.PASS, floor.message  # TLS answers: the probe decides
    assert all(r.status is Status.ERROR for r in stalled)
    assert all(r.error_reason is ErrorReason.TIMEOUT for r in stalled), [r.message for r in stalled]
    assert any("pas demandé à nouveau" in r.message for r in stalled)


def test_the_run_bound_holds_with_probes_stalled_in_reads(
    drip_portal: HostileServer, pki: PkiFiles, tmp_path: Path
) -> None:
    registry = ProbeRegistry(HTTP_PROBES)
    grid = load_grid(copy_probe_grid(tmp_path, ["http.hsts"] * 4), registry)
    target = load_target(portal_target(tmp_path, drip_portal.url, pki.ca_file))
    limits = RunLimits(max_workers=4, network_timeout_s=60, probe_timeout_s=60, run_timeout_s=1.5)
    before = set(threading.enumerate())
    started = time.monotonic()
    results = Runner(registry, limits=limits).run(grid, target, Selection())
    assert time.monotonic() - started < 3
    assert {r.error_reason for r in results} == {ErrorReason.RUN_TIMEOUT}
    time.sleep(0.5)
    stuck = [t.name for t in set(threading.enumerate()) - before if t.name.startswith("probe-")]
    assert not stuck, f"abandoned probes still hold their threads: {stuck}"


def test_the_real_grid_against_a_slow_ent_ends_within_its_bound(
    pki: PkiFiles, tmp_path: Path
) -> None:
    tls = server_tls(pki)
    with serving(
        HostileServer(slow_drip(0.5), tls=tls),
        HostileServer(slow_drip(0.5)),
        HostileServer(random_drip(0.5), http=False),
    ) as (https, http, ldap):
        target = load_target(
            slow_ent_target(tmp_path, pki, https.url, http.url, ldap.port), SECRETS
        )
        registry = ProbeRegistry.from_entry_points()
        grid = open_grid("sdet/6.4", registry)
        limits = RunLimits(network_timeout_s=1.0, probe_timeout_s=10, run_timeout_s=20)
        started = time.monotonic()
        # The browser family has its own deadline tests (tests/probes/test_portal.py): a
        # dripping portal costs Chromium its whole probe deadline, which is not this test's
        # subject (the transport's bounds are).
        browser = tuple(
            r.id for r in grid.requirements if (r.verification.probe or "").startswith("portal.")
        )
        results = Runner(registry, limits=limits).run(grid, target, Selection(skip=browser))
        elapsed = time.monotonic() - started
    probed = [r for r in results if r.probe and r.requirement_id not in browser]
    assert len(probed) > 50
    assert elapsed < 15, f"{elapsed:.1f} s"
    reasons = {r.error_reason for r in probed}
    assert ErrorReason.RUN_TIMEOUT not in reasons, "every probe requirement must start"
    assert ErrorReason.PROBE_BUG not in reasons, [
        r.message for r in probed if r.error_reason is ErrorReason.PROBE_BUG
    ]
    floors = [r for r in probed if r.probe == "http.tls_floor"]
    assert floors and all(r.status is Status.PASS for r in floors)
