"""The IdP's keys: the metadata's own signature, certificate dates and key strength."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, ClassVar

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from lxml import etree

from probes.saml.common import NS, WEAK_ALGORITHM, iso, saml_accounts, saml_section
from probes.saml.keys import embedded_fingerprints, fingerprint, load_anchor, signature_algorithms
from probes.saml.login import LoginResult, sso_login
from probes.saml.metadata import IdpMetadata, MetadataKey, fetch_metadata
from probes.saml.signatures import verify_enveloped
from sdet_check.evidence import note
from sdet_check.messages import clauses, msg
from sdet_check.probe import (
    Evidence,
    NotTestable,
    Outcome,
    Probe,
    ProbeContext,
    validated_params,
)
from sdet_check.transport import MAX_BODY_BYTES as MAX_BODY_BYTES  # the bound, for readers


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
        section = saml_section(context)
        with context.http_session() as session:
            metadata = fetch_metadata(session, section, context)
        signature = metadata.document.find("ds:Signature", NS)
        if signature is None:
            return Outcome.not_applicable(
                msg("saml.certificates.metadata_signature.na"),
                metadata.exchange,
            )
        algorithms = signature_algorithms(signature)
        if section.metadata_signing_cert is not None:
            anchors = [load_anchor(section.metadata_signing_cert)]
            source = f"ancre de confiance déclarée par la cible ({section.metadata_signing_cert})"
        else:
            anchors = [key.certificate for key in metadata.key_descriptors() if key.signs]
            source = (
                "certificats de signature publiés dans les métadonnées elles-mêmes (aucune ancre "
                "déclarée : cela prouve l'intégrité, pas l'origine)"
            )
        if not anchors:
            raise NotTestable(msg("saml.certificates.metadata_signature.untestable"))
        result = verify_enveloped(metadata.document, anchors)
        facts = note(
            msg("saml.certificates.ev.metadata_signature.note", source=source),
            anchor_sha256=[fingerprint(cert) for cert in anchors],
            embedded_sha256=embedded_fingerprints(signature),
            **algorithms,
        )
        if result.problem is not None and section.metadata_signing_cert is None:
            # Signed by a key the metadata does not publish: only the anchor can tell.
            raise NotTestable(msg("saml.certificates.metadata_signature.untestable_2"))
        if result.problem is not None:
            return Outcome.failed(
                msg("saml.certificates.metadata_signature.fail", problem=result.problem),
                facts,
                metadata.exchange,
            )
        return Outcome.passed(
            msg(
                "saml.certificates.metadata_signature.pass",
                signature_method=algorithms["signature_method"],
                certificate_sha256=result.certificate_sha256,
            ),
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
        section = saml_section(context)
        with context.http_session() as session:
            metadata = fetch_metadata(session, section, context)
            keys = metadata.key_descriptors()
            if not keys:
                return Outcome.failed(
                    msg("saml.certificates.certificates.fail"),
                    metadata.exchange,
                )
            if params["check"] == "validity":
                return judge_validity(keys, int(params.get("warn_days", 30)), metadata)
            login: LoginResult | None = None
            skipped = ""
            if params.get("signatures", True):
                accounts = saml_accounts(context, section, required=False)
                if accounts and section.sp_entity_id and section.sp_acs_url:
                    login = sso_login(session, context, section, metadata, accounts[0])
                else:
                    skipped = "aucun compte de test ou SP de test décrit dans la cible"
        return judge_strength(params, keys, metadata, login, skipped)


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
        "not_before": iso(certificate.not_valid_before_utc),
        "not_after": iso(certificate.not_valid_after_utc),
        "key_type": _key_type(public_key),
        "key_bits": _key_bits(public_key),
        "signature_hash": hash_name,
        "sha256": fingerprint(certificate),
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


def judge_validity(keys: list[MetadataKey], warn_days: int, metadata: IdpMetadata) -> Outcome:
    """Judge the validity dates of the metadata keys (expired, not yet valid, near expiry)."""
    now = dt.datetime.now(dt.UTC)
    problems: list[str] = []
    warnings: list[str] = []
    evidence = []
    for key in keys:
        facts = _certificate_facts(key)
        certificate = key.certificate
        label = msg("saml.certificate.label", use=facts["use"], subject=facts["subject"])
        if now < certificate.not_valid_before_utc:
            problems.append(
                msg(
                    "saml.certificates.judge_validity.append",
                    label=label,
                    not_before=facts["not_before"],
                )
            )
            verdict = msg("saml.certificate.not_yet_valid")
        elif now >= certificate.not_valid_after_utc:
            problems.append(
                msg(
                    "saml.certificates.judge_validity.append_2",
                    label=label,
                    not_before=facts["not_before"],
                    not_after=facts["not_after"],
                )
            )
            verdict = msg("saml.certificate.expired")
        else:
            left = certificate.not_valid_after_utc - now
            verdict = msg("saml.certificate.days_left", days=left.days)
            if left < dt.timedelta(days=warn_days):
                warnings.append(
                    msg(
                        "saml.certificates.judge_validity.append_3",
                        label=label,
                        not_after=facts["not_after"],
                        days=left.days,
                    )
                )
        evidence.append(
            Evidence(
                kind="certificate",
                summary=msg(
                    "saml.certificates.ev.judge_validity.evidence",
                    label=label,
                    verdict=verdict,
                    not_before=facts["not_before"],
                    not_after=facts["not_after"],
                ),
                data={**facts, "now": iso(now), "verdict": verdict},
            )
        )
    if problems:
        return Outcome.failed(
            msg("saml.certificates.judge_validity.fail", problems=clauses(problems)),
            *evidence,
            metadata.exchange,
        )
    message = msg("saml.certificates.valid", count=len(keys))
    if warnings:
        message = msg("saml.certificates.valid_soon", valid=message, warnings=clauses(warnings))
    return Outcome.passed(message, *evidence, metadata.exchange)


def judge_strength(
    params: Mapping[str, Any],
    keys: list[MetadataKey],
    metadata: IdpMetadata,
    login: LoginResult | None,
    skipped: str,
) -> Outcome:
    """Judge key sizes and signature algorithms of the metadata keys and signatures."""
    min_rsa = int(params.get("min_rsa_bits", 2048))
    min_ec = int(params.get("min_ec_bits", 256))
    problems: list[str] = []
    evidence: list[Evidence] = []
    for key in keys:
        facts = _certificate_facts(key)
        label = msg("saml.certificate.label", use=facts["use"], subject=facts["subject"])
        bits, key_type, hash_name = facts["key_bits"], facts["key_type"], facts["signature_hash"]
        weak: list[str] = []
        if key_type in ("RSA", "DSA") and bits is not None and bits < min_rsa:
            weak.append(
                msg(
                    "saml.certificates.judge_strength.append",
                    key_type=key_type,
                    bits=bits,
                    min_rsa=min_rsa,
                )
            )
        if key_type.startswith("EC") and bits is not None and bits < min_ec:
            weak.append(
                msg(
                    "saml.certificates.judge_strength.append_2",
                    key_type=key_type,
                    bits=bits,
                    min_ec=min_ec,
                )
            )
        if hash_name is not None and hash_name.lower() in ("sha1", "md5"):
            weak.append(msg("saml.certificates.judge_strength.append_3", upper=hash_name.upper()))
        problems += [msg("core.labelled", label=label, text=w) for w in weak]
        evidence.append(
            Evidence(
                kind="certificate",
                summary=msg(
                    "saml.certificates.ev.judge_strength.evidence",
                    label=label,
                    key_type=key_type,
                    bits=bits,
                    hash_name=hash_name,
                    value=f" — {', '.join(weak)}" if weak else "",
                ),
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
            algorithms = signature_algorithms(signature)
            weak = [
                value
                for value in [algorithms["signature_method"], *algorithms["digest_methods"]]
                if value and WEAK_ALGORITHM.search(value)
            ]
            problems += [f"signature XML des {where} : algorithme faible {w}" for w in weak]
            evidence.append(
                note(
                    msg(
                        "saml.certificates.ev.judge_strength.note",
                        where=where,
                        signature_method=algorithms["signature_method"],
                    ),
                    where=where,
                    weak=weak,
                    **algorithms,
                )
            )
        if login is None:
            evidence.append(
                note(
                    msg(
                        "saml.certificates.ev.judge_strength.note_2", value=skipped or "non demandé"
                    )
                )
            )
        else:
            evidence += login.evidence
    if problems:
        return Outcome.failed(
            msg("saml.certificates.judge_strength.fail", problems=clauses(problems)),
            *evidence,
            metadata.exchange,
        )
    return Outcome.passed(
        msg(
            "saml.certificates.judge_strength.pass",
            count=len(keys),
            value="" if login is None else msg("saml.certificates.no_sha1_response"),
        ),
        *evidence,
        metadata.exchange,
    )
