"""Benchmark the start of the command line: ``sdet-check --help`` against ``python -c pass``.

    python benchmarks/cli_startup.py               # 15 rounds of each
    python benchmarks/cli_startup.py --rounds 5

Both commands run in fresh processes, alternated, in the same run; the median wall time of
each and their ratio are printed. The command line is run as ``python -m sdet_check`` from
this checkout (``PYTHONPATH``), so the figure is this code's, not an installed copy's. The
target is under 0.3 s on an idle machine; the ratio is what stays comparable between
machines.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _wall(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env, cwd=ROOT)
    return time.perf_counter() - started


def main() -> None:
    """Measure, then print the medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="runs of each command")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    baseline = [sys.executable, "-c", "pass"]
    help_command = [sys.executable, "-m", "sdet_check", "--help"]
    _wall(help_command, env)  # warm the file cache and the bytecode
    bare, cli = [], []
    for _ in range(args.rounds):
        bare.append(_wall(baseline, env))
        cli.append(_wall(help_command, env))
    bare_s, cli_s = statistics.median(bare), statistics.median(cli)
    print(f"load average : {os.getloadavg()[0]:.2f}")
    print(f"python -c pass         : {bare_s * 1000:6.0f} ms (médiane de {args.rounds})")
    print(f"sdet-check --help      : {cli_s * 1000:6.0f} ms (médiane de {args.rounds})")
    print(f"ratio --help / pass    : {cli_s / bare_s:6.2f}")
    print(f"surcoût de sdet-check  : {(cli_s - bare_s) * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
