"""The auditor's guided review: answers file, terminal session (pseudo-terminal), report re-scored.

The run reviewed is a real run of sdet/6.4 with the example declarations, restricted to
requirements decided by people, so that no probe touches the network.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pexpect  # type: ignore[import-untyped]
import pytest
import yaml

from sdet_check.api import RunRequest, evaluate
from sdet_check.declarations import load_reviews
from sdet_check.review import (
    ReviewBook,
    apply_reviews_file,
    read_answers,
    record_answers,
    review_items,
)
from sdet_check.run import dump_run, load_run
from sdet_check.selection import Selection

from .test_cli import sdet_check

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

MANUAL = ("LEG-DEL-002", "LEG-INFO-002", "LEG-DATA-001", "LEG-RGPD-001", "LEG-REG-001")
"""Requirements of sdet/6.4 decided by people (reviews and declarations), in the grid's order."""


def _target(folder: Path) -> Path:
    target = folder / "cible.yaml"
    target.write_text(
        'format: 1\nname: "ENT en revue"\nportal:\n  url: https://ent.exemple.invalid/\n',
        encoding="utf-8",
    )
    return target


def _run_request(folder: Path, reviews: Path | None = None) -> RunRequest:
    return RunRequest(
        target=_target(folder),
        grid="sdet/6.4",
        declarations=EXAMPLES / "declarations.yaml",
        reviews=reviews,
        selection=Selection(only=MANUAL),
    )


@pytest.fixture
def run_file(tmp_path: Path) -> Path:
    """run.json of a real run with declarations: the five requirements are ``manual``."""
    record = evaluate(_run_request(tmp_path))
    assert [e["requirement"] for e in record["results"] if e["status"] == "manual"] == list(MANUAL)
    path = tmp_path / "run" / "run.json"
    path.parent.mkdir()
    path.write_text(dump_run(record), encoding="utf-8")
    return path


@pytest.fixture
def proof(tmp_path: Path) -> Path:
    path = tmp_path / "preuves" / "pv-audit.txt"
    path.parent.mkdir()
    path.write_text("Procès-verbal de l'audit sur place.\n", encoding="utf-8")
    return path


def _answers(tmp_path: Path, answers: list[dict[str, Any]], **top: Any) -> Path:
    path = tmp_path / "reponses.yaml"
    data = {"format": 1, "author": "Alice Auditrice", "date": "2026-10-02", **top}
    data["answers"] = answers
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


ALL_ANSWERS: list[dict[str, Any]] = [
    {"requirement": "LEG-DEL-002", "verdict": "NC", "justification": "Durées absentes."},
    {"requirement": "LEG-INFO-002", "verdict": "pass", "justification": "Notice lue."},
    {"requirement": "LEG-DATA-001", "verdict": "na", "justification": "Sans objet ici."},
    {
        "requirement": "LEG-RGPD-001",
        "verdict": "conforme",
        "justification": "AIPD examinée.",
        "proofs": ["preuves/pv-audit.txt"],
    },
    {
        "requirement": "LEG-REG-001",
        "verdict": "C",
        "justification": "Registre vu.",
        "proofs": [{"path": "preuves/pv-audit.txt", "title": "Procès-verbal"}],
    },
]


# --- non-interactive path -----------------------------------------------------------------------


def test_answers_file_gives_reviews_file_and_report_rescores(
    tmp_path: Path, run_file: Path, proof: Path
) -> None:
    answers = _answers(tmp_path, ALL_ANSWERS, auditor="Cabinet Exemple")
    done = sdet_check("review", str(run_file), "--answers", str(answers), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    reviews_file = run_file.parent / "revues.yaml"
    assert "5 réponse(s) enregistrée(s)" in done.stderr
    assert f"sdet-check report {run_file} --reviews {reviews_file}" in done.stderr

    # The file is the reviews format `run --reviews` takes, proofs pinned and found.
    reviews, _ = load_reviews(reviews_file, MANUAL)
    assert {r.requirement: r.status for r in reviews} == {
        "LEG-DEL-002": "fail",
        "LEG-INFO-002": "pass",
        "LEG-DATA-001": "not_applicable",
        "LEG-RGPD-001": "pass",
        "LEG-REG-001": "pass",
    }
    assert {r.author for r in reviews} == {"Alice Auditrice"}
    assert {r.date for r in reviews} == {"2026-10-02"}
    documents = {r.requirement: r.documents for r in reviews if r.documents}
    assert [d.check for ds in documents.values() for d in ds] == ["ok", "ok"]
    assert documents["LEG-REG-001"][0].title == "Procès-verbal"
    assert yaml.safe_load(reviews_file.read_text(encoding="utf-8"))["auditor"] == "Cabinet Exemple"

    # report --reviews: statuses changed from manual, score recomputed, original run kept.
    before = run_file.read_bytes()
    out = tmp_path / "rescored"
    done = sdet_check(
        "report", str(run_file), "--reviews", str(reviews_file), "-f", "json", "-f", "terminal",
        "--out", str(out), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode in (1, 2), done.stderr
    assert "5 exigence(s) décidée(s)" in done.stderr
    assert run_file.read_bytes() == before
    rescored = load_run(out / "run.json")
    statuses = {e["requirement"]: e["status"] for e in rescored["results"]}
    assert [statuses[r] for r in MANUAL] == ["fail", "pass", "not_applicable", "pass", "pass"]
    counts = rescored["score"]["overall"]["must"]["counts"]
    assert (counts["manual"], counts["pass"], counts["fail"], counts["not_applicable"]) == (
        0, 3, 1, 1,
    )  # fmt: skip
    assert rescored["score"]["overall"]["verdict"] == "non_conforme"  # LEG-DEL-002 is a MUST
    assert rescored["inputs"]["reviews"]["path"] == str(reviews_file)


def test_report_with_reviews_equals_a_run_with_reviews(
    tmp_path: Path, run_file: Path, proof: Path
) -> None:
    """Re-scoring a stored run gives what ``run --reviews`` would have given."""
    book = ReviewBook.open(run_file.parent / "revues.yaml", MANUAL)
    record_answers(book, read_answers(_answers(tmp_path, ALL_ANSWERS)), load_run(run_file))
    rescored = apply_reviews_file(load_run(run_file), book.file)
    direct = evaluate(_run_request(tmp_path, reviews=book.file))
    assert rescored.applied == MANUAL and rescored.ignored == ()
    assert [(e["requirement"], e["status"], e["waived"]) for e in rescored.record["results"]] == [
        (e["requirement"], e["status"], e["waived"]) for e in direct["results"]
    ]
    assert rescored.record["score"] == direct["score"]
    assert [r["requirement"] for r in rescored.record["reviews"]] == [
        r["requirement"] for r in direct["reviews"]
    ]


def test_partial_answers_exit_2_and_say_how_to_resume(tmp_path: Path, run_file: Path) -> None:
    answers = _answers(tmp_path, ALL_ANSWERS[:2])
    done = sdet_check(
        "--lang", "en", "review", str(run_file), "--answers", str(answers), cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr
    assert "2 answer(s) saved" in done.stderr and "3 requirement(s) left" in done.stderr
    assert f"To resume: sdet-check --lang en review {run_file}" in done.stderr
    # The same answers again (a script re-run) give the same file.
    first = (run_file.parent / "revues.yaml").read_text(encoding="utf-8")
    sdet_check("review", str(run_file), "--answers", str(answers), cwd=tmp_path)
    assert (run_file.parent / "revues.yaml").read_text(encoding="utf-8") == first


def test_items_carry_guidance_declaration_and_related_results(run_file: Path) -> None:
    from sdet_check.review import bundled_grid

    record = load_run(run_file)
    items = {i.requirement: i for i in review_items(record, "en", bundled_grid(record))}
    assert list(items) == list(MANUAL)
    assert items["LEG-DEL-002"].guidance  # from the installed grid, same content hash
    assert items["LEG-REG-001"].proofs_expected
    declared = items["LEG-REG-001"].declaration
    assert declared is not None and declared.author == "Jeanne Martin, DPO"
    assert declared.status == "compliant"  # declared « conforme », shown in English
    assert declared.documents == (("Registre des traitements", "verified"),)
    assert items["LEG-REG-001"].related  # the other rgpd / juridique results
    assert all(r.requirement != "LEG-REG-001" for r in items["LEG-REG-001"].related)
    assert items["LEG-DEL-002"].method == "auditor's review"


# --- bad input: exit 3, file, place and fix -----------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            {"requirement": "LEG-XYZ-999", "verdict": "C", "justification": "x"},
            ["reponses.yaml", "ligne 5", "LEG-XYZ-999", "n'existe pas", "grid show sdet/6.4"],
        ),
        (
            {"requirement": "SEC-TLS-001", "verdict": "C", "justification": "x"},
            ["reponses.yaml", "décidée par une sonde", "réserve"],
        ),
        (
            {
                "requirement": "LEG-REG-001",
                "verdict": "C",
                "justification": "x",
                "proofs": ["preuves/absent.pdf"],
            },
            ["reponses.yaml", "answers[0].proofs[0]", "introuvable", "absent.pdf", "corriger"],
        ),
        (
            {"requirement": "LEG-REG-001", "verdict": "peut-être", "justification": "x"},
            ["answers[0].verdict", "peut-être", "pass, fail ou not_applicable"],
        ),
        (
            {"requirement": "LEG-REG-001", "verdict": "C", "justification": "  "},
            ["answers[0].justification", "texte non vide"],
        ),
    ],
)
def test_bad_answers_are_refused_with_place_and_fix(
    tmp_path: Path, run_file: Path, answer: dict[str, Any], expected: list[str]
) -> None:
    answers = _answers(tmp_path, [answer])
    done = sdet_check("review", str(run_file), "--answers", str(answers), cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    message = " ".join(done.stderr.split())
    for piece in expected:
        assert piece in message, message
    assert "À faire" in message and "Traceback" not in done.stderr
    assert not (run_file.parent / "revues.yaml").exists()  # nothing half-written


def test_bad_answers_in_english(tmp_path: Path, run_file: Path) -> None:
    answers = _answers(
        tmp_path, [{"requirement": "LEG-XYZ-999", "verdict": "C", "justification": "x"}]
    )
    done = sdet_check(
        "--lang", "en", "review", str(run_file), "--answers", str(answers), cwd=tmp_path
    )
    assert done.returncode == 3
    message = " ".join(done.stderr.split())
    assert "(line 5, key answers[0].requirement): requirement 'LEG-XYZ-999'" in message
    assert "To do: fix the id" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"format": 1, "reviews": []}', "pas un enregistrement de run sdet-check valide"),
        ("format: 1\nanswers: []\n", "JSON illisible"),
    ],
)
def test_a_file_that_is_not_a_run_is_refused(tmp_path: Path, content: str, expected: str) -> None:
    fake = tmp_path / "pas-un-run.json"
    fake.write_text(content, encoding="utf-8")
    done = sdet_check("review", str(fake), cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    message = " ".join(done.stderr.split())
    assert "pas-un-run.json" in message and expected in message
    assert "À faire : donner le" in message and "run.json" in message


def test_reviews_file_never_replaces_the_run(tmp_path: Path, run_file: Path) -> None:
    before = run_file.read_bytes()
    done = sdet_check("review", str(run_file), "--out", str(run_file), cwd=tmp_path)
    assert done.returncode == 3
    assert "ne peut pas être le run lui-même" in done.stderr
    assert run_file.read_bytes() == before


def test_report_refuses_reviews_on_a_probe_requirement(tmp_path: Path, run_file: Path) -> None:
    reviews = tmp_path / "revues.yaml"
    reviews.write_text(
        "format: 1\nreviews:\n  - {requirement: SEC-TLS-001, status: pass, comment: vu, "
        "author: A, date: 2026-10-02}\n",
        encoding="utf-8",
    )
    done = sdet_check("report", str(run_file), "--reviews", str(reviews), cwd=tmp_path)
    assert done.returncode == 3
    assert "décidée par une sonde" in done.stderr and "revues.yaml" in done.stderr


# --- interactive path through a pseudo-terminal --------------------------------------------------


def _spawn(run_file: Path, *args: str) -> pexpect.spawn:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "NO_COLOR": "1",
        "TERM": "dumb",
        "COLUMNS": "160",
        "LINES": "50",
        "HOME": os.environ.get("HOME", "/tmp"),
    }
    return pexpect.spawn(
        sys.executable,
        ["-m", "sdet_check", *args, "review", str(run_file)],
        cwd=str(run_file.parent),
        env=env,
        encoding="utf-8",
        timeout=90,  # the machine is shared: starting Python may take a while
        dimensions=(50, 160),
    )


def _answer(child: pexpect.spawn, verdict: str, justification: str, proofs: list[str]) -> None:
    child.expect("Verdict")
    child.sendline(verdict)
    child.expect("Justification")
    child.sendline(justification)
    for proof in [*proofs, ""]:
        child.expect("Fichier de preuve|Proof file")
        child.sendline(proof)
        if proof:
            child.expect("Intitulé|Title")
            child.sendline("")


def _finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None, child.signalstatus
    return int(child.exitstatus)


def test_terminal_review_interrupted_then_resumed(
    tmp_path: Path, run_file: Path, proof: Path
) -> None:
    reviews_file = run_file.parent / "revues.yaml"

    # 1. Two answers, with a wrong verdict, an empty justification and a missing proof
    #    on the way; Ctrl-C on the third item.
    child = _spawn(run_file)
    child.expect("Nom de l'auditeur")
    child.sendline("Alice Auditrice")
    child.expect("LEG-DEL-002")
    child.expect("Conseils d'examen")  # guidance from the grid
    _answer(child, "C", "Durées de conservation documentées.", [str(proof)])
    child.expect("Revue de LEG-DEL-002 enregistrée \\(1/5\\)")
    child.expect("Verdict")
    child.sendline("peut-être")
    child.expect("non comprise")
    child.sendline("NC")
    child.expect("Justification")
    child.sendline("")
    child.expect("ne peut pas être vide")
    child.expect("Justification")
    child.sendline("Notice incomplète.")
    child.expect("Fichier de preuve")
    child.sendline(str(tmp_path / "absent.pdf"))
    child.expect("Fichier introuvable")
    child.expect("Fichier de preuve")
    child.sendline("")
    child.expect("enregistrée \\(2/5\\)")
    child.expect("LEG-DATA-001")
    child.expect("Verdict")
    child.sendintr()
    child.expect("Revue arrêtée : 2 revue\\(s\\)")
    child.expect("Pour reprendre : sdet-check review")
    assert _finish(child) == 130
    saved, _ = load_reviews(reviews_file, MANUAL)
    assert [(r.requirement, r.status) for r in saved] == [
        ("LEG-DEL-002", "pass"),
        ("LEG-INFO-002", "fail"),
    ]
    assert saved[0].documents[0].check == "ok" and saved[0].author == "Alice Auditrice"

    # 2. Resumed: answered items are skipped, the name is offered again; one item skipped,
    #    one answered, then the input ends (EOF).
    child = _spawn(run_file)
    child.expect("3 exigence\\(s\\) à examiner sur 5")
    child.expect("Alice Auditrice")  # the default name
    child.sendline("")
    child.expect("LEG-DATA-001")
    child.expect("Verdict")
    child.sendline("S")
    child.expect("LEG-DATA-001 passée")
    _answer(child, "NA", "Aucune donnée de ce type.", [])
    child.expect("enregistrée \\(3/5\\)")
    child.expect("LEG-REG-001")
    child.expect("Verdict")
    child.sendeof()
    child.expect("2 exigence\\(s\\) restent à examiner")
    assert _finish(child) == 2
    saved, _ = load_reviews(reviews_file, MANUAL)
    assert [r.requirement for r in saved] == ["LEG-DEL-002", "LEG-INFO-002", "LEG-RGPD-001"]

    # 3. Finished in English: the skipped item comes back; the file is complete.
    child = _spawn(run_file, "--lang", "en")
    child.expect("2 requirement\\(s\\) to review out of 5")
    child.expect("Auditor's name")
    child.sendline("Bob Auditor")
    child.expect("LEG-DATA-001")
    _answer(child, "pass", "Checked.", [])
    child.expect("LEG-REG-001")
    child.expect("Editor's declaration")
    _answer(child, "fail", "The record is out of date.", [str(proof)])
    child.expect("Review finished: 5 review\\(s\\)")
    child.expect("sdet-check --lang en report")
    assert _finish(child) == 0
    saved, _ = load_reviews(reviews_file, MANUAL)
    assert {r.requirement: (r.status, r.author) for r in saved} == {
        "LEG-DEL-002": ("pass", "Alice Auditrice"),
        "LEG-INFO-002": ("fail", "Alice Auditrice"),
        "LEG-RGPD-001": ("not_applicable", "Alice Auditrice"),
        "LEG-DATA-001": ("pass", "Bob Auditor"),
        "LEG-REG-001": ("fail", "Bob Auditor"),
    }
    rescored = apply_reviews_file(load_run(run_file), reviews_file).record
    assert not [e for e in rescored["results"] if e["status"] == "manual"]
    assert json.loads(json.dumps(rescored)) == rescored


def test_terminal_review_with_nothing_left(tmp_path: Path, run_file: Path, proof: Path) -> None:
    sdet_check(
        "review", str(run_file), "--answers", str(_answers(tmp_path, ALL_ANSWERS)), cwd=tmp_path
    )
    child = _spawn(run_file)
    child.expect("0 exigence\\(s\\) à examiner sur 5")
    child.expect("Revue terminée : 5 revue\\(s\\)")
    assert _finish(child) == 0


# --- the shipped example and the demo's hint ------------------------------------------------------


def test_example_answers_review_the_example_run(tmp_path: Path, run_file: Path) -> None:
    from sdet_check.api import open_grid
    from sdet_check.grid import Method

    grid = open_grid("sdet/6.4")
    read = read_answers(EXAMPLES / "reponses-revue.yaml")
    assert all(
        grid.requirement(a.requirement).verification.method is not Method.PROBE
        for a in read.answers
    )
    done = sdet_check(
        "review", str(run_file), "--answers", str(EXAMPLES / "reponses-revue.yaml"), cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr  # LEG-DATA-001 is left
    reviews, _ = load_reviews(run_file.parent / "revues.yaml", MANUAL)
    assert [r.requirement for r in reviews] == [a.requirement for a in read.answers]
    assert [d.check for r in reviews for d in r.documents] == ["ok", "ok"]


def test_demo_hint_names_the_review_command(run_file: Path) -> None:
    from sdet_check.review import next_review_hint

    record = load_run(run_file)
    hint = next_review_hint(record, run_file, "en")
    assert hint == (
        "5 requirement(s) wait for a declaration or a review: to review them, "
        f"sdet-check --lang en review {run_file}"
    )
    decided = apply_reviews_file(record, _reviews_for_all(run_file)).record
    assert next_review_hint(decided, run_file) is None


def _reviews_for_all(run_file: Path) -> Path:
    path = run_file.parent / "toutes.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "format": 1,
                "reviews": [
                    {"requirement": r, "status": "pass", "comment": "vu", "author": "A",
                     "date": "2026-10-02"}
                    for r in MANUAL
                ],
            }
        ),
        encoding="utf-8",
    )  # fmt: skip
    return path


def test_report_with_reviews_never_overwrites_the_run(tmp_path: Path, run_file: Path) -> None:
    before = run_file.read_bytes()
    done = sdet_check(
        "report", str(run_file), "--reviews", str(_reviews_for_all(run_file)), "-f", "json",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr  # the requirements left out stay not tested
    assert "n'est pas écrit par-dessus" in done.stderr and "--out" in done.stderr
    assert run_file.read_bytes() == before


_FRENCH = re.compile(r"[éèêàùçôîûÉÈÀ«»]|\b(les|des|du|une|est|preuves)\b")


def test_reviews_file_header_in_the_language_of_the_review(tmp_path: Path, run_file: Path) -> None:
    """--lang en writes an English header; French writes the header it always wrote."""
    answers = _answers(tmp_path, ALL_ANSWERS[:2])
    done = sdet_check(
        "--lang", "en", "review", str(run_file), "--answers", str(answers), cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr
    written = (run_file.parent / "revues.yaml").read_text(encoding="utf-8")
    header = written.splitlines()[0]
    assert header == (
        "# The auditor's reviews written by `sdet-check review`; the proofs are pinned by sha256."
    )
    assert _FRENCH.findall(done.stderr) == [] and _FRENCH.findall(header) == []
    (run_file.parent / "revues.yaml").unlink()
    done = sdet_check("review", str(run_file), "--answers", str(answers), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert (run_file.parent / "revues.yaml").read_text(encoding="utf-8").splitlines()[0] == (
        "# Revues de l'auditeur écrites par `sdet-check review` ; les preuves sont épinglées "
        "par sha256."
    )


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "écrire « - preuves/rapport.pdf » ou « - {path: …, title: …} »"),
        ("en", "write '- proofs/report.pdf' or '- {path: …, title: …}'"),
    ],
)
def test_a_bad_proof_entry_is_refused_not_a_crash(
    tmp_path: Path, run_file: Path, lang: str, expected: str
) -> None:
    """The fix quotes braces: it once made the message itself fail (exit 4)."""
    answer = {"requirement": "LEG-REG-001", "verdict": "C", "justification": "x", "proofs": [3]}
    answers = _answers(tmp_path, [answer])
    done = sdet_check(
        "--lang", lang, "review", str(run_file), "--answers", str(answers), cwd=tmp_path
    )
    assert done.returncode == 3, done.stderr
    assert expected in " ".join(done.stderr.split())
