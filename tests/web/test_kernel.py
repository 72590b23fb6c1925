"""The lifecycle kernel's versioned changes that a plugin's steps use (SDK
``update_request`` and ``transition(first_response=, assignee_only=)``), on both engines."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.db import write_transaction
from core.default_plugin import GENERAL
from core.identity.service import load_actor
from core.lifecycle.kernel import Conflict, transition, update_request
from core.lifecycle.states import IN_HAND, PAUSED, Action, Status
from core.lifecycle.submit import NewRequest, submit
from core.tables import ServiceRequest, Team, TeamMember
from tests.conftest import make_org

ROLES = {"employee": ("employee",), "agent": ("employee", "agent"), "other": ("employee", "agent")}


async def _assigned(app):
    org = await make_org(ROLES)
    team = (
        await Team.insert(
            Team(org=org.id, service="general", name="组", strategy="least_load")
        ).returning(Team.id)
    )[0]["id"]
    await TeamMember.insert(TeamMember(org=org.id, team=team, user=org.users["agent"]))

    async def actor(who: str):
        return await load_actor(org.users[who], app.state.plugins, app.state.permissions)

    made = await submit(
        await actor("employee"), GENERAL, NewRequest(kind="other", title="灯不亮"), channel="pwa"
    )
    return actor, made.id


async def _row(request_id: int) -> dict:
    return await ServiceRequest.select().where(ServiceRequest.id == request_id).first()


async def test_update_request_writes_through_the_version(app, db) -> None:
    actor, request_id = await _assigned(app)
    agent = await actor("agent")
    before = await _row(request_id)
    assert before["status"] == Status.ASSIGNED and before["first_response_at"] is None
    async with write_transaction(db):
        moment = await update_request(
            agent,
            request_id,
            IN_HAND,
            first_response=True,
            changes={ServiceRequest.cost: Decimal("12.50")},
        )
    after = await _row(request_id)
    assert after["version"] == before["version"] + 1
    assert after["cost"] == Decimal("12.50") and after["first_response_at"] == moment
    async with write_transaction(db):
        await update_request(agent, request_id, IN_HAND, first_response=True)
    assert (await _row(request_id))["first_response_at"] == moment  # the first one stays


async def test_update_request_refuses_a_stale_version_another_status_or_person(app, db) -> None:
    actor, request_id = await _assigned(app)
    agent, other = await actor("agent"), await actor("other")
    version = (await _row(request_id))["version"]
    cases = [
        (other, IN_HAND, None),  # not the assignee
        (agent, IN_HAND - {Status.ASSIGNED}, None),  # not in one of the statuses
        (agent, IN_HAND, version - 1),  # changed since the page was read
    ]
    for who, statuses, expected in cases:
        with pytest.raises(Conflict):
            async with write_transaction(db):
                await update_request(
                    who,
                    request_id,
                    statuses,
                    expected_version=expected,
                    changes={ServiceRequest.cost: Decimal(1)},
                )
    row = await _row(request_id)
    assert row["version"] == version and row["cost"] is None  # nothing was written


async def test_a_transition_may_count_as_first_response_and_need_the_assignee(app, db) -> None:
    actor, request_id = await _assigned(app)
    agent, other = await actor("agent"), await actor("other")
    await transition(agent, agent.org_id, request_id, Action.START)
    assert (await _row(request_id))["first_response_at"] is None  # a plain move does not
    with pytest.raises(Conflict):
        await transition(other, other.org_id, request_id, Action.HOLD, assignee_only=True)
    await transition(
        agent, agent.org_id, request_id, Action.HOLD, first_response=True, assignee_only=True
    )
    row = await _row(request_id)
    assert row["status"] in PAUSED and row["first_response_at"] is not None
