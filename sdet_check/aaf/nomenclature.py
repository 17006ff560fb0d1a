"""National nomenclatures the AAF checks rely on, worded for AAF findings.

The nomenclatures themselves (national profiles, function codes, UAI check letters, civilités)
are those of :mod:`sdet_check.sdet_model`, re-exported here; this module adds what only the
AAF files need: the profile a category implies, and French reasons phrased for AAF findings.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from stdnum.fr import siren, siret

from sdet_check.aaf.families import Family
from sdet_check.sdet_model import (
    FUNCTION_PROFILES,
    NATIONAL_PROFILES,
    TITLES,
    UAI_LETTERS,
    day_month_year,
    expected_uai_letter,
    national_profile,
)
from sdet_check.sdet_model import uai_check_letter as uai_letter

__all__ = [
    "CATEGORY_PROFILES",
    "CONTRACTS",
    "FUNCTION_PROFILES",
    "NATIONAL_PROFILES",
    "TITLES",
    "UAI_LETTERS",
    "code_problem",
    "contract_problem",
    "date_problem",
    "email_problem",
    "ine_problem",
    "national_profile",
    "phone_problem",
    "postal_code_problem",
    "siren_problem",
    "uai_letter",
    "uai_problem",
    "version_problem",
]

CATEGORY_PROFILES: dict[Family, str] = {
    Family.ELEVE: "National_ELV",
    Family.PERS_REL: "National_TUT",
}
"""The profile a person's category implies (staff profiles come from function codes)."""


def uai_problem(value: str) -> str | None:
    """Why ``value`` is not a valid UAI, in French, or None when it is valid.

    A UAI is 7 digits and a check letter: the letter of ``UAI_LETTERS`` at index
    (number formed by the 7 digits) modulo 23.
    """
    expected = expected_uai_letter(value)
    if expected is None:
        return "format attendu : 7 chiffres puis une lettre majuscule"
    if value[7] != expected:
        return f"lettre clé attendue {expected} pour {value[:7]}"
    return None


@lru_cache(maxsize=8192)
def date_problem(value: str) -> str | None:
    """Why ``value`` is not an existing ``dd/mm/yyyy`` date, in French, or None."""
    fields = day_month_year(value)
    if fields is None:
        return "format attendu jj/mm/aaaa"
    try:
        date(*fields)
    except ValueError:
        return "cette date n'existe pas"
    return None


_INE = re.compile(r"[0-9A-Z]{10}[A-Z]")


def ine_problem(value: str) -> str | None:
    """Why ``value`` is not shaped like an INE (11 characters, a final letter), or None."""
    if _INE.fullmatch(value) is None:
        return "format attendu : 10 chiffres ou lettres majuscules puis une lettre"
    return None


_VERSION_AF = re.compile(r"AAF-VE[0-9]{2}(0[1-9]|1[0-2])")


def version_problem(value: str) -> str | None:
    """Why a ``versionAF`` header value is not a recognised AAF version, or None."""
    if _VERSION_AF.fullmatch(value) is None:
        return "forme attendue AAF-VEaamm (par exemple AAF-VE2407)"
    return None


_POSTAL_CODE = re.compile(r"(?!00)[0-9]{5}")


def postal_code_problem(value: str) -> str | None:
    """Why ``value`` is not a French postal code (five digits, not 00…), or None."""
    if _POSTAL_CODE.fullmatch(value) is None:
        return "code postal français attendu : cinq chiffres (de 01000 à 98999)"
    return None


_PHONE_SEPARATORS = re.compile(r"[ .\-()]")
_PHONE_FR = re.compile(r"(?:\+33|0033|0)[1-9][0-9]{8}")
_PHONE_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def phone_problem(value: str) -> str | None:
    """Why ``value`` is not a telephone number (French 0X XX XX XX XX or +<E.164>), or None."""
    bare = _PHONE_SEPARATORS.sub("", value)
    if _PHONE_FR.fullmatch(bare) or _PHONE_E164.fullmatch(bare):
        return None
    return "numéro attendu : dix chiffres commençant par 0, ou + et l'indicatif du pays"


_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def email_problem(value: str) -> str | None:
    """Why ``value`` is not shaped like an e-mail address (ASCII, RFC 5321 forms), or None."""
    if len(value) > 254 or _EMAIL.fullmatch(value) is None or ".." in value:
        return "adresse attendue de la forme nom@domaine.tld (caractères ASCII)"
    return None


def siren_problem(value: str) -> str | None:
    """Why ``value`` is neither a valid SIREN (9 digits) nor SIRET (14 digits), or None.

    Both end with a Luhn check digit (python-stdnum checks it, La Poste's SIRET included).
    """
    if not value.isascii() or not value.isdigit() or len(value) not in (9, 14):
        return "SIREN (9 chiffres) ou SIRET (14 chiffres) attendu"
    number = siren if len(value) == 9 else siret
    if not number.is_valid(value):
        return f"chiffre de contrôle du {'SIREN' if len(value) == 9 else 'SIRET'} invalide"
    return None


CONTRACTS = frozenset({"PU", "PR"})
"""Values of ``ENTEtablissementContrat``: the sector, public (PU) or private (PR)."""


def contract_problem(value: str) -> str | None:
    """Why ``value`` is not a sector of ``ENTEtablissementContrat`` (PU or PR), or None."""
    if value not in CONTRACTS:
        return "secteur attendu : PU (public) ou PR (privé)"
    return None


def code_problem(value: str, digits: int) -> str | None:
    """Why ``value`` is not a national nomenclature code of ``digits`` digits, or None.

    The structure-type and ministry codes the AAF carries beside their labels are codes of
    the national nomenclatures (340 for a collège, 06 for the education ministry): a label
    given in their place is the usual mistake.
    """
    if len(value) != digits or not value.isascii() or not value.isdigit():
        return f"code de nomenclature attendu : {digits} chiffres"
    return None
