"""What a new user tripped over (issue 10): a replaced run, silent proof mismatches, 62
identical error rows, cut figures at 80 columns, a diff that is no change, a format that
``--help`` offers and the command refuses."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from sdet_check.api import RunRequest, evaluate
from sdet_check.registry import ProbeRegistry
from sdet_check.reporters import reporter_for
from sdet_check.reporters.base import percent

from ..records import synthetic
from .conftest import copy_probe_grid

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"SDET_ELEVE_PASSWORD": "mot-de-passe-eleve", "SDET_LDAP_PASSWORD": "mot-de-passe-ldap"}


def sdet_check(
    *args: str, cwd: Path, columns: int = 200, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """This worktree's command line, output piped (not a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "sdet_check", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "COLUMNS": str(columns),
             "PYTHONPATH": str(ROOT), **SECRETS, **(env or {})},
    )  # fmt: skip


def _examples(tmp_path: Path) -> Path:
    folder = tmp_path / "ex"
    shutil.copytree(ROOT / "examples", folder)
    return folder


def test_run_out_never_replaces_an_existing_run(tmp_path: Path) -> None:
    folder = _examples(tmp_path)
    previous = tmp_path / "audit-2026"
    previous.mkdir()
    (previous / "run.json").write_text('{"ancien": true}')
    done = sdet_check("run", "--target", "cible-ent.yaml", "--out", str(previous), cwd=folder)
    assert done.returncode == 3, done.stderr
    message = " ".join(done.stderr.split())
    assert "contient déjà un run" in message and "omettre --out" in message
    assert (previous / "run.json").read_text() == '{"ancien": true}'


def test_proof_mismatch_is_shown_and_left_out_of_the_note_theorique(tmp_path: Path) -> None:
    folder = _examples(tmp_path)
    (folder / "preuves" / "registre-traitements.txt").write_text("modifié après coup\n")
    out = tmp_path / "run"
    done = sdet_check(
        "run", "--target", "cible-ent.yaml", "--declarations", "declarations.yaml",
        "--only", "LEG-REG-001", "--out", str(out), "-f", "terminal", "-f", "html",
        cwd=folder,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    text = " ".join(done.stdout.split())
    assert "Preuves non conformes" in text
    assert "LEG-REG-001 · Registre des traitements : empreinte sha256 différente" in text
    record = json.loads((out / "run.json").read_text())
    entry = next(r for r in record["results"] if r["requirement"] == "LEG-REG-001")
    assert entry["declared"] == "conforme" and entry["declaration_proof"] == "mismatch"
    declared = [
        r for r in record["results"]
        if r.get("declared") in ("conforme", "non_conforme") and r["status"] != "not_applicable"
    ]  # fmt: skip
    assert record["score"]["overall"]["declared"] == len(declared) - 1  # LEG-REG-001 left out
    assert "exclue de la note théorique" in (out / "rapport.html").read_text()


def test_identical_errors_are_summarised_in_one_line(
    tmp_path: Path, registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> None:
    grid = copy_probe_grid(tmp_path, ["fake.unreachable"] * 6 + ["fake.fail"])
    record = evaluate(RunRequest(target=target_file, grid=str(grid)), registry=registry,
                      environ=environ)  # fmt: skip
    text = reporter_for("terminal").render(record).decode()
    assert "Erreurs : 6 exigence(s) : cible injoignable (connexion refusée)" in text
    assert text.count("connexion refusée par 127.0.0.1:9") == 1  # one row for the six
    assert "même erreur (6 exigence(s))" in text


def test_terminal_tables_keep_their_figures_at_80_columns_when_piped(tmp_path: Path) -> None:
    record = synthetic("sdet/6.4", seed=0, name="ENT Collèges de l'Exemple")
    run = tmp_path / "run.json"
    run.write_bytes(reporter_for("json").render(record))
    for lang in ("fr", "en"):
        done = sdet_check("--lang", lang, "report", str(run), cwd=tmp_path, columns=80)
        assert done.returncode in (0, 1, 2), done.stderr
        table = done.stdout
        for entry in [*record["score"]["axes"], record["score"]["overall"]]:
            must = f"{percent(entry['must']['rate'])} · {percent(entry['must']['coverage'])}"
            should = f"{percent(entry['should']['rate'])} · {percent(entry['should']['coverage'])}"
            assert must in table and should in table, (must, should, table)
        assert "non confor…" not in table and "Théoriq…" not in table
        assert max(len(line) for line in table.splitlines()) <= 80


def test_grid_diff_lists_no_unchanged_verification(tmp_path: Path) -> None:
    done = sdet_check("grid", "diff", "sdet/6.2", "sdet/6.4", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "declaration → declaration" not in text
    assert not re.search(r"~ [A-Z0-9-]+ (\w+) → \1 ", text)
    assert "A11Y-RGAA-001 declaration — conduite" in text


def test_aaf_rules_help_does_not_offer_csv(tmp_path: Path) -> None:
    done = sdet_check("aaf", "rules", "--help", cwd=tmp_path)
    assert done.returncode == 0
    assert "csv" not in done.stdout.lower()
    refused = sdet_check("aaf", "rules", "--format", "csv", cwd=tmp_path)
    assert refused.returncode == 3 and "terminal" in refused.stderr


def test_default_run_folder_folds_accents_instead_of_dropping_letters() -> None:
    from sdet_check.cli.run import default_out_dir

    folder = default_out_dir("ENT de démonstration — Lycée Émile-Zola")
    assert folder.name.endswith("-ent-de-demonstration-lycee-emile-zola")
    assert default_out_dir("日本語").name.endswith("-cible")  # nothing to fold: the fallback
