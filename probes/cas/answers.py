"""CAS answers: validation responses of every version, read as hostile input.

:func:`read_answer` turns what a validation endpoint sent into a :class:`CasAnswer`,
whatever it was: a CAS 2.0/3.0 ``cas:serviceResponse`` (every usual attribute layout), a
CAS 1.0 ``yes``/``no`` body, an empty body, an HTML page. Only XML goes to the hostile XML
parser; a web page is a web page, not an attack. :func:`validate` asks as a service does:
over the back channel, with no browser cookie. An endpoint that answers with a 404, 405,
410 or 501, a redirect or an HTML page does not offer the protocol: :class:`NotOffered`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import lxml.etree
import requests

from probes.cas.common import (
    CAS_NS,
    MASKED,
    PERSONAL_ATTRIBUTES,
    PROTOCOL_ATTRIBUTES,
    CasSection,
    NotOffered,
    Recorder,
    offered,
)
from sdet_check.login import looks_like_html
from sdet_check.messages import msg
from sdet_check.probe import Evidence
from sdet_check.xmlsafe import parse_hostile_xml


@dataclass(frozen=True)
class CasAnswer:
    """A CAS service response, parsed."""

    root: str
    in_cas_namespace: bool
    outcome: str
    """Local name of the root's element child (``authenticationSuccess``…), or empty."""
    user: str | None = None
    code: str | None = None
    message: str = ""
    attributes: Mapping[str, list[str]] = field(default_factory=dict)
    protocol_attributes: Mapping[str, list[str]] = field(default_factory=dict)
    proxy_granting_ticket: str | None = None
    proxy_ticket: str | None = None
    proxies: tuple[str, ...] = ()
    version: int = 2
    """1 for a CAS 1.0 answer, 2 for a CAS 2.0/3.0 service response."""

    @property
    def succeeded(self) -> bool:
        """Whether the ticket was accepted."""
        return self.outcome == "authenticationSuccess"

    def describe(self) -> str:
        """The answer in one phrase (a catalogue message: quoted as each language quotes)."""
        if self.version == 1:
            if self.outcome in ("authenticationSuccess", "authenticationFailure"):
                word = "yes" if self.outcome == "authenticationSuccess" else "no"
                return msg("cas.answer.v1", word=word)
            return self.root
        if self.outcome in ("authenticationFailure", "proxyFailure"):
            return msg(
                "cas.answer.failure",
                outcome=self.outcome,
                code=self.code or "—",
                message=self.message[:120],
            )
        if self.outcome:
            return f"cas:{self.outcome}"
        return msg("cas.answer.unknown", root=self.root)

    def evidence(self, summary: str) -> Evidence:
        """The answer as evidence, personal values masked."""
        return Evidence(
            kind="cas_response",
            summary=summary,
            data={
                "root": self.root,
                "outcome": self.outcome,
                "user": self.user,
                "code": self.code,
                "attributes": masked_attributes(self.attributes),
                "protocol_attributes": dict(self.protocol_attributes),
                "masked": sorted(n for n in self.attributes if n.casefold() in PERSONAL_ATTRIBUTES),
            },
        )


def masked_attributes(attributes: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Attributes with the values of personal ones masked."""
    return {
        name: ([MASKED] * len(values) if name.casefold() in PERSONAL_ATTRIBUTES else list(values))
        for name, values in attributes.items()
    }


def local_name(element: lxml.etree._Element) -> str:
    """The local name of an element."""
    return lxml.etree.QName(element).localname


def parse_cas(response: requests.Response, what: str) -> CasAnswer:
    """Parse a CAS 2.0/3.0 service response (hostile XML rules apply)."""
    root = parse_hostile_xml(response.content, what=what)
    qname = lxml.etree.QName(root)
    shown = f"{{{qname.namespace}}}{qname.localname}" if qname.namespace else qname.localname
    if qname.namespace != CAS_NS or qname.localname != "serviceResponse":
        return CasAnswer(root=shown, in_cas_namespace=False, outcome="")
    children = list(root.iterchildren(lxml.etree.Element))
    if not children:
        return CasAnswer(root=shown, in_cas_namespace=True, outcome="")
    node = children[0]
    outcome = local_name(node) if lxml.etree.QName(node).namespace == CAS_NS else ""
    if outcome in ("authenticationFailure", "proxyFailure"):
        return CasAnswer(
            root=shown,
            in_cas_namespace=True,
            outcome=outcome,
            code=(node.get("code") or "").strip() or None,
            message=" ".join((node.text or "").split()),
        )
    if outcome == "proxySuccess":
        ticket = node.find(f"{{{CAS_NS}}}proxyTicket")
        return CasAnswer(
            root=shown,
            in_cas_namespace=True,
            outcome=outcome,
            proxy_ticket=(ticket.text or "").strip() if ticket is not None else None,
        )
    if outcome != "authenticationSuccess":
        return CasAnswer(root=shown, in_cas_namespace=True, outcome=outcome)
    user = node.find(f"{{{CAS_NS}}}user")
    pgt = node.find(f"{{{CAS_NS}}}proxyGrantingTicket")
    attributes, protocol = _success_attributes(node)
    return CasAnswer(
        root=shown,
        in_cas_namespace=True,
        outcome=outcome,
        user=(user.text or "").strip() or None if user is not None else None,
        attributes=attributes,
        protocol_attributes=protocol,
        proxy_granting_ticket=(pgt.text or "").strip() or None if pgt is not None else None,
        proxies=tuple(
            (p.text or "").strip() for p in node.iterfind(f"{{{CAS_NS}}}proxies/{{{CAS_NS}}}proxy")
        ),
    )


def _success_attributes(
    success: lxml.etree._Element,
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """User and protocol attributes of ``authenticationSuccess``, in every usual layout.

    ``<cas:attributes><cas:NAME>v</cas:NAME>…`` (spec appendix A), nested values
    (``<cas:ENTPersonProfils><cas:ENTPersonProfil>…``), ``<cas:attribute name= value=>``,
    and attributes placed directly under ``authenticationSuccess`` (CAS 2.0 extensions).
    """
    found: dict[str, list[str]] = {}

    def add(name: str, value: str | None) -> None:
        value = (value or "").strip()
        values = found.setdefault(name, [])
        if value and value not in values:
            values.append(value)

    def take(element: lxml.etree._Element) -> None:
        name = local_name(element)
        if name == "attribute" and element.get("name"):
            add(element.get("name") or "", element.get("value"))
            return
        nested = list(element.iterchildren(lxml.etree.Element))
        if nested:
            for child in nested:
                add(name, child.text)
        else:
            add(name, element.text)

    for child in success.iterchildren(lxml.etree.Element):
        name = local_name(child)
        if name in ("user", "proxyGrantingTicket", "proxies"):
            continue
        if name == "attributes":
            for attribute in child.iterchildren(lxml.etree.Element):
                take(attribute)
        else:
            take(child)
    user = {n: v for n, v in found.items() if n not in PROTOCOL_ATTRIBUTES and v}
    protocol = {n: v for n, v in found.items() if n in PROTOCOL_ATTRIBUTES}
    return user, protocol


def read_answer(response: requests.Response, what: str) -> CasAnswer:
    """Read any answer of a validation or proxy endpoint (see the module docstring)."""
    content = response.content
    if not content.strip():
        return CasAnswer(
            root=f"corps vide (statut {response.status_code})", in_cas_namespace=False, outcome=""
        )
    if looks_like_html(response):
        return CasAnswer(
            root=f"page HTML (statut {response.status_code})", in_cas_namespace=False, outcome=""
        )
    if content.startswith((b"yes\n", b"no\n", b"yes\r\n", b"no\r\n")):
        return read_v1(response)
    if not content.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").startswith(b"<"):
        # Neither XML nor a CAS 1.0 answer (a stack trace, plain text): shown, not parsed.
        kind = response.headers.get("Content-Type", "sans type").split(";")[0]
        return CasAnswer(
            root=f"corps non XML ({kind}, statut {response.status_code})",
            in_cas_namespace=False,
            outcome="",
        )
    return parse_cas(response, what)


def read_v1(response: requests.Response) -> CasAnswer:
    """Read a CAS 1.0 ``/validate`` answer: ``yes`` LF user LF, or ``no`` LF LF (spec §2.4.2)."""
    lines = response.content.decode("utf-8", "replace").split("\n")
    first = lines[0].rstrip("\r")
    if first == "yes":
        user = lines[1].rstrip("\r").strip() if len(lines) > 1 else ""
        return CasAnswer(
            root="CAS 1.0",
            in_cas_namespace=False,
            outcome="authenticationSuccess",
            user=user or None,
            version=1,
        )
    if first == "no":
        return CasAnswer(
            root="CAS 1.0", in_cas_namespace=False, outcome="authenticationFailure", version=1
        )
    return CasAnswer(
        root=msg("cas.answer.unreadable_cas1", start=repr(first[:20])),
        in_cas_namespace=False,
        outcome="",
        version=1,
    )


def validate(
    recorder: Recorder,
    cas: CasSection,
    endpoint: str,
    service: str | None,
    ticket: str | None,
    *,
    renew: str | None = None,
    pgt_url: str | None = None,
) -> CasAnswer:
    """Validate at ``endpoint`` as a service does: back channel, no cookie.

    ``renew`` is the value sent for the ``renew`` parameter, when sent. Raises
    :class:`NotOffered` when the endpoint does not exist.
    """
    params: dict[str, str] = {}
    if service is not None:
        params["service"] = service
    if ticket is not None:
        params["ticket"] = ticket
    if renew is not None:
        params["renew"] = renew
    if pgt_url is not None:
        params["pgtUrl"] = pgt_url
    response = recorder.back_channel().get(cas.endpoint(endpoint), params)
    if not offered(response):
        raise NotOffered(endpoint, response)
    return read_answer(response, msg("core.what.answer_of", endpoint=endpoint))
