"""Render the HTML and PDF reports of a full-grid run and compare with a baseline.

The run is synthetic but full size: every requirement of ``sdet/6.4`` decided, each with
three pieces of evidence (an HTTP exchange with headers and a 1 KB body, a header, a note),
declarations, reviews and waivers. The baseline, measured in the same process, is the JSON
serialisation of the same record (what ``--format json`` costs), so the ratios hold from one
machine to another; the absolute times depend on the machine.

A second run, demo-sized, has the demo's mix (about 70 % passing, a fifth waiting for
the auditor, a few failures and untested items); ``--demo-run run.json`` takes a real one, such
as the ``run.json`` that ``sdet-check demo`` writes. For each PDF the benchmark prints its
page count and whether it is tagged (``pdfinfo``'s ``Tagged`` line).

    python benchmarks/report_render.py [--grid sdet/6.4] [--repeat 3] [--pdf-repeat 1]
                                       [--demo-run RUN.json]

Aims: HTML under 1 s; PDF under 10 s for the full-grid run; the demo's PDF under 25 pages.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from sdet_check.api import open_grid
from sdet_check.demo.synthetic import synthetic_run
from sdet_check.reporters.html import HtmlReporter
from sdet_check.reporters.pdf import PdfReporter
from sdet_check.run import dump_run


def cpu_time() -> float:
    """CPU seconds of this process and of its finished children (the PDF layout child)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def measure(action: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Best wall time and its CPU time over ``repeat`` calls, and the last result.

    The CPU time includes the child process that lays the PDF out: on a shared machine it
    is the steadier figure, the wall time also counts the waits for a free core.
    """
    best_wall, best_cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), cpu_time()
        result = action()
        wall, cpu = time.perf_counter() - wall, cpu_time() - cpu
        if wall < best_wall:
            best_wall, best_cpu = wall, cpu
    return best_wall, best_cpu, result


def pdf_info(pdf: bytes) -> tuple[int, str]:
    """Pages and the ``Tagged`` flag of a PDF, read by poppler's pdfinfo (0, "?" without it)."""
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo is None:
        return 0, "?"
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        info = subprocess.run([pdfinfo, handle.name], capture_output=True, text=True).stdout
    pages = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    tagged = re.search(r"^Tagged:\s+(\S+)", info, re.MULTILINE)
    return (int(pages.group(1)) if pages else 0), (tagged.group(1) if tagged else "?")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", default="sdet/6.4")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pdf-repeat", type=int, default=1)
    parser.add_argument("--demo-run", help="a run.json written by `sdet-check demo`")
    args = parser.parse_args()

    record = synthetic_run(open_grid(args.grid), seed=0, name="ENT de référence (banc)")
    pieces = len(record["evidence_manifest"])
    print(
        f"run: {args.grid}, {len(record['results'])} requirements, {pieces} pieces of evidence, "
        f"{len(record['declarations'])} declarations, {len(record['reviews'])} reviews, "
        f"{len(record['waivers'])} waivers"
    )
    # Warm up: templates compiled, WeasyPrint imported (both are one-off costs per process).
    HtmlReporter().render(record)
    PdfReporter().render(synthetic_run(open_grid("sdet/6.4"), seed=1, evidence_per_requirement=0))

    # How fast this machine runs plain Python, to compare figures taken on other machines.
    loop_wall, loop_cpu, _ = measure(lambda: sum(i * i for i in range(10**7)), 1)
    print(f"machine: 10^7-step Python loop in {loop_cpu:.2f} s CPU ({loop_wall:.2f} s wall)")

    baseline = [measure(lambda: dump_run(record).encode("utf-8"), args.repeat) for _ in range(3)]
    json_wall = statistics.median(b[0] for b in baseline)
    json_bytes = len(baseline[0][2])
    html_wall, html_cpu, html = measure(lambda: HtmlReporter().render(record), args.repeat)
    pdf_wall, pdf_cpu, pdf = measure(lambda: PdfReporter().render(record), args.pdf_repeat)
    pages, tagged = pdf_info(pdf)

    print(f"{'output':<10} {'wall (s)':>9} {'cpu (s)':>8} {'size':>10} {'× json':>8}  aim")
    print(f"{'json':<10} {json_wall:>9.3f} {'':>8} {json_bytes:>10,} {1.0:>8.1f}  (baseline)")
    print(
        f"{'html':<10} {html_wall:>9.3f} {html_cpu:>8.3f} {len(html):>10,} "
        f"{html_wall / json_wall:>8.1f}  < 1 s {'ok' if html_wall < 1 else 'MISSED'}"
    )
    print(
        f"{'pdf':<10} {pdf_wall:>9.3f} {pdf_cpu:>8.3f} {len(pdf):>10,} "
        f"{pdf_wall / json_wall:>8.1f}  < 10 s {'ok' if pdf_wall < 10 else 'MISSED'}"
        f" (cpu {'ok' if pdf_cpu < 10 else 'MISSED'})"
        f"  ({pages} pages, {pdf_wall / max(pages, 1) * 1000:.0f} ms/page, tagged: {tagged})"
    )

    if args.demo_run:
        with open(args.demo_run, encoding="utf-8") as handle:
            demo = json.load(handle)
        origin = args.demo_run
    else:
        demo = synthetic_run(
            open_grid(args.grid),
            seed=3,
            name="ENT de démonstration (banc)",
            pass_share=0.93,
            undecided_share=0.7,
        )
        origin = "synthetic, the demo's mix"
    counts = Counter(entry["status"] for entry in demo["results"])
    demo_wall, demo_cpu, demo_pdf = measure(lambda: PdfReporter().render(demo), args.pdf_repeat)
    demo_pages, demo_tagged = pdf_info(demo_pdf)
    print(
        f"demo-sized run ({origin}: "
        + ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))
        + ")"
    )
    print(
        f"{'pdf demo':<10} {demo_wall:>9.3f} {demo_cpu:>8.3f} {len(demo_pdf):>10,} "
        f"{demo_wall / json_wall:>8.1f}  < 25 pages "
        f"{'ok' if 0 < demo_pages < 25 else 'MISSED'}  ({demo_pages} pages, tagged: {demo_tagged})"
    )


if __name__ == "__main__":
    main()
