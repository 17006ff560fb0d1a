"""Reporters render a run record; each returns bytes, so rendering is pure and testable.

Writing to a terminal or a file is the command line's job.
"""

from __future__ import annotations

from sdet_check.reporters.base import Reporter
from sdet_check.reporters.csv import CsvReporter
from sdet_check.reporters.html import HtmlReporter, Signature
from sdet_check.reporters.json import JsonReporter
from sdet_check.reporters.junit import JunitReporter
from sdet_check.reporters.pdf import PdfReporter
from sdet_check.reporters.terminal import TerminalReporter

REPORTERS: dict[str, type[Reporter]] = {
    reporter.format: reporter
    for reporter in (
        TerminalReporter,
        JsonReporter,
        JunitReporter,
        CsvReporter,
        HtmlReporter,
        PdfReporter,
    )
}
"""Every output format by name."""


def reporter_for(name: str, signature: Signature | None = None) -> Reporter:
    """Return a reporter instance for ``name``; :class:`KeyError` when unknown.

    ``signature`` (auditor, validity end) goes to the document reporters (HTML, PDF).
    """
    reporter = REPORTERS[name]
    if issubclass(reporter, HtmlReporter):
        return reporter(signature)
    return reporter()


__all__ = ["REPORTERS", "Reporter", "Signature", "reporter_for"]
