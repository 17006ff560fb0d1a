"""The ``export`` probe family: réversibilité, the data an ENT lets its users take away.

Exports are read from files the target names (``export`` section: per test account, the
calendar, contacts, table and archive files an editor hands in, and the items each account
is known to hold) and judged with libraries made for each format, never hand-written
parsers: ``icalendar`` (RFC 5545), ``vobject`` (vCard 3.0/4.0), ``frictionless`` (CSV and
Table Schema), ``zipfile`` with bounded streaming (archives are hostile input), lxml's XSD
validation for the GAR files. One module per concern: :mod:`~probes.export.common` (the
section, bounded reads, findings, completeness), :mod:`~probes.export.calendar`,
:mod:`~probes.export.contacts`, :mod:`~probes.export.tables`, :mod:`~probes.export.archive`,
:mod:`~probes.export.services` (every service exports every account), :mod:`~probes.export.gar`
(the five GAR-ENT files against an XSD and the AAF feed).

Every finding names the file, the entry or line and the rule; known items and persons are
cited by their place, never by value (they are names of people).
"""

from __future__ import annotations

from probes.export.archive import ArchiveBounds, ArchiveExport, archive_findings, unsafe_name
from probes.export.calendar import CalendarExport, calendar_findings
from probes.export.common import Findings
from probes.export.contacts import ContactsExport, vcard_findings
from probes.export.gar import GarFilesProbe, own_schema
from probes.export.services import ServiceExports
from probes.export.tables import TableExport, table_findings
from sdet_check.probe import Probe

PROBES: tuple[type[Probe], ...] = (
    CalendarExport,
    ContactsExport,
    TableExport,
    ArchiveExport,
    ServiceExports,
    GarFilesProbe,
)
"""The ``export`` family, registered through the ``sdet_check.probes`` entry point."""

__all__ = [
    "PROBES",
    "ArchiveBounds",
    "ArchiveExport",
    "CalendarExport",
    "ContactsExport",
    "Findings",
    "GarFilesProbe",
    "ServiceExports",
    "TableExport",
    "archive_findings",
    "calendar_findings",
    "own_schema",
    "table_findings",
    "unsafe_name",
    "vcard_findings",
]
