"""The ``ldap`` probe family: the annuaire ENT as an LDAP client sees it.

Transport protected by TLS with a verified certificate, no anonymous reading of people (data
about minors: arrêté du 30 novembre 2006, art. 4), password binds refused in clear, the rootDSE,
the ENT schema in the subschema, and every person and structure entry checked against the SDET
data model over a paged search of the whole tree (RFC 2696).

Every probe is read-only. ldap3 opens the connection (TCP, LDAPS or StartTLS with the
certificate checked) and reads the rootDSE and the subschema, whose definitions it parses.
Binds and searches for entries go through :mod:`probes._ldap_wire` on the same socket: one code
path for anonymous, simple and unauthenticated binds (ldap3 refuses to send the last one), and
a reader of paged searches several times faster than ldap3's generic decoder on large
directories (``benchmarks/ldap_audit.py``). Once TLS is set up, the socket ldap3 reads is
guarded: each ``recv`` is bounded by the network timeout cut to the probe's deadline, and all
it reads by :data:`MAX_SMALL_READ_BYTES`; the wire reader bounds each message by
:data:`MAX_MESSAGE_BYTES`.
Errors of ldap3, of the socket and of the wire reader become
:class:`~sdet_check.probe.ProbeError` subclasses when a session ends (:meth:`_Session.__exit__`).

The data-model probes of one run share a single scan of the directory (the first probe that
needs it reads the tree; the others wait for its result within their own deadline). Evidence
about persons is pseudonymised by default (:mod:`sdet_check.pseudonym`): DNs and join keys
become salted hashes, and names, birth dates, e-mails and addresses are never copied at all.
"""

from __future__ import annotations

from probes._ldap_import import LdapImportScenario
from probes.ldap.audit import LdapDataModel
from probes.ldap.connection import (
    DEFAULT_MAX_ENTRIES,
    DEFAULT_PAGE_SIZE,
    MAX_MESSAGE_BYTES,
    MAX_SMALL_READ_BYTES,
    STARTTLS_OID,
    _access,
    _name_problem,
    _Session,
)
from probes.ldap.reconcile import DELETION_RULES, LdapReconcile, _paris_today
from probes.ldap.scan import SCAN_SEARCHES, _CollectorPause
from probes.ldap.schema import ENT_ATTRIBUTES, ENT_OBJECT_CLASSES, LdapRootDse, LdapSchema
from probes.ldap.security import LdapAnonymousRead, LdapBindSecurity, LdapTls

__all__ = [
    "DEFAULT_MAX_ENTRIES",
    "DEFAULT_PAGE_SIZE",
    "DELETION_RULES",
    "ENT_ATTRIBUTES",
    "ENT_OBJECT_CLASSES",
    "MAX_MESSAGE_BYTES",
    "MAX_SMALL_READ_BYTES",
    "PROBES",
    "SCAN_SEARCHES",
    "STARTTLS_OID",
    "LdapAnonymousRead",
    "LdapBindSecurity",
    "LdapDataModel",
    "LdapImportScenario",
    "LdapReconcile",
    "LdapRootDse",
    "LdapSchema",
    "LdapTls",
    "_CollectorPause",
    "_Session",
    "_access",
    "_name_problem",
    "_paris_today",
]

PROBES = (
    LdapTls,
    LdapAnonymousRead,
    LdapBindSecurity,
    LdapRootDse,
    LdapSchema,
    LdapDataModel,
    LdapReconcile,
    LdapImportScenario,
)
"""The probes of the ``ldap`` family, registered by the ``ldap`` entry point."""
