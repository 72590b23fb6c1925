"""The lifecycle's rules, pinned one by one before the plugin platform moves them.

Each test names a rule of the product and lists what it implies: the moves of the state
machine, the status sets, the stepper people see, the dispatch strategies, what an
approval rule and an SLA calendar accept. Together the move tests cover every legal
(status, action) pair, and ``test_nothing_else_moves`` makes every other pair illegal, so
a move added or dropped on the way fails a test that says which rule changed. (Mutation
testing found each of these able to change with every other test green.)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core.lifecycle.approvals import (
    ApprovalSubject,
    Decision,
    Delegation,
    OrgDirectory,
    RequestFacts,
    Rule,
    Step,
    decide,
    needs_reapproval,
    resolve_step,
    storable_facts,
    stricter,
)
from core.lifecycle.dispatch import Candidate, pick
from core.lifecycle.sla import (
    SEARCH_DAYS,
    BusinessCalendar,
    add_business_time,
    business_time_between,
    due_at,
    elapsed_business_time,
)
from core.lifecycle.states import (
    ASSIGNABLE,
    AWAITING_DISPATCH,
    CANCELLABLE,
    EDITABLE,
    HANDOVER,
    IN_HAND,
    OPEN,
    PAUSED,
    TERMINAL,
    TRANSITIONS,
    Action,
    IllegalTransition,
    Status,
    legal_from,
    next_status,
    stepper,
)

S, A = Status, Action


def _moves(moves: dict[tuple[Status, Action], Status]) -> None:
    for (status, action), target in moves.items():
        assert next_status(status, action) == target, f"{status} --{action}-->"


# ---------------------------------------------------------------- the moves, rule by rule

SUBMIT_IS_ROUTED = {
    (S.SUBMITTED, A.ROUTE): S.PENDING_APPROVAL,  # a chain rule matched
    (S.SUBMITTED, A.AUTO_APPROVE): S.APPROVED,  # auto, or filing (备案): approved at once
}
APPROVERS_DECIDE = {
    (S.PENDING_APPROVAL, A.APPROVE): S.APPROVED,
    (S.PENDING_APPROVAL, A.REJECT): S.REJECTED,
}
CANCEL_BEFORE_WORK_STARTS = {
    (S.SUBMITTED, A.CANCEL): S.CANCELLED,
    (S.PENDING_APPROVAL, A.CANCEL): S.CANCELLED,
    (S.APPROVED, A.CANCEL): S.CANCELLED,
    (S.ASSIGNED, A.CANCEL): S.CANCELLED,
}
DISPATCH = {
    (S.APPROVED, A.ASSIGN): S.ASSIGNED,
    (S.ASSIGNED, A.ASSIGN): S.ASSIGNED,  # reassigned before work starts
    (S.ASSIGNED, A.DECLINE): S.APPROVED,  # back to the board, to the next candidate
    (S.IN_PROGRESS, A.ASSIGN): S.ASSIGNED,  # a hand-over of started work
    (S.REOPENED, A.ASSIGN): S.ASSIGNED,  # a reopened request goes to someone again
}
SERVICES_WITHOUT_SOME_STEPS = {
    (S.APPROVED, A.START): S.IN_PROGRESS,  # no dispatch: the service's own staff start
    (S.APPROVED, A.RESOLVE): S.RESOLVED,  # no work steps (a booking is done once approved)
}
THE_WORK = {
    (S.ASSIGNED, A.START): S.IN_PROGRESS,
    (S.IN_PROGRESS, A.HOLD): S.ON_HOLD,
    (S.ON_HOLD, A.RESUME): S.IN_PROGRESS,
    (S.IN_PROGRESS, A.RESOLVE): S.RESOLVED,
    (S.ON_HOLD, A.RESOLVE): S.RESOLVED,  # "done, the part came" straight from hold
}
FEEDBACK_CLOSES_OR_REOPENS = {
    (S.RESOLVED, A.CLOSE): S.CLOSED,
    (S.RESOLVED, A.REOPEN): S.REOPENED,
    (S.REOPENED, A.START): S.IN_PROGRESS,  # the same agent picks it up again
}
EDITS_GO_BACK_TO_APPROVAL = {
    (S.SUBMITTED, A.REAPPROVE): S.PENDING_APPROVAL,
    (S.PENDING_APPROVAL, A.REAPPROVE): S.PENDING_APPROVAL,
    (S.APPROVED, A.REAPPROVE): S.PENDING_APPROVAL,
    (S.ASSIGNED, A.REAPPROVE): S.PENDING_APPROVAL,  # the assignment is withdrawn
}
RULES = [
    SUBMIT_IS_ROUTED,
    APPROVERS_DECIDE,
    CANCEL_BEFORE_WORK_STARTS,
    DISPATCH,
    SERVICES_WITHOUT_SOME_STEPS,
    THE_WORK,
    FEEDBACK_CLOSES_OR_REOPENS,
    EDITS_GO_BACK_TO_APPROVAL,
]


def test_a_submit_is_routed_at_once() -> None:
    _moves(SUBMIT_IS_ROUTED)


def test_approvers_approve_or_reject() -> None:
    _moves(APPROVERS_DECIDE)


def test_a_request_can_be_cancelled_until_work_starts() -> None:
    _moves(CANCEL_BEFORE_WORK_STARTS)
    for status in (S.IN_PROGRESS, S.ON_HOLD, S.RESOLVED, S.REOPENED):
        with pytest.raises(IllegalTransition):
            next_status(status, A.CANCEL)


def test_dispatch_assigns_reassigns_declines_and_hands_over() -> None:
    _moves(DISPATCH)
    with pytest.raises(IllegalTransition):
        next_status(S.ON_HOLD, A.ASSIGN)  # a job on hold is resumed first


def test_services_may_leave_out_dispatch_or_work_steps() -> None:
    _moves(SERVICES_WITHOUT_SOME_STEPS)


def test_the_work_starts_holds_resumes_and_resolves() -> None:
    _moves(THE_WORK)


def test_the_requester_closes_or_reopens_a_resolved_request() -> None:
    _moves(FEEDBACK_CLOSES_OR_REOPENS)


def test_an_edit_before_work_starts_may_go_back_to_approval() -> None:
    _moves(EDITS_GO_BACK_TO_APPROVAL)
    for status in (S.IN_PROGRESS, S.ON_HOLD, S.RESOLVED):
        with pytest.raises(IllegalTransition):
            next_status(status, A.REAPPROVE)


def test_nothing_else_moves() -> None:
    legal: dict[tuple[Status, Action], Status] = {}
    for rule in RULES:
        legal.update(rule)
    for status in Status:
        for action in Action:
            if (status, action) in legal:
                continue
            with pytest.raises(IllegalTransition):
                next_status(status, action)
    assert TRANSITIONS == legal


# ---------------------------------------------------------------- status sets


def test_finished_statuses_are_closed_rejected_and_cancelled() -> None:
    assert frozenset({S.CLOSED, S.REJECTED, S.CANCELLED}) == TERMINAL


def test_the_sla_clock_pauses_on_hold_only() -> None:
    assert frozenset({S.ON_HOLD}) == PAUSED


def test_open_means_not_finished_and_not_done() -> None:
    assert OPEN == frozenset(
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


def test_a_request_is_editable_until_work_starts() -> None:
    assert frozenset({S.SUBMITTED, S.PENDING_APPROVAL, S.APPROVED, S.ASSIGNED}) == EDITABLE


def test_in_hand_is_from_assignment_to_resolution() -> None:
    assert frozenset({S.ASSIGNED, S.IN_PROGRESS, S.ON_HOLD}) == IN_HAND


def test_the_desk_and_inbox_sets_follow_the_table() -> None:
    assert frozenset({S.APPROVED, S.REOPENED}) == AWAITING_DISPATCH
    assert frozenset({S.APPROVED, S.ASSIGNED, S.REOPENED}) == ASSIGNABLE
    assert frozenset({S.ASSIGNED, S.IN_PROGRESS}) == HANDOVER
    assert frozenset({S.SUBMITTED, S.PENDING_APPROVAL, S.APPROVED, S.ASSIGNED}) == CANCELLABLE


def test_legal_from_reads_the_transition_table() -> None:
    assert legal_from(A.RESOLVE) == frozenset({S.APPROVED, S.IN_PROGRESS, S.ON_HOLD})
    assert legal_from(A.HOLD) == frozenset({S.IN_PROGRESS})
    assert legal_from("cancel") == frozenset(
        {S.SUBMITTED, S.PENDING_APPROVAL, S.APPROVED, S.ASSIGNED}
    )
    for action in Action:
        assert legal_from(action) == {s for (s, a) in TRANSITIONS if a == action}


# ---------------------------------------------------------------- the stepper

FULL = ("submitted", "pending_approval", "assigned", "in_progress", "resolved", "closed")
BARE = ("submitted", "in_progress", "resolved", "closed")  # no approval, no dispatch


def _states(steps: tuple[str, ...], status: Status) -> list[str]:
    return [state for _step, state in stepper(steps, status)]


def test_the_stepper_of_the_full_service() -> None:
    d, c, t = "done", "current", "todo"
    assert _states(FULL, S.SUBMITTED) == [c, t, t, t, t, t]
    assert _states(FULL, S.PENDING_APPROVAL) == [d, c, t, t, t, t]
    assert _states(FULL, S.APPROVED) == [d, d, t, t, t, t]  # approval done, nobody yet
    assert _states(FULL, S.ASSIGNED) == [d, d, c, t, t, t]
    for working in (S.IN_PROGRESS, S.ON_HOLD, S.REOPENED):
        assert _states(FULL, working) == [d, d, d, c, t, t]
    assert _states(FULL, S.RESOLVED) == [d, d, d, d, c, t]
    assert _states(FULL, S.CLOSED) == [d, d, d, d, d, d]
    assert stepper(FULL, S.REJECTED) == [] and stepper(FULL, S.CANCELLED) == []
    assert [step for step, _ in stepper(FULL, S.ASSIGNED)] == list(FULL)


def test_the_stepper_of_a_service_without_approval_or_dispatch() -> None:
    d, c, t = "done", "current", "todo"
    assert _states(BARE, S.SUBMITTED) == [c, t, t, t]
    assert _states(BARE, S.APPROVED) == [d, t, t, t]
    assert _states(BARE, S.IN_PROGRESS) == [d, c, t, t]
    assert _states(BARE, S.RESOLVED) == [d, d, c, t]
    assert _states(BARE, S.CLOSED) == [d, d, d, d]


# ---------------------------------------------------------------- dispatch

T0 = datetime(2026, 11, 24, 9, tzinfo=UTC)
H1 = timedelta(hours=1)


def _agent(uid: int, load: int, minutes_ago: int | None) -> Candidate:
    last = None if minutes_ago is None else T0 - timedelta(minutes=minutes_ago)
    return Candidate(uid, frozenset(), load, last)


def test_round_robin_gives_the_longest_waiter_the_next_request_whatever_their_load() -> None:
    team = [_agent(1, load=0, minutes_ago=5), _agent(2, load=4, minutes_ago=60)]
    assert pick("round_robin", team, "x") == 2
    assert pick("least_load", team, "x") == 1  # the other strategy would not
    assert pick("round_robin", [*team, _agent(3, load=9, minutes_ago=None)], "x") == 3


def test_a_team_strategy_read_from_storage_dispatches_like_a_literal() -> None:
    """Team.strategy comes from the database: a new string object, never interned."""
    team = [
        Candidate(1, frozenset({"hvac"}), 5, T0 - timedelta(minutes=5)),
        Candidate(2, frozenset({"it"}), 9, T0 - timedelta(minutes=60)),
        Candidate(3, frozenset({"hvac"}), 1, T0 - timedelta(minutes=1)),
        Candidate(4, frozenset({"it"}), 0, T0 - timedelta(minutes=2)),  # lightest, unskilled
    ]
    assert pick("".join("manual"), team, "hvac") is None
    assert pick("".join("skill"), team, "hvac") == 3  # skilled, then the lighter load
    assert pick("".join("round_robin"), team, "hvac") == 2  # the longest waiter, not the lightest


# ---------------------------------------------------------------- approval rules


def test_plugin_facts_keep_their_types_when_stored() -> None:
    stored = storable_facts({"urgent": True, "count": 3, "ratio": 0.5, "kind": "x", "none": None})
    assert stored == {"urgent": True, "count": 3, "ratio": 0.5, "kind": "x", "none": None}
    assert stored["urgent"] is True
    assert storable_facts({"when": date(2026, 1, 2)}) == {"when": "2026-01-02"}


@pytest.mark.parametrize(
    "step",
    [
        Step("department_head", levels_up=True),  # a boolean is not a number of levels
        Step("department_head", levels_up=-1),
        Step("any_of", user_ids=("7",)),
        Step("any_of", user_ids=(True,)),
        Step("any_of"),
        Step("role"),
        Step("role", role=" "),
        Step("department_head", role="approver"),
        Step("service_admin", user_ids=(1,)),
        Step("role", role="approver", levels_up=1),
        Step("boss"),  # type: ignore[arg-type]
    ],
)
def test_a_step_that_does_not_fit_its_kind_is_refused(step: Step) -> None:
    with pytest.raises(ValueError):
        step.validate()


@pytest.mark.parametrize(
    "rule",
    [
        Rule(1, 1, departments=frozenset({"3"})),  # type: ignore[arg-type]
        Rule(1, 1, departments=frozenset({True})),
        Rule(1, 1, kinds=frozenset({""})),
        Rule(1, 1, kinds="repairs"),  # type: ignore[arg-type]
        Rule(1, 1, facts={"urgent": (True,)}),  # type: ignore[dict-item]
        Rule(1, 1, facts={"urgent": "yes"}),  # type: ignore[dict-item]
        Rule(1, 1, facts={"urgent": ()}),
        Rule(1, 1, facts={"": ("yes",)}),
        Rule(1, 1, min_amount=5.0),  # type: ignore[arg-type]
        Rule(1, 1, min_amount=Decimal("NaN")),
        Rule(1, 1, min_amount=Decimal(10), max_amount=Decimal(5)),
        Rule(1, 1, requester_roles=frozenset({""})),
        Rule(1, 1, mode="chain"),
        Rule(1, 1, mode="auto", steps=(Step("department_head"),)),
        Rule(1, 1, mode="boss"),  # type: ignore[arg-type]
        Rule(1, 1, mode="auto", sample_percent=10),
        Rule(1, 1, mode="filing", sample_percent=101),
        Rule(1, 1, mode="filing", sample_percent=True),
        Rule(1, True),  # type: ignore[arg-type]
        Rule(1, 1, service=""),
    ],
)
def test_a_rule_that_could_misroute_is_refused(rule: Rule) -> None:
    with pytest.raises(ValueError):
        rule.validate()


def test_a_sound_rule_is_accepted() -> None:
    Rule(
        1,
        1,
        kinds=frozenset({"it"}),
        min_amount=Decimal(0),
        max_amount=Decimal(500),
        departments=frozenset({3}),
        facts={"urgent": ("true",)},
        mode="chain",
        steps=(Step("department_head", levels_up=1), Step("any_of", user_ids=(4, 5))),
    ).validate()


def test_comparing_with_an_unknown_mode_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        stricter(Decision("boss", None, ()), Decision("auto", None, ()))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        stricter(Decision("auto", None, ()), Decision("boss", None, ()))  # type: ignore[arg-type]


# ---------------------------------------------------------------- approvals, as stored


def fresh(text: str) -> str:
    """The same text as a new object, as rules and steps read from the database are
    (literals in code are interned, so ``is`` would happen to work on them)."""
    return "".join(list(text))


def uid(n: int) -> int:
    """A user or department id as a new int object (ids past 256 from the database)."""
    return int(str(n))


def _facts(requester: int, department: int | None, service: str = "general") -> RequestFacts:
    return RequestFacts(
        service=service,
        kind="other",
        amount=Decimal(1500),
        department_id=department,
        requester_id=requester,
        requester_roles=frozenset({"employee"}),
        facts={},
    )


def _directory(**kw: object) -> OrgDirectory:
    base: dict[str, object] = {
        "department_parents": {uid(900): None, uid(901): uid(900)},
        "department_heads": {uid(900): uid(5000), uid(901): uid(4000)},
        "role_holders": {"approver": frozenset({uid(6000), uid(6001)})},
        "service_admins": {"general": frozenset({uid(7000)})},
        "delegations": (),
    }
    base.update(kw)
    return OrgDirectory(**base)  # type: ignore[arg-type]


TODAY = date(2026, 12, 3)


def test_rules_read_from_storage_route_like_rules_written_in_code() -> None:
    steps = (
        Step(fresh("department_head")),  # type: ignore[arg-type]
        Step(fresh("role"), role=fresh("approver")),  # type: ignore[arg-type]
        Step(fresh("any_of"), user_ids=(uid(6000),)),  # type: ignore[arg-type]
    )
    for step in steps:
        step.validate()
    rule = Rule(1, 1, service=fresh("general"), mode=fresh("chain"), steps=steps)  # type: ignore[arg-type]
    facts = _facts(uid(3000), uid(901), service=fresh("general"))
    decision = decide([rule], facts, {uid(901): uid(900), uid(900): None}, draw=0)
    assert decision.mode == "chain" and decision.steps == steps
    org = _directory()
    assert resolve_step(steps[0], facts, org, TODAY).approver_ids == {4000}
    assert resolve_step(steps[1], facts, org, TODAY).approver_ids == {6000, 6001}
    assert resolve_step(steps[2], facts, org, TODAY).approver_ids == {6000}
    admins = Step(fresh("service_admin"))  # type: ignore[arg-type]
    assert resolve_step(admins, facts, org, TODAY).approver_ids == {7000}
    other = _facts(uid(3000), uid(901), service=fresh("repairs"))
    assert decide([rule], other, {}, draw=0).mode == "auto"  # another service: no match
    head_only = Decision(fresh("chain"), 1, steps[:1])  # type: ignore[arg-type]
    role_only = Decision(fresh("chain"), 2, steps[1:2])  # type: ignore[arg-type]
    assert needs_reapproval(head_only, role_only)  # same length, another approver
    assert not needs_reapproval(Decision(fresh("filing"), 3, ()), Decision("auto", 4, ()))  # type: ignore[arg-type]


def test_stored_modes_kinds_and_wildcards_validate_like_literals() -> None:
    with pytest.raises(ValueError):
        Rule(1, 1, mode=fresh("chain")).validate()  # type: ignore[arg-type]  # no steps
    Step(fresh("department_head"), levels_up=1).validate()  # type: ignore[arg-type]
    Rule(1, 1, mode=fresh("filing"), sample_percent=10).validate()  # type: ignore[arg-type]
    filing = Rule(1, 1, service=fresh("*"), mode=fresh("filing"), sample_percent=100)  # type: ignore[arg-type]
    decided = decide([filing], _facts(uid(3000), uid(901), service="repairs"), {}, draw=5)
    assert decided.mode == "filing" and decided.sampled  # "*" matches every service
    held = Decision(fresh("filing"), 1, ())  # type: ignore[arg-type]
    assert not needs_reapproval(held, Decision("filing", 2, ()))  # filed before, filed now


def test_an_inactive_delegation_does_not_hide_the_next_one() -> None:
    start, end = TODAY - timedelta(days=1), TODAY + timedelta(days=1)
    old = Delegation(uid(4000), uid(1000), start - timedelta(days=30), start - timedelta(days=20))
    now_ = Delegation(uid(4000), uid(8000), start, end)
    org = _directory(delegations=(old, now_))
    got = resolve_step(Step("department_head"), _facts(uid(3000), uid(901)), org, TODAY)
    assert got.approver_ids == {8000}


def test_what_the_approval_facts_hook_receives() -> None:
    subject = ApprovalSubject(
        org_id=1,
        request_id=None,
        number="preview",
        service="general",
        kind="other",
        title="",
        amount=Decimal(1500),
        requester_id=7,
        department_id=None,
    )
    assert subject.location == "" and subject.priority == "normal"
    with pytest.raises(AttributeError):
        subject.amount = Decimal(1)  # type: ignore[misc]  # read-only for the plugins


def test_a_head_approves_whatever_the_ids_and_skips_only_their_own_request() -> None:
    org = _directory()
    below = _facts(uid(3000), uid(901))  # the requester's id is lower than the head's
    above = _facts(uid(9000), uid(901))  # and higher
    for facts in (below, above):
        assert resolve_step(Step("department_head"), facts, org, TODAY).approver_ids == {4000}
    own = resolve_step(Step("department_head"), _facts(uid(4000), uid(901)), org, TODAY)
    assert own is not None and own.approver_ids == {5000} and own.skipped_self


def test_delegations_follow_ids_by_value_and_never_reach_the_requester() -> None:
    start = TODAY - timedelta(days=1)
    end = TODAY + timedelta(days=1)
    facts = _facts(uid(3000), uid(901))
    # a delegate whose id is lower, then higher, than the delegator's
    for delegate in (uid(1000), uid(8000)):
        org = _directory(delegations=(Delegation(uid(4000), delegate, start, end),))
        got = resolve_step(Step("department_head"), facts, org, TODAY)
        assert got.approver_ids == {delegate} and got.on_behalf_of == {delegate: 4000}
    # a delegation to oneself is ignored
    org = _directory(delegations=(Delegation(uid(4000), uid(4000), start, end),))
    assert resolve_step(Step("department_head"), facts, org, TODAY).on_behalf_of == {}
    # the head delegated to the requester: the hop is not taken, the head keeps it
    org = _directory(delegations=(Delegation(uid(4000), uid(3000), start, end),))
    got = resolve_step(Step("department_head"), facts, org, TODAY)
    assert got.approver_ids == {4000} and got.on_behalf_of == {}


# ---------------------------------------------------------------- SLA calendar input


def test_a_calendar_time_with_seconds_keeps_them() -> None:
    cal = BusinessCalendar(weekly={0: ((time(9, 0, 30), time(17, 59, 59)),)})
    saved = cal.to_dict()
    assert saved["weekly"]["0"] == [["09:00:30", "17:59:59"]]
    assert BusinessCalendar.from_dict(saved) == cal


@pytest.mark.parametrize(
    "weekly",
    [
        {0: (("09:00", "12:00"),)},  # text where times are expected
        {0: ((time(9, tzinfo=UTC), time(12)),)},  # a time with a zone
        {7: ((time(9), time(12)),)},
        {True: ((time(9), time(12)),)},
        {"0": ((time(9), time(12)),)},
        {0: ((time(12), time(9)),)},
        {0: ((time(9), time(12)), (time(11), time(13)))},
        {0: "09:00-12:00"},
    ],
)
def test_bad_weekly_hours_are_a_value_error(weekly: object) -> None:
    with pytest.raises(ValueError):
        BusinessCalendar(weekly=weekly)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "data",
    [
        {"weekly": {"7": [["09:00", "12:00"]]}},
        {"weekly": {True: [["09:00", "12:00"]]}},
        {"weekly": {"0": [["9 o'clock", "12:00"]]}},
        {"weekly": {"0": [["09:00+08:00", "12:00"]]}},
        {"weekly": {"0": [[900, 1200]]}},
        {"weekly": [["09:00", "12:00"]]},
        {"holidays": ["2026-02-30"]},
        {"holidays": "2026-10-01"},
        {"time_zone": "Mars/Olympus"},
        {"time_zone": 8},
        {"lunch": "12:00"},
    ],
)
def test_bad_stored_calendars_are_a_value_error(data: dict) -> None:
    with pytest.raises(ValueError):
        BusinessCalendar.from_dict(data)


def test_stored_weekday_keys_may_be_numbers_or_digits() -> None:
    by_int = BusinessCalendar.from_dict({"weekly": {0: [["09:00", "12:00"]]}})
    by_text = BusinessCalendar.from_dict({"weekly": {"0": [["09:00", "12:00"]]}})
    assert by_int == by_text and by_int.weekly[0] == ((time(9), time(12)),)


def test_holidays_are_dates_not_datetimes() -> None:
    with pytest.raises(ValueError):
        BusinessCalendar(holidays=frozenset({datetime(2026, 10, 1, tzinfo=UTC)}))
    with pytest.raises(ValueError, match="expected a set of dates"):
        BusinessCalendar(extra_workdays="2026-10-10")  # type: ignore[arg-type]


def test_clock_arithmetic_wants_aware_datetimes() -> None:
    cal = BusinessCalendar()
    for start in (date(2026, 11, 24), datetime(2026, 11, 24, 9), "2026-11-24T09:00"):
        with pytest.raises(ValueError):
            add_business_time(cal, start, timedelta(hours=1))  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            business_time_between(cal, start, T0)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        add_business_time(cal, T0, timedelta(hours=-1))


# ---------------------------------------------------------------- SLA input, edges left by mutants

NINE_TO_FIVE = ((time(9), time(17)),)


@pytest.mark.parametrize("day", [-1, 7])
def test_a_weekday_is_0_to_6_in_the_constructor_and_in_stored_data(day: int) -> None:
    with pytest.raises(ValueError, match=r"0\.\.6"):
        BusinessCalendar(weekly={day: NINE_TO_FIVE})
    with pytest.raises(ValueError, match=r"0\.\.6"):
        BusinessCalendar.from_dict({"weekly": {day: [["09:00", "17:00"]]}})


def test_an_interval_is_exactly_a_pair() -> None:
    with pytest.raises(ValueError, match="pair"):
        BusinessCalendar(weekly={0: ((time(9), time(10), time(11)),)})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="pair"):
        BusinessCalendar.from_dict({"weekly": {0: [["09:00", "10:00", "11:00"]]}})
    with pytest.raises(ValueError, match="pair"):
        elapsed_business_time(BusinessCalendar(), T0, T0, [(T0, None, None)])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="pair"):
        BusinessCalendar(weekly={0: ((time(9),),)})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="pair"):
        BusinessCalendar.from_dict({"weekly": {0: [["09:00"]]}})
    with pytest.raises(ValueError, match="pair"):
        elapsed_business_time(BusinessCalendar(), T0, T0, [(T0,)])  # type: ignore[list-item]


def test_back_to_back_intervals_are_allowed_and_both_count() -> None:
    """A morning ending at 12:00 and a shift starting at 12:00 touch but do not overlap."""
    cal = BusinessCalendar(weekly={0: ((time(9), time(12)), (time(12), time(13)))})
    monday = datetime(2026, 11, 23, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert business_time_between(cal, monday, monday + timedelta(days=1)) == timedelta(hours=4)


def test_a_zero_target_is_due_at_once() -> None:
    """A zero target is valid (due immediately); only a negative one is refused."""
    assert due_at(BusinessCalendar(), T0, timedelta(0)) == T0
    with pytest.raises(ValueError, match="target must not be negative"):
        due_at(BusinessCalendar(), T0, -timedelta(microseconds=1))


def test_the_last_microsecond_of_the_day_is_midnight_however_it_was_written() -> None:
    """An interval ending at 23:59:59.999999 — time.max, however it was constructed —
    runs up to midnight: it is stored as 24:00 and round-the-clock service has no hole."""
    last = time(23, 59, 59, 999999)  # equal to END_OF_DAY, not the same object
    cal = BusinessCalendar(weekly={d: ((time(0), last),) for d in range(7)})
    assert cal.to_dict()["weekly"]["0"] == [["00:00", "24:00"]]
    assert business_time_between(cal, T0, T0 + timedelta(days=2)) == timedelta(days=2)


def test_an_offset_that_is_none_is_naive() -> None:
    """A tzinfo whose utcoffset() is None makes a naive datetime (Python's definition)."""

    class Nowhere(tzinfo):
        def utcoffset(self, dt: datetime | None) -> timedelta | None:
            return None

    with pytest.raises(ValueError, match="naive"):
        add_business_time(BusinessCalendar(), datetime(2026, 11, 24, 9, tzinfo=Nowhere()), H1)


def test_the_search_reaches_its_last_day() -> None:
    """add_business_time looks SEARCH_DAYS ahead, inclusive of the last day."""
    start = datetime(2026, 11, 23, 12, tzinfo=ZoneInfo("Asia/Shanghai"))
    last = start.date() + timedelta(days=SEARCH_DAYS - 1)
    cal = BusinessCalendar(
        weekly={}, extra_workdays=frozenset({last}), extra_workday_hours=NINE_TO_FIVE
    )
    due = add_business_time(cal, start, timedelta(hours=1))
    assert due == datetime.combine(last, time(10), ZoneInfo("Asia/Shanghai"))
    beyond = BusinessCalendar(
        weekly={},
        extra_workdays=frozenset({last + timedelta(days=1)}),
        extra_workday_hours=NINE_TO_FIVE,
    )
    with pytest.raises(ValueError, match="working time"):
        add_business_time(beyond, start, timedelta(hours=1))


def test_a_wall_time_in_the_spring_gap_is_the_instant_of_the_jump() -> None:
    """Berlin jumps from 02:00 to 03:00 on 2026-03-29 (01:00 UTC): an interval starting at
    02:30 starts at the jump, one ending at 02:30 ends there."""
    berlin = ZoneInfo("Europe/Berlin")
    jump = datetime(2026, 3, 29, 1, tzinfo=UTC)
    midnight = datetime(2026, 3, 29, tzinfo=berlin)
    starts_in_gap = BusinessCalendar(
        time_zone="Europe/Berlin", weekly={6: ((time(2, 30), time(4)),)}
    )
    assert add_business_time(starts_in_gap, midnight, timedelta(minutes=1)) == jump + timedelta(
        minutes=1
    )
    assert business_time_between(
        starts_in_gap, midnight, midnight + timedelta(days=1)
    ) == timedelta(hours=1)
    ends_in_gap = BusinessCalendar(time_zone="Europe/Berlin", weekly={6: ((time(1), time(2, 30)),)})
    assert add_business_time(ends_in_gap, midnight, timedelta(hours=1)) == jump
    assert business_time_between(ends_in_gap, midnight, midnight + timedelta(days=1)) == timedelta(
        hours=1
    )


def test_intervals_are_text_free_lists() -> None:
    with pytest.raises(ValueError, match="list of"):
        BusinessCalendar(weekly={0: "09:00-17:00"})  # type: ignore[dict-item]


def test_an_overlap_with_the_last_interval_is_refused_and_named() -> None:
    three = ((time(8), time(9)), (time(10), time(11)), (time(10, 30), time(12)))
    with pytest.raises(ValueError, match="previous interval ends at 11:00"):
        BusinessCalendar(weekly={0: three})


def test_a_pause_inside_another_does_not_shorten_it() -> None:
    cal = BusinessCalendar(weekly={d: ((time(0), time(23, 59)),) for d in range(7)})
    start = T0
    hour = timedelta(hours=1)
    pauses = [
        (start + hour, start + 2 * hour),  # A
        (start + 5 * hour, start + 8 * hour),  # B
        (start + 6 * hour, start + 7 * hour),  # C, inside B
    ]
    elapsed = elapsed_business_time(cal, start, start + 10 * hour, pauses)
    assert elapsed == 10 * hour - hour - 3 * hour
