"""What the auditor sees: each requirement still ``manual`` in a run, ready to show.

Statement, guidance from the grid, the evidence and declaration the run holds,
related results; and the hint telling what to run next.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sdet_check.errors import SdetCheckError
from sdet_check.grid import Grid, load_grid, resolve_grid
from sdet_check.labels import status_code
from sdet_check.review.messages import say
from sdet_check.review.verdicts import parse_verdict

RELATED_LIMIT = 6
"""Most related results shown beside an item."""


@dataclass(frozen=True)
class RelatedResult:
    """A result of the same run that shares one of the item's tags, or its axis."""

    requirement: str
    status: str
    title: str
    message: str


@dataclass(frozen=True)
class DeclaredFact:
    """The editor's declaration on the item, as the run recorded it."""

    status: str
    statement: str
    author: str
    date: str
    documents: tuple[tuple[str, str], ...]
    """(title, check) of each proof document."""


@dataclass(frozen=True)
class ReviewItem:
    """One requirement still ``manual`` in a run, with everything the auditor needs to judge it.

    Texts are already in the review's language.
    """

    requirement: str
    axis: str
    level: str
    method: str
    title: str
    statement: str
    source: str
    message: str
    wording: str | None = None
    guidance: str | None = None
    proofs_expected: str | None = None
    evidence: tuple[str, ...] = ()
    declaration: DeclaredFact | None = None
    related: tuple[RelatedResult, ...] = ()


def _text(value: Any, lang: str) -> str | None:
    """A ``{fr:, en:}`` text of a run record in ``lang`` (or the plain string it already is)."""
    if isinstance(value, Mapping):
        chosen = value.get("en" if lang == "en" else "fr") or value.get("fr")
        return str(chosen) if chosen else None
    return str(value) if value else None


def bundled_grid(record: Mapping[str, Any]) -> Grid | None:
    """The installed grid the run was made with, when it is the very same (content hash).

    The run record does not carry the review guidance nor the expected proofs; the
    installed grid does. A grid that is absent or differs gives ``None``: the review goes
    on with what the run holds.
    """
    summary = record.get("grid", {})
    try:
        grid = load_grid(resolve_grid(f"{summary.get('id')}/{summary.get('version')}"))
    except (SdetCheckError, OSError):
        return None
    return grid if grid.content_hash == summary.get("content_hash") else None


def review_items(
    record: Mapping[str, Any], lang: str = "fr", grid: Grid | None = None
) -> list[ReviewItem]:
    """Every result still ``manual`` in ``record``, in the run's order, ready to show.

    ``grid`` (the run's own grid, see :func:`bundled_grid`) adds guidance and expected proofs.
    """
    requirements = {r["id"]: r for r in record["grid"]["requirements"]}
    axes = {a["id"]: _text(a["label"], lang) or a["id"] for a in record["grid"]["axes"]}
    declarations = {d["requirement"]: d for d in record.get("declarations", [])}
    known = {r.id: r for r in grid.requirements} if grid is not None else {}
    items = []
    for entry in record["results"]:
        if entry["status"] != "manual":
            continue
        rid = entry["requirement"]
        requirement = requirements[rid]
        verification = requirement.get("verification", {})
        from_grid = known.get(rid)
        guidance = _text(verification.get("guidance"), lang)
        proofs = _text(verification.get("proofs"), lang)
        if from_grid is not None:
            grid_guidance = from_grid.verification.guidance
            grid_proofs = from_grid.verification.proofs
            guidance = guidance or (grid_guidance.get(lang) if grid_guidance else None)
            proofs = proofs or (grid_proofs.get(lang) if grid_proofs else None)
        source = requirement.get("source", {})
        method = str(verification.get("method", "review"))
        items.append(
            ReviewItem(
                requirement=rid,
                axis=axes.get(requirement["axis"], requirement["axis"]),
                level=requirement["level"],
                method=say(lang, f"method_{method}") if method != "probe" else method,
                title=_text(requirement.get("title"), lang) or rid,
                statement=_text(requirement.get("statement"), lang) or "",
                source=" ".join(str(source[k]) for k in ("document", "version") if source.get(k))
                + (f", {source['section']}" if source.get("section") else ""),
                message=str(entry.get("message", "")),
                wording=source.get("wording"),
                guidance=guidance,
                proofs_expected=proofs,
                evidence=tuple(
                    str(piece.get("summary", "")) for piece in entry.get("evidence", [])
                ),
                declaration=_declared(declarations.get(rid), lang),
                related=tuple(_related(record, requirements, requirement, lang)),
            )
        )
    return items


def _declared(data: Mapping[str, Any] | None, lang: str) -> DeclaredFact | None:
    if data is None:
        return None
    return DeclaredFact(
        status=_declared_status(str(data.get("status", "")), lang),
        statement=str(data.get("statement", "")),
        author=str(data.get("author", "")),
        date=str(data.get("date", "")),
        documents=tuple(
            (str(d.get("title", "")), say(lang, f"check_{_check(d.get('check'))}"))
            for d in data.get("documents", [])
        ),
    )


def _declared_status(status: str, lang: str) -> str:
    """``conforme``, ``non_conforme``, ``non_applicable`` in the review's language."""
    verdict = parse_verdict(status)
    return say(lang, f"verdict_{verdict}") if verdict else status.replace("_", " ")


def _check(value: Any) -> str:
    """A proof document's check as the run recorded it (an unknown value reads not checked)."""
    return value if value in ("ok", "mismatch", "missing") else "not_checked"


def _related(
    record: Mapping[str, Any],
    requirements: Mapping[str, Mapping[str, Any]],
    requirement: Mapping[str, Any],
    lang: str,
) -> list[RelatedResult]:
    """Results sharing a tag first (closest), then the same axis; decided results before others."""
    tags = set(requirement.get("tags", []))
    ranked = []
    for position, entry in enumerate(record["results"]):
        other = requirements[entry["requirement"]]
        if other["id"] == requirement["id"]:
            continue
        shared = tags & set(other.get("tags", []))
        same_axis = other["axis"] == requirement["axis"]
        if not shared and not same_axis:
            continue
        undecided = entry["status"] in ("manual", "not_tested", "not_applicable")
        ranked.append(((not shared, undecided, position), entry, other))
    ranked.sort(key=lambda item: item[0])
    return [
        RelatedResult(
            requirement=entry["requirement"],
            status=status_code(entry["status"], bool(entry.get("waived"))),
            title=_text(other.get("title"), lang) or entry["requirement"],
            message=str(entry.get("message", "")),
        )
        for _, entry, other in ranked[:RELATED_LIMIT]
    ]


def next_review_hint(record: Mapping[str, Any], run_file: Path, lang: str = "fr") -> str | None:
    """The line that tells what to run next when ``record`` holds ``manual`` results."""
    count = sum(1 for entry in record["results"] if entry["status"] == "manual")
    if not count:
        return None
    words = ["sdet-check", *(["--lang", "en"] if lang == "en" else []), "review", str(run_file)]
    return say(lang, "demo_next", count=count, command=shlex.join(words))
