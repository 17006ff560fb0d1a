"""The command line speaks one language: its own help, Typer's words and its outputs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sdet_check.messages import message_text
from tests.records import synthetic

ROOT = Path(__file__).resolve().parents[2]
NBSP = "\u00a0"


def cli(
    *args: str, lang_env: str | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """``python -m sdet_check`` from this worktree, without colours."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "NO_COLOR": "1",
    }
    env["COLUMNS"] = "200"
    if lang_env is not None:
        env["SDET_CHECK_LANG"] = lang_env
    return subprocess.run(
        [sys.executable, "-m", "sdet_check", *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=env,
    )  # fmt: skip


_ACCENTED = re.compile(r"[éèêàùçôîÉÈ]")


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["grid", "show", "--help"]])
def test_french_help_is_french_down_to_typer_words(args: list[str]) -> None:
    """No "Show this message and exit.", no "Usage:" in French; French spacing before colons."""
    done = cli(*args)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Afficher ce message et quitter." in out
    assert "Show this message" not in out and "Usage:" not in out
    assert f"Usage{NBSP}:" in out


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--lang", "en", "--help"], None),
        (["--lang=en", "run", "--help"], None),
        (["--help"], "en"),
    ],
)
def test_english_help_has_no_french(args: list[str], env: str | None) -> None:
    """A leading --lang en, or SDET_CHECK_LANG=en, gives English help, Typer's words included."""
    done = cli(*args, lang_env=env)
    assert done.returncode == 0, done.stderr
    assert "Show this message and exit." in done.stdout
    assert _ACCENTED.findall(done.stdout) == []
    assert NBSP not in done.stdout


def test_report_renders_a_french_run_in_english(tmp_path: Path) -> None:
    """A run recorded in French, reported with --lang en: English findings, English CLI lines."""
    record = synthetic()
    with_ids = [result for result in record["results"] if "message_id" in result]
    assert {result["message_id"] for result in with_ids} >= {"runner.reviewed"}
    run_file = tmp_path / "run.json"
    run_file.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    done = cli("--lang", "en", "report", str(run_file), "--format", "csv", "--out", str(tmp_path))
    assert done.returncode in (0, 1, 2), done.stderr
    assert "Written: " in done.stderr and "Écrit" not in done.stderr
    csv = (tmp_path / "results.csv").read_text(encoding="utf-8")
    assert "Decided by the auditor's review (Alice Auditrice" in csv
    assert "Décidé par la revue" not in csv
    french = cli("report", str(run_file), "--format", "csv", "--out", str(tmp_path))
    assert f"Écrit{NBSP}: " in french.stderr
    csv = (tmp_path / "results.csv").read_text(encoding="utf-8")
    assert "Décidé par la revue de l'auditeur (Alice Auditrice" in csv


def test_records_without_ids_keep_their_text() -> None:
    """A run.json written before the catalogue renders its stored French text in any language."""
    assert message_text({"message": "Constat ancien."}, "en") == "Constat ancien."


_CLICK_ENGLISH = re.compile(
    r"Invalid value|Missing (option|argument)|No such option|Error:|Got unexpected"
)
_FRENCH_WORDS = re.compile(r"[éèêàùçôîÉÈ«»]|Valeur|Erreur|manquante?|inconnue|Voir|demande")


@pytest.mark.parametrize(
    ("args", "french", "english"),
    [
        (["run", "--target", "cible.yaml", "--format", "xyz"],
         f"Erreur d'usage{NBSP}: Valeur invalide pour --format{NBSP}: format inconnu",
         "Usage error: Invalid value for --format: unknown format: xyz"),
        (["run"],
         f"Erreur d'usage{NBSP}: Option manquante '--target' / '-t'.",
         "Usage error: Missing option '--target' / '-t'."),
        (["run", "--nope"],
         f"Erreur d'usage{NBSP}: Option inconnue{NBSP}: --nope",
         "Usage error: No such option: --nope"),
        (["report"],
         f"Erreur d'usage{NBSP}: Argument manquant 'RUN.json'.",
         "Usage error: Missing argument 'RUN.json'."),
        (["run", "--target"],
         f"Erreur d'usage{NBSP}: L'option '--target' demande un argument.",
         "Usage error: Option '--target' requires an argument."),
        (["run", "--target", "cible.yaml", "--probe-timeout", "abc"],
         f"Valeur invalide pour '--probe-timeout'{NBSP}: un nombre est attendu",
         "Invalid value for '--probe-timeout': Input should be a valid number"),
    ],
)  # fmt: skip
def test_usage_errors_speak_one_language(args: list[str], french: str, english: str) -> None:
    """Click's own "Invalid value" / "Missing option" words follow --lang, like the frame."""
    command = " ".join(["sdet-check", *[a for a in args if a in ("run", "report")]])
    for lang in ("fr", "en"):
        done = cli("--lang", lang, *args)
        assert done.returncode == 3, done.stderr
        if lang == "fr":
            assert french in done.stderr
            assert _CLICK_ENGLISH.findall(done.stderr) == []
            assert f"Voir `{command} --help`." in done.stderr
        else:
            assert english in done.stderr
            assert _FRENCH_WORDS.findall(done.stderr) == []
            assert f"See `{command} --help`." in done.stderr
    assert french in cli(*args).stderr  # French by default, the same words


def test_schema_errors_name_the_file_kind_in_the_language(tmp_path: Path) -> None:
    """A target file with an unknown key: « fichier cible » in French, "target file" in English."""
    target = tmp_path / "cible.yaml"
    target.write_text("format: 1\nname: x\nportail: {}\n", encoding="utf-8")
    english = cli("--lang", "en", "run", "--target", str(target), "--out", str(tmp_path / "o"))
    assert english.returncode == 3, english.stderr
    assert 'unknown key “portail” in this target file. To do: did you mean “portal”? fix the typo' \
        in english.stderr  # fmt: skip
    assert _FRENCH_WORDS.findall(english.stderr.replace("portail", "")) == []
    french = cli("run", "--target", str(target), "--out", str(tmp_path / "o"))
    assert (
        "clé inconnue « portail » dans ce fichier cible. À faire : vouliez-vous écrire « portal » "
        "? corriger la faute de frappe ou retirer la clé ; clés permises : "
    ) in french.stderr.replace(NBSP, " ")
    assert "clé inconnue « portail » dans ce fichier cible" in french.stderr


def test_compare_ranking_table_in_english_has_no_french(tmp_path: Path) -> None:
    """Standings, columns, caption and percentages of the terminal ranking follow --lang."""
    first = synthetic()
    second = synthetic()
    second["run_id"] = "autre-run-0002"
    second["target"]["name"] = "Autre ENT"
    runs = []
    for index, record in enumerate((first, second)):
        path = tmp_path / f"run{index}.json"
        path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        runs.append(str(path))
    english = cli("--lang", "en", "compare", *runs, "--out", str(tmp_path / "en"))
    assert english.returncode == 0, english.stderr
    table = english.stdout.replace("ENT synthétique", "")
    assert "eliminated (not compliant)" in table and "SHOULD score (range)" in table
    assert re.search(r"\d+\.\d%|\d+%", table) and " %" not in table
    assert _FRENCH_WORDS.findall(table) == []
    french = cli("compare", *runs, "--out", str(tmp_path / "fr"))
    assert "éliminée (non conforme)" in french.stdout
    assert re.search(rf"\d+,\d{NBSP}?%|\d+ %", french.stdout)


def test_a_selection_that_matches_nothing_names_it_in_the_language(tmp_path: Path) -> None:
    """« ligne de commande : … étiquette nope, exigence LEG-XXX » becomes English with --lang en."""
    target = tmp_path / "cible.yaml"
    target.write_text("format: 1\nname: x\nportal:\n  url: https://ent.exemple.invalid/\n")
    args = ("run", "--target", str(target), "--only", "LEG-XXX", "--tag", "nope")
    english = cli("--lang", "en", *args, "--out", str(tmp_path / "o"))
    assert english.returncode == 3
    assert "Error: command line: the selection matches nothing" in english.stderr
    assert "tag nope, requirement LEG-XXX" in english.stderr
    assert _FRENCH_WORDS.findall(english.stderr) == []
    french = cli(*args, "--out", str(tmp_path / "o"))
    assert (
        "ligne de commande" in french.stderr and "étiquette nope, exigence LEG-XXX" in french.stderr
    )


def test_probes_list_titles_follow_the_language() -> None:
    """Every built-in probe's title has its English; French mode shows the probe's own title."""
    from sdet_check.messages import catalogue
    from sdet_check.registry import ProbeRegistry

    probes = ProbeRegistry.from_entry_points().probes()
    stale = [
        p.kind for p in probes if catalogue().get(f"probe.title.{p.kind}", {}).get("fr") != p.title
    ]
    assert stale == []  # a title reworded in its probe: reword probe_titles.toml with it
    english = cli("--lang", "en", "probes", "list")
    assert english.returncode == 0, english.stderr
    assert "SDET attributes released to the services for each profile" in english.stdout
    assert _ACCENTED.findall(english.stdout) == []
    french = cli("probes", "list")
    assert "Attributs SDET transmis aux services pour chaque profil" in french.stdout


def test_a_certificate_without_its_key_is_refused_in_the_language(tmp_path: Path) -> None:
    """The --sign-cert without --sign-key refusal was French in both languages."""
    target = tmp_path / "cible.yaml"
    target.write_text("format: 1\nname: x\nportal:\n  url: https://ent.exemple.invalid/\n")
    args = ("run", "--target", str(target), "--sign-cert", str(tmp_path / "c.pem"))
    english = cli("--lang", "en", *args)
    assert english.returncode == 3
    assert "--sign-cert without --sign-key: give the certificate's private key too" in (
        english.stderr
    )
    assert _FRENCH_WORDS.findall(english.stderr) == []
    french = cli(*args)
    assert "--sign-cert sans --sign-key : donner aussi la clé privée du certificat" in (
        french.stderr
    )


def test_english_templates_hold_no_french_letters() -> None:
    """English text of every catalogue entry: no accented letter outside quoted data or names."""
    from sdet_check.messages import catalogue

    names = ("Légifrance", "académie")
    found = []
    for message_id, texts in catalogue().items():
        english = re.sub(r"“[^”]*”|\"[^\"]*\"|'[^']*'", "", texts["en"])
        for name in names:
            english = english.replace(name, "")
        if re.search(r"[éèêàùçôîûÉÈÀ«»]", english):
            found.append(message_id)
    assert found == []


@pytest.mark.parametrize(
    ("message_id", "params", "french", "english"),
    [
        ("core.xmlsafe.excerpt", {"size": 12}, "début du document reçu (12 octets)",
         "start of the document received (12 bytes)"),
        ("ldap.root_dse.vendor", {"vendor": "OpenLDAP"}, " ; éditeur OpenLDAP",
         "; vendor OpenLDAP"),
        ("saml.login.unsigned", {}, ", non signée", ", unsigned"),
    ],
)  # fmt: skip
def test_probe_fragments_keep_their_french_and_have_english(
    message_id: str, params: dict[str, object], french: str, english: str
) -> None:
    """Fragments moved from probe code: French byte for byte as before, English beside it."""
    from sdet_check.messages import text

    assert text(message_id, "fr", **params) == french
    assert text(message_id, "en", **params) == english


def test_browser_missing_says_why_in_the_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reason the portal family is not tested: French as before, English with --lang en."""
    from sdet_check import browser_env
    from sdet_check.messages import current_language, set_language

    monkeypatch.setattr(browser_env, "chromium_path", lambda: None)
    before = current_language()
    try:
        set_language("fr")
        french = browser_env.browser_missing()
        set_language("en")
        english = browser_env.browser_missing()
    finally:
        set_language(before)
    assert french is not None and english is not None
    assert french.startswith("navigateur non piloté : ")
    assert french.endswith(" ; les exigences du portail restent non testées")
    assert english.startswith("browser not driven: ")
    assert _FRENCH_WORDS.findall(english) == []


def test_grid_diff_names_added_requirements_in_the_language() -> None:
    """An added requirement's title in the terminal diff follows --lang (French as before)."""
    english = cli("--lang", "en", "grid", "diff", "sdet/6.2", "sdet/6.4")
    assert english.returncode == 0, english.stderr
    assert "+ A11Y-CONTACT-001  [MUST] Accessibility contact and means of redress" in (
        english.stdout
    )
    added = english.stdout.split("\n\n")[1]
    assert _ACCENTED.findall(added) == []
    french = cli("grid", "diff", "sdet/6.2", "sdet/6.4")
    assert "+ A11Y-CONTACT-001  [MUST] Contact accessibilité et voie de recours" in french.stdout
    assert "~ EXP-FMT-001  SHOULD → MUST" in french.stdout


def test_grid_show_names_axes_by_their_label_in_english() -> None:
    """The axis column: the axis id in French (as before), its English label in English."""
    args = ("grid", "show", "sdet/6.4", "--axis", "fonctionnel", "--axis", "technique")
    english = cli("--lang", "en", *args)
    assert english.returncode == 0, english.stderr
    axes = {line.split("│")[1].strip() for line in english.stdout.splitlines() if "-0" in line}
    assert axes == {"Functional", "Technical"}
    french = cli(*args)
    axes = {line.split("│")[1].strip() for line in french.stdout.splitlines() if "-0" in line}
    assert axes == {"fonctionnel", "technique"}


def test_an_axis_is_taken_by_the_label_the_table_shows() -> None:
    """``--axis Security`` (what the English table shows) selects the ``securite`` axis."""
    english = cli("--lang", "en", "grid", "show", "sdet/6.4", "--axis", "Security")
    assert english.returncode == 0, english.stderr
    axes = {line.split("│")[1].strip() for line in english.stdout.splitlines() if "-0" in line}
    assert axes == {"Security"}
    by_id = cli("--lang", "en", "grid", "show", "sdet/6.4", "--axis", "securite")
    assert english.stdout == by_id.stdout
    # A name no axis answers to is refused, with every axis by its id and its label.
    wrong = cli("--lang", "en", "grid", "show", "sdet/6.4", "--axis", "Sekurity")
    assert wrong.returncode == 3  # bad input, as every refused filter
    assert "axis Sekurity unknown" in wrong.stderr
    assert "securite (Security)" in " ".join(wrong.stderr.split())
