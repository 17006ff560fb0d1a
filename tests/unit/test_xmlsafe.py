"""Hostile XML from a target: refused with a reason, never expanded, never fetched."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdet_check.probe import HostileResponse
from sdet_check.xmlsafe import MAX_XML_DEPTH, parse_hostile_xml

CAS_OK = (
    b'<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">'
    b"<cas:authenticationSuccess><cas:user>eleve1</cas:user></cas:authenticationSuccess>"
    b"</cas:serviceResponse>"
)


def test_parses_a_plain_document() -> None:
    root = parse_hostile_xml(CAS_OK)
    assert root.tag == "{http://www.yale.edu/tp/cas}serviceResponse"


def test_billion_laughs_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<lolz>&lol2;</lolz>"
    )
    with pytest.raises(HostileResponse) as caught:
        parse_hostile_xml(bomb)
    assert "DOCTYPE" in str(caught.value)


def test_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("contenu-local-secret")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]><r>&x;</r>'
    ).encode()
    with pytest.raises(HostileResponse) as caught:
        parse_hostile_xml(xxe)
    assert "contenu-local-secret" not in str(caught.value)
    assert all("contenu-local-secret" not in str(e.data) for e in caught.value.evidence)


def test_entity_without_doctype_keyword_in_head_is_refused() -> None:
    padded = b"<!-- " + b"x" * 5000 + b" -->" + b'<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>'
    with pytest.raises(HostileResponse):
        parse_hostile_xml(padded)


def test_huge_and_deep_documents_are_refused() -> None:
    with pytest.raises(HostileResponse) as caught:
        parse_hostile_xml(b"<r>" + b"a" * 2_000_000 + b"</r>")
    assert "octets" in str(caught.value)
    deep = b"<a>" * (MAX_XML_DEPTH + 5) + b"</a>" * (MAX_XML_DEPTH + 5)
    with pytest.raises(HostileResponse) as caught:
        parse_hostile_xml(deep)
    assert "imbrication" in str(caught.value)


def test_malformed_xml_is_an_error_with_an_excerpt() -> None:
    with pytest.raises(HostileResponse) as caught:
        parse_hostile_xml(b"<cas:serviceResponse>", what="réponse serviceValidate")
    assert "réponse serviceValidate mal formée" in str(caught.value)
    assert caught.value.evidence[0].kind == "xml_excerpt"
