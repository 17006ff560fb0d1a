"""Words shown to readers for statuses and levels, in French and English."""

from __future__ import annotations

STATUS_CODES = {
    "pass": "C",
    "fail": "NC",
    "not_applicable": "NA",
    "not_tested": "NT",
    "error": "ERR",
    "manual": "MAN",
}
"""Short codes French auditors use (C, NC, NA, NT), plus error and manual."""

STATUS_LABELS = {
    "fr": {
        "pass": "conforme",
        "fail": "non conforme",
        "not_applicable": "non applicable",
        "not_tested": "non testé",
        "error": "erreur",
        "manual": "à examiner",
    },
    "en": {
        "pass": "pass",
        "fail": "fail",
        "not_applicable": "not applicable",
        "not_tested": "not tested",
        "error": "error",
        "manual": "manual",
    },
}

LEVEL_LABELS = {
    "fr": {"MUST": "exigence", "SHOULD": "recommandation"},
    "en": {"MUST": "requirement", "SHOULD": "recommendation"},
}


def status_label(status: str, lang: str = "fr") -> str:
    """Label of a result status."""
    return STATUS_LABELS[lang][status]


def status_code(status: str, waived: bool = False) -> str:
    """Short code of a status; a waived failure reads ``NC*``."""
    return STATUS_CODES[status] + ("*" if waived else "")


STATUS_SHORT = {
    "fr": {
        "pass": "C",
        "fail": "NC",
        "not_applicable": "NA",
        "not_tested": "NT",
        "error": "erreur",
        "manual": "manuel",
    },
    "en": {
        "pass": "C",
        "fail": "NC",
        "not_applicable": "NA",
        "not_tested": "NT",
        "error": "error",
        "manual": "manual",
    },
}
"""What a certification report prints in a status column: the auditors' letters for the
four decided states, a word for the two that are not verdicts."""


def status_short(status: str, waived: bool = False, lang: str = "fr") -> str:
    """Status as a report's status column shows it: ``C``, ``NC``, ``NC*``, ``erreur``..."""
    return STATUS_SHORT[lang][status] + ("*" if waived else "")


CLEARTEXT_OPTION = "--allow-cleartext-credentials"
"""The opt-in that lets test passwords travel over plain HTTP (to the configured host only).

Probes name it in the reason of every requirement left not tested for want of it, which is
how reports count those requirements on their cover.
"""
