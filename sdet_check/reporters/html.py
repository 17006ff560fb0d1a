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

from sdet_check.labels import CLEARTEXT_OPTION, STATUS_LABELS, status_short
from sdet_check.messages import message_text
from sdet_check.reporters.base import Reporter, percent
from sdet_check.reporters.charts import grouped_chart, status_chart
from sdet_check.reporters.document import STATUSES, render_template, safe_link
from sdet_check.reporters.wording import WORDS
from sdet_check.run import run_hash

PRINT_BODY_CHARS = 400
"""How much of an HTTP body the PDF keeps; the JSON has the recorded excerpt."""
PRINT_BODY_LINES = 6
PRINT_DATA_CHARS = 400
PRINT_HEADERS = 8


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
            )
        )
    order = {r["id"]: n for n, r in enumerate(grid["requirements"])}
    for axis_items in items.values():
        axis_items.sort(key=lambda item: order[item["id"]])
    scores = {entry["axis"]: entry for entry in record["score"]["axes"]}
    axes = [
        {
            "id": axis["id"],
            "anchor": f"axe-{anchor(axis['id'])}",
            "label": axis["label"][lang],
            "score": _score_row(scores[axis["id"]], axis["label"][lang]),
            "items": items.get(axis["id"], []),
        }
        for axis in grid["axes"]
        if axis["id"] in scores
    ]
    overall = _score_row(record["score"]["overall"], words["overall"])
    started = _day(record["started_at"])
    return {
        "lang": lang,
        "w": words,
        "medium": medium,
        "title": f"{words['report_kind']} — {record['target']['name']}",
        "run_hash": run_hash(record),
        "run_id": record["run_id"],
        "cover": _cover(record, signature, started),
        "verdict": overall["verdict"],
        "axes": axes,
        "overall": overall,
        "charts": _charts([a["score"] for a in axes], overall, lang),
        "findings": sorted(
            (
                item
                for axis in axes
                for item in axis["items"]
                if item["status"] in ("fail", "error") or item["waiver_expired"]
            ),
            key=_urgency,
        ),
        "status_legend": [
            {"code": status_short(s, lang=lang), "label": STATUS_LABELS[lang][s], "status": s}
            for s in STATUSES
        ],
        "appendix": _appendix(record, lang),
    }


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


def _cover(record: Mapping[str, Any], signature: Signature, started: date | None) -> dict[str, Any]:
    target = record["target"]
    portal = target.get("portal") if isinstance(target.get("portal"), Mapping) else {}
    grid = record["grid"]
    return {
        "target": target["name"],
        "description": _text(target.get("description")),
        "url": _text(portal.get("url") if portal else None),
        "editor": _text(target.get("editor")),
        "solution_version": _text(target.get("solution_version")),
        "grid_ref": f"{grid['id']}/{grid['version']}",
        "grid_title": grid["title"],
        "grid_published": grid["published"],
        "grid_hash": grid["content_hash"],
        "started": record["started_at"],
        "finished": record["finished_at"],
        "duration": record["duration_s"],
        "tool": f"{record['tool']['name']} {record['tool']['version']}",
        "auditor": signature.auditor,
        "valid_from": started.isoformat() if started else None,
        "valid_until": signature.valid_until.isoformat() if signature.valid_until else None,
        "cleartext": bool(record.get("allow_cleartext_credentials", False)),
        "cleartext_withheld": sum(
            1
            for result in record["results"]
            if result["status"] == "not_tested" and CLEARTEXT_OPTION in (result["message"] or "")
        ),
    }


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
        "note_pratique": entry["note_pratique"],
        "note_theorique": entry["note_theorique"],
        "declared": entry["declared"],
        "waived": entry["must"]["waived"] + entry["should"]["waived"],
        "counts": {status: counts.get(status, 0) for status in STATUSES},
    }


def _charts(axes: list[dict[str, Any]], overall: dict[str, Any], lang: str) -> dict[str, Any]:
    words = WORDS[lang]
    rows = [(a["short"], a["counts"], False) for a in axes]
    rows.append((overall["label"], overall["counts"], True))
    coverage = words["coverage"]

    def rate_bars(row: dict[str, Any]) -> list[tuple[str, str, float | None, str]]:
        return [
            ("must", "MUST", row["must_rate"], f"({coverage} {percent(row['must_coverage'])})"),
            (
                "should",
                "SHOULD",
                row["should_rate"],
                f"({coverage} {percent(row['should_coverage'])})",
            ),
        ]

    def note_bars(row: dict[str, Any]) -> list[tuple[str, str, float | None, str]]:
        return [
            ("pratique", words["pratique"], row["note_pratique"], ""),
            ("theorique", words["theorique"], row["note_theorique"], ""),
        ]

    every = [*axes, overall]
    return {
        "status": status_chart(rows, STATUS_LABELS[lang], lang),
        "rates": grouped_chart([(r["short"], rate_bars(r)) for r in every]),
        "notes": grouped_chart([(r["short"], note_bars(r)) for r in every]),
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
) -> dict[str, Any]:
    status = result["status"]
    waived = bool(result.get("waived"))
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
        "message": message_text(result, lang),
        "error_reason": result.get("error_reason"),
        "duration_ms": result.get("duration_ms"),
        "declared": result.get("declared"),
        "waiver_state": result.get("waiver_state"),
        "waiver_expired": result.get("waiver_state") == "expired",
        "evidence_path": f"results[{position}].evidence",
        "evidence": [
            _evidence(piece, position, index, medium, hashes.get((requirement["id"], index), ""))
            for index, piece in enumerate(result["evidence"])
        ],
        "declaration": _attestation(declaration),
        "review": _attestation(review),
        "waiver": _waiver(waiver),
    }


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


def _attestation(entry: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if entry is None:
        return None
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
        "status": entry.get("status", ""),
        "text": entry.get("statement") or entry.get("comment") or "",
        "author": entry.get("author", ""),
        "date": entry.get("date", ""),
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
