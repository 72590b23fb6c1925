"""Public pages of the repairs plugin (/p/repairs/): what a sticker's QR code opens.

- ``/p/repairs/a/<token>`` (an asset's sticker) and ``/p/repairs/l/<token>`` (a room's door
  sticker): report a fault without signing in (name and phone), or, when the same thing
  was reported in the last days and is still open, follow that report instead.
- ``/p/repairs/f/<token>``: an older follow link, sent on to core's follow page
  (``/p/follow/<token>``: status, progress, live updates, the rating).

The token is the only key: an unknown token, a revoked one, a retired asset and an
organisation without the plugin all get the same 404. Unsafe methods are rate-limited
per address. A signed-in member of the sticker's organisation is sent to the normal
report form instead, so the request is theirs.
"""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Request, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.params import FromPath
from litestar.response import Redirect, Template

from plugins.repairs import guests as G
from plugins.repairs.form import REPAIR_FORM
from plugins.repairs.hooks import REPAIRS
from web.sdk import (
    RESOLVE_ORG,
    UPLOADS,
    Actor,
    Form,
    FormContext,
    Refused,
    add_event,
    announce,
    form_context,
    guests,
    limits_of,
    load_actor,
    now,
    places,
    public_found,
    read_service_form,
    render,
    service_account,
    storage_of,
    submit_form,
    submit_token,
)
from web.sdk import gettext as _

# Reports, joins and ratings from one address: enough for a busy lobby, not for a script.
PUBLIC_POSTS_PER_HOUR = 20
rate_limited = RateLimitConfig(
    rate_limit=("hour", PUBLIC_POSTS_PER_HOUR), store="repairs_public"
).middleware
STICKERS = ("a", "l")  # an asset's sticker, a room's ("location") sticker


def _guest_name() -> str:
    return _("Sticker report (not signed in)")


async def sticker_named(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any] | None:
    """What the sticker in the URL names (``asset`` or ``room``, with the org), or None.
    Core checks the organisation has repairs on (``opt["resolve_org"]``)."""
    what, token = connection.path_params["what"], connection.path_params["token"]
    if what not in STICKERS:
        return None
    if what == "a":
        asset = await G.asset_for_sticker(token)
        room = None
        if asset and asset["location"]:
            room = await places.get(asset["org"], asset["location"])
        found = {"asset": asset, "room": room, "org": asset["org"] if asset else None}
    else:
        room = await G.room_for_sticker(token)
        found = {"asset": None, "room": room, "org": room["org"] if room else None}
    if found["org"] is None:
        return None
    source = found["asset"] or found["room"]
    found["org_name"] = source["org_name"]
    found["what"], found["token"] = what, token
    return found


async def _guest_actor(request: Request[Any, Any, Any], org_id: int) -> Actor:
    state = request.app.state
    user_id = await service_account(org_id, G.GUEST_KEY, _guest_name())
    actor = await load_actor(user_id, state.plugins, state.permissions, service_account=True)
    if actor is None:  # the account was just made; it cannot vanish but say so if it did
        raise NotFoundException()
    return actor


def _member(request: Request[Any, Any, Any], org_id: int) -> Actor | None:
    actor = request.scope.get("user")
    return actor if actor is not None and actor.org_id == org_id else None


async def _sticker_page(
    request: Request[Any, Any, Any],
    found: dict[str, Any],
    form: Form,
    *,
    status: int = 200,
    files_lost: bool = False,
    report_anyway: bool = False,
) -> Template:
    where = found["asset"]["id"] if found["asset"] else None
    duplicates = (
        []
        if report_anyway
        else await G.open_reports(
            found["org"],
            asset_id=where,
            location_id=None if where else found["room"]["id"],
            now=now(),
        )
    )
    base = f"/p/repairs/{found['what']}/{found['token']}"
    ctx = _sticker_context(found, None)
    return await render(
        request,
        "repairs/public_report.html",
        {
            "actor": None,
            "nav": [],
            "tabs": [],
            "found": found,
            "form": form,
            "service": REPAIRS,
            "duplicates": duplicates,
            "base": base,
            "upload_limits": limits_of(request),
            "files_lost": files_lost,
            "place": places.label(found["room"]) if found["room"] else "",
            "login_next": f"/new/repairs?asset={found['token']}" if found["asset"] else "",
            **await form_context(form, ctx),
        },
        status_code=status,
    )


STICKER = {RESOLVE_ORG: sticker_named}


@get("/{what:str}/{token:str}", opt=STICKER)
async def sticker_page(
    request: Request[Any, Any, Any], what: FromPath[str], token: FromPath[str]
) -> Template | Redirect:
    found = public_found(request)
    if _member(request, found["org"]) and found["asset"]:
        return Redirect(f"/new/repairs?asset={token}", status_code=303)
    form = Form(
        {
            "submit_token": secrets.token_urlsafe(16),
            "kind": found["asset"]["category"] if found["asset"] else "",
        }
    )
    anyway = request.query_params.get("new") == "1"
    return await _sticker_page(request, found, form, report_anyway=anyway)


async def _read_person(form: Form, found: dict[str, Any]) -> tuple[str, str]:
    """The guest's name and phone, checked by the report form's own fields."""
    ctx = _sticker_context(found, None)
    person = {f.name: f for f in REPAIR_FORM.for_channel("qr") if f.name in ("name", "phone")}
    return await person["name"].read(form, ctx), await person["phone"].read(form, ctx)


def _sticker_context(found: dict[str, Any], guest: Actor | None) -> FormContext:
    """The report form of a sticker: channel ``qr``, the place given by the sticker."""
    place = {"asset": found["asset"], "location": found["room"]}
    return FormContext(guest, REPAIRS, "qr", given={"place": place}, org=found["org"])


@post("/{what:str}/{token:str}", opt={**STICKER, **UPLOADS}, middleware=[rate_limited])
async def sticker_report(
    request: Request[Any, Any, Any], what: FromPath[str], token: FromPath[str]
) -> Template | Redirect:
    found = public_found(request)
    form = await Form.read(request)
    token = submit_token(form)
    reading = await read_service_form(request, form, _sticker_context(found, None))
    if reading.filled is None:
        return await _sticker_page(
            request,
            found,
            form,
            status=reading.status,
            files_lost=reading.files_lost,
            report_anyway=True,
        )
    guest = await _guest_actor(request, found["org"])
    follow_token = guests.new_token()
    name, phone = reading.filled.values["name"], reading.filled.values["phone"]

    async def follow_link(request_id: int) -> None:
        await guests.add_follow(
            found["org"], request_id, name, phone, reporter=True, token=follow_token
        )

    result = await submit_form(
        _sticker_context(found, guest),
        reading.filled,
        idempotency_key=f"sticker:{token}",
        attachments=reading.files,
        storage=storage_of(request),
        then=follow_link,
    )
    if not result.created:  # the same form sent twice: its follow link was made the first time
        raise Refused(
            _("This report was already sent. Open the link you were shown to follow it."), 409
        )
    announce(request, found["org"], result.number)
    return Redirect(guests.follow_url(follow_token) + "?new=1", status_code=303)


@post("/{what:str}/{token:str}/join", opt=STICKER, middleware=[rate_limited])
async def sticker_join(
    request: Request[Any, Any, Any], what: FromPath[str], token: FromPath[str]
) -> Template | Redirect:
    """Follow an open report of the same fault instead of opening a second one."""
    found = public_found(request)
    form = await Form.read(request)
    member = _member(request, found["org"])
    if member is not None:
        name, phone = member.display_name, ""
    else:
        name, phone = await _read_person(form, found)
    number = form.get("number")
    where = found["asset"]["id"] if found["asset"] else None
    open_now = await G.open_reports(
        found["org"], asset_id=where, location_id=None if where else found["room"]["id"], now=now()
    )
    target = next((r for r in open_now if r["number"] == number and r["guest"]), None)
    if target is None:
        form.error("number", _("That report cannot be followed now. Report the fault below."))
    if not form.ok:
        return await _sticker_page(request, found, form, status=422)
    follow_token = await guests.add_follow(found["org"], target["id"], name, phone, reporter=False)
    await add_event(
        found["org"],
        target["id"],
        member.user_id if member else None,
        "repairs.also_reported",
        data={"name": name[:100]},
    )
    announce(request, found["org"], target["number"])
    return Redirect(guests.follow_url(follow_token), status_code=303)


# ---------------------------------------------------------------- follow page


async def followed(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any] | None:
    """The follow link in the URL (``{"org"}``), or None: links given out before follow
    pages were core's still work."""
    follow = await guests.follow_of(connection.path_params["token"])
    return {"org": follow["org"]} if follow else None


@get("/f/{token:str}", opt={RESOLVE_ORG: followed})
async def follow_page(request: Request[Any, Any, Any], token: FromPath[str]) -> Redirect:
    """An older follow link: the follow page is core's now (``/p/follow/<token>``)."""
    return Redirect(guests.follow_url(token), status_code=301)


PUBLIC_HANDLERS = [sticker_page, sticker_report, sticker_join, follow_page]
