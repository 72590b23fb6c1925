"""Approval routing: which rule applies to a request, and who must approve it.

This module is the *decision* half of the approvals engine and is deliberately pure:
no database, no clock, no I/O. The caller loads the rules, the organisation chart and
the delegations, passes in ``today`` and the request's post-audit draw, and stores what
comes back.
Keeping it pure is what lets the routing be tested exhaustively (property tests compare
it against a brute-force reference) and lets an edit be re-routed with exactly the same
logic as the original submit, so an approval can never be bypassed by editing.

Routing, per request:

* rules are tried by ``(order, id)`` and the first whose every condition holds wins;
  if none matches the request is approved automatically (``rule_id is None``);
* ``auto`` approves at once; ``filing`` (备案制) approves at once but records it, and a
  share (``sample_percent``) is picked for post-audit by the request's random draw;
  ``chain`` needs its steps approved one after another;
* each chain step is resolved to concrete people by :func:`resolve_step`: nobody ever
  approves their own request, and a person on an active delegation is replaced by the
  delegate ("B on behalf of A").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal, get_args

Mode = Literal["auto", "filing", "chain"]
StepKind = Literal["department_head", "role", "service_admin", "any_of"]

MODES: frozenset[str] = frozenset(get_args(Mode))
STEP_KINDS: frozenset[str] = frozenset(get_args(StepKind))

# How much approval a mode demands; ``stricter`` compares these first.
_MODE_RANK: Mapping[str, int] = {"auto": 0, "filing": 1, "chain": 2}

# A delegate may in turn have delegated (A → B → C); we follow at most this many hops so
# a long or accidental chain cannot send a request somewhere nobody expects.
MAX_DELEGATION_DEPTH = 3


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Step:
    """One approval step of a chain; :func:`resolve_step` turns it into people.

    Steps name a *position* (department head, role, service admin, a fixed group), not
    a person, so that staff changes and delegations apply to requests already waiting.
    """

    kind: StepKind
    role: str | None = None  # for kind="role" (e.g. "approver" or a custom finance role)
    user_ids: tuple[int, ...] = ()  # for kind="any_of"
    levels_up: int = 0  # department_head: 0 = own department's head, 1 = the parent's…

    def validate(self) -> None:
        """Raise ``ValueError`` if the fields do not fit the kind.

        Fields that a kind ignores must be empty: a stray ``role`` on a department-head
        step almost always means the admin picked the wrong kind, and silently ignoring
        it would route the request to someone other than intended.
        """
        if self.kind not in STEP_KINDS:
            raise ValueError(
                f"unknown step kind {self.kind!r}; expected one of {sorted(STEP_KINDS)}"
            )
        if self.kind == "role":
            if not isinstance(self.role, str) or not self.role.strip():
                raise ValueError("a 'role' step needs a role name")
        elif self.role is not None:
            raise ValueError(f"a {self.kind!r} step takes no role (got {self.role!r})")
        if self.kind == "any_of":
            if not self.user_ids:
                raise ValueError("an 'any_of' step needs at least one user")
            if not all(isinstance(u, int) and not isinstance(u, bool) for u in self.user_ids):
                raise ValueError("an 'any_of' step lists user ids (integers)")
        elif self.user_ids:
            raise ValueError(f"a {self.kind!r} step takes no user list")
        if isinstance(self.levels_up, bool) or not isinstance(self.levels_up, int):
            raise ValueError("levels_up must be an integer")
        if self.kind == "department_head":
            if self.levels_up < 0:
                raise ValueError("levels_up must not be negative")
        elif self.levels_up:
            raise ValueError(f"a {self.kind!r} step takes no levels_up")


@dataclass(frozen=True)
class Rule:
    """One routing rule: conditions (all must hold) and the approval mode they lead to.

    Empty conditions mean "any", so the last rule of a list is typically a catch-all.
    """

    id: int
    order: int
    service: str = "*"  # service slug or "*" for any
    kinds: frozenset[str] = frozenset()  # empty = any kind
    min_amount: Decimal | None = None  # inclusive
    # inclusive; a request without an amount never matches a rule with an amount bound
    max_amount: Decimal | None = None
    # empty = any; matches if the request's department or any ANCESTOR is listed
    departments: frozenset[int] = frozenset()
    requester_roles: frozenset[str] = frozenset()  # empty = any; any one of them suffices
    # fact name -> accepted values (compared as strings); every listed fact must hold
    facts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    mode: Mode = "auto"
    steps: tuple[Step, ...] = ()  # required (non-empty) for chain, empty otherwise
    sample_percent: int = 0  # filing only, 0..100

    def validate(self) -> None:
        """Raise ``ValueError`` with a readable message if the rule is inconsistent.

        Called when an admin saves a rule and again by :func:`decide` for the rule that
        matched: a chain without steps or a bound that can never hold would otherwise
        approve (or block) requests silently, which is exactly what approvals must not do.
        """
        if not isinstance(self.service, str) or not self.service:
            raise ValueError("service must be a service slug or '*'")
        if isinstance(self.order, bool) or not isinstance(self.order, int):
            raise ValueError("order must be an integer")
        if isinstance(self.kinds, str) or not all(isinstance(k, str) and k for k in self.kinds):
            raise ValueError("kinds must be a set of non-empty kind names")
        for name, bound in (("min_amount", self.min_amount), ("max_amount", self.max_amount)):
            if bound is None:
                continue
            if not isinstance(bound, Decimal):
                # Floats cannot represent most money amounts exactly (0.1 + 0.2 …).
                raise ValueError(f"{name} must be a Decimal, not {type(bound).__name__}")
            if not bound.is_finite():
                raise ValueError(f"{name} must be a finite amount (got {bound})")
        if (
            self.min_amount is not None
            and self.max_amount is not None
            and self.min_amount > self.max_amount
        ):
            raise ValueError(
                f"min_amount {self.min_amount} is above max_amount {self.max_amount}; "
                "the rule could never match"
            )
        if not all(isinstance(d, int) and not isinstance(d, bool) for d in self.departments):
            raise ValueError("departments must be department ids (integers)")
        if isinstance(self.requester_roles, str) or not all(
            isinstance(r, str) and r for r in self.requester_roles
        ):
            raise ValueError("requester_roles must be a set of non-empty role names")
        for name, accepted in self.facts.items():
            if not isinstance(name, str) or not name:
                raise ValueError("fact names must be non-empty strings")
            # A bare string would be iterated character by character: "yes" → y, e, s.
            if isinstance(accepted, str):
                raise ValueError(f"fact {name!r}: accepted values must be a tuple, not a string")
            if not accepted:
                raise ValueError(f"fact {name!r} lists no accepted value; it could never hold")
            if not all(isinstance(v, str) for v in accepted):
                raise ValueError(f"fact {name!r}: accepted values must be strings")
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}; expected one of {sorted(MODES)}")
        if self.mode == "chain":
            if not self.steps:
                raise ValueError("a 'chain' rule needs at least one step")
            for i, step in enumerate(self.steps, 1):
                try:
                    step.validate()
                except ValueError as exc:
                    raise ValueError(f"step {i}: {exc}") from None
        elif self.steps:
            raise ValueError(f"a {self.mode!r} rule takes no steps")
        if isinstance(self.sample_percent, bool) or not isinstance(self.sample_percent, int):
            raise ValueError("sample_percent must be an integer")
        if not 0 <= self.sample_percent <= 100:
            raise ValueError(f"sample_percent must be 0..100 (got {self.sample_percent})")
        if self.sample_percent and self.mode != "filing":
            raise ValueError("sample_percent applies to 'filing' rules only")


@dataclass(frozen=True)
class RequestFacts:
    """What routing may look at for one request, gathered by the caller."""

    service: str
    kind: str
    amount: Decimal | None
    department_id: int | None
    requester_id: int
    requester_roles: frozenset[str]
    facts: Mapping[str, object] = field(default_factory=dict)  # plugin-supplied

    def __post_init__(self) -> None:
        # Money is compared exactly; a float or NaN here would make bounds unreliable
        # (NaN compares false both ways and would slip past every amount limit).
        if self.amount is not None and (
            not isinstance(self.amount, Decimal) or not self.amount.is_finite()
        ):
            raise ValueError(f"amount must be a finite Decimal or None (got {self.amount!r})")


@dataclass(frozen=True)
class ApprovalSubject:
    """The request as the ``approval_facts`` hook sees it (its generic fields).

    Handed to plugins when core routes a request: at submit, on an edit that may need
    approval again, and in the admin's rule tester (``request_id`` None, number
    ``"test"``). A plugin answers only for its own ``service`` and may look up its own
    detail rows by ``request_id``; it must not change anything.
    """

    org_id: int
    request_id: int | None
    number: str
    service: str
    kind: str
    title: str
    amount: Decimal | None
    requester_id: int
    department_id: int | None
    location: str = ""
    priority: str = "normal"


@dataclass(frozen=True)
class Decision:
    """The outcome of routing, stored with the request (and compared on edit)."""

    mode: Mode
    rule_id: int | None  # None = no rule matched → default auto
    steps: tuple[Step, ...]
    sampled: bool = False  # filing: picked for post-audit


def storable_facts(facts: Mapping[str, object] | None) -> dict[str, object]:
    """Plugin facts as JSON keeps them, so a later re-routing sees the same values.

    Text, numbers and booleans stay as they are (booleans must stay booleans: rules
    compare them case-insensitively); anything else is kept as its text.
    """
    out: dict[str, object] = {}
    for name, value in (facts or {}).items():
        ok = value is None or isinstance(value, bool | int | float | str)
        out[str(name)] = value if ok else str(value)
    return out


# --------------------------------------------------------------------------- matching


def ancestors(department_id: int, department_parents: Mapping[int, int | None]) -> Iterator[int]:
    """Yield the department itself, then its parent, grandparent… up to the top.

    Stops at a repeated id, so a corrupt (cyclic) tree cannot hang routing.
    """
    seen: set[int] = set()
    current: int | None = department_id
    while current is not None and current not in seen:
        seen.add(current)
        yield current
        current = department_parents.get(current)


def fact_text(value: object) -> str | None:
    """The string a plugin fact is compared as; ``None`` means "fact not known".

    Booleans become ``"true"``/``"false"`` because rules are typed in by admins, who
    would not guess Python's ``"True"``.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fact_holds(value: object, accepted: Sequence[str]) -> bool:
    text = fact_text(value)
    if text is None:
        return False
    if isinstance(value, bool):
        return text in {a.strip().lower() for a in accepted}
    return text in accepted


def rule_matches(
    rule: Rule, request: RequestFacts, department_parents: Mapping[int, int | None]
) -> bool:
    """Whether every condition of ``rule`` holds for ``request``.

    A condition the request cannot answer (no amount, no department, a missing fact)
    does not hold: an unknown amount must never satisfy "amount ≤ 500" and thereby
    escape a stricter rule further down.
    """
    if rule.service != "*" and rule.service != request.service:
        return False
    if rule.kinds and request.kind not in rule.kinds:
        return False
    if rule.min_amount is not None or rule.max_amount is not None:
        if request.amount is None:
            return False
        if rule.min_amount is not None and request.amount < rule.min_amount:
            return False
        if rule.max_amount is not None and request.amount > rule.max_amount:
            return False
    if rule.departments:
        if request.department_id is None:
            return False
        if not any(
            d in rule.departments for d in ancestors(request.department_id, department_parents)
        ):
            return False
    if rule.requester_roles and not (rule.requester_roles & request.requester_roles):
        return False
    for name, accepted in rule.facts.items():
        if name not in request.facts or not _fact_holds(request.facts[name], accepted):
            return False
    return True


def match_rule(
    rules: Sequence[Rule], request: RequestFacts, department_parents: Mapping[int, int | None]
) -> Rule | None:
    """The first rule by ``(order, id)`` that matches, or ``None``.

    Sorting here (rather than trusting the caller's order) makes "first match wins"
    independent of how the rules were loaded; ``id`` breaks ties between equal orders
    so the outcome is always reproducible.
    """
    for rule in sorted(rules, key=lambda r: (r.order, r.id)):
        if rule_matches(rule, request, department_parents):
            return rule
    return None


def is_sampled(draw: int, sample_percent: int) -> bool:
    """Whether a filing-mode request is picked for post-audit: its ``draw`` — a random
    whole number 0..99 taken once at submit and stored with the request — is under the
    rule's percentage.

    Random, so nobody can tell in advance which request will be audited (a hash of the
    request number could be worked out by anyone); stored, so re-routing after an edit
    does not roll again and an auditor can see why something was picked.
    """
    return draw < sample_percent


def decide(
    rules: Sequence[Rule],
    request: RequestFacts,
    department_parents: Mapping[int, int | None],
    draw: int,
) -> Decision:
    """Route ``request``: the matching rule's mode and steps, or auto if none matches.

    ``draw`` is the request's stored post-audit draw (0..99, see :func:`is_sampled`).
    The matched rule is validated first, so a broken rule fails loudly
    instead of approving something it was meant to stop.
    """
    rule = match_rule(rules, request, department_parents)
    if rule is None:
        return Decision(mode="auto", rule_id=None, steps=())
    rule.validate()
    if rule.mode == "chain":
        return Decision(mode="chain", rule_id=rule.id, steps=rule.steps)
    if rule.mode == "filing":
        sampled = is_sampled(draw, rule.sample_percent)
        return Decision(mode="filing", rule_id=rule.id, steps=(), sampled=sampled)
    return Decision(mode="auto", rule_id=rule.id, steps=())


def _strictness(decision: Decision) -> tuple[int, int]:
    if decision.mode not in _MODE_RANK:
        raise ValueError(f"unknown mode {decision.mode!r}")
    steps = len(decision.steps) if decision.mode == "chain" else 0
    return (_MODE_RANK[decision.mode], steps)


def stricter(a: Decision, b: Decision) -> bool:
    """True if ``b`` demands more approval than ``a``.

    auto < filing < chain, and between two chains more steps is stricter. This is a
    strict (weak) order — a lexicographic comparison of (mode rank, step count) — so
    it is irreflexive and transitive. Used on edit: ``stricter(old, new)`` sends an
    approved request back to approval. Sampling is ignored: being picked for audit is
    after the fact and does not need anyone's approval now.
    """
    return _strictness(b) > _strictness(a)


def needs_reapproval(old: Decision, new: Decision) -> bool:
    """Whether an edited request (``new`` routing) must go back to approval.

    ``stricter`` alone only counts steps, so an edit moving a request from a
    one-step "department head" chain to a one-step "finance" chain would pass
    unnoticed. Here, besides being stricter, a chain also needs re-approval when any
    of its steps (counted with multiplicity) was not part of the chain already
    approved — the approvals obtained must cover the approvals now required.
    """
    if stricter(old, new):
        return True
    if new.mode != "chain":
        return False
    if old.mode != "chain":
        return True
    return bool(Counter(new.steps) - Counter(old.steps))


# --------------------------------------------------------------------------- resolution


@dataclass(frozen=True)
class Delegation:
    """A approves nothing between ``starts`` and ``ends``; B approves for A instead."""

    delegator_id: int
    delegate_id: int
    starts: date
    ends: date  # inclusive

    def active_on(self, day: date) -> bool:
        return self.starts <= day <= self.ends


@dataclass(frozen=True)
class OrgDirectory:
    """What step resolution needs to know about the organisation, loaded by the caller."""

    department_parents: Mapping[int, int | None]
    department_heads: Mapping[int, int | None]  # dept -> head user id
    role_holders: Mapping[str, frozenset[int]]  # role -> user ids (active users)
    service_admins: Mapping[str, frozenset[int]]  # service slug -> user ids
    delegations: Sequence[Delegation] = ()


@dataclass(frozen=True)
class Assignment:
    """Who may act on one step: any one of ``approver_ids``."""

    approver_ids: frozenset[int]  # any one of them may act
    # delegate id -> delegator id (shown as "approved by B on behalf of A")
    on_behalf_of: Mapping[int, int]
    skipped_self: bool = False  # the natural approver was the requester; the step moved on


def _active_delegates(delegations: Sequence[Delegation], today: date) -> dict[int, int]:
    """delegator -> delegate for the delegations active ``today``.

    If one person has several overlapping delegations, the most recently started wins
    (ties: lowest delegate id), so the outcome never depends on load order.
    """
    chosen: dict[int, Delegation] = {}
    for d in delegations:
        if d.delegator_id == d.delegate_id or not d.active_on(today):
            continue
        best = chosen.get(d.delegator_id)
        if best is None or (-d.starts.toordinal(), d.delegate_id) < (
            -best.starts.toordinal(),
            best.delegate_id,
        ):
            chosen[d.delegator_id] = d
    return {delegator: d.delegate_id for delegator, d in chosen.items()}


def _follow(approver: int, requester_id: int, delegates: Mapping[int, int]) -> int:
    """Who actually acts for ``approver`` today.

    Follows A → B → C at most :data:`MAX_DELEGATION_DEPTH` hops and stops before a
    cycle. A hop that would land on the requester is not taken: delegation moves the
    work, it does not hand anyone the power to approve their own request, and the
    person before that hop keeps full authority.
    """
    current = approver
    seen = {approver}
    for _ in range(MAX_DELEGATION_DEPTH):
        nxt = delegates.get(current)
        if nxt is None or nxt in seen or nxt == requester_id:
            break
        seen.add(nxt)
        current = nxt
    return current


def _assign(
    natural: frozenset[int], requester_id: int, org: OrgDirectory, today: date, skipped: bool
) -> Assignment | None:
    """Apply delegation to the natural approvers (requester already removed)."""
    if not natural:
        return None
    delegates = _active_delegates(org.delegations, today)
    approvers: set[int] = set()
    on_behalf_of: dict[int, int] = {}
    for person in sorted(natural):
        actor = _follow(person, requester_id, delegates)
        approvers.add(actor)
        # Someone who is an approver in their own right acts for themselves; among
        # several delegators to one person the lowest id is shown, deterministically.
        if actor != person and actor not in natural and actor not in on_behalf_of:
            on_behalf_of[actor] = person
    return Assignment(
        approver_ids=frozenset(approvers), on_behalf_of=on_behalf_of, skipped_self=skipped
    )


def _resolve_department_head(
    step: Step, request: RequestFacts, org: OrgDirectory, today: date
) -> Assignment | None:
    if request.department_id is None:
        return None
    chain = list(ancestors(request.department_id, org.department_parents))
    skipped = False
    for dept in chain[step.levels_up :]:
        head = org.department_heads.get(dept)
        if head is None:
            continue
        if head == request.requester_id:
            skipped = True  # a head's own request goes to the next head up
            continue
        return _assign(frozenset({head}), request.requester_id, org, today, skipped)
    return None


def resolve_step(
    step: Step, request: RequestFacts, org: OrgDirectory, today: date
) -> Assignment | None:
    """Turn a chain step into the people who may approve it today, or ``None``.

    ``None`` means nobody is eligible (no head up to the top, an empty role, only the
    requester holds it); the caller escalates rather than approving. The requester is
    never among the approvers, whatever the org chart or delegations say.
    """
    step.validate()
    if step.kind == "department_head":
        return _resolve_department_head(step, request, org, today)
    if step.kind == "role":
        assert step.role is not None  # guaranteed by validate()
        holders = org.role_holders.get(step.role, frozenset())
    elif step.kind == "service_admin":
        holders = org.service_admins.get(request.service, frozenset())
    else:
        holders = frozenset(step.user_ids)
    skipped = request.requester_id in holders
    natural = frozenset(holders) - {request.requester_id}
    return _assign(natural, request.requester_id, org, today, skipped)
