"""Serve the demo Django project of :mod:`sdet_check.demo.cas` over HTTPS (run in a subprocess).

``python -m sdet_check.demo.cas_wsgi SPEC.json`` sets Django up from the project folder the
spec names, applies the migrations, registers the service patterns, then serves the WSGI
application on ``127.0.0.1`` with an ephemeral port and prints ``READY <port>``. It stops
when its standard input closes (the parent stopped it, or died) and on SIGTERM.
Django's ``runserver`` speaks plain HTTP only, hence this small threaded server:
TLS handshakes run in the request threads, never in the accept loop, and every socket has a
timeout, so a client that stalls cannot block the others.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import ssl
import sys
import threading
from pathlib import Path
from socketserver import ThreadingMixIn
from types import FrameType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

_SOCKET_TIMEOUT_S = 15.0


def main(argv: list[str]) -> int:
    """Set up and serve the project described by ``argv[1]``; return the exit status."""
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    project = spec["project"]
    sys.path.insert(0, project)
    os.environ["DJANGO_SETTINGS_MODULE"] = "sdet_demo_settings"

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    _register_services(spec["patterns"])

    from django.core.wsgi import get_wsgi_application

    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.minimum_version = ssl.TLSVersion.TLSv1_2
    tls.load_cert_chain(spec["cert_file"], spec["key_file"])
    server = _TlsWsgiServer(("127.0.0.1", 0), _QuietHandler, tls)
    server.set_app(get_wsgi_application())

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    threading.Thread(target=_exit_when_orphaned, args=(server,), daemon=True).start()
    print(f"READY {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        # The folder holds the demo passwords: gone with the server, even when orphaned.
        shutil.rmtree(project, ignore_errors=True)
    return 0


def _exit_when_orphaned(server: WSGIServer) -> None:
    """Stop serving once standard input reaches its end: nobody owns this server any more."""
    sys.stdin.read()
    server.shutdown()


def _register_services(patterns: list[dict[str, Any]]) -> None:
    """Create one ``ServicePattern`` per entry, with the attributes it releases."""
    from cas_server.models import ReplaceAttributName, ServicePattern

    for position, entry in enumerate(patterns, start=1):
        pattern = ServicePattern.objects.create(
            pos=position,
            name=entry["name"],
            pattern=entry["pattern"],
            proxy=entry["proxy"],
            proxy_callback=entry["proxy_callback"],
            single_log_out=False,
        )
        ReplaceAttributName.objects.bulk_create(
            ReplaceAttributName(name=name, service_pattern=pattern) for name in entry["attributes"]
        )


class _TlsWsgiServer(ThreadingMixIn, WSGIServer):
    """A threaded WSGI server whose connections are TLS, handshaken in the request thread."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: Any, tls: ssl.SSLContext) -> None:
        self.tls = tls
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        wrapped = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return wrapped, address

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(_SOCKET_TIMEOUT_S)
        try:
            request.do_handshake()
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay silent: clients that hang up are part of the tests."""


class _QuietHandler(WSGIRequestHandler):
    """Marks requests as HTTPS for Django and keeps the output clean."""

    timeout = _SOCKET_TIMEOUT_S

    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        environ["HTTPS"] = "on"
        environ["wsgi.url_scheme"] = "https"
        return environ

    def log_message(self, format: str, *args: Any) -> None:
        """No access log."""


if __name__ == "__main__":
    sys.exit(main(sys.argv))
