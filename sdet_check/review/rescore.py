"""Re-scoring a stored run with a reviews file (``report RUN.json --reviews``)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sdet_check.declarations import load_reviews
from sdet_check.review.errors import ReviewInputError
from sdet_check.review.messages import say
from sdet_check.run import evidence_manifest, rescore, validate_run


@dataclass(frozen=True)
class Rescored:
    """A run record decided again with a reviews file, and what the reviews changed."""

    record: dict[str, Any]
    applied: tuple[str, ...]
    ignored: tuple[str, ...]


def apply_reviews_file(record: Mapping[str, Any], reviews_file: Path, lang: str = "fr") -> Rescored:
    """Decide the ``manual`` results of a stored run with a reviews file, then re-score it.

    Nothing touches the network: the verdicts replace ``manual`` statuses exactly as
    ``run --reviews`` would have, the review is added as evidence, the evidence manifest and
    the score are computed again. A review on a probe's requirement is refused; a review on
    a requirement that is not ``manual`` in this run changes nothing and is listed in
    :attr:`Rescored.ignored`.
    """
    requirements = {r["id"]: r for r in record["grid"]["requirements"]}
    reviews, pinned = load_reviews(reviews_file, list(requirements))
    for review in reviews:
        if requirements[review.requirement].get("verification", {}).get("method") == "probe":
            raise ReviewInputError(
                reviews_file,
                say(lang, "err_reviews_probe", id=review.requirement),
                say(lang, "fix_reviews_probe"),
                lang=lang,
            )
    edited = copy.deepcopy(dict(record))
    by_requirement = {review.requirement: review for review in reviews}
    applied: list[str] = []
    for entry in edited["results"]:
        found = by_requirement.get(entry["requirement"])
        if found is None or entry["status"] != "manual":
            continue
        review = found
        entry["status"] = review.status
        entry["message"] = (
            f"Décidé par la revue de l'auditeur ({review.author}, {review.date})."
            if lang != "en"
            else f"Decided by the auditor's review ({review.author}, {review.date})."
        )
        summary = (
            f"Revue de {review.author} du {review.date} : {review.text}"
            if lang != "en"
            else f"Review by {review.author} on {review.date}: {review.text}"
        )
        entry["evidence"] = [
            *entry.get("evidence", []),
            {"kind": "review", "summary": summary, "data": review.to_json()},
        ]
        # As in a run: a failure the auditor finds is covered by a valid waiver on it.
        entry["waived"] = review.status == "fail" and entry.get("waiver_state") == "valid"
        applied.append(entry["requirement"])
    done = set(applied)
    edited["reviews"] = [
        *(r for r in edited.get("reviews", []) if r["requirement"] not in done),
        *(review.to_json() for review in reviews if review.requirement in done),
    ]
    edited["inputs"]["reviews"] = {"path": pinned.path, "sha256": pinned.sha256}
    edited["evidence_manifest"] = evidence_manifest(edited["results"])
    edited["score"] = rescore(edited).to_json()
    validate_run(edited, reviews_file)
    ignored = tuple(review.requirement for review in reviews if review.requirement not in done)
    return Rescored(record=edited, applied=tuple(applied), ignored=ignored)
