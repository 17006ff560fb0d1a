"""The SP-initiated login (Web Browser SSO profile, saml-profiles-2.0-os §4.1).

The probe builds the ``AuthnRequest`` (HTTP-Redirect, signed with the test SP's key when
given), follows the IdP, fills its login forms through :mod:`sdet_check.login` (any field
names, multi-step logins, the credentials rule) and reads the HTTP-POST ``SAMLResponse``
without posting it anywhere.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import hashlib
import secrets
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import lxml.etree
import lxml.html
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from probes.saml.common import (
    BINDING_POST,
    BINDING_REDIRECT,
    EXCERPT_CHARS,
    MAX_REDIRECTS,
    NS,
    REDIRECT_STATUSES,
    RSA_SHA256,
    STATUS_SUCCESS,
    SamlSection,
    iso,
    mask_value,
    required_key,
    text_of,
    without_query,
)
from probes.saml.metadata import IdpMetadata
from sdet_check.evidence import http_exchange, note
from sdet_check.login import LoginForm, fill_login_forms, find_login_form, parse_html
from sdet_check.messages import msg
from sdet_check.probe import (
    BadParams,
    Evidence,
    HostileResponse,
    ProbeContext,
    ProbeError,
)
from sdet_check.target import Account
from sdet_check.transport import MAX_BODY_BYTES as MAX_BODY_BYTES  # the bound, for readers
from sdet_check.transport import send
from sdet_check.xmlsafe import parse_hostile_xml


@dataclass(frozen=True)
class LoginResult:
    """A completed SP-initiated login: the request sent and the response received."""

    request_id: str
    sp_entity_id: str
    acs_url: str
    form_action: str
    relay_state: str
    relay_state_returned: str | None
    response_xml: bytes
    response: etree._Element
    evidence: tuple[Evidence, ...]


@dataclass
class LoginAttempt:
    """What an IdP did with one AuthnRequest: a response form, an error page, nothing."""

    request_id: str
    sp_entity_id: str
    acs_url: str
    relay_state: str
    evidence: list[Evidence] = field(default_factory=list)
    final: requests.Response | None = None
    form_action: str | None = None
    relay_state_returned: str | None = None
    response_xml: bytes | None = None
    response: etree._Element | None = None
    logged_in: bool = False
    credentials_refused: bool = False

    @property
    def status(self) -> str | None:
        """Top-level StatusCode of the response, if any."""
        if self.response is None:
            return None
        status: str | None = response_facts(self.response)["status"]
        return status

    def issued_success(self) -> bool:
        """Whether a Success response was issued."""
        return self.status == STATUS_SUCCESS

    def delivers_to(self, url: str) -> bool:
        """Whether a response is sent to ``url`` (form action or Destination)."""
        if self.response is None:
            return False
        return self.form_action == url or self.response.get("Destination") == url

    def outcome_text(self) -> str:
        """A short French account of what happened."""
        if self.response is not None:
            return msg("saml.outcome.response", status=self.status, form_action=self.form_action)
        if self.final is not None:
            return msg("saml.outcome.none_page", status=self.final.status_code)
        return msg("saml.outcome.none")

    def summary(self, what: str) -> Evidence:
        """One evidence line for this attempt."""
        return note(
            msg("saml.login.ev.login_attempt.note", what=what, outcome_text=self.outcome_text()),
            request_id=self.request_id,
            sp_entity_id=self.sp_entity_id,
            acs_url=self.acs_url,
            logged_in=self.logged_in,
            response_status=self.status,
            response_destination=None
            if self.response is None
            else self.response.get("Destination"),
            form_action=self.form_action,
        )


def sso_login(
    session: requests.Session,
    context: ProbeContext,
    section: SamlSection,
    metadata: IdpMetadata,
    account: Account,
) -> LoginResult:
    """Run a complete SP-initiated login with ``account``; any failure is a ProbeError."""
    sp_entity_id = required_key(section.sp_entity_id, "sp_entity_id")
    acs_url = required_key(section.sp_acs_url, "sp_acs_url")
    attempt = attempt_login(
        session, context, section, metadata, account,
        sp_entity_id=sp_entity_id, acs_url=acs_url, sign=True,
    )  # fmt: skip
    if attempt.credentials_refused:
        raise ProbeError(
            msg("saml.login.sso_login.error", login=account.login),
            *attempt.evidence,
        )
    if attempt.response is None or attempt.response_xml is None or attempt.form_action is None:
        final = attempt.final
        where = (
            ""
            if final is None
            else msg("saml.login.last_page", url=without_query(final.url), status=final.status_code)
        )
        raise ProbeError(
            msg("saml.login.sso_login.error_2", where=where),
            *attempt.evidence,
        )
    return LoginResult(
        request_id=attempt.request_id,
        sp_entity_id=sp_entity_id,
        acs_url=acs_url,
        form_action=attempt.form_action,
        relay_state=attempt.relay_state,
        relay_state_returned=attempt.relay_state_returned,
        response_xml=attempt.response_xml,
        response=attempt.response,
        evidence=tuple(attempt.evidence),
    )


def attempt_login(
    session: requests.Session,
    context: ProbeContext,
    section: SamlSection,
    metadata: IdpMetadata,
    account: Account,
    *,
    sp_entity_id: str,
    acs_url: str,
    sign: bool,
) -> LoginAttempt:
    """Send an AuthnRequest, follow the IdP, log in when asked, stop at the response form."""
    destination = section.sso_url or _redirect_sso(metadata)
    request_id = "_" + secrets.token_hex(20)
    relay_state = "sdet-" + secrets.token_urlsafe(12)
    request_xml = build_authn_request(request_id, destination, sp_entity_id, acs_url)
    key = section.sp_key_file if sign else None
    url = redirect_url(destination, request_xml, relay_state, key)
    attempt = LoginAttempt(request_id, sp_entity_id, acs_url, relay_state)
    attempt.evidence.append(
        Evidence(
            kind="saml_message",
            summary=msg(
                "saml.login.ev.attempt_login.evidence",
                request_id=request_id,
                value=msg("saml.login.signed") if key is not None else msg("saml.login.unsigned"),
                sp_entity_id=sp_entity_id,
                destination=destination,
            ),
            data={
                "binding": BINDING_REDIRECT,
                "xml": request_xml.decode("utf-8"),
                "relay_state": relay_state,
                "signed": key is not None,
            },
        )
    )
    page = _follow(session, url, context, attempt)
    if _response_form(page) is not None or find_login_form(page, section.login_form) is None:
        return _finish(attempt, page)
    rule = section.credentials_rule(context)

    def submit(form: LoginForm, data: dict[str, str]) -> requests.Response:
        response = send(session, form.method, form.action, context, data=data)
        shown = ", ".join(
            f"{name}=***" if name == form.password_field else f"{name}={account.login}"
            for name in (form.user_field, form.password_field)
            if name is not None
        )
        attempt.evidence.append(
            exchange(
                response,
                f"{form.method} {form.action} (formulaire de connexion : {shown}) → "
                f"{response.status_code}",
            )
        )
        target = response.headers.get("Location")
        if response.status_code in REDIRECT_STATUSES and target:
            return _follow(session, urljoin(response.url, target), context, attempt)
        return response

    steps = fill_login_forms(
        page,
        login=account.login,
        password=account.password.reveal(),
        rule=rule,
        submit=submit,
        done=lambda answer: _response_form(answer) is not None,
        overrides=section.login_form,
        record=attempt.evidence.append,
    )
    attempt.logged_in = bool(steps.forms)
    attempt.credentials_refused = steps.refused
    return _finish(attempt, steps.final)


def _finish(attempt: LoginAttempt, page: requests.Response) -> LoginAttempt:
    """Read the SAMLResponse form of the last page, or keep the page as the attempt's end."""
    response_form = _response_form(page)
    if response_form is not None:
        _read_response_form(response_form, page, attempt)
    else:
        attempt.final = page
    return attempt


def _response_form(page: requests.Response) -> lxml.html.FormElement | None:
    """The form carrying a ``SAMLResponse`` on a page, if any."""
    document = parse_html(page)
    if document is None:
        return None
    for form in document.forms:
        if form.xpath(".//input[@name='SAMLResponse']"):
            return form
    return None


def _redirect_sso(metadata: IdpMetadata) -> str:
    for binding, location in metadata.sso_services():
        if binding == BINDING_REDIRECT and location:
            return location
    raise ProbeError(
        msg("saml.login.redirect_sso.error"),
        metadata.exchange,
    )


def build_authn_request(request_id: str, destination: str, issuer: str, acs_url: str) -> bytes:
    """Build a SAML 2.0 ``AuthnRequest`` asking for an HTTP-POST response to ``acs_url``."""
    root = etree.Element(
        f"{{{NS['samlp']}}}AuthnRequest",
        nsmap={"samlp": NS["samlp"], "saml": NS["saml"]},
    )
    root.set("ID", request_id)
    root.set("Version", "2.0")
    root.set("IssueInstant", iso(dt.datetime.now(dt.UTC)))
    root.set("Destination", destination)
    root.set("AssertionConsumerServiceURL", acs_url)
    root.set("ProtocolBinding", BINDING_POST)
    issuer_element = etree.SubElement(root, f"{{{NS['saml']}}}Issuer")
    issuer_element.text = issuer
    policy = etree.SubElement(root, f"{{{NS['samlp']}}}NameIDPolicy")
    policy.set("AllowCreate", "true")
    return etree.tostring(root, xml_declaration=False, encoding="utf-8")


def redirect_url(destination: str, message: bytes, relay_state: str, key_file: Path | None) -> str:
    """Encode ``message`` for the HTTP-Redirect binding (bindings §3.4), signed with ``key_file``.

    DEFLATE (raw, RFC 1951) then base64 then URL-encoding; when signed, ``SigAlg`` and a
    ``Signature`` over ``SAMLRequest=…&RelayState=…&SigAlg=…`` exactly as sent.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = compressor.compress(message) + compressor.flush()
    query = "SAMLRequest=" + quote(base64.b64encode(deflated).decode("ascii"), safe="")
    query += "&RelayState=" + quote(relay_state, safe="")
    if key_file is not None:
        query += "&SigAlg=" + quote(RSA_SHA256, safe="")
        private_key = _load_sp_key(key_file)
        signature = private_key.sign(query.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        query += "&Signature=" + quote(base64.b64encode(signature).decode("ascii"), safe="")
    separator = "&" if urlsplit(destination).query else "?"
    return destination + separator + query


def _load_sp_key(path: Path) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise BadParams(msg("saml.login.load_sp_key.bad_params", path=path, exc=exc)) from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise BadParams(msg("saml.login.load_sp_key.bad_params_2", path=path))
    return key


def _follow(
    session: requests.Session, url: str, context: ProbeContext, attempt: LoginAttempt
) -> requests.Response:
    response = send(session, "GET", url, context)
    attempt.evidence.append(exchange(response))
    hops = 0
    while response.status_code in REDIRECT_STATUSES and response.headers.get("Location"):
        hops += 1
        if hops > MAX_REDIRECTS:
            raise HostileResponse(
                msg("saml.login.follow.hostile", max_redirects=MAX_REDIRECTS),
                *attempt.evidence,
            )
        next_url = urljoin(response.url, response.headers["Location"])
        if urlsplit(next_url).scheme not in ("http", "https"):
            break
        response = send(session, "GET", next_url, context)
        attempt.evidence.append(exchange(response))
    return response


def _read_response_form(
    form: lxml.html.FormElement, page: requests.Response, attempt: LoginAttempt
) -> None:
    fields = {str(i.get("name")): i.get("value") or "" for i in form.xpath(".//input[@name]")}
    encoded = fields.get("SAMLResponse", "")
    attempt.form_action = urljoin(page.url, form.get("action") or "")
    attempt.relay_state_returned = fields.get("RelayState")
    try:
        raw = base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise HostileResponse(
            msg("saml.login.read_response_form.hostile", exc=exc), *attempt.evidence
        ) from exc
    attempt.response_xml = raw
    root = parse_hostile_xml(raw, what=msg("core.what.saml_answer"))
    if root.tag != f"{{{NS['samlp']}}}Response":
        raise ProbeError(
            msg("saml.login.read_response_form.error", tag=root.tag),
            *attempt.evidence,
        )
    attempt.response = root
    facts = response_facts(root)
    attempt.evidence.append(
        Evidence(
            kind="saml_message",
            summary=msg(
                "saml.login.ev.read_response_form.evidence",
                get=root.get("ID"),
                form_action=attempt.form_action,
                status=facts["status"],
            ),
            data={
                "binding": BINDING_POST,
                "form_action": attempt.form_action,
                "relay_state_returned": attempt.relay_state_returned,
                "relay_state_sent": attempt.relay_state,
                "sha256": hashlib.sha256(raw).hexdigest(),
                "size": len(raw),
                "xml_excerpt": _xml_excerpt(root),
                **facts,
            },
        )
    )


def response_facts(response: etree._Element) -> dict[str, Any]:
    """The facts of a samlp:Response envelope a probe judges (status, issuers, ids...)."""
    status = response.find("samlp:Status/samlp:StatusCode", NS)
    return {
        "id": response.get("ID"),
        "version": response.get("Version"),
        "issue_instant": response.get("IssueInstant"),
        "destination": response.get("Destination"),
        "in_response_to": response.get("InResponseTo"),
        "issuer": text_of(response.find("saml:Issuer", NS)),
        "status": None if status is None else status.get("Value"),
        "status_message": text_of(response.find("samlp:Status/samlp:StatusMessage", NS)),
        "assertion_issuers": [
            text_of(a.find("saml:Issuer", NS)) for a in response.findall("saml:Assertion", NS)
        ],
        "assertions": len(response.findall("saml:Assertion", NS)),
        "encrypted_assertions": len(response.findall("saml:EncryptedAssertion", NS)),
    }


def _xml_excerpt(root: etree._Element) -> str:
    """The response without signature values and certificates, personal values masked, cut."""
    shown = copy.deepcopy(root)
    for bulky in shown.iter(f"{{{NS['ds']}}}SignatureValue", f"{{{NS['ds']}}}X509Certificate"):
        bulky.text = "…"
    for value in shown.iter(f"{{{NS['saml']}}}AttributeValue"):
        parent = value.getparent()
        name = None if parent is None else parent.get("Name")
        if value.text:
            value.text = mask_value(value.text.strip(), name)
    for name_id in shown.iter(f"{{{NS['saml']}}}NameID"):
        if name_id.text:
            name_id.text = mask_value(name_id.text.strip())
    text = etree.tostring(shown, encoding="unicode")
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"


def exchange(response: requests.Response, summary: str | None = None) -> Evidence:
    """An HTTP exchange; a page carrying a SAMLResponse keeps no body (it holds personal data)."""
    evidence = http_exchange(response, summary)
    if b"samlresponse" not in response.content.lower():
        return evidence
    data = dict(evidence.data)
    data["response"] = dict(data["response"]) | {
        "body_excerpt": "[formulaire SAMLResponse : contenu décodé dans la pièce saml_message, "
        "valeurs personnelles masquées]"
    }
    return Evidence(evidence.kind, evidence.summary, data)
