"""``export.calendar``: calendars exported as iCalendar (RFC 5545), read with ``icalendar``.

Each account's calendar file must decode as UTF-8 (RFC 5545 §3.1.4: the default charset),
parse as one ``VCALENDAR`` with ``VERSION:2.0`` and ``PRODID`` (§3.6), and every ``VEVENT``
must carry ``UID``, ``DTSTAMP`` and ``DTSTART`` (§3.6.1) with values that parse. The event
titles (``SUMMARY``) are then compared with the account's known events and with the other
accounts' (completeness, no leak).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import icalendar

from probes.export.common import (
    AccountExports,
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

EVENT_REQUIRED = ("UID", "DTSTAMP", "DTSTART")
"""Properties every ``VEVENT`` of an export must carry (RFC 5545 §3.6.1; DTSTART because the
calendar has no METHOD)."""


def calendar_findings(
    data: bytes, file: Path, findings: Findings, *, rule: str = "RFC5545"
) -> list[str]:
    """Judge one iCalendar document; return the ``SUMMARY`` of its events.

    Problems go into ``findings``, each naming the event (its rank and UID) and the section
    of RFC 5545 it breaks.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        findings.problem(
            file,
            f"ligne {line}",
            f"{rule} §3.1.4",
            msg("export.calendar.calendar_findings.problem"),
        )
        return []
    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except ValueError as exc:
        findings.problem(
            file,
            "document",
            f"{rule} §3.4",
            msg("export.calendar.calendar_findings.problem_2", detail=str(exc)[:160]),
        )
        return []
    if len(calendars) != 1 or calendars[0].name != "VCALENDAR":
        findings.problem(
            file, "document", f"{rule} §3.4", msg("export.calendar.calendar_findings.problem_3")
        )
        return []
    calendar = calendars[0]
    if str(calendar.get("VERSION", "")) != "2.0":
        findings.problem(
            file, "VCALENDAR", f"{rule} §3.7.4", msg("export.calendar.calendar_findings.problem_4")
        )
    if not str(calendar.get("PRODID", "")).strip():
        findings.problem(
            file, "VCALENDAR", f"{rule} §3.7.3", msg("export.calendar.calendar_findings.problem_5")
        )
    summaries = []
    for rank, event in enumerate(calendar.walk("VEVENT"), start=1):
        uid = str(event.get("UID", "")).strip()
        place = f"VEVENT n° {rank}" + (f" (UID {uid[:60]})" if uid else "")
        for name in EVENT_REQUIRED:
            if not str(event.get(name, "")).strip():
                findings.problem(
                    file,
                    place,
                    f"{rule} §3.6.1",
                    msg("export.calendar.calendar_findings.problem_6", name=name),
                )
        for property_name, error in event.errors:
            findings.problem(
                file,
                place,
                f"{rule} §3.3",
                msg(
                    "export.calendar.calendar_findings.problem_7",
                    property_name=property_name,
                    detail=str(error)[:120],
                ),
            )
        summary = event.get("SUMMARY")
        if summary is not None:
            summaries.append(str(summary))
    findings.observe(
        msg("export.calendar.calendar_findings.observe", name=file.name, count=len(summaries)),
        file=file.name,
        events=len(list(calendar.walk("VEVENT"))),
    )
    return summaries


class CalendarExport(Probe):
    """Every account's calendar export is valid iCalendar and holds exactly its own events."""

    kind: ClassVar[str] = "export.calendar"
    title: ClassVar[str] = "Agendas exportés en iCalendar (RFC 5545), complets et sans fuite"
    needs: ClassVar[tuple[str, ...]] = ("export",)

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Judge each account's calendar file; see the module docstring."""
        validated_params(self, params)
        section = export_section(context)
        if not service_offered(section, "agenda"):
            return Outcome.not_applicable(msg("export.calendar.calendar_export.na"))
        accounts = accounts_for(section, "calendar", "agenda")
        findings = Findings()
        with fetched(section, context, ("calendar",), findings.evidence) as live:
            for account in live.with_kind("calendar"):
                judge_calendar(live, account, findings)
        return findings.outcome(
            msg("export.calendar.calendar_export.outcome", logins=logins(accounts)),
            msg("export.calendar.calendar_export.outcome_2"),
        )


def judge_calendar(section: ExportSection, account: AccountExports, findings: Findings) -> None:
    """Judge one account's calendar export into ``findings``."""
    file = account.files["calendar"]
    summaries = calendar_findings(findings.read(file, "export d'agenda"), file, findings)
    check_completeness(findings, section, account, "calendar", summaries, file)
