"""The files of a set: requests written into numbered chunk files, one writer per family and kind.

:class:`Output` owns the writers, the byte and record totals, and plans the file-level
defects (missing declaration or DOCTYPE, wrong version, bad name, truncated end, bytes
invalid in UTF-8) on the writers they belong to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sdet_check.aaf.dtd import DTD_NAME
from sdet_check.aaf.families import Family
from sdet_check.aaf.generate.defects import DefectLedger
from sdet_check.aaf.generate.options import GenerationOptions
from sdet_check.aaf.generate.record import Record
from sdet_check.aaf.generate.versions import version_comments
from sdet_check.aaf.model import Kind, Op

ENCODINGS = {
    Family.ETAB: "ISO-8859-15",
    Family.MEF: "UTF-8",
    Family.MATIERE: "ISO-8859-15",
    Family.PERS_REL: "ISO-8859-15",
    Family.ELEVE: "UTF-8",
    Family.PERS_EDUC: "UTF-8",
}
"""Both encodings real exports use, so that every set exercises both."""


@dataclass
class FileDefects:
    """File-level defects to apply to one writer's files."""

    no_declaration: bool = False
    no_doctype: bool = False
    version: str | None = None
    bad_name: bool = False
    truncated_end: bool = False
    invalid_bytes_end: bool = False


class Output:
    """The set being written: its chunk writers, its byte total and its records per family."""

    def __init__(
        self, out: Path, options: GenerationOptions, academy_code: str, ledger: DefectLedger
    ):
        self.out = out
        self.options = options
        self.academy_code = academy_code
        self.ledger = ledger
        self.bytes = 0
        self.counts = {family.value: 0 for family in Family}
        self.writers: dict[tuple[Family, Kind], ChunkWriter] = {}

    def writer(self, family: Family, kind: Kind = Kind.COMPLET) -> ChunkWriter:
        """The writer of ``family`` and ``kind``, created on first use."""
        key = (family, kind)
        if key not in self.writers:
            day = self.options.export_date + timedelta(days=1 if kind is Kind.DELTA else 0)
            self.writers[key] = ChunkWriter(self, family, kind, day)
        return self.writers[key]

    def write(self, record: Record, kind: Kind = Kind.COMPLET) -> str:
        """Write ``record``; record its defect, if it carries one; return its file name."""
        if record.op is Op.ADD and kind is Kind.COMPLET:
            self.counts[record.family.value] += 1
        file = self.writer(record.family, kind).write(record)
        if record.note is not None:
            self.ledger.record(record.note[0], file, record.key, record.note[1])
        return file

    def plan_file_defects(self) -> None:
        """Mark the file-level defects to inject on the writers whose first file carries them."""
        take = self.ledger.take
        if take("AAF-ENC-002"):
            self.writer(Family.MEF).defects.no_declaration = True
        if take("AAF-DTD-002"):
            self.writer(Family.ETAB).defects.no_doctype = True
        if take("AAF-VER-001"):
            self.writer(Family.PERS_REL).defects.version = "AAF-VE2413"
        if take("AAF-NAME-001"):
            self.writer(Family.MATIERE).defects.bad_name = True
        # Fatal errors go where no other file points: a lost record would hide nothing.
        if take("AAF-XML-001"):
            self.writer(Family.PERS_EDUC, Kind.DELTA).defects.truncated_end = True
        if take("AAF-ENC-001"):
            self.writer(Family.PERS_EDUC).defects.invalid_bytes_end = True

    def close(self, encoding_defect_record: Callable[[], Record]) -> None:
        """Close every writer; ``encoding_defect_record`` gives the record AAF-ENC-001 spoils."""
        for writer in self.writers.values():
            writer.close(encoding_defect_record)

    def files(self) -> list[dict[str, Any]]:
        """The files written, for the manifest, by name."""
        files = [f for w in self.writers.values() for f in w.files]
        return sorted(files, key=lambda f: str(f["name"]))


class ChunkWriter:
    """Writes the requests of one family and kind into numbered chunk files."""

    def __init__(self, output: Output, family: Family, kind: Kind, day: date):
        self.output = output
        self.family = family
        self.kind = kind
        self.day = day
        self.encoding = ENCODINGS[family]
        self.defects = FileDefects()
        self.files: list[dict[str, Any]] = []
        self.stream: Any = None
        self.count = 0

    @property
    def current(self) -> str:
        """The name of the file being written."""
        return str(self.files[-1]["name"])

    def write(self, record: Record) -> str:
        """Write ``record``; return the name of the file it went to."""
        if self.stream is None or self.count >= self.output.options.chunk_records:
            self._open()
        self._put(record.xml().encode(self.encoding, errors="xmlcharrefreplace"))
        self.count += 1
        self.files[-1]["records"] += 1
        return self.current

    def _put(self, data: bytes) -> None:
        self.stream.write(data)
        self.files[-1]["bytes"] += len(data)
        self.output.bytes += len(data)

    def _open(self) -> None:
        self._close_file(None)
        options = self.output.options
        chunk = len(self.files)
        stamp = self.day.strftime("%Y%m%d")
        name = f"{options.prefix}_{self.kind.value}_{stamp}_{self.family}_{chunk:04d}.xml"
        defects = self.defects if chunk == 0 else FileDefects()
        if defects.bad_name:
            name = name.replace(f"_{stamp}_", f"_{stamp[:4]}_")
        self.files.append(
            {"name": name, "family": self.family.value, "kind": self.kind.value,
             "encoding": self.encoding, "records": 0, "bytes": 0}
        )  # fmt: skip
        self.stream = (self.output.out / name).open("wb")
        self.count = 0
        head = []
        if not defects.no_declaration:
            head.append(f'<?xml version="1.0" encoding="{self.encoding}"?>')
        if not defects.no_doctype:
            head.append(f'<!DOCTYPE ficAlimMENESR SYSTEM "{DTD_NAME}">')
        head.append("<ficAlimMENESR>")
        head += version_comments(options.format_version, defects.version)
        head += [
            f'<!-- codeAcademieExport="{self.output.academy_code}" -->',
            '<!-- degre="2D" -->',
            f'<!-- dateGenerationExport="{self.day.strftime("%d/%m/%Y")}" -->',
            "",
        ]
        self._put("\n".join(head).encode(self.encoding) + b"\n")
        for rule_id, applied, note in (
            ("AAF-ENC-002", defects.no_declaration, "fichier sans déclaration XML"),
            ("AAF-DTD-002", defects.no_doctype, "fichier sans DOCTYPE"),
            ("AAF-VER-001", defects.version is not None, f"versionAF {defects.version}"),
            ("AAF-NAME-001", defects.bad_name, "date de 4 chiffres dans le nom"),
        ):
            if applied:
                self.output.ledger.record(rule_id, name, None, note)

    def _close_file(self, ending: Callable[[], Record] | None) -> None:
        """Close the current file; ``ending``, given at the writer's end, adds its last defects."""
        if self.stream is None:
            return
        ledger = self.output.ledger
        if ending is not None and self.defects.invalid_bytes_end:
            text = ending().xml().encode(self.encoding)
            self._put(text.replace(b"<value>ENCODAGE</value>", b"<value>ENCOD\xff\xfeAGE</value>"))
            ledger.record("AAF-ENC-001", self.current, None, "octets invalides en UTF-8")
        if ending is not None and self.defects.truncated_end:
            self._put(b"<addRequest>\n<operationalAttributes>\n")
            ledger.record("AAF-XML-001", self.current, None, "requête tronquée en fin de fichier")
        self._put(b"</ficAlimMENESR>\n")
        self.stream.close()
        self.stream = None

    def close(self, encoding_defect_record: Callable[[], Record]) -> None:
        """Close the last file; ``encoding_defect_record`` gives the record AAF-ENC-001 spoils."""
        self._close_file(encoding_defect_record)
