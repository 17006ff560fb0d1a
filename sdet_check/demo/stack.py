"""The local reference stack that ``sdet-check demo`` starts, evaluates and stops.

Everything listens on 127.0.0.1 with ephemeral ports and lives in the output folder (test
CA, target file, reports), so the demo leaves nothing behind and needs no network.
Today the stack is the HTTPS portal; CAS, SAML and LDAP peers join it as their probe
families arrive.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sdet_check.api import RunRequest, evaluate
from sdet_check.demo.pki import create_pki
from sdet_check.demo.portal import PortalConfig, PortalServer, write_target
from sdet_check.grid import current_grid_ref
from sdet_check.run import utc_now
from sdet_check.runner import RunObserver

DEMO_TARGET_NAME = "ENT de démonstration (pile de référence locale)"


def default_demo_dir() -> Path:
    """A fresh folder ``sdet-check-demo-<date>`` in the current directory."""
    return Path(f"sdet-check-demo-{utc_now().strftime('%Y%m%d-%H%M%S')}")


def run_demo(
    out: Path | None = None, *, observer: RunObserver | None = None
) -> tuple[dict[str, Any], Path]:
    """Start the reference stack, evaluate the current SDET grid against it, stop the stack.

    Returns the run record and the folder holding the target file and the test CA (the
    caller writes the reports there).
    """
    out_dir = out or default_demo_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    pki = create_pki(out_dir / "pki")
    with PortalServer(PortalConfig.conformant(), pki.folder) as portal:
        target = write_target(out_dir / "cible-demo.yaml", portal, DEMO_TARGET_NAME)
        record = evaluate(
            RunRequest(target=target, grid=current_grid_ref()), observer=observer, environ={}
        )
    return record, out_dir
