"""The runner: decide every requirement of a grid against a target.

Probes run concurrently within a bound, each with its own timeout, the whole run within a
time bound. A probe past its deadline is abandoned: its sockets are shut down (so that its
thread ends) and its slot goes to the next probe at once. The probes of a run share a record
of the endpoints that stalled, so that a dead endpoint does not eat every probe's time. No
probe exception escapes: each becomes an ``error`` result with a reason, and every
requirement that cannot run becomes ``not_tested`` with the reason.
"""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import jsonschema
import requests

from sdet_check.deadline import StalledEndpoints
from sdet_check.grid import Grid, Method, Requirement
from sdet_check.login import RefusedLogins
from sdet_check.messages import Message, msg
from sdet_check.probe import (
    ErrorReason,
    Evidence,
    NotTestable,
    Probe,
    ProbeContext,
    ProbeError,
    Status,
)
from sdet_check.redaction import clean_values, visible_controls
from sdet_check.registry import ProbeRegistry, UnknownProbeError
from sdet_check.results import RequirementResult
from sdet_check.selection import Selection
from sdet_check.target import Target

DEFAULT_MAX_WORKERS = 4

_CUT_SLACK_S = 0.25


class RunObserver(Protocol):
    """Receives progress while a run goes on (the CLI draws a progress bar from it)."""

    def run_started(self, total: int) -> None:
        """``total`` requirements are about to be decided."""

    def requirement_finished(self, result: RequirementResult) -> None:
        """One requirement was decided (in completion order, not grid order)."""


class _SilentObserver:
    def run_started(self, total: int) -> None:
        pass

    def requirement_finished(self, result: RequirementResult) -> None:
        pass


@dataclass(frozen=True)
class RunLimits:
    """Time and concurrency bounds of a run (defaults come from the target file)."""

    max_workers: int = DEFAULT_MAX_WORKERS
    probe_timeout_s: float | None = None
    run_timeout_s: float | None = None
    network_timeout_s: float | None = None


@dataclass
class _Job:
    index: int
    requirement: Requirement
    probe: type[Probe]
    params: Mapping[str, Any]
    started: float = 0.0
    deadline: float = 0.0
    started_at: str = ""
    thread: threading.Thread | None = None
    context: ProbeContext | None = None


class Runner:
    """Runs the probes of a grid against one target."""

    def __init__(
        self,
        registry: ProbeRegistry,
        *,
        limits: RunLimits | None = None,
        observer: RunObserver | None = None,
        allow_writes: bool = False,
        allow_cleartext_credentials: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Keep the registry, the bounds and the observer for the runs to come."""
        self.registry = registry
        self.limits = limits or RunLimits()
        self.observer = observer or _SilentObserver()
        self.allow_writes = allow_writes
        self.allow_cleartext_credentials = allow_cleartext_credentials
        self._clock = clock

    def run(self, grid: Grid, target: Target, selection: Selection) -> list[RequirementResult]:
        """Decide every requirement of ``grid``; results come back in grid order."""
        results: list[RequirementResult | None] = [None] * len(grid.requirements)
        jobs: deque[_Job] = deque()
        self.observer.run_started(len(grid.requirements))
        for index, requirement in enumerate(grid.requirements):
            decided = self._decide_without_probe(requirement, target, selection)
            if isinstance(decided, RequirementResult):
                results[index] = decided
                self.observer.requirement_finished(decided)
            else:
                probe, params = decided
                jobs.append(_Job(index, requirement, probe, params))
        for job_result in self._run_jobs(_session_enders_last(jobs), target):
            results[job_result[0]] = job_result[1]
            self.observer.requirement_finished(job_result[1])
        return [result for result in results if result is not None]

    # --- requirements decided without running a probe --------------------------------

    def _decide_without_probe(
        self, requirement: Requirement, target: Target, selection: Selection
    ) -> RequirementResult | tuple[type[Probe], Mapping[str, Any]]:
        rid = requirement.id
        skip = selection.reason_to_skip(requirement)
        if skip:
            return RequirementResult(
                rid, Status.NOT_TESTED, msg("runner.not_selected", reason=skip)
            )
        if not requirement.degrees & target.degrees:
            served = msg("runner.degrees." + "+".join(sorted(target.degrees)))
            wanted = msg("runner.degrees." + "+".join(sorted(requirement.degrees)))
            return RequirementResult(
                rid,
                Status.NOT_APPLICABLE,
                msg("runner.other_degree", wanted=wanted, served=served),
            )
        if not requirement.scopes & target.scopes:
            return RequirementResult(
                rid,
                Status.NOT_APPLICABLE,
                msg(
                    "runner.other_scope",
                    scopes=", ".join(sorted(requirement.scopes)),
                    target_scopes=", ".join(sorted(target.scopes)),
                ),
            )
        verification = requirement.verification
        if verification.method is Method.DECLARATION:
            return RequirementResult(rid, Status.MANUAL, msg("runner.awaiting_declaration"))
        if verification.method is Method.REVIEW:
            return RequirementResult(rid, Status.MANUAL, msg("runner.awaiting_review"))
        kind = verification.probe or ""
        try:
            probe = self.registry.get(kind)
        except UnknownProbeError:
            return RequirementResult(
                rid,
                Status.ERROR,
                msg("runner.unknown_probe", kind=kind, known=", ".join(self.registry.kinds())),
                probe=kind,
                error_reason=ErrorReason.BAD_PARAMS,
            )
        missing = [section for section in probe.needs if not target.has(section)]
        if missing:
            return RequirementResult(
                rid,
                Status.NOT_TESTED,
                msg("runner.missing_section", sections=", ".join(missing), kind=kind),
                probe=kind,
            )
        params = verification.params or {}
        validator_cls = jsonschema.validators.validator_for(probe.params_schema)
        error = jsonschema.exceptions.best_match(
            validator_cls(probe.params_schema).iter_errors(params)
        )
        if error is not None:
            return RequirementResult(
                rid,
                Status.ERROR,
                msg("runner.bad_params", kind=kind, problem=error.message),
                probe=kind,
                error_reason=ErrorReason.BAD_PARAMS,
            )
        return probe, params

    # --- probes, concurrently, within bounds ------------------------------------------

    def _run_jobs(self, jobs: deque[_Job], target: Target) -> list[tuple[int, RequirementResult]]:
        limits = self.limits
        probe_timeout = limits.probe_timeout_s or target.timeout("probe_s")
        network_timeout = limits.network_timeout_s or target.timeout("network_s")
        run_deadline = self._clock() + (limits.run_timeout_s or target.timeout("run_s"))
        finished: queue.Queue[tuple[int, RequirementResult]] = queue.Queue()
        active: dict[int, _Job] = {}
        done: list[tuple[int, RequirementResult]] = []
        stalled = StalledEndpoints()
        refused_logins = RefusedLogins()

        def may_start(job: _Job) -> bool:
            # An abandoned probe holds no slot: its sockets were shut down (ProbeContext.abandon),
            # so its thread ends on its own, and no late result of it is kept.
            if len(active) >= max(1, limits.max_workers):
                return False
            group = job.probe.ends_sessions
            return all(other.probe.ends_sessions == group for other in active.values())

        while jobs or active:
            now = self._clock()
            while jobs and may_start(jobs[0]) and now < run_deadline:
                job = jobs.popleft()
                job.started = now
                job.deadline = min(now + probe_timeout, run_deadline)
                job.started_at = datetime.now(UTC).isoformat(timespec="milliseconds")
                context = ProbeContext(
                    target=target,
                    network_timeout=network_timeout,
                    deadline=job.deadline,
                    allow_writes=self.allow_writes,
                    allow_cleartext_credentials=self.allow_cleartext_credentials,
                    stalled=stalled,
                    refused_logins=refused_logins,
                )
                job.context = context
                active[job.index] = job
                job.thread = thread = threading.Thread(
                    target=self._execute,
                    args=(job, context, finished),
                    name=f"probe-{job.requirement.id}",
                    daemon=True,  # a hung probe must not keep the process alive
                )
                thread.start()
            wait = min((job.deadline for job in active.values()), default=run_deadline) - now
            try:
                index, result = finished.get(timeout=max(0.01, min(wait, 0.5)))
                if index in active:  # results of abandoned probes arrive too late: ignored
                    job = active.pop(index)
                    if (
                        result.error_reason is ErrorReason.TIMEOUT
                        and job.deadline >= run_deadline
                        and self._clock() >= run_deadline - _CUT_SLACK_S
                    ):
                        # The transport cut the probe at its deadline, which was the run's.
                        result = replace(
                            result,
                            error_reason=ErrorReason.RUN_TIMEOUT,
                            message=msg("runner.run_bound_cut", detail=result.message),
                        )
                    done.append((index, result))
            except queue.Empty:
                pass
            now = self._clock()
            for job in [job for job in active.values() if now >= job.deadline]:
                del active[job.index]
                if job.context is not None:
                    job.context.abandon()
                reason = (
                    ErrorReason.TIMEOUT
                    if job.deadline < run_deadline
                    else (ErrorReason.RUN_TIMEOUT)
                )
                message = (
                    msg("runner.probe_timeout", seconds=f"{probe_timeout:g}")
                    if reason is ErrorReason.TIMEOUT
                    else msg("runner.run_bound_abandoned")
                )
                done.append((job.index, self._result(job, Status.ERROR, message, reason=reason)))
            if now >= run_deadline:
                while jobs:
                    job = jobs.popleft()
                    done.append(
                        (
                            job.index,
                            self._result(
                                job,
                                Status.ERROR,
                                msg("runner.run_bound_not_started"),
                                reason=ErrorReason.RUN_TIMEOUT,
                            ),
                        )
                    )
        return done

    def _execute(
        self,
        job: _Job,
        context: ProbeContext,
        finished: queue.Queue[tuple[int, RequirementResult]],
    ) -> None:
        try:
            outcome = job.probe().check(job.params, context)
            _check_serialisable(outcome.evidence)
            result = self._result(job, outcome.status, outcome.message, evidence=outcome.evidence)
        except BaseException as exc:  # errors are data: nothing escapes a probe
            result = self._result_from_exception(job, exc)
        finished.put((job.index, result))

    def _result_from_exception(self, job: _Job, exc: BaseException) -> RequirementResult:
        """Map every exception to a result, in this one place."""
        if isinstance(exc, NotTestable):
            return self._result(job, Status.NOT_TESTED, _sentence(exc.message))
        if isinstance(exc, ProbeError):
            try:
                _check_serialisable(exc.evidence)
                evidence: tuple[Evidence, ...] = exc.evidence
            except TypeError:
                evidence = ()
            return self._result(
                job, Status.ERROR, _sentence(exc.message), reason=exc.reason, evidence=evidence
            )
        if isinstance(exc, requests.Timeout | socket.timeout | TimeoutError):
            return self._result(
                job,
                Status.ERROR,
                msg("runner.target_timeout", detail=_describe(exc)),
                reason=ErrorReason.TIMEOUT,
            )
        if isinstance(exc, requests.ConnectionError | ConnectionError | socket.gaierror):
            return self._result(
                job,
                Status.ERROR,
                msg("runner.target_unreachable", detail=_describe(exc)),
                reason=ErrorReason.UNREACHABLE,
            )
        trace = "".join(traceback.format_exception(exc))
        return self._result(
            job,
            Status.ERROR,
            msg("runner.probe_bug", kind=job.probe.kind, error=f"{type(exc).__name__}: {exc}"),
            reason=ErrorReason.PROBE_BUG,
            trace=trace,
        )

    def _result(
        self,
        job: _Job,
        status: Status,
        message: str,
        *,
        reason: ErrorReason | None = None,
        evidence: tuple[Evidence, ...] = (),
        trace: str | None = None,
    ) -> RequirementResult:
        duration = (self._clock() - job.started) * 1000 if job.started else None
        return RequirementResult(
            requirement_id=job.requirement.id,
            status=status,
            # Whatever a target sent may reach a terminal, an XML or an HTML report.
            message=message.map_text(visible_controls)
            if isinstance(message, Message)
            else visible_controls(message),
            evidence=tuple(
                Evidence(piece.kind, visible_controls(piece.summary), clean_values(piece.data))
                for piece in evidence
            ),
            probe=job.probe.kind,
            error_reason=reason,
            trace=trace,
            started_at=job.started_at or None,
            duration_ms=round(duration, 1) if duration is not None else None,
        )


def _check_serialisable(evidence: tuple[Evidence, ...]) -> None:
    """Refuse evidence the run record cannot hold (a probe bug, caught here, not later)."""
    try:
        json.dumps([piece.to_json() for piece in evidence])
    except (TypeError, ValueError) as exc:
        raise TypeError(f"preuve non sérialisable en JSON : {exc}") from exc


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) < 300 else text[:297] + "…"


def _sentence(text: str) -> str:
    if isinstance(text, Message):
        return text.as_sentence()
    text = text.strip() or msg("runner.no_detail")
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def _session_enders_last(jobs: deque[_Job]) -> deque[_Job]:
    """The jobs in grid order, except that probes ending sessions come last, by group.

    With them last, every other probe has finished its logins and validations before a
    logout can spend a ticket; each group then runs alone (see ``Probe.ends_sessions``).
    """
    groups = sorted({job.probe.ends_sessions for job in jobs if job.probe.ends_sessions})
    ordered = [job for job in jobs if job.probe.ends_sessions is None]
    for group in groups:
        ordered.extend(job for job in jobs if job.probe.ends_sessions == group)
    return deque(ordered)
