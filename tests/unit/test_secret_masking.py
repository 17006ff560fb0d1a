"""Secrets masked as whole values, never as pieces of other words; short secrets refused.

Issue 10: with ``SDET_ELEVE_PASSWORD=test`` a run showed ``eleve.***1`` and
``https://service-***.exemple.fr/``; with the password ``x`` the console showed
``ENT Collèges de l'E***emple``: the secret could be read back from known text.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from sdet_check.api import RunRequest, evaluate
from sdet_check.errors import InputError
from sdet_check.probe import Evidence, Outcome, Probe, ProbeContext
from sdet_check.redaction import Redactor
from sdet_check.registry import ProbeRegistry
from sdet_check.reporters import REPORTERS, reporter_for
from sdet_check.target import load_target

from ..documents import pdf_bytes_text
from .conftest import ALL_FAKES, CANARY, EXTRA_FAKES, copy_probe_grid

ROOT = Path(__file__).resolve().parents[2]
MIN_SECRET_LENGTH = 8  # documented in the README (sdet_check.target.MIN_SECRET_LENGTH)


def _run_examples(tmp_path: Path, password: str) -> subprocess.CompletedProcess[str]:
    folder = tmp_path / "ex"
    shutil.copytree(ROOT / "examples", folder)
    return subprocess.run(
        [sys.executable, "-m", "sdet_check", "run", "--target", "cible-ent.yaml",
         "--declarations", "declarations.yaml", "--out", str(tmp_path / "run")],
        cwd=folder, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "COLUMNS": "200",
             "PYTHONPATH": str(ROOT), "SDET_ELEVE_PASSWORD": password,
             "SDET_LDAP_PASSWORD": "mot-de-passe-ldap"},
    )  # fmt: skip


@pytest.mark.parametrize("password", ["test", "x"])
def test_short_secret_is_refused_at_load_with_the_minimum_and_the_fix(
    tmp_path: Path, password: str
) -> None:
    done = _run_examples(tmp_path, password)
    assert done.returncode == 3, done.stderr
    message = " ".join(done.stderr.split())
    assert "SDET_ELEVE_PASSWORD" in message and "cible-ent.yaml (ligne" in message
    assert f"minimum de {MIN_SECRET_LENGTH}" in message and "À faire" in message
    assert "***" not in done.stdout + done.stderr
    assert not (tmp_path / "run" / "run.json").exists()


def test_short_secret_refused_by_the_loader(tmp_path: Path) -> None:
    target = tmp_path / "cible.yaml"
    target.write_text(
        "format: 1\nname: x\naccounts: [{profile: eleve, login: e, password_env: PW}]\n"
    )
    with pytest.raises(InputError) as caught:
        load_target(target, {"PW": "a" * (MIN_SECRET_LENGTH - 1)})
    assert caught.value.place.line == 3
    assert load_target(target, {"PW": "a" * MIN_SECRET_LENGTH}).accounts[0].login == "e"


@pytest.mark.parametrize(
    ("secret", "text"),
    [
        ("test", "eleve.test1"),
        ("test", "Attestation de test1-test2"),
        ("x", "ENT Collèges de l'Exemple"),
        ("Exemple", "ENT Collèges de l'Exemples"),
        ("motdepasse", "motdepasse2 et xmotdepasse"),
    ],
)
def test_redactor_never_masks_inside_a_word(secret: str, text: str) -> None:
    redactor = Redactor([secret])
    assert redactor.text(text) == text
    assert redactor.masked == 0


@pytest.mark.parametrize(
    "template",
    [
        "{}",
        "mot de passe « {} » refusé",
        'value="{}"',
        "POST /login password={}&lt=LT-1",
        "https://ent.exemple.fr/login?password={}",
        "Connexion refusée avec {}.",
        "(secret: {})",
        "{'password': '{}'}",
        "ligne1\n{}\nligne3",
    ],
)
def test_redactor_masks_a_secret_standing_as_a_value(template: str) -> None:
    redactor = Redactor([CANARY])
    masked = redactor.text(template.replace("{}", CANARY))
    assert CANARY not in masked and "***" in masked
    assert masked == template.replace("{}", "***")


class EchoProbe(Probe):
    """A target that echoes the password back in every shape a page could take."""

    kind = "fake.echo"
    title = "écho du secret"
    needs = ("accounts",)

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        secret = context.target.accounts[0].password.reveal()
        page = (
            f'<input name="password" value="{secret}"> <a href="/p?password={secret}&x=1">'
            f"« {secret} »</a> ({secret}) {secret}."
        )
        return Outcome.failed(
            f"La cible a renvoyé : {page}",
            Evidence("http_exchange", f"réponse {secret}", {"body": page, "list": [secret]}),
        )


def test_canary_echoed_by_a_target_reaches_no_output(tmp_path: Path) -> None:
    target = tmp_path / "cible.yaml"
    target.write_text(
        "format: 1\nname: ENT Collèges de l'Exemple\ndegrees: [2d]\n"
        "accounts: [{profile: eleve, login: eleve.test1, password_env: PW}]\n",
        encoding="utf-8",
    )
    grid = copy_probe_grid(tmp_path, ["fake.echo"])
    record = evaluate(
        RunRequest(target=target, grid=str(grid)),
        registry=ProbeRegistry((*ALL_FAKES, *EXTRA_FAKES, EchoProbe)),
        environ={"PW": CANARY},
    )
    assert record["privacy"]["secrets_masked"] == 12  # 5 in the message, 1 + 5 + 1 in evidence
    assert record["target"]["name"] == "ENT Collèges de l'Exemple"
    for name in REPORTERS:
        rendered = reporter_for(name).render(record, "fr")
        output = pdf_bytes_text(rendered) if name == "pdf" else rendered.decode("utf-8")
        assert CANARY not in output, f"{name} laisse passer le secret"
        assert "canari" not in output.lower(), f"{name} laisse passer une partie du secret"
