"""One navigation registry: every desk page shows the same desk menu and every admin page
the same admin menu, both from nav_items (core's own entries too), with the current page
marked; the phone app keeps only its own surface."""

from __future__ import annotations

import re

import pytest
from litestar.testing import AsyncTestClient

from core.descriptors import NavItem
from core.tables import Team
from tests.conftest import login, make_org
from web.templating import on_surface, split_navigation

ROLES = {
    "admin": ("employee", "org_admin"),
    "dispatcher": ("employee", "dispatcher"),
    "employee": ("employee",),
}


def _menu(html: str) -> list[str]:
    nav = re.search(r'<aside class="sidenav".*?<nav>(.*?)</nav>', html, re.S)
    assert nav is not None, "no side menu"
    return re.findall(r'<a class="sidenav__link[^"]*" href="([^"]+)"', nav.group(1))


def _current(html: str) -> list[str]:
    return re.findall(r'class="sidenav__link is-active" href="([^"]+)"', html)


def _item(key: str, href: str, *surfaces: str) -> NavItem:
    return NavItem(key, lambda _: key, href, "x", surfaces=frozenset(surfaces or ("app",)))


def test_the_current_item_is_the_longest_prefix_at_a_slash() -> None:
    items = [
        _item("admin", "/admin", "admin"),
        _item("users", "/admin/users", "admin"),
        _item("desk", "/desk", "desk"),
        _item("queue", "/desk/queue", "desk"),
        _item("phone", "/requests"),
    ]

    def current(surface: str, path: str) -> list[str]:
        return [i.key for i, active in on_surface(items, surface, path) if active]

    assert current("admin", "/admin") == ["admin"]
    assert current("admin", "/admin/users/7/edit") == ["users"]
    assert current("admin", "/admin/usersx") == ["admin"]  # a prefix only at a slash
    assert current("desk", "/desk/queue") == ["queue"]
    assert current("desk", "/desk/assign/ZH-1") == ["desk"]
    assert current("desk", "/requests") == []
    assert [i.key for i, _ in on_surface(items, "admin", "/")] == ["admin", "users"]
    tabs, more = split_navigation(items)
    assert tabs == [] and [i.key for i in more] == ["phone"]  # the app shows its own only


def test_a_surface_must_be_known() -> None:
    with pytest.raises(ValueError, match="surfaces"):
        _item("x", "/x", "sidebar")
    with pytest.raises(ValueError, match="surfaces"):
        NavItem("x", lambda _: "x", "/x", "x", surfaces=frozenset())


async def test_every_desk_page_shows_the_same_menu(client: AsyncTestClient, db) -> None:
    org = await make_org(ROLES)
    await Team(org=org.id, service="general", name="综合组").save()
    await login(client, org.logins["dispatcher"])
    pages = ["/desk", "/desk/queue", "/desk/new", "/desk/reports"]
    menus = {}
    for page in pages:
        response = await client.get(page)
        assert response.status_code == 200, page
        menus[page] = [h for h in _menu(response.text) if not h.startswith("/desk/queue?")]
        assert _current(response.text)[0] == page, page
    first = menus[pages[0]]
    assert all(menu == first for menu in menus.values()), menus
    assert {"/desk", "/desk/queue", "/desk/new", "/desk/reports"} <= set(first)
    assert "/admin" not in first  # a dispatcher is no admin


async def test_every_admin_page_shows_the_same_menu_plugins_included(
    client: AsyncTestClient, db
) -> None:
    org = await make_org(ROLES)
    await login(client, org.logins["admin"])
    home = await client.get("/admin")
    menu = _menu(home.text)
    assert menu[0] == "/admin" and "/admin/users" in menu and "/admin/audit" in menu
    assert "/s/repairs/admin/assets" in menu  # a plugin's settings page, from nav_items
    for page in ("/admin/users", "/admin/teams", "/s/repairs/admin/assets"):
        response = await client.get(page)
        assert response.status_code == 200, page
        assert _menu(response.text) == menu, page
        assert _current(response.text) == [page], page
    cards = re.findall(r'<a class="card card--link" href="([^"]+)"', home.text)
    assert cards == menu[1:]  # /admin's cards are the same places, but the overview


async def test_staff_reach_their_consoles_from_home(client: AsyncTestClient, db) -> None:
    org = await make_org(ROLES)
    await login(client, org.logins["dispatcher"])
    home = (await client.get("/")).text
    assert 'class="row staff-links"' in home and 'href="/desk"' in home
    assert "Admin console" not in home
    await login(client, org.logins["admin"])
    home = (await client.get("/")).text
    assert 'href="/desk"' in home and 'href="/admin"' in home and "Admin console" in home
    await login(client, org.logins["employee"])
    assert "staff-links" not in (await client.get("/")).text  # nothing to reach
