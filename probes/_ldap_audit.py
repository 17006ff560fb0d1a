"""The annuaire data-model audit: every person and structure entry against the SDET model.

:class:`DirectoryAudit` consumes entries one at a time (as a paged search delivers them),
checks what can be checked on one entry at once, keeps only the little it needs for the
checks between entries (join keys, links, classes, attachments), and produces per-rule
counts with a bounded list of pseudonymised examples.

Rule ids follow the AAF validator's where the rule is the same (``AAF-*``: a defect the
feed itself can carry); ``LDAP-*`` rules only make sense in a directory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sdet_check.pseudonym import Pseudonymiser
from sdet_check.sdet_model import (
    NATIONAL_PROFILES,
    age_on,
    join_key_id,
    parse_date,
    uai_problem,
    value_shape,
)

RULES: dict[str, str] = {
    "AAF-KEY-001": "clé de jointure portée par plusieurs entrées",
    "AAF-KEY-002": "entrée sans clé de jointure (ENTPersonJointure, ENTStructureJointure)",
    "AAF-UAI-001": "code UAI mal formé ou de lettre clé fausse",
    "AAF-PROF-001": "profil absent ou hors de la liste nationale (ENTPersonProfils)",
    "AAF-DATE-001": "date invalide (format, date inexistante, date future)",
    "AAF-COMP-001": "valeur composée mal découpée (ENTEleveClasses : structure$classe)",
    "AAF-XREF-001": "structure inconnue (rattachement ou classe vers une structure absente)",
    "AAF-XREF-002": "responsable inconnu : l'élève cite une personne absente de l'annuaire",
    "AAF-XREF-003": "lien élève → responsable non réciproque",
    "AAF-XREF-004": "lien responsable → élève vers un élève absent ou qui ne le cite pas",
    "AAF-XREF-005": "classe d'élève non déclarée par sa structure (ENTStructureClasses)",
    "LDAP-DATE-001": "date de naissance invraisemblable pour le profil",
    "LDAP-UAI-001": "structure sans code UAI (ENTStructureUAI)",
    "LDAP-UAI-002": "code UAI porté par plusieurs structures",
    "LDAP-DUP-001": "doublon probable : mêmes nom, prénom et date de naissance, clés différentes",
}
"""Every rule the audit applies, with its French title."""

STRUCTURE_ATTRIBUTES = (
    "ENTStructureJointure",
    "ENTStructureUAI",
    "ENTEtablissementUAI",
    "ENTStructureClasses",
)
"""What a scan asks of each structure: only what the rules read."""

PERSON_ATTRIBUTES = (
    "ENTPersonJointure",
    "ENTPersonProfils",
    "ENTPersonDateNaissance",
    "ENTPersonStructRattach",
    "ENTPersonStructRattachRNE",
    "ENTElevePersRelEleve",
    "ENTAuxPersRelEleveEleve",
    "ENTEleveClasses",
    "ENTEleveDateEntreeClasses",
    "ENTEleveDateSortieClasses",
    "sn",
    "givenName",
)
"""What a scan asks of each person: only what the rules read."""

ATTRIBUTES = STRUCTURE_ATTRIBUTES + PERSON_ATTRIBUTES
"""Every attribute the audit reads."""

KINDS = ("structure", "pupil", "relative", "person")
"""What an entry is, as the search that found it says (so that no objectClass is read)."""

PUPIL_AGES = (2, 25)
"""Plausible age range of a pupil, in years (inclusive)."""
ADULT_MIN_AGE = 16
"""Youngest plausible age of an adult profile (staff, guardians)."""
MAX_AGE = 110
"""Oldest plausible age of anyone."""
REMEMBERED_VALUES = 1 << 16
"""How many distinct dates and UAI codes an audit remembers the check of, at most."""


@dataclass
class RuleFindings:
    """The findings of one rule: how many, and the first examples (pseudonymised)."""

    rule: str
    title: str
    """The rule's French title."""
    count: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class AuditReport:
    """What the audit found over every entry it was given."""

    persons: int
    structures: int
    pupils: int
    relatives: int
    profiles: dict[str, int]
    findings: dict[str, RuleFindings]

    def count(self, rule: str) -> int:
        """Number of findings of ``rule``."""
        return self.findings[rule].count


_Person = tuple[str, tuple[str, ...], frozenset[str]]
"""What the checks between entries need of a person: DN, profiles, join key identifiers
(folded: ``MENESR$12`` and ``12`` are the same person). A plain tuple: one is made per person."""


class DirectoryAudit:
    """Checks entries against the SDET data model as they arrive; see the module docstring."""

    def __init__(self, pseudonymiser: Pseudonymiser, today: date, examples_kept: int = 100) -> None:
        """Prepare an empty audit; ``examples_kept`` bounds the examples of each rule."""
        self._pseudo = pseudonymiser
        self._today = today
        self._kept = examples_kept
        self._findings = {rule: RuleFindings(rule, title) for rule, title in RULES.items()}
        self._persons: list[_Person] = []
        self._person_by_key: dict[str, int] = {}
        self._structures = 0
        self._structure_by_key: dict[str, str] = {}
        self._structure_by_dn: dict[str, str] = {}
        self._structure_classes: dict[str, set[str]] = {}
        self._structure_by_uai: dict[str, str] = {}
        self._pupil_links: dict[int, list[str]] = {}
        """Pupil → folded identifiers of the relatives it names."""
        self._relative_links: dict[int, list[str]] = {}
        """Relative → folded identifiers of the pupils it names."""
        self._pending_classes: list[tuple[int, str]] = []
        self._pending_attachments: list[tuple[int, str]] = []
        self._identities: dict[tuple[str, str, date], int] = {}
        self._profiles: dict[str, int] = {}
        self._dates: dict[str, date | str] = {}
        """Dates already parsed: the date, or why the value is none."""
        self._ages: dict[date, int] = {}
        self._uais: dict[str, str] = {}
        """UAI codes already checked: what is wrong with each (empty when nothing)."""

    # --- one entry --------------------------------------------------------------------

    def add(self, dn: str, attributes: Mapping[str, list[str]], kind: str) -> None:
        """Check one entry of ``kind`` (see :data:`KINDS`); attribute names in lower case."""
        if kind == "structure":
            self._add_structure(dn, attributes)
        else:
            self._add_person(dn, attributes, kind)

    def _add_structure(self, dn: str, attributes: Mapping[str, list[str]]) -> None:
        keys = [key for key in attributes.get("entstructurejointure", ()) if key.strip()]
        if not keys:
            self._find("AAF-KEY-002", structure=dn, detail="structure sans ENTStructureJointure")
        self._structures += 1
        for key in keys:
            ident = join_key_id(key).casefold()
            other = self._structure_by_key.get(ident)
            if other is not None:
                self._find(
                    "AAF-KEY-001",
                    structure=dn,
                    detail="clé de jointure de structure déjà portée par une autre structure",
                    cle=key,
                    autre_entree=other,
                )
            else:
                self._structure_by_key[ident] = dn
        self._structure_by_dn[dn_key(dn)] = dn
        declared = set()
        for value in attributes.get("entstructureclasses", ()):
            code = value.split("$", 1)[0].strip()
            if code:
                declared.add(code.casefold())
        self._structure_classes[dn] = declared
        uais = attributes.get("entstructureuai", [])
        if not uais:
            self._find("LDAP-UAI-001", structure=dn, detail="aucune valeur d'ENTStructureUAI")
        for attribute in ("entstructureuai", "entetablissementuai"):
            for value in attributes.get(attribute, ()):
                problem = uai_problem(value)
                if problem:
                    self._find(
                        "AAF-UAI-001",
                        structure=dn,
                        attribut=_CASE[attribute],
                        valeur=value,
                        detail=problem,
                    )
        for value in uais:
            other = self._structure_by_uai.get(value.upper())
            if other is not None and other != dn:
                self._find(
                    "LDAP-UAI-002",
                    structure=dn,
                    valeur=value,
                    detail="UAI déjà porté par une autre structure",
                    autre_entree=other,
                )
            else:
                self._structure_by_uai[value.upper()] = dn

    def _add_person(self, dn: str, attributes: Mapping[str, list[str]], kind: str) -> None:
        # The hot path of an audit, once per person: no finding is the common case, and the
        # checks of dates and UAI codes, values repeated from person to person, are remembered.
        index = len(self._persons)
        profiles = tuple(attributes.get("entpersonprofils", ()))
        keys = [key for key in attributes.get("entpersonjointure", ()) if key.strip()]
        idents = [(join_key_id(key) if "$" in key else key).casefold() for key in keys]
        self._persons.append((dn, profiles, frozenset(idents)))
        counted = self._profiles
        for profile in profiles:
            counted[profile] = counted.get(profile, 0) + 1
        is_pupil = kind == "pupil" or "National_ELV" in profiles
        is_relative = kind == "relative" or "National_TUT" in profiles

        if not keys:
            self._find("AAF-KEY-002", person=index, detail="personne sans ENTPersonJointure")
        by_key = self._person_by_key
        for position, ident in enumerate(idents):
            other = by_key.get(ident)
            if other is not None:
                self._find(
                    "AAF-KEY-001",
                    person=index,
                    detail="clé de jointure déjà portée par une autre personne",
                    cle=self._pseudo.value(keys[position], "ENTPersonJointure"),
                    autre_entree=self._pseudo.dn(self._persons[other][0]),
                )
            else:
                by_key[ident] = index

        if not profiles:
            self._find("AAF-PROF-001", person=index, detail="aucune valeur d'ENTPersonProfils")
        for profile in profiles:
            if profile not in NATIONAL_PROFILES:
                self._find(
                    "AAF-PROF-001",
                    person=index,
                    valeur=profile,
                    detail="profil hors de la liste nationale",
                )

        births = attributes.get("entpersondatenaissance")
        born = self._check_birth(index, births, is_pupil) if births else None
        if "entelevedateentreeclasses" in attributes:
            self._check_class_dates(index, "entelevedateentreeclasses", attributes)
        if "entelevedatesortieclasses" in attributes:
            self._check_class_dates(index, "entelevedatesortieclasses", attributes)

        for value in attributes.get("entpersonstructrattachrne", ()):
            problem = self._uai_problem(value)
            if problem:
                self._find(
                    "AAF-UAI-001",
                    person=index,
                    attribut="ENTPersonStructRattachRNE",
                    valeur=value,
                    detail=problem,
                )
        pending = self._pending_attachments
        for value in attributes.get("entpersonstructrattach", ()):
            pending.append((index, value))
        if is_pupil:
            # The part before the first ``$`` has no ``$``: it is its own join key identifier.
            self._pupil_links[index] = [
                value.partition("$")[0].strip().casefold()
                for value in attributes.get("entelevepersreleleve", ())
            ]
            pending = self._pending_classes
            for value in attributes.get("enteleveclasses", ()):
                pending.append((index, value))
        if is_relative:
            self._relative_links[index] = [
                join_key_id(value.strip()).casefold()
                for value in attributes.get("entauxpersreleleveeleve", ())
            ]

        surname = attributes.get("sn")
        given = attributes.get("givenname")
        if born is not None and surname and given and keys:
            identity = (surname[0].casefold(), given[0].casefold(), born)
            other = self._identities.get(identity)
            if other is not None:
                self._find(
                    "LDAP-DUP-001",
                    person=index,
                    detail="même nom, prénom et date de naissance qu'une autre personne",
                    autre_entree=self._pseudo.dn(self._persons[other][0]),
                )
            else:
                self._identities[identity] = index

    def _check_birth(self, index: int, births: Iterable[str], is_pupil: bool) -> date | None:
        born: date | None = None
        low, high = PUPIL_AGES if is_pupil else (ADULT_MIN_AGE, MAX_AGE)
        for value in births:
            parsed = self._dates.get(value)
            if parsed is None:
                parsed = self._parse_date(value)
            if isinstance(parsed, str):
                self._find(
                    "AAF-DATE-001",
                    person=index,
                    attribut="ENTPersonDateNaissance",
                    forme=value_shape(value),
                    detail=parsed,
                )
                continue
            if parsed > self._today:
                self._find(
                    "AAF-DATE-001",
                    person=index,
                    attribut="ENTPersonDateNaissance",
                    detail="date de naissance dans le futur",
                )
                continue
            born = parsed
            age = self._ages.get(parsed)
            if age is None:
                age = age_on(parsed, self._today)
                if len(self._ages) < REMEMBERED_VALUES:
                    self._ages[parsed] = age
            if not low <= age <= high:
                # The direction only: an exact age is personal data too.
                self._find(
                    "LDAP-DATE-001",
                    person=index,
                    attribut="ENTPersonDateNaissance",
                    detail=f"{'trop jeune' if age < low else 'trop âgé'} pour un profil "
                    f"{'élève' if is_pupil else 'adulte'} (attendu : {low} à {high} ans)",
                )
        return born

    def _check_class_dates(
        self, index: int, attribute: str, attributes: Mapping[str, list[str]]
    ) -> None:
        for value in attributes[attribute]:
            fields = value.split("$")
            if len(fields) < 2 or not fields[1]:
                continue
            parsed = self._dates.get(fields[1])
            if parsed is None:
                parsed = self._parse_date(fields[1])
            if isinstance(parsed, str):
                self._find(
                    "AAF-DATE-001",
                    person=index,
                    attribut=_CASE[attribute],
                    forme=value_shape(fields[1]),
                    detail=parsed,
                )

    def _parse_date(self, value: str) -> date | str:
        """The date ``value`` stands for, or why it stands for none; remembered."""
        parsed: date | str
        try:
            parsed = parse_date(value)
        except ValueError as invalid:
            parsed = str(invalid)
        if len(self._dates) < REMEMBERED_VALUES:
            self._dates[value] = parsed
        return parsed

    def _uai_problem(self, value: str) -> str:
        """What is wrong with a UAI code (empty when nothing); remembered."""
        problem = self._uais.get(value)
        if problem is None:
            problem = uai_problem(value) or ""
            if len(self._uais) < REMEMBERED_VALUES:
                self._uais[value] = problem
        return problem

    # --- between entries ----------------------------------------------------------------

    def finish(self) -> AuditReport:
        """Run the checks that need every entry, then report."""
        self._check_links()
        self._check_classes()
        self._check_attachments()
        return AuditReport(
            persons=len(self._persons),
            structures=self._structures,
            pupils=len(self._pupil_links),
            relatives=len(self._relative_links),
            profiles=dict(sorted(self._profiles.items())),
            findings=self._findings,
        )

    def _check_links(self) -> None:
        """Pupil ↔ relative links, from both sides: each named person exists and names back."""
        self._check_side(
            self._pupil_links,
            self._relative_links,
            "ENTElevePersRelEleve",
            rules=("AAF-XREF-002", "AAF-XREF-003"),
            missing="le responsable désigné n'existe pas dans l'annuaire",
            one_way="le responsable désigné ne cite pas l'élève (ENTAuxPersRelEleveEleve)",
        )
        self._check_side(
            self._relative_links,
            self._pupil_links,
            "ENTAuxPersRelEleveEleve",
            rules=("AAF-XREF-004", "AAF-XREF-004"),
            missing="l'élève désigné n'existe pas dans l'annuaire",
            one_way="l'élève désigné ne cite pas ce responsable (ENTElevePersRelEleve)",
        )

    def _check_side(
        self,
        links: dict[int, list[str]],
        back_links: dict[int, list[str]],
        attribute: str,
        *,
        rules: tuple[str, str],
        missing: str,
        one_way: str,
    ) -> None:
        """Find the links of ``attribute`` to nobody (``rules[0]``) or not returned (``[1]``)."""
        missing_rule, one_way_rule = rules
        persons, by_key = self._persons, self._person_by_key
        for owner, keys in links.items():
            owner_ids = persons[owner][2]
            for key in keys:
                named = by_key.get(key)
                if named is None:
                    self._find(
                        missing_rule,
                        person=owner,
                        attribut=attribute,
                        cle=self._pseudo.value(key, "ENTPersonJointure"),
                        detail=missing,
                    )
                elif owner_ids.isdisjoint(back_links.get(named, ())):
                    self._find(
                        one_way_rule,
                        person=owner,
                        attribut=attribute,
                        autre_entree=self._pseudo.dn(persons[named][0]),
                        detail=one_way,
                    )

    def _check_classes(self) -> None:
        # The pupils of a class share its value: each distinct value is judged once.
        verdicts: dict[str, tuple[str, str, str | None] | None] = {}
        for pupil, value in self._pending_classes:
            if value in verdicts:
                verdict = verdicts[value]
            else:
                verdict = verdicts[value] = self._class_problem(value)
            if verdict is None:
                continue
            rule, detail, structure = verdict
            facts = {"structure_dn": structure} if structure is not None else {}
            self._find(
                rule,
                person=pupil,
                attribut="ENTEleveClasses",
                valeur=value,
                **facts,
                detail=detail,
            )

    def _class_problem(self, value: str) -> tuple[str, str, str | None] | None:
        """The rule an ``ENTEleveClasses`` value breaks, what is wrong, in which structure."""
        structure_key, dollar, class_code = value.partition("$")
        if not dollar or not class_code.strip():
            return "AAF-COMP-001", "valeur mal formée (structure$classe attendu)", None
        structure = self._resolve_structure(structure_key)
        if structure is None:
            return "AAF-XREF-001", "la structure de la classe n'existe pas dans l'annuaire", None
        code = class_code.split("$", 1)[0].strip().casefold()
        if code not in self._structure_classes.get(structure, set()):
            return (
                "AAF-XREF-005",
                "classe non déclarée par sa structure (ENTStructureClasses)",
                structure,
            )
        return None

    def _check_attachments(self) -> None:
        resolved: dict[str, bool] = {}
        for person, value in self._pending_attachments:
            found = resolved.get(value)
            if found is None:
                found = resolved[value] = self._resolve_structure(value) is not None
            if not found:
                self._find(
                    "AAF-XREF-001",
                    person=person,
                    attribut="ENTPersonStructRattach",
                    valeur=value,
                    detail="aucune structure de l'annuaire ne correspond",
                )

    def _resolve_structure(self, reference: str) -> str | None:
        """Find a structure by DN (a reference with ``=``) or by join key."""
        reference = reference.strip()
        if "=" in reference:
            return self._structure_by_dn.get(dn_key(reference))
        return self._structure_by_key.get(join_key_id(reference).casefold())

    # --- findings -----------------------------------------------------------------------

    def _find(
        self,
        rule: str,
        *,
        person: int | None = None,
        structure: str | None = None,
        detail: str,
        **facts: Any,
    ) -> None:
        findings = self._findings[rule]
        findings.count += 1
        if len(findings.examples) >= self._kept:
            return
        example: dict[str, Any] = {}
        if person is not None:
            dn, profiles, _ids = self._persons[person]
            example["dn"] = self._pseudo.dn(dn)
            example["profils"] = list(profiles)
        if structure is not None:
            example["dn"] = structure  # structures are not personal data
        example["detail"] = detail
        example.update(facts)
        findings.examples.append(example)


_CASE = {name.lower(): name for name in ATTRIBUTES}


def dn_key(dn: str) -> str:
    """A DN folded for comparison: spaces around separators dropped, case folded."""
    parts = []
    for rdn in dn.split(","):
        attribute, _, value = rdn.partition("=")
        parts.append(f"{attribute.strip()}={value.strip()}")
    return ",".join(parts).casefold()
