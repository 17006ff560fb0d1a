"""Keep secrets out of every output: replace known secret values wherever they appear."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MASK = "***"


class Redactor:
    """Replaces each known secret value by ``***`` in nested JSON data, counting hits."""

    def __init__(self, secrets: Iterable[str]) -> None:
        """Keep the secret values, longest first (a secret may contain another)."""
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self.masked = 0

    def text(self, value: str) -> str:
        """Return ``value`` with every secret masked."""
        for secret in self._secrets:
            if secret in value:
                self.masked += value.count(secret)
                value = value.replace(secret, MASK)
        return value

    def data(self, value: Any) -> Any:
        """Return a copy of JSON-ready ``value`` with every secret masked, keys included."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value
