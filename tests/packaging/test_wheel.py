"""The wheel, installed in a fresh virtualenv, works from any directory.

Grids, schemas and the built-in probes must ship inside the wheel; the command must find
them without the source tree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Installing the wheel with its dependencies in a new virtualenv takes longer than a unit test.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-w", str(out), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (found,) = out.glob("sdet_check-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    return env_dir / "bin" / "sdet-check"


def test_wheel_carries_grids_schemas_and_probes(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "sdet_check/_bundled/grids/sdet/6.4/grid.yaml" in names
    assert "sdet_check/_bundled/grids/schemas/run.schema.json" in names
    assert "sdet_check/_bundled/grids/schemas/aaf-report.schema.json" in names
    assert "sdet_check/aaf/data/ficAlimMENESR.dtd" in names
    assert "sdet_check/_bundled/grids/schemas/weights.schema.json" in names
    for template in ("report.html.j2", "compare.html.j2", "rundiff.html.j2", "report.css"):
        assert f"sdet_check/_bundled/templates/{template}" in names
    assert "probes/http/__init__.py" in names
    # The reference ENT's answered kit, which the demo's audit loop plays.
    for kit in ("questionnaire.ods", "reponses-revue.yaml", "preuves/pile-locale.txt"):
        assert f"sdet_check/_bundled/ent-reference/{kit}" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[sdet_check.probes]" in text and "probes.http:PROBES" in text
    assert "probes.cas:PROBES" in text and "probes/cas/__init__.py" in names
    assert "probes.export:PROBES" in text and "probes/export/schemas/gar-ent.xsd" in names
    assert "probes.portal:PROBES" in text and "probes/portal/visit.py" in names
    assert "sdet_check/demo/cas_wsgi.py" in names
    # The mama-cas peer's Django project and its login page templates travel with the package.
    site = "sdet_check/demo/mama_cas_site"
    assert f"{site}/templates/sdet_mama_cas/login_champs_renommes.html" in names
    assert f"{site}/settings.py" in names and "sdet_check/demo/mama_cas_wsgi.py" in names


def run(command: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env.update({"NO_COLOR": "1", "COLUMNS": "150"})
    return subprocess.run(
        [str(command), *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env
    )


def test_commands_work_from_another_directory(installed: Path, tmp_path: Path) -> None:
    validate = run(installed, "grid", "validate", "sdet/6.4", cwd=tmp_path)
    assert validate.returncode == 0, validate.stderr
    assert "valide" in validate.stdout
    show = run(installed, "grid", "show", "sdet/6.4", "--axis", "securite", "--level", "MUST",
               cwd=tmp_path)  # fmt: skip
    assert show.returncode == 0, show.stderr
    assert "SEC-TLS-001" in show.stdout
    diff = run(installed, "grid", "diff", "sdet/6.2", "sdet/6.4", cwd=tmp_path)
    assert diff.returncode == 0, diff.stderr
    assert "INT-IMPEX-001" in diff.stdout and "SHOULD → MUST" in diff.stdout
    probes = run(installed, "probes", "list", cwd=tmp_path)
    assert "http.hsts" in probes.stdout


def test_tender_kit_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    grid = run(installed, "grid", "export", "sdet/6.4", "--format", "html", "--level", "MUST",
               "--out", "grille.html", cwd=tmp_path)  # fmt: skip
    assert grid.returncode == 0, grid.stderr
    assert "Grille de lecture du SDET" in (tmp_path / "grille.html").read_text(encoding="utf-8")
    written = run(installed, "questionnaire", "sdet/6.4", "--out", "q.ods", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    unanswered = run(installed, "questionnaire", "import", "q.ods", "--out", "d.yaml",
                     cwd=tmp_path)  # fmt: skip
    assert unanswered.returncode == 3
    assert "feuille « Déclarations », ligne 7" in " ".join(unanswered.stderr.split())


def test_aaf_commands_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    generated = run(installed, "aaf", "generate", "jeu", "--structures", "1",
                    "--defects", "AAF-UAI-001", cwd=tmp_path)  # fmt: skip
    assert generated.returncode == 0, generated.stderr
    (tmp_path / "jeu" / "ficAlimMENESR.dtd").unlink()  # the built-in DTD must ship
    done = run(installed, "aaf", "validate", "jeu", "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["dtd"]["origin"] == "builtin"
    assert report["summary"]["by_rule"] == {"AAF-UAI-001": 1}


def test_demo_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    done = run(installed, "demo", "--out", "demo", cwd=tmp_path)
    record = json.loads((tmp_path / "demo" / "run.json").read_text())
    codes = {"conforme": 0, "conforme_avec_reserves": 0, "non_conforme": 1,
             "evaluation_incomplete": 2}  # fmt: skip
    expected = codes[record["score"]["overall"]["verdict"]]
    assert (tmp_path / "demo" / "junit.xml").is_file()
    # The audit loop from the wheel alone: the bundled kit imported, reviewed, reported;
    # the demo's exit code is the reviewed run's verdict.
    assert len(record["declarations"]) == 26
    assert (tmp_path / "demo" / "revues.yaml").is_file()
    reviewed = json.loads((tmp_path / "demo" / "rapport" / "run.json").read_text())
    assert not [e for e in reviewed["results"] if e["status"] == "manual"]
    assert done.returncode == codes[reviewed["score"]["overall"]["verdict"]], done.stderr
    # The wheel alone does not pull the GPL test peer: the demo says so and goes on.
    assert "django-cas-server n'est pas installé" in " ".join(done.stderr.split())
    assert not any(e.get("probe", "").startswith("cas.") and e["status"] != "not_tested"
                   for e in record["results"])  # fmt: skip
    # The report templates ship in the wheel: an installed sdet-check renders HTML anywhere.
    report = run(installed, "report", "demo/run.json", "--format", "html", cwd=tmp_path)
    assert report.returncode == expected, report.stderr
    page = (tmp_path / "demo" / "rapport.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in page and "évaluation de conformité" in page
