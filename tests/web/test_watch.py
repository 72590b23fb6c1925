"""Periodic lifecycle jobs on both engines: SLA warnings and breaches, approval
reminders and escalation, auto-close of unrated requests; each runs twice to show it
is idempotent. Plus one round trip through SAQ on Redis."""

from __future__ import annotations

import os
import uuid
from dataclasses import replace
from datetime import timedelta

from litestar.testing import AsyncTestClient

from core.clock import now
from core.default_plugin import GENERAL
from core.identity.service import load_actor
from core.jobs import Job, JobContext, SaqRunner, saq_config
from core.lifecycle import watch
from core.lifecycle.kernel import transition
from core.lifecycle.states import Action
from core.lifecycle.submit import NewRequest, submit
from core.tables import (
    ApprovalRule,
    ApprovalTask,
    Notification,
    Organisation,
    RequestEvent,
    ServiceRequest,
    SlaPolicy,
)
from tests.conftest import OrgFixture, login, make_org, require_redis

ALWAYS = {"weekly": {str(d): [["00:00", "24:00"]] for d in range(7)}}
ROLES = {
    "employee": ("employee",),
    "agent": ("employee", "agent"),
    "dispatcher": ("employee", "dispatcher"),
    "svcadmin": ("employee", "service_admin:general"),
    "approver": ("employee", "approver"),
    "admin": ("employee", "org_admin"),
}


class Announced(list):
    async def __call__(self, org_id: int, number: str) -> None:
        self.append(number)


def _ctx(app) -> JobContext:
    return JobContext(settings=app.state.settings, registry=app.state.plugins, announce=Announced())


async def _org() -> OrgFixture:
    org = await make_org(ROLES)
    await Organisation.update({Organisation.calendar: ALWAYS}).where(Organisation.id == org.id)
    await SlaPolicy.insert(
        SlaPolicy(
            org=org.id, service="*", priority="*", response_minutes=60, resolution_minutes=240
        )
    )
    return org


async def _submit(app, org: OrgFixture, title: str = "灯不亮"):
    actor = await load_actor(org.users["employee"], app.state.plugins, app.state.permissions)
    return actor, await submit(actor, GENERAL, NewRequest(kind="other", title=title), channel="pwa")


async def _kinds(org: OrgFixture, user: str) -> list[str]:
    rows = await Notification.select(Notification.kind).where(
        (Notification.org == org.id) & (Notification.user == org.users[user])
    )
    return sorted(r["kind"] for r in rows)


async def test_sla_warning_then_breach_once_each(app, db) -> None:
    org = await _org()
    _, made = await _submit(app, org)
    moment = now()
    await ServiceRequest.update(
        {
            ServiceRequest.assignee: org.users["agent"],
            ServiceRequest.resolution_due_at: moment + timedelta(minutes=30),
        }
    ).where(ServiceRequest.id == made.id)
    ctx = _ctx(app)
    assert await watch.sla_watch(ctx, [org.id]) == {"warned": 1, "breached": 0}
    assert await watch.sla_watch(ctx, [org.id]) == {"warned": 0, "breached": 0}
    assert await _kinds(org, "agent") == ["sla:warning"]

    await ServiceRequest.update(
        {
            ServiceRequest.resolution_due_at: moment - timedelta(minutes=1),
            ServiceRequest.response_due_at: moment - timedelta(minutes=2),
        }
    ).where(ServiceRequest.id == made.id)
    assert await watch.sla_watch(ctx, [org.id]) == {"warned": 0, "breached": 2}
    assert await watch.sla_watch(ctx, [org.id]) == {"warned": 0, "breached": 0}
    for user in ("agent", "dispatcher", "svcadmin"):
        kinds = await _kinds(org, user)
        assert "sla:breached:resolution" in kinds and "sla:breached:response" in kinds, user
    # the requester is not bothered with internal escalations
    assert not [k for k in await _kinds(org, "employee") if k.startswith("sla:")]
    events = (
        await RequestEvent.select(RequestEvent.data, RequestEvent.public)
        .where((RequestEvent.request == made.id) & (RequestEvent.kind == "sla_breach"))
        .output(load_json=True)
    )
    assert sorted(e["data"]["target"] for e in events) == ["resolution", "response"]
    assert not any(e["public"] for e in events)
    assert ctx.announce == [made.number, made.number]


async def test_no_breach_once_answered_or_on_hold(app, db) -> None:
    org = await _org()
    actor, answered = await _submit(app, org, "answered")
    _, held = await _submit(app, org, "held")
    await transition(actor, org.id, held.id, Action.START)
    await transition(actor, org.id, held.id, Action.HOLD)
    past = now() - timedelta(minutes=5)
    await ServiceRequest.update(
        {ServiceRequest.response_due_at: past, ServiceRequest.first_response_at: past}
    ).where(ServiceRequest.id == answered.id)
    await ServiceRequest.update(
        {ServiceRequest.response_due_at: past, ServiceRequest.resolution_due_at: past}
    ).where(ServiceRequest.id == held.id)
    assert await watch.sla_watch(_ctx(app), [org.id]) == {"warned": 0, "breached": 0}


async def test_approval_reminder_then_escalation_to_admins(
    app, db, client: AsyncTestClient
) -> None:
    org = await _org()
    await ApprovalRule.insert(
        ApprovalRule(
            org=org.id,
            name="chain",
            mode="chain",
            steps=[{"kind": "role", "role": "approver", "user_ids": [], "levels_up": 0}],
        )
    )
    _, made = await _submit(app, org)
    task = ApprovalTask.request == made.id
    ctx = _ctx(app)
    assert await watch.approval_watch(ctx, [org.id]) == {"reminded": 0, "escalated": 0}  # too early

    await ApprovalTask.update({ApprovalTask.created_at: now() - timedelta(hours=5)}).where(task)
    assert await watch.approval_watch(ctx, [org.id]) == {"reminded": 1, "escalated": 0}
    assert await watch.approval_watch(ctx, [org.id]) == {"reminded": 0, "escalated": 0}
    assert "approval:reminder" in await _kinds(org, "approver")

    await ApprovalTask.update({ApprovalTask.created_at: now() - timedelta(hours=9)}).where(task)
    assert await watch.approval_watch(ctx, [org.id]) == {"reminded": 0, "escalated": 1}
    assert await watch.approval_watch(ctx, [org.id]) == {"reminded": 0, "escalated": 0}
    holders = {r["user"] for r in await ApprovalTask.select(ApprovalTask.user).where(task)}
    assert holders == {org.users["approver"], org.users["admin"]}
    assert "approval:escalated" in await _kinds(org, "admin")
    assert await RequestEvent.exists().where(
        (RequestEvent.request == made.id) & (RequestEvent.kind == "approval_escalated")
    )
    # the admin now finds it among their approvals and may decide it
    await login(client, org.logins["admin"])
    page = await client.get("/approvals", headers={"accept-language": "en"})
    assert made.number in page.text


async def test_unrated_resolved_requests_close_by_themselves(
    app, db, client: AsyncTestClient
) -> None:
    org = await _org()
    actor, old = await _submit(app, org, "old")
    _, recent = await _submit(app, org, "recent")
    for made in (old, recent):
        await transition(actor, org.id, made.id, Action.START)
        await transition(actor, org.id, made.id, Action.RESOLVE)
    await ServiceRequest.update(
        {ServiceRequest.resolved_at: now() - timedelta(days=app.state.settings.auto_close_days + 1)}
    ).where(ServiceRequest.id == old.id)
    ctx = _ctx(app)
    assert await watch.auto_close(ctx, [org.id]) == 1
    assert await watch.auto_close(ctx, [org.id]) == 0
    statuses = {
        r["id"]: r["status"]
        for r in await ServiceRequest.select(ServiceRequest.id, ServiceRequest.status).where(
            ServiceRequest.id.is_in([old.id, recent.id])
        )
    }
    assert statuses == {old.id: "closed", recent.id: "resolved"}
    assert ctx.announce == [old.number]
    await login(client, org.logins["employee"])
    page = await client.get(f"/requests/{old.number}", headers={"accept-language": "en"})
    assert "automatically, not rated in time" in page.text
    # the rating invitation has expired with it
    assert "Rate" not in page.text.split("Timeline")[0] or "rating" not in page.text


async def test_notification_list_words_the_watch_kinds(app, db, client: AsyncTestClient) -> None:
    org = await _org()
    _, made = await _submit(app, org)
    await ServiceRequest.update(
        {
            ServiceRequest.assignee: org.users["agent"],
            ServiceRequest.resolution_due_at: now() - timedelta(minutes=1),
        }
    ).where(ServiceRequest.id == made.id)
    await watch.sla_watch(_ctx(app), [org.id])
    await login(client, org.logins["agent"])
    page = await client.get("/notifications", headers={"accept-language": "zh-CN"})
    assert "已超过解决时限" in page.text


async def test_the_app_runs_jobs_in_process_while_it_serves(
    app, db, client: AsyncTestClient
) -> None:
    from core import jobs

    assert isinstance(app.state.jobs, jobs.InProcessRunner)
    assert jobs.current() is app.state.jobs  # installed by the app's start-up
    await jobs.enqueue("core.auto_close", key="now")
    await app.state.jobs.drain()
    assert app.state.jobs.failures == []


async def test_jobs_round_trip_through_saq_on_redis(app, db) -> None:
    require_redis()
    from litestar_saq import SAQPlugin

    seen: list[int] = []

    async def mark(ctx: JobContext, n: int) -> None:
        seen.append(n)

    url = os.environ.get("HOUQIN_TEST_REDIS", "redis://127.0.0.1:6379/15")
    settings = replace(app.state.settings, redis_url=url)
    context = JobContext(settings=settings, registry=app.state.plugins)
    listed = [Job("t.mark", mark)]
    config = saq_config(settings, listed, context)
    for queue_config in config.queue_configs:
        queue_config.burst = True
        queue_config.dequeue_timeout = 1.0
    worker = SAQPlugin(config).get_workers()["houqin"]
    runner = SaqRunner(listed, context, worker.queue)
    await runner.start()
    try:
        key = f"once-{uuid.uuid4()}"
        await runner.enqueue("t.mark", key=key, n=1)
        await runner.enqueue("t.mark", key=key, n=2)  # same key while queued: dropped
        await worker.start()  # burst: runs what is queued, then returns
    finally:
        await runner.stop()
    assert seen == [1]
