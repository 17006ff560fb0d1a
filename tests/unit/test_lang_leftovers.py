"""Texts that stayed French under ``--lang en``: each now English in English, French unchanged.

The French expected here is the text the code wrote before it went through the catalogue,
byte for byte (plain spaces: scripts and the end-to-end test match it).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from probes._ldap_wire import SearchStats
from probes.ldap.connection import _Access, _GuardedSocket, _name_problem, _Sample, _Tripped
from probes.ldap.scan import _scan_refused
from sdet_check.demo import pysaml2_idp, stack
from sdet_check.demo import saml as simplesamlphp
from sdet_check.demo.ldap import SlapdError
from sdet_check.messages import catalogue, current_language, msg, set_language, text
from sdet_check.probe import ProbeError
from sdet_check.pseudonym import Pseudonymiser

_FRENCH = re.compile(
    r"[éèêàùçôîûÉÈÀ«»]|\b(?:non|pas|aucune?|introuvable|absent|indisponible|installer|les|des)\b"
)


def french_in(line: str) -> list[str]:
    """French letters or words found in ``line``."""
    return _FRENCH.findall(line)


def both(make: Callable[[], Any]) -> tuple[str, str]:
    """``make()`` as text in French, then in English (the language restored after)."""
    before = current_language()
    try:
        set_language("fr")
        french = str(make())
        set_language("en")
        english = str(make())
    finally:
        set_language(before)
    return french, english


@pytest.fixture
def no_binaries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No php, no xmlsec1 on the PATH, no pysaml2 importable: every SAML IdP is missing."""
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    monkeypatch.setattr(pysaml2_idp.importlib.util, "find_spec", lambda _name: None)
    yield


# --- the demo's notices ---------------------------------------------------------------------


_SIMPLESAMLPHP_MISSING = (
    "fournisseur d'identité SAML de démonstration indisponible (php introuvable) : installer "
    "les paquets Debian simplesamlphp php-cli php-xml php-mbstring (apt-get install -y "
    "--no-install-recommends simplesamlphp php-cli php-xml php-mbstring)"
)
_PYSAML2_MISSING = (
    "fournisseur d'identité pysaml2 de démonstration indisponible (pysaml2 absent, xmlsec1 "
    'introuvable) : pip install "sdet-check[demo]" (pysaml2) et apt-get install xmlsec1'
)


@pytest.mark.usefixtures("no_binaries")
def test_missing_saml_idps_say_what_is_missing_in_the_language() -> None:
    """missing_requirements() of both IdPs: French as before, English with nothing French."""
    simplesamlphp_text = _SIMPLESAMLPHP_MISSING
    if not (simplesamlphp.SIMPLESAMLPHP_ROOT / "www/saml2/idp/metadata.php").is_file():
        simplesamlphp_text = simplesamlphp_text.replace(
            "(php introuvable)",
            f"(php introuvable, SimpleSAMLphp absent de {simplesamlphp.SIMPLESAMLPHP_ROOT})",
        )
    french, english = both(simplesamlphp.missing_requirements)
    assert french == simplesamlphp_text
    assert english.startswith("demo SAML identity provider unavailable (php not found")
    assert "install the Debian packages simplesamlphp php-cli" in english
    assert french_in(english) == [], english
    french, english = both(pysaml2_idp.missing_requirements)
    assert french == _PYSAML2_MISSING
    assert english == (
        "demo pysaml2 identity provider unavailable (pysaml2 missing, xmlsec1 not found): "
        'pip install "sdet-check[demo]" (pysaml2) and apt-get install xmlsec1'
    )
    assert (
        pysaml2_idp.INSTALL_HINT
        == 'pip install "sdet-check[demo]" (pysaml2) et apt-get install xmlsec1'
    )


@pytest.mark.usefixtures("no_binaries")
@pytest.mark.parametrize(
    ("peer", "problem"), [("simplesamlphp", None), ("pysaml2", _PYSAML2_MISSING)]
)
def test_the_demo_says_saml_is_not_assessed_in_the_language(
    peer: str, problem: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """« SAML non évalué : … » as before; English names what is missing in English.

    For SimpleSAMLphp the check before starting is made to pass, so the refusal comes from
    the IdP's own start (its exception carries the message in both languages).
    """
    if peer == "simplesamlphp":
        monkeypatch.setattr(stack, "missing_requirements", lambda: None)

    def notice() -> str:
        said: list[str] = []
        with ExitStack() as exits:
            data: dict[str, Any] = {}
            assert stack._start_idp(exits, peer, data, tmp_path, tmp_path, said.append) == {}
            assert data == {}
        assert len(said) == 1
        return said[0]

    french, english = both(notice)
    assert french.startswith("SAML non évalué : fournisseur d'identité ")
    if problem is not None:
        assert french == f"SAML non évalué : {problem}."
    assert english.startswith("SAML not assessed: demo ") and english.endswith(".")
    assert french_in(english) == [], english


class _Unstartable:
    """A slapd that will not start here (stands for a SlapdServer in an ExitStack)."""

    def __init__(self, error: SlapdError) -> None:
        self.error = error

    def __enter__(self) -> _Unstartable:
        raise self.error

    def __exit__(self, *_exc: object) -> None:
        return None


def test_the_demo_says_an_annuaire_did_not_start_in_the_language() -> None:
    """« Annuaire LDAP de démonstration non démarré (…) : … » as before; English frame."""

    def notice() -> str:
        said: list[str] = []
        with ExitStack() as exits:
            unstartable = _Unstartable(SlapdError("port occupé"))
            assert stack._start_slapd(exits, unstartable, said.append) is None  # type: ignore[arg-type]
        return said[0]

    french, english = both(notice)
    assert french == (
        "Annuaire LDAP de démonstration non démarré (port occupé) : ses exigences resteront "
        "non testées."
    )
    assert english == (
        "Demo LDAP directory not started (port occupé): its requirements will stay not tested."
    )


def test_why_a_demo_slapd_did_not_start_is_in_the_language() -> None:
    """The slapd's own reason inside the notice: French as before, English in English."""

    def notice() -> str:
        said: list[str] = []
        with ExitStack() as exits:
            error = SlapdError(msg("demo.slapd.no_answer", seconds="20"))
            stack._start_slapd(exits, _Unstartable(error), said.append)  # type: ignore[arg-type]
        return said[0]

    french, english = both(notice)
    assert french == (
        "Annuaire LDAP de démonstration non démarré (slapd ne répond pas après 20 s) : ses "
        "exigences resteront non testées."
    )
    assert english == (
        "Demo LDAP directory not started (slapd does not answer after 20 s): its requirements "
        "will stay not tested."
    )
    french, english = both(
        lambda: msg("demo.slapd.slapadd_failed", failures=text("demo.slapd.then").join("ab"))
    )
    assert french == "slapadd a échoué : a ; puis b"
    assert english == "slapadd failed: a; then b"
    assert text("demo.slapd.not_found", "fr", path="/usr/sbin/slapd") == (
        "slapd introuvable (/usr/sbin/slapd) : installer les paquets Debian slapd et ldap-utils"
    )


def test_missing_cas_and_slapd_notices_in_both_languages() -> None:
    """The constants keep the French lines; the catalogue gives the English the demo says."""
    assert stack.CAS_MISSING_NOTICE == (
        "Serveur CAS de démonstration non démarré : django-cas-server n'est pas installé "
        '(pip install "sdet-check[demo]") ; les exigences CAS resteront non testées.'
    )
    assert stack.SLAPD_MISSING == (
        "slapd absent : l'annuaire LDAP de démonstration n'est pas évalué "
        "(installer les paquets Debian slapd et ldap-utils)"
    )
    english = text("demo.notice.cas_missing", "en", peer="mama-cas", hint=stack.INSTALL_HINT)
    assert english == (
        'Demo CAS server not started: mama-cas is not installed (pip install "sdet-check[demo]"); '
        "the CAS requirements will stay not tested."
    )
    english = text("demo.notice.slapd_missing", "en")
    assert english.startswith("slapd missing: the demo LDAP directory is not assessed")
    assert french_in(english) == []
    assert text("demo.notice.cas_missing", "fr", peer="mama-cas", hint="h") == (
        stack.CAS_MISSING_NOTICE.replace("django-cas-server", "mama-cas").replace(
            f"({stack.INSTALL_HINT})", "(h)"
        )
    )


# --- the follow-up documents' words -----------------------------------------------------------


def test_followup_words_come_from_the_catalogue_unchanged() -> None:
    """Both tables keep their French and English, key for key; English holds no French."""
    from sdet_check.griddiff import ChangeKind
    from sdet_check.reporters.followup import FOLLOWUP_WORDS, GRID_WORDS

    run = FOLLOWUP_WORDS["fr"]
    assert run["not_same_target"] == (
        "Attention : les deux runs ne portent pas sur la même cible ({old} / {new})."
    )
    assert run["partial_new"] == (
        "Attention : le nouveau run est partiel ({options}) : {count} exigence(s) de la grille "
        "n'y sont pas évaluées : leurs régressions éventuelles n'apparaissent pas ici."
    )
    assert run["not_chronological"] == (
        "Attention : le run « précédent » est postérieur au « nouveau »."
    )
    assert GRID_WORDS["fr"]["published"] == "date du référentiel suivi :"
    assert GRID_WORDS["fr"][ChangeKind.MOVED] == "Changement d'axe"
    assert GRID_WORDS["en"][ChangeKind.APPLICABILITY] == "Applicability changed"
    assert FOLLOWUP_WORDS["en"]["partial_old"] == (
        "Warning: the previous run is partial ({options}): {count} requirement(s) of the grid "
        "were not assessed in it."
    )
    for words in (FOLLOWUP_WORDS, GRID_WORDS):
        assert set(words["fr"]) == set(words["en"])
        for key, english in words["en"].items():
            assert re.findall(r"[éèêàùçôî«»]", english) == [], key
    assert set(ChangeKind) <= set(GRID_WORDS["en"])
    assert all(
        "\u00a0" not in texts["fr"]
        for mid, texts in catalogue().items()
        if mid.startswith("followup.")
    )


# --- the LDAP probes' fragments ---------------------------------------------------------------


class _NoCertificate:
    def getpeercert(self, binary_form: bool = False) -> None:
        return None


def _access() -> _Access:
    return _Access(
        url="ldaps://127.0.0.1:1", host="127.0.0.1", port=1, ldaps=True, base_dn="dc=ent",
        bind_dn=None, password=None, starttls=False, ca_file=None, verify=True, page_size=10,
        max_entries=100, pseudonymise=True, salt=None,
    )  # fmt: skip


class _Expired:
    network_timeout = 1.0

    def remaining(self) -> float:
        return 0.0


def test_ldap_guard_and_certificate_texts_in_the_language() -> None:
    """The socket guard's refusals and the certificate name check: French as before."""
    french, english = both(lambda: _name_problem(_NoCertificate(), "ldap.ent"))
    assert (french, english) == ("aucun certificat présenté", "no certificate presented")

    def tripped() -> str:
        guard = _GuardedSocket(None, _Expired(), 10)  # type: ignore[arg-type]
        with pytest.raises(_Tripped) as caught:
            guard.recv(1)
        assert caught.value.timeout
        return str(caught.value)

    french, english = both(tripped)
    assert french == "échéance de la sonde atteinte pendant une lecture"
    assert english == "probe deadline reached during a read"
    french, english = both(lambda: text("ldap.guard.name_mismatch", host="h", names=["a", "b"]))
    assert french == "le certificat ne vaut pas pour h (noms : a, b)"
    assert english == "the certificate is not valid for h (names: a, b)"
    french = text("ldap.guard.budget", "fr", budget=65536)
    assert french == "plus de 65536 octets reçus pour des opérations courtes"


def test_ldap_anonymous_sample_and_refused_scan_in_the_language() -> None:
    """« … en anonyme : 1 entrée(s) visible(s) … (aucune réponse finale) », « aucune réponse »."""
    sample = _Sample([("uid=a,dc=ent", {"uid": ["a"]})], None)
    french, english = both(
        lambda: sample.evidence("person", Pseudonymiser(b"salt", enabled=False)).summary
    )
    assert french == (
        "(objectClass=person) en anonyme : 1 entrée(s) visible(s) dans la première page "
        "(aucune réponse finale)"
    )
    assert english == (
        "(objectClass=person) anonymously: 1 entry(ies) visible in the first page (no final answer)"
    )

    def refused() -> str:
        with pytest.raises(ProbeError) as caught:
            _scan_refused(_access(), SearchStats(), 0.0, None)
        return str(caught.value)

    french, english = both(refused)
    assert french.endswith("aucune réponse") and "aucune" not in english
    assert english.endswith("no answer")
