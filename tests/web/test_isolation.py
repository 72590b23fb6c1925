"""A user of organisation A gets 404 for every object of organisation B."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from core.identity.service import create_department, issue_token
from core.tables import ApiToken, Department, User
from plugins.notices.tables import Notice
from tests.conftest import OrgFixture, login, post


async def test_objects_of_another_org_are_not_found(
    client: AsyncTestClient, org: OrgFixture, other_org: OrgFixture
) -> None:
    foreign_user = other_org.users["employee"]
    foreign_dept = await create_department(other_org.id, "Foreign dept")
    notice = Notice(org=other_org.id, title="secret", body="b")
    await notice.save()
    await issue_token(other_org.id, foreign_user, "theirs")
    token_id = (await ApiToken.select(ApiToken.id).where(ApiToken.user == foreign_user).first())[
        "id"
    ]

    await login(client, org.logins["admin"])
    gets = [f"/admin/users/{foreign_user}", f"/s/notices/{notice.id}"]
    for path in gets:
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "secret" not in response.text
    posts = [
        (f"/admin/users/{foreign_user}", {"display_name": "pwned", "roles": ["employee"]}),
        (f"/admin/departments/{foreign_dept}", {"name": "pwned"}),
        (f"/s/notices/{notice.id}/delete", {}),
        (f"/me/tokens/{token_id}/revoke", {}),
    ]
    await login(client, org.logins["admin"])
    for path, data in posts:
        response = await post(client, path, data)
        assert response.status_code == 404, path
    # nothing of B changed
    assert (await User.objects().where(User.id == foreign_user).first()).display_name != "pwned"
    assert (
        await Department.objects().where(Department.id == foreign_dept).first()
    ).name == "Foreign dept"
    assert await Notice.exists().where(Notice.id == notice.id)
    assert await ApiToken.exists().where((ApiToken.id == token_id) & ApiToken.revoked_at.is_null())


async def test_lists_never_show_another_orgs_rows(
    client: AsyncTestClient, org: OrgFixture, other_org: OrgFixture
) -> None:
    await Notice(org=other_org.id, title="their-notice", body="b").save()
    await login(client, org.logins["admin"])
    assert other_org.logins["employee"] not in (await client.get("/admin/users")).text
    assert (
        other_org.logins["employee"]
        not in (await client.get("/admin/users", params={"q": "employee"})).text
    )
    assert "their-notice" not in (await client.get("/s/notices/")).text
    api = await client.get("/api/v1/s/notices/")
    assert api.status_code == 200
    assert all(n["title"] != "their-notice" for n in api.json())


async def test_department_head_must_belong_to_the_org(
    client: AsyncTestClient, org: OrgFixture, other_org: OrgFixture
) -> None:
    await login(client, org.logins["admin"])
    response = await post(
        client, "/admin/departments", {"name": "X", "head_login": other_org.logins["employee"]}
    )
    assert response.status_code == 422
