"""The reconciliation probe: an AAF feed against the annuaire it fed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from probes._ldap_reconcile import (
    COMPARED,
    RECONCILE_RULES,
    ReconcileReport,
    Reconciliation,
    Timeline,
    deletion_timeline,
)
from probes.ldap.connection import _access, _pseudonymisation_evidence
from probes.ldap.scan import (
    _read_directory,
    _rule_evidence,
    _rules_params,
    _scan_evidence,
    rule_title,
)
from sdet_check.aaf import feed as aaf
from sdet_check.messages import clauses, msg
from sdet_check.probe import (
    BadParams,
    Evidence,
    HostileResponse,
    NotTestable,
    Outcome,
    Probe,
    ProbeContext,
    ProbeError,
    ProbeTimeout,
    validated_params,
)

DELETION_RULES = ("LDAP-REC-002", "LDAP-REC-004")
"""Reconciliation rules about persons who should be gone: judged against a deletion delay."""


def _reconcile_params() -> Mapping[str, Any]:
    schema = dict(_rules_params(RECONCILE_RULES))
    schema["properties"] = {
        **schema["properties"],
        "grace_months": {
            "type": "integer",
            "minimum": 0,
            "maximum": 120,
            "description": "Deletion delay, in calendar months: the persons of LDAP-REC-002 "
            "and LDAP-REC-004 fail only once surely kept longer than this.",
        },
    }
    return schema


class LdapReconcile(Probe):
    """The annuaire against the AAF feed it is fed from (target sections ``ldap`` and ``aaf``).

    Reads the feed files of ``aaf.path`` (families ``EtabEducNat``, ``Eleve``,
    ``PersRelEleve``, ``PersEducNat``) with a small streaming reader, reads the directory
    like ``ldap.data_model``, and matches both by join key (see
    :mod:`probes._ldap_reconcile`: the folder may keep a history of exports; the current
    feed of a family is its latest ``Complet`` export and the deltas after it). Rules:
    ``LDAP-REC-001`` in the feed, not in the directory; ``LDAP-REC-002`` in the directory,
    not in the feed (only families of which the current feed is a full export; staff only
    when attached to a structure of the feed); ``LDAP-REC-003`` an attribute differs (names
    of personal attributes only, never their values); ``LDAP-REC-004`` deleted by the feed,
    still in the directory. The requirement is decided by ``rules``.

    With ``grace_months`` (the three months of the arrêté's article 6), the persons of
    ``LDAP-REC-002`` and ``LDAP-REC-004`` are dated by the exports' dates (file names, else
    the target's ``aaf.date``): a person fails only when surely kept past the delay (the
    first export without it is older than the delay); when the exports are too far apart
    to say, the probe cannot decide and asks for the exports in between. Structures are
    not judged then: the delay is about personal data.
    """

    kind = "ldap.reconcile"
    title = "L'annuaire concorde avec le flux AAF qui l'alimente"
    needs = ("ldap", "aaf")
    params_schema: ClassVar[Mapping[str, Any]] = _reconcile_params()

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Read the feed, read the directory, compare."""
        params = validated_params(self, params)
        rules: list[str] = params["rules"]
        kept: int = params.get("max_examples", 20)
        months: int | None = params.get("grace_months")
        access = _access(context, service_account=True)
        section = context.target.section("aaf")
        folder = context.target.path(str(section.get("path", "")))
        if not folder.is_dir():
            raise NotTestable(msg("ldap.ldap.ldap_reconcile.untestable", folder=folder))
        paths = aaf.feed_files(folder)
        if not paths:
            raise NotTestable(
                msg(
                    "ldap.ldap.ldap_reconcile.untestable_2",
                    families=", ".join(aaf.FAMILIES),
                    folder=folder,
                )
            )
        default_day = _declared_day(section.get("date"))
        files = aaf.import_order([aaf.describe(path, default_day) for path in paths])
        today = _paris_today()
        future = [file.path.name for file in files if file.day is not None and file.day > today]
        if future:
            raise ProbeError(msg("ldap.ldap.ldap_reconcile.error", future=", ".join(future[:5])))
        gaps = aaf.missing_chunks(files)
        if gaps and "LDAP-REC-002" in rules:
            raise ProbeError(msg("ldap.ldap.ldap_reconcile.error_2", gaps=" ; ".join(gaps[:5])))
        pseudo = access.pseudonymiser()
        reconciliation = Reconciliation(pseudo, files=files)
        wanted = frozenset(name for names in COMPARED.values() for name in names)
        try:
            for record in aaf.read_feed(
                [file.path for file in files],
                wanted,
                max_records=access.max_entries,
                deadline=context.deadline,
            ):
                reconciliation.feed(record)
        except aaf.FeedError as exc:
            raise HostileResponse(msg("ldap.ldap.ldap_reconcile.hostile", exc=exc)) from exc
        except aaf.FeedBoundReached as exc:
            if exc.timeout:
                raise ProbeTimeout(str(exc)) from exc
            raise ProbeError(msg("ldap.ldap.ldap_reconcile.error_3", exc=exc)) from exc
        stats, started = _read_directory(access, context, reconciliation.directory)
        report = reconciliation.finish()
        older = reconciliation.older_files()
        days = sorted({file.day for file in files if file.day is not None})
        evidence = [
            Evidence(
                kind="aaf_feed",
                summary=msg(
                    "ldap.ldap.ev.ldap_reconcile.evidence",
                    name=folder.name,
                    count=len(files),
                    value=msg(
                        "ldap.reconcile.feed_dates",
                        first=f"{days[0]:%d/%m/%Y}",
                        last=f"{days[-1]:%d/%m/%Y}",
                    )
                    if days
                    else "",
                    sum=sum(report.feed_records.values()),
                    families=", ".join(report.families),
                    value2=", ".join(report.complete_families) or msg("ldap.reconcile.no_family"),
                    value3=msg("ldap.reconcile.older_files", count=len(older)) if older else "",
                ),
                data={
                    "folder": str(folder),
                    "files": [
                        {
                            "name": file.path.name,
                            "date": file.day.isoformat() if file.day else None,
                            "complete": file.complete,
                            "current": file not in older,
                        }
                        for file in files
                    ],
                    "requests": report.feed_records,
                    "families": report.families,
                    "complete_families": report.complete_families,
                },
            ),
            _scan_evidence(access, stats, started, None),
        ]
        evidence.extend(_rule_evidence(report.findings[rule], kept) for rule in rules)
        evidence.append(_pseudonymisation_evidence(pseudo))
        summary = msg(
            "ldap.reconcile.summary",
            records=sum(report.feed_records.values()),
            entries=report.directory_entries,
        )
        if "LDAP-REC-002" in rules and not report.complete_families:
            raise NotTestable(msg("ldap.ldap.ldap_reconcile.untestable_3"))
        judged = [rule for rule in rules if rule in DELETION_RULES] if months is not None else []
        problems = [
            _listed(report, [rule]) for rule in rules if report.count(rule) and rule not in judged
        ]
        if months is not None and judged:
            timeline = deletion_timeline(report.absences, judged, today, months)
            evidence.append(_timeline_evidence(timeline, months))
            problems += [
                msg("ldap.reconcile.late", rule=rule, late=late, months=months)
                for rule in judged
                if (late := timeline.late.get(rule))
            ]
            if not problems and timeline.uncertain:
                due = (
                    msg("ldap.reconcile.due", day=f"{timeline.next_due:%d/%m/%Y}")
                    if timeline.next_due
                    else ""
                )
                raise ProbeError(
                    msg(
                        "ldap.ldap.ldap_reconcile.error_4",
                        sum=sum(timeline.uncertain.values()),
                        months=months,
                        due=due,
                        summary=summary,
                    ),
                    *evidence,
                )
        if problems:
            return Outcome.failed(
                msg(
                    "ldap.ldap.ldap_reconcile.fail", problems=" ; ".join(problems), summary=summary
                ),
                *evidence,
            )
        if waiting := sum(report.count(rule) for rule in judged):
            return Outcome.passed(
                msg(
                    "ldap.ldap.ldap_reconcile.pass",
                    listed=_listed(report, judged),
                    waiting=waiting,
                    months=months,
                    summary=summary,
                ),
                *evidence,
            )
        return Outcome.passed(
            msg("ldap.ldap.ldap_reconcile.pass_2", rules=", ".join(rules), summary=summary),
            *evidence,
        )


def _listed(report: ReconcileReport, rules: Sequence[str]) -> str:
    return clauses(
        f"{rule} ×{report.count(rule)} ({rule_title(rule, RECONCILE_RULES[rule])})"
        for rule in rules
    )


def _timeline_evidence(timeline: Timeline, months: int) -> Evidence:
    """How the persons the feed no longer carries stand against the deletion delay."""
    late, uncertain, within = (
        sum(counts.values()) for counts in (timeline.late, timeline.uncertain, timeline.within)
    )
    return Evidence(
        kind="deletion_delay",
        summary=msg(
            "ldap.ldap.ev.timeline_evidence.evidence",
            months=months,
            late=late,
            uncertain=uncertain,
            within=within,
            value=msg("ldap.reconcile.next_due", day=f"{timeline.next_due:%d/%m/%Y}")
            if timeline.next_due
            else "",
        ),
        data={
            "months": months,
            "late": timeline.late,
            "uncertain": timeline.uncertain,
            "within": timeline.within,
            "next_due": timeline.next_due.isoformat() if timeline.next_due else None,
        },
    )


def _declared_day(declared: Any) -> date | None:
    """The target's ``aaf.date`` (ISO): the date of the feed files whose names carry none."""
    if declared is None:
        return None
    try:
        return date.fromisoformat(str(declared))
    except ValueError as exc:
        raise BadParams(msg("ldap.ldap.declared_day.bad_params", declared=f"{declared!r}")) from exc


def _paris_today() -> date:
    """Today in France, where the feeds are dated (UTC when the time zone base is missing)."""
    try:
        return datetime.now(ZoneInfo("Europe/Paris")).date()
    except ZoneInfoNotFoundError:
        return datetime.now(UTC).date()
