"""Editing a request before work starts, and re-approval when a stricter rule applies.

DESIGN §9 "Approvals can't be bypassed": an approved request edited so that it needs
more approval goes back to approval, its assignment withdrawn; nothing is dispatched
before the new approval completes (409). Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from decimal import Decimal

from litestar.testing import AsyncTestClient

from core.lifecycle.dispatch import assign
from core.lifecycle.kernel import transition
from core.lifecycle.states import Action
from core.tables import (
    ApprovalStep,
    ApprovalTask,
    Notification,
    PostAudit,
    RequestEvent,
    ServiceRequest,
    Team,
    TeamMember,
)
from tests.conftest import login, post
from tests.web.test_approvals_flow import (
    CHAIN,
    _open_approvers,
    _org_with_departments,
    _rule,
    _status,
    _submit,
)


async def _row(request_id: int) -> dict:
    return (
        await ServiceRequest.select(
            ServiceRequest.status,
            ServiceRequest.version,
            ServiceRequest.amount,
            ServiceRequest.title,
            ServiceRequest.assignee,
            ServiceRequest.approval_mode,
        )
        .where(ServiceRequest.id == request_id)
        .first()
    )


def _form(row: dict, **changes: str) -> dict[str, str]:
    base = {
        "title": row["title"],
        "description": "",
        "location": "",
        "priority": "normal",
        "amount": "" if row["amount"] is None else str(row["amount"]),
        "version": str(row["version"]),
    }
    return {**base, **changes}


async def _approve_open_step(client: AsyncTestClient, login_name: str, request_id: int) -> None:
    await login(client, login_name)
    step = (
        await ApprovalTask.select(ApprovalTask.step)
        .where((ApprovalTask.request == request_id) & ApprovalTask.open.eq(True))
        .first()
    )["step"]
    assert (await post(client, f"/approvals/{step}/approve")).status_code == 303


async def test_raising_the_amount_past_a_threshold_sends_it_back(
    client: AsyncTestClient, app
) -> None:
    org = await _org_with_departments()
    await _rule(org, position=10, min_amount=Decimal("1000"), mode="chain", steps=CHAIN[:1])
    made = await _submit(app, org, amount="500")
    assert await _status(made.id) == "approved"  # below the threshold: no rule, auto
    await assign(None, org.id, made.id, org.users["outsider"], None, "dispatcher")
    assert (await _row(made.id))["assignee"] == org.users["outsider"]

    await login(client, org.logins["employee"])
    page = await client.get(f"/requests/{made.number}")
    assert f'href="/requests/{made.number}/edit"' in page.text
    assert (await client.get(f"/requests/{made.number}/edit")).status_code == 200
    saved = await post(
        client, f"/requests/{made.number}/edit", _form(await _row(made.id), amount="5000")
    )
    assert saved.status_code == 303, saved.text

    row = await _row(made.id)
    assert row["status"] == "pending_approval" and row["approval_mode"] == "chain"
    assert row["assignee"] is None  # the assignment is withdrawn
    assert row["amount"] == Decimal("5000")
    assert await _open_approvers(made.id) == {org.users["head"]}
    edited = (
        await RequestEvent.select(RequestEvent.data)
        .where((RequestEvent.request == made.id) & (RequestEvent.kind == "edited"))
        .output(load_json=True)
        .first()
    )
    assert edited["data"]["changes"] == {"amount": ["500.00", "5000.00"]}
    # the withdrawn assignee is told; the requester edited it themselves
    kinds = {
        (n["user"], n["kind"])
        for n in await Notification.select(Notification.user, Notification.kind).where(
            Notification.request == made.id
        )
    }
    assert (org.users["outsider"], "task:withdrawn") in kinds
    assert (org.users["head"], "approval_needed") in kinds
    detail = await client.get(f"/requests/{made.number}")
    assert "needs approval again (rule “rule”)" in detail.text  # the editor is told why
    assert "again, after a change" in detail.text and "¥500.00 → ¥5000.00" in detail.text

    # nothing is dispatched before the new approval completes
    team = (await Team.insert(Team(org=org.id, service="general", name="后勤")))[0]["id"]
    await TeamMember.insert(TeamMember(org=org.id, team=team, user=org.users["outsider"]))
    await login(client, org.logins["admin"])
    early = await post(client, f"/desk/assign/{made.number}", {"agent": org.users["outsider"]})
    assert early.status_code == 409
    assert await _status(made.id) == "pending_approval"

    await _approve_open_step(client, org.logins["head"], made.id)
    assert await _status(made.id) == "assigned"  # approved, then dispatched to the team


async def test_lowering_the_amount_keeps_the_approval(client: AsyncTestClient, app) -> None:
    org = await _org_with_departments()
    await _rule(org, position=10, min_amount=Decimal("1000"), mode="chain", steps=CHAIN[:1])
    made = await _submit(app, org, amount="5000")
    await _approve_open_step(client, org.logins["head"], made.id)
    assert await _status(made.id) == "approved"
    tasks_before = await ApprovalTask.count().where(ApprovalTask.request == made.id)

    await login(client, org.logins["employee"])
    for amount in ("800", "6000"):  # below the rule, then within the same rule again
        response = await post(
            client, f"/requests/{made.number}/edit", _form(await _row(made.id), amount=amount)
        )
        assert response.status_code == 303
        assert await _status(made.id) == "approved"
    assert await ApprovalTask.count().where(ApprovalTask.request == made.id) == tasks_before
    assert (await _row(made.id))["amount"] == Decimal("6000")


async def test_a_stricter_tier_replaces_the_chain(client: AsyncTestClient, app) -> None:
    org = await _org_with_departments()
    await _rule(org, position=5, min_amount=Decimal("10000"), mode="chain", steps=CHAIN)
    await _rule(org, position=10, min_amount=Decimal("1000"), mode="chain", steps=CHAIN[:1])
    made = await _submit(app, org, amount="5000")
    assert await _status(made.id) == "pending_approval"  # waiting for the head
    await login(client, org.logins["employee"])
    response = await post(
        client, f"/requests/{made.number}/edit", _form(await _row(made.id), amount="20000")
    )
    assert response.status_code == 303
    steps = (
        await ApprovalStep.select(ApprovalStep.position, ApprovalStep.status)
        .where(ApprovalStep.request == made.id)
        .order_by(ApprovalStep.position)
    )
    assert [s["status"] for s in steps] == ["superseded", "pending", "waiting"]
    assert [s["position"] for s in steps] == [0, 1, 2]
    # the old step's task is closed; the head is asked again, for the new chain
    assert await _open_approvers(made.id) == {org.users["head"]}
    page = await client.get(f"/requests/{made.number}")
    assert page.text.count("approval-chain__step--") == 2  # the superseded step is hidden


async def test_filing_after_an_edit_is_recorded_and_sampled(client: AsyncTestClient, app) -> None:
    org = await _org_with_departments()
    await _rule(org, position=10, min_amount=Decimal("1000"), mode="filing", sample_percent=100)
    made = await _submit(app, org, amount="500")
    assert (await _row(made.id))["approval_mode"] == "auto"
    await login(client, org.logins["employee"])
    response = await post(
        client, f"/requests/{made.number}/edit", _form(await _row(made.id), amount="1500")
    )
    assert response.status_code == 303
    row = await _row(made.id)
    assert row["status"] == "approved" and row["approval_mode"] == "filing"
    assert await PostAudit.exists().where(PostAudit.request == made.id)
    assert await RequestEvent.exists().where(
        (RequestEvent.request == made.id) & (RequestEvent.kind == "refiled")
    )


async def test_cannot_edit_once_work_has_started(client: AsyncTestClient, app) -> None:
    org = await _org_with_departments()
    made = await _submit(app, org, amount="500")
    await assign(None, org.id, made.id, org.users["outsider"], None, "dispatcher")
    await transition(None, org.id, made.id, Action.START)
    before = await _row(made.id)
    await login(client, org.logins["employee"])
    page = await client.get(f"/requests/{made.number}")
    assert f"/requests/{made.number}/edit" not in page.text
    assert (await client.get(f"/requests/{made.number}/edit")).status_code == 409
    refused = await post(
        client, f"/requests/{made.number}/edit", _form(before, title="changed", amount="99999")
    )
    assert refused.status_code == 409
    assert "can no longer be edited: work on it has started" in refused.text
    assert await _row(made.id) == before


async def test_a_stale_form_gets_409_and_bad_input_422(client: AsyncTestClient, app) -> None:
    org = await _org_with_departments()
    made = await _submit(app, org, amount="500")
    before = await _row(made.id)
    await login(client, org.logins["employee"])
    stale = await post(
        client,
        f"/requests/{made.number}/edit",
        _form(before, title="late", version=str(before["version"] - 1)),
    )
    assert stale.status_code == 409 and "changed in the meantime" in stale.text
    bad = await post(client, f"/requests/{made.number}/edit", _form(before, title="", amount="x"))
    assert bad.status_code == 422
    assert "Say in a few words what you need." in bad.text
    assert "Enter an amount such as 5000" in bad.text
    cleared = await post(client, f"/requests/{made.number}/edit", _form(before, amount=""))
    assert cleared.status_code == 422 and "Enter the amount" in cleared.text
    assert await _row(made.id) == before  # nothing half-written
    same = await post(client, f"/requests/{made.number}/edit", _form(before))
    assert same.status_code == 303 and await _row(made.id) == before


async def test_others_get_404_and_the_desk_edits_on_behalf(client: AsyncTestClient, app) -> None:
    org = await _org_with_departments()
    await _rule(org, position=10, min_amount=Decimal("1000"), mode="chain", steps=CHAIN[:1])
    made = await _submit(app, org, amount="5000")
    before = await _row(made.id)
    # an unrelated colleague, and the approver (who may read it but not edit it)
    for who in ("outsider", "head"):
        await login(client, org.logins[who])
        assert (await client.get(f"/requests/{made.number}/edit")).status_code == 404
        response = await post(client, f"/requests/{made.number}/edit", _form(before, title="x"))
        assert response.status_code == 404
    assert await _row(made.id) == before

    await login(client, org.logins["admin"])
    assert (await client.get(f"/requests/{made.number}/edit")).status_code == 200
    response = await post(
        client, f"/requests/{made.number}/edit", _form(before, location="三楼 301")
    )
    assert response.status_code == 303
    assert await _status(made.id) == "pending_approval"  # location needs no new approval
    event = (
        await RequestEvent.select(RequestEvent.actor)
        .where((RequestEvent.request == made.id) & (RequestEvent.kind == "edited"))
        .first()
    )
    assert event["actor"] == org.users["admin"]


async def test_the_requester_is_told_when_the_desk_sends_it_back(
    client: AsyncTestClient, app
) -> None:
    org = await _org_with_departments()
    await _rule(org, position=10, min_amount=Decimal("1000"), mode="chain", steps=CHAIN[:1])
    made = await _submit(app, org, amount="500")
    await login(client, org.logins["admin"])
    response = await post(
        client, f"/requests/{made.number}/edit", _form(await _row(made.id), amount="1500")
    )
    assert response.status_code == 303
    assert await _status(made.id) == "pending_approval"
    assert await Notification.exists().where(
        (Notification.request == made.id)
        & (Notification.user == org.users["employee"])
        & (Notification.kind == "approval:again")
    )
    await login(client, org.logins["employee"])
    assert "Back to approval after a change" in (await client.get("/notifications")).text
