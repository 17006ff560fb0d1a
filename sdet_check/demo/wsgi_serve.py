"""The serving side of the Python reference servers (django-cas-server, mama-cas, pysaml2).

Each runs in a subprocess (``python -m sdet_check.demo.<peer>_wsgi SPEC.json``) and serves a
WSGI application on ``127.0.0.1`` with an ephemeral port, prints ``READY <port>`` and stops
when its standard input closes (the parent stopped it, or died) or on SIGTERM. The parent
side is :class:`sdet_check.demo.peer.ChildServer`.

``wsgiref`` speaks plain HTTP only, hence :class:`TlsWsgiServer`: TLS handshakes run in the
request threads, never in the accept loop, and every socket has a timeout, so a client that
stalls cannot block the others.
"""

from __future__ import annotations

import signal
import socketserver
import ssl
import sys
import threading
from collections.abc import Callable
from socketserver import ThreadingMixIn
from types import FrameType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

SOCKET_TIMEOUT_S = 15.0
"""How long a connection may stay silent before the server drops it."""


def tls_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """A server context of TLS 1.2 or later with the given certificate and key."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    return context


def make_server(tls: ssl.SSLContext | None) -> WSGIServer:
    """A threaded WSGI server on an ephemeral loopback port, over TLS when ``tls`` is given."""
    if tls is None:
        return PlainWsgiServer(("127.0.0.1", 0), QuietHandler)
    return TlsWsgiServer(("127.0.0.1", 0), QuietHandler, tls)


def serve_until_orphaned(server: WSGIServer, cleanup: Callable[[], None] | None = None) -> int:
    """Print ``READY <port>`` and serve until stdin closes or SIGTERM; then run ``cleanup``."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    threading.Thread(target=_exit_when_orphaned, args=(server,), daemon=True).start()
    print(f"READY {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        if cleanup is not None:
            cleanup()
    return 0


def _exit_when_orphaned(server: WSGIServer) -> None:
    """Stop serving once standard input reaches its end: nobody owns this server any more."""
    sys.stdin.read()
    server.shutdown()


class TlsInRequestThread(socketserver.TCPServer):
    """A loopback server's connection handling: optional TLS, handshaken in the request thread.

    The accept loop never blocks on a handshake; every socket has a timeout (the class's
    ``socket_timeout_s``), so a client that stalls holds only its own thread; clients that
    hang up are part of the tests and are not logged. Mixed in before the server class.
    """

    tls: ssl.SSLContext | None = None
    socket_timeout_s: float = SOCKET_TIMEOUT_S

    def get_request(self) -> tuple[Any, Any]:
        """Accept a connection and wrap it when the server speaks TLS (no handshake yet)."""
        sock, address = super().get_request()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def finish_request(self, request: Any, client_address: Any) -> None:
        """Handshake (bounded by the socket timeout), then serve the request."""
        request.settimeout(self.socket_timeout_s)
        if isinstance(request, ssl.SSLSocket):
            try:
                request.do_handshake()
            except (ssl.SSLError, OSError):
                return  # a refused protocol version or a client that went away
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay silent: clients that hang up are part of the tests."""


class PlainWsgiServer(TlsInRequestThread, ThreadingMixIn, WSGIServer):
    """A threaded plain-HTTP WSGI server (the clear-text test platforms)."""

    daemon_threads = True


class TlsWsgiServer(TlsInRequestThread, ThreadingMixIn, WSGIServer):
    """A threaded WSGI server whose connections are TLS, handshaken in the request thread."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: Any, tls: ssl.SSLContext) -> None:
        """Listen on ``address``; ``tls`` wraps every accepted connection."""
        self.tls = tls
        super().__init__(address, handler)


class QuietHandler(WSGIRequestHandler):
    """No access log, a timeout on every socket; requests over TLS are marked HTTPS."""

    timeout = SOCKET_TIMEOUT_S

    def get_environ(self) -> dict[str, Any]:
        """The WSGI environment, with the scheme the connection really has."""
        environ = super().get_environ()
        if isinstance(self.server, TlsWsgiServer):
            environ["HTTPS"] = "on"
            environ["wsgi.url_scheme"] = "https"
        return environ

    def log_message(self, format: str, *args: Any) -> None:
        """No access log."""
