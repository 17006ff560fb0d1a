"""``sdet-check diff``: the follow-up audit between two runs of one ENT."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sdet_check.cli.app import app, state
from sdet_check.cli.console import console, err_console
from sdet_check.cli.grid import DiffFormat
from sdet_check.messages import msg, text

if TYPE_CHECKING:
    pass

FOLLOWUP_FILE = "suivi.html"
FOLLOWUP_PDF = "suivi.pdf"


@app.command("diff", help=text("cli.followup.diff_command.help"))
def diff_command(
    old: Annotated[
        Path,
        typer.Argument(
            metavar=text("cli.metavar.old_run"), help=text("cli.followup.diff_command.help_2")
        ),
    ],
    new: Annotated[
        Path,
        typer.Argument(
            metavar=text("cli.metavar.new_run"), help=text("cli.followup.diff_command.help_3")
        ),
    ],
    fmt: Annotated[
        DiffFormat, typer.Option("--format", "-f", help=text("cli.followup.diff_command.format"))
    ] = DiffFormat.TERMINAL,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help=text("cli.followup.diff_command.out")),
    ] = None,
) -> None:
    """Audit de suivi : régressions, corrections, exigences nouvelles, réserves expirées.

    Code de sortie 1 s'il y a au moins une régression, 0 sinon.
    """
    from sdet_check.cli.integrity import read_runs
    from sdet_check.reporters.followup import render_rundiff_html, rundiff_renderable
    from sdet_check.reporters.terminal import terminal_safe
    from sdet_check.rundiff import diff_runs

    # Evidence against the manifest, and the run.json.sig beside each run, as report does.
    (old_run, new_run), _ = read_runs([old, new], allow_unverified=False, lang=state.lang)
    old_record, new_record = old_run.record, new_run.record
    diff = diff_runs(old_record, new_record)
    if fmt is DiffFormat.HTML:
        out_dir = out or new.parent
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / FOLLOWUP_FILE
        path.write_bytes(render_rundiff_html(diff, state.lang))
        err_console.print(msg("cli.followup.diff_command.out_2", path=path))
    if fmt is DiffFormat.PDF:
        from sdet_check.reporters.followup import render_rundiff_pdf

        pdf_dir = out or new.parent
        pdf_dir.mkdir(parents=True, exist_ok=True)
        pdf_path = pdf_dir / FOLLOWUP_PDF
        pdf_path.write_bytes(render_rundiff_pdf(diff, state.lang, (old_record, new_record)))
        err_console.print(msg("cli.followup.diff_command.out_2", path=pdf_path), markup=False)
    # The terminal gets the texts of the runs with their control characters made visible.
    shown = diff_runs(terminal_safe(old_record), terminal_safe(new_record))
    console.print(rundiff_renderable(shown, state.lang))
    raise typer.Exit(1 if diff.regressions else 0)
