"""A map from 64-bit integers to 64-bit integers in about 16 bytes an entry.

The identifier index of a validation holds one entry per person and one per pupil–relative
link awaiting its pupil: in a ``dict`` each costs about 100 bytes (two int objects and a
slot), which makes the memory of a validation grow with the size of the set. Here entries
go to a small ``dict`` first; when it fills, they are merged into two sorted ``array('Q')``
(keys, values), looked up by bisection. Removed entries of the arrays are marked and
dropped at the next merge, which also happens once half of the arrays is removed.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterator

LARGEST = (1 << 64) - 1
"""Values must be below it (keys may reach it)."""
_REMOVED = LARGEST
"""Value of a removed entry in the arrays (never a stored value)."""


class IntMap:
    """``dict[int, int]`` for keys in ``[0, 2**64)``, values below :data:`LARGEST`."""

    def __init__(self, batch: int = 1 << 14) -> None:
        """Keep up to ``batch`` recent entries in a ``dict`` before merging them."""
        self._batch = batch
        self._recent: dict[int, int] = {}
        self._keys = array("Q")
        self._values = array("Q")
        self._removed = 0

    def __len__(self) -> int:
        """Number of entries."""
        return len(self._recent) + len(self._keys) - self._removed

    def _find(self, key: int) -> int:
        keys = self._keys
        position = bisect_left(keys, key)
        if position < len(keys) and keys[position] == key and self._values[position] != _REMOVED:
            return position
        return -1

    def get(self, key: int) -> int | None:
        """The value of ``key``, or None."""
        value = self._recent.get(key)
        keys = self._keys
        if value is not None or not keys:
            return value
        position = bisect_left(keys, key)
        if position < len(keys) and keys[position] == key:
            value = self._values[position]
            if value != _REMOVED:
                return value
        return None

    def __setitem__(self, key: int, value: int) -> None:
        """Set the value of ``key``."""
        if self._keys:
            position = self._find(key)
            if position >= 0:
                self._values[position] = value
                return
        recent = self._recent
        recent[key] = value
        if len(recent) >= self._batch:
            self._merge()

    def add(self, key: int, value: int) -> None:
        """Set the value of ``key``, known to be absent (saves a search)."""
        recent = self._recent
        recent[key] = value
        if len(recent) >= self._batch:
            self._merge()

    def pop(self, key: int) -> int | None:
        """Remove ``key``; its value, or None if it was absent."""
        value = self._recent.pop(key, None)
        if value is not None or not self._keys:
            return value
        position = self._find(key)
        if position < 0:
            return None
        value = self._values[position]
        self._values[position] = _REMOVED
        self._removed += 1
        if self._removed > len(self._keys) // 2:
            self._merge()  # once half is removed, give the memory back
        return value

    def items(self) -> Iterator[tuple[int, int]]:
        """Every (key, value), in no particular order."""
        for key, value in zip(self._keys, self._values, strict=True):
            if value != _REMOVED:
                yield key, value
        yield from self._recent.items()

    def values(self) -> Iterator[int]:
        """Every value, in no particular order."""
        for value in self._values:
            if value != _REMOVED:
                yield value
        yield from self._recent.values()

    def clear(self) -> None:
        """Remove every entry."""
        self._recent.clear()
        self._keys = array("Q")
        self._values = array("Q")
        self._removed = 0

    def _merge(self) -> None:
        """Merge the recent entries into the sorted arrays, dropping removed ones.

        The recent keys are absent from the arrays (``__setitem__`` updates those in
        place), so a merge only interleaves: each recent key's place is found by
        bisection and the runs of old entries between them are copied through memory
        views into arrays allocated once at their final size, so that a merge needs no
        more than the old and the new arrays (no growing copies, no slice copies).
        """
        batch = sorted(self._recent.items())
        self._recent.clear()
        old_keys, old_values = self._keys, self._values
        if self._removed:
            kept = len(old_keys) - self._removed
            old_keys, old_values = _zeros(kept), _zeros(kept)
            position = 0
            for key, value in zip(self._keys, self._values, strict=True):
                if value != _REMOVED:
                    old_keys[position] = key
                    old_values[position] = value
                    position += 1
            self._keys = self._values = array("Q")
            self._removed = 0
        size = len(old_keys) + len(batch)
        keys, values = _zeros(size), _zeros(size)
        with (
            memoryview(keys) as new_k,
            memoryview(values) as new_v,
            memoryview(old_keys) as old_k,
            memoryview(old_values) as old_v,
        ):
            start = written = 0
            for key, value in batch:
                end = bisect_left(old_keys, key, start)
                run = end - start
                if run:
                    new_k[written : written + run] = old_k[start:end]
                    new_v[written : written + run] = old_v[start:end]
                    written += run
                keys[written] = key
                values[written] = value
                written += 1
                start = end
            new_k[written:] = old_k[start:]
            new_v[written:] = old_v[start:]
        self._keys, self._values = keys, values


def _zeros(size: int) -> array[int]:
    """An array of ``size`` zeros, allocated at once."""
    return array("Q", [0]) * size if size else array("Q")
