"""Properties of the coverage chart and of the compact tables of the run report.

The coverage chart draws, per level, the applicable requirements as a track, the decided
share as an outline from its left end and the passes then the failures inside it: the
decided share never exceeds the track and the rate is always drawn within the decided share,
whatever counts a record (possibly edited by hand) holds. In the report every requirement
is shown once: in full when it fails or errs, else in one compact row.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import html as lxml_html

from sdet_check.reporters.charts import BAR_WIDTH, coverage_chart
from sdet_check.reporters.html import HtmlReporter, rates_chart
from tests.records import synthetic, with_results
from tests.strategies import budget, clean_text, runs

counts = st.integers(min_value=-3, max_value=400)


@budget(ci=200)
@given(st.lists(st.tuples(counts, counts, counts), min_size=1, max_size=6))
def test_decided_share_fits_its_track_and_the_rate_fits_the_decided_share(
    levels: list[tuple[int, int, int]],
) -> None:
    chart = coverage_chart(
        [("Axe", [("must", "MUST", p, d, a, "") for p, d, a in levels])],
        [("conformes", "#000")],
    )
    for bar, (passed, decided, applicable) in zip(chart.groups[0].bars, levels, strict=True):
        assert 0 <= bar.passed_width <= bar.decided_width <= BAR_WIDTH
        assert bar.failed_width >= 0
        assert bar.passed_width + bar.failed_width == pytest.approx(bar.decided_width, abs=0.02)
        assert 0 <= bar.passed <= bar.decided <= bar.applicable
        if 0 <= passed <= decided <= applicable and applicable:
            # Counts that make sense are drawn exactly, to the hundredth of a unit.
            assert bar.decided_width == pytest.approx(BAR_WIDTH * decided / applicable, abs=0.01)
            assert bar.passed_width == pytest.approx(BAR_WIDTH * passed / applicable, abs=0.01)
    assert chart.height > max(b.y for b in chart.groups[0].bars)


@st.composite
def score_rows(draw: st.DrawFn) -> dict[str, Any]:
    row: dict[str, Any] = {"short": draw(st.sampled_from(["Technique", "Juridique"]))}
    for level in ("must", "should"):
        applicable = draw(st.integers(0, 120))
        decided = draw(st.integers(0, applicable))
        passed = draw(st.integers(0, decided))
        row |= {
            f"{level}_applicable": applicable,
            f"{level}_decided": decided,
            f"{level}_passed": passed,
            f"{level}_rate": 100 * passed / decided if decided else None,
            f"{level}_coverage": 100 * decided / applicable if applicable else None,
        }
    return row


@budget(ci=150)
@given(st.lists(score_rows(), min_size=1, max_size=5), st.sampled_from(["fr", "en"]))
def test_report_chart_labels_each_bar_with_its_decided_count(
    rows: list[dict[str, Any]], lang: str
) -> None:
    chart = rates_chart(rows, lang)
    for group, row in zip(chart.groups, rows, strict=True):
        for bar in group.bars:
            level = bar.series
            assert f"{row[f'{level}_decided']}/{row[f'{level}_applicable']}" in bar.text
            assert bar.passed_width <= bar.decided_width <= BAR_WIDTH
            partial = row[f"{level}_decided"] < row[f"{level}_applicable"]
            if row[f"{level}_rate"] == 100.0 and partial:
                # A perfect rate on a partial decision is never drawn as a full bar.
                assert bar.passed_width < BAR_WIDTH
            if lang == "en":
                assert "," not in bar.text and " %" not in bar.text


STATUSES = ["pass", "fail", "not_applicable", "not_tested", "error", "manual"]


@budget(ci=60)
@given(
    st.lists(st.sampled_from(STATUSES), min_size=5, max_size=5),
    st.sampled_from(["screen", "print"]),
)
def test_every_requirement_is_shown_once_in_full_or_in_one_compact_row(
    statuses: list[str], medium: str
) -> None:
    base = synthetic("demo")
    changes = {
        entry["requirement"]: {"status": status, "waived": False}
        for entry, status in zip(base["results"], statuses, strict=True)
    }
    record = with_results(base, changes, waivers=[])
    reporter = HtmlReporter()
    reporter.medium = medium
    doc = lxml_html.fromstring(reporter.html(record))
    for entry in record["results"]:
        found = doc.xpath(f"//*[@id='exigence-{entry['requirement']}']")
        assert len(found) == 1
        if entry["status"] in ("fail", "error"):
            assert found[0].tag == "article"
        else:
            assert found[0].tag == "tr"
            table = found[0].getparent().getparent().get("id")
            assert table.endswith("-passed" if entry["status"] == "pass" else "-undecided")
    # Only failures and errors bring their evidence in full.
    detailed = sum(1 for e in record["results"] if e["status"] in ("fail", "error"))
    assert len(doc.xpath("//article[contains(@class, 'requirement')]")) == detailed


@budget(ci=60)
@given(runs(clean_text(), max_extra=2))
def test_compact_rows_cover_any_run_exactly_once(record: dict[str, Any]) -> None:
    doc = lxml_html.fromstring(HtmlReporter().html(record))
    shown = [
        node.get("id")
        for node in doc.xpath(
            "//article[contains(@class, 'requirement')] | //table[contains(@class, 'compact')]"
            "/tbody/tr"
        )
    ]
    ids = {r["id"] for r in record["grid"]["requirements"]}
    expected = [e for e in record["results"] if e["requirement"] in ids]
    assert len(shown) == len(expected)
