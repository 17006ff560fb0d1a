"""The auditor's guided review of a stored run: what is left to decide, answers, the reviews file.

``sdet-check review RUN.json`` walks the auditor through every result still ``manual``;
this package holds everything but the terminal: the items to show (statement, guidance from
the grid, the evidence and declaration the run holds, related results), the reading of a
scripted answers file, the reviews file kept up to date after each answer (it is also the
progress of the review: resuming skips what it already holds), and the re-scoring of a
stored run with a reviews file (``sdet-check report RUN.json --reviews revues.yaml``).

Every user-facing string exists in French and English (:data:`MESSAGES`).

Modules: ``items`` (what the auditor sees), ``answers`` (the scripted answers file),
``book`` (the reviews file), ``rescore`` (a stored run decided again), ``verdicts``,
``messages`` and ``errors`` (wording and input errors).
"""

from sdet_check.declarations import sha256_file
from sdet_check.review.answers import (
    ANSWERS_FORMAT,
    AnswersFile,
    check_answers,
    read_answers,
    record_answers,
)
from sdet_check.review.book import (
    Answer,
    ProofFile,
    ReviewBook,
    check_target_file,
)
from sdet_check.review.errors import ReviewInputError
from sdet_check.review.items import (
    RELATED_LIMIT,
    DeclaredFact,
    RelatedResult,
    ReviewItem,
    bundled_grid,
    next_review_hint,
    review_items,
)
from sdet_check.review.messages import MESSAGES, say
from sdet_check.review.rescore import Rescored, apply_reviews_file
from sdet_check.review.verdicts import VERDICTS, parse_verdict

__all__ = [
    "ANSWERS_FORMAT",
    "MESSAGES",
    "RELATED_LIMIT",
    "VERDICTS",
    "Answer",
    "AnswersFile",
    "DeclaredFact",
    "ProofFile",
    "RelatedResult",
    "Rescored",
    "ReviewBook",
    "ReviewInputError",
    "ReviewItem",
    "apply_reviews_file",
    "bundled_grid",
    "check_answers",
    "check_target_file",
    "next_review_hint",
    "parse_verdict",
    "read_answers",
    "record_answers",
    "review_items",
    "say",
    "sha256_file",
]
