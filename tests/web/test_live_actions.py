"""The live part of a request page carries the actions that fit the current status.

An open request page re-fetches ``#live`` (the ``live`` block) whenever the request
changes. The forms that depend on the status (approve, the agent's work buttons, rate,
cancel) are inside it, so the requester can rate as soon as the work is done, and a
cancel button does not linger after work has started, all without a reload.
``#live`` must not pass its own hx-* attributes on to those forms: a boosted form that
inherits ``hx-swap="outerHTML"`` from it no longer submits as a page.
"""

from __future__ import annotations

import re

from litestar.testing import AsyncTestClient

from core.default_plugin import GENERAL
from core.identity.service import load_actor
from core.lifecycle.dispatch import assign
from core.lifecycle.kernel import transition
from core.lifecycle.states import Action
from core.lifecycle.submit import NewRequest, submit
from tests.conftest import OrgFixture, login, make_org

HTMX = {"HX-Request": "true"}


async def _fragment(client: AsyncTestClient, number: str) -> str:
    response = await client.get(f"/requests/{number}", headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="live"'), response.text[:200]
    return response.text


async def test_live_fragment_follows_the_status_with_its_actions(
    db: object, client: AsyncTestClient, app
) -> None:
    org: OrgFixture = await make_org({"employee": ("employee",), "agent": ("employee", "agent")})
    actor = await load_actor(org.users["employee"], app.state.plugins, app.state.permissions)
    made = await submit(actor, GENERAL, NewRequest(kind="other", title="搬桌子"), channel="pwa")
    number = made.number
    cancel, rate = (
        f'action="/requests/{number}/actions/cancel"',
        f'action="/requests/{number}/rate"',
    )
    work = f'formaction="/requests/{number}/actions/accept"'

    await login(client, org.logins["employee"])
    approved = await _fragment(client, number)
    assert cancel in approved and rate not in approved
    live_div = re.search(r'<div id="live"[^>]*>', approved)
    assert live_div is not None and 'hx-disinherit="*"' in live_div.group(0)

    await assign(None, org.id, made.id, org.users["agent"], None, "dispatcher")
    await login(client, org.logins["agent"])
    assert work in await _fragment(client, number)

    await transition(None, org.id, made.id, Action.START)
    await transition(None, org.id, made.id, Action.RESOLVE)
    await login(client, org.logins["employee"])
    resolved = await _fragment(client, number)
    assert rate in resolved and cancel not in resolved and work not in resolved
    page = await client.get(f"/requests/{number}")
    assert page.text.count(rate) == 1  # the full page holds the same forms once
