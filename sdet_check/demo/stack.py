"""The local reference stack that ``sdet-check demo`` starts, evaluates and stops.

Everything listens on 127.0.0.1 with ephemeral ports and lives in the output folder (test
CA, target file, reports), so the demo leaves nothing behind and needs no network.
Today the stack is the HTTPS portal and, when php and SimpleSAMLphp are installed, the
conformant SAML identity provider; CAS and LDAP peers join it as their probe families arrive.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import yaml

from sdet_check.api import RunRequest, evaluate
from sdet_check.demo.pki import create_pki
from sdet_check.demo.portal import PortalConfig, PortalServer, write_target
from sdet_check.demo.saml import (
    SamlConfig,
    SamlIdp,
    SamlIdpUnavailable,
    add_to_target,
    missing_requirements,
)
from sdet_check.grid import current_grid_ref
from sdet_check.run import utc_now
from sdet_check.runner import RunObserver

DEMO_TARGET_NAME = "ENT de démonstration (pile de référence locale)"


def default_demo_dir() -> Path:
    """A fresh folder ``sdet-check-demo-<date>`` in the current directory."""
    return Path(f"sdet-check-demo-{utc_now().strftime('%Y%m%d-%H%M%S')}")


def run_demo(
    out: Path | None = None,
    *,
    observer: RunObserver | None = None,
    say: Callable[[str], None] | None = None,
) -> tuple[dict[str, Any], Path]:
    """Start the reference stack, evaluate the current SDET grid against it, stop the stack.

    Returns the run record and the folder holding the target file and the test CA (the
    caller writes the reports there). A peer that cannot start here (SimpleSAMLphp not
    installed) is left out, and ``say`` gets one French line explaining why.
    """
    out_dir = out or default_demo_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    pki = create_pki(out_dir / "pki")
    environ: dict[str, str] = {}
    with ExitStack() as stack:
        portal = stack.enter_context(PortalServer(PortalConfig.conformant(), pki.folder))
        target = write_target(out_dir / "cible-demo.yaml", portal, DEMO_TARGET_NAME)
        idp: SamlIdp | None = None
        problem = missing_requirements()
        if problem is None:
            try:
                idp = stack.enter_context(
                    SamlIdp(SamlConfig.conformant(), out_dir / "saml-idp", pki_dir=pki.folder)
                )
            except SamlIdpUnavailable as failed:
                problem = str(failed)
        if idp is not None:
            data = yaml.safe_load(target.read_text(encoding="utf-8"))
            environ.update(add_to_target(data, idp))
            target.write_text(
                yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
            )
        elif say is not None:
            say(f"SAML non évalué : {problem}.")
        record = evaluate(
            RunRequest(target=target, grid=current_grid_ref()), observer=observer, environ=environ
        )
    return record, out_dir
