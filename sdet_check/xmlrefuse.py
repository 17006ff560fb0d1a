"""An lxml resolver that refuses every external resource a document names.

lxml asks the resolvers registered on a parser before libxml2's own loader, so with
:class:`RefuseExternal` registered no file and no URL named by a document (external DTD
subset, external entity, parameter entity) is ever opened: the parse stops with
:class:`ExternalRefused` instead. Kept apart from :mod:`sdet_check.xmlsafe` so that the AAF
reader can use it without importing the probe machinery.
"""

from __future__ import annotations

from typing import Any

from lxml import etree


class ExternalRefused(Exception):
    """A document named an external resource; it was not opened."""

    def __init__(self, url: str | None) -> None:
        """Keep the URL or path the document named."""
        super().__init__(url)
        self.url = url


class RefuseExternal(etree.Resolver):
    """Refuses every external resource by raising :class:`ExternalRefused`."""

    # lxml passes a third argument (the parser context) that the lxml stubs omit.
    def resolve(  # type: ignore[override]
        self, system_url: str | None, public_id: str | None, context: Any
    ) -> Any:
        """Refuse ``system_url``; lxml stops the parse and re-raises the exception."""
        raise ExternalRefused(system_url)
