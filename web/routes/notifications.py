"""The in-app notification list: worded in the reader's language when shown."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from core.clock import now
from core.notifications.text import notification_text as lifecycle_text
from core.tables import Notification
from web.auth import current_actor
from web.routes.suggestions import (
    notification_subject,
    suggestion_notification_text,
    suggestion_target,
)
from web.templating import render

PAGE = 50


def notification_text(kind: str) -> str:
    """Core's wording (shared with e-mail), plus the suggestion box's own kinds."""
    if kind.startswith("suggestion:"):
        return suggestion_notification_text(kind)
    return lifecycle_text(kind)


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
            Notification.data,
        )
        .where((Notification.org == actor.org_id) & (Notification.user == actor.user_id))
        .order_by(Notification.id, ascending=False)
        .limit(PAGE)
        .output(load_json=True)
    )
    return await render(
        request,
        "notifications.html",
        {"rows": rows, "text": notification_text, "subject": notification_subject},
    )


@post("/notifications/{notification_id:int}/open")
async def open_notification(
    request: Request[Any, Any, Any], notification_id: FromPath[int]
) -> Redirect:
    actor = current_actor(request)
    row = (
        await Notification.select(
            Notification.request.number.as_alias("number"), Notification.kind, Notification.data
        )
        .where(
            (Notification.id == notification_id)
            & (Notification.org == actor.org_id)
            & (Notification.user == actor.user_id)
        )
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFoundException()
    await Notification.update({Notification.read_at: now()}).where(
        (Notification.id == notification_id) & Notification.read_at.is_null()
    )
    target = "/notifications"
    if row["number"]:
        target = f"/requests/{row['number']}"
    elif row["kind"].startswith("suggestion:"):
        target = suggestion_target(row["data"])
    return Redirect(target, status_code=303)


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
