"""The result of one requirement in a run, as the runner produces it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sdet_check.messages import Message
from sdet_check.probe import ErrorReason, Evidence, Status


@dataclass(frozen=True)
class RequirementResult:
    """What a run found for one requirement: status, message, evidence and timing."""

    requirement_id: str
    status: Status
    message: str
    evidence: tuple[Evidence, ...] = ()
    probe: str | None = None
    error_reason: ErrorReason | None = None
    trace: str | None = None
    """Traceback of a probe bug, for the probe's authors."""
    started_at: str | None = None
    duration_ms: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self, lang: str | None = None) -> dict[str, Any]:
        """Serialise for the run record (declarations and waivers are added by the run).

        A catalogue message is written in ``lang`` (default: as it was made) with its
        ``message_id`` and ``message_params``, so that a report re-renders it in any language.
        """
        message = self.message
        data: dict[str, Any] = {
            "requirement": self.requirement_id,
            "status": self.status.value,
            "message": message.render(lang) if isinstance(message, Message) and lang else message,
            "evidence": [piece.to_json() for piece in self.evidence],
        }
        if isinstance(message, Message):
            data.update(message.to_json())
        optional = {
            "probe": self.probe,
            "error_reason": self.error_reason.value if self.error_reason else None,
            "trace": self.trace,
            "started_at": self.started_at,
            "duration_ms": self.duration_ms,
        }
        data.update({k: v for k, v in optional.items() if v is not None})
        return data
