"""Filing a repair report: one way for the phone form, the sticker page and the API.

The request goes through core ``submit`` (approval routing, SLA, auto-dispatch) with the
category as an approval fact; the detail row (asset, room, a guest's name and phone) and
any follow link are written in the submit's transaction through ``on_created``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from plugins.repairs.assets import place_label
from plugins.repairs.hooks import REPAIRS
from plugins.repairs.tables import RepairRequestDetail
from web.sdk import Actor, NewRequest, PreparedFile, Storage, Submitted, submit


def place_of(asset: dict[str, Any] | None, location: dict[str, Any] | None) -> str:
    """The request's free-text location: building · floor · room, then the asset."""
    place = place_label(location) if location else ""
    if asset:
        place = f"{place} · {asset['name']} ({asset['code']})" if place else asset["name"]
    return place[:200]


async def file_report(
    actor: Actor,
    *,
    kind: str,
    title: str,
    description: str,
    priority: str,
    asset: dict[str, Any] | None,
    location: dict[str, Any] | None,
    channel: str,
    idempotency_key: str | None,
    photos: Sequence[PreparedFile] = (),
    storage: Storage | None = None,
    reporter: tuple[str, str] | None = None,
    then: Callable[[int], Awaitable[None]] | None = None,
    requester_id: int | None = None,
    department_id: int | None = None,
) -> Submitted:
    """Submit a repair request for ``actor`` about ``asset`` and/or ``location``.

    ``reporter`` is a guest's (name, phone); ``then(request_id)`` runs in the same
    transaction after the detail row (a follow link, say). ``requester_id`` and
    ``department_id`` are the person the desk reports for.
    """

    async def write_detail(request_id: int) -> None:
        await RepairRequestDetail.insert(
            RepairRequestDetail(
                org=actor.org_id,
                request=request_id,
                asset=asset["id"] if asset else None,
                location=location["id"] if location else None,
                reporter_name=reporter[0] if reporter else "",
                reporter_phone=reporter[1] if reporter else "",
            )
        )
        if then is not None:
            await then(request_id)

    return await submit(
        actor,
        REPAIRS,
        NewRequest(
            kind=kind,
            title=title,
            description=description,
            location=place_of(asset, location),
            priority=priority,
        ),
        channel=channel,
        idempotency_key=idempotency_key,
        facts={"category": kind},
        attachments=photos,
        storage=storage,
        on_created=write_detail,
        requester_id=requester_id,
        department_id=department_id,
    )
