"""The local reference stack used by the tests and by ``sdet-check demo``.

:mod:`sdet_check.demo.pki` makes a throw-away test CA; :mod:`sdet_check.demo.portal` serves
a small French ENT home page over HTTPS on loopback, conformant or not on demand;
:mod:`sdet_check.demo.cas` serves django-cas-server over HTTPS with SDET test accounts.
:mod:`sdet_check.demo.ldap` runs the reference annuaire (OpenLDAP slapd with the project's ENT
schema) loaded with the invented population of :mod:`sdet_check.demo.annuaire`.
:mod:`sdet_check.demo.saml` runs SimpleSAMLphp as a SAML IdP; :mod:`sdet_check.demo.llng`
runs LemonLDAP::NG as a second CAS server and SAML IdP of another code base.
"""

from sdet_check.demo.cas import (
    CasConfig,
    CasServer,
    CasUnavailableError,
    add_cas_to_target,
    cas_available,
    demo_environ,
)
from sdet_check.demo.pki import PkiFiles, create_pki, ensure_pki
from sdet_check.demo.portal import PortalConfig, PortalServer, write_target

__all__ = [
    "CasConfig",
    "CasServer",
    "CasUnavailableError",
    "PkiFiles",
    "PortalConfig",
    "PortalServer",
    "add_cas_to_target",
    "cas_available",
    "create_pki",
    "demo_environ",
    "ensure_pki",
    "write_target",
]
