"""One visit of the portal, as its users make it, shared by every probe of the family.

The visit opens the public pages without an account, then for each test account of a
profile the target plans: signs in (:mod:`~probes.portal.signin`), opens the profile's
pages, reads the service menu, clicks the third-party connectors, requests the other
accounts' private pages with this session, and logs out. It records what the browser did
(final addresses, statuses, response headers, console messages, audience hits, axe-core
results, a masked screenshot) and the probes judge that record. The visit runs once per
target and run: the first probe that needs it pays for it, within its own deadline; the
others wait for it within theirs.
"""

from __future__ import annotations

import base64
import re
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from probes.portal.accessibility import AXE_RULES, axe_script
from probes.portal.browser import Guard, chromium, remaining_ms
from probes.portal.common import PortalSection, personal_strings, same_path
from probes.portal.signin import as_response, sign_in
from sdet_check.login import find_login_form
from sdet_check.messages import msg
from sdet_check.probe import Evidence, NotTestable, ProbeContext, ProbeError, ProbeTimeout
from sdet_check.target import Account

HIT_WAIT_S = 1.0
"""How long a page is given, after its load event, to send its audience hit."""

_PAGE_FACTS = """([logoutPattern, menuSelector]) => {
  const pattern = new RegExp(logoutPattern, "i");
  const controls = Array.from(document.querySelectorAll(
    "a, button, input[type=submit], input[type=button], [role=button], [role=menuitem]"));
  const named = (el) => [el.textContent, el.value, el.getAttribute("aria-label"),
    el.getAttribute("title")].filter(Boolean).join(" ");
  const logout = controls.filter((el) => pattern.test(named(el)) ||
    /logout|deconnexion|déconnexion/i.test(el.getAttribute("href") || ""));
  let menu = [];
  try {
    menu = Array.from(document.querySelectorAll(menuSelector)).map(
      (el) => (el.textContent || "").trim().replace(/\\s+/g, " ")).filter(Boolean);
  } catch (e) { menu = ["!" + String(e)]; }
  return {
    title: document.title, lang: document.documentElement.getAttribute("lang") || "",
    logout: logout.length, logoutLabel: logout.length ? named(logout[0]).trim() : "",
    menu: menu, password: document.querySelectorAll("input[type=password]").length,
    referrer: (document.querySelector("meta[name=referrer]") || {content: ""}).content || ""
  };
}"""

MASK_PAGE = """([secrets, mask]) => {
  const walker = document.createTreeWalker(document.body || document, NodeFilter.SHOW_TEXT);
  const personal = /user|utilisateur|nom|name|profil|account|compte|identite|identité/i;
  let node;
  while ((node = walker.nextNode())) {
    let text = node.nodeValue;
    for (const value of secrets) { if (value) { text = text.split(value).join(mask); } }
    const parent = node.parentElement;
    const marks = parent ? (parent.className + " " + parent.id) : "";
    if (personal.test(marks) && text.trim()) { text = mask; }
    node.nodeValue = text;
  }
  for (const input of document.querySelectorAll("input")) {
    if (input.type !== "hidden" && input.value) { input.value = mask; }
  }
}"""
"""Script that replaces personal strings, text of elements marked as the user's and typed
values with the mask, before a screenshot."""


@dataclass
class PageRecord:
    """What the browser did on one page."""

    url: str
    final_url: str = ""
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    title: str = ""
    lang: str = ""
    logout: bool = False
    logout_label: str = ""
    menu: list[str] = field(default_factory=list)
    password_form: bool = False
    meta_referrer: str = ""
    hits: list[dict[str, Any]] = field(default_factory=list)
    axe: list[dict[str, Any]] = field(default_factory=list)
    """axe-core violations of the mapped rules: rule, impact, help, nodes (target, html)."""
    axe_passes: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    """The requests the page made while it loaded (query strings cut)."""
    error: str | None = None

    def summary(self) -> dict[str, Any]:
        """The record as evidence data (no hits nor axe details)."""
        return {
            "url": self.url,
            "final_url": self.final_url,
            "status": self.status,
            "title": self.title,
            "lang": self.lang,
            "logout": self.logout_label or None,
            "console": self.console[:5],
            "requests": len(self.requests),
            "first_requests": self.requests[:8],
            "error": self.error,
        }


@dataclass
class AccountRecord:
    """One account's signed-in visit."""

    account: Account
    pages: list[PageRecord] = field(default_factory=list)
    menu: list[str] = field(default_factory=list)
    clicks: list[dict[str, Any]] = field(default_factory=list)
    """Third-party connectors clicked: label, the hits sent, where the browser went."""
    foreign: list[dict[str, Any]] = field(default_factory=list)
    """Other accounts' private pages requested with this session: owner, url, refused..."""
    own: list[dict[str, Any]] = field(default_factory=list)
    logout: dict[str, Any] = field(default_factory=dict)
    screenshot: str | None = None
    """The menu page, personal data masked, JPEG in base64."""
    login_evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Visit:
    """The whole visit: public pages, then each account."""

    public: list[PageRecord]
    accounts: list[AccountRecord]
    outside: list[str]
    blocked: list[str]
    seconds: float
    skipped: str | None = None
    """Why no account signed in (a plain-HTTP portal without the opt-in), if so."""
    axe_missing: str | None = None
    """Why axe-core did not run (not installed), if so."""

    def require_accounts(self) -> None:
        """Raise :class:`NotTestable` when the accounts were not visited."""
        if self.skipped is not None:
            raise NotTestable(self.skipped)


_CACHE: dict[int, tuple[threading.Event, list[Any]]] = {}
_CACHE_LOCK = threading.Lock()


def _drop(key: int) -> None:
    with _CACHE_LOCK:
        _CACHE.pop(key, None)


def shared_visit(context: ProbeContext) -> Visit:
    """The visit of ``context.target``, made once per target object and shared.

    A probe that finds the visit under way waits for it within its own deadline. A visit
    that failed fails every probe that asks for it, with the same reason.
    """
    key = id(context.target)
    with _CACHE_LOCK:
        entry = _CACHE.get(key)
        owner = entry is None
        if entry is None:
            entry = (threading.Event(), [])
            _CACHE[key] = entry
            # The visit lives as long as its target (a run): no id reuse, no leak.
            weakref.finalize(context.target, _drop, key)
    done, result = entry
    if owner:
        try:
            result.append(visit_portal(context))
        except Exception as failed:
            result.append(failed)
        finally:
            done.set()
    elif not done.wait(context.remaining()):
        raise ProbeTimeout(msg("portal.visit.shared_visit.timeout"))
    outcome = result[0]
    if isinstance(outcome, Exception):
        raise outcome
    assert isinstance(outcome, Visit)
    return outcome


def forget_visits() -> None:
    """Drop the shared visits (tests that reuse a target object)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def visit_portal(context: ProbeContext) -> Visit:
    """Visit the portal as its users do; bounded by ``context.deadline``."""
    section = PortalSection.of(context.target)
    deadline = context.deadline
    started = time.monotonic()
    accounts = section.accounts(context.target)
    skipped = None
    try:
        rule = section.credentials_rule(context) if accounts else None
    except NotTestable as refused:
        accounts, rule, skipped = (), None, str(refused)
    axe: str | None = None
    axe_missing: str | None = None
    try:
        axe = axe_script()
    except NotTestable as missing:  # the other probes still decide without axe-core
        axe_missing = str(missing)
    guard = Guard(allowed_hosts=section.hosts, collector=section.collector)
    public: list[PageRecord] = []
    records: list[AccountRecord] = []
    with chromium(deadline) as browser:
        browser_context = _new_context(browser, guard)
        page = browser_context.new_page()
        public.extend(_open(page, u, guard, section, deadline, axe) for u in section.public_pages)
        browser_context.close()
        for account in accounts:
            guard.password = account.password.reveal()
            guard.refusal = rule.refusal if rule is not None else None
            browser_context = _new_context(browser, guard)
            try:
                records.append(_visit_account(browser_context, account, section, context, guard))
            finally:
                guard.password = None
                browser_context.close()
    seconds = time.monotonic() - started
    return Visit(public, records, guard.outside, guard.blocked, seconds, skipped, axe_missing)


def _new_context(browser: Any, guard: Guard) -> Any:
    browser_context = browser.new_context(
        ignore_https_errors=True,  # trust is checked by Python against the target's CA
        locale="fr-FR",
        viewport={"width": 1024, "height": 640},
        service_workers="block",
    )
    browser_context.route("**/*", guard.handle)
    return browser_context


def _visit_account(
    browser_context: Any,
    account: Account,
    section: PortalSection,
    context: ProbeContext,
    guard: Guard,
) -> AccountRecord:
    deadline = context.deadline
    record = AccountRecord(account)
    page = browser_context.new_page()
    sign_in(page, section, account, context, deadline, record.login_evidence.append)
    plan = section.profiles[account.profile]
    menu_page: str | None = None
    for url in plan.pages:
        visited = _open(page, url, guard, section, deadline)
        record.pages.append(visited)
        if visited.menu and not record.menu:
            record.menu, menu_page = visited.menu, url
            record.screenshot = _screenshot(page, account)
    if menu_page is not None:
        for label in plan.tiers:
            record.clicks.append(_click_connector(page, menu_page, label, guard, deadline))
    for owner, urls in section.private_pages.items():
        for url in urls:
            answer = _request(page, url, deadline)
            answer["owner"] = owner
            (record.own if owner == account.login else record.foreign).append(answer)
    record.logout = _log_out(page, plan.pages[0], section, deadline)
    return record


def _open(
    page: Any,
    url: str,
    guard: Guard,
    section: PortalSection,
    deadline: float,
    axe: str | None = None,
) -> PageRecord:
    record = PageRecord(url)
    before = len(guard.hits)
    logged = len(guard.log)
    console: list[str] = []

    def listen(message: Any) -> None:
        if message.type in ("error", "warning"):
            console.append(f"{message.type}: {message.text[:200]}")

    page.on("console", listen)
    try:
        response = page.goto(url, wait_until="load", timeout=remaining_ms(deadline))
    except Exception as failed:
        if "Timeout" in type(failed).__name__ or "Timeout" in str(failed)[:80]:
            raise ProbeTimeout(msg("portal.visit.open.timeout", url=url)) from failed
        raise
    finally:
        page.remove_listener("console", listen)
    record.final_url = page.url
    if response is not None:
        record.status = response.status
        record.headers = {k.lower(): v for k, v in response.all_headers().items()}
    until = time.monotonic() + min(HIT_WAIT_S, max(0.0, deadline - time.monotonic()))
    while section.collector and len(guard.hits) == before and time.monotonic() < until:
        page.wait_for_timeout(50)
    record.hits = guard.hits[before:]
    record.requests = guard.log[logged:]
    facts = page.evaluate(_PAGE_FACTS, [section.logout_text, section.services_menu])
    record.title = str(facts["title"])
    record.lang = str(facts["lang"])
    record.logout = int(facts["logout"]) > 0
    record.logout_label = str(facts["logoutLabel"])
    record.menu = [str(item) for item in facts["menu"]]
    record.password_form = int(facts["password"]) > 0
    record.meta_referrer = str(facts["referrer"])
    record.console = console
    if axe is None:
        return record
    results = page.evaluate(
        "async ([source, rules]) => { if (!window.axe) { (0, eval)(source); }"
        " const r = await axe.run(document, {runOnly: {type: 'rule', values: rules},"
        " resultTypes: ['violations']});"
        " return {violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 10).map(n => ({target: n.target.join(' '),"
        " html: n.html.slice(0, 300)}))})), passes: r.passes.map(p => p.id)}; }",
        [axe, list(AXE_RULES)],
    )
    record.axe = list(results["violations"])
    record.axe_passes = list(results["passes"])
    return record


def _screenshot(page: Any, account: Account) -> str | None:
    try:
        page.evaluate(MASK_PAGE, [list(personal_strings(account)), "███"])
        shot = page.screenshot(type="jpeg", quality=40, timeout=5000)
    except Exception:
        return None  # evidence only: a screenshot that fails does not decide anything
    return base64.b64encode(shot).decode("ascii")


def _click_connector(
    page: Any, menu_page: str, label: str, guard: Guard, deadline: float
) -> dict[str, Any]:
    page.goto(menu_page, wait_until="load", timeout=remaining_ms(deadline))
    _settle(page, guard)
    before = len(guard.hits)
    link = page.get_by_role("link", name=label, exact=True)
    if link.count() == 0:
        return {"label": label, "found": False, "hits": []}
    start = page.url
    try:
        with page.expect_navigation(timeout=min(5000.0, remaining_ms(deadline))):
            link.first.click(timeout=remaining_ms(deadline))
    except Exception as failed:
        if "Timeout" not in type(failed).__name__:
            raise
    _settle(page, guard)
    return {
        "label": label,
        "found": True,
        "hits": guard.hits[before:],
        "from": start,
        "to": page.url,
    }


def _settle(page: Any, guard: Guard, quiet_s: float = 0.3, most_s: float = 1.5) -> None:
    """Let the page's pending hits reach the route (events are handled while Playwright waits)."""
    until = time.monotonic() + most_s
    count, quiet_since = len(guard.hits), time.monotonic()
    while time.monotonic() < until and time.monotonic() - quiet_since < quiet_s:
        page.wait_for_timeout(50)
        if len(guard.hits) != count:
            count, quiet_since = len(guard.hits), time.monotonic()


def _request(page: Any, url: str, deadline: float) -> dict[str, Any]:
    response = page.goto(url, wait_until="load", timeout=remaining_ms(deadline))
    status = response.status if response is not None else None
    login = find_login_form(as_response(page)) is not None
    redirected = not same_path(page.url, url)
    readable = status is not None and status < 400 and not redirected and not login
    return {
        "url": url,
        "status": status,
        "final_url": page.url,
        "login_form": login,
        "readable": readable,
    }


def _log_out(page: Any, protected: str, section: PortalSection, deadline: float) -> dict[str, Any]:
    page.goto(protected, wait_until="load", timeout=remaining_ms(deadline))
    pattern = re.compile(section.logout_text, re.IGNORECASE)
    control = page.get_by_role("link", name=pattern).or_(page.get_by_role("button", name=pattern))
    result: dict[str, Any] = {"page": protected, "control": control.count() > 0}
    if not result["control"]:
        return result
    try:
        with page.expect_navigation(wait_until="load", timeout=remaining_ms(deadline)):
            control.first.click(timeout=remaining_ms(deadline))
    except Exception as failed:
        if "Timeout" not in type(failed).__name__:
            raise
        raise ProbeError(msg("portal.visit.log_out.error", protected=protected)) from None
    result["after_logout"] = page.url
    again = _request(page, protected, deadline)
    result["protected_again"] = again
    if section.sso_login_url:
        page.goto(section.sso_login_url, wait_until="load", timeout=remaining_ms(deadline))
        result["sso"] = {
            "url": page.url,
            "asks_credentials": find_login_form(as_response(page)) is not None,
        }
    return result
