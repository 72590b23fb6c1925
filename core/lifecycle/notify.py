"""In-app notifications: who hears about what, written in the same transaction.

The text is not stored: each notification keeps a kind and the request, and is worded
in the reader's language when shown. Other channels (e-mail, plugins' chat or push)
get delivery rows in the same transaction (``core.notifications.outbox``), sent later
by a job through the ``deliver_notification`` hook.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.lifecycle.states import Status
from core.notifications.outbox import plan_deliveries
from core.tables import Notification

# Who is told about a move to each status: the requester, the assignee, or both.
TELL_REQUESTER = frozenset(
    {Status.APPROVED, Status.REJECTED, Status.IN_PROGRESS, Status.ON_HOLD, Status.RESOLVED}
)
TELL_ASSIGNEE = frozenset({Status.ASSIGNED, Status.CANCELLED, Status.REOPENED})


async def notify(
    org_id: int, request_id: int, kind: str, users: Iterable[int | None], actor_id: int | None
) -> None:
    """One notification per user (never to the actor themself)."""
    recipients = sorted({u for u in users if u and u != actor_id})
    if recipients:
        rows = await Notification.insert(
            *[Notification(org=org_id, user=u, request=request_id, kind=kind) for u in recipients]
        ).returning(Notification.id, Notification.user)

        await plan_deliveries(org_id, kind, [(row["id"], row["user"]) for row in rows])


async def notify_status(
    org_id: int,
    request_id: int,
    target: Status,
    requester: int,
    assignee: int | None,
    actor_id: int | None,
) -> None:
    users: list[int | None] = []
    if target in TELL_REQUESTER:
        users.append(requester)
    if target in TELL_ASSIGNEE:
        users.append(assignee)
    if users:
        await notify(org_id, request_id, f"status:{target.value}", users, actor_id)
