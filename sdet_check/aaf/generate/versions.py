"""What depends on the AAF format version written: the file header and the teachers' MEF."""

from __future__ import annotations

from sdet_check.aaf import names
from sdet_check.aaf.families import CURRENT_VERSION, LEGACY_VERSION

FORMAT_VERSIONS = (CURRENT_VERSION, LEGACY_VERSION)
"""Format versions the generator writes: the current one and the 2013 one (whose
``ENTAuxEnsMEF`` values carry the MEF label as a third field, and which has no
``versionSDET`` header)."""

MEF_LABELS = {
    mef: label for kind in ("college", "lycee") for _, mef, label, _subjects in names.LEVELS[kind]
}
"""The label of every MEF the generator writes, by code."""


def version_comments(format_version: str, announced: str | None = None) -> list[str]:
    """The header comments naming the version: ``announced`` replaces it in ``versionAF``."""
    comments = [f'<!-- versionAF="{announced or format_version}" -->']
    if format_version == CURRENT_VERSION:
        comments.append('<!-- versionSDET="Annexe 4bis version 6.4" -->')
    return comments


def teacher_mef(format_version: str, structure: str, mef: str) -> str:
    """An ``ENTAuxEnsMEF`` value: the 2013 format adds the MEF label as a third field."""
    if format_version == LEGACY_VERSION:
        return f"{structure}${mef}${MEF_LABELS.get(mef, mef)}"
    return f"{structure}${mef}"
