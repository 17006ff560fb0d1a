"""The rule catalogue, the family inventory and the national nomenclatures."""

from __future__ import annotations

import re
import string

import pytest

from sdet_check.aaf.families import SPECS, Family, Part, family_of_category
from sdet_check.aaf.nomenclature import (
    FUNCTION_PROFILES,
    NATIONAL_PROFILES,
    date_problem,
    ine_problem,
    national_profile,
    uai_letter,
    uai_problem,
    version_problem,
)
from sdet_check.aaf.rules import RULES, Severity
from sdet_check.grid import load_grid, resolve_grid


def test_rule_ids_are_stable_and_well_formed() -> None:
    assert len(RULES) == 32
    assert all(re.fullmatch(r"AAF-[A-Z]+-\d{3}", rule_id) for rule_id in RULES)
    assert all(rule.id == rule_id for rule_id, rule in RULES.items())


def test_every_rule_supports_requirements_of_the_current_grid() -> None:
    grid_ids = {r.id for r in load_grid(resolve_grid("sdet/6.4")).requirements}
    for rule in RULES.values():
        assert rule.requirements, rule.id
        assert set(rule.requirements) <= grid_ids, (rule.id, set(rule.requirements) - grid_ids)
    covered = {r for rule in RULES.values() for r in rule.requirements}
    aaf_requirements = {r for r in grid_ids if r.startswith(("DIR-AAF-", "DIR-PROF-"))}
    # DIR-AAF-007 (guardians' contact details) through the shapes of AAF-DOM-002.
    assert aaf_requirements - covered == set()


def test_messages_render_in_french_with_their_fields() -> None:
    names = ("detail", "encoding", "name", "value", "op", "key", "family", "count", "expected",
             "target", "back", "kind", "structure", "version")  # fmt: skip
    fields = dict.fromkeys(names, "X")
    for rule in RULES.values():
        used = {f for _, f, _, _ in string.Formatter().parse(rule.message) if f}
        assert used <= {*fields, "attribute"}, rule.id
        assert rule.render(attribute="A", **fields)
        assert rule.fix and rule.title
    assert {r.severity for r in RULES.values()} == {Severity.ERROR, Severity.WARNING}
    assert Severity.WARNING.label() == "avertissement" and Severity.ERROR.label("en") == "error"


def test_inventory_is_consistent() -> None:
    for family, spec in SPECS.items():
        assert spec.join_key in spec.known
        assert spec.join_key in spec.needed
        assert spec.deprecated <= spec.known
        assert not (spec.singles & spec.deprecated)
        for names in spec.mandatory:
            assert set(names) <= spec.known
        for attribute in spec.checked:
            if Part.CLASS in attribute.parts[1:] or Part.GROUP in attribute.parts[1:]:
                assert attribute.parts[0] == Part.STRUCT, attribute.name
        assert (
            family_of_category(
                *{
                    Family.ETAB: ("categorieStructure", "EtabEducNat"),
                    Family.MEF: ("categorieMef", "MefEducNat"),
                    Family.MATIERE: ("categorieMatiere", "MatEducNat"),
                    Family.PERS_REL: ("categoriePersonne", "PersRelEleve"),
                    Family.ELEVE: ("categoriePersonne", "Eleve"),
                    Family.PERS_EDUC: ("categoriePersonne", "PersEducNat"),
                }[family]
            )
            is family
        )
    assert family_of_category("categoriePersonne", "EtabEducNat") is None


@pytest.mark.parametrize(
    ("uai", "problem"),
    [
        ("0750654D", None),  # lycée Henri-IV
        ("0750655E", None),
        ("0049951V", None),
        ("0750654E", "lettre clé attendue D pour 0750654"),
        ("0000000V", "lettre clé attendue A pour 0000000"),
        ("075065D", "format attendu : 7 chiffres puis une lettre majuscule"),
        ("0750654d", "format attendu : 7 chiffres puis une lettre majuscule"),
    ],
)
def test_uai(uai: str, problem: str | None) -> None:
    assert uai_problem(uai) == problem


def test_uai_letters_skip_i_o_q() -> None:
    letters = {uai_letter(f"{n:07d}") for n in range(23)}
    assert letters == set("ABCDEFGHJKLMNPRSTUVWXYZ")
    assert uai_letter("0000023") == "A"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("29/02/2012", None),
        ("31/12/1999", None),
        ("29/02/2023", "cette date n'existe pas"),
        ("31/04/2012", "cette date n'existe pas"),
        ("00/01/2012", "cette date n'existe pas"),
        ("2012-02-01", "format attendu jj/mm/aaaa"),
        ("1/2/2012", "format attendu jj/mm/aaaa"),
    ],
)
def test_dates(value: str, problem: str | None) -> None:
    assert date_problem(value) == problem


def test_ine_and_versions() -> None:
    assert ine_problem("1234567890A") is None
    assert ine_problem("070803070AJ") is None
    assert ine_problem("12345678901") is not None
    assert ine_problem("1234567890a") is not None
    assert version_problem("AAF-VE2407") is None
    assert version_problem("AAF-VE1301") is None
    assert version_problem("AAF-VE2413") is not None
    assert version_problem("VE2407") is not None


def test_profiles_and_function_codes() -> None:
    assert national_profile("National_ELV") == "National_ELV"
    assert national_profile("National_elv") == "National_ELV"  # GAR spelling
    assert national_profile("National_1") is None
    assert set(FUNCTION_PROFILES.values()) <= set(NATIONAL_PROFILES)
    assert FUNCTION_PROFILES["ENS"] == "National_ENS"
    assert FUNCTION_PROFILES["DOC"] == "National_DOC"
    assert FUNCTION_PROFILES["EDU"] == "National_EVS"
    assert FUNCTION_PROFILES["DIR"] == "National_DIR"
    assert FUNCTION_PROFILES["INS"] == "National_ACA"
    assert FUNCTION_PROFILES["ADF"] == "National_ETA"
    assert FUNCTION_PROFILES["COLTER"] == "National_COL"
    assert "AEH" not in FUNCTION_PROFILES
