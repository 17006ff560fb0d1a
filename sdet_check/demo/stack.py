"""The local reference stack that ``sdet-check demo`` starts, evaluates and stops.

Everything listens on 127.0.0.1 with ephemeral ports and lives in the output folder (test
CA, target file, reports), so the demo leaves nothing behind and needs no network.
Today the stack is the HTTPS portal and, when the Debian package is installed, the reference
annuaire (slapd with the ENT schema and an invented population); CAS and SAML peers join it as
their probe families arrive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from sdet_check.api import RunRequest, evaluate
from sdet_check.demo.ldap import SlapdConfig, SlapdServer, slapd_available
from sdet_check.demo.pki import create_pki
from sdet_check.demo.portal import PortalConfig, PortalServer, write_target
from sdet_check.grid import current_grid_ref
from sdet_check.run import utc_now
from sdet_check.runner import RunObserver

DEMO_TARGET_NAME = "ENT de démonstration (pile de référence locale)"

LDAP_PASSWORD_ENV = "SDET_DEMO_LDAP_PASSWORD"
"""Variable the demo target names for the annuaire's service account (set by the demo only)."""

SLAPD_MISSING = (
    "slapd absent : l'annuaire LDAP de démonstration n'est pas évalué "
    "(installer les paquets Debian slapd et ldap-utils)"
)


def default_demo_dir() -> Path:
    """A fresh folder ``sdet-check-demo-<date>`` in the current directory."""
    return Path(f"sdet-check-demo-{utc_now().strftime('%Y%m%d-%H%M%S')}")


def run_demo(
    out: Path | None = None,
    *,
    observer: RunObserver | None = None,
    inform: Callable[[str], None] | None = None,
) -> tuple[dict[str, Any], Path]:
    """Start the reference stack, evaluate the current SDET grid against it, stop the stack.

    Returns the run record and the folder holding the target file and the test CA (the
    caller writes the reports there). ``inform`` receives one-line notices, such as the
    annuaire being left out when slapd is not installed.
    """
    out_dir = out or default_demo_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    pki = create_pki(out_dir / "pki")
    with (
        PortalServer(PortalConfig.conformant(), pki.folder) as portal,
        _annuaire(pki.folder, inform) as annuaire,
    ):
        target = write_target(out_dir / "cible-demo.yaml", portal, DEMO_TARGET_NAME)
        environ: dict[str, str] = {}
        if annuaire is not None:
            data = yaml.safe_load(target.read_text(encoding="utf-8"))
            data["ldap"] = annuaire.target_section(LDAP_PASSWORD_ENV)
            target.write_text(
                yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
            )
            environ[LDAP_PASSWORD_ENV] = annuaire.audit_password
        record = evaluate(
            RunRequest(target=target, grid=current_grid_ref()), observer=observer, environ=environ
        )
    return record, out_dir


@contextmanager
def _annuaire(pki_dir: Path, inform: Callable[[str], None] | None) -> Iterator[SlapdServer | None]:
    """The conformant reference annuaire, or ``None`` (and a notice) without slapd."""
    if not slapd_available():
        if inform is not None:
            inform(SLAPD_MISSING)
        yield None
        return
    with SlapdServer(SlapdConfig(), pki_dir) as server:
        yield server
