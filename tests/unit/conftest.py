"""Fake probes and small inputs for testing the engine without a network peer."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from sdet_check.probe import (
    Evidence,
    Outcome,
    Probe,
    ProbeContext,
    TargetUnreachable,
)
from sdet_check.registry import ProbeRegistry

DATA = Path(__file__).resolve().parent.parent / "data"
DEMO_GRID = DATA / "grids" / "demo" / "1.0"
CANARY = "canari-7f3a9c-ne-doit-jamais-sortir"


class PassProbe(Probe):
    kind = "fake.pass"
    title = "passe toujours"

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        return Outcome.passed("Tout va bien.", Evidence("note", "observé", {"ok": True}))


class FailProbe(Probe):
    kind = "fake.fail"
    title = "échoue toujours"
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"reason": {"type": "string"}},
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        return Outcome.failed(f"Échec {params.get('reason', '')}.", Evidence("header", "X: 1"))


class LeakyProbe(Probe):
    """Puts the account password into its evidence and message, as a careless probe might."""

    kind = "fake.leaky"
    title = "fuit le secret"
    needs = ("accounts",)

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        password = context.target.accounts[0].password.reveal()
        return Outcome.failed(
            f"Connexion refusée avec {password}.",
            Evidence("http_exchange", f"POST /login password={password}", {"body": password}),
        )


class HangingProbe(Probe):
    kind = "fake.hang"
    title = "ne répond jamais"

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        threading.Event().wait(3600)
        raise AssertionError("unreachable")


class RaisingProbe(Probe):
    kind = "fake.raise"
    title = "bogue"

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        return {}["absent"]  # type: ignore[no-any-return]


class UnreachableProbe(Probe):
    kind = "fake.unreachable"
    title = "cible injoignable"

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        raise TargetUnreachable("connexion refusée par 127.0.0.1:9")


class SlowProbe(Probe):
    kind = "fake.slow"
    title = "lent"

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        time.sleep(0.3)
        return Outcome.passed("Lent mais conforme.")


class NeedsCasProbe(Probe):
    kind = "fake.cas"
    title = "besoin de CAS"
    needs = ("cas",)

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        return Outcome.passed("CAS ok.")


ALL_FAKES: tuple[type[Probe], ...] = (
    PassProbe,
    FailProbe,
    LeakyProbe,
    HangingProbe,
    RaisingProbe,
    UnreachableProbe,
    SlowProbe,
    NeedsCasProbe,
)


@pytest.fixture
def registry() -> ProbeRegistry:
    return ProbeRegistry(ALL_FAKES + EXTRA_FAKES)


@pytest.fixture
def target_file(tmp_path: Path) -> Path:
    path = tmp_path / "cible.yaml"
    path.write_text(
        "format: 1\n"
        "name: ENT de test\n"
        "degrees: [2d]\n"
        "portal:\n"
        "  url: https://127.0.0.1:9/\n"
        "accounts:\n"
        "  - profile: eleve\n"
        "    login: eleve.test\n"
        "    password_env: SDET_TEST_PASSWORD\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def environ() -> dict[str, str]:
    return {"SDET_TEST_PASSWORD": CANARY}


def copy_probe_grid(tmp_path: Path, kinds: list[str]) -> Path:
    """A one-axis grid with one MUST requirement per probe kind, in order."""
    folder = tmp_path / "probes" / "1.0"
    folder.mkdir(parents=True)
    (folder / "grid.yaml").write_text(
        "format: 1\nid: probes\nversion: '1.0'\ntitle: {fr: t, en: t}\n"
        "published: 2026-01-01\nfollows: [{document: d, version: '1'}]\n"
        "licence: {source: s, grid: g}\n"
        "axes: [{id: technique, label: {fr: T, en: T}, file: technique.yaml}]\n"
    )
    entries = []
    for index, kind in enumerate(kinds, start=1):
        entries.append(
            f"  - id: P-X-{index:03d}\n"
            "    title: {fr: t, en: t}\n    statement: {fr: s, en: s}\n"
            "    level: MUST\n    level_basis: inferred\n"
            "    source: {document: d, version: '1', section: s}\n"
            "    applicability: {degrees: [1d, 2d], scopes: [solution]}\n"
            f"    verification: {{method: probe, probe: {kind}}}\n"
        )
    (folder / "technique.yaml").write_text("axis: technique\nrequirements:\n" + "".join(entries))
    return folder


class BytesEvidenceProbe(Probe):
    """A careless probe whose evidence cannot be serialised."""

    kind = "fake.bytes"
    title = "preuve en octets"

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        return Outcome.passed("ok", Evidence("note", "brut", {"raw": b"\x00\x01"}))


class HostileTextProbe(Probe):
    """Echoes what a hostile target might send: terminal escapes and XML-invalid characters."""

    kind = "fake.hostile"
    title = "texte hostile"

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        header = "max-age=1\x1b[31m\x0b[/x]<script>"
        return Outcome.failed(
            f"En-tête reçu : {header}", Evidence("header", f"HSTS: {header}", {"value": header})
        )


EXTRA_FAKES: tuple[type[Probe], ...] = (BytesEvidenceProbe, HostileTextProbe)
