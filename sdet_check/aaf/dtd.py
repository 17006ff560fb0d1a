"""The ficAlimMENESR DTD: where it comes from, loading it safely, validating one request.

Streaming rules out validating a whole document at once: each request element is validated
on its own against the DTD's content model as soon as the parser has read it, and the
root's content model is checked element by element as requests go by.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, cast

from lxml import etree

from sdet_check.errors import InputError
from sdet_check.messages import msg, text

DTD_NAME = "ficAlimMENESR.dtd"
ROOT = "ficAlimMENESR"
REQUEST_TAGS = ("addRequest", "modifyRequest", "deleteRequest")
MAX_DTD_BYTES = 1024 * 1024

BUILTIN_DTD = Path(__file__).resolve().parent / "data" / DTD_NAME
"""The DTD sdet-check ships, written from the public description of the format."""


class DtdOrigin(StrEnum):
    """Where the DTD in use comes from."""

    OPTION = "option"  # --dtd
    BESIDE = "beside"  # ficAlimMENESR.dtd in the folder of the files
    BUILTIN = "builtin"  # the copy shipped with sdet-check

    @property
    def label(self) -> str:
        """French description for reports (``cli.aaf_terminal.dtd_origin.*`` in the catalogue)."""
        return text(f"cli.aaf_terminal.dtd_origin.{self.value}", "fr")


@dataclass
class RequestValidator:
    """A loaded DTD, ready to validate request elements one by one."""

    dtd: etree.DTD
    path: Path
    origin: DtdOrigin
    root_children: frozenset[str]
    builtin_rules: bool = False
    """Whether the DTD declares exactly what the built-in one does (whatever its wording):
    a request serialised in the canonical form the reader recognises is then
    valid without asking libxml2."""

    def problems(self, element: etree._Element) -> list[tuple[int | None, str]]:
        """The DTD violations of ``element`` and its content: (line, French message) pairs."""
        if self.dtd.validate(element):
            return []
        log = cast(Any, self.dtd.error_log)  # the stubs omit iteration
        return [(entry.line or None, translate(entry.message)) for entry in log]


def choose_dtd(folder: Path, option: Path | None) -> RequestValidator:
    """Load the DTD given with ``--dtd``, else the one beside the files, else the built-in one."""
    if option is not None:
        return load_dtd(option, DtdOrigin.OPTION)
    beside = folder / DTD_NAME
    if beside.is_file():
        return load_dtd(beside, DtdOrigin.BESIDE)
    return load_dtd(BUILTIN_DTD, DtdOrigin.BUILTIN)


_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)


def load_dtd(path: Path, origin: DtdOrigin) -> RequestValidator:
    """Parse the DTD at ``path``; refuse one that declares entities (nothing is fetched)."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_DTD_BYTES + 1)
    except FileNotFoundError:
        raise InputError(
            path,
            msg("input.aaf_dtd.load_dtd.input_error"),
            msg("input.aaf_dtd.load_dtd.input_error_7"),
        ) from None
    except OSError as exc:
        raise InputError(
            path,
            msg("input.aaf_dtd.load_dtd.input_error_2", strerror=exc.strerror),
            msg("input.aaf_dtd.load_dtd.input_error_8"),
        ) from None
    if len(data) > MAX_DTD_BYTES:
        raise InputError(
            path,
            msg("input.aaf_dtd.load_dtd.input_error_3", max_dtd_bytes=MAX_DTD_BYTES),
            msg("input.aaf_dtd.load_dtd.input_error_9"),
        )
    if _ENTITY_DECL.search(data):
        raise InputError(
            path,
            msg("input.aaf_dtd.load_dtd.input_error_4"),
            msg("input.aaf_dtd.load_dtd.input_error_10"),
        )
    try:
        dtd = etree.DTD(io.BytesIO(data))
    except etree.DTDParseError as exc:
        raise InputError(
            path,
            msg("input.aaf_dtd.load_dtd.input_error_5", exc=exc),
            msg("input.aaf_dtd.load_dtd.input_error_11"),
        ) from None
    declared = {element.name: element for element in cast(Any, dtd).elements()}
    if ROOT not in declared:
        raise InputError(
            path,
            msg("input.aaf_dtd.load_dtd.input_error_6", root=ROOT),
            msg("input.aaf_dtd.load_dtd.input_error_12"),
        )
    children = frozenset(_element_names(declared[ROOT].content))
    return RequestValidator(dtd, path, origin, children, declarations(dtd) == _builtin())


def declarations(dtd: etree.DTD) -> frozenset[tuple[Any, ...]]:
    """What ``dtd`` declares, comments and layout aside: elements, content models, attributes."""
    found: set[tuple[Any, ...]] = set()
    for element in cast(Any, dtd).elements():
        attributes = tuple(
            sorted(
                (a.name, a.type, a.default, a.default_value, tuple(a.values()))
                for a in element.attributes()
            )
        )
        found.add((element.name, element.type, _model(element.content), attributes))
    found.update(("entity", e.name) for e in cast(Any, dtd).entities())
    return frozenset(found)


def _model(content: Any) -> tuple[Any, ...] | None:
    if content is None:
        return None
    return (
        content.type,
        content.occur,
        content.name,
        _model(content.left),
        _model(content.right),
    )


_BUILTIN: list[frozenset[tuple[Any, ...]]] = []


def _builtin() -> frozenset[tuple[Any, ...]]:
    if not _BUILTIN:
        _BUILTIN.append(declarations(etree.DTD(str(BUILTIN_DTD))))
    return _BUILTIN[0]


def _element_names(content: Any) -> list[str]:
    if content is None:
        return []
    if content.type == "element" and content.name:
        return [content.name]
    return _element_names(content.left) + _element_names(content.right)


_TRANSLATIONS = (
    (
        re.compile(r"Element (\S+) content does not follow the DTD, expecting (.*), got (.*)"),
        "contenu de <{0}> : attendu {1}, trouvé {2}",
    ),
    (re.compile(r"No declaration for element (\S+)"), "élément <{0}> non déclaré"),
    (
        re.compile(r"No declaration for attribute (\S+) of element (\S+)"),
        "attribut XML « {0} » non déclaré sur <{1}>",
    ),
    (
        re.compile(r"Element (\S+) does not carry attribute (\S+)"),
        "attribut XML « {1} » obligatoire absent de <{0}>",
    ),
    (
        re.compile(r'Value "(.*)" for attribute (\S+) of (\S+) is not among the enumerated set'),
        "valeur « {0} » de l'attribut XML {1} de <{2}> non permise",
    ),
    (
        re.compile(r"Element (\S+) was declared #PCDATA but contains non-text nodes"),
        "<{0}> ne doit contenir que du texte",
    ),
)


def translate(message: str) -> str:
    """The French rendering of a libxml2 validity message (the message itself if unknown)."""
    text = message.strip()
    for pattern, template in _TRANSLATIONS:
        match = pattern.fullmatch(text)
        if match:
            return template.format(*match.groups())
    return text
