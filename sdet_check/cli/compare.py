"""``sdet-check compare``: the solutions of a tender side by side."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from sdet_check.cli.app import app, state
from sdet_check.cli.console import console, err_console
from sdet_check.messages import msg, text
from sdet_check.redaction import visible_controls

if TYPE_CHECKING:
    from sdet_check.compare import Comparison


class CompareFormat(StrEnum):
    """Files ``compare`` can write."""

    HTML = "html"
    PDF = "pdf"
    CSV = "csv"


_STANDING_STYLE = {
    "recevable": "bold green",
    "a_completer": "bold magenta",
    "eliminee": "bold red",
}


@app.command("compare", help=text("cli.compare.compare_command.help"))
def compare_command(
    runs: Annotated[
        list[Path],
        typer.Argument(metavar="RUN.json...", help=text("cli.compare.compare_command.help_2")),
    ],
    weights: Annotated[
        Path | None,
        typer.Option("--weights", "-w", help=text("cli.compare.compare_command.weights")),
    ] = None,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help=text("cli.compare.compare_command.out")),
    ] = Path("."),
    fmt: Annotated[
        list[CompareFormat] | None,
        typer.Option("--format", "-f", help=text("cli.compare.compare_command.format")),
    ] = None,
    allow_mixed_versions: Annotated[
        bool,
        typer.Option(
            "--allow-mixed-versions",
            help=text("cli.compare.compare_command.allow_mixed_versions"),
        ),
    ] = False,
) -> None:
    """Comparer des solutions : MUST éliminatoires, SHOULD pondérées, classement, écarts."""
    from sdet_check.compare import Weights, check_comparable, compare_runs
    from sdet_check.compare import load_weights as read_weights
    from sdet_check.reporters.comparison import COMPARISON_FORMATS
    from sdet_check.run import load_run

    records = [load_run(path) for path in runs]
    names = [str(path) for path in runs]
    check_comparable(records, names, allow_mixed=allow_mixed_versions)
    requirements = [r for record in records for r in record["grid"]["requirements"]]
    buyer_weights = read_weights(weights, requirements) if weights else Weights()
    comparison = compare_runs(records, buyer_weights, names)
    out.mkdir(parents=True, exist_ok=True)
    for name in dict.fromkeys(fmt or [CompareFormat.HTML]):
        filename, render = COMPARISON_FORMATS[name.value]
        path = out / filename
        path.write_bytes(render(comparison, state.lang))
        err_console.print(msg("cli.compare.compare_command.out_2", path=path))
    console.print(_ranking_table(comparison, state.lang))


def _ranking_table(comparison: Comparison, lang: str) -> Table:
    from sdet_check.reporters.base import percent

    table = Table(title=text("cli.compare.ranking", lang), show_edge=False)
    for column in text("cli.compare.columns", lang).split("|"):
        table.add_column(column)
    for solution in comparison.ranking():
        table.add_row(
            str(solution.rank) if solution.rank else "—",
            visible_controls(solution.label),
            Text(solution.standing.label(lang), style=_STANDING_STYLE[solution.standing.value]),
            visible_controls(", ".join(solution.gate_failures)) or "—",
            percent(solution.should_score),
        )
    differing = len(comparison.differing())
    table.caption = text(
        "cli.compare.differing", lang, differing=differing, count=len(comparison.rows)
    )
    return table
