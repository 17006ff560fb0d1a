"""Legal pages and the accessibility mention: found from the home page, read as text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import unquote, urljoin, urlsplit

import lxml.etree
import lxml.html
import requests

from probes.http.common import _NO_PARAMS, _follow, _home_page, _Portal, _portal
from sdet_check.evidence import http_chain, http_exchange, note
from sdet_check.messages import msg
from sdet_check.probe import (
    BadParams,
    Evidence,
    HostileResponse,
    Outcome,
    Probe,
    ProbeContext,
    validated_params,
)


class LegalPage(Probe):
    """A legal page is linked from the home page and answers 200.

    The page is ``portal.pages[page]`` when the target gives it; otherwise the home page's
    links are searched (text, ``title``, ``aria-label`` first, then the address) with the
    page's French wording. Pass: the page answers 200 and every ``require_text`` regex
    (case-insensitive) matches its visible text or one of its link addresses. For
    ``arrete_2006``, a link to Légifrance naming the arrêté is enough without fetching it
    (the page is external; the message says so), unless ``require_text`` asks for text.
    A page answering 200 must also be readable: HTML with visible text that, without
    ``require_text``, names the page; noise, an XML document or an empty page fail.
    """

    kind = "http.legal_page"
    title = "Page légale accessible depuis la page d'accueil"
    needs = ("portal",)
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["page"],
        "properties": {
            "page": {
                "enum": [
                    "mentions_legales",
                    "donnees_personnelles",
                    "accessibilite",
                    "arrete_2006",
                ],
                "description": "Which legal page.",
            },
            "require_text": {
                "type": "array",
                "items": {"type": "string", "minLength": 1, "format": "regex"},
                "description": "Regular expressions (case-insensitive) the page must contain.",
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Find the page, fetch it, look for the required text."""
        params = validated_params(self, params)
        kind = _LEGAL_KINDS[params["page"]]
        patterns = _compile_all(params.get("require_text", []))
        portal = _portal(context)
        with context.http_session() as session:
            located = _locate_legal_page(kind, portal, session, context)
            if isinstance(located, Outcome):
                return located
            page_url, evidence = located
            if kind.page == "arrete_2006" and _is_legifrance(page_url) and not patterns:
                return Outcome.passed(
                    msg("http.legal_page.pass", page_url=page_url),
                    *evidence,
                )
            chain = _follow(session, page_url, context)

        page = chain[-1]
        evidence += http_chain(chain)
        external = urlsplit(page_url).hostname != urlsplit(portal.url).hostname
        where = msg("http.legal_page.external" if external else "http.legal_page.on_portal")
        if page.status_code != 200:
            return Outcome.failed(
                msg(
                    "http.legal_page.fail",
                    label=msg("http.legal_kind." + kind.page),
                    page_url=page_url,
                    where=where,
                    status_code=page.status_code,
                ),
                *evidence,
            )
        unreadable = _unreadable(page, kind, patterns)
        if unreadable:
            return Outcome.failed(
                msg(
                    "http.legal_page.fail_2",
                    label=msg("http.legal_kind." + kind.page),
                    url=page.url,
                    where=where,
                    unreadable=unreadable,
                ),
                note(
                    msg("http.http.ev.legal_page.note", label=kind.label),
                    url=page.url,
                    content_type=page.headers.get("Content-Type"),
                    size=len(page.content),
                    problem=unreadable,
                ),
                *evidence,
            )
        text = _searchable_text(page)
        missing = [pattern.pattern for pattern in patterns if not pattern.search(text)]
        if missing:
            return Outcome.failed(
                msg(
                    "http.legal_page.fail_3",
                    label=msg("http.legal_kind." + kind.page),
                    url=page.url,
                    missing=", ".join(missing),
                ),
                note(
                    msg("http.http.ev.legal_page.note_2", label=kind.label),
                    url=page.url,
                    missing=missing,
                ),
                *evidence,
            )
        checked = msg("http.legal_page.text_found", patterns=[p.pattern for p in patterns])
        return Outcome.passed(
            msg(
                "http.legal_page.pass_2",
                label=msg("http.legal_kind." + kind.page),
                url=page.url,
                where=where,
                value=checked if patterns else "",
            ),
            *evidence,
        )


class AccessibilityMention(Probe):
    """The home page states its accessibility compliance (décret n° 2019-768).

    Pass: the visible text says « Accessibilité : non conforme », « partiellement conforme »
    or « totalement conforme » (spacing, accents and case tolerated); the evidence quotes
    it. Fail: no such statement.
    """

    kind = "http.accessibility_mention"
    title = "La page d'accueil indique l'état de conformité à l'accessibilité"
    needs = ("portal",)
    params_schema = _NO_PARAMS

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Search the home page's visible text for the statement."""
        validated_params(self, params)
        portal = _portal(context)
        with context.http_session() as session:
            home = _home_page(session, portal, context)
        text = _visible_text(home)
        found = _A11Y_MENTION.search(text)
        if found:
            quote = found.group(0)
            return Outcome.passed(
                msg("http.accessibility_mention.pass", quote=quote),
                Evidence(
                    kind="page",
                    summary=msg("http.http.ev.accessibility_mention.evidence", quote=quote),
                    data={"url": home.url, "quote": quote, "level": found.group(1).lower()},
                ),
                http_exchange(home),
            )
        nearby = [text[max(0, m.start() - 40) : m.end() + 60] for m in _A11Y_WORD.finditer(text)]
        return Outcome.failed(
            msg("http.accessibility_mention.fail"),
            note(
                msg("http.http.ev.accessibility_mention.note"),
                url=home.url,
                occurrences_of_accessibilite=nearby[:5],
            ),
            http_exchange(home),
        )


# --- legal pages and page text ----------------------------------------------------------


@dataclass(frozen=True)
class _LegalKind:
    """How one legal page is recognised among the home page's links."""

    page: str
    label: str
    text: re.Pattern[str]
    """Matched against the folded link text, title and aria-label."""
    href: re.Pattern[str]
    """Matched against the folded, unquoted link address."""


_LEGAL_KINDS = {
    kind.page: kind
    for kind in (
        _LegalKind(
            "mentions_legales",
            "mentions légales",
            re.compile(r"mentions? legales?|informations? legales?"),
            re.compile(r"mentions?[-_]?legales?|legal[-_]?notice"),
        ),
        _LegalKind(
            "donnees_personnelles",
            "données personnelles",
            re.compile(
                r"donnees (a caractere )?personnelles|vie privee|confidentialite|rgpd"
                r"|protection des donnees"
            ),
            re.compile(
                r"donnees[-_]?personnelles|vie[-_]?privee|confidentialite|rgpd|privacy"
                r"|protection[-_]des[-_]donnees"
            ),
        ),
        _LegalKind(
            "accessibilite",
            "accessibilité",
            re.compile(r"accessibilite"),
            re.compile(r"accessibilite|accessibility"),
        ),
        _LegalKind(
            "arrete_2006",
            "arrêté du 30 novembre 2006",
            re.compile(r"arrete du 30 novembre 2006|ment0602397a"),
            re.compile(r"ment0602397a|arrete[-_]?(du[-_]?)?(30[-_]?novembre[-_]?)?2006"),
        ),
    )
}

_A11Y_MENTION = re.compile(
    r"accessibilit[eé]\s*[:：]?\s*(non|partiellement|totalement)\s+conformes?\b",
    re.IGNORECASE,
)
_A11Y_WORD = re.compile(r"accessibilit[eé]", re.IGNORECASE)
_UNFOLLOWABLE = ("#", "javascript:", "mailto:", "tel:", "data:")


@dataclass(frozen=True)
class _Link:
    """A link of the home page that names a legal page."""

    text: str
    href: str
    url: str
    matched_on: str

    def evidence(self, kind: _LegalKind) -> Evidence:
        return Evidence(
            kind="page",
            summary=msg(
                "http.http.ev.link.evidence", label=kind.label, text=self.text, href=self.href
            ),
            data={
                "page": kind.page,
                "text": self.text,
                "href": self.href,
                "url": self.url,
                "matched_on": self.matched_on,
            },
        )


def _locate_legal_page(
    kind: _LegalKind, portal: _Portal, session: requests.Session, context: ProbeContext
) -> tuple[str, list[Evidence]] | Outcome:
    """Return the page address with the evidence of how it was found, or a failed outcome."""
    given = portal.pages.get(kind.page)
    if given:
        page_url = urljoin(portal.url, given)
        return page_url, [
            note(
                msg("http.http.ev.locate_legal_page.note", page=kind.page, page_url=page_url),
                url=page_url,
            )
        ]
    home = _home_page(session, portal, context)
    link = _find_link(home, kind)
    if link is None:
        return Outcome.failed(
            msg(
                "http.locate_legal_page.fail",
                label=msg("http.legal_kind." + kind.page),
                url=home.url,
            ),
            note(
                msg("http.http.ev.locate_legal_page.note_2", label=kind.label),
                page=kind.page,
                text_pattern=kind.text.pattern,
                href_pattern=kind.href.pattern,
            ),
            http_exchange(home),
        )
    return link.url, [link.evidence(kind)]


def _find_link(home: requests.Response, kind: _LegalKind) -> _Link | None:
    """Return the first link naming ``kind`` by its text, else the first by its address."""
    document = _parse_html(home)
    if document is None:
        return None
    by_address: _Link | None = None
    for anchor in document.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.lower().startswith(_UNFOLLOWABLE):
            continue
        text = _squash(anchor.text_content())
        labels = " ".join([text, anchor.get("title") or "", anchor.get("aria-label") or ""])
        if kind.text.search(_fold(labels)):
            return _link(home, text, href, "texte du lien")
        if by_address is None and kind.href.search(_fold(unquote(href))):
            by_address = _link(home, text, href, "adresse du lien")
    return by_address


MAX_LINK_CHARS = 4096
"""Longest link address taken for a legal page; beyond it the home page is hostile."""

_LINK_TEXT_CHARS = 200


def _link(home: requests.Response, text: str, href: str, matched_on: str) -> _Link:
    """A link naming a legal page, its text cut for the evidence; an absurd address refused."""
    if len(href) > MAX_LINK_CHARS:
        raise HostileResponse(
            msg(
                "http.link.hostile",
                url=home.url,
                text=text[:60],
                count=len(href),
                max_link_chars=MAX_LINK_CHARS,
            ),
            http_exchange(home),
        )
    try:
        url = urljoin(home.url, href)
    except ValueError as exc:
        raise HostileResponse(
            msg("http.link.hostile_2", url=home.url, text=text[:60], href=href[:120], exc=exc),
            http_exchange(home),
        ) from exc
    if len(text) > _LINK_TEXT_CHARS:
        text = text[:_LINK_TEXT_CHARS] + "…"
    return _Link(text=text, href=href, url=url, matched_on=matched_on)


def _is_legifrance(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "legifrance.gouv.fr" or host.endswith(".legifrance.gouv.fr")


def _parse_html(response: requests.Response) -> lxml.html.HtmlElement | None:
    """Parse a (bounded) body as HTML without any network access; ``None`` if not HTML."""
    parser = lxml.html.HTMLParser(no_network=True, huge_tree=False, remove_pis=True)
    body = response.content
    if not body.strip():
        return None
    try:
        if response.encoding:
            text = body.decode(response.encoding, errors="replace")
            try:
                return lxml.html.document_fromstring(text, parser=parser)
            except ValueError:
                pass  # lxml refuses str with an encoding declaration: give it bytes
        return lxml.html.document_fromstring(body, parser=parser)
    except (lxml.etree.LxmlError, ValueError, LookupError):
        return None


_HTML_TYPES = ("text/html", "application/xhtml+xml")


def _unreadable(
    page: requests.Response, kind: _LegalKind, patterns: Sequence[re.Pattern[str]]
) -> str | None:
    """Say why a page answering 200 cannot be the legal page a reader looks for, if so.

    The page must be HTML (by its ``Content-Type``) with visible text; without required text
    in the grid, that text must name the page (« mentions légales », « arrêté du 30 novembre
    2006 »...), so that an error page, noise or an XML document answering 200 does not pass.
    """
    content_type = page.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type and content_type not in _HTML_TYPES:
        return msg("http.unreadable.not_html", content_type=content_type[:80])
    text = _visible_text(page)
    if not text:
        return msg("http.unreadable.no_text")
    if patterns:
        return None
    if not kind.text.search(_fold(text)):
        return msg("http.unreadable.unnamed", label=msg("http.legal_kind." + kind.page))
    return None


def _visible_text(response: requests.Response) -> str:
    """Return the text a reader sees in the body, whitespace collapsed, in NFC."""
    document = _parse_html(response)
    if document is None:
        return ""
    for hidden in document.xpath("//script|//style|//noscript|//template|//head"):
        hidden.drop_tree()
    return _squash(document.text_content())


def _searchable_text(response: requests.Response) -> str:
    """Return visible text plus link addresses, so that ``mailto:dpo@…`` counts."""
    document = _parse_html(response)
    hrefs = [] if document is None else [a.get("href") or "" for a in document.iter("a")]
    return " ".join([_visible_text(response), *hrefs])


def _squash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _fold(text: str) -> str:
    """Fold for matching: ``Données  Personnelles`` → ``donnees personnelles``."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.casefold().split())


def _compile_all(patterns: Sequence[str]) -> list[re.Pattern[str]]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise BadParams(
                msg("http.compile_all.bad_params", pattern=f"{pattern!r}", exc=exc)
            ) from exc
    return compiled
