"""Benchmark ``aaf validate``: throughput against raw lxml iterparse, and peak memory.

    python benchmarks/aaf_validate.py      # 500 MB throughput; 100 MB and 1 GB memory
    python benchmarks/aaf_validate.py --throughput-mb 50 --memory-mb 20 100     # quicker

Every measurement runs in a fresh subprocess, which reports its own wall time, CPU time
(user + system, worker processes included) and peak resident memory (``ru_maxrss``).

* throughput: the same generated set read by raw ``lxml.etree.iterparse`` (same parser
  options as the validator: request end events, elements and their preceding siblings
  cleared) and by the full validation, single process and with ``--jobs`` workers; the
  ratios are validation throughput over raw-parse throughput, measured in the same run.
* memory: peak RSS of the validation of a 100 MB and a 1 GB set, beside the RSS of a
  process that only imported everything, to show it stays flat.

Data is generated under ``--workdir`` (default: a new folder in /tmp) and deleted at the
end unless ``--keep``. The machine load average is printed: on a shared machine, wall times
and parallel figures depend on it; CPU times much less.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _child(mode: str, path: str, jobs: int) -> None:
    """Run one measurement in this (fresh) process and print its figures as JSON."""
    from lxml import etree

    from sdet_check.aaf import validate
    from sdet_check.aaf.dtd import REQUEST_TAGS

    started = time.perf_counter()
    records = findings = 0
    if mode == "raw":
        for file in sorted(Path(path).glob("*.xml")):
            context = etree.iterparse(
                str(file), events=("end",), tag=REQUEST_TAGS, resolve_entities=False,
                no_network=True, load_dtd=False, huge_tree=False, remove_blank_text=True,
                collect_ids=False,
            )  # fmt: skip
            for _, element in context:
                records += 1
                element.clear(keep_tail=True)
                while element.getprevious() is not None:
                    del element.getparent()[0]
    elif mode == "validate":
        counter = [0]

        def count(_: object) -> None:
            counter[0] += 1

        result = validate(Path(path), jobs=jobs, on_finding=count)
        records, findings = result.records, counter[0]
    wall = time.perf_counter() - started
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
                "rss": me.ru_maxrss * 1024,
                "rss_workers": kids.ru_maxrss * 1024,
                "records": records,
                "findings": findings,
            }
        )
    )


def measure(mode: str, path: Path | str, jobs: int = 1) -> dict[str, Any]:
    """Run :func:`_child` in a subprocess and return its figures."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path), str(jobs)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def generate_set(folder: Path, size_mb: float) -> int:
    """Generate a clean set of about ``size_mb`` MB; return its size in bytes."""
    from sdet_check.aaf.generate import GenerationOptions, generate

    started = time.perf_counter()
    structures = max(4, int(size_mb / 10))
    manifest = generate(folder, GenerationOptions(structures=structures, seed=2024,
                                                  size_mb=size_mb))  # fmt: skip
    size = int(manifest["bytes"])
    print(
        f"  generated {folder.name}: {size / 1e6:.0f} MB, {len(manifest['files'])} files, "
        f"{manifest['counts']['Eleve']} pupils, {manifest['counts']['PersRelEleve']} relatives "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return size


def _mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB"


def _rate(size: int, seconds: float) -> str:
    return f"{size / 1e6 / seconds:6.1f} MB/s"


def throughput(work: Path, size_mb: float, jobs: int) -> None:
    """Raw parse against validation of the same set, in the same run."""
    folder = work / f"throughput-{size_mb:g}mb"
    print(f"\n== throughput ({size_mb:g} MB set)", flush=True)
    size = generate_set(folder, size_mb)
    raw = measure("raw", folder)
    single = measure("validate", folder)
    parallel = measure("validate", folder, jobs) if jobs > 1 else None
    print(
        f"  raw iterparse          wall {raw['wall']:7.1f} s  {_rate(size, raw['wall'])}"
        f"   cpu {raw['cpu']:7.1f} s  {_rate(size, raw['cpu'])}  ({raw['records']:,} requests)"
    )
    print(
        f"  validate --jobs 1      wall {single['wall']:7.1f} s  {_rate(size, single['wall'])}"
        f"   cpu {single['cpu']:7.1f} s  {_rate(size, single['cpu'])}"
        f"  ({single['findings']} findings)"
    )
    if parallel:
        print(
            f"  validate --jobs {jobs:<7d}wall {parallel['wall']:7.1f} s  "
            f"{_rate(size, parallel['wall'])}   cpu {parallel['cpu']:7.1f} s (all processes)"
        )
    print(
        f"  ratio (validation / raw throughput), single process: wall "
        f"{raw['wall'] / single['wall']:.2f}, cpu {raw['cpu'] / single['cpu']:.2f}"
    )
    if parallel:
        print(f"  ratio with --jobs {jobs}: wall {raw['wall'] / parallel['wall']:.2f}")
    assert single["records"] == raw["records"], "validation and raw parse disagree on requests"
    shutil.rmtree(folder)


def memory(work: Path, sizes: list[float], jobs: int) -> None:
    """Peak RSS of the validation of sets of growing size."""
    print("\n== peak memory (RSS)", flush=True)
    baseline = measure("none", "-")
    print(f"  python + lxml + sdet-check imported: {_mb(baseline['rss'])}")
    for size_mb in sizes:
        folder = work / f"memory-{size_mb:g}mb"
        size = generate_set(folder, size_mb)
        single = measure("validate", folder)
        line = (f"  {_mb(size):>9} set: validate --jobs 1 peak {_mb(single['rss'])} "
                f"({single['wall']:.0f} s)")  # fmt: skip
        if jobs > 1:
            parallel = measure("validate", folder, jobs)
            line += (f"; --jobs {jobs}: main {_mb(parallel['rss'])}, largest worker "
                     f"{_mb(parallel['rss_workers'])}")  # fmt: skip
        print(line, flush=True)
        shutil.rmtree(folder)


def main() -> None:
    """Parse options and run the benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--throughput-mb", type=float, default=500)
    parser.add_argument("--memory-mb", type=float, nargs="*", default=[100, 1000])
    parser.add_argument("--jobs", type=int, default=max(2, min(4, os.cpu_count() or 2)))
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the generated sets")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "PATH", "JOBS"),
                        help=argparse.SUPPRESS)  # fmt: skip
    args = parser.parse_args()
    if args.child:
        mode, path, jobs = args.child
        _child(mode, path, int(jobs))
        return
    work = args.workdir or Path(tempfile.mkdtemp(prefix="sdet-aaf-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPU, load average "
          f"{os.getloadavg()[0]:.1f}, data in {work}")  # fmt: skip
    try:
        if args.throughput_mb:
            throughput(work, args.throughput_mb, args.jobs)
        if args.memory_mb:
            memory(work, args.memory_mb, args.jobs)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
