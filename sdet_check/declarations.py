"""What people bring to a run: editor declarations, auditor reviews and waivers (réserves)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from sdet_check.messages import msg
from sdet_check.probe import Evidence, Status
from sdet_check.results import RequirementResult
from sdet_check.yamlfile import LoadedYaml, read_yaml, validate


@dataclass(frozen=True)
class ProofDocument:
    """A document backing a declaration, pinned by its sha256."""

    title: str
    sha256: str
    path: str | None = None
    url: str | None = None
    check: str = "not_checked"
    """``ok`` (found, hash matches), ``mismatch``, ``missing`` or ``not_checked`` (URL only)."""

    def to_json(self) -> dict[str, Any]:
        """Serialise for the run record."""
        data = {"title": self.title, "sha256": self.sha256, "check": self.check}
        data.update({k: v for k, v in (("path", self.path), ("url", self.url)) if v})
        return data


@dataclass(frozen=True)
class Attestation:
    """A person's word on one requirement, with proof documents: a declaration or a review."""

    text_key: ClassVar[str]
    """Name of the free-text field in the file and in the run record."""

    requirement: str
    status: str
    text: str
    author: str
    date: str
    documents: tuple[ProofDocument, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Serialise for the run record."""
        return {
            "requirement": self.requirement,
            "status": self.status,
            self.text_key: self.text,
            "author": self.author,
            "date": self.date,
            "documents": [document.to_json() for document in self.documents],
        }


@dataclass(frozen=True)
class Declaration(Attestation):
    """What the editor states about one requirement (``conforme``, ``non_conforme``...)."""

    text_key = "statement"


@dataclass(frozen=True)
class Review(Attestation):
    """The auditor's verdict (``pass``, ``fail``, ``not_applicable``) on a manual requirement."""

    text_key = "comment"


@dataclass(frozen=True)
class Waiver:
    """A réserve: a justified, authored, dated exception to one requirement."""

    requirement: str
    justification: str
    author: str
    expires: str
    approved_by: str | None = None
    granted: str | None = None

    def is_valid(self, today: date) -> bool:
        """A waiver applies up to and including its expiry date."""
        return today <= date.fromisoformat(self.expires)

    def to_json(self, today: date) -> dict[str, Any]:
        """Serialise for the run record, with its state on ``today``."""
        data: dict[str, Any] = {
            "requirement": self.requirement,
            "justification": self.justification,
            "author": self.author,
            "expires": self.expires,
            "state": "valid" if self.is_valid(today) else "expired",
        }
        data.update(
            {k: v for k, v in (("approved_by", self.approved_by), ("granted", self.granted)) if v}
        )
        return data


_A = TypeVar("_A", bound=Attestation)


@dataclass(frozen=True)
class InputFile:
    """An input file a run used, pinned by its hash."""

    path: str
    sha256: str
    header: Mapping[str, str] = field(default_factory=dict)
    """Who the file speaks for (a declarations file's ``editor``, ``solution``,
    ``solution_version``), carried into the run record."""


HEADER_KEYS = ("editor", "solution", "solution_version")
"""Fields of a declarations file naming the solution it speaks for."""


def sha256_file(path: Path) -> str:
    """sha256 of a file's bytes, read in blocks (declarations, proofs, reviews)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def load_declarations(
    file: Path, known_ids: Iterable[str] | None = None
) -> tuple[list[Declaration], InputFile]:
    """Load an editor's declarations file; proof documents are checked against their sha256.

    With ``known_ids``, a declaration about a requirement the grid does not hold is an
    :class:`~sdet_check.errors.InputError`.
    """
    return _load_attestations(
        file, Declaration, "declarations", msg("input.what.declarations_file"), known_ids
    )


def load_reviews(
    file: Path, known_ids: Iterable[str] | None = None
) -> tuple[list[Review], InputFile]:
    """Load an auditor's reviews file; proof documents are checked against their sha256."""
    return _load_attestations(file, Review, "reviews", msg("input.what.reviews_file"), known_ids)


def _load_attestations(
    file: Path, kind: type[_A], key: str, what: str, known_ids: Iterable[str] | None
) -> tuple[list[_A], InputFile]:
    loaded = read_yaml(file)
    validate(loaded, key, what)
    entries: list[_A] = []
    for index, entry in enumerate(loaded.data[key]):
        _check_known(loaded, [key, index, "requirement"], entry, known_ids)
        entries.append(
            kind(
                requirement=entry["requirement"],
                status=entry["status"],
                text=entry[kind.text_key],
                author=entry["author"],
                date=entry["date"],
                documents=tuple(_document(file.parent, d) for d in entry.get("documents", [])),
            )
        )
    _refuse_duplicates(loaded, key, [e.requirement for e in entries])
    header = {k: str(loaded.data[k]) for k in HEADER_KEYS if loaded.data.get(k) is not None}
    return entries, InputFile(str(file), sha256_file(file), header)


def _document(base: Path, data: Mapping[str, str]) -> ProofDocument:
    check = "not_checked"
    if data.get("path"):
        path = Path(data["path"])
        path = path if path.is_absolute() else base / path
        if not path.is_file():
            check = "missing"
        else:
            check = "ok" if sha256_file(path) == data["sha256"] else "mismatch"
    return ProofDocument(
        title=data["title"],
        sha256=data["sha256"],
        path=data.get("path"),
        url=data.get("url"),
        check=check,
    )


def load_waivers(
    file: Path, known_ids: Iterable[str] | None = None
) -> tuple[list[Waiver], InputFile]:
    """Load a waivers file; with ``known_ids``, refuse waivers on unknown requirements."""
    loaded = read_yaml(file)
    validate(loaded, "waivers", msg("input.what.waivers_file"))
    waivers: list[Waiver] = []
    for index, entry in enumerate(loaded.data["waivers"]):
        _check_known(loaded, ["waivers", index, "requirement"], entry, known_ids)
        if entry.get("granted") and entry["granted"] > entry["expires"]:
            raise loaded.error(
                ["waivers", index, "expires"],
                f"la réserve expire ({entry['expires']}) avant d'avoir été accordée "
                f"({entry['granted']})",
                "corriger les dates granted / expires",
            )
        waivers.append(
            Waiver(
                requirement=entry["requirement"],
                justification=entry["justification"],
                author=entry["author"],
                expires=entry["expires"],
                approved_by=entry.get("approved_by"),
                granted=entry.get("granted"),
            )
        )
    _refuse_duplicates(loaded, "waivers", [w.requirement for w in waivers])
    return waivers, InputFile(str(file), sha256_file(file))


def _check_known(
    loaded: LoadedYaml,
    path: list[str | int],
    entry: Mapping[str, Any],
    known_ids: Iterable[str] | None,
) -> None:
    if known_ids is not None and entry["requirement"] not in set(known_ids):
        raise loaded.error(
            path,
            f"l'exigence « {entry['requirement']} » n'existe pas dans la grille utilisée",
            "corriger l'identifiant (voir `sdet-check grid show`) ou choisir la bonne grille",
        )


def _refuse_duplicates(loaded: LoadedYaml, key: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for index, requirement_id in enumerate(ids):
        if requirement_id in seen:
            raise loaded.error(
                [key, index, "requirement"],
                f"deux entrées pour l'exigence « {requirement_id} »",
                "fusionner les deux entrées en une seule",
            )
        seen.add(requirement_id)


def apply_reviews(
    results: Sequence[RequirementResult], reviews: Sequence[Review]
) -> list[RequirementResult]:
    """Replace ``manual`` results by the auditor's verdict where a review exists."""
    by_requirement = {review.requirement: review for review in reviews}
    decided = []
    for result in results:
        review = by_requirement.get(result.requirement_id)
        if review is None or result.status is not Status.MANUAL:
            decided.append(result)
            continue
        evidence = Evidence(
            kind="review",
            summary=f"Revue de {review.author} du {review.date} : {review.text}",
            data=review.to_json(),
        )
        decided.append(
            replace(
                result,
                status=Status(review.status),
                message=msg("runner.reviewed", author=review.author, date=review.date),
                evidence=(*result.evidence, evidence),
            )
        )
    return decided
