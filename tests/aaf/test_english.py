"""AAF validation in English: every rule and detail text translated, French left byte for byte."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path
from string import Formatter

import pytest

from sdet_check.aaf.dtd import DtdOrigin
from sdet_check.aaf.english import DETAILS, STRUCTURE_NOTES, detail_en, message_en
from sdet_check.aaf.generate import GenerationOptions, generate
from sdet_check.aaf.model import Finding
from sdet_check.aaf.nomenclature import (
    code_problem,
    contract_problem,
    date_problem,
    email_problem,
    ine_problem,
    phone_problem,
    postal_code_problem,
    siren_problem,
    uai_problem,
    version_problem,
)
from sdet_check.aaf.report import CsvReportWriter
from sdet_check.aaf.rules import RULES, Rule

from .conftest import AafSet, run
from .test_rule_cases import CASES, Case

ROOT = Path(__file__).resolve().parents[2]

FRENCH_WORDS = frozenset(
    {
        "le",
        "la",
        "les",
        "un",
        "une",
        "des",
        "du",
        "de",
        "et",
        "ou",
        "dans",
        "pour",
        "sur",
        "par",
        "avec",
        "sans",
        "aucun",
        "aucune",
        "fichier",
        "fichiers",
        "valeur",
        "valeurs",
        "attendu",
        "attendue",
        "absent",
        "absente",
        "inconnu",
        "inconnue",
        "règle",
        "erreur",
        "erreurs",
        "avertissement",
        "avertissements",
        "requête",
        "requêtes",
        "famille",
        "champ",
        "chiffres",
        "lettre",
        "mal",
        "non",
        "est",
        "pas",
        "ne",
        "cette",
        "ce",
        "lu",
        "lue",
        "vérifié",
        "vérifiée",
        "élève",
        "responsable",
        "matière",
        "à",
        "faire",
        "constat",
        "constats",
        "écrit",
        "écrits",
        "jeu",
    }
)
"""Common French words (and words of the French messages) that English output never holds."""

FRENCH_MARKS = re.compile(r"[éèêàâùûôîïçœÉÈÀ«»]| [:;?!]")
"""Accented letters, French quotes and the space French puts before : ; ? !"""

_QUOTED = re.compile(r"“[^”]*”|\[[^\]]*\]|\S+\.xml(:\d+)?|/\S+")
"""Data values, record keys, file names and paths: not wording, left out of the checks."""


def french_in(text: str) -> list[str]:
    """The French words and marks in ``text`` once data values are left out."""
    bare = _QUOTED.sub("Q", text)
    words = {w.lower() for w in re.findall(r"[^\W\d_]+", bare)}
    return sorted(words & FRENCH_WORDS) + FRENCH_MARKS.findall(bare)


def _names(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


@pytest.mark.parametrize("rule", list(RULES.values()), ids=lambda r: r.id)
def test_every_rule_has_english_with_the_same_placeholders(rule: Rule) -> None:
    assert rule.title_en and rule.message_en and rule.fix_en
    assert _names(rule.message_en) == _names(rule.message)
    for text in (rule.title_en, rule.message_en, rule.fix_en):
        assert french_in(text) == [], text
    assert rule.text("en") == (rule.title_en, rule.fix_en)
    assert rule.text("fr") == (rule.title, rule.fix)


@pytest.mark.parametrize("pair", DETAILS + STRUCTURE_NOTES, ids=lambda p: p[0][:40])
def test_every_detail_reads_back_into_english(pair: tuple[str, str]) -> None:
    french, english = pair
    assert _names(french) == _names(english)
    assert french_in(re.sub(r"\{\w+\}", "Q", english)) == [], english
    if pair in STRUCTURE_NOTES:
        return
    values = {name: f"V{n}" for n, name in enumerate(sorted(_names(french)))}
    expected = dict(values)
    if "inner" in values:
        values["inner"], expected["inner"] = "O ou N attendu", "O or N expected"
    assert detail_en(french.format(**values)) == english.format(**expected)


@pytest.mark.parametrize(
    "problem",
    [
        uai_problem("12"),
        uai_problem("0750654E"),
        date_problem("2012-02-01"),
        date_problem("31/02/2012"),
        ine_problem("ABC"),
        version_problem("AAF-2407"),
        postal_code_problem("123"),
        phone_problem("12"),
        email_problem("nobody"),
        siren_problem("12"),
        siren_problem("123456788"),
        contract_problem("XX"),
        code_problem("abc", 3),
    ],
)
def test_value_problems_have_english(problem: str | None) -> None:
    assert problem is not None
    english = detail_en(problem)
    assert english != problem
    assert french_in(english) == [], english


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.rule)
def test_every_rule_case_reads_in_english(case: Case, tmp_path: Path) -> None:
    s = AafSet(tmp_path / "aaf")
    case.fail(s)
    s.write()
    if case.after:
        case.after(s, True)
    result, findings = run(s.folder)
    assert findings
    for finding in findings:
        english = message_en(finding.rule, finding.message)
        assert english != finding.message
        assert french_in(english) == [], (finding.message, english)
    for note in result.skipped:
        assert french_in(detail_en(note.reason)) == [], note.reason


@pytest.fixture(scope="module")
def defective(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("defective")
    generate(folder, GenerationOptions(structures=2, defects=frozenset(RULES)), overwrite=True)
    return folder


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sdet_check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "COLUMNS": "400", "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.parametrize("fmt", ["terminal", "csv"])
def test_validate_in_english_has_no_french(defective: Path, fmt: str, tmp_path: Path) -> None:
    done = _cli("--lang", "en", "aaf", "validate", str(defective), "-f", fmt, "--limit", "100",
                cwd=tmp_path)  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) > 30
    for line in lines:
        assert french_in(line) == [], line
    assert french_in(done.stderr) == [], done.stderr
    assert ("To do: " if fmt == "terminal" else "rule,severity,file") in done.stdout


def test_validate_json_in_english_adds_english_beside_french(
    defective: Path, tmp_path: Path
) -> None:
    done = _cli("--lang", "en", "aaf", "validate", str(defective), "-f", "json", cwd=tmp_path)
    report = json.loads(done.stdout)
    assert {f["rule"] for f in report["findings"]} == set(RULES)
    for finding in report["findings"]:
        assert finding["message_en"] != finding["message"]
        assert french_in(finding["message_en"]) == [], finding["message_en"]
    for rule in report["rules"]:
        assert rule["title_en"] == RULES[rule["id"]].title_en
        assert rule["title"] == RULES[rule["id"]].title
    french = _cli("aaf", "validate", str(defective), "-f", "json", cwd=tmp_path)
    assert "message_en" not in french.stdout and "title_en" not in french.stdout


FRENCH_SAMPLE = {
    "AAF-OPATTR-001": "attribut opérationnel « categorieMatier=MatiereEducNat » : ne désigne "
    "aucune famille AAF (famille du fichier : MatiereEducNat)",
    "AAF-ATTR-001": "attribut « ENTPersonSurnom » inconnu pour la famille PersRelEleve "
    "(vouliez-vous écrire « ENTPersonPrenom » ?)",
    "AAF-VAL-001": "valeur « X » de ENTEleveBoursier : O ou N attendu",
    "AAF-DOM-002": "ENTPersonCodePostal « ‹masqué› » : code postal français attendu : cinq "
    "chiffres (de 01000 à 98999)",
    "AAF-XREF-005": "classe « ZZ9 » (ENTEleveClasses) inconnu(e) de la structure « 10002 »",
    "AAF-DELTA-001": "modification de « 1999998 », absent du fichier Complet Eleve et des "
    "ajouts précédents",
    "AAF-KEY-002": "identifier/id « 8000003 » différent de ENTPersonJointure « 8500003 »",
    "AAF-XML-001": "XML mal formé : balise fermante </ficAlimMENESR> au lieu de "
    "</operationalAttributes>",
}
"""French messages of the generated defective set, as they were before English existed."""


def test_french_output_is_unchanged(defective: Path, tmp_path: Path) -> None:
    done = _cli("aaf", "validate", str(defective), "-f", "csv", cwd=tmp_path)
    assert done.stdout.startswith(
        "\ufeffrègle,sévérité,fichier,ligne,enregistrement,famille,attribut,message,exigences\n"
    )
    rows = {line.split(",", 1)[0]: line for line in done.stdout.splitlines()[1:]}
    for rule_id, message in FRENCH_SAMPLE.items():
        assert message in rows[rule_id]
    assert ",erreur," in rows["AAF-XML-001"]
    terminal = _cli("aaf", "validate", str(defective), "--limit", "100", cwd=tmp_path).stdout
    assert "À faire : corriger le fichier à cet endroit" in terminal
    assert "Vérifications non faites" not in terminal or "Checks not made" not in terminal
    assert "To do" not in terminal and "message_en" not in terminal


def test_rules_list_in_english(tmp_path: Path) -> None:
    done = _cli("--lang", "en", "aaf", "rules", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Malformed XML file" in done.stdout and "severity" in done.stdout
    for line in done.stdout.splitlines():
        assert french_in(line) == [], line


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_csv_row_of_findings_left_out_is_in_the_language_asked(lang: str) -> None:
    stream = io.StringIO()
    writer = CsvReportWriter(stream, max_per_rule=1, lang=lang)
    rule = RULES["AAF-INE-001"]
    for key in ("1", "2", "3"):
        message = rule.render(value="‹masqué›", detail=ine_problem("ABC"))
        writer(Finding(rule.id, rule.severity, "f.xml", 3, key, "Eleve", "ENTEleveINE", message))
    writer.close()
    last = stream.getvalue().splitlines()[-1]
    if lang == "en":
        assert "2 more finding(s) not written (limit of 1 per rule;" in last
        assert ",warning," in last and french_in(stream.getvalue().split("\n", 1)[1]) == []
    else:
        assert "2 constat(s) de plus non écrits (limite de 1 par règle ;" in last
        assert ",avertissement," in last


def _french_templates() -> list[str]:
    """Detail templates kept in tables of the reading and checking code (positional fields)."""
    from sdet_check.aaf import checks, dtd, reader

    templates = [template for _, template in dtd._TRANSLATIONS]
    templates += [template for _, template in reader._SYNTAX]
    templates += [expectation for _, expectation in checks._ALLOWED.values()]
    return templates


@pytest.mark.parametrize("template", _french_templates())
def test_detail_tables_of_the_code_all_have_english(template: str) -> None:
    """A detail added to a table of the code without its English pair fails here."""
    french = template.format(*[f"V{n}" for n in range(5)])
    english = detail_en(french)
    assert english != french
    assert french_in(english) == [], english


def test_the_dtd_line_names_its_origin_in_the_language(defective: Path, tmp_path: Path) -> None:
    """« DTD trouvée à côté des fichiers : … » as before; English words for every origin."""
    dtd = defective / "ficAlimMENESR.dtd"
    assert dtd.is_file()
    given = tmp_path / "autre.dtd"
    given.write_bytes(dtd.read_bytes())
    cases = [
        ((), "trouvée à côté des fichiers", "found beside the files", dtd),
        (("--dtd", str(given)), "donnée par --dtd", "given by --dtd", given),
    ]
    for options, french, english, path in cases:
        args = ("aaf", "validate", str(defective), "--limit", "1", *options)
        fr_out = _cli(*args, cwd=tmp_path).stdout
        assert f"DTD {french} : {path}" in fr_out
        en_out = _cli("--lang", "en", *args, cwd=tmp_path).stdout
        line = next(line for line in en_out.splitlines() if line.startswith("DTD "))
        assert line == f"DTD {english}: {path}"
    assert [origin.label for origin in DtdOrigin] == [
        "donnée par --dtd",
        "trouvée à côté des fichiers",
        "intégrée à sdet-check",
    ]
