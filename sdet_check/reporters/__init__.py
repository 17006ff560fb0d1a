"""Reporters render a run record; each returns bytes, so rendering is pure and testable.

Writing to a terminal or a file is the command line's job.
"""

from __future__ import annotations

from sdet_check.reporters.base import Reporter
from sdet_check.reporters.csv import CsvReporter
from sdet_check.reporters.json import JsonReporter
from sdet_check.reporters.junit import JunitReporter
from sdet_check.reporters.terminal import TerminalReporter

REPORTERS: dict[str, type[Reporter]] = {
    reporter.format: reporter
    for reporter in (TerminalReporter, JsonReporter, JunitReporter, CsvReporter)
}
"""Every output format by name."""


def reporter_for(name: str) -> Reporter:
    """Return a reporter instance for ``name``; :class:`KeyError` when unknown."""
    return REPORTERS[name]()


__all__ = ["REPORTERS", "Reporter", "reporter_for"]
