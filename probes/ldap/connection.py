"""One connection to the annuaire, as the target's ``ldap`` section describes it.

The session, its guarded socket, binds, errors turned into probe errors, and the evidence
they give.
"""

from __future__ import annotations

import contextlib
import math
import secrets
import socket
import ssl
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import ldap3
from cryptography import x509
from ldap3.core import exceptions as ldap3_errors
from pyasn1.error import PyAsn1Error  # type: ignore[import-untyped]

from probes import _ldap_wire as wire
from sdet_check.evidence import note
from sdet_check.messages import msg
from sdet_check.probe import (
    BadParams,
    Evidence,
    HostileResponse,
    NotTestable,
    ProbeContext,
    ProbeError,
    ProbeTimeout,
    TargetUnreachable,
)
from sdet_check.pseudonym import Pseudonymiser
from sdet_check.target import Secret

STARTTLS_OID = "1.3.6.1.4.1.1466.20037"
"""The StartTLS extended operation (RFC 4511 §4.14)."""

DEFAULT_PAGE_SIZE = 500
"""Entries per page of a whole-tree search, unless the target says otherwise."""

DEFAULT_MAX_ENTRIES = 500_000
"""Most entries a scan reads before giving up, unless the target says otherwise."""

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
"""Largest single LDAP message (one entry) a scan accepts; beyond it the server is hostile."""

MAX_SMALL_READ_BYTES = 16 * 1024 * 1024
"""Most bytes ldap3 may read on one connection (binds, rootDSE, subschema)."""

_KNOWN_OIDS = {
    STARTTLS_OID: "StartTLS",
    "1.3.6.1.4.1.4203.1.11.1": "Password Modify",
    "1.3.6.1.4.1.4203.1.11.3": "Who am I?",
    "1.3.6.1.1.8": "Cancel",
    "1.2.840.113556.1.4.319": "Paged results",
    "2.16.840.1.113730.3.4.18": "Proxied authorization",
    "2.16.840.1.113730.3.4.2": "ManageDsaIT",
    "1.3.6.1.4.1.4203.1.10.1": "Subentries",
    "1.3.6.1.1.12": "Assertion",
    "1.3.6.1.1.13.1": "Pre-read",
    "1.3.6.1.1.13.2": "Post-read",
}
_NO_PARAMS: Mapping[str, Any] = {"type": "object", "additionalProperties": False, "properties": {}}
_PROBE_DN_RDN = "cn=sdet-check-sonde"
_REFUSED_IN_CLEAR = frozenset({8, 13, 53})
"""strongerAuthRequired, confidentialityRequired, unwillingToPerform: refusals of a clear bind."""
_PROCESSED_IN_CLEAR = frozenset({0, 32, 34, 49})
"""Answers showing that a password sent in clear was looked at (success, invalidCredentials…)."""
_NOTHING_TO_READ = frozenset({0, 8, 13, 32, 48, 50, 53})
"""Search results that, with no entry, mean nothing is readable (success, refusals)."""
_ANONYMOUS_EXAMPLES = 5

# --- the target's ldap section ----------------------------------------------------------


@dataclass(frozen=True)
class _Access:
    """The ``ldap`` section of the target, with defaults applied."""

    url: str
    host: str
    port: int
    ldaps: bool
    base_dn: str
    bind_dn: str | None
    password: Secret | None
    starttls: bool
    ca_file: str | None
    verify: bool
    page_size: int
    max_entries: int
    pseudonymise: bool
    salt: Secret | None

    @property
    def tls_wanted(self) -> bool:
        """Protect connections with TLS: ``ldaps://``, or StartTLS unless the target says no."""
        return self.ldaps or self.starttls

    def pseudonymiser(self) -> Pseudonymiser:
        """A pseudonymiser for this target's evidence."""
        salt = self.salt.reveal().encode("utf-8") if self.salt is not None else None
        return Pseudonymiser(salt, enabled=self.pseudonymise)


def _access(context: ProbeContext, *, service_account: bool = False) -> _Access:
    """The target's ldap section; ``service_account``: a read-only account is required."""
    target = context.target
    section = target.section("ldap")
    url = section.get("url")
    if not isinstance(url, str) or not url:
        raise NotTestable(msg("ldap.ldap.access.untestable"))
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("ldap", "ldaps") or not parts.hostname:
        raise BadParams(msg("ldap.ldap.access.bad_params", url=url))
    try:
        port = parts.port or (636 if scheme == "ldaps" else 389)
    except ValueError as exc:
        raise BadParams(msg("ldap.ldap.access.bad_params_2", url=url)) from exc
    secrets_by_env = {secret.env: secret for secret in target.secrets}
    ca_file = section.get("ca_file")
    if ca_file:
        ca_path: str | None = str(target.path(ca_file))
    else:
        verify_setting = target.tls_verify
        ca_path = verify_setting if isinstance(verify_setting, str) else None
    bind_dn = section.get("bind_dn") or None
    password = secrets_by_env.get(section.get("password_env", ""))
    if service_account and (bind_dn is None or password is None):
        raise NotTestable(msg("ldap.ldap.access.untestable_2"))
    return _Access(
        url=url,
        host=parts.hostname,
        port=port,
        ldaps=scheme == "ldaps",
        base_dn=section["base_dn"],
        bind_dn=bind_dn,
        password=password,
        starttls=bool(section.get("starttls", True)),
        ca_file=ca_path,
        verify=target.tls_verify is not False,
        page_size=int(section.get("page_size", DEFAULT_PAGE_SIZE)),
        max_entries=int(section.get("max_entries", DEFAULT_MAX_ENTRIES)),
        pseudonymise=bool(section.get("pseudonymise", True)),
        salt=secrets_by_env.get(section.get("pseudonym_salt_env", "")),
    )


# --- one connection ---------------------------------------------------------------------


class _TlsRefused(TargetUnreachable):
    """TLS could not be set up: a finding for ``ldap.tls``, unreachable for the others."""


class _Tripped(Exception):
    """The guarded socket refused to read further (deadline passed or budget spent)."""

    def __init__(self, message: str, *, timeout: bool) -> None:
        super().__init__(message)
        self.timeout = timeout


class _GuardedSocket:
    """Stands in for ldap3's socket once TLS is set up: every read bounded in time and size."""

    def __init__(self, raw: socket.socket, context: ProbeContext, budget: int) -> None:
        self.raw = raw
        self._context = context
        self._budget = budget
        self.received = 0

    def recv(self, size: int, *flags: int) -> bytes:
        remaining = self._context.remaining()
        if remaining <= 0:
            raise _Tripped(msg("ldap.guard.deadline"), timeout=True)
        self.raw.settimeout(min(self._context.network_timeout, remaining))
        data = self.raw.recv(size, *flags)
        self.received += len(data)
        if self.received > self._budget:
            raise _Tripped(msg("ldap.guard.budget", budget=self._budget), timeout=False)
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


class _Session:
    """One connection to the annuaire: TCP, TLS as asked, then binds and reads."""

    def __init__(self, access: _Access, context: ProbeContext, *, protect: bool) -> None:
        self.access = access
        self.context = context
        self.protect = protect or access.ldaps
        self._connection: ldap3.Connection | None = None
        self._guard: _GuardedSocket | None = None
        self._wire: wire.WireConnection | None = None

    def __enter__(self) -> Self:
        try:
            self._open()
        except BaseException:
            self.close()
            raise
        return self

    def _open(self) -> None:
        access, context = self.access, self.context
        stalled = context.stalled
        if stalled is not None and stalled.given_up(access.url):
            raise ProbeTimeout(
                msg("ldap.ldap.session.timeout", url=access.url, stalls=stalled.stalls(access.url))
            )
        tls = ldap3.Tls(
            validate=ssl.CERT_REQUIRED if access.verify else ssl.CERT_NONE,
            ca_certs_file=access.ca_file,
            valid_names=[access.host],
        )
        server = ldap3.Server(
            access.host,
            port=access.port,
            use_ssl=access.ldaps,
            tls=tls,
            get_info=ldap3.NONE,
            connect_timeout=context.call_timeout(),
        )
        connection = ldap3.Connection(
            server,
            # Whole seconds: ldap3 packs this value into SO_RCVTIMEO as an integer.
            receive_timeout=max(1, math.ceil(context.call_timeout())),
            raise_exceptions=False,
            read_only=True,
            check_names=False,
            auto_referrals=False,
            auto_range=False,
        )
        self._connection = connection
        context.guard.track(connection)
        with self._bounded(msg("ldap.what.connect", url=access.url), tls=access.ldaps):
            connection.open(read_server_info=False)
        if self.protect and not access.ldaps:
            with self._bounded(msg("ldap.what.starttls", url=access.url), tls=True):
                connection.start_tls(read_server_info=False)
        if self.protect and access.verify:
            problem = _name_problem(connection.socket, access.host)
            if problem:
                raise _TlsRefused(msg("ldap.ldap.session.unreachable", problem=problem))
        self._guard = _GuardedSocket(connection.socket, context, MAX_SMALL_READ_BYTES)
        connection.socket = self._guard

    @contextmanager
    def _bounded(self, what: str, *, tls: bool = False) -> Iterator[None]:
        """One exchange within the network bound in total, its errors translated.

        A server that keeps sending a byte now and then is cut when the bound passes
        (the watchdog shuts the socket down): a timeout, whatever ldap3 made of the cut.
        """
        with self.context.bounded() as exchange:
            exchange.use(self._connection)
            try:
                with _translated(what, tls=tls):
                    yield
            except BaseException as exc:
                if isinstance(exc, ProbeTimeout) or exchange.expired:
                    self._stalled()
                if exchange.expired or self.context.guard.cancelled.is_set():
                    raise ProbeTimeout(
                        msg(
                            "ldap.ldap.session.timeout_2",
                            what=what,
                            seconds=f"{exchange.seconds:.1f}",
                        )
                    ) from exc
                raise
            if exchange.expired:
                self._stalled()
                raise ProbeTimeout(
                    msg("ldap.ldap.session.timeout_2", what=what, seconds=f"{exchange.seconds:.1f}")
                )

    def _stalled(self) -> None:
        if self.context.stalled is not None and not self.context.guard.cancelled.is_set():
            self.context.stalled.record(self.access.url)

    def bind(self, dn: str, password: str) -> wire.LdapResult:
        """A simple bind through the wire client, within the network bound in total."""
        with self._bounded(msg("ldap.what.bind", url=self.access.url)):
            return self.wire_client().bind(dn, password)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close; an error of the wire reader, the guard or ldap3 leaves as a probe error."""
        self.close()
        if exc is None or isinstance(exc, ProbeError):
            return
        if isinstance(exc, wire.WireError):
            raise _wire_error(self.access.url, exc) from exc
        if isinstance(exc, _Tripped | ldap3_errors.LDAPException | OSError):
            with _translated(msg("ldap.what.exchange", url=self.access.url), tls=False):
                raise exc

    def close(self) -> None:
        """Say goodbye when a wire exchange took place, then close the socket."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if self._wire is not None:
            self._wire.unbind()
        raw = self._guard.raw if self._guard is not None else connection.socket
        try:
            if raw is not None:
                raw.close()
        except OSError:
            pass
        connection.closed = True

    @property
    def raw_socket(self) -> socket.socket:
        assert self._guard is not None
        return self._guard.raw

    def wire_client(self) -> wire.WireConnection:
        """A wire connection on the same socket, bounded by the probe's deadline."""
        if self._wire is None:
            self._wire = wire.WireConnection(
                self.raw_socket,
                deadline=self.context.deadline,
                network_timeout=self.context.network_timeout,
                max_message_bytes=MAX_MESSAGE_BYTES,
            )
        return self._wire

    def tls_evidence(self, how: str) -> Evidence:
        """What the TLS session looks like: version, cipher, certificate."""
        raw = self.raw_socket
        if not isinstance(raw, ssl.SSLSocket):
            raise ProbeError(msg("ldap.ldap.session.error"))
        der = raw.getpeercert(binary_form=True)
        certificate = _certificate_facts(der) if der else {}
        version = raw.version()
        cipher = raw.cipher()
        return Evidence(
            kind="tls",
            summary=msg(
                "ldap.ldap.ev.session.evidence",
                how=how,
                version=version,
                value=cipher[0] if cipher else "?",
                get=certificate.get("subject", "?"),
                get2=certificate.get("issuer", "?"),
                host=self.access.host,
            ),
            data={
                "method": how,
                "version": version,
                "cipher": cipher[0] if cipher else None,
                "certificate": certificate,
                "trust_anchor": self.access.ca_file or msg("ldap.guard.system_store"),
                "name_checked": self.access.host,
            },
        )

    def bind_service_or_anonymous(self) -> wire.LdapResult:
        """Bind as the service account when the target gives one, else anonymously."""
        access = self.access
        if access.bind_dn and access.password is not None:
            result = self.bind(access.bind_dn, access.password.reveal())
            if not result.ok:
                raise ProbeError(
                    msg(
                        "ldap.ldap.session.error_2",
                        bind_dn=access.bind_dn,
                        describe=result.describe(),
                    )
                )
            return result
        return self.bind("", "")

    def read_entry(self, dn: str, attributes: Sequence[str]) -> dict[str, list[str]] | None:
        """Read one entry (base scope) through ldap3; ``None`` when it cannot be read."""
        assert self._connection is not None
        what = (
            msg("ldap.what.read_entry", dn=dn, url=self.access.url)
            if dn
            else msg("ldap.what.read_root", url=self.access.url)
        )
        with self._bounded(what):
            found = self._connection.search(
                dn, "(objectClass=*)", ldap3.BASE, attributes=list(attributes)
            )
        if not found:
            return None
        for response in self._connection.response or ():
            if response.get("type") == "searchResEntry":
                raw = response.get("raw_attributes", {})
                return {
                    name.lower(): [_text(value) for value in values] for name, values in raw.items()
                }
        return None

    def sample(self, base: str, search_filter: bytes, attributes: Sequence[str]) -> _Sample:
        """Search the subtree, keeping at most a few entries (one small page)."""
        stats = wire.SearchStats()
        entries: list[wire.Entry] = []
        pages = self.wire_client().paged_search(
            base, search_filter, attributes, page_size=_ANONYMOUS_EXAMPLES, stats=stats
        )
        with contextlib.closing(pages):
            entries.extend(next(pages, []))
        return _Sample(entries, stats.result)


@dataclass(frozen=True)
class _Sample:
    """The first entries of a search, and how the server answered."""

    entries: list[wire.Entry]
    result: wire.LdapResult | None

    def evidence(self, object_class: str, pseudo: Pseudonymiser) -> Evidence:
        examples = [
            {"dn": pseudo.dn(dn), "attributs_lisibles": sorted(attributes)}
            for dn, attributes in self.entries[:_ANONYMOUS_EXAMPLES]
        ]
        answer = self.result.describe() if self.result else msg("ldap.guard.no_final_answer")
        if self.entries:
            summary = msg(
                "ldap.guard.anonymous_visible",
                object_class=object_class,
                count=len(self.entries),
                answer=answer,
            )
        else:
            summary = msg("ldap.anonymous_none", object_class=object_class, answer=answer)
        return Evidence(
            kind="ldap_search",
            summary=summary,
            data={
                "filter": f"(objectClass={object_class})",
                "bind": "anonyme",
                "entries_in_first_page": len(self.entries),
                "result": self.result.describe() if self.result else None,
                "examples": examples,
            },
        )


@dataclass(frozen=True)
class _ClearBind:
    accepted: bool
    message: str
    evidence: Evidence


def _clear_bind(access: _Access, context: ProbeContext) -> _ClearBind:
    """Bind in clear with a made-up DN and password; tell whether it was refused for lack of TLS."""
    dn = _probe_dn(access)
    with _Session(access, context, protect=False) as session:
        result = session.bind(dn, "sdet-check-" + secrets.token_urlsafe(12))
    evidence = _bind_evidence(msg("ldap.guard.clear_bind_label"), dn, result)
    if result.code in _REFUSED_IN_CLEAR:
        return _ClearBind(False, "", evidence)
    if result.code in _PROCESSED_IN_CLEAR:
        return _ClearBind(
            True,
            msg("ldap.guard.clear_bind_processed", describe=result.describe()),
            evidence,
        )
    raise ProbeError(msg("ldap.ldap.clear_bind.error", describe=result.describe()), evidence)


def _probe_dn(access: _Access) -> str:
    return f"{_PROBE_DN_RDN},{access.base_dn}"


def _root_dse_values(session: _Session, attribute: str) -> list[str] | None:
    entry = session.read_entry("", [attribute])
    return None if entry is None else entry.get(attribute.lower(), [])


def _starttls_advert(advertised: list[str] | None) -> Evidence:
    if advertised is None:
        return note(msg("ldap.ldap.ev.starttls_advert.note"))
    present = STARTTLS_OID in advertised
    return Evidence(
        kind="ldap_root_dse",
        summary=msg(
            "ldap.ldap.ev.starttls_advert.evidence",
            starttls_oid=STARTTLS_OID,
            value=msg("ldap.starttls.advertised")
            if present
            else msg("ldap.starttls.not_advertised"),
        ),
        data={"supportedExtension": _named_oids(advertised), "starttls_advertised": present},
    )


# --- errors at the boundary -------------------------------------------------------------


@contextmanager
def _translated(what: str, *, tls: bool = False) -> Iterator[None]:
    """Turn ldap3, ssl and socket errors into probe errors naming ``what``."""
    try:
        yield
    except ProbeError:
        raise
    except _Tripped as tripped:
        if tripped.timeout:
            raise ProbeTimeout(
                msg("ldap.ldap.translated.timeout", what=what, tripped=tripped)
            ) from tripped
        raise HostileResponse(
            msg("ldap.ldap.translated.timeout", what=what, tripped=tripped)
        ) from tripped
    except (ldap3_errors.LDAPException, OSError) as exc:
        raise _probe_error(what, exc, tls=tls) from exc
    except _UNDECODABLE as exc:
        # ldap3's decoder fails this way on bytes that are not LDAP (noise, an HTTP server).
        raise HostileResponse(
            msg(
                "ldap.ldap.translated.hostile",
                what=what,
                error_type=type(exc).__name__,
                detail=_short(str(exc)),
            )
        ) from exc


_UNDECODABLE = (
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    AttributeError,
    UnicodeError,
    PyAsn1Error,
)


def _probe_error(what: str, exc: BaseException, *, tls: bool) -> ProbeError:
    chain = list(_chain(exc))
    text = " | ".join(str(item) for item in chain)
    lowered = text.lower()
    if any(isinstance(item, TimeoutError) for item in chain) or "timed out" in lowered:
        return ProbeTimeout(msg("ldap.ldap.probe_error.timeout", what=what))
    if (
        any(isinstance(item, ssl.SSLCertVerificationError) for item in chain)
        or "certificate_verify_failed" in lowered
        or any(isinstance(item, ldap3_errors.LDAPCertificateError) for item in chain)
    ):
        return _TlsRefused(msg("ldap.ldap.probe_error.unreachable", detail=_short(text)))
    if tls and isinstance(exc, ldap3_errors.LDAPStartTLSError):
        return _TlsRefused(msg("ldap.ldap.probe_error.unreachable_2", detail=_short(text)))
    if tls and ("ssl" in lowered or any(isinstance(item, ssl.SSLError) for item in chain)):
        return _TlsRefused(msg("ldap.ldap.probe_error.unreachable_3", detail=_short(text)))
    if "refused" in lowered or "unreachable" in lowered or "no route" in lowered:
        return TargetUnreachable(
            msg("ldap.ldap.probe_error.unreachable_4", what=what, detail=_short(text))
        )
    return TargetUnreachable(
        msg("ldap.ldap.probe_error.unreachable_5", what=what, detail=_short(text))
    )


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _short(text: str) -> str:
    return text if len(text) <= 300 else text[:300] + "…"


def _wire_error(url: str, exc: wire.WireError) -> ProbeError:
    """The probe error for a failure of the wire reader."""
    if isinstance(exc, wire.Timeout):
        return ProbeTimeout(msg("ldap.ldap.wire_error.timeout", url=url, exc=exc))
    if isinstance(exc, wire.TooLarge | wire.Malformed):
        return HostileResponse(msg("ldap.ldap.wire_error.hostile", url=url, exc=exc))
    return TargetUnreachable(msg("ldap.ldap.wire_error.timeout", url=url, exc=exc))


# --- evidence helpers -------------------------------------------------------------------


def _pseudonymisation_evidence(pseudo: Pseudonymiser) -> Evidence:
    described = pseudo.describe()
    if not pseudo.enabled:
        return Evidence(
            kind="pseudonymisation",
            summary=msg("ldap.ldap.ev.pseudonymisation_evidence.evidence"),
            data=described,
        )
    masked = sum(pseudo.masked.values())
    described["never_copied"] = [
        "sn",
        "givenName",
        "cn",
        "ENTPersonDateNaissance",
        "mail",
        "ENTPersonAdresse",
        "telephoneNumber",
        "mobile",
        "ENTEleveINE",
    ]
    return Evidence(
        kind="pseudonymisation",
        summary=msg(
            "ldap.ldap.ev.pseudonymisation_evidence.evidence_2",
            masked=masked,
            salt=msg(f"ldap.ldap.ev.pseudonymisation_evidence.salt_{pseudo.salt_source}"),
        ),
        data=described,
    )


def _bind_evidence(label: str, dn: str, result: wire.LdapResult) -> Evidence:
    return Evidence(
        kind="ldap_bind",
        summary=msg("ldap.ldap.ev.bind_evidence.evidence", label=label, describe=result.describe()),
        data={
            "dn": dn,
            "result_code": result.code,
            "result": result.name,
            "message": result.message,
        },
    )


def _named_oids(values: Sequence[str]) -> list[str]:
    return [f"{oid} ({_KNOWN_OIDS[oid]})" if oid in _KNOWN_OIDS else oid for oid in values]


def _certificate_facts(der: bytes) -> dict[str, Any]:
    certificate = x509.load_der_x509_certificate(der)
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(name) for name in san.get_values_for_type(x509.DNSName)] + [
            str(address) for address in san.get_values_for_type(x509.IPAddress)
        ]
    except x509.ExtensionNotFound:
        names = []
    return {
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "subject_alt_names": names,
        "not_after": certificate.not_valid_after_utc.isoformat(),
        "serial": format(certificate.serial_number, "x"),
    }


def _name_problem(sock: Any, host: str) -> str | None:
    """Check the certificate's subjectAltName against ``host`` (RFC 6125; no CN fallback)."""
    raw = getattr(sock, "getpeercert", None)
    der = raw(binary_form=True) if raw else None
    if not der:
        return msg("ldap.guard.no_certificate")
    names = _certificate_facts(der)["subject_alt_names"]
    wanted = host.lower().rstrip(".")
    for name in names:
        name = name.lower().rstrip(".")
        if name == wanted:
            return None
        wildcard = name.startswith("*.") and "." in wanted and not _is_ip(wanted)
        if wildcard and wanted.split(".", 1)[1] == name[2:]:
            return None
    return msg(
        "ldap.guard.name_mismatch", host=host, names=list(names) or msg("ldap.guard.no_name")
    )


def _is_ip(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
