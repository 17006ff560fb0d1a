"""The JSON reporter: the canonical run record itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sdet_check.reporters.base import Reporter
from sdet_check.run import dump_run


class JsonReporter(Reporter):
    """Writes the run record as indented UTF-8 JSON (it validates against run.schema.json)."""

    format = "json"
    filename = "run.json"

    def render(self, record: Mapping[str, Any], lang: str = "fr") -> bytes:
        """The language does not change the canonical record."""
        return dump_run(record).encode("utf-8")
