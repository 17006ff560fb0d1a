"""English rendering of AAF findings, made at report time from the French ones.

Validation produces French messages (they cross worker processes and are what the French
reports print byte for byte). An English report reads each message back against its rule's
French template, translates the fields that hold French text (``detail`` and a few others)
through the pairs of templates below, and fills the rule's English template. A text that no
pattern knows is kept as it is: tests assert that none is left on generated defective sets.
"""

from __future__ import annotations

import re
from functools import lru_cache
from string import Formatter

from sdet_check.aaf.model import Finding
from sdet_check.aaf.rules import RULES

MASKED_EN = "‹masked›"
_MASKED_FR = "‹masqué›"

DETAILS: tuple[tuple[str, str], ...] = (
    # checks.py: identifier, category, attributes, values, profiles
    ("identifier/id absent ou vide", "identifier/id missing or empty"),
    ("identifier/id « {key} » différent de {join} « {joined} »",
     "identifier/id “{key}” differs from {join} “{joined}”"),
    ("absent : ne désigne aucune famille AAF", "missing: names no AAF family"),
    ("absent : ne désigne aucune famille AAF (famille du fichier : {family})",
     "missing: names no AAF family (family of the file: {family})"),
    ("« {pair} » : ne désigne aucune famille AAF", "“{pair}”: names no AAF family"),
    ("« {pair} » : ne désigne aucune famille AAF (famille du fichier : {family})",
     "“{pair}”: names no AAF family (family of the file: {family})"),
    ("« {pair} » : requête {family} dans un fichier {other}",
     "“{pair}”: {family} request in a {other} file"),
    (" (attribut de la famille {family})", " (attribute of the {family} family)"),
    (" (vouliez-vous écrire « {known} » ?)", " (did you mean “{known}”?)"),
    ("donné plusieurs fois", "given more than once"),
    ("monovalué mais porte {count} valeurs", "single-valued but carries {count} values"),
    ("valeur « {value} » de {attribute} hors de la liste des profils nationaux",
     "value “{value}” of {attribute} is not in the list of national profiles"),
    ("champ {n} : {inner}", "field {n}: {inner}"),
    ("code numérique attendu", "numeric code expected"),
    ("O ou N attendu", "O or N expected"),
    ("0 ou 1 attendu", "0 or 1 expected"),
    ("niveau de responsabilité 0, 1 (représentant légal) ou 2 (personne en charge) attendu",
     "responsibility level 0, 1 (legal representative) or 2 (person in charge) expected"),
    ("civilité M., Mme ou Mlle attendue", "title M., Mme or Mlle expected"),
    ("profil {wrong} incompatible avec la catégorie {family} ({implied} attendu)",
     "profile {wrong} incompatible with the category {family} ({implied} expected)"),
    ("aucun profil national : aucune fonction (ENTPersonFonctions) dont le code figure "
     "dans la table nationale",
     "no national profile: no function (ENTPersonFonctions) whose code is in the national "
     "table"),
    ("aucun profil national : aucune fonction (ENTPersonFonctions) donnée",
     "no national profile: no function (ENTPersonFonctions) given"),
    # nomenclature.py: value domains
    ("format attendu : 7 chiffres puis une lettre majuscule",
     "expected format: 7 digits then a capital letter"),
    ("lettre clé attendue {letter} pour {digits}", "check letter {letter} expected for {digits}"),
    ("format attendu jj/mm/aaaa", "expected format dd/mm/yyyy"),
    ("cette date n'existe pas", "this date does not exist"),
    ("format attendu : 10 chiffres ou lettres majuscules puis une lettre",
     "expected format: 10 digits or capital letters then a letter"),
    ("forme attendue AAF-VEaamm (par exemple AAF-VE2407)",
     "expected form AAF-VEyymm (for example AAF-VE2407)"),
    ("code postal français attendu : cinq chiffres (de 01000 à 98999)",
     "French postal code expected: five digits (01000 to 98999)"),
    ("numéro attendu : dix chiffres commençant par 0, ou + et l'indicatif du pays",
     "number expected: ten digits starting with 0, or + and the country code"),
    ("adresse attendue de la forme nom@domaine.tld (caractères ASCII)",
     "address expected in the form name@domain.tld (ASCII characters)"),
    ("SIREN (9 chiffres) ou SIRET (14 chiffres) attendu",
     "SIREN (9 digits) or SIRET (14 digits) expected"),
    ("chiffre de contrôle du {number} invalide", "invalid {number} check digit"),
    ("secteur attendu : PU (public) ou PR (privé)", "sector expected: PU (public) or PR (private)"),
    ("code de nomenclature attendu : {digits} chiffres",
     "nomenclature code expected: {digits} digits"),
    # crossref.py: keys and links
    (" par un enregistrement {family}", " by a {family} record"),
    ("absent des fichiers Eleve", "missing from the Eleve files"),
    ("ne cite pas ce responsable dans ENTElevePersRelEleve",
     "does not list this relative in ENTElevePersRelEleve"),
    # reader.py and scan.py: names, XML, encoding, DOCTYPE
    (" : la date {day} n'existe pas", ": the date {day} does not exist"),
    (" : la famille se déduit alors du contenu", ": the family is then inferred from the content"),
    ("plus de {size} Mo lus sans qu'une requête se termine (requête démesurée, ou éléments hors "
     "de toute requête) : lecture du fichier arrêtée à cet endroit",
     "more than {size} MB read without a request ending (oversized request, or elements "
     "outside any request): reading of the file stopped here"),
    ("le document désigne une ressource externe ({url}), non ouverte",
     "the document refers to an external resource ({url}), not opened"),
    ("élément <{tag}> inattendu sous <{root}>", "unexpected element <{tag}> under <{root}>"),
    ("texte « {text} » hors de toute requête", "text “{text}” outside any request"),
    ("encodage non pris en charge", "unsupported encoding"),
    ("octets invalides pour cet encodage (encodage déclaré faux ou fichier mal converti)",
     "invalid bytes for this encoding (wrong declared encoding or badly converted file)"),
    ("balise fermante </{found}> au lieu de </{open}>",
     "closing tag </{found}> instead of </{open}>"),
    ("fin de fichier dans <{tag}> (tronqué ?)", "end of file inside <{tag}> (truncated?)"),
    ("fin de fichier avant la balise fermante (tronqué ?)",
     "end of file before the closing tag (truncated?)"),
    ("contenu après la fin du document", "content after the end of the document"),
    ("imbrication excessive ({depth} niveaux)", "excessive nesting ({depth} levels)"),
    ("amplification d'entités excessive : bombe d'entités refusée",
     "excessive entity amplification: entity bomb refused"),
    ("déclaration DOCTYPE absente", "DOCTYPE declaration missing"),
    ("DOCTYPE « {doctype} » : {root} et {dtd} attendus",
     "DOCTYPE “{doctype}”: {root} and {dtd} expected"),
    ("sous-ensemble interne de DTD ignoré (ses entités ne sont pas développées)",
     "internal DTD subset ignored (its entities are not expanded)"),
    # dtd.py: libxml2 validity messages, already put into French
    ("contenu de <{element}> : attendu {expected}, trouvé {found}",
     "content of <{element}>: expected {expected}, found {found}"),
    ("élément <{element}> non déclaré", "element <{element}> not declared"),
    ("attribut XML « {name} » non déclaré sur <{element}>",
     "XML attribute “{name}” not declared on <{element}>"),
    ("attribut XML « {name} » obligatoire absent de <{element}>",
     "required XML attribute “{name}” missing from <{element}>"),
    ("valeur « {value} » de l'attribut XML {name} de <{element}> non permise",
     "value “{value}” of the XML attribute {name} of <{element}> not allowed"),
    ("<{element}> ne doit contenir que du texte", "<{element}> must contain text only"),
    # crossref.py and validate.py: checks not made
    ("{file} n'a pas pu être lu jusqu'au bout : références vers {family} non vérifiées",
     "{file} could not be read to the end: references to {family} not checked"),
    ("aucun fichier Complet {family} dans le jeu", "no Complet {family} file in the set"),
    ("aucun fichier Complet {family} dans le jeu : Delta {delta} non vérifié",
     "no Complet {family} file in the set: Delta {delta} not checked"),
    ("{count} responsable(s) sans ENTAuxPersRelEleveEleve : réciprocité non vérifiée pour eux",
     "{count} relative(s) without ENTAuxPersRelEleveEleve: reciprocity not checked for them"),
)  # fmt: skip
"""French detail templates and their English rendering; a field named ``inner`` is itself a
detail, translated in turn."""

STRUCTURE_NOTES = (
    ("{structure}, qui ne déclare pas ses classes et où aucun élève n'y est",
     "{structure}, which declares no classes and has no pupil in any"),
    ("{structure}, qui ne déclare pas ses groupes et où aucun élève n'y est",
     "{structure}, which declares no groups and has no pupil in any"),
)  # fmt: skip

_WORDS = {
    "op": {"ajout": "addition", "modification": "modification", "suppression": "deletion"},
    "kind": {"classe": "class", "groupe": "group"},
}
"""Fields holding one French word, and its English rendering."""

_DTD_SEPARATOR = " ; "


@lru_cache(maxsize=256)
def _pattern(template: str) -> re.Pattern[str]:
    """A regular expression that reads the fields of ``template`` back from a rendered text."""
    parts: list[str] = []
    for literal, name, _, _ in Formatter().parse(template):
        parts.append(re.escape(literal))
        if name is not None:
            # a family name has no space: this splits "{family}{detail}" where they touch
            parts.append(f"(?P<{name}>\\S+)" if name == "family" else f"(?P<{name}>.*?)")
    return re.compile("".join(parts), re.DOTALL)


def _read(template: str, text: str) -> dict[str, str] | None:
    match = _pattern(template).fullmatch(text)
    return match.groupdict() if match else None


def _translate(text: str, pairs: tuple[tuple[str, str], ...]) -> str | None:
    for french, english in pairs:
        fields = _read(french, text)
        if fields is not None:
            if "inner" in fields:
                fields["inner"] = detail_en(fields["inner"])
            return english.format(**fields)
    return None


def detail_en(text: str) -> str:
    """The English rendering of a French detail text (the text itself when none is known)."""
    if not text:
        return text
    if _DTD_SEPARATOR in text:  # up to three DTD problems joined
        return "; ".join(detail_en(piece) for piece in text.split(_DTD_SEPARATOR))
    english = _translate(text, DETAILS)
    return text if english is None else english


def _field_en(name: str, value: str) -> str:
    if name in _WORDS:
        return _WORDS[name].get(value, value)
    if name == "structure":
        return _translate(value, STRUCTURE_NOTES) or value
    if name == "detail":
        return detail_en(value)
    if name == "attribute":
        return attribute_en(value)
    return MASKED_EN if value == _MASKED_FR else value


def attribute_en(name: str) -> str:
    """An attribute field in English: "givenName ou ENTPersonPrenom" names alternatives."""
    return name.replace(" ou ", " or ")


def message_en(rule_id: str, message: str) -> str:
    """The English message of a finding of ``rule_id`` whose French message is ``message``.

    The French message itself when it does not read back against its rule's template.
    """
    rule = RULES[rule_id]
    fields = _read(rule.message, message)
    if fields is None:
        return message
    return rule.message_en.format(**{k: _field_en(k, v) for k, v in fields.items()})


def finding_message(finding: Finding, lang: str = "fr") -> str:
    """The message of ``finding`` in ``lang`` (``fr``: as validation produced it)."""
    if lang == "en":
        return message_en(finding.rule, finding.message)
    return finding.message


def reason(text: str, lang: str = "fr") -> str:
    """A reason of a check not made, in ``lang``."""
    return detail_en(text) if lang == "en" else text
