"""The watchdog that makes deadlines bound: sockets shut down from outside, stalls counted."""

from __future__ import annotations

import socket
import time

from sdet_check.deadline import SocketGuard, StalledEndpoints, bounded, endpoint_of


def test_a_read_blocked_past_its_bound_returns_at_once() -> None:
    reader, writer = socket.socketpair()
    with reader, writer:
        reader.settimeout(10)  # the socket's own timeout would wait 10 s
        started = time.monotonic()
        with bounded(0.3) as exchange:
            exchange.use(reader)
            data = reader.recv(10)
        assert data == b""  # the shutdown ends the read as an end of stream
        assert exchange.expired
        assert time.monotonic() - started < 2


def test_an_exchange_within_its_bound_is_left_alone() -> None:
    reader, writer = socket.socketpair()
    with reader, writer:
        with bounded(5) as exchange:
            exchange.use(reader)
            writer.sendall(b"ok")
            assert reader.recv(10) == b"ok"
        time.sleep(0.1)
        assert not exchange.expired
        writer.sendall(b"encore")
        assert reader.recv(10) == b"encore"  # the socket still works after the exchange


def test_a_cancelled_guard_cuts_current_and_later_sockets() -> None:
    guard = SocketGuard()
    first, peer = socket.socketpair()
    later, later_peer = socket.socketpair()
    with first, peer, later, later_peer:
        guard.track(first)
        assert guard.cancel() == 1
        first.settimeout(5)
        assert first.recv(10) == b""
        guard.track(later)  # an abandoned probe cannot open a new exchange
        later.settimeout(5)
        assert later.recv(10) == b""


def test_stalls_are_counted_per_endpoint() -> None:
    stalled = StalledEndpoints(threshold=2)
    stalled.record("https://ENT.example/a")
    assert not stalled.given_up("https://ent.example:443/b")
    stalled.record("https://ent.example/c")
    assert stalled.given_up("https://ent.example/")
    assert not stalled.given_up("https://ent.example:8443/")
    assert not stalled.given_up("http://ent.example/")


def test_endpoint_names_scheme_host_and_port() -> None:
    assert endpoint_of("https://ENT.example/x?y") == "https://ent.example:443"
    assert endpoint_of("ldap://annuaire.example") == "ldap://annuaire.example:389"
    assert endpoint_of("ldaps://annuaire.example:1636") == "ldaps://annuaire.example:1636"
