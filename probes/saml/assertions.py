"""What an assertion says: NameID format, conditions and subject confirmation, attributes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from lxml import etree

from probes.saml.common import (
    _EMAIL,
    _FREDU_VECTOR,
    _UAI,
    _UAI_ATTRIBUTES,
    _UAI_LETTERS,
    CM_BEARER,
    DEFAULT_SKEW_S,
    NAMEID_EMAIL,
    NAMEID_PERSISTENT,
    NAMEID_TRANSIENT,
    NAMEID_UNSPECIFIED,
    NS,
    NotApplicableHere,
    gar_section,
    iso,
    mask_value,
    parse_instant,
    saml_accounts,
    saml_section,
    text_of,
)
from probes.saml.login import LoginResult, sso_login
from probes.saml.metadata import fetch_metadata
from probes.saml.signatures import single_verified_assertion
from sdet_check.evidence import note
from sdet_check.messages import clauses, msg
from sdet_check.probe import (
    Evidence,
    Outcome,
    Probe,
    ProbeContext,
    validated_params,
)
from sdet_check.sdet_model import NATIONAL_PROFILES
from sdet_check.target import Account
from sdet_check.transport import MAX_BODY_BYTES as MAX_BODY_BYTES  # the bound, for readers


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
        section = saml_section(context)
        with context.http_session() as session:
            metadata = fetch_metadata(session, section, context)
            formats = metadata.nameid_formats()
            declared = note(msg("saml.assertions.ev.name_id_format.note"), formats=formats)
            if not formats:
                return Outcome.failed(
                    msg("saml.assertions.name_id_format.fail"),
                    declared,
                    metadata.exchange,
                )
            account = saml_accounts(context, section)[0]
            login = sso_login(session, context, section, metadata, account)
        assertion = single_verified_assertion(login, metadata)
        name_id = assertion.find("saml:Subject/saml:NameID", NS)
        if name_id is None:
            return Outcome.failed(
                msg("saml.assertions.name_id_format.fail_2"), declared, *login.evidence
            )
        name_format = name_id.get("Format") or NAMEID_UNSPECIFIED
        value = (name_id.text or "").strip()
        seen = note(
            msg("saml.assertions.ev.name_id_format.note_2", name_format=name_format),
            format=name_format,
            value_excerpt=mask_value(value),
            sp_name_qualifier=name_id.get("SPNameQualifier"),
        )
        problems: list[str] = []
        if name_format not in formats:
            problems.append(msg("saml.assertions.name_id_format.append", name_format=name_format))
        if name_format == NAMEID_EMAIL or _EMAIL.match(value):
            problems.append(msg("saml.assertions.name_id_format.append_2"))
        elif value and value.casefold() == account.login.casefold():
            problems.append(msg("saml.assertions.name_id_format.append_3"))
        if problems:
            return Outcome.failed(
                msg("saml.assertions.name_id_format.fail_3", problems=clauses(problems)),
                declared,
                seen,
                *login.evidence,
            )
        preference = (
            ""
            if name_format in (NAMEID_TRANSIENT, NAMEID_PERSISTENT)
            else msg("saml.name_id.not_preferred")
        )
        return Outcome.passed(
            msg(
                "saml.assertions.name_id_format.pass",
                name_format=name_format,
                preference=preference,
            ),
            declared,
            seen,
            *login.evidence,
        )


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
        section = saml_section(context)
        with context.http_session() as session:
            metadata = fetch_metadata(session, section, context)
            account = saml_accounts(context, section)[0]
            login = sso_login(session, context, section, metadata, account)
        assertion = single_verified_assertion(login, metadata)
        now = dt.datetime.now(dt.UTC)
        problems, facts = judge_conditions(assertion, login, now, skew)
        summary = note(
            msg("saml.assertions.ev.conditions.note"), now=iso(now), skew_s=skew.seconds, **facts
        )
        if problems:
            return Outcome.failed(
                msg("saml.assertions.conditions.fail", problems=clauses(problems)),
                summary,
                *login.evidence,
            )
        return Outcome.passed(
            msg(
                "saml.assertions.conditions.pass",
                audiences=facts["audiences"],
                not_before=facts["not_before"],
                not_on_or_after=facts["not_on_or_after"],
            ),
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
        section = saml_section(context)
        sp = params.get("sp", "test")
        if sp == "gar":
            try:
                section = gar_section(section)
            except NotApplicableHere as reason:
                return Outcome.not_applicable(str(reason))
        required: list[str] = list(params.get("required", []))
        by_profile: Mapping[str, list[str]] = params.get("by_profile", {})
        agreed = section.agreed_attributes if params.get("only_agreed", True) else None
        problems: list[str] = []
        evidence: list[Evidence] = []
        with context.http_session() as session:
            metadata = fetch_metadata(session, section, context)
            accounts = saml_accounts(context, section)
            for account in accounts:
                session.cookies.clear()
                login = sso_login(session, context, section, metadata, account)
                assertion = single_verified_assertion(login, metadata)
                released = read_attributes(assertion)
                wanted = [*required, *by_profile.get(account.profile, [])]
                # The account's expected values describe what the test SP receives.
                expect = account.expect if sp == "test" else {}
                found = judge_attributes(released, wanted, agreed, expect)
                problems += [
                    msg("core.labelled", label=f"{account.login} ({account.profile})", text=p)
                    for p in found
                ]
                evidence.append(attributes_evidence(account, released, wanted, found))
                evidence += login.evidence
        if agreed is None and params.get("only_agreed", True):
            evidence.insert(
                0,
                note(msg("saml.assertions.ev.attributes.note")),
            )
        if problems:
            return Outcome.failed(
                msg("saml.assertions.attributes.fail", problems=clauses(problems)), *evidence
            )
        names = ", ".join(required) or "aucun attribut commun exigé"
        return Outcome.passed(
            msg(
                "saml.assertions.attributes.pass",
                count=len(accounts),
                names=names,
                value=msg("saml.attributes.agreed_only") if agreed is not None else ")",
            ),
            *evidence,
        )


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
        problems.append(msg("saml.assertions.judge_conditions.append"))
    if login.sp_entity_id not in audiences:
        problems.append(
            msg(
                "saml.assertions.judge_conditions.append_2",
                audiences=audiences,
                sp_entity_id=login.sp_entity_id,
            )
        )
    problems += window("Conditions", not_before, not_on_or_after, now, skew)
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
        local: list[str] = []
        if entry["recipient"] != login.acs_url:
            local.append(
                msg(
                    "saml.assertions.judge_conditions.append_3",
                    recipient=f"{entry['recipient']!r}",
                    acs_url=login.acs_url,
                )
            )
        if entry["in_response_to"] != login.request_id:
            local.append(
                msg(
                    "saml.assertions.judge_conditions.append_4",
                    in_response_to=f"{entry['in_response_to']!r}",
                    request_id=login.request_id,
                )
            )
        if entry["not_on_or_after"] is None:
            local.append(msg("saml.assertions.judge_conditions.append_5"))
        local += window(
            "SubjectConfirmationData", entry["not_before"], entry["not_on_or_after"], now, skew
        )
        if not local:
            bearer_ok = True
        else:
            problems += local
    if not any(c["method"] == CM_BEARER for c in confirmations):
        problems.append(msg("saml.assertions.judge_conditions.append_6"))
    elif not bearer_ok and not problems:
        problems.append(msg("saml.assertions.judge_conditions.append_7"))
    statement = assertion.find("saml:AuthnStatement", NS)
    if statement is None:
        problems.append(msg("saml.assertions.judge_conditions.append_8"))
    facts = {
        "audiences": audiences,
        "not_before": not_before,
        "not_on_or_after": not_on_or_after,
        "subject_confirmations": confirmations,
        "authn_instant": None if statement is None else statement.get("AuthnInstant"),
        "session_index": None if statement is None else bool(statement.get("SessionIndex")),
        "authn_context": None
        if statement is None
        else text_of(statement.find("saml:AuthnContext/saml:AuthnContextClassRef", NS)),
        "expected": {
            "audience": login.sp_entity_id,
            "recipient": login.acs_url,
            "in_response_to": login.request_id,
        },
    }
    return list(dict.fromkeys(problems)), facts


def window(
    where: str, start: str | None, end: str | None, now: dt.datetime, skew: dt.timedelta
) -> list[str]:
    """Problems of a NotBefore/NotOnOrAfter window against ``now``, allowing ``skew``."""
    problems: list[str] = []
    if start is not None:
        moment = parse_instant(start)
        if moment is None:
            problems.append(msg("saml.assertions.window.append", where=where, start=f"{start!r}"))
        elif moment > now + skew:  # not moment - skew: year 1 would overflow
            problems.append(msg("saml.assertions.window.append_2", where=where, start=start))
    if end is not None:
        moment = parse_instant(end)
        if moment is None:
            problems.append(msg("saml.assertions.window.append_3", where=where, end=f"{end!r}"))
        elif moment <= now - skew:
            problems.append(
                msg("saml.assertions.window.append_4", where=where, end=end, iso=iso(now))
            )
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
            problems.append(msg("saml.assertions.judge_attributes.append", extra=", ".join(extra)))
    for name, expected in expect.items():
        attribute = released.get(name)
        wanted_values = [expected] if isinstance(expected, str) else list(expected)
        if attribute is None:
            if name not in wanted:  # a required one is already reported missing
                problems.append(msg("saml.assertions.judge_attributes.append_2", name=name))
        elif sorted(attribute.values) != sorted(wanted_values):
            problems.append(
                msg(
                    "saml.assertions.judge_attributes.append_3",
                    name=name,
                    list=list(attribute.values),
                    wanted_values=wanted_values,
                )
            )
    profiles = released.get("ENTPersonProfils")
    if profiles is not None:
        odd = [v for v in profiles.values if v not in NATIONAL_PROFILES]
        if odd:
            problems.append(msg("saml.assertions.judge_attributes.append_4", odd=odd))
    for name in _UAI_ATTRIBUTES & set(released):
        problems += [
            msg("core.labelled", label=name, text=p)
            for v in released[name].values
            if (p := uai_issue(v))
        ]
    vector = released.get("FrEduVecteur")
    if vector is not None:
        for value in vector.values:
            match = _FREDU_VECTOR.match(value)
            if match is None:
                problems.append(
                    msg("saml.assertions.judge_attributes.append_5", value=f"{value!r}")
                )
            elif problem := uai_issue(match.group(5)):
                problems.append(msg("saml.assertions.judge_attributes.append_6", problem=problem))
    refs = released.get("FrEduCtRefId")
    if refs is not None:
        problems += [
            f"FrEduCtRefId {v!r} ne commence pas par {{AAF}}"
            for v in refs.values
            if not v.startswith("{AAF}")
        ]
    return problems


def uai_issue(value: str) -> str | None:
    """What is wrong with a UAI value (format, check letter), or ``None``."""
    match = _UAI.match(value)
    if match is None:
        return f"UAI {value!r} ne suit pas 7 chiffres + lettre"
    expected = _UAI_LETTERS[int(match.group(1)) % 23]
    if match.group(2) != expected:
        return f"UAI {value} : lettre de contrôle {match.group(2)} au lieu de {expected}"
    return None


def attributes_evidence(
    account: Account,
    released: Mapping[str, ReleasedAttribute],
    wanted: Sequence[str],
    problems: Sequence[str],
) -> Evidence:
    """The released attributes as evidence, personal values masked."""
    state = msg("saml.attributes.compliant") if not problems else clauses(problems)
    return Evidence(
        kind="saml_attributes",
        summary=msg(
            "saml.assertions.ev.attributes_evidence.evidence",
            login=account.login,
            profile=account.profile,
            state=state,
        ),
        data={
            "account": account.login,
            "profile": account.profile,
            "required": list(wanted),
            "missing": [name for name in wanted if name not in released],
            "problems": list(problems),
            "pseudonymised": sorted(
                a.name
                for a in released.values()
                if any(mask_value(v, a.name) != v for v in a.values)
            ),
            "attributes": [
                {
                    "name": a.name,
                    "name_format": a.name_format,
                    "values": [mask_value(v, a.name) for v in a.values],
                }
                for a in released.values()
            ],
        },
    )
