"""HTTP for probes: one request at a time, bodies bounded, ``requests`` errors translated.

Every HTTP probe family (http, cas, saml) sends through :func:`send`: no redirect is followed
silently, the body is read in chunks up to :data:`MAX_BODY_BYTES` and before the probe's
deadline, and each ``requests`` failure becomes the :class:`~sdet_check.probe.ProbeError`
subclass the runner records (unreachable, timeout, hostile response).
"""

from __future__ import annotations

import re
from typing import Any

import requests
from urllib3.exceptions import ReadTimeoutError

from sdet_check.evidence import note
from sdet_check.probe import (
    HostileResponse,
    ProbeContext,
    ProbeError,
    ProbeTimeout,
    TargetUnreachable,
)

MAX_BODY_BYTES = 2 * 1024 * 1024
"""Largest response body a probe reads; beyond it the response is hostile."""

_CHUNK_BYTES = 64 * 1024
_CAUSE = re.compile(r"\[(?:Errno -?\d+|SSL: [A-Z_]+)\] [^'\"()]+")


def send(
    session: requests.Session, method: str, url: str, context: ProbeContext, **kwargs: Any
) -> requests.Response:
    """One request without redirects, body read and bounded; ``requests`` errors translated.

    ``kwargs`` go to :meth:`requests.Session.request` (``data``, ``params``, ``headers``...).
    """
    timeout = context.call_timeout()
    try:
        response = session.request(
            method, url, timeout=timeout, allow_redirects=False, stream=True, **kwargs
        )
        try:
            read_bounded(response, context)
        finally:
            response.close()
    except requests.exceptions.Timeout as exc:
        raise ProbeTimeout(f"{url} n'a pas répondu dans le délai ({timeout:.1f} s)") from exc
    except requests.exceptions.SSLError as exc:
        raise TargetUnreachable(f"négociation TLS impossible avec {url} : {cause(exc)}") from exc
    except requests.exceptions.ConnectionError as exc:
        if exc.args and isinstance(exc.args[0], ReadTimeoutError):
            # A read timeout while streaming the body surfaces as ConnectionError.
            raise ProbeTimeout(f"{url} n'a pas répondu dans le délai ({timeout:.1f} s)") from exc
        raise TargetUnreachable(f"connexion impossible à {url} : {cause(exc)}") from exc
    except requests.exceptions.ChunkedEncodingError as exc:
        raise TargetUnreachable(f"réponse de {url} interrompue : {cause(exc)}") from exc
    except requests.exceptions.ContentDecodingError as exc:
        raise HostileResponse(f"corps de réponse illisible de {url} : {cause(exc)}") from exc
    except TimeoutError as exc:
        raise ProbeTimeout(f"{url} n'a pas répondu dans le délai ({timeout:.1f} s)") from exc
    except requests.exceptions.RequestException as exc:
        raise ProbeError(f"requête impossible vers {url} : {cause(exc)}") from exc
    return response


def get(session: requests.Session, url: str, context: ProbeContext) -> requests.Response:
    """One GET through :func:`send`."""
    return send(session, "GET", url, context)


def read_bounded(response: requests.Response, context: ProbeContext) -> None:
    """Read the body into ``response`` (so ``.content`` works) or refuse it past the bound."""
    url = response.url
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HostileResponse(
            f"{url} annonce un corps de {int(declared)} octets (limite {MAX_BODY_BYTES})",
            note("corps de réponse trop grand", url=url, declared_bytes=int(declared)),
        )
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(_CHUNK_BYTES):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise HostileResponse(
                f"{url} envoie plus de {MAX_BODY_BYTES} octets : lecture abandonnée",
                note("corps de réponse trop grand", url=url, read_bytes=size),
            )
        if context.remaining() <= 0:
            raise ProbeTimeout(f"{url} : corps de réponse non reçu avant l'échéance de la sonde")
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
