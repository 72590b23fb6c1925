"""Approval routing and step resolution (pure logic, no database)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.lifecycle.approvals import (
    MAX_DELEGATION_DEPTH,
    Assignment,
    Decision,
    Delegation,
    OrgDirectory,
    RequestFacts,
    Rule,
    Step,
    decide,
    is_sampled,
    match_rule,
    needs_reapproval,
    resolve_step,
    rule_matches,
    stricter,
)

D = Decimal
TODAY = date(2026, 3, 10)

# Department tree: 1 (root) ← 2 (logistics) ← 3 (canteen) ← 4 (kitchen); 5 stands alone.
PARENTS: dict[int, int | None] = {1: None, 2: 1, 3: 2, 4: 3, 5: None}


def req(**kw: object) -> RequestFacts:
    base: dict[str, object] = {
        "service": "repair",
        "kind": "leak",
        "amount": None,
        "department_id": 4,
        "requester_id": 100,
        "requester_roles": frozenset({"employee"}),
        "facts": {},
    }
    base.update(kw)
    return RequestFacts(**base)  # type: ignore[arg-type]


def matches(rule: Rule, **kw: object) -> bool:
    return rule_matches(rule, req(**kw), PARENTS)


# --------------------------------------------------------------------------- conditions


def test_amount_bounds_are_inclusive() -> None:
    rule = Rule(id=1, order=1, min_amount=D("100"), max_amount=D("500"))
    assert matches(rule, amount=D("100"))
    assert matches(rule, amount=D("500"))
    assert matches(rule, amount=D("500.00"))
    assert not matches(rule, amount=D("99.99"))
    assert not matches(rule, amount=D("500.01"))


def test_one_sided_amount_bounds() -> None:
    assert matches(Rule(id=1, order=1, max_amount=D("200")), amount=D("-5"))
    assert not matches(Rule(id=1, order=1, min_amount=D("200")), amount=D("199"))


def test_missing_amount_never_matches_a_bounded_rule() -> None:
    assert not matches(Rule(id=1, order=1, max_amount=D("1000")), amount=None)
    assert not matches(Rule(id=1, order=1, min_amount=D("0")), amount=None)
    assert matches(Rule(id=1, order=1), amount=None)


def test_request_amount_must_be_a_finite_decimal() -> None:
    with pytest.raises(ValueError, match="finite Decimal"):
        req(amount=D("NaN"))
    with pytest.raises(ValueError, match="finite Decimal"):
        req(amount=12.5)


def test_service_and_kind_sets() -> None:
    rule = Rule(id=1, order=1, service="repair", kinds=frozenset({"leak", "door"}))
    assert matches(rule, kind="leak")
    assert matches(rule, kind="door")
    assert not matches(rule, kind="light")
    assert not matches(rule, service="supplies", kind="leak")
    assert matches(Rule(id=1, order=1, service="*"), service="anything")
    assert matches(Rule(id=1, order=1), kind="whatever")


def test_department_matches_itself_and_ancestors() -> None:
    logistics = Rule(id=1, order=1, departments=frozenset({2}))
    assert matches(logistics, department_id=2)
    assert matches(logistics, department_id=4)  # kitchen → canteen → logistics
    assert not matches(logistics, department_id=1)  # the parent is not a descendant
    assert not matches(logistics, department_id=5)
    assert not matches(logistics, department_id=None)


def test_department_walk_survives_a_cyclic_tree() -> None:
    cyclic: dict[int, int | None] = {7: 8, 8: 7}
    rule = Rule(id=1, order=1, departments=frozenset({9}))
    assert not rule_matches(rule, req(department_id=7), cyclic)


def test_requester_roles_any_of() -> None:
    rule = Rule(id=1, order=1, requester_roles=frozenset({"approver", "org_admin"}))
    assert matches(rule, requester_roles=frozenset({"employee", "approver"}))
    assert not matches(rule, requester_roles=frozenset({"employee"}))
    assert not matches(rule, requester_roles=frozenset())


def test_facts_all_must_hold_compared_as_strings() -> None:
    rule = Rule(id=1, order=1, facts={"building": ("A", "B"), "floor": ("3",), "urgent": ("true",)})
    good = {"building": "A", "floor": 3, "urgent": True}
    assert matches(rule, facts=good)
    assert not matches(rule, facts={**good, "building": "C"})
    assert not matches(rule, facts={**good, "floor": 4})
    assert not matches(rule, facts={**good, "urgent": False})
    assert not matches(rule, facts={"building": "A", "floor": 3})  # missing fact
    assert not matches(rule, facts={**good, "floor": None})  # unknown fact


def test_boolean_facts_accept_either_case() -> None:
    rule = Rule(id=1, order=1, facts={"hazard": ("True",)})
    assert matches(rule, facts={"hazard": True})
    assert not matches(rule, facts={"hazard": False})


# --------------------------------------------------------------------------- decide


def test_first_match_wins_by_order_then_id() -> None:
    rules = [
        Rule(id=3, order=20, mode="chain", steps=(Step("service_admin"),)),
        Rule(id=2, order=10, mode="filing", max_amount=D("500")),
        Rule(id=1, order=10, mode="auto", max_amount=D("100")),
    ]
    assert match_rule(rules, req(amount=D("50")), PARENTS) is rules[2]  # order tie → id 1
    assert match_rule(rules, req(amount=D("300")), PARENTS) is rules[1]
    assert match_rule(rules, req(amount=D("900")), PARENTS) is rules[0]
    assert decide(rules, req(amount=D("900")), PARENTS, 0).rule_id == 3


def test_default_auto_when_nothing_matches() -> None:
    rules = [Rule(id=1, order=1, service="supplies", mode="chain", steps=(Step("role", "x"),))]
    assert decide(rules, req(), PARENTS, 0) == Decision(mode="auto", rule_id=None, steps=())
    assert decide([], req(), PARENTS, 0) == Decision(mode="auto", rule_id=None, steps=())


def test_decide_per_mode() -> None:
    steps = (Step("department_head"), Step("role", role="finance"))
    auto = Rule(id=1, order=1, mode="auto", kinds=frozenset({"a"}))
    filing = Rule(id=2, order=2, mode="filing", kinds=frozenset({"f"}), sample_percent=100)
    chain = Rule(id=3, order=3, mode="chain", kinds=frozenset({"c"}), steps=steps)
    rules = [auto, filing, chain]
    assert decide(rules, req(kind="a"), PARENTS, 0) == Decision("auto", 1, ())
    assert decide(rules, req(kind="f"), PARENTS, 0) == Decision("filing", 2, (), sampled=True)
    assert decide(rules, req(kind="c"), PARENTS, 0) == Decision("chain", 3, steps)


def test_decide_refuses_a_broken_matching_rule() -> None:
    broken = Rule(id=1, order=1, mode="chain")  # no steps: would approve nothing
    with pytest.raises(ValueError, match="at least one step"):
        decide([broken], req(), PARENTS, 0)


# --------------------------------------------------------------------------- validate


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (Rule(id=1, order=1, mode="chain"), "at least one step"),
        (Rule(id=1, order=1, mode="auto", steps=(Step("service_admin"),)), "takes no steps"),
        (Rule(id=1, order=1, mode="filing", sample_percent=101), "0..100"),
        (Rule(id=1, order=1, mode="filing", sample_percent=-1), "0..100"),
        (Rule(id=1, order=1, mode="auto", sample_percent=10), "filing"),
        (Rule(id=1, order=1, min_amount=D("10"), max_amount=D("5")), "never match"),
        (Rule(id=1, order=1, max_amount=5.0), "Decimal"),  # type: ignore[arg-type]
        (Rule(id=1, order=1, max_amount=D("Infinity")), "finite"),
        (Rule(id=1, order=1, mode="bogus"), "unknown mode"),  # type: ignore[arg-type]
        (Rule(id=1, order=1, service=""), "service"),
        (Rule(id=1, order=1, facts={"b": ()}), "no accepted value"),
        (Rule(id=1, order=1, facts={"b": "yes"}), "not a string"),  # type: ignore[dict-item]
        (Rule(id=1, order=1, mode="chain", steps=(Step("role"),)), "step 1: .*role name"),
        (Rule(id=1, order=1, mode="chain", steps=(Step("any_of"),)), "at least one user"),
        (
            Rule(id=1, order=1, mode="chain", steps=(Step("department_head", levels_up=-1),)),
            "negative",
        ),
        (
            Rule(id=1, order=1, mode="chain", steps=(Step("service_admin", role="x"),)),
            "takes no role",
        ),
        (
            Rule(id=1, order=1, mode="chain", steps=(Step("role", "x", user_ids=(1,)),)),
            "no user list",
        ),
        (
            Rule(id=1, order=1, mode="chain", steps=(Step("any_of", user_ids=(1,), levels_up=1),)),
            "no levels_up",
        ),
        (Rule(id=1, order=1, mode="chain", steps=(Step("boss"),)), "unknown step kind"),  # type: ignore[arg-type]
    ],
)
def test_validate_rejects_inconsistent_rules(rule: Rule, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rule.validate()


def test_validate_accepts_consistent_rules() -> None:
    Rule(id=1, order=1).validate()
    Rule(id=2, order=1, mode="filing", sample_percent=100, max_amount=D("0")).validate()
    Rule(
        id=3,
        order=1,
        mode="chain",
        min_amount=D("5"),
        max_amount=D("5"),
        facts={"x": ("1",)},
        steps=(
            Step("department_head", levels_up=2),
            Step("role", role="finance"),
            Step("service_admin"),
            Step("any_of", user_ids=(1, 2)),
        ),
    ).validate()


# --------------------------------------------------------------------------- sampling


def filing(percent: int, rule_id: int = 7) -> list[Rule]:
    return [Rule(id=rule_id, order=1, mode="filing", sample_percent=percent)]


def test_sampling_follows_the_draw_and_nothing_else() -> None:
    # The same draw always gives the same answer (re-routing an edit does not re-roll),
    # whatever the request looks like.
    for draw in range(100):
        first = decide(filing(50), req(), PARENTS, draw).sampled
        assert first == (draw < 50)
        assert decide(filing(50), req(kind="other", amount=D("5")), PARENTS, draw).sampled == first


def test_sampling_takes_exactly_the_percentage_of_draws() -> None:
    for percent in (0, 1, 30, 99, 100):
        assert sum(is_sampled(draw, percent) for draw in range(100)) == percent
    assert not any(decide(filing(0), req(), PARENTS, d).sampled for d in range(100))
    assert all(decide(filing(100), req(), PARENTS, d).sampled for d in range(100))


# --------------------------------------------------------------------------- stricter

AUTO = Decision("auto", None, ())
FILING = Decision("filing", 1, ())
FILING_SAMPLED = Decision("filing", 1, (), sampled=True)
ONE = Decision("chain", 2, (Step("department_head"),))
TWO = Decision("chain", 3, (Step("department_head"), Step("role", role="finance")))


def test_stricter_ordering() -> None:
    ladder = [AUTO, FILING, ONE, TWO]
    for i, a in enumerate(ladder):
        for j, b in enumerate(ladder):
            assert stricter(a, b) == (j > i), (a, b)
    assert not stricter(FILING, FILING_SAMPLED)
    assert not stricter(FILING_SAMPLED, FILING)
    assert not stricter(Decision("auto", 5, ()), AUTO)


def test_editing_into_a_stricter_rule_needs_reapproval() -> None:
    rules = [
        Rule(id=1, order=1, mode="auto", max_amount=D("500")),
        Rule(id=2, order=2, mode="filing", max_amount=D("5000"), sample_percent=10),
        Rule(id=3, order=3, mode="chain", steps=(Step("department_head"),)),
    ]
    old = decide(rules, req(amount=D("400")), PARENTS, 0)
    assert stricter(old, decide(rules, req(amount=D("4000")), PARENTS, 0))
    assert stricter(old, decide(rules, req(amount=None), PARENTS, 0))  # dropping amount
    assert not stricter(old, decide(rules, req(amount=D("10")), PARENTS, 0))


def test_needs_reapproval_catches_a_different_chain_of_equal_length() -> None:
    head = Decision("chain", 1, (Step("department_head"),))
    finance = Decision("chain", 2, (Step("role", role="finance"),))
    assert not stricter(head, finance)
    assert needs_reapproval(head, finance)
    assert not needs_reapproval(TWO, head)  # already covered by the earlier approvals
    assert needs_reapproval(AUTO, FILING)
    assert not needs_reapproval(FILING, AUTO)
    assert not needs_reapproval(head, head)


# --------------------------------------------------------------------------- resolve_step


def org(**kw: object) -> OrgDirectory:
    base: dict[str, object] = {
        "department_parents": PARENTS,
        "department_heads": {1: 10, 2: 20, 3: 30, 4: 40, 5: None},
        "role_holders": {"finance": frozenset({50, 51}), "approver": frozenset({60})},
        "service_admins": {"repair": frozenset({70})},
        "delegations": (),
    }
    base.update(kw)
    return OrgDirectory(**base)  # type: ignore[arg-type]


def test_department_head_of_own_department_and_levels_up() -> None:
    a = resolve_step(Step("department_head"), req(), org(), TODAY)
    assert a == Assignment(frozenset({40}), {}, skipped_self=False)
    up2 = resolve_step(Step("department_head", levels_up=2), req(), org(), TODAY)
    assert up2 is not None and up2.approver_ids == frozenset({20})
    assert resolve_step(Step("department_head", levels_up=9), req(), org(), TODAY) is None


def test_department_head_walks_up_when_head_is_requester() -> None:
    a = resolve_step(Step("department_head"), req(requester_id=40), org(), TODAY)
    assert a == Assignment(frozenset({30}), {}, skipped_self=True)


def test_department_head_walks_up_past_vacant_heads() -> None:
    o = org(department_heads={1: 10, 2: 20, 3: None, 4: None})
    a = resolve_step(Step("department_head"), req(), o, TODAY)
    assert a is not None and a.approver_ids == frozenset({20}) and not a.skipped_self


def test_department_head_none_at_the_top() -> None:
    assert resolve_step(Step("department_head"), req(department_id=5), org(), TODAY) is None
    assert resolve_step(Step("department_head"), req(department_id=None), org(), TODAY) is None
    # The root head's own request: nobody above.
    root_req = req(department_id=1, requester_id=10)
    assert resolve_step(Step("department_head"), root_req, org(), TODAY) is None


def test_role_service_admin_and_any_of() -> None:
    assert resolve_step(Step("role", role="finance"), req(), org(), TODAY) == Assignment(
        frozenset({50, 51}), {}
    )
    assert resolve_step(Step("service_admin"), req(), org(), TODAY) == Assignment(
        frozenset({70}), {}
    )
    any_of = Step("any_of", user_ids=(1, 2, 3))
    assert resolve_step(any_of, req(), org(), TODAY) == Assignment(frozenset({1, 2, 3}), {})
    assert resolve_step(Step("role", role="nobody"), req(), org(), TODAY) is None
    assert resolve_step(Step("service_admin"), req(service="laundry"), org(), TODAY) is None


def test_self_approval_is_impossible() -> None:
    a = resolve_step(Step("role", role="finance"), req(requester_id=50), org(), TODAY)
    assert a == Assignment(frozenset({51}), {}, skipped_self=True)
    # The only holder is the requester: nobody remains, the caller escalates.
    assert resolve_step(Step("role", role="approver"), req(requester_id=60), org(), TODAY) is None
    assert resolve_step(Step("service_admin"), req(requester_id=70), org(), TODAY) is None
    assert (
        resolve_step(Step("any_of", user_ids=(100,)), req(requester_id=100), org(), TODAY) is None
    )


def delegation(a: int, b: int, start: int = -1, end: int = 1) -> Delegation:
    return Delegation(a, b, TODAY + timedelta(days=start), TODAY + timedelta(days=end))


def test_delegation_active_replaces_the_approver_on_behalf_of() -> None:
    o = org(delegations=(delegation(40, 41),))
    a = resolve_step(Step("department_head"), req(), o, TODAY)
    assert a == Assignment(frozenset({41}), {41: 40})


def test_delegation_dates_are_inclusive() -> None:
    for start, end in ((0, 0), (0, 5), (-5, 0)):
        o = org(delegations=(delegation(40, 41, start, end),))
        a = resolve_step(Step("department_head"), req(), o, TODAY)
        assert a is not None and a.approver_ids == frozenset({41}), (start, end)


def test_delegation_inactive_outside_its_dates() -> None:
    for start, end in ((1, 5), (-5, -1)):
        o = org(delegations=(delegation(40, 41, start, end),))
        a = resolve_step(Step("department_head"), req(), o, TODAY)
        assert a == Assignment(frozenset({40}), {}), (start, end)


def test_delegation_chain_followed_at_most_three_deep() -> None:
    assert MAX_DELEGATION_DEPTH == 3
    chain = tuple(delegation(a, a + 1) for a in range(40, 45))  # 40→41→42→43→44→45
    a = resolve_step(Step("department_head"), req(), org(delegations=chain), TODAY)
    assert a == Assignment(frozenset({43}), {43: 40})


def test_delegation_cycle_terminates() -> None:
    o = org(delegations=(delegation(40, 41), delegation(41, 40)))
    a = resolve_step(Step("department_head"), req(), o, TODAY)
    assert a == Assignment(frozenset({41}), {41: 40})


def test_delegation_never_hands_the_request_to_its_requester() -> None:
    o = org(delegations=(delegation(40, 100),))
    a = resolve_step(Step("department_head"), req(requester_id=100), o, TODAY)
    assert a == Assignment(frozenset({40}), {})  # the delegator keeps it
    o = org(delegations=(delegation(50, 100), delegation(51, 52)))
    a = resolve_step(Step("role", role="finance"), req(requester_id=100), o, TODAY)
    assert a == Assignment(frozenset({50, 52}), {52: 51})


def test_delegation_to_a_fellow_group_member_is_not_on_behalf() -> None:
    o = org(delegations=(delegation(50, 51),))
    a = resolve_step(Step("role", role="finance"), req(), o, TODAY)
    assert a == Assignment(frozenset({51}), {})


def test_overlapping_delegations_pick_the_latest_deterministically() -> None:
    older, newer = delegation(40, 41, -10, 10), delegation(40, 42, -2, 10)
    for delegations in ((older, newer), (newer, older)):
        a = resolve_step(Step("department_head"), req(), org(delegations=delegations), TODAY)
        assert a == Assignment(frozenset({42}), {42: 40})


# --------------------------------------------------------------------------- properties

SERVICES = ("repair", "supplies")
KINDS = ("a", "b", "c")
ROLES = ("employee", "approver", "finance")
FACT_NAMES = ("building", "urgent")
FACT_VALUES = ("1", "2", "true")
DEPTS = (1, 2, 3, 4, 5)
amounts = st.decimals(min_value=-10, max_value=1000, places=2, allow_nan=False)
small_sets = st.frozensets


def often_empty(strategy: st.SearchStrategy, empty: object) -> st.SearchStrategy:
    """Half the time no condition at all, so that generated rules match often enough."""
    return st.one_of(st.just(empty), strategy)


@st.composite
def steps_st(draw: st.DrawFn) -> Step:
    kind = draw(st.sampled_from(["department_head", "role", "service_admin", "any_of"]))
    if kind == "department_head":
        return Step("department_head", levels_up=draw(st.integers(0, 4)))
    if kind == "role":
        return Step("role", role=draw(st.sampled_from(ROLES)))
    if kind == "any_of":
        return Step("any_of", user_ids=tuple(draw(st.sets(st.integers(1, 4), min_size=1))))
    return Step("service_admin")


@st.composite
def rules_st(draw: st.DrawFn, rule_id: int) -> Rule:
    lo = draw(st.one_of(st.none(), st.none(), amounts))
    hi = draw(st.one_of(st.none(), st.none(), amounts))
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    mode = draw(st.sampled_from(["auto", "filing", "chain"]))
    rule = Rule(
        id=rule_id,
        order=draw(st.integers(0, 5)),
        service=draw(st.sampled_from(("*", *SERVICES))),
        kinds=draw(often_empty(small_sets(st.sampled_from(KINDS)), frozenset())),
        min_amount=lo,
        max_amount=hi,
        departments=draw(often_empty(small_sets(st.sampled_from(DEPTS), max_size=2), frozenset())),
        requester_roles=draw(
            often_empty(small_sets(st.sampled_from(ROLES), max_size=2), frozenset())
        ),
        facts=draw(
            often_empty(
                st.dictionaries(
                    st.sampled_from(FACT_NAMES),
                    st.lists(st.sampled_from(FACT_VALUES), min_size=1, max_size=2).map(tuple),
                    max_size=2,
                ),
                {},
            )
        ),
        mode=mode,
        steps=tuple(draw(st.lists(steps_st(), min_size=1, max_size=3))) if mode == "chain" else (),
        sample_percent=draw(st.integers(0, 100)) if mode == "filing" else 0,
    )
    rule.validate()
    return rule


@st.composite
def rule_lists_st(draw: st.DrawFn) -> list[Rule]:
    ids = draw(st.lists(st.integers(1, 50), unique=True, min_size=1, max_size=6))
    return [draw(rules_st(i)) for i in ids]


fact_values = st.sampled_from(["1", "2", "true", "x"]) | st.booleans() | st.integers(0, 3)

requests_st = st.builds(
    RequestFacts,
    service=st.sampled_from(SERVICES),
    kind=st.sampled_from(KINDS),
    amount=st.none() | amounts,
    department_id=st.none() | st.sampled_from(DEPTS),
    requester_id=st.integers(1, 4),
    requester_roles=small_sets(st.sampled_from(ROLES), max_size=2),
    facts=st.dictionaries(st.sampled_from(FACT_NAMES), fact_values, max_size=2),
)


def reference_matches(rule: Rule, r: RequestFacts) -> bool:
    """A deliberately naive restatement of the matching rules."""
    lineage: list[int] = []
    d = r.department_id
    while d is not None and d not in lineage:
        lineage.append(d)
        d = PARENTS.get(d)
    bounded = rule.min_amount is not None or rule.max_amount is not None
    checks = [
        rule.service in ("*", r.service),
        not rule.kinds or r.kind in rule.kinds,
        not bounded
        or (
            r.amount is not None
            and (rule.min_amount is None or rule.min_amount <= r.amount)
            and (rule.max_amount is None or r.amount <= rule.max_amount)
        ),
        not rule.departments or any(x in rule.departments for x in lineage),
        not rule.requester_roles or any(x in rule.requester_roles for x in r.requester_roles),
    ]
    for name, accepted in rule.facts.items():
        value = r.facts.get(name)
        if isinstance(value, bool):
            text = "true" if value else "false"
            checks.append(text in [a.lower() for a in accepted])
        else:
            checks.append(value is not None and str(value) in accepted)
    return all(checks)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(rules=rule_lists_st(), request=requests_st, key=st.integers(0, 99))
def test_decide_agrees_with_brute_force_reference(
    rules: list[Rule], request: RequestFacts, key: int
) -> None:
    expected_rule = None
    for rule in sorted(rules, key=lambda r: (r.order, r.id)):
        positive = match_rule([rule], request, PARENTS) is rule
        assert positive == reference_matches(rule, request)
        if positive:
            expected_rule = rule
            break
    decision = decide(rules, request, PARENTS, key)
    if expected_rule is None:
        assert decision == Decision("auto", None, ())
    else:
        assert decision.rule_id == expected_rule.id
        assert decision.mode == expected_rule.mode
        assert decision.steps == expected_rule.steps
        want_sampled = expected_rule.mode == "filing" and key < expected_rule.sample_percent
        assert decision.sampled == want_sampled
    # Reordering the input never changes the outcome.
    assert decide(list(reversed(rules)), request, PARENTS, key) == decision


# Few users, so that the requester often holds the role, heads a department or is a delegate.
user_ids = st.integers(1, 4)
user_sets = small_sets(user_ids, max_size=3)


@st.composite
def orgs_st(draw: st.DrawFn) -> OrgDirectory:
    delegations = draw(
        st.lists(
            st.builds(
                Delegation,
                delegator_id=user_ids,
                delegate_id=user_ids,
                starts=st.integers(-3, 1).map(lambda n: TODAY + timedelta(days=n)),
                ends=st.integers(-1, 3).map(lambda n: TODAY + timedelta(days=n)),
            ),
            max_size=8,
        )
    )
    return OrgDirectory(
        department_parents=PARENTS,
        department_heads=draw(st.fixed_dictionaries({d: st.none() | user_ids for d in DEPTS})),
        role_holders=draw(st.dictionaries(st.sampled_from(ROLES), user_sets)),
        service_admins=draw(st.dictionaries(st.sampled_from(SERVICES), user_sets)),
        delegations=delegations,
    )


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(step=steps_st(), request=requests_st, directory=orgs_st())
def test_resolve_step_never_assigns_the_requester(
    step: Step, request: RequestFacts, directory: OrgDirectory
) -> None:
    a = resolve_step(step, request, directory, TODAY)
    if a is None:
        return
    assert a.approver_ids
    assert request.requester_id not in a.approver_ids
    assert set(a.on_behalf_of) <= a.approver_ids
    assert request.requester_id not in a.on_behalf_of.values()


decisions_st = st.one_of(
    st.builds(
        Decision, mode=st.just("auto"), rule_id=st.none() | st.integers(1, 3), steps=st.just(())
    ),
    st.builds(
        Decision,
        mode=st.just("filing"),
        rule_id=st.integers(1, 3),
        steps=st.just(()),
        sampled=st.booleans(),
    ),
    st.builds(
        Decision,
        mode=st.just("chain"),
        rule_id=st.integers(1, 3),
        steps=st.lists(steps_st(), min_size=1, max_size=4).map(tuple),
    ),
)


@given(a=decisions_st, b=decisions_st, c=decisions_st)
def test_stricter_is_a_strict_partial_order(a: Decision, b: Decision, c: Decision) -> None:
    assert not stricter(a, a)
    assert not (stricter(a, b) and stricter(b, a))
    if stricter(a, b) and stricter(b, c):
        assert stricter(a, c)
    if stricter(a, b):
        assert needs_reapproval(a, b)
