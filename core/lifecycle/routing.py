"""Approval routing in the database: rules → decision → chain of steps → tasks.

The decisions themselves are pure functions in :mod:`core.lifecycle.approvals`; this
module loads what they need (rules, the organisation's departments, role holders,
delegations), stores the chain, and moves the request through the lifecycle. Every
write happens inside the caller's transaction, so a request is never half-routed.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from core.clock import local_today, now
from core.db import write_transaction
from core.identity.actor import Actor
from core.identity.roles import ORG_ADMIN, SERVICE_ADMIN
from core.lifecycle.approvals import (
    ApprovalSubject,
    Assignment,
    Decision,
    OrgDirectory,
    RequestFacts,
    Rule,
    Step,
    decide,
    resolve_step,
)
from core.lifecycle.approvals import (
    Delegation as DelegationRule,
)
from core.lifecycle.dispatch import auto_dispatch
from core.lifecycle.kernel import transition
from core.lifecycle.notify import notify
from core.lifecycle.states import Action, Status
from core.tables import (
    ApprovalRule,
    ApprovalStep,
    ApprovalTask,
    Delegation,
    Department,
    PostAudit,
    RequestEvent,
    RoleGrant,
    ServiceRequest,
)


class NotYourStep(Exception):
    """The step is not waiting for this person (already decided, or not theirs)."""


# Step rows of a chain that an edit replaced keep their history under this status;
# every read of "the chain" leaves them out (DESIGN §9: approvals can't be bypassed).
SUPERSEDED = "superseded"


def step_from_dict(data: Mapping[str, Any]) -> Step:
    return Step(
        kind=data["kind"],
        role=data.get("role") or None,
        user_ids=tuple(int(u) for u in data.get("user_ids", ())),
        levels_up=int(data.get("levels_up", 0)),
    )


def step_to_dict(step: Step) -> dict[str, Any]:
    return {
        "kind": step.kind,
        "role": step.role,
        "user_ids": list(step.user_ids),
        "levels_up": step.levels_up,
    }


def rule_from_row(row: Mapping[str, Any]) -> Rule:
    def money(value: Any) -> Decimal | None:
        return None if value is None else Decimal(str(value))

    return Rule(
        id=row["id"],
        order=row["position"],
        service=row["service"],
        kinds=frozenset(row["kinds"] or []),
        min_amount=money(row["min_amount"]),
        max_amount=money(row["max_amount"]),
        departments=frozenset(int(d) for d in row["departments"] or []),
        requester_roles=frozenset(row["requester_roles"] or []),
        facts={k: tuple(v) for k, v in (row.get("facts") or {}).items()},
        mode=row["mode"],
        steps=tuple(step_from_dict(s) for s in row["steps"] or []),
        sample_percent=row["sample_percent"],
    )


async def load_rules(org_id: int, service: str) -> list[Rule]:
    rows = (
        await ApprovalRule.select()
        .where(
            (ApprovalRule.org == org_id)
            & ApprovalRule.service.is_in([service, "*"])
            & ApprovalRule.active.eq(True)
        )
        .output(load_json=True)
    )
    return [rule_from_row(r) for r in rows]


async def department_parents(org_id: int) -> dict[int, int | None]:
    rows = await Department.select(Department.id, Department.parent).where(Department.org == org_id)
    return {r["id"]: r["parent"] for r in rows}


async def decide_for(
    org_id: int, rules: Sequence[Rule], facts: RequestFacts, draw: int
) -> Decision:
    """:func:`core.lifecycle.approvals.decide`, reading the department tree only when a
    rule names departments (no other condition looks at it)."""
    parents = await department_parents(org_id) if any(r.departments for r in rules) else {}
    return decide(rules, facts, parents, draw)


async def load_directory(org_id: int, today: date) -> OrgDirectory:
    """What step resolution needs: four small indexed reads of one organisation.

    ``today`` is the organisation's local date (:func:`local_today`), the same day step
    resolution tests delegations against: filtering by the server's date instead would
    drop a delegation still running in the organisation's time zone.
    """
    departments = await Department.select(
        Department.id, Department.parent, Department.head_user_id
    ).where(Department.org == org_id)
    grants = await RoleGrant.select(RoleGrant.user, RoleGrant.role, RoleGrant.scope).where(
        (RoleGrant.org == org_id) & RoleGrant.user.is_active.eq(True)
    )
    roles: dict[str, set[int]] = {}
    admins: dict[str, set[int]] = {}
    for g in grants:
        roles.setdefault(g["role"], set()).add(g["user"])
        if g["role"] == SERVICE_ADMIN and g["scope"]:
            admins.setdefault(g["scope"], set()).add(g["user"])
    delegations = await Delegation.select(
        Delegation.delegator, Delegation.delegate, Delegation.starts, Delegation.ends
    ).where((Delegation.org == org_id) & (Delegation.ends >= today))
    return OrgDirectory(
        department_parents={d["id"]: d["parent"] for d in departments},
        department_heads={d["id"]: d["head_user_id"] for d in departments},
        role_holders={k: frozenset(v) for k, v in roles.items()},
        service_admins={k: frozenset(v) for k, v in admins.items()},
        delegations=tuple(
            DelegationRule(d["delegator"], d["delegate"], d["starts"], d["ends"])
            for d in delegations
        ),
    )


async def plugin_facts(
    hooks: Any, subject: ApprovalSubject, extra: Mapping[str, object] | None = None
) -> dict[str, object]:
    """The ``approval_facts`` answers of the organisation's enabled plugins, merged.

    ``hooks`` is the organisation's subset of hook callers (``actor.hooks``); None (a
    script without the app) asks nobody. Answers may be awaitables. Between two
    answers naming the same fact the first wins; ``extra`` (what the submitting code
    passed to ``submit``) wins over every hook answer, because that code has just
    validated the form the facts come from.
    """
    facts: dict[str, object] = {}
    if hooks is not None:
        for answer in hooks.approval_facts(request=subject):
            if inspect.isawaitable(answer):
                answer = await answer
            if answer is None:
                continue
            if not isinstance(answer, Mapping):
                raise TypeError(
                    f"approval_facts must return a mapping or None, not {type(answer).__name__}"
                )
            for name, value in answer.items():
                facts.setdefault(str(name), value)
    facts.update(extra or {})
    return facts


async def facts_for(
    subject: ApprovalSubject,
    *,
    hooks: Any = None,
    extra: Mapping[str, object] | None = None,
    rules: Sequence[Rule] | None = None,
) -> RequestFacts:
    """Everything routing may test about one request: its fields, the requester's roles
    and the plugin facts (:func:`plugin_facts`).

    Given the ``rules`` that will test them, only what some rule asks about is read: the
    roles (one query) when a rule names requester roles, the plugins' facts when a rule
    names facts (``extra`` is kept either way). The decision is the same: a condition no
    rule has cannot fail."""
    wants_roles = rules is None or any(r.requester_roles for r in rules)
    wants_facts = rules is None or any(r.facts for r in rules)
    roles = (
        await RoleGrant.select(RoleGrant.role).where(
            (RoleGrant.org == subject.org_id) & (RoleGrant.user == subject.requester_id)
        )
        if wants_roles
        else []
    )
    return RequestFacts(
        service=subject.service,
        kind=subject.kind,
        amount=subject.amount,
        department_id=subject.department_id,
        requester_id=subject.requester_id,
        requester_roles=frozenset(r["role"] for r in roles),
        facts=(await plugin_facts(hooks, subject, extra) if wants_facts else dict(extra or {})),
    )


class RequestFactsLoader:
    """The facts of a new request, gathered only if some rule needs them."""

    def __init__(
        self, subject: ApprovalSubject, hooks: Any, extra: Mapping[str, object] | None
    ) -> None:
        self.subject, self.hooks, self.extra = subject, hooks, extra

    @property
    def service(self) -> str:
        return self.subject.service

    async def __call__(self, rules: Sequence[Rule] | None = None) -> RequestFacts:
        return await facts_for(self.subject, hooks=self.hooks, extra=self.extra, rules=rules)


SUBJECT_COLUMNS = (
    ServiceRequest.id,
    ServiceRequest.number,
    ServiceRequest.service,
    ServiceRequest.kind,
    ServiceRequest.title,
    ServiceRequest.amount,
    ServiceRequest.requester,
    ServiceRequest.department,
    ServiceRequest.location,
    ServiceRequest.priority,
)


def subject_of(org_id: int, row: Mapping[str, Any]) -> ApprovalSubject:
    """The hook's view of a stored request (a row holding :data:`SUBJECT_COLUMNS`)."""
    return ApprovalSubject(
        org_id=org_id,
        request_id=row["id"],
        number=row["number"],
        service=row["service"],
        kind=row["kind"],
        title=row["title"],
        amount=None if row["amount"] is None else Decimal(str(row["amount"])),
        requester_id=row["requester"],
        department_id=row["department"],
        location=row["location"],
        priority=row["priority"],
    )


async def route(
    actor: Actor,
    request_id: int,
    draw: int,
    facts_of: Any,
) -> Decision:
    """Decide and apply approval for a new request (inside the submit transaction);
    ``draw`` is its post-audit draw (:func:`core.lifecycle.approvals.is_sampled`).

    ``facts_of`` is an async callable giving the :class:`RequestFacts`; it is only
    awaited when the organisation has rules for the service (no rules: auto, one query).
    """
    rules = await load_rules(actor.org_id, facts_of.service)
    if not rules:
        decision = Decision(mode="auto", rule_id=None, steps=())
    else:
        facts = await facts_of(rules)
        decision = await decide_for(actor.org_id, rules, facts, draw)
    data = {"mode": decision.mode, "rule": decision.rule_id}
    if decision.mode != "chain":
        await transition(
            None,
            actor.org_id,
            request_id,
            Action.AUTO_APPROVE,
            data=data,
            changes={ServiceRequest.approval_mode: decision.mode},
        )
        if decision.mode == "filing" and decision.sampled:
            await PostAudit.insert(PostAudit(org=actor.org_id, request=request_id))
        return decision
    await transition(
        None,
        actor.org_id,
        request_id,
        Action.ROUTE,
        data=data,
        changes={ServiceRequest.approval_mode: decision.mode},
    )
    await open_chain(actor.org_id, request_id, decision.steps, facts, actor.time_zone, start=0)
    return decision


async def open_chain(
    org_id: int,
    request_id: int,
    steps: tuple[Step, ...],
    facts: RequestFacts,
    time_zone: str,
    *,
    start: int | None = None,
) -> bool:
    """Store a chain's steps and open the first one someone can decide.

    Positions continue after any earlier (superseded) chain of the request, so the
    unique (org, request, position) index holds when an edit starts a new chain
    (``start=0`` skips the look-up for a new request). Returns True when a step waits
    for someone, False when the request is approved.
    """
    if start is None:
        last = (
            await ApprovalStep.select(ApprovalStep.position)
            .where((ApprovalStep.org == org_id) & (ApprovalStep.request == request_id))
            .order_by(ApprovalStep.position, ascending=False)
            .first()
        )
        start = 0 if last is None else last["position"] + 1
    await ApprovalStep.insert(
        *[
            ApprovalStep(
                org=org_id, request=request_id, position=start + i, spec=step_to_dict(step)
            )
            for i, step in enumerate(steps)
        ]
    )
    today = local_today(time_zone)
    directory = await load_directory(org_id, today)
    return await _activate_next(org_id, request_id, facts, directory, today)


async def _fallback(org_id: int, requester_id: int, directory: OrgDirectory) -> Assignment | None:
    """Nobody fits the step: the organisation's admins take it (never the requester)."""
    admins = directory.role_holders.get(ORG_ADMIN, frozenset()) - {requester_id}
    return Assignment(approver_ids=frozenset(admins), on_behalf_of={}) if admins else None


async def _activate_next(
    org_id: int, request_id: int, facts: RequestFacts, directory: OrgDirectory, today: date
) -> bool:
    """Open the next waiting step; approve the request when no step is left.

    Returns True when a step is now pending (someone must act), False when approved.
    """
    steps = (
        await ApprovalStep.select(ApprovalStep.id, ApprovalStep.spec)
        .where(
            (ApprovalStep.org == org_id)
            & (ApprovalStep.request == request_id)
            & (ApprovalStep.status == "waiting")
        )
        .order_by(ApprovalStep.position)
        .output(load_json=True)
    )
    for row in steps:
        assignment = resolve_step(step_from_dict(row["spec"]), facts, directory, today)
        assignment = assignment or await _fallback(org_id, facts.requester_id, directory)
        if assignment is None:
            await ApprovalStep.update({ApprovalStep.status: "skipped"}).where(
                ApprovalStep.id == row["id"]
            )
            continue
        await ApprovalStep.update(
            {
                ApprovalStep.status: "pending",
                ApprovalStep.on_behalf_of: {str(k): v for k, v in assignment.on_behalf_of.items()},
            }
        ).where(ApprovalStep.id == row["id"])
        await ApprovalTask.insert(
            *[
                ApprovalTask(org=org_id, step=row["id"], request=request_id, user=user_id)
                for user_id in sorted(assignment.approver_ids)
            ]
        )

        await notify(org_id, request_id, "approval_needed", assignment.approver_ids, None)
        return True
    await transition(None, org_id, request_id, Action.APPROVE, data={"chain": "complete"})
    return False


async def decide_step(
    actor: Actor, step_id: int, approve: bool, comment: str
) -> tuple[Status, str]:
    """An approver approves or rejects the pending step they were asked to decide."""

    engine = ApprovalStep._meta.db
    async with write_transaction(engine):
        task = (
            await ApprovalTask.select(
                ApprovalTask.id,
                ApprovalTask.request,
                ApprovalTask.request.number.as_alias("number"),
            )
            .where(
                (ApprovalTask.org == actor.org_id)
                & (ApprovalTask.step == step_id)
                & (ApprovalTask.user == actor.user_id)
                & ApprovalTask.open.eq(True)
            )
            .first()
        )
        if task is None:
            raise NotYourStep(step_id)
        # Claim this person's own open task first: if an admin has just passed the step
        # to someone else (reassign closes the old tasks), this finds it closed.
        claimed = (
            await ApprovalTask.update({ApprovalTask.open: False})
            .where(
                (ApprovalTask.id == task["id"])
                & (ApprovalTask.org == actor.org_id)
                & ApprovalTask.open.eq(True)
            )
            .returning(ApprovalTask.id)
        )
        if not claimed:
            raise NotYourStep(step_id)
        step = (
            await ApprovalStep.select(ApprovalStep.on_behalf_of)
            .where(ApprovalStep.id == step_id)
            .output(load_json=True)
            .first()
        )
        # Only the first decision counts: the conditional update is the lock.
        decided = (
            await ApprovalStep.update(
                {
                    ApprovalStep.status: "approved" if approve else "rejected",
                    ApprovalStep.decided_by: actor.user_id,
                    ApprovalStep.decided_at: now(),
                    ApprovalStep.comment: comment,
                }
            )
            .where(
                (ApprovalStep.id == step_id)
                & (ApprovalStep.org == actor.org_id)
                & (ApprovalStep.status == "pending")
            )
            .returning(ApprovalStep.id)
        )
        if not decided:
            raise NotYourStep(step_id)
        await ApprovalTask.update({ApprovalTask.open: False}).where(
            (ApprovalTask.org == actor.org_id) & (ApprovalTask.step == step_id)
        )
        request_id = task["request"]
        behalf = (step["on_behalf_of"] or {}).get(str(actor.user_id))
        event = {"step": step_id, "on_behalf_of": behalf}
        await RequestEvent.insert(
            RequestEvent(
                org=actor.org_id,
                request=request_id,
                actor=actor.user_id,
                kind="approval",
                public=True,
                message=comment,
                data={**event, "decision": "approved" if approve else "rejected"},
            )
        )
        if not approve:
            rejected = await transition(
                actor, actor.org_id, request_id, Action.REJECT, message=comment, data=event
            )
            return rejected, task["number"]
        req = (
            await ServiceRequest.select(*SUBJECT_COLUMNS)
            .where((ServiceRequest.id == request_id) & (ServiceRequest.org == actor.org_id))
            .first()
        )
        # Step resolution looks at the requester and department, never at plugin facts,
        # so the plugins are not asked again for every decision.
        facts = await facts_for(subject_of(actor.org_id, req))
        today = local_today(actor.time_zone)
        directory = await load_directory(actor.org_id, today)
        pending = await _activate_next(actor.org_id, request_id, facts, directory, today)
        if not pending:
            await auto_dispatch(actor.org_id, request_id)
        return (Status.PENDING_APPROVAL if pending else Status.APPROVED), task["number"]


async def open_approvals(actor: Actor, limit: int = 50) -> list[dict[str, Any]]:
    """The requests waiting for this person's decision, oldest first."""
    return await (
        ApprovalTask.select(
            ApprovalTask.step,
            ApprovalTask.request.number.as_alias("number"),
            ApprovalTask.request.title.as_alias("title"),
            ApprovalTask.request.service.as_alias("service"),
            ApprovalTask.request.amount.as_alias("amount"),
            ApprovalTask.request.submitted_at.as_alias("submitted_at"),
            ApprovalTask.request.requester.display_name.as_alias("requester_name"),
        )
        .where(
            (ApprovalTask.org == actor.org_id)
            & (ApprovalTask.user == actor.user_id)
            & ApprovalTask.open.eq(True)
        )
        .order_by(ApprovalTask.id)
        .limit(limit)
    )


async def approval_chain(org_id: int, request_id: int) -> list[dict[str, Any]]:
    """The steps of one request with who decided and, for the pending step, who it
    waits for (``approvers``: display names), for the request page."""
    rows = (
        await ApprovalStep.select(
            ApprovalStep.id,
            ApprovalStep.position,
            ApprovalStep.spec,
            ApprovalStep.status,
            ApprovalStep.comment,
            ApprovalStep.decided_at,
            ApprovalStep.decided_by.display_name.as_alias("decided_by_name"),
        )
        .where(
            (ApprovalStep.org == org_id)
            & (ApprovalStep.request == request_id)
            & (ApprovalStep.status != SUPERSEDED)
        )
        .order_by(ApprovalStep.position)
        .output(load_json=True)
    )
    pending = [r["id"] for r in rows if r["status"] == "pending"]
    names: dict[int, list[str]] = {}
    if pending:  # who the request waits for, by name (one more query, only then)
        tasks = await (
            ApprovalTask.select(ApprovalTask.step, ApprovalTask.user.display_name.as_alias("name"))
            .where(
                (ApprovalTask.org == org_id)
                & ApprovalTask.step.is_in(pending)
                & ApprovalTask.open.eq(True)
            )
            .order_by(ApprovalTask.user)
        )
        for task in tasks:
            names.setdefault(task["step"], []).append(task["name"])
    for row in rows:
        row["approvers"] = names.get(row["id"], [])
    return rows


__all__ = [
    "SUPERSEDED",
    "NotYourStep",
    "approval_chain",
    "decide_for",
    "decide_step",
    "facts_for",
    "load_directory",
    "open_approvals",
    "open_chain",
    "plugin_facts",
    "route",
    "subject_of",
]
