"""Benchmark the export archive probe: a large ZIP against ``unzip -t``, and peak memory.

    python benchmarks/export_probe.py                 # a 200 MB archive
    python benchmarks/export_probe.py --size-mb 50    # quicker, on a loaded machine

The archive is an account export as an ENT would hand it out: a few thousand documents of
mixed compressibility (random bytes, text, zeros) and a ``manifest.json`` with the SHA-256
of each. Two measurements, each in a fresh subprocess reporting wall time, CPU time and peak
resident memory (``ru_maxrss``), in the same run:

* ``unzip -t``: Info-ZIP tests every member (inflate + CRC), the baseline;
* the probe: :func:`probes.export.archive_findings` streams every member through SHA-256
  (inflate + CRC + hash) and checks the manifest, never extracting anything; beside it, the
  peak memory of a process that only imported the probe package (libraries included), so
  that what reading the archive adds is visible.

The ratio is the probe's wall time over ``unzip -t``'s. The load average is printed: on a
shared machine wall times depend on it, CPU times much less.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build_archive(path: Path, size_mb: int) -> int:
    """Write an export archive of about ``size_mb`` MB on disk; return its member count."""
    target = size_mb * 1024 * 1024
    entries = []
    written = 0
    rank = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        while written < target:
            rank += 1
            kind = rank % 3
            if kind == 0:
                data = os.urandom(256 * 1024)  # photos, PDFs: incompressible
            elif kind == 1:
                data = (f"Cahier de textes, séance {rank}. " * 4000).encode()
            else:
                data = os.urandom(64 * 1024) + bytes(192 * 1024)
            name = f"documents/{rank // 100:03d}/fichier-{rank:05d}.bin"
            archive.writestr(name, data)
            entries.append(
                {
                    "path": name,
                    "format": "application/octet-stream",
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            )
            written = path.stat().st_size if rank % 50 == 0 else written
        archive.writestr("manifest.json", json.dumps({"files": entries}))
    return rank + 1


def _child(mode: str, path: str) -> None:
    started = time.perf_counter()
    outcome: dict[str, Any] = {}
    if mode == "unzip":
        done = subprocess.run(["unzip", "-tqq", path], capture_output=True, check=False)
        outcome["returncode"] = done.returncode
    elif mode == "import":
        import probes.export  # noqa: F401 (the resident size of the imports alone)
    else:
        from probes.export import ArchiveBounds, Findings, archive_findings

        findings = Findings()
        names = archive_findings(Path(path), findings, bounds=ArchiveBounds())
        outcome["members"] = len(names)
        outcome["problems"] = len(findings.problems)
    wall = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    outcome.update(
        wall_s=wall,
        cpu_s=own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime,
        peak_rss_mb=max(own.ru_maxrss, children.ru_maxrss) / 1024,
    )
    print(json.dumps(outcome))


def measure(mode: str, path: Path) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its figures."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    if shutil.which("unzip") is None:
        sys.exit("unzip absent : installer le paquet Debian unzip pour la mesure de référence")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="sdet-export-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "export.zip"
    try:
        started = time.perf_counter()
        members = build_archive(path, args.size_mb)
        size = path.stat().st_size / 1024 / 1024
        print(f"archive : {size:.0f} Mo, {members} membres ({time.perf_counter() - started:.1f} s)")
        print(f"charge : {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        baseline = measure("unzip", path)
        probe = measure("probe", path)
        imported = measure("import", path)
        if baseline["returncode"] != 0 or probe["problems"]:
            sys.exit(f"mesure invalide : {baseline} {probe}")
        for label, figures in (("unzip -t", baseline), ("sonde export.archive", probe)):
            print(
                f"{label:22} {figures['wall_s']:6.2f} s mur  {figures['cpu_s']:6.2f} s CPU  "
                f"{size / figures['wall_s']:6.1f} Mo/s  pic RSS {figures['peak_rss_mb']:6.1f} Mo"
            )
        print(f"rapport sonde / unzip -t (temps mur) : {probe['wall_s'] / baseline['wall_s']:.2f}")
        print(
            f"pic RSS d'un processus qui n'a fait qu'importer la sonde : "
            f"{imported['peak_rss_mb']:.1f} Mo (la lecture ajoute "
            f"{probe['peak_rss_mb'] - imported['peak_rss_mb']:.1f} Mo)"
        )
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
