"""``sdet-check demo``: evaluate the bundled local reference stack."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sdet_check.cli.app import app, state
from sdet_check.cli.console import err_console
from sdet_check.cli.run import DEFAULT_FORMATS, ProgressObserver, write_reports

if TYPE_CHECKING:
    pass


@app.command("demo")
def demo_command(
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Dossier des résultats (un nouveau dossier par défaut)."),
    ] = None,
) -> None:
    """Démarrer l'ENT de référence local (127.0.0.1), l'évaluer et écrire les rapports."""
    from sdet_check.demo.stack import run_demo  # imported late: starts servers
    from sdet_check.run import overall_verdict
    from sdet_check.scoring import ExitCode

    notices: list[str] = []
    with ProgressObserver() as observer:
        record, out_dir = run_demo(out, observer=observer, say=notices.append)
    for notice in notices:  # after the progress bar, so the lines stay readable
        err_console.print(notice, markup=False)
    written = write_reports(record, [*DEFAULT_FORMATS, "csv", "html"], out_dir, state.lang)
    err_console.print(
        f"Démo terminée. Fichiers dans {out_dir}/ : {', '.join(p.name for p in written)}",
        markup=False,
    )
    raise typer.Exit(ExitCode.for_verdict(overall_verdict(record)))
