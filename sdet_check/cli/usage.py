"""Typer's usage errors in the language of the outputs (``cli.usage.*`` in the catalogue).

The Click that Typer vendors writes its errors in English, without :mod:`gettext`
(``Invalid value for '--format': …``, ``Missing option '--target'.``). The command line
rebuilds them from the exception's parts, and recognises the few fixed sentences it raises
by the English text of their catalogue entry, so that French mode speaks French throughout
and English mode keeps Click's own words. A sentence it does not know stays as it is.
"""

from __future__ import annotations

import re
from functools import cache

from typer.exceptions import TyperException

from sdet_check.messages import Message, current_language, template, text

_SENTENCES = (
    "cli.usage.possible_options",  # before the sentence it ends, which would swallow it
    "cli.usage.no_such_option",
    "cli.usage.extra_arguments",
    "cli.usage.option_requires_argument",
    "cli.usage.option_requires_arguments",
    "cli.usage.option_takes_no_value",
    "cli.usage.argument_takes_values",
    "cli.usage.value_error",
    "cli.usage.not_one_of",
    "cli.usage.not_valid",
    "cli.usage.not_a_number",
    "cli.usage.not_an_integer",
    "cli.usage.path_missing",
    "cli.usage.path_is_file",
    "cli.usage.path_is_directory",
    "cli.usage.path_not_readable",
    "cli.usage.path_not_writable",
    "cli.usage.not_iterable",
    "cli.usage.choose_from",
    "cli.usage.hint_env",
)
"""Fixed sentences of Typer's Click, recognised by the English text of their entry."""

_PATH_KINDS = {"file": "cli.usage.kind.file", "dir": "cli.usage.kind.dir"}

_MISSING = {
    "option": "cli.usage.missing_option",
    "argument": "cli.usage.missing_argument",
}


@cache
def _pattern(message_id: str) -> re.Pattern[str]:
    """The English template of ``message_id`` as a regular expression, one group per field."""
    english = template(message_id, "en")
    parts = re.split(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", english)
    regex = "".join(
        f"(?P<{part}>.+?)" if index % 2 else re.escape(part.replace("{{", "{").replace("}}", "}"))
        for index, part in enumerate(parts)
    )
    return re.compile(regex, re.DOTALL)


def translated(sentence: str) -> str:
    """``sentence`` in the current language when it is one of Click's fixed sentences."""
    if isinstance(sentence, Message) or current_language() == "en":
        return str(sentence)
    for message_id in _SENTENCES:
        found = _pattern(message_id).fullmatch(sentence)
        if found is None:
            continue
        values = {name: translated(value) for name, value in found.groupdict().items()}
        if "kind" in values:
            kind = _PATH_KINDS.get(values["kind"], "cli.usage.kind.path")
            values["kind"] = text(kind)
        return text(message_id, **values)
    return sentence


def usage_text(exc: TyperException) -> str:
    """The usage error ``exc`` as Click says it, in the current language."""
    try:
        from typer._click.exceptions import BadParameter, MissingParameter
    except ImportError:  # another Typer: its own words
        return exc.format_message()
    if current_language() == "en":
        return exc.format_message()
    if isinstance(exc, MissingParameter):
        return _missing(exc)
    if isinstance(exc, BadParameter):
        hint = _hint(exc)
        message = translated(exc.message)
        if hint is None:
            return text("cli.usage.invalid_value", message=message)
        return text("cli.usage.invalid_value_for", hint=translated(hint), message=message)
    return translated(exc.format_message())


def _hint(exc: object) -> str | None:
    """The parameter an error is about (``'--format'``), as Click names it."""
    given = getattr(exc, "param_hint", None)
    param = getattr(exc, "param", None)
    if given is None and param is not None:
        given = param.get_error_hint()
    if given is not None and not isinstance(given, str):
        return " / ".join(repr(part) for part in given)
    return given


def _missing(exc: object) -> str:
    """``Missing option '--target' / '-t'.`` and what may follow it (the choices)."""
    param = getattr(exc, "param", None)
    kind = str(getattr(exc, "param_type", None) or getattr(param, "param_type_name", "parameter"))
    hint = _hint(exc) or ""
    said = text(_MISSING.get(kind, "cli.usage.missing_parameter"), hint=translated(hint))
    extra = str(getattr(exc, "message", "") or "")
    if param is not None:
        more = param.get_missing_message(ctx=getattr(exc, "ctx", None))
        if more:
            extra = f"{extra}. {more}" if extra else more
    return f"{said} {translated(extra)}" if extra else said
