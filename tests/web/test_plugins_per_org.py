"""Switching a plugin off for one organisation removes it there and only there."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from core.identity.service import set_plugin_enabled
from tests.conftest import OrgFixture, login


async def test_disabled_plugin_vanishes_for_that_org_only(
    client: AsyncTestClient, org: OrgFixture, other_org: OrgFixture
) -> None:
    await set_plugin_enabled(org.id, "notices", False, None)

    await login(client, org.logins["employee"])
    home = await client.get("/")
    assert 'href="/s/notices/"' not in home.text
    assert (await client.get("/s/notices/")).status_code == 404
    assert (await client.get("/api/v1/s/notices/")).status_code == 404
    me = (await client.get("/api/v1/me")).json()
    assert "notices" not in me["enabled_plugins"]

    await login(client, other_org.logins["employee"])
    home = await client.get("/")
    assert 'href="/s/notices/"' in home.text
    assert (await client.get("/s/notices/")).status_code == 200

    await set_plugin_enabled(org.id, "notices", True, None)
    await login(client, org.logins["employee"])
    assert (await client.get("/s/notices/")).status_code == 200


async def test_admin_toggles_plugin_from_admin_page(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    from tests.conftest import post

    await login(client, org.logins["admin"])
    page = await client.get("/admin/plugins")
    assert "Notices" in page.text
    response = await post(client, "/admin/plugins/notices", {"enabled": ""})
    assert response.status_code == 303
    assert (await client.get("/s/notices/")).status_code == 404
    assert (await post(client, "/admin/plugins/nonexistent", {"enabled": "on"})).status_code == 404
    response = await post(client, "/admin/plugins/notices", {"enabled": "on"})
    assert (await client.get("/s/notices/")).status_code == 200


async def test_hooks_of_disabled_plugins_are_not_called(app, org: OrgFixture) -> None:
    registry = app.state.plugins
    everything = registry.hooks(None)
    without = registry.hooks(frozenset())
    codes = {p.code for group in everything.register_permissions() for p in group}
    assert "notices.publish" in codes
    assert "notices.publish" not in {
        p.code for group in without.register_permissions() for p in group
    }
    # core's own hooks still answer, the plugin's do not
    from core.identity.actor import Actor

    actor = Actor(
        user_id=1,
        org_id=org.id,
        org_slug="x",
        org_name="x",
        brand_colour="#000000",
        org_locale="en",
        time_zone="UTC",
        login="x",
        display_name="x",
        locale=None,
        department_id=None,
        grants=frozenset(),
        permissions=frozenset(),
        enabled_plugins=frozenset(),
    )
    tiles = [t.slug for group in without.home_tiles(actor=actor) for t in group]
    nav = [n.key for group in without.nav_items(actor=actor) for n in group]
    assert "notices" not in tiles and "notices" not in nav
    assert "home" in nav
    nav_all = [n.key for group in everything.nav_items(actor=actor) for n in group]
    assert "notices" in nav_all


async def test_concurrent_switches_leave_one_row(db, org: OrgFixture) -> None:
    import asyncio

    from core.tables import PluginSetting

    await asyncio.gather(
        *(set_plugin_enabled(org.id, "notices", i % 2 == 0, None) for i in range(8))
    )
    rows = await PluginSetting.select().where(
        (PluginSetting.org == org.id) & (PluginSetting.slug == "notices")
    )
    assert len(rows) == 1
