"""The service desk (/desk): the dispatcher board (what waits, who has how much, assign
by hand), and the queue: a team's requests sorted by SLA due, filters in the URL, bulk
assign, the request opening in a side panel (htmx) without losing the list. Who may
dispatch which service is decided here (:func:`dispatches`)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_409_CONFLICT
from piccolo.query import OrderByRaw

from core.i18n import gettext as _
from core.identity.actor import Actor
from core.lifecycle.dispatch import assign, open_loads
from core.lifecycle.kernel import Conflict
from core.lifecycle.states import ASSIGNABLE, AWAITING_DISPATCH, OPEN, IllegalTransition
from core.tables import ServiceRequest, Team, TeamMember
from web.auth import current_actor, visible_or_404
from web.errors import Refused, changed_meanwhile
from web.forms import Form
from web.live import announce
from web.params import Offset, OptionalId
from web.templating import render

PAGE = 50
MAX_OFFSET = 1000
SHOW = ("open", "waiting", "assigned", "in_progress", "on_hold", "done")


def dispatch_scope(request: Request[Any, Any, Any], actor: Actor) -> frozenset[str] | None:
    """The services whose requests the actor works on the desk (assigns, hands over,
    enters for someone); None for every service (dispatchers, org admins)."""
    return request.app.state.services.dispatched_by(actor)


def may_dispatch(request: Request[Any, Any, Any], actor: Actor) -> bool:
    """Whether the actor dispatches any service: the desk's board, hand-overs and
    requests entered for someone."""
    scope = dispatch_scope(request, actor)
    return scope is None or bool(scope)


def dispatches(request: Request[Any, Any, Any], actor: Actor, service: str) -> bool:
    scope = dispatch_scope(request, actor)
    return scope is None or service in scope


@get("/desk")
async def dispatch_board(request: Request[Any, Any, Any]) -> Template:
    actor = current_actor(request)
    scope = dispatch_scope(request, actor)
    if scope is not None and not scope:
        raise PermissionDeniedException()
    where = (ServiceRequest.org == actor.org_id) & ServiceRequest.status.is_in(
        sorted(s.value for s in AWAITING_DISPATCH)
    )
    if scope is not None:
        where &= ServiceRequest.service.is_in(sorted(scope))
    waiting = await (
        ServiceRequest.select(
            ServiceRequest.id,
            ServiceRequest.number,
            ServiceRequest.service,
            ServiceRequest.kind,
            ServiceRequest.title,
            ServiceRequest.priority,
            ServiceRequest.location,
            ServiceRequest.team_id,
            ServiceRequest.updated_at,
            ServiceRequest.version,
            ServiceRequest.requester.display_name.as_alias("requester_name"),
        )
        .where(where)
        .order_by(ServiceRequest.id)
        .limit(100)
    )
    team_where = (Team.org == actor.org_id) & Team.active.eq(True)
    if scope is not None:
        team_where &= Team.service.is_in(sorted(scope))
    members = await TeamMember.select(
        TeamMember.user,
        TeamMember.on_duty,
        TeamMember.team.service.as_alias("service"),
        TeamMember.user.display_name.as_alias("name"),
    ).where(
        (TeamMember.org == actor.org_id)
        & TeamMember.team.id.is_in(Team.select(Team.id).where(team_where))
    )
    agents: dict[int, Any] = {}
    by_service: dict[str, dict[int, Any]] = {}
    for m in members:
        agent = agents.setdefault(m["user"], {"name": m["name"], "on_duty": False})
        agent["on_duty"] |= m["on_duty"]
        by_service.setdefault(m["service"], {})[m["user"]] = agent
    loads = await open_loads(actor.org_id, list(agents))

    def ranked(group: dict[int, Any]) -> list[tuple[int, Any]]:
        return sorted(group.items(), key=lambda a: (not a[1]["on_duty"], loads.get(a[0], 0)))

    return await render(
        request,
        "work/board.html",
        {
            "waiting": waiting,
            "agents": ranked(agents),
            "agents_for": {service: ranked(group) for service, group in by_service.items()},
            "loads": loads,
            "services": request.app.state.services,
        },
    )


async def service_team_of(org_id: int, user_id: int, service: str) -> int | None:
    """The agent's active team for ``service`` (the first), or None when they are in none."""
    row = await (
        TeamMember.select(TeamMember.team)
        .where(
            (TeamMember.org == org_id)
            & (TeamMember.user == user_id)
            & TeamMember.team.id.is_in(
                Team.select(Team.id).where(
                    (Team.org == org_id) & (Team.service == service) & Team.active.eq(True)
                )
            )
        )
        .order_by(TeamMember.team)
        .first()
    )
    return row["team"] if row else None


@post("/desk/assign/{number:str}")
async def manual_assign(request: Request[Any, Any, Any], number: FromPath[str]) -> Redirect:
    actor = current_actor(request)
    row = await visible_or_404(actor, number)
    if not dispatches(request, actor, row["service"]):
        raise PermissionDeniedException()
    if row["status"] not in ASSIGNABLE:
        raise Refused(
            _("Work on this request has started: hand it over from its page, with a reason."),
            HTTP_409_CONFLICT,
        )
    form = await Form.read(request)
    agent = form.id("agent")
    team = await service_team_of(actor.org_id, agent, row["service"]) if agent else None
    if team is None:
        raise Refused(_("Choose an agent of a team of this request's service."), 422)
    try:
        await assign(
            actor,
            actor.org_id,
            row["id"],
            agent,
            team,
            "dispatcher",
            expected_version=form.version(),
        )
    except (IllegalTransition, Conflict) as exc:
        raise changed_meanwhile() from exc
    announce(request, actor.org_id, number)
    flash(request, category="success", message=_("Assigned."))
    return Redirect("/desk", status_code=303)


async def _teams_for(request: Request[Any, Any, Any], actor: Actor) -> list[dict[str, Any]]:
    """Teams the actor may read the queue of: every team for admins and dispatchers,
    those of the services they administer, and the teams they are a member of."""
    where = (Team.org == actor.org_id) & Team.active.eq(True)
    scope = dispatch_scope(request, actor)
    if scope is not None:
        member_of = TeamMember.select(TeamMember.team).where(
            (TeamMember.org == actor.org_id) & (TeamMember.user == actor.user_id)
        )
        where &= Team.id.is_in(member_of) | Team.service.is_in(sorted(scope) or [""])
    return await Team.select(Team.id, Team.name, Team.service).where(where).order_by(Team.id)


def _status_filter(show: str) -> list[str]:
    if show == "waiting":
        return sorted(s.value for s in AWAITING_DISPATCH)
    if show in ("assigned", "in_progress", "on_hold"):
        return [show]
    if show == "done":
        return ["resolved"]
    return [s.value for s in OPEN]


@get("/desk/queue")
async def queue(
    request: Request[Any, Any, Any],
    team: OptionalId = None,
    show: FromQuery[str] = "open",
    offset: Offset = 0,
) -> Template:
    actor = current_actor(request)
    teams = await _teams_for(request, actor)
    if not teams:
        raise PermissionDeniedException()
    chosen = next((t for t in teams if t["id"] == team), teams[0])
    show = show if show in SHOW else "open"
    offset = max(0, min(offset, MAX_OFFSET))
    rows = await (
        ServiceRequest.select(
            ServiceRequest.number,
            ServiceRequest.title,
            ServiceRequest.status,
            ServiceRequest.priority,
            ServiceRequest.location,
            ServiceRequest.resolution_due_at,
            ServiceRequest.resolved_at,
            ServiceRequest.updated_at,
            ServiceRequest.version,
            ServiceRequest.assignee.display_name.as_alias("assignee_name"),
        )
        .where(
            (ServiceRequest.org == actor.org_id)
            & (ServiceRequest.team_id == chosen["id"])
            & ServiceRequest.status.is_in(_status_filter(show))
        )
        # soonest due first; requests without a target last, on both engines
        .order_by(
            OrderByRaw(
                "core_request.resolution_due_at IS NULL, "
                "core_request.resolution_due_at, core_request.id"
            )
        )
        .offset(offset)
        .limit(PAGE + 1)
    )
    agents = await TeamMember.select(
        TeamMember.user, TeamMember.on_duty, TeamMember.user.display_name.as_alias("name")
    ).where((TeamMember.org == actor.org_id) & (TeamMember.team == chosen["id"]))
    return await _render_queue(request, teams, chosen, show, offset, rows, agents)


async def _render_queue(
    request: Request[Any, Any, Any],
    teams: list[dict[str, Any]],
    chosen: dict[str, Any],
    show: str,
    offset: int,
    rows: list[dict[str, Any]],
    agents: list[dict[str, Any]],
) -> Any:
    more = len(rows) > PAGE
    return await render(
        request,
        "desk/queue.html",
        {
            "teams": teams,
            "team": chosen,
            "show": show,
            "rows": rows[:PAGE],
            "next_offset": offset + PAGE if more and offset + PAGE <= MAX_OFFSET else None,
            "agents": agents,
            "filters": [
                ("open", _("All open")),
                ("waiting", _("Waiting for someone")),
                ("assigned", _("Assigned")),
                ("in_progress", _("In progress")),
                ("on_hold", _("On hold")),
                ("done", _("Done, not closed")),
            ],
        },
        block="rows",
    )


@post("/desk/queue/assign")
async def bulk_assign(request: Request[Any, Any, Any]) -> Redirect:
    """Give the checked requests to an agent of the team. Reading a team's queue is open
    to its members; assigning from it needs the dispatch of the team's service. Each
    request is assigned at the version the page showed, and only while no work has
    started on it (started work changes hands by a hand-over, with a reason)."""
    actor = current_actor(request)
    form = await Form.read(request)
    team_id = form.id("team")
    team = (
        await Team.select(Team.id, Team.service)
        .where((Team.org == actor.org_id) & (Team.id == team_id) & Team.active.eq(True))
        .first()
        if team_id
        else None
    )
    if team is None or not dispatches(request, actor, team["service"]):
        raise PermissionDeniedException()
    back = f"/desk/queue?team={team_id}"
    agent = form.id("agent")
    member = agent is not None and await TeamMember.exists().where(
        (TeamMember.org == actor.org_id) & (TeamMember.team == team_id) & (TeamMember.user == agent)
    )
    numbers = form.getall("numbers")[:PAGE]
    if not member or not numbers:
        flash(request, category="error", message=_("Choose requests and an agent of this team."))
        return Redirect(back, status_code=303)
    rows = await ServiceRequest.select(
        ServiceRequest.id, ServiceRequest.number, ServiceRequest.status
    ).where(
        (ServiceRequest.org == actor.org_id)
        & (ServiceRequest.team_id == team_id)
        & ServiceRequest.number.is_in(numbers)
    )
    done, failed = 0, 0
    for row in rows:
        version = form.version(f"version-{row['number']}")
        if row["status"] not in ASSIGNABLE or version is None:
            failed += 1
            continue
        try:
            await assign(
                actor,
                actor.org_id,
                row["id"],
                agent,
                team_id,
                "dispatcher",
                expected_version=version,
            )
        except (IllegalTransition, Conflict):
            failed += 1
            continue
        announce(request, actor.org_id, row["number"])
        done += 1
    message = _("Assigned %(n)d request(s).") % {"n": done}
    if failed:
        message += " " + _(
            "%(n)d could not be assigned: they changed meanwhile, or work on them has "
            "started (hand those over from their page)."
        ) % {"n": failed}
    flash(request, category="success" if not failed else "error", message=message)
    return Redirect(back, status_code=303)


DESK_HANDLERS = [dispatch_board, manual_assign, queue, bulk_assign]
