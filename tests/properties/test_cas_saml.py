"""Properties of the CAS and SAML parsers: service responses, login forms, metadata, assertions.

Imports go through the names probes/cas.py and probes/saml.py have today (the lead is
splitting both into packages: retarget the imports below after the split).
"""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape, quoteattr

import requests
from hypothesis import example, given
from hypothesis import strategies as st
from lxml import etree

from probes.cas.answers import parse_cas
from probes.cas.common import CAS_NS
from probes.saml.assertions import read_attributes, window
from probes.saml.common import NS, parse_instant
from probes.saml.metadata import IdpMetadata, idp_entity
from sdet_check.login import find_login_form
from sdet_check.probe import Evidence, HostileResponse
from sdet_check.xmlsafe import parse_hostile_xml
from tests.strategies import budget


def _response(body: bytes, url: str = "https://cas.ent.invalid/cas/login") -> requests.Response:
    response = requests.Response()
    response._content = body
    response.status_code = 200
    response.url = url
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    return response


xml_text = st.text(
    st.characters(
        codec="utf-8",
        exclude_categories=("Cs", "Cc"),
        exclude_characters="\ufffe\uffff",
    ),
    max_size=15,
)
names = st.from_regex(r"\A[A-Za-z][A-Za-z0-9_-]{0,10}\Z")

# --- CAS service responses ------------------------------------------------------------------

CAS_FRAGMENTS = [
    f"<cas:serviceResponse xmlns:cas='{CAS_NS}'>", "</cas:serviceResponse>",
    "<cas:authenticationSuccess>", "</cas:authenticationSuccess>", "<cas:user>eleve</cas:user>",
    "<cas:authenticationFailure code='INVALID_TICKET'>", "</cas:authenticationFailure>",
    "<cas:attributes>", "</cas:attributes>", "<cas:uid>1</cas:uid>", "<cas:proxySuccess>",
    "<cas:proxyTicket>PT-1</cas:proxyTicket>", "</cas:proxySuccess>", "<cas:proxies>",
    "<cas:proxy>https://p</cas:proxy>", "</cas:proxies>", "<x>", "</x>", "&amp;", "<!DOCTYPE x>",
    "<cas:attribute name='a' value='b'/>", "texte",
]  # fmt: skip


@budget(ci=12000)
@given(
    st.one_of(
        st.binary(max_size=100),
        st.lists(st.sampled_from(CAS_FRAGMENTS), max_size=12).map(lambda p: "".join(p).encode()),
    )
)
def test_cas_response_parses_or_is_hostile(body: bytes) -> None:
    try:
        answer = parse_cas(_response(body), "réponse serviceValidate")
    except HostileResponse:
        return
    assert isinstance(answer.describe(), str)
    assert isinstance(answer.evidence("résumé"), Evidence)


@budget(ci=500)
@given(
    xml_text.filter(lambda u: u.strip() == u and u),
    # An empty value is not a released value, a repeated one is released once.
    st.dictionaries(
        names,
        st.lists(
            xml_text.filter(lambda v: v.strip() == v and v), min_size=1, max_size=3, unique=True
        ),
        max_size=4,
    ),
)
def test_cas_success_reads_back_user_and_attributes(
    user: str, attributes: dict[str, list[str]]
) -> None:
    inner = "".join(
        f"<cas:{name}>{escape(value)}</cas:{name}>"
        for name, values in attributes.items()
        for value in values
    )
    body = (
        f"<cas:serviceResponse xmlns:cas='{CAS_NS}'><cas:authenticationSuccess>"
        f"<cas:user>{escape(user)}</cas:user><cas:attributes>{inner}</cas:attributes>"
        "</cas:authenticationSuccess></cas:serviceResponse>"
    ).encode()
    answer = parse_cas(_response(body), "réponse serviceValidate")
    assert answer.outcome == "authenticationSuccess"
    assert answer.user == user
    released = {**answer.attributes, **answer.protocol_attributes}
    for name, values in attributes.items():
        assert released.get(name) == values, name


# --- login forms -------------------------------------------------------------------------------

HTML_FRAGMENTS = [
    "<form method='post' action='/cas/login'>", "<form>", "</form>",
    "<input type='password' name='password'>", "<input name='username'>",
    "<input type='hidden' name='lt' value='LT-1'>", "<select name='s'>",
    "<option value='1' selected>", "</select>", "<textarea name='t'>x</textarea>",
    "<input type='checkbox' name='c' checked>", "<input type='submit' name='go'>",
    "<input name=''>",
    "<base href='https://evil.invalid/'>", "<form action='javascript:x'>", "<", "&", "<!--", "\x00",
]  # fmt: skip


@budget(ci=7000)
@given(
    st.one_of(
        st.binary(max_size=120),
        st.lists(st.sampled_from(HTML_FRAGMENTS), max_size=15).map(lambda p: "".join(p).encode()),
    )
)
def test_login_form_search_finds_a_form_or_none(body: bytes) -> None:
    form = find_login_form(_response(body))
    if form is not None:
        assert form.method == form.method.upper()
        if form.asks_password:
            assert form.password_field in form.fields
        else:  # the first step of a two-step login: one login field
            assert form.user_field in form.fields


def _form_page(hidden: dict[str, str], method: str, head: str) -> bytes:
    inputs = "".join(
        f"<input type='hidden' name={quoteattr(n)} value={quoteattr(v)}>" for n, v in hidden.items()
    )
    return (
        f"<html><head>{head}</head><body>"
        f"<form method='{method}' action='/cas/login?service=x'>{inputs}"
        "<input type='password' name='password'><input type='submit' name='go'></form>"
        "</body></html>"
    ).encode()


hidden_fields = st.dictionaries(names.filter(lambda n: n != "password"), xml_text, max_size=5)


@budget(ci=400)
@given(hidden_fields, st.sampled_from(["post", "POST", "get"]))
def test_login_form_fields_read_back(hidden: dict[str, str], method: str) -> None:
    body = _form_page(hidden, method, "<meta charset='utf-8'>")
    form = find_login_form(_response(body))
    assert form is not None
    assert form.method == method.upper()
    assert form.action == "https://cas.ent.invalid/cas/login?service=x"
    assert {k: v for k, v in form.fields.items() if k not in ("password", "go")} == {
        k: v.replace("\r", "") for k, v in hidden.items()
    }
    # The submit button is sent as a click would send it.
    assert form.field_types["password"] == "password" and form.field_types["go"] == "submit"


@budget(ci=100)
@given(hidden_fields)
@example({"execution": "é\xa0"})
def test_login_form_fields_read_back_with_the_header_charset(hidden: dict[str, str]) -> None:
    form = find_login_form(_response(_form_page(hidden, "post", "")))
    assert form is not None
    assert {k: v for k, v in form.fields.items() if k not in ("password", "go")} == {
        k: v.replace("\r", "") for k, v in hidden.items()
    }


# --- SAML metadata and assertions ----------------------------------------------------------------


@budget(ci=800)
@given(
    st.lists(st.tuples(xml_text, xml_text), max_size=4),
    st.lists(xml_text.filter(lambda f: f.strip() == f and f), max_size=3),
    st.booleans(),
)
def test_metadata_services_and_formats_read_back(
    services: list[tuple[str, str]], formats: list[str], wrapped: bool
) -> None:
    sso = "".join(
        f"<md:SingleSignOnService Binding={quoteattr(b)} Location={quoteattr(loc)}/>"
        for b, loc in services
    )
    nameids = "".join(f"<md:NameIDFormat>{escape(f)}</md:NameIDFormat>" for f in formats)
    entity = (
        f"<md:EntityDescriptor xmlns:md='{NS['md']}' entityID='https://idp.invalid/'>"
        "<md:IDPSSODescriptor protocolSupportEnumeration='urn:oasis:names:tc:SAML:2.0:protocol'>"
        f"{nameids}{sso}</md:IDPSSODescriptor></md:EntityDescriptor>"
    )
    if wrapped:
        entity = f"<md:EntitiesDescriptor xmlns:md='{NS['md']}'>{entity}</md:EntitiesDescriptor>"
    document = parse_hostile_xml(entity.encode())
    found = idp_entity(document)
    assert found is not None
    metadata = IdpMetadata("https://idp.invalid/md", document, found, Evidence("note", "m"))
    assert metadata.entity_id == "https://idp.invalid/"
    assert metadata.sso_services() == [(b, loc) for b, loc in services]
    assert metadata.nameid_formats() == formats


@budget(ci=800)
@given(st.dictionaries(xml_text, st.lists(xml_text, max_size=3), max_size=4))
def test_assertion_attributes_read_back(attributes: dict[str, list[str]]) -> None:
    statement = "".join(
        f"<saml:Attribute Name={quoteattr(name)}>"
        + "".join(f"<saml:AttributeValue>{escape(v)}</saml:AttributeValue>" for v in values)
        + "</saml:Attribute>"
        for name, values in attributes.items()
    )
    assertion = etree.fromstring(
        f"<saml:Assertion xmlns:saml='{NS['saml']}'><saml:AttributeStatement>{statement}"
        "</saml:AttributeStatement></saml:Assertion>"
    )
    released = read_attributes(assertion)
    assert set(released) == set(attributes)
    for name, values in attributes.items():
        assert released[name].values == tuple(v.strip() for v in values)


instants = st.one_of(
    st.text(max_size=30),
    st.datetimes(timezones=st.none() | st.timezones()).map(lambda d: d.isoformat()),
    st.sampled_from(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59+00:00", "2026-02-30T00:00:00"]),
)


@budget(ci=6000)
@given(instants)
def test_saml_instants_parse_or_are_none(value: str) -> None:
    moment = parse_instant(value)
    assert moment is None or moment.tzinfo is not None


@budget(ci=300)
@given(instants, instants, st.integers(0, 600))
@example("0001-01-01T00:00:00Z", None, 180)
@example(None, "9999-12-31T23:59:59+00:00", 180)
def test_conditions_window_judges_any_instants(
    start: str | None, end: str | None, skew_s: int
) -> None:
    now = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)
    problems = window("assertion", start, end, now, dt.timedelta(seconds=skew_s))
    assert all(isinstance(p, str) for p in problems)
