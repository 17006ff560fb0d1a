"""A minimal LDAP wire client: binds and paged searches on an already open socket.

The ``ldap`` probe family lets ldap3 open the connection (TCP, LDAPS or StartTLS) and read
the rootDSE and the subschema. Binds and searches for entries go through this module:

* **Binds** of every kind through one path, results returned as data: anonymous, simple,
  and the unauthenticated bind (a DN with an empty password, RFC 4513 §5.1.2) that ldap3
  refuses to send although the probe must see what the server answers.
* **Whole-tree paged searches** (RFC 4511 §4.5, RFC 2696). ldap3 decodes every message through
  a generic ASN.1 layer and formats every value through its configuration: reading the audit's
  entries that way takes about seven times as long as ``ldapsearch``
  (``benchmarks/ldap_audit.py --ldap3``). The reader below decodes only the messages a
  search returns (``SearchResultEntry``, ``SearchResultReference``, ``SearchResultDone``)
  with a tight loop, and pipelines the pages: the next page is asked for as soon as the
  previous one has arrived, and decoded while the server prepares it.

Everything read from the server is hostile until decoded: a message longer than
``max_message_bytes`` is refused as soon as its header is read, indefinite lengths and
inner lengths that overrun their container are refused, every ``recv`` is bounded by the
network timeout cut to the caller's deadline. Strings are decoded as UTF-8 with
replacement characters, never failing on a bad byte.
"""

from __future__ import annotations

import contextlib
import math
import socket
import ssl
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass

from sdet_check.messages import msg

PAGED_RESULTS_OID = "1.2.840.113556.1.4.319"
"""The simple paged results control (RFC 2696)."""

SCOPE_SUBTREE = 2
"""The whole subtree search scope (RFC 4511 §4.5.1.2)."""

RESULT_NAMES = {
    0: "success",
    1: "operationsError",
    2: "protocolError",
    3: "timeLimitExceeded",
    4: "sizeLimitExceeded",
    7: "authMethodNotSupported",
    8: "strongerAuthRequired",
    10: "referral",
    11: "adminLimitExceeded",
    12: "unavailableCriticalExtension",
    13: "confidentialityRequired",
    32: "noSuchObject",
    34: "invalidDNSyntax",
    48: "inappropriateAuthentication",
    49: "invalidCredentials",
    50: "insufficientAccessRights",
    51: "busy",
    52: "unavailable",
    53: "unwillingToPerform",
    80: "other",
}
"""Names of the LDAP result codes a probe may meet (RFC 4511 Appendix A)."""

# Message tags (RFC 4511 §4.2 to §4.12; application class, constructed unless noted).
_BIND_REQUEST = 0x60
_BIND_RESPONSE = 0x61
_UNBIND_REQUEST = 0x42  # primitive
_ABANDON_REQUEST = 0x50  # primitive
_SEARCH_REQUEST = 0x63
_SEARCH_ENTRY = 0x64
_SEARCH_DONE = 0x65
_SEARCH_REFERENCE = 0x73
_EXTENDED_RESPONSE = 0x78
_INTERMEDIATE_RESPONSE = 0x79
_CONTROLS = 0xA0

_FIRST_MESSAGE_ID = 0x40000000  # far from the ids ldap3 uses on the same socket
_BUFFER_BYTES = 1 << 18  # the first size of the receive buffer
_MIN_READ = 1 << 15  # room left for each read: two TLS records
_MAX_PAGE_BYTES = 1 << 24
"""A page is decoded in pieces past this many bytes (a server that does not page)."""


class WireError(Exception):
    """The exchange with the server failed; subclasses say how."""


class Malformed(WireError):
    """The server sent bytes that are not the LDAP message expected."""


class TooLarge(WireError):
    """A message is longer than the reader accepts."""


class Closed(WireError):
    """The server closed the connection or announced it would (notice of disconnection)."""


class Timeout(WireError):
    """No complete answer before the deadline."""


@dataclass(frozen=True)
class LdapResult:
    """The result part of a response (RFC 4511 §4.1.9)."""

    code: int
    matched_dn: str = ""
    message: str = ""

    @property
    def name(self) -> str:
        """The result code's name (``insufficientAccessRights``), or ``code N``."""
        return RESULT_NAMES.get(self.code, f"code {self.code}")

    @property
    def ok(self) -> bool:
        """Tell whether the operation succeeded."""
        return self.code == 0

    def describe(self) -> str:
        """``49 invalidCredentials (message du serveur)``."""
        text = f"{self.code} {self.name}"
        return f"{text} ({self.message})" if self.message else text


Entry = tuple[str, dict[str, list[str]]]
"""One search result entry: its DN and its attributes, names in lower case."""


@dataclass
class SearchStats:
    """What a paged search went through, for the evidence."""

    pages: int = 0
    entries: int = 0
    references: int = 0
    bytes_read: int = 0
    server_paged: bool = False
    """The server answered with the paged results control."""
    result: LdapResult | None = None
    """The ``SearchResultDone`` of the last page."""


# --- encoding ----------------------------------------------------------------------------


def _length(size: int) -> bytes:
    if size < 0x80:
        return bytes((size,))
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes((tag,)) + _length(len(content)) + content


def _integer(value: int, tag: int = 0x02) -> bytes:
    return _tlv(tag, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


def _octets(value: str | bytes, tag: int = 0x04) -> bytes:
    return _tlv(tag, value.encode("utf-8") if isinstance(value, str) else value)


def present(attribute: str) -> bytes:
    """Filter ``(attribute=*)``."""
    return _octets(attribute, 0x87)


def equal(attribute: str, value: str) -> bytes:
    """Filter ``(attribute=value)``; the value is sent as is (no escaping needed in BER)."""
    return _tlv(0xA3, _octets(attribute) + _octets(value))


def any_of(*filters: bytes) -> bytes:
    """Filter ``(|f1 f2 ...)``."""
    return _tlv(0xA1, b"".join(filters))


def all_of(*filters: bytes) -> bytes:
    """Filter ``(&f1 f2 ...)``."""
    return _tlv(0xA0, b"".join(filters))


def negate(search_filter: bytes) -> bytes:
    """Filter ``(!f)``."""
    return _tlv(0xA2, search_filter)


def _message(message_id: int, operation: bytes, controls: bytes = b"") -> bytes:
    return _tlv(0x30, _integer(message_id) + operation + controls)


def _paged_control(size: int, cookie: bytes) -> bytes:
    value = _tlv(0x30, _integer(size) + _octets(cookie))
    # Not critical: a server without paging answers in one go, within its own size limit.
    return _tlv(_CONTROLS, _tlv(0x30, _octets(PAGED_RESULTS_OID) + _octets(value)))


# --- decoding ----------------------------------------------------------------------------


def _long_length(data: bytes | bytearray, pos: int) -> tuple[int, int]:
    """Decode a long-form length whose first byte is at ``pos``; refuse indefinite forms."""
    count = data[pos] & 0x7F
    if count == 0:
        raise Malformed(msg("ldap.wire.long_length.malformed"))
    if count > 4:
        raise TooLarge(msg("ldap.wire.long_length.too_large", count=count))
    start = pos + 1
    return start + count, int.from_bytes(data[start : start + count], "big")


def _read_tlv(data: bytes | bytearray, pos: int, end: int) -> tuple[int, int, int]:
    """Return ``(tag, content start, content end)`` of the TLV at ``pos``, inside ``end``."""
    if pos + 2 > end:
        raise Malformed(msg("ldap.wire.read_tlv.malformed"))
    tag = data[pos]
    size = data[pos + 1]
    start = pos + 2
    if size & 0x80:
        start, size = _long_length(data, pos + 1)
    stop = start + size
    if stop > end:
        raise Malformed(msg("ldap.wire.read_tlv.malformed_2"))
    return tag, start, stop


def _read_int(data: bytes | bytearray, pos: int, end: int) -> tuple[int, int]:
    tag, start, stop = _read_tlv(data, pos, end)
    if tag not in (0x02, 0x0A) or not 0 < stop - start <= 8:
        raise Malformed(msg("ldap.wire.read_int.malformed", tag=f"{tag:02x}"))
    return int.from_bytes(data[start:stop], "big", signed=True), stop


def _read_text(data: bytes | bytearray, pos: int, end: int) -> tuple[str, int]:
    _tag, start, stop = _read_tlv(data, pos, end)
    return data[start:stop].decode("utf-8", "replace"), stop


def _parse_result(data: bytes | bytearray, pos: int, end: int) -> LdapResult:
    code, pos = _read_int(data, pos, end)
    matched, pos = _read_text(data, pos, end)
    message, pos = _read_text(data, pos, end)
    return LdapResult(code, matched, message)


def _paged_cookie(data: bytes | bytearray, pos: int, end: int) -> bytes | None:
    """Return the cookie of the paged results control among ``controls``, or ``None``."""
    _tag, pos, end = _read_tlv(data, pos, end)  # Controls ::= SEQUENCE OF Control
    while pos < end:
        _tag, inner, stop = _read_tlv(data, pos, end)
        oid, inner = _read_text(data, inner, stop)
        if inner < stop and data[inner] == 0x01:  # criticality BOOLEAN
            inner = _read_tlv(data, inner, stop)[2]
        if oid == PAGED_RESULTS_OID and inner < stop:
            _tag, value, value_end = _read_tlv(data, inner, stop)
            _tag, seq, seq_end = _read_tlv(data, value, value_end)
            _size, seq = _read_int(data, seq, seq_end)
            _tag, cookie, cookie_end = _read_tlv(data, seq, seq_end)
            return bytes(data[cookie:cookie_end])
        pos = stop
    return None


def _parse_entry(b: bytes, names: dict[bytes, str]) -> Entry:
    """Decode the content of a ``SearchResultEntry``, ``b`` (a copy of its bytes alone).

    The hot loop of a whole-tree audit: positions stay small (Python keeps its small integers,
    and does not make new ones at each step), short lengths (and the one- and two-byte long
    forms of the DN and of the attribute list) are read inline, single values (most of them)
    take a shorter path, and every element is checked against its container only once, at
    the end, by position.
    """
    end = len(b)
    size = b[1]
    if size < 0x80:
        p = 2
    elif size == 0x81:
        size = b[2]
        p = 3
    else:
        p, size = _long_length(b, 1)
    dn = b[p : p + size].decode("utf-8", "replace")
    p += size
    size = b[p + 1]  # PartialAttributeList ::= SEQUENCE OF
    if size < 0x80:
        p += 2
    elif size == 0x81:
        p += 3
    elif size == 0x82:
        p += 4
    else:
        p = _long_length(b, p + 1)[0]
    attributes: dict[str, list[str]] = {}
    while p < end:
        size = b[p + 1]  # PartialAttribute ::= SEQUENCE
        if size < 0x80:
            p += 2
        else:
            p, size = _long_length(b, p + 1)
        attribute_end = p + size
        size = b[p + 1]  # type
        if size < 0x80:
            p += 2
        else:
            p, size = _long_length(b, p + 1)
        raw_name = b[p : p + size]
        name = names.get(raw_name)
        if name is None:
            name = names[raw_name] = raw_name.decode("utf-8", "replace").lower()
        p += size
        size = b[p + 1]  # vals SET OF
        if size < 0x80:
            p += 2
        else:
            p = _long_length(b, p + 1)[0]
        if p < attribute_end:
            size = b[p + 1]
            if size < 0x80:
                p += 2
            else:
                p, size = _long_length(b, p + 1)
            values = [b[p : p + size].decode("utf-8", "replace")]
            p += size
            while p < attribute_end:
                size = b[p + 1]
                if size < 0x80:
                    p += 2
                else:
                    p, size = _long_length(b, p + 1)
                values.append(b[p : p + size].decode("utf-8", "replace"))
                p += size
        else:
            values = []
        if p != attribute_end:
            raise Malformed(msg("ldap.wire.parse_entry.malformed"))
        if name in attributes:
            attributes[name].extend(values)
        else:
            attributes[name] = values
    if p != end:
        raise Malformed(msg("ldap.wire.parse_entry.malformed_2"))
    return dn, attributes


# --- the connection ----------------------------------------------------------------------


class WireConnection:
    """LDAP messages over an already connected (and, when wanted, TLS-wrapped) socket.

    The caller owns the socket; this object only reads and writes LDAP messages on it,
    each ``recv`` bounded by ``network_timeout`` cut to ``deadline`` (a ``time.monotonic()``
    value), each message bounded by ``max_message_bytes``.
    """

    def __init__(
        self,
        sock: socket.socket,
        *,
        deadline: float,
        network_timeout: float,
        max_message_bytes: int,
    ) -> None:
        """Wrap ``sock``; nothing is sent yet."""
        self._sock = sock
        self.deadline = deadline
        self.network_timeout = network_timeout
        self.max_message_bytes = max_message_bytes
        self._buffer = bytearray(_BUFFER_BYTES)
        self._view = memoryview(self._buffer)
        self._pos = 0
        """The first byte of the buffer not consumed yet."""
        self._end = 0
        """The first byte of the buffer not received yet."""
        self._next_id = _FIRST_MESSAGE_ID
        self._names: dict[bytes, str] = {}
        self._abandoned: set[int] = set()
        self.bytes_read = 0

    # -- operations

    def bind(self, dn: str, password: str) -> LdapResult:
        """Send a simple bind, empty password allowed, and return the server's result."""
        message_id = self._send(
            _tlv(_BIND_REQUEST, _integer(3) + _octets(dn) + _octets(password, 0x80))
        )
        tag, start, stop, _end = self._next_message(message_id)
        if tag != _BIND_RESPONSE:
            raise Malformed(msg("ldap.wire.wire_connection.malformed", tag=f"{tag:02x}"))
        return _parse_result(self._buffer, start, stop)

    def unbind(self) -> None:
        """Say goodbye (RFC 4511 §4.3); errors are ignored, the socket is closed next."""
        with contextlib.suppress(OSError):
            self._sock.sendall(_message(self._take_id(), _tlv(_UNBIND_REQUEST, b"")))

    def paged_search(
        self,
        base: str,
        search_filter: bytes,
        attributes: Sequence[str],
        *,
        page_size: int,
        scope: int = SCOPE_SUBTREE,
        stats: SearchStats | None = None,
        stop_after: int | None = None,
    ) -> Generator[list[Entry], None, None]:
        """Yield the entries of a paged search, one list per page.

        Pages are pipelined: as soon as a page's ``SearchResultDone`` (and its cookie) has
        arrived, the next page is asked for, and the entries already received are decoded
        while the server prepares it. Stops after the last page (empty cookie) or when the
        server does not page. The result of each ``SearchResultDone`` is kept in
        ``stats.result``; a non-success result ends the iteration, and the caller decides
        what it means.

        A page longer than ``page_size`` entries or :data:`_MAX_PAGE_BYTES` (a server that
        does not page) is yielded in pieces of about that size, so that the caller's bounds
        apply before the rest arrives. No further page is asked for once ``stats.entries``
        is above ``stop_after``: the caller, seeing it above, knows that the search did not
        end.
        """
        stats = stats if stats is not None else SearchStats()
        requested = _tlv(0x30, b"".join(_octets(name) for name in attributes))

        def ask(cookie: bytes) -> int:
            time_limit = max(1, math.ceil(self.deadline - time.monotonic()))
            request = _tlv(
                _SEARCH_REQUEST,
                _octets(base)
                + _integer(scope, 0x0A)
                + _integer(0, 0x0A)  # derefAliases: neverDerefAliases
                + _integer(0)  # sizeLimit: none asked, the caller bounds the count
                + _integer(time_limit)
                + _tlv(0x01, b"\x00")  # typesOnly FALSE
                + search_filter
                + requested,
            )
            return self._send(request, _paged_control(page_size, cookie))

        message_id = ask(b"")
        outstanding = True
        try:
            while True:
                framed = self._frame_page(message_id, stats, page_size)
                stats.bytes_read = self.bytes_read
                result, cookie = framed.result, framed.cookie
                if result is not None:
                    received = stats.entries + len(framed.spans)
                    outstanding = (
                        result.ok
                        and bool(cookie)
                        and (stop_after is None or received <= stop_after)
                    )
                    if outstanding:
                        message_id = ask(cookie or b"")
                page = self._decode(framed)
                stats.entries += len(page)
                if result is not None:
                    stats.pages += 1
                    stats.result = result
                    stats.server_paged = stats.server_paged or cookie is not None
                yield page
                if not outstanding:
                    return
        finally:
            if outstanding:
                # Stopped early (bound reached, caller satisfied): the page already asked for
                # is abandoned and whatever the server still sends for it is skipped.
                self._abandon(message_id)

    # -- plumbing

    def _take_id(self) -> int:
        message_id = self._next_id
        self._next_id += 1
        return message_id

    def _send(self, operation: bytes, controls: bytes = b"") -> int:
        message_id = self._take_id()
        self._settimeout()
        try:
            self._sock.sendall(_message(message_id, operation, controls))
        except TimeoutError as exc:
            raise Timeout(msg("ldap.wire.wire_connection.timeout")) from exc
        except OSError as exc:
            raise Closed(msg("ldap.wire.wire_connection.closed", exc=exc)) from exc
        return message_id

    def _abandon(self, message_id: int) -> None:
        """Abandon a request (RFC 4511 §4.11); its late answers will be skipped."""
        self._abandoned.add(message_id)
        with contextlib.suppress(OSError):
            self._sock.sendall(_message(self._take_id(), _integer(message_id, _ABANDON_REQUEST)))

    def _settimeout(self) -> None:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise Timeout(msg("ldap.wire.wire_connection.timeout_2"))
        timeout = min(self.network_timeout, remaining)
        # Setting a timeout is a system call: skipped when the socket already has this one
        # (every read of a long scan, until the deadline comes within one network timeout).
        if self._sock.gettimeout() != timeout:
            self._sock.settimeout(timeout)

    def _fill(self, keep: int) -> int:
        """Receive more bytes after ``_end``, keeping those from ``keep`` on.

        Returns by how much the kept bytes moved towards the start of the buffer: positions
        at or after ``keep`` held by the caller must be lowered by as much (``_pos`` and
        ``_end`` are). The buffer grows only when what must be kept fills it, so by one
        page and one message at most, each bounded by the caller.
        """
        buffer, end = self._buffer, self._end
        shift = 0
        if len(buffer) - end < _MIN_READ:
            kept = end - keep
            if kept + _MIN_READ > len(buffer) // 2:
                grown = bytearray(max(2 * len(buffer), kept + _MIN_READ))
                grown[:kept] = self._view[keep:end]
                buffer = self._buffer = grown
                self._view = memoryview(grown)
            else:
                # A copy first: the two ranges may overlap.
                buffer[:kept] = buffer[keep:end]
            shift, end = keep, kept
            self._pos -= keep
            self._end = end
        self._settimeout()
        try:
            received = self._sock.recv_into(self._view[end:], len(buffer) - end)
        except TimeoutError as exc:
            raise Timeout(msg("ldap.wire.wire_connection.timeout_3")) from exc
        except ssl.SSLError as exc:
            raise Closed(msg("ldap.wire.wire_connection.closed_2", exc=exc)) from exc
        except OSError as exc:
            raise Closed(msg("ldap.wire.wire_connection.closed_3", exc=exc)) from exc
        if not received:
            raise Closed(msg("ldap.wire.wire_connection.closed_4"))
        self.bytes_read += received
        self._end = end + received
        return shift

    def _frame(self) -> tuple[int, int] | None:
        """Return ``(content start, end)`` of the complete message at the cursor, if any."""
        buffer, pos = self._buffer, self._pos
        available = self._end - pos
        if available < 2:
            return None
        if buffer[pos] != 0x30:
            raise Malformed(
                msg("ldap.wire.wire_connection.malformed_2", buffer=f"{buffer[pos]:02x}")
            )
        size = buffer[pos + 1]
        start = pos + 2
        if size & 0x80:
            if available < 2 + (size & 0x7F):
                return None
            start, size = _long_length(buffer, pos + 1)
        if size > self.max_message_bytes:
            raise TooLarge(
                msg(
                    "ldap.wire.wire_connection.too_large",
                    size=size,
                    max_message_bytes=self.max_message_bytes,
                )
            )
        end = start + size
        return (start, end) if end <= self._end else None

    def _next_message(self, message_id: int) -> tuple[int, int, int, int]:
        """Wait for the next message; return ``(tag, op start, op end, message end)``.

        The cursor moves past the message; the positions are valid until the next read. A
        notice of disconnection raises :class:`Closed`.
        """
        while True:
            frame = self._frame()
            if frame is None:
                self._fill(self._pos)
                continue
            start, end = frame
            received_id, pos = _read_int(self._buffer, start, end)
            tag, op_start, op_end = _read_tlv(self._buffer, pos, end)
            self._pos = end
            if received_id == 0 and tag == _EXTENDED_RESPONSE:
                notice = _parse_result(self._buffer, op_start, op_end)
                raise Closed(msg("ldap.wire.wire_connection.closed_5", describe=notice.describe()))
            if received_id in self._abandoned:
                continue
            if received_id != message_id:
                raise Malformed(
                    msg(
                        "ldap.wire.wire_connection.malformed_3",
                        received_id=received_id,
                        message_id=message_id,
                    )
                )
            return tag, op_start, op_end, end

    def _frame_page(self, message_id: int, stats: SearchStats, most: int) -> _Framed:
        """Receive one page up to its ``SearchResultDone`` without decoding the entries.

        Stops early, the page unfinished, once more than ``most`` entries or
        :data:`_MAX_PAGE_BYTES` bytes are waiting: a server that does not page (or pages
        more than asked) is then decoded in pieces, each bounded.
        """
        spans: list[tuple[int, int]] = []
        append = spans.append
        page = self._pos
        own_id = _integer(message_id)
        entry_at = len(own_id)
        limit = self.max_message_bytes
        while True:
            # The common messages (this search's entries) are framed inline; anything else
            # goes through the general path below, with every check.
            buffer, pos, end = self._buffer, self._pos, self._end
            while end - pos >= 2:
                if buffer[pos] != 0x30:
                    raise Malformed(
                        msg("ldap.wire.wire_connection.malformed_2", buffer=f"{buffer[pos]:02x}")
                    )
                size = buffer[pos + 1]
                if size < 0x80:
                    start = pos + 2
                elif size == 0x82 and end - pos >= 4:
                    size = buffer[pos + 2] << 8 | buffer[pos + 3]
                    start = pos + 4
                else:
                    if end - pos < 2 + (size & 0x7F):
                        break
                    start, size = _long_length(buffer, pos + 1)
                if size > limit:
                    raise TooLarge(
                        msg("ldap.wire.wire_connection.too_large_2", size=size, limit=limit)
                    )
                stop = start + size
                if stop > end:
                    break
                op = start + entry_at
                if op + 2 <= stop and buffer[op] == _SEARCH_ENTRY and buffer[start:op] == own_id:
                    size = buffer[op + 1]
                    if size < 0x80:
                        op_start = op + 2
                    elif size == 0x82 and op + 4 <= stop:
                        size = buffer[op + 2] << 8 | buffer[op + 3]
                        op_start = op + 4
                    else:
                        op_start, size = _long_length(buffer, op + 1)
                    if op_start + size > stop:
                        raise Malformed(msg("ldap.wire.read_tlv.malformed_2"))
                    append((op_start - page, op_start + size - page))
                    pos = stop
                    if len(spans) > most:
                        break
                    continue
                self._pos = pos
                done = self._other_message(message_id, start, stop, stats, spans, page)
                if done is not None:
                    return _Framed(spans, page, *done)
                pos = self._pos
            self._pos = pos
            if len(spans) > most or pos - page > _MAX_PAGE_BYTES:
                return _Framed(spans, page, None, None)
            if not spans:
                page = pos
            page -= self._fill(page)

    def _other_message(
        self,
        message_id: int,
        start: int,
        stop: int,
        stats: SearchStats,
        spans: list[tuple[int, int]],
        page: int,
    ) -> tuple[LdapResult, bytes | None] | None:
        """Handle a message of a page the inline path left; the page's result when it ends it."""
        buffer = self._buffer
        received_id, pos = _read_int(buffer, start, stop)
        tag, op_start, op_end = _read_tlv(buffer, pos, stop)
        self._pos = stop
        if received_id != message_id:
            if received_id == 0 and tag == _EXTENDED_RESPONSE:
                notice = _parse_result(buffer, op_start, op_end)
                raise Closed(msg("ldap.wire.wire_connection.closed_5", describe=notice.describe()))
            if received_id not in self._abandoned:
                raise Malformed(
                    msg(
                        "ldap.wire.wire_connection.malformed_3",
                        received_id=received_id,
                        message_id=message_id,
                    )
                )
            return None  # a late answer to an abandoned page: skipped
        if tag == _SEARCH_DONE:
            result = _parse_result(buffer, op_start, op_end)
            cookie = None
            if op_end < stop and buffer[op_end] == _CONTROLS:
                cookie = _paged_cookie(buffer, op_end, stop)
            return result, cookie
        if tag == _SEARCH_ENTRY:
            spans.append((op_start - page, op_end - page))
        elif tag == _SEARCH_REFERENCE:
            stats.references += 1
        elif tag != _INTERMEDIATE_RESPONSE:
            raise Malformed(msg("ldap.wire.wire_connection.malformed_4", tag=f"{tag:02x}"))
        return None

    def _decode(self, framed: _Framed) -> list[Entry]:
        """Decode the entries of a framed page (their bytes may be overwritten afterwards)."""
        # One copy of the page as bytes: slices of it are hashable (attribute names).
        data = bytes(self._view[framed.start : self._pos])
        names = self._names
        try:
            return [_parse_entry(data[start:end], names) for start, end in framed.spans]
        except IndexError as exc:
            raise Malformed(msg("ldap.wire.wire_connection.malformed_5")) from exc


@dataclass
class _Framed:
    """A page received but not decoded: where its entries are, how it ended."""

    spans: list[tuple[int, int]]
    """Each entry's ``SearchResultEntry`` content, relative to ``start``."""
    start: int
    """Where the page's bytes start in the buffer."""
    result: LdapResult | None
    """The ``SearchResultDone`` result; ``None`` while the page goes on (a piece of it)."""
    cookie: bytes | None
    """The paged results cookie; ``None`` when the server did not page."""
