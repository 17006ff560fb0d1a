"""Hostile exports: zip bombs, path traversal, links, broken formats; and property tests.

Archives are never extracted: the tests check that nothing appears outside the temporary
folder, that a bomb is refused before it is inflated (bounded time and memory), and that the
readers of each format never crash, whatever bytes they get.
"""

from __future__ import annotations

import hashlib
import json
import stat
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from probes.export import (
    ArchiveBounds,
    Findings,
    archive_findings,
    calendar_findings,
    table_findings,
    unsafe_name,
    vcard_findings,
)
from sdet_check.probe import HostileResponse

PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def manifest_for(members: dict[str, bytes]) -> bytes:
    files = [
        {"path": name, "format": "text/plain", "sha256": hashlib.sha256(data).hexdigest()}
        for name, data in members.items()
    ]
    return json.dumps({"files": files}).encode()


def write_zip(path: Path, members: dict[str, bytes], *, manifest: bool = True) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if manifest:
            archive.writestr("manifest.json", manifest_for(members))
    return path


def test_zip_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    bomb = tmp_path / "bombe.zip"
    with (
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("documents/zeros.bin", "w", force_zip64=True) as member,
    ):
        chunk = bytes(16 * 1024 * 1024)
        for _ in range(16):  # 256 MiB of zeros, about 250 kB compressed
            member.write(chunk)
    assert bomb.stat().st_size < 1024 * 1024
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(HostileResponse, match="bombe"):
        archive_findings(bomb, Findings())
    elapsed = time.monotonic() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 2
    assert peak < 20 * 1024 * 1024


def test_lying_sizes_are_bounded_by_what_is_really_inflated(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "a.zip", {"documents/a.txt": b"a" * 300_000})
    bounds = ArchiveBounds(max_total_bytes=1_000_000)
    archive_findings(archive, Findings(), bounds=bounds)
    with pytest.raises(HostileResponse):
        archive_findings(archive, Findings(), bounds=ArchiveBounds(max_total_bytes=100_000))
    with pytest.raises(HostileResponse):
        archive_findings(archive, Findings(), bounds=ArchiveBounds(max_members=1))


def test_traversal_absolute_and_link_members_fail_without_writing(tmp_path: Path) -> None:
    work = tmp_path / "travail"
    work.mkdir()
    path = work / "export.zip"
    members = {"../../evade.txt": b"x", "/etc/evade.txt": b"y", "ok/fichier.txt": b"z"}
    write_zip(path, members)
    with zipfile.ZipFile(path, "a") as archive:
        link = zipfile.ZipInfo("lien")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    findings = Findings()
    names = archive_findings(path, findings)
    assert names == ["fichier.txt"]
    places = " ".join(findings.problems)
    assert "../../evade.txt" in places and "/etc/evade.txt" in places and "lien" in places
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert not (tmp_path.parent / "evade.txt").exists()


def test_checksum_mismatch_and_unlisted_member_fail(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", b"contenu")
        archive.writestr("b.txt", b"autre")
        files = [{"path": "a.txt", "format": "text/plain", "sha256": "0" * 64}]
        archive.writestr("manifest.json", json.dumps({"files": files}))
    findings = Findings()
    archive_findings(path, findings)
    text = " ".join(findings.problems)
    assert "ne correspond pas" in text and "b.txt" in text and "absent du manifeste" in text


def test_not_a_zip_is_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    path.write_bytes(b"PK\x03\x04 pas vraiment")
    findings = Findings()
    assert archive_findings(path, findings) == []
    assert "illisible" in findings.problems[0]


@PROPERTY
@given(st.binary(max_size=2048))
def test_calendar_reader_never_crashes(data: bytes) -> None:
    findings = Findings()
    summaries = calendar_findings(data, Path("agenda.ics"), findings)
    assert isinstance(summaries, list)
    assert findings.problems or data.strip()


@PROPERTY
@given(
    st.lists(
        st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=40),
        min_size=1,
        max_size=5,
    )
)
def test_calendar_titles_round_trip(titles: list[str]) -> None:
    events = []
    for rank, title in enumerate(titles):
        escaped = title.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
        events.append(
            f"BEGIN:VEVENT\r\nUID:{rank}@t\r\nDTSTAMP:20270101T000000Z\r\n"
            f"DTSTART:20270102T000000Z\r\nSUMMARY:{escaped}\r\nEND:VEVENT\r\n"
        )
    text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//FR\r\n" + "".join(events)
    text += "END:VCALENDAR\r\n"
    findings = Findings()
    assert calendar_findings(text.encode(), Path("a.ics"), findings) == titles
    assert findings.problems == []


@PROPERTY
@given(st.binary(max_size=2048))
def test_vcard_reader_never_crashes(data: bytes) -> None:
    findings = Findings()
    assert isinstance(vcard_findings(data, Path("c.vcf"), findings), list)


@PROPERTY
@given(
    st.lists(
        st.from_regex(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ' -]{0,20}", fullmatch=True), min_size=1, max_size=4
    )
)
def test_vcard_names_round_trip(names: list[str]) -> None:
    cards = "".join(f"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:{name}\r\nEND:VCARD\r\n" for name in names)
    findings = Findings()
    assert vcard_findings(cards.encode(), Path("c.vcf"), findings) == names
    assert findings.problems == []


@PROPERTY
@given(st.binary(max_size=512))
def test_table_reader_never_crashes(tmp_path: Path, data: bytes) -> None:
    table = tmp_path / "t.csv"
    table.write_bytes(data)
    schema = tmp_path / "t.schema.json"
    schema.write_text(
        json.dumps({"fields": [{"name": "a", "type": "integer", "description": "A"}]})
    )
    findings = Findings()
    cells = table_findings(table, schema, findings)
    assert cells == [] or not findings.problems


@PROPERTY
@given(
    st.lists(
        st.tuples(st.integers(-1000, 1000), st.from_regex(r"[a-zé]{1,8}", fullmatch=True)),
        min_size=1,
        max_size=8,
    )
)
def test_valid_tables_pass(tmp_path: Path, rows: list[tuple[int, str]]) -> None:
    table = tmp_path / "t.csv"
    table.write_text("n,mot\n" + "".join(f"{n},{w}\n" for n, w in rows), encoding="utf-8")
    schema = tmp_path / "t.schema.json"
    fields = [
        {"name": "n", "type": "integer", "description": "Nombre"},
        {"name": "mot", "type": "string", "description": "Mot"},
    ]
    schema.write_text(json.dumps({"fields": fields}), encoding="utf-8")
    findings = Findings()
    cells = table_findings(table, schema, findings)
    assert findings.problems == []
    assert {w for _n, w in rows} <= set(cells)


@PROPERTY
@given(st.text(max_size=60))
def test_unsafe_name_refuses_every_escape(name: str) -> None:
    verdict = unsafe_name(name)
    parts = name.replace("\\", "/").split("/")
    escapes = name.startswith("/") or ".." in parts or "\\" in name or "\x00" in name
    if escapes or not name:
        assert verdict is not None
    if verdict is None:
        resolved = (Path("/base") / name).resolve()
        assert resolved.is_relative_to("/base")


def test_findings_never_quote_personal_values(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("nom,note\nMARTINET Léa,douze\n", encoding="utf-8")
    schema = tmp_path / "t.schema.json"
    fields = [
        {"name": "nom", "type": "string", "description": "Nom"},
        {"name": "note", "type": "integer", "description": "Note"},
    ]
    schema.write_text(json.dumps({"fields": fields}), encoding="utf-8")
    findings = Findings()
    table_findings(table, schema, findings)
    cards = b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Sophie MARTINET\r\nMARTINET Sophie\r\nEND:VCARD\r\n"
    vcard_findings(cards, Path("c.vcf"), findings)
    assert len(findings.problems) == 2
    shown = json.dumps([e.to_json() for e in findings.evidence], ensure_ascii=False)
    assert "douze" not in shown and "MARTINET" not in shown and "VCARD n° 1" in shown
