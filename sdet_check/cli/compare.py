"""``sdet-check compare``: the solutions of a tender side by side."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from sdet_check.cli.app import app, state
from sdet_check.cli.console import console, err_console
from sdet_check.cli.integrity import AllowUnverifiedOption, SignCertOption, SignKeyOption
from sdet_check.messages import msg, table, text
from sdet_check.redaction import visible_controls, visible_one_line

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sdet_check.compare import Comparison
    from sdet_check.run import RunFile


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
    sign_key: SignKeyOption = None,
    sign_cert: SignCertOption = None,
    allow_unverified: AllowUnverifiedOption = False,
    visa: Annotated[
        str | None,
        typer.Option("--visa", help=text("cli.compare.compare_command.visa")),
    ] = None,
    require_signed: Annotated[
        bool,
        typer.Option("--require-signed", help=text("signatures.cli.require_signed")),
    ] = False,
    trust: Annotated[
        list[Path] | None,
        typer.Option("--trust", metavar="AC.pem", help=text("signatures.cli.compare_trust")),
    ] = None,
) -> None:
    """Comparer des solutions : MUST éliminatoires, SHOULD pondérées, classement, écarts.

    Les runs complets sont classés avant les runs partiels (sélection ou résultats
    manquants), marqués « partiel » ; les réserves sur des MUST, la fourchette du score
    SHOULD et les pièces anciennes sont montrées pour chaque solution, ainsi que la
    signature de son run (signataire, autorité qui s'en porte garante avec --trust).
    """
    from contextlib import nullcontext

    from sdet_check.cli.integrity import read_runs, signing_identity, write_output
    from sdet_check.compare import Weights, check_comparable, compare_runs
    from sdet_check.compare import load_weights as read_weights
    from sdet_check.compare import require_signed as refuse_unsigned
    from sdet_check.reporters.comparison import COMPARISON_FORMATS
    from sdet_check.reporters.integrity import unverified
    from sdet_check.signing import describe_anchor, load_trust
    from sdet_check.verify import run_signature

    signer = signing_identity(sign_key, sign_cert)
    anchors = load_trust(trust or [])
    names = [str(path) for path in runs]

    def signatures_required(read: Sequence[RunFile]) -> None:
        # Before any other refusal or warning: the one error says what --require-signed
        # refuses, and names every run in the same case.
        found = [run_signature(run.path, run.raw, anchors) for run in read]
        refuse_unsigned(names, found, require_vouched=bool(anchors))

    read, problems = read_runs(
        runs,
        allow_unverified=allow_unverified,
        lang=state.lang,
        note_unsigned=not require_signed,
        before_checks=signatures_required if require_signed else None,
    )
    records = [run.record for run in read]
    signatures = [run_signature(run.path, run.raw, anchors) for run in read]
    check_comparable(records, names, allow_mixed=allow_mixed_versions)
    requirements = [r for record in records for r in record["grid"]["requirements"]]
    buyer_weights = read_weights(weights, requirements) if weights else Weights()
    comparison = compare_runs(
        records,
        buyer_weights,
        names,
        signatures=signatures,
        trust_anchors=[describe_anchor(anchor) for anchor in anchors],
    )
    out.mkdir(parents=True, exist_ok=True)
    for name in dict.fromkeys(fmt or [CompareFormat.HTML]):
        filename, render = COMPARISON_FORMATS[name.value]
        path = out / filename
        with unverified(problems) if problems else nullcontext():
            data = render(comparison, state.lang, visa)
        for written in write_output(
            path, data, signer, text("cli.compare.compare_command.reason", state.lang)
        ):
            err_console.print(msg("cli.compare.compare_command.out_2", path=written))
    console.print(_ranking_table(comparison, state.lang))
    _print_signatures(comparison, state.lang)


def _print_signatures(comparison: Comparison, lang: str) -> None:
    """One line per solution: signed or not, by whom, vouched for or not; its fingerprint."""
    from sdet_check.reporters.comparison import signature_view

    views = [(s, signature_view(s.signature, lang)) for s in comparison.ranking()]
    if not any(view for _, view in views):
        return
    console.print(text("signatures.compare.terminal_title", lang), markup=False, highlight=False)
    for solution, view in views:
        if view is None:
            continue
        # One line each, whatever a signer or target name holds: a newline there would
        # print a line the tool never wrote (a forged "vouched for").
        line = text("signatures.compare.terminal_line", lang, label=solution.label, **view)
        console.print(visible_one_line(line), markup=False, highlight=False, soft_wrap=True)
        if view["fingerprint"]:
            print_line = text("signatures.compare.terminal_fingerprint", lang, **view)
            console.print(
                visible_one_line(print_line), markup=False, highlight=False, soft_wrap=True
            )


def _ranking_table(comparison: Comparison, lang: str) -> Table:
    from sdet_check.reporters.document import localized_percent

    words = _TABLE_WORDS[lang]
    table = Table(title=words["title"], show_edge=False)
    for column in words["columns"]:
        table.add_column(column)
    for solution in comparison.ranking():
        rank = str(solution.rank) if solution.rank else "—"
        waived = [g.requirement_id for g in solution.waivers if g.state == "valid"]
        gates = ", ".join(solution.gate_failures) or (
            f"{words['waived']} {', '.join(waived)}" if waived else "—"
        )
        low_high = solution.should_range
        score = localized_percent(solution.should_score, lang)
        if low_high and low_high[1] > low_high[0]:
            low = localized_percent(low_high[0], lang).removesuffix("%").rstrip()
            score += f" ({low}–{localized_percent(low_high[1], lang)})"
        table.add_row(
            Text(f"{rank} {words['partial']}" if solution.partial else rank, style="bold"),
            visible_controls(solution.label),
            Text(solution.standing.label(lang), style=_STANDING_STYLE[solution.standing.value]),
            visible_controls(gates),
            f"{solution.must_decided}/{solution.must_applicable}",
            score,
        )
    differing = len(comparison.differing())
    table.caption = words["caption"].format(count=differing, total=len(comparison.rows))
    return table


_TABLE_WORDS: dict[str, dict[str, Any]] = table("cli.compare.table.")
"""The ranking table's words by language (``cli.compare.table.*`` in the catalogue)."""
