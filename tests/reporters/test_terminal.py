"""The terminal summary: what an editor reads first after a run."""

from __future__ import annotations

from typing import Any

from sdet_check.reporters.terminal import TerminalReporter, untested_must_summary
from tests.records import synthetic, with_results

CLEARTEXT = "mot de passe non envoyé : ajouter --allow-cleartext-credentials (cible en HTTP)"


def _must_ids(record: dict[str, Any], count: int) -> list[str]:
    return [r["id"] for r in record["grid"]["requirements"] if r["level"] == "MUST"][:count]


def test_untested_must_are_grouped_by_the_reason_the_run_gives() -> None:
    record = synthetic()
    first, second, third = _must_ids(record, 3)
    edited = with_results(
        record,
        {
            first: {"status": "not_tested", "message": CLEARTEXT},
            second: {"status": "not_tested", "message": CLEARTEXT},
            third: {"status": "not_tested", "message": "section ldap absente de la cible"},
        },
    )
    groups = dict(untested_must_summary(edited))
    assert {first, second} <= set(groups[CLEARTEXT])
    assert third in groups["section ldap absente de la cible"]
    text = TerminalReporter().render(edited, "fr").decode("utf-8")
    assert "MUST non testées" in text and "--allow-cleartext-credentials" in text
    assert first in text


def test_english_summary_has_no_french_colon_spacing() -> None:
    text = TerminalReporter().render(synthetic(), "en").decode("utf-8")
    assert "Target: " in text and "Grid: " in text and "Verdict: " in text
    assert "MUST not tested" in text
    # The tool's own labels (probe findings come from the message catalogue).
    assert not any(f"{label} :" in text for label in ("Target", "Grid", "Verdict", "Errors"))
