"""Exports fetched from the live ENT, as each test account, under the credentials rule.

An account entry of the ``export`` section may give an address (``https://…``) instead of a
file. The probe then asks for it with a fresh browser session; when the ENT answers with a
login page (directly or after redirects), it logs in with that account of ``accounts[]``
through :func:`sdet_check.login.log_in_across` — the password goes only over HTTPS to the
host of the configured portal (``portal.url``) or CAS server (``cas.url``), or the hosts
``portal.login_form.hosts`` names — then asks again. The body is streamed to a file in a
temporary folder, with a size bound, and judged like a file handed in. Evidence records the
exchanges' addresses and statuses, never the bodies (they hold personal data) nor a form
post's values.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from probes.export.common import ExportSection
from sdet_check.evidence import note
from sdet_check.login import CredentialsRule, LoginFormOverrides, find_login_form, log_in_across
from sdet_check.messages import msg
from sdet_check.probe import (
    Evidence,
    HostileResponse,
    NotTestable,
    ProbeContext,
    ProbeError,
    ProbeTimeout,
    TargetUnreachable,
)
from sdet_check.transport import cause, read_bounded

MAX_DOWNLOAD_BYTES = 2 * 1024**3
"""Largest export downloaded (an archive of a whole account)."""

MAX_REDIRECTS = 10
"""Longest redirect chain followed when asking for an export."""

_CHUNK = 1024 * 1024


def is_url(value: str) -> bool:
    """Whether an export entry is an address to fetch rather than a file."""
    return urlsplit(value).scheme in ("http", "https")


def credentials_rule(context: ProbeContext) -> CredentialsRule:
    """The rule for logging in to download exports: the portal's and CAS server's hosts."""
    portal = context.target.section("portal")
    cas = context.target.section("cas")
    server = str(portal.get("url") or cas.get("url") or "")
    if not server:
        raise NotTestable(msg("export.download.credentials_rule.untestable"))
    overrides = LoginFormOverrides.from_section(portal)
    also = [str(cas["url"])] if cas.get("url") else []
    return CredentialsRule.for_server(
        server, context, what=msg("core.what.ent_portal"), also=also, hosts=overrides.hosts
    )


@contextmanager
def fetched(
    section: ExportSection, context: ProbeContext, kinds: tuple[str, ...], log: list[Evidence]
) -> Iterator[ExportSection]:
    """The section with every address of ``kinds`` replaced by a downloaded file.

    The files live in a temporary folder removed on exit; ``log`` receives the evidence.
    """
    raw_accounts = {
        str(entry.get("login")): entry
        for entry in context.target.section("export").get("accounts", ())
    }
    with tempfile.TemporaryDirectory(prefix="sdet-export-") as folder:
        accounts = []
        for account in section.accounts:
            files = dict(account.files)
            schema = account.table_schema
            entry = raw_accounts.get(account.login, {})
            also = ("table_schema",) if "table" in kinds else ()
            wanted = [k for k in (*kinds, *also) if is_url(str(entry.get(k, "")))]
            if wanted:
                session = _Session(context, account.login, log)
                for kind in wanted:
                    target = Path(folder) / account.login / kind
                    target.parent.mkdir(exist_ok=True)
                    session.download(str(entry[kind]), target)
                    if kind == "table_schema":
                        schema = target
                    else:
                        files[kind] = target
            accounts.append(replace(account, files=files, table_schema=schema))
        yield replace(section, accounts=tuple(accounts))


class _Session:
    """One account's browser session on the ENT: logs in once, then downloads."""

    def __init__(self, context: ProbeContext, login: str, log: list[Evidence]) -> None:
        self.context = context
        self.log = log
        self.browser = context.http_session()
        account = next((a for a in context.target.accounts if a.login == login), None)
        if account is None:
            raise NotTestable(msg("export.download.session.untestable", login=login))
        self.login = login
        self.password = account.password.reveal()
        self.rule = credentials_rule(context)
        self.logged_in = False

    def _fetch(self, method: str, url: str, data: Mapping[str, str] | None) -> requests.Response:
        answer = self._request(url, method, data)
        with answer:
            if answer.is_redirect or _is_html(answer):
                try:
                    read_bounded(answer, self.context)  # a page of the login: bounded, kept
                except requests.exceptions.RequestException as exc:
                    raise TargetUnreachable(
                        msg(
                            "export.download.session.unreachable",
                            detail=_short(url),
                            cause=cause(exc),
                        ),
                        *self.log,
                    ) from exc
            else:
                # The export itself, reached at the end of the login: streamed later.
                answer._content = b""
        self.log.append(
            note(
                msg(
                    "export.download.ev.session.note",
                    method=method,
                    detail=_short(url),
                    status_code=answer.status_code,
                ),
                url=url,
                status=answer.status_code,
            )
        )
        return answer

    def _page(self, url: str) -> requests.Response:
        answer = self._fetch("GET", url, None)
        for _ in range(MAX_REDIRECTS):
            location = answer.headers.get("Location")
            if answer.status_code not in (301, 302, 303, 307, 308) or not location:
                break
            answer = self._fetch("GET", urljoin(answer.url, location), None)
        return answer

    def download(self, url: str, target: Path) -> None:
        """Fetch ``url`` into ``target``, logging in first when the ENT asks."""
        if not self.logged_in and self._asks_login(url):
            page = self._page(url)
            if find_login_form(page) is not None:
                steps = log_in_across(
                    page,
                    login=self.login,
                    password=self.password,
                    rule=self.rule,
                    fetch=self._fetch,
                    record=self.log.append,
                )
                if steps.refused:
                    raise ProbeError(
                        msg("export.download.session.error", login=self.login, url=url),
                        *self.log,
                    )
        self.logged_in = True
        self._stream(url, target)

    def _asks_login(self, url: str) -> bool:
        """Whether the ENT answers ``url`` with a redirect or a page rather than the file."""
        answer = self._request(url)
        with answer:
            return answer.status_code in (301, 302, 303, 307, 308, 401, 403) or _is_html(answer)

    def _request(
        self, url: str, method: str = "GET", data: Mapping[str, str] | None = None
    ) -> requests.Response:
        timeout = self.context.call_timeout()
        try:
            return self.browser.request(
                method, url, data=data, timeout=timeout, stream=True, allow_redirects=False
            )
        except requests.exceptions.Timeout as exc:
            raise ProbeTimeout(
                msg("export.download.session.timeout", url=url, timeout=f"{timeout:.1f}")
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise TargetUnreachable(
                msg("export.download.session.unreachable_2", url=url, cause=cause(exc)), *self.log
            ) from exc

    def _stream(self, url: str, target: Path) -> None:
        answer = self._request(url)
        with answer:
            self.log.append(
                note(
                    msg(
                        "export.download.ev.session.note_2",
                        detail=_short(url),
                        status_code=answer.status_code,
                        get=answer.headers.get("Content-Type", "?"),
                    ),
                    url=url,
                    status=answer.status_code,
                )
            )
            if answer.status_code != 200 or _is_html(answer):
                raise ProbeError(
                    msg(
                        "export.download.session.error_2",
                        detail=_short(url),
                        login=self.login,
                        status_code=answer.status_code,
                        get=answer.headers.get("Content-Type", "?"),
                    ),
                    *self.log,
                )
            size = 0
            try:
                with target.open("wb") as out:
                    for chunk in answer.iter_content(_CHUNK):
                        size += len(chunk)
                        if size > MAX_DOWNLOAD_BYTES:
                            raise HostileResponse(
                                msg(
                                    "export.download.session.hostile",
                                    url=url,
                                    max_download_bytes=MAX_DOWNLOAD_BYTES,
                                ),
                                *self.log,
                            )
                        if self.context.remaining() <= 0:
                            raise ProbeTimeout(msg("export.download.session.timeout_2", url=url))
                        out.write(chunk)
            except requests.exceptions.RequestException as exc:
                raise TargetUnreachable(
                    msg("export.download.session.unreachable_2", url=url, cause=cause(exc)),
                    *self.log,
                ) from exc


def _is_html(answer: requests.Response) -> bool:
    return "text/html" in answer.headers.get("Content-Type", "")


def _short(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
