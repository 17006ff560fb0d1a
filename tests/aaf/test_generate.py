"""The generator: realistic, deterministic sets; every injected defect is found, nothing else."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from sdet_check.aaf import parallel as parallel_module
from sdet_check.aaf.families import Family
from sdet_check.aaf.generate import GenerationOptions, generate, parse_defects
from sdet_check.aaf.reader import discover
from sdet_check.aaf.rules import RULES
from sdet_check.errors import InputError

from .conftest import run


@pytest.fixture(scope="module")
def clean_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    generate(out, GenerationOptions(structures=3, seed=7, chunk_records=300))
    return out


@pytest.fixture(scope="module")
def defect_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("defects")
    generate(out, GenerationOptions(structures=2, seed=11, defects=frozenset(RULES)))
    return out


def _manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return data


def test_clean_set_gives_no_finding(clean_set: Path) -> None:
    result, findings = run(clean_set)
    assert [f.message for f in findings] == []
    assert result.skipped == []
    manifest = _manifest(clean_set)
    assert result.records >= sum(manifest["counts"].values())
    assert manifest["defects"] == []


def test_clean_set_is_realistic(clean_set: Path) -> None:
    manifest = _manifest(clean_set)
    counts = manifest["counts"]
    assert counts["EtabEducNat"] == 3
    assert counts["Eleve"] >= 3 * 48
    assert counts["PersRelEleve"] > counts["Eleve"]  # two parents, siblings share them
    assert counts["PersRelEleve"] < 2 * counts["Eleve"]
    assert counts["PersEducNat"] > 3 * 8
    families = {f["family"] for f in manifest["files"]}
    assert families == {family.value for family in Family}
    eleve_chunks = [
        f for f in manifest["files"] if f["family"] == "Eleve" and f["kind"] == "Complet"
    ]
    assert len(eleve_chunks) >= 2  # split in numbered chunks
    assert all(f["records"] <= 300 for f in manifest["files"])
    sources = discover(clean_set)
    assert {s.encoding for s in sources} == {"UTF-8", "ISO-8859-15"}
    assert all(s.version_af == "AAF-VE2407" and s.name_problem is None for s in sources)
    assert any(s.kind.value == "Delta" for s in sources)


def test_all_injected_defects_are_found_and_nothing_else(defect_set: Path) -> None:
    manifest = _manifest(defect_set)
    assert manifest["not_injected"] == []
    injected = {(d["rule"], d["file"], d["record"]) for d in manifest["defects"]}
    assert {rule for rule, _, _ in injected} == set(RULES)  # one defect of every rule
    _, findings = run(defect_set)
    found = {(f.rule, f.file, f.record) for f in findings}
    assert injected - found == set(), "recall below 100%"
    assert found - injected == set(), "findings that no defect explains"


def test_parallel_scan_gives_the_same_report(
    defect_set: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, sequential = run(defect_set)
    small, _ = run(defect_set, jobs=2)
    assert small.jobs == 1  # a small set is read in this process: workers would cost more
    monkeypatch.setattr(parallel_module, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel_module, "_processors", lambda: 2)
    result, parallel = run(defect_set, jobs=2)
    assert result.jobs == 2
    assert parallel == sequential
    monkeypatch.setattr(parallel_module, "_processors", lambda: 1)
    single_processor, _ = run(defect_set, jobs=4)
    assert single_processor.jobs == 1


@pytest.mark.parametrize(("load", "workers"), [(0.2, 2), (0.9, 1), (1.4, 1), (6.0, 1)])
def test_workers_only_on_processors_the_load_leaves_idle(
    monkeypatch: pytest.MonkeyPatch, load: float, workers: int
) -> None:
    monkeypatch.setattr(parallel_module.os, "sched_getaffinity", lambda _pid: {0, 1})
    monkeypatch.setattr(parallel_module.os, "getloadavg", lambda: (load, load, load))
    assert parallel_module._processors() == workers


def test_same_seed_same_bytes_other_seed_other_set(tmp_path: Path) -> None:
    def digest(folder: Path) -> str:
        h = hashlib.sha256()
        for path in sorted(folder.glob("*.xml")):
            h.update(path.name.encode() + path.read_bytes())
        return h.hexdigest()

    options = GenerationOptions(structures=1, seed=5, defects=parse_defects("all"))
    generate(tmp_path / "a", options)
    generate(tmp_path / "b", options)
    generate(tmp_path / "c", GenerationOptions(structures=1, seed=6, defects=options.defects))
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")
    assert _manifest(tmp_path / "a")["defects"] == _manifest(tmp_path / "b")["defects"]


def test_size_target_is_approached(tmp_path: Path) -> None:
    manifest = generate(tmp_path / "s", GenerationOptions(structures=2, seed=1, size_mb=3))
    assert 2_400_000 < manifest["bytes"] < 3_600_000


def test_selected_defects_only(tmp_path: Path) -> None:
    options = GenerationOptions(structures=1, defects=parse_defects("aaf-uai-001, AAF-DATE-001"))
    manifest = generate(tmp_path / "d", options)
    assert sorted(d["rule"] for d in manifest["defects"]) == ["AAF-DATE-001", "AAF-UAI-001"]
    _, findings = run(tmp_path / "d")
    assert sorted(f.rule for f in findings) == ["AAF-DATE-001", "AAF-UAI-001"]


def test_unknown_defect_and_non_empty_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="AAF-NOPE-001"):
        parse_defects("AAF-UAI-001,AAF-NOPE-001")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("à garder")
    with pytest.raises(InputError, match="dossier non vide"):
        generate(tmp_path / "x", GenerationOptions(structures=1))
    assert (tmp_path / "x" / "keep.txt").read_text() == "à garder"


def test_force_replaces_an_earlier_set_without_stale_chunks(tmp_path: Path) -> None:
    out = tmp_path / "jeu"
    generate(out, GenerationOptions(structures=2, chunk_records=100))
    (out / "notes.txt").write_text("à moi")
    manifest = generate(out, GenerationOptions(structures=1), overwrite=True)
    on_disk = {p.name for p in out.glob("*.xml")}
    assert on_disk == {str(f["name"]) for f in manifest["files"]}
    assert (out / "notes.txt").read_text() == "à moi"
    _, findings = run(out)
    assert findings == []
