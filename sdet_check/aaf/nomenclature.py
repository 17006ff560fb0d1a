"""National nomenclatures the AAF checks rely on: profiles, function codes, UAI check letters."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from sdet_check.aaf.families import Family

NATIONAL_PROFILES: dict[str, str] = {
    "National_ELV": "élève",
    "National_TUT": "responsable d'élève",
    "National_ENS": "enseignant",
    "National_DIR": "personnel de direction",
    "National_EVS": "personnel de vie scolaire",
    "National_ETA": "personnel administratif, technique ou d'encadrement",
    "National_ACA": "personnel de rectorat, de DRAAF ou d'inspection",
    "National_DOC": "documentaliste",
    "National_COL": "personnel de collectivité territoriale",
}
"""The national profile codes (SDET annexe opérationnelle, interop annex §5.6)."""

_PROFILE_BY_UPPER = {code.upper(): code for code in NATIONAL_PROFILES}

CATEGORY_PROFILES: dict[Family, str] = {
    Family.ELEVE: "National_ELV",
    Family.PERS_REL: "National_TUT",
}
"""The profile a person's category implies (staff profiles come from function codes)."""

_FUNCTIONS: dict[str, tuple[str, ...]] = {
    "National_ETA": (
        "ADA", "ADF", "ADM", "ALB", "ASE", "ASH", "CFC", "CPD", "CTR", "LAB", "MDS", "ORI",
        "OUV", "PSY", "TEC",
    ),
    "National_EVS": ("AED", "AES", "EDU", "SUR"),
    "National_ENS": (
        "BED", "ENS", "FCA", "FCP", "FIJ", "IS", "ISES", "PPA", "RH1D", "RPL", "UPI",
    ),
    "National_DIR": ("DEC", "DECPR", "DIR", "DSES"),
    "National_DOC": ("DOC",),
    "National_ELV": ("ELE",),
    "National_ACA": ("INJ", "INS"),
    "National_COL": ("COLTER",),
}  # fmt: skip

FUNCTION_PROFILES: dict[str, str] = {
    code: profile for profile, codes in _FUNCTIONS.items() for code in codes
}
"""AAF function code (second part of ``ENTPersonFonctions``) → national profile."""


def national_profile(value: str) -> str | None:
    """The national profile code ``value`` designates (case of the suffix ignored), or None.

    GAR files write the same codes with a lower-case suffix (``National_elv``).
    """
    return _PROFILE_BY_UPPER.get(value.upper())


UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
"""Check letters of a UAI: the alphabet without I, O and Q."""

_UAI = re.compile(r"[0-9]{7}[A-Z]")


def uai_problem(value: str) -> str | None:
    """Why ``value`` is not a valid UAI, in French, or None when it is valid.

    A UAI is 7 digits and a check letter: the letter of ``UAI_LETTERS`` at index
    (number formed by the 7 digits) modulo 23.
    """
    if not _UAI.fullmatch(value):
        return "format attendu : 7 chiffres puis une lettre majuscule"
    expected = uai_letter(value[:7])
    if value[7] != expected:
        return f"lettre clé attendue {expected} pour {value[:7]}"
    return None


def uai_letter(digits: str) -> str:
    """The check letter of the 7 digits ``digits``."""
    return UAI_LETTERS[int(digits) % 23]


_DATE = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})")


@lru_cache(maxsize=8192)
def date_problem(value: str) -> str | None:
    """Why ``value`` is not an existing ``dd/mm/yyyy`` date, in French, or None."""
    match = _DATE.fullmatch(value)
    if match is None:
        return "format attendu jj/mm/aaaa"
    day, month, year = (int(g) for g in match.groups())
    try:
        date(year, month, day)
    except ValueError:
        return "cette date n'existe pas"
    return None


_INE = re.compile(r"[0-9A-Z]{10}[A-Z]")


def ine_problem(value: str) -> str | None:
    """Why ``value`` is not shaped like an INE (11 characters, a final letter), or None."""
    if _INE.fullmatch(value) is None:
        return "format attendu : 10 chiffres ou lettres majuscules puis une lettre"
    return None


TITLES = frozenset({"M.", "Mme", "Mlle"})
"""Civilités: ``Mlle`` is no longer issued but still found in older exports."""

_VERSION_AF = re.compile(r"AAF-VE[0-9]{2}(0[1-9]|1[0-2])")


def version_problem(value: str) -> str | None:
    """Why a ``versionAF`` header value is not a recognised AAF version, or None."""
    if _VERSION_AF.fullmatch(value) is None:
        return "forme attendue AAF-VEaamm (par exemple AAF-VE2407)"
    return None
