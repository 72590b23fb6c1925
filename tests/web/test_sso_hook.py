"""The actor_from_request hook lets an SSO plugin identify users (sync or async)."""

from __future__ import annotations

import types

from litestar.testing import AsyncTestClient

from core.hookspecs import hookimpl
from tests.conftest import OrgFixture


async def test_async_sso_hook_signs_the_user_in(app, org: OrgFixture) -> None:
    @hookimpl
    async def actor_from_request(connection):
        if connection.headers.get("x-remote-user") == "trusted-employee":
            return org.users["employee"]
        return None

    sso = types.ModuleType("fake_sso")
    sso.actor_from_request = actor_from_request  # type: ignore[attr-defined]
    app.state.plugins.pm.register(sso, name="fake_sso")
    try:
        async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
            client.follow_redirects = False
            assert (await client.get("/me")).status_code == 303
            response = await client.get("/me", headers={"x-remote-user": "trusted-employee"})
            assert response.status_code == 200
            assert org.logins["employee"] in response.text
    finally:
        app.state.plugins.pm.unregister(name="fake_sso")
