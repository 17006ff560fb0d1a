"""The ``cas`` probe family: the ENT's CAS server, as a browser and a service see it.

Login form, full login with each test account, ticket validation (``serviceValidate``,
``p3/serviceValidate``, ``proxyValidate``, ``validate``, ``samlValidate``), the SDET
attributes released per profile, the protocol's error codes, ``renew``, ``gateway``, logout,
refusal of unregistered services, the SSO cookie, proxy tickets and the proxy callback
(CAS Protocol 3.0 Specification, v3.0.3). Written against the specification and several
servers (django-cas-server, django-mama-cas, LemonLDAP::NG), never against one of them.

One module per concern: :mod:`~probes.cas.common` (the target's section, evidence,
browsers, the base class), :mod:`~probes.cas.flow` (logging in), :mod:`~probes.cas.answers`
(reading CAS answers), :mod:`~probes.cas.login` (the browser side), :mod:`~probes.cas.validation`
(the service side), :mod:`~probes.cas.attributes`, :mod:`~probes.cas.cookies`,
:mod:`~probes.cas.proxy`.

Every probe is read-only apart from logging in with the target's test accounts, and the test
password goes only over HTTPS to the CAS server's host (:mod:`sdet_check.login`). Tickets
are validated over a back channel that never sends a browser cookie, as a service does.
Each network call is bounded by ``context.call_timeout()``; each body is read up to
:data:`MAX_BODY_BYTES`; every XML the server sends goes through
:func:`~sdet_check.xmlsafe.parse_hostile_xml`, while a web page where a protocol answer was
expected means the endpoint is not offered.

Evidence hygiene: every exchange is recorded, but tickets are cut (``ST-1a2b…``), a login
post is recorded by its address and status, never its body (the password is sent, never
shown), request cookies are masked,
cookie values are cut, and the values of personal attributes (names, e-mail, birth date,
address…) are masked — the evidence says so. A last pass masks any test password wherever
it might appear.
"""

from __future__ import annotations

from probes.cas.attributes import Attributes
from probes.cas.common import MASKED, MAX_BODY_BYTES, is_valid_uai, truncate_tickets
from probes.cas.cookies import SsoCookie
from probes.cas.login import (
    Gateway,
    Login,
    LoginForm,
    Logout,
    Renew,
    SingleSignOn,
    UnregisteredService,
)
from probes.cas.proxy import Proxy
from probes.cas.validation import Endpoint, ServiceValidate, TicketErrors
from sdet_check.probe import Probe

PROBES: tuple[type[Probe], ...] = (
    LoginForm,
    Login,
    SingleSignOn,
    ServiceValidate,
    Attributes,
    TicketErrors,
    Renew,
    Gateway,
    Logout,
    UnregisteredService,
    SsoCookie,
    Endpoint,
    Proxy,
)
"""Every probe of the family, for the ``sdet_check.probes`` entry point."""

__all__ = [
    "MASKED",
    "MAX_BODY_BYTES",
    "PROBES",
    "Attributes",
    "Endpoint",
    "Gateway",
    "Login",
    "LoginForm",
    "Logout",
    "Proxy",
    "Renew",
    "ServiceValidate",
    "SingleSignOn",
    "SsoCookie",
    "TicketErrors",
    "UnregisteredService",
    "is_valid_uai",
    "truncate_tickets",
]
