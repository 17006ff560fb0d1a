"""Properties of the header parsers of probes/http/: Strict-Transport-Security, Set-Cookie.

Whatever a target sends, a parser either returns what the probe uses or raises the one
documented error (``ValueError`` for HSTS; Set-Cookie never refuses), and headers built
from parsed parts read back to the same parts.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from probes.http import _parse_set_cookie, parse_hsts
from tests.strategies import budget

TOKEN_CHARS = "!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits
token = st.text(TOKEN_CHARS, min_size=1, max_size=12)
header_text = st.one_of(
    st.text(max_size=80),
    st.lists(
        st.sampled_from(
            ["max-age", "=", '"', "\\", ";", " ", "\t", "0", "9", "²", "٣", "includeSubDomains",
             "preload", "MAX-AGE", "x", ",", "\x00", "é"]
        ),
        max_size=20,
    ).map("".join),
)  # fmt: skip
SECONDS = "9" * 4301
"""max-age with more digits than int() converts by default (issue 10)."""


@budget(ci=15000)
@given(header_text)
def test_hsts_parser_raises_only_value_error(value: str) -> None:
    try:
        directives = parse_hsts(value)
    except ValueError as refused:
        assert str(refused)
        return
    assert "max-age" in directives
    assert all(name == name.lower() for name in directives)


@budget(ci=500)
@given(header_text)
@example(f"max-age={SECONDS}")
@example('max-age="²"')
def test_hsts_max_age_accepted_is_a_number_the_probe_can_use(value: str) -> None:
    try:
        directives = parse_hsts(value)
    except ValueError:
        return
    assert int(directives["max-age"] or 0) >= 0


def _case(draw: st.DrawFn, name: str) -> str:
    spell = draw(st.sampled_from([str.lower, str.upper, str.title, str.swapcase]))
    return spell(name)


@st.composite
def hsts_headers(draw: st.DrawFn) -> tuple[str, dict[str, str | None]]:
    """A valid header in a random spelling, with the directives it must parse to."""
    directives: dict[str, str | None] = {"max-age": str(draw(st.integers(0, 10**12)))}
    for name in draw(st.lists(token, max_size=3, unique_by=str.lower)):
        if name.lower() in directives:
            continue
        directives[name.lower()] = draw(
            st.one_of(st.none(), token, st.text(st.characters(codec="latin-1"), max_size=8))
        )
    parts = []
    for name, value in directives.items():
        spelt = _case(draw, name)
        space = draw(st.sampled_from(["", " ", "\t", "  "]))
        if value is None:
            parts.append(f"{space}{spelt}{space}")
        elif all(c in TOKEN_CHARS for c in value) and value and not draw(st.booleans()):
            parts.append(f"{space}{spelt}{space}={space}{value}{space}")
        else:
            quoted = value.replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'{space}{spelt}={space}"{quoted}"{space}')
    order = draw(st.permutations(parts))
    return ";".join(order) + draw(st.sampled_from(["", ";", "; "])), directives


@budget(ci=1500)
@given(hsts_headers())
def test_hsts_valid_headers_parse_to_their_directives(
    case: tuple[str, dict[str, str | None]],
) -> None:
    header, directives = case
    assert parse_hsts(header) == directives


@budget(ci=800)
@given(st.lists(token, min_size=1, max_size=3).map(lambda names: [n.lower() for n in names]))
def test_hsts_repeated_directive_is_refused(names: list[str]) -> None:
    header = "; ".join(["max-age=1", *names, names[0]])
    with pytest.raises(ValueError, match="répétée"):
        parse_hsts(header)


# --- Set-Cookie ----------------------------------------------------------------------------

cookie_text = st.one_of(
    st.text(max_size=60),
    st.lists(
        st.sampled_from(
            ["SID", "=", ";", " ", "Secure", "HttpOnly", "SameSite", "None", "Lax", "Max-Age",
             "Expires", "-1", "0", "99999999999999999999", "Thu, 01 Jan 1970 00:00:00 GMT",
             "Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 99 Foo 0000", "\x00", "é", "²", "١"]
        ),
        max_size=20,
    ).map("".join),
)  # fmt: skip


@budget(ci=12000)
@given(cookie_text)
def test_set_cookie_parser_never_raises_and_keeps_no_value(header: str) -> None:
    cookie = _parse_set_cookie(header, "https://ent.invalid/")
    assert cookie.name == header.partition(";")[0].partition("=")[0].strip()
    for name in cookie.attributes:
        assert name == name.strip().lower() and ";" not in name and name
    # The cookie's value never reaches the parsed form (it is a session secret).
    value = header.partition(";")[0].partition("=")[2]
    assert cookie.set_by == "https://ent.invalid/"
    if len(value) > 3 and value not in header.partition(";")[2]:
        shown = [*cookie.attributes, *(v for v in cookie.attributes.values() if v)]
        assert all(value not in text for text in shown)


@budget(ci=500)
@given(cookie_text)
@example(f"SID=x; Max-Age={SECONDS}")
def test_set_cookie_judgement_never_raises(header: str) -> None:
    cookie = _parse_set_cookie(header, "https://ent.invalid/")
    assert isinstance(cookie.is_deletion(), bool)
    missing = cookie.missing(["secure", "httponly", "samesite"])
    assert cookie.evidence(missing).data["name"] == cookie.name


@st.composite
def set_cookies(draw: st.DrawFn) -> tuple[str, str, dict[str, str | None]]:
    """A Set-Cookie header built from a name and attributes, with what it must parse to."""
    name = draw(st.text(st.characters(codec="utf-8", exclude_characters=";="), max_size=10))
    name = name.strip()
    value = draw(st.text(st.characters(codec="utf-8", exclude_characters=";"), max_size=10))
    attributes: dict[str, str | None] = {}
    for key in draw(st.lists(token, max_size=4, unique_by=str.lower)):
        attributes[key.lower()] = draw(
            st.one_of(st.none(), st.text(st.characters(exclude_characters=";"), max_size=10))
        )
    parts = [f"{name}={value}"]
    for key, attribute in attributes.items():
        parts.append(f" {_case(draw, key)}" if attribute is None else f" {key}={attribute}")
    expected = {k: (None if v is None else v.strip()) for k, v in attributes.items()}
    return ";".join(parts), name, expected


@budget(ci=1500)
@given(set_cookies())
def test_set_cookie_round_trip(case: tuple[str, str, dict[str, str | None]]) -> None:
    header, name, attributes = case
    cookie = _parse_set_cookie(header, "https://ent.invalid/")
    assert cookie.name == name
    assert dict(cookie.attributes) == attributes
