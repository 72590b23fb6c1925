"""The desk queue: SLA order, filters, bulk assign, who may see it, fixed queries."""

from __future__ import annotations

from datetime import timedelta

from litestar.testing import AsyncTestClient

from core.clock import now
from core.default_plugin import GENERAL
from core.identity.service import load_actor
from core.lifecycle.submit import NewRequest, submit
from core.tables import ServiceRequest, Team, TeamMember
from tests.conftest import QueryCounter, login, make_org, post

ROLES = {
    "employee": ("employee",),
    "agent": ("employee", "agent"),
    "dispatcher": ("employee", "dispatcher"),
    "outsider": ("employee", "agent"),
}


async def _setup(app):
    org = await make_org(ROLES)
    team = Team(org=org.id, service="general", name="综合组", strategy="manual")
    await team.save()
    await TeamMember.insert(TeamMember(org=org.id, team=team.id, user=org.users["agent"]))
    actor = await load_actor(org.users["employee"], app.state.plugins, app.state.permissions)
    made = [
        await submit(actor, GENERAL, NewRequest(kind="other", title=f"q{i}"), channel="pwa")
        for i in range(3)
    ]
    base = now()
    for i, m in enumerate(made):  # q2 is due first, q0 last
        await ServiceRequest.update(
            {ServiceRequest.resolution_due_at: base + timedelta(hours=3 - i)}
        ).where(ServiceRequest.id == m.id)
    return org, team, made


async def versions(made) -> dict[str, str]:
    """The hidden ``version-<number>`` fields the queue page sends with its check boxes."""
    rows = await ServiceRequest.select(ServiceRequest.number, ServiceRequest.version).where(
        ServiceRequest.id.is_in([m.id for m in made])
    )
    return {f"version-{r['number']}": str(r["version"]) for r in rows}


async def test_queue_sorted_by_due_and_bulk_assign(client: AsyncTestClient, app) -> None:
    org, team, made = await _setup(app)
    await login(client, org.logins["dispatcher"])
    page = await client.get("/desk/queue", params={"team": team.id, "show": "waiting"})
    assert page.status_code == 200
    positions = [page.text.index(m.number) for m in reversed(made)]
    assert positions == sorted(positions)  # soonest due first
    response = await post(
        client,
        "/desk/queue/assign",
        {
            "team": str(team.id),
            "agent": str(org.users["agent"]),
            "numbers": [made[0].number, made[1].number],
            **await versions(made),
        },
    )
    assert response.status_code == 303
    rows = {
        r["number"]: r for r in await ServiceRequest.select().where(ServiceRequest.org == org.id)
    }
    assert (
        rows[made[0].number]["assignee"] == org.users["agent"]
        and rows[made[0].number]["status"] == "assigned"
    )
    assert rows[made[2].number]["assignee"] is None
    waiting = await client.get("/desk/queue", params={"team": team.id, "show": "waiting"})
    assert made[2].number in waiting.text and made[0].number not in waiting.text


async def test_queue_is_for_team_members_and_desk_staff(client: AsyncTestClient, app) -> None:
    org, team, _made = await _setup(app)
    await login(client, org.logins["agent"])  # a member of the team
    assert (await client.get("/desk/queue")).status_code == 200
    await login(client, org.logins["outsider"])  # an agent of no team
    assert (await client.get("/desk/queue")).status_code == 403
    await login(client, org.logins["employee"])
    assert (await client.get("/desk/queue")).status_code == 403
    assert (await post(client, "/desk/queue/assign", {"team": str(team.id)})).status_code == 403


async def test_queue_queries_do_not_grow(
    client: AsyncTestClient, app, queries: QueryCounter
) -> None:
    org, team, _made = await _setup(app)
    await login(client, org.logins["dispatcher"])
    queries.reset()
    assert (await client.get("/desk/queue", params={"team": team.id})).status_code == 200
    few = queries.count
    actor = await load_actor(org.users["employee"], app.state.plugins, app.state.permissions)
    for i in range(25):
        await submit(actor, GENERAL, NewRequest(kind="other", title=f"more{i}"), channel="pwa")
    queries.reset()
    assert (await client.get("/desk/queue", params={"team": team.id})).status_code == 200
    assert queries.count == few
