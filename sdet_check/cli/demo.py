"""``sdet-check demo``: evaluate the bundled local reference stack."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sdet_check.cli.app import app, state
from sdet_check.cli.console import err_console
from sdet_check.cli.run import DEFAULT_FORMATS, ProgressObserver, prepare_out_dir, write_reports
from sdet_check.messages import msg, text

if TYPE_CHECKING:
    pass


@app.command("demo", help=text("cli.demo.demo_command.help"))
def demo_command(
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help=text("cli.demo.demo_command.out")),
    ] = None,
    cas: Annotated[
        str,
        typer.Option(
            "--cas",
            help=text("cli.demo.demo_command.cas"),
        ),
    ] = "django-cas-server",
    saml: Annotated[
        str,
        typer.Option("--saml", help=text("cli.demo.demo_command.saml")),
    ] = "simplesamlphp",
) -> None:
    """Démarrer l'ENT de référence local (127.0.0.1), l'évaluer et écrire les rapports."""
    from sdet_check.demo.stack import CAS_PEERS, SAML_PEERS, run_demo  # late: starts servers
    from sdet_check.run import overall_verdict
    from sdet_check.scoring import ExitCode

    if cas not in CAS_PEERS or saml not in SAML_PEERS:
        err_console.print(
            msg(
                "cli.demo.demo_command.out_2",
                cas=cas,
                saml=saml,
                cas_peers=", ".join(CAS_PEERS),
                saml_peers=", ".join(SAML_PEERS),
            ),
            markup=False,
        )
        raise typer.Exit(ExitCode.BAD_INPUT)
    if out is not None:
        prepare_out_dir(out, fresh=True)  # a demo never replaces a run either
    notices: list[str] = []
    with ProgressObserver() as observer:
        record, out_dir = run_demo(
            out, observer=observer, say=notices.append, cas_peer=cas, saml_peer=saml
        )
    for notice in notices:  # after the progress bar, so the lines stay readable
        err_console.print(notice, markup=False)
    written = write_reports(record, [*DEFAULT_FORMATS, "csv", "html"], out_dir, state.lang)
    err_console.print(
        msg(
            "cli.demo.demo_command.out_3", out_dir=out_dir, items=", ".join(p.name for p in written)
        ),
        markup=False,
    )
    raise typer.Exit(ExitCode.for_verdict(overall_verdict(record)))
