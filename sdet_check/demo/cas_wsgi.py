"""Serve the demo Django project of :mod:`sdet_check.demo.cas` over HTTPS (run in a subprocess).

``python -m sdet_check.demo.cas_wsgi SPEC.json`` sets Django up from the project folder the
spec names, applies the migrations, registers the service patterns, then serves the WSGI
application on ``127.0.0.1`` with an ephemeral port and prints ``READY <port>``. It stops
when its standard input closes (the parent stopped it, or died) and on SIGTERM.
Django's ``runserver`` speaks plain HTTP only, hence the threaded TLS server of
:mod:`sdet_check.demo.wsgi_serve`.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from sdet_check.demo.wsgi_serve import make_server, serve_until_orphaned, tls_context


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

    server = make_server(tls_context(spec["cert_file"], spec["key_file"]))
    server.set_app(get_wsgi_application())
    # The folder holds the demo passwords: gone with the server, even when orphaned.
    return serve_until_orphaned(server, lambda: shutil.rmtree(project, ignore_errors=True))


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


if __name__ == "__main__":
    sys.exit(main(sys.argv))
