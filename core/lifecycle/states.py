"""The fixed status set and the only legal moves between statuses.

Every service type uses this one machine; a type may leave steps out (no approval, no
dispatch) but never adds a status. ``next_status`` is the single place that decides
whether a move is legal; the database layer applies it with a version check.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum


class Status(StrEnum):
    """The fixed set of statuses every request moves through (DESIGN §4); a service
    labels them in its own words but never adds one."""

    SUBMITTED = "submitted"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    REOPENED = "reopened"


class Action(StrEnum):
    """What someone (or the system) does to a request; :func:`next_status` says where
    it leads from each status, or that it is illegal there."""

    ROUTE = "route"  # system: approval needed
    AUTO_APPROVE = "auto_approve"  # system: auto or filing (备案) mode
    APPROVE = "approve"  # approver: the last step approved
    REJECT = "reject"
    ASSIGN = "assign"  # dispatcher or strategy
    DECLINE = "decline"  # agent gives an assignment back
    START = "start"
    HOLD = "hold"
    RESUME = "resume"
    RESOLVE = "resolve"
    CLOSE = "close"  # requester confirms or rates, or auto-close
    REOPEN = "reopen"
    CANCEL = "cancel"
    REAPPROVE = "reapprove"  # system: an edit needs approval again (DESIGN §9)


S, A = Status, Action

TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (S.SUBMITTED, A.ROUTE): S.PENDING_APPROVAL,
    (S.SUBMITTED, A.AUTO_APPROVE): S.APPROVED,
    (S.SUBMITTED, A.CANCEL): S.CANCELLED,
    (S.PENDING_APPROVAL, A.APPROVE): S.APPROVED,
    (S.PENDING_APPROVAL, A.REJECT): S.REJECTED,
    (S.PENDING_APPROVAL, A.CANCEL): S.CANCELLED,
    (S.APPROVED, A.ASSIGN): S.ASSIGNED,
    (S.APPROVED, A.START): S.IN_PROGRESS,  # services without dispatch
    (S.APPROVED, A.RESOLVE): S.RESOLVED,  # services without work steps (e.g. a booking)
    (S.APPROVED, A.CANCEL): S.CANCELLED,
    (S.ASSIGNED, A.ASSIGN): S.ASSIGNED,  # reassignment
    (S.ASSIGNED, A.DECLINE): S.APPROVED,
    (S.ASSIGNED, A.START): S.IN_PROGRESS,
    (S.ASSIGNED, A.CANCEL): S.CANCELLED,
    (S.IN_PROGRESS, A.HOLD): S.ON_HOLD,
    (S.IN_PROGRESS, A.RESOLVE): S.RESOLVED,
    (S.IN_PROGRESS, A.ASSIGN): S.ASSIGNED,  # handed over to someone else
    (S.ON_HOLD, A.RESUME): S.IN_PROGRESS,
    (S.ON_HOLD, A.RESOLVE): S.RESOLVED,
    (S.RESOLVED, A.CLOSE): S.CLOSED,
    (S.RESOLVED, A.REOPEN): S.REOPENED,
    (S.REOPENED, A.START): S.IN_PROGRESS,
    (S.REOPENED, A.ASSIGN): S.ASSIGNED,
    # An edit before work starts that a stricter rule would catch goes back to approval;
    # an assignment is withdrawn (nothing is worked on before approval completes).
    (S.SUBMITTED, A.REAPPROVE): S.PENDING_APPROVAL,
    (S.PENDING_APPROVAL, A.REAPPROVE): S.PENDING_APPROVAL,
    (S.APPROVED, A.REAPPROVE): S.PENDING_APPROVAL,
    (S.ASSIGNED, A.REAPPROVE): S.PENDING_APPROVAL,
}

TERMINAL = frozenset({S.CLOSED, S.REJECTED, S.CANCELLED})
# Not finished and not done: someone still has something to do.
OPEN = frozenset(
    {
        S.SUBMITTED,
        S.PENDING_APPROVAL,
        S.APPROVED,
        S.ASSIGNED,
        S.IN_PROGRESS,
        S.ON_HOLD,
        S.REOPENED,
    }
)
# Statuses in which the requester (or the desk for them) may still edit the request:
# work has not started, so an edit can still be sent back to approval.
EDITABLE = frozenset({S.SUBMITTED, S.PENDING_APPROVAL, S.APPROVED, S.ASSIGNED})
# Statuses during which the SLA clock does not run.
PAUSED = frozenset({S.ON_HOLD})
# Statuses in which an assignee has the request in hand (between assignment and
# resolution): where a service's own work steps (a part recorded, on the way) apply.
IN_HAND = frozenset({S.ASSIGNED, S.IN_PROGRESS, S.ON_HOLD})


class IllegalTransition(Exception):
    """The action is not possible from the request's current status."""

    def __init__(self, status: Status, action: Action) -> None:
        super().__init__(f"{action} is not possible while the request is {status}")
        self.status = status
        self.action = action


def next_status(status: Status | str, action: Action | str) -> Status:
    """The status after ``action``; raises :class:`IllegalTransition` when not allowed."""
    current, act = Status(status), Action(action)
    try:
        return TRANSITIONS[(current, act)]
    except KeyError:
        raise IllegalTransition(current, act) from None


def legal_from(action: Action | str) -> frozenset[Status]:
    """The statuses from which ``action`` is legal (read from the transition table, so a
    plugin's status sets follow the state machine instead of restating it)."""
    act = Action(action)
    return frozenset(state for (state, a) in TRANSITIONS if a == act)


# Status sets the desk and the inbox act on, read from the table above:
# waiting for someone to take it (assignable, nobody has it in hand),
AWAITING_DISPATCH = legal_from(A.ASSIGN) - IN_HAND
# may be given to someone without a hand-over (assignable, work not started),
ASSIGNABLE = legal_from(A.ASSIGN) & legal_from(A.START)
# may be handed over from one assignee to another,
HANDOVER = legal_from(A.ASSIGN) & IN_HAND
# may be withdrawn by the requester.
CANCELLABLE = legal_from(A.CANCEL)


def allowed_actions(status: Status | str) -> list[Action]:
    current = Status(status)
    return [action for (state, action) in TRANSITIONS if state == current]


def status_label(status: Status | str, _: Callable[[str], str]) -> str:
    """Generic wording; a service type may say it in its own domain's words."""
    labels = {
        S.SUBMITTED: _("Submitted"),
        S.PENDING_APPROVAL: _("Waiting for approval"),
        S.APPROVED: _("Approved"),
        S.ASSIGNED: _("Assigned"),
        S.IN_PROGRESS: _("In progress"),
        S.ON_HOLD: _("On hold"),
        S.RESOLVED: _("Done"),
        S.CLOSED: _("Closed"),
        S.REJECTED: _("Rejected"),
        S.CANCELLED: _("Cancelled"),
        S.REOPENED: _("Reopened"),
    }
    return labels[Status(status)]


# One colour language for statuses on every surface (CSS classes status--<tone>).
STATUS_TONE = {
    S.SUBMITTED: "submitted",
    S.PENDING_APPROVAL: "waiting",
    S.APPROVED: "submitted",
    S.ASSIGNED: "progress",
    S.IN_PROGRESS: "progress",
    S.ON_HOLD: "waiting",
    S.RESOLVED: "done",
    S.CLOSED: "done",
    S.REJECTED: "rejected",
    S.CANCELLED: "muted",
    S.REOPENED: "waiting",
}

# Where each status sits on the stepper of a request page.
_STEP_OF = {
    S.SUBMITTED: "submitted",
    S.PENDING_APPROVAL: "pending_approval",
    S.APPROVED: "pending_approval",
    S.ASSIGNED: "assigned",
    S.IN_PROGRESS: "in_progress",
    S.ON_HOLD: "in_progress",
    S.REOPENED: "in_progress",
    S.RESOLVED: "resolved",
    S.CLOSED: "closed",
}


# Statuses that finish the step they stand on: approved is the approval done (nobody
# assigned yet), closed is the last step done.
_COMPLETES_ITS_STEP = frozenset({S.APPROVED, S.CLOSED})


def stepper(steps: tuple[str, ...], status: Status | str) -> list[tuple[str, str]]:
    """``(step, "done" | "current" | "todo")`` for the steps a service type uses.

    Approved counts as the approval step done; a closed request has every step done.
    Rejected and cancelled requests have no stepper (an empty list).
    """
    current = Status(status)
    if current in (S.REJECTED, S.CANCELLED):
        return []
    step = _STEP_OF[current]
    position = steps.index(step) if step in steps else 0
    here = "done" if current in _COMPLETES_ITS_STEP else "current"
    return [
        *((name, "done") for name in steps[:position]),
        (steps[position], here),
        *((name, "todo") for name in steps[position + 1 :]),
    ]
