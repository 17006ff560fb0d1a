"""XML signatures of responses and assertions, verified against the metadata's keys only.

Only the content a verified signature covers is returned, which is what defeats signature
wrapping (signxml returns the signed subtree itself).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from cryptography import x509
from lxml import etree
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature
from signxml.verifier import SignatureConfiguration, XMLVerifier

from probes.saml.common import (
    ALL_DIGESTS,
    ALL_SIGNATURE_METHODS,
    NS,
    saml_accounts,
    saml_section,
    short,
)
from probes.saml.keys import embedded_fingerprints, fingerprint, signature_algorithms
from probes.saml.login import LoginResult, sso_login
from probes.saml.metadata import IdpMetadata, fetch_metadata
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
        section = saml_section(context)
        with context.http_session() as session:
            metadata = fetch_metadata(session, section, context)
            account = saml_accounts(context, section)[0]
            login = sso_login(session, context, section, metadata, account)
        return judge_signatures(login.response, metadata, login.evidence)


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
        state = msg("core.valid") if self.valid else msg("core.invalid", problem=self.problem)
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
    algorithms = {} if signature is None else signature_algorithms(signature)
    embedded = () if signature is None else tuple(embedded_fingerprints(signature))
    if signature is None:
        return SignatureCheck(name, element_id, "aucune signature", None, None, algorithms)
    problems: list[str] = []
    for certificate in certificates:
        moment = moment_within(certificate)
        config = SignatureConfiguration(
            location="./",
            expect_references=1,
            signature_methods=ALL_SIGNATURE_METHODS,
            digest_algorithms=ALL_DIGESTS,
            verification_time=moment,
        )
        try:
            result = XMLVerifier().verify(element, x509_cert=certificate, expect_config=config)
        except InvalidDigest as exc:
            problems.append(msg("saml.signatures.verify_enveloped.append", detail=short(str(exc))))
            continue
        except InvalidSignature as exc:
            problems.append(
                msg(
                    "saml.signatures.verify_enveloped.append_2",
                    fingerprint=fingerprint(certificate)[:23],
                    value=short(str(exc)) or msg("saml.signature.other_key"),
                )
            )
            continue
        except (InvalidCertificate, InvalidInput) as exc:
            problems.append(
                msg(
                    "saml.signatures.verify_enveloped.append_3",
                    fingerprint=fingerprint(certificate)[:23],
                    detail=short(str(exc)),
                )
            )
            continue
        except (ValueError, etree.LxmlError) as exc:
            problems.append(
                msg("saml.signatures.verify_enveloped.append_4", detail=short(str(exc)))
            )
            continue
        verified = result if not isinstance(result, list) else result[0]
        signed = verified.signed_xml
        if signed is None or signed.tag != element.tag or signed.get("ID") != element_id:
            problems.append(
                msg("saml.signatures.verify_enveloped.append_5", get=algorithms.get("references"))
            )
            continue
        return SignatureCheck(
            name, element_id, None, fingerprint(certificate), signed, algorithms, embedded
        )
    return SignatureCheck(
        name,
        element_id,
        clauses(problems) or "aucun certificat de signature",
        None,
        None,
        algorithms,
        embedded,
    )


def moment_within(certificate: x509.Certificate) -> dt.datetime:
    """A moment inside the certificate's validity, to verify signatures made with it."""
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
        raise ProbeError(msg("saml.signatures.judge_signatures.error"))
    if response.findall("saml:EncryptedAssertion", NS):
        raise ProbeError(
            msg("saml.signatures.judge_signatures.error_2"),
            *context_evidence,
        )
    result = verify_response(response, certificates)
    evidence = [
        result.response.evidence()
        if result.response is not None
        else Evidence(
            "signature",
            msg("saml.signatures.ev.judge_signatures.evidence"),
            {"element": "Response"},
        )
    ]
    evidence += [check.evidence() for check in result.assertions]
    evidence += [
        Evidence(
            "signature",
            msg("saml.signatures.ev.judge_signatures.evidence_2", get=assertion.get("ID")),
            {"element": "Assertion", "id": assertion.get("ID"), "valid": False},
        )
        for assertion in response.findall("saml:Assertion", NS)
        if assertion.find("ds:Signature", NS) is None
    ]
    evidence.append(
        note(
            msg("saml.signatures.ev.judge_signatures.note"),
            sha256=[fingerprint(c) for c in certificates],
        )
    )
    evidence += list(context_evidence)
    delivered = response.findall("saml:Assertion", NS)
    problems: list[str] = []
    if not delivered:
        problems.append(msg("saml.signatures.judge_signatures.append"))
    if result.response is not None and not result.response.valid:
        problems.append(
            msg("saml.signatures.judge_signatures.append_2", problem=result.response.problem)
        )
    problems += [
        f"signature de l'assertion {check.element_id} invalide ({check.problem})"
        for check in result.assertions
        if not check.valid
    ]
    if result.unprotected:
        problems.append(
            msg(
                "saml.signatures.judge_signatures.append_3",
                unprotected=", ".join(result.unprotected),
            )
        )
    if problems:
        return Outcome.failed(
            msg("saml.signatures.judge_signatures.fail", problems=clauses(problems)), *evidence
        )
    covered: list[str] = []
    if result.response is not None:
        covered.append(msg("saml.signatures.judge_signatures.append_4"))
    if result.assertions:
        covered.append(msg("saml.signatures.judge_signatures.append_5"))
    return Outcome.passed(
        msg(
            "saml.signatures.judge_signatures.pass",
            count=len(delivered),
            covered=msg("saml.signature.covered." + "+".join(covered)),
        ),
        *evidence,
    )


def single_verified_assertion(login: LoginResult, metadata: IdpMetadata) -> etree._Element:
    """The verified assertion of a login; content without a verified signature is not judged."""
    certificates = metadata.signing_certificates()
    result = verify_response(login.response, certificates)
    if not result.verified_assertions:
        reasons: list[str] = []
        if result.response is not None and result.response.problem:
            reasons.append(
                msg(
                    "saml.signatures.single_verified_assertion.append",
                    problem=result.response.problem,
                )
            )
        reasons += [f"Assertion : {c.problem}" for c in result.assertions if c.problem]
        if result.encrypted:
            reasons.append(msg("saml.signatures.single_verified_assertion.append_2"))
        detail = clauses(reasons) or "aucune signature"
        raise ProbeError(
            msg("saml.signatures.single_verified_assertion.error", detail=detail),
            *login.evidence,
        )
    return result.verified_assertions[0]
