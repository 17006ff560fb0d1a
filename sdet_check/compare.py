"""Compare the solutions that answer a tender: several runs on one grid version, side by side.

- **MUST items are gates**: a solution that fails an applicable MUST without a valid waiver
  is *éliminée* (its verdict is non conforme); one with a MUST in error, not tested or
  waiting for review is *à compléter*; the others are *recevables*.
- **SHOULD items are scored** with the buyer's weights (:class:`Weights`): a pass earns
  its weight, a failure (waived or not) earns nothing, an undecided item (error, not
  tested, manual) earns nothing either (what is not shown is not scored) and a not
  applicable one leaves the maximum. The SHOULD score is points over maximum, in percent.
  The score comes with its **range**: the same points with every undecided applicable
  SHOULD counted as passed give the high end, so a score that mostly measures how much
  was decided shows it.
- **Complete and partial runs**: a run is *partial* when its selection (``--only``,
  ``--skip``, ``--axis``, ``--level``, ``--tag``) left out requirements of its grid, or
  when results are missing from it. A partial run is judged on less than its rivals, so
  it is flagged on the ranking and never ranked before a complete one.
- **Ranking**: complete runs first, then partial ones (their rank says « partiel »);
  within each, recevables first, then à compléter, each by SHOULD score; éliminées are
  not ranked. Equal keys share a rank.
- **Waivers and stale evidence**: every MUST failure a waiver covers is listed with its
  justification, author, approver and expiry (flagged when it has lapsed by the date of
  the comparison); declarations and reviews older than the grid allows are flagged
  (:mod:`sdet_check.remarks`).
- **Differences**: a row differs when the solutions do not all have the same status.
- **Signatures**: when the runs come from files, each solution carries what the
  ``run.json.sig`` beside its run says (:class:`~sdet_check.verify.RunSignature`): signed
  or not, by whom, and whether an authority given with ``--trust`` vouches for the signer.
  :func:`require_signed` refuses unsigned runs and signatures that do not verify.

Everything here is a pure function of run records (and a weights file for
:func:`load_weights`); rendering lives in the reporters.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sdet_check.errors import AlteredInputError, InputError
from sdet_check.messages import Message, current_language, msg, table
from sdet_check.redaction import visible_one_line
from sdet_check.remarks import solution_identity, solution_mismatches, stale_evidence
from sdet_check.run import rescore, run_hash
from sdet_check.scoring import Verdict
from sdet_check.selection import Selection
from sdet_check.signing import distrust_clauses
from sdet_check.verify import RunSignature, signature_problem_texts
from sdet_check.yamlfile import LoadedYaml, read_yaml, validate

DEFAULT_WEIGHT = 1.0


class Standing(StrEnum):
    """Where a solution stands after the MUST gates."""

    RECEVABLE = "recevable"
    """Every applicable MUST passes, or fails under a valid waiver."""
    A_COMPLETER = "a_completer"
    """No MUST failure, but a MUST is in error, not tested or waiting for review."""
    ELIMINEE = "eliminee"
    """An applicable MUST fails without a valid waiver."""

    def label(self, lang: str = "fr") -> str:
        """Human label in French (default) or English."""
        return _STANDING_LABELS[lang][self]


_STANDING_LABELS: dict[str, dict[Standing, str]] = {
    lang: {standing: words[standing.value] for standing in Standing}
    for lang, words in table("compare.standing.").items()
}
_STANDING_ORDER = {Standing.RECEVABLE: 0, Standing.A_COMPLETER: 1, Standing.ELIMINEE: 2}
_UNDECIDED = frozenset({"error", "not_tested", "manual"})


@dataclass(frozen=True)
class Weights:
    """The buyer's weights of SHOULD items, by requirement id, tag or axis."""

    default: float = DEFAULT_WEIGHT
    requirements: Mapping[str, float] = field(default_factory=dict)
    tags: Mapping[str, float] = field(default_factory=dict)
    axes: Mapping[str, float] = field(default_factory=dict)
    title: str | None = None
    file: str | None = None
    sha256: str | None = None

    def weight(self, requirement: Mapping[str, Any]) -> tuple[float, str]:
        """The weight of a requirement and what set it (``id``, ``tag:x``, ``axis:y``...)."""
        if requirement["id"] in self.requirements:
            return self.requirements[requirement["id"]], "id"
        tagged = [(self.tags[t], t) for t in requirement.get("tags", []) if t in self.tags]
        if tagged:
            value, tag = max(tagged)
            return value, f"tag:{tag}"
        if requirement["axis"] in self.axes:
            return self.axes[requirement["axis"]], f"axis:{requirement['axis']}"
        return self.default, "default"


def load_weights(file: Path, requirements: Sequence[Mapping[str, Any]]) -> Weights:
    """Read a weights YAML file and check every key against the compared grids.

    A weight on an unknown requirement, tag or axis, or on a MUST item (a gate, not a
    score), is an :class:`InputError` naming the line and the fix.
    """
    loaded = read_yaml(file)
    validate(loaded, "weights", msg("input.what.weights_file"))
    data = loaded.data
    by_id = {r["id"]: r for r in requirements}
    tags = sorted({t for r in requirements for t in r.get("tags", [])})
    axes = sorted({r["axis"] for r in requirements})
    for requirement_id in data.get("requirements", {}):
        if requirement_id not in by_id:
            raise loaded.error(
                ["requirements", requirement_id],
                msg("input.compare.load_weights.unknown_requirement", requirement=requirement_id),
                _suggest(
                    requirement_id, by_id, msg("input.compare.load_weights.unknown_requirement_fix")
                ),
            )
        if by_id[requirement_id]["level"] == "MUST":
            raise loaded.error(
                ["requirements", requirement_id],
                msg("input.compare.load_weights.must", requirement=requirement_id),
                msg("input.compare.load_weights.must_fix"),
            )
    _check_names(loaded, "tags", tags, msg("input.compare.check_names.tag"))
    _check_names(loaded, "axes", axes, msg("input.compare.check_names.axis"))
    return Weights(
        default=float(data.get("default", DEFAULT_WEIGHT)),
        requirements={k: float(v) for k, v in data.get("requirements", {}).items()},
        tags={k: float(v) for k, v in data.get("tags", {}).items()},
        axes={k: float(v) for k, v in data.get("axes", {}).items()},
        title=data.get("title"),
        file=str(file),
        sha256=hashlib.sha256(file.read_bytes()).hexdigest(),
    )


def _check_names(loaded: LoadedYaml, key: str, known: list[str], what: Message) -> None:
    for name in loaded.data.get(key, {}):
        if name not in known:
            raise loaded.error(
                [key, name],
                msg("input.compare.check_names.unknown", what=what, name=name),
                _suggest(name, known, msg("input.compare.check_names.fix", known=known)),
            )


def _suggest(name: str, known: Iterable[str], fix: Message) -> Message:
    close = difflib.get_close_matches(name, list(known), n=1)
    return msg("input.compare.suggest.did_you_mean", close=close[0], fix=fix) if close else fix


@dataclass(frozen=True)
class Cell:
    """One solution's result on one requirement (``status`` None: not in its grid)."""

    status: str | None
    waived: bool = False
    waiver_state: str | None = None

    @property
    def key(self) -> tuple[str | None, bool]:
        """What two cells must share to be « the same result »."""
        return (self.status, self.waived)


@dataclass(frozen=True)
class Row:
    """One requirement across the solutions."""

    requirement_id: str
    axis: str
    level: str
    title: Mapping[str, str]
    tags: tuple[str, ...]
    cells: tuple[Cell, ...]
    weight: float | None = None
    """SHOULD items only."""
    weight_basis: str | None = None

    @property
    def differs(self) -> bool:
        """True when the solutions do not all have the same result here."""
        return len({cell.key for cell in self.cells}) > 1

    @property
    def gate_failures(self) -> tuple[int, ...]:
        """Indexes of the solutions this MUST item eliminates."""
        if self.level != "MUST":
            return ()
        return tuple(
            n for n, cell in enumerate(self.cells) if cell.status == "fail" and not cell.waived
        )


@dataclass(frozen=True)
class WaivedGate:
    """A MUST failure covered by a waiver (réserve), with who answers for it."""

    requirement_id: str
    state: str
    """``valid`` on the run date (the failure does not eliminate) or ``expired``."""
    justification: str | None
    author: str | None
    approved_by: str | None
    granted: str | None
    expires: str | None
    lapsed: bool = False
    """Valid on the run date, expired on the date of the comparison."""


@dataclass(frozen=True)
class StaleEvidence:
    """A declaration or review dated before the run by more than the grid allows."""

    kind: str
    """``declaration`` or ``review``."""
    requirement_id: str
    date: str
    author: str
    age_days: int
    limit_days: int


@dataclass(frozen=True)
class Solution:
    """One compared run: who it is, how it stands after the gates, its SHOULD score."""

    index: int
    label: str
    source: str
    """Where the run came from (its file), to tell two runs of one target apart."""
    target_name: str
    editor: str | None
    solution_version: str | None
    run_id: str
    run_hash: str
    started_at: str
    grid_ref: str
    grid_hash: str
    verdict: Verdict
    standing: Standing
    gate_failures: tuple[str, ...]
    gates_open: tuple[str, ...]
    waived_musts: tuple[str, ...]
    should_points: float
    should_max: float
    should_decided: int
    should_applicable: int
    rank: int | None = None
    selection: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """The run's non-empty filters (``axes``, ``levels``, ``tags``, ``only``, ``skip``)."""
    unselected: tuple[str, ...] = ()
    """Requirements of the run's grid its selection left out."""
    missing: tuple[str, ...] = ()
    """Requirements of the run's grid with no result in the run (a run edited by hand)."""
    must_decided: int = 0
    must_applicable: int = 0
    should_undecided_points: float = 0.0
    """Weight of the applicable SHOULD items still undecided (error, not tested, manual)."""
    reviews_pending: int = 0
    """Applicable items waiting for a declaration or a review (``manual``), MUST and SHOULD."""
    must_reviews_pending: int = 0
    waivers: tuple[WaivedGate, ...] = ()
    """MUST failures under a waiver, valid or expired, in grid order."""
    stale: tuple[StaleEvidence, ...] = ()
    mismatches: tuple[tuple[str, str, str], ...] = ()
    """``(field, declared, target)`` where the declarations name another editor or version."""
    signature: RunSignature | None = None
    """What the signature beside the run says (``None``: not checked, no file was given)."""

    @property
    def should_score(self) -> float | None:
        """SHOULD points over the maximum, in percent (None when nothing is applicable).

        Undecided items earn nothing: this is the low end of :attr:`should_range`.
        """
        if not self.should_max:
            return None
        return round(100.0 * self.should_points / self.should_max, 1)

    @property
    def should_range(self) -> tuple[float, float] | None:
        """The SHOULD score with undecided items counted as failed, and as passed."""
        if not self.should_max:
            return None
        high = min(self.should_points + self.should_undecided_points, self.should_max)
        return (
            round(100.0 * self.should_points / self.should_max, 1),
            round(100.0 * high / self.should_max, 1),
        )

    @property
    def partial(self) -> bool:
        """True when the run evaluated less than its grid (selection or missing results)."""
        return bool(self.unselected or self.missing)

    @property
    def rank_key(self) -> tuple[bool, int, float]:
        """What ranks a solution: complete before partial, then standing, then SHOULD score."""
        return (self.partial, _STANDING_ORDER[self.standing], -(self.should_score or 0.0))


@dataclass(frozen=True)
class Comparison:
    """Several runs side by side: solutions in ranking order, and one row per requirement."""

    grid_refs: tuple[str, ...]
    grid_hashes: tuple[str, ...]
    weights: Weights
    solutions: tuple[Solution, ...]
    """In the order the runs were given (``ranking()`` sorts them)."""
    rows: tuple[Row, ...]
    axis_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Label of each axis id, in French and English."""
    produced_at: str = ""
    """When the comparison was made (ISO 8601, UTC): waivers are judged again on that date."""
    records: tuple[Mapping[str, Any], ...] = ()
    """The compared run records, in the order given (the PDF attaches them)."""
    trust_anchors: tuple[str, ...] = ()
    """The authorities given with ``--trust`` (``subject (SHA-256 …)``), which "vouched for"
    refers to."""

    @property
    def signatures_checked(self) -> bool:
        """True when the runs' signatures were checked (the runs came from files)."""
        return any(s.signature is not None for s in self.solutions)

    @property
    def fingerprint(self) -> str:
        """sha256 of what the comparison depends on: runs, weights, signatures checked.

        The canonical form is the JSON ``{"runs": [sorted run hashes], "weights": {...}}``
        with sorted keys, no spaces, UTF-8; the order of the runs does not change it. When
        the signatures were checked it also holds ``"signatures"``: sorted ``[run hash,
        state, signer certificate SHA-256, vouched for (true, false or null)]``, and
        ``"trust"``: the sorted authorities given with ``--trust``; so two comparisons of
        the same runs that say different things of their signers do not share a fingerprint.
        """
        weights = self.weights
        depends: dict[str, Any] = {
            "runs": sorted(s.run_hash for s in self.solutions),
            "weights": {
                "default": weights.default,
                "requirements": dict(weights.requirements),
                "tags": dict(weights.tags),
                "axes": dict(weights.axes),
            },
        }
        if self.signatures_checked:
            depends["signatures"] = sorted(
                (
                    [s.run_hash, s.signature.state, s.signature.fingerprint, s.signature.trusted]
                    for s in self.solutions
                    if s.signature is not None
                ),
                key=json.dumps,  # None and booleans do not order among themselves
            )
            depends["trust"] = sorted(self.trust_anchors)
        canonical = json.dumps(
            depends,
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def mixed(self) -> bool:
        """True when the runs do not share one grid version and content."""
        return len(set(zip(self.grid_refs, self.grid_hashes, strict=True))) > 1

    def ranking(self) -> list[Solution]:
        """Solutions in ranking order: ranked ones (complete, then partial), then éliminées."""
        return sorted(
            self.solutions,
            key=lambda s: (s.standing is Standing.ELIMINEE, *s.rank_key, s.index),
        )

    def differing(self) -> list[Row]:
        """Rows where the solutions differ."""
        return [row for row in self.rows if row.differs]


def check_comparable(
    runs: Sequence[Mapping[str, Any]], names: Sequence[str], allow_mixed: bool = False
) -> None:
    """Refuse runs that cannot be compared fairly; :class:`InputError` says why.

    Runs must share the grid id, version and content hash (unless ``allow_mixed``), and no
    run may be given twice.
    """
    seen: dict[str, str] = {}
    for name, record in zip(names, runs, strict=True):
        if record["run_id"] in seen:
            raise InputError(
                name,
                msg(
                    "input.compare.check_comparable.input_error",
                    seen=seen[record["run_id"]],
                    run_id=record["run_id"],
                ),
                msg("input.compare.check_comparable.input_error_2"),
            )
        seen[record["run_id"]] = name
    grids = [_grid_identity(record) for record in runs]
    if allow_mixed or len(set(grids)) <= 1:
        return
    first = grids[0]
    odd = next(n for n, g in enumerate(grids) if g != first)
    same_version = grids[odd][:2] == first[:2]
    problem = (
        msg(
            "input.compare.same_version_changed",
            grid=_ref(grids[odd]),
            first=names[0],
            sha=grids[odd][2][:12],
            first_sha=first[2][:12],
        )
        if same_version
        else msg("input.compare.other_grid", grid=_ref(grids[odd]), first=names[0], ref=_ref(first))
    )
    raise InputError(
        names[odd],
        problem,
        msg("input.compare.check_comparable.input_error_3"),
    )


def compare_runs(
    runs: Sequence[Mapping[str, Any]],
    weights: Weights | None = None,
    names: Sequence[str] | None = None,
    produced: datetime | None = None,
    signatures: Sequence[RunSignature] | None = None,
    trust_anchors: Sequence[str] = (),
) -> Comparison:
    """Build the comparison matrix of ``runs`` (check them with :func:`check_comparable`).

    ``produced`` is the moment of the comparison (now by default): a waiver valid on its
    run's date but expired by then is flagged as lapsed. ``signatures`` (one per run, from
    :func:`~sdet_check.verify.run_signature`) and ``trust_anchors`` (the authorities they
    were checked against) are shown for each solution.
    """
    if signatures is not None and len(signatures) != len(runs):
        raise ValueError(f"{len(signatures)} signatures for {len(runs)} runs")
    weights = weights or Weights()
    produced = produced or datetime.now(UTC).replace(microsecond=0)
    names = list(names) if names is not None else [r["target"]["name"] for r in runs]
    requirements = _union_requirements(runs)
    results = [{e["requirement"]: e for e in record["results"]} for record in runs]
    in_grid = [{r["id"] for r in record["grid"]["requirements"]} for record in runs]
    rows = []
    for requirement in requirements:
        cells = tuple(
            _cell(by_id.get(requirement["id"])) if requirement["id"] in ids else Cell(None)
            for ids, by_id in zip(in_grid, results, strict=True)
        )
        weight, basis = (
            weights.weight(requirement) if requirement["level"] == "SHOULD" else (None, None)
        )
        rows.append(
            Row(
                requirement_id=requirement["id"],
                axis=requirement["axis"],
                level=requirement["level"],
                title=requirement["title"],
                tags=tuple(requirement.get("tags", [])),
                cells=cells,
                weight=weight,
                weight_basis=basis,
            )
        )
    labels = _labels(runs)
    solutions = [
        replace(
            _solution(n, labels[n], names[n], record, rows, weights, produced.date()),
            signature=signatures[n] if signatures is not None else None,
        )
        for n, record in enumerate(runs)
    ]
    ranked = _ranks(solutions)
    return Comparison(
        grid_refs=tuple(_ref(_grid_identity(r)) for r in runs),
        grid_hashes=tuple(r["grid"]["content_hash"] for r in runs),
        weights=weights,
        solutions=tuple(ranked),
        rows=tuple(rows),
        axis_labels={
            axis["id"]: axis["label"]
            for record in reversed(runs)
            for axis in record["grid"]["axes"]
        },
        produced_at=produced.isoformat(timespec="seconds"),
        records=tuple(runs),
        trust_anchors=tuple(trust_anchors),
    )


def require_signed(
    names: Sequence[str], signatures: Sequence[RunSignature], *, require_vouched: bool = False
) -> None:
    """``--require-signed``: refuse unsigned runs and signatures that do not verify their run.

    One error names the first run refused, what to do, and the other runs refused for the
    same reason. A signature that does not verify is checked first: the run or its signature
    changed (:class:`AlteredInputError`, exit 1); an unsigned run is bad input for a
    comparison that requires signatures (:class:`InputError`, exit 3). With
    ``require_vouched`` (authorities were given with ``--trust``), a run whose signer none
    of them vouches for is refused too (exit 3).
    """
    pairs = list(zip(names, signatures, strict=True))
    invalid = [(name, s) for name, s in pairs if s.state == "invalid"]
    unsigned = [(name, s) for name, s in pairs if s.state == "unsigned"]
    unvouched = [(n, s) for n, s in pairs if s.state == "signed" and s.trusted is not True]
    if invalid:
        name, signature = invalid[0]
        # A folder or a dead link in place of the signature is no file to read: saying the
        # run "changed since it was signed" would accuse a run nothing was checked against.
        same = [(n, s) for n, s in invalid[1:] if s.no_file == signature.no_file]
        key = "not_a_file" if signature.no_file else "invalid"
        raise AlteredInputError(
            name,
            msg(
                f"signatures.require_signed.{key}",
                sig=signature.file,
                problems="; ".join(signature_problem_texts(signature, current_language())),
                others=_others(same),
            ),
            msg(f"signatures.require_signed.{key}_fix", path=name, sig=signature.file),
        )
    if unsigned:
        name, signature = unsigned[0]
        raise InputError(
            name,
            msg(
                "signatures.require_signed.unsigned",
                sig=signature.file,
                others=_others(unsigned[1:]),
            ),
            msg("signatures.require_signed.unsigned_fix", sig=signature.file),
        )
    if require_vouched and unvouched:
        name, signature = unvouched[0]
        raise InputError(
            name,
            msg(
                "signatures.require_signed.unvouched",
                signer=visible_one_line(signature.signer),
                fingerprint=signature.fingerprint,
                reasons=distrust_clauses(signature.distrust),
                others=_others(unvouched[1:]),
            ),
            msg("signatures.require_signed.unvouched_fix", path=name),
        )


def _others(refused: Sequence[tuple[str, RunSignature]]) -> Message | str:
    if not refused:
        return ""
    return msg("signatures.require_signed.others", names=[name for name, _ in refused])


def _solution(
    index: int,
    label: str,
    source: str,
    record: Mapping[str, Any],
    rows: Sequence[Row],
    weights: Weights,
    produced: date,
) -> Solution:
    # Each solution is judged by its own grid's levels and weights, whatever the order of the
    # runs (with mixed versions, a requirement may be MUST in one grid and SHOULD in another).
    own = {r["id"]: r for r in record["grid"]["requirements"]}

    def level(row: Row) -> str:
        mine = own.get(row.requirement_id)
        return str(mine["level"]) if mine is not None else row.level

    def weight(row: Row) -> float:
        mine = own.get(row.requirement_id)
        return (weights.weight(mine)[0] or 0.0) if mine is not None else (row.weight or 0.0)

    must = [(row, row.cells[index]) for row in rows if level(row) == "MUST"]
    should = [(row, row.cells[index]) for row in rows if level(row) == "SHOULD"]
    applicable = [
        (row, cell) for row, cell in should if cell.status not in (None, "not_applicable")
    ]
    must_applicable = [
        (row, cell) for row, cell in must if cell.status not in (None, "not_applicable")
    ]
    selection = Selection.from_json(record.get("selection"))
    answered = {entry["requirement"] for entry in record["results"]}
    manual = [c for _, c in (*must_applicable, *applicable) if c.status == "manual"]
    target = record["target"]
    verdict = rescore(record).overall.verdict
    return Solution(
        index=index,
        label=label,
        source=source,
        target_name=target["name"],
        editor=_text(solution_identity(record, "editor")),
        solution_version=_text(solution_identity(record, "solution_version")),
        run_id=record["run_id"],
        run_hash=run_hash(record),
        started_at=record["started_at"],
        grid_ref=_ref(_grid_identity(record)),
        grid_hash=record["grid"]["content_hash"],
        verdict=verdict,
        standing=_standing(verdict),
        gate_failures=tuple(
            r.requirement_id for r, c in must if c.status == "fail" and not c.waived
        ),
        gates_open=tuple(r.requirement_id for r, c in must if c.status in _UNDECIDED),
        waived_musts=tuple(r.requirement_id for r, c in must if c.status == "fail" and c.waived),
        should_points=sum(weight(r) for r, c in applicable if c.status == "pass"),
        should_max=sum(weight(r) for r, _ in applicable),
        should_decided=sum(c.status in ("pass", "fail") for _, c in applicable),
        should_applicable=len(applicable),
        selection={
            key: tuple(str(v) for v in values)
            for key, values in (record.get("selection") or {}).items()
            if values
        },
        unselected=tuple(r["id"] for r in own.values() if not selection.selects(r)),
        missing=tuple(r["id"] for r in own.values() if r["id"] not in answered),
        must_decided=sum(c.status in ("pass", "fail") for _, c in must_applicable),
        must_applicable=len(must_applicable),
        should_undecided_points=sum(weight(r) for r, c in applicable if c.status in _UNDECIDED),
        reviews_pending=len(manual),
        must_reviews_pending=sum(c.status == "manual" for _, c in must_applicable),
        waivers=_waived_gates(record, must, produced),
        stale=tuple(
            StaleEvidence(
                kind=remark["kind"].removeprefix("stale_"),
                requirement_id=remark["requirement"],
                date=remark["date"],
                author=remark["author"],
                age_days=remark["age_days"],
                limit_days=remark["limit_days"],
            )
            for remark in stale_evidence(record)
        ),
        mismatches=tuple(
            (m["field"], m["declared"], m["target"]) for m in solution_mismatches(record)
        ),
    )


def _waived_gates(
    record: Mapping[str, Any], must: Sequence[tuple[Row, Cell]], produced: date
) -> tuple[WaivedGate, ...]:
    """MUST failures under a waiver (valid or expired), with the waiver's details."""
    waivers = {
        w.get("requirement"): w for w in record.get("waivers") or [] if isinstance(w, Mapping)
    }
    gates = []
    for row, cell in must:
        if cell.status != "fail" or not (cell.waived or cell.waiver_state == "expired"):
            continue
        waiver = waivers.get(row.requirement_id, {})
        expires = _text(waiver.get("expires"))
        gates.append(
            WaivedGate(
                requirement_id=row.requirement_id,
                state="valid" if cell.waived else "expired",
                justification=_text(waiver.get("justification")),
                author=_text(waiver.get("author")),
                approved_by=_text(waiver.get("approved_by")),
                granted=_text(waiver.get("granted")),
                expires=expires,
                lapsed=cell.waived and _before(expires, produced),
            )
        )
    return tuple(gates)


def _before(day: str | None, limit: date) -> bool:
    try:
        return day is not None and date.fromisoformat(day[:10]) < limit
    except ValueError:
        return False


def _standing(verdict: Verdict) -> Standing:
    if verdict is Verdict.NON_CONFORME:
        return Standing.ELIMINEE
    if verdict is Verdict.INCOMPLETE:
        return Standing.A_COMPLETER
    return Standing.RECEVABLE


def _ranks(solutions: list[Solution]) -> list[Solution]:
    """Give ranks (equal keys share one; éliminées get none), keeping the given order."""
    order = sorted(
        (s for s in solutions if s.standing is not Standing.ELIMINEE), key=lambda s: s.rank_key
    )
    ranks: dict[int, int] = {}
    previous: tuple[bool, int, float] | None = None
    for position, solution in enumerate(order, start=1):
        key = solution.rank_key
        ranks[solution.index] = ranks[order[position - 2].index] if key == previous else position
        previous = key
    return [replace(s, rank=ranks.get(s.index)) for s in solutions]


def _cell(result: Mapping[str, Any] | None) -> Cell:
    if result is None:
        return Cell("not_tested")
    return Cell(
        status=result["status"],
        waived=bool(result.get("waived")),
        waiver_state=result.get("waiver_state"),
    )


def _union_requirements(runs: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Every requirement of the compared grids, first run's order first."""
    seen: dict[str, Mapping[str, Any]] = {}
    for record in runs:
        for requirement in record["grid"]["requirements"]:
            seen.setdefault(requirement["id"], requirement)
    return list(seen.values())


def _labels(runs: Sequence[Mapping[str, Any]]) -> list[str]:
    """Target names, made unique with the solution version or a number when needed."""
    names = [r["target"]["name"] for r in runs]
    labels = []
    for n, record in enumerate(runs):
        label = names[n]
        if names.count(label) > 1:
            version = record["target"].get("solution_version")
            label = f"{label} ({version})" if version else label
        labels.append(label)
    # Counted before renaming: renaming in place made the last of the duplicates look
    # unique and left it without its number.
    duplicated = {label for label in labels if labels.count(label) > 1}
    numbered = [
        f"{label} #{n + 1}" if label in duplicated else label for n, label in enumerate(labels)
    ]
    while len(set(numbered)) < len(numbered):
        # A target may be named like a numbered label ("ENT #2"): number the clashes again.
        clashes = {label for label in numbered if numbered.count(label) > 1}
        numbered = [
            f"{label} #{n + 1}" if label in clashes else label for n, label in enumerate(numbered)
        ]
    return numbered


def _grid_identity(record: Mapping[str, Any]) -> tuple[str, str, str]:
    grid = record["grid"]
    return (grid["id"], grid["version"], grid["content_hash"])


def _ref(identity: tuple[str, str, str]) -> str:
    return f"{identity[0]}/{identity[1]}"


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
