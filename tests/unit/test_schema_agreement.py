"""The JSON Schemas and the loaders agree: every key a schema allows reaches the model.

A key added to a schema without loader support (or the reverse) fails here, because each
schema path must appear in the mapping below and carry its value into the loaded object.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from sdet_check.grid import Grid, load_grid
from sdet_check.run import grid_summary
from sdet_check.yamlfile import schema


def schema_paths(node: dict[str, Any], defs: dict[str, Any], prefix: str = "") -> Iterator[str]:
    """Every property path a schema allows (``$ref`` and ``oneOf`` branches followed)."""
    if "$ref" in node:
        node = defs[node["$ref"].split("/")[-1]]
    for branch in node.get("oneOf", []):
        yield from schema_paths(branch, defs, prefix)
    for key, sub in node.get("properties", {}).items():
        path = f"{prefix}.{key}" if prefix else key
        yield path
        resolved = defs[sub["$ref"].split("/")[-1]] if "$ref" in sub else sub
        if resolved.get("type") == "array" and isinstance(resolved.get("items"), dict):
            yield from schema_paths(resolved["items"], defs, path + "[]")
        elif resolved.get("type") == "object" or "oneOf" in resolved:
            yield from schema_paths(resolved, defs, path)


TEXT = {"fr": "texte", "en": "text"}

REQUIREMENT: dict[str, Any] = {
    "id": "AGR-FULL-001",
    "title": {"fr": "Titre", "en": "Title"},
    "statement": {"fr": "Énoncé", "en": "Statement"},
    "level": "SHOULD",
    "level_basis": "stated",
    "source": {
        "document": "Doc",
        "version": "9",
        "section": "§7",
        "wording": "DOIT",
        "url": "https://example.invalid/doc",
        "family": "SDET",
        "sdet_version": "9",
        "also": [{"document": "Autre", "version": "1", "section": "§1", "url": "u"}],
    },
    "applicability": {"degrees": ["1d"], "scopes": ["exploitation"], "condition": TEXT},
    "tags": ["agr"],
    "verification": {"method": "declaration", "proofs": TEXT, "guidance": TEXT},
    "notes": "note",
    "remediation": {"fr": "Corriger", "en": "Fix it"},
}

# schema path -> how to read it back from the loaded grid's requirement
READERS: dict[str, Callable[[Grid], object]] = {
    "axis": lambda g: g.requirements[0].axis,
    "requirements": lambda g: g.requirements,
    "requirements[].id": lambda g: g.requirements[0].id,
    "requirements[].title": lambda g: g.requirements[0].title.en,
    "requirements[].title.fr": lambda g: g.requirements[0].title.fr,
    "requirements[].title.en": lambda g: g.requirements[0].title.en,
    "requirements[].statement": lambda g: g.requirements[0].statement,
    "requirements[].statement.fr": lambda g: g.requirements[0].statement.fr,
    "requirements[].statement.en": lambda g: g.requirements[0].statement.en,
    "requirements[].level": lambda g: g.requirements[0].level.value,
    "requirements[].level_basis": lambda g: g.requirements[0].level_basis,
    "requirements[].source": lambda g: g.requirements[0].source,
    "requirements[].source.document": lambda g: g.requirements[0].source.document,
    "requirements[].source.version": lambda g: g.requirements[0].source.version,
    "requirements[].source.section": lambda g: g.requirements[0].source.section,
    "requirements[].source.wording": lambda g: g.requirements[0].source.wording,
    "requirements[].source.url": lambda g: g.requirements[0].source.url,
    "requirements[].source.also": lambda g: g.requirements[0].source.also,
    "requirements[].source.also[].document": lambda g: g.requirements[0].source.also[0]["document"],
    "requirements[].source.also[].version": lambda g: g.requirements[0].source.also[0]["version"],
    "requirements[].source.also[].section": lambda g: g.requirements[0].source.also[0]["section"],
    "requirements[].source.also[].url": lambda g: g.requirements[0].source.also[0]["url"],
    "requirements[].applicability": lambda g: g.requirements[0].degrees,
    "requirements[].applicability.degrees": lambda g: g.requirements[0].degrees,
    "requirements[].applicability.scopes": lambda g: g.requirements[0].scopes,
    "requirements[].applicability.condition": lambda g: g.requirements[0].condition,
    "requirements[].applicability.condition.fr": lambda g: g.requirements[0].condition.fr,  # type: ignore[union-attr]
    "requirements[].applicability.condition.en": lambda g: g.requirements[0].condition.en,  # type: ignore[union-attr]
    "requirements[].tags": lambda g: g.requirements[0].tags,
    "requirements[].verification": lambda g: g.requirements[0].verification,
    "requirements[].verification.method": lambda g: g.requirements[0].verification.method,
    "requirements[].verification.probe": lambda g: g.requirements[1].verification.probe,
    "requirements[].verification.params": lambda g: g.requirements[1].verification.params,
    "requirements[].verification.proofs": lambda g: g.requirements[0].verification.proofs,
    "requirements[].verification.proofs.fr": lambda g: g.requirements[0].verification.proofs.fr,  # type: ignore[union-attr]
    "requirements[].verification.proofs.en": lambda g: g.requirements[0].verification.proofs.en,  # type: ignore[union-attr]
    "requirements[].verification.guidance": lambda g: g.requirements[0].verification.guidance,
    "requirements[].verification.guidance.fr": lambda g: g.requirements[0].verification.guidance.fr,  # type: ignore[union-attr]
    "requirements[].verification.guidance.en": lambda g: g.requirements[0].verification.guidance.en,  # type: ignore[union-attr]
    "requirements[].notes": lambda g: g.requirements[0].notes,
    "requirements[].remediation": lambda g: g.requirements[0].remediation,
    "requirements[].remediation.fr": lambda g: g.requirements[0].remediation.fr,  # type: ignore[union-attr]
    "requirements[].remediation.en": lambda g: g.requirements[0].remediation.en,  # type: ignore[union-attr]
    "requirements[].source.family": lambda g: g.requirements[0].source.family,
    "requirements[].source.sdet_version": lambda g: g.requirements[0].source.sdet_version,
}

MANIFEST: dict[str, Any] = {
    "format": 1,
    "id": "agr",
    "version": "1.0",
    "title": TEXT,
    "description": TEXT,
    "published": "2026-01-01",
    "published_note": TEXT,
    "requires_remediation": True,
    "status": "draft",
    "previous": "0.9",
    "max_evidence_age_days": 30,
    "follows": [{"document": "D", "version": "1", "date": "2016", "url": "u", "note": "n"}],
    "licence": {"source": "s", "grid": "g"},
    "changes": [TEXT],
    "axes": [{"id": "technique", "label": TEXT, "description": TEXT, "file": "technique.yaml"}],
}

MANIFEST_READERS: dict[str, Callable[[Grid], object]] = {
    "format": lambda g: g.manifest["format"],
    "id": lambda g: g.id,
    "version": lambda g: g.version,
    "title": lambda g: g.title,
    "title.fr": lambda g: g.title.fr,
    "title.en": lambda g: g.title.en,
    "description": lambda g: g.manifest["description"],
    "description.fr": lambda g: g.manifest["description"]["fr"],
    "description.en": lambda g: g.manifest["description"]["en"],
    "published": lambda g: g.published,
    "published_note": lambda g: g.manifest["published_note"],
    "published_note.fr": lambda g: g.manifest["published_note"]["fr"],
    "published_note.en": lambda g: g.manifest["published_note"]["en"],
    "requires_remediation": lambda g: g.manifest["requires_remediation"],
    "status": lambda g: g.status,
    "previous": lambda g: g.previous,
    "max_evidence_age_days": lambda g: grid_summary(g)["max_evidence_age_days"],
    "follows": lambda g: g.manifest["follows"],
    **{
        f"follows[].{k}": (lambda key: lambda g: g.manifest["follows"][0][key])(k)
        for k in ("document", "version", "date", "url", "note")
    },
    "licence": lambda g: g.manifest["licence"],
    "licence.source": lambda g: g.manifest["licence"]["source"],
    "licence.grid": lambda g: g.manifest["licence"]["grid"],
    "changes": lambda g: g.manifest["changes"],
    "changes[].fr": lambda g: g.manifest["changes"][0]["fr"],
    "changes[].en": lambda g: g.manifest["changes"][0]["en"],
    "axes": lambda g: g.axes,
    "axes[].id": lambda g: g.axes[0].id,
    "axes[].label": lambda g: g.axes[0].label,
    "axes[].label.fr": lambda g: g.axes[0].label.fr,
    "axes[].label.en": lambda g: g.axes[0].label.en,
    "axes[].description": lambda g: g.manifest["axes"][0]["description"],
    "axes[].description.fr": lambda g: g.manifest["axes"][0]["description"]["fr"],
    "axes[].description.en": lambda g: g.manifest["axes"][0]["description"]["en"],
    "axes[].file": lambda g: g.axes[0].file,
}


def dump(data: object) -> str:
    """YAML without aliases (sdet-check refuses them): a JSON round trip unshares objects."""
    return yaml.safe_dump(json.loads(json.dumps(data)), allow_unicode=True)


def full_grid(tmp_path: Path) -> Grid:
    folder = tmp_path / "agr" / "1.0"
    folder.mkdir(parents=True)
    (folder / "grid.yaml").write_text(dump(MANIFEST))
    probe_requirement = dict(
        REQUIREMENT,
        id="AGR-PROBE-001",
        verification={"method": "probe", "probe": "x.y", "params": {"a": 1}, "guidance": TEXT},
    )
    axis = {"axis": "technique", "requirements": [REQUIREMENT, probe_requirement]}
    (folder / "technique.yaml").write_text(dump(axis))
    return load_grid(folder)


def test_every_axis_schema_key_reaches_the_model(tmp_path: Path) -> None:
    axis_schema = schema("grid-axis")
    paths = set(schema_paths(axis_schema, axis_schema["$defs"]))
    assert paths == set(READERS), "schema and loader disagree on the grid-axis format"
    grid = full_grid(tmp_path)
    for path, read in READERS.items():
        assert read(grid) not in (None, "", (), {}), path


def test_every_manifest_schema_key_reaches_the_model(tmp_path: Path) -> None:
    manifest_schema = schema("grid-manifest")
    paths = set(schema_paths(manifest_schema, manifest_schema["$defs"]))
    assert paths == set(MANIFEST_READERS), "schema and loader disagree on grid.yaml"
    grid = full_grid(tmp_path)
    for path, read in MANIFEST_READERS.items():
        assert read(grid) not in (None, "", (), {}), path
