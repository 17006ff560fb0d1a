"""The ``sdet-check`` command line: a thin layer that parses, calls the library, routes output.

Exit codes (stable, documented in the README):
0 conforme (with or without réserves) · 1 non conforme · 2 évaluation incomplète ·
3 bad input (grid, target, declarations, waivers, run file, options) · 4 internal error.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

import typer
from rich.markup import escape
from typer.exceptions import TyperException

# Commands register themselves on ``app`` when their modules are imported.
from sdet_check.cli import aaf as _aaf  # noqa: F401
from sdet_check.cli import compare as _compare  # noqa: F401
from sdet_check.cli import demo as _demo  # noqa: F401
from sdet_check.cli import followup as _followup  # noqa: F401
from sdet_check.cli import grid as _grid  # noqa: F401
from sdet_check.cli import questionnaire as _questionnaire  # noqa: F401
from sdet_check.cli import review as _review  # noqa: F401
from sdet_check.cli import run as _run  # noqa: F401
from sdet_check.cli import verify as _verify  # noqa: F401
from sdet_check.cli.app import app, state
from sdet_check.cli.console import err_console
from sdet_check.cli.usage import usage_text
from sdet_check.errors import AlteredInputError, SdetCheckError
from sdet_check.messages import msg

# The documented exit codes, kept here as plain numbers so that starting the command line
# does not import the scoring (and with it the probe machinery); ExitCode says the same.
_ALTERED = 1
_BAD_INPUT = 3
_INTERNAL = 4


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code (the console script exits with it).

    Command modules import what they need when they run, so that ``--help`` stays quick.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = app(args=args, prog_name="sdet-check", standalone_mode=False)
    except AlteredInputError as exc:  # a run altered since it was written: 1, not 3
        _trace_if_debug()
        err_console.print(msg("cli.main.main.altered", escape=escape(str(exc))), highlight=False)
        return _ALTERED
    except SdetCheckError as exc:
        _trace_if_debug()
        err_console.print(msg("cli.main.main.out", escape=escape(str(exc))), highlight=False)
        return _BAD_INPUT
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        err_console.print(msg("cli.main.main.out_2"))
        return 130
    except TyperException as exc:  # usage errors: unknown option, bad value...
        err_console.print(
            msg(
                "cli.main.main.out_3",
                escape=escape(usage_text(exc)),
                command_path=_command_path(args),
            ),
            highlight=False,
        )
        return _BAD_INPUT
    except KeyboardInterrupt:
        err_console.print(msg("cli.main.main.out_2"))
        return 130
    except Exception as exc:
        _trace_if_debug()
        err_console.print(
            msg("cli.main.main.out_4", error_type=type(exc).__name__, escape=escape(str(exc))),
            highlight=False,
        )
        return _INTERNAL
    return int(code) if isinstance(code, int) else 0


def _trace_if_debug() -> None:
    """With ``--debug``, print the trace; the exit code stays the one documented."""
    if state.debug:
        traceback.print_exc(file=sys.stderr)


def _command_path(args: Sequence[str]) -> str:
    """``sdet-check grid show`` from the arguments, to point at the right ``--help``."""
    words = ["sdet-check"]
    after_lang = False
    for arg in args:
        if after_lang:  # the value of a leading --lang, not a command
            after_lang = False
            continue
        if arg == "--lang":
            after_lang = True
            continue
        if arg.startswith("-"):
            continue
        if arg not in _COMMAND_WORDS:
            break
        words.append(arg)
    return " ".join(words)


_COMMAND_WORDS = frozenset(
    {
        "grid",
        "probes",
        "run",
        "report",
        "demo",
        "compare",
        "list",
        "show",
        "validate",
        "diff",
        "export",
        "aaf",
        "generate",
        "rules",
        "review",
        "verify",
        "questionnaire",
        "import",
    }
)

__all__ = ["app", "main"]
