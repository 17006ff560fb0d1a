"""What to generate: the options of a run and the parsing of ``--defects``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sdet_check.aaf.families import CURRENT_VERSION
from sdet_check.aaf.rules import RULES


@dataclass(frozen=True)
class GenerationOptions:
    """What to generate."""

    structures: int = 3
    seed: int = 1
    defects: frozenset[str] = frozenset()
    size_mb: float | None = None
    chunk_records: int = 5000
    delta: bool = True
    export_date: date = date(2024, 9, 16)
    prefix: str = "ENT2DGEN-SDET"
    format_version: str = CURRENT_VERSION
    """The AAF format version written (:data:`FORMAT_VERSIONS`): its header and its forms."""


def parse_defects(text: str | None) -> frozenset[str]:
    """``all`` or comma-separated rule ids → the set of rules to inject; ValueError if unknown."""
    if not text:
        return frozenset()
    if text.strip().lower() == "all":
        return frozenset(RULES)
    wanted = {part.strip().upper() for part in text.split(",") if part.strip()}
    unknown = sorted(wanted - set(RULES))
    if unknown:
        raise ValueError(
            f"règle(s) inconnue(s) : {', '.join(unknown)} (voir `sdet-check aaf rules`)"
        )
    return frozenset(wanted)
