"""Value domains of ``aaf validate``: one passing and one failing case per domain, and
properties of the domain checks."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from sdet_check.aaf.nomenclature import (
    code_problem,
    contract_problem,
    email_problem,
    phone_problem,
    postal_code_problem,
    siren_problem,
)
from sdet_check.aaf.validate import validate
from sdet_check.demo.annuaire import AafRecord, write_aaf_files
from sdet_check.sdet_model import make_uai

DOMAINS = [
    # (attribute, family, good value, bad value, rule)
    ("ENTStructureSIREN", "EtabEducNat", "73282932000074", "73282932000075", "AAF-DOM-001"),
    ("ENTStructureSIREN", "EtabEducNat", "732829320", "732829321", "AAF-DOM-001"),
    ("postalCode", "EtabEducNat", "77000", "7700", "AAF-DOM-002"),
    ("telephoneNumber", "EtabEducNat", "01 64 00 00 00", "12345", "AAF-DOM-002"),
    ("ENTStructureMailSI", "EtabEducNat", "ce.0779101@ac-creteil.fr", "ce.0779101", "AAF-DOM-002"),
    ("mobile", "PersRelEleve", "+33 6 12 34 56 78", "06 12", "AAF-DOM-002"),
    ("mail", "PersRelEleve", "parent@courriel.fr", "parent@@courriel", "AAF-DOM-002"),
    ("ENTPersonCodePostal", "PersRelEleve", "75011", "ABCDE", "AAF-DOM-002"),
    # nomenclature values the annex fixes: sector, structure-type and ministry codes
    ("ENTEtablissementContrat", "EtabEducNat", "PR", "OO", "AAF-DOM-002"),
    ("ENTStructureCodeTypeStruct", "EtabEducNat", "340", "COLLEGE", "AAF-DOM-002"),
    ("ENTEtablissementCodeMinistereTutelle", "EtabEducNat", "06", "6", "AAF-DOM-002"),
]


def _records(family: str, attribute: str, value: str) -> list[AafRecord]:
    structure = AafRecord(
        "EtabEducNat",
        "1",
        {
            "ENTStructureJointure": ("1",),
            "ENTStructureUAI": (make_uai(779101),),
            "ENTStructureNomCourant": ("CLG$COLLEGE$MELUN",),
        },
    )
    if family == "EtabEducNat":
        return [structure.with_values(**{attribute: (value,)})]
    person = AafRecord(
        "PersRelEleve",
        "2",
        {
            "ENTPersonJointure": ("2",),
            "sn": ("NOM",),
            "givenName": ("Prénom",),
            attribute: (value,),
        },
    )
    return [structure, person]


def _rules(folder: Path) -> set[str]:
    return {rule for rule, count in validate(folder).by_rule.items() if count}


@pytest.mark.parametrize(("attribute", "family", "good", "bad", "rule"), DOMAINS)
def test_each_domain_accepts_good_and_flags_bad(
    attribute: str, family: str, good: str, bad: str, rule: str, tmp_path: Path
) -> None:
    write_aaf_files(_records(family, attribute, good), tmp_path / "bon")
    write_aaf_files(_records(family, attribute, bad), tmp_path / "mauvais")
    assert rule not in _rules(tmp_path / "bon")
    assert rule in _rules(tmp_path / "mauvais")


digits = st.text(alphabet=string.digits, min_size=8, max_size=8)


@given(digits)
def test_a_luhn_completed_siren_is_valid_and_any_other_last_digit_is_not(base: str) -> None:
    check = luhn.calc_check_digit(base)
    assert siren_problem(base + check) is None
    wrong = str((int(check) + 1) % 10)
    assert siren_problem(base + wrong) is not None


@given(st.from_regex(r"0[1-9]( ?[0-9]{2}){4}", fullmatch=True))
def test_french_numbers_in_any_spacing_are_phones(number: str) -> None:
    assert phone_problem(number) is None
    assert phone_problem("+33" + number[1:]) is None


@given(st.text(max_size=12))
def test_domain_checks_never_crash_and_answer_in_french(text: str) -> None:
    for check in (siren_problem, phone_problem, email_problem, postal_code_problem):
        problem = check(text)
        assert problem is None or isinstance(problem, str)


@given(st.text(max_size=5))
def test_nomenclature_codes_are_digits_of_their_length(text: str) -> None:
    for digits in (2, 3):
        expected_fine = len(text) == digits and all(c in string.digits for c in text)
        assert (code_problem(text, digits) is None) == expected_fine
    assert (contract_problem(text) is None) == (text in ("PU", "PR"))


@given(st.integers(min_value=1000, max_value=98999))
def test_postal_codes(number: int) -> None:
    assert postal_code_problem(f"{number:05d}") is None
    assert postal_code_problem(f"{number:05d}0") is not None
