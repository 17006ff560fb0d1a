"""Hostile peers for the tests: a loopback server that answers as an attacker would.

:class:`HostileServer` listens on 127.0.0.1 (an ephemeral port), over TLS with the demo test
PKI when given a server context (:func:`server_tls`), and plays one *behaviour* per path
(``routes``) or for every connection (``default``). A behaviour receives the client socket
and the request head already read (empty for raw protocols such as LDAP).

Behaviours, one per hostile class:
:func:`slow_drip` (one byte every few seconds, from the status line on),
:func:`tls_record_drip` (the same inside a TLS handshake), :func:`random_drip`,
:func:`endless_body`, :func:`compressed_bomb` (``gzip``, ``deflate``, ``br``),
:func:`giant_header` (a 60 KB token in ``Location`` or ``Set-Cookie``, or a 50 MB line),
:func:`many_headers`, :func:`redirect` (to an invalid address),
:func:`page` (any bytes as a 200 answer: late DOCTYPE, UTF-16 DOCTYPE, XML bomb, junk),
:func:`random_bytes`, :func:`http_on_any_port` (an HTTP server where LDAP was expected),
:func:`silent`.

:func:`measured` runs a piece of code in a fresh interpreter and returns what it printed
with its wall time and peak memory (``resource.getrusage``), so that a test can assert that
a hostile answer is refused within a time bound and without swallowing memory.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import resource
import socket
import ssl
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sdet_check.demo.pki import PkiFiles, ensure_pki

Behaviour = Callable[[socket.socket, bytes], None]
"""What the server does with one client: the socket and the request head it read."""

GIANT_TOKEN_BYTES = 60 * 1024
"""Size of the giant header tokens (under http.client's 64 KB line limit, on purpose)."""

BOMB_EXPANDED_BYTES = 256 * 1024 * 1024
"""What a compressed bomb expands to: far beyond any body a probe may keep."""

REPO = Path(os.environ.get("SDET_HOSTILE_REPO") or Path(__file__).resolve().parent.parent)
"""Code measured by :func:`measured` (``SDET_HOSTILE_REPO=/other/checkout`` to compare)."""

_HEAD_LIMIT = 64 * 1024


def server_tls(pki: PkiFiles) -> ssl.SSLContext:
    """A server-side TLS context with the demo test PKI's certificate (valid for 127.0.0.1)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.cert_file, pki.key_file)
    return context


class HostileServer:
    """A loopback server playing hostile behaviours, one thread per connection.

    ``routes`` maps a request path (``/arrete``) to a behaviour; other paths get ``default``.
    With ``http=False`` the request head is not read (LDAP and other raw protocols).
    Use as a context manager; leaving it closes every connection still open.
    """

    def __init__(
        self,
        default: Behaviour,
        routes: Mapping[str, Behaviour] | None = None,
        *,
        tls: ssl.SSLContext | None = None,
        http: bool = True,
    ) -> None:
        """Listen at once (the port is known before ``__enter__``)."""
        self.default = default
        self.routes = dict(routes or {})
        self.tls = tls
        self.http = http
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port: int = self.listener.getsockname()[1]
        self.connections = 0
        """Connections accepted so far."""
        self._stopping = threading.Event()
        self._clients: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="hostile-server", daemon=True)

    @property
    def url(self) -> str:
        """``https://127.0.0.1:PORT/`` (``http://`` without TLS)."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}/"

    def __enter__(self) -> HostileServer:
        """Start accepting."""
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop accepting and cut every client."""
        self._stopping.set()
        self._thread.join(timeout=2)
        self.listener.close()
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            with contextlib.suppress(OSError):
                client.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        with self._lock:
            self._clients.append(client)
        try:
            client.settimeout(30)
            if self.tls is not None:
                client = self.tls.wrap_socket(client, server_side=True)
                with self._lock:
                    self._clients.append(client)
            head = _read_head(client) if self.http else b""
            behaviour = self.routes.get(_path(head), self.default) if head else self.default
            behaviour(client, head)
        except (OSError, ssl.SSLError):
            pass  # the client hung up: the usual end of a hostile exchange
        finally:
            with contextlib.suppress(OSError):
                client.close()

    def stopping(self) -> bool:
        """True once the server is being closed (long behaviours stop then)."""
        return self._stopping.is_set()


def _read_head(client: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < _HEAD_LIMIT:
        chunk = client.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _path(head: bytes) -> str:
    parts = head.split(b"\r\n", 1)[0].split(b" ")
    return parts[1].decode("latin-1") if len(parts) > 1 else ""


def _head(status: str, headers: Mapping[str, str] | list[tuple[str, str]]) -> bytes:
    items = headers.items() if isinstance(headers, Mapping) else headers
    lines = [f"HTTP/1.1 {status}"] + [f"{name}: {value}" for name, value in items]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# --- behaviours -------------------------------------------------------------------------


def slow_drip(interval: float = 5.0, body: bytes = b"<html><body>lent</body></html>") -> Behaviour:
    """Send a whole response one byte every ``interval`` seconds (never idle past it)."""

    def play(client: socket.socket, head: bytes) -> None:
        answer = _head("200 OK", {"Content-Type": "text/html", "Content-Length": str(len(body))})
        for byte in answer + body:
            client.sendall(bytes([byte]))
            time.sleep(interval)

    return play


def tls_record_drip(interval: float = 1.0) -> Behaviour:
    """Answer a ClientHello with the header of a 16 KB TLS record, then one byte a second.

    Played without TLS on the server side (``HostileServer(..., http=False)``): the client's
    TLS library waits for the whole record, and each byte comes before any idle timeout.
    """

    def play(client: socket.socket, head: bytes) -> None:
        client.settimeout(5)
        client.recv(4096)  # the ClientHello
        client.sendall(b"\x16\x03\x03\x40\x00")
        while True:
            client.sendall(b"\x00")
            time.sleep(interval)

    return play


def endless_body(content_type: str = "text/html") -> Behaviour:
    """A 200 answer without length whose body never ends (sent as fast as it is read)."""

    def play(client: socket.socket, head: bytes) -> None:
        client.sendall(_head("200 OK", {"Content-Type": content_type, "Connection": "close"}))
        chunk = b"<p>" + b"sans fin " * 7000 + b"</p>\n"
        while True:
            client.sendall(chunk)

    return play


@cache
def bomb_body(encoding: str, expanded: int = BOMB_EXPANDED_BYTES) -> bytes:
    """``expanded`` bytes of zeros compressed with ``encoding`` (``gzip``, ``deflate``, ``br``)."""
    block = b"\0" * (1024 * 1024)
    if encoding == "br":
        import brotli  # type: ignore[import-untyped]

        compressor = brotli.Compressor(quality=5)
        parts: list[bytes] = [compressor.process(block) for _ in range(expanded // len(block))]
        tail: bytes = compressor.finish()
        return b"".join(parts) + tail
    if encoding == "gzip":
        zipper = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        zipper = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS)
    else:
        raise ValueError(f"unknown encoding {encoding}")
    parts = [zipper.compress(block) for _ in range(expanded // len(block))]
    return b"".join(parts) + zipper.flush()


def compressed_bomb(encoding: str, expanded: int = BOMB_EXPANDED_BYTES) -> Behaviour:
    """A 200 answer with ``Content-Encoding: encoding`` expanding to ``expanded`` bytes.

    The body is compressed here, before the server answers (once per process), so that the
    time the client waits is the transfer's, not the compression's.
    """
    body = bomb_body(encoding, expanded)

    def play(client: socket.socket, head: bytes) -> None:
        client.sendall(
            _head(
                "200 OK",
                {
                    "Content-Type": "text/html",
                    "Content-Encoding": encoding,
                    "Content-Length": str(len(body)),
                },
            )
        )
        client.sendall(body)

    return play


def giant_header(name: str, size: int = GIANT_TOKEN_BYTES, status: str = "302 Found") -> Behaviour:
    """An answer whose ``name`` header is one unbroken token of ``size`` bytes.

    ``Location`` points to a giant path on the same server; ``Set-Cookie`` names a cookie
    with a giant name; any other header carries the token as its value.
    """

    def play(client: socket.socket, head: bytes) -> None:
        token = "A" * size
        if name.lower() == "location":
            value = "/" + token
        elif name.lower() == "set-cookie":
            value = f"{token}=1; Secure; HttpOnly"
        else:
            value = token
        headers = [(name, value), ("Content-Length", "0"), ("Connection", "close")]
        client.sendall(_head(status, headers))

    return play


def redirect(location: str, status: str = "302 Found") -> Behaviour:
    """A redirect to ``location`` as it is (an invalid address, a loop...)."""

    def play(client: socket.socket, head: bytes) -> None:
        fields = {"Location": location, "Content-Length": "0", "Connection": "close"}
        client.sendall(_head(status, fields))

    return play


def many_headers(count: int = 1000) -> Behaviour:
    """A 200 answer with ``count`` small header fields (``http.client`` stops at 100)."""

    def play(client: socket.socket, head: bytes) -> None:
        fields = [(f"X-Champ-{n}", "x") for n in range(count)] + [("Content-Length", "0")]
        client.sendall(_head("200 OK", fields))

    return play


def page(body: bytes, content_type: str = "text/html; charset=utf-8", **headers: str) -> Behaviour:
    """A 200 answer with ``body`` as it is (a bomb, junk, a document with a DOCTYPE...)."""

    def play(client: socket.socket, head: bytes) -> None:
        fields = {"Content-Type": content_type, "Content-Length": str(len(body))}
        fields.update({key.replace("_", "-"): value for key, value in headers.items()})
        fields["Connection"] = "close"
        client.sendall(_head("200 OK", fields) + body)

    return play


def random_bytes(size: int = 64 * 1024, seed: int = 10) -> Behaviour:
    """Read whatever comes, answer ``size`` random bytes (fixed seed), then hang up."""
    junk = random.Random(seed).randbytes(size)

    def play(client: socket.socket, head: bytes) -> None:
        client.settimeout(1)
        with contextlib.suppress(TimeoutError):
            client.recv(4096)
        client.sendall(junk)

    return play


def http_on_any_port() -> Behaviour:
    """Answer whatever comes as a web server does: ``400 Bad Request`` with an HTML page."""

    def play(client: socket.socket, head: bytes) -> None:
        client.settimeout(1)
        with contextlib.suppress(TimeoutError):
            client.recv(4096)
        body = b"<html><body><h1>400 Bad Request</h1></body></html>"
        client.sendall(
            _head(
                "400 Bad Request",
                {"Content-Type": "text/html", "Content-Length": str(len(body))},
            )
            + body
        )

    return play


def silent() -> Behaviour:
    """Accept, read, never answer (until the client or the server gives up)."""

    def play(client: socket.socket, head: bytes) -> None:
        client.settimeout(60)
        with contextlib.suppress(TimeoutError):
            while client.recv(4096):
                pass

    return play


def ok_page(body: str = "<html><body><p>Bonjour</p></body></html>", **headers: str) -> Behaviour:
    """A plain 200 HTML answer (the harmless part of a hostile portal)."""
    return page(body.encode("utf-8"), **headers)


# --- documents --------------------------------------------------------------------------

LATE_DOCTYPE = (
    b'<?xml version="1.0"?>\n<!--' + b" remplissage" * 450 + b" -->\n"
    b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]>\n<r>&x;</r>\n'
)
"""A DOCTYPE after a 5 KB comment, naming a local file."""

UTF16_DOCTYPE = (
    '<?xml version="1.0" encoding="UTF-16"?>\n'
    '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]>\n<r>&x;</r>\n'
).encode("utf-16")
"""A UTF-16 document (with BOM) whose DOCTYPE names a local file."""

XML_BOMB = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode()
        for i in range(1, 10)
    )
    + b"]>\n<lolz>&lol9;</lolz>\n"
)
"""The billion laughs: nine levels of ten entities each."""


def junk(size: int = 1400 * 1024, seed: int = 10) -> bytes:
    """``size`` bytes of noise (fixed seed)."""
    return random.Random(seed).randbytes(size)


# --- measuring --------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """What a code run in a fresh interpreter printed, its wall time and peak memory."""

    result: Any
    """The JSON value the code printed last (see :func:`measured`)."""
    wall_s: float
    peak_mb: float


def measured(code: str, timeout: float = 180) -> Measure:
    """Run ``code`` in a fresh interpreter from the repository, time it, read its peak RSS.

    The code prints one JSON value on its last line. The peak resident size is the child's
    own ``peak_kb`` when it reports one (``VmHWM``: Linux keeps the parent's size at spawn
    in ``ru_maxrss``), else ``resource.getrusage(RUSAGE_CHILDREN)`` after the child ended.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONDONTWRITEBYTECODE="1")
    completed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env=env,
        check=False,
    )
    wall = time.monotonic() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if completed.returncode != 0:
        raise AssertionError(f"the measured code failed:\n{completed.stderr[-3000:]}")
    lines = completed.stdout.strip().splitlines()
    # RUSAGE_CHILDREN keeps the largest child so far: a smaller child cannot be told apart.
    result = json.loads(lines[-1])
    own = result.get("peak_kb") if isinstance(result, dict) else None
    peak = own if isinstance(own, int) else max(peak_kb, before)
    return Measure(result=result, wall_s=wall, peak_mb=peak / 1024)


PEAK_KB = """
import resource


def peak_kb():
    # VmHWM is this program's own peak; ru_maxrss also counts the parent's size at spawn.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""
"""Source of ``peak_kb()``, the measured program's own peak memory in KB (for :func:`measured`)."""

PROBE_RUNNER = (
    PEAK_KB
    + """
import json, sys, time
from pathlib import Path
from sdet_check.probe import NotTestable, ProbeContext, ProbeError
from sdet_check.registry import ProbeRegistry
from sdet_check.target import load_target
registry = ProbeRegistry.from_entry_points()
probe = registry.get({kind!r})
target = load_target(Path({target!r}), {environ!r})
deadline = time.monotonic() + {probe_s}
context = ProbeContext(target=target, network_timeout={network}, deadline=deadline)
started = time.monotonic()
try:
    outcome = probe().check({params!r}, context)
    status, reason, message = outcome.status.value, None, outcome.message
except NotTestable as exc:
    status, reason, message = "not_tested", None, str(exc)
except ProbeError as exc:
    status, reason, message = "error", exc.reason.value, str(exc)
except Exception as exc:
    status, reason, message = "error", "probe_bug", type(exc).__name__ + ": " + str(exc)
print(json.dumps({{
    "status": status, "reason": reason, "message": message[:400],
    "probe_s": round(time.monotonic() - started, 2),
    "peak_kb": peak_kb(),
}}))
"""
)
"""Program run by :func:`measured_probe`: one probe, its status, reason, time and peak."""


def measured_probe(
    kind: str,
    target: Path,
    params: Mapping[str, Any] | None = None,
    *,
    network: float = 2.0,
    probe_s: float = 20.0,
    environ: Mapping[str, str] | None = None,
) -> Measure:
    """Run one probe against ``target`` in a fresh interpreter; status, reason, time, memory."""
    code = PROBE_RUNNER.format(
        kind=kind,
        target=str(target),
        params=dict(params or {}),
        network=network,
        probe_s=probe_s,
        environ=dict(environ or {}),
    )
    return measured(code)


@contextlib.contextmanager
def serving(*servers: HostileServer) -> Iterator[tuple[HostileServer, ...]]:
    """Enter several servers at once."""
    with contextlib.ExitStack() as stack:
        yield tuple(stack.enter_context(server) for server in servers)


# --- targets ----------------------------------------------------------------------------

LDAP_PASSWORD_ENV = "SDET_HOSTILE_LDAP_PASSWORD"


def portal_target(folder: Path, url: str, ca_file: Path, **portal: Any) -> Path:
    """Write a target whose portal is ``url`` (trusting ``ca_file``); extra portal keys."""
    data = {
        "format": 1,
        "name": "cible hostile",
        "portal": {"url": url, **portal},
        "tls": {"ca_file": str(ca_file)},
    }
    return _write(folder / "target.yaml", data)


def ldap_target(folder: Path, url: str, ca_file: Path | None = None, **ldap: Any) -> Path:
    """Write a target whose annuaire is ``url`` (service account password in the environment).

    ``ldap://`` addresses use StartTLS unless ``starttls=False`` is given.
    """
    section: dict[str, Any] = {
        "url": url,
        "base_dn": "dc=ent,dc=test",
        "bind_dn": "cn=audit,dc=ent,dc=test",
        "password_env": LDAP_PASSWORD_ENV,
        **ldap,
    }
    data: dict[str, Any] = {"format": 1, "name": "annuaire hostile", "ldap": section}
    if ca_file is not None:
        data["tls"] = {"ca_file": str(ca_file)}
    return _write(folder / "target.yaml", data)


def _write(path: Path, data: Mapping[str, Any]) -> Path:
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(dict(data), allow_unicode=True), encoding="utf-8")
    return path


# --- the hostile classes, as cases a test or a person can run ---------------------------


@dataclass(frozen=True)
class HostileCase:
    """One hostile class played against one probe, with the outcome it must get."""

    name: str
    kind: str
    behaviour: Callable[[], Behaviour]
    where: str
    """``home`` (the portal's page), ``http`` (the plain-HTTP address), ``page`` (a legal
    page given by the target), ``ldap`` (an ``ldap://`` annuaire with StartTLS), ``ldaps``
    (an ``ldaps://`` annuaire), ``tls`` (the portal's port, spoken to below TLS)."""
    status: str
    reason: str | None
    within_s: float
    """Wall-time bound of the probe alone (network bound 2 s, probe bound 20 s)."""
    params: Mapping[str, Any] | None = None


HSTS_HUGE = "max-age=" + "9" * 4301
"""An HSTS value past Python's 4,300-digit limit for ``int()`` on a string."""


HOSTILE_CASES: tuple[HostileCase, ...] = (
    HostileCase(
        "goutte à goutte (1 octet/s)",
        "http.hsts",
        lambda: slow_drip(1.0),
        "home",
        "error",
        "timeout",
        4.5,
    ),
    HostileCase(
        "négociation TLS au goutte à goutte",
        "http.tls_floor",
        lambda: tls_record_drip(1.0),
        "tls",
        "error",
        "timeout",
        4.5,
    ),
    HostileCase(
        "corps sans fin", "http.hsts", endless_body, "home", "error", "hostile_response", 4.5
    ),
    HostileCase(
        "bombe gzip",
        "http.hsts",
        lambda: compressed_bomb("gzip"),
        "home",
        "error",
        "hostile_response",
        4.5,
    ),
    HostileCase(
        "bombe deflate",
        "http.hsts",
        lambda: compressed_bomb("deflate"),
        "home",
        "error",
        "hostile_response",
        4.5,
    ),
    HostileCase(
        "bombe brotli",
        "http.hsts",
        lambda: compressed_bomb("br"),
        "home",
        "error",
        "hostile_response",
        4.5,
    ),
    HostileCase(
        "Location de 60 Ko",
        "http.https_redirect",
        lambda: giant_header("Location"),
        "http",
        "error",
        "hostile_response",
        4.5,
    ),
    HostileCase(
        "Location invalide",
        "http.https_redirect",
        lambda: redirect("https://[::1/x"),
        "http",
        "error",
        "hostile_response",
        4.5,
    ),
    HostileCase(
        "Set-Cookie de 60 Ko",
        "http.cookie_flags",
        lambda: giant_header("Set-Cookie", status="200 OK"),
        "home",
        "error",
        "hostile_response",
        4.5,
    ),
    HostileCase(
        "ligne d'en-tête de 50 Mo",
        "http.hsts",
        lambda: giant_header("X-Bourrage", size=50 * 1024 * 1024, status="200 OK"),
        "home",
        "error",
        "hostile_response",
        4.5,
    ),
    HostileCase(
        "1 000 champs d'en-tête",
        "http.hsts",
        many_headers,
        "home",
        "error",
        "hostile_response",
        4.5,
    ),
    HostileCase(
        "lien légal de 60 Ko sur l'accueil",
        "http.legal_page",
        lambda: ok_page(
            f'<html><body><a href="/{"A" * GIANT_TOKEN_BYTES}">Mentions légales</a></body></html>'
        ),
        "home",
        "error",
        "hostile_response",
        4.5,
        {"page": "mentions_legales"},
    ),
    HostileCase(
        "lien légal à l'adresse invalide",
        "http.legal_page",
        lambda: ok_page('<html><body><a href="http://[::1/x">Mentions légales</a></body></html>'),
        "home",
        "error",
        "hostile_response",
        4.5,
        {"page": "mentions_legales"},
    ),
    HostileCase(
        "HSTS max-age de 4 301 chiffres",
        "http.hsts",
        lambda: ok_page(Strict_Transport_Security=HSTS_HUGE),
        "home",
        "fail",
        None,
        4.5,
    ),
    HostileCase(
        "bombe XML en page légale",
        "http.legal_page",
        lambda: page(XML_BOMB),
        "page",
        "fail",
        None,
        4.5,
        {"page": "arrete_2006"},
    ),
    HostileCase(
        "1,4 Mo de bruit en page légale",
        "http.legal_page",
        lambda: page(junk()),
        "page",
        "fail",
        None,
        4.5,
        {"page": "arrete_2006"},
    ),
    HostileCase(
        "DOCTYPE tardif en page légale",
        "http.legal_page",
        lambda: page(LATE_DOCTYPE, "application/xml"),
        "page",
        "fail",
        None,
        4.5,
        {"page": "arrete_2006"},
    ),
    HostileCase(
        "DOCTYPE UTF-16 en page légale",
        "http.legal_page",
        lambda: page(UTF16_DOCTYPE, "application/xml"),
        "page",
        "fail",
        None,
        4.5,
        {"page": "arrete_2006"},
    ),
    HostileCase(
        "octets aléatoires sur le port LDAP",
        "ldap.tls",
        random_bytes,
        "ldap",
        "error",
        "hostile_response",
        4.5,
    ),
    HostileCase(
        "serveur HTTP sur le port LDAP",
        "ldap.tls",
        http_on_any_port,
        "ldap",
        "error",
        "hostile_response",
        4.5,
    ),
    HostileCase(
        "serveur HTTPS sur le port LDAPS",
        "ldap.tls",
        http_on_any_port,
        "ldaps",
        "error",
        "hostile_response",
        4.5,
    ),
    HostileCase(
        "octets aléatoires sur le port LDAP",
        "ldap.root_dse",
        random_bytes,
        "ldap",
        "error",
        "hostile_response",
        4.5,
    ),
    HostileCase(
        "goutte à goutte sur le port LDAP",
        "ldap.root_dse",
        lambda: random_drip(1.0),
        "ldap",
        "error",
        "timeout",
        4.5,
    ),
)
"""Every hostile class with the status (and error reason) it must get, and its time bound."""


def random_drip(interval: float = 1.0, seed: int = 10) -> Behaviour:
    """Noise, one byte every ``interval`` seconds, for ever (never idle past it)."""
    noise = random.Random(seed)

    def play(client: socket.socket, head: bytes) -> None:
        while True:
            client.sendall(bytes([noise.randrange(256)]))
            time.sleep(interval)

    return play


@contextlib.contextmanager
def staged(case: HostileCase, folder: Path, pki: PkiFiles) -> Iterator[Path]:
    """Start the servers of ``case`` and write the target file aimed at them."""
    tls = server_tls(pki)
    if case.where == "ldap":
        with HostileServer(case.behaviour(), http=False) as server:
            yield ldap_target(folder, f"ldap://127.0.0.1:{server.port}", pki.ca_file)
        return
    if case.where == "ldaps":
        with HostileServer(case.behaviour(), tls=tls, http=False) as server:
            yield ldap_target(folder, f"ldaps://127.0.0.1:{server.port}", pki.ca_file)
        return
    if case.where == "tls":
        with HostileServer(case.behaviour(), http=False) as server:
            yield portal_target(folder, f"https://127.0.0.1:{server.port}/", pki.ca_file)
        return
    if case.where == "home":
        with HostileServer(case.behaviour(), tls=tls) as server:
            yield portal_target(folder, server.url, pki.ca_file)
        return
    if case.where == "http":
        with serving(HostileServer(ok_page(), tls=tls), HostileServer(case.behaviour())) as (
            portal,
            plain,
        ):
            yield portal_target(folder, portal.url, pki.ca_file, http_url=plain.url)
        return
    if case.where == "page":
        with HostileServer(ok_page(), {"/page": case.behaviour()}, tls=tls) as server:
            params = case.params or {}
            pages = {str(params.get("page", "mentions_legales")): "/page"}
            yield portal_target(folder, server.url, pki.ca_file, pages=pages)
        return
    raise ValueError(f"unknown place {case.where}")


def play(case: HostileCase, folder: Path, pki: PkiFiles) -> Measure:
    """Play ``case`` with the probe in a fresh interpreter; its outcome, time and memory."""
    with staged(case, folder, pki) as target:
        return measured_probe(
            case.kind, target, case.params, environ={LDAP_PASSWORD_ENV: "motdepasse"}
        )


def slow_ent_run(interval: float = 5.0, run_timeout: float = 120) -> None:
    """Evaluate a whole ENT dripping one byte every ``interval`` s with the CLI and sdet/6.4.

    Prints the wall time, the peak memory and the statuses of the probe requirements, and
    how many never started (the run bound reached before their probe was launched).
    """
    import collections
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        pki = ensure_pki(folder / "pki")
        with serving(
            HostileServer(slow_drip(interval), tls=server_tls(pki)),
            HostileServer(slow_drip(interval)),
            HostileServer(random_drip(interval), http=False),
        ) as (https, http, ldap):
            target = slow_ent_target(folder, pki, https.url, http.url, ldap.port)
            argv = ["run", "--target", str(target), "--grid", "sdet/6.4"]
            argv += ["--run-timeout", f"{run_timeout:g}", "--out", str(folder / "out")]
            argv += ["--format", "json"]
            command = (
                "import json\nfrom sdet_check.cli import main\n"
                f"code = main({argv!r})\n"
                "print(json.dumps({'exit': code, 'peak_kb': peak_kb()}))\n"
            )
            os.environ.update(SECRETS)
            measure = measured(PEAK_KB + command, timeout=run_timeout * 3)
        record = json.loads((folder / "out" / "run.json").read_text(encoding="utf-8"))
    probed = [entry for entry in record["results"] if entry.get("probe")]
    counts = collections.Counter((e["status"], e.get("error_reason")) for e in probed)
    never = [e for e in probed if "avant le lancement" in (e.get("message") or "")]
    decided = sorted({e["probe"] for e in probed if e["status"] in ("pass", "fail")})
    print(
        f"ENT lent ({interval:g} s par octet), --run-timeout {run_timeout:g} : "
        f"{measure.wall_s:.1f} s, {measure.peak_mb:.0f} Mo, code de sortie "
        f"{measure.result['exit']}, {len(probed)} exigences sondées"
    )
    for (status, reason), count in counts.most_common():
        print(f"  {status}/{reason or '-'} : {count}")
    print(f"  jamais lancées : {len(never)} ; décidées : {', '.join(decided) or 'aucune'}")


def main() -> None:
    """Print, for every hostile class, the outcome, wall time and peak memory.

    ``SDET_HOSTILE_REPO=/path/to/checkout python -m tests.hostile`` measures another
    checkout's probes against the same hostile peers (before/after comparisons);
    ``python -m tests.hostile --slow-ent`` runs the whole grid against a dripping ENT.
    """
    import tempfile

    if "--slow-ent" in sys.argv:
        slow_ent_run()
        return
    with tempfile.TemporaryDirectory() as scratch:
        pki = ensure_pki(Path(scratch) / "pki")
        for number, case in enumerate(HOSTILE_CASES):
            folder = Path(scratch) / f"case{number}"
            try:
                measure = play(case, folder, pki)
            except subprocess.TimeoutExpired:
                print(f"{case.name:38} {case.kind:20} interrompu après 180 s")
                continue
            result = measure.result
            outcome = f"{result['status']}/{result['reason'] or '-'}"
            print(
                f"{case.name:38} {case.kind:20} {outcome:24} {measure.wall_s:6.1f} s "
                f"(sonde {result['probe_s']:.1f} s) {measure.peak_mb:7.1f} Mo  "
                f"{result['message'][:90]!r}",
                flush=True,
            )


def slow_ent_target(
    folder: Path, pki: PkiFiles, portal_url: str, http_url: str, ldap_port: int
) -> Path:
    """A whole ENT target (portal, CAS, SAML, annuaire, one account) on hostile servers.

    Secrets come from :data:`LDAP_PASSWORD_ENV` and :data:`ACCOUNT_PASSWORD_ENV`.
    """
    base = portal_url.rstrip("/")
    data = {
        "format": 1,
        "name": "ENT hostile",
        "degrees": ["2d"],
        "scopes": ["solution", "exploitation"],
        "tls": {"ca_file": str(pki.ca_file)},
        "portal": {"url": base + "/", "http_url": http_url, "session_url": base + "/login"},
        "cas": {
            "url": base + "/cas",
            "service": "https://service.test/",
            "other_service": "https://service2.test/",
        },
        "saml": {
            "metadata_url": base + "/saml/metadata",
            "sp_entity_id": "https://sp.test/sp",
            "sp_acs_url": "https://sp.test/acs",
            "accounts": ["eleve.test1"],
        },
        "ldap": {
            "url": f"ldap://127.0.0.1:{ldap_port}",
            "base_dn": "dc=ent,dc=test",
            "bind_dn": "cn=audit,dc=ent,dc=test",
            "password_env": LDAP_PASSWORD_ENV,
        },
        "accounts": [
            {"profile": "eleve", "login": "eleve.test1", "password_env": ACCOUNT_PASSWORD_ENV}
        ],
    }
    return _write(folder / "target.yaml", data)


ACCOUNT_PASSWORD_ENV = "SDET_HOSTILE_ACCOUNT_PASSWORD"

SECRETS = {LDAP_PASSWORD_ENV: "motdepasse-annuaire-7", ACCOUNT_PASSWORD_ENV: "motdepasse-eleve-7"}
"""Values for the secrets the hostile targets name."""


if __name__ == "__main__":
    main()
