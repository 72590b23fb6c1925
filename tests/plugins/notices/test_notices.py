"""The notices plugin: reading for everyone, publishing for its service admins."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from plugins.notices.tables import Notice
from tests.conftest import OrgFixture, login, post


async def test_publish_read_and_remove(client: AsyncTestClient, org: OrgFixture) -> None:
    await login(client, org.logins["notices_admin"])
    assert (await client.get("/s/notices/new")).status_code == 200
    response = await post(
        client, "/s/notices/", {"title": "电梯维保", "body": "周六 9:00–12:00 停用", "pinned": "on"}
    )
    assert response.status_code == 303
    notice_id = int(response.headers["location"].rsplit("/", 1)[1])
    await login(client, org.logins["employee"])
    listing = await client.get("/s/notices/")
    assert "电梯维保" in listing.text
    detail = await client.get(f"/s/notices/{notice_id}")
    assert "周六 9:00–12:00 停用" in detail.text
    assert "Remove notice" not in detail.text
    api = (await client.get("/api/v1/s/notices/")).json()
    assert api[0]["title"] == "电梯维保" and api[0]["pinned"] is True
    await login(client, org.logins["notices_admin"])
    assert (await post(client, f"/s/notices/{notice_id}/delete")).status_code == 303
    assert not await Notice.exists().where(Notice.id == notice_id)


async def test_employees_cannot_publish(client: AsyncTestClient, org: OrgFixture) -> None:
    await login(client, org.logins["employee"])
    assert (await client.get("/s/notices/new")).status_code == 403
    assert (await post(client, "/s/notices/", {"title": "x", "body": "y"})).status_code == 403


async def test_notice_form_validation_keeps_input(client: AsyncTestClient, org: OrgFixture) -> None:
    await login(client, org.logins["admin"])
    before = await Notice.count().where(Notice.org == org.id)
    response = await post(client, "/s/notices/", {"title": "", "body": "kept text"})
    assert response.status_code == 422
    assert "Give the notice a title." in response.text and "kept text" in response.text
    response = await post(client, "/s/notices/", {"title": "x" * 201, "body": ""})
    assert (
        "At most 200 characters." in response.text
        and "Write what people need to know." in response.text
    )
    assert await Notice.count().where(Notice.org == org.id) == before


async def test_unknown_notice_is_404(client: AsyncTestClient, org: OrgFixture) -> None:
    await login(client, org.logins["employee"])
    assert (await client.get("/s/notices/99999999")).status_code == 404
