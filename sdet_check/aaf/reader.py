"""Find AAF files, read what their first bytes declare, and stream their requests.

Streaming keeps memory flat whatever the size of a file: lxml ``iterparse`` reports each
request when its end tag is read; the request is validated against the DTD, its values are
extracted, and it is then cleared and unlinked together with everything before it. With the
built-in DTD (or one that declares the same), a request in the plain form exports use is
validated and read from its serialisation with string operations, which proves the same
validity as libxml2 at a fraction of the cost of an lxml object per attribute and value;
any other request goes through libxml2's validation and is read element by element.

Parsing is safe: no network access, no DTD loading from the file, no entity expansion
(``resolve_entities=False``), a resolver that refuses to open any file or URL a document
names, and libxml2's default limits on depth and text size. Every
file is read in the encoding its XML declaration states.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, cast

from lxml import etree

from sdet_check.aaf.dtd import REQUEST_TAGS, ROOT, RequestValidator
from sdet_check.aaf.families import (
    FAMILY_IN_NAME,
    FILE_NAME,
    SPECS,
    Family,
    family_of_category,
)
from sdet_check.aaf.model import Kind, Op, SourceFile
from sdet_check.errors import InputError
from sdet_check.messages import msg
from sdet_check.xmlrefuse import ExternalRefused, RefuseExternal

MAX_REQUEST_BYTES = 1024 * 1024
"""Most bytes read without a request ending (a real request is a few kilobytes).

Beyond, the request is absurdly large or the file is filling the root with elements
outside any request: either way its tree would grow without bound, so the file's reading
stops there with an ``AAF-XML-001`` finding.
"""

HEAD_BYTES = 64 * 1024
"""How much of a file is read to identify it (prolog, header comments, first request)."""

_BOMS = (
    (codecs.BOM_UTF8, "UTF-8"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
_DECLARATION = re.compile(
    r"<\?xml\s+version\s*=\s*[\"'][^\"']*[\"']"
    r"(?:\s+encoding\s*=\s*[\"'](?P<encoding>[^\"']*)[\"'])?[^?]*\?>"
)
_COMMENT = re.compile(r"<!--(.*?)-->", re.S)
_PI = re.compile(r"<\?.*?\?>", re.S)
_DOCTYPE = re.compile(
    r"<!DOCTYPE\s+(?P<root>[^\s\[>]+)"
    r"(?:\s+(?:SYSTEM\s+(?P<q1>[\"'])(?P<system>.*?)(?P=q1)"
    r"|PUBLIC\s+(?P<q2>[\"']).*?(?P=q2)\s+(?P<q3>[\"'])(?P<public_system>.*?)(?P=q3)))?"
    r"\s*(?P<subset>\[.*?\])?\s*>",
    re.S,
)
_ROOT_TAG = re.compile(r"<([A-Za-z_][\w.-]*)")
_HEADER_FIELD = re.compile(r"\s*([A-Za-z][\w]*)\s*=\s*\"([^\"]*)\"\s*")
_FIRST_CATEGORY = re.compile(
    r"<operationalAttributes>\s*<attr\s+name\s*=\s*\"([^\"]*)\"\s*>\s*<value>([^<]*)</value>"
)
_FAMILY_BY_LOWER = {family.value.lower(): family for family in Family}


def discover(path: Path) -> list[SourceFile]:
    """The AAF files at ``path`` (a folder, or one file); :class:`InputError` when none is.

    In a folder, every ``*.xml`` file directly inside it is taken; each must be an AAF file
    (root element ``ficAlimMENESR``). Sub-folders are not searched: a folder is one import.
    """
    if not path.exists():
        raise InputError(
            path,
            msg("input.aaf_reader.discover.input_error"),
            msg("input.aaf_reader.discover.input_error_3"),
        )
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".xml")
        if not files:
            raise InputError(
                path, msg("input.aaf_reader.discover.input_error_2"), _no_files_fix(path)
            )
        base: Path | None = path
    else:
        files, base = [path], None
    sources = [sniff(file, file.name if base else str(file)) for file in files]
    for index, source in enumerate(sources):
        source.index = index
    return sources


def _no_files_fix(folder: Path) -> str:
    nested = sorted({p.parent for p in folder.rglob("*.xml")})[:5]
    if nested:
        names = ", ".join(str(p.relative_to(folder)) for p in nested)
        return f"indiquer un dossier qui contient les fichiers AAF eux-mêmes (par ex. {names})"
    return "indiquer le dossier qui contient les fichiers …_<Famille>_NNNN.xml"


def sniff(file: Path, display: str) -> SourceFile:
    """Identify ``file`` from its name and first bytes; :class:`InputError` if it is not AAF."""
    try:
        with file.open("rb") as stream:
            head = stream.read(HEAD_BYTES)
        size = file.stat().st_size
    except OSError as exc:
        raise InputError(
            file,
            msg("input.aaf_reader.sniff.input_error", strerror=exc.strerror),
            msg("input.aaf_reader.sniff.input_error_3"),
        ) from None
    if not head.strip():
        raise InputError(
            file,
            msg("input.aaf_reader.sniff.input_error_2"),
            msg("input.aaf_reader.sniff.input_error_4"),
        )
    bom_encoding = next((name for bom, name in _BOMS if head.startswith(bom)), None)
    text = _decode_head(head, bom_encoding)
    declaration = _DECLARATION.match(text)
    declared = declaration.group("encoding") if declaration else None
    if declared and bom_encoding is None:
        text = _decode_head(head, declared)
    prolog = _Prolog.read(text, file)
    family_from_content = family_of_category(*prolog.first_category)
    name_problem, kind, day, chunk, family = _read_name(file.name)
    return SourceFile(
        path=file,
        name=display,
        family=family or family_from_content,
        kind=kind,
        date=day,
        chunk=chunk,
        size=size,
        encoding=(declared or bom_encoding or "UTF-8").upper(),
        declared_encoding=declared,
        has_declaration=declaration is not None,
        doctype=prolog.doctype,
        internal_subset=prolog.internal_subset,
        header=prolog.header,
        name_problem=name_problem,
    )


def _decode_head(head: bytes, encoding: str | None) -> str:
    try:
        return head.decode(encoding or "utf-8", errors="replace")
    except LookupError:
        return head.decode("latin-1")


@dataclass
class _Prolog:
    """What precedes the first request: DOCTYPE, header comments, the first category."""

    doctype: str | None = None
    internal_subset: bool = False
    header: dict[str, str] = field(default_factory=dict)
    first_category: tuple[str | None, str | None] = (None, None)

    @classmethod
    def read(cls, text: str, file: Path) -> _Prolog:
        prolog = cls()
        position = 0
        declaration = _DECLARATION.match(text.lstrip("\ufeff"))
        text = text.lstrip("\ufeff")
        if declaration:
            position = declaration.end()
        root: str | None = None
        while root is None:
            while position < len(text) and text[position].isspace():
                position += 1
            if position >= len(text):
                break
            rest = text[position:]
            if rest.startswith("<!--"):
                match = _COMMENT.match(rest)
                if not match:
                    break
                prolog._header_comment(match.group(1))
                position += match.end()
            elif rest.startswith("<?"):
                pi = _PI.match(rest)
                if not pi:
                    break
                position += pi.end()
            elif rest.startswith("<!DOCTYPE"):
                doctype = _DOCTYPE.match(rest)
                if not doctype:
                    break
                system = doctype.group("system") or doctype.group("public_system") or ""
                prolog.doctype = f"{doctype.group('root')} {system}".strip()
                prolog.internal_subset = doctype.group("subset") is not None
                position += doctype.end()
            else:
                tag = _ROOT_TAG.match(rest)
                if not tag:
                    break
                root = tag.group(1)
        if root is None:
            raise InputError(
                file,
                msg("input.aaf_reader.prolog.input_error"),
                msg("input.aaf_reader.prolog.input_error_3"),
            )
        if root != ROOT:
            raise InputError(
                file,
                msg("input.aaf_reader.prolog.input_error_2", root=root, root2=ROOT),
                msg("input.aaf_reader.prolog.input_error_4"),
            )
        body = text[position:]
        first_request = min(
            (i for i in (body.find(f"<{tag}") for tag in REQUEST_TAGS) if i >= 0),
            default=len(body),
        )
        for comment in _COMMENT.finditer(body, 0, first_request):
            prolog._header_comment(comment.group(1))
        category = _FIRST_CATEGORY.search(body)
        if category:
            prolog.first_category = (category.group(1), category.group(2))
        return prolog

    def _header_comment(self, content: str) -> None:
        match = _HEADER_FIELD.fullmatch(content)
        if match:
            self.header[match.group(1)] = match.group(2)


def _read_name(name: str) -> tuple[str | None, Kind, str | None, int | None, Family | None]:
    """Problem with the name (or None), kind, date, chunk number and family from a file name."""
    match = FILE_NAME.fullmatch(name)
    if match:
        family = Family(match.group("family"))
        day = match.group("date")
        kind = Kind(match.group("kind"))
        chunk = int(match.group("chunk"))
        try:
            date(int(day[:4]), int(day[4:6]), int(day[6:]))
        except ValueError:
            return f" : la date {day} n'existe pas", kind, day, chunk, family
        return None, kind, day, chunk, family
    loose = FAMILY_IN_NAME.search(name)
    named = _FAMILY_BY_LOWER[loose.group(1).lower()] if loose else None
    guess = Kind.UNKNOWN
    if "_Complet_" in name:
        guess = Kind.COMPLET
    elif "_Delta_" in name:
        guess = Kind.DELTA
    hint = "" if named else " : la famille se déduit alors du contenu"
    return hint, guess, None, None, named


@dataclass(slots=True)
class Request:
    """One request as read: type, place, category, join key and attribute values.

    ``attributes`` maps each attribute (or modification) name to its non-empty values; the
    values of an attribute no check looks at are not read (an empty tuple stands for them).
    ``repeated`` lists names given more than once, ``multi`` the single-valued attributes
    given several values. ``element`` is valid only until the stream moves on.
    ``reference_line`` is the line given to references whose attribute has no entry in
    ``lines``: the request's line, or 0 when lines were left to be found on demand
    (:meth:`line_of`, while the element is still there).
    """

    op: Op
    line: int
    element: etree._Element
    category: tuple[str | None, str | None]
    key: str | None
    attributes: dict[str, Sequence[str]]
    lines: dict[str, int]
    repeated: list[str]
    multi: list[str]
    dtd_problems: list[tuple[int | None, str]]
    reference_line: int = 0

    def line_of(self, attribute: str | None) -> int:
        """The line where ``attribute`` is given in this request (the request's line if absent)."""
        if attribute is None:
            return self.line
        line = self.lines.get(attribute)
        if line is not None:
            return line
        for element in self.element.iter("attr", "modification"):
            if element.get("name") == attribute:
                return source_line(element) or self.line
        return self.line


FileIssue = Callable[..., None]
"""``issue(rule_id, line=…, **fields)``: reports a problem with the file itself."""

_OPS: dict[Any, Op] = {op.value: op for op in Op}
_VALID: list[tuple[int | None, str]] = []  # never appended to: shared by every valid request

_ENCODING_ERRORS = frozenset({81, 32, 9})  # invalid encoding, unsupported encoding, bad char


class RequestStream:
    """Iterate over the requests of one file, reporting file-level problems as they appear."""

    def __init__(
        self,
        source: SourceFile,
        validator: RequestValidator,
        issue: FileIssue,
        *,
        locate: bool = True,
    ):
        """Prepare to read ``source``; ``issue`` receives file-level problems.

        With ``locate`` False, the lines of the attributes that reference other records are
        not looked up for requests read from their serialisation: whoever uses a request
        before the stream moves on finds them with :meth:`Request.line_of` when needed.
        """
        self.source = source
        self.locate = locate
        self.validator = validator
        self.issue = issue
        self.complete = True

    def __iter__(self) -> Iterator[Request]:
        """Yield each request, then report what remains unchecked at the root."""
        with self.source.path.open("rb") as raw:
            reader = _BoundedReader(raw, MAX_REQUEST_BYTES)
            yield from self._requests(reader)

    def _requests(self, reader: _BoundedReader) -> Iterator[Request]:
        context = etree.iterparse(
            reader,
            events=("end",),
            tag=REQUEST_TAGS,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_blank_text=True,
            collect_ids=False,
        )
        context.resolvers.add(RefuseExternal())  # a DOCTYPE never makes the parser open a file
        root: etree._Element | None = None
        expected = self.validator.root_children
        try:
            for _, element in context:
                parent = element.getparent()
                if root is None:
                    root = element.getroottree().getroot()
                if parent is not root and _inside_request(element):
                    continue  # the enclosing request's validation reports it
                yield self._request(element)
                reader.request_ended()
                element.clear(keep_tail=True)
                if parent is not None:
                    while (previous := element.getprevious()) is not None:
                        if previous.tag not in expected or previous.tail:
                            self._check_root_child(previous)
                        del parent[0]
        except etree.XMLSyntaxError as exc:
            self.complete = False
            self._fatal(exc)
            return
        except RequestTooLarge as too_large:
            self.complete = False
            self.issue(
                "AAF-XML-001",
                line=None,
                detail=(
                    f"plus de {too_large.limit // (1024 * 1024)} Mo lus sans qu'une requête se "
                    "termine (requête démesurée, ou éléments hors de toute requête) : lecture "
                    "du fichier arrêtée à cet endroit"
                ),
            )
            return
        except ExternalRefused as refused:
            self.complete = False
            self.issue(
                "AAF-XML-001",
                line=None,
                detail=f"le document désigne une ressource externe ({refused.url}), non ouverte",
            )
            return
        if root is None:
            root = _root_of(context)
        if root is not None:
            for child in root:
                self._check_root_child(child)

    def _request(self, element: etree._Element) -> Request:
        read = (
            _read_canonical(element, self.source.family, self.locate)
            if self.validator.builtin_rules
            else None
        )
        line = source_line(element) or 0
        if read is None:
            problems = self.validator.problems(element)
            reader = _read_loosely if problems else _read_valid
            read = reader(element, self.source.family)
            reference_line = line
        else:
            problems = _VALID
            reference_line = line if self.locate else 0
        category, key, attributes, lines, repeated, multi = read
        return Request(
            op=_OPS[element.tag],
            line=line,
            element=element,
            category=category,
            key=key,
            attributes=attributes,
            lines=lines,
            repeated=repeated,
            multi=multi,
            dtd_problems=problems,
            reference_line=reference_line,
        )

    def _check_root_child(self, child: Any) -> None:
        tag = child.tag
        if isinstance(tag, str) and tag not in self.validator.root_children:
            self.issue(
                "AAF-DTD-001",
                line=source_line(child),
                detail=f"élément <{tag}> inattendu sous <{ROOT}>",
            )
        tail = child.tail
        if tail and not tail.isspace():
            self.issue(
                "AAF-DTD-001",
                line=source_line(child),
                detail=f"texte « {tail.strip()[:40]} » hors de toute requête",
            )

    def _fatal(self, exc: etree.XMLSyntaxError) -> None:
        line = exc.lineno or None
        message = exc.msg or str(exc)
        if cast(Any, exc).code in _ENCODING_ERRORS and "encoding" in message.lower():
            detail = _encoding_detail(message)
            self.issue("AAF-ENC-001", line=line, encoding=self.source.encoding, detail=detail)
        else:
            self.issue("AAF-XML-001", line=line, detail=_syntax_detail(message))


class RequestTooLarge(Exception):
    """More than the limit was read without a request ending."""

    def __init__(self, limit: int) -> None:
        """Keep the limit for the message."""
        super().__init__(limit)
        self.limit = limit


class _BoundedReader:
    """A binary file for lxml that stops when too much is read between two requests."""

    def __init__(self, raw: Any, limit: int) -> None:
        self._raw = raw
        self._limit = limit
        self._total = 0
        self._mark = 0

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._raw.read(size)
        self._total += len(data)
        if self._total - self._mark > self._limit:
            raise RequestTooLarge(self._limit)
        return data

    def request_ended(self) -> None:
        # lxml reads ahead by a buffer or so: the bound is approximate, never exceeded twice.
        self._mark = self._total


def source_line(node: Any) -> int | None:
    """The source line of an element (the lxml stubs type ``sourceline`` loosely)."""
    line = node.sourceline
    return line if isinstance(line, int) else None


def _root_of(context: Any) -> etree._Element | None:
    root = getattr(context, "root", None)
    return root if isinstance(root, etree._Element) else None


def _inside_request(element: etree._Element) -> bool:
    return next(element.iterancestors(*REQUEST_TAGS), None) is not None


_Read = tuple[
    tuple[str | None, str | None],
    str | None,
    dict[str, Sequence[str]],
    dict[str, int],
    list[str],
    list[str],
]
_NOT_READ: tuple[str, ...] = ()
_BODY_TAGS = ("operationalAttributes", "identifier", "attributes", "modifications")


def _read_valid(element: etree._Element, file_family: Family | None) -> _Read:
    """Extract a DTD-valid request, reading only the values some check needs.

    Validity guarantees the shape: operationalAttributes/attr/value+, identifier/id, then
    attributes/attr+ or modifications/modification+, each with value+ (comments aside).
    """
    body = list(element.iterchildren(*_BODY_TAGS))
    operational = next(body[0].iterchildren("attr"))
    category_name = operational.get("name")
    category_value = next(operational.iterchildren("value")).text
    key = next(body[1].iterchildren("id")).text
    attributes: dict[str, Sequence[str]] = {}
    lines: dict[str, int] = {}
    repeated: list[str] = []
    multi: list[str] = []
    if len(body) == 3:
        family = family_of_category(category_name, category_value) or file_family
        spec = SPECS[family] if family is not None else None
        needed = spec.needed if spec is not None else None
        singles = spec.singles if spec is not None else frozenset()
        for node in body[2]:
            name = node.get("name")
            if name is None:
                continue  # a comment
            if name in attributes:
                repeated.append(name)
                continue
            if needed is None or name in needed:
                values = [text for v in node.iterchildren("value") if (text := v.text)]
                attributes[name] = values
                lines[name] = node.sourceline  # type: ignore[assignment]
                if len(values) > 1 and name in singles:
                    multi.append(name)
            else:
                attributes[name] = _NOT_READ
                if name in singles and len(node) > 1 and _filled(node) > 1:
                    multi.append(name)
    return (category_name, category_value), key, attributes, lines, repeated, multi


def _filled(node: etree._Element) -> int:
    return sum(1 for v in node.iterchildren("value") if v.text)


# What lxml writes for a request with no comment, processing instruction, entity or stray
# text, up to its body. The serialiser escapes every "&", "<" and ">" in texts and every
# "&", "<", ">" and '"' in attribute values, so in its output each "<" opens a tag and each
# ">" closes one: splitting the text on tags is exact.
_HEAD = re.compile(
    r"<(addRequest|modifyRequest|deleteRequest)>"
    r'<operationalAttributes><attr name="([^"<]*+)">'
    r"<value(?:>([^<]*+)</value>|/>)(?:<value(?:>[^<]*+</value>|/>))*+"
    r"</attr></operationalAttributes>"
    r"<identifier><id(?:>([^<]*+)</id>|/>)</identifier>"
)
_SHAPES = {
    # request type: (body opening, body and request closing, first attribute opening,
    # separator between two attributes, end of a name, last attribute closing)
    "addRequest": (
        "<attributes>",
        "</attributes></addRequest>",
        '<attr name="',
        '</attr><attr name="',
        '">',
        "</attr>",
    ),
    "modifyRequest": (
        "<modifications>",
        "</modifications></modifyRequest>",
        '<modification name="',
        '</modification><modification name="',
        '" operation="replace">',
        "</modification>",
    ),
}
_BOUNDARY = "<value>.</value>"
"""Put between the contents of two attributes: in a valid whole it is one element, so the
contents end and start on element boundaries."""


def _read_canonical(
    element: etree._Element, file_family: Family | None, locate: bool = True
) -> _Read | None:
    """Extract a request from its serialisation, or None when it is not in canonical form.

    A canonical request is valid against the built-in DTD and reads exactly as
    :func:`_read_valid` reads it, without an lxml proxy per attribute and value. The shape
    is proved with string operations, much faster than a regular expression over the whole
    text: the head by a short pattern, then every name free of quotes and tags, and every
    attribute's content a non-empty run of ``<value>text</value>`` or ``<value/>``. Lines
    are looked up only for the attributes that reference other records (cross-file findings
    need them after the element is gone), and only with ``locate``; other findings find
    their line while the element is still there.
    """
    text = etree.tostring(element, encoding="unicode", with_tail=False)
    if "&" in text:
        return None  # an entity or an escaped character: let lxml read it
    head = _HEAD.match(text)
    if head is None:
        return None
    op = head[1]
    category = (head[2], head[3])
    shape = _SHAPES.get(op)
    start = head.end()
    if shape is None:
        if text[start:] != "</deleteRequest>":
            return None
        return category, head[4], {}, {}, [], []
    opening, closing, first, separator, name_end, last = shape
    if not text.startswith(opening + first, start) or not text.endswith(last + closing):
        return None
    inner = text[start + len(opening) + len(first) : len(text) - len(closing) - len(last)]
    parts = inner.replace(separator, name_end).split(name_end)
    if len(parts) % 2:
        return None
    names = parts[0::2]
    every_name = "".join(names)
    if '"' in every_name or "<" in every_name:
        return None
    bodies = parts[1::2]
    texts = _BOUNDARY.join(bodies)
    if "<value/>" in texts:
        texts = texts.replace("<value/>", "<value></value>")
    end = len(texts) - 8
    # Between the first <value> and the last </value>, every "<" must belong to a
    # "</value><value>" (two each): the texts hold no markup.
    if (
        "" in bodies
        or not texts.startswith("<value>")
        or not texts.endswith("</value>")
        or texts.count("<", 7, end) != 2 * texts.count("</value><value>", 7, end)
    ):
        return None
    contents = dict(zip(names, bodies, strict=True))
    if len(contents) != len(names):
        return None  # an attribute given twice: read element by element
    family = family_of_category(*category) or file_family
    attributes: dict[str, Sequence[str]] = dict.fromkeys(names, _NOT_READ)
    lines: dict[str, int] = {}
    if family is None:
        needed: Collection[str] = names
        located: Collection[str] = names
        singles: frozenset[str] = frozenset()
    else:
        spec = SPECS[family]
        needed = spec.needed.intersection(names)
        located = spec.located
        singles = spec.singles
    container: etree._Element | None = None
    for name in needed:
        content = contents[name]
        if "<value/>" in content:
            content = content.replace("<value/>", "")
            if not content:
                attributes[name] = []
                continue
        values = content[7:-8].split("</value><value>")
        if "" in values:
            values = [v for v in values if v]
        attributes[name] = values
        if locate and name in located:
            if container is None:
                container = element[2]
            lines[name] = container[names.index(name)].sourceline  # type: ignore[assignment]
    multi = [
        name
        for name in singles.intersection(names)
        if "><value" in (content := contents[name]) and len(_texts(content)) > 1
    ]
    if len(multi) > 1:
        multi.sort(key=names.index)
    return category, head[4], attributes, lines, [], multi


def _texts(content: str) -> list[str]:
    """The non-empty texts of canonical ``<value>…</value>`` and ``<value/>`` elements."""
    if "<value/>" in content:
        content = content.replace("<value/>", "")
        if not content:
            return []
    values = content[7:-8].split("</value><value>")
    return [v for v in values if v] if "" in values else values


def _read_loosely(element: etree._Element, file_family: Family | None) -> _Read:
    """Extract what can be read from a request that breaks the DTD, by element names."""
    category: tuple[str | None, str | None] = (None, None)
    key: str | None = None
    attributes: dict[str, Sequence[str]] = {}
    lines: dict[str, int] = {}
    repeated: list[str] = []
    for child in element:
        if child.tag == "operationalAttributes":
            first = child.find("attr")
            if first is not None:
                category = (first.get("name"), first.findtext("value"))
        elif child.tag == "identifier":
            key = child.findtext("id")
        elif child.tag in ("attributes", "modifications"):
            for node in child:
                if node.tag not in ("attr", "modification"):
                    continue
                name = node.get("name") or ""
                values = [v.text for v in node.iter("value") if v.text]
                lines.setdefault(name, source_line(node) or 0)
                if name in attributes:
                    repeated.append(name)
                    attributes[name] = [*attributes[name], *values]
                else:
                    attributes[name] = values
    family = family_of_category(*category) or file_family
    singles = SPECS[family].singles if family is not None else frozenset()
    multi = [n for n, v in attributes.items() if len(v) > 1 and n in singles and n not in repeated]
    return category, key, attributes, lines, repeated, multi


def _encoding_detail(message: str) -> str:
    if message.startswith("Unsupported encoding"):
        return "encodage non pris en charge"
    return "octets invalides pour cet encodage (encodage déclaré faux ou fichier mal converti)"


_SYNTAX = (
    (re.compile(r"Opening and ending tag mismatch: ([\w.:-]+) line \d+ and ([\w.:-]+)"),
     "balise fermante </{1}> au lieu de </{0}>"),
    (re.compile(r"Premature end of data in tag (\S+).*"), "fin de fichier dans <{0}> (tronqué ?)"),
    (re.compile(r"EndTag: '</' not found"), "fin de fichier avant la balise fermante (tronqué ?)"),
    (re.compile(r"Extra content at the end of the document"), "contenu après la fin du document"),
    (re.compile(r"Excessive depth in document: (\d+).*"), "imbrication excessive ({0} niveaux)"),
    (re.compile(r"Maximum entity amplification factor exceeded.*"),
     "amplification d'entités excessive : bombe d'entités refusée"),
)  # fmt: skip


def _syntax_detail(message: str) -> str:
    text = message.strip()
    for pattern, template in _SYNTAX:
        match = pattern.match(text)
        if match:
            return template.format(*match.groups())
    return text
