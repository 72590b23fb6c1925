"""Sessions and tokens: what a leaked token or a changed password may still open.

Found by attacking houqin as an insider would: an admin's API token opened /admin, and a
password change left the other sessions and the tokens working.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
from litestar.testing import AsyncTestClient

from core.tables import ApiToken
from tests.conftest import PASSWORD, OrgFixture, csrf_of, login, post


async def _token(client: AsyncTestClient, name: str = "ops") -> str:
    created = await post(client, "/me/tokens", {"name": name})
    assert created.status_code == 201
    return created.text.split('id="new-token">', 1)[1].split("<", 1)[0]


async def test_a_token_does_not_open_pages(app, client: AsyncTestClient, org: OrgFixture) -> None:
    await login(client, org.logins["admin"])
    token = await _token(client)
    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/me", headers=bearer)).status_code == 200
    for page in ("/admin", "/admin/users", "/me", "/", "/desk"):
        response = await client.get(page, headers=bearer)
        assert response.status_code == 303, page  # to the sign-in page: not signed in
        assert response.headers["location"].startswith("/login"), page
    # With a CSRF token from an anonymous page, a write still finds nobody signed in.
    await client.get("/login")
    minted = await client.post(
        "/me/tokens", data={"name": "more", "_csrf_token": csrf_of(client)}, headers=bearer
    )
    assert minted.status_code == 303 and minted.headers["location"].startswith("/login")
    assert await ApiToken.count().where(ApiToken.user == org.users["admin"]) == 1


async def test_password_change_ends_other_sessions_and_tokens(
    app, client: AsyncTestClient, org: OrgFixture
) -> None:
    login_name = org.logins["employee"]
    await login(client, login_name)
    token = await _token(client)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as laptop:
        laptop.follow_redirects = False
        await login(laptop, login_name)
        assert (await laptop.get("/me")).status_code == 200

        changed = await post(
            client,
            "/me/password",
            {"current": PASSWORD, "new": "a new long secret", "confirm": "a new long secret"},
        )
        assert changed.status_code == 303
        page = await client.get("/me")
        assert page.status_code == 200  # the session that changed it goes on
        assert "signed out everywhere else" in page.text

        assert (await laptop.get("/me")).status_code == 303  # the other one has ended
        laptop.cookies.clear()
        api = await laptop.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 401
    assert (
        await ApiToken.count().where(
            (ApiToken.user == org.users["employee"]) & ApiToken.revoked_at.is_null()
        )
        == 0
    )


async def test_admin_password_reset_and_reactivation_start_clean(
    app, client: AsyncTestClient, org: OrgFixture
) -> None:
    victim = org.users["employee"]
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as phone:
        phone.follow_redirects = False
        await login(phone, org.logins["employee"])
        token = await _token(phone)
        await login(client, org.logins["admin"])
        form = await client.get(f"/admin/users/{victim}")
        assert form.status_code == 200
        values = {
            "display_name": "Employee",
            "roles": ["employee"],
            "is_active": "on",
            "password": "reset by the admin",
        }
        assert (await post(client, f"/admin/users/{victim}", values)).status_code == 303
        assert (await phone.get("/me")).status_code == 303
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await phone.get("/api/v1/me", headers=bearer)).status_code == 401

        # Sign in again, be switched off and on: the session from before does not return.
        await login(phone, org.logins["employee"], "reset by the admin")
        values.pop("password")
        values.pop("is_active")
        assert (await post(client, f"/admin/users/{victim}", values)).status_code == 303
        assert (
            await post(client, f"/admin/users/{victim}", values | {"is_active": "on"})
        ).status_code == 303
        assert (await phone.get("/me")).status_code == 303


async def _hammer(client: httpx.AsyncClient, login_name: str, times: int) -> list[httpx.Response]:
    """``times`` wrong passwords for one account, all in flight at once."""
    page = await client.get("/login")
    assert page.status_code == 200
    token = client.cookies.get("houqin_csrf")
    data = {"login": login_name, "password": "wrong", "_csrf_token": token}
    return list(await asyncio.gather(*(client.post("/login", data=data) for _ in range(times))))


async def test_concurrent_wrong_passwords_are_checked_at_most_the_limit(
    app, concurrent_client: httpx.AsyncClient, org: OrgFixture
) -> None:
    answers = await _hammer(concurrent_client, org.logins["employee"], 50)
    codes = [a.status_code for a in answers]
    limit = app.state.settings.login_max_failures
    # At most the limit is checked (fewer when the address's count, rising in the same
    # race, passed its own limit first); every other attempt is turned away.
    assert 1 <= codes.count(422) <= limit, codes
    assert codes.count(422) + codes.count(429) == 50, codes
    assert all(int(a.headers["retry-after"]) > 0 for a in answers if a.status_code == 429)
    right = await concurrent_client.post(
        "/login",
        data={
            "login": org.logins["employee"],
            "password": PASSWORD,
            "_csrf_token": concurrent_client.cookies.get("houqin_csrf"),
        },
    )
    assert right.status_code == 429  # the account waits out its window, right password or not


async def test_successful_sign_ins_do_not_lock_out_the_office(
    app, client: AsyncTestClient, org: OrgFixture
) -> None:
    # Everyone behind one address signs in; the address's own limit (20) is for failures.
    for _ in range(app.state.throttle.ip_max_failures + 5):
        await login(client, org.logins["employee"])


async def test_concurrent_wrong_passwords_counted_in_redis_when_scaled(
    settings, org: OrgFixture
) -> None:
    import os
    from dataclasses import replace

    from core.plugins import build_plugin_registry
    from tests.conftest import require_redis
    from web.app import create_app

    require_redis()
    url = os.environ.get("HOUQIN_TEST_REDIS", "redis://127.0.0.1:6379/15")
    app = create_app(
        replace(settings, redis_url=url),
        build_plugin_registry(settings.plugins_file),
        manage_engine=False,
    )
    # Redis outlives the test (and the run): an address of its own, so no earlier run's
    # failures from "the same address" are still counted in the 15-minute window
    address = f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    # As many attempts as the address may fail: more, and an early attempt of the account
    # could meet the address's limit first (the two counts rise in any interleaving) and
    # be refused too, leaving no 422 to count.
    times = app.state.throttle.ip_max_failures
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as c:
        codes = [a.status_code for a in await _hammer(c, org.logins["employee"], times)]
    assert 1 <= codes.count(422) <= settings.login_max_failures, codes
    assert codes.count(422) + codes.count(429) == times, codes
