"""The demo accounts, their attributes, and the login page variants of the mama-cas server.

The authentication backend and the attribute callback read ``users.json`` (written by the
parent process, passwords included); the login view is mama-cas' own, with the form and the
template the configuration names: mama-cas' page, renamed fields with a hidden ``execution``
token, a two-step login, or a form whose ``action`` points elsewhere.
"""

from __future__ import annotations

import functools
import hmac
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core import signing
from django.http import HttpRequest, HttpResponse
from mama_cas.forms import LoginForm
from mama_cas.views import LoginView

_EXECUTION_SALT = "sdet-check.mama-cas.execution"
_LOGIN_SALT = "sdet-check.mama-cas.login"
_TOKEN_MAX_AGE_S = 600

_TEMPLATES = {
    "champs_renommes": "sdet_mama_cas/login_champs_renommes.html",
    "deux_etapes": "sdet_mama_cas/login_etape_identifiant.html",
}
_PASSWORD_STEP_TEMPLATE = "sdet_mama_cas/login_etape_mot_de_passe.html"
_FORM_ACTION_TEMPLATE = "sdet_mama_cas/login_action.html"


@functools.cache
def _users() -> dict[str, Any]:
    """The accounts of ``users.json``: password and released attributes, by login."""
    users: dict[str, Any] = json.loads(Path(settings.SDET_USERS_FILE).read_text("utf-8"))
    return users


class DemoAccountsBackend:
    """Django authentication backend over ``users.json``; Django users are made on first login."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None
    ) -> Any:
        """The Django user of ``username`` if ``password`` is its password, else ``None``."""
        account = _users().get(username or "")
        if account is None or password is None:
            return None
        if not hmac.compare_digest(account["password"].encode(), password.encode()):
            return None
        user, _ = get_user_model().objects.get_or_create(username=username)
        return user

    def get_user(self, user_id: int) -> Any:
        """The Django user of a session."""
        model = get_user_model()
        try:
            return model.objects.get(pk=user_id)
        except model.DoesNotExist:
            return None


def release_attributes(user: Any, service: str) -> dict[str, Any]:
    """mama-cas attribute callback: the SDET attributes the account releases to services."""
    account = _users().get(user.get_username(), {})
    return dict(account.get("attributes", {}))


def drop_login_params(get_response: Callable[[HttpRequest], HttpResponse]) -> Any:
    """Middleware: ``/cas/login`` loses the query parameters the configuration names.

    It plays a front page that rebuilds the login URL and forgets ``renew`` (or ``gateway``).
    """
    dropped = tuple(settings.SDET_DROPPED_LOGIN_PARAMS)

    def middleware(request: HttpRequest) -> HttpResponse:
        if dropped and request.path.rstrip("/").endswith("/cas/login"):
            query = request.GET.copy()
            for name in dropped:
                query.pop(name, None)
            request.GET = query
        return get_response(request)

    return middleware


class RenamedLoginForm(forms.Form):  # type: ignore[misc]
    """A vendor's login form: ``identifiant``, ``motdepasse`` and a signed ``execution`` token."""

    identifiant = forms.CharField(error_messages={"required": "Saisissez votre identifiant"})
    motdepasse = forms.CharField(
        strip=False,
        widget=forms.PasswordInput,
        error_messages={"required": "Saisissez votre mot de passe"},
    )
    execution = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        self.request = request
        self.user: Any = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        """Check the execution token, then the credentials (as mama-cas' form does)."""
        data: dict[str, Any] = super().clean()
        try:
            signing.loads(data.get("execution", ""), salt=_EXECUTION_SALT, max_age=_TOKEN_MAX_AGE_S)
        except signing.BadSignature:
            raise forms.ValidationError("Session de connexion expirée, recommencez.") from None
        login, password = data.get("identifiant"), data.get("motdepasse")
        if login and password:
            self.user = authenticate(request=self.request, username=login, password=password)
            if self.user is None:
                raise forms.ValidationError("Identifiant ou mot de passe incorrect")
        return data


class DemoLoginView(LoginView):  # type: ignore[misc]
    """mama-cas' login view with the login page the configuration chooses."""

    def get_form_class(self) -> type[forms.Form]:
        """Renamed fields for ``champs_renommes``, mama-cas' form otherwise."""
        if settings.SDET_LOGIN_FORM == "champs_renommes":
            return RenamedLoginForm
        form: type[forms.Form] = LoginForm
        return form

    def get_template_names(self) -> list[str]:
        """The page of the configured variant; mama-cas' own page for the conformant one."""
        if settings.SDET_LOGIN_FORM in _TEMPLATES:
            return [_TEMPLATES[settings.SDET_LOGIN_FORM]]
        if settings.SDET_FORM_ACTION:
            return [_FORM_ACTION_TEMPLATE]
        names: list[str] = super().get_template_names()
        return names

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        """mama-cas' context, plus the form action and a fresh execution token."""
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context["form_action"] = settings.SDET_FORM_ACTION
        context["execution"] = signing.dumps(_new_nonce(), salt=_EXECUTION_SALT)
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Two-step login: the login first, then the password with the signed login."""
        if settings.SDET_LOGIN_FORM != "deux_etapes":
            response: HttpResponse = super().post(request, *args, **kwargs)
            return response
        if "password" not in request.POST:
            login = request.POST.get("username", "").strip()
            if not login:
                return self._render_step(_TEMPLATES["deux_etapes"], "Saisissez votre identifiant")
            return self._render_step(
                _PASSWORD_STEP_TEMPLATE,
                None,
                login=login,
                login_token=signing.dumps(login, salt=_LOGIN_SALT),
            )
        try:
            login = signing.loads(
                request.POST.get("login_token", ""), salt=_LOGIN_SALT, max_age=_TOKEN_MAX_AGE_S
            )
        except signing.BadSignature:
            return self._render_step(
                _TEMPLATES["deux_etapes"], "Session de connexion expirée, recommencez."
            )
        form = LoginForm(
            data={"username": login, "password": request.POST["password"]}, request=request
        )
        if form.is_valid():
            valid: HttpResponse = self.form_valid(form)
            return valid
        return self._render_step(
            _PASSWORD_STEP_TEMPLATE,
            "Identifiant ou mot de passe incorrect",
            login=login,
            login_token=signing.dumps(login, salt=_LOGIN_SALT),
        )

    def _render_step(self, template: str, error: str | None, **extra: Any) -> HttpResponse:
        """A page of the two-step login, with an error message when there is one."""
        context = {"error": error, "form_action": settings.SDET_FORM_ACTION, **extra}
        response: HttpResponse = self.response_class(
            request=self.request, template=[template], context=context, using=self.template_engine
        )
        return response


def _new_nonce() -> str:
    """A random value, so that every login page carries a different execution token."""
    return secrets.token_urlsafe(16)
