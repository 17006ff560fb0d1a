"""A tiny streaming reader of AAF feed files (``ficAlimMENESR``), for the reconciliation probe.

It reads only what :class:`probes.ldap.LdapReconcile` compares: for each ``addRequest``,
``modifyRequest`` and ``deleteRequest`` of the structure and person families, the identifier
and a chosen set of attributes. Files are read element by element (``iterparse``), each
request cleared once read, so memory stays flat whatever the feed's size. The full AAF
validator lives elsewhere; this reader checks nothing about the format beyond what it needs.

AAF files are hostile input: the external DTD they name is never loaded, entities are never
expanded (a file declaring one is refused), nothing is fetched from the network, text nodes
are bounded (no huge-tree mode), and the number of requests read is bounded by the caller.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from lxml import etree

FAMILIES = {
    "EtabEducNat": "structure",
    "Eleve": "pupil",
    "PersRelEleve": "relative",
    "PersEducNat": "person",
}
"""AAF file families read, and the kind of directory entry each describes."""

FILE_NAME = re.compile(r"_(EtabEducNat|Eleve|PersRelEleve|PersEducNat)_[0-9]{4}\.xml$")
"""AAF file names of those families (``…_Eleve_0000.xml``)."""

EXPORT_NAME = re.compile(r"_(Complet|Delta)_([0-9]{8})_")
"""Kind and date of an export in a file name (``ENT_Complet_20250901_Eleve_0000.xml``)."""

_OPERATIONS = {"addRequest": "add", "modifyRequest": "modify", "deleteRequest": "delete"}
_HEAD_BYTES = 8192


class FeedError(Exception):
    """A feed file cannot be read safely; the message names the file and the reason."""


class FeedBoundReached(Exception):
    """The feed holds more requests than the caller accepts, or its deadline passed."""

    def __init__(self, message: str, *, timeout: bool) -> None:
        super().__init__(message)
        self.timeout = timeout
        """The deadline passed (else: too many requests)."""


@dataclass(frozen=True)
class FeedRecord:
    """One request of the feed, reduced to what a reconciliation compares."""

    family: str
    operation: str
    """``add``, ``modify`` or ``delete``."""
    identifier: str
    attributes: dict[str, list[str]]
    """Wanted attributes present in the request (names as in the file), empty values dropped."""

    @property
    def kind(self) -> str:
        """The kind of directory entry the record describes (``pupil``, ``structure``…)."""
        return FAMILIES[self.family]


def feed_files(folder: Path) -> list[Path]:
    """The AAF files of the families read, in name order (the order an import uses)."""
    return sorted(path for path in folder.iterdir() if FILE_NAME.search(path.name))


def is_delta(path: Path) -> bool:
    """Tell whether ``path`` is part of a Delta export (changes only, not every account)."""
    found = EXPORT_NAME.search(path.name)
    return found is not None and found.group(1) == "Delta"


def export_date(files: list[Path]) -> date | None:
    """The latest export date the names of ``files`` carry, or ``None`` when none does."""
    dates = []
    for path in files:
        found = EXPORT_NAME.search(path.name)
        if found is not None:
            with contextlib.suppress(ValueError):
                dates.append(datetime.strptime(found.group(2), "%Y%m%d").date())
    return max(dates, default=None)


def read_feed(
    files: list[Path], wanted: frozenset[str], *, max_records: int, deadline: float
) -> Iterator[FeedRecord]:
    """Yield the requests of ``files`` with their ``wanted`` attributes.

    Raises :class:`FeedError` for an unsafe or malformed file and :class:`FeedBoundReached`
    past ``max_records`` requests or the ``time.monotonic()`` ``deadline``.
    """
    count = 0
    for path in files:
        found = FILE_NAME.search(path.name)
        if found is None:
            continue
        family = found.group(1)
        _refuse_entities(path)
        try:
            for record in _requests(path, family, wanted):
                count += 1
                if count > max_records:
                    raise FeedBoundReached(
                        f"plus de {max_records} requêtes dans le flux AAF", timeout=False
                    )
                if time.monotonic() > deadline:
                    raise FeedBoundReached(
                        "échéance atteinte pendant la lecture du flux AAF", timeout=True
                    )
                yield record
        except etree.XMLSyntaxError as exc:
            raise FeedError(f"{path.name} : XML mal formé ({exc})") from exc


def _refuse_entities(path: Path) -> None:
    with path.open("rb") as stream:
        head = stream.read(_HEAD_BYTES)
    if b"<!ENTITY" in head.upper():
        raise FeedError(f"{path.name} : déclaration d'entité refusée (risque d'expansion)")


def _requests(path: Path, family: str, wanted: frozenset[str]) -> Iterator[FeedRecord]:
    events = etree.iterparse(
        str(path),
        events=("end",),
        tag=tuple(_OPERATIONS),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
    )
    for _event, element in events:
        operation = _OPERATIONS[etree.QName(element).localname]
        identifier = (element.findtext("identifier/id") or "").strip()
        attributes: dict[str, list[str]] = {}
        holders = element.iterfind("attributes/attr" if operation == "add" else "*/modification")
        for holder in holders:
            name = holder.get("name") or ""
            if name in wanted:
                values = [(value.text or "").strip() for value in holder.iterfind("value")]
                attributes[name] = [value for value in values if value]
        yield FeedRecord(family, operation, identifier, attributes)
        element.clear(keep_tail=False)
        while element.getprevious() is not None:
            parent = element.getparent()
            if parent is None:
                break
            del parent[0]
