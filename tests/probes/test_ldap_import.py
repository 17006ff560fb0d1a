"""The AAF import scenario against the demo importer over a real slapd, conformant and broken."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from probes._ldap_import import LdapImportScenario
from sdet_check.aaf.scenario import COVERED, build_scenario, requirements_shown, write_step
from sdet_check.demo.importer import FLAWS, STATE_FILE, AafImporter, import_section
from sdet_check.demo.ldap import SlapdConfig, SlapdServer, slapd_available
from sdet_check.messages import current_language, set_language
from sdet_check.probe import NotTestable, Outcome, ProbeContext, ProbeError, ProbeTimeout, Status
from sdet_check.target import load_target

pytestmark = pytest.mark.skipif(
    not slapd_available() and not os.environ.get("CI"),
    reason="slapd absent (paquets Debian slapd et ldap-utils)",
)

ADMIN_ENV = "SDET_TEST_IMPORT_ADMIN"
AUDIT_ENV = "SDET_TEST_IMPORT_AUDIT"


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pki")


@pytest.fixture
def instance(pki_dir: Path) -> Iterator[SlapdServer]:
    with SlapdServer(SlapdConfig(data="empty"), pki_dir) as server:
        yield server


def context_for(
    server: SlapdServer,
    folder: Path,
    *,
    flaw: str | None = None,
    allow_writes: bool = True,
    section: dict[str, Any] | None = None,
) -> ProbeContext:
    imported = section or import_section(
        server,
        folder / "etat",
        admin_password_env=ADMIN_ENV,
        audit_password_env=AUDIT_ENV,
        flaw=flaw,
    )
    data = {"format": 1, "name": "ENT de test", "aaf": {"path": "aaf", "import": imported}}
    file = folder / "cible.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    environ = {ADMIN_ENV: server.admin_password, AUDIT_ENV: server.audit_password}
    return ProbeContext(
        target=load_target(file, environ),
        network_timeout=5,
        deadline=time.monotonic() + 90,
        allow_writes=allow_writes,
    )


def decide_all(context: ProbeContext) -> dict[str, Outcome]:
    return {
        requirement: LdapImportScenario().check({"requirement": requirement}, context)
        for requirement in COVERED
    }


def test_the_scenario_covers_every_requirement_it_names() -> None:
    steps = build_scenario()
    assert requirements_shown(steps) == list(COVERED)
    assert len(COVERED) >= 12
    assert steps[-1].cleanup and not steps[-1].expectations


def test_conformant_importer_passes_every_covered_requirement(
    instance: SlapdServer, tmp_path: Path
) -> None:
    outcomes = decide_all(context_for(instance, tmp_path))
    failed = {r: o.message for r, o in outcomes.items() if o.status is not Status.PASS}
    assert failed == {}
    handoffs = [e for e in outcomes["DIR-AAF-002"].evidence if e.kind == "aaf_import_step"]
    assert [h.data["exit_code"] for h in handoffs] == [0, 0, 0, 0]
    assert "{folder}" not in " ".join(handoffs[0].data["command"])
    # The clean-up step leaves nothing of the scenario in the annuaire.
    with instance.admin_connection() as connection:
        connection.search("ou=people,dc=ent,dc=test", "(ENTPersonJointure=*)")
        assert connection.entries == []


@pytest.mark.parametrize("flaw", sorted(FLAWS))
def test_each_broken_importer_fails_exactly_what_it_breaks(
    flaw: str, instance: SlapdServer, tmp_path: Path
) -> None:
    outcomes = decide_all(context_for(instance, tmp_path, flaw=flaw))
    failed = {r for r, o in outcomes.items() if o.status is Status.FAIL}
    assert failed == FLAWS[flaw][1]
    assert all(o.status is Status.PASS for r, o in outcomes.items() if r not in failed)
    for requirement in failed:
        outcome = outcomes[requirement]
        assert "étape 0" in outcome.message and "enregistrement" in outcome.message
        (observed,) = [e for e in outcome.evidence if e.kind == "aaf_import_observations"]
        bad = [o for o in observed.data["observations"] if not o["conforms"]]
        assert bad and all(o["step"] and o["record"] and o["problem"] for o in bad)
        assert all("expected" in o and "observed" in o for o in bad)


def test_evidence_is_pseudonymised(instance: SlapdServer, tmp_path: Path) -> None:
    outcomes = decide_all(context_for(instance, tmp_path, flaw="iso_lu_en_utf8"))
    text = json.dumps(
        [e.to_json() for o in outcomes.values() for e in o.evidence], ensure_ascii=False
    )
    for personal in ("ŒUVRARD", "Zoé", "14/03/2014", "920100000KX", "s.oeuvrard@"):
        assert personal not in text
    assert "pseudo:" in text
    # Structure join keys and UAI are not personal: shown as they are.
    assert '"record": "9102"' in text


def test_without_allow_writes_nothing_is_written(instance: SlapdServer, tmp_path: Path) -> None:
    context = context_for(instance, tmp_path, allow_writes=False)
    with pytest.raises(NotTestable, match="--allow-writes"):
        LdapImportScenario().check({"requirement": "DIR-AAF-002"}, context)
    assert not (tmp_path / "etat" / STATE_FILE).exists()


def test_without_an_import_section_not_tested(tmp_path: Path) -> None:
    file = tmp_path / "cible.yaml"
    file.write_text(yaml.safe_dump({"format": 1, "name": "x", "aaf": {"path": "aaf"}}), "utf-8")
    context = ProbeContext(
        target=load_target(file, {}),
        network_timeout=1,
        deadline=time.monotonic() + 5,
        allow_writes=True,
    )
    with pytest.raises(NotTestable, match=r"aaf\.import"):
        LdapImportScenario().check({"requirement": "DIR-AAF-001"}, context)


def test_a_failing_command_is_an_error_with_its_output(
    instance: SlapdServer, tmp_path: Path
) -> None:
    section = import_section(
        instance, tmp_path / "etat", admin_password_env=ADMIN_ENV, audit_password_env=AUDIT_ENV
    )
    section["command"] = [sys.executable, "-c", "import sys; print('boum'); sys.exit(3)"]
    context = context_for(instance, tmp_path, section=section)
    with pytest.raises(ProbeError, match="code 3") as raised:
        LdapImportScenario().check({"requirement": "DIR-AAF-001"}, context)
    assert raised.value.evidence[0].data["exit_code"] == 3
    assert "boum" in raised.value.evidence[0].data["output_tail"]


def test_a_drop_folder_nobody_takes_times_out(instance: SlapdServer, tmp_path: Path) -> None:
    drop = tmp_path / "depot"
    drop.mkdir()
    section = {
        "drop_folder": str(drop),
        "wait_s": 0.5,
        "ldap": instance.target_section(AUDIT_ENV),
    }
    context = context_for(instance, tmp_path, section=section)
    with pytest.raises(ProbeTimeout, match="n'a pas pris"):
        LdapImportScenario().check({"requirement": "DIR-AAF-001"}, context)
    assert any(drop.glob("*_Complet_20250901_*.xml"))


def test_the_command_never_sees_the_secret_in_its_arguments(
    instance: SlapdServer, tmp_path: Path
) -> None:
    outcome = LdapImportScenario().check(
        {"requirement": "DIR-AAF-005"}, context_for(instance, tmp_path)
    )
    text = json.dumps([e.to_json() for e in outcome.evidence])
    assert instance.admin_password not in text and instance.audit_password not in text


def test_a_drop_folder_the_ent_watches(instance: SlapdServer, tmp_path: Path) -> None:
    """An ENT that takes each step from a drop folder once all its files are there."""
    drop = tmp_path / "depot"
    drop.mkdir()
    expected = [len(step.files) for step in build_scenario()]
    stop = threading.Event()
    problems: list[BaseException] = []

    def watch() -> None:
        try:
            with instance.admin_connection() as connection:
                importer = AafImporter(connection, tmp_path / "etat-ent")
                for count in expected:
                    while len(list(drop.glob("*.xml"))) < count:
                        if stop.wait(0.05):
                            return
                    batch = tmp_path / f"lot-{count}-{time.monotonic_ns()}"
                    batch.mkdir()
                    taken = list(drop.glob("*.xml"))
                    for file in taken:
                        shutil.copy2(file, batch / file.name)
                    importer.import_folder(batch)
                    # Files leave the folder once imported: the probe reads the annuaire
                    # then, not while the import still runs (a race on a loaded machine).
                    for file in taken:
                        file.unlink()
        except BaseException as exc:  # reported by the test below
            problems.append(exc)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    section = {"drop_folder": str(drop), "wait_s": 30, "ldap": instance.target_section(AUDIT_ENV)}
    context = context_for(instance, tmp_path, section=section)
    # The ENT's import report is not readable from a drop folder: DIR-AAF-010 stays undecided.
    readable = [requirement for requirement in COVERED if requirement != "DIR-AAF-010"]
    try:
        outcomes = {r: LdapImportScenario().check({"requirement": r}, context) for r in readable}
        with pytest.raises(NotTestable, match="compte rendu de l'import n'est pas lisible"):
            LdapImportScenario().check({"requirement": "DIR-AAF-010"}, context)
    finally:
        stop.set()
        watcher.join(10)
    assert problems == []
    assert {r: o.status for r, o in outcomes.items()} == dict.fromkeys(readable, Status.PASS)
    handoff = next(e for e in outcomes["DIR-AAF-001"].evidence if e.kind == "aaf_import_step")
    assert handoff.data["mode"] == "drop_folder" and "pris par l'ENT" in handoff.summary


def _directory(server: SlapdServer) -> dict[str, dict[str, list[str]]]:
    with server.admin_connection() as connection:
        connection.search("dc=ent,dc=test", "(|(ENTPersonJointure=*)(ENTStructureJointure=*))",
                          attributes=["*"])  # fmt: skip
        return {
            entry.entry_dn: {name: sorted(map(str, values)) for name, values in
                             entry.entry_attributes_as_dict.items()}
            for entry in connection.entries
        }  # fmt: skip


def test_importing_the_same_complet_twice_changes_nothing(
    instance: SlapdServer, tmp_path: Path
) -> None:
    first = build_scenario()[0]
    write_step(first, tmp_path / "complet")
    with instance.admin_connection() as connection:
        importer = AafImporter(connection, tmp_path / "etat")
        report = importer.import_folder(tmp_path / "complet")
        once = _directory(instance)
        again = importer.import_folder(tmp_path / "complet")
    assert once and _directory(instance) == once
    assert report.applied == again.applied
    # What the importer refused, it says (the bad UAI, the date that does not exist).
    assert any("UAI refusée" in line for line in report.lines)
    assert any("ENTPersonDateNaissance rejetée" in line for line in report.lines)


def test_a_broken_importer_is_reported_in_english(instance: SlapdServer, tmp_path: Path) -> None:
    """What each observation checks (the scenario's French text) is shown in English."""
    flaw = sorted(FLAWS)[0]
    before = current_language()
    set_language("en")
    try:
        outcomes = decide_all(context_for(instance, tmp_path, flaw=flaw))
    finally:
        set_language(before)
    failed = [o for o in outcomes.values() if o.status is Status.FAIL]
    assert failed
    french = re.compile(r"[éèêàùçôîûÉÈÀ«»]|\b(étape|enregistrement|conservé|présent|importée?)\b")
    for outcome in failed:
        assert "step 0" in outcome.message and "record" in outcome.message
        (observed,) = [e for e in outcome.evidence if e.kind == "aaf_import_observations"]
        checked = [o["checked"] for o in observed.data["observations"]]
        shown = " ".join([outcome.message, str(observed.summary), *checked])
        assert french.findall(shown) == [], shown


def test_every_scenario_text_has_its_english() -> None:
    """Each text an expectation checks is in the catalogue: French as written, English distinct."""
    from sdet_check.aaf.scenario import checked_text
    from sdet_check.messages import text

    for step in build_scenario():
        for expectation in step.expectations:
            french = checked_text(expectation.what)
            assert french == expectation.what
            english = text(french.id, "en")  # type: ignore[attr-defined]
            unquoted = re.sub(r"“[^”]*”", "", english)  # quoted letters are data (« é »)
            assert english != french and not re.search(r"[éèêàùç«»]", unquoted)
