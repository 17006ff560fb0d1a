"""``sdet-check verify``: check that runs and reports are the ones that were signed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sdet_check.cli.app import app, state
from sdet_check.cli.console import console
from sdet_check.messages import text


@app.command("verify", help=text("cli.verify.verify_command.help"))
def verify_command(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH...",
            help=text("cli.verify.verify_command.paths"),
        ),
    ],
    trust: Annotated[
        list[Path] | None,
        typer.Option(
            "--trust",
            metavar="AC.pem",
            help=text("cli.verify.verify_command.trust"),
        ),
    ] = None,
    require_trust: Annotated[
        bool,
        typer.Option("--require-trust", help=text("signatures.cli.require_trust")),
    ] = False,
) -> None:
    """Vérifier l'intégrité d'un run ou d'un rapport signé.

    Code de sortie : 0 intact (avec --trust ou --require-trust, seulement si une autorité
    donnée se porte garante du signataire), 1 modifié ou non signé, 2 intact mais signataire
    non reconnu, 3 entrée invalide.
    """
    from sdet_check.signing import load_trust
    from sdet_check.verify import Verifier, exit_code

    verifier = Verifier(load_trust(trust or []), state.lang, require_trust=require_trust)
    verdicts = verifier.verify_paths(paths)
    for verdict in verdicts:
        for line in verifier.describe(verdict):
            console.print(line, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(exit_code(verdicts))
