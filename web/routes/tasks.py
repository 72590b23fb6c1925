"""An agent's work at /tasks: what is assigned to them, and whether they are on duty (a
team member off duty gets no new work from dispatch). The buttons on a request are request
actions (web/routes/actions.py)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from core.i18n import gettext as _
from core.lifecycle.dispatch import BUSY
from core.tables import ServiceRequest, TeamMember
from web.auth import current_actor
from web.forms import Form
from web.templating import render


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


TASK_HANDLERS = [my_tasks, toggle_duty]
