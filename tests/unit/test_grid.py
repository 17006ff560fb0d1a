"""Grid loading: the schema, the loader's own checks, and errors that name file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sdet_check.errors import InputError
from sdet_check.grid import Level, Method, derive_family, load_grid, resolve_grid, source_label
from sdet_check.griddiff import ChangeKind, diff_grids
from sdet_check.gridexport import export_csv, export_markdown
from sdet_check.registry import ProbeRegistry
from sdet_check.selection import Selection

from .conftest import DEMO_GRID


def copy_grid(tmp_path: Path, version: str = "1.0") -> Path:
    folder = tmp_path / "demo" / version
    shutil.copytree(DEMO_GRID, folder)
    return folder


def test_loads_demo_grid(registry: ProbeRegistry) -> None:
    grid = load_grid(DEMO_GRID, registry)
    assert grid.ref == "demo/1.0"
    assert [a.id for a in grid.axes] == ["technique", "juridique"]
    assert len(grid.requirements) == 5
    first = grid.requirement("T-PASS-001")
    assert first.level is Level.MUST
    assert first.verification.method is Method.PROBE
    assert first.source.wording == "DOIT passer"
    assert grid.requirement("J-DECL-001").verification.proofs is not None
    assert len(grid.content_hash) == 64


def test_content_hash_changes_with_content(tmp_path: Path) -> None:
    folder = copy_grid(tmp_path)
    before = load_grid(folder).content_hash
    axis = folder / "juridique.yaml"
    axis.write_text(axis.read_text().replace("Un registre est tenu.", "Un registre est à jour."))
    assert load_grid(folder).content_hash != before


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    folder = copy_grid(tmp_path)
    axis = folder / "technique.yaml"
    lines = axis.read_text().splitlines()
    lines[4] = '    title: {fr: "oups", en: [unclosed'
    axis.write_text("\n".join(lines))
    with pytest.raises(InputError) as caught:
        load_grid(folder)
    message = str(caught.value)
    assert "technique.yaml" in message
    assert "YAML mal formé" in message
    assert caught.value.place.line is not None and caught.value.place.line >= 5


def test_unknown_key_is_named_with_its_line(tmp_path: Path) -> None:
    folder = copy_grid(tmp_path)
    axis = folder / "technique.yaml"
    axis.write_text(axis.read_text().replace("    level: SHOULD\n", "    levle: SHOULD\n", 1))
    with pytest.raises(InputError) as caught:
        load_grid(folder)
    error = caught.value
    assert "levle" in error.problem
    assert error.place.path == "requirements[1].levle"
    assert error.place.line == 15
    assert "vouliez-vous écrire « level »" in error.fix
    assert "clés permises" in error.fix


def test_wrong_type_is_explained(tmp_path: Path) -> None:
    folder = copy_grid(tmp_path)
    axis = folder / "technique.yaml"
    axis.write_text(axis.read_text().replace("tags: [alpha]", "tags: alpha", 1))
    with pytest.raises(InputError) as caught:
        load_grid(folder)
    assert caught.value.place.path == "requirements[0].tags"
    assert "liste" in caught.value.problem


def test_bad_level_lists_allowed_values(tmp_path: Path) -> None:
    folder = copy_grid(tmp_path)
    axis = folder / "technique.yaml"
    axis.write_text(axis.read_text().replace("level: MUST", "level: MAY", 1))
    with pytest.raises(InputError) as caught:
        load_grid(folder)
    assert "MUST, SHOULD" in caught.value.fix
    assert caught.value.place.line == 6


def test_duplicate_requirement_id_across_files(tmp_path: Path) -> None:
    folder = copy_grid(tmp_path)
    axis = folder / "juridique.yaml"
    axis.write_text(axis.read_text().replace("J-1D-001", "T-PASS-001"))
    with pytest.raises(InputError) as caught:
        load_grid(folder)
    message = str(caught.value)
    assert "T-PASS-001" in message and "en double" in message
    assert "technique.yaml" in message  # says where the first one is
    assert "juridique.yaml" in caught.value.file


def test_duplicate_yaml_key_is_refused(tmp_path: Path) -> None:
    folder = copy_grid(tmp_path)
    manifest = folder / "grid.yaml"
    manifest.write_text(manifest.read_text() + 'version: "1.0"\n')
    with pytest.raises(InputError) as caught:
        load_grid(folder)
    assert "répétée" in str(caught.value)


def test_version_must_match_folder(tmp_path: Path) -> None:
    folder = copy_grid(tmp_path, version="2.0")
    with pytest.raises(InputError) as caught:
        load_grid(folder)
    assert "« 1.0 »" in caught.value.problem and "« 2.0 »" in caught.value.problem
    assert caught.value.place.path == "version"


def test_unknown_probe_kind_is_refused_with_known_kinds(
    tmp_path: Path, registry: ProbeRegistry
) -> None:
    folder = copy_grid(tmp_path)
    axis = folder / "technique.yaml"
    axis.write_text(axis.read_text().replace("probe: fake.pass", "probe: fake.passe"))
    with pytest.raises(InputError) as caught:
        load_grid(folder, registry)
    assert "fake.passe" in caught.value.problem
    assert "fake.pass," in caught.value.fix
    assert caught.value.place.path == "requirements[0].verification.probe"


def test_probe_params_are_checked_against_the_probe_schema(
    tmp_path: Path, registry: ProbeRegistry
) -> None:
    folder = copy_grid(tmp_path)
    axis = folder / "technique.yaml"
    axis.write_text(axis.read_text().replace('{reason: "volontaire"}', "{raison: 1}"))
    with pytest.raises(InputError) as caught:
        load_grid(folder, registry)
    assert "raison" in caught.value.problem


def test_axis_file_must_declare_its_axis(tmp_path: Path) -> None:
    folder = copy_grid(tmp_path)
    axis = folder / "juridique.yaml"
    axis.write_text(axis.read_text().replace("axis: juridique", "axis: technique"))
    with pytest.raises(InputError) as caught:
        load_grid(folder)
    assert "axis: juridique" in caught.value.fix


def test_resolve_grid_by_id_and_unknown(tmp_path: Path) -> None:
    copy_grid(tmp_path)
    assert resolve_grid("demo/1.0", tmp_path) == tmp_path / "demo" / "1.0"
    assert resolve_grid("demo", tmp_path) == tmp_path / "demo" / "1.0"
    with pytest.raises(InputError) as caught:
        resolve_grid("demo/9.9", tmp_path)
    assert "demo/1.0" in caught.value.fix


def test_diff_reports_added_removed_relevelled_reworded(tmp_path: Path) -> None:
    old = load_grid(copy_grid(tmp_path / "a"))
    new_folder = copy_grid(tmp_path / "b")
    technique = new_folder / "technique.yaml"
    text = technique.read_text()
    text = text.replace("level: SHOULD", "level: MUST", 1)  # T-FAIL-001 relevelled
    text = text.replace("La sonde passe.", "La sonde passe toujours.")  # T-PASS-001 reworded
    text = text.replace("T-SECRET-001", "T-NEW-001")  # removed + added
    technique.write_text(text)
    diff = diff_grids(old, load_grid(new_folder))
    assert [c.requirement_id for c in diff.of_kind(ChangeKind.ADDED)] == ["T-NEW-001"]
    assert [c.requirement_id for c in diff.of_kind(ChangeKind.REMOVED)] == ["T-SECRET-001"]
    relevelled = diff.of_kind(ChangeKind.RELEVELLED)
    assert [(c.requirement_id, c.old, c.new) for c in relevelled] == [
        ("T-FAIL-001", "SHOULD", "MUST")
    ]
    assert [c.requirement_id for c in diff.of_kind(ChangeKind.REWORDED)] == ["T-PASS-001"]


def test_exports_hold_every_selected_requirement() -> None:
    grid = load_grid(DEMO_GRID)
    csv_text = export_csv(grid, grid.requirements)
    assert csv_text.splitlines()[0].startswith("identifiant,axe,niveau")
    assert len(csv_text.strip().splitlines()) == 1 + len(grid.requirements)
    markdown = export_markdown(grid, grid.requirements, lang="en")
    assert "## Technical" in markdown and "| T-FAIL-001 | SHOULD |" in markdown


def test_a_grid_that_requires_remediation_refuses_a_probe_requirement_without_one(
    tmp_path: Path,
) -> None:
    folder = copy_grid(tmp_path)
    manifest = folder / "grid.yaml"
    manifest.write_text(manifest.read_text() + "requires_remediation: true\n")
    with pytest.raises(InputError) as caught:
        load_grid(folder)
    message = str(caught.value)
    assert "technique.yaml" in message and "T-PASS-001" in message
    assert "remediation" in message and caught.value.place.line == 3
    # Given a remediation text, the requirement loads and carries it into the run record.
    axis = folder / "technique.yaml"
    text = axis.read_text().replace(
        "verification: {method: probe, probe: fake.pass}",
        "verification: {method: probe, probe: fake.pass}\n"
        '    remediation: {fr: "Corriger la sonde.", en: "Fix the probe."}',
    )
    axis.write_text(text)
    with pytest.raises(InputError) as caught:
        load_grid(folder)
    assert "T-FAIL-001" in str(caught.value)  # the next probe requirement still lacks one
    manifest.write_text(manifest.read_text().replace("requires_remediation: true", ""))
    grid = load_grid(folder)
    assert grid.requirement("T-PASS-001").to_json()["remediation"] == {
        "fr": "Corriger la sonde.",
        "en": "Fix the probe.",
    }
    assert "remediation" not in grid.requirement("T-FAIL-001").to_json()


def test_source_label_names_the_family_stated_or_derived_from_the_title() -> None:
    sdet = {"document": "SDET — Annexe opérationnelle", "family": "SDET", "sdet_version": "6.3"}
    assert source_label(sdet, "6.3", "fr") == "Source SDET 6.3"
    assert source_label(sdet, "6.4", "fr") == (
        "Source SDET 6.3 (version du SDET autre que celle de la grille, 6.4)"
    )
    assert source_label(sdet, "6.4", "en") == (
        "SDET 6.3 source (another SDET version than the grid's, 6.4)"
    )
    web = {"document": "SDET — édition web (ère v7)", "version": "version non visible"}
    assert source_label(web, "6.4", "fr") == "Source SDET (version du SDET non précisée)"
    assert source_label(web, "6.4", "en") == "SDET source (SDET version not stated)"
    # A run written before families: the title names it; an unknown title stays generic.
    assert source_label({"document": "RFC 6797 — HSTS"}, "6.4", "fr") == "Source RFC"
    assert source_label({"document": "OASIS — SAML core"}, None, "en") == "OASIS source"
    assert source_label({"document": "Arrêté du 30 novembre 2006"}, None, "en") == (
        "ministerial order source"
    )
    assert source_label({"document": "Doc"}, "1.0", "fr") == "Source"
    assert derive_family("Règlement (UE) 2016/679 (RGPD)") == "RGPD"
    assert derive_family("ENT Core (Edifice) — SSOAgents.java (preuve d'implémentation)") == (
        "implémentation"
    )


def test_an_axis_answers_to_its_id_and_to_its_labels_in_either_language() -> None:
    grid = load_grid(resolve_grid("sdet/6.4"))
    for name in ("securite", "Sécurité", "SECURITE", "Security", " security "):
        axis = grid.axis_named(name)
        assert axis is not None and axis.id == "securite", name
    technical = grid.axis_named("Technical")  # the English label without its parenthesis
    assert technical is not None and technical.id == "technique"
    whole = grid.axis_named("Technique (architecture et interopérabilité)")
    assert whole is not None and whole.id == "technique"
    assert grid.axis_named("Sekurity") is None and grid.axis_named("") is None


def test_a_selection_by_axis_label_resolves_to_the_axis_id() -> None:
    grid = load_grid(resolve_grid("sdet/6.4"))
    selection = Selection(axes=frozenset({"Security", "Legal", "Sekurity"})).resolved(grid)
    assert selection.axes == {"securite", "juridique", "Sekurity"}
    (unknown,) = selection.unknown_names(grid)
    assert "Sekurity" in unknown
    legal = next(r for r in grid.requirements if r.axis == "juridique")
    assert selection.reason_to_skip(legal) is None
