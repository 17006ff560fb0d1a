"""The typer application object and the options shared by every command."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import typer

from sdet_check import __version__
from sdet_check.messages import (
    click_translations,
    current_language,
    early_language,
    msg,
    set_language,
    text,
)


class Lang(StrEnum):
    """Languages of the outputs."""

    FR = "fr"
    EN = "en"


@dataclass
class CliState:
    """Options given before the command (``sdet-check --debug run ...``)."""

    debug: bool = False
    lang: str = "fr"


def speak(lang: str) -> None:
    """Make ``lang`` the language of messages and of Typer's own words (help, usage, errors).

    Help texts are built when the command modules are imported, so this runs first, with the
    language read from a leading ``--lang`` or ``SDET_CHECK_LANG``. Typer takes part of its
    strings from :mod:`gettext` (``_`` in its modules, some at import time) and hard-codes the
    rest in the Click it vendors (the help option, the ``Usage:`` prefix): both get the
    French text of the catalogue (:func:`~sdet_check.messages.click_translations`). Should a
    Typer release move these, its words stay English and the CLI tests say so.
    """
    import typer.core
    import typer.rich_utils

    set_language(lang)
    translations = click_translations(lang)
    modules: list[Any] = [typer.core, typer.rich_utils]
    for module in modules:
        module._ = translations.gettext
    # Typer translated its panel titles when it was imported: translate them again.
    for name, value in vars(typer.rich_utils).items():
        if name.isupper() and isinstance(value, str):
            original = _TYPER_ENGLISH.setdefault(name, value)
            setattr(typer.rich_utils, name, translations.gettext(original))
    _translate_vendored_click(translations.gettext)


_TYPER_ENGLISH: dict[str, str] = {}
"""Typer's import-time strings in English, by constant name (to switch language again)."""


def _translate_vendored_click(translate: Callable[[str], str]) -> None:
    """The help option's text and the usage prefix, which Typer's Click does not translate."""
    try:
        from typer._click.core import Command
        from typer._click.formatting import HelpFormatter
    except ImportError:  # another Typer: its own words
        return
    original_help = _ORIGINALS.setdefault("help", Command.get_help_option)
    original_usage = _ORIGINALS.setdefault("usage", HelpFormatter.write_usage)

    def get_help_option(self: Any, ctx: Any) -> Any:
        option = original_help(self, ctx)
        if option is not None:
            option.help = translate("Show this message and exit.")
        return option

    def write_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        shown = translate("Usage:") + " " if prefix is None else prefix
        original_usage(self, prog, args, shown)

    Command.get_help_option = get_help_option  # type: ignore[method-assign]
    HelpFormatter.write_usage = write_usage  # type: ignore[method-assign]


_ORIGINALS: dict[str, Any] = {}


speak(early_language(sys.argv[1:]))

state = CliState(lang=current_language())

app = typer.Typer(
    name="sdet-check",
    help=text("cli.app.module.app"),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)
grid_app = typer.Typer(help=text("cli.app.module.app_2"))
probes_app = typer.Typer(help=text("cli.app.module.app_3"))
app.add_typer(grid_app, name="grid")
app.add_typer(probes_app, name="probes")


def _version(value: bool) -> None:
    if value:
        typer.echo(msg("cli.app.version.out", version=__version__))
        raise typer.Exit(0)


@app.callback(help=text("cli.app.root.help"))
def root(
    debug: Annotated[bool, typer.Option("--debug", help=text("cli.app.root.debug"))] = False,
    lang: Annotated[
        Lang,
        typer.Option("--lang", envvar="SDET_CHECK_LANG", help=text("cli.app.root.lang")),
    ] = Lang.FR,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help=text("cli.app.root.version")
        ),
    ] = False,
) -> None:
    """Évalue un ENT au regard du SDET : grilles, sondes, rapports."""
    state.debug = debug or bool(os.environ.get("SDET_CHECK_DEBUG"))
    state.lang = lang.value
    if lang.value != current_language():
        speak(lang.value)
