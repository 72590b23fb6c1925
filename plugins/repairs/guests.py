"""Reports from a sticker without signing in: what the sticker names, open reports of
the same thing, and follow links.

A sticker carries a random token of an asset or a room; nothing else in the URL names the
organisation. A guest's report is a request of the organisation's ``sticker`` service
account with the reporter's name and phone on the detail row. The guest follows it with
a link whose token is random; only its SHA-256 is stored.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from plugins.repairs.tables import RepairAsset, RepairRequestDetail
from web.sdk import OPEN, Label, audit, guests, places
from web.sdk import now as utc_now

# A fault reported again within this window, while the first report is still open, is
# offered to be joined rather than reported twice.
DUPLICATE_WINDOW = timedelta(hours=72)
GUEST_KEY = "sticker"
MAX_TOKEN = 64
EVENT_LABELS: dict[str, Label] = {
    "repairs.also_reported": lambda _: _("Also reported by someone else"),
}


def _org_columns(table: Any) -> tuple[Any, ...]:
    return (
        table.org,
        table.org.name.as_alias("org_name"),
        table.org.time_zone.as_alias("time_zone"),
        table.org.default_locale.as_alias("org_locale"),
    )


async def asset_for_sticker(token: str) -> dict[str, Any] | None:
    """The active asset whose sticker carries ``token``, with its organisation (any org:
    the token is the only key; the caller checks the org has the plugin on)."""
    if not token or len(token) > MAX_TOKEN:
        return None
    return (
        await RepairAsset.select(
            RepairAsset.id,
            RepairAsset.code,
            RepairAsset.name,
            RepairAsset.category,
            RepairAsset.location,
            RepairAsset.qr_token,
            RepairAsset.location.name.as_alias("location_name"),
            *_org_columns(RepairAsset),
        )
        .where((RepairAsset.qr_token == token) & (RepairAsset.status == "active"))
        .first()
    )


async def room_for_sticker(token: str) -> dict[str, Any] | None:
    """The room whose door sticker carries ``token`` (core's places), with building and
    floor names and its organisation."""
    return await places.by_token(token)


async def open_reports(
    org_id: int,
    *,
    asset_id: int | None = None,
    location_id: int | None = None,
    now: datetime,
    limit: int = 3,
) -> list[dict[str, Any]]:
    """Open requests about this asset (or, for a room, about the room itself) submitted
    within the duplicate window, newest first. One query.

    ``guest`` marks a report sent from a sticker without signing in: a stranger may
    follow those. Someone's own report (from the phone, the desk) is theirs: a stranger
    with the sticker learns only that it was reported and how far it is."""
    where = RepairRequestDetail.org == org_id
    if asset_id is not None:
        where &= RepairRequestDetail.asset == asset_id
    else:
        where &= (RepairRequestDetail.location == location_id) & RepairRequestDetail.asset.is_null()
    where &= RepairRequestDetail.request.status.is_in(sorted(s.value for s in OPEN))
    where &= RepairRequestDetail.request.submitted_at >= now - DUPLICATE_WINDOW
    rows = await (
        RepairRequestDetail.select(
            RepairRequestDetail.request.as_alias("id"),
            RepairRequestDetail.request.number.as_alias("number"),
            RepairRequestDetail.request.title.as_alias("title"),
            RepairRequestDetail.request.status.as_alias("status"),
            RepairRequestDetail.request.submitted_at.as_alias("submitted_at"),
            RepairRequestDetail.request.channel.as_alias("channel"),
            RepairRequestDetail.request.requester.is_active.as_alias("by_user"),
        )
        .where(where)
        .order_by(RepairRequestDetail.request, ascending=False)
        .limit(limit)
    )
    for row in rows:
        # A sticker report's requester is the organisation's inactive sticker account.
        channel, by_user = row.pop("channel"), row.pop("by_user")
        row["guest"] = channel == "qr" and not by_user
    return rows


# A guest reporter's phone number on the detail row is kept while the repair may need a
# call, and as long after the request is closed as core keeps a follow link's.
PHONE_RETENTION = guests.PHONE_RETENTION


async def forget_phones(ctx: Any = None, now: datetime | None = None) -> int:
    """Blank the phone numbers of sticker reporters on the detail rows of requests closed
    more than :data:`PHONE_RETENTION` ago (core's job blanks the follow links'); one
    audit entry per organisation says how many. Idempotent; the job
    ``repairs.forget_phones`` runs it daily."""
    cutoff = (now or utc_now()) - PHONE_RETENTION
    details = await (
        RepairRequestDetail.update({RepairRequestDetail.reporter_phone: ""})
        .where(
            (RepairRequestDetail.reporter_phone != "")
            & RepairRequestDetail.request.is_in(guests.closed_before(cutoff))
        )
        .returning(RepairRequestDetail.org)
    )
    per_org: dict[int, int] = {}
    for row in details:
        per_org[row["org"]] = per_org.get(row["org"], 0) + 1
    for org_id, count in per_org.items():
        await audit(org_id, None, "repairs.phones_forgotten", "", count=count)
    return len(details)
