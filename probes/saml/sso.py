"""The probes of the SSO exchange: the login itself, its bindings, refusals of strangers."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, ClassVar

from probes.saml.common import (
    BINDING_REDIRECT,
    STATUS_SUCCESS,
    required_key,
    saml_accounts,
    saml_section,
)
from probes.saml.login import attempt_login, response_facts, sso_login
from probes.saml.metadata import fetch_metadata
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
from sdet_check.transport import MAX_BODY_BYTES as MAX_BODY_BYTES  # the bound, for readers


class Login(Probe):
    """A service-provider-initiated login (Web Browser SSO profile §4.1.4.2).

    Pass: the ``SAMLResponse`` has ``StatusCode`` Success, ``Destination`` = the test SP's
    ACS, ``InResponseTo`` = the request's ID, the Response ``Issuer`` (when present) and the
    assertion ``Issuer`` = the IdP entityID, Version 2.0, and the form posts to the ACS.
    """

    kind = "saml.login"
    title = "Connexion SAML initiée par le fournisseur de services"
    needs = ("saml", "accounts")
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {},
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Log in with the first test account and check the response envelope."""
        validated_params(self, params)
        section = saml_section(context)
        with context.http_session() as session:
            metadata = fetch_metadata(session, section, context)
            account = saml_accounts(context, section)[0]
            login = sso_login(session, context, section, metadata, account)
        response = login.response
        facts = response_facts(response)
        problems: list[str] = []
        if response.get("Version") != "2.0":
            problems.append(msg("saml.sso.login.append", get=f"{response.get('Version')!r}"))
        if facts["status"] != STATUS_SUCCESS:
            problems.append(msg("saml.sso.login.append_2", status=facts["status"]))
        if facts["destination"] != login.acs_url:
            problems.append(
                msg(
                    "saml.sso.login.append_3",
                    destination=f"{facts['destination']!r}",
                    acs_url=login.acs_url,
                )
            )
        if facts["in_response_to"] != login.request_id:
            problems.append(
                msg(
                    "saml.sso.login.append_4",
                    in_response_to=f"{facts['in_response_to']!r}",
                    request_id=login.request_id,
                )
            )
        if facts["issuer"] is not None and facts["issuer"] != metadata.entity_id:
            problems.append(
                msg(
                    "saml.sso.login.append_5",
                    issuer=f"{facts['issuer']!r}",
                    entity_id=metadata.entity_id,
                )
            )
        problems.extend(
            f"Issuer d'assertion {issuer!r} ≠ {metadata.entity_id}"
            for issuer in facts["assertion_issuers"]
            if issuer != metadata.entity_id
        )
        if login.form_action != login.acs_url:
            problems.append(msg("saml.sso.login.append_6", form_action=login.form_action))
        summary = note(msg("saml.sso.ev.login.note"), **facts)
        if problems:
            return Outcome.failed(
                msg("saml.sso.login.fail", problems=clauses(problems)), summary, *login.evidence
            )
        return Outcome.passed(
            msg("saml.sso.login.pass", profile=account.profile),
            summary,
            *login.evidence,
        )


class Bindings(Probe):
    """HTTP-Redirect for requests, HTTP-POST for responses (SAML bindings §3.4, §3.5).

    Fail: no ``SingleSignOnService`` with the HTTP-Redirect binding in the metadata, or a
    test login whose response does not come back as an HTTP-POST form. A login is needed to
    observe the response binding.
    """

    kind = "saml.bindings"
    title = "Liaisons HTTP-Redirect (requête) et HTTP-POST (réponse)"
    needs = ("saml", "accounts")
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {},
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Read the SSO bindings, then observe the response of a test login."""
        validated_params(self, params)
        section = saml_section(context)
        with context.http_session() as session:
            metadata = fetch_metadata(session, section, context)
            services = metadata.sso_services()
            listed = note(
                msg("saml.sso.ev.bindings.note"),
                services=[{"binding": b, "location": loc} for b, loc in services],
            )
            if not any(binding == BINDING_REDIRECT for binding, _ in services):
                return Outcome.failed(
                    msg("saml.sso.bindings.fail"),
                    listed,
                    metadata.exchange,
                )
            account = saml_accounts(context, section)[0]
            login = sso_login(session, context, section, metadata, account)
        return Outcome.passed(
            msg("saml.sso.bindings.pass", form_action=login.form_action),
            listed,
            *login.evidence,
        )


class UnknownSp(Probe):
    """The IdP issues nothing to an unknown SP or to an undeclared ACS address.

    Two requests: one whose ``Issuer`` is an entityID nobody declared; one from the test
    SP asking for ``undeclared_acs_url``. For each, the probe follows the IdP (and logs in
    when a form asks for it). Fail: a ``SAMLResponse`` with status Success is issued to the
    unknown SP, or a response form posts to, or names as Destination, the undeclared
    address. Falling back to the SP's declared ACS is a refusal of the undeclared one.
    """

    kind = "saml.unknown_sp"
    title = "Fournisseur de services inconnu et adresse de retour non déclarée refusés"
    needs = ("saml", "accounts")
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "undeclared_acs_url": {
                "type": "string",
                "pattern": "^https?://",
                "default": "https://acs-non-declaree.sdet-check.invalid/acs",
                "description": "An ACS address the test SP never declared.",
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Send both requests and look at what comes back."""
        params = validated_params(self, params)
        section = saml_section(context)
        rogue_acs: str = params.get(
            "undeclared_acs_url", "https://acs-non-declaree.sdet-check.invalid/acs"
        )
        problems: list[str] = []
        evidence: list[Evidence] = []
        with context.http_session() as session:
            metadata = fetch_metadata(session, section, context)
            account = saml_accounts(context, section)[0]
            stranger = f"urn:sdet-check:sp-inconnu:{secrets.token_hex(6)}"
            unknown = attempt_login(
                session, context, section, metadata, account,
                sp_entity_id=stranger, acs_url=rogue_acs, sign=False,
            )  # fmt: skip
            evidence.append(unknown.summary(f"requête d'un SP inconnu ({stranger})"))
            evidence += unknown.evidence
            if unknown.issued_success():
                problems.append(
                    msg(
                        "saml.sso.unknown_sp.append",
                        stranger=stranger,
                        form_action=unknown.form_action,
                    )
                )
            session.cookies.clear()
            declared_sp = required_key(section.sp_entity_id, "sp_entity_id")
            try:
                detour = attempt_login(
                    session, context, section, metadata, account,
                    sp_entity_id=declared_sp, acs_url=rogue_acs, sign=True,
                )  # fmt: skip
            except ProbeError as exc:
                if not problems:
                    raise
                # The failure already shown stands; what went wrong next joins the evidence.
                evidence += exc.evidence
                problems.append(msg("saml.sso.unknown_sp.append_2", exc=exc))
                return Outcome.failed(
                    msg("saml.sso.unknown_sp.fail", problems=clauses(problems)),
                    *evidence,
                )
            evidence.append(detour.summary(f"requête du SP de test vers l'ACS {rogue_acs}"))
            evidence += detour.evidence
            if detour.delivers_to(rogue_acs):
                problems.append(
                    msg("saml.sso.unknown_sp.append_3", rogue_acs=rogue_acs, status=detour.status)
                )
            if problems:
                return Outcome.failed(
                    msg("saml.sso.unknown_sp.fail", problems=clauses(problems)),
                    *evidence,
                )
            # A refusal only means something from an IdP that does answer its own SP.
            session.cookies.clear()
            control = attempt_login(
                session, context, section, metadata, account,
                sp_entity_id=declared_sp, acs_url=required_key(section.sp_acs_url, "sp_acs_url"),
                sign=True,
            )  # fmt: skip
            evidence.append(control.summary("requête témoin du SP de test, ACS déclarée"))
            evidence += control.evidence
        if not control.issued_success():
            raise ProbeError(
                msg("saml.sso.unknown_sp.error", outcome_text=control.outcome_text()),
                *evidence,
            )
        return Outcome.passed(
            msg(
                "saml.sso.unknown_sp.pass",
                outcome_text=unknown.outcome_text(),
                outcome_text2=detour.outcome_text(),
            ),
            *evidence,
        )
