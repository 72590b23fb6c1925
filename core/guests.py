"""Guest follow links: how someone without an account follows a request they sent or
joined (a sticker reporter now, a kiosk visitor later), and rates it when it is done.

A link carries a random token; only its SHA-256 is stored, so the table cannot be
turned back into links. The guest's phone number is kept while the request may need a
call and :data:`PHONE_RETENTION` after it closes, then blanked by the daily job
``core.forget_guest_phones`` (the name stays, for the history).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from core.clock import now as utc_now
from core.identity.service import audit
from core.tables import GuestFollow, RequestEvent, ServiceRequest

MAX_TOKEN = 64
PHONE_RETENTION = timedelta(days=90)
TIMELINE = 100  # public events on a follow page


def hash_token(token: str) -> str:
    """What is stored of a follow token (SHA-256, hex)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh follow token: random, unguessable, shown once."""
    return secrets.token_urlsafe(18)


def follow_url(token: str) -> str:
    """The follow page of a token (a path: the caller adds the site's address if needed)."""
    return f"/p/follow/{token}"


async def add_follow(
    org_id: int, request_id: int, name: str, phone: str, *, reporter: bool, token: str = ""
) -> str:
    """A follow link for this person on this request; returns the token (show it once).
    ``reporter`` is the person who sent the request (they may rate it)."""
    token = token or new_token()
    await GuestFollow.insert(
        GuestFollow(
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
    """The follow link ``token`` opens, with its organisation's name, or None."""
    if not token or len(token) > MAX_TOKEN:
        return None
    return (
        await GuestFollow.select(
            GuestFollow.id,
            GuestFollow.org,
            GuestFollow.request,
            GuestFollow.name,
            GuestFollow.reporter,
            GuestFollow.org.name.as_alias("org_name"),
        )
        .where(GuestFollow.token_hash == hash_token(token))
        .first()
    )


async def followed_request(org_id: int, request_id: int) -> dict[str, Any] | None:
    """What a follow page shows of its request: no internal fields (no cost, no notes)."""
    return (
        await ServiceRequest.select(
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


async def public_timeline(org_id: int, request_id: int) -> list[dict[str, Any]]:
    """The request's public events, newest first (one query)."""
    return await (
        RequestEvent.select(
            RequestEvent.kind,
            RequestEvent.to_status,
            RequestEvent.message,
            RequestEvent.data,
            RequestEvent.created_at,
            RequestEvent.actor.display_name.as_alias("actor_name"),
            RequestEvent.actor.is_active.as_alias("actor_active"),
        )
        .where(
            (RequestEvent.org == org_id)
            & (RequestEvent.request == request_id)
            & RequestEvent.public.eq(True)
        )
        .order_by(RequestEvent.id, ascending=False)
        .limit(TIMELINE)
    )


def closed_before(cutoff: datetime) -> Any:
    """The ids of requests closed before ``cutoff`` (a subquery for retention jobs)."""
    return ServiceRequest.select(ServiceRequest.id).where(
        ServiceRequest.closed_at.is_not_null() & (ServiceRequest.closed_at < cutoff)
    )


async def forget_phones(ctx: Any = None, now: datetime | None = None) -> int:
    """Blank the phone numbers of follow links on requests closed more than
    :data:`PHONE_RETENTION` ago; one audit entry per organisation says how many.
    Idempotent (a second run finds nothing)."""
    cutoff = (now or utc_now()) - PHONE_RETENTION
    rows = await (
        GuestFollow.update({GuestFollow.phone: ""})
        .where((GuestFollow.phone != "") & GuestFollow.request.is_in(closed_before(cutoff)))
        .returning(GuestFollow.org)
    )
    per_org: dict[int, int] = {}
    for row in rows:
        per_org[row["org"]] = per_org.get(row["org"], 0) + 1
    for org_id, count in per_org.items():
        await audit(org_id, None, "guest.phones_forgotten", "", count=count)
    return len(rows)
