"""SLA due times of requests, from the organisation's calendar and SLA policies.

Targets are business minutes; the clock pauses while a request is on hold (the
pauses are read from the request's own timeline, so they survive a change of policy).
Computed at submit (or, for a request that waits for approval, when it is approved) and
again whenever a hold ends; shown with a colour everywhere.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.lifecycle.sla import BusinessCalendar, due_at
from core.lifecycle.states import Status
from core.tables import Organisation, RequestEvent, ServiceRequest, SlaPolicy

SOON = timedelta(hours=1)


async def calendar_of(org_id: int) -> BusinessCalendar:
    row = (
        await Organisation.select(Organisation.calendar, Organisation.time_zone)
        .where(Organisation.id == org_id)
        .output(load_json=True)
        .first()
    )
    data = dict((row or {}).get("calendar") or {})
    data.setdefault("time_zone", (row or {}).get("time_zone") or "Asia/Shanghai")
    return BusinessCalendar.from_dict(data)


async def policy_for(org_id: int, service: str, priority: str) -> dict[str, Any] | None:
    """The most specific policy: (service, priority) > (service, *) > (*, priority) > (*, *)."""
    rows = await SlaPolicy.select().where(
        (SlaPolicy.org == org_id)
        & SlaPolicy.service.is_in([service, "*"])
        & SlaPolicy.priority.is_in([priority, "*"])
    )
    rank = {(service, priority): 0, (service, "*"): 1, ("*", priority): 2, ("*", "*"): 3}
    return min(rows, key=lambda r: rank[(r["service"], r["priority"])], default=None)


async def clock_of(
    org_id: int, request_id: int
) -> tuple[datetime | None, list[tuple[datetime, datetime | None]]]:
    """From the timeline: when the request was last approved (the SLA clock starts
    there; None if it never waited for approval) and its on-hold intervals (an open one
    ends in None). One query."""
    events = (
        await RequestEvent.select(
            RequestEvent.from_status, RequestEvent.to_status, RequestEvent.created_at
        )
        .where(
            (RequestEvent.org == org_id)
            & (RequestEvent.request == request_id)
            & (RequestEvent.kind == "status")
        )
        .order_by(RequestEvent.id)
    )
    approved: datetime | None = None
    pauses: list[tuple[datetime, datetime | None]] = []
    for e in events:
        if e["to_status"] == Status.ON_HOLD.value:
            pauses.append((e["created_at"], None))
        elif e["from_status"] == Status.ON_HOLD.value and pauses and pauses[-1][1] is None:
            pauses[-1] = (pauses[-1][0], e["created_at"])
        if (
            e["from_status"] == Status.PENDING_APPROVAL.value
            and e["to_status"] == Status.APPROVED.value
        ):
            approved = e["created_at"]
    return approved, pauses


async def schedule(org_id: int, request_id: int, *, new: dict[str, Any] | None = None) -> None:
    """(Re)compute a request's response and resolution due times.

    Both clocks start when the request can be worked on: at submit when it needs no
    approval, when it is approved otherwise; while it waits for approval it has no due
    times (nobody can answer it yet, so nothing can be late). ``new`` is the submit's own
    knowledge of a request just created (service, priority, submitted_at, status): no
    need to read it back, and it has no pauses yet.
    """
    row = new or (
        await ServiceRequest.select(
            ServiceRequest.service,
            ServiceRequest.priority,
            ServiceRequest.submitted_at,
            ServiceRequest.status,
        )
        .where((ServiceRequest.id == request_id) & (ServiceRequest.org == org_id))
        .first()
    )
    if row is None:
        return
    where = (ServiceRequest.id == request_id) & (ServiceRequest.org == org_id)
    if row.get("status") == Status.PENDING_APPROVAL.value:
        await ServiceRequest.update(
            {ServiceRequest.response_due_at: None, ServiceRequest.resolution_due_at: None}
        ).where(where)
        return
    policy = await policy_for(org_id, row["service"], row["priority"])
    if policy is None:
        return
    calendar = await calendar_of(org_id)
    approved, pauses = (None, []) if new else await clock_of(org_id, request_id)
    start = approved or row["submitted_at"]
    await ServiceRequest.update(
        {
            ServiceRequest.response_due_at: due_at(
                calendar, start, timedelta(minutes=policy["response_minutes"])
            ),
            ServiceRequest.resolution_due_at: due_at(
                calendar, start, timedelta(minutes=policy["resolution_minutes"]), pauses
            ),
        }
    ).where(where)


def urgency(due: datetime | None, done: datetime | None, now: datetime) -> str:
    """ "met", "breached", "soon" (within an hour), "ok", or "" when there is no target."""
    if due is None:
        return ""
    if done is not None:
        return "met" if done <= due else "breached"
    if now > due:
        return "breached"
    return "soon" if due - now <= SOON else "ok"
