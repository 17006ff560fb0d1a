"""The "NON VÉRIFIÉ" mark of documents rendered from runs that failed their evidence check.

``sdet-check report`` and ``compare`` refuse a run whose evidence does not match its
manifest; with ``--allow-unverified`` they render it inside :func:`unverified`, and the
shared page layout (``_layout.html.j2``) then shows a banner on screen and a running header
on every printed page. Kept out of the view models, so every document template gets it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from sdet_check.reporters.wording import WORDS

_PROBLEMS: ContextVar[tuple[str, ...] | None] = ContextVar("sdet_check_unverified", default=None)


@contextmanager
def unverified(problems: Sequence[str]) -> Iterator[None]:
    """Render every document inside this block with the unverified mark and ``problems``."""
    token = _PROBLEMS.set(tuple(problems))
    try:
        yield
    finally:
        _PROBLEMS.reset(token)


def unverified_notice(lang: str = "fr") -> dict[str, object] | None:
    """What the layout shows (mark, explanation, problems), or ``None`` for a verified run."""
    problems = _PROBLEMS.get()
    if problems is None:
        return None
    words = WORDS.get(lang, WORDS["fr"])
    return {
        "mark": words["unverified_mark"],
        "text": words["unverified_text"],
        "problems": list(problems),
    }
