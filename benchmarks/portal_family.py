"""The portal family's time on the reference portal against Chromium alone, in the same run.

The family's time is every ``portal`` probe deciding against the conformant reference
portal (one shared visit: public pages with axe-core, each account's sign-in and pages, hit
capture, connector clicks, cross-account requests, logout, then judging). The baseline, in
the same process and on the same portal, is the same Chromium started the same way loading
the same pages (the public ones, then each account signing in and opening its pages) with
nothing else done: the difference is what the family adds to a browser.

    python benchmarks/portal_family.py [--repeat 1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import yaml

from probes.portal import PROBES
from probes.portal.browser import chromium, remaining_ms
from probes.portal.common import PortalSection
from probes.portal.visit import forget_visits
from sdet_check.demo.portal import PortalConfig, PortalServer, add_portal_browsing, write_target
from sdet_check.probe import ProbeContext
from sdet_check.target import Target, load_target


def family(target: Target) -> tuple[float, dict[str, str]]:
    """Every portal probe on ``target``; wall time and statuses."""
    forget_visits()
    context = ProbeContext(target, 10.0, time.monotonic() + 300)
    started = time.perf_counter()
    statuses = {probe.kind: str(probe().check({}, context).status) for probe in PROBES}
    return time.perf_counter() - started, statuses


def chromium_alone(target: Target) -> tuple[float, int]:
    """Chromium loading the same pages, signing in by the plain form; time and page count."""
    section = PortalSection.of(target)
    deadline = time.monotonic() + 300
    started = time.perf_counter()
    loaded = 0
    with chromium(deadline) as browser:
        context = browser.new_context(ignore_https_errors=True)
        page = context.new_page()
        for url in section.public_pages:
            page.goto(url, wait_until="load", timeout=remaining_ms(deadline))
            loaded += 1
        context.close()
        for account in section.accounts(target):
            context = browser.new_context(ignore_https_errors=True)
            page = context.new_page()
            page.goto(section.login_url, wait_until="load")
            page.fill('[name="login"]', account.login)
            page.fill('[name="password"]', account.password.reveal())
            with page.expect_navigation(wait_until="load"):
                page.click("button[type=submit]")
            loaded += 1
            for url in section.profiles[account.profile].pages:
                page.goto(url, wait_until="load", timeout=remaining_ms(deadline))
                loaded += 1
            context.close()
    return time.perf_counter() - started, loaded


def main() -> None:
    """Measure both, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as folder,
        PortalServer(PortalConfig.conformant(), Path(folder) / "pki") as portal,
    ):
        file = write_target(Path(folder) / "cible.yaml", portal)
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        environ: dict[str, str] = {}
        add_portal_browsing(data, portal, environ, "0751234J")
        file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        target = load_target(file, environ)
        for _ in range(args.repeat):
            alone, pages = chromium_alone(target)
            spent, statuses = family(target)
            verdicts = sorted(set(statuses.values()))
            print(
                f"famille portal ({len(statuses)} sondes, statuts {verdicts}) : "
                f"{spent:.1f} s ; Chromium seul, mêmes {pages} pages : {alone:.1f} s ; "
                f"rapport {spent / alone:.1f}"
            )


if __name__ == "__main__":
    main()
