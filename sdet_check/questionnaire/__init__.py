"""The questionnaire bidders answer: the grid's declaration items as an ODS spreadsheet.

``write_questionnaire`` lays out one row per requirement verified by a declaration (its
statement, the proof expected, an answer chosen from a list, proof file names, a comment),
a sheet for the bidder's identity, and a hidden sheet pinning the grid (reference and
content hash), also kept in the document's custom properties. Every row carries, in two
hidden columns, its requirement id and a seal binding that id to the grid hash, so that an
edited hidden column is found on import.

``import_questionnaire`` reads an answered questionnaire back, checks it against the grid,
hashes the proof files and returns the declarations a run takes; every problem found is
reported at once, each with its sheet, row and fix.

Modules: ``layout`` (format, wording, columns, row seal), ``writer`` (the ODS written),
``reader`` (import and the declarations file written), ``checks`` (hidden sheet and
identity), ``rows`` (answer rows and proof files), ``problems`` and ``messages`` (the
errors and their wording).
"""

from sdet_check.questionnaire.layout import (
    ANSWERS,
    HIDDEN_SHEET,
    IDENTITY_FIELDS,
    META_PREFIX,
    QUESTIONNAIRE_FORMAT,
    declaration_items,
    row_seal,
)
from sdet_check.questionnaire.problems import Problem, QuestionnaireError
from sdet_check.questionnaire.reader import (
    ImportedQuestionnaire,
    check_workbook,
    import_questionnaire,
    write_declarations,
)
from sdet_check.questionnaire.writer import Answer, answers_from, write_questionnaire

__all__ = [
    "ANSWERS",
    "HIDDEN_SHEET",
    "IDENTITY_FIELDS",
    "META_PREFIX",
    "QUESTIONNAIRE_FORMAT",
    "Answer",
    "ImportedQuestionnaire",
    "Problem",
    "QuestionnaireError",
    "answers_from",
    "check_workbook",
    "declaration_items",
    "import_questionnaire",
    "row_seal",
    "write_declarations",
    "write_questionnaire",
]
