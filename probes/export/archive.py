"""``export.archive``: the export archive of an account, a ZIP with a manifest of checksums.

The archive is hostile input. It is never extracted: ``zipfile`` streams each member
through a hash, in chunks, counting the bytes really produced, so nothing is written to
disk and memory stays bounded whatever the archive claims. Bounds: the archive's size, the
number of members, the total uncompressed size (declared *and* counted), and the
compression ratio of each large member (a zip bomb ends in ``error``, hostile input, before
it is inflated). Member names must be safe: relative, no ``..`` component, no backslash,
drive letter or NUL, no symbolic link, no duplicate.

The manifest (``manifest.json`` at the root) is a JSON object whose ``files`` list names
every other member once, each with its ``path``, its ``format`` (a media type such as
``text/calendar``) and its ``sha256`` (hex); every listed file must exist and match its
checksum, and no member may be missing from it. Document names (the base names of the
members) are compared with the account's known documents and with the other accounts'.
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, ClassVar

from probes.export.common import (
    AccountExports,
    ExportSection,
    Findings,
    accounts_for,
    check_completeness,
    export_section,
    logins,
    service_offered,
)
from probes.export.download import fetched
from sdet_check.messages import msg
from sdet_check.probe import (
    HostileResponse,
    NotTestable,
    Outcome,
    Probe,
    ProbeContext,
    ProbeTimeout,
    validated_params,
)

MANIFEST_NAMES = ("manifest.json", "Manifest.json")
"""Names of the manifest at the archive's root (ENT Core writes ``Manifest.json``)."""

CHUNK_BYTES = 1024 * 1024
"""Bytes read at a time from a member."""

RATIO_FLOOR_BYTES = 1024 * 1024
"""Members smaller than this are never judged on their compression ratio."""

_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class ArchiveBounds:
    """How much an archive may hold before it is treated as hostile."""

    max_archive_bytes: int = 2 * 1024**3
    max_members: int = 10_000
    max_total_bytes: int = 4 * 1024**3
    max_ratio: float = 200.0
    max_manifest_bytes: int = 4 * 1024 * 1024


@dataclass(frozen=True)
class MemberDigest:
    """One member as streamed: its name, the bytes it really produced, its SHA-256."""

    name: str
    size: int
    sha256: str


def unsafe_name(name: str) -> str | None:
    """Why a member name is unsafe to extract, or ``None`` when it is safe."""
    if not name or "\x00" in name:
        return "nom vide ou contenant NUL"
    if "\\" in name:
        return "barre oblique inverse dans le chemin"
    if name.startswith("/") or _DRIVE.match(name):
        return "chemin absolu"
    if ".." in PurePosixPath(name).parts:
        return "composant « .. » (sortie du dossier d'extraction)"
    return None


def is_link(info: zipfile.ZipInfo) -> bool:
    """True when the member is a symbolic link (Unix mode in the external attributes)."""
    return stat.S_ISLNK(info.external_attr >> 16)


def stream_digest(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    budget: int,
    deadline: float,
) -> MemberDigest:
    """Hash one member by streaming it; :class:`HostileResponse` past ``budget`` bytes.

    The byte count is what decompression really produces, not what the header declares;
    a CRC mismatch raises :class:`zipfile.BadZipFile`.
    """
    digest = hashlib.sha256()
    size = 0
    handle: IO[bytes]
    with archive.open(info) as handle:
        while chunk := handle.read(CHUNK_BYTES):
            size += len(chunk)
            if size > budget:
                raise HostileResponse(
                    msg(
                        "export.archive.stream_digest.hostile",
                        filename=info.filename[:120],
                        budget=budget,
                    )
                )
            if time.monotonic() > deadline:
                raise ProbeTimeout(msg("export.archive.stream_digest.timeout"))
            digest.update(chunk)
    return MemberDigest(info.filename, size, digest.hexdigest())


def archive_findings(
    path: Path,
    findings: Findings,
    *,
    bounds: ArchiveBounds = ArchiveBounds(),
    deadline: float = float("inf"),
) -> list[str]:
    """Judge one export archive; return the base names of its safe file members."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise NotTestable(msg("export.archive.archive_findings.untestable", path=path)) from exc
    if size > bounds.max_archive_bytes:
        raise HostileResponse(
            msg(
                "export.archive.archive_findings.hostile",
                name=path.name,
                size=size,
                max_archive_bytes=bounds.max_archive_bytes,
            )
        )
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        findings.problem(
            path, "document", "ZIP", msg("export.archive.archive_findings.problem", exc=exc)
        )
        return []
    with archive:
        return _judge_members(path, archive, findings, bounds, deadline)


def _judge_members(
    path: Path,
    archive: zipfile.ZipFile,
    findings: Findings,
    bounds: ArchiveBounds,
    deadline: float,
) -> list[str]:
    infos = archive.infolist()
    if len(infos) > bounds.max_members:
        raise HostileResponse(
            msg(
                "export.archive.judge_members.hostile",
                name=path.name,
                count=len(infos),
                max_members=bounds.max_members,
            )
        )
    declared = sum(info.file_size for info in infos)
    if declared > bounds.max_total_bytes:
        raise HostileResponse(
            msg(
                "export.archive.judge_members.hostile_2",
                name=path.name,
                declared=declared,
                max_total_bytes=bounds.max_total_bytes,
            )
        )
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR_BYTES and ratio > bounds.max_ratio:
            raise HostileResponse(
                msg(
                    "export.archive.judge_members.hostile_3",
                    name=path.name,
                    filename=info.filename[:120],
                    ratio=f"{ratio:.0f}",
                    max_ratio=f"{bounds.max_ratio:.0f}",
                )
            )
    files: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        problem = unsafe_name(info.filename)
        if problem is None and is_link(info):
            problem = "lien symbolique"
        if problem is None and info.filename in files:
            problem = "nom en double"
        if problem:
            findings.problem(path, f"membre {info.filename[:120]!r}", "EXP-ARCH-PATH", problem)
            continue
        if not info.is_dir():
            files[info.filename] = info
    budget = bounds.max_total_bytes
    digests: dict[str, MemberDigest] = {}
    for name, info in files.items():
        try:
            digest = stream_digest(archive, info, budget, deadline)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as exc:
            findings.problem(
                path,
                f"membre {name[:120]}",
                "ZIP",
                msg("export.archive.judge_members.problem", exc=exc),
            )
            continue
        budget -= digest.size
        digests[name] = digest
    manifest_name = next((name for name in MANIFEST_NAMES if name in digests), None)
    if manifest_name is None:
        findings.problem(
            path, "racine", "EXP-ARCH-001", msg("export.archive.judge_members.problem_2")
        )
    else:
        _judge_manifest(path, archive, files[manifest_name], digests, findings, bounds)
    findings.observe(
        msg("export.archive.judge_members.observe", name=path.name, count=len(files)),
        file=path.name,
        members=len(infos),
        bytes=sum(digest.size for digest in digests.values()),
    )
    return [PurePosixPath(name).name for name in digests if name not in MANIFEST_NAMES]


def _judge_manifest(
    path: Path,
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    digests: Mapping[str, MemberDigest],
    findings: Findings,
    bounds: ArchiveBounds,
) -> None:
    place = info.filename
    if info.file_size > bounds.max_manifest_bytes:
        findings.problem(path, place, "EXP-ARCH-001", msg("export.archive.judge_manifest.problem"))
        return
    try:
        manifest = json.loads(archive.read(info))
    except (ValueError, zipfile.BadZipFile) as exc:
        findings.problem(
            path,
            place,
            "EXP-ARCH-001",
            msg("export.archive.judge_manifest.problem_2", detail=str(exc)[:120]),
        )
        return
    entries = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(entries, list):
        findings.problem(
            path, place, "EXP-ARCH-001", msg("export.archive.judge_manifest.problem_3")
        )
        return
    listed: set[str] = set()
    for rank, entry in enumerate(entries, start=1):
        where = f"{place}, entrée n° {rank}"
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            findings.problem(
                path, where, "EXP-ARCH-001", msg("export.archive.judge_manifest.problem_4")
            )
            continue
        name = entry["path"]
        where = f"{place}, entrée « {name[:120]} »"
        listed.add(name)
        if not str(entry.get("format", "")).strip():
            findings.problem(
                path, where, "EXP-ARCH-001", msg("export.archive.judge_manifest.problem_5")
            )
        checksum = str(entry.get("sha256", ""))
        digest = digests.get(name)
        if not _SHA256.match(checksum):
            findings.problem(
                path, where, "EXP-ARCH-001", msg("export.archive.judge_manifest.problem_6")
            )
        elif digest is None:
            findings.problem(
                path, where, "EXP-ARCH-001", msg("export.archive.judge_manifest.problem_7")
            )
        elif digest.sha256 != checksum.lower():
            findings.problem(
                path, where, "EXP-ARCH-001", msg("export.archive.judge_manifest.problem_8")
            )
    for name in digests:
        if name not in listed and name != info.filename:
            findings.problem(
                path,
                f"membre {name[:120]}",
                "EXP-ARCH-001",
                msg("export.archive.judge_manifest.problem_9"),
            )


class ArchiveExport(Probe):
    """Every account's export archive is safe, complete, with a manifest of checksums."""

    kind: ClassVar[str] = "export.archive"
    title: ClassVar[str] = "Archive d'export (ZIP) avec manifeste et empreintes, chemins sûrs"
    needs: ClassVar[tuple[str, ...]] = ("export",)
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "max_archive_mb": {"type": "number", "exclusiveMinimum": 0},
            "max_members": {"type": "integer", "minimum": 1},
            "max_total_mb": {"type": "number", "exclusiveMinimum": 0},
            "max_ratio": {"type": "number", "minimum": 1},
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Judge each account's archive; see the module docstring."""
        validated_params(self, params)
        section = export_section(context)
        if not service_offered(section, "documents"):
            return Outcome.not_applicable(msg("export.archive.archive_export.na"))
        accounts = accounts_for(section, "archive", "documents")
        defaults = ArchiveBounds()
        mib = 1024 * 1024
        bounds = ArchiveBounds(
            max_archive_bytes=int(params.get("max_archive_mb", 0) * mib)
            or defaults.max_archive_bytes,
            max_members=int(params.get("max_members", defaults.max_members)),
            max_total_bytes=int(params.get("max_total_mb", 0) * mib) or defaults.max_total_bytes,
            max_ratio=float(params.get("max_ratio", defaults.max_ratio)),
        )
        findings = Findings()
        with fetched(section, context, ("archive",), findings.evidence) as live:
            for account in live.with_kind("archive"):
                judge_archive(live, account, findings, bounds, context.deadline)
        return findings.outcome(
            msg("export.archive.archive_export.outcome", logins=logins(accounts)),
            msg("export.archive.archive_export.outcome_2"),
        )


def judge_archive(
    section: ExportSection,
    account: AccountExports,
    findings: Findings,
    bounds: ArchiveBounds,
    deadline: float,
) -> None:
    """Judge one account's archive into ``findings``."""
    file = account.files["archive"]
    try:
        names = archive_findings(file, findings, bounds=bounds, deadline=deadline)
    except HostileResponse as exc:
        raise HostileResponse(str(exc), *findings.evidence) from exc
    check_completeness(findings, section, account, "archive", names, file)
