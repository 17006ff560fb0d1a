"""The wording of an import's errors, in French and English (``questionnaire.*`` in the catalogue).

Every problem an import can find, with its fix, and the frame of the error message.
"""

from __future__ import annotations

from collections.abc import Mapping

from sdet_check.messages import LANGUAGES, catalogue, template, text

_FRESH = "`sdet-check questionnaire {ref} --out questionnaire.ods`"

_PROBLEM = "questionnaire.problem."
_FRAME_ID = "questionnaire.frame."


def problem_text(lang: str, key: str, /, **params: object) -> tuple[str, str]:
    """The problem ``key`` and its fix in ``lang`` (``questionnaire.problem.*``)."""
    return (
        text(f"{_PROBLEM}{key}", lang, **params),
        text(f"{_PROBLEM}{key}.fix", lang, **params),
    )


def frame_text(lang: str, key: str, /, **params: object) -> str:
    """A piece of the import error's frame in ``lang`` (``questionnaire.frame.*``)."""
    return text(f"{_FRAME_ID}{key}", lang, **params)


def _problems() -> dict[str, dict[str, tuple[str, str]]]:
    keys = [
        mid.removeprefix(_PROBLEM)
        for mid in catalogue()
        if mid.startswith(_PROBLEM) and not mid.endswith(".fix")
    ]
    return {
        lang: {
            k: (template(_PROBLEM + k, lang), template(f"{_PROBLEM}{k}.fix", lang)) for k in keys
        }
        for lang in LANGUAGES
    }


def _frame() -> dict[str, dict[str, str]]:
    keys = [mid.removeprefix(_FRAME_ID) for mid in catalogue() if mid.startswith(_FRAME_ID)]
    return {lang: {k: template(_FRAME_ID + k, lang) for k in keys} for lang in LANGUAGES}


_MESSAGES: Mapping[str, Mapping[str, tuple[str, str]]] = _problems()
"""Every problem an import can find, with its fix, in French and English (templates)."""

_FRAME: Mapping[str, Mapping[str, str]] = _frame()
"""The frame of the import's error message, in French and English (templates)."""
