"""The desk reports a fault for someone (a phone call, a walk-in): core's "new request for
someone" page with the repairs fields (asset by code, or a room), so the request gets its
detail row like any other report. ``REPAIRS.desk_url`` leads here from /desk/new."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template

from plugins.repairs import assets as A
from plugins.repairs.hooks import REPAIRS
from plugins.repairs.reporting import file_report
from web.sdk import (
    PRIORITIES,
    Actor,
    Form,
    Refused,
    chosen_person,
    desk_page,
    read_common_fields,
    staff_only,
    submitted_for,
)
from web.sdk import gettext as _

URL = "/s/repairs/desk/new"


async def _page(
    request: Request[Any, Any, Any], actor: Actor, form: Form, status: int = 200
) -> Template:
    form.data.setdefault("service", REPAIRS.slug)
    return await desk_page(
        request,
        actor,
        form,
        status,
        template="repairs/desk_new.html",
        context={
            "form_action": URL,
            "page_url": URL,
            "rooms": await A.rooms(actor.org_id, form.get("room_q")[:50]),
        },
    )


@get("/desk/new")
async def desk_report_form(request: Request[Any, Any, Any]) -> Template:
    actor = staff_only(request, REPAIRS.slug)
    params = request.query_params
    form = Form(
        {
            "service": REPAIRS.slug,
            "q": params.get("q", "")[:100],
            "room_q": params.get("room_q", "")[:50],
            "priority": "normal",
            "submit_token": secrets.token_urlsafe(16),
        }
    )
    return await _page(request, actor, form)


@post("/desk/new")
async def desk_report(request: Request[Any, Any, Any]) -> Template | Redirect:
    actor = staff_only(request, REPAIRS.slug)
    form = await Form.read(request)
    form.data = dict(form.data)
    token = form.get("submit_token")
    if not token or len(token) > 64:
        raise Refused(_("This form is incomplete. Reload the page and try again."))
    person = await chosen_person(actor, form)
    kind = form.get("kind")
    if kind not in A.categories():
        form.error("kind", _("Choose what kind of fault it is."))
    title, description, _location, priority = read_common_fields(form)
    asset = location = None
    if code := form.get("asset_code"):
        asset = await A.asset_by_code(actor.org_id, code[:50])
        if asset is None or asset["status"] != "active":
            asset = None
            form.error("asset_code", _("No asset in use has the code %(code)s.") % {"code": code})
        elif asset["location"]:
            location = await A.get_location(actor.org_id, asset["location"])
    else:
        room = form.id("room")
        location = await A.get_location(actor.org_id, room) if room else None
        if location is None or location["kind"] != "room":
            form.error("room", _("Enter the asset's code or choose the room where the fault is."))
    if not form.ok or person is None:
        return await _page(request, actor, form, 422)
    result = await file_report(
        actor,
        kind=kind,
        title=title,
        description=description,
        priority=priority if priority in PRIORITIES else "normal",
        asset=asset,
        location=location,
        channel="desk",
        idempotency_key=f"form:{token}",
        requester_id=person["id"],
        department_id=person["department"],
    )
    return submitted_for(request, actor, result, person)


HANDLERS = [desk_report_form, desk_report]
