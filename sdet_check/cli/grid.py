"""``sdet-check grid ...`` and ``sdet-check probes list``."""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from sdet_check.cli.app import grid_app, probes_app, state
from sdet_check.cli.console import console
from sdet_check.messages import catalogue, msg, text

if TYPE_CHECKING:
    from sdet_check.grid import Axis, Grid, Requirement

GRID_DIFF_FILE = "evolution-grille.html"
GRID_DIFF_PDF = "evolution-grille.pdf"

AxisOption = Annotated[list[str] | None, typer.Option("--axis", help=text("cli.grid.module.axis"))]
LevelOption = Annotated[
    list[str] | None, typer.Option("--level", help=text("cli.grid.module.level"))
]
TagOption = Annotated[list[str] | None, typer.Option("--tag", help=text("cli.grid.module.tag"))]
DegreeOption = Annotated[
    list[str] | None, typer.Option("--degree", help=text("cli.grid.module.degree"))
]
ScopeOption = Annotated[
    list[str] | None,
    typer.Option("--scope", help=text("cli.grid.module.scope")),
]


class ExportFormat(StrEnum):
    """Formats of ``grid export``."""

    CSV = "csv"
    MD = "md"
    HTML = "html"
    PDF = "pdf"
    ODS = "ods"


def _filtered(
    grid: Grid,
    axes: list[str] | None,
    levels: list[str] | None,
    tags: list[str] | None,
    degrees: list[str] | None = None,
    scopes: list[str] | None = None,
) -> list[Requirement]:
    wanted_levels = {level.upper() for level in levels or []}
    return [
        r
        for r in grid.requirements
        if (not axes or r.axis in axes)
        and (not wanted_levels or r.level.value in wanted_levels)
        and (not tags or set(tags) & set(r.tags))
        and (not degrees or set(degrees) & r.degrees)
        and (not scopes or set(scopes) & r.scopes)
    ]


@grid_app.command("list", help=text("cli.grid.grid_list.help"))
def grid_list() -> None:
    """Lister les grilles fournies (famille/version, statut, nombre d'exigences)."""
    from sdet_check.grid import grid_folders, load_grid

    table = Table(show_edge=False)
    for column in text("cli.grid.columns.list").split("|"):
        table.add_column(column)
    for folder in grid_folders():
        grid = load_grid(folder)
        levels = Counter(r.level.value for r in grid.requirements)
        table.add_row(
            grid.ref,
            grid.status,
            grid.published,
            str(len(grid.requirements)),
            str(levels["MUST"]),
            str(levels["SHOULD"]),
            grid.title.get(state.lang),
        )
    console.print(table)


@grid_app.command("show", help=text("cli.grid.grid_show.help"))
def grid_show(
    grid_ref: Annotated[
        str,
        typer.Argument(metavar=text("cli.metavar.grid"), help=text("cli.grid.grid_show.help_2")),
    ],
    axis: AxisOption = None,
    level: LevelOption = None,
    tag: TagOption = None,
    details: Annotated[
        bool, typer.Option("--details", help=text("cli.grid.grid_show.details"))
    ] = False,
) -> None:
    """Afficher les exigences d'une grille, filtrées par axe, niveau ou étiquette."""
    from sdet_check.api import open_grid
    from sdet_check.grid import source_label

    grid = open_grid(grid_ref)
    axis = [grid.axis_id(name) for name in axis or []]  # by id or by label
    _refuse_unknown_filters(grid, axis, level, tag)
    requirements = _filtered(grid, axis, level, tag)
    lang = state.lang
    table = Table(title=f"{grid.title.get(lang)} — {grid.ref}", show_edge=False, expand=True)
    table.add_column("id", no_wrap=True)
    table.add_column(text("cli.grid.columns.axis"), no_wrap=True)
    table.add_column(text("cli.grid.columns.level"), no_wrap=True)
    table.add_column(text("cli.grid.columns.title"), ratio=1)
    table.add_column(text("cli.grid.columns.verification"))
    for r in requirements:
        title = Text(r.title.get(lang), style="bold" if details else "")
        if details:
            title.append(f"\n{r.statement.get(lang)}", style="")
            heading = source_label(r.to_json()["source"], grid.version, lang)
            title.append(
                "\n" + text("cli.grid.show.source", lang, heading=heading, source=r.source.label()),
                style="dim",
            )
            if r.source.wording:
                title.append(f"\n« {r.source.wording} »", style="dim italic")
            if r.remediation:
                title.append(
                    "\n" + text("cli.grid.show.remediation", lang, fix=r.remediation.get(lang)),
                    style="",
                )
        method = r.verification.method.value
        if r.verification.probe:
            method = msg("cli.grid.show.probe", probe=r.verification.probe)
        level_text = f"{r.level.value}" + ("" if r.level_basis == "stated" else "*")
        table.add_row(r.id, _axis_shown(grid, r.axis, lang), level_text, title, method)
    console.print(table)
    levels = Counter(r.level.value for r in requirements)
    console.print(
        msg(
            "cli.grid.grid_show.out",
            count=len(requirements),
            must=levels["MUST"],
            should=levels["SHOULD"],
            count2=len(grid.requirements),
        )
    )


def _axis_shown(grid: Grid, axis_id: str, lang: str) -> str:
    """The axis column: its id in French (as always), its short English label in English."""
    if lang == "fr":
        return axis_id
    try:
        label = grid.axis(axis_id).label.get(lang)
    except KeyError:
        return axis_id
    return label.split(" (")[0] or axis_id


def _axis_known(axis: Axis) -> str:
    """An axis as the refusal lists it: its id, and in English the label the table shows."""
    if state.lang != "en":
        return axis.id
    return f"{axis.id} ({axis.label.en.split(' (')[0]})"


def _refuse_unknown_filters(
    grid: Grid,
    axes: list[str] | None,
    levels: list[str] | None,
    tags: list[str] | None,
    degrees: list[str] | None = None,
    scopes: list[str] | None = None,
) -> None:
    from sdet_check.labels import LEVEL_LABELS

    known_degrees = sorted({d for r in grid.requirements for d in r.degrees})
    known_scopes = sorted({s for r in grid.requirements for s in r.scopes})
    unknown = "cli.grid.refuse_unknown_filters"
    bad = [
        msg(f"{unknown}.axis", value=a) for a in axes or [] if a not in {x.id for x in grid.axes}
    ]
    bad += [
        msg(f"{unknown}.level", value=lv)
        for lv in levels or []
        if lv.upper() not in LEVEL_LABELS["fr"]
    ]
    bad += [msg(f"{unknown}.tag", value=t) for t in tags or [] if t not in grid.tags()]
    bad += [msg(f"{unknown}.degree", value=d) for d in degrees or [] if d not in known_degrees]
    bad += [msg(f"{unknown}.scope", value=s) for s in scopes or [] if s not in known_scopes]
    if bad:
        raise typer.BadParameter(
            msg(
                "cli.grid.refuse_unknown_filters.error",
                bad=bad,
                ref=grid.ref,
                axes_known=", ".join(_axis_known(axis) for axis in grid.axes),
                degrees=", ".join(known_degrees),
                scopes=", ".join(known_scopes),
            )
        )


@grid_app.command("validate", help=text("cli.grid.grid_validate.help"))
def grid_validate(
    grid_ref: Annotated[
        str,
        typer.Argument(
            metavar=text("cli.metavar.grid"), help=text("cli.grid.grid_validate.help_2")
        ),
    ],
) -> None:
    """Valider une grille : schémas, identifiants uniques, versions, sondes et paramètres."""
    from sdet_check.grid import load_grid, resolve_grid
    from sdet_check.registry import ProbeRegistry

    registry = ProbeRegistry.from_entry_points()
    grid = load_grid(resolve_grid(grid_ref), registry)
    per_axis = Counter((r.axis, r.level.value) for r in grid.requirements)
    probes = Counter(r.verification.method.value for r in grid.requirements)
    console.print(
        msg("cli.grid.grid_validate.out", escape=escape(grid.ref), count=len(grid.requirements))
    )
    for axis in grid.axes:
        console.print(
            msg(
                "cli.grid.grid_validate.out_2",
                id_=f"{axis.id:<12}",
                per_axis=f"{per_axis[(axis.id, 'MUST')]:>3}",
                per_axis2=f"{per_axis[(axis.id, 'SHOULD')]:>3}",
            )
        )
    console.print(
        msg(
            "cli.grid.grid_validate.out_3",
            probe=probes["probe"],
            declaration=probes["declaration"],
            review=probes["review"],
        )
    )
    console.print(msg("cli.grid.grid_validate.out_4", content_hash=grid.content_hash))


class DiffFormat(StrEnum):
    """Outputs of the two diff commands, ``grid diff`` and ``diff``."""

    TERMINAL = "terminal"
    HTML = "html"
    PDF = "pdf"


@grid_app.command("diff", help=text("cli.grid.grid_diff.help"))
def grid_diff(
    old: Annotated[
        str,
        typer.Argument(
            metavar=text("cli.metavar.old_grid"), help=text("cli.grid.grid_diff.help_2")
        ),
    ],
    new: Annotated[
        str,
        typer.Argument(
            metavar=text("cli.metavar.new_grid"), help=text("cli.grid.grid_diff.help_3")
        ),
    ],
    fmt: Annotated[
        DiffFormat, typer.Option("--format", "-f", help=text("cli.grid.grid_diff.format"))
    ] = DiffFormat.TERMINAL,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help=text("cli.grid.grid_diff.out"),
        ),
    ] = None,
) -> None:
    """Comparer deux versions de grille : ajouts, retraits, niveaux modifiés, reformulations."""
    from sdet_check.api import open_grid
    from sdet_check.griddiff import ChangeKind, diff_grids
    from sdet_check.reporters.followup import render_griddiff_html

    old_grid, new_grid = open_grid(old), open_grid(new)
    diff = diff_grids(old_grid, new_grid)
    if fmt is DiffFormat.PDF:
        from sdet_check.reporters.followup import render_griddiff_pdf

        pdf_dir = out or Path.cwd()
        pdf_dir.mkdir(parents=True, exist_ok=True)
        pdf_path = pdf_dir / GRID_DIFF_PDF
        pdf_path.write_bytes(render_griddiff_pdf(diff, old_grid, new_grid, state.lang))
        console.print(msg("cli.grid.grid_diff.out_2", path=pdf_path), markup=False)
        return
    if fmt is DiffFormat.HTML:
        html = render_griddiff_html(diff, old_grid, new_grid, state.lang)
        if out is None:
            typer.echo(html.decode("utf-8"), nl=False)
            return
        out.mkdir(parents=True, exist_ok=True)
        path = out / GRID_DIFF_FILE
        path.write_bytes(html)
        console.print(msg("cli.grid.grid_diff.out_2", path=path))
        return
    titles = {
        ChangeKind.ADDED: text("cli.grid.diff.added"),
        ChangeKind.REMOVED: text("cli.grid.diff.removed"),
        ChangeKind.RELEVELLED: text("cli.grid.diff.relevelled"),
        ChangeKind.REWORDED: text("cli.grid.diff.reworded"),
        ChangeKind.MOVED: text("cli.grid.diff.moved"),
        ChangeKind.SOURCE: text("cli.grid.diff.source"),
        ChangeKind.VERIFICATION: text("cli.grid.diff.verification"),
        ChangeKind.APPLICABILITY: text("cli.grid.diff.applicability"),
    }
    console.print(
        msg("cli.grid.grid_diff.out_3", old_ref=diff.old_ref, new_ref=diff.new_ref),
        style="bold",
        markup=False,
    )
    # An added or removed requirement is named by its title in the output language.
    by_id = {r.id: r for r in (*old_grid.requirements, *new_grid.requirements)}

    def headline(requirement_id: str, recorded: str | None) -> str:
        requirement = by_id.get(requirement_id)
        if requirement is None:
            return recorded or ""
        return f"[{requirement.level.value}] {requirement.title.get(state.lang)}"

    for kind, title in titles.items():
        changes = diff.of_kind(kind)
        if not changes:
            continue
        console.print(msg("cli.grid.grid_diff.out_4", title=title, count=len(changes)))
        for change in changes:
            if kind is ChangeKind.ADDED:
                console.print(
                    msg(
                        "cli.grid.grid_diff.out_5",
                        requirement_id=change.requirement_id,
                        new=headline(change.requirement_id, change.new),
                    ),
                    markup=False,
                )
            elif kind is ChangeKind.REMOVED:
                console.print(
                    msg(
                        "cli.grid.grid_diff.out_6",
                        requirement_id=change.requirement_id,
                        old=headline(change.requirement_id, change.old),
                    ),
                    markup=False,
                )
            elif kind is ChangeKind.REWORDED:
                console.print(
                    msg("cli.grid.grid_diff.out_7", requirement_id=change.requirement_id),
                    markup=False,
                )
                console.print(
                    msg("cli.grid.grid_diff.out_8", old=change.old), style="dim", markup=False
                )
                console.print(msg("cli.grid.grid_diff.out_9", new=change.new), markup=False)
            else:
                console.print(
                    msg(
                        "cli.grid.grid_diff.out_10",
                        requirement_id=change.requirement_id,
                        old=change.old,
                        new=change.new,
                    ),
                    markup=False,
                )
    if not diff.changes:
        console.print(msg("cli.grid.grid_diff.out_11"))


@grid_app.command("export", help=text("cli.grid.grid_export.help"))
def grid_export(
    grid_ref: Annotated[str, typer.Argument(metavar=text("cli.metavar.grid"))],
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help=text("cli.grid.grid_export.format"))
    ] = ExportFormat.CSV,
    out: Annotated[
        Path | None,
        typer.Option("--out", help=text("cli.grid.grid_export.out")),
    ] = None,
    axis: AxisOption = None,
    level: LevelOption = None,
    tag: TagOption = None,
    degree: DegreeOption = None,
    scope: ScopeOption = None,
) -> None:
    """Exporter une grille : CSV (tableurs), Markdown, ou grille de lecture HTML, PDF, ODS.

    La grille de lecture s'annexe à un appel d'offres (CCTP) : chaque exigence avec son
    niveau, sa source et la manière dont elle sera vérifiée (sonde, déclaration du candidat
    avec la preuve attendue, revue par l'auditeur).
    """
    from sdet_check.api import open_grid

    grid = open_grid(grid_ref)
    axis = [grid.axis_id(name) for name in axis or []]  # by id or by label
    _refuse_unknown_filters(grid, axis, level, tag, degree, scope)
    requirements = _filtered(grid, axis, level, tag, degree, scope)
    filters = {
        "axis": axis or [],
        "level": [lv.upper() for lv in level or []],
        "tag": tag or [],
        "degree": degree or [],
        "scope": scope or [],
    }
    content = _export_bytes(grid, requirements, fmt, filters)
    if out is None:
        if fmt in (ExportFormat.PDF, ExportFormat.ODS):
            raise typer.BadParameter(
                msg("cli.grid.grid_export.binary", format=fmt.value),
                param_hint="--out",
            )
        typer.echo(content.decode("utf-8"), nl=False)
        return
    try:
        out.write_bytes(content)
    except OSError as exc:
        raise typer.BadParameter(
            msg("cli.grid.grid_export.error", out=out, strerror=exc.strerror), param_hint="--out"
        ) from None
    console.print(msg("cli.grid.grid_export.out_2", count=len(requirements), out=out), markup=False)


def _export_bytes(
    grid: Grid, requirements: list[Requirement], fmt: ExportFormat, filters: dict[str, list[str]]
) -> bytes:
    from sdet_check.gridexport import export_csv, export_markdown, export_ods
    from sdet_check.reporters.readinggrid import (
        render_reading_grid_html,
        render_reading_grid_pdf,
    )

    lang = state.lang
    if fmt is ExportFormat.CSV:
        return export_csv(grid, requirements, lang).encode("utf-8")
    if fmt is ExportFormat.MD:
        return export_markdown(grid, requirements, lang).encode("utf-8")
    if fmt is ExportFormat.HTML:
        return render_reading_grid_html(grid, requirements, lang, filters)
    if fmt is ExportFormat.PDF:
        return render_reading_grid_pdf(grid, requirements, lang, filters)
    return export_ods(grid, requirements, lang, filters)


def _probe_title(probe: Any) -> str:
    """A probe's title in the output language: the catalogue's for a built-in probe, else its own.

    The catalogue knows a built-in probe by its French title too, so that an extension that
    reuses a kind with a title of its own shows that title.
    """
    message_id = f"probe.title.{probe.kind}"
    known = catalogue().get(message_id)
    if known is None or known.get("fr") != probe.title:
        return str(probe.title)
    return text(message_id)


@probes_app.command("list", help=text("cli.grid.probes_list.help"))
def probes_list() -> None:
    """Lister les sondes installées (intégrées et extensions)."""
    from sdet_check.registry import ProbeRegistry

    registry = ProbeRegistry.from_entry_points()
    table = Table(show_edge=False)
    for column in ("probe", "needs", "observes", "module"):
        table.add_column(text(f"cli.grid.probes_list.columns.{column}"))
    for probe in registry.probes():
        table.add_row(probe.kind, ", ".join(probe.needs), _probe_title(probe), probe.__module__)
    console.print(table)
    for message in registry.broken:
        console.print(msg("cli.grid.probes_list.out", escape=escape(message)))
