"""Health, PWA files, error pages and navigation per role."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from core.plugins import build_plugin_registry
from core.seed import DEMO_PASSWORD, DEMO_USERS, seed_demo
from tests.conftest import OrgFixture, login


async def test_health_and_readiness(client: AsyncTestClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": True, "pending_migrations": []}


async def test_manifest_and_service_worker(client: AsyncTestClient) -> None:
    manifest = await client.get("/manifest.webmanifest", headers={"accept-language": "zh-CN"})
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    data = manifest.json()
    assert data["display"] == "standalone" and data["start_url"].startswith("/")
    sizes = {(i["sizes"], i["purpose"]) for i in data["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    assert data["short_name"] == "后勤"
    for icon in data["icons"]:
        assert (await client.get(icon["src"])).status_code == 200
    sw = await client.get("/sw.js")
    assert sw.status_code == 200 and "javascript" in sw.headers["content-type"]
    assert "/offline" in sw.text
    offline = await client.get("/offline")
    assert offline.status_code == 200
    assert (await client.get("/static/vendor/htmx-2.0.11.min.js")).status_code == 200


async def test_offline_page_is_not_personal(client: AsyncTestClient, org: OrgFixture) -> None:
    await login(client, org.logins["employee"])
    page = await client.get("/offline")
    assert org.logins["employee"] not in page.text and "Employee" not in page.text


@pytest.mark.parametrize(("lang", "text"), [("zh-CN", "页面不存在"), ("en", "Not found")])
async def test_friendly_404_in_the_users_language(
    client: AsyncTestClient, lang: str, text: str
) -> None:
    response = await client.get("/no/such/page", headers={"accept-language": lang})
    assert response.status_code == 404
    assert text in response.text and "<html" in response.text


async def test_brand_css_only_takes_hex_colours(client: AsyncTestClient) -> None:
    ok = await client.get("/brand/0a7d5c.css")
    assert ok.status_code == 200 and "--brand:#0a7d5c" in ok.text
    assert (await client.get("/brand/red;}body{x.css")).status_code == 404


EXPECTED_NAV = {
    "employee": (
        {"/", "/requests", "/s/notices/", "/me"},
        {"/admin", "/admin/audit", "/approvals"},
    ),
    "approver": ({"/", "/requests", "/approvals", "/me"}, {"/admin", "/desk/post-audit"}),
    "agent": ({"/", "/requests", "/me"}, {"/admin", "/approvals"}),
    "dispatcher": ({"/", "/requests", "/me"}, {"/admin", "/approvals"}),
    "svcadmin": ({"/", "/s/notices/", "/me"}, {"/admin", "/approvals"}),
    "admin": ({"/", "/s/notices/", "/me", "/admin", "/approvals"}, set()),
    "auditor": ({"/", "/me", "/admin/audit", "/desk/post-audit"}, {"/admin", "/approvals"}),
}


async def test_each_demo_role_sees_the_right_navigation(client: AsyncTestClient, settings) -> None:
    await seed_demo(build_plugin_registry(settings.plugins_file))  # idempotent
    assert {login_.split("@")[0] for _role, login_, *_ in DEMO_USERS} == set(EXPECTED_NAV)
    for _role, login_, *_ in DEMO_USERS:
        role = login_.split("@")[0]
        client.cookies.clear()
        await login(client, login_, DEMO_PASSWORD)
        page = (await client.get("/me")).text
        tabbar = page.split('class="tabbar"', 1)[1].split("</nav>", 1)[0]
        tabs = {
            part.split('"', 1)[0]
            for part in tabbar.split('<a class="tabbar__item')[1:]
            for part in [part.split('href="', 1)[1]]
        }
        assert len(tabs) <= 5 and {"/", "/requests", "/me"} <= tabs, (role, tabs)
        more = page.split('id="more"', 1)[1].split("</nav>", 1)[0] if 'id="more"' in page else ""
        hrefs = tabs | {
            p.split('"', 1)[0] for p in more.split('href="')[1:] if not p.startswith("/static/")
        }
        present, absent = EXPECTED_NAV[role]
        assert present <= hrefs, (role, hrefs)
        assert not (absent & hrefs), (role, hrefs)
    # publishing is scoped: the notices service admin may publish, others may not
    client.cookies.clear()
    await login(client, "svcadmin@demo", DEMO_PASSWORD)
    assert (await client.get("/s/notices/new")).status_code == 200


def test_the_web_worker_runs_without_pydantic(tmp_path) -> None:
    # app_factory (granian's entry point) keeps pydantic out (8 MiB per worker); the
    # pages must not need it. The browser tests exercise the same factory end to end.
    import subprocess
    import sys

    from core.config import ROOT

    script = (
        "import sys\n"
        "from litestar.testing import TestClient\n"
        "from web.app import app_factory\n"
        "app = app_factory()\n"
        "with TestClient(app) as client:\n"
        "    assert client.get('/login').status_code == 200\n"
        "    assert client.get('/healthz').status_code == 200\n"
        "assert sys.modules['pydantic'] is None\n"
        "print('ok')\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "HOUQIN_VAR_DIR": str(tmp_path),
        "HOUQIN_DATABASE_URL": f"sqlite:///{tmp_path / 'w.sqlite3'}",
        "HOUQIN_JOBS_CRON": "0",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-2000:]


def test_template_gettext_matches_jinja_newstyle() -> None:
    # web.templating.page_gettext replaces Jinja's newstyle `_` for speed: same output.
    from jinja2 import Environment

    from core import i18n
    from web.templating import page_gettext

    i18n.set_locale("en")
    cases = [
        '{{ _("Done") }}',
        '{{ _("%(n)s items", n="<b>5</b>") }}',
        '{{ _("100%% sure") }}',
        '{{ _("Nothing here yet.") ~ "<i>" }}',
    ]
    for autoescape in (True, False):
        reference = Environment(extensions=["jinja2.ext.i18n"], autoescape=autoescape)  # noqa: S701
        reference.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
        ours = Environment(extensions=["jinja2.ext.i18n"], autoescape=autoescape)  # noqa: S701
        ours.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
        ours.globals["_"] = page_gettext
        for source in cases:
            expected = reference.from_string(source).render()
            assert ours.from_string(source).render() == expected, (source, autoescape)
