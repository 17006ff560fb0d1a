"""``sdet-check verify``: whether a run.json, a PDF or an HTML report is the one signed.

Each path is checked on its own and gets one state:

- ``intact``: every signature holds, the evidence matches its manifest, the attached or
  cited run is the one whose hash the report prints;
- ``altered``: something differs, and each finding names what (the record, an evidence
  piece, the attached run, the signature, the document);
- ``unsigned``: nothing was shown to differ, but the document carries no signature
  ("signature: none"), so nothing vouches for it: not intact either (exit code 1), yet not
  called altered, which would accuse a file nobody touched;
- ``untrusted``: every signature holds and nothing differs, but the user asked for trust
  (``--trust`` anchors, or ``--require-trust``) and no given authority vouches for a
  signer: the content is the signed one, the signer's identity is not established (exit
  code 2, the code of an evaluation that is not complete), and the finding says why
  (:func:`sdet_check.signing.why_untrusted`). A signature that does not hold over the
  file says nothing about trust (the file is ``altered``);
- ``bad_input``: not a file verify knows (missing, not a run, a PDF or an HTML report).

What is checked, by kind of file:

- ``run.json``: its detached signature ``run.json.sig`` over its exact bytes (a folder, a
  pipe or a dangling link there is a signature that cannot be read, not a missing one);
  every piece of evidence against ``evidence_manifest``; the recorded score against its
  results.
- ``run.json.sig``: the same, for the file it signs.
- a PDF: every PAdES signature (pyHanko), that it covers the whole file (no update added
  after signing); the attached ``run.json`` against the run hash the report prints (also
  written as the PDF's file identifier, ``/ID``), then checked as a run. A comparison's
  PDF carries one run per bidder, ``run-N-<hash>.json``, each checked against the hash its
  name begins, and beside it the bidder's own ``run-N-<hash>.json.sig`` when there was one,
  checked over that run against this verify's authorities; an attached ``.sig`` with no
  such run is said not checked.
- an HTML report: ``rapport.html.sig``, then the run hash it prints (``#run-hash``) against
  the ``run.json`` beside it, itself checked as a run.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sdet_check.errors import InputError
from sdet_check.messages import Message, table, text
from sdet_check.redaction import visible_one_line
from sdet_check.run import (
    evidence_problems,
    grid_problems,
    parse_run,
    read_run_bytes,
    rescore,
    run_bytes,
)
from sdet_check.signing import (
    MAX_SIGNATURE_BYTES,
    SIGNATURE_SUFFIX,
    SignatureCheck,
    UnreadablePdf,
    check_detached,
    check_pdf,
    distrust_clauses,
    signature_path,
)

State = Literal["intact", "altered", "unsigned", "untrusted", "bad_input"]
Kind = Literal["run", "pdf", "html", "unknown"]

MAX_DOCUMENT_BYTES = 512 * 1024 * 1024
"""Largest PDF or HTML report read."""

_BIDDER_RUN = re.compile(r"run-[0-9]+-([0-9a-fA-F]{12,64})\.json")
"""How a comparison names the run of each bidder it attaches (matched whole: a longer name
could carry text meant to lead a printed line)."""
_HEX64 = re.compile(r"^[0-9a-f]{64}$")

MESSAGES: dict[str, dict[str, str]] = table("verify.")
"""Every text ``verify`` prints, per language (``verify.*`` in the message catalogue)."""


@dataclass
class Finding:
    """One thing that differs: ``what`` is record, evidence, attached_run, signature, document."""

    what: str
    text: str


@dataclass
class FileVerdict:
    """What ``verify`` concluded about one file."""

    path: Path
    kind: Kind
    state: State = "intact"
    signatures: list[SignatureCheck] = field(default_factory=list)
    attached_signatures: dict[int, str] = field(default_factory=dict)
    """Index in ``signatures`` of those of attached files (a comparison's bidder runs),
    with the attachment's name."""
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def differs(self, what: str, text: str) -> None:
        """Record a finding: the file is altered."""
        self.findings.append(Finding(what, text))
        if self.state != "bad_input":
            self.state = "altered"

    def lacks_signature(self, text: str) -> None:
        """Record a missing signature: not intact, but altered only if something differs."""
        self.findings.append(Finding("signature", text))
        if self.state in ("intact", "untrusted"):
            self.state = "unsigned"

    def unvouched(self, text: str) -> None:
        """Record a sound signature no given authority vouches for: intact, signer unknown."""
        self.findings.append(Finding("signature", text))
        if self.state == "intact":
            self.state = "untrusted"


class Verifier:
    """Checks files in one language against optional trust anchors."""

    def __init__(
        self, trust: Sequence[Any] = (), lang: str = "fr", *, require_trust: bool = False
    ) -> None:
        """``trust``: asn1crypto certificates (:func:`sdet_check.signing.load_trust`).

        A signer none of ``trust`` vouches for makes an intact file ``untrusted``; with
        ``require_trust`` so does a signature checked against no anchor at all.
        """
        self.trust = list(trust)
        self.require_trust = require_trust
        self.lang = lang if lang in MESSAGES else "fr"
        self.words = MESSAGES[self.lang]

    def verify_paths(self, paths: Sequence[Path]) -> list[FileVerdict]:
        """One verdict per distinct file (a ``.sig`` stands for the file it signs)."""
        verdicts: list[FileVerdict] = []
        done: set[Path] = set()
        queue = list(paths)
        while queue:
            path = queue.pop(0)
            if path.suffix == SIGNATURE_SUFFIX:
                signed = path.with_name(path.name[: -len(SIGNATURE_SUFFIX)])
                if not signed.exists():
                    verdict = FileVerdict(path, "unknown", "bad_input")
                    verdict.notes.append(self.words["sig_without_file"].format(file=signed))
                    verdicts.append(verdict)
                    continue
                path = signed
            key = path.resolve() if path.exists() else path
            if key in done:
                continue
            done.add(key)
            verdict = self.verify_file(path, given=paths)
            verdicts.append(verdict)
            if verdict.kind == "html":
                beside = path.with_name("run.json")
                if beside.exists() and beside.resolve() not in done:
                    queue.append(beside)
        return verdicts

    def verify_file(self, path: Path, given: Sequence[Path] = ()) -> FileVerdict:
        """Check one file of any kind verify knows (``given``: the other paths, for HTML)."""
        if path.exists() and not path.is_file():
            # A FIFO would block the read for ever, a device never ends.
            verdict = FileVerdict(path, "unknown", "bad_input")
            verdict.notes.append(self.words["not_regular"])
            return verdict
        head = _head(path)
        if head is None:
            verdict = FileVerdict(path, "unknown", "bad_input")
            verdict.notes.append(self.words["missing"])
            return verdict
        kind = _kind(path, head)
        if kind == "pdf":
            return self.verify_pdf(path)
        if kind == "html":
            return self.verify_html(path, given)
        if kind == "run":
            return self.verify_run(path)
        verdict = FileVerdict(path, "unknown", "bad_input")
        verdict.notes.append(self.words["unknown"])
        return verdict

    # --- run.json ---------------------------------------------------------------------------

    def verify_run(self, path: Path) -> FileVerdict:
        """A run.json: its signature, its evidence, its score."""
        verdict = FileVerdict(path, "run")
        try:
            raw = read_run_bytes(path)
        except InputError as exc:
            verdict.state = "bad_input"
            verdict.notes.append(exc.problem)
            return verdict
        signed = self._detached(path, raw, verdict)
        try:
            record = parse_run(raw, path)
        except InputError as exc:
            if signed is None or signed.intact:
                # Not a run, and no signature says it ever was one.
                verdict.state = "bad_input"
                verdict.findings.clear()
                verdict.notes.append(exc.problem)
            else:
                text = self.words["record_unreadable"].format(detail=exc.problem)
                verdict.differs("record", text)
            return verdict
        verdict.notes.append(self.words["run_hash"].format(digest=hashlib.sha256(raw).hexdigest()))
        if raw != run_bytes(record):
            verdict.notes.append(self.words["not_canonical"])
        self._check_record(record, verdict, attached=None)
        return verdict

    def _check_record(
        self, record: dict[str, Any], verdict: FileVerdict, attached: str | None
    ) -> None:
        """Evidence against the manifest, and the score against the results."""
        for problem in evidence_problems(record):
            text = problem.describe(self.lang)
            if attached is None:
                verdict.differs("evidence", text)
            else:
                verdict.differs(
                    "attached_run",
                    self.words["attached_evidence"].format(name=attached, problem=text),
                )
        for text in grid_problems(record, self.lang):
            if attached is None:
                verdict.differs("record", text)
            else:
                colon = " : " if self.lang == "fr" else ": "
                verdict.differs("attached_run", f"{attached}{colon}{text}")
        try:
            consistent = rescore(record).to_json() == record["score"]
        except (KeyError, ValueError, TypeError):
            consistent = False
        if not consistent:
            if attached is None:
                verdict.differs("record", self.words["record_score"])
            else:
                verdict.differs("attached_run", self.words["attached_score"].format(name=attached))

    # --- signatures -------------------------------------------------------------------------

    def _detached(self, path: Path, data: bytes, verdict: FileVerdict) -> SignatureCheck | None:
        """Check ``path.sig`` over ``data``; a missing signature is a finding."""
        sig_path = signature_path(path)
        if _dangling(sig_path):
            # Something is there, and it cannot be read: not the absence of a signature.
            verdict.differs(
                "signature", text("signatures.verify.dangling", self.lang, where=sig_path.name)
            )
            return None
        if sig_path.exists() and not sig_path.is_file():
            colon = " : " if self.lang == "fr" else ": "
            verdict.differs("signature", f"{sig_path.name}{colon}{self.words['not_regular']}")
            return None
        try:
            with sig_path.open("rb") as stream:
                signature = stream.read(MAX_SIGNATURE_BYTES + 1)
        except FileNotFoundError:
            verdict.lacks_signature(self.words["sig_none"].format(where=sig_path.name))
            return None
        except OSError as exc:
            verdict.differs("signature", f"{sig_path.name} : {exc.strerror}")
            return None
        check = check_detached(data, signature[:MAX_SIGNATURE_BYTES], self.trust)
        self._signature(check, sig_path.name, verdict)
        return check

    def _signature(self, check: SignatureCheck, where: str, verdict: FileVerdict) -> None:
        verdict.signatures.append(check)
        for problem in check.problems:
            if problem == "untrusted":
                # The bytes are the signed ones: who signed them is what is not established,
                # and why is said (no chain to a given authority, expired, key usage...).
                reasons = distrust_clauses(check.distrust)
                verdict.unvouched(
                    text(
                        "signatures.verify.untrusted_because",
                        self.lang,
                        where=where,
                        reasons=reasons,
                    )
                )
            else:
                verdict.differs("signature", self.words[f"sig_{problem}"].format(where=where))
        if self.require_trust and check.intact and check.trusted is None:
            verdict.unvouched(text("signatures.verify.no_anchor", self.lang, where=where))

    # --- PDF --------------------------------------------------------------------------------

    def verify_pdf(self, path: Path) -> FileVerdict:
        """A PDF report: its PAdES signatures, the runs it carries and their signatures."""
        verdict = FileVerdict(path, "pdf")
        data = _read_document(path, verdict, self.words)
        if data is None:
            return verdict
        try:
            content = check_pdf(data, self.trust)
        except UnreadablePdf as exc:
            verdict.differs("document", self.words["pdf_unreadable"].format(detail=exc))
            return verdict
        if not content.signatures:
            verdict.lacks_signature(self.words["sig_none"].format(where="PDF"))
        if content.signature_count > len(content.signatures):
            text = self.words["too_many_signatures"].format(
                count=content.signature_count, checked=len(content.signatures)
            )
            verdict.differs("document", text)
        for number, check in enumerate(content.signatures, start=1):
            where = self.words["pdf_signature"].format(number=number)
            self._signature(check, where, verdict)
        printed = content.identifier.strip().lower()
        runs = {n: b for n, b in content.attachments.items() if n.lower().endswith(".json")}
        for name in sorted(set(content.repeated)):
            count = content.repeated.count(name) + 1
            text = self.words["attached_repeated"].format(count=count, name=name)
            verdict.differs("attached_run", text)
        bidders = {n: b for n, b in runs.items() if _BIDDER_RUN.fullmatch(n)}
        checked_signatures: set[str] = set()
        if bidders and "run.json" not in runs:
            # A comparison: /ID is its fingerprint (the PAdES signature covers it); each
            # bidder's run is named after the start of its own hash.
            for name, content_bytes in sorted(bidders.items()):
                named = _BIDDER_RUN.fullmatch(name).group(1)  # type: ignore[union-attr]
                actual = hashlib.sha256(content_bytes).hexdigest()
                if not actual.startswith(named.lower()):
                    verdict.differs(
                        "attached_run",
                        self.words["attached_hash"].format(actual=actual, printed=named),
                    )
                # The bidder's own signature travels beside its run: its signer is checked
                # again here, against this reader's authorities.
                sig_name = name + SIGNATURE_SUFFIX
                signature = content.attachments.get(sig_name)
                if signature is None:
                    verdict.notes.append(self.words["bidder_unsigned"].format(name=name))
                    continue
                checked_signatures.add(sig_name)
                if len(signature) > MAX_SIGNATURE_BYTES:
                    verdict.differs("signature", self.words["sig_too_large"].format(where=sig_name))
                    continue
                check = check_detached(content_bytes, signature, self.trust)
                verdict.attached_signatures[len(verdict.signatures)] = sig_name
                self._signature(check, sig_name, verdict)
        elif _HEX64.match(printed):
            attached = runs.get("run.json")
            if attached is None:
                text = self.words["attached_missing"].format(printed=printed)
                verdict.differs("attached_run", text)
            else:
                actual = hashlib.sha256(attached).hexdigest()
                verdict.notes.append(self.words["run_hash"].format(digest=printed))
                if actual != printed:
                    verdict.differs(
                        "attached_run",
                        self.words["attached_hash"].format(actual=actual, printed=printed),
                    )
        for name in sorted(content.attachments):
            if name.endswith(SIGNATURE_SUFFIX) and name not in checked_signatures:
                # A reader shows it: say that nothing here checked it.
                verdict.notes.append(self.words["attached_sig_unchecked"].format(name=name))
        for name, attached in runs.items():
            try:
                record = parse_run(attached, f"{path.name}:{name}")
            except InputError as exc:
                verdict.differs(
                    "attached_run",
                    self.words["attached_unreadable"].format(name=name, detail=exc.problem),
                )
                continue
            if attached != run_bytes(record):
                colon = " : " if self.lang == "fr" else ": "
                verdict.notes.append(f"{name}{colon}{self.words['not_canonical']}")
            self._check_record(record, verdict, attached=name)
        return verdict

    # --- HTML -------------------------------------------------------------------------------

    def verify_html(self, path: Path, given: Sequence[Path] = ()) -> FileVerdict:
        """An HTML report: its detached signature and the run whose hash it cites.

        The run is the ``run.json`` among ``given`` whose hash the report cites, else the
        ``run.json`` beside the report.
        """
        verdict = FileVerdict(path, "html")
        data = _read_document(path, verdict, self.words)
        if data is None:
            return verdict
        self._detached(path, data, verdict)
        printed = _cited_run_hash(data)
        if printed is None:
            verdict.notes.append(self.words["html_no_hash"])
            return verdict
        candidates = [p for p in given if p.suffix.lower() == ".json" and p.is_file()]
        for candidate in candidates:
            try:
                digest = hashlib.sha256(read_run_bytes(candidate)).hexdigest()
            except InputError:
                continue
            if digest == printed:
                verdict.notes.append(self.words["run_hash"].format(digest=printed))
                return verdict
        run_file = path.with_name("run.json")
        try:
            actual = hashlib.sha256(read_run_bytes(run_file)).hexdigest()
        except InputError:
            verdict.notes.append(self.words["html_no_run"].format(printed=printed))
            return verdict
        verdict.notes.append(self.words["run_hash"].format(digest=printed))
        if actual != printed:
            verdict.differs(
                "record",
                self.words["html_run_hash"].format(run=run_file, actual=actual, printed=printed),
            )
        return verdict

    # --- text -------------------------------------------------------------------------------

    def describe(self, verdict: FileVerdict) -> list[str]:
        """The lines ``verify`` prints for one file: state, signers, findings, notes."""
        colon = " : " if self.lang == "fr" else ": "
        state = (
            text("signatures.verify.state_untrusted", self.lang)
            if verdict.state == "untrusted"
            else self.words[verdict.state]
        )
        lines = [f"{verdict.path}{colon}{state}"]
        for number, check in enumerate(verdict.signatures):
            if not check.signer:
                continue
            attached = verdict.attached_signatures.get(number)
            when = (
                check.signed_at.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
                if check.signed_at
                else None
            )
            signed = (
                self.words["signed_by"].format(signer=check.signer, when=when)
                if when
                else self.words["signed_by_undated"].format(signer=check.signer)
            )
            # A signature that does not hold over the file says nothing of who vouches for
            # it: no trust clause then, not even "give --trust".
            trust = (
                ""
                if not check.intact
                else self.words["trust_unchecked"]
                if check.trusted is None
                else (self.words["trusted"] if check.trusted else "")
            )
            where = f"{attached}{colon}" if attached else ""
            lines.append(f"  {where}{signed}" + (f"{self.words['then']}{trust}" if trust else ""))
            if check.fingerprint:
                lines.append("    " + self.words["fingerprint"].format(digest=check.fingerprint))
        lines.extend(f"  ✗ {finding.text}" for finding in verdict.findings)
        lines.extend(f"  · {note}" for note in verdict.notes)
        if verdict.state == "untrusted":
            lines.append(f"  · {text('signatures.verify.untrusted_note', self.lang)}")
        # Signer names, file and attachment names come from whoever made the file: a newline
        # or a terminal escape there would print a line verify never wrote.
        return [visible_one_line(line) for line in lines]


EXIT_INTACT = 0
"""Every file intact (and, when trust was asked for, every signer vouched for)."""
EXIT_ALTERED = 1
"""A file differs from what was signed, or carries no signature."""
EXIT_UNTRUSTED = 2
"""Every file intact, but a signer no given authority vouches for (``--trust``,
``--require-trust``): like an incomplete evaluation, the check could not be concluded."""
EXIT_BAD_INPUT = 3
"""A path that is not a file verify knows."""


def exit_code(verdicts: Sequence[FileVerdict]) -> int:
    """The exit code of ``verify`` for ``verdicts``.

    1 when any file is altered or unsigned, else 3 when any is bad input, else 2 when a
    signer is not vouched for, else 0 (as for the other commands: 1 before 3 before 2).
    """
    states = {verdict.state for verdict in verdicts}
    if "altered" in states or "unsigned" in states:
        return EXIT_ALTERED
    if "bad_input" in states or not verdicts:
        return EXIT_BAD_INPUT
    if "untrusted" in states:
        return EXIT_UNTRUSTED
    return EXIT_INTACT


SignatureState = Literal["signed", "unsigned", "invalid"]


@dataclass(frozen=True)
class RunSignature:
    """What the ``run.json.sig`` beside a run says of it: signed or not, by whom, vouched for.

    ``compare`` shows it for every bidder; ``--require-signed`` refuses what is not signed.
    """

    state: SignatureState
    """``signed`` (the signature verifies the run), ``unsigned`` (no ``.sig`` beside it) or
    ``invalid`` (a ``.sig`` that does not verify the run, or cannot be read)."""
    file: str
    """Name of the signature file (``run.json.sig``)."""
    signer: str = ""
    fingerprint: str = ""
    """SHA-256 of the signer's certificate, as ``openssl x509 -fingerprint -sha256`` prints."""
    signed_at: datetime | None = None
    trusted: bool | None = None
    """Chains to a given trust anchor (``None``: no anchor was given, or the signature does
    not verify the run)."""
    problems: tuple[str, ...] = ()
    """Why an ``invalid`` signature fails: the codes of :class:`SignatureCheck` (``changed``,
    ``mismatch``, ``unreadable``, ``not_cms``), ``not_regular`` (not a file) or ``dangling``
    (a symbolic link to nothing)."""
    distrust: tuple[Message, ...] = ()
    """Why no given authority vouches for the signer when ``trusted`` is false."""
    content: bytes = field(default=b"", repr=False)
    """The ``.sig`` as read (empty when there was none to read): the comparison PDF
    carries it beside the run, so that its signer can be checked again from the PDF."""
    signed_hash: str = ""
    """SHA-256 of the bytes the signature was checked over (the run.json as read)."""

    @property
    def vouched(self) -> bool:
        """Signed, and a given authority vouches for the signer."""
        return self.state == "signed" and self.trusted is True

    @property
    def no_file(self) -> bool:
        """Invalid because the ``.sig`` is no file to read (a folder, a pipe, a dead link).

        Nothing was checked against the run then, so nothing says the run changed.
        """
        return bool(self.problems) and set(self.problems) <= UNREADABLE_FILE_PROBLEMS


def run_signature(path: Path, data: bytes, trust: Sequence[Any] = ()) -> RunSignature:
    """Check the ``.sig`` beside the run at ``path`` over its bytes ``data``; never raises."""
    sig = signature_path(path)
    if _dangling(sig):
        return RunSignature("invalid", sig.name, problems=("dangling",))
    if not sig.exists():
        return RunSignature("unsigned", sig.name)
    if not sig.is_file():  # a FIFO would block the read for ever
        return RunSignature("invalid", sig.name, problems=("not_regular",))
    try:
        with sig.open("rb") as stream:
            signature = stream.read(MAX_SIGNATURE_BYTES)
    except OSError:
        return RunSignature("invalid", sig.name, problems=("unreadable",))
    check = check_detached(data, signature, trust)
    return RunSignature(
        state="signed" if check.intact else "invalid",
        file=sig.name,
        signer=check.signer,
        fingerprint=check.fingerprint,
        signed_at=check.signed_at,
        trusted=check.trusted,
        problems=tuple(p for p in check.problems if p != "untrusted"),
        distrust=check.distrust,
        content=signature,
        signed_hash=hashlib.sha256(data).hexdigest(),
    )


def signature_problem_texts(signature: RunSignature, lang: str = "fr") -> list[str]:
    """What is wrong with an ``invalid`` run signature, in ``lang`` (empty otherwise)."""
    words = MESSAGES.get(lang, MESSAGES["fr"])
    colon = " : " if lang == "fr" else ": "
    return [
        f"{signature.file}{colon}{words['not_regular']}"
        if code == "not_regular"
        else text("signatures.verify.dangling", lang, where=signature.file)
        if code == "dangling"
        else words[f"sig_{code}"].format(where=signature.file)
        for code in signature.problems
    ]


UNREADABLE_FILE_PROBLEMS = frozenset({"not_regular", "dangling"})
"""Problems of a ``.sig`` that is no file to read at all (a folder, a pipe, a dead link),
as opposed to a signature read that does not verify its run."""


def _dangling(path: Path) -> bool:
    """A symbolic link whose target does not exist (``exists()`` says False for it)."""
    return path.is_symlink() and not path.exists()


def _head(path: Path) -> bytes | None:
    try:
        with path.open("rb") as stream:
            return stream.read(4096)
    except OSError:
        return None


def _kind(path: Path, head: bytes) -> Kind:
    """What a file is, from its first bytes first and its name second."""
    if head.startswith(b"%PDF"):
        return "pdf"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"{"):
        return "run"
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text:
        return "html"
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return "pdf"
    if suffix in (".html", ".htm"):
        return "html"
    if suffix == ".json":
        return "run"
    return "unknown"


def _read_document(path: Path, verdict: FileVerdict, words: dict[str, str]) -> bytes | None:
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_DOCUMENT_BYTES + 1)
    except OSError:
        verdict.state = "bad_input"
        verdict.notes.append(words["missing"])
        return None
    if len(data) > MAX_DOCUMENT_BYTES:
        verdict.state = "bad_input"
        verdict.notes.append(words["too_large"])
        return None
    return data


# Bounded repeats: with ``[^>]*`` every marker rescanned the rest of the file (quadratic).
_RUN_HASH_CELL = re.compile(rb'id="run-hash"[^>]{0,200}>\s{0,200}([0-9a-f]{64})\s{0,200}<')


def _cited_run_hash(html: bytes) -> str | None:
    """The run hash an HTML report prints in its ``#run-hash`` cell, if any."""
    found = _RUN_HASH_CELL.search(html)
    return found.group(1).decode("ascii") if found else None
