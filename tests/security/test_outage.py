"""While the database is out of reach, pages and the API answer 503 with Retry-After and
a message in the user's language, not 500; they recover by themselves afterwards."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from core.db import engine_from_url
from core.identity.service import issue_token
from tests.conftest import OrgFixture, _all_tables, login

DEAD = {
    "postgresql": "postgresql://postgres@127.0.0.1:1/gone",  # nothing listens on port 1
    "sqlite": "sqlite:////proc/houqin-gone/db.sqlite3",  # a file that cannot be opened
}


@pytest.mark.filterwarnings("ignore:.*Unable to connect to database")
@pytest.mark.parametrize("kind", sorted(DEAD))
async def test_a_database_outage_is_a_503_that_passes(
    client: AsyncTestClient, org: OrgFixture, db, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await login(client, org.logins["employee"])
    token = await issue_token(org.id, org.users["employee"], "outage")
    dead = _dead_engine(DEAD[kind])
    for table in _all_tables():
        monkeypatch.setattr(table._meta, "db", dead)
    page = await client.get("/me", headers={"accept-language": "zh-CN"})
    assert page.status_code == 503 and page.headers["retry-after"] == "5"
    assert "暂时无法使用" in page.text
    api = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 503 and api.headers["retry-after"] == "5"
    assert api.json()["status_code"] == 503
    assert (await client.get("/readyz")).status_code == 503
    monkeypatch.undo()
    assert (await client.get("/me")).status_code == 200


def _dead_engine(url: str):
    if url.startswith("sqlite:///"):
        from piccolo.engine.sqlite import SQLiteEngine

        return SQLiteEngine(path=url.split("sqlite:///", 1)[1], timeout=1)
    return engine_from_url(url)
