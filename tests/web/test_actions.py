"""Request actions over HTTP: the buttons come from the declarations, a refusal comes
back on the same page under its field with the note kept, and the API takes the same
actions (both engines)."""

from __future__ import annotations

from datetime import timedelta

from litestar.testing import AsyncTestClient

from core.clock import now
from core.identity.service import issue_token
from core.tables import RequestEvent, ServiceRequest
from tests.conftest import login, post
from tests.web.test_work_flow import _org, _row, _submit


async def _assigned(app):
    org = await _org()
    made = await _submit(app, org)
    row = await _row(made)
    agent = next(name for name, uid in org.users.items() if uid == row["assignee"])
    return org, made, agent


async def test_the_page_shows_the_declared_buttons_primary_first(
    client: AsyncTestClient, app
) -> None:
    org, made, agent = await _assigned(app)
    await login(client, org.logins[agent])
    page = (await client.get(f"/requests/{made.number}")).text
    base = f"/requests/{made.number}/actions"
    assert f'action="{base}/start"' in page  # the form's default is the primary action
    codes = [c for c in ("start", "accept", "decline") if f'data-action="{c}"' in page]
    assert codes == ["start", "accept", "decline"]
    assert page.index('data-action="start"') < page.index('data-action="accept"')
    assert "Required to: Decline" in page
    await login(client, org.logins["employee"])  # the requester has none of these
    assert 'data-action="start"' not in (await client.get(f"/requests/{made.number}")).text


async def test_a_missing_note_comes_back_under_the_field_and_keeps_nothing(
    client: AsyncTestClient, app
) -> None:
    org, made, agent = await _assigned(app)
    await login(client, org.logins[agent])
    before = await _row(made)
    refused = await post(
        client,
        f"/requests/{made.number}/actions/decline",
        {"version": str(before["version"]), "note": "  "},
    )
    assert refused.status_code == 422
    text = refused.text
    assert 'id="e-note"' in text and "Add a short note" in text
    assert "work-actions" in text and made.number in text  # the request page, not an error page
    after = await _row(made)
    assert after["status"] == "assigned" and after["version"] == before["version"]


async def test_a_stale_form_says_so_on_the_page_and_keeps_the_note(
    client: AsyncTestClient, app
) -> None:
    org, made, agent = await _assigned(app)
    await login(client, org.logins[agent])
    version = (await _row(made))["version"]
    stale = await post(
        client,
        f"/requests/{made.number}/actions/hold",
        {"version": str(version - 1), "note": "等配件到货"},
    )
    assert stale.status_code == 409
    assert "changed in the meantime" in stale.text and 'value="等配件到货"' in stale.text
    assert (await _row(made))["status"] == "assigned"


async def test_accept_is_the_first_response_and_only_once(client: AsyncTestClient, app) -> None:
    org, made, agent = await _assigned(app)
    await login(client, org.logins[agent])
    version = (await _row(made))["version"]
    accepted = await post(
        client, f"/requests/{made.number}/actions/accept", {"version": str(version)}
    )
    assert accepted.status_code == 303
    row = await _row(made)
    assert row["first_response_at"] is not None and row["version"] == version + 1
    again = await post(client, f"/requests/{made.number}/actions/accept")
    assert again.status_code == 409  # nobody answered yet: no longer true
    kinds = await RequestEvent.select(RequestEvent.kind).where(RequestEvent.request == made.id)
    assert [k["kind"] for k in kinds].count("accepted") == 1


async def test_reopen_after_the_window_is_refused_and_rolled_back(
    client: AsyncTestClient, app
) -> None:
    org, made, agent = await _assigned(app)
    await login(client, org.logins[agent])
    for step in ("start", "resolve"):
        assert (await post(client, f"/requests/{made.number}/actions/{step}")).status_code == 303
    await ServiceRequest.update({ServiceRequest.resolved_at: now() - timedelta(days=8)}).where(
        ServiceRequest.id == made.id
    )
    await login(client, org.logins["employee"])
    late = await post(client, f"/requests/{made.number}/actions/reopen", {"note": "又坏了"})
    assert late.status_code == 409 and "within 7 days" in late.text
    row = await _row(made)
    assert row["status"] == "resolved" and row["resolved_at"] is not None
    reopened = await RequestEvent.count().where(
        (RequestEvent.request == made.id) & (RequestEvent.to_status == "reopened")
    )
    assert reopened == 0


async def test_unknown_or_foreign_actions(client: AsyncTestClient, app) -> None:
    org, made, agent = await _assigned(app)
    await login(client, org.logins[agent])
    assert (await post(client, f"/requests/{made.number}/actions/fly")).status_code == 404
    assert (await post(client, f"/requests/{made.number}/actions/close")).status_code == 403
    page = await client.get(f"/requests/{made.number}/actions/start")  # no photos: a button
    assert page.status_code == 303 and page.headers["location"] == f"/requests/{made.number}"


async def test_the_api_lists_and_takes_the_same_actions(client: AsyncTestClient, app) -> None:
    org, made, agent = await _assigned(app)
    auth = {"Authorization": f"Bearer {await issue_token(org.id, org.users[agent], 'test')}"}
    base = f"/api/v1/requests/{made.number}/actions"
    listed = (await client.get(base, headers=auth)).json()
    assert [(a["code"], a["primary"]) for a in listed] == [
        ("start", True),
        ("accept", False),
        ("decline", False),
    ]
    assert listed[2]["note"] == "required"
    missing = await client.post(f"{base}/decline", json={}, headers=auth)
    assert missing.status_code == 422 and "note" in missing.json()["errors"]
    version = (await _row(made))["version"]
    stale = await client.post(f"{base}/start", json={"version": version - 1}, headers=auth)
    assert stale.status_code == 409
    started = await client.post(f"{base}/start", json={"version": version}, headers=auth)
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    assert (await client.post(f"{base}/nope", json={}, headers=auth)).status_code == 404
    assert (await client.post(f"{base}/close", json={}, headers=auth)).status_code == 403
