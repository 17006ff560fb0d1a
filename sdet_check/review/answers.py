"""The answers file: a scripted review, read, checked against the run, recorded."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sdet_check.review.book import Answer, ProofFile, ReviewBook
from sdet_check.review.errors import ReviewInputError
from sdet_check.review.messages import say
from sdet_check.review.verdicts import parse_verdict
from sdet_check.yamlfile import LoadedYaml, read_yaml

ANSWERS_FORMAT = 1
"""Version of the answers file format (``format: 1``)."""

_REQUIREMENT_ID = re.compile(r"^[A-Z][A-Z0-9-]*-[0-9]{3}$")


_TOP_KEYS = ("format", "auditor", "author", "date", "answers")
_ENTRY_KEYS = ("requirement", "verdict", "justification", "proofs", "author", "date")


@dataclass(frozen=True)
class AnswersFile:
    """A read answers file: its answers and where each sits, for errors found later."""

    file: Path
    auditor: str | None
    answers: tuple[Answer, ...]
    loaded: LoadedYaml
    lang: str = "fr"

    def error(self, index: int, key: str, problem: str, fix: str) -> ReviewInputError:
        """An error pointing at ``answers[index].key`` of this file."""
        return ReviewInputError(
            self.file, problem, fix, self.loaded.place(["answers", index, key]), lang=self.lang
        )


def read_answers(
    file: Path, *, lang: str = "fr", author: str | None = None, today: date | None = None
) -> AnswersFile:
    """Read and check an answers file; :class:`ReviewInputError` naming the line and the fix.

    The file::

        format: 1
        auditor: "Cabinet d'audit"        # optional: the auditing body
        author: "Alice Auditrice"         # default for every answer (or --auditor)
        date: 2026-10-02                  # default for every answer (today otherwise)
        answers:
          - requirement: LEG-REG-001
            verdict: pass                 # pass, fail, not_applicable (or C, NC, NA)
            justification: "Registre examiné..."
            proofs:                       # optional, paths relative to this file
              - preuves/registre.txt
              - {path: preuves/pv.pdf, title: "Procès-verbal"}

    ``author`` (the command line's ``--auditor``) wins over the file's own ``author``.
    """
    loaded = read_yaml(file)
    data = loaded.data

    def fail(
        where: list[str | int], problem_key: str, fix_key: str, /, **values: object
    ) -> ReviewInputError:
        return ReviewInputError(
            file,
            say(lang, problem_key, **values),
            say(lang, fix_key, **values),
            loaded.place(where),
            lang=lang,
        )

    if not isinstance(data, Mapping):
        raise fail([], "err_not_mapping", "fix_not_mapping")
    for key in data:
        if key not in _TOP_KEYS:
            raise fail([key], "err_unknown_key", "fix_unknown_key", key=key, keys=_keys(_TOP_KEYS))
    if "format" in data and data["format"] != ANSWERS_FORMAT:
        raise fail(["format"], "err_format", "fix_format", value=data["format"])
    for key in ("auditor", "author"):
        if key in data and not _is_text(data[key]):
            raise fail([key], "err_text", "fix_text", key=key)
    default_date = _date(data.get("date"), ["date"], fail) if "date" in data else None
    if "answers" not in data:
        raise fail([], "err_missing_key", "fix_missing_key", key="answers")
    entries = data["answers"]
    if not isinstance(entries, list):
        raise fail(["answers"], "err_answers_list", "fix_answers_list")
    answers: list[Answer] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        here: list[str | int] = ["answers", index]
        if not isinstance(entry, Mapping):
            raise fail(here, "err_entry_mapping", "fix_entry_mapping")
        for key in entry:
            if key not in _ENTRY_KEYS:
                raise fail(
                    [*here, key], "err_unknown_key", "fix_unknown_key", key=key,
                    keys=_keys(_ENTRY_KEYS),
                )  # fmt: skip
        for key in ("requirement", "verdict", "justification"):
            if key not in entry:
                raise fail(here, "err_missing_key", "fix_missing_key", key=key)
        for key in ("requirement", "justification", "author"):
            if key in entry and not _is_text(entry[key]):
                raise fail([*here, key], "err_text", "fix_text", key=key)
        rid = entry["requirement"].strip()
        if not _REQUIREMENT_ID.match(rid):
            raise fail(
                [*here, "requirement"], "err_requirement_id", "fix_requirement_id", value=rid
            )
        verdict = parse_verdict(str(entry["verdict"]))
        if verdict is None:
            raise fail([*here, "verdict"], "err_verdict", "fix_verdict", value=entry["verdict"])
        if rid in seen:
            raise fail([*here, "requirement"], "err_duplicate", "fix_duplicate", id=rid)
        seen.add(rid)
        who = author or entry.get("author") or data.get("author")
        if not who:
            raise fail(here, "err_no_author", "fix_no_author")
        when = (
            _date(entry["date"], [*here, "date"], fail)
            if "date" in entry
            else default_date or (today or date.today()).isoformat()
        )
        answers.append(
            Answer(
                requirement=rid,
                verdict=verdict,
                justification=entry["justification"].strip(),
                author=str(who).strip(),
                date=when,
                proofs=_proofs(entry.get("proofs"), file.parent, [*here, "proofs"], fail),
            )
        )
    auditor = data.get("auditor")
    return AnswersFile(
        file=file,
        auditor=str(auditor).strip() if auditor else None,
        answers=tuple(answers),
        loaded=loaded,
        lang=lang,
    )


def _keys(keys: Sequence[str]) -> str:
    return ", ".join(keys)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _date(value: Any, path: list[str | int], fail: Any) -> str:
    text = str(value)
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise fail(path, "err_date", "fix_date", value=text) from None


def _proofs(value: Any, base: Path, path: list[str | int], fail: Any) -> tuple[ProofFile, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise fail(path, "err_proofs_list", "fix_proofs_list")
    proofs = []
    for index, item in enumerate(value):
        here = [*path, index]
        if isinstance(item, str) and item.strip():
            name, title = item.strip(), None
        elif (
            isinstance(item, Mapping)
            and _is_text(item.get("path"))
            and set(item) <= {"path", "title"}
            and (item.get("title") is None or _is_text(item.get("title")))
        ):
            name, title = item["path"].strip(), item.get("title")
        else:
            raise fail(here, "err_proof_entry", "fix_proof_entry")
        resolved = Path(name).expanduser()
        resolved = resolved if resolved.is_absolute() else base / resolved
        if not resolved.is_file():
            raise fail(here, "err_proof_missing", "fix_proof_missing", path=resolved)
        proofs.append(ProofFile(path=resolved, title=str(title or resolved.name).strip()))
    return tuple(proofs)


def check_answers(answers: AnswersFile, record: Mapping[str, Any]) -> None:
    """Refuse an answer on a requirement the run does not hold, a probe's, or one not ``manual``."""
    lang = answers.lang
    requirements = {r["id"]: r for r in record["grid"]["requirements"]}
    statuses = {e["requirement"]: e["status"] for e in record["results"]}
    grid_ref = f"{record['grid']['id']}/{record['grid']['version']}"
    for index, answer in enumerate(answers.answers):
        rid = answer.requirement
        if rid not in requirements:
            raise answers.error(
                index,
                "requirement",
                say(lang, "err_unknown_requirement", id=rid),
                say(lang, "fix_unknown_requirement", grid=grid_ref),
            )
        if requirements[rid].get("verification", {}).get("method") == "probe":
            raise answers.error(
                index,
                "requirement",
                say(lang, "err_probe_requirement", id=rid),
                say(lang, "fix_probe_requirement"),
            )
        if statuses.get(rid) != "manual":
            raise answers.error(
                index,
                "requirement",
                say(lang, "err_not_manual", id=rid, status=statuses.get(rid, "not_tested")),
                say(lang, "fix_not_manual"),
            )


def record_answers(book: ReviewBook, answers: AnswersFile, record: Mapping[str, Any]) -> int:
    """Check every answer against the run, then write them all at once; return how many."""
    check_answers(answers, record)
    if answers.auditor and not book.auditor:
        book.auditor = answers.auditor
    for answer in answers.answers:
        book.add(answer, save=False)
    book.save()
    return len(answers.answers)
