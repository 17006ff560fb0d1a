"""The auditor's guided review of a stored run: what is left to decide, answers, the reviews file.

``sdet-check review RUN.json`` walks the auditor through every result still ``manual``;
this module holds everything but the terminal: the items to show (statement, guidance from
the grid, the evidence and declaration the run holds, related results), the reading of a
scripted answers file, the reviews file kept up to date after each answer (it is also the
progress of the review: resuming skips what it already holds), and the re-scoring of a
stored run with a reviews file (``sdet-check report RUN.json --reviews revues.yaml``).

Every user-facing string exists in French and English (:data:`MESSAGES`).
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
import shlex
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from sdet_check.declarations import Review, load_reviews
from sdet_check.errors import InputError, Place, SdetCheckError
from sdet_check.grid import Grid, load_grid, resolve_grid
from sdet_check.labels import status_code
from sdet_check.run import evidence_manifest, rescore, validate_run
from sdet_check.yamlfile import LoadedYaml, read_yaml

ANSWERS_FORMAT = 1
"""Version of the answers file format (``format: 1``)."""

VERDICTS = ("pass", "fail", "not_applicable")
"""What an auditor may decide, as the reviews file writes it."""

_ALIASES = {
    "pass": "pass",
    "c": "pass",
    "conforme": "pass",
    "fail": "fail",
    "nc": "fail",
    "non_conforme": "fail",
    "non conforme": "fail",
    "not_applicable": "not_applicable",
    "not applicable": "not_applicable",
    "na": "not_applicable",
    "non_applicable": "not_applicable",
    "non applicable": "not_applicable",
}
"""Words accepted for a verdict, in either language (case does not matter)."""

_REQUIREMENT_ID = re.compile(r"^[A-Z][A-Z0-9-]*-[0-9]{3}$")

RELATED_LIMIT = 6
"""Most related results shown beside an item."""

MESSAGES: dict[str, dict[str, str]] = {
    "fr": {
        "verdict_pass": "conforme",
        "verdict_fail": "non conforme",
        "verdict_not_applicable": "non applicable",
        "method_declaration": "déclaration de l'éditeur",
        "method_review": "revue de l'auditeur",
        "header": "Revue guidée du run {run} ({target}) : {pending} exigence(s) à examiner "
        "sur {total} en attente ; revues enregistrées dans {file}.",
        "nothing_left": "Aucune exigence en attente de revue dans ce run : il n'y a rien à "
        "examiner.",
        "all_done": "Revue terminée : {count} revue(s) dans {file}.",
        "item_title": "[{index}/{total}] {id} · {level}",
        "title": "Intitulé",
        "axis": "Axe",
        "statement": "Énoncé",
        "wording": "Texte du SDET",
        "source": "Source",
        "method": "Vérification",
        "guidance": "Conseils d'examen",
        "proofs_expected": "Preuves attendues",
        "run_message": "Constat du run",
        "evidence": "Éléments laissés par le run",
        "declaration": "Déclaration de l'éditeur",
        "declaration_line": "{status} ({author}, {date}) : {statement}",
        "document_line": "{title} — empreinte {check}",
        "check_ok": "vérifiée",
        "check_mismatch": "MODIFIÉE depuis la déclaration",
        "check_missing": "document INTROUVABLE",
        "check_not_checked": "non vérifiée (adresse)",
        "related": "Résultats liés",
        "none": "aucun",
        "ask_author": "Nom de l'auditeur (inscrit sur chaque revue)",
        "ask_verdict": "Verdict : C (conforme), NC (non conforme), NA (non applicable), "
        "S (passer pour l'instant), Q (arrêter)",
        "bad_verdict": "Réponse « {answer} » non comprise : taper C, NC, NA, S ou Q.",
        "ask_justification": "Justification (obligatoire)",
        "empty_justification": "La justification ne peut pas être vide : dire ce qui a été "
        "examiné et ce qui fonde le verdict.",
        "ask_proof": "Fichier de preuve (chemin ; laisser vide pour terminer)",
        "ask_proof_title": "Intitulé de la preuve",
        "proof_missing": "Fichier introuvable : {path}. Donner le chemin d'un fichier existant, "
        "ou laisser vide pour terminer.",
        "proof_added": "Preuve ajoutée : {path} (sha256 {sha256}).",
        "saved": "Revue de {id} enregistrée ({done}/{total}).",
        "skipped": "{id} passée : elle sera reproposée à la prochaine reprise.",
        "stopped": "Revue arrêtée : {count} revue(s) enregistrée(s) dans {file}, {left} "
        "exigence(s) restent à examiner.",
        "resume": "Pour reprendre : {command}",
        "next": "Ensuite, pour rendre le rapport recalculé : {command}",
        "answers_done": "{count} réponse(s) enregistrée(s) dans {file} ; {left} exigence(s) "
        "restent à examiner.",
        "demo_next": "{count} exigence(s) attendent une déclaration ou une revue : pour les "
        "examiner, {command}",
        "report_kept": "Le run recalculé n'est pas écrit par-dessus {file} : donner --out "
        "DOSSIER pour l'enregistrer.",
        "report_applied": "Revues appliquées au run : {count} exigence(s) décidée(s) par "
        "l'auditeur.",
        "report_ignored": "Revues sans effet (l'exigence n'est pas en attente de revue dans ce "
        "run) : {ids}.",
        # Errors: problem and fix.
        "err_not_mapping": "le fichier de réponses doit être un dictionnaire YAML",
        "fix_not_mapping": "commencer le fichier par « format: 1 » puis « answers: » suivi de "
        "la liste des réponses",
        "err_format": "format « {value} » inconnu",
        "fix_format": "écrire « format: 1 »",
        "err_unknown_key": "clé inconnue « {key} »",
        "fix_unknown_key": "garder seulement les clés {keys}",
        "err_answers_list": "« answers » doit être une liste de réponses",
        "fix_answers_list": "écrire « answers: » suivi d'éléments « - requirement: … »",
        "err_entry_mapping": "chaque réponse doit être un dictionnaire",
        "fix_entry_mapping": "écrire « - requirement: ID » puis verdict, justification",
        "err_missing_key": "la clé « {key} » manque",
        "fix_missing_key": "ajouter « {key}: … » à cette réponse",
        "err_text": "« {key} » doit être un texte non vide",
        "fix_text": "écrire un texte entre guillemets",
        "err_requirement_id": "identifiant d'exigence « {value} » mal formé",
        "fix_requirement_id": "écrire un identifiant comme LEG-REG-001 (voir `sdet-check grid "
        "show`)",
        "err_verdict": "verdict « {value} » inconnu",
        "fix_verdict": "écrire pass, fail ou not_applicable (ou C, NC, NA)",
        "err_date": "date « {value} » invalide",
        "fix_date": "écrire une date AAAA-MM-JJ, par ex. 2026-10-02",
        "err_proofs_list": "« proofs » doit être une liste de fichiers",
        "fix_proofs_list": "écrire « proofs: » suivi d'éléments « - chemin » ou « - path: … »",
        "err_proof_entry": "une preuve doit être un chemin ou un dictionnaire path / title",
        "fix_proof_entry": "écrire « - preuves/rapport.pdf » ou « - {path: …, title: …} »",
        "err_proof_missing": "fichier de preuve introuvable : {path}",
        "fix_proof_missing": "corriger le chemin (relatif au fichier de réponses) ou ajouter le "
        "fichier",
        "err_duplicate": "deux réponses pour l'exigence « {id} »",
        "fix_duplicate": "garder une seule réponse par exigence",
        "err_no_author": "aucun auditeur pour cette réponse",
        "fix_no_author": "ajouter « author: » à la réponse ou en tête du fichier, ou passer "
        "--auditor",
        "err_unknown_requirement": "l'exigence « {id} » n'existe pas dans la grille du run",
        "fix_unknown_requirement": "corriger l'identifiant (voir `sdet-check grid show {grid}`)",
        "err_probe_requirement": "l'exigence « {id} » est décidée par une sonde, pas par une revue",
        "fix_probe_requirement": "retirer cette réponse ; pour couvrir un échec constaté, écrire "
        "une réserve",
        "err_not_manual": "l'exigence « {id} » n'attend pas de revue dans ce run (statut {status})",
        "fix_not_manual": "retirer cette réponse, ou revoir un run où elle est « à examiner »",
        "err_reviews_probe": "l'exigence « {id} » est décidée par une sonde, pas par une revue",
        "fix_reviews_probe": "retirer cette revue ; pour couvrir un échec constaté, écrire une "
        "réserve",
        "err_reviews_is_run": "le fichier de revues ne peut pas être le run lui-même",
        "fix_reviews_is_run": "choisir un autre chemin avec --out, par ex. revues.yaml",
        "err_write": "écriture impossible ({reason})",
        "fix_write": "choisir un dossier accessible en écriture avec --out",
    },
    "en": {
        "verdict_pass": "compliant",
        "verdict_fail": "not compliant",
        "verdict_not_applicable": "not applicable",
        "method_declaration": "editor's declaration",
        "method_review": "auditor's review",
        "header": "Guided review of run {run} ({target}): {pending} requirement(s) to review "
        "out of {total} waiting; reviews saved to {file}.",
        "nothing_left": "No requirement waits for a review in this run: there is nothing to "
        "review.",
        "all_done": "Review finished: {count} review(s) in {file}.",
        "item_title": "[{index}/{total}] {id} · {level}",
        "title": "Title",
        "axis": "Axis",
        "statement": "Statement",
        "wording": "SDET wording",
        "source": "Source",
        "method": "Verification",
        "guidance": "Review guidance",
        "proofs_expected": "Expected proofs",
        "run_message": "Run finding",
        "evidence": "Evidence left by the run",
        "declaration": "Editor's declaration",
        "declaration_line": "{status} ({author}, {date}): {statement}",
        "document_line": "{title} — hash {check}",
        "check_ok": "verified",
        "check_mismatch": "CHANGED since the declaration",
        "check_missing": "document NOT FOUND",
        "check_not_checked": "not checked (URL)",
        "related": "Related results",
        "none": "none",
        "ask_author": "Auditor's name (written on every review)",
        "ask_verdict": "Verdict: C (compliant), NC (not compliant), NA (not applicable), "
        "S (skip for now), Q (quit)",
        "bad_verdict": "Answer '{answer}' not understood: type C, NC, NA, S or Q.",
        "ask_justification": "Justification (required)",
        "empty_justification": "The justification cannot be empty: say what was examined and "
        "what the verdict rests on.",
        "ask_proof": "Proof file (path; leave empty to finish)",
        "ask_proof_title": "Title of the proof",
        "proof_missing": "File not found: {path}. Give the path of an existing file, or leave "
        "empty to finish.",
        "proof_added": "Proof added: {path} (sha256 {sha256}).",
        "saved": "Review of {id} saved ({done}/{total}).",
        "skipped": "{id} skipped: it will come back when the review is resumed.",
        "stopped": "Review stopped: {count} review(s) saved to {file}, {left} requirement(s) "
        "left to review.",
        "resume": "To resume: {command}",
        "next": "Then, to render the re-scored report: {command}",
        "answers_done": "{count} answer(s) saved to {file}; {left} requirement(s) left to review.",
        "demo_next": "{count} requirement(s) wait for a declaration or a review: to review "
        "them, {command}",
        "report_kept": "The re-scored run is not written over {file}: give --out FOLDER to "
        "save it.",
        "report_applied": "Reviews applied to the run: {count} requirement(s) decided by the "
        "auditor.",
        "report_ignored": "Reviews without effect (the requirement does not wait for a review "
        "in this run): {ids}.",
        "err_not_mapping": "the answers file must be a YAML mapping",
        "fix_not_mapping": "start the file with 'format: 1' then 'answers:' followed by the list "
        "of answers",
        "err_format": "unknown format '{value}'",
        "fix_format": "write 'format: 1'",
        "err_unknown_key": "unknown key '{key}'",
        "fix_unknown_key": "keep only the keys {keys}",
        "err_answers_list": "'answers' must be a list of answers",
        "fix_answers_list": "write 'answers:' followed by items '- requirement: …'",
        "err_entry_mapping": "each answer must be a mapping",
        "fix_entry_mapping": "write '- requirement: ID' then verdict, justification",
        "err_missing_key": "the key '{key}' is missing",
        "fix_missing_key": "add '{key}: …' to this answer",
        "err_text": "'{key}' must be a non-empty text",
        "fix_text": "write a quoted text",
        "err_requirement_id": "malformed requirement id '{value}'",
        "fix_requirement_id": "write an id such as LEG-REG-001 (see `sdet-check grid show`)",
        "err_verdict": "unknown verdict '{value}'",
        "fix_verdict": "write pass, fail or not_applicable (or C, NC, NA)",
        "err_date": "invalid date '{value}'",
        "fix_date": "write a YYYY-MM-DD date, e.g. 2026-10-02",
        "err_proofs_list": "'proofs' must be a list of files",
        "fix_proofs_list": "write 'proofs:' followed by items '- path' or '- path: …'",
        "err_proof_entry": "a proof must be a path or a path / title mapping",
        "fix_proof_entry": "write '- proofs/report.pdf' or '- {path: …, title: …}'",
        "err_proof_missing": "proof file not found: {path}",
        "fix_proof_missing": "fix the path (relative to the answers file) or add the file",
        "err_duplicate": "two answers for requirement '{id}'",
        "fix_duplicate": "keep one answer per requirement",
        "err_no_author": "no auditor for this answer",
        "fix_no_author": "add 'author:' to the answer or at the top of the file, or pass --auditor",
        "err_unknown_requirement": "requirement '{id}' is not in the run's grid",
        "fix_unknown_requirement": "fix the id (see `sdet-check grid show {grid}`)",
        "err_probe_requirement": "requirement '{id}' is decided by a probe, not by a review",
        "fix_probe_requirement": "remove this answer; to cover an observed failure, write a waiver",
        "err_not_manual": "requirement '{id}' does not wait for a review in this run (status "
        "{status})",
        "fix_not_manual": "remove this answer, or review a run where it is 'to review'",
        "err_reviews_probe": "requirement '{id}' is decided by a probe, not by a review",
        "fix_reviews_probe": "remove this review; to cover an observed failure, write a waiver",
        "err_reviews_is_run": "the reviews file cannot be the run itself",
        "fix_reviews_is_run": "choose another path with --out, e.g. reviews.yaml",
        "err_write": "cannot write ({reason})",
        "fix_write": "choose a writable folder with --out",
    },
}


def say(lang: str, key: str, /, **values: object) -> str:
    """The message ``key`` in ``lang`` (French unless ``en``), filled with ``values``."""
    words = MESSAGES["en" if lang == "en" else "fr"]
    return words[key].format(**values)


class ReviewInputError(InputError):
    """Bad input to the review (answers file, reviews file), worded in the user's language."""

    def __init__(
        self, file: Path | str, problem: str, fix: str, place: Place | None = None, lang: str = "fr"
    ):
        """Record where and what, as :class:`InputError`, and the language of the message."""
        self.lang = lang
        super().__init__(file, problem, fix, place)

    def render(self) -> str:
        """``file (line 3, key answers[0].verdict): problem. To do: fix`` in English."""
        if self.lang != "en":
            return super().render()
        parts = []
        if self.place.line is not None:
            parts.append(f"line {self.place.line}")
        if self.place.path:
            parts.append(f"key {self.place.path}")
        where = f"{self.file} ({', '.join(parts)})" if parts else self.file
        return f"{where}: {self.problem}. To do: {self.fix}"


# ---------------------------------------------------------------------------------------------
# What the auditor sees


@dataclass(frozen=True)
class RelatedResult:
    """A result of the same run that shares one of the item's tags, or its axis."""

    requirement: str
    status: str
    title: str
    message: str


@dataclass(frozen=True)
class DeclaredFact:
    """The editor's declaration on the item, as the run recorded it."""

    status: str
    statement: str
    author: str
    date: str
    documents: tuple[tuple[str, str], ...]
    """(title, check) of each proof document."""


@dataclass(frozen=True)
class ReviewItem:
    """One requirement still ``manual`` in a run, with everything the auditor needs to judge it.

    Texts are already in the review's language.
    """

    requirement: str
    axis: str
    level: str
    method: str
    title: str
    statement: str
    source: str
    message: str
    wording: str | None = None
    guidance: str | None = None
    proofs_expected: str | None = None
    evidence: tuple[str, ...] = ()
    declaration: DeclaredFact | None = None
    related: tuple[RelatedResult, ...] = ()


def _text(value: Any, lang: str) -> str | None:
    """A ``{fr:, en:}`` text of a run record in ``lang`` (or the plain string it already is)."""
    if isinstance(value, Mapping):
        chosen = value.get("en" if lang == "en" else "fr") or value.get("fr")
        return str(chosen) if chosen else None
    return str(value) if value else None


def bundled_grid(record: Mapping[str, Any]) -> Grid | None:
    """The installed grid the run was made with, when it is the very same (content hash).

    The run record does not carry the review guidance nor the expected proofs; the
    installed grid does. A grid that is absent or differs gives ``None``: the review goes
    on with what the run holds.
    """
    summary = record.get("grid", {})
    try:
        grid = load_grid(resolve_grid(f"{summary.get('id')}/{summary.get('version')}"))
    except (SdetCheckError, OSError):
        return None
    return grid if grid.content_hash == summary.get("content_hash") else None


def review_items(
    record: Mapping[str, Any], lang: str = "fr", grid: Grid | None = None
) -> list[ReviewItem]:
    """Every result still ``manual`` in ``record``, in the run's order, ready to show.

    ``grid`` (the run's own grid, see :func:`bundled_grid`) adds guidance and expected proofs.
    """
    requirements = {r["id"]: r for r in record["grid"]["requirements"]}
    axes = {a["id"]: _text(a["label"], lang) or a["id"] for a in record["grid"]["axes"]}
    declarations = {d["requirement"]: d for d in record.get("declarations", [])}
    known = {r.id: r for r in grid.requirements} if grid is not None else {}
    items = []
    for entry in record["results"]:
        if entry["status"] != "manual":
            continue
        rid = entry["requirement"]
        requirement = requirements[rid]
        verification = requirement.get("verification", {})
        from_grid = known.get(rid)
        guidance = _text(verification.get("guidance"), lang)
        proofs = _text(verification.get("proofs"), lang)
        if from_grid is not None:
            grid_guidance = from_grid.verification.guidance
            grid_proofs = from_grid.verification.proofs
            guidance = guidance or (grid_guidance.get(lang) if grid_guidance else None)
            proofs = proofs or (grid_proofs.get(lang) if grid_proofs else None)
        source = requirement.get("source", {})
        method = str(verification.get("method", "review"))
        items.append(
            ReviewItem(
                requirement=rid,
                axis=axes.get(requirement["axis"], requirement["axis"]),
                level=requirement["level"],
                method=say(lang, f"method_{method}") if method != "probe" else method,
                title=_text(requirement.get("title"), lang) or rid,
                statement=_text(requirement.get("statement"), lang) or "",
                source=" ".join(str(source[k]) for k in ("document", "version") if source.get(k))
                + (f", {source['section']}" if source.get("section") else ""),
                message=str(entry.get("message", "")),
                wording=source.get("wording"),
                guidance=guidance,
                proofs_expected=proofs,
                evidence=tuple(
                    str(piece.get("summary", "")) for piece in entry.get("evidence", [])
                ),
                declaration=_declared(declarations.get(rid), lang),
                related=tuple(_related(record, requirements, requirement, lang)),
            )
        )
    return items


def _declared(data: Mapping[str, Any] | None, lang: str) -> DeclaredFact | None:
    if data is None:
        return None
    return DeclaredFact(
        status=_declared_status(str(data.get("status", "")), lang),
        statement=str(data.get("statement", "")),
        author=str(data.get("author", "")),
        date=str(data.get("date", "")),
        documents=tuple(
            (str(d.get("title", "")), say(lang, f"check_{_check(d.get('check'))}"))
            for d in data.get("documents", [])
        ),
    )


def _declared_status(status: str, lang: str) -> str:
    """``conforme``, ``non_conforme``, ``non_applicable`` in the review's language."""
    verdict = parse_verdict(status)
    return say(lang, f"verdict_{verdict}") if verdict else status.replace("_", " ")


def _check(value: Any) -> str:
    """A proof document's check as the run recorded it (an unknown value reads not checked)."""
    return value if value in ("ok", "mismatch", "missing") else "not_checked"


def _related(
    record: Mapping[str, Any],
    requirements: Mapping[str, Mapping[str, Any]],
    requirement: Mapping[str, Any],
    lang: str,
) -> list[RelatedResult]:
    """Results sharing a tag first (closest), then the same axis; decided results before others."""
    tags = set(requirement.get("tags", []))
    ranked = []
    for position, entry in enumerate(record["results"]):
        other = requirements[entry["requirement"]]
        if other["id"] == requirement["id"]:
            continue
        shared = tags & set(other.get("tags", []))
        same_axis = other["axis"] == requirement["axis"]
        if not shared and not same_axis:
            continue
        undecided = entry["status"] in ("manual", "not_tested", "not_applicable")
        ranked.append(((not shared, undecided, position), entry, other))
    ranked.sort(key=lambda item: item[0])
    return [
        RelatedResult(
            requirement=entry["requirement"],
            status=status_code(entry["status"], bool(entry.get("waived"))),
            title=_text(other.get("title"), lang) or entry["requirement"],
            message=str(entry.get("message", "")),
        )
        for _, entry, other in ranked[:RELATED_LIMIT]
    ]


def next_review_hint(record: Mapping[str, Any], run_file: Path, lang: str = "fr") -> str | None:
    """The line that tells what to run next when ``record`` holds ``manual`` results."""
    count = sum(1 for entry in record["results"] if entry["status"] == "manual")
    if not count:
        return None
    words = ["sdet-check", *(["--lang", "en"] if lang == "en" else []), "review", str(run_file)]
    return say(lang, "demo_next", count=count, command=shlex.join(words))


def parse_verdict(text: str) -> str | None:
    """``pass``, ``fail`` or ``not_applicable`` from what a person typed (C, NC, NA...)."""
    return _ALIASES.get(" ".join(text.strip().lower().replace("-", "_").split()))


# ---------------------------------------------------------------------------------------------
# The reviews file, kept up to date after each answer


@dataclass(frozen=True)
class ProofFile:
    """A proof file the auditor gives, before it is hashed into the reviews file."""

    path: Path
    title: str


@dataclass(frozen=True)
class Answer:
    """The auditor's answer on one requirement."""

    requirement: str
    verdict: str
    justification: str
    author: str
    date: str
    proofs: tuple[ProofFile, ...] = ()


def sha256_file(path: Path) -> str:
    """sha256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class ReviewBook:
    """The reviews file being written: what it already holds is what the review skips.

    The file is rewritten whole (through a temporary file and a rename) after each answer,
    so an interruption at any moment leaves either the previous or the new version.
    """

    file: Path
    auditor: str | None = None
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    lang: str = "fr"

    @classmethod
    def open(
        cls, file: Path, known_ids: Iterable[str], auditor: str | None = None, lang: str = "fr"
    ) -> ReviewBook:
        """Open ``file`` (a reviews file, validated) or start an empty one if it does not exist."""
        book = cls(file=file, auditor=auditor, lang=lang)
        if file.exists():
            reviews, _ = load_reviews(file, list(known_ids))
            loaded = read_yaml(file).data
            book.auditor = auditor or loaded.get("auditor")
            for review in reviews:
                book.entries[review.requirement] = _review_entry(review)
        return book

    def answered(self) -> set[str]:
        """Requirements the file already decides."""
        return set(self.entries)

    def add(self, answer: Answer, *, save: bool = True) -> dict[str, Any]:
        """Record ``answer`` (proof files hashed now) and, unless told not to, save the file."""
        entry: dict[str, Any] = {
            "requirement": answer.requirement,
            "status": answer.verdict,
            "comment": answer.justification,
            "author": answer.author,
            "date": answer.date,
        }
        if answer.proofs:
            entry["documents"] = [
                {
                    "title": proof.title,
                    "path": _relative_to(proof.path, self.file.parent),
                    "sha256": sha256_file(proof.path),
                }
                for proof in answer.proofs
            ]
        self.entries.pop(answer.requirement, None)  # a new answer replaces an older one
        self.entries[answer.requirement] = entry
        if save:
            self.save()
        return entry

    def to_yaml(self) -> str:
        """The reviews file text, as ``run --reviews`` and ``report --reviews`` read it."""
        data: dict[str, Any] = {"format": 1}
        if self.auditor:
            data["auditor"] = self.auditor
        data["reviews"] = list(self.entries.values())
        header = (
            "# Revues de l'auditeur écrites par `sdet-check review` ; les preuves sont "
            "épinglées par sha256.\n"
        )
        body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
        return header + body

    def save(self) -> None:
        """Write the file atomically; :class:`ReviewInputError` when the folder is not writable."""
        text = self.to_yaml()
        folder = self.file.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".revues-", suffix=".tmp", dir=folder)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.file)
        except OSError as exc:
            raise ReviewInputError(
                self.file,
                say(self.lang, "err_write", reason=exc.strerror or exc),
                say(self.lang, "fix_write"),
                lang=self.lang,
            ) from None


def _review_entry(review: Review) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "requirement": review.requirement,
        "status": review.status,
        "comment": review.text,
        "author": review.author,
        "date": review.date,
    }
    if review.documents:
        entry["documents"] = [
            {
                k: v
                for k, v in (
                    ("title", d.title),
                    ("path", d.path),
                    ("url", d.url),
                    ("sha256", d.sha256),
                )
                if v
            }
            for d in review.documents
        ]
    return entry


def _relative_to(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` when they share a folder below the root, else absolute.

    An audit folder (run, reviews, proofs) then moves as a whole; a proof elsewhere on the
    machine keeps a path that still reads after the reviews file moved.
    """
    target, folder = path.resolve(), base.resolve()
    try:
        common = Path(os.path.commonpath([target, folder]))
    except ValueError:  # another drive
        return str(target)
    if common == Path(common.anchor):
        return str(target)
    return os.path.relpath(target, folder)


def check_target_file(run_file: Path, reviews_file: Path, lang: str = "fr") -> None:
    """Refuse to write the reviews over the run record itself."""
    if reviews_file.resolve() == run_file.resolve():
        raise ReviewInputError(
            reviews_file,
            say(lang, "err_reviews_is_run"),
            say(lang, "fix_reviews_is_run"),
            lang=lang,
        )


# ---------------------------------------------------------------------------------------------
# The answers file: a scripted review

_TOP_KEYS = ("format", "auditor", "author", "date", "answers")
_ENTRY_KEYS = ("requirement", "verdict", "justification", "proofs", "author", "date")


@dataclass(frozen=True)
class AnswersFile:
    """A read answers file: its answers and where each sits, for errors found later."""

    file: Path
    auditor: str | None
    answers: tuple[Answer, ...]
    loaded: LoadedYaml
    lang: str = "fr"

    def error(self, index: int, key: str, problem: str, fix: str) -> ReviewInputError:
        """An error pointing at ``answers[index].key`` of this file."""
        return ReviewInputError(
            self.file, problem, fix, self.loaded.place(["answers", index, key]), lang=self.lang
        )


def read_answers(
    file: Path, *, lang: str = "fr", author: str | None = None, today: date | None = None
) -> AnswersFile:
    """Read and check an answers file; :class:`ReviewInputError` naming the line and the fix.

    The file::

        format: 1
        auditor: "Cabinet d'audit"        # optional: the auditing body
        author: "Alice Auditrice"         # default for every answer (or --auditor)
        date: 2026-10-02                  # default for every answer (today otherwise)
        answers:
          - requirement: LEG-REG-001
            verdict: pass                 # pass, fail, not_applicable (or C, NC, NA)
            justification: "Registre examiné..."
            proofs:                       # optional, paths relative to this file
              - preuves/registre.txt
              - {path: preuves/pv.pdf, title: "Procès-verbal"}

    ``author`` (the command line's ``--auditor``) wins over the file's own ``author``.
    """
    loaded = read_yaml(file)
    data = loaded.data

    def fail(
        where: list[str | int], problem_key: str, fix_key: str, /, **values: object
    ) -> ReviewInputError:
        return ReviewInputError(
            file,
            say(lang, problem_key, **values),
            say(lang, fix_key, **values),
            loaded.place(where),
            lang=lang,
        )

    if not isinstance(data, Mapping):
        raise fail([], "err_not_mapping", "fix_not_mapping")
    for key in data:
        if key not in _TOP_KEYS:
            raise fail([key], "err_unknown_key", "fix_unknown_key", key=key, keys=_keys(_TOP_KEYS))
    if "format" in data and data["format"] != ANSWERS_FORMAT:
        raise fail(["format"], "err_format", "fix_format", value=data["format"])
    for key in ("auditor", "author"):
        if key in data and not _is_text(data[key]):
            raise fail([key], "err_text", "fix_text", key=key)
    default_date = _date(data.get("date"), ["date"], fail) if "date" in data else None
    if "answers" not in data:
        raise fail([], "err_missing_key", "fix_missing_key", key="answers")
    entries = data["answers"]
    if not isinstance(entries, list):
        raise fail(["answers"], "err_answers_list", "fix_answers_list")
    answers: list[Answer] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        here: list[str | int] = ["answers", index]
        if not isinstance(entry, Mapping):
            raise fail(here, "err_entry_mapping", "fix_entry_mapping")
        for key in entry:
            if key not in _ENTRY_KEYS:
                raise fail(
                    [*here, key], "err_unknown_key", "fix_unknown_key", key=key,
                    keys=_keys(_ENTRY_KEYS),
                )  # fmt: skip
        for key in ("requirement", "verdict", "justification"):
            if key not in entry:
                raise fail(here, "err_missing_key", "fix_missing_key", key=key)
        for key in ("requirement", "justification", "author"):
            if key in entry and not _is_text(entry[key]):
                raise fail([*here, key], "err_text", "fix_text", key=key)
        rid = entry["requirement"].strip()
        if not _REQUIREMENT_ID.match(rid):
            raise fail(
                [*here, "requirement"], "err_requirement_id", "fix_requirement_id", value=rid
            )
        verdict = parse_verdict(str(entry["verdict"]))
        if verdict is None:
            raise fail([*here, "verdict"], "err_verdict", "fix_verdict", value=entry["verdict"])
        if rid in seen:
            raise fail([*here, "requirement"], "err_duplicate", "fix_duplicate", id=rid)
        seen.add(rid)
        who = author or entry.get("author") or data.get("author")
        if not who:
            raise fail(here, "err_no_author", "fix_no_author")
        when = (
            _date(entry["date"], [*here, "date"], fail)
            if "date" in entry
            else default_date or (today or date.today()).isoformat()
        )
        answers.append(
            Answer(
                requirement=rid,
                verdict=verdict,
                justification=entry["justification"].strip(),
                author=str(who).strip(),
                date=when,
                proofs=_proofs(entry.get("proofs"), file.parent, [*here, "proofs"], fail),
            )
        )
    auditor = data.get("auditor")
    return AnswersFile(
        file=file,
        auditor=str(auditor).strip() if auditor else None,
        answers=tuple(answers),
        loaded=loaded,
        lang=lang,
    )


def _keys(keys: Sequence[str]) -> str:
    return ", ".join(keys)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _date(value: Any, path: list[str | int], fail: Any) -> str:
    text = str(value)
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise fail(path, "err_date", "fix_date", value=text) from None


def _proofs(value: Any, base: Path, path: list[str | int], fail: Any) -> tuple[ProofFile, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise fail(path, "err_proofs_list", "fix_proofs_list")
    proofs = []
    for index, item in enumerate(value):
        here = [*path, index]
        if isinstance(item, str) and item.strip():
            name, title = item.strip(), None
        elif (
            isinstance(item, Mapping)
            and _is_text(item.get("path"))
            and set(item) <= {"path", "title"}
            and (item.get("title") is None or _is_text(item.get("title")))
        ):
            name, title = item["path"].strip(), item.get("title")
        else:
            raise fail(here, "err_proof_entry", "fix_proof_entry")
        resolved = Path(name).expanduser()
        resolved = resolved if resolved.is_absolute() else base / resolved
        if not resolved.is_file():
            raise fail(here, "err_proof_missing", "fix_proof_missing", path=resolved)
        proofs.append(ProofFile(path=resolved, title=str(title or resolved.name).strip()))
    return tuple(proofs)


def check_answers(answers: AnswersFile, record: Mapping[str, Any]) -> None:
    """Refuse an answer on a requirement the run does not hold, a probe's, or one not ``manual``."""
    lang = answers.lang
    requirements = {r["id"]: r for r in record["grid"]["requirements"]}
    statuses = {e["requirement"]: e["status"] for e in record["results"]}
    grid_ref = f"{record['grid']['id']}/{record['grid']['version']}"
    for index, answer in enumerate(answers.answers):
        rid = answer.requirement
        if rid not in requirements:
            raise answers.error(
                index,
                "requirement",
                say(lang, "err_unknown_requirement", id=rid),
                say(lang, "fix_unknown_requirement", grid=grid_ref),
            )
        if requirements[rid].get("verification", {}).get("method") == "probe":
            raise answers.error(
                index,
                "requirement",
                say(lang, "err_probe_requirement", id=rid),
                say(lang, "fix_probe_requirement"),
            )
        if statuses.get(rid) != "manual":
            raise answers.error(
                index,
                "requirement",
                say(lang, "err_not_manual", id=rid, status=statuses.get(rid, "not_tested")),
                say(lang, "fix_not_manual"),
            )


def record_answers(book: ReviewBook, answers: AnswersFile, record: Mapping[str, Any]) -> int:
    """Check every answer against the run, then write them all at once; return how many."""
    check_answers(answers, record)
    if answers.auditor and not book.auditor:
        book.auditor = answers.auditor
    for answer in answers.answers:
        book.add(answer, save=False)
    book.save()
    return len(answers.answers)


# ---------------------------------------------------------------------------------------------
# Re-scoring a stored run with a reviews file


@dataclass(frozen=True)
class Rescored:
    """A run record decided again with a reviews file, and what the reviews changed."""

    record: dict[str, Any]
    applied: tuple[str, ...]
    ignored: tuple[str, ...]


def apply_reviews_file(record: Mapping[str, Any], reviews_file: Path, lang: str = "fr") -> Rescored:
    """Decide the ``manual`` results of a stored run with a reviews file, then re-score it.

    Nothing touches the network: the verdicts replace ``manual`` statuses exactly as
    ``run --reviews`` would have, the review is added as evidence, the evidence manifest and
    the score are computed again. A review on a probe's requirement is refused; a review on
    a requirement that is not ``manual`` in this run changes nothing and is listed in
    :attr:`Rescored.ignored`.
    """
    requirements = {r["id"]: r for r in record["grid"]["requirements"]}
    reviews, pinned = load_reviews(reviews_file, list(requirements))
    for review in reviews:
        if requirements[review.requirement].get("verification", {}).get("method") == "probe":
            raise ReviewInputError(
                reviews_file,
                say(lang, "err_reviews_probe", id=review.requirement),
                say(lang, "fix_reviews_probe"),
                lang=lang,
            )
    edited = copy.deepcopy(dict(record))
    by_requirement = {review.requirement: review for review in reviews}
    applied: list[str] = []
    for entry in edited["results"]:
        found = by_requirement.get(entry["requirement"])
        if found is None or entry["status"] != "manual":
            continue
        review = found
        entry["status"] = review.status
        entry["message"] = (
            f"Décidé par la revue de l'auditeur ({review.author}, {review.date})."
            if lang != "en"
            else f"Decided by the auditor's review ({review.author}, {review.date})."
        )
        summary = (
            f"Revue de {review.author} du {review.date} : {review.text}"
            if lang != "en"
            else f"Review by {review.author} on {review.date}: {review.text}"
        )
        entry["evidence"] = [
            *entry.get("evidence", []),
            {"kind": "review", "summary": summary, "data": review.to_json()},
        ]
        # As in a run: a failure the auditor finds is covered by a valid waiver on it.
        entry["waived"] = review.status == "fail" and entry.get("waiver_state") == "valid"
        applied.append(entry["requirement"])
    done = set(applied)
    edited["reviews"] = [
        *(r for r in edited.get("reviews", []) if r["requirement"] not in done),
        *(review.to_json() for review in reviews if review.requirement in done),
    ]
    edited["inputs"]["reviews"] = {"path": pinned.path, "sha256": pinned.sha256}
    edited["evidence_manifest"] = evidence_manifest(edited["results"])
    edited["score"] = rescore(edited).to_json()
    validate_run(edited, reviews_file)
    ignored = tuple(review.requirement for review in reviews if review.requirement not in done)
    return Rescored(record=edited, applied=tuple(applied), ignored=ignored)
