"""``sdet-check demo``: evaluate the bundled local reference stack."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sdet_check.cli.app import app, state
from sdet_check.cli.console import err_console
from sdet_check.cli.run import DEFAULT_FORMATS, ProgressObserver, prepare_out_dir, write_reports

if TYPE_CHECKING:
    pass


@app.command("demo")
def demo_command(
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Dossier des résultats (un nouveau dossier par défaut)."),
    ] = None,
    cas: Annotated[
        str,
        typer.Option(
            "--cas",
            help="Serveur CAS de la pile : django-cas-server (relié à l'annuaire) ou mama-cas.",
        ),
    ] = "django-cas-server",
    saml: Annotated[
        str,
        typer.Option("--saml", help="Fournisseur d'identité SAML : simplesamlphp ou pysaml2."),
    ] = "simplesamlphp",
) -> None:
    """Démarrer l'ENT de référence local (127.0.0.1), l'évaluer et écrire les rapports."""
    from sdet_check.demo.stack import CAS_PEERS, SAML_PEERS, run_demo  # late: starts servers
    from sdet_check.run import overall_verdict
    from sdet_check.scoring import ExitCode

    if cas not in CAS_PEERS or saml not in SAML_PEERS:
        err_console.print(
            f"Pair inconnu : --cas {cas} --saml {saml}. Choisir --cas parmi "
            f"{', '.join(CAS_PEERS)} et --saml parmi {', '.join(SAML_PEERS)}.",
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
        f"Démo terminée. Fichiers dans {out_dir}/ : {', '.join(p.name for p in written)}",
        markup=False,
    )
    from sdet_check.review import next_review_hint

    hint = next_review_hint(record, out_dir / "run.json", state.lang)
    if hint:
        err_console.print(hint, markup=False)
    raise typer.Exit(ExitCode.for_verdict(overall_verdict(record)))
