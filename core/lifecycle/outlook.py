"""What will happen to a request before it is sent: the approval it will need, by name.

The new-request form asks this as the person types (``POST /new/{slug}/outlook``): the
same rules, facts and org chart that :func:`core.lifecycle.routing.route` uses at submit,
read without writing, so "needs approval by 李娜 (head of Sales)" is what then happens.
A fixed number of queries: the rules, and only when they need them the requester's
roles, the department tree, the org chart and the approvers' names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.clock import local_today
from core.identity.actor import Actor
from core.lifecycle.approvals import (
    ApprovalSubject,
    OrgDirectory,
    RequestFacts,
    Step,
    ancestors,
    resolve_step,
)
from core.lifecycle.routing import decide_for, facts_for, load_directory, load_rules
from core.tables import Department, User

MAX_NAMES = 3


@dataclass(frozen=True)
class Approver:
    """The first approval step as the requester will meet it: who (up to
    ``MAX_NAMES`` names, ``more`` others) and, for a department head, which department."""

    names: tuple[str, ...]
    more: int = 0
    department: str = ""


@dataclass(frozen=True)
class Outlook:
    """``mode`` is ``auto`` (approved at once), ``filing`` (备案: recorded, no approval)
    or ``chain``; for a chain, ``first`` is the first step's approver (None: nobody fits,
    the administrators will be asked) and ``steps`` how many steps there are."""

    mode: str
    first: Approver | None = None
    steps: int = 0


async def outlook(
    actor: Actor,
    service: str,
    kind: str = "",
    amount: Decimal | None = None,
    facts: Mapping[str, object] | None = None,
) -> Outlook:
    """What submitting a request of ``service`` (``kind``, ``amount`` and the form's
    approval ``facts``) would lead to for ``actor`` now. Writes nothing."""
    rules = await load_rules(actor.org_id, service)
    if not rules:
        return Outlook("auto")
    subject = ApprovalSubject(
        org_id=actor.org_id,
        request_id=None,
        number="preview",
        service=service,
        kind=kind,
        title="",
        amount=amount,
        requester_id=actor.user_id,
        department_id=actor.department_id,
    )
    known = await facts_for(subject, hooks=actor.hooks, extra=facts, rules=rules)
    decision = await decide_for(actor.org_id, rules, known, draw=0)
    if decision.mode != "chain":
        return Outlook(decision.mode)
    today = local_today(actor.time_zone)
    directory = await load_directory(actor.org_id, today)
    first = await _first_approver(decision.steps[0], known, directory, today, actor.org_id)
    return Outlook("chain", first, len(decision.steps))


async def _first_approver(
    step: Step, facts: RequestFacts, directory: OrgDirectory, today: date, org_id: int
) -> Approver | None:
    assignment = resolve_step(step, facts, directory, today)
    if assignment is None:
        return None
    ids = sorted(assignment.approver_ids)
    rows = await (
        User.select(User.display_name)
        .where((User.org == org_id) & User.id.is_in(ids[:MAX_NAMES]))
        .order_by(User.id)
    )
    department = ""
    if step.kind == "department_head" and facts.department_id is not None:
        # the department whose head the step reached (a delegate may stand in for them)
        people = assignment.approver_ids | frozenset(assignment.on_behalf_of.values())
        chain = list(ancestors(facts.department_id, directory.department_parents))
        dept = next(
            (d for d in chain[step.levels_up :] if directory.department_heads.get(d) in people),
            None,
        )
        if dept is not None:
            found = await Department.select(Department.name).where(Department.id == dept).first()
            department = found["name"] if found else ""
    return Approver(
        tuple(r["display_name"] for r in rows), max(0, len(ids) - MAX_NAMES), department
    )


__all__ = ["Approver", "Outlook", "outlook"]
