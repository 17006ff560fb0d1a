"""The demo's connected ENT: the CAS server authenticates the accounts of the annuaire.

The reference annuaire (:mod:`sdet_check.demo.ldap`) is loaded from the reference AAF
population; three of its persons (a pupil, a guardian, a teacher) get a password. The CAS
server (:mod:`sdet_check.demo.cas`) finds them in the annuaire, binds as them to check the
password, and releases their directory attributes to services. So the accounts the ``cas``
probes log in with are the very entries the ``ldap`` probes audit and reconcile with the feed.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence

from sdet_check.demo.annuaire import AafRecord
from sdet_check.demo.cas import ATTRIBUTES, DemoAccount, DirectoryLink, demo_account
from sdet_check.demo.ldap import (
    AUDIT_DN,
    PEOPLE_DN,
    SlapdServer,
    profiles_of,
    to_entry,
    with_logins,
)

LOGINS = ("2001", "3001", "4001")
"""AAF identifiers of the reference population that log in: a pupil, a guardian, a teacher."""


def login_passwords() -> dict[str, str]:
    """A fresh random password for each person of :data:`LOGINS`, by AAF identifier."""
    return {identifier: secrets.token_urlsafe(12) for identifier in LOGINS}


def directory_accounts(
    records: Sequence[AafRecord], passwords: Mapping[str, str]
) -> tuple[DemoAccount, ...]:
    """The demo accounts of the persons of ``passwords``, as the annuaire holds them."""
    by_id = {record.identifier: record for record in with_logins(records, passwords)}
    accounts = []
    for identifier in passwords:
        record = by_id[identifier]
        _dn, entry = to_entry(record)
        attributes: dict[str, str | list[str]] = {
            name: entry[name][0] if len(entry[name]) == 1 else list(entry[name])
            for name in ATTRIBUTES
            if entry.get(name)
        }
        profile = _profile_name(profiles_of(record))
        accounts.append(demo_account(profile, entry["uid"][0], attributes))
    return tuple(accounts)


def directory_link(
    annuaire: SlapdServer, records: Sequence[AafRecord], passwords: Mapping[str, str]
) -> DirectoryLink:
    """How a CAS server reaches the started ``annuaire`` and whom it authenticates there."""
    if annuaire.ldaps_url is None or annuaire.ca_file is None:
        raise ValueError("the CAS server needs the annuaire's ldaps:// listener")
    accounts = directory_accounts(records, passwords)
    if len({account.password_env for account in accounts}) < len(accounts):
        raise ValueError("one login per account profile: their passwords share a variable name")
    return DirectoryLink(
        url=annuaire.ldaps_url,
        ca_file=annuaire.ca_file.resolve(),
        people_dn=PEOPLE_DN,
        bind_dn=AUDIT_DN,
        bind_password=annuaire.audit_password,
        accounts=accounts,
        passwords={
            account.password_env: passwords[identifier]
            for identifier, account in zip(passwords, accounts, strict=True)
        },
    )


def _profile_name(profiles: Sequence[str]) -> str:
    """The target's account profile for national profile codes (first one known)."""
    names = {"National_ELV": "eleve", "National_TUT": "parent", "National_ENS": "enseignant"}
    return next((names[code] for code in profiles if code in names), "personnel")
