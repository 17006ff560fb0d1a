"""The shared login machinery: forms found as a person finds them, and the credentials rule.

These are units without a peer of their own (HTML parsing, a policy); the same code is run
against real CAS servers and IdPs in tests/probes/.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from probes.cas.answers import read_answer
from probes.cas.common import offered
from sdet_check.labels import CLEARTEXT_OPTION
from sdet_check.login import (
    CredentialsRule,
    LoginFormOverrides,
    RefusedLogins,
    describe_page,
    fill_login_forms,
    find_login_form,
    looks_like_html,
)
from sdet_check.probe import HostileResponse, NotTestable, ProbeContext, ProbeError
from sdet_check.target import load_target


def page(body: str | bytes, url: str = "https://cas.ent.example/cas/login", status: int = 200,
         content_type: str = "text/html; charset=utf-8") -> requests.Response:  # fmt: skip
    response = requests.Response()
    response._content = body.encode() if isinstance(body, str) else body
    response.status_code = status
    response.url = url
    response.headers["Content-Type"] = content_type
    return response


def context(tmp_path: Path, *, cleartext: bool = False) -> ProbeContext:
    file = tmp_path / "cible.yaml"
    file.write_text("format: 1\nname: t\n", encoding="utf-8")
    return ProbeContext(
        target=load_target(file, {}),
        network_timeout=1,
        deadline=time.monotonic() + 5,
        allow_cleartext_credentials=cleartext,
    )


# --- finding forms ---------------------------------------------------------------------------


def test_renamed_fields_hidden_inputs_and_the_submit_button() -> None:
    form = find_login_form(
        page(
            '<form method="post" action="/cas/login?service=S">'
            '<input type="hidden" name="execution" value="e1s1">'
            '<input type="hidden" name="_eventId" value="submit">'
            '<label for="i">Identifiant</label><input id="i" name="identifiant">'
            '<input type="password" name="motdepasse">'
            '<input type="submit" name="valider" value="Se connecter"></form>'
        )
    )
    assert form is not None
    assert (form.user_field, form.password_field) == ("identifiant", "motdepasse")
    assert form.action == "https://cas.ent.example/cas/login?service=S"
    data = form.filled("eleve", "secret")
    assert data == {
        "execution": "e1s1",
        "_eventId": "submit",
        "identifiant": "eleve",
        "motdepasse": "secret",
        "valider": "Se connecter",
    }


def test_the_login_field_is_told_from_other_text_inputs() -> None:
    form = find_login_form(
        page(
            '<form method="post"><input name="etablissement" value="0751234J">'
            '<input name="x1" autocomplete="username"><input type="password" name="p"></form>'
        )
    )
    assert form is not None and form.user_field == "x1"
    form = find_login_form(
        page(
            '<form method="post"><input name="code"><label>Courriel '
            '<input name="q7"></label><input type="password" name="p"></form>'
        )
    )
    assert form is not None and form.user_field == "q7"


def test_a_login_only_page_is_the_first_step_and_a_search_box_is_not_a_login() -> None:
    first = find_login_form(page('<form method="post"><input name="username"></form>'))
    assert first is not None and not first.asks_password and first.user_field == "username"
    assert find_login_form(page('<form action="/recherche"><input name="q"></form>')) is None


def test_the_target_names_fields_discovery_cannot_tell() -> None:
    body = '<form method="post"><input name="a"><input name="b"><input name="c"></form>'
    assert find_login_form(page(body)) is None
    overrides = LoginFormOverrides(user_field="b", password_field="c")
    form = find_login_form(page(body), overrides)
    assert form is not None and (form.user_field, form.password_field) == ("b", "c")


def test_a_refused_login_is_described_by_what_the_page_shows() -> None:
    text = describe_page(
        page(
            "<html><head><title>Connexion ENT</title></head><body>"
            '<div class="alert-danger">Identifiant ou mot de passe incorrect</div>'
            '<form method="post"><input name="user"><input type="password" name="pw"></form>'
            "</body></html>"
        )
    )
    assert "statut 200" in text and "Connexion ENT" in text
    assert "user (text), pw (password)" in text and "incorrect" in text


# --- the credentials rule ----------------------------------------------------------------------


def test_credentials_go_over_https_to_the_configured_host_only(tmp_path: Path) -> None:
    rule = CredentialsRule.for_server(
        "https://cas.ent.example/cas", context(tmp_path), what="le serveur CAS"
    )
    assert rule.refusal("https://cas.ent.example/portail/login") is None
    assert "hors du serveur configuré" in (rule.refusal("https://voleur.example/x") or "")
    assert "en clair" in (rule.refusal("http://cas.ent.example/cas/login") or "")
    # The opt-in is for plain-HTTP platforms: an HTTPS server never drops to HTTP.
    lenient = CredentialsRule.for_server(
        "https://cas.ent.example/cas", context(tmp_path, cleartext=True), what="le serveur CAS"
    )
    assert lenient.refusal("http://cas.ent.example/cas/login") is not None


@pytest.mark.parametrize(
    "action",
    [
        "https://voleur.example:8443\\@cas.ent.example/cas/login",  # urllib3 and urlsplit disagree
        "https://cas.ent.example@voleur.example/cas/login",  # user information
        "https://voleur.example/cas.ent.example/login",
        "https://cas.ent.example:8443/cas/login",  # another port: another service
        "https://cas.ent.example\t/cas/login",
        "https://[x/cas/login",
        "https://cas.ent.example:abc/cas/login",
        "//voleur.example/cas/login",
        "javascript:alert(1)",
    ],
)
def test_ambiguous_or_foreign_actions_are_refused(action: str, tmp_path: Path) -> None:
    rule = CredentialsRule.for_server("https://cas.ent.example/cas", context(tmp_path), what="CAS")
    assert rule.refusal(action) is not None


@pytest.mark.parametrize(
    "action",
    ["https://CAS.ent.example./cas/login", "https://cas.ent.example:443/login?x=%5C"],
)
def test_the_same_host_written_otherwise_is_the_same_host(action: str, tmp_path: Path) -> None:
    rule = CredentialsRule.for_server("https://cas.ent.example/cas", context(tmp_path), what="CAS")
    assert rule.refusal(action) is None


def test_tls_without_certificate_checks_needs_the_opt_in(tmp_path: Path) -> None:
    file = tmp_path / "cible.yaml"
    file.write_text("format: 1\nname: t\ntls:\n  verify: false\n", encoding="utf-8")
    unchecked = ProbeContext(
        target=load_target(file, {}), network_timeout=1, deadline=time.monotonic() + 5
    )
    with pytest.raises(NotTestable, match=r"tls\.verify: false"):
        CredentialsRule.for_server("https://cas.ent.example/cas", unchecked, what="CAS")


def test_a_refused_password_is_not_tried_again_in_the_run(tmp_path: Path) -> None:
    refusals = RefusedLogins()
    base = context(tmp_path)
    shared = ProbeContext(
        target=base.target, network_timeout=1, deadline=base.deadline, refused_logins=refusals
    )
    rule = CredentialsRule.for_server("https://cas.ent.example/cas", shared, what="CAS")
    form = page('<form method="post"><input name="u"><input type="password" name="p"></form>')
    posts: list[str] = []

    def submit(login_form: Any, data: dict[str, str]) -> requests.Response:
        posts.append(login_form.action)
        return form  # the form again: refused

    steps = fill_login_forms(
        form, login="eleve", password="x" * 12, rule=rule, submit=submit, done=lambda _: False
    )
    assert steps.refused and len(posts) == 1
    with pytest.raises(ProbeError, match="déjà refusé"):
        fill_login_forms(
            form, login="eleve", password="x" * 12, rule=rule, submit=submit, done=lambda _: False
        )
    assert len(posts) == 1


def test_a_plain_http_server_needs_the_opt_in_and_stays_on_its_host(tmp_path: Path) -> None:
    with pytest.raises(NotTestable, match=CLEARTEXT_OPTION):
        CredentialsRule.for_server("http://recette.example/cas", context(tmp_path), what="CAS")
    rule = CredentialsRule.for_server(
        "http://recette.example/cas", context(tmp_path, cleartext=True), what="CAS"
    )
    assert rule.refusal("http://recette.example/cas/login") is None
    assert rule.refusal("http://ailleurs.example/login") is not None


def test_declared_hosts_of_the_same_server_are_allowed(tmp_path: Path) -> None:
    rule = CredentialsRule.for_server(
        "https://ent.example/idp/metadata",
        context(tmp_path),
        what="l'IdP",
        also=["https://sso.ent.example/idp/SSO"],
        hosts=["connexion.ent.example"],
    )
    for url in ("https://sso.ent.example/login", "https://connexion.ent.example/login"):
        assert rule.refusal(url) is None


def test_no_form_is_submitted_to_a_refused_address(tmp_path: Path) -> None:
    rule = CredentialsRule.for_server("https://cas.ent.example/cas", context(tmp_path), what="CAS")
    sent: list[str] = []
    foreign = page(
        '<form method="post" action="https://voleur.example/collecte">'
        '<input name="username"><input type="password" name="password"></form>'
    )
    with pytest.raises(Exception, match="rien n'est envoyé"):
        fill_login_forms(
            foreign,
            login="eleve",
            password="secret",
            rule=rule,
            submit=lambda form, data: sent.append(form.action) or foreign,  # type: ignore[func-returns-value]
            done=lambda _: False,
        )
    assert sent == []


# --- CAS answers --------------------------------------------------------------------------------


def test_a_web_page_where_a_cas_answer_was_expected_is_not_an_attack() -> None:
    portal = page("<!DOCTYPE html><html><body>Portail</body></html>")
    assert looks_like_html(portal) and not offered(portal)
    assert read_answer(portal, "réponse").root.startswith("page HTML")
    assert not offered(page("", status=404))
    redirect = page("", status=302)
    redirect.headers["Location"] = "/portail"
    assert not offered(redirect)


def test_cas_1_answers_and_empty_bodies_are_read() -> None:
    yes = read_answer(page("yes\nlea\n", content_type="text/plain"), "validate")
    assert yes.succeeded and yes.user == "lea" and yes.version == 1
    no = read_answer(page("no\n\n", content_type="text/plain"), "validate")
    assert no.outcome == "authenticationFailure"
    assert read_answer(page("", content_type="text/xml"), "x").root.startswith("corps vide")


def test_a_doctype_with_entities_is_still_hostile() -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>'
    with pytest.raises(HostileResponse):
        read_answer(page(bomb, content_type="text/xml"), "réponse")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_any_body_is_read_or_refused_as_hostile(body: bytes) -> None:
    for kind in ("text/html", "text/xml", "text/plain"):
        response = page(body, content_type=kind)
        with contextlib.suppress(HostileResponse):
            read_answer(response, "réponse")
        find_login_form(response)
        describe_page(response)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["text", "password", "hidden", "email", "submit", "checkbox", ""]),
            st.text(min_size=1, max_size=12),
            st.text(max_size=12),
        ),
        max_size=8,
    )
)
def test_generated_forms_fill_only_their_own_fields(
    inputs: list[tuple[str, str, str]],
) -> None:
    def clean(text: str) -> str:
        return text.replace("'", "")

    fields = "".join(
        f"<input type='{kind}' name='{clean(name)}' value='{clean(value)}'>"
        for kind, name, value in inputs
    )
    body = f"<form method='post'>{fields}</form>"
    form = find_login_form(page(body))
    if form is None:
        return
    data = form.filled("LOGIN", "PASSWORD")
    assert set(data) == set(form.fields)
    if form.password_field is not None:
        assert data[form.password_field] == "PASSWORD"
    assert list(data.values()).count("PASSWORD") <= 1 + list(form.fields.values()).count("PASSWORD")
