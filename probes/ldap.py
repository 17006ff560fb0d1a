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

import contextlib
import gc
import math
import secrets
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ldap3
from cryptography import x509
from ldap3.core import exceptions as ldap3_errors
from ldap3.protocol.rfc4512 import AttributeTypeInfo, ObjectClassInfo
from pyasn1.error import PyAsn1Error  # type: ignore[import-untyped]

from probes import _ldap_wire as wire
from probes._ldap_audit import (
    PERSON_ATTRIBUTES,
    RULES,
    STRUCTURE_ATTRIBUTES,
    AuditReport,
    DirectoryAudit,
    RuleFindings,
    dn_key,
)
from probes._ldap_import import LdapImportScenario
from probes._ldap_reconcile import (
    COMPARED,
    RECONCILE_RULES,
    ReconcileReport,
    Reconciliation,
    Timeline,
    deletion_timeline,
)
from sdet_check.aaf import feed as aaf
from sdet_check.evidence import note
from sdet_check.messages import clauses, msg
from sdet_check.probe import (
    BadParams,
    Evidence,
    HostileResponse,
    NotTestable,
    Outcome,
    Probe,
    ProbeContext,
    ProbeError,
    ProbeTimeout,
    TargetUnreachable,
    validated_params,
)
from sdet_check.pseudonym import Pseudonymiser
from sdet_check.target import Secret

STARTTLS_OID = "1.3.6.1.4.1.1466.20037"
"""The StartTLS extended operation (RFC 4511 §4.14)."""

DEFAULT_PAGE_SIZE = 500
"""Entries per page of a whole-tree search, unless the target says otherwise."""

DEFAULT_MAX_ENTRIES = 500_000
"""Most entries a scan reads before giving up, unless the target says otherwise."""

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
"""Largest single LDAP message (one entry) a scan accepts; beyond it the server is hostile."""

MAX_SMALL_READ_BYTES = 16 * 1024 * 1024
"""Most bytes ldap3 may read on one connection (binds, rootDSE, subschema)."""

ENT_OBJECT_CLASSES = (
    "ENTPerson",
    "ENTEleve",
    "ENTAuxEnseignant",
    "ENTAuxNonEnsEtab",
    "ENTAuxPersRelEleve",
    "ENTStructure",
    "ENTEtablissement",
)
"""Object classes of the annuaire ENT a schema must define (by default)."""

ENT_ATTRIBUTES = (
    "ENTPersonJointure",
    "ENTPersonProfils",
    "ENTPersonDateNaissance",
    "ENTPersonStructRattach",
    "ENTEleveClasses",
    "ENTElevePersRelEleve",
    "ENTAuxPersRelEleveEleve",
    "ENTStructureJointure",
    "ENTStructureUAI",
    "ENTStructureClasses",
)
"""Attributes of the annuaire ENT a schema must define (by default)."""

_KNOWN_OIDS = {
    STARTTLS_OID: "StartTLS",
    "1.3.6.1.4.1.4203.1.11.1": "Password Modify",
    "1.3.6.1.4.1.4203.1.11.3": "Who am I?",
    "1.3.6.1.1.8": "Cancel",
    "1.2.840.113556.1.4.319": "Paged results",
    "2.16.840.1.113730.3.4.18": "Proxied authorization",
    "2.16.840.1.113730.3.4.2": "ManageDsaIT",
    "1.3.6.1.4.1.4203.1.10.1": "Subentries",
    "1.3.6.1.1.12": "Assertion",
    "1.3.6.1.1.13.1": "Pre-read",
    "1.3.6.1.1.13.2": "Post-read",
}
_NO_PARAMS: Mapping[str, Any] = {"type": "object", "additionalProperties": False, "properties": {}}
_PROBE_DN_RDN = "cn=sdet-check-sonde"
_REFUSED_IN_CLEAR = frozenset({8, 13, 53})
"""strongerAuthRequired, confidentialityRequired, unwillingToPerform: refusals of a clear bind."""
_PROCESSED_IN_CLEAR = frozenset({0, 32, 34, 49})
"""Answers showing that a password sent in clear was looked at (success, invalidCredentials…)."""
_NOTHING_TO_READ = frozenset({0, 8, 13, 32, 48, 50, 53})
"""Search results that, with no entry, mean nothing is readable (success, refusals)."""
_ANONYMOUS_EXAMPLES = 5


def _rules_params(rules: Mapping[str, str]) -> Mapping[str, Any]:
    """Params of a probe decided by some of its ``rules``: which ones, how many examples."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["rules"],
        "properties": {
            "rules": {
                "type": "array",
                "items": {"enum": sorted(rules)},
                "minItems": 1,
                "uniqueItems": True,
                "description": "Rules whose findings decide the requirement.",
            },
            "max_examples": {
                "type": "integer",
                "minimum": 0,
                "maximum": 100,
                "default": 20,
                "description": "Examples kept in the evidence for each rule.",
            },
        },
    }


# --- probes -----------------------------------------------------------------------------


class LdapTls(Probe):
    """The annuaire is reachable over TLS with a certificate valid for its name.

    ``ldaps://`` targets: the handshake must succeed with the certificate checked against the
    target's CA (``ldap.ca_file``, else ``tls.ca_file``, else the system store) and the host
    name. ``ldap://`` targets: StartTLS (advertised in the rootDSE or not) must succeed with the
    same checks; one read of the rootDSE over TLS must get an LDAP answer (a refusal counts).
    With ``refuse_clear_bind`` (default) and an ``ldap://`` address, a simple bind
    in clear with a made-up DN and password must be refused for lack of protection
    (``confidentialityRequired`` or ``strongerAuthRequired``): ``invalidCredentials`` or
    success means the server reads passwords sent in clear. No real password is ever sent.
    """

    kind = "ldap.tls"
    title = "L'annuaire LDAP n'est joignable que par TLS (LDAPS ou StartTLS), certificat vérifié"
    needs = ("ldap",)
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "refuse_clear_bind": {
                "type": "boolean",
                "default": True,
                "description": "Also require that a password bind in clear be refused.",
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Establish TLS, then try a made-up bind in clear."""
        params = validated_params(self, params)
        access = _access(context)
        evidence: list[Evidence] = []
        if not access.verify:
            raise ProbeError(msg("ldap.ldap.ldap_tls.error"))
        problems: list[str] = []
        if access.ldaps:
            how = "LDAPS"
        else:
            how = "StartTLS"
            with _Session(access, context, protect=False) as clear:
                advertised = _root_dse_values(clear, "supportedExtension")
                evidence.append(_starttls_advert(advertised))
        try:
            with _Session(access, context, protect=True) as session:
                evidence.append(session.tls_evidence(how))
                # One read over TLS: what answers must speak LDAP (not a web server with a
                # valid certificate); a refusal to read the rootDSE is still LDAP.
                session.read_entry("", ["supportedLDAPVersion"])
        except _TlsRefused as refused:
            evidence.extend(refused.evidence)
            return Outcome.failed(
                msg("ldap.ldap.ldap_tls.fail", url=access.url, how=how, refused=refused), *evidence
            )
        if params.get("refuse_clear_bind", True) and not access.ldaps:
            verdict = _clear_bind(access, context)
            evidence.append(verdict.evidence)
            if verdict.accepted:
                problems.append(verdict.message)
        if problems:
            return Outcome.failed(
                msg("ldap.ldap.ldap_tls.fail_2", how=how, problems=clauses(problems)), *evidence
            )
        return Outcome.passed(
            msg(
                "ldap.ldap.ldap_tls.pass",
                url=access.url,
                how=how,
                host=access.host,
                value="" if access.ldaps else msg("ldap.clear_bind_refused"),
            ),
            *evidence,
        )


class LdapAnonymousRead(Probe):
    """An anonymous connection reads no person entry.

    Anonymous bind (over TLS when the target offers it), then a search of the whole tree for
    each object class of ``object_classes``. Pass: the bind is refused, or every search
    returns no entry or a refusal (``insufficientAccessRights``, ``noSuchObject``...). Fail:
    any person entry comes back, even without attributes (its DN already discloses a pupil).
    Evidence: counts, pseudonymised DNs and the names (never the values) of readable attributes.
    """

    kind = "ldap.anonymous_read"
    title = "Une connexion anonyme ne lit aucune entrée de personne"
    needs = ("ldap",)
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "object_classes": {
                "type": "array",
                "items": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9-]*$"},
                "minItems": 1,
                "uniqueItems": True,
                "default": ["ENTPerson", "person"],
                "description": "Object classes searched anonymously (one search each).",
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Bind anonymously, search, count what comes back."""
        params = validated_params(self, params)
        classes: list[str] = params.get("object_classes", ["ENTPerson", "person"])
        access = _access(context)
        pseudo = access.pseudonymiser()
        evidence: list[Evidence] = []
        with _Session(access, context, protect=access.tls_wanted) as session:
            bound = session.bind("", "")
            evidence.append(_bind_evidence("liaison anonyme", "", bound))
            if not bound.ok:
                return Outcome.passed(
                    msg(
                        "ldap.ldap.ldap_anonymous_read.pass",
                        url=access.url,
                        describe=bound.describe(),
                    ),
                    *evidence,
                )
            samples = []
            for object_class in classes:
                found = session.sample(
                    access.base_dn, wire.equal("objectClass", object_class), ["*"]
                )
                samples.append(found)
                evidence.append(found.evidence(object_class, pseudo))
        evidence.append(_pseudonymisation_evidence(pseudo))
        visible = max(len(found.entries) for found in samples)
        if visible:
            return Outcome.failed(
                msg(
                    "ldap.ldap.ldap_anonymous_read.fail",
                    base_dn=access.base_dn,
                    visible=visible,
                    anonymous_examples=_ANONYMOUS_EXAMPLES,
                ),
                *evidence,
            )
        unclear = [found.result for found in samples if found.result is not None]
        unclear = [result for result in unclear if result.code not in _NOTHING_TO_READ]
        if unclear:
            raise ProbeError(
                msg(
                    "ldap.ldap.ldap_anonymous_read.error",
                    items=", ".join(result.describe() for result in unclear),
                ),
                *evidence,
            )
        return Outcome.passed(
            msg(
                "ldap.ldap.ldap_anonymous_read.pass_2",
                base_dn=access.base_dn,
                classes=", ".join(classes),
            ),
            *evidence,
        )


class LdapBindSecurity(Probe):
    """Password binds only under TLS; unauthenticated binds refused (RFC 4513 §5.1.2, §5.1.3).

    1. On an ``ldap://`` address, a simple bind in clear with a made-up DN and password must
       be refused for lack of protection (never sends a real password).
    2. A bind with a DN (the service account's, else a made-up one) and an empty password must
       be refused (``unwillingToPerform`` expected): accepting it is an anonymous bind in
       disguise. Sent over TLS when the target offers it.
    """

    kind = "ldap.bind_security"
    title = "Liaisons par mot de passe seulement sous TLS ; liaison non authentifiée refusée"
    needs = ("ldap",)
    params_schema = _NO_PARAMS

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Try both binds and judge the answers."""
        validated_params(self, params)
        access = _access(context)
        evidence: list[Evidence] = []
        problems: list[str] = []
        if not access.ldaps:
            verdict = _clear_bind(access, context)
            evidence.append(verdict.evidence)
            if verdict.accepted:
                problems.append(verdict.message)
        else:
            evidence.append(
                note(
                    msg("ldap.ldap.ev.ldap_bind_security.note"),
                    url=access.url,
                )
            )
        dn = access.bind_dn or _probe_dn(access)
        with _Session(access, context, protect=access.tls_wanted) as session:
            result = session.bind(dn, "")
        evidence.append(
            _bind_evidence("liaison non authentifiée (DN, mot de passe vide)", dn, result)
        )
        if result.ok:
            problems.append(msg("ldap.ldap.ldap_bind_security.append"))
        if problems:
            return Outcome.failed(clauses(problems), *evidence)
        return Outcome.passed(
            msg(
                "ldap.ldap.ldap_bind_security.pass",
                describe=result.describe(),
                value="" if access.ldaps else msg("ldap.clear_bind_refused"),
            ),
            *evidence,
        )


class LdapRootDse(Probe):
    """The rootDSE (RFC 4512 §5.1) announces LDAPv3, the base DN and the subschema.

    Read anonymously, or as the service account when the target gives one. Pass:
    ``supportedLDAPVersion`` contains 3, ``namingContexts`` contains the target's base DN,
    ``subschemaSubentry`` is present. ``vendorName`` is recorded when present, never required
    (OpenLDAP publishes none).
    """

    kind = "ldap.root_dse"
    title = "Le rootDSE annonce LDAPv3, la base de l'annuaire et son sous-schéma"
    needs = ("ldap",)
    params_schema = _NO_PARAMS

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Read the rootDSE and judge three attributes."""
        validated_params(self, params)
        access = _access(context)
        with _Session(access, context, protect=access.tls_wanted) as session:
            bound = session.bind_service_or_anonymous()
            root = session.read_entry("", ["*", "+"])
        if root is None:
            raise ProbeError(
                msg("ldap.ldap.ldap_root_dse.error", url=access.url, describe=bound.describe())
            )
        evidence = [_root_dse_evidence(root)]
        problems: list[str] = []
        versions = root.get("supportedldapversion", [])
        if "3" not in versions:
            problems.append(msg("ldap.ldap.ldap_root_dse.append", value=versions or "absent"))
        contexts = root.get("namingcontexts", [])
        if dn_key(access.base_dn) not in {dn_key(c) for c in contexts}:
            problems.append(
                msg("ldap.ldap.ldap_root_dse.append_2", base_dn=access.base_dn, contexts=contexts)
            )
        if not root.get("subschemasubentry"):
            problems.append(msg("ldap.ldap.ldap_root_dse.append_3"))
        if problems:
            return Outcome.failed(
                msg("ldap.ldap.ldap_root_dse.fail", problems=clauses(problems)), *evidence
            )
        return Outcome.passed(
            msg(
                "ldap.ldap.ldap_root_dse.pass",
                base_dn=access.base_dn,
                subschemasubentry=root["subschemasubentry"][0],
            ),
            *evidence,
        )


class LdapSchema(Probe):
    """The subschema defines the ENT object classes and attributes (RFC 4512 §4.2).

    Binds as the service account (anonymously without one), reads the entry named by the
    rootDSE's ``subschemaSubentry`` and parses its ``objectClasses`` and ``attributeTypes``.
    Fail: a class of ``object_classes`` or an attribute of ``attributes`` is not defined.
    """

    kind = "ldap.schema"
    title = "Le sous-schéma de l'annuaire définit les classes et attributs ENT"
    needs = ("ldap",)
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "object_classes": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "uniqueItems": True,
                "default": list(ENT_OBJECT_CLASSES),
            },
            "attributes": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "uniqueItems": True,
                "default": list(ENT_ATTRIBUTES),
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Read and parse the subschema, look the names up."""
        params = validated_params(self, params)
        wanted_classes: list[str] = params.get("object_classes", list(ENT_OBJECT_CLASSES))
        wanted_attributes: list[str] = params.get("attributes", list(ENT_ATTRIBUTES))
        access = _access(context)
        with _Session(access, context, protect=access.tls_wanted) as session:
            session.bind_service_or_anonymous()
            root = session.read_entry("", ["subschemaSubentry"]) or {}
            subentry = (root.get("subschemasubentry") or ["cn=Subschema"])[0]
            schema = session.read_entry(subentry, ["objectClasses", "attributeTypes"])
        if not schema or not schema.get("objectclasses"):
            raise ProbeError(msg("ldap.ldap.ldap_schema.error", subentry=subentry, url=access.url))
        classes = _parse_definitions(ObjectClassInfo, schema.get("objectclasses", []))
        attributes = _parse_definitions(AttributeTypeInfo, schema.get("attributetypes", []))
        missing_classes = [name for name in wanted_classes if name.lower() not in classes]
        missing_attributes = [name for name in wanted_attributes if name.lower() not in attributes]
        found = [
            _class_summary(classes[name.lower()])
            for name in wanted_classes
            if name.lower() in classes
        ]
        evidence = [
            Evidence(
                kind="ldap_schema",
                summary=msg(
                    "ldap.ldap.ev.ldap_schema.evidence",
                    subentry=subentry,
                    count=len(classes),
                    count2=len(attributes),
                ),
                data={
                    "subschema": subentry,
                    "object_classes_defined": len(classes),
                    "attribute_types_defined": len(attributes),
                    "ent_classes_found": found,
                    "ent_attributes_found": [
                        {"name": name, "oid": attributes[name.lower()].oid}
                        for name in wanted_attributes
                        if name.lower() in attributes
                    ],
                    "missing_object_classes": missing_classes,
                    "missing_attributes": missing_attributes,
                },
            )
        ]
        if missing_classes or missing_attributes:
            parts: list[str] = []
            if missing_classes:
                parts.append(
                    msg("ldap.ldap.ldap_schema.append", missing_classes=", ".join(missing_classes))
                )
            if missing_attributes:
                parts.append(
                    msg(
                        "ldap.ldap.ldap_schema.append_2",
                        missing_attributes=", ".join(missing_attributes),
                    )
                )
            return Outcome.failed(
                msg("ldap.ldap.ldap_schema.fail", parts=clauses(parts)), *evidence
            )
        return Outcome.passed(
            msg(
                "ldap.ldap.ldap_schema.pass",
                count=len(wanted_classes),
                count2=len(wanted_attributes),
            ),
            *evidence,
        )


class LdapDataModel(Probe):
    """Every person and structure entry against the SDET data model.

    Binds as the service account (``ldap.bind_dn``, ``ldap.password_env``), reads the whole
    tree with the paged searches of :data:`SCAN_SEARCHES` (structures, pupils, relatives, other
    persons: the filter says what an entry is, so no objectClass values travel), bounded by the
    probe's deadline and ``ldap.max_entries``, and applies every rule of
    :data:`probes._ldap_audit.RULES`. The requirement is decided by the rules of ``rules``:
    fail when any of them has a finding. Findings of the other rules are counted in the
    evidence as well. Examples are capped at ``max_examples`` per rule and pseudonymised.
    """

    kind = "ldap.data_model"
    title = "Les entrées de l'annuaire respectent le modèle de données SDET"
    needs = ("ldap",)
    params_schema: ClassVar[Mapping[str, Any]] = _rules_params(RULES)

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Scan (or reuse this run's scan), then judge the chosen rules."""
        params = validated_params(self, params)
        rules: list[str] = params["rules"]
        kept: int = params.get("max_examples", 20)
        access = _access(context, service_account=True)
        scan = _shared_scan(access, context)
        report = scan.report
        if report.persons == 0 and report.structures == 0:
            raise NotTestable(
                msg(
                    "ldap.ldap.ldap_data_model.untestable",
                    base_dn=access.base_dn,
                    bind_dn=access.bind_dn,
                )
            )
        evidence = [scan.evidence]
        evidence.extend(_rule_evidence(report.findings[rule], kept) for rule in rules)
        others = {
            rule: report.count(rule) for rule in RULES if rule not in rules and report.count(rule)
        }
        if others:
            evidence.append(
                note(
                    msg(
                        "ldap.ldap.ev.ldap_data_model.note",
                        items=", ".join(f"{rule} ×{count}" for rule, count in others.items()),
                    ),
                    counts=others,
                )
            )
        evidence.append(scan.privacy)
        population = msg("ldap.population", persons=report.persons, structures=report.structures)
        failing = [rule for rule in rules if report.count(rule)]
        if failing:
            listed = clauses(f"{rule} ×{report.count(rule)} ({RULES[rule]})" for rule in failing)
            return Outcome.failed(
                msg("ldap.ldap.ldap_data_model.fail", listed=listed, population=population),
                *evidence,
            )
        return Outcome.passed(
            msg("ldap.ldap.ldap_data_model.pass", rules=", ".join(rules), population=population),
            *evidence,
        )


DELETION_RULES = ("LDAP-REC-002", "LDAP-REC-004")
"""Reconciliation rules about persons who should be gone: judged against a deletion delay."""


def _reconcile_params() -> Mapping[str, Any]:
    schema = dict(_rules_params(RECONCILE_RULES))
    schema["properties"] = {
        **schema["properties"],
        "grace_months": {
            "type": "integer",
            "minimum": 0,
            "maximum": 120,
            "description": "Deletion delay, in calendar months: the persons of LDAP-REC-002 "
            "and LDAP-REC-004 fail only once surely kept longer than this.",
        },
    }
    return schema


class LdapReconcile(Probe):
    """The annuaire against the AAF feed it is fed from (target sections ``ldap`` and ``aaf``).

    Reads the feed files of ``aaf.path`` (families ``EtabEducNat``, ``Eleve``,
    ``PersRelEleve``, ``PersEducNat``) with a small streaming reader, reads the directory
    like ``ldap.data_model``, and matches both by join key (see
    :mod:`probes._ldap_reconcile`: the folder may keep a history of exports; the current
    feed of a family is its latest ``Complet`` export and the deltas after it). Rules:
    ``LDAP-REC-001`` in the feed, not in the directory; ``LDAP-REC-002`` in the directory,
    not in the feed (only families of which the current feed is a full export; staff only
    when attached to a structure of the feed); ``LDAP-REC-003`` an attribute differs (names
    of personal attributes only, never their values); ``LDAP-REC-004`` deleted by the feed,
    still in the directory. The requirement is decided by ``rules``.

    With ``grace_months`` (the three months of the arrêté's article 6), the persons of
    ``LDAP-REC-002`` and ``LDAP-REC-004`` are dated by the exports' dates (file names, else
    the target's ``aaf.date``): a person fails only when surely kept past the delay (the
    first export without it is older than the delay); when the exports are too far apart
    to say, the probe cannot decide and asks for the exports in between. Structures are
    not judged then: the delay is about personal data.
    """

    kind = "ldap.reconcile"
    title = "L'annuaire concorde avec le flux AAF qui l'alimente"
    needs = ("ldap", "aaf")
    params_schema: ClassVar[Mapping[str, Any]] = _reconcile_params()

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Read the feed, read the directory, compare."""
        params = validated_params(self, params)
        rules: list[str] = params["rules"]
        kept: int = params.get("max_examples", 20)
        months: int | None = params.get("grace_months")
        access = _access(context, service_account=True)
        section = context.target.section("aaf")
        folder = context.target.path(str(section.get("path", "")))
        if not folder.is_dir():
            raise NotTestable(msg("ldap.ldap.ldap_reconcile.untestable", folder=folder))
        paths = aaf.feed_files(folder)
        if not paths:
            raise NotTestable(
                msg(
                    "ldap.ldap.ldap_reconcile.untestable_2",
                    families=", ".join(aaf.FAMILIES),
                    folder=folder,
                )
            )
        default_day = _declared_day(section.get("date"))
        files = aaf.import_order([aaf.describe(path, default_day) for path in paths])
        today = _paris_today()
        future = [file.path.name for file in files if file.day is not None and file.day > today]
        if future:
            raise ProbeError(msg("ldap.ldap.ldap_reconcile.error", future=", ".join(future[:5])))
        gaps = aaf.missing_chunks(files)
        if gaps and "LDAP-REC-002" in rules:
            raise ProbeError(msg("ldap.ldap.ldap_reconcile.error_2", gaps=" ; ".join(gaps[:5])))
        pseudo = access.pseudonymiser()
        reconciliation = Reconciliation(pseudo, files=files)
        wanted = frozenset(name for names in COMPARED.values() for name in names)
        try:
            for record in aaf.read_feed(
                [file.path for file in files],
                wanted,
                max_records=access.max_entries,
                deadline=context.deadline,
            ):
                reconciliation.feed(record)
        except aaf.FeedError as exc:
            raise HostileResponse(msg("ldap.ldap.ldap_reconcile.hostile", exc=exc)) from exc
        except aaf.FeedBoundReached as exc:
            if exc.timeout:
                raise ProbeTimeout(str(exc)) from exc
            raise ProbeError(msg("ldap.ldap.ldap_reconcile.error_3", exc=exc)) from exc
        stats, started = _read_directory(access, context, reconciliation.directory)
        report = reconciliation.finish()
        older = reconciliation.older_files()
        days = sorted({file.day for file in files if file.day is not None})
        evidence = [
            Evidence(
                kind="aaf_feed",
                summary=msg(
                    "ldap.ldap.ev.ldap_reconcile.evidence",
                    name=folder.name,
                    count=len(files),
                    value=f" datés du {days[0]:%d/%m/%Y} au {days[-1]:%d/%m/%Y}" if days else "",
                    sum=sum(report.feed_records.values()),
                    families=", ".join(report.families),
                    value2=", ".join(report.complete_families) or "aucune",
                    value3=f" ; {len(older)} fichier(s) plus ancien(s) servant d'historique"
                    if older
                    else "",
                ),
                data={
                    "folder": str(folder),
                    "files": [
                        {
                            "name": file.path.name,
                            "date": file.day.isoformat() if file.day else None,
                            "complete": file.complete,
                            "current": file not in older,
                        }
                        for file in files
                    ],
                    "requests": report.feed_records,
                    "families": report.families,
                    "complete_families": report.complete_families,
                },
            ),
            _scan_evidence(access, stats, started, None),
        ]
        evidence.extend(_rule_evidence(report.findings[rule], kept) for rule in rules)
        evidence.append(_pseudonymisation_evidence(pseudo))
        summary = msg(
            "ldap.reconcile.summary",
            records=sum(report.feed_records.values()),
            entries=report.directory_entries,
        )
        if "LDAP-REC-002" in rules and not report.complete_families:
            raise NotTestable(msg("ldap.ldap.ldap_reconcile.untestable_3"))
        judged = [rule for rule in rules if rule in DELETION_RULES] if months is not None else []
        problems = [
            _listed(report, [rule]) for rule in rules if report.count(rule) and rule not in judged
        ]
        if months is not None and judged:
            timeline = deletion_timeline(report.absences, judged, today, months)
            evidence.append(_timeline_evidence(timeline, months))
            problems += [
                msg("ldap.reconcile.late", rule=rule, late=late, months=months)
                for rule in judged
                if (late := timeline.late.get(rule))
            ]
            if not problems and timeline.uncertain:
                due = (
                    msg("ldap.reconcile.due", day=f"{timeline.next_due:%d/%m/%Y}")
                    if timeline.next_due
                    else ""
                )
                raise ProbeError(
                    msg(
                        "ldap.ldap.ldap_reconcile.error_4",
                        sum=sum(timeline.uncertain.values()),
                        months=months,
                        due=due,
                        summary=summary,
                    ),
                    *evidence,
                )
        if problems:
            return Outcome.failed(
                msg(
                    "ldap.ldap.ldap_reconcile.fail", problems=" ; ".join(problems), summary=summary
                ),
                *evidence,
            )
        if waiting := sum(report.count(rule) for rule in judged):
            return Outcome.passed(
                msg(
                    "ldap.ldap.ldap_reconcile.pass",
                    listed=_listed(report, judged),
                    waiting=waiting,
                    months=months,
                    summary=summary,
                ),
                *evidence,
            )
        return Outcome.passed(
            msg("ldap.ldap.ldap_reconcile.pass_2", rules=", ".join(rules), summary=summary),
            *evidence,
        )


def _listed(report: ReconcileReport, rules: Sequence[str]) -> str:
    return clauses(f"{rule} ×{report.count(rule)} ({RECONCILE_RULES[rule]})" for rule in rules)


def _timeline_evidence(timeline: Timeline, months: int) -> Evidence:
    """How the persons the feed no longer carries stand against the deletion delay."""
    late, uncertain, within = (
        sum(counts.values()) for counts in (timeline.late, timeline.uncertain, timeline.within)
    )
    return Evidence(
        kind="deletion_delay",
        summary=msg(
            "ldap.ldap.ev.timeline_evidence.evidence",
            months=months,
            late=late,
            uncertain=uncertain,
            within=within,
            value=f" (prochaine échéance le {timeline.next_due:%d/%m/%Y})"
            if timeline.next_due
            else "",
        ),
        data={
            "months": months,
            "late": timeline.late,
            "uncertain": timeline.uncertain,
            "within": timeline.within,
            "next_due": timeline.next_due.isoformat() if timeline.next_due else None,
        },
    )


def _declared_day(declared: Any) -> date | None:
    """The target's ``aaf.date`` (ISO): the date of the feed files whose names carry none."""
    if declared is None:
        return None
    try:
        return date.fromisoformat(str(declared))
    except ValueError as exc:
        raise BadParams(msg("ldap.ldap.declared_day.bad_params", declared=f"{declared!r}")) from exc


def _paris_today() -> date:
    """Today in France, where the feeds are dated (UTC when the time zone base is missing)."""
    try:
        return datetime.now(ZoneInfo("Europe/Paris")).date()
    except ZoneInfoNotFoundError:
        return datetime.now(UTC).date()


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


# --- the target's ldap section ----------------------------------------------------------


@dataclass(frozen=True)
class _Access:
    """The ``ldap`` section of the target, with defaults applied."""

    url: str
    host: str
    port: int
    ldaps: bool
    base_dn: str
    bind_dn: str | None
    password: Secret | None
    starttls: bool
    ca_file: str | None
    verify: bool
    page_size: int
    max_entries: int
    pseudonymise: bool
    salt: Secret | None

    @property
    def tls_wanted(self) -> bool:
        """Protect connections with TLS: ``ldaps://``, or StartTLS unless the target says no."""
        return self.ldaps or self.starttls

    def pseudonymiser(self) -> Pseudonymiser:
        """A pseudonymiser for this target's evidence."""
        salt = self.salt.reveal().encode("utf-8") if self.salt is not None else None
        return Pseudonymiser(salt, enabled=self.pseudonymise)


def _access(context: ProbeContext, *, service_account: bool = False) -> _Access:
    """The target's ldap section; ``service_account``: a read-only account is required."""
    target = context.target
    section = target.section("ldap")
    url = section.get("url")
    if not isinstance(url, str) or not url:
        raise NotTestable(msg("ldap.ldap.access.untestable"))
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("ldap", "ldaps") or not parts.hostname:
        raise BadParams(msg("ldap.ldap.access.bad_params", url=url))
    try:
        port = parts.port or (636 if scheme == "ldaps" else 389)
    except ValueError as exc:
        raise BadParams(msg("ldap.ldap.access.bad_params_2", url=url)) from exc
    secrets_by_env = {secret.env: secret for secret in target.secrets}
    ca_file = section.get("ca_file")
    if ca_file:
        ca_path: str | None = str(target.path(ca_file))
    else:
        verify_setting = target.tls_verify
        ca_path = verify_setting if isinstance(verify_setting, str) else None
    bind_dn = section.get("bind_dn") or None
    password = secrets_by_env.get(section.get("password_env", ""))
    if service_account and (bind_dn is None or password is None):
        raise NotTestable(msg("ldap.ldap.access.untestable_2"))
    return _Access(
        url=url,
        host=parts.hostname,
        port=port,
        ldaps=scheme == "ldaps",
        base_dn=section["base_dn"],
        bind_dn=bind_dn,
        password=password,
        starttls=bool(section.get("starttls", True)),
        ca_file=ca_path,
        verify=target.tls_verify is not False,
        page_size=int(section.get("page_size", DEFAULT_PAGE_SIZE)),
        max_entries=int(section.get("max_entries", DEFAULT_MAX_ENTRIES)),
        pseudonymise=bool(section.get("pseudonymise", True)),
        salt=secrets_by_env.get(section.get("pseudonym_salt_env", "")),
    )


# --- one connection ---------------------------------------------------------------------


class _TlsRefused(TargetUnreachable):
    """TLS could not be set up: a finding for ``ldap.tls``, unreachable for the others."""


class _Tripped(Exception):
    """The guarded socket refused to read further (deadline passed or budget spent)."""

    def __init__(self, message: str, *, timeout: bool) -> None:
        super().__init__(message)
        self.timeout = timeout


class _GuardedSocket:
    """Stands in for ldap3's socket once TLS is set up: every read bounded in time and size."""

    def __init__(self, raw: socket.socket, context: ProbeContext, budget: int) -> None:
        self.raw = raw
        self._context = context
        self._budget = budget
        self.received = 0

    def recv(self, size: int, *flags: int) -> bytes:
        remaining = self._context.remaining()
        if remaining <= 0:
            raise _Tripped("échéance de la sonde atteinte pendant une lecture", timeout=True)
        self.raw.settimeout(min(self._context.network_timeout, remaining))
        data = self.raw.recv(size, *flags)
        self.received += len(data)
        if self.received > self._budget:
            raise _Tripped(
                f"plus de {self._budget} octets reçus pour des opérations courtes", timeout=False
            )
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


class _Session:
    """One connection to the annuaire: TCP, TLS as asked, then binds and reads."""

    def __init__(self, access: _Access, context: ProbeContext, *, protect: bool) -> None:
        self.access = access
        self.context = context
        self.protect = protect or access.ldaps
        self._connection: ldap3.Connection | None = None
        self._guard: _GuardedSocket | None = None
        self._wire: wire.WireConnection | None = None

    def __enter__(self) -> Self:
        try:
            self._open()
        except BaseException:
            self.close()
            raise
        return self

    def _open(self) -> None:
        access, context = self.access, self.context
        stalled = context.stalled
        if stalled is not None and stalled.given_up(access.url):
            raise ProbeTimeout(
                msg("ldap.ldap.session.timeout", url=access.url, stalls=stalled.stalls(access.url))
            )
        tls = ldap3.Tls(
            validate=ssl.CERT_REQUIRED if access.verify else ssl.CERT_NONE,
            ca_certs_file=access.ca_file,
            valid_names=[access.host],
        )
        server = ldap3.Server(
            access.host,
            port=access.port,
            use_ssl=access.ldaps,
            tls=tls,
            get_info=ldap3.NONE,
            connect_timeout=context.call_timeout(),
        )
        connection = ldap3.Connection(
            server,
            # Whole seconds: ldap3 packs this value into SO_RCVTIMEO as an integer.
            receive_timeout=max(1, math.ceil(context.call_timeout())),
            raise_exceptions=False,
            read_only=True,
            check_names=False,
            auto_referrals=False,
            auto_range=False,
        )
        self._connection = connection
        context.guard.track(connection)
        with self._bounded(msg("ldap.what.connect", url=access.url), tls=access.ldaps):
            connection.open(read_server_info=False)
        if self.protect and not access.ldaps:
            with self._bounded(msg("ldap.what.starttls", url=access.url), tls=True):
                connection.start_tls(read_server_info=False)
        if self.protect and access.verify:
            problem = _name_problem(connection.socket, access.host)
            if problem:
                raise _TlsRefused(msg("ldap.ldap.session.unreachable", problem=problem))
        self._guard = _GuardedSocket(connection.socket, context, MAX_SMALL_READ_BYTES)
        connection.socket = self._guard

    @contextmanager
    def _bounded(self, what: str, *, tls: bool = False) -> Iterator[None]:
        """One exchange within the network bound in total, its errors translated.

        A server that keeps sending a byte now and then is cut when the bound passes
        (the watchdog shuts the socket down): a timeout, whatever ldap3 made of the cut.
        """
        with self.context.bounded() as exchange:
            exchange.use(self._connection)
            try:
                with _translated(what, tls=tls):
                    yield
            except BaseException as exc:
                if isinstance(exc, ProbeTimeout) or exchange.expired:
                    self._stalled()
                if exchange.expired or self.context.guard.cancelled.is_set():
                    raise ProbeTimeout(
                        msg(
                            "ldap.ldap.session.timeout_2",
                            what=what,
                            seconds=f"{exchange.seconds:.1f}",
                        )
                    ) from exc
                raise
            if exchange.expired:
                self._stalled()
                raise ProbeTimeout(
                    msg("ldap.ldap.session.timeout_2", what=what, seconds=f"{exchange.seconds:.1f}")
                )

    def _stalled(self) -> None:
        if self.context.stalled is not None and not self.context.guard.cancelled.is_set():
            self.context.stalled.record(self.access.url)

    def bind(self, dn: str, password: str) -> wire.LdapResult:
        """A simple bind through the wire client, within the network bound in total."""
        with self._bounded(msg("ldap.what.bind", url=self.access.url)):
            return self.wire_client().bind(dn, password)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close; an error of the wire reader, the guard or ldap3 leaves as a probe error."""
        self.close()
        if exc is None or isinstance(exc, ProbeError):
            return
        if isinstance(exc, wire.WireError):
            raise _wire_error(self.access.url, exc) from exc
        if isinstance(exc, _Tripped | ldap3_errors.LDAPException | OSError):
            with _translated(msg("ldap.what.exchange", url=self.access.url), tls=False):
                raise exc

    def close(self) -> None:
        """Say goodbye when a wire exchange took place, then close the socket."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if self._wire is not None:
            self._wire.unbind()
        raw = self._guard.raw if self._guard is not None else connection.socket
        try:
            if raw is not None:
                raw.close()
        except OSError:
            pass
        connection.closed = True

    @property
    def raw_socket(self) -> socket.socket:
        assert self._guard is not None
        return self._guard.raw

    def wire_client(self) -> wire.WireConnection:
        """A wire connection on the same socket, bounded by the probe's deadline."""
        if self._wire is None:
            self._wire = wire.WireConnection(
                self.raw_socket,
                deadline=self.context.deadline,
                network_timeout=self.context.network_timeout,
                max_message_bytes=MAX_MESSAGE_BYTES,
            )
        return self._wire

    def tls_evidence(self, how: str) -> Evidence:
        """What the TLS session looks like: version, cipher, certificate."""
        raw = self.raw_socket
        if not isinstance(raw, ssl.SSLSocket):
            raise ProbeError(msg("ldap.ldap.session.error"))
        der = raw.getpeercert(binary_form=True)
        certificate = _certificate_facts(der) if der else {}
        version = raw.version()
        cipher = raw.cipher()
        return Evidence(
            kind="tls",
            summary=msg(
                "ldap.ldap.ev.session.evidence",
                how=how,
                version=version,
                value=cipher[0] if cipher else "?",
                get=certificate.get("subject", "?"),
                get2=certificate.get("issuer", "?"),
                host=self.access.host,
            ),
            data={
                "method": how,
                "version": version,
                "cipher": cipher[0] if cipher else None,
                "certificate": certificate,
                "trust_anchor": self.access.ca_file or "magasin de certificats du système",
                "name_checked": self.access.host,
            },
        )

    def bind_service_or_anonymous(self) -> wire.LdapResult:
        """Bind as the service account when the target gives one, else anonymously."""
        access = self.access
        if access.bind_dn and access.password is not None:
            result = self.bind(access.bind_dn, access.password.reveal())
            if not result.ok:
                raise ProbeError(
                    msg(
                        "ldap.ldap.session.error_2",
                        bind_dn=access.bind_dn,
                        describe=result.describe(),
                    )
                )
            return result
        return self.bind("", "")

    def read_entry(self, dn: str, attributes: Sequence[str]) -> dict[str, list[str]] | None:
        """Read one entry (base scope) through ldap3; ``None`` when it cannot be read."""
        assert self._connection is not None
        what = (
            msg("ldap.what.read_entry", dn=dn, url=self.access.url)
            if dn
            else msg("ldap.what.read_root", url=self.access.url)
        )
        with self._bounded(what):
            found = self._connection.search(
                dn, "(objectClass=*)", ldap3.BASE, attributes=list(attributes)
            )
        if not found:
            return None
        for response in self._connection.response or ():
            if response.get("type") == "searchResEntry":
                raw = response.get("raw_attributes", {})
                return {
                    name.lower(): [_text(value) for value in values] for name, values in raw.items()
                }
        return None

    def sample(self, base: str, search_filter: bytes, attributes: Sequence[str]) -> _Sample:
        """Search the subtree, keeping at most a few entries (one small page)."""
        stats = wire.SearchStats()
        entries: list[wire.Entry] = []
        pages = self.wire_client().paged_search(
            base, search_filter, attributes, page_size=_ANONYMOUS_EXAMPLES, stats=stats
        )
        with contextlib.closing(pages):
            entries.extend(next(pages, []))
        return _Sample(entries, stats.result)


@dataclass(frozen=True)
class _Sample:
    """The first entries of a search, and how the server answered."""

    entries: list[wire.Entry]
    result: wire.LdapResult | None

    def evidence(self, object_class: str, pseudo: Pseudonymiser) -> Evidence:
        examples = [
            {"dn": pseudo.dn(dn), "attributs_lisibles": sorted(attributes)}
            for dn, attributes in self.entries[:_ANONYMOUS_EXAMPLES]
        ]
        answer = self.result.describe() if self.result else "aucune réponse finale"
        if self.entries:
            summary = (
                f"(objectClass={object_class}) en anonyme : {len(self.entries)} entrée(s) "
                f"visible(s) dans la première page ({answer})"
            )
        else:
            summary = msg("ldap.anonymous_none", object_class=object_class, answer=answer)
        return Evidence(
            kind="ldap_search",
            summary=summary,
            data={
                "filter": f"(objectClass={object_class})",
                "bind": "anonyme",
                "entries_in_first_page": len(self.entries),
                "result": self.result.describe() if self.result else None,
                "examples": examples,
            },
        )


@dataclass(frozen=True)
class _ClearBind:
    accepted: bool
    message: str
    evidence: Evidence


def _clear_bind(access: _Access, context: ProbeContext) -> _ClearBind:
    """Bind in clear with a made-up DN and password; tell whether it was refused for lack of TLS."""
    dn = _probe_dn(access)
    with _Session(access, context, protect=False) as session:
        result = session.bind(dn, "sdet-check-" + secrets.token_urlsafe(12))
    evidence = _bind_evidence("liaison simple en clair (DN et mot de passe fictifs)", dn, result)
    if result.code in _REFUSED_IN_CLEAR:
        return _ClearBind(False, "", evidence)
    if result.code in _PROCESSED_IN_CLEAR:
        return _ClearBind(
            True,
            "le serveur accepte d'examiner un mot de passe envoyé en clair "
            f"({result.describe()} au lieu de confidentialityRequired)",
            evidence,
        )
    raise ProbeError(msg("ldap.ldap.clear_bind.error", describe=result.describe()), evidence)


def _probe_dn(access: _Access) -> str:
    return f"{_PROBE_DN_RDN},{access.base_dn}"


def _root_dse_values(session: _Session, attribute: str) -> list[str] | None:
    entry = session.read_entry("", [attribute])
    return None if entry is None else entry.get(attribute.lower(), [])


def _starttls_advert(advertised: list[str] | None) -> Evidence:
    if advertised is None:
        return note(msg("ldap.ldap.ev.starttls_advert.note"))
    present = STARTTLS_OID in advertised
    return Evidence(
        kind="ldap_root_dse",
        summary=msg(
            "ldap.ldap.ev.starttls_advert.evidence",
            starttls_oid=STARTTLS_OID,
            value="annoncé dans supportedExtension" if present else "absent de supportedExtension",
        ),
        data={"supportedExtension": _named_oids(advertised), "starttls_advertised": present},
    )


# --- errors at the boundary -------------------------------------------------------------


@contextmanager
def _translated(what: str, *, tls: bool = False) -> Iterator[None]:
    """Turn ldap3, ssl and socket errors into probe errors naming ``what``."""
    try:
        yield
    except ProbeError:
        raise
    except _Tripped as tripped:
        if tripped.timeout:
            raise ProbeTimeout(
                msg("ldap.ldap.translated.timeout", what=what, tripped=tripped)
            ) from tripped
        raise HostileResponse(
            msg("ldap.ldap.translated.timeout", what=what, tripped=tripped)
        ) from tripped
    except (ldap3_errors.LDAPException, OSError) as exc:
        raise _probe_error(what, exc, tls=tls) from exc
    except _UNDECODABLE as exc:
        # ldap3's decoder fails this way on bytes that are not LDAP (noise, an HTTP server).
        raise HostileResponse(
            msg(
                "ldap.ldap.translated.hostile",
                what=what,
                error_type=type(exc).__name__,
                detail=_short(str(exc)),
            )
        ) from exc


_UNDECODABLE = (
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    AttributeError,
    UnicodeError,
    PyAsn1Error,
)


def _probe_error(what: str, exc: BaseException, *, tls: bool) -> ProbeError:
    chain = list(_chain(exc))
    text = " | ".join(str(item) for item in chain)
    lowered = text.lower()
    if any(isinstance(item, TimeoutError) for item in chain) or "timed out" in lowered:
        return ProbeTimeout(msg("ldap.ldap.probe_error.timeout", what=what))
    if (
        any(isinstance(item, ssl.SSLCertVerificationError) for item in chain)
        or "certificate_verify_failed" in lowered
        or any(isinstance(item, ldap3_errors.LDAPCertificateError) for item in chain)
    ):
        return _TlsRefused(msg("ldap.ldap.probe_error.unreachable", detail=_short(text)))
    if tls and isinstance(exc, ldap3_errors.LDAPStartTLSError):
        return _TlsRefused(msg("ldap.ldap.probe_error.unreachable_2", detail=_short(text)))
    if tls and ("ssl" in lowered or any(isinstance(item, ssl.SSLError) for item in chain)):
        return _TlsRefused(msg("ldap.ldap.probe_error.unreachable_3", detail=_short(text)))
    if "refused" in lowered or "unreachable" in lowered or "no route" in lowered:
        return TargetUnreachable(
            msg("ldap.ldap.probe_error.unreachable_4", what=what, detail=_short(text))
        )
    return TargetUnreachable(
        msg("ldap.ldap.probe_error.unreachable_5", what=what, detail=_short(text))
    )


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _short(text: str) -> str:
    return text if len(text) <= 300 else text[:300] + "…"


def _wire_error(url: str, exc: wire.WireError) -> ProbeError:
    """The probe error for a failure of the wire reader."""
    if isinstance(exc, wire.Timeout):
        return ProbeTimeout(msg("ldap.ldap.wire_error.timeout", url=url, exc=exc))
    if isinstance(exc, wire.TooLarge | wire.Malformed):
        return HostileResponse(msg("ldap.ldap.wire_error.hostile", url=url, exc=exc))
    return TargetUnreachable(msg("ldap.ldap.wire_error.timeout", url=url, exc=exc))


# --- the shared directory scan ----------------------------------------------------------


@dataclass(frozen=True)
class _Scan:
    """One read of the whole tree, audited."""

    report: AuditReport
    evidence: Evidence
    privacy: Evidence


class _ScanSlot:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.scan: _Scan | None = None
        self.error: ProbeError | None = None


_SCANS: dict[int, _ScanSlot] = {}
_SCANS_LOCK = threading.Lock()


def _shared_scan(access: _Access, context: ProbeContext) -> _Scan:
    """The scan of this run's target: made by the first probe asking, reused by the others."""
    target = context.target
    key = id(target)
    with _SCANS_LOCK:
        slot = _SCANS.get(key)
        if slot is None:
            slot = _SCANS[key] = _ScanSlot()
            # The run's target object lives as long as the run: so does its scan.
            weakref.finalize(target, _SCANS.pop, key, None)
    if not slot.lock.acquire(timeout=max(0.0, context.remaining())):
        raise ProbeTimeout(msg("ldap.ldap.shared_scan.timeout"))
    try:
        if slot.scan is None and slot.error is None:
            try:
                slot.scan = _scan(access, context)
            except ProbeError as error:
                slot.error = error
        if slot.error is not None:
            raise type(slot.error)(str(slot.error), *slot.error.evidence)
        assert slot.scan is not None
        return slot.scan
    finally:
        slot.lock.release()


@dataclass(frozen=True)
class _Search:
    """One of the searches of a scan: the filter says what its entries are."""

    kind: str
    text: str
    ber: bytes
    attributes: tuple[str, ...]


def _searches() -> tuple[_Search, ...]:
    person = wire.equal("objectClass", "ENTPerson")
    pupil = wire.equal("objectClass", "ENTEleve")
    relative = wire.equal("objectClass", "ENTAuxPersRelEleve")
    structure = wire.equal("objectClass", "ENTStructure")
    return (
        _Search(
            "structure",
            "(&(objectClass=ENTStructure)(!(objectClass=ENTPerson)))",
            wire.all_of(structure, wire.negate(person)),
            STRUCTURE_ATTRIBUTES,
        ),
        _Search(
            "pupil",
            "(&(objectClass=ENTPerson)(objectClass=ENTEleve))",
            wire.all_of(person, pupil),
            PERSON_ATTRIBUTES,
        ),
        _Search(
            "relative",
            "(&(objectClass=ENTPerson)(objectClass=ENTAuxPersRelEleve)(!(objectClass=ENTEleve)))",
            wire.all_of(person, relative, wire.negate(pupil)),
            PERSON_ATTRIBUTES,
        ),
        _Search(
            "person",
            "(&(objectClass=ENTPerson)(!(objectClass=ENTEleve))(!(objectClass=ENTAuxPersRelEleve)))",
            wire.all_of(person, wire.negate(pupil), wire.negate(relative)),
            PERSON_ATTRIBUTES,
        ),
    )


SCAN_SEARCHES = _searches()
"""The paged searches of a scan, one per kind of entry (no objectClass values are read)."""


def _scan(access: _Access, context: ProbeContext) -> _Scan:
    """Read every person and structure with paged searches and audit them."""
    # The audit's records are gone (freed by reference counting) when the collector comes
    # back: it then has nothing left over to walk.
    with _COLLECTOR.paused():
        return _audited_scan(access, context)


def _audited_scan(access: _Access, context: ProbeContext) -> _Scan:
    pseudo = access.pseudonymiser()
    audit = DirectoryAudit(pseudo, date.today())
    stats, started = _read_directory(access, context, audit.add)
    report = audit.finish()
    return _Scan(
        report=report,
        evidence=_scan_evidence(access, stats, started, report),
        privacy=_pseudonymisation_evidence(pseudo),
    )


def _read_directory(
    access: _Access,
    context: ProbeContext,
    consume: Callable[[str, dict[str, list[str]], str], None],
) -> tuple[wire.SearchStats, float]:
    """Give ``consume(dn, attributes, kind)`` every entry of :data:`SCAN_SEARCHES`.

    Bounded by the probe's deadline and ``ldap.max_entries``; a refused search raises.
    Returns the search statistics and the ``time.monotonic()`` start, for the evidence.
    """
    stats = wire.SearchStats()
    started = time.monotonic()
    with _COLLECTOR.paused(), _Session(access, context, protect=access.tls_wanted) as session:
        session.bind_service_or_anonymous()
        client = session.wire_client()
        for search in SCAN_SEARCHES:
            pages = client.paged_search(
                access.base_dn,
                search.ber,
                search.attributes,
                page_size=access.page_size,
                stats=stats,
                stop_after=access.max_entries,
            )
            for page in pages:
                for dn, attributes in page:
                    consume(dn, attributes, search.kind)
                if stats.entries > access.max_entries:
                    raise ProbeError(
                        msg(
                            "ldap.ldap.read_directory.error",
                            max_entries=access.max_entries,
                            base_dn=access.base_dn,
                        ),
                        _scan_evidence(access, stats, started, None),
                    )
            result = stats.result
            if result is None or not result.ok:
                _scan_refused(access, stats, started, result)
    return stats, started


class _CollectorPause:
    """Keeps Python's cyclic garbage collector off while at least one scan runs.

    A scan makes millions of small lists, dicts and strings that live for a page, and keeps a
    record of every person for the checks between entries. None of them is part of a cycle
    (reference counting frees them), but each automatic collection walks every one still
    alive: on a directory of 100,000 persons that is about a third of the scan's time. Scans
    of concurrent probes share the pause; the collector comes back when the last one ends, if
    it was on when the first began.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scans = 0
        self._resume = False

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Pause the collector for the ``with`` block."""
        with self._lock:
            if self._scans == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._scans += 1
        try:
            yield
        finally:
            with self._lock:
                self._scans -= 1
                if self._scans == 0 and self._resume:
                    gc.enable()


_COLLECTOR = _CollectorPause()


def _scan_refused(
    access: _Access, stats: wire.SearchStats, started: float, result: wire.LdapResult | None
) -> None:
    evidence = _scan_evidence(access, stats, started, None)
    answer = result.describe() if result else "aucune réponse"
    if result is not None and result.code == 3:
        raise ProbeTimeout(msg("ldap.ldap.scan_refused.timeout", answer=answer), evidence)
    if result is not None and result.code in (4, 11):
        raise ProbeError(
            msg("ldap.ldap.scan_refused.error", answer=answer, entries=stats.entries),
            evidence,
        )
    raise ProbeError(
        msg("ldap.ldap.scan_refused.error_2", base_dn=access.base_dn, answer=answer), evidence
    )


def _scan_evidence(
    access: _Access, stats: wire.SearchStats, started: float, report: AuditReport | None
) -> Evidence:
    duration = round(time.monotonic() - started, 3)
    data: dict[str, Any] = {
        "base": access.base_dn,
        "searches": [
            {"kind": search.kind, "filter": search.text, "attributes": list(search.attributes)}
            for search in SCAN_SEARCHES
        ],
        "bind_dn": access.bind_dn,
        "page_size": access.page_size,
        "pages": stats.pages,
        "entries": stats.entries,
        "references": stats.references,
        "server_paged": stats.server_paged,
        "bytes_read": stats.bytes_read,
        "duration_s": duration,
        "result": stats.result.describe() if stats.result else None,
        "read_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if report is None:
        return Evidence(
            kind="ldap_scan",
            summary=msg(
                "ldap.ldap.ev.scan_evidence.evidence",
                base_dn=access.base_dn,
                entries=stats.entries,
                pages=stats.pages,
            ),
            data=data,
        )
    data.update(
        persons=report.persons,
        structures=report.structures,
        pupils=report.pupils,
        relatives=report.relatives,
        profiles=report.profiles,
        findings={rule: report.count(rule) for rule in RULES},
    )
    return Evidence(
        kind="ldap_scan",
        summary=msg(
            "ldap.ldap.ev.scan_evidence.evidence_2",
            base_dn=access.base_dn,
            persons=report.persons,
            pupils=report.pupils,
            structures=report.structures,
            pages=stats.pages,
            page_size=access.page_size,
            duration=f"{duration:g}",
        ),
        data=data,
    )


def _rule_evidence(findings: RuleFindings, kept: int) -> Evidence:
    rule = findings.rule
    examples = findings.examples[:kept]
    if not findings.count:
        summary = msg("ldap.rule_none", rule=rule, title=findings.title)
    else:
        summary = msg("ldap.rule_count", rule=rule, title=findings.title, count=findings.count)
        if findings.count > len(examples):
            summary = msg("ldap.rule_examples", finding=summary, shown=len(examples))
    return Evidence(
        kind="ldap_finding",
        summary=summary,
        data={
            "rule": rule,
            "title": findings.title,
            "count": findings.count,
            "examples": examples,
            "examples_omitted": findings.count - len(examples),
        },
    )


# --- evidence helpers -------------------------------------------------------------------


def _pseudonymisation_evidence(pseudo: Pseudonymiser) -> Evidence:
    described = pseudo.describe()
    if not pseudo.enabled:
        return Evidence(
            kind="pseudonymisation",
            summary=msg("ldap.ldap.ev.pseudonymisation_evidence.evidence"),
            data=described,
        )
    masked = sum(pseudo.masked.values())
    described["never_copied"] = [
        "sn",
        "givenName",
        "cn",
        "ENTPersonDateNaissance",
        "mail",
        "ENTPersonAdresse",
        "telephoneNumber",
        "mobile",
        "ENTEleveINE",
    ]
    return Evidence(
        kind="pseudonymisation",
        summary=msg("ldap.ldap.ev.pseudonymisation_evidence.evidence_2", masked=masked),
        data=described,
    )


def _bind_evidence(label: str, dn: str, result: wire.LdapResult) -> Evidence:
    return Evidence(
        kind="ldap_bind",
        summary=msg("ldap.ldap.ev.bind_evidence.evidence", label=label, describe=result.describe()),
        data={
            "dn": dn,
            "result_code": result.code,
            "result": result.name,
            "message": result.message,
        },
    )


def _root_dse_evidence(root: Mapping[str, list[str]]) -> Evidence:
    shown: dict[str, Any] = {}
    for name, values in sorted(root.items()):
        if name in ("supportedcontrol", "supportedextension", "supportedfeatures"):
            shown[name] = _named_oids(values)
        else:
            shown[name] = values
    vendor = root.get("vendorname")
    return Evidence(
        kind="ldap_root_dse",
        summary=msg(
            "ldap.ldap.ev.root_dse_evidence.evidence",
            value=", ".join(root.get("supportedldapversion", []) or ["?"]),
            value2=", ".join(root.get("namingcontexts", []) or ["?"]),
            value3=f" ; éditeur {vendor[0]}" if vendor else " ; pas de vendorName (non exigé)",
        ),
        data=shown,
    )


def _named_oids(values: Sequence[str]) -> list[str]:
    return [f"{oid} ({_KNOWN_OIDS[oid]})" if oid in _KNOWN_OIDS else oid for oid in values]


def _parse_definitions(kind: type[Any], definitions: Sequence[str]) -> dict[str, Any]:
    """Parse RFC 4512 definitions with ldap3, by lower-case name (every alias)."""
    try:
        parsed = kind.from_definition(list(definitions))
    except Exception as exc:  # ldap3's parser raises bare exceptions on bad input
        raise HostileResponse(msg("ldap.ldap.parse_definitions.hostile", exc=exc)) from exc
    by_name: dict[str, Any] = {}
    for name, info in parsed.items():
        by_name[str(name).lower()] = info
    return by_name


def _class_summary(info: ObjectClassInfo) -> dict[str, Any]:
    kinds = {0: "STRUCTURAL", 1: "ABSTRACT", 2: "AUXILIARY"}
    return {
        "name": info.name[0] if info.name else info.oid,
        "oid": info.oid,
        "kind": kinds.get(info.kind, str(info.kind)),
        "superior": list(info.superior or []),
        "must": list(info.must_contain or []),
        "may_count": len(info.may_contain or []),
    }


def _certificate_facts(der: bytes) -> dict[str, Any]:
    certificate = x509.load_der_x509_certificate(der)
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(name) for name in san.get_values_for_type(x509.DNSName)] + [
            str(address) for address in san.get_values_for_type(x509.IPAddress)
        ]
    except x509.ExtensionNotFound:
        names = []
    return {
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "subject_alt_names": names,
        "not_after": certificate.not_valid_after_utc.isoformat(),
        "serial": format(certificate.serial_number, "x"),
    }


def _name_problem(sock: Any, host: str) -> str | None:
    """Check the certificate's subjectAltName against ``host`` (RFC 6125; no CN fallback)."""
    raw = getattr(sock, "getpeercert", None)
    der = raw(binary_form=True) if raw else None
    if not der:
        return "aucun certificat présenté"
    names = _certificate_facts(der)["subject_alt_names"]
    wanted = host.lower().rstrip(".")
    for name in names:
        name = name.lower().rstrip(".")
        if name == wanted:
            return None
        wildcard = name.startswith("*.") and "." in wanted and not _is_ip(wanted)
        if wildcard and wanted.split(".", 1)[1] == name[2:]:
            return None
    return f"le certificat ne vaut pas pour {host} (noms : {', '.join(names) or 'aucun'})"


def _is_ip(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
