"""The run record: the canonical JSON of one evaluation, from which every report is rendered.

A run holds the tool version, the grid (id, version, content hash and its requirements, so
the run can be re-scored and re-rendered offline), the target summary without secrets,
every requirement's result with evidence, the declarations and waivers used, timings and a
manifest of evidence hashes.

Canonical form and hash (what a signature covers, what a report cites as "Empreinte du run")
---------------------------------------------------------------------------------------------
The canonical form of a run is the exact bytes of ``run.json`` as sdet-check writes it
(:func:`dump_run`): JSON indented by two spaces, keys in the order written, non-ASCII
characters as UTF-8 (not escaped), one final newline. The run hash is the SHA-256 of those
bytes, so anyone recomputes it with ``sha256sum run.json`` (or, from a PDF report, after
``pdfdetach -savefile run.json rapport.pdf``). Nothing is re-serialised or sorted first.

Each piece of evidence is pinned in ``evidence_manifest`` by the SHA-256 of
``json.dumps(piece, sort_keys=True, ensure_ascii=False)`` encoded in UTF-8 (keys sorted,
separators ``", "`` and ``": "``). :func:`load_run` checks every piece against the manifest
whenever a run is read and refuses a run that fails with :class:`UnverifiedRunError`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema

from sdet_check import __version__
from sdet_check.declarations import Declaration, InputFile, Review, Waiver
from sdet_check.errors import AlteredInputError, InputError
from sdet_check.grid import Grid
from sdet_check.messages import current_language, msg
from sdet_check.probe import Status
from sdet_check.redaction import Redactor, visible_one_line
from sdet_check.remarks import DEFAULT_MAX_EVIDENCE_AGE_DAYS, run_remarks
from sdet_check.results import RequirementResult
from sdet_check.runner import RunLimits
from sdet_check.scoring import Scorecard, ScoreItem, Verdict, score
from sdet_check.selection import Selection
from sdet_check.target import Target
from sdet_check.yamlfile import schema

RUN_FORMAT = 1


@dataclass(frozen=True)
class RunInputs:
    """Everything a run was given besides the grid and the target."""

    selection: Selection
    limits: RunLimits
    declarations: Sequence[Declaration] = ()
    declarations_file: InputFile | None = None
    waivers: Sequence[Waiver] = ()
    waivers_file: InputFile | None = None
    reviews: Sequence[Review] = ()
    reviews_file: InputFile | None = None
    allow_writes: bool = False
    allow_cleartext_credentials: bool = False


def build_run(
    grid: Grid,
    target: Target,
    results: Sequence[RequirementResult],
    inputs: RunInputs,
    started: datetime,
    finished: datetime,
) -> dict[str, Any]:
    """Assemble the run record; secrets are masked everywhere before anything is returned."""
    today = started.date()
    declarations = {d.requirement: d for d in inputs.declarations}
    waivers = {w.requirement: w for w in inputs.waivers}
    redactor = Redactor(secret.reveal() for secret in target.secrets)

    result_entries = []
    for result in results:
        entry = result.to_json()
        declaration = declarations.get(result.requirement_id)
        waiver = waivers.get(result.requirement_id)
        if declaration is not None:
            entry["declared"] = declaration.status
            proof = proof_problem(declaration)
            if proof is not None:
                entry["declaration_proof"] = proof
            if result.status is Status.MANUAL:
                declared = msg(
                    "runner.declared",
                    status=msg(f"runner.declared_status.{declaration.status}"),
                    author=declaration.author,
                    date=declaration.date,
                )
                entry.update(declared.to_json(), message=str(declared))
        if waiver is not None:
            entry["waiver_state"] = "valid" if waiver.is_valid(today) else "expired"
        entry["waived"] = bool(
            result.status is Status.FAIL and waiver is not None and waiver.is_valid(today)
        )
        entry = redactor.fields(entry, ("message", "message_params", "trace"))
        entry["evidence"] = [
            redactor.fields(piece, ("summary", "data")) for piece in entry["evidence"]
        ]
        result_entries.append(entry)

    record: dict[str, Any] = {
        "format": RUN_FORMAT,
        "run_id": str(uuid.uuid4()),
        "tool": {"name": "sdet-check", "version": __version__},
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
        "duration_s": round((finished - started).total_seconds(), 3),
        "grid": grid_summary(grid),
        "target": redactor.values(target.summary()),
        "selection": inputs.selection.to_json(),
        "limits": {
            "max_workers": inputs.limits.max_workers,
            "probe_timeout_s": inputs.limits.probe_timeout_s or target.timeout("probe_s"),
            "run_timeout_s": inputs.limits.run_timeout_s or target.timeout("run_s"),
            "network_timeout_s": inputs.limits.network_timeout_s or target.timeout("network_s"),
        },
        "allow_writes": inputs.allow_writes,
        "allow_cleartext_credentials": inputs.allow_cleartext_credentials,
        "inputs": {
            "target": _input_file(target.file),
            "declarations": _pinned(inputs.declarations_file),
            "waivers": _pinned(inputs.waivers_file),
            "reviews": _pinned(inputs.reviews_file),
        },
        "declarations": [redactor.fields(d.to_json(), ("statement",)) for d in inputs.declarations],
        "waivers": [w.to_json(today) for w in inputs.waivers],
        "reviews": [redactor.fields(r.to_json(), ("comment",)) for r in inputs.reviews],
        "results": result_entries,
    }
    header = inputs.declarations_file.header if inputs.declarations_file else {}
    if header:
        record["declared_solution"] = redactor.values(dict(header))
    record["remarks"] = run_remarks(record)
    record["evidence_manifest"] = evidence_manifest(result_entries)
    record["privacy"] = {
        "secrets_masked": redactor.masked,
        "secret_variables": sorted({s.env for s in target.secrets}),
    }
    record["score"] = rescore(record).to_json()
    return record


def grid_summary(grid: Grid) -> dict[str, Any]:
    """What a run records of its grid: identity, hash, axes and every requirement."""
    return {
        "id": grid.id,
        "version": grid.version,
        "title": {"fr": grid.title.fr, "en": grid.title.en},
        "published": grid.published,
        "content_hash": grid.content_hash,
        "max_evidence_age_days": grid.manifest.get(
            "max_evidence_age_days", DEFAULT_MAX_EVIDENCE_AGE_DAYS
        ),
        "axes": [
            {"id": axis.id, "label": {"fr": axis.label.fr, "en": axis.label.en}}
            for axis in grid.axes
        ],
        "requirements": [requirement.to_json() for requirement in grid.requirements],
    }


def evidence_manifest(results: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """sha256 of every piece of evidence, addressable by requirement and position."""
    manifest = []
    for entry in results:
        for index, piece in enumerate(entry.get("evidence", [])):
            manifest.append(
                {
                    "requirement": entry["requirement"],
                    "index": index,
                    "kind": piece.get("kind"),
                    "sha256": evidence_hash(piece),
                }
            )
    return manifest


def evidence_hash(piece: Any) -> str:
    """SHA-256 of one piece of evidence in its manifest form (sorted keys, UTF-8)."""
    canonical = json.dumps(piece, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class EvidenceProblem:
    """One piece of evidence that does not match the run's evidence manifest."""

    requirement: str
    index: int
    kind: str
    problem: str
    """``altered`` (hash differs), ``unlisted`` (not in the manifest) or ``missing``
    (listed in the manifest, absent from the results)."""

    @property
    def piece(self) -> str:
        """``SSO-CAS-001[0]``: how reports and messages name the piece."""
        return f"{self.requirement}[{self.index}]"

    def describe(self, lang: str = "fr") -> str:
        """One line naming the piece and what is wrong with it."""
        texts = _EVIDENCE_PROBLEMS[lang]
        # Both names come from the run file, which may be anyone's: shown, never passed on.
        return texts[self.problem].format(
            piece=visible_one_line(self.piece), kind=visible_one_line(self.kind or "?")
        )


_EVIDENCE_PROBLEMS = {
    "fr": {
        "altered": "preuve {piece} ({kind}) : son empreinte ne correspond plus au manifeste "
        "des preuves (preuve modifiée)",
        "unlisted": "preuve {piece} ({kind}) : absente du manifeste des preuves (preuve ajoutée)",
        "missing": "preuve {piece} ({kind}) : listée au manifeste des preuves mais absente du "
        "run (preuve retirée)",
    },
    "en": {
        "altered": "evidence {piece} ({kind}): its hash no longer matches the evidence "
        "manifest (evidence altered)",
        "unlisted": "evidence {piece} ({kind}): not in the evidence manifest (evidence added)",
        "missing": "evidence {piece} ({kind}): listed in the evidence manifest but absent "
        "from the run (evidence removed)",
    },
}


def evidence_problems(record: Mapping[str, Any]) -> list[EvidenceProblem]:
    """Every piece of evidence of ``record`` that its ``evidence_manifest`` does not vouch for.

    Empty for an intact run. Pieces are recomputed with :func:`evidence_hash` and compared
    by (requirement, position) with the manifest written when the run was made.
    """
    listed: dict[tuple[str, int], Mapping[str, Any]] = {}
    for entry in record.get("evidence_manifest", []):
        listed.setdefault((str(entry["requirement"]), int(entry["index"])), entry)
    problems = []
    seen = set()
    for result in record.get("results", []):
        for index, piece in enumerate(result.get("evidence", [])):
            key = (str(result["requirement"]), index)
            if key in seen:
                continue  # a repeated result is refused elsewhere
            seen.add(key)
            kind = str(piece.get("kind", "")) if isinstance(piece, Mapping) else ""
            entry = listed.get(key)
            if entry is None:
                problems.append(EvidenceProblem(key[0], index, kind, "unlisted"))
            elif entry["sha256"] != evidence_hash(piece):
                problems.append(EvidenceProblem(key[0], index, kind, "altered"))
    problems.extend(
        EvidenceProblem(key[0], key[1], str(entry.get("kind") or ""), "missing")
        for key, entry in listed.items()
        if key not in seen
    )
    return problems


_GRID_PROBLEMS = {
    "fr": {
        "removed": "grille du run : {ids} absente(s) de la copie de la grille {grid} que porte "
        "le run, mais présente(s) dans la grille installée de même empreinte (exigences "
        "retirées du run)",
        "added": "grille du run : {ids} ajoutée(s) à la copie de la grille {grid} que porte le "
        "run (absente(s) de la grille installée de même empreinte)",
        "changed": "grille du run : niveau ou axe de {ids} changé par rapport à la grille "
        "installée {grid} de même empreinte",
        "other_run": "grille du run : elle diffère de celle de {other} sous la même empreinte "
        "de grille ({ids})",
    },
    "en": {
        "removed": "run grid: {ids} missing from the copy of grid {grid} the run carries, but "
        "in the installed grid with the same hash (requirements taken out of the run)",
        "added": "run grid: {ids} added to the copy of grid {grid} the run carries (not in "
        "the installed grid with the same hash)",
        "changed": "run grid: level or axis of {ids} changed from the installed grid {grid} "
        "with the same hash",
        "other_run": "run grid: it differs from {other}'s under the same grid hash ({ids})",
    },
}

_GRID_ID = re.compile(r"^[a-z][a-z0-9-]*$")
_GRID_VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*$")


def grid_requirements(record: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Level and axis of every requirement of the run's copy of its grid, by id."""
    return {r["id"]: (r["level"], r["axis"]) for r in record["grid"]["requirements"]}


def grid_differences(
    own: Mapping[str, tuple[str, str]],
    reference: Mapping[str, tuple[str, str]],
    grid: str,
    lang: str = "fr",
    other: str = "",
) -> list[str]:
    """What ``own`` requirements lack, add or change against ``reference`` (one line each)."""
    texts = _GRID_PROBLEMS.get(lang, _GRID_PROBLEMS["fr"])
    found = []
    for key, ids in (
        ("removed", sorted(set(reference) - set(own))),
        ("added", sorted(set(own) - set(reference))),
        ("changed", sorted(i for i in set(own) & set(reference) if own[i] != reference[i])),
    ):
        if not ids:
            continue
        shown = visible_one_line(", ".join(ids[:20]) + (" …" if len(ids) > 20 else ""))
        if other:
            found.append(texts["other_run"].format(other=other, ids=shown))
        else:
            found.append(texts[key].format(ids=shown, grid=grid))
    return found


def grid_problems(record: Mapping[str, Any], lang: str = "fr") -> list[str]:
    """Where the run's copy of its grid differs from the installed grid of the same hash.

    A run carries its grid's requirements so that it can be re-scored offline; taking a
    failing MUST out of that copy (and out of the results) would change the verdict without
    touching any evidence. Compared by id, level and axis with the installed grid that has
    the run's grid id, version and content hash; nothing is said when there is none.
    """
    grid = record["grid"]
    installed = _installed_requirements(
        str(grid.get("id")), str(grid.get("version")), str(grid.get("content_hash"))
    )
    if installed is None:
        return []
    name = visible_one_line(f"{grid['id']} {grid['version']}")
    return grid_differences(grid_requirements(record), installed, name, lang)


@functools.lru_cache(maxsize=8)
def _installed_requirements(
    grid_id: str, version: str, content_hash: str
) -> dict[str, tuple[str, str]] | None:
    # Only a bundled grid named by plain tokens: a run's text never becomes a path.
    if not (_GRID_ID.match(grid_id) and _GRID_VERSION.match(version)):
        return None
    from sdet_check.grid import MANIFEST, load_grid
    from sdet_check.resources import grids_dir

    folder = grids_dir() / grid_id / version
    if not (folder / MANIFEST).is_file():
        return None
    try:
        grid = load_grid(folder)
    except InputError:
        return None
    if grid.content_hash != content_hash:
        return None
    return grid_requirements({"grid": grid_summary(grid)})


class UnverifiedRunError(AlteredInputError):
    """A run whose evidence does not match its manifest: refused unless explicitly allowed.

    The command line exits with 1 (altered), not 3: the file is a run, but not the one
    that was written.
    """

    def __init__(self, file: Path | str, problems: Sequence[EvidenceProblem]):
        """Name every piece that fails (the first ten in the message)."""
        self.problems = list(problems)
        lang = current_language()
        shown = "; ".join(p.describe(lang) for p in self.problems[:10])
        more = len(self.problems) - 10
        super().__init__(
            file,
            msg(
                "input.run.unverified.problem",
                shown=shown,
                more=msg("input.run.unverified.more", count=more) if more > 0 else "",
            ),
            msg("input.run.unverified.fix"),
        )


def proof_problem(declaration: Declaration) -> str | None:
    """``mismatch`` or ``missing`` when a proof document of ``declaration`` fails its check.

    Such a declaration is shown with its problem and left out of the note théorique.
    """
    checks = {document.check for document in declaration.documents}
    if "mismatch" in checks:
        return "mismatch"
    if "missing" in checks:
        return "missing"
    return None


def rescore(record: Mapping[str, Any]) -> Scorecard:
    """Score a run record from its own content: no grid file, no network."""
    requirements = {r["id"]: r for r in record["grid"]["requirements"]}
    items = [
        ScoreItem(
            requirement_id=entry["requirement"],
            axis=requirements[entry["requirement"]]["axis"],
            level=requirements[entry["requirement"]]["level"],
            status=Status(entry["status"]),
            waived=bool(entry.get("waived")),
            # A declaration whose proof changed or vanished does not count.
            declared=None if entry.get("declaration_proof") else entry.get("declared"),
        )
        for entry in record["results"]
    ]
    return score(items, [axis["id"] for axis in record["grid"]["axes"]])


def overall_verdict(record: Mapping[str, Any]) -> Verdict:
    """The overall verdict stored in a run record."""
    return Verdict(record["score"]["overall"]["verdict"])


def run_hash(record: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical form of a run: what a report cites and a signature covers.

    The canonical form is the bytes of run.json as written (:func:`run_bytes`), so for a
    run.json written by sdet-check this is what ``sha256sum run.json`` prints.
    """
    return hashlib.sha256(run_bytes(record)).hexdigest()


def dump_run(record: Mapping[str, Any]) -> str:
    """The run record as indented JSON text (UTF-8, French characters kept)."""
    return json.dumps(record, indent=2, ensure_ascii=False) + "\n"


def run_bytes(record: Mapping[str, Any]) -> bytes:
    """The canonical form of a run: the exact bytes of the run.json sdet-check writes."""
    return dump_run(record).encode("utf-8")


def validate_run(record: Any, file: Path | str = "<run>") -> None:
    """Check a run record against ``run.schema.json``; :class:`InputError` when it does not fit."""
    validator_cls = jsonschema.validators.validator_for(schema("run"))
    error = jsonschema.exceptions.best_match(validator_cls(schema("run")).iter_errors(record))
    if error is not None:
        location = "/".join(str(p) for p in error.absolute_path) or "racine"
        raise InputError(
            file,
            msg("input.run.validate_run.input_error", location=location, message=error.message),
            msg("input.run.validate_run.input_error_2"),
        )


MAX_RUN_BYTES = 128 * 1024 * 1024
"""Largest run.json read (``SDET_CHECK_MAX_RUN_MB`` raises it)."""

MAX_RUN_DEPTH = 100
"""Deepest nesting of objects and lists accepted in a run.json (sdet-check writes < 20)."""


@dataclass(frozen=True)
class RunFile:
    """A run file as read: its bytes, its validated record and its evidence problems."""

    path: Path
    raw: bytes
    record: dict[str, Any]
    problems: list[EvidenceProblem]

    @property
    def canonical(self) -> bool:
        """Whether the file is byte for byte the run.json sdet-check writes for its record."""
        return self.raw == run_bytes(self.record)


def load_run(file: Path, *, allow_unverified: bool = False) -> dict[str, Any]:
    """Read and validate a run JSON file written by ``sdet-check run``.

    Size (:data:`MAX_RUN_BYTES`) is checked before parsing and nesting
    (:data:`MAX_RUN_DEPTH`) after it; both give an :class:`InputError`, never a crash.
    Evidence is checked against the manifest: :class:`UnverifiedRunError` names every piece
    that fails, unless ``allow_unverified``.
    """
    run = read_run(file)
    if run.problems and not allow_unverified:
        raise UnverifiedRunError(file, run.problems)
    return run.record


def read_run(file: Path) -> RunFile:
    """Read, validate and check a run file; evidence problems are returned, not raised."""
    raw = read_run_bytes(file)
    record = parse_run(raw, file)
    return RunFile(file, raw, record, evidence_problems(record))


def read_run_bytes(file: Path) -> bytes:
    """The bytes of a run file, refused past :data:`MAX_RUN_BYTES` before being read."""
    limit = _max_run_bytes()
    if file.exists() and not file.is_file():
        # A FIFO would block the read for ever, a device never ends.
        raise InputError(
            file, msg("input.run.read_run_bytes.not_regular"), msg("input.run.read_run_bytes.fix")
        )
    try:
        with file.open("rb") as stream:
            raw = stream.read(limit + 1)
    except FileNotFoundError:
        raise InputError(
            file, msg("input.run.load_run.input_error"), msg("input.run.load_run.input_error_6")
        ) from None
    except OSError as exc:
        raise InputError(
            file,
            msg("input.run.load_run.input_error_2", strerror=exc.strerror),
            msg("input.run.load_run.input_error_6"),
        ) from None
    if len(raw) > limit:
        raise InputError(
            file,
            msg("input.run.load_run.input_error_3", value=f"{limit / 1024 / 1024:g}"),
            msg("input.run.load_run.input_error_7"),
        )
    return raw


def parse_run(raw: bytes, file: Path | str = "<run>") -> dict[str, Any]:
    """Parse and validate the bytes of a run.json; :class:`InputError` when they are not one."""
    try:
        record = json.loads(raw.decode("utf-8"), parse_constant=_not_json)
    except (UnicodeDecodeError, ValueError) as exc:  # ValueError: also a >4300-digit number
        raise InputError(
            file,
            msg("input.run.load_run.input_error_4", exc=exc),
            msg("input.run.load_run.input_error_8"),
        ) from None
    except RecursionError:
        record = None  # reported below as too deep
    depth = _depth(record) if record is not None else MAX_RUN_DEPTH + 1
    if depth > MAX_RUN_DEPTH:
        raise InputError(
            file,
            msg("input.run.load_run.input_error_5", max_run_depth=MAX_RUN_DEPTH),
            msg("input.run.load_run.input_error_9"),
        )
    validate_run(record, file)
    _check_consistent(record, file)
    try:
        # A lone surrogate (``"\\ud800"``) parses but cannot be hashed or written as UTF-8.
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(
            file,
            msg("input.run.parse_run.surrogate", character=ascii(exc.object[exc.start])),
            msg("input.run.parse_run.surrogate_fix"),
        ) from None
    return dict(record)


def _not_json(constant: str) -> Any:
    """``NaN`` and ``Infinity``, which Python reads but JSON (RFC 8259) has not."""
    raise ValueError(f"{constant} n'est pas un nombre JSON")


def _check_consistent(record: Mapping[str, Any], file: Path | str) -> None:
    """What the schema cannot say: results, requirements and axes refer to each other."""
    fix = msg("input.run.tampered_fix")
    requirements = record["grid"]["requirements"]
    known = {requirement["id"] for requirement in requirements}
    strangers = sorted({e["requirement"] for e in record["results"]} - known)
    if strangers:
        raise InputError(
            file,
            msg("input.run.check_consistent.input_error", strangers=", ".join(strangers)),
            fix,
        )
    axes = {axis["id"] for axis in record["grid"]["axes"]}
    homeless = sorted({r["id"] for r in requirements if r["axis"] not in axes})
    if homeless:
        raise InputError(
            file,
            msg("input.run.check_consistent.input_error_2", homeless=", ".join(homeless)),
            fix,
        )
    for what, ids in (
        (msg("input.run.requirements"), [r["id"] for r in requirements]),
        (msg("input.run.results"), [e["requirement"] for e in record["results"]]),
        (msg("input.run.axes"), [a["id"] for a in record["grid"]["axes"]]),
    ):
        repeated = sorted(i for i, n in Counter(ids).items() if n > 1)
        if repeated:
            raise InputError(
                file,
                msg(
                    "input.run.check_consistent.input_error_3",
                    what=what,
                    repeated=", ".join(repeated),
                ),
                fix,
            )


def _max_run_bytes() -> int:
    override = os.environ.get("SDET_CHECK_MAX_RUN_MB", "").strip()
    try:
        return int(float(override) * 1024 * 1024) if override else MAX_RUN_BYTES
    except ValueError:
        return MAX_RUN_BYTES


def _depth(value: Any) -> int:
    """Nesting depth of JSON data, measured without recursion (stops past the limit)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_RUN_DEPTH:
            break
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def _input_file(path: Path) -> dict[str, str]:
    return {"path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def _pinned(file: InputFile | None) -> dict[str, str] | None:
    return {"path": file.path, "sha256": file.sha256} if file else None


def utc_now() -> datetime:
    """Current time, UTC, second precision (what a run records)."""
    return datetime.now(UTC).replace(microsecond=0)
