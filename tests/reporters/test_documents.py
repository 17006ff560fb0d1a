"""The comparison, follow-up and grid change documents: accessibility, golden, PDF."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sdet_check.compare import Weights, compare_runs
from sdet_check.griddiff import diff_grids
from sdet_check.reporters.comparison import (
    attachment_name,
    render_comparison_html,
    render_comparison_pdf,
)
from sdet_check.reporters.followup import render_griddiff_html, render_rundiff_html
from sdet_check.run import run_hash
from sdet_check.rundiff import diff_runs

from ..documents import need, pdf_pages, pdf_streams, pdf_text
from ..records import PAYLOADS, all_pass, grid, hostile_run, synthetic, with_results
from .conftest import Beacon, check_golden, structure
from .test_html_report import assert_accessible, tree

UPDATE = bool(os.environ.get("SDET_CHECK_UPDATE_GOLDEN"))


def tender() -> list[dict[str, Any]]:
    alpha = all_pass(synthetic("demo", name="ENT Alpha"))
    beta = with_results(alpha, {"T-PASS-001": {"status": "fail"}})
    beta["target"]["name"] = "ENT Bêta"
    beta["run_id"] = "00000000-0000-4000-8000-000000000002"
    gamma = with_results(
        alpha, {"J-1D-001": {"status": "manual"}, "J-DECL-001": {"status": "error"}}
    )
    gamma["target"]["name"] = "ENT Gamma"
    gamma["run_id"] = "00000000-0000-4000-8000-000000000003"
    return [alpha, beta, gamma]


def documents(lang: str) -> dict[str, str]:
    old = all_pass(synthetic("demo"))
    new = with_results(old, {"T-PASS-001": {"status": "fail"}})
    return {
        "comparison": render_comparison_html(
            compare_runs(tender(), Weights(tags={"beta": 2.0})), lang
        ).decode("utf-8"),
        "rundiff": render_rundiff_html(diff_runs(old, new), lang).decode("utf-8"),
        "griddiff": render_griddiff_html(
            diff_grids(grid("sdet/6.2"), grid("sdet/6.4")), grid("sdet/6.2"), grid("sdet/6.4"), lang
        ).decode("utf-8"),
    }


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_document_is_accessible_and_self_contained(lang: str) -> None:
    for name, page in documents(lang).items():
        assert_accessible(page, lang) if name != "griddiff" else assert_headings_only(page, lang)
        doc = tree(page)
        assert not doc.xpath("//script | //img | //link | //iframe"), name
        assert "Content-Security-Policy" in page


def assert_headings_only(page: str, lang: str) -> None:
    """The grid change report shows no status, so no badge: check the rest."""
    doc = tree(page)
    assert doc.get("lang") == lang
    levels = [int(h.tag[1]) for h in doc.iter("h1", "h2", "h3", "h4")]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in itertools.pairwise(levels))
    assert all(th.get("scope") for th in doc.iter("th"))


def test_golden_structure_of_the_comparison() -> None:
    page = render_comparison_html(compare_runs(tender(), Weights(tags={"beta": 2.0})))
    check_golden("compare-demo-fr.txt", structure(page.decode("utf-8")), UPDATE)


def test_golden_structure_of_the_followup() -> None:
    old = all_pass(synthetic("demo"))
    new = with_results(old, {"T-PASS-001": {"status": "fail"}, "T-FAIL-001": {"status": "error"}})
    page = render_rundiff_html(diff_runs(old, new)).decode("utf-8")
    check_golden("rundiff-demo-fr.txt", structure(page), UPDATE)


def test_hostile_target_names_are_escaped_in_comparison_and_followup(beacon: Beacon) -> None:
    hostile = hostile_run(beacon.url)
    clean = all_pass(synthetic("demo"))
    pages = [
        render_comparison_html(compare_runs([hostile, clean])).decode("utf-8"),
        render_rundiff_html(diff_runs(clean, hostile)).decode("utf-8"),
    ]
    for page in pages:
        doc = tree(page)
        assert not doc.xpath("//script | //img | //link")
        assert PAYLOADS["script"] in doc.text_content()
    assert beacon.hits == []


@pytest.mark.slow
def test_comparison_pdf_reads_ranking_and_matrices(tmp_path: Path) -> None:
    path = tmp_path / "comparaison.pdf"
    comparison = compare_runs(tender())
    path.write_bytes(render_comparison_pdf(comparison, "fr", "Marie Acheteuse"))
    pages = pdf_pages(path)
    assert pages >= 3
    first = pdf_text(path, 1, 1)
    assert "Comparaison de solutions" in first and "Produite le" in first
    assert "Visa" in first and "Marie Acheteuse" in first and "Signature" in first
    flat = "".join(first.split())
    for solution in comparison.solutions:
        assert solution.run_hash in flat  # whole hashes, not cut to 16 characters
    assert comparison.fingerprint in flat
    second = pdf_text(path, 2, 2)
    assert "Classement" in second and "éliminée" in second and "ENT Alpha" in second
    text = pdf_text(path)
    assert "Exigences (MUST) : barrières éliminatoires" in text
    assert f"{pages}/{pages}" in pdf_text(path, pages, pages).replace(" ", "")
    assert f"comparaison sha256 {comparison.fingerprint}" in text  # running footer


@pytest.mark.slow
def test_comparison_pdf_attaches_every_run_as_its_source(tmp_path: Path) -> None:
    path = tmp_path / "comparaison.pdf"
    comparison = compare_runs(tender())
    data = render_comparison_pdf(comparison)
    path.write_bytes(data)
    listing = subprocess.run(
        [need("pdfdetach"), "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert f"{len(comparison.solutions)} embedded files" in listing
    for number, solution in enumerate(comparison.solutions, start=1):
        name = attachment_name(solution)
        assert name in listing and name in pdf_text(path)  # cited in the runs section
        out = tmp_path / name
        subprocess.run(
            [need("pdfdetach"), "-save", str(number), "-o", str(out), str(path)], check=True
        )
        attached = json.loads(out.read_text(encoding="utf-8"))
        assert run_hash(attached) == solution.run_hash
    streams = pdf_streams(data)
    assert streams.count(b"/AFRelationship /Source") == len(comparison.solutions)
    info = subprocess.run(
        [need("pdfinfo"), str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "CreationDate:" in info and "Subject:" in info
