"""Exports downloaded from the live reference ENT, as each test account, after logging in.

The demo's export pages (:class:`sdet_check.demo.export_server.ExportServer`) serve each
account its own files behind a login form; the probes fetch them under the credentials
rule and judge them as files. A portal configured on another host receives nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from probes.export import (
    ArchiveExport,
    CalendarExport,
    ContactsExport,
    ServiceExports,
    TableExport,
)
from sdet_check.demo.annuaire import reference_population
from sdet_check.demo.export_server import EXPORT_FILES, ExportServer
from sdet_check.demo.exports import write_exports
from sdet_check.probe import Outcome, ProbeContext, ProbeError, Status
from sdet_check.target import load_target

PASSWORDS = {"2001": "mdp-eleve-1", "2003": "mdp-eleve-2", "4001": "mdp-prof"}
Live = tuple[Path, ExportServer, dict[str, Any]]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    section = write_exports(tmp_path / "exports", reference_population())
    with ExportServer(tmp_path / "exports", tmp_path / "pki", PASSWORDS) as server:
        for entry in section["accounts"]:
            for kind, name in EXPORT_FILES.items():
                entry[kind] = server.url(entry["login"], name)
        del section["gar"]
        yield tmp_path, server, section


def context_for(
    folder: Path, server: ExportServer, section: dict[str, Any], portal: str
) -> ProbeContext:
    data = {
        "format": 1,
        "name": "exports en ligne",
        "tls": {"ca_file": str(server.ca_file)},
        "portal": {"url": portal},
        "export": section,
        "accounts": [
            {"profile": "eleve", "login": "2001", "password_env": "MDP_2001"},
            {"profile": "eleve", "login": "2003", "password_env": "MDP_2003"},
            {"profile": "enseignant", "login": "4001", "password_env": "MDP_4001"},
        ],
    }
    file = folder / "cible.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    environ = {f"MDP_{login}": password for login, password in PASSWORDS.items()}
    return ProbeContext(
        target=load_target(file, environ), network_timeout=5, deadline=time.monotonic() + 60
    )


def test_downloaded_exports_pass_and_each_account_logs_in(live: Live) -> None:
    folder, server, section = live
    context = context_for(folder, server, section, server.https_url)
    for probe in (CalendarExport, ContactsExport, TableExport, ArchiveExport, ServiceExports):
        outcome = probe().check({}, context)
        assert outcome.status is Status.PASS, (probe.kind, outcome.message)
        summaries = " ".join(e.summary for e in outcome.evidence)
        assert "formulaire de connexion soumis" in summaries
        assert "mdp-" not in str([e.to_json() for e in outcome.evidence])
    assert sorted(set(server.posts)) == ["2001", "2003", "4001"]


def test_another_accounts_export_is_refused_by_the_ent(live: Live) -> None:
    folder, server, section = live
    section["accounts"][0]["calendar"] = server.url("2003", "agenda.ics")
    context = context_for(folder, server, section, server.https_url)
    with pytest.raises(ProbeError, match="HTTP 403"):
        CalendarExport().check({}, context)


def test_no_password_for_a_host_other_than_the_portal(live: Live) -> None:
    folder, server, section = live
    context = context_for(folder, server, section, "https://portail.ent-ailleurs.invalid/")
    outcome: Outcome | ProbeError
    try:
        outcome = CalendarExport().check({}, context)
    except ProbeError as exc:
        outcome = exc
    assert isinstance(outcome, ProbeError)
    assert "rien n'est envoyé" in str(outcome)
    assert server.posts == []


def test_wrong_password_is_an_error_naming_the_account(live: Live) -> None:
    folder, server, section = live
    environ = {f"MDP_{login}": "mauvais-mot-de-passe" for login in PASSWORDS}
    good = context_for(folder, server, section, server.https_url)
    context = ProbeContext(
        target=load_target(good.target.file, environ),
        network_timeout=5,
        deadline=time.monotonic() + 60,
    )
    with pytest.raises(ProbeError, match="connexion refusée pour le compte 2001"):
        CalendarExport().check({}, context)


def test_a_large_archive_is_streamed_not_read_in_memory(live: Live) -> None:
    folder, server, section = live
    members = {
        "documents/expose-2001.txt": b"expose",
        "documents/photo.bin": os.urandom(3 * 1024 * 1024),  # past the 2 MB page bound
    }
    with zipfile.ZipFile(folder / "exports" / "2001" / "archive.zip", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        files = [
            {
                "path": n,
                "format": "application/octet-stream",
                "sha256": hashlib.sha256(d).hexdigest(),
            }
            for n, d in members.items()
        ]
        archive.writestr("manifest.json", json.dumps({"files": files}))
    context = context_for(folder, server, section, server.https_url)
    outcome = ArchiveExport().check({}, context)
    assert outcome.status is Status.PASS, outcome.message
