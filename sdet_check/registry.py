"""The probe registry: probe kinds found through the ``sdet_check.probes`` entry-point group.

Built-in probes register exactly as a third-party package would: an entry point whose value
is a :class:`~sdet_check.probe.Probe` subclass or a sequence of them (``probes.http:PROBES``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import Any, Self

from sdet_check.errors import ProbeRegistryError
from sdet_check.probe import Probe

ENTRY_POINT_GROUP = "sdet_check.probes"

logger = logging.getLogger(__name__)


class UnknownProbeError(ProbeRegistryError):
    """A grid names a probe kind no installed package provides."""


class ProbeRegistry:
    """Probe classes by kind. Tests build one directly; the CLI builds it from entry points."""

    def __init__(self, probes: Iterable[type[Probe]] = ()) -> None:
        """Register ``probes``; two classes with the same kind are an error."""
        self._probes: dict[str, type[Probe]] = {}
        self.broken: list[str] = []
        """Entry points that failed to load, as readable messages."""
        for probe in probes:
            self.add(probe)

    def add(self, probe: type[Probe]) -> None:
        """Register one probe class."""
        kind = getattr(probe, "kind", None)
        if not isinstance(kind, str) or "." not in kind:
            raise ProbeRegistryError(f"{probe!r} n'a pas d'attribut kind « famille.nom »")
        existing = self._probes.get(kind)
        if existing is not None and existing is not probe:
            raise ProbeRegistryError(
                f"deux sondes déclarent le type « {kind} » : "
                f"{existing.__module__}.{existing.__qualname__} et "
                f"{probe.__module__}.{probe.__qualname__}"
            )
        self._probes[kind] = probe

    @classmethod
    def from_entry_points(cls, group: str = ENTRY_POINT_GROUP) -> Self:
        """Load every probe declared in ``group``; a broken plugin is recorded, not fatal."""
        registry = cls()
        for entry_point in sorted(entry_points(group=group), key=lambda ep: ep.name):
            try:
                loaded: Any = entry_point.load()
                classes = list(loaded) if isinstance(loaded, list | tuple) else [loaded]
                for probe in classes:
                    if not (isinstance(probe, type) and issubclass(probe, Probe)):
                        raise TypeError(f"{probe!r} n'est pas une sous-classe de Probe")
                    registry.add(probe)
            except ProbeRegistryError:
                raise
            except Exception as exc:  # a third-party plugin may fail in any way
                message = f"extension de sondes « {entry_point.value} » inutilisable : {exc}"
                logger.warning(message)
                registry.broken.append(message)
        return registry

    def get(self, kind: str) -> type[Probe]:
        """Return the probe class of ``kind``; :class:`UnknownProbeError` lists known kinds."""
        try:
            return self._probes[kind]
        except KeyError:
            known = ", ".join(self.kinds()) or "aucune"
            raise UnknownProbeError(
                f"type de sonde inconnu « {kind} » (sondes installées : {known})"
            ) from None

    def __contains__(self, kind: object) -> bool:
        """Tell whether ``kind`` is registered."""
        return kind in self._probes

    def kinds(self) -> list[str]:
        """Every registered kind, sorted."""
        return sorted(self._probes)

    def probes(self) -> list[type[Probe]]:
        """Every registered class, sorted by kind."""
        return [self._probes[kind] for kind in self.kinds()]
