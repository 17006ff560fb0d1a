"""Find the data shipped with sdet-check: grids, JSON Schemas, report templates, example kit.

In a wheel they sit under ``sdet_check/_bundled/``; in a source checkout (or an editable
install) they are the repository's top-level ``grids/`` and ``reports/templates/``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from sdet_check.errors import SdetCheckError

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def grids_dir() -> Path:
    """Return the folder holding ``<family>/<version>/`` grids and ``schemas/``."""
    return _find("grids", _PACKAGE_DIR / "_bundled" / "grids", _PACKAGE_DIR.parent / "grids")


@cache
def templates_dir() -> Path:
    """Return the folder holding the Jinja2 report templates."""
    return _find(
        "templates",
        _PACKAGE_DIR / "_bundled" / "templates",
        _PACKAGE_DIR.parent / "reports" / "templates",
    )


@cache
def reference_ent_dir() -> Path:
    """Return the reference ENT's answered kit (questionnaire, proofs, example audit answers).

    ``examples/ent-reference/`` in a checkout; the demo walks the audit loop with it.
    """
    return _find(
        "ent-reference",
        _PACKAGE_DIR / "_bundled" / "ent-reference",
        _PACKAGE_DIR.parent / "examples" / "ent-reference",
    )


def schemas_dir() -> Path:
    """Return the folder holding the JSON Schemas of every input and output format."""
    return grids_dir() / "schemas"


def _find(what: str, *candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise SdetCheckError(
        f"données « {what} » introuvables (cherchées dans {', '.join(map(str, candidates))}) : "
        "réinstaller sdet-check avec `pip install .`"
    )
