"""A synthetic run of a whole grid: every requirement decided, with evidence.

Benchmarks and report tests need a run with the size and the variety of a real
certification run (every status, waivers valid and expired, declarations whose proof
documents check, do not match or are missing, auditor reviews, HTTP exchanges with headers
and bodies) without a live target. The record goes through :func:`sdet_check.run.build_run`,
so it is exactly what ``sdet-check run`` would write.
"""

from __future__ import annotations

import hashlib
import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sdet_check.declarations import (
    Declaration,
    InputFile,
    ProofDocument,
    Review,
    Waiver,
    apply_reviews,
)
from sdet_check.grid import Grid, Method, Requirement
from sdet_check.probe import ErrorReason, Evidence, Status
from sdet_check.results import RequirementResult
from sdet_check.run import RunInputs, build_run
from sdet_check.runner import RunLimits
from sdet_check.selection import Selection
from sdet_check.target import load_target

SYNTHETIC_START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
"""Start of a synthetic run unless told otherwise (waiver validity depends on it)."""

_BODY = (
    '<!DOCTYPE html>\n<html lang="fr">\n<head><meta charset="utf-8">'
    "<title>Accueil — ENT</title></head>\n<body>\n<main>\n<h1>Bienvenue sur votre ENT</h1>\n"
    + "<p>Élèves, parents, enseignants : connectez-vous pour retrouver le cahier de textes, "
    "la messagerie et la vie scolaire.</p>\n" * 12 + "</main>\n</body>\n</html>\n"
)


def synthetic_run(
    grid: Grid,
    *,
    seed: int = 0,
    name: str = "ENT synthétique",
    pass_share: float = 0.8,
    undecided_share: float = 0.1,
    waiver_share: float = 0.5,
    evidence_per_requirement: int = 3,
    started: datetime = SYNTHETIC_START,
) -> dict[str, Any]:
    """Return a run record of ``grid`` where every requirement got a plausible result.

    ``seed`` makes the run reproducible and lets two calls stand for two solutions;
    ``pass_share`` is the share of requirements that pass (by probe or review),
    ``undecided_share`` the share of reviewed requirements still waiting for the auditor,
    ``waiver_share`` the share of failures covered by a waiver (a third of them expired).
    """
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="sdet-synthetique-") as folder:
        target_file = Path(folder) / "cible-synthetique.yaml"
        target_file.write_text(
            f"format: 1\nname: {_yaml_text(name)}\neditor: Éditeur synthétique {seed}\n"
            f"solution_version: '{1 + seed}.0'\n"
            f"portal:\n  url: https://ent-{seed}.exemple.invalid/\n",
            encoding="utf-8",
        )
        target = load_target(target_file, environ={})
        results: list[RequirementResult] = []
        declarations: list[Declaration] = []
        reviews: list[Review] = []
        waivers: list[Waiver] = []
        for index, requirement in enumerate(grid.requirements):
            result, declaration, review = _decide(
                requirement,
                index,
                rng,
                (pass_share, undecided_share),
                evidence_per_requirement,
                started,
            )
            results.append(result)
            declarations.extend([declaration] if declaration else [])
            reviews.extend([review] if review else [])
        decided = apply_reviews(results, reviews)
        waivers.extend(
            _waiver(result.requirement_id, rng, started)
            for result in decided
            if result.status is Status.FAIL and rng.random() < waiver_share
        )
        inputs = RunInputs(
            selection=Selection(),
            limits=RunLimits(),
            declarations=declarations,
            declarations_file=_input_file("declarations.yaml", seed),
            waivers=waivers,
            waivers_file=_input_file("reserves.yaml", seed),
            reviews=reviews,
            reviews_file=_input_file("revues.yaml", seed),
        )
        finished = started + timedelta(seconds=len(grid.requirements) * 0.4)
        return build_run(grid, target, decided, inputs, started, finished)


def _decide(
    requirement: Requirement,
    index: int,
    rng: random.Random,
    shares: tuple[float, float],
    evidence_count: int,
    started: datetime,
) -> tuple[RequirementResult, Declaration | None, Review | None]:
    at = (started + timedelta(seconds=index * 0.4)).isoformat(timespec="milliseconds")
    method = requirement.verification.method
    if method is Method.PROBE:
        status = _probe_status(rng, shares[0])
        evidence = tuple(_evidence(requirement, rng, n) for n in range(evidence_count))
        return (
            RequirementResult(
                requirement_id=requirement.id,
                status=status,
                message=_message(requirement, status),
                evidence=evidence,
                probe=requirement.verification.probe,
                error_reason=ErrorReason.TIMEOUT if status is Status.ERROR else None,
                started_at=at,
                duration_ms=round(rng.uniform(5, 900), 1),
            ),
            None,
            None,
        )
    manual = RequirementResult(
        requirement_id=requirement.id,
        status=Status.MANUAL,
        message="En attente de la revue de l'auditeur.",
        evidence=tuple(_evidence(requirement, rng, n) for n in range(evidence_count)),
        started_at=at,
        duration_ms=0.0,
    )
    declaration = None
    if method is Method.DECLARATION or rng.random() < 0.3:
        declaration = Declaration(
            requirement=requirement.id,
            status=rng.choices(["conforme", "non_conforme", "non_applicable"], [8, 1, 1])[0],
            text=f"L'éditeur déclare satisfaire « {requirement.title.fr} ».",
            author="Jeanne Martin, DPO de l'éditeur",
            date=(started - timedelta(days=20)).date().isoformat(),
            documents=(_document(requirement.id, rng),),
        )
    review = None
    if rng.random() >= shares[1]:
        verdict = "pass" if rng.random() < shares[0] else rng.choice(["fail", "not_applicable"])
        review = Review(
            requirement=requirement.id,
            status=verdict,
            text=f"Pièces examinées sur place ; verdict {verdict}.",
            author="Alice Auditrice",
            date=(started - timedelta(days=2)).date().isoformat(),
            documents=(_document(requirement.id, rng),) if rng.random() < 0.5 else (),
        )
    return manual, declaration, review


def _probe_status(rng: random.Random, pass_share: float) -> Status:
    if rng.random() < pass_share:
        return Status.PASS
    return rng.choices(
        [Status.FAIL, Status.NOT_APPLICABLE, Status.NOT_TESTED, Status.ERROR], [5, 2, 1, 1]
    )[0]


def _message(requirement: Requirement, status: Status) -> str:
    return {
        Status.PASS: f"Conforme : {requirement.title.fr}.",
        Status.FAIL: f"Non conforme : {requirement.title.fr} n'est pas observé.",
        Status.NOT_APPLICABLE: "Non applicable à cette cible (point d'accès facultatif absent).",
        Status.NOT_TESTED: "Non testé : la cible ne décrit pas le service nécessaire.",
        Status.ERROR: "Délai dépassé (10 s) en attendant la réponse du serveur.",
    }[status]


def _evidence(requirement: Requirement, rng: random.Random, n: int) -> Evidence:
    path = f"/{requirement.id.lower()}/{n}"
    if n % 3 == 0:
        return Evidence(
            kind="http_exchange",
            summary=f"GET https://ent.exemple.invalid{path} → 200 OK",
            data={
                "request": {
                    "method": "GET",
                    "url": f"https://ent.exemple.invalid{path}",
                    "headers": {"User-Agent": "sdet-check/0.1.0", "Accept": "*/*"},
                },
                "response": {
                    "status": 200,
                    "reason": "OK",
                    "headers": [
                        ["Server", "ENT/5.2"],
                        ["Content-Type", "text/html; charset=utf-8"],
                        ["Strict-Transport-Security", "max-age=63072000; includeSubDomains"],
                        ["Set-Cookie", "ENTSESSION=ab12…; Secure; HttpOnly; SameSite=Lax"],
                    ],
                    "body_excerpt": _BODY,
                    "elapsed_ms": round(rng.uniform(3, 300), 1),
                },
            },
        )
    if n % 3 == 1:
        return Evidence(
            kind="header",
            summary="En-tête Strict-Transport-Security : max-age=63072000; includeSubDomains",
            data={"name": "Strict-Transport-Security", "value": "max-age=63072000"},
        )
    return Evidence(
        kind="note",
        summary=f"Observation {n} sur {requirement.id}",
        data={"observed": True, "attempts": rng.randint(1, 3)},
    )


def _document(requirement_id: str, rng: random.Random) -> ProofDocument:
    content = f"preuve {requirement_id}".encode()
    return ProofDocument(
        title=f"Pièce justificative {requirement_id}",
        sha256=hashlib.sha256(content).hexdigest(),
        path=f"preuves/{requirement_id.lower()}.pdf",
        check=rng.choices(["ok", "mismatch", "missing"], [8, 1, 1])[0],
    )


def _waiver(requirement_id: str, rng: random.Random, started: datetime) -> Waiver:
    expired = rng.random() < 0.3
    expires = started.date() + (timedelta(days=-15) if expired else timedelta(days=120))
    return Waiver(
        requirement=requirement_id,
        justification="Correctif planifié dans la prochaine version de la solution.",
        author="Paul Durand, RSSI de l'éditeur",
        expires=expires.isoformat(),
        approved_by="Chef de projet ENT de la collectivité",
        granted=(started.date() - timedelta(days=60)).isoformat(),
    )


def _input_file(name: str, seed: int) -> InputFile:
    return InputFile(name, hashlib.sha256(f"{name}:{seed}".encode()).hexdigest())


def _yaml_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
