"""What every ``export`` probe shares: the target's ``export`` section, bounded reads, findings.

The target names the exports an editor hands in (or that were downloaded beforehand), per
test account, and the few items each account is known to hold (an event title, a contact,
a row value, a document name). :func:`export_section` reads that section; :func:`read_bounded`
reads one file with a size bound; :class:`Findings` gathers the non-conformities of one
check, each naming the file, the entry or line and the rule, and turns them into an
:class:`~sdet_check.probe.Outcome`.

Completeness is judged both ways: the account's own known items must be in its export, and
the known items of the *other* accounts must not (an export must not leak other users'
data). Known items are cited by their place in the target file (``known.contacts[1]``),
never by value: they are often people's names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any

from sdet_check.evidence import note
from sdet_check.messages import clauses, msg
from sdet_check.probe import Evidence, HostileResponse, NotTestable, Outcome, ProbeContext

KINDS = ("calendar", "contacts", "table", "archive")
"""Export kinds an account entry may name, one file each."""

SERVICES: Mapping[str, str] = {
    "agenda": "calendar",
    "contacts": "contacts",
    "listes": "table",
    "documents": "archive",
}
"""Services holding users' data (target ``export.services``) → the export kind that carries them."""

KNOWN_KEYS: Mapping[str, str] = {
    "calendar": "events",
    "contacts": "contacts",
    "table": "rows",
    "archive": "documents",
}
"""Export kind → the list of ``known`` items it must hold."""

MAX_FILE_BYTES = 50 * 1024 * 1024
"""Largest single export file (calendar, contacts, table) read; archives have their own bounds."""

MAX_FINDINGS = 20
"""Most non-conformities kept in evidence per check (the count is always given)."""


@dataclass(frozen=True)
class AccountExports:
    """The exports of one test account: its files by kind and its known items by list."""

    login: str
    files: Mapping[str, Path]
    known: Mapping[str, tuple[str, ...]]
    table_schema: Path | None = None


@dataclass(frozen=True)
class ExportSection:
    """The target's ``export`` section, paths resolved."""

    folder: Path
    accounts: tuple[AccountExports, ...]
    services: tuple[str, ...] | None
    gar: Mapping[str, Any] = field(default_factory=dict)

    def with_kind(self, kind: str) -> list[AccountExports]:
        """The accounts that hand in an export of ``kind``."""
        return [account for account in self.accounts if kind in account.files]

    def foreign_items(self, account: AccountExports, kind: str) -> list[tuple[str, str, str]]:
        """Known items of the other accounts for ``kind``: (their login, place, value).

        An item the account itself is known to hold too (a shared event) is left out.
        """
        key = KNOWN_KEYS[kind]
        own = set(account.known.get(key, ()))
        items = []
        for other in self.accounts:
            if other.login == account.login:
                continue
            for index, value in enumerate(other.known.get(key, ())):
                if value not in own:
                    items.append((other.login, f"known.{key}[{index}]", value))
        return items


def export_section(context: ProbeContext) -> ExportSection:
    """Read the target's ``export`` section; :class:`NotTestable` when it names no export."""
    raw = context.target.section("export")
    folder = context.target.path(str(raw.get("path", ".")))
    local = [
        value
        for entry in raw.get("accounts", ())
        for kind, value in entry.items()
        if kind in (*KINDS, "table_schema") and not str(value).startswith(("http://", "https://"))
    ]
    if local and not folder.is_dir():
        raise NotTestable(msg("export.common.export_section.untestable", folder=folder))
    accounts = []
    for entry in raw.get("accounts", ()):
        files = {kind: folder / str(entry[kind]) for kind in KINDS if entry.get(kind)}
        schema = entry.get("table_schema")
        known = {
            str(key): tuple(str(item) for item in values)
            for key, values in dict(entry.get("known", {})).items()
        }
        accounts.append(
            AccountExports(
                login=str(entry["login"]),
                files=files,
                known=known,
                table_schema=folder / str(schema) if schema else None,
            )
        )
    services = raw.get("services")
    return ExportSection(
        folder=folder,
        accounts=tuple(accounts),
        services=tuple(services) if services is not None else None,
        gar=dict(raw.get("gar", {})),
    )


def accounts_for(section: ExportSection, kind: str, service: str) -> list[AccountExports]:
    """The accounts with an export of ``kind``; :class:`NotTestable` when there is none."""
    accounts = section.with_kind(kind)
    if not accounts:
        raise NotTestable(msg("export.common.accounts_for.untestable", service=service, kind=kind))
    return accounts


def service_offered(section: ExportSection, service: str) -> bool:
    """False when the target lists its services and ``service`` is not one of them."""
    return section.services is None or service in section.services


def read_bounded(path: Path, what: str, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of ``path``; :class:`HostileResponse` beyond ``max_bytes``.

    A missing file is a :class:`NotTestable`: the target names a file the editor has not
    handed in.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise NotTestable(
            msg(
                "export.common.read_bounded.untestable", what=what, path=path, strerror=exc.strerror
            )
        ) from exc
    if size > max_bytes:
        raise HostileResponse(
            msg(
                "export.common.read_bounded.hostile",
                what=what,
                name=path.name,
                size=size,
                max_bytes=max_bytes,
            )
        )
    with path.open("rb") as handle:
        return handle.read(max_bytes + 1)


@dataclass
class Findings:
    """The non-conformities of one check and what was observed, in order."""

    evidence: list[Evidence] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def observe(self, summary: str, **data: object) -> None:
        """Record an observation (no judgement)."""
        self.evidence.append(note(summary, **data))

    def problem(self, file: Path | str, place: str, rule: str, text: str) -> None:
        """Record one non-conformity: the file, the entry or line, the rule broken."""
        name = file.name if isinstance(file, Path) else file
        self.problems.append(
            msg("export.common.findings.append", name=name, place=place, text=text)
        )
        if len(self.problems) <= MAX_FINDINGS:
            self.evidence.append(
                Evidence(
                    kind="export_finding",
                    summary=msg(
                        "export.common.ev.findings.evidence", name=name, place=place, text=text
                    ),
                    data={"file": name, "place": place, "rule": rule},
                )
            )

    def read(self, path: Path, what: str, max_bytes: int = MAX_FILE_BYTES) -> bytes:
        """Read ``path`` with :func:`read_bounded`, recording its size and SHA-256."""
        data = read_bounded(path, what, max_bytes)
        self.evidence.append(
            Evidence(
                kind="file",
                summary=msg(
                    "export.common.ev.findings.evidence_2",
                    what=what,
                    name=path.name,
                    count=len(data),
                ),
                data={"file": path.name, "bytes": len(data), "sha256": sha256(data).hexdigest()},
            )
        )
        return data

    def outcome(self, success: str, failure: str) -> Outcome:
        """Pass with ``success`` when nothing was found, else fail naming the first findings."""
        if not self.problems:
            return Outcome.passed(success, *self.evidence)
        shown = clauses(self.problems[:3])
        more = msg("export.more", count=len(self.problems) - 3) if len(self.problems) > 3 else ""
        return Outcome.failed(
            msg("export.common.findings.fail", failure=failure, shown=shown, more=more),
            *self.evidence,
        )


def check_completeness(
    findings: Findings,
    section: ExportSection,
    account: AccountExports,
    kind: str,
    present: Iterable[str],
    file: Path,
) -> None:
    """Known items of the account must be in ``present``; other accounts' items must not."""
    values = set(present)
    key = KNOWN_KEYS[kind]
    for index, item in enumerate(account.known.get(key, ())):
        if not _found(item, values):
            findings.problem(
                file,
                f"known.{key}[{index}] du compte {account.login}",
                "EXP-COMPLETE",
                msg("export.common.check_completeness.problem"),
            )
    for login, place, item in section.foreign_items(account, kind):
        if _found(item, values):
            findings.problem(
                file,
                f"{place} du compte {login}",
                "EXP-LEAK",
                msg("export.common.check_completeness.problem_2", login=account.login),
            )


def _found(item: str, values: set[str]) -> bool:
    folded = item.casefold().strip()
    return any(folded == value.casefold().strip() for value in values)


def logins(accounts: Sequence[AccountExports]) -> str:
    """The accounts' logins, for messages."""
    return ", ".join(account.login for account in accounts)
