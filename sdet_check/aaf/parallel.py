"""Scan AAF files in worker processes while the caller resolves cross-file references.

Files are dealt round-robin to ``jobs`` workers in processing order; each worker scans its
files one after the other and sends their events in batches on its own queue. The caller
reads file *i* from worker *i mod jobs*, so events arrive in exactly the order a single
process would produce them. Queues are bounded: a worker that runs too far ahead waits,
and memory stays bounded whatever the size of the set.
"""

from __future__ import annotations

import multiprocessing
import queue
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sdet_check.aaf.dtd import DtdOrigin, load_dtd
from sdet_check.aaf.model import SourceFile
from sdet_check.aaf.scan import Event, FileScan

BATCH = 512
"""Events per message."""

QUEUE_BATCHES = 16
"""Messages a worker may queue before it waits for the caller."""


@dataclass
class FileDone:
    """End of one file: requests per type and whether it was read to the end."""

    requests: dict[str, int]
    complete: bool


def _worker(
    tasks: Any, results: Any, dtd_path: Path, dtd_origin: DtdOrigin, show_values: bool
) -> None:
    """Scan the files received on ``tasks`` until None; send their events on ``results``."""
    try:
        validator = load_dtd(dtd_path, dtd_origin)
        while (source := tasks.get()) is not None:
            scan = FileScan(source, validator, show_values)
            batch: list[Event] = []
            for event in scan:
                batch.append(event)
                if len(batch) >= BATCH:
                    results.put(("events", batch))
                    batch = []
            if batch:
                results.put(("events", batch))
            results.put(("done", FileDone(scan.requests, scan.complete)))
    except BaseException:  # the caller reports it as an internal error
        results.put(("error", traceback.format_exc()))


class WorkerError(RuntimeError):
    """A worker process failed: its traceback is the message."""


class ParallelScan:
    """Scan ``sources`` (in processing order) with ``jobs`` worker processes."""

    def __init__(
        self, sources: list[SourceFile], jobs: int, dtd_path: Path, dtd_origin: DtdOrigin,
        show_values: bool,
    ):  # fmt: skip
        """Start the workers and deal them the files."""
        context = multiprocessing.get_context("spawn")
        self.sources = sources
        self.jobs = max(1, min(jobs, len(sources)))
        self.workers: list[tuple[Any, Any, Any]] = []
        for _ in range(self.jobs):
            tasks = context.Queue()
            results = context.Queue(maxsize=QUEUE_BATCHES)
            process = context.Process(
                target=_worker,
                args=(tasks, results, dtd_path, dtd_origin, show_values),
                daemon=True,
            )
            process.start()
            self.workers.append((process, tasks, results))
        for index, source in enumerate(sources):
            self.workers[index % self.jobs][1].put(source)
        for _, tasks, _ in self.workers:
            tasks.put(None)

    def events(self, index: int) -> Iterator[Event | FileDone]:
        """The events of file ``index``, ending with its :class:`FileDone`."""
        process, _, results = self.workers[index % self.jobs]
        while True:
            try:
                kind, payload = results.get(timeout=1.0)
            except queue.Empty:
                if not process.is_alive():
                    message = f"le processus de lecture s'est arrêté ({process.exitcode})"
                    raise WorkerError(message) from None
                continue
            if kind == "events":
                yield from payload
            elif kind == "done":
                yield payload
                return
            else:
                raise WorkerError(payload)

    def close(self) -> None:
        """Stop every worker (they are done, or the caller gave up)."""
        for process, tasks, results in self.workers:
            if process.is_alive():
                process.terminate()
            process.join(timeout=5)
            tasks.close()
            results.close()
            tasks.cancel_join_thread()
            results.cancel_join_thread()
