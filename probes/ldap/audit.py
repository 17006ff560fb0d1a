"""The data-model probe: every person and structure entry against the SDET data model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from probes._ldap_audit import (
    RULES,
)
from probes.ldap.connection import _access
from probes.ldap.scan import _rule_evidence, _rules_params, _shared_scan, rule_title
from sdet_check.evidence import note
from sdet_check.messages import clauses, msg
from sdet_check.probe import (
    NotTestable,
    Outcome,
    Probe,
    ProbeContext,
    validated_params,
)


class LdapDataModel(Probe):
    """Every person and structure entry against the SDET data model.

    Binds as the service account (``ldap.bind_dn``, ``ldap.password_env``), reads the whole
    tree with the paged searches of :data:`SCAN_SEARCHES` (structures, pupils, relatives, other
    persons: the filter says what an entry is, so no objectClass values travel), bounded by the
    probe's deadline and ``ldap.max_entries``, and applies every rule of
    :data:`probes._ldap_audit.RULES`. The requirement is decided by the rules of ``rules``:
    fail when any of them has a finding. Findings of the other rules are counted in the
    evidence as well. Examples are capped at ``max_examples`` per rule and pseudonymised.
    """

    kind = "ldap.data_model"
    title = "Les entrées de l'annuaire respectent le modèle de données SDET"
    needs = ("ldap",)
    params_schema: ClassVar[Mapping[str, Any]] = _rules_params(RULES)

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Scan (or reuse this run's scan), then judge the chosen rules."""
        params = validated_params(self, params)
        rules: list[str] = params["rules"]
        kept: int = params.get("max_examples", 20)
        access = _access(context, service_account=True)
        scan = _shared_scan(access, context)
        report = scan.report
        if report.persons == 0 and report.structures == 0:
            raise NotTestable(
                msg(
                    "ldap.ldap.ldap_data_model.untestable",
                    base_dn=access.base_dn,
                    bind_dn=access.bind_dn,
                )
            )
        evidence = [scan.evidence]
        evidence.extend(_rule_evidence(report.findings[rule], kept) for rule in rules)
        others = {
            rule: report.count(rule) for rule in RULES if rule not in rules and report.count(rule)
        }
        if others:
            evidence.append(
                note(
                    msg(
                        "ldap.ldap.ev.ldap_data_model.note",
                        items=", ".join(f"{rule} ×{count}" for rule, count in others.items()),
                    ),
                    counts=others,
                )
            )
        evidence.append(scan.privacy)
        population = msg("ldap.population", persons=report.persons, structures=report.structures)
        failing = [rule for rule in rules if report.count(rule)]
        if failing:
            listed = clauses(
                f"{rule} ×{report.count(rule)} ({rule_title(rule, RULES[rule])})"
                for rule in failing
            )
            return Outcome.failed(
                msg("ldap.ldap.ldap_data_model.fail", listed=listed, population=population),
                *evidence,
            )
        return Outcome.passed(
            msg("ldap.ldap.ldap_data_model.pass", rules=", ".join(rules), population=population),
            *evidence,
        )
