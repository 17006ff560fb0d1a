"""A real headless Chromium, driven through Playwright, bounded by the probe's deadline.

The Debian ``chromium`` is started by this module (never a browser Playwright downloads:
nothing is fetched at run time) with a DevTools port, and Playwright attaches to it over the
Chrome DevTools Protocol. Owning the process is what bounds everything: a watchdog kills it
at the deadline, so a page that never finishes loading or a script that loops ends every
pending call, and the probe reports a timeout instead of hanging.

Every request the pages make goes through one route (:class:`Guard`): requests to hosts the
target does not declare are answered locally with an empty page (a probe never talks to a
third party, the audience collector included: its hits are recorded and answered here), and
a request carrying the test password to a place the credentials rule refuses is aborted.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

from sdet_check.browser_env import browser_missing, chromium_path
from sdet_check.messages import msg
from sdet_check.probe import NotTestable, ProbeError, ProbeTimeout, TargetUnreachable

_STARTUP_S = 20.0

_UNREACHABLE = re.compile(
    r"net::ERR_(?:NAME_NOT_RESOLVED|CONNECTION_REFUSED|CONNECTION_RESET|ADDRESS_UNREACHABLE|"
    r"INTERNET_DISCONNECTED|CONNECTION_TIMED_OUT|SSL_PROTOCOL_ERROR|CERT_[A-Z_]+)"
)
"""Chromium's network errors that say the portal cannot be reached (not a probe failure)."""


@dataclass
class Guard:
    """What the browser may reach, and what it did: one route for every request.

    ``allowed_hosts`` are the target's hosts (portal, CAS, IdP); ``collector`` the audience
    collector prefix whose requests are recorded and answered with 204; ``password`` the
    secret that must never leave for a refused place (``refusal`` gives the reason).
    """

    allowed_hosts: frozenset[str]
    collector: str | None
    password: str | None = None
    refusal: Callable[[str], str | None] | None = None
    hits: list[dict[str, Any]] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    """Requests aborted because they carried the password to a refused place (reasons)."""
    log: list[str] = field(default_factory=list)
    """Every request the pages made: ``METHOD address`` (query strings cut: tickets...)."""

    def handle(self, route: Any, request: Any) -> None:
        """The route handler: answer, abort or let the request go on."""
        url: str = request.url
        body = request.post_data_buffer or b""
        parts = urlsplit(url)
        self.log.append(
            msg(
                "portal.browser.guard.append",
                method=request.method,
                geturl=parts._replace(query="…" if parts.query else "").geturl(),
            )
        )
        if self.password and self.refusal is not None and _carries(url, body, self.password):
            reason = self.refusal(url)
            if reason is not None:
                self.blocked.append(reason)
                route.abort("blockedbyclient")
                return
        if self.collector and url.startswith(self.collector):
            self.hits.append(
                {"url": url, "method": request.method, "body": body.decode("utf-8", "replace")}
            )
            route.fulfill(status=204, body="")
            return
        host = (urlsplit(url).hostname or "").lower()
        if url.startswith(("data:", "blob:", "about:")) or host in self.allowed_hosts:
            route.continue_()
            return
        self.outside.append(url)
        route.fulfill(
            status=200,
            content_type="text/html; charset=utf-8",
            body="<!DOCTYPE html><html lang=fr><title>Hors périmètre</title><p>hors périmètre</p>",
        )


def _carries(url: str, body: bytes, password: str) -> bool:
    """Whether a request carries ``password``, as typed or form/URL-encoded."""
    forms = {password, quote_plus(password), quote(password, safe="")}
    return any(f.encode() in body or f in url for f in forms)


@contextmanager
def chromium(deadline: float) -> Iterator[Any]:
    """A Playwright ``Browser`` attached to a fresh headless Chromium, killed at ``deadline``.

    Raises :class:`NotTestable` when Chromium or Playwright is missing and
    :class:`ProbeTimeout` when the deadline passes while the browser works.
    """
    missing = browser_missing()
    if missing is not None:
        raise NotTestable(missing)
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    binary = chromium_path()
    assert binary is not None
    profile = Path(tempfile.mkdtemp(prefix="sdet-chromium-portal-"))
    arguments = [
        binary,
        "--headless=new",
        "--remote-debugging-port=0",
        "--remote-debugging-address=127.0.0.1",
        f"--user-data-dir={profile}",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--metrics-recording-only",
        "--password-store=basic",
        "about:blank",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        arguments.insert(1, "--no-sandbox")  # Chromium refuses its sandbox as root
    process = subprocess.Popen(
        arguments,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    expired = threading.Event()

    def kill() -> None:
        expired.set()
        _kill(process)

    watchdog = threading.Timer(max(0.1, deadline - time.monotonic()), kill)
    watchdog.daemon = True
    watchdog.start()
    try:
        port = _devtools_port(profile, process, min(deadline, time.monotonic() + _STARTUP_S))
        with sync_playwright() as playwright:
            try:
                browser = playwright.chromium.connect_over_cdp(
                    f"http://127.0.0.1:{port}", timeout=_ms(deadline)
                )
                yield browser
            except PlaywrightError as failed:
                if expired.is_set():
                    raise ProbeTimeout(msg("portal.browser.chromium.timeout")) from failed
                if _UNREACHABLE.search(str(failed)):
                    raise TargetUnreachable(
                        msg("portal.browser.chromium.unreachable", first_line=_first_line(failed))
                    ) from failed
                raise ProbeError(
                    msg("portal.browser.chromium.error", first_line=_first_line(failed))
                ) from failed
    finally:
        watchdog.cancel()
        _kill(process)
        shutil.rmtree(profile, ignore_errors=True)
    if expired.is_set():
        raise ProbeTimeout(msg("portal.browser.chromium.timeout"))


MARGIN_S = 1.0
"""Playwright's own timeouts end this much before the deadline, so that a page that never
finishes is named in the error; the watchdog kill at the deadline is the last resort."""


def remaining_ms(deadline: float) -> float:
    """Milliseconds left before ``deadline`` less :data:`MARGIN_S` (at least 100)."""
    return _ms(deadline - MARGIN_S)


def _ms(deadline: float) -> float:
    return max(100.0, (deadline - time.monotonic()) * 1000.0)


def _devtools_port(profile: Path, process: subprocess.Popen[bytes], until: float) -> int:
    marker = profile / "DevToolsActivePort"
    while time.monotonic() < until:
        if process.poll() is not None:
            raise ProbeError(
                msg("portal.browser.devtools_port.error", returncode=process.returncode)
            )
        try:
            first = marker.read_text(encoding="ascii").splitlines()[0]
            return int(first)
        except (OSError, IndexError, ValueError):
            time.sleep(0.05)
    raise ProbeTimeout(msg("portal.browser.devtools_port.timeout"))


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    with suppress(subprocess.TimeoutExpired):
        process.wait(5)


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else type(error).__name__
