"""The command line as a user runs it: exit codes, one clear message, no traceback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from sdet_check.api import RunRequest, evaluate
from sdet_check.registry import ProbeRegistry
from sdet_check.reporters import reporter_for

from .conftest import DEMO_GRID


def sdet_check(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sdet_check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "NO_COLOR": "1",
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
            "COLUMNS": "120",
            **(env or {}),
        },
    )


@pytest.fixture
def run_file(
    tmp_path: Path, registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> Path:
    record: dict[str, Any] = evaluate(
        RunRequest(target=target_file, grid=str(DEMO_GRID)), registry=registry, environ=environ
    )
    path = tmp_path / "saved" / "run.json"
    path.parent.mkdir()
    path.write_bytes(reporter_for("json").render(record))
    return path


def test_report_rerenders_offline_with_verdict_exit_code(tmp_path: Path, run_file: Path) -> None:
    out = tmp_path / "out"
    done = sdet_check(
        "report", str(run_file), "--format", "junit", "--format", "csv", "--format", "terminal",
        "--out", str(out), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # a MUST fails without waiver: non conforme
    assert (out / "junit.xml").is_file() and (out / "results.csv").is_file()
    etree.parse(str(out / "junit.xml"))
    assert "non conforme" in done.stdout


def test_report_in_english(tmp_path: Path, run_file: Path) -> None:
    done = sdet_check("--lang", "en", "report", str(run_file), cwd=tmp_path)
    assert "not compliant" in done.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("format: 1\nname: [unclosed\n", "YAML mal formé"),
        ("format: 1\nnom: x\n", "clé inconnue « nom »"),
        ("format: 1\nname: 3\n", "entre guillemets"),
    ],
)
def test_bad_target_gives_exit_3_and_one_message(
    tmp_path: Path, content: str, expected: str
) -> None:
    target = tmp_path / "cible.yaml"
    target.write_text(content)
    done = sdet_check("run", "--target", str(target), "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert done.returncode == 3
    assert expected in done.stderr
    assert "cible.yaml" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not (tmp_path / "o").exists()


def test_unset_secret_gives_exit_3(tmp_path: Path, target_file: Path) -> None:
    done = sdet_check("run", "--target", str(target_file), cwd=tmp_path)
    assert done.returncode == 3
    assert "SDET_TEST_PASSWORD" in done.stderr and "Traceback" not in done.stderr


def test_unknown_format_and_option_give_exit_3(tmp_path: Path, run_file: Path) -> None:
    done = sdet_check("report", str(run_file), "--format", "docx", cwd=tmp_path)
    assert done.returncode == 3 and "docx" in done.stderr
    done = sdet_check("report", str(run_file), "--colour", cwd=tmp_path)
    assert done.returncode == 3


def test_broken_run_file_gives_exit_3(tmp_path: Path) -> None:
    bad = tmp_path / "run.json"
    bad.write_text('{"format": 1}')
    done = sdet_check("report", str(bad), cwd=tmp_path)
    assert done.returncode == 3
    assert "run.json" in done.stderr and "Traceback" not in done.stderr


def test_unknown_grid_gives_exit_3(tmp_path: Path) -> None:
    done = sdet_check("grid", "show", "sdet/0.1", cwd=tmp_path)
    assert done.returncode == 3
    assert "grille introuvable" in done.stderr


def test_version(tmp_path: Path) -> None:
    done = sdet_check("--version", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("sdet-check ")


def test_refused_connections_still_give_a_complete_run_without_secrets(tmp_path: Path) -> None:
    canary = "canari-cli-5b1e-jamais-affiche"
    target = tmp_path / "cible.yaml"
    # A port bound but not listening refuses connections (Chromium refuses port 9 itself).
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        target.write_text(
            "format: 1\nname: ENT éteint\ntimeouts: {network_s: 2, probe_s: 10}\n"
            f"portal: {{url: 'https://127.0.0.1:{port}/', http_url: 'http://127.0.0.1:{port}/'}}\n"
            "accounts: [{profile: eleve, login: e1, password_env: CANARY_PW}]\n"
        )
        out = tmp_path / "out"
        done = sdet_check(
            "run", "--target", str(target), "--out", str(out), "--format", "terminal",
            "--format", "junit", "--format", "csv", cwd=tmp_path, env={"CANARY_PW": canary},
        )  # fmt: skip
    assert done.returncode == 2, done.stderr  # errors on MUST items: incomplete
    record = json.loads((out / "run.json").read_text())
    errors = [r for r in record["results"] if r["status"] == "error"]
    assert errors and all(r["error_reason"] == "unreachable" for r in errors)
    assert len(record["results"]) == len(record["grid"]["requirements"])
    outputs = [done.stdout, done.stderr] + [p.read_text() for p in out.iterdir()]
    assert all(canary not in text for text in outputs)
    assert "CANARY_PW" in (out / "run.json").read_text()  # the variable name, not its value


def test_grid_validate_on_a_broken_grid_gives_exit_3(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "demo" / "1.0"
    shutil.copytree(DEMO_GRID, folder)
    done = sdet_check("grid", "validate", str(folder), cwd=tmp_path)
    assert done.returncode == 3
    assert "fake.pass" in done.stderr and "type de sonde inconnu" in done.stderr
    assert "Traceback" not in done.stderr
