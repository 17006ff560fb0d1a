"""Signed runs and reports, end to end through the command line, with a throw-away PKI.

A test certificate authority and an auditor's certificate are made here with
``cryptography``; a demo-like run is signed with its PDF and HTML reports by ``report
--sign-key``; ``verify`` says intact and names the signer; one byte changed in run.json, in
an evidence piece, in the PDF or in the run attached to the PDF makes it exit 1 and name
what changed. ``pdfsig`` (poppler) and ``openssl cms`` check the same files with no
sdet-check.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sdet_check.run import dump_run, evidence_problems, run_hash

from ..documents import need, pdf_pages, pdf_text
from ..records import all_pass, synthetic, with_results
from .test_cli import sdet_check

pytestmark = pytest.mark.slow

AUDITOR = "Alice Auditrice"


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Cabinet d'audit de test"),
        ]
    )


def _key_usage(*, signer: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signer,
        content_commitment=signer,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signer,
        crl_sign=not signer,
        encipher_only=False,
        decipher_only=False,
    )


def issue_certificate(
    ca_subject: x509.Name,
    subject: x509.Name,
    *,
    ca_valid: tuple[timedelta, timedelta],
    valid: tuple[timedelta, timedelta],
    key_usage: x509.KeyUsage,
) -> tuple[x509.Certificate, Any, x509.Certificate]:
    """A test CA and a certificate it issued, with its key: ``(ca, key, cert)``.

    ``ca_valid`` and ``valid`` are the validity windows around now; ``key_usage`` is the
    issued certificate's (the CA's is keyCertSign and cRLSign).
    """
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_subject)
        .issuer_name(ca_subject)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + ca_valid[0])
        .not_valid_after(now + ca_valid[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signer=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + valid[0])
        .not_valid_after(now + valid[1])
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage, critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return ca, key, cert


def make_pki(folder: Path) -> dict[str, Path]:
    """A test CA and an auditor's key and certificate issued by it, as PEM files."""
    ca, key, cert = issue_certificate(
        _name("AC de test sdet-check"),
        _name(AUDITOR),
        ca_valid=(timedelta(hours=-1), timedelta(days=2)),
        valid=(timedelta(hours=-1), timedelta(days=1)),
        key_usage=_key_usage(signer=True),
    )
    pem = serialization.Encoding.PEM
    files = {
        "ca": folder / "ac.pem",
        "key": folder / "auditrice.key.pem",
        "cert": folder / "auditrice.pem",
    }
    files["ca"].write_bytes(ca.public_bytes(pem))
    files["key"].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    # The certificate file carries the chain: the auditor's certificate, then the CA's.
    files["cert"].write_bytes(cert.public_bytes(pem) + ca.public_bytes(pem))
    return files


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_pki(tmp_path_factory.mktemp("pki"))


def demo_record() -> dict[str, Any]:
    """The tests' demo grid run: failures with HTTP evidence, passes, declarations."""
    return with_results(all_pass(synthetic("demo")), {"T-PASS-001": {"status": "fail"}})


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory, pki: dict[str, Path]) -> Path:
    """A run folder signed by ``report --sign-key``: run.json(.sig), rapport.html(.sig), PDF."""
    folder = tmp_path_factory.mktemp("signed")
    run = folder / "run.json"
    run.write_text(dump_run(demo_record()), encoding="utf-8")
    done = sdet_check(
        "report", str(run), "--format", "html", "--format", "pdf", "--auditor", AUDITOR,
        "--sign-key", str(pki["key"]), "--sign-cert", str(pki["cert"]), cwd=folder,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # the run is non conforme; the report is written
    for name in ("run.json.sig", "rapport.html", "rapport.html.sig", "rapport.pdf"):
        assert (folder / name).is_file(), (name, done.stderr)
    return folder


def copy_of(signed: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "copie"
    shutil.copytree(signed, folder)
    return folder


def flip(path: Path, position: int) -> None:
    data = bytearray(path.read_bytes())
    data[position] ^= 0x01
    path.write_bytes(bytes(data))


def verify(*paths: Path, trust: Path | None = None, lang: str = "fr") -> tuple[int, str]:
    args = ["--lang", lang, "verify", *map(str, paths)]
    if trust is not None:
        args += ["--trust", str(trust)]
    done = sdet_check(*args, cwd=paths[0].parent)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout + done.stderr


# --- intact ----------------------------------------------------------------------------------


def test_signed_run_and_reports_verify_intact_and_name_the_signer(
    signed: Path, pki: dict[str, Path]
) -> None:
    code, out = verify(
        signed / "run.json", signed / "rapport.pdf", signed / "rapport.html", trust=pki["ca"]
    )
    assert code == 0, out
    assert out.count(": intact") == 3, out
    assert out.count(f"CN={AUDITOR}") == 3, out
    assert "certificat reconnu par les autorités données" in out
    # The hash printed is the one anyone recomputes with sha256sum, and the one the report shows.
    digest = run_hash(json.loads((signed / "run.json").read_text(encoding="utf-8")))
    assert f"empreinte du run : {digest}" in out
    assert digest in pdf_text(signed / "rapport.pdf", 1, 1).replace(" ", "")


def test_without_trust_anchor_verify_says_the_certificate_was_not_checked(signed: Path) -> None:
    code, out = verify(signed / "run.json.sig", lang="en")
    assert code == 0, out
    assert f"signed by O=Cabinet d'audit de test,CN={AUDITOR} on " in out
    assert "certificate not checked against a trusted authority" in out


def test_run_hash_is_what_sha256sum_prints(signed: Path) -> None:
    sha256sum = shutil.which("sha256sum")
    if sha256sum is None:
        pytest.skip("sha256sum absent")
    printed = subprocess.run(
        [sha256sum, "run.json"], cwd=signed, capture_output=True, text=True, check=True
    ).stdout.split()[0]
    page = (signed / "rapport.html").read_text(encoding="utf-8")
    assert f'id="run-hash">{printed}<' in page
    assert "sha256sum run.json" in page  # the report says how to recompute it


def test_pdfsig_lists_the_signature(signed: Path) -> None:
    listing = subprocess.run(
        [need("pdfsig"), str(signed / "rapport.pdf")], capture_output=True, text=True, check=False
    ).stdout
    assert "Signature #1" in listing, listing
    assert f"Signer Certificate Common Name: {AUDITOR}" in listing
    assert "Total document signed" in listing
    assert "Signature is Valid" in listing


def test_openssl_verifies_the_detached_signatures(signed: Path, pki: dict[str, Path]) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        if os.environ.get("CI"):
            pytest.fail("openssl absent en CI")
        pytest.skip("openssl absent")
    for name in ("run.json", "rapport.html"):
        done = subprocess.run(
            [openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", f"{name}.sig",
             "-content", name, "-CAfile", str(pki["ca"]), "-purpose", "any", "-out", "/dev/null"],
            cwd=signed, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, (name, done.stderr)
        assert "Verification successful" in done.stderr


# --- one byte changed ------------------------------------------------------------------------


def test_one_byte_changed_in_run_json_is_named(signed: Path, tmp_path: Path) -> None:
    folder = copy_of(signed, tmp_path)
    run = folder / "run.json"
    text = run.read_bytes()
    flip(run, text.index(b'"run_id": "') + len(b'"run_id": "'))  # still valid JSON
    code, out = verify(run)
    assert code == 1, out
    assert "run.json : MODIFIÉ" in out
    assert "signature (run.json.sig) : le contenu a changé depuis la signature" in out


def test_one_byte_changed_in_an_evidence_piece_is_named_and_refused_by_report_and_compare(
    signed: Path, tmp_path: Path
) -> None:
    folder = copy_of(signed, tmp_path)
    run = folder / "run.json"
    record = json.loads(run.read_text(encoding="utf-8"))
    entry = next(e for e in record["results"] if e["evidence"])
    piece = f"{entry['requirement']}[0]"
    summary = entry["evidence"][0]["summary"].encode("utf-8")
    start = run.read_bytes().index(summary)
    flip(run, start + 1)
    assert [p.piece for p in evidence_problems(json.loads(run.read_text("utf-8")))] == [piece]

    code, out = verify(run)
    assert code == 1, out
    assert f"preuve {piece}" in out and "ne correspond plus au manifeste" in out
    assert "signature (run.json.sig)" in out

    refused = sdet_check("report", str(run), "--format", "html", cwd=folder)
    assert refused.returncode == 1, refused.stderr
    assert f"preuve {piece}" in refused.stderr and "--allow-unverified" in refused.stderr
    other = tmp_path / "autre.json"
    other.write_text(dump_run(demo_record()), encoding="utf-8")
    refused = sdet_check("compare", str(other), str(run), "--out", str(tmp_path), cwd=folder)
    assert refused.returncode == 1, refused.stderr
    assert f"preuve {piece}" in refused.stderr


def test_allow_unverified_marks_every_page(
    signed: Path, pki: dict[str, Path], tmp_path: Path
) -> None:
    folder = copy_of(signed, tmp_path)
    for name in ("run.json.sig", "rapport.pdf", "rapport.html", "rapport.html.sig"):
        (folder / name).unlink()
    run = folder / "run.json"
    record = json.loads(run.read_text(encoding="utf-8"))
    entry = next(e for e in record["results"] if e["evidence"])
    entry["evidence"][0]["summary"] += " (modifié)"
    run.write_text(dump_run(record), encoding="utf-8")

    done = sdet_check(
        "report", str(run), "--format", "html", "--format", "pdf", "--format", "csv",
        "--format", "junit", "--allow-unverified", cwd=folder,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # the verdict's code: non conforme
    assert "NON VÉRIFIÉ" in done.stderr
    csv_lines = (folder / "results.csv").read_text(encoding="utf-8-sig").splitlines()
    assert csv_lines[0].startswith("NON VÉRIFIÉ"), csv_lines[0]
    junit = (folder / "junit.xml").read_text(encoding="utf-8")
    assert '<property name="verified" value="false"/>' in junit
    page = (folder / "rapport.html").read_text(encoding="utf-8")
    assert 'id="unverified-banner"' in page and f"preuve {entry['requirement']}[0]" in page
    pdf = folder / "rapport.pdf"
    for number in range(1, pdf_pages(pdf) + 1):
        assert "NON VÉRIFIÉ" in pdf_text(pdf, number, number), number
    signing = sdet_check(
        "report", str(run), "--format", "pdf", "--allow-unverified", "--out", "signé",
        "--sign-key", str(pki["key"]), "--sign-cert", str(pki["cert"]), cwd=folder,
    )  # fmt: skip
    assert signing.returncode == 3, signing.stderr
    assert "un run non vérifié ne se signe pas" in signing.stderr
    assert not (folder / "signé").exists()


def test_one_byte_changed_in_the_pdf_is_named(signed: Path, tmp_path: Path) -> None:
    folder = copy_of(signed, tmp_path)
    pdf = folder / "rapport.pdf"
    flip(pdf, len(pdf.read_bytes()) // 3)
    code, out = verify(pdf)
    assert code == 1, out
    assert "rapport.pdf : MODIFIÉ" in out
    assert "signature (PDF n° 1) : le contenu a changé depuis la signature" in out


def test_one_byte_changed_in_the_attached_run_is_named(signed: Path, tmp_path: Path) -> None:
    """The attached run.json replaced, one byte changed, by an update added after signing."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    folder = copy_of(signed, tmp_path)
    pdf = folder / "rapport.pdf"
    attached = bytearray((folder / "run.json").read_bytes())
    attached[attached.index(b'"run_id": "') + len(b'"run_id": "')] ^= 0x01
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf.read_bytes()))
    names = writer.root["/Names"]["/EmbeddedFiles"]["/Names"]
    spec_ref = names.raw_get(1)
    spec = spec_ref.get_object()
    stream = generic.StreamObject({generic.pdf_name("/Type"): generic.pdf_name("/EmbeddedFile")})
    stream._data = bytes(attached)
    files = spec["/EF"]
    files[generic.pdf_name("/F")] = writer.add_object(stream)
    if "/UF" in files:
        files[generic.pdf_name("/UF")] = files.raw_get("/F")
    writer.update_container(spec)
    output = io.BytesIO()
    writer.write(output)
    pdf.write_bytes(output.getvalue())

    code, out = verify(pdf)
    assert code == 1, out
    assert "run joint : son empreinte" in out and "n'est pas celle imprimée dans le rapport" in out
    assert "des modifications ont été ajoutées au PDF après la signature" in out


def test_one_byte_changed_in_the_html_report_is_named(signed: Path, tmp_path: Path) -> None:
    folder = copy_of(signed, tmp_path)
    html = folder / "rapport.html"
    flip(html, html.read_bytes().index(b"<main>") + 2)
    code, out = verify(html)
    assert code == 1, out
    assert "signature (rapport.html.sig) : le contenu a changé depuis la signature" in out
    assert "run.json : intact" in out  # the run beside it is checked too


def test_unsigned_run_is_not_intact(tmp_path: Path) -> None:
    run = tmp_path / "run.json"
    run.write_text(dump_run(demo_record()), encoding="utf-8")
    code, out = verify(run)
    assert code == 1, out
    assert "signature : aucune (run.json.sig)" in out
    # Found by trial: an untouched unsigned run was called MODIFIÉ, which accuses its author.
    assert "run.json : NON SIGNÉ" in out
    assert "MODIFIÉ" not in out
    code, out = verify(run, lang="en")
    assert code == 1, out
    assert "run.json: UNSIGNED" in out


def test_unsigned_pdf_report_is_unsigned_not_altered(tmp_path: Path) -> None:
    run = tmp_path / "run.json"
    run.write_text(dump_run(demo_record()), encoding="utf-8")
    done = sdet_check("report", str(run), "--format", "pdf", "--out", "r", cwd=tmp_path)
    assert (tmp_path / "r" / "rapport.pdf").is_file(), done.stderr
    code, out = verify(tmp_path / "r" / "rapport.pdf")
    assert code == 1, out
    assert "rapport.pdf : NON SIGNÉ" in out
    assert "signature : aucune (PDF)" in out
    assert "MODIFIÉ" not in out


def test_unsigned_run_with_a_changed_evidence_piece_is_altered(tmp_path: Path) -> None:
    record = demo_record()
    run = tmp_path / "run.json"
    run.write_text(dump_run(record), encoding="utf-8")
    piece = next(r["evidence"][0] for r in record["results"] if r.get("evidence"))
    piece["summary"] += " (retouché)"
    run.write_text(dump_run(record), encoding="utf-8")
    code, out = verify(run)
    assert code == 1, out
    assert "run.json : MODIFIÉ" in out
    assert "signature : aucune (run.json.sig)" in out
    assert "son empreinte ne correspond plus" in out


# --- bad input -------------------------------------------------------------------------------


def test_bad_input_exits_3(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("bonjour", encoding="utf-8")
    code, out = verify(text, tmp_path / "absent.json")
    assert code == 3, out
    assert "type de fichier non reconnu" in out and "fichier introuvable" in out


def test_a_key_without_certificate_is_refused_before_any_work(
    pki: dict[str, Path], tmp_path: Path
) -> None:
    run = tmp_path / "run.json"
    run.write_text(dump_run(demo_record()), encoding="utf-8")
    done = sdet_check(
        "report", str(run), "--format", "pdf", "--sign-key", str(pki["key"]), cwd=tmp_path
    )
    assert done.returncode == 3, done.stderr
    assert "--sign-cert" in done.stderr
    assert not (tmp_path / "rapport.pdf").exists()


def test_a_certificate_of_another_key_is_refused(pki: dict[str, Path], tmp_path: Path) -> None:
    other = make_pki(tmp_path)
    run = tmp_path / "run.json"
    run.write_text(dump_run(demo_record()), encoding="utf-8")
    done = sdet_check(
        "report", str(run), "--format", "html", "--sign-key", str(pki["key"]),
        "--sign-cert", str(other["cert"]), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert "ne correspond à la clé privée" in done.stderr


# --- run and compare sign too ----------------------------------------------------------------


def test_run_writes_signed_run_and_html(pki: dict[str, Path], tmp_path: Path) -> None:
    """What ``run --sign-key`` does once the probes are done (``write_reports``)."""
    from sdet_check.cli.run import write_reports
    from sdet_check.signing import load_identity

    signer = load_identity(pki["key"], pki["cert"])
    written = write_reports(demo_record(), ["json", "html"], tmp_path, "fr", signer)
    assert sorted(p.name for p in written) == [
        "rapport.html", "rapport.html.sig", "run.json", "run.json.sig",
    ]  # fmt: skip
    code, out = verify(tmp_path / "rapport.html", trust=pki["ca"])
    assert code == 0, out
    assert "rapport.html : intact" in out and "run.json : intact" in out


def test_compare_signs_its_pdf_and_html(signed: Path, pki: dict[str, Path], tmp_path: Path) -> None:
    other = tmp_path / "autre" / "run.json"
    other.parent.mkdir()
    other.write_text(dump_run(demo_record()), encoding="utf-8")
    done = sdet_check(
        "compare", str(signed / "run.json"), str(other), "--format", "html", "--format", "pdf",
        "--out", str(tmp_path / "comparaison"), "--sign-key", str(pki["key"]),
        "--sign-cert", str(pki["cert"]), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "comparaison"
    code, out = verify(folder / "comparaison.pdf", folder / "comparaison.html", trust=pki["ca"])
    assert code == 0, out
    # The PDF's and the HTML's signatures, and the signed bidder's, carried in the PDF.
    assert out.count(f"CN={AUDITOR}") == 3, out
    assert re.search(r"run-1-[0-9a-f]{12}\.json\.sig : signé par", out.replace("\u00a0", " "))


def test_report_signs_only_the_run_as_written(pki: dict[str, Path], tmp_path: Path) -> None:
    run = tmp_path / "run.json"
    run.write_text(json.dumps(demo_record(), indent=4, ensure_ascii=False), encoding="utf-8")
    done = sdet_check(
        "report", str(run), "--format", "html", "--out", str(tmp_path / "out"),
        "--sign-key", str(pki["key"]), "--sign-cert", str(pki["cert"]), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert "n'est pas octet pour octet le run.json écrit par sdet-check" in done.stderr
    assert not (tmp_path / "out").exists()
