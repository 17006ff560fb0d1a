"""The reader's fast path: a canonical request reads exactly as the element-by-element path."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from sdet_check.aaf import Finding, dtd, intmap, validate
from sdet_check.aaf.dtd import BUILTIN_DTD, DtdOrigin, load_dtd
from sdet_check.aaf.families import SPECS, Family, family_of_category
from sdet_check.aaf.generate import GenerationOptions, generate
from sdet_check.aaf.reader import _read_canonical, _read_loosely, _read_valid
from sdet_check.aaf.rules import RULES

validate_module = importlib.import_module("sdet_check.aaf.validate")
VALIDATOR = load_dtd(BUILTIN_DTD, DtdOrigin.BUILTIN)
_PARSER = etree.XMLParser(remove_blank_text=True, resolve_entities=False, load_dtd=False)


def _same_reading(element: etree._Element, family: Family | None) -> bool:
    """Assert the fast path agrees with libxml2 and the slow path; True if it was taken."""
    fast = _read_canonical(element, family)
    problems = VALIDATOR.problems(element)
    if fast is None:
        return False
    assert problems == [], etree.tostring(element)
    slow = _read_valid(element, family)
    category, key, attributes, lines, repeated, multi = fast
    assert (category, key, attributes, repeated, multi) == (
        slow[0], slow[1], slow[2], slow[4], slow[5],
    )  # fmt: skip
    effective = family_of_category(*category) or family
    located = SPECS[effective].located if effective is not None else set(attributes)
    for name, line in lines.items():
        assert name in located and slow[3][name] == line
    for name in located:
        if attributes.get(name):
            assert lines[name] == slow[3][name]
    return True


def test_builtin_dtd_and_its_copies_allow_the_fast_path(tmp_path: Path) -> None:
    assert VALIDATOR.builtin_rules
    copy = tmp_path / "ficAlimMENESR.dtd"
    copy.write_text("<!-- another wording -->\n" + BUILTIN_DTD.read_text())
    assert load_dtd(copy, DtdOrigin.BESIDE).builtin_rules
    copy.write_text(BUILTIN_DTD.read_text().replace("(attr+)", "(attr*)"))
    assert not load_dtd(copy, DtdOrigin.BESIDE).builtin_rules
    copy.write_text(BUILTIN_DTD.read_text() + "<!ATTLIST value lang CDATA #IMPLIED>\n")
    assert not load_dtd(copy, DtdOrigin.BESIDE).builtin_rules


def test_every_generated_request_reads_the_same_both_ways(tmp_path: Path) -> None:
    generate(tmp_path, GenerationOptions(structures=1, seed=3, defects=frozenset(RULES)))
    fast = slow = 0
    for path in sorted(tmp_path.glob("*.xml")):
        try:
            root = etree.parse(str(path), _PARSER).getroot()
        except (etree.XMLSyntaxError, OSError):
            continue  # truncated or badly encoded on purpose
        for element in root.iter("addRequest", "modifyRequest", "deleteRequest"):
            for family in (*Family, None):
                if _same_reading(element, family):
                    fast += 1
                else:
                    slow += 1
    assert fast > 1000 and slow > 0


_HEAD = (
    '<operationalAttributes><attr name="categoriePersonne"><value>Eleve</value></attr>'
    "</operationalAttributes><identifier><id>7</id></identifier>"
)


@pytest.mark.parametrize(
    ("xml", "taken"),
    [
        (f'<addRequest>{_HEAD}<attributes><attr name="sn"><value>A</value></attr>'
         "</attributes></addRequest>", True),
        (f'<addRequest>{_HEAD}<attributes><attr name="sn"><value/><value>A</value>'
         '<value></value></attr><attr name="ENTEleveClasses"><value>1$6A</value>'
         "<value>1$6B</value></attr></attributes></addRequest>", True),
        (f'<addRequest>{_HEAD}<attributes><attr name="sn"><value>A</value></attr>'
         '<attr name="sn"><value>B</value></attr></attributes></addRequest>', False),
        (f'<addRequest>{_HEAD}<attributes><!-- note --><attr name="sn"><value>A</value>'
         "</attr></attributes></addRequest>", False),
        (f'<addRequest>{_HEAD}<attributes><attr name="sn"><value>A &amp; B</value></attr>'
         "</attributes></addRequest>", False),
        (f'<addRequest>{_HEAD}<attributes><attr name="sn"><value><![CDATA[A > B]]></value>'
         "</attr></attributes></addRequest>", False),
        (f'<addRequest>{_HEAD}<attributes><attr name="sn" lang="fr"><value>A</value></attr>'
         "</attributes></addRequest>", False),
        (f'<addRequest>{_HEAD}<attributes><attr name="sn"><value>A<b/></value></attr>'
         "</attributes></addRequest>", False),
        (f'<addRequest>{_HEAD}<attributes><attr name="sn"><value>A</value></attr>texte'
         "</attributes></addRequest>", False),
        (f"<addRequest>{_HEAD}</addRequest>", False),
        (f'<addRequest>{_HEAD}<attributes><attr name="sn"/></attributes></addRequest>', False),
        (f'<addRequest>{_HEAD}<attributes><attr name="sn"><value>A<value>B</value></value>'
         "</attr></attributes></addRequest>", False),
        (f'<addRequest>{_HEAD}<attributes><attr name="sn"><value>A</value>B</attr>'
         "</attributes></addRequest>", False),
        (f'<addRequest>{_HEAD}<attributes><attr name="sn"><value>A</value></attr>'
         '</attributes><attributes><attr name="mail"><value>B</value></attr></attributes>'
         "</addRequest>", False),
        (f'<addRequest>{_HEAD}<attributes><attr name="sn"><value>A</value></attr>'
         '<value>C</value><attr name="mail"><value>B</value></attr></attributes>'
         "</addRequest>", False),
        (f'<addRequest>{_HEAD}<attributes><attr name=\'a"b\'><value>A</value></attr>'
         "</attributes></addRequest>", False),
        (f'<addRequest>{_HEAD}<attributes><attr name="sn"><value>"A"</value></attr>'
         '<attr name="mail"><value/><value/></attr></attributes></addRequest>', True),
        (f'<modifyRequest>{_HEAD}<modifications><modification name="sn" operation="replace" '
         'x="y"><value>A</value></modification></modifications></modifyRequest>', False),
        (f"<deleteRequest>{_HEAD}<identifier><id>8</id></identifier></deleteRequest>", False),
        (f'<deleteRequest>{_HEAD}<attributes><attr name="sn"><value>A</value></attr>'
         "</attributes></deleteRequest>", False),
        (f"<deleteRequest>{_HEAD}</deleteRequest>", True),
        (f'<modifyRequest>{_HEAD}<modifications><modification name="sn" operation="replace">'
         "<value>A</value></modification></modifications></modifyRequest>", True),
        (f'<modifyRequest>{_HEAD}<modifications><modification operation="replace" name="sn">'
         "<value>A</value></modification></modifications></modifyRequest>", False),
        (f'<modifyRequest>{_HEAD}<modifications><modification name="sn" operation="add">'
         "<value>A</value></modification></modifications></modifyRequest>", False),
        (f'<modifyRequest>{_HEAD}<attributes><attr name="sn"><value>A</value></attr>'
         "</attributes></modifyRequest>", False),
        (f'<addRequest xmlns="urn:x">{_HEAD}<attributes><attr name="sn"><value>A</value>'
         "</attr></attributes></addRequest>", False),
        ('<addRequest><operationalAttributes><attr name="categoriePersonne"><value/></attr>'
         "</operationalAttributes><identifier><id/></identifier><attributes>"
         '<attr name="personalTitle"><value>M.</value><value>Mme</value></attr>'
         "</attributes></addRequest>", True),
    ],
)  # fmt: skip
def test_tricky_requests(xml: str, taken: bool) -> None:
    root = etree.fromstring(f"<ficAlimMENESR>\n{xml}\n</ficAlimMENESR>", _PARSER)
    element = root[0]
    for family in (Family.ELEVE, Family.PERS_REL, None):
        assert _same_reading(element, family) is taken
    if not taken:
        assert _read_loosely(element, Family.ELEVE) is not None


def test_findings_do_not_depend_on_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate(tmp_path, GenerationOptions(structures=2, seed=8, defects=frozenset(RULES)))

    def findings() -> list[Finding]:
        found: list[Finding] = []
        validate(tmp_path, on_finding=found.append)
        return found

    fast = findings()
    monkeypatch.setattr(dtd, "_BUILTIN", [frozenset()])
    slow = findings()
    assert len(fast) >= len(RULES) and fast == slow


def test_findings_do_not_depend_on_lazy_lines_nor_on_index_merges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines found on demand and an identifier index merged every few entries change nothing."""
    generate(tmp_path, GenerationOptions(structures=2, seed=9, defects=frozenset(RULES)))

    def findings() -> list[Finding]:
        found: list[Finding] = []
        validate(tmp_path, on_finding=found.append)
        return found

    lazy = findings()
    eager_scan = validate_module.FileScan

    def eager(*args: Any, **options: Any) -> Any:
        return eager_scan(*args, **{**options, "locate": True})

    monkeypatch.setattr(validate_module, "FileScan", eager)
    eager_found = findings()
    small_batch = intmap.IntMap.__init__

    def tiny(self: intmap.IntMap, batch: int = 2, **options: int) -> None:
        small_batch(self, 2, value_bits=options.get("value_bits", 64), segment=3)

    monkeypatch.setattr(intmap.IntMap, "__init__", tiny)
    merged = findings()
    cross = [f for f in lazy if f.rule.startswith("AAF-XREF")]
    assert len(cross) >= 7 and all(f.line for f in cross)
    assert lazy == eager_found == merged
