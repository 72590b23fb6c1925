"""Core's own request actions, offered on every request through ``request_actions``
(registered by the default plugin like any plugin's): the assignee's accept, start,
hold, resume, done and decline, and the requester's close, reopen and cancel.

Where each applies is read from the state machine (``legal_from``), never restated.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from core.i18n import gettext as _
from core.identity.actor import Actor
from core.lifecycle.actions import ActionContext, ActionRefused, RequestAction
from core.lifecycle.dispatch import auto_dispatch
from core.lifecycle.states import IN_HAND, Action, legal_from
from core.tables import ServiceRequest

REOPEN_DAYS = 7
"""How long after it was resolved the requester may reopen a request."""


def _nobody_answered(request: Mapping[str, Any]) -> bool:
    return request["first_response_at"] is None


async def _within_reopen_window(ctx: ActionContext) -> None:
    resolved = ctx.request["resolved_at"]
    if resolved is not None and ctx.moment - resolved >= timedelta(days=REOPEN_DAYS):
        raise ActionRefused(
            "",
            _("Requests can be reopened within %(n)d days. Please submit a new one.")
            % {"n": REOPEN_DAYS},
            409,
        )


async def _dispatch_again(actor: Actor, request: Mapping[str, Any]) -> None:
    await auto_dispatch(actor.org_id, request["id"])


ACCEPT = RequestAction(
    "accept",
    lambda _: _("Accept"),
    legal_from(Action.START) & IN_HAND,
    event="accepted",
    note="optional",
    first_response=True,
    when=_nobody_answered,
    icon="check",
    done=lambda _: _("Accepted: the requester sees you are on it."),
    order=10,
)
START = RequestAction(
    "start",
    lambda _: _("Start work"),
    legal_from(Action.START) & IN_HAND,
    transition=Action.START,
    note="optional",
    first_response=True,
    primary=True,
    icon="tool",
    order=20,
)
RESUME = RequestAction(
    "resume",
    lambda _: _("Resume"),
    legal_from(Action.RESUME),
    transition=Action.RESUME,
    note="optional",
    first_response=True,
    primary=True,
    order=15,
)
RESOLVE = RequestAction(
    "resolve",
    lambda _: _("Done"),
    legal_from(Action.RESOLVE) & IN_HAND,
    transition=Action.RESOLVE,
    note="optional",
    first_response=True,
    primary=True,
    icon="circle-check",
    order=50,
)
HOLD = RequestAction(
    "hold",
    lambda _: _("Put on hold"),
    legal_from(Action.HOLD) & IN_HAND,
    transition=Action.HOLD,
    note="required",
    first_response=True,
    order=60,
)
DECLINE = RequestAction(
    "decline",
    lambda _: _("Decline"),
    legal_from(Action.DECLINE),
    transition=Action.DECLINE,
    note="required",
    changes={ServiceRequest.assignee: None},
    after=_dispatch_again,
    danger=True,
    then="tasks",
    order=90,
)
CLOSE = RequestAction(
    "close",
    lambda _: _("Close without rating"),
    legal_from(Action.CLOSE),
    who="requester",
    transition=Action.CLOSE,
    data={"by": "requester"},
    done=lambda _: _("Thank you: the request is closed."),
    order=10,
)
REOPEN = RequestAction(
    "reopen",
    lambda _: _("Reopen"),
    legal_from(Action.REOPEN),
    who="requester",
    transition=Action.REOPEN,
    effect=_within_reopen_window,
    note="required",
    note_hint=lambda _: _("Say what is still wrong, so the team can fix it."),
    done=lambda _: _("Reopened: the team has been told."),
    order=20,
)

CANCEL = RequestAction(
    "cancel",
    lambda _: _("Cancel request"),
    legal_from(Action.CANCEL),
    who="requester",
    transition=Action.CANCEL,
    note="optional",
    note_hint=lambda _: _("Reason (optional)"),
    danger=True,
    icon="x",
    confirm=lambda _: _("Cancel this request?"),
    unavailable=lambda _: _("This request can no longer be cancelled: work on it has started."),
    done=lambda _: _("The request is cancelled."),
    order=90,
)

CORE_ACTIONS = (ACCEPT, START, RESUME, RESOLVE, HOLD, DECLINE, CLOSE, REOPEN, CANCEL)
"""Every core action, in the order they are declared."""

__all__ = ["CORE_ACTIONS", "REOPEN_DAYS"]
