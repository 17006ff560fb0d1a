"""The SDET annuaire vocabulary, the pseudonymiser, the audit rules and the demo population."""

from __future__ import annotations

import base64
from datetime import date
from pathlib import Path

import pytest

from probes import _ldap_audit as audit_module
from probes._ldap_audit import RULES, DirectoryAudit
from probes._ldap_reconcile import RECONCILE_RULES, Reconciliation
from sdet_check.aaf.feed import FeedRecord
from sdet_check.demo.annuaire import (
    INJECTED_DEFECTS,
    AafRecord,
    defective_population,
    reference_population,
)
from sdet_check.demo.ldap import (
    ENT_SCHEMA,
    _schema_attributes,
    iter_entries,
    profiles_of,
    ssha,
    to_entry,
    write_ldif,
)
from sdet_check.pseudonym import PREFIX, Pseudonymiser
from sdet_check.sdet_model import (
    NATIONAL_PROFILES,
    join_key_id,
    make_uai,
    parse_date,
    uai_check_letter,
    uai_problem,
    value_shape,
)

TODAY = date(2026, 6, 1)


# --- SDET vocabulary ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "letter"), [("0750680", "G"), ("0000000", "A"), ("0000022", "Z"), ("0000023", "A")]
)
def test_uai_check_letter(digits: str, letter: str) -> None:
    assert uai_check_letter(digits) == letter


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("0750680G", None),
        ("0750680H", "lettre clé H incorrecte, G attendue"),
        ("0750680g", "format invalide"),
        ("075068G", "format invalide"),
        ("0750680I", "lettre clé I incorrecte"),
        ("", "format invalide"),
        ("０７５０６８０G", "format invalide"),  # full-width digits are not ASCII digits
    ],
)
def test_uai_problem(value: str, problem: str | None) -> None:
    found = uai_problem(value)
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem)


def test_make_uai_round_trips() -> None:
    for number in (0, 1, 750680, 9999999):
        assert uai_problem(make_uai(number)) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("14/03/2013", date(2013, 3, 14)), ("2013-03-14", date(2013, 3, 14))],
)
def test_parse_date(value: str, expected: date) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("31/02/2013", "date inexistante au calendrier"),
        ("2013/03/14", "format non reconnu"),
        ("14-03-2013", "format non reconnu"),
        ("", "format non reconnu"),
    ],
)
def test_parse_date_refuses_without_repeating_the_value(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as raised:
        parse_date(value)
    if value:
        assert value not in str(raised.value)


def test_value_shape_hides_content() -> None:
    assert value_shape("31/02/2013") == "99/99/9999"
    assert value_shape("Léa M.") == "Aaa A."
    assert value_shape("x" * 50).endswith("…")


@pytest.mark.parametrize(
    ("value", "identifier"),
    [("MENESR$1234", "1234"), ("1234", "1234"), ("ENT$abc", "abc"), ("a$b", "a$b"), ("$1", "$1")],
)
def test_join_key_id(value: str, identifier: str) -> None:
    assert join_key_id(value) == identifier


# --- pseudonymiser ------------------------------------------------------------------------


def test_pseudonyms_are_stable_salted_and_counted() -> None:
    first = Pseudonymiser(b"sel")
    assert first.value("MARTINET", "sn") == first.value("MARTINET", "sn")
    assert first.value("MARTINET", "sn").startswith(PREFIX)
    assert "MARTINET" not in first.value("MARTINET", "sn")
    assert Pseudonymiser(b"autre").value("MARTINET", "sn") != first.value("MARTINET", "sn")
    assert first.masked["sn"] == 5
    assert first.describe()["salt"] == "target"
    assert Pseudonymiser().describe()["salt"] == "random"
    assert first.describe()["method"] == "hmac-sha256-40" and first.describe()["prefix"] == PREFIX


@pytest.mark.parametrize(
    ("dn", "kept", "masked"),
    [
        ("uid=lea.martinet,ou=people,dc=ent,dc=test", ",ou=people,dc=ent,dc=test", 1),
        (r"cn=Martinet\, Léa,ou=3A,dc=ent,dc=test", ",ou=3A,dc=ent,dc=test", 1),
        ("cn=Léa+sn=Martinet,dc=ent,dc=test", ",dc=ent,dc=test", 2),
        ("uid=seul", "", 1),
    ],
)
def test_dn_pseudonymisation_masks_the_leftmost_rdn(dn: str, kept: str, masked: int) -> None:
    shown = Pseudonymiser(b"sel").dn(dn)
    assert shown.endswith(kept)
    assert "Martinet" not in shown and "Léa" not in shown and "lea" not in shown
    assert shown.count(PREFIX) == masked


def test_disabled_pseudonymiser_keeps_values() -> None:
    off = Pseudonymiser(enabled=False)
    assert off.dn("uid=x,dc=test") == "uid=x,dc=test"
    assert off.value("x", "sn") == "x"
    assert not off.masked


# --- audit rules, without a directory -----------------------------------------------------


def kind_of(object_classes: list[str]) -> str:
    """The kind the scan's searches would give an entry of these classes."""
    if "ENTStructure" in object_classes:
        return "structure"
    if "ENTEleve" in object_classes:
        return "pupil"
    return "relative" if "ENTAuxPersRelEleve" in object_classes else "person"


def audit_of(records: list[AafRecord]) -> dict[str, int]:
    audit = DirectoryAudit(Pseudonymiser(b"sel"), TODAY)
    for dn, attributes in iter_entries(records):
        kind = kind_of(attributes["objectClass"])
        audit.add(dn, {name.lower(): list(values) for name, values in attributes.items()}, kind)
    report = audit.finish()
    return {rule: report.count(rule) for rule in RULES}


def test_reference_population_is_conformant() -> None:
    assert not any(audit_of(reference_population()).values())


def test_defective_population_carries_one_defect_per_rule() -> None:
    records, injected = defective_population()
    counts = audit_of(records)
    assert injected == INJECTED_DEFECTS
    assert {rule for rule, count in counts.items() if count} == set(injected)


def test_entries_without_join_key_are_found() -> None:
    # A directory can hold what the ENT schema of the reference slapd refuses to load.
    audit = DirectoryAudit(Pseudonymiser(b"sel"), TODAY)
    for dn, attributes in iter_entries(reference_population()):
        entry = {name.lower(): list(values) for name, values in attributes.items()}
        if dn.startswith(("uid=pers-4001,", "ou=1002,")):
            entry.pop("entpersonjointure", None)
            entry.pop("entstructurejointure", None)
        audit.add(dn, entry, kind_of(attributes["objectClass"]))
    report = audit.finish()
    assert report.count("AAF-KEY-002") == 2  # one person, one structure
    assert report.count("AAF-KEY-001") == 0
    details = {example["detail"] for example in report.findings["AAF-KEY-002"].examples}
    assert details == {"personne sans ENTPersonJointure", "structure sans ENTStructureJointure"}


def test_links_are_checked_from_both_sides() -> None:
    records = {record.identifier: record for record in reference_population()}
    # A relative naming a pupil who does not name them back: found from the relative's side.
    records["3003"] = records["3003"].with_values(ENTAuxPersRelEleveEleve=("2003", "2004"))
    counts = audit_of(list(records.values()))
    assert counts["AAF-XREF-004"] == 1  # relative → pupil, not returned
    assert counts["AAF-XREF-002"] == counts["AAF-XREF-003"] == 0


def test_join_keys_with_a_source_prefix_resolve() -> None:
    records = {record.identifier: record for record in reference_population()}
    records["3004"] = records["3004"].with_values(ENTPersonJointure=("MENESR$3004",))
    assert not any(audit_of(list(records.values())).values())


def test_attachment_by_dn_resolves() -> None:
    records = {record.identifier: record for record in reference_population()}
    records["4001"] = records["4001"].with_values(
        ENTPersonStructRattach=("ou=1001, ou=structures ,dc=ent,dc=test",)
    )
    records["4002"] = records["4002"].with_values(
        ENTPersonStructRattach=("ou=1999,ou=structures,dc=ent,dc=test",)
    )
    counts = audit_of(list(records.values()))
    assert counts["AAF-XREF-001"] == 1


def test_ages_are_judged_by_profile() -> None:
    records = {record.identifier: record for record in reference_population()}
    records["3001"] = records["3001"].with_values(ENTPersonDateNaissance=("01/01/2015",))
    records["2001"] = records["2001"].with_values(ENTPersonDateNaissance=("01/01/2030",))
    counts = audit_of(list(records.values()))
    assert counts["LDAP-DATE-001"] == 1  # an eleven-year-old guardian
    assert counts["AAF-DATE-001"] == 1  # a pupil born in the future


def test_profiles_are_checked_against_the_national_list() -> None:
    records = {record.identifier: record for record in reference_population()}
    records["4001"] = records["4001"].with_values(ENTPersonProfils=())
    records["4002"] = records["4002"].with_values(ENTPersonProfils=("national_ens",))
    assert audit_of(list(records.values()))["AAF-PROF-001"] == 2


def test_examples_are_bounded_but_counts_are_not() -> None:
    audit = DirectoryAudit(Pseudonymiser(b"sel"), TODAY, examples_kept=3)
    for index in range(10):
        audit.add(f"uid=p{index},dc=t", {"entpersonjointure": [str(index)]}, "person")
    findings = audit.finish().findings["AAF-PROF-001"]
    assert findings.count == 10 and len(findings.examples) == 3


def test_remembered_checks_are_bounded_and_change_no_verdict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(audit_module, "REMEMBERED_VALUES", 3)
    audit = DirectoryAudit(Pseudonymiser(b"sel"), TODAY)
    births = ["01/02/1980", "31/02/1980", "1980-02-03", "31/02/1980", "xx", "01/02/1980", "xx"]
    for index, born in enumerate(births):
        person = {
            "entpersonjointure": [str(index)],
            "entpersonprofils": ["National_ENS"],
            "entpersondatenaissance": [born],
            "entpersonstructrattachrne": ["0750680G" if index % 2 else "0750680H"],
        }
        audit.add(f"uid=p{index},dc=t", person, "person")
    report = audit.finish()
    # Every invalid value found each time, remembered or not.
    assert report.count("AAF-DATE-001") == 4
    assert report.count("AAF-UAI-001") == 4
    assert len(audit._dates) == 3 and len(audit._uais) == 2


# --- records → entries --------------------------------------------------------------------


def test_profiles_come_from_functions() -> None:
    staff = {r.identifier: r for r in reference_population() if r.category == "PersEducNat"}
    assert profiles_of(staff["4004"]) == ("National_DOC",)
    assert profiles_of(staff["4006"]) == ("National_EVS",)
    assert profiles_of(staff["4007"]) == ("National_ETA",)
    assert {profiles_of(r)[0] for r in staff.values()} <= set(NATIONAL_PROFILES)


def test_entries_keep_only_what_the_schema_allows() -> None:
    pupil = AafRecord(
        "Eleve",
        "9",
        {"sn": ("X",), "ENTAuxEnsClasses": ("1$6A",), "categoriePersonne": ("Eleve",), "mail": ()},
    )
    dn, attributes = to_entry(pupil)
    assert dn == "uid=eleve-9,ou=people,dc=ent,dc=test"
    assert "ENTAuxEnsClasses" not in attributes and "categoriePersonne" not in attributes
    assert "mail" not in attributes
    assert attributes["ENTPersonJointure"] == ["9"]
    assert attributes["ENTPersonProfils"] == ["National_ELV"]
    assert "ENTEleve" in attributes["objectClass"]


def test_schema_classes_cover_the_entries() -> None:
    classes = _schema_attributes()
    assert {"ENTPerson", "ENTEleve", "ENTAuxEnseignant", "ENTStructure"} <= set(classes)
    assert "ENTPersonJointure" in classes["ENTPerson"]
    assert "2.25." in ENT_SCHEMA.read_text(encoding="utf-8")


def test_ldif_encodes_what_needs_it(tmp_path: Path) -> None:
    file = tmp_path / "x.ldif"
    count = write_ldif(
        file,
        [("uid=a,dc=t", {"sn": ["Léa"], "cn": [" espace"], "l": ["PARIS"], "x": [":y"]})],
    )
    text = file.read_text(encoding="utf-8")
    assert count == 1
    assert "l: PARIS\n" in text
    assert f"sn:: {base64.b64encode('Léa'.encode()).decode()}\n" in text
    assert "cn:: " in text and "x:: " in text


def test_ssha_is_salted() -> None:
    assert ssha("secret").startswith("{SSHA}")
    assert ssha("secret") != ssha("secret")


# --- reconciliation, without a directory --------------------------------------------------


def reconcile(records: list[AafRecord], feed: list[AafRecord]) -> dict[str, int]:
    reconciliation = Reconciliation(Pseudonymiser(b"sel"))
    for dn, attributes in iter_entries(records):
        lowered = {name.lower(): list(values) for name, values in attributes.items()}
        reconciliation.directory(dn, lowered, kind_of(attributes["objectClass"]))
    for record in feed:
        wanted = {name: list(values) for name, values in record.attributes.items()}
        reconciliation.feed(FeedRecord(record.category, "add", record.identifier, wanted))
    report = reconciliation.finish()
    return {rule: report.count(rule) for rule in RECONCILE_RULES}


def test_only_families_the_feed_carries_are_expected() -> None:
    records = reference_population()
    pupils_only = [record for record in records if record.category == "Eleve"]
    counts = reconcile(records, pupils_only)
    assert counts == dict.fromkeys(RECONCILE_RULES, 0)


def test_source_prefixed_keys_and_date_forms_match() -> None:
    records = {record.identifier: record for record in reference_population()}
    feed = dict(records)
    records["3001"] = records["3001"].with_values(ENTPersonJointure=("MENESR$3001",))
    feed["2001"] = feed["2001"].with_values(ENTPersonDateNaissance=("2013-03-14",))
    counts = reconcile(list(records.values()), list(feed.values()))
    assert counts == dict.fromkeys(RECONCILE_RULES, 0)
