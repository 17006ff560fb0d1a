"""The ``portal`` probe family: the ENT as its users see it, in a real headless Chromium.

The Debian ``chromium`` is driven through Playwright for Python (attached over the DevTools
protocol to a process this family starts and kills at the deadline; no browser is ever
downloaded). One visit per target is shared by every probe (:mod:`~probes.portal.visit`):
public pages, then each test account signs in (:mod:`~probes.portal.signin`, under the
credentials rule of :mod:`sdet_check.login`), opens its profile's pages, reads its service
menu, clicks the third-party connectors, asks for the other accounts' private pages and logs
out. The probes judge that record: the national audience tag (:mod:`~probes.portal.audience`),
automatable accessibility criteria with axe-core (:mod:`~probes.portal.accessibility`),
browser-side security headers (:mod:`~probes.portal.headers`), services, logout and access
per profile (:mod:`~probes.portal.usage`); certificates are checked by Python's TLS stack
(:mod:`~probes.portal.certificates`).

The browser never talks to a third party: requests to hosts the target does not declare are
answered locally, audience hits included. Evidence masks personal data (screenshots are
taken after the page's personal strings are replaced, visitor identifiers are cut).
"""

from __future__ import annotations

from probes.portal.accessibility import (
    AccessibilitySchema,
    FormLabels,
    Images,
    Language,
    PageTitle,
)
from probes.portal.audience import (
    ProfileValues,
    Pseudonymity,
    ServiceLabels,
    TagPresent,
    TagProperties,
    ThirdPartyClicks,
)
from probes.portal.certificates import Certificate
from probes.portal.headers import ContentSecurityPolicy, Framing, ReferrerPolicy
from probes.portal.usage import EntryPoint, Logout, OwnDataOnly, ServicesByProfile
from sdet_check.browser_env import browser_missing
from sdet_check.probe import Probe

PROBES: tuple[type[Probe], ...] = (
    TagPresent,
    TagProperties,
    Pseudonymity,
    ProfileValues,
    ServiceLabels,
    ThirdPartyClicks,
    Language,
    PageTitle,
    Images,
    FormLabels,
    AccessibilitySchema,
    ContentSecurityPolicy,
    Framing,
    ReferrerPolicy,
    Certificate,
    EntryPoint,
    ServicesByProfile,
    Logout,
    OwnDataOnly,
)
"""Every probe of the family, for the ``sdet_check.probes`` entry point."""

__all__ = [
    "PROBES",
    "AccessibilitySchema",
    "Certificate",
    "ContentSecurityPolicy",
    "EntryPoint",
    "FormLabels",
    "Framing",
    "Images",
    "Language",
    "Logout",
    "OwnDataOnly",
    "PageTitle",
    "ProfileValues",
    "Pseudonymity",
    "ReferrerPolicy",
    "ServiceLabels",
    "ServicesByProfile",
    "TagPresent",
    "TagProperties",
    "ThirdPartyClicks",
    "browser_missing",
]
