"""The repair report form: one spec for the phone, the desk, the API and the stickers.

Core draws and reads it (``/new/repairs``, the desk's form for someone, ``POST
/api/v1/requests`` and this plugin's ``POST /api/v1/s/repairs/reports``, the sticker
page); what is the plugin's own is the place field (an asset by its sticker or its code,
or a room) and the detail row written in the submit's transaction. The kind of fault is
the approval fact ``category``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plugins.repairs.tables import RepairRequestDetail
from web.sdk import (
    DESCRIPTION,
    Field,
    Filled,
    FormContext,
    FormNotFound,
    KindChoice,
    NewRequest,
    Phone,
    Photos,
    PriorityChoice,
    ServiceForm,
    Text,
    Values,
    now,
    parse_id,
    places,
)
from web.sdk import gettext as _

ROOM_SEARCH_FROM = 50  # rooms on the phone's list before it offers a search
PHONE_CHANNELS = frozenset({"pwa"})
STAFF_CHANNELS = frozenset({"desk", "api"})
GUEST_CHANNELS = frozenset({"qr"})


def place_of(asset: Mapping[str, Any] | None, location: Mapping[str, Any] | None) -> str:
    """The request's free-text location: building · floor · room, then the asset."""
    place = places.label(location) if location else ""
    if asset:
        place = f"{place} · {asset['name']} ({asset['code']})" if place else asset["name"]
    return place[:200]


class RepairPlace(Field):
    """Where the fault is: the asset a sticker names (``asset``, its token, from the
    phone's address: another organisation's or a revoked one is 404), an asset by its
    code (``asset_code``: the desk, the API) or a room from the list (``room``). The
    value is ``{"asset": row | None, "location": row | None}``; a sticker page gives it
    as ``ctx.given["place"]``."""

    async def read(self, values: Values, ctx: FormContext) -> dict[str, Any] | None:
        from plugins.repairs import assets as A

        if "place" in ctx.given:
            return dict(ctx.given["place"])
        asset = None
        if token := values.get("asset"):
            asset = await A.asset_by_token(ctx.org_id, token)
            if asset is None:
                raise FormNotFound()
        elif code := values.get("asset_code")[:50]:
            asset = await A.asset_by_code(ctx.org_id, code)
            if asset is None or asset["status"] != "active":
                values.error(
                    "asset_code", _("No asset in use has the code %(code)s.") % {"code": code}
                )
                return None
        if asset is not None:
            location = (
                await places.get(ctx.org_id, asset["location"]) if asset["location"] else None
            )
            return {"asset": asset, "location": location}
        room = parse_id(values.get("room"))
        location = await places.get(ctx.org_id, room) if room is not None else None
        if location is None or location["kind"] != "room":
            values.error(
                "room",
                _("Enter the asset's code or choose the room where the fault is.")
                if ctx.channel in STAFF_CHANNELS
                else _("Choose the room where the fault is."),
            )
            return None
        return {"asset": None, "location": location}

    async def prepare(self, values: Values, ctx: FormContext) -> Mapping[str, Any]:
        """The asset the address names (with the open reports of it, unless the person
        chose to report anyway), or the rooms to choose from (``room_q`` narrows them)."""
        from plugins.repairs import assets as A
        from plugins.repairs import guests as G

        room_q = values.get("room_q")[:50]
        asset = None
        if ctx.channel in PHONE_CHANNELS and (token := values.get("asset")):
            asset = await A.asset_by_token(ctx.org_id, token)
            if asset is None:
                raise FormNotFound()
        duplicates = []
        if asset is not None and not values.errors and values.get("new") != "1":
            duplicates = await G.open_reports(ctx.org_id, asset_id=asset["id"], now=now())
        return {
            "asset": asset,
            "duplicates": duplicates,
            "rooms": [] if asset else await places.rooms(ctx.org_id, room_q),
            "room_q": room_q,
            "room_search_from": ROOM_SEARCH_FROM,
        }


class RepairForm(ServiceForm):
    """The fields of a repair report; the request's location comes from the place, and
    the detail row (asset, room, a guest's name and phone) is written with it."""

    async def initial(self, values: dict[str, str], ctx: FormContext) -> dict[str, str]:
        """A sticker's asset starts the form with the asset's kind of fault."""
        from plugins.repairs import assets as A

        if token := values.get("asset"):
            asset = await A.asset_by_token(ctx.org_id, token)
            if asset is None:
                raise FormNotFound()
            values.setdefault("kind", asset["category"])
        return values

    def channel_of(self, filled: Filled, ctx: FormContext) -> str:
        """A phone report of the asset a sticker names came from the sticker: ``qr``."""
        place = filled.values.get("room") or {}
        return "qr" if ctx.channel == "pwa" and place.get("asset") else ctx.channel

    def request_of(self, values: Mapping[str, Any], ctx: FormContext) -> NewRequest:
        place = values.get("room") or ctx.given.get("place") or {}
        return NewRequest(
            kind=values["kind"],
            title=values["title"],
            description=values.get("description") or "",
            location=place_of(place.get("asset"), place.get("location")),
            priority=values.get("priority") or "normal",
        )

    async def write(self, request_id: int, filled: Filled, ctx: FormContext) -> None:
        place = filled.values.get("room") or ctx.given.get("place") or {}
        asset, location = place.get("asset"), place.get("location")
        await RepairRequestDetail.insert(
            RepairRequestDetail(
                org=ctx.org_id,
                request=request_id,
                asset=asset["id"] if asset else None,
                location=location["id"] if location else None,
                reporter_name=filled.values.get("name") or "",
                reporter_phone=filled.values.get("phone") or "",
            )
        )


REPAIR_FORM = RepairForm(
    (
        KindChoice(
            label=lambda _: _("What kind of fault?"),
            missing=lambda _: _("Choose what kind of fault it is."),
            fact="category",
        ),
        RepairPlace(
            name="room",
            label=lambda _: _("Where is it?"),
            required=True,
            channels=PHONE_CHANNELS | STAFF_CHANNELS,
            template="repairs/_place_field.html",
            above="repairs/_place_above.html",
            keeps=("asset", "asset_code", "room_q", "new"),
        ),
        Text(
            name="title",
            label=lambda _: _("What is wrong?"),
            hint=lambda _: _("In a few words, e.g. “The tap in the second-floor kitchen leaks”."),
            required=True,
            missing=lambda _: _("Say in a few words what is wrong."),
        ),
        DESCRIPTION,
        PriorityChoice(channels=PHONE_CHANNELS | STAFF_CHANNELS),
        Photos(
            name="photos",
            label=lambda _: _("Photos of the fault"),
            capture=True,
            accept="image/*",
        ),
        Text(
            name="name",
            label=lambda _: _("Your name"),
            required=True,
            max_length=100,
            autocomplete="name",
            missing=lambda _: _("Enter your name so the technician knows whom to ask."),
            channels=GUEST_CHANNELS,
        ),
        Phone(
            name="phone",
            label=lambda _: _("Your phone"),
            hint=lambda _: _("Only the repair staff see it, to reach you about this fault."),
            required=True,
            missing=lambda _: _("Enter a phone number the technician can call."),
            channels=GUEST_CHANNELS,
        ),
    ),
    title=lambda _: _("Report a fault"),
    submit_label=lambda _: _("Report the fault"),
)
