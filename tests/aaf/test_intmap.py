"""The compact map of the identifier index behaves as a dict, across merges and removals."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sdet_check.aaf.intmap import LARGEST, IntMap

_KEYS = st.one_of(st.integers(0, 40), st.integers(0, (1 << 64) - 1))
_OPS = st.lists(
    st.tuples(st.sampled_from(["set", "add", "pop", "get"]), _KEYS, st.integers(0, LARGEST - 1)),
    max_size=300,
)


@given(_OPS, st.integers(1, 8))
def test_intmap_matches_a_dict(ops: list[tuple[str, int, int]], batch: int) -> None:
    """Whatever the operations and the merge size, the map answers as a dict does."""
    compact, plain = IntMap(batch=batch), dict[int, int]()
    for op, key, value in ops:
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


def test_intmap_is_smaller_than_a_dict() -> None:
    """Once merged, an entry costs the two array slots, far below a dict's ~100 bytes."""
    compact = IntMap(batch=1000)
    for key in range(2_000_000, 2_050_000):
        compact[key] = key & 7
    assert len(compact) == 50_000
    size = compact._keys.buffer_info()[1] * 8 + compact._values.buffer_info()[1] * 8
    assert size <= 50_000 * 2 * 8 * 1.2
    assert compact.get(2_049_999) == 7
    assert compact.get(1_999_999) is None
