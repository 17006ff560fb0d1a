"""The server certificates of the portal and its SSO server (SEC-TLS-004).

Checked with Python's TLS stack against the target's trust anchor (``tls.ca_file``, else the
system store, the one browsers share): chain, validity dates and host name. The browser of
the family is told to accept the target's test CA, so this check is also what the sign-in
runs before a password leaves.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

from probes.portal.common import PortalSection
from sdet_check.messages import clauses, msg
from sdet_check.probe import (
    Evidence,
    Outcome,
    Probe,
    ProbeContext,
    TargetUnreachable,
    validated_params,
)


def certificate_problem(url: str, context: ProbeContext) -> str | None:
    """Why the certificate of ``url``'s server is not valid, in French; ``None`` when it is."""
    _details, problem = _inspect(url, context)
    return problem


def _trust(context: ProbeContext) -> ssl.SSLContext:
    verify = context.target.tls_verify
    tls = ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
    tls.check_hostname = True
    tls.verify_mode = ssl.CERT_REQUIRED
    return tls


def _inspect(url: str, context: ProbeContext) -> tuple[dict[str, Any], str | None]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or 443
    details: dict[str, Any] = {"host": host, "port": port}
    try:
        with (
            socket.create_connection((host, port), timeout=context.call_timeout()) as raw,
            _trust(context).wrap_socket(raw, server_hostname=host) as tls,
        ):
            cert = tls.getpeercert() or {}
            details.update(
                {
                    "subject": _name(cert.get("subject", ())),
                    "issuer": _name(cert.get("issuer", ())),
                    "not_before": cert.get("notBefore"),
                    "not_after": cert.get("notAfter"),
                    "subject_alt_names": [pair[1] for pair in cert.get("subjectAltName", ())],
                    "protocol": tls.version(),
                }
            )
            return details, None
    except ssl.SSLCertVerificationError as refused:
        details["verify_message"] = refused.verify_message
        return details, refused.verify_message or str(refused)
    except (OSError, ssl.SSLError) as failed:
        raise TargetUnreachable(
            msg("portal.certificates.inspect.unreachable", host=host, port=port, failed=failed)
        ) from failed


def _name(fields: Any) -> str:
    return ", ".join(f"{k}={v}" for rdn in fields for k, v in rdn)


class Certificate(Probe):
    """SEC-TLS-004: valid certificates (chain, dates, host name) on the portal and SSO."""

    kind: ClassVar[str] = "portal.certificate"
    title: ClassVar[str] = (
        "Certificats du portail et du serveur d'authentification : chaîne, validité, nom d'hôte"
    )
    needs: ClassVar[tuple[str, ...]] = ("portal",)

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Check each HTTPS server the portal and its SSO use."""
        validated_params(self, params)
        section = PortalSection.of(context.target)
        urls = [section.url, section.login_url]
        if section.sso_login_url:
            urls.append(section.sso_login_url)
        servers: dict[tuple[str, int], str] = {}
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme == "https" and parts.hostname:
                servers.setdefault((parts.hostname, parts.port or 443), url)
        if not servers:
            return Outcome.failed(
                msg("portal.certificates.certificate.fail"),
                Evidence(
                    "note", msg("portal.certificates.ev.certificate.evidence"), {"urls": urls}
                ),
            )
        trust = context.target.tls_verify
        anchor = (
            msg("portal.certificates.declared_anchor", trust=trust)
            if isinstance(trust, str)
            else msg("portal.certificates.system_store")
        )
        evidence = []
        problems: list[str] = []
        for (host, port), url in servers.items():
            details, problem = _inspect(url, context)
            details["trust_anchor"] = anchor
            if problem is None:
                evidence.append(
                    Evidence(
                        "tls",
                        msg(
                            "portal.certificates.ev.certificate.evidence_2",
                            host=host,
                            port=port,
                            not_after=details["not_after"],
                            anchor=anchor,
                        ),
                        details,
                    )
                )
            else:
                problems.append(
                    msg(
                        "portal.certificates.certificate.append",
                        host=host,
                        port=port,
                        problem=problem,
                    )
                )
                evidence.append(
                    Evidence(
                        "tls",
                        msg(
                            "portal.certificates.ev.certificate.evidence_3",
                            host=host,
                            port=port,
                            problem=problem,
                        ),
                        details,
                    )
                )
        if problems:
            return Outcome.failed(
                msg("portal.certificates.certificate.fail_2", problems=clauses(problems)), *evidence
            )
        return Outcome.passed(
            msg("portal.certificates.certificate.pass", count=len(servers), anchor=anchor),
            *evidence,
        )
