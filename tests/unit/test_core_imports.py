"""The core never imports the presentation libraries (DESIGN §3): only cli/ and reporters/."""

from __future__ import annotations

import ast
from pathlib import Path

import sdet_check

PRESENTATION = {"jinja2", "weasyprint", "typer", "rich", "click"}
PACKAGE = Path(sdet_check.__file__).resolve().parent


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return roots


def test_core_modules_import_no_presentation_library() -> None:
    core = [
        path
        for path in PACKAGE.rglob("*.py")
        if not {"cli", "reporters", "_bundled"} & set(path.relative_to(PACKAGE).parts)
    ]
    assert {p.name for p in core} >= {"compare.py", "rundiff.py", "run.py", "scoring.py"}
    offenders = {str(p.relative_to(PACKAGE)): imported_roots(p) & PRESENTATION for p in core}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_check_sees_imports() -> None:
    cli = imported_roots(PACKAGE / "cli" / "compare.py")
    assert "typer" in cli and "rich" in cli


def test_the_core_never_imports_a_probe_family() -> None:
    """Probes plug into the core through the registry; the core (demo stack included) must not
    depend on one family's module, or removing a family would break the tool."""
    offenders = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "probes" in imported_roots(path)
    )
    assert offenders == []
