"""Ticket validation as a service does it: CAS 2.0/3.0, CAS 1.0, SAML 1.1, and their errors.

Every validation goes over the back channel (:func:`probes.cas.answers.validate`): a fresh
request with no browser cookie, as a service's server sends it (spec §2.5, §2.4, §4.2).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import requests

from probes.cas.answers import read_answer, validate
from probes.cas.common import (
    CAS_NS,
    OPTIONAL_PARAM,
    PROTOCOL_ATTRIBUTES,
    SAML1_ASSERTION_NS,
    SAML1_PROTOCOL_NS,
    CasProbe,
    CasSection,
    Recorder,
    cut,
    login_accounts,
    offered,
    who,
)
from probes.cas.flow import log_in
from sdet_check.messages import msg
from sdet_check.probe import BadParams, NotTestable, Outcome, ProbeContext, ProbeError
from sdet_check.xmlsafe import parse_hostile_xml

VALIDATION_ENDPOINTS = (
    "serviceValidate",
    "proxyValidate",
    "p3/serviceValidate",
    "p3/proxyValidate",
)
"""CAS 2.0 and 3.0 validation endpoints, relative to the CAS prefix."""


class ServiceValidate(CasProbe):
    """A CAS validation endpoint answers in the CAS namespace with ``authenticationSuccess``.

    A ticket obtained by logging in with the first account is validated at ``endpoint`` over
    the back channel (no browser cookie, as a service does). Pass: status 200, well-formed
    XML whose root is ``{http://www.yale.edu/tp/cas}serviceResponse`` with an
    ``authenticationSuccess`` holding a non-empty ``user`` (spec §2.5.2, appendix A); with
    ``require_attributes``, ``cas:attributes`` must also hold user attributes (spec §2.8).
    An endpoint the server does not offer (404/405/410/501, a redirect, a web page) is
    ``not_applicable`` when ``optional``, a failure otherwise.
    """

    kind = "cas.service_validate"
    title = "Validation de ticket CAS 2.0/3.0 (réponse XML dans l'espace de noms CAS)"
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "endpoint": {
                "enum": list(VALIDATION_ENDPOINTS),
                "default": "serviceValidate",
                "description": "Validation endpoint, relative to the CAS prefix.",
            },
            "optional": OPTIONAL_PARAM,
            "require_attributes": {
                "type": "boolean",
                "default": False,
                "description": "Also require user attributes in cas:attributes (CAS 3.0).",
            },
        },
    }

    def decide(self, params: Mapping[str, Any], cas: CasSection, recorder: Recorder) -> Outcome:
        """Log in, validate the ticket at the endpoint, judge the answer."""
        endpoint: str = params.get("endpoint", "serviceValidate")
        account = login_accounts(recorder.context, None)[0]
        login = log_in(recorder.browser(), cas, account, cas.service)
        response = recorder.back_channel().get(
            cas.endpoint(endpoint), {"service": cas.service, "ticket": login.ticket}
        )
        if not offered(response):
            return recorder.not_offered(endpoint, response, params.get("optional", False))
        if response.status_code != 200:
            recorder.problem(
                msg(
                    "cas.validation.service_validate.problem",
                    endpoint=endpoint,
                    status_code=response.status_code,
                )
            )
        answer = read_answer(response, msg("core.what.answer_of", endpoint=endpoint))
        if not answer.in_cas_namespace:
            recorder.problem(
                msg(
                    "cas.validation.service_validate.problem_2",
                    endpoint=endpoint,
                    cas_ns=CAS_NS,
                    root=answer.root,
                )
            )
        elif not answer.succeeded or not answer.user:
            recorder.problem(
                msg(
                    "cas.validation.service_validate.problem_3",
                    endpoint=endpoint,
                    describe=answer.describe(),
                )
            )
        else:
            recorder.add(answer.evidence(f"réponse de /{endpoint} pour {who(account)}"))
            if params.get("require_attributes", False) and not answer.attributes:
                recorder.problem(
                    msg(
                        "cas.validation.service_validate.problem_4",
                        endpoint=endpoint,
                        user=f"{answer.user!r}",
                    )
                )
        names = ", ".join(sorted(answer.attributes)) or "aucun"
        return recorder.verdict(
            msg("cas.validation.service_validate.verdict", endpoint=endpoint),
            msg(
                "cas.validation.service_validate.verdict_2",
                endpoint=endpoint,
                cas_ns=CAS_NS,
                user=f"{answer.user!r}",
                names=names,
            ),
        )


class TicketErrors(CasProbe):
    """The protocol's validation errors: single use, service binding, missing parameter.

    ``case``: ``replay`` — a ticket validated once is refused at the second attempt with
    ``INVALID_TICKET`` (spec §3.1.1; at ``validate``, CAS 1.0, a ``no``); ``other_service``
    — a ticket presented for ``cas.other_service`` is refused with ``INVALID_SERVICE`` and
    is then dead for its own service (spec §2.5.3); ``missing_param`` — a validation without
    ``ticket``, then without ``service``, fails with ``INVALID_REQUEST`` (spec §2.5.3).
    """

    kind = "cas.ticket_errors"
    title = "Codes d'erreur de validation : rejeu, autre service, paramètre manquant"
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["case"],
        "properties": {
            "case": {"enum": ["replay", "other_service", "missing_param"]},
            "endpoint": {
                "enum": ["serviceValidate", "p3/serviceValidate", "validate"],
                "default": "serviceValidate",
                "description": "Validation endpoint used (validate: CAS 1.0, replay only).",
            },
        },
    }

    def prepare(self, params: Mapping[str, Any], cas: CasSection, context: ProbeContext) -> None:
        """A second registered service is needed to present a ticket elsewhere."""
        if params.get("endpoint") == "validate" and params["case"] != "replay":
            raise BadParams(msg("cas.validation.ticket_errors.bad_params", kind=self.kind))
        if params["case"] == "other_service" and not cas.other_service:
            raise NotTestable(msg("cas.validation.ticket_errors.untestable"))

    def decide(self, params: Mapping[str, Any], cas: CasSection, recorder: Recorder) -> Outcome:
        """Run the chosen error case."""
        case: str = params["case"]
        endpoint: str = params.get("endpoint", "serviceValidate")
        account = login_accounts(recorder.context, None)[0]
        ticket = log_in(recorder.browser(), cas, account, cas.service).ticket
        if case == "replay":
            return _replay(recorder, cas, endpoint, ticket)
        if case == "other_service":
            return _other_service(recorder, cas, endpoint, ticket)
        return _missing_param(recorder, cas, endpoint, ticket)


class Endpoint(CasProbe):
    """The CAS 1.0 ``/validate`` and the SAML 1.1 ``/samlValidate`` endpoints.

    ``validate``: a fresh ticket gives a body beginning ``yes`` + LF, the same ticket again
    ``no`` + LF (spec §2.4.2). ``samlValidate``: a SOAP ``samlp:Request`` carrying a fresh
    ticket (POST, ``TARGET`` = the service) gives a SAML 1.1 ``Response`` with a ``Success``
    status, an assertion whose ``Audience`` is the service, a ``NameIdentifier`` and at least
    one attribute (spec §4.2). Both are called over the back channel. An endpoint not
    offered is ``not_applicable`` when ``optional``, a failure otherwise.
    """

    kind = "cas.endpoint"
    title = "Points d'accès /validate (CAS 1.0) et /samlValidate (SAML 1.1)"
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["endpoint"],
        "properties": {
            "endpoint": {"enum": ["validate", "samlValidate"]},
            "optional": OPTIONAL_PARAM,
        },
    }

    def decide(self, params: Mapping[str, Any], cas: CasSection, recorder: Recorder) -> Outcome:
        """Log in, then exercise the endpoint with the ticket."""
        optional: bool = params.get("optional", False)
        account = login_accounts(recorder.context, None)[0]
        ticket = log_in(recorder.browser(), cas, account, cas.service).ticket
        if params["endpoint"] == "validate":
            return _validate_v1(recorder, cas, ticket, optional)
        return _saml_validate(recorder, cas, ticket, optional)


# --- the error cases ------------------------------------------------------------------------


def _replay(recorder: Recorder, cas: CasSection, endpoint: str, ticket: str) -> Outcome:
    first = validate(recorder, cas, endpoint, cas.service, ticket)
    if not first.succeeded:
        raise ProbeError(msg("cas.validation.replay.error", describe=first.describe()))
    second = validate(recorder, cas, endpoint, cas.service, ticket)
    if second.succeeded:
        return recorder.failed(msg("cas.validation.replay.failed", cut=cut(ticket)))
    if second.version == 1:
        if second.outcome != "authenticationFailure":
            return recorder.failed(
                msg("cas.validation.replay.failed_2", cut=cut(ticket), describe=second.describe())
            )
        return recorder.passed(msg("cas.validation.replay.passed", cut=cut(ticket)))
    if second.code != "INVALID_TICKET":
        return recorder.failed(
            msg("cas.validation.replay.failed_3", cut=cut(ticket), describe=second.describe())
        )
    return recorder.passed(msg("cas.validation.replay.passed_2", cut=cut(ticket)))


def _other_service(recorder: Recorder, cas: CasSection, endpoint: str, ticket: str) -> Outcome:
    assert cas.other_service is not None
    wrong = validate(recorder, cas, endpoint, cas.other_service, ticket)
    if wrong.succeeded:
        return recorder.failed(
            msg(
                "cas.validation.other_service.failed",
                service=cas.service,
                other_service=cas.other_service,
            )
        )
    if wrong.version == 2 and wrong.code != "INVALID_SERVICE":
        recorder.problem(msg("cas.validation.other_service.problem", describe=wrong.describe()))
    after = validate(recorder, cas, endpoint, cas.service, ticket)
    if after.succeeded:
        recorder.problem(
            msg(
                "cas.validation.other_service.problem_2",
                other_service=cas.other_service,
                service=cas.service,
            )
        )
    return recorder.verdict(
        msg("cas.validation.other_service.verdict"),
        msg(
            "cas.validation.other_service.verdict_2",
            service=cas.service,
            other_service=cas.other_service,
            value=after.code or after.outcome,
        ),
    )


def _missing_param(recorder: Recorder, cas: CasSection, endpoint: str, ticket: str) -> Outcome:
    for missing, service, value in (
        ("ticket", cas.service, None),
        ("service", None, ticket),
    ):
        answer = validate(recorder, cas, endpoint, service, value)
        if answer.code != "INVALID_REQUEST":
            recorder.problem(
                msg(
                    "cas.validation.missing_param.problem",
                    missing=missing,
                    describe=answer.describe(),
                )
            )
    return recorder.verdict(
        msg("cas.validation.missing_param.verdict"),
        msg("cas.validation.missing_param.verdict_2", endpoint=endpoint),
    )


# --- CAS 1.0 and SAML 1.1 --------------------------------------------------------------------


def _validate_v1(recorder: Recorder, cas: CasSection, ticket: str, optional: bool) -> Outcome:
    params = {"service": cas.service, "ticket": ticket}
    back = recorder.back_channel()
    first = back.get(cas.endpoint("validate"), params)
    if not offered(first):
        return recorder.not_offered("validate", first, optional)
    if first.status_code != 200 or not first.content.startswith(b"yes\n"):
        recorder.problem(
            msg(
                "cas.validation.validate_v1.problem",
                status_code=first.status_code,
                text=f"{first.text[:40]!r}",
            )
        )
    second = back.get(cas.endpoint("validate"), params)
    if second.status_code != 200 or not second.content.startswith(b"no\n"):
        recorder.problem(
            msg(
                "cas.validation.validate_v1.problem_2",
                status_code=second.status_code,
                text=f"{second.text[:40]!r}",
            )
        )
    recorder.note(msg("cas.validation.ev.validate_v1.note"))
    return recorder.verdict(
        msg("cas.validation.validate_v1.verdict"),
        msg("cas.validation.validate_v1.verdict_2"),
    )


_SAML_REQUEST = """<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">
<SOAP-ENV:Header/>
<SOAP-ENV:Body>
<samlp:Request xmlns:samlp="urn:oasis:names:tc:SAML:1.0:protocol" MajorVersion="1" \
MinorVersion="1" RequestID="{request_id}" IssueInstant="{instant}">
<samlp:AssertionArtifact>{ticket}</samlp:AssertionArtifact>
</samlp:Request>
</SOAP-ENV:Body>
</SOAP-ENV:Envelope>"""


def _saml_validate(recorder: Recorder, cas: CasSection, ticket: str, optional: bool) -> Outcome:
    body = _SAML_REQUEST.format(
        request_id=f"_{uuid.uuid4().hex}",
        instant=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        ticket=ticket,
    )
    response = recorder.back_channel().send(
        "POST",
        cas.endpoint("samlValidate"),
        params={"TARGET": cas.service},
        data=body.encode("utf-8"),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": ""},
    )
    if not offered(response):
        return recorder.not_offered("samlValidate", response, optional)
    if response.status_code != 200:
        return recorder.failed(
            msg("cas.validation.saml_validate.failed", status_code=response.status_code)
        )
    return _judge_saml_response(recorder, cas, response)


def _judge_saml_response(
    recorder: Recorder, cas: CasSection, response: requests.Response
) -> Outcome:
    root = parse_hostile_xml(response.content, what=msg("core.what.saml_validate_answer"))
    saml_response = next(root.iter(f"{{{SAML1_PROTOCOL_NS}}}Response"), None)
    if saml_response is None:
        return recorder.failed(msg("cas.validation.judge_saml_response.failed"))
    status = next(saml_response.iter(f"{{{SAML1_PROTOCOL_NS}}}StatusCode"), None)
    status_value = (status.get("Value") or "") if status is not None else ""
    if status_value.split(":")[-1] != "Success":
        recorder.problem(
            msg("cas.validation.judge_saml_response.problem", value=status_value or "absent")
        )
    audiences = [
        (a.text or "").strip() for a in saml_response.iter(f"{{{SAML1_ASSERTION_NS}}}Audience")
    ]
    if cas.service not in audiences:
        recorder.problem(
            msg("cas.validation.judge_saml_response.problem_2", value=audiences or "absente")
        )
    names = [
        (n.text or "").strip()
        for n in saml_response.iter(f"{{{SAML1_ASSERTION_NS}}}NameIdentifier")
    ]
    if not any(names):
        recorder.problem(msg("cas.validation.judge_saml_response.problem_3"))
    attributes = sorted(
        {
            a.get("AttributeName") or ""
            for a in saml_response.iter(f"{{{SAML1_ASSERTION_NS}}}Attribute")
        }
        - {""}
        - PROTOCOL_ATTRIBUTES
    )
    if not attributes:
        recorder.problem(msg("cas.validation.judge_saml_response.problem_4"))
    recorder.note(
        msg("cas.validation.ev.judge_saml_response.note"),
        status=status_value,
        audiences=audiences,
        attributes=attributes,
    )
    return recorder.verdict(
        msg("cas.validation.judge_saml_response.verdict"),
        msg(
            "cas.validation.judge_saml_response.verdict_2",
            service=cas.service,
            attributes=", ".join(attributes),
        ),
    )
