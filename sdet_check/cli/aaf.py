"""``sdet-check aaf validate|generate|scenario|rules``: AAF feed files."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer
from rich.console import Console
from rich.table import Table

from sdet_check.cli.app import app, state
from sdet_check.cli.console import console, err_console
from sdet_check.messages import msg, table, text

if TYPE_CHECKING:
    from sdet_check.aaf.model import SourceFile
    from sdet_check.aaf.validate import OnProgress

aaf_app = typer.Typer(help=text("cli.aaf.module.app"))
app.add_typer(aaf_app, name="aaf")


class OutputFormat(StrEnum):
    """Formats of ``aaf validate``."""

    TERMINAL = "terminal"
    JSON = "json"
    CSV = "csv"


class RulesFormat(StrEnum):
    """Formats of ``aaf rules`` (no CSV: the catalogue is nested)."""

    TERMINAL = "terminal"
    JSON = "json"


@aaf_app.command("validate", help=text("cli.aaf.validate_command.help"))
def validate_command(
    path: Annotated[
        Path,
        typer.Argument(
            metavar=text("cli.metavar.path"), help=text("cli.aaf.validate_command.help_2")
        ),
    ],
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help=text("cli.aaf.validate_command.format"))
    ] = OutputFormat.TERMINAL,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help=text("cli.aaf.validate_command.out"))
    ] = None,
    dtd: Annotated[
        Path | None,
        typer.Option("--dtd", help=text("cli.aaf.validate_command.dtd")),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help=text("cli.aaf.validate_command.limit"))
    ] = 10,
    show_values: Annotated[
        bool,
        typer.Option("--show-values", help=text("cli.aaf.validate_command.show_values")),
    ] = False,
    jobs: Annotated[
        int,
        typer.Option("--jobs", "-j", min=1, max=64, help=text("cli.aaf.validate_command.jobs")),
    ] = 1,
    max_findings: Annotated[
        int | None,
        typer.Option(
            "--max-findings",
            min=0,
            help=text("cli.aaf.validate_command.max_findings"),
        ),
    ] = None,
) -> None:
    """Valider des fichiers AAF : DTD, encodage, noms, attributs, valeurs, liens entre fichiers.

    Code de sortie : 0 sans erreur (avertissements permis), 1 erreurs trouvées, 3 entrée
    invalide (chemin absent, fichier qui n'est pas de l'AAF, DTD inutilisable).
    """
    from sdet_check.aaf.report import CsvReportWriter, FindingCollector, JsonReportWriter
    from sdet_check.aaf.validate import validate
    from sdet_check.cli.aaf_terminal import render
    from sdet_check.scoring import ExitCode

    lang = state.lang
    if fmt is OutputFormat.TERMINAL:
        collector = FindingCollector(limit)
        with _progress() as on_progress:
            result = validate(
                path, dtd=dtd, show_values=show_values, jobs=jobs, on_finding=collector,
                on_progress=on_progress,
            )  # fmt: skip
        if out is not None:
            with out.open("w", encoding="utf-8") as stream:
                Console(file=stream, width=120, no_color=True).print(
                    render(result, collector, lang)
                )
            err_console.print(_VALIDATE_WORDING[lang]["written"].format(out=out))
        else:
            console.print(render(result, collector, lang))
    else:
        with _output(out) as stream:
            if fmt is OutputFormat.JSON:
                writer = JsonReportWriter(stream, path, _cap(max_findings), lang)
                result = validate(
                    path, dtd=dtd, show_values=show_values, jobs=jobs, on_finding=writer
                )
                writer.close(result)
            else:
                rows = CsvReportWriter(stream, _cap(max_findings), lang)
                result = validate(
                    path, dtd=dtd, show_values=show_values, jobs=jobs, on_finding=rows
                )
                rows.close()
        words = _VALIDATE_WORDING[lang]
        line = words["totals"].format(
            errors=result.errors, warnings=result.warnings, files=len(result.files)
        )
        if out:
            line += words["report"].format(out=out)
        err_console.print(line)
    if result.jobs < jobs:
        err_console.print(_VALIDATE_WORDING[lang]["jobs"].format(used=result.jobs, asked=jobs))
    raise typer.Exit(ExitCode.NON_CONFORME if result.errors else ExitCode.CONFORME)


_VALIDATE_WORDING = table("cli.aaf_validate.")
"""The lines ``aaf validate`` prints beside its report, in French and English."""


def _cap(max_findings: int | None) -> int | None:
    """``--max-findings``: the library default when not given, no cap for 0."""
    from sdet_check.aaf.report import MAX_FINDINGS_PER_RULE

    return MAX_FINDINGS_PER_RULE if max_findings is None else max_findings or None


@contextlib.contextmanager
def _output(out: Path | None) -> Iterator[TextIO]:
    from sdet_check.errors import InputError

    if out is None:
        yield sys.stdout
        return
    try:
        stream = out.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise InputError(
            out,
            msg("input.cli_aaf.output.input_error", strerror=exc.strerror),
            msg("input.cli_aaf.output.input_error_2"),
        ) from None
    with stream:
        yield stream


@contextlib.contextmanager
def _progress() -> Iterator[OnProgress]:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("[bold]AAF validation" if state.lang == "en" else "[bold]Validation AAF"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=err_console,
        transient=True,
    )
    task = progress.add_task("", total=None)

    def advance(source: SourceFile, done: int) -> None:
        progress.update(task, completed=done, description=source.name)

    with progress:
        yield advance


@aaf_app.command("generate", help=text("cli.aaf.generate_command.help"))
def generate_command(
    out: Annotated[
        Path,
        typer.Argument(
            metavar=text("cli.metavar.folder"), help=text("cli.aaf.generate_command.help_2")
        ),
    ],
    structures: Annotated[
        int,
        typer.Option(
            "--structures",
            "-n",
            min=1,
            max=10_000,
            help=text("cli.aaf.generate_command.structures"),
        ),
    ] = 3,
    seed: Annotated[int, typer.Option("--seed", help=text("cli.aaf.generate_command.seed"))] = 1,
    defects: Annotated[
        str | None,
        typer.Option(
            "--defects",
            help=text("cli.aaf.generate_command.defects"),
        ),
    ] = None,
    size_mb: Annotated[
        float | None,
        typer.Option("--size-mb", min=0.01, help=text("cli.aaf.generate_command.size_mb")),
    ] = None,
    chunk_records: Annotated[
        int,
        typer.Option("--chunk-records", min=1, help=text("cli.aaf.generate_command.chunk_records")),
    ] = 5000,
    delta: Annotated[
        bool,
        typer.Option("--delta/--no-delta", help=text("cli.aaf.generate_command.delta")),
    ] = True,
    force: Annotated[
        bool,
        typer.Option("--force", help=text("cli.aaf.generate_command.force")),
    ] = False,
    format_version: Annotated[
        str | None,
        typer.Option(
            "--format-version",
            help=text("cli.aaf.generate_command.format_version"),
        ),
    ] = None,
) -> None:
    """Générer un jeu AAF réaliste et déterministe, avec des défauts injectés si demandé."""
    from sdet_check.aaf.generate import FORMAT_VERSIONS, GenerationOptions, generate, parse_defects

    format_version = format_version or FORMAT_VERSIONS[0]
    if format_version not in FORMAT_VERSIONS:
        raise typer.BadParameter(
            msg("cli.aaf.generate_command.error", format_versions=", ".join(FORMAT_VERSIONS)),
            param_hint="--format-version",
        )
    try:
        wanted = parse_defects(defects)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--defects") from None
    options = GenerationOptions(
        structures=structures,
        seed=seed,
        defects=wanted,
        size_mb=size_mb,
        chunk_records=chunk_records,
        delta=delta,
        format_version=format_version,
    )
    manifest = generate(out, options, overwrite=force)
    counts = manifest["counts"]
    err_console.print(
        msg(
            "cli.aaf.generate_command.out",
            out=out,
            count=len(manifest["files"]),
            value=f"{manifest['bytes'] / 1e6:.1f}",
            eleve=counts["Eleve"],
            pers_rel_eleve=counts["PersRelEleve"],
            pers_educ_nat=counts["PersEducNat"],
            etab_educ_nat=counts["EtabEducNat"],
            count2=len(manifest["defects"]),
        )
    )


@aaf_app.command("scenario", help=text("cli.aaf.scenario_command.help"))
def scenario_command(
    out: Annotated[
        Path,
        typer.Argument(
            metavar=text("cli.metavar.folder"), help=text("cli.aaf.scenario_command.help_2")
        ),
    ],
    force: Annotated[
        bool, typer.Option("--force", help=text("cli.aaf.scenario_command.force"))
    ] = False,
) -> None:
    """Écrire le scénario d'import AAF : jeux Complet et Delta datés et l'annuaire attendu."""
    from sdet_check.aaf.scenario import build_scenario, requirements_shown, write_scenario
    from sdet_check.errors import InputError

    if out.exists() and any(out.iterdir()) and not force:
        raise InputError(
            out,
            msg("input.cli_aaf.scenario_command.input_error"),
            msg("input.cli_aaf.scenario_command.input_error_2"),
        )
    steps = build_scenario()
    manifest = write_scenario(out, steps)
    expectations = sum(len(step.expectations) for step in steps)
    err_console.print(
        msg(
            "cli.aaf.scenario_command.out",
            out=out,
            count=len(steps),
            expectations=expectations,
            count2=len(requirements_shown(steps)),
            name=manifest.name,
        )
    )


@aaf_app.command("rules", help=text("cli.aaf.rules_command.help"))
def rules_command(
    fmt: Annotated[
        RulesFormat, typer.Option("--format", "-f", help=text("cli.aaf.rules_command.format"))
    ] = RulesFormat.TERMINAL,
) -> None:
    """Lister les règles de validation AAF et les exigences de la grille qu'elles étayent."""
    from sdet_check.aaf.report import rules_json
    from sdet_check.aaf.rules import RULES

    lang = state.lang
    if fmt is RulesFormat.JSON:
        typer.echo(json.dumps(rules_json(lang=lang), ensure_ascii=False, indent=1))
        return
    table = Table(show_edge=False)
    columns = ("rule", "severity", "title", "requirements")
    for column in columns if lang == "en" else ("règle", "sévérité", "titre", "exigences"):
        table.add_column(column)
    for rule in RULES.values():
        title = rule.text(lang)[0]
        table.add_row(rule.id, rule.severity.label(lang), title, ", ".join(rule.requirements))
    console.print(table)
