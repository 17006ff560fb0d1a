"""What a reader sees first: coverage beside the verdict, the fixes, no Python value, English.

The run report shows what was decided (the cover and every axis chart), says how to fix
each failure when the grid knows, keeps passes and undecided items in compact tables and
prints no Python value (``None``, ``True``, ``False``) whatever the record holds. These
render HTML and are fast; the PDF checks (pages, tags, metadata, the attached run) are
marked slow.
"""

from __future__ import annotations

import copy
import re
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from sdet_check.api import open_grid
from sdet_check.griddiff import diff_grids
from sdet_check.reporters.document import localized_percent
from sdet_check.reporters.followup import render_griddiff_html, render_rundiff_html
from sdet_check.reporters.html import HtmlReporter, Signature
from sdet_check.reporters.pdf import PdfReporter
from sdet_check.rundiff import diff_runs

from ..documents import need, pdf_pages, pdf_streams, pdf_text
from ..records import all_pass, hostile_run, synthetic, with_results

PYTHON_VALUE = re.compile(r"\b(None|True|False)\b")
FIX = {
    "fr": "Activer l'en-tête sur le frontal et redéployer.",
    "en": "Turn the header on at the front end and redeploy.",
}


def render(record: dict[str, Any], lang: str = "fr", **signature: Any) -> Any:
    page = HtmlReporter(Signature(**signature)).render(record, lang).decode("utf-8")
    return lxml_html.fromstring(page)


def visible_text(doc: Any) -> str:
    """What a reader can see: the text of the body, SVG labels included, no CSS."""
    for style in doc.xpath("//style"):
        style.drop_tree()
    return " ".join(doc.body.text_content().split())


def with_remediation(record: dict[str, Any], *ids: str, en: bool = True) -> dict[str, Any]:
    """``record`` whose grid gives a remediation text to the requirements ``ids`` only.

    Texts the bundled grid may already carry are removed first, so the test decides which
    requirement has one.
    """
    edited = copy.deepcopy(record)
    for requirement in edited["grid"]["requirements"]:
        requirement.pop("remediation", None)
        if requirement["id"] in ids:
            requirement["remediation"] = dict(FIX) if en else {"fr": FIX["fr"]}
    return edited


def must_counts(record: dict[str, Any]) -> tuple[int, int, float]:
    must = record["score"]["overall"]["must"]
    return must["decided"], must["applicable"], must["coverage"]


# --- coverage ---------------------------------------------------------------------------


def test_cover_states_the_decided_share_of_must_next_to_the_verdict(
    full_record: dict[str, Any],
) -> None:
    decided, applicable, share = must_counts(full_record)
    assert decided < applicable  # the synthetic run leaves some MUST undecided
    doc = render(full_record)
    box = doc.xpath("//div[contains(@class, 'verdict-box')]")[0]
    line = box.xpath(".//p[contains(@class, 'verdict-text')]")[0]
    headline = " ".join(line.text_content().split())
    assert headline == (
        f"NON CONFORME — {decided} MUST décidées sur {applicable} ({localized_percent(share)})"
    )
    assert "SHOULD décidées sur" in box.text_content()
    english = render(full_record, "en").get_element_by_id("cover-coverage").text_content()
    assert english == (
        f" — {decided} MUST decided out of {applicable} ({localized_percent(share, 'en')})"
    )
    assert "," not in localized_percent(share, "en") and " %" not in english


def test_every_axis_chart_draws_the_decided_share(full_record: dict[str, Any]) -> None:
    doc = render(full_record)
    scores = {entry["axis"]: entry for entry in full_record["score"]["axes"]}
    for axis in full_record["grid"]["axes"]:
        caption = f"chart-axe-{axis['id']}-caption"
        svg = doc.xpath(f"//figure[.//*[@id='{caption}']]//*[local-name()='svg']")
        assert svg, axis["id"]
        must = scores[axis["id"]]["must"]
        decided = svg[0].xpath(".//*[local-name()='rect'][@class='bar-decided']")
        passed = svg[0].xpath(".//*[local-name()='rect'][@class='bar-passed']")
        if must["decided"]:
            width = float(decided[0].get("width"))
            # 280 is the track: the applicable MUST; the outline is the decided share.
            assert width == pytest.approx(280 * must["decided"] / must["applicable"], abs=0.02)
            assert float(passed[0].get("width")) <= width if passed else must["counts"]["pass"] == 0
        labels = " ".join(t.text_content() for t in svg[0].xpath(".//*[local-name()='text']"))
        assert f"{must['decided']}/{must['applicable']} décidées" in labels


def test_partly_decided_axis_is_not_drawn_full() -> None:
    # Every decided MUST passes (rate 100 %) but only one in three is decided.
    base = synthetic("sdet/6.4", seed=5)
    musts = [
        r["id"]
        for r in base["grid"]["requirements"]
        if r["axis"] == "juridique" and r["level"] == "MUST"
    ]
    changes = {
        rid: {"status": "pass" if n % 3 == 0 else "manual", "waived": False}
        for n, rid in enumerate(musts)
    }
    record = with_results(base, changes)
    legal = next(a for a in record["score"]["axes"] if a["axis"] == "juridique")["must"]
    assert legal["rate"] == 100.0 and legal["coverage"] < 40
    svg = render(record).xpath(
        "//figure[.//*[@id='chart-axe-juridique-caption']]//*[local-name()='svg']"
    )[0]
    decided = float(svg.xpath(".//*[local-name()='rect'][@class='bar-decided']")[0].get("width"))
    passed = float(svg.xpath(".//*[local-name()='rect'][@class='bar-passed']")[0].get("width"))
    assert decided == passed < 0.4 * 280


# --- validity, Python values ------------------------------------------------------------


def test_no_validity_period_unless_the_verdict_attests_conformity(
    full_record: dict[str, Any],
) -> None:
    asked = {"auditor": "Alice Auditrice", "valid_until": date(2027, 9, 30)}
    refused = render(full_record, **asked).get_element_by_id("cover-validity").text_content()
    assert "aucune" in refused and "2027" not in refused
    granted = render(all_pass(full_record), **asked).get_element_by_id("cover-validity")
    assert granted.text_content() == "du 1er octobre 2026 au 30 septembre 2027"


def _varied_records(full_record: dict[str, Any]) -> list[dict[str, Any]]:
    """Records that exercise optional and empty fields, every status and both verdict kinds."""
    demo = synthetic("demo")
    blank = with_results(demo, {r["requirement"]: {"message": ""} for r in demo["results"]})
    for entry in blank["results"]:
        entry["message"] = None  # an edited file may hold null where text was
        entry.pop("duration_ms", None)
    for declaration in blank["declarations"]:
        declaration["author"] = None
        declaration["statement"] = None
    blank["target"]["description"] = None
    bare = copy.deepcopy(full_record)
    bare["target"].pop("portal", None)
    for waiver in bare["waivers"]:
        waiver["approved_by"] = None
        waiver["granted"] = None
    return [
        full_record,
        all_pass(full_record),
        synthetic("sdet/6.4", seed=7, pass_share=0.3, undecided_share=0.6),
        blank,
        bare,
        hostile_run("http://127.0.0.1:9/"),
    ]


def test_no_python_value_leaks_into_any_report(full_record: dict[str, Any]) -> None:
    for record in _varied_records(full_record):
        for lang in ("fr", "en"):
            for signature in ({}, {"auditor": "Alice", "valid_until": date(2027, 9, 30)}):
                text = visible_text(render(record, lang, **signature))
                leak = PYTHON_VALUE.search(text)
                assert leak is None, (lang, text[max(leak.start() - 80, 0) : leak.end() + 40])


# --- how to fix ---------------------------------------------------------------------------


def test_failing_requirements_say_how_to_fix_when_the_grid_knows(
    full_record: dict[str, Any],
) -> None:
    results = {e["requirement"]: e for e in full_record["results"]}
    failing = [r for r, e in results.items() if e["status"] == "fail"][:2]
    passing = next(r for r, e in results.items() if e["status"] == "pass")
    without = next(r for r, e in results.items() if e["status"] == "fail" and r not in failing)
    record = with_remediation(full_record, *failing, passing)
    for lang, title in (("fr", "Comment corriger"), ("en", "How to fix")):
        doc = render(record, lang)
        for requirement in failing:
            block = doc.get_element_by_id(f"exigence-{requirement}-fix")
            assert title in block.text_content() and FIX[lang] in block.text_content()
        # A pass needs no fix; a failure whose grid has no text shows no empty block.
        assert not doc.xpath(f"//*[@id='exigence-{passing}-fix']")
        assert not doc.xpath(f"//*[@id='exigence-{without}-fix']")
        assert FIX[lang] not in doc.get_element_by_id(f"exigence-{passing}").text_content()
    # French only in the grid: the English report shows no French fix and no empty block.
    french_only = with_remediation(full_record, failing[0], en=False)
    english = render(french_only, "en")
    assert not english.xpath(f"//*[@id='exigence-{failing[0]}-fix']")
    assert FIX["fr"] not in visible_text(english)


# --- compact tables -----------------------------------------------------------------------


def test_passes_and_undecided_items_sit_in_compact_tables(full_record: dict[str, Any]) -> None:
    doc = render(full_record)
    text = visible_text(doc)
    assert "Aucune preuve enregistrée" not in text
    for entry in full_record["results"]:
        node = doc.get_element_by_id(f"exigence-{entry['requirement']}")
        if entry["status"] in ("fail", "error") or entry.get("waiver_state") == "expired":
            assert node.tag == "article"
        else:
            assert node.tag == "tr"
            table = node.getparent().getparent()
            kind = "passed" if entry["status"] == "pass" else "undecided"
            assert table.get("id").endswith(f"-{kind}"), entry["requirement"]


# --- English ------------------------------------------------------------------------------

_TEMPLATE_TEXT = (
    "//h2 | //h3 | //caption | //figcaption | //thead//th | //table[@id='cover-facts']//th"
    " | //span[contains(@class, 'fact-label')] | //p[contains(@class, 'axis-summary')]"
    " | //td[@id='cover-validity'] | //div[contains(@class, 'verdict-box')]"
    " | //*[local-name()='svg']//*[local-name()='text'] | //nav | //ul[contains(@class, 'legend')]"
)


def test_english_report_has_english_labels_and_english_typography(
    full_record: dict[str, Any],
) -> None:
    doc = render(full_record, "en", valid_until=date(2027, 9, 30))
    labels = [" ".join(node.text_content().split()) for node in doc.xpath(_TEMPLATE_TEXT)]
    assert len(labels) > 100
    for label in labels:
        assert not re.search(r"\s[:;!?]|\s%", label), label
        assert not re.search(r"[éèêàçù]", label, re.IGNORECASE), label
    french = render(full_record, "fr")
    facts = [n.text_content() for n in french.xpath("//span[contains(@class, 'fact-label')]")]
    assert facts and all(f.endswith(" :") for f in facts)


# --- PDF ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_demo_sized_pdf_is_short_tagged_and_carries_its_metadata(tmp_path: Path) -> None:
    record = synthetic(
        "sdet/6.4", seed=3, name="ENT de démonstration", pass_share=0.93, undecided_share=0.7
    )
    failing = [e["requirement"] for e in record["results"] if e["status"] == "fail"]
    record = with_remediation(record, *failing)
    path = tmp_path / "rapport.pdf"
    path.write_bytes(PdfReporter(Signature("Alice Auditrice")).render(record))
    pages = pdf_pages(path)
    assert pages < 25
    info = subprocess.run(
        [need("pdfinfo"), str(path)], capture_output=True, text=True, check=True
    ).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    assert fields["Tagged"] == "yes"
    assert fields["Author"].startswith("sdet-check ") and "Alice Auditrice" in fields["Author"]
    assert "ENT de démonstration" in fields["Subject"] and "non conforme" in fields["Subject"]
    assert "SDET" in fields["Keywords"] and "sdet/6.4" in fields["Keywords"]
    assert fields["Title"].startswith("Rapport d'évaluation de conformité")
    streams = pdf_streams(path.read_bytes())
    assert b"/AFRelationship /Source" in streams
    assert b"/Lang (fr)" in streams
    text = pdf_text(path)
    assert "Comment corriger" in text
    decided, applicable, _ = must_counts(record)
    assert f"{decided} MUST décidées sur {applicable}" in pdf_text(path, 1, 1)
    # No hash appendix: the manifest is in the attached run.
    assert "joint à ce PDF (champ evidence_manifest)" in text
    manifest = record["evidence_manifest"]
    assert not any(entry["sha256"] in text for entry in manifest[:20])
    assert PYTHON_VALUE.search(text) is None


def test_a_changed_proof_document_shows_on_its_compact_row(full_record: dict[str, Any]) -> None:
    results = {e["requirement"]: e for e in full_record["results"]}
    declaration = next(
        d
        for d in full_record["declarations"]
        if d["documents"] and results[d["requirement"]]["status"] not in ("fail", "error")
    )
    record = copy.deepcopy(full_record)
    edited = next(
        d for d in record["declarations"] if d["requirement"] == declaration["requirement"]
    )
    edited["documents"][0]["check"] = "mismatch"
    reporter = HtmlReporter()
    reporter.medium = "print"  # the PDF's layout: rows without their details
    doc = lxml_html.fromstring(reporter.html(record))
    row = doc.get_element_by_id(f"exigence-{declaration['requirement']}")
    assert row.tag == "tr" and not row.xpath(".//details")
    assert (
        "empreinte différente" in row.xpath(".//span[contains(@class, 'flag')]")[0].text_content()
    )


def test_runner_waiting_messages_read_in_the_report_language() -> None:
    base = synthetic("demo")
    waiting = base["results"][0]["requirement"]
    record = with_results(
        base,
        {waiting: {"status": "manual", "message": "En attente de la revue de l'auditeur."}},
    )
    english = visible_text(render(record, "en"))
    assert "Waiting for the auditor's review." in english
    assert "En attente" not in english
    assert "En attente de la revue de l'auditeur." in visible_text(render(record, "fr"))


def test_no_python_value_leaks_into_the_followup_and_grid_change_reports(
    full_record: dict[str, Any],
) -> None:
    records = _varied_records(full_record)
    old, new = open_grid("sdet/6.2"), open_grid("sdet/6.4")
    for lang in ("fr", "en"):
        pages = [
            render_rundiff_html(diff_runs(records[0], records[2]), lang),
            render_rundiff_html(diff_runs(records[3], records[3]), lang),
            render_griddiff_html(diff_grids(old, new), old, new, lang),
        ]
        for page in pages:
            text = visible_text(lxml_html.fromstring(page.decode("utf-8")))
            leak = PYTHON_VALUE.search(text)
            assert leak is None, (lang, text[max(leak.start() - 80, 0) : leak.end() + 40])
