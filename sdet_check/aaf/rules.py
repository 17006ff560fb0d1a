"""The AAF rule catalogue: stable ids, severities, messages (French and English), requirements.

A rule id is never reused. Each rule says what it checks, how bad a breach is, what the
user should do, and which requirements of the SDET grid (``grids/sdet/<version>``) its
verdict supports, so that a grid requirement can cite the rules that decide it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How bad a finding is: errors make ``aaf validate`` exit with 1, warnings do not."""

    ERROR = "error"
    WARNING = "warning"

    def label(self, lang: str = "fr") -> str:
        """Human label in French (default) or English."""
        return _SEVERITY_LABELS[lang][self]


_SEVERITY_LABELS = {
    "fr": {Severity.ERROR: "erreur", Severity.WARNING: "avertissement"},
    "en": {Severity.ERROR: "error", Severity.WARNING: "warning"},
}


class Scope(StrEnum):
    """Where a rule is decided."""

    FILE = "file"  # the file as a whole (name, encoding, prolog, well-formedness)
    RECORD = "record"  # one request, on its own
    SET = "set"  # across records and files (keys, references, deltas)


@dataclass(frozen=True)
class Rule:
    """One check of the catalogue."""

    id: str
    severity: Severity
    scope: Scope
    title: str
    message: str
    fix: str
    requirements: tuple[str, ...]
    title_en: str = ""
    message_en: str = ""
    fix_en: str = ""

    def render(self, **fields: Any) -> str:
        """The French message with its fields filled in."""
        return self.message.format(**fields)

    def text(self, lang: str = "fr") -> tuple[str, str]:
        """The title and the fix in ``lang`` (``fr`` or ``en``)."""
        if lang == "en":
            return self.title_en, self.fix_en
        return self.title, self.fix

    def to_json(self) -> dict[str, Any]:
        """The rule as plain data (for ``aaf rules --format json`` and reports)."""
        return {
            "id": self.id,
            "severity": self.severity.value,
            "scope": self.scope.value,
            "title": self.title,
            "fix": self.fix,
            "requirements": list(self.requirements),
        }


E, W = Severity.ERROR, Severity.WARNING
F, R, X = Scope.FILE, Scope.RECORD, Scope.SET

_CATALOGUE = (
    Rule("AAF-XML-001", E, F, "Fichier XML mal formé",
         "XML mal formé : {detail}",
         "corriger le fichier à cet endroit ou le faire régénérer par l'export",
         ("DIR-AAF-001",)),
    Rule("AAF-ENC-001", E, F, "Octets invalides pour l'encodage déclaré",
         "encodage {encoding} : {detail}",
         "déclarer l'encodage réel dans l'en-tête <?xml … encoding=…?> ou réencoder le fichier",
         ("DIR-AAF-011",)),
    Rule("AAF-ENC-002", W, F, "Encodage non déclaré",
         "aucun encodage déclaré dans l'en-tête XML : lu comme {encoding}",
         "ajouter <?xml version=\"1.0\" encoding=\"…\"?> en première ligne",
         ("DIR-AAF-011",)),
    Rule("AAF-NAME-001", W, F, "Nom de fichier hors convention",
         "nom « {name} » hors convention <préfixe>_<Complet|Delta>_<aaaammjj>_<Famille>_<NNNN>"
         ".xml{detail}",
         "renommer le fichier selon la convention des exports AAF",
         ("DIR-AAF-010", "DIR-AAF-003")),
    Rule("AAF-VER-001", W, F, "Version de format AAF non reconnue",
         "versionAF « {value} » non reconnue : {detail}",
         "vérifier la version de l'export AAF produit par l'académie",
         ("DIR-AAF-016",)),
    Rule("AAF-DTD-001", E, R, "Requête non conforme à la DTD",
         "non conforme à la DTD ficAlimMENESR : {detail}",
         "corriger la structure de la requête (operationalAttributes, identifier, "
         "attributes ou modifications)",
         ("DIR-AAF-001", "DIR-AAF-002")),
    Rule("AAF-DTD-002", W, F, "Déclaration DOCTYPE absente ou inattendue",
         "{detail}",
         "commencer le fichier par <!DOCTYPE ficAlimMENESR SYSTEM \"ficAlimMENESR.dtd\">",
         ("DIR-AAF-001",)),
    Rule("AAF-OPATTR-001", E, R, "Catégorie de la requête incohérente",
         "attribut opérationnel {detail}",
         "donner la catégorie de la famille du fichier (categoriePersonne, "
         "categorieStructure, categorieMef, categorieMatiere)",
         ("DIR-AAF-003",)),
    Rule("AAF-OP-001", W, R, "Modification ou suppression dans un fichier complet",
         "{op} dans un fichier Complet : un export complet ne contient que des addRequest",
         "placer les modifications et suppressions dans un fichier Delta",
         ("DIR-AAF-015", "DIR-AAF-002")),
    Rule("AAF-KEY-001", E, X, "Clé de jointure en double",
         "clé de jointure « {key} » déjà définie{detail}",
         "chaque personne, structure, MEF et matière doit avoir une clé de jointure unique",
         ("DIR-AAF-004", "DIR-LDAP-005")),
    Rule("AAF-KEY-002", E, R, "Identifiant de la requête absent ou incohérent",
         "{detail}",
         "identifier/id doit être renseigné et égal à l'attribut de jointure de la famille",
         ("DIR-AAF-004",)),
    Rule("AAF-ATTR-001", W, R, "Attribut inconnu pour la famille",
         "attribut « {attribute} » inconnu pour la famille {family}{detail}",
         "corriger le nom de l'attribut ou le retirer",
         ("DIR-AAF-003", "DIR-AAF-009")),
    Rule("AAF-ATTR-002", E, R, "Attribut obligatoire absent",
         "attribut obligatoire {attribute} absent ou vide",
         "renseigner cet attribut dans l'export",
         ("DIR-AAF-003", "DIR-FEED-001")),
    Rule("AAF-ATTR-003", E, R, "Attribut répété ou valeurs multiples",
         "attribut « {attribute} » {detail}",
         "ne donner l'attribut qu'une fois, avec une seule valeur s'il est monovalué",
         ("DIR-AAF-003",)),
    Rule("AAF-ATTR-004", W, R, "Attribut obsolète",
         "attribut obsolète « {attribute} » (remplacé dans les versions récentes de l'AAF)",
         "ne plus produire cet attribut ; utiliser son remplaçant",
         ("DIR-AAF-016",)),
    Rule("AAF-COMP-001", E, R, "Valeur composée mal découpée",
         "valeur « {value} » de {attribute} : {count} champ(s) séparés par « $ », {expected} "
         "attendu(s) (règles de la version {version})",
         "respecter le découpage de la valeur composée",
         ("DIR-FMT-001",)),
    Rule("AAF-DATE-001", E, R, "Date invalide",
         "date « {value} » de {attribute} : {detail}",
         "écrire une date existante au format jj/mm/aaaa",
         ("DIR-AAF-012",)),
    Rule("AAF-UAI-001", E, R, "UAI invalide",
         "UAI « {value} » de {attribute} : {detail}",
         "corriger l'UAI (7 chiffres et la lettre clé, modulo 23)",
         ("DIR-AAF-013", "DIR-AAF-005", "DIR-LDAP-006")),
    Rule("AAF-VAL-001", E, R, "Valeur hors nomenclature",
         "valeur « {value} » de {attribute} : {detail}",
         "utiliser une valeur de la nomenclature de l'attribut",
         ("DIR-AAF-006", "DIR-FMT-001")),
    Rule("AAF-DOM-001", E, R, "Identifiant d'établissement invalide",
         "{attribute} « {value} » : {detail}",
         "reprendre le SIREN ou le SIRET de l'établissement (répertoire SIRENE)",
         ("DIR-AAF-005",)),
    Rule("AAF-DOM-002", W, R, "Valeur hors du domaine de l'attribut",
         "{attribute} « {value} » : {detail}",
         "corriger la valeur dans la base de gestion (code postal, téléphone, courriel, "
         "secteur, codes de nomenclature)",
         ("DIR-AAF-007",)),
    Rule("AAF-INE-001", W, R, "INE mal formé",
         "INE « {value} » : {detail}",
         "vérifier l'INE de l'élève dans la base élèves",
         ("DIR-AAF-008", "INT-LSU-001")),
    Rule("AAF-PROF-001", E, R, "Profil national absent ou invalide",
         "{detail}",
         "donner au personnel au moins une fonction dont le code figure dans la table "
         "nationale, et n'utiliser que les profils National_*",
         ("DIR-PROF-001",)),
    Rule("AAF-PROF-002", W, R, "Code de fonction sans correspondance nationale",
         "code de fonction « {value} » absent de la table de correspondance nationale : "
         "aucun profil ne peut en être déduit",
         "vérifier le code de fonction ou compléter la table de correspondance de l'ENT",
         ("DIR-PROF-002",)),
    Rule("AAF-XREF-001", E, X, "Structure inconnue",
         "structure « {target} » ({attribute}) absente des fichiers EtabEducNat",
         "exporter la structure ou corriger le rattachement",
         ("DIR-AAF-014", "DIR-AAF-005", "DIR-LDAP-010")),
    Rule("AAF-XREF-002", E, X, "Responsable inconnu",
         "responsable « {target} » ({attribute}) absent des fichiers PersRelEleve",
         "exporter le responsable ou corriger le lien",
         ("DIR-AAF-014", "DIR-AAF-006", "DIR-LDAP-008")),
    Rule("AAF-XREF-003", E, X, "Lien élève → responsable non réciproque",
         "le responsable « {target} » ne cite pas cet élève dans {back}",
         "ajouter l'élève aux élèves du responsable, ou retirer le lien",
         ("DIR-AAF-014", "DIR-AAF-006", "DIR-LDAP-008")),
    Rule("AAF-XREF-004", E, X, "Lien responsable → élève non réciproque",
         "élève « {target} » ({attribute}) {detail}",
         "corriger la liste des élèves du responsable, ou le lien côté élève",
         ("DIR-AAF-014", "DIR-AAF-006", "DIR-LDAP-008")),
    Rule("AAF-XREF-005", E, X, "Classe ou groupe inconnu de sa structure",
         "{kind} « {target} » ({attribute}) inconnu(e) de la structure « {structure} »",
         "déclarer la classe ou le groupe dans la structure, ou corriger la référence",
         ("DIR-AAF-014", "DIR-LDAP-009")),
    Rule("AAF-XREF-006", E, X, "Matière inconnue",
         "matière « {target} » ({attribute}) absente des fichiers MatiereEducNat",
         "exporter la matière ou corriger le code",
         ("DIR-AAF-014", "INT-LSU-001")),
    Rule("AAF-XREF-007", E, X, "MEF inconnu",
         "MEF « {target} » ({attribute}) absent des fichiers MefEducNat",
         "exporter le MEF ou corriger le code",
         ("DIR-AAF-014", "INT-LSU-001")),
    Rule("AAF-DELTA-001", E, X, "Modification ou suppression d'un identifiant inconnu",
         "{op} de « {key} », absent du fichier Complet {family} et des ajouts précédents",
         "vérifier que le Delta s'applique bien à cet export complet",
         ("DIR-AAF-015", "DIR-AAF-002")),
)  # fmt: skip

_ENGLISH: dict[str, tuple[str, str, str]] = {
    "AAF-XML-001": ("Malformed XML file", "malformed XML: {detail}",
                    "fix the file at this place or have the export produce it again"),
    "AAF-ENC-001": ("Bytes invalid for the declared encoding", "encoding {encoding}: {detail}",
                    "declare the real encoding in the <?xml … encoding=…?> header or re-encode "
                    "the file"),
    "AAF-ENC-002": ("Encoding not declared",
                    "no encoding declared in the XML header: read as {encoding}",
                    "add <?xml version=\"1.0\" encoding=\"…\"?> as the first line"),
    "AAF-NAME-001": ("File name off convention",
                     "name “{name}” does not follow the convention "
                     "<prefix>_<Complet|Delta>_<yyyymmdd>_<Family>_<NNNN>.xml{detail}",
                     "rename the file after the convention of AAF exports"),
    "AAF-VER-001": ("AAF format version not recognised",
                    "versionAF “{value}” not recognised: {detail}",
                    "check the version of the AAF export produced by the academy"),
    "AAF-DTD-001": ("Request not valid against the DTD",
                    "not valid against the ficAlimMENESR DTD: {detail}",
                    "fix the structure of the request (operationalAttributes, identifier, "
                    "attributes or modifications)"),
    "AAF-DTD-002": ("DOCTYPE declaration missing or unexpected", "{detail}",
                    "start the file with <!DOCTYPE ficAlimMENESR SYSTEM \"ficAlimMENESR.dtd\">"),
    "AAF-OPATTR-001": ("Inconsistent request category", "operational attribute {detail}",
                       "give the category of the file's family (categoriePersonne, "
                       "categorieStructure, categorieMef, categorieMatiere)"),
    "AAF-OP-001": ("Modification or deletion in a full file",
                   "{op} in a Complet file: a full export holds addRequest only",
                   "put modifications and deletions in a Delta file"),
    "AAF-KEY-001": ("Duplicate join key", "join key “{key}” already defined{detail}",
                    "every person, structure, MEF and subject needs a unique join key"),
    "AAF-KEY-002": ("Request identifier missing or inconsistent", "{detail}",
                    "identifier/id must be given and equal to the family's join attribute"),
    "AAF-ATTR-001": ("Attribute unknown for the family",
                     "attribute “{attribute}” unknown for the {family} family{detail}",
                     "correct the attribute name or remove it"),
    "AAF-ATTR-002": ("Required attribute missing",
                     "required attribute {attribute} missing or empty",
                     "fill in this attribute in the export"),
    "AAF-ATTR-003": ("Repeated attribute or multiple values", "attribute “{attribute}” {detail}",
                     "give the attribute once only, with a single value if it is single-valued"),
    "AAF-ATTR-004": ("Obsolete attribute",
                     "obsolete attribute “{attribute}” (replaced in recent AAF versions)",
                     "stop producing this attribute; use its replacement"),
    "AAF-COMP-001": ("Composite value badly split",
                     "value “{value}” of {attribute}: {count} field(s) separated by “$”, "
                     "{expected} expected (rules of version {version})",
                     "follow the splitting of the composite value"),
    "AAF-DATE-001": ("Invalid date", "date “{value}” of {attribute}: {detail}",
                     "write an existing date in the dd/mm/yyyy format"),
    "AAF-UAI-001": ("Invalid UAI", "UAI “{value}” of {attribute}: {detail}",
                    "correct the UAI (7 digits and the check letter, modulo 23)"),
    "AAF-VAL-001": ("Value outside the nomenclature", "value “{value}” of {attribute}: {detail}",
                    "use a value of the attribute's nomenclature"),
    "AAF-DOM-001": ("Invalid establishment identifier", "{attribute} “{value}”: {detail}",
                    "copy the SIREN or SIRET of the establishment (SIRENE directory)"),
    "AAF-DOM-002": ("Value outside the attribute's domain", "{attribute} “{value}”: {detail}",
                    "correct the value in the management database (postal code, telephone, "
                    "e-mail, sector, nomenclature codes)"),
    "AAF-INE-001": ("Malformed INE", "INE “{value}”: {detail}",
                    "check the pupil's INE in the pupil database"),
    "AAF-PROF-001": ("National profile missing or invalid", "{detail}",
                     "give the staff member at least one function whose code is in the national "
                     "table, and use only the National_* profiles"),
    "AAF-PROF-002": ("Function code without national mapping",
                     "function code “{value}” missing from the national mapping table: "
                     "no profile can be derived from it",
                     "check the function code or complete the ENT's mapping table"),
    "AAF-XREF-001": ("Unknown structure",
                     "structure “{target}” ({attribute}) missing from the EtabEducNat files",
                     "export the structure or correct the attachment"),
    "AAF-XREF-002": ("Unknown relative",
                     "relative “{target}” ({attribute}) missing from the PersRelEleve files",
                     "export the relative or correct the link"),
    "AAF-XREF-003": ("Pupil → relative link not reciprocal",
                     "the relative “{target}” does not list this pupil in {back}",
                     "add the pupil to the relative's pupils, or remove the link"),
    "AAF-XREF-004": ("Relative → pupil link not reciprocal",
                     "pupil “{target}” ({attribute}) {detail}",
                     "correct the relative's list of pupils, or the link on the pupil's side"),
    "AAF-XREF-005": ("Class or group unknown to its structure",
                     "{kind} “{target}” ({attribute}) unknown to the structure “{structure}”",
                     "declare the class or group in the structure, or correct the reference"),
    "AAF-XREF-006": ("Unknown subject",
                     "subject “{target}” ({attribute}) missing from the MatiereEducNat files",
                     "export the subject or correct the code"),
    "AAF-XREF-007": ("Unknown MEF",
                     "MEF “{target}” ({attribute}) missing from the MefEducNat files",
                     "export the MEF or correct the code"),
    "AAF-DELTA-001": ("Modification or deletion of an unknown identifier",
                      "{op} of “{key}”, missing from the Complet {family} file and from earlier "
                      "additions",
                      "check that the Delta applies to this full export"),
}  # fmt: skip
"""English title, message template and fix of every rule (same placeholders as the French)."""

RULES: dict[str, Rule] = {
    rule.id: replace(
        rule,
        title_en=_ENGLISH[rule.id][0],
        message_en=_ENGLISH[rule.id][1],
        fix_en=_ENGLISH[rule.id][2],
    )
    for rule in _CATALOGUE
}
"""Every rule, by id, in catalogue order."""


def rule(rule_id: str) -> Rule:
    """The rule ``rule_id`` (``KeyError`` for an unknown id)."""
    return RULES[rule_id]
