"""Follow-up audit: regressions, fixes, grid changes, waivers expired since, scores."""

from __future__ import annotations

from datetime import UTC, datetime

from sdet_check.reporters.followup import render_rundiff_html, rundiff_renderable
from sdet_check.rundiff import diff_runs

from ..records import all_pass, synthetic, with_results

LAST_YEAR = datetime(2025, 10, 1, 9, 0, tzinfo=UTC)
THIS_YEAR = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def waiver(requirement: str, expires: str, state: str = "valid") -> dict[str, str]:
    return {
        "requirement": requirement,
        "justification": "Correctif prévu.",
        "author": "RSSI",
        "expires": expires,
        "state": state,
    }


def test_regressions_fixes_and_other_changes() -> None:
    base = all_pass(synthetic("demo"))
    old = with_results(
        base,
        {"T-FAIL-001": {"status": "fail"}, "J-DECL-001": {"status": "manual"}},
        started=LAST_YEAR,
    )
    new = with_results(
        base,
        {
            "T-PASS-001": {"status": "fail"},  # was C: regression
            "J-DECL-001": {"status": "fail"},  # was manual: a new failure, a regression too
            "T-SECRET-001": {"status": "error"},  # was C: other change
        },
        started=THIS_YEAR,
    )
    diff = diff_runs(old, new)
    assert [(c.requirement_id, c.old_status) for c in diff.regressions] == [
        ("T-PASS-001", "pass"),
        ("J-DECL-001", "manual"),
    ]
    assert [c.requirement_id for c in diff.fixes] == ["T-FAIL-001"]
    assert [(c.requirement_id, c.new_status) for c in diff.other_changes] == [
        ("T-SECRET-001", "error")
    ]
    assert diff.same_target and diff.same_grid and diff.chronological
    assert not diff.unchanged


def test_identical_runs_have_no_change() -> None:
    record = all_pass(synthetic("demo"))
    diff = diff_runs(record, record)
    assert diff.unchanged and not diff.regressions


def test_waivers_valid_then_expired_since_are_listed() -> None:
    base = all_pass(synthetic("demo"))
    old = with_results(
        base,
        {"T-SECRET-001": {"status": "fail", "waived": True, "waiver_state": "valid"}},
        waivers=[waiver("T-SECRET-001", "2026-03-31"), waiver("T-FAIL-001", "2027-12-31")],
        started=LAST_YEAR,
    )
    # The new run was made without the waivers file: the lapsed réserve is still reported.
    new = with_results(base, {"T-SECRET-001": {"status": "fail"}}, waivers=[], started=THIS_YEAR)
    diff = diff_runs(old, new)
    assert [(w.requirement_id, w.expires, w.new_status) for w in diff.expired_waivers] == [
        ("T-SECRET-001", "2026-03-31", "fail")
    ]
    # NC* → NC is a change of result, and a failure that was not one before.
    assert [c.requirement_id for c in diff.regressions] == []
    assert [(c.old_waived, c.new_waived) for c in diff.other_changes] == [(True, False)]


def test_a_waiver_marked_expired_in_the_new_run_is_listed() -> None:
    base = all_pass(synthetic("demo"))
    old = with_results(base, {}, waivers=[waiver("T-FAIL-001", "2026-12-31")], started=LAST_YEAR)
    new = with_results(
        base,
        {},
        waivers=[waiver("T-FAIL-001", "2026-12-31", "expired")],
        started=THIS_YEAR,
    )
    assert [w.requirement_id for w in diff_runs(old, new).expired_waivers] == ["T-FAIL-001"]


def test_grid_changes_between_versions() -> None:
    old = all_pass(synthetic("sdet/6.2", started=LAST_YEAR))
    new = all_pass(synthetic("sdet/6.4", started=THIS_YEAR))
    diff = diff_runs(old, new)
    old_ids = {r["id"] for r in old["grid"]["requirements"]}
    new_ids = {r["id"] for r in new["grid"]["requirements"]}
    assert {c.requirement_id for c in diff.added} == new_ids - old_ids
    assert {c.requirement_id for c in diff.removed} == old_ids - new_ids
    relevelled = {c.requirement_id: (c.old_level, c.new_level) for c in diff.relevelled}
    assert relevelled["INT-IMPEX-001"] == ("SHOULD", "MUST")
    assert all(c.new_status == "pass" for c in diff.added)
    assert not diff.same_grid


def test_scores_before_and_after_per_axis() -> None:
    base = all_pass(synthetic("demo"))
    old = with_results(base, {"T-PASS-001": {"status": "fail"}}, started=LAST_YEAR)
    new = with_results(base, {}, started=THIS_YEAR)
    deltas = {d.axis: d for d in diff_runs(old, new).scores}
    assert set(deltas) == {"technique", "juridique", "global"}
    technique = deltas["technique"]
    assert technique.old is not None and technique.new is not None
    assert (technique.old["verdict"], technique.new["verdict"]) == ("non_conforme", "conforme")


def test_followup_outputs_in_html_and_terminal() -> None:
    base = all_pass(synthetic("demo"))
    old = with_results(base, {}, started=LAST_YEAR)
    new = with_results(base, {"T-PASS-001": {"status": "fail"}}, started=THIS_YEAR)
    diff = diff_runs(old, new)
    html = render_rundiff_html(diff).decode("utf-8")
    assert 'id="count-regressions"' in html and "T-PASS-001" in html
    from rich.console import Console

    console = Console(width=120, record=True, color_system=None)
    console.print(rundiff_renderable(diff))
    text = console.export_text()
    assert "Régressions (1)" in text and "T-PASS-001" in text
    # Swapped runs are flagged.
    assert not diff_runs(new, old).chronological


def test_a_partial_run_is_flagged_in_the_followup() -> None:
    # Found by trial: a follow-up against a run made with --axis/--skip listed 140 "other
    # changes" and no regression, without saying the new run left most of the grid out.
    base = all_pass(synthetic("demo"))
    old = with_results(base, {}, started=LAST_YEAR)
    new = with_results(
        base,
        {"T-PASS-001": {"status": "not_tested", "message": "Non sélectionnée : --skip."}},
        started=THIS_YEAR,
    )
    new["selection"]["skip"] = ["T-PASS-001"]
    diff = diff_runs(old, new)
    assert not diff.regressions
    assert (diff.new.selection, diff.new.unselected) == ("--skip T-PASS-001", 1)
    assert (diff.old.selection, diff.old.unselected) == ("", 0)
    html = render_rundiff_html(diff).decode("utf-8")
    assert html.count('class="warning partial-run"') == 1
    assert "le nouveau run est partiel (--skip T-PASS-001) : 1 exigence(s)" in html
    from rich.console import Console

    console = Console(width=200, record=True, color_system=None)
    console.print(rundiff_renderable(diff, "en"))
    text = console.export_text()
    assert "Warning: the new run is partial (--skip T-PASS-001): 1 requirement(s)" in text
    swapped = render_rundiff_html(diff_runs(new, old), "en").decode("utf-8")
    assert "the previous run is partial (--skip T-PASS-001)" in swapped
    whole = render_rundiff_html(diff_runs(old, old)).decode("utf-8")
    assert "partial-run" not in whole
