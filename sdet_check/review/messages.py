"""The words of the review, in French and English, and :func:`say` to fill them."""

from __future__ import annotations

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
