"""Properties of the reporters over generated runs carrying hostile strings.

Every reporter renders any valid run without an exception, and its output is well formed:
JSON round-trips, JUnit parses as XML with one testcase per result, CSV reads back to the
cells written, HTML parses and nothing a target sent becomes markup, the terminal summary
decodes. Control characters, formula-looking CSV cells and report time bounds are the
defects of issue 10, now fixed; their first failing examples are kept as @example.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lxml_html

from sdet_check.labels import status_code, status_label
from sdet_check.redaction import spreadsheet_cell
from sdet_check.reporters import reporter_for
from sdet_check.reporters.base import rows
from tests.strategies import (
    CONTROLS,
    MARKER,
    _base_record,
    budget,
    clean_text,
    has_control,
    hostile_text,
    runs,
    strings_of,
    with_text,
)

clean_runs = runs(clean_text())
hostile_runs = runs(hostile_text())
_CONTROL_OUT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def _render(name: str, record: dict[str, Any], lang: str = "fr") -> bytes:
    return reporter_for(name).render(record, lang)


# --- JSON ------------------------------------------------------------------------------------


@budget(ci=100)
@given(hostile_runs)
def test_json_report_round_trips(record: dict[str, Any]) -> None:
    assert json.loads(_render("json", record)) == record


# --- JUnit -----------------------------------------------------------------------------------


def _check_junit(data: bytes, record: dict[str, Any]) -> None:
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    cases = root.findall(".//testcase")
    assert len(cases) == len(list(rows(record)))
    assert int(root.get("tests", "-1")) == len(cases)
    assert int(root.get("failures", "-1")) == sum(
        1 for _, r in rows(record) if r["status"] == "fail" and not r.get("waived")
    )
    assert int(root.get("errors", "-1")) == sum(
        1 for _, r in rows(record) if r["status"] == "error"
    )


@budget(ci=120)
@given(clean_runs, st.sampled_from(["fr", "en"]))
def test_junit_parses_and_counts_every_result(record: dict[str, Any], lang: str) -> None:
    _check_junit(_render("junit", record, lang), record)


@budget(ci=50)
@given(hostile_runs)
@example(with_text(_base_record(), "message", "\x00\x1b[2J"))
def test_junit_renders_runs_with_control_characters(record: dict[str, Any]) -> None:
    _check_junit(_render("junit", record), record)


# --- CSV -------------------------------------------------------------------------------------


def _expected_cells(record: dict[str, Any], lang: str) -> list[list[str]]:
    return [
        [
            requirement["id"],
            requirement["axis"],
            requirement["level"],
            status_label(result["status"], lang),
            status_code(result["status"], result.get("waived", False)),
            result.get("waiver_state", ""),
            result.get("declared", ""),
            requirement["title"][lang],
            result["message"],
            result.get("probe", ""),
            str(len(result["evidence"])),
            str(result.get("duration_ms", "")),
        ]
        for requirement, result in rows(record)
    ]


def _read_csv(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


@budget(ci=100)
@given(clean_runs, st.sampled_from(["fr", "en"]))
def test_csv_reads_back_to_the_cells_written(record: dict[str, Any], lang: str) -> None:
    expected = _expected_cells(record, lang)
    header, *body = _read_csv(_render("csv", record, lang))
    assert len(header) == 12
    assert len(body) == len(expected)
    for got_row, want_row in zip(body, expected, strict=True):
        for got, want in zip(got_row, want_row, strict=True):
            # Control characters are shown, and a cell a spreadsheet would evaluate is
            # neutralised (issue 10): the cell reads back as exactly that.
            assert got == spreadsheet_cell(want)


@budget(ci=50)
@given(clean_runs)
@example(with_text(_base_record(), "message", "avant\rapres"))
def test_csv_rows_survive_carriage_returns(record: dict[str, Any]) -> None:
    _header, *body = _read_csv(_render("csv", record))
    assert len(body) == len(_expected_cells(record, "fr"))


@budget(ci=50)
@given(clean_runs)
@example(with_text(_base_record(), "message", '=HYPERLINK("http://x.invalid","clic")'))
def test_csv_cells_never_start_like_a_formula(record: dict[str, Any]) -> None:
    _header, *body = _read_csv(_render("csv", record))
    for row in body:
        for cell in row[7:10]:  # title, message, probe: the free texts
            assert not cell.startswith(("=", "+", "-", "@")), cell


# --- terminal --------------------------------------------------------------------------------


@budget(ci=80)
@given(clean_runs, st.sampled_from(["fr", "en"]), st.booleans())
def test_terminal_summary_renders_any_clean_run(
    record: dict[str, Any], lang: str, verbose: bool
) -> None:
    from sdet_check.reporters.terminal import TerminalReporter

    text = TerminalReporter(verbose=verbose).render(record, lang).decode("utf-8")
    assert text.strip()
    assert not _CONTROL_OUT.search(text)


@budget(ci=50)
@given(hostile_runs)
@example(with_text(_base_record(), "name", "ENT\x1b[2J"))
def test_terminal_summary_neutralises_control_characters(record: dict[str, Any]) -> None:
    from sdet_check.reporters.terminal import TerminalReporter

    text = TerminalReporter(verbose=True).render(record).decode("utf-8")
    assert not _CONTROL_OUT.search(text)


# --- HTML ------------------------------------------------------------------------------------


def _check_html(data: bytes) -> None:
    text = data.decode("utf-8")
    assert "<script" not in text.lower()
    document = lxml_html.document_fromstring(data)
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag not in ("script", "iframe", "object", "embed")
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name)
            if name in ("href", "src", "action"):
                assert not value.strip().lower().startswith("javascript:"), value
        assert MARKER not in (element.get("src") or "")


@budget(ci=60)
@given(clean_runs, st.sampled_from(["fr", "en"]))
def test_html_report_parses_and_nothing_sent_becomes_markup(
    record: dict[str, Any], lang: str
) -> None:
    _check_html(_render("html", record, lang))


@budget(ci=20)
@given(hostile_runs)
@example(with_text(_base_record(), "message", "avant\x00\x1b[2J\ufffeaprès"))
def test_html_report_neutralises_control_characters(record: dict[str, Any]) -> None:
    text = _render("html", record).decode("utf-8")
    assert not _CONTROL_OUT.search(text)


# --- PDF -------------------------------------------------------------------------------------


@pytest.mark.slow
@budget(ci=5)
@given(runs(clean_text(long_tokens=False), max_extra=1, max_evidence=1))
def test_pdf_report_renders_any_clean_run(record: dict[str, Any]) -> None:
    data = _render("pdf", record)
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]


_PDF_IN_CHILD = """
import json, sys
from sdet_check.reporters import reporter_for
record = json.load(sys.stdin)
sys.stdout.buffer.write(reporter_for("pdf").render(record, "fr")[:5])
"""


@pytest.mark.slow
def test_pdf_report_with_a_long_token_finishes_in_bounded_time() -> None:
    record = with_text(_base_record(), "message", "A" * 16_384)
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PDF_IN_CHILD],
            input=json.dumps(record).encode(),
            capture_output=True,
            timeout=15,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("rendu PDF non terminé en 15 s avec un jeton de 16 Ko")
    assert done.stdout == b"%PDF-"


def test_the_hostile_strategies_produce_what_they_promise() -> None:
    """Guards the generators: hostile runs do carry controls, clean runs never do."""
    assert any(has_control(c) for c in CONTROLS)

    @budget(ci=50)
    @given(clean_runs)
    def clean(record: dict[str, Any]) -> None:
        assert not any(has_control(s) for s in strings_of(record))

    clean()
