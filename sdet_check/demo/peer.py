"""What every local reference server of the demo and the tests shares.

A start/stop life cycle (:class:`Peer`), the child process of the Python servers
(:class:`ChildServer`), the TLS front of the servers that speak plain HTTP (:class:`TlsFront`)
and the small file, port and certificate helpers they all need.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

import sdet_check
from sdet_check.demo.pki import PkiFiles

STOP_TIMEOUT_S = 5.0
"""How long a server is given to stop at each step (stdin closed, SIGTERM, SIGKILL)."""

_FRONT_SOCKET_TIMEOUT_S = 30.0


class Peer(ABC):
    """A server on 127.0.0.1 that ``start`` brings up and ``stop`` takes down and cleans up.

    Used as a context manager: ``with SlapdServer(...) as directory: ...`` starts it and
    stops it whatever happens inside.
    """

    @abstractmethod
    def start(self) -> None:
        """Bring the server up; return once it answers."""

    @abstractmethod
    def stop(self) -> None:
        """Take the server down and remove what it wrote; safe to call twice."""

    def __enter__(self) -> Self:
        """Start the server."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()


class ChildServer:
    """A Python server in a subprocess that prints ``READY <port>`` once it serves.

    The child (see :mod:`sdet_check.demo.wsgi_serve`) exits when its standard input closes,
    so :meth:`stop` closes it first and signals only if the child does not go; the OS closes
    it too if this process dies, and no server outlives its owner.
    """

    def __init__(
        self,
        description: str,
        unavailable: Callable[[str], Exception] = RuntimeError,
        ready_timeout_s: float = 60.0,
    ) -> None:
        """``description`` names the server in messages (French, e.g. « le serveur CAS »)."""
        self.description = description
        self.unavailable = unavailable
        self.ready_timeout_s = ready_timeout_s
        self.output: list[str] = []
        """What the child printed (its last lines explain a failed start)."""
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether a child was started and not stopped."""
        return self._process is not None

    def start(self, module: str, spec: Path, *, cwd: Path, env: Mapping[str, str]) -> int:
        """Run ``python -m module spec`` and return the port it serves on.

        A child that exits or stays silent past the timeout is stopped and reported with
        ``unavailable`` and its last lines of output.
        """
        if self._process is not None:
            raise RuntimeError(f"{self.description} already started")
        self.output.clear()
        process = subprocess.Popen(
            [sys.executable, "-m", module, str(spec)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.PIPE,  # closed by stop(), or by the OS if this process dies
            text=True,
            cwd=cwd,
            env=dict(env),
        )
        self._process = process
        try:
            return self._wait_ready(process)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Close the child's standard input, then terminate or kill it; safe to call twice."""
        process, self._process = self._process, None
        if process is not None:
            end_process(process)
        if self._reader is not None:
            self._reader.join(STOP_TIMEOUT_S)  # it ends at the end of the output
            self._reader = None
        if process is not None and process.stdout is not None:
            process.stdout.close()

    def _wait_ready(self, process: subprocess.Popen[str]) -> int:
        assert process.stdout is not None
        stream = process.stdout
        lines = self.output
        ready: list[int] = []

        def reader() -> None:
            for line in stream:
                lines.append(line.rstrip("\n"))
                del lines[:-500]
                if line.startswith("READY ") and not ready:
                    ready.append(int(line.split()[1]))

        thread = threading.Thread(target=reader, name=f"{process.pid}-output", daemon=True)
        thread.start()
        self._reader = thread
        deadline = time.monotonic() + self.ready_timeout_s
        while not ready:
            if process.poll() is not None:
                thread.join(1.0)
                last = "\n".join(lines[-30:])
                raise self.unavailable(f"{self.description} s'est arrêté :\n{last}")
            if time.monotonic() > deadline:
                raise self.unavailable(
                    f"{self.description} n'a pas démarré en {self.ready_timeout_s:g} s"
                )
            time.sleep(0.02)
        return ready[0]


def end_process(process: subprocess.Popen[Any], *, group: bool = False) -> None:
    """Stop a server process: close its standard input, then SIGTERM, then SIGKILL.

    The servers here exit when their standard input closes (when it is a pipe); each step
    waits :data:`STOP_TIMEOUT_S`. With ``group`` the signals go to the process group the
    server leads (``start_new_session=True``), and what is left of it is killed at the end:
    php -S and Starman fork workers that would otherwise notice their parent's end late.
    """

    def send(signum: int) -> None:
        if group:
            signal_group(process, signum)
        else:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signum)

    if process.stdin is not None:
        process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_TIMEOUT_S)
    for signum in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            break
        send(signum)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_TIMEOUT_S)
    if group:
        signal_group(process, signal.SIGKILL)


def child_environment(*, drop_prefix: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a Python child that imports this very ``sdet_check``.

    The child runs the same sources as the parent (a worktree, not an editable install
    elsewhere); ``drop_prefix`` removes inherited variables (e.g. ``DJANGO_``) that would
    steer the child's framework.
    """
    environment = {
        key: value
        for key, value in os.environ.items()
        if drop_prefix is None or not key.startswith(drop_prefix)
    }
    source_root = str(Path(sdet_check.__file__).resolve().parents[1])
    environment["PYTHONPATH"] = os.pathsep.join(
        [source_root, *filter(None, [environment.get("PYTHONPATH")])]
    )
    environment.update(extra)
    return environment


def write_private(path: Path, content: str | bytes) -> None:
    """Write a file only its owner can read (passwords, secret keys, private keys)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)


def free_port() -> int:
    """A loopback port free now (for servers that cannot be given port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def signal_group(process: subprocess.Popen[Any], signum: int) -> None:
    """Signal the process group a server leads (``start_new_session=True``), if still there."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def write_self_signed(
    key_file: Path,
    cert_file: Path,
    common_name: str,
    bits: int = 2048,
    sha1: bool = False,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> None:
    """Write an RSA key (owner-only) and a self-signed certificate (SAML signing keys).

    Valid from five minutes ago for a year unless told; ``sha1`` signs the certificate with
    SHA-1 through the ``openssl`` command (the weak test variants need one, and
    ``cryptography`` refuses to make it).
    """
    now = dt.datetime.now(dt.UTC)
    not_before = not_before or now - dt.timedelta(minutes=5)
    not_after = not_after or now + dt.timedelta(days=365)
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    write_private(
        key_file,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ),
    )
    if sha1:
        _openssl_sha1_certificate(key_file, cert_file, common_name, not_after - not_before)
        return
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sdet-check (démonstration)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def _openssl_sha1_certificate(
    key_file: Path, cert_file: Path, common_name: str, lifetime: dt.timedelta
) -> None:
    if shutil.which("openssl") is None:
        raise RuntimeError("la variante SHA-1 a besoin de la commande openssl (paquet openssl)")
    subprocess.run(
        [
            "openssl", "req", "-x509", "-new", "-sha1", "-key", str(key_file),
            "-out", str(cert_file), "-days", str(max(1, lifetime.days)),
            "-subj", f"/O=sdet-check (demonstration)/CN={common_name}",
        ],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip


def wait_for_metadata(
    url: str,
    verify: bool | str,
    timeout_s: float,
    stopped: Callable[[], str | None],
    unavailable: Callable[[str], Exception],
    description: str,
) -> None:
    """Poll ``url`` until it serves SAML metadata (an ``EntityDescriptor``).

    ``stopped`` says why the server is gone (``None`` while it runs); the error raised names
    the server, the address and the last answer.
    """
    deadline = time.monotonic() + timeout_s
    last = "aucune réponse"
    while time.monotonic() < deadline:
        gone = stopped()
        if gone is not None:
            raise unavailable(gone)
        try:
            answer = requests.get(url, timeout=5, verify=verify)
            if answer.status_code == 200 and b"EntityDescriptor" in answer.content:
                return
            last = f"statut {answer.status_code}"
        except requests.RequestException as exc:
            last = str(exc)
        time.sleep(0.1)
    raise unavailable(f"{description} ne répond pas sur {url} après {timeout_s:.0f} s ({last})")


class TlsFront:
    """Terminates TLS on an ephemeral loopback port and relays bytes to a plain backend.

    Stands where nginx or Apache stands before a real portal (php -S and Starman serve plain
    HTTP; Starman's own TLS mangles LemonLDAP::NG's character strings).
    """

    def __init__(self, pki: PkiFiles, backend_port: int) -> None:
        """Listen now (so :attr:`port` is known); relay once :meth:`start` is called."""
        self.backend_port = backend_port
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(pki.cert_file, pki.key_file)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(32)
        self.port: int = self.listener.getsockname()[1]
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="tls-front", daemon=True)

    def start(self) -> None:
        """Accept and relay connections in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, close the listener and wait for the accept loop."""
        self._stopping.set()
        # close() alone does not wake a thread blocked in accept(); shutdown() does.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self._thread.join(STOP_TIMEOUT_S)

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        client.settimeout(_FRONT_SOCKET_TIMEOUT_S)
        try:
            secure = self.context.wrap_socket(client, server_side=True)
        except (ssl.SSLError, OSError):
            client.close()
            return
        try:
            backend = socket.create_connection(("127.0.0.1", self.backend_port), timeout=5)
        except OSError:
            secure.close()
            return
        with secure, backend:
            _pump(secure, backend, self._stopping)


def _pump(secure: ssl.SSLSocket, backend: socket.socket, stopping: threading.Event) -> None:
    """Copy bytes both ways until one side closes."""
    secure.setblocking(False)
    backend.setblocking(False)
    sockets: list[socket.socket] = [secure, backend]
    while not stopping.is_set():
        # Bytes already decrypted inside the SSL object are invisible to select().
        ready = [secure] if secure.pending() else select.select(sockets, [], [], 1.0)[0]
        for source in ready:
            sink = backend if source is secure else secure
            try:
                data = source.recv(65536)
            except (ssl.SSLWantReadError, BlockingIOError):
                continue
            except OSError:
                return
            if not data:
                return
            try:
                sink.setblocking(True)
                sink.sendall(data)
                sink.setblocking(False)
            except OSError:
                return
