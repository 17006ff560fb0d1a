"""Defects found in review, each kept fixed by a test: nothing computed is lost, no crash."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lxml import etree

from sdet_check.api import RunRequest, evaluate
from sdet_check.errors import InputError
from sdet_check.grid import load_grid
from sdet_check.probe import ErrorReason, Status
from sdet_check.registry import ProbeRegistry
from sdet_check.reporters import REPORTERS, reporter_for
from sdet_check.runner import RunLimits, Runner
from sdet_check.selection import Selection
from sdet_check.target import load_target

from ..documents import pdf_bytes_text
from .conftest import DEMO_GRID, copy_probe_grid


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sdet_check", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1",
             "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )  # fmt: skip


def test_a_password_equal_to_a_status_cannot_corrupt_the_run(
    registry: ProbeRegistry, target_file: Path
) -> None:
    record = evaluate(
        RunRequest(target=target_file, grid=str(DEMO_GRID)),
        registry=registry,
        environ={"SDET_TEST_PASSWORD": "not_tested"},
    )
    statuses = {r["requirement"]: r["status"] for r in record["results"]}
    assert statuses["T-PASS-001"] == "pass"  # the fixed vocabulary is untouched
    leaky = next(r for r in record["results"] if r["requirement"] == "T-SECRET-001")
    assert "not_tested" not in leaky["message"] and "***" in leaky["message"]


def test_unserialisable_evidence_is_a_probe_bug_not_a_lost_run(
    tmp_path: Path, registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> None:
    grid = load_grid(copy_probe_grid(tmp_path, ["fake.bytes", "fake.pass"]), registry)
    bug, ok = Runner(registry).run(grid, load_target(target_file, environ), Selection())
    assert (bug.status, bug.error_reason) == (Status.ERROR, ErrorReason.PROBE_BUG)
    assert "JSON" in bug.message
    assert ok.status is Status.PASS


def test_control_characters_from_a_target_reach_no_output_raw(
    tmp_path: Path, registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> None:
    folder = copy_probe_grid(tmp_path, ["fake.hostile"])
    record = evaluate(RunRequest(target=target_file, grid=str(folder)), registry=registry,
                      environ=environ)  # fmt: skip
    (result,) = record["results"]
    assert "\x1b" not in result["message"] and "\\x1b" in result["message"]
    for name in REPORTERS:
        rendered = reporter_for(name).render(record)
        # A PDF is binary: check the text a reader gets out of it.
        output = pdf_bytes_text(rendered) if name == "pdf" else rendered.decode("utf-8")
        assert "\x1b" not in output and "\x0b" not in output, name
    etree.fromstring(reporter_for("junit").render(record))  # still well-formed XML


def test_yaml_aliases_are_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "t.yaml"
    bomb.write_text(
        "format: 1\nname: x\n"
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    )
    started = time.monotonic()
    with pytest.raises(InputError) as caught:
        load_target(bomb, {})
    assert time.monotonic() - started < 2
    assert "alias" in caught.value.problem and caught.value.place.line == 4


def test_unknown_level_is_bad_input(
    registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> None:
    request = RunRequest(
        target=target_file, grid=str(DEMO_GRID), selection=Selection(levels=frozenset({"FOO"}))
    )
    with pytest.raises(InputError) as caught:
        evaluate(request, registry=registry, environ=environ)
    assert "niveau FOO" in caught.value.problem


def test_hung_probes_cannot_stall_the_others(
    tmp_path: Path, registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> None:
    grid = load_grid(
        copy_probe_grid(tmp_path, ["fake.hang", "fake.hang", "fake.pass", "fake.pass"]), registry
    )
    runner = Runner(registry, limits=RunLimits(max_workers=2, probe_timeout_s=0.3))
    results = runner.run(grid, load_target(target_file, environ), Selection())
    assert [r.status for r in results] == [Status.ERROR, Status.ERROR, Status.PASS, Status.PASS]


def test_markup_in_user_input_is_printed_not_interpreted(tmp_path: Path) -> None:
    target = tmp_path / "cible.yaml"
    target.write_text('format: 1\nname: x\n"[/x]": 1\n')
    done = cli("run", "--target", str(target), cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert "[/x]" in done.stderr and "Traceback" not in done.stderr


def test_output_folder_is_checked_before_the_run(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("")
    target = tmp_path / "cible.yaml"
    target.write_text("format: 1\nname: x\nportal: {url: 'https://127.0.0.1:9/'}\n")
    started = time.monotonic()
    done = cli("run", "--target", str(target), "--out", str(afile), cwd=tmp_path)
    assert done.returncode == 3 and "n'est pas un dossier" in done.stderr
    assert time.monotonic() - started < 20  # refused before probing


def test_report_rescores_a_tampered_run(
    tmp_path: Path, registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> None:
    record = evaluate(RunRequest(target=target_file, grid=str(DEMO_GRID)), registry=registry,
                      environ=environ)  # fmt: skip
    assert record["score"]["overall"]["verdict"] == "non_conforme"
    record["score"]["overall"]["verdict"] = "conforme"
    path = tmp_path / "run.json"
    path.write_text(json.dumps(record))
    done = cli("report", str(path), cwd=tmp_path)
    assert done.returncode == 1  # the recomputed verdict, not the stored one
    assert "recalculé fait foi" in done.stderr


def test_run_with_results_for_unknown_requirements_is_refused(
    tmp_path: Path, registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> None:
    record = evaluate(RunRequest(target=target_file, grid=str(DEMO_GRID)), registry=registry,
                      environ=environ)  # fmt: skip
    record["results"][0]["requirement"] = "ZZZ-X-001"
    path = tmp_path / "run.json"
    path.write_text(json.dumps(record))
    done = cli("report", str(path), cwd=tmp_path)
    assert done.returncode == 3 and "ZZZ-X-001" in done.stderr
