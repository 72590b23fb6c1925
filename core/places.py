"""Places: the organisation's buildings, floors and rooms, shared by every service.

Every function takes the organisation id and scopes its query to it, except
:func:`by_token`, for a public door-sticker page, where the token is the only key (the
caller checks that the organisation has the plugin on). A room's ``qr_token`` is random,
never derived from the id, and a new one makes the old sticker stop working.
"""

from __future__ import annotations

import secrets
from typing import Any

from core.db import icontains
from core.tables import Place

KINDS = ("building", "floor", "room")
MAX_TOKEN = 64
ROOM_LIST = 50  # rooms a picker lists before it asks for a search


def new_token() -> str:
    """An opaque sticker token: random, unguessable, never derived from the id."""
    return secrets.token_urlsafe(16)


def label(row: dict[str, Any]) -> str:
    """Building · floor · room (what a request's free-text location says)."""
    parts = [row.get("building"), row.get("floor"), row.get("name")]
    return " · ".join(p for p in parts if p)


async def tree(org_id: int) -> list[dict[str, Any]]:
    """Every place of the organisation in tree order, each with its ``depth`` (one query)."""
    rows = await (
        Place.select(Place.id, Place.parent, Place.kind, Place.name, Place.code, Place.qr_token)
        .where(Place.org == org_id)
        .order_by(Place.name)
    )
    children: dict[int | None, list[dict[str, Any]]] = {}
    for row in rows:
        children.setdefault(row["parent"], []).append(row)
    out: list[dict[str, Any]] = []

    def walk(parent: int | None, depth: int) -> None:
        for row in children.get(parent, []):
            out.append({**row, "depth": depth})
            walk(row["id"], depth + 1)

    walk(None, 0)
    return out


async def rooms(org_id: int, q: str = "", limit: int = ROOM_LIST) -> list[dict[str, Any]]:
    """Rooms to pick from, by code (at most ``limit``; ``q`` narrows them by name or
    code), each with its ``floor`` and ``building`` names. One query."""
    where = (Place.org == org_id) & (Place.kind == "room")
    if q:
        where &= icontains(Place.name, q[:50]) | icontains(Place.code, q[:50])
    return await (
        Place.select(
            Place.id,
            Place.name,
            Place.code,
            Place.parent.name.as_alias("floor"),
            Place.parent.parent.name.as_alias("building"),
        )
        .where(where)
        .order_by(Place.code)
        .limit(limit)
    )


async def get(org_id: int, place_id: int) -> dict[str, Any] | None:
    """One place of the organisation with its floor and building names, or None."""
    return (
        await Place.select(
            Place.id,
            Place.kind,
            Place.name,
            Place.code,
            Place.parent,
            Place.qr_token,
            Place.parent.name.as_alias("floor"),
            Place.parent.parent.name.as_alias("building"),
        )
        .where((Place.org == org_id) & (Place.id == place_id))
        .first()
    )


async def ids_by_code(org_id: int) -> dict[str, int]:
    """The organisation's places that have a code, code → id (for CSV imports)."""
    rows = await Place.select(Place.id, Place.code).where(
        (Place.org == org_id) & (Place.code != "")
    )
    return {r["code"]: r["id"] for r in rows}


async def by_token(token: str) -> dict[str, Any] | None:
    """The room whose door sticker carries ``token``, in any organisation (with ``org``,
    ``org_name``, ``time_zone`` and ``org_locale``), or None. For public pages only."""
    if not token or len(token) > MAX_TOKEN:
        return None
    return (
        await Place.select(
            Place.id,
            Place.name,
            Place.code,
            Place.qr_token,
            Place.parent.name.as_alias("floor"),
            Place.parent.parent.name.as_alias("building"),
            Place.org,
            Place.org.name.as_alias("org_name"),
            Place.org.time_zone.as_alias("time_zone"),
            Place.org.default_locale.as_alias("org_locale"),
        )
        .where((Place.qr_token == token) & (Place.kind == "room"))
        .first()
    )


async def add(org_id: int, kind: str, name: str, code: str = "", parent: int | None = None) -> int:
    """Add a place (a room gets its door-sticker token at once); the caller has checked
    the values (:func:`check_parent`). Returns its id."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of place {kind!r}")
    rows = await Place.insert(
        Place(
            org=org_id,
            parent=parent,
            kind=kind,
            name=name,
            code=code,
            qr_token=new_token() if kind == "room" else None,
        )
    ).returning(Place.id)
    return rows[0]["id"]


async def rename(org_id: int, place_id: int, name: str, code: str) -> bool:
    """Rename a place of the organisation; False if there is no such place."""
    done = (
        await Place.update({Place.name: name, Place.code: code})
        .where((Place.org == org_id) & (Place.id == place_id))
        .returning(Place.id)
    )
    return bool(done)


async def check_parent(org_id: int, kind: str, parent_id: int | None) -> str | None:
    """Why a place of ``kind`` may not sit under ``parent_id`` (a message key), or None:
    floors and rooms belong to a building or floor of the same organisation."""
    if parent_id is None:
        return "needs_parent" if kind in ("floor", "room") else None
    parent = await get(org_id, parent_id)
    if parent is None or parent["kind"] == "room":
        return "bad_parent"
    return None


async def door_stickers(org_id: int, limit: int) -> list[dict[str, Any]]:
    """Rooms for the door-sticker sheet (at most ``limit``, by code) with their tokens;
    a room made without a token (an older import) gets one first."""
    missing = await Place.select(Place.id).where(
        (Place.org == org_id) & (Place.kind == "room") & Place.qr_token.is_null()
    )
    for row in missing[:limit]:
        await Place.update({Place.qr_token: new_token()}).where(
            (Place.org == org_id) & (Place.id == row["id"]) & Place.qr_token.is_null()
        )
    rows = await (
        Place.select(
            Place.id,
            Place.name,
            Place.code,
            Place.qr_token,
            Place.parent.name.as_alias("floor"),
            Place.parent.parent.name.as_alias("building"),
        )
        .where((Place.org == org_id) & (Place.kind == "room") & Place.qr_token.is_not_null())
        .order_by(Place.code)
        .limit(limit)
    )
    return rows


async def regenerate_token(org_id: int, place_id: int) -> str | None:
    """A new door-sticker token for a room; the old sticker stops working at once."""
    token = new_token()
    done = (
        await Place.update({Place.qr_token: token})
        .where((Place.org == org_id) & (Place.id == place_id) & (Place.kind == "room"))
        .returning(Place.id)
    )
    return token if done else None
