"""The files in examples/ load against the current grid: a newcomer can copy them as is."""

from __future__ import annotations

from pathlib import Path

from sdet_check.api import open_grid
from sdet_check.declarations import load_declarations, load_reviews, load_waivers
from sdet_check.target import load_target

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_example_target_loads_with_its_secrets_set() -> None:
    environ = {"SDET_ELEVE_PASSWORD": "mot-de-passe-x", "SDET_LDAP_PASSWORD": "mot-de-passe-y"}
    target = load_target(EXAMPLES / "cible-ent.yaml", environ)
    assert target.has("portal") and target.has("cas") and target.has("accounts")
    assert {s.env for s in target.secrets} == set(environ)


def test_example_declarations_waivers_reviews_match_the_grid() -> None:
    ids = [r.id for r in open_grid("sdet/6.4").requirements]
    declarations, pinned = load_declarations(EXAMPLES / "declarations.yaml", ids)
    assert declarations and all(d.documents[0].check == "ok" for d in declarations)
    assert pinned.header["editor"] == "Éditeur Exemple"  # carried into run.json
    assert pinned.header["solution_version"] == "5.2.0"
    waivers, _ = load_waivers(EXAMPLES / "reserves.yaml", ids)
    assert waivers[0].requirement == "SEC-TLS-002"
    reviews, _ = load_reviews(EXAMPLES / "revues.yaml", ids)
    assert reviews[0].documents[0].check == "ok"
