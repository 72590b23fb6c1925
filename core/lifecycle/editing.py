"""Editing a request before work starts, and sending it back to approval when needed.

DESIGN §9 "Approvals can't be bypassed": a requester who raises the amount of an
approved request (or changes anything a plugin's approval facts depend on) must not
keep an approval that was given for something else. So every edit re-runs the same
routing decision as the submit did (:func:`core.lifecycle.approvals.decide`, with the
plugin facts of the edited request) and compares it with the approval the request
holds (:func:`core.lifecycle.approvals.needs_reapproval`):

* a chain the old approvals do not cover → back to ``pending_approval`` with a new
  chain: the old chain's steps are kept as ``superseded`` (history), their open tasks
  close, an assignment is withdrawn (nothing is worked on before approval completes);
* filing (备案) where there was none → recorded as filed, sampled for post-audit;
* anything else → the status stays.

The edit, its event (every changed field from → to) and the re-routing are one
transaction, behind a version check, so an edit racing with an agent's "start" or an
approver's decision either wins whole or gets a 409.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.clock import now
from core.db import write_transaction
from core.descriptors import ServiceType
from core.identity.actor import Actor
from core.identity.roles import DISPATCHER, ORG_ADMIN
from core.lifecycle.approvals import Decision, needs_reapproval
from core.lifecycle.deadlines import schedule
from core.lifecycle.dispatch import auto_dispatch
from core.lifecycle.kernel import row_for_change, transition, update_versioned
from core.lifecycle.notify import notify
from core.lifecycle.routing import (
    SUBJECT_COLUMNS,
    SUPERSEDED,
    decide_for,
    facts_for,
    load_rules,
    open_chain,
    step_from_dict,
    subject_of,
)
from core.lifecycle.states import EDITABLE, Action, Status
from core.tables import (
    ApprovalRule,
    ApprovalStep,
    ApprovalTask,
    PostAudit,
    RequestEvent,
    ServiceRequest,
)

# The generic fields an edit may change, in the order the timeline lists them.
FIELDS = ("title", "description", "location", "priority", "amount")


class NotEditable(Exception):
    """Work on the request has started (or it is finished): it can no longer change."""


@dataclass(frozen=True)
class Edit:
    """The new values of the generic fields (validated by the caller)."""

    title: str
    description: str
    location: str
    priority: str
    amount: Decimal | None


@dataclass(frozen=True)
class EditResult:
    changed: dict[str, tuple[Any, Any]]  # field -> (from, to), as stored on the event
    status: Status
    reapproval: str | None = None  # "chain" (back to approval) or "filing"; None: kept
    rule_name: str | None = None  # the rule that now applies, to tell people why


def may_edit(actor: Actor, row: Mapping[str, Any]) -> bool:
    """The requester, or the desk on their behalf (org admins, dispatchers).

    Whether the status still allows it is a separate question (:class:`NotEditable`,
    409), so the page can say why rather than pretend the request is not there.
    """
    return (
        row["requester"] == actor.user_id or actor.has_role(ORG_ADMIN) or actor.has_role(DISPATCHER)
    )


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _shown(name: str, value: Any) -> Any:
    """A value as the event keeps it (JSON): amounts as text, to keep the cents."""
    if name == "amount":
        return None if value is None else str(_money(value))
    return value


def _changes(row: Mapping[str, Any], edit: Edit) -> dict[str, tuple[Any, Any]]:
    changed: dict[str, tuple[Any, Any]] = {}
    for name in FIELDS:
        old, new = row[name], getattr(edit, name)
        if name == "amount":
            old, new = _money(old), _money(new)
        if old != new:
            changed[name] = (_shown(name, old), _shown(name, new))
    return changed


async def held_decision(org_id: int, request_id: int, mode: str) -> Decision:
    """The approval the request holds now: its mode and the steps of its live chain.

    Taken from what was stored rather than recomputed from the old values, so a rule
    edited since the submit cannot make an edit look already covered.
    """
    if mode != "chain":
        return Decision(mode=mode, rule_id=None, steps=())  # type: ignore[arg-type]

    rows = (
        await ApprovalStep.select(ApprovalStep.spec)
        .where(
            (ApprovalStep.org == org_id)
            & (ApprovalStep.request == request_id)
            & (ApprovalStep.status != SUPERSEDED)
        )
        .order_by(ApprovalStep.position)
        .output(load_json=True)
    )
    return Decision(
        mode="chain", rule_id=None, steps=tuple(step_from_dict(r["spec"]) for r in rows)
    )


async def submitted_facts(org_id: int, request_id: int) -> dict[str, object]:
    """The facts the submitting plugin passed to ``submit`` (kept on the first event)."""
    row = (
        await RequestEvent.select(RequestEvent.data)
        .where(
            (RequestEvent.org == org_id)
            & (RequestEvent.request == request_id)
            & (RequestEvent.kind == "status")
            & (RequestEvent.to_status == Status.SUBMITTED.value)
        )
        .order_by(RequestEvent.id)
        .output(load_json=True)
        .first()
    )
    data = (row or {}).get("data") or {}
    return dict(data.get("facts") or {})


async def edit_request(
    actor: Actor,
    service: ServiceType,
    request_id: int,
    edit: Edit,
    expected_version: int | None,
) -> EditResult:
    """Apply ``edit`` if the request is still as the editor saw it; re-route if needed.

    Raises :class:`Conflict` (someone changed it first: 409), :class:`NotEditable`
    (work has started: 409) or ``LookupError`` (not in the actor's organisation).
    Checking who may edit is the caller's job (:func:`may_edit`).
    """

    org_id = actor.org_id
    async with write_transaction(ServiceRequest._meta.db):
        row = await row_for_change(
            org_id,
            request_id,
            expected_version,
            *SUBJECT_COLUMNS,
            ServiceRequest.description,
            ServiceRequest.summary,
            ServiceRequest.status,
            ServiceRequest.assignee,
            ServiceRequest.approval_mode,
            ServiceRequest.audit_draw,
        )
        status = Status(row["status"])
        if status not in EDITABLE:
            raise NotEditable(row["number"])
        changed = _changes(row, edit)
        if not changed:
            return EditResult(changed={}, status=status)
        moment = now()
        await update_versioned(
            org_id,
            request_id,
            row["version"],
            {
                ServiceRequest.title: edit.title,
                # A plugin's own one-line summary stays; one copied from the title follows it.
                ServiceRequest.summary: (
                    edit.title if row["summary"] == row["title"] else row["summary"]
                ),
                ServiceRequest.description: edit.description,
                ServiceRequest.location: edit.location,
                ServiceRequest.priority: edit.priority,
                ServiceRequest.amount: _money(edit.amount),
                ServiceRequest.updated_at: moment,
            },
        )
        await RequestEvent.insert(
            RequestEvent(
                org=org_id,
                request=request_id,
                actor=actor.user_id,
                kind="edited",
                data={"changes": {k: list(v) for k, v in changed.items()}},
                created_at=moment,
            )
        )
        if "priority" in changed:
            await schedule(org_id, request_id)
        result = EditResult(changed=changed, status=status)
        if service.uses_approval:
            new_row = {**row, **{k: getattr(edit, k) for k in FIELDS}}
            result = await _reroute(actor, service, subject_of(org_id, new_row), row, result)
    return result


async def _reroute(
    actor: Actor, service: ServiceType, subject: Any, row: Mapping[str, Any], result: EditResult
) -> EditResult:
    """Decide the edited request's approval again and apply it if more is needed."""

    org_id, request_id = actor.org_id, subject.request_id
    rules = await load_rules(org_id, service.slug)
    if not rules:
        return result  # no rules: auto, which any held approval covers
    extra = await submitted_facts(org_id, request_id)
    facts = await facts_for(subject, hooks=actor.hooks, extra=extra, rules=rules)
    new = await decide_for(org_id, rules, facts, row["audit_draw"])
    old = await held_decision(org_id, request_id, row["approval_mode"])
    if not needs_reapproval(old, new):
        return result
    rule_name = None
    if new.rule_id is not None:
        named = (
            await ApprovalRule.select(ApprovalRule.name)
            .where((ApprovalRule.id == new.rule_id) & (ApprovalRule.org == org_id))
            .first()
        )
        rule_name = named["name"] if named else None
    if new.mode == "filing":
        await _refile(actor, row, new, rule_name)
        return EditResult(result.changed, result.status, "filing", rule_name)
    status = await _back_to_approval(actor, service, row, new, facts, rule_name)
    return EditResult(result.changed, status, "chain", rule_name)


async def _refile(
    actor: Actor, row: Mapping[str, Any], new: Decision, rule_name: str | None
) -> None:
    """Auto became filing (备案): record it and sample it like a filed submit."""
    org_id = actor.org_id
    await ServiceRequest.update({ServiceRequest.approval_mode: "filing"}).where(
        (ServiceRequest.id == row["id"]) & (ServiceRequest.org == org_id)
    )
    await RequestEvent.insert(
        RequestEvent(
            org=org_id,
            request=row["id"],
            actor=actor.user_id,
            kind="refiled",
            data={"mode": "filing", "rule": new.rule_id, "rule_name": rule_name},
        )
    )
    if new.sampled and not await PostAudit.exists().where(
        (PostAudit.org == org_id) & (PostAudit.request == row["id"])
    ):
        await PostAudit.insert(PostAudit(org=org_id, request=row["id"]))


async def _back_to_approval(
    actor: Actor,
    service: ServiceType,
    row: Mapping[str, Any],
    new: Decision,
    facts: Any,
    rule_name: str | None,
) -> Status:
    """Replace the chain: old steps superseded, tasks closed, assignment withdrawn."""

    org_id, request_id = actor.org_id, row["id"]
    await ApprovalStep.update({ApprovalStep.status: SUPERSEDED}).where(
        (ApprovalStep.org == org_id)
        & (ApprovalStep.request == request_id)
        & (ApprovalStep.status != SUPERSEDED)
    )
    await ApprovalTask.update({ApprovalTask.open: False}).where(
        (ApprovalTask.org == org_id)
        & (ApprovalTask.request == request_id)
        & ApprovalTask.open.eq(True)
    )
    await transition(
        actor,
        org_id,
        request_id,
        Action.REAPPROVE,
        data={"mode": "chain", "rule": new.rule_id, "rule_name": rule_name},
        changes={ServiceRequest.approval_mode: "chain", ServiceRequest.assignee: None},
    )
    # Told why: the requester (when the desk edited for them) and a withdrawn assignee.
    await notify(org_id, request_id, "approval:again", [row["requester"]], actor.user_id)
    await notify(org_id, request_id, "task:withdrawn", [row["assignee"]], actor.user_id)
    pending = await open_chain(org_id, request_id, new.steps, facts, actor.time_zone)
    if pending:
        return Status.PENDING_APPROVAL
    if service.uses_dispatch:
        await auto_dispatch(org_id, request_id)
    return Status.APPROVED


__all__ = ["FIELDS", "Edit", "EditResult", "NotEditable", "edit_request", "may_edit"]
