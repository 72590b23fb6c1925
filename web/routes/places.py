"""The organisation's places at ``/admin/places``: buildings, floors and rooms (a tree),
each room with its door-sticker QR code, and the A4 sheet of door stickers.

Org admins and service admins (``core.places.manage``) keep the tree; every service
points at it (a repair's room, a meeting room, a visitor's host desk). A room's door
sticker opens ``/p/place/<token>`` (web/routes/public.py): what the organisation's
services offer in that room.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from core import places
from core.default_plugin import PLACES_MANAGE
from core.i18n import gettext as _
from core.identity.actor import Actor
from core.identity.service import audit, enabled_plugins
from core.printouts import Sticker, StickerSheet
from web.auth import RESOLVE_ORG, current_actor, permission_required, public_core, public_found
from web.errors import Refused
from web.forms import Form
from web.printing import pdf_response
from web.templating import render

URL = "/admin/places"
MAX_STICKERS = 120  # rooms on one sheet request
may_manage = [permission_required(PLACES_MANAGE)]


def door_url(base_url: str, token: str) -> str:
    """What a room's door sticker points at: the public page of the room's token."""
    return f"{base_url}/p/place/{token}"


def _kinds() -> list[tuple[str, str]]:
    return [("building", _("Building")), ("floor", _("Floor")), ("room", _("Room"))]


async def _page(
    request: Request[Any, Any, Any], actor: Actor, form: Form, status: int = 200
) -> Template:
    tree = await places.tree(actor.org_id)
    return await render(
        request,
        "admin/places.html",
        {
            "tree": tree,
            "form": form,
            "parents": [
                (str(r["id"]), "— " * r["depth"] + r["name"]) for r in tree if r["kind"] != "room"
            ],
            "kinds": _kinds(),
            "back_url": "/admin",
        },
        status_code=status,
    )


def _read_names(form: Form) -> tuple[str, str]:
    name = form.required("name", _("Give the place a name."), 100, _("At most 100 characters."))
    code = form.get("code")
    if len(code) > 50:
        form.error("code", _("At most 50 characters."))
    return name, code


@get(URL, guards=may_manage)
async def places_page(request: Request[Any, Any, Any]) -> Template:
    actor = current_actor(request)
    return await _page(request, actor, Form({"kind": "building"}))


@post(URL, guards=may_manage)
async def place_create(request: Request[Any, Any, Any]) -> Template | Redirect:
    actor = current_actor(request)
    form = await Form.read(request)
    name, code = _read_names(form)
    kind = form.get("kind")
    if kind not in places.KINDS:
        form.error("kind", _("Choose building, floor or room."))
    parent_id = form.id("parent") if form.get("parent") else None
    if form.get("parent") and parent_id is None:
        form.error("parent", _("Choose a building or floor that exists."))
    elif kind in places.KINDS:
        problem = await places.check_parent(actor.org_id, kind, parent_id)
        if problem == "needs_parent":
            form.error("parent", _("A floor or room belongs to a building or floor."))
        elif problem == "bad_parent":
            form.error("parent", _("Choose a building or floor that exists."))
    if not form.ok:
        return await _page(request, actor, form, 422)
    await places.add(actor.org_id, kind, name, code, parent_id)
    await audit(actor.org_id, actor.user_id, "place.saved", name)
    flash(request, category="success", message=_("The place is added."))
    return Redirect(URL, status_code=303)


@post(URL + "/{place_id:int}", guards=may_manage)
async def place_rename(request: Request[Any, Any, Any], place_id: FromPath[int]) -> Redirect:
    actor = current_actor(request)
    if await places.get(actor.org_id, place_id) is None:
        raise NotFoundException()
    form = await Form.read(request)
    name, code = _read_names(form)
    if not form.ok:
        raise Refused(next(iter(form.errors.values())))
    await places.rename(actor.org_id, place_id, name, code)
    await audit(actor.org_id, actor.user_id, "place.saved", name)
    flash(request, category="success", message=_("The place is renamed."))
    return Redirect(URL, status_code=303)


@post(URL + "/{place_id:int}/qr", guards=may_manage)
async def place_new_qr(request: Request[Any, Any, Any], place_id: FromPath[int]) -> Redirect:
    actor = current_actor(request)
    if await places.regenerate_token(actor.org_id, place_id) is None:
        raise NotFoundException()
    await audit(actor.org_id, actor.user_id, "place.qr_regenerated", f"place:{place_id}")
    flash(
        request,
        category="success",
        message=_("A new QR code is made; the old sticker no longer works. Print a new one."),
    )
    return Redirect(URL, status_code=303)


def _where(room: dict[str, Any]) -> str:
    """A door sticker's second line: the room's code, building and floor."""
    return " · ".join(p for p in (room["code"], room["building"], room["floor"]) if p)


@get(URL + "/stickers.pdf", guards=may_manage)
async def door_stickers(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The A4 sheet of the rooms' door stickers, under the organisation's name."""
    actor = current_actor(request)
    rows = await places.door_stickers(actor.org_id, MAX_STICKERS)
    if not rows:
        raise Refused(_("No rooms to print."))
    base_url = request.app.state.settings.base_url
    hint = _("Scan for the services of this room")
    sheet = StickerSheet(
        tuple(Sticker(r["name"], _where(r), door_url(base_url, r["qr_token"]), hint) for r in rows),
        filename="door-stickers.pdf",
    )
    return await pdf_response(sheet, actor.org_id)


# ---------------------------------------------------------------- the door sticker


async def _room_of_sticker(connection: ASGIConnection[Any, Any, Any, Any]) -> Any:
    return await places.by_token(connection.path_params["token"])


@get(
    "/p/place/{token:str}",
    guards=[public_core],
    opt={"exclude_from_auth": True, RESOLVE_ORG: _room_of_sticker},
    include_in_schema=False,
)
async def place_door(request: Request[Any, Any, Any], token: FromPath[str]) -> Template | Redirect:
    """What a room's door sticker opens, without signing in: the services the room's
    organisation offers here (each enabled plugin's ``place_links``). One is followed at
    once; an unknown or replaced token is 404, like a room of any organisation."""
    room = public_found(request)
    registry = request.app.state.plugins
    hooks = registry.hooks(await enabled_plugins(room["org"], registry))
    links = sorted(
        (link for found in hooks.place_links(place=room) for link in found or []),
        key=lambda link: (link.order, link.key),
    )
    if len(links) == 1:
        return Redirect(links[0].href, status_code=303)
    return await render(
        request,
        "place_door.html",
        {
            "actor": None,
            "nav": [],
            "tabs": [],
            "room": room,
            "place": places.label(room),
            "links": links,
        },
    )


PLACE_HANDLERS = [places_page, place_create, place_rename, place_new_qr, door_stickers]
PUBLIC_PLACE_HANDLERS = [place_door]
