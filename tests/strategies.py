"""Hypothesis strategies shared by the property tests: hostile text, evidence, results, runs.

A generated run is a valid run record (it passes ``validate_run``): a copy of the demo grid's
synthetic run, possibly grown with more requirements, whose every result, message, piece of
evidence, waiver, declaration and target field is drawn. ``runs(text=...)`` chooses what the
strings look like: :func:`clean_text` is what the runner lets through (control characters
already made visible), :func:`hostile_text` adds what a tampered run.json or a hostile target
may carry (C0/C1 controls, U+FFFE, bidi overrides).

:func:`budget` gives a property its number of examples in the active profile
(``tests/conftest.py``).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from functools import cache
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

from sdet_check.run import evidence_manifest, rescore, validate_run

# --- budgets -----------------------------------------------------------------------------------

PROFILE_SCALE = {"dev": 0.05, "ci": 1.0, "long": 10.0}
"""Share of a property's CI budget each hypothesis profile runs."""


def active_profile() -> str:
    """``HYPOTHESIS_PROFILE`` when set, else ``ci`` when ``CI=true``, else ``dev``."""
    chosen = os.environ.get("HYPOTHESIS_PROFILE")
    if chosen:
        return chosen
    return "ci" if os.environ.get("CI", "").lower() == "true" else "dev"


def examples_for(ci: int) -> int:
    """Examples a property whose CI budget is ``ci`` runs in the active profile."""
    return max(5, round(ci * PROFILE_SCALE.get(active_profile(), 1.0)))


def budget(ci: int) -> settings:
    """Settings giving a property ``ci`` examples in CI, a twentieth in dev, ten times in long."""
    return settings(max_examples=examples_for(ci))


# --- text --------------------------------------------------------------------------------------

MARKER = "sdetxss"
"""Appears in every markup payload: finding it inside an element or attribute is an injection."""

MARKUP = (
    f"<script>{MARKER}()</script>",
    f'"><img src=x onerror={MARKER}()>',
    f"</style><script>{MARKER}(2)</script>",
    f"</pre></details><svg onload={MARKER}(3)>",
    "{{ 7*7 }}{% raw %}",
    f"--><!-- <iframe src=javascript:{MARKER}(5)>",
    f"<![CDATA[{MARKER}]]>",
    "&amp;&lt;&#0;&#x1b;&nbsp;",
    "]]>",
    f"javascript:{MARKER}(4)",
)
"""Markup a hostile target or a tampered run file might put anywhere."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters a spreadsheet evaluates (OWASP CSV injection)."""

BIDI = ("\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200f", "\u061c")
"""Bidirectional overrides and isolates that reorder what a reader sees."""

CONTROLS = (
    "\x00",
    "\x07",
    "\x08",
    "\x0b",
    "\x0c",
    "\x1b[2J",
    "\x1b]8;;http://x.invalid\x07",
    "\x7f",
    "\x85",
    "\x9b31m",
    "\ufffe",
    "\uffff",
)
"""What the runner makes visible but a run.json handed in may still hold (issue 10)."""

_VISIBLE = st.characters(
    codec="utf-8",
    exclude_categories=("Cc", "Cs", "Co"),
    exclude_characters="\ufffe\uffff",
)


WORDS = (
    "ENT",
    "Élève",
    "collège de l'Exemple",
    "https://ent.exemple.invalid/",
    "max-age=31536000",
    "Délai dépassé",
    "中文",
    "emoji 🙂",
    "\u00a0",
    " ",
    "\n",
    "\t",
    "\r\n",
    "'",
    '"',
    ";",
    ",",
    "\\",
    "$",
    "%s",
    "{0}",
    "ESC[2J",
)
"""Ordinary fragments that hostile ones are mixed with."""

LONG_TOKENS = tuple(c * n for c in ("A", "é", "/", "\u4e2d") for n in (300, 3000))
"""Long unbroken tokens (a SAML request in a URL, a 60 KB cookie name cut short)."""

_POOL = WORDS + MARKUP + BIDI + FORMULA_STARTS


def clean_text(*, max_pieces: int = 4, long_tokens: bool = True) -> st.SearchStrategy[str]:
    """Text as the runner leaves it: printable Unicode, markup, bidi, formula starts, long tokens.

    Fragments come from a pool (one choice each) mixed with short arbitrary text, so that a
    whole run costs few draws.
    """
    pieces: list[st.SearchStrategy[str]] = [
        st.sampled_from(_POOL),
        st.text(_VISIBLE, max_size=8),
    ]
    if long_tokens:
        pieces.append(st.sampled_from(LONG_TOKENS))
    return st.lists(st.one_of(pieces), max_size=max_pieces).map("".join)


def hostile_text(*, max_pieces: int = 4, long_tokens: bool = True) -> st.SearchStrategy[str]:
    """:func:`clean_text` plus control characters (C0, C1, DEL, U+FFFE)."""
    pieces = st.one_of(
        clean_text(max_pieces=2, long_tokens=long_tokens),
        st.sampled_from(CONTROLS),
        st.characters(codec="utf-8", categories=("Cc",)),
    )
    return st.lists(pieces, max_size=max_pieces).map("".join)


def has_control(text: str) -> bool:
    """Whether ``text`` holds a character that outputs must neutralise."""
    return any(
        (ord(c) < 0x20 and c not in "\t\n\r") or 0x7F <= ord(c) <= 0x9F or c in "\ufffe\uffff"
        for c in text
    )


# --- evidence and results ----------------------------------------------------------------------

STATUSES = ("pass", "fail", "not_applicable", "not_tested", "error", "manual")
ERROR_REASONS = (
    "unreachable",
    "timeout",
    "bad_params",
    "hostile_response",
    "cannot_decide",
    "probe_bug",
    "run_timeout",
)


def json_values(text: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """Small JSON values whose strings come from ``text``."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**53), 2**53),
        st.floats(allow_nan=False, allow_infinity=False),
        text,
    )
    return st.one_of(
        scalars, st.lists(scalars, max_size=2), st.dictionaries(text, scalars, max_size=2)
    )


def evidence(text: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    """One piece of evidence as a run records it (an HTTP exchange, a header, anything)."""
    headers = st.lists(st.tuples(text, text).map(list), max_size=2)
    exchange = st.fixed_dictionaries(
        {
            "request": st.fixed_dictionaries(
                {
                    "method": st.sampled_from(["GET", "POST"]),
                    "url": text,
                    "headers": st.dictionaries(text, text, max_size=2),
                }
            ),
            "response": st.fixed_dictionaries(
                {
                    "status": st.integers(100, 599),
                    "reason": text,
                    "headers": headers,
                    "body_excerpt": text,
                    "elapsed_ms": st.floats(0, 1e5),
                }
            ),
        }
    )
    other_kind = st.one_of(
        st.sampled_from(["header", "note", "cookie", "tls", "xml_excerpt", "page"]),
        text.filter(bool),
    )
    return st.one_of(
        st.fixed_dictionaries(
            {"kind": st.just("http_exchange"), "summary": text, "data": exchange}
        ),
        st.fixed_dictionaries(
            {
                "kind": other_kind,
                "summary": text,
                "data": st.dictionaries(text, json_values(text), max_size=2),
            }
        ),
    )


@cache
def _base_record() -> dict[str, Any]:
    from tests.records import synthetic

    return synthetic("demo")


@st.composite
def runs(
    draw: st.DrawFn,
    text: st.SearchStrategy[str] | None = None,
    *,
    max_extra: int = 4,
    max_evidence: int = 2,
    complete: bool = False,
) -> dict[str, Any]:
    """A valid run record of the demo grid, grown by up to ``max_extra`` requirements.

    Every string a target or a bidder controls is drawn from ``text`` (default
    :func:`clean_text`); statuses, waivers, declarations and evidence are drawn freely, and
    the score and the evidence manifest are recomputed, as ``sdet-check run`` would write them.
    ``complete`` gives every requirement a result, as the runner does; otherwise a few are
    missing, as in a run file edited by hand.
    """
    # A handful of strings per run, each field picking one: few draws per run, and a
    # failure shrinks to the one string that matters.
    palette = draw(st.lists(text if text is not None else clean_text(), min_size=1, max_size=5))
    text = st.sampled_from(palette)
    record = copy.deepcopy(_base_record())
    grid = record["grid"]
    axes = [axis["id"] for axis in grid["axes"]]
    template = grid["requirements"]

    extra = draw(st.integers(0, max_extra))
    ids = draw(
        st.lists(
            st.one_of(
                st.from_regex(r"\A[A-Z]{1,4}-[A-Z0-9]{1,5}-[0-9]{3}\Z"),
                text.filter(bool),
            ),
            min_size=extra,
            max_size=extra,
            unique=True,
        ).filter(lambda got: not {r["id"] for r in template} & set(got))
    )
    for index, new_id in enumerate(ids):
        clone = copy.deepcopy(template[index % len(template)])
        clone["id"] = new_id
        clone["axis"] = draw(st.sampled_from(axes))
        clone["level"] = draw(st.sampled_from(["MUST", "SHOULD"]))
        clone["title"] = {"fr": draw(text), "en": draw(text)}
        grid["requirements"].append(clone)
    if draw(st.booleans()):
        first = grid["requirements"][0]
        first["title"]["fr"] = draw(text)
        first["statement"]["fr"] = draw(text)
        first["source"]["wording"] = draw(text)
        first["source"]["url"] = draw(text)

    target = record["target"]
    for key in ("name", "description", "editor", "solution_version"):
        target[key] = draw(text)
    target["portal"]["url"] = draw(text)

    results = []
    waivers = []
    declarations = []
    for requirement in grid["requirements"]:
        if not complete and not draw(st.integers(0, 9)):
            continue  # a run file edited by hand may lack results
        status = draw(st.sampled_from(STATUSES))
        entry: dict[str, Any] = {
            "requirement": requirement["id"],
            "status": status,
            "message": draw(text),
            "evidence": draw(st.lists(evidence(text), max_size=max_evidence)),
            "waived": False,
        }
        if status == "error":
            entry["error_reason"] = draw(st.sampled_from(ERROR_REASONS))
            if draw(st.booleans()):
                entry["trace"] = draw(text)
        if draw(st.booleans()):
            entry["probe"] = draw(text)
        if draw(st.booleans()):
            entry["duration_ms"] = draw(st.floats(0, 1e7))
        if draw(st.booleans()):
            entry["started_at"] = "2026-10-01T09:00:00.000+00:00"
        if status == "fail" and draw(st.booleans()):
            state = draw(st.sampled_from(["valid", "expired"]))
            entry["waiver_state"] = state
            entry["waived"] = state == "valid"
            waivers.append(
                {
                    "requirement": requirement["id"],
                    "justification": draw(text),
                    "author": draw(text),
                    "expires": "2027-01-29" if state == "valid" else "2026-09-01",
                    "state": state,
                }
            )
        declared = draw(st.sampled_from([None, "conforme", "non_conforme", "non_applicable"]))
        if declared is not None:
            entry["declared"] = declared
            declarations.append(
                {
                    "requirement": requirement["id"],
                    "status": declared,
                    "statement": draw(text),
                    "author": draw(text),
                    "date": "2026-09-11",
                    "documents": [
                        {
                            "title": draw(text),
                            "sha256": "0" * 64,
                            "check": draw(st.sampled_from(["ok", "mismatch", "missing"])),
                            "path": draw(text),
                        }
                    ],
                }
            )
        results.append(entry)
    record["results"] = results
    record["waivers"] = waivers
    record["declarations"] = declarations
    kept = {entry["requirement"] for entry in results}
    record["reviews"] = [r for r in record["reviews"] if r["requirement"] in kept]
    for review in record["reviews"]:
        review["comment"] = draw(text)
    record["evidence_manifest"] = evidence_manifest(results)
    record["score"] = rescore(record).to_json()
    validate_run(record)
    return record


def strings_of(record: Mapping[str, Any]) -> list[str]:
    """Every string value (keys included) of a JSON-like value."""
    found: list[str] = []
    stack: list[Any] = [record]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, Mapping):
            found.extend(str(k) for k in value)
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return found


def with_text(record: Mapping[str, Any], field: str, text: str) -> dict[str, Any]:
    """A copy of ``record`` where ``field`` holds ``text``, for explicit ``@example`` runs.

    ``field`` is ``message`` (every result's message) or ``name`` (the target's name).
    """
    edited = copy.deepcopy(dict(record))
    if field == "message":
        for entry in edited["results"]:
            entry["message"] = text
    elif field == "name":
        edited["target"]["name"] = text
    else:
        raise ValueError(field)
    edited["evidence_manifest"] = evidence_manifest(edited["results"])
    edited["score"] = rescore(edited).to_json()
    validate_run(edited)
    return edited
