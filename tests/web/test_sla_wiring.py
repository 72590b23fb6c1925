"""SLA targets on real requests: due times at submit, pushed by holds, edited in /admin."""

from __future__ import annotations

from datetime import timedelta

from litestar.testing import AsyncTestClient

from core.clock import now
from core.default_plugin import GENERAL
from core.identity.service import load_actor
from core.lifecycle.kernel import transition
from core.lifecycle.states import Action
from core.lifecycle.submit import NewRequest, submit
from core.tables import Organisation, RequestEvent, ServiceRequest, SlaPolicy
from tests.conftest import OrgFixture, login, post

ALWAYS = {"weekly": {str(d): [["00:00", "24:00"]] for d in range(7)}}


async def _setup(org: OrgFixture) -> None:
    await Organisation.update({Organisation.calendar: ALWAYS}).where(Organisation.id == org.id)
    await SlaPolicy.insert(
        SlaPolicy(
            org=org.id, service="*", priority="*", response_minutes=60, resolution_minutes=240
        ),
        SlaPolicy(
            org=org.id,
            service="general",
            priority="urgent",
            response_minutes=15,
            resolution_minutes=60,
        ),
    )


async def test_due_times_follow_the_most_specific_policy_and_holds(app, org: OrgFixture) -> None:
    await _setup(org)
    actor = await load_actor(org.users["employee"], app.state.plugins, app.state.permissions)
    normal = await submit(actor, GENERAL, NewRequest(kind="other", title="n"), channel="pwa")
    urgent = await submit(
        actor, GENERAL, NewRequest(kind="other", title="u", priority="urgent"), channel="pwa"
    )
    n = await ServiceRequest.select().where(ServiceRequest.id == normal.id).first()
    u = await ServiceRequest.select().where(ServiceRequest.id == urgent.id).first()
    assert abs((n["response_due_at"] - n["submitted_at"]) - timedelta(hours=1)) < timedelta(
        seconds=1
    )
    assert abs((n["resolution_due_at"] - n["submitted_at"]) - timedelta(hours=4)) < timedelta(
        seconds=1
    )
    assert abs((u["resolution_due_at"] - u["submitted_at"]) - timedelta(hours=1)) < timedelta(
        seconds=1
    )

    # submitted three hours ago, on hold for the last two: resolution due = 4 h + 2 h later
    for action in (Action.START, Action.HOLD):
        await transition(actor, org.id, normal.id, action)
    moment = now()
    await ServiceRequest.update({ServiceRequest.submitted_at: moment - timedelta(hours=3)}).where(
        ServiceRequest.id == normal.id
    )
    await RequestEvent.update({RequestEvent.created_at: moment - timedelta(hours=2)}).where(
        (RequestEvent.request == normal.id) & (RequestEvent.to_status == "on_hold")
    )
    await transition(actor, org.id, normal.id, Action.RESUME)
    moved = await ServiceRequest.select().where(ServiceRequest.id == normal.id).first()
    pushed = moved["resolution_due_at"] - moved["submitted_at"]
    assert abs(pushed - timedelta(hours=6)) < timedelta(seconds=5), pushed


async def test_request_page_shows_due_times_in_words(
    client: AsyncTestClient, app, org: OrgFixture
) -> None:
    await _setup(org)
    actor = await load_actor(org.users["employee"], app.state.plugins, app.state.permissions)
    made = await submit(actor, GENERAL, NewRequest(kind="other", title="n"), channel="pwa")
    await login(client, org.logins["employee"])
    page = await client.get(f"/requests/{made.number}", headers={"accept-language": "en"})
    assert "Resolution due" in page.text and "due--ok" in page.text and "on time" in page.text


async def test_sla_admin_validates_and_saves(client: AsyncTestClient, org: OrgFixture) -> None:
    await login(client, org.logins["admin"])
    assert (await client.get("/admin/sla")).status_code == 200
    bad = await post(
        client,
        "/admin/sla",
        {
            "service": "general",
            "priority": "normal",
            "response_hours": "8",
            "resolution_hours": "2",
        },
    )
    assert bad.status_code == 422 and "cannot be shorter" in bad.text
    nonsense = await post(
        client,
        "/admin/sla",
        {"service": "nope", "priority": "normal", "response_hours": "x", "resolution_hours": "2"},
    )
    assert nonsense.status_code == 422 and "Enter business hours" in nonsense.text
    for hours in ("2", "3"):  # the second save updates the same policy
        ok = await post(
            client,
            "/admin/sla",
            {
                "service": "general",
                "priority": "normal",
                "response_hours": "0.5",
                "resolution_hours": hours,
            },
        )
        assert ok.status_code == 303
    rows = await SlaPolicy.select().where(SlaPolicy.org == org.id)
    assert (
        len(rows) == 1
        and rows[0]["response_minutes"] == 30
        and rows[0]["resolution_minutes"] == 180
    )

    bad_cal = await post(
        client,
        "/admin/sla/calendar",
        {"days": ["0", "1"], "am_start": "09:00", "am_end": "12:00", "holidays": "2026-13-40"},
    )
    assert bad_cal.status_code == 422 and "cannot be saved" in bad_cal.text
    ok_cal = await post(
        client,
        "/admin/sla/calendar",
        {
            "days": ["0", "1", "2", "3", "4"],
            "am_start": "09:00",
            "am_end": "12:00",
            "pm_start": "13:00",
            "pm_end": "18:00",
            "holidays": "2026-10-01\n2026-10-02",
            "extra_workdays": "2026-10-10",
        },
    )
    assert ok_cal.status_code == 303
    page = await client.get("/admin/sla")
    assert "2026-10-02" in page.text and "2026-10-10" in page.text
    await login(client, org.logins["employee"])
    assert (await client.get("/admin/sla")).status_code == 403


async def test_the_clocks_start_when_the_request_is_approved(
    client: AsyncTestClient, app, org: OrgFixture
) -> None:
    """While a request waits for approval nobody can answer it: it has no due times (so
    nothing turns amber), and both clocks start from the approval."""
    from decimal import Decimal

    from core.lifecycle.routing import decide_step
    from core.tables import ApprovalRule, ApprovalStep, User

    await _setup(org)
    await ApprovalRule.insert(
        ApprovalRule(
            org=org.id,
            name="any admin",
            service="general",
            mode="chain",
            steps=[{"kind": "any_of", "role": None, "user_ids": [org.users["admin"]]}],
        )
    )
    actor = await load_actor(org.users["employee"], app.state.plugins, app.state.permissions)
    made = await submit(
        actor, GENERAL, NewRequest(kind="other", title="c", amount=Decimal(1)), channel="pwa"
    )
    row = await ServiceRequest.select().where(ServiceRequest.id == made.id).first()
    assert row["status"] == "pending_approval"
    assert row["response_due_at"] is None and row["resolution_due_at"] is None
    await login(client, org.logins["employee"])
    page = await client.get(f"/requests/{made.number}", headers={"accept-language": "en"})
    assert "Starts when it is approved" in page.text and "due--soon" not in page.text

    # approved three hours after it was sent: due one hour (response) after the approval
    await ServiceRequest.update({ServiceRequest.submitted_at: now() - timedelta(hours=3)}).where(
        ServiceRequest.id == made.id
    )
    step = await ApprovalStep.select(ApprovalStep.id).where(ApprovalStep.request == made.id).first()
    admin = await User.select(User.id).where(User.id == org.users["admin"]).first()
    approver = await load_actor(admin["id"], app.state.plugins, app.state.permissions)
    await decide_step(approver, step["id"], True, "")
    row = await ServiceRequest.select().where(ServiceRequest.id == made.id).first()
    assert row["status"] in ("approved", "assigned")
    waited = row["response_due_at"] - now()
    assert timedelta(minutes=59) < waited <= timedelta(hours=1), waited
    assert timedelta(hours=3, minutes=59) < row["resolution_due_at"] - now() <= timedelta(hours=4)
