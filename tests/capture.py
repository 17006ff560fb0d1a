"""A capture server: it records every request it receives, to prove a password never came.

Hostile peers of the tests point their login forms at it (a foreign host name, or plain
HTTP); the tests then assert that nothing, and above all no password, reached it.
"""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Self


@dataclass
class Captured:
    """One request the capture server received."""

    method: str
    path: str
    body: bytes


@dataclass
class CaptureServer:
    """HTTP(S) on 127.0.0.1 that records requests; ``url(host)`` names it under any host name."""

    cert_file: Path | None = None
    key_file: Path | None = None
    login_page: bytes | None = None
    """Served to every GET: a login page whose form posts back here (a plain-HTTP platform)."""
    requests: list[Captured] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Bind the port now so that its address is known before the peers start."""
        captured = self.requests
        page = self.login_page

        class Handler(BaseHTTPRequestHandler):
            timeout = 5

            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(length, 1 << 20)) if length else b""
                captured.append(Captured(self.command, self.path, body))
                answer = page if page is not None and self.command == "GET" else b"ok"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = _record

            def log_message(self, format: str, *args: object) -> None:
                """Silent."""

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        if self.cert_file is not None and self.key_file is not None:
            tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls.load_cert_chain(self.cert_file, self.key_file)
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def scheme(self) -> str:
        """``https`` when a certificate was given, else ``http``."""
        return "https" if self.cert_file is not None else "http"

    def url(self, host: str = "127.0.0.1", path: str = "/capture") -> str:
        """The capture address under ``host`` (``localhost`` is a foreign name for 127.0.0.1)."""
        return f"{self.scheme}://{host}:{self.port}{path}"

    def posts(self) -> list[Captured]:
        """The requests that carried a body (a submitted form)."""
        return [r for r in self.requests if r.method == "POST" or r.body]

    def __enter__(self) -> Self:
        """Serve."""
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop serving."""
        self._httpd.shutdown()
        self._httpd.server_close()
