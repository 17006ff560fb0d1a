"""Checks of one request on its own: category, join key, attributes, values, profiles.

What a request says about other records (its structure, relatives, classes, subjects, MEF)
is handed on as :class:`Facts` to the cross-file checks (:mod:`sdet_check.aaf.crossref`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from typing import NamedTuple

from sdet_check.aaf.families import (
    CURRENT_VERSION,
    RULE_SETS,
    SPECS,
    AttrSpec,
    Family,
    FamilySpec,
    Part,
    family_of_category,
    rule_set_version,
)
from sdet_check.aaf.model import Kind, Op, SourceFile
from sdet_check.aaf.nomenclature import (
    CATEGORY_PROFILES,
    FUNCTION_PROFILES,
    TITLES,
    code_problem,
    contract_problem,
    date_problem,
    email_problem,
    ine_problem,
    national_profile,
    phone_problem,
    postal_code_problem,
    siren_problem,
    uai_problem,
)
from sdet_check.aaf.reader import Request

MASKED = "‹masqué›"
"""What replaces a personal value in a message unless values are shown."""

Reference = tuple[int, str, str, int]
"""(:class:`Part` referenced, its key — ``structure$code`` for classes and groups —,
attribute, line); line 0 when it is to be found on demand (:meth:`Request.line_of`)."""

_LAST_REFERENCE = Part.PUPIL  # reference parts are the codes 1 to 7


class Facts(NamedTuple):
    """What the cross-file checks need from one request (a tuple: it crosses processes)."""

    family: Family
    op: Op
    key: str
    line: int
    references: list[Reference]


Emit = Callable[..., None]
"""``emit(rule_id, request, attribute=None, **fields)`` records one finding."""

_ALLOWED = {
    Part.YES_NO: (frozenset({"O", "N"}), "O ou N attendu"),
    Part.FLAG: (frozenset({"0", "1"}), "0 ou 1 attendu"),
    Part.RESPONSIBILITY: (
        frozenset({"0", "1", "2"}),
        "niveau de responsabilité 0, 1 (représentant légal) ou 2 (personne en charge) attendu",
    ),
    Part.TITLE: (TITLES, "civilité M., Mme ou Mlle attendue"),
}

_DOMAINS: dict[int, tuple[str, Callable[[str], str | None]]] = {
    Part.SIREN: ("AAF-DOM-001", siren_problem),
    Part.POSTAL: ("AAF-DOM-002", postal_code_problem),
    Part.PHONE: ("AAF-DOM-002", phone_problem),
    Part.EMAIL: ("AAF-DOM-002", email_problem),
    Part.CONTRACT: ("AAF-DOM-002", contract_problem),
    Part.TYPE_CODE: ("AAF-DOM-002", lambda value: code_problem(value, 3)),
    Part.MINISTRY_CODE: ("AAF-DOM-002", lambda value: code_problem(value, 2)),
}
"""Value domains: the rule a value outside them breaks, and the reason it is outside."""


class RecordChecker:
    """Checks requests one at a time and returns their cross-file facts."""

    def __init__(self, emit: Emit, *, show_values: bool = False):
        """``emit`` receives findings; personal values are masked unless ``show_values``."""
        self.emit = emit
        self.show_values = show_values
        self._versions: dict[str, str] = {}
        self.version = CURRENT_VERSION
        """The rule set of the request being checked (named in AAF-COMP-001 findings)."""

    def _version(self, source: SourceFile) -> str:
        """The rule set ``source`` is judged by (from its header), remembered per file."""
        version = self._versions.get(source.name)
        if version is None:
            version = rule_set_version(source.version_af, source.header.get("versionSDET"))
            self._versions[source.name] = version
        self.version = version
        return version

    def check(self, source: SourceFile, request: Request) -> Facts | None:
        """Check ``request`` read from ``source``; None when it cannot be placed in a family."""
        emit = self.emit
        if request.dtd_problems:
            line = request.dtd_problems[0][0]
            detail = " ; ".join(problem for _, problem in request.dtd_problems[:3])
            emit("AAF-DTD-001", request, line=line, detail=detail)
        family = self._family(source, request)
        op = request.op
        if op is not Op.ADD and source.kind is Kind.COMPLET:
            emit("AAF-OP-001", request, op=op.value)
        key = request.key or ""
        if not key.strip():
            emit("AAF-KEY-002", request, detail="identifier/id absent ou vide")
        if family is None:
            return None
        spec = SPECS[family]
        attributes = request.attributes
        if op is Op.ADD:
            joined = attributes.get(spec.join_key)
            if joined and key and joined[0] != key:
                detail = f"identifier/id « {key} » différent de {spec.join_key} « {joined[0]} »"
                emit("AAF-KEY-002", request, attribute=spec.join_key, detail=detail)
            self._mandatory(spec, request)
        self._names(spec, request)
        references: list[Reference] = []
        functions: list[str] = []
        profiles: list[str] = []
        # In inventory order, not set order: the findings' order must not depend on hashing.
        values_of = attributes.get
        version = self._version(source)
        for attribute, plan in _PLANS_BY_VERSION[version][family]:
            values = values_of(attribute.name)
            if values:
                self._values(attribute, plan, values, request, references, functions, profiles)
        if op is Op.ADD and family.is_person:
            self._profile(family, request, functions, profiles)
        return Facts(family, op, key, request.line, references)

    def _family(self, source: SourceFile, request: Request) -> Family | None:
        name, value = request.category
        family = family_of_category(name, value)
        if family is None:
            said = "absent" if name is None else f"« {name}={value or ''} »"
            where = f" (famille du fichier : {source.family})" if source.family else ""
            detail = f"{said} : ne désigne aucune famille AAF{where}"
            self.emit("AAF-OPATTR-001", request, detail=detail)
            return source.family
        if source.family is not None and family is not source.family:
            detail = f"« {name}={value} » : requête {family} dans un fichier {source.family}"
            self.emit("AAF-OPATTR-001", request, detail=detail)
        return family

    def _mandatory(self, spec: FamilySpec, request: Request) -> None:
        attributes = request.attributes
        for alternatives in spec.mandatory:
            for name in alternatives:
                if attributes.get(name):
                    break
            else:
                self.emit("AAF-ATTR-002", request, attribute=" ou ".join(alternatives))

    def _names(self, spec: FamilySpec, request: Request) -> None:
        names = request.attributes.keys()
        unknown = names - spec.known
        if unknown:
            for name in sorted(unknown):
                self.emit(
                    "AAF-ATTR-001",
                    request,
                    attribute=name,
                    family=spec.family.value,
                    detail=_suggestion(spec, name),
                )
        deprecated = names & spec.deprecated
        if deprecated:
            for name in sorted(deprecated):
                self.emit("AAF-ATTR-004", request, attribute=name)
        for name in dict.fromkeys(request.repeated):
            self.emit("AAF-ATTR-003", request, attribute=name, detail="donné plusieurs fois")
        for name in request.multi:
            count = len(request.attributes[name]) or "plusieurs"
            self.emit(
                "AAF-ATTR-003",
                request,
                attribute=name,
                detail=f"monovalué mais porte {count} valeurs",
            )

    def _values(
        self,
        attribute: AttrSpec,
        plan: _Plan,
        values: Sequence[str],
        request: Request,
        references: list[Reference],
        functions: list[str],
        profiles: list[str],
    ) -> None:
        name = attribute.name
        if not attribute.composite:
            part, _, accepted = plan[0]
            if part <= _LAST_REFERENCE:
                line = request.lines.get(name, request.reference_line)
                references.extend([(part, value, name, line) for value in values])
            else:
                for value in values:
                    if accepted is None or not accepted(value):
                        self._scalar(part, value, attribute, request, functions, profiles, 0)
            return
        line = request.lines.get(name, request.reference_line)
        count = len(attribute.parts)
        extra = attribute.extra
        for value in values:
            fields = value.split("$")
            if len(fields) != count and (extra is None or len(fields) < count):
                self.emit(
                    "AAF-COMP-001",
                    request,
                    attribute=name,
                    value=self._shown(attribute, value),
                    count=len(fields),
                    expected=f"{count} ou plus" if extra is not None else str(count),
                    version=self.version,
                )
                continue
            structure = ""
            for part, position, accepted in plan:
                text = fields[position]
                if accepted is not None:
                    if not accepted(text):
                        self._scalar(part, text, attribute, request, functions, profiles, position)
                elif part == Part.STRUCT:
                    structure = text
                    references.append((part, text, name, line))
                elif part == Part.CLASS or part == Part.GROUP:
                    target = f"{structure}${text}" if position else text
                    references.append((part, target, name, line))
                elif part <= _LAST_REFERENCE:
                    references.append((part, text, name, line))
                else:
                    self._scalar(part, text, attribute, request, functions, profiles, position)

    def _scalar(
        self,
        part: int,
        text: str,
        attribute: AttrSpec,
        request: Request,
        functions: list[str],
        profiles: list[str],
        position: int,
    ) -> None:
        name = attribute.name
        if part == Part.DATE:
            if not text and attribute.composite:
                return  # an open-ended period: no end date yet
            problem = date_problem(text)
            if problem:
                value = self._shown(attribute, text)
                self.emit("AAF-DATE-001", request, attribute=name, value=value, detail=problem)
        elif part == Part.UAI:
            problem = uai_problem(text)
            if problem:
                self.emit("AAF-UAI-001", request, attribute=name, value=text, detail=problem)
        elif part == Part.INE:
            problem = ine_problem(text)
            if problem:
                value = self._shown(attribute, text)
                self.emit("AAF-INE-001", request, attribute=name, value=value, detail=problem)
        elif part in _DOMAINS:
            rule, problem_of = _DOMAINS[part]
            problem = problem_of(text) if text else None
            if problem:
                value = self._shown(attribute, text)
                self.emit(rule, request, attribute=name, value=value, detail=problem)
        elif part == Part.FUNCTION:
            if text:
                functions.append(text)
                if text not in FUNCTION_PROFILES:
                    self.emit("AAF-PROF-002", request, attribute=name, value=text)
        elif part == Part.PROFILE:
            profile = national_profile(text)
            if profile is None:
                detail = f"valeur « {text} » de {name} hors de la liste des profils nationaux"
                self.emit("AAF-PROF-001", request, attribute=name, detail=detail)
            else:
                profiles.append(profile)
        elif part == Part.CODE:
            if not text.isdigit():
                detail = f"champ {position + 1} : code numérique attendu"
                self.emit("AAF-VAL-001", request, attribute=name, value=text, detail=detail)
        else:
            allowed, expectation = _ALLOWED[part]
            if text not in allowed:
                if attribute.composite:
                    expectation = f"champ {position + 1} : {expectation}"
                value = self._shown(attribute, text)
                self.emit("AAF-VAL-001", request, attribute=name, value=value, detail=expectation)

    def _profile(
        self, family: Family, request: Request, functions: list[str], profiles: list[str]
    ) -> None:
        implied = CATEGORY_PROFILES.get(family)
        if implied is not None:
            wrong = [p for p in profiles if p != implied]
            if wrong:
                detail = (
                    f"profil {', '.join(wrong)} incompatible avec la catégorie {family} "
                    f"({implied} attendu)"
                )
                self.emit("AAF-PROF-001", request, attribute="ENTPersonProfils", detail=detail)
            return
        if profiles or any(code in FUNCTION_PROFILES for code in functions):
            return
        detail = (
            "aucun profil national : aucune fonction (ENTPersonFonctions) dont le code figure "
            "dans la table nationale"
            if functions
            else "aucun profil national : aucune fonction (ENTPersonFonctions) donnée"
        )
        self.emit("AAF-PROF-001", request, attribute="ENTPersonFonctions", detail=detail)

    def _shown(self, attribute: AttrSpec, value: str) -> str:
        if attribute.personal and not self.show_values:
            return MASKED
        return value


Accepted = Callable[[str], bool]
_Plan = tuple[tuple[int, int, Accepted | None], ...]
"""(part, position, quick test) for each part a check looks at, TEXT parts left out. The
quick test says a value is certainly fine; a value it does not accept goes through
:meth:`RecordChecker._scalar`, which decides and words the finding."""


def _quick_test(part: int, composite: bool) -> Accepted | None:
    if part in _ALLOWED:
        return _ALLOWED[part][0].__contains__
    if part in _DOMAINS:
        problem_of = _DOMAINS[part][1]
        return lambda text: not text or problem_of(text) is None
    if part == Part.DATE:
        # An empty date in a composite value is an open period, accepted by _scalar.
        if composite:
            return lambda text: not text or date_problem(text) is None
        return lambda text: date_problem(text) is None
    return None


def _plan(attribute: AttrSpec) -> _Plan:
    return tuple(
        (part, position, _quick_test(part, attribute.composite))
        for position, part in enumerate(attribute.parts)
        if part != Part.TEXT or not attribute.composite
    )


_PLANS_BY_VERSION: dict[str, dict[Family, tuple[tuple[AttrSpec, _Plan], ...]]] = {
    version: {
        family: tuple((attribute, _plan(attribute)) for attribute in spec.checked)
        for family, spec in specs.items()
    }
    for version, specs in RULE_SETS.items()
}


def _suggestion(spec: FamilySpec, name: str) -> str:
    known = spec.by_lower.get(name.lower())
    if known is None:
        close = difflib.get_close_matches(name, spec.known, n=1, cutoff=0.85)
        known = close[0] if close else None
    if known is None:
        for other in Family:
            if other is not spec.family and name in SPECS[other].known:
                return f" (attribut de la famille {other})"
        return ""
    return f" (vouliez-vous écrire « {known} » ?)"
