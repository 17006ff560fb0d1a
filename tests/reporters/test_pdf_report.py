"""The PDF report, read as a person would: rasterised pages and their extracted text."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from sdet_check.reporters.document import FetchGuard
from sdet_check.reporters.html import Signature
from sdet_check.reporters.pdf import PdfReporter
from sdet_check.run import run_hash

from ..documents import need, pdf_pages, pdf_streams, pdf_text, rasterise
from ..records import PAYLOADS, hostile_run, synthetic, with_results
from .conftest import Beacon

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def full_pdf(full_record: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "rapport.pdf"
    reporter = PdfReporter(Signature("Alice Auditrice", date(2027, 9, 30)))
    path.write_bytes(reporter.render(full_record))
    assert reporter.guard.attempts == []
    return path


def test_first_page_is_a_cover_with_the_verdict(
    full_pdf: Path, full_record: dict[str, Any]
) -> None:
    first = pdf_text(full_pdf, 1, 1)
    assert "Rapport d'évaluation de conformité" in first
    assert "NON CONFORME" in first
    assert "ENT Collèges de l'Exemple" in first
    assert "Alice Auditrice" in first
    # Non conforming: the validity asked for is not granted, and the cover says what was
    # decided beside the verdict.
    assert "30 septembre 2027" not in first and "n'atteste pas la conformité" in first
    must = full_record["score"]["overall"]["must"]
    assert f"{must['decided']} MUST décidées sur {must['applicable']}" in first
    assert full_record["grid"]["content_hash"] in first
    png = rasterise(full_pdf, 1, full_pdf.parent / "page-1.png")
    print(f"\nPDF page 1 rasterised: {png}")
    image = Image.open(png).convert("L")
    assert image.size[0] < image.size[1]  # portrait
    dark = sum(image.histogram()[:128])
    assert dark > 2000  # text was drawn, not an empty page


def test_every_page_has_running_header_footer_page_number_and_run_hash(
    full_pdf: Path, full_record: dict[str, Any]
) -> None:
    pages = pdf_pages(full_pdf)
    assert pages > 10
    digest = run_hash(full_record)
    for page in (1, 2, pages // 2, pages):
        text = pdf_text(full_pdf, page, page)
        assert f"{page} / {pages}" in text, page
        assert digest in text.replace(" ", ""), page
    inner = pdf_text(full_pdf, pages // 2, pages // 2)
    assert "ENT Collèges de l'Exemple" in inner.splitlines()[0]  # running header


def test_table_of_contents_gives_true_page_numbers(full_pdf: Path) -> None:
    toc = pdf_text(full_pdf, 2, 2)
    assert "Sommaire" in toc
    entries = dict(re.findall(r"\d\. (.+?)\s*\.{3,}\s*(\d+)", toc))
    assert {"Synthèse", "Axe Sécurité", "Annexes"} <= set(entries)
    for title, page in entries.items():
        heading = title.split(" (")[0]
        assert heading in pdf_text(full_pdf, int(page), int(page)), title


def test_long_tables_repeat_their_header_on_each_page(full_pdf: Path) -> None:
    pages = pdf_pages(full_pdf)
    header = re.compile(r"Identifiant\s+Intitulé · Constat\s+Niveau\s+Décidée par")
    with_header = [p for p in range(1, pages + 1) if header.search(pdf_text(full_pdf, p, p))]
    # The passes of the technical axis do not fit on one page: their compact table goes
    # on over a second page that repeats the header.
    assert len(with_header) > 4
    assert any(b == a + 1 for a, b in itertools.pairwise(with_header))


def test_evidence_is_shortened_with_a_pointer_to_the_attached_json(
    full_pdf: Path, full_record: dict[str, Any], tmp_path: Path
) -> None:
    text = pdf_text(full_pdf)
    assert "Pièces complètes : run.json joint à ce PDF, results[" in text
    # Non-passing results keep the head of each HTTP body, cut with […]; the rest of the
    # recorded excerpt (paragraphs after the title) is only in the JSON.
    assert "<h1>Bienvenue sur votre ENT</h1>" in text and "[…]" in text
    assert "Élèves, parents, enseignants : connectez-vous" not in text
    assert any(
        "Élèves, parents" in piece["data"]["response"]["body_excerpt"]
        for entry in full_record["results"]
        for piece in entry["evidence"]
        if piece["kind"] == "http_exchange"
    )
    # The run JSON travels inside the PDF: the pointer resolves.
    listing = subprocess.run(
        [need("pdfdetach"), "-list", str(full_pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert "run.json" in listing
    out = tmp_path / "run.json"
    subprocess.run([need("pdfdetach"), "-save", "1", "-o", str(out), str(full_pdf)], check=True)
    attached = json.loads(out.read_text(encoding="utf-8"))
    assert run_hash(attached) == run_hash(full_record)


def test_pdf_is_archival_pdf_a_3(full_pdf: Path) -> None:
    meta = subprocess.run(
        [need("pdfinfo"), "-meta", str(full_pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"pdfaid:part[^0-9]{1,3}3", meta), meta[:500]
    # Level A (accessible): the PDF is tagged, as RGAA asks of public documents.
    assert re.search(r"pdfaid:conformance[^A-Z]{1,3}A", meta), meta[:500]


def test_summary_headers_are_not_cut_inside_a_word(full_pdf: Path) -> None:
    # Found by trial: the score table's last column printed "Note théoriqu" / "e".
    text = pdf_text(full_pdf)
    assert "théorique" in text
    assert re.search(r"théoriqu(?!e)", text) is None
    assert re.search(r"Fonctionne(?!l)", text) is None


def test_english_pdf(tmp_path: Path) -> None:
    record = with_results(synthetic("demo"), {"T-PASS-001": {"status": "fail"}})
    path = tmp_path / "report.pdf"
    path.write_bytes(PdfReporter().render(record, "en"))
    first = pdf_text(path, 1, 1)
    assert "Conformity assessment report" in first and "NOT COMPLIANT" in first
    assert "Contents" in pdf_text(path, 2, 2)


def test_hostile_data_is_printed_as_text_and_loads_nothing(beacon: Beacon, tmp_path: Path) -> None:
    guard = FetchGuard()
    reporter = PdfReporter(guard=guard)
    data = reporter.render(hostile_run(beacon.url))
    path = tmp_path / "hostile.pdf"
    path.write_bytes(data)
    assert guard.attempts == []  # WeasyPrint was never asked to load a resource
    assert beacon.hits == []
    text = pdf_text(path)
    assert PAYLOADS["script"] in text.replace("\n", " ")
    streams = pdf_streams(data)
    assert b"/JavaScript" not in streams and b"/JS " not in streams
    uris = re.findall(rb"/URI\s*\(([^)]*)\)", streams)
    assert all(uri.startswith((b"http://", b"https://")) for uri in uris), uris
