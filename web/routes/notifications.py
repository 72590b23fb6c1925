"""The in-app notification list: worded in the reader's language when shown."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.i18n import gettext as _
from core.lifecycle.requests import now
from core.lifecycle.states import status_label
from core.tables import Notification
from web.auth import current_actor
from web.templating import render

PAGE = 50


def notification_text(kind: str) -> str:
    if kind == "approval_needed":
        return _("Waiting for your approval")
    if kind.startswith("status:"):
        status = kind.split(":", 1)[1]
        return {
            "approved": _("Approved: it goes to the team now"),
            "rejected": _("Rejected: see the reason"),
            "assigned": _("New task for you"),
            "in_progress": _("Work has started"),
            "on_hold": _("On hold: see why"),
            "resolved": _("Done: please confirm and rate"),
            "cancelled": _("Cancelled by the requester"),
            "reopened": _("Reopened: something is still wrong"),
        }.get(status, status_label(status, _))
    return kind


@get("/notifications")
async def notifications(request: Request[Any, Any, Any]) -> Template:
    actor = current_actor(request)
    rows = await (
        Notification.select(
            Notification.id,
            Notification.kind,
            Notification.read_at,
            Notification.created_at,
            Notification.request.number.as_alias("number"),
            Notification.request.title.as_alias("title"),
        )
        .where((Notification.org == actor.org_id) & (Notification.user == actor.user_id))
        .order_by(Notification.id, ascending=False)
        .limit(PAGE)
    )
    return await render(request, "notifications.html", {"rows": rows, "text": notification_text})


@post("/notifications/{notification_id:int}/open")
async def open_notification(
    request: Request[Any, Any, Any], notification_id: FromPath[int]
) -> Redirect:
    actor = current_actor(request)
    row = (
        await Notification.select(Notification.request.number.as_alias("number"))
        .where(
            (Notification.id == notification_id)
            & (Notification.org == actor.org_id)
            & (Notification.user == actor.user_id)
        )
        .first()
    )
    if row is None:
        raise NotFoundException()
    await Notification.update({Notification.read_at: now()}).where(
        (Notification.id == notification_id) & Notification.read_at.is_null()
    )
    return Redirect(
        f"/requests/{row['number']}" if row["number"] else "/notifications", status_code=303
    )


@post("/notifications/read")
async def mark_all_read(request: Request[Any, Any, Any]) -> Redirect:
    actor = current_actor(request)
    await Notification.update({Notification.read_at: now()}).where(
        (Notification.org == actor.org_id)
        & (Notification.user == actor.user_id)
        & Notification.read_at.is_null()
    )
    return Redirect("/notifications", status_code=303)


NOTIFICATION_HANDLERS = [notifications, open_notification, mark_all_read]
