"""Properties of grid diff (sdet_check/griddiff.py): every change is listed, and shown.

Between a requirement and any edit of it, the diff lists a change of each kind whose fields
differ, nothing else, and every change it lists shows different old and new values (never
``declaration → declaration``).
"""

from __future__ import annotations

import dataclasses

from hypothesis import example, given
from hypothesis import strategies as st

from sdet_check.grid import Level, Method, Requirement, Text, Verification
from sdet_check.griddiff import ChangeKind, diff_grids
from tests.records import grid
from tests.strategies import budget

BASE = grid("sdet/6.4")
words = st.sampled_from(["", "a", "b", "Registre", "registre", "Registre ", "DOIT", "x" * 50])
texts = st.builds(Text, words, words)


@st.composite
def edits(draw: st.DrawFn, requirement: Requirement) -> Requirement:
    """``requirement`` with some fields changed (or none)."""
    changes: dict[str, object] = {}
    if draw(st.booleans()):
        changes["level"] = draw(st.sampled_from(list(Level)))
    if draw(st.booleans()):
        changes["title"] = draw(texts)
    if draw(st.booleans()):
        changes["statement"] = draw(texts)
    if draw(st.booleans()):
        changes["axis"] = draw(st.sampled_from([a.id for a in BASE.axes]))
    if draw(st.booleans()):
        changes["source"] = dataclasses.replace(
            requirement.source,
            **draw(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "document": words,
                        "version": words,
                        "section": words,
                        "wording": st.none() | words,
                        "url": st.none() | words,
                    },
                )
            ),
        )
    if draw(st.booleans()):
        method = draw(st.sampled_from(list(Method)))
        probe = (
            draw(st.sampled_from(["http.hsts", "http.cookies"])) if method is Method.PROBE else None
        )
        changes["verification"] = Verification(
            method=method,
            probe=probe,
            params=draw(st.none() | st.dictionaries(words, st.integers(0, 3), max_size=2))
            if probe
            else None,
            proofs=draw(st.none() | texts),
            guidance=draw(st.none() | texts),
        )
    if draw(st.booleans()):
        changes["degrees"] = draw(st.frozensets(st.sampled_from(["1d", "2d"]), min_size=1))
    if draw(st.booleans()):
        changes["scopes"] = draw(
            st.frozensets(st.sampled_from(["solution", "exploitation", "service"]), min_size=1)
        )
    return dataclasses.replace(requirement, **changes)


def _said(verification: Verification) -> tuple[object, ...]:
    def text(value: Text | None) -> Text | None:
        return value if value is not None and (value.fr or value.en) else None

    return (
        verification.method,
        verification.probe,
        dict(verification.params or {}),
        text(verification.proofs),
        text(verification.guidance),
    )


def _with(requirement: Requirement) -> object:
    kept = tuple(r for r in BASE.requirements if r.id != requirement.id)
    return dataclasses.replace(BASE, requirements=(*kept, requirement))


@budget(ci=600)
@given(st.sampled_from(BASE.requirements).flatmap(lambda r: st.tuples(st.just(r), edits(r))))
@example(
    (
        BASE.requirement("FUNC-SRV-002"),
        dataclasses.replace(
            BASE.requirement("FUNC-SRV-002"),
            source=dataclasses.replace(BASE.requirement("FUNC-SRV-002").source, wording=""),
        ),
    )
)
@example(
    (
        BASE.requirements[0],
        dataclasses.replace(
            BASE.requirements[0],
            verification=Verification(Method.DECLARATION, proofs=Text("registre", "register")),
        ),
    )
)
def test_every_difference_is_listed_once_and_shown(pair: tuple[Requirement, Requirement]) -> None:
    before, after = pair
    diff = diff_grids(_with(before), _with(after))  # type: ignore[arg-type]
    kinds = [change.kind for change in diff.changes]
    assert all(change.requirement_id == before.id for change in diff.changes)
    expected = {
        ChangeKind.RELEVELLED: before.level is not after.level,
        ChangeKind.REWORDED: (before.title, before.statement) != (after.title, after.statement),
        ChangeKind.MOVED: before.axis != after.axis,
        # An absent and an empty wording or link say the same.
        ChangeKind.SOURCE: dataclasses.replace(
            before.source, wording=before.source.wording or None, url=before.source.url or None
        )
        != dataclasses.replace(
            after.source, wording=after.source.wording or None, url=after.source.url or None
        ),
        # Absent and empty params, proofs or guidance say the same.
        ChangeKind.VERIFICATION: _said(before.verification) != _said(after.verification),
        ChangeKind.APPLICABILITY: (before.degrees, before.scopes) != (after.degrees, after.scopes),
    }
    assert sorted(kinds) == sorted(kind for kind, changed in expected.items() if changed)
    for change in diff.changes:
        assert change.old != change.new, change


@budget(ci=500)
@given(st.lists(st.sampled_from(BASE.requirements), unique_by=lambda r: r.id, max_size=5))
def test_added_and_removed_requirements_are_listed(removed: list[Requirement]) -> None:
    ids = {r.id for r in removed}
    smaller = dataclasses.replace(
        BASE, requirements=tuple(r for r in BASE.requirements if r.id not in ids)
    )
    forward = diff_grids(smaller, BASE)
    backward = diff_grids(BASE, smaller)
    assert {c.requirement_id for c in forward.of_kind(ChangeKind.ADDED)} == ids
    assert {c.requirement_id for c in backward.of_kind(ChangeKind.REMOVED)} == ids
    assert len(forward.changes) == len(backward.changes) == len(ids)
