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
import sys
from pathlib import Path

from sdet_check.demo.wsgi_serve import make_server, serve_until_orphaned, tls_context


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
    tls = tls_context(spec["cert_file"], spec["key_file"]) if spec["tls"] else None
    server = make_server(tls)
    server.set_app(application)
    # The folder holds the demo passwords: gone with the server, even when orphaned.
    return serve_until_orphaned(server, lambda: shutil.rmtree(spec["project"], ignore_errors=True))


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


if __name__ == "__main__":
    sys.exit(main(sys.argv))
