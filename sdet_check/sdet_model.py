"""Vocabulary of the SDET annuaire data model, shared by probes, validators and generators.

National profile codes, the UAI check letter, AAF dates and join keys (``reference/sdet.md``
§4.1 and §4.2). Pure functions, no I/O.
"""

from __future__ import annotations

import re
from datetime import date

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
"""The national profile codes of ``ENTPersonProfils`` and what each means (SDET annexe
opérationnelle, interop annex §5.6)."""

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
"""AAF function codes (second field of ``ENTPersonFonctions``) → national profile."""

_PROFILE_BY_UPPER = {code.upper(): code for code in NATIONAL_PROFILES}


def national_profile(value: str) -> str | None:
    """The national profile code ``value`` designates (case of the suffix ignored), or None.

    GAR files write the same codes with a lower-case suffix (``National_elv``).
    """
    return _PROFILE_BY_UPPER.get(value.upper())


TITLES = frozenset({"M.", "Mme", "Mlle"})
"""Civilités: ``Mlle`` is no longer issued but still found in older exports."""

UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
"""The 23 check letters of a UAI (no I, O, Q): letter = ``UAI_LETTERS[number % 23]``."""

_UAI = re.compile(r"[0-9]{7}[A-Z]")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def uai_check_letter(digits: str) -> str:
    """Return the check letter of the seven digits of a UAI (``0750680`` → ``G``)."""
    if len(digits) != 7 or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"a UAI number has seven digits, not {digits!r}")
    return UAI_LETTERS[int(digits) % 23]


def make_uai(number: int) -> str:
    """Build the valid UAI of ``number`` (0 ≤ number < 10⁷)."""
    digits = f"{number:07d}"
    return digits + uai_check_letter(digits)


def expected_uai_letter(value: str) -> str | None:
    """The check letter the UAI ``value`` must end with.

    ``None`` when ``value`` is not seven ASCII digits followed by a capital letter.
    """
    if not _UAI.fullmatch(value):
        return None
    return UAI_LETTERS[int(value[:7]) % 23]


def uai_problem(value: str) -> str | None:
    """Say what is wrong with a UAI code, in French, or ``None`` when it is valid."""
    expected = expected_uai_letter(value)
    if expected is None:
        return "format invalide : sept chiffres suivis d'une lettre majuscule attendus"
    if value[7] != expected:
        return f"lettre clé {value[7]} incorrecte, {expected} attendue"
    return None


def day_month_year(value: str) -> tuple[int, int, int] | None:
    """The (year, month, day) numbers of a ``jj/mm/aaaa`` value, or None if not of that form.

    The numbers are not checked against the calendar.
    """
    if (
        len(value) == 10
        and value[2] == "/"
        and value[5] == "/"
        and value.isascii()
        and (value[:2] + value[3:5] + value[6:]).isdigit()
    ):
        return int(value[6:]), int(value[3:5]), int(value[:2])
    return None


def parse_date(value: str) -> date:
    """Parse an annuaire date, ``jj/mm/aaaa`` (AAF) or ``aaaa-mm-jj`` (ISO 8601).

    Raises :class:`ValueError` with a French reason that never repeats the value (a birth
    date is personal data).
    """
    fields = day_month_year(value)
    if fields is None:
        found = _ISO_DATE.fullmatch(value)
        if not found:
            raise ValueError("format non reconnu (jj/mm/aaaa attendu)")
        fields = (int(found[1]), int(found[2]), int(found[3]))
    year, month, day = fields
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError("date inexistante au calendrier") from None


def value_shape(value: str) -> str:
    """Show the form of a value without its content: digits → ``9``, letters → ``A``/``a``."""
    shape = []
    for char in value[:40]:
        if char.isdigit():
            shape.append("9")
        elif char.isalpha():
            shape.append("A" if char.isupper() else "a")
        else:
            shape.append(char)
    return "".join(shape) + ("…" if len(value) > 40 else "")


def join_key_id(value: str) -> str:
    """The identifier of a join key: ``MENESR$1234`` (source-prefixed) → ``1234``.

    Directories store ``ENTPersonJointure`` either as the AAF identifier itself or prefixed
    with its source; links between entries use the bare identifier.
    """
    if "$" not in value:
        return value
    source, _dollar, identifier = value.partition("$")
    if source.isalpha() and source.isupper() and identifier:
        return identifier
    return value


def age_on(born: date, today: date) -> int:
    """Age in whole years on ``today``."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
