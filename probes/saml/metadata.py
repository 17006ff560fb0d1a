"""The IdP's metadata: structure, validity period, HTTPS endpoints, bindings.

Fetched once per check, read as hostile XML (SAML 2.0 metadata, saml-metadata-2.0-os).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from lxml import etree

from probes.saml.common import (
    DURATION,
    NS,
    PROTOCOL,
    SamlSection,
    fetch,
    parse_instant,
    saml_section,
)
from probes.saml.keys import decode_certificate
from sdet_check.evidence import http_exchange, note
from sdet_check.messages import clauses, msg
from sdet_check.probe import (
    Evidence,
    HostileResponse,
    Outcome,
    Probe,
    ProbeContext,
    ProbeError,
    validated_params,
)
from sdet_check.transport import MAX_BODY_BYTES as MAX_BODY_BYTES  # the bound, for readers
from sdet_check.xmlsafe import parse_hostile_xml


class SamlMetadata(Probe):
    """The IdP metadata document itself (SAML metadata 2.0).

    ``check``:

    - ``wellformed``: XML (parsed as hostile), root ``md:EntityDescriptor`` in the metadata
      namespace (or an ``md:EntitiesDescriptor`` holding one IdP), ``entityID`` an absolute
      URI of at most 1024 characters, an ``md:IDPSSODescriptor`` announcing the SAML 2.0
      protocol with at least one ``SingleSignOnService`` carrying Binding and Location.
      Malformed XML is a failure here; a DOCTYPE, an entity or a huge body stays an error.
    - ``validity``: the root carries ``validUntil`` (not past) or ``cacheDuration`` (an
      ``xs:duration``); the spec's words: "this element MUST contain either a validUntil or
      cacheDuration attribute". SimpleSAMLphp 1.19 omits both: a failure.
    - ``endpoints_https``: every ``Location``/``ResponseLocation`` is ``https://``.
    """

    kind = "saml.metadata"
    title = "Métadonnées SAML du fournisseur d'identité"
    needs = ("saml",)
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["check"],
        "properties": {
            "check": {
                "enum": ["wellformed", "validity", "endpoints_https"],
                "description": "What to check in the metadata.",
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Fetch the metadata and run the chosen check."""
        params = validated_params(self, params)
        section = saml_section(context)
        check: str = params["check"]
        with context.http_session() as session:
            if check == "wellformed":
                return check_wellformed(session, section, context)
            metadata = fetch_metadata(session, section, context)
        if check == "validity":
            return check_validity(metadata)
        return check_endpoints_https(metadata)


@dataclass(frozen=True)
class MetadataKey:
    """One certificate of an ``md:KeyDescriptor``."""

    use: str | None
    """``signing``, ``encryption`` or ``None`` (both)."""
    certificate: x509.Certificate

    @property
    def signs(self) -> bool:
        """Whether the key may sign (``use="signing"`` or no ``use``)."""
        return self.use in (None, "signing")


@dataclass(frozen=True)
class IdpMetadata:
    """The fetched, parsed metadata of the IdP."""

    url: str
    document: etree._Element
    """Root of the document (may be an ``EntitiesDescriptor``)."""
    entity: etree._Element
    """The ``EntityDescriptor`` of the IdP."""
    exchange: Evidence

    @property
    def entity_id(self) -> str:
        """The IdP entityID."""
        return self.entity.get("entityID") or ""

    @property
    def idp(self) -> etree._Element | None:
        """The ``IDPSSODescriptor`` (``None`` when absent)."""
        return self.entity.find("md:IDPSSODescriptor", NS)

    def sso_services(self) -> list[tuple[str, str]]:
        """``(Binding, Location)`` of each ``SingleSignOnService``."""
        idp = self.idp
        if idp is None:
            return []
        return [
            (service.get("Binding") or "", service.get("Location") or "")
            for service in idp.findall("md:SingleSignOnService", NS)
        ]

    def nameid_formats(self) -> list[str]:
        """The declared ``NameIDFormat`` values."""
        idp = self.idp
        if idp is None:
            return []
        return [(f.text or "").strip() for f in idp.findall("md:NameIDFormat", NS) if f.text]

    def key_descriptors(self) -> list[MetadataKey]:
        """Every X.509 certificate of the IdP's ``KeyDescriptor`` elements."""
        idp = self.idp
        if idp is None:
            return []
        return [
            MetadataKey(descriptor.get("use"), decode_certificate(text.text))
            for descriptor in idp.findall("md:KeyDescriptor", NS)
            for text in descriptor.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)
        ]

    def signing_certificates(self) -> list[x509.Certificate]:
        """Certificates that may sign, without duplicates."""
        unique: dict[bytes, x509.Certificate] = {}
        for key in self.key_descriptors():
            if key.signs:
                unique.setdefault(key.certificate.fingerprint(hashes.SHA256()), key.certificate)
        return list(unique.values())


def fetch_metadata(
    session: requests.Session, section: SamlSection, context: ProbeContext
) -> IdpMetadata:
    """GET and parse the metadata; raise :class:`ProbeError` when it is not usable."""
    response = fetch(session, section.metadata_url, context)
    exchange = metadata_exchange(response)
    if response.status_code != 200:
        raise ProbeError(
            msg(
                "saml.metadata.fetch_metadata.error",
                metadata_url=section.metadata_url,
                status_code=response.status_code,
            ),
            exchange,
        )
    document = parse_hostile_xml(response.content, what=msg("core.what.saml_metadata"))
    entity = idp_entity(document)
    if entity is None:
        raise ProbeError(
            msg("saml.metadata.fetch_metadata.error_2", tag=document.tag),
            exchange,
        )
    return IdpMetadata(section.metadata_url, document, entity, exchange)


def idp_entity(document: etree._Element) -> etree._Element | None:
    """The EntityDescriptor holding an IDPSSODescriptor in a metadata document."""
    tag = f"{{{NS['md']}}}EntityDescriptor"
    if document.tag == tag:
        return document
    if document.tag == f"{{{NS['md']}}}EntitiesDescriptor":
        for entity in document.iter(tag):
            if entity.find("md:IDPSSODescriptor", NS) is not None:
                return entity
    return None


def metadata_exchange(response: requests.Response) -> Evidence:
    """The metadata download as evidence, with the body's sha256 and size."""
    evidence = http_exchange(response)
    data = dict(evidence.data)
    data["response"] = dict(data["response"])
    data["response"]["sha256"] = hashlib.sha256(response.content).hexdigest()
    data["response"]["size"] = len(response.content)
    return Evidence(evidence.kind, evidence.summary, data)


def check_wellformed(
    session: requests.Session, section: SamlSection, context: ProbeContext
) -> Outcome:
    """Judge the metadata's structure: root, entityID, IDPSSODescriptor, keys, endpoints."""
    response = fetch(session, section.metadata_url, context)
    exchange = metadata_exchange(response)
    if response.status_code != 200:
        return Outcome.failed(
            msg(
                "saml.metadata.check_wellformed.fail",
                metadata_url=section.metadata_url,
                status_code=response.status_code,
            ),
            exchange,
        )
    try:
        document = parse_hostile_xml(response.content, what=msg("core.what.saml_metadata"))
    except HostileResponse as refused:
        if isinstance(refused.__cause__, etree.XMLSyntaxError):
            return Outcome.failed(str(refused), *refused.evidence, exchange)
        raise
    problems: list[str] = []
    entity = idp_entity(document)
    if entity is None:
        problems.append(msg("saml.metadata.check_wellformed.append", tag=document.tag))
        return Outcome.failed(
            msg("saml.metadata.check_wellformed.fail_2", problems=problems[0]), exchange
        )
    metadata = IdpMetadata(section.metadata_url, document, entity, exchange)
    entity_id = metadata.entity_id
    parts = urlsplit(entity_id)
    if not entity_id:
        problems.append(msg("saml.metadata.check_wellformed.append_2"))
    elif len(entity_id) > 1024:
        problems.append(msg("saml.metadata.check_wellformed.append_3", count=len(entity_id)))
    elif not (parts.scheme and (parts.netloc or parts.scheme == "urn")):
        problems.append(msg("saml.metadata.check_wellformed.append_4", entity_id=f"{entity_id!r}"))
    idp = metadata.idp
    services = metadata.sso_services()
    if idp is None:
        problems.append(msg("saml.metadata.check_wellformed.append_5"))
    else:
        supported = (idp.get("protocolSupportEnumeration") or "").split()
        if PROTOCOL not in supported:
            problems.append(msg("saml.metadata.check_wellformed.append_6", protocol=PROTOCOL))
        if not services:
            problems.append(msg("saml.metadata.check_wellformed.append_7"))
        incomplete = [s for s in services if not s[0] or not s[1]]
        if incomplete:
            problems.append(msg("saml.metadata.check_wellformed.append_8", count=len(incomplete)))
    facts = note(
        msg("saml.metadata.ev.check_wellformed.note"),
        root=document.tag,
        entity_id=entity_id,
        protocol_support=None if idp is None else idp.get("protocolSupportEnumeration"),
        single_sign_on=[{"binding": b, "location": loc} for b, loc in services],
    )
    if problems:
        return Outcome.failed(
            msg("saml.metadata.check_wellformed.fail_2", problems=clauses(problems)),
            facts,
            exchange,
        )
    return Outcome.passed(
        msg("saml.metadata.check_wellformed.pass", entity_id=entity_id, count=len(services)),
        facts,
        exchange,
    )


def _shown(value: str | None) -> str:
    """An attribute value for a message: quoted, or « absent » (never Python's ``None``)."""
    return "absent" if value is None else repr(value)


def check_validity(metadata: IdpMetadata) -> Outcome:
    """Judge ``validUntil`` and ``cacheDuration`` on the metadata root."""
    root = metadata.document
    valid_until = root.get("validUntil")
    cache_duration = root.get("cacheDuration")
    facts = note(
        msg(
            "saml.metadata.ev.check_validity.note",
            localname=etree.QName(root).localname,
            valid_until=_shown(valid_until),
            cache_duration=_shown(cache_duration),
        ),
        root=root.tag,
        validUntil=valid_until,
        cacheDuration=cache_duration,
        root_attributes={str(k): str(v) for k, v in root.attrib.items()},
    )
    if valid_until is None and cache_duration is None:
        return Outcome.failed(
            msg("saml.metadata.check_validity.fail"),
            facts,
            metadata.exchange,
        )
    problems: list[str] = []
    if valid_until is not None:
        moment = parse_instant(valid_until)
        if moment is None:
            problems.append(
                msg("saml.metadata.check_validity.append", valid_until=f"{valid_until!r}")
            )
        elif moment <= dt.datetime.now(dt.UTC):
            problems.append(msg("saml.metadata.check_validity.append_2", valid_until=valid_until))
    if cache_duration is not None and not DURATION.match(cache_duration.strip()):
        problems.append(
            msg("saml.metadata.check_validity.append_3", cache_duration=f"{cache_duration!r}")
        )
    if problems:
        return Outcome.failed(
            msg("saml.metadata.check_validity.fail_2", problems=clauses(problems)),
            facts,
            metadata.exchange,
        )
    return Outcome.passed(
        msg(
            "saml.metadata.check_validity.pass",
            valid_until=_shown(valid_until),
            cache_duration=_shown(cache_duration),
        ),
        facts,
        metadata.exchange,
    )


def check_endpoints_https(metadata: IdpMetadata) -> Outcome:
    """Judge that every endpoint of the metadata is an HTTPS address."""
    endpoints = []
    for element in metadata.entity.iter():
        for attribute in ("Location", "ResponseLocation"):
            value = element.get(attribute)
            if value is not None:
                endpoints.append(
                    {"element": etree.QName(element).localname, "attribute": attribute,
                     "url": value}
                )  # fmt: skip
    listed = note(
        msg("saml.metadata.ev.check_endpoints_https.note", count=len(endpoints)),
        endpoints=endpoints,
    )
    if not endpoints:
        return Outcome.failed(
            msg("saml.metadata.check_endpoints_https.fail"), listed, metadata.exchange
        )
    clear = [e for e in endpoints if urlsplit(e["url"]).scheme.lower() != "https"]
    if clear:
        shown = ", ".join(f"{e['element']} {e['url']}" for e in clear)
        return Outcome.failed(
            msg("saml.metadata.check_endpoints_https.fail_2", count=len(clear), shown=shown),
            listed,
            metadata.exchange,
        )
    return Outcome.passed(
        msg("saml.metadata.check_endpoints_https.pass", count=len(endpoints)),
        listed,
        metadata.exchange,
    )
