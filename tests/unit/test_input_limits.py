"""Hostile or impossible input files: exit 3 with the file, the place and the fix, never a crash.

Issue 10: impossible dates, 50k-level YAML, a 100k-deep run.json, oversized YAML, one parse
per file, and ``--debug`` leaving the exit codes as documented.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sdet_check import yamlfile
from sdet_check.errors import InputError
from sdet_check.yamlfile import read_yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
MAX_YAML_DEPTH = 64  # documented in the README; sdet_check.yamlfile.MAX_YAML_DEPTH
SECRETS = {"SDET_ELEVE_PASSWORD": "mot-de-passe-eleve", "SDET_LDAP_PASSWORD": "mot-de-passe-ldap"}


def sdet_check(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run this worktree's command line (PYTHONPATH), as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "sdet_check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "NO_COLOR": "1",
            "COLUMNS": "200",
            "PYTHONPATH": str(ROOT),
            **SECRETS,
            **(env or {}),
        },
    )


def _examples(tmp_path: Path) -> Path:
    folder = tmp_path / "ex"
    shutil.copytree(EXAMPLES, folder)
    return folder


@pytest.mark.parametrize(
    ("file", "old", "new", "option"),
    [
        ("reserves.yaml", "expires: 2027-01-31", "expires: 2027-02-31", "--waivers"),
        ("declarations.yaml", "date: 2026-09-15", "date: 2026-13-15", "--declarations"),
        ("cible-ent.yaml", '# date: "2026-09-01"', "date: 2026-02-30", "--target"),
    ],
)
def test_impossible_yaml_date_is_exit_3_with_file_line_and_fix(
    tmp_path: Path, file: str, old: str, new: str, option: str
) -> None:
    folder = _examples(tmp_path)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = text[: text.index(old)].count("\n") + 1
    args = ["run", "--target", str(folder / "cible-ent.yaml"), "--out", str(tmp_path / "o")]
    if option != "--target":
        args += [option, str(path)]
    done = sdet_check(*args, cwd=folder)
    assert done.returncode == 3, done.stderr
    message = " ".join(done.stderr.split())
    assert file in message and f"ligne {line}" in message, message
    assert "date impossible" in message and "AAAA-MM-JJ" in message
    assert "Erreur interne" not in message and "ValueError" not in message
    assert not (tmp_path / "o").exists()


def test_deeply_nested_yaml_is_exit_3_not_recursion_error(tmp_path: Path) -> None:
    folder = _examples(tmp_path)
    waivers = folder / "reserves.yaml"
    waivers.write_text("format: 1\nwaivers: " + "[" * 50_000 + "]" * 50_000 + "\n")
    done = sdet_check(
        "run", "--target", str(folder / "cible-ent.yaml"), "--waivers", str(waivers),
        "--out", str(tmp_path / "o"), cwd=folder,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    message = " ".join(done.stderr.split())
    assert "reserves.yaml (ligne 2" in message and f"plus de {MAX_YAML_DEPTH} niveaux" in message
    assert "RecursionError" not in done.stderr


def test_deeply_nested_block_yaml_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("".join(f"{' ' * i}k:\n" for i in range(200)))
    with pytest.raises(InputError) as caught:
        read_yaml(path)
    assert yamlfile.MAX_YAML_DEPTH == MAX_YAML_DEPTH
    assert caught.value.place.line == MAX_YAML_DEPTH  # the first line past the limit


def test_100k_deep_run_json_is_exit_3(tmp_path: Path) -> None:
    run = tmp_path / "run.json"
    run.write_text("[" * 100_000 + "]" * 100_000)
    for args in (["report", str(run)], ["compare", str(run), str(run)]):
        done = sdet_check(*args, cwd=tmp_path)
        assert done.returncode == 3, done.stderr
        assert "imbriqué sur plus de 100 niveaux" in " ".join(done.stderr.split())
        assert "RecursionError" not in done.stderr


def test_oversized_yaml_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "cible.yaml"
    line = "# " + "x" * 1000 + "\n"
    big.write_text(line * (9 * 1024))  # 9 MB of comments: parsed, they would take minutes
    started = time.monotonic()
    done = sdet_check("run", "--target", str(big), cwd=tmp_path)
    elapsed = time.monotonic() - started
    assert done.returncode == 3, done.stderr
    message = " ".join(done.stderr.split())
    assert "plus de 8 Mo refusé avant lecture" in message
    assert "SDET_CHECK_MAX_YAML_MB" in message
    assert elapsed < 30
    small = sdet_check(
        "run", "--target", str(big), cwd=tmp_path, env={"SDET_CHECK_MAX_YAML_MB": "0.5"}
    )
    assert "plus de 0.5 Mo" in " ".join(small.stderr.split())


def test_yaml_file_is_parsed_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    loaders = []
    original = yamlfile._StrictLoader.__init__

    def counting(self: yamlfile._StrictLoader, stream: str) -> None:
        loaders.append(stream)
        original(self, stream)

    monkeypatch.setattr(yamlfile._StrictLoader, "__init__", counting)
    path = tmp_path / "a.yaml"
    path.write_text("a: [1, 2]\nb: {c: 2026-01-02}\n")
    loaded = read_yaml(path)
    assert loaded.data == {"a": [1, 2], "b": {"c": "2026-01-02"}}
    assert loaded.line_of(["b", "c"]) == 2
    assert len(loaders) == 1


_CRASH = """
import sys
import sdet_check.griddiff as griddiff
def boom(*args, **kwargs):
    raise ZeroDivisionError("défaut simulé")
griddiff.diff_grids = boom
import sdet_check.cli.grid as grid_cli
grid_cli.diff_grids = boom
from sdet_check.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("debug", [[], ["--debug"]])
def test_debug_never_changes_exit_codes(tmp_path: Path, debug: list[str]) -> None:
    bad_input = sdet_check(*debug, "run", "--target", str(tmp_path / "absent.yaml"), cwd=tmp_path)
    assert bad_input.returncode == 3, bad_input.stderr
    crash = subprocess.run(
        [sys.executable, "-c", _CRASH, *debug, "grid", "diff", "sdet/6.2", "sdet/6.4"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert crash.returncode == 4, crash.stderr
    assert "ZeroDivisionError" in crash.stderr
    assert ("Traceback" in crash.stderr) == bool(debug)


def test_nested_yaml_memory_and_time_stay_bounded(tmp_path: Path) -> None:
    """The hostile case in a child process: wall time and peak memory printed for the report."""
    path = tmp_path / "deep.yaml"
    path.write_text("x: " + "[" * 50_000 + "]" * 50_000 + "\n")
    script = (
        "import resource, sys, time\n"
        "from pathlib import Path\n"
        "from sdet_check.errors import InputError\n"
        "from sdet_check.yamlfile import read_yaml\n"
        "t = time.monotonic()\n"
        "try:\n    read_yaml(Path(sys.argv[1]))\nexcept InputError:\n    pass\n"
        # VmHWM is the child's own peak; ru_maxrss would count the parent's pages at fork.
        "peak = next(l for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
        "print(time.monotonic() - t, peak.split()[1])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=60,
        cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    seconds, peak_kb = done.stdout.split()
    print(f"YAML 50k niveaux : {float(seconds):.3f} s, pic {int(peak_kb) // 1024} Mo")
    # A loose bound: the point is "bounded", speed belongs to the benchmarks.
    assert float(seconds) < 30 and int(peak_kb) < 200_000
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > 0
