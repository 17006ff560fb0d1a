"""Probes of what the annuaire declares: its rootDSE and the ENT schema in its subschema."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ldap3.protocol.rfc4512 import AttributeTypeInfo, ObjectClassInfo

from probes._ldap_audit import (
    dn_key,
)
from probes.ldap.connection import _NO_PARAMS, _access, _named_oids, _Session
from sdet_check.messages import clauses, msg
from sdet_check.probe import (
    Evidence,
    HostileResponse,
    Outcome,
    Probe,
    ProbeContext,
    ProbeError,
    validated_params,
)

ENT_OBJECT_CLASSES = (
    "ENTPerson",
    "ENTEleve",
    "ENTAuxEnseignant",
    "ENTAuxNonEnsEtab",
    "ENTAuxPersRelEleve",
    "ENTStructure",
    "ENTEtablissement",
)
"""Object classes of the annuaire ENT a schema must define (by default)."""

ENT_ATTRIBUTES = (
    "ENTPersonJointure",
    "ENTPersonProfils",
    "ENTPersonDateNaissance",
    "ENTPersonStructRattach",
    "ENTEleveClasses",
    "ENTElevePersRelEleve",
    "ENTAuxPersRelEleveEleve",
    "ENTStructureJointure",
    "ENTStructureUAI",
    "ENTStructureClasses",
)
"""Attributes of the annuaire ENT a schema must define (by default)."""


class LdapRootDse(Probe):
    """The rootDSE (RFC 4512 §5.1) announces LDAPv3, the base DN and the subschema.

    Read anonymously, or as the service account when the target gives one. Pass:
    ``supportedLDAPVersion`` contains 3, ``namingContexts`` contains the target's base DN,
    ``subschemaSubentry`` is present. ``vendorName`` is recorded when present, never required
    (OpenLDAP publishes none).
    """

    kind = "ldap.root_dse"
    title = "Le rootDSE annonce LDAPv3, la base de l'annuaire et son sous-schéma"
    needs = ("ldap",)
    params_schema = _NO_PARAMS

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Read the rootDSE and judge three attributes."""
        validated_params(self, params)
        access = _access(context)
        with _Session(access, context, protect=access.tls_wanted) as session:
            bound = session.bind_service_or_anonymous()
            root = session.read_entry("", ["*", "+"])
        if root is None:
            raise ProbeError(
                msg("ldap.ldap.ldap_root_dse.error", url=access.url, describe=bound.describe())
            )
        evidence = [_root_dse_evidence(root)]
        problems: list[str] = []
        versions = root.get("supportedldapversion", [])
        if "3" not in versions:
            problems.append(msg("ldap.ldap.ldap_root_dse.append", value=versions or "absent"))
        contexts = root.get("namingcontexts", [])
        if dn_key(access.base_dn) not in {dn_key(c) for c in contexts}:
            problems.append(
                msg("ldap.ldap.ldap_root_dse.append_2", base_dn=access.base_dn, contexts=contexts)
            )
        if not root.get("subschemasubentry"):
            problems.append(msg("ldap.ldap.ldap_root_dse.append_3"))
        if problems:
            return Outcome.failed(
                msg("ldap.ldap.ldap_root_dse.fail", problems=clauses(problems)), *evidence
            )
        return Outcome.passed(
            msg(
                "ldap.ldap.ldap_root_dse.pass",
                base_dn=access.base_dn,
                subschemasubentry=root["subschemasubentry"][0],
            ),
            *evidence,
        )


class LdapSchema(Probe):
    """The subschema defines the ENT object classes and attributes (RFC 4512 §4.2).

    Binds as the service account (anonymously without one), reads the entry named by the
    rootDSE's ``subschemaSubentry`` and parses its ``objectClasses`` and ``attributeTypes``.
    Fail: a class of ``object_classes`` or an attribute of ``attributes`` is not defined.
    """

    kind = "ldap.schema"
    title = "Le sous-schéma de l'annuaire définit les classes et attributs ENT"
    needs = ("ldap",)
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "object_classes": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "uniqueItems": True,
                "default": list(ENT_OBJECT_CLASSES),
            },
            "attributes": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "uniqueItems": True,
                "default": list(ENT_ATTRIBUTES),
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Read and parse the subschema, look the names up."""
        params = validated_params(self, params)
        wanted_classes: list[str] = params.get("object_classes", list(ENT_OBJECT_CLASSES))
        wanted_attributes: list[str] = params.get("attributes", list(ENT_ATTRIBUTES))
        access = _access(context)
        with _Session(access, context, protect=access.tls_wanted) as session:
            session.bind_service_or_anonymous()
            root = session.read_entry("", ["subschemaSubentry"]) or {}
            subentry = (root.get("subschemasubentry") or ["cn=Subschema"])[0]
            schema = session.read_entry(subentry, ["objectClasses", "attributeTypes"])
        if not schema or not schema.get("objectclasses"):
            raise ProbeError(msg("ldap.ldap.ldap_schema.error", subentry=subentry, url=access.url))
        classes = _parse_definitions(ObjectClassInfo, schema.get("objectclasses", []))
        attributes = _parse_definitions(AttributeTypeInfo, schema.get("attributetypes", []))
        missing_classes = [name for name in wanted_classes if name.lower() not in classes]
        missing_attributes = [name for name in wanted_attributes if name.lower() not in attributes]
        found = [
            _class_summary(classes[name.lower()])
            for name in wanted_classes
            if name.lower() in classes
        ]
        evidence = [
            Evidence(
                kind="ldap_schema",
                summary=msg(
                    "ldap.ldap.ev.ldap_schema.evidence",
                    subentry=subentry,
                    count=len(classes),
                    count2=len(attributes),
                ),
                data={
                    "subschema": subentry,
                    "object_classes_defined": len(classes),
                    "attribute_types_defined": len(attributes),
                    "ent_classes_found": found,
                    "ent_attributes_found": [
                        {"name": name, "oid": attributes[name.lower()].oid}
                        for name in wanted_attributes
                        if name.lower() in attributes
                    ],
                    "missing_object_classes": missing_classes,
                    "missing_attributes": missing_attributes,
                },
            )
        ]
        if missing_classes or missing_attributes:
            parts: list[str] = []
            if missing_classes:
                parts.append(
                    msg("ldap.ldap.ldap_schema.append", missing_classes=", ".join(missing_classes))
                )
            if missing_attributes:
                parts.append(
                    msg(
                        "ldap.ldap.ldap_schema.append_2",
                        missing_attributes=", ".join(missing_attributes),
                    )
                )
            return Outcome.failed(
                msg("ldap.ldap.ldap_schema.fail", parts=clauses(parts)), *evidence
            )
        return Outcome.passed(
            msg(
                "ldap.ldap.ldap_schema.pass",
                count=len(wanted_classes),
                count2=len(wanted_attributes),
            ),
            *evidence,
        )


def _root_dse_evidence(root: Mapping[str, list[str]]) -> Evidence:
    shown: dict[str, Any] = {}
    for name, values in sorted(root.items()):
        if name in ("supportedcontrol", "supportedextension", "supportedfeatures"):
            shown[name] = _named_oids(values)
        else:
            shown[name] = values
    vendor = root.get("vendorname")
    return Evidence(
        kind="ldap_root_dse",
        summary=msg(
            "ldap.ldap.ev.root_dse_evidence.evidence",
            value=", ".join(root.get("supportedldapversion", []) or ["?"]),
            value2=", ".join(root.get("namingcontexts", []) or ["?"]),
            value3=msg("ldap.root_dse.vendor", vendor=vendor[0])
            if vendor
            else msg("ldap.root_dse.no_vendor"),
        ),
        data=shown,
    )


def _parse_definitions(kind: type[Any], definitions: Sequence[str]) -> dict[str, Any]:
    """Parse RFC 4512 definitions with ldap3, by lower-case name (every alias)."""
    try:
        parsed = kind.from_definition(list(definitions))
    except Exception as exc:  # ldap3's parser raises bare exceptions on bad input
        raise HostileResponse(msg("ldap.ldap.parse_definitions.hostile", exc=exc)) from exc
    by_name: dict[str, Any] = {}
    for name, info in parsed.items():
        by_name[str(name).lower()] = info
    return by_name


def _class_summary(info: ObjectClassInfo) -> dict[str, Any]:
    kinds = {0: "STRUCTURAL", 1: "ABSTRACT", 2: "AUXILIARY"}
    return {
        "name": info.name[0] if info.name else info.oid,
        "oid": info.oid,
        "kind": kinds.get(info.kind, str(info.kind)),
        "superior": list(info.superior or []),
        "must": list(info.must_contain or []),
        "may_count": len(info.may_contain or []),
    }
