"""Who vouches for a signed run: ``verify`` exit 2, and each bidder's signature in ``compare``.

Real signatures only: two throw-away PKIs (:func:`make_pki`, a test CA and an auditor's
certificate each) sign runs with the project's own signing code (``load_identity``,
``write_signature``, ``sign_pdf``). ``verify --trust`` with the signer's CA exits 0, with
another CA exits 2 (intact, signer not vouched for), never 1 (altered) unless a byte
changed; ``--require-trust`` without an anchor exits 2. ``compare`` shows, per solution,
signed or not, by whom, vouched for or not, in the terminal, the HTML, the PDF and the
CSV; ``--require-signed`` refuses an unsigned run (3) or a signature that fails (1).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from hypothesis import given
from hypothesis import strategies as st
from lxml import html as lxml_html

from sdet_check.compare import compare_runs, require_signed
from sdet_check.errors import AlteredInputError, InputError
from sdet_check.reporters.comparison import (
    render_comparison_csv,
    render_comparison_html,
    signature_view,
)
from sdet_check.run import dump_run, read_run, run_hash
from sdet_check.signing import (
    SigningIdentity,
    check_pdf,
    distrust_clauses,
    load_identity,
    load_trust,
    sign_pdf,
    write_signature,
)
from sdet_check.verify import (
    EXIT_ALTERED,
    EXIT_BAD_INPUT,
    EXIT_INTACT,
    EXIT_UNTRUSTED,
    FileVerdict,
    RunSignature,
    Verifier,
    exit_code,
    run_signature,
)
from tests.strategies import budget

from ..documents import need, pdf_text
from ..records import all_pass, synthetic
from .test_cli import sdet_check
from .test_sign_verify import AUDITOR, make_pki
from .test_verify_attacks import SMALL_RUN, _pdf_with_attachments


@pytest.fixture(scope="module")
def pkis(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """Two unrelated test PKIs: ``ours`` (the auditor the buyer trusts) and ``other``."""
    return {name: make_pki(tmp_path_factory.mktemp(name)) for name in ("ours", "other")}


def identity(pki: dict[str, Path]) -> SigningIdentity:
    return load_identity(pki["key"], pki["cert"])


def signed_run(folder: Path, pki: dict[str, Path] | None, name: str = "ENT Alpha") -> Path:
    """A run.json of the demo grid in ``folder``, signed by ``pki`` (unsigned for ``None``)."""
    folder.mkdir(parents=True, exist_ok=True)
    run = folder / "run.json"
    record = all_pass(synthetic("demo", name=name))
    run.write_text(dump_run(record), encoding="utf-8")
    if pki is not None:
        write_signature(run, identity(pki))
    return run


def verify(*args: str, cwd: Path, lang: str = "fr") -> tuple[int, str]:
    done = sdet_check("--lang", lang, "verify", *args, cwd=cwd)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout + done.stderr


def flat(text: str) -> str:
    """Help or terminal text with rich's box characters and line breaks folded away."""
    return re.sub(r"\s+", " ", re.sub(r"[│╭╮╰╯─]", " ", text))


# --- verify: exit codes ------------------------------------------------------------------------


@pytest.mark.slow
def test_the_signers_authority_exits_0_and_another_authority_exits_2_not_1(
    pkis: dict[str, dict[str, Path]], tmp_path: Path
) -> None:
    run = signed_run(tmp_path, pkis["ours"])
    code, out = verify(str(run), "--trust", str(pkis["ours"]["ca"]), cwd=tmp_path)
    assert code == 0, out
    assert "run.json : intact" in out and "certificat reconnu par les autorités données" in out

    code, out = verify(str(run), "--trust", str(pkis["other"]["ca"]), cwd=tmp_path)
    assert code == 2, out
    assert "run.json : SIGNATAIRE NON RECONNU" in out
    assert "certificat du signataire non reconnu par les autorités données" in out
    assert "contenu intact" in out and "code de sortie 2" in out
    assert "MODIFIÉ" not in out  # nobody touched the file: calling it altered would lie

    code, out = verify(str(run), "--trust", str(pkis["other"]["ca"]), cwd=tmp_path, lang="en")
    assert code == 2, out
    assert "run.json: SIGNER NOT VOUCHED FOR" in out and "ALTERED" not in out


@pytest.mark.slow
def test_require_trust_without_an_authority_exits_2_where_plain_verify_exits_0(
    pkis: dict[str, dict[str, Path]], tmp_path: Path
) -> None:
    run = signed_run(tmp_path, pkis["other"])
    code, out = verify(str(run), cwd=tmp_path)
    assert code == 0, out  # unchanged: intact under a signature nobody was asked to vouch for
    code, out = verify(str(run), "--require-trust", cwd=tmp_path)
    assert code == 2, out
    assert "--require-trust sans autorité donnée" in out and "SIGNATAIRE NON RECONNU" in out
    code, out = verify(
        str(run), "--require-trust", "--trust", str(pkis["other"]["ca"]), cwd=tmp_path
    )
    assert code == 0, out


@pytest.mark.slow
def test_an_altered_run_exits_1_whoever_vouches_and_an_unsigned_one_stays_1(
    pkis: dict[str, dict[str, Path]], tmp_path: Path
) -> None:
    run = signed_run(tmp_path / "a", pkis["ours"])
    data = bytearray(run.read_bytes())
    data[data.index(b'"run_id": "') + len(b'"run_id": "')] ^= 0x01
    run.write_bytes(bytes(data))
    code, out = verify(str(run), "--trust", str(pkis["other"]["ca"]), cwd=tmp_path)
    assert code == 1, out
    assert "run.json : MODIFIÉ" in out and "SIGNATAIRE NON RECONNU" not in out

    unsigned = signed_run(tmp_path / "b", None)
    code, out = verify(str(unsigned), "--require-trust", cwd=tmp_path)
    assert code == 1, out
    assert "NON SIGNÉ" in out


def test_verify_help_documents_exit_code_2_in_french_and_english(tmp_path: Path) -> None:
    french = flat(sdet_check("verify", "--help", cwd=tmp_path).stdout)
    assert "2 intact mais signataire non reconnu" in french, french
    assert "--require-trust" in french and "1 modifié" in french
    english = flat(sdet_check("--lang", "en", "verify", "--help", cwd=tmp_path).stdout)
    assert "2 intact but the signer is not vouched for" in english, english
    assert "--require-trust" in english and "Exige" not in english
    compare = flat(sdet_check("compare", "--help", cwd=tmp_path, env={"COLUMNS": "200"}).stdout)
    assert "--require-signed" in compare and "Refuser tout run non signé" in compare
    assert "--trust" in compare and "« signataire reconnu »" in compare
    compare = flat(
        sdet_check("--lang", "en", "compare", "--help", cwd=tmp_path, env={"COLUMNS": "200"}).stdout
    )
    assert "Refuse any run that is unsigned" in compare and "“signer vouched for”" in compare


def test_a_signed_pdf_under_another_authority_is_untrusted_not_altered(
    pkis: dict[str, dict[str, Path]], tmp_path: Path
) -> None:
    pdf = tmp_path / "rapport.pdf"
    signed = sign_pdf(
        _pdf_with_attachments([("run.json", SMALL_RUN, None)]), identity(pkis["ours"]), reason="t"
    )
    pdf.write_bytes(signed)
    ours = Verifier(load_trust([pkis["ours"]["ca"]])).verify_file(pdf)
    assert ours.state == "intact", ours.findings
    other = Verifier(load_trust([pkis["other"]["ca"]])).verify_file(pdf)
    assert other.state == "untrusted", other.findings
    assert [f.what for f in other.findings] == ["signature"]
    assert exit_code([ours]) == EXIT_INTACT and exit_code([other]) == EXIT_UNTRUSTED


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (["intact"], EXIT_INTACT),
        (["intact", "untrusted"], EXIT_UNTRUSTED),
        (["untrusted", "bad_input"], EXIT_BAD_INPUT),
        (["untrusted", "altered"], EXIT_ALTERED),
        (["untrusted", "unsigned"], EXIT_ALTERED),
    ],
)
def test_exit_code_order_is_altered_then_bad_input_then_untrusted(
    states: list[str], expected: int
) -> None:
    verdicts = [FileVerdict(Path(f"f{n}"), "run", state) for n, state in enumerate(states)]  # type: ignore[arg-type]
    assert exit_code(verdicts) == expected


def test_a_missing_signature_outranks_an_unvouched_one() -> None:
    verdict = FileVerdict(Path("x"), "pdf")
    verdict.unvouched("untrusted")
    assert verdict.state == "untrusted"
    verdict.lacks_signature("none")
    assert verdict.state == "unsigned"
    verdict.differs("record", "changed")
    assert verdict.state == "altered"


# --- run_signature -------------------------------------------------------------------------------


def test_run_signature_says_signed_unsigned_invalid_and_vouched(
    pkis: dict[str, dict[str, Path]], tmp_path: Path
) -> None:
    run = signed_run(tmp_path / "s", pkis["ours"])
    certificate = x509.load_pem_x509_certificates(pkis["ours"]["cert"].read_bytes())[0]
    from cryptography.hazmat.primitives import hashes

    fingerprint = certificate.fingerprint(hashes.SHA256()).hex(":").upper()
    trusted = run_signature(run, run.read_bytes(), load_trust([pkis["ours"]["ca"]]))
    assert (trusted.state, trusted.trusted, trusted.vouched) == ("signed", True, True)
    assert f"CN={AUDITOR}" in trusted.signer and trusted.fingerprint == fingerprint
    other = run_signature(run, run.read_bytes(), load_trust([pkis["other"]["ca"]]))
    assert (other.state, other.trusted, other.vouched) == ("signed", False, False)
    assert other.problems == ()
    unchecked = run_signature(run, run.read_bytes())
    assert (unchecked.state, unchecked.trusted) == ("signed", None)
    invalid = run_signature(run, run.read_bytes() + b" ")
    assert invalid.state == "invalid" and invalid.problems == ("changed",)
    unsigned = signed_run(tmp_path / "u", None)
    expected = RunSignature("unsigned", "run.json.sig")
    assert run_signature(unsigned, unsigned.read_bytes()) == expected


def test_require_signed_refuses_unsigned_with_3_and_invalid_with_1_naming_every_run() -> None:
    signed = RunSignature("signed", "run.json.sig", signer="CN=A", fingerprint="AB")
    unsigned = RunSignature("unsigned", "run.json.sig")
    invalid = RunSignature("invalid", "run.json.sig", problems=("changed",))
    require_signed(["a.json", "b.json"], [signed, signed])
    with pytest.raises(InputError) as refused:
        require_signed(["a.json", "b.json", "c.json"], [signed, unsigned, unsigned])
    assert not isinstance(refused.value, AlteredInputError)
    message = str(refused.value)
    assert message.startswith("b.json") and "c.json" in message
    assert "--sign-key" in message and "--require-signed" in message
    with pytest.raises(AlteredInputError) as altered:
        require_signed(["a.json", "b.json"], [unsigned, invalid])
    message = str(altered.value)
    assert message.startswith("b.json") and "le contenu a changé depuis la signature" in message
    assert "sdet-check verify b.json" in message


# --- compare ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tender(
    pkis: dict[str, dict[str, Path]], tmp_path_factory: pytest.TempPathFactory
) -> list[Path]:
    """Alpha signed by our auditor, Bêta by an auditor of another CA, Gamma unsigned."""
    folder = tmp_path_factory.mktemp("tender")
    return [
        signed_run(folder / "alpha", pkis["ours"], "ENT Alpha"),
        signed_run(folder / "beta", pkis["other"], "ENT Bêta"),
        signed_run(folder / "gamma", None, "ENT Gamma"),
    ]


def _lines(stdout: str) -> dict[str, str]:
    """Terminal signature lines by solution label."""
    found = {}
    for line in stdout.splitlines():
        match = re.match(r"\s+(ENT \w+) ?: (.*)", line.replace("\u00a0", " "))
        if match:
            found[match.group(1)] = match.group(2)
    return found


@pytest.mark.slow
def test_compare_shows_each_bidders_signature_in_terminal_html_and_csv(
    pkis: dict[str, dict[str, Path]], tender: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "comparaison"
    done = sdet_check(
        "compare", *map(str, tender), "--trust", str(pkis["ours"]["ca"]), "--out", str(out),
        "--format", "html", "--format", "csv", cwd=tmp_path, env={"COLUMNS": "200"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = _lines(done.stdout)
    assert "signataire reconnu par une autorité donnée" in lines["ENT Alpha"], done.stdout
    assert "NON reconnu" in lines["ENT Bêta"] and f"CN={AUDITOR}" in lines["ENT Bêta"]
    assert lines["ENT Gamma"].startswith("non signé (pas de run.json.sig")
    fingerprint = run_signature(tender[0], tender[0].read_bytes()).fingerprint
    assert f"empreinte SHA-256 du certificat : {fingerprint}" in done.stdout.replace("\u00a0", " ")

    page = lxml_html.fromstring((out / "comparaison.html").read_text(encoding="utf-8"))
    rows = {
        s: page.get_element_by_id(f"signature-{n}").text_content()
        for n, s in enumerate(["alpha", "beta", "gamma"])
    }
    assert "signataire reconnu par une autorité donnée" in rows["alpha"]
    assert "NON reconnu" in rows["beta"] and "non signé" in rows["gamma"]
    assert "ENT Gamma" in page.get_element_by_id("unsigned-warning").text_content()
    assert "ENT Bêta" in page.get_element_by_id("untrusted-warning").text_content()
    assert "ENT Alpha" not in page.get_element_by_id("untrusted-warning").text_content()
    assert "AC de test sdet-check" in page.get_element_by_id("compare-anchors").text_content()
    runs_section = page.xpath("//td[@class='run-signature']")
    assert len(runs_section) == 3 and fingerprint in page.text_content()

    table = list(csv.reader(io.StringIO((out / "comparaison.csv").read_text("utf-8-sig"))))
    assert len({len(row) for row in table}) == 1
    last = dict(zip(table[0], table[-1], strict=True))
    assert last["identifiant"] == "signature"
    assert last["ENT Alpha"].startswith("signé, signataire reconnu")
    assert fingerprint in last["ENT Alpha"]
    assert last["ENT Bêta"].startswith("signé, signataire non reconnu")
    assert last["ENT Gamma"] == "non signé"


@pytest.mark.slow
def test_compare_without_trust_says_the_signers_are_not_checked(
    tender: list[Path], tmp_path: Path
) -> None:
    done = sdet_check(
        "--lang", "en", "compare", *map(str, tender[:2]), "--out", str(tmp_path),
        cwd=tmp_path, env={"COLUMNS": "200"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = _lines(done.stdout)
    assert lines["ENT Alpha"].endswith("signer not checked: no authority given (--trust CA.pem)")
    assert "vouched for by" not in done.stdout
    page = lxml_html.fromstring((tmp_path / "comparaison.html").read_text(encoding="utf-8"))
    assert "none: the signers' identity is not checked" in (
        page.get_element_by_id("compare-anchors").text_content()
    )
    assert not page.xpath("//*[@id='untrusted-warning' or @id='unsigned-warning']")


@pytest.mark.slow
def test_require_signed_refuses_the_unsigned_run_by_name_and_accepts_signed_ones(
    tender: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "refusé"
    done = sdet_check(
        "compare", *map(str, tender), "--require-signed", "--out", str(out), cwd=tmp_path
    )
    assert done.returncode == 3, done.stderr
    assert str(tender[2]) in done.stderr and "run non signé" in done.stderr
    assert "--sign-key" in done.stderr and "Traceback" not in done.stderr
    assert "Note" not in done.stderr  # one error, not a note then an error
    assert not out.exists()
    done = sdet_check(
        "compare", *map(str, tender[:2]), "--require-signed", "--out", str(out), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert (out / "comparaison.html").is_file()


@pytest.mark.slow
def test_require_signed_refuses_a_signature_that_no_longer_verifies_even_if_allowed(
    pkis: dict[str, dict[str, Path]], tmp_path: Path
) -> None:
    good = signed_run(tmp_path / "a", pkis["ours"], "ENT Alpha")
    bad = signed_run(tmp_path / "b", pkis["ours"], "ENT Bêta")
    data = bytearray(bad.read_bytes())
    data[data.index(b'"run_id": "') + len(b'"run_id": "')] ^= 0x01
    bad.write_bytes(bytes(data))
    out = tmp_path / "out"
    allowed = sdet_check(
        "compare", str(good), str(bad), "--allow-unverified", "--out", str(out), cwd=tmp_path
    )
    assert allowed.returncode == 0, allowed.stderr
    row = lxml_html.fromstring((out / "comparaison.html").read_text(encoding="utf-8"))
    assert "signature invalide" in row.get_element_by_id("signature-1").text_content()
    refused = sdet_check(
        "compare", str(good), str(bad), "--allow-unverified", "--require-signed",
        "--out", str(tmp_path / "non"), cwd=tmp_path,
    )  # fmt: skip
    assert refused.returncode == 1, refused.stderr
    assert str(bad) in refused.stderr and "ne vérifie pas ce run" in refused.stderr
    assert not (tmp_path / "non").exists()


@pytest.mark.slow
def test_the_comparison_pdf_prints_each_signature(
    pkis: dict[str, dict[str, Path]], tender: list[Path], tmp_path: Path
) -> None:
    done = sdet_check(
        "compare", *map(str, tender), "--trust", str(pkis["ours"]["ca"]), "--format", "pdf",
        "--out", str(tmp_path), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = pdf_text(tmp_path / "comparaison.pdf")
    folded = " ".join(text.split())
    assert "Signature du run" in folded and "Autorités de confiance" in folded
    assert "signataire reconnu par une autorité donnée" in folded
    assert "Runs non signés ou à la signature invalide (1) : ENT Gamma" in folded
    # In reading order (no -layout), the fingerprint is not interleaved with its heading.
    raw = subprocess.run(
        [need("pdftotext"), str(tmp_path / "comparaison.pdf"), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    fingerprint = run_signature(tender[0], tender[0].read_bytes()).fingerprint
    assert fingerprint in "".join(raw.split())


@pytest.mark.slow
def test_the_comparison_pdf_carries_each_bidders_signature_for_verify_to_check_again(
    pkis: dict[str, dict[str, Path]], tender: list[Path], tmp_path: Path
) -> None:
    ours, other = pkis["ours"], pkis["other"]
    done = sdet_check(
        "compare", *map(str, tender), "--trust", str(ours["ca"]), "--format", "pdf",
        "--sign-key", str(ours["key"]), "--sign-cert", str(ours["cert"]),
        "--out", str(tmp_path), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    pdf = tmp_path / "comparaison.pdf"
    attached = check_pdf(pdf.read_bytes()).attachments
    runs = sorted(name for name in attached if name.endswith(".json"))
    assert [name for name in sorted(attached) if name.endswith(".sig")] == [
        runs[0] + ".sig",
        runs[1] + ".sig",
    ]  # Alpha and Bêta signed their runs, Gamma did not
    assert attached[runs[0] + ".sig"] == (tender[0].parent / "run.json.sig").read_bytes()
    # Declared as what it is, a CMS signature, whatever the machine guesses from ".sig".
    assert pdf.read_bytes().count(b"/Subtype /application#2fpkcs7-signature") == 2

    # The auditor trusts both authorities: every signer, the buyer's and the bidders', holds.
    code, out = verify(str(pdf), "--trust", str(ours["ca"]), "--trust", str(other["ca"]),
                       cwd=tmp_path)  # fmt: skip
    assert code == 0, out
    plain = out.replace("\u00a0", " ")
    assert f"{runs[0]}.sig : signé par" in plain and f"{runs[1]}.sig : signé par" in plain
    assert f"{runs[2]} : joint sans sa signature" in plain

    # Only the buyer's authority: Bêta's signer is named as not vouched for, with why; the
    # comparison is intact all the same (exit 2, not 1).
    code, out = verify(str(pdf), "--trust", str(ours["ca"]), cwd=tmp_path)
    assert code == 2, out
    flat_out = flat(out).replace("\u00a0", " ")
    assert f"{runs[1]}.sig" in flat_out and "non reconnu" in flat_out
    assert "MODIFIÉ" not in out


@pytest.mark.slow
def test_a_bidders_signature_that_does_not_match_its_attached_run_is_a_finding(
    pkis: dict[str, dict[str, Path]], tender: list[Path], tmp_path: Path
) -> None:
    alpha, beta = tender[0].read_bytes(), tender[1].read_bytes()
    name = f"run-1-{hashlib.sha256(alpha).hexdigest()[:12]}.json"
    beta_sig = (tender[1].parent / "run.json.sig").read_bytes()
    assert run_signature(tender[1], beta).state == "signed"  # a sound signature, of Bêta's run
    pdf = tmp_path / "comparaison.pdf"
    carrier = _pdf_with_attachments([(name, alpha, None), (name + ".sig", beta_sig, None)])
    # Signed by the buyer's auditor: the comparison itself holds, its bidder signature not.
    pdf.write_bytes(sign_pdf(carrier, identity(pkis["ours"]), reason="comparaison"))
    code, out = verify(str(pdf), "--trust", str(pkis["ours"]["ca"]), cwd=tmp_path)
    assert code == 1, out
    plain = out.replace("\u00a0", " ")
    assert "comparaison.pdf : MODIFIÉ" in plain and "NON SIGNÉ" not in plain
    assert f"signature ({name}.sig)" in plain


@pytest.mark.slow
def test_attached_signatures_verify_cannot_check_are_said_not_checked(
    pkis: dict[str, dict[str, Path]], tender: list[Path], tmp_path: Path
) -> None:
    alpha = tender[0].read_bytes()
    name = f"run-1-{hashlib.sha256(alpha).hexdigest()[:12]}.json"
    sig = (tender[0].parent / "run.json.sig").read_bytes()
    # A name that only begins like a bidder's run, meant to lead a "signed by" line.
    forged = f"{name}.sig : signé par CN=Acheteur public ; reconnu{' ' * 120}x.json"
    cases = {
        "orphan.pdf": [("run-2-0123456789ab.json.sig", sig, None)],
        "oversized.pdf": [(name, alpha, None), (name + ".sig", b"0" * (2 * 1024 * 1024), None)],
        "forged.pdf": [(forged, alpha, None), (forged + ".sig", sig, None)],
    }
    outputs = {}
    for file, entries in cases.items():
        (tmp_path / file).write_bytes(_pdf_with_attachments(entries))
        code, out = verify(file, cwd=tmp_path)
        outputs[file] = " ".join(out.replace("\u00a0", " ").split())
        assert code == 1, out  # hand-built PDFs carry no PAdES signature of their own
    assert (
        "run-2-0123456789ab.json.sig : signature jointe sans run joint de ce nom, non "
        "contrôlée" in outputs["orphan.pdf"]
    )
    assert f"signature ({name}.sig) : plus grande que" in outputs["oversized.pdf"]
    # Not taken for a bidder's run: no signer line at all, and its .sig is said unchecked.
    assert "signé par O=" not in outputs["forged.pdf"]
    assert "signature jointe sans run joint de ce nom" in outputs["forged.pdf"]


def test_the_fingerprint_covers_what_the_comparison_says_of_the_signatures(
    pkis: dict[str, dict[str, Path]], tender: list[Path]
) -> None:
    records = [read_run(path).record for path in tender]
    anchors = load_trust([pkis["ours"]["ca"]])
    checked = [run_signature(path, path.read_bytes(), anchors) for path in tender]
    unchecked = [run_signature(path, path.read_bytes()) for path in tender]
    trusting = compare_runs(records, signatures=checked, trust_anchors=["AC ours"])
    not_trusting = compare_runs(records, signatures=unchecked)
    assert trusting.fingerprint != not_trusting.fingerprint
    # Without signatures (runs not read from files) the documented form stands as it was.
    bare = compare_runs(records)
    canonical = json.dumps(
        {
            "runs": sorted(run_hash(r) for r in records),
            "weights": {"default": 1.0, "requirements": {}, "tags": {}, "axes": {}},
        },
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )  # fmt: skip
    assert bare.fingerprint == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert bare.fingerprint not in (trusting.fingerprint, not_trusting.fingerprint)
    # The order of the runs still does not change it.
    reordered = compare_runs(records[::-1], signatures=checked[::-1], trust_anchors=["AC ours"])
    assert reordered.fingerprint == trusting.fingerprint


def test_a_signer_not_vouched_for_says_why_in_the_csv_cell_and_the_cover_warning(
    pkis: dict[str, dict[str, Path]], tender: list[Path]
) -> None:
    records = [read_run(path).record for path in tender[:2]]
    anchors = load_trust([pkis["ours"]["ca"]])
    signatures = [run_signature(path, path.read_bytes(), anchors) for path in tender[:2]]
    reason = distrust_clauses(signatures[1].distrust).render("fr")
    assert reason  # Bêta's signer chains to no given authority: the reason is said
    comparison = compare_runs(records, signatures=signatures, trust_anchors=["AC ours"])
    table = list(csv.reader(io.StringIO(render_comparison_csv(comparison).decode("utf-8-sig"))))
    last = dict(zip(table[0], table[-1], strict=True))
    assert last["ENT Bêta"].startswith(f"signé, signataire non reconnu ({reason})")
    assert "(" not in last["ENT Alpha"].split(";")[0]  # vouched for: no reason to give
    page = lxml_html.fromstring(render_comparison_html(comparison))
    warning = page.get_element_by_id("untrusted-warning").text_content()
    assert f"ENT Bêta ({reason})".replace("\u00a0", " ") in " ".join(warning.split())


def test_compare_without_files_shows_no_signature_and_keeps_the_csv_shape() -> None:
    records = [all_pass(synthetic("demo", name=n)) for n in ("A", "B")]
    plain = compare_runs(records)
    assert not plain.signatures_checked
    assert "signature" not in render_comparison_csv(plain).decode("utf-8").splitlines()[-1]
    checked = compare_runs(records, signatures=[RunSignature("unsigned", "run.json.sig")] * 2)
    assert checked.signatures_checked
    last = render_comparison_csv(checked).decode("utf-8").splitlines()[-1]
    assert last.startswith("signature,") and last.count("non signé") == 2
    with pytest.raises(ValueError, match="1 signatures for 2 runs"):
        compare_runs(records, signatures=[RunSignature("unsigned", "run.json.sig")])


# --- any signer name ------------------------------------------------------------------------------

_STATES = st.sampled_from(["signed", "unsigned", "invalid"])


@budget(100)
@given(signer=st.text(max_size=60), trusted=st.sampled_from([True, False, None]), state=_STATES)
def test_any_signer_name_renders_in_one_safe_csv_cell_and_in_the_summary(
    signer: str, trusted: bool | None, state: Any
) -> None:
    signature = RunSignature(
        state,
        "run.json.sig",
        signer=signer,
        fingerprint="AB:CD",
        trusted=trusted,
        problems=("changed",) if state == "invalid" else (),
    )
    records = [all_pass(synthetic("demo", name="A"))]
    table = list(
        csv.reader(
            io.StringIO(
                render_comparison_csv(compare_runs(records, signatures=[signature])).decode(
                    "utf-8-sig"
                ),
                newline="",
            )
        )
    )
    assert len({len(row) for row in table}) == 1
    cell = table[-1][5]
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    view = signature_view(signature, "fr")
    assert view is not None
    if state == "signed":
        assert signer in view["summary"]
        assert view["kind"] == {True: "vouched", False: "not_vouched", None: "unchecked"}[trusted]
    else:
        assert view["kind"] == state


def test_fingerprints_are_printed_as_they_are_not_as_emoji() -> None:
    """Found by trial: ``…:24:CD:DD:…`` printed as ``…:24💿DD:…`` (rich's emoji codes)."""
    from sdet_check.cli.console import console, err_console

    for shown in (console, err_console):
        with shown.capture() as captured:
            shown.print("AD:C3:24:CD:DD:AB:01", markup=False)
        assert captured.get() == "AD:C3:24:CD:DD:AB:01\n"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_comparison_with_signatures_stays_accessible(lang: str) -> None:
    from datetime import UTC, datetime

    from sdet_check.reporters.comparison import render_comparison_html

    from ..reporters.test_html_report import assert_accessible

    when = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    signatures = [
        RunSignature("signed", "run.json.sig", "CN=A", "AB:CD", when, trusted=True),
        RunSignature("signed", "run.json.sig", "CN=<b>B</b>", "EF:01", None, trusted=False),
        RunSignature("unsigned", "run.json.sig"),
    ]
    records = [all_pass(synthetic("demo", name=n)) for n in ("A", "B", "C")]
    comparison = compare_runs(records, signatures=signatures, trust_anchors=["CN=AC (SHA-256 X)"])
    page = render_comparison_html(comparison, lang).decode("utf-8")
    assert_accessible(page, lang)
    doc = lxml_html.fromstring(page)
    assert not doc.xpath("//b")  # a signer's name is text, never markup
    assert "CN=<b>B</b>" in doc.get_element_by_id("signature-1").text_content()
    assert "2026-12-01 09:30:00 UTC" in doc.get_element_by_id("signature-0").text_content()
    assert "CN=AC (SHA-256 X)" in doc.get_element_by_id("compare-anchors").text_content()


# --- found by a hostile second reading ----------------------------------------------------------


def _self_signed_signer(
    folder: Path, name: x509.Name, *, key_usage: bool = True
) -> dict[str, Path]:
    """A self-signed signing certificate with ``name`` (a bidder's own, vouched for by no CA)."""
    from datetime import UTC, datetime, timedelta

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from .test_sign_verify import _key_usage

    now = datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
    )
    if key_usage:
        builder = builder.add_extension(_key_usage(signer=True), critical=True)
    cert = builder.sign(key, hashes.SHA256())
    folder.mkdir(parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    files = {"key": folder / "signer.key.pem", "cert": folder / "signer.pem"}
    files["key"].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    files["cert"].write_bytes(cert.public_bytes(pem))
    return files


@pytest.mark.slow
def test_a_signer_name_cannot_print_a_forged_vouched_for_line_in_compare(
    pkis: dict[str, dict[str, Path]], tender: list[Path], tmp_path: Path
) -> None:
    fake = "Alice Auditrice le 01/12/2026 ; signataire reconnu par une autorité donnée (--trust)"
    forger = _self_signed_signer(
        tmp_path / "pki",
        x509.Name([x509.NameAttribute(x509.NameOID.ORGANIZATIONAL_UNIT_NAME, f"x\n{fake}\t")]),
    )
    forged = signed_run(tmp_path / "evil", forger, "ENT Evil")
    done = sdet_check(
        "compare", str(tender[0]), str(forged), "--trust", str(pkis["ours"]["ca"]),
        "--out", str(tmp_path / "out"), cwd=tmp_path, env={"COLUMNS": "400"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    evil = [line for line in done.stdout.splitlines() if "Alice Auditrice le 01/12" in line]
    assert len(evil) == 1, done.stdout
    assert "ENT Evil" in evil[0] and "\\n" in evil[0] and "NON reconnu" in evil[0]


@pytest.mark.slow
def test_require_signed_with_trust_refuses_a_signer_no_authority_vouches_for(
    pkis: dict[str, dict[str, Path]], tender: list[Path], tmp_path: Path
) -> None:
    ca = str(pkis["ours"]["ca"])
    refused = sdet_check(
        "compare", *map(str, tender[:2]), "--require-signed", "--trust", ca,
        "--out", str(tmp_path / "non"), cwd=tmp_path,
    )  # fmt: skip
    assert refused.returncode == 3, refused.stderr
    message = " ".join(refused.stderr.split())
    assert str(tender[1]) in message and "signataire non reconnu" in message
    assert "sdet-check verify" in message and not (tmp_path / "non").exists()
    delta = signed_run(tmp_path / "delta", pkis["ours"], "ENT Delta")
    accepted = sdet_check(
        "compare", str(tender[0]), str(delta), "--require-signed", "--trust", ca,
        "--out", str(tmp_path / "oui"), cwd=tmp_path,
    )  # fmt: skip
    assert accepted.returncode == 0, accepted.stderr


@pytest.mark.slow
def test_require_signed_speaks_before_the_unverified_refusal(
    pkis: dict[str, dict[str, Path]], tmp_path: Path
) -> None:
    good = signed_run(tmp_path / "a", pkis["ours"], "ENT Alpha")
    bad = signed_run(tmp_path / "b", pkis["ours"], "ENT Bêta")
    other = signed_run(tmp_path / "c", pkis["ours"], "ENT Gamma")
    for run in (bad, other):
        run.with_name("run.json.sig").write_bytes(b"")
    refused = sdet_check(
        "compare", str(good), str(bad), str(other), "--require-signed",
        "--out", str(tmp_path / "non"), cwd=tmp_path,
    )  # fmt: skip
    assert refused.returncode == 1, refused.stderr
    message = " ".join(refused.stderr.split())
    assert "ne vérifie pas ce run" in message and str(other) in message
    assert "--allow-unverified" not in message  # that advice would still be refused


def test_a_certificate_without_key_usage_is_refused_for_signing(tmp_path: Path) -> None:
    bare = _self_signed_signer(
        tmp_path, x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Sans usage")]),
        key_usage=False,
    )  # fmt: skip
    with pytest.raises(InputError) as refused:
        load_identity(bare["key"], bare["cert"])
    assert "aucun usage de clé déclaré" in str(refused.value)
    assert "nonRepudiation" in str(refused.value)


# --- found by a hostile review: why a signer is not vouched for, what an unreadable .sig is ---


def _issued_signer(
    folder: Path,
    *,
    ca_name: str = "AC de test sdet-check",
    valid: tuple[int, int] = (-1, 24),
    usage: str = "signer",
) -> dict[str, Any]:
    """A CA (``ca``: its PEM file) and an ``identity`` it issued, valid ``valid`` hours around now.

    ``usage``: ``signer`` (digitalSignature and nonRepudiation), ``digital_signature`` (no
    nonRepudiation). The identity is built directly: ``load_identity`` refuses an expired
    certificate or one without nonRepudiation, which a bidder's signature may still carry.
    """
    from datetime import timedelta

    from cryptography.hazmat.primitives import serialization

    from .test_sign_verify import _key_usage, issue_certificate

    key_usage = (
        _key_usage(signer=True)
        if usage == "signer"
        else x509.KeyUsage(True, False, False, False, False, False, False, False, False)
    )
    ca, key, cert = issue_certificate(
        x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, ca_name)]),
        x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, AUDITOR)]),
        ca_valid=(timedelta(days=-10), timedelta(days=10)),
        valid=(timedelta(hours=valid[0]), timedelta(hours=valid[1])),
        key_usage=key_usage,
    )
    folder.mkdir(parents=True, exist_ok=True)
    ca_file = folder / "ac.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return {"ca": ca_file, "identity": SigningIdentity(key, cert, (ca,)), "cert": cert}


def _run_signed_by(folder: Path, identity: SigningIdentity, name: str = "ENT Alpha") -> Path:
    run = signed_run(folder, None, name)
    write_signature(run, identity)
    return run


@pytest.mark.parametrize(
    ("case", "french", "english"),
    [
        (
            "other_authority",
            "son certificat remonte à CN=AC de test sdet-check, qui n'est aucune des autorités "
            "données",
            "its certificate leads up to CN=AC de test sdet-check, which is none of the given "
            "authorities",
        ),
        (
            "same_name",
            "son certificat remonte à CN=AC de test sdet-check, mais l'autorité donnée de ce nom "
            "ne l'a pas signé : c'est une autre clé qui porte ce nom",
            "the given authority of that name did not sign it: another key bears that name",
        ),
        (
            "self_signed",
            "son certificat est auto-signé (CN=Alice Auditrice) et aucune des autorités données "
            "ne l'a délivré",
            "its certificate is self-signed (CN=Alice Auditrice)",
        ),
        ("expired", "son certificat a expiré le {date}", "its certificate expired on {date}"),
        (
            "no_non_repudiation",
            "l'usage de clé de son certificat n'inclut pas nonRepudiation",
            "its certificate's key usage leaves out nonRepudiation",
        ),
    ],
)
def test_an_unvouched_signer_comes_with_the_reason_in_verify_and_compare(
    pkis: dict[str, dict[str, Path]], tmp_path: Path, case: str, french: str, english: str
) -> None:
    signer = _issued_signer(
        tmp_path / "pki",
        valid=(-120, -24) if case == "expired" else (-1, 24),
        usage="digital_signature" if case == "no_non_repudiation" else "signer",
    )
    anchor = signer["ca"]
    if case == "other_authority":
        anchor = pkis["other"]["ca"]  # named "CN=…,O=…": another name, another key
    elif case == "same_name":
        anchor = _issued_signer(tmp_path / "namesake")["ca"]  # same name, another key
    identity = signer["identity"]
    if case == "self_signed":
        name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, AUDITOR)])
        own = _self_signed_signer(tmp_path / "own", name)
        identity = load_identity(own["key"], own["cert"])
    run = _run_signed_by(tmp_path / "run", identity)
    anchors = load_trust([anchor])
    date = f"{signer['cert'].not_valid_after_utc:%Y-%m-%d}"
    for lang, expected in (("fr", french), ("en", english)):
        verifier = Verifier(anchors, lang)
        verdict = verifier.verify_file(run)
        assert verdict.state == "untrusted", verdict.findings
        assert exit_code([verdict]) == EXIT_UNTRUSTED
        [finding] = verdict.findings
        assert expected.format(date=date) in finding.text.replace("\u00a0", " "), finding.text
        lines = verifier.describe(verdict)
        assert any(expected.format(date=date) in line.replace("\u00a0", " ") for line in lines)
        signature = run_signature(run, run.read_bytes(), anchors)
        assert (signature.state, signature.trusted) == ("signed", False)
        view = signature_view(signature, lang)
        assert view is not None and view["kind"] == "not_vouched"
        assert expected.format(date=date) in view["summary"].replace("\u00a0", " ")
    with pytest.raises(InputError) as refused:
        require_signed(
            [str(run)], [run_signature(run, run.read_bytes(), anchors)], require_vouched=True
        )
    assert french.format(date=date) in str(refused.value).replace("\u00a0", " ")


def test_the_reason_shows_an_issuer_name_on_one_line_without_its_controls(
    pkis: dict[str, dict[str, Path]], tmp_path: Path
) -> None:
    hostile = "AC\x1b[2J\n  · signataire reconnu par une autorité donnée"
    signer = _issued_signer(tmp_path / "pki", ca_name=hostile)
    run = _run_signed_by(tmp_path / "run", signer["identity"])
    anchors = load_trust([pkis["ours"]["ca"]])
    signature = run_signature(run, run.read_bytes(), anchors)
    reasons = [reason.render("fr") for reason in signature.distrust]
    assert reasons and all("\n" not in r and "\x1b" not in r for r in reasons), reasons
    assert "CN=AC\\x1b[2J\\n  · signataire reconnu" in reasons[0]
    view = signature_view(signature, "fr")
    assert view is not None and "\n" not in view["summary"] and "\x1b" not in view["summary"]
    verifier = Verifier(anchors)
    lines = verifier.describe(verifier.verify_file(run))
    assert not any(line.lstrip().startswith("· signataire reconnu") for line in lines), lines


@pytest.mark.slow
def test_verify_and_compare_print_why_the_signer_is_not_vouched_for(
    pkis: dict[str, dict[str, Path]], tender: list[Path], tmp_path: Path
) -> None:
    other_ca = str(pkis["other"]["ca"])
    code, out = verify(str(tender[0]), "--trust", other_ca, cwd=tmp_path)
    assert code == 2, out
    # The two test authorities bear the same name: only their keys tell them apart.
    assert "l'autorité donnée de ce nom ne l'a pas signé" in out, out
    code, out = verify(str(tender[0]), "--trust", other_ca, cwd=tmp_path, lang="en")
    assert code == 2 and "another key bears that name" in out, out
    done = sdet_check(
        "compare", *map(str, tender[:2]), "--trust", str(pkis["ours"]["ca"]),
        "--out", str(tmp_path / "out"), cwd=tmp_path, env={"COLUMNS": "400"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    beta = _lines(done.stdout)["ENT Bêta"]
    assert "NON reconnu" in beta and "l'autorité donnée de ce nom ne l'a pas signé" in beta, beta


def test_a_signature_taken_from_another_run_claims_nothing_about_trust(
    pkis: dict[str, dict[str, Path]], tmp_path: Path
) -> None:
    import shutil

    signed = signed_run(tmp_path / "a", pkis["ours"], "ENT Alpha")
    other = signed_run(tmp_path / "b", None, "ENT Bêta")
    shutil.copy(signed.with_name("run.json.sig"), other.with_name("run.json.sig"))
    anchors = load_trust([pkis["ours"]["ca"]])  # the signer's own authority
    for lang in ("fr", "en"):
        verifier = Verifier(anchors, lang, require_trust=True)
        verdict = verifier.verify_file(other)
        assert verdict.state == "altered" and exit_code([verdict]) == EXIT_ALTERED
        assert [f.what for f in verdict.findings] == ["signature"], verdict.findings
        shown = "\n".join(verifier.describe(verdict))
        assert "le contenu a changé" in shown or "the content changed" in shown, shown
        # The certificate does chain to the given CA: "not trusted" would be false, and
        # "trusted" would vouch for content nobody signed.
        for claim in ("reconnu", "vouched", "trusted", "--trust"):
            assert claim not in shown, shown
    signature = run_signature(other, other.read_bytes(), anchors)
    assert (signature.state, signature.trusted, signature.distrust) == ("invalid", None, ())
    assert signature.problems == ("changed",)


@pytest.mark.slow
def test_verify_of_a_signature_from_another_run_says_modified_not_unvouched(
    pkis: dict[str, dict[str, Path]], tmp_path: Path
) -> None:
    import shutil

    signed = signed_run(tmp_path / "a", pkis["ours"], "ENT Alpha")
    other = signed_run(tmp_path / "b", None, "ENT Bêta")
    shutil.copy(signed.with_name("run.json.sig"), other.with_name("run.json.sig"))
    code, out = verify(str(other), "--trust", str(pkis["ours"]["ca"]), cwd=tmp_path)
    assert code == 1, out
    assert "MODIFIÉ" in out and "le contenu a changé" in out.replace("\u00a0", " ")
    assert "non reconnu" not in out and "certificat reconnu" not in out, out


def test_require_signed_calls_a_folder_in_place_of_the_signature_not_a_regular_file() -> None:
    folder = RunSignature("invalid", "run.json.sig", problems=("not_regular",))
    dangling = RunSignature("invalid", "run.json.sig", problems=("dangling",))
    changed = RunSignature("invalid", "run.json.sig", problems=("changed",))
    with pytest.raises(AlteredInputError) as refused:
        require_signed(["a.json", "b.json", "c.json"], [folder, changed, dangling])
    message = str(refused.value).replace("\u00a0", " ")
    assert message.startswith("a.json") and "n'est pas un fichier ordinaire" in message
    assert "a changé" not in message, message
    assert "c.json" in message and "b.json" not in message  # the others in the same case
    with pytest.raises(AlteredInputError) as refused:
        require_signed(["b.json", "a.json"], [changed, folder])
    message = str(refused.value).replace("\u00a0", " ")
    assert "a changé depuis la signature" in message and "a.json" not in message


@pytest.mark.slow
def test_compare_names_a_folder_in_place_of_the_signature_as_not_a_regular_file(
    pkis: dict[str, dict[str, Path]], tmp_path: Path
) -> None:
    good = signed_run(tmp_path / "a", pkis["ours"], "ENT Alpha")
    odd = signed_run(tmp_path / "b", None, "ENT Bêta")
    odd.with_name("run.json.sig").mkdir()
    refused = sdet_check(
        "compare", str(good), str(odd), "--require-signed", "--out", str(tmp_path / "non"),
        cwd=tmp_path,
    )  # fmt: skip
    assert refused.returncode == 1, refused.stderr
    message = " ".join(refused.stderr.split())
    assert str(odd) in message and "n'est pas un fichier ordinaire" in message, message
    assert "a changé depuis la signature" not in message and "Traceback" not in message
    plain = sdet_check("compare", str(good), str(odd), "--out", str(tmp_path / "non"), cwd=tmp_path)
    assert plain.returncode == 1, plain.stderr
    message = " ".join(plain.stderr.split())
    assert "Signature illisible" in message and "Run modifié" not in message, message
    assert not (tmp_path / "non").exists()


def test_a_dangling_link_in_place_of_the_signature_is_an_invalid_signature(
    tmp_path: Path,
) -> None:
    run = signed_run(tmp_path / "run", None)
    run.with_name("run.json.sig").symlink_to(tmp_path / "absente.sig")
    for lang, expected in (
        ("fr", "lien symbolique vers un fichier absent"),
        ("en", "a symbolic link to a missing file"),
    ):
        verifier = Verifier(lang=lang)
        verdict = verifier.verify_file(run)
        assert verdict.state == "altered", verdict.findings  # not "unsigned"
        [finding] = verdict.findings
        assert finding.what == "signature" and expected in finding.text, finding.text
    signature = run_signature(run, run.read_bytes())
    assert (signature.state, signature.problems, signature.no_file) == (
        "invalid",
        ("dangling",),
        True,
    )
    view = signature_view(signature, "fr")
    assert view is not None and view["kind"] == "invalid"
    assert "lien symbolique vers un fichier absent" in view["summary"]


@pytest.mark.slow
def test_verify_and_compare_report_a_dangling_signature_link_as_invalid_not_unsigned(
    pkis: dict[str, dict[str, Path]], tmp_path: Path
) -> None:
    good = signed_run(tmp_path / "a", pkis["ours"], "ENT Alpha")
    dead = signed_run(tmp_path / "d", None, "ENT Delta")
    dead.with_name("run.json.sig").symlink_to(tmp_path / "absente.sig")
    code, out = verify(str(dead), cwd=tmp_path)
    assert code == 1, out
    assert "MODIFIÉ" in out and "NON SIGNÉ" not in out and "lien symbolique" in out, out
    allowed = sdet_check(
        "compare", str(good), str(dead), "--allow-unverified", "--out", str(tmp_path / "out"),
        cwd=tmp_path, env={"COLUMNS": "400"},
    )  # fmt: skip
    assert allowed.returncode == 0, allowed.stderr
    delta = _lines(allowed.stdout)["ENT Delta"]
    assert delta.startswith("signature invalide") and "lien symbolique" in delta, delta
    assert "non signé" not in allowed.stderr and "non signé" not in delta
    refused = sdet_check(
        "compare", str(good), str(dead), "--require-signed", "--out", str(tmp_path / "non"),
        cwd=tmp_path,
    )  # fmt: skip
    assert refused.returncode == 1, refused.stderr
    message = " ".join(refused.stderr.split())
    assert "n'est pas un fichier ordinaire" in message and "lien symbolique" in message, message
    assert "run non signé" not in message


def test_a_pdf_signer_not_vouched_for_comes_with_the_reason(
    pkis: dict[str, dict[str, Path]], tmp_path: Path
) -> None:
    pdf = tmp_path / "rapport.pdf"
    signed = sign_pdf(
        _pdf_with_attachments([("run.json", SMALL_RUN, None)]), identity(pkis["ours"]), reason="t"
    )
    pdf.write_bytes(signed)
    # Both test authorities are named "AC de test sdet-check": only the key tells them apart.
    verdict = Verifier(load_trust([pkis["other"]["ca"]]), "en").verify_file(pdf)
    assert verdict.state == "untrusted", verdict.findings
    [finding] = verdict.findings
    assert "PDF #1" in finding.text and "another key bears that name" in finding.text, finding
    assert verdict.signatures[0].distrust and verdict.signatures[0].trusted is False
