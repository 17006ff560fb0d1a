"""A map from 64-bit integers to small or 64-bit integers in about 9 to 16 bytes an entry.

The identifier index of a validation holds one entry per person and one per pupil–relative
link awaiting its pupil: in a ``dict`` each costs about 100 bytes (two int objects and a
slot), which makes the memory of a validation grow with the size of the set. Here entries
go to a small ``dict`` first; when it fills, they are merged into sorted segments, each a
pair of arrays (keys as ``array('Q')``, values as narrow as the map was asked for), looked
up by bisection. Segments are bounded in size, so a merge rebuilds one segment at a time:
the memory a merge needs on top of the map is one segment, not a copy of the whole map,
and the peak memory of a validation stays close to what its entries need. Removed entries
are marked and dropped when their segment is next rebuilt, or all at once when half the
entries are removed.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator

LARGEST = (1 << 64) - 1
"""Values of a 64-bit map must be below it (keys may reach it)."""

_TYPECODES = {8: "B", 16: "H", 32: "I", 64: "Q"}

_Segment = tuple["array[int]", "array[int]"]


class IntMap:
    """``dict[int, int]`` for keys in ``[0, 2**64)`` and values below :attr:`largest`."""

    def __init__(self, batch: int = 1 << 14, *, value_bits: int = 64, segment: int = 1 << 15):
        """Keep up to ``batch`` recent entries in a ``dict`` before merging them.

        ``value_bits`` (8, 16, 32 or 64) is the width of the stored values; ``segment`` the
        usual number of entries of a segment (a segment is split past twice as many).
        """
        typecode = _TYPECODES[value_bits]
        if array(typecode).itemsize * 8 != value_bits:
            raise ValueError(f"no {value_bits}-bit array type on this platform")
        self._typecode = typecode
        self.largest = (1 << value_bits) - 1
        """Values must be below it: the largest value marks a removed entry."""
        self._batch = batch
        self._segment = max(1, segment)
        self._recent: dict[int, int] = {}
        self._segments: list[_Segment] = []
        self._firsts = array("Q")
        """The first key of each segment but the first (segment ``i`` starts at
        ``_firsts[i - 1]``): where a key belongs is one bisection away."""
        self._stored = 0
        """Entries in the segments, removed ones included."""
        self._removed = 0

    def __len__(self) -> int:
        """Number of entries."""
        return len(self._recent) + self._stored - self._removed

    def _locate(self, key: int) -> tuple[_Segment, int] | None:
        """The segment and position of ``key`` if stored and not removed."""
        segments = self._segments
        if not segments:
            return None
        segment = segments[bisect_right(self._firsts, key)]
        keys = segment[0]
        position = bisect_left(keys, key)
        if position < len(keys) and keys[position] == key and segment[1][position] != self.largest:
            return segment, position
        return None

    def get(self, key: int) -> int | None:
        """The value of ``key``, or None."""
        value = self._recent.get(key)
        if value is not None or not self._segments:
            return value
        found = self._locate(key)
        return None if found is None else found[0][1][found[1]]

    def _check(self, value: int) -> None:
        if not 0 <= value < self.largest:
            raise ValueError(f"IntMap value {value} outside [0, {self.largest})")

    def __setitem__(self, key: int, value: int) -> None:
        """Set the value of ``key``; ``ValueError`` for a value the width cannot hold."""
        self._check(value)
        if self._segments:
            found = self._locate(key)
            if found is not None:
                found[0][1][found[1]] = value
                return
        recent = self._recent
        recent[key] = value
        if len(recent) >= self._batch:
            self._merge()

    def add(self, key: int, value: int) -> None:
        """Set the value of ``key``, known to be absent (saves a search)."""
        self._check(value)  # before anything is stored: a merge never meets a bad value
        recent = self._recent
        recent[key] = value
        if len(recent) >= self._batch:
            self._merge()

    def pop(self, key: int) -> int | None:
        """Remove ``key``; its value, or None if it was absent."""
        value = self._recent.pop(key, None)
        if value is not None or not self._segments:
            return value
        found = self._locate(key)
        if found is None:
            return None
        (_, values), position = found
        value = values[position]
        values[position] = self.largest
        self._removed += 1
        if self._removed > self._stored // 2:
            self._rebuild([])  # once half is removed, give the memory back
        return value

    def items(self) -> Iterator[tuple[int, int]]:
        """Every (key, value), in no particular order."""
        removed = self.largest
        for keys, values in self._segments:
            for key, value in zip(keys, values, strict=True):
                if value != removed:
                    yield key, value
        yield from self._recent.items()

    def values(self) -> Iterator[int]:
        """Every value, in no particular order."""
        removed = self.largest
        for _, values in self._segments:
            for value in values:
                if value != removed:
                    yield value
        yield from self._recent.values()

    def clear(self) -> None:
        """Remove every entry."""
        self._recent.clear()
        self._segments = []
        self._firsts = array("Q")
        self._stored = self._removed = 0

    def _merge(self) -> None:
        """Merge the recent entries into the segments they belong to, one segment at a time.

        The recent keys are absent from the segments (``__setitem__`` updates those in
        place). Each segment that receives keys is rebuilt with them, without its removed
        entries, and split when it grows past twice the usual size.
        """
        batch = sorted(self._recent.items())
        self._recent.clear()
        self._rebuild(batch)

    def _rebuild(self, batch: list[tuple[int, int]]) -> None:
        """Rebuild the segments that receive part of ``batch`` or hold removed entries."""
        firsts = self._firsts
        segments = self._segments or [(array("Q"), array(self._typecode))]
        batch_keys = [key for key, _ in batch]
        rebuilt: list[_Segment] = []
        start = 0
        for index, segment in enumerate(segments):
            end = bisect_left(batch_keys, firsts[index]) if index < len(firsts) else len(batch)
            part = batch[start:end]
            start = end
            if not part and not (self._removed and self.largest in segment[1]):
                rebuilt.append(segment)
                continue
            merged = self._merged(segment, part)
            segments[index] = (array("Q"), array(self._typecode))  # free the old arrays now
            rebuilt.extend(self._split(merged))
        self._segments = [segment for segment in rebuilt if len(segment[0])]
        self._firsts = array("Q", (keys[0] for keys, _ in self._segments[1:]))

    def _merged(self, segment: _Segment, part: list[tuple[int, int]]) -> _Segment:
        """``segment`` with the sorted entries of ``part`` interleaved, removed ones dropped."""
        old_keys, old_values = segment
        removed = self.largest
        if self._removed and removed in old_values:  # a scan in C, cheaper than a copy
            kept = [(k, v) for k, v in zip(old_keys, old_values, strict=True) if v != removed]
            self._removed -= len(old_keys) - len(kept)
            self._stored -= len(old_keys) - len(kept)
            old_keys = array("Q", (k for k, _ in kept))
            old_values = array(self._typecode, (v for _, v in kept))
        size = len(old_keys) + len(part)
        keys, values = _zeros("Q", size), _zeros(self._typecode, size)
        with (
            memoryview(keys) as new_k,
            memoryview(values) as new_v,
            memoryview(old_keys) as old_k,
            memoryview(old_values) as old_v,
        ):
            start = written = 0
            for key, value in part:
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
        self._stored += len(part)
        return keys, values

    def _split(self, segment: _Segment) -> list[_Segment]:
        """``segment`` cut into pieces of the usual size when it is over twice that size."""
        keys, values = segment
        size = self._segment
        if len(keys) <= 2 * size:
            return [segment]
        return [(keys[at : at + size], values[at : at + size]) for at in range(0, len(keys), size)]


def _zeros(typecode: str, size: int) -> array[int]:
    """An array of ``size`` zeros, allocated at once."""
    return array(typecode, [0]) * size if size else array(typecode)
