"""The compact map of the identifier index behaves as a dict, across merges and removals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sdet_check.aaf.intmap import LARGEST, IntMap

_KEYS = st.one_of(st.integers(0, 40), st.integers(0, (1 << 64) - 1))
_OPS = st.lists(
    st.tuples(st.sampled_from(["set", "add", "pop", "get"]), _KEYS, st.integers(0, LARGEST - 1)),
    max_size=300,
)


@given(_OPS, st.integers(1, 8), st.integers(1, 6), st.sampled_from([8, 16, 32, 64]))
def test_intmap_matches_a_dict(
    ops: list[tuple[str, int, int]], batch: int, segment: int, bits: int
) -> None:
    """Whatever the operations, merge and segment sizes and value width, it acts as a dict."""
    compact, plain = IntMap(batch=batch, segment=segment, value_bits=bits), dict[int, int]()
    for op, key, wide in ops:
        value = wide % compact.largest
        if op == "set" or (op == "add" and key not in plain):
            if op == "add":
                compact.add(key, value)
            else:
                compact[key] = value
            plain[key] = value
        elif op == "pop":
            assert compact.pop(key) == plain.pop(key, None)
        else:
            assert compact.get(key) == plain.get(key)
        assert len(compact) == len(plain)
    assert sorted(compact.items()) == sorted(plain.items())
    assert sorted(compact.values()) == sorted(plain.values())
    compact.clear()
    assert len(compact) == 0
    assert list(compact.items()) == []


def _stored_bytes(compact: IntMap) -> int:
    return sum(
        keys.buffer_info()[1] * keys.itemsize + values.buffer_info()[1] * values.itemsize
        for keys, values in compact._segments
    )


def test_intmap_is_smaller_than_a_dict() -> None:
    """Once merged, an entry costs its two array slots, far below a dict's ~100 bytes."""
    compact = IntMap(batch=1000)
    for key in range(2_000_000, 2_050_000):
        compact[key] = key & 7
    assert len(compact) == 50_000
    assert _stored_bytes(compact) <= 50_000 * 2 * 8 * 1.2
    assert compact.get(2_049_999) == 7
    assert compact.get(1_999_999) is None
    narrow = IntMap(batch=1000, value_bits=8)
    for key in range(2_000_000, 2_050_000):
        narrow.add(key, key & 7)
    assert _stored_bytes(narrow) <= 50_000 * 9 * 1.2
    assert narrow.get(2_049_999) == 7


def test_a_merge_rebuilds_one_segment_at_a_time() -> None:
    """Segments stay bounded: a merge never needs a second copy of the whole map."""
    compact = IntMap(batch=500, segment=1000)
    for key in range(0, 40_000, 2):
        compact.add(key, 1)
    for key in range(1, 40_000, 2):  # odd keys land in every segment
        compact.add(key, 2)
    assert len(compact) == 40_000
    sizes = [len(keys) for keys, _ in compact._segments]
    assert max(sizes) <= 2 * 1000
    assert len(sizes) >= 20
    assert all(compact.get(key) == 1 + key % 2 for key in range(0, 40_000, 997))
    for key in range(0, 40_000, 3):
        assert compact.pop(key) == 1 + key % 2
    assert len(compact) == 40_000 - len(range(0, 40_000, 3))
    assert compact.get(3) is None and compact.get(4) == 1


def test_values_must_fit_the_width() -> None:
    """The largest value of the width marks removed entries: the map says which it is."""
    assert IntMap(value_bits=8).largest == 255
    assert IntMap().largest == LARGEST


def test_a_value_the_width_cannot_hold_is_refused_before_anything_changes() -> None:
    """255 marks removed entries of an 8-bit map: storing it (or 256) would lose data."""
    narrow = IntMap(batch=2, value_bits=8)
    narrow.add(1, 254)
    for bad in (255, 256, -1):
        with pytest.raises(ValueError):
            narrow[2] = bad
        with pytest.raises(ValueError):
            narrow.add(3, bad)
    narrow.add(4, 7)  # a merge happens: the map is still whole
    assert sorted(narrow.items()) == [(1, 254), (4, 7)] and len(narrow) == 2


def test_a_key_map_keeps_one_value_per_key_whatever_its_width() -> None:
    """A person key whose value outgrows the compact store moves, it is not duplicated."""
    from sdet_check.aaf.crossref import _KeyMap

    keys: _KeyMap[int] = _KeyMap(value_bits=8)
    keys[5] = 3
    keys[5] = 300
    assert keys.get(5) == 300 and sorted(keys.items()) == [(5, 300)]
    keys[5] = 4
    assert keys.get(5) == 4 and sorted(keys.items()) == [(5, 4)]
