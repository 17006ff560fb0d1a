"""Serve the demo django-mama-cas project of :mod:`sdet_check.demo.mama_cas` (in a subprocess).

``python -m sdet_check.demo.mama_cas_wsgi SPEC.json`` sets Django up with
:mod:`sdet_check.demo.mama_cas_site.settings` (which reads the same spec), creates the
database (a copy of a migrated template when the spec names one that exists, else by
running the migrations, then saving the result as that template), and serves the WSGI application on
``127.0.0.1`` with an ephemeral port, over TLS or in plain HTTP as the spec says, then prints
``READY <port>``. Like :mod:`sdet_check.demo.cas_wsgi` it stops when its standard input
closes and on SIGTERM, and removes its project folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import ssl
import sys
import threading
from pathlib import Path
from socketserver import ThreadingMixIn
from types import FrameType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from sdet_check.demo.cas_wsgi import _exit_when_orphaned, _QuietHandler, _TlsWsgiServer

_SOCKET_TIMEOUT_S = 15.0


def main(argv: list[str]) -> int:
    """Set up and serve the project described by ``argv[1]``; return the exit status."""
    spec_file = Path(argv[1])
    spec = json.loads(spec_file.read_text(encoding="utf-8"))
    os.environ["SDET_MAMA_CAS_SPEC"] = str(spec_file)
    os.environ["DJANGO_SETTINGS_MODULE"] = "sdet_check.demo.mama_cas_site.settings"

    import django
    from django.core.wsgi import get_wsgi_application

    django.setup()
    _prepare_database(Path(spec["database"]), spec.get("template_database"))
    application = get_wsgi_application()
    server: WSGIServer
    if spec["tls"]:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.minimum_version = ssl.TLSVersion.TLSv1_2
        tls.load_cert_chain(spec["cert_file"], spec["key_file"])
        server = _TlsWsgiServer(("127.0.0.1", 0), _QuietHandler, tls)
    else:
        server = _PlainWsgiServer(("127.0.0.1", 0), _PlainHandler)
    server.set_app(application)

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
        shutil.rmtree(spec["project"], ignore_errors=True)
    return 0


def _prepare_database(database: Path, template: str | None) -> None:
    """Copy the migrated template, or migrate and keep the result as the template."""
    if template and Path(template).is_file():
        shutil.copyfile(template, database)
        return
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    if template:
        partial = Path(f"{template}.{os.getpid()}.tmp")
        shutil.copyfile(database, partial)
        os.replace(partial, template)  # atomic: a concurrent start sees all or nothing


class _PlainWsgiServer(ThreadingMixIn, WSGIServer):
    """A threaded plain-HTTP WSGI server (the ``http_en_clair`` test platform)."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay silent: clients that hang up are part of the tests."""


class _PlainHandler(WSGIRequestHandler):
    """Keeps the output clean; requests stay plain HTTP for Django."""

    timeout = _SOCKET_TIMEOUT_S

    def log_message(self, format: str, *args: Any) -> None:
        """No access log."""


if __name__ == "__main__":
    sys.exit(main(sys.argv))
