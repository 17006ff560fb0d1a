"""``sdet-check review``: the auditor's guided review of a stored run, in the terminal or scripted.

Exit codes: 0 every requirement waiting for a review has one · 2 the review stopped before
the end (quit, end of input; resume with the same command) · 3 bad input · 130 interrupted
(Ctrl-C; what was answered is saved, resume with the same command).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sdet_check.cli.app import app, state
from sdet_check.cli.console import console, err_console
from sdet_check.messages import text

if TYPE_CHECKING:
    from rich.console import RenderableType

    from sdet_check.review import Answer, ProofFile, ReviewBook, ReviewItem

DEFAULT_REVIEWS = "revues.yaml"

_INCOMPLETE = 2
_INTERRUPTED = 130


class _Stop(Exception):
    """The auditor asked to stop (Q) or the input ended."""


@app.command("review", help=text("cli.review.review_command.help"))
def review_command(
    run_file: Annotated[
        Path, typer.Argument(metavar="RUN.json", help=text("cli.review.review_command.run_file"))
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help=text("cli.review.review_command.out"),
        ),
    ] = None,
    answers: Annotated[
        Path | None,
        typer.Option("--answers", help=text("cli.review.review_command.answers")),
    ] = None,
    auditor: Annotated[
        str | None, typer.Option("--auditor", help=text("cli.review.review_command.auditor"))
    ] = None,
    organisation: Annotated[
        str | None,
        typer.Option("--organisation", help=text("cli.review.review_command.organisation")),
    ] = None,
) -> None:
    """Revue guidée : décider chaque exigence « à examiner » du run et écrire le fichier de revues.

    La progression est enregistrée après chaque réponse : relancer la même commande reprend
    là où la revue s'est arrêtée. Ensuite, `sdet-check report RUN.json --reviews revues.yaml`
    recalcule le verdict.
    """
    from sdet_check.reporters.terminal import terminal_safe
    from sdet_check.review import (
        ReviewBook,
        bundled_grid,
        check_target_file,
        read_answers,
        record_answers,
        review_items,
        say,
    )
    from sdet_check.run import load_run, utc_now

    lang = state.lang
    record = load_run(run_file)
    reviews_file = out or run_file.parent / DEFAULT_REVIEWS
    check_target_file(run_file, reviews_file, lang)
    ids = [requirement["id"] for requirement in record["grid"]["requirements"]]
    book = ReviewBook.open(reviews_file, ids, organisation, lang)
    today = utc_now().date()
    if answers is not None:
        read = read_answers(answers, lang=lang, author=auditor, today=today)
        count = record_answers(book, read, record)
        items = review_items(record, lang)
        left = sum(1 for item in items if item.requirement not in book.answered())
        err_console.print(
            say(lang, "answers_done", count=count, file=reviews_file, left=left), markup=False
        )
        _next_steps(run_file, reviews_file, lang, left, auditor)
        raise typer.Exit(_INCOMPLETE if left else 0)

    items = review_items(terminal_safe(record), lang, bundled_grid(record))
    if not items:
        console.print(say(lang, "nothing_left"), markup=False)
        raise typer.Exit(0)
    pending = [item for item in items if item.requirement not in book.answered()]
    console.print(
        say(
            lang,
            "header",
            run=record["run_id"][:8],
            target=record["target"].get("name", ""),
            pending=len(pending),
            total=len(items),
            file=reviews_file,
        ),
        markup=False,
    )
    try:
        author = auditor or (_ask_author(book, lang) if pending else "")
        for item in pending:
            answer = _ask(item, items, author, today.isoformat(), lang)
            if answer is None:
                console.print(say(lang, "skipped", id=item.requirement), markup=False)
                continue
            book.add(answer)
            done = sum(1 for i in items if i.requirement in book.answered())
            console.print(
                say(lang, "saved", id=item.requirement, done=done, total=len(items)),
                style="green",
                markup=False,
            )
    except KeyboardInterrupt:
        console.print()
        _stopped(run_file, reviews_file, book, items, lang, auditor)
        raise typer.Exit(_INTERRUPTED) from None
    except (_Stop, EOFError):
        console.print()
        _stopped(run_file, reviews_file, book, items, lang, auditor)
        raise typer.Exit(_INCOMPLETE) from None
    left = sum(1 for item in items if item.requirement not in book.answered())
    if left:
        _stopped(run_file, reviews_file, book, items, lang, auditor)
        raise typer.Exit(_INCOMPLETE)
    console.print(say(lang, "all_done", count=len(book.entries), file=reviews_file), markup=False)
    _next_steps(run_file, reviews_file, lang, 0, auditor)
    raise typer.Exit(0)


def _prompt(lang: str, key: str, default: str | None = None, *, show_default: bool = True) -> str:
    """Ask one line; French puts its space before the colon."""
    from rich.prompt import Prompt

    prompt = Prompt(say_(lang, key), console=console, show_default=show_default)
    prompt.prompt_suffix = ": " if lang == "en" else " : "
    return prompt() if default is None else prompt(default=default)


def _ask_author(book: ReviewBook, lang: str) -> str:
    previous = [entry["author"] for entry in book.entries.values()]
    default = previous[-1] if previous else None
    while True:
        name = _prompt(lang, "ask_author", default)
        if name.strip():
            return name.strip()


def _ask(
    item: ReviewItem,
    items: list[ReviewItem],
    author: str,
    today: str,
    lang: str,
) -> Answer | None:
    """Show one item and ask verdict, justification and proofs; ``None`` when skipped."""
    from sdet_check.review import Answer, parse_verdict

    console.print(_panel(item, items.index(item) + 1, len(items), lang))
    while True:
        typed = _prompt(lang, "ask_verdict").strip().lower()
        if typed in ("s", "skip", "sauter"):
            return None
        if typed in ("q", "quit", "quitter"):
            raise _Stop
        verdict = parse_verdict(typed)
        if verdict is not None:
            break
        console.print(say_(lang, "bad_verdict", answer=typed), style="yellow", markup=False)
    while True:
        justification = _prompt(lang, "ask_justification").strip()
        if justification:
            break
        console.print(say_(lang, "empty_justification"), style="yellow", markup=False)
    return Answer(
        requirement=item.requirement,
        verdict=verdict,
        justification=justification,
        author=author,
        date=today,
        proofs=_ask_proofs(lang),
    )


def _ask_proofs(lang: str) -> tuple[ProofFile, ...]:
    from sdet_check.review import ProofFile, sha256_file

    proofs: list[ProofFile] = []
    while True:
        typed = _prompt(lang, "ask_proof", "", show_default=False)
        if not typed.strip():
            return tuple(proofs)
        path = Path(typed.strip()).expanduser()
        if not path.is_file():
            console.print(say_(lang, "proof_missing", path=path), style="yellow", markup=False)
            continue
        title = _prompt(lang, "ask_proof_title", path.name)
        proofs.append(ProofFile(path=path, title=title.strip() or path.name))
        console.print(
            say_(lang, "proof_added", path=path, sha256=sha256_file(path)[:16] + "…"),
            markup=False,
        )


def say_(lang: str, key: str, /, **values: object) -> str:
    """:func:`sdet_check.review.say`, imported when first needed (keeps ``--help`` quick)."""
    from sdet_check.review import say

    return say(lang, key, **values)


def _panel(item: ReviewItem, index: int, total: int, lang: str) -> RenderableType:
    """One item as a panel of labelled fields; every text from the run is shown as plain text."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()

    def row(key: str, value: str | Text | None) -> None:
        if value:
            grid.add_row(say_(lang, key), value if isinstance(value, Text) else Text(value))

    row("title", Text(item.title, style="bold"))
    row("axis", item.axis)
    row("statement", item.statement)
    row("wording", item.wording)
    row("source", item.source)
    row("method", item.method)
    row("guidance", item.guidance)
    row("proofs_expected", item.proofs_expected)
    row("run_message", item.message)
    if item.declaration is not None:
        declared: Text = Text(
            say_(
                lang,
                "declaration_line",
                status=item.declaration.status,
                author=item.declaration.author,
                date=item.declaration.date,
                statement=item.declaration.statement,
            )
        )
        for name, check in item.declaration.documents:
            declared.append("\n  • " + say_(lang, "document_line", title=name, check=check))
        row("declaration", declared)
    if item.evidence:
        row("evidence", Text("\n".join(f"• {summary}" for summary in item.evidence)))
    related: Text = Text()
    for number, other in enumerate(item.related):
        related.append("\n" if number else "")
        related.append(f"{other.status:<4} ", style="bold")
        related.append(f"{other.requirement} — {other.title}")
        if other.message:
            related.append(f" : {other.message}" if lang != "en" else f": {other.message}")
    row("related", related if item.related else say_(lang, "none"))
    title = Text(
        say_(lang, "item_title", index=index, total=total, id=item.requirement, level=item.level)
    )
    return Panel(grid, title=title, title_align="left")


def _command(*words: str) -> str:
    return " ".join(shlex.quote(word) for word in words)


def _lang_words(lang: str) -> list[str]:
    return ["--lang", "en"] if lang == "en" else []


def _stopped(
    run_file: Path,
    reviews_file: Path,
    book: ReviewBook,
    items: list[ReviewItem],
    lang: str,
    auditor: str | None,
) -> None:
    left = sum(1 for item in items if item.requirement not in book.answered())
    err_console.print(
        say_(lang, "stopped", count=len(book.entries), file=reviews_file, left=left),
        markup=False,
    )
    _next_steps(run_file, reviews_file, lang, left, auditor)


def _next_steps(
    run_file: Path, reviews_file: Path, lang: str, left: int, auditor: str | None
) -> None:
    """How to resume (when items are left) and how to render the re-scored report."""
    if left:
        resume = ["sdet-check", *_lang_words(lang), "review", str(run_file)]
        resume += ["--out", str(reviews_file)]
        if auditor:
            resume += ["--auditor", auditor]
        err_console.print(say_(lang, "resume", command=_command(*resume)), markup=False)
    report = ["sdet-check", *_lang_words(lang), "report", str(run_file)]
    report += ["--reviews", str(reviews_file)]
    err_console.print(say_(lang, "next", command=_command(*report)), markup=False)
