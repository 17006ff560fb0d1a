"""Follow-up documents: the run-to-run diff (HTML and terminal) and the grid change report."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from sdet_check import __version__
from sdet_check.grid import Grid
from sdet_check.griddiff import Change, ChangeKind, GridDiff
from sdet_check.labels import STATUS_LABELS, status_short
from sdet_check.messages import table
from sdet_check.redaction import visible_controls
from sdet_check.reporters.base import percent
from sdet_check.reporters.document import PdfAttachment, html_to_pdf, render_template
from sdet_check.reporters.wording import WORDS
from sdet_check.run import dump_run
from sdet_check.rundiff import GridChange, RunDiff, ScoreDelta, StatusChange
from sdet_check.scoring import Verdict

FOLLOWUP_WORDS: dict[str, dict[str, Any]] = table("followup.run.")
"""Words of the follow-up report, per language (``followup.run.*`` in the catalogue)."""

GRID_WORDS: dict[str, dict[str, Any]] = table("followup.grid.")
"""Words of the grid change report, per language (``followup.grid.*``; change kinds by value)."""


def partial_warnings(diff: RunDiff, lang: str) -> list[str]:
    """One warning per run whose selection left requirements out (a follow-up on less)."""
    words = FOLLOWUP_WORDS[lang]
    return [
        words[key].format(options=side.selection, count=side.unselected)
        for key, side in (("partial_old", diff.old), ("partial_new", diff.new))
        if side.unselected
    ]


def rundiff_view(diff: RunDiff, lang: str) -> dict[str, Any]:
    """Everything the follow-up template shows."""
    words = FOLLOWUP_WORDS[lang]
    sections = [
        ("regressions", words["regressions"], words["regressions_text"], diff.regressions),
        ("fixes", words["fixes"], words["fixes_text"], diff.fixes),
        ("others", words["others"], "", diff.other_changes),
    ]
    return {
        "lang": lang,
        "w": words,
        "rw": WORDS[lang],
        "title": f"{words['kind']} — {diff.new.target_name}",
        "meta": {
            "author": f"sdet-check {__version__}",
            "subject": words["meta_subject"].format(target=diff.new.target_name),
            "keywords": words["meta_keywords"].format(old=diff.old.grid_ref, new=diff.new.grid_ref),
        },
        "old": diff.old,
        "new": diff.new,
        "same_target": diff.same_target,
        "same_grid": diff.same_grid,
        "chronological": diff.chronological,
        "partial_warnings": partial_warnings(diff, lang),
        "unchanged": diff.unchanged,
        "counts": [
            ("regressions", words["regressions"], len(diff.regressions)),
            ("fixes", words["fixes"], len(diff.fixes)),
            ("expired", words["expired"], len(diff.expired_waivers)),
            ("added", words["added"], len(diff.added)),
            ("removed", words["removed"], len(diff.removed)),
            ("relevelled", words["relevelled"], len(diff.relevelled)),
            ("others", words["others"], len(diff.other_changes)),
        ],
        "changes": [
            {
                "id": key,
                "heading": heading,
                "text": text,
                "rows": [_status_row(c, lang) for c in changes],
            }
            for key, heading, text, changes in sections
        ],
        "expired": [
            {
                "id": w.requirement_id,
                "expires": w.expires,
                "justification": w.justification,
                "author": w.author,
                "now": _badge(w.new_status, False, lang),
            }
            for w in diff.expired_waivers
        ],
        "grid_sections": [
            ("added", words["added"], [_grid_row(c, lang) for c in diff.added]),
            ("removed", words["removed"], [_grid_row(c, lang) for c in diff.removed]),
            ("relevelled", words["relevelled"], [_grid_row(c, lang) for c in diff.relevelled]),
        ],
        "scores": [_score_row(d, diff.axis_labels, lang) for d in diff.scores],
    }


def render_rundiff_html(diff: RunDiff, lang: str = "fr") -> bytes:
    """The follow-up audit as one self-contained HTML file."""
    return render_template("rundiff.html.j2", rundiff_view(diff, lang)).encode("utf-8")


def render_rundiff_pdf(
    diff: RunDiff,
    lang: str = "fr",
    records: Sequence[Mapping[str, Any]] = (),
) -> bytes:
    """The follow-up audit as a tagged archival PDF, laid out like the run report.

    ``records`` are the previous and the new run (in that order); they are attached to the
    PDF as its sources, so the audit carries what it compares.
    """
    words = FOLLOWUP_WORDS[lang]
    names = (
        ("run-precedent.json", words["attached_old"]),
        ("run-nouveau.json", words["attached_new"]),
    )
    attachments = [
        PdfAttachment(
            name=name,
            content=dump_run(record).encode("utf-8"),
            description=text,
            relationship="Source",
        )
        for (name, text), record in zip(names, records, strict=False)
    ]
    identifier = hashlib.sha256(f"{diff.old.run_hash}:{diff.new.run_hash}".encode()).hexdigest()
    html = render_template("rundiff.html.j2", rundiff_view(diff, lang))
    return html_to_pdf(html, identifier=identifier, attachments=attachments)


def rundiff_renderable(diff: RunDiff, lang: str = "fr") -> RenderableType:
    """The follow-up audit for a terminal."""
    words = FOLLOWUP_WORDS[lang]
    parts: list[RenderableType] = [
        Text.assemble(
            (visible_controls(diff.old.target_name), "bold"),
            f"  {diff.old.started_at[:10]} ({diff.old.grid_ref}) → "
            f"{diff.new.started_at[:10]} ({diff.new.grid_ref})",
        ),
        Text.assemble(
            (f"{words['verdict']} : ", "bold"),
            Verdict(diff.old.verdict).label(lang),
            " → ",
            (Verdict(diff.new.verdict).label(lang), "bold"),
        ),
    ]
    if not diff.same_target:
        parts.append(
            Text(
                visible_controls(
                    words["not_same_target"].format(
                        old=diff.old.target_name, new=diff.new.target_name
                    )
                ),
                style="yellow",
            )
        )
    parts.extend(
        Text(visible_controls(warning), style="yellow") for warning in partial_warnings(diff, lang)
    )
    for title, changes, style in (
        (words["regressions"], diff.regressions, "bold red"),
        (words["fixes"], diff.fixes, "green"),
        (words["others"], diff.other_changes, ""),
    ):
        if changes:
            table = Table(title=f"{title} ({len(changes)})", box=box.SIMPLE_HEAD, expand=True)
            for column in ("id", words["level"], words["before"], words["after"], words["message"]):
                table.add_column(column)
            for change in changes:
                table.add_row(
                    change.requirement_id,
                    change.level,
                    status_short(change.old_status, change.old_waived, lang),
                    Text(status_short(change.new_status, change.new_waived, lang), style=style),
                    change.message,
                )
            parts.append(table)
    if diff.expired_waivers:
        table = Table(
            title=f"{words['expired']} ({len(diff.expired_waivers)})", box=box.SIMPLE_HEAD
        )
        for column in ("id", words["expires"], words["now"]):
            table.add_column(column)
        for waiver in diff.expired_waivers:
            now = status_short(waiver.new_status, lang=lang) if waiver.new_status else "—"
            table.add_row(waiver.requirement_id, waiver.expires, now)
        parts.append(table)
    for title, grid_changes in (
        (words["added"], diff.added),
        (words["removed"], diff.removed),
        (words["relevelled"], diff.relevelled),
    ):
        if grid_changes:
            lines = Text(f"{title} ({len(grid_changes)}) : ", style="bold")
            lines.append(", ".join(c.requirement_id for c in grid_changes), style="")
            parts.append(lines)
    if diff.unchanged:
        parts.append(Text(words["nothing"], style="green"))
    return Group(*parts)


def griddiff_view(diff: GridDiff, old: Grid, new: Grid, lang: str) -> dict[str, Any]:
    """Everything the grid change template shows."""
    words = GRID_WORDS[lang]
    titles = {r.id: r.title.get(lang) for r in old.requirements}
    titles.update({r.id: r.title.get(lang) for r in new.requirements})
    return {
        "lang": lang,
        "w": words,
        "rw": WORDS[lang],
        "title": f"{words['kind']} {diff.old_ref} → {diff.new_ref}",
        "meta": {
            "author": f"sdet-check {__version__}",
            "subject": words["meta_subject"].format(old=diff.old_ref, new=diff.new_ref),
            "keywords": words["meta_keywords"].format(old=diff.old_ref, new=diff.new_ref),
        },
        "old": _grid_side(old, lang),
        "new": _grid_side(new, lang),
        "unchanged": not diff.changes,
        "counts": [(kind.value, words[kind], len(diff.of_kind(kind))) for kind in ChangeKind],
        "sections": [
            {
                "id": kind.value,
                "heading": words[kind],
                "rows": [_change_row(c, titles) for c in diff.of_kind(kind)],
                "two_sides": kind not in (ChangeKind.ADDED, ChangeKind.REMOVED),
            }
            for kind in ChangeKind
            if diff.of_kind(kind)
        ],
    }


def render_griddiff_html(diff: GridDiff, old: Grid, new: Grid, lang: str = "fr") -> bytes:
    """The grid change report as one self-contained HTML file."""
    return render_template("griddiff.html.j2", griddiff_view(diff, old, new, lang)).encode("utf-8")


def render_griddiff_pdf(diff: GridDiff, old: Grid, new: Grid, lang: str = "fr") -> bytes:
    """The grid change report as a tagged archival PDF."""
    identifier = hashlib.sha256(f"{old.content_hash}:{new.content_hash}".encode()).hexdigest()
    html = render_template("griddiff.html.j2", griddiff_view(diff, old, new, lang))
    return html_to_pdf(html, identifier=identifier)


def _grid_side(grid: Grid, lang: str) -> dict[str, Any]:
    return {
        "ref": grid.ref,
        "title": grid.title.get(lang),
        "published": grid.published,
        "hash": grid.content_hash,
        "count": len(grid.requirements),
    }


def _change_row(change: Change, titles: Mapping[str, str]) -> dict[str, Any]:
    return {
        "id": change.requirement_id,
        "title": titles.get(change.requirement_id, ""),
        "old": change.old or "",
        "new": change.new or "",
    }


def _badge(status: str | None, waived: bool, lang: str) -> dict[str, str]:
    if status is None:
        return {"code": "—", "kind": "absent", "label": "—"}
    return {
        "code": status_short(status, waived, lang),
        "kind": "waived" if waived else status,
        "label": STATUS_LABELS[lang][status],
    }


def _status_row(change: StatusChange, lang: str) -> dict[str, Any]:
    return {
        "id": change.requirement_id,
        "title": change.title.get(lang, change.title.get("fr", "")),
        "level": change.level,
        "before": _badge(change.old_status, change.old_waived, lang),
        "after": _badge(change.new_status, change.new_waived, lang),
        "message": change.message,
    }


def _grid_row(change: GridChange, lang: str) -> dict[str, Any]:
    return {
        "id": change.requirement_id,
        "title": change.title.get(lang, change.title.get("fr", "")),
        "old_level": change.old_level or "—",
        "new_level": change.new_level or "—",
        "now": _badge(change.new_status, False, lang),
    }


def _score_row(
    delta: ScoreDelta, labels: Mapping[str, Mapping[str, str]], lang: str
) -> dict[str, Any]:
    words = FOLLOWUP_WORDS[lang]
    if delta.axis == "global":
        label = words["overall"]
    else:
        label = labels.get(delta.axis, {}).get(lang, delta.axis).split(" (")[0]

    def pair(key: str, sub: str | None = None) -> tuple[str, str]:
        values = []
        for side in (delta.old, delta.new):
            if side is None:
                values.append("—")
                continue
            value = side[key][sub] if sub else side[key]
            values.append(percent(value))
        return values[0], values[1]

    return {
        "label": label,
        "strong": delta.axis == "global",
        "old_verdict": delta.old["verdict"] if delta.old else None,
        "new_verdict": delta.new["verdict"] if delta.new else None,
        "must": pair("must", "rate"),
        "should": pair("should", "rate"),
        "pratique": pair("note_pratique"),
        "theorique": pair("note_theorique"),
    }
