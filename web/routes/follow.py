"""The follow page of a guest (``/p/follow/<token>``): someone without an account who
sent or joined a request (a sticker report, later the kiosk) sees its progress live and,
if they sent it, rates it once it is done.

The token is the only key: an unknown one is 404, the same as a link of an organisation
that has since switched the request's service off. The page shows no internal field
(no cost, no internal notes): :func:`core.guests.followed_request` reads only what a
guest may see, and the timeline only public events. Ratings are rate-limited per
address.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.params import FromPath
from litestar.response import Redirect, ServerSentEvent, Template

from core import guests
from core.i18n import gettext as _
from core.identity.service import enabled_plugins, load_actor
from core.lifecycle.feedback import TAGS, CannotRate, rate
from core.lifecycle.states import Status, stepper
from web.auth import RESOLVE_ORG, public_core, public_found
from web.errors import Refused
from web.forms import Form
from web.live import announce, event_stream
from web.templating import render

RATINGS_PER_HOUR = 20
rate_limited = RateLimitConfig(
    rate_limit=("hour", RATINGS_PER_HOUR), store="public_follow"
).middleware


async def followed(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any] | None:
    """The follow link in the URL with its request (``{"org", "follow", "row",
    "service"}``), or None: unknown, or of a service the organisation has switched off."""
    follow = await guests.follow_of(connection.path_params["token"])
    row = await guests.followed_request(follow["org"], follow["request"]) if follow else None
    if follow is None or row is None:
        return None
    state = connection.app.state
    catalog = state.services
    enabled = await enabled_plugins(follow["org"], state.plugins)
    if not catalog.is_enabled(row["service"], frozenset(enabled)):
        return None
    return {
        "org": follow["org"],
        "follow": follow,
        "row": row,
        "service": catalog.get(row["service"]),
    }


FOLLOW = {"exclude_from_auth": True, RESOLVE_ORG: followed}


@get("/p/follow/{token:str}", guards=[public_core], opt=FOLLOW, include_in_schema=False)
async def follow_page(request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
    found = public_found(request)
    follow, row, service = found["follow"], found["row"], found["service"]
    return await render(
        request,
        "follow.html",
        {
            "actor": None,
            "nav": [],
            "tabs": [],
            "follow": follow,
            "token": token,
            "r": row,
            "service": service,
            "steps": stepper(service.steps, row["status"]),
            "events": await guests.public_timeline(follow["org"], row["id"]),
            "rating_tags": TAGS,
            "can_rate": follow["reporter"] and row["status"] == Status.RESOLVED,
            "just_sent": request.query_params.get("new") == "1",
        },
        block="live",
    )


@get("/p/follow/{token:str}/live", guards=[public_core], opt=FOLLOW, include_in_schema=False)
async def follow_live(request: Request[Any, Any, Any], token: FromPath[str]) -> ServerSentEvent:
    found = public_found(request)
    return event_stream(request, found["org"], found["row"]["number"])


@post(
    "/p/follow/{token:str}/rate",
    guards=[public_core],
    opt=FOLLOW,
    middleware=[rate_limited],
    include_in_schema=False,
)
async def follow_rate(request: Request[Any, Any, Any], token: FromPath[str]) -> Redirect:
    """The guest who sent the request rates it (as its requester, the organisation's
    service account that stands for guests)."""
    found = public_found(request)
    follow, row = found["follow"], found["row"]
    if not follow["reporter"]:
        raise Refused(_("Only the person who sent the request can rate it."), 403)
    form = await Form.read(request)
    score = form.get("score")
    if score not in {"1", "2", "3", "4", "5"}:
        raise Refused(_("Choose from one to five stars."), 422)
    state = request.app.state
    guest = await load_actor(
        row["requester"], state.plugins, state.permissions, service_account=True
    )
    if guest is None:
        raise NotFoundException()
    try:
        await rate(guest, row, int(score), form.getall("tags"), form.get("comment")[:2000])
    except CannotRate as exc:
        raise Refused(
            _("This request cannot be rated now: it is not waiting for a rating."), 409
        ) from exc
    announce(request, follow["org"], row["number"])
    return Redirect(guests.follow_url(token), status_code=303)


FOLLOW_HANDLERS = [follow_page, follow_live, follow_rate]
