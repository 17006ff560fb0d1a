"""``sdet-check aaf …`` as a user runs it: exit codes, outputs, one clear message on bad input."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from sdet_check.aaf.families import Family
from sdet_check.aaf.rules import RULES
from sdet_check.yamlfile import schema

from .conftest import AafSet, file_name

ROOT = Path(__file__).resolve().parents[2]


def sdet_check(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sdet_check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "COLUMNS": "160", "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture
def broken(aaf_set: AafSet) -> Path:
    aaf_set.record(Family.ETAB).set("ENTStructureUAI", ["0750654E"])
    pupil = aaf_set.record(Family.ELEVE)
    pupil.set("ENTPersonDateNaissance", ["31/02/2012"])
    pupil.set("ENTEleveINE", ["ABC"])
    return aaf_set.write()


def test_clean_set_exits_0(aaf_set: AafSet, tmp_path: Path) -> None:
    done = sdet_check("aaf", "validate", str(aaf_set.write()), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Aucun problème trouvé" in done.stdout
    assert "Eleve" in done.stdout and "PersEducNat" in done.stdout


def test_a_small_set_asked_in_processes_is_read_in_one_and_says_so(
    aaf_set: AafSet, tmp_path: Path
) -> None:
    done = sdet_check("aaf", "validate", str(aaf_set.write()), "--jobs", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Lecture en 1 processus (--jobs 2 demandé)" in done.stderr


def test_errors_exit_1_grouped_by_rule_with_requirements(broken: Path, tmp_path: Path) -> None:
    done = sdet_check("aaf", "validate", str(broken), cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert "AAF-UAI-001" in out and "DIR-AAF-013" in out
    assert "lettre clé attendue D" in out
    assert "AAF-DATE-001" in out and "‹masqué›" in out and "31/02/2012" not in out
    assert "AAF-INE-001 avertissement" in out
    assert "2 erreur(s), 1 avertissement(s)" in out


def test_show_values_reveals_personal_values(broken: Path, tmp_path: Path) -> None:
    done = sdet_check("aaf", "validate", str(broken), "--show-values", cwd=tmp_path)
    assert "31/02/2012" in done.stdout and "‹masqué›" not in done.stdout


def test_terminal_listing_is_capped(aaf_set: AafSet, tmp_path: Path) -> None:
    for index in range(5):
        aaf_set.records[Family.MATIERE][0].attributes.append((f"ENTInconnu{index}", ["x"]))
    done = sdet_check("aaf", "validate", str(aaf_set.write()), "--limit", "2", cwd=tmp_path)
    assert done.returncode == 0  # warnings only
    assert done.stdout.count("ENTInconnu") == 2
    assert "et 3 autre(s)" in done.stdout


def test_json_report_matches_its_schema(broken: Path, tmp_path: Path) -> None:
    out = tmp_path / "rapport.json"
    done = sdet_check("aaf", "validate", str(broken), "-f", "json", "-o", str(out), cwd=tmp_path)
    assert done.returncode == 1
    report = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(report, schema("aaf-report"))
    assert report["summary"]["errors"] == 2 and report["summary"]["warnings"] == 1
    assert report["summary"]["by_rule"] == {"AAF-DATE-001": 1, "AAF-INE-001": 1, "AAF-UAI-001": 1}
    assert [r["id"] for r in report["rules"]] == list(RULES)
    assert {f["file"] for f in report["findings"]} <= {f["name"] for f in report["files"]}
    assert report["values_masked"] is True


def test_json_to_stdout_and_csv(broken: Path, tmp_path: Path) -> None:
    done = sdet_check("aaf", "validate", str(broken), "--format", "json", cwd=tmp_path)
    assert json.loads(done.stdout)["summary"]["errors"] == 2
    done = sdet_check("aaf", "validate", str(broken), "--format", "csv", cwd=tmp_path)
    rows = list(csv.reader(io.StringIO(done.stdout.lstrip("\ufeff"))))
    assert rows[0][:3] == ["règle", "sévérité", "fichier"]
    assert sorted(r[0] for r in rows[1:]) == ["AAF-DATE-001", "AAF-INE-001", "AAF-UAI-001"]
    uai = next(r for r in rows if r[0] == "AAF-UAI-001")
    assert uai[2] == file_name(Family.ETAB)
    assert uai[4] == "100" and "DIR-AAF-013" in uai[8]


def test_missing_folder_exits_3_naming_it(tmp_path: Path) -> None:
    done = sdet_check("aaf", "validate", str(tmp_path / "absent"), cwd=tmp_path)
    assert done.returncode == 3
    assert "absent" in done.stderr and "introuvable" in done.stderr
    assert "Traceback" not in done.stderr


def test_file_that_is_not_aaf_exits_3_naming_it(aaf_set: AafSet, tmp_path: Path) -> None:
    folder = aaf_set.write()
    (folder / "page.xml").write_text("<html><body>bonjour</body></html>", encoding="utf-8")
    done = sdet_check("aaf", "validate", str(folder), cwd=tmp_path)
    assert done.returncode == 3
    assert "page.xml" in done.stderr and "<html>" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "fichier vide"),
        (b"\x00\x01binaire", "pas un document XML"),
        (b"nom;prenom\nDUPONT;Zoe\n", "pas un document XML"),
    ],
)
def test_garbage_exits_3(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "ENT_Complet_20240916_Eleve_0000.xml"
    path.write_bytes(content)
    done = sdet_check("aaf", "validate", str(path), cwd=tmp_path)
    assert done.returncode == 3
    assert expected in done.stderr and path.name in done.stderr


def test_folder_without_xml_points_at_subfolders(tmp_path: Path) -> None:
    (tmp_path / "jeu" / "2024").mkdir(parents=True)
    (tmp_path / "jeu" / "2024" / "x.xml").write_text("<ficAlimMENESR/>")
    done = sdet_check("aaf", "validate", str(tmp_path / "jeu"), cwd=tmp_path)
    assert done.returncode == 3
    assert "aucun fichier XML" in done.stderr and "2024" in done.stderr


def test_unsafe_or_wrong_dtd_exits_3(aaf_set: AafSet, tmp_path: Path) -> None:
    folder = aaf_set.write()
    bomb = tmp_path / "bombe.dtd"
    bomb.write_text('<!ENTITY a "aaaa"><!ELEMENT ficAlimMENESR ANY>')
    done = sdet_check("aaf", "validate", str(folder), "--dtd", str(bomb), cwd=tmp_path)
    assert done.returncode == 3 and "bombe.dtd" in done.stderr and "entités" in done.stderr
    other = tmp_path / "autre.dtd"
    other.write_text("<!ELEMENT html ANY>")
    done = sdet_check("aaf", "validate", str(folder), "--dtd", str(other), cwd=tmp_path)
    assert done.returncode == 3 and "ne déclare pas" in done.stderr


def test_rules_command_lists_catalogue(tmp_path: Path) -> None:
    done = sdet_check("aaf", "rules", "--format", "json", cwd=tmp_path)
    rules = json.loads(done.stdout)
    assert [r["id"] for r in rules] == list(RULES)
    done = sdet_check("aaf", "rules", cwd=tmp_path)
    assert "AAF-XREF-003" in done.stdout and "DIR-PROF-002" in done.stdout


def test_generate_then_validate(tmp_path: Path) -> None:
    out = tmp_path / "jeu"
    done = sdet_check("aaf", "generate", str(out), "--structures", "1", "--seed", "4",
                      "--defects", "AAF-XREF-004,AAF-VER-001", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "2 défaut(s) injecté(s)" in done.stderr
    done = sdet_check("aaf", "validate", str(out), "-j", "2", cwd=tmp_path)
    assert done.returncode == 1
    assert "AAF-XREF-004" in done.stdout and "AAF-VER-001" in done.stdout
    again = sdet_check("aaf", "generate", str(out), cwd=tmp_path)
    assert again.returncode == 3 and "dossier non vide" in again.stderr
    wrong = sdet_check("aaf", "generate", str(tmp_path / "x"), "--defects", "AAF-FOO-001",
                       cwd=tmp_path)  # fmt: skip
    assert wrong.returncode == 3 and "AAF-FOO-001" in wrong.stderr
