"""Benchmark: audit of a 100,000-entry annuaire against ``ldapsearch`` dumping the same entries.

Generates an AAF set with the project's generator (:mod:`sdet_check.aaf.generate`), loads it
into the reference slapd offline (``slapadd`` of the LDIF its entries make), then, in the same
run and against the same directory, alternates:

* the baseline: ``ldapsearch -ZZ`` (StartTLS, the audit account, paged results of the same
  size) running the audit's searches (structures, pupils, relatives, other persons) with the
  attributes the audit reads, output to /dev/null;
* the ``ldap.data_model`` probe: the same paged searches through StartTLS, plus every rule
  of the data-model audit over every entry.

A first, untimed ``ldapsearch`` warms slapd's caches. The two sides alternate, round after
round; the medians of ``--repeat`` rounds are printed with their ratio (goal: at most 1.5),
with the ratio of each round (its two sides ran one after the other, under about the same
load) and the client CPU time of each side (``ldapsearch``'s own, the probe's process), which
the load of a shared machine disturbs much less than wall time. Run from the repository
root::

    python benchmarks/ldap_audit.py [--entries 100000] [--repeat 3] [--page-size 500]
        [--ldap3]    # also time ldap3's own paged search over the same entries, once
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ldap3
import yaml

from probes._ldap_audit import RULES
from probes.ldap import SCAN_SEARCHES, LdapDataModel
from sdet_check.aaf.generate import GenerationOptions, generate
from sdet_check.demo.annuaire import read_aaf_records
from sdet_check.demo.ldap import (
    AUDIT_DN,
    SlapdConfig,
    SlapdServer,
    slapd_available,
    write_target,
)
from sdet_check.probe import ProbeContext, Status
from sdet_check.target import load_target

PASSWORD_ENV = "SDET_BENCH_LDAP_PASSWORD"

PERSONS_PER_STRUCTURE = 520
"""About the persons per structure in a set of the AAF generator (seed 1, 8 structures: 4,129)."""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def ldapsearch(server: SlapdServer, password_file: Path, page_size: int) -> tuple[float, float]:
    """Dump what the audit reads with ldapsearch (its searches, in turn).

    Returns the wall seconds and ldapsearch's CPU seconds.
    """
    environment = {**os.environ, "LDAPTLS_CACERT": str(server.ca_file), "LDAPTLS_REQCERT": "demand"}
    elapsed = 0.0
    cpu = _children_cpu()
    for search in SCAN_SEARCHES:
        command = [
            "ldapsearch",
            "-x",
            "-ZZ",
            "-LLL",
            "-H",
            server.ldap_url,
            "-D",
            AUDIT_DN,
            "-y",
            str(password_file),
            "-b",
            server.base_dn,
            "-E",
            f"pr={page_size}/noprompt",
            search.text,
            *search.attributes,
        ]
        started = time.perf_counter()
        done = subprocess.run(
            command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
        )
        elapsed += time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"ldapsearch failed: {done.stderr.decode(errors='replace')}")
    return elapsed, _children_cpu() - cpu


def with_ldap3(server: SlapdServer, page_size: int) -> float:
    """Read the same entries through ldap3's own paged search; return the seconds."""
    tls = server.tls_settings()
    started = time.perf_counter()
    connection = ldap3.Connection(
        ldap3.Server(server.ldap_url, get_info=ldap3.NONE, tls=tls),
        user=AUDIT_DN,
        password=server.audit_password,
        read_only=True,
        check_names=False,
    )
    connection.open()
    connection.start_tls()
    connection.bind()
    for search in SCAN_SEARCHES:
        for _entry in connection.extend.standard.paged_search(
            server.base_dn,
            search.text,
            attributes=list(search.attributes),
            paged_size=page_size,
            generator=True,
        ):
            pass
    connection.unbind()
    return time.perf_counter() - started


def audit(target_file: Path, password: str) -> tuple[float, float, int]:
    """Run the data-model probe once; return the wall and CPU times and the entries it read."""
    target = load_target(target_file, {PASSWORD_ENV: password})
    context = ProbeContext(target=target, network_timeout=30, deadline=time.monotonic() + 600)
    started = time.perf_counter()
    cpu = time.process_time()
    outcome = LdapDataModel().check({"rules": sorted(RULES)}, context)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    if outcome.status not in (Status.PASS, Status.FAIL):  # the whole tree must have been read
        raise SystemExit(f"the audit did not complete: {outcome.status}: {outcome.message}")
    if outcome.status is Status.FAIL:  # e.g. true homonyms born the same day in a large set
        print(f"findings: {outcome.message}", file=sys.stderr)
    scan = next(piece for piece in outcome.evidence if piece.kind == "ldap_scan")
    return elapsed, cpu, int(scan.data["entries"])


def main() -> int:
    """Parse the options, run the benchmark, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000, help="persons to generate (about)")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds of each side")
    parser.add_argument("--page-size", type=int, default=500, help="paged results size")
    parser.add_argument(
        "--ldap3", action="store_true", help="also time one read through ldap3's paged search"
    )
    options = parser.parse_args()
    if not slapd_available() or shutil.which("ldapsearch") is None:
        print("slapd or ldapsearch missing: apt-get install slapd ldap-utils", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="sdet-bench-") as folder:
        work = Path(folder)
        generated = time.perf_counter()
        # The AAF generator makes about 600 persons per structure (pupils, their relatives,
        # staff); its set, read back like any AAF export, is what slapd is loaded with.
        structures = max(1, round(options.entries / PERSONS_PER_STRUCTURE))
        generate(work / "aaf", GenerationOptions(structures=structures, seed=1, delta=False))
        records = read_aaf_records(work / "aaf")
        persons = sum(record.category != "EtabEducNat" for record in records)
        generated = time.perf_counter() - generated
        loading = time.perf_counter()
        with SlapdServer(SlapdConfig(), work / "pki", records=records, bulk=True) as server:
            loading = time.perf_counter() - loading
            target_file = write_target(work / "cible.yaml", server, PASSWORD_ENV)
            data = yaml.safe_load(target_file.read_text(encoding="utf-8"))
            data["ldap"]["page_size"] = options.page_size
            target_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
            password_file = work / "password"
            password_file.write_text(server.audit_password, encoding="utf-8")
            password_file.chmod(0o600)

            ldapsearch(server, password_file, options.page_size)  # warm-up, not timed
            baseline: list[float] = []
            probe: list[float] = []
            baseline_cpu: list[float] = []
            probe_cpu: list[float] = []
            read = 0
            for _ in range(options.repeat):
                elapsed, cpu = ldapsearch(server, password_file, options.page_size)
                baseline.append(elapsed)
                baseline_cpu.append(cpu)
                elapsed, cpu, read = audit(target_file, server.audit_password)
                probe.append(elapsed)
                probe_cpu.append(cpu)
            generic = with_ldap3(server, options.page_size) if options.ldap3 else None

    base = statistics.median(baseline)
    ours = statistics.median(probe)
    print(f"directory: {read} entries ({persons} persons from a generated AAF set)")
    print(f"generation {generated:.1f} s, slapadd + start {loading:.1f} s")
    print(f"ldapsearch -ZZ (the same searches, attributes, pages): median {base:.2f} s "
          f"over {options.repeat} ({', '.join(f'{t:.2f}' for t in baseline)})")  # fmt: skip
    print(f"ldap.data_model (scan + every rule):                  median {ours:.2f} s "
          f"over {options.repeat} ({', '.join(f'{t:.2f}' for t in probe)})")  # fmt: skip
    print(f"throughput: {read / ours:,.0f} entries/s audited, {read / base:,.0f} dumped")
    rounds = sorted(p / b for p, b in zip(probe, baseline, strict=True))
    print(f"ratio audit / ldapsearch: {ours / base:.2f} (goal: at most 1.5); per round "
          f"{', '.join(f'{r:.2f}' for r in rounds)}, best {rounds[0]:.2f}")  # fmt: skip
    searched, audited = statistics.median(baseline_cpu), statistics.median(probe_cpu)
    print(f"client CPU: ldapsearch median {searched:.2f} s, audit median {audited:.2f} s "
          "(scan, decoding and every rule)")  # fmt: skip
    print(f"load average: {os.getloadavg()[0]:.1f}")
    if generic is not None:
        print(f"ldap3 paged_search alone (no audit): {generic:.2f} s, ratio {generic / base:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
