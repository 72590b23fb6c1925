"""Request actions as declarations: validation, who and where they apply, the page's
order, the input checks, and where core's own actions apply (from the state machine)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from core.i18n import use_locale
from core.lifecycle.actions import ActionRefused, RequestAction, applicable, check_input
from core.lifecycle.core_actions import CORE_ACTIONS
from core.lifecycle.states import Action, Status

S = Status
AGENT, REQUESTER = 7, 8
BY_CODE = {a.code: a for a in CORE_ACTIONS}


def _actor(user_id: int) -> object:
    return SimpleNamespace(user_id=user_id, org_id=1)


def _row(status: Status, **extra: object) -> dict:
    return {
        "id": 1,
        "status": status.value,
        "assignee": AGENT,
        "requester": REQUESTER,
        "first_response_at": None,
        **extra,
    }


def _codes(user_id: int, status: Status, **extra: object) -> list[str]:
    return [a.code for a in applicable(CORE_ACTIONS, _actor(user_id), _row(status, **extra))]


def test_an_action_needs_a_clean_code_and_an_effect() -> None:
    with pytest.raises(ValueError, match="code"):
        RequestAction("on the way", lambda _: "x", frozenset({S.ASSIGNED}), event="x.y")
    with pytest.raises(ValueError, match="code"):
        RequestAction("", lambda _: "x", frozenset({S.ASSIGNED}), event="x.y")
    with pytest.raises(ValueError, match="does nothing"):
        RequestAction("x.y", lambda _: "x", frozenset({S.ASSIGNED}))
    with pytest.raises(ValueError, match="32"):
        RequestAction("x.y", lambda _: "x", frozenset({S.ASSIGNED}), event="x." + "y" * 31)
    RequestAction("keys.hand_back", lambda _: "x", frozenset({S.ASSIGNED}), event="keys.back")


def test_the_assignee_sees_the_work_steps_of_each_status_primary_first() -> None:
    assert _codes(AGENT, S.ASSIGNED) == ["start", "accept", "decline"]
    assert _codes(AGENT, S.ASSIGNED, first_response_at="09:00") == ["start", "decline"]
    assert _codes(AGENT, S.IN_PROGRESS) == ["resolve", "hold"]
    assert _codes(AGENT, S.ON_HOLD) == ["resume", "resolve"]
    for status in (S.SUBMITTED, S.PENDING_APPROVAL, S.APPROVED, S.RESOLVED, S.CLOSED):
        assert _codes(AGENT, status) == [], status


def test_the_requester_closes_or_reopens_a_resolved_request_and_cancels_before_work() -> None:
    assert _codes(REQUESTER, S.RESOLVED) == ["close", "reopen"]
    before_work = {S.SUBMITTED, S.PENDING_APPROVAL, S.APPROVED, S.ASSIGNED}
    for status in before_work:
        assert _codes(REQUESTER, status) == ["cancel"], status
    for status in set(Status) - {S.RESOLVED} - before_work:
        assert _codes(REQUESTER, status) == [], status
    cancel = BY_CODE["cancel"]
    assert cancel.confirm is not None and cancel.unavailable is not None and cancel.danger


def test_nobody_else_gets_any_action() -> None:
    for status in Status:
        assert _codes(99, status) == []
    unassigned = _row(S.ASSIGNED, assignee=None)
    assert applicable(CORE_ACTIONS, _actor(99), unassigned) == []
    assert not BY_CODE["start"].is_for(SimpleNamespace(user_id=None), unassigned)


def test_core_actions_move_as_the_state_machine_says() -> None:
    moves = {a.code: a.transition for a in CORE_ACTIONS}
    assert moves == {
        "accept": None,  # a timeline event: the status stays "assigned"
        "start": Action.START,
        "resume": Action.RESUME,
        "resolve": Action.RESOLVE,
        "hold": Action.HOLD,
        "decline": Action.DECLINE,
        "close": Action.CLOSE,
        "reopen": Action.REOPEN,
        "cancel": Action.CANCEL,
    }
    assert BY_CODE["accept"].event == "accepted" and BY_CODE["accept"].first_response
    assert not BY_CODE["decline"].first_response and BY_CODE["decline"].then == "tasks"
    assert {a.code for a in CORE_ACTIONS if a.note == "required"} == {"hold", "decline", "reopen"}


def test_input_checks_name_the_field() -> None:
    hold, start = BY_CODE["hold"], BY_CODE["start"]
    with use_locale("en"):
        assert check_input(start, "  on it  ", 0) == "on it"
        with pytest.raises(ActionRefused) as missing:
            check_input(hold, "   ", 0)
        assert missing.value.field == "note" and missing.value.status_code == 422
        with pytest.raises(ActionRefused) as long:
            check_input(start, "x" * 2001, 0)
        assert long.value.field == "note" and "2000" in long.value.message
        with pytest.raises(ActionRefused) as photos:
            check_input(start, "", 1)
        assert photos.value.field == "photos"
        photo = RequestAction(
            "x.done", lambda _: "x", frozenset({S.IN_PROGRESS}), event="x.d", photos="required"
        )
        with pytest.raises(ActionRefused, match="photo") as none:
            check_input(photo, "", 0)
        assert none.value.field == "photos"
        assert check_input(photo, "", 2) == ""
