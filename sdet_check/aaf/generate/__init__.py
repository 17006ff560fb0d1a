"""Generate realistic AAF sets, optionally with one injected defect per rule.

A set holds N structures (collèges and lycées with valid UAIs), their classes and groups,
pupils in families (siblings share their relatives, linked both ways), teachers and other
staff with function codes, the MEF and subject nomenclatures, split into numbered chunk
files like real exports, plus a Delta set of the next day. The same options and seed give
the same bytes. ``manifest.json`` lists the files, the counts and every injected defect
(rule id, file, record) so that a validation can be scored against it.

The generator streams: only one structure's people are in memory at a time.
"""

from __future__ import annotations

from sdet_check.aaf.generate.generator import ENCODINGS, MANIFEST, generate
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
