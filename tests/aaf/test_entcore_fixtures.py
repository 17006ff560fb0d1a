"""Real AAF files from an open-source ENT (../shared/fixtures/aaf/entcore): they load, and
what they carry that breaks a rule is reported, exactly."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from lxml import etree

from sdet_check.aaf.dtd import BUILTIN_DTD, DtdOrigin
from sdet_check.aaf.families import SPECS, Family
from sdet_check.aaf.generate import GenerationOptions, generate
from sdet_check.aaf.model import Finding, SourceFile
from sdet_check.aaf.reader import discover

from .conftest import ENTCORE, needs_shared, run

pytestmark = needs_shared


def _summary(findings: list[Finding]) -> Counter[tuple[str, str | None, str | None]]:
    return Counter((f.rule, f.record, f.attribute) for f in findings)


def test_2020_set_structure_uai_and_dangling_structures() -> None:
    result, findings = run(ENTCORE / "2020")
    assert result.records == 2
    assert result.dtd.origin is DtdOrigin.BESIDE
    assert _summary(findings) == Counter(
        {
            ("AAF-UAI-001", "1", "ENTStructureUAI"): 1,
            ("AAF-UAI-001", "1", "ENTEtablissementUAI"): 1,
            ("AAF-DOM-001", "1", "ENTStructureSIREN"): 1,  # placeholder SIRET 10000000000000
            ("AAF-DOM-002", "1", "ENTEtablissementContrat"): 1,  # sector « OO »: PU or PR
            ("AAF-XREF-001", "2000000", "ENTPersonStructRattach"): 1,  # structure 1000
            ("AAF-XREF-001", "2000000", "ENTEleveClasses"): 1,  # structure 3000
        }
    )
    uai = next(f for f in findings if f.rule == "AAF-UAI-001")
    assert "0000000V" in uai.message and "lettre clé attendue A" in uai.message
    assert uai.line == 9
    skipped = {s.rule for s in result.skipped}
    assert {"AAF-XREF-002", "AAF-XREF-006", "AAF-XREF-007"} <= skipped
    assert {f.encoding for f in result.files} == {"UTF-8", "ISO-8859-15"}


def test_2024_before_set() -> None:
    result, findings = run(ENTCORE / "2024" / "before")
    assert result.dtd.origin is DtdOrigin.BUILTIN  # no DTD beside these files
    assert _summary(findings) == Counter(
        {
            ("AAF-UAI-001", "43", "ENTStructureUAI"): 1,
            ("AAF-UAI-001", "43", "ENTEtablissementUAI"): 1,
            ("AAF-DOM-001", "43", "ENTStructureSIREN"): 1,  # placeholder SIRET 01234567891234
            ("AAF-ATTR-004", "314159", "ENTAuxEnsDisciplinesPoste"): 1,
            ("AAF-ATTR-004", "314160", "ENTAuxEnsDisciplinesPoste"): 1,
            ("AAF-PROF-002", "314159", "ENTPersonFonctions"): 1,  # function code AEH
        }
    )
    assert all(f.version_af == "AAF-VE2407" for f in result.files)


def test_2024_after_set_without_its_structures() -> None:
    result, findings = run(ENTCORE / "2024" / "after")
    assert _summary(findings) == Counter(
        {
            ("AAF-ATTR-004", "314159", "ENTAuxEnsDisciplinesPoste"): 1,
            ("AAF-ATTR-004", "314160", "ENTAuxEnsDisciplinesPoste"): 1,
            ("AAF-ATTR-004", "314161", "ENTAuxEnsDisciplinesPoste"): 1,
            ("AAF-PROF-002", "314159", "ENTPersonFonctions"): 1,
        }
    )
    assert result.errors == 0
    assert "AAF-XREF-001" in {s.rule for s in result.skipped}


def test_one_file_can_be_validated_alone() -> None:
    file = ENTCORE / "2020" / "ENT_Complet_20200101_EtabEducNat_0000.xml"
    result, findings = run(file)
    assert [f.rule for f in findings] == [
        "AAF-UAI-001",
        "AAF-UAI-001",
        "AAF-DOM-001",
        "AAF-DOM-002",
    ]
    assert result.files[0].encoding == "ISO-8859-15"


def test_builtin_dtd_judges_like_the_fixture_dtd() -> None:
    theirs = etree.DTD(str(ENTCORE / "2020" / "ficAlimMENESR.dtd"))
    ours = etree.DTD(str(BUILTIN_DTD))
    samples = [
        "<addRequest><operationalAttributes><attr name='c'><value>v</value></attr>"
        "</operationalAttributes><identifier><id>1</id></identifier><attributes>"
        "<attr name='a'><value/></attr></attributes></addRequest>",
        "<modifyRequest><operationalAttributes><attr name='c'><value>v</value></attr>"
        "</operationalAttributes><identifier><id>1</id></identifier><modifications>"
        "<modification name='a' operation='replace'><value>x</value></modification>"
        "</modifications></modifyRequest>",
        "<modifyRequest><operationalAttributes><attr name='c'><value>v</value></attr>"
        "</operationalAttributes><identifier><id>1</id></identifier><modifications>"
        "<modification name='a' operation='add'><value>x</value></modification>"
        "</modifications></modifyRequest>",
        "<deleteRequest><operationalAttributes><attr name='c'><value>v</value></attr>"
        "</operationalAttributes><identifier><id>1</id></identifier></deleteRequest>",
        "<deleteRequest><identifier><id>1</id></identifier></deleteRequest>",
        "<addRequest><operationalAttributes><attr name='c'><value>v</value></attr>"
        "</operationalAttributes><identifier><id>1</id></identifier><attributes/></addRequest>",
        "<addRequest><operationalAttributes><attr><value>v</value></attr>"
        "</operationalAttributes><identifier><id>1</id></identifier><attributes>"
        "<attr name='a'><value>x</value></attr></attributes></addRequest>",
        "<ficAlimMENESR><deleteRequest><operationalAttributes><attr name='c'><value>v</value>"
        "</attr></operationalAttributes><identifier><id>1</id></identifier></deleteRequest>"
        "</ficAlimMENESR>",
        "<ficAlimMENESR><other/></ficAlimMENESR>",
    ]
    verdicts = [(theirs.validate(etree.XML(x)), ours.validate(etree.XML(x))) for x in samples]
    assert [a for a, _ in verdicts] == [b for _, b in verdicts]
    assert [a for a, _ in verdicts] == [True, True, False, True, False, False, False, True, False]


def _mapping(name: str) -> dict[str, dict[str, str]]:
    return json.loads((ENTCORE / "mapping" / "aaf" / name).read_text(encoding="utf-8"))


def test_our_inventory_covers_the_attributes_that_ent_reads() -> None:
    files = {
        Family.ELEVE: "Eleve.json",
        Family.PERS_REL: "PersRelEleve.json",
        Family.PERS_EDUC: "PersEducNat.json",
        Family.ETAB: "EtabEducNat.json",
        Family.MEF: "MefEducNat.json",
        Family.MATIERE: "MatEducNat.json",
    }
    for family, name in files.items():
        names = {n for n in _mapping(name) if not n.startswith("categorie")}
        missing = names - SPECS[family].known
        assert missing == set(), (family, missing)
        deprecated = {n for n, v in _mapping(name).items() if v["attribute"] == "deprecated"}
        # what that ENT calls deprecated is known to us (deprecated or 1st-degree current)
        assert deprecated <= SPECS[family].known


def _attribute_names(source: SourceFile) -> set[str]:
    text = source.path.read_bytes().decode(source.encoding)
    return set(re.findall(r'<attr name="([^"]+)">', text))


def test_every_attribute_in_the_fixture_files_is_in_our_inventory() -> None:
    for source in discover(ENTCORE / "2020") + discover(ENTCORE / "2024" / "after"):
        names = _attribute_names(source) - {"categoriePersonne", "categorieStructure"}
        assert source.family is not None
        assert names <= SPECS[source.family].known, names - SPECS[source.family].known


def test_generated_sets_cover_the_fixture_ground(tmp_path: Path) -> None:
    """What the real files exercise, the generated ones exercise too."""
    generate(tmp_path, GenerationOptions(structures=1))
    ours = discover(tmp_path)
    real = discover(ENTCORE / "2020") + discover(ENTCORE / "2024" / "before")
    assert {s.encoding for s in real} <= {s.encoding for s in ours}
    assert {s.family for s in real} <= {s.family for s in ours}
    assert {k for s in real for k in s.header} <= {k for s in ours for k in s.header}
    used = set()
    for source in real:
        used |= set(
            re.findall(r'<attr name="([^"]+)">', source.path.read_bytes().decode(source.encoding))
        )
    generated = set()
    for source in ours:
        generated |= set(
            re.findall(r'<attr name="([^"]+)">', source.path.read_bytes().decode(source.encoding))
        )
    deprecated = {"ENTAuxEnsDisciplinesPoste"}
    assert used - deprecated <= generated, (used - deprecated) - generated
