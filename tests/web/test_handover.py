"""A dispatcher hands a request over to another agent of its team, with a reason."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from core.default_plugin import GENERAL
from core.identity.service import load_actor
from core.lifecycle.submit import NewRequest, submit
from core.tables import RequestEvent, ServiceRequest, Team, TeamMember
from tests.conftest import login, make_org, post

ROLES = {
    "employee": ("employee",),
    "agent1": ("employee", "agent"),
    "agent2": ("employee", "agent"),
    "dispatcher": ("employee", "dispatcher"),
}


async def _assigned(app):
    org = await make_org(ROLES)
    team = (
        await Team.insert(
            Team(org=org.id, service="general", name="组", strategy="least_load")
        ).returning(Team.id)
    )[0]["id"]
    await TeamMember.insert(
        TeamMember(org=org.id, team=team, user=org.users["agent1"]),
        TeamMember(org=org.id, team=team, user=org.users["agent2"], on_duty=False),
    )
    actor = await load_actor(org.users["employee"], app.state.plugins, app.state.permissions)
    made = await submit(actor, GENERAL, NewRequest(kind="other", title="桌子坏了"), channel="pwa")
    row = await ServiceRequest.select().where(ServiceRequest.id == made.id).first()
    return org, made, row


async def test_dispatcher_hands_over_with_a_reason(app, client: AsyncTestClient, db) -> None:
    org, made, row = await _assigned(app)
    first = row["assignee"]
    other = org.users["agent2"] if first == org.users["agent1"] else org.users["agent1"]
    await login(client, org.logins["dispatcher"])
    page = await client.get(f"/requests/{made.number}", headers={"accept-language": "en"})
    assert "Hand over to another agent" in page.text
    missing = await post(client, f"/requests/{made.number}/handover", {"agent": str(other)})
    assert missing.status_code == 422  # no reason
    wrong = await post(
        client, f"/requests/{made.number}/handover", {"agent": str(first), "reason": "x"}
    )
    assert wrong.status_code == 422  # not another member of the team
    done = await post(
        client,
        f"/requests/{made.number}/handover",
        {"agent": str(other), "reason": "请假", "version": str(row["version"])},
    )
    assert done.status_code == 303
    moved = await ServiceRequest.select().where(ServiceRequest.id == made.id).first()
    assert moved["assignee"] == other and moved["status"] == "assigned"
    event = (
        await RequestEvent.select()
        .where((RequestEvent.request == made.id) & (RequestEvent.message == "请假"))
        .output(load_json=True)
        .first()
    )
    assert event["public"] is False and event["data"]["how"] == "reassigned"
    stale = await post(
        client,
        f"/requests/{made.number}/handover",
        {"agent": str(first), "reason": "again", "version": str(row["version"])},
    )
    assert stale.status_code == 409  # changed meanwhile
    # the requester sees who handles it, not why it moved
    await login(client, org.logins["employee"])
    mine = await client.get(f"/requests/{made.number}")
    assert "请假" not in mine.text and "Hand over" not in mine.text


async def test_others_may_not_hand_over(app, client: AsyncTestClient, db) -> None:
    org, made, row = await _assigned(app)
    await login(client, org.logins["agent1"])
    response = await post(
        client,
        f"/requests/{made.number}/handover",
        {"agent": str(org.users["agent2"]), "reason": "x"},
    )
    assert response.status_code in (403, 404)
    still = await ServiceRequest.select().where(ServiceRequest.id == made.id).first()
    assert still["assignee"] == row["assignee"]
