"""/admin: users, departments, plugins, audit log — permissions, validation, no partial writes."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from core.tables import AuditEntry, Department, RoleGrant, User
from tests.conftest import PASSWORD, OrgFixture, login, post, unique


async def test_admin_pages_need_org_admin(client: AsyncTestClient, org: OrgFixture) -> None:
    await login(client, org.logins["employee"])
    for path in ("/admin", "/admin/users", "/admin/departments", "/admin/plugins", "/admin/audit"):
        assert (await client.get(path)).status_code == 403, path
    assert (await post(client, "/admin/users", {"login": "x"})).status_code == 403


async def test_auditor_reads_audit_log_only(client: AsyncTestClient, org: OrgFixture) -> None:
    await login(client, org.logins["auditor"])
    assert (await client.get("/admin/audit")).status_code == 200
    assert (await client.get("/admin/users")).status_code == 403


async def test_create_user_with_roles_then_they_can_sign_in(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    await login(client, org.logins["admin"])
    new_login = unique("new")
    response = await post(
        client,
        "/admin/users",
        {
            "login": new_login,
            "display_name": "王芳",
            "password": "long enough pw",
            "roles": ["employee", "service_admin"],
            "service_scopes": ["notices"],
            "is_active": "on",
        },
    )
    assert response.status_code == 303, response.text
    user = await User.objects().where(User.login == new_login).first()
    assert user is not None and user.org == org.id
    grants = {
        (g["role"], g["scope"]) for g in await RoleGrant.select().where(RoleGrant.user == user.id)
    }
    assert grants == {("employee", ""), ("service_admin", "notices")}
    assert await AuditEntry.exists().where(
        (AuditEntry.org == org.id) & (AuditEntry.action == "user.created")
    )
    page = await client.get("/admin/users", params={"q": new_login})
    assert "王芳" in page.text


async def test_invalid_user_form_writes_nothing_and_explains(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    await login(client, org.logins["admin"])
    before = await User.count().where(User.org == org.id)
    cases = [
        (
            {
                "login": "A B",
                "display_name": "x",
                "password": "long enough pw",
                "roles": ["employee"],
            },
            "3–150 characters",
        ),
        (
            {
                "login": unique("ok"),
                "display_name": "",
                "password": "long enough pw",
                "roles": ["employee"],
            },
            "Enter the person&#39;s name.",
        ),
        (
            {
                "login": unique("ok"),
                "display_name": "x",
                "password": "short",
                "roles": ["employee"],
            },
            "Use at least 8 characters.",
        ),
        (
            {"login": unique("ok"), "display_name": "x", "password": "long enough pw"},
            "Give the person at least one role.",
        ),
        (
            {
                "login": unique("ok"),
                "display_name": "x",
                "password": "long enough pw",
                "roles": ["service_admin"],
            },
            "A service admin needs at least one service.",
        ),
        (
            {
                "login": unique("ok"),
                "display_name": "x",
                "password": "long enough pw",
                "roles": ["root"],
            },
            "Choose roles from the list.",
        ),
        (
            {
                "login": org.logins["employee"],
                "display_name": "x",
                "password": "long enough pw",
                "roles": ["employee"],
            },
            "This account name is taken.",
        ),
        (
            {
                "login": unique("ok"),
                "display_name": "x",
                "password": "long enough pw",
                "roles": ["employee"],
                "department": "999999",
            },
            "Choose a department from the list.",
        ),
        (
            {
                "login": unique("ok"),
                "display_name": "x",
                "password": "long enough pw",
                "roles": ["employee"],
                "email": "nope",
            },
            "Enter an e-mail address",
        ),
    ]
    for data, message in cases:
        response = await post(client, "/admin/users", data)
        assert response.status_code == 422, data
        assert message in response.text, (message, data)
    assert await User.count().where(User.org == org.id) == before


async def test_admin_cannot_lock_themselves_out(client: AsyncTestClient, org: OrgFixture) -> None:
    await login(client, org.logins["admin"])
    response = await post(
        client,
        f"/admin/users/{org.users['admin']}",
        {"display_name": "Admin", "roles": ["employee"], "is_active": "on"},
    )
    assert response.status_code == 422
    assert "cannot remove your own admin role" in response.text


async def test_edit_user_replaces_roles_and_deactivates(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    await login(client, org.logins["admin"])
    uid = org.users["employee"]
    assert (await client.get(f"/admin/users/{uid}")).status_code == 200
    response = await post(
        client,
        f"/admin/users/{uid}",
        {"display_name": "Renamed", "roles": ["employee", "approver"]},
    )
    assert response.status_code == 303
    user = await User.objects().where(User.id == uid).first()
    assert user.display_name == "Renamed" and user.is_active is False
    roles = {g["role"] for g in await RoleGrant.select(RoleGrant.role).where(RoleGrant.user == uid)}
    assert roles == {"employee", "approver"}
    # a deactivated user's session stops working and they cannot sign in again
    other = AsyncTestClient(app=client.app, base_url="http://testserver.local")
    async with other:
        other.follow_redirects = False
        await other.get("/login")
        from tests.conftest import csrf_of

        r = await other.post(
            "/login",
            data={
                "login": org.logins["employee"],
                "password": PASSWORD,
                "_csrf_token": csrf_of(other),
            },
        )
        assert r.status_code == 422


async def test_departments_tree_head_and_cycle_check(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    await login(client, org.logins["admin"])
    assert (await post(client, "/admin/departments", {"name": "总务处"})).status_code == 303
    top = (
        await Department.objects()
        .where((Department.org == org.id) & (Department.name == "总务处"))
        .first()
    )
    response = await post(
        client,
        "/admin/departments",
        {"name": "车队", "parent": str(top.id), "head_login": org.logins["employee"]},
    )
    assert response.status_code == 303
    child = (
        await Department.objects()
        .where((Department.org == org.id) & (Department.name == "车队"))
        .first()
    )
    assert child.parent == top.id and child.head_user_id == org.users["employee"]
    # moving the parent under its own child is refused
    response = await post(
        client, f"/admin/departments/{top.id}", {"name": "总务处", "parent": str(child.id)}
    )
    assert response.status_code == 422
    assert "cannot sit under itself" in response.text
    refreshed = await Department.objects().where(Department.id == top.id).first()
    assert refreshed.parent is None
    # unknown head and empty name are explained
    response = await post(client, "/admin/departments", {"name": "", "head_login": "nobody-here"})
    assert response.status_code == 422
    assert "Enter the department&#39;s name." in response.text
    assert "No one in your organisation has the account name nobody-here." in response.text
    page = await client.get("/admin/departments")
    assert "车队" in page.text


async def test_audit_log_lists_admin_changes(client: AsyncTestClient, org: OrgFixture) -> None:
    await login(client, org.logins["admin"])
    await post(client, "/admin/plugins/notices", {"enabled": ""})
    page = await client.get("/admin/audit")
    assert page.status_code == 200
    assert "Service switched off" in page.text


async def test_organisation_settings_validate_and_apply(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    from core.tables import Organisation

    await login(client, org.logins["admin"])
    assert (await client.get("/admin/organisation")).status_code == 200
    bad = await post(
        client,
        "/admin/organisation",
        {"name": "", "default_locale": "fr", "time_zone": "Mars/Olympus", "brand_colour": "red"},
    )
    assert bad.status_code == 422
    for message in (
        "Enter the organisation&#39;s name.",
        "Choose one of the listed languages.",
        "Enter a time zone",
        "Enter a colour",
    ):
        assert message in bad.text
    unchanged = await Organisation.objects().where(Organisation.id == org.id).first()
    assert unchanged.name == f"Org {org.slug}"
    ok = await post(
        client,
        "/admin/organisation",
        {
            "name": "新名字",
            "default_locale": "zh_CN",
            "time_zone": "Asia/Urumqi",
            "brand_colour": "#0A7D5C",
        },
    )
    assert ok.status_code == 303
    home = await client.get("/")
    assert "新名字" in home.text and "/brand/0a7d5c.css" in home.text
    assert (await client.get("/admin/organisation")).status_code == 200
    await login(client, org.logins["employee"])
    assert (await post(client, "/admin/organisation", {"name": "x"})).status_code == 403


async def test_expired_form_token_explains_itself(client: AsyncTestClient, org: OrgFixture) -> None:
    await login(client, org.logins["employee"])
    response = await client.post(
        "/me", data={"display_name": "x", "_csrf_token": "stale"}, headers={"accept-language": "en"}
    )
    assert response.status_code == 403
    assert "This form has expired" in response.text
