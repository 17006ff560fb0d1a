"""The AAF import scenario run against an ENT: hand each step over, read the annuaire back.

:class:`LdapImportScenario` (``ldap.import_scenario``) decides the requirements on how an
ENT consumes the AAF feed (:data:`sdet_check.aaf.scenario.COVERED`). The steps of
:func:`sdet_check.aaf.scenario.build_scenario` are written to a temporary folder and handed
to the ENT as the target's ``aaf.import`` section says:

* ``command``: a command (a list, no shell) run once per step, ``{folder}`` replaced by the
  step's folder (also ``{step}``, ``{date}``, ``{kind}``), in ``workdir`` (the target file's
  folder by default), with the secret named by ``password_env`` in its environment;
* or ``drop_folder``: the step's files are copied there and the ENT must take them (the
  files disappear) within ``wait_s`` seconds, then ``settle_s`` more are given.

After each step the annuaire (``aaf.import.ldap``, a test instance, or else the target's
``ldap`` section) is searched for the scenario's join keys and compared with the step's
expectations. The scenario writes to the ENT: it runs only with ``--allow-writes`` (recorded
in the run). It runs once per target and run, however many requirements ask for it; every
requirement gets the evidence of every hand-off and the observations that decide it
(step, record, expected and observed values, pseudonymised).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from probes import _ldap_wire as wire
from sdet_check.aaf.scenario import (
    COVERED,
    Expectation,
    Step,
    build_scenario,
    checked_text,
    write_step,
)
from sdet_check.messages import clauses, msg
from sdet_check.probe import (
    BadParams,
    Evidence,
    NotTestable,
    Outcome,
    Probe,
    ProbeContext,
    ProbeError,
    ProbeTimeout,
    validated_params,
)
from sdet_check.pseudonym import Pseudonymiser
from sdet_check.target import Target

DEFAULT_WAIT_S = 60.0
"""How long a dropped step may wait to be taken by the ENT, unless the target says."""

DEFAULT_COMMAND_TIMEOUT_S = 120.0
"""Longest run of the import command for one step, unless the target says."""

_PUBLIC = frozenset(
    {"entstructurejointure", "entstructureuai", "entpersonprofils", "entstructurenomcourant"}
)
"""Attributes whose values are not personal and are shown as they are."""
_OUTPUT_TAIL = 1500
_EXAMPLES = 20


@dataclass(frozen=True)
class Handoff:
    """How one step was handed to the ENT, for the evidence."""

    step: str
    how: str
    detail: Mapping[str, Any]
    seconds: float
    report: str | None = field(default=None, repr=False)
    """What the import command printed (secrets masked); ``None`` for a drop folder, where
    the ENT's report is not readable by the probe."""

    def evidence(self) -> Evidence:
        """The hand-off as evidence."""
        return Evidence(
            kind="aaf_import_step",
            summary=msg(
                "ldap.import.ev.handoff.evidence",
                step=self.step,
                how=self.how,
                seconds=f"{self.seconds:.1f}",
            ),
            data={"step": self.step, **self.detail, "seconds": round(self.seconds, 3)},
        )


@dataclass(frozen=True)
class Observation:
    """One expectation checked against the annuaire after a step."""

    step: str
    expectation: Expectation
    problem: str | None
    observed: Mapping[str, list[str]] | None
    undecided: str | None = None
    """Why the observation could not be made (the import's report not readable)."""

    def to_json(self, pseudo: Pseudonymiser) -> dict[str, Any]:
        """Step, record, expected and observed values, personal values pseudonymised."""
        e = self.expectation
        looked = {name.lower() for name in e.attributes()}
        observed = (
            None
            if self.observed is None
            else {
                name: _shown(name, values, pseudo)
                for name, values in sorted(self.observed.items())
                if name in looked
            }
        )
        return {
            "step": self.step,
            "record": pseudo.value(e.record, "ENTPersonJointure")
            if e.family.is_person
            else e.record,
            "family": e.family.value,
            "checked": checked_text(e.what),
            "expected": {
                "present": e.present,
                "values": {n: _shown(n, list(v), pseudo) for n, v in e.values.items()},
                "forbidden": {n: _shown(n, list(v), pseudo) for n, v in e.forbidden.items()},
                "required": list(e.required),
            },
            "observed": observed,
            "conforms": self.problem is None,
            "problem": self.problem,
            **({"reported": e.reported} if e.reported else {}),
            **({"undecided": self.undecided} if self.undecided else {}),
        }


def _shown(name: str, values: Sequence[str], pseudo: Pseudonymiser) -> list[str]:
    if name.lower() in _PUBLIC:
        return list(values)
    return [pseudo.value(value, name) for value in values]


@dataclass
class ScenarioRun:
    """Everything one run of the scenario saw: hand-offs and observations."""

    handoffs: list[Handoff] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    annuaire: str = ""

    def decide(self, requirement: str, pseudo: Pseudonymiser, kept: int) -> Outcome:
        """The outcome of ``requirement`` from the observations that concern it."""
        mine = [o for o in self.observations if o.expectation.requirement == requirement]
        if not mine:
            raise BadParams(msg("ldap.import.scenario_run.bad_params", requirement=requirement))
        failed = [o for o in mine if o.problem is not None]
        undecided = [o for o in mine if o.undecided is not None]
        if undecided and not failed:
            raise NotTestable(
                msg(
                    "ldap.import.decide.undecided",
                    requirement=requirement,
                    reason=undecided[0].undecided,
                )
            )
        shown = failed[:kept] + [o for o in mine if o.problem is None][: max(0, kept - len(failed))]
        evidence = [handoff.evidence() for handoff in self.handoffs]
        evidence.append(
            Evidence(
                kind="aaf_import_observations",
                summary=msg(
                    "ldap.import.ev.scenario_run.evidence",
                    requirement=requirement,
                    count=len(mine),
                    annuaire=self.annuaire,
                    count2=len(failed),
                    covered=msg("ldap.import.covered." + requirement),
                ),
                data={"observations": [o.to_json(pseudo) for o in shown], "total": len(mine)},
            )
        )
        evidence.append(
            Evidence(
                kind="pseudonymisation",
                summary=msg("ldap.import.pseudonymised")
                if pseudo.enabled
                else msg("ldap.import.not_pseudonymised"),
                data=pseudo.describe(),
            )
        )
        if failed:
            listed = clauses(
                msg(
                    "ldap.import.decide.failed_item",
                    step=o.step,
                    record=pseudo.value(o.expectation.record, "ENTPersonJointure")
                    if o.expectation.family.is_person
                    else o.expectation.record,
                    what=checked_text(o.expectation.what),
                    problem=o.problem,
                )
                for o in failed[:5]
            )
            return Outcome.failed(
                msg(
                    "ldap.import.scenario_run.fail",
                    count=len(failed),
                    count2=len(mine),
                    listed=listed,
                ),
                *evidence,
            )
        return Outcome.passed(
            msg(
                "ldap.import.scenario_run.pass",
                count=len(mine),
                count2=len(self.handoffs),
                covered=msg("ldap.import.covered." + requirement),
            ),
            *evidence,
        )


# --- one run per target --------------------------------------------------------------------

_LOCK = threading.Lock()
_RUNS: dict[int, tuple[Target, ScenarioRun | ProbeError | NotTestable]] = {}
_KEPT_RUNS = 8


def scenario_run(context: ProbeContext) -> ScenarioRun:
    """The scenario's run for this target, run now by the first caller, then shared."""
    if not _LOCK.acquire(timeout=max(0.1, context.remaining())):
        raise ProbeTimeout(msg("ldap.import.scenario_run.timeout"))
    try:
        known = _RUNS.get(id(context.target))
        if known is None or known[0] is not context.target:
            try:
                result: ScenarioRun | ProbeError | NotTestable = _run(context)
            except (ProbeError, NotTestable) as exc:
                result = exc
            while len(_RUNS) >= _KEPT_RUNS:
                del _RUNS[next(iter(_RUNS))]
            _RUNS[id(context.target)] = (context.target, result)
            known = _RUNS[id(context.target)]
    finally:
        _LOCK.release()
    outcome = known[1]
    if isinstance(outcome, ScenarioRun):
        return outcome
    raise outcome


def _section(target: Target) -> Mapping[str, Any]:
    section = target.section("aaf").get("import")
    if not isinstance(section, Mapping) or not (
        section.get("command") or section.get("drop_folder")
    ):
        raise NotTestable(msg("ldap.import.section.untestable"))
    return section


def _run(context: ProbeContext) -> ScenarioRun:
    from probes.ldap import connection as ldap_probes  # the ldap family imports this module

    section = _section(context.target)
    if not context.allow_writes:
        raise NotTestable(msg("ldap.import.run.untestable"))
    reading = context
    if isinstance(section.get("ldap"), Mapping):
        raw = {**context.target.raw, "ldap": section["ldap"]}
        reading = dataclasses.replace(context, target=dataclasses.replace(context.target, raw=raw))
    access = ldap_probes._access(reading, service_account=True)
    run = ScenarioRun(annuaire=f"{access.url} ({access.base_dn})")
    with tempfile.TemporaryDirectory(prefix="sdet-aaf-scenario-") as temporary:
        for index, step in enumerate(build_scenario()):
            folder = Path(temporary) / step.folder_name(index)
            write_step(step, folder)
            run.handoffs.append(_hand_over(section, step, folder, context))
            handoff = run.handoffs[-1]
            read_back = [e for e in step.expectations if e.reported is None]
            if read_back:
                found = _observe(ldap_probes, access, reading, read_back)
                run.observations.extend(
                    Observation(
                        folder.name,
                        e,
                        judge(e, found.get(e.record)),
                        found.get(e.record),
                    )
                    for e in read_back
                )
            run.observations.extend(
                _report_observation(folder.name, e, handoff.report)
                for e in step.expectations
                if e.reported is not None
            )
    return run


def _report_observation(step: str, expectation: Expectation, report: str | None) -> Observation:
    """Whether the import's report names the file ``expectation.reported``."""
    name = expectation.reported
    if report is None:
        return Observation(
            step,
            expectation,
            None,
            None,
            undecided=msg("ldap.import.report_observation.unreadable", name=name),
        )
    named = name is not None and name in report
    problem = (
        None
        if named
        else msg("ldap.import.report_observation.unnamed", lines=report.count("\n"), name=name)
    )
    return Observation(step, expectation, problem, {"compte_rendu_nomme_le_fichier": [str(named)]})


# --- hand-over -----------------------------------------------------------------------------


def _hand_over(
    section: Mapping[str, Any], step: Step, folder: Path, context: ProbeContext
) -> Handoff:
    started = time.monotonic()
    if section.get("command"):
        return _run_command(section, step, folder, context, started)
    return _drop(section, step, folder, context, started)


def _run_command(
    section: Mapping[str, Any], step: Step, folder: Path, context: ProbeContext, started: float
) -> Handoff:
    command = section["command"]
    if isinstance(command, str) or not all(isinstance(part, str) for part in command):
        raise BadParams(msg("ldap.import.run_command.bad_params"))
    fields = {
        "folder": str(folder),
        "step": step.name,
        "date": step.day.isoformat(),
        "kind": step.kind.value,
    }
    argv = [part.format_map(fields) if "{" in part else part for part in command]
    target = context.target
    workdir = target.path(str(section.get("workdir", ".")))
    environment = dict(os.environ)
    secret = None
    env_name = section.get("password_env")
    if env_name:
        secret = next((s for s in target.secrets if s.env == env_name), None)
        if secret is not None:
            environment[env_name] = secret.reveal()
    limit = min(float(section.get("timeout_s", DEFAULT_COMMAND_TIMEOUT_S)), context.remaining())
    try:
        done = subprocess.run(
            argv,
            cwd=workdir,
            env=environment,
            capture_output=True,
            timeout=max(0.1, limit),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ProbeTimeout(
            msg("ldap.import.run_command.timeout", name=folder.name, limit=f"{limit:.0f}")
        ) from exc
    except OSError as exc:
        raise ProbeError(msg("ldap.import.run_command.error", argv=argv[0], exc=exc)) from exc
    output = (done.stdout + done.stderr).decode("utf-8", "replace")
    if secret is not None:
        output = output.replace(secret.reveal(), "***")
    handoff = Handoff(
        folder.name,
        msg("ldap.import.command_ran", code=done.returncode),
        {
            "mode": "command",
            "command": argv,
            "workdir": str(workdir),
            "exit_code": done.returncode,
            # The output is the ENT's own text: kept only when it explains a failure.
            "output_lines": output.count("\n"),
            **({"output_tail": output[-_OUTPUT_TAIL:]} if done.returncode else {}),
            "files": sorted(path.name for path in folder.iterdir()),
        },
        time.monotonic() - started,
        report=output,
    )
    if done.returncode != 0:
        raise ProbeError(
            msg(
                "ldap.import.run_command.error_2",
                name=folder.name,
                returncode=done.returncode,
                strip=output[-300:].strip(),
            ),
            handoff.evidence(),
        )
    return handoff


def _drop(
    section: Mapping[str, Any], step: Step, folder: Path, context: ProbeContext, started: float
) -> Handoff:
    drop = context.target.path(str(section["drop_folder"]))
    if not drop.is_dir():
        raise NotTestable(msg("ldap.import.drop.untestable", drop=drop))
    names = sorted(path.name for path in folder.iterdir())
    for name in names:
        shutil.copy2(folder / name, drop / f".{name}.part")
        os.replace(drop / f".{name}.part", drop / name)  # the ENT never sees half a file
    # A badly named file may rightly be left where it is: it is not waited for.
    misnamed = {file.name for file in step.files if file.misnamed}
    awaited = [name for name in names if name not in misnamed]
    wait = min(float(section.get("wait_s", DEFAULT_WAIT_S)), context.remaining())
    deadline = time.monotonic() + wait
    while any((drop / name).exists() for name in awaited):
        if time.monotonic() >= deadline:
            left = [name for name in awaited if (drop / name).exists()]
            raise ProbeTimeout(
                msg(
                    "ldap.import.drop.timeout",
                    name=folder.name,
                    count=len(left),
                    drop=drop,
                    wait=f"{wait:.0f}",
                    left=", ".join(left[:3]),
                )
            )
        time.sleep(0.2)
    settle = float(section.get("settle_s", 0))
    time.sleep(max(0.0, min(settle, context.remaining())))
    for name in misnamed:
        (drop / name).unlink(missing_ok=True)
    return Handoff(
        folder.name,
        msg("ldap.import.dropped", count=len(names), drop=drop),
        {"mode": "drop_folder", "drop_folder": str(drop), "files": names},
        time.monotonic() - started,
    )


# --- reading back --------------------------------------------------------------------------


def _observe(
    ldap_probes: Any,
    access: Any,
    context: ProbeContext,
    expectations: Sequence[Expectation],
) -> dict[str, dict[str, list[str]]]:
    """The entries holding the expectations' join keys, by join key (values merged)."""
    attributes = sorted({name for e in expectations for name in e.attributes()})
    keys = sorted({(e.join_attribute, e.record) for e in expectations})
    search_filter = wire.any_of(*(wire.equal(name, key) for name, key in keys))
    found: dict[str, dict[str, list[str]]] = {}
    with ldap_probes._Session(access, context, protect=access.tls_wanted) as session:
        session.bind_service_or_anonymous()
        stats = wire.SearchStats()
        pages = session.wire_client().paged_search(
            access.base_dn, search_filter, attributes, page_size=200, stats=stats
        )
        for page in pages:
            for _dn, values in page:
                entry = {name.lower(): list(v) for name, v in values.items()}
                for join in ("entpersonjointure", "entstructurejointure"):
                    for key in entry.get(join, ()):
                        merged = found.setdefault(key, {})
                        for name, v in entry.items():
                            merged.setdefault(name, []).extend(
                                x for x in v if x not in merged[name]
                            )
        if stats.result is None or not stats.result.ok:
            answer = (
                stats.result.describe() if stats.result else msg("ldap.import.observe.no_answer")
            )
            raise ProbeError(msg("ldap.import.observe.error", answer=answer))
    return found


def judge(expectation: Expectation, entry: Mapping[str, list[str]] | None) -> str | None:
    """Why ``entry`` (``None``: no entry) does not meet ``expectation``; ``None`` if it does."""
    if entry is None:
        if expectation.present:
            return msg("ldap.import.judge.no_entry")
        return None
    if expectation.present is False:
        return msg("ldap.import.judge.entry_left")
    problems: list[str] = []
    for name, values in expectation.values.items():
        observed = entry.get(name.lower(), [])
        missing = [value for value in values if value not in observed]
        if missing:
            problems.append(msg("ldap.import.judge.append", name=name, count=len(missing)))
    for name, values in expectation.forbidden.items():
        observed = entry.get(name.lower(), [])
        if any(value in observed for value in values):
            problems.append(msg("ldap.import.judge.append_2", name=name))
    problems += [
        msg("ldap.import.judge.absent", name=name)
        for name in expectation.required
        if not entry.get(name.lower())
    ]
    return clauses(problems) if problems else None


class LdapImportScenario(Probe):
    """The import scenario played against the ENT; one requirement decided from its observations.

    Params: ``requirement`` (one of :data:`~sdet_check.aaf.scenario.COVERED`) and
    ``max_examples``. Needs the target's ``aaf.import`` section and ``--allow-writes``.
    """

    kind = "ldap.import_scenario"
    title = (
        "Scénario d'import AAF : jeux Complet et Delta datés remis à l'ENT, annuaire relu "
        "après chaque étape"
    )
    needs = ("aaf",)
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["requirement"],
        "properties": {
            "requirement": {
                "enum": sorted(COVERED),
                "description": "Requirement whose observations decide the result.",
            },
            "max_examples": {"type": "integer", "minimum": 0, "maximum": 100, "default": 20},
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Run (or reuse) the scenario, then decide the requirement."""
        params = validated_params(self, params)
        run = scenario_run(context)
        from probes.ldap import connection as ldap_probes

        section = _section(context.target)
        reading = context
        if isinstance(section.get("ldap"), Mapping):
            raw = {**context.target.raw, "ldap": section["ldap"]}
            reading = dataclasses.replace(
                context, target=dataclasses.replace(context.target, raw=raw)
            )
        pseudo = ldap_probes._access(reading, service_account=True).pseudonymiser()
        return run.decide(params["requirement"], pseudo, params.get("max_examples", _EXAMPLES))


PROBES = (LdapImportScenario,)
"""The import scenario probe, registered with the ``ldap`` family."""
