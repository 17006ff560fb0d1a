"""Probes of how the annuaire is reached: TLS, anonymous reading, password binds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from probes import _ldap_wire as wire
from probes.ldap.connection import (
    _ANONYMOUS_EXAMPLES,
    _NO_PARAMS,
    _NOTHING_TO_READ,
    _access,
    _bind_evidence,
    _clear_bind,
    _probe_dn,
    _pseudonymisation_evidence,
    _root_dse_values,
    _Session,
    _starttls_advert,
    _TlsRefused,
)
from sdet_check.evidence import note
from sdet_check.messages import clauses, msg
from sdet_check.probe import (
    Evidence,
    Outcome,
    Probe,
    ProbeContext,
    ProbeError,
    validated_params,
)

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
            evidence.append(_bind_evidence(msg("ldap.guard.anonymous_bind_label"), "", bound))
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
        evidence.append(_bind_evidence(msg("ldap.guard.unauthenticated_bind_label"), dn, result))
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
