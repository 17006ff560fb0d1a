"""The words of the review, in French and English (``review.*`` in the message catalogue).

:func:`say` fills them; :data:`MESSAGES` shows their templates by language and key.
"""

from __future__ import annotations

from collections.abc import Mapping

from sdet_check.messages import LANGUAGES, catalogue, template, text

_PREFIX = "review."


def _templates() -> dict[str, dict[str, str]]:
    keys = [mid.removeprefix(_PREFIX) for mid in catalogue() if mid.startswith(_PREFIX)]
    return {lang: {key: template(_PREFIX + key, lang) for key in keys} for lang in LANGUAGES}


MESSAGES: Mapping[str, Mapping[str, str]] = _templates()
"""The review's templates by language then key (read from the message catalogue)."""


def say(lang: str, key: str, /, **values: object) -> str:
    """The message ``key`` in ``lang`` (French unless ``en``), filled with ``values``."""
    return text(_PREFIX + key, "en" if lang == "en" else "fr", **values)
