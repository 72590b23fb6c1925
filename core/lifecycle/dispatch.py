"""Dispatch: who takes an approved request, by the team's strategy.

The choice itself is a pure function (:func:`pick`); :func:`auto_dispatch` loads the
team and its on-duty members, applies the choice and moves the request to "assigned"
inside the caller's transaction. Manual teams, and teams with nobody available, leave
the request approved for the dispatcher board.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.clock import now
from core.identity.actor import Actor
from core.lifecycle.kernel import transition
from core.lifecycle.states import Action, Status
from core.tables import RequestEvent, ServiceRequest, Team, TeamMember

STRATEGIES = ("manual", "round_robin", "least_load", "skill")
BUSY = (Status.ASSIGNED.value, Status.IN_PROGRESS.value, Status.ON_HOLD.value)
NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Candidate:
    user_id: int
    skills: frozenset[str]
    open_load: int
    last_assigned_at: datetime | None


def pick(strategy: str, candidates: Sequence[Candidate], kind: str) -> int | None:
    """The user a request goes to, or None (manual, or nobody suitable).

    round robin: whoever waited longest since their last assignment; least load: fewest
    open requests (then longest wait); skill: only those skilled for the kind (empty
    skills = all kinds), then least load. Ties go to the lowest user id: deterministic.
    """
    if strategy == "manual" or not candidates:
        return None
    pool = list(candidates)
    if strategy == "skill":
        pool = [c for c in pool if not c.skills or kind in c.skills]
        if not pool:
            return None

    def waited(c: Candidate) -> datetime:
        return c.last_assigned_at or NEVER  # never assigned: waited longest of all

    if strategy == "round_robin":
        return min(pool, key=lambda c: (waited(c), c.user_id)).user_id
    return min(pool, key=lambda c: (c.open_load, waited(c), c.user_id)).user_id


async def team_for(org_id: int, service: str, kind: str) -> dict[str, Any] | None:
    """The first active team of the service that takes this kind (or every kind)."""
    teams = await (
        Team.select(Team.id, Team.kinds, Team.strategy)
        .where((Team.org == org_id) & (Team.service == service) & Team.active.eq(True))
        .order_by(Team.id)
        .output(load_json=True)
    )
    for team in teams:
        if not team["kinds"] or kind in team["kinds"]:
            return team
    return None


async def candidates(org_id: int, team_id: int, exclude: set[int]) -> list[Candidate]:
    """On-duty members of a team with their current open load (two queries)."""
    members = await (
        TeamMember.select(TeamMember.user, TeamMember.skills, TeamMember.last_assigned_at)
        .where(
            (TeamMember.org == org_id)
            & (TeamMember.team == team_id)
            & TeamMember.on_duty.eq(True)
            & TeamMember.user.is_active.eq(True)
        )
        .output(load_json=True)
    )
    members = [m for m in members if m["user"] not in exclude]
    if not members:
        return []
    count = await open_loads(org_id, [m["user"] for m in members])
    return [
        Candidate(
            m["user"], frozenset(m["skills"] or []), count.get(m["user"], 0), m["last_assigned_at"]
        )
        for m in members
    ]


async def open_loads(org_id: int, user_ids: list[int]) -> dict[int, int]:
    """How many assigned, in-progress or on-hold requests each user has (one query)."""
    if not user_ids:
        return {}
    rows = await ServiceRequest.select(ServiceRequest.assignee).where(
        (ServiceRequest.org == org_id)
        & ServiceRequest.assignee.is_in(user_ids)
        & ServiceRequest.status.is_in(list(BUSY))
    )
    count: dict[int, int] = {}
    for row in rows:
        count[row["assignee"]] = count.get(row["assignee"], 0) + 1
    return count


async def decliners(org_id: int, request_id: int) -> set[int]:
    rows = await RequestEvent.select(RequestEvent.actor).where(
        (RequestEvent.org == org_id)
        & (RequestEvent.request == request_id)
        & (RequestEvent.kind == "status")
        & (RequestEvent.to_status == Status.APPROVED.value)
        & (RequestEvent.from_status == Status.ASSIGNED.value)
    )
    return {r["actor"] for r in rows if r["actor"]}


async def assign(
    actor: Actor | None,
    org_id: int,
    request_id: int,
    user_id: int,
    team_id: int | None,
    how: str,
    *,
    reason: str = "",
    expected_version: int | None = None,
) -> Status:
    """Give the request to ``user_id`` (strategy or dispatcher), recording how.

    A hand-over from one agent to another carries the dispatcher's ``reason``; it is
    kept on an internal event (the requester sees who handles it, not why it moved).
    """
    status = await transition(
        actor,
        org_id,
        request_id,
        Action.ASSIGN,
        message=reason,
        public=not reason,
        expected_version=expected_version,
        data={"assignee": user_id, "team": team_id, "how": how},
        changes={ServiceRequest.assignee: user_id, ServiceRequest.team_id: team_id},
    )
    if team_id:
        await TeamMember.update({TeamMember.last_assigned_at: now()}).where(
            (TeamMember.org == org_id) & (TeamMember.user == user_id) & (TeamMember.team == team_id)
        )
    return status


async def auto_dispatch(org_id: int, request_id: int, *, new: bool = False) -> int | None:
    """Dispatch an approved request by its team's strategy; the assignee, or None.

    ``new``: the request was created in this transaction, so nobody has declined it yet.
    """
    row = (
        await ServiceRequest.select(
            ServiceRequest.service, ServiceRequest.kind, ServiceRequest.status
        )
        .where((ServiceRequest.id == request_id) & (ServiceRequest.org == org_id))
        .first()
    )
    if row is None or row["status"] != Status.APPROVED.value:
        return None
    team = await team_for(org_id, row["service"], row["kind"])
    if team is None:
        return None
    excluded = set() if new else await decliners(org_id, request_id)
    chosen = pick(team["strategy"], await candidates(org_id, team["id"], excluded), row["kind"])
    if chosen is None:
        await ServiceRequest.update({ServiceRequest.team_id: team["id"]}).where(
            ServiceRequest.id == request_id
        )
        return None
    await assign(None, org_id, request_id, chosen, team["id"], team["strategy"])
    return chosen
