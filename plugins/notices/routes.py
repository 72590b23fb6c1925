"""Pages (/s/notices/) and API (/api/v1/s/notices/) of the notices plugin."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from plugins.notices.hooks import PUBLISH
from plugins.notices.tables import Notice
from web.sdk import Cursor, Form, audit, current_actor, permission_required, render
from web.sdk import gettext as _

PAGE = 30
can_publish = [permission_required(PUBLISH)]


def _columns() -> tuple[Any, ...]:
    return (
        Notice.id,
        Notice.title,
        Notice.body,
        Notice.pinned,
        Notice.published_at,
        Notice.author.display_name.as_alias("author"),
    )


async def _page(org_id: int, before: int | None) -> tuple[list[dict[str, Any]], int | None]:
    where = Notice.org == org_id
    if before:
        where &= Notice.id < before
    rows = await (
        Notice.select(*_columns()).where(where).order_by(Notice.id, ascending=False).limit(PAGE + 1)
    )
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return rows, (rows[-1]["id"] if more else None)


@get("/")
async def notice_list(request: Request[Any, Any, Any], before: Cursor = None) -> Template:
    actor = current_actor(request)
    rows, next_before = await _page(actor.org_id, before)
    pinned = [r for r in rows if r["pinned"]] if not before else []
    others = [r for r in rows if not r["pinned"]] if not before else rows
    return await render(
        request,
        "notices/list.html",
        {
            "pinned": pinned,
            "notices": others,
            "next_before": next_before,
            "can_publish": actor.can(PUBLISH),
        },
    )


async def _get(org_id: int, notice_id: int) -> dict[str, Any]:
    row = (
        await Notice.select(*_columns())
        .where((Notice.id == notice_id) & (Notice.org == org_id))
        .first()
    )
    if row is None:
        raise NotFoundException()
    return row


@get("/{notice_id:int}")
async def notice_detail(request: Request[Any, Any, Any], notice_id: FromPath[int]) -> Template:
    actor = current_actor(request)
    notice = await _get(actor.org_id, notice_id)
    return await render(
        request, "notices/detail.html", {"notice": notice, "can_publish": actor.can(PUBLISH)}
    )


@get("/new", guards=can_publish)
async def notice_new(request: Request[Any, Any, Any]) -> Template:
    return await render(request, "notices/form.html", {"form": Form()})


@post("/", guards=can_publish)
async def notice_create(request: Request[Any, Any, Any]) -> Template | Redirect:
    actor = current_actor(request)
    form = await Form.read(request)
    title = form.required("title", _("Give the notice a title."), 200, _("At most 200 characters."))
    body = form.required(
        "body", _("Write what people need to know."), 5000, _("At most 5000 characters.")
    )
    if not form.ok:
        return await render(request, "notices/form.html", {"form": form}, status_code=422)
    notice = Notice(
        org=actor.org_id,
        title=title,
        body=body,
        pinned=form.get("pinned") == "on",
        author=actor.user_id,
    )
    await notice.save()
    await audit(actor.org_id, actor.user_id, "notices.published", title)
    flash(request, category="success", message=_("The notice is published."))
    return Redirect(f"/s/notices/{notice.id}", status_code=303)


@post("/{notice_id:int}/delete", guards=can_publish)
async def notice_delete(request: Request[Any, Any, Any], notice_id: FromPath[int]) -> Redirect:
    actor = current_actor(request)
    notice = await _get(actor.org_id, notice_id)
    await Notice.delete().where((Notice.id == notice_id) & (Notice.org == actor.org_id))
    await audit(actor.org_id, actor.user_id, "notices.deleted", notice["title"])
    flash(request, category="success", message=_("The notice is removed."))
    return Redirect("/s/notices/", status_code=303)


class NoticeOut(msgspec.Struct):
    id: int
    title: str
    body: str
    pinned: bool
    published_at: datetime
    author: str | None


@get("/", summary="Notices of my organisation, newest first")
async def api_notices(request: Request[Any, Any, Any], before: Cursor = None) -> list[NoticeOut]:
    actor = current_actor(request)
    rows, _next = await _page(actor.org_id, before)
    return [NoticeOut(**r) for r in rows]


HANDLERS = [notice_list, notice_detail, notice_new, notice_create, notice_delete]
API_HANDLERS = [api_notices]
