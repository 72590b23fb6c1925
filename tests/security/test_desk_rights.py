"""Who may do what on the desk: reading a team's queue is open to its members,
assigning needs the dispatch of the request's service, at the version shown, and
never takes started work off an agent without a hand-over."""

from __future__ import annotations

import asyncio

import httpx
from litestar.testing import AsyncTestClient

from core.default_plugin import GENERAL
from core.identity.service import load_actor
from core.lifecycle.kernel import transition
from core.lifecycle.states import Action
from core.lifecycle.submit import NewRequest, submit
from core.tables import Notification, RequestEvent, ServiceRequest, Team, TeamMember
from plugins.repairs.hooks import REPAIRS
from tests.conftest import csrf_of, login, make_org, post
from tests.web.test_desk_queue import versions

ROLES = {
    "employee": ("employee",),
    "agent": ("employee", "agent"),
    "colleague": ("employee", "agent"),
    "dispatcher": ("employee", "dispatcher"),
    "dispatcher2": ("employee", "dispatcher"),
    "notices_admin": ("employee", "service_admin:notices"),
    "repairs_admin": ("employee", "service_admin:repairs"),
}


async def _team(org, service: str, name: str, *members: str) -> int:
    team = (
        await Team.insert(
            Team(org=org.id, service=service, name=name, strategy="manual")
        ).returning(Team.id)
    )[0]["id"]
    await TeamMember.insert(
        *(TeamMember(org=org.id, team=team, user=org.users[m]) for m in members)
    )
    return team


async def _world(app):
    org = await make_org(ROLES)
    general = await _team(org, "general", "综合组", "agent", "colleague")
    repairs = await _team(org, "repairs", "维修组", "agent")
    actor = await load_actor(org.users["employee"], app.state.plugins, app.state.permissions)
    made = [
        await submit(actor, GENERAL, NewRequest(kind="other", title=f"综合{i}"), channel="pwa")
        for i in range(3)
    ]
    fault = await submit(actor, REPAIRS, NewRequest(kind="other", title="灯坏了"), channel="pwa")
    return org, general, repairs, made, fault


async def _status(request_id: int) -> dict:
    return (
        await ServiceRequest.select(
            ServiceRequest.status, ServiceRequest.assignee, ServiceRequest.team_id
        )
        .where(ServiceRequest.id == request_id)
        .first()
    )


async def test_a_team_member_reads_the_queue_but_cannot_assign_from_it(
    app, client: AsyncTestClient
) -> None:
    org, general, _repairs, made, _fault = await _world(app)
    await login(client, org.logins["dispatcher"])
    for m in made:
        assert (
            await post(client, f"/desk/assign/{m.number}", {"agent": str(org.users["colleague"])})
        ).status_code == 303
    await login(client, org.logins["agent"])
    assert (await client.get("/desk/queue", params={"team": general})).status_code == 200
    taken = await post(
        client,
        "/desk/queue/assign",
        {
            "team": str(general),
            "agent": str(org.users["agent"]),
            "numbers": [m.number for m in made],
            **await versions(made),
        },
    )
    assert taken.status_code == 403
    for m in made:
        assert (await _status(m.id))["assignee"] == org.users["colleague"]


async def test_desk_assignment_checks_the_version_shown(
    app, client: AsyncTestClient, concurrent_client: httpx.AsyncClient
) -> None:
    org, _general, _repairs, made, _fault = await _world(app)
    target = made[0]
    form = {"agent": str(org.users["agent"]), **(await versions([target]))}
    form["version"] = form.pop(f"version-{target.number}")
    await login(client, org.logins["dispatcher"])
    assert (await post(client, f"/desk/assign/{target.number}", form)).status_code == 303
    again = await post(
        client, f"/desk/assign/{target.number}", form | {"agent": str(org.users["colleague"])}
    )
    assert again.status_code == 409  # the page showed an older version
    bogus = await post(client, f"/desk/assign/{made[1].number}", form | {"version": "²"})
    assert bogus.status_code == 409 and (await _status(made[1].id))["assignee"] is None

    # Two dispatchers, twenty clicks at once on one request: one assignment wins.
    target = made[2]
    form = {"agent": str(org.users["agent"]), **(await versions([target]))}
    form["version"] = form.pop(f"version-{target.number}")
    page = await concurrent_client.get("/login")
    assert page.status_code == 200
    token = concurrent_client.cookies.get("houqin_csrf")
    signed = await concurrent_client.post(
        "/login",
        data={
            "login": org.logins["dispatcher2"],
            "password": "correct horse battery",
            "_csrf_token": token,
        },
    )
    assert signed.status_code == 303
    answers = await asyncio.gather(
        *(
            concurrent_client.post(
                f"/desk/assign/{target.number}",
                data=form | {"_csrf_token": concurrent_client.cookies.get("houqin_csrf")},
            )
            for _ in range(20)
        )
    )
    codes = [a.status_code for a in answers]
    assert codes.count(303) == 1 and codes.count(409) == 19, codes
    events = await RequestEvent.count().where(
        (RequestEvent.request == target.id) & (RequestEvent.to_status == "assigned")
    )
    assert events == 1
    notices = await Notification.count().where(
        (Notification.request == target.id) & (Notification.user == org.users["agent"])
    )
    assert notices == 1


async def test_started_work_changes_hands_only_by_hand_over(app, client: AsyncTestClient) -> None:
    org, general, _repairs, made, _fault = await _world(app)
    target = made[0]
    await login(client, org.logins["dispatcher"])
    form = {"agent": str(org.users["agent"]), **(await versions([target]))}
    form["version"] = form.pop(f"version-{target.number}")
    assert (await post(client, f"/desk/assign/{target.number}", form)).status_code == 303
    agent = await load_actor(org.users["agent"], app.state.plugins, app.state.permissions)
    await transition(agent, org.id, target.id, Action.START)
    fresh = await versions([target])
    taken = await post(
        client,
        f"/desk/assign/{target.number}",
        {"agent": str(org.users["colleague"]), "version": fresh[f"version-{target.number}"]},
    )
    assert taken.status_code == 409 and "hand it over" in taken.text
    bulk = await post(
        client,
        "/desk/queue/assign",
        {
            "team": str(general),
            "agent": str(org.users["colleague"]),
            "numbers": [target.number],
            **fresh,
        },
    )
    assert bulk.status_code == 303
    row = await _status(target.id)
    assert row["status"] == "in_progress" and row["assignee"] == org.users["agent"]


async def test_desk_assignment_keeps_the_team_of_the_requests_service(
    app, client: AsyncTestClient
) -> None:
    org, general, repairs, _made, fault = await _world(app)
    await login(client, org.logins["dispatcher"])
    form = {"agent": str(org.users["agent"]), **(await versions([fault]))}
    form["version"] = form.pop(f"version-{fault.number}")
    assert (await post(client, f"/desk/assign/{fault.number}", form)).status_code == 303
    assert (await _status(fault.id))["team_id"] == repairs  # not the agent's first team
    # Someone in no team of the service is not offered and not taken.
    other = await submit(
        await load_actor(org.users["employee"], app.state.plugins, app.state.permissions),
        REPAIRS,
        NewRequest(kind="other", title="门锁坏了"),
        channel="pwa",
    )
    form = {"agent": str(org.users["colleague"]), **(await versions([other]))}
    form["version"] = form.pop(f"version-{other.number}")
    refused = await post(client, f"/desk/assign/{other.number}", form)
    assert refused.status_code == 422 and (await _status(other.id))["assignee"] is None
    assert general != repairs


async def test_the_desk_covers_only_the_services_the_actor_dispatches(
    app, client: AsyncTestClient
) -> None:
    org, _general, _repairs, made, fault = await _world(app)
    await login(client, org.logins["notices_admin"])  # administers a plugin with no requests
    assert (await client.get("/desk")).status_code == 403
    assert (await client.get("/desk/new")).status_code == 403
    refused = await post(
        client,
        "/desk/new/general",
        {"user": str(org.users["employee"]), "title": "x", "kind": "other", "submit_token": "t1"},
    )
    assert refused.status_code == 403

    await login(client, org.logins["repairs_admin"])
    board = await client.get("/desk")
    assert board.status_code == 200
    assert fault.number in board.text
    assert not any(m.number in board.text for m in made)
    assert (await post(client, f"/desk/assign/{made[0].number}", {"agent": "1"})).status_code in (
        403,
        404,
    )
    form = await client.get("/desk/new", params={"service": "general"})
    assert form.status_code == 200 and "/desk/new/general" not in form.text
    assert (
        await post(
            client,
            "/desk/new/general",
            {
                "user": str(org.users["employee"]),
                "title": "x",
                "kind": "other",
                "submit_token": "t2",
            },
        )
    ).status_code == 404
    assert csrf_of(client)
