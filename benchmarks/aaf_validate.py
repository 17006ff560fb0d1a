"""Benchmark ``aaf validate``: throughput against raw lxml iterparse, and peak memory.

    python benchmarks/aaf_validate.py      # 500 MB throughput; 100 MB and 1 GB memory
    python benchmarks/aaf_validate.py --throughput-mb 50 --memory-mb 20 100     # quicker
    python benchmarks/aaf_validate.py --throughput-mb 40 --memory-mb --stages   # where time goes

Every measurement runs in a fresh subprocess, which reports its own wall time, CPU time
(user + system, worker processes included, imports excluded) and peak resident memory
(``ru_maxrss``). Throughput measurements alternate ``--repeat`` times; medians are printed
with their spread, and each ratio with its range over the rounds.

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
import statistics
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
    cpu_started = _cpu()
    records = findings = 0
    used = 1
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
    elif mode in ("read", "scan"):
        records = _stage(mode, Path(path))
    elif mode == "validate":
        counter = [0]

        def count(_: object) -> None:
            counter[0] += 1

        result = validate(Path(path), jobs=jobs, on_finding=count)
        records, findings, used = result.records, counter[0], result.jobs
    wall = time.perf_counter() - started
    cpu = _cpu() - cpu_started
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": cpu,
                "rss": me.ru_maxrss * 1024,
                "rss_workers": kids.ru_maxrss * 1024,
                "records": records,
                "findings": findings,
                "workers": used,
            }
        )
    )


def _stage(mode: str, folder: Path) -> int:
    """Run one stage of the validation alone over ``folder``; return the requests read.

    ``read``: the reader's stream of requests (parse and extraction); ``scan``: the whole
    per-file scan (the reader and every check of a request on its own), without the checks
    across files that a full validation adds. Both as a single-process validation runs
    them: lines of references looked up only when a finding needs them.
    """
    from sdet_check.aaf.dtd import choose_dtd
    from sdet_check.aaf.reader import RequestStream, discover
    from sdet_check.aaf.scan import FileScan

    validator = choose_dtd(folder, None)
    records = 0
    for source in discover(folder):
        if mode == "read":
            for _ in RequestStream(source, validator, lambda *_, **__: None, locate=False):
                records += 1
        else:
            scan = FileScan(source, validator, show_values=False, locate=False)
            for _ in scan:
                pass
            records += sum(scan.requests.values())
    return records


def _cpu() -> float:
    """CPU seconds of this process and of its waited-for children (the workers)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


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


def _rounds(folder: Path, jobs: int, repeat: int) -> dict[str, list[dict[str, Any]]]:
    """Alternate the raw parse and the validations ``repeat`` times on the same set."""
    rounds: dict[str, list[dict[str, Any]]] = {"raw": [], "single": [], "parallel": []}
    for _ in range(repeat):
        rounds["raw"].append(measure("raw", folder))
        rounds["single"].append(measure("validate", folder))
        if jobs > 1:
            rounds["parallel"].append(measure("validate", folder, jobs))
    return rounds


def _spread(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):6.2f} s (min {min(values):.2f}, max {max(values):.2f})"
    )


def throughput(work: Path, size_mb: float, jobs: int, repeat: int, stages: bool = False) -> None:
    """Raw parse against validation of the same set, in the same run, ``repeat`` times."""
    folder = work / f"throughput-{size_mb:g}mb"
    print(f"\n== throughput ({size_mb:g} MB set, {repeat} rounds)", flush=True)
    size = generate_set(folder, size_mb)
    rounds = _rounds(folder, jobs, repeat)
    raw, single, parallel = rounds["raw"], rounds["single"], rounds["parallel"]
    assert all(r["records"] == raw[0]["records"] for r in raw + single + parallel), (
        "validation and raw parse disagree on requests"
    )
    for label, runs in (("raw iterparse", raw), ("validate --jobs 1", single),
                        (f"validate --jobs {jobs}", parallel)):  # fmt: skip
        if not runs:
            continue
        walls = [r["wall"] for r in runs]
        cpus = [r["cpu"] for r in runs]
        print(f"  {label:<20} wall {_spread(walls)}  {_rate(size, statistics.median(walls))}")
        print(f"  {'':<20} cpu  {_spread(cpus)}  {_rate(size, statistics.median(cpus))}")
    print(f"  {raw[0]['records']:,} requests, {single[0]['findings']} findings")
    if parallel:
        used = sorted({r["workers"] for r in parallel})
        print(
            f"  --jobs {jobs}: workers started {used} (1: one process, the load leaving no idle "
            "processor)"
        )

    def ratio(key: str, base: list[dict[str, Any]], other: list[dict[str, Any]]) -> str:
        mid = statistics.median(r[key] for r in base) / statistics.median(r[key] for r in other)
        per_round = [b[key] / o[key] for b, o in zip(base, other, strict=True)]
        return f"{mid:.2f} (per round {min(per_round):.2f} to {max(per_round):.2f})"

    print(f"  ratio validation / raw throughput, single process: wall {ratio('wall', raw, single)}"
          f", cpu {ratio('cpu', raw, single)}  (goal: at least 0.6)")  # fmt: skip
    if parallel:
        print(f"  ratio with --jobs {jobs}: wall {ratio('wall', raw, parallel)}")
        speedup = ratio("wall", single, parallel)
        print(f"  --jobs {jobs} against --jobs 1, wall: speed-up {speedup}  (goal: never below 1)")
    if stages:
        _stages(folder, raw, single, repeat)
    shutil.rmtree(folder)


def _stages(
    folder: Path, raw: list[dict[str, Any]], single: list[dict[str, Any]], repeat: int
) -> None:
    """Where a request's CPU time goes: each stage measured alone, the differences printed."""
    read = [measure("read", folder) for _ in range(repeat)]
    scan = [measure("scan", folder) for _ in range(repeat)]
    requests = raw[0]["records"]
    assert all(r["records"] == requests for r in read + scan), "a stage read other requests"
    cpu = {
        name: statistics.median(r["cpu"] for r in runs)
        for name, runs in (("raw", raw), ("read", read), ("scan", scan), ("full", single))
    }
    print(f"  CPU per request, single process (medians of {repeat} rounds):")
    steps = (
        ("raw iterparse (the baseline)", cpu["raw"]),
        ("+ reading the values (reader)", cpu["read"] - cpu["raw"]),
        ("+ checks of each request", cpu["scan"] - cpu["read"]),
        ("+ checks across files", cpu["full"] - cpu["scan"]),
    )
    for label, seconds in steps:
        print(f"    {label:<32} {seconds / requests * 1e6:6.1f} µs")
    print(f"    {'= validation':<32} {cpu['full'] / requests * 1e6:6.1f} µs; the goal of 0.6 "
          f"allows {cpu['raw'] / 0.6 / requests * 1e6:.1f} µs")  # fmt: skip


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
    parser.add_argument("--repeat", type=int, default=3, help="rounds of each measurement")
    parser.add_argument(
        "--stages", action="store_true", help="also print where a request's CPU time goes"
    )
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
            throughput(work, args.throughput_mb, args.jobs, args.repeat, args.stages)
        if args.memory_mb:
            memory(work, args.memory_mb, args.jobs)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
