"""Handing a request over to a colleague (/requests/<number>/handover): the assignee, a
dispatcher or an admin passes it to another member of the service's team."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect

from core.i18n import gettext as _
from core.identity.actor import Actor
from core.lifecycle.dispatch import assign
from core.lifecycle.kernel import Conflict
from core.lifecycle.states import HANDOVER, IllegalTransition
from core.tables import TeamMember
from web.auth import current_actor, visible_or_404
from web.errors import Refused, changed_meanwhile
from web.forms import Form
from web.live import announce
from web.routes.desk import dispatches


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


HANDOVER_HANDLERS = [handover]
