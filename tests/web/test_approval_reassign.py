"""An org admin passes a stuck approval step to someone else; it is recorded (DESIGN §9).

Also: the approvals tab reaches department heads who hold no approver role, and
delegations are read on the organisation's local date. Both engines.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import AsyncTestClient

from core.identity.service import create_department, create_user
from core.tables import (
    ApprovalTask,
    AuditEntry,
    Delegation,
    Notification,
    Organisation,
    RequestEvent,
    User,
)
from tests.conftest import _PASSWORD_HASH, PASSWORD, QueryCounter, login, make_org, post
from tests.web.test_approvals_flow import (
    CHAIN,
    _open_approvers,
    _org_with_departments,
    _rule,
    _status,
    _submit,
)


async def _pending_step(request_id: int) -> int:
    return (
        await ApprovalTask.select(ApprovalTask.step)
        .where((ApprovalTask.request == request_id) & ApprovalTask.open.eq(True))
        .first()
    )["step"]


async def test_admin_passes_a_stuck_step_to_someone_else(client: AsyncTestClient, app) -> None:
    org = await _org_with_departments()
    await _rule(org, position=10, mode="chain", steps=CHAIN[:1])
    made = await _submit(app, org, amount=None)
    step = await _pending_step(made.id)
    assert await _open_approvers(made.id) == {org.users["head"]}

    await login(client, org.logins["admin"])
    listing = await client.get("/admin/approval-steps")
    assert listing.status_code == 200
    assert made.number in listing.text and f"/admin/approval-steps/{step}" in listing.text
    detail = await client.get(f"/requests/{made.number}")
    assert f"/admin/approval-steps/{step}?back=request" in detail.text

    page = await client.get(f"/admin/approval-steps/{step}")
    assert page.status_code == 200 and "Type part of a name" in page.text
    # typeahead: an htmx request gets only the matches, never the requester
    found = await client.get(
        f"/admin/approval-steps/{step}", params={"q": "Finance"}, headers={"HX-Request": "true"}
    )
    assert found.status_code == 200 and "<html" not in found.text
    assert f'value="{org.users["finance"]}"' in found.text
    mine = await client.get(
        f"/admin/approval-steps/{step}", params={"q": "Employee"}, headers={"HX-Request": "true"}
    )
    assert f'value="{org.users["employee"]}"' not in mine.text

    done = await post(
        client,
        f"/admin/approval-steps/{step}",
        {"user": str(org.users["finance"]), "reason": "休假中", "back": "request"},
    )
    assert done.status_code == 303 and done.headers["location"] == f"/requests/{made.number}"
    assert await _open_approvers(made.id) == {org.users["finance"]}
    event = (
        await RequestEvent.select(RequestEvent.public, RequestEvent.message, RequestEvent.data)
        .where((RequestEvent.request == made.id) & (RequestEvent.kind == "approval_reassigned"))
        .output(load_json=True)
        .first()
    )
    assert event["public"] is False and event["message"] == "休假中"
    assert event["data"]["from"] == [org.users["head"]]
    assert event["data"]["to"] == org.users["finance"]
    audit = await AuditEntry.select(AuditEntry.actor_id, AuditEntry.target).where(
        (AuditEntry.org == org.id) & (AuditEntry.action == "approval.reassigned")
    )
    assert audit == [{"actor_id": org.users["admin"], "target": made.number}]
    assert await Notification.exists().where(
        (Notification.user == org.users["finance"]) & (Notification.kind == "approval:reassigned")
    )
    assert "Approval passed to" in (await client.get(f"/requests/{made.number}")).text
    assert "Approval step passed to someone else" in (await client.get("/admin/audit")).text

    # the previous approver can no longer decide; the new one can
    await login(client, org.logins["head"])
    assert (await post(client, f"/approvals/{step}/approve")).status_code == 409
    await login(client, org.logins["finance"])
    assert "An approval was passed to you" in (await client.get("/notifications")).text
    assert (await post(client, f"/approvals/{step}/approve")).status_code == 303
    assert await _status(made.id) == "approved"

    # a decided step cannot be reassigned any more
    await login(client, org.logins["admin"])
    late = await post(
        client, f"/admin/approval-steps/{step}", {"user": str(org.users["head"]), "reason": "x"}
    )
    assert late.status_code == 409


async def test_reassignment_is_validated(client: AsyncTestClient, app) -> None:
    org = await _org_with_departments()
    other = await make_org()
    await _rule(org, position=10, mode="chain", steps=CHAIN[:1])
    made = await _submit(app, org, amount=None)
    step = await _pending_step(made.id)
    url = f"/admin/approval-steps/{step}"
    await login(client, org.logins["admin"])
    missing = await post(client, url, {"user": "", "reason": ""})
    assert missing.status_code == 422
    assert "Search for a person" in missing.text and "Say why, for the record." in missing.text
    kept = await post(client, url, {"user": str(org.users["finance"]), "reason": ""})
    assert kept.status_code == 422  # the person already picked stays picked
    assert f'value="{org.users["finance"]}" checked' in kept.text
    own = await post(client, url, {"user": str(org.users["employee"]), "reason": "r"})
    assert own.status_code == 422 and "cannot approve their own request" in own.text
    foreign = await post(client, url, {"user": str(other.users["employee"]), "reason": "r"})
    assert foreign.status_code == 422 and "active person of your organisation" in foreign.text
    assert await _open_approvers(made.id) == {org.users["head"]}  # nothing changed
    assert not await AuditEntry.exists().where(
        (AuditEntry.org == org.id) & (AuditEntry.action == "approval.reassigned")
    )

    # only org admins; admins of another organisation do not find the step
    await login(client, org.logins["head"])
    assert (await client.get("/admin/approval-steps")).status_code == 403
    assert (
        await post(client, url, {"user": str(org.users["head"]), "reason": "r"})
    ).status_code == 403
    await login(client, other.logins["admin"])
    assert (await client.get(url)).status_code == 404
    stolen = await post(client, url, {"user": str(other.users["admin"]), "reason": "r"})
    assert stolen.status_code == 404
    assert made.number not in (await client.get("/admin/approval-steps")).text
    assert await _open_approvers(made.id) == {org.users["head"]}


async def test_waiting_list_has_fixed_queries_and_pages(
    client: AsyncTestClient, app, queries: QueryCounter
) -> None:
    org = await _org_with_departments()
    await _rule(org, position=10, mode="chain", steps=CHAIN[:1])
    first = await _submit(app, org, amount=None)
    await login(client, org.logins["admin"])
    queries.reset()
    assert (await client.get("/admin/approval-steps")).status_code == 200
    one = queries.count
    for _ in range(30):
        await _submit(app, org, amount=None)
    queries.reset()
    page = await client.get("/admin/approval-steps")
    assert queries.count == one
    assert first.number in page.text and "?after=" in page.text  # 31 steps: two pages
    after = page.text.split("?after=")[1].split('"')[0]
    second = await client.get(f"/admin/approval-steps?after={after}")
    assert second.status_code == 200 and first.number not in second.text


async def test_a_department_head_without_the_approver_role_sees_the_tab(
    client: AsyncTestClient, app
) -> None:
    org = await make_org({"employee": ("employee",), "head": ("employee",)})
    dept = await create_department(org.id, "行政部", head_user_id=org.users["head"])
    await User.update({User.department: dept}).where(User.id == org.users["employee"])
    await _rule(org, position=10, mode="chain", steps=CHAIN[:1])
    await login(client, org.logins["head"])
    assert 'href="/approvals"' not in (await client.get("/")).text
    made = await _submit(app, org, amount=None)
    assert await _open_approvers(made.id) == {org.users["head"]}
    home = await client.get("/")
    assert 'href="/approvals"' in home.text and "1 waiting" in home.text
    page = await client.get("/approvals")
    assert page.status_code == 200 and made.number in page.text


@pytest.fixture
def server_clock_ahead():
    """The server's local clock 14 hours ahead of UTC (date.today() follows TZ)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("TZ", "Etc/GMT-14")
    time.tzset()
    yield
    mp.undo()
    time.tzset()


async def test_delegations_are_read_on_the_orgs_local_date(
    client: AsyncTestClient, app, server_clock_ahead
) -> None:
    org = await _org_with_departments()
    # 11 hours behind UTC: the server's date is always a day or two later than the org's
    zone = "Pacific/Pago_Pago"
    await Organisation.update({Organisation.time_zone: zone}).where(Organisation.id == org.id)
    org_today = datetime.now(ZoneInfo(zone)).date()
    await Delegation.insert(
        Delegation(
            org=org.id,
            delegator=org.users["head"],
            delegate=org.users["deputy"],
            starts=org_today - timedelta(days=1),
            ends=org_today,  # the last day, in the organisation's calendar
        )
    )
    await _rule(org, position=10, mode="chain", steps=CHAIN[:1])
    made = await _submit(app, org, amount=None)
    assert await _open_approvers(made.id) == {org.users["deputy"]}
    await login(client, org.logins["head"])
    assert "Deputy" in (await client.get("/me/delegation")).text


async def test_user_search_is_capped(client: AsyncTestClient, app) -> None:
    org = await _org_with_departments()
    for i in range(25):
        await create_user(
            org.id, f"many{i}.{org.slug}", f"Many {i}", PASSWORD, password_hash=_PASSWORD_HASH
        )
    await _rule(org, position=10, mode="chain", steps=CHAIN[:1])
    made = await _submit(app, org, amount=None)
    step = await _pending_step(made.id)
    await login(client, org.logins["admin"])
    page = await client.get(f"/admin/approval-steps/{step}", params={"q": "many"})
    assert page.text.count('name="user"') == 20 and "Showing the first 20" in page.text
