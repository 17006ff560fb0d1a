"""One generation run, from the options to the files and their manifest."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from sdet_check import __version__
from sdet_check.aaf import names
from sdet_check.aaf.dtd import BUILTIN_DTD, DTD_NAME
from sdet_check.aaf.families import Family
from sdet_check.aaf.generate.defects import DefectLedger
from sdet_check.aaf.generate.delta import write_delta
from sdet_check.aaf.generate.draws import Draws
from sdet_check.aaf.generate.files import Output
from sdet_check.aaf.generate.nomenclatures import write_mefs, write_subjects
from sdet_check.aaf.generate.options import GenerationOptions
from sdet_check.aaf.generate.pupils import Families
from sdet_check.aaf.generate.staff import Staff
from sdet_check.aaf.generate.structures import plan_structure, write_structure
from sdet_check.aaf.model import Kind
from sdet_check.errors import InputError
from sdet_check.messages import msg

MANIFEST = "manifest.json"

_BYTES_PER_PUPIL = 4200  # first guess for --size-mb, corrected after the first structure
_MIN_PUPILS = 48
_DEFAULT_PUPILS = 220


def generate(out: Path, options: GenerationOptions, *, overwrite: bool = False) -> dict[str, Any]:
    """Write a set into ``out`` and return its manifest (also written as ``manifest.json``).

    ``out`` must be empty unless ``overwrite``: then the files of an earlier generated set
    (same prefix, manifest, DTD) are removed first; nothing else is touched.
    """
    if out.exists() and not out.is_dir():
        raise InputError(
            out,
            msg("input.aaf_generate.generate.input_error"),
            msg("input.aaf_generate.generate.input_error_3"),
        )
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise InputError(
                out,
                msg("input.aaf_generate.generate.input_error_2"),
                msg("input.aaf_generate.generate.input_error_4"),
            )
        # Only what an earlier run wrote goes: stale chunks would mix with the new set.
        for old in [*out.glob(f"{options.prefix}_*.xml"), out / MANIFEST, out / DTD_NAME]:
            old.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    generator = Generator(out, options)
    manifest = generator.run()
    (out / DTD_NAME).write_bytes(BUILTIN_DTD.read_bytes())
    (out / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return manifest


class Generator:
    """One generation run: nomenclatures, then each structure and its people, then the Delta.

    Every random draw comes from one generator seeded by the options, in a fixed order:
    that order is what makes a seed give the same bytes.
    """

    def __init__(self, out: Path, options: GenerationOptions):
        self.options = options
        self.rng = random.Random(options.seed)
        self.ledger = DefectLedger(options.defects)
        academy_code = self.rng.choice(names.TOWNS)[3]  # the run's first draw
        self.output = Output(out, options, academy_code, self.ledger)
        self.draws = Draws(self.rng)
        self.families = Families(self.draws, self.output)
        self.staff = Staff(self.draws, self.output)
        self.bytes_per_pupil: float | None = None

    def run(self) -> dict[str, Any]:
        """Write the whole set; return its manifest."""
        options = self.options
        output = self.output
        output.plan_file_defects()
        write_subjects(output)
        write_mefs(output)
        structures = options.structures
        for index in range(structures):
            pupils = self._pupil_target(index, structures)
            self._structure(index, pupils)
        if (
            options.delta
            or (Family.PERS_EDUC, Kind.DELTA) in output.writers
            or ("AAF-DELTA-001" in self.ledger.pending)
        ):
            write_delta(output, self.families.delta_pupils, self.staff.delta_staff)
        output.close(self.staff.encoding_defect_record)
        return {
            "generator": f"sdet-check {__version__}",
            "seed": options.seed,
            "structures": options.structures,
            "size_mb": options.size_mb,
            "chunk_records": options.chunk_records,
            "delta": options.delta,
            "export_date": options.export_date.isoformat(),
            "files": output.files(),
            "bytes": output.bytes,
            "counts": output.counts,
            "defects": self.ledger.injected,
            "not_injected": sorted(self.ledger.pending),
        }

    def _pupil_target(self, index: int, structures: int) -> int:
        rng = self.rng
        factor = rng.uniform(0.7, 1.3)
        size_mb = self.options.size_mb
        if size_mb is None:
            return max(_MIN_PUPILS, int(_DEFAULT_PUPILS * factor))
        remaining_bytes = size_mb * 1_000_000 - self.output.bytes
        per_pupil = self.bytes_per_pupil or _BYTES_PER_PUPIL
        left = structures - index
        return max(_MIN_PUPILS, int(remaining_bytes / per_pupil / left * factor))

    def _structure(self, index: int, target: int) -> None:
        structure = plan_structure(self.rng, index, target)
        first = index == 0
        before = self.output.bytes
        write_structure(structure, self.draws, self.output)
        staff = self.staff.plan(structure)
        pupils = self.families.write(structure, target, first_structure=first)
        self.staff.write(structure, staff, first_structure=first)
        if self.bytes_per_pupil is None and pupils:
            self.bytes_per_pupil = (self.output.bytes - before) / pupils
