"""A minimal test service provider written for the peer tests: requests, lxml, signxml.

Independent of the project's probes on purpose: the peer tests check what each IdP variant
promises with a client of their own, so a probe bug cannot hide a peer bug (nor the reverse).
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin

import lxml.html
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree
from signxml import XMLVerifier

NS = {
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
}
BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"


def parse_xml(data: bytes) -> etree._Element:
    """Parse untrusted XML without entities or network."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(data, parser=parser)


def authn_request(
    request_id: str,
    destination: str,
    issuer: str,
    acs_url: str | None,
    name_id_format: str | None = None,
) -> bytes:
    """A SAML 2.0 AuthnRequest asking for an HTTP-POST response."""
    root = etree.Element(f"{{{NS['samlp']}}}AuthnRequest", nsmap={"samlp": NS["samlp"]})
    root.set("ID", request_id)
    root.set("Version", "2.0")
    root.set("IssueInstant", dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    root.set("Destination", destination)
    root.set("ProtocolBinding", BINDING_POST)
    if acs_url is not None:
        root.set("AssertionConsumerServiceURL", acs_url)
    issuer_element = etree.SubElement(root, f"{{{NS['saml']}}}Issuer")
    issuer_element.text = issuer
    policy = etree.SubElement(root, f"{{{NS['samlp']}}}NameIDPolicy")
    policy.set("AllowCreate", "true")
    if name_id_format is not None:
        policy.set("Format", name_id_format)
    return etree.tostring(root)


def redirect_url(destination: str, message: bytes, relay_state: str, key_file: Path | None) -> str:
    """HTTP-Redirect encoding (bindings §3.4.4), signed over the query when a key is given."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = compressor.compress(message) + compressor.flush()
    query = "SAMLRequest=" + quote(base64.b64encode(deflated).decode("ascii"), safe="")
    query += "&RelayState=" + quote(relay_state, safe="")
    if key_file is not None:
        query += "&SigAlg=" + quote(RSA_SHA256, safe="")
        key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        signature = key.sign(query.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        query += "&Signature=" + quote(base64.b64encode(signature).decode("ascii"), safe="")
    return destination + ("&" if "?" in destination else "?") + query


@dataclass
class Login:
    """What one SP-initiated login went through."""

    request_id: str
    relay_state: str
    pages: list[requests.Response] = field(default_factory=list)
    login_forms: list[lxml.html.FormElement] = field(default_factory=list)
    """Every form with a password or login field met on the way, in order."""
    response_action: str | None = None
    relay_state_returned: str | None = None
    response_xml: bytes | None = None

    @property
    def response(self) -> etree._Element:
        """The samlp:Response received (the login must have gone through)."""
        assert self.response_xml is not None, "no SAMLResponse: " + self.last_page_text()
        return parse_xml(self.response_xml)

    @property
    def last(self) -> requests.Response:
        """The last page received."""
        return self.pages[-1]

    def last_page_text(self) -> str:
        """The last page, cut, for a failure message."""
        last = self.pages[-1] if self.pages else None
        return "" if last is None else f"{last.status_code} {last.url} {last.text[:500]}"


def html_document(page: requests.Response) -> lxml.html.HtmlElement | None:
    """The page parsed as HTML, or ``None`` when empty."""
    if not page.content.strip():
        return None
    return lxml.html.document_fromstring(page.content)


def form_with(page: requests.Response, field_name: str) -> lxml.html.FormElement | None:
    """The first form of ``page`` with an input named ``field_name``."""
    document = html_document(page)
    if document is None:
        return None
    for form in document.forms:
        if form.xpath(".//input[@name=$n]", n=field_name):
            return form
    return None


def form_fields(form: lxml.html.FormElement) -> dict[str, str]:
    """Names and values of the form's inputs (submit buttons left out)."""
    fields: dict[str, str] = {}
    for element in form.xpath(".//input[@name]"):
        if (element.get("type") or "text").lower() in ("submit", "button"):
            continue
        fields[element.get("name")] = element.get("value") or ""
    return fields


def login(
    session: requests.Session,
    sso_url: str,
    sp_entity_id: str,
    acs_url: str | None,
    credentials: dict[str, str],
    key_file: Path | None,
    max_steps: int = 4,
    name_id_format: str | None = None,
) -> Login:
    """Send an AuthnRequest, fill every login form with ``credentials``, stop at the response.

    ``credentials`` maps field names to values; a form is filled with those of its fields it
    has (so a two-step login works with one mapping).
    """
    attempt = Login("_" + secrets.token_hex(16), "rs-" + secrets.token_urlsafe(8))
    message = authn_request(attempt.request_id, sso_url, sp_entity_id, acs_url, name_id_format)
    page = session.get(redirect_url(sso_url, message, attempt.relay_state, key_file), timeout=10)
    attempt.pages.append(page)
    for _ in range(max_steps):
        response_form = form_with(page, "SAMLResponse")
        if response_form is not None:
            fields = form_fields(response_form)
            attempt.response_action = urljoin(page.url, response_form.get("action") or "")
            attempt.relay_state_returned = fields.get("RelayState")
            attempt.response_xml = base64.b64decode(fields["SAMLResponse"])
            return attempt
        document = html_document(page)
        forms = [] if document is None else list(document.forms)
        form = next(
            (f for f in forms if set(form_fields(f)) & set(credentials)),
            None,
        )
        if form is None or page.status_code != 200:
            return attempt
        attempt.login_forms.append(form)
        fields = form_fields(form)
        fields.update({k: v for k, v in credentials.items() if k in fields})
        action = urljoin(page.url, form.get("action") or page.url)
        page = session.post(action, data=fields, timeout=10)
        attempt.pages.append(page)
    return attempt


def verified_subtrees(
    xml: bytes, cert_file: Path, at: dt.datetime | None = None
) -> list[etree._Element]:
    """What signxml verifies in ``xml`` with ``cert_file``: one subtree per valid signature.

    Only top-level signatures of the Response and of its direct Assertions are tried; a
    failing signature raises. ``at`` verifies as of that moment (an expired certificate).
    """
    root = parse_xml(xml)
    cert = cert_file.read_text(encoding="ascii")
    found = []
    candidates = [root, *root.findall("saml:Assertion", NS)]
    for element in candidates:
        if element.find("ds:Signature", NS) is None:
            continue
        alone = parse_xml(etree.tostring(element))
        result = XMLVerifier().verify(alone, x509_cert=cert, expect_config=_sha_any(at))
        found.append(result.signed_xml)
    return found


def _sha_any(at: dt.datetime | None) -> Any:
    from signxml import SignatureConfiguration

    return SignatureConfiguration(
        require_x509=False,
        verification_time=at,
        signature_methods=frozenset(_all_signature_methods()),
        digest_algorithms=frozenset(_all_digests()),
    )


def _all_signature_methods() -> list[object]:
    from signxml import SignatureMethod

    return list(SignatureMethod)


def _all_digests() -> list[object]:
    from signxml import DigestAlgorithm

    return list(DigestAlgorithm)
