"""A small streaming reader of the requests of AAF feed files (``ficAlimMENESR``).

It gives, for each ``addRequest``, ``modifyRequest`` and ``deleteRequest`` of the structure
and person families, the identifier and a chosen set of attributes (or all of them): what
the reconciliation probe (:class:`probes.ldap.LdapReconcile`) compares, and what loads the
reference annuaire from a generated set (:func:`sdet_check.demo.annuaire.read_aaf_records`).
Files are read element by element (``iterparse``), each request cleared once read, so memory
stays flat whatever the feed's size. It checks nothing about the format beyond what it needs:
judging a feed is the validator's job (:mod:`sdet_check.aaf.validate`, which tracks lines,
encodings and every rule).

AAF files are hostile input: the external DTD they name is never loaded, entities are never
expanded (a file declaring one is refused), nothing is fetched from the network, text nodes
are bounded (no huge-tree mode), and the number of requests read is bounded by the caller.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator, Sequence
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

FILE_NAME = re.compile(r"_(EtabEducNat|Eleve|PersRelEleve|PersEducNat)_([0-9]{4})\.xml$")
"""AAF file names of those families (``…_Eleve_0000.xml``)."""

DAY_IN_NAME = re.compile(r"_((?:19|20)[0-9]{6})_")
"""The export date in a file name (``ENT_Complet_20250901_Eleve_0000.xml``)."""

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
    path: Path | None = None
    """The file the request comes from."""

    @property
    def kind(self) -> str:
        """The kind of directory entry the record describes (``pupil``, ``structure``…)."""
        return FAMILIES[self.family]


def feed_files(folder: Path) -> list[Path]:
    """The AAF files of the families read, in name order."""
    return sorted(path for path in folder.iterdir() if FILE_NAME.search(path.name))


@dataclass(frozen=True)
class FeedFile:
    """One file of a feed folder, as its name describes it."""

    path: Path
    family: str
    complete: bool
    """Part of a ``Complet`` export: it lists every account of its family."""
    day: date | None
    """Export date from the name (or the target's), ``None`` when unknown."""

    @property
    def delta(self) -> bool:
        """Part of a ``Delta`` export: changes only."""
        return "_Delta_" in self.path.name


def describe(path: Path, default_day: date | None = None) -> FeedFile:
    """What the name of ``path`` says: family, full export or not, date (else ``default_day``).

    As the AAF naming goes, ``_Complet_`` marks a full export and ``_Delta_`` a set of changes;
    a file carrying neither is not taken as a full export (a misnamed Delta would otherwise
    make every other account look absent from the feed).
    """
    found = FILE_NAME.search(path.name)
    if found is None:
        raise ValueError(f"{path.name} is not an AAF file of a directory family")
    day = default_day
    dated = DAY_IN_NAME.search(path.name)
    if dated is not None:
        with contextlib.suppress(ValueError):
            day = datetime.strptime(dated.group(1), "%Y%m%d").date()
    return FeedFile(path, found.group(1), "_Complet_" in path.name, day)


def missing_chunks(files: list[FeedFile]) -> list[str]:
    """Full exports whose numbered chunks (``_0000``, ``_0001``…) have a gap, named.

    A missing chunk of a full export would make every account it held look deleted.
    """
    chunks: dict[tuple[str, str], set[int]] = {}
    for file in files:
        found = FILE_NAME.search(file.path.name)
        if file.complete and found is not None:
            export = file.path.name[: found.start()]
            chunks.setdefault((export, file.family), set()).add(int(found.group(2)))
    return [
        f"{export}_{family} : fichier(s) {', '.join(f'{n:04d}' for n in gaps)} absent(s)"
        for (export, family), numbers in sorted(chunks.items())
        if (gaps := sorted(set(range(max(numbers) + 1)) - numbers))
    ]


def import_order(files: list[FeedFile]) -> list[FeedFile]:
    """``files`` in the order an import applies them: by date, full exports before deltas."""
    families = list(FAMILIES)
    return sorted(
        files,
        key=lambda f: (f.day or date.min, not f.complete, families.index(f.family), f.path.name),
    )


def read_feed(
    files: Sequence[Path], wanted: frozenset[str] | None, *, max_records: int, deadline: float
) -> Iterator[FeedRecord]:
    """Yield the requests of ``files`` with their ``wanted`` attributes (``None``: all).

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


def _requests(path: Path, family: str, wanted: frozenset[str] | None) -> Iterator[FeedRecord]:
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
            if wanted is None or name in wanted:
                values = [(value.text or "").strip() for value in holder.iterfind("value")]
                attributes[name] = [value for value in values if value]
        yield FeedRecord(family, operation, identifier, attributes, path)
        element.clear(keep_tail=False)
        while element.getprevious() is not None:
            parent = element.getparent()
            if parent is None:
                break
            del parent[0]
