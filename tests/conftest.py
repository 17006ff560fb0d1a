"""Hypothesis profiles of the whole suite, and the count of generated examples it prints.

Profiles (``HYPOTHESIS_PROFILE`` chooses; otherwise ``ci`` when ``CI=true``, else ``dev``):

- ``dev``: a twentieth of the CI budget of each property, for a quick local run;
- ``ci``: the budget each property states (see :func:`tests.strategies.budget`), at least
  100,000 examples across the suite;
- ``long``: ten times the CI budget, for a night on a workstation.

No hypothesis deadline: this machine and CI runners are shared, and a property that must be
fast asserts its own bound (or runs under pytest-timeout), so that a loaded machine never
makes a property flaky.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.strategies import PROFILE_SCALE, active_profile

_COMMON: dict[str, Any] = {
    "deadline": None,
    "print_blob": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("dev", max_examples=20, **_COMMON)
settings.register_profile("ci", max_examples=400, derandomize=False, **_COMMON)
settings.register_profile("long", max_examples=4000, **_COMMON)


if active_profile() not in PROFILE_SCALE:
    raise pytest.UsageError(
        f"HYPOTHESIS_PROFILE={active_profile()} inconnu : choisir {', '.join(PROFILE_SCALE)}"
    )
settings.load_profile(active_profile())

_generated = {"examples": 0, "properties": 0}


def _counting(inner: Any) -> Any:
    @functools.wraps(inner)
    def counted(*args: Any, **kwargs: Any) -> Any:
        _generated["examples"] += 1
        return inner(*args, **kwargs)

    counted.sdet_counted = True  # type: ignore[attr-defined]
    return counted


PROPERTY_TIMEOUT_S = {"dev": 120, "ci": 600, "long": 3600}
"""pytest-timeout bound of one property: its examples scale with the profile."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Count each example of every hypothesis test; give properties the profile's timeout."""
    timeout = pytest.mark.timeout(PROPERTY_TIMEOUT_S.get(active_profile(), 120))
    for item in items:
        handle = getattr(getattr(item, "obj", None), "hypothesis", None)
        inner = getattr(handle, "inner_test", None)
        if inner is None:
            continue
        if item.get_closest_marker("timeout") is None:
            item.add_marker(timeout)
        if not getattr(inner, "sdet_counted", False):
            handle.inner_test = _counting(inner)  # type: ignore[union-attr]


def pytest_runtest_call(item: pytest.Item) -> None:
    """Count the property tests that ran."""
    if getattr(getattr(item, "obj", None), "hypothesis", None) is not None:
        _generated["properties"] += 1


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In a pytest-xdist worker, hand this worker's counts to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["sdet_hypothesis"] = dict(_generated)


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: unknown when xdist is not loaded
def pytest_testnodedown(node: Any, error: Any) -> None:
    """In the pytest-xdist controller, add the counts of a worker that finished."""
    counts = getattr(node, "workeroutput", {}).get("sdet_hypothesis") or {}
    for key in _generated:
        _generated[key] += int(counts.get(key, 0))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print ``hypothesis: N examples`` at the end of every session that ran properties."""
    if _generated["properties"]:
        terminalreporter.write_line(
            f"hypothesis: {_generated['examples']} examples "
            f"({_generated['properties']} propriétés, profil {active_profile()})"
        )
