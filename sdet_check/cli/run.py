"""``sdet-check run`` and ``sdet-check report``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sdet_check.cli.app import app, state
from sdet_check.cli.console import console, err_console
from sdet_check.cli.integrity import AllowUnverifiedOption, SignCertOption, SignKeyOption
from sdet_check.messages import msg, text

if TYPE_CHECKING:
    from sdet_check.reporters.document import ReportTimeout
    from sdet_check.results import RequirementResult
    from sdet_check.run import RunFile
    from sdet_check.signing import SigningIdentity

DEFAULT_FORMATS = ("terminal", "json", "junit")

FormatOption = Annotated[
    list[str] | None,
    typer.Option(
        "--format",
        "-f",
        help=text("cli.run.module.format"),
    ),
]


class ProgressObserver:
    """Draws a progress bar on stderr while probes run (nothing when stderr is not a terminal)."""

    def __init__(self) -> None:
        """Prepare a transient rich progress bar."""
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]" + text("cli.run.progress")),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=err_console,
            transient=True,
        )
        self._task = self._progress.add_task("", total=None)

    def __enter__(self) -> ProgressObserver:
        """Start drawing."""
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop drawing and clear the bar."""
        self._progress.stop()

    def run_started(self, total: int) -> None:
        """Set the bar's length."""
        self._progress.update(self._task, total=total)

    def requirement_finished(self, result: RequirementResult) -> None:
        """Advance by one and show the requirement just decided."""
        self._progress.update(self._task, advance=1, description=result.requirement_id)


def check_formats(formats: Sequence[str]) -> list[str]:
    """Refuse unknown output formats with the list of known ones."""
    from sdet_check.reporters import REPORTERS

    unknown = [f for f in formats if f not in REPORTERS]
    if unknown:
        raise typer.BadParameter(
            msg(
                "cli.run.check_formats.error",
                unknown=", ".join(unknown),
                reporters=", ".join(REPORTERS),
            ),
            param_hint="--format",
        )
    return list(dict.fromkeys(formats))


def write_reports(
    record: Mapping[str, Any],
    formats: Sequence[str],
    out: Path,
    lang: str,
    signer: SigningIdentity | None = None,
) -> list[Path]:
    """Write the run JSON and each file format into ``out``; print the terminal summary.

    With ``signer``, run.json and the HTML report get a ``.sig`` beside them and the PDF a
    PAdES signature.
    """
    from sdet_check.cli.integrity import write_output
    from sdet_check.reporters import reporter_for
    from sdet_check.reporters.document import ReportTimeout
    from sdet_check.reporters.terminal import TerminalReporter

    out.mkdir(parents=True, exist_ok=True)
    written = []
    late: ReportTimeout | None = None
    for name in dict.fromkeys(["json", *formats]):
        if name == "terminal":
            continue
        reporter = reporter_for(name)
        path = out / reporter.filename
        try:
            data = reporter.render(record, lang)
        except ReportTimeout as exc:  # the other reports are still written
            late = exc
            continue
        written.extend(write_output(path, data, signer, _reason(record)))
    if "terminal" in formats:
        console.print(TerminalReporter().renderable(record, lang))
    if late is not None:
        err_console.print(
            msg("cli.run.write_reports.out", out=out, items=", ".join(p.name for p in written)),
            markup=False,
        )
        raise late
    return written


def prepare_out_dir(out: Path, *, fresh: bool = False) -> Path:
    """Create the output folder before any work, so a finished run is never lost to it.

    With ``fresh`` (``run``, ``demo``), a folder that already holds a run is refused: its
    run.json is what a follow-up diff needs, and must never be replaced.
    """
    if out.exists() and not out.is_dir():
        raise typer.BadParameter(msg("cli.run.prepare_out_dir.error", out=out), param_hint="--out")
    if fresh and (out / "run.json").exists():
        raise typer.BadParameter(
            msg("cli.run.prepare_out_dir.error_2", out=out),
            param_hint="--out",
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise typer.BadParameter(
            msg("cli.run.prepare_out_dir.error_3", out=out, strerror=exc.strerror),
            param_hint="--out",
        ) from None
    return out


def default_out_dir(name: str) -> Path:
    """A fresh folder ``sdet-check-runs/<date>-<target>/`` in the current directory."""
    import unicodedata

    from sdet_check.run import utc_now

    # "Lycée Émile-Zola" gives "lycee-emile-zola": accents folded, not dropped with the letter.
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40] or "cible"
    stamp = utc_now().strftime("%Y%m%d-%H%M%S")
    base = Path("sdet-check-runs") / f"{stamp}-{slug}"
    candidate, number = base, 1
    while candidate.exists():  # two runs in the same second get two folders
        number += 1
        candidate = base.with_name(f"{base.name}-{number}")
    return candidate


@app.command("run", help=text("cli.run.run_command.help"))
def run_command(
    target: Annotated[
        Path, typer.Option("--target", "-t", help=text("cli.run.run_command.target"))
    ],
    grid: Annotated[
        str, typer.Option("--grid", "-g", help=text("cli.run.run_command.grid"))
    ] = "sdet",
    declarations: Annotated[
        Path | None, typer.Option("--declarations", help=text("cli.run.run_command.declarations"))
    ] = None,
    waivers: Annotated[
        Path | None, typer.Option("--waivers", help=text("cli.run.run_command.waivers"))
    ] = None,
    reviews: Annotated[
        Path | None, typer.Option("--reviews", help=text("cli.run.run_command.reviews"))
    ] = None,
    axis: Annotated[
        list[str] | None, typer.Option("--axis", help=text("cli.run.run_command.axis"))
    ] = None,
    level: Annotated[
        list[str] | None, typer.Option("--level", help=text("cli.run.run_command.level"))
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help=text("cli.run.run_command.tag"))
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option("--only", help=text("cli.run.run_command.only"))
    ] = None,
    skip: Annotated[
        list[str] | None, typer.Option("--skip", help=text("cli.run.run_command.skip"))
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help=text("cli.run.run_command.out"))
    ] = None,
    fmt: FormatOption = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, max=32, help=text("cli.run.run_command.workers")),
    ] = None,
    probe_timeout: Annotated[
        float | None,
        typer.Option("--probe-timeout", min=0.1, help=text("cli.run.run_command.probe_timeout")),
    ] = None,
    run_timeout: Annotated[
        float | None,
        typer.Option("--run-timeout", min=0.1, help=text("cli.run.run_command.run_timeout")),
    ] = None,
    allow_writes: Annotated[
        bool,
        typer.Option("--allow-writes", help=text("cli.run.run_command.allow_writes")),
    ] = False,
    allow_cleartext_credentials: Annotated[
        bool,
        typer.Option(
            "--allow-cleartext-credentials",
            help=(text("cli.run.run_command.allow_cleartext_credentials")),
        ),
    ] = False,
    sign_key: SignKeyOption = None,
    sign_cert: SignCertOption = None,
) -> None:
    """Évaluer un ENT : lancer les sondes de la grille et écrire le run et ses rapports."""
    from sdet_check.api import RunRequest, prepare
    from sdet_check.cli.integrity import signing_identity
    from sdet_check.run import overall_verdict
    from sdet_check.runner import DEFAULT_MAX_WORKERS, RunLimits
    from sdet_check.scoring import ExitCode
    from sdet_check.selection import Selection

    formats = check_formats(fmt or list(DEFAULT_FORMATS))
    signer = signing_identity(sign_key, sign_cert)  # checked before the run, not after
    request = RunRequest(
        target=target,
        grid=grid,
        declarations=declarations,
        waivers=waivers,
        reviews=reviews,
        selection=Selection(
            axes=frozenset(axis or ()),
            levels=frozenset(level.upper() for level in level or ()),
            tags=frozenset(tag or ()),
            only=tuple(only or ()),
            skip=tuple(skip or ()),
        ),
        limits=RunLimits(
            max_workers=workers or DEFAULT_MAX_WORKERS,
            probe_timeout_s=probe_timeout,
            run_timeout_s=run_timeout,
        ),
        allow_writes=allow_writes,
        allow_cleartext_credentials=allow_cleartext_credentials,
    )
    prepared = prepare(request)  # every input is checked before anything is created
    out_dir = prepare_out_dir(out or default_out_dir(prepared.target.name), fresh=True)
    with ProgressObserver() as observer:
        record = prepared.execute(observer)
    written = write_reports(record, formats, out_dir, state.lang, signer)
    err_console.print(
        msg("cli.run.run_command.out_2", out_dir=out_dir, items=", ".join(p.name for p in written)),
        markup=False,
    )
    raise typer.Exit(ExitCode.for_verdict(overall_verdict(record)))


@app.command("report", help=text("cli.run.report_command.help"))
def report_command(
    run_file: Annotated[
        Path, typer.Argument(metavar="RUN.json", help=text("cli.run.report_command.help_2"))
    ],
    fmt: FormatOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help=text("cli.run.report_command.out"))
    ] = None,
    auditor: Annotated[
        str | None,
        typer.Option("--auditor", help=text("cli.run.report_command.auditor")),
    ] = None,
    valid_until: Annotated[
        str | None,
        typer.Option(
            "--valid-until",
            metavar=text("cli.metavar.date"),
            help=text("cli.run.report_command.valid_until"),
        ),
    ] = None,
    reviews: Annotated[
        Path | None,
        typer.Option(
            "--reviews",
            help=text("cli.run.report_command.reviews"),
        ),
    ] = None,
    sign_key: SignKeyOption = None,
    sign_cert: SignCertOption = None,
    allow_unverified: AllowUnverifiedOption = False,
) -> None:
    """Rendre à nouveau un run enregistré, sans toucher au réseau.

    Avec --reviews, les exigences « à examiner » reçoivent le verdict de l'auditeur et le
    score est recalculé ; le run.json d'origine n'est jamais remplacé (écrire le run
    recalculé ailleurs avec --format json --out DOSSIER).
    """
    from contextlib import nullcontext

    from sdet_check.cli.integrity import read_runs, signing_identity, write_output
    from sdet_check.reporters import Signature, reporter_for
    from sdet_check.reporters.document import ReportTimeout
    from sdet_check.reporters.integrity import unverified
    from sdet_check.reporters.terminal import TerminalReporter
    from sdet_check.run import overall_verdict, rescore
    from sdet_check.scoring import ExitCode

    formats = check_formats(fmt or ["terminal"])
    signer = signing_identity(sign_key, sign_cert)
    if signer is not None and reviews is not None:
        raise typer.BadParameter(
            msg("cli.run.report_command.sign_rescored"),
            param_hint="--sign-key",
        )
    (run,), problems = read_runs([run_file], allow_unverified=allow_unverified, lang=state.lang)
    if signer is not None and problems:
        raise typer.BadParameter(
            msg("cli.run.report_command.sign_unverified"),
            param_hint="--sign-key",
        )
    if signer is not None and not run.canonical:
        raise typer.BadParameter(
            msg("cli.run.report_command.sign_reformatted", path=run_file),
            param_hint="--sign-key",
        )
    record = run.record
    if reviews is not None:
        record = _with_reviews(record, reviews)
    rescored = rescore(record).to_json()
    if rescored != record["score"]:
        err_console.print(
            msg("cli.run.report_command.out_2"),
            style="yellow",
        )
        record["score"] = rescored
        if signer is not None:
            raise typer.BadParameter(
                msg("cli.run.report_command.sign_altered"),
                param_hint="--sign-key",
            )
    signature = Signature(auditor=auditor, valid_until=_valid_until(valid_until, record))
    if valid_until is not None and not _attests(record):
        err_console.print(
            msg(
                "cli.run.report_command.valid_until_dropped",
                verdict=overall_verdict(record).label(state.lang),
            ),
            style="yellow",
            markup=False,
        )
    files = [f for f in formats if f != "terminal"]
    out_dir = prepare_out_dir(out or run_file.parent) if files or signer else run_file.parent
    if signer is not None:
        _sign_run_file(run, out_dir, signer)
    late: ReportTimeout | None = None
    for name in files:
        reporter = reporter_for(name, signature)
        path = out_dir / reporter.filename
        if path.resolve() == run_file.resolve():
            if reviews is not None:  # re-scored: never written over the original record
                from sdet_check.review import say

                err_console.print(say(state.lang, "report_kept", file=run_file), markup=False)
            continue  # the canonical record is already there
        try:
            with unverified(problems) if problems else nullcontext():
                data = reporter.render(record, state.lang)
        except ReportTimeout as exc:  # the other formats are still written
            late = exc
            continue
        for written in write_output(path, data, signer, _reason(record)):
            err_console.print(msg("cli.run.report_command.out_3", path=written), markup=False)
    if "terminal" in formats:
        console.print(TerminalReporter().renderable(record, state.lang))
    if late is not None:
        raise late
    raise typer.Exit(ExitCode.for_verdict(overall_verdict(record)))


def _with_reviews(record: dict[str, Any], reviews: Path) -> dict[str, Any]:
    """The run decided again with the auditor's reviews (``report --reviews``)."""
    from sdet_check.review import apply_reviews_file, say

    rescored = apply_reviews_file(record, reviews, state.lang)
    err_console.print(say(state.lang, "report_applied", count=len(rescored.applied)), markup=False)
    if rescored.ignored:
        err_console.print(
            say(state.lang, "report_ignored", ids=", ".join(rescored.ignored)),
            style="yellow",
            markup=False,
        )
    return rescored.record


def _reason(record: Mapping[str, Any]) -> str:
    """The reason a PDF signature gives: which run the signed report reports."""
    from sdet_check.run import run_hash

    return text(
        "cli.run.reason.signature", state.lang, run_id=record["run_id"], digest=run_hash(record)
    )


def _sign_run_file(run: RunFile, out_dir: Path, signer: SigningIdentity) -> None:
    """Sign the run as it is on disk: ``run.json.sig`` beside it, or beside its copy in ``out``.

    A signature already beside the run (the editor's, say) is kept, not replaced.
    """
    from sdet_check.signing import sign_detached, signature_path

    target = out_dir / "run.json"
    if target.resolve() != run.path.resolve():
        if target.exists() and target.read_bytes() != run.raw:
            raise typer.BadParameter(
                msg("cli.run.sign_run_file.other_run", path=target),
                param_hint="--out",
            )
        target.write_bytes(run.raw)
        err_console.print(msg("cli.run.report_command.out_3", path=target), markup=False)
    if signature_path(target).exists():
        err_console.print(
            msg("cli.run.sign_run_file.kept", path=signature_path(target)),
            markup=False,
        )
        return
    # The bytes that were checked and rendered, not the file as it may be by now.
    signature = signature_path(target)
    signature.write_bytes(sign_detached(run.raw, signer))
    err_console.print(msg("cli.run.report_command.out_3", path=signature), markup=False)


def _attests(record: Mapping[str, Any]) -> bool:
    """Whether the run's verdict attests conformity, the only case with a validity period."""
    from sdet_check.reporters.html import VALIDITY_VERDICTS
    from sdet_check.run import overall_verdict

    return overall_verdict(record) in VALIDITY_VERDICTS


def _valid_until(text: str | None, record: Mapping[str, Any]) -> date | None:
    """Parse ``--valid-until``; a report cannot expire before the evaluation it reports."""
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            msg("cli.run.valid_until.error", text=text),
            param_hint="--valid-until",
        ) from None
    evaluated = datetime.fromisoformat(record["started_at"]).date()
    if day < evaluated:
        raise typer.BadParameter(
            msg(
                "cli.run.valid_until.error_2",
                isoformat=day.isoformat(),
                isoformat2=evaluated.isoformat(),
            ),
            param_hint="--valid-until",
        )
    return day
