"""Properties of the YAML loaders: read_yaml, targets, declarations, reviews, waivers.

Arbitrary YAML text gives either a loaded object or the documented InputError (file, place,
fix), never another exception; the example files, edited value by value, load or are
refused the same way.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sdet_check.declarations import load_declarations, load_reviews, load_waivers
from sdet_check.errors import InputError
from sdet_check.target import load_target
from sdet_check.yamlfile import read_yaml
from tests.strategies import budget

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

SCALARS = [
    "", "~", "null", "true", "no", "on", "0", "-1", "0x1F", "0o17", "1_000", "1e999", ".nan",
    "-.inf", "190:20:30", "2026-09-15", "2026-09-15T10:00:00Z", "2026-09-15 10:00:00 +02:00",
    "'quoted'", '"dq \\u00e9 \\x00"', "|\n  bloc", ">-\n  plié", "[a, b]", "{a: 1}", "[", "{",
    "]", "}", "*alias", "&anchor x", "!!binary aGVsbG8=", "!!binary zz", "!!python/name:os.system",
    "!!str 1", "!!null x", "!!set [1]", "!custom x", "%TAG", "? complex",
    "- item", "@", "`", "\t", "é", "\x00", "\ufeff", "\x85", "a: b: c", "'unterminated",
    "\"unterminated", "#", "- - -", "<<: {a: 1}", "=", "\\", "${SDET_ELEVE_PASSWORD}",
]  # fmt: skip
"""YAML scalars and fragments that parse, fail to parse, or surprise."""

CRASHING = [
    "2027-02-31",  # impossible date: ValueError from the date constructor
    "2026-13-15",
    "2026-02-30 10:00:00",
    "9" * 4301,  # more digits than int() converts: ValueError
    "0x" + "f" * 4301,
    "1" + "0" * 4301 + ":1",
    # An explicit tag on a value its constructor cannot read: ValueError, KeyError,
    # AttributeError from PyYAML's constructors or from the duplicate-key check.
    "!!int x",
    "!!float 1e",
    "!!bool x",
    "!!map x",
    "!!timestamp x",
    "!!timestamp 2026-01-01\n~",
]
"""Scalars the loaders turn into ``Erreur interne : ValueError`` today (issue 10)."""
DEEP = "[" * 5000 + "]" * 5000
"""Nesting deeper than the recursion limit: RecursionError today (issue 10)."""

LINE_STARTS = ["", "  ", "    ", "- ", "  - ", "key: ", "  key: ", "---\n", "...\n", "%YAML 1.1\n"]
UNHASHABLE_KEYS = ["? ", "? - ", "[a]: ", "{a: 1}: "]
"""A mapping or a list as a key: TypeError (unhashable) in the duplicate-key check today."""


def yaml_texts(scalars: list[str], starts: list[str] = LINE_STARTS) -> st.SearchStrategy[str]:
    """YAML-shaped text: lines of indentation, keys and scalars, or any text at all."""
    line = st.builds(
        lambda start, key, scalar: f"{start}{key}{scalar}",
        st.sampled_from(starts),
        st.sampled_from(["", "a: ", "format: ", "name: ", "expires: ", "a: b: ", "- "]),
        st.sampled_from(scalars),
    )
    return st.one_of(
        st.lists(line, max_size=8).map("\n".join),
        st.text(max_size=60),
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of examples/ (proof documents included), where edited files are written."""
    copy = tmp_path_factory.mktemp("yaml") / "examples"
    shutil.copytree(EXAMPLES, copy)
    return copy


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


def _loads_or_input_error(load: Callable[[], Any]) -> Any:
    try:
        return load()
    except InputError as refused:
        assert refused.file and refused.problem and refused.fix
        return None


@budget(ci=1500)
@given(yaml_texts(SCALARS))
def test_read_yaml_gives_data_or_input_error(folder: Path, text: str) -> None:
    path = _write(folder, "any.yaml", text)
    loaded = _loads_or_input_error(lambda: read_yaml(path))
    if loaded is not None:
        assert loaded.file == path


@budget(ci=300)
@given(yaml_texts(SCALARS + CRASHING, LINE_STARTS + UNHASHABLE_KEYS))
@example("expires: 2027-02-31")
@example("a: " + "9" * 4301)
@example(DEEP)
@example("format: !!int x")
@example("a: !!bool x")
@example("a: !!map x")
@example("a: !!timestamp x")
@example("? a: ")
@example("[a]: 1")
def test_read_yaml_never_fails_otherwise_than_by_input_error(folder: Path, text: str) -> None:
    path = _write(folder, "any.yaml", text)
    _loads_or_input_error(lambda: read_yaml(path))


# --- the loaders, on the example files edited ---------------------------------------------------

_VALUE = re.compile(r"^(?P<head>\s*(?:- )?[A-Za-z_]+:[ ]+)(?P<value>\S.*)$", re.M)


@st.composite
def edited(draw: st.DrawFn, name: str, scalars: list[str]) -> str:
    """The example file ``name`` with a few values replaced, lines dropped or duplicated."""
    lines = (EXAMPLES / name).read_text(encoding="utf-8").splitlines()
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["value", "value", "drop", "repeat", "indent"]))
        match = _VALUE.match(lines[index])
        if action == "value" and match:
            lines[index] = match["head"] + draw(st.sampled_from(scalars))
        elif action == "drop":
            del lines[index]
        elif action == "repeat":
            lines.insert(index, lines[index])
        elif action == "indent":
            lines[index] = " " + lines[index]
        if not lines:
            break
    return "\n".join(lines) + "\n"


ENVIRON = {"SDET_ELEVE_PASSWORD": "mot-de-passe-de-test", "SDET_LDAP_PASSWORD": "autre-secret"}


def _loaders(folder: Path) -> Iterator[tuple[str, Callable[[Path], Any]]]:
    yield "cible-ent.yaml", lambda path: load_target(path, environ=ENVIRON)
    yield "declarations.yaml", load_declarations
    yield "revues.yaml", load_reviews
    yield "reserves.yaml", load_waivers


LOADERS = dict(_loaders(EXAMPLES))


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_the_example_files_load(folder: Path, name: str) -> None:
    assert LOADERS[name](folder / name) is not None


@pytest.mark.parametrize("name", sorted(LOADERS))
@budget(ci=150)
@given(data=st.data())
def test_edited_files_load_or_give_input_error(
    folder: Path, name: str, data: st.DataObject
) -> None:
    text = data.draw(edited(name, SCALARS), label="text")
    path = _write(folder, f"edited-{name}", text)
    _loads_or_input_error(lambda: LOADERS[name](path))


@pytest.mark.parametrize("name", ["declarations.yaml", "reserves.yaml"])
def test_example_files_with_an_impossible_date_give_input_error(folder: Path, name: str) -> None:
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    text = re.sub(r"(date|expires): .*", r"\1: 2027-02-31", text, count=1)
    path = _write(folder, f"dated-{name}", text)
    _loads_or_input_error(lambda: LOADERS[name](path))
