"""Every rule of the catalogue, once passing and once failing, on a small consistent set.

A failing case must produce exactly its own finding (rule, file, record) and nothing else,
so that a rule cannot hide behind another; a passing case is a close variant that is valid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from sdet_check.aaf.families import Family
from sdet_check.aaf.generate import Record
from sdet_check.aaf.model import Op
from sdet_check.aaf.rules import RULES

from .conftest import AafSet, add, file_name, run

E, M, X, R, P, T = (
    Family.ETAB, Family.MEF, Family.MATIERE, Family.PERS_REL, Family.ELEVE, Family.PERS_EDUC,
)  # fmt: skip


@dataclass
class Case:
    """A way to break one rule (``fail``) and a close way not to (``ok``)."""

    rule: str
    fail: Callable[[AafSet], None]
    ok: Callable[[AafSet], None]
    family: Family  # file of the finding
    record: str | None  # record of the finding (None: the file as a whole)
    after: Callable[[AafSet, bool], None] | None = None  # runs on the written files


def _set(family: Family, name: str, values: list[str], key: str | None = None) -> Callable:
    def mutate(s: AafSet) -> None:
        s.record(family, key).set(name, values)

    return mutate


def _remove(family: Family, name: str) -> Callable:
    def mutate(s: AafSet) -> None:
        s.record(family).remove(name)

    return mutate


def _nothing(s: AafSet) -> None:
    return None


def _tail(text: str) -> Callable:
    def mutate(s: AafSet) -> None:
        s.options[M] = {"tail": text}

    return mutate


def _reencode(declared: str, actual: str) -> Callable[[AafSet, bool], None]:
    def rewrite(s: AafSet, failing: bool) -> None:
        path = s.path(R)
        text = path.read_bytes().decode("ISO-8859-15")
        text = text.replace('encoding="ISO-8859-15"', f'encoding="{declared}"')
        path.write_bytes(text.encode(actual if failing else declared))

    return rewrite


def _option(family: Family, **options: object) -> Callable:
    def mutate(s: AafSet) -> None:
        s.options[family] = options

    return mutate


def _rename(name: str) -> Callable:
    def mutate(s: AafSet) -> None:
        s.names[M] = name

    return mutate


def _header(version: str) -> Callable:
    def mutate(s: AafSet) -> None:
        s.options[M] = {"header": f'<!-- versionAF="{version}" -->\n'}

    return mutate


def _extra_xml(xml: str) -> Callable:
    def mutate(s: AafSet) -> None:
        s.record(M).extra_xml = xml

    return mutate


def _category(name: str, value: str) -> Callable:
    def mutate(s: AafSet) -> None:
        record = s.record(X)
        record.category_name, record.category_value = name, value

    return mutate


def _delete_subject(where: str) -> Callable:
    def mutate(s: AafSet) -> None:
        delete = Record(Op.DELETE, X, "020700", [])
        if where == "complet":
            s.records[X].append(delete)
        else:
            s.deltas[X] = [delete]

    return mutate


def _second_mef(key: str) -> Callable:
    def mutate(s: AafSet) -> None:
        s.records[M].append(add(M, key, ("ENTMefJointure", [key]), ("ENTLibelleMef", ["5EME"])))

    return mutate


def _add_attribute(family: Family, name: str, values: list[str]) -> Callable:
    def mutate(s: AafSet) -> None:
        s.record(family).attributes.append((name, values))

    return mutate


def _rename_attribute(family: Family, old: str, new: str) -> Callable:
    def mutate(s: AafSet) -> None:
        record = s.record(family)
        record.attributes = [(new if n == old else n, v) for n, v in record.attributes]

    return mutate


def _second_structure(s: AafSet) -> None:
    s.records[E].append(
        add(E, "101", ("ENTStructureJointure", ["101"]), ("ENTStructureUAI", ["0750655E"]),
            ("ENTStructureNomCourant", ["LYC$LYC COLETTE$PARIS"]))
    )  # fmt: skip
    s.record(T).set("ENTPersonStructRattach", ["100", "101"])


def _second_relative(exists: bool) -> Callable:
    def mutate(s: AafSet) -> None:
        if exists:
            s.records[R].append(
                add(R, "301", ("ENTPersonJointure", ["301"]), ("sn", ["DUPONT"]),
                    ("givenName", ["Jérôme"]), ("ENTAuxPersRelEleveEleve", ["200"]))
            )  # fmt: skip
        s.record(P).set("ENTElevePersRelEleve", ["300$10$1$1$1$1", "301$20$0$1$0$0"])

    return mutate


def _sibling(listed_by_relative: bool) -> Callable:
    def mutate(s: AafSet) -> None:
        sibling = add(
            P, "201", ("ENTPersonJointure", ["201"]), ("sn", ["LEFÈVRE"]), ("givenName", ["Léo"]),
            ("ENTPersonDateNaissance", ["03/03/2013"]), ("ENTPersonStructRattach", ["100"]),
            ("ENTElevePersRelEleve", ["300$10$1$1$1$1"]), ("ENTEleveClasses", ["100$6B"]),
        )  # fmt: skip
        s.records[P].append(sibling)
        pupils = ["200", "201"] if listed_by_relative else ["201"]
        s.record(R).set("ENTAuxPersRelEleveEleve", pupils)

    return mutate


def _second_subject(s: AafSet) -> None:
    s.records[X].append(
        add(X, "061300", ("ENTMatJointure", ["061300"]), ("ENTLibelleMatiere", ["MATHS"]))
    )
    s.record(T).set("ENTAuxEnsClassesMatieres", ["100$6A$020700", "100$6B$061300"])


def _delta_pupil(key: str) -> Callable:
    def mutate(s: AafSet) -> None:
        s.deltas[P] = [Record(Op.MODIFY, P, key, [("ENTEleveClasses", ["100$6B"])])]

    return mutate


CASES = [
    Case("AAF-XML-001", _tail("<addRequest>\n"), _tail("<!-- fin -->\n"), M, None),
    Case("AAF-ENC-001", _nothing, _nothing, R, None,
         after=_reencode("UTF-8", "ISO-8859-15")),
    Case("AAF-ENC-002", _option(M, declaration=False), _option(M, declaration=True), M, None),
    Case("AAF-NAME-001", _rename("mef.xml"), _rename(file_name(M, chunk=7)), M, None),
    Case("AAF-VER-001", _header("AAF-VE2413"), _header("AAF-VE1301"), M, None),
    Case("AAF-DTD-001", _extra_xml("<commentaire/>"), _extra_xml("<!-- commentaire -->"),
         M, "10010012110"),
    Case("AAF-DTD-002", _option(M, doctype=None),
         _option(M, doctype="<!DOCTYPE ficAlimMENESR SYSTEM 'dtd/ficAlimMENESR.dtd'>"), M, None),
    Case("AAF-OPATTR-001", _category("categorieMef", "MatiereEducNat"),
         _category("categorieMatiere", "MatEducNat"), X, "020700"),
    Case("AAF-OP-001", _delete_subject("complet"), _delete_subject("delta"), X, "020700"),
    Case("AAF-KEY-001", _second_mef("10010012110"), _second_mef("10110001110"),
         M, "10010012110"),
    Case("AAF-KEY-002", _set(T, "ENTPersonJointure", ["401"]), _nothing, T, "400"),
    Case("AAF-ATTR-001", _add_attribute(R, "ENTPersonSurnom", ["Jojo"]),
         _add_attribute(R, "mobile", ["0612345678"]), R, "300"),
    Case("AAF-ATTR-002", _remove(T, "givenName"),
         _rename_attribute(T, "givenName", "ENTPersonPrenom"), T, "400"),
    Case("AAF-ATTR-003", _set(T, "sn", ["MOREAU", "MORO"]),
         _add_attribute(T, "ENTPersonAutresPrenoms", ["Jean", "Paul"]), T, "400"),
    Case("AAF-ATTR-004", _add_attribute(P, "ENTElevePere", ["300"]),
         _add_attribute(P, "ENTEleveAutoriteParentale", ["300"]), P, "200"),
    Case("AAF-COMP-001", _set(E, "ENTEtablissementBassin", ["75001"]),
         _set(E, "ENTStructureGroupes", ["6LAT$0$6A$6B$6C"]), E, "100"),
    Case("AAF-DATE-001", _set(P, "ENTPersonDateNaissance", ["29/02/2023"]),
         _set(P, "ENTPersonDateNaissance", ["31/12/2012"]), P, "200"),
    Case("AAF-UAI-001", _set(E, "ENTStructureUAI", ["0750654E"]),
         _set(E, "ENTStructureUAI", ["0750655E"]), E, "100"),
    Case("AAF-VAL-001", _set(P, "ENTEleveBoursier", ["X"]), _set(P, "ENTEleveBoursier", ["O"]),
         P, "200"),
    Case("AAF-DOM-001", _set(E, "ENTStructureSIREN", ["73282932000075"]),
         _set(E, "ENTStructureSIREN", ["73282932000074"]), E, "100"),
    Case("AAF-DOM-002", _set(R, "mobile", ["06 12"]), _set(R, "mobile", ["06 12 34 56 78"]),
         R, "300"),
    Case("AAF-INE-001", _set(P, "ENTEleveINE", ["12345"]), _set(P, "ENTEleveINE", ["070803070AJ"]),
         P, "200"),
    Case("AAF-PROF-001", _remove(T, "ENTPersonFonctions"),
         _set(T, "ENTPersonFonctions", ["100$DOC$DOCUMENTATION$L0100$DOCUMENTATION"]), T, "400"),
    Case("AAF-PROF-002",
         _set(T, "ENTPersonFonctions", ["100$ENS$ENSEIGNEMENT$L0202$LETTRES", "100$ZZZ$AUTRE$$"]),
         _set(T, "ENTPersonFonctions", ["100$ENS$ENSEIGNEMENT$L0202$LETTRES", "100$AED$AED$$"]),
         T, "400"),
    Case("AAF-XREF-001", _set(T, "ENTPersonStructRattach", ["999"]), _second_structure, T, "400"),
    Case("AAF-XREF-002", _second_relative(False), _second_relative(True), P, "200"),
    Case("AAF-XREF-003", _sibling(False), _sibling(True), P, "200"),
    Case("AAF-XREF-004", _set(R, "ENTAuxPersRelEleveEleve", ["200", "999"]), _nothing, R, "300"),
    Case("AAF-XREF-005", _set(P, "ENTEleveClasses", ["100$6Z"]),
         _set(P, "ENTEleveClasses", ["100$6B"]), P, "200"),
    Case("AAF-XREF-006", _set(T, "ENTAuxEnsClassesMatieres", ["100$6A$999999"]),
         _second_subject, T, "400"),
    Case("AAF-XREF-007", _set(P, "ENTEleveMEF", ["99999999999"]), _nothing, P, "200"),
    Case("AAF-DELTA-001", _delta_pupil("999"), _delta_pupil("200"), P, "999"),
]  # fmt: skip


def test_cases_cover_the_whole_catalogue() -> None:
    assert sorted(case.rule for case in CASES) == sorted(RULES)


def test_base_set_is_clean(aaf_set: AafSet) -> None:
    result, findings = run(aaf_set.write())
    assert findings == []
    assert result.records == 6
    assert result.skipped == []


def _expected_file(case: Case, s: AafSet) -> str:
    if case.rule == "AAF-DELTA-001":
        return file_name(Family.ELEVE, "Delta", day="20240917")
    return s.names.get(case.family, file_name(case.family))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.rule)
def test_rule_fails_alone(case: Case, tmp_path: Path) -> None:
    s = AafSet(tmp_path / "aaf")
    case.fail(s)
    s.write()
    if case.after:
        case.after(s, True)
    _, findings = run(s.folder)
    assert {(f.rule, f.file, f.record) for f in findings} == {
        (case.rule, _expected_file(case, s), case.record)
    }, [f.message for f in findings]
    finding = findings[0]
    assert finding.severity is RULES[case.rule].severity
    assert finding.message and "{" not in finding.message
    assert finding.line is None or finding.line >= 1


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.rule)
def test_rule_passes_on_close_variant(case: Case, tmp_path: Path) -> None:
    s = AafSet(tmp_path / "aaf")
    case.ok(s)
    s.write()
    if case.after:
        case.after(s, False)
    _, findings = run(s.folder)
    assert [f.message for f in findings] == []
