"""An English run says its findings in English: no French word reaches a probe's message.

The http family runs against the demo's reference portals (one conformant, one not) with
English as the current language, through the runner's own result mapping; every message is
checked against a list of common French words (quoted target content left aside: a French
portal's page title stays French), then re-rendered in French from its id and parameters.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from probes import http
from sdet_check.demo.portal import PortalConfig, PortalServer, write_target
from sdet_check.messages import Message, message_text, set_language
from sdet_check.probe import NotTestable, Probe, ProbeContext, ProbeError
from sdet_check.target import load_target

FRENCH_WORDS = frozenset(
    re.findall(
        r"\S+",
        """le la les un une des du de au aux et ou est sont pas ne n aucun aucune sans avec pour
    dans sur qui que ni répond réponse statut accueil exigé exigée exigées adresse lien
    absente introuvable refusé refusée connexion délai sonde cible attendu attendue
    conforme formulaire identifiants compte portail en-tête""",
    )
)
"""Words that give French away (``de``, ``sans``, ``réponse``...), matched as whole words."""

_QUOTED = re.compile(r"\"[^\"]*\"|«[^»]*»|'[^']*'|\S+://\S+")
_TOKEN = re.compile(r"[\w'’-]+")


def french_words(text: str) -> list[str]:
    """The French words of ``text``, quoted target content, addresses and codes left out.

    A token holding a digit (``ST-1D6N…``, ``0x30``) is a code, not a word; ``n'est`` counts
    as ``n`` and ``est``.
    """
    words = []
    for token in _TOKEN.findall(_QUOTED.sub(" ", text)):
        if any(c.isdigit() or c == "_" for c in token):
            continue
        words += [w for w in re.split(r"['’]", token) if w.lower() in FRENCH_WORDS]
    return words


CASES: list[tuple[type[Probe], dict[str, Any]]] = [
    (http.HttpsRedirect, {}),
    (http.Hsts, {}),
    (http.Hsts, {"min_max_age": 10**9, "include_subdomains": True}),
    (http.TlsFloor, {}),
    (http.TlsFloor, {"min_version": "1.3"}),
    (http.CookieFlags, {"require": ["secure", "httponly", "samesite"]}),
    (http.LegalPage, {"page": "mentions_legales"}),
    (http.LegalPage, {"page": "donnees_personnelles"}),
    (http.LegalPage, {"page": "accessibilite", "require_text": ["absent-text-xyz"]}),
    (http.LegalPage, {"page": "arrete_2006"}),
    (http.AccessibilityMention, {}),
]


@pytest.fixture(scope="module")
def portals(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[PortalServer]]:
    pki = tmp_path_factory.mktemp("pki")
    with (
        PortalServer(PortalConfig.conformant(), pki) as good,
        PortalServer(PortalConfig.non_conformant(), pki) as bad,
    ):
        yield [good, bad]


@pytest.fixture
def english() -> Iterator[None]:
    set_language("en")
    try:
        yield
    finally:
        set_language("fr")


def decide(probe: type[Probe], params: dict[str, Any], portal: PortalServer, folder: Path) -> str:
    """Run one probe, return its message as the runner would take it."""
    target = load_target(write_target(folder / "target.yaml", portal))
    context = ProbeContext(target=target, network_timeout=5, deadline=time.monotonic() + 30)
    try:
        return probe().check(params, context).message
    except (ProbeError, NotTestable) as exc:
        return exc.message


@pytest.mark.usefixtures("english")
def test_an_english_http_run_has_no_french_words(
    portals: list[PortalServer], tmp_path: Path
) -> None:
    """Both portals, every http probe: each message is English and comes from the catalogue."""
    found: dict[str, list[str]] = {}
    messages = []
    for index, (probe, params) in enumerate(CASES):
        for which, portal in enumerate(portals):
            folder = tmp_path / f"{index}-{which}"
            folder.mkdir()
            message = decide(probe, params, portal, folder)
            messages.append(message)
            words = french_words(message)
            if words:
                found[f"{probe.kind} {params} on portal {which}: {message}"] = words
    assert found == {}
    assert all(isinstance(message, Message) for message in messages)
    # Passes and failures both met, so that the check covered more than one path.
    assert len({message.id for message in messages if isinstance(message, Message)}) >= 12


@pytest.mark.usefixtures("english")
def test_a_result_made_in_english_renders_in_french(
    portals: list[PortalServer], tmp_path: Path
) -> None:
    """The record of an English run carries what renders it in French, typography included."""
    message = decide(http.Hsts, {"min_max_age": 10**9}, portals[0], tmp_path)
    assert isinstance(message, Message)
    entry = {"message": str(message), **message.to_json()}
    assert "insufficient" in message_text(entry, "en")
    french = message_text(entry, "fr")
    assert "insuffisant\u00a0:" in french and "exigées" in french


def test_the_word_list_catches_french() -> None:
    """The detector itself: a French finding is caught, an English one with a quote is not."""
    assert french_words("la page « mentions légales » répond 404") == ["la", "répond"]
    assert french_words("le ticket n'est pas valide") == ["le", "n", "est", "pas"]
    assert french_words("ST-1D6N… (64 characters)") == []
    assert french_words('the page "données personnelles de la cible" answers 404') == []


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize("variant", ["conformant", "django_defaults", "open_service"])
def test_an_english_cas_run_has_no_french_words(
    variant: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The CAS requirements of the grid, run in English against a real CAS server."""
    from sdet_check.api import open_grid
    from sdet_check.demo.cas import CasConfig, CasServer, demo_environ
    from sdet_check.demo.pki import ensure_pki
    from sdet_check.runner import Runner
    from sdet_check.selection import Selection
    from tests.probes.test_cas import REGISTRY
    from tests.probes.test_cas import write_target as write_cas_target

    pki = tmp_path_factory.mktemp("pki")
    ensure_pki(pki)
    grid = open_grid("sdet/6.4", REGISTRY)
    with CasServer(getattr(CasConfig, variant)(), pki) as server:
        file = write_cas_target(server, tmp_path_factory.mktemp(variant))
        target = load_target(file, demo_environ(server))
        results = Runner(REGISTRY).run(grid, target, Selection(tags=frozenset({"cas"})))
    decided = [r for r in results if (r.probe or "").startswith("cas.")]
    assert len(decided) >= 20
    found = {
        f"{r.requirement_id}: {r.message}": words
        for r in decided
        if (words := french_words(r.message))
    }
    assert found == {}, "\n".join(f"{k} {v}" for k, v in found.items())
    assert all(isinstance(r.message, Message) for r in decided)
