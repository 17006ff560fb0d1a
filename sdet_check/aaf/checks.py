"""Checks of one request on its own: category, join key, attributes, values, profiles.

What a request says about other records (its structure, relatives, classes, subjects, MEF)
is handed on as :class:`Facts` to the cross-file checks (:mod:`sdet_check.aaf.crossref`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from sdet_check.aaf.families import (
    REFERENCE_PARTS,
    SPECS,
    AttrSpec,
    Family,
    FamilySpec,
    Part,
    family_of_category,
)
from sdet_check.aaf.model import Kind, Op, SourceFile
from sdet_check.aaf.nomenclature import (
    CATEGORY_PROFILES,
    FUNCTION_PROFILES,
    TITLES,
    date_problem,
    ine_problem,
    national_profile,
    uai_problem,
)
from sdet_check.aaf.reader import Request

MASKED = "‹masqué›"
"""What replaces a personal value in a message unless values are shown."""

Reference = tuple[Part, str, str]
"""(what is referenced, its key — ``structure$code`` for classes and groups —, attribute)."""


@dataclass(slots=True)
class Facts:
    """What the cross-file checks need from one request."""

    family: Family
    op: Op
    key: str
    line: int
    references: list[Reference]


Emit = Callable[..., None]
"""``emit(rule_id, request, attribute=None, **fields)`` records one finding."""

_FLAG_VALUES = {
    Part.YES_NO: (frozenset({"O", "N"}), "O ou N attendu"),
    Part.FLAG: (frozenset({"0", "1"}), "0 ou 1 attendu"),
    Part.RESPONSIBILITY: (
        frozenset({"0", "1", "2"}),
        "niveau de responsabilité 0, 1 (représentant légal) ou 2 (personne en charge) attendu",
    ),
    Part.TITLE: (TITLES, "civilité M., Mme ou Mlle attendue"),
}


class RecordChecker:
    """Checks requests one at a time and returns their cross-file facts."""

    def __init__(self, emit: Emit, *, show_values: bool = False):
        """``emit`` receives findings; personal values are masked unless ``show_values``."""
        self.emit = emit
        self.show_values = show_values

    def check(self, source: SourceFile, request: Request) -> Facts | None:
        """Check ``request`` read from ``source``; None when it cannot be placed in a family."""
        if request.dtd_problems:
            line = request.dtd_problems[0][0]
            detail = " ; ".join(problem for _, problem in request.dtd_problems[:3])
            self.emit("AAF-DTD-001", request, line=line, detail=detail)
        family = self._family(source, request)
        if source.kind is Kind.COMPLET and request.op is not Op.ADD:
            self.emit("AAF-OP-001", request, op=request.op.value)
        key = request.key or ""
        if not key.strip():
            self.emit("AAF-KEY-002", request, detail="identifier/id absent ou vide")
        if family is None:
            return None
        spec = SPECS[family]
        attributes = request.attributes
        if request.op is Op.ADD:
            joined = attributes.get(spec.join_key)
            if joined and key and joined[0] != key:
                self.emit(
                    "AAF-KEY-002",
                    request,
                    attribute=spec.join_key,
                    detail=f"identifier/id « {key} » différent de {spec.join_key} « {joined[0]} »",
                )
            self._mandatory(spec, request)
        self._names(spec, request)
        references: list[Reference] = []
        functions: list[str] = []
        profiles: list[str] = []
        for attribute in spec.checked:
            values = attributes.get(attribute.name)
            if values:
                self._values(attribute, values, request, references, functions, profiles)
        if request.op is Op.ADD and family.is_person:
            self._profile(family, request, functions, profiles)
        return Facts(family, request.op, key, request.line, references)

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
            if not any(attributes.get(name) for name in alternatives):
                self.emit("AAF-ATTR-002", request, attribute=" ou ".join(alternatives))

    def _names(self, spec: FamilySpec, request: Request) -> None:
        attributes = request.attributes
        names = attributes.keys()
        for name in sorted(names - spec.known):
            self.emit(
                "AAF-ATTR-001",
                request,
                attribute=name,
                family=spec.family.value,
                detail=_suggestion(spec, name),
            )
        for name in sorted(names & spec.deprecated):
            self.emit("AAF-ATTR-004", request, attribute=name)
        for name in dict.fromkeys(request.repeated):
            self.emit("AAF-ATTR-003", request, attribute=name, detail="donné plusieurs fois")
        for name, values in attributes.items():
            if len(values) > 1 and name in spec.singles and name not in request.repeated:
                self.emit(
                    "AAF-ATTR-003",
                    request,
                    attribute=name,
                    detail=f"monovalué mais porte {len(values)} valeurs",
                )

    def _values(
        self,
        attribute: AttrSpec,
        values: list[str],
        request: Request,
        references: list[Reference],
        functions: list[str],
        profiles: list[str],
    ) -> None:
        parts = attribute.parts
        composite = attribute.composite
        for value in values:
            if composite:
                fields = value.split("$")
                if len(fields) != len(parts) and (
                    attribute.extra is None or len(fields) < len(parts)
                ):
                    expected = str(len(parts)) + (" ou plus" if attribute.extra else "")
                    self.emit(
                        "AAF-COMP-001",
                        request,
                        attribute=attribute.name,
                        value=self._shown(attribute, value),
                        count=len(fields),
                        expected=expected,
                    )
                    continue
            else:
                fields = [value]
            structure = ""
            for position, (part, text) in enumerate(zip(parts, fields, strict=False)):
                if part is Part.TEXT:
                    continue
                if part in REFERENCE_PARTS:
                    if part is Part.STRUCT:
                        structure = text
                        references.append((part, text, attribute.name))
                    elif part is Part.CLASS or part is Part.GROUP:
                        target = f"{structure}${text}" if position else text
                        references.append((part, target, attribute.name))
                    else:
                        references.append((part, text, attribute.name))
                else:
                    self._scalar(part, text, attribute, request, functions, profiles, position)

    def _scalar(
        self,
        part: Part,
        text: str,
        attribute: AttrSpec,
        request: Request,
        functions: list[str],
        profiles: list[str],
        position: int,
    ) -> None:
        name = attribute.name
        if part is Part.DATE:
            if not text and attribute.composite:
                return  # an open-ended period: no end date yet
            problem = date_problem(text)
            if problem:
                self.emit(
                    "AAF-DATE-001",
                    request,
                    attribute=name,
                    value=self._shown(attribute, text),
                    detail=problem,
                )
        elif part is Part.UAI:
            problem = uai_problem(text)
            if problem:
                self.emit("AAF-UAI-001", request, attribute=name, value=text, detail=problem)
        elif part is Part.INE:
            problem = ine_problem(text)
            if problem:
                self.emit(
                    "AAF-INE-001",
                    request,
                    attribute=name,
                    value=self._shown(attribute, text),
                    detail=problem,
                )
        elif part is Part.FUNCTION:
            if text:
                functions.append(text)
                if text not in FUNCTION_PROFILES:
                    self.emit("AAF-PROF-002", request, attribute=name, value=text)
        elif part is Part.PROFILE:
            profile = national_profile(text)
            if profile is None:
                self.emit(
                    "AAF-PROF-001",
                    request,
                    attribute=name,
                    detail=f"valeur « {text} » de {name} hors de la liste des profils nationaux",
                )
            else:
                profiles.append(profile)
        elif part is Part.CODE:
            if not text.isdigit():
                detail = f"champ {position + 1} : code numérique attendu"
                self.emit("AAF-VAL-001", request, attribute=name, value=text, detail=detail)
        else:
            allowed, expectation = _FLAG_VALUES[part]
            if text not in allowed:
                detail = (
                    f"champ {position + 1} : {expectation}" if attribute.composite else expectation
                )
                self.emit(
                    "AAF-VAL-001",
                    request,
                    attribute=name,
                    value=self._shown(attribute, text),
                    detail=detail,
                )

    def _profile(
        self, family: Family, request: Request, functions: list[str], profiles: list[str]
    ) -> None:
        implied = CATEGORY_PROFILES.get(family)
        if implied is not None:
            wrong = [p for p in profiles if p != implied]
            if wrong:
                self.emit(
                    "AAF-PROF-001",
                    request,
                    attribute="ENTPersonProfils",
                    detail=f"profil {', '.join(wrong)} incompatible avec la catégorie {family} "
                    f"({implied} attendu)",
                )
            return
        derived = {FUNCTION_PROFILES[code] for code in functions if code in FUNCTION_PROFILES}
        if not derived and not profiles:
            detail = (
                "aucun profil national : aucune fonction (ENTPersonFonctions) dont le code "
                "figure dans la table nationale"
                if functions
                else "aucun profil national : aucune fonction (ENTPersonFonctions) donnée"
            )
            self.emit("AAF-PROF-001", request, attribute="ENTPersonFonctions", detail=detail)

    def _shown(self, attribute: AttrSpec, value: str) -> str:
        if attribute.personal and not self.show_values:
            return MASKED
        return value


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
