"""What every local reference server of the demo and the tests shares: a start/stop life cycle."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self


class Peer(ABC):
    """A server on 127.0.0.1 that ``start`` brings up and ``stop`` takes down and cleans up.

    Used as a context manager: ``with SlapdServer(...) as directory: ...`` starts it and
    stops it whatever happens inside.
    """

    @abstractmethod
    def start(self) -> None:
        """Bring the server up; return once it answers."""

    @abstractmethod
    def stop(self) -> None:
        """Take the server down and remove what it wrote; safe to call twice."""

    def __enter__(self) -> Self:
        """Start the server."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()
