"""``sdet-check questionnaire GRILLE --out q.ods`` and ``sdet-check questionnaire import``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from sdet_check.cli.app import app, state
from sdet_check.cli.console import console
from sdet_check.messages import msg, text

if TYPE_CHECKING:
    # typer bundles its own click; its Context is the type TyperGroup's methods take.
    from typer._click.core import Context


class _ExportByDefault(TyperGroup):
    """``questionnaire sdet/6.4`` means ``questionnaire export sdet/6.4``."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        """Insert ``export`` when the first word is not a subcommand (nor an option)."""
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["export", *args]
        return super().parse_args(ctx, args)


questionnaire_app = typer.Typer(
    cls=_ExportByDefault,
    help=text("cli.questionnaire.module.help"),
    no_args_is_help=True,
)
app.add_typer(questionnaire_app, name="questionnaire")


@questionnaire_app.command("export", help=text("cli.questionnaire.questionnaire_export.help"))
def questionnaire_export(
    grid_ref: Annotated[
        str,
        typer.Argument(
            metavar=text("cli.metavar.grid"),
            help=text("cli.questionnaire.questionnaire_export.grid"),
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help=text("cli.questionnaire.questionnaire_export.out"))
    ],
    prefill: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help=text("cli.questionnaire.questionnaire_export.prefill"),
        ),
    ] = None,
    rest_unanswered: Annotated[
        bool,
        typer.Option(
            "--rest-unanswered",
            help=text("cli.questionnaire.questionnaire_export.rest_unanswered"),
        ),
    ] = False,
) -> None:
    """Écrire le questionnaire ODS des exigences vérifiées par déclaration."""
    from sdet_check.api import open_grid
    from sdet_check.declarations import load_declarations
    from sdet_check.questionnaire import answers_from, declaration_items, write_questionnaire
    from sdet_check.yamlfile import read_yaml

    grid = open_grid(grid_ref)
    identity: dict[str, str] = {}
    answers = None
    if prefill is not None:
        declarations, _ = load_declarations(prefill, [r.id for r in grid.requirements])
        answers = answers_from(declarations)
        data: Any = read_yaml(prefill).data
        identity = {key: str(data[key]) for key in ("editor", "solution", "solution_version")}
        identity.update(_shared_author(declarations))
    content = write_questionnaire(
        grid, state.lang, identity=identity, answers=answers, rest_unanswered=rest_unanswered
    )
    _write(out, content)
    console.print(
        text(
            "cli.questionnaire.said.written",
            path=out,
            rows=len(declaration_items(grid)),
            ref=grid.ref,
        ),
        markup=False,
    )


def _shared_author(declarations: list[Any]) -> dict[str, str]:
    """Author and date when every declaration has the same (the questionnaire has one)."""
    authors = {(d.author, str(d.date)) for d in declarations}
    if len(authors) != 1:
        return {}
    author, day = authors.pop()
    return {"author": author, "date": day}


def _write(out: Path, content: bytes) -> None:
    try:
        out.write_bytes(content)
    except OSError as exc:
        raise typer.BadParameter(
            msg("cli.questionnaire.write.error", out=out, strerror=exc.strerror), param_hint="--out"
        ) from None


@questionnaire_app.command("import", help=text("cli.questionnaire.questionnaire_import.help"))
def questionnaire_import(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="QUESTIONNAIRE", help=text("cli.questionnaire.questionnaire_import.file")
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help=text("cli.questionnaire.questionnaire_import.out"))
    ],
    proofs: Annotated[
        Path | None,
        typer.Option("--proofs", help=text("cli.questionnaire.questionnaire_import.proofs")),
    ] = None,
    grid_ref: Annotated[
        str, typer.Option("--grid", help=text("cli.questionnaire.questionnaire_import.grid"))
    ] = "sdet",
) -> None:
    """Valider un questionnaire rempli et écrire le fichier de déclarations d'un run."""
    from sdet_check.api import open_grid
    from sdet_check.declarations import load_declarations
    from sdet_check.errors import InputError
    from sdet_check.questionnaire import import_questionnaire, write_declarations
    from sdet_check.redaction import visible_controls

    grid = open_grid(grid_ref)
    folder = proofs if proofs is not None else file.parent
    if not folder.is_dir():
        raise InputError(
            folder,
            msg("input.questionnaire.import_command.no_proofs"),
            msg("input.questionnaire.import_command.no_proofs_fix"),
        )
    imported = import_questionnaire(file, folder, grid, state.lang)
    partial = out.with_name(out.name + ".partiel")
    try:
        write_declarations(imported, partial)
        # What a run will read: the file is checked by the run's own loader before it
        # replaces anything.
        load_declarations(partial, [r.id for r in grid.requirements])
        partial.replace(out)
    except OSError as exc:
        raise typer.BadParameter(
            msg("cli.questionnaire.write.error", out=out, strerror=exc.strerror), param_hint="--out"
        ) from None
    finally:
        partial.unlink(missing_ok=True)
    counts = {"conforme": 0, "non_conforme": 0, "non_applicable": 0}
    for declaration in imported.declarations:
        counts[declaration.status] += 1
    identity = {key: visible_controls(value) for key, value in imported.identity.items()}
    console.print(
        text(
            "cli.questionnaire.said.bidder",
            editor=identity["editor"],
            solution=identity["solution"],
            version=identity["solution_version"],
            author=identity["author"],
            date=identity["date"],
        ),
        markup=False,
    )
    console.print(
        text(
            "cli.questionnaire.said.imported",
            n=len(imported.declarations),
            blank=len(imported.unanswered),
            **counts,
        ),
        markup=False,
    )
    console.print(text("cli.questionnaire.said.out", path=out), markup=False)
