"""The command line speaks one language: its own help, Typer's words and its outputs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sdet_check.messages import message_text
from tests.records import synthetic

ROOT = Path(__file__).resolve().parents[2]
NBSP = "\u00a0"


def cli(
    *args: str, lang_env: str | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """``python -m sdet_check`` from this worktree, without colours."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "NO_COLOR": "1",
    }
    env["COLUMNS"] = "200"
    if lang_env is not None:
        env["SDET_CHECK_LANG"] = lang_env
    return subprocess.run(
        [sys.executable, "-m", "sdet_check", *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=env,
    )  # fmt: skip


_ACCENTED = re.compile(r"[éèêàùçôîÉÈ]")


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["grid", "show", "--help"]])
def test_french_help_is_french_down_to_typer_words(args: list[str]) -> None:
    """No "Show this message and exit.", no "Usage:" in French; French spacing before colons."""
    done = cli(*args)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Afficher ce message et quitter." in out
    assert "Show this message" not in out and "Usage:" not in out
    assert f"Usage{NBSP}:" in out


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--lang", "en", "--help"], None),
        (["--lang=en", "run", "--help"], None),
        (["--help"], "en"),
    ],
)
def test_english_help_has_no_french(args: list[str], env: str | None) -> None:
    """A leading --lang en, or SDET_CHECK_LANG=en, gives English help, Typer's words included."""
    done = cli(*args, lang_env=env)
    assert done.returncode == 0, done.stderr
    assert "Show this message and exit." in done.stdout
    assert _ACCENTED.findall(done.stdout) == []
    assert NBSP not in done.stdout


def test_report_renders_a_french_run_in_english(tmp_path: Path) -> None:
    """A run recorded in French, reported with --lang en: English findings, English CLI lines."""
    record = synthetic()
    with_ids = [result for result in record["results"] if "message_id" in result]
    assert {result["message_id"] for result in with_ids} >= {"runner.reviewed"}
    run_file = tmp_path / "run.json"
    run_file.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    done = cli("--lang", "en", "report", str(run_file), "--format", "csv", "--out", str(tmp_path))
    assert done.returncode in (0, 1, 2), done.stderr
    assert "Written: " in done.stderr and "Écrit" not in done.stderr
    csv = (tmp_path / "results.csv").read_text(encoding="utf-8")
    assert "Decided by the auditor's review (Alice Auditrice" in csv
    assert "Décidé par la revue" not in csv
    french = cli("report", str(run_file), "--format", "csv", "--out", str(tmp_path))
    assert f"Écrit{NBSP}: " in french.stderr
    csv = (tmp_path / "results.csv").read_text(encoding="utf-8")
    assert "Décidé par la revue de l'auditeur (Alice Auditrice" in csv


def test_records_without_ids_keep_their_text() -> None:
    """A run.json written before the catalogue renders its stored French text in any language."""
    assert message_text({"message": "Constat ancien."}, "en") == "Constat ancien."
