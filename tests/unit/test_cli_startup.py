"""The command line starts without the heavy libraries (issue 10: ``--help`` took 0.65 s).

Measured as what a fresh interpreter has imported, not as a time: a timed test would
depend on the machine's load. ``benchmarks/cli_startup.py`` prints the time ratio.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("weasyprint", "requests", "lxml", "jsonschema", "jinja2", "yaml", "ldap3", "urllib3")

_PROBE = """
import json, sys
import sdet_check.cli
from sdet_check.cli import main
args = json.loads(sys.argv[1])
if args:
    try:
        main(args)
    except SystemExit:
        pass
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


@pytest.mark.parametrize(
    "args",
    [[], ["--help"], ["run", "--help"], ["aaf", "validate", "--help"], ["grid", "--help"]],
    ids=["import", "help", "run-help", "aaf-help", "grid-help"],
)
def test_cli_start_does_not_import_heavy_libraries(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args)],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "NO_COLOR": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    imported = set(json.loads(done.stdout.splitlines()[-1]))
    assert "sdet_check" in imported and "typer" in imported
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))


def test_commands_still_import_what_they_need(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sdet_check", "aaf", "rules", "--format", "json"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "NO_COLOR": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["id"].startswith("AAF-")
