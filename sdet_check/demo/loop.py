"""The audit loop ``sdet-check demo`` walks through, step by step, around the reference stack.

A tender's whole loop on one grid version, with the files a person would hand over: the
reading grid exported for the tender (ODS and PDF), the questionnaire bidders receive and
the one the reference ENT answered (shipped in ``examples/ent-reference/``, with its proofs),
its import into a declarations file, the run with those declarations
(:func:`sdet_check.demo.stack.run_demo`), the example audit's answers recorded as a reviews
file, and the run re-scored with them, as ``report --reviews`` does. Each step is one
function here; the command line prints one line per step (:func:`step_line`).

The example kit is data shipped with sdet-check: ``examples/ent-reference/`` in a checkout,
``sdet_check/_bundled/ent-reference/`` in a wheel (:func:`sdet_check.resources.reference_ent_dir`).
It is copied into the demo's folder so that the folder holds everything its files refer to,
and so that the same commands, typed by hand in that folder, give the same results.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sdet_check.grid import Grid
from sdet_check.messages import table
from sdet_check.questionnaire import (
    ImportedQuestionnaire,
    import_questionnaire,
    write_declarations,
    write_questionnaire,
)
from sdet_check.resources import reference_ent_dir
from sdet_check.review import (
    ReviewBook,
    apply_reviews_file,
    read_answers,
    record_answers,
)

QUESTIONNAIRE = "questionnaire.ods"
"""The reference ENT's answered questionnaire, in the kit and in the demo's folder."""

BLANK_QUESTIONNAIRE = "questionnaire-vierge.ods"
"""The questionnaire as a bidder receives it (written by the demo in its folder)."""

PROOFS = "preuves"
"""The kit's folder of proof documents (handed in with the questionnaire)."""

ANSWERS = "reponses-revue.yaml"
"""The example audit's answers (``review --answers``)."""

DECLARATIONS = "declarations.yaml"
"""What the import writes and the run reads."""

REVIEWS = "revues.yaml"
"""The reviews file ``review`` writes beside the run."""

REPORT_DIR = "rapport"
"""Where the reports of the reviewed run go (``report --reviews … --out DIR/rapport``)."""


@dataclass(frozen=True)
class HandedIn:
    """What the bidder (here the reference ENT) hands in, copied into the demo's folder."""

    questionnaire: Path
    proofs: Path
    answers: Path
    """The example audit's answers, kept beside them for the review step."""


def reading_grid_name(grid: Grid, extension: str) -> str:
    """``grille-sdet-6.4.ods``: the reading grid's file name for ``grid``."""
    return f"grille-{grid.ref.replace('/', '-')}.{extension}"


def export_reading_grid(grid: Grid, out_dir: Path, lang: str = "fr") -> list[Path]:
    """Step 1: write the whole reading grid as ODS and PDF (``grid export``); return them."""
    from sdet_check.gridexport import export_ods
    from sdet_check.reporters.readinggrid import render_reading_grid_pdf

    filters: dict[str, list[str]] = {}
    written = []
    for extension, content in (
        ("ods", export_ods(grid, grid.requirements, lang, filters)),
        ("pdf", render_reading_grid_pdf(grid, grid.requirements, lang, filters)),
    ):
        path = out_dir / reading_grid_name(grid, extension)
        path.write_bytes(content)
        written.append(path)
    return written


def hand_in_questionnaire(grid: Grid, out_dir: Path, lang: str = "fr") -> tuple[Path, HandedIn]:
    """Step 2: the blank questionnaire, and the reference ENT's answered one with its proofs.

    Returns the blank questionnaire's path and the copied kit.
    """
    blank = out_dir / BLANK_QUESTIONNAIRE
    blank.write_bytes(write_questionnaire(grid, lang))
    kit = reference_ent_dir()
    proofs = out_dir / PROOFS
    shutil.copytree(kit / PROOFS, proofs, dirs_exist_ok=True)
    handed = HandedIn(
        questionnaire=Path(shutil.copyfile(kit / QUESTIONNAIRE, out_dir / QUESTIONNAIRE)),
        proofs=proofs,
        answers=Path(shutil.copyfile(kit / ANSWERS, out_dir / ANSWERS)),
    )
    return blank, handed


def import_answers(
    grid: Grid, handed: HandedIn, out_dir: Path, lang: str = "fr"
) -> tuple[Path, ImportedQuestionnaire]:
    """Step 3: check the answered questionnaire and write the declarations file a run takes."""
    imported = import_questionnaire(handed.questionnaire, handed.proofs, grid, lang)
    out = out_dir / DECLARATIONS
    write_declarations(imported, out)
    return out, imported


@dataclass(frozen=True)
class Reviewed:
    """Step 5's outcome: the reviews file, how many answers it took, the re-scored run."""

    file: Path
    answered: int
    record: dict[str, Any]


def review_run(
    record: Mapping[str, Any], run_file: Path, answers: Path, lang: str = "fr"
) -> Reviewed:
    """Step 5: record the example audit's answers beside the run, then re-score the run.

    The answers are checked against the run first (``review --answers``); the reviews file
    is ``revues.yaml`` beside ``run_file``, and the re-scored record is what
    ``report RUN.json --reviews revues.yaml`` renders.
    """
    reviews_file = run_file.parent / REVIEWS
    ids = [requirement["id"] for requirement in record["grid"]["requirements"]]
    book = ReviewBook.open(reviews_file, ids, lang=lang)
    count = record_answers(book, read_answers(answers, lang=lang), record)
    rescored = apply_reviews_file(record, reviews_file, lang)
    return Reviewed(file=reviews_file, answered=count, record=rescored.record)


def status_counts(record: Mapping[str, Any]) -> dict[str, int]:
    """How many results of ``record`` have each status (every status, zeros included)."""
    counts = Counter(entry["status"] for entry in record["results"])
    statuses = ("pass", "fail", "not_applicable", "not_tested", "error", "manual")
    return {status: counts.get(status, 0) for status in statuses}


def declared_counts(imported: ImportedQuestionnaire) -> dict[str, int]:
    """How many declarations of each status the questionnaire gave."""
    counts = Counter(declaration.status for declaration in imported.declarations)
    return {status: counts.get(status, 0) for status in VERDICT_KEYS}


VERDICT_KEYS = ("conforme", "non_conforme", "non_applicable")

_STEPS: dict[str, dict[str, str]] = table("demo.loop.")
"""The lines of the loop by language (``demo.loop.*`` in the message catalogue)."""


def step_line(lang: str, key: str, /, **values: Any) -> str:
    """One line of the loop in ``lang`` (``fr`` or ``en``); ``counts=`` takes a record's counts."""
    words = _STEPS["en" if lang == "en" else "fr"]
    if isinstance(values.get("counts"), Mapping):
        values["counts"] = words["counts"].format(**values["counts"])
    return words[key].format(**values)


def percent(value: float | None, lang: str = "fr") -> str:
    """``87,5 %`` in French, ``87.5%`` in English, an em dash when there is nothing to rate."""
    if value is None:
        return "—"
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text}%" if lang == "en" else text.replace(".", ",") + " %"
