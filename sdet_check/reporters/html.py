"""The HTML report: one self-contained French (or English) certification document.

The reporter turns the run record into a plain view (dictionaries of strings and numbers)
and the template ``report.html.j2`` lays it out. The same template, with ``medium="print"``,
feeds the PDF: evidence is then shortened, with a pointer to the full piece in the JSON.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sdet_check.grid import source_label
from sdet_check.labels import CLEARTEXT_OPTION, STATUS_LABELS, status_short
from sdet_check.messages import message_text
from sdet_check.remarks import run_remarks, solution_identity
from sdet_check.reporters.base import Reporter
from sdet_check.reporters.charts import COVERAGE_FILL, coverage_chart, grouped_chart, status_chart
from sdet_check.reporters.document import (
    STATUSES,
    localized_percent,
    long_date,
    render_template,
    safe_link,
)
from sdet_check.reporters.wording import WORDS
from sdet_check.run import run_hash
from sdet_check.scoring import Verdict

PRINT_BODY_CHARS = 400
"""How much of an HTTP body the PDF keeps; the JSON has the recorded excerpt."""
PRINT_BODY_LINES = 6
PRINT_DATA_CHARS = 400
PRINT_HEADERS = 8
COVER_REMARKS = 6
"""Remarks listed on the cover; the others are counted (all are in run.json)."""

PRINT_ROW_CHARS = 140
"""How much of a finding a compact row keeps in the PDF."""

RUNNER_MESSAGES = {
    "En attente de la revue de l'auditeur.": "pending_review",
    "En attente de la déclaration de l'éditeur et de son examen.": "pending_declaration",
}
"""Fixed messages the runner writes for requirements waiting for a person, by wording key:
the report shows them in its own language whatever language the run was recorded in."""

VALIDITY_VERDICTS = frozenset({"conforme", "conforme_avec_reserves"})
"""Verdicts that attest conformity, the only ones a report may give a validity period."""
DETAILED_STATUSES = frozenset({"fail", "error"})
"""Statuses whose requirements get a full section with their evidence; the others sit in
compact tables (passes, and what is not decided)."""
UNDECIDED_STATUSES = ("not_tested", "manual", "not_applicable")


@dataclass(frozen=True)
class Signature:
    """Who signs the report and until when it holds (``sdet-check report --auditor``)."""

    auditor: str | None = None
    valid_until: date | None = None


class HtmlReporter(Reporter):
    """A self-contained HTML certification report (inline CSS and SVG, no script)."""

    format = "html"
    filename = "rapport.html"
    medium = "screen"

    def __init__(self, signature: Signature | None = None) -> None:
        """``signature`` names the auditor and the validity end shown on the cover."""
        self.signature = signature or Signature()

    def render(self, record: Mapping[str, Any], lang: str = "fr") -> bytes:
        """The report as UTF-8 HTML."""
        return self.html(record, lang).encode("utf-8")

    def html(self, record: Mapping[str, Any], lang: str = "fr") -> str:
        """The report as text, laid out for ``self.medium``."""
        return render_template(
            "report.html.j2", report_view(record, lang, self.signature, self.medium)
        )


def report_view(
    record: Mapping[str, Any], lang: str, signature: Signature, medium: str
) -> dict[str, Any]:
    """Everything the report template shows, computed from the run record."""
    words = WORDS[lang]
    grid = record["grid"]
    requirements = {r["id"]: r for r in grid["requirements"]}
    hashes = {(e["requirement"], e["index"]): e["sha256"] for e in record["evidence_manifest"]}
    declarations = {d["requirement"]: d for d in record["declarations"]}
    reviews = {r["requirement"]: r for r in record["reviews"]}
    waivers = {w["requirement"]: w for w in record["waivers"]}
    items: dict[str, list[dict[str, Any]]] = {axis["id"]: [] for axis in grid["axes"]}
    for position, result in enumerate(record["results"]):
        requirement = requirements.get(result["requirement"])
        if requirement is None:
            continue
        items.setdefault(requirement["axis"], []).append(
            _item(
                requirement,
                result,
                position,
                lang,
                medium,
                hashes,
                declarations.get(requirement["id"]),
                reviews.get(requirement["id"]),
                waivers.get(requirement["id"]),
                grid_version=grid.get("version"),
            )
        )
    order = {r["id"]: n for n, r in enumerate(grid["requirements"])}
    for axis_items in items.values():
        axis_items.sort(key=lambda item: order[item["id"]])
    scores = {entry["axis"]: entry for entry in record["score"]["axes"]}
    axes = [
        {
            "id": axis["id"],
            "coverage_must": _coverage_text(
                _score_row(scores[axis["id"]], axis["label"][lang]), "must", lang
            ),
            "coverage_should": _coverage_text(
                _score_row(scores[axis["id"]], axis["label"][lang]), "should", lang
            ),
            "anchor": f"axe-{anchor(axis['id'])}",
            "label": axis["label"][lang],
            "score": _score_row(scores[axis["id"]], axis["label"][lang]),
            "items": items.get(axis["id"], []),
            "detailed": sorted(
                (i for i in items.get(axis["id"], []) if i["detailed"]), key=_urgency
            ),
            "undecided": sorted(
                (
                    i
                    for i in items.get(axis["id"], [])
                    if not i["detailed"] and i["status"] in UNDECIDED_STATUSES
                ),
                key=lambda i: (UNDECIDED_STATUSES.index(i["status"]), i["level"] != "MUST"),
            ),
            "passed": [
                i for i in items.get(axis["id"], []) if not i["detailed"] and i["status"] == "pass"
            ],
        }
        for axis in grid["axes"]
        if axis["id"] in scores
    ]
    for axis_view in axes:
        axis_view["chart"] = rates_chart([axis_view["score"]], lang)
    overall = _score_row(record["score"]["overall"], words["overall"])
    started = _day(record["started_at"])
    remarks = remark_texts(record, lang)
    title = f"{words['report_kind']} — {record['target']['name']}"
    verdict_text = Verdict(overall["verdict"]).label(lang)
    tool = f"{record['tool']['name']} {record['tool']['version']}"
    return {
        "lang": lang,
        "w": words,
        "medium": medium,
        "title": title,
        "meta": {
            "author": f"{tool} — {signature.auditor}" if signature.auditor else tool,
            "subject": words["meta_subject"].format(
                target=record["target"]["name"], verdict=verdict_text
            ),
            "keywords": ", ".join(
                [
                    "SDET",
                    "ENT",
                    words["meta_keyword"],
                    f"{record['grid']['id']}/{record['grid']['version']}",
                    verdict_text,
                ]
            ),
        },
        "run_hash": run_hash(record),
        "run_id": record["run_id"],
        "cover": _cover(record, signature, started, overall, lang),
        "remarks": remarks[:COVER_REMARKS],
        "remarks_more": max(0, len(remarks) - COVER_REMARKS),
        "verdict": overall["verdict"],
        "axes": axes,
        "overall": overall,
        "charts": _charts([a["score"] for a in axes], overall, lang),
        "findings": sorted(
            (item for axis in axes for item in axis["items"] if item["detailed"]),
            key=_urgency,
        ),
        "status_legend": [
            {"code": status_short(s, lang=lang), "label": STATUS_LABELS[lang][s], "status": s}
            for s in STATUSES
        ],
        "appendix": _appendix(record, lang),
    }


def remark_texts(record: Mapping[str, Any], lang: str) -> list[str]:
    """The run's remarks (stale declarations and reviews, solution mismatches) as sentences.

    Computed from the record's current content (:func:`sdet_check.remarks.run_remarks`),
    the same way ``sdet-check run`` stores them in run.json.
    """
    words = WORDS[lang]
    texts = []
    for remark in run_remarks(record):
        if remark["kind"] == "solution_mismatch":
            key = f"remark_solution_mismatch_{remark['field']}"
            texts.append(words[key].format(declared=remark["declared"], target=remark["target"]))
        else:
            texts.append(
                words[f"remark_{remark['kind']}"].format(
                    requirement=remark["requirement"],
                    date=long_date(remark["date"], lang),
                    author=remark["author"],
                    age=remark["age_days"],
                    limit=remark["limit_days"],
                )
            )
    return texts


def _urgency(item: Mapping[str, Any]) -> tuple[int, int]:
    """MUST before SHOULD; uncovered failures, then errors, then waived failures."""
    rank = 2 if item["waived"] else (0 if item["status"] == "fail" else 1)
    return (0 if item["level"] == "MUST" else 1, rank)


def short_label(label: str) -> str:
    """An axis label without its parenthesised gloss, for tables and charts."""
    return label.split(" (")[0]


def anchor(text: str) -> str:
    """A safe HTML id fragment for ``text`` (ids come from grids, yet stay data)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", text)


def _cover(
    record: Mapping[str, Any],
    signature: Signature,
    started: date | None,
    overall: Mapping[str, Any],
    lang: str,
) -> dict[str, Any]:
    words = WORDS[lang]
    target = record["target"]
    portal = target.get("portal") if isinstance(target.get("portal"), Mapping) else {}
    grid = record["grid"]
    return {
        "target": target["name"],
        "description": _text(target.get("description")),
        "url": _text(portal.get("url") if portal else None),
        "editor": _text(solution_identity(record, "editor")),
        "solution_version": _text(solution_identity(record, "solution_version")),
        "grid_ref": f"{grid['id']}/{grid['version']}",
        "grid_title": grid["title"],
        "grid_published": grid["published"],
        "grid_hash": grid["content_hash"],
        "started": record["started_at"],
        "finished": record["finished_at"],
        "duration": record["duration_s"],
        "tool": f"{record['tool']['name']} {record['tool']['version']}",
        "auditor": signature.auditor,
        "coverage": _coverage_text(overall, "must", lang),
        "should_coverage": _coverage_text(overall, "should", lang),
        "validity_allowed": overall["verdict"] in VALIDITY_VERDICTS,
        "validity_refused": words["validity_refused"].format(
            verdict=Verdict(overall["verdict"]).label(lang)
        ),
        "valid_from": started.isoformat() if started else None,
        "valid_until": signature.valid_until.isoformat()
        if signature.valid_until and overall["verdict"] in VALIDITY_VERDICTS
        else None,
        "cleartext": bool(record.get("allow_cleartext_credentials", False)),
        "cleartext_withheld": sum(
            1
            for result in record["results"]
            if result["status"] == "not_tested" and CLEARTEXT_OPTION in (result["message"] or "")
        ),
        "writes": bool(record.get("allow_writes", False)),
    }


def _coverage_text(row: Mapping[str, Any], level: str, lang: str) -> str:
    """« 46 MUST décidées sur 105 (43,8 %) »: the decided share of one level."""
    return WORDS[lang][f"coverage_{level}"].format(
        decided=row[f"{level}_decided"],
        applicable=row[f"{level}_applicable"],
        share=localized_percent(row[f"{level}_coverage"], lang),
    )


def _score_row(entry: Mapping[str, Any], label: str) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    for level in ("must", "should"):
        counts.update(entry[level]["counts"])
    return {
        "label": label,
        "short": short_label(label),
        "verdict": entry["verdict"],
        "must_rate": entry["must"]["rate"],
        "must_coverage": entry["must"]["coverage"],
        "should_rate": entry["should"]["rate"],
        "should_coverage": entry["should"]["coverage"],
        "must_applicable": int(entry["must"].get("applicable", 0)),
        "must_decided": int(entry["must"].get("decided", 0)),
        "must_passed": int(entry["must"]["counts"].get("pass", 0)),
        "should_applicable": int(entry["should"].get("applicable", 0)),
        "should_decided": int(entry["should"].get("decided", 0)),
        "should_passed": int(entry["should"]["counts"].get("pass", 0)),
        "note_pratique": entry["note_pratique"],
        "note_theorique": entry["note_theorique"],
        "declared": entry["declared"],
        "waived": entry["must"]["waived"] + entry["should"]["waived"],
        "counts": {status: counts.get(status, 0) for status in STATUSES},
    }


def rates_chart(rows: list[dict[str, Any]], lang: str) -> Any:
    """The coverage chart of score rows: per level, the decided share and the passes in it."""
    words = WORDS[lang]

    def bars(row: dict[str, Any]) -> list[tuple[str, str, int, int, int, str]]:
        return [
            (
                level,
                level.upper(),
                row[f"{level}_passed"],
                row[f"{level}_decided"],
                row[f"{level}_applicable"],
                words["chart_coverage_bar"].format(
                    rate=localized_percent(row[f"{level}_rate"], lang),
                    decided=row[f"{level}_decided"],
                    applicable=row[f"{level}_applicable"],
                    share=localized_percent(row[f"{level}_coverage"], lang),
                ),
            )
            for level in ("must", "should")
        ]

    return coverage_chart(
        [(row["short"], bars(row)) for row in rows],
        [
            (words["chart_passed"], COVERAGE_FILL["passed"]),
            (words["chart_failed"], COVERAGE_FILL["failed"]),
            (words["chart_undecided"], COVERAGE_FILL["undecided"]),
        ],
    )


def _charts(axes: list[dict[str, Any]], overall: dict[str, Any], lang: str) -> dict[str, Any]:
    words = WORDS[lang]
    rows = [(a["short"], a["counts"], False) for a in axes]
    rows.append((overall["label"], overall["counts"], True))

    def note_bars(row: dict[str, Any]) -> list[tuple[str, str, float | None, str]]:
        return [
            (
                "pratique",
                words["pratique"],
                row["note_pratique"],
                words["chart_note_decided"].format(
                    decided=row["must_decided"] + row["should_decided"],
                    applicable=row["must_applicable"] + row["should_applicable"],
                ),
            ),
            (
                "theorique",
                words["theorique"],
                row["note_theorique"],
                words["chart_note_declared"].format(declared=row["declared"]),
            ),
        ]

    every = [*axes, overall]
    return {
        "status": status_chart(rows, STATUS_LABELS[lang], lang),
        "rates": rates_chart(every, lang),
        "notes": grouped_chart([(r["short"], note_bars(r)) for r in every], lang),
    }


def _item(
    requirement: Mapping[str, Any],
    result: Mapping[str, Any],
    position: int,
    lang: str,
    medium: str,
    hashes: Mapping[tuple[str, int], str],
    declaration: Mapping[str, Any] | None,
    review: Mapping[str, Any] | None,
    waiver: Mapping[str, Any] | None,
    grid_version: str | None = None,
) -> dict[str, Any]:
    status = result["status"]
    waived = bool(result.get("waived"))
    expired = result.get("waiver_state") == "expired"
    source = requirement["source"]
    verification = requirement["verification"]
    return {
        "id": requirement["id"],
        "anchor": f"exigence-{anchor(requirement['id'])}",
        "title": requirement["title"][lang],
        "statement": requirement["statement"][lang],
        "level": requirement["level"],
        "level_basis": requirement["level_basis"],
        "source": {
            "document": source.get("document", ""),
            "version": source.get("version", ""),
            "section": source.get("section", ""),
            "wording": source.get("wording"),
            "url": source.get("url"),
            "link": safe_link(source.get("url")),
            "label": source_label(source, grid_version, lang),
        },
        "method": verification.get("method", ""),
        "probe": verification.get("probe"),
        "params": json.dumps(verification["params"], ensure_ascii=False, sort_keys=True)
        if verification.get("params")
        else None,
        "degrees": requirement.get("degrees", []),
        "tags": requirement.get("tags", []),
        "status": status,
        "waived": waived,
        "code": status_short(status, waived, lang),
        "badge": "waived" if waived else status,
        "status_label": STATUS_LABELS[lang][status],
        "message": _message(result, lang),
        "short_message": _short(_message(result, lang), medium),
        "decided_by": _decided_by(verification, review, declaration, lang),
        "error_reason": result.get("error_reason"),
        "duration_ms": result.get("duration_ms"),
        "declared": result.get("declared"),
        "waiver_state": result.get("waiver_state"),
        "waiver_expired": expired,
        "detailed": status in DETAILED_STATUSES or expired,
        "remediation": _remediation(requirement, lang) if status in DETAILED_STATUSES else None,
        "evidence_path": f"results[{position}].evidence",
        "evidence": [
            _evidence(piece, position, index, medium, hashes.get((requirement["id"], index), ""))
            for index, piece in enumerate(result["evidence"])
        ],
        "declaration": _attestation(declaration, lang),
        "review": _attestation(review, lang),
        "proof_problem": _proof_problem(declaration, review, lang=lang),
        "waiver": _waiver(waiver),
    }


def _message(result: Mapping[str, Any], lang: str) -> str:
    """The finding of a result; the runner's fixed waiting messages in the report's language."""
    text = _text(message_text(result, lang)) or ""
    key = RUNNER_MESSAGES.get(text)
    return WORDS[lang][key] if key else text


def _short(text: str, medium: str) -> str:
    """A finding for a compact table row: whole on screen, shortened in print.

    The PDF keeps its first line, at most :data:`PRINT_ROW_CHARS` characters; the attached
    run has it whole.
    """
    if medium != "print":
        return text
    first = text.strip().splitlines()[0] if text.strip() else ""
    if len(first) <= PRINT_ROW_CHARS and first == text.strip():
        return first
    return first[:PRINT_ROW_CHARS].rstrip() + " […]"


def _decided_by(
    verification: Mapping[str, Any],
    review: Mapping[str, Any] | None,
    declaration: Mapping[str, Any] | None,
    lang: str,
) -> str:
    """Who or what decided a requirement, in a few words for a compact table."""
    words = WORDS[lang]
    if review is not None:
        return words["by_review"].format(
            author=_text(review.get("author")) or "—",
            date=long_date(review.get("date") or None, lang),
        )
    method = str(verification.get("method", ""))
    if method == "declaration" and declaration is not None:
        return words["by_declaration"].format(
            author=_text(declaration.get("author")) or "—",
            date=long_date(declaration.get("date") or None, lang),
        )
    text = words.get(f"method_{method}_short", words.get(f"method_{method}", method))
    probe = _text(verification.get("probe"))
    return f"{text} {probe}" if probe else text


def _proof_problem(*entries: Mapping[str, Any] | None, lang: str) -> str | None:
    """What is wrong with a proof document of a declaration or review, for a compact row.

    The row is short, but a document that changed or vanished must still show there.
    """
    for entry in entries:
        for document in (entry or {}).get("documents") or []:
            check = document.get("check") if isinstance(document, Mapping) else None
            if check in ("mismatch", "missing"):
                return WORDS[lang][f"check_{check}"]
    return None


def _remediation(requirement: Mapping[str, Any], lang: str) -> str | None:
    """The grid's « how to fix » text in ``lang`` (``requirements[].remediation``), if any."""
    remediation = requirement.get("remediation")
    if isinstance(remediation, Mapping):
        return _text(remediation.get(lang))
    return None


def _waiver(entry: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {
        "state": entry.get("state", ""),
        "justification": entry.get("justification", ""),
        "author": entry.get("author", ""),
        "approved_by": entry.get("approved_by"),
        "granted": entry.get("granted"),
        "expires": entry.get("expires", ""),
    }


_CHECKS = frozenset({"ok", "mismatch", "missing", "not_checked"})


def _attestation(entry: Mapping[str, Any] | None, lang: str) -> dict[str, Any] | None:
    if entry is None:
        return None
    status = str(entry.get("status") or "")
    documents = [
        {
            "title": d.get("title", ""),
            "sha256": d.get("sha256", ""),
            "where": d.get("path") or d.get("url") or "",
            "check": d.get("check") if d.get("check") in _CHECKS else "not_checked",
        }
        for d in entry.get("documents", [])
    ]
    return {
        "status": status,
        "status_text": WORDS[lang].get(f"declared_{status}", status),
        "text": _text(entry.get("statement")) or _text(entry.get("comment")) or "",
        "author": _text(entry.get("author")) or "",
        "date": entry.get("date") or "",
        "documents": documents,
    }


def _evidence(
    piece: Mapping[str, Any], position: int, index: int, medium: str, sha: str
) -> dict[str, Any]:
    data = piece.get("data") if isinstance(piece.get("data"), Mapping) else {}
    assert isinstance(data, Mapping)
    shortened = False
    view: dict[str, Any] = {
        "index": index,
        "kind": str(piece.get("kind", "")),
        "summary": str(piece.get("summary", "")),
        "sha256": sha,
        "path": f"results[{position}].evidence[{index}]",
        "http": None,
        "data": None,
    }
    request = data.get("request")
    response = data.get("response")
    if (
        view["kind"] == "http_exchange"
        and isinstance(request, Mapping)
        and isinstance(response, Mapping)
    ):
        request_headers = _header_pairs(request.get("headers"))
        response_headers = _header_pairs(response.get("headers"))
        body = str(response.get("body_excerpt") or "")
        if medium == "print":
            body, cut = _shorten(body, PRINT_BODY_CHARS, PRINT_BODY_LINES)
            shortened = cut or len(response_headers) > PRINT_HEADERS
            response_headers = response_headers[:PRINT_HEADERS]
            request_headers = request_headers[:PRINT_HEADERS]
        view["http"] = {
            "method": str(request.get("method", "")),
            "url": str(request.get("url", "")),
            "request_headers": request_headers,
            "status": str(response.get("status", "")),
            "reason": str(response.get("reason", "")),
            "elapsed_ms": response.get("elapsed_ms"),
            "response_headers": response_headers,
            "body": body,
        }
    elif data:
        text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True, default=str)
        if medium == "print":
            text, shortened = _shorten(text, PRINT_DATA_CHARS, 8)
        view["data"] = text
    view["shortened"] = shortened
    return view


def _header_pairs(headers: Any) -> list[tuple[str, str]]:
    """Headers recorded either as a mapping (requests) or as [name, value] pairs (responses)."""
    if isinstance(headers, Mapping):
        return [(str(k), str(v)) for k, v in headers.items()]
    if isinstance(headers, list):
        return [
            (str(pair[0]), str(pair[1]))
            for pair in headers
            if isinstance(pair, list | tuple) and len(pair) == 2
        ]
    return []


def _shorten(text: str, chars: int, lines: int) -> tuple[str, bool]:
    kept = "\n".join(text.splitlines()[:lines])[:chars]
    if len(kept) < len(text.rstrip("\n")):
        return kept.rstrip() + "\n[…]", True
    return text, False


def _appendix(record: Mapping[str, Any], lang: str) -> dict[str, Any]:
    grid = record["grid"]
    per_axis: Counter[tuple[str, str]] = Counter(
        (r["axis"], r["level"]) for r in grid["requirements"]
    )
    selection = record["selection"]
    return {
        "selection": {k: list(v) for k, v in selection.items() if v},
        "limits": record["limits"],
        "allow_writes": record["allow_writes"],
        "allow_cleartext_credentials": bool(record.get("allow_cleartext_credentials", False)),
        "inputs": [(name, pinned) for name, pinned in record["inputs"].items()],
        "privacy": record["privacy"],
        "grid": {
            "ref": f"{grid['id']}/{grid['version']}",
            "title": grid["title"][lang],
            "published": grid["published"],
            "content_hash": grid["content_hash"],
            "total": len(grid["requirements"]),
            "axes": [
                {
                    "label": axis["label"][lang],
                    "must": per_axis[(axis["id"], "MUST")],
                    "should": per_axis[(axis["id"], "SHOULD")],
                }
                for axis in grid["axes"]
            ],
        },
        "evidence_manifest": record["evidence_manifest"],
    }


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _day(value: str) -> date | None:
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        return None
