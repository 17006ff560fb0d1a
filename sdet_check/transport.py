"""HTTP for probes: one request at a time, bodies bounded, ``requests`` errors translated.

Every HTTP probe family (http, cas, saml) sends through :func:`send`: no redirect is followed
silently; the whole exchange takes at most the network bound cut to the probe's deadline, a
watchdog shutting the socket down when a server drips (:mod:`sdet_check.deadline`); the body
is read up to :data:`MAX_BODY_BYTES` (decompressed), header fields up to
:data:`MAX_HEADER_VALUE_BYTES`; and each failure becomes the
:class:`~sdet_check.probe.ProbeError` subclass the runner records (unreachable, timeout,
hostile response).
"""

from __future__ import annotations

import codecs
import http.client
import re
from typing import Any

import requests
import urllib3.exceptions
from urllib3.exceptions import ReadTimeoutError

from sdet_check.deadline import endpoint_of, guard_session
from sdet_check.evidence import note
from sdet_check.messages import msg
from sdet_check.probe import (
    HostileResponse,
    ProbeContext,
    ProbeError,
    ProbeTimeout,
    TargetUnreachable,
)

MAX_BODY_BYTES = 2 * 1024 * 1024
"""Largest response body a probe reads; beyond it the response is hostile."""

MAX_HEADER_VALUE_BYTES = 16 * 1024
"""Longest header field value a probe accepts (browsers cap a cookie at 4 KB)."""

MAX_HEADERS_BYTES = 64 * 1024
"""Most header bytes (names and values) a probe accepts in one response."""

_CHUNK_BYTES = 64 * 1024
_CAUSE = re.compile(r"\[(?:Errno -?\d+|SSL: [A-Z_]+)\] [^'\"()]+")


def send(
    session: requests.Session, method: str, url: str, context: ProbeContext, **kwargs: Any
) -> requests.Response:
    """One request without redirects, body read and bounded; ``requests`` errors translated.

    The whole exchange (connection, headers, body) takes at most ``context.call_timeout()``
    seconds, however slowly the server sends: past it the socket is shut down and
    :class:`~sdet_check.probe.ProbeTimeout` is raised. An endpoint that already stalled
    :data:`~sdet_check.deadline.STALLS_BEFORE_GIVING_UP` times in the run is not asked again.
    ``kwargs`` go to :meth:`requests.Session.request` (``data``, ``params``, ``headers``...).
    """
    context.ensure_alive(url)
    stalled = context.stalled
    if stalled is not None and stalled.given_up(url):
        raise ProbeTimeout(
            msg(
                "core.transport.send.timeout",
                endpoint_of=endpoint_of(url),
                stalls=stalled.stalls(url),
                url=url,
            )
        )
    guard_session(session)
    timeout = context.call_timeout()
    with context.bounded(timeout) as exchange:
        try:
            response = _request(session, method, url, context, timeout, kwargs)
        except ProbeError as error:
            abandoned = context.guard.cancelled.is_set()
            timed_out = exchange.expired or isinstance(error, ProbeTimeout)
            if stalled is not None and timed_out and not abandoned:
                stalled.record(url)
            if exchange.expired or abandoned:
                raise _cut(url, timeout, context) from error
            raise
        if exchange.expired or context.guard.cancelled.is_set():
            # A body without Content-Length ends when the socket does: cut, not complete.
            if stalled is not None and not context.guard.cancelled.is_set():
                stalled.record(url)
            raise _cut(url, timeout, context)
    return response


def _cut(url: str, timeout: float, context: ProbeContext) -> ProbeTimeout:
    if context.guard.cancelled.is_set():
        return ProbeTimeout(msg("core.transport.cut.timeout", url=url))
    return ProbeTimeout(msg("core.transport.cut.timeout_2", url=url, timeout=f"{timeout:.1f}"))


def _request(
    session: requests.Session,
    method: str,
    url: str,
    context: ProbeContext,
    timeout: float,
    kwargs: dict[str, Any],
) -> requests.Response:
    try:
        response = session.request(
            method, url, timeout=timeout, allow_redirects=False, stream=True, **kwargs
        )
        try:
            check_headers(response)
            _known_encoding(response)
            read_bounded(response, context)
        finally:
            response.close()
    except requests.exceptions.Timeout as exc:
        raise ProbeTimeout(
            msg("core.transport.request.timeout", url=url, timeout=f"{timeout:.1f}")
        ) from exc
    except requests.exceptions.SSLError as exc:
        raise TargetUnreachable(
            msg("core.transport.request.unreachable", url=url, cause=cause(exc))
        ) from exc
    except requests.exceptions.ConnectionError as exc:
        if exc.args and isinstance(exc.args[0], ReadTimeoutError):
            # A read timeout while streaming the body surfaces as ConnectionError.
            raise ProbeTimeout(
                msg("core.transport.request.timeout", url=url, timeout=f"{timeout:.1f}")
            ) from exc
        malformed = _malformed_head(exc)
        if malformed:
            raise HostileResponse(
                msg("core.transport.request.hostile", url=url, malformed=malformed),
                note(msg("core.transport.ev.request.note"), url=url, problem=malformed),
            ) from exc
        raise TargetUnreachable(
            msg("core.transport.request.unreachable_2", url=url, cause=cause(exc))
        ) from exc
    except requests.exceptions.ChunkedEncodingError as exc:
        raise TargetUnreachable(
            msg("core.transport.request.unreachable_3", url=url, cause=cause(exc))
        ) from exc
    except requests.exceptions.ContentDecodingError as exc:
        raise HostileResponse(
            msg("core.transport.request.hostile_2", url=url, cause=cause(exc))
        ) from exc
    except TimeoutError as exc:
        raise ProbeTimeout(
            msg("core.transport.request.timeout", url=url, timeout=f"{timeout:.1f}")
        ) from exc
    except requests.exceptions.RequestException as exc:
        raise ProbeError(msg("core.transport.request.error", url=url, cause=cause(exc))) from exc
    except (http.client.HTTPException, urllib3.exceptions.HTTPError) as exc:
        raise HostileResponse(
            msg("core.transport.request.hostile_3", url=url, cause=cause(exc))
        ) from exc
    except ValueError as exc:
        # requests parses a Location even when it does not follow it: "Invalid IPv6 URL"...
        raise HostileResponse(
            msg("core.transport.request.hostile_4", url=url, detail=str(exc)[:200]),
            note(msg("core.transport.ev.request.note_2"), url=url, problem=str(exc)[:200]),
        ) from exc
    except OSError as exc:
        raise TargetUnreachable(
            msg("core.transport.request.unreachable_4", url=url, cause=cause(exc))
        ) from exc
    return response


def check_headers(response: requests.Response) -> None:
    """Refuse a response whose header fields are absurdly long (a token meant to choke a reader).

    Bounds: :data:`MAX_HEADER_VALUE_BYTES` per field value, :data:`MAX_HEADERS_BYTES` in all.
    """
    url = response.url
    total = 0
    for name, value in _raw_header_items(response):
        size = len(name) + len(value)
        total += size
        if len(value) > MAX_HEADER_VALUE_BYTES:
            raise HostileResponse(
                msg(
                    "core.transport.check_headers.hostile",
                    url=url,
                    name=name[:60],
                    count=len(value),
                    max_header_value_bytes=MAX_HEADER_VALUE_BYTES,
                ),
                note(
                    msg("core.transport.ev.check_headers.note"),
                    url=url,
                    header=name[:60],
                    length=len(value),
                    start=value[:80],
                ),
            )
    if total > MAX_HEADERS_BYTES:
        raise HostileResponse(
            msg(
                "core.transport.check_headers.hostile_2",
                url=url,
                total=total,
                max_headers_bytes=MAX_HEADERS_BYTES,
            ),
            note(msg("core.transport.ev.check_headers.note_2"), url=url, length=total),
        )


def _known_encoding(response: requests.Response) -> None:
    """A charset Python does not know (``charset=x-hostile``) is read as UTF-8, not trusted."""
    if response.encoding:
        try:
            codecs.lookup(response.encoding)
        except (LookupError, ValueError):
            response.encoding = "utf-8"


def _raw_header_items(response: requests.Response) -> list[tuple[str, str]]:
    raw_headers = getattr(response.raw, "headers", None)
    if raw_headers is not None and hasattr(raw_headers, "iteritems"):
        return [(str(name), str(value)) for name, value in raw_headers.iteritems()]
    return [(str(name), str(value)) for name, value in response.headers.items()]


def _malformed_head(exc: BaseException) -> str | None:
    """Name the problem when ``http.client`` refused the status line or the headers."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        item = pending.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, http.client.LineTooLong):
            return f"ligne trop longue ({item})"
        if isinstance(item, http.client.HTTPException) and "more than" in str(item):
            return f"trop d'en-têtes ({item})"
        if isinstance(item, http.client.BadStatusLine):
            return f"ligne de statut invalide ({str(item)[:80]!r})"
        pending.extend(arg for arg in item.args if isinstance(arg, BaseException))
        linked = (item.__cause__, item.__context__, getattr(item, "reason", None))
        pending.extend(link for link in linked if isinstance(link, BaseException))
    return None


def get(session: requests.Session, url: str, context: ProbeContext) -> requests.Response:
    """One GET through :func:`send`."""
    return send(session, "GET", url, context)


def read_bounded(response: requests.Response, context: ProbeContext) -> None:
    """Read the body into ``response`` (so ``.content`` works) or refuse it past the bound."""
    url = response.url
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HostileResponse(
            msg(
                "core.transport.read_bounded.hostile",
                url=url,
                number=int(declared),
                max_body_bytes=MAX_BODY_BYTES,
            ),
            note(msg("core.transport.ev.read_bounded.note"), url=url, declared_bytes=int(declared)),
        )
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(_CHUNK_BYTES):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise HostileResponse(
                msg(
                    "core.transport.read_bounded.hostile_2", url=url, max_body_bytes=MAX_BODY_BYTES
                ),
                note(msg("core.transport.ev.read_bounded.note"), url=url, read_bytes=size),
            )
        context.ensure_alive(f"{url} : corps de réponse non reçu")
        chunks.append(chunk)
    response._content = b"".join(chunks)


def header_values(response: requests.Response, name: str) -> list[str]:
    """Every value of a header, repeated headers kept apart (``Set-Cookie``)."""
    raw_headers = getattr(response.raw, "headers", None)
    if raw_headers is not None and hasattr(raw_headers, "getlist"):
        return [str(value) for value in raw_headers.getlist(name)]
    value = response.headers.get(name)
    return [] if value is None else [value]


def cause(exc: Exception) -> str:
    """Keep the useful end of a ``requests`` error (``[Errno 111] Connection refused``)."""
    found = _CAUSE.findall(str(exc))
    return found[-1].strip() if found else str(exc)[:300]
