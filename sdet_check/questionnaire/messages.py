"""The wording of an import's errors, in French and English.

Every problem an import can find, with its fix, and the frame of the error message.
"""

from __future__ import annotations

_FRESH = "`sdet-check questionnaire {ref} --out questionnaire.ods`"

_MESSAGES: dict[str, dict[str, tuple[str, str]]] = {
    "fr": {
        "no_hidden": (
            "feuille masquée absente : ce classeur n'est pas un questionnaire sdet-check, ou la "
            "feuille a été supprimée",
            "repartir d'un questionnaire produit par {fresh} et y recopier les réponses",
        ),
        "pin_missing": (
            "la valeur « {key} » manque dans la feuille masquée",
            "repartir d'un questionnaire produit par {fresh}",
        ),
        "pin_edited": (
            "la feuille masquée a été modifiée : « {key} » vaut « {value} » alors que les "
            "propriétés du document indiquent « {meta} »",
            "repartir d'un questionnaire produit par {fresh} et y recopier les réponses",
        ),
        "format": (
            "questionnaire de format {found}, cette version de sdet-check lit le format {expected}",
            "repartir d'un questionnaire produit par {fresh}",
        ),
        "other_grid": (
            "questionnaire établi pour la grille {found}, alors que l'import attend {ref} "
            "(sha256 {hash}…)",
            "faire remplir le questionnaire de {ref} ({fresh}), ou importer avec --grid {found} "
            "si c'est bien la grille de l'appel d'offres",
        ),
        "other_content": (
            "questionnaire établi pour une autre version du contenu de {ref} (sha256 {found}…), "
            "alors que l'import attend sha256 {hash}…",
            "faire remplir le questionnaire produit par {fresh} avec la grille installée",
        ),
        "sheet_missing": (
            "feuille absente",
            "remettre la feuille du questionnaire d'origine",
        ),
        "field_gone": (
            "la rubrique « {label} » a disparu (colonne masquée modifiée ?)",
            "repartir de la feuille d'identité du questionnaire d'origine",
        ),
        "field_empty": (
            "« {label} » n'est pas renseigné",
            "écrire cette information dans la colonne « {column} »",
        ),
        "bad_date": (
            "date « {value} » illisible",
            "écrire la date au format AAAA-MM-JJ (par ex. 2026-09-15)",
        ),
        "header": (
            "la ligne d'en-tête a changé (colonne ajoutée, supprimée ou renommée)",
            "remettre les colonnes du questionnaire d'origine dans leur ordre",
        ),
        "added_row": (
            "ligne ajoutée au questionnaire (colonnes masquées vides)",
            "supprimer cette ligne : le questionnaire n'accepte que ses propres lignes",
        ),
        "hidden_edited": (
            "une colonne masquée (« {key} » ou « {seal} ») a été modifiée",
            "repartir du questionnaire d'origine et y recopier les réponses, sans modifier les "
            "colonnes masquées",
        ),
        "duplicate": (
            "deuxième ligne pour {rid} (ligne copiée)",
            "supprimer la copie : une seule ligne par exigence",
        ),
        "id_edited": (
            "l'identifiant affiché « {shown} » ne correspond pas à la ligne ({rid})",
            "remettre {rid} dans la colonne « {column} »",
        ),
        "rows_gone": (
            "{count} ligne(s) du questionnaire ont disparu : {ids}",
            "remettre ces lignes (repartir du questionnaire d'origine)",
        ),
        "no_answer": (
            "{rid} n'a pas de réponse",
            "choisir une valeur parmi {values} (« {blank} » laisse la ligne explicitement sans "
            "réponse)",
        ),
        "unknown_answer": (
            "réponse « {value} » inconnue pour {rid}",
            "choisir une valeur parmi {values}",
        ),
        "blank_with_proofs": (
            "{rid} est « {blank} » mais nomme des preuves",
            "choisir une réponse, ou vider la colonne des fichiers de preuve",
        ),
        "no_proof": (
            "{rid} est déclaré conforme sans preuve",
            "nommer le ou les fichiers de preuve remis (preuve attendue : {expected})",
        ),
        "no_justification": (
            "{rid} est déclaré non applicable sans justification",
            "expliquer pourquoi dans la colonne « {column} »",
        ),
        "titles_count": (
            "{titles} titre(s) pour {files} fichier(s) de preuve",
            "donner un titre par fichier, dans le même ordre, séparés par « ; » (ou aucun)",
        ),
        "hashes_count": (
            "{hashes} empreinte(s) sha256 pour {files} fichier(s) de preuve",
            "donner une empreinte par fichier, dans le même ordre (ou aucune)",
        ),
        "outside": (
            "nom de preuve « {name} » hors du dossier des preuves",
            "donner un nom de fichier relatif au dossier des preuves (sans « .. » ni chemin "
            "absolu)",
        ),
        "missing_file": (
            "preuve « {name} » introuvable dans {folder}",
            "joindre ce fichier au dossier des preuves, ou corriger son nom",
        ),
        "bad_hash": (
            "empreinte « {value} » illisible",
            "écrire l'empreinte sha256 en 64 caractères hexadécimaux (sha256sum FICHIER), ou "
            "vider la cellule",
        ),
        "changed": (
            "la preuve « {name} » a changé : son sha256 est {found}…, le questionnaire annonce "
            "{given}…",
            "joindre la version du document sur laquelle porte la réponse, ou corriger "
            "l'empreinte si le document a été remplacé à bon escient",
        ),
    },
    "en": {
        "no_hidden": (
            "hidden sheet missing: this workbook is not an sdet-check questionnaire, or the "
            "sheet was deleted",
            "start again from a questionnaire made by {fresh} and copy the answers into it",
        ),
        "pin_missing": (
            'the value "{key}" is missing from the hidden sheet',
            "start again from a questionnaire made by {fresh}",
        ),
        "pin_edited": (
            'the hidden sheet was edited: "{key}" reads "{value}" while the document '
            'properties say "{meta}"',
            "start again from a questionnaire made by {fresh} and copy the answers into it",
        ),
        "format": (
            "questionnaire of format {found}; this version of sdet-check reads format {expected}",
            "start again from a questionnaire made by {fresh}",
        ),
        "other_grid": (
            "questionnaire made for grid {found}, while the import expects {ref} (sha256 {hash}…)",
            "have the questionnaire of {ref} answered ({fresh}), or import with --grid {found} "
            "if that is the tender's grid",
        ),
        "other_content": (
            "questionnaire made for another content of {ref} (sha256 {found}…), while the "
            "import expects sha256 {hash}…",
            "have the questionnaire made by {fresh} with the installed grid answered",
        ),
        "sheet_missing": (
            "sheet missing",
            "put back the sheet of the original questionnaire",
        ),
        "field_gone": (
            'the field "{label}" is gone (hidden column edited?)',
            "start again from the identity sheet of the original questionnaire",
        ),
        "field_empty": (
            '"{label}" is empty',
            'write it in the column "{column}"',
        ),
        "bad_date": (
            'unreadable date "{value}"',
            "write the date as YYYY-MM-DD (e.g. 2026-09-15)",
        ),
        "header": (
            "the header row changed (column added, removed or renamed)",
            "put back the columns of the original questionnaire, in their order",
        ),
        "added_row": (
            "row added to the questionnaire (hidden columns empty)",
            "delete this row: the questionnaire only takes its own rows",
        ),
        "hidden_edited": (
            'a hidden column ("{key}" or "{seal}") was edited',
            "start again from the original questionnaire and copy the answers into it, "
            "leaving the hidden columns alone",
        ),
        "duplicate": (
            "second row for {rid} (copied row)",
            "delete the copy: one row per requirement",
        ),
        "id_edited": (
            'the displayed id "{shown}" does not match the row ({rid})',
            'put {rid} back in the column "{column}"',
        ),
        "rows_gone": (
            "{count} row(s) of the questionnaire are gone: {ids}",
            "put these rows back (start again from the original questionnaire)",
        ),
        "no_answer": (
            "{rid} has no answer",
            'choose a value among {values} ("{blank}" leaves the row explicitly unanswered)',
        ),
        "unknown_answer": (
            'unknown answer "{value}" for {rid}',
            "choose a value among {values}",
        ),
        "blank_with_proofs": (
            '{rid} reads "{blank}" but names proofs',
            "choose an answer, or empty the proof files column",
        ),
        "no_proof": (
            "{rid} is declared compliant without a proof",
            "name the proof file(s) handed in (expected proof: {expected})",
        ),
        "no_justification": (
            "{rid} is declared not applicable without a justification",
            'explain why in the column "{column}"',
        ),
        "titles_count": (
            "{titles} title(s) for {files} proof file(s)",
            'give one title per file, in the same order, separated by ";" (or none)',
        ),
        "hashes_count": (
            "{hashes} sha256 fingerprint(s) for {files} proof file(s)",
            "give one fingerprint per file, in the same order (or none)",
        ),
        "outside": (
            'proof name "{name}" outside the proof folder',
            'give a file name relative to the proof folder (no "..", no absolute path)',
        ),
        "missing_file": (
            'proof "{name}" not found in {folder}',
            "add this file to the proof folder, or correct its name",
        ),
        "bad_hash": (
            'unreadable fingerprint "{value}"',
            "write the sha256 fingerprint as 64 hexadecimal characters (sha256sum FILE), or "
            "empty the cell",
        ),
        "changed": (
            'the proof "{name}" changed: its sha256 is {found}…, the questionnaire says {given}…',
            "hand in the version of the document the answer is about, or correct the "
            "fingerprint if the document was rightly replaced",
        ),
    },
}
"""Every problem an import can find, with its fix, in French and English."""

_FRAME = {
    "fr": {
        "sheet": "feuille « {sheet} »", "row": ", ligne {row}", "column": ", colonne « {column} »",
        "line": "{where} : {problem}. À faire : {fix}",
        "summary": "questionnaire refusé, {n} problème(s)",
        "head": "{file} : {problem} ; les corriger, puis relancer l'import :\n{shown}",
        "more": "\n  … et {n} autre(s)",
        "fix": "corriger le questionnaire à ces endroits, puis relancer l'import",
    },
    "en": {
        "sheet": "sheet \"{sheet}\"", "row": ", row {row}", "column": ", column \"{column}\"",
        "line": "{where}: {problem}. To do: {fix}",
        "summary": "questionnaire refused, {n} problem(s)",
        "head": "{file}: {problem}; correct them, then import again:\n{shown}",
        "more": "\n  … and {n} more",
        "fix": "correct the questionnaire at these places, then import it again",
    },
}  # fmt: skip
