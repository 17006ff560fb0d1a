"""The HTML documents as a person sees them: headless Chromium, console, layout, screenshots.

Screenshots are kept in each test's temporary folder; their paths are printed (run with
``-s`` to see them).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sdet_check.compare import compare_runs, load_weights
from sdet_check.griddiff import diff_grids
from sdet_check.reporters.comparison import render_comparison_html
from sdet_check.reporters.followup import render_griddiff_html, render_rundiff_html
from sdet_check.reporters.html import HtmlReporter, Signature
from sdet_check.rundiff import diff_runs

from ..records import PAYLOADS, all_pass, grid, hostile_run, synthetic, with_results
from .browser import Browser
from .conftest import Beacon

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser(width=1280, height=1000) as chromium:
        yield chromium


def show(browser: Browser, html: bytes, folder: Path, name: str) -> Path:
    path = folder / f"{name}.html"
    path.write_bytes(html)
    browser.open(path)
    return path


def shot(browser: Browser, folder: Path, name: str, **options: Any) -> Path:
    path = browser.screenshot(folder / f"{name}.png", **options)
    print(f"\nscreenshot: {path}")
    return path


def assert_clean(browser: Browser, page: Path) -> None:
    """No console error, no refused or failed request, nothing loaded but the file."""
    assert browser.problems() == []
    assert browser.requests() == [page.resolve().as_uri()]
    assert browser.evaluate("document.querySelectorAll('script,img,iframe,link').length") == 0
    width = browser.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page overflows horizontally: {width}"


def test_report_renders_cover_summary_axes_and_evidence(
    browser: Browser, full_record: dict[str, Any], tmp_path: Path
) -> None:
    html = HtmlReporter(Signature("Alice Auditrice", date(2027, 9, 30))).render(full_record)
    page = show(browser, html, tmp_path, "rapport")
    assert_clean(browser, page)
    assert browser.evaluate("document.title").startswith("Rapport d'évaluation de conformité")
    verdict = browser.evaluate("document.getElementById('overall-verdict').innerText")
    assert verdict == "NON CONFORME"
    # The verdict box is prominent: large bold text near the top of the first screen.
    box = browser.evaluate(
        "(() => { const e = document.getElementById('overall-verdict');"
        " const r = e.getBoundingClientRect(); const s = getComputedStyle(e);"
        " return [r.top, parseFloat(s.fontSize), s.fontWeight]; })()"
    )
    assert box[0] < 400 and box[1] >= 24 and int(box[2]) >= 700
    shot(browser, tmp_path, "1-couverture")
    charts = browser.evaluate(
        "[...document.querySelectorAll('figure.chart svg')]"
        ".map(s => s.getBoundingClientRect().height)"
    )
    # Three in the summary, one per axis; the per-axis ones have two bars and a legend.
    axes = len(full_record["grid"]["axes"])
    assert len(charts) == 3 + axes and all(h > 60 for h in charts)
    articles = browser.evaluate("document.querySelectorAll('article.requirement').length")
    detailed = [
        e
        for e in full_record["results"]
        if e["status"] in ("fail", "error") or e.get("waiver_state") == "expired"
    ]
    assert articles == len(detailed)
    rows = browser.evaluate("document.querySelectorAll('table.compact > tbody > tr').length")
    assert articles + rows == len(full_record["results"])
    browser.evaluate("document.getElementById('synthese').scrollIntoView()")
    shot(browser, tmp_path, "2-synthese")
    browser.evaluate("document.getElementById('axe-securite').scrollIntoView()")
    shot(browser, tmp_path, "3-axe-securite")
    # A person opens a failing requirement's evidence: the HTTP exchange is readable.
    failing = next(
        e["requirement"]
        for e in full_record["results"]
        if e["status"] == "fail" and any(p["kind"] == "http_exchange" for p in e["evidence"])
    )
    opened = browser.evaluate(
        f"(() => {{ const a = document.getElementById('exigence-{failing}');"
        " const d = a.querySelector('details.evidence'); d.open = true; a.scrollIntoView();"
        " return d.querySelector('table.headers').getBoundingClientRect().height; })()"
    )
    assert opened > 40
    text = browser.evaluate(f"document.getElementById('exigence-{failing}').innerText")
    assert "Strict-Transport-Security" in text and "Réponse" in text
    shot(browser, tmp_path, "4-preuve-ouverte")


def test_table_headers_are_not_cut_inside_a_word(
    browser: Browser, full_record: dict[str, Any], tmp_path: Path
) -> None:
    # Found by trial: at 1280 px the score table cut its first column "Fonctionne|l".
    show(browser, HtmlReporter().render(full_record), tmp_path, "entetes")
    # The demo grid's axis names are short: a narrow page squeezes the table as the
    # real grid's "Fonctionnel" was squeezed at full width.
    browser.evaluate("document.querySelector('main').style.maxWidth = '32rem'")
    # A word laid out on two lines has two client rectangles.
    cut = browser.evaluate(
        "(() => { const cut = []; const walker = document.createTreeWalker("
        " document.body, NodeFilter.SHOW_TEXT); let node;"
        " while ((node = walker.nextNode())) {"
        "  if (!node.parentElement.closest('table.scores th')) continue;"
        "  for (const m of node.textContent.matchAll(/\\S+/g)) {"
        "   const range = document.createRange();"
        "   range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);"
        "   if (range.getClientRects().length > 1) cut.push(m[0]); } }"
        " return cut; })()"
    )
    assert cut == []


def test_english_report_in_the_browser(
    browser: Browser, full_record: dict[str, Any], tmp_path: Path
) -> None:
    page = show(browser, HtmlReporter().render(full_record, "en"), tmp_path, "report")
    assert_clean(browser, page)
    assert browser.evaluate("document.documentElement.lang") == "en"
    headings = browser.evaluate("[...document.querySelectorAll('h2')].map(h => h.innerText)")
    assert headings[:2] == ["Contents", "Summary"]


def test_hostile_record_injects_nothing_in_the_browser(
    browser: Browser, beacon: Beacon, tmp_path: Path
) -> None:
    page = show(browser, HtmlReporter().render(hostile_run(beacon.url)), tmp_path, "hostile")
    assert_clean(browser, page)
    assert beacon.hits == []
    injected = browser.evaluate(
        "[...document.querySelectorAll('*')].filter(e => [...e.attributes]"
        ".some(a => a.name.startsWith('on'))).length"
    )
    assert injected == 0
    text = browser.evaluate("document.body.innerText")
    assert PAYLOADS["script"] in text and PAYLOADS["attribute"] in text
    shot(browser, tmp_path, "hostile")


def test_comparison_renders_ranking_gates_and_differences(browser: Browser, tmp_path: Path) -> None:
    base = synthetic("sdet/6.4", seed=11, name="ENT Alpha", undecided_share=0.0)
    alpha = all_pass(base)
    beta = with_results(
        synthetic("sdet/6.4", seed=12, name="ENT Bêta", undecided_share=0.0),
        {"SEC-TLS-001": {"status": "fail", "waived": False}},
    )
    gamma = with_results(all_pass(synthetic("sdet/6.4", seed=13, name="ENT Gamma")),
                         {"SEC-HDR-001": {"status": "fail"}})  # fmt: skip
    weights_file = tmp_path / "poids.yaml"
    weights_file.write_text("format: 1\ntitle: Marché 2027\nrequirements: {SEC-HDR-001: 5}\n")
    requirements = alpha["grid"]["requirements"]
    comparison = compare_runs([alpha, beta, gamma], load_weights(weights_file, requirements))
    page = show(browser, render_comparison_html(comparison), tmp_path, "comparaison")
    assert_clean(browser, page)
    ranking = browser.evaluate(
        "[...document.querySelectorAll('#table-ranking tbody > tr:first-child')]"
        ".map(r => r.querySelector('th').innerText.split('\\n')[0])"
    )
    assert ranking == ["ENT Alpha", "ENT Gamma", "ENT Bêta"]
    eliminated = browser.evaluate(
        "document.querySelector('#table-ranking tbody:last-of-type').innerText"
    )
    assert "éliminée" in eliminated and "SEC-TLS-001" in eliminated
    differing = browser.evaluate("document.querySelectorAll('tr.differs').length")
    assert differing == len(comparison.differing()) > 0
    marker = browser.evaluate(
        "getComputedStyle(document.querySelector('tr.differs th'), '::before').content"
    )
    assert "≠" in marker  # differences are marked, not only tinted
    shot(browser, tmp_path, "comparaison")
    browser.evaluate("document.getElementById('matrice-must').scrollIntoView()")
    shot(browser, tmp_path, "comparaison-matrice")


def test_followup_and_grid_change_reports_render(browser: Browser, tmp_path: Path) -> None:
    old = all_pass(synthetic("sdet/6.2", seed=21, name="ENT Alpha"))
    new = with_results(all_pass(synthetic("sdet/6.4", seed=22, name="ENT Alpha")),
                       {"SEC-TLS-002": {"status": "fail"}})  # fmt: skip
    page = show(browser, render_rundiff_html(diff_runs(old, new)), tmp_path, "suivi")
    assert_clean(browser, page)
    regressions = browser.evaluate("document.getElementById('count-regressions').innerText")
    assert regressions.split()[-1] == "1"
    assert "SEC-TLS-002" in browser.evaluate(
        "document.getElementById('regressions').nextElementSibling.nextElementSibling.innerText"
    )
    shot(browser, tmp_path, "suivi")
    html = render_griddiff_html(
        diff_grids(grid("sdet/6.2"), grid("sdet/6.4")), grid("sdet/6.2"), grid("sdet/6.4")
    )
    page = show(browser, html, tmp_path, "grille")
    assert_clean(browser, page)
    added = browser.evaluate("document.querySelectorAll('#table-added tbody tr').length")
    assert added == len({r.id for r in grid("sdet/6.4").requirements}
                        - {r.id for r in grid("sdet/6.2").requirements})  # fmt: skip
    shot(browser, tmp_path, "grille")
