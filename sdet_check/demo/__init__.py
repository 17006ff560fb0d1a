"""The local reference stack used by the tests and by ``sdet-check demo``.

:mod:`sdet_check.demo.pki` makes a throw-away test CA; :mod:`sdet_check.demo.portal` serves
a small French ENT home page over HTTPS on loopback, conformant or not on demand;
:mod:`sdet_check.demo.cas` serves django-cas-server over HTTPS with SDET test accounts, and
:mod:`sdet_check.demo.mama_cas` a second CAS code base (django-mama-cas) with the same accounts.
:mod:`sdet_check.demo.ldap` runs the reference annuaire (OpenLDAP slapd with the project's ENT
schema) loaded with the invented population of :mod:`sdet_check.demo.annuaire`.
:mod:`sdet_check.demo.saml` runs SimpleSAMLphp and :mod:`sdet_check.demo.pysaml2_idp` a pysaml2
identity provider, two SAML code bases with one target layout; :mod:`sdet_check.demo.llng`
runs LemonLDAP::NG as a third CAS server and SAML IdP, of yet another code base (Perl).
"""

from sdet_check.demo.cas import (
    CasConfig,
    CasServer,
    CasUnavailableError,
    add_cas_to_target,
    cas_available,
    demo_environ,
)
from sdet_check.demo.mama_cas import MamaCasConfig, MamaCasServer, add_mama_cas_to_target
from sdet_check.demo.pki import PkiFiles, create_pki, ensure_pki
from sdet_check.demo.portal import PortalConfig, PortalServer, write_target

__all__ = [
    "CasConfig",
    "CasServer",
    "CasUnavailableError",
    "MamaCasConfig",
    "MamaCasServer",
    "PkiFiles",
    "PortalConfig",
    "PortalServer",
    "add_cas_to_target",
    "add_mama_cas_to_target",
    "cas_available",
    "create_pki",
    "demo_environ",
    "ensure_pki",
    "write_target",
]
