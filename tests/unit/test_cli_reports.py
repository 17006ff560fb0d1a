"""The document commands as a user runs them: report html/pdf, compare, diff, grid diff."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from sdet_check.run import dump_run

from ..documents import need, pdf_streams, pdf_text
from ..records import all_pass, synthetic, with_results
from .test_cli import sdet_check


def save(record: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_run(record), encoding="utf-8")
    return path


@pytest.fixture
def demo_run(tmp_path: Path) -> Path:
    record = with_results(all_pass(synthetic("demo")), {"T-PASS-001": {"status": "fail"}})
    return save(record, tmp_path / "runs" / "run.json")


@pytest.mark.slow
def test_report_writes_signed_html_and_pdf(tmp_path: Path, demo_run: Path) -> None:
    out = tmp_path / "rapport"
    done = sdet_check(
        "report", str(demo_run), "--format", "html", "--format", "pdf", "--out", str(out),
        "--auditor", "Cabinet Exemple", "--valid-until", "2027-06-30", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # non conforme
    page = lxml_html.fromstring((out / "rapport.html").read_text(encoding="utf-8"))
    assert page.get_element_by_id("cover-auditor").text_content() == "Cabinet Exemple"
    # A non-conforming report gets no validity period, even when one is asked for.
    assert "--valid-until n'est pas repris" in " ".join(done.stderr.split())
    validity = page.get_element_by_id("cover-validity").text_content()
    assert "aucune" in validity and "30 juin 2027" not in validity
    first = pdf_text(out / "rapport.pdf", 1, 1)
    assert "NON CONFORME" in first and "Cabinet Exemple" in first
    assert "MUST décidées sur" in first


def test_report_in_english_html(tmp_path: Path, demo_run: Path) -> None:
    done = sdet_check("--lang", "en", "report", str(demo_run), "--format", "html", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    page = (demo_run.parent / "rapport.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "NOT COMPLIANT" in page


@pytest.mark.parametrize(
    ("value", "expected"),
    [("30/06/2027", "AAAA-MM-JJ"), ("2020-01-01", "finirait avant l'évaluation")],
)
def test_bad_validity_date_is_refused(
    tmp_path: Path, demo_run: Path, value: str, expected: str
) -> None:
    done = sdet_check(
        "report", str(demo_run), "--format", "html", "--valid-until", value, cwd=tmp_path
    )
    assert done.returncode == 3
    assert expected in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_run_writes_html_and_pdf_without_secrets(tmp_path: Path) -> None:
    canary = "canari-rapport-3e9d-jamais-affiche"
    target = tmp_path / "cible.yaml"
    target.write_text(
        "format: 1\nname: ENT éteint\ntimeouts: {network_s: 2, probe_s: 10}\n"
        "portal: {url: 'https://127.0.0.1:9/', http_url: 'http://127.0.0.1:9/'}\n"
        "accounts: [{profile: eleve, login: e1, password_env: CANARY_PW}]\n"
    )
    out = tmp_path / "out"
    done = sdet_check(
        "run", "--target", str(target), "--out", str(out), "--format", "html",
        "--format", "pdf", "--axis", "securite", cwd=tmp_path, env={"CANARY_PW": canary},
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    html = (out / "rapport.html").read_text(encoding="utf-8")
    assert "ENT éteint" in html and canary not in html
    assert canary not in pdf_text(out / "rapport.pdf")


def test_compare_ranks_writes_files_and_exits_0(tmp_path: Path) -> None:
    alpha = save(all_pass(synthetic("demo", name="ENT Alpha")), tmp_path / "a.json")
    beta = save(
        with_results(synthetic("demo", name="ENT Bêta"), {"T-PASS-001": {"status": "fail"}}),
        tmp_path / "b.json",
    )
    weights = tmp_path / "poids.yaml"
    weights.write_text("format: 1\ntags: {beta: 2}\n", encoding="utf-8")
    out = tmp_path / "comparaison"
    done = sdet_check(
        "compare", str(alpha), str(beta), "--weights", str(weights), "--out", str(out),
        "--format", "html", "--format", "csv", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "ENT Alpha" in done.stdout and "éliminée" in done.stdout
    rows = list(csv.reader(io.StringIO((out / "comparaison.csv").read_text("utf-8-sig"))))
    assert rows[0][-3:] == ["ENT Alpha", "ENT Bêta", "Diffère"]
    page = lxml_html.fromstring((out / "comparaison.html").read_text(encoding="utf-8"))
    first = page.xpath("//table[@id='table-ranking']/tbody/tr[1]/th")[0].text_content()
    assert first.startswith("ENT Alpha")


def test_compare_flags_a_partial_run_and_signs_the_visa(tmp_path: Path) -> None:
    full = all_pass(synthetic("demo", name="ENT Complet"))
    partial = with_results(
        all_pass(synthetic("demo", name="ENT Partiel")),
        {"T-FAIL-001": {"status": "not_tested", "message": "Non sélectionnée."}},
    )
    partial["selection"]["skip"] = ["T-FAIL-001"]
    a, b = save(full, tmp_path / "a.json"), save(partial, tmp_path / "b.json")
    out = tmp_path / "comparaison"
    done = sdet_check(
        "compare", str(b), str(a), "--out", str(out), "--visa", "Marie Acheteuse",
        cwd=tmp_path, env={"COLUMNS": "200"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if "ENT " in line]
    assert "ENT Complet" in lines[0] and "ENT Partiel" in lines[1]
    assert "2 partiel" in lines[1] and "partiel" not in lines[0]
    assert "partiels sont classés après" in done.stdout
    page = lxml_html.fromstring((out / "comparaison.html").read_text(encoding="utf-8"))
    assert "Marie Acheteuse" in page.get_element_by_id("compare-visa").text_content()


def test_compare_refuses_mixed_grid_versions_with_exit_3(tmp_path: Path) -> None:
    current = save(synthetic("sdet/6.4", seed=1), tmp_path / "a.json")
    older = save(synthetic("sdet/6.2", seed=2), tmp_path / "b.json")
    done = sdet_check("compare", str(current), str(older), "--out", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 3
    assert "b.json" in done.stderr and "sdet/6.2" in done.stderr
    assert "--allow-mixed-versions" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "comparaison.html").exists()
    allowed = sdet_check(
        "compare", str(current), str(older), "--allow-mixed-versions", "--format", "csv",
        "--out", str(tmp_path), cwd=tmp_path,
    )  # fmt: skip
    assert allowed.returncode == 0, allowed.stderr
    assert "absente" in (tmp_path / "comparaison.csv").read_text(encoding="utf-8-sig")


def test_compare_with_a_bad_weights_file_gives_exit_3(tmp_path: Path) -> None:
    run = save(all_pass(synthetic("demo")), tmp_path / "a.json")
    weights = tmp_path / "poids.yaml"
    weights.write_text("format: 1\nrequirements:\n  T-PASS-001: 4\n", encoding="utf-8")
    done = sdet_check("compare", str(run), "--weights", str(weights), cwd=tmp_path)
    assert done.returncode == 3
    assert "poids.yaml (ligne 3" in done.stderr and "MUST" in done.stderr


def test_diff_reports_regressions_with_exit_1_and_writes_html(tmp_path: Path) -> None:
    base = all_pass(synthetic("demo"))
    old = save(base, tmp_path / "2025" / "run.json")
    new = save(
        with_results(base, {"T-PASS-001": {"status": "fail"}}), tmp_path / "2026" / "run.json"
    )
    done = sdet_check("diff", str(old), str(new), "--format", "html", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Régressions (1)" in done.stdout and "T-PASS-001" in done.stdout
    page = (tmp_path / "2026" / "suivi.html").read_text(encoding="utf-8")
    assert "T-PASS-001" in page
    same = sdet_check("diff", str(old), str(old), cwd=tmp_path)
    assert same.returncode == 0 and "Aucun changement" in same.stdout


def test_grid_diff_html_to_stdout_and_to_a_folder(tmp_path: Path) -> None:
    done = sdet_check("grid", "diff", "sdet/6.2", "sdet/6.4", "--format", "html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    page = lxml_html.fromstring(done.stdout)
    assert page.get("lang") == "fr"
    relevelled = page.get_element_by_id("table-relevelled").text_content()
    assert "INT-IMPEX-001" in relevelled and "SHOULD" in relevelled and "MUST" in relevelled
    written = sdet_check(
        "grid", "diff", "sdet/6.2", "sdet/6.4", "--format", "html", "--out", "out", cwd=tmp_path
    )
    assert written.returncode == 0
    assert (tmp_path / "out" / "evolution-grille.html").is_file()


def _pdf_fields(path: Path) -> dict[str, str]:
    info = subprocess.run(
        [need("pdfinfo"), str(path)], capture_output=True, text=True, check=True
    ).stdout
    pairs = (line.split(":", 1) for line in info.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


@pytest.mark.slow
def test_diff_and_grid_diff_write_tagged_pdfs(tmp_path: Path) -> None:
    base = all_pass(synthetic("demo"))
    old = save(base, tmp_path / "2025" / "run.json")
    new = save(
        with_results(base, {"T-PASS-001": {"status": "fail"}}), tmp_path / "2026" / "run.json"
    )
    done = sdet_check("diff", str(old), str(new), "--format", "pdf", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    followup = tmp_path / "2026" / "suivi.pdf"
    text = pdf_text(followup)
    assert "Audit de suivi" in text and "T-PASS-001" in text and "Régressions (1)" in text
    fields = _pdf_fields(followup)
    assert fields["Tagged"] == "yes" and fields["Author"].startswith("sdet-check")
    listing = subprocess.run(
        [need("pdfdetach"), "-list", str(followup)], capture_output=True, text=True, check=True
    ).stdout
    assert "run-precedent.json" in listing and "run-nouveau.json" in listing
    assert b"/AFRelationship /Source" in pdf_streams(followup.read_bytes())

    grid = sdet_check(
        "--lang", "en", "grid", "diff", "sdet/6.2", "sdet/6.4", "--format", "pdf",
        "--out", "out", cwd=tmp_path,
    )  # fmt: skip
    assert grid.returncode == 0, grid.stderr
    changes = tmp_path / "out" / "evolution-grille.pdf"
    text = pdf_text(changes)
    assert "Grid changes sdet/6.2 → sdet/6.4" in text and "INT-IMPEX-001" in text
    assert "run sha256" not in text  # no run, so no run hash in the running footer
    fields = _pdf_fields(changes)
    assert fields["Tagged"] == "yes" and fields["Subject"].startswith("SDET grid changes")
