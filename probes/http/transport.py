"""HTTPS redirect, HSTS and the TLS protocol floor: how the portal is reached."""

from __future__ import annotations

import re
import socket
import ssl
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
from cryptography import x509

from probes.http.common import (
    _NO_PARAMS,
    HSTS_HEADER,
    REDIRECT_STATUSES,
    _follow,
    _https_only,
    _join,
    _portal,
)
from sdet_check.evidence import http_chain, http_exchange, note
from sdet_check.messages import clauses, msg
from sdet_check.probe import (
    Evidence,
    Outcome,
    Probe,
    ProbeContext,
    ProbeError,
    ProbeTimeout,
    TargetUnreachable,
    validated_params,
)
from sdet_check.transport import get as _get
from sdet_check.transport import header_values as _header_values


class HttpsRedirect(Probe):
    """Plain HTTP redirects to HTTPS.

    Pass: the plain-HTTP address answers 301/302/303/307/308 with a ``Location`` on
    ``https://`` and the chain (followed, bounded) stays on HTTPS. Pass as well when nothing
    listens on the HTTP port (connection refused or reset) while the portal answers over HTTPS: no
    content is served in clear, and both observations are recorded. Fail: content served over
    HTTP, a redirect to a non-HTTPS address, a redirect without ``Location``. A timeout on the
    HTTP port stays an error: a filtered port and a slow server cannot be told apart.

    The plain-HTTP address is ``portal.http_url``, else the portal URL with ``http://`` on the
    default port.
    """

    kind = "http.https_redirect"
    title = "L'adresse HTTP du portail redirige vers HTTPS"
    needs = ("portal",)
    params_schema = _NO_PARAMS

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """GET the plain-HTTP address without following redirects, then judge."""
        validated_params(self, params)
        portal = _portal(context)
        with context.http_session() as session:
            try:
                first = _get(session, portal.http_url, context)
            except TargetUnreachable as refused:
                if not isinstance(refused.__cause__, requests.exceptions.ConnectionError):
                    raise  # the port answered, then broke off: that is no proof of anything
                return _https_only(session, portal, context, refused)

            location = first.headers.get("Location")
            if first.status_code not in REDIRECT_STATUSES:
                return Outcome.failed(
                    msg(
                        "http.https_redirect.fail",
                        http_url=portal.http_url,
                        status_code=first.status_code,
                    ),
                    http_exchange(first),
                )
            if not location:
                return Outcome.failed(
                    msg(
                        "http.https_redirect.fail_2",
                        http_url=portal.http_url,
                        status_code=first.status_code,
                    ),
                    http_exchange(first),
                )
            next_url = _join(first, location)
            if urlsplit(next_url).scheme != "https":
                return Outcome.failed(
                    msg("http.https_redirect.fail_3", http_url=portal.http_url, next_url=next_url),
                    http_exchange(first),
                )
            chain = [first, *_follow(session, next_url, context)]
            in_clear = [r.url for r in chain[1:] if urlsplit(r.url).scheme != "https"]
            if in_clear:
                return Outcome.failed(
                    msg(
                        "http.https_redirect.fail_4",
                        http_url=portal.http_url,
                        in_clear=", ".join(in_clear),
                    ),
                    *http_chain(chain),
                )
            landing = chain[-1]
            return Outcome.passed(
                msg(
                    "http.https_redirect.pass",
                    http_url=portal.http_url,
                    status_code=first.status_code,
                    next_url=next_url,
                    url=landing.url,
                    status_code2=landing.status_code,
                ),
                *http_chain(chain),
            )


class Hsts(Probe):
    """``Strict-Transport-Security`` on the HTTPS home page (RFC 6797).

    The header is looked for on the home page and on the HTTPS hops of its redirect chain;
    the first response carrying it is judged, and only its first header (RFC 6797 §8.1).
    Pass: a valid header with ``max-age`` ≥ ``min_max_age`` and, when ``include_subdomains``
    is true, the ``includeSubDomains`` directive. Fail otherwise, naming the header and what
    is wrong.
    """

    kind = "http.hsts"
    title = "En-tête HSTS (Strict-Transport-Security) sur la page d'accueil HTTPS"
    needs = ("portal",)
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "min_max_age": {
                "type": "integer",
                "minimum": 0,
                "default": 31536000,
                "description": "Smallest acceptable max-age, in seconds (default one year).",
            },
            "include_subdomains": {
                "type": "boolean",
                "default": False,
                "description": "Require the includeSubDomains directive.",
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Read the header and compare it with the params."""
        params = validated_params(self, params)
        min_max_age: int = params.get("min_max_age", 31536000)
        want_subdomains: bool = params.get("include_subdomains", False)
        portal = _portal(context)
        with context.http_session() as session:
            chain = _follow(session, portal.url, context)
        exchanges = http_chain(chain)
        carrier = next(
            (
                response
                for response in chain
                if urlsplit(response.url).scheme == "https"
                and _header_values(response, HSTS_HEADER)
            ),
            None,
        )
        if carrier is None:
            return Outcome.failed(
                msg("http.hsts.fail", hsts_header=HSTS_HEADER, url=portal.url),
                Evidence(
                    kind="header",
                    summary=msg("http.http.ev.hsts.evidence", hsts_header=HSTS_HEADER),
                    data={"name": HSTS_HEADER, "value": None, "url": portal.url},
                ),
                *exchanges,
            )
        values = _header_values(carrier, HSTS_HEADER)
        value = values[0]
        header = Evidence(
            kind="header",
            summary=msg("http.http.ev.hsts.evidence_2", hsts_header=HSTS_HEADER, value=value),
            data={"name": HSTS_HEADER, "value": value, "url": carrier.url, "ignored": values[1:]},
        )
        try:
            directives = parse_hsts(value)
        except ValueError as invalid:
            return Outcome.failed(
                msg("http.hsts.fail_2", hsts_header=HSTS_HEADER, invalid=invalid),
                header,
                *exchanges,
            )
        max_age = int((directives["max-age"] or "0").lstrip("0") or "0")
        problems = []
        if max_age < min_max_age:
            problems.append(msg("http.hsts.max_age_low", max_age=max_age, min_max_age=min_max_age))
        if want_subdomains and "includesubdomains" not in directives:
            problems.append(msg("http.hsts.no_subdomains"))
        if problems:
            return Outcome.failed(
                msg("http.hsts.fail_3", hsts_header=HSTS_HEADER, problems=clauses(problems)),
                header,
                *exchanges,
            )
        return Outcome.passed(
            msg("http.hsts.pass", hsts_header=HSTS_HEADER, value=value),
            header,
            *exchanges,
        )


class TlsFloor(Probe):
    """No TLS version below the floor is accepted.

    Each version below ``min_version`` (TLS 1.0, 1.1, and 1.2 when the floor is 1.3) is
    offered alone. Fail: the server accepts one (evidence: version and cipher). Pass: all
    are refused and a handshake at or above the floor succeeds, with certificate checking as
    the target asks (evidence: version, cipher, certificate subject, issuer, notAfter).
    A version the local OpenSSL cannot offer is recorded as not tried, never as refused;
    when no version below the floor can be tried at all, the probe cannot decide.
    """

    kind = "http.tls_floor"
    title = "Le serveur HTTPS refuse les versions de TLS inférieures au plancher"
    needs = ("portal",)
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "min_version": {
                "enum": ["1.2", "1.3"],
                "default": "1.2",
                "description": "Lowest TLS version the server may accept.",
            },
        },
    }

    def check(self, params: Mapping[str, Any], context: ProbeContext) -> Outcome:
        """Offer each old version alone, then one handshake at the floor."""
        params = validated_params(self, params)
        floor_label: str = params.get("min_version", "1.2")
        floor = _TLS_BY_LABEL[floor_label]
        portal = _portal(context)
        parts = urlsplit(portal.url)
        if parts.scheme != "https":
            return Outcome.failed(
                msg("http.tls_floor.fail", scheme=parts.scheme, url=portal.url),
                note(msg("http.http.ev.tls_floor.note"), url=portal.url),
            )
        host = parts.hostname or ""
        port = parts.port or 443

        evidence: list[Evidence] = []
        tried: list[_Handshake] = []
        untried: list[str] = []
        for version in (v for v in _OLD_VERSIONS if v < floor):
            label = _tls_label(version)
            if not _can_offer(version):
                untried.append(label)
                evidence.append(
                    note(
                        msg(
                            "http.http.ev.tls_floor.note_2",
                            label=label,
                            openssl_version=ssl.OPENSSL_VERSION,
                        ),
                        version=label,
                        tried=False,
                    )
                )
                continue
            result = _handshake(host, port, context, version, version)
            tried.append(result)
            evidence.append(result.evidence())

        if not tried:
            raise ProbeError(
                msg("http.tls_floor.error", floor_label=floor_label, untried=", ".join(untried)),
                *evidence,
            )
        accepted = [result for result in tried if result.accepted]
        if accepted:
            listed = ", ".join(f"{r.offered} ({r.cipher})" for r in accepted)
            return Outcome.failed(
                msg(
                    "http.tls_floor.fail_2",
                    host=host,
                    port=port,
                    listed=listed,
                    floor_label=floor_label,
                ),
                *evidence,
            )

        modern = _handshake(host, port, context, floor, None)
        if not modern.accepted:
            raise TargetUnreachable(
                msg(
                    "http.tls_floor.unreachable",
                    floor_label=floor_label,
                    host=host,
                    port=port,
                    error=modern.error,
                ),
                *evidence,
                modern.evidence(),
            )
        evidence.append(modern.evidence())
        refused = ", ".join(r.offered for r in tried)
        message = msg(
            "http.tls_floor.pass",
            refused=refused,
            host=host,
            port=port,
            version=_tls_label_of(modern),
            cipher=modern.cipher,
        )
        if untried:
            message = msg("http.tls_floor.pass_untried", passed=message, untried=untried)
        return Outcome.passed(message, *evidence)


# --- HSTS -------------------------------------------------------------------------------

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_DIRECTIVE = re.compile(rf'\s*({_TOKEN})\s*(?:=\s*({_TOKEN}|"(?:[^"\\]|\\.)*"))?\s*')


MAX_AGE_DIGITS = 18
"""Most significant digits of an HSTS ``max-age`` taken as a number (a signed 64-bit value)."""


def parse_hsts(value: str) -> dict[str, str | None]:
    """Parse a ``Strict-Transport-Security`` value (RFC 6797 §6.1) into its directives.

    Names are lower-cased; quoted values are unquoted. Raises :class:`ValueError` (French
    message) when the header is invalid: bad syntax, a repeated directive, ``max-age``
    missing, not a number, or longer than :data:`MAX_AGE_DIGITS` digits (no browser keeps it).
    """
    directives: dict[str, str | None] = {}
    position = 0
    while position < len(value):
        if value[position] in " \t;":
            position += 1
            continue
        match = _DIRECTIVE.match(value, position)
        if match is None:
            raise ValueError(msg("http.hsts.bad_syntax", rest=value[position:]))
        name = match.group(1).lower()
        raw = match.group(2)
        if raw is not None and raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        if name in directives:
            raise ValueError(msg("http.hsts.repeated", directive=match.group(1)))
        directives[name] = raw
        position = match.end()
        if position < len(value) and value[position] != ";":
            raise ValueError(msg("http.hsts.bad_syntax", rest=value[position:]))
    max_age = directives.get("max-age")
    if max_age is None:
        raise ValueError(msg("http.hsts.no_max_age"))
    if not max_age.isascii() or not max_age.isdigit():
        raise ValueError(msg("http.hsts.max_age_not_number", max_age=max_age[:40]))
    if len(max_age.lstrip("0")) > MAX_AGE_DIGITS:
        raise ValueError(msg("http.hsts.max_age_too_long", digits=len(max_age)))
    return directives


# --- TLS --------------------------------------------------------------------------------

_OLD_VERSIONS = (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1_2)
_TLS_BY_LABEL = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}
_TLS_NAMES = {"TLSv1": "TLS 1.0", "TLSv1.1": "TLS 1.1", "TLSv1.2": "TLS 1.2", "TLSv1.3": "TLS 1.3"}
# Needed by OpenSSL 3 to put any TLS 1.0/1.1 cipher suite in a ClientHello.
_ALL_CIPHERS = "DEFAULT:@SECLEVEL=0"


@dataclass(frozen=True)
class _Handshake:
    """One TLS handshake attempt and what came of it."""

    offered: str
    accepted: bool
    version: str | None = None
    cipher: str | None = None
    error: str | None = None
    certificate: Mapping[str, str] = field(default_factory=dict)

    def evidence(self) -> Evidence:
        if self.accepted:
            summary = msg(
                "http.tls.accepted", offered=self.offered, version=self.version, cipher=self.cipher
            )
        else:
            summary = msg("http.tls.refused", offered=self.offered, error=self.error)
        data: dict[str, Any] = {
            "offered": self.offered,
            "accepted": self.accepted,
            "negotiated": self.version,
            "cipher": self.cipher,
            "error": self.error,
        }
        if self.certificate:
            data["certificate"] = dict(self.certificate)
        return Evidence(kind="tls", summary=summary, data=data)


def _tls_label(version: ssl.TLSVersion) -> str:
    return {
        ssl.TLSVersion.TLSv1: "TLS 1.0",
        ssl.TLSVersion.TLSv1_1: "TLS 1.1",
        ssl.TLSVersion.TLSv1_2: "TLS 1.2",
        ssl.TLSVersion.TLSv1_3: "TLS 1.3",
    }[version]


def _tls_label_of(result: _Handshake) -> str:
    return _TLS_NAMES.get(result.version or "", result.version or "?")


def _client_context(low: ssl.TLSVersion, high: ssl.TLSVersion | None) -> ssl.SSLContext:
    """Build a client context offering ``low``..``high`` only, certificates not checked."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers(_ALL_CIPHERS)
    with warnings.catch_warnings():
        # Python deprecates TLS 1.0/1.1; offering them is the whole point here.
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = low
        if high is not None:
            context.maximum_version = high
    return context


def _can_offer(version: ssl.TLSVersion) -> bool:
    """Tell whether the local OpenSSL can write a ClientHello offering only ``version``."""
    outgoing = ssl.MemoryBIO()
    try:
        tls = _client_context(version, version).wrap_bio(ssl.MemoryBIO(), outgoing)
        tls.do_handshake()
    except ssl.SSLWantReadError:
        return outgoing.pending > 0  # a ClientHello was written, waiting for the server
    except (ssl.SSLError, ValueError):
        return False
    return False


def _floor_context(target_verify: bool | str, floor: ssl.TLSVersion) -> ssl.SSLContext:
    """Build a context at or above ``floor`` checking the certificate as the target asks."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if target_verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif isinstance(target_verify, str):
        context.load_verify_locations(cafile=target_verify)
    else:
        context.load_default_certs()
    context.minimum_version = floor
    return context


def _handshake(
    host: str,
    port: int,
    context: ProbeContext,
    low: ssl.TLSVersion,
    high: ssl.TLSVersion | None,
) -> _Handshake:
    """Connect and handshake offering ``low``..``high``; a refusal is a result, not an error."""
    probing_old = high is not None
    offered = _tls_label(low) if probing_old else f"TLS ≥ {_tls_label(low)[4:]}"
    tls_context = (
        _client_context(low, high)
        if probing_old
        else _floor_context(context.target.tls_verify, low)
    )
    try:
        raw = socket.create_connection((host, port), timeout=context.call_timeout())
    except TimeoutError as exc:
        raise ProbeTimeout(msg("http.handshake.timeout", host=host, port=port)) from exc
    except OSError as exc:
        raise TargetUnreachable(
            msg("http.handshake.unreachable", host=host, port=port, exc=exc)
        ) from exc
    try:
        with context.bounded() as exchange:
            exchange.use(raw)  # a server dripping its handshake is cut at the network bound
            try:
                tls = tls_context.wrap_socket(raw, server_hostname=host)
            except OSError as exc:
                if exchange.expired:
                    raise TimeoutError("négociation TLS trop lente") from exc
                raise
        with tls:
            cipher = tls.cipher()
            der = tls.getpeercert(binary_form=True)
            return _Handshake(
                offered=offered,
                accepted=True,
                version=tls.version(),
                cipher=cipher[0] if cipher else None,
                certificate=_certificate_summary(der) if der else {},
            )
    except ssl.SSLCertVerificationError as exc:
        raise TargetUnreachable(
            msg(
                "http.handshake.unreachable_2",
                host=host,
                port=port,
                value=exc.verify_message or exc,
            )
        ) from exc
    except TimeoutError as exc:
        raise ProbeTimeout(
            msg("http.handshake.timeout_2", host=host, port=port, offered=offered)
        ) from exc
    except ssl.SSLError as exc:
        return _Handshake(offered=offered, accepted=False, error=exc.reason or str(exc))
    except OSError as exc:
        # The server hung up on the ClientHello: a refusal, as far as the client can tell.
        closed = msg("http.handshake.closed", exc=exc)
        return _Handshake(offered=offered, accepted=False, error=closed)
    finally:
        raw.close()


def _certificate_summary(der: bytes) -> dict[str, str]:
    try:
        certificate = x509.load_der_x509_certificate(der)
    except ValueError as exc:
        return {"error": f"certificat illisible : {str(exc)[:200]}"}
    return {
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "not_after": certificate.not_valid_after_utc.isoformat(),
    }
