"""Hostile XML from a target: refused with a reason, never expanded, never fetched."""

from __future__ import annotations

import os
import subprocess
import sys
import time
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


# Issue 10: the DOCTYPE refusal is made by the parser, wherever and however it is written.

_LATE = b"<!-- " + b"x" * 5000 + b" -->"


def _doctype_doc(system: str, encoding: str = "UTF-8") -> bytes:
    text = f'<?xml version="1.0" encoding="{encoding}"?><!DOCTYPE r SYSTEM "{system}"><r>a</r>'
    return text.encode(encoding.lower().replace("-", "_"))


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(_LATE + b'<!DOCTYPE r SYSTEM "nowhere.dtd"><r>a</r>', id="after-5KB-comment"),
        pytest.param(_doctype_doc("nowhere.dtd", "UTF-16"), id="utf-16-bom"),
        pytest.param(_doctype_doc("nowhere.dtd", "UTF-16LE"), id="utf-16le-no-bom"),
        pytest.param(_doctype_doc("nowhere.dtd", "UTF-32"), id="utf-32"),
        pytest.param(b'\xef\xbb\xbf<!DOCTYPE r SYSTEM "nowhere.dtd"><r>a</r>', id="utf-8-bom"),
        pytest.param(b"<!DOCTYPE r><r>a</r>", id="bare-doctype"),
        pytest.param(
            "<!-- ".encode("utf-16")[2:]
            + ("x" * 5000 + ' --><!DOCTYPE r [<!ENTITY e "y">]><r>&e;</r>').encode("utf-16-le"),
            id="utf-16le-late-entity",
        ),
    ],
)
def test_xmlsafe_refuses_a_doctype_wherever_it_stands(document: bytes) -> None:
    with pytest.raises(HostileResponse) as caught:
        parse_hostile_xml(document)
    assert "DOCTYPE" in str(caught.value) or "mal formée" in str(caught.value)


def test_xmlsafe_does_not_refuse_doctype_words_in_text() -> None:
    # The refusal comes from the parser, not from a byte search: text may mention it.
    root = parse_hostile_xml(b"<r><![CDATA[<!DOCTYPE x> <!ENTITY y>]]></r>")
    assert root.text == "<!DOCTYPE x> <!ENTITY y>"


def test_xmlsafe_never_reads_a_local_file_named_by_a_doctype(tmp_path: Path) -> None:
    secret = tmp_path / "local.dtd"
    secret.write_text('<!ENTITY leak "contenu-local-secret">')
    for document in (
        _LATE + f'<!DOCTYPE r SYSTEM "{secret}"><r>&leak;</r>'.encode(),
        _LATE + f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{secret}"> %p;]><r>&leak;</r>'.encode(),
    ):
        with pytest.raises(HostileResponse) as caught:
            parse_hostile_xml(document)
        assert "contenu-local-secret" not in str(caught.value)


_FIFO_SCRIPT = """
import sys
from sdet_check.probe import HostileResponse
from sdet_check.xmlsafe import parse_hostile_xml
fifo = sys.argv[1]
late = b"<!-- " + b"x" * 5000 + b" -->"
documents = [
    late + f'<!DOCTYPE r SYSTEM "{fifo}"><r>a</r>'.encode(),
    late + f'<!DOCTYPE r SYSTEM "file://{fifo}"><r>a</r>'.encode(),
    f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r SYSTEM "{fifo}"><r/>'.encode("utf-16"),
    f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{fifo}"> %p;]><r/>'.encode(),
    f'<r xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="{fifo}"/></r>'.encode(),
]
refused = 0
for document in documents:
    try:
        parse_hostile_xml(document)
    except HostileResponse:
        refused += 1
print(refused, len(documents))
"""


def test_xmlsafe_never_opens_a_fifo_named_by_a_document(tmp_path: Path) -> None:
    """Opening a FIFO for reading blocks until a writer comes: a bounded run proves no open."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-c", _FIFO_SCRIPT, str(fifo)],
            capture_output=True,
            text=True,
            timeout=20,
            cwd=Path(__file__).resolve().parents[2],
        )
    except subprocess.TimeoutExpired:
        pytest.fail("le parseur a ouvert la FIFO nommée par le document (bloqué)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["4", "5"]  # XInclude is not processed: plain element
    assert time.monotonic() - started < 20
