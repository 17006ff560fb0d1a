"""The local reference stack that ``sdet-check demo`` starts, evaluates and stops.

Everything listens on 127.0.0.1 with ephemeral ports and lives in the output folder (test
CA, target file, reports), so the demo leaves nothing behind and needs no network. The
stack is the HTTPS portal, the conformant CAS server (django-cas-server, the ``demo`` extra;
or django-mama-cas), the conformant SAML identity provider (SimpleSAMLphp, a Debian package;
or an IdP on pysaml2) and the reference
annuaire (OpenLDAP slapd with the project's ENT schema, a Debian package), loaded from an AAF
feed that the demo also writes (``aaf/``) so that the directory is reconciled with it. It is
one connected ENT: the CAS server authenticates the annuaire's accounts
(:mod:`sdet_check.demo.connected`). A peer that cannot start here is left out with one line
saying why; its requirements stay not tested (without slapd, the CAS server falls back to
its own accounts). The ENT's exports (calendar, contacts, table, archive per account, and
its GAR files) are written in ``exports/`` (:mod:`sdet_check.demo.exports`); those of the
target's test accounts are served behind a login (:mod:`sdet_check.demo.export_server`) and
downloaded by the probes, the others are read as files handed in.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import yaml

from sdet_check.api import RunRequest, evaluate
from sdet_check.browser_env import browser_missing
from sdet_check.demo.annuaire import write_aaf_files
from sdet_check.demo.cas import (
    DEMO_UAI,
    INSTALL_HINT,
    CasConfig,
    CasServer,
    add_cas_to_target,
    cas_available,
)
from sdet_check.demo.connected import directory_link, login_passwords
from sdet_check.demo.export_server import ExportServer, link_live_exports
from sdet_check.demo.exports import write_exports
from sdet_check.demo.importer import import_section
from sdet_check.demo.ldap import SlapdConfig, SlapdError, SlapdServer, slapd_available
from sdet_check.demo.mama_cas import (
    MamaCasConfig,
    MamaCasServer,
    add_mama_cas_to_target,
    mama_cas_available,
)
from sdet_check.demo.pki import create_pki
from sdet_check.demo.portal import (
    PortalConfig,
    PortalServer,
    add_portal_browsing,
    write_target,
)
from sdet_check.demo.pysaml2_idp import (
    Pysaml2Config,
    Pysaml2Idp,
    add_pysaml2_idp_to_target,
)
from sdet_check.demo.pysaml2_idp import missing_requirements as missing_pysaml2
from sdet_check.demo.saml import (
    SamlConfig,
    SamlIdp,
    SamlIdpUnavailable,
    add_to_target,
    missing_requirements,
)
from sdet_check.grid import current_grid_ref
from sdet_check.messages import msg, text
from sdet_check.run import utc_now
from sdet_check.runner import RunObserver

DEMO_TARGET_NAME = "ENT de démonstration (pile de référence locale)"

CAS_MISSING_NOTICE = text(
    "demo.notice.cas_missing", "fr", peer="django-cas-server", hint=INSTALL_HINT
)
"""The one line the demo says when the CAS peer is missing, in French (the demo says it in the
output language, ``demo.notice.cas_missing``)."""

LDAP_PASSWORD_ENV = "SDET_DEMO_LDAP_PASSWORD"
"""Variable the demo target names for the annuaire's service account (set by the demo only)."""

IMPORT_ADMIN_ENV = "SDET_DEMO_IMPORT_PASSWORD"
"""Variable giving the demo importer the test instance's manager password (demo only)."""

IMPORT_AUDIT_ENV = "SDET_DEMO_IMPORT_AUDIT_PASSWORD"
"""Variable naming the test instance's audit account password in the demo target."""

SLAPD_MISSING = text("demo.notice.slapd_missing", "fr")
"""The one line the demo says when the annuaire peer is missing (in French; the demo says it
in the output language, ``demo.notice.slapd_missing``)."""


def default_demo_dir() -> Path:
    """A fresh folder ``sdet-check-demo-<date>`` in the current directory."""
    return Path(f"sdet-check-demo-{utc_now().strftime('%Y%m%d-%H%M%S')}")


CAS_PEERS = ("django-cas-server", "mama-cas")
"""CAS servers the demo can start: two code bases, the same target layout."""

SAML_PEERS = ("simplesamlphp", "pysaml2")
"""SAML identity providers the demo can start: two code bases, the same target layout."""


def run_demo(
    out: Path | None = None,
    *,
    observer: RunObserver | None = None,
    say: Callable[[str], None] | None = None,
    cas_peer: str = CAS_PEERS[0],
    saml_peer: str = SAML_PEERS[0],
    declarations: Path | None = None,
) -> tuple[dict[str, Any], Path]:
    """Start the reference stack, evaluate the current SDET grid against it, stop the stack.

    Returns the run record and the folder holding the target file and the test CA (the
    caller writes the reports there). ``say`` receives one French line for each peer that
    could not start. ``cas_peer`` and ``saml_peer`` choose the servers (:data:`CAS_PEERS`,
    :data:`SAML_PEERS`); only django-cas-server authenticates the annuaire's accounts.
    ``declarations`` is the editor's declarations file the run records (``run
    --declarations``), as the audit loop of :mod:`sdet_check.demo.loop` imports it.
    """
    if cas_peer not in CAS_PEERS or saml_peer not in SAML_PEERS:
        raise ValueError(f"unknown demo peer: {cas_peer}, {saml_peer}")
    notices: Callable[[str], None] = say or (lambda _line: None)
    out_dir = out or default_demo_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    pki = create_pki(out_dir / "pki")
    environ: dict[str, str] = {}
    with ExitStack() as stack:
        portal = stack.enter_context(PortalServer(PortalConfig.conformant(), pki.folder))
        target = write_target(out_dir / "cible-demo.yaml", portal, DEMO_TARGET_NAME)
        data = yaml.safe_load(target.read_text(encoding="utf-8"))

        annuaire: SlapdServer | None = None
        passwords = login_passwords()
        records = SlapdConfig().records()
        if slapd_available():
            annuaire = _start_slapd(
                stack,
                SlapdServer(SlapdConfig(), pki.folder, records=records, logins=passwords),
                notices,
            )
        else:
            notices(msg("demo.notice.slapd_missing"))
        if annuaire is not None:
            data["ldap"] = annuaire.target_section(LDAP_PASSWORD_ENV)
            environ[LDAP_PASSWORD_ENV] = annuaire.audit_password
            write_aaf_files(  # the feed the annuaire was loaded from: a full export of today
                records, out_dir / "aaf", prefix=f"ENT_Complet_{utc_now():%Y%m%d}"
            )
            data["aaf"] = {"path": "aaf"}
            # The import scenario writes: it feeds a test instance of its own, never the
            # annuaire the other probes read concurrently.
            instance = _start_slapd(
                stack, SlapdServer(SlapdConfig(data="empty"), pki.folder), notices
            )
            if instance is not None:
                data["aaf"]["import"] = import_section(
                    instance,
                    out_dir / "import-aaf",
                    admin_password_env=IMPORT_ADMIN_ENV,
                    audit_password_env=IMPORT_AUDIT_ENV,
                )
                environ[IMPORT_ADMIN_ENV] = instance.admin_password
                environ[IMPORT_AUDIT_ENV] = instance.audit_password
        data["export"] = write_exports(out_dir / "exports", records)  # per account, and GAR

        if cas_peer == "mama-cas" and mama_cas_available():
            mama = stack.enter_context(MamaCasServer(MamaCasConfig.conformant(), pki.folder))
            add_mama_cas_to_target(data, mama)
            environ.update(mama.environ())
        elif cas_peer == "django-cas-server" and cas_available():
            link = None
            if annuaire is not None:
                link = directory_link(annuaire, records, passwords)
            cas = stack.enter_context(CasServer(CasConfig.conformant(), pki.folder, link))
            add_cas_to_target(data, cas)
            environ.update(cas.environ())
        else:
            notices(msg("demo.notice.cas_missing", peer=cas_peer, hint=INSTALL_HINT))

        environ.update(_start_idp(stack, saml_peer, data, out_dir, pki.folder, notices))
        exports = stack.enter_context(ExportServer(out_dir / "exports", pki.folder, {}))
        link_live_exports(data, exports, environ)  # the test accounts download theirs
        add_portal_browsing(data, portal, environ, DEMO_UAI)
        if (missing := browser_missing()) is not None:
            notices(missing[:1].upper() + missing[1:] + ".")

        target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
        record = evaluate(
            # The demo owns the annuaire the import scenario writes to.
            RunRequest(
                target=target,
                grid=current_grid_ref(),
                declarations=declarations,
                allow_writes=True,
            ),
            observer=observer,
            environ=environ,
        )
    return record, out_dir


def _start_idp(
    stack: ExitStack,
    peer: str,
    data: dict[str, Any],
    out_dir: Path,
    pki_dir: Path,
    notices: Callable[[str], None],
) -> dict[str, str]:
    """Start the chosen IdP and describe it in ``data``; its secrets, or nothing and a notice."""
    problem: object = missing_requirements() if peer == "simplesamlphp" else missing_pysaml2()
    if problem is None:
        try:
            if peer == "pysaml2":
                other = stack.enter_context(
                    Pysaml2Idp(Pysaml2Config.conformant(), out_dir / "saml-idp", pki_dir)
                )
                return add_pysaml2_idp_to_target(data, other)
            idp = stack.enter_context(
                SamlIdp(SamlConfig.conformant(), out_dir / "saml-idp", pki_dir=pki_dir)
            )
            return add_to_target(data, idp)
        except SamlIdpUnavailable as failed:
            problem = failed  # its message, kept in the catalogue's languages
    notices(msg("demo.notice.saml_missing", problem=problem))
    return {}


def _start_slapd(
    stack: ExitStack, server: SlapdServer, notices: Callable[[str], None]
) -> SlapdServer | None:
    """Start a slapd of the demo; one line and ``None`` when it will not start here."""
    try:
        return stack.enter_context(server)
    except SlapdError as failed:
        notices(msg("demo.notice.slapd_failed", failed=failed))
        return None
