"""Properties of the LDAP wire reader (probes/_ldap_wire.py) over a real socket pair.

Whatever bytes a server answers, a bind returns an LdapResult and a paged search yields
entries, or they raise a WireError subclass (Malformed, TooLarge, Closed, Timeout), never
another exception; search results encoded with the module's own BER builders read back to
the same entries, whatever the sizes (short and long length forms).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from probes._ldap_wire import (
    _FIRST_MESSAGE_ID,
    _SEARCH_DONE,
    _SEARCH_ENTRY,
    Entry,
    LdapResult,
    SearchStats,
    WireConnection,
    WireError,
    _integer,
    _message,
    _octets,
    _tlv,
    present,
)
from tests.strategies import budget

FRAGMENTS = [
    b"\x30", b"\x02\x04\x40\x00\x00\x00", b"\x02\x01\x00", b"\x61", b"\x64", b"\x65", b"\x73",
    b"\x78", b"\x79", b"\x0a\x01\x00", b"\x0a\x01\x31", b"\x04\x00", b"\x04\x03abc", b"\x80",
    b"\x81\xff", b"\x82\x01\x00", b"\x84\xff\xff\xff\xff", b"\x85\x01\x01\x01\x01\x01", b"\x00",
    b"\x07", b"\xa0", b"\x01\x01\xff", b"HTTP/1.1 200 OK\r\n\r\n", b"\x16\x03\x01",
]  # fmt: skip
server_bytes = st.one_of(
    st.binary(max_size=120),
    st.lists(st.sampled_from(FRAGMENTS), max_size=20).map(b"".join),
)


def _connection(answer: bytes, max_message_bytes: int = 1 << 20) -> Iterator[WireConnection]:
    client, server = socket.socketpair()
    try:
        server.sendall(answer)
        server.shutdown(socket.SHUT_WR)
        yield WireConnection(
            client,
            deadline=time.monotonic() + 10,
            network_timeout=5,
            max_message_bytes=max_message_bytes,
        )
    finally:
        client.close()
        server.close()


@budget(ci=6000)
@given(server_bytes)
def test_bind_on_any_answer_gives_a_result_or_a_wire_error(answer: bytes) -> None:
    for connection in _connection(answer):
        try:
            result = connection.bind("cn=audit,dc=ent", "secret")
        except WireError as refused:
            assert str(refused)
        else:
            assert isinstance(result, LdapResult) and isinstance(result.describe(), str)


@budget(ci=4000)
@given(server_bytes, st.integers(1, 5))
def test_paged_search_on_any_answer_gives_entries_or_a_wire_error(
    answer: bytes, page_size: int
) -> None:
    for connection in _connection(answer):
        stats = SearchStats()
        try:
            for page in connection.paged_search(
                "dc=ent", present("objectClass"), ["*"], page_size=page_size, stats=stats
            ):
                assert all(isinstance(dn, str) and isinstance(a, dict) for dn, a in page)
        except WireError as refused:
            assert str(refused)


# --- round trip ------------------------------------------------------------------------------

attribute_names = st.from_regex(r"\A[a-z][a-z0-9-]{0,12}\Z")
values = st.one_of(
    st.text(max_size=10),
    # Long values take the 0x81 and 0x82 length forms.
    st.builds(str.__mul__, st.sampled_from("aé中"), st.integers(120, 400)),
)
entries = st.tuples(
    st.text(max_size=40),
    st.dictionaries(attribute_names, st.lists(values, max_size=3), max_size=4),
)


def _encode_entry(message_id: int, entry: Entry) -> bytes:
    dn, attributes = entry
    partial = b"".join(
        _tlv(0x30, _octets(name) + _tlv(0x31, b"".join(_octets(v) for v in vals)))
        for name, vals in attributes.items()
    )
    return _message(message_id, _tlv(_SEARCH_ENTRY, _octets(dn) + _tlv(0x30, partial)))


def _encode_done(message_id: int, code: int) -> bytes:
    return _message(
        message_id, _tlv(_SEARCH_DONE, _integer(code, 0x0A) + _octets("") + _octets(""))
    )


def _replaced(text: str) -> str:
    """What the reader gives back for a str: UTF-8 with replacement for lone surrogates."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


@budget(ci=150)
@given(st.lists(entries, max_size=6), st.integers(1, 8), st.sampled_from([0, 0, 4, 32, 50]))
def test_search_results_read_back_to_the_entries_sent(
    sent: list[Entry], page_size: int, code: int
) -> None:
    answer = b"".join(_encode_entry(_FIRST_MESSAGE_ID, e) for e in sent)
    answer += _encode_done(_FIRST_MESSAGE_ID, code)
    for connection in _connection(answer):
        stats = SearchStats()
        received = [
            entry
            for page in connection.paged_search(
                "dc=ent", present("objectClass"), ["*"], page_size=page_size, stats=stats
            )
            for entry in page
        ]
        expected = [
            (_replaced(dn), {name: [_replaced(v) for v in vals] for name, vals in attrs.items()})
            for dn, attrs in sent
        ]
        assert received == expected
        assert stats.result is not None and stats.result.code == code
        assert stats.entries == len(sent) and not stats.server_paged


@budget(ci=100)
@given(st.lists(entries, min_size=1, max_size=3), st.integers(0, 40))
def test_a_message_above_the_limit_is_refused(sent: list[Entry], margin: int) -> None:
    answer = b"".join(_encode_entry(_FIRST_MESSAGE_ID, e) for e in sent)
    answer += _encode_done(_FIRST_MESSAGE_ID, 0)
    biggest = max(len(_encode_entry(_FIRST_MESSAGE_ID, e)) for e in sent)
    limit = max(0, biggest - 5 - margin)  # below the content of the largest message
    for connection in _connection(answer, max_message_bytes=limit):
        with pytest.raises(WireError):
            for _page in connection.paged_search(
                "dc=ent", present("objectClass"), ["*"], page_size=10
            ):
                pass
