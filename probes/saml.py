"""The ``saml`` probe family: the ENT as a SAML 2.0 identity provider, seen by a test SP.

Metadata (well-formedness, validity period, signature, certificates, endpoints, bindings,
NameID formats), then a service-provider-initiated login with a test account: the probe
builds an ``AuthnRequest`` itself (HTTP-Redirect: raw DEFLATE, base64, ``RelayState``, and a
``SigAlg``/``Signature`` over the query when the target gives the test SP's key), follows
the IdP to its login form, posts the test credentials, and reads the HTTP-POST
``SAMLResponse`` without ever posting it anywhere. Signatures are verified with signxml
against the certificates of the metadata only, never against a certificate the message
carries; only signature-verified content is judged (an unsigned assertion beside a signed
one is reported, never read as if it were signed).

Every XML document the IdP sends goes through :func:`sdet_check.xmlsafe.parse_hostile_xml`
(no DOCTYPE, no entities, no network, bounded size and depth); every network call is bounded
by ``context.call_timeout()`` and every body by :data:`MAX_BODY_BYTES`. Passwords are sent
in the login form's body and nowhere else: no evidence records a request body.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import hashlib
import re
import secrets
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, urljoin, urlsplit

import lxml.etree
import lxml.html
import requests
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.verifier import SignatureConfiguration, XMLVerifier

from sdet_check.evidence import http_exchange, note
from sdet_check.probe import (
    BadParams,
    Evidence,
    HostileResponse,
    NotTestable,
    Outcome,
    Probe,
    ProbeContext,
    ProbeError,
    validated_params,
)
from sdet_check.sdet_model import NATIONAL_PROFILES
from sdet_check.target import Account
from sdet_check.transport import MAX_BODY_BYTES as MAX_BODY_BYTES  # the bound, for readers
from sdet_check.transport import send as _send
from sdet_check.xmlsafe import parse_hostile_xml

MAX_REDIRECTS = 10
"""Longest redirect chain a probe follows."""

MAX_LOGIN_STEPS = 6
"""Most pages (after the redirects) a login may take before the SAMLResponse form."""

DEFAULT_SKEW_S = 180
"""Clock skew allowed when judging SAML timestamps (3 minutes)."""

NS = {
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
}
"""XML namespaces of SAML 2.0 and XML-DSig."""

PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
CM_BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
NAMEID_TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
NAMEID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

PERSONAL_ATTRIBUTES = frozenset(
    {
        "sn", "givenName", "cn", "displayName", "mail", "ctemail", "telephoneNumber", "mobile",
        "homePhone", "postalAddress", "ENTPersonNom", "ENTPersonPrenom", "ENTPersonNomPatro",
        "ENTPersonAutresPrenoms", "ENTPersonDateNaissance", "ENTPersonAdresse",
        "ENTPersonMailPerso", "GARPersonNom", "GARPersonPrenom", "GARPersonNomPatro",
        "GARPersonAutresPrenoms", "GARPersonDateNaissance", "GARPersonMail",
    }
)  # fmt: skip
"""Attributes whose values are pseudonymised in evidence (names, birth dates, contacts)."""

_UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_UAI = re.compile(r"^(\d{7})([A-Z])$")
_UAI_ATTRIBUTES = frozenset({"ENTPersonStructRattachRNE", "ENTPersonStructRattachUAI"})
_FREDU_VECTOR = re.compile(r"^([1-4])\|([^|]+)\|([^|]+)\|([^|]*)\|([^|]+)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DURATION = re.compile(
    r"^-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)
_EXCERPT_CHARS = 4000
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_ALL_SIGNATURE_METHODS = frozenset(SignatureMethod)
_ALL_DIGESTS = frozenset(DigestAlgorithm)
_WEAK_ALGORITHM = re.compile(r"sha1\b|#sha1$|md5", re.IGNORECASE)


# --- probes -----------------------------------------------------------------------------


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
        section = _section(context)
        check: str = params["check"]
        with context.http_session() as session:
            if check == "wellformed":
                return _check_wellformed(session, section, context)
            metadata = fetch_metadata(session, section, context)
        if check == "validity":
            return _check_validity(metadata)
        return _check_endpoints_https(metadata)


class MetadataSignature(Probe):
    """The enveloped signature of the metadata, when there is one (SAML metadata §3).

    Not applicable when the root carries no ``ds:Signature``. Otherwise it is verified with
    signxml against the trust anchor the target declares (``saml.metadata_signing_cert``),
    else against the signing certificates the metadata publishes (which proves integrity
    only, and the evidence says so; when none of them verifies, only the anchor can decide:
    not tested). The signature must reference the root element.
    """

    kind = "saml.metadata_signature"
    title = "Signature des métadonnées SAML"
    needs = ("saml",)
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {},
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Verify the root signature against the declared anchor."""
        validated_params(self, params)
        section = _section(context)
        with context.http_session() as session:
            metadata = fetch_metadata(session, section, context)
        signature = metadata.document.find("ds:Signature", NS)
        if signature is None:
            return Outcome.not_applicable(
                "les métadonnées ne sont pas signées (aucun ds:Signature à la racine) : "
                "l'exigence ne vaut que pour des métadonnées signées",
                metadata.exchange,
            )
        algorithms = _signature_algorithms(signature)
        if section.metadata_signing_cert is not None:
            anchors = [_load_anchor(section.metadata_signing_cert)]
            source = f"ancre de confiance déclarée par la cible ({section.metadata_signing_cert})"
        else:
            anchors = [key.certificate for key in metadata.key_descriptors() if key.signs]
            source = (
                "certificats de signature publiés dans les métadonnées elles-mêmes (aucune ancre "
                "déclarée : cela prouve l'intégrité, pas l'origine)"
            )
        if not anchors:
            raise NotTestable(
                "métadonnées signées mais aucun certificat pour vérifier la signature (déclarer "
                "saml.metadata_signing_cert dans la cible)"
            )
        result = verify_enveloped(metadata.document, anchors)
        facts = note(
            f"signature des métadonnées vérifiée avec : {source}",
            anchor_sha256=[_fingerprint(cert) for cert in anchors],
            embedded_sha256=_embedded_fingerprints(signature),
            **algorithms,
        )
        if result.problem is not None and section.metadata_signing_cert is None:
            # Signed by a key the metadata does not publish: only the anchor can tell.
            raise NotTestable(
                "métadonnées signées par une clé qu'elles ne publient pas : déclarer l'ancre de "
                "confiance (saml.metadata_signing_cert) pour vérifier la signature"
            )
        if result.problem is not None:
            return Outcome.failed(
                f"signature des métadonnées invalide : {result.problem}",
                facts,
                metadata.exchange,
            )
        return Outcome.passed(
            f"signature des métadonnées valide ({algorithms['signature_method']}), vérifiée "
            f"avec le certificat {result.certificate_sha256}",
            facts,
            metadata.exchange,
        )


class Certificates(Probe):
    """The certificates of the metadata's ``md:KeyDescriptor`` elements.

    ``check: validity``: every certificate (signing, encryption or both) satisfies
    notBefore ≤ now < notAfter; one expiring within ``warn_days`` passes with a warning in
    the message. ``check: strength``: RSA and DSA keys of at least ``min_rsa_bits``, EC keys
    of at least ``min_ec_bits``, no SHA-1 or MD5 certificate signature; with ``signatures``
    (default), the XML signatures seen are judged too: the metadata's, and, when the target
    has a test account, those of a real response (SignatureMethod and DigestMethod).
    """

    kind = "saml.certificates"
    title = "Certificats des métadonnées SAML (validité, taille de clé, SHA-1)"
    needs = ("saml",)
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["check"],
        "properties": {
            "check": {"enum": ["validity", "strength"]},
            "warn_days": {
                "type": "integer",
                "minimum": 0,
                "default": 30,
                "description": "validity: warn when a certificate expires within this many days.",
            },
            "min_rsa_bits": {"type": "integer", "minimum": 512, "default": 2048},
            "min_ec_bits": {"type": "integer", "minimum": 160, "default": 256},
            "signatures": {
                "type": "boolean",
                "default": True,
                "description": "strength: also judge the algorithms of the XML signatures seen.",
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Decode every certificate and judge it."""
        params = validated_params(self, params)
        section = _section(context)
        with context.http_session() as session:
            metadata = fetch_metadata(session, section, context)
            keys = metadata.key_descriptors()
            if not keys:
                return Outcome.failed(
                    "aucun certificat X.509 dans les md:KeyDescriptor des métadonnées",
                    metadata.exchange,
                )
            if params["check"] == "validity":
                return _judge_validity(keys, int(params.get("warn_days", 30)), metadata)
            login: LoginResult | None = None
            skipped = ""
            if params.get("signatures", True):
                accounts = _saml_accounts(context, section, required=False)
                if accounts and section.sp_entity_id and section.sp_acs_url:
                    login = sso_login(session, context, section, metadata, accounts[0])
                else:
                    skipped = "aucun compte de test ou SP de test décrit dans la cible"
        return _judge_strength(params, keys, metadata, login, skipped)


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
        section = _section(context)
        with context.http_session() as session:
            metadata = fetch_metadata(session, section, context)
            services = metadata.sso_services()
            listed = note(
                "SingleSignOnService déclarés dans les métadonnées",
                services=[{"binding": b, "location": loc} for b, loc in services],
            )
            if not any(binding == BINDING_REDIRECT for binding, _ in services):
                return Outcome.failed(
                    "aucun SingleSignOnService en liaison HTTP-Redirect dans les métadonnées",
                    listed,
                    metadata.exchange,
                )
            account = _saml_accounts(context, section)[0]
            login = sso_login(session, context, section, metadata, account)
        return Outcome.passed(
            "SingleSignOnService en HTTP-Redirect déclaré ; la réponse de la connexion de test "
            f"arrive par un formulaire HTTP-POST (SAMLResponse) vers {login.form_action}",
            listed,
            *login.evidence,
        )


class NameIdFormat(Probe):
    """NameID formats: declared in the metadata, used as declared, not identifying.

    Fail: no ``md:NameIDFormat`` in the metadata; the verified assertion's NameID format
    (``unspecified`` when absent) is not among them; an ``emailAddress`` NameID, or any
    NameID whose value is an e-mail address or the account's login.
    """

    kind = "saml.nameid"
    title = "Formats de NameID déclarés et non nominatifs"
    needs = ("saml", "accounts")
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {},
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """List the declared formats, log in, judge the NameID of the verified assertion."""
        validated_params(self, params)
        section = _section(context)
        with context.http_session() as session:
            metadata = fetch_metadata(session, section, context)
            formats = metadata.nameid_formats()
            declared = note("md:NameIDFormat déclarés", formats=formats)
            if not formats:
                return Outcome.failed(
                    "les métadonnées ne déclarent aucun md:NameIDFormat",
                    declared,
                    metadata.exchange,
                )
            account = _saml_accounts(context, section)[0]
            login = sso_login(session, context, section, metadata, account)
        assertion = _single_verified_assertion(login, metadata)
        name_id = assertion.find("saml:Subject/saml:NameID", NS)
        if name_id is None:
            return Outcome.failed(
                "l'assertion vérifiée ne porte pas de NameID", declared, *login.evidence
            )
        name_format = name_id.get("Format") or NAMEID_UNSPECIFIED
        value = (name_id.text or "").strip()
        seen = note(
            f"NameID de l'assertion : format {name_format}",
            format=name_format,
            value_excerpt=_mask_value(value),
            sp_name_qualifier=name_id.get("SPNameQualifier"),
        )
        problems = []
        if name_format not in formats:
            problems.append(f"format {name_format} absent des formats déclarés")
        if name_format == NAMEID_EMAIL or _EMAIL.match(value):
            problems.append("le NameID est une adresse électronique (donnée nominative)")
        elif value and value.casefold() == account.login.casefold():
            problems.append("le NameID est l'identifiant de connexion du compte (nominatif)")
        if problems:
            return Outcome.failed(
                "NameID non conforme : " + " ; ".join(problems), declared, seen, *login.evidence
            )
        preference = (
            ""
            if name_format in (NAMEID_TRANSIENT, NAMEID_PERSISTENT)
            else " (ni transient ni persistent : format admis mais non préféré)"
        )
        return Outcome.passed(
            f"NameID au format déclaré {name_format}, non nominatif{preference}",
            declared,
            seen,
            *login.evidence,
        )


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
        section = _section(context)
        with context.http_session() as session:
            metadata = fetch_metadata(session, section, context)
            account = _saml_accounts(context, section)[0]
            login = sso_login(session, context, section, metadata, account)
        response = login.response
        facts = _response_facts(response)
        problems = []
        if response.get("Version") != "2.0":
            problems.append(f"Version {response.get('Version')!r} au lieu de 2.0")
        if facts["status"] != STATUS_SUCCESS:
            problems.append(f"statut {facts['status']} au lieu de Success")
        if facts["destination"] != login.acs_url:
            problems.append(
                f"Destination {facts['destination']!r} différente de l'ACS {login.acs_url}"
            )
        if facts["in_response_to"] != login.request_id:
            problems.append(
                f"InResponseTo {facts['in_response_to']!r} différent de l'ID de la requête "
                f"{login.request_id}"
            )
        if facts["issuer"] is not None and facts["issuer"] != metadata.entity_id:
            problems.append(f"Issuer de la réponse {facts['issuer']!r} ≠ {metadata.entity_id}")
        problems.extend(
            f"Issuer d'assertion {issuer!r} ≠ {metadata.entity_id}"
            for issuer in facts["assertion_issuers"]
            if issuer != metadata.entity_id
        )
        if login.form_action != login.acs_url:
            problems.append(f"formulaire posté vers {login.form_action} et non vers l'ACS")
        summary = note("enveloppe de la réponse SAML", **facts)
        if problems:
            return Outcome.failed(
                "réponse SAML non conforme : " + " ; ".join(problems), summary, *login.evidence
            )
        return Outcome.passed(
            f"connexion de test réussie ({account.profile}) : statut Success, Destination, "
            f"InResponseTo et Issuer conformes",
            summary,
            *login.evidence,
        )


class Signature(Probe):
    """Every assertion is protected by a signature verified with the metadata's key.

    Response and Assertion signatures are verified with signxml against each
    ``use="signing"`` (or use-less) certificate of the metadata, never the one in the
    message. An assertion counts as protected only when its own signature verifies or the
    verified Response signature covers it. A certificate's dates are not judged here
    (``saml.certificates`` does that). Encrypted assertions cannot be decided.
    """

    kind = "saml.signature"
    title = "Assertions SAML signées, vérifiées avec le certificat des métadonnées"
    needs = ("saml", "accounts")
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {},
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Log in, verify every signature of the response."""
        validated_params(self, params)
        section = _section(context)
        with context.http_session() as session:
            metadata = fetch_metadata(session, section, context)
            account = _saml_accounts(context, section)[0]
            login = sso_login(session, context, section, metadata, account)
        return judge_signatures(login.response, metadata, login.evidence)


class Conditions(Probe):
    """Audience, validity window and bearer confirmation of the verified assertion.

    Pass: ``AudienceRestriction/Audience`` = the SP entityID; ``NotBefore`` ≤ now <
    ``NotOnOrAfter`` (± ``max_skew_s``); a bearer ``SubjectConfirmation`` whose
    ``SubjectConfirmationData`` has ``Recipient`` = ACS, ``InResponseTo`` = the request ID and
    a ``NotOnOrAfter`` in the future; an ``AuthnStatement``. Only signature-verified
    assertions are judged.
    """

    kind = "saml.conditions"
    title = "Audience, conditions et confirmation du sujet de l'assertion"
    needs = ("saml", "accounts")
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "max_skew_s": {
                "type": "integer",
                "minimum": 0,
                "maximum": 3600,
                "default": DEFAULT_SKEW_S,
                "description": "Clock skew allowed, in seconds.",
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Log in and judge the conditions of the verified assertion."""
        params = validated_params(self, params)
        skew = dt.timedelta(seconds=int(params.get("max_skew_s", DEFAULT_SKEW_S)))
        section = _section(context)
        with context.http_session() as session:
            metadata = fetch_metadata(session, section, context)
            account = _saml_accounts(context, section)[0]
            login = sso_login(session, context, section, metadata, account)
        assertion = _single_verified_assertion(login, metadata)
        now = dt.datetime.now(dt.UTC)
        problems, facts = judge_conditions(assertion, login, now, skew)
        summary = note(
            "conditions de l'assertion vérifiée", now=_iso(now), skew_s=skew.seconds, **facts
        )
        if problems:
            return Outcome.failed(
                "conditions de l'assertion non conformes : " + " ; ".join(problems),
                summary,
                *login.evidence,
            )
        return Outcome.passed(
            f"audience {facts['audiences']}, fenêtre {facts['not_before']} → "
            f"{facts['not_on_or_after']} et confirmation bearer conformes",
            summary,
            *login.evidence,
        )


class Attributes(Probe):
    """Released attributes: the agreed ones, well named, with plausible values.

    Logs in with each test account the target lists for SAML (``saml.accounts``, else
    every account) and reads the verified assertion's ``AttributeStatement``. Fail: an
    attribute of ``required`` (or of ``by_profile`` for that profile) is missing; an
    attribute has no ``NameFormat``; one is outside the target's ``agreed_attributes`` (when
    declared); a value differs from the account's ``expect``; an ``ENTPersonProfils`` value is
    not a national profile code; a UAI has a wrong check letter; a ``FrEduVecteur`` does not
    read ``type|nom|prénom|id|UAI``; a ``FrEduCtRefId`` is not ``{AAF}…``.
    ``sp: gar`` plays the GAR-like SP the target declares (``saml.gar``).
    """

    kind = "saml.attributes"
    title = "Attributs SAML publiés au fournisseur de services"
    needs = ("saml", "accounts")
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "required": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "uniqueItems": True,
                "default": [],
                "description": "Attributes every account must receive.",
            },
            "by_profile": {
                "type": "object",
                "additionalProperties": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 1},
                    "uniqueItems": True,
                },
                "default": {},
                "description": "Extra attributes required for a profile (eleve, enseignant...).",
            },
            "sp": {
                "enum": ["test", "gar"],
                "default": "test",
                "description": "Which service provider the probe plays.",
            },
            "only_agreed": {
                "type": "boolean",
                "default": True,
                "description": "Fail on attributes outside saml.agreed_attributes (if declared).",
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Log in with each account and judge what it receives."""
        params = validated_params(self, params)
        section = _section(context)
        sp = params.get("sp", "test")
        if sp == "gar":
            try:
                section = _gar_section(section)
            except _NotApplicable as reason:
                return Outcome.not_applicable(str(reason))
        required: list[str] = list(params.get("required", []))
        by_profile: Mapping[str, list[str]] = params.get("by_profile", {})
        agreed = section.agreed_attributes if params.get("only_agreed", True) else None
        problems: list[str] = []
        evidence: list[Evidence] = []
        with context.http_session() as session:
            metadata = fetch_metadata(session, section, context)
            accounts = _saml_accounts(context, section)
            for account in accounts:
                session.cookies.clear()
                login = sso_login(session, context, section, metadata, account)
                assertion = _single_verified_assertion(login, metadata)
                released = read_attributes(assertion)
                wanted = [*required, *by_profile.get(account.profile, [])]
                # The account's expected values describe what the test SP receives.
                expect = account.expect if sp == "test" else {}
                found = judge_attributes(released, wanted, agreed, expect)
                problems += [f"{account.login} ({account.profile}) : {p}" for p in found]
                evidence.append(_attributes_evidence(account, released, wanted, found))
                evidence += login.evidence
        if agreed is None and params.get("only_agreed", True):
            evidence.insert(
                0,
                note(
                    "liste des attributs convenus non déclarée (saml.agreed_attributes) : "
                    "l'absence d'attributs en trop n'est pas vérifiée"
                ),
            )
        if problems:
            return Outcome.failed(
                "attributs SAML non conformes : " + " ; ".join(problems), *evidence
            )
        names = ", ".join(required) or "aucun attribut commun exigé"
        return Outcome.passed(
            f"attributs conformes pour {len(accounts)} compte(s) ({names}"
            + (", rien hors de la liste convenue)" if agreed is not None else ")"),
            *evidence,
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
        section = _section(context)
        rogue_acs: str = params.get(
            "undeclared_acs_url", "https://acs-non-declaree.sdet-check.invalid/acs"
        )
        problems: list[str] = []
        evidence: list[Evidence] = []
        with context.http_session() as session:
            metadata = fetch_metadata(session, section, context)
            account = _saml_accounts(context, section)[0]
            stranger = f"urn:sdet-check:sp-inconnu:{secrets.token_hex(6)}"
            unknown = attempt_login(
                session, context, section, metadata, account,
                sp_entity_id=stranger, acs_url=rogue_acs, sign=False,
            )  # fmt: skip
            evidence.append(unknown.summary(f"requête d'un SP inconnu ({stranger})"))
            evidence += unknown.evidence
            if unknown.issued_success():
                problems.append(
                    f"une réponse Success est émise pour le SP inconnu {stranger} "
                    f"(vers {unknown.form_action})"
                )
            session.cookies.clear()
            declared_sp = _require(section.sp_entity_id, "sp_entity_id")
            detour = attempt_login(
                session, context, section, metadata, account,
                sp_entity_id=declared_sp, acs_url=rogue_acs, sign=True,
            )  # fmt: skip
            evidence.append(detour.summary(f"requête du SP de test vers l'ACS {rogue_acs}"))
            evidence += detour.evidence
            if detour.delivers_to(rogue_acs):
                problems.append(
                    f"une réponse est envoyée à l'adresse non déclarée {rogue_acs} "
                    f"(statut {detour.status})"
                )
        if problems:
            return Outcome.failed(
                "le fournisseur d'identité ne refuse pas : " + " ; ".join(problems), *evidence
            )
        return Outcome.passed(
            f"SP inconnu refusé ({unknown.outcome_text()}) ; ACS non déclarée refusée "
            f"({detour.outcome_text()})",
            *evidence,
        )


PROBES: tuple[type[Probe], ...] = (
    SamlMetadata,
    MetadataSignature,
    Certificates,
    Bindings,
    NameIdFormat,
    Login,
    Signature,
    Conditions,
    Attributes,
    UnknownSp,
)
"""The ``saml`` family, registered through the ``sdet_check.probes`` entry point."""


# --- the target's saml section ----------------------------------------------------------


@dataclass(frozen=True)
class SamlSection:
    """The ``saml`` section of the target, paths resolved."""

    metadata_url: str
    metadata_signing_cert: Path | None = None
    sso_url: str | None = None
    sp_entity_id: str | None = None
    sp_acs_url: str | None = None
    sp_key_file: Path | None = None
    accounts: tuple[str, ...] = ()
    agreed_attributes: tuple[str, ...] | None = None
    username_field: str | None = None
    password_field: str | None = None
    gar: Mapping[str, Any] | None = None


def _section(context: ProbeContext) -> SamlSection:
    target = context.target
    raw = target.section("saml")
    url = raw.get("metadata_url")
    if not isinstance(url, str) or not url:
        raise NotTestable(
            "la cible ne décrit pas de fournisseur d'identité SAML (saml.metadata_url)"
        )
    form = raw.get("login_form", {})
    agreed = raw.get("agreed_attributes")
    return SamlSection(
        metadata_url=url,
        metadata_signing_cert=_path(context, raw.get("metadata_signing_cert")),
        sso_url=raw.get("sso_url"),
        sp_entity_id=raw.get("sp_entity_id"),
        sp_acs_url=raw.get("sp_acs_url"),
        sp_key_file=_path(context, raw.get("sp_key_file")),
        accounts=tuple(raw.get("accounts", ())),
        agreed_attributes=None if agreed is None else tuple(agreed),
        username_field=form.get("username_field"),
        password_field=form.get("password_field"),
        gar=raw.get("gar"),
    )


def _gar_section(section: SamlSection) -> SamlSection:
    gar = section.gar
    if gar is None:
        raise NotTestable(
            "la cible ne dit pas si l'ENT est relié au GAR (section saml.gar : connected, "
            "sp_entity_id, sp_acs_url d'un SP de test configuré comme le GAR)"
        )
    if not gar.get("connected", False):
        raise _NotApplicable("la cible déclare que l'ENT n'est pas relié au GAR")
    entity_id, acs = gar.get("sp_entity_id"), gar.get("sp_acs_url")
    if not entity_id or not acs:
        raise NotTestable("saml.gar doit donner sp_entity_id et sp_acs_url du SP de test GAR")
    return SamlSection(
        metadata_url=section.metadata_url,
        metadata_signing_cert=section.metadata_signing_cert,
        sso_url=section.sso_url,
        sp_entity_id=entity_id,
        sp_acs_url=acs,
        sp_key_file=section.sp_key_file,
        accounts=section.accounts,
        agreed_attributes=tuple(gar["agreed_attributes"]) if "agreed_attributes" in gar else None,
        username_field=section.username_field,
        password_field=section.password_field,
        gar=gar,
    )


class _NotApplicable(Exception):
    """Raised inside a probe when the requirement does not apply; turned into an outcome."""


def _path(context: ProbeContext, value: Any) -> Path | None:
    if not isinstance(value, str) or not value:
        return None
    path = context.target.path(value)
    if not path.is_file():
        raise NotTestable(f"fichier introuvable : {path} (section saml de la cible)")
    return path


def _require(value: str | None, key: str) -> str:
    if not value:
        raise NotTestable(f"la cible ne donne pas saml.{key}, nécessaire à la connexion de test")
    return value


def _saml_accounts(
    context: ProbeContext, section: SamlSection, *, required: bool = True
) -> list[Account]:
    accounts = list(context.target.accounts)
    if section.accounts:
        by_login = {account.login: account for account in accounts}
        unknown = [login for login in section.accounts if login not in by_login]
        if unknown:
            raise NotTestable(
                "saml.accounts cite des comptes absents de la section accounts : "
                + ", ".join(unknown)
            )
        accounts = [by_login[login] for login in section.accounts]
    if not accounts and required:
        raise NotTestable("la cible ne donne aucun compte de test pour la connexion SAML")
    return accounts


# --- metadata ---------------------------------------------------------------------------


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
            MetadataKey(descriptor.get("use"), _decode_certificate(text.text))
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
    response = _fetch(session, section.metadata_url, context)
    exchange = _metadata_exchange(response)
    if response.status_code != 200:
        raise ProbeError(
            f"les métadonnées {section.metadata_url} répondent {response.status_code}", exchange
        )
    document = parse_hostile_xml(response.content, what="métadonnées SAML")
    entity = _idp_entity(document)
    if entity is None:
        raise ProbeError(
            "les métadonnées ne contiennent aucun md:EntityDescriptor de fournisseur d'identité "
            f"(racine {document.tag})",
            exchange,
        )
    return IdpMetadata(section.metadata_url, document, entity, exchange)


def _idp_entity(document: etree._Element) -> etree._Element | None:
    tag = f"{{{NS['md']}}}EntityDescriptor"
    if document.tag == tag:
        return document
    if document.tag == f"{{{NS['md']}}}EntitiesDescriptor":
        for entity in document.iter(tag):
            if entity.find("md:IDPSSODescriptor", NS) is not None:
                return entity
    return None


def _metadata_exchange(response: requests.Response) -> Evidence:
    evidence = http_exchange(response)
    data = dict(evidence.data)
    data["response"] = dict(data["response"])
    data["response"]["sha256"] = hashlib.sha256(response.content).hexdigest()
    data["response"]["size"] = len(response.content)
    return Evidence(evidence.kind, evidence.summary, data)


def _check_wellformed(
    session: requests.Session, section: SamlSection, context: ProbeContext
) -> Outcome:
    response = _fetch(session, section.metadata_url, context)
    exchange = _metadata_exchange(response)
    if response.status_code != 200:
        return Outcome.failed(
            f"{section.metadata_url} répond {response.status_code} au lieu des métadonnées",
            exchange,
        )
    try:
        document = parse_hostile_xml(response.content, what="métadonnées SAML")
    except HostileResponse as refused:
        if isinstance(refused.__cause__, etree.XMLSyntaxError):
            return Outcome.failed(str(refused), *refused.evidence, exchange)
        raise
    problems = []
    entity = _idp_entity(document)
    if entity is None:
        problems.append(
            f"racine {document.tag} : ni md:EntityDescriptor ni md:EntitiesDescriptor "
            "contenant un fournisseur d'identité (espace de noms "
            "urn:oasis:names:tc:SAML:2.0:metadata)"
        )
        return Outcome.failed("métadonnées non conformes : " + problems[0], exchange)
    metadata = IdpMetadata(section.metadata_url, document, entity, exchange)
    entity_id = metadata.entity_id
    parts = urlsplit(entity_id)
    if not entity_id:
        problems.append("entityID absent")
    elif len(entity_id) > 1024:
        problems.append(f"entityID de {len(entity_id)} caractères (au plus 1024)")
    elif not (parts.scheme and (parts.netloc or parts.scheme == "urn")):
        problems.append(f"entityID {entity_id!r} n'est pas une URI absolue")
    idp = metadata.idp
    services = metadata.sso_services()
    if idp is None:
        problems.append("aucun md:IDPSSODescriptor")
    else:
        supported = (idp.get("protocolSupportEnumeration") or "").split()
        if PROTOCOL not in supported:
            problems.append(f"protocolSupportEnumeration sans {PROTOCOL}")
        if not services:
            problems.append("aucun SingleSignOnService")
        incomplete = [s for s in services if not s[0] or not s[1]]
        if incomplete:
            problems.append(f"{len(incomplete)} SingleSignOnService sans Binding ou Location")
    facts = note(
        "structure des métadonnées",
        root=document.tag,
        entity_id=entity_id,
        protocol_support=None if idp is None else idp.get("protocolSupportEnumeration"),
        single_sign_on=[{"binding": b, "location": loc} for b, loc in services],
    )
    if problems:
        return Outcome.failed(
            "métadonnées non conformes : " + " ; ".join(problems), facts, exchange
        )
    return Outcome.passed(
        f"métadonnées bien formées : entityID {entity_id}, IDPSSODescriptor SAML 2.0, "
        f"{len(services)} SingleSignOnService",
        facts,
        exchange,
    )


def _check_validity(metadata: IdpMetadata) -> Outcome:
    root = metadata.document
    valid_until = root.get("validUntil")
    cache_duration = root.get("cacheDuration")
    facts = note(
        f"attributs de la racine {etree.QName(root).localname} : validUntil={valid_until!r}, "
        f"cacheDuration={cache_duration!r}",
        root=root.tag,
        validUntil=valid_until,
        cacheDuration=cache_duration,
        root_attributes={str(k): str(v) for k, v in root.attrib.items()},
    )
    if valid_until is None and cache_duration is None:
        return Outcome.failed(
            "la racine des métadonnées ne porte ni validUntil ni cacheDuration (la spécification "
            "des métadonnées SAML 2.0 exige l'un des deux)",
            facts,
            metadata.exchange,
        )
    problems = []
    if valid_until is not None:
        moment = _parse_instant(valid_until)
        if moment is None:
            problems.append(f"validUntil {valid_until!r} n'est pas une date xs:dateTime")
        elif moment <= dt.datetime.now(dt.UTC):
            problems.append(f"validUntil {valid_until} est échu")
    if cache_duration is not None and not _DURATION.match(cache_duration.strip()):
        problems.append(f"cacheDuration {cache_duration!r} n'est pas une durée xs:duration")
    if problems:
        return Outcome.failed(
            "période de validité des métadonnées non conforme : " + " ; ".join(problems),
            facts,
            metadata.exchange,
        )
    return Outcome.passed(
        f"métadonnées bornées : validUntil={valid_until}, cacheDuration={cache_duration}",
        facts,
        metadata.exchange,
    )


def _check_endpoints_https(metadata: IdpMetadata) -> Outcome:
    endpoints = []
    for element in metadata.entity.iter():
        for attribute in ("Location", "ResponseLocation"):
            value = element.get(attribute)
            if value is not None:
                endpoints.append(
                    {"element": etree.QName(element).localname, "attribute": attribute,
                     "url": value}
                )  # fmt: skip
    listed = note(f"{len(endpoints)} point(s) d'accès déclaré(s)", endpoints=endpoints)
    if not endpoints:
        return Outcome.failed(
            "les métadonnées ne déclarent aucun point d'accès", listed, metadata.exchange
        )
    clear = [e for e in endpoints if urlsplit(e["url"]).scheme.lower() != "https"]
    if clear:
        shown = ", ".join(f"{e['element']} {e['url']}" for e in clear)
        return Outcome.failed(
            f"{len(clear)} point(s) d'accès hors HTTPS : {shown}", listed, metadata.exchange
        )
    return Outcome.passed(
        f"les {len(endpoints)} points d'accès des métadonnées sont en HTTPS",
        listed,
        metadata.exchange,
    )


# --- certificates -----------------------------------------------------------------------


def _decode_certificate(text: str | None) -> x509.Certificate:
    compact = "".join((text or "").split())
    try:
        return x509.load_der_x509_certificate(base64.b64decode(compact, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise ProbeError(f"certificat X.509 illisible dans les métadonnées : {exc}") from exc


def _load_anchor(path: Path) -> x509.Certificate:
    data = path.read_bytes()
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        try:
            return x509.load_der_x509_certificate(data)
        except ValueError as exc:
            raise BadParams(f"ancre de confiance illisible ({path}) : {exc}") from exc


def _fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex(":")


def _certificate_facts(key: MetadataKey) -> dict[str, Any]:
    certificate = key.certificate
    public_key = certificate.public_key()
    try:
        hash_name = certificate.signature_hash_algorithm.name  # type: ignore[union-attr]
    except (UnsupportedAlgorithm, AttributeError):
        hash_name = None
    return {
        "use": key.use or "signing+encryption",
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "not_before": _iso(certificate.not_valid_before_utc),
        "not_after": _iso(certificate.not_valid_after_utc),
        "key_type": _key_type(public_key),
        "key_bits": _key_bits(public_key),
        "signature_hash": hash_name,
        "sha256": _fingerprint(certificate),
    }


def _key_type(public_key: Any) -> str:
    if isinstance(public_key, rsa.RSAPublicKey):
        return "RSA"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return f"EC ({public_key.curve.name})"
    if isinstance(public_key, dsa.DSAPublicKey):
        return "DSA"
    if isinstance(public_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return "EdDSA"
    return type(public_key).__name__


def _key_bits(public_key: Any) -> int | None:
    if isinstance(public_key, rsa.RSAPublicKey | dsa.DSAPublicKey):
        return int(public_key.key_size)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return int(public_key.curve.key_size)
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return 256
    if isinstance(public_key, ed448.Ed448PublicKey):
        return 448
    return None


def _judge_validity(keys: list[MetadataKey], warn_days: int, metadata: IdpMetadata) -> Outcome:
    now = dt.datetime.now(dt.UTC)
    problems: list[str] = []
    warnings: list[str] = []
    evidence = []
    for key in keys:
        facts = _certificate_facts(key)
        certificate = key.certificate
        label = f"certificat {facts['use']} {facts['subject']}"
        if now < certificate.not_valid_before_utc:
            problems.append(f"{label} pas encore valide (notBefore {facts['not_before']})")
            verdict = "pas encore valide"
        elif now >= certificate.not_valid_after_utc:
            problems.append(
                f"{label} expiré (valide du {facts['not_before']} au {facts['not_after']})"
            )
            verdict = "expiré"
        else:
            left = certificate.not_valid_after_utc - now
            verdict = f"valide encore {left.days} jour(s)"
            if left < dt.timedelta(days=warn_days):
                warnings.append(f"{label} expire le {facts['not_after']} ({left.days} jour(s))")
        evidence.append(
            Evidence(
                kind="certificate",
                summary=f"{label} : {verdict} (notBefore {facts['not_before']}, notAfter "
                f"{facts['not_after']})",
                data={**facts, "now": _iso(now), "verdict": verdict},
            )
        )
    if problems:
        return Outcome.failed(
            "certificat(s) hors de leur période de validité : " + " ; ".join(problems),
            *evidence,
            metadata.exchange,
        )
    message = f"{len(keys)} certificat(s) en cours de validité"
    if warnings:
        message += " ; attention, échéance proche : " + " ; ".join(warnings)
    return Outcome.passed(message, *evidence, metadata.exchange)


def _judge_strength(
    params: Mapping[str, Any],
    keys: list[MetadataKey],
    metadata: IdpMetadata,
    login: LoginResult | None,
    skipped: str,
) -> Outcome:
    min_rsa = int(params.get("min_rsa_bits", 2048))
    min_ec = int(params.get("min_ec_bits", 256))
    problems: list[str] = []
    evidence: list[Evidence] = []
    for key in keys:
        facts = _certificate_facts(key)
        label = f"certificat {facts['use']} {facts['subject']}"
        bits, key_type, hash_name = facts["key_bits"], facts["key_type"], facts["signature_hash"]
        weak = []
        if key_type in ("RSA", "DSA") and bits is not None and bits < min_rsa:
            weak.append(f"clé {key_type} de {bits} bits (minimum {min_rsa})")
        if key_type.startswith("EC") and bits is not None and bits < min_ec:
            weak.append(f"clé {key_type} de {bits} bits (minimum {min_ec})")
        if hash_name is not None and hash_name.lower() in ("sha1", "md5"):
            weak.append(f"certificat signé en {hash_name.upper()}")
        problems += [f"{label} : {w}" for w in weak]
        evidence.append(
            Evidence(
                kind="certificate",
                summary=f"{label} : {key_type} {bits} bits, signature {hash_name}"
                + (f" — {', '.join(weak)}" if weak else ""),
                data={**facts, "weaknesses": weak},
            )
        )
    if params.get("signatures", True):
        signatures: list[tuple[str, etree._Element]] = []
        root_signature = metadata.document.find("ds:Signature", NS)
        if root_signature is not None:
            signatures.append(("métadonnées", root_signature))
        if login is not None:
            signatures += [
                (f"{etree.QName(parent).localname} de la réponse", signature)
                for parent in [login.response, *login.response.findall("saml:Assertion", NS)]
                for signature in parent.findall("ds:Signature", NS)
            ]
        for where, signature in signatures:
            algorithms = _signature_algorithms(signature)
            weak = [
                value
                for value in [algorithms["signature_method"], *algorithms["digest_methods"]]
                if value and _WEAK_ALGORITHM.search(value)
            ]
            problems += [f"signature XML des {where} : algorithme faible {w}" for w in weak]
            evidence.append(
                note(
                    f"signature XML ({where}) : {algorithms['signature_method']}",
                    where=where,
                    weak=weak,
                    **algorithms,
                )
            )
        if login is None:
            evidence.append(
                note(f"signatures XML des réponses non examinées : {skipped or 'non demandé'}")
            )
        else:
            evidence += login.evidence
    if problems:
        return Outcome.failed(
            "cryptographie insuffisante : " + " ; ".join(problems), *evidence, metadata.exchange
        )
    return Outcome.passed(
        f"{len(keys)} certificat(s) de taille suffisante sans SHA-1"
        + ("" if login is None else " ; signatures XML de la réponse sans SHA-1"),
        *evidence,
        metadata.exchange,
    )


def _signature_algorithms(signature: etree._Element) -> dict[str, Any]:
    method = signature.find("ds:SignedInfo/ds:SignatureMethod", NS)
    c14n = signature.find("ds:SignedInfo/ds:CanonicalizationMethod", NS)
    digests = signature.findall("ds:SignedInfo/ds:Reference/ds:DigestMethod", NS)
    references = signature.findall("ds:SignedInfo/ds:Reference", NS)
    return {
        "signature_method": None if method is None else method.get("Algorithm"),
        "canonicalization": None if c14n is None else c14n.get("Algorithm"),
        "digest_methods": [d.get("Algorithm") for d in digests],
        "references": [r.get("URI") for r in references],
    }


def _embedded_fingerprints(signature: etree._Element) -> list[str]:
    found = []
    for text in signature.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS):
        try:
            found.append(_fingerprint(_decode_certificate(text.text)))
        except ProbeError:
            found.append("illisible")
    return found


# --- signatures -------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureCheck:
    """The verification of one enveloped signature."""

    element: str
    """Local name of the signed element (``Response``, ``Assertion``, ``EntityDescriptor``)."""
    element_id: str | None
    problem: str | None
    """``None`` when the signature verified with a metadata certificate."""
    certificate_sha256: str | None
    signed: etree._Element | None
    """The verified content, as signxml returns it: the only content to judge."""
    algorithms: Mapping[str, Any] = field(default_factory=dict)
    embedded_sha256: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        """Whether the signature verified."""
        return self.problem is None

    def evidence(self) -> Evidence:
        """Describe the check (never the key itself)."""
        state = "valide" if self.valid else f"invalide : {self.problem}"
        return Evidence(
            kind="signature",
            summary=f"signature de {self.element} {self.element_id or ''} {state}".replace(
                "  ", " "
            ),
            data={
                "element": self.element,
                "id": self.element_id,
                "valid": self.valid,
                "problem": self.problem,
                "verified_with_sha256": self.certificate_sha256,
                "embedded_certificates_sha256": list(self.embedded_sha256),
                **dict(self.algorithms),
            },
        )


def verify_enveloped(
    element: etree._Element, certificates: Sequence[x509.Certificate]
) -> SignatureCheck:
    """Verify the ``ds:Signature`` child of ``element`` against each certificate in turn.

    The element is serialised alone (exclusive canonicalisation makes that sound), so a
    reference can only resolve inside it. Certificate dates are not judged: in SAML the
    trust comes from metadata, and the dates are checked by ``saml.certificates``. The
    signature must reference ``element`` itself.
    """
    name = etree.QName(element).localname
    element_id = element.get("ID")
    signature = element.find("ds:Signature", NS)
    algorithms = {} if signature is None else _signature_algorithms(signature)
    embedded = () if signature is None else tuple(_embedded_fingerprints(signature))
    if signature is None:
        return SignatureCheck(name, element_id, "aucune signature", None, None, algorithms)
    problems = []
    for certificate in certificates:
        moment = _moment_within(certificate)
        config = SignatureConfiguration(
            location="./",
            expect_references=1,
            signature_methods=_ALL_SIGNATURE_METHODS,
            digest_algorithms=_ALL_DIGESTS,
            verification_time=moment,
        )
        try:
            result = XMLVerifier().verify(element, x509_cert=certificate, expect_config=config)
        except InvalidDigest as exc:
            problems.append(
                f"empreinte (DigestValue) différente : contenu modifié après signature "
                f"({_short(str(exc))})"
            )
            continue
        except InvalidSignature as exc:
            problems.append(
                f"la valeur de signature ne vérifie pas avec le certificat "
                f"{_fingerprint(certificate)[:23]}… ({_short(str(exc)) or 'clé différente'})"
            )
            continue
        except (InvalidCertificate, InvalidInput) as exc:
            problems.append(f"{_fingerprint(certificate)[:23]}… : {_short(str(exc))}")
            continue
        except (ValueError, etree.LxmlError) as exc:
            problems.append(f"signature illisible : {_short(str(exc))}")
            continue
        verified = result if not isinstance(result, list) else result[0]
        signed = verified.signed_xml
        if signed is None or signed.tag != element.tag or signed.get("ID") != element_id:
            problems.append(
                "la signature ne porte pas sur l'élément qui la contient (référence "
                f"{algorithms.get('references')})"
            )
            continue
        return SignatureCheck(
            name, element_id, None, _fingerprint(certificate), signed, algorithms, embedded
        )
    return SignatureCheck(
        name,
        element_id,
        " ; ".join(problems) or "aucun certificat de signature",
        None,
        None,
        algorithms,
        embedded,
    )


def _moment_within(certificate: x509.Certificate) -> dt.datetime:
    now = dt.datetime.now(dt.UTC)
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    if start <= now <= end:
        return now
    return start + (end - start) / 2


@dataclass(frozen=True)
class ResponseSignatures:
    """What the signatures of a Response protect."""

    response: SignatureCheck | None
    assertions: tuple[SignatureCheck, ...]
    verified_assertions: tuple[etree._Element, ...]
    """Assertions taken from verified content only."""
    unprotected: tuple[str, ...]
    """IDs of delivered assertions no verified signature covers."""
    encrypted: int


def verify_response(
    response: etree._Element, certificates: Sequence[x509.Certificate]
) -> ResponseSignatures:
    """Verify the Response and Assertion signatures; keep only verified assertions."""
    response_check = (
        verify_enveloped(response, certificates)
        if response.find("ds:Signature", NS) is not None
        else None
    )
    delivered = response.findall("saml:Assertion", NS)
    checks = []
    verified: dict[str, etree._Element] = {}
    for assertion in delivered:
        if assertion.find("ds:Signature", NS) is None:
            continue
        check = verify_enveloped(assertion, certificates)
        checks.append(check)
        if check.signed is not None:
            verified.setdefault(check.element_id or "", check.signed)
    if response_check is not None and response_check.signed is not None:
        for assertion in response_check.signed.findall("saml:Assertion", NS):
            verified.setdefault(assertion.get("ID") or "", assertion)
    unprotected = tuple(
        assertion.get("ID") or "(sans ID)"
        for assertion in delivered
        if (assertion.get("ID") or "") not in verified
    )
    return ResponseSignatures(
        response=response_check,
        assertions=tuple(checks),
        verified_assertions=tuple(verified.values()),
        unprotected=unprotected,
        encrypted=len(response.findall("saml:EncryptedAssertion", NS)),
    )


def judge_signatures(
    response: etree._Element, metadata: IdpMetadata, context_evidence: Iterable[Evidence] = ()
) -> Outcome:
    """Decide ``saml.signature`` on a Response: every assertion verified, nothing else."""
    certificates = metadata.signing_certificates()
    if not certificates:
        raise ProbeError("les métadonnées ne publient aucun certificat de signature")
    if response.findall("saml:EncryptedAssertion", NS):
        raise ProbeError(
            "la réponse contient des assertions chiffrées : leur déchiffrement n'est pas pris "
            "en charge, la signature ne peut pas être jugée",
            *context_evidence,
        )
    result = verify_response(response, certificates)
    evidence = [
        result.response.evidence()
        if result.response is not None
        else Evidence("signature", "la Response ne porte aucune signature", {"element": "Response"})
    ]
    evidence += [check.evidence() for check in result.assertions]
    evidence += [
        Evidence(
            "signature",
            f"l'assertion {assertion.get('ID')} ne porte aucune signature",
            {"element": "Assertion", "id": assertion.get("ID"), "valid": False},
        )
        for assertion in response.findall("saml:Assertion", NS)
        if assertion.find("ds:Signature", NS) is None
    ]
    evidence.append(
        note(
            "certificats de signature des métadonnées utilisés",
            sha256=[_fingerprint(c) for c in certificates],
        )
    )
    evidence += list(context_evidence)
    delivered = response.findall("saml:Assertion", NS)
    problems = []
    if not delivered:
        problems.append("la réponse ne contient aucune assertion")
    if result.response is not None and not result.response.valid:
        problems.append(f"signature de la Response invalide ({result.response.problem})")
    problems += [
        f"signature de l'assertion {check.element_id} invalide ({check.problem})"
        for check in result.assertions
        if not check.valid
    ]
    if result.unprotected:
        problems.append(
            "assertion(s) sans signature vérifiée (ni la leur ni celle de la Response) : "
            + ", ".join(result.unprotected)
        )
    if problems:
        return Outcome.failed("signature SAML non conforme : " + " ; ".join(problems), *evidence)
    covered = []
    if result.response is not None:
        covered.append("Response")
    if result.assertions:
        covered.append("Assertion")
    return Outcome.passed(
        f"{len(delivered)} assertion(s) protégée(s) par une signature valide "
        f"({' et '.join(covered)}) vérifiée avec le certificat des métadonnées",
        *evidence,
    )


def _single_verified_assertion(login: LoginResult, metadata: IdpMetadata) -> etree._Element:
    """The verified assertion of a login; content without a verified signature is not judged."""
    certificates = metadata.signing_certificates()
    result = verify_response(login.response, certificates)
    if not result.verified_assertions:
        reasons = []
        if result.response is not None and result.response.problem:
            reasons.append(f"Response : {result.response.problem}")
        reasons += [f"Assertion : {c.problem}" for c in result.assertions if c.problem]
        if result.encrypted:
            reasons.append("assertion chiffrée (déchiffrement non pris en charge)")
        detail = " ; ".join(reasons) or "aucune signature"
        raise ProbeError(
            "aucune assertion à signature vérifiée dans la réponse : son contenu ne peut pas être "
            f"jugé ({detail} ; voir la sonde saml.signature)",
            *login.evidence,
        )
    return result.verified_assertions[0]


# --- conditions and attributes ----------------------------------------------------------


def judge_conditions(
    assertion: etree._Element, login: LoginResult, now: dt.datetime, skew: dt.timedelta
) -> tuple[list[str], dict[str, Any]]:
    """Return the problems and the facts of an assertion's conditions and confirmation."""
    problems: list[str] = []
    conditions = assertion.find("saml:Conditions", NS)
    audiences = [
        (a.text or "").strip()
        for a in assertion.findall("saml:Conditions/saml:AudienceRestriction/saml:Audience", NS)
    ]
    not_before = None if conditions is None else conditions.get("NotBefore")
    not_on_or_after = None if conditions is None else conditions.get("NotOnOrAfter")
    if conditions is None:
        problems.append("aucun élément Conditions")
    if login.sp_entity_id not in audiences:
        problems.append(f"audience {audiences} sans l'entityID du SP {login.sp_entity_id}")
    problems += _window("Conditions", not_before, not_on_or_after, now, skew)
    confirmations = []
    bearer_ok = False
    for confirmation in assertion.findall("saml:Subject/saml:SubjectConfirmation", NS):
        data = confirmation.find("saml:SubjectConfirmationData", NS)
        entry = {
            "method": confirmation.get("Method"),
            "recipient": None if data is None else data.get("Recipient"),
            "in_response_to": None if data is None else data.get("InResponseTo"),
            "not_before": None if data is None else data.get("NotBefore"),
            "not_on_or_after": None if data is None else data.get("NotOnOrAfter"),
        }
        confirmations.append(entry)
        if entry["method"] != CM_BEARER:
            continue
        local = []
        if entry["recipient"] != login.acs_url:
            local.append(f"Recipient {entry['recipient']!r} ≠ ACS {login.acs_url}")
        if entry["in_response_to"] != login.request_id:
            local.append(f"InResponseTo {entry['in_response_to']!r} ≠ {login.request_id}")
        if entry["not_on_or_after"] is None:
            local.append("SubjectConfirmationData sans NotOnOrAfter")
        local += _window(
            "SubjectConfirmationData", entry["not_before"], entry["not_on_or_after"], now, skew
        )
        if not local:
            bearer_ok = True
        else:
            problems += local
    if not any(c["method"] == CM_BEARER for c in confirmations):
        problems.append("aucune SubjectConfirmation de méthode bearer")
    elif not bearer_ok and not problems:
        problems.append("aucune confirmation bearer valide")
    statement = assertion.find("saml:AuthnStatement", NS)
    if statement is None:
        problems.append("aucun AuthnStatement")
    facts = {
        "audiences": audiences,
        "not_before": not_before,
        "not_on_or_after": not_on_or_after,
        "subject_confirmations": confirmations,
        "authn_instant": None if statement is None else statement.get("AuthnInstant"),
        "session_index": None if statement is None else bool(statement.get("SessionIndex")),
        "authn_context": None
        if statement is None
        else _text(statement.find("saml:AuthnContext/saml:AuthnContextClassRef", NS)),
        "expected": {
            "audience": login.sp_entity_id,
            "recipient": login.acs_url,
            "in_response_to": login.request_id,
        },
    }
    return list(dict.fromkeys(problems)), facts


def _window(
    where: str, start: str | None, end: str | None, now: dt.datetime, skew: dt.timedelta
) -> list[str]:
    problems = []
    if start is not None:
        moment = _parse_instant(start)
        if moment is None:
            problems.append(f"{where} NotBefore illisible ({start!r})")
        elif moment - skew > now:
            problems.append(f"{where} NotBefore {start} dans le futur")
    if end is not None:
        moment = _parse_instant(end)
        if moment is None:
            problems.append(f"{where} NotOnOrAfter illisible ({end!r})")
        elif moment + skew <= now:
            problems.append(f"{where} NotOnOrAfter {end} échu (maintenant {_iso(now)})")
    return problems


@dataclass(frozen=True)
class ReleasedAttribute:
    """One ``saml:Attribute`` of an assertion."""

    name: str
    name_format: str | None
    friendly_name: str | None
    values: tuple[str, ...]


def read_attributes(assertion: etree._Element) -> dict[str, ReleasedAttribute]:
    """Return the attributes of an (already verified) assertion by name."""
    found: dict[str, ReleasedAttribute] = {}
    for attribute in assertion.findall("saml:AttributeStatement/saml:Attribute", NS):
        name = attribute.get("Name") or ""
        values = tuple(
            (value.text or "").strip() for value in attribute.findall("saml:AttributeValue", NS)
        )
        found[name] = ReleasedAttribute(
            name, attribute.get("NameFormat"), attribute.get("FriendlyName"), values
        )
    return found


def judge_attributes(
    released: Mapping[str, ReleasedAttribute],
    wanted: Sequence[str],
    agreed: Sequence[str] | None,
    expect: Mapping[str, str | list[str]],
) -> list[str]:
    """Return what is wrong with the attributes one account received."""
    problems = [f"attribut {name} absent" for name in wanted if name not in released]
    problems += [
        f"attribut {name} sans NameFormat" for name, a in released.items() if not a.name_format
    ]
    if agreed is not None:
        extra = sorted(set(released) - set(agreed))
        if extra:
            problems.append("attribut(s) hors de la liste convenue : " + ", ".join(extra))
    for name, expected in expect.items():
        attribute = released.get(name)
        wanted_values = [expected] if isinstance(expected, str) else list(expected)
        if attribute is None:
            if name not in wanted:  # a required one is already reported missing
                problems.append(f"attribut {name} attendu pour ce compte mais absent")
        elif sorted(attribute.values) != sorted(wanted_values):
            problems.append(f"{name} = {list(attribute.values)} au lieu de {wanted_values}")
    profiles = released.get("ENTPersonProfils")
    if profiles is not None:
        odd = [v for v in profiles.values if v not in NATIONAL_PROFILES]
        if odd:
            problems.append(f"ENTPersonProfils hors des codes nationaux : {odd}")
    for name in _UAI_ATTRIBUTES & set(released):
        problems += [f"{name} : {p}" for v in released[name].values if (p := _uai_problem(v))]
    vector = released.get("FrEduVecteur")
    if vector is not None:
        for value in vector.values:
            match = _FREDU_VECTOR.match(value)
            if match is None:
                problems.append(f"FrEduVecteur {value!r} ne suit pas type|nom|prénom|id|UAI")
            elif problem := _uai_problem(match.group(5)):
                problems.append(f"FrEduVecteur : {problem}")
    refs = released.get("FrEduCtRefId")
    if refs is not None:
        problems += [
            f"FrEduCtRefId {v!r} ne commence pas par {{AAF}}"
            for v in refs.values
            if not v.startswith("{AAF}")
        ]
    return problems


def _uai_problem(value: str) -> str | None:
    match = _UAI.match(value)
    if match is None:
        return f"UAI {value!r} ne suit pas 7 chiffres + lettre"
    expected = _UAI_LETTERS[int(match.group(1)) % 23]
    if match.group(2) != expected:
        return f"UAI {value} : lettre de contrôle {match.group(2)} au lieu de {expected}"
    return None


def _attributes_evidence(
    account: Account,
    released: Mapping[str, ReleasedAttribute],
    wanted: Sequence[str],
    problems: Sequence[str],
) -> Evidence:
    state = "conformes" if not problems else "; ".join(problems)
    return Evidence(
        kind="saml_attributes",
        summary=f"attributs reçus pour {account.login} ({account.profile}) : {state}",
        data={
            "account": account.login,
            "profile": account.profile,
            "required": list(wanted),
            "missing": [name for name in wanted if name not in released],
            "problems": list(problems),
            "pseudonymised": sorted(
                a.name
                for a in released.values()
                if any(_mask_value(v, a.name) != v for v in a.values)
            ),
            "attributes": [
                {
                    "name": a.name,
                    "name_format": a.name_format,
                    "values": [_mask_value(v, a.name) for v in a.values],
                }
                for a in released.values()
            ],
        },
    )


def _mask_value(value: str, name: str | None = None) -> str:
    """Pseudonymise personal data kept in evidence (DESIGN §6: evidence about minors).

    E-mail addresses keep their first letter and domain, names and birth dates their first
    character, ``FrEduVecteur`` its type, identifier and UAI; other values are kept.
    """
    if _EMAIL.match(value):
        local, _, domain = value.partition("@")
        return f"{local[:1]}…@{domain}"
    if name in PERSONAL_ATTRIBUTES and value:
        return value[:1] + "…"
    if name == "FrEduVecteur":
        parts = value.split("|")
        if len(parts) == 5:
            parts[1], parts[2] = parts[1][:1] + "…", parts[2][:1] + "…"
            return "|".join(parts)
    return value


# --- the SSO exchange -------------------------------------------------------------------


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
        status: str | None = _response_facts(self.response)["status"]
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
            return f"réponse de statut {self.status} vers {self.form_action}"
        if self.final is not None:
            return (
                f"aucune réponse SAML émise (dernière page : statut HTTP {self.final.status_code})"
            )
        return "aucune réponse SAML"

    def summary(self, what: str) -> Evidence:
        """One evidence line for this attempt."""
        return note(
            f"{what} : {self.outcome_text()}",
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
    sp_entity_id = _require(section.sp_entity_id, "sp_entity_id")
    acs_url = _require(section.sp_acs_url, "sp_acs_url")
    attempt = attempt_login(
        session, context, section, metadata, account,
        sp_entity_id=sp_entity_id, acs_url=acs_url, sign=True,
    )  # fmt: skip
    if attempt.credentials_refused:
        raise ProbeError(
            f"le fournisseur d'identité refuse les identifiants du compte de test "
            f"{account.login} : connexion impossible",
            *attempt.evidence,
        )
    if attempt.response is None or attempt.response_xml is None or attempt.form_action is None:
        final = attempt.final
        where = (
            ""
            if final is None
            else f" (dernière page : {_without_query(final.url)}, statut {final.status_code})"
        )
        raise ProbeError(
            f"aucune réponse SAML (formulaire SAMLResponse) au bout de la connexion{where}",
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
            summary=f"AuthnRequest {request_id} (HTTP-Redirect"
            + (", signée" if key is not None else ", non signée")
            + f") de {sp_entity_id} vers {destination}",
            data={
                "binding": BINDING_REDIRECT,
                "xml": request_xml.decode("utf-8"),
                "relay_state": relay_state,
                "signed": key is not None,
            },
        )
    )
    page = _follow(session, url, context, attempt)
    for _ in range(MAX_LOGIN_STEPS):
        document = _html(page)
        response_form = _find_form(document, "SAMLResponse")
        if response_form is not None:
            _read_response_form(response_form, page, attempt)
            return attempt
        login_form = _find_password_form(document)
        if login_form is None or page.status_code != 200:
            break
        if attempt.logged_in:
            attempt.credentials_refused = True
            break
        attempt.logged_in = True
        page = _submit_login(session, context, page, login_form, section, account, attempt)
    attempt.final = page
    return attempt


def _redirect_sso(metadata: IdpMetadata) -> str:
    for binding, location in metadata.sso_services():
        if binding == BINDING_REDIRECT and location:
            return location
    raise ProbeError(
        "les métadonnées ne déclarent aucun SingleSignOnService HTTP-Redirect : la connexion "
        "de test ne peut pas être envoyée (donner saml.sso_url dans la cible)",
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
    root.set("IssueInstant", _iso(dt.datetime.now(dt.UTC)))
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
        raise BadParams(f"clé privée du SP de test illisible ({path}) : {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise BadParams(f"la clé du SP de test ({path}) doit être une clé RSA non chiffrée")
    return key


def _follow(
    session: requests.Session, url: str, context: ProbeContext, attempt: LoginAttempt
) -> requests.Response:
    response = _send(session, "GET", url, context)
    attempt.evidence.append(_exchange(response))
    hops = 0
    while response.status_code in _REDIRECT_STATUSES and response.headers.get("Location"):
        hops += 1
        if hops > MAX_REDIRECTS:
            raise HostileResponse(
                f"plus de {MAX_REDIRECTS} redirections pendant la connexion SAML",
                *attempt.evidence,
            )
        next_url = urljoin(response.url, response.headers["Location"])
        if urlsplit(next_url).scheme not in ("http", "https"):
            break
        response = _send(session, "GET", next_url, context)
        attempt.evidence.append(_exchange(response))
    return response


def _submit_login(
    session: requests.Session,
    context: ProbeContext,
    page: requests.Response,
    form: lxml.html.FormElement,
    section: SamlSection,
    account: Account,
    attempt: LoginAttempt,
) -> requests.Response:
    fields = _form_fields(form)
    password_name = section.password_field or _password_field(form)
    user_name = section.username_field or _username_field(form, password_name)
    if password_name is None or user_name is None:
        raise ProbeError(
            f"formulaire de connexion de {page.url} incompris (champs identifiant et mot de passe "
            "introuvables ; les indiquer dans saml.login_form)",
            *attempt.evidence,
        )
    fields[user_name] = account.login
    fields[password_name] = account.password.reveal()
    action = urljoin(page.url, form.get("action") or page.url)
    method = (form.get("method") or "GET").upper()
    if method != "POST":
        raise ProbeError(
            f"le formulaire de connexion de {page.url} s'envoie en {method} : le mot de passe "
            "partirait dans l'adresse, la sonde refuse de l'envoyer",
            *attempt.evidence,
        )
    response = _send(session, "POST", action, context, data=fields)
    attempt.evidence.append(
        _exchange(
            response,
            f"POST {action} (formulaire de connexion : {user_name}={account.login}, "
            f"{password_name}=***) → {response.status_code}",
        )
    )
    if response.status_code in _REDIRECT_STATUSES and response.headers.get("Location"):
        return _follow(
            session, urljoin(response.url, response.headers["Location"]), context, attempt
        )
    return response


def _read_response_form(
    form: lxml.html.FormElement, page: requests.Response, attempt: LoginAttempt
) -> None:
    fields = _form_fields(form)
    encoded = fields.get("SAMLResponse", "")
    attempt.form_action = urljoin(page.url, form.get("action") or "")
    attempt.relay_state_returned = fields.get("RelayState")
    try:
        raw = base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise HostileResponse(
            f"SAMLResponse illisible (base64 invalide) : {exc}", *attempt.evidence
        ) from exc
    attempt.response_xml = raw
    root = parse_hostile_xml(raw, what="réponse SAML")
    if root.tag != f"{{{NS['samlp']}}}Response":
        raise ProbeError(
            f"le formulaire SAMLResponse contient {root.tag} au lieu d'une samlp:Response",
            *attempt.evidence,
        )
    attempt.response = root
    facts = _response_facts(root)
    attempt.evidence.append(
        Evidence(
            kind="saml_message",
            summary=f"Response {root.get('ID')} reçue par HTTP-POST vers {attempt.form_action} : "
            f"statut {facts['status']}",
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


def _response_facts(response: etree._Element) -> dict[str, Any]:
    status = response.find("samlp:Status/samlp:StatusCode", NS)
    return {
        "id": response.get("ID"),
        "version": response.get("Version"),
        "issue_instant": response.get("IssueInstant"),
        "destination": response.get("Destination"),
        "in_response_to": response.get("InResponseTo"),
        "issuer": _text(response.find("saml:Issuer", NS)),
        "status": None if status is None else status.get("Value"),
        "status_message": _text(response.find("samlp:Status/samlp:StatusMessage", NS)),
        "assertion_issuers": [
            _text(a.find("saml:Issuer", NS)) for a in response.findall("saml:Assertion", NS)
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
            value.text = _mask_value(value.text.strip(), name)
    for name_id in shown.iter(f"{{{NS['saml']}}}NameID"):
        if name_id.text:
            name_id.text = _mask_value(name_id.text.strip())
    text = etree.tostring(shown, encoding="unicode")
    return text if len(text) <= _EXCERPT_CHARS else text[:_EXCERPT_CHARS] + "…"


def _exchange(response: requests.Response, summary: str | None = None) -> Evidence:
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


# --- HTML forms -------------------------------------------------------------------------


def _html(response: requests.Response) -> lxml.html.HtmlElement | None:
    body = response.content
    if not body.strip():
        return None
    parser = lxml.html.HTMLParser(no_network=True, huge_tree=False, remove_pis=True)
    try:
        return lxml.html.document_fromstring(body, parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None


def _find_form(
    document: lxml.html.HtmlElement | None, field_name: str
) -> lxml.html.FormElement | None:
    if document is None:
        return None
    for form in document.forms:
        if form.xpath(".//input[@name=$name]", name=field_name):
            return form
    return None


def _find_password_form(document: lxml.html.HtmlElement | None) -> lxml.html.FormElement | None:
    if document is None:
        return None
    for form in document.forms:
        if form.xpath(".//input[translate(@type,'PASSWORD','password')='password']"):
            return form
    return None


def _form_fields(form: lxml.html.FormElement) -> dict[str, str]:
    fields: dict[str, str] = {}
    for element in form.xpath(".//input[@name]|.//textarea[@name]"):
        kind = (element.get("type") or "text").lower()
        if kind in ("submit", "button", "image", "reset", "file"):
            continue
        if kind in ("checkbox", "radio") and element.get("checked") is None:
            continue
        if element.tag == "textarea":
            fields[element.get("name")] = element.text or ""
        else:
            fields[element.get("name")] = element.get("value") or ""
    return fields


def _password_field(form: lxml.html.FormElement) -> str | None:
    for element in form.xpath(".//input[@name]"):
        if (element.get("type") or "").lower() == "password":
            name: str = element.get("name")
            return name
    return None


def _username_field(form: lxml.html.FormElement, password_name: str | None) -> str | None:
    for element in form.xpath(".//input[@name]"):
        kind = (element.get("type") or "text").lower()
        if kind in ("text", "email") and element.get("name") != password_name:
            name: str = element.get("name")
            return name
    return None


# --- HTTP plumbing ----------------------------------------------------------------------


def _fetch(session: requests.Session, url: str, context: ProbeContext) -> requests.Response:
    """GET ``url`` following at most :data:`MAX_REDIRECTS` redirects."""
    response = _send(session, "GET", url, context)
    hops = 0
    while response.status_code in _REDIRECT_STATUSES and response.headers.get("Location"):
        hops += 1
        if hops > MAX_REDIRECTS:
            raise HostileResponse(f"plus de {MAX_REDIRECTS} redirections depuis {url}")
        response = _send(
            session, "GET", urljoin(response.url, response.headers["Location"]), context
        )
    return response


# --- small helpers ----------------------------------------------------------------------


def _parse_instant(value: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(element: etree._Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip()


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(query="…" if parts.query else "", fragment="").geturl()


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"
