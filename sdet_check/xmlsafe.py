"""Parse XML that a target sent, treating it as hostile.

No DTD at all: a document type declaration is refused wherever it stands and in whatever
encoding the document is written, because the parser reports it (a parser target's
``doctype`` event, then the parsed tree's ``docinfo``), not because a byte search found it.
No entity expansion, no network access, no huge-tree mode, hard bounds on size and depth,
and a resolver that refuses every external resource, so the parser never opens a file or a
URL that a document names. Every refusal raises :class:`~sdet_check.probe.HostileResponse`,
which the runner records as an ``error`` result.
"""

from __future__ import annotations

from typing import Any, cast

from lxml import etree

from sdet_check.messages import msg
from sdet_check.probe import Evidence, HostileResponse
from sdet_check.xmlrefuse import ExternalRefused, RefuseExternal

MAX_XML_BYTES = 1 * 1024 * 1024
"""Largest XML document accepted from a target."""

MAX_XML_DEPTH = 64
"""Deepest element nesting accepted."""


class _DoctypeFound(Exception):
    """Raised by the scanning target at the DOCTYPE event, before any DTD is read."""

    def __init__(self, name: str | None, system: str | None) -> None:
        super().__init__(name)
        self.name = name
        self.system = system


class _DoctypeScan:
    """Parser target that only listens for the DOCTYPE event (no tree is built)."""

    def doctype(self, name: str | None, public_id: str | None, system_url: str | None) -> None:
        raise _DoctypeFound(name, system_url)

    def close(self) -> None:
        return None


def safe_parser(**options: Any) -> etree.XMLParser:
    """An lxml parser that loads no DTD, expands no entity and opens nothing a document names."""
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        collect_ids=False,
        **options,
    )
    parser.resolvers.add(RefuseExternal())
    return parser


def parse_hostile_xml(
    data: bytes, *, what: str | None = None, max_bytes: int = MAX_XML_BYTES
) -> etree._Element:
    """Parse ``data`` from a target; raise :class:`HostileResponse` for anything dangerous.

    ``what`` names the document in messages (``msg("core.what.answer_of", ...)``).
    """
    what = what or msg("core.what.xml_answer")
    if len(data) > max_bytes:
        raise HostileResponse(
            msg(
                "core.xmlsafe.parse_hostile_xml.hostile",
                what=what,
                count=len(data),
                max_bytes=max_bytes,
            ),
            _excerpt(data),
        )
    root = _parse(data, what)
    docinfo: Any = root.getroottree().docinfo  # the lxml stubs lack doctype and system_url
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise _doctype_refusal(what, data, docinfo.root_name, docinfo.system_url)
    depth = _depth(root)
    if depth > MAX_XML_DEPTH:
        raise HostileResponse(
            msg(
                "core.xmlsafe.parse_hostile_xml.hostile_2",
                what=what,
                depth=depth,
                max_xml_depth=MAX_XML_DEPTH,
            ),
            _excerpt(data),
        )
    return root


def _parse(data: bytes, what: str) -> etree._Element:
    scan = etree.XMLParser(
        target=cast(Any, _DoctypeScan()), resolve_entities=False, no_network=True, load_dtd=False
    )
    scan.resolvers.add(RefuseExternal())
    try:
        for parser in (scan, safe_parser(remove_comments=False)):
            root = etree.fromstring(data, parser=parser)
    except _DoctypeFound as found:
        raise _doctype_refusal(what, data, found.name, found.system) from None
    except ExternalRefused as refused:
        raise HostileResponse(
            msg("core.xmlsafe.parse.hostile", what=what, url=refused.url),
            _excerpt(data),
        ) from None
    except etree.XMLSyntaxError as exc:
        raise HostileResponse(
            msg("core.xmlsafe.parse.hostile_2", what=what, exc=exc), _excerpt(data)
        ) from exc
    if not isinstance(root, etree._Element):
        raise HostileResponse(msg("core.xmlsafe.parse.hostile_3", what=what), _excerpt(data))
    return root


def _doctype_refusal(
    what: str, data: bytes, name: str | None, system: str | None
) -> HostileResponse:
    named = f" (<!DOCTYPE {name}{f' SYSTEM {system!r}' if system else ''}>)" if name else ""
    return HostileResponse(
        msg("core.xmlsafe.doctype_refusal.hostile", what=what, named=named),
        _excerpt(data),
    )


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
        summary=msg("core.xmlsafe.excerpt", size=len(data)),
        data={"excerpt": text, "size": len(data)},
    )
