"""Logging in as a browser would, under one credentials rule for every probe family.

Every probe that logs in with a test account (CAS, SAML, the portal, any later family) goes
through this module, so the rule that protects the test password is written once:

* a password (and the login that goes with it) is sent only to the **host of the configured
  server** (the CAS server, the IdP, the portal: :class:`CredentialsRule`), whatever a page's
  form or a redirect says, and only over **HTTPS**;
* a plain-HTTP test platform is evaluated only with the explicit opt-in
  ``--allow-cleartext-credentials`` (``ProbeContext.allow_cleartext_credentials``); without
  it the probes that need a login are ``not_tested`` with one reason
  (:meth:`CredentialsRule.for_server`), and the run says so on its cover.

Login forms are found as a person finds them (:func:`find_login_form`): the form with a
password input, its login input recognised by type, ``autocomplete``, name, id or label,
every hidden input kept (``execution``, ``_eventId``, ``lt``, CSRF tokens), the submit
button a click would send; a form asking only for the login is the first step of a
multi-step login. Target files may name the fields (``login_form.user_field``,
``password_field``, ``submit``) where discovery cannot tell.
"""

from __future__ import annotations

import codecs
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
import requests
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from sdet_check.evidence import note
from sdet_check.labels import CLEARTEXT_OPTION
from sdet_check.messages import msg
from sdet_check.probe import Evidence, NotTestable, ProbeContext, ProbeError

MAX_LOGIN_STEPS = 4
"""Most forms one login may fill (login page, password page, a confirmation...)."""

_LOGIN_HINT = re.compile(
    r"user|login|ident|uid|e-?mail|courriel|compte|account|name|nom|utilisateur", re.IGNORECASE
)
_TEXT_TYPES = frozenset({"text", "email", "tel", ""})
_SKIPPED_TYPES = frozenset({"submit", "button", "image", "reset", "file"})


class UnsafeCredentialsDestination(ProbeError):
    """A page would have the test password sent where the credentials rule forbids it."""


@dataclass(frozen=True)
class LoginFormOverrides:
    """Field names a target gives where discovery cannot tell (``<section>.login_form``)."""

    user_field: str | None = None
    password_field: str | None = None
    submit: str | None = None
    """Name of the submit button a person would click (its name and value are sent)."""
    hosts: tuple[str, ...] = ()
    """Further host names of the same server that may receive the test password."""

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> LoginFormOverrides:
        """Read ``login_form`` of a target section (``username_field`` is an older alias)."""
        given = section.get("login_form")
        if not isinstance(given, Mapping):
            return cls()

        def text(*keys: str) -> str | None:
            for key in keys:
                value = given.get(key)
                if isinstance(value, str) and value:
                    return value
            return None

        hosts = given.get("hosts")
        return cls(
            user_field=text("user_field", "username_field"),
            password_field=text("password_field"),
            submit=text("submit"),
            hosts=tuple(h for h in hosts if isinstance(h, str)) if isinstance(hosts, list) else (),
        )


Origin = tuple[str, str, int]
"""``(scheme, host, port)`` of an address, host normalised (lower case, IDNA, no final dot)."""

_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNSAFE_URL = re.compile(r"[\\\s\x00-\x1f\x7f]")


def origin_of(url: str) -> Origin | None:
    """The origin a request to ``url`` really reaches, or ``None`` for an unsafe address.

    Read with urllib3's parser, the one ``requests`` sends with, and cross-checked with the
    standard library's: an address the two read differently (a backslash before ``@``),
    one with user information, white space or control characters, or a bad port is unsafe.
    """
    if _UNSAFE_URL.search(url):
        return None
    try:
        parsed = parse_url(url)
        standard = urlsplit(url)
        standard_port = standard.port
    except (LocationParseError, ValueError):
        return None
    scheme = (parsed.scheme or "").lower()
    if scheme not in _DEFAULT_PORTS or parsed.auth or standard.username is not None:
        return None
    host = _normal_host(parsed.host or "")
    if not host or host != _normal_host(standard.hostname or ""):
        return None
    port = parsed.port or _DEFAULT_PORTS[scheme]
    if port != (standard_port or _DEFAULT_PORTS[scheme]):
        return None
    return scheme, host, port


def _normal_host(host: str) -> str:
    host = host.strip("[]").rstrip(".").lower()
    try:
        return host.encode("idna").decode("ascii") if host and not host[0].isdigit() else host
    except UnicodeError:
        return host


class RefusedLogins:
    """Accounts whose credentials a server refused during the run, shared by its probes.

    A refused password is not tried again in the same run: many attempts would lock the
    test account on servers that throttle logins.
    """

    def __init__(self) -> None:
        """Start empty."""
        self._refused: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def record(self, server: str, login: str) -> None:
        """Remember that ``server`` refused ``login``."""
        with self._lock:
            self._refused.add((server, login))

    def has(self, server: str, login: str) -> bool:
        """Whether ``server`` already refused ``login`` in this run."""
        with self._lock:
            return (server, login) in self._refused


@dataclass(frozen=True)
class CredentialsRule:
    """Where a test password may be sent: the configured server, over HTTPS.

    ``origins`` are the ``(scheme, host, port)`` the target names for the server (its
    address, further addresses of the same server, ``login_form.hosts``); HTTPS to any of
    their hosts on their port is allowed; plain HTTP only with ``cleartext``, the run's
    opt-in for a plain-HTTP platform.
    """

    origins: frozenset[Origin]
    cleartext: bool
    server: str
    """The configured server in one French phrase (``le serveur CAS https://…``)."""
    refusals: RefusedLogins | None = None

    @property
    def hosts(self) -> frozenset[str]:
        """The host names credentials may go to."""
        return frozenset(host for _, host, _ in self.origins)

    @classmethod
    def for_server(
        cls,
        url: str,
        context: ProbeContext,
        *,
        what: str,
        also: Iterable[str] = (),
        hosts: Iterable[str] = (),
    ) -> CredentialsRule:
        """The rule for logging in to the server at ``url`` (``what`` names it in French).

        ``also`` lists further addresses of the same server given by the target (an IdP's
        SSO endpoint), ``hosts`` further host names (``host`` or ``host:port``) the target
        declares (``login_form.hosts``). A plain-HTTP server, or TLS without certificate
        checks (``tls.verify: false``), without the opt-in raises :class:`NotTestable`: no
        test password is sent, and the reason says how to allow it.
        """
        origin = origin_of(url)
        if origin is None:
            raise NotTestable(msg("core.login.credentials_rule.untestable", what=what, url=url))
        insecure = origin[0] == "http" or not context.target.tls_verify
        if insecure and not context.allow_cleartext_credentials:
            how = (
                "est en http://"
                if origin[0] == "http"
                else "est joint sans vérifier son certificat (tls.verify: false)"
            )
            raise NotTestable(
                msg(
                    "core.login.credentials_rule.untestable_2",
                    what=what,
                    how=how,
                    url=url,
                    cleartext_option=CLEARTEXT_OPTION,
                )
            )
        allowed = {origin}
        for address in also:
            extra = origin_of(address)
            if extra is not None:
                allowed.add(extra)
        for name in hosts:
            host, _, port = name.partition(":")
            number = int(port) if port.isdigit() else _DEFAULT_PORTS[origin[0]]
            allowed.add((origin[0], _normal_host(host), number))
        return cls(
            origins=frozenset(allowed),
            # The opt-in is for a plain-HTTP platform: an HTTPS server never drops to HTTP.
            cleartext=context.allow_cleartext_credentials and origin[0] == "http",
            server=f"{what} {url}",
            refusals=context.refused_logins,
        )

    def allows(self, url: str) -> bool:
        """Whether ``url`` is on the configured server: its host and port, either scheme."""
        origin = origin_of(url)
        return origin is not None and (origin[1], origin[2]) in {
            (host, port) for _, host, port in self.origins
        }

    def refusal(self, url: str) -> str | None:
        """Why credentials may not be sent to ``url``, in French; ``None`` when they may."""
        origin = origin_of(url)
        if origin is None:
            return (
                f"le formulaire enverrait le mot de passe de test à une adresse ambiguë ou "
                f"malformée ({url[:200]!r}) : rien n'est envoyé"
            )
        scheme, host, port = origin
        known = {(h, p) for _, h, p in self.origins}
        upgraded = any(s == "http" and h == host for s, h, _ in self.origins)
        https_here = scheme == "https" and ((host, port) in known or (port == 443 and upgraded))
        http_here = scheme == "http" and self.cleartext and (host, port) in known
        if https_here or http_here:
            return None
        if host not in self.hosts:
            shown = ", ".join(sorted(self.hosts))
            return (
                f"le formulaire enverrait le mot de passe de test à {host}, hors du serveur "
                f"configuré ({shown}) : rien n'est envoyé (si cet hôte est le même serveur, le "
                "déclarer dans login_form.hosts de la cible)"
            )
        if scheme == "http":
            return (
                f"le formulaire enverrait le mot de passe de test en clair (http://) à "
                f"{url[:200]} : rien n'est envoyé (une plateforme de test en HTTP s'évalue avec "
                f"{CLEARTEXT_OPTION})"
            )
        return (
            f"le formulaire enverrait le mot de passe de test au port {port} de {host}, "
            "autre que celui du serveur configuré : rien n'est envoyé (le déclarer dans "
            "login_form.hosts sous la forme hôte:port si c'est le même serveur)"
        )

    def require(self, url: str, *evidence: Evidence) -> None:
        """Raise :class:`UnsafeCredentialsDestination` unless credentials may go to ``url``."""
        reason = self.refusal(url)
        if reason is not None:
            raise UnsafeCredentialsDestination(reason, *evidence)


@dataclass(frozen=True)
class LoginForm:
    """A form found on a page, as a browser would submit it."""

    page_url: str
    action: str
    method: str
    fields: Mapping[str, str]
    """Every field a browser sends, with its current value (hidden inputs included)."""
    field_types: Mapping[str, str]
    user_field: str | None
    password_field: str | None

    @property
    def asks_password(self) -> bool:
        """Whether this step asks for the password (else it asks for the login only)."""
        return self.password_field is not None

    def filled(self, login: str, password: str) -> dict[str, str]:
        """The fields to send with the account's login and password in place."""
        data = dict(self.fields)
        if self.user_field is not None:
            data[self.user_field] = login
        if self.password_field is not None:
            data[self.password_field] = password
        return data

    def describe(self) -> str:
        """The fields in one French line: ``identifiant (text), motdepasse (password)…``."""
        shown = [f"{name} ({kind})" for name, kind in self.field_types.items()]
        return ", ".join(shown) or msg("core.page.no_field")

    def evidence(self, **extra: object) -> Evidence:
        """The form as evidence: action, method, field names and types, never their values.

        ``extra`` adds facts the caller vouches for (the service a CAS form carries...).
        """
        return Evidence(
            kind="form",
            summary=msg(
                "core.login.ev.login_form.evidence", method=self.method, action=self.action
            ),
            data={
                "page": self.page_url,
                "action": self.action,
                "method": self.method,
                "fields": dict(self.field_types),
                "user_field": self.user_field,
                "password_field": self.password_field,
                **extra,
            },
        )


def parse_html(response: requests.Response) -> lxml.html.HtmlElement | None:
    """Parse a (bounded) body as HTML without network access; ``None`` when it is not HTML."""
    body = response.content
    if not body.strip() or b"<" not in body[:4096]:
        return None
    parser = lxml.html.HTMLParser(
        no_network=True, huge_tree=False, remove_pis=True, encoding=_declared_charset(response)
    )
    try:
        return lxml.html.document_fromstring(body, parser=parser)
    except (lxml.etree.ParserError, ValueError, LookupError):
        return None


def _declared_charset(response: requests.Response) -> str | None:
    """The charset the ``Content-Type`` header declares, if Python knows it; else ``None``.

    A page's bytes are read in the charset the server declares, as a browser does; without
    one, lxml reads the page's own ``<meta charset>``.
    """
    match = re.search(r"charset=[\"']?([\w.:-]+)", response.headers.get("Content-Type", ""))
    if match is None:
        return None
    try:
        return codecs.lookup(match[1]).name
    except LookupError:
        return None


_PAGE_START = re.compile(
    rb"^(?:<\?xml[^>]*\?>|<!--.*?-->|\s)*"
    rb"(?:<!doctype\s+html|<(?:html|head|body|title|meta|link|div|p|table|form|h[1-6])\b)",
    re.IGNORECASE | re.DOTALL,
)


def looks_like_html(response: requests.Response) -> bool:
    """Tell whether a body is a web page rather than a protocol answer, by its content.

    The first element decides (a doctype ``html``, ``<html>``, ``<body>``...), never the
    ``Content-Type``: servers send CAS answers as ``text/html`` too.
    """
    head = response.content[:4096].lstrip(b"\xef\xbb\xbf")
    return _PAGE_START.match(head) is not None


def page_title(response: requests.Response) -> str | None:
    """The ``<title>`` of an HTML page, cut to one short line."""
    document = parse_html(response)
    if document is None:
        return None
    title = document.findtext(".//title")
    text = " ".join((title or "").split())
    return (text[:120] + "…" if len(text) > 120 else text) or None


def describe_page(response: requests.Response) -> str:
    """What a person sees on a page in one French phrase: status, title, form fields."""
    parts = [msg("core.page.status", status=response.status_code)]
    title = page_title(response)
    if title:
        parts.append(msg("core.page.title", title=title))
    form = find_login_form(response)
    if form is not None:
        parts.append(
            msg(
                "core.page.form",
                method=form.method,
                action=_short_url(form.action),
                fields=form.describe(),
            )
        )
    message = _page_message(response)
    if message:
        parts.append(msg("core.page.message", message=message))
    return msg("core.page.parts", parts=parts)


def find_login_form(
    response: requests.Response, overrides: LoginFormOverrides | None = None
) -> LoginForm | None:
    """The login form of a page, or ``None``: a password form, else a login-only step.

    A form holding a password input (or the field the target names) comes first; a form
    with a single login input and nothing else a person would type is the first step of a
    multi-step login. Search, language and logout forms are not login forms.
    """
    overrides = overrides or LoginFormOverrides()
    document = parse_html(response)
    if document is None:
        return None
    candidates = [_read_form(form, response.url, document, overrides) for form in document.forms]
    with_password = [form for form in candidates if form.password_field is not None]
    if with_password:
        return with_password[0]
    login_only = [
        form
        for form in candidates
        if form.user_field is not None
        and [n for n, t in form.field_types.items() if t in _TEXT_TYPES] == [form.user_field]
        and (overrides.user_field is not None or _looks_like_login(form, document))
    ]
    return login_only[0] if login_only else None


@dataclass
class LoginSteps:
    """What a form login went through: the forms filled and the last answer."""

    final: requests.Response
    forms: list[LoginForm] = field(default_factory=list)
    refused: bool = False
    """The password form came back after the password was sent: credentials refused."""

    @property
    def password_sent(self) -> bool:
        """Whether a password form was submitted."""
        return any(form.asks_password for form in self.forms)


def fill_login_forms(
    page: requests.Response,
    *,
    login: str,
    password: str,
    rule: CredentialsRule,
    submit: Callable[[LoginForm, dict[str, str]], requests.Response],
    done: Callable[[requests.Response], bool],
    overrides: LoginFormOverrides | None = None,
    record: Callable[[Evidence], None] | None = None,
) -> LoginSteps:
    """Fill the login forms met from ``page`` on until ``done`` says the login is over.

    ``submit`` sends a form (the caller's browser, following redirects as the protocol
    wants); the credentials rule is checked before every submission, for the login step as
    for the password step. A password form shown again after the password was sent means
    the credentials were refused.
    """
    steps = LoginSteps(final=page)
    for _ in range(MAX_LOGIN_STEPS):
        if done(steps.final):
            return steps
        form = find_login_form(steps.final, overrides)
        if form is None:
            return steps
        if form.asks_password and steps.password_sent:
            steps.refused = True
            if rule.refusals is not None:
                rule.refusals.record(rule.server, login)
            return steps
        if rule.refusals is not None and rule.refusals.has(rule.server, login):
            raise ProbeError(
                msg("core.login.fill_login_forms.error", server=rule.server, login=login)
            )
        if form.method != "POST":
            raise UnsafeCredentialsDestination(
                msg(
                    "core.login.fill_login_forms.error_2",
                    short_url=_short_url(form.page_url),
                    method=form.method,
                )
            )
        rule.require(form.action)
        data = form.filled(login, password)
        if record is not None:
            what = msg(
                "core.login.login_and_password" if form.asks_password else "core.login.login_only"
            )
            record(
                note(
                    msg(
                        "core.login.ev.fill_login_forms.note",
                        what=what,
                        method=form.method,
                        short_url=_short_url(form.action),
                    ),
                    action=form.action,
                    fields={name: _shown_field(name, value, form) for name, value in data.items()},
                )
            )
        steps.forms.append(form)
        steps.final = submit(form, data)
    return steps


def log_in_across(
    page: requests.Response,
    *,
    login: str,
    password: str,
    rule: CredentialsRule,
    fetch: Callable[[str, str, Mapping[str, str] | None], requests.Response],
    overrides: LoginFormOverrides | None = None,
    record: Callable[[Evidence], None] | None = None,
    max_redirects: int = 10,
) -> LoginSteps:
    """Log in from ``page`` the way a portal does: forms, then redirects wherever they go.

    For a login that crosses servers (a portal handing over to its CAS and back): every
    form is filled under ``rule``, and after each post the redirects are followed with GET
    (never re-posting the body), whatever their host, up to ``max_redirects``. ``fetch``
    sends one request (method, URL, form data or ``None``). The login ends on the first
    page without a login form.
    """

    def submit(form: LoginForm, data: dict[str, str]) -> requests.Response:
        answer = fetch(form.method, form.action, data)
        for _ in range(max_redirects):
            target = answer.headers.get("Location")
            if answer.status_code not in (301, 302, 303, 307, 308) or not target:
                break
            url = urljoin(answer.url, target)
            if urlsplit(url).scheme not in ("http", "https"):
                break
            answer = fetch("GET", url, None)
        return answer

    return fill_login_forms(
        page,
        login=login,
        password=password,
        rule=rule,
        submit=submit,
        done=lambda _answer: False,
        overrides=overrides,
        record=record,
    )


# --- reading forms --------------------------------------------------------------------------


def _read_form(
    form: lxml.html.FormElement,
    page_url: str,
    document: lxml.html.HtmlElement,
    overrides: LoginFormOverrides,
) -> LoginForm:
    fields: dict[str, str] = {}
    types: dict[str, str] = {}
    submit_buttons: list[tuple[str, str]] = []
    for element in form.iter("input", "select", "textarea", "button"):
        name = element.get("name")
        if not name:
            continue
        if element.get("disabled") is not None:
            continue  # a browser sends no disabled control
        kind = (element.get("type") or ("submit" if element.tag == "button" else "")).lower()
        if element.tag in ("select", "textarea"):
            kind = element.tag
        if kind in _SKIPPED_TYPES:
            if kind in ("submit", "image"):
                submit_buttons.append((name, element.get("value") or ""))
            continue
        if kind in ("checkbox", "radio") and element.get("checked") is None:
            continue
        if element.tag == "select":
            options = element.xpath(".//option[@selected]") or element.xpath(".//option")
            value = (options[0].get("value") or options[0].text or "") if options else ""
        elif element.tag == "textarea":
            value = element.text or ""
        else:
            value = element.get("value") or ""
        fields[name] = value
        types[name] = kind or "text"
    chosen = [b for b in submit_buttons if b[0] == overrides.submit] or submit_buttons[:1]
    for name, value in chosen:
        fields.setdefault(name, value)
        types.setdefault(name, "submit")
    password = _password_field(types, overrides)
    user = _user_field(form, types, password, document, overrides)
    action = urljoin(page_url, form.get("action") or page_url)
    return LoginForm(
        page_url=page_url,
        action=action,
        method=(form.get("method") or "GET").upper(),
        fields=fields,
        field_types={name: types.get(name, "") for name in fields},
        user_field=user,
        password_field=password,
    )


def _password_field(types: Mapping[str, str], overrides: LoginFormOverrides) -> str | None:
    if overrides.password_field is not None:
        return overrides.password_field if overrides.password_field in types else None
    passwords = [name for name, kind in types.items() if kind == "password"]
    return passwords[0] if passwords else None


def _user_field(
    form: lxml.html.FormElement,
    types: Mapping[str, str],
    password: str | None,
    document: lxml.html.HtmlElement,
    overrides: LoginFormOverrides,
) -> str | None:
    if overrides.user_field is not None:
        return overrides.user_field if overrides.user_field in types else None
    typed = [n for n, kind in types.items() if kind in _TEXT_TYPES and n != password]
    if not typed:
        return None
    if len(typed) == 1:
        return typed[0]
    for name in typed:
        element = _input(form, name)
        if element is not None and (element.get("autocomplete") or "").lower() in (
            "username",
            "email",
        ):
            return name
    for name in typed:
        if types[name] == "email" or _LOGIN_HINT.search(name + " " + _label(document, form, name)):
            return name
    return typed[0]


def _input(form: lxml.html.FormElement, name: str) -> lxml.html.HtmlElement | None:
    for element in form.iter("input"):
        if element.get("name") == name:
            return element
    return None


def _label(document: lxml.html.HtmlElement, form: lxml.html.FormElement, name: str) -> str:
    """The label text of a field: ``<label for=id>``, an enclosing label, a placeholder."""
    element = _input(form, name)
    if element is None:
        return ""
    texts = [element.get("placeholder") or "", element.get("aria-label") or ""]
    element_id = element.get("id")
    if element_id:
        texts += [
            label.text_content()
            for label in document.iter("label")
            if label.get("for") == element_id
        ]
        texts.append(element_id)
    parent = element.getparent()
    while parent is not None and parent.tag not in ("form", "body"):
        if parent.tag == "label":
            texts.append(parent.text_content())
        parent = parent.getparent()
    return " ".join(texts)


def _looks_like_login(form: LoginForm, document: lxml.html.HtmlElement) -> bool:
    """A login-only step: its single input reads as a login, and the form is no search box."""
    assert form.user_field is not None
    action = urlsplit(form.action).path.lower()
    if any(word in action for word in ("search", "recherche", "logout", "deconnexion")):
        return False
    if form.field_types.get(form.user_field) == "email":
        return True
    return bool(_LOGIN_HINT.search(form.user_field)) or form.method == "POST"


def _page_message(response: requests.Response) -> str | None:
    """A short message a page shows (an error or alert box), if one is recognisable."""
    document = parse_html(response)
    if document is None:
        return None
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        marks = (
            f"{element.get('class') or ''} {element.get('role') or ''} {element.get('id') or ''}"
        )
        if re.search(r"\b(error|erreur|alert|danger|warning|message)", marks, re.IGNORECASE):
            text = " ".join(element.text_content().split())
            if text:
                return text[:160] + "…" if len(text) > 160 else text
    return None


def _shown_field(name: str, value: str, form: LoginForm) -> str:
    """A submitted field as evidence shows it: no password, long opaque tokens cut."""
    if name == form.password_field:
        return "***"
    if name == form.user_field or len(value) <= 16:
        return value
    return value[:6] + "…"


def _short_url(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(query="…" if parts.query else "", fragment="").geturl()
