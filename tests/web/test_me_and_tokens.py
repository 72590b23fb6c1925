"""The employee's own pages and personal API tokens."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from core.tables import ApiToken, User
from tests.conftest import PASSWORD, OrgFixture, login, post


async def test_profile_update_and_validation(client: AsyncTestClient, org: OrgFixture) -> None:
    await login(client, org.logins["employee"])
    ok = await post(
        client,
        "/me",
        {
            "display_name": "李雷",
            "email": "li@example.com",
            "phone": "+86 138-0000-0000",
            "locale": "en",
        },
    )
    assert ok.status_code == 303
    page = await client.get("/me")
    assert "李雷" in page.text and "Your profile is saved." in page.text  # toast after the 303
    bad = await post(
        client,
        "/me",
        {"display_name": "", "email": "not-an-email", "phone": "call me", "locale": "fr"},
    )
    assert bad.status_code == 422
    for message in (
        "Enter your name.",
        "Enter an e-mail address",
        "Enter a phone number",
        "Choose one of the listed languages.",
    ):
        assert message in bad.text
    user = await User.objects().where(User.id == org.users["employee"]).first()
    assert user.display_name == "李雷" and user.email == "li@example.com"


async def test_password_change_checks_current_and_confirmation(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    await login(client, org.logins["employee"])
    wrong = await post(
        client,
        "/me/password",
        {"current": "nope", "new": "another long pw", "confirm": "another long pw"},
    )
    assert wrong.status_code == 422 and "Your current password is not correct." in wrong.text
    mismatch = await post(
        client,
        "/me/password",
        {"current": PASSWORD, "new": "another long pw", "confirm": "different pw!"},
    )
    assert mismatch.status_code == 422 and "do not match" in mismatch.text
    short = await post(
        client, "/me/password", {"current": PASSWORD, "new": "short", "confirm": "short"}
    )
    assert short.status_code == 422 and "Use at least 8 characters." in short.text
    ok = await post(
        client,
        "/me/password",
        {"current": PASSWORD, "new": "another long pw", "confirm": "another long pw"},
    )
    assert ok.status_code == 303
    await post(client, "/logout")
    await login(client, org.logins["employee"], "another long pw")


async def test_token_lifecycle_through_the_api(client: AsyncTestClient, org: OrgFixture) -> None:
    await login(client, org.logins["employee"])
    assert (await post(client, "/me/tokens", {"name": ""})).status_code == 422
    created = await post(client, "/me/tokens", {"name": "finance system"})
    assert created.status_code == 201
    token = created.text.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert token.startswith("hq_")
    row = await ApiToken.objects().where(ApiToken.user == org.users["employee"]).first()
    assert row.token_hash != token and token not in row.token_hash  # stored hashed only

    await post(client, "/logout")
    client.cookies.clear()
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    body = me.json()
    assert body["login"] == org.logins["employee"] and body["roles"] == ["employee"]
    assert "core.admin" not in body["permissions"]

    await login(client, org.logins["employee"])
    assert (await post(client, f"/me/tokens/{row.id}/revoke")).status_code == 303
    assert (await post(client, f"/me/tokens/{row.id}/revoke")).status_code == 404
    client.cookies.clear()
    revoked = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    )
    assert revoked.status_code == 401
    assert "invalid or revoked" in revoked.json()["detail"]


async def test_token_carries_exactly_its_owners_rights(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    await login(client, org.logins["admin"])
    created = await post(client, "/me/tokens", {"name": "ops"})
    token = created.text.split('id="new-token">', 1)[1].split("<", 1)[0]
    client.cookies.clear()
    me = (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).json()
    assert "core.admin" in me["permissions"]
    # a token is not a session: HTML admin pages opened with it still need CSRF for writes
    assert (
        await client.post(
            "/admin/plugins/notices", data={}, headers={"Authorization": f"Bearer {token}"}
        )
    ).status_code == 403


async def test_api_needs_auth_and_speaks_json(client: AsyncTestClient, org: OrgFixture) -> None:
    anonymous = await client.get("/api/v1/me")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/json")
    bad = await client.get("/api/v1/me", headers={"Authorization": "Bearer hq_nope"})
    assert bad.status_code == 401
    await login(client, org.logins["employee"])
    assert (await client.get("/api/v1/me")).status_code == 200  # session cookie works for reads
    schema = await client.get("/schema/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/me" in paths and "/api/v1/s/notices" in paths
    assert not any(p.startswith("/admin") for p in paths)
