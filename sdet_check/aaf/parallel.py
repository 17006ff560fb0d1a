"""Scan AAF files in worker processes while the caller resolves cross-file references.

Each worker takes the next file not yet taken (larger sets keep every worker busy whatever
the sizes of their files), scans it and writes its events, in batches, to a spool file of
its own in a private temporary folder; it then says the file is done and takes another.
The caller reads the spool files in processing order, one batch at a time, and deletes each
once read: events arrive in exactly the order a single process would produce them.

Workers never wait for the caller (a bounded queue between them made a worker stop one
file ahead, and two workers were then slower than one process); memory stays bounded in
every process whatever the size of the set, and the disk holds at most the events of the
files read ahead (about an eighth of their size: the facts of each request, not its text;
measured 7.6 MB for a generated 60 MB set).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import shutil
import tempfile
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sdet_check.aaf.dtd import DtdOrigin, load_dtd
from sdet_check.aaf.model import SourceFile
from sdet_check.aaf.scan import Event, FileScan

BATCH = 1024
"""Events per pickled batch in a spool file."""

MIN_PARALLEL_BYTES = 16 * 1024 * 1024
"""Below this many bytes in the set, workers are not started: starting them (a fresh
interpreter each, importing lxml and the checks) costs more than they would save."""


@dataclass
class FileDone:
    """End of one file: requests per type and whether it was read to the end."""

    requests: dict[str, int]
    complete: bool


def usable_jobs(jobs: int, sources: list[SourceFile]) -> int:
    """How many workers to start for ``jobs`` asked: 1 (none) when they cannot help.

    Never more than the files, nor than the processors idle enough to take them (see
    :func:`_processors`), and none for a set too small to repay their start
    (:data:`MIN_PARALLEL_BYTES`). Workers cost about 40 % more CPU in all than one process
    (their start, the events written and read back): they pay only on idle processors, and
    on a busy machine one process is faster.
    """
    if jobs <= 1 or len(sources) < 2:
        return 1
    if sum(source.size for source in sources) < MIN_PARALLEL_BYTES:
        return 1
    return max(1, min(jobs, len(sources), _processors()))


def _processors() -> int:
    """Processors this process may use, less the load of the last minute (at least 1)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:  # no load average on this system
        busy = 0.0
    return max(1, min(usable, round(usable - busy)))


def _worker(
    tasks: Any, results: Any, spool: Path, dtd_path: Path, dtd_origin: DtdOrigin, show_values: bool
) -> None:
    """Scan the ``(index, file)`` received on ``tasks`` until None, spooling their events.

    Sends ``("done", index, FileDone)`` on ``results`` when a file's events are all written
    to ``spool/<index>``, or ``("error", traceback)`` if anything fails.
    """
    try:
        validator = load_dtd(dtd_path, dtd_origin)
        while (task := tasks.get()) is not None:
            index, source = task
            scan = FileScan(source, validator, show_values)
            with (spool / str(index)).open("wb") as out:
                batch: list[Event] = []
                for event in scan:
                    batch.append(event)
                    if len(batch) >= BATCH:
                        pickle.dump(batch, out, pickle.HIGHEST_PROTOCOL)
                        batch = []
                if batch:
                    pickle.dump(batch, out, pickle.HIGHEST_PROTOCOL)
            results.put(("done", index, FileDone(scan.requests, scan.complete)))
    except BaseException:  # the caller reports it as an internal error
        results.put(("error", None, traceback.format_exc()))


class WorkerError(RuntimeError):
    """A worker process failed: its traceback is the message."""


class ParallelScan:
    """Scan ``sources`` (in processing order) with ``jobs`` worker processes."""

    def __init__(
        self, sources: list[SourceFile], jobs: int, dtd_path: Path, dtd_origin: DtdOrigin,
        show_values: bool,
    ):  # fmt: skip
        """Start the workers and hand them the files, in processing order."""
        context = multiprocessing.get_context("spawn")
        self.sources = sources
        self.jobs = max(1, min(jobs, len(sources)))
        self.spool = Path(tempfile.mkdtemp(prefix="sdet-aaf-"))
        self.done: dict[int, FileDone] = {}
        self.tasks = context.Queue()
        self.results = context.Queue()
        for index, source in enumerate(sources):
            self.tasks.put((index, source))
        for _ in range(self.jobs):
            self.tasks.put(None)
        self.workers = [
            context.Process(
                target=_worker,
                args=(self.tasks, self.results, self.spool, dtd_path, dtd_origin, show_values),
                daemon=True,
            )
            for _ in range(self.jobs)
        ]
        for process in self.workers:
            process.start()

    def events(self, index: int) -> Iterator[Event | FileDone]:
        """The events of file ``index``, ending with its :class:`FileDone`."""
        while index not in self.done:
            self._wait()
        path = self.spool / str(index)
        with path.open("rb") as spooled:
            while True:
                try:
                    batch: list[Event] = pickle.load(spooled)
                except EOFError:
                    break
                yield from batch
        path.unlink()
        yield self.done.pop(index)

    def _wait(self) -> None:
        try:
            kind, index, payload = self.results.get(timeout=1.0)
        except queue.Empty:
            for process in self.workers:
                if not process.is_alive() and process.exitcode != 0:
                    message = f"le processus de lecture s'est arrêté ({process.exitcode})"
                    raise WorkerError(message) from None
            if not any(process.is_alive() for process in self.workers) and self.results.empty():
                raise WorkerError("les processus de lecture se sont arrêtés avant la fin") from None
            return
        if kind == "error":
            raise WorkerError(payload)
        self.done[index] = payload

    def close(self) -> None:
        """Stop every worker (they are done, or the caller gave up) and remove the spool."""
        for process in self.workers:
            if process.is_alive():
                process.terminate()
            process.join(timeout=5)
        for channel in (self.tasks, self.results):
            channel.close()
            channel.cancel_join_thread()
        shutil.rmtree(self.spool, ignore_errors=True)
