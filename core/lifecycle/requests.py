"""Creating requests and moving them through the lifecycle, in the database.

Numbers come from a per-(organisation, prefix, day) counter row bumped by one upsert
inside the submit transaction, so concurrent submits never share a number. Every
change of status goes through :func:`transition`, which checks legality in
``states.next_status`` and applies the change only if nobody changed the request in
the meantime (version check); both write a :class:`RequestEvent`.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from core.attachments import PreparedFile, record, staged
from core.db import write_transaction
from core.descriptors import ServiceType
from core.identity.actor import Actor
from core.identity.roles import AUDITOR, DISPATCHER, ORG_ADMIN
from core.lifecycle.approvals import storable_facts
from core.lifecycle.states import Action, IllegalTransition, Status, next_status
from core.storage import Storage
from core.tables import (
    ApprovalTask,
    IdempotencyKey,
    RequestCounter,
    RequestEvent,
    ServiceRequest,
)

CHANNELS = frozenset({"pwa", "kiosk", "desk", "api", "qr"})
PRIORITIES = ("low", "normal", "high", "urgent")


class Conflict(Exception):
    """Someone else changed the request first; reload and try again (409)."""


@dataclass(frozen=True)
class NewRequest:
    """Validated input of a submit (whatever channel it came from)."""

    kind: str
    title: str
    description: str = ""
    location: str = ""
    priority: str = "normal"
    amount: Decimal | None = None
    summary: str = ""


@dataclass(frozen=True)
class Submitted:
    id: int
    number: str
    created: bool  # False when an idempotency key replayed an earlier submit


def now() -> datetime:
    return datetime.now(UTC)


async def allocate_number(org_id: int, prefix: str, when: datetime, time_zone: str) -> str:
    """Next number for the organisation's local day: ``PREFIX-YYYYMMDD-NNNN``.

    One atomic upsert: concurrent callers always get distinct numbers. Called on its
    own (autocommit) so the counter row is locked only for this statement.
    """
    day = when.astimezone(ZoneInfo(time_zone)).strftime("%Y%m%d")
    rows = await RequestCounter.raw(
        "INSERT INTO core_request_counter (org, prefix, day, last) VALUES ({}, {}, {}, 1) "
        "ON CONFLICT (org, prefix, day) DO UPDATE SET last = core_request_counter.last + 1 "
        "RETURNING last",
        org_id,
        prefix,
        day,
    )
    return f"{prefix}-{day}-{rows[0]['last']:04d}"


async def submit(
    actor: Actor,
    service: ServiceType,
    data: NewRequest,
    *,
    channel: str,
    idempotency_key: str | None = None,
    requester_id: int | None = None,
    department_id: int | None = None,
    facts: Mapping[str, object] | None = None,
    attachments: Sequence[PreparedFile] = (),
    storage: Storage | None = None,
    on_created: Callable[[int], Awaitable[None]] | None = None,
) -> Submitted:
    """Create a request (and its first events) once per idempotency key, and route it.

    ``requester_id`` differs from the actor when the desk submits on someone's behalf.
    Approval routing runs in the same transaction (so a request never waits in
    "submitted"): auto and filing approve at once, a chain opens its first step.
    ``facts`` are plugin-supplied facts that approval rules may test; they are kept
    on the first event so an edit is re-routed with them, and merged with what the
    organisation's plugins answer to the ``approval_facts`` hook. ``on_created(request_id)``
    lets a plugin write its detail rows in the same transaction, before routing (so
    ``approval_facts`` can read them): a failed submit leaves neither behind.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if attachments and storage is None:
        raise ValueError("attachments need a storage")
    requester = requester_id or actor.user_id
    engine = ServiceRequest._meta.db
    if idempotency_key:
        found = await _replayed(actor, idempotency_key)
        if found is not None:
            return found
    # The number is taken by one statement of its own, before the transaction: the
    # counter row stays locked for that statement only, not while the request is routed,
    # scheduled and dispatched (which serialised concurrent submits: p99 0.5 s under
    # `make bench`). A submit that fails after this leaves a gap in the day's numbers;
    # numbers are unique, not gapless.
    moment = now()
    draw = secrets.randbelow(100)  # post-audit sampling of filed requests (approvals.py)
    number = await allocate_number(actor.org_id, service.prefix, moment, actor.time_zone)
    try:
        # Files (from core.attachments.prepare) are stored first and deleted again if
        # the transaction that records them fails: nothing of a failed submit remains.
        async with staged(storage, attachments) as stored, write_transaction(engine):
            row = (
                await ServiceRequest.insert(
                    ServiceRequest(
                        org=actor.org_id,
                        number=number,
                        service=service.slug,
                        kind=data.kind,
                        title=data.title,
                        summary=data.summary or data.title,
                        description=data.description,
                        requester=requester,
                        department=department_id if requester_id else actor.department_id,
                        submitted_by=actor.user_id,
                        channel=channel,
                        status=Status.SUBMITTED.value,
                        priority=data.priority,
                        location=data.location,
                        amount=data.amount,
                        audit_draw=draw,
                        submitted_at=moment,
                        updated_at=moment,
                    )
                ).returning(ServiceRequest.id)
            )[0]
            request_id = row["id"]
            await RequestEvent.insert(
                RequestEvent(
                    org=actor.org_id,
                    request=request_id,
                    actor=actor.user_id,
                    kind="status",
                    to_status=Status.SUBMITTED.value,
                    data={"channel": channel} | ({"facts": storable_facts(facts)} if facts else {}),
                    created_at=moment,
                )
            )
            await record(actor.org_id, request_id, actor.user_id, stored, moment)
            if on_created is not None:
                await on_created(request_id)
            department = department_id if requester_id else actor.department_id
            if service.uses_approval:
                from core.lifecycle.approvals import ApprovalSubject
                from core.lifecycle.routing import RequestFactsLoader, route

                subject = ApprovalSubject(
                    org_id=actor.org_id,
                    request_id=request_id,
                    number=number,
                    service=service.slug,
                    kind=data.kind,
                    title=data.title,
                    amount=data.amount,
                    requester_id=requester,
                    department_id=department,
                    location=data.location,
                    priority=data.priority,
                )
                await route(
                    actor, request_id, draw, RequestFactsLoader(subject, actor.hooks, facts)
                )
            else:
                await transition(None, actor.org_id, request_id, Action.AUTO_APPROVE)
            from core.lifecycle.deadlines import schedule

            await schedule(
                actor.org_id,
                request_id,
                new={"service": service.slug, "priority": data.priority, "submitted_at": moment},
            )
            if service.uses_dispatch:
                from core.lifecycle.dispatch import auto_dispatch

                await auto_dispatch(actor.org_id, request_id, new=True)
            if idempotency_key:
                await IdempotencyKey.insert(
                    IdempotencyKey(
                        org=actor.org_id,
                        user=actor.user_id,
                        key=idempotency_key,
                        request=request_id,
                    )
                )
    except Exception:
        # A concurrent submit with the same key won the unique index: answer with its request.
        if idempotency_key and (found := await _replayed(actor, idempotency_key)) is not None:
            return found
        raise
    await _deliver_soon(actor.org_id)
    return Submitted(request_id, number, True)


async def _replayed(actor: Actor, key: str) -> Submitted | None:
    row = (
        await IdempotencyKey.select(IdempotencyKey.request, IdempotencyKey.request.number)
        .where(
            (IdempotencyKey.org == actor.org_id)
            & (IdempotencyKey.user == actor.user_id)
            & (IdempotencyKey.key == key)
        )
        .first()
    )
    if row is None:
        return None
    return Submitted(row["request"], row["request.number"], False)


def visible_to(actor: Actor) -> Any:
    """The one authorisation predicate for lists and detail pages alike (DESIGN §9).

    A request is visible to its requester, whoever submitted it for them, its
    assignee, anyone asked to approve it, org admins, auditors and dispatchers, and the
    service admins of its service.
    """
    where = ServiceRequest.org == actor.org_id
    if actor.has_role(ORG_ADMIN) or actor.has_role(AUDITOR) or actor.has_role(DISPATCHER):
        return where
    mine = (
        (ServiceRequest.requester == actor.user_id)
        | (ServiceRequest.submitted_by == actor.user_id)
        | (ServiceRequest.assignee == actor.user_id)
        | ServiceRequest.id.is_in(
            ApprovalTask.select(ApprovalTask.request).where(
                (ApprovalTask.org == actor.org_id) & (ApprovalTask.user == actor.user_id)
            )
        )
    )
    administered = actor.administered_services
    if administered:
        mine |= ServiceRequest.service.is_in(administered)
    return where & mine


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
) -> Status:
    """Apply ``action`` to a request: legal move, version check, event, timestamps.

    Raises :class:`IllegalTransition` (the move is not possible from the current
    status) or :class:`Conflict` (the request changed since ``expected_version``).
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
        )
        current = Status(row["status"])
        target = next_status(current, action)
        moment = now()
        values: dict[Any, Any] = {
            ServiceRequest.status: target.value,
            ServiceRequest.updated_at: moment,
            **(changes or {}),
        }
        if target == Status.RESOLVED:
            values[ServiceRequest.resolved_at] = moment
        if target in (Status.CLOSED, Status.CANCELLED, Status.REJECTED):
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
        from core.lifecycle.notify import notify_status

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
        if current == Status.ON_HOLD:
            # The hold is over: the resolution due time moves by the paused business time.
            from core.lifecycle.deadlines import schedule

            await schedule(org_id, request_id)
    await _deliver_soon(org_id)
    return target


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


async def _deliver_soon(org_id: int) -> None:
    """After commit: send the e-mails (and other channels) of this change now rather
    than at the next minute's sweep. Skipped inside an enclosing transaction."""
    from core.notifications.outbox import deliver_soon

    await deliver_soon(org_id)


__all__ = [
    "CHANNELS",
    "PRIORITIES",
    "Conflict",
    "IllegalTransition",
    "NewRequest",
    "Submitted",
    "add_event",
    "allocate_number",
    "row_for_change",
    "submit",
    "transition",
    "update_versioned",
    "visible_to",
]
