"""Reading AAF files: encodings, file names and prologs, hostile XML, streaming memory."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from sdet_check.aaf.dtd import BUILTIN_DTD, DtdOrigin
from sdet_check.aaf.families import Family
from sdet_check.aaf.generate import GenerationOptions, Record, generate
from sdet_check.aaf.model import Kind, Op
from sdet_check.aaf.parallel import _worker
from sdet_check.aaf.reader import discover, sniff

from .conftest import AafSet, add, file_name, run, write_file

ROOT = Path(__file__).resolve().parents[2]


# -- encodings -------------------------------------------------------------------------------


def _titled(title: str) -> Record:
    return add(Family.PERS_REL, "300", ("ENTPersonJointure", ["300"]), ("sn", ["CŒUR"]),
               ("givenName", ["Gaëlle"]), ("personalTitle", [title]))  # fmt: skip


@pytest.mark.parametrize("encoding", ["ISO-8859-15", "UTF-8", "UTF-16"])
def test_declared_encoding_is_honoured(tmp_path: Path, encoding: str) -> None:
    """The same file in three encodings gives the same finding, accents (œ, €) intact."""
    path = write_file(tmp_path / file_name(Family.PERS_REL), [_titled("Mœ€")], encoding=encoding)
    result, findings = run(path, show_values=True)
    assert [f.rule for f in findings] == ["AAF-VAL-001"]
    assert "« Mœ€ »" in findings[0].message
    assert result.files[0].encoding == encoding


def test_bytes_that_contradict_the_declaration(tmp_path: Path) -> None:
    path = tmp_path / file_name(Family.PERS_REL)
    text = write_file(path, [_titled("Mme")], encoding="ISO-8859-15").read_bytes()
    path.write_bytes(text.replace(b'encoding="ISO-8859-15"', b'encoding="UTF-8"'))
    result, findings = run(path)
    assert [(f.rule, f.line) for f in findings] == [("AAF-ENC-001", 12)]  # the byte of Œ
    assert "UTF-8" in findings[0].message
    assert result.files[0].complete is False


def test_unknown_encoding_name(tmp_path: Path) -> None:
    path = tmp_path / file_name(Family.PERS_REL)
    text = write_file(path, [_titled("Mme")], encoding="UTF-8").read_bytes()
    path.write_bytes(text.replace(b'encoding="UTF-8"', b'encoding="KLINGON-9"'))
    _, findings = run(path)
    assert [f.rule for f in findings] == ["AAF-ENC-001"]
    assert "non pris en charge" in findings[0].message


def test_byte_order_mark_without_declaration(tmp_path: Path) -> None:
    path = tmp_path / file_name(Family.PERS_REL)
    body = write_file(path, [_titled("Mme")], declaration=False).read_bytes()
    path.write_bytes(b"\xef\xbb\xbf" + body)
    result, findings = run(path)
    assert [f.rule for f in findings] == ["AAF-ENC-002"]
    assert result.records == 1


# -- names and prologs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "family", "kind", "problem"),
    [
        ("ENT2DVA-ENT16_Complet_20240916_PersEducNat_0000.xml", Family.PERS_EDUC, Kind.COMPLET,
         None),
        ("FULL_X_Delta_20130122_Eleve_0003.xml", Family.ELEVE, Kind.DELTA, None),
        ("clean-FULL_X_Complet_20130117_PersRelEleve_0039.xml", Family.PERS_REL, Kind.COMPLET,
         None),
        ("ENT_Complet_20241332_MefEducNat_0000.xml", Family.MEF, Kind.COMPLET,
         " : la date 20241332 n'existe pas"),
        ("export_eleve_0000.xml", Family.ELEVE, Kind.UNKNOWN, ""),
        ("sans-nom.xml", Family.MATIERE, Kind.UNKNOWN, " : la famille se déduit alors du contenu"),
    ],
)  # fmt: skip
def test_file_names(
    tmp_path: Path, name: str, family: Family, kind: Kind, problem: str | None
) -> None:
    record = add(family, "1", ("x", ["y"])) if family is not Family.MATIERE else add(
        family, "1", ("ENTMatJointure", ["1"]))  # fmt: skip
    source = sniff(write_file(tmp_path / name, [record]), name)
    assert (source.family, source.kind, source.name_problem) == (family, kind, problem)


def test_prolog_header_comments_and_doctype(tmp_path: Path) -> None:
    header = '<!-- versionAF="AAF-VE2407" -->\n<!-- degre="2D" -->\n<!-- texte libre -->\n'
    doctype = "<!DOCTYPE ficAlimMENESR PUBLIC 'x' 'ficAlimMENESR.dtd'>"
    path = write_file(tmp_path / file_name(Family.MEF), [], header=header, doctype=doctype)
    source = sniff(path, path.name)
    assert source.header == {"versionAF": "AAF-VE2407", "degre": "2D"}
    assert source.doctype == "ficAlimMENESR ficAlimMENESR.dtd"
    result, findings = run(path)
    assert findings == [] and result.records == 0


def test_files_are_read_in_dependency_order(tmp_path: Path) -> None:
    s = AafSet(tmp_path / "aaf")
    s.deltas[Family.ELEVE] = [Record(Op.DELETE, Family.ELEVE, "200", [])]
    result, findings = run(s.write())
    assert findings == []
    assert [f.family for f in result.files] == [
        Family.ETAB, Family.MEF, Family.MATIERE, Family.PERS_REL, Family.ELEVE, Family.ELEVE,
        Family.PERS_EDUC,
    ]  # fmt: skip
    assert [f.kind for f in result.files][4:6] == [Kind.COMPLET, Kind.DELTA]
    assert result.files[5].requests == {"addRequest": 0, "modifyRequest": 0, "deleteRequest": 1}


def test_misplaced_elements_and_text_at_the_root(aaf_set: AafSet) -> None:
    aaf_set.options[Family.MEF] = {"tail": "<lot>\n</lot>\ntexte perdu\n"}
    _, findings = run(aaf_set.write())
    assert [f.rule for f in findings] == ["AAF-DTD-001", "AAF-DTD-001"]
    assert "<lot> inattendu" in findings[0].message
    assert "texte perdu" in findings[1].message


# -- hostile XML -------------------------------------------------------------------------------


def _with_entities(tmp_path: Path, declarations: str, value: str) -> Path:
    doctype = f'<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd" [{declarations}]>'
    record = add(Family.MATIERE, "1", ("ENTMatJointure", ["1"]),
                 ("ENTLibelleMatiere", ["X"]))  # fmt: skip
    path = tmp_path / file_name(Family.MATIERE)
    xml = write_file(path, [record], doctype=doctype).read_text()
    path.write_text(xml.replace("<value>X</value>", f"<value>{value}</value>"))
    return path


def test_entity_bomb_is_refused_quickly(tmp_path: Path) -> None:
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    path = _with_entities(tmp_path, '<!ENTITY l0 "ha">' + laughs, "&l9;")
    tracemalloc.start()
    started = time.perf_counter()
    try:
        _, findings = run(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 5
    assert peak < 20_000_000
    assert [f.rule for f in findings] == ["AAF-DTD-002", "AAF-XML-001"]
    assert "bombe d'entités refusée" in findings[1].message


def test_external_entity_is_not_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("CONFIDENTIEL")
    path = _with_entities(tmp_path, f'<!ENTITY s SYSTEM "file://{secret}">', "X")
    # Expanded, the join key would read "1CONFIDENTIEL" and differ from identifier/id.
    path.write_text(path.read_text().replace("<value>1</value>", "<value>1&s;</value>", 1))
    result, findings = run(path, show_values=True)
    assert result.records == 1
    assert [f.rule for f in findings] == ["AAF-DTD-002"]
    assert "sous-ensemble interne" in findings[0].message
    assert "CONFIDENTIEL" not in json.dumps([f.message for f in findings])


_FIFO_VALIDATE = """
import sys
from pathlib import Path
from sdet_check.aaf import validate
result = validate(Path(sys.argv[1]))
print(result.records)
"""


@pytest.mark.parametrize("where", ["system", "parameter-entity", "utf-16-late"])
def test_aaf_reader_never_opens_a_fifo_named_by_the_doctype(tmp_path: Path, where: str) -> None:
    """A FIFO blocks whoever opens it for reading: a validation bounded in time never did."""
    fifo = tmp_path / "named.dtd"
    os.mkfifo(fifo)
    folder = tmp_path / "set"
    folder.mkdir()
    record = add(Family.MATIERE, "1", ("ENTMatJointure", ["1"]),
                 ("ENTLibelleMatiere", ["X"]))  # fmt: skip
    doctype, encoding = {
        "system": (f'<!DOCTYPE ficAlimMENESR SYSTEM "{fifo}">', "UTF-8"),
        "parameter-entity": (
            f'<!DOCTYPE ficAlimMENESR [<!ENTITY % p SYSTEM "{fifo}"> %p;]>',
            "UTF-8",
        ),
        "utf-16-late": (
            "<!-- " + "x" * 5000 + f' -->\n<!DOCTYPE ficAlimMENESR SYSTEM "file://{fifo}">',
            "UTF-16",
        ),
    }[where]
    write_file(folder / file_name(Family.MATIERE), [record], doctype=doctype, encoding=encoding)
    try:
        done = subprocess.run(
            [sys.executable, "-c", _FIFO_VALIDATE, str(folder)],
            capture_output=True, text=True, timeout=30, cwd=ROOT,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail("la validation a ouvert la FIFO nommée par le DOCTYPE (bloquée)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() in {"0", "1"}


def test_excessive_depth_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / file_name(Family.MEF)
    write_file(path, [], tail="<a>" * 300 + "</a>" * 300)
    _, findings = run(path)
    assert [f.rule for f in findings] == ["AAF-XML-001"]


def test_requests_nested_in_a_wrapper_are_still_streamed(tmp_path: Path) -> None:
    path = tmp_path / file_name(Family.MATIERE)
    records = [add(Family.MATIERE, str(i), ("ENTMatJointure", [str(i)]),
                   ("ENTLibelleMatiere", ["X"])) for i in range(3)]  # fmt: skip
    text = write_file(path, records).read_text()
    text = text.replace("<ficAlimMENESR>\n", "<ficAlimMENESR>\n<lot>\n").replace(
        "</ficAlimMENESR>", "</lot>\n</ficAlimMENESR>"
    )
    path.write_text(text)
    result, findings = run(path)
    assert result.records == 3
    assert [f.rule for f in findings] == ["AAF-DTD-001"]


# -- streaming ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_file_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 12 MB, its pupils in one file of more than 65 536 lines."""
    out = tmp_path_factory.mktemp("big")
    options = GenerationOptions(structures=2, seed=3, size_mb=12, chunk_records=100_000,
                                defects=frozenset({"AAF-DELTA-001"}))  # fmt: skip
    generate(out, options)
    return out


def test_streaming_memory_stays_flat(big_file_set: Path) -> None:
    size = sum(p.stat().st_size for p in big_file_set.glob("*.xml"))
    biggest = max(p.stat().st_size for p in big_file_set.glob("*.xml"))
    assert size > 10_000_000 and biggest > 5_000_000
    tracemalloc.start()
    try:
        result, findings = run(big_file_set)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.records > 2000
    assert [f.rule for f in findings] == ["AAF-DELTA-001"]
    assert peak < size / 5, f"pic Python {peak} octets pour {size} octets lus"


def test_whole_process_memory_stays_flat(big_file_set: Path, tmp_path: Path) -> None:
    """The C side (libxml2 trees) too: resident memory grows far less than the files."""
    script = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from sdet_check.aaf import validate\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "if sys.argv[1] != '-':\n"
        "    validate(Path(sys.argv[1]))\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)\n"
    )

    def peak(path: str) -> int:
        done = subprocess.run([sys.executable, "-c", script, path], capture_output=True,
                              text=True, timeout=300, cwd=ROOT, check=True)  # fmt: skip
        return int(done.stdout)

    size = sum(p.stat().st_size for p in big_file_set.glob("*.xml"))
    growth = peak(str(big_file_set)) - peak("-")
    assert growth < size / 2, f"mémoire résidente +{growth} octets pour {size} octets lus"


def test_line_numbers_beyond_65535(big_file_set: Path, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(big_file_set, tmp_path / "copie"))
    eleve = max(folder.glob("*Complet*_Eleve_*.xml"), key=lambda p: p.stat().st_size)
    lines = eleve.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 65_536
    target = max(i for i, line in enumerate(lines) if 'name="ENTPersonDateNaissance"' in line)
    key = next(
        line.split("<id>")[1].split("</id>")[0]
        for line in reversed(lines[:target])
        if line.startswith("<identifier>")
    )
    lines[target] = '<attr name="ENTPersonDateNaissance"><value>32/13/2012</value></attr>'
    eleve.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, findings = run(folder)
    date = next(f for f in findings if f.rule == "AAF-DATE-001")
    assert (date.file, date.record, date.line) == (eleve.name, key, target + 1)
    assert target + 1 > 65_536


def test_a_failing_worker_reports_its_error(aaf_set: AafSet, tmp_path: Path) -> None:
    """A file that vanishes between discovery and reading: the worker says so, nothing hangs."""
    source = discover(aaf_set.write())[0]
    source.path.unlink()
    tasks: queue.Queue[object] = queue.Queue()
    results: queue.Queue[tuple[str, object, object]] = queue.Queue()
    tasks.put((0, source))
    tasks.put(None)
    _worker(tasks, results, tmp_path, BUILTIN_DTD, DtdOrigin.BUILTIN, False)
    events = []
    while not results.empty():
        events.append(results.get())
    kind, _, payload = events[-1]
    assert kind == "error" and source.path.name in str(payload)
