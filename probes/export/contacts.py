"""``export.contacts``: address books exported as vCard 3.0 or 4.0, read with ``vobject``.

Each account's contacts file must decode as UTF-8 (RFC 6350 §3.1; vCard 3.0 files are
taken in UTF-8 too), parse as a series of ``VCARD`` objects, and each card must carry
``VERSION`` 3.0 or 4.0 and a non-empty ``FN`` (RFC 6350 §6.2.1; RFC 2426 §3.1.1), plus ``N``
in vCard 3.0 (RFC 2426 §3.1.2). The formatted names are then compared with the account's
known contacts and with the other accounts' (completeness, no leak).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import vobject
import vobject.base

from probes.export.common import (
    ExportSection,
    Findings,
    accounts_for,
    check_completeness,
    export_section,
    logins,
    service_offered,
)
from probes.export.download import fetched
from sdet_check.messages import msg
from sdet_check.probe import Outcome, Probe, ProbeContext, validated_params

VERSIONS = ("3.0", "4.0")
"""vCard versions accepted."""


def vcard_findings(data: bytes, file: Path, findings: Findings) -> list[str]:
    """Judge one vCard file; return the formatted names (``FN``) of its cards."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        findings.problem(
            file, f"ligne {line}", "RFC6350 §3.1", msg("export.contacts.vcard_findings.problem")
        )
        return []
    names: list[str] = []
    rank = 0
    try:
        for card in vobject.readComponents(text, validate=False, ignoreUnreadable=False):
            rank += 1
            place = f"VCARD n° {rank}"
            if card.name != "VCARD":
                findings.problem(
                    file,
                    place,
                    "RFC6350 §6.1.1",
                    msg("export.contacts.vcard_findings.problem_2", name=card.name),
                )
                continue
            version = _value(card, "version")
            if version not in VERSIONS:
                findings.problem(
                    file,
                    place,
                    "RFC6350 §6.7.9",
                    msg("export.contacts.vcard_findings.problem_3", version=f"{version!r}"),
                )
            name = _value(card, "fn")
            if not name.strip():
                findings.problem(
                    file, place, "RFC6350 §6.2.1", msg("export.contacts.vcard_findings.problem_4")
                )
            else:
                names.append(name)
            if version == "3.0" and "n" not in card.contents:
                findings.problem(
                    file, place, "RFC2426 §3.1.2", msg("export.contacts.vcard_findings.problem_5")
                )
    except vobject.base.ParseError:
        # Neither the message (it quotes the line, often a person's name) nor vobject's line
        # number (it counts lines its own way): the card's rank names the place.
        findings.problem(
            file,
            f"VCARD n° {rank + 1}",
            "RFC6350 §3.3",
            msg("export.contacts.vcard_findings.problem_6"),
        )
        return names
    if rank == 0:
        findings.problem(
            file, "document", "RFC6350 §6.1.1", msg("export.contacts.vcard_findings.problem_7")
        )
    findings.observe(
        msg("export.contacts.vcard_findings.observe", name=file.name, rank=rank),
        file=file.name,
        cards=rank,
    )
    return names


def _value(card: Any, name: str) -> str:
    entries = card.contents.get(name, [])
    if not entries:
        return ""
    value = entries[0].value
    return value if isinstance(value, str) else str(value)


class ContactsExport(Probe):
    """Every account's contacts export is valid vCard and holds exactly its own contacts."""

    kind: ClassVar[str] = "export.contacts"
    title: ClassVar[str] = "Export des contacts au format vCard 3.0/4.0, complet et sans fuite"
    needs: ClassVar[tuple[str, ...]] = ("export",)

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Judge each account's contacts file; see the module docstring."""
        validated_params(self, params)
        section = export_section(context)
        if not service_offered(section, "contacts"):
            return Outcome.not_applicable(msg("export.contacts.contacts_export.na"))
        accounts = accounts_for(section, "contacts", "contacts")
        findings = Findings()
        with fetched(section, context, ("contacts",), findings.evidence) as live:
            for account in live.with_kind("contacts"):
                judge_contacts(live, account.login, findings)
        return findings.outcome(
            msg("export.contacts.contacts_export.outcome", logins=logins(accounts)),
            msg("export.contacts.contacts_export.outcome_2"),
        )


def judge_contacts(section: ExportSection, login: str, findings: Findings) -> None:
    """Judge the contacts export of the account ``login`` into ``findings``."""
    account = next(account for account in section.accounts if account.login == login)
    file = account.files["contacts"]
    names = vcard_findings(findings.read(file, "export de contacts"), file, findings)
    check_completeness(findings, section, account, "contacts", names, file)
