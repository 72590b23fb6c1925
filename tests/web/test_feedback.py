"""Ratings: only the requester, once, after resolution; low ratings are followed up."""

from __future__ import annotations

import asyncio

import pytest
from litestar.testing import AsyncTestClient

from core.default_plugin import GENERAL
from core.identity.service import load_actor
from core.lifecycle import inbox
from core.lifecycle.feedback import CannotRate, rate
from core.lifecycle.kernel import transition
from core.lifecycle.states import Action
from core.lifecycle.submit import NewRequest, submit
from core.tables import Rating, ServiceRequest
from tests.conftest import OrgFixture, login, make_org, post

ROLES = {
    "employee": ("employee",),
    "agent": ("employee", "agent"),
    "svc": ("employee", "service_admin:general"),
    "other_svc": ("employee", "service_admin:notices"),
}


async def _resolved(app, org: OrgFixture):
    actor = await load_actor(org.users["employee"], app.state.plugins, app.state.permissions)
    made = await submit(actor, GENERAL, NewRequest(kind="other", title="x"), channel="pwa")
    agent = await load_actor(org.users["agent"], app.state.plugins, app.state.permissions)
    await ServiceRequest.update({ServiceRequest.assignee: org.users["agent"]}).where(
        ServiceRequest.id == made.id
    )
    for action in (Action.START, Action.RESOLVE):
        await transition(agent, org.id, made.id, action)
    return made, actor


async def test_rating_closes_once_and_low_scores_open_a_follow_up(
    client: AsyncTestClient, app
) -> None:
    org = await make_org(ROLES)
    made, _actor = await _resolved(app, org)
    await login(client, org.logins["employee"])
    page = await client.get(f"/requests/{made.number}")
    assert 'action="/requests/' in page.text and "/rate" in page.text
    assert (await post(client, f"/requests/{made.number}/rate", {"score": "9"})).status_code == 422
    response = await post(
        client,
        f"/requests/{made.number}/rate",
        {"score": "2", "tags": ["slow", "bogus"], "comment": "等了三天"},
    )
    assert response.status_code == 303
    rating = await Rating.objects().where(Rating.request == made.id).first()
    assert rating.score == 2 and rating.follow_up == "open"
    assert (
        await ServiceRequest.select(ServiceRequest.status)
        .where(ServiceRequest.id == made.id)
        .first()
    )["status"] == "closed"
    assert (await post(client, f"/requests/{made.number}/rate", {"score": "5"})).status_code == 409

    await login(client, org.logins["other_svc"])
    assert made.number not in (await client.get("/desk/follow-ups")).text
    await login(client, org.logins["svc"])
    queue = await client.get("/desk/follow-ups")
    assert made.number in queue.text and "等了三天" in queue.text
    assert (await post(client, f"/desk/follow-ups/{rating.id}", {"note": ""})).status_code == 422
    assert (
        await post(client, f"/desk/follow-ups/{rating.id}", {"note": "已致电道歉"})
    ).status_code == 303
    assert (await Rating.objects().where(Rating.id == rating.id).first()).follow_up == "done"
    await login(client, org.logins["employee"])
    assert (await client.get("/desk/follow-ups")).status_code == 403


async def test_two_ratings_at_once_store_one(app) -> None:
    org = await make_org(ROLES)
    made, actor = await _resolved(app, org)
    row = await inbox.visible_request(actor, made.number)
    results = await asyncio.gather(
        *(rate(actor, row, 5, [], "") for _ in range(4)), return_exceptions=True
    )
    assert sum(r is None for r in results) == 1
    assert await Rating.count().where(Rating.request == made.id) == 1


async def test_only_the_requester_rates_a_resolved_request(app) -> None:
    org = await make_org(ROLES)
    made, actor = await _resolved(app, org)
    agent = await load_actor(org.users["agent"], app.state.plugins, app.state.permissions)
    row = await inbox.visible_request(actor, made.number)
    with pytest.raises(CannotRate):
        await rate(agent, row, 5, [], "")
    fresh = await submit(actor, GENERAL, NewRequest(kind="other", title="y"), channel="pwa")
    with pytest.raises(CannotRate):
        await rate(actor, await inbox.visible_request(actor, fresh.number), 5, [], "")


async def test_the_database_refuses_scores_outside_one_to_five(app) -> None:
    org = await make_org(ROLES)
    made, _actor = await _resolved(app, org)
    with pytest.raises(Exception):  # noqa: B017 - CHECK on PostgreSQL, trigger on SQLite
        await Rating.insert(Rating(org=org.id, request=made.id, service="general", score=9))
    assert await Rating.count().where(Rating.request == made.id) == 0
