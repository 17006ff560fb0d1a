"""The HTML certification report: content, self-containment, escaping, accessibility, golden."""

from __future__ import annotations

import itertools
import os
import re
from collections import Counter
from datetime import date
from typing import Any

import pytest
from lxml import html as lxml_html

from sdet_check.reporters import reporter_for
from sdet_check.reporters.charts import STATUS_FILL
from sdet_check.reporters.html import HtmlReporter, Signature
from sdet_check.resources import templates_dir
from sdet_check.run import run_hash

from ..records import PAYLOADS, all_pass, hostile_run, synthetic, with_results
from .conftest import Beacon, check_golden, structure

UPDATE = bool(os.environ.get("SDET_CHECK_UPDATE_GOLDEN"))


def render(record: dict[str, Any], lang: str = "fr", **signature: Any) -> str:
    return HtmlReporter(Signature(**signature)).render(record, lang).decode("utf-8")


def tree(text: str) -> Any:
    return lxml_html.fromstring(text)


def test_cover_names_target_grid_hash_dates_tool_auditor_and_verdict(
    full_record: dict[str, Any],
) -> None:
    page = render(full_record, auditor="Alice Auditrice", valid_until=date(2027, 9, 30))
    doc = tree(page)
    cover = doc.xpath("//section[contains(@class, 'cover')]")[0].text_content()
    grid = full_record["grid"]
    assert "ENT Collèges de l'Exemple" in cover
    assert f"{grid['id']}/{grid['version']}" in cover and grid["content_hash"] in cover
    assert "1er octobre 2026" in cover  # started_at, written as a reader does
    assert f"sdet-check {full_record['tool']['version']}" in cover
    assert doc.get_element_by_id("cover-auditor").text_content() == "Alice Auditrice"
    # A non-conforming report attests nothing: no validity period, whatever was asked.
    assert doc.get_element_by_id("cover-validity").text_content() == (
        "aucune : un rapport « non conforme » n'atteste pas la conformité"
    )
    assert "30 septembre 2027" not in cover
    assert doc.get_element_by_id("run-hash").text_content() == run_hash(full_record)
    verdict = full_record["score"]["overall"]["verdict"]
    assert verdict == "non_conforme"
    assert doc.get_element_by_id("overall-verdict").text_content() == "NON CONFORME"


def test_without_signature_the_cover_says_not_given(full_record: dict[str, Any]) -> None:
    doc = tree(render(all_pass(full_record)))
    assert doc.get_element_by_id("cover-auditor").text_content() == "non précisé"
    assert doc.get_element_by_id("cover-validity").text_content() == "non précisé"


def test_cover_says_when_writes_to_the_target_were_allowed(full_record: dict[str, Any]) -> None:
    # Found by trial: the README promised « écritures autorisées » on the demo's cover, but
    # only the appendix said so.
    record = dict(full_record, allow_writes=True)
    cover = tree(render(record)).get_element_by_id("cover-writes")
    assert "AUTORISÉES (--allow-writes)" in cover.text_content()
    english = tree(render(record, "en")).get_element_by_id("cover-writes")
    assert "ALLOWED (--allow-writes)" in english.text_content()
    quiet = tree(render(dict(full_record, allow_writes=False)))
    assert not quiet.xpath("//*[@id='cover-writes']")


def test_validity_period_only_on_an_attesting_verdict(full_record: dict[str, Any]) -> None:
    conforming = all_pass(full_record)
    assert conforming["score"]["overall"]["verdict"] == "conforme"
    doc = tree(render(conforming, auditor="Alice Auditrice", valid_until=date(2027, 9, 30)))
    assert doc.get_element_by_id("cover-validity").text_content() == (
        "du 1er octobre 2026 au 30 septembre 2027"
    )
    english = tree(render(full_record, "en", valid_until=date(2027, 9, 30)))
    assert english.get_element_by_id("cover-validity").text_content() == (
        "none: a “not compliant” report does not attest conformity"
    )


def test_every_requirement_has_its_row_or_its_detail(full_record: dict[str, Any]) -> None:
    doc = tree(render(full_record))
    results = {e["requirement"]: e for e in full_record["results"]}
    articles = doc.xpath("//article[contains(@class, 'requirement')]")
    rows = doc.xpath("//table[contains(@class, 'compact')]/tbody/tr")
    # Failures and errors (and expired waivers) in full; everything else in one row.
    detailed = {
        r
        for r, e in results.items()
        if e["status"] in ("fail", "error") or e.get("waiver_state") == "expired"
    }
    assert {a.get("id") for a in articles} == {f"exigence-{r}" for r in detailed}
    assert {row.get("id") for row in rows} == {f"exigence-{r}" for r in set(results) - detailed}
    for row in rows:
        badge = row.xpath("./td[contains(@class, 'status')]/span[contains(@class, 'badge')]")
        requirement = row.get("id").removeprefix("exigence-")
        if results[requirement]["status"] == "pass":
            assert not badge  # the passes table says who decided instead
        else:
            assert badge[0].text_content().strip() in {"NA", "NT", "manuel"}
    # The findings table links to the full sections.
    for target in doc.xpath("//table[@id='table-findings']//a/@href"):
        assert doc.get_element_by_id(target.lstrip("#")).tag == "article"


def test_statuses_waivers_declarations_and_reviews_are_shown(full_record: dict[str, Any]) -> None:
    doc = tree(render(full_record))
    results = {e["requirement"]: e for e in full_record["results"]}

    def article(requirement_id: str) -> Any:
        return doc.get_element_by_id(f"exigence-{requirement_id}")

    waived = next(r for r, e in results.items() if e.get("waived"))
    assert "NC*" in article(waived).xpath(".//span[contains(@class,'badge')]")[0].text_content()
    expired = next(r for r, e in results.items() if e.get("waiver_state") == "expired")
    text = article(expired).text_content()
    assert "EXPIRÉE" in text and "la réserve ne couvre plus cette exigence" in text
    # Waivers carry their justification and expiry.
    waiver = next(w for w in full_record["waivers"] if w["requirement"] == waived)
    assert waiver["justification"] in article(waived).text_content()
    # Declarations list their documents with the sha256 and the result of the hash check.
    declaration = next(d for d in full_record["declarations"] if d["documents"])
    section = article(declaration["requirement"]).text_content()
    document = declaration["documents"][0]
    assert document["sha256"] in section
    check = {
        "ok": "empreinte vérifiée",
        "mismatch": "empreinte différente",
        "missing": "document introuvable",
    }[document["check"]]
    assert check in section
    review = full_record["reviews"][0]
    assert review["comment"] in article(review["requirement"]).text_content()
    # Source, original wording and level basis.
    requirement = next(r for r in full_record["grid"]["requirements"] if r["source"].get("wording"))
    detail = article(requirement["id"]).text_content()
    assert requirement["source"]["wording"] in detail
    assert requirement["statement"]["fr"] in detail
    assert ("niveau déduit" in detail) == (requirement["level_basis"] == "inferred")


def test_evidence_is_collapsed_readable_and_pinned_by_its_hash(
    full_record: dict[str, Any],
) -> None:
    doc = tree(render(full_record))
    details = doc.xpath("//details[contains(@class, 'evidence')]")
    assert len(details) == len(full_record["evidence_manifest"])
    assert all(d.get("open") is None for d in details)  # collapsed by default
    exchange = next(d for d in details if "http_exchange" in d.xpath("./summary")[0].text_content())
    body = exchange.text_content()
    assert "Strict-Transport-Security" in body and "max-age=63072000" in body
    assert exchange.xpath(".//table[contains(@class, 'headers')]//th[@scope='row']")
    assert exchange.xpath(".//pre")  # body excerpt
    manifest = doc.get_element_by_id("table-evidence-manifest")
    hashes = {cell.text_content() for cell in manifest.xpath(".//td[contains(@class, 'mono')]")}
    assert hashes == {entry["sha256"] for entry in full_record["evidence_manifest"]}


def test_summary_has_axis_verdicts_rates_notes_counts_and_charts(
    full_record: dict[str, Any],
) -> None:
    doc = tree(render(full_record))
    scores = doc.get_element_by_id("table-scores")
    rows = scores.xpath("./tbody/tr")
    assert len(rows) == len(full_record["grid"]["axes"]) + 1
    overall = full_record["score"]["overall"]
    last = rows[-1].text_content()
    assert "Ensemble" in last and "non conforme" in last
    rate = f"{overall['must']['rate']:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    assert rate + " %" in last
    counts = doc.get_element_by_id("table-counts").xpath("./tbody/tr")[-1]
    cells = [c.text_content() for c in counts.xpath("./td")]
    total = {s: sum(1 for e in full_record["results"] if e["status"] == s) for s in STATUS_FILL}
    assert cells[:6] == [str(total[s]) for s in STATUS_FILL]
    svgs = doc.xpath("//figure[contains(@class, 'chart')]/*[local-name()='svg']")
    assert len(svgs) == 3 + len(full_record["grid"]["axes"])  # and one per axis page
    assert all(svg.get("role") == "img" and svg.get("aria-labelledby") for svg in svgs)
    note_theorique = doc.xpath("//th[contains(., 'Note théorique')]")
    note_pratique = doc.xpath("//th[contains(., 'Note pratique')]")
    assert note_theorique and note_pratique


def test_appendix_has_run_parameters_grid_manifest_and_inputs(full_record: dict[str, Any]) -> None:
    doc = tree(render(full_record))
    appendix = doc.xpath("//section[contains(@class, 'appendix')]")[0].text_content()
    assert full_record["grid"]["content_hash"] in appendix
    assert full_record["inputs"]["waivers"]["sha256"] in appendix
    assert "lecture seule" in appendix
    assert str(len(full_record["grid"]["requirements"])) in appendix


def test_english_report(full_record: dict[str, Any]) -> None:
    page = render(full_record, "en")
    doc = tree(page)
    assert doc.get("lang") == "en"
    headings = [h.text_content() for h in doc.xpath("//h2")]
    assert headings[:2] == ["Contents", "Summary"] and headings[-1] == "Appendix"
    assert doc.get_element_by_id("overall-verdict").text_content() == "NOT COMPLIANT"
    assert "Énoncé" not in page


def test_report_is_self_contained_with_no_script_font_or_network(
    full_record: dict[str, Any],
) -> None:
    page = render(full_record)
    doc = tree(page)
    assert not doc.xpath("//script | //img | //link | //iframe | //object | //embed")
    assert "@font-face" not in page and "@import" not in page
    assert not re.search(r"url\((?!#)", page)  # only in-document SVG pattern references
    assert "Content-Security-Policy" in page
    links = doc.xpath("//a/@href")
    assert links and all(h.startswith(("#", "https://", "http://")) for h in links)


def test_hostile_target_data_is_shown_as_text_never_as_markup(beacon: Beacon) -> None:
    record = hostile_run(beacon.url)
    page = render(record)
    doc = tree(page)
    assert not doc.xpath("//script | //img | //link | //iframe | //svg[@onload]")
    assert not [a for el in doc.iter() for a in el.attrib if a.lower().startswith("on")]
    assert not doc.xpath("//a[starts-with(@href, 'javascript')]")
    text = doc.text_content()
    for payload in PAYLOADS.values():
        assert payload in text, payload  # visible, verbatim
    assert "{{ 7*7 }}" in text  # shown, not evaluated by the template engine
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in page
    # The javascript: source URL is shown, not linked.
    first = record["grid"]["requirements"][0]["id"]
    source = doc.get_element_by_id(f"exigence-{first}")
    assert "javascript:alert(4)" not in "".join(source.xpath(".//a/@href"))
    assert beacon.hits == []


def test_accessibility_lang_headings_table_headers(full_record: dict[str, Any]) -> None:
    for lang in ("fr", "en"):
        assert_accessible(render(full_record, lang), lang)


def assert_accessible(page: str, lang: str) -> None:
    doc = tree(page)
    assert doc.get("lang") == lang
    levels = [int(h.tag[1]) for h in doc.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    assert levels[0] == 1 and levels.count(1) == 1
    for previous, current in itertools.pairwise(levels):
        assert current <= previous + 1, f"heading jumps from h{previous} to h{current}"
    for table in doc.iter("table"):
        headers = table.xpath(".//th")
        assert headers, "a table without header cells"
        assert all(th.get("scope") in {"col", "row", "colgroup", "rowgroup"} for th in headers)
    badges = doc.xpath("//span[contains(@class, 'badge')]")
    assert badges and all(b.text_content().strip() for b in badges)  # never colour alone
    ids = [el.get("id") for el in doc.iter() if el.get("id")]
    assert len(ids) == len(set(ids)), "duplicate ids"


def _luminance(colour: str) -> float:
    hexa = colour.lstrip("#")
    if len(hexa) == 3:
        hexa = "".join(c * 2 for c in hexa)
    channels = [int(hexa[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_function_matches_known_ratios() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_status_badges_and_text_colours_have_enough_contrast() -> None:
    css = (templates_dir() / "report.css").read_text(encoding="utf-8")
    badges = re.findall(
        r"\.badge-(\w+)\s*\{\s*color:\s*(#[0-9a-f]{3,6});\s*background-color:\s*(#[0-9a-f]{3,6});",
        css,
    )
    assert {name for name, _, _ in badges} >= {*STATUS_FILL, "waived"}
    for name, ink, paper in badges:
        assert contrast(ink, paper) >= 4.5, f"badge-{name}: {contrast(ink, paper):.2f}"
    # Every text colour of the stylesheet stays readable on every background it uses.
    inks = set(re.findall(r"(?<![-\w])color:\s*(#[0-9a-f]{3,6})", css))
    papers = set(re.findall(r"background(?:-color)?:\s*(#[0-9a-f]{3,6})", css)) | {"#ffffff"}
    assert len(inks) > 5 and len(papers) > 5
    for ink in inks:
        for paper in papers:
            assert contrast(ink, paper) >= 4.5, f"{ink} on {paper}: {contrast(ink, paper):.2f}"
    # White count labels drawn on chart segments.
    for status, fill in STATUS_FILL.items():
        assert contrast("#ffffff", fill) >= 4.5, status


def test_golden_structure_of_the_demo_run_report() -> None:
    record = with_results(
        synthetic("demo", seed=3),
        {
            "T-PASS-001": {"status": "pass"},
            "T-FAIL-001": {"status": "fail", "waived": True, "waiver_state": "valid"},
            "T-SECRET-001": {"status": "error"},
            "J-DECL-001": {"status": "manual"},
            "J-1D-001": {"status": "not_applicable"},
        },
        waivers=[
            {
                "requirement": "T-FAIL-001",
                "justification": "Correctif en recette.",
                "author": "RSSI",
                "expires": "2027-03-31",
                "state": "valid",
            }
        ],
    )
    for lang in ("fr", "en"):
        check_golden(f"report-demo-{lang}.txt", structure(render(record, lang)), UPDATE)


def test_reporter_registry_knows_html_and_pdf() -> None:
    assert reporter_for("html").filename == "rapport.html"
    assert reporter_for("pdf").filename == "rapport.pdf"
    signed = reporter_for("html", Signature(auditor="A"))
    assert isinstance(signed, HtmlReporter) and signed.signature.auditor == "A"


def test_source_labels_name_the_family_and_the_sdet_date_is_the_versions(
    full_record: dict[str, Any],
) -> None:
    # Every requirement failing: the report gives each one in full, with its source line.
    failing = {entry["requirement"]: {"status": "fail"} for entry in full_record["results"]}
    full_record = with_results(full_record, failing)
    page = render(full_record)
    labels = Counter(
        span.text_content()
        for span in tree(page).xpath("//p[@class='fact']/span[@class='fact-label']")
        if span.text_content().startswith("Source")
    )
    assert labels["Source OASIS :"] and labels["Source Apereo CAS :"] and labels["Source RFC :"]
    assert labels["Source arrêté :"] and labels["Source SDET 6.4 :"]
    assert labels["Source SDET 6.3 (version du SDET autre que celle de la grille, 6.4) :"]
    assert "septembre 2024" in page and "22 novembre 2026" not in page
    english = render(full_record, "en")
    assert "OASIS source" in english and "September 2024" in english
    assert "SDET 6.3 source (another SDET version than the grid&#39;s, 6.4)" in english
    assert "OASIS source:" in english and "OASIS source :" not in english
