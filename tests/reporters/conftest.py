"""Fixtures of the document report tests: runs, a beacon server, PDF and HTML helpers."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from sdet_check.run import dump_run

from ..records import synthetic, with_results

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture(scope="session")
def full_record() -> dict[str, Any]:
    """A run of the whole sdet/6.4 grid: every status, waivers, declarations, evidence.

    The synthetic run is random (seeded); the cases the tests look for are then set on
    the first MUST requirements that carry an HTTP exchange, so they exist whatever the
    grid's content: a failure under a valid waiver, one whose waiver has expired, an
    error and an untested requirement.
    """
    record = synthetic("sdet/6.4", seed=0, name="ENT Collèges de l'Exemple")
    level = {r["id"]: r["level"] for r in record["grid"]["requirements"]}
    picked = [
        e["requirement"]
        for e in record["results"]
        if level[e["requirement"]] == "MUST"
        and any(piece["kind"] == "http_exchange" for piece in e["evidence"])
    ][:4]
    waived, expired, error, untested = picked

    def waiver(requirement: str, expires: str, state: str) -> dict[str, str]:
        return {
            "requirement": requirement,
            "justification": f"Correctif de {requirement} planifié.",
            "author": "Paul Durand, RSSI de l'éditeur",
            "approved_by": "Chef de projet ENT",
            "expires": expires,
            "state": state,
        }

    waivers = [w for w in record["waivers"] if w["requirement"] not in picked]
    waivers += [waiver(waived, "2027-01-31", "valid"), waiver(expired, "2026-09-01", "expired")]
    return with_results(
        record,
        {
            waived: {"status": "fail", "waived": True, "waiver_state": "valid"},
            expired: {"status": "fail", "waived": False, "waiver_state": "expired"},
            error: {"status": "error", "message": "Délai dépassé (10 s)."},
            untested: {"status": "not_tested", "message": "Non testé : service absent."},
        },
        waivers=waivers,
    )


@pytest.fixture(scope="session")
def full_run_file(full_record: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("run") / "run.json"
    path.write_text(dump_run(full_record), encoding="utf-8")
    return path


class Beacon:
    """A local HTTP server that records every request: a report must never call it."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def beacon() -> Iterator[Beacon]:
    server = Beacon()
    yield server
    server.close()


def structure(html: str) -> str:
    """A normalised structural summary of a report, for golden files.

    Headings (level and text), then every table by id with its header cells and, for each
    body row, the row header and the status codes it shows. Run ids, hashes and dates are
    left out: they change with every run.
    """
    tree = lxml_html.fromstring(html)
    lines = [f"lang={tree.get('lang')}"]
    for element in tree.iter("h1", "h2", "h3", "h4", "table"):
        if element.tag == "table":
            if not element.get("id"):
                continue
            heads = [_text(th) for th in element.xpath("./thead//th")]
            lines.append(f"table #{element.get('id')}: {' | '.join(heads)}")
            for row in element.xpath("./tbody/tr"):
                head = row.xpath("./th")
                codes = [_text(b) for b in row.xpath(".//span[contains(@class, 'badge')]")]
                if head:
                    lines.append(f"  {_text(head[0])}: {' '.join(codes)}".rstrip())
        else:
            lines.append(f"{element.tag}: {_text(element)}")
    return "\n".join(lines) + "\n"


def _text(element: Any) -> str:
    return re.sub(r"\s+", " ", element.text_content()).strip()


def check_golden(name: str, actual: str, update: bool) -> None:
    path = GOLDEN / name
    if update or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        if not update:
            pytest.fail(f"golden file {path} was missing; written, check it and commit it")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (
        f"{name} differs from its golden file; if the change is intended, rerun with "
        "SDET_CHECK_UPDATE_GOLDEN=1 and review the diff"
    )
