"""The run record, its schema, re-scoring, and every reporter (no secret in any output)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from lxml import etree

from sdet_check.api import RunRequest, evaluate
from sdet_check.errors import InputError
from sdet_check.registry import ProbeRegistry
from sdet_check.reporters import REPORTERS, reporter_for
from sdet_check.run import load_run, rescore, validate_run
from sdet_check.yamlfile import schema

from ..documents import pdf_bytes_text, pdf_streams
from .conftest import CANARY, DEMO_GRID


@pytest.fixture
def record(
    tmp_path: Path, registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> dict[str, Any]:
    declarations = tmp_path / "declarations.yaml"
    proof = tmp_path / "registre.pdf"
    proof.write_bytes(b"%PDF-1.4 registre")
    import hashlib

    digest = hashlib.sha256(proof.read_bytes()).hexdigest()
    declarations.write_text(
        "format: 1\ndeclarations:\n"
        "  - requirement: J-DECL-001\n    status: conforme\n    statement: Registre tenu.\n"
        "    author: DPO\n    date: 2026-09-01\n"
        f"    documents: [{{title: Registre, path: registre.pdf, sha256: {digest}}}]\n"
    )
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "format: 1\nwaivers:\n"
        "  - {requirement: T-SECRET-001, justification: Correctif prévu, author: RSSI,"
        " expires: 2999-12-31}\n"
        "  - {requirement: T-FAIL-001, justification: Ancien, author: RSSI, expires: 2020-01-01}\n"
    )
    request = RunRequest(
        target=target_file, grid=str(DEMO_GRID), declarations=declarations, waivers=waivers
    )
    return evaluate(request, registry=registry, environ=environ)


def test_run_record_validates_and_rescoring_matches(record: dict[str, Any]) -> None:
    validate_run(record)
    assert rescore(record).to_json() == record["score"]
    results = {r["requirement"]: r for r in record["results"]}
    assert results["T-SECRET-001"]["waived"] is True
    assert results["T-SECRET-001"]["waiver_state"] == "valid"
    assert results["T-FAIL-001"]["waiver_state"] == "expired"
    assert results["T-FAIL-001"]["waived"] is False
    assert results["J-DECL-001"]["declared"] == "conforme"
    assert "Déclaré conforme" in results["J-DECL-001"]["message"]
    assert record["declarations"][0]["documents"][0]["check"] == "ok"
    assert record["score"]["overall"]["verdict"] == "evaluation_incomplete"
    technique = record["score"]["axes"][0]
    assert technique["must"]["waived"] == 1
    manifest = record["evidence_manifest"]
    assert len(manifest) == sum(len(r["evidence"]) for r in record["results"])
    assert record["inputs"]["declarations"]["sha256"]


def test_canary_secret_reaches_no_output(record: dict[str, Any]) -> None:
    assert record["privacy"]["secrets_masked"] >= 3
    for name in REPORTERS:
        for lang in ("fr", "en"):
            rendered = reporter_for(name).render(record, lang)
            # A PDF draws glyphs and compresses its attached run JSON: search the text a
            # reader sees and every inflated stream.
            output = (
                pdf_bytes_text(rendered) + pdf_streams(rendered).decode("latin-1")
                if name == "pdf"
                else rendered.decode("utf-8")
            )
            assert CANARY not in output, f"{name} leaks the secret"
    results = {r["requirement"]: r for r in record["results"]}
    assert "***" in results["T-SECRET-001"]["message"]


def test_junit_parses_and_distinguishes_failures_errors_skips(record: dict[str, Any]) -> None:
    xml = etree.fromstring(reporter_for("junit").render(record))
    assert xml.tag == "testsuites"
    assert int(xml.get("tests")) == len(record["results"])
    assert int(xml.get("failures")) == 1  # T-FAIL-001 (its waiver expired)
    assert int(xml.get("errors")) == 0
    cases = {c.get("name").split("]")[1][1:]: c for c in xml.iter("testcase")}
    assert cases["T-FAIL-001"].find("failure") is not None
    assert cases["T-SECRET-001"].find("skipped") is not None  # waived failure
    assert "réserve" in cases["T-SECRET-001"].find("skipped").get("message")
    assert cases["J-DECL-001"].find("skipped") is not None
    props = {p.get("name"): p.get("value") for p in xml.iter("property")}
    assert props["grid"] == "demo/1.0"


def test_csv_has_one_row_per_requirement(record: dict[str, Any]) -> None:
    text = reporter_for("csv").render(record).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][0] == "identifiant"
    assert len(table) == 1 + len(record["results"])
    codes = {row[0]: row[4] for row in table[1:]}
    assert codes["T-SECRET-001"] == "NC*"
    assert codes["J-1D-001"] == "NA"


def test_terminal_summary_names_the_verdict_and_failures(record: dict[str, Any]) -> None:
    text = reporter_for("terminal").render(record).decode()
    assert "évaluation incomplète" in text
    assert "T-FAIL-001" in text and "réserve expirée" in text
    english = reporter_for("terminal").render(record, "en").decode()
    assert "incomplete evaluation" in english


def test_json_round_trip(tmp_path: Path, record: dict[str, Any]) -> None:
    path = tmp_path / "run.json"
    path.write_bytes(reporter_for("json").render(record))
    assert load_run(path) == record


def test_broken_run_file_is_refused(tmp_path: Path, record: dict[str, Any]) -> None:
    broken = dict(record)
    del broken["results"]
    path = tmp_path / "run.json"
    path.write_text(json.dumps(broken))
    with pytest.raises(InputError) as caught:
        load_run(path)
    assert "results" in str(caught.value)
    path.write_text("{not json")
    with pytest.raises(InputError):
        load_run(path)


def test_run_schema_is_a_valid_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(schema("run"))
    for name in ("grid-manifest", "grid-axis", "target", "declarations", "waivers"):
        jsonschema.Draft202012Validator.check_schema(schema(name))


def test_declaration_about_unknown_requirement(
    tmp_path: Path, registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> None:
    declarations = tmp_path / "d.yaml"
    declarations.write_text(
        "format: 1\ndeclarations:\n  - {requirement: NOPE-X-001, status: conforme,"
        " statement: s, author: a, date: 2026-01-01}\n"
    )
    request = RunRequest(target=target_file, grid=str(DEMO_GRID), declarations=declarations)
    with pytest.raises(InputError) as caught:
        evaluate(request, registry=registry, environ=environ)
    assert "NOPE-X-001" in caught.value.problem and caught.value.place.line == 3


def test_proof_document_mismatch_is_recorded(
    tmp_path: Path, registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> None:
    (tmp_path / "p.pdf").write_bytes(b"changed")
    declarations = tmp_path / "d.yaml"
    declarations.write_text(
        "format: 1\ndeclarations:\n  - {requirement: J-DECL-001, status: conforme,"
        " statement: s, author: a, date: 2026-01-01, documents: [{title: p, path: p.pdf,"
        f" sha256: '{'0' * 64}'}}]}}\n"
    )
    request = RunRequest(target=target_file, grid=str(DEMO_GRID), declarations=declarations)
    record = evaluate(request, registry=registry, environ=environ)
    assert record["declarations"][0]["documents"][0]["check"] == "mismatch"


def test_expired_before_granted_waiver_is_refused(
    tmp_path: Path, registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> None:
    waivers = tmp_path / "w.yaml"
    waivers.write_text(
        "format: 1\nwaivers:\n  - {requirement: T-FAIL-001, justification: j, author: a,"
        " granted: 2026-05-01, expires: 2026-01-01}\n"
    )
    request = RunRequest(target=target_file, grid=str(DEMO_GRID), waivers=waivers)
    with pytest.raises(InputError) as caught:
        evaluate(request, registry=registry, environ=environ)
    assert "granted" in caught.value.fix


def test_auditor_review_decides_a_manual_requirement(
    tmp_path: Path, registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> None:
    reviews = tmp_path / "revues.yaml"
    reviews.write_text(
        "format: 1\nauditor: Cabinet Audit\nreviews:\n"
        "  - {requirement: J-DECL-001, status: pass, comment: Registre examiné et à jour,"
        " author: A. Auditrice, date: 2026-10-02}\n"
    )
    record = evaluate(
        RunRequest(target=target_file, grid=str(DEMO_GRID), reviews=reviews),
        registry=registry,
        environ=environ,
    )
    validate_run(record)
    result = {r["requirement"]: r for r in record["results"]}["J-DECL-001"]
    assert result["status"] == "pass"
    assert "A. Auditrice" in result["message"]
    assert result["evidence"][-1]["kind"] == "review"
    assert record["inputs"]["reviews"]["sha256"]
    assert record["reviews"][0]["comment"] == "Registre examiné et à jour"


def test_review_of_a_probed_requirement_is_refused(
    tmp_path: Path, registry: ProbeRegistry, target_file: Path, environ: dict[str, str]
) -> None:
    reviews = tmp_path / "revues.yaml"
    reviews.write_text(
        "format: 1\nreviews:\n  - {requirement: T-FAIL-001, status: pass, comment: c,"
        " author: a, date: 2026-10-02}\n"
    )
    with pytest.raises(InputError) as caught:
        evaluate(
            RunRequest(target=target_file, grid=str(DEMO_GRID), reviews=reviews),
            registry=registry,
            environ=environ,
        )
    assert "sonde" in caught.value.problem and "réserve" in caught.value.fix
