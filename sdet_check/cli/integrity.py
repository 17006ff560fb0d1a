"""Options and steps shared by ``run``, ``report`` and ``compare`` to sign and check runs.

``--sign-key KEY.pem --sign-cert CERT.pem`` signs what a command writes: ``run.json`` and
the HTML report get a detached ``.sig`` beside them, the PDF a PAdES signature (see
:mod:`sdet_check.signing`). ``--allow-unverified`` lets ``report`` and ``compare`` read a
run whose evidence fails its manifest (or whose signature fails); every page then says
"NON VÉRIFIÉ".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sdet_check.cli.console import err_console
from sdet_check.messages import msg, text

if TYPE_CHECKING:
    from sdet_check.run import RunFile
    from sdet_check.signing import SigningIdentity

SignKeyOption = Annotated[
    Path | None,
    typer.Option(
        "--sign-key",
        metavar="KEY.pem",
        help=text("cli.integrity.sign_key"),
    ),
]
SignCertOption = Annotated[
    Path | None,
    typer.Option(
        "--sign-cert",
        metavar="CERT.pem",
        help=text("cli.integrity.sign_cert"),
    ),
]
AllowUnverifiedOption = Annotated[
    bool,
    typer.Option(
        "--allow-unverified",
        help=text("cli.integrity.allow_unverified"),
    ),
]

SIGNED_BESIDE = frozenset({".json", ".html"})
"""Files that get a detached signature beside them (the PDF carries its own)."""


def signing_identity(key: Path | None, cert: Path | None) -> SigningIdentity | None:
    """The signer of ``--sign-key``/``--sign-cert``, loaded before any work starts."""
    if key is None:
        if cert is not None:
            raise typer.BadParameter(
                msg("cli.integrity.cert_without_key"),
                param_hint="--sign-key",
            )
        return None
    from sdet_check.signing import load_identity

    return load_identity(key, cert)


def write_output(
    path: Path, data: bytes, signer: SigningIdentity | None, reason: str = ""
) -> list[Path]:
    """Write ``data`` to ``path``, signed when a signer is given; return the files written.

    A PDF is signed inside (PAdES, after rendering); run.json and HTML get ``.sig`` beside.
    """
    if signer is None:
        path.write_bytes(data)
        return [path]
    from sdet_check.signing import sign_pdf, write_signature

    if path.suffix.lower() == ".pdf":
        path.write_bytes(sign_pdf(data, signer, reason=reason))
        return [path]
    path.write_bytes(data)
    if path.suffix.lower() in SIGNED_BESIDE:
        return [path, write_signature(path, signer)]
    return [path]


def read_runs(
    paths: Sequence[Path],
    *,
    allow_unverified: bool,
    lang: str = "fr",
    note_unsigned: bool = True,
    before_checks: Callable[[Sequence[RunFile]], None] | None = None,
) -> tuple[list[RunFile], list[str]]:
    """Read runs, check their evidence and any signature beside them.

    A run that fails is refused (:class:`~sdet_check.run.UnverifiedRunError`, exit 1)
    unless ``allow_unverified``; then the problems are returned (in ``lang``), to mark
    every page. An unsigned run gets a note, unless ``note_unsigned`` is false (``compare
    --require-signed`` refuses it instead). ``before_checks`` sees every run once all are
    read, before any is checked or refused (``compare --require-signed`` refuses there).
    """
    from sdet_check.run import UnverifiedRunError, grid_problems, read_run
    from sdet_check.verify import run_signature, signature_problem_texts

    runs = [read_run(path) for path in paths]
    if before_checks is not None:
        before_checks(runs)
    problems: list[str] = []
    crossed = _grid_crossed(runs, lang)
    for run in runs:
        # A folder, a pipe or a dead link in place of the signature is "invalid", not
        # "unsigned": something is there that cannot be read.
        signature = run_signature(run.path, run.raw)
        if note_unsigned and signature.state == "unsigned":
            # Its manifest and score may have been recomputed after an edit: say so.
            err_console.print(
                text("cli.integrity.load_runs.unsigned", lang, path=run.path, sig=signature.file),
                style="yellow",
                markup=False,
            )
        found = [p.describe(lang) for p in run.problems]
        unreadable = signature_problem_texts(signature, lang)
        found.extend(unreadable)
        found.extend(grid_problems(run.record, lang))
        found.extend(crossed.get(run.path, []))
        if not found:
            continue
        if not allow_unverified:
            if run.problems:
                raise UnverifiedRunError(run.path, run.problems)
            # Only a folder or a dead link in place of the signature: the run was not
            # shown to differ, so it is not called altered.
            no_file = signature.no_file and found == unreadable
            raise typer.Exit(_refuse_signature(run.path, found, lang, no_file=no_file))
        problems.extend(
            text("cli.integrity.load_runs.of_run", lang, path=run.path, problem=problem)
            if len(runs) > 1
            else problem
            for problem in found
        )
    if problems:
        err_console.print(
            text("cli.integrity.load_runs.warning", lang, problems="\n  ".join(problems)),
            style="yellow",
            markup=False,
        )
    return runs, problems


def _grid_crossed(runs: Sequence[RunFile], lang: str) -> dict[Path, list[str]]:
    """Runs naming one grid (id, version, content hash) must carry the same requirements.

    The first run of each grid is the reference; the others that differ are named.
    """
    from sdet_check.run import grid_differences, grid_requirements

    first: dict[tuple[str, str, str], RunFile] = {}
    found: dict[Path, list[str]] = {}
    for run in runs:
        grid = run.record["grid"]
        key = (str(grid["id"]), str(grid["version"]), str(grid["content_hash"]))
        reference = first.setdefault(key, run)
        if reference is run:
            continue
        differences = grid_differences(
            grid_requirements(run.record),
            grid_requirements(reference.record),
            f"{key[0]} {key[1]}",
            lang,
            other=str(reference.path),
        )
        if differences:
            found[run.path] = differences[:1]
    return found


def _refuse_signature(
    path: Path, problems: Sequence[str], lang: str, *, no_file: bool = False
) -> int:
    key = "no_file" if no_file else "refused"
    err_console.print(
        text(
            f"cli.integrity.refuse_signature.{key}", lang, path=path, problems="; ".join(problems)
        ),
        style="bold red",
        markup=False,
    )
    return 1
