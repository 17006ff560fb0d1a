"""The PDF report: the HTML report laid out for A4 by WeasyPrint, with the run attached.

Same template as the HTML, rendered with ``medium="print"``: running header and footer
with page numbers and the run's hash, contents with page numbers, tables whose headers
repeat on every page, evidence shortened with a pointer to the full piece in the JSON.
The run JSON is embedded in the PDF (PDF/A-3 attachment), so the pointer always resolves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sdet_check.reporters.document import FetchGuard, PdfAttachment, html_to_pdf
from sdet_check.reporters.html import HtmlReporter, Signature
from sdet_check.run import dump_run, run_hash


class PdfReporter(HtmlReporter):
    """A tagged archival PDF (PDF/A-3a) of the certification report, run JSON attached."""

    format = "pdf"
    filename = "rapport.pdf"
    medium = "print"

    def __init__(self, signature: Signature | None = None, guard: FetchGuard | None = None):
        """``guard`` records any resource the layout tried to load (tests read it)."""
        super().__init__(signature)
        self.guard = guard or FetchGuard()

    def render(self, record: Mapping[str, Any], lang: str = "fr") -> bytes:
        """The PDF bytes."""
        return html_to_pdf(
            self.html(record, lang),
            identifier=run_hash(record),
            attachments=[
                PdfAttachment(
                    name="run.json",
                    content=dump_run(record).encode("utf-8"),
                    description="Enregistrement canonique du run (sdet-check)",
                    relationship="Source",  # the report is rendered from this record
                )
            ],
            guard=self.guard,
        )
