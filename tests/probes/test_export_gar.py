"""GAR-ENT files of the reference ENT against the GAR's published XSDs and sdet-check's own.

The published schemas are reference data of ``../shared/fixtures/gar/`` (never copied into
the project): the demo's files must validate against them (second degree and first degree),
and the schema sdet-check ships must give the same verdict on every file of the demo and of
every broken variant.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from probes.export import GarFilesProbe, own_schema
from probes.export.gar import NS_1D, NS_2D
from sdet_check.demo.annuaire import reference_population, write_aaf_files
from sdet_check.demo.exports import EXPORT_VARIANTS, write_gar_files
from sdet_check.probe import ProbeContext, Status
from sdet_check.target import load_target

GAR_FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "gar"
PUBLISHED = {"2d": GAR_FIXTURES / "GAR-ENT.xsd", "1d": GAR_FIXTURES / "GAR-ENT-1D.xsd"}
needs_published = pytest.mark.skipif(
    not all(path.is_file() for path in PUBLISHED.values()),
    reason=f"XSD publiées du GAR absentes : {GAR_FIXTURES} (dépôt partagé ../shared non monté)",
)
GAR_VARIANTS = [None, *sorted(v for v in EXPORT_VARIANTS if v.startswith("gar_"))]


def published(degree: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(PUBLISHED[degree])))


def verdicts(folder: Path, schema: etree.XMLSchema) -> dict[str, bool]:
    return {path.name: schema.validate(etree.parse(str(path))) for path in sorted(folder.iterdir())}


@needs_published
@pytest.mark.parametrize("degree", ["2d", "1d"])
def test_demo_gar_files_validate_against_the_published_xsd(tmp_path: Path, degree: str) -> None:
    files = write_gar_files(reference_population(), tmp_path, degree=degree)
    assert len(files) == 5
    schema = published(degree)
    for path in files:
        assert schema.validate(etree.parse(str(path))), (path.name, schema.error_log)


@needs_published
@pytest.mark.parametrize("degree", ["2d", "1d"])
@pytest.mark.parametrize("variant", GAR_VARIANTS)
def test_own_schema_agrees_with_the_published_one(
    tmp_path: Path, degree: str, variant: str | None
) -> None:
    write_gar_files(reference_population(), tmp_path, variant=variant, degree=degree)
    theirs = verdicts(tmp_path, published(degree))
    ours = verdicts(tmp_path, own_schema(NS_2D if degree == "2d" else NS_1D))
    assert ours == theirs
    # the missing field is the only defect a schema can see; the others need the annuaire
    assert all(theirs.values()) is (variant != "gar_champ_manquant")


def gar_context(folder: Path, variant: str | None, xsd: Path | None) -> ProbeContext:
    records = reference_population()
    write_aaf_files(records, folder / "aaf", prefix="ENT_Complet_20270101")
    write_gar_files(records, folder / "exports" / "gar", variant=variant)
    gar: dict[str, str] = {"path": "gar"}
    if xsd is not None:
        shutil.copy(xsd, folder / "exports" / "GAR-ENT.xsd")
        gar["xsd"] = "GAR-ENT.xsd"
    data = {
        "format": 1,
        "name": "GAR",
        "export": {"path": "exports", "gar": gar},
        "aaf": {"path": "aaf"},
    }
    (folder / "cible.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return ProbeContext(
        target=load_target(folder / "cible.yaml"),
        network_timeout=5,
        deadline=time.monotonic() + 60,
    )


@needs_published
@pytest.mark.parametrize("variant", GAR_VARIANTS)
def test_probe_with_the_published_xsd(tmp_path: Path, variant: str | None) -> None:
    outcome = GarFilesProbe().check({}, gar_context(tmp_path, variant, PUBLISHED["2d"]))
    assert outcome.status is (Status.PASS if variant is None else Status.FAIL), outcome.message
    rules = {e.data["rule"] for e in outcome.evidence if e.kind == "export_finding"}
    expected = {
        None: set(),
        "gar_champ_manquant": {"GAR-XSD"},
        "gar_uai_inconnue": {"GAR-XREF-UAI"},
        "gar_profil_divergent": {"GAR-XREF-PROFILE"},
    }[variant]
    assert expected <= rules


def test_gar_identifier_equal_to_the_join_key_is_reported(tmp_path: Path) -> None:
    context = gar_context(tmp_path, None, None)
    pupils = next((tmp_path / "exports" / "gar").glob("*_Eleve_0000.xml"))
    tree = etree.parse(str(pupils))
    first = tree.getroot()[0][0]
    assert etree.QName(first).localname == "GARPersonIdentifiant"
    first.text = "2001"  # Léa MARTINET's AAF join key
    tree.write(str(pupils), xml_declaration=True, encoding="UTF-8")
    outcome = GarFilesProbe().check({}, context)
    assert outcome.status is Status.FAIL
    assert "GAR-ID" in {e.data["rule"] for e in outcome.evidence if e.kind == "export_finding"}


def test_missing_gar_file_and_foreign_namespace_fail(tmp_path: Path) -> None:
    context = gar_context(tmp_path, None, None)
    folder = tmp_path / "exports" / "gar"
    next(folder.glob("*_RespAff_0000.xml")).unlink()
    outcome = GarFilesProbe().check({}, context)
    assert outcome.status is Status.FAIL
    assert "GAR-ENT-RespAff absent" in outcome.message


def test_not_connected_to_the_gar_is_not_applicable(tmp_path: Path) -> None:
    context = gar_context(tmp_path, None, None)
    raw = dict(context.target.raw)
    raw["saml"] = {"metadata_url": "https://idp.invalid/md", "gar": {"connected": False}}
    file = tmp_path / "cible.yaml"
    file.write_text(yaml.safe_dump(raw), encoding="utf-8")
    other = ProbeContext(load_target(file), 5, time.monotonic() + 60)
    assert GarFilesProbe().check({}, other).status is Status.NOT_APPLICABLE


def test_link_to_an_undeclared_person_or_group_fails(tmp_path: Path) -> None:
    context = gar_context(tmp_path, None, None)
    groups = next((tmp_path / "exports" / "gar").glob("*_Groupe_0000.xml"))
    tree = etree.parse(str(groups))
    links = [e for e in tree.getroot() if etree.QName(e).localname == "GARPersonGroupe"]
    assert links
    links[0][1].text = "identifiant-inconnu"
    links[1][2].text = "9Z"
    tree.write(str(groups), xml_declaration=True, encoding="UTF-8")
    outcome = GarFilesProbe().check({}, context)
    assert outcome.status is Status.FAIL
    places = [e.data["place"] for e in outcome.evidence if e.data.get("rule") == "GAR-XREF-LINK"]
    assert places == ["GARPersonGroupe n° 1", "GARPersonGroupe n° 2"]


@needs_published
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_own_schema_agrees_on_files_with_an_element_removed(data: st.DataObject) -> None:
    degree = data.draw(st.sampled_from(["2d", "1d"]))
    roots = demo_roots(degree)
    kind = data.draw(st.sampled_from(sorted(roots)))
    root = etree.fromstring(roots[kind])
    elements = [e for e in root.iter() if e is not root]
    victim = elements[data.draw(st.integers(0, len(elements) - 1))]
    parent = victim.getparent()
    assert parent is not None
    parent.remove(victim)
    document = etree.ElementTree(root)
    theirs = published_schemas()[degree].validate(document)
    ours = own_schema(NS_2D if degree == "2d" else NS_1D).validate(document)
    assert ours == theirs, (kind, etree.QName(victim).localname)


@functools.cache
def demo_roots(degree: str) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as folder:
        files = write_gar_files(reference_population(), Path(folder), degree=degree)
        return {path.name.split("_")[-2]: path.read_bytes() for path in files}


@functools.cache
def published_schemas() -> dict[str, etree.XMLSchema]:
    return {degree: published(degree) for degree in PUBLISHED}
