"""Pages run a fixed number of SQL statements, whatever the number of rows (DESIGN §8)."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from core.identity.service import audit, create_department
from core.tables import RoleGrant, User
from plugins.notices.tables import Notice
from tests.conftest import _PASSWORD_HASH, OrgFixture, QueryCounter, login, unique


async def _more_users(org: OrgFixture, n: int) -> None:
    dept = await create_department(org.id, unique("dept"))
    users = [
        User(
            org=org.id,
            login=unique("bulk"),
            display_name="Bulk",
            password_hash=_PASSWORD_HASH,
            department=dept,
        )
        for _ in range(n)
    ]
    await User.insert(*users)
    ids = [
        u["id"]
        for u in await User.select(User.id).where(
            (User.org == org.id) & (User.display_name == "Bulk")
        )
    ]
    await RoleGrant.insert(*[RoleGrant(org=org.id, user=i, role="employee") for i in ids])


async def _count(client: AsyncTestClient, queries: QueryCounter, path: str) -> int:
    queries.reset()
    response = await client.get(path)
    assert response.status_code == 200, path
    return queries.count


async def test_admin_lists_do_not_grow_with_rows(
    client: AsyncTestClient, org: OrgFixture, queries: QueryCounter
) -> None:
    await login(client, org.logins["admin"])
    await audit(org.id, org.users["admin"], "user.updated", "first")  # one row of each list
    await Notice(org=org.id, title="first", body="b", author=org.users["admin"]).save()
    paths = [
        "/admin/users",
        "/admin/departments",
        "/admin/audit",
        "/s/notices/",
        "/api/v1/s/notices/",
        "/",
    ]
    before = {p: await _count(client, queries, p) for p in paths}
    await _more_users(org, 60)
    await Notice.insert(
        *[Notice(org=org.id, title=f"n{i}", body="b", author=org.users["admin"]) for i in range(40)]
    )
    for i in range(60):
        await audit(
            org.id, org.users["admin"] if i % 2 else org.users["employee"], "user.updated", f"t{i}"
        )
    after = {p: await _count(client, queries, p) for p in paths}
    assert after == before
    # and the numbers stay small: 3 to load the actor, the rest for the page itself
    assert before["/"] <= 5 and before["/admin/users"] <= 7 and before["/admin/audit"] <= 7


async def test_htmx_search_returns_only_the_results_block(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    await login(client, org.logins["admin"])
    response = await client.get(
        "/admin/users", params={"q": "employee"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="results">')
    assert "<html" not in response.text and org.logins["employee"] in response.text
    boosted = await client.get("/admin/users", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.text  # a boosted navigation gets the whole page


async def test_htmx_blocks_render_alone_even_when_empty(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    await login(client, org.logins["admin"])
    htmx = {"HX-Request": "true"}
    empty_users = await client.get(
        "/admin/users", params={"q": "nobody-matches-this"}, headers=htmx
    )
    assert empty_users.status_code == 200 and "<html" not in empty_users.text
    empty_requests = await client.get("/requests", params={"q": "nothing"}, headers=htmx)
    assert empty_requests.status_code == 200 and 'id="results"' in empty_requests.text
