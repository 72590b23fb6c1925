"""Submitting and following requests: numbers, idempotency, isolation, cancel, validation."""

from __future__ import annotations

import asyncio
import re

import pytest
from litestar.testing import AsyncTestClient

from core.default_plugin import GENERAL
from core.identity.service import load_actor
from core.lifecycle.kernel import Conflict, transition
from core.lifecycle.states import Action, IllegalTransition
from core.lifecycle.submit import NewRequest, submit
from core.tables import IdempotencyKey, RequestEvent, ServiceRequest
from tests.conftest import OrgFixture, QueryCounter, login, post

NUMBER = re.compile(r"^ZH-\d{8}-\d{4}$")


async def _actor(app, org: OrgFixture, who: str = "employee"):
    return await load_actor(org.users[who], app.state.plugins, app.state.permissions)


def _form(token: str = "tok-1", **extra: str) -> dict[str, str]:
    return {
        "kind": "facilities",
        "title": "空调不制冷",
        "location": "A 座 3 楼",
        "priority": "high",
        "submit_token": token,
        **extra,
    }


async def test_submit_from_phone_is_numbered_approved_and_followable(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    await login(client, org.logins["employee"])
    form_page = await client.get("/new/general")
    assert form_page.status_code == 200 and 'name="submit_token"' in form_page.text
    response = await post(client, "/new/general", _form())
    assert response.status_code == 303
    number = response.headers["location"].rsplit("/", 1)[1]
    assert NUMBER.match(number)
    row = (
        await ServiceRequest.objects()
        .where((ServiceRequest.org == org.id) & (ServiceRequest.number == number))
        .first()
    )
    assert (
        row.status == "approved" and row.requester == org.users["employee"] and row.channel == "pwa"
    )
    events = (
        await RequestEvent.select(RequestEvent.to_status)
        .where(RequestEvent.request == row.id)
        .order_by(RequestEvent.id)
    )
    assert [e["to_status"] for e in events] == ["submitted", "approved"]
    detail = await client.get(f"/requests/{number}")
    assert (
        detail.status_code == 200
        and "空调不制冷" in detail.text
        and f"Request {number} is submitted." in detail.text
    )
    listing = await client.get("/requests")
    assert number in listing.text
    home = await client.get("/")
    assert number in home.text  # in-progress card


async def test_double_submit_of_one_form_creates_one_request(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    await login(client, org.logins["employee"])
    first = await post(client, "/new/general", _form("same-token"))
    second = await post(client, "/new/general", _form("same-token"))
    assert first.headers["location"] == second.headers["location"]
    assert await ServiceRequest.count().where(ServiceRequest.org == org.id) == 1


async def test_bad_input_is_explained_and_nothing_is_written(
    client: AsyncTestClient, org: OrgFixture
) -> None:
    await login(client, org.logins["employee"])
    response = await post(
        client,
        "/new/general",
        {"kind": "rocket", "title": "", "priority": "asap", "submit_token": "t"},
    )
    assert response.status_code == 422
    for message in (
        "Choose what kind of request this is.",
        "Say in a few words what you need.",
        "Choose a priority from the list.",
    ):
        assert message in response.text
    assert (await post(client, "/new/general", _form(token=""))).status_code == 400
    assert (await client.get("/new/no-such-service")).status_code == 404
    assert await ServiceRequest.count().where(ServiceRequest.org == org.id) == 0


async def test_other_peoples_requests_are_not_found(
    client: AsyncTestClient, org: OrgFixture, other_org: OrgFixture, app
) -> None:
    mine = await submit(
        await _actor(app, org), GENERAL, NewRequest(kind="other", title="mine"), channel="pwa"
    )
    theirs = await _actor(app, other_org)
    await submit(theirs, GENERAL, NewRequest(kind="other", title="theirs 1"), channel="pwa")
    foreign = await submit(
        theirs, GENERAL, NewRequest(kind="other", title="theirs 2"), channel="pwa"
    )
    assert foreign.number != mine.number  # numbers are per organisation: make them differ
    # a colleague in the same organisation who is neither requester, assignee nor admin
    await login(client, org.logins["auditor"])  # auditors may read
    assert (await client.get(f"/requests/{mine.number}")).status_code == 200
    await login(client, org.logins["notices_admin"])  # service admin of another service
    assert (await client.get(f"/requests/{mine.number}")).status_code == 404
    assert (await post(client, f"/requests/{mine.number}/actions/cancel")).status_code == 404
    assert mine.number not in (await client.get("/requests?show=all")).text
    await login(client, org.logins["admin"])  # another organisation's request, even for an admin
    assert (await client.get(f"/requests/{foreign.number}")).status_code == 404


async def test_requester_cancels_once(client: AsyncTestClient, org: OrgFixture) -> None:
    await login(client, org.logins["employee"])
    number = (await post(client, "/new/general", _form("c1"))).headers["location"].rsplit("/", 1)[1]
    assert (
        await post(client, f"/requests/{number}/actions/cancel", {"note": "不需要了"})
    ).status_code == 303
    row = (
        await ServiceRequest.objects()
        .where((ServiceRequest.org == org.id) & (ServiceRequest.number == number))
        .first()
    )
    assert row.status == "cancelled" and row.closed_at is not None
    again = await post(client, f"/requests/{number}/actions/cancel")
    assert again.status_code == 409
    assert "can no longer be cancelled" in again.text
    assert number in (await client.get("/requests?show=closed")).text
    assert number not in (await client.get("/requests?show=open")).text


async def test_stale_version_is_a_conflict_not_a_lost_update(app, org: OrgFixture) -> None:
    actor = await _actor(app, org)
    made = await submit(actor, GENERAL, NewRequest(kind="other", title="x"), channel="api")
    row = await ServiceRequest.objects().where(ServiceRequest.id == made.id).first()
    with pytest.raises(Conflict):
        await transition(actor, org.id, made.id, Action.CANCEL, expected_version=row.version - 1)
    with pytest.raises(IllegalTransition):
        await transition(actor, org.id, made.id, Action.CLOSE)
    assert (
        await ServiceRequest.objects().where(ServiceRequest.id == made.id).first()
    ).status == "approved"


async def test_fifty_concurrent_submits_get_fifty_numbers(app, org: OrgFixture) -> None:
    actor = await _actor(app, org)
    results = await asyncio.gather(
        *(
            submit(actor, GENERAL, NewRequest(kind="other", title=f"r{i}"), channel="api")
            for i in range(50)
        )
    )
    numbers = {r.number for r in results}
    assert len(numbers) == 50
    assert all(NUMBER.match(n) for n in numbers)
    assert await ServiceRequest.count().where(ServiceRequest.org == org.id) == 50


async def test_replayed_idempotency_key_makes_one_request_even_concurrently(
    app, org: OrgFixture
) -> None:
    actor = await _actor(app, org)
    results = await asyncio.gather(
        *(
            submit(
                actor,
                GENERAL,
                NewRequest(kind="other", title="once"),
                channel="api",
                idempotency_key="k-1",
            )
            for _ in range(10)
        )
    )
    assert len({r.id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert await ServiceRequest.count().where(ServiceRequest.org == org.id) == 1
    assert await IdempotencyKey.count().where(IdempotencyKey.org == org.id) == 1


async def test_inbox_and_detail_queries_do_not_grow(
    client: AsyncTestClient, org: OrgFixture, queries: QueryCounter, app
) -> None:
    actor = await _actor(app, org)
    first = await submit(actor, GENERAL, NewRequest(kind="other", title="first"), channel="pwa")
    await login(client, org.logins["employee"])

    async def count(path: str) -> int:
        queries.reset()
        assert (await client.get(path)).status_code == 200
        return queries.count

    before = [await count("/requests"), await count(f"/requests/{first.number}"), await count("/")]
    for i in range(30):
        made = await submit(actor, GENERAL, NewRequest(kind="other", title=f"n{i}"), channel="pwa")
        await transition(actor, org.id, made.id, Action.CANCEL) if i % 3 == 0 else None
    await transition(actor, org.id, first.id, Action.START)
    await transition(actor, org.id, first.id, Action.HOLD)
    await transition(actor, org.id, first.id, Action.RESUME)
    after = [await count("/requests"), await count(f"/requests/{first.number}"), await count("/")]
    assert after == before


async def test_live_fragment_and_stream_follow_the_visibility_rule(
    client: AsyncTestClient, org: OrgFixture, app
) -> None:
    made = await submit(
        await _actor(app, org), GENERAL, NewRequest(kind="other", title="live"), channel="pwa"
    )
    await login(client, org.logins["employee"])
    fragment = await client.get(f"/requests/{made.number}", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="live"') and "<html" not in fragment.text
    await login(client, org.logins["notices_admin"])
    assert (await client.get(f"/requests/{made.number}/live")).status_code == 404
