"""Export a grid as CSV (spreadsheets), Markdown or ODS (tender annexes)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

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


_ODS_COLUMNS = {
    "fr": [
        ("identifiant", 3.2), ("axe", 2.6), ("niveau", 3.6), ("base du niveau", 2.2),
        ("titre", 5.5), ("énoncé", 10.0), ("source", 6.0), ("formulation d'origine", 8.0),
        ("degrés", 3.0), ("périmètre", 3.0), ("condition", 5.0), ("étiquettes", 3.5),
        ("vérification", 4.0), ("sonde", 3.5), ("preuve attendue ou conduite de la revue", 9.0),
    ],
    "en": [
        ("id", 3.2), ("axis", 2.6), ("level", 3.6), ("level basis", 2.2), ("title", 5.5),
        ("statement", 10.0), ("source", 6.0), ("original wording", 8.0), ("degrees", 3.0),
        ("scope", 3.0), ("condition", 5.0), ("tags", 3.5), ("verification", 4.0),
        ("probe", 3.5), ("expected proof or how to review", 9.0),
    ],
}  # fmt: skip


def export_ods(
    grid: Grid,
    requirements: Sequence[Requirement],
    lang: str = "fr",
    filters: Mapping[str, Sequence[str]] | None = None,
) -> bytes:
    """The reading grid as an ODS workbook: one filterable row per requirement.

    A second sheet says which grid (reference, sha256) and which selection it holds, and
    how to read the levels and verification methods.
    """
    from sdet_check.labels import LEVEL_LABELS
    from sdet_check.ods import Column, Sheet, write_ods
    from sdet_check.reporters.readinggrid import (
        WORDS,
        degrees_text,
        guidance_text,
        method_label,
        scopes_text,
        selection_text,
    )

    words = WORDS[lang]
    rows = [
        [
            r.id,
            grid.axis(r.axis).label.get(lang).split(" (")[0],
            f"{LEVEL_LABELS[lang][r.level.value]} ({r.level.value})",
            r.level_basis,
            r.title.get(lang),
            r.statement.get(lang),
            r.source.label(),
            r.source.wording or "",
            degrees_text(r, lang),
            scopes_text(r, lang),
            r.condition.get(lang) if r.condition else "",
            ", ".join(r.tags),
            method_label(r, lang),
            r.verification.probe or "",
            guidance_text(r, lang),
        ]
        for r in requirements
    ]
    about = [
        [
            words["grid"],
            f"{grid.ref} — {grid.title.get(lang)} ({words['published']} {grid.published})",
        ],
        [words["hash"], grid.content_hash],
        [words["selection"], selection_text(filters or {}, lang)],
        [words["count"], str(len(requirements))],
        [words["legend"], words["how_level"]],
        ["", words["how_probe"]],
        ["", words["how_declaration"]],
        ["", words["how_review"]],
    ]
    title = f"{words['title']} — {grid.ref}"
    return write_ods(
        [
            Sheet(
                words["grid"],
                [Column(header, width) for header, width in _ODS_COLUMNS[lang]],
                rows,
                autofilter=True,
                preamble=[title],
            ),
            Sheet(words["about"], [Column("", 5.0), Column("", 20.0)], about),
        ],
        title=title,
        language=lang,
        metadata={"sdet-check-grid": grid.ref, "sdet-check-grid_hash": grid.content_hash},
    )
