"""From approval to done: dispatch by strategy, the agent's steps, the requester's close."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from core.default_plugin import GENERAL
from core.identity.service import load_actor
from core.lifecycle.submit import NewRequest, submit
from core.tables import RequestEvent, ServiceRequest, Team, TeamMember
from tests.conftest import OrgFixture, login, make_org, post

ROLES = {
    "employee": ("employee",),
    "agent1": ("employee", "agent"),
    "agent2": ("employee", "agent"),
    "dispatcher": ("employee", "dispatcher"),
    "admin": ("employee", "org_admin"),
}


async def _org(strategy: str = "least_load") -> OrgFixture:
    org = await make_org(ROLES)
    team = Team(org=org.id, service="general", name="综合组", strategy=strategy)
    await team.save()
    await TeamMember.insert(
        TeamMember(org=org.id, team=team.id, user=org.users["agent1"]),
        TeamMember(org=org.id, team=team.id, user=org.users["agent2"]),
    )
    return org


async def _submit(app, org: OrgFixture, title: str = "灯不亮"):
    actor = await load_actor(org.users["employee"], app.state.plugins, app.state.permissions)
    return await submit(actor, GENERAL, NewRequest(kind="facilities", title=title), channel="pwa")


async def _row(made) -> dict:
    return await ServiceRequest.select().where(ServiceRequest.id == made.id).first()


async def test_full_cycle_dispatch_work_and_close(client: AsyncTestClient, app) -> None:
    org = await _org()
    made = await _submit(app, org)
    row = await _row(made)
    assert row["status"] == "assigned" and row["assignee"] in (
        org.users["agent1"],
        org.users["agent2"],
    )
    agent = "agent1" if row["assignee"] == org.users["agent1"] else "agent2"
    # the next request goes to the other agent (least open load)
    second = await _row(await _submit(app, org, "second"))
    assert second["assignee"] != row["assignee"]

    await login(client, org.logins[agent])
    tasks = await client.get("/tasks")
    assert made.number in tasks.text
    url = f"/requests/{made.number}/actions"
    assert (await post(client, f"{url}/accept")).status_code == 303
    assert (await _row(made))["first_response_at"] is not None
    assert (await post(client, f"{url}/start")).status_code == 303
    no_note = await post(client, f"{url}/hold")
    assert no_note.status_code == 422
    assert (await post(client, f"{url}/hold", {"note": "等配件"})).status_code == 303
    assert (await _row(made))["status"] == "on_hold"
    assert (await post(client, f"{url}/resume")).status_code == 303
    assert (await post(client, f"{url}/resolve", {"note": "已更换灯管"})).status_code == 303
    assert (await _row(made))["status"] == "resolved"
    assert (await post(client, f"{url}/resolve")).status_code == 409  # not twice

    await login(client, org.logins["employee"])
    page = await client.get(f"/requests/{made.number}")
    assert "已更换灯管" in page.text
    assert (await post(client, f"/requests/{made.number}/actions/close")).status_code == 303
    final = await _row(made)
    assert final["status"] == "closed" and final["closed_at"] is not None
    kinds = [
        (e["kind"], e["to_status"])
        for e in await RequestEvent.select(RequestEvent.kind, RequestEvent.to_status)
        .where(RequestEvent.request == made.id)
        .order_by(RequestEvent.id)
    ]
    assert [k for k, _ in kinds].count("accepted") == 1
    assert [s for k, s in kinds if k == "status"] == [
        "submitted",
        "approved",
        "assigned",
        "in_progress",
        "on_hold",
        "in_progress",
        "resolved",
        "closed",
    ]


async def test_decline_passes_to_the_next_agent(client: AsyncTestClient, app) -> None:
    org = await _org()
    made = await _submit(app, org)
    first = (await _row(made))["assignee"]
    agent = next(name for name, uid in org.users.items() if uid == first)
    await login(client, org.logins[agent])
    assert (
        await post(client, f"/requests/{made.number}/actions/decline")
    ).status_code == 422  # reason needed
    assert (
        await post(client, f"/requests/{made.number}/actions/decline", {"note": "不在园区"})
    ).status_code == 303
    row = await _row(made)
    assert row["status"] == "assigned" and row["assignee"] not in (None, first)


async def test_only_the_assignee_works_and_outsiders_see_nothing(
    client: AsyncTestClient, app
) -> None:
    org = await _org()
    made = await _submit(app, org)
    assignee = (await _row(made))["assignee"]
    other = "agent2" if assignee == org.users["agent1"] else "agent1"
    await login(client, org.logins[other])
    assert (await post(client, f"/requests/{made.number}/actions/start")).status_code == 404
    await login(client, org.logins["employee"])
    assert (await post(client, f"/requests/{made.number}/actions/start")).status_code == 403


async def test_manual_team_waits_on_the_dispatcher_board(client: AsyncTestClient, app) -> None:
    org = await _org("manual")
    made = await _submit(app, org)
    assert (await _row(made))["status"] == "approved"
    await login(client, org.logins["dispatcher"])
    board = await client.get("/desk")
    assert board.status_code == 200 and made.number in board.text
    assert (
        await post(client, f"/desk/assign/{made.number}", {"agent": "999999"})
    ).status_code == 422
    assert (
        await post(client, f"/desk/assign/{made.number}", {"agent": str(org.users["agent2"])})
    ).status_code == 303
    row = await _row(made)
    assert row["status"] == "assigned" and row["assignee"] == org.users["agent2"]
    await login(client, org.logins["employee"])
    assert (await client.get("/desk")).status_code == 403


async def test_off_duty_agents_get_no_new_work(client: AsyncTestClient, app) -> None:
    org = await _org("round_robin")
    await login(client, org.logins["agent1"])
    assert (await post(client, "/tasks/duty", {"on_duty": ""})).status_code == 303
    for i in range(3):
        made = await _submit(app, org, f"r{i}")
        assert (await _row(made))["assignee"] == org.users["agent2"]


async def test_reopen_needs_a_reason_and_goes_back_to_work(client: AsyncTestClient, app) -> None:
    org = await _org()
    made = await _submit(app, org)
    assignee = (await _row(made))["assignee"]
    agent = next(n for n, uid in org.users.items() if uid == assignee)
    await login(client, org.logins[agent])
    await post(client, f"/requests/{made.number}/actions/start")
    await post(client, f"/requests/{made.number}/actions/resolve")
    await login(client, org.logins["employee"])
    assert (await post(client, f"/requests/{made.number}/actions/reopen")).status_code == 422
    assert (
        await post(client, f"/requests/{made.number}/actions/reopen", {"note": "还是不亮"})
    ).status_code == 303
    assert (await _row(made))["status"] == "reopened"


async def test_teams_admin(client: AsyncTestClient, app) -> None:
    org = await _org()
    await login(client, org.logins["admin"])
    assert (await client.get("/admin/teams")).status_code == 200
    bad = await post(client, "/admin/teams", {"name": "", "service": "nope", "strategy": "magic"})
    assert bad.status_code == 422 and "Choose a service from the list." in bad.text
    ok = await post(
        client,
        "/admin/teams",
        {"name": "保洁组", "service": "general", "strategy": "skill", "kinds": "cleaning"},
    )
    assert ok.status_code == 303
    team = await Team.objects().where((Team.org == org.id) & (Team.name == "保洁组")).first()
    dup = await post(
        client,
        f"/admin/teams/{team.id}/members",
        {f"login-{team.id}": org.logins["employee"], f"skills-{team.id}": "teleport"},
    )
    assert dup.status_code == 422 and "Unknown kinds" in dup.text
    added = await post(
        client, f"/admin/teams/{team.id}/members", {f"login-{team.id}": org.logins["employee"]}
    )
    assert added.status_code == 303
