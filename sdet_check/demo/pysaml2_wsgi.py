"""Serve the pysaml2 identity provider of :mod:`sdet_check.demo.pysaml2_idp` (run in a subprocess).

``python -m sdet_check.demo.pysaml2_wsgi SPEC.json`` binds ``127.0.0.1`` on an ephemeral port,
builds a :class:`saml2.server.Server` from the spec (keys, the two service providers'
metadata, users, the variant's switches), signs its metadata once, prints ``READY <port>``
and serves until its standard input closes (the parent stopped it, or died) or SIGTERM.
The demo users' password comes in the environment (:data:`PASSWORD_VARIABLE`), never in the
spec file.

pysaml2 does the SAML: parsing and verifying the AuthnRequest (HTTP-Redirect signature
included), building and signing the Response and its Assertion, the HTTP-POST form, the
metadata and its enveloped signature. This module is the thin web glue around it: routes,
the login pages, the pending requests, and the deliberate faults of the broken variants.
"""

from __future__ import annotations

import copy
import html
import json
import os
import secrets
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIServer

from sdet_check.demo.wsgi_serve import make_server, serve_until_orphaned, tls_context

PASSWORD_VARIABLE = "SDET_PYSAML2_IDP_PASSWORD"
"""Environment variable through which the parent hands the demo users' password."""

BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
NAMEID_TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
NAMEID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
STATUS_INVALID_NAMEID_POLICY = "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy"
NAME_FORMAT_BASIC = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
PASSWORD_PROTECTED_TRANSPORT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
DIGEST_SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
DIGEST_SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
NS_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
NS_SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"

METADATA_PATH = "metadata"
SSO_REDIRECT_PATH = "sso/redirect"
SSO_POST_PATH = "sso/post"
LOGIN_PATH = "connexion"
LOGIN_STEP_ONE_PATH = "connexion/identifiant"

_PENDING_LIFETIME_S = 600.0
_HTML = "text/html; charset=utf-8"

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def main(argv: list[str]) -> int:
    """Serve the IdP the spec file ``argv[1]`` describes; return the exit status."""
    # pysaml2 uses cipher modes cryptography deprecates: noise in the peer's output.
    warnings.filterwarnings("ignore", module=r"saml2(\.|$)")
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    password = os.environ.pop(PASSWORD_VARIABLE, "")
    if not password:
        print(f"{PASSWORD_VARIABLE} absent : pas de mot de passe pour les comptes", flush=True)
        return 2
    server = _make_server(spec)
    port = server.server_address[1]
    scheme = "https" if spec["tls"] else "http"
    base_url = f"{scheme}://127.0.0.1:{port}/"
    server.set_app(IdpApplication(spec, base_url, password))

    return serve_until_orphaned(server)


def _make_server(spec: Mapping[str, Any]) -> WSGIServer:
    tls = spec["tls"]
    return make_server(tls_context(tls["cert_file"], tls["key_file"]) if tls else None)


# --- the identity provider --------------------------------------------------------------


class RequestRefused(Exception):
    """An AuthnRequest the IdP will not answer with an assertion: an error page, no SAML."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class _Pending:
    """An AuthnRequest waiting for the user to log in."""

    request_id: str | None
    sp_entity_id: str
    acs_url: str
    relay_state: str
    name_id_policy: Any
    created: float
    csrf: str
    login: str | None = None
    refusal: str | None = None
    """Why the IdP answers with an error Response instead of asking for a login."""


class IdpApplication:
    """The WSGI application: metadata, the SSO endpoint, the login pages."""

    def __init__(self, spec: Mapping[str, Any], base_url: str, password: str) -> None:
        """Build the pysaml2 server for ``base_url`` and sign the metadata."""
        from saml2.server import Server

        self.spec = spec
        self.variant: Mapping[str, Any] = spec["variant"]
        self.base_url = base_url
        self.entity_id = base_url + METADATA_PATH
        self.password = password
        self.users: dict[str, dict[str, list[str]]] = {
            user["login"]: user["attributes"] for user in spec["users"]
        }
        self.config = _idp_config(spec, base_url, self.entity_id)
        self.server = Server(config=self.config)
        self.metadata = _metadata_document(spec, self.config)
        self._pending: dict[str, _Pending] = {}
        self._lock = threading.Lock()

    # --- routing ------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Route one request."""
        path = environ.get("PATH_INFO", "/").lstrip("/")
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            if path == METADATA_PATH and method in ("GET", "HEAD"):
                return _answer(
                    start_response, "200 OK", self.metadata, "application/samlmetadata+xml"
                )
            if path == SSO_REDIRECT_PATH and method == "GET":
                return self._single_sign_on(environ, start_response)
            if path == LOGIN_PATH and method == "POST":
                return self._login(environ, start_response)
            if path == LOGIN_STEP_ONE_PATH and method == "POST":
                return self._login_step_one(environ, start_response)
            if path == "" and method in ("GET", "HEAD"):
                body = _page("Fournisseur d'identité de démonstration", "<p>pysaml2</p>")
                return _answer(start_response, "200 OK", body, _HTML)
        except RequestRefused as refused:
            body = _page("Requête refusée", f"<p>{html.escape(refused.message)}</p>")
            return _answer(start_response, refused.status, body, _HTML)
        return _answer(start_response, "404 Not Found", _page("Introuvable", ""), _HTML)

    # --- SSO ----------------------------------------------------------------------------

    def _single_sign_on(
        self, environ: Mapping[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        pending = self._accept_request(query)
        if pending.refusal is not None:
            return self._post_error(pending, start_response)
        token = secrets.token_urlsafe(24)
        with self._lock:
            now = time.monotonic()
            for key in [
                k for k, p in self._pending.items() if now - p.created > _PENDING_LIFETIME_S
            ]:
                del self._pending[key]
            self._pending[token] = pending
        body = self._login_page(token, pending, error=None)
        return _answer(start_response, "200 OK", body, _HTML)

    def _accept_request(self, query: Mapping[str, str]) -> _Pending:
        """Parse and verify the AuthnRequest; refuse what the configuration does not allow."""
        encoded = query.get("SAMLRequest")
        if not encoded:
            raise RequestRefused("400 Bad Request", "paramètre SAMLRequest absent")
        relay_state = query.get("RelayState", "")
        issuer, requested_acs = self._peek(encoded)
        # MetadataStore has no __contains__ (it raises NotImplementedError): ask for its keys.
        known = self.server.metadata.keys()
        if issuer not in known:
            if not (self.variant["accept_unknown_sp"] and issuer and requested_acs):
                raise RequestRefused(
                    "403 Forbidden",
                    f"fournisseur de services inconnu : {issuer or '(sans Issuer)'}",
                )
            # The open IdP's fault: trust whoever asks, at the address it asks for.
            stranger = {
                "entity_id": issuer,
                "acs_urls": [requested_acs],
                "cert_file": None,
                "name_id_formats": [NAMEID_TRANSIENT],
            }
            with self._lock:
                self.server.metadata.load("inline", _sp_metadata(stranger, self.spec))
        try:
            parsed = self.server.parse_authn_request(
                encoded,
                BINDING_REDIRECT,
                relay_state=query.get("RelayState"),
                sigalg=query.get("SigAlg"),
                signature=query.get("Signature"),
            )
        except Exception as exc:  # pysaml2 raises many unrelated types for a bad request
            raise RequestRefused(
                "400 Bad Request", f"AuthnRequest refusée ({type(exc).__name__} : {exc})"
            ) from exc
        if parsed is None:
            raise RequestRefused("400 Bad Request", "AuthnRequest illisible")
        message = parsed.message
        acs_url = self._declared_acs(issuer, message)
        policy = message.name_id_policy
        wanted = None if policy is None else policy.format
        declared = self.config.getattr("name_id_format", "idp") or []
        refusal = None
        if wanted == NAMEID_UNSPECIFIED:
            # "Whatever you issue" (core §8.3.1): the IdP's own format, as declared.
            policy.format = declared[0]
        elif wanted is not None and wanted not in declared:
            refusal = f"format de NameID non pris en charge : {wanted}"
        return _Pending(
            request_id=message.id,
            sp_entity_id=issuer,
            acs_url=acs_url,
            relay_state=relay_state,
            name_id_policy=policy,
            created=time.monotonic(),
            csrf=secrets.token_urlsafe(24),
            refusal=refusal,
        )

    def _post_error(self, pending: _Pending, start_response: StartResponse) -> Iterable[bytes]:
        """An error Response (InvalidNameIDPolicy) posted to the verified ACS, signed."""
        error = self.server.create_error_response(
            pending.request_id,
            destination=pending.acs_url,
            info=(STATUS_INVALID_NAMEID_POLICY, pending.refusal),
            sign=True,
            sign_alg=RSA_SHA1 if self.variant["sha1"] else RSA_SHA256,
            digest_alg=DIGEST_SHA1 if self.variant["sha1"] else DIGEST_SHA256,
        )
        posted = self.server.apply_binding(
            BINDING_POST,
            str(error),
            destination=pending.acs_url,
            relay_state=pending.relay_state,
            response=True,
        )
        return _answer(start_response, "200 OK", posted["data"].encode("utf-8"), _HTML)

    def _declared_acs(self, issuer: str, message: Any) -> str:
        """The ACS to answer: the requested one if the SP's metadata declares it, else its default.

        pysaml2 7.5's own ``Server.verify_assertion_consumer_service`` reads ``.text`` on the
        dictionaries its metadata store returns and raises: the check is done here.
        """
        declared = self.server.metadata.assertion_consumer_service(issuer, BINDING_POST)
        requested = message.assertion_consumer_service_url
        index = message.assertion_consumer_service_index
        if requested:
            if any(entry.get("location") == requested for entry in declared):
                return str(requested)
            raise RequestRefused(
                "403 Forbidden", f"adresse de retour non déclarée pour {issuer} : {requested}"
            )
        if index is not None:
            for entry in declared:
                if str(entry.get("index")) == str(index):
                    return str(entry["location"])
            raise RequestRefused("403 Forbidden", f"index d'ACS inconnu pour {issuer} : {index}")
        if not declared:
            raise RequestRefused("403 Forbidden", f"aucune ACS HTTP-POST déclarée pour {issuer}")
        default = [e for e in declared if str(e.get("is_default", "")).lower() == "true"]
        return str((default or declared)[0]["location"])

    def _peek(self, encoded: str) -> tuple[str, str | None]:
        """Issuer and requested ACS, read before pysaml2 checks anything (to name the SP)."""
        from saml2.samlp import authn_request_from_string

        try:
            xml = self.server.unravel(encoded, BINDING_REDIRECT, "request")
            request = authn_request_from_string(xml)
        except Exception as exc:  # base64, inflate or XML errors
            raise RequestRefused("400 Bad Request", f"SAMLRequest illisible ({exc})") from exc
        if request is None:
            raise RequestRefused("400 Bad Request", "SAMLRequest n'est pas une AuthnRequest")
        issuer = request.issuer.text.strip() if request.issuer is not None else ""
        acs = request.assertion_consumer_service_url
        return str(issuer or ""), None if acs is None else str(acs)

    # --- login pages --------------------------------------------------------------------

    def _login_page(self, token: str, pending: _Pending, error: str | None) -> bytes:
        style = self.variant["login_form"]
        action = self.variant["form_action"] or self.base_url + LOGIN_PATH
        notice = f'<p class="erreur">{html.escape(error)}</p>' if error else ""
        hidden = f'<input type="hidden" name="demande" value="{token}">'
        if style == "renamed":
            hidden += f'<input type="hidden" name="jeton_csrf" value="{pending.csrf}">'
            fields = (
                '<label>Identifiant <input type="text" name="identifiant" autocomplete="username">'
                "</label>"
                '<label>Secret <input type="password" name="secret" '
                'autocomplete="current-password"></label>'
            )
        elif style == "two_steps" and pending.login is None:
            action = self.base_url + LOGIN_STEP_ONE_PATH
            fields = (
                '<label>Identifiant <input type="text" name="username" autocomplete="username">'
                "</label>"
            )
        elif style == "two_steps":
            fields = (
                f"<p>Compte : {html.escape(pending.login or '')}</p>"
                '<label>Mot de passe <input type="password" name="password" '
                'autocomplete="current-password"></label>'
            )
        else:
            fields = (
                '<label>Identifiant <input type="text" name="username" autocomplete="username">'
                "</label>"
                '<label>Mot de passe <input type="password" name="password" '
                'autocomplete="current-password"></label>'
            )
        form = (
            f'{notice}<form method="post" action="{html.escape(action)}">{hidden}{fields}'
            '<button type="submit">Se connecter</button></form>'
        )
        return _page("Connexion à l'ENT de démonstration", form)

    def _take_pending(self, form: Mapping[str, str]) -> tuple[str, _Pending]:
        token = form.get("demande", "")
        with self._lock:
            pending = self._pending.get(token)
        if pending is None:
            raise RequestRefused("400 Bad Request", "demande d'authentification inconnue ou échue")
        if self.variant["login_form"] == "renamed" and not secrets.compare_digest(
            form.get("jeton_csrf", ""), pending.csrf
        ):
            raise RequestRefused("403 Forbidden", "jeton anti-CSRF absent ou faux")
        return token, pending

    def _login_step_one(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        form = _read_form(environ)
        token, pending = self._take_pending(form)
        if self.variant["login_form"] != "two_steps":
            raise RequestRefused("404 Not Found", "pas de connexion en deux étapes ici")
        login = form.get("username", "").strip()
        pending.login = login or None
        error = None if login else "identifiant manquant"
        return _answer(start_response, "200 OK", self._login_page(token, pending, error), _HTML)

    def _login(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        form = _read_form(environ)
        token, pending = self._take_pending(form)
        style = self.variant["login_form"]
        if style == "renamed":
            login, password = form.get("identifiant", ""), form.get("secret", "")
        elif style == "two_steps":
            login, password = pending.login or "", form.get("password", "")
        else:
            login, password = form.get("username", ""), form.get("password", "")
        if login not in self.users or not secrets.compare_digest(password, self.password):
            if style == "two_steps":
                pending.login = None
            page = self._login_page(token, pending, "identifiant ou mot de passe incorrect")
            return _answer(start_response, "200 OK", page, _HTML)
        with self._lock:
            self._pending.pop(token, None)
        response_xml = self._authn_response(pending, login)
        posted = self.server.apply_binding(
            BINDING_POST,
            response_xml,
            destination=pending.acs_url,
            relay_state=pending.relay_state,
            response=True,
        )
        return _answer(start_response, "200 OK", posted["data"].encode("utf-8"), _HTML)

    # --- the response -------------------------------------------------------------------

    def _authn_response(self, pending: _Pending, login: str) -> str:
        """The Response pysaml2 builds for ``login``, with the variant's deliberate faults."""
        variant = self.variant
        identity = copy.deepcopy(self.users[login])
        name_id = None
        if variant["nameid_email"]:
            from saml2.saml import NameID

            mail = identity.get("mail", [f"{login}@ent-demo.example"])[0]
            name_id = NameID(format=NAMEID_EMAIL, text=mail)
        farg = None
        if variant["recipient"]:
            farg = _farg(
                pending.request_id if variant["in_response_to"] else None, variant["recipient"]
            )
        policy = None
        if variant["audience"]:
            policy = _audience_policy(self.config, variant["audience"])
        wrapping = variant["signature_wrapping"]
        response = self.server.create_authn_response(
            identity,
            in_response_to=pending.request_id if variant["in_response_to"] else None,
            destination=pending.acs_url,
            sp_entity_id=pending.sp_entity_id,
            name_id_policy=pending.name_id_policy,
            userid=login,
            name_id=name_id,
            authn={"class_ref": PASSWORD_PROTECTED_TRANSPORT, "authn_auth": self.entity_id},
            sign_response=variant["sign_response"] and not wrapping,
            sign_assertion=variant["sign_assertion"],
            sign_alg=RSA_SHA1 if variant["sha1"] else RSA_SHA256,
            digest_alg=DIGEST_SHA1 if variant["sha1"] else DIGEST_SHA256,
            release_policy=policy,
            farg=farg,
        )
        text = response if isinstance(response, str) else str(response)
        if wrapping:
            text = _wrap_signed_assertion(text)
        return text


# --- pysaml2 configuration --------------------------------------------------------------


def _idp_config(spec: Mapping[str, Any], base_url: str, entity_id: str) -> Any:
    from saml2.config import IdPConfig

    variant = spec["variant"]
    keys = spec["keys"]
    lifetime_s = int(variant["assertion_lifetime_s"])
    released = spec["released_attributes"]
    policy: dict[str, Any] = {
        "default": {
            "lifetime": {"seconds": lifetime_s},
            # Nothing to SPs without an agreement.
            "attribute_restrictions": {"__aucun__": None},
            "name_form": NAME_FORMAT_BASIC,
        },
    }
    for sp_entity_id, names in released.items():
        policy[sp_entity_id] = {
            "lifetime": {"seconds": lifetime_s},
            "attribute_restrictions": dict.fromkeys(names),
            "name_form": NAME_FORMAT_BASIC,
        }
    if not variant["sdet_attribute_map"]:
        # pysaml2's own maps: known names go out as OIDs (URI NameFormat), others bare.
        for entry in policy.values():
            entry["name_form"] = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
    name_id_formats = [NAMEID_EMAIL] if variant["nameid_email"] else [NAMEID_TRANSIENT]
    settings: dict[str, Any] = {
        "entityid": entity_id,
        "name": "ENT de démonstration (pysaml2)",
        "description": "Fournisseur d'identité de test de sdet-check",
        "service": {
            "idp": {
                "name": "ENT de démonstration (pysaml2)",
                "endpoints": {
                    "single_sign_on_service": [
                        (base_url + SSO_REDIRECT_PATH, BINDING_REDIRECT),
                    ],
                },
                "name_id_format": name_id_formats,
                "want_authn_requests_signed": bool(variant["require_signed_requests"]),
                "sign_response": bool(variant["sign_response"]),
                "sign_assertion": bool(variant["sign_assertion"]),
                "policy": policy,
            },
        },
        "key_file": keys["idp_key"],
        "cert_file": keys["idp_cert"],
        "xmlsec_binary": spec["xmlsec1"],
        "metadata": {"inline": [_sp_metadata(sp, spec) for sp in spec["service_providers"]]},
        "accepted_time_diff": 60,
        "signing_algorithm": RSA_SHA1 if variant["sha1"] else RSA_SHA256,
        "digest_algorithm": DIGEST_SHA1 if variant["sha1"] else DIGEST_SHA256,
        "organization": {
            "name": [("ENT de démonstration", "fr")],
            "display_name": [("ENT de démonstration (sdet-check)", "fr")],
            "url": [(base_url, "fr")],
        },
        "contact_person": [
            {
                "contact_type": "technical",
                "given_name": "Équipe sdet-check",
                "email_address": ["technique@sdet-check.example"],
            }
        ],
    }
    if variant["metadata_valid_hours"]:
        settings["valid_for"] = int(variant["metadata_valid_hours"])
    if variant["sdet_attribute_map"]:
        settings["attribute_map_dir"] = spec["attribute_map_dir"]
    config = IdPConfig()
    config.load(settings)
    return config


def _sp_metadata(sp: Mapping[str, Any], spec: Mapping[str, Any]) -> str:
    """What the IdP trusts about one service provider, as metadata pysaml2 generates."""
    from saml2.config import SPConfig
    from saml2.metadata import entity_descriptor

    settings = {
        "entityid": sp["entity_id"],
        "service": {
            "sp": {
                "endpoints": {
                    "assertion_consumer_service": [(url, BINDING_POST) for url in sp["acs_urls"]],
                },
                "authn_requests_signed": True,
                "name_id_format": sp["name_id_formats"],
            }
        },
        "cert_file": sp["cert_file"],
        "xmlsec_binary": spec["xmlsec1"],
    }
    config = SPConfig()
    config.load(settings)
    return str(entity_descriptor(config))


def _metadata_document(spec: Mapping[str, Any], config: Any) -> bytes:
    """The IdP metadata pysaml2 generates, with cacheDuration, signed unless told otherwise."""
    from saml2.config import Config
    from saml2.metadata import entity_descriptor, sign_entity_descriptor
    from saml2.sigver import security_context

    variant = spec["variant"]
    descriptor = entity_descriptor(config)
    if variant["metadata_cache_duration"]:
        descriptor.cache_duration = variant["metadata_cache_duration"]
    signer = variant["metadata_signature"]
    if signer == "none":
        return f'<?xml version="1.0" encoding="utf-8"?>\n{descriptor}'.encode()
    signing = Config()
    signing.key_file = spec["keys"]["metadata_key"]
    signing.cert_file = spec["keys"]["metadata_cert"]
    signing.xmlsec_binary = spec["xmlsec1"]
    signing.crypto_backend = config.crypto_backend
    _, signed = sign_entity_descriptor(
        descriptor, None, security_context(signing), RSA_SHA256, DIGEST_SHA256
    )
    text: str = signed
    return text.encode("utf-8")


def _farg(in_response_to: str | None, recipient: str) -> dict[str, Any]:
    """Subject confirmation arguments of pysaml2 with a chosen Recipient."""
    data: dict[str, Any] = {"recipient": recipient}
    if in_response_to is not None:
        data["in_response_to"] = in_response_to
    return {
        "assertion": {
            "subject": {
                "subject_confirmation": {
                    "method": "urn:oasis:names:tc:SAML:2.0:cm:bearer",
                    "subject_confirmation_data": data,
                }
            }
        }
    }


def _audience_policy(config: Any, audience: str) -> Any:
    """The configured release policy, restricting assertions to another audience."""
    from saml2 import saml
    from saml2.assertion import Policy

    base = config.getattr("policy", "idp")

    class _OtherAudience(Policy):  # type: ignore[misc]
        def conditions(self, sp_entity_id: str) -> Any:
            conditions = super().conditions(sp_entity_id)
            conditions.audience_restriction = [
                saml.AudienceRestriction(audience=[saml.Audience(text=audience)])
            ]
            return conditions

    other = _OtherAudience(mds=base.metadata_store)
    other._restrictions = base._restrictions
    return other


def _wrap_signed_assertion(response_xml: str) -> str:
    """Put a forged, unsigned assertion before the signed one (signature wrapping).

    The forged copy claims the teacher profile; a service provider that checks "a valid
    signature exists" and then reads the first assertion is fooled.
    """
    from lxml import etree

    root = etree.fromstring(response_xml.encode("utf-8"))
    signed = root.find(f"{{{NS_SAML}}}Assertion")
    if signed is None:
        return response_xml
    forged = copy.deepcopy(signed)
    for signature in forged.findall(f"{{{NS_DS}}}Signature"):
        forged.remove(signature)
    forged.set("ID", "_" + secrets.token_hex(16))
    for attribute in forged.iter(f"{{{NS_SAML}}}Attribute"):
        if attribute.get("Name") == "ENTPersonProfils":
            for value in attribute.findall(f"{{{NS_SAML}}}AttributeValue"):
                value.text = "National_DIR"
    signed.addprevious(forged)
    return etree.tostring(root, encoding="unicode")


# --- HTTP helpers -----------------------------------------------------------------------


def _read_form(environ: dict[str, Any]) -> dict[str, str]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(min(length, 65536)) if length > 0 else b""
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


def _page(title: str, body: str) -> bytes:
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
        f"{body}</body></html>"
    ).encode()


def _answer(
    start_response: StartResponse, status: str, body: bytes, content_type: str
) -> list[bytes]:
    start_response(
        status,
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
        ],
    )
    return [body]


if __name__ == "__main__":
    sys.exit(main(sys.argv))
