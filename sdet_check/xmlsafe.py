"""Parse XML that a target sent, treating it as hostile.

No DTD processing (a DOCTYPE is refused outright), no entity expansion, no network access,
no huge-tree mode, and hard bounds on size and depth. Every refusal raises
:class:`~sdet_check.probe.HostileResponse`, which the runner records as an ``error`` result.
"""

from __future__ import annotations

from lxml import etree

from sdet_check.probe import Evidence, HostileResponse

MAX_XML_BYTES = 1 * 1024 * 1024
"""Largest XML document accepted from a target."""

MAX_XML_DEPTH = 64
"""Deepest element nesting accepted."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        collect_ids=False,
    )


def parse_hostile_xml(
    data: bytes, *, what: str = "réponse XML", max_bytes: int = MAX_XML_BYTES
) -> etree._Element:
    """Parse ``data`` from a target; raise :class:`HostileResponse` for anything dangerous.

    ``what`` names the document in messages (``"réponse serviceValidate"``).
    """
    if len(data) > max_bytes:
        raise HostileResponse(
            f"{what} de {len(data)} octets refusée (limite {max_bytes} octets)",
            _excerpt(data),
        )
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise HostileResponse(
            f"{what} refusée : elle contient une déclaration DOCTYPE ou ENTITY "
            "(risque d'entités externes ou d'explosion d'entités)",
            _excerpt(data),
        )
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise HostileResponse(f"{what} mal formée : {exc}", _excerpt(data)) from exc
    depth = _depth(root)
    if depth > MAX_XML_DEPTH:
        raise HostileResponse(
            f"{what} refusée : imbrication de {depth} niveaux (limite {MAX_XML_DEPTH})",
            _excerpt(data),
        )
    return root


def _depth(root: etree._Element) -> int:
    deepest = 0
    stack = [(root, 1)]
    while stack:
        element, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_XML_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in element)
    return deepest


def _excerpt(data: bytes) -> Evidence:
    text = data[:500].decode("utf-8", errors="replace")
    return Evidence(
        kind="xml_excerpt",
        summary=f"début du document reçu ({len(data)} octets)",
        data={"excerpt": text, "size": len(data)},
    )
