"""The probe interface: what a probe receives, what it returns, what it may raise.

A probe observes the target and decides one requirement. It returns an :class:`Outcome`
(pass, fail or not applicable, always with evidence), raises :class:`NotTestable` when the
target lacks what it needs, or raises a :class:`ProbeError` when it cannot decide. Anything
else it raises is a bug in the probe; the runner records it as an ``error`` with its trace.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

import jsonschema
import requests

from sdet_check import __version__
from sdet_check.deadline import (
    Exchange,
    SocketGuard,
    StalledEndpoints,
    bounded,
    guard_session,
)
from sdet_check.messages import msg
from sdet_check.target import Target

if TYPE_CHECKING:
    from sdet_check.login import RefusedLogins

JsonValue = Any
"""A value that serialises to JSON (dict, list, str, int, float, bool, None)."""


class Status(StrEnum):
    """Result status of one requirement (DESIGN §2)."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    NOT_TESTED = "not_tested"
    ERROR = "error"
    MANUAL = "manual"


class ErrorReason(StrEnum):
    """Why a probe could not decide."""

    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    BAD_PARAMS = "bad_params"
    HOSTILE_RESPONSE = "hostile_response"
    CANNOT_DECIDE = "cannot_decide"
    PROBE_BUG = "probe_bug"
    RUN_TIMEOUT = "run_timeout"


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence: an HTTP exchange, a header, a cookie, a TLS handshake...

    ``kind`` is a short machine name (``http_exchange``, ``header``, ``cookie``, ``tls``,
    ``page``, ``note``); ``summary`` is one French sentence a reader understands;
    ``data`` holds the details as JSON-ready values.
    """

    kind: str
    summary: str
    data: Mapping[str, JsonValue] = field(default_factory=dict)

    def to_json(self) -> dict[str, JsonValue]:
        """Serialise for the run record."""
        return {"kind": self.kind, "summary": self.summary, "data": dict(self.data)}


@dataclass(frozen=True)
class Outcome:
    """What a probe decided: ``pass``, ``fail`` or ``not_applicable``, with evidence."""

    status: Status
    message: str
    evidence: tuple[Evidence, ...] = ()

    def __post_init__(self) -> None:
        """Refuse statuses that only the runner may give."""
        if self.status not in (Status.PASS, Status.FAIL, Status.NOT_APPLICABLE):
            raise ValueError(f"a probe outcome cannot be {self.status}")

    @classmethod
    def passed(cls, message: str, *evidence: Evidence) -> Outcome:
        """The requirement is met."""
        return cls(Status.PASS, message, evidence)

    @classmethod
    def failed(cls, message: str, *evidence: Evidence) -> Outcome:
        """The requirement is not met."""
        return cls(Status.FAIL, message, evidence)

    @classmethod
    def not_applicable(cls, message: str, *evidence: Evidence) -> Outcome:
        """The requirement does not apply to this target (e.g. an optional endpoint absent)."""
        return cls(Status.NOT_APPLICABLE, message, evidence)


class NotTestable(Exception):
    """The target lacks what the probe needs (a section, an account, a page): ``not_tested``."""

    def __init__(self, message: str = "", *args: object):
        """Keep the message (a catalogue :class:`~sdet_check.messages.Message` keeps its id)."""
        super().__init__(message, *args)
        self.message = message


class ProbeError(Exception):
    """The probe could not decide; the runner records an ``error`` with this reason."""

    reason: ClassVar[ErrorReason] = ErrorReason.CANNOT_DECIDE

    def __init__(self, message: str, *evidence: Evidence):
        """Keep the message and whatever evidence was gathered before the failure."""
        super().__init__(message)
        self.message = message
        self.evidence = evidence


class TargetUnreachable(ProbeError):
    """Connection refused, name not resolved, TLS handshake impossible."""

    reason = ErrorReason.UNREACHABLE


class ProbeTimeout(ProbeError):
    """The target did not answer in time."""

    reason = ErrorReason.TIMEOUT


class BadParams(ProbeError):
    """The requirement's probe params are wrong."""

    reason = ErrorReason.BAD_PARAMS


class HostileResponse(ProbeError):
    """The target sent something dangerous or absurd (XML bomb, entity, huge body)."""

    reason = ErrorReason.HOSTILE_RESPONSE


@dataclass(frozen=True)
class ProbeContext:
    """What a probe gets besides its params: the target and its time bounds.

    Every network exchange is bounded twice: by ``network_timeout`` (idle *and* total time of
    one exchange, see :meth:`bounded`) and by the probe's ``deadline``. The runner shares one
    ``stalled`` record among the probes of a run, and abandons a late probe through
    :meth:`abandon`, which shuts its sockets down so that its thread ends.
    """

    target: Target
    network_timeout: float
    deadline: float
    """``time.monotonic()`` value after which the probe is abandoned."""
    allow_writes: bool = False
    allow_cleartext_credentials: bool = False
    """Test passwords may go over plain HTTP (to the configured host only): a test platform."""
    guard: SocketGuard = field(default_factory=SocketGuard, compare=False, repr=False)
    """The probe's sockets, shut down when the probe is abandoned."""
    stalled: StalledEndpoints | None = field(default=None, compare=False, repr=False)
    """Endpoints that already ran out of time during the run (``None``: not shared)."""
    refused_logins: RefusedLogins | None = field(default=None, compare=False, repr=False)
    """Test accounts a server refused during the run, never tried again (``None``: not shared)."""

    def remaining(self) -> float:
        """Seconds left before the probe's deadline (never negative; 0 once abandoned)."""
        if self.guard.cancelled.is_set():
            return 0.0
        return max(0.0, self.deadline - time.monotonic())

    def call_timeout(self) -> float:
        """Timeout for the next network call: the network bound, cut to the deadline."""
        return max(0.1, min(self.network_timeout, self.remaining()))

    def bounded(self, seconds: float | None = None) -> AbstractContextManager[Exchange]:
        """Bound one exchange in total time (default :meth:`call_timeout`), whatever the peer.

        Sockets used in the block (``requests`` sessions of :meth:`http_session`, or any
        socket given to :meth:`Exchange.use <sdet_check.deadline.Exchange.use>`) are shut
        down when the time is up; ``exchange.expired`` then tells a cut read from a close.
        """
        limit = self.call_timeout() if seconds is None else min(seconds, self.call_timeout())
        return bounded(limit, self.guard)

    def ensure_alive(self, what: str | None = None) -> None:
        """Raise :class:`ProbeTimeout` when the probe was abandoned or its deadline passed."""
        what = what or msg("core.what.probe")
        if self.guard.cancelled.is_set():
            raise ProbeTimeout(msg("core.probe.probe_context.timeout", what=what))
        if self.deadline - time.monotonic() <= 0:
            raise ProbeTimeout(msg("core.probe.probe_context.timeout_2", what=what))

    def abandon(self) -> None:
        """Give up on the probe: shut its sockets down and refuse new ones (runner only)."""
        self.guard.cancel()

    def http_session(self) -> requests.Session:
        """A ``requests`` session set up for the target: trust anchor, no redirects by default.

        Its connections register with the exchange under way, so that
        :func:`sdet_check.transport.send` can cut a slow answer. Callers send through
        :func:`sdet_check.transport.send`, or pass ``timeout=context.call_timeout()``.
        """
        session = guard_session(requests.Session())
        session.verify = self.target.tls_verify
        session.headers["User-Agent"] = f"sdet-check/{__version__}"
        session.trust_env = False
        session.max_redirects = 10
        return session


class Probe(ABC):
    """A check that decides one kind of requirement against a live target.

    Subclasses set the class attributes and implement :meth:`check`. Probes are read-only
    against the target unless ``context.allow_writes`` is true.
    """

    kind: ClassVar[str]
    """Stable dotted name, ``family.name`` (``http.hsts``); grids refer to it."""
    title: ClassVar[str]
    """One French line saying what the probe observes."""
    needs: ClassVar[tuple[str, ...]] = ()
    """Target sections the probe needs (``portal``, ``cas``, ``accounts``...)."""
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {},
    }
    """JSON Schema of the ``params`` a grid may pass; checked when a grid is validated."""
    ends_sessions: ClassVar[str | None] = None
    """Set on a probe that logs its test accounts out, or shares a visit that does.

    Many servers spend every ticket an account holds when it logs out (django-mama-cas
    consumes them all; Apereo CAS those of the session), so a logout in one probe would
    fail another probe that was between login and validation. The runner runs such probes
    apart from every other one; probes with the same value (one shared visit) run together.
    """

    @abstractmethod
    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Observe the target and decide; see the module docstring for the contract."""


def validated_params(probe: Probe, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """Check ``params`` against ``probe.params_schema``; :class:`BadParams` lists every problem.

    Probes call it first in :meth:`Probe.check`: the runner validates grid params too, but a
    probe may be called directly (tests, scripts).
    """
    validator = jsonschema.Draft202012Validator(probe.params_schema)
    problems = sorted(validator.iter_errors(dict(params)), key=lambda error: list(error.path))
    if problems:
        details = " ; ".join(
            f"{'/'.join(map(str, error.path)) or 'params'} : {error.message}" for error in problems
        )
        raise BadParams(
            msg("core.probe.validated_params.bad_params", kind=probe.kind, details=details)
        )
    return params
