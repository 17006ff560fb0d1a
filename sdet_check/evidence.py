"""Helpers that turn what a probe saw into :class:`~sdet_check.probe.Evidence`."""

from __future__ import annotations

from collections.abc import Iterable

import requests

from sdet_check.probe import Evidence

BODY_EXCERPT_CHARS = 2000
"""How much of a response body an HTTP exchange keeps."""

_SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


def http_exchange(response: requests.Response, summary: str | None = None) -> Evidence:
    """Record one HTTP request and its response, with a body excerpt.

    Request headers that carry credentials are masked; response ``Set-Cookie`` values are
    kept (their flags are the evidence) but cookie values are cut.
    """
    request = response.request
    request_headers = {
        name: ("***" if name.lower() in _SENSITIVE_HEADERS else value)
        for name, value in request.headers.items()
    }
    response_headers = [
        [name, _mask_cookie(value) if name.lower() == "set-cookie" else value]
        for name, value in _raw_headers(response)
    ]
    body = _text_excerpt(response)
    line = summary or f"{request.method} {request.url} → {response.status_code} {response.reason}"
    return Evidence(
        kind="http_exchange",
        summary=line,
        data={
            "request": {"method": request.method, "url": request.url, "headers": request_headers},
            "response": {
                "status": response.status_code,
                "reason": response.reason,
                "headers": response_headers,
                "body_excerpt": body,
                "elapsed_ms": round(response.elapsed.total_seconds() * 1000, 1),
            },
        },
    )


def http_chain(responses: Iterable[requests.Response]) -> list[Evidence]:
    """Record each hop of a redirect chain (``response.history`` then the final response)."""
    return [http_exchange(response) for response in responses]


def note(summary: str, **data: object) -> Evidence:
    """A plain observation, for facts that are not an exchange."""
    return Evidence(kind="note", summary=summary, data=dict(data))


def _raw_headers(response: requests.Response) -> list[tuple[str, str]]:
    """All response headers in order, repeated ones (Set-Cookie) kept apart."""
    raw = getattr(response.raw, "headers", None)
    if raw is not None and hasattr(raw, "items"):
        try:
            return [(str(k), str(v)) for k, v in raw.items()]
        except (TypeError, AttributeError):
            pass
    return [(str(k), str(v)) for k, v in response.headers.items()]


def _mask_cookie(set_cookie: str) -> str:
    """Keep a cookie's name and attributes; shorten its value (a session id is a secret)."""
    head, sep, attributes = set_cookie.partition(";")
    name, eq, value = head.partition("=")
    if eq and len(value.strip()) > 6:
        value = value.strip()[:4] + "…"
    return f"{name}{eq}{value}{sep}{attributes}"


def _text_excerpt(response: requests.Response) -> str:
    content = response.content[: BODY_EXCERPT_CHARS * 4]
    encoding = response.encoding or "utf-8"
    text = content.decode(encoding, errors="replace")
    if len(text) > BODY_EXCERPT_CHARS:
        return text[:BODY_EXCERPT_CHARS] + "…"
    return text
