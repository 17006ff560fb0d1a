"""Hostile AAF sets keep memory flat and reports bounded (issue 10).

Before: 50 MB of stray root elements used 3.1 GB and wrote 5.6 million findings (a 1.5 GB
JSON report); one 50 MB request used 1.06 GB.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
NAME = "ENT_0000000A_Complet_20240916_MatiereEducNat_0000.xml"
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">\n<ficAlimMENESR>\n'
)
REQUEST = (
    '<addRequest><operationalAttributes><attr name="categoriePersonne"><value>'
    "MatiereEducNat</value></attr></operationalAttributes><identifier><id>1</id></identifier>"
    '<attributes><attr name="ENTMatJointure"><value>1</value></attr>'
    '<attr name="ENTLibelleMatiere"><value>X</value></attr>'
)


def _write(folder: Path, kind: str, megabytes: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / NAME
    repeat = (
        "<x/>" * 1000
        if kind == "stray"
        else '<attr name="ENTMatNature"><value>1</value></attr>' * 100
    )
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD + (REQUEST if kind == "request" else ""))
        for _ in range(int(megabytes * 1024 * 1024) // len(repeat) + 1):
            out.write(repeat)
        out.write("</attributes></addRequest>\n" if kind == "request" else "")
        out.write("</ficAlimMENESR>\n")
    return path


_MEASURE = """
import json, resource, sys, time
from pathlib import Path
from sdet_check.aaf import validate
from sdet_check.aaf.report import FindingCollector
started = time.monotonic()
collector = FindingCollector(3)
result = validate(Path(sys.argv[1]), on_finding=collector)
print(json.dumps({
    "seconds": time.monotonic() - started,
    # VmHWM is this process's own peak; ru_maxrss would count the parent's pages at fork.
    "peak_mb": int(next(line for line in open("/proc/self/status")
                        if line.startswith("VmHWM")).split()[1]) / 1024,
    "by_rule": dict(result.by_rule),
    "messages": [f.message for f in collector.findings],
}))
"""


@pytest.mark.parametrize("kind", ["stray", "request"])
def test_hostile_aaf_file_of_50_mb_keeps_memory_flat(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / kind
    _write(folder, kind, 50)
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(folder)], capture_output=True, text=True,
        timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    measured = json.loads(done.stdout)
    print(f"AAF {kind} 50 Mo : {measured['seconds']:.1f} s, pic {measured['peak_mb']:.0f} Mo")
    assert measured["peak_mb"] < 250 and measured["seconds"] < 60
    assert measured["by_rule"].get("AAF-XML-001") == 1
    assert any("Mo lus sans qu'une requête se termine" in m for m in measured["messages"])


def test_findings_are_capped_per_rule_with_exact_counts(tmp_path: Path) -> None:
    folder = tmp_path / "set"
    _write(folder, "stray", 0.1)  # ~26,000 stray elements, each an AAF-DTD-001 finding
    report = tmp_path / "aaf.json"
    table = tmp_path / "aaf.csv"
    for fmt, out in (("json", report), ("csv", table)):
        done = subprocess.run(
            [sys.executable, "-m", "sdet_check", "aaf", "validate", str(folder), "-f", fmt,
             "-o", str(out), "--max-findings", "100"],
            capture_output=True, text=True, timeout=120, cwd=ROOT,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
    data = json.loads(report.read_text(encoding="utf-8"))
    schema = json.loads((ROOT / "grids" / "schemas" / "aaf-report.schema.json").read_text())
    jsonschema.validate(data, schema)
    total = data["summary"]["by_rule"]["AAF-DTD-001"]
    assert total > 20_000
    written = [f for f in data["findings"] if f["rule"] == "AAF-DTD-001"]
    assert len(written) == 100
    assert data["left_out"] == {"max_per_rule": 100, "by_rule": {"AAF-DTD-001": total - 100}}
    rows = list(csv.reader(table.read_text(encoding="utf-8-sig").splitlines()))
    assert sum(1 for row in rows if row[0] == "AAF-DTD-001") == 101
    assert f"… {total - 100} constat(s) de plus non écrits" in rows[-1][7]
