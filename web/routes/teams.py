"""Teams at /admin/teams: who works on which service (and which kinds), how new work is
spread among them, and who is on each team."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from core.default_plugin import ADMIN
from core.i18n import gettext as _
from core.identity.service import audit, normalise_login
from core.lifecycle.dispatch import STRATEGIES
from core.tables import Team, TeamMember, User
from web.auth import current_actor, permission_required
from web.forms import Form
from web.templating import render

admin_only = [permission_required(ADMIN)]


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


TEAM_HANDLERS = [teams_page, team_create, member_add, member_remove]
