"""Journeys through the real app in a phone-sized chromium: sign-in, admin, language, PWA.

The server is seeded with the demo organisation (``houqin seed-demo``). Tests that change
it (plugins, language) put it back as they found it, also when they fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Page, expect

from core.config import ROOT
from core.seed import DEMO_PASSWORD
from tests.e2e.conftest import Phone

pytestmark = pytest.mark.browser

EMPLOYEE = "employee@demo"
ADMIN = "admin@demo"
NOTICES = "/s/notices/"
LANG_SELECT = ".lang-switch select[name=lang]"
ZH_PO = ROOT / "core" / "locale" / "zh_CN" / "LC_MESSAGES" / "messages.po"

CACHED_URLS_JS = """async () => {
  const out = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    out[name] = (await cache.keys()).map((r) => new URL(r.url).pathname);
  }
  return out;
}"""

CSP_LISTENER_JS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push({
    directive: e.violatedDirective, blocked: e.blockedURI,
    source: e.sourceFile, line: e.lineNumber, sample: e.sample,
  });
});
"""


@cache
def zh(msgid: str) -> str:
    """The zh_CN translation of ``msgid``, read from the catalog (not guessed)."""
    with ZH_PO.open("rb") as f:
        catalog = read_po(f, locale="zh_CN")
    message = catalog.get(msgid)
    assert message is not None and message.string, f"{msgid!r} is not translated in {ZH_PO}"
    return str(message.string)


def sign_in(phone: Phone, login: str, password: str = DEMO_PASSWORD) -> Page:
    page = phone.page
    page.goto(phone.url("/login"))
    page.locator("#f-login").fill(login)
    page.locator("#f-password").fill(password)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(phone.url("/"))
    return page


def nav_labels(page: Page) -> list[str]:
    return [t.strip() for t in page.locator("nav.tabbar a.tabbar__item").all_inner_texts()]


def wait_until_controlled(page: Page) -> None:
    """The service worker is active and controls ``page`` (one reload if it needs one)."""
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    try:
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=3000)
    except Exception:
        page.reload()
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=5000)


def cached_paths(page: Page) -> dict[str, list[str]]:
    return page.evaluate(CACHED_URLS_JS)


# -- journeys --------------------------------------------------------------------------


def test_employee_signs_in_on_phone_and_sees_tiles_and_nav(phone: Phone, tmp_path: Path) -> None:
    page = phone.page
    page.goto(phone.url("/"))
    expect(page).to_have_url(re.compile(r"/login(\?|$)"))

    page.locator("#f-login").fill(EMPLOYEE)
    page.locator("#f-password").fill(DEMO_PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()

    page.wait_for_url(phone.url("/"))
    expect(page.locator(".greeting__ask")).to_have_text("需要办理什么？")
    expect(page.locator(f".tiles a.tile[href='{NOTICES}']")).to_be_visible()
    labels = nav_labels(page)
    for label in ("首页", "我的申请", "我的"):
        assert label in labels, labels
    assert "审批" not in labels and len(labels) <= 5, labels
    page.screenshot(path=str(tmp_path / "employee-home.png"), full_page=True)


def test_admin_sees_admin_nav_and_can_switch_a_plugin_off_and_on(phone: Phone) -> None:
    page = sign_in(phone, ADMIN)
    assert "审批" in nav_labels(page)
    page.goto(phone.url("/me"))
    expect(page.locator("#more a[href='/admin']")).to_be_visible()
    form = page.locator("form[action='/admin/plugins/notices']")
    switch = form.locator("button[type=submit]")
    # The hidden field holds what the button would do: "" = switch off, "on" = switch on.
    would_enable = form.locator("input[name=enabled]")
    try:
        page.goto(phone.url("/admin/plugins"))
        expect(would_enable).to_have_value("")  # notices is on
        switch.click()
        expect(page.locator("#toasts .toast")).to_be_visible()
        expect(would_enable).to_have_value("on")  # now off

        response = page.goto(phone.url(NOTICES))
        assert response is not None and response.status == 404, response and response.status

        page.goto(phone.url("/"))
        expect(page.locator(".greeting__ask")).to_be_visible()
        expect(page.locator(f"a[href='{NOTICES}']")).to_have_count(0)
        page.goto(phone.url("/me"))
        expect(page.locator(f"#more a[href='{NOTICES}']")).to_have_count(0)
    finally:
        # Leave the demo organisation as found: notices on.
        page.goto(phone.url("/admin/plugins"))
        if would_enable.input_value() == "on":
            switch.click()
            expect(would_enable).to_have_value("")
    response = page.goto(phone.url(NOTICES))
    assert response is not None and response.status == 200


@contextmanager
def employee_on_me_page(phone: Phone) -> Iterator[Page]:
    """Signed in as the employee on /me in Chinese; set back to 简体中文 afterwards."""
    page = sign_in(phone, EMPLOYEE)
    page.goto(phone.url("/me"))
    try:
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        yield page
    finally:
        page.goto(phone.url("/me"))
        lang = page.locator(LANG_SELECT)
        if lang.input_value() != "zh_CN":
            lang.select_option(value="zh_CN")
            expect(page.get_by_role("button", name=zh("Sign out"))).to_be_visible()
        page.reload()
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_language_switch_to_english(phone: Phone) -> None:
    with employee_on_me_page(phone) as page:
        page.locator(LANG_SELECT).select_option(label="English")  # app.js submits on change
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        expect(page.locator(LANG_SELECT)).to_have_value("en")
        # The choice is stored: a fresh load of the page is English through and through.
        page.reload()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        page.goto(phone.url("/"))
        expect(page.locator(".greeting__ask")).to_have_text("What do you need?")


def test_language_switch_updates_html_lang_in_place(phone: Phone) -> None:
    with employee_on_me_page(phone) as page:
        page.locator(LANG_SELECT).select_option(label="English")
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", "en", timeout=2000)


def test_pwa_is_installable_and_service_worker_controls_page(phone_profile: Phone) -> None:
    phone = phone_profile  # installability needs a real profile, see conftest
    page = phone.page
    page.goto(phone.url("/login"))
    wait_until_controlled(page)

    response = page.request.get(phone.url("/manifest.webmanifest"))
    assert response.status == 200
    manifest: dict[str, Any] = response.json()
    assert manifest["name"]
    assert manifest["display"] == "standalone"
    assert manifest["start_url"].startswith("/")
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes, manifest["icons"]
    assert any("maskable" in icon.get("purpose", "").split() for icon in manifest["icons"])

    cdp = phone.context.new_cdp_session(page)
    try:
        result = cdp.send("Page.getInstallabilityErrors")
    finally:
        cdp.detach()
    errors = result.get("installabilityErrors")
    assert errors == [], f"not installable: {errors}"

    caches = cached_paths(page)
    assert any("/offline" in paths for paths in caches.values()), caches

    # Personal pages are never stored, also after visiting them signed in.
    sign_in(phone, EMPLOYEE)
    page.goto(phone.url("/me"))
    expect(page.get_by_role("button", name=zh("Sign out"))).to_be_visible()
    caches = cached_paths(page)
    assert any("/offline" in paths for paths in caches.values()), caches
    for paths in caches.values():
        personal = [p for p in paths if p == "/" or p.startswith(("/me", "/admin", "/s/", "/api"))]
        assert not personal, caches


def test_offline_page_shown_when_network_is_down(phone: Phone) -> None:
    page = phone.page
    page.goto(phone.url("/login"))
    wait_until_controlled(page)
    expected = zh("You are offline")
    phone.context.set_offline(True)
    try:
        page.goto(phone.url("/"))
        expect(page.locator("h1")).to_have_text(expected)
    finally:
        phone.context.set_offline(False)
    page.goto(phone.url("/"))
    expect(page).to_have_url(re.compile(r"/login(\?|$)"))


def test_no_console_errors_and_no_csp_violations_on_main_pages(phone: Phone) -> None:
    page = phone.page
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"console error on {page.url}: {m.text}") if m.type == "error" else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"uncaught error on {page.url}: {e}"))
    phone.context.add_init_script(CSP_LISTENER_JS)

    def visit(path: str) -> None:
        response = page.goto(phone.url(path))
        assert response is not None and response.status == 200, (path, response and response.status)
        page.wait_for_load_state("networkidle")
        violations = page.evaluate("() => window.__csp")
        assert isinstance(violations, list), f"CSP listener missing on {path}"
        for v in violations:
            problems.append(f"CSP violation on {path}: {v}")

    visit("/login")
    sign_in(phone, EMPLOYEE)
    for path in ("/", "/me", NOTICES):
        visit(path)
    phone.context.clear_cookies()
    sign_in(phone, ADMIN)
    for path in ("/admin", "/admin/users", "/admin/departments", "/admin/plugins", "/admin/audit"):
        visit(path)
    assert not problems, "\n".join(problems)


def test_request_submitted_on_phone_updates_live_on_a_second_device(
    phone: Phone, browser: Any
) -> None:
    """Submit on the phone, keep its page open, cancel it from a second device: the
    first page shows the new status without a reload (SSE + htmx)."""
    page = sign_in(phone, EMPLOYEE)
    page.goto(phone.url("/new/general"))
    page.locator("label.choice-chip", has_text=zh("Cleaning")).click()
    page.locator("#f-title").fill("会议室 A 需要打扫")
    page.locator("form.request-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/requests/ZH-\d{8}-\d{4}$"))
    number = page.url.rsplit("/", 1)[1]
    # the demo's general team takes it at once
    expect(page.locator("#live .request-head .status")).to_have_text(zh("Assigned"))
    # wait until the page's event stream is connected before acting elsewhere
    page.wait_for_function("() => !!document.querySelector('[sse-connect]') && !!htmx")
    page.wait_for_timeout(500)

    other = browser.new_context(**{"viewport": {"width": 390, "height": 844}, "locale": "zh-CN"})
    try:
        second = other.new_page()
        second.goto(phone.url("/login"))
        second.locator("#f-login").fill(EMPLOYEE)
        second.locator("#f-password").fill(DEMO_PASSWORD)
        second.locator("form[action='/login'] button[type=submit]").click()
        second.wait_for_url(phone.url("/"))
        second.goto(phone.url(f"/requests/{number}"))
        # cancel is a secondary button that opens a sheet with the question and reason
        expect(second.locator("button[data-action=cancel]")).to_be_hidden()
        second.locator("[data-action-open=cancel]").click()
        second.locator("#f-note-cancel").fill("不需要了")
        second.locator("button[data-action=cancel]").click()
        expect(second.locator("#live .request-head .status")).to_have_text(zh("Cancelled"))
    finally:
        other.close()
    # the first device, untouched, follows within a second or so
    expect(page.locator("#live .request-head .status")).to_have_text(zh("Cancelled"), timeout=3000)
    expect(page.locator("#live .timeline")).to_contain_text(zh("Cancelled"))
