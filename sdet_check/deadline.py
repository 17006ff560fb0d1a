"""Deadlines that really bound: sockets shut down from outside when their time is up.

A socket timeout only bounds the wait for the *next* byte: a server sending one byte every
few seconds is never caught by it, and a thread blocked in ``recv`` cannot be stopped from
another thread. Here a blocked read is ended the way the operating system allows: one
watchdog thread shuts the socket down (``shutdown(SHUT_RDWR)``) when its time is up, and the
read returns at once, in the probe's own thread, which then ends.

* :class:`SocketGuard`: the sockets of one probe. :meth:`SocketGuard.track` registers a
  socket, or anything holding one in ``sock`` or ``socket`` (a urllib3 connection, an ldap3
  connection); :meth:`SocketGuard.cancel` shuts all of them down and refuses new ones (the
  runner calls it when it abandons a probe, so that the probe's thread ends and frees its slot).
* :func:`bounded`: one exchange bounded in total time; when it expires, the sockets used during
  the exchange are shut down and the exchange reports itself expired.
* :class:`StalledEndpoints`: the endpoints (scheme, host, port) that already let a probe wait
  out its bound during a run; after a few stalls, later exchanges fail at once instead of
  spending every probe's time on the same dead end.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3.connection
import urllib3.connectionpool

STALLS_BEFORE_GIVING_UP = 2
"""Stalls of one endpoint after which a run stops sending to it."""


def shut_down(holder: Any) -> bool:
    """Shut down the socket of ``holder`` (a socket, or an object with ``sock``/``socket``).

    ``socket.socket.shutdown`` is called on the descriptor directly, even for a TLS socket:
    the TLS layer is left alone (it may be in use by another thread), and the blocked read
    sees the end of the stream. Returns whether a live socket was shut down.
    """
    sock = holder if isinstance(holder, socket.socket) else None
    if sock is None:
        candidate = getattr(holder, "sock", None) or getattr(holder, "socket", None)
        sock = candidate if isinstance(candidate, socket.socket) else None
        if sock is None:
            # ldap3 may hold a wrapper standing in for its socket (see probes.ldap).
            raw = getattr(candidate, "raw", None)
            sock = raw if isinstance(raw, socket.socket) else None
    if sock is None:
        return False
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        return False  # closed already, or never connected
    return True


class _Watchdog:
    """One daemon thread calling callbacks at their time (a heap of deadlines)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._cancelled: set[int] = set()
        self._pending: set[int] = set()
        self._counter = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def schedule(self, when: float, callback: Callable[[], None]) -> int:
        """Call ``callback`` at ``time.monotonic()`` value ``when``; returns a handle."""
        with self._wake:
            handle = next(self._counter)
            heapq.heappush(self._heap, (when, handle, callback))
            self._pending.add(handle)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="sdet-check-watchdog", daemon=True
                )
                self._thread.start()
            self._wake.notify()
        return handle

    def cancel(self, handle: int) -> None:
        """Forget a callback not called yet."""
        with self._wake:
            if handle in self._pending:
                self._cancelled.add(handle)

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._heap:
                    self._wake.wait()
                when, handle, callback = self._heap[0]
                delay = when - time.monotonic()
                if handle in self._cancelled:
                    heapq.heappop(self._heap)
                    self._cancelled.discard(handle)
                    self._pending.discard(handle)
                    continue
                if delay > 0:
                    self._wake.wait(delay)
                    continue
                heapq.heappop(self._heap)
                self._pending.discard(handle)
            try:
                callback()
            except Exception:  # a failing callback must not stop the watchdog
                continue


_WATCHDOG = _Watchdog()


class SocketGuard:
    """The sockets of one probe, which can be shut down from another thread.

    Holders are kept by weak reference: a closed connection that nobody holds any more is
    forgotten. Once :meth:`cancel` was called, any holder tracked later is shut down at once,
    so an abandoned probe cannot start a new exchange.
    """

    def __init__(self) -> None:
        """Start with no socket, not cancelled."""
        self._lock = threading.Lock()
        self._holders: list[weakref.ref[Any]] = []
        self._strong: list[Any] = []
        self.cancelled = threading.Event()
        """Set when the probe was abandoned: its reads are being cut."""

    def track(self, holder: Any) -> None:
        """Register a socket or a connection object (shut down at once if cancelled)."""
        with self._lock:
            self._holders = [ref for ref in self._holders if ref() is not None]
            try:
                reference = weakref.ref(holder)
            except TypeError:
                self._strong.append(holder)
            else:
                if all(ref() is not holder for ref in self._holders):
                    self._holders.append(reference)
        if self.cancelled.is_set():
            shut_down(holder)

    def holders(self) -> list[Any]:
        """Every holder still alive."""
        with self._lock:
            alive = [ref() for ref in self._holders]
            return [holder for holder in alive if holder is not None] + list(self._strong)

    def interrupt(self) -> int:
        """Shut down every tracked socket now; returns how many were live."""
        return sum(shut_down(holder) for holder in self.holders())

    def cancel(self) -> int:
        """Abandon the probe: refuse new sockets and shut down the current ones."""
        self.cancelled.set()
        return self.interrupt()


class Exchange:
    """One exchange bounded in total time (see :func:`bounded`)."""

    def __init__(self, guard: SocketGuard | None, seconds: float) -> None:
        """Keep the guard the exchange's sockets are also registered with."""
        self.guard = guard
        self.seconds = seconds
        self.expired = False
        """True when the bound passed and the exchange's sockets were shut down."""
        self._holders: list[Any] = []
        self._lock = threading.Lock()

    def use(self, holder: Any) -> None:
        """The exchange reads through ``holder``: shut it down if the bound passes."""
        with self._lock:
            if all(existing is not holder for existing in self._holders):
                self._holders.append(holder)
            expired = self.expired
        if self.guard is not None:
            self.guard.track(holder)
        if expired:
            shut_down(holder)

    def expire(self) -> None:
        """The bound passed: shut down every socket of the exchange."""
        with self._lock:
            self.expired = True
            holders = list(self._holders)
        for holder in holders:
            shut_down(holder)


_current = threading.local()


def current_exchange() -> Exchange | None:
    """The exchange running in this thread, if any (connections register with it)."""
    exchange: Exchange | None = getattr(_current, "exchange", None)
    return exchange


@contextmanager
def bounded(seconds: float, guard: SocketGuard | None = None) -> Iterator[Exchange]:
    """Run one exchange in this thread within ``seconds`` in total, whatever the peer does.

    Connections opened or used in the block register through :func:`current_exchange`
    (or explicitly with :meth:`Exchange.use`); when the time is up they are shut down and
    ``exchange.expired`` is set, so the caller can tell a cut read from a peer's close.
    """
    exchange = Exchange(guard, seconds)
    previous = current_exchange()
    _current.exchange = exchange
    handle = _WATCHDOG.schedule(time.monotonic() + max(0.0, seconds), exchange.expire)
    try:
        yield exchange
    finally:
        _WATCHDOG.cancel(handle)
        _current.exchange = previous


def endpoint_of(url: str) -> str:
    """``https://ent.example:8443/x`` → ``https://ent.example:8443``: what a stall is about."""
    parts = urlsplit(url)
    port = parts.port or {"https": 443, "http": 80, "ldaps": 636, "ldap": 389}.get(parts.scheme)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


class StalledEndpoints:
    """Endpoints that let probes wait out their bound during one run (shared by its probes)."""

    def __init__(self, threshold: int = STALLS_BEFORE_GIVING_UP) -> None:
        """Count stalls per endpoint; give up on one after ``threshold`` stalls."""
        self.threshold = threshold
        self._lock = threading.Lock()
        self._stalls: dict[str, int] = {}

    def record(self, url: str) -> None:
        """One exchange with the endpoint of ``url`` ran out of time."""
        key = endpoint_of(url)
        with self._lock:
            self._stalls[key] = self._stalls.get(key, 0) + 1

    def stalls(self, url: str) -> int:
        """How many exchanges with the endpoint of ``url`` ran out of time so far."""
        with self._lock:
            return self._stalls.get(endpoint_of(url), 0)

    def given_up(self, url: str) -> bool:
        """True once the endpoint of ``url`` stalled ``threshold`` times."""
        return self.stalls(url) >= self.threshold


# --- requests/urllib3: connections that register with the current exchange -------------


def _register(connection: Any) -> None:
    exchange = current_exchange()
    if exchange is not None:
        exchange.use(connection)


class _GuardedHTTPConnection(urllib3.connection.HTTPConnection):
    def connect(self) -> None:
        _register(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)


class _GuardedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def connect(self) -> None:
        _register(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)


class _GuardedHTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(requests.adapters.HTTPAdapter):
    """A ``requests`` adapter whose connections register with the exchange under way.

    Mounted on every session :meth:`sdet_check.probe.ProbeContext.http_session` makes (and by
    :func:`sdet_check.transport.send` on any session that lacks it), so that the watchdog of
    :func:`bounded` can shut down the socket a slow response is read from.
    """

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        """Build the pool manager, then swap in the guarded pool classes."""
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }


def guard_session(session: requests.Session) -> requests.Session:
    """Mount :class:`GuardedAdapter` for ``http://`` and ``https://`` unless already there."""
    for prefix in ("https://", "http://"):
        if not isinstance(session.adapters.get(prefix), GuardedAdapter):
            session.mount(prefix, GuardedAdapter())
    return session
