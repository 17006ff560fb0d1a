"""Properties of the run record (sdet_check/run.py): dump and load, and what load accepts.

A run dumped and loaded again is equal to itself, whatever its strings hold; any file given
as a run.json is either accepted or refused with InputError, never another exception; and a
record that load_run accepts can be re-scored and rendered by the text reporters.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sdet_check.errors import InputError
from sdet_check.reporters import reporter_for
from sdet_check.run import dump_run, load_run, rescore, run_hash
from tests.strategies import _base_record, budget, hostile_text, json_values, runs


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runs")


@budget(ci=100)
@given(runs(hostile_text()))
def test_dump_then_load_gives_the_same_run(folder: Path, record: dict[str, Any]) -> None:
    path = folder / "run.json"
    path.write_text(dump_run(record), encoding="utf-8")
    loaded = load_run(path)
    assert loaded == record
    assert run_hash(loaded) == run_hash(record)
    assert rescore(loaded).to_json() == record["score"]


def _load(folder: Path, data: bytes) -> dict[str, Any] | None:
    path = folder / "any.json"
    path.write_bytes(data)
    try:
        return load_run(path)
    except InputError as refused:
        assert refused.problem and refused.fix
        return None


json_text = st.one_of(
    json_values(st.text(max_size=10)).map(json.dumps),
    st.text(max_size=40),
    st.sampled_from(["[" * n + "]" * n for n in (10, 1000)] + ["{", "nul", "\ufeff{}", "NaN"]),
)


@budget(ci=4000)
@given(json_text)
@example("[" * 100_000 + "]" * 100_000)
@example('{"a": ' * 50_000 + "1" + "}" * 50_000)
def test_any_text_is_a_run_or_input_error(folder: Path, text: str) -> None:
    _load(folder, text.encode("utf-8", "surrogatepass"))


@budget(ci=3000)
@given(st.binary(max_size=60))
def test_any_bytes_are_a_run_or_input_error(folder: Path, data: bytes) -> None:
    _load(folder, data)


# --- tampered runs ----------------------------------------------------------------------------


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*prefix, index)))
    return found


_BASE = _base_record()
_PATHS = [p for p in _paths(_BASE) if p and "body_excerpt" not in p]
REPLACEMENTS = st.one_of(
    json_values(st.sampled_from(["", "x", "pass", "MUST", "technique", "T-PASS-001", "fail"])),
    st.sampled_from([[], {}, None, -1, 10**30, 1e308, "inconnu"]),
)


@st.composite
def tampered(draw: st.DrawFn) -> dict[str, Any]:
    """The demo run with up to three values replaced or removed, as a bidder might hand it in."""
    record = copy.deepcopy(_BASE)
    for path in draw(st.lists(st.sampled_from(_PATHS), min_size=1, max_size=3)):
        parent: Any = record
        try:
            for step in path[:-1]:
                parent = parent[step]
            if draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = draw(REPLACEMENTS)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed the way there
    return record


TEXT_REPORTERS = ("json", "csv", "junit", "terminal")


@budget(ci=300)
@given(tampered())
@example(
    {
        **_BASE,
        "grid": {
            **_BASE["grid"],
            "requirements": [
                {**_BASE["grid"]["requirements"][0], "axis": "inconnu"},
                *_BASE["grid"]["requirements"][1:],
            ],
        },
    }
)
def test_an_accepted_run_can_be_scored_and_rendered(folder: Path, record: dict[str, Any]) -> None:
    loaded = _load(folder, json.dumps(record).encode())
    if loaded is None:
        return
    rescore(loaded)
    for name in TEXT_REPORTERS:
        assert reporter_for(name).render(loaded, "fr")
