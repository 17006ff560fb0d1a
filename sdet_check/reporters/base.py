"""The reporter interface and helpers shared by reporters."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar


class Reporter(ABC):
    """Renders a run record (the canonical run JSON, as a mapping) in one format."""

    format: ClassVar[str]
    """Name used on the command line (``--format junit``)."""
    filename: ClassVar[str]
    """File name written in an output folder (``junit.xml``)."""

    @abstractmethod
    def render(self, record: Mapping[str, Any], lang: str = "fr") -> bytes:
        """Return the rendering of ``record`` in ``lang`` (``fr`` or ``en``)."""


def rows(record: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """Pairs of (requirement, result) in grid order."""
    results = {entry["requirement"]: entry for entry in record["results"]}
    for requirement in record["grid"]["requirements"]:
        result = results.get(requirement["id"])
        if result is not None:
            yield requirement, result


def percent(value: float | None) -> str:
    """``87,5 %`` (French style) or an em dash when there is nothing to rate."""
    if value is None:
        return "—"
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") + " %"
