"""With HOUQIN_REDIS_URL, sessions and login throttling live in Redis (scaled mode)."""

from __future__ import annotations

import os
from dataclasses import replace

from litestar.testing import AsyncTestClient

from core.plugins import build_plugin_registry
from tests.conftest import OrgFixture, cookie, login, require_redis

REDIS_URL = os.environ.get("HOUQIN_TEST_REDIS", "redis://127.0.0.1:6379/15")


async def test_session_round_trip_through_redis(settings, org: OrgFixture) -> None:
    require_redis()
    from redis.asyncio import Redis

    from web.app import create_app

    app = create_app(
        replace(settings, redis_url=REDIS_URL),
        build_plugin_registry(settings.plugins_file),
        manage_engine=False,
    )
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        client.follow_redirects = False
        await login(client, org.logins["employee"])
        session_id = cookie(client, "houqin_session")
        redis = Redis.from_url(REDIS_URL)
        try:
            keys = [k.decode() async for k in redis.scan_iter(match=f"*{session_id}*")]
            assert keys, "session not stored in Redis"
            assert (await client.get("/me")).status_code == 200
            await client.post("/logout", data={"_csrf_token": cookie(client, "houqin_csrf")})
            assert not [k async for k in redis.scan_iter(match=f"*{session_id}*")]
        finally:
            await redis.aclose()
