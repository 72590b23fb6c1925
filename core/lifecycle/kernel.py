"""The lifecycle kernel: every change of a request goes through here.

:func:`transition` checks legality in ``states.next_status`` and applies the change only
if nobody changed the request in the meantime (the version check of
:func:`row_for_change` and :func:`update_versioned`); :func:`add_event` records a step
that is not a change of status. Both write a :class:`RequestEvent`. After the commit the
notifications of the change are sent (:func:`after_commit`).

The kernel sits below routing, dispatch and submit: they import it, it imports none of
them (tests/contracts/imports.py keeps core free of import cycles).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from core.clock import now
from core.db import write_transaction
from core.identity.actor import Actor
from core.lifecycle.deadlines import schedule
from core.lifecycle.notify import notify_status
from core.lifecycle.states import TERMINAL, Action, IllegalTransition, Status, next_status
from core.notifications.outbox import deliver_soon
from core.tables import ApprovalTask, RequestEvent, ServiceRequest


class Conflict(Exception):
    """Someone else changed the request first; reload and try again (409)."""


async def row_for_change(
    org_id: int, request_id: int, expected_version: int | None, *columns: Any
) -> dict[str, Any]:
    """Read a request about to be changed (inside the caller's transaction), with its
    version; ``LookupError`` when it is not in the organisation, :class:`Conflict`
    when it changed since ``expected_version``."""
    row = (
        await ServiceRequest.select(*columns, ServiceRequest.version)
        .where((ServiceRequest.id == request_id) & (ServiceRequest.org == org_id))
        .first()
    )
    if row is None:
        raise LookupError(request_id)
    if expected_version is not None and row["version"] != expected_version:
        raise Conflict(request_id)
    return row


async def update_versioned(
    org_id: int, request_id: int, version: int, values: dict[Any, Any]
) -> None:
    """Write ``values`` and the next version only if the request is still at ``version``
    (read by :func:`row_for_change` in the same transaction); :class:`Conflict` if not."""
    updated = (
        await ServiceRequest.update({**values, ServiceRequest.version: version + 1})
        .where(
            (ServiceRequest.id == request_id)
            & (ServiceRequest.org == org_id)
            & (ServiceRequest.version == version)
        )
        .returning(ServiceRequest.id)
    )
    if not updated:
        raise Conflict(request_id)


async def transition(
    actor: Actor | None,
    org_id: int,
    request_id: int,
    action: Action,
    *,
    message: str = "",
    public: bool = True,
    expected_version: int | None = None,
    data: dict[str, Any] | None = None,
    changes: dict[Any, Any] | None = None,
    first_response: bool = False,
    assignee_only: bool = False,
) -> Status:
    """Apply ``action`` to a request: legal move, version check, event, timestamps.

    ``first_response`` marks the move as the staff's first response (sets
    ``first_response_at`` unless it is set already); ``assignee_only`` refuses the move
    (:class:`Conflict`) unless ``actor`` is the request's assignee. Raises
    :class:`IllegalTransition` (the move is not possible from the current status) or
    :class:`Conflict` (the request changed since ``expected_version``).
    """
    engine = ServiceRequest._meta.db
    async with write_transaction(engine):
        row = await row_for_change(
            org_id,
            request_id,
            expected_version,
            ServiceRequest.status,
            ServiceRequest.requester,
            ServiceRequest.assignee,
            ServiceRequest.first_response_at,
        )
        if assignee_only and (actor is None or row["assignee"] != actor.user_id):
            raise Conflict(request_id)
        current = Status(row["status"])
        target = next_status(current, action)
        moment = now()
        values: dict[Any, Any] = {
            ServiceRequest.status: target.value,
            ServiceRequest.updated_at: moment,
            **(changes or {}),
        }
        if first_response and row["first_response_at"] is None:
            values[ServiceRequest.first_response_at] = moment
        if target == Status.RESOLVED:
            values[ServiceRequest.resolved_at] = moment
        if target in TERMINAL:
            values[ServiceRequest.closed_at] = moment
        if target == Status.REOPENED:
            values[ServiceRequest.resolved_at] = None
        await update_versioned(org_id, request_id, row["version"], values)
        if current == Status.PENDING_APPROVAL and target == Status.CANCELLED:
            # Withdrawn while waiting: nobody is asked to approve it any more.
            await ApprovalTask.update({ApprovalTask.open: False}).where(
                (ApprovalTask.org == org_id)
                & (ApprovalTask.request == request_id)
                & ApprovalTask.open.eq(True)
            )
        await RequestEvent.insert(
            RequestEvent(
                org=org_id,
                request=request_id,
                actor=actor.user_id if actor else None,
                kind="status",
                from_status=current.value,
                to_status=target.value,
                public=public,
                message=message,
                data={"action": action.value, **(data or {})},
                created_at=moment,
            )
        )
        assignee = next(
            (v for col, v in (changes or {}).items() if col is ServiceRequest.assignee),
            row["assignee"],
        )
        if action != Action.AUTO_APPROVE:
            # An automatic approval happens while the requester submits (or edits) and
            # is on their screen already: no notification for it.
            await notify_status(
                org_id,
                request_id,
                target,
                row["requester"],
                assignee,
                actor.user_id if actor else None,
            )
        if (
            current == Status.ON_HOLD
            or (target == Status.PENDING_APPROVAL and current != Status.SUBMITTED)
            or (current == Status.PENDING_APPROVAL and target == Status.APPROVED)
        ):
            # The hold is over: the resolution due time moves by the paused business time;
            # back to approval after an edit: no clock runs (a new request has none yet);
            # approved: the clocks start now.
            await schedule(org_id, request_id)
    await after_commit(org_id)
    return target


async def update_request(
    actor: Actor,
    request_id: int,
    statuses: Iterable[Status],
    *,
    expected_version: int | None = None,
    assignee_only: bool = True,
    first_response: bool = False,
    changes: dict[Any, Any] | None = None,
) -> datetime:
    """A change of a request that is not a change of status (a part recorded, the
    technician on the way), run inside the caller's write transaction: the request must
    still be in one of ``statuses`` (and, with ``assignee_only``, be the actor's) and at
    ``expected_version`` when given, else :class:`Conflict`. Writes ``changes`` (such as
    ``{ServiceRequest.cost: total}``), ``updated_at``, ``first_response_at`` when
    ``first_response`` and it is not set yet, and the next version; returns the moment.
    """
    row = await row_for_change(
        actor.org_id,
        request_id,
        expected_version,
        ServiceRequest.status,
        ServiceRequest.assignee,
        ServiceRequest.first_response_at,
    )
    allowed = {Status(s) for s in statuses}
    if Status(row["status"]) not in allowed or (assignee_only and row["assignee"] != actor.user_id):
        raise Conflict(request_id)
    moment = now()
    values: dict[Any, Any] = {ServiceRequest.updated_at: moment, **(changes or {})}
    if first_response and row["first_response_at"] is None:
        values[ServiceRequest.first_response_at] = moment
    await update_versioned(actor.org_id, request_id, row["version"], values)
    return moment


async def add_event(
    org_id: int,
    request_id: int,
    actor_id: int | None,
    kind: str,
    *,
    message: str = "",
    public: bool = True,
    data: dict[str, Any] | None = None,
) -> None:
    """Record a step that is not a change of status (a plugin's ``<slug>.<what>`` event).

    The request's ``updated_at`` moves too, so lists sorted by activity see it. Run it in
    the caller's transaction when the step writes other rows.
    """
    moment = now()
    await RequestEvent.insert(
        RequestEvent(
            org=org_id,
            request=request_id,
            actor=actor_id,
            kind=kind[:32],
            public=public,
            message=message[:2000],
            data=data or {},
            created_at=moment,
        )
    )
    await ServiceRequest.update({ServiceRequest.updated_at: moment}).where(
        (ServiceRequest.org == org_id) & (ServiceRequest.id == request_id)
    )


async def after_commit(org_id: int) -> None:
    """After commit: send the e-mails (and other channels) of this change now rather
    than at the next minute's sweep. Skipped inside an enclosing transaction."""
    await deliver_soon(org_id)


__all__ = [
    "Conflict",
    "IllegalTransition",
    "add_event",
    "after_commit",
    "row_for_change",
    "transition",
    "update_request",
    "update_versioned",
]
