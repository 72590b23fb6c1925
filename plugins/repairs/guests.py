"""Reports from a sticker without signing in: what the sticker names, open reports of
the same thing, and follow links.

A sticker carries a random token of an asset or a room; nothing else in the URL names the
organisation. A guest's report is a request of the organisation's ``sticker`` service
account with the reporter's name and phone on the detail row. The guest follows it with
a link whose token is random; only its SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from plugins.repairs.tables import RepairAsset, RepairFollow, RepairRequestDetail
from web.sdk import OPEN, Label, ServiceRequest, audit, places
from web.sdk import now as utc_now

# A fault reported again within this window, while the first report is still open, is
# offered to be joined rather than reported twice.
DUPLICATE_WINDOW = timedelta(hours=72)
GUEST_KEY = "sticker"
MAX_TOKEN = 64
EVENT_LABELS: dict[str, Label] = {
    "repairs.also_reported": lambda _: _("Also reported by someone else"),
}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_follow_token() -> str:
    return secrets.token_urlsafe(18)


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


async def add_follow(
    org_id: int, request_id: int, name: str, phone: str, *, reporter: bool, token: str = ""
) -> str:
    """A follow link for this person on this request; returns the token (shown once)."""
    token = token or new_follow_token()
    await RepairFollow.insert(
        RepairFollow(
            org=org_id,
            request=request_id,
            token_hash=hash_token(token),
            name=name[:100],
            phone=phone[:32],
            reporter=reporter,
        )
    )
    return token


async def follow_of(token: str) -> dict[str, Any] | None:
    """The follow link ``token`` opens, with its request's organisation (None if unknown)."""
    if not token or len(token) > MAX_TOKEN:
        return None
    return (
        await RepairFollow.select(
            RepairFollow.id,
            RepairFollow.org,
            RepairFollow.request,
            RepairFollow.name,
            RepairFollow.reporter,
            RepairFollow.org.name.as_alias("org_name"),
        )
        .where(RepairFollow.token_hash == hash_token(token))
        .first()
    )


async def followed_request(org_id: int, request_id: int) -> dict[str, Any] | None:
    """What a follow page shows of its request (no internal fields), with the asset."""
    row = await (
        ServiceRequest.select(
            ServiceRequest.id,
            ServiceRequest.number,
            ServiceRequest.service,
            ServiceRequest.kind,
            ServiceRequest.title,
            ServiceRequest.status,
            ServiceRequest.location,
            ServiceRequest.requester,
            ServiceRequest.assignee,
            ServiceRequest.assignee.display_name.as_alias("assignee_name"),
            ServiceRequest.submitted_at,
            ServiceRequest.resolved_at,
            ServiceRequest.version,
        )
        .where((ServiceRequest.org == org_id) & (ServiceRequest.id == request_id))
        .first()
    )
    return row


# A guest reporter's phone number is kept while the repair may need a call, and for this
# long after the request is closed; then it is blanked (the name stays, for the history).
PHONE_RETENTION = timedelta(days=90)


async def forget_phones(ctx: Any = None, now: datetime | None = None) -> int:
    """Blank the phone numbers of sticker reporters and followers on requests closed more
    than :data:`PHONE_RETENTION` ago; one audit entry per organisation says how many.
    Idempotent (a second run finds nothing); the job ``repairs.forget_phones`` runs it daily."""
    cutoff = (now or utc_now()) - PHONE_RETENTION
    closed = ServiceRequest.select(ServiceRequest.id).where(
        ServiceRequest.closed_at.is_not_null() & (ServiceRequest.closed_at < cutoff)
    )
    details = await (
        RepairRequestDetail.update({RepairRequestDetail.reporter_phone: ""})
        .where(
            (RepairRequestDetail.reporter_phone != "") & RepairRequestDetail.request.is_in(closed)
        )
        .returning(RepairRequestDetail.org)
    )
    follows = await (
        RepairFollow.update({RepairFollow.phone: ""})
        .where((RepairFollow.phone != "") & RepairFollow.request.is_in(closed))
        .returning(RepairFollow.org)
    )
    per_org: dict[int, int] = {}
    for row in [*details, *follows]:
        per_org[row["org"]] = per_org.get(row["org"], 0) + 1
    for org_id, count in per_org.items():
        await audit(org_id, None, "repairs.phones_forgotten", "", count=count)
    return len(details) + len(follows)
