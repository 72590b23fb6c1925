"""Rating a resolved request (phone) and following up low ratings (desk)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_409_CONFLICT

from core.i18n import gettext as _
from core.identity.actor import Actor
from core.identity.service import audit
from core.lifecycle import inbox
from core.lifecycle.feedback import CannotRate, rate
from core.lifecycle.kernel import Conflict
from core.lifecycle.states import IllegalTransition
from core.tables import Rating
from web.auth import current_actor
from web.errors import Refused
from web.forms import Form
from web.live import announce
from web.templating import render


@post("/requests/{number:str}/rate")
async def rate_request(request: Request[Any, Any, Any], number: FromPath[str]) -> Redirect:
    actor = current_actor(request)
    row = await inbox.visible_request(actor, number)
    if row is None or row["requester"] != actor.user_id:
        raise NotFoundException()
    form = await Form.read(request)
    score = form.get("score")
    if score not in {"1", "2", "3", "4", "5"}:
        raise Refused(_("Choose from one to five stars."), 422)
    try:
        await rate(actor, row, int(score), form.getall("tags"), form.get("comment"))
    except (CannotRate, IllegalTransition, Conflict) as exc:
        raise Refused(_("This request cannot be rated (again)."), HTTP_409_CONFLICT) from exc
    announce(request, actor.org_id, number)
    flash(request, category="success", message=_("Thank you for your rating."))
    return Redirect(f"/requests/{number}", status_code=303)


def _may_follow_up(actor: Actor) -> list[str] | None:
    """Services whose follow-ups the actor handles (None: all, for org admins)."""
    if actor.is_org_admin:
        return None
    return actor.administered_services


@get("/desk/follow-ups")
async def follow_ups(request: Request[Any, Any, Any]) -> Template:
    actor = current_actor(request)
    services = _may_follow_up(actor)
    if services == []:
        raise PermissionDeniedException()
    where = (Rating.org == actor.org_id) & (Rating.follow_up == "open")
    if services is not None:
        where &= Rating.service.is_in(services)
    rows = await (
        Rating.select(
            Rating.id,
            Rating.score,
            Rating.tags,
            Rating.comment,
            Rating.created_at,
            Rating.request.number.as_alias("number"),
            Rating.request.title.as_alias("title"),
            Rating.rater.display_name.as_alias("rater_name"),
        )
        .where(where)
        .order_by(Rating.id)
        .limit(100)
        .output(load_json=True)
    )
    return await render(request, "desk/follow_ups.html", {"rows": rows})


@post("/desk/follow-ups/{rating_id:int}")
async def follow_up_done(request: Request[Any, Any, Any], rating_id: FromPath[int]) -> Redirect:
    actor = current_actor(request)
    services = _may_follow_up(actor)
    if services == []:
        raise PermissionDeniedException()
    where = (Rating.id == rating_id) & (Rating.org == actor.org_id) & (Rating.follow_up == "open")
    if services is not None:
        where &= Rating.service.is_in(services)
    if not await Rating.exists().where(where):
        raise NotFoundException()
    form = await Form.read(request)
    note = form.get("note")[:2000]
    if not note:
        raise Refused(_("Write what was done, for the record."), 422)
    done = (
        await Rating.update({Rating.follow_up: "done", Rating.follow_up_note: note})
        .where(where)
        .returning(Rating.id)
    )
    if not done:
        raise NotFoundException()
    await audit(actor.org_id, actor.user_id, "rating.followed_up", str(rating_id), note=note)
    flash(request, category="success", message=_("Follow-up recorded."))
    return Redirect("/desk/follow-ups", status_code=303)


FEEDBACK_HANDLERS = [rate_request, follow_ups, follow_up_done]
