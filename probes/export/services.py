"""``export.services``: every service holding users' data gives each account its export.

The export half of INT-IMPEX-001, observed read-only: for each service the target lists in
``export.services`` (``agenda``, ``contacts``, ``listes``, ``documents``; every service of
which some account hands in an export when the list is absent), every account of the
``export`` section has an export file, not empty, that a standard reader opens as its
format (iCalendar with ``icalendar``, vCard with ``vobject``, CSV with ``frictionless``,
ZIP with ``zipfile``) — that is what another solution needs to import it. The fine rules
of each format are EXP-FMT-001 to -003 and EXP-ARCH-001; the ENT's own import is not
exercised (the probes never write to the target), the evidence says so.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import icalendar
import vobject
import vobject.base
from frictionless.resources import TableResource

from probes.export.common import (
    KINDS,
    SERVICES,
    ExportSection,
    Findings,
    export_section,
    read_bounded,
)
from probes.export.download import fetched
from sdet_check.messages import msg
from sdet_check.probe import NotTestable, Outcome, Probe, ProbeContext, validated_params


def opens_as(kind: str, path: Path) -> str | None:
    """Why a standard reader cannot open ``path`` as ``kind``, or ``None`` when it can."""
    if kind == "archive":
        try:
            with zipfile.ZipFile(path) as archive:
                return None if archive.namelist() else "archive vide"
        except (zipfile.BadZipFile, OSError) as exc:
            return f"pas une archive ZIP ({exc})"
    data = read_bounded(path, f"export {kind}")
    if not data.strip():
        return "fichier vide"
    text = data.decode("utf-8", errors="replace")
    try:
        if kind == "calendar":
            icalendar.Calendar.from_ical(text)
        elif kind == "contacts":
            next(iter(vobject.readComponents(text, validate=False)))
        else:
            table = TableResource(path=path.name, basepath=str(path.parent), format="csv")
            rows = table.read_cells()
            if not rows:
                return "table vide"
    except (ValueError, StopIteration, vobject.base.ParseError) as exc:
        return f"illisible ({str(exc)[:120]})"
    except Exception as exc:  # frictionless raises its own family of errors
        return f"illisible ({type(exc).__name__})"
    return None


class ServiceExports(Probe):
    """Every data service gives every account an export a standard reader opens."""

    kind: ClassVar[str] = "export.services"
    title: ClassVar[str] = "Chaque service de données exporte les données de chaque compte"
    needs: ClassVar[tuple[str, ...]] = ("export",)

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Check the export of every service for every account; see the module docstring."""
        validated_params(self, params)
        section = export_section(context)
        if not section.accounts:
            raise NotTestable(msg("export.services.service_exports.untestable"))
        services = section.services or tuple(
            service
            for service, kind in SERVICES.items()
            if any(kind in account.files for account in section.accounts)
        )
        findings = Findings()
        with fetched(section, context, KINDS, findings.evidence) as live:
            judge_services(live, services, findings)
        findings.observe(
            msg("export.services.service_exports.observe"),
            services=list(services),
            accounts=[account.login for account in section.accounts],
        )
        return findings.outcome(
            msg("export.services.service_exports.outcome", services=", ".join(services)),
            msg("export.services.service_exports.outcome_2"),
        )


def judge_services(section: ExportSection, services: tuple[str, ...], findings: Findings) -> None:
    """Every account has a readable export of every service, into ``findings``."""
    for service in services:
        kind = SERVICES[service]
        for account in section.accounts:
            file = account.files.get(kind)
            if file is None:
                findings.problem(
                    f"compte {account.login}",
                    service,
                    "INT-IMPEX-001",
                    msg("export.services.judge_services.problem"),
                )
            elif not file.is_file():
                findings.problem(
                    file, service, "INT-IMPEX-001", msg("export.services.judge_services.problem_2")
                )
            elif problem := opens_as(kind, file):
                findings.problem(file, service, "INT-IMPEX-001", problem)
