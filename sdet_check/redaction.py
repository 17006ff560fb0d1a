r"""Keep secrets and control characters out of every output.

Secrets: each known secret value is replaced by ``***`` in free text (messages, traces,
evidence summaries and evidence values), never in keys or fixed vocabulary (statuses, probe
kinds), so that masking cannot corrupt a run. A secret is masked where it stands as a
whole value or token, never inside a longer word: an occurrence touching a letter or a digit
on either side is part of other text (``eleve.test1``, ``l'Exemple``), and masking it there
would both damage that text and reveal the secret to whoever knows the text. Short secrets,
which would be common as tokens, are refused when the target is loaded
(:data:`sdet_check.target.MIN_SECRET_LENGTH`). Control characters a target sent (terminal
escapes, characters XML cannot carry) are shown as ``\xNN`` instead of being passed on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

MASK = "***"

# C0 controls but tab and newline; DEL and C1 controls; bidirectional overrides and marks
# (U+202E turns text around); the BOM inside text; lone surrogates (they cannot be
# encoded); what XML 1.0 forbids (U+FFFE, U+FFFF).
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ufeff\ufffe\uffff\ud800-\udfff]"
)

MAX_DISPLAY_CHARS = 4000
"""Longest text a document or terminal shows in one place; the rest stays in run.json."""

LONG_TOKEN = 100
"""Longer runs without a space get a break opportunity every this many characters."""

_LONG_RUN = re.compile(rf"\S{{{LONG_TOKEN + 1},}}")
_ZERO_WIDTH_SPACE = "\u200b"


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible_controls(text: str) -> str:
    r"""Replace control characters by a visible ``\xNN`` or ``\uNNNN`` (a target may send anything).

    Tab and newline are kept; everything that moves a terminal's cursor, clears its screen,
    reverses the direction of text or cannot be encoded is shown instead of passed on.
    """
    return _CONTROL.sub(_shown, text)


def visible_one_line(text: str) -> str:
    r"""Like :func:`visible_controls`, and tab and newline shown too: text kept on one line.

    For names quoted inside a message (a signer, a file, an evidence kind): a newline there
    would print a line the tool never wrote.
    """
    return visible_controls(text).replace("\t", "\\t").replace("\n", "\\n")


def shortened(text: str, max_chars: int = MAX_DISPLAY_CHARS) -> str:
    """``text`` cut to ``max_chars`` characters, saying how many were left out."""
    if len(text) <= max_chars:
        return text
    return f"{text[:max_chars]} … [{len(text) - max_chars} caractères de plus : voir run.json]"


def breakable(text: str) -> str:
    """``text`` with a zero-width space every :data:`LONG_TOKEN` characters of a long token.

    A layout engine looks for a line break inside an unbroken token at great cost (a 64 KB
    token took minutes to lay out in a PDF); the break opportunities make it linear.
    """

    def split(match: re.Match[str]) -> str:
        token = match.group()
        return _ZERO_WIDTH_SPACE.join(
            token[i : i + LONG_TOKEN] for i in range(0, len(token), LONG_TOKEN)
        )

    return _LONG_RUN.sub(split, text)


def displayable(text: str, max_chars: int = MAX_DISPLAY_CHARS) -> str:
    """Text a report shows: controls made visible, length bounded, long tokens breakable."""
    return breakable(shortened(visible_controls(text), max_chars))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text, never evaluates (OWASP CSV injection).

    Controls are made visible, and text starting with ``= + - @``, a tab or a carriage
    return is prefixed with an apostrophe, which spreadsheets read as "this is text".
    Numbers are left as they are.
    """
    if not isinstance(value, str):
        return value
    if value.startswith(_FORMULA_START):
        value = "'" + value
    return visible_controls(value)


def clean_values(value: Any) -> Any:
    """Apply :func:`visible_controls` to every string value (keys included) of JSON data."""
    if isinstance(value, str):
        return visible_controls(value)
    if isinstance(value, dict):
        return {visible_controls(str(k)): clean_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_values(v) for v in value]
    return value


# Not preceded or followed by a letter or a digit (``_`` counts as a separator).
_BEFORE = r"(?<![^\W_])"
_AFTER = r"(?![^\W_])"


class Redactor:
    """Replaces each known secret value by ``***`` where it stands as a token, counting hits."""

    def __init__(self, secrets: Iterable[str]) -> None:
        """Keep the secret values, longest first (a secret may contain another)."""
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._pattern = (
            re.compile(
                "|".join(f"{_BEFORE}{re.escape(secret)}{_AFTER}" for secret in self._secrets)
            )
            if self._secrets
            else None
        )
        self.masked = 0

    def text(self, value: str) -> str:
        """Return ``value`` with every secret that stands as a whole token masked."""
        if self._pattern is None:
            return value
        masked, hits = self._pattern.subn(MASK, value)
        self.masked += hits
        return masked

    def values(self, value: Any) -> Any:
        """Return a copy of JSON data with secrets masked in string values, keys untouched."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.values(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.values(v) for v in value]
        return value

    def fields(self, entry: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
        """Return ``entry`` with secrets masked in the listed free-text fields only."""
        masked = dict(entry)
        for name in names:
            if name in masked:
                masked[name] = self.values(masked[name])
        return masked
