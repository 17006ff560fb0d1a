"""The national audience tag (AUD-TAG-001 to -006), from the hits the browser sent.

The hits are the requests the pages make to the collector the target declares
(``portal.audience.collector``); the browser's route records them and answers them itself,
so nothing reaches the real collector. A hit's properties are read from its query string and
body, JSON values flattened (SmartTag sends custom properties as a JSON object), names
compared case-insensitively. The expected values come from the public implementations
(OPEN-ENT-NG ``xiti``) and the DNMA open-data service list; no official tagging plan is
published (the grid's notes say so).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from probes.portal.common import VISIT_ENDS_SESSIONS, PortalSection, expected_uai, identifiers
from probes.portal.visit import AccountRecord, Visit, shared_visit
from sdet_check.messages import clauses, msg
from sdet_check.probe import (
    Evidence,
    NotTestable,
    Outcome,
    Probe,
    ProbeContext,
    ProbeError,
    validated_params,
)

REQUIRED_PROPERTIES = ("SERVICE", "TYPE", "UAI", "PROJET", "EXPLOITANT", "PLATEFORME", "PROFIL")
"""Properties every hit carries (AUD-TAG-002)."""

PROFIL_VALUES = {
    "eleve": "ELEVE",
    "enseignant": "ENSEIGNANT",
    "parent": "PARENT",
    "direction": "ADMIN_VIE_SCOL_TECH",
    "vie_scolaire": "ADMIN_VIE_SCOL_TECH",
    "documentaliste": "ADMIN_VIE_SCOL_TECH",
    "personnel": "ADMIN_VIE_SCOL_TECH",
}
"""PROFIL per account profile (AUD-TAG-004); any other profile is ``AUTRE``."""

NATIONAL_SERVICES = frozenset(
    name.upper()
    for name in [
        "accueil",
        "actualites",
        "cahier_textes",
        "cahier_liaison",
        "courrier_electronique",
        "messagerie_instantanee",
        "visioconference",
        "stockage_partage",
        "production_collaborative",
        "documentation_cdi",
        "parcours_pedagogique",
        "reservation_salles_materiels",
        "service_collectivite",
        "services_vie_scolaire",
        "gestion_temps",
        "absences",
        "gestion_competences",
        "notes",
        "manuel_numerique",
        "ressource_multimedia",
        "ressource_orientation",
        "ressource_production",
        "ressource_accompagnement_entrainement",
        "ressource_reference_dictionnaire",
        "ressource_documentaire",
    ]
)
"""The 25 services of the DNMA list (open-data column names, upper case) (AUD-TAG-005)."""

_HASHES = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")


def hit_parameters(hit: Mapping[str, Any]) -> dict[str, str]:
    """Every parameter of a hit (query and body), JSON objects flattened into their keys."""
    pairs = parse_qsl(urlsplit(str(hit["url"])).query, keep_blank_values=True)
    body = str(hit.get("body") or "")
    if body.lstrip().startswith("{"):
        pairs.append(("body", body))
    elif "=" in body:
        pairs += parse_qsl(body, keep_blank_values=True)
    found: dict[str, str] = {}
    for name, value in pairs:
        found.setdefault(name, value)
        if value.lstrip().startswith("{"):
            try:
                decoded = json.loads(value)
            except ValueError:
                continue
            if isinstance(decoded, dict):
                for key, item in decoded.items():
                    found.setdefault(str(key), "" if item is None else str(item))
    return found


def properties(hit: Mapping[str, Any]) -> dict[str, str]:
    """The hit's parameters with upper-case names (a name written in upper case wins)."""
    upper: dict[str, str] = {}
    for name, value in hit_parameters(hit).items():
        key = name.upper()
        if key not in upper or name == key:
            upper[key] = value
    return upper


def char_codes(value: str) -> str:
    """Each character replaced by its decimal code, joined (the reversible scheme seen)."""
    return "".join(str(ord(c)) for c in value)


def reversibility(visitor: str, known: Sequence[str]) -> str | None:
    """How ``visitor`` gives back one of the ``known`` identifiers, in French; else ``None``.

    Detected: the identifier itself (or within it), its character codes (decimal, with or
    without separators; hexadecimal), base64, reversed, and an unsalted hash (MD5, SHA-1,
    SHA-2, hex or base64) of the identifier, its lower or upper case, or its character codes.
    A salted or keyed pseudonym is none of these; the probe cannot prove more than that.
    """
    value = visitor.strip()
    lowered = value.lower()
    digits = "".join(c for c in value if c.isdigit())
    for identifier in known:
        plain = identifier.strip()
        if not plain:
            continue
        if lowered == plain.lower():
            return "identifiant ENT en clair"
        if len(plain) >= 4 and plain.lower() in lowered:
            return "identifiant ENT en clair dans la valeur"
        codes = char_codes(plain)
        if digits == codes and len(digits) >= len(value) / 2:
            return "codes des caractères de l'identifiant (réversible)"
        if lowered == plain.encode().hex():
            return "identifiant encodé en hexadécimal (réversible)"
        encodings = {
            base64.b64encode(plain.encode()).decode(),
            base64.urlsafe_b64encode(plain.encode()).decode(),
        }
        if value in encodings or value in {e.rstrip("=") for e in encodings}:
            return "identifiant encodé en base64 (réversible)"
        if lowered == plain.lower()[::-1]:
            return "identifiant à l'envers (réversible)"
        for guess in dict.fromkeys((plain, plain.lower(), plain.upper(), codes)):
            for algorithm in _HASHES:
                digest = hashlib.new(algorithm, guess.encode()).digest()
                if lowered == digest.hex() or value.rstrip("=") in (
                    base64.b64encode(digest).decode().rstrip("="),
                    base64.urlsafe_b64encode(digest).decode().rstrip("="),
                ):
                    what = "des codes de caractères" if guess == codes else "de l'identifiant"
                    return f"hachage {algorithm.upper()} sans sel {what} (retrouvable par essai)"
    return None


def shown(value: str) -> str:
    """A visitor identifier as evidence shows it: its first characters only."""
    return value[:6] + "…" if len(value) > 6 else value


class AudienceProbe(Probe):
    """Base of the audience probes: the section, the shared visit, the hits per page."""

    needs: ClassVar[tuple[str, ...]] = ("portal", "accounts")
    ends_sessions: ClassVar[str | None] = VISIT_ENDS_SESSIONS

    def prepare(
        self, params: Mapping[str, Any], context: ProbeContext
    ) -> tuple[PortalSection, Visit]:
        """Validate, read the section (a collector must be declared) and get the visit."""
        validated_params(self, params)
        section = PortalSection.of(context.target)
        if section.collector is None:
            raise NotTestable(msg("portal.audience.audience_probe.untestable"))
        section.require_accounts(context.target)
        visit = shared_visit(context)
        visit.require_accounts()
        return section, visit

    @staticmethod
    def page_hits(visit: Visit) -> Iterator[tuple[AccountRecord, str, dict[str, Any]]]:
        """Every page hit of the signed-in visit: account, page, hit."""
        for record in visit.accounts:
            for page in record.pages:
                for hit in page.hits:
                    yield record, page.url, hit


def _hit_evidence(page: str, hit: Mapping[str, Any], summary: str, **extra: Any) -> Evidence:
    props = {k: v for k, v in properties(hit).items() if k in (*REQUIRED_PROPERTIES, "OUTIL")}
    return Evidence("audience_hit", summary, {"page": page, "properties": props, **extra})


class TagPresent(AudienceProbe):
    """AUD-TAG-001: every signed-in page sends a hit to the collector."""

    kind: ClassVar[str] = "portal.audience_tag"
    title: ClassVar[str] = "Marqueur national : une mesure par page consultée"

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Count the hits of each page of each account."""
        section, visit = self.prepare(params, context)
        silent: list[str] = []
        evidence = []
        pages = 0
        for record in visit.accounts:
            for page in record.pages:
                if page.status is None or page.status >= 400:
                    continue
                pages += 1
                if not page.hits:
                    silent.append(
                        msg(
                            "portal.audience.tag_present.append",
                            url=page.url,
                            profile=record.account.profile,
                        )
                    )
                    evidence.append(
                        Evidence(
                            "page",
                            msg("portal.audience.ev.tag_present.evidence", url=page.url),
                            page.summary(),
                        )
                    )
                elif len(evidence) < 3:
                    evidence.append(
                        _hit_evidence(page.url, page.hits[0], f"mesure envoyée par {page.url}")
                    )
        if pages == 0:
            raise ProbeError(msg("portal.audience.tag_present.error"))
        if silent:
            return Outcome.failed(
                msg(
                    "portal.audience.tag_present.fail",
                    count=len(silent),
                    collector=section.collector,
                    silent=", ".join(silent),
                ),
                *evidence,
            )
        return Outcome.passed(
            msg("portal.audience.tag_present.pass", pages=pages, collector=section.collector),
            *evidence,
        )


class TagProperties(AudienceProbe):
    """AUD-TAG-002: every hit carries the properties, UAI of the account's school."""

    kind: ClassVar[str] = "portal.audience_properties"
    title: ClassVar[str] = "Marqueur national : propriétés de chaque mesure, UAI de l'établissement"

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Check each page hit's properties, UAI, level 2 and site."""
        section, visit = self.prepare(params, context)
        problems: list[str] = []
        evidence: list[Evidence] = []
        count = 0
        for record, page, hit in self.page_hits(visit):
            count += 1
            props = properties(hit)
            wrong = [
                f"{name} absente ou vide" for name in REQUIRED_PROPERTIES if not props.get(name)
            ]
            uai = expected_uai(record.account, section)
            if uai and props.get("UAI") and props["UAI"] != uai:
                wrong.append(
                    msg("portal.audience.tag_properties.append", uai=props["UAI"], uai2=uai)
                )
            level2 = props.get("S2") or props.get("LEVEL2")
            if uai and level2 and level2 != uai:
                wrong.append(msg("portal.audience.tag_properties.append_2", level2=level2, uai=uai))
            site = props.get("S") or props.get("SITE")
            if section.site and site != section.site:
                wrong.append(
                    msg(
                        "portal.audience.tag_properties.append_3",
                        value=site or msg("core.absent"),
                        site=section.site,
                    )
                )
            if wrong:
                problems.append(
                    msg(
                        "portal.audience.tag_properties.append_4",
                        page=page,
                        profile=record.account.profile,
                        wrong=", ".join(wrong),
                    )
                )
                evidence.append(_hit_evidence(page, hit, f"{page} : {', '.join(wrong)}"))
        if count == 0:
            raise ProbeError(msg("portal.audience.tag_properties.error"))
        if problems:
            return Outcome.failed(
                msg(
                    "portal.audience.tag_properties.fail",
                    count=len(problems),
                    problems=clauses(problems[:5]),
                ),
                *evidence[:10],
            )
        first = next(self.page_hits(visit))
        return Outcome.passed(
            msg(
                "portal.audience.tag_properties.pass",
                count=count,
                required_properties=", ".join(REQUIRED_PROPERTIES),
            ),
            _hit_evidence(first[1], first[2], "exemple de mesure capturée"),
        )


class Pseudonymity(AudienceProbe):
    """AUD-TAG-003: the visitor identifier cannot be reversed to the ENT identifier."""

    kind: ClassVar[str] = "portal.audience_pseudonym"
    title: ClassVar[str] = (
        "Marqueur national : identifiant de visiteur pseudonymisé, non réversible"
    )

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Compare each hit's visitor identifier with the account's identifiers."""
        section, visit = self.prepare(params, context)
        keys = {k.lower() for k in section.visitor_keys}
        found: list[Evidence] = []
        reversible: list[str] = []
        seen = 0
        for record, page, hit in self.page_hits(visit):
            for name, value in hit_parameters(hit).items():
                if name.lower() not in keys or not value:
                    continue
                seen += 1
                how = reversibility(value, identifiers(record.account))
                if how is not None:
                    reversible.append(
                        msg(
                            "portal.audience.pseudonymity.append",
                            profile=record.account.profile,
                            how=how,
                        )
                    )
                    found.append(
                        _hit_evidence(
                            page,
                            hit,
                            f"identifiant de visiteur « {name} » = {shown(value)} : {how}",
                            parameter=name,
                        )
                    )
        if seen == 0:
            return Outcome.not_applicable(
                msg("portal.audience.pseudonymity.na", sorted=", ".join(sorted(keys)))
            )
        if reversible:
            return Outcome.failed(
                msg("portal.audience.pseudonymity.fail", sorted=clauses(sorted(set(reversible)))),
                *found[:6],
            )
        return Outcome.passed(msg("portal.audience.pseudonymity.pass", seen=seen))


class ProfileValues(AudienceProbe):
    """AUD-TAG-004: PROFIL takes the value of the account's profile."""

    kind: ClassVar[str] = "portal.audience_profile"
    title: ClassVar[str] = "Marqueur national : valeur de PROFIL selon le profil du compte"

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Compare PROFIL in each hit with the account's profile."""
        _section, visit = self.prepare(params, context)
        wrong: list[str] = []
        evidence: list[Evidence] = []
        count = 0
        for record, page, hit in self.page_hits(visit):
            count += 1
            expected = PROFIL_VALUES.get(record.account.profile, "AUTRE")
            value = properties(hit).get("PROFIL", "")
            if value != expected:
                wrong.append(
                    msg(
                        "portal.audience.profile_values.append",
                        profile=record.account.profile,
                        value=value or msg("core.absent"),
                    )
                )
                evidence.append(
                    _hit_evidence(page, hit, f"PROFIL={value or 'absent'} au lieu de {expected}")
                )
        if count == 0:
            raise ProbeError(msg("portal.audience.profile_values.error"))
        if wrong:
            return Outcome.failed(
                msg("portal.audience.profile_values.fail", sorted=", ".join(sorted(set(wrong)))),
                *evidence[:6],
            )
        profiles = sorted({r.account.profile for r in visit.accounts})
        return Outcome.passed(
            msg("portal.audience.profile_values.pass", profiles=", ".join(profiles), count=count)
        )


class ServiceLabels(AudienceProbe):
    """AUD-TAG-005: SERVICE labels from the national list."""

    kind: ClassVar[str] = "portal.audience_services"
    title: ClassVar[str] = "Marqueur national : libellés SERVICE de la liste nationale"

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Check SERVICE of every hit (page views and connector clicks)."""
        _section, visit = self.prepare(params, context)
        labels: dict[str, str] = {}
        evidence: list[Evidence] = []
        for _record, page, hit in self.page_hits(visit):
            labels.setdefault(properties(hit).get("SERVICE", ""), page)
        for record in visit.accounts:
            for click in record.clicks:
                for hit in click["hits"]:
                    labels.setdefault(properties(hit).get("SERVICE", ""), click["label"])
        if not labels:
            raise ProbeError(msg("portal.audience.service_labels.error"))
        unknown = {k: v for k, v in labels.items() if k.upper() not in NATIONAL_SERVICES}
        for label, where in unknown.items():
            evidence.append(
                Evidence(
                    "audience_hit",
                    msg(
                        "portal.audience.ev.service_labels.evidence",
                        value=label or "absent",
                        where=where,
                    ),
                )
            )
        if unknown:
            return Outcome.failed(
                msg(
                    "portal.audience.service_labels.fail",
                    items=[
                        msg("core.labelled_paren", label=k or msg("core.absent"), text=v)
                        for k, v in unknown.items()
                    ],
                ),
                *evidence,
            )
        return Outcome.passed(
            msg("portal.audience.service_labels.pass", sorted=", ".join(sorted(labels))),
            Evidence(
                "note",
                msg("portal.audience.ev.service_labels.evidence_2"),
                {"services": sorted(labels)},
            ),
        )


class ThirdPartyClicks(AudienceProbe):
    """AUD-TAG-006: a click on a third-party connector sends TYPE=TIERS with OUTIL."""

    kind: ClassVar[str] = "portal.audience_tiers"
    title: ClassVar[str] = "Marqueur national : clic vers un service tiers marqué TIERS avec OUTIL"

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Judge each declared connector's click hits."""
        _section, visit = self.prepare(params, context)
        clicks = [(r, c) for r in visit.accounts for c in r.clicks]
        if not clicks:
            return Outcome.not_applicable(msg("portal.audience.third_party_clicks.na"))
        problems: list[str] = []
        evidence: list[Evidence] = []
        for record, click in clicks:
            where = f"« {click['label']} » ({record.account.profile})"
            if not click["found"]:
                problems.append(msg("portal.audience.third_party_clicks.append", where=where))
                continue
            marked = [
                h
                for h in click["hits"]
                if properties(h).get("TYPE") == "TIERS" and properties(h).get("OUTIL")
            ]
            if marked:
                evidence.append(_hit_evidence(click["from"], marked[0], f"clic {where} : TIERS"))
            elif click["hits"]:
                problems.append(msg("portal.audience.third_party_clicks.append_2", where=where))
                evidence.append(
                    _hit_evidence(click["from"], click["hits"][0], f"clic {where} mal marqué")
                )
            else:
                problems.append(msg("portal.audience.third_party_clicks.append_3", where=where))
        if problems:
            return Outcome.failed(
                msg("portal.audience.third_party_clicks.fail", problems=clauses(problems)),
                *evidence,
            )
        return Outcome.passed(
            msg("portal.audience.third_party_clicks.pass", count=len(clicks)),
            *evidence,
        )
