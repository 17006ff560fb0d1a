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

# C0 controls but tab, newline and carriage return; DEL and C1 controls; what XML 1.0 forbids.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def visible_controls(text: str) -> str:
    r"""Replace control characters by a visible ``\xNN`` (a target may send anything)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


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
