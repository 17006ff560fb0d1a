"""The SDET attributes a CAS server releases to services, per profile (spec §2.8, SDET AAS)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from probes.cas.answers import CasAnswer, validate
from probes.cas.common import (
    MASKED,
    PERSONAL_ATTRIBUTES,
    PROFILE_CODES,
    PROFILES_PARAM,
    Browser,
    CasProbe,
    CasSection,
    NotOffered,
    Recorder,
    is_valid_uai,
    login_accounts,
    who,
)
from probes.cas.flow import log_in, sso_ticket
from sdet_check.messages import msg
from sdet_check.probe import BadParams, Outcome
from sdet_check.sdet_model import NATIONAL_PROFILES
from sdet_check.target import Account


class Attributes(CasProbe):
    """The SDET attributes are released for each profile, with valid values.

    For each test account (``profiles`` restricts them), a ticket is validated at
    ``p3/serviceValidate`` (``serviceValidate`` when ``p3`` is not offered, unless
    ``endpoint`` forces one). Each entry of ``required`` is an attribute name, or a list of
    equivalent names of which one must be present. ``formats`` checks every value of an
    attribute: ``national_profile`` (``National_ELV|TUT|ENS|DIR|EVS|ETA|ACA|DOC|COL`` and the
    code of the account's profile among the values), ``uai`` (7 digits and the check letter).
    Values the target expects (``accounts[].expect``) are compared for the attributes in
    ``required`` and ``formats`` (``expect: all`` compares every expected value, ``none``
    none). Values of personal attributes are masked in evidence.
    """

    kind = "cas.attributes"
    title = "Attributs SDET transmis aux services pour chaque profil"
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "required": {
                "type": "array",
                "items": {
                    "oneOf": [
                        {"type": "string", "minLength": 1},
                        {
                            "type": "array",
                            "items": {"type": "string", "minLength": 1},
                            "minItems": 1,
                        },
                    ]
                },
                "default": [],
                "description": "Attributes to release; a list gives equivalent names.",
            },
            "formats": {
                "type": "object",
                "additionalProperties": {"enum": ["national_profile", "uai"]},
                "default": {},
                "description": "Value format checked for each named attribute.",
            },
            "profiles": {
                **PROFILES_PARAM,
                "description": "Account profiles checked (default: every account).",
            },
            "endpoint": {
                "enum": ["serviceValidate", "p3/serviceValidate"],
                "description": "Force one validation endpoint (default: p3, else CAS 2.0).",
            },
            "expect": {
                "enum": ["checked", "all", "none"],
                "default": "checked",
                "description": "Which accounts[].expect values are compared.",
            },
        },
    }

    def decide(self, params: Mapping[str, Any], cas: CasSection, recorder: Recorder) -> Outcome:
        """Validate a ticket per account and check the released attributes."""
        required = [_alternatives(entry) for entry in params.get("required", [])]
        formats: Mapping[str, str] = params.get("formats", {})
        if not required and not formats:
            raise BadParams(msg("cas.attributes.attributes.bad_params", kind=self.kind))
        compare: str = params.get("expect", "checked")
        accounts = login_accounts(recorder.context, params.get("profiles"))
        checked_names = {name for names in required for name in names} | set(formats)
        summaries: list[str] = []
        endpoint = params.get("endpoint")
        for account in accounts:
            browser = recorder.browser()
            login = log_in(browser, cas, account, cas.service)
            answer, endpoint = _validate_with_attributes(
                browser, recorder, cas, login.ticket, endpoint
            )
            name = who(account)
            if not answer.succeeded:
                recorder.problem(
                    msg("cas.attributes.attributes.problem", name=name, describe=answer.describe())
                )
                continue
            recorder.add(
                answer.evidence(msg("cas.attributes.received", name=name, endpoint=endpoint))
            )
            for problem in _account_problems(
                account, answer.attributes, required, formats, compare, checked_names
            ):
                recorder.problem(
                    msg("cas.attributes.attributes.problem_2", name=name, problem=problem)
                )
            summaries.append(name)
        wanted = [_either(names) for names in required] or "—"
        checks = ", ".join(f"{name} ({kind})" for name, kind in formats.items()) or "—"
        return recorder.verdict(
            msg("cas.attributes.attributes.verdict"),
            msg(
                "cas.attributes.attributes.verdict_2",
                summaries=", ".join(summaries),
                wanted=wanted,
                checks=checks,
            ),
        )


def _account_problems(
    account: Account,
    found: Mapping[str, list[str]],
    required: list[list[str]],
    formats: Mapping[str, str],
    compare: str,
    checked_names: set[str],
) -> list[str]:
    problems: list[str] = [
        msg("cas.attributes.absent", names=_either(names))
        for names in required
        if not any(found.get(name) for name in names)
    ]
    for name, kind in formats.items():
        group = next((names for names in required if name in names), None)
        if not found.get(name) and group is not None:
            continue  # absent: reported by required, or an equivalent is present
        problems += _format_problems(name, kind, found, account)
    return problems + _expect_problems(account, found, compare, checked_names)


def _validate_with_attributes(
    browser: Browser, recorder: Recorder, cas: CasSection, ticket: str, endpoint: str | None
) -> tuple[CasAnswer, str]:
    """Validate at ``endpoint``, or at ``p3/serviceValidate`` falling back to CAS 2.0."""
    if endpoint is not None:
        return validate(recorder, cas, endpoint, cas.service, ticket), endpoint
    try:
        answer = validate(recorder, cas, "p3/serviceValidate", cas.service, ticket)
    except NotOffered as exc:
        recorder.note(msg("cas.attributes.ev.validate_with_attributes.note", exc=exc))
    else:
        return answer, "p3/serviceValidate"
    # The ticket was presented once already; a conformant server has invalidated it.
    fresh = sso_ticket(browser, cas, cas.service)
    return validate(recorder, cas, "serviceValidate", cas.service, fresh), "serviceValidate"


def _either(names: Sequence[str]) -> str:
    """``a``, or ``a ou b`` (``a or b`` in English)."""
    if len(names) == 1:
        return names[0]
    return msg("cas.attributes.either", names=", ".join(names[:-1]), last=names[-1])


def _alternatives(entry: str | Sequence[str]) -> list[str]:
    return [entry] if isinstance(entry, str) else list(entry)


def _format_problems(
    name: str, kind: str, found: Mapping[str, list[str]], account: Account
) -> list[str]:
    values = found.get(name, [])
    if not values:
        return [msg("cas.attributes.absent_unchecked", name=name, kind=kind)]
    if kind == "uai":
        bad = [v for v in values if not is_valid_uai(v)]
        return [msg("cas.attributes.bad_uai", name=name, value=repr(v)) for v in bad]
    problems: list[str] = [
        msg("cas.attributes.bad_profile", name=name, value=repr(v))
        for v in values
        if v not in NATIONAL_PROFILES
    ]
    code = PROFILE_CODES.get(account.profile)
    if code is not None and code not in values:
        problems.append(
            msg(
                "cas.attributes.format_problems.append",
                name=name,
                code=code,
                profile=account.profile,
            )
        )
    return problems


def _expect_problems(
    account: Account, found: Mapping[str, list[str]], compare: str, checked: set[str]
) -> list[str]:
    if compare == "none":
        return []
    problems: list[str] = []
    for name, expected in account.expect.items():
        if compare == "checked" and name not in checked:
            continue
        wanted = {expected.strip()} if isinstance(expected, str) else {v.strip() for v in expected}
        got = set(found.get(name, []))
        if not got:
            if name not in checked:  # a checked attribute's absence is already reported
                problems.append(msg("cas.attributes.expect_problems.append", name=name))
            continue
        if got != wanted:
            shown = MASKED if name.casefold() in PERSONAL_ATTRIBUTES else sorted(got)
            expected_shown = MASKED if name.casefold() in PERSONAL_ATTRIBUTES else sorted(wanted)
            problems.append(
                msg(
                    "cas.attributes.expect_problems.append_2",
                    name=name,
                    shown=shown,
                    expected_shown=expected_shown,
                )
            )
    return problems
