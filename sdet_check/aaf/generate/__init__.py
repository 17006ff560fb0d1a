"""Generate realistic AAF sets, optionally with one injected defect per rule.

A set holds N structures (collèges and lycées with valid UAIs), their classes and groups,
pupils in families (siblings share their relatives, linked both ways), teachers and other
staff with function codes, the MEF and subject nomenclatures, split into numbered chunk
files like real exports, plus a Delta set of the next day. The same options and seed give
the same bytes. ``manifest.json`` lists the files, the counts and every injected defect
(rule id, file, record) so that a validation can be scored against it.

The generator streams: only one structure's people are in memory at a time.

One module per concern: :mod:`~.options` (what to generate, ``--defects``),
:mod:`~.versions` (what the format version changes), :mod:`~.record` (one request and its
XML), :mod:`~.files` (chunk files, file-level defects), :mod:`~.defects` (the defects still
to inject and those injected), the population (:mod:`~.draws`, :mod:`~.structures`,
:mod:`~.pupils` with their relatives, :mod:`~.staff`), :mod:`~.nomenclatures`,
:mod:`~.delta`, and :mod:`~.generator` (the run and its manifest).
"""

from __future__ import annotations

from sdet_check.aaf.generate.files import ENCODINGS
from sdet_check.aaf.generate.generator import MANIFEST, generate
from sdet_check.aaf.generate.options import GenerationOptions, parse_defects
from sdet_check.aaf.generate.record import Record
from sdet_check.aaf.generate.versions import FORMAT_VERSIONS

__all__ = [
    "ENCODINGS",
    "FORMAT_VERSIONS",
    "MANIFEST",
    "GenerationOptions",
    "Record",
    "generate",
    "parse_defects",
]
