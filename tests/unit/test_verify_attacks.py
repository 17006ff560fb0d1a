# mypy: disable-error-code="no-untyped-call"
# (pyHanko's PDF writer, used here to build hostile PDFs, has no type hints)
"""Attacks on ``verify`` and on reading runs: each one must end in a clear verdict.

Every test here is an attack that was tried against signed runs and reports; it asserts
that ``verify`` (or ``report``) neither crashes, hangs nor lies: a hostile run.json, PDF
or certificate gives ``bad_input`` or ``altered`` with a finding, never an internal error,
an endless loop, unbounded memory, or terminal escapes copied from a certificate.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tracemalloc
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from sdet_check import signing
from sdet_check.errors import InputError
from sdet_check.run import dump_run, load_run, parse_run
from sdet_check.signing import SigningIdentity, check_detached, check_pdf, sign_detached
from sdet_check.verify import Verifier, exit_code

from ..records import all_pass, synthetic, with_results

ROOT = Path(__file__).resolve().parents[2]


def demo_bytes() -> bytes:
    record = with_results(all_pass(synthetic("demo")), {"T-PASS-001": {"status": "fail"}})
    return dump_run(record).encode("utf-8")


def cli(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``python -m sdet_check`` of this worktree, stopped after ``timeout`` seconds."""
    return subprocess.run(
        [sys.executable, "-m", "sdet_check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={
            "PATH": "/usr/bin:/bin",
            "NO_COLOR": "1",
            "PYTHONPATH": str(ROOT),
            "COLUMNS": "200",
        },
    )


def self_signed(common_name: str) -> SigningIdentity:
    """A key and a self-signed certificate whose CN is ``common_name`` (anything at all)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name, _validate=False)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return SigningIdentity(key, certificate)


# --- run.json the JSON parser chokes on ---------------------------------------------------------


def _with_duration(raw: bytes, literal: bytes) -> bytes:
    return raw.replace(b'"duration_s": ', b'"duration_s": ' + literal + b', "x": ', 1)


@pytest.mark.slow
def test_a_huge_integer_in_run_json_is_bad_input_not_an_internal_error(tmp_path: Path) -> None:
    run = tmp_path / "run.json"
    run.write_bytes(_with_duration(demo_bytes(), b"1" * 5000))
    with pytest.raises(InputError):
        parse_run(run.read_bytes(), run)
    verdict = Verifier().verify_file(run)
    assert verdict.state == "bad_input", verdict
    for command in (("verify", "run.json"), ("report", "run.json")):
        done = cli(*command, cwd=tmp_path)
        assert "Erreur interne" not in done.stderr, done.stderr
        assert done.returncode == 3, (command, done.stdout, done.stderr)


@pytest.mark.slow
def test_a_lone_surrogate_in_an_evidence_piece_is_bad_input_not_an_internal_error(
    tmp_path: Path,
) -> None:
    record = json.loads(demo_bytes())
    piece = next(p for r in record["results"] for p in r["evidence"])
    piece["summary"] = "\ud800"
    run = tmp_path / "run.json"
    run.write_text(json.dumps(record, indent=2) + "\n", encoding="ascii")  # "\ud800" escaped
    with pytest.raises(InputError, match=r"surrogate|substitution"):
        parse_run(run.read_bytes(), run)
    with pytest.raises(InputError):
        load_run(run)
    assert Verifier().verify_file(run).state == "bad_input"
    done = cli("verify", "run.json", cwd=tmp_path)
    assert "Erreur interne" not in done.stderr, done.stderr
    assert done.returncode == 3, done.stdout


@settings(max_examples=60, deadline=None)
@given(position=st.integers(min_value=0), junk=st.binary(min_size=1, max_size=12))
def test_parse_run_of_mangled_bytes_is_a_run_or_input_error(position: int, junk: bytes) -> None:
    """Whatever is spliced into a run.json, parsing gives a run or one InputError."""
    raw = SMALL_RUN
    at = position % len(raw)
    mangled = raw[:at] + junk + raw[at:]
    with contextlib.suppress(InputError):  # any other exception fails the test
        parse_run(mangled)


SMALL_RUN = demo_bytes()


@settings(max_examples=40, deadline=None)
@given(
    literal=st.sampled_from(
        [b"1" * 4400, b"-" + b"9" * 4400, b'"\\udc00"', b'"\\ud83d"', b'"\\ud83d\\u0041"']
    )
)
def test_hostile_json_literals_never_escape_as_another_exception(literal: bytes) -> None:
    with pytest.raises(InputError):
        parse_run(_with_duration(SMALL_RUN, literal))


# --- files that are not regular files -----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="pas de mkfifo sur ce système")
def test_a_fifo_named_run_json_is_bad_input_not_a_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "run.json")
    os.mkfifo(tmp_path / "rapport.pdf")
    for command in (("verify", "run.json"), ("verify", "rapport.pdf"), ("report", "run.json")):
        try:
            done = cli(*command, cwd=tmp_path, timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{' '.join(command)} on a FIFO hung")
        assert done.returncode == 3, (command, done.stdout, done.stderr)


# --- hostile PDFs -------------------------------------------------------------------------------


def _pdf_with_attachments(entries: list[tuple[str, bytes, Any]], *, cycle: bool = False) -> bytes:
    """A one-page PDF whose name tree holds ``entries`` (name, encoded data, /Filter)."""
    from pyhanko.pdf_utils import generic as g
    from pyhanko.pdf_utils.writer import PdfFileWriter

    writer = PdfFileWriter()
    page = g.DictionaryObject(
        {
            g.NameObject("/Type"): g.NameObject("/Page"),
            g.NameObject("/MediaBox"): g.ArrayObject([g.NumberObject(n) for n in (0, 0, 10, 10)]),
        }
    )
    writer.insert_page(page)
    pairs: list[Any] = []
    for name, encoded, filters in entries:
        stream = g.StreamObject(
            {g.NameObject("/Type"): g.NameObject("/EmbeddedFile")}, encoded_data=encoded
        )
        if filters is not None:
            stream[g.NameObject("/Filter")] = filters
        spec = g.DictionaryObject(
            {
                g.NameObject("/Type"): g.NameObject("/Filespec"),
                g.NameObject("/F"): g.pdf_string(name),
                g.NameObject("/EF"): g.DictionaryObject(
                    {g.NameObject("/F"): writer.add_object(stream)}
                ),
            }
        )
        pairs += [g.pdf_string(name), writer.add_object(spec)]
    node = g.DictionaryObject({g.NameObject("/Names"): g.ArrayObject(pairs)})
    node_ref = writer.add_object(node)
    if cycle:
        node[g.NameObject("/Kids")] = g.ArrayObject([node_ref])
    writer.root[g.NameObject("/Names")] = g.DictionaryObject(
        {g.NameObject("/EmbeddedFiles"): node_ref}
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.slow
def test_a_name_tree_that_loops_on_itself_does_not_hang_verify(tmp_path: Path) -> None:
    (tmp_path / "rapport.pdf").write_bytes(_pdf_with_attachments([], cycle=True))
    try:
        done = cli("verify", "rapport.pdf", cwd=tmp_path, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("verify looped forever on a /Kids cycle")
    assert done.returncode == 1, done.stdout  # unsigned: nothing vouches for it
    assert "Erreur interne" not in done.stderr


def test_a_compression_bomb_wrapped_in_a_filter_array_stays_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(signing, "MAX_ATTACHMENT_BYTES", 1024 * 1024)
    bomb = zlib.compress(b"\0" * (64 * 1024 * 1024), 9)
    from pyhanko.pdf_utils import generic as g

    pdf = _pdf_with_attachments([("run.json", bomb, g.ArrayObject([g.NameObject("/FlateDecode")]))])
    tracemalloc.start()
    try:
        try:
            content = check_pdf(pdf)
        except signing.UnreadablePdf:
            content = None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"pic mémoire pour une bombe de 64 Mo sous [/FlateDecode] : {peak / 1e6:.1f} Mo")
    assert peak < 16 * 1024 * 1024, peak
    if content is not None:
        assert all(len(b) <= 1024 * 1024 + 1 for b in content.attachments.values())


def test_many_attachments_cannot_add_up_past_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signing, "MAX_ATTACHMENT_BYTES", 1000)
    monkeypatch.setattr(signing, "MAX_ATTACHMENTS_TOTAL_BYTES", 3000, raising=False)
    piece = zlib.compress(b"{" + b" " * 998 + b"}")
    from pyhanko.pdf_utils import generic as g

    entries = [(f"run{n}.json", piece, g.NameObject("/FlateDecode")) for n in range(8)]
    with pytest.raises(signing.UnreadablePdf):
        check_pdf(_pdf_with_attachments(entries))


def test_two_attachments_named_run_json_are_named_as_a_finding(tmp_path: Path) -> None:
    good = demo_bytes()
    record = json.loads(good)
    next(r for r in record["results"] if r["status"] == "fail")["status"] = "pass"
    forged = dump_run(record).encode("utf-8")  # a failure turned into a pass, not rescored
    pdf = tmp_path / "rapport.pdf"
    pdf.write_bytes(_pdf_with_attachments([("run.json", forged, None), ("run.json", good, None)]))
    verdict = Verifier().verify_file(pdf)
    texts = [f.text for f in verdict.findings]
    assert verdict.state == "altered"
    assert any("run.json" in t and ("2" in t or "plusieurs" in t) for t in texts), texts
    # The first one, which pdfdetach saves, is checked too: its score no longer matches.
    assert sum("score" in t for t in texts) >= 1, texts


# --- what verify prints -------------------------------------------------------------------------

FAKE_LINE = "  · certificat reconnu par les autorités données"


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Attribute's length")
def test_a_signer_name_with_escapes_and_newlines_is_shown_not_passed_on(tmp_path: Path) -> None:
    identity = self_signed(f"Mallory\n{FAKE_LINE}\x1b[8m\u202e")
    run = tmp_path / "run.json"
    run.write_bytes(demo_bytes())
    (tmp_path / "run.json.sig").write_bytes(sign_detached(run.read_bytes(), identity))
    verifier = Verifier()
    lines = verifier.describe(verifier.verify_file(run))
    assert all("\n" not in line and "\x1b" not in line and "\u202e" not in line for line in lines)
    assert FAKE_LINE not in lines, lines
    done = cli("verify", "run.json", cwd=tmp_path)
    assert "\x1b" not in done.stdout
    assert FAKE_LINE + "\n" not in done.stdout
    assert "certificat non vérifié" in done.stdout  # still said, and visible
    assert done.returncode == 0  # intact, but nobody vouches for it


@settings(max_examples=50, deadline=None)
@given(name=st.text(min_size=1, max_size=40))
def test_described_lines_never_carry_control_characters(name: str) -> None:
    from sdet_check.verify import FileVerdict

    check = signing.SignatureCheck(True, signer=name, signed_at=datetime.now(UTC))
    verdict = FileVerdict(Path(f"x{name}.json"), "run", signatures=[check])
    verdict.differs("attached_run", f"run joint ({name}) : absent")
    for line in Verifier(lang="en").describe(verdict):
        assert not any(
            ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or 0x202A <= ord(c) <= 0x202E for c in line
        ), repr(line)


# --- signatures ---------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(signature=st.binary(max_size=300))
def test_check_detached_of_any_bytes_is_a_finding_never_an_exception(signature: bytes) -> None:
    check = check_detached(b"data", signature)
    assert not check.intact
    assert check.problems


def test_a_signature_over_another_file_by_the_same_signer_is_changed(tmp_path: Path) -> None:
    identity = self_signed("Alice Auditrice")
    run = tmp_path / "run.json"
    run.write_bytes(demo_bytes())
    (tmp_path / "run.json.sig").write_bytes(sign_detached(b"<html>rapport</html>", identity))
    verdict = Verifier().verify_file(run)
    assert verdict.state == "altered"
    assert exit_code([verdict]) == 1
    assert [f.what for f in verdict.findings] == ["signature"]


def test_report_reads_at_most_the_signature_limit_from_a_sig_file(tmp_path: Path) -> None:
    from sdet_check.run import read_run
    from sdet_check.verify import run_signature, signature_problem_texts

    run = tmp_path / "run.json"
    run.write_bytes(demo_bytes())
    with (tmp_path / "run.json.sig").open("wb") as stream:
        stream.truncate(signing.MAX_SIGNATURE_BYTES * 64)  # sparse: 64 MB of zeros
    record = read_run(run)
    tracemalloc.start()
    try:
        # What read_runs (report, compare, diff) does with the signature beside a run.
        problems = signature_problem_texts(run_signature(record.path, record.raw))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"pic mémoire pour un run.json.sig de 64 Mo : {peak / 1e6:.1f} Mo")
    assert problems and "illisible" in problems[0]
    assert peak < 8 * 1024 * 1024, peak


@pytest.mark.slow
def test_report_names_an_altered_piece_without_passing_on_its_escapes(tmp_path: Path) -> None:
    record = json.loads(demo_bytes())
    piece = next(p for r in record["results"] for p in r["evidence"])
    piece["kind"] = "http\x1b[2J\x1b[8m\nTout est vérifié"
    run = tmp_path / "run.json"
    run.write_text(dump_run(record), encoding="utf-8")  # kind changed, manifest not updated
    for extra in ((), ("--allow-unverified",)):
        done = cli("report", "run.json", *extra, cwd=tmp_path)
        assert done.returncode == 1, done.stderr  # refused; or read, and non conforme
        assert "\x1b" not in done.stderr, repr(done.stderr)
        assert "\nTout est vérifié" not in done.stderr, done.stderr
        assert "\\x1b[2J" in done.stderr  # shown, not hidden


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_standard_json_numbers_are_bad_input(constant: bytes) -> None:
    """NaN and Infinity are not JSON (RFC 8259): jq or a browser would not read that run."""
    with pytest.raises(InputError, match=r"NaN|Infinity"):
        parse_run(_with_duration(SMALL_RUN, constant))


def test_a_certificate_without_non_repudiation_is_refused_before_signing(tmp_path: Path) -> None:
    """verify --trust calls every signature such a certificate makes untrusted (pyHanko's rule)."""
    from sdet_check.signing import load_identity

    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "AC de test")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Auditrice")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(usage, critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (tmp_path / "k.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (tmp_path / "c.pem").write_bytes(certificate.public_bytes(pem) + ca.public_bytes(pem))
    (tmp_path / "ac.pem").write_bytes(ca.public_bytes(pem))
    # What verify --trust says of a signature by this certificate:
    identity = SigningIdentity(key, certificate, (ca,))
    trust = signing.load_trust([tmp_path / "ac.pem"])
    assert check_detached(b"x", sign_detached(b"x", identity), trust).trusted is False
    with pytest.raises(InputError, match=r"nonRepudiation"):
        load_identity(tmp_path / "k.pem", tmp_path / "c.pem")


@pytest.mark.slow
def test_diff_refuses_a_run_its_signature_says_was_altered(tmp_path: Path) -> None:
    """A failure turned into a pass, manifest and score recomputed, old run.json.sig kept."""
    from sdet_check.run import evidence_manifest, rescore

    identity = self_signed("Alice Auditrice")
    for name in ("old", "new"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "run.json").write_bytes(demo_bytes())
        signature = sign_detached(demo_bytes(), identity)
        (tmp_path / name / "run.json.sig").write_bytes(signature)
    record = json.loads(demo_bytes())
    next(r for r in record["results"] if r["status"] == "fail")["status"] = "pass"
    record["evidence_manifest"] = evidence_manifest(record["results"])
    record["score"] = rescore(record).to_json()
    (tmp_path / "new" / "run.json").write_text(dump_run(record), encoding="utf-8")
    done = cli("diff", "old/run.json", "new/run.json", cwd=tmp_path)
    assert done.returncode == 1, done.stdout
    assert "le contenu a changé depuis la signature" in done.stderr, done.stderr
    assert "Corrections" not in done.stdout and "corrig" not in done.stdout.lower()


def test_a_look_alike_signer_is_told_apart_by_its_certificate_fingerprint(tmp_path: Path) -> None:
    """Anyone can make a certificate named like the auditor: without --trust the name proves
    nothing, so verify prints the certificate's SHA-256 fingerprint to compare out of band."""
    outputs = []
    for folder in ("vrai", "faux"):
        identity = self_signed("Alice Auditrice")
        run = tmp_path / folder / "run.json"
        run.parent.mkdir()
        run.write_bytes(demo_bytes())
        (run.parent / "run.json.sig").write_bytes(sign_detached(run.read_bytes(), identity))
        digest = identity.certificate.fingerprint(hashes.SHA256()).hex(":").upper()
        lines = Verifier().describe(Verifier().verify_file(run))
        assert any(digest in line for line in lines), lines
        outputs.append(lines)
    assert outputs[0] != outputs[1]


# --- one byte anywhere --------------------------------------------------------------------------

SIGNER = self_signed("Alice Auditrice")
SIGNED_RUN = (SMALL_RUN, sign_detached(SMALL_RUN, SIGNER))
SIGNER_FINGERPRINT = SIGNER.certificate.fingerprint(hashes.SHA256()).hex(":").upper()


@settings(max_examples=60, deadline=None)
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_a_bit_flipped_in_a_signed_run_or_its_signature_never_passes_as_the_signed_run(
    position: int, bit: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("flip")
    run, signature = bytearray(SIGNED_RUN[0]), bytearray(SIGNED_RUN[1])
    target = run if position % 2 == 0 else signature
    target[(position // 2) % len(target)] ^= 1 << bit
    (folder / "run.json").write_bytes(bytes(run))
    (folder / "run.json.sig").write_bytes(bytes(signature))
    verdict = Verifier().verify_file(folder / "run.json")
    if verdict.state == "intact":
        # Only the unsigned part of the .sig can change unnoticed: the certificate carried
        # in it (a detached CMS does not bind it). The run is then the signed one, and a
        # changed certificate shows as another fingerprint, never as the same signer.
        assert target is signature, (position, bit)
        (check,) = verdict.signatures
        if check.fingerprint == SIGNER_FINGERPRINT:
            assert check.signer == "CN=Alice Auditrice"
    else:
        assert exit_code([verdict]) in (1, 3)


def _signed_pdf() -> bytes:
    pdf = _pdf_with_attachments([("run.json", SMALL_RUN, None)])
    return signing.sign_pdf(pdf, SIGNER, reason="essai")


SIGNED_PDF = _signed_pdf()


def test_the_signed_test_pdf_is_intact() -> None:
    content = check_pdf(SIGNED_PDF)
    assert [c.intact for c in content.signatures] == [True]
    assert content.attachments == {"run.json": SMALL_RUN}


@settings(max_examples=40, deadline=None)
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_a_bit_flipped_in_a_signed_pdf_never_passes_as_the_signed_pdf(
    position: int, bit: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = bytearray(SIGNED_PDF)
    data[position % len(data)] ^= 1 << bit
    path = tmp_path_factory.mktemp("flip") / "rapport.pdf"
    path.write_bytes(bytes(data))
    verdict = Verifier().verify_file(path)
    if verdict.state == "intact":
        # Only the signature's own hole (/Contents, outside the signed byte range) can change
        # unnoticed: hex case, zero padding, or the certificate carried there, which then
        # shows as another fingerprint, never as the same signer.
        start, length = _contents_hole(SIGNED_PDF)
        assert start <= position % len(data) < start + length, Verifier().describe(verdict)
        (check,) = verdict.signatures
        if check.fingerprint == SIGNER_FINGERPRINT:
            assert check.signer == "CN=Alice Auditrice"


def _contents_hole(pdf: bytes) -> tuple[int, int]:
    """Where the signature's /Contents sits: between the two signed byte ranges."""
    import re

    found = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)", pdf)
    assert found is not None
    first, second = int(found.group(2)), int(found.group(3))
    return first, second - first


def test_a_signed_run_with_a_repeated_key_is_said_not_to_be_as_sdet_check_writes_it(
    tmp_path: Path,
) -> None:
    """Parsers disagree on repeated keys (first or last wins): such a run is flagged."""
    raw = SMALL_RUN.replace(b'"status": "fail",', b'"status": "pass", "status": "fail",', 1)
    assert raw != SMALL_RUN
    run = tmp_path / "run.json"
    run.write_bytes(raw)
    (tmp_path / "run.json.sig").write_bytes(sign_detached(raw, SIGNER))
    lines = Verifier().describe(Verifier().verify_file(run))
    assert any("forme" in line and "sdet-check" in line for line in lines), lines
    intact = tmp_path / "intact"
    intact.mkdir()
    (intact / "run.json").write_bytes(SMALL_RUN)
    (intact / "run.json.sig").write_bytes(SIGNED_RUN[1])
    lines = Verifier().describe(Verifier().verify_file(intact / "run.json"))
    assert not any("forme" in line for line in lines), lines


@pytest.mark.slow
def test_report_says_when_a_run_has_no_signature_to_check(tmp_path: Path) -> None:
    """Results edited, manifest and score recomputed, run.json.sig deleted: report cannot
    refuse it (an unsigned run is allowed), but it must not pass it on silently either."""
    from sdet_check.run import evidence_manifest, rescore

    record = json.loads(demo_bytes())
    next(r for r in record["results"] if r["status"] == "fail")["status"] = "pass"
    record["evidence_manifest"] = evidence_manifest(record["results"])
    record["score"] = rescore(record).to_json()
    (tmp_path / "run.json").write_text(dump_run(record), encoding="utf-8")
    done = cli("report", "run.json", cwd=tmp_path)
    assert "run.json.sig" in done.stderr and "non signé" in done.stderr, done.stderr
    done = cli("--lang", "en", "compare", "run.json", "--format", "csv", cwd=tmp_path)
    assert "not signed" in done.stderr, done.stderr
    (tmp_path / "run.json.sig").write_bytes(
        sign_detached((tmp_path / "run.json").read_bytes(), SIGNER)
    )
    done = cli("report", "run.json", cwd=tmp_path)
    assert "non signé" not in done.stderr, done.stderr


def test_an_update_appended_after_signing_and_signed_by_someone_else_is_named(
    tmp_path: Path,
) -> None:
    """A second run.json attached after signing, then a second signature over everything."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils import generic as g
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    writer = IncrementalPdfFileWriter(io.BytesIO(SIGNED_PDF))
    forged = g.StreamObject({}, stream_data=b'{"forged": true}')
    spec = g.DictionaryObject(
        {
            g.NameObject("/F"): g.pdf_string("run.json"),
            g.NameObject("/EF"): g.DictionaryObject(
                {g.NameObject("/F"): writer.add_object(forged)}
            ),
        }
    )
    node = g.DictionaryObject(
        {g.NameObject("/Names"): g.ArrayObject([g.pdf_string("run.json"), writer.add_object(spec)])}
    )
    writer.root[g.NameObject("/Names")] = g.DictionaryObject(
        {g.NameObject("/EmbeddedFiles"): writer.add_object(node)}
    )
    writer.update_root()
    mallory = self_signed("Mallory")
    der = serialization.Encoding.DER
    certificate = asn1_x509.Certificate.load(mallory.certificate.public_bytes(der))
    signer = signers.SimpleSigner(
        signing_cert=certificate,
        signing_key=asn1_keys.PrivateKeyInfo.load(
            mallory.key.private_bytes(
                der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        cert_registry=SimpleCertificateStore.from_certs([certificate]),
    )
    out = signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name="Sig2"), signer=signer)
    pdf = tmp_path / "rapport.pdf"
    pdf.write_bytes(out.getvalue())
    verdict = Verifier().verify_file(pdf)
    texts = [f.text for f in verdict.findings]
    assert verdict.state == "altered", texts
    assert any("ajoutées au PDF après la signature" in t for t in texts), texts


def test_a_pdf_with_many_signatures_checks_a_bounded_number(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each check hashes up to the whole file: thousands of signature fields over a large
    PDF would keep verify busy for hours."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    pdf = SIGNED_PDF
    for number in range(2):
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        meta = signers.PdfSignatureMetadata(field_name=f"Autre{number}")
        pdf = signers.sign_pdf(writer, meta, signer=_simple_signer(SIGNER)).getvalue()
    monkeypatch.setattr(signing, "MAX_PDF_SIGNATURES", 2, raising=False)
    content = check_pdf(pdf)
    assert len(content.signatures) == 2
    path = tmp_path / "rapport.pdf"
    path.write_bytes(pdf)
    texts = [f.text for f in Verifier().verify_file(path).findings]
    assert any("3 signatures" in t for t in texts), texts


def _simple_signer(identity: SigningIdentity) -> Any:
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    der = serialization.Encoding.DER
    certificate = asn1_x509.Certificate.load(identity.certificate.public_bytes(der))
    key = identity.key.private_bytes(
        der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return signers.SimpleSigner(
        signing_cert=certificate,
        signing_key=asn1_keys.PrivateKeyInfo.load(key),
        cert_registry=SimpleCertificateStore.from_certs([certificate]),
    )


def test_an_html_file_full_of_run_hash_markers_is_checked_in_linear_time(tmp_path: Path) -> None:
    """The cited hash was found by a regular expression that rescanned to the end of the
    file from every marker: 260 KB took 3.7 s, 26 MB would take hours."""
    import time

    html = tmp_path / "rapport.html"
    html.write_bytes(b"<html>" + b'id="run-hash"' * 200_000)  # 2.6 MB
    started = time.perf_counter()
    verdict = Verifier().verify_file(html)
    elapsed = time.perf_counter() - started
    print(f"verify d'un HTML de 2,6 Mo fait de marqueurs #run-hash : {elapsed:.2f} s")
    assert verdict.state == "unsigned"  # nothing vouches for it: exit 1 all the same
    assert elapsed < 5, elapsed


@pytest.mark.slow
def test_a_folder_named_run_json_sig_is_not_taken_for_a_missing_signature(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_bytes(demo_bytes())
    (tmp_path / "run.json.sig").mkdir()
    done = cli("report", "run.json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # refused, like a signature that fails
    assert "fichier ordinaire" in done.stderr, done.stderr


# --- a requirement taken out of the run's own copy of the grid ----------------------------------


def _without_requirement(record: dict[str, Any], requirement: str) -> dict[str, Any]:
    """The run with one requirement gone from its grid and results, manifest and score redone."""
    from sdet_check.run import evidence_manifest, rescore

    edited: dict[str, Any] = json.loads(json.dumps(record))
    edited["grid"]["requirements"] = [
        r for r in edited["grid"]["requirements"] if r["id"] != requirement
    ]
    edited["results"] = [r for r in edited["results"] if r["requirement"] != requirement]
    edited["evidence_manifest"] = evidence_manifest(edited["results"])
    edited["score"] = rescore(edited).to_json()
    return edited


@pytest.mark.slow
def test_a_must_taken_out_of_the_run_grid_is_refused_by_report(tmp_path: Path) -> None:
    """The run keeps the grid's content hash; its copy of the grid lost a failing MUST."""
    record = synthetic("sdet/6.4")
    levels = {r["id"]: r["level"] for r in record["grid"]["requirements"]}
    failing = next(
        r["requirement"]
        for r in record["results"]
        if r["status"] == "fail" and levels[r["requirement"]] == "MUST"
    )
    (tmp_path / "run.json").write_text(
        dump_run(_without_requirement(record, failing)), encoding="utf-8"
    )
    done = cli("report", "run.json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert failing in done.stderr, done.stderr
    verdict = Verifier().verify_file(tmp_path / "run.json")
    assert any(failing in f.text and f.what == "record" for f in verdict.findings)


@pytest.mark.slow
def test_compare_refuses_runs_whose_grids_differ_under_one_content_hash(tmp_path: Path) -> None:
    """The tests' demo grid is not installed: the runs are checked against each other."""
    full = with_results(all_pass(synthetic("demo")), {"T-PASS-001": {"status": "fail"}})
    forged = _without_requirement(full, "T-PASS-001")
    forged["run_id"] = "0b3c2f9e-1f1e-4d5a-9a53-6f4c1f5d2b10"
    for name, record in (("a", full), ("c", forged)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "run.json").write_text(dump_run(record), encoding="utf-8")
    done = cli("compare", "a/run.json", "c/run.json", "--format", "csv", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "T-PASS-001" in done.stderr, done.stderr
    assert "recevable" not in done.stdout


def test_report_signs_the_bytes_it_read_not_the_file_as_it_is_later(tmp_path: Path) -> None:
    """The run is checked and rendered from the bytes read once; the signature must cover
    those bytes, even if the file changes on disk meanwhile."""
    from sdet_check.cli.run import _sign_run_file
    from sdet_check.run import read_run

    run_file = tmp_path / "run.json"
    run_file.write_bytes(SMALL_RUN)
    run = read_run(run_file)
    record = json.loads(SMALL_RUN)
    next(r for r in record["results"] if r["status"] == "fail")["status"] = "pass"
    run_file.write_text(dump_run(record), encoding="utf-8")  # changed after it was read
    _sign_run_file(run, tmp_path, SIGNER)
    signature = (tmp_path / "run.json.sig").read_bytes()
    assert check_detached(SMALL_RUN, signature).intact
    assert not check_detached(run_file.read_bytes(), signature).intact
