"""Whether a real browser can be driven here: the system Chromium and the Playwright package.

The portal probe family and the local reference stack both ask this, so it lives in the core
(the core never imports a probe family).
"""

from __future__ import annotations

import os
import shutil

from sdet_check.messages import msg

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
"""Where the system Chromium is looked for (then ``$PATH``)."""

CHROMIUM_ENV = "SDET_CHECK_CHROMIUM"
"""Environment variable naming another Chromium binary."""


def chromium_path() -> str | None:
    """The Chromium binary to drive, or ``None`` when none is installed."""
    given = os.environ.get(CHROMIUM_ENV)
    if given:
        return given if os.access(given, os.X_OK) else None
    for candidate in CHROMIUM_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


def browser_missing() -> str | None:
    """Why the family cannot run here, in one line; ``None`` when it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return msg("core.browser.no_playwright")
    if chromium_path() is None:
        return msg("core.browser.no_chromium")
    return None
