"""Periodic lifecycle jobs: SLA warnings and breaches, approval reminders and
escalation, auto-close of resolved requests nobody rated.

Each job walks the organisations one by one (every query leads with ``org``, DESIGN
§6), looks at a bounded batch of candidates through an index, and marks what it did
with a conditional update (``... WHERE sla_warned_at IS NULL RETURNING id``), so a
second run, or two processes running it at once, never notify twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from core.clock import now
from core.db import write_transaction
from core.identity.roles import DISPATCHER, ORG_ADMIN, SERVICE_ADMIN
from core.jobs import Job, JobContext
from core.lifecycle.deadlines import SOON, calendar_of
from core.lifecycle.kernel import Conflict, transition
from core.lifecycle.notify import notify
from core.lifecycle.sla import business_time_between
from core.lifecycle.states import Action, IllegalTransition, Status
from core.tables import (
    ApprovalStep,
    ApprovalTask,
    Organisation,
    RequestEvent,
    RoleGrant,
    ServiceRequest,
)

BATCH = 200
# Approval steps: remind the approvers after half a working day, escalate to the
# organisation's admins after a whole one (business time on the org's calendar).
REMIND_AFTER = timedelta(hours=4)
ESCALATE_AFTER = timedelta(hours=8)
# Statuses whose SLA clock runs (on hold pauses it; resolved/closed stop it).
WATCHED = [
    s.value
    for s in (
        Status.SUBMITTED,
        Status.PENDING_APPROVAL,
        Status.APPROVED,
        Status.ASSIGNED,
        Status.IN_PROGRESS,
        Status.REOPENED,
    )
]


async def _org_ids(only: list[int] | None) -> list[int]:
    """Every organisation, or just ``only`` (a run for some organisations, e.g. tests)."""
    if only is not None:
        return list(only)
    return [r["id"] for r in await Organisation.select(Organisation.id).order_by(Organisation.id)]


async def _role_holders(org_id: int, role: str, scope: str = "") -> set[int]:
    rows = await RoleGrant.select(RoleGrant.user).where(
        (RoleGrant.org == org_id) & (RoleGrant.role == role) & (RoleGrant.scope == scope)
    )
    return {r["user"] for r in rows}


async def _claim(column: Any, request_id: int, moment: datetime) -> bool:
    """Set a once-only marker; True only for the caller that set it."""
    done = (
        await ServiceRequest.update({column: moment})
        .where((ServiceRequest.id == request_id) & column.is_null())
        .returning(ServiceRequest.id)
    )
    return bool(done)


async def sla_watch(ctx: JobContext, org_ids: list[int] | None = None) -> dict[str, int]:
    """Warn the assignee an hour before a resolution target; on a breach, record it on
    the timeline (analytics) and tell the assignee, the dispatchers and the service's
    admins. Response targets breach when nobody has accepted the request in time."""
    counts = {"warned": 0, "breached": 0}
    moment = now()
    for org_id in await _org_ids(org_ids):
        rows = await (
            ServiceRequest.select(
                ServiceRequest.id,
                ServiceRequest.number,
                ServiceRequest.service,
                ServiceRequest.assignee,
                ServiceRequest.response_due_at,
                ServiceRequest.resolution_due_at,
                ServiceRequest.first_response_at,
                ServiceRequest.sla_warned_at,
                ServiceRequest.response_breached_at,
                ServiceRequest.resolution_breached_at,
            )
            .where(
                (ServiceRequest.org == org_id)
                & ServiceRequest.status.is_in(WATCHED)
                & ServiceRequest.closed_at.is_null()
                & (
                    (
                        (ServiceRequest.resolution_due_at <= moment + SOON)
                        & ServiceRequest.resolved_at.is_null()
                        & (
                            ServiceRequest.sla_warned_at.is_null()
                            | ServiceRequest.resolution_breached_at.is_null()
                        )
                    )
                    | (
                        (ServiceRequest.response_due_at <= moment)
                        & ServiceRequest.first_response_at.is_null()
                        & ServiceRequest.response_breached_at.is_null()
                    )
                )
            )
            .order_by(ServiceRequest.resolution_due_at)
            .limit(BATCH)
        )
        if not rows:
            continue
        dispatchers = await _role_holders(org_id, DISPATCHER)
        for row in rows:
            counts["warned"] += await _warn(org_id, row, moment, dispatchers)
            counts["breached"] += await _breach(ctx, org_id, row, moment, dispatchers)
    return counts


async def _warn(org_id: int, row: dict[str, Any], moment: datetime, dispatchers: set[int]) -> int:
    due = row["resolution_due_at"]
    if due is None or row["sla_warned_at"] is not None or not moment < due <= moment + SOON:
        return 0
    async with write_transaction(ServiceRequest._meta.db):
        if not await _claim(ServiceRequest.sla_warned_at, row["id"], moment):
            return 0
        users = [row["assignee"]] if row["assignee"] else dispatchers
        await notify(org_id, row["id"], "sla:warning", users, None)
    return 1


async def _breach(
    ctx: JobContext, org_id: int, row: dict[str, Any], moment: datetime, dispatchers: set[int]
) -> int:
    found = 0
    checks = (
        (
            "response",
            ServiceRequest.response_breached_at,
            row["response_due_at"],
            row["first_response_at"] is None and row["response_breached_at"] is None,
        ),
        (
            "resolution",
            ServiceRequest.resolution_breached_at,
            row["resolution_due_at"],
            row["resolution_breached_at"] is None,
        ),
    )
    for target, column, due, open_ in checks:
        if not open_ or due is None or due > moment:
            continue
        admins = await _role_holders(org_id, SERVICE_ADMIN, row["service"])
        async with write_transaction(ServiceRequest._meta.db):
            if not await _claim(column, row["id"], moment):
                continue
            await RequestEvent.insert(
                RequestEvent(
                    org=org_id,
                    request=row["id"],
                    kind="sla_breach",
                    public=False,
                    data={"target": target, "due": due.isoformat()},
                    created_at=moment,
                )
            )
            users: Iterable[int | None] = {row["assignee"], *dispatchers, *admins}
            await notify(org_id, row["id"], f"sla:breached:{target}", users, None)
        found += 1
        await ctx.announce(org_id, row["number"])
    return found


async def approval_watch(ctx: JobContext, org_ids: list[int] | None = None) -> dict[str, int]:
    """Remind approvers of steps waiting half a working day; after a whole working day
    the organisation's admins are added to the step (escalation) and it is recorded."""
    counts = {"reminded": 0, "escalated": 0}
    moment = now()
    for org_id in await _org_ids(org_ids):
        tasks = await (
            ApprovalTask.select(
                ApprovalTask.id,
                ApprovalTask.step,
                ApprovalTask.request,
                ApprovalTask.user,
                ApprovalTask.created_at,
                ApprovalTask.reminded_at,
                ApprovalTask.step.escalated_at.as_alias("escalated_at"),
                ApprovalTask.request.number.as_alias("number"),
                ApprovalTask.request.requester.as_alias("requester"),
            )
            .where(
                (ApprovalTask.org == org_id)
                & (ApprovalTask.open == True)  # noqa: E712
                & (ApprovalTask.created_at <= moment - REMIND_AFTER)
                & (ApprovalTask.reminded_at.is_null() | ApprovalTask.step.escalated_at.is_null())
            )
            .order_by(ApprovalTask.created_at)
            .limit(BATCH)
        )
        if not tasks:
            continue
        calendar = await calendar_of(org_id)
        escalate: dict[int, dict[str, Any]] = {}
        for task in tasks:
            waited = business_time_between(calendar, task["created_at"], moment)
            if waited >= REMIND_AFTER and task["reminded_at"] is None:
                counts["reminded"] += await _remind(org_id, task, moment)
            if waited >= ESCALATE_AFTER and task["escalated_at"] is None:
                escalate.setdefault(task["step"], task)
        if escalate:
            admins = await _role_holders(org_id, ORG_ADMIN)
            for step_id, task in escalate.items():
                if await _escalate(org_id, step_id, task, admins, moment):
                    counts["escalated"] += 1
                    await ctx.announce(org_id, task["number"])
    return counts


async def _remind(org_id: int, task: dict[str, Any], moment: datetime) -> int:
    async with write_transaction(ApprovalTask._meta.db):
        done = (
            await ApprovalTask.update({ApprovalTask.reminded_at: moment})
            .where((ApprovalTask.id == task["id"]) & ApprovalTask.reminded_at.is_null())
            .returning(ApprovalTask.id)
        )
        if not done:
            return 0
        await notify(org_id, task["request"], "approval:reminder", [task["user"]], None)
    return 1


async def _escalate(
    org_id: int, step_id: int, task: dict[str, Any], admins: set[int], moment: datetime
) -> bool:
    async with write_transaction(ApprovalStep._meta.db):
        done = (
            await ApprovalStep.update({ApprovalStep.escalated_at: moment})
            .where(
                (ApprovalStep.id == step_id)
                & (ApprovalStep.org == org_id)
                & (ApprovalStep.status == "pending")
                & ApprovalStep.escalated_at.is_null()
            )
            .returning(ApprovalStep.id)
        )
        if not done:
            return False
        have = {
            r["user"]
            for r in await ApprovalTask.select(ApprovalTask.user).where(
                (ApprovalTask.org == org_id) & (ApprovalTask.step == step_id)
            )
        }
        # Never the requester: no one approves their own request.
        added = sorted(admins - have - {task["requester"]})
        if added:
            await ApprovalTask.insert(
                *[
                    ApprovalTask(
                        org=org_id,
                        step=step_id,
                        request=task["request"],
                        user=user,
                        created_at=moment,
                        reminded_at=moment,
                    )
                    for user in added
                ]
            )
        await RequestEvent.insert(
            RequestEvent(
                org=org_id,
                request=task["request"],
                kind="approval_escalated",
                public=False,
                data={"step": step_id, "added": added},
                created_at=moment,
            )
        )
        await notify(org_id, task["request"], "approval:escalated", added, None)
    return True


async def auto_close(ctx: JobContext, org_ids: list[int] | None = None) -> int:
    """Close resolved requests that were neither rated nor reopened within
    ``settings.auto_close_days``; the timeline says it was automatic."""
    closed = 0
    cutoff = now() - timedelta(days=ctx.settings.auto_close_days)
    for org_id in await _org_ids(org_ids):
        rows = await (
            ServiceRequest.select(ServiceRequest.id, ServiceRequest.number)
            .where(
                (ServiceRequest.org == org_id)
                & (ServiceRequest.status == Status.RESOLVED.value)
                & (ServiceRequest.resolved_at <= cutoff)
            )
            .order_by(ServiceRequest.resolved_at)
            .limit(BATCH)
        )
        for row in rows:
            try:
                await transition(
                    None, org_id, row["id"], Action.CLOSE, data={"auto": True, "unrated": True}
                )
            except (IllegalTransition, Conflict):
                continue  # rated or reopened a moment ago
            closed += 1
            await ctx.announce(org_id, row["number"])
    return closed


JOBS = [
    Job("core.sla_watch", sla_watch, cron="* * * * *", description="SLA warnings and breaches"),
    Job(
        "core.approval_watch",
        approval_watch,
        cron="*/5 * * * *",
        description="Approval reminders and escalation",
    ),
    Job("core.auto_close", auto_close, cron="17 * * * *", description="Close unrated requests"),
]
