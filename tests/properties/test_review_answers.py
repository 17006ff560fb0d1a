"""Properties of the review's answers-file reader (``sdet-check review --answers``).

Answers written by a script read back as the same answers, whatever the verdict spelling,
the texts and where the author and date are given; any other YAML document gives the
answers or the documented error (file, place, fix), never another exception.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from sdet_check.declarations import load_reviews
from sdet_check.errors import InputError
from sdet_check.review import (
    VERDICTS,
    ReviewBook,
    ReviewInputError,
    parse_verdict,
    read_answers,
)
from tests.strategies import budget

TODAY = date(2026, 10, 2)

SPELLINGS = {
    "pass": ["pass", "C", "c", "conforme", "Conforme", " PASS "],
    "fail": ["fail", "NC", "nc", "non conforme", "non_conforme", "Non-Conforme"],
    "not_applicable": ["not_applicable", "NA", "na", "non applicable", "Not applicable"],
}

ids = st.builds(
    lambda prefix, number: f"{prefix}-{number:03d}",
    st.sampled_from(["LEG-REG", "SSO-CAS", "SEC-TLS", "A1-B2"]),
    st.integers(0, 999),
)
texts = st.text(
    alphabet=st.characters(categories=["L", "N", "P", "Zs"], exclude_characters="\x85\u2028"),
    min_size=1,
    max_size=60,
).filter(lambda text: bool(text.strip()))
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@st.composite
def answer_sets(draw: st.DrawFn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An answers document and, per answer, what the reader must give back."""
    chosen = draw(st.lists(ids, min_size=0, max_size=6, unique=True))
    top_author = draw(st.none() | texts)
    top_date = draw(st.none() | days)
    document: dict[str, Any] = {"format": 1}
    if top_author is not None:
        document["author"] = top_author
    if top_date is not None:
        document["date"] = top_date.isoformat()
    entries, expected = [], []
    for rid in chosen:
        verdict = draw(st.sampled_from(VERDICTS))
        entry: dict[str, Any] = {
            "requirement": rid,
            "verdict": draw(st.sampled_from(SPELLINGS[verdict])),
            "justification": draw(texts),
        }
        author = draw(st.none() | texts) if top_author is not None else draw(texts)
        if author is not None:
            entry["author"] = author
        when = draw(st.none() | days)
        if when is not None:
            entry["date"] = when.isoformat()
        entries.append(entry)
        expected.append(
            {
                "requirement": rid,
                "verdict": verdict,
                "justification": entry["justification"].strip(),
                "author": (author if author is not None else top_author or "").strip(),
                "date": (when or top_date or TODAY).isoformat(),
            }
        )
    document["answers"] = entries
    return document, expected


def _read(document: Any, **options: Any) -> Any:
    with tempfile.TemporaryDirectory(prefix="sdet-reponses-") as folder:
        path = Path(folder) / "reponses.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        return read_answers(path, today=TODAY, **options)


@budget(200)
@given(answer_sets())
def test_answers_read_back_as_written(case: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    document, expected = case
    read = _read(document)
    assert [
        {
            "requirement": a.requirement,
            "verdict": a.verdict,
            "justification": a.justification,
            "author": a.author,
            "date": a.date,
        }
        for a in read.answers
    ] == expected
    assert all(a.proofs == () for a in read.answers)


@budget(100)
@given(answer_sets(), texts)
def test_the_command_line_auditor_wins(
    case: tuple[dict[str, Any], list[dict[str, Any]]], auditor: str
) -> None:
    document, expected = case
    read = _read(document, author=auditor)
    assert [a.author for a in read.answers] == [auditor.strip()] * len(expected)


json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | texts | st.sampled_from(["C", "LEG-REG-001"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "format",
                    "answers",
                    "author",
                    "date",
                    "requirement",
                    "verdict",
                    "justification",
                    "proofs",
                    "path",
                    "title",
                    "x",
                ]
            ),
            inner,
            max_size=6,
        )
    ),
    max_leaves=20,
)


@budget(300)
@given(json_like, st.sampled_from(["fr", "en"]))
def test_any_document_reads_or_gives_the_documented_error(document: Any, lang: str) -> None:
    try:
        read = _read(document, lang=lang)
    except InputError as exc:
        message = str(exc)
        assert "reponses.yaml" in message
        assert ("To do:" if lang == "en" and isinstance(exc, ReviewInputError) else "À faire") in (
            message
        )
        return
    for answer in read.answers:
        assert answer.verdict in VERDICTS and answer.justification and answer.author


@budget(100)
@given(st.sampled_from(VERDICTS), st.data())
def test_every_spelling_of_a_verdict_is_understood(verdict: str, data: st.DataObject) -> None:
    spelling = data.draw(st.sampled_from(SPELLINGS[verdict]))
    assert parse_verdict(spelling) == verdict


@budget(200)
@given(answer_sets(), st.none() | texts)
def test_answers_written_as_reviews_load_as_reviews(
    case: tuple[dict[str, Any], list[dict[str, Any]]], organisation: str | None
) -> None:
    """What the review writes is a reviews file `run --reviews` reads, text for text."""
    document, expected = case
    read = _read(document)
    with tempfile.TemporaryDirectory(prefix="sdet-revues-") as folder:
        file = Path(folder) / "revues.yaml"
        book = ReviewBook(file=file, auditor=organisation)
        for answer in read.answers:
            book.add(answer)
        if not read.answers:
            book.save()
        reviews, _ = load_reviews(file, [e["requirement"] for e in expected])
        reopened = ReviewBook.open(file, [e["requirement"] for e in expected])
    assert [
        {
            "requirement": r.requirement,
            "verdict": r.status,
            "justification": r.text,
            "author": r.author,
            "date": r.date,
        }
        for r in reviews
    ] == expected
    assert reopened.answered() == {e["requirement"] for e in expected}
    assert reopened.auditor == organisation
