"""Properties of the canonical run form and of ``verify`` (sdet_check/run.py, verify.py).

The run hash of any run is the SHA-256 of the run.json bytes written for it (what
``sha256sum`` prints), and writing a loaded run gives the same bytes again; ``verify``
given any bytes as a run.json, a signature, a PDF or an HTML report answers 1 or 3, never
crashes; any one byte changed in a signed run.json, or in the signed ranges of a signed
PDF, makes it answer 1.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdet_check.reporters.pdf import PdfReporter
from sdet_check.run import dump_run, read_run, run_hash
from sdet_check.signing import SigningIdentity, load_identity, sign_detached, sign_pdf
from sdet_check.verify import Verifier, exit_code
from tests.records import synthetic
from tests.strategies import examples_for, hostile_text, runs
from tests.unit.test_sign_verify import make_pki


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("verify")


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> SigningIdentity:
    files = make_pki(tmp_path_factory.mktemp("pki"))
    return load_identity(files["key"], files["cert"])


@settings(max_examples=examples_for(100))
@given(runs(hostile_text()))
def test_run_hash_is_the_sha256_of_the_written_bytes(folder: Path, record: dict[str, Any]) -> None:
    path = folder / "run.json"
    path.write_bytes(dump_run(record).encode("utf-8"))
    read = read_run(path)
    assert read.canonical
    assert read.problems == []
    assert run_hash(read.record) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert dump_run(json.loads(dump_run(record))) == dump_run(record)


NAMES = ("run.json", "rapport.pdf", "rapport.html", "run.json.sig", "document")
PREFIXES = (b"", b"%PDF-1.7\n", b"<!DOCTYPE html><html>", b"{", b"0\x82")


@settings(max_examples=examples_for(400))
@given(st.sampled_from(NAMES), st.sampled_from(PREFIXES), st.binary(max_size=200))
def test_verify_answers_1_or_3_for_any_bytes(
    folder: Path, name: str, prefix: bytes, data: bytes
) -> None:
    case = folder / "any"
    case.mkdir(exist_ok=True)
    for stale in case.iterdir():
        stale.unlink()
    if name.endswith(".sig"):  # a signature of anything over an unsigned run
        (case / "run.json").write_text(dump_run(synthetic("demo")), encoding="utf-8")
    path = case / name
    path.write_bytes(prefix + data)
    verdicts = Verifier().verify_paths([path])
    assert exit_code(verdicts) in (1, 3)
    for verdict in verdicts:
        assert verdict.state != "intact"


@pytest.fixture(scope="module")
def signed_run(folder: Path, identity: SigningIdentity) -> bytes:
    return dump_run(synthetic("demo")).encode("utf-8")


@settings(max_examples=examples_for(150))
@given(st.data())
def test_any_byte_changed_in_a_signed_run_is_altered(
    folder: Path, identity: SigningIdentity, signed_run: bytes, data: st.DataObject
) -> None:
    position = data.draw(st.integers(0, len(signed_run) - 1))
    bit = data.draw(st.sampled_from([1, 2, 4, 8, 16, 32, 64, 128]))
    case = folder / "flip"
    case.mkdir(exist_ok=True)
    run = case / "run.json"
    (case / "run.json.sig").write_bytes(sign_detached(signed_run, identity))
    changed = bytearray(signed_run)
    changed[position] ^= bit
    run.write_bytes(bytes(changed))
    verdicts = Verifier().verify_paths([run])
    assert exit_code(verdicts) == 1
    assert any(f.what == "signature" for f in verdicts[0].findings)


@pytest.fixture(scope="module")
def signed_pdf(identity: SigningIdentity) -> bytes:
    return sign_pdf(PdfReporter().render(synthetic("demo")), identity, reason="test")


@settings(max_examples=examples_for(100))
@given(st.data())
def test_any_byte_changed_in_the_signed_ranges_of_a_pdf_is_altered(
    folder: Path, signed_pdf: bytes, data: st.DataObject
) -> None:
    found = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", signed_pdf)
    assert found is not None
    start1, length1, start2, length2 = map(int, found.groups())
    ranges = [(start1, start1 + length1), (start2, start2 + length2)]
    low, high = data.draw(st.sampled_from(ranges))
    position = data.draw(st.integers(low, high - 1))
    changed = bytearray(signed_pdf)
    changed[position] ^= data.draw(st.sampled_from([1, 4, 32]))
    pdf = folder / "rapport.pdf"
    pdf.write_bytes(bytes(changed))
    verdicts = Verifier().verify_paths([pdf])
    assert exit_code(verdicts) == 1
    assert verdicts[0].findings
