"""The library's entry points: what the command line and the demo call, and what scripts use.

Each function loads and validates its inputs first (bad input raises
:class:`~sdet_check.errors.InputError` before anything touches the network), then works.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sdet_check.declarations import apply_reviews, load_declarations, load_reviews, load_waivers
from sdet_check.errors import InputError
from sdet_check.grid import Grid, Method, load_grid, resolve_grid
from sdet_check.messages import msg
from sdet_check.registry import ProbeRegistry
from sdet_check.run import RunInputs, build_run, utc_now
from sdet_check.runner import RunLimits, Runner, RunObserver
from sdet_check.selection import Selection
from sdet_check.target import Target, load_target


def open_grid(ref: str, registry: ProbeRegistry | None = None) -> Grid:
    """Load the grid named ``ref`` (``sdet/6.4``, ``sdet`` or a folder), checked against probes."""
    registry = registry if registry is not None else ProbeRegistry.from_entry_points()
    return load_grid(resolve_grid(ref), registry)


@dataclass(frozen=True)
class RunRequest:
    """What to evaluate: a target file against a grid, with optional inputs and filters."""

    target: Path
    grid: str = "sdet"
    declarations: Path | None = None
    waivers: Path | None = None
    reviews: Path | None = None
    selection: Selection = field(default_factory=Selection)
    limits: RunLimits = field(default_factory=RunLimits)
    allow_writes: bool = False
    allow_cleartext_credentials: bool = False


@dataclass(frozen=True)
class PreparedRun:
    """A run whose inputs are all loaded and validated, ready to touch the network."""

    grid: Grid
    target: Target
    registry: ProbeRegistry
    inputs: RunInputs

    def execute(self, observer: RunObserver | None = None) -> dict[str, Any]:
        """Run the probes and return the run record (see :mod:`sdet_check.run`)."""
        started = utc_now()
        runner = Runner(
            self.registry,
            limits=self.inputs.limits,
            observer=observer,
            allow_writes=self.inputs.allow_writes,
            allow_cleartext_credentials=self.inputs.allow_cleartext_credentials,
        )
        results = runner.run(self.grid, self.target, self.inputs.selection)
        results = apply_reviews(results, self.inputs.reviews)
        return build_run(self.grid, self.target, results, self.inputs, started, utc_now())


def prepare(
    request: RunRequest,
    *,
    registry: ProbeRegistry | None = None,
    environ: Mapping[str, str] | None = None,
) -> PreparedRun:
    """Load and validate every input of a run; raise :class:`InputError` before any probe."""
    registry = registry if registry is not None else ProbeRegistry.from_entry_points()
    grid = open_grid(request.grid, registry)
    target = load_target(request.target, environ)
    ids = [requirement.id for requirement in grid.requirements]
    declarations, declarations_file = (
        load_declarations(request.declarations, ids) if request.declarations else ([], None)
    )
    waivers, waivers_file = load_waivers(request.waivers, ids) if request.waivers else ([], None)
    reviews, reviews_file = load_reviews(request.reviews, ids) if request.reviews else ([], None)
    probed = {r.id for r in grid.requirements if r.verification.method is Method.PROBE}
    for review in reviews:
        if review.requirement in probed:
            raise InputError(
                request.reviews or "",
                msg("input.api.prepare.input_error", requirement=review.requirement),
                msg("input.api.prepare.input_error_3"),
            )
    selection = request.selection.resolved(grid)
    unknown = selection.unknown_names(grid)
    if unknown:
        raise InputError(
            msg("input.what.command_line"),
            msg("input.api.prepare.input_error_2", ref=grid.ref, unknown=", ".join(unknown)),
            msg("input.api.prepare.input_error_4", ref=grid.ref),
        )
    inputs = RunInputs(
        selection=selection,
        limits=request.limits,
        declarations=declarations,
        declarations_file=declarations_file,
        waivers=waivers,
        waivers_file=waivers_file,
        reviews=reviews,
        reviews_file=reviews_file,
        allow_writes=request.allow_writes,
        allow_cleartext_credentials=request.allow_cleartext_credentials,
    )
    return PreparedRun(grid, target, registry, inputs)


def evaluate(
    request: RunRequest,
    *,
    registry: ProbeRegistry | None = None,
    observer: RunObserver | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Run a grid against a target and return the run record (:func:`prepare`, then execute)."""
    return prepare(request, registry=registry, environ=environ).execute(observer)
