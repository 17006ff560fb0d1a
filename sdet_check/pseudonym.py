"""Pseudonymisation of personal data in evidence (DESIGN §6: data about minors).

A :class:`Pseudonymiser` replaces a personal value by a stable salted hash
(``pseudo:3f9a0c2e71``, HMAC-SHA-256 truncated to 40 bits): the same value gets the same
pseudonym throughout a run, so that a reader can still see that two findings concern the same
person, but the value cannot be read back. The salt is random per process unless the target
provides one (then pseudonyms are also stable from one run to the next, for re-audits). Each
pseudonymiser counts what it masked, by field, and describes it for the report.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import Counter
from typing import Any

PREFIX = "pseudo:"
"""Every pseudonym starts with this, so that a reader recognises it."""

_PROCESS_SALT = secrets.token_bytes(32)


class Pseudonymiser:
    """Replaces personal values by salted hashes and keeps count of what it masked."""

    def __init__(self, salt: bytes | None = None, *, enabled: bool = True) -> None:
        """Use ``salt`` (a run-wide random salt when ``None``); ``enabled=False`` masks nothing."""
        self._salt = salt if salt is not None else _PROCESS_SALT
        self.salt_source = "target" if salt is not None else "random"
        """``target`` (the target file gives the salt: pseudonyms stable across runs) or
        ``random`` (drawn for this run); a code, so that the evidence reads in any language."""
        self.enabled = enabled
        self.masked: Counter[str] = Counter()

    def value(self, value: str, field: str) -> str:
        """Return the pseudonym of ``value`` (a ``field`` such as ``sn`` or ``dn``)."""
        if not self.enabled:
            return value
        self.masked[field] += 1
        digest = hmac.new(self._salt, value.encode("utf-8"), hashlib.sha256).hexdigest()
        return PREFIX + digest[:10]

    def dn(self, dn: str) -> str:
        """Mask the values of the leftmost RDN of a person's DN; keep the rest (the tree).

        ``uid=jdupont,ou=people,dc=ent,dc=test`` → ``uid=pseudo:…,ou=people,dc=ent,dc=test``.
        """
        if not self.enabled or not dn:
            return dn
        rdn, comma, rest = _split_first_rdn(dn)
        parts = []
        for assertion in _split_unescaped(rdn, "+"):
            attribute, equals, value = assertion.partition("=")
            parts.append(f"{attribute}={self.value(value.strip(), 'rdn')}" if equals else assertion)
        return "+".join(parts) + comma + rest

    def describe(self) -> dict[str, Any]:
        """What was masked and how, for the evidence (codes, not sentences: any language).

        ``method`` ``hmac-sha256-40`` is HMAC-SHA-256 truncated to 40 bits; ``salt`` is
        ``target`` or ``random`` (see :attr:`salt_source`).
        """
        return {
            "enabled": self.enabled,
            "method": "hmac-sha256-40",
            "prefix": PREFIX,
            "salt": self.salt_source,
            "masked_values": dict(sorted(self.masked.items())),
        }


def _split_first_rdn(dn: str) -> tuple[str, str, str]:
    """Split ``dn`` at its first unescaped comma: ``(rdn, ",", rest)``."""
    escaped = False
    for index, char in enumerate(dn):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            return dn[:index], ",", dn[index + 1 :]
    return dn, "", ""


def _split_unescaped(text: str, separator: str) -> list[str]:
    parts, start, escaped = [], 0, False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts
