"""Export a grid as CSV (spreadsheets) or Markdown (tender annexes)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from sdet_check.grid import Grid, Requirement, source_label
from sdet_check.redaction import spreadsheet_cell

_COLUMNS = {
    "fr": [
        "identifiant", "axe", "niveau", "base du niveau", "titre", "énoncé", "source",
        "formulation d'origine", "degrés", "périmètre", "étiquettes", "vérification", "sonde",
        "famille de la source", "comment corriger",
    ],
    "en": [
        "id", "axis", "level", "level basis", "title", "statement", "source",
        "original wording", "degrees", "scope", "tags", "verification", "probe",
        "source family", "how to fix",
    ],
}  # fmt: skip


def _source_heading(requirement: Requirement, grid: Grid, lang: str) -> str:
    return source_label(requirement.to_json()["source"], grid.version, lang)


def _row(requirement: Requirement, grid: Grid, lang: str) -> list[str]:
    return [
        requirement.id,
        requirement.axis,
        requirement.level.value,
        requirement.level_basis,
        requirement.title.get(lang),
        requirement.statement.get(lang),
        requirement.source.label(),
        requirement.source.wording or "",
        ", ".join(sorted(requirement.degrees)),
        ", ".join(sorted(requirement.scopes)),
        ", ".join(requirement.tags),
        requirement.verification.method.value,
        requirement.verification.probe or "",
        _source_heading(requirement, grid, lang),
        requirement.remediation.get(lang) if requirement.remediation else "",
    ]


def export_csv(grid: Grid, requirements: Sequence[Requirement], lang: str = "fr") -> str:
    """CSV with a header row; UTF-8 text that spreadsheets open as is."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_COLUMNS[lang])
    for requirement in requirements:
        writer.writerow(spreadsheet_cell(cell) for cell in _row(requirement, grid, lang))
    return buffer.getvalue()


def export_markdown(grid: Grid, requirements: Sequence[Requirement], lang: str = "fr") -> str:
    """A Markdown document: the grid's identity, then one table per axis."""
    title = grid.title.get(lang)
    lines = [
        f"# {title}",
        "",
        f"{'Grille' if lang == 'fr' else 'Grid'} `{grid.ref}` · "
        f"{'date du référentiel suivi :' if lang == 'fr' else 'date of the framework followed:'} "
        f"{grid.published} · "
        f"sha256 `{grid.content_hash[:16]}`",
        "",
    ]
    note = grid.manifest.get("published_note")
    if note:
        lines += [" ".join(str(note[lang]).split()), ""]
    header = ["identifiant", "niveau", "titre", "source", "vérification"]
    if lang == "en":
        header = ["id", "level", "title", "source", "verification"]
    for axis in grid.axes:
        rows = [r for r in requirements if r.axis == axis.id]
        if not rows:
            continue
        lines += [f"## {axis.label.get(lang)}", "", _md_row(header), _md_row(["---"] * 5)]
        for r in rows:
            method = r.verification.method.value
            if r.verification.probe:
                method += f" (`{r.verification.probe}`)"
            colon = " :" if lang == "fr" else ":"
            source = f"{_source_heading(r, grid, lang)}{colon} {r.source.label()}"
            lines.append(_md_row([r.id, r.level.value, r.title.get(lang), source, method]))
        lines.append("")
    return "\n".join(lines)


def _md_row(cells: Sequence[str]) -> str:
    escaped = [cell.replace("|", "\\|").replace("\n", " ") for cell in cells]
    return "| " + " | ".join(escaped) + " |"
