"""The local reference stack that ``sdet-check demo`` starts, evaluates and stops.

Everything listens on 127.0.0.1 with ephemeral ports and lives in the output folder (test
CA, target file, reports), so the demo leaves nothing behind and needs no network.
The stack is the HTTPS portal and, when django-cas-server is installed (the ``demo``
extra), the conformant CAS server with its test accounts; SAML and LDAP peers join it as
their probe families arrive.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import yaml

from sdet_check.api import RunRequest, evaluate
from sdet_check.demo.cas import INSTALL_HINT, CasConfig, CasServer, add_cas_to_target, cas_available
from sdet_check.demo.pki import create_pki
from sdet_check.demo.portal import PortalConfig, PortalServer, write_target
from sdet_check.grid import current_grid_ref
from sdet_check.run import utc_now
from sdet_check.runner import RunObserver

DEMO_TARGET_NAME = "ENT de démonstration (pile de référence locale)"


def default_demo_dir() -> Path:
    """A fresh folder ``sdet-check-demo-<date>`` in the current directory."""
    return Path(f"sdet-check-demo-{utc_now().strftime('%Y%m%d-%H%M%S')}")


CAS_MISSING_NOTICE = (
    "Serveur CAS de démonstration non démarré : django-cas-server n'est pas installé "
    f"({INSTALL_HINT}) ; les exigences CAS resteront non testées."
)
"""The one line the demo says when the CAS peer is missing."""


def run_demo(
    out: Path | None = None,
    *,
    observer: RunObserver | None = None,
    notify: Callable[[str], None] | None = None,
) -> tuple[dict[str, Any], Path]:
    """Start the reference stack, evaluate the current SDET grid against it, stop the stack.

    Returns the run record and the folder holding the target file and the test CA (the
    caller writes the reports there). ``notify`` receives one-line notices (a peer that
    could not start).
    """
    out_dir = out or default_demo_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    pki = create_pki(out_dir / "pki")
    with ExitStack() as stack:
        portal = stack.enter_context(PortalServer(PortalConfig.conformant(), pki.folder))
        target = write_target(out_dir / "cible-demo.yaml", portal, DEMO_TARGET_NAME)
        environ: dict[str, str] = {}
        if cas_available():
            cas = stack.enter_context(CasServer(CasConfig.conformant(), pki.folder))
            data = yaml.safe_load(target.read_text(encoding="utf-8"))
            add_cas_to_target(data, cas)
            target.write_text(
                yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
            )
            environ = cas.environ()
        elif notify is not None:
            notify(CAS_MISSING_NOTICE)
        record = evaluate(
            RunRequest(target=target, grid=current_grid_ref()), observer=observer, environ=environ
        )
    return record, out_dir
