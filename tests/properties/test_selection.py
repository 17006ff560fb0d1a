"""Properties of run selection (sdet_check/selection.py): filters are conjunctive and exact."""

from __future__ import annotations

from fnmatch import fnmatchcase

from hypothesis import given
from hypothesis import strategies as st

from sdet_check.selection import Selection
from tests.records import grid
from tests.strategies import budget

SDET = grid("sdet/6.4")
IDS = [r.id for r in SDET.requirements]
AXES = [a.id for a in SDET.axes]
TAGS = sorted(SDET.tags())

patterns = st.one_of(
    st.sampled_from(IDS),
    st.sampled_from(IDS).map(lambda i: i.rsplit("-", 1)[0] + "-*"),
    st.sampled_from(["*", "?", "[A-Z]*", "SSO-*-00?", "NOPE-*", "[!S]*", "*-001"]),
)
selections = st.builds(
    Selection,
    axes=st.frozensets(st.sampled_from([*AXES, "inconnu"]), max_size=2),
    levels=st.frozensets(st.sampled_from(["MUST", "SHOULD", "MAY"]), max_size=2),
    tags=st.frozensets(st.sampled_from([*TAGS, "inconnue"]), max_size=2),
    only=st.lists(patterns, max_size=3).map(tuple),
    skip=st.lists(patterns, max_size=2).map(tuple),
)


@budget(ci=600)
@given(selections)
def test_a_requirement_is_selected_exactly_when_every_filter_lets_it_through(
    selection: Selection,
) -> None:
    for requirement in SDET.requirements:
        expected = (
            (not selection.axes or requirement.axis in selection.axes)
            and (not selection.levels or requirement.level.value in selection.levels)
            and (not selection.tags or bool(selection.tags & set(requirement.tags)))
            and (not selection.only or any(fnmatchcase(requirement.id, p) for p in selection.only))
            and not any(fnmatchcase(requirement.id, p) for p in selection.skip)
        )
        reason = selection.reason_to_skip(requirement)
        assert (reason is None) == expected
        assert reason is None or reason.strip()


@budget(ci=600)
@given(selections)
def test_unknown_names_are_exactly_those_matching_nothing(selection: Selection) -> None:
    unknown = selection.unknown_names(SDET)
    assert ("axe inconnu" in unknown) == ("inconnu" in selection.axes)
    assert ("niveau MAY" in unknown) == ("MAY" in selection.levels)
    assert ("étiquette inconnue" in unknown) == ("inconnue" in selection.tags)
    for pattern in (*selection.only, *selection.skip):
        matches = any(fnmatchcase(i, pattern) for i in IDS)
        assert (f"exigence {pattern}" in unknown) == (not matches)


@budget(ci=600)
@given(selections)
def test_selection_serialises_what_it_holds(selection: Selection) -> None:
    data = selection.to_json()
    assert set(data["axes"]) == selection.axes and data["only"] == list(selection.only)
    assert data["levels"] == sorted(data["levels"]) and data["tags"] == sorted(selection.tags)


RECORDED = [r.to_json() for r in SDET.requirements]


@budget(ci=300)
@given(selections)
def test_the_selection_read_back_from_a_run_record_selects_the_same_requirements(
    selection: Selection,
) -> None:
    # `compare` re-applies run.json's selection to the run's own requirements to tell a
    # partial run: it must agree with what the runner selected.
    read_back = Selection.from_json(selection.to_json())
    assert read_back == selection
    for requirement, recorded in zip(SDET.requirements, RECORDED, strict=True):
        assert read_back.selects(recorded) == (selection.reason_to_skip(requirement) is None)
