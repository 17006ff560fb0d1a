"""The typer application object and the options shared by every command."""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

import typer

from sdet_check import __version__


class Lang(StrEnum):
    """Languages of the outputs."""

    FR = "fr"
    EN = "en"


@dataclass
class CliState:
    """Options given before the command (``sdet-check --debug run ...``)."""

    debug: bool = False
    lang: str = "fr"


state = CliState()

app = typer.Typer(
    name="sdet-check",
    help="Évalue un espace numérique de travail (ENT) au regard du SDET.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)
grid_app = typer.Typer(help="Grilles d'exigences : lister, afficher, valider, comparer, exporter.")
probes_app = typer.Typer(help="Sondes installées.")
app.add_typer(grid_app, name="grid")
app.add_typer(probes_app, name="probes")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sdet-check {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Montrer la trace complète des erreurs.")
    ] = False,
    lang: Annotated[
        Lang,
        typer.Option("--lang", envvar="SDET_CHECK_LANG", help="Langue des sorties : fr ou en."),
    ] = Lang.FR,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Afficher la version."),
    ] = False,
) -> None:
    """Évalue un ENT au regard du SDET : grilles, sondes, rapports."""
    state.debug = debug or bool(os.environ.get("SDET_CHECK_DEBUG"))
    state.lang = lang.value
