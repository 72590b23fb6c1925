"""Doing the work: agents' tasks and duty, hand-over, the dispatcher board, and teams in
/admin. The buttons on a request (accept, start, done, close…) are request actions
(web/routes/actions.py). Every status change goes through core's ``transition``.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_409_CONFLICT

from core.default_plugin import ADMIN
from core.i18n import gettext as _
from core.identity.actor import Actor
from core.identity.service import audit, normalise_login
from core.lifecycle.dispatch import BUSY, STRATEGIES, assign, open_loads
from core.lifecycle.kernel import Conflict
from core.lifecycle.states import ASSIGNABLE, AWAITING_DISPATCH, HANDOVER, IllegalTransition
from core.tables import ServiceRequest, Team, TeamMember, User
from web.auth import current_actor, permission_required, visible_or_404
from web.errors import Refused, changed_meanwhile
from web.forms import Form
from web.live import announce
from web.templating import render

admin_only = [permission_required(ADMIN)]


@get("/tasks")
async def my_tasks(request: Request[Any, Any, Any]) -> Template:
    actor = current_actor(request)
    rows = await (
        ServiceRequest.select(
            ServiceRequest.number,
            ServiceRequest.service,
            ServiceRequest.title,
            ServiceRequest.status,
            ServiceRequest.priority,
            ServiceRequest.location,
            ServiceRequest.updated_at,
        )
        .where(
            (ServiceRequest.org == actor.org_id)
            & (ServiceRequest.assignee == actor.user_id)
            & ServiceRequest.status.is_in(list(BUSY))
        )
        .order_by(ServiceRequest.id)
        .limit(100)
    )
    duty = await TeamMember.select(TeamMember.on_duty).where(
        (TeamMember.org == actor.org_id) & (TeamMember.user == actor.user_id)
    )
    return await render(
        request,
        "work/tasks.html",
        {
            "rows": rows,
            "in_team": bool(duty),
            "on_duty": any(d["on_duty"] for d in duty),
            "services": request.app.state.services,
        },
    )


@post("/tasks/duty")
async def toggle_duty(request: Request[Any, Any, Any]) -> Redirect:
    actor = current_actor(request)
    form = await Form.read(request)
    on = form.get("on_duty") == "on"
    updated = (
        await TeamMember.update({TeamMember.on_duty: on})
        .where((TeamMember.org == actor.org_id) & (TeamMember.user == actor.user_id))
        .returning(TeamMember.id)
    )
    if not updated:
        raise NotFoundException()
    flash(
        request, category="success", message=_("You are on duty.") if on else _("You are off duty.")
    )
    return Redirect("/tasks", status_code=303)


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


async def handover_options(
    request: Request[Any, Any, Any], actor: Actor, row: dict[str, Any]
) -> list[dict[str, Any]]:
    """The agents a dispatcher may hand this request over to: its team's other members
    (a team's size bounds the list), or nothing when the actor may not or it is not in
    hand."""
    if (
        row["status"] not in HANDOVER
        or not row["team_id"]
        or not dispatches(request, actor, row["service"])
    ):
        return []
    return await TeamMember.select(
        TeamMember.user, TeamMember.on_duty, TeamMember.user.display_name.as_alias("name")
    ).where(
        (TeamMember.org == actor.org_id)
        & (TeamMember.team == row["team_id"])
        & (TeamMember.user != (row["assignee"] or 0))
    )


@post("/requests/{number:str}/handover")
async def handover(request: Request[Any, Any, Any], number: FromPath[str]) -> Redirect:
    """Reassign with a reason (the agent is away, the wrong skill…), recorded."""
    actor = current_actor(request)
    row = await visible_or_404(actor, number)
    if not dispatches(request, actor, row["service"]):
        raise PermissionDeniedException()
    form = await Form.read(request)
    options = {o["user"] for o in await handover_options(request, actor, row)}
    agent = form.id("agent")
    if agent not in options:
        raise Refused(_("Choose another agent of this request's team."), 422)
    reason = form.get("reason")[:500]
    if not reason:
        raise Refused(_("Say why it moves, for the record."), 422)
    try:
        await assign(
            actor,
            actor.org_id,
            row["id"],
            agent,
            row["team_id"],
            "reassigned",
            reason=reason,
            expected_version=form.version(),
        )
    except (IllegalTransition, Conflict) as exc:
        raise changed_meanwhile() from exc
    announce(request, actor.org_id, number)
    flash(request, category="success", message=_("Handed over."))
    return Redirect(f"/requests/{number}", status_code=303)


# -- teams (admin) ---------------------------------------------------------------------


def strategy_label(code: str) -> str:
    return {
        "manual": _("Manual (dispatcher board)"),
        "round_robin": _("Round robin"),
        "least_load": _("Least open work"),
        "skill": _("Skill match, then least work"),
    }.get(code, code)


async def _teams_page(request: Request[Any, Any, Any], form: Form, status: int = 200) -> Template:
    actor = current_actor(request)
    teams = (
        await Team.select().where(Team.org == actor.org_id).order_by(Team.id).output(load_json=True)
    )
    members = (
        await TeamMember.select(
            TeamMember.id,
            TeamMember.team,
            TeamMember.on_duty,
            TeamMember.skills,
            TeamMember.user.display_name.as_alias("name"),
            TeamMember.user.login.as_alias("login"),
        )
        .where(TeamMember.org == actor.org_id)
        .output(load_json=True)
    )
    services = request.app.state.services
    return await render(
        request,
        "admin/teams.html",
        {
            "teams": teams,
            "members": members,
            "form": form,
            "service_options": [(s, st.name(_)) for s, (st, _o) in services.types.items()],
            "strategies": [(s, strategy_label(s)) for s in STRATEGIES],
            "strategy_label": strategy_label,
        },
        status_code=status,
    )


@get("/admin/teams", guards=admin_only)
async def teams_page(request: Request[Any, Any, Any]) -> Template:
    return await _teams_page(request, Form({"strategy": "least_load"}))


def _kinds(form: Form, field: str, service: Any) -> list[str]:
    kinds = [k.strip() for k in form.get(field).replace("，", ",").split(",") if k.strip()]
    known = {k.code for k in service.kinds} if service else set()
    if set(kinds) - known:
        form.error(
            field,
            _("Unknown kinds for this service: %(kinds)s")
            % {"kinds": ", ".join(sorted(set(kinds) - known))},
        )
    return kinds


@post("/admin/teams", guards=admin_only)
async def team_create(request: Request[Any, Any, Any]) -> Template | Redirect:
    actor = current_actor(request)
    form = await Form.read(request)
    name = form.required(
        "name", _("Name the team, e.g. “Electricians”."), 200, _("At most 200 characters.")
    )
    service = request.app.state.services.get(form.get("service"))
    if service is None:
        form.error("service", _("Choose a service from the list."))
    strategy = form.get("strategy")
    if strategy not in STRATEGIES:
        form.error("strategy", _("Choose how work is shared out."))
    kinds = _kinds(form, "kinds", service)
    if not form.ok:
        return await _teams_page(request, form, 422)
    await Team.insert(
        Team(org=actor.org_id, name=name, service=service.slug, strategy=strategy, kinds=kinds)
    )
    await audit(actor.org_id, actor.user_id, "team.created", name)
    flash(request, category="success", message=_("Team %(name)s is added.") % {"name": name})
    return Redirect("/admin/teams", status_code=303)


@post("/admin/teams/{team_id:int}/members", guards=admin_only)
async def member_add(
    request: Request[Any, Any, Any], team_id: FromPath[int]
) -> Template | Redirect:
    actor = current_actor(request)
    team = (
        await Team.select(Team.name, Team.service)
        .where((Team.id == team_id) & (Team.org == actor.org_id))
        .first()
    )
    if team is None:
        raise NotFoundException()
    form = await Form.read(request)
    login = normalise_login(form.get(f"login-{team_id}"))
    user = (
        await User.select(User.id).where((User.login == login) & (User.org == actor.org_id)).first()
    )
    if user is None:
        form.error(
            f"login-{team_id}",
            _("No one in your organisation has the account name %(login)s.")
            % {"login": login or "—"},
        )
    elif await TeamMember.exists().where(
        (TeamMember.team == team_id) & (TeamMember.user == user["id"])
    ):
        form.error(f"login-{team_id}", _("%(login)s is already in this team.") % {"login": login})
    skills = _kinds(form, f"skills-{team_id}", request.app.state.services.get(team["service"]))
    if not form.ok:
        return await _teams_page(request, form, 422)
    await TeamMember.insert(
        TeamMember(org=actor.org_id, team=team_id, user=user["id"], skills=skills)
    )
    await audit(actor.org_id, actor.user_id, "team.member_added", f"{team['name']}: {login}")
    flash(
        request,
        category="success",
        message=_("%(login)s joined %(team)s.") % {"login": login, "team": team["name"]},
    )
    return Redirect("/admin/teams", status_code=303)


@post("/admin/teams/members/{member_id:int}/remove", guards=admin_only)
async def member_remove(request: Request[Any, Any, Any], member_id: FromPath[int]) -> Redirect:
    actor = current_actor(request)
    removed = (
        await TeamMember.delete()
        .where((TeamMember.id == member_id) & (TeamMember.org == actor.org_id))
        .returning(TeamMember.id)
    )
    if not removed:
        raise NotFoundException()
    await audit(actor.org_id, actor.user_id, "team.member_removed", str(member_id))
    flash(request, category="success", message=_("Removed from the team."))
    return Redirect("/admin/teams", status_code=303)


WORK_HANDLERS = [
    handover,
    my_tasks,
    toggle_duty,
    dispatch_board,
    manual_assign,
    teams_page,
    team_create,
    member_add,
    member_remove,
]
