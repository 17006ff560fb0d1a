"""The verdicts an auditor may give, and the words accepted for each."""

from __future__ import annotations

VERDICTS = ("pass", "fail", "not_applicable")
"""What an auditor may decide, as the reviews file writes it."""

_ALIASES = {
    "pass": "pass",
    "c": "pass",
    "conforme": "pass",
    "fail": "fail",
    "nc": "fail",
    "non_conforme": "fail",
    "non conforme": "fail",
    "not_applicable": "not_applicable",
    "not applicable": "not_applicable",
    "na": "not_applicable",
    "non_applicable": "not_applicable",
    "non applicable": "not_applicable",
}
"""Words accepted for a verdict, in either language (case does not matter)."""


def parse_verdict(text: str) -> str | None:
    """``pass``, ``fail`` or ``not_applicable`` from what a person typed (C, NC, NA...)."""
    return _ALIASES.get(" ".join(text.strip().lower().replace("-", "_").split()))
