"""The ``http`` probe family: what a visitor's browser sees of the ENT portal.

HTTPS redirect, HSTS, TLS protocol floor, session cookie flags, legal pages and the
accessibility mention. Every probe is read-only (GET only), bounds each network call by
``context.call_timeout()``, reads at most :data:`MAX_BODY_BYTES` of any body, and turns
``requests``/``ssl`` exceptions into :class:`~sdet_check.probe.ProbeError` subclasses at the
boundary (:func:`~sdet_check.transport.get`, :func:`probes.http.transport._handshake`).
One module per concern: :mod:`~probes.http.transport` (HTTPS redirect, HSTS, TLS floor),
:mod:`~probes.http.cookies`, :mod:`~probes.http.pages` (legal pages, accessibility
mention) and :mod:`~probes.http.common` (the portal section, login, redirects).
"""

from __future__ import annotations

from probes.http.common import HSTS_HEADER, MAX_REDIRECTS, REDIRECT_STATUSES
from probes.http.cookies import CookieFlags, _parse_set_cookie
from probes.http.pages import AccessibilityMention, LegalPage
from probes.http.transport import Hsts, HttpsRedirect, TlsFloor, parse_hsts
from sdet_check.probe import Probe
from sdet_check.transport import MAX_BODY_BYTES

PROBES: tuple[type[Probe], ...] = (
    HttpsRedirect,
    Hsts,
    TlsFloor,
    CookieFlags,
    LegalPage,
    AccessibilityMention,
)
"""The probes of the ``http`` family, registered through the ``sdet_check.probes`` group."""

__all__ = [
    "HSTS_HEADER",
    "MAX_BODY_BYTES",
    "MAX_REDIRECTS",
    "PROBES",
    "REDIRECT_STATUSES",
    "AccessibilityMention",
    "CookieFlags",
    "Hsts",
    "HttpsRedirect",
    "LegalPage",
    "TlsFloor",
    "_parse_set_cookie",
    "parse_hsts",
]
