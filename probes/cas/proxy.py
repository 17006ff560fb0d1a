"""CAS proxying: ``/proxy`` and its errors, proxy tickets, the callback over HTTPS only (§2.7)."""

from __future__ import annotations

import secrets
import ssl
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import requests

from probes.cas.answers import CasAnswer, read_answer, validate
from probes.cas.common import (
    OPTIONAL_PARAM,
    CasProbe,
    CasSection,
    Recorder,
    cut,
    login_accounts,
    offered,
)
from probes.cas.flow import log_in
from sdet_check.messages import clauses, msg
from sdet_check.probe import NotTestable, Outcome, ProbeError
from sdet_check.target import Account


class Proxy(CasProbe):
    """CAS proxying: proxy tickets, ``/proxy`` errors, and the proxy callback over HTTPS only.

    ``check: tickets`` — ``/proxy`` without parameters answers ``cas:proxyFailure`` with
    ``INVALID_REQUEST`` and an unknown PGT gets a ``cas:proxyFailure`` (spec §2.7.2, §2.7.3);
    when the target describes a callback (``cas.callback`` with ``host``, ``cert_file``,
    ``key_file``), the probe also listens over HTTPS, validates a ticket with that
    ``pgtUrl``, receives the PGT, asks ``/proxy`` for a ticket for the other service and
    requires ``PT-…`` that ``proxyValidate`` accepts (spec §2.5.4, §2.7, §3.2.1).
    ``check: https_callback`` — the probe listens over plain HTTP on ``cas.callback.host``
    and validates a ticket with that ``http://`` ``pgtUrl``: the server must neither call it
    nor return a PGT IOU (spec §2.5.4: the pgtUrl MUST be HTTPS).
    ``/proxy`` absent (404/405/410/501) is ``not_applicable`` when ``optional``.
    """

    kind = "cas.proxy"
    title = "Délégation CAS (proxy) : tickets PT-, erreurs de /proxy, rappel pgtUrl en HTTPS"
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["check"],
        "properties": {
            "check": {"enum": ["tickets", "https_callback"]},
            "optional": OPTIONAL_PARAM,
        },
    }

    def decide(self, params: Mapping[str, Any], cas: CasSection, recorder: Recorder) -> Outcome:
        """Run the chosen proxy check."""
        account = login_accounts(recorder.context, None)[0]
        if params["check"] == "https_callback":
            return _http_callback(recorder, cas, account)
        return _proxy_tickets(recorder, cas, account, params.get("optional", False))


class _CallbackServer:
    """A loopback-or-LAN listener that plays a proxy callback (``pgtUrl``) and records calls."""

    def __init__(self, host: str, tls: ssl.SSLContext | None) -> None:
        calls: list[dict[str, list[str]]] = []
        self.calls = calls

        class Handler(BaseHTTPRequestHandler):
            timeout = 10

            def do_GET(self) -> None:
                calls.append(parse_qs(urlsplit(self.path).query))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Silent."""

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        shown = f"[{host}]" if ":" in host else host
        self.url = f"{scheme}://{shown}:{self.httpd.server_address[1]}/sdet-check/pgt-callback"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> _CallbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def received(self, name: str) -> list[str]:
        return [value for call in self.calls for value in call.get(name, [])]


@contextmanager
def _listening(cas: CasSection, *, https: bool) -> Iterator[_CallbackServer]:
    callback = cas.callback
    assert callback is not None
    tls = None
    if https:
        if callback.cert_file is None or callback.key_file is None:
            raise NotTestable(msg("cas.proxy.listening.untestable"))
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(callback.cert_file, callback.key_file)
    try:
        server = _CallbackServer(callback.host, tls)
    except OSError as exc:
        raise ProbeError(msg("cas.proxy.listening.error", host=callback.host, exc=exc)) from exc
    with server:
        yield server


def _proxy_tickets(
    recorder: Recorder, cas: CasSection, account: Account, optional: bool
) -> Outcome:
    back = recorder.back_channel()
    bare = back.get(cas.endpoint("proxy"))
    if not offered(bare):
        return recorder.not_offered("proxy", bare, optional)
    answer = read_answer(bare, "réponse proxy")
    if answer.outcome != "proxyFailure" or answer.code != "INVALID_REQUEST":
        recorder.problem(msg("cas.proxy.proxy_tickets.problem", shown=_shown(answer, bare)))
    target = cas.other_service or cas.service
    unknown_pgt = f"PGT-{secrets.token_hex(16)}"
    response = back.get(cas.endpoint("proxy"), {"pgt": unknown_pgt, "targetService": target})
    unknown = read_answer(response, "réponse proxy")
    if unknown.outcome != "proxyFailure":
        recorder.problem(msg("cas.proxy.proxy_tickets.problem_2", shown=_shown(unknown, response)))
    if unknown.proxy_ticket:
        recorder.problem(msg("cas.proxy.proxy_tickets.problem_3"))
    issued = ""
    if cas.callback is None:
        recorder.note(msg("cas.proxy.ev.proxy_tickets.note"))
    else:
        issued = _issue_proxy_ticket(recorder, cas, account, target)
    if recorder.problems:
        return recorder.failed(
            msg("cas.proxy.proxy_tickets.failed", problems=clauses(recorder.problems))
        )
    if cas.callback is None:
        raise NotTestable(msg("cas.proxy.proxy_tickets.untestable"))
    return recorder.passed(msg("cas.proxy.proxy_tickets.passed", issued=issued))


def _shown(answer: CasAnswer, response: requests.Response) -> str:
    """An answer in a message, with its HTTP status when it is not a 200."""
    shown = answer.describe()
    return shown if response.status_code == 200 else f"statut {response.status_code}, {shown}"


def _issue_proxy_ticket(recorder: Recorder, cas: CasSection, account: Account, target: str) -> str:
    """Obtain a PGT through an HTTPS callback, then a PT; record problems, return the PT (cut)."""
    with _listening(cas, https=True) as callback:
        ticket = log_in(recorder.browser(), cas, account, cas.service).ticket
        answer = validate(
            recorder, cas, "serviceValidate", cas.service, ticket, pgt_url=callback.url
        )
        pgt_ids = callback.received("pgtId")
        ious = callback.received("pgtIou")
    if not answer.succeeded or not answer.proxy_granting_ticket:
        raise ProbeError(
            msg("cas.proxy.issue_proxy_ticket.error", url=callback.url, describe=answer.describe())
        )
    if answer.proxy_granting_ticket not in ious or not pgt_ids:
        recorder.problem(msg("cas.proxy.issue_proxy_ticket.problem"))
        return ""
    recorder.note(
        msg("cas.proxy.ev.issue_proxy_ticket.note"),
        pgtIou=cut(answer.proxy_granting_ticket),
        pgtId=cut(pgt_ids[-1]),
    )
    response = recorder.back_channel().get(
        cas.endpoint("proxy"), {"pgt": pgt_ids[-1], "targetService": target}
    )
    proxied = read_answer(response, "réponse proxy")
    if proxied.outcome != "proxySuccess" or not proxied.proxy_ticket:
        recorder.problem(
            msg("cas.proxy.issue_proxy_ticket.problem_2", shown=_shown(proxied, response))
        )
        return ""
    if not proxied.proxy_ticket.startswith("PT-"):
        recorder.problem(
            msg("cas.proxy.issue_proxy_ticket.problem_3", cut=cut(proxied.proxy_ticket))
        )
    checked = validate(recorder, cas, "proxyValidate", target, proxied.proxy_ticket)
    if not checked.succeeded:
        recorder.problem(msg("cas.proxy.issue_proxy_ticket.problem_4", describe=checked.describe()))
    return cut(proxied.proxy_ticket)


def _http_callback(recorder: Recorder, cas: CasSection, account: Account) -> Outcome:
    if cas.callback is None:
        raise NotTestable(msg("cas.proxy.http_callback.untestable"))
    with _listening(cas, https=False) as callback:
        ticket = log_in(recorder.browser(), cas, account, cas.service).ticket
        answer = validate(
            recorder, cas, "serviceValidate", cas.service, ticket, pgt_url=callback.url
        )
        pgt_ids = callback.received("pgtId")
    recorder.note(
        msg("cas.proxy.ev.http_callback.note", url=callback.url, count=len(callback.calls)),
        url=callback.url,
        calls=len(callback.calls),
        pgtId=[cut(p) for p in pgt_ids],
    )
    if pgt_ids:
        recorder.problem(msg("cas.proxy.http_callback.problem", url=callback.url))
    if answer.proxy_granting_ticket:
        recorder.problem(msg("cas.proxy.http_callback.problem_2"))
    return recorder.verdict(
        msg("cas.proxy.http_callback.verdict"),
        msg("cas.proxy.http_callback.verdict_2", url=callback.url, describe=answer.describe()),
    )
