"""Django settings of the demo django-mama-cas server, read from the spec of the parent process.

Only :mod:`sdet_check.demo.mama_cas_wsgi` imports this module, in the server subprocess.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

_SPEC: dict[str, Any] = json.loads(
    Path(os.environ["SDET_MAMA_CAS_SPEC"]).read_text(encoding="utf-8")
)
_COOKIE: dict[str, Any] = _SPEC["cookie"]

SECRET_KEY: str = _SPEC["secret_key"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "mama_cas",
]
MIDDLEWARE = [
    "sdet_check.demo.mama_cas_site.site.drop_login_params",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "sdet_check.demo.mama_cas_site.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).resolve().parent / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": _SPEC["database"],
        "OPTIONS": {"timeout": 30},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
AUTHENTICATION_BACKENDS = ["sdet_check.demo.mama_cas_site.site.DemoAccountsBackend"]
# The demo accounts log in many times a second in the tests: the cheapest hasher is enough
# for passwords Django never checks (users.json is the only place they live).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LANGUAGE_CODE = "fr"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Paris"
SESSION_COOKIE_NAME: str = _COOKIE["name"]
SESSION_COOKIE_PATH: str = _COOKIE["path"]
SESSION_COOKIE_SECURE: bool = _COOKIE["secure"]
SESSION_COOKIE_HTTPONLY: bool = _COOKIE["httponly"]
SESSION_EXPIRE_AT_BROWSER_CLOSE: bool = _COOKIE["session_only"]
CSRF_COOKIE_NAME = "csrf-ent"
CSRF_COOKIE_PATH: str = _COOKIE["path"]
CSRF_COOKIE_SECURE: bool = _COOKIE["secure"]
CSRF_COOKIE_HTTPONLY = True
MAMA_CAS_SERVICES: list[dict[str, Any]] = _SPEC["services"]
MAMA_CAS_FOLLOW_LOGOUT_URL = True
MAMA_CAS_ALLOW_AUTH_WARN = False
SDET_USERS_FILE: str = _SPEC["users_file"]
SDET_LOGIN_FORM: str = _SPEC["login_form"]
SDET_FORM_ACTION: str | None = _SPEC["form_action"]
SDET_DROPPED_LOGIN_PARAMS: list[str] = _SPEC["dropped_login_params"]
SDET_SAML_CSRF_EXEMPT: bool = _SPEC["saml_csrf_exempt"]
LOGGING = {"version": 1, "disable_existing_loggers": True, "root": {"level": "CRITICAL"}}
