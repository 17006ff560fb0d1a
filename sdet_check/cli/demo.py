"""``sdet-check demo``: evaluate the bundled local reference stack, through the whole audit loop.

By default the demo walks the loop a tender follows (:mod:`sdet_check.demo.loop`), one line
per step: reading grid, questionnaire answered by the reference ENT, import, run with the
declarations, the example audit's review, reports of the reviewed run. ``--no-loop`` only
runs the stack and writes the reports of the bare run, as the demo did before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from sdet_check.cli.app import app, state
from sdet_check.cli.console import err_console
from sdet_check.cli.run import DEFAULT_FORMATS, ProgressObserver, prepare_out_dir, write_reports
from sdet_check.messages import msg, text

RUN_FORMATS = ("json", "junit")
"""What the loop's run writes beside the target, as ``run --out DIR`` does by default."""

REPORT_FORMATS = ("terminal", "json", "junit", "csv", "html", "pdf")
"""The reports of the reviewed run (``report --reviews``), in ``rapport/``."""


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
    loop: Annotated[
        bool,
        typer.Option(
            "--loop/--no-loop",
            help=text("cli.demo.demo_command.loop"),
        ),
    ] = True,
) -> None:
    """Démarrer l'ENT de référence local (127.0.0.1), l'évaluer et écrire les rapports.

    Par défaut, la démo déroule la boucle d'audit d'un appel d'offres, une ligne par étape :
    grille de lecture (ODS, PDF), questionnaire rempli par l'ENT de référence et importé,
    évaluation avec ces déclarations, revue de l'auditeur (exemple), rapports du run revu.
    """
    from sdet_check.demo.stack import CAS_PEERS, SAML_PEERS
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
    record = _audit_loop(out, cas, saml) if loop else _bare_run(out, cas, saml)
    raise typer.Exit(ExitCode.for_verdict(overall_verdict(record)))


def _run_stack(
    out: Path | None, cas: str, saml: str, declarations: Path | None = None
) -> tuple[dict[str, Any], Path]:
    """Start the stack, evaluate it under a progress bar, then print the peers left out."""
    from sdet_check.demo.stack import run_demo  # late: starts servers

    notices: list[str] = []
    with ProgressObserver() as observer:
        record, out_dir = run_demo(
            out,
            observer=observer,
            say=notices.append,
            cas_peer=cas,
            saml_peer=saml,
            declarations=declarations,
        )
    for notice in notices:  # after the progress bar, so the lines stay readable
        err_console.print(notice, markup=False)
    return record, out_dir


def _bare_run(out: Path | None, cas: str, saml: str) -> dict[str, Any]:
    """``--no-loop``: the run of the stack alone, its reports, and the hint to review it."""
    from sdet_check.review import next_review_hint

    record, out_dir = _run_stack(out, cas, saml)
    written = write_reports(record, [*DEFAULT_FORMATS, "csv", "html"], out_dir, state.lang)
    err_console.print(
        msg(
            "cli.demo.demo_command.out_3", out_dir=out_dir, items=", ".join(p.name for p in written)
        ),
        markup=False,
    )
    hint = next_review_hint(record, out_dir / "run.json", state.lang)
    if hint:
        err_console.print(hint, markup=False)
    return record


def _audit_loop(out: Path | None, cas: str, saml: str) -> dict[str, Any]:
    """The six steps of the audit loop around the stack; return the reviewed run."""
    from sdet_check.api import open_grid
    from sdet_check.demo import loop as steps
    from sdet_check.demo.stack import default_demo_dir
    from sdet_check.grid import current_grid_ref
    from sdet_check.run import overall_verdict

    lang = state.lang

    def say(key: str, /, **values: Any) -> None:
        err_console.print(steps.step_line(lang, key, **values), markup=False)

    out_dir = out or default_demo_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    grid = open_grid(current_grid_ref())

    files = steps.export_reading_grid(grid, out_dir, lang)
    say("grid", files=", ".join(map(str, files)))
    blank, handed = steps.hand_in_questionnaire(grid, out_dir, lang)
    say("questionnaire", blank=blank, answered=handed.questionnaire, proofs=handed.proofs)
    declarations, imported = steps.import_answers(grid, handed, out_dir, lang)
    say("imported", file=declarations, **steps.declared_counts(imported))

    record, _ = _run_stack(out_dir, cas, saml, declarations)
    write_reports(record, RUN_FORMATS, out_dir, lang)
    run_file = out_dir / "run.json"
    note = steps.percent(record["score"]["overall"]["note_theorique"], lang)
    say("run", file=run_file, counts=steps.status_counts(record), note=note)

    reviewed = steps.review_run(record, run_file, handed.answers, lang)
    say("reviewed", answers=handed.answers.name, file=reviewed.file, count=reviewed.answered)
    report_dir = out_dir / steps.REPORT_DIR
    written = write_reports(reviewed.record, REPORT_FORMATS, report_dir, lang)
    say(
        "reported",
        folder=report_dir,
        files=", ".join(path.name for path in written),
        counts=steps.status_counts(reviewed.record),
    )
    say("done", folder=out_dir, verdict=overall_verdict(reviewed.record).label(lang))
    say("by_hand")
    return reviewed.record
