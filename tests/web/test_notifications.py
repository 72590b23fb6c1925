"""In-app notifications: the right people hear, in their language, and only they."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from core.default_plugin import GENERAL
from core.identity.service import load_actor
from core.lifecycle.kernel import transition
from core.lifecycle.states import Action
from core.lifecycle.submit import NewRequest, submit
from core.tables import Notification, ServiceRequest
from tests.conftest import login, make_org, post

ROLES = {"employee": ("employee",), "agent": ("employee", "agent"), "other": ("employee",)}


async def test_requester_and_assignee_hear_and_only_they_open(client: AsyncTestClient, app) -> None:
    org = await make_org(ROLES)
    actor = await load_actor(org.users["employee"], app.state.plugins, app.state.permissions)
    made = await submit(actor, GENERAL, NewRequest(kind="other", title="椅子坏了"), channel="pwa")
    await ServiceRequest.update({ServiceRequest.assignee: org.users["agent"]}).where(
        ServiceRequest.id == made.id
    )
    agent = await load_actor(org.users["agent"], app.state.plugins, app.state.permissions)
    for action in (Action.START, Action.RESOLVE):
        await transition(agent, org.id, made.id, action)
    kinds = {
        (n["user"], n["kind"])
        for n in await Notification.select(Notification.user, Notification.kind).where(
            Notification.request == made.id
        )
    }
    employee = org.users["employee"]
    assert {(employee, "status:in_progress"), (employee, "status:resolved")} <= kinds
    # approved automatically while submitting: the requester is on the page already
    assert (employee, "status:approved") not in kinds
    assert not any(
        user == org.users["agent"] for user, _ in kinds
    )  # the agent acted: no self-notification

    await login(client, org.logins["employee"])
    home = await client.get("/", headers={"accept-language": "en"})
    assert 'class="tabbar__badge"' in home.text
    page = await client.get("/notifications", headers={"accept-language": "zh-CN"})
    assert "已完成，请确认并评价" in page.text and "椅子坏了" in page.text
    first = await Notification.select(Notification.id).where(Notification.user == employee).first()
    opened = await post(client, f"/notifications/{first['id']}/open")
    assert opened.status_code == 303 and opened.headers["location"] == f"/requests/{made.number}"
    await login(client, org.logins["other"])
    assert (await post(client, f"/notifications/{first['id']}/open")).status_code == 404
    await login(client, org.logins["employee"])
    assert (await post(client, "/notifications/read")).status_code == 303
    assert (
        await Notification.count().where(
            (Notification.user == employee) & Notification.read_at.is_null()
        )
        == 0
    )
    assert 'class="tabbar__badge"' not in (await client.get("/")).text
