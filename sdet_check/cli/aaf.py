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

if TYPE_CHECKING:
    from sdet_check.aaf.model import SourceFile
    from sdet_check.aaf.validate import OnProgress

aaf_app = typer.Typer(help="Fichiers d'alimentation AAF (ficAlimMENESR) : valider, générer.")
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


@aaf_app.command("validate")
def validate_command(
    path: Annotated[
        Path, typer.Argument(metavar="CHEMIN", help="Dossier de fichiers AAF, ou un fichier.")
    ],
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="terminal, json ou csv.")
    ] = OutputFormat.TERMINAL,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Fichier écrit (sortie standard sinon).")
    ] = None,
    dtd: Annotated[
        Path | None,
        typer.Option("--dtd", help="DTD à utiliser (par défaut celle du dossier, sinon intégrée)."),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="Constats affichés par règle (terminal).")
    ] = 10,
    show_values: Annotated[
        bool,
        typer.Option("--show-values", help="Montrer les valeurs personnelles dans les messages."),
    ] = False,
    jobs: Annotated[
        int,
        typer.Option("--jobs", "-j", min=1, max=64, help="Processus de lecture en parallèle."),
    ] = 1,
    max_findings: Annotated[
        int | None,
        typer.Option(
            "--max-findings",
            min=0,
            help="Constats écrits par règle en JSON/CSV (10000 par défaut ; 0 : tous ; "
            "les totaux restent exacts).",
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
        err_console.print(
            words["totals"].format(
                errors=result.errors, warnings=result.warnings, files=len(result.files)
            )
            + (words["report"].format(out=out) if out else "")
        )
    if result.jobs < jobs:
        err_console.print(_VALIDATE_WORDING[lang]["jobs"].format(used=result.jobs, asked=jobs))
    raise typer.Exit(ExitCode.NON_CONFORME if result.errors else ExitCode.CONFORME)


_VALIDATE_WORDING = {
    "fr": {
        "written": "Rapport écrit dans {out}",
        "totals": "{errors} erreur(s), {warnings} avertissement(s) dans {files} fichier(s)",
        "report": " ; rapport : {out}",
        "jobs": "Lecture en {used} processus (--jobs {asked} demandé) : jeu de moins de "
        "16 Mo, moins de fichiers, ou processeurs déjà occupés (charge de la dernière minute)",
    },
    "en": {
        "written": "Report written to {out}",
        "totals": "{errors} error(s), {warnings} warning(s) in {files} file(s)",
        "report": "; report: {out}",
        "jobs": "Read with {used} process(es) (--jobs {asked} asked): set under 16 MB, fewer "
        "files, or processors already busy (load of the last minute)",
    },
}
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
            out, f"écriture impossible ({exc.strerror})", "choisir un autre fichier"
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


@aaf_app.command("generate")
def generate_command(
    out: Annotated[Path, typer.Argument(metavar="DOSSIER", help="Dossier où écrire le jeu.")],
    structures: Annotated[
        int, typer.Option("--structures", "-n", min=1, max=10_000, help="Nombre de structures.")
    ] = 3,
    seed: Annotated[int, typer.Option("--seed", help="Graine : même graine, même jeu.")] = 1,
    defects: Annotated[
        str | None,
        typer.Option(
            "--defects",
            help="Défauts à injecter : identifiants de règles séparés par des virgules, ou all.",
        ),
    ] = None,
    size_mb: Annotated[
        float | None,
        typer.Option("--size-mb", min=0.01, help="Taille visée du jeu en Mo (élèves ajustés)."),
    ] = None,
    chunk_records: Annotated[
        int, typer.Option("--chunk-records", min=1, help="Requêtes par fichier au plus.")
    ] = 5000,
    delta: Annotated[
        bool, typer.Option("--delta/--no-delta", help="Écrire aussi un jeu Delta du lendemain.")
    ] = True,
    force: Annotated[
        bool,
        typer.Option("--force", help="Écrire dans un dossier non vide (remplace un jeu généré)."),
    ] = False,
    format_version: Annotated[
        str | None,
        typer.Option(
            "--format-version",
            help="Version du format AAF écrite (défaut : la plus récente que sdet-check connaît).",
        ),
    ] = None,
) -> None:
    """Générer un jeu AAF réaliste et déterministe, avec des défauts injectés si demandé."""
    from sdet_check.aaf.generate import FORMAT_VERSIONS, GenerationOptions, generate, parse_defects

    format_version = format_version or FORMAT_VERSIONS[0]
    if format_version not in FORMAT_VERSIONS:
        raise typer.BadParameter(
            f"version inconnue (connues : {', '.join(FORMAT_VERSIONS)})",
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
        f"Jeu écrit dans {out} : {len(manifest['files'])} fichiers, "
        f"{manifest['bytes'] / 1e6:.1f} Mo ; {counts['Eleve']} élèves, "
        f"{counts['PersRelEleve']} responsables, {counts['PersEducNat']} personnels, "
        f"{counts['EtabEducNat']} structures ; {len(manifest['defects'])} défaut(s) injecté(s) "
        "(manifest.json)"
    )


@aaf_app.command("scenario")
def scenario_command(
    out: Annotated[
        Path, typer.Argument(metavar="DOSSIER", help="Dossier où écrire les étapes du scénario.")
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Écrire dans un dossier non vide.")
    ] = False,
) -> None:
    """Écrire le scénario d'import AAF : jeux Complet et Delta datés et l'annuaire attendu."""
    from sdet_check.aaf.scenario import build_scenario, requirements_shown, write_scenario
    from sdet_check.errors import InputError

    if out.exists() and any(out.iterdir()) and not force:
        raise InputError(out, "dossier non vide", "choisir un dossier vide ou ajouter --force")
    steps = build_scenario()
    manifest = write_scenario(out, steps)
    expectations = sum(len(step.expectations) for step in steps)
    err_console.print(
        f"Scénario écrit dans {out} : {len(steps)} étapes à importer dans l'ordre des dossiers, "
        f"{expectations} constats attendus couvrant {len(requirements_shown(steps))} exigences "
        f"({manifest.name})"
    )


@aaf_app.command("rules")
def rules_command(
    fmt: Annotated[
        RulesFormat, typer.Option("--format", "-f", help="terminal ou json.")
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
