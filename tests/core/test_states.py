"""The request state machine: no sequence of actions reaches an illegal state."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from core.lifecycle.states import (
    OPEN,
    TERMINAL,
    TRANSITIONS,
    Action,
    IllegalTransition,
    Status,
    allowed_actions,
    next_status,
    stepper,
)

FULL = ("submitted", "pending_approval", "assigned", "in_progress", "resolved", "closed")
NO_DISPATCH = ("submitted", "pending_approval", "in_progress", "resolved", "closed")


def test_every_status_is_reachable_from_submitted() -> None:
    seen, frontier = {Status.SUBMITTED}, [Status.SUBMITTED]
    while frontier:
        current = frontier.pop()
        for action in allowed_actions(current):
            target = next_status(current, action)
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == set(Status)


def test_terminal_statuses_have_no_way_out() -> None:
    for status in TERMINAL:
        assert allowed_actions(status) == []
        for action in Action:
            with pytest.raises(IllegalTransition):
                next_status(status, action)


def test_golden_path_and_hold() -> None:
    path = [
        Action.ROUTE,
        Action.APPROVE,
        Action.ASSIGN,
        Action.START,
        Action.HOLD,
        Action.RESUME,
        Action.RESOLVE,
        Action.CLOSE,
    ]
    status = Status.SUBMITTED
    for action in path:
        status = next_status(status, action)
    assert status == Status.CLOSED


def test_work_cannot_start_before_approval() -> None:
    for action in (Action.ASSIGN, Action.START, Action.RESOLVE):
        with pytest.raises(IllegalTransition):
            next_status(Status.PENDING_APPROVAL, action)
        with pytest.raises(IllegalTransition):
            next_status(Status.SUBMITTED, action)


@given(st.lists(st.sampled_from(list(Action)), max_size=40))
def test_any_action_sequence_stays_in_the_status_set(actions: list[Action]) -> None:
    status = Status.SUBMITTED
    approved = False
    for action in actions:
        try:
            new = next_status(status, action)
        except IllegalTransition:
            assert (status, action) not in TRANSITIONS
            continue
        if new == Status.APPROVED:
            approved = True
        if new in (Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED):
            assert approved, "work reached before approval"
        status = new
        assert status in set(Status)
        assert stepper(FULL, status) or status in (Status.REJECTED, Status.CANCELLED)


@given(st.sampled_from(list(Status)), st.sampled_from([FULL, NO_DISPATCH]))
def test_stepper_has_at_most_one_current_step(status: Status, steps: tuple[str, ...]) -> None:
    states = [state for _step, state in stepper(steps, status)]
    assert states.count("current") <= 1
    # done steps come before the current one, todo steps after it
    assert states == sorted(states, key=["done", "current", "todo"].index)


def test_open_statuses() -> None:
    assert Status.RESOLVED not in OPEN and Status.CLOSED not in OPEN and Status.ON_HOLD in OPEN


class Lifecycle(RuleBasedStateMachine):
    """Random walks: the SLA pause opens only by HOLD and closes only by RESUME or RESOLVE."""

    def __init__(self) -> None:
        super().__init__()
        self.status = Status.SUBMITTED
        self.paused = False
        self.approved = False

    @rule(action=st.sampled_from(list(Action)))
    def act(self, action: Action) -> None:
        if (self.status, action) not in TRANSITIONS:
            with pytest.raises(IllegalTransition):
                next_status(self.status, action)
            return
        new = next_status(self.status, action)
        if new == Status.ON_HOLD:
            assert action == Action.HOLD
            self.paused = True
        elif self.status == Status.ON_HOLD:
            assert action in (Action.RESUME, Action.RESOLVE)
            self.paused = False
        self.approved |= new == Status.APPROVED
        self.status = new

    @invariant()
    def pause_matches_status(self) -> None:
        assert self.paused == (self.status == Status.ON_HOLD)

    @invariant()
    def no_work_without_approval(self) -> None:
        if self.status in (Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD, Status.RESOLVED):
            assert self.approved


TestLifecycle = Lifecycle.TestCase
