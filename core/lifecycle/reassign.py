"""An organisation admin passes a stuck approval step to someone else (DESIGN §9).

Approvers leave, fall ill or simply do not answer; delegation covers planned absence,
escalation (``core.lifecycle.watch``) adds the admins after a working day, and this is
the admin's manual tool: the step's open tasks close and one opens for the chosen
person, in one transaction with an internal timeline event, an audit entry and an
in-app notification to the new approver. Every read leads with the organisation and
is bounded (the pickers never load every user).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.db import icontains, write_transaction
from core.identity.actor import Actor
from core.identity.service import audit
from core.lifecycle.notify import notify
from core.tables import ApprovalStep, ApprovalTask, RequestEvent, User

PAGE = 25
MAX_MATCHES = 20  # a picker shows at most this many people (typeahead narrows it)


class StepNotPending(Exception):
    """The step was decided (or replaced by an edit) in the meantime: 409."""


class NotAnApprover(Exception):
    """The chosen person cannot take the step (``reason``: ``unknown`` or ``requester``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Reassigned:
    number: str
    to_name: str


def _step_columns() -> tuple[Any, ...]:
    return (
        ApprovalStep.id,
        ApprovalStep.spec,
        ApprovalStep.status,
        ApprovalStep.request,
        ApprovalStep.request.number.as_alias("number"),
        ApprovalStep.request.title.as_alias("title"),
        ApprovalStep.request.service.as_alias("service"),
        ApprovalStep.request.amount.as_alias("amount"),
        ApprovalStep.request.requester.as_alias("requester"),
        ApprovalStep.request.requester.display_name.as_alias("requester_name"),
    )


async def open_steps(
    org_id: int, after: int | None = None, limit: int = PAGE
) -> tuple[list[dict[str, Any]], int | None]:
    """Pending steps of the organisation, oldest chains first, keyset-paginated.

    Two queries whatever the page size: the steps, then who holds their open tasks
    and since when (:func:`approvers_of`).
    """
    where = (ApprovalStep.org == org_id) & (ApprovalStep.status == "pending")
    if after:
        where &= ApprovalStep.id > after
    rows = await (
        ApprovalStep.select(*_step_columns())
        .where(where)
        .order_by(ApprovalStep.id)
        .limit(limit + 1)
        .output(load_json=True)
    )
    more = len(rows) > limit
    rows = rows[:limit]
    holders = await approvers_of(org_id, [r["id"] for r in rows])
    for row in rows:
        row["approvers"] = holders.get(row["id"], [])
        row["waiting_since"] = min((a["since"] for a in row["approvers"]), default=None)
    return rows, (rows[-1]["id"] if more else None)


async def approvers_of(org_id: int, step_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """step id → the people whose task on it is open (name, since), one query."""
    if not step_ids:
        return {}
    rows = await (
        ApprovalTask.select(
            ApprovalTask.step,
            ApprovalTask.user,
            ApprovalTask.created_at,
            ApprovalTask.user.display_name.as_alias("name"),
        )
        .where(
            (ApprovalTask.org == org_id)
            & ApprovalTask.step.is_in(step_ids)
            & ApprovalTask.open.eq(True)
        )
        .order_by(ApprovalTask.id)
        .limit(len(step_ids) * 50)
    )
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["step"], []).append(
            {"id": r["user"], "name": r["name"], "since": r["created_at"]}
        )
    return out


async def pending_step(org_id: int, step_id: int) -> dict[str, Any] | None:
    """One step of the organisation with its request, or None (answer 404)."""
    row = (
        await ApprovalStep.select(*_step_columns())
        .where((ApprovalStep.id == step_id) & (ApprovalStep.org == org_id))
        .output(load_json=True)
        .first()
    )
    if row is not None:
        row["approvers"] = (await approvers_of(org_id, [step_id])).get(step_id, [])
    return row


async def find_people(
    org_id: int,
    q: str,
    exclude: Sequence[int] = (),
    limit: int = MAX_MATCHES,
    *,
    include: int | None = None,
) -> list[dict[str, Any]]:
    """Active people of the organisation whose name or account contains ``q``,
    leaving out ``exclude`` (the requester, the step's current approvers); or, with
    ``include``, that one person if they are an active member of the organisation."""
    text = q.strip()
    where = (User.org == org_id) & User.is_active.eq(True)
    if include is not None:
        where &= User.id == include
    elif text:
        where &= icontains(User.display_name, text) | icontains(User.login, text)
    else:
        return []
    if exclude:
        where &= User.id.not_in(list(exclude))
    return await (
        User.select(
            User.id,
            User.display_name,
            User.login,
            User.department.name.as_alias("department"),
        )
        .where(where)
        .order_by(User.display_name)
        .limit(limit)
    )


async def reassign_step(actor: Actor, step_id: int, user_id: int, reason: str) -> Reassigned:
    """Move a pending step's open tasks to ``user_id`` and record who did it and why.

    Raises ``LookupError`` (no such step in the organisation: 404),
    :class:`StepNotPending` (decided meanwhile: 409) or :class:`NotAnApprover`.
    The conditional update of the step (``status = 'pending'``) is the lock that
    orders this against a concurrent decision (which claims its task first).
    """
    org_id = actor.org_id
    async with write_transaction(ApprovalStep._meta.db):
        step = (
            await ApprovalStep.select(
                ApprovalStep.id,
                ApprovalStep.request,
                ApprovalStep.request.number.as_alias("number"),
                ApprovalStep.request.requester.as_alias("requester"),
            )
            .where((ApprovalStep.id == step_id) & (ApprovalStep.org == org_id))
            .first()
        )
        if step is None:
            raise LookupError(step_id)
        person = (
            await User.select(User.id, User.display_name, User.login)
            .where((User.id == user_id) & (User.org == org_id) & User.is_active.eq(True))
            .first()
        )
        if person is None:
            raise NotAnApprover("unknown")
        if person["id"] == step["requester"]:
            raise NotAnApprover("requester")  # no one approves their own request
        held = (
            await ApprovalStep.update({ApprovalStep.on_behalf_of: {}})
            .where(
                (ApprovalStep.id == step_id)
                & (ApprovalStep.org == org_id)
                & (ApprovalStep.status == "pending")
            )
            .returning(ApprovalStep.id)
        )
        if not held:
            raise StepNotPending(step_id)
        closed = (
            await ApprovalTask.update({ApprovalTask.open: False})
            .where(
                (ApprovalTask.org == org_id)
                & (ApprovalTask.step == step_id)
                & ApprovalTask.open.eq(True)
                & (ApprovalTask.user != user_id)
            )
            .returning(ApprovalTask.user)
        )
        if not await ApprovalTask.exists().where(
            (ApprovalTask.org == org_id)
            & (ApprovalTask.step == step_id)
            & (ApprovalTask.user == user_id)
            & ApprovalTask.open.eq(True)
        ):
            await ApprovalTask.insert(
                ApprovalTask(org=org_id, step=step_id, request=step["request"], user=user_id)
            )
        previous = sorted({r["user"] for r in closed})
        await RequestEvent.insert(
            RequestEvent(
                org=org_id,
                request=step["request"],
                actor=actor.user_id,
                kind="approval_reassigned",
                public=False,
                message=reason,
                data={
                    "step": step_id,
                    "from": previous,
                    "to": user_id,
                    "to_name": person["display_name"],
                },
            )
        )
        await audit(
            org_id,
            actor.user_id,
            "approval.reassigned",
            step["number"],
            step=step_id,
            to=person["login"],
            previous=previous,
            reason=reason,
        )
        await notify(org_id, step["request"], "approval:reassigned", [user_id], actor.user_id)
    return Reassigned(step["number"], person["display_name"])


__all__ = [
    "MAX_MATCHES",
    "PAGE",
    "NotAnApprover",
    "Reassigned",
    "StepNotPending",
    "find_people",
    "open_steps",
    "pending_step",
    "reassign_step",
]
