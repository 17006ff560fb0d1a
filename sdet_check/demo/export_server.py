"""The reference ENT's export pages: each account downloads its own exports, after logging in.

:class:`ExportServer` serves over HTTPS on 127.0.0.1 the folder that
:func:`~sdet_check.demo.exports.write_exports` wrote: ``/exports/<login>/<file>`` answers
the file to a session of that account, redirects a browser without a session to the login
page (``/connexion``, a form with an identifier, a password and a hidden ``suite``), and
refuses (403) another account's files. Wrong credentials show the form again with a
message, as ENT portals do.
"""

from __future__ import annotations

import html
import secrets
import ssl
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from sdet_check.demo.peer import Peer
from sdet_check.demo.pki import PkiFiles, ensure_pki
from sdet_check.demo.wsgi_serve import TlsInRequestThread

LOGIN_PATH = "/connexion"
"""The login page of the export server."""

COOKIE = "ent_export"
"""Name of the session cookie."""

_TYPES = {
    ".ics": "text/calendar; charset=utf-8",
    ".vcf": "text/vcard; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".zip": "application/zip",
}
_MAX_FORM_BYTES = 8192
_SOCKET_TIMEOUT_S = 10.0


class ExportServer(Peer):
    """The export pages of the reference ENT, for the accounts of ``passwords``."""

    def __init__(self, folder: Path, pki_dir: Path, passwords: Mapping[str, str]) -> None:
        """Serve ``folder`` (one subfolder per login) to the accounts of ``passwords``."""
        self.folder = folder
        self.pki_dir = pki_dir
        self.passwords = dict(passwords)
        self.homes: dict[str, str] = {}
        """Subfolder of each login, when it is not named after the login."""
        self.posts: list[str] = []
        """Logins posted to the login form, in order (what a test may check was sent)."""
        self._pki: PkiFiles | None = None
        self._server: _ExportHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Open the HTTPS listener and serve in a background thread."""
        self._pki = ensure_pki(self.pki_dir)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.minimum_version = ssl.TLSVersion.TLSv1_2
        tls.load_cert_chain(self._pki.cert_file, self._pki.key_file)
        self._server = _ExportHTTPServer(self, tls)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="demo-exports",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving; safe to call twice."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    @property
    def https_url(self) -> str:
        """The server's root, ``https://127.0.0.1:<port>/``."""
        if self._server is None:
            raise RuntimeError("export server not started")
        return f"https://127.0.0.1:{self._server.server_address[1]}/"

    @property
    def ca_file(self) -> Path:
        """The test CA a client must trust."""
        if self._pki is None:
            raise RuntimeError("export server not started")
        return self._pki.ca_file

    def url(self, login: str, name: str) -> str:
        """Address of one export file of ``login``."""
        return f"{self.https_url}exports/{quote(login)}/{quote(name)}"


class _ExportHTTPServer(TlsInRequestThread, ThreadingHTTPServer):
    daemon_threads = True
    socket_timeout_s = _SOCKET_TIMEOUT_S

    def __init__(self, owner: ExportServer, tls: ssl.SSLContext) -> None:
        self.owner = owner
        self.tls = tls
        self.sessions: dict[str, str] = {}
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _ExportHTTPServer
    timeout = _SOCKET_TIMEOUT_S

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == LOGIN_PATH:
            suite = parse_qs(parts.query).get("suite", ["/"])[0]
            self._form(suite, "")
            return
        segments = parts.path.strip("/").split("/")
        if len(segments) != 3 or segments[0] != "exports":
            self._send(404, "text/plain; charset=utf-8", b"introuvable")
            return
        who = self._session()
        if who is None:
            self.send_response(302)
            self.send_header("Location", f"{LOGIN_PATH}?suite={quote(parts.path)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        login, name = segments[1], segments[2]
        if who != login:
            self._send(403, "text/plain; charset=utf-8", b"export d'un autre compte")
            return
        file = self.server.owner.folder / self.server.owner.homes.get(login, login) / name
        if "/" in name or name.startswith(".") or not file.is_file():
            self._send(404, "text/plain; charset=utf-8", b"introuvable")
            return
        content_type = _TYPES.get(file.suffix, "application/octet-stream")
        self._send(200, content_type, file.read_bytes())

    def do_POST(self) -> None:
        if urlsplit(self.path).path != LOGIN_PATH:
            self._send(405, "text/plain; charset=utf-8", b"")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_FORM_BYTES:
            self._send(413, "text/plain; charset=utf-8", b"")
            return
        form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
        login = form.get("identifiant", [""])[0]
        password = form.get("mot_de_passe", [""])[0]
        suite = form.get("suite", ["/"])[0]
        self.server.owner.posts.append(login)
        expected = self.server.owner.passwords.get(login)
        if expected is None or not secrets.compare_digest(expected, password):
            self._form(suite, "Identifiant ou mot de passe incorrect.")
            return
        token = secrets.token_urlsafe(24)
        with self.server.lock:
            self.server.sessions[token] = login
        self.send_response(303)
        self.send_header("Set-Cookie", f"{COOKIE}={token}; Secure; HttpOnly; Path=/; SameSite=Lax")
        self.send_header("Location", suite if suite.startswith("/exports/") else "/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _session(self) -> str | None:
        for part in (self.headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE:
                with self.server.lock:
                    return self.server.sessions.get(value)
        return None

    def _form(self, suite: str, message: str) -> None:
        shown = f'<p role="alert">{html.escape(message)}</p>' if message else ""
        page = f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Connexion — ENT de démonstration</title></head>
<body><main><h1>Connexion</h1>{shown}
<form method="post" action="{LOGIN_PATH}">
<input type="hidden" name="suite" value="{html.escape(suite)}">
<label for="identifiant">Identifiant</label>
<input id="identifiant" name="identifiant" autocomplete="username">
<label for="mdp">Mot de passe</label>
<input id="mdp" type="password" name="mot_de_passe" autocomplete="current-password">
<button type="submit" name="valider">Se connecter</button>
</form></main></body></html>"""
        self._send(200, "text/html; charset=utf-8", page.encode())

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


EXPORT_FILES = {
    "calendar": "agenda.ics",
    "contacts": "contacts.vcf",
    "table": "tableau.csv",
    "table_schema": "tableau.schema.json",
    "archive": "archive.zip",
}
"""The files :func:`~sdet_check.demo.exports.write_exports` writes for each account."""


def link_live_exports(
    target: dict[str, Any], server: ExportServer, environ: Mapping[str, str]
) -> list[str]:
    """Point the exports of the target's own test accounts at ``server``; their logins.

    An export entry (named by AAF identifier) whose person is also a test account of the
    target (``eleve-2001`` for ``2001``: the annuaire's logins) is served by ``server`` to
    that account, with its password, and the entry's files become addresses, so the probes
    download them as that account; the other entries stay files.
    """
    linked = []
    accounts = {str(a["login"]).rsplit("-", 1)[-1]: a for a in target.get("accounts", ())}
    for entry in target.get("export", {}).get("accounts", ()):
        account = accounts.get(str(entry["login"]))
        password = environ.get(str(account["password_env"])) if account else None
        if account is None or password is None:
            continue
        login = str(account["login"])
        server.passwords[login] = password
        server.homes[login] = str(entry["login"])
        entry["login"] = login
        for kind, name in EXPORT_FILES.items():
            if kind in entry:
                entry[kind] = server.url(login, name)
        linked.append(login)
    if linked:
        # The export server is part of the ENT under test, on a port of its own: the target
        # declares it, as an owner would, so the credentials rule lets the login reach it.
        portal = target.setdefault("portal", {})
        form = portal.setdefault("login_form", {})
        origin = urlsplit(server.url(linked[0], "x"))
        form.setdefault("hosts", []).append(f"{origin.hostname}:{origin.port}")
    return linked
