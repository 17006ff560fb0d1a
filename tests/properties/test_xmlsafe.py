"""Properties of sdet_check.xmlsafe.parse_hostile_xml, the parser of everything XML a target sends.

Any bytes give an element or HostileResponse, never another exception; a DTD or an entity
declaration is never accepted, wherever it stands and in whatever encoding; size and depth
are bounded; a well-formed document without DTD reads back to the tree it was written from.
"""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from lxml import etree

from sdet_check.probe import HostileResponse
from sdet_check.xmlsafe import MAX_XML_DEPTH, parse_hostile_xml
from tests.strategies import budget

FRAGMENTS = [
    b"<?xml version='1.0'?>", b"<?xml version='1.0' encoding='UTF-16'?>", b"<a>", b"</a>",
    b"<b x='1'>", b"</b>", b"<!DOCTYPE a [", b"<!ENTITY e SYSTEM 'file:///etc/hostname'>",
    b"]>", b"&e;", b"&amp;", b"&#0;", b"&#x10FFFF;", b"<![CDATA[", b"]]>", b"<!--", b"-->",
    b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"\x00", b"\x80", b"<", b">", b"'", b'"',
    b"xmlns:x='urn:x'", b"<x:a>", b"<?pi data?>", b"\n",
]  # fmt: skip
xml_bytes = st.one_of(
    st.binary(max_size=200),
    st.lists(st.sampled_from(FRAGMENTS), max_size=25).map(b"".join),
)


@budget(ci=12000)
@given(xml_bytes)
def test_any_bytes_give_an_element_or_hostile_response(data: bytes) -> None:
    try:
        root = parse_hostile_xml(data)
    except HostileResponse as refused:
        assert str(refused) and refused.evidence
        return
    assert isinstance(root.tag, str)
    assert b"<!doctype" not in data.lower()


# --- DTDs and entities ---------------------------------------------------------------------

DTDS = [
    "<!DOCTYPE a>",
    "<!DOCTYPE a SYSTEM 'file:///etc/hostname'>",
    "<!DOCTYPE a [<!ENTITY e SYSTEM 'file:///etc/hostname'>]>",
    "<!DOCTYPE a [<!ENTITY e 'x'><!ENTITY f '&e;&e;'>]>",
    "<!doctype a PUBLIC '-//X//EN' 'http://127.0.0.1:9/x.dtd'>",
]


@st.composite
def documents_with_dtd(draw: st.DrawFn) -> tuple[bytes, str]:
    """A document carrying a DOCTYPE, encoded as its declaration says."""
    encoding = draw(st.sampled_from(["UTF-8", "UTF-16", "UTF-16LE", "UTF-16BE", "ISO-8859-1"]))
    declaration = draw(st.booleans()) or encoding.startswith("UTF-16")
    # A comment or a processing instruction may push the DOCTYPE past any head the parser peeks at.
    padding = draw(st.sampled_from([0, 10, 4096, 5000]))
    prolog = f"<?xml version='1.0' encoding='{encoding}'?>" if declaration else ""
    text = prolog + f"<!--{'x' * padding}-->" + draw(st.sampled_from(DTDS)) + "<a>&e;</a>"
    if encoding == "UTF-16" and draw(st.booleans()):
        return text.encode("utf-16-be"), encoding  # no BOM: declared only
    return text.encode(encoding.replace("UTF-16", "utf-16", 1)), encoding


@budget(ci=300)
@given(documents_with_dtd().filter(lambda case: case[1] == "UTF-8"))
def test_a_doctype_in_the_first_bytes_of_utf8_is_refused(case: tuple[bytes, str]) -> None:
    data, _ = case
    # Refused either for its DOCTYPE or, written in lower case, as malformed XML.
    with pytest.raises(HostileResponse, match=r"DOCTYPE|mal formée"):
        parse_hostile_xml(data)


@budget(ci=300)
@given(documents_with_dtd())
@example((("<!--" + "x" * 5000 + "--><!DOCTYPE a><a/>").encode(), "UTF-8"))
@example(("<?xml version='1.0' encoding='UTF-16'?><!DOCTYPE a><a/>".encode("utf-16"), "UTF-16"))
def test_a_doctype_is_refused_wherever_and_however_encoded(case: tuple[bytes, str]) -> None:
    data, _ = case
    with pytest.raises(HostileResponse):
        parse_hostile_xml(data)


# --- bounds ----------------------------------------------------------------------------------


@budget(ci=500)
@given(st.integers(MAX_XML_DEPTH + 1, MAX_XML_DEPTH * 40))
def test_nesting_deeper_than_the_bound_is_refused(depth: int) -> None:
    data = b"<a>" * depth + b"</a>" * depth
    with pytest.raises(HostileResponse):
        parse_hostile_xml(data)


@budget(ci=500)
@given(st.integers(1, MAX_XML_DEPTH))
def test_nesting_within_the_bound_is_read(depth: int) -> None:
    data = b"<a>" * depth + b"</a>" * depth
    assert parse_hostile_xml(data).tag == "a"


@budget(ci=7000)
@given(st.binary(min_size=1, max_size=64), st.integers(0, 32))
def test_size_above_the_limit_is_refused_before_parsing(data: bytes, under: int) -> None:
    limit = max(0, len(data) - 1 - under)
    with pytest.raises(HostileResponse, match="refusée"):
        parse_hostile_xml(data, max_bytes=limit)


# --- round trip ------------------------------------------------------------------------------

names = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_.-]{0,8}\Z").filter(
    lambda n: not n.lower().startswith("xml")
)
xml_chars = st.characters(
    codec="utf-8",
    exclude_categories=("Cs",),
    exclude_characters="".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n")
    + "\r\ufffe\uffff",
)
texts = st.text(xml_chars, max_size=12)

Tree = tuple[str, dict[str, str], str, list[Any]]
trees: st.SearchStrategy[Tree] = st.recursive(
    st.tuples(names, st.dictionaries(names, texts, max_size=2), texts, st.just([])),
    lambda children: st.tuples(
        names, st.dictionaries(names, texts, max_size=2), texts, st.lists(children, max_size=3)
    ),
    max_leaves=12,
)


def _build(tree: Tree) -> etree._Element:
    tag, attributes, text, children = tree
    element = etree.Element(tag, attributes)
    element.text = text or None
    for child in children:
        element.append(_build(child))
    return element


def _read(element: etree._Element) -> Tree:
    return (
        str(element.tag),
        dict(element.attrib),
        element.text or "",
        [_read(child) for child in element],
    )


@budget(ci=150)
@given(trees, st.sampled_from(["UTF-8", "UTF-16", "ISO-8859-1"]))
def test_well_formed_documents_read_back_to_their_tree(tree: Tree, encoding: str) -> None:
    data = etree.tostring(_build(tree), xml_declaration=True, encoding=encoding)
    assert _read(parse_hostile_xml(data)) == tree


@budget(ci=6000)
@given(st.text(string.printable, max_size=30))
def test_entity_references_are_never_expanded(name: str) -> None:
    data = f"<a>&{name};</a>".encode()
    try:
        root = parse_hostile_xml(data)
    except HostileResponse:
        return
    # Only the five predefined entities and character references have a value.
    assert len("".join(root.itertext())) <= 1
