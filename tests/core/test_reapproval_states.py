"""Re-approval in the state machine: an edit sends a request back before work starts.

Stronger than "approved once": after every return to approval, work (assign, start,
resolve) needs a fresh approval. And edits are only possible before work starts.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.lifecycle.states import (
    EDITABLE,
    TRANSITIONS,
    Action,
    IllegalTransition,
    Status,
    next_status,
)

WORK = {Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD, Status.RESOLVED}


def test_reapprove_goes_back_to_approval_from_every_editable_status() -> None:
    for status in EDITABLE:
        assert next_status(status, Action.REAPPROVE) == Status.PENDING_APPROVAL
    for status in set(Status) - EDITABLE:
        with pytest.raises(IllegalTransition):
            next_status(status, Action.REAPPROVE)


def test_editable_statuses_are_before_work_starts() -> None:
    started = {Status.IN_PROGRESS, Status.ON_HOLD, Status.RESOLVED, Status.REOPENED}
    assert not EDITABLE & started
    assert not EDITABLE & {Status.CLOSED, Status.REJECTED, Status.CANCELLED}


@given(st.lists(st.sampled_from(list(Action)), max_size=60))
def test_work_needs_the_approval_given_since_the_last_return(actions: list[Action]) -> None:
    status, approved = Status.SUBMITTED, False
    for action in actions:
        if (status, action) not in TRANSITIONS:
            continue
        new = next_status(status, action)
        if new == Status.PENDING_APPROVAL:
            approved = False  # whatever was approved before no longer counts
        elif new == Status.APPROVED and status == Status.PENDING_APPROVAL:
            approved = True
        elif new == Status.APPROVED and status == Status.SUBMITTED:
            approved = True  # auto or filing
        if new in WORK and status not in WORK:
            assert approved, f"{action} reached {new} without a current approval"
        status = new
