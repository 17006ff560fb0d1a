"""Run records for report, comparison and follow-up tests: synthetic, edited, hostile."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from sdet_check.demo.synthetic import SYNTHETIC_START, synthetic_run
from sdet_check.grid import Grid, load_grid, resolve_grid
from sdet_check.run import evidence_manifest, rescore, validate_run

DATA = Path(__file__).resolve().parent / "data"
DEMO_GRID = DATA / "grids" / "demo" / "1.0"


@cache
def grid(ref: str) -> Grid:
    """A bundled grid (``sdet/6.4``) or the tests' small demo grid (``demo``)."""
    return load_grid(DEMO_GRID if ref == "demo" else resolve_grid(ref))


def synthetic(ref: str = "sdet/6.4", **options: Any) -> dict[str, Any]:
    """A fresh synthetic run of a grid (callers may edit it)."""
    return synthetic_run(grid(ref), **options)


def with_results(
    record: Mapping[str, Any],
    changes: Mapping[str, Mapping[str, Any]],
    *,
    waivers: list[dict[str, Any]] | None = None,
    started: datetime | None = None,
) -> dict[str, Any]:
    """A copy of ``record`` with some results replaced, re-scored and re-manifested.

    ``changes`` maps a requirement id to the fields to set (``status``, ``waived``...);
    ``waivers`` replaces the run's waivers.
    """
    edited = copy.deepcopy(dict(record))
    for entry in edited["results"]:
        change = changes.get(entry["requirement"])
        if change is None:
            continue
        entry.update(change)
        if entry["status"] == "error":
            entry.setdefault("error_reason", "timeout")
        else:
            entry.pop("error_reason", None)
        if not (entry["status"] == "fail" and entry.get("waived")):
            entry["waived"] = False
    if waivers is not None:
        edited["waivers"] = waivers
    if started is not None:
        edited["started_at"] = started.isoformat()
        edited["finished_at"] = started.isoformat()
    edited["evidence_manifest"] = evidence_manifest(edited["results"])
    edited["score"] = rescore(edited).to_json()
    validate_run(edited)
    return edited


def all_pass(record: Mapping[str, Any]) -> dict[str, Any]:
    """``record`` with every requirement passing and no waiver."""
    return with_results(
        record,
        {e["requirement"]: {"status": "pass", "waived": False} for e in record["results"]},
        waivers=[],
    )


PAYLOADS = {
    "script": '<script>alert("xss")</script>',
    "attribute": '"><img src=x onerror=alert(1)>',
    "style": "</style><script>alert(2)</script>",
    "pre": "</pre></details><svg onload=alert(3)>",
    "template": "{{ 7*7 }}{% raw %}",
    "comment": "--><!-- <iframe src=javascript:alert(5)>",
}
"""Markup a hostile target (or a tampered run file) might put anywhere."""


def hostile_run(beacon: str) -> dict[str, Any]:
    """A valid run record whose target-supplied fields all carry markup and beacons.

    ``beacon`` is a URL of a local server: any request to it means the report loaded
    something it should have shown as text.
    """
    record = synthetic("demo", started=SYNTHETIC_START)
    record = with_results(record, {"T-FAIL-001": {"status": "fail", "waived": False}})
    p = PAYLOADS
    beacon_tag = f'<img src="{beacon}/img"><link rel="stylesheet" href="{beacon}/css">'
    record["target"]["name"] = f"ENT {p['script']}"
    record["target"]["description"] = p["attribute"]
    record["target"]["portal"]["url"] = f"https://ent.invalid/{p['attribute']}"
    for entry in record["results"]:
        entry["message"] = f"Erreur du serveur : {p['style']} {beacon_tag} {'B' * 2000}"
        for piece in entry["evidence"]:
            # A long unbroken token (a SAML request in a URL, say) must not widen the page.
            piece["summary"] = f"{p['pre']} {p['template']} https://idp.invalid/?q={'A' * 3000}"
            piece["kind"] = "http_exchange" if piece["kind"] == "http_exchange" else p["attribute"]
            data = piece["data"]
            if "response" in data:
                data["request"]["url"] = f"https://ent.invalid/{p['attribute']}"
                data["response"]["headers"].append(["X-Injected", p["script"] + beacon_tag])
                data["response"]["headers"].append([p["attribute"], p["comment"]])
                data["response"]["reason"] = p["style"]
                data["response"]["body_excerpt"] = (
                    f"<html><body>{p['script']}{beacon_tag}<style>body{{background:url("
                    f"{beacon}/bg)}}</style></body></html>"
                )
            else:
                data["injected"] = p["script"] + beacon_tag
    requirement = record["grid"]["requirements"][0]
    requirement["source"]["url"] = "javascript:alert(4)"
    requirement["source"]["wording"] = p["script"]
    requirement["title"]["fr"] = f"Titre {p['attribute']}"
    for declaration in record["declarations"]:
        declaration["statement"] = p["script"]
        for document in declaration["documents"]:
            document["title"] = p["attribute"]
            document["path"] = f"{beacon}/preuve.pdf"
    for review in record["reviews"]:
        review["comment"] = p["comment"]
    record["waivers"] = [
        {
            "requirement": "T-FAIL-001",
            "justification": p["script"] + beacon_tag,
            "author": p["attribute"],
            "expires": "2020-01-01",
            "state": "expired",
        }
    ]
    for entry in record["results"]:
        if entry["requirement"] == "T-FAIL-001":
            entry["waiver_state"] = "expired"
    record["evidence_manifest"] = evidence_manifest(record["results"])
    validate_run(record)
    return record
