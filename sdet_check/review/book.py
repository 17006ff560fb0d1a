"""The reviews file, kept up to date after each answer.

It is also the progress of the review: resuming skips what it already holds.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sdet_check.declarations import Review, load_reviews, sha256_file
from sdet_check.messages import LANGUAGES
from sdet_check.review.errors import ReviewInputError
from sdet_check.review.messages import say
from sdet_check.yamlfile import read_yaml


@dataclass(frozen=True)
class ProofFile:
    """A proof file the auditor gives, before it is hashed into the reviews file."""

    path: Path
    title: str


@dataclass(frozen=True)
class Answer:
    """The auditor's answer on one requirement."""

    requirement: str
    verdict: str
    justification: str
    author: str
    date: str
    proofs: tuple[ProofFile, ...] = ()


@dataclass
class ReviewBook:
    """The reviews file being written: what it already holds is what the review skips.

    The file is rewritten whole (through a temporary file and a rename) after each answer,
    so an interruption at any moment leaves either the previous or the new version.
    """

    file: Path
    auditor: str | None = None
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    lang: str = "fr"
    header_lang: str | None = None
    """The language of the header comment of the file opened, kept when it is rewritten."""

    @classmethod
    def open(
        cls, file: Path, known_ids: Iterable[str], auditor: str | None = None, lang: str = "fr"
    ) -> ReviewBook:
        """Open ``file`` (a reviews file, validated) or start an empty one if it does not exist."""
        book = cls(file=file, auditor=auditor, lang=lang)
        if file.exists():
            reviews, _ = load_reviews(file, list(known_ids))
            loaded = read_yaml(file).data
            book.auditor = auditor or loaded.get("auditor")
            book.header_lang = _header_language(file)
            for review in reviews:
                book.entries[review.requirement] = _review_entry(review)
        return book

    def answered(self) -> set[str]:
        """Requirements the file already decides."""
        return set(self.entries)

    def add(self, answer: Answer, *, save: bool = True) -> dict[str, Any]:
        """Record ``answer`` (proof files hashed now) and, unless told not to, save the file."""
        entry: dict[str, Any] = {
            "requirement": answer.requirement,
            "status": answer.verdict,
            "comment": answer.justification,
            "author": answer.author,
            "date": answer.date,
        }
        if answer.proofs:
            entry["documents"] = [
                {
                    "title": proof.title,
                    "path": _relative_to(proof.path, self.file.parent),
                    "sha256": sha256_file(proof.path),
                }
                for proof in answer.proofs
            ]
        self.entries.pop(answer.requirement, None)  # a new answer replaces an older one
        self.entries[answer.requirement] = entry
        if save:
            self.save()
        return entry

    def to_yaml(self) -> str:
        """The reviews file text, as ``run --reviews`` and ``report --reviews`` read it."""
        data: dict[str, Any] = {"format": 1}
        if self.auditor:
            data["auditor"] = self.auditor
        data["reviews"] = list(self.entries.values())
        # A file re-saved in another language keeps its header: same answers, same file.
        header = say(self.header_lang or self.lang, "file_header")
        body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
        return header + body

    def save(self) -> None:
        """Write the file atomically; :class:`ReviewInputError` when the folder is not writable."""
        text = self.to_yaml()
        folder = self.file.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".revues-", suffix=".tmp", dir=folder)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.file)
        except OSError as exc:
            raise ReviewInputError(
                self.file,
                say(self.lang, "err_write", reason=exc.strerror or exc),
                say(self.lang, "fix_write"),
                lang=self.lang,
            ) from None


def _review_entry(review: Review) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "requirement": review.requirement,
        "status": review.status,
        "comment": review.text,
        "author": review.author,
        "date": review.date,
    }
    if review.documents:
        entry["documents"] = [
            {
                k: v
                for k, v in (
                    ("title", d.title),
                    ("path", d.path),
                    ("url", d.url),
                    ("sha256", d.sha256),
                )
                if v
            }
            for d in review.documents
        ]
    return entry


def _header_language(file: Path) -> str | None:
    """The language of the header comment ``sdet-check review`` wrote at the top of ``file``."""
    with file.open(encoding="utf-8", errors="replace") as handle:
        first = " ".join(handle.readline().split())
    for lang in LANGUAGES:
        if first == " ".join(say(lang, "file_header").split()):
            return lang
    return None


def _relative_to(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` when they share a folder below the root, else absolute.

    An audit folder (run, reviews, proofs) then moves as a whole; a proof elsewhere on the
    machine keeps a path that still reads after the reviews file moved.
    """
    target, folder = path.resolve(), base.resolve()
    try:
        common = Path(os.path.commonpath([target, folder]))
    except ValueError:  # another drive
        return str(target)
    if common == Path(common.anchor):
        return str(target)
    return os.path.relpath(target, folder)


def check_target_file(run_file: Path, reviews_file: Path, lang: str = "fr") -> None:
    """Refuse to write the reviews over the run record itself."""
    if reviews_file.resolve() == run_file.resolve():
        raise ReviewInputError(
            reviews_file,
            say(lang, "err_reviews_is_run"),
            say(lang, "fix_reviews_is_run"),
            lang=lang,
        )
